//! The transports: Streamable HTTP and the older HTTP+SSE.
//!
//! A transport sends what it is given and returns what happened to the
//! caller: the POST was accepted, one JSON answer came, or a stream of
//! messages is on its way. What a server sends on its own (on the GET
//! stream, on the HTTP+SSE stream) goes to a [`Sink`], and what a background
//! stream learns about the server goes to [`Events`]. A transport never
//! writes to stdout, never reads the relay's tables and never decides what a
//! lost session means for the client: it says so, and the connection above
//! decides.

pub mod event_stream;
pub mod sse;
pub mod streamable_http;

use crate::http::Http;
use crate::jsonrpc::{self, Id, Message};
use crate::text::Chain;
use bytes::Bytes;
use reqwest::header::HeaderMap;
use tokio::sync::mpsc;

/// One remote server as both transports reach it.
#[derive(Clone)]
pub struct Endpoint {
    /// The HTTP layer (with sign-in plugged in).
    pub http: Http,
    /// The server URL (for HTTP+SSE, the stream's).
    pub url: reqwest::Url,
    /// The user's `--header`s, on every request.
    pub headers: HeaderMap,
    /// The largest message accepted, in bytes.
    pub limit: usize,
}

impl Endpoint {
    /// The server URL as text, for messages.
    pub fn url_text(&self) -> &str {
        self.http.server()
    }

    /// A request to `url` with the user's headers and `extra` ones.
    pub fn request(
        &self,
        method: reqwest::Method,
        url: reqwest::Url,
        extra: &HeaderMap,
    ) -> crate::http::wire::Outgoing {
        // Appended one by one, in order (as a merged map would go in): no
        // map built and copied again on every request.
        self.headers
            .iter()
            .chain(extra.iter())
            .fold(self.http.request(method, url), |b, (k, v)| {
                b.header(k.clone(), v.clone())
            })
    }
}

/// Where server messages go on their way to the client: the relay reads
/// this channel and alone writes stdout.
pub type Sink = mpsc::Sender<Message>;

/// What a background stream learned about the server, for the connection to
/// act on.
#[derive(Debug)]
pub enum Event {
    /// A stream reached the server (`what` did).
    Reachable(&'static str),
    /// A stream could not reach the server (why).
    Unreachable(String),
    /// The server no longer knows the session of `epoch` (a stream found out).
    SessionGone {
        /// The session, as the connection counts them.
        epoch: u64,
        /// What showed it.
        why: String,
    },
    /// The HTTP+SSE stream ended, and with it the server session it carried.
    SseDropped {
        /// Client requests whose answers it still owed.
        awaiting: Vec<Id>,
        /// Why it ended.
        why: String,
    },
}

/// Where background streams report [`Event`]s.
pub type Events = mpsc::UnboundedSender<Event>;

/// Hand the JSON-RPC message(s) of one event or body (a message or a batch)
/// to `sink`, dropping what is not JSON-RPC.
pub async fn forward(payload: Bytes, sink: &Sink) {
    match jsonrpc::parse(payload) {
        Ok(items) => {
            for item in items {
                match item {
                    Ok(m) => {
                        let _ = sink.send(m).await;
                    }
                    Err(e) => {
                        tracing::warn!("dropped a message from the server: {e}", e = Chain(&e))
                    }
                }
            }
        }
        Err(e) => tracing::warn!("dropped an event from the server: {e}", e = Chain(&e)),
    }
}
