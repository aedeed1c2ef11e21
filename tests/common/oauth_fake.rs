//! A fake MCP server with its own fake OAuth authorization server on one
//! loopback port, for the sign-in error paths a real server will not produce
//! on demand: no S256, closed registration, hostile authorization URLs,
//! forgotten clients, refused refreshes, scope step-up.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::Response;
use base64::Engine;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How the fake behaves; change it between runs through [`OAuthFake::set`].
#[derive(Clone, Debug, Default)]
pub struct Behaviour {
    /// Advertise only `plain` PKCE.
    pub no_s256: bool,
    /// Refuse dynamic registration.
    pub closed_registration: bool,
    /// Put this in the metadata as the authorization endpoint.
    pub authorization_endpoint: Option<String>,
    /// Answer refreshes with invalid_grant.
    pub refuse_refresh: bool,
    /// Calls to tools need this scope (403 insufficient_scope without it).
    pub tool_scope: Option<String>,
    /// Access token lifetime in seconds (default 3600).
    pub ttl: Option<u64>,
    /// A client registered beforehand: its id and redirect URI.
    pub preregistered: Option<(String, String)>,
    /// Refuse a `resource` parameter at the token endpoint, as some
    /// authorization servers do, instead of requiring it.
    pub refuse_resource: bool,
    /// A confidential client for the client credentials grant: id, secret.
    pub machine_client: Option<(String, String)>,
    /// The jwt-bearer assertions the server accepts (any other: invalid_grant).
    pub assertions: Vec<String>,
    /// The answers to device code polls, in order, before the token
    /// ("authorization_pending", "slow_down", ...); the last one repeats
    /// when it is "authorization_pending".
    pub device_polls: Vec<&'static str>,
    /// Token answers to the grants without a browser carry an `id_token`
    /// (which the MCP endpoint accepts too).
    pub id_token: bool,
    /// The token endpoint answers 307 to this URL.
    pub redirect_token_to: Option<String>,
    /// The protected resource metadata answers 302 to this URL.
    pub redirect_metadata_to: Option<String>,
    /// The MCP endpoint refuses every token, even fresh ones.
    pub reject_tokens: bool,
    /// The MCP endpoint's 401 carries a JSON-RPC error for the request's
    /// id, as some servers write it (others send nothing, or OAuth's JSON).
    pub rpc_401: bool,
    /// The authorization server's URL named in the metadata, instead of
    /// the fake's own base (the same listener must answer there).
    pub issuer: Option<String>,
    /// Act as an identity provider too: the token exchange (RFC 8693) of an
    /// ID token it issued answers this ID-JAG; the sign-in in the browser
    /// and its refreshes need no resource and carry an `id_token`.
    pub id_jag: Option<String>,
}

#[derive(Default)]
struct Inner {
    behaviour: Behaviour,
    clients: HashMap<String, String>,
    codes: HashMap<String, (String, String, String, String)>,
    tokens: HashMap<String, (String, std::time::Instant)>,
    refresh: HashMap<String, (String, String)>,
    events: Vec<String>,
    next: u64,
    /// When each device code poll came.
    polls: Vec<std::time::Instant>,
}

/// The running fake.
#[derive(Clone)]
pub struct OAuthFake {
    inner: Arc<Mutex<Inner>>,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The MCP endpoint.
    pub url: String,
}

impl OAuthFake {
    /// Start it on a free loopback port.
    pub async fn start(behaviour: Behaviour) -> OAuthFake {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        Self::serve(listener, base, behaviour)
    }

    /// Serve on `listener`, which the bridge reaches at `base`.
    pub fn serve(
        listener: tokio::net::TcpListener,
        base: String,
        behaviour: Behaviour,
    ) -> OAuthFake {
        let clients = behaviour.preregistered.iter().cloned().collect();
        let fake = OAuthFake {
            inner: Arc::new(Mutex::new(Inner {
                behaviour,
                clients,
                ..Inner::default()
            })),
            url: format!("{base}/mcp"),
            base,
        };
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(fake.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        fake
    }

    /// Change the behaviour.
    pub fn set(&self, f: impl FnOnce(&mut Behaviour)) {
        f(&mut self.inner.lock().unwrap().behaviour);
    }

    /// Forget every client, code and token (a restarted authorization server).
    pub fn forget_everything(&self) {
        let mut i = self.inner.lock().unwrap();
        i.clients.clear();
        i.codes.clear();
        i.tokens.clear();
        i.refresh.clear();
    }

    /// What happened, in order: "register", "authorize scope=...",
    /// "token authorization_code", "token refresh_token", "refused ...".
    pub fn events(&self) -> Vec<String> {
        self.inner.lock().unwrap().events.clone()
    }

    /// When each device code poll came.
    pub fn poll_times(&self) -> Vec<std::time::Instant> {
        self.inner.lock().unwrap().polls.clone()
    }

    /// How many events start with `prefix`.
    pub fn count(&self, prefix: &str) -> usize {
        self.events()
            .iter()
            .filter(|e| e.starts_with(prefix))
            .count()
    }
}

/// The grants with no person: client credentials (Basic or form secret)
/// and jwt-bearer; `None` for the other grants.
fn machine_token(
    i: &mut Inner,
    b: &Behaviour,
    p: &HashMap<String, String>,
    auth: Option<&str>,
    grant: &str,
) -> Option<Response> {
    let scope = p.get("scope").cloned().unwrap_or_default();
    if matches!(
        grant,
        "client_credentials" | "urn:ietf:params:oauth:grant-type:jwt-bearer"
    ) {
        i.events.push(format!(
            "resource={} scope={scope}",
            p.get("resource").map_or("none", String::as_str)
        ));
    }
    match grant {
        "urn:ietf:params:oauth:grant-type:device_code" => {
            i.polls.push(std::time::Instant::now());
            let n = i.polls.len() - 1;
            let answer = b.device_polls.get(n).copied().or_else(|| {
                (b.device_polls.last() == Some(&"authorization_pending"))
                    .then_some("authorization_pending")
            });
            if let Some(error) = answer {
                return Some(reply(StatusCode::BAD_REQUEST, json!({"error": error})));
            }
            if p.get("device_code").map(String::as_str) != Some("dev-code-1") {
                return Some(reply(
                    StatusCode::BAD_REQUEST,
                    json!({"error": "invalid_grant"}),
                ));
            }
            let client = p.get("client_id").cloned().unwrap_or_default();
            Some(issue(i, b, &client, "read".into(), true))
        }
        "client_credentials" => {
            let basic = auth.and_then(|a| a.strip_prefix("Basic ")).and_then(|b64| {
                let raw = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
                let text = String::from_utf8(raw).ok()?;
                let (id, secret) = text.split_once(':')?;
                Some((id.to_owned(), secret.to_owned(), "basic"))
            });
            let form = p
                .get("client_id")
                .zip(p.get("client_secret"))
                .map(|(id, s)| (id.clone(), s.clone(), "post"));
            let Some((id, secret, how)) = basic.or(form) else {
                i.events
                    .push("refused token: no client authentication".into());
                return Some(reply(
                    StatusCode::UNAUTHORIZED,
                    json!({"error": "invalid_client"}),
                ));
            };
            if b.machine_client.as_ref() != Some(&(id.clone(), secret)) {
                i.events.push("refused token: invalid_client".into());
                return Some(reply(
                    StatusCode::UNAUTHORIZED,
                    json!({"error": "invalid_client"}),
                ));
            }
            i.events.push(format!("client authenticated by {how}"));
            Some(issue(i, b, &id, scope, false))
        }
        "urn:ietf:params:oauth:grant-type:token-exchange" => {
            let subject = p.get("subject_token").cloned().unwrap_or_default();
            let live = i
                .tokens
                .get(&subject)
                .is_some_and(|(_, until)| *until > std::time::Instant::now());
            i.events.push(format!(
                "exchange audience={} resource={} requested={}",
                p.get("audience").map_or("none", String::as_str),
                p.get("resource").map_or("none", String::as_str),
                p.get("requested_token_type").map_or("none", String::as_str),
            ));
            let (Some(jag), true, true) = (
                b.id_jag.clone(),
                live && subject.starts_with("idtok-"),
                p.get("subject_token_type").map(String::as_str)
                    == Some("urn:ietf:params:oauth:token-type:id_token"),
            ) else {
                i.events.push("refused exchange".into());
                return Some(reply(
                    StatusCode::BAD_REQUEST,
                    json!({"error": "invalid_grant"}),
                ));
            };
            Some(reply(
                StatusCode::OK,
                json!({"access_token": jag, "token_type": "N_A",
                       "issued_token_type": "urn:ietf:params:oauth:token-type:id-jag"}),
            ))
        }
        "urn:ietf:params:oauth:grant-type:jwt-bearer" => {
            let assertion = p.get("assertion").cloned().unwrap_or_default();
            i.events.push(format!("assertion {assertion}"));
            if !b.assertions.contains(&assertion) {
                return Some(reply(
                    StatusCode::BAD_REQUEST,
                    json!({"error": "invalid_grant", "error_description": "the assertion is not trusted"}),
                ));
            }
            Some(issue(i, b, "workload", scope, false))
        }
        _ => None,
    }
}

/// A new access token for `client`, with a refresh token when `refresh`.
fn issue(i: &mut Inner, b: &Behaviour, client: &str, scope: String, refresh: bool) -> Response {
    i.next += 1;
    let access = format!("access-{}", i.next);
    let ttl = b.ttl.unwrap_or(3600);
    let expires = std::time::Instant::now() + std::time::Duration::from_secs(ttl);
    i.tokens.insert(access.clone(), (scope.clone(), expires));
    let mut answer =
        json!({"access_token": access, "token_type": "Bearer", "expires_in": ttl, "scope": scope});
    if b.id_token {
        let id = format!("idtok-{}", i.next);
        i.tokens.insert(id.clone(), (scope.clone(), expires));
        answer["id_token"] = id.into();
    }
    if refresh {
        let rt = format!("refresh-{}", i.next);
        i.refresh.insert(rt.clone(), (client.to_owned(), scope));
        answer["refresh_token"] = rt.into();
    }
    reply(StatusCode::OK, answer)
}

/// The client id in a Basic Authorization header.
fn basic_id(auth: Option<&str>) -> Option<String> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(auth?.strip_prefix("Basic ")?)
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    Some(text.split_once(':')?.0.to_owned())
}

fn reply(status: StatusCode, body: Value) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn params(s: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(s.as_bytes())
        .into_owned()
        .collect()
}

fn s256(verifier: &str) -> String {
    // The fake checks PKCE with an independent SHA-256 (from ring, which
    // rustls brings), not with the bridge's own code.
    let d = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(d.as_ref())
}

async fn handle(State(fake): State<OAuthFake>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let method = req.method().clone();
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .unwrap_or_default();
    let body = String::from_utf8_lossy(&body).into_owned();
    let mut i = fake.inner.lock().unwrap();
    let b = i.behaviour.clone();
    let base = b.issuer.clone().unwrap_or_else(|| fake.base.clone());
    match (method.as_str(), path.as_str()) {
        ("GET", "/.well-known/oauth-protected-resource/mcp")
            if b.redirect_metadata_to.is_some() =>
        {
            Response::builder()
                .status(StatusCode::FOUND)
                .header(header::LOCATION, b.redirect_metadata_to.clone().unwrap())
                .body(Body::empty())
                .unwrap()
        }
        ("POST", "/token") if b.redirect_token_to.is_some() => {
            i.events.push("token redirected".into());
            Response::builder()
                .status(StatusCode::TEMPORARY_REDIRECT)
                .header(header::LOCATION, b.redirect_token_to.clone().unwrap())
                .body(Body::empty())
                .unwrap()
        }
        ("GET", "/.well-known/oauth-protected-resource/mcp") => reply(
            StatusCode::OK,
            json!({"resource": fake.url, "authorization_servers": [base], "scopes_supported": ["read"]}),
        ),
        ("GET", "/.well-known/oauth-authorization-server") => reply(
            StatusCode::OK,
            json!({
                "issuer": base,
                "authorization_endpoint": b.authorization_endpoint.clone().unwrap_or(format!("{base}/authorize")),
                "token_endpoint": format!("{base}/token"),
                "registration_endpoint": format!("{base}/register"),
                "device_authorization_endpoint": format!("{base}/device"),
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": if b.no_s256 { json!(["plain"]) } else { json!(["S256"]) },
            }),
        ),
        ("POST", "/device") => {
            let p = params(&body);
            i.events.push(format!(
                "device client={} scope={}",
                p.get("client_id").map_or("none", String::as_str),
                p.get("scope").map_or("none", String::as_str)
            ));
            reply(
                StatusCode::OK,
                json!({"device_code": "dev-code-1", "user_code": "WDJB-MJHT",
                       "verification_uri": format!("{base}/activate"),
                       "verification_uri_complete": format!("{base}/activate?user_code=WDJB-MJHT"),
                       "expires_in": 60, "interval": 1}),
            )
        }
        ("POST", "/register") => {
            if b.closed_registration {
                i.events.push("refused register".into());
                return reply(
                    StatusCode::BAD_REQUEST,
                    json!({"error": "invalid_client_metadata", "error_description": "registration is closed here"}),
                );
            }
            let meta: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            let redirect = meta["redirect_uris"][0].as_str().unwrap_or("").to_owned();
            i.next += 1;
            let id = format!("client-{}", i.next);
            i.clients.insert(id.clone(), redirect.clone());
            i.events.push("register".into());
            reply(
                StatusCode::CREATED,
                json!({"client_id": id, "redirect_uris": [redirect], "token_endpoint_auth_method": "none"}),
            )
        }
        ("GET", "/authorize") => {
            let p = params(&query);
            let client = p.get("client_id").cloned().unwrap_or_default();
            let Some(registered) = i.clients.get(&client).cloned() else {
                i.events.push("refused authorize: unknown client".into());
                return reply(StatusCode::BAD_REQUEST, json!({"error": "invalid_client"}));
            };
            let redirect = p.get("redirect_uri").cloned().unwrap_or_default();
            if redirect != registered
                || p.get("code_challenge_method").map(String::as_str) != Some("S256")
            {
                i.events.push("refused authorize: bad request".into());
                return reply(StatusCode::BAD_REQUEST, json!({"error": "invalid_request"}));
            }
            let scope = p.get("scope").cloned().unwrap_or_default();
            i.events.push(format!(
                "authorize scope={scope} resource={}",
                p.get("resource").cloned().unwrap_or_default()
            ));
            i.next += 1;
            let code = format!("code-{}", i.next);
            let challenge = p.get("code_challenge").cloned().unwrap_or_default();
            i.codes
                .insert(code.clone(), (client, challenge, scope, redirect.clone()));
            let state = url::form_urlencoded::byte_serialize(
                p.get("state").map(String::as_bytes).unwrap_or(b""),
            )
            .collect::<String>();
            Response::builder()
                .status(StatusCode::FOUND)
                .header(
                    header::LOCATION,
                    format!("{redirect}?code={code}&state={state}"),
                )
                .body(Body::empty())
                .unwrap()
        }
        ("POST", "/token") => {
            let p = params(&body);
            // The client id from the form, or from Basic authentication.
            let client = p
                .get("client_id")
                .cloned()
                .or_else(|| basic_id(auth.as_deref()))
                .unwrap_or_default();
            let grant = p.get("grant_type").cloned().unwrap_or_default();
            i.events.push(format!("token {grant}"));
            if let Some(r) = machine_token(&mut i, &b, &p, auth.as_deref(), &grant) {
                return r;
            }
            if !i.clients.contains_key(&client) {
                i.events.push("refused token: invalid_client".into());
                return reply(
                    StatusCode::UNAUTHORIZED,
                    json!({"error": "invalid_client", "error_description": "unknown client"}),
                );
            }
            let resource_ok = if b.refuse_resource || b.id_jag.is_some() {
                !p.contains_key("resource")
            } else {
                p.get("resource") == Some(&fake.url)
            };
            if !resource_ok {
                i.events.push("refused token: resource".into());
                return reply(StatusCode::BAD_REQUEST, json!({"error": "invalid_target"}));
            }
            let scope = match grant.as_str() {
                "authorization_code" => {
                    let code = p.get("code").cloned().unwrap_or_default();
                    let Some((owner, challenge, scope, redirect)) = i.codes.remove(&code) else {
                        return reply(StatusCode::BAD_REQUEST, json!({"error": "invalid_grant"}));
                    };
                    let verifier = p.get("code_verifier").cloned().unwrap_or_default();
                    if owner != client
                        || s256(&verifier) != challenge
                        || p.get("redirect_uri") != Some(&redirect)
                    {
                        i.events.push("refused token: pkce or redirect".into());
                        return reply(StatusCode::BAD_REQUEST, json!({"error": "invalid_grant"}));
                    }
                    scope
                }
                "refresh_token" => {
                    let rt = p.get("refresh_token").cloned().unwrap_or_default();
                    if b.refuse_refresh {
                        i.events.push("refused refresh: invalid_grant".into());
                        return reply(
                            StatusCode::BAD_REQUEST,
                            json!({"error": "invalid_grant", "error_description": "refresh token revoked"}),
                        );
                    }
                    match i.refresh.remove(&rt) {
                        Some((owner, scope)) if owner == client => scope,
                        _ => {
                            return reply(
                                StatusCode::BAD_REQUEST,
                                json!({"error": "invalid_grant"}),
                            )
                        }
                    }
                }
                _ => {
                    return reply(
                        StatusCode::BAD_REQUEST,
                        json!({"error": "unsupported_grant_type"}),
                    )
                }
            };
            i.next += 1;
            let (access, refresh) = (format!("access-{}", i.next), format!("refresh-{}", i.next));
            let expires =
                std::time::Instant::now() + std::time::Duration::from_secs(b.ttl.unwrap_or(3600));
            i.tokens.insert(access.clone(), (scope.clone(), expires));
            i.refresh.insert(refresh.clone(), (client, scope.clone()));
            let mut answer = json!({"access_token": access, "token_type": "Bearer", "expires_in": b.ttl.unwrap_or(3600),
                       "refresh_token": refresh, "scope": scope});
            if b.id_token {
                let id = format!("idtok-{}", i.next);
                i.tokens.insert(id.clone(), (scope.clone(), expires));
                answer["id_token"] = id.into();
            }
            reply(StatusCode::OK, answer)
        }
        ("POST", "/mcp") => {
            let token = auth
                .as_deref()
                .and_then(|a| a.strip_prefix("Bearer "))
                .unwrap_or("");
            let live = i
                .tokens
                .get(token)
                .filter(|(_, until)| *until > std::time::Instant::now() && !b.reject_tokens)
                .map(|(scope, _)| scope.clone());
            let Some(scope) = live else {
                i.events.push("mcp 401".into());
                let refused = Response::builder()
                    .status(StatusCode::UNAUTHORIZED)
                    .header(
                        header::WWW_AUTHENTICATE,
                        format!("Bearer error=\"invalid_token\", resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"", fake.base),
                    );
                let msg: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                if b.rpc_401 {
                    let e = json!({"jsonrpc": "2.0", "id": msg["id"], "error": {"code": -32001, "message": "Unauthorized"}});
                    return refused
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::from(e.to_string()))
                        .unwrap();
                }
                return refused.body(Body::empty()).unwrap();
            };
            if token.starts_with("idtok-") {
                i.events.push("mcp with an id token".into());
            }
            let msg: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            let rpc = msg["method"].as_str().unwrap_or("").to_owned();
            if rpc == "tools/call" {
                if let Some(need) = &b.tool_scope {
                    if !scope.split(' ').any(|s| s == need) {
                        i.events.push("mcp 403".into());
                        return Response::builder()
                            .status(StatusCode::FORBIDDEN)
                            .header(
                                header::WWW_AUTHENTICATE,
                                format!(
                                    "Bearer error=\"insufficient_scope\", scope=\"{scope} {need}\""
                                ),
                            )
                            .body(Body::empty())
                            .unwrap();
                    }
                }
            }
            i.events.push(format!("mcp {rpc}"));
            if msg.get("id").is_none() {
                return Response::builder()
                    .status(StatusCode::ACCEPTED)
                    .body(Body::empty())
                    .unwrap();
            }
            let result = match rpc.as_str() {
                "initialize" => {
                    json!({"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                                        "serverInfo": {"name": "oauth-fake", "version": "1"}})
                }
                _ => {
                    json!({"content": [{"type": "text", "text": format!("ok with scope {scope}")}]})
                }
            };
            reply(
                StatusCode::OK,
                json!({"jsonrpc": "2.0", "id": msg["id"], "result": result}),
            )
        }
        ("GET", "/mcp") | ("DELETE", "/mcp") => reply(StatusCode::METHOD_NOT_ALLOWED, json!({})),
        _ => reply(StatusCode::NOT_FOUND, json!({"error": "not found"})),
    }
}
