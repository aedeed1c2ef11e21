//! Requests to a server that speaks 2026-07-28, whether the client speaks
//! it too (relayed) or sent `initialize` (translated): each POST carries the
//! routing headers and, for `tools/call`, the `Mcp-Param-*` headers the
//! tool's schema asks for ([`super::params`]). A `HeaderMismatch` (-32020)
//! makes the bridge list the tools again and send the call once more. A
//! reply stream that breaks before the answer is not resumed (the revision
//! has no `Last-Event-ID`): the request is sent again under a new id, since
//! the server never answered it, and the client still gets one answer
//! under its own id. Tools whose annotations break a rule are left out of
//! every `tools/list` answer.

use super::envelope::routing_headers;
use super::params::{param_headers, Lookup, ToolHeaders};
use crate::http::error::{ErrorKind, UpstreamError};
use crate::jsonrpc::{self, Form, Id, Message, Method};
use crate::protocol;
use crate::text::Chain;
use crate::transport::streamable_http::{Others, StreamableHttp};
use crate::transport::Sink;
use reqwest::header::HeaderMap;
use std::sync::Arc;

/// `HeaderMismatch`: the headers do not match the body.
pub const HEADER_MISMATCH: i64 = -32020;
/// How many times a request whose reply broke before its answer is sent again.
const REISSUES: u32 = 2;
/// How many pages the bridge's own `tools/list` reads.
const MAX_PAGES: usize = 20;

/// The sender of 2026-07-28 requests to one server.
pub struct Modern {
    http: Arc<StreamableHttp>,
    sink: Sink,
    tools: ToolHeaders,
}

impl Modern {
    /// Requests to the server behind `http`; what the server sends before
    /// an answer (progress, log messages) goes to `sink`.
    pub fn new(http: Arc<StreamableHttp>, sink: Sink) -> Self {
        Modern {
            http,
            sink,
            tools: ToolHeaders::default(),
        }
    }

    /// The transport underneath.
    pub fn http(&self) -> &Arc<StreamableHttp> {
        &self.http
    }

    /// The server said its tools changed: what the bridge knew of them is stale.
    pub fn tools_changed(&self) {
        self.tools.forget();
    }

    /// Send the request `m` (which carries its `_meta` envelope) as
    /// revision `version`, and return its answer under `m`'s own id; what
    /// the server sends before the answer goes to the sink as `shape`
    /// makes it (as it is, or translated for an older client).
    pub async fn request(
        &self,
        m: &Message,
        version: &str,
        shape: fn(Message) -> Message,
    ) -> Result<Message, UpstreamError> {
        let mut params = match self.param_headers(m, version, false).await {
            Ok(h) => h,
            Err(refusal) => return Ok(refusal),
        };
        let others = Others { skip: None, shape };
        let mut answer = self.send(m, version, &params, others).await;
        if m.is(&Method::ToolsCall) && mismatch(&answer) {
            tracing::info!(
                "the server refused the headers of {} (HeaderMismatch); listing the tools again and sending it once more",
                m.describe()
            );
            params = match self.param_headers(m, version, true).await {
                Ok(h) => h,
                Err(refusal) => return Ok(refusal),
            };
            answer = self.send(m, version, &params, others).await;
        }
        let answer = answer?;
        if m.is(&Method::ToolsList) && !answer.is_error() {
            let who = self.http.credentials().await;
            let (raw, _) = self.tools.learn(answer.raw.clone(), who);
            if raw != answer.raw {
                return Ok(jsonrpc::classify(raw).unwrap_or(answer));
            }
        }
        Ok(answer)
    }

    /// The `Mcp-Param-*` headers of `m` when it is a `tools/call` (listing
    /// the tools first when the tool is not known, or `afresh`); an error
    /// answer instead when the tool's annotations break a rule.
    async fn param_headers(
        &self,
        m: &Message,
        version: &str,
        afresh: bool,
    ) -> Result<HeaderMap, Message> {
        let Form::Request {
            id,
            method: Method::ToolsCall,
        } = &m.form
        else {
            return Ok(HeaderMap::new());
        };
        let Some(name) = jsonrpc::params_str(&m.raw, "name") else {
            return Ok(HeaderMap::new());
        };
        let who = self.http.credentials().await;
        if afresh {
            self.tools.forget();
        }
        let mut lookup = self.tools.lookup(&name, who);
        if lookup == (Lookup::Unknown { listed: false }) {
            self.list(m, version).await;
            lookup = self.tools.lookup(&name, who);
        }
        match lookup {
            Lookup::Known(annotations) => {
                let args: serde_json::Value = jsonrpc::params_raw(&m.raw, "arguments")
                    .and_then(|a| serde_json::from_str(a.get()).ok())
                    .unwrap_or_default();
                Ok(param_headers(&annotations, &args))
            }
            Lookup::Invalid(why) => {
                let text = format!(
                    "mcp-bridge: the tool {name:?} is not offered, because its schema breaks the x-mcp-header rules: {why}"
                );
                Err(protocol::error(id, jsonrpc::INVALID_PARAMS, &text, None))
            }
            Lookup::Unknown { .. } => Ok(HeaderMap::new()),
        }
    }

    /// The bridge's own `tools/list`, with the envelope of `like`, to learn
    /// the tools' annotations; the answers never reach the client.
    async fn list(&self, like: &Message, version: &str) {
        let meta = jsonrpc::params_raw(&like.raw, "_meta");
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let meta_part = meta.as_ref().map_or(r#""_meta":{}"#.to_owned(), |m| {
                format!(r#""_meta":{}"#, m.get())
            });
            let cursor_part = cursor
                .take()
                .map(|c| format!(r#","cursor":{}"#, jsonrpc::to_raw(&c).get()))
                .unwrap_or_default();
            let body = format!(
                r#"{{"jsonrpc":"2.0","id":{},"method":"tools/list","params":{{{meta_part}{cursor_part}}}}}"#,
                jsonrpc::to_raw(&protocol::own_id("tools")).get()
            );
            let Ok(msg) = jsonrpc::classify(bytes::Bytes::from(body)) else {
                return;
            };
            tracing::debug!("listing the tools for their x-mcp-header annotations");
            match self
                .send(&msg, version, &HeaderMap::new(), Others::AS_THEY_ARE)
                .await
            {
                Ok(a) if !a.is_error() => {
                    let who = self.http.credentials().await;
                    cursor = self.tools.learn(a.raw, who).1;
                    if cursor.is_none() {
                        return;
                    }
                }
                Ok(a) => {
                    tracing::debug!("the bridge's tools/list was refused: {}", a.describe());
                    return;
                }
                Err(e) => {
                    tracing::debug!("the bridge's tools/list failed: {e}", e = Chain(&e));
                    return;
                }
            }
        }
    }

    /// POST `m` with its routing headers and `extra`, and read its answer.
    /// A reply that ends before the answer is sent again under a new id
    /// (at most [`REISSUES`] times); the answer comes back under `m`'s id.
    /// An error status that came with the server's JSON-RPC answer to the
    /// request (a 400 with -32021, a 404 with -32601) is that answer: this
    /// revision says errors with a status.
    async fn send(
        &self,
        m: &Message,
        version: &str,
        extra: &HeaderMap,
        others: Others<'_>,
    ) -> Result<Message, UpstreamError> {
        let mut msg = m.clone();
        for attempt in 0..=REISSUES {
            let mut headers = routing_headers(&msg, version);
            headers.extend(extra.clone());
            let posted = match self.http.post_stateless(&msg, &headers).await {
                Ok(p) => p,
                Err(e) => match e.reply_to(msg.id()) {
                    Some(a) if attempt == 0 => return Ok(a.clone()),
                    Some(a) => return Ok(under_id(a.clone(), m)),
                    None => return Err(e),
                },
            };
            let why = match posted.answer(&msg, &self.sink, others).await {
                Ok(Some(a)) if attempt == 0 => return Ok(a),
                Ok(Some(a)) => return Ok(under_id(a, m)),
                Ok(None) => "the reply ended before the answer".to_owned(),
                Err(e) if e.kind() == ErrorKind::Lost => Chain(&e).to_string(),
                Err(e) => return Err(e),
            };
            if attempt == REISSUES {
                return Err(UpstreamError::lost(
                    self.http.url(),
                    format!("{why}, {} times", REISSUES + 1),
                ));
            }
            msg = protocol::own_request(&m.raw, "again").ok_or_else(|| {
                UpstreamError::lost(
                    self.http.url(),
                    format!("{why}; it could not be sent again"),
                )
            })?;
            tracing::info!(
                "{why} ({}); a 2026-07-28 stream cannot be resumed, so it is sent again as id {}",
                m.describe(),
                msg.id().map(Id::as_json).unwrap_or_default()
            );
        }
        unreachable!("the last attempt returns")
    }
}

/// True when the server refused a request's headers (`HeaderMismatch`).
fn mismatch(r: &Result<Message, UpstreamError>) -> bool {
    let code = match r {
        Err(e) => e.server_code(),
        Ok(a) if a.is_error() => jsonrpc::error_object(&a.raw).and_then(|e| e.code),
        Ok(_) => None,
    };
    code == Some(HEADER_MISMATCH)
}

/// `answer` under the id of the request `m`.
pub fn under_id(answer: Message, m: &Message) -> Message {
    let Some(id) = m.id() else {
        return answer;
    };
    let Ok(raw) = serde_json::value::RawValue::from_string(id.as_json().to_owned()) else {
        return answer;
    };
    jsonrpc::with_id_json(&answer.raw, raw)
        .ok()
        .and_then(|b| jsonrpc::classify(b).ok())
        .unwrap_or(answer)
}
