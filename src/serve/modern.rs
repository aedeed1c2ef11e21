//! Clients of 2026-07-28, the sessionless revision: each POST carries its
//! own `_meta` envelope (protocol version, client capabilities) and the
//! `Mcp-Method`/`Mcp-Name` headers, and no session. `serve` checks the
//! envelope and the headers against the body, answers `server/discover`
//! from the shared child's `initialize` ([`super::pool`]), refuses the
//! methods 2026-07-28 removed, and sends the rest to the shared child under
//! an id of the pool's. The answer goes back with the client's id, and as
//! 2026-07-28 words it: `resultType`, the cache hints on what may be
//! cached, the server's name in `_meta`, -32602 with the URI for a resource
//! that is not there. Progress comes first on an event stream; a client
//! that closes it cancels the request.
//!
//! Not yet: `input_required` rounds (a server's own requests are refused),
//! `subscriptions/listen`, `Mcp-Param-*` headers. Until the first is here,
//! `server/discover` from a client that declares sampling, elicitation or
//! roots gets a handshake-era server's refusal, so that a dual-era client
//! falls back to `initialize`, where the server's requests reach it.

use super::pool::{self, PoolError, Shared};
use super::reply::{event_stream, json, Body};
use super::Front;
use crate::jsonrpc::{self, Edit, Form, Id, Message, Method};
use crate::text::Chain;
use base64::Engine as _;
use bytes::Bytes;
use hyper::header::HeaderMap;
use hyper::{Response, StatusCode};
use serde_json::value::RawValue;
use std::sync::Arc;
use tokio::sync::mpsc;

/// The revision.
pub const MODERN: &str = "2026-07-28";
const VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
const CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";
/// A header or envelope that disagrees with the body.
const HEADER_MISMATCH: i64 = -32020;
/// The 2025-11-25 code for a resource that is not there.
const RESOURCE_NOT_FOUND_2025: i64 = -32002;
/// The results a client may cache, which carry `ttlMs` and `cacheScope`.
const CACHEABLE: [&str; 6] = [
    "server/discover",
    "tools/list",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
];

/// The headers a 2026-07-28 request is routed by, read before the body.
pub struct Routing {
    version: Option<String>,
    method: Option<String>,
    name: Option<String>,
}

impl Routing {
    /// The routing headers of a request.
    pub fn of(headers: &HeaderMap) -> Routing {
        let get = |name: &str| {
            headers
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
        };
        Routing {
            version: get("mcp-protocol-version"),
            method: get("mcp-method"),
            name: get("mcp-name"),
        }
    }

    /// Whether a sessionless message `m` is 2026-07-28's: it says so in its
    /// header or its envelope, or it is `server/discover`.
    pub fn selects(&self, m: &Message) -> bool {
        self.version.as_deref() == Some(MODERN)
            || m.is(&Method::Discover)
            || jsonrpc::params_raw(&m.raw, "_meta")
                .is_some_and(|meta| meta.get().contains(VERSION_KEY))
    }
}

impl Front {
    /// A sessionless 2026-07-28 message.
    pub(super) async fn modern(&self, routing: Routing, m: Message) -> Response<Body> {
        let Form::Request { id, method } = &m.form else {
            // Notifications (a cancellation among them) need no answer.
            return super::reply::empty(StatusCode::ACCEPTED);
        };
        if let Err(refused) = check(&routing, &m, method) {
            return *refused;
        }
        if m.is(&Method::Discover) && asks_for_input(&m) {
            // Serve cannot yet put the server's own requests to a
            // 2026-07-28 client (input_required rounds): a client that can
            // answer them is better served in the handshake era, where
            // they reach it. The refusal is a handshake-era server's, which
            // sends a dual-era client to `initialize`.
            tracing::debug!(
                "server/discover from a client that takes sampling, elicitation or roots: refused, so that it uses the handshake era"
            );
            return super::reply::rpc_error(
                StatusCode::BAD_REQUEST,
                -32000,
                "Bad Request: No valid session ID provided",
            );
        }
        if pool::removed(method) {
            return refuse(
                id,
                StatusCode::NOT_FOUND,
                jsonrpc::METHOD_NOT_FOUND,
                &format!("{} is not a method of {MODERN}", method.name()),
                None,
            );
        }
        let shared = match self.pool.get().await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("{e}", e = Chain(&e));
                return refuse(
                    id,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    jsonrpc::INTERNAL_ERROR,
                    &format!("mcp-bridge: {e}", e = Chain(&e)),
                    None,
                );
            }
        };
        if m.is(&Method::Discover) {
            return json(StatusCode::OK, discovered(id, &shared));
        }
        forward(shared, id.clone(), method.clone(), m).await
    }
}

/// A JSON-RPC error answering `id`, with `status`.
fn refuse(
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

/// The envelope and the routing headers, checked against the body: the
/// envelope first (-32602), then the version (-32022), then the headers
/// (-32020), each with 400.
fn check(routing: &Routing, m: &Message, method: &Method) -> Result<(), Box<Response<Body>>> {
    let id = m.id().expect("a request");
    let bad = |code: i64, message: String, data: Option<serde_json::Value>| {
        Err(Box::new(refuse(
            id,
            StatusCode::BAD_REQUEST,
            code,
            &message,
            data,
        )))
    };
    let meta = jsonrpc::params_raw(&m.raw, "_meta");
    let field = |key: &str| -> Option<Box<RawValue>> {
        let meta = meta.as_ref()?;
        let map: std::collections::HashMap<&str, &RawValue> =
            serde_json::from_str(meta.get()).ok()?;
        map.get(key).map(|v| (*v).to_owned())
    };
    let version = field(VERSION_KEY).and_then(|v| serde_json::from_str::<String>(v.get()).ok());
    let Some(version) = version else {
        return bad(
            jsonrpc::INVALID_PARAMS,
            format!("params._meta must name {VERSION_KEY}"),
            None,
        );
    };
    if field(CAPABILITIES_KEY).is_none() {
        return bad(
            jsonrpc::INVALID_PARAMS,
            format!("params._meta must carry {CAPABILITIES_KEY}"),
            None,
        );
    }
    if routing.version.as_deref().is_some_and(|h| h != version) {
        return bad(
            HEADER_MISMATCH,
            "MCP-Protocol-Version differs from params._meta".into(),
            None,
        );
    }
    if version != MODERN {
        return bad(
            jsonrpc::UNSUPPORTED_VERSION,
            format!("unsupported protocol version {version:?}"),
            Some(serde_json::json!({"supported": [MODERN], "requested": version})),
        );
    }
    if routing.method.as_deref() != Some(method.name()) {
        return bad(
            HEADER_MISMATCH,
            format!("Mcp-Method must be {:?}", method.name()),
            None,
        );
    }
    if let Some(param) = method.name_param() {
        let named = jsonrpc::params_str(&m.raw, param);
        let header = routing.name.as_deref().map(decoded);
        if named.is_none() || header.as_deref() != named.as_deref() {
            return bad(
                HEADER_MISMATCH,
                format!("Mcp-Name must be the request's params.{param}"),
                None,
            );
        }
    }
    Ok(())
}

/// Whether the client of request `m` declares that it takes requests from
/// the server (sampling, elicitation, roots).
fn asks_for_input(m: &Message) -> bool {
    let Some(meta) = jsonrpc::params_raw(&m.raw, "_meta") else {
        return false;
    };
    let map: std::collections::HashMap<&str, &RawValue> =
        serde_json::from_str(meta.get()).unwrap_or_default();
    let Some(caps) = map.get(CAPABILITIES_KEY) else {
        return false;
    };
    let caps: std::collections::HashMap<&str, &RawValue> =
        serde_json::from_str(caps.get()).unwrap_or_default();
    ["sampling", "elicitation", "roots"]
        .iter()
        .any(|k| caps.contains_key(k))
}

/// A header value, with its `=?base64?...?=` form decoded.
fn decoded(v: &str) -> String {
    v.strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_else(|| v.to_owned())
}

/// The answer to `server/discover`, from the child's `initialize`.
fn discovered(id: &Id, shared: &Shared) -> Bytes {
    let init: std::collections::HashMap<&str, &RawValue> =
        serde_json::from_str(shared.init.get()).unwrap_or_default();
    let caps = init
        .get("capabilities")
        .map(|c| without_subscriptions(c.get()))
        .unwrap_or_else(|| "{}".into());
    let mut result = format!(
        r#"{{"resultType":"complete","supportedVersions":["{MODERN}"],"capabilities":{caps}"#
    );
    if let Some(info) = init.get("serverInfo") {
        result.push_str(&format!(
            r#","_meta":{{"{SERVER_INFO_KEY}":{}}}"#,
            info.get()
        ));
    }
    if let Some(text) = init.get("instructions") {
        result.push_str(&format!(r#","instructions":{}"#, text.get()));
    }
    result.push_str(r#","ttlMs":0,"cacheScope":"private"}"#);
    Bytes::from(format!(
        r#"{{"jsonrpc":"2.0","id":{},"result":{result}}}"#,
        id.as_json()
    ))
}

/// Capabilities without what needs a subscription (`listChanged`,
/// `subscribe`), which serve does not offer a 2026-07-28 client yet.
fn without_subscriptions(caps: &str) -> String {
    jsonrpc::edit_object(caps, |_, v| {
        match jsonrpc::edit_object(v.get(), |k, _| match k {
            "listChanged" | "subscribe" => Edit::Drop,
            _ => Edit::Keep,
        }) {
            Some(t) => Edit::Replace(t),
            None => Edit::Keep,
        }
    })
    .unwrap_or_else(|| caps.to_owned())
}

/// Send the request on to the shared child and answer it: as JSON when
/// its answer comes first, else as an event stream of its progress and
/// then its answer.
async fn forward(shared: Arc<Shared>, id: Id, method: Method, m: Message) -> Response<Body> {
    let n = shared.next_id();
    let token = jsonrpc::params_raw(&m.raw, "_meta").and_then(|meta| {
        let map: std::collections::HashMap<&str, &RawValue> =
            serde_json::from_str(meta.get()).ok()?;
        map.get("progressToken").map(|t| (*t).to_owned())
    });
    let Some(line) = for_child(&m.raw, n) else {
        return refuse(
            &id,
            StatusCode::BAD_REQUEST,
            jsonrpc::INVALID_REQUEST,
            "mcp-bridge: the request is not a JSON object",
            None,
        );
    };
    let uri = jsonrpc::params_str(&m.raw, "uri");
    let (pending, mut lines) = match shared.request(n, line).await {
        Ok(p) => p,
        Err(PoolError::Busy) => return super::reply::busy(&PoolError::Busy.to_string()),
        Err(_) => return gone(&id),
    };
    let out = Out {
        id,
        method,
        token,
        uri,
    };
    let Some(first) = lines.recv().await else {
        return gone(&out.id);
    };
    if let Some((status, answer)) = out.answer(&first) {
        return json(status, answer);
    }
    // Progress first: an event stream, which ends with the answer.
    let (tx, events) = mpsc::channel(64);
    tokio::spawn(async move {
        // Held until the answer is out: the client closing the stream
        // before that cancels the request.
        let _pending = pending;
        let mut next = Some(first);
        loop {
            let line = match next.take() {
                Some(l) => l,
                None => match lines.recv().await {
                    Some(l) => l,
                    None => break,
                },
            };
            let (text, last) = match out.answer(&line) {
                Some((_, answer)) => (answer, true),
                None => (out.progress(&line), false),
            };
            if tx.send(event(&text)).await.is_err() || last {
                return;
            }
        }
        let _ = tx.send(event(&gone_line(&out.id))).await;
    });
    event_stream(events, None)
}

/// Request `raw` as the shared child gets it: the pool's id `n` (as its
/// progress token too, when it has one), and no 2026-07-28 envelope, which
/// a handshake-era server may refuse. Every other value keeps its bytes.
fn for_child(raw: &[u8], n: u64) -> Option<Bytes> {
    let text = std::str::from_utf8(raw).ok()?;
    let meta = |v: &RawValue| {
        jsonrpc::edit_object(v.get(), |k, _| match k {
            "progressToken" => Edit::Replace(n.to_string()),
            k if k.starts_with("io.modelcontextprotocol/") => Edit::Drop,
            _ => Edit::Keep,
        })
    };
    let params = |v: &RawValue| {
        jsonrpc::edit_object(v.get(), |k, v| match k {
            "_meta" => meta(v).map_or(Edit::Keep, Edit::Replace),
            _ => Edit::Keep,
        })
    };
    let edited = jsonrpc::edit_object(text, |k, v| match k {
        "id" => Edit::Replace(n.to_string()),
        "params" => params(v).map_or(Edit::Keep, Edit::Replace),
        _ => Edit::Keep,
    })?;
    Some(Bytes::from(edited))
}

/// What the client gets when the child ended before it answered.
fn gone(id: &Id) -> Response<Body> {
    json(StatusCode::OK, gone_line(id))
}

fn gone_line(id: &Id) -> Bytes {
    jsonrpc::error_response(
        Some(id),
        jsonrpc::UPSTREAM_ERROR,
        "mcp-bridge: the MCP server process ended before it answered",
        None,
    )
}

/// One message as an event.
fn event(line: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(line.len() + 24);
    out.extend_from_slice(b"event: message\ndata: ");
    out.extend_from_slice(&jsonrpc::one_line(Bytes::copy_from_slice(line)));
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// `id` as raw JSON.
fn id_raw(id: &Id) -> Box<RawValue> {
    RawValue::from_string(id.as_json().to_owned()).unwrap_or_else(|_| jsonrpc::to_raw(&()))
}

/// How the child's words about one request go back to its client.
struct Out {
    id: Id,
    method: Method,
    token: Option<Box<RawValue>>,
    uri: Option<String>,
}

impl Out {
    /// `line` as the client's answer, with its HTTP status, when it is the
    /// answer.
    fn answer(&self, line: &Bytes) -> Option<(StatusCode, Bytes)> {
        let m = jsonrpc::classify(line.clone()).ok()?;
        if m.kind() != jsonrpc::MessageKind::Response {
            return None;
        }
        if m.is_error() {
            let e = jsonrpc::error_object(&m.raw)?;
            let message = e.message.unwrap_or_default();
            return Some(match e.code {
                Some(jsonrpc::METHOD_NOT_FOUND) => (
                    StatusCode::NOT_FOUND,
                    jsonrpc::error_response(
                        Some(&self.id),
                        jsonrpc::METHOD_NOT_FOUND,
                        &message,
                        None,
                    ),
                ),
                Some(RESOURCE_NOT_FOUND_2025) => (
                    StatusCode::OK,
                    jsonrpc::error_response(
                        Some(&self.id),
                        jsonrpc::INVALID_PARAMS,
                        &message,
                        Some(serde_json::json!({"uri": self.uri})),
                    ),
                ),
                _ => (
                    StatusCode::OK,
                    jsonrpc::with_id_json(&m.raw, id_raw(&self.id))
                        .unwrap_or_else(|_| line.clone()),
                ),
            });
        }
        let cacheable = CACHEABLE.contains(&self.method.name());
        let text = std::str::from_utf8(&m.raw).unwrap_or_default();
        let id = self.id.as_json().to_owned();
        let edited = jsonrpc::edit_object(text, |k, v| match k {
            "id" => Edit::Replace(id.clone()),
            "result" => Edit::Replace(modern_result(v.get(), cacheable)),
            _ => Edit::Keep,
        })
        .unwrap_or_else(|| text.to_owned());
        Some((StatusCode::OK, Bytes::from(edited)))
    }

    /// A progress notification with the client's own token back in it.
    fn progress(&self, line: &Bytes) -> Bytes {
        let Some(token) = &self.token else {
            return line.clone();
        };
        let text = std::str::from_utf8(line).unwrap_or_default();
        jsonrpc::edit_object(text, |k, v| match k {
            "params" => jsonrpc::edit_object(v.get(), |k, _| match k {
                "progressToken" => Edit::Replace(token.get().to_owned()),
                _ => Edit::Keep,
            })
            .map_or(Edit::Keep, Edit::Replace),
            _ => Edit::Keep,
        })
        .map_or_else(|| line.clone(), Bytes::from)
    }
}

/// A handshake-era result as 2026-07-28 has it: `resultType`, and the
/// cache hints when it may be cached (no caching: a stdio server says
/// nothing of how long its lists hold).
fn modern_result(result: &str, cacheable: bool) -> String {
    let body = result.trim();
    let Some(inner) = body
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .map(str::trim)
    else {
        return result.to_owned();
    };
    let mut added = String::new();
    if !body.contains("\"resultType\"") {
        added.push_str(r#""resultType":"complete""#);
    }
    if cacheable && !body.contains("\"ttlMs\"") {
        if !added.is_empty() {
            added.push(',');
        }
        added.push_str(r#""ttlMs":0,"cacheScope":"private""#);
    }
    match (inner.is_empty(), added.is_empty()) {
        (_, true) => result.to_owned(),
        (true, false) => format!("{{{added}}}"),
        (false, false) => format!("{{{inner},{added}}}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_gains_its_type_and_cache_hints() {
        assert_eq!(modern_result("{}", false), r#"{"resultType":"complete"}"#);
        assert_eq!(
            modern_result(r#"{"tools":[]}"#, true),
            r#"{"tools":[],"resultType":"complete","ttlMs":0,"cacheScope":"private"}"#
        );
        assert_eq!(
            modern_result(r#"{"resultType":"complete","x":1}"#, false),
            r#"{"resultType":"complete","x":1}"#
        );
    }

    #[test]
    fn the_child_gets_the_pool_s_id_and_token_and_no_envelope() {
        let raw = br#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"t","_meta":{"progressToken":"p","io.modelcontextprotocol/protocolVersion":"2026-07-28","x":1}}}"#;
        assert_eq!(
            for_child(raw, 7).unwrap(),
            r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"t","_meta":{"progressToken":7,"x":1}}}"#
        );
    }

    #[test]
    fn a_base64_header_is_decoded() {
        assert_eq!(decoded("=?base64?aMOpbGxv?="), "héllo");
        assert_eq!(decoded("plain"), "plain");
        assert_eq!(decoded("=?base64?!!?="), "=?base64?!!?=");
    }

    #[test]
    fn capabilities_lose_what_needs_a_subscription() {
        assert_eq!(
            without_subscriptions(
                r#"{"tools":{"listChanged":true},"resources":{"subscribe":true,"listChanged":false},"logging":{}}"#
            ),
            r#"{"tools":{},"resources":{},"logging":{}}"#
        );
    }
}
