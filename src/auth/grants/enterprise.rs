//! Enterprise-managed authorization (SEP-990, "cross-app access"): the
//! person's identity provider vouches for them to the MCP server's
//! authorization server. The bridge exchanges an ID token from the IdP for
//! an ID-JAG at the IdP (RFC 8693 token exchange, `audience` = the
//! authorization server's issuer, `resource` = the MCP server) and presents
//! that to the authorization server with the jwt-bearer grant and the
//! client's own authentication. ID tokens and ID-JAGs are secrets: kept out
//! of every log like tokens.

use super::{Assertion, Grant, Opening};
use crate::auth::endpoints::{basic_auth, call, TokenRequest};
use crate::auth::server::AuthServer;
use crate::auth::store::Tokens;
use crate::auth::{Auth, Error, Known, Refused};
use crate::secret::Secret;
use crate::text::clean;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::Value;
use url::Url;

const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
/// The token type of an Identity Assertion JWT Authorization Grant.
pub const ID_JAG_TYPE: &str = "urn:ietf:params:oauth:token-type:id-jag";

/// The grant: an ID-JAG from the identity provider, presented with the
/// jwt-bearer grant. No refresh token: a new ID-JAG, and token, are
/// fetched before the token expires.
pub(super) struct Enterprise<'a>(pub &'a Idp);

impl Grant for Enterprise<'_> {
    const PERSON: bool = false;

    async fn obtain(&self, auth: &Auth, _: &mut Known, at: Opening) -> Result<Tokens, Error> {
        let idp = self.0;
        // The IdP's metadata, read once for the sign-in there (which needs
        // its authorization endpoint) and the exchange.
        let at_idp = idp
            .server(&auth.http, auth.cfg.allow_http, idp.id_token.is_none())
            .await?;
        let id_token = auth.idp_id_token(idp, &at_idp).await?;
        let assertion = idp
            .id_jag(&auth.http, &at_idp, &at.server, &id_token)
            .await?;
        let request = TokenRequest::JwtBearer {
            assertion: &assertion,
            scope: at.scope.as_deref(),
        };
        auth.machine_tokens(&at.server, request).await
    }
}

/// The identity provider, from `--idp-issuer`, `--idp-client-id`,
/// `--idp-client-secret` and `--idp-id-token`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idp {
    /// Its issuer (OpenID Connect discovery starts there).
    pub issuer: Url,
    /// The bridge's client id at the IdP.
    pub client_id: String,
    /// Its secret there, if the IdP wants one.
    pub client_secret: Option<Secret>,
    /// An ID token handed in (automation), instead of a sign-in at the IdP.
    pub id_token: Option<Assertion>,
}

impl Idp {
    /// The ID-JAG for the authorization server `server` (the protected
    /// resource is its `resource`), for the person's `id_token`, from the
    /// identity provider (`at_idp`, its metadata).
    pub async fn id_jag(
        &self,
        http: &crate::http::reach::Guarded,
        at_idp: &AuthServer,
        server: &AuthServer,
        id_token: &str,
    ) -> Result<String, Refused> {
        let plain = Refused::plain;
        let endpoint = at_idp.token_endpoint.clone();
        let resource = server.resource.clone().unwrap_or_default();
        let form = [
            ("grant_type", TOKEN_EXCHANGE),
            ("subject_token", id_token),
            ("subject_token_type", ID_TOKEN_TYPE),
            ("requested_token_type", ID_JAG_TYPE),
            ("audience", server.issuer.as_str()),
            ("resource", resource.as_str()),
        ];
        let mut pairs: Vec<(&str, &str)> = form.to_vec();
        if self.client_secret.is_none() {
            pairs.push(("client_id", &self.client_id));
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let mut req = http
            .post(endpoint.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        if let Some(secret) = &self.client_secret {
            let v = basic_auth(&self.client_id, secret.expose())
                .map_err(|e| plain(crate::text::Chain(&e).to_string()))?;
            req = req.header(AUTHORIZATION, v);
        }
        let answer = call(
            http,
            &endpoint,
            "the token exchange at the identity provider",
            req,
        )
        .await?;
        let jag = answer
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && s.len() <= 64 * 1024);
        let kind = answer.get("issued_token_type").and_then(Value::as_str);
        match (jag, kind) {
            (Some(j), Some(ID_JAG_TYPE)) => {
                tracing::info!(
                    "the identity provider issued an ID-JAG for {}",
                    server.issuer
                );
                Ok(j.to_owned())
            }
            (Some(_), other) => Err(plain(format!(
                "the identity provider issued {:?}, not an ID-JAG",
                clean(other.unwrap_or("no issued_token_type"), 100)
            ))),
            (None, _) => Err(plain(
                "the identity provider's answer has no access_token".into(),
            )),
        }
    }
}
