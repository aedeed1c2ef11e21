//! The session the server gave us (its `Mcp-Session-Id` and the negotiated
//! protocol version, both sent on every request after `initialize`), and the
//! keeper that starts a new one when the server has lost it.

use crate::jsonrpc::{self, Message};
use crate::relay::Router;
use crate::transport::select::Upstream;
use crate::transport::streamable_http::{Post, GET_READY_LIMIT, SESSION_HEADER, VERSION_HEADER};
use crate::transport::UpstreamError;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::value::RawValue;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Session state shared by every request task. The lock is never held across an await.
#[derive(Debug, Default)]
pub struct Session {
    state: Mutex<State>,
}

#[derive(Debug, Default, Clone)]
struct State {
    id: Option<HeaderValue>,
    version: Option<HeaderValue>,
    /// How many sessions have begun; tells a request whether the session it
    /// was sent on is still the current one.
    epoch: u64,
}

impl Session {
    /// Start a new session from the initialize answer's headers: take its
    /// session id (if it sent one) and forget the previous session's state.
    pub fn begin(&self, id: Option<&HeaderValue>) {
        let id = id.filter(|v| valid_session_id(v.as_bytes())).cloned();
        if id.is_none() {
            tracing::debug!("the server did not assign a session id");
        }
        let mut state = self.state.lock().expect("session lock");
        *state = State {
            id,
            version: None,
            epoch: state.epoch + 1,
        };
    }

    /// Record the protocol version the server chose in its initialize result.
    pub fn set_version(&self, version: Option<String>) {
        let value = version
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok());
        if let Some(v) = &version {
            tracing::info!("protocol version {v}");
        }
        self.state.lock().expect("session lock").version = value;
    }

    /// Which session is current (it changes with every `initialize`).
    pub fn epoch(&self) -> u64 {
        self.state.lock().expect("session lock").epoch
    }

    /// The current session's epoch, and whether it has an id (one lock).
    pub fn current(&self) -> (u64, bool) {
        let state = self.state.lock().expect("session lock");
        (state.epoch, state.id.is_some())
    }

    /// True once the server assigned a session id.
    pub fn has_id(&self) -> bool {
        self.state.lock().expect("session lock").id.is_some()
    }

    /// Add the session headers to a request's headers.
    pub fn apply(&self, headers: &mut HeaderMap) {
        let state = self.state.lock().expect("session lock").clone();
        if let Some(id) = state.id {
            headers.insert(HeaderName::from_static(SESSION_HEADER), id);
        }
        if let Some(v) = state.version {
            headers.insert(HeaderName::from_static(VERSION_HEADER), v);
        }
    }
}

/// What the client set up in its session, to set up again in a new one.
#[derive(Default)]
struct Setup {
    /// The client's `initialize`, replayed (with the bridge's own id).
    initialize: Option<Message>,
    /// The first answer's `serverInfo` and `capabilities`, to notice a change.
    server: Option<(String, String)>,
    subscriptions: BTreeSet<String>,
    log_level: Option<Box<RawValue>>,
}

/// Keeps the handshake-era session alive: remembers what the client set up,
/// and when the server has lost the session (after a restart, or an idle
/// expiry) starts a new one by replaying it, without the client noticing.
pub struct Keeper {
    upstream: Arc<Upstream>,
    router: Arc<Router>,
    setup: Mutex<Setup>,
    /// One renewal at a time; requests that failed together share it.
    renewing: tokio::sync::Mutex<()>,
    next_id: AtomicU64,
}

impl Keeper {
    /// A keeper for the session with `upstream`.
    pub fn new(upstream: Arc<Upstream>, router: Arc<Router>) -> Self {
        Keeper {
            upstream,
            router,
            setup: Mutex::new(Setup::default()),
            renewing: tokio::sync::Mutex::new(()),
            next_id: AtomicU64::new(1),
        }
    }

    /// The client sent `initialize` (a new session begins).
    pub fn initialize_sent(&self, m: &Message) {
        let mut setup = self.setup.lock().expect("setup lock");
        *setup = Setup {
            initialize: Some(m.clone()),
            ..Setup::default()
        };
    }

    /// The server answered the client's `initialize` with `answer`.
    pub fn initialize_answered(&self, answer: &Message) {
        if answer.is_error {
            return;
        }
        let mut setup = self.setup.lock().expect("setup lock");
        if setup.server.is_none() {
            setup.server = Some(server_identity(&answer.raw));
        }
    }

    /// Note a request that sets something up in the session.
    pub fn request_sent(&self, m: &Message) {
        let method = m.method.as_deref().unwrap_or_default();
        let field = |name| crate::modern::params_raw(&m.raw, name);
        let mut setup = self.setup.lock().expect("setup lock");
        match method {
            "resources/subscribe" | "resources/unsubscribe" => {
                if let Some(uri) =
                    field("uri").and_then(|v| serde_json::from_str::<String>(v.get()).ok())
                {
                    if method == "resources/subscribe" {
                        setup.subscriptions.insert(uri);
                    } else {
                        setup.subscriptions.remove(&uri);
                    }
                }
            }
            "logging/setLevel" => setup.log_level = field("level"),
            _ => {}
        }
    }

    /// True when `e`, for a request that carried a session id (`had_id`),
    /// means the server no longer knows that session.
    pub fn lost(&self, e: &UpstreamError, had_id: bool) -> bool {
        had_id
            && self.upstream.on_http()
            && e.is_lost_session()
            && self.setup.lock().expect("setup lock").initialize.is_some()
    }

    /// Start a new session unless one has begun since `epoch`: replay the
    /// client's `initialize` and `notifications/initialized` (their answers
    /// are not forwarded), reopen the GET stream, and re-apply the client's
    /// subscriptions and log level.
    pub async fn renew(&self, epoch: u64, why: &UpstreamError) -> Result<(), UpstreamError> {
        let _one = self.renewing.lock().await;
        let http = self.upstream.http();
        if http.session().epoch() != epoch {
            return Ok(());
        }
        let (init, old_server, subscriptions, log_level) = {
            let s = self.setup.lock().expect("setup lock");
            (
                s.initialize.clone(),
                s.server.clone(),
                s.subscriptions.clone(),
                s.log_level.clone(),
            )
        };
        let init = init.ok_or_else(|| self.renew_error("the client has not initialized"))?;
        tracing::warn!("the server lost the session ({why}); starting a new one");
        let replay = self.own_request(&init.raw)?;
        let answer = http
            .post(
                &replay,
                &Post {
                    capture: true,
                    ..Post::session()
                },
                &self.router,
            )
            .await?
            .ok_or_else(|| self.renew_error("the server did not answer initialize"))?;
        if answer.is_error {
            let text = jsonrpc::error_object(&answer.raw)
                .and_then(|e| e.message)
                .unwrap_or_default();
            return Err(self.renew_error(&format!("initialize was refused: {text}")));
        }
        if let Some(old) = old_server {
            if old != server_identity(&answer.raw) {
                tracing::warn!(
                    "the new session's server differs from the first (server info or capabilities changed); the client was told the first"
                );
            }
        }
        if let Some(ready) = self.upstream.start_stream(Arc::clone(&self.router)) {
            let _ = tokio::time::timeout(GET_READY_LIMIT, ready).await;
        }
        let initialized = jsonrpc::classify(Bytes::from_static(
            br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        ))
        .expect("well formed");
        http.send(&initialized, &self.router).await?;
        for uri in subscriptions {
            let body = serde_json::json!({"jsonrpc":"2.0","id":0,"method":"resources/subscribe","params":{"uri":uri}});
            self.setup_again(body).await;
        }
        if let Some(level) = log_level {
            let level: serde_json::Value = serde_json::from_str(level.get()).unwrap_or_default();
            let body = serde_json::json!({"jsonrpc":"2.0","id":0,"method":"logging/setLevel","params":{"level":level}});
            self.setup_again(body).await;
        }
        tracing::info!("new session started");
        Ok(())
    }

    /// Send one of the client's setup requests again, on the bridge's own id.
    async fn setup_again(&self, body: serde_json::Value) {
        let Ok(m) = self.own_request(body.to_string().as_bytes()) else {
            return;
        };
        let how = Post {
            capture: true,
            ..Post::session()
        };
        match self.upstream.http().post(&m, &how, &self.router).await {
            Ok(Some(a)) if !a.is_error => {}
            Ok(_) => tracing::warn!(
                "{} was not accepted again",
                m.method.as_deref().unwrap_or("")
            ),
            Err(e) => tracing::warn!("{} again: {e}", m.method.as_deref().unwrap_or("")),
        }
    }

    /// `raw` with the bridge's own id, which the client cannot be waiting for.
    fn own_request(&self, raw: &[u8]) -> Result<Message, UpstreamError> {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        let id = format!("mcp-bridge-renew-{n}");
        crate::modern::with_id(raw, &id)
            .ok()
            .and_then(|b| jsonrpc::classify(b).ok())
            .ok_or_else(|| self.renew_error("the client's request cannot be replayed"))
    }

    fn renew_error(&self, cause: &str) -> UpstreamError {
        UpstreamError::Handshake {
            url: self.upstream.url().to_owned(),
            cause: format!("starting a new session: {cause}"),
        }
    }
}

/// The `serverInfo` and `capabilities` of an initialize answer, as text.
fn server_identity(raw: &[u8]) -> (String, String) {
    #[derive(serde::Deserialize)]
    struct M {
        result: Option<R>,
    }
    #[derive(serde::Deserialize)]
    struct R {
        #[serde(rename = "serverInfo")]
        server_info: Option<serde_json::Value>,
        capabilities: Option<serde_json::Value>,
    }
    let r = serde_json::from_slice::<M>(raw).ok().and_then(|m| m.result);
    let text = |v: Option<serde_json::Value>| v.map(|v| v.to_string()).unwrap_or_default();
    match r {
        Some(r) => (text(r.server_info), text(r.capabilities)),
        None => Default::default(),
    }
}

/// The specification allows only visible ASCII (0x21 to 0x7E) in a session id.
fn valid_session_id(id: &[u8]) -> bool {
    !id.is_empty() && id.iter().all(|b| (0x21..=0x7e).contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_follow_the_session() {
        let s = Session::default();
        let mut h = HeaderMap::new();
        s.apply(&mut h);
        assert!(h.is_empty(), "nothing before initialize");
        s.begin(Some(&HeaderValue::from_static("abc-1")));
        s.set_version(Some("2025-06-18".into()));
        s.apply(&mut h);
        assert_eq!(h[SESSION_HEADER], "abc-1");
        assert_eq!(h[VERSION_HEADER], "2025-06-18");
        s.begin(None);
        let mut h = HeaderMap::new();
        s.apply(&mut h);
        assert!(h.is_empty(), "a new initialize forgets the old session");
    }

    #[test]
    fn invalid_session_ids_are_ignored() {
        let s = Session::default();
        s.begin(Some(&HeaderValue::from_static("has space")));
        assert!(!s.has_id());
    }
}
