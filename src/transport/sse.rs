//! The HTTP+SSE transport (MCP 2024-11-05, deprecated but still deployed): a
//! GET event stream whose first event, `endpoint`, names the URL to POST each
//! client message to; the server's messages arrive as `message` events.
//!
//! A stream is a server session: when it ends, the transport says so (with
//! the requests whose answers it still owed) and the connection above sets
//! up a new one through its one renewal path.

use super::event_stream::EventReader;
use super::{forward, Endpoint, Event, Events, Sink};
use crate::http::body::{content_type, read_body, status_error};
use crate::http::error::{ErrorKind, UpstreamError};
use crate::jsonrpc::{self, Id, Message, MessageKind};
use crate::sync::Locked;
use crate::text::Chain;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, Url};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, Notify};
use tokio::task::AbortHandle;

/// How long a fresh stream may take to name its endpoint.
const ENDPOINT_WAIT: Duration = Duration::from_secs(10);
/// Past this many remembered ids, the oldest are forgotten.
const AWAITING_CAP: usize = 1024;

/// One remote server reached over HTTP+SSE.
pub struct Sse {
    server: Endpoint,
    sink: Sink,
    events: Events,
    state: Mutex<StreamState>,
    /// Wakes the reader to drop the stream (a ping failed).
    kick: Notify,
}

/// What the current stream has told, and what it owes.
#[derive(Default)]
struct StreamState {
    /// The URL to POST to; `None` while no stream is open.
    endpoint: Option<Url>,
    task: Option<AbortHandle>,
    /// Client requests posted on this stream, whose answers it should bring.
    awaiting: HashSet<Id>,
    /// The bridge's own requests, waiting for their answers.
    own: HashMap<Id, oneshot::Sender<Message>>,
    /// The last event id and the server's `retry:` hint, for the next stream.
    last_id: Option<String>,
    retry: Option<Duration>,
}

/// A freshly opened stream, positioned just after its `endpoint` event.
struct Opened {
    events: EventReader,
    endpoint: Url,
}

impl Sse {
    /// A transport for `server` (whose URL is the stream's); server
    /// messages go to `sink`, the end of a stream to `events`.
    pub fn new(server: Endpoint, sink: Sink, events: Events) -> Self {
        Sse {
            server,
            sink,
            events,
            state: Mutex::new(StreamState::default()),
            kick: Notify::new(),
        }
    }

    fn url_text(&self) -> &str {
        self.server.url_text()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, StreamState> {
        self.state.locked()
    }

    /// Open a new stream (a new server session) and wait for its endpoint,
    /// then read it in a task of its own until it ends. Any earlier stream
    /// is dropped first; unless `fresh` (a new handshake), the new one
    /// asks to resume after the last event id.
    pub async fn connect(self: &Arc<Self>, fresh: bool) -> Result<(), UpstreamError> {
        self.stop();
        let last = if fresh {
            None
        } else {
            self.state().last_id.clone()
        };
        let opened = self.open(last.as_deref()).await?;
        tracing::debug!("HTTP+SSE endpoint: {}", opened.endpoint);
        let this = Arc::clone(self);
        let mut state = self.state();
        state.endpoint = Some(opened.endpoint);
        let task = tokio::spawn(async move { this.pump(opened.events).await });
        state.task = Some(task.abort_handle());
        Ok(())
    }

    /// Drop the stream, so that a new one is opened (a ping failed: the
    /// connection may be dead without any error to say so).
    pub fn reconnect(&self) {
        self.kick.notify_waiters();
    }

    /// Stop reading the stream; nothing is reported.
    pub fn stop(&self) {
        let mut state = self.state();
        if let Some(old) = state.task.take() {
            old.abort();
        }
        state.endpoint = None;
    }

    /// The server's `retry:` hint, for reopening after a drop.
    pub fn retry_hint(&self) -> Option<Duration> {
        self.state().retry
    }

    /// GET the stream and read until the `endpoint` event.
    async fn open(&self, last_id: Option<&str>) -> Result<Opened, UpstreamError> {
        let last = last_id.and_then(|i| HeaderValue::from_str(i).ok());
        let build = || {
            let req = self
                .server
                .request(Method::GET, self.server.url.clone(), &HeaderMap::new())
                .header(ACCEPT, "text/event-stream");
            match &last {
                Some(id) => req.header("last-event-id", id.clone()),
                None => req,
            }
        };
        let resp = self.server.http.send(build).await?;
        if !resp.status().is_success() {
            return Err(status_error(resp, self.url_text(), self.server.limit).await);
        }
        let ctype = content_type(&resp);
        if ctype != "text/event-stream" {
            return Err(self.no_endpoint(format!(
                "the GET answered with {}, not an event stream",
                if ctype.is_empty() {
                    "no content-type".to_owned()
                } else {
                    format!("content-type {ctype}")
                }
            )));
        }
        let mut events = EventReader::new(resp, self.url_text(), self.server.limit);
        let found = tokio::time::timeout(ENDPOINT_WAIT, async {
            loop {
                let Some(ev) = events.next().await? else {
                    return Err(
                        self.no_endpoint("the stream ended before an endpoint event".to_owned())
                    );
                };
                match ev.event.as_deref() {
                    Some("endpoint") => {
                        return self.resolve(&String::from_utf8_lossy(
                            ev.data.as_deref().unwrap_or_default(),
                        ));
                    }
                    _ if ev.has_message() => self.route(ev.data.unwrap_or_default().into()).await,
                    _ => {}
                }
            }
        })
        .await;
        match found {
            Ok(Ok(endpoint)) => Ok(Opened { events, endpoint }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(self.no_endpoint(format!(
                "no endpoint event within {} s",
                ENDPOINT_WAIT.as_secs()
            ))),
        }
    }

    fn no_endpoint(&self, cause: String) -> UpstreamError {
        UpstreamError::new(ErrorKind::Handshake, self.url_text(), cause)
    }

    fn resolve(&self, data: &str) -> Result<Url, UpstreamError> {
        resolve_endpoint(&self.server.url, data)
            .map_err(|cause| self.no_endpoint(Chain(&cause).to_string()))
    }

    /// Read the stream until it ends, then report that it did.
    async fn pump(&self, mut events: EventReader) {
        let why = loop {
            let next = tokio::select! {
                next = events.next() => next,
                () = self.kick.notified() => break "a ping failed".to_owned(),
            };
            match next {
                Ok(Some(ev)) => {
                    {
                        let mut state = self.state();
                        if let Some(id) = ev.id.clone() {
                            state.last_id = Some(id);
                        }
                        if let Some(ms) = ev.retry {
                            state.retry = Some(Duration::from_millis(ms));
                        }
                    }
                    if ev.event.as_deref() == Some("endpoint") {
                        let data = String::from_utf8_lossy(ev.data.as_deref().unwrap_or_default());
                        match self.resolve(&data) {
                            Ok(url) => {
                                tracing::info!("the server moved the HTTP+SSE endpoint");
                                self.state().endpoint = Some(url);
                            }
                            Err(e) => break Chain(&e).to_string(),
                        }
                    } else if ev.has_message() {
                        self.route(ev.data.unwrap_or_default().into()).await;
                    }
                }
                Ok(None) => break "the server closed the HTTP+SSE stream".to_owned(),
                Err(e) => break Chain(&e).to_string(),
            }
        };
        tracing::warn!("{why}; reconnecting");
        let awaiting: Vec<Id> = {
            let mut state = self.state();
            state.endpoint = None;
            state.task = None;
            state.own.clear();
            state.awaiting.drain().collect()
        };
        let _ = self.events.send(Event::SseDropped { awaiting, why });
    }

    /// Hand each message of `payload` on: an answer to one of the bridge's
    /// own requests to whoever waits for it, the rest to the sink.
    async fn route(&self, payload: Bytes) {
        let Ok(items) = jsonrpc::parse(payload.clone()) else {
            return forward(payload, &self.sink).await;
        };
        for item in items {
            let Ok(m) = item else {
                tracing::warn!("dropped a message from the server that is not JSON-RPC");
                continue;
            };
            if let (MessageKind::Response, Some(id)) = (m.kind(), m.id()) {
                let mut state = self.state();
                if let Some(waiter) = state.own.remove(id) {
                    drop(state);
                    let _ = waiter.send(m);
                    continue;
                }
                state.awaiting.remove(id);
            }
            let _ = self.sink.send(m).await;
        }
    }

    /// POST one client message to the endpoint; a request's answer arrives
    /// on the stream (or, from some servers, in the POST's body).
    pub async fn send(&self, msg: &Message) -> Result<(), UpstreamError> {
        if let (MessageKind::Request, Some(id)) = (msg.kind(), msg.id()) {
            // Noted before the POST: the answer may come on the stream first.
            let mut state = self.state();
            if state.awaiting.len() >= AWAITING_CAP {
                state.awaiting.clear();
            }
            state.awaiting.insert(id.clone());
        }
        if let Some(body) = self.post(msg).await? {
            self.route(body).await;
        }
        Ok(())
    }

    /// Send one of the bridge's own requests and wait (at most `limit`) for
    /// its answer, which is not passed on to the client.
    pub async fn call(&self, msg: &Message, limit: Duration) -> Result<Message, UpstreamError> {
        let id = msg.id().cloned().unwrap_or_else(|| Id::bridge("none"));
        let (tx, rx) = oneshot::channel();
        self.state().own.insert(id.clone(), tx);
        let waited = tokio::time::timeout(limit, async {
            if let Some(body) = self.post(msg).await? {
                self.route(body).await;
            }
            rx.await.map_err(|_| {
                self.no_endpoint(format!(
                    "the stream ended before {} was answered",
                    msg.method_name()
                ))
            })
        })
        .await;
        self.state().own.remove(&id);
        waited.unwrap_or_else(|_| {
            Err(self.no_endpoint(format!(
                "{} had no answer within {} s",
                msg.method_name(),
                limit.as_secs()
            )))
        })
    }

    /// POST `msg` to the current endpoint; a JSON body, if the server sent one, is returned.
    async fn post(&self, msg: &Message) -> Result<Option<Bytes>, UpstreamError> {
        let endpoint = self.state().endpoint.clone().ok_or_else(|| {
            UpstreamError::new(
                ErrorKind::Connect,
                self.url_text(),
                "the HTTP+SSE stream is being reopened",
            )
        })?;
        let build = || {
            self.server
                .request(Method::POST, endpoint.clone(), &HeaderMap::new())
                .header(CONTENT_TYPE, "application/json")
                .header(ACCEPT, "application/json, text/event-stream")
                .body(msg.raw.clone())
        };
        let mut resp = self.server.http.send(build).await?;
        if !resp.status().is_success() {
            return Err(status_error(resp, self.url_text(), self.server.limit).await);
        }
        if content_type(&resp) != "application/json" {
            return Ok(None);
        }
        let body = read_body(&mut resp, self.url_text(), self.server.limit).await?;
        Ok((!body.iter().all(u8::is_ascii_whitespace)).then_some(body))
    }
}

/// Resolve an endpoint against the SSE URL `base`; refuse one on another
/// origin, which would send the client's messages (and headers) elsewhere.
fn resolve_endpoint(base: &Url, data: &str) -> Result<Url, EndpointError> {
    let data = data.trim();
    let endpoint = base.join(data).map_err(|source| EndpointError::NotUrl {
        data: data.to_owned(),
        source,
    })?;
    if endpoint.origin() != base.origin() {
        return Err(EndpointError::OtherOrigin(
            endpoint.origin().ascii_serialization(),
        ));
    }
    Ok(endpoint)
}

/// Why the `endpoint` event of an HTTP+SSE stream is refused.
#[derive(Debug, thiserror::Error)]
enum EndpointError {
    /// Not a URL, even relative to the stream's.
    #[error("the endpoint {data:?} is not a URL")]
    NotUrl {
        data: String,
        source: url::ParseError,
    },
    /// On another origin (its serialization).
    #[error("the server named an endpoint on another origin ({0}), which the bridge refuses")]
    OtherOrigin(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(base: &str, data: &str) -> Result<Url, EndpointError> {
        resolve_endpoint(&Url::parse(base).unwrap(), data)
    }

    #[test]
    fn endpoints_resolve_against_the_stream_url() {
        let base = "http://127.0.0.1:3001/sse";
        assert_eq!(
            resolve(base, "/message?sessionId=abc").unwrap().as_str(),
            "http://127.0.0.1:3001/message?sessionId=abc"
        );
        assert_eq!(
            resolve(base, "messages/?session_id=1").unwrap().as_str(),
            "http://127.0.0.1:3001/messages/?session_id=1"
        );
        assert!(resolve(base, "http://127.0.0.1:3001/m").is_ok());
    }

    #[test]
    fn endpoints_on_another_origin_are_refused() {
        for bad in [
            "https://evil.example.net/m",
            "http://mcp.example.com/m",
            "https://mcp.example.com:8443/m",
            "//evil.example.net/m",
        ] {
            let e = resolve("https://mcp.example.com/sse", bad)
                .unwrap_err()
                .to_string();
            assert!(e.contains("another origin"), "{bad}: {e}");
        }
    }
}
