//! The client credentials grant (RFC 6749 §4.4, with a signed assertion as
//! RFC 7523 §2.2 allows): the client's own secret or key, no person. It
//! expects no refresh token: a new token is fetched before the old one
//! expires. A refusal surfaces as the authorization server said it, with
//! no retry loop and no switch to another grant.

use super::{Grant, Opening};
use crate::auth::endpoints::TokenRequest;
use crate::auth::store::Tokens;
use crate::auth::{Auth, Error, Known};

/// The client's own credentials.
pub(super) struct ClientCredentials;

impl Grant for ClientCredentials {
    const PERSON: bool = false;

    async fn obtain(&self, auth: &Auth, _: &mut Known, at: Opening) -> Result<Tokens, Error> {
        let scope = at.scope.as_deref();
        let request = TokenRequest::ClientCredentials { scope };
        auth.machine_tokens(&at.server, request).await
    }
}
