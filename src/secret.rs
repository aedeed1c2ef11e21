//! The one type for a secret value: an access, refresh or ID token, a
//! client secret, a private key, an assertion. Its `Debug` and `Display`
//! write `<redacted>`, so no log line, error message or `{:?}` of a struct
//! that holds one can show it; the value comes out only through
//! [`Secret::expose`], at the few places that send or keep it (a header, a
//! form, the keychain). It serializes as the plain string it holds, which is
//! the form the credential store has always written.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A value that must never be shown.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Hold `value` as a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for the place that sends or keeps it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

/// A command-line value parsed straight into a secret (clap reads it so).
impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(value: &str) -> Result<Secret, Self::Err> {
        Ok(Secret(value.to_owned()))
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_never_formatted_and_serializes_as_its_value() {
        let s = Secret::new("tok-123");
        assert_eq!(
            format!("{s} {s:?} {s:#?}"),
            "<redacted> <redacted> <redacted>"
        );
        assert_eq!(format!("{:?}", Some(&s)), "Some(<redacted>)");
        assert_eq!(s.expose(), "tok-123");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"tok-123\"");
        let back: Secret = serde_json::from_str("\"tok-123\"").unwrap();
        assert_eq!(back, s);
    }
}
