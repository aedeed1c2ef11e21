//! The one URL policy every URL the bridge talks to or opens follows: the
//! server URL, metadata and token endpoints, the authorization URL, the
//! success page. https, or http to loopback (or anywhere with
//! `--allow-http`); a host; no credentials.

use std::net::IpAddr;

/// Why a URL fails the policy.
#[derive(Debug, PartialEq, Eq)]
pub enum UrlProblem {
    /// Neither https nor http (the scheme it has).
    Scheme(String),
    /// Plain http to a host that is not loopback, not allowed.
    PlainHttp,
    /// No host.
    NoHost,
    /// A user name or password in the URL.
    Credentials,
}

/// Why the server URL given on the command line cannot be used; each
/// variant's text says what to change.
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    /// Not a URL at all.
    #[error("{raw:?} is not a valid URL")]
    Invalid {
        /// What was given.
        raw: String,
        /// The parser's reason.
        source: url::ParseError,
    },
    /// Plain http to a host that is not loopback.
    #[error("{0} uses plain http to a host that is not loopback; use https, or pass --allow-http")]
    PlainHttp(String),
    /// Neither https nor http: the URL, and its scheme.
    #[error("{0} has the scheme {1:?}; only https (or http to loopback) is supported")]
    Scheme(String, String),
    /// No host.
    #[error("{0} has no host")]
    NoHost(String),
    /// A user name or password in the URL (shown without them).
    #[error("{0}: credentials in the URL are not supported; use --header instead")]
    Credentials(String),
}

/// Check the server URL given on the command line; the error says what to
/// change.
pub fn check_url(raw: &str, allow_http: bool) -> Result<url::Url, UrlError> {
    let url = url::Url::parse(raw).map_err(|source| UrlError::Invalid {
        raw: raw.to_owned(),
        source,
    })?;
    match url_problem(&url, allow_http) {
        None => Ok(url),
        Some(UrlProblem::PlainHttp) => Err(UrlError::PlainHttp(raw.to_owned())),
        Some(UrlProblem::Scheme(other)) => Err(UrlError::Scheme(raw.to_owned(), other)),
        Some(UrlProblem::NoHost) => Err(UrlError::NoHost(raw.to_owned())),
        Some(UrlProblem::Credentials) => Err(UrlError::Credentials(redact_userinfo(&url))),
    }
}

/// `None` when `url` meets the policy.
pub fn url_problem(url: &url::Url, allow_http: bool) -> Option<UrlProblem> {
    match url.scheme() {
        "https" => {}
        "http" if allow_http || is_loopback(url) => {}
        "http" => return Some(UrlProblem::PlainHttp),
        other => return Some(UrlProblem::Scheme(other.to_owned())),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Some(UrlProblem::NoHost);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some(UrlProblem::Credentials);
    }
    None
}

/// `url` without its user name and password, for messages.
pub fn redact_userinfo(url: &url::Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// `url` for logs and messages: no user name or password, and the query's
/// values (an API key, often) shown as `…`, its names kept.
pub fn shown(url: &url::Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.set_fragment(None);
    let names: Vec<String> = url
        .query_pairs()
        .map(|(k, _)| format!("{}=…", crate::text::clean(&k, 60)))
        .collect();
    if names.is_empty() {
        u.to_string()
    } else {
        format!("{u}?{}", names.join("&"))
    }
}

/// [`shown`] for a URL as text (kept as it is when it does not parse).
pub fn shown_text(url: &str) -> String {
    url::Url::parse(url).map_or_else(|_| url.to_owned(), |u| shown(&u))
}

/// A URL that a struct keeps and may be `{:?}`-formatted with: its `Debug`
/// is what people are shown ([`shown`]), since its query may carry a key.
/// In every other way it is the URL.
#[derive(Clone, PartialEq, Eq)]
pub struct RedactedUrl(pub url::Url);

impl std::ops::Deref for RedactedUrl {
    type Target = url::Url;
    fn deref(&self) -> &url::Url {
        &self.0
    }
}

impl From<url::Url> for RedactedUrl {
    fn from(u: url::Url) -> Self {
        RedactedUrl(u)
    }
}

impl std::fmt::Debug for RedactedUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", shown(&self.0))
    }
}

/// True for `localhost`, 127.0.0.0/8 and ::1.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_policy() {
        assert!(check_url("https://example.com/mcp", false).is_ok());
        assert!(check_url("http://127.0.0.1:3000/mcp", false).is_ok());
        assert!(check_url("http://127.8.9.1/mcp", false).is_ok());
        assert!(check_url("http://[::1]:3000/mcp", false).is_ok());
        assert!(check_url("http://localhost/mcp", false).is_ok());
        assert!(check_url("http://example.com/mcp", false).is_err());
        assert!(check_url("http://example.com/mcp", true).is_ok());
        assert!(check_url("ftp://example.com/", true).is_err());
        assert!(check_url("file:///etc/passwd", true).is_err());
        assert!(check_url("not a url", false).is_err());
        let e = check_url("https://user:hunter2@example.com/", false)
            .unwrap_err()
            .to_string();
        assert!(!e.contains("hunter2"), "{e}");
    }
}
