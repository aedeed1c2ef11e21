//! The pump between stdio and the upstream: every client message goes up,
//! every server message comes down, and every client request gets exactly one
//! answer.

use crate::http::retry;
use crate::jsonrpc::{self, Id, Kind, Message};
use crate::modern::{self, Translator};
use crate::session::{Keeper, Phase};
use crate::stdio::Inbound;
use crate::tools::ToolFilter;
use crate::transport::select::{legacy_signal, Sent, Upstream};
use crate::transport::streamable_http::{Post, GET_READY_LIMIT};
use crate::transport::UpstreamError;
use bytes::Bytes;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify};
use tokio::task::AbortHandle;

/// How long in-flight requests may still finish after stdin closes.
const DRAIN_GRACE: Duration = Duration::from_millis(1000);
/// How long the DELETE that ends the session may take.
const CLOSE_LIMIT: Duration = Duration::from_millis(900);

/// A client request still waiting for its answer.
struct Pending {
    method: String,
    started: Instant,
    /// How many requests with this id are in flight (a client should not
    /// reuse ids, but if it does, each still gets one answer).
    count: u32,
}

/// Owns the way to stdout and the table of requests waiting for answers, so
/// that exactly one answer reaches the client for each request.
pub struct Router {
    out: mpsc::Sender<Bytes>,
    pending: Mutex<HashMap<Id, Pending>>,
    idle: Notify,
    /// The tools the client may see (`--ignore-tool`, `--allow-tool`).
    tools: ToolFilter,
}

impl Router {
    /// A router writing lines to `out` (the stdout writer's queue).
    pub fn new(out: mpsc::Sender<Bytes>) -> Self {
        Router {
            out,
            pending: Mutex::new(HashMap::new()),
            idle: Notify::new(),
            tools: ToolFilter::default(),
        }
    }

    /// This router, hiding the tools `tools` hides.
    pub fn with_tools(mut self, tools: ToolFilter) -> Self {
        self.tools = tools;
        self
    }

    fn track(&self, id: &Id, method: &str) {
        let mut pending = self.pending.lock().expect("pending lock");
        pending
            .entry(id.clone())
            .and_modify(|p| p.count += 1)
            .or_insert_with(|| Pending {
                method: method.to_owned(),
                started: Instant::now(),
                count: 1,
            });
    }

    /// Take one waiter for `id`; `None` when nothing waits for it.
    fn take(&self, id: &Id) -> Option<(String, Duration)> {
        let mut pending = self.pending.lock().expect("pending lock");
        let p = pending.get_mut(id)?;
        let found = (p.method.clone(), p.started.elapsed());
        p.count -= 1;
        if p.count == 0 {
            pending.remove(id);
            if pending.is_empty() {
                self.idle.notify_waiters();
            }
        }
        Some(found)
    }

    /// True when a request with `id` is still waiting.
    pub fn is_pending(&self, id: &Id) -> bool {
        self.pending.lock().expect("pending lock").contains_key(id)
    }

    async fn write(&self, line: Bytes) {
        // The writer only goes away when stdout is closed: then nobody reads.
        let _ = self.out.send(jsonrpc::one_line(line)).await;
    }

    /// Send a message that came from the server. A response goes out only if
    /// its request is still waiting; anything else goes out as it is.
    pub async fn deliver(&self, m: Message) {
        match m.kind {
            Kind::Response => {
                let Some(id) = &m.id else {
                    tracing::warn!(
                        "dropped an error from the server not tied to any request: {}",
                        jsonrpc::error_object(&m.raw)
                            .and_then(|e| e.message)
                            .unwrap_or_default()
                    );
                    return;
                };
                match self.take(id) {
                    Some((method, took)) => {
                        tracing::info!(
                            "← response {method} id={id} {}B in {:.1} ms{}",
                            m.raw.len(),
                            took.as_secs_f64() * 1000.0,
                            if m.is_error { " (error)" } else { "" }
                        );
                        let raw = if method == "tools/list" {
                            self.tools.list(m.raw)
                        } else {
                            m.raw
                        };
                        self.write(raw).await;
                    }
                    None => {
                        tracing::debug!("dropped a response for id {id}, which nothing waits for")
                    }
                }
            }
            Kind::Request | Kind::Notification => {
                tracing::info!(
                    "← {} {} {}{}B",
                    kind_name(m.kind),
                    m.method.as_deref().unwrap_or(""),
                    m.id.as_ref()
                        .map(|i| format!("id={i} "))
                        .unwrap_or_default(),
                    m.raw.len()
                );
                self.write(m.raw).await;
            }
        }
    }

    /// Answer the request `id` with `line` if it is still waiting. Returns
    /// whether the answer went out.
    pub async fn answer(&self, id: &Id, line: Bytes) -> bool {
        match self.take(id) {
            Some((method, took)) => {
                tracing::info!(
                    "← bridge error for {method} id={id} after {:.1} ms",
                    took.as_secs_f64() * 1000.0
                );
                self.write(line).await;
                true
            }
            None => false,
        }
    }

    /// Answer the request `id` with a result the bridge made itself (a
    /// request the upstream does not serve, such as ping on 2026-07-28).
    pub async fn answer_ok(&self, id: &Id, line: Bytes) -> bool {
        match self.take(id) {
            Some((method, _)) => {
                tracing::info!("← {method} id={id} answered by the bridge");
                self.write(line).await;
                true
            }
            None => false,
        }
    }

    /// Write a line that answers no tracked request (errors about bad input).
    pub async fn write_untracked(&self, line: Bytes) {
        self.write(line).await;
    }

    /// Wait until no request is in flight, or until `limit` passes.
    async fn wait_idle(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.idle.notified();
            if self.pending.lock().expect("pending lock").is_empty() {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return;
            }
        }
    }

    fn waiting_ids(&self) -> Vec<Id> {
        self.pending
            .lock()
            .expect("pending lock")
            .keys()
            .cloned()
            .collect()
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Request => "request",
        Kind::Notification => "notification",
        Kind::Response => "response",
    }
}

/// Which protocol eras the bridge may speak upstream, in mcp-remote's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// Relay what the client speaks; never probe.
    Legacy,
    /// Probe with `server/discover` when a handshake-era client initializes,
    /// and translate for it when the server speaks only 2026-07-28.
    Auto,
}

/// The protocol era the client and server are using.
#[derive(Clone)]
enum Era {
    /// Nothing decided yet.
    Unknown,
    /// `initialize` and a session, relayed as they are.
    Handshake,
    /// The client speaks 2026-07-28 itself: each request relayed statelessly,
    /// with the version its own envelope names.
    Modern(String),
    /// A handshake-era client, translated for a 2026-07-28 server.
    Translated(Arc<Translator>),
}

/// Which era a running relay speaks, for `check`.
pub struct EraProbe(Arc<Mutex<Era>>);

impl EraProbe {
    /// `None` until decided; else the revision spoken upstream when the
    /// relay speaks it for the client (2026-07-28), and a description.
    pub fn describe(&self) -> Option<(Option<String>, &'static str)> {
        match &*self.0.lock().expect("era lock") {
            Era::Unknown => None,
            Era::Handshake => Some((None, "handshake era, with a session")),
            Era::Modern(v) => Some((Some(v.clone()), "stateless era")),
            Era::Translated(_) => Some((
                Some(modern::MODERN.to_owned()),
                "stateless era, translated for handshake-era clients",
            )),
        }
    }
}

/// How the relay behaves, from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The largest message accepted from the client, in bytes.
    pub max_message: usize,
    /// Which protocol eras may be spoken upstream.
    pub protocol: Protocol,
    /// How long a message keeps being retried while the server cannot be reached.
    pub retry_for: Duration,
    /// How long a request may wait for its answer; `None` for no limit.
    pub request_timeout: Option<Duration>,
    /// How often to ping an idle server; `None` for never.
    pub ping_every: Option<Duration>,
}

/// The relay between the client (stdio) and the upstream server.
pub struct Relay {
    upstream: Arc<Upstream>,
    router: Arc<Router>,
    settings: Settings,
    era: Arc<Mutex<Era>>,
    /// Stateless requests in flight, so a cancellation can close their streams.
    calls: Arc<Mutex<HashMap<Id, AbortHandle>>>,
    keeper: Arc<Keeper>,
}

impl Relay {
    /// A relay sending client messages to `upstream` and answers through `router`.
    pub fn new(upstream: Arc<Upstream>, router: Arc<Router>, settings: Settings) -> Self {
        Relay {
            keeper: Arc::new(Keeper::new(Arc::clone(&upstream), Arc::clone(&router))),
            upstream,
            router,
            settings,
            era: Arc::new(Mutex::new(Era::Unknown)),
            calls: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// A way to ask, while the relay runs, which era it settled on.
    pub fn era_probe(&self) -> EraProbe {
        EraProbe(Arc::clone(&self.era))
    }

    fn era(&self) -> Era {
        self.era.lock().expect("era lock").clone()
    }

    fn set_era(&self, era: Era) {
        *self.era.lock().expect("era lock") = era;
    }

    /// Relay until stdin closes or `shutdown` fires, then let in-flight
    /// requests finish briefly, answer the rest, and end the session.
    pub async fn run(
        self,
        mut inbound: mpsc::Receiver<Inbound>,
        shutdown: impl Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        let heal = tokio::spawn(Arc::clone(&self.keeper).heal());
        let ping = self
            .settings
            .ping_every
            .map(|every| tokio::spawn(Arc::clone(&self.keeper).keep_alive(every)));
        loop {
            let next = tokio::select! {
                biased;
                () = &mut shutdown => break,
                next = inbound.recv() => next,
            };
            match next {
                None | Some(Inbound::Closed) => {
                    tracing::debug!("stdin closed");
                    break;
                }
                Some(Inbound::TooLong { len }) => {
                    let text = format!(
                        "mcp-bridge: a message of {len} bytes or more exceeds the limit of {} bytes (--max-message-size); it was not sent",
                        self.settings.max_message
                    );
                    tracing::warn!("{text}");
                    self.router
                        .write_untracked(jsonrpc::error_response(
                            None,
                            jsonrpc::INVALID_REQUEST,
                            &text,
                            None,
                        ))
                        .await;
                }
                Some(Inbound::Line(line)) => {
                    // Some messages must reach the server before the next one
                    // is read (see `dispatch`); they still yield to shutdown.
                    let stop = tokio::select! {
                        biased;
                        () = &mut shutdown => true,
                        () = self.handle_line(line) => false,
                    };
                    if stop {
                        break;
                    }
                }
            }
        }
        heal.abort();
        if let Some(p) = ping {
            p.abort();
        }
        self.shut_down().await;
    }

    async fn handle_line(&self, line: Bytes) {
        let items = match jsonrpc::parse(line) {
            Ok(items) => items,
            Err(e) => return self.refuse(e).await,
        };
        for item in items {
            match item {
                Ok(m) => self.dispatch(m).await,
                Err(e) => self.refuse(e).await,
            }
        }
    }

    /// The error for a call to a tool the command line hides, if it is one.
    fn hidden_tool(&self, m: &Message, id: &Id) -> Option<Bytes> {
        let name = jsonrpc::params_str_field(&m.raw, "name")?;
        let flag = self.router.tools.hides(&name)?;
        tracing::info!("refused a call to the tool {name:?}, hidden by {flag}");
        Some(jsonrpc::error_response(
            Some(id),
            jsonrpc::INVALID_PARAMS,
            &format!("mcp-bridge: the tool {name:?} is not available (hidden by {flag})"),
            None,
        ))
    }

    async fn refuse(&self, e: jsonrpc::Invalid) {
        tracing::warn!("ignored a line from the client: {e}");
        let line = jsonrpc::error_response(e.id(), e.code(), &format!("mcp-bridge: {e}"), None);
        self.router.write_untracked(line).await;
    }

    /// Send one client message upstream, in the era the client and server use.
    async fn dispatch(&self, m: Message) {
        let method = m.method.clone().unwrap_or_default();
        tracing::info!(
            "→ {} {} {}{}B",
            kind_name(m.kind),
            method,
            m.id.as_ref()
                .map(|i| format!("id={i} "))
                .unwrap_or_default(),
            m.raw.len()
        );
        if m.kind == Kind::Request {
            let id = m.id.clone().expect("a request has an id");
            self.router.track(&id, &method);
            if method == "initialize" {
                return self.initialize(m, id).await;
            }
            if method == "tools/call" {
                if let Some(refusal) = self.hidden_tool(&m, &id) {
                    self.router.answer(&id, refusal).await;
                    return;
                }
            }
        }
        if method == "notifications/cancelled" {
            self.cancelled(&m);
        }
        match self.era() {
            Era::Translated(t) => t.dispatch(m).await,
            Era::Modern(version) => {
                // Each request names its own version; other messages use the era's.
                let own = (m.kind == Kind::Request)
                    .then(|| modern::request_version(&m.raw))
                    .flatten();
                let version = own.unwrap_or(version);
                self.dispatch_modern(m, &version);
            }
            Era::Handshake => self.dispatch_handshake(m).await,
            Era::Unknown => {
                let version = (m.kind == Kind::Request)
                    .then(|| modern::request_version(&m.raw))
                    .flatten()
                    .filter(|v| !modern::HANDSHAKE_VERSIONS.contains(&v.as_str()));
                match version {
                    Some(v) => {
                        tracing::info!("protocol era: {v} (the client's requests carry it); relaying statelessly");
                        self.set_era(Era::Modern(v.clone()));
                        self.dispatch_modern(m, &v);
                    }
                    None if method == "server/discover" => {
                        // A probe without an envelope: relay it as the newest revision.
                        self.dispatch_modern(m, modern::MODERN);
                    }
                    None => self.dispatch_handshake(m).await,
                }
            }
        }
    }

    /// The client's `initialize`, relayed as it is; this also picks the
    /// transport. In `auto`, when the server refuses the handshake, ask
    /// whether it speaks 2026-07-28 and, if so, answer for it. Awaited, so
    /// that the session id is known before anything else is sent.
    async fn initialize(&self, m: Message, id: Id) {
        let auto = self.settings.protocol == Protocol::Auto;
        self.keeper.initialize_sent(&m);
        if let Era::Translated(old) = self.era() {
            old.stop();
            return self.translate_or(m, id, Refusal::None).await;
        }
        if !self.upstream.tries_http_first() {
            tracing::info!("protocol era: handshake (the client sent initialize)");
            self.set_era(Era::Handshake);
            return self.exchange(m, id).await;
        }
        let first = retry::while_unreachable(self.settings.retry_for, || {
            self.upstream.initialize_http(&m, &self.router)
        })
        .await;
        match first {
            Ok(Some(answer)) if auto && refuses_handshake(&answer) => {
                self.translate_or(m, id, Refusal::Answer(answer)).await;
            }
            Ok(answer) => {
                tracing::info!("protocol era: handshake (the server answered initialize)");
                self.set_era(Era::Handshake);
                match answer {
                    Some(a) => {
                        self.keeper.initialize_answered(&a);
                        self.router.deliver(a).await;
                    }
                    None => finish(&self.upstream, &self.router, &m, &id, Ok(Sent::Done)).await,
                }
            }
            Err(e) if legacy_signal(&e) && auto => {
                self.translate_or(m, id, Refusal::Status(e)).await;
            }
            Err(e) if legacy_signal(&e) => {
                self.set_era(Era::Handshake);
                let r = self.upstream.fall_back_to_sse(&m, &self.router, e).await;
                finish(&self.upstream, &self.router, &m, &id, r).await;
            }
            Err(e) => finish(&self.upstream, &self.router, &m, &id, Err(e)).await,
        }
    }

    /// The server refused the handshake (or served only 2026-07-28 before):
    /// if `server/discover` shows it speaks 2026-07-28, translate for the
    /// client; otherwise go on as the handshake era would have.
    async fn translate_or(&self, m: Message, id: Id, refusal: Refusal) {
        match modern::probe(self.upstream.http(), &self.router, &m).await {
            modern::Probe::Modern(found) => {
                let t = Translator::start(
                    Arc::clone(self.upstream.http()),
                    Arc::clone(&self.router),
                    &m,
                    found,
                    self.settings.request_timeout,
                )
                .await;
                self.set_era(Era::Translated(t));
            }
            modern::Probe::Handshake(why) => {
                tracing::info!("protocol era: handshake ({why})");
                self.set_era(Era::Handshake);
                let upstream = &self.upstream;
                let result = match refusal {
                    Refusal::Answer(a) => {
                        self.router.deliver(a).await;
                        return;
                    }
                    Refusal::Status(e) => upstream.fall_back_to_sse(&m, &self.router, e).await,
                    Refusal::None => {
                        retry::while_unreachable(self.settings.retry_for, || {
                            upstream.send(&m, &self.router)
                        })
                        .await
                    }
                };
                finish(upstream, &self.router, &m, &id, result).await;
            }
            modern::Probe::Failed(e) => {
                finish(&self.upstream, &self.router, &m, &id, Err(e)).await;
            }
        }
    }

    /// Relay the request `m` in the handshake era, awaited.
    async fn exchange(&self, m: Message, id: Id) {
        exchange(self.exchanger(), m, id).await;
    }

    fn exchanger(&self) -> Exchanger {
        Exchanger {
            keeper: Arc::clone(&self.keeper),
            upstream: Arc::clone(&self.upstream),
            router: Arc::clone(&self.router),
            retry_for: self.settings.retry_for,
            timeout: self.settings.request_timeout,
        }
    }

    /// A message of the handshake era. Requests run concurrently;
    /// `notifications/initialized` is awaited (after the GET stream is open),
    /// so the server hears it before the requests that follow it.
    async fn dispatch_handshake(&self, m: Message) {
        let method = m.method.as_deref().unwrap_or_default();
        match m.kind {
            Kind::Request => {
                let id = m.id.clone().expect("a request has an id");
                self.keeper.request_sent(&m);
                tokio::spawn(exchange(self.exchanger(), m, id));
            }
            Kind::Notification if method == "notifications/initialized" => {
                self.keeper.client_initialized();
                // Open the GET stream first, so that whatever the server sends
                // on it as soon as it hears `initialized` is not lost.
                if let Some(ready) = self.upstream.start_stream(Arc::clone(&self.router)) {
                    if tokio::time::timeout(GET_READY_LIMIT, ready).await.is_err() {
                        tracing::info!(
                            "the GET stream is slow to open; sending initialized anyway"
                        );
                    }
                }
                if let Err(e) = self.upstream.send(&m, &self.router).await {
                    tracing::warn!("notifications/initialized was not delivered: {e}");
                }
            }
            Kind::Notification | Kind::Response => {
                let upstream = Arc::clone(&self.upstream);
                let router = Arc::clone(&self.router);
                tokio::spawn(async move {
                    if let Err(e) = upstream.send(&m, &router).await {
                        tracing::warn!(
                            "a {} from the client was not delivered: {e}",
                            kind_name(m.kind)
                        );
                    }
                });
            }
        }
    }

    /// The client cancelled a request: the server will not answer it, and the
    /// client expects no answer. A stateless request's stream is closed,
    /// which is how 2026-07-28 cancels.
    fn cancelled(&self, m: &Message) {
        if let Some(id) = jsonrpc::params_id_field(&m.raw, "requestId") {
            if self.router.take(&id).is_some() {
                tracing::debug!("request {id} cancelled by the client");
            }
            if let Some(task) = self.calls.lock().expect("calls lock").remove(&id) {
                task.abort();
            }
        }
    }

    /// A message from a client that speaks 2026-07-28 itself: relayed as it
    /// is, without a session, with the routing headers that revision asks
    /// (`version` is the protocol version they name).
    fn dispatch_modern(&self, m: Message, version: &str) {
        let how = Post {
            session: false,
            extra: Some(modern::routing_headers(&m, version)),
            capture: false,
            quiet: None,
        };
        let upstream = Arc::clone(&self.upstream);
        let router = Arc::clone(&self.router);
        match m.kind {
            Kind::Request => {
                let id = m.id.clone().expect("a request has an id");
                let calls = Arc::clone(&self.calls);
                let key = id.clone();
                let retry_for = self.settings.retry_for;
                let limit = self.settings.request_timeout;
                let task = tokio::spawn(async move {
                    // Dropping the POST on a timeout closes its stream, which
                    // is how 2026-07-28 cancels.
                    let result = within(limit, upstream.url(), async {
                        retry::while_unreachable(retry_for, || {
                            upstream.http().post(&m, &how, &router)
                        })
                        .await
                    })
                    .await;
                    calls.lock().expect("calls lock").remove(&id);
                    finish(&upstream, &router, &m, &id, result.map(|_| Sent::Done)).await;
                });
                self.calls
                    .lock()
                    .expect("calls lock")
                    .insert(key, task.abort_handle());
            }
            Kind::Notification | Kind::Response => {
                tokio::spawn(async move {
                    if let Err(e) = upstream.http().post(&m, &how, &router).await {
                        tracing::debug!(
                            "a {} from the client was not delivered: {e}",
                            kind_name(m.kind)
                        );
                    }
                });
            }
        }
    }

    async fn shut_down(&self) {
        self.upstream
            .link()
            .move_to(Phase::Closed, "the client is gone");
        self.router.wait_idle(DRAIN_GRACE).await;
        for id in self.router.waiting_ids() {
            let line = jsonrpc::error_response(
                Some(&id),
                jsonrpc::SHUTTING_DOWN,
                "mcp-bridge is shutting down; the request was not answered",
                None,
            );
            self.router.answer(&id, line).await;
        }
        if let Era::Translated(t) = self.era() {
            t.stop();
        }
        self.upstream.close(CLOSE_LIMIT).await;
    }
}

/// How the server refused a client's `initialize`.
enum Refusal {
    /// It answered with a JSON-RPC error.
    Answer(Message),
    /// It answered 400, 404 or 405.
    Status(UpstreamError),
    /// Nothing was sent yet (the server spoke only 2026-07-28 before).
    None,
}

/// True for an answer to `initialize` that means "I do not do the
/// handshake": an unsupported protocol version, or no such method.
fn refuses_handshake(answer: &Message) -> bool {
    answer.is_error
        && jsonrpc::error_object(&answer.raw)
            .and_then(|e| e.code)
            .is_some_and(|c| c == modern::UNSUPPORTED_VERSION || c == jsonrpc::METHOD_NOT_FOUND)
}

/// What a handshake-era request needs on its way.
struct Exchanger {
    keeper: Arc<Keeper>,
    upstream: Arc<Upstream>,
    router: Arc<Router>,
    retry_for: Duration,
    timeout: Option<Duration>,
}

/// Send one handshake-era request and make sure it is answered exactly once.
/// When the server has lost the session, a new one is started and the
/// request sent once more (the server refused it, so it did not run). Past
/// the request timeout, the client gets an error and the server is told the
/// request is cancelled.
async fn exchange(x: Exchanger, m: Message, id: Id) {
    let Exchanger {
        keeper,
        upstream,
        router,
        retry_for,
        timeout,
    } = x;
    let run = async {
        // A request that arrives while a new session is being started goes
        // out on the new one.
        upstream.link().settled(retry_for).await;
        let (epoch, had_id) = upstream.http().session().current();
        let send = || retry::while_unreachable(retry_for, || upstream.send(&m, &router));
        let result = send().await;
        match result {
            Err(e) if m.method.as_deref() != Some("initialize") && keeper.lost(&e, had_id) => {
                match keeper.renew(epoch, &e).await {
                    Ok(()) => {
                        tracing::info!(
                            "sending {} id={id} again on the new session",
                            m.method.as_deref().unwrap_or("")
                        );
                        send().await
                    }
                    Err(e2) => Err(e.noted(format!("; {e2}"))),
                }
            }
            other => other,
        }
    };
    let result = within(timeout, upstream.url(), run).await;
    if matches!(result, Err(UpstreamError::Timeout { .. })) && router.is_pending(&id) {
        cancel_upstream(&upstream, &router, &id).await;
    }
    finish(&upstream, &router, &m, &id, result).await;
}

/// Run `work` for the server at `url`, giving up after `limit` (if any)
/// with a timeout error.
pub async fn within<T>(
    limit: Option<Duration>,
    url: &str,
    work: impl Future<Output = Result<T, UpstreamError>>,
) -> Result<T, UpstreamError> {
    let Some(limit) = limit else {
        return work.await;
    };
    match tokio::time::timeout(limit, work).await {
        Ok(r) => r,
        Err(_) => Err(UpstreamError::Timeout {
            url: url.to_owned(),
            cause: format!(
                "no answer within {} s (--request-timeout)",
                limit.as_secs_f64()
            ),
        }),
    }
}

/// Tell the server the bridge gave up on request `id` (its answer would
/// find nobody waiting), so it can stop the work.
async fn cancel_upstream(upstream: &Arc<Upstream>, router: &Arc<Router>, id: &Id) {
    let body = format!(
        r#"{{"jsonrpc":"2.0","method":"notifications/cancelled","params":{{"requestId":{},"reason":"mcp-bridge: request timeout"}}}}"#,
        id.as_json()
    );
    let Ok(m) = jsonrpc::classify(Bytes::from(body)) else {
        return;
    };
    let (upstream, router) = (Arc::clone(upstream), Arc::clone(router));
    tokio::spawn(async move {
        if let Err(e) = upstream.send(&m, &router).await {
            tracing::debug!("the cancellation was not delivered: {e}");
        }
    });
}

/// After a request's exchange: if nothing answered it and no answer is still
/// to come, answer it with what went wrong.
async fn finish(
    upstream: &Upstream,
    router: &Router,
    m: &Message,
    id: &Id,
    result: Result<Sent, UpstreamError>,
) {
    if !router.is_pending(id) {
        return;
    }
    let err = match result {
        Ok(Sent::Later) => return,
        Err(e) => e,
        Ok(Sent::Done) => UpstreamError::Lost {
            url: upstream.url().to_owned(),
            cause: "the server ended its reply without answering".to_owned(),
        },
    };
    if router.answer(id, err.to_response(Some(id))).await {
        tracing::warn!(
            "{} id={id} failed: {err}",
            m.method.as_deref().unwrap_or("request")
        );
    }
}
