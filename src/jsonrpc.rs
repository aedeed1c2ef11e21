//! Classifying JSON-RPC messages without rebuilding them, and building the
//! bridge's own error answers.
//!
//! The bridge is a relay: it reads only the envelope (`jsonrpc`, `id`,
//! `method`, and whether `result`/`error` is present) through borrowed
//! [`RawValue`]s and forwards the original bytes untouched.

use bytes::Bytes;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// JSON-RPC: the line is not JSON.
pub const PARSE_ERROR: i64 = -32700;
/// JSON-RPC: the JSON is not a valid request/notification/response.
pub const INVALID_REQUEST: i64 = -32600;
/// JSON-RPC: the method does not exist.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// Implementation-defined: the remote server could not be reached or answered badly.
pub const UPSTREAM_ERROR: i64 = -32000;
/// Invalid params (an unknown or hidden tool, as MCP answers it).
pub const INVALID_PARAMS: i64 = -32602;
/// Implementation-defined: the bridge is shutting down and the request was not answered.
pub const SHUTTING_DOWN: i64 = -32001;

/// What a message is, by the JSON-RPC 2.0 rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Has `method` and `id`: expects exactly one response.
    Request,
    /// Has `method`, no `id`.
    Notification,
    /// Has `result` or `error`, no `method`.
    Response,
}

/// A request id in canonical JSON text (`7`, `"abc"`), usable as a map key.
///
/// String ids are re-serialized so that `"a"` and `"\u0061"` match.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Id(String);

impl Id {
    /// The id as JSON text, ready to embed in a message.
    pub fn as_json(&self) -> &str {
        &self.0
    }

    /// An id from JSON text that is already canonical (used for the bridge's own ids).
    #[cfg(test)]
    pub fn from_json_text(s: &str) -> Self {
        Id(s.to_owned())
    }

    /// A string id for one of the bridge's own requests.
    pub fn bridge(s: &str) -> Self {
        Id(serde_json::to_string(s).expect("a string always serializes"))
    }

    /// Read an id from its JSON text (a string or a number).
    pub fn from_raw(raw: &RawValue) -> Option<Self> {
        let text = raw.get();
        match text.as_bytes().first()? {
            b'"' => {
                let s: String = serde_json::from_str(text).ok()?;
                Some(Id(serde_json::to_string(&s).ok()?))
            }
            b'-' | b'0'..=b'9' => Some(Id(text.to_owned())),
            _ => None,
        }
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One classified message, holding its original bytes.
#[derive(Debug, Clone)]
pub struct Message {
    /// The message exactly as received (for a batch member: its own slice).
    pub raw: Bytes,
    /// Request, notification or response.
    pub kind: Kind,
    /// The id, for requests and responses that carry a usable one.
    pub id: Option<Id>,
    /// The method, for requests and notifications.
    pub method: Option<String>,
    /// True for a response that carries `error` rather than `result`.
    pub is_error: bool,
}

/// Why a piece of input is not a usable JSON-RPC message.
#[derive(Debug, thiserror::Error)]
pub enum Invalid {
    /// Not JSON at all.
    #[error("not valid JSON: {0}")]
    Parse(String),
    /// JSON, but not a JSON-RPC 2.0 message; carries the id when one could be read.
    #[error("not a JSON-RPC 2.0 message: {reason}")]
    NotJsonRpc {
        /// What is wrong, for the person reading the error.
        reason: &'static str,
        /// The message's id when it had a usable one, so the answer can name it.
        id: Option<Id>,
    },
}

impl Invalid {
    /// The JSON-RPC error code that answers this problem.
    pub fn code(&self) -> i64 {
        match self {
            Invalid::Parse(_) => PARSE_ERROR,
            Invalid::NotJsonRpc { .. } => INVALID_REQUEST,
        }
    }

    /// The id to answer with (JSON-RPC says null when it cannot be determined).
    pub fn id(&self) -> Option<&Id> {
        match self {
            Invalid::Parse(_) => None,
            Invalid::NotJsonRpc { id, .. } => id.as_ref(),
        }
    }
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&'de RawValue>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    jsonrpc: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "present")]
    id: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    method: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    result: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    error: Option<&'a RawValue>,
}

/// Parse one line or body: a single message, or a JSON array (batch) that is
/// unpacked into its members. Each member is classified on its own, so one bad
/// member does not spoil the others.
pub fn parse(bytes: Bytes) -> Result<Vec<Result<Message, Invalid>>, Invalid> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first == Some(b'[') {
        let members: Vec<&RawValue> =
            serde_json::from_slice(&bytes).map_err(|e| Invalid::Parse(e.to_string()))?;
        if members.is_empty() {
            return Err(Invalid::NotJsonRpc {
                reason: "an empty batch",
                id: None,
            });
        }
        return Ok(members
            .into_iter()
            .map(|m| classify(Bytes::copy_from_slice(m.get().as_bytes())))
            .collect());
    }
    Ok(vec![classify(bytes)])
}

/// Classify one message (not a batch).
pub fn classify(raw: Bytes) -> Result<Message, Invalid> {
    let (kind, id, method, is_error) = envelope(&raw)?;
    Ok(Message {
        raw,
        kind,
        id,
        method,
        is_error,
    })
}

type Parts = (Kind, Option<Id>, Option<String>, bool);

fn envelope(raw: &[u8]) -> Result<Parts, Invalid> {
    let env: Envelope<'_> = match serde_json::from_slice(raw) {
        Ok(env) => env,
        Err(e) if e.is_data() => {
            return Err(Invalid::NotJsonRpc {
                reason: "it is not a JSON object with the JSON-RPC fields",
                id: None,
            })
        }
        Err(e) => return Err(Invalid::Parse(e.to_string())),
    };
    let id_raw = env.id;
    let id = id_raw.and_then(Id::from_raw);
    let invalid = |reason| Invalid::NotJsonRpc {
        reason,
        id: id.clone(),
    };
    if env.jsonrpc.as_deref() != Some("2.0") {
        return Err(invalid("\"jsonrpc\" must be \"2.0\""));
    }
    if let Some(method) = env.method {
        let method: String = serde_json::from_str(method.get())
            .map_err(|_| invalid("\"method\" must be a string"))?;
        return match id_raw {
            None => Ok((Kind::Notification, None, Some(method), false)),
            Some(_) if id.is_some() => Ok((Kind::Request, id, Some(method), false)),
            Some(_) => Err(invalid("\"id\" must be a string or a number")),
        };
    }
    match (env.result, env.error, id_raw) {
        (Some(_), Some(_), _) => Err(invalid("a response cannot carry both result and error")),
        (None, None, _) => Err(invalid(
            "it has neither \"method\" nor \"result\"/\"error\"",
        )),
        (_, _, None) => Err(invalid("a response must carry an \"id\"")),
        (_, error, Some(_)) => Ok((Kind::Response, id, None, error.is_some())),
    }
}

/// Build an error response line for `id` (null when `None`).
pub fn error_response(
    id: Option<&Id>,
    code: i64,
    message: &str,
    data: Option<serde_json::Value>,
) -> Bytes {
    let mut error = serde_json::json!({ "code": code, "message": message });
    if let Some(data) = data {
        error["data"] = data;
    }
    let id_text = id.map(Id::as_json).unwrap_or("null");
    let error_text = serde_json::to_string(&error).expect("a Value always serializes");
    Bytes::from(format!(
        r#"{{"jsonrpc":"2.0","id":{id_text},"error":{error_text}}}"#
    ))
}

/// The `error` member of a response, read for the bridge's own messages.
#[derive(Deserialize)]
pub struct ErrorObject {
    /// JSON-RPC error code.
    pub code: Option<i64>,
    /// The server's own words.
    pub message: Option<String>,
    /// Anything extra the server attached.
    pub data: Option<serde_json::Value>,
}

/// Read the `error` member of a response message, if it has one.
pub fn error_object(raw: &[u8]) -> Option<ErrorObject> {
    #[derive(Deserialize)]
    struct E {
        error: Option<ErrorObject>,
    }
    serde_json::from_slice::<E>(raw).ok()?.error
}

/// Read one string field of `result` (e.g. `protocolVersion` from an initialize answer).
pub fn result_str_field(raw: &[u8], field: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct R<'a> {
        #[serde(borrow)]
        result: Option<&'a RawValue>,
    }
    let r: R<'_> = serde_json::from_slice(raw).ok()?;
    let result: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(r.result?.get()).ok()?;
    result.get(field)?.as_str().map(str::to_owned)
}

/// Read one field of `params` as an id (e.g. `requestId` of `notifications/cancelled`).
pub fn params_id_field(raw: &[u8], field: &str) -> Option<Id> {
    with_param(raw, field, Id::from_raw)
}

/// A string field of a message's `params`, if it has one.
pub fn params_str_field(raw: &[u8], field: &str) -> Option<String> {
    with_param(raw, field, |v| serde_json::from_str(v.get()).ok())
}

/// `read` applied to the raw value of `params.field`, if there is one.
fn with_param<T>(raw: &[u8], field: &str, read: impl FnOnce(&RawValue) -> Option<T>) -> Option<T> {
    #[derive(Deserialize)]
    struct P<'a> {
        #[serde(borrow)]
        params: Option<std::collections::HashMap<Cow<'a, str>, &'a RawValue>>,
    }
    let p: P<'_> = serde_json::from_slice(raw).ok()?;
    read(p.params?.get(field)?)
}

/// Make a message safe to write as one line: JSON cannot hold a raw newline
/// inside a string, so any CR or LF byte is whitespace and becomes a space.
pub fn one_line(raw: Bytes) -> Bytes {
    if memchr::memchr2(b'\n', b'\r', &raw).is_none() {
        return raw;
    }
    let mut v = raw.to_vec();
    for b in v.iter_mut() {
        if *b == b'\n' || *b == b'\r' {
            *b = b' ';
        }
    }
    Bytes::from(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Result<Message, Invalid> {
        classify(Bytes::from(s.to_owned()))
    }

    #[test]
    fn classifies_the_three_kinds() {
        let r = one(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#).unwrap();
        assert_eq!(r.kind, Kind::Request);
        assert_eq!(r.id.unwrap().as_json(), "1");
        let n = one(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap();
        assert_eq!(n.kind, Kind::Notification);
        let s = one(r#"{"jsonrpc":"2.0","id":"x","result":{}}"#).unwrap();
        assert_eq!(s.kind, Kind::Response);
        assert!(!s.is_error);
        let e = one(r#"{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"m"}}"#).unwrap();
        assert!(e.is_error);
        assert!(e.id.is_none());
    }

    #[test]
    fn string_ids_are_canonical() {
        let a = one(r#"{"jsonrpc":"2.0","id":"\u0061","method":"m"}"#).unwrap();
        assert_eq!(a.id.unwrap(), Id::from_json_text("\"a\""));
    }

    #[test]
    fn rejects_what_is_not_json_rpc() {
        assert!(matches!(one("not json"), Err(Invalid::Parse(_))));
        assert!(matches!(
            parse(Bytes::from_static(b"[1,")),
            Err(Invalid::Parse(_))
        ));
        assert!(matches!(one("42"), Err(Invalid::NotJsonRpc { .. })));
        let e = one(r#"{"id":3,"method":"m"}"#).unwrap_err();
        assert_eq!(e.id().unwrap().as_json(), "3", "id kept when readable");
        assert!(one(r#"{"jsonrpc":"2.0","id":{},"method":"m"}"#).is_err());
        assert!(one(r#"{"jsonrpc":"2.0","id":1}"#).is_err());
        assert!(one(r#"{"jsonrpc":"2.0","result":1}"#).is_err());
    }

    #[test]
    fn batches_are_unpacked_member_by_member() {
        let msgs = parse(Bytes::from_static(
            br#" [{"jsonrpc":"2.0","id":1,"result":{}}, 7, {"jsonrpc":"2.0","method":"x"}]"#,
        ))
        .unwrap();
        assert_eq!(msgs.len(), 3);
        assert_eq!(
            &msgs[0].as_ref().unwrap().raw[..],
            br#"{"jsonrpc":"2.0","id":1,"result":{}}"#
        );
        assert!(msgs[1].is_err());
        assert_eq!(msgs[2].as_ref().unwrap().kind, Kind::Notification);
    }

    #[test]
    fn error_response_is_valid_json_rpc() {
        let line = error_response(
            Some(&Id::from_json_text("\"q\"")),
            UPSTREAM_ERROR,
            "said \"no\"",
            None,
        );
        let v: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(v["id"], "q");
        assert_eq!(v["error"]["message"], "said \"no\"");
        let null = error_response(None, PARSE_ERROR, "x", None);
        assert!(serde_json::from_slice::<serde_json::Value>(&null).unwrap()["id"].is_null());
    }

    #[test]
    fn one_line_folds_newlines_only() {
        let pretty = Bytes::from_static(b"{\n  \"a\": \"b\\nc\"\r\n}");
        assert_eq!(&one_line(pretty)[..], b"{   \"a\": \"b\\nc\"  }");
    }

    #[test]
    fn reads_fields_the_bridge_needs() {
        let init = br#"{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-06-18"}}"#;
        assert_eq!(
            result_str_field(init, "protocolVersion").unwrap(),
            "2025-06-18"
        );
        let cancel =
            br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"r1"}}"#;
        assert_eq!(
            params_id_field(cancel, "requestId").unwrap().as_json(),
            "\"r1\""
        );
        let err = br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"nope"}}"#;
        assert_eq!(error_object(err).unwrap().message.unwrap(), "nope");
    }
}
