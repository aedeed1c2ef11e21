//! MCP on top of JSON-RPC: the protocol revisions, the requests the bridge
//! makes itself (on ids a client cannot use), and the 2026-07-28 translator
//! ([`stateless`]) that lets a handshake-era client use a server that speaks
//! only that revision.

pub mod extensions;
pub mod stateless;

use crate::jsonrpc::{self, Id, Message, Method};
use bytes::Bytes;
use serde::Deserialize;
use std::sync::atomic::{AtomicU64, Ordering};

/// The revision without sessions.
pub const MODERN: &str = "2026-07-28";
/// Revisions reachable through the `initialize` handshake, oldest first.
pub const HANDSHAKE_VERSIONS: [&str; 4] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
/// The newest handshake-era revision.
pub const LATEST_HANDSHAKE: &str = HANDSHAKE_VERSIONS[HANDSHAKE_VERSIONS.len() - 1];

/// Ids for the bridge's own requests; the client cannot be waiting for them.
static NEXT_OWN_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh id `mcp-bridge-{what}-N` for one of the bridge's own requests.
pub fn own_id(what: &str) -> String {
    let n = NEXT_OWN_ID.fetch_add(1, Ordering::Relaxed);
    format!("mcp-bridge-{what}-{n}")
}

/// `raw` (a request) again, on a fresh bridge id `mcp-bridge-{what}-N`.
pub fn own_request(raw: &[u8], what: &str) -> Option<Message> {
    jsonrpc::with_id(raw, &own_id(what))
        .ok()
        .and_then(|b| jsonrpc::classify(b).ok())
}

/// A message the bridge builds itself (always well formed).
fn built(body: String) -> Message {
    jsonrpc::classify(Bytes::from(body)).expect("the bridge builds valid JSON-RPC")
}

/// The bridge's own `ping`.
pub fn ping() -> Message {
    built(format!(
        r#"{{"jsonrpc":"2.0","id":{},"method":"ping"}}"#,
        jsonrpc::to_raw(&own_id("ping")).get()
    ))
}

/// `notifications/initialized`.
pub fn initialized() -> Message {
    built(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.to_owned())
}

/// `notifications/cancelled` for the request `id`, saying why.
pub fn cancelled(id: &Id, reason: &str) -> Message {
    built(format!(
        r#"{{"jsonrpc":"2.0","method":"notifications/cancelled","params":{{"requestId":{},"reason":{}}}}}"#,
        id.as_json(),
        jsonrpc::to_raw(reason).get()
    ))
}

/// The bridge's own request `method` with `params`, on a fresh id.
pub fn own(method: Method, params: serde_json::Value, what: &str) -> Message {
    let body = serde_json::json!({"jsonrpc": "2.0", "id": own_id(what), "method": method.name(), "params": params});
    built(body.to_string())
}

/// A result the bridge gives itself for the client's request `id`.
pub fn result(id: &Id, result: &str) -> Message {
    built(format!(
        r#"{{"jsonrpc":"2.0","id":{},"result":{result}}}"#,
        id.as_json()
    ))
}

/// An error the bridge gives itself for the client's request `id`.
pub fn error(id: &Id, code: i64, text: &str, data: Option<serde_json::Value>) -> Message {
    jsonrpc::classify(jsonrpc::error_response(Some(id), code, text, data))
        .expect("the bridge builds valid JSON-RPC")
}

/// True for an answer to `initialize` that means "I do not do the
/// handshake": an unsupported protocol version, or no such method.
pub fn refuses_handshake(answer: &Message) -> bool {
    answer.is_error()
        && jsonrpc::error_object(&answer.raw)
            .and_then(|e| e.code)
            .is_some_and(|c| c == jsonrpc::UNSUPPORTED_VERSION || c == jsonrpc::METHOD_NOT_FOUND)
}

/// The `serverInfo` and `capabilities` of an initialize answer, as text, to
/// notice when a new session's server differs from the first.
pub fn server_identity(raw: &[u8]) -> (String, String) {
    #[derive(Deserialize)]
    struct M {
        result: Option<R>,
    }
    #[derive(Deserialize)]
    struct R {
        #[serde(rename = "serverInfo")]
        server_info: Option<serde_json::Value>,
        capabilities: Option<serde_json::Value>,
    }
    let r = serde_json::from_slice::<M>(raw).ok().and_then(|m| m.result);
    let text = |v: Option<serde_json::Value>| v.map(|v| v.to_string()).unwrap_or_default();
    match r {
        Some(r) => (text(r.server_info), text(r.capabilities)),
        None => Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonrpc::MessageKind;

    #[test]
    fn the_bridges_own_messages_are_well_formed_and_on_its_own_ids() {
        let p = ping();
        assert_eq!(p.kind(), MessageKind::Request);
        assert!(p.id().unwrap().as_json().contains("mcp-bridge-ping-"));
        let c = cancelled(&Id::from_json_text("7"), "a \"reason\"");
        assert!(c.is(&Method::Cancelled));
        assert_eq!(
            jsonrpc::params_id(&c.raw, "requestId").unwrap().as_json(),
            "7"
        );
        assert!(initialized().is(&Method::Initialized));
        let a = own(
            Method::ResourcesSubscribe,
            serde_json::json!({"uri": "u"}),
            "renew",
        );
        assert!(a.is(&Method::ResourcesSubscribe));
        assert_ne!(
            a.id(),
            own(Method::Ping, serde_json::json!({}), "renew").id()
        );
    }

    #[test]
    fn refusals_of_the_handshake_are_recognised() {
        let no = jsonrpc::classify(Bytes::from_static(
            br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32022,"message":"unsupported"}}"#,
        ))
        .unwrap();
        assert!(refuses_handshake(&no));
        let other = jsonrpc::classify(Bytes::from_static(
            br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"x"}}"#,
        ))
        .unwrap();
        assert!(!refuses_handshake(&other));
    }
}
