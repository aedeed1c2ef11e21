//! The person's sign-in at the enterprise identity provider, for
//! enterprise-managed authorization without `--idp-id-token`: OpenID
//! Connect's authorization code flow with PKCE in the browser (the same
//! listener, paste-back and `iss` check as the MCP sign-in), scope
//! `openid`. The ID token (and the IdP's refresh token) are kept in the
//! token store under the identity provider's own key, so one sign-in there
//! serves every MCP server that trusts it, and an expired ID token is
//! renewed with the refresh token before the browser is opened again.
//!
//! The ID token is not verified here: it comes straight from the IdP's
//! token endpoint over TLS (OpenID Connect Core §3.1.3.7) and goes back to
//! that same IdP, which verifies it in the token exchange.

use super::enterprise::Idp;
use crate::auth::discovery::{authorization_metadata, from_metadata};
use crate::auth::endpoints::{self, TokenRequest};
use crate::auth::server::AuthServer;
use crate::auth::store::{now, Backend, Client, Credentials, Meta, Tokens};
use crate::auth::{pkce, Auth, DiscoveryError, Error, FlowError};
use base64::Engine;

/// An ID token this close to its expiry is renewed first.
const AHEAD: u64 = 60;
/// How `status` names a sign-in at an identity provider.
const GRANT: &str = "OpenID Connect sign-in (identity provider)";

impl Idp {
    /// The key its sign-in is stored under: its issuer and the bridge's
    /// client there, whatever MCP server asked.
    fn key(&self) -> String {
        let ident = format!("idp\n{}\n{}", self.issuer, self.client_id);
        pkce::sha256_hex(ident.as_bytes())[..32].to_owned()
    }

    /// Its endpoints, from its metadata (OpenID Connect discovery, or RFC
    /// 8414); `browser`: a person signs in there.
    pub(super) async fn server(
        &self,
        http: &crate::http::reach::Guarded,
        allow_http: bool,
        browser: bool,
    ) -> Result<AuthServer, Error> {
        let meta = authorization_metadata(http, &self.issuer)
            .await?
            .ok_or_else(|| DiscoveryError::NoIdpMetadata {
                issuer: self.issuer.clone(),
            })?;
        let mut server = from_metadata(&meta, &self.issuer, allow_http, browser)
            .map_err(|e| DiscoveryError::IdentityProvider(Box::new(e)))?;
        server.scope = Some("openid".into());
        Ok(server)
    }

    /// The bridge as the IdP's client, for a sign-in to `redirect`.
    fn client(&self, redirect: &str, issuer: &str) -> Client {
        Client {
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            auth_method: Some(
                if self.client_secret.is_some() {
                    "client_secret_basic"
                } else {
                    "none"
                }
                .into(),
            ),
            redirect_uri: redirect.to_owned(),
            issuer: issuer.to_owned(),
            dynamic: false,
            scope: None,
        }
    }
}

/// When an ID token expires: its `exp` claim (read, not verified: only
/// to know when to renew it), else the token answer's lifetime.
fn expiry(id_token: &str) -> Option<u64> {
    let payload = id_token.split('.').nth(1)?;
    let claims: serde_json::Value = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()
        .and_then(|raw| serde_json::from_slice(&raw).ok())?;
    claims["exp"].as_u64()
}

/// The ID token of `t` when it is good for a while yet.
fn usable(t: &Tokens) -> Option<String> {
    let id = t.id_token.as_ref()?;
    let until = expiry(id.expose()).or(t.expires_at);
    until
        .is_none_or(|u| u > now() + AHEAD)
        .then(|| id.expose().to_owned())
}

impl Auth {
    /// The person's ID token at `idp` (`server`, its metadata): handed in,
    /// stored and still good, renewed with the stored refresh token, or from
    /// a sign-in in the browser. The lock is held.
    pub(super) async fn idp_id_token(
        &self,
        idp: &Idp,
        server: &AuthServer,
    ) -> Result<String, Error> {
        if let Some(t) = &idp.id_token {
            return t.read();
        }
        let key = idp.key();
        let stored = self.read_store(&key).await.and_then(|(_, s)| s.tokens);
        if let Some(id) = stored.as_ref().and_then(usable) {
            tracing::debug!("using the stored ID token from {}", idp.issuer);
            return Ok(id);
        }
        if let Some(rt) = stored.and_then(|t| t.refresh_token) {
            let client = idp.client("", &server.issuer);
            let proofs = self.proofs(&client, None);
            let request = TokenRequest::Refresh(rt.expose());
            match endpoints::tokens(&self.http, server, &client, &proofs, request).await {
                Ok(mut t) => {
                    if t.refresh_token.is_none() {
                        t.refresh_token = Some(rt);
                    }
                    // Just issued: used even when it is short-lived.
                    if let Some(id) = t.id_token.as_ref().map(|i| i.expose().to_owned()) {
                        tracing::info!("renewed the ID token at {}", idp.issuer);
                        self.save_idp(&key, idp, &t).await;
                        return Ok(id);
                    }
                    tracing::info!(
                        "the identity provider's refresh gave no ID token; signing in there again"
                    );
                }
                Err(r) => {
                    tracing::info!("{}; signing in at the identity provider again", r.message)
                }
            }
        }
        let l = self.listen().await?;
        let redirect = l.redirect_uri();
        let client = idp.client(&redirect, &server.issuer);
        let host = idp.issuer.host_str().unwrap_or("the identity provider");
        let (mut cb, pkce) = self
            .authorize_in_browser(server, &client, Some("openid"), l, host)
            .await?;
        let request = TokenRequest::Code {
            code: &cb.code,
            verifier: &pkce.verifier,
            redirect_uri: &redirect,
        };
        let proofs = self.proofs(&client, None);
        let t = endpoints::tokens(&self.http, server, &client, &proofs, request).await?;
        let Some(id) = t.id_token.as_ref().map(|i| i.expose().to_owned()) else {
            return Err(FlowError::NoIdToken.into());
        };
        cb.signed_in();
        eprintln!("mcp-bridge: signed in to {host}.");
        self.save_idp(&key, idp, &t).await;
        Ok(id)
    }

    /// Keep a sign-in at an identity provider for later runs and servers.
    async fn save_idp(&self, key: &str, idp: &Idp, t: &Tokens) {
        let meta = Meta {
            url: idp.issuer.to_string(),
            resource: String::new(),
            issuer: Some(idp.issuer.to_string()),
            store: Backend::File,
            expires_at: None,
            refreshable: false,
            updated_at: 0,
            grant: Some(GRANT.into()),
            dpop: false,
            bearer_only: false,
        };
        let secret = Credentials {
            client: None,
            tokens: Some(t.clone()),
            dpop_key: None,
        };
        self.write_store(key, meta, secret).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(id: &str, expires_at: Option<u64>) -> Tokens {
        Tokens {
            access_token: "a".into(),
            refresh_token: None,
            expires_at,
            scope: None,
            issued_at: now(),
            dpop: false,
            id_token: Some(id.into()),
        }
    }

    fn jwt(exp: u64) -> String {
        let b = |v: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        format!(
            "{}.{}.sig",
            b(serde_json::json!({"alg": "RS256"})),
            b(serde_json::json!({"exp": exp, "iss": "https://idp.example"}))
        )
    }

    #[test]
    fn an_id_token_is_used_until_shortly_before_it_expires() {
        let soon = now() + AHEAD / 2;
        let later = now() + 3600;
        // The token's own exp wins over the answer's lifetime.
        assert!(usable(&tokens(&jwt(later), Some(soon))).is_some());
        assert!(usable(&tokens(&jwt(soon), Some(later))).is_none());
        // An opaque one lasts as long as the answer said.
        assert!(usable(&tokens("opaque", Some(later))).is_some());
        assert!(usable(&tokens("opaque", Some(soon))).is_none());
        let mut none = tokens("x", None);
        none.id_token = None;
        assert!(usable(&none).is_none());
    }
}
