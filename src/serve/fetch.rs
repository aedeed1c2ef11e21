//! The HTTP client `serve` reaches an authorization server with (its
//! metadata and keys, its introspection endpoint): it follows no redirect,
//! gives each request a time limit, and reads a body only up to a bound.

use std::time::Duration;

/// Why a body was not had.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The connection failed while it was read.
    #[error("the answer could not be read")]
    Request(#[source] reqwest::Error),
    /// It is larger than the bound.
    #[error("the answer is too large")]
    TooLarge,
}

/// A client whose every request takes at most `limit`.
pub fn client(limit: Duration) -> Result<reqwest::Client, reqwest::Error> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(limit)
        .user_agent(concat!("mcp-bridge/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The body of `resp`, at most `max` bytes.
pub async fn body(mut resp: reqwest::Response, max: usize) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Request)? {
        if body.len() + chunk.len() > max {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
