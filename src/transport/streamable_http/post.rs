//! One POST and what came back: accepted, a JSON body, or a reply stream;
//! and reading a reply until the answer to the message sent.

use super::{ReplyStream, StreamableHttp, SESSION_HEADER};
use crate::http::body::{content_type, read_body};
use crate::http::error::UpstreamError;
use crate::jsonrpc::{self, Id, Invalid, Message, MessageKind};
use crate::text::Chain;
use crate::transport::Sink;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use std::sync::Arc;

/// `Accept` on every POST, as the specification requires.
const ACCEPT_BOTH: &str = "application/json, text/event-stream";

/// What a POST brought back.
pub struct Posted {
    /// The `Mcp-Session-Id` the response carried, if any.
    pub session_id: Option<HeaderValue>,
    /// The reply itself.
    pub reply: Reply,
}

/// The body of a POST's response.
pub enum Reply {
    /// 202 or 204 (or an empty body) to a notification or response.
    Accepted,
    /// A JSON body: one message or a batch.
    Json(Vec<Result<Message, Invalid>>),
    /// An event stream, resumed when it breaks.
    Stream(Box<ReplyStream>),
}

impl StreamableHttp {
    /// POST `msg` with the `extra` headers (the session's, or 2026-07-28's
    /// routing headers) as part of session `epoch`. An error status, a 202
    /// to a request, or a body that is not JSON-RPC is an error.
    pub async fn post(
        self: &Arc<Self>,
        msg: &Message,
        extra: &HeaderMap,
        epoch: u64,
    ) -> Result<Posted, UpstreamError> {
        self.post_with(msg, extra, epoch, msg.kind() == MessageKind::Request)
            .await
    }

    /// POST `msg` of revision 2026-07-28, which has no sessions and no
    /// resuming: a reply stream that breaks just ends.
    pub async fn post_stateless(
        self: &Arc<Self>,
        msg: &Message,
        extra: &HeaderMap,
    ) -> Result<Posted, UpstreamError> {
        self.post_with(msg, extra, 0, false).await
    }

    async fn post_with(
        self: &Arc<Self>,
        msg: &Message,
        extra: &HeaderMap,
        epoch: u64,
        resumable: bool,
    ) -> Result<Posted, UpstreamError> {
        let build = || {
            self.request(Method::POST, extra)
                .header(ACCEPT, HeaderValue::from_static(ACCEPT_BOTH))
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(msg.raw.clone())
        };
        let mut resp = self.server.http.send(build).await?;
        let status = resp.status();
        if !status.is_success() {
            return Err(self.refused(resp).await);
        }
        let session_id = resp.headers().get(SESSION_HEADER).cloned();
        let posted = |reply| Ok(Posted { session_id, reply });
        if status == StatusCode::ACCEPTED || status == StatusCode::NO_CONTENT {
            return match msg.kind() {
                MessageKind::Request => Err(UpstreamError::no_answer(self.url(), status)),
                _ => posted(Reply::Accepted),
            };
        }
        let ctype = content_type(&resp);
        if ctype == "text/event-stream" {
            let stream = ReplyStream::new(Arc::clone(self), resp, extra.clone(), epoch, resumable);
            return posted(Reply::Stream(Box::new(stream)));
        }
        let body = read_body(&mut resp, self.url(), self.server.limit).await?;
        if body.iter().all(u8::is_ascii_whitespace) && msg.kind() != MessageKind::Request {
            return posted(Reply::Accepted);
        }
        let not_json_rpc = |detail: String| {
            let what = if ctype.is_empty() {
                "no content-type".to_owned()
            } else {
                format!("content-type {ctype}")
            };
            let detail = match crate::text::gist(&body, &ctype) {
                g if g.is_empty() => detail,
                g => format!(": {g}"),
            };
            UpstreamError::not_json_rpc(self.url(), &what, &detail)
        };
        let items = jsonrpc::parse(body.clone())
            .map_err(|e| not_json_rpc(format!(": {e}", e = Chain(&e))))?;
        if items.iter().all(Result::is_err) {
            if let Some(Err(e)) = items.first() {
                return Err(not_json_rpc(format!(": {e}", e = Chain(&e))));
            }
        }
        posted(Reply::Json(items))
    }
}

impl Posted {
    /// Read the reply to `sent` until its answer: every other message goes
    /// to `sink` as it arrives, as `others` says, and the answer comes
    /// back. `Ok(None)` when the reply ended without one. An error the
    /// server could not tie to a request (id null) answers `sent`.
    pub async fn answer(
        self,
        sent: &Message,
        sink: &Sink,
        others: Others<'_>,
    ) -> Result<Option<Message>, UpstreamError> {
        let (found, _) = self.read(Reading::new(sent, sink, others, false)).await?;
        Ok(found)
    }

    /// Read the reply to `sent` and pass every message on to `sink` in the
    /// order it came, the answer too. True when the answer came.
    pub async fn relay(self, sent: &Message, sink: &Sink) -> Result<bool, UpstreamError> {
        let reading = Reading::new(sent, sink, Others::AS_THEY_ARE, true);
        let (_, answered) = self.read(reading).await?;
        Ok(answered)
    }

    /// The answer (unless forwarded), and whether it came.
    async fn read(
        self,
        mut reading: Reading<'_>,
    ) -> Result<(Option<Message>, bool), UpstreamError> {
        let found = match self.reply {
            Reply::Accepted => None,
            Reply::Json(items) => reading.take(items).await,
            Reply::Stream(mut stream) => {
                let mut found = None;
                while let Some(payload) = stream.next().await? {
                    let items = jsonrpc::parse(payload).map_err(|e| {
                        UpstreamError::not_json_rpc(
                            stream.url(),
                            "an event that is not JSON-RPC",
                            &format!(": {e}", e = Chain(&e)),
                        )
                    })?;
                    found = reading.take(items).await;
                    if reading.answered {
                        break;
                    }
                }
                found
            }
        };
        Ok((found, reading.answered))
    }
}

/// What becomes of the messages a reply brings besides the answer.
#[derive(Clone, Copy)]
pub struct Others<'a> {
    /// Notifications of this method are not passed on.
    pub skip: Option<&'a str>,
    /// What each one becomes on its way to the sink (a translation, for a
    /// client of another protocol era).
    pub shape: fn(Message) -> Message,
}

impl Others<'static> {
    /// Every one passed on as it came.
    pub const AS_THEY_ARE: Others<'static> = Others {
        skip: None,
        shape: std::convert::identity,
    };
}

/// Reading one reply.
struct Reading<'a> {
    sent: &'a Message,
    sink: &'a Sink,
    others: Others<'a>,
    /// Pass the answer on in its place rather than hand it back.
    forward_answer: bool,
    /// The answer has come.
    answered: bool,
}

impl<'a> Reading<'a> {
    fn new(sent: &'a Message, sink: &'a Sink, others: Others<'a>, forward_answer: bool) -> Self {
        Reading {
            sent,
            sink,
            others,
            forward_answer,
            answered: false,
        }
    }
}

impl Reading<'_> {
    /// Pass on the messages of one body or event; the answer to `sent`, if
    /// among them, comes back unless it is forwarded (anything after it in
    /// the same batch still goes on).
    async fn take(&mut self, items: Vec<Result<Message, Invalid>>) -> Option<Message> {
        let mut answer = None;
        for item in items {
            let mut m = match item {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(
                        "dropped a message from the server that is not JSON-RPC: {e}",
                        e = Chain(&e)
                    );
                    continue;
                }
            };
            if m.kind() == MessageKind::Response
                && self.sent.kind() == MessageKind::Request
                && !self.answered
            {
                if m.id().is_none() && m.is_error() {
                    match null_error_as_answer(&m, self.sent.id()) {
                        Some(fixed) => m = fixed,
                        None => continue,
                    }
                }
                if m.id() == self.sent.id() {
                    self.answered = true;
                    if !self.forward_answer {
                        answer = Some(m);
                        continue;
                    }
                }
            }
            if self.others.skip.is_some_and(|s| m.method_name() == s) {
                tracing::debug!("not forwarded: {}", crate::text::for_log(m.method_name()));
                continue;
            }
            let _ = self.sink.send((self.others.shape)(m)).await;
        }
        answer
    }
}

/// The server's id-less error as the answer to `id`: only the id changes,
/// the error keeps every byte.
fn null_error_as_answer(m: &Message, id: Option<&Id>) -> Option<Message> {
    let id = serde_json::value::RawValue::from_string(id?.as_json().to_owned()).ok()?;
    let raw = jsonrpc::with_id_json(&m.raw, id).ok()?;
    jsonrpc::classify(raw).ok()
}
