//! The values of options that clap cannot check alone: sizes, seconds,
//! `KEY=VALUE` pairs, each with the error that says what is wrong.

/// Why an option's value cannot be used (clap prints it after the option's
/// name).
#[derive(Debug, thiserror::Error)]
pub enum ValueError {
    /// `--authorize-param` without `=`.
    #[error("{0:?} is not KEY=VALUE (e.g. audience=https://api.example.com)")]
    NotKeyValue(String),
    /// `--authorize-param` for a parameter the flow sets itself.
    #[error("{0} is part of the sign-in flow itself and cannot be set")]
    OwnParameter(String),
    /// Not a byte size.
    #[error("{0:?} is not a size of at least 1K (e.g. 65536, 512K, 64M)")]
    Size(String),
    /// Not a number of seconds.
    #[error("{0:?} is not a number of seconds between 0 and 86400")]
    Seconds(String),
    /// Not an absolute path for `serve --path`.
    #[error("{0:?} is not a path that starts with / (and has no ?, # or space)")]
    Path(String),
    /// Not an https URL (or http on loopback) for `serve --auth-issuer`.
    #[error("{0:?} is not an issuer URL (https, or http on localhost; no query)")]
    Issuer(String),
    /// Not an address or network for `serve --trusted-proxy`.
    #[error("{0:?} is not an IP address or network (127.0.0.1, 10.0.0.0/8, fd00::/8)")]
    TrustedProxy(String),
    /// Not a replica name for `serve --replica`.
    #[error("{0:?} is not a replica name (1 to 32 letters, digits, - or _)")]
    Replica(String),
    /// Not `CLAIM=VAR` for `serve --pass-claims-env`.
    #[error("{0:?} is not CLAIM=VAR (VAR: letters, digits and _, not first a digit)")]
    ClaimEnv(String),
    /// Not `TOOL=SCOPE` for `serve --tool-scope`.
    #[error("{0:?} is not TOOL=SCOPE (a scope has no space or quote)")]
    ToolScope(String),
    /// Not an http(s) URL for `serve --public-url`.
    #[error("{0:?} is not an http(s) URL with no query")]
    PublicUrl(String),
    /// Not `KEY=VALUE` for `serve --env` (the value is not shown).
    #[error("not KEY=VALUE with a KEY")]
    EnvPair,
}

/// Parse `--authorize-param KEY=VALUE`; the flow's own parameters are refused.
pub fn parse_authorize_param(s: &str) -> Result<(String, String), ValueError> {
    const OWN: [&str; 6] = [
        "client_id",
        "redirect_uri",
        "response_type",
        "state",
        "code_challenge",
        "code_challenge_method",
    ];
    let (k, v) = s
        .split_once('=')
        .filter(|(k, _)| !k.trim().is_empty())
        .ok_or_else(|| ValueError::NotKeyValue(s.to_owned()))?;
    let k = k.trim();
    if OWN.contains(&k) {
        return Err(ValueError::OwnParameter(k.to_owned()));
    }
    Ok((k.to_owned(), v.to_owned()))
}

/// Parse a byte size: a number with an optional K, M or G suffix (powers of 1024).
pub fn parse_size(s: &str) -> Result<usize, ValueError> {
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let body = upper
        .strip_suffix("IB")
        .or(upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (num, mult) = match body.char_indices().last() {
        Some((i, 'K')) => (&body[..i], 1usize << 10),
        Some((i, 'M')) => (&body[..i], 1 << 20),
        Some((i, 'G')) => (&body[..i], 1 << 30),
        _ => (body, 1),
    };
    num.trim()
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|n| *n >= 1024)
        .ok_or_else(|| ValueError::Size(s.to_owned()))
}

/// Parse a number of seconds (fractions allowed), at most a day.
pub fn parse_seconds(s: &str) -> Result<std::time::Duration, ValueError> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && (0.0..=86_400.0).contains(n))
        .map(std::time::Duration::from_secs_f64)
        .ok_or_else(|| ValueError::Seconds(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64M").unwrap(), 64 << 20);
        assert_eq!(parse_size("512KiB").unwrap(), 512 << 10);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert!(parse_size("12").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999G").is_err());
    }
}

/// The server URL as given on the command line. Its `{:?}` writes it as
/// people are shown URLs (`url_policy::shown_text`: the query's values as
/// `…`), since a query may carry a key.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerUrl(String);

impl ServerUrl {
    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for ServerUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for ServerUrl {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<ServerUrl, Self::Err> {
        Ok(ServerUrl(s.to_owned()))
    }
}

impl std::fmt::Debug for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", crate::url_policy::shown_text(&self.0))
    }
}
