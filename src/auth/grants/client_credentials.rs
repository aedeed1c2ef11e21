//! The grants with no person at a browser: client credentials (the
//! client's secret or a signed assertion, RFC 6749 §4.4 with RFC 7523 §2.2)
//! and jwt-bearer with an externally issued JWT (RFC 7523 §2.1: a
//! Kubernetes service-account token, a CI job's OIDC token). Neither
//! expects a refresh token: a new token is fetched before the old one
//! expires. A refusal surfaces as the authorization server said it, with
//! no retry loop and no switch to another grant.

use super::jwt::SigningKey;
use super::server::AuthServer;
use super::store::Client;
use super::{failed, token, Auth, GrantMode, Known};
use crate::http::challenge::Challenge;
use crate::http::error::UpstreamError;

impl Auth {
    /// Get a token with the configured grant without a person; the lock is held.
    pub(super) async fn machine_grant(
        &self,
        known: &mut Known,
        c: &Challenge,
        scope: Option<String>,
    ) -> Result<(), UpstreamError> {
        let url = &self.cfg.server;
        let server = self.server(known, c).await?;
        let scope = server.scope_for(scope, false);
        let client = self.machine_client(&server);
        let assertion;
        let grant = match &self.cfg.grant {
            GrantMode::ClientCredentials => token::Grant::ClientCredentials {
                scope: scope.as_deref(),
            },
            GrantMode::JwtBearer(a) => {
                assertion = a.read().map_err(|e| failed(url, e))?;
                token::Grant::JwtBearer {
                    assertion: &assertion,
                    scope: scope.as_deref(),
                }
            }
            GrantMode::Enterprise(idp) => {
                // The IdP's metadata, read once for the sign-in there (which
                // needs its authorization endpoint) and the exchange.
                let at_idp = idp
                    .server(&self.http, self.cfg.allow_http, idp.id_token.is_none())
                    .await
                    .map_err(|e| failed(url, e))?;
                let id_token = self.idp_id_token(idp, &at_idp).await?;
                assertion = idp
                    .id_jag(&self.http, &at_idp, &server, &id_token)
                    .await
                    .map_err(|r| failed(url, r))?;
                token::Grant::JwtBearer {
                    assertion: &assertion,
                    scope: scope.as_deref(),
                }
            }
            GrantMode::Browser | GrantMode::DeviceCode => {
                unreachable!("a person's grants sign in elsewhere")
            }
        };
        let dpop = self.dpop_key(&server).map_err(|e| failed(url, e))?;
        let proofs = self.proofs(&client, dpop.as_deref());
        let got = token::tokens(&self.http, &server, &client, &proofs, grant).await;
        match got {
            Ok(t) => {
                tracing::info!(
                    "got an access token with the {} grant",
                    self.cfg.grant.name()
                );
                self.save(&server, None, Some(&t)).await;
                self.adopt(Some(t));
                Ok(())
            }
            Err(r) => Err(failed(url, r)),
        }
    }

    /// The client a machine grant authenticates as: the static one, its
    /// authentication chosen from what the authorization server lists (a
    /// signed assertion when there is a key; else Basic, else form fields).
    fn machine_client(&self, server: &AuthServer) -> Client {
        let mut client = self.cfg.static_client.clone().unwrap_or_else(|| Client {
            client_id: String::new(),
            client_secret: None,
            auth_method: Some("none".into()),
            redirect_uri: String::new(),
            issuer: String::new(),
            dynamic: false,
            scope: None,
        });
        if client.auth_method.is_none() && client.client_secret.is_some() {
            let listed = |m: &str| server.auth_methods.iter().any(|x| x == m);
            let method = if !listed("client_secret_basic") && listed("client_secret_post") {
                "client_secret_post"
            } else {
                "client_secret_basic"
            };
            client.auth_method = Some(method.into());
        }
        client.issuer = server.issuer.clone();
        client
    }

    /// The signing key, for the configured client only.
    pub(super) fn key_for(&self, client: &Client) -> Option<&SigningKey> {
        let configured = self.cfg.static_client.as_ref()?;
        (configured.client_id == client.client_id)
            .then_some(self.cfg.assertion_key.as_deref())
            .flatten()
    }
}
