//! The bridge's own requests to the authorization server's endpoints:
//! dynamic client registration (RFC 7591), the authorization URL, and the
//! token endpoint (every grant's token request, a [`TokenRequest`], with
//! the resource indicator of RFC 8707 on each).

use super::jwt::SigningKey;
use super::server::AuthServer;
use super::store::{now, Client, Tokens};
use super::Refused;
use crate::http::body::read_body;
use crate::secret::Secret;
use crate::sync::Locked;
use crate::text::clean;
use crate::text::Chain;
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use serde_json::{json, Value};
use std::time::Duration;
use url::Url;

/// Largest registration or token answer read.
const ANSWER_LIMIT: usize = 256 * 1024;
/// How long one request to the authorization server may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// DPoP at the token endpoint: the credential's key and the authorization
/// server's last nonce.
pub struct Dpop<'a> {
    /// The key the tokens get bound to.
    pub key: &'a super::jwt::DpopKey,
    /// The nonce the authorization server asked for, if it did.
    pub nonce: &'a std::sync::Mutex<Option<String>>,
}

/// POST a form or JSON body and read a JSON object back.
pub(super) async fn call(
    http: &crate::http::reach::Guarded,
    url: &Url,
    what: &str,
    build: reqwest::RequestBuilder,
) -> Result<Value, Refused> {
    http.check(url)
        .await
        .map_err(|e| Refused::plain(format!("{what}: {e}", e = Chain(&e))))?;
    let mut resp = match tokio::time::timeout(
        TIMEOUT,
        build.header(ACCEPT, "application/json").send(),
    )
    .await
    {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            return Err(Refused::plain(format!(
                "{what} at {url} failed: {}",
                crate::http::error::request_failure(&e)
            )))
        }
        Err(_) => {
            return Err(Refused::plain(format!(
                "{what} at {url} got no answer within {} s",
                TIMEOUT.as_secs()
            )))
        }
    };
    let status = resp.status();
    let nonce = resp
        .headers()
        .get("dpop-nonce")
        .and_then(|v| v.to_str().ok())
        .filter(|n| n.len() <= 1024)
        .map(str::to_owned);
    let body = read_body(&mut resp, url.as_str(), ANSWER_LIMIT)
        .await
        .map_err(|e| Refused::plain(Chain(&e).to_string()))?;
    let value: Option<Value> = serde_json::from_slice(&body).ok().filter(Value::is_object);
    if status.is_success() {
        return value.ok_or_else(|| {
            Refused::plain(format!(
                "{what} at {url} answered something that is not a JSON object"
            ))
        });
    }
    let code = value
        .as_ref()
        .and_then(|v| v.get("error"))
        .and_then(Value::as_str)
        .map(|s| clean(s, 100));
    let description = value
        .as_ref()
        .and_then(|v| v.get("error_description"))
        .and_then(Value::as_str)
        .map(|s| clean(s, 300));
    let said = match (&code, &description) {
        (Some(c), Some(d)) => format!(": {c}: {d}"),
        (Some(c), None) => format!(": {c}"),
        (None, _) => format!(": {}", crate::text::gist(&body, "")),
    };
    Err(Refused {
        code,
        description,
        message: format!("{what} at {url} was refused (HTTP {status}){said}"),
        nonce,
    })
}

/// Register the bridge as a public native client at `server` for `scope`,
/// merging the user's `--static-oauth-client-metadata` over the bridge's
/// own fields. A registration refused over its metadata while it named a
/// scope is tried once more without one: servers refuse a scope they do
/// not list (oidc-provider: "scope must only contain Authorization Server
/// supported scope values"), and without one RFC 7591 §2 lets them register
/// their default set.
pub async fn register(
    http: &crate::http::reach::Guarded,
    server: &AuthServer,
    redirect_uri: &str,
    scope: Option<&str>,
    extra: Option<&Value>,
) -> Result<Client, Refused> {
    let Some(endpoint) = &server.registration_endpoint else {
        return Err(Refused::plain(format!(
            "the authorization server {} offers no dynamic client registration; register mcp-bridge there and pass --static-oauth-client-info '{{\"client_id\": \"...\"}}'",
            server.issuer
        )));
    };
    let scope = scope.filter(|s| !s.is_empty());
    match register_at(http, server, endpoint, redirect_uri, scope, extra).await {
        Err(r) if scope.is_some() && r.code.as_deref().is_some_and(scope_refusal) => {
            tracing::info!("{}; registering again without a scope", r.message);
            register_at(http, server, endpoint, redirect_uri, None, extra).await
        }
        other => other,
    }
}

/// A registration error code that a scope the server does not take can
/// cause (RFC 7591 §3.2.2, and `invalid_scope` as some servers answer).
fn scope_refusal(code: &str) -> bool {
    matches!(code, "invalid_client_metadata" | "invalid_scope")
}

/// One registration request at `endpoint`.
async fn register_at(
    http: &crate::http::reach::Guarded,
    server: &AuthServer,
    endpoint: &Url,
    redirect_uri: &str,
    scope: Option<&str>,
    extra: Option<&Value>,
) -> Result<Client, Refused> {
    let mut body = json!({
        "client_name": "mcp-bridge",
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "application_type": "native",
        "software_id": "mcp-bridge",
        "software_version": env!("CARGO_PKG_VERSION"),
    });
    if let Some(scope) = scope {
        body["scope"] = Value::String(scope.to_owned());
    }
    if let (Some(Value::Object(user)), Value::Object(ours)) = (extra, &mut body) {
        for (k, v) in user {
            ours.insert(k.clone(), v.clone());
        }
    }
    let asked = body.get("scope").and_then(Value::as_str).map(str::to_owned);
    let req = http
        .post(endpoint.clone())
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_string());
    let answer = call(http, endpoint, "client registration", req).await?;
    let client_id = answer
        .get("client_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 1024)
        .ok_or_else(|| {
            Refused::plain(format!(
                "client registration at {endpoint} returned no client_id"
            ))
        })?;
    Ok(Client {
        client_id: client_id.to_owned(),
        client_secret: answer
            .get("client_secret")
            .and_then(Value::as_str)
            .map(Secret::from),
        auth_method: answer
            .get("token_endpoint_auth_method")
            .and_then(Value::as_str)
            .map(str::to_owned),
        redirect_uri: redirect_uri.to_owned(),
        issuer: server.issuer.clone(),
        dynamic: true,
        // What the server registered (RFC 7591 §3.2.1 returns it), else
        // what was asked: the scopes this client may ask for (§2).
        scope: answer
            .get("scope")
            .and_then(Value::as_str)
            .map(|s| clean(s, 2048))
            .or(asked),
    })
}

/// The URL the browser opens.
pub fn authorization_url(
    server: &AuthServer,
    client: &Client,
    redirect_uri: &str,
    challenge: &str,
    state: &str,
    scope: Option<&str>,
    extra: &[(String, String)],
) -> String {
    let mut url = server
        .authorization_endpoint
        .clone()
        .unwrap_or_else(|| server.token_endpoint.clone());
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", &client.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("code_challenge", challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("state", state);
        // A parameter the user gives with --authorize-param replaces the
        // bridge's own scope or resource (the flow's own are refused earlier).
        let given = |k: &str| extra.iter().any(|(e, _)| e == k);
        if let Some(r) = server.resource.as_deref().filter(|_| !given("resource")) {
            q.append_pair("resource", r);
        }
        if let Some(s) = scope.filter(|s| !s.is_empty() && !given("scope")) {
            q.append_pair("scope", s);
            // OpenID Connect Core §11: offline access needs the consent
            // prompt (servers drop offline_access without it); a server
            // that knows no prompt ignores it (RFC 6749 §3.1).
            let offline = s
                .split_whitespace()
                .any(|s| s == super::server::OFFLINE_ACCESS);
            if offline && !given("prompt") {
                q.append_pair("prompt", "consent");
            }
        }
        q.extend_pairs(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    }
    url.to_string()
}

/// The `client_assertion_type` of `private_key_jwt` (RFC 7523 §2.2).
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The device code grant type (RFC 8628 §3.4).
pub const DEVICE_CODE: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// The jwt-bearer grant type (RFC 7523 §2.1).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// POST to the token endpoint with the client's authentication: a signed
/// assertion when there is a `key`, HTTP Basic or form fields for a secret,
/// the client id alone otherwise (none at all when there is no client id).
async fn token_request(
    http: &crate::http::reach::Guarded,
    server: &AuthServer,
    client: &Client,
    proofs: &Proofs<'_>,
    mut form: Vec<(&str, String)>,
    what: &str,
) -> Result<Tokens, Refused> {
    let key = proofs.key;
    if let Some(r) = &server.resource {
        form.push(("resource", r.clone()));
    }
    let basic = key.is_none()
        && client.client_secret.is_some()
        && client
            .auth_method
            .as_deref()
            .unwrap_or("client_secret_basic")
            == "client_secret_basic";
    if let Some(key) = key {
        let assertion = super::jwt::client_assertion(key, &client.client_id, &server.issuer)
            .map_err(|e| {
                Refused::plain(format!(
                    "cannot sign the client assertion: {e}",
                    e = Chain(&e)
                ))
            })?;
        form.push(("client_id", client.client_id.clone()));
        form.push(("client_assertion_type", ASSERTION_TYPE.to_owned()));
        form.push(("client_assertion", assertion));
    } else if !basic && !client.client_id.is_empty() {
        form.push(("client_id", client.client_id.clone()));
        if let Some(secret) = &client.client_secret {
            form.push(("client_secret", secret.expose().to_owned()));
        }
    }
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    let basic_value = if basic {
        let secret = client.client_secret.as_ref().map_or("", Secret::expose);
        Some(
            basic_auth(&client.client_id, secret)
                .map_err(|e| Refused::plain(Chain(&e).to_string()))?,
        )
    } else {
        None
    };
    // With DPoP, once more when the server asks for a nonce (RFC 9449 §8).
    for attempt in 0..2 {
        let mut req = http
            .post(server.token_endpoint.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.clone());
        if let Some(v) = &basic_value {
            req = req.header(AUTHORIZATION, v.clone());
        }
        if let Some(d) = &proofs.dpop {
            let nonce = d.nonce.locked().clone();
            let proof = d
                .key
                .proof("POST", &server.token_endpoint, None, nonce.as_deref())
                .map_err(|e| Refused::plain(Chain(&e).to_string()))?;
            req = req.header("dpop", proof);
        }
        match call(http, &server.token_endpoint, what, req).await {
            Ok(answer) => {
                return parse_tokens(&answer).map_err(|m| {
                    Refused::plain(format!("{what} at {}: {m}", server.token_endpoint))
                })
            }
            Err(r) if attempt == 0 && r.code.as_deref() == Some("use_dpop_nonce") => {
                match (&proofs.dpop, r.nonce) {
                    (Some(d), Some(n)) => *d.nonce.locked() = Some(n),
                    _ => return Err(Refused::plain(r.message)),
                }
            }
            Err(r) => return Err(r),
        }
    }
    Err(Refused::plain(format!(
        "{what} at {}: the server kept asking for a new DPoP nonce",
        server.token_endpoint
    )))
}

/// HTTP Basic client authentication (RFC 6749 §2.3.1: id and secret
/// form-encoded first), marked sensitive so it never reaches a log.
pub fn basic_auth(
    client_id: &str,
    secret: &str,
) -> Result<HeaderValue, reqwest::header::InvalidHeaderValue> {
    use base64::Engine;
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", enc(client_id), enc(secret));
    let value = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    );
    let mut v = HeaderValue::from_str(&value)?;
    v.set_sensitive(true);
    Ok(v)
}

/// What signs a token request: the client's assertion key, and DPoP.
#[derive(Default)]
pub struct Proofs<'a> {
    /// `--client-assertion-key`, for the configured client.
    pub key: Option<&'a SigningKey>,
    /// The DPoP key and nonce, when the server binds tokens to a key.
    pub dpop: Option<Dpop<'a>>,
}

/// Why a token answer cannot be used.
#[derive(Debug, thiserror::Error)]
enum BadTokens {
    #[error("the answer has no access_token")]
    NoAccessToken,
    #[error("the access_token cannot be sent in a header")]
    NotHeaderText,
    #[error("the token type is {0:?}, not bearer or DPoP")]
    TokenType(String),
}

/// Read a token answer: a bearer access token, maybe a refresh token and a lifetime.
fn parse_tokens(v: &Value) -> Result<Tokens, BadTokens> {
    let access = v
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 64 * 1024)
        .ok_or(BadTokens::NoAccessToken)?;
    if HeaderValue::from_str(&format!("Bearer {access}")).is_err() {
        return Err(BadTokens::NotHeaderText);
    }
    let kind = v
        .get("token_type")
        .and_then(Value::as_str)
        .unwrap_or("bearer");
    let dpop = kind.eq_ignore_ascii_case("dpop");
    if !kind.eq_ignore_ascii_case("bearer") && !dpop {
        return Err(BadTokens::TokenType(clean(kind, 40)));
    }
    let lifetime = v.get("expires_in").and_then(|e| {
        e.as_u64()
            .or_else(|| e.as_str().and_then(|s| s.parse().ok()))
    });
    Ok(Tokens {
        access_token: Secret::from(access),
        refresh_token: v
            .get("refresh_token")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(Secret::from),
        expires_at: lifetime.map(|s| now().saturating_add(s.min(10 * 365 * 86_400))),
        scope: v
            .get("scope")
            .and_then(Value::as_str)
            .map(|s| clean(s, 2048)),
        issued_at: now(),
        dpop,
        id_token: v
            .get("id_token")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && s.len() <= 64 * 1024)
            .map(Secret::from),
    })
}

/// What is traded at the token endpoint.
#[derive(Clone, Copy)]
pub enum TokenRequest<'a> {
    /// An authorization code, with its PKCE verifier and redirect URI.
    Code {
        /// The code from the callback.
        code: &'a str,
        /// The PKCE verifier.
        verifier: &'a str,
        /// The redirect URI the code was sent to.
        redirect_uri: &'a str,
    },
    /// A refresh token. A server that sends no new refresh token leaves the
    /// old one valid (RFC 6749 §6).
    Refresh(&'a str),
    /// The client's own credentials (RFC 6749 §4.4), for `scope`.
    ClientCredentials {
        /// The scope to ask for.
        scope: Option<&'a str>,
    },
    /// A device code the person approved (RFC 8628 §3.4).
    DeviceCode(&'a str),
    /// An externally issued JWT (RFC 7523 §2.1), for `scope`.
    JwtBearer {
        /// The JWT.
        assertion: &'a str,
        /// The scope to ask for.
        scope: Option<&'a str>,
    },
}

/// Trade `request` for tokens at the authorization server's token endpoint.
pub async fn tokens(
    http: &crate::http::reach::Guarded,
    server: &AuthServer,
    client: &Client,
    proofs: &Proofs<'_>,
    request: TokenRequest<'_>,
) -> Result<Tokens, Refused> {
    let scoped = |mut form: Vec<(&'static str, String)>, scope: Option<&str>| {
        if let Some(s) = scope.filter(|s| !s.is_empty()) {
            form.push(("scope", s.to_owned()));
        }
        form
    };
    let (form, what) = match request {
        TokenRequest::DeviceCode(code) => (
            vec![
                ("grant_type", DEVICE_CODE.to_owned()),
                ("device_code", code.to_owned()),
            ],
            "the device code token request",
        ),
        TokenRequest::ClientCredentials { scope } => (
            scoped(vec![("grant_type", "client_credentials".to_owned())], scope),
            "the client credentials token request",
        ),
        TokenRequest::JwtBearer { assertion, scope } => (
            scoped(
                vec![
                    ("grant_type", JWT_BEARER.to_owned()),
                    ("assertion", assertion.to_owned()),
                ],
                scope,
            ),
            "the jwt-bearer token request",
        ),
        TokenRequest::Code {
            code,
            verifier,
            redirect_uri,
        } => (
            vec![
                ("grant_type", "authorization_code".to_owned()),
                ("code", code.to_owned()),
                ("redirect_uri", redirect_uri.to_owned()),
                ("code_verifier", verifier.to_owned()),
            ],
            "the token request",
        ),
        TokenRequest::Refresh(token) => (
            vec![
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", token.to_owned()),
            ],
            "the token refresh",
        ),
    };
    let mut t = token_request(http, server, client, proofs, form, what).await?;
    if let (TokenRequest::Refresh(old), None) = (request, &t.refresh_token) {
        t.refresh_token = Some(Secret::from(old));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_form_encodes_before_base64_and_is_sensitive() {
        use base64::Engine;
        let v = basic_auth("a:b", "s é").unwrap();
        assert!(v.is_sensitive());
        let b64 = v.to_str().unwrap().strip_prefix("Basic ").unwrap();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        assert_eq!(raw, b"a%3Ab:s+%C3%A9");
    }

    #[test]
    fn offline_access_asks_for_consent_unless_the_user_set_a_prompt() {
        let te = Url::parse("https://as.example/token").unwrap();
        let server = AuthServer {
            authorization_endpoint: Some(Url::parse("https://as.example/auth").unwrap()),
            ..AuthServer::without_metadata("https://as.example".into(), te, None, None)
        };
        let client = Client {
            client_id: "c".into(),
            client_secret: None,
            auth_method: None,
            redirect_uri: String::new(),
            issuer: server.issuer.clone(),
            dynamic: true,
            scope: None,
        };
        let url = |scope: &str, extra: &[(String, String)]| {
            let u = authorization_url(
                &server,
                &client,
                "http://127.0.0.1/cb",
                "ch",
                "st",
                Some(scope),
                extra,
            );
            Url::parse(&u)
                .unwrap()
                .query_pairs()
                .filter(|(k, _)| k == "prompt")
                .map(|(_, v)| v.into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(url("mcp:tools offline_access", &[]), ["consent"]);
        assert!(url("mcp:tools", &[]).is_empty());
        let login = [("prompt".to_owned(), "login".to_owned())];
        assert_eq!(url("offline_access", &login), ["login"]);
    }

    #[test]
    fn token_answers_are_checked() {
        let t = parse_tokens(&json!({"access_token": "a", "token_type": "Bearer", "expires_in": 60, "refresh_token": "r"})).unwrap();
        assert_eq!(t.refresh_token.as_ref().map(Secret::expose), Some("r"));
        assert!(t.expires_at.unwrap() >= now() + 59);
        assert!(parse_tokens(&json!({"token_type": "bearer"})).is_err());
        assert!(parse_tokens(&json!({"access_token": "a", "token_type": "mac"})).is_err());
        assert!(
            parse_tokens(&json!({"access_token": "a", "token_type": "DPoP"}))
                .unwrap()
                .dpop
        );
        assert!(parse_tokens(&json!({"access_token": "a\nInjected: 1"})).is_err());
        let s = parse_tokens(&json!({"access_token": "a", "expires_in": "30"})).unwrap();
        assert!(s.expires_at.is_some());
    }
}
