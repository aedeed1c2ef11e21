//! The HTTP responses `serve` gives: plain text, empty, a JSON-RPC error
//! (404 for a session gone, 413, 503 with `Retry-After`), and the event
//! stream a request's answer comes on.

use super::session::{Events, Session};
use super::SESSION_HEADER;
use crate::jsonrpc::{self, Id};
use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Frame;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// A response body: whole, or fed by a stream's events.
pub type Body = BoxBody<Bytes, Infallible>;

/// A plain-text answer.
pub fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())).boxed());
    *r.status_mut() = status;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// A JSON-RPC error answering `id`, with `status`.
pub fn refuse(
    id: &Id,
    status: StatusCode,
    code: i64,
    message: &str,
    data: Option<serde_json::Value>,
) -> Response<Body> {
    let mut r = json(
        status,
        jsonrpc::error_response(Some(id), code, message, data),
    );
    *r.status_mut() = status;
    r
}

/// A JSON answer (one JSON-RPC message).
pub fn json(status: StatusCode, body: Bytes) -> Response<Body> {
    let mut r = Response::new(Full::new(body).boxed());
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// An answer with no body.
pub fn empty(status: StatusCode) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::new()).boxed());
    *r.status_mut() = status;
    r
}

/// A JSON-RPC error (id null: it answers no request the server read).
pub fn rpc_error(status: StatusCode, code: i64, message: &str) -> Response<Body> {
    let mut r =
        Response::new(Full::new(jsonrpc::error_response(None, code, message, None)).boxed());
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// 404 for a session that is not (or no longer) there: the client starts
/// a new one, as the specification says.
pub fn session_gone() -> Response<Body> {
    rpc_error(StatusCode::NOT_FOUND, -32001, "Session not found")
}

/// 413: a body over `--max-message-size`.
pub fn too_large(limit: usize) -> Response<Body> {
    rpc_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        -32600,
        &format!("mcp-bridge: the message is larger than {limit} bytes (--max-message-size)"),
    )
}

/// 503 with `Retry-After`: no room now (draining, `--max-sessions`).
pub fn busy(why: &str) -> Response<Body> {
    let mut r = rpc_error(
        StatusCode::SERVICE_UNAVAILABLE,
        -32000,
        &format!("mcp-bridge: {why}"),
    );
    r.headers_mut()
        .insert(hyper::header::RETRY_AFTER, HeaderValue::from_static("5"));
    r
}

/// An event-stream response whose events come from `events`.
pub fn event_stream(events: Events, session: Option<&str>) -> Response<Body> {
    let mut r = streaming(EventBody(events, None));
    if let Some(v) = session.and_then(|s| HeaderValue::from_str(s).ok()) {
        r.headers_mut().insert(SESSION_HEADER, v);
    }
    r
}

/// The one stream of an HTTP+SSE session, which ends the session when the
/// client lets go of it: that transport has no other way to say goodbye.
pub fn session_stream(events: Events, session: Arc<Session>) -> Response<Body> {
    streaming(EventBody(events, Some(session)))
}

fn streaming(body: EventBody) -> Response<Body> {
    let mut r = Response::new(body.boxed());
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    r
}

/// A response body fed by a stream's events; it ends when they do. When it
/// owns its session, the session ends with it.
struct EventBody(Events, Option<Arc<Session>>);

impl hyper::body::Body for EventBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|e| e.map(|b| Ok(Frame::data(b))))
    }
}

impl Drop for EventBody {
    fn drop(&mut self) {
        if let Some(session) = self.1.take() {
            if session.alive() {
                tracing::info!("{}: the client closed its SSE stream; ended", session.label);
            }
            session.end("the client closed its SSE stream");
        }
    }
}
