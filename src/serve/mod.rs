//! `mcp-bridge serve`: a stdio MCP server put on the network as a
//! Streamable HTTP server, in the `initialize` handshake era and for
//! sessionless 2026-07-28 clients (`serve/modern.rs`), and over the older
//! HTTP+SSE transport (`serve/legacy.rs`).
//!
//! The other direction from the bridge's, and a flow of its own: it stands
//! on the shared leaves (`jsonrpc`, `stdio`, `text`, `sync`) and names
//! nothing of the bridge's client side (`relay`, `connection`, `transport`,
//! `http`, `auth`), which never name it either (`tests/layers.rs`).
//!
//! - The guard comes first, on every request: the `Host` must be one of
//!   this server's names when it listens on loopback, and an `Origin`, when
//!   a browser sends one, must be this server's own or one `--allow-origin`
//!   names (DNS rebinding); a body is read up to `--max-message-size`.
//! - `initialize` starts a session, with a child of its own that gets the
//!   client's own `initialize` (so the server sees the capabilities that
//!   client declared), and an unguessable `Mcp-Session-Id`.
//! - A request is answered on an event stream of its own
//!   ([`session::Session`]); notifications and responses get 202; GET opens
//!   the stream for what the server sends on its own, or resumes one with
//!   `Last-Event-ID`; DELETE ends the session and its child.
//! - Every request gets exactly one answer: when a child ends, each request
//!   it left waiting is answered with an error, and the next request of
//!   that session gets 404, as the specification says of a session gone.

mod access;
mod call;
pub mod child;
mod config;
mod dpop;
mod fetch;
pub mod forwarded;
mod guard;
mod introspect;
mod issuers;
mod keys;
mod legacy;
mod listen;
mod modern;
mod params;
mod pool;
mod reply;
mod router;
pub mod session;
mod shared;
mod tokens;

use crate::jsonrpc::{self, Form, Method};
use crate::sync::Locked;
use crate::text::Chain;
pub use access::{Auth, Principal};
use child::Program;
use forwarded::Via;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Method as HttpMethod, Request, Response, StatusCode};
pub use introspect::Introspection;
pub use issuers::Issuers;
pub use keys::{Keys, KeysError};
use reply::{busy, empty, event_stream, rpc_error, session_gone, text, too_large, Body};
pub use router::run;
use session::Session;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The session header.
const SESSION_HEADER: &str = "mcp-session-id";
/// How often idle sessions are looked for.
const IDLE_CHECK: Duration = Duration::from_secs(5);

/// How `serve` runs, from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The MCP endpoint's path.
    pub path: String,
    /// The stdio server each session starts.
    pub program: Program,
    /// Origins accepted besides this server's own (`--allow-origin`).
    pub allowed_origins: Vec<String>,
    /// The largest message accepted in either direction, in bytes.
    pub max_message: usize,
    /// How many sessions may be open at once.
    pub max_sessions: usize,
    /// How long a session may sit idle before it ends.
    pub idle_timeout: Duration,
    /// How long requests in flight may take to finish at shutdown.
    pub drain_timeout: Duration,
    /// One server process for every handshake-era session (`--shared`).
    pub shared: bool,
    /// The URL clients reach this server by (`--public-url`), when it is
    /// not its own address: its host is one of this server's names.
    pub public_url: Option<String>,
    /// This replica's name (`--replica`), which starts every session id
    /// it makes, for a load balancer to route by.
    pub replica: Option<String>,
    /// What a request must present (`--bearer-token-file`,
    /// `--auth-issuer`); `None` admits anyone.
    pub auth: Option<Arc<Auth>>,
    /// The addresses whose `X-Forwarded-*` and `Forwarded` are believed
    /// (`--trusted-proxy`).
    pub trusted_proxies: forwarded::Trusted,
    /// The `mcpServers` file of many servers (`--config`), served instead
    /// of `program` (which is then the default of each server's limits).
    pub config: Option<std::path::PathBuf>,
}

/// Why `serve` could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The `--config` file cannot be served.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// The server's shared state.
struct Front {
    settings: Settings,
    sessions: Mutex<HashMap<String, Arc<Session>>>,
    /// This server's own `host[:port]` names, for `Host` and `Origin`.
    own_hosts: Vec<String>,
    draining: std::sync::atomic::AtomicBool,
    /// What serves sessionless 2026-07-28 requests.
    modern: modern::Modern,
    /// Their requests on hold for the client's input.
    holds: call::Holds,
    /// The one server process of every session, with `--shared`.
    shared: shared::Shared,
    /// Where HTTP+SSE clients open their stream, and POST their messages.
    sse_path: String,
    messages_path: String,
    /// What its sessions' log lines start with: the server's name, for one
    /// of a `--config`.
    tag: String,
}

impl Front {
    /// The front of one server, served under `base` (`""`, or
    /// `/servers/NAME` for one of a `--config`), on `bound`.
    fn new(settings: Settings, bound: SocketAddr, base: &str) -> Front {
        Front {
            own_hosts: guard::own_hosts(bound, settings.public_url.as_deref()),
            modern: modern::Modern::new(&settings.program),
            holds: call::Holds::default(),
            shared: shared::Shared::new(settings.program.clone()),
            sse_path: format!("{base}{}", legacy::SSE_PATH),
            messages_path: format!("{base}{}", legacy::MESSAGES_PATH),
            tag: base
                .strip_prefix("/servers/")
                .map(|name| format!("{name} "))
                .unwrap_or_default(),
            settings,
            sessions: Mutex::new(HashMap::new()),
            draining: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

impl Front {
    /// Stop taking sessions, let requests in flight finish (within the
    /// drain time), then end every session.
    pub(super) async fn drain(&self) {
        self.draining
            .store(true, std::sync::atomic::Ordering::Relaxed);
        let deadline = Instant::now() + self.settings.drain_timeout;
        loop {
            let busy: usize = self.sessions.locked().values().map(|s| s.in_flight()).sum();
            if busy == 0 || Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let all: Vec<Arc<Session>> = self.sessions.locked().drain().map(|(_, s)| s).collect();
        for s in &all {
            s.end("mcp-bridge serve is shutting down; the request was not answered");
        }
        self.holds.clear();
        self.modern.end().await;
        self.shared.end().await;
        // The children end on their own; at shutdown the router waits for
        // every one's reaping (`child::all_reaped`).
    }

    /// End sessions idle past `--idle-timeout`, and forget ended ones;
    /// let go of 2026-07-28 requests on hold past their time.
    pub(super) async fn reap_idle(self: Arc<Self>) {
        loop {
            tokio::time::sleep(IDLE_CHECK).await;
            self.holds.reap();
            let limit = self.settings.idle_timeout;
            let mut sessions = self.sessions.locked();
            sessions.retain(|_, s| {
                let idle = s.idle_for().is_some_and(|d| d >= limit);
                if idle {
                    tracing::info!("{}: idle for {} s; ended", s.label, limit.as_secs());
                    s.end("the session was idle too long");
                }
                s.alive() && !idle
            });
        }
    }

    pub(super) async fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
        via: &Via,
    ) -> Response<Body> {
        let started = Instant::now();
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let mut who = Principal::Anyone;
        let mcp = path == self.settings.path;
        let resp = match path.as_str() {
            "/healthz" => text(StatusCode::OK, "ok\n"),
            "/readyz" => self.ready(),
            p if self.is_metadata_path(p, via) => self
                .auth_for(via)
                .and_then(|a| a.metadata())
                .unwrap_or_else(|| text(StatusCode::NOT_FOUND, "not found\n")),
            p if mcp || p == self.sse_path || p == self.messages_path => {
                // The guard first, then the credentials.
                let admitted = match self.guard(&req, via) {
                    Some(refused) => Err(Box::new(refused)),
                    None => self.admit(&req, via).await,
                };
                match admitted {
                    Err(refused) => *refused,
                    Ok(w) => {
                        who = w;
                        let front = Arc::clone(&self);
                        if mcp {
                            front.mcp(req, &who, via).await
                        } else {
                            front.legacy(req, &who, via).await
                        }
                    }
                }
            }
            _ => text(StatusCode::NOT_FOUND, "not found\n"),
        };
        // Formatted only when the line is logged (`-v`): a subject's name
        // and scopes are cleaned of control characters on the way.
        let by = By(&who);
        tracing::info!(
            "{method} {path}{by} → {} in {:.1} ms, from {}",
            resp.status().as_u16(),
            started.elapsed().as_secs_f64() * 1000.0,
            via.client
        );
        resp
    }

    /// 200 while a session can be started.
    pub(super) fn ready(&self) -> Response<Body> {
        let open = self.sessions.locked().len();
        if open < self.settings.max_sessions
            && !self.draining.load(std::sync::atomic::Ordering::Relaxed)
        {
            text(StatusCode::OK, "ready\n")
        } else {
            text(
                StatusCode::SERVICE_UNAVAILABLE,
                "no room for another session\n",
            )
        }
    }

    async fn mcp(
        self: Arc<Self>,
        req: Request<Incoming>,
        who: &Principal,
        via: &Via,
    ) -> Response<Body> {
        let session = req
            .headers()
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        match *req.method() {
            HttpMethod::POST => self.post(req, session, who, via).await,
            HttpMethod::GET => self.get(&req, session, who),
            HttpMethod::DELETE => self.delete(session, who),
            _ => text(StatusCode::METHOD_NOT_ALLOWED, "POST, GET or DELETE\n"),
        }
    }

    /// The session a request of `who` names: 400 without one, 404 for one
    /// gone, or started by someone else.
    fn session(
        &self,
        id: Option<String>,
        who: &Principal,
    ) -> Result<Arc<Session>, Box<Response<Body>>> {
        let Some(id) = id else {
            return Err(Box::new(rpc_error(
                StatusCode::BAD_REQUEST,
                -32000,
                "Bad Request: No valid session ID provided",
            )));
        };
        let mut sessions = self.sessions.locked();
        match sessions.get(&id) {
            Some(s) if s.alive() && s.owner.same_holder(who) => return Ok(Arc::clone(s)),
            // Another's session is not reached, nor told apart from none.
            Some(s) if s.alive() => return Err(Box::new(session_gone())),
            _ => {}
        }
        // One whose child ended is forgotten now.
        sessions.remove(&id);
        Err(Box::new(session_gone()))
    }

    async fn post(
        self: Arc<Self>,
        req: Request<Incoming>,
        session: Option<String>,
        who: &Principal,
        via: &Via,
    ) -> Response<Body> {
        let limit = self.settings.max_message;
        // The revision the client speaks, for its streams' priming event.
        let routing = modern::Routing::of(req.headers());
        let prime = routing
            .version
            .as_deref()
            .is_some_and(session::takes_priming);
        let m = match read_message(req, limit).await {
            Ok(m) => m,
            Err(refused) => return *refused,
        };
        if let Some(refused) = self.may_call(who, &m, via) {
            return refused;
        }
        // Sessionless, and 2026-07-28 by its header or its envelope (an
        // `initialize` so marked is refused as a method 2026-07-28 removed).
        if session.is_none() && routing.selects(&m) {
            return self.modern(routing, m).await;
        }
        if m.is(&Method::Initialize) {
            if session.is_some() {
                return rpc_error(StatusCode::BAD_REQUEST, -32600, "Invalid Request: the session is initialized already; start a new one without Mcp-Session-Id");
            }
            return self.initialize(&m, who).await;
        }
        let s = match self.session(session, who) {
            Ok(s) => s,
            Err(refused) => return *refused,
        };
        match &m.form {
            Form::Request { id, .. } => match s.request(&m, id, prime).await {
                Ok(events) => event_stream(events, None),
                Err(e) => rpc_error(
                    StatusCode::BAD_REQUEST,
                    -32600,
                    &format!("mcp-bridge: {e}", e = Chain(&e)),
                ),
            },
            _ => match s.notify(&m).await {
                Ok(()) => empty(StatusCode::ACCEPTED),
                Err(_) => session_gone(),
            },
        }
    }

    /// `initialize`: a new session, whose child gets the client's own
    /// `initialize`.
    async fn initialize(self: Arc<Self>, m: &jsonrpc::Message, who: &Principal) -> Response<Body> {
        let Some(id) = m.id().cloned() else {
            return rpc_error(StatusCode::BAD_REQUEST, -32600, "Invalid Request");
        };
        let session = match self.start_session(who).await {
            Ok(s) => s,
            Err(refused) => return *refused,
        };
        // The client names its revision in its parameters.
        let prime = jsonrpc::params_raw(&m.raw, "protocolVersion")
            .and_then(|v| serde_json::from_str::<String>(v.get()).ok())
            .is_some_and(|v| session::takes_priming(&v));
        let events = match session.request(m, &id, prime).await {
            Ok(e) => e,
            Err(e) => {
                session.end("the session could not start");
                return rpc_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    -32603,
                    &format!("mcp-bridge: {e}", e = Chain(&e)),
                );
            }
        };
        let session_id = session.id.clone();
        self.sessions.locked().insert(session_id.clone(), session);
        event_stream(events, Some(&session_id))
    }

    /// A new session with a child of its own, not yet in the table; 503
    /// while draining or full, 500 when the child cannot start.
    async fn start_session(&self, who: &Principal) -> Result<Arc<Session>, Box<Response<Body>>> {
        if self.draining.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Box::new(busy("mcp-bridge serve is shutting down")));
        }
        if self.sessions.locked().len() >= self.settings.max_sessions {
            return Err(Box::new(busy(
                "no room for another session (--max-sessions)",
            )));
        }
        let session_id = match &self.settings.replica {
            Some(name) => format!("{name}.{}", new_session_id()),
            None => new_session_id(),
        };
        let label = format!("{}{}", self.tag, session::label(&session_id));
        let started = if self.settings.shared {
            self.shared.attach().await
        } else {
            match who {
                // Its claims, as --pass-claims-env maps them.
                Principal::Subject { env, .. } if !env.is_empty() => {
                    let mut program = self.settings.program.clone();
                    program.env.extend(env.iter().cloned());
                    child::spawn(&program, &label)
                }
                _ => child::spawn(&self.settings.program, &label),
            }
        };
        let (running, from_child) = match started {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("{e}", e = Chain(&e));
                return Err(Box::new(rpc_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    -32603,
                    &format!("mcp-bridge: {e}", e = Chain(&e)),
                )));
            }
        };
        tracing::info!(
            "{label}: started {:?} (pid {})",
            self.settings.program.command,
            running.pid.unwrap_or(0)
        );
        let session = Session::new(session_id, label, running, who.clone());
        tokio::spawn(Arc::clone(&session).pump(from_child));
        Ok(session)
    }

    /// GET: the stream of what the server sends on its own, or a stream
    /// resumed after the event `Last-Event-ID` names.
    fn get(
        &self,
        req: &Request<Incoming>,
        session: Option<String>,
        who: &Principal,
    ) -> Response<Body> {
        let accepts = req
            .headers()
            .get(hyper::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/event-stream"));
        if !accepts {
            return text(
                StatusCode::NOT_ACCEPTABLE,
                "GET takes Accept: text/event-stream\n",
            );
        }
        let s = match self.session(session, who) {
            Ok(s) => s,
            Err(refused) => return *refused,
        };
        let last = req
            .headers()
            .get("last-event-id")
            .and_then(|v| v.to_str().ok())
            .and_then(session::parse_event_id);
        match s.listen(last) {
            Some(events) => event_stream(events, None),
            None => rpc_error(StatusCode::NOT_FOUND, -32001, "No such stream to resume"),
        }
    }

    /// DELETE: the session and its child end.
    fn delete(&self, session: Option<String>, who: &Principal) -> Response<Body> {
        let s = match self.session(session, who) {
            Ok(s) => s,
            Err(refused) => return *refused,
        };
        self.sessions.locked().remove(&s.id);
        tracing::info!("{}: ended by the client", s.label);
        s.end("the client ended the session");
        empty(StatusCode::OK)
    }
}

/// The one JSON-RPC message a POST carries: 413 past `limit` bytes, 400
/// with the JSON-RPC error for what is not one.
async fn read_message(
    req: Request<Incoming>,
    limit: usize,
) -> Result<jsonrpc::Message, Box<Response<Body>>> {
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(Box::new(too_large(limit)));
    }
    let body = match Limited::new(req.into_body(), limit).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Err(Box::new(too_large(limit))),
    };
    jsonrpc::classify(body).map_err(|e| {
        Box::new(rpc_error(
            StatusCode::BAD_REQUEST,
            e.code(),
            &format!("mcp-bridge: {e}", e = Chain(&e)),
        ))
    })
}

/// Who sent a request, for its log line: nothing for anyone, else
/// " by " and the principal.
struct By<'a>(&'a Principal);

impl std::fmt::Display for By<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Principal::Anyone => Ok(()),
            w => write!(f, " by {w}"),
        }
    }
}

/// An unguessable session id: 128 random bits, hex.
fn new_session_id() -> String {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system's random source");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_long_and_differ() {
        let (a, b) = (new_session_id(), new_session_id());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    }
}
