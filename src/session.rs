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
use std::time::Duration;
use tokio::sync::watch;

/// Where the connection to the server stands. One value, owned by [`Link`],
/// which every part of the bridge that learns something about the server
/// (a request, the GET stream, the HTTP+SSE stream, a ping) reports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Before the first session: the client's `initialize` is on its way
    /// (and is retried while the server cannot be reached).
    Connecting,
    /// A session is up and the server answers.
    Connected,
    /// The server stopped answering (refused connections, a broken stream, a
    /// failed ping); requests retry with backoff until it is back.
    Reconnecting,
    /// The server lost the session; a new one is being started by replaying
    /// the client's setup. Requests wait for it rather than using the old one.
    Reinitializing,
    /// The bridge is shutting down.
    Closed,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Connecting => "connecting",
            Phase::Connected => "connected",
            Phase::Reconnecting => "reconnecting",
            Phase::Reinitializing => "re-initializing",
            Phase::Closed => "closed",
        }
    }

    /// The transitions the state machine allows (anything else is ignored).
    fn may_become(self, next: Phase) -> bool {
        use Phase::*;
        match (self, next) {
            (Closed, _) => false,
            (a, b) if a == b => false,
            (_, Closed) => true,
            // The first session, or a new one after a renewal.
            (Connecting | Reinitializing | Reconnecting, Connected) => true,
            // Only a session can be lost or become unreachable.
            (Connected | Reinitializing, Reconnecting) => true,
            (Connected | Reconnecting, Reinitializing) => true,
            // The client started over with a new initialize.
            (_, Connecting) => true,
            _ => false,
        }
    }
}

/// The connection's state machine, and the channel on which streams report
/// a session the server no longer knows.
#[derive(Debug)]
pub struct Link {
    phase: watch::Sender<Phase>,
    /// The epoch of a session found lost outside a request (by the GET
    /// stream), and why; the keeper renews it.
    lost: watch::Sender<Option<(u64, String)>>,
}

impl Default for Link {
    fn default() -> Self {
        Link {
            phase: watch::channel(Phase::Connecting).0,
            lost: watch::channel(None).0,
        }
    }
}

impl Link {
    /// The current phase.
    pub fn phase(&self) -> Phase {
        *self.phase.borrow()
    }

    /// Move to `next` if the state machine allows it, logging the change.
    pub fn move_to(&self, next: Phase, why: &str) {
        let mut from = None;
        self.phase.send_if_modified(|p| {
            if p.may_become(next) {
                from = Some(*p);
                *p = next;
                true
            } else {
                false
            }
        });
        if let Some(from) = from {
            match next {
                Phase::Reconnecting | Phase::Reinitializing => {
                    tracing::warn!("connection: {} → {} ({why})", from.name(), next.name())
                }
                _ => tracing::info!("connection: {} → {} ({why})", from.name(), next.name()),
            }
        }
    }

    /// Something reached the server and got an HTTP answer.
    pub fn reachable(&self, what: &str) {
        if self.phase() == Phase::Reconnecting {
            self.move_to(
                Phase::Connected,
                &format!("{what} reached the server again"),
            );
        }
    }

    /// Something could not reach the server (`why`).
    pub fn unreachable(&self, why: &dyn std::fmt::Display) {
        if self.phase() == Phase::Connected {
            self.move_to(Phase::Reconnecting, &why.to_string());
        }
    }

    /// A stream found that the server no longer knows the session `epoch`.
    pub fn report_lost(&self, epoch: u64, why: String) {
        self.lost.send_replace(Some((epoch, why)));
    }

    /// Wait, at most `limit`, while a new session is being started, so that
    /// a request goes out on the new session rather than the lost one.
    pub async fn settled(&self, limit: Duration) {
        let mut rx = self.phase.subscribe();
        let _ = tokio::time::timeout(limit, rx.wait_for(|p| *p != Phase::Reinitializing)).await;
    }
}

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
pub struct Setup {
    /// The client's `initialize`, replayed (with the bridge's own id).
    initialize: Option<Message>,
    /// The first answer's `serverInfo` and `capabilities`, to notice a change.
    server: Option<(String, String)>,
    subscriptions: BTreeSet<String>,
    log_level: Option<Box<RawValue>>,
}

/// Ids for the bridge's own requests; the client cannot be waiting for them.
static NEXT_OWN_ID: AtomicU64 = AtomicU64::new(1);

/// `raw` with a fresh bridge id `mcp-bridge-{what}-N`.
pub fn own_request(raw: &[u8], what: &str) -> Option<Message> {
    let n = NEXT_OWN_ID.fetch_add(1, Ordering::Relaxed);
    crate::modern::with_id(raw, &format!("mcp-bridge-{what}-{n}"))
        .ok()
        .and_then(|b| jsonrpc::classify(b).ok())
}

impl Setup {
    /// The messages that set the client's session up again, in order, on
    /// the bridge's own ids: `initialize`, `notifications/initialized`, each
    /// `resources/subscribe`, `logging/setLevel`. Empty before the client
    /// has initialized.
    pub fn replay(&self) -> Vec<Message> {
        let Some(init) = &self.initialize else {
            return Vec::new();
        };
        let mut out: Vec<Message> = own_request(&init.raw, "renew").into_iter().collect();
        out.extend(
            jsonrpc::classify(Bytes::from_static(
                br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            ))
            .ok(),
        );
        for uri in &self.subscriptions {
            let body = serde_json::json!({"jsonrpc":"2.0","id":0,"method":"resources/subscribe","params":{"uri":uri}});
            out.extend(own_request(body.to_string().as_bytes(), "renew"));
        }
        if let Some(level) = &self.log_level {
            let level: serde_json::Value = serde_json::from_str(level.get()).unwrap_or_default();
            let body = serde_json::json!({"jsonrpc":"2.0","id":0,"method":"logging/setLevel","params":{"level":level}});
            out.extend(own_request(body.to_string().as_bytes(), "renew"));
        }
        out
    }
}

/// Keeps the handshake-era session alive: remembers what the client set up,
/// and when the server has lost the session (after a restart, or an idle
/// expiry) starts a new one by replaying it, without the client noticing.
pub struct Keeper {
    upstream: Arc<Upstream>,
    router: Arc<Router>,
    setup: Arc<Mutex<Setup>>,
    /// One renewal at a time; requests that failed together share it.
    renewing: tokio::sync::Mutex<()>,
}

/// How long starting a new session may take (a server that accepts the
/// connection and never answers must not hold every request forever).
const RENEW_LIMIT: Duration = Duration::from_secs(30);

/// How long one keep-alive ping may take before it counts as failed (or
/// the ping interval, when that is shorter).
const PING_LIMIT: Duration = Duration::from_secs(10);

impl Keeper {
    /// A keeper for the session with `upstream`.
    pub fn new(upstream: Arc<Upstream>, router: Arc<Router>) -> Self {
        let setup = Arc::new(Mutex::new(Setup::default()));
        let shared = Arc::clone(&setup);
        // A reopened HTTP+SSE stream is a new server session: set it up again.
        upstream.sse().set_replay(Box::new(move || {
            shared.lock().expect("setup lock").replay()
        }));
        Keeper {
            upstream,
            router,
            setup,
            renewing: tokio::sync::Mutex::new(()),
        }
    }

    fn link(&self) -> &Link {
        self.upstream.link()
    }

    /// The client sent `initialize` (a new session begins).
    pub fn initialize_sent(&self, m: &Message) {
        self.link()
            .move_to(Phase::Connecting, "the client sent initialize");
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

    /// The client sent `notifications/initialized`: its session is up.
    pub fn client_initialized(&self) {
        self.link()
            .move_to(Phase::Connected, "the session is initialized");
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

    /// Renew sessions that a stream (not a request) found lost, for as long
    /// as the bridge runs.
    pub async fn heal(self: Arc<Self>) {
        let mut lost = self.link().lost.subscribe();
        while lost.changed().await.is_ok() {
            let found = lost.borrow_and_update().clone();
            if let Some((epoch, why)) = found {
                if let Err(e) = self.renew(epoch, &why).await {
                    tracing::warn!("{e}; the next request tries again");
                }
            }
        }
    }

    /// Ping the server every `every` with the bridge's own ids (answers are
    /// not forwarded), so that idle connections stay open and a dead one is
    /// noticed: a failed ping starts the reconnect path.
    pub async fn keep_alive(self: Arc<Self>, every: Duration) {
        let ping = br#"{"jsonrpc":"2.0","id":0,"method":"ping"}"#;
        let limit = PING_LIMIT.min(every);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // Only a handshake-era session reaches these phases (the
            // client's `initialized` is what first makes it connected).
            if !matches!(self.link().phase(), Phase::Connected | Phase::Reconnecting) {
                continue;
            }
            let Some(m) = own_request(ping, "ping") else {
                continue;
            };
            let (epoch, had_id) = self.upstream.http().session().current();
            let sent = tokio::time::timeout(limit, self.upstream.ping(&m, &self.router)).await;
            let e = match sent {
                Ok(Ok(())) => {
                    tracing::debug!("ping answered");
                    self.link().reachable("a ping");
                    continue;
                }
                Ok(Err(e)) => e,
                Err(_) => UpstreamError::Timeout {
                    url: self.upstream.url().to_owned(),
                    cause: format!("a ping had no answer within {} s", limit.as_secs_f64()),
                },
            };
            if self.lost(&e, had_id) {
                if let Err(e2) = self.renew(epoch, &e).await {
                    tracing::warn!("{e2}; trying again at the next ping");
                }
                continue;
            }
            tracing::info!("ping failed: {e}");
            self.link().unreachable(&format_args!("a ping failed: {e}"));
            // The streams may sit on a dead connection too: open them afresh.
            self.upstream.restart_stream(Arc::clone(&self.router));
        }
    }

    /// Start a new session unless one has begun since `epoch`: replay the
    /// client's `initialize` and `notifications/initialized` (their answers
    /// are not forwarded), reopen the GET stream, and re-apply the client's
    /// subscriptions and log level.
    pub async fn renew(
        &self,
        epoch: u64,
        why: &(dyn std::fmt::Display + Sync),
    ) -> Result<(), UpstreamError> {
        let _one = self.renewing.lock().await;
        let http = self.upstream.http();
        if http.session().epoch() != epoch {
            return Ok(());
        }
        let (replay, old_server) = {
            let s = self.setup.lock().expect("setup lock");
            (s.replay(), s.server.clone())
        };
        let mut replay = replay.into_iter();
        let init = replay
            .next()
            .ok_or_else(|| self.renew_error("the client has not initialized"))?;
        self.link().move_to(
            Phase::Reinitializing,
            &format!("the server lost the session: {why}"),
        );
        let result = tokio::time::timeout(RENEW_LIMIT, self.start_again(init, replay, old_server))
            .await
            .unwrap_or_else(|_| {
                Err(self.renew_error(&format!("no answer within {} s", RENEW_LIMIT.as_secs())))
            });
        match &result {
            Ok(()) => self
                .link()
                .move_to(Phase::Connected, "a new session started"),
            Err(e) => self
                .link()
                .move_to(Phase::Reconnecting, &format!("no new session: {e}")),
        }
        result
    }

    async fn start_again(
        &self,
        init: Message,
        rest: impl Iterator<Item = Message>,
        old_server: Option<(String, String)>,
    ) -> Result<(), UpstreamError> {
        let http = self.upstream.http();
        let captured = Post {
            capture: true,
            ..Post::session()
        };
        let answer = http
            .post(&init, &captured, &self.router)
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
        // Open the GET stream before `initialized`, as for the first session.
        if let Some(ready) = self.upstream.start_stream(Arc::clone(&self.router)) {
            let _ = tokio::time::timeout(GET_READY_LIMIT, ready).await;
        }
        for m in rest {
            let name = m.method.clone().unwrap_or_default();
            if m.kind != jsonrpc::Kind::Request {
                http.send(&m, &self.router).await?;
                continue;
            }
            match http.post(&m, &captured, &self.router).await {
                Ok(Some(a)) if !a.is_error => {}
                Ok(_) => tracing::warn!("{name} was not accepted again"),
                Err(e) => tracing::warn!("{name} again: {e}"),
            }
        }
        Ok(())
    }

    fn renew_error(&self, cause: &str) -> UpstreamError {
        UpstreamError::Renew {
            url: self.upstream.url().to_owned(),
            cause: cause.to_owned(),
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
    fn the_state_machine_allows_only_its_transitions() {
        use Phase::*;
        let link = Link::default();
        assert_eq!(link.phase(), Connecting);
        link.unreachable(&"refused");
        assert_eq!(
            link.phase(),
            Connecting,
            "no session yet: nothing to reconnect"
        );
        link.move_to(Reinitializing, "x");
        assert_eq!(
            link.phase(),
            Connecting,
            "nothing to renew before a session"
        );
        link.move_to(Connected, "initialized");
        link.unreachable(&"refused");
        assert_eq!(link.phase(), Reconnecting);
        link.reachable("a request");
        assert_eq!(link.phase(), Connected);
        link.move_to(Reinitializing, "404");
        link.reachable("a request");
        assert_eq!(
            link.phase(),
            Reinitializing,
            "only a renewal ends a renewal"
        );
        link.move_to(Connected, "renewed");
        link.move_to(Closed, "bye");
        link.move_to(Connected, "late");
        link.move_to(Connecting, "late");
        assert_eq!(link.phase(), Closed, "closed is final");
    }

    #[test]
    fn replay_is_the_clients_setup_on_bridge_ids() {
        let mut setup = Setup::default();
        assert!(setup.replay().is_empty(), "nothing before initialize");
        let init = br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#;
        setup.initialize = Some(jsonrpc::classify(Bytes::from_static(init)).unwrap());
        setup.subscriptions.insert("file:///a".into());
        setup.log_level = RawValue::from_string("\"debug\"".into()).ok();
        let replay = setup.replay();
        let methods: Vec<_> = replay.iter().map(|m| m.method.clone().unwrap()).collect();
        assert_eq!(
            methods,
            [
                "initialize",
                "notifications/initialized",
                "resources/subscribe",
                "logging/setLevel"
            ]
        );
        for m in replay.iter().filter(|m| m.id.is_some()) {
            assert!(m
                .id
                .as_ref()
                .unwrap()
                .to_string()
                .contains("mcp-bridge-renew-"));
        }
        let v: serde_json::Value = serde_json::from_slice(&replay[0].raw).unwrap();
        assert_eq!(
            v["params"]["clientInfo"]["name"], "c",
            "the client's own parameters"
        );
        let v: serde_json::Value = serde_json::from_slice(&replay[3].raw).unwrap();
        assert_eq!(v["params"]["level"], "debug");
    }

    #[test]
    fn invalid_session_ids_are_ignored() {
        let s = Session::default();
        s.begin(Some(&HeaderValue::from_static("has space")));
        assert!(!s.has_id());
    }
}
