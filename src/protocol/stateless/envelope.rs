//! What every 2026-07-28 request carries: the `_meta` envelope (protocol
//! version, client capabilities and info, log level) and the routing
//! headers (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`).

use crate::jsonrpc::{self, Message};
use crate::transport::streamable_http::VERSION_HEADER;
use base64::Engine as _;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;

/// `_meta` key: the protocol version of this request.
pub const PROTOCOL_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
const CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
const CLIENT_INFO_KEY: &str = "io.modelcontextprotocol/clientInfo";
const LOG_LEVEL_KEY: &str = "io.modelcontextprotocol/logLevel";
/// `_meta` key of `server/discover`'s result: the server's name and version.
pub const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";
/// Header naming the JSON-RPC method.
const METHOD_HEADER: &str = "mcp-method";
/// Header naming the tool, prompt or resource a request is about.
const NAME_HEADER: &str = "mcp-name";

type Raw = Box<RawValue>;

/// The `params._meta` of a request, by key (empty when it has none);
/// `None` when `raw` is not a JSON object.
fn meta_of(raw: &[u8]) -> Option<HashMap<&str, &RawValue>> {
    #[derive(Deserialize)]
    struct M<'a> {
        #[serde(borrow)]
        params: Option<P<'a>>,
    }
    #[derive(Deserialize)]
    struct P<'a> {
        #[serde(borrow, rename = "_meta")]
        meta: Option<HashMap<&'a str, &'a RawValue>>,
    }
    let m: M<'_> = serde_json::from_slice(raw).ok()?;
    Some(m.params.and_then(|p| p.meta).unwrap_or_default())
}

/// The protocol version a request names in `params._meta`, if it names one.
pub fn request_version(raw: &[u8]) -> Option<String> {
    let v = *meta_of(raw)?.get(PROTOCOL_VERSION_KEY)?;
    serde_json::from_str::<String>(v.get()).ok()
}

/// `raw` (a request of a client that speaks 2026-07-28) with what its
/// `_meta` envelope lacks filled in: the protocol version `version` (which
/// the `MCP-Protocol-Version` header carries too) and empty client
/// capabilities. `None` when nothing is missing, which is the usual case.
pub fn complete_envelope(raw: &[u8], version: &str) -> Option<bytes::Bytes> {
    let meta = meta_of(raw)?;
    let version_raw = jsonrpc::to_raw(version);
    let empty = jsonrpc::to_raw(&serde_json::json!({}));
    let mut missing: Vec<(&str, &RawValue)> = Vec::new();
    if !meta.contains_key(PROTOCOL_VERSION_KEY) {
        missing.push((PROTOCOL_VERSION_KEY, &version_raw));
    }
    if !meta.contains_key(CAPABILITIES_KEY) {
        missing.push((CAPABILITIES_KEY, &empty));
    }
    if missing.is_empty() {
        return None;
    }
    jsonrpc::stamp(raw, &missing, &[]).ok()
}

/// The headers 2026-07-28 asks on every POST: `MCP-Protocol-Version`,
/// `Mcp-Method`, and `Mcp-Name` for requests about a named thing.
pub fn routing_headers(m: &Message, version: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(version) {
        h.insert(HeaderName::from_static(VERSION_HEADER), v);
    }
    let Some(method) = m.method() else {
        return h;
    };
    if let Ok(v) = HeaderValue::from_str(&encode_header_value(method.name())) {
        h.insert(HeaderName::from_static(METHOD_HEADER), v);
    }
    let Some(field) = method.name_param() else {
        return h;
    };
    if let Some(name) = jsonrpc::params_str(&m.raw, field) {
        if let Ok(v) = HeaderValue::from_str(&encode_header_value(&name)) {
            h.insert(HeaderName::from_static(NAME_HEADER), v);
        }
    }
    h
}

/// A header value as 2026-07-28 encodes it: printable ASCII without edge
/// spaces as it is, anything else base64 inside `=?base64?…?=`.
pub fn encode_header_value(v: &str) -> String {
    let plain = v.bytes().all(|b| (0x20..=0x7e).contains(&b))
        && v.trim() == v
        && !(v.starts_with("=?base64?") && v.ends_with("?="));
    if plain {
        v.to_owned()
    } else {
        format!(
            "=?base64?{}?=",
            base64::engine::general_purpose::STANDARD.encode(v)
        )
    }
}

/// A header value as 2026-07-28 encodes it, decoded: the `=?base64?…?=`
/// form strictly (canonical padding, UTF-8), anything else as it is.
/// `None` for a base64 form that does not decode.
pub fn decode_header_value(v: &str) -> Option<String> {
    let Some(b64) = v
        .strip_prefix("=?base64?")
        .and_then(|rest| rest.strip_suffix("?="))
    else {
        return Some(v.to_owned());
    };
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    String::from_utf8(bytes).ok()
}

/// The parts of the client's `initialize` the translator needs.
#[derive(Deserialize, Default)]
pub struct InitParams {
    /// The revision the client asked for.
    #[serde(rename = "protocolVersion")]
    pub protocol_version: Option<String>,
    capabilities: Option<Raw>,
    #[serde(rename = "clientInfo")]
    client_info: Option<Raw>,
}

impl InitParams {
    /// These, with the extensions `ids` declared in the client capabilities
    /// (`capabilities.extensions`, each with empty settings): what the
    /// bridge itself supports on the client's behalf, such as a sign-in
    /// grant.
    pub fn declaring(mut self, ids: &[String]) -> InitParams {
        if ids.is_empty() {
            return self;
        }
        let mut caps: serde_json::Map<String, serde_json::Value> = self
            .capabilities
            .as_ref()
            .and_then(|c| serde_json::from_str(c.get()).ok())
            .unwrap_or_default();
        let ext = caps
            .entry("extensions")
            .or_insert_with(|| serde_json::json!({}));
        if let Some(map) = ext.as_object_mut() {
            for id in ids {
                map.entry(id.clone())
                    .or_insert_with(|| serde_json::json!({}));
            }
        }
        self.capabilities = Some(jsonrpc::to_raw(&caps));
        self
    }

    /// Read them from the client's `initialize`, as they can be carried
    /// into 2026-07-28: an extension declared there counts only where the
    /// handshake era defines it ([`crate::protocol::extensions`]), so the
    /// Tasks of SEP-2663 stay behind.
    pub fn of(init: &Message) -> InitParams {
        #[derive(Deserialize)]
        struct M {
            params: Option<InitParams>,
        }
        let mut p = serde_json::from_slice::<M>(&init.raw)
            .ok()
            .and_then(|m| m.params)
            .unwrap_or_default();
        if let Some(kept) = p
            .capabilities
            .as_deref()
            .and_then(crate::protocol::extensions::handshake_only)
        {
            p.capabilities = Some(kept);
        }
        p
    }
}

/// The client's identity, stamped on every request in `_meta`.
pub struct Envelope {
    capabilities: Raw,
    client_info: Option<Raw>,
    /// The level `logging/setLevel` asked for, sent with each request.
    pub log_level: Option<Raw>,
}

impl Envelope {
    /// The envelope of the client whose `initialize` said `p`.
    pub fn from_init(p: &InitParams) -> Self {
        Envelope {
            capabilities: p
                .capabilities
                .clone()
                .unwrap_or_else(|| jsonrpc::to_raw(&serde_json::json!({}))),
            client_info: p.client_info.clone(),
            log_level: None,
        }
    }

    /// `raw` (a request) with this envelope merged into `params._meta` and
    /// `extra` set in `params`; every other value keeps its bytes.
    pub fn stamp(
        &self,
        raw: &[u8],
        extra: &[(&str, Raw)],
    ) -> Result<bytes::Bytes, jsonrpc::BuildError> {
        let version = jsonrpc::to_raw(crate::protocol::MODERN);
        let mut meta: Vec<(&str, &RawValue)> = vec![
            (PROTOCOL_VERSION_KEY, &version),
            (CAPABILITIES_KEY, &self.capabilities),
        ];
        if let Some(i) = &self.client_info {
            meta.push((CLIENT_INFO_KEY, i));
        }
        if let Some(l) = &self.log_level {
            meta.push((LOG_LEVEL_KEY, l));
        }
        let extra: Vec<(&str, &RawValue)> = extra.iter().map(|(k, v)| (*k, &**v)).collect();
        jsonrpc::stamp(raw, &meta, &extra)
    }

    /// A request stamped with this envelope, ready to POST with its routing headers.
    pub fn request(&self, raw: &[u8]) -> Result<(Message, HeaderMap), jsonrpc::BuildError> {
        let stamped = self.stamp(raw, &[])?;
        let m = jsonrpc::classify(stamped)?;
        let headers = routing_headers(&m, crate::protocol::MODERN);
        Ok((m, headers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::MODERN;
    use bytes::Bytes;

    fn msg(s: &str) -> Message {
        jsonrpc::classify(Bytes::from(s.to_owned())).unwrap()
    }

    #[test]
    fn routing_headers_name_the_method_and_the_thing() {
        let m = msg(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get-sum","arguments":{}}}"#,
        );
        let h = routing_headers(&m, MODERN);
        assert_eq!(h["mcp-protocol-version"], MODERN);
        assert_eq!(h["mcp-method"], "tools/call");
        assert_eq!(h["mcp-name"], "get-sum");
        let m = msg(
            r#"{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"file:///é"}}"#,
        );
        let h = routing_headers(&m, MODERN);
        assert_eq!(h["mcp-name"], "=?base64?ZmlsZTovLy/DqQ==?=");
        let m = msg(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#);
        assert!(routing_headers(&m, MODERN).get("mcp-name").is_none());
        // The tasks extension: the task is the name.
        let m = msg(r#"{"jsonrpc":"2.0","id":1,"method":"tasks/get","params":{"taskId":"t-7"}}"#);
        assert_eq!(routing_headers(&m, MODERN)["mcp-name"], "t-7");
        let m = msg(r#"{"jsonrpc":"2.0","id":1,"method":"tasks/list","params":{}}"#);
        assert!(routing_headers(&m, MODERN).get("mcp-name").is_none());
    }

    #[test]
    fn a_header_value_decodes_strictly() {
        assert_eq!(
            decode_header_value("=?base64?aMOpbGxv?=").as_deref(),
            Some("héllo")
        );
        assert_eq!(decode_header_value("plain").as_deref(), Some("plain"));
        // Without its suffix it is a literal; a wrapped form must decode.
        assert_eq!(
            decode_header_value("=?base64?SGVsbG8=").as_deref(),
            Some("=?base64?SGVsbG8=")
        );
        assert_eq!(
            decode_header_value("=?base64?SGVsbG8?="),
            None,
            "padding is required"
        );
        assert_eq!(decode_header_value("=?base64?SGVs!!!bG8=?="), None);
        assert_eq!(decode_header_value("=?base64?/w==?="), None, "not UTF-8");
        for v in ["é x", " edge", "=?base64?x?="] {
            assert_eq!(
                decode_header_value(&encode_header_value(v)).as_deref(),
                Some(v)
            );
        }
    }

    #[test]
    fn header_values_that_would_not_survive_are_base64() {
        assert_eq!(encode_header_value("echo"), "echo");
        assert_eq!(encode_header_value(" x"), "=?base64?IHg=?=");
        assert_eq!(encode_header_value("a\nb"), "=?base64?YQpi?=");
        assert!(encode_header_value("=?base64?abc?=").starts_with("=?base64?PT9i"));
    }

    #[test]
    fn a_modern_clients_envelope_is_completed_only_where_it_lacks() {
        let full = br#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}"#;
        assert!(complete_envelope(full, MODERN).is_none());
        let bare = br#"{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{"traceparent":"t"}}}"#;
        let out = complete_envelope(bare, MODERN).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["params"]["_meta"][PROTOCOL_VERSION_KEY], MODERN);
        assert_eq!(
            v["params"]["_meta"][CAPABILITIES_KEY],
            serde_json::json!({})
        );
        assert_eq!(v["params"]["_meta"]["traceparent"], "t");
        let none = br#"{"jsonrpc":"2.0","id":1,"method":"server/discover"}"#;
        assert!(complete_envelope(none, MODERN).is_some());
    }

    #[test]
    fn the_bridges_own_extensions_join_the_clients_capabilities() {
        let init = msg(
            r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"capabilities":{"sampling":{},"extensions":{"x/y":{"a":1}}}}}"#,
        );
        let ids = vec!["io.modelcontextprotocol/oauth-client-credentials".to_owned()];
        let out = Envelope::from_init(&InitParams::of(&init).declaring(&ids))
            .stamp(br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#, &[])
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let caps = &v["params"]["_meta"][CAPABILITIES_KEY];
        assert_eq!(caps["sampling"], serde_json::json!({}));
        assert_eq!(caps["extensions"]["x/y"]["a"], 1, "the client's own stay");
        assert_eq!(
            caps["extensions"]["io.modelcontextprotocol/oauth-client-credentials"],
            serde_json::json!({})
        );
    }

    #[test]
    fn the_version_comes_from_the_envelope() {
        let raw = br#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#;
        assert_eq!(request_version(raw).as_deref(), Some(MODERN));
        assert_eq!(
            request_version(br#"{"jsonrpc":"2.0","id":1,"method":"x"}"#),
            None
        );
    }

    #[test]
    fn stamping_keeps_the_clients_meta_and_exact_values() {
        let raw = br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"n","arguments":{"big":123456789012345678901234567890,"f":1.10},"_meta":{"progressToken":"p1"}}}"#;
        let init = msg(
            r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"capabilities":{"sampling":{}}}}"#,
        );
        let out = Envelope::from_init(&InitParams::of(&init))
            .stamp(raw, &[])
            .unwrap();
        let text = std::str::from_utf8(&out).unwrap();
        assert!(text.contains("123456789012345678901234567890"), "{text}");
        assert!(text.contains("1.10"), "{text}");
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["id"], 7);
        assert_eq!(v["params"]["_meta"]["progressToken"], "p1");
        assert_eq!(v["params"]["_meta"][PROTOCOL_VERSION_KEY], MODERN);
        assert_eq!(
            v["params"]["_meta"][CAPABILITIES_KEY]["sampling"],
            serde_json::json!({})
        );
        assert_eq!(v["params"]["name"], "n");
        assert!(jsonrpc::stamp(
            br#"{"jsonrpc":"2.0","id":1,"method":"x","params":[1]}"#,
            &[],
            &[]
        )
        .is_err());
    }
}
