//! Reading what the server sent, bounded: whole bodies up to a limit, and
//! error responses turned into an [`UpstreamError`] that quotes the
//! server's own words.

use super::challenge::Challenge;
use super::error::UpstreamError;
use crate::jsonrpc;
use crate::text::gist;
use bytes::{Bytes, BytesMut};

/// How much of an error body is read to explain an HTTP failure.
pub const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Read a whole body, refusing one over `limit` bytes without buffering it.
pub async fn read_body(
    resp: &mut reqwest::Response,
    url: &str,
    limit: usize,
) -> Result<Bytes, UpstreamError> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(UpstreamError::too_large(url, limit));
    }
    let mut buf = BytesMut::with_capacity(
        resp.content_length()
            .map_or(8 * 1024, |n| n as usize)
            .min(limit),
    );
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| UpstreamError::from_reqwest(url, e))?
    {
        if buf.len() + chunk.len() > limit {
            return Err(UpstreamError::too_large(url, limit));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Turn an HTTP error response into an [`UpstreamError`] of kind `Status`, quoting the
/// server's JSON-RPC error message or the gist of its text or HTML. A
/// JSON body is read up to `limit` bytes (the largest message accepted),
/// any other up to [`ERROR_BODY_LIMIT`]; a body that is one JSON-RPC
/// response is kept whole in the error, as the server's own answer.
pub async fn status_error(mut resp: reqwest::Response, url: &str, limit: usize) -> UpstreamError {
    let status = resp.status();
    if status.is_redirection() {
        let to = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|l| crate::text::clean(l, 300))
            .unwrap_or_default();
        let detail = format!(
            ": it redirects to {to:?}, which mcp-bridge does not follow (only redirects to the same origin are followed, so that headers, the session and the request never go elsewhere); use the address it names if you trust it"
        );
        return UpstreamError::status(url, status, detail, None);
    }
    let content_type = content_type(&resp);
    let challenge = if matches!(status.as_u16(), 401 | 403) {
        Challenge::of(resp.headers())
    } else {
        None
    };
    let bound = if content_type == "application/json" {
        limit.max(ERROR_BODY_LIMIT)
    } else {
        ERROR_BODY_LIMIT
    };
    let mut body = BytesMut::new();
    let mut whole = true;
    while let Ok(Some(chunk)) = resp.chunk().await {
        let room = bound - body.len();
        if chunk.len() > room {
            // Enough to quote; too much to pass on as the server's answer.
            body.extend_from_slice(&chunk[..room]);
            whole = false;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let reply = whole
        .then(|| jsonrpc::classify(body.clone()).ok())
        .flatten()
        .filter(|m| m.kind() == jsonrpc::MessageKind::Response);
    let server = jsonrpc::error_object(&body);
    let server_code = server.as_ref().and_then(|e| e.code);
    let server_data = server.as_ref().and_then(|e| e.data.clone());
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
    let e = UpstreamError::status(url, status, detail, server_code).with_server_data(server_data);
    match reply {
        Some(m) => e.with_reply(m),
        None => e,
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
