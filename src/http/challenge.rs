//! The `WWW-Authenticate` header of a 401 or 403 (RFC 9110 §11.6.1, with the
//! Bearer parameters of RFC 6750 §3 and RFC 9728 §5.1), parsed from
//! untrusted input: bounded, and cleaned before it reaches a message.

use crate::text::clean;

/// Longest header read; the rest is ignored.
const HEADER_MAX: usize = 8 * 1024;
/// Longest parameter value kept.
const VALUE_MAX: usize = 2 * 1024;

/// What a Bearer (or DPoP) challenge says.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Challenge {
    /// `resource_metadata`: where the protected resource metadata lives.
    pub resource_metadata: Option<String>,
    /// `scope`: the scopes the request needs.
    pub scope: Option<String>,
    /// `error`, e.g. `invalid_token` or `insufficient_scope`.
    pub error: Option<String>,
    /// `error_description`.
    pub error_description: Option<String>,
    /// The header offers the `Bearer` scheme.
    pub bearer: bool,
    /// The header offers the `DPoP` scheme (RFC 9449 §7.1): the server
    /// takes DPoP-bound tokens.
    pub dpop: bool,
}

impl Challenge {
    /// The first Bearer (or DPoP) challenge among those in `header`, with
    /// which of the two schemes the header offers, if it offers either.
    pub fn parse(header: &str) -> Option<Challenge> {
        let header = match header.char_indices().nth(HEADER_MAX) {
            Some((cut, _)) => &header[..cut],
            None => header,
        };
        let mut p = Params { rest: header };
        let mut found: Option<Challenge> = None;
        // The parameters read go to the first Bearer or DPoP challenge.
        let mut filling = false;
        let (mut bearer, mut dpop) = (false, false);
        while let Some(item) = p.next() {
            match item {
                // DPoP (RFC 9449 §7.1) takes the same parameters.
                Item::Scheme(s)
                    if s.eq_ignore_ascii_case("bearer") || s.eq_ignore_ascii_case("dpop") =>
                {
                    if s.eq_ignore_ascii_case("dpop") {
                        dpop = true;
                    } else {
                        bearer = true;
                    }
                    filling = found.is_none();
                    found.get_or_insert_with(Challenge::default);
                }
                Item::Scheme(_) => filling = false,
                Item::Param(name, value) => {
                    let Some(c) = found.as_mut().filter(|_| filling) else {
                        continue;
                    };
                    let value = Some(clean(&value, VALUE_MAX));
                    match name.to_ascii_lowercase().as_str() {
                        "resource_metadata" => c.resource_metadata = value,
                        "scope" => c.scope = value,
                        "error" => c.error = value,
                        "error_description" => c.error_description = value,
                        _ => {}
                    }
                }
            }
        }
        found.map(|c| Challenge { bearer, dpop, ..c })
    }

    /// The challenge of a response's `WWW-Authenticate` fields, read as one
    /// list (RFC 9110 §5.3: several fields are one comma-separated value),
    /// when one offers Bearer or DPoP.
    pub fn of(headers: &reqwest::header::HeaderMap) -> Option<Challenge> {
        let fields: Vec<&str> = headers
            .get_all(reqwest::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        Challenge::parse(&fields.join(", "))
    }

    /// A short explanation for an error message.
    pub fn explain(&self) -> String {
        let mut parts = Vec::new();
        match (&self.error, &self.error_description) {
            (Some(e), Some(d)) => parts.push(format!("{e}: {d}")),
            (Some(e), None) => parts.push(e.clone()),
            (None, Some(d)) => parts.push(d.clone()),
            (None, None) => {}
        }
        if let Some(s) = &self.scope {
            parts.push(format!("scope {s:?}"));
        }
        if let Some(m) = &self.resource_metadata {
            parts.push(format!("resource metadata at {m}"));
        }
        let said = if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join("; "))
        };
        format!("the server asks for an OAuth bearer token{said}")
    }
}

enum Item {
    Scheme(String),
    Param(String, String),
}

/// A tokenizer over the challenge list: schemes and `name=value` params,
/// with commas and spaces between them.
struct Params<'a> {
    rest: &'a str,
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

impl Params<'_> {
    fn next(&mut self) -> Option<Item> {
        self.rest = self.rest.trim_start_matches([' ', '\t', ',']);
        if self.rest.is_empty() {
            return None;
        }
        let end = self
            .rest
            .find(|c: char| !is_tchar(c) && c != '/')
            .unwrap_or(self.rest.len());
        if end == 0 {
            // Not a token: skip one character and go on.
            let mut chars = self.rest.chars();
            chars.next();
            self.rest = chars.as_str();
            return self.next();
        }
        let token = &self.rest[..end];
        let after = self.rest[end..].trim_start_matches([' ', '\t']);
        if let Some(value) = after.strip_prefix('=') {
            let value = value.trim_start_matches([' ', '\t']);
            let (v, rest) = if let Some(quoted) = value.strip_prefix('"') {
                quoted_string(quoted)
            } else {
                let stop = value.find([',', ' ', '\t']).unwrap_or(value.len());
                (value[..stop].to_owned(), &value[stop..])
            };
            self.rest = rest;
            return Some(Item::Param(token.to_owned(), v));
        }
        // A token68 after a scheme (e.g. `Basic abc==`) is not a param.
        self.rest = &self.rest[end..];
        Some(Item::Scheme(token.to_owned()))
    }
}

/// The contents of a quoted string whose opening quote is already taken,
/// and what follows its closing quote.
fn quoted_string(s: &str) -> (String, &str) {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, &s[i + 1..]),
            '\\' => {
                if let Some((_, n)) = chars.next() {
                    out.push(n);
                }
            }
            c => out.push(c),
        }
    }
    (out, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_mcp_bearer_challenge() {
        let c = Challenge::parse(
            r#"Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read files:write""#,
        )
        .unwrap();
        assert_eq!(
            c.resource_metadata.as_deref(),
            Some("https://mcp.example.com/.well-known/oauth-protected-resource/mcp")
        );
        assert_eq!(c.scope.as_deref(), Some("files:read files:write"));
        assert_eq!(c.error, None);
    }

    #[test]
    fn finds_bearer_among_other_schemes_and_unquoted_values() {
        let c = Challenge::parse(
            r#"Basic realm="x", Bearer error=insufficient_scope, scope="a b", error_description="needs \"a\"", Negotiate abc=="#,
        )
        .unwrap();
        assert_eq!(c.error.as_deref(), Some("insufficient_scope"));
        assert_eq!(c.scope.as_deref(), Some("a b"));
        assert_eq!(c.error_description.as_deref(), Some(r#"needs "a""#));
        assert_eq!(c.resource_metadata, None);
        assert!(Challenge::parse(r#"Basic realm="x""#).is_none());
        let bare = Challenge::parse("bearer").unwrap();
        assert!(bare.bearer && !bare.dpop && bare.scope.is_none());
    }

    #[test]
    fn tells_which_schemes_are_offered() {
        let both = Challenge::parse(
            r#"Bearer scope="a", DPoP algs="ES256", error="invalid_token", Basic realm="x""#,
        )
        .unwrap();
        assert!(both.bearer && both.dpop, "{both:?}");
        assert_eq!(both.scope.as_deref(), Some("a"));
        assert_eq!(
            both.error, None,
            "the DPoP challenge's own parameters stay its own"
        );
        let dpop = Challenge::parse(r#"DPoP error="use_dpop_nonce""#).unwrap();
        assert!(dpop.dpop && !dpop.bearer);
        assert_eq!(dpop.error.as_deref(), Some("use_dpop_nonce"));
        let bearer = Challenge::parse(r#"Bearer error="invalid_token""#).unwrap();
        assert!(bearer.bearer && !bearer.dpop);
    }

    #[test]
    fn hostile_values_are_bounded_and_cleaned() {
        let long = format!(
            "Bearer error_description=\"{}\u{1b}[31m\"",
            "x".repeat(20_000)
        );
        let c = Challenge::parse(&long).unwrap();
        let d = c.error_description.unwrap();
        assert!(d.len() <= VALUE_MAX && !d.contains('\u{1b}'));
        // Unterminated quotes and stray characters do not panic.
        for bad in [
            "Bearer scope=\"abc",
            "Bearer ===,,,\"",
            "Bearer \u{0}\u{7f}=é",
        ] {
            let _ = Challenge::parse(bad);
        }
    }

    #[test]
    fn explains_what_the_server_asked() {
        let c = Challenge::parse(r#"Bearer error="invalid_token", error_description="expired""#)
            .unwrap();
        assert_eq!(
            c.explain(),
            "the server asks for an OAuth bearer token (invalid_token: expired)"
        );
    }
}
