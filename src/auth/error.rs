//! What the sign-in layer returns when it fails: one [`Error`], whose
//! variant says which part failed and whose text is the sentence the user
//! reads. Where a lower layer's error caused it (the store, a file, a key,
//! the authorization server's refusal) it is kept whole, as `source()`, so
//! that code decides on types, never on words. At the MCP request it
//! becomes the source of an `UpstreamError` of kind `Auth`.

use super::jwt::SigningError;
use super::store::StoreError;
use crate::files::FileError;
use crate::http::error::UpstreamError;

/// Why signing in, or keeping its tokens, failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Finding or checking the authorization server: the resource's and
    /// the server's metadata.
    #[error("{0}")]
    Discovery(String),
    /// The authorization server refused (registration, a grant, a
    /// refresh), with its own `error` and `error_description`, or could not
    /// be asked.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// Keeping, reading or removing credentials.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file the sign-in reads: the lock, an assertion file.
    #[error(transparent)]
    File(#[from] FileError),
    /// The loopback callback, or an address pasted in the terminal.
    #[error("{0}")]
    Callback(String),
    /// The authorization URL, or no browser to open it.
    #[error("{0}")]
    Browser(String),
    /// A key that signs (a client assertion, a DPoP proof).
    #[error(transparent)]
    Signing(#[from] SigningError),
    /// A sign-in setting or the file it names cannot be used.
    #[error("{0}")]
    Setting(String),
    /// A sign-in URL on an address the policy refuses.
    #[error(transparent)]
    Reach(#[from] crate::http::reach::Refusal),
    /// The MCP request the sign-in ran for failed.
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// The flow itself could not go on (no person to sign in, a sign-in
    /// under way elsewhere), in its own words.
    #[error("{0}")]
    Flow(String),
}

impl From<String> for Error {
    fn from(words: String) -> Error {
        Error::Flow(words)
    }
}

impl From<&str> for Error {
    fn from(words: &str) -> Error {
        Error::Flow(words.to_owned())
    }
}

/// A refusal from the authorization server, with its OAuth error code, or
/// a request to it that got no usable answer (no code then).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Refused {
    /// `invalid_grant`, `invalid_client`, ... when the server said.
    pub code: Option<String>,
    /// The server's `error_description`, when it gave one.
    pub description: Option<String>,
    /// The whole explanation.
    pub message: String,
    /// The `DPoP-Nonce` the answer carried.
    pub nonce: Option<String>,
}

impl Refused {
    /// No refusal code: the request got no usable answer, for this reason.
    pub fn plain(message: String) -> Refused {
        Refused {
            code: None,
            description: None,
            message,
            nonce: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_stays_a_type_under_the_mcp_request_s_error() {
        let refused = Refused {
            code: Some("invalid_grant".into()),
            description: Some("the refresh token expired".into()),
            message: "the refresh at https://as/token was refused (HTTP 400 Bad Request): invalid_grant: the refresh token expired".into(),
            nonce: None,
        };
        let url = url::Url::parse("https://h/mcp").unwrap();
        let e = super::super::failed(&url, refused);
        assert_eq!(e.kind(), crate::http::error::ErrorKind::Auth);
        assert!(
            e.to_string()
                .contains("invalid_grant: the refresh token expired"),
            "{e}"
        );
        let source = std::error::Error::source(&e)
            .and_then(|s| s.downcast_ref::<Error>())
            .expect("the auth error is the source");
        let Error::Refused(r) = source else {
            panic!("{source:?}")
        };
        assert_eq!(r.code.as_deref(), Some("invalid_grant"));
        assert_eq!(r.description.as_deref(), Some("the refresh token expired"));
        // An MCP request's own failure is passed on as it is, not wrapped.
        let lost = UpstreamError::lost("https://h/mcp", "reset");
        let kept = super::super::failed(&url, lost);
        assert_eq!(kept.kind(), crate::http::error::ErrorKind::Lost);
    }
}
