//! The pump between stdio and the upstream: every client message goes up,
//! every server message comes down, and every client request gets exactly one
//! answer.

use crate::jsonrpc::{self, Id, Kind, Message};
use crate::stdio::Inbound;
use crate::transport::streamable_http::{StreamableHttp, GET_READY_LIMIT};
use crate::transport::UpstreamError;
use bytes::Bytes;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify};

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
}

impl Router {
    /// A router writing lines to `out` (the stdout writer's queue).
    pub fn new(out: mpsc::Sender<Bytes>) -> Self {
        Router {
            out,
            pending: Mutex::new(HashMap::new()),
            idle: Notify::new(),
        }
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
                        self.write(m.raw).await;
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

/// The relay between the client (stdio) and one upstream transport.
pub struct Relay {
    transport: Arc<StreamableHttp>,
    router: Arc<Router>,
    max_message: usize,
}

impl Relay {
    /// A relay sending client messages to `transport` and answers through `router`.
    pub fn new(transport: Arc<StreamableHttp>, router: Arc<Router>, max_message: usize) -> Self {
        Relay {
            transport,
            router,
            max_message,
        }
    }

    /// Relay until stdin closes or `shutdown` fires, then let in-flight
    /// requests finish briefly, answer the rest, and end the session.
    pub async fn run(
        self,
        mut inbound: mpsc::Receiver<Inbound>,
        shutdown: impl Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
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
                        self.max_message
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

    async fn refuse(&self, e: jsonrpc::Invalid) {
        tracing::warn!("ignored a line from the client: {e}");
        let line = jsonrpc::error_response(e.id(), e.code(), &format!("mcp-bridge: {e}"), None);
        self.router.write_untracked(line).await;
    }

    /// Send one client message upstream. Requests run concurrently, except
    /// `initialize`, which is awaited so that the session id is known before
    /// anything else is sent; `notifications/initialized` is awaited too (after
    /// the GET stream is open), so the server hears it before the requests
    /// that follow it.
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
        match m.kind {
            Kind::Request => {
                let id = m.id.clone().expect("a request has an id");
                self.router.track(&id, &method);
                let task = exchange(Arc::clone(&self.transport), Arc::clone(&self.router), m, id);
                if method == "initialize" {
                    task.await;
                } else {
                    tokio::spawn(task);
                }
            }
            Kind::Notification if method == "notifications/initialized" => {
                // Open the GET stream first, so that whatever the server sends
                // on it as soon as it hears `initialized` is not lost.
                let ready = self.transport.start_get_stream(Arc::clone(&self.router));
                if tokio::time::timeout(GET_READY_LIMIT, ready).await.is_err() {
                    tracing::info!("the GET stream is slow to open; sending initialized anyway");
                }
                if let Err(e) = self.transport.send(&m, &self.router).await {
                    tracing::warn!("notifications/initialized was not delivered: {e}");
                }
            }
            Kind::Notification | Kind::Response => {
                if method == "notifications/cancelled" {
                    if let Some(id) = jsonrpc::params_id_field(&m.raw, "requestId") {
                        // The server will not answer a cancelled request, and the client expects no answer.
                        if self.router.take(&id).is_some() {
                            tracing::debug!("request {id} cancelled by the client");
                        }
                    }
                }
                let transport = Arc::clone(&self.transport);
                let router = Arc::clone(&self.router);
                tokio::spawn(async move {
                    if let Err(e) = transport.send(&m, &router).await {
                        tracing::warn!(
                            "a {} from the client was not delivered: {e}",
                            if m.kind == Kind::Response {
                                "response"
                            } else {
                                "notification"
                            }
                        );
                    }
                });
            }
        }
    }

    async fn shut_down(&self) {
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
        self.transport.close(CLOSE_LIMIT).await;
    }
}

/// Send one request and make sure it is answered exactly once.
async fn exchange(transport: Arc<StreamableHttp>, router: Arc<Router>, m: Message, id: Id) {
    let result = transport.send(&m, &router).await;
    if !router.is_pending(&id) {
        return;
    }
    let err = match result {
        Err(e) => e,
        Ok(()) => UpstreamError::Lost {
            url: transport.url().to_owned(),
            cause: "the server ended its reply without answering".to_owned(),
        },
    };
    if router.answer(&id, err.to_response(Some(&id))).await {
        tracing::warn!(
            "{} id={id} failed: {err}",
            m.method.as_deref().unwrap_or("request")
        );
    }
}
