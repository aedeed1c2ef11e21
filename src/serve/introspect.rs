//! Opaque access tokens, asked about at the authorization server's
//! introspection endpoint (RFC 7662, `--introspection-url`) with this
//! server's client credentials (HTTP Basic, RFC 7662 2.1). A token is
//! taken when the answer says it is `active`, names this server in `aud`
//! (RFC 8707: a token not bound to a resource could have been meant for
//! any), has not expired, and comes from a configured issuer when it
//! names one.
//!
//! Answers are remembered (by the token's digest) for at most
//! [`REMEMBER`], and never past the token's expiry, so that a revoked token
//! stops working within that time and a client's calls do not each cost a
//! round trip. The endpoint is reached with no redirect, bounded in time
//! and size, one token at a time.

use super::fetch::{self, BodyError};
use super::tokens::{self, Claims, Invalid, Remembered};
use crate::secret::Secret;
use serde::Deserialize;
use std::time::Duration;

/// How long an answer is remembered, at most.
pub const REMEMBER: Duration = Duration::from_secs(60);
/// How long one introspection may take.
const LIMIT: Duration = Duration::from_secs(10);
/// The largest answer read.
const MAX_ANSWER: usize = 64 * 1024;

/// Why the endpoint gave no answer to go by.
#[derive(Debug, thiserror::Error)]
pub enum IntrospectError {
    /// The request failed.
    #[error("cannot reach the introspection endpoint")]
    Request(#[source] reqwest::Error),
    /// An answer other than 200.
    #[error("the introspection endpoint answered {0}")]
    Status(u16),
    /// Not the JSON RFC 7662 describes, or too large.
    #[error("the introspection endpoint's answer is not RFC 7662 JSON")]
    Shape,
}

/// The introspection endpoint and this server's credentials there.
pub struct Introspection {
    url: String,
    client_id: String,
    secret: Secret,
    client: reqwest::Client,
    remembered: Remembered,
}

impl std::fmt::Debug for Introspection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Introspection({}, client {})", self.url, self.client_id)
    }
}

/// RFC 7662 2.2: the claims of an active token.
#[derive(Deserialize)]
struct Answer {
    active: bool,
    #[serde(flatten)]
    claims: Claims,
}

impl Introspection {
    /// The endpoint `url`, asked as the client `client_id` with `secret`.
    pub fn new(
        url: String,
        client_id: String,
        secret: Secret,
    ) -> Result<Introspection, reqwest::Error> {
        let client = fetch::client(LIMIT)?;
        Ok(Introspection {
            url,
            client_id,
            secret,
            client,
            remembered: Remembered::default(),
        })
    }

    /// The claims of `token`, when the endpoint says it is active and it is
    /// for `audience` from one of `issuers` (any, when it names none).
    pub async fn check(
        &self,
        token: &str,
        audience: &str,
        issuers: &[&str],
    ) -> Result<Result<Claims, Invalid>, IntrospectError> {
        let digest = tokens::memory_key(token, audience);
        let now = tokens::now();
        if let Some(claims) = self.remembered.get(&digest, now) {
            return Ok(Ok(claims));
        }
        let answer = self.ask(token).await?;
        if !answer.active {
            return Ok(Err(Invalid::Inactive));
        }
        let c = answer.claims;
        if !c.iss.is_empty() && !issuers.iter().any(|i| tokens::same_identifier(i, &c.iss)) {
            return Ok(Err(Invalid::Issuer));
        }
        if let Err(e) = c.check_audience_and_time(audience, now) {
            return Ok(Err(e));
        }
        let until = (now + REMEMBER.as_secs()).min(c.valid_until());
        self.remembered.keep(digest, c.clone(), until, now);
        Ok(Ok(c))
    }

    /// POST the token to the endpoint.
    async fn ask(&self, token: &str) -> Result<Answer, IntrospectError> {
        let form = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", token)
            .append_pair("token_type_hint", "access_token")
            .finish();
        let resp = self
            .client
            .post(&self.url)
            .basic_auth(
                form_encode(&self.client_id),
                Some(form_encode(self.secret.expose())),
            )
            .header("accept", "application/json")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .map_err(IntrospectError::Request)?;
        if resp.status() != reqwest::StatusCode::OK {
            return Err(IntrospectError::Status(resp.status().as_u16()));
        }
        let body = match fetch::body(resp, MAX_ANSWER).await {
            Ok(body) => body,
            Err(BodyError::Request(e)) => return Err(IntrospectError::Request(e)),
            Err(BodyError::TooLarge) => return Err(IntrospectError::Shape),
        };
        serde_json::from_slice(&body).map_err(|_| IntrospectError::Shape)
    }
}

/// A client id or secret as HTTP Basic carries it for OAuth: form-encoded
/// first (RFC 6749, 2.3.1).
fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_reads_as_rfc_7662_says() {
        let a: Answer = serde_json::from_str(
            r#"{"active":true,"sub":"ada","aud":"http://127.0.0.1:8080/mcp","exp":4000000000,"scope":"a b","iss":"https://idp","token_type":"Bearer"}"#,
        )
        .unwrap();
        assert!(a.active);
        assert_eq!(a.claims.scopes(), ["a", "b"]);
        assert!(a
            .claims
            .check_audience_and_time("http://127.0.0.1:8080/mcp", 1)
            .is_ok());
        assert_eq!(
            a.claims.check_audience_and_time("http://other/mcp", 1),
            Err(Invalid::Audience)
        );
        let inactive: Answer = serde_json::from_str(r#"{"active":false}"#).unwrap();
        assert!(!inactive.active);
        assert_eq!(form_encode("a b:c"), "a+b%3Ac");
    }
}
