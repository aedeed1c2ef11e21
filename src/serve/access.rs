//! Who may reach the server, checked on every request to an MCP path
//! before its body is read or a child started:
//!
//! - **The guard** against DNS rebinding first (`serve/guard.rs`).
//! - **Bearer keys** (`--bearer-token-file`): a request must carry
//!   `Authorization: Bearer` with one of the file's keys, or it gets 401
//!   with `WWW-Authenticate` (RFC 6750, 3) (`serve/keys.rs`).
//! - **Tokens of an authorization server** (`--auth-issuer`): `serve` is an
//!   OAuth 2.1 resource server. It publishes its protected-resource
//!   metadata (RFC 9728) naming the issuers, answers 401 with a challenge
//!   that points to it, and takes a JWT access token an issuer signed for
//!   this resource (`serve/tokens.rs`, `serve/issuers.rs`); a token without
//!   a scope `--require-scope` names gets 403 `insufficient_scope`.
//!
//! The principal found, never the token, is logged and bound to the
//! sessions it starts: a session is not reached by anyone else. Nothing of
//! the credentials reaches a server process.

use super::dpop;
use super::introspect::Introspection;
use super::issuers::{CheckError, Issuers};
use super::keys::Keys;
use super::reply::{rpc_error, Body};
use super::tokens::{self, Claims, Invalid};
use super::{Front, Via};
use crate::jsonrpc::{self, Message, Method};
use crate::secret::Secret;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, RETRY_AFTER, WWW_AUTHENTICATE};
use hyper::{Request, Response, StatusCode};
use std::borrow::Cow;
use std::sync::Arc;

/// Where the protected-resource metadata is (RFC 9728, 3).
pub const METADATA_PATH: &str = "/.well-known/oauth-protected-resource";
/// The longest `Authorization` value read.
const MAX_CREDENTIALS: usize = 8192;

/// Who a request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No authentication is configured.
    Anyone,
    /// The holder of the key on this line of `--bearer-token-file`
    /// (counting from 1, blank lines and comments included).
    Key(usize),
    /// The subject of a token an issuer signed, with the scopes it grants.
    Subject {
        /// The issuer.
        issuer: String,
        /// `sub` (or, without one, the client's id).
        subject: String,
        /// The scopes granted.
        scopes: Vec<String>,
        /// The environment variables its sessions' server processes get
        /// from its claims (`--pass-claims-env`).
        env: Vec<(String, Secret)>,
    },
}

impl Principal {
    /// Whether `other` is the same holder (whatever the scopes of its
    /// token now): the one a session answers.
    pub fn same_holder(&self, other: &Principal) -> bool {
        match (self, other) {
            (
                Principal::Subject {
                    issuer: a,
                    subject: x,
                    ..
                },
                Principal::Subject {
                    issuer: b,
                    subject: y,
                    ..
                },
            ) => a == b && x == y,
            _ => self == other,
        }
    }
}

impl std::fmt::Display for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Principal::Anyone => f.write_str("anyone"),
            Principal::Key(line) => write!(f, "the key of line {line}"),
            Principal::Subject {
                issuer,
                subject,
                scopes,
                ..
            } => write!(
                f,
                "{} of {} (scopes: {})",
                crate::text::clean(subject, 100),
                crate::text::clean(issuer, 200),
                crate::text::clean(&scopes.join(" "), 300)
            ),
        }
    }
}

/// What a request must present: one of the bearer keys, or a token one of
/// the issuers signed for this resource, with the scopes it needs.
#[derive(Debug, Clone)]
pub struct Auth {
    /// `--bearer-token-file`.
    pub keys: Option<Arc<Keys>>,
    /// `--auth-issuer`, whose keys every server of a `--config` shares.
    pub issuers: Option<Arc<Issuers>>,
    /// `--introspection-url`, for opaque tokens.
    pub introspection: Option<Arc<Introspection>>,
    /// This server as a resource (RFC 8707), as its metadata names it.
    pub resource: String,
    /// What tokens must name as their audience (the resource, unless
    /// `--audience` says otherwise).
    pub audience: String,
    /// Whether `--audience` named it, for every server of a `--config`.
    pub fixed_audience: bool,
    /// Where its protected-resource metadata is (RFC 9728).
    pub metadata_url: String,
    /// Scopes every request needs (`--require-scope`).
    pub required: Vec<String>,
    /// The URL clients reach this server by (with a proxy's prefix), which
    /// a DPoP proof's `htu` names with the request's path.
    pub public: String,
    /// The DPoP proofs taken, against replay.
    pub seen: Arc<dpop::Seen>,
    /// The scope a call of a tool needs (`--tool-scope TOOL=SCOPE`).
    pub tool_scopes: Vec<(String, String)>,
    /// Claims passed to a session's server process as environment
    /// variables (`--pass-claims-env CLAIM=VAR`).
    pub claims_env: Vec<(String, String)>,
}

impl Auth {
    /// The same credentials for the server at `path` (one of a
    /// `--config`), which needs `required` and `tool_scopes` besides: its
    /// own resource identifier and metadata, and its own audience unless
    /// `--audience` names one for all.
    pub fn at(&self, path: &str, required: &[String], tool_scopes: &[(String, String)]) -> Auth {
        let mut a = self.moved(&self.public, path);
        a.required.extend(required.iter().cloned());
        a.tool_scopes.extend(tool_scopes.iter().cloned());
        a.seen = Arc::default();
        a
    }

    /// The same server (at `path`) reached at `public`, as a trusted proxy
    /// says: its resource, metadata and audience (unless `--audience` fixes
    /// it) made from that URL; the proofs taken are remembered as one.
    pub fn moved(&self, public: &str, path: &str) -> Auth {
        let (resource, metadata_url) = Auth::locations(public, path);
        Auth {
            audience: if self.fixed_audience {
                self.audience.clone()
            } else {
                resource.clone()
            },
            resource,
            metadata_url,
            public: public.trim_end_matches('/').to_owned(),
            ..self.clone()
        }
    }

    /// The claims of `token`: a JWT is checked with its issuer's keys, and
    /// anything else (or everything, with no issuer) asked about at the
    /// introspection endpoint.
    async fn claims_of(&self, token: &str) -> Result<Claims, CheckError> {
        if let Some(issuers) = &self.issuers {
            // The token is parsed here only to tell a JWT from an opaque
            // one, when both are taken: with issuers alone, a remembered
            // token is not parsed at all.
            if self.introspection.is_none() || tokens::read(token).is_ok() {
                return issuers.check(token, &self.audience).await;
            }
        }
        let Some(i) = &self.introspection else {
            return Err(CheckError::Invalid(Invalid::Malformed));
        };
        let urls: Vec<&str> = self.issuers.iter().flat_map(|i| i.urls()).collect();
        i.check(token, &self.audience, &urls)
            .await
            .map_err(CheckError::Introspection)?
            .map_err(CheckError::Invalid)
    }

    /// The resource identifier and metadata URL of a server reached at
    /// `public` (an origin, perhaps with a proxy's path prefix) under
    /// `path`: the well-known name goes between the origin and the path
    /// (RFC 9728, 3.1).
    pub fn locations(public: &str, path: &str) -> (String, String) {
        let public = public.trim_end_matches('/');
        let start = public.find("://").map_or(0, |i| i + 3);
        let (origin, prefix) = match public[start..].find('/') {
            Some(p) => public.split_at(start + p),
            None => (public, ""),
        };
        (
            format!("{public}{path}"),
            format!("{origin}{METADATA_PATH}{prefix}{path}"),
        )
    }

    /// A refusal with its challenge (RFC 6750, 3; RFC 9728, 5.1): where the
    /// metadata is when issuers are configured, the scopes needed, and the
    /// error when credentials were given.
    fn refuse(&self, status: StatusCode, error: Option<&str>, why: &str) -> Box<Response<Body>> {
        self.refuse_for(status, error, why, &self.required)
    }

    /// The same, naming `scopes` as what the request needs.
    fn refuse_for(
        &self,
        status: StatusCode,
        error: Option<&str>,
        why: &str,
        scopes: &[String],
    ) -> Box<Response<Body>> {
        let mut params = Vec::new();
        if self.issuers.is_some() {
            params.push(format!(
                "resource_metadata=\"{}\"",
                quoted(&self.metadata_url)
            ));
        } else {
            params.push("realm=\"mcp\"".to_owned());
        }
        if !scopes.is_empty() {
            params.push(format!("scope=\"{}\"", quoted(&scopes.join(" "))));
        }
        if let Some(e) = error {
            params.push(format!("error=\"{e}\""));
            params.push(format!("error_description=\"{}\"", quoted(why)));
        }
        tracing::warn!("refused a request: {why}");
        let mut r = rpc_error(status, -32001, &format!("Unauthorized: {why}"));
        if let Ok(v) = HeaderValue::from_str(&format!("Bearer {}", params.join(", "))) {
            r.headers_mut().insert(WWW_AUTHENTICATE, v);
        }
        Box::new(r)
    }

    /// A 401 for a DPoP-bound token without its proof, or with a bad one
    /// (RFC 9449, 7.1).
    fn refuse_dpop(&self, error: &str, why: &str) -> Box<Response<Body>> {
        tracing::warn!("refused a request: {why}");
        let mut r = rpc_error(
            StatusCode::UNAUTHORIZED,
            -32001,
            &format!("Unauthorized: {why}"),
        );
        let challenge = format!(
            "DPoP algs=\"{}\", error=\"{error}\", error_description=\"{}\"",
            dpop::ALGORITHMS.join(" "),
            quoted(why)
        );
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            r.headers_mut().insert(WWW_AUTHENTICATE, v);
        }
        Box::new(r)
    }

    /// The protected-resource metadata (RFC 9728, 2), when issuers are
    /// configured.
    pub fn metadata(&self) -> Option<Response<Body>> {
        let issuers = self.issuers.as_ref()?;
        let mut doc = serde_json::json!({
            "resource": self.resource,
            "authorization_servers": issuers.urls().collect::<Vec<_>>(),
            "bearer_methods_supported": ["header"],
            "dpop_signing_alg_values_supported": dpop::ALGORITHMS,
            "resource_name": "mcp-bridge serve",
        });
        let mut scopes = self.required.clone();
        scopes.extend(self.tool_scopes.iter().map(|(_, s)| s.clone()));
        scopes.sort();
        scopes.dedup();
        if !scopes.is_empty() {
            doc["scopes_supported"] = serde_json::json!(scopes);
        }
        let mut r = super::reply::json(StatusCode::OK, bytes::Bytes::from(doc.to_string()));
        // Public metadata, read by browser clients from other origins.
        r.headers_mut().insert(
            hyper::header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        Some(r)
    }
}

/// `s` as the inside of an HTTP quoted-string.
fn quoted(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c == '"' || c == '\\' || c.is_control() {
                '\''
            } else {
                c
            }
        })
        .collect()
}

impl Front {
    /// The URL clients reach this server by, when it is known: fixed by
    /// `--public-url`, or as a trusted proxy says.
    pub(super) fn public<'a>(&'a self, via: &'a Via) -> Option<&'a str> {
        self.settings
            .public_url
            .as_deref()
            .or(via.public.as_deref())
    }

    /// What a request that came `via` must present: the credentials, with
    /// this server's resource as the URL the client used when a trusted
    /// proxy names it.
    pub(super) fn auth_for(&self, via: &Via) -> Option<Cow<'_, Auth>> {
        let auth = self.settings.auth.as_deref()?;
        match (&self.settings.public_url, &via.public) {
            (None, Some(public)) if *public != auth.public => {
                Some(Cow::Owned(auth.moved(public, &self.settings.path)))
            }
            _ => Some(Cow::Borrowed(auth)),
        }
    }

    /// Who sent `req`, or the 401 (403 for a missing scope, 503 when the
    /// issuer's keys cannot be had) that refuses it.
    pub(super) async fn admit(
        &self,
        req: &Request<Incoming>,
        via: &Via,
    ) -> Result<Principal, Box<Response<Body>>> {
        let Some(auth) = self.auth_for(via) else {
            return Ok(Principal::Anyone);
        };
        let given = req.headers().get(AUTHORIZATION).map(HeaderValue::as_bytes);
        // Bearer, or DPoP for a token bound to a key (RFC 9449, 7.1).
        let credentials = given
            .filter(|v| v.len() <= MAX_CREDENTIALS)
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                let dpop = scheme.eq_ignore_ascii_case("dpop");
                (dpop || scheme.eq_ignore_ascii_case("bearer")).then(|| (dpop, token.trim()))
            });
        let Some((dpop, token)) = credentials else {
            let why = match given {
                None => "a bearer token is required",
                Some(_) => "the Authorization header is not a bearer token",
            };
            return Err(auth.refuse(StatusCode::UNAUTHORIZED, None, why));
        };
        if let Some(line) = auth.keys.as_ref().and_then(|k| k.holder(token)) {
            if !dpop {
                return Ok(Principal::Key(line));
            }
        }
        let claims = match auth.claims_of(token).await {
            Ok(c) => c,
            Err(CheckError::Invalid(e)) => {
                let why = match (&e, &auth.issuers, &auth.introspection) {
                    (Invalid::Malformed, None, None) => {
                        "the token is not one of this server's keys".to_owned()
                    }
                    _ => e.to_string(),
                };
                return Err(auth.refuse(StatusCode::UNAUTHORIZED, Some("invalid_token"), &why));
            }
            Err(e) => {
                tracing::error!("{e}", e = crate::text::Chain(&e));
                let mut r = rpc_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    -32001,
                    "the authorization server cannot be reached to check the token; try again later",
                );
                r.headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from_static("30"));
                return Err(Box::new(r));
            }
        };
        let jkt = claims.cnf.as_ref().and_then(|c| c.jkt.as_deref());
        match (dpop, jkt) {
            (false, None) => {}
            (true, Some(jkt)) => {
                let proofs: Vec<&HeaderValue> = req.headers().get_all("dpop").iter().collect();
                let proof = match proofs[..] {
                    [one] => one.to_str().unwrap_or_default(),
                    _ => "",
                };
                let url = format!("{}{}", auth.public, req.uri().path());
                let r = dpop::Request {
                    method: req.method().as_str(),
                    url: &url,
                    token,
                    jkt,
                    now: tokens::now(),
                };
                let checked = if proof.is_empty() {
                    Err(dpop::BadProof::Missing)
                } else {
                    auth.seen.check(proof, &r)
                };
                if let Err(e) = checked {
                    return Err(auth.refuse_dpop("invalid_dpop_proof", &e.to_string()));
                }
            }
            (false, Some(_)) => {
                let why = "the token is bound to a key: send it with the DPoP scheme and a proof";
                return Err(auth.refuse_dpop("invalid_token", why));
            }
            (true, None) => {
                let why = "the token is not bound to a key: send it as Bearer";
                return Err(auth.refuse(StatusCode::UNAUTHORIZED, Some("invalid_token"), why));
            }
        }
        let scopes = claims.scopes();
        if auth.required.iter().any(|s| !scopes.contains(s)) {
            let why = "the token lacks a scope this server requires";
            return Err(auth.refuse(StatusCode::FORBIDDEN, Some("insufficient_scope"), why));
        }
        let env = auth
            .claims_env
            .iter()
            .filter_map(|(claim, var)| Some((var.clone(), Secret::from(claims.text(claim)?))))
            .collect();
        let subject = claims.sub.or(claims.client_id).unwrap_or_default();
        Ok(Principal::Subject {
            issuer: claims.iss,
            subject,
            scopes,
            env,
        })
    }

    /// The 403 for a `tools/call` of a tool whose scope (`--tool-scope`)
    /// the token of `who` does not grant; it names the scopes the call
    /// needs, so that the client can step up. Key holders call any tool.
    pub(super) fn may_call(
        &self,
        who: &Principal,
        m: &Message,
        via: &Via,
    ) -> Option<Response<Body>> {
        let auth = self.auth_for(via)?;
        let Principal::Subject { scopes, .. } = who else {
            return None;
        };
        if auth.tool_scopes.is_empty() || !m.is(&Method::ToolsCall) {
            return None;
        }
        let tool = jsonrpc::params_str(&m.raw, "name")?;
        let needed = auth.tool_scopes.iter().filter(|(t, _)| *t == tool);
        let mut missing = needed
            .map(|(_, s)| s)
            .filter(|s| !scopes.contains(s))
            .peekable();
        missing.peek()?;
        let mut all = auth.required.clone();
        all.extend(missing.cloned());
        all.extend(scopes.iter().cloned());
        all.sort();
        all.dedup();
        let why = format!(
            "the tool {:?} needs a scope the token lacks",
            crate::text::clean(&tool, 100)
        );
        Some(*auth.refuse_for(
            StatusCode::FORBIDDEN,
            Some("insufficient_scope"),
            &why,
            &all,
        ))
    }

    /// Whether `path` is where the protected-resource metadata is: the
    /// well-known name alone, or followed by the MCP path (RFC 9728, 3.1).
    pub(super) fn is_metadata_path(&self, path: &str, via: &Via) -> bool {
        path.strip_prefix(METADATA_PATH).is_some_and(|rest| {
            rest.is_empty()
                || rest == self.settings.path
                || self
                    .auth_for(via)
                    .is_some_and(|a| a.metadata_url.ends_with(&format!("{METADATA_PATH}{rest}")))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metadata_goes_between_the_origin_and_the_path() {
        assert_eq!(
            Auth::locations("https://tools.example/team/", "/mcp"),
            (
                "https://tools.example/team/mcp".to_owned(),
                "https://tools.example/.well-known/oauth-protected-resource/team/mcp".to_owned()
            )
        );
        assert_eq!(
            Auth::locations("http://127.0.0.1:8080", "/mcp").1,
            "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"
        );
    }
}
