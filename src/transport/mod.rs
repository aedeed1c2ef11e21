//! Upstream transports and what they share: errors a person can act on, and
//! bounded reading of HTTP bodies and event streams.

pub mod event_stream;
pub mod select;
pub mod sse;
pub mod streamable_http;

use crate::jsonrpc::{self, Id};
use bytes::{Bytes, BytesMut};
use event_stream::{Event, Parser};
use reqwest::StatusCode;
use std::collections::VecDeque;

/// How much of an error body is read to explain an HTTP failure.
const ERROR_BODY_LIMIT: usize = 64 * 1024;
/// How much of the server's own words goes into an error message.
const DETAIL_CHARS: usize = 300;

/// Why a message could not be relayed; the text is what the client is shown.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// No connection could be made.
    #[error("cannot reach the MCP server at {url}: {cause}")]
    Connect {
        /// The server URL.
        url: String,
        /// The lowest-level cause, e.g. "connection refused".
        cause: String,
    },
    /// The server's TLS certificate is not trusted; retrying will not help.
    #[error("the TLS certificate of {url} is not trusted ({cause}); if a private or corporate CA signs it, pass --ca-cert FILE (PEM) or set SSL_CERT_FILE (the platform's certificate store is trusted already)")]
    Untrusted {
        /// The server URL.
        url: String,
        /// What the TLS library said.
        cause: String,
    },
    /// The server did not answer in time.
    #[error("the MCP server at {url} did not answer in time: {cause}")]
    Timeout {
        /// The server URL.
        url: String,
        /// Which limit passed.
        cause: String,
    },
    /// The server answered with an HTTP error status.
    #[error("the MCP server at {url} answered HTTP {status}{detail}")]
    Status {
        /// The server URL.
        url: String,
        /// The status it answered.
        status: StatusCode,
        /// ": " and the server's own explanation, or empty.
        detail: String,
        /// The JSON-RPC error code the server put in its body, if any.
        server_code: Option<i64>,
    },
    /// The body was not JSON-RPC (an HTML page, plain text, broken JSON).
    #[error("the MCP server at {url} sent a reply that is not JSON-RPC ({what}){detail}")]
    NotJsonRpc {
        /// The server URL.
        url: String,
        /// What arrived instead, e.g. "content-type text/html".
        what: String,
        /// ": " and a snippet of the body, or empty.
        detail: String,
    },
    /// The reply passed the size bound.
    #[error("a reply from {url} is larger than the limit of {limit} bytes (raise it with --max-message-size)")]
    TooLarge {
        /// The server URL.
        url: String,
        /// The bound in bytes.
        limit: usize,
    },
    /// The connection broke while a reply was being read.
    #[error("the connection to {url} was lost while the request was in flight ({cause}); the server sent no answer")]
    Lost {
        /// The server URL.
        url: String,
        /// The lowest-level cause.
        cause: String,
    },
    /// The HTTP+SSE handshake failed (no endpoint, or a refused one).
    #[error("the HTTP+SSE handshake with {url} failed: {cause}")]
    Handshake {
        /// The SSE URL.
        url: String,
        /// What went wrong.
        cause: String,
    },
    /// The server lost the session and a new one could not be started.
    #[error("could not start a new session with the MCP server at {url}: {cause}")]
    Renew {
        /// The server URL.
        url: String,
        /// What went wrong.
        cause: String,
    },
    /// Signing in to the server failed.
    #[error("could not sign in to the MCP server at {url}: {cause}")]
    Auth {
        /// The server URL.
        url: String,
        /// What went wrong.
        cause: String,
    },
    /// Another error, with what the bridge tried besides.
    #[error("{source}{note}")]
    Noted {
        /// The first failure, whose code the client sees.
        source: Box<UpstreamError>,
        /// "; ..." what else was tried, or why nothing else was.
        note: String,
    },
    /// The server acknowledged a request with 202, which carries no answer.
    #[error("the MCP server at {url} accepted the request (HTTP {status}) but sent no answer")]
    NoAnswer {
        /// The server URL.
        url: String,
        /// 202 or 204.
        status: StatusCode,
    },
}

impl UpstreamError {
    /// The JSON-RPC error answer for the client's request `id`.
    pub fn to_response(&self, id: Option<&Id>) -> Bytes {
        let mut inner = self;
        while let UpstreamError::Noted { source, .. } = inner {
            inner = source;
        }
        let (code, status) = match inner {
            UpstreamError::Status {
                server_code,
                status,
                ..
            } => (
                server_code.unwrap_or(jsonrpc::UPSTREAM_ERROR),
                Some(status.as_u16()),
            ),
            UpstreamError::NoAnswer { status, .. } => {
                (jsonrpc::UPSTREAM_ERROR, Some(status.as_u16()))
            }
            _ => (jsonrpc::UPSTREAM_ERROR, None),
        };
        let data = status.map(|s| serde_json::json!({ "httpStatus": s }));
        jsonrpc::error_response(id, code, &format!("mcp-bridge: {self}"), data)
    }

    /// The HTTP status, when the failure was an error status.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            UpstreamError::Status { status, .. } => Some(*status),
            UpstreamError::Noted { source, .. } => source.status(),
            _ => None,
        }
    }

    /// True when the server says it does not know the session the request
    /// carried: 404, or a 400 whose words are about the session id (servers
    /// built on older SDK examples answer "Bad Request: No valid session ID").
    pub fn is_lost_session(&self) -> bool {
        match self {
            UpstreamError::Status { status, detail, .. } => {
                status.as_u16() == 404
                    || status.as_u16() == 400 && detail.to_ascii_lowercase().contains("session")
            }
            UpstreamError::Noted { source, .. } => source.is_lost_session(),
            _ => false,
        }
    }

    /// This error with `note` appended.
    pub fn noted(self, note: String) -> Self {
        UpstreamError::Noted {
            source: Box::new(self),
            note,
        }
    }

    /// Classify a reqwest failure on `url`.
    pub fn from_reqwest(url: &str, e: &reqwest::Error) -> Self {
        let cause = root_cause(e);
        let url = url.to_owned();
        if crate::net::is_untrusted_certificate(e) {
            UpstreamError::Untrusted { url, cause }
        } else if e.is_timeout() {
            UpstreamError::Timeout { url, cause }
        } else if e.is_connect() || e.is_builder() {
            // No connection: the message never reached the server.
            UpstreamError::Connect { url, cause }
        } else {
            UpstreamError::Lost { url, cause }
        }
    }
}

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

/// The innermost error message, which is the one a person can act on
/// ("Connection refused (os error 111)" rather than "error sending request").
pub fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    let text = cur.to_string();
    if text.is_empty() {
        e.to_string()
    } else {
        text
    }
}

/// Read a whole body, refusing one over `limit` bytes without buffering it.
pub async fn read_body(
    resp: &mut reqwest::Response,
    url: &str,
    limit: usize,
) -> Result<Bytes, UpstreamError> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(UpstreamError::TooLarge {
            url: url.to_owned(),
            limit,
        });
    }
    let mut buf = BytesMut::with_capacity(
        resp.content_length()
            .map_or(8 * 1024, |n| n as usize)
            .min(limit),
    );
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| UpstreamError::from_reqwest(url, &e))?
    {
        if buf.len() + chunk.len() > limit {
            return Err(UpstreamError::TooLarge {
                url: url.to_owned(),
                limit,
            });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Turn an HTTP error response into an [`UpstreamError::Status`], quoting the
/// server's JSON-RPC error message or the gist of its text or HTML.
pub async fn status_error(mut resp: reqwest::Response, url: &str) -> UpstreamError {
    let status = resp.status();
    let content_type = content_type(&resp);
    let challenge = if matches!(status.as_u16(), 401 | 403) {
        let values: Vec<&str> = resp
            .headers()
            .get_all(reqwest::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        crate::auth::challenge::Challenge::parse(&values.join(", "))
    } else {
        None
    };
    let mut body = BytesMut::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        let room = ERROR_BODY_LIMIT.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if room <= chunk.len() {
            break;
        }
    }
    let server = jsonrpc::error_object(&body);
    let server_code = server.as_ref().and_then(|e| e.code);
    let text = match server.and_then(|e| e.message) {
        Some(m) => m,
        None => gist(&body, &content_type),
    };
    let mut detail = if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    };
    if let Some(c) = challenge {
        detail.push_str(&format!(
            "; {} (if a token was given with --header, check it)",
            c.explain()
        ));
    }
    UpstreamError::Status {
        url: url.to_owned(),
        status,
        detail,
        server_code,
    }
}

/// The response's media type, lower-case, without parameters.
pub fn content_type(resp: &reqwest::Response) -> String {
    resp.headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// A short, readable summary of a body: an HTML page's title (or its text),
/// else the first characters, whitespace folded.
pub fn gist(body: &[u8], content_type: &str) -> String {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    let looks_html = content_type.contains("html") || lower.trim_start().starts_with('<');
    let picked: String = if looks_html {
        match (lower.find("<title>"), lower.find("</title>")) {
            (Some(a), Some(b)) if b > a + 7 => text[a + 7..b].to_owned(),
            _ => strip_tags(&text),
        }
    } else {
        text.into_owned()
    };
    let folded = picked.split_whitespace().collect::<Vec<_>>().join(" ");
    match folded.char_indices().nth(DETAIL_CHARS) {
        Some((cut, _)) => format!("{}…", &folded[..cut]),
        None => folded,
    }
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len().min(4096));
    let mut in_tag = false;
    for c in html.chars().take(16 * 1024) {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gist_prefers_an_html_title() {
        let page =
            b"<html><head><title>502 Bad Gateway</title></head><body><h1>x</h1></body></html>";
        assert_eq!(gist(page, "text/html"), "502 Bad Gateway");
        assert_eq!(gist(b"<p>oops <b>down</b></p>", ""), "oops down");
        let long = "a ".repeat(1000);
        assert!(gist(long.as_bytes(), "text/plain").chars().count() <= DETAIL_CHARS + 1);
    }

    #[test]
    fn error_answer_carries_status_and_server_code() {
        let e = UpstreamError::Status {
            url: "http://h/mcp".into(),
            status: StatusCode::BAD_REQUEST,
            detail: ": No valid session".into(),
            server_code: Some(-32000),
        };
        let line = e.to_response(Some(&Id::from_json_text("4")));
        let v: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(v["id"], 4);
        assert_eq!(v["error"]["code"], -32000);
        assert_eq!(v["error"]["data"]["httpStatus"], 400);
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains("HTTP 400 Bad Request: No valid session"),
            "{msg}"
        );
        assert!(msg.contains("http://h/mcp"), "{msg}");
    }
}
