//! The ways of getting tokens for the MCP server, one file each, behind one
//! trait, [`Grant`]. `Auth::obtain` picks the one the settings name
//! ([`GrantMode`]); every grant starts from the same opening, the
//! authorization server (discovered once per process) and the scope to ask
//! for there, written once here.
//!
//! - `authorization_code.rs`: a person in the browser (PKCE, the loopback
//!   callback);
//! - `device_code.rs`: a person on another device (RFC 8628);
//! - `client_credentials.rs`: the client's own credentials (RFC 6749 §4.4);
//! - `jwt_bearer.rs`: an externally issued JWT (RFC 7523 §2.1);
//! - `enterprise.rs`: an ID-JAG from the person's identity provider
//!   (SEP-990), with `identity_provider.rs` for the sign-in there;
//! - `refresh.rs`: a refresh token, ahead of expiry or after a 401.
//!
//! `clients.rs` chooses the client each grant authenticates as, and
//! `mode.rs` holds the setting that names the grant.

mod authorization_code;
mod client_credentials;
mod clients;
mod device_code;
mod enterprise;
mod identity_provider;
mod jwt_bearer;
mod mode;
mod refresh;

pub use enterprise::Idp;
pub use mode::{Assertion, GrantMode};

use super::discovery;
use super::endpoints::{self, TokenRequest};
use super::server::AuthServer;
use super::store::Tokens;
use super::{failed, Auth, Error, Known};
use crate::http::challenge::Challenge;
use crate::http::error::UpstreamError;

/// A way of getting tokens. Implementations store the tokens they get and
/// put them in use before they return them.
pub(super) trait Grant {
    /// Whether a person takes part: the scope then asks for a refresh
    /// token too where the authorization server offers one.
    const PERSON: bool;

    /// Get tokens at `at`'s authorization server for its scope; the lock
    /// is held.
    async fn obtain(&self, auth: &Auth, known: &mut Known, at: Opening) -> Result<Tokens, Error>;
}

/// Where every grant starts: the authorization server and the scope to ask
/// for there.
pub(super) struct Opening {
    /// The authorization server.
    pub server: AuthServer,
    /// The scope to ask for.
    pub scope: Option<String>,
}

impl Auth {
    /// Get new tokens with the configured grant, in this process; the lock
    /// is held. A person with no display here (`login` over SSH) signs in
    /// with a device code where the server offers it.
    pub(in crate::auth) async fn obtain(
        &self,
        known: &mut Known,
        c: &Challenge,
        scope: Option<String>,
    ) -> Result<(), UpstreamError> {
        let headless = self.cfg.device_when_headless && self.cfg.grant == GrantMode::Browser;
        if headless && self.server(known, c).await?.device_endpoint.is_some() {
            tracing::info!("no display here: signing in with a device code");
            return self.with(device_code::DeviceCode, known, c, scope).await;
        }
        match &self.cfg.grant {
            GrantMode::Browser => {
                let grant = authorization_code::AuthorizationCode;
                self.with(grant, known, c, scope).await
            }
            GrantMode::DeviceCode => self.with(device_code::DeviceCode, known, c, scope).await,
            GrantMode::ClientCredentials => {
                let grant = client_credentials::ClientCredentials;
                self.with(grant, known, c, scope).await
            }
            GrantMode::JwtBearer(a) => {
                let grant = jwt_bearer::JwtBearer(a);
                self.with(grant, known, c, scope).await
            }
            GrantMode::Enterprise(idp) => {
                let grant = enterprise::Enterprise(idp);
                self.with(grant, known, c, scope).await
            }
        }
    }

    /// Get new tokens with `grant`, from the opening; what fails, fails the
    /// MCP request.
    async fn with<G: Grant>(
        &self,
        grant: G,
        known: &mut Known,
        c: &Challenge,
        scope: Option<String>,
    ) -> Result<(), UpstreamError> {
        match self.opened(grant, known, c, scope).await {
            Ok(_) => Ok(()),
            Err(e) => Err(failed(&self.cfg.server, e)),
        }
    }

    /// The opening every grant shares, then the grant.
    async fn opened<G: Grant>(
        &self,
        grant: G,
        known: &mut Known,
        c: &Challenge,
        scope: Option<String>,
    ) -> Result<Tokens, Error> {
        let server = self.server(known, c).await?;
        let scope = server.scope_for(scope, G::PERSON);
        grant.obtain(self, known, Opening { server, scope }).await
    }

    /// A grant with no person: `request` at the token endpoint as the
    /// configured client; the tokens are stored and used.
    async fn machine_tokens(
        &self,
        server: &AuthServer,
        request: TokenRequest<'_>,
    ) -> Result<Tokens, Error> {
        let client = self.machine_client(server);
        let dpop = self.dpop_key(server)?;
        let proofs = self.proofs(&client, dpop.as_deref());
        let t = endpoints::tokens(&self.http, server, &client, &proofs, request).await?;
        tracing::info!(
            "got an access token with the {} grant",
            self.cfg.grant.name()
        );
        self.save(server, None, Some(&t)).await;
        self.adopt(Some(t.clone()));
        Ok(t)
    }

    /// The authorization server: discovered once per process, or made of
    /// `--token-endpoint` where the server publishes no metadata.
    pub(in crate::auth) async fn server(
        &self,
        known: &mut Known,
        c: &Challenge,
    ) -> Result<AuthServer, UpstreamError> {
        if let Some(s) = &known.server {
            return Ok(s.clone());
        }
        let wanted = discovery::Wanted {
            server: &self.cfg.server,
            resource: self.cfg.resource.as_deref(),
            resource_parameter: self.cfg.resource_parameter,
            allow_http: self.cfg.allow_http,
            browser: self.cfg.grant.uses_browser(),
        };
        let found = discovery::discover(&self.http, &wanted, c).await;
        let s = match (found, &self.cfg.token_endpoint) {
            (Ok(mut s), Some(te)) => {
                s.token_endpoint = te.clone();
                s
            }
            (Ok(s), None) => s,
            // --token-endpoint stands in for metadata the server lacks.
            (Err(e), Some(te)) => {
                tracing::info!(
                    "{e}; using --token-endpoint {te}",
                    e = crate::text::Chain(&e)
                );
                let resource = self.cfg.resource_parameter.then(|| {
                    self.cfg
                        .resource
                        .clone()
                        .unwrap_or_else(|| discovery::canonical_resource(&self.cfg.server))
                });
                AuthServer::without_metadata(
                    te.origin().ascii_serialization(),
                    te.clone(),
                    c.scope.clone(),
                    resource,
                )
            }
            (Err(e), None) => return Err(failed(&self.cfg.server, e)),
        };
        known.server = Some(s.clone());
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only a person's grants ask for a refresh token: a grant with no
    /// person gets none (RFC 6749 §4.4.3) and asks again instead, and a
    /// refresh keeps the scope the token had.
    #[test]
    fn only_a_persons_grants_ask_for_offline_access() {
        let mut server = AuthServer::without_metadata(
            "https://as.example".into(),
            url::Url::parse("https://as.example/token").unwrap(),
            Some("read".into()),
            None,
        );
        server.offline_access = true;
        let scope = |person: bool| server.scope_for(None, person);
        let person = [
            authorization_code::AuthorizationCode::PERSON,
            device_code::DeviceCode::PERSON,
        ];
        for p in person {
            assert_eq!(scope(p).as_deref(), Some("read offline_access"));
        }
        let machine = [
            client_credentials::ClientCredentials::PERSON,
            <jwt_bearer::JwtBearer<'static> as Grant>::PERSON,
            <enterprise::Enterprise<'static> as Grant>::PERSON,
            <refresh::Refresh<'static> as Grant>::PERSON,
        ];
        for p in machine {
            assert_eq!(scope(p).as_deref(), Some("read"));
        }
    }
}
