//! Upstream transports and what they share: bounded reading of event
//! streams, and handing server messages on.

pub mod event_stream;
pub mod select;
pub mod sse;
pub mod streamable_http;

pub use crate::http::body::{content_type, read_body, status_error};
pub use crate::http::error::{root_cause, UpstreamError};
use crate::jsonrpc;
use bytes::Bytes;
use event_stream::{Event, Parser};
use std::collections::VecDeque;

/// Deliver one event's or body's JSON-RPC message(s) that the server sent on
/// its own (not as the answer to a POST), skipping what is not JSON-RPC.
pub async fn deliver_unsolicited(payload: Bytes, router: &crate::relay::Router) {
    match jsonrpc::parse(payload) {
        Ok(items) => {
            for item in items {
                match item {
                    Ok(m) => router.deliver(m).await,
                    Err(e) => tracing::warn!("dropped a message from the server: {e}"),
                }
            }
        }
        Err(e) => tracing::warn!("dropped an event from the server: {e}"),
    }
}

/// Events read one at a time from a `text/event-stream` response.
pub struct EventReader {
    resp: reqwest::Response,
    parser: Parser,
    queue: VecDeque<Event>,
    url: String,
}

impl EventReader {
    /// Read events from `resp`, none larger than `limit` bytes.
    pub fn new(resp: reqwest::Response, url: &str, limit: usize) -> Self {
        EventReader {
            resp,
            parser: Parser::new(limit),
            queue: VecDeque::new(),
            url: url.to_owned(),
        }
    }

    /// The next event; `Ok(None)` when the server closed the stream cleanly.
    pub async fn next(&mut self) -> Result<Option<Event>, UpstreamError> {
        let mut batch = Vec::new();
        loop {
            if let Some(ev) = self.queue.pop_front() {
                return Ok(Some(ev));
            }
            let chunk = match self.resp.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => return Ok(None),
                Err(e) => {
                    return Err(UpstreamError::Lost {
                        url: self.url.clone(),
                        cause: root_cause(&e),
                    })
                }
            };
            self.parser
                .feed(&chunk, &mut batch)
                .map_err(|e| UpstreamError::TooLarge {
                    url: self.url.clone(),
                    limit: e.limit,
                })?;
            self.queue.extend(batch.drain(..));
        }
    }
}
