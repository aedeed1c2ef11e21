//! The relay: the one loop between the client (stdio) and the connection.
//! Client lines in, server messages out; the table of requests waiting for
//! an answer; cancellation; shutdown.
//!
//! Its rules: only the relay writes to the client; every client request
//! gets exactly one answer (the server's, or an error that says why),
//! decided by [`Pending`]; request ids are never rewritten, and answers to
//! the bridge's own requests never reach the client (nothing waits for
//! them). `initialize` and `notifications/initialized` must reach the
//! server before the next client message is read; meanwhile the loop keeps
//! passing server messages on and watching for shutdown.

mod calls;
mod caught;
mod notify;
mod pending;
mod pinning;
pub use calls::{CallLog, CallLogError};
pub use pinning::Pinning;

pub use pending::Pending;

use crate::connection::{Answered, Connection};
use crate::http::error::{ErrorKind, UpstreamError};
use crate::jsonrpc::{self, Form, Id, Message, MessageKind, Method};
use crate::stdio::{Inbound, Input, Output};
use crate::text::Chain;
use crate::tools::ToolFilter;
use bytes::Bytes;
use caught::{Caught, Panicked};
use notify::Notifier;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinHandle};

/// How long in-flight requests may still finish after stdin closes.
const DRAIN_GRACE: Duration = Duration::from_millis(1000);
/// How many client messages may wait (behind an outstanding handshake, or
/// for a request in flight to end); past it stdin is not read.
const MAX_QUEUED: usize = 1024;
/// How many requests may be in flight to the server at once, and how many
/// notifications may wait to go out, before stdin waits.
const MAX_IN_FLIGHT: usize = 256;
/// After stdin ends behind an outstanding handshake, how long the messages
/// already read may still wait for it.
const HANDSHAKE_GRACE: Duration = Duration::from_secs(3);

/// How the relay behaves, from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The largest message accepted from the client, in bytes.
    pub max_message: usize,
    /// How long a request may wait for its answer; `None` for no limit.
    pub request_timeout: Option<Duration>,
    /// How often to ping an idle server; `None` for never.
    pub ping_every: Option<Duration>,
}

/// A request whose exchange failed, to answer with why.
type Failed = (Id, Failure);

/// Why an exchange ended without the server's answer reaching the client.
enum Failure {
    /// The connection's error (which may carry the server's own answer).
    Upstream(UpstreamError),
    /// The exchange panicked: a bug in the bridge. The panic's words go to
    /// the log; the client is told only that the bridge failed.
    Panicked(Panicked),
}

/// What the relay needs of the layer below: [`Connection`] in the bridge, a
/// scripted fake in the relay's own tests. Answers and server messages come
/// back on the channel the relay reads, not from these calls.
pub trait Upstream: Send + Sync + 'static {
    /// The client's `initialize`.
    fn initialize(
        &self,
        m: &Message,
    ) -> impl Future<Output = Result<Answered, UpstreamError>> + Send;
    /// Any other client request, `id` its id.
    fn request(
        &self,
        m: &Message,
        id: &Id,
    ) -> impl Future<Output = Result<Answered, UpstreamError>> + Send;
    /// The client's `notifications/initialized`.
    fn initialized(&self, m: Message) -> impl Future<Output = ()> + Send;
    /// Any other notification, or a response, from the client.
    fn notify(&self, m: Message) -> impl Future<Output = ()> + Send;
    /// The bridge gave up on request `id` (past `--request-timeout`).
    fn gave_up(self: &Arc<Self>, id: &Id);
    /// Start the background work, every `ping_every` pings too.
    fn start(self: &Arc<Self>, ping_every: Option<Duration>) -> Vec<AbortHandle>;
    /// End the session.
    fn close(&self) -> impl Future<Output = ()> + Send;
    /// The server URL, for messages.
    fn url(&self) -> &str;
    /// The server said its tools changed.
    fn tools_changed(&self) {}
    /// What a person must do for a sign-in that goes on without the
    /// bridge, when one is under way.
    fn pending_sign_in(&self) -> Option<String> {
        None
    }
}

impl Upstream for Connection {
    fn initialize(
        &self,
        m: &Message,
    ) -> impl Future<Output = Result<Answered, UpstreamError>> + Send {
        Connection::initialize(self, m)
    }
    fn request(
        &self,
        m: &Message,
        id: &Id,
    ) -> impl Future<Output = Result<Answered, UpstreamError>> + Send {
        Connection::request(self, m, id)
    }
    fn initialized(&self, m: Message) -> impl Future<Output = ()> + Send {
        Connection::initialized(self, m)
    }
    fn notify(&self, m: Message) -> impl Future<Output = ()> + Send {
        Connection::notify(self, m)
    }
    fn gave_up(self: &Arc<Self>, id: &Id) {
        self.cancel_upstream(id);
    }
    fn start(self: &Arc<Self>, ping_every: Option<Duration>) -> Vec<AbortHandle> {
        Connection::start(self, ping_every)
    }
    fn close(&self) -> impl Future<Output = ()> + Send {
        Connection::close(self)
    }
    fn url(&self) -> &str {
        Connection::url(self)
    }
    fn tools_changed(&self) {
        Connection::tools_changed(self)
    }
    fn pending_sign_in(&self) -> Option<String> {
        Connection::pending_sign_in(self)
    }
}

/// The relay between the client and one connection.
pub struct Relay<U: Upstream = Connection> {
    conn: Arc<U>,
    from_server: mpsc::Receiver<Message>,
    out: Output,
    tools: ToolFilter,
    settings: Settings,
    pending: Pending,
    failed_tx: mpsc::UnboundedSender<Failed>,
    failed_rx: mpsc::UnboundedReceiver<Failed>,
    /// Client messages read but not yet sent (behind a barrier, or past
    /// the bound on requests in flight).
    queue: VecDeque<Message>,
    /// Notifications and responses to the server, in order.
    notifier: Option<Notifier>,
    /// The tools' pins, with `--pin-tools` (`relay/pinning.rs`).
    pinning: Option<Pinning>,
    /// `--log-calls` (`relay/calls.rs`).
    calls: Option<CallLog>,
}

impl<U: Upstream> Relay<U> {
    /// A relay over `conn` (whose server messages arrive on `from_server`),
    /// writing lines for the client to `out` and hiding the tools `tools`
    /// hides.
    pub fn new(
        conn: Arc<U>,
        from_server: mpsc::Receiver<Message>,
        out: Output,
        tools: ToolFilter,
        settings: Settings,
    ) -> Self {
        let (failed_tx, failed_rx) = mpsc::unbounded_channel();
        Relay {
            conn,
            from_server,
            out,
            tools,
            settings,
            pending: Pending::default(),
            failed_tx,
            failed_rx,
            queue: VecDeque::new(),
            notifier: None,
            pinning: None,
            calls: None,
        }
    }

    /// The same, comparing the tools listed with their pins.
    pub fn with_pinning(mut self, pinning: Option<Pinning>) -> Self {
        self.pinning = pinning;
        self
    }

    /// The same, recording every call in `calls`.
    pub fn with_call_log(mut self, calls: Option<CallLog>) -> Self {
        self.calls = calls;
        self
    }

    /// The connection, to ask what it settled on while the relay runs.
    pub fn connection(&self) -> &Arc<U> {
        &self.conn
    }

    /// Relay until stdin closes or `shutdown` fires, then let in-flight
    /// requests finish briefly, answer the rest, and end the session.
    ///
    /// One biased `select!`, its arms in this order: shutdown; messages
    /// from the server (the sink channel); failed exchanges; flushing the
    /// lines waiting for stdout; room again once notifications went out;
    /// the end of an `initialize` barrier; the grace after stdin closed
    /// during the handshake; client lines. At most `MAX_IN_FLIGHT`
    /// requests run and `MAX_QUEUED` messages wait before stdin does.
    pub async fn run(mut self, mut inbound: Input, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let background = self.conn.start(self.settings.ping_every);
        self.notifier = Some(Notifier::start(Arc::clone(&self.conn)));
        let mut barrier: Option<JoinHandle<()>> = None;
        // When stdin ended behind an outstanding handshake: until when the
        // messages already read may still wait for it.
        let mut ended: Option<tokio::time::Instant> = None;
        loop {
            while barrier.is_none() && self.pending.len() < MAX_IN_FLIGHT {
                let Some(m) = self.queue.pop_front() else {
                    break;
                };
                barrier = self.dispatch(m).await;
            }
            if ended.is_some() && barrier.is_none() && self.queue.is_empty() {
                break;
            }
            // A client that does not read holds up new work, not shutdown.
            // While `initialize` is outstanding, lines are still read (into
            // a bounded queue), so that stdin's end is seen at once.
            let room = !self.out.full();
            // Read no faster than the server takes work: a bounded queue,
            // requests in flight and notifications waiting.
            let backlog = self.notifier.as_ref().map_or(0, Notifier::backlog);
            let reading =
                room && ended.is_none() && self.queue.len() < MAX_QUEUED && backlog < MAX_IN_FLIGHT;
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                Some(m) = self.from_server.recv(), if room => self.deliver(m).await,
                Some((id, e)) = self.failed_rx.recv(), if room => self.answer_failed(&id, e).await,
                // Lines go out in one write once no answer waits to join them.
                () = self.out.flush(), if self.out.pending() => {}
                // Notifications went out: there may be room to read again.
                () = async { self.notifier.as_ref().expect("a notifier").went_out().await }, if backlog >= MAX_IN_FLIGHT => {}
                _ = async { barrier.as_mut().expect("a barrier").await }, if barrier.is_some() => {
                    barrier = None;
                }
                () = async { tokio::time::sleep_until(ended.expect("ended")).await }, if ended.is_some() => {
                    tracing::info!("stdin closed and the server has not finished the handshake; giving up");
                    break;
                }
                next = inbound.recv(), if reading => match next {
                    None | Some(Inbound::Closed) if barrier.is_some() || !self.queue.is_empty() => {
                        tracing::debug!("stdin closed; the messages read wait for the handshake a little");
                        ended = Some(tokio::time::Instant::now() + HANDSHAKE_GRACE);
                    }
                    None | Some(Inbound::Closed) => {
                        tracing::debug!("stdin closed");
                        break;
                    }
                    Some(Inbound::TooLong { len }) => self.too_long(len).await,
                    Some(Inbound::Line(line)) => self.read_line(line, barrier.is_some()).await,
                },
            }
        }
        background.iter().for_each(AbortHandle::abort);
        self.answer_queued().await;
        self.shut_down().await;
    }

    /// At the end, the requests still queued behind a handshake that never
    /// finished get an error each; notifications there are not sent.
    async fn answer_queued(&mut self) {
        while let Some(m) = self.queue.pop_front() {
            if let Some(id) = m.request_id() {
                let line = jsonrpc::error_response(
                    Some(id),
                    jsonrpc::SHUTTING_DOWN,
                    "mcp-bridge is shutting down; the request waited for initialize, which the server never finished",
                    None,
                );
                self.write(line).await;
            }
        }
    }

    /// Parse one line from the client (a message or a batch) into the
    /// queue. While the handshake is outstanding (`handshaking`), a `ping`
    /// is answered here at once: the specification allows one before the
    /// handshake ends, and it must not wait behind a server that is slow
    /// to answer `initialize`.
    async fn read_line(&mut self, line: Bytes, handshaking: bool) {
        let items = match jsonrpc::parse(line) {
            Ok(items) => items,
            Err(e) => return self.refuse(e).await,
        };
        for item in items {
            match item {
                Ok(Message {
                    form:
                        Form::Request {
                            id,
                            method: Method::Ping,
                        },
                    ..
                }) if handshaking => {
                    tracing::debug!("answered ping id={id} while the handshake is outstanding");
                    self.write(crate::protocol::result(&id, "{}").raw).await;
                }
                Ok(m) => self.queue.push_back(m),
                Err(e) => self.refuse(e).await,
            }
        }
    }

    async fn too_long(&mut self, len: usize) {
        let text = format!(
            "mcp-bridge: a message of {len} bytes or more exceeds the limit of {} bytes (--max-message-size); it was not sent",
            self.settings.max_message
        );
        tracing::warn!("{text}");
        self.write(jsonrpc::error_response(
            None,
            jsonrpc::INVALID_REQUEST,
            &text,
            None,
        ))
        .await;
    }

    async fn refuse(&mut self, e: jsonrpc::Invalid) {
        tracing::warn!("ignored a line from the client: {e}", e = Chain(&e));
        let line = jsonrpc::error_response(
            e.id(),
            e.code(),
            &format!("mcp-bridge: {e}", e = Chain(&e)),
            None,
        );
        self.write(line).await;
    }

    /// Send one client message on its way. `initialize` and
    /// `notifications/initialized` come back as a barrier: no other client
    /// message goes out until it is done.
    async fn dispatch(&mut self, m: Message) -> Option<JoinHandle<()>> {
        tracing::info!("→ {}", m.describe());
        let conn = Arc::clone(&self.conn);
        match &m.form {
            Form::Request { id, method } => {
                let (id, method) = (id.clone(), method.clone());
                if let Some(c) = &mut self.calls {
                    c.request(&m, &id, method.name());
                }
                if let Some(refusal) = pinning::refusal(&mut self.pinning, &self.tools, &m, &id) {
                    self.write(refusal).await;
                    return None;
                }
                self.pending.track(&id, &method);
                let barrier = method == Method::Initialize;
                let limit = self.settings.request_timeout.filter(|_| !barrier);
                // Boxed first (by Caught): the exchange's state machine is
                // large, and tokio::spawn moves a future by value through
                // several calls (2.7% of the instructions per relayed
                // call). A panic in it comes back as its failure.
                let failed = self.failed_tx.clone();
                let exchange = exchange(conn, m, id.clone(), failed.clone(), limit);
                let caught = Caught::new(exchange);
                let id_there = id.clone();
                let task = tokio::spawn(async move {
                    if let Err(why) = caught.await {
                        let _ = failed.send((id_there, Failure::Panicked(why)));
                    }
                });
                self.pending.attach(&id, task.abort_handle());
                barrier.then_some(task)
            }
            Form::Notification { .. } if m.is(&Method::Initialized) => {
                Some(tokio::spawn(async move { conn.initialized(m).await }))
            }
            Form::Notification { .. } | Form::Response { .. } => {
                if m.is(&Method::Cancelled) {
                    self.cancelled(&m);
                }
                drop(conn);
                if let Some(n) = &self.notifier {
                    n.send(m);
                }
                None
            }
        }
    }

    /// The client cancelled a request: the server will not answer it, the
    /// client expects no answer, and its exchange stops (which, for a
    /// stateless request, closes its stream: how 2026-07-28 cancels).
    fn cancelled(&mut self, m: &Message) {
        if let Some(id) = jsonrpc::params_id(&m.raw, "requestId") {
            if self.pending.take(&id).is_some() {
                tracing::debug!("request {id} cancelled by the client");
            }
        }
    }

    /// A message from the server. An answer goes out only if its request is
    /// still waiting; anything else goes out as it is.
    async fn deliver(&mut self, m: Message) {
        if m.kind() != MessageKind::Response {
            tracing::info!("← {}", m.describe());
            if m.is(&Method::ToolsListChanged) {
                self.conn.tools_changed();
            }
            return self.write(m.raw).await;
        }
        let Some(id) = m.id() else {
            tracing::warn!(
                "dropped an error from the server not tied to any request: {}",
                jsonrpc::error_object(&m.raw)
                    .and_then(|e| e.message)
                    .unwrap_or_default()
            );
            return;
        };
        let Some(taken) = self.pending.take(id) else {
            tracing::debug!("dropped a response for id {id}, which nothing waits for");
            return;
        };
        tracing::info!(
            "← response {} id={id} {}B in {:.1} ms{}",
            taken.method,
            m.raw.len(),
            taken.took.as_secs_f64() * 1000.0,
            if m.is_error() { " (error)" } else { "" }
        );
        let raw = if taken.method == Method::ToolsList {
            let raw = match &mut self.pinning {
                Some(p) if !m.is_error() => {
                    let id = id.clone();
                    let (raw, notes) = p.on_list(&id, m.raw).await;
                    for n in notes {
                        self.write(n).await;
                    }
                    raw
                }
                _ => m.raw,
            };
            self.tools.list(raw)
        } else {
            m.raw
        };
        self.write(raw).await;
    }

    /// A request's exchange failed: answer it, if it still waits. When the
    /// server's error status came with its own JSON-RPC answer to the
    /// request, that answer goes out as it is (and the bridge's words about
    /// the status go to the log only).
    async fn answer_failed(&mut self, id: &Id, why: Failure) {
        let Some(taken) = self.pending.take(id) else {
            return;
        };
        let e = match why {
            Failure::Upstream(e) => e,
            Failure::Panicked(Panicked(words)) => {
                tracing::error!(
                    "internal error in mcp-bridge while relaying {} id={id}: {}",
                    taken.method,
                    crate::text::for_log(&words)
                );
                let line = jsonrpc::error_response(
                    Some(id),
                    jsonrpc::INTERNAL_ERROR,
                    "mcp-bridge: internal error in mcp-bridge; the request was not completed (the bridge's log has the details)",
                    None,
                );
                return self.write(line).await;
            }
        };
        if let Some(reply) = e.reply_to(Some(id)) {
            tracing::info!(
                "← response {} id={id} {}B in {:.1} ms (error, {})",
                taken.method,
                reply.raw.len(),
                taken.took.as_secs_f64() * 1000.0,
                e.http_status().map(|s| s.to_string()).unwrap_or_default(),
            );
        } else if taken.method == Method::Discover && e.kind() == ErrorKind::Status {
            // How a dual-era client learns that the server speaks the
            // handshake era: it falls back to initialize. Nothing to act on.
            tracing::debug!("{} id={id} refused: {e}", taken.method, e = Chain(&e));
        } else {
            tracing::warn!("{} id={id} failed: {e}", taken.method, e = Chain(&e));
        }
        self.write(e.to_response(Some(id))).await;
    }

    async fn write(&mut self, line: Bytes) {
        if let Some(c) = &mut self.calls {
            c.answer(&line);
        }
        self.out.write(jsonrpc::one_line(line)).await;
    }

    /// Let requests in flight finish for a moment (their answers still go
    /// out), answer the rest, then end the session.
    async fn shut_down(&mut self) {
        let grace = tokio::time::sleep(DRAIN_GRACE);
        tokio::pin!(grace);
        while !self.pending.is_empty() {
            tokio::select! {
                biased;
                Some(m) = self.from_server.recv() => self.deliver(m).await,
                Some((id, e)) = self.failed_rx.recv() => self.answer_failed(&id, e).await,
                () = self.out.flush(), if self.out.pending() => {}
                () = &mut grace => break,
            }
        }
        let why = match self.conn.pending_sign_in() {
            Some(todo) => format!("mcp-bridge is shutting down; {todo}"),
            None => "mcp-bridge is shutting down; the request was not answered".to_owned(),
        };
        for id in self.pending.ids() {
            if self.pending.take(&id).is_some() {
                let line = jsonrpc::error_response(Some(&id), jsonrpc::SHUTTING_DOWN, &why, None);
                self.write(line).await;
            }
        }
        // Notifications already read still go out (bounded), then the
        // last lines, unless the client stopped reading.
        if let Some(n) = &self.notifier {
            n.drain(DRAIN_GRACE).await;
        }
        let _ = tokio::time::timeout(DRAIN_GRACE, self.out.flush()).await;
        self.conn.close().await;
    }
}

/// One request's exchange with the server, in a task of its own. The
/// answer reaches the relay through the connection's sink; a failure comes
/// back on `failed`. Past `limit`, the request fails and the server is told
/// the bridge gave up on it.
async fn exchange<U: Upstream>(
    conn: Arc<U>,
    m: Message,
    id: Id,
    failed: mpsc::UnboundedSender<Failed>,
    limit: Option<Duration>,
) {
    let work = async {
        if m.is(&Method::Initialize) {
            conn.initialize(&m).await
        } else {
            conn.request(&m, &id).await
        }
    };
    let result = match limit {
        None => work.await,
        Some(limit) => match tokio::time::timeout(limit, work).await {
            Ok(r) => r,
            Err(_) => {
                conn.gave_up(&id);
                Err(UpstreamError::new(
                    ErrorKind::Timeout,
                    conn.url(),
                    format!(
                        "no answer within {} s (--request-timeout)",
                        limit.as_secs_f64()
                    ),
                ))
            }
        },
    };
    let e = match result {
        Ok(Answered::Yes | Answered::Later) => return,
        Ok(Answered::No) => {
            UpstreamError::lost(conn.url(), "the server ended its reply without answering")
        }
        Err(e) => e,
    };
    let _ = failed.send((id, Failure::Upstream(e)));
}

#[cfg(test)]
mod tests;
