//! The child that serves sessionless 2026-07-28 requests: one stdio server
//! that `serve` initializes itself (a handshake-era `initialize` that
//! declares no client capabilities, since a 2026-07-28 client declares its
//! own on every request), shared by every such request under ids of its
//! own, so that answers never cross. It starts with the first request; a
//! new one starts with the next request after it ends.
//!
//! What the child sends is routed by those ids: an answer, and a progress
//! notification (whose token is the same id), to the request it belongs
//! to. A request of its own (sampling, elicitation, roots) goes to the one
//! request in flight on that child that may ask for input, which puts it
//! to the client as an `input_required` round; with none, it is refused.
//! A list changed or a resource updated goes to the listen streams that
//! asked for it (`serve/listen.rs`); anything else (a log line) has no
//! request to go with and is dropped.

use super::child::{self, FromChild, Program, Running, SpawnError};
use super::listen::Listeners;
use crate::jsonrpc::{self, Form, Id, Method};
use crate::protocol::stateless::params::{Annotation, Lookup, ToolHeaders};
use crate::sync::Locked;
use bytes::Bytes;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::mpsc;

/// How long the child has to answer `initialize`.
const INIT_LIMIT: Duration = Duration::from_secs(30);
/// Lines that wait for one request's reader.
const PER_REQUEST: usize = 256;
/// Requests in flight on the shared child at once; past it, 503.
const MAX_IN_FLIGHT: usize = 1024;
/// Pages of `tools/list` read to learn the tools' annotations, at most.
const MAX_PAGES: usize = 100;
/// The revision `serve` speaks to the child.
const CHILD_VERSION: &str = "2025-11-25";

/// Why the shared child cannot serve.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// It could not be started.
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    /// It did not answer `initialize` in time, or ended first.
    #[error("the MCP server process did not answer initialize")]
    NoInit,
    /// It answered `initialize` with an error.
    #[error("the MCP server process refused initialize")]
    InitRefused,
    /// It ended.
    #[error("the MCP server process has ended")]
    Gone,
    /// Its pool was ended, for another.
    #[error("the MCP server process was ended")]
    Ended,
    /// Too many requests wait on it already.
    #[error("{MAX_IN_FLIGHT} requests are in flight on the MCP server process already")]
    Busy,
}

/// Shared children, started when first needed: one that declares no
/// client capabilities, or (for clients that take the server's own
/// requests) a few that declare them all, each with at most one request
/// at a time that may ask for input, so that what the child asks belongs
/// to that request.
pub struct Pool {
    program: Program,
    /// The client capabilities its children declare.
    capabilities: String,
    /// How many children it may run.
    max: usize,
    children: tokio::sync::Mutex<Vec<Arc<Pooled>>>,
    /// Set when it is ended: it starts no more children.
    ended: AtomicBool,
    /// Where what its children say on their own goes.
    events: Arc<Listeners>,
    subscribes: bool,
}

/// One initialized child and the requests waiting on it.
pub struct Pooled {
    child: Mutex<Option<Running>>,
    to_child: mpsc::Sender<Bytes>,
    next: AtomicU64,
    waiting: Mutex<HashMap<u64, mpsc::Sender<Bytes>>>,
    alive: AtomicBool,
    /// The request that may ask for input in flight (0 while it is being
    /// sent), which the child's own requests belong to.
    input_call: Mutex<Option<u64>>,
    /// The `result` of its `initialize`, once it came.
    init: OnceLock<Box<RawValue>>,
    /// The `x-mcp-header` annotations of the tools it lists.
    tools: ToolHeaders,
    /// How often it said its tools changed, and the count when they were
    /// last listed; one listing at a time.
    changes: AtomicU64,
    listed: Mutex<Option<u64>>,
    listing: tokio::sync::Mutex<()>,
    events: Arc<Listeners>,
    /// Whether the listen streams' resource subscriptions are its.
    subscribes: bool,
}

/// A child taken for one request that may ask for input, until dropped.
pub struct Claim {
    /// The child.
    pub shared: Arc<Pooled>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        *self.shared.input_call.locked() = None;
    }
}

impl Pool {
    /// One child that declares no client capabilities.
    /// Its child holds the resource subscriptions of the listen streams:
    /// when it ends, they end, and their clients listen again.
    pub fn plain(program: Program, events: Arc<Listeners>) -> Pool {
        Pool {
            program,
            capabilities: "{}".to_owned(),
            max: 1,
            children: tokio::sync::Mutex::new(Vec::new()),
            ended: AtomicBool::new(false),
            events,
            subscribes: true,
        }
    }

    /// Up to `max` children that declare the client `capabilities` (JSON).
    pub fn declaring(
        program: Program,
        capabilities: String,
        max: usize,
        events: Arc<Listeners>,
    ) -> Pool {
        Pool {
            program,
            capabilities,
            max,
            children: tokio::sync::Mutex::new(Vec::new()),
            ended: AtomicBool::new(false),
            events,
            subscribes: false,
        }
    }

    /// A running child, started and initialized when there is none.
    pub async fn get(&self) -> Result<Arc<Pooled>, PoolError> {
        let mut children = self.children.lock().await;
        if self.ended.load(Ordering::Relaxed) {
            return Err(PoolError::Ended);
        }
        children.retain(|s| s.alive());
        if let Some(s) = children.first() {
            return Ok(Arc::clone(s));
        }
        let started = Pooled::start(self).await?;
        children.push(Arc::clone(&started));
        Ok(started)
    }

    /// A child with no request that may ask for input in flight, taken for
    /// one: a new one when all are taken and there is room, else `Busy`.
    pub async fn claim(&self) -> Result<Claim, PoolError> {
        let mut children = self.children.lock().await;
        if self.ended.load(Ordering::Relaxed) {
            return Err(PoolError::Ended);
        }
        children.retain(|s| s.alive());
        for s in children.iter() {
            let mut call = s.input_call.locked();
            if call.is_none() {
                *call = Some(0);
                return Ok(Claim {
                    shared: Arc::clone(s),
                });
            }
        }
        if children.len() >= self.max {
            return Err(PoolError::Busy);
        }
        let started = Pooled::start(self).await?;
        *started.input_call.locked() = Some(0);
        children.push(Arc::clone(&started));
        Ok(Claim { shared: started })
    }

    /// The client capabilities its children declare.
    pub fn capabilities(&self) -> &str {
        &self.capabilities
    }

    /// Whether none of its children has a request in flight (nor one held
    /// for its client's input); `false` while it is in use.
    pub fn idle(&self) -> bool {
        self.children.try_lock().is_ok_and(|children| {
            children
                .iter()
                .all(|s| s.waiting.locked().is_empty() && s.input_call.locked().is_none())
        })
    }

    /// End every child.
    pub async fn end(&self) {
        let mut children = self.children.lock().await;
        self.ended.store(true, Ordering::Relaxed);
        for s in children.drain(..) {
            s.end();
        }
    }
}

impl Pooled {
    async fn start(pool: &Pool) -> Result<Arc<Pooled>, PoolError> {
        let (program, capabilities) = (&pool.program, &pool.capabilities);
        let label = "the 2026-07-28 server process";
        let (running, from_child) = child::spawn(program, label)?;
        tracing::info!(
            "{label}: started {:?} (pid {})",
            program.command,
            running.pid.unwrap_or(0)
        );
        let shared = Arc::new(Pooled {
            to_child: running.sender(),
            child: Mutex::new(Some(running)),
            next: AtomicU64::new(1),
            waiting: Mutex::new(HashMap::new()),
            alive: AtomicBool::new(true),
            input_call: Mutex::new(None),
            init: OnceLock::new(),
            tools: ToolHeaders::default(),
            changes: AtomicU64::new(0),
            listed: Mutex::new(None),
            listing: tokio::sync::Mutex::new(()),
            events: Arc::clone(&pool.events),
            subscribes: pool.subscribes,
        });
        tokio::spawn(pump(Arc::clone(&shared), from_child));
        // `initialize` is request 0, routed as any other.
        let line = Bytes::from(format!(
            r#"{{"jsonrpc":"2.0","id":0,"method":"initialize","params":{{"protocolVersion":"{CHILD_VERSION}","capabilities":{capabilities},"clientInfo":{{"name":"mcp-bridge serve","version":"{}"}}}}}}"#,
            env!("CARGO_PKG_VERSION")
        ));
        let init = async {
            let (_pending, mut answer) = shared.request(0, line, false).await?;
            let first = tokio::time::timeout(INIT_LIMIT, answer.recv())
                .await
                .ok()
                .flatten()
                .ok_or(PoolError::NoInit)?;
            jsonrpc::result_raw(&first).ok_or(PoolError::InitRefused)
        };
        match init.await {
            Ok(result) => {
                let _ = shared.init.set(result);
            }
            Err(e) => {
                shared.end();
                return Err(e);
            }
        }
        let done = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
        let _ = shared
            .to_child
            .send(Bytes::from_static(done.as_bytes()))
            .await;
        Ok(shared)
    }

    /// The `result` of its `initialize`.
    pub fn init(&self) -> &RawValue {
        self.init
            .get()
            .map_or_else(|| RawValue::NULL, |r| r.as_ref())
    }

    /// Whether the child still runs.
    pub fn alive(&self) -> bool {
        self.alive.load(Ordering::Relaxed)
    }

    /// A new id of the pool's, for a request.
    pub fn next_id(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    /// Send `line` (a request whose id, and progress token if any, is `n`);
    /// what the child says about it comes on the returned receiver, its
    /// answer last. Until the answer comes, dropping the [`Pending`] tells
    /// the child the request is cancelled.
    pub async fn request(
        self: &Arc<Self>,
        n: u64,
        line: Bytes,
        asks: bool,
    ) -> Result<(Pending, mpsc::Receiver<Bytes>), PoolError> {
        let (tx, rx) = mpsc::channel(PER_REQUEST);
        if asks {
            *self.input_call.locked() = Some(n);
        }
        {
            let mut waiting = self.waiting.locked();
            if waiting.len() >= MAX_IN_FLIGHT {
                return Err(PoolError::Busy);
            }
            waiting.insert(n, tx);
        }
        let pending = Pending {
            shared: Arc::clone(self),
            n,
        };
        if !self.alive() || self.to_child.send(line).await.is_err() {
            return Err(PoolError::Gone);
        }
        Ok((pending, rx))
    }

    /// Request `n` is no longer waited for: when its answer has not come,
    /// the child is told it is cancelled.
    fn forget(&self, n: u64) {
        if self.waiting.locked().remove(&n).is_some() && self.alive() {
            let line = format!(
                r#"{{"jsonrpc":"2.0","method":"notifications/cancelled","params":{{"requestId":{n},"reason":"the client went away"}}}}"#
            );
            let _ = self.to_child.try_send(Bytes::from(line));
        }
    }

    /// The `x-mcp-header` annotations of `tool` as this child lists it
    /// (`None` for a tool it does not list, or whose annotations break the
    /// rules). The tools are listed once, and again after the child says
    /// they changed.
    pub async fn annotations(self: &Arc<Self>, tool: &str) -> Option<Vec<Annotation>> {
        if let Lookup::Known(a) = self.tools.lookup(tool, None) {
            return Some(a);
        }
        let _one = self.listing.lock().await;
        let now = self.changes.load(Ordering::Relaxed);
        if *self.listed.locked() != Some(now) {
            self.list_tools().await;
            *self.listed.locked() = Some(now);
        }
        match self.tools.lookup(tool, None) {
            Lookup::Known(a) => Some(a),
            _ => None,
        }
    }

    /// Ask the child for every page of its tools, and learn them.
    async fn list_tools(self: &Arc<Self>) {
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let params = cursor
                .as_deref()
                .map(|c| format!(r#"{{"cursor":{}}}"#, serde_json::Value::from(c)));
            let Some(page) = self.ask("tools/list", params).await else {
                tracing::warn!("the 2026-07-28 server process did not list its tools");
                return;
            };
            match self.tools.learn(page, None).1 {
                Some(next) => cursor = Some(next),
                None => return,
            }
        }
    }

    /// A `tools/list` answer on its way to a client: learnt from, with the
    /// tools whose annotations break the rules left out, as a client
    /// leaves them out.
    pub fn learn_tools(&self, line: Bytes) -> Bytes {
        self.tools.learn(line, None).0
    }

    /// Subscribe the child to updates of resource `uri` (or unsubscribe
    /// it); whether it agreed.
    pub async fn subscribe(self: &Arc<Self>, uri: &str, on: bool) -> bool {
        let method = if on {
            "resources/subscribe"
        } else {
            "resources/unsubscribe"
        };
        let params = format!(r#"{{"uri":{}}}"#, serde_json::Value::from(uri));
        let said = self.ask(method, Some(params)).await;
        said.is_some_and(|a| jsonrpc::result_raw(&a).is_some())
    }

    /// A request of serve's own to the child (`params` as JSON, if any):
    /// its answer, when it comes in time.
    async fn ask(self: &Arc<Self>, method: &str, params: Option<String>) -> Option<Bytes> {
        let n = self.next_id();
        let params = params
            .map(|p| format!(r#","params":{p}"#))
            .unwrap_or_default();
        let line = format!(r#"{{"jsonrpc":"2.0","id":{n},"method":"{method}"{params}}}"#);
        let (_pending, mut answer) = self.request(n, Bytes::from(line), false).await.ok()?;
        tokio::time::timeout(INIT_LIMIT, answer.recv())
            .await
            .ok()
            .flatten()
    }

    /// A line to the child: the answer to one of its own requests.
    pub async fn send(&self, line: Bytes) {
        let _ = self.to_child.send(line).await;
    }

    /// End the child and every request waiting on it.
    pub fn end(&self) {
        self.alive.store(false, Ordering::Relaxed);
        if let Some(mut c) = self.child.locked().take() {
            c.end();
        }
        self.waiting.locked().clear();
    }

    /// One line from the child, to the request it belongs to.
    async fn route(&self, line: Bytes) {
        let Ok(m) = jsonrpc::classify(line) else {
            return;
        };
        let n = match &m.form {
            Form::Response { id: Some(id), .. } => number(id),
            Form::Notification { method } if method.name() == "notifications/progress" => {
                jsonrpc::params_id(&m.raw, "progressToken").and_then(|t| number(&t))
            }
            Form::Request { id, method } => {
                // What the child asks belongs to the one request in flight
                // that may ask for input, when there is one.
                let call = *self.input_call.locked();
                let tx = call.and_then(|n| self.waiting.locked().get(&n).cloned());
                if let Some(tx) = tx {
                    if tx.try_send(m.raw.clone()).is_ok() {
                        return;
                    }
                }
                tracing::debug!(
                    "refused {} from the 2026-07-28 server process",
                    method.name()
                );
                let no = jsonrpc::error_response(
                    Some(id),
                    jsonrpc::METHOD_NOT_FOUND,
                    "mcp-bridge serve does not yet ask a 2026-07-28 client for input",
                    None,
                );
                let _ = self.to_child.send(no).await;
                return;
            }
            Form::Notification { method } => {
                if method.name() == "notifications/tools/list_changed" {
                    self.changes.fetch_add(1, Ordering::Relaxed);
                    self.tools.forget();
                }
                self.events.notify(method.name(), &m.raw);
                None
            }
            _ => None,
        };
        let answer = m.kind() == jsonrpc::MessageKind::Response;
        let Some(n) = n else { return };
        let tx = if answer {
            self.waiting.locked().remove(&n)
        } else {
            self.waiting.locked().get(&n).cloned()
        };
        if let Some(tx) = tx {
            // Never a wait here, where every request's lines pass: a reader
            // too slow for its progress loses progress, which always leaves
            // a place for the answer.
            if answer || tx.capacity() > 2 {
                let _ = tx.try_send(m.raw);
            }
        }
    }
}

/// A request on the shared child, until its answer is read: dropped
/// before, it cancels the request.
pub struct Pending {
    shared: Arc<Pooled>,
    n: u64,
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.shared.forget(self.n);
    }
}

/// The pool's number in `id`.
fn number(id: &Id) -> Option<u64> {
    id.as_json().parse().ok()
}

/// Route what the child says until it ends; then end it, and every
/// request waiting on it.
async fn pump(shared: Arc<Pooled>, mut from_child: mpsc::Receiver<FromChild>) {
    while let Some(said) = from_child.recv().await {
        match said {
            FromChild::Line(line) => shared.route(line).await,
            FromChild::TooLong(len) => tracing::warn!(
                "the 2026-07-28 server process: dropped a message of {len} bytes or more (--max-message-size)"
            ),
            FromChild::Ended(status) => {
                tracing::warn!("the 2026-07-28 server process ended ({status:?})");
                break;
            }
        }
    }
    shared.end();
    if shared.subscribes {
        shared.events.end_all(false);
    }
}

/// Whether `method` is one 2026-07-28 removed (answered 404, -32601).
pub fn removed(method: &Method) -> bool {
    matches!(
        method,
        Method::Initialize
            | Method::Ping
            | Method::SetLogLevel
            | Method::ResourcesSubscribe
            | Method::ResourcesUnsubscribe
    )
}
