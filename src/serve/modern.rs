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
//! A client that takes the server's own requests (sampling, elicitation,
//! roots) is served by children that declare them, and what such a child
//! asks reaches the client as `input_required` rounds (`serve/call.rs`).
//!
//! Not yet: `subscriptions/listen`, `Mcp-Param-*` headers.

use super::call::Declared;
use super::child::Program;
use super::pool::{self, Pool, PoolError, Pooled};
use super::reply::{json, refuse, Body};
use super::Front;
use crate::jsonrpc::{self, Edit, Form, Id, Message, Method};
use crate::text::Chain;
use base64::Engine as _;
use bytes::Bytes;
use hyper::header::HeaderMap;
use hyper::{Response, StatusCode};
use serde_json::value::RawValue;
use std::sync::Arc;

/// The revision.
pub const MODERN: &str = "2026-07-28";
const VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
const CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";
/// A header or envelope that disagrees with the body.
const HEADER_MISMATCH: i64 = -32020;
/// The headers a 2026-07-28 request is routed by, read before the body.
pub struct Routing {
    /// `MCP-Protocol-Version`, trimmed.
    pub version: Option<String>,
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
            || jsonrpc::meta_raw(&m.raw, VERSION_KEY).is_some()
    }
}

/// How many children serve requests that may ask for input, at most.
const ASKING_CHILDREN: usize = 4;

/// What serves 2026-07-28 clients: the shared children, one for clients
/// that take no requests from the server, a few for those that do.
pub struct Modern {
    plain: Pool,
    asking: Pool,
}

impl Modern {
    /// Children of `program`, started when first needed.
    pub fn new(program: &Program) -> Modern {
        Modern {
            plain: Pool::plain(program.clone()),
            asking: Pool::asking(program.clone(), ASKING_CHILDREN),
        }
    }

    /// End every child.
    pub async fn end(&self) {
        self.plain.end().await;
        self.asking.end().await;
    }
}

impl Front {
    /// A sessionless 2026-07-28 message.
    pub(super) async fn modern(self: &Arc<Self>, routing: Routing, m: Message) -> Response<Body> {
        let Form::Request { id, method } = &m.form else {
            // Notifications (a cancellation among them) need no answer.
            return super::reply::empty(StatusCode::ACCEPTED);
        };
        if let Err(refused) = check(&routing, &m, id, method) {
            return *refused;
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
        let declared = Declared::of(&m.raw, CAPABILITIES_KEY);
        let may_ask = matches!(
            method,
            Method::ToolsCall | Method::PromptsGet | Method::ResourcesRead
        );
        if may_ask {
            if let Some(state) = jsonrpc::params_str(&m.raw, "requestState") {
                return self.resume(&m, &state, declared).await;
            }
        }
        let pools = &self.modern;
        let taken = match (declared.any(), may_ask) {
            (true, true) => pools
                .asking
                .claim()
                .await
                .map(|c| (Arc::clone(&c.shared), Some(c))),
            (true, false) => pools.asking.get().await.map(|s| (s, None)),
            (false, _) => pools.plain.get().await.map(|s| (s, None)),
        };
        let (shared, claim) = match taken {
            Ok(t) => t,
            Err(PoolError::Busy) => return super::reply::busy(&PoolError::Busy.to_string()),
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
        self.call(shared, claim, &m, declared).await
    }
}

/// The envelope and the routing headers, checked against the body: the
/// envelope first (-32602), then the version (-32022), then the headers
/// (-32020), each with 400.
fn check(
    routing: &Routing,
    m: &Message,
    id: &Id,
    method: &Method,
) -> Result<(), Box<Response<Body>>> {
    let bad = |code: i64, message: String, data: Option<serde_json::Value>| {
        Err(Box::new(refuse(
            id,
            StatusCode::BAD_REQUEST,
            code,
            &message,
            data,
        )))
    };
    let field = |key: &str| jsonrpc::meta_raw(&m.raw, key);
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

/// A header value, with its `=?base64?...?=` form decoded.
fn decoded(v: &str) -> String {
    v.strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_else(|| v.to_owned())
}

/// The answer to `server/discover`, from the child's `initialize`.
fn discovered(id: &Id, shared: &Pooled) -> Bytes {
    let init: std::collections::HashMap<&str, &RawValue> =
        serde_json::from_str(shared.init().get()).unwrap_or_default();
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

#[cfg(test)]
mod tests {
    use super::*;

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
