//! The authorization servers whose tokens `serve` accepts (`--auth-issuer`),
//! and their keys: each issuer's metadata is found as RFC 8414 says
//! (`/.well-known/oauth-authorization-server`, then OpenID Connect's
//! `/.well-known/openid-configuration`), its `issuer` must be the one
//! configured, and its `jwks_uri` gives the keys, which are kept for an
//! hour and fetched again sooner when a token names a key not among them
//! (at most every [`REFETCH_AFTER`], so that tokens with made-up key ids
//! cannot make the server hammer the issuer).
//!
//! A token's `iss` picks the issuer before anything is fetched: a token
//! never makes `serve` reach a URL that was not configured. Fetches are
//! bounded in time and size, follow no redirect, and happen one at a time
//! per issuer.

use super::fetch::{self, BodyError};
use super::introspect::IntrospectError;
use super::tokens::{self, Claims, Invalid, Jwk, Remembered};
use bytes::Bytes;
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long keys are kept before they are fetched again.
const KEYS_FOR: Duration = Duration::from_secs(3600);
/// How soon keys may be fetched again for a key id not among them.
pub const REFETCH_AFTER: Duration = Duration::from_secs(30);
/// How long one fetch may take.
const FETCH_LIMIT: Duration = Duration::from_secs(10);
/// The largest metadata document or JWKS read.
const MAX_DOCUMENT: usize = 512 * 1024;
/// The most keys kept of a JWKS.
const MAX_KEYS: usize = 100;

/// Why an issuer's keys could not be had.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The request failed.
    #[error("cannot fetch {url}")]
    Request {
        /// What was fetched.
        url: String,
        /// Why.
        source: reqwest::Error,
    },
    /// An answer other than 200.
    #[error("{url} answered {status}")]
    Status {
        /// What was fetched.
        url: String,
        /// The status.
        status: u16,
    },
    /// Larger than [`MAX_DOCUMENT`].
    #[error("{url} is larger than {MAX_DOCUMENT} bytes")]
    TooLarge {
        /// What was fetched.
        url: String,
    },
    /// Not the JSON expected.
    #[error("{url} is not the JSON document expected")]
    Shape {
        /// What was fetched.
        url: String,
    },
    /// The metadata names another issuer (RFC 8414, 3.3).
    #[error("the metadata of {issuer} names another issuer")]
    OtherIssuer {
        /// The configured issuer.
        issuer: String,
    },
}

/// Why a token was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The token is not good (401).
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Its issuer's keys could not be had (503).
    #[error("the issuer's keys cannot be fetched")]
    Unreachable(#[source] FetchError),
    /// The introspection endpoint gave no answer to go by (503).
    #[error("the token could not be introspected")]
    Introspection(#[source] IntrospectError),
}

struct KeySet {
    keys: Arc<Vec<Jwk>>,
    fetched: Option<Instant>,
}

struct Issuer {
    url: String,
    keys: tokio::sync::Mutex<KeySet>,
}

/// The configured issuers.
pub struct Issuers {
    list: Vec<Issuer>,
    client: reqwest::Client,
    /// Tokens verified already, until they expire: a signature is checked
    /// once.
    verified: Remembered,
}

impl std::fmt::Debug for Issuers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let urls: Vec<&str> = self.urls().collect();
        write!(f, "Issuers({urls:?})")
    }
}

impl Issuers {
    /// The issuers of `urls`, their keys fetched when first needed.
    pub fn new(urls: &[String]) -> Result<Issuers, reqwest::Error> {
        let client = fetch::client(FETCH_LIMIT)?;
        let list = urls
            .iter()
            .map(|u| Issuer {
                url: u.clone(),
                keys: tokio::sync::Mutex::new(KeySet {
                    keys: Arc::new(Vec::new()),
                    fetched: None,
                }),
            })
            .collect();
        Ok(Issuers {
            list,
            client,
            verified: Remembered::default(),
        })
    }

    /// The issuers' URLs.
    pub fn urls(&self) -> impl Iterator<Item = &str> {
        self.list.iter().map(|i| i.url.as_str())
    }

    /// The claims of `token`, once it is found good for `audience` (one
    /// audience per server: what is remembered was checked for it).
    pub async fn check(&self, token: &str, audience: &str) -> Result<Claims, CheckError> {
        let digest = tokens::memory_key(token, audience);
        let now = tokens::now();
        if let Some(claims) = self.verified.get(&digest, now) {
            return Ok(claims);
        }
        let claims = self.verify(token, audience, now).await?;
        let until = claims.valid_until();
        self.verified.keep(digest, claims.clone(), until, now);
        Ok(claims)
    }

    /// The claims of `token`, its signature checked.
    async fn verify(&self, token: &str, audience: &str, now: u64) -> Result<Claims, CheckError> {
        let unverified = tokens::read(token)?;
        let issuer = self
            .list
            .iter()
            .find(|i| tokens::same_identifier(&i.url, &unverified.claims.iss))
            .ok_or(Invalid::Issuer)?;
        let keys = {
            let mut set = issuer.keys.lock().await;
            let stale = set.fetched.is_none_or(|t| t.elapsed() >= KEYS_FOR);
            let unknown = unverified.candidates(&set.keys).is_empty()
                && set.fetched.is_none_or(|t| t.elapsed() >= REFETCH_AFTER);
            if stale || unknown {
                match self.fetch_keys(&issuer.url).await {
                    Ok(keys) => {
                        set.keys = Arc::new(keys);
                        set.fetched = Some(Instant::now());
                    }
                    // Keys fetched before keep serving while the issuer is
                    // away; with none, nothing can be checked.
                    Err(e) if set.keys.is_empty() => return Err(CheckError::Unreachable(e)),
                    Err(e) => tracing::warn!("{e}", e = crate::text::Chain(&e)),
                }
            }
            Arc::clone(&set.keys)
        };
        Ok(unverified.verify(&keys, audience, now)?)
    }

    /// The keys of `issuer`'s JWKS, found through its metadata.
    async fn fetch_keys(&self, issuer: &str) -> Result<Vec<Jwk>, FetchError> {
        #[derive(Deserialize)]
        struct Metadata {
            issuer: String,
            jwks_uri: String,
        }
        #[derive(Deserialize)]
        struct Set {
            keys: Vec<serde_json::Value>,
        }
        let mut last = None;
        let mut found = None;
        for url in metadata_urls(issuer) {
            match self.get(&url).await {
                Ok(body) => {
                    let m: Metadata = serde_json::from_slice(&body)
                        .map_err(|_| FetchError::Shape { url: url.clone() })?;
                    if !tokens::same_identifier(&m.issuer, issuer) {
                        return Err(FetchError::OtherIssuer {
                            issuer: issuer.to_owned(),
                        });
                    }
                    found = Some(m.jwks_uri);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let Some(jwks_uri) = found else {
            return Err(last.unwrap_or(FetchError::Shape {
                url: issuer.to_owned(),
            }));
        };
        let body = self.get(&jwks_uri).await?;
        let set: Set =
            serde_json::from_slice(&body).map_err(|_| FetchError::Shape { url: jwks_uri })?;
        let keys: Vec<Jwk> = set
            .keys
            .into_iter()
            .filter_map(|k| serde_json::from_value(k).ok())
            .take(MAX_KEYS)
            .collect();
        tracing::info!("{issuer}: {} signing keys", keys.len());
        Ok(keys)
    }

    /// GET `url`: its body, bounded.
    async fn get(&self, url: &str) -> Result<Bytes, FetchError> {
        let fail = |source| FetchError::Request {
            url: url.to_owned(),
            source,
        };
        let resp = self
            .client
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(fail)?;
        if resp.status() != reqwest::StatusCode::OK {
            return Err(FetchError::Status {
                url: url.to_owned(),
                status: resp.status().as_u16(),
            });
        }
        match fetch::body(resp, MAX_DOCUMENT).await {
            Ok(body) => Ok(Bytes::from(body)),
            Err(BodyError::Request(e)) => Err(fail(e)),
            Err(BodyError::TooLarge) => Err(FetchError::TooLarge {
                url: url.to_owned(),
            }),
        }
    }
}

/// Where an issuer's metadata may be, in the order RFC 8414 (section 3.1,
/// the well-known name between the host and the path) and OpenID Connect
/// Discovery (appended to the issuer) put it.
fn metadata_urls(issuer: &str) -> Vec<String> {
    let issuer = issuer.trim_end_matches('/');
    let (origin, path) = match issuer.find("://").map(|i| i + 3) {
        Some(start) => match issuer[start..].find('/') {
            Some(p) => issuer.split_at(start + p),
            None => (issuer, ""),
        },
        None => (issuer, ""),
    };
    vec![
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
        format!("{issuer}/.well-known/openid-configuration"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_verified_token_is_remembered_until_it_expires() {
        let issuers = Issuers::new(&["http://127.0.0.1:1".to_owned()]).unwrap();
        let token = "not.a.jwt";
        let claims: Claims =
            serde_json::from_value(serde_json::json!({"iss": "http://127.0.0.1:1", "sub": "ada"}))
                .unwrap();
        let digest = tokens::memory_key(token, "http://127.0.0.1:8080/mcp");
        let remember = |until| {
            issuers
                .verified
                .keep(digest, claims.clone(), until, tokens::now())
        };
        remember(tokens::now() + 60);
        let got = issuers
            .check(token, "http://127.0.0.1:8080/mcp")
            .await
            .unwrap();
        assert_eq!(got.sub.as_deref(), Some("ada"));
        // Remembered for that audience only: at another server, checked.
        assert!(matches!(
            issuers
                .check(token, "http://127.0.0.1:8080/servers/b/mcp")
                .await,
            Err(CheckError::Invalid(Invalid::Malformed))
        ));
        // Past its time it is checked again (and this one is no JWT).
        remember(tokens::now() - 1);
        assert!(matches!(
            issuers.check(token, "http://127.0.0.1:8080/mcp").await,
            Err(CheckError::Invalid(Invalid::Malformed))
        ));
    }

    #[test]
    fn metadata_is_looked_for_where_the_rfcs_put_it() {
        assert_eq!(
            metadata_urls("https://idp.example/tenant/v2/"),
            [
                "https://idp.example/.well-known/oauth-authorization-server/tenant/v2",
                "https://idp.example/tenant/v2/.well-known/openid-configuration"
            ]
        );
        assert_eq!(
            metadata_urls("http://localhost:9000"),
            [
                "http://localhost:9000/.well-known/oauth-authorization-server",
                "http://localhost:9000/.well-known/openid-configuration"
            ]
        );
    }
}
