//! A scriptable fake Streamable HTTP server for precise cases: error statuses,
//! non-JSON bodies, 202s, batches, priming events, gated SSE streams.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, Semaphore};
use tokio_stream::wrappers::ReceiverStream;

/// One request the fake server received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    /// Path and query.
    pub uri: String,
    pub headers: HeaderMap,
    pub raw: Bytes,
    /// The body as JSON, when it was JSON.
    pub body: Option<Value>,
}

impl Seen {
    /// The JSON-RPC method of the body, or "" (GET, DELETE, responses).
    pub fn rpc_method(&self) -> &str {
        self.body
            .as_ref()
            .and_then(|b| b.get("method"))
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The path without the query.
    pub fn path(&self) -> &str {
        self.uri.split('?').next().unwrap_or("")
    }

    /// The JSON-RPC id of the body, or null.
    pub fn rpc_id(&self) -> Value {
        self.body
            .as_ref()
            .and_then(|b| b.get("id").cloned())
            .unwrap_or(Value::Null)
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }
}

/// One step of an SSE answer.
pub enum Step {
    /// Raw event text, sent as one chunk (include the blank line that ends it).
    Text(String),
    /// Wait for a permit from this semaphore before going on.
    Gate(Arc<Semaphore>),
    /// Pause.
    Sleep(Duration),
    /// Break the connection (the body ends with an error, not cleanly).
    Break,
}

/// What the fake answers.
pub enum Reply {
    /// `application/json` with this status, body and extra headers.
    Json(u16, String, Vec<(&'static str, String)>),
    /// `text/event-stream` made of these steps, then the stream ends.
    Sse(Vec<Step>, Vec<(&'static str, String)>),
    /// Any status, content-type and body.
    Raw(u16, &'static str, Vec<u8>),
    /// A status with no body.
    Status(u16),
    /// `text/event-stream` fed by the test through this channel.
    SseChannel(mpsc::Receiver<String>),
    /// This reply, after a pause before anything (headers included) is sent.
    Late(Duration, Box<Reply>),
}

/// An SSE event carrying one JSON-RPC message.
pub fn event(msg: &Value) -> Step {
    Step::Text(format!("event: message\ndata: {msg}\n\n"))
}

/// A successful JSON-RPC result answer for `id`.
pub fn result(id: &Value, result: Value) -> Value {
    json!({"jsonrpc":"2.0","id":id,"result":result})
}

type Behaviour = dyn Fn(&Seen) -> Reply + Send + Sync;

struct Inner {
    seen: Mutex<Vec<Seen>>,
    behave: Box<Behaviour>,
}

/// A running fake server on loopback.
pub struct Fake {
    pub url: String,
    inner: Arc<Inner>,
}

impl Fake {
    /// Start a fake answering with `behave`; it runs until the test ends.
    pub async fn start(behave: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Fake {
        Self::start_on("127.0.0.1:0", behave).await
    }

    /// Start on `addr` (e.g. "[::1]:0").
    pub async fn start_on(
        addr: &str,
        behave: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    ) -> Fake {
        let inner = Arc::new(Inner {
            seen: Mutex::new(Vec::new()),
            behave: Box::new(behave),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&inner));
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let url = format!("http://{}/mcp", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Fake { url, inner }
    }

    /// Everything received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.inner.seen.lock().unwrap().clone()
    }

    /// The `progress` of every `notifications/progress` received, in order.
    pub fn progress_seen(&self) -> Vec<u64> {
        self.seen()
            .iter()
            .filter(|s| s.rpc_method() == "notifications/progress")
            .map(|s| {
                s.body.as_ref().unwrap()["params"]["progress"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    }

    /// Requests received with this HTTP method.
    pub fn seen_with(&self, method: Method) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.method == method)
            .collect()
    }

    /// Wait until `pred` holds for some received request (or fail after the harness limit).
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&Seen) -> bool) -> Seen {
        let deadline = tokio::time::Instant::now() + super::WAIT;
        loop {
            if let Some(s) = self.seen().into_iter().find(&pred) {
                return s;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the fake server never received {what}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn handle(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let raw = axum::body::to_bytes(body, 64 << 20)
        .await
        .unwrap_or_default();
    let seen = Seen {
        uri: parts.uri.to_string(),
        method: parts.method,
        headers: parts.headers,
        body: serde_json::from_slice(&raw).ok(),
        raw,
    };
    inner.seen.lock().unwrap().push(seen.clone());
    let mut reply = (inner.behave)(&seen);
    while let Reply::Late(pause, later) = reply {
        tokio::time::sleep(pause).await;
        reply = *later;
    }
    build(reply)
}

fn build(reply: Reply) -> Response {
    let mut builder = Response::builder();
    let body = match reply {
        Reply::Json(status, body, headers) => {
            builder = builder
                .status(status)
                .header("content-type", "application/json");
            for (k, v) in headers {
                builder = builder.header(k, v);
            }
            Body::from(body)
        }
        Reply::Raw(status, ctype, body) => {
            builder = builder.status(status).header("content-type", ctype);
            Body::from(body)
        }
        Reply::Status(status) => {
            builder = builder.status(status);
            Body::empty()
        }
        Reply::Late(..) => unreachable!("handled before building"),
        Reply::SseChannel(rx) => {
            builder = builder
                .status(StatusCode::OK)
                .header("content-type", "text/event-stream");
            let stream = ReceiverStream::new(rx);
            Body::from_stream(futures_map(stream))
        }
        Reply::Sse(steps, headers) => {
            builder = builder
                .status(StatusCode::OK)
                .header("content-type", "text/event-stream");
            for (k, v) in headers {
                builder = builder.header(k, v);
            }
            let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
            tokio::spawn(async move {
                for step in steps {
                    match step {
                        Step::Text(t) => {
                            if tx.send(Ok(Bytes::from(t))).await.is_err() {
                                return;
                            }
                        }
                        Step::Gate(g) => {
                            let _ = g.acquire().await.map(|p| p.forget());
                        }
                        Step::Sleep(d) => tokio::time::sleep(d).await,
                        Step::Break => {
                            // Let what came before reach the client first:
                            // the server drops its unsent buffer on an error.
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            let cut = std::io::Error::other("cut by the test");
                            let _ = tx.send(Err(cut)).await;
                            return;
                        }
                    }
                }
            });
            Body::from_stream(ReceiverStream::new(rx))
        }
    };
    builder.body(body).unwrap()
}

/// The session id the default behaviour assigns.
pub const SESSION: &str = "fake-session-1";

/// A minimal well-behaved MCP server: initialize (assigning a session),
/// 202 for notifications and responses, 405 for GET, 200 for DELETE, and
/// tools/call answered with its arguments echoed back as JSON.
pub fn mcp(seen: &Seen) -> Reply {
    match (&seen.method, seen.rpc_method()) {
        (&Method::GET, _) => Reply::Status(405),
        (&Method::DELETE, _) => Reply::Status(200),
        // A handshake-era server built on the SDKs refuses a request
        // without a session, the modern probe among them.
        (_, "server/discover") => Reply::Json(
            400,
            json!({"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request: Server not initialized"}}).to_string(),
            vec![],
        ),
        (_, "initialize") => Reply::Json(
            200,
            result(
                &seen.rpc_id(),
                json!({
                    "protocolVersion": "2025-06-18",
                    "capabilities": {"tools": {}},
                    "serverInfo": {"name": "fake", "version": "0"}
                }),
            )
            .to_string(),
            vec![("mcp-session-id", SESSION.to_owned())],
        ),
        (_, "tools/call") => {
            let args = seen.body.as_ref().unwrap()["params"]["arguments"].clone();
            Reply::Json(
                200,
                result(&seen.rpc_id(), json!({"echo": args})).to_string(),
                vec![],
            )
        }
        (_, m) if m.starts_with("notifications/") || m.is_empty() => Reply::Status(202),
        _ => Reply::Json(200, result(&seen.rpc_id(), json!({})).to_string(), vec![]),
    }
}

/// A server that can forget its sessions (`generation` is the current one): initialize starts session `s<N>`;
/// a request with another session id is refused as `refusal` says.
pub fn forgetful(
    generation: Arc<AtomicUsize>,
    refusal: fn() -> Reply,
) -> impl Fn(&Seen) -> Reply + Send + Sync + 'static {
    move |s| {
        let current = format!("s{}", generation.load(Ordering::SeqCst));
        if s.method == Method::GET {
            return Reply::Status(405);
        }
        if s.method == Method::DELETE {
            return Reply::Status(200);
        }
        if s.rpc_method() == "initialize" {
            return Reply::Json(
                200,
                result(&s.rpc_id(), json!({"protocolVersion":"2025-06-18","capabilities":{"tools":{},"resources":{"subscribe":true}},"serverInfo":{"name":"forgetful","version":"1"}})).to_string(),
                vec![("mcp-session-id", current)],
            );
        }
        if s.header("mcp-session-id").as_deref() != Some(current.as_str()) {
            return refusal();
        }
        match s.rpc_method() {
            m if m.starts_with("notifications/") || m.is_empty() => Reply::Status(202),
            "tools/call" => Reply::Json(
                200,
                result(
                    &s.rpc_id(),
                    json!({"echo": s.body.as_ref().unwrap()["params"]["arguments"]}),
                )
                .to_string(),
                vec![],
            ),
            _ => Reply::Json(200, result(&s.rpc_id(), json!({})).to_string(), vec![]),
        }
    }
}

pub fn not_found() -> Reply {
    Reply::Json(
        404,
        r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Session not found"}}"#
            .into(),
        vec![],
    )
}

pub fn bad_request() -> Reply {
    Reply::Json(400, r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request: No valid session ID provided"}}"#.into(), vec![])
}

fn futures_map(
    s: ReceiverStream<String>,
) -> impl tokio_stream::Stream<Item = Result<Bytes, Infallible>> {
    use tokio_stream::StreamExt;
    s.map(|t| Ok(Bytes::from(t)))
}

/// Lets a test cut the stream of an [`sse_server`].
#[derive(Clone, Default)]
pub struct SseControl {
    stream: Arc<Mutex<Option<mpsc::Sender<String>>>>,
    opened: Arc<std::sync::atomic::AtomicUsize>,
}

impl SseControl {
    /// End the current event stream, as a server restart or a proxy would.
    pub fn cut(&self) {
        self.stream.lock().unwrap().take();
    }

    /// How many times the stream was opened.
    pub fn opened(&self) -> usize {
        self.opened.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn push(&self, text: String) {
        if let Some(tx) = self.stream.lock().unwrap().as_ref() {
            let _ = tx.try_send(text);
        }
    }
}

/// A fake HTTP+SSE (2024-11-05) server on the fake's URL: GET opens the
/// stream and names the endpoint `endpoint(n)` for the n-th stream (1-based;
/// `None`: no endpoint event, and the stream ends); POSTs to `/message` are
/// answered on the stream as [`mcp`] would answer them (a `tools/call` of the
/// tool `hang` is never answered); any other POST gets `post_status`.
pub fn sse_server(
    post_status: u16,
    endpoint: impl Fn(usize) -> Option<String> + Send + Sync + 'static,
) -> (impl Fn(&Seen) -> Reply + Send + Sync + 'static, SseControl) {
    let control = SseControl::default();
    let c = control.clone();
    let behave = move |seen: &Seen| match (&seen.method, seen.path()) {
        (&Method::GET, "/mcp") => {
            let n = c.opened.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            let (tx, rx) = mpsc::channel(256);
            match endpoint(n) {
                Some(e) => {
                    let _ = tx.try_send(format!("event: endpoint\ndata: {e}\n\n"));
                    *c.stream.lock().unwrap() = Some(tx);
                }
                None => {
                    let _ = tx.try_send(": no endpoint here\n\n".to_owned());
                }
            }
            Reply::SseChannel(rx)
        }
        (&Method::POST, "/message") => {
            let hang = seen
                .body
                .as_ref()
                .and_then(|b| b["params"]["name"].as_str())
                == Some("hang");
            if !hang {
                if let Reply::Json(_, body, _) = mcp(seen) {
                    c.push(format!("event: message\ndata: {body}\n\n"));
                }
            }
            Reply::Status(202)
        }
        _ => Reply::Status(post_status),
    };
    (behave, control)
}
