//! The jwt-bearer grant with an externally issued JWT (RFC 7523 §2.1): a
//! Kubernetes service-account token, a CI job's OIDC token, read again
//! from its file for every request so that a rotated one is picked up. No
//! person, no refresh token: a new token is fetched before the old one
//! expires.

use super::{Assertion, Grant, Opening};
use crate::auth::endpoints::TokenRequest;
use crate::auth::store::Tokens;
use crate::auth::{Auth, Error, Known};

/// The JWT the user hands in.
pub(super) struct JwtBearer<'a>(pub &'a Assertion);

impl Grant for JwtBearer<'_> {
    const PERSON: bool = false;

    async fn obtain(&self, auth: &Auth, _: &mut Known, at: Opening) -> Result<Tokens, Error> {
        let assertion = self.0.read()?;
        let request = TokenRequest::JwtBearer {
            assertion: &assertion,
            scope: at.scope.as_deref(),
        };
        auth.machine_tokens(&at.server, request).await
    }
}
