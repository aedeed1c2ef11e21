//! JSON-RPC messages as the bridge sees them: classified once, without
//! rebuilding them, with the MCP method decided at the envelope.
//!
//! The bridge is a relay: it reads only the envelope (`jsonrpc`, `id`,
//! `method`, and whether `result`/`error` is present) through borrowed
//! [`RawValue`]s and forwards the original bytes untouched. This module is a
//! leaf that every layer uses: transports classify what a stream brings to
//! find the answer they wait for, so the envelope sits below them.

mod build;
mod edit;
mod fields;
mod method;

pub use build::*;
pub use edit::{edit_object, Edit};
pub use fields::*;
pub use method::{Method, CACHEABLE};

use crate::text::Chain;
use bytes::Bytes;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// What a message is, by the JSON-RPC 2.0 rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
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

/// What a message is and what that kind carries by definition: a request
/// has an id and a method, a notification a method, a response an id (null
/// when the sender could not read the request's) and `result` or `error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    /// Expects exactly one response.
    Request {
        /// Its id.
        id: Id,
        /// Its method.
        method: Method,
    },
    /// Expects none.
    Notification {
        /// Its method.
        method: Method,
    },
    /// Answers a request.
    Response {
        /// The request's id; `None` for `null`.
        id: Option<Id>,
        /// It carries `error` rather than `result`.
        error: bool,
    },
}

/// One classified message, holding its original bytes.
#[derive(Debug, Clone)]
pub struct Message {
    /// The message exactly as received (for a batch member: its own slice).
    pub raw: Bytes,
    /// Request, notification or response, with what each carries.
    pub form: Form,
}

impl Message {
    /// Request, notification or response.
    pub fn kind(&self) -> MessageKind {
        match self.form {
            Form::Request { .. } => MessageKind::Request,
            Form::Notification { .. } => MessageKind::Notification,
            Form::Response { .. } => MessageKind::Response,
        }
    }

    /// The id of a request or response.
    pub fn id(&self) -> Option<&Id> {
        match &self.form {
            Form::Request { id, .. } => Some(id),
            Form::Response { id, .. } => id.as_ref(),
            Form::Notification { .. } => None,
        }
    }

    /// The id of a request; `None` for anything else.
    pub fn request_id(&self) -> Option<&Id> {
        match &self.form {
            Form::Request { id, .. } => Some(id),
            _ => None,
        }
    }

    /// The method of a request or notification.
    pub fn method(&self) -> Option<&Method> {
        match &self.form {
            Form::Request { method, .. } | Form::Notification { method } => Some(method),
            Form::Response { .. } => None,
        }
    }

    /// True for a response that carries `error` rather than `result`.
    pub fn is_error(&self) -> bool {
        matches!(self.form, Form::Response { error: true, .. })
    }

    /// The method's name, or "" for a response.
    pub fn method_name(&self) -> &str {
        self.method().map_or("", Method::name)
    }

    /// True for a request or notification of `method`.
    pub fn is(&self, method: &Method) -> bool {
        self.method() == Some(method)
    }

    /// Kind, method, id and size, as the logs show a message.
    pub fn describe(&self) -> String {
        let kind = match self.form {
            Form::Request { .. } => "request",
            Form::Notification { .. } => "notification",
            Form::Response { .. } => "response",
        };
        let id = self.id().map(|i| format!("id={i} ")).unwrap_or_default();
        format!(
            "{kind} {} {id}{}B",
            crate::text::for_log(self.method_name()),
            self.raw.len()
        )
    }
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
            serde_json::from_slice(&bytes).map_err(|e| Invalid::Parse(Chain(&e).to_string()))?;
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
    let form = envelope(&raw)?;
    Ok(Message { raw, form })
}

fn envelope(raw: &[u8]) -> Result<Form, Invalid> {
    let env: Envelope<'_> = match serde_json::from_slice(raw) {
        Ok(env) => env,
        Err(e) if e.is_data() => {
            return Err(Invalid::NotJsonRpc {
                reason: "it is not a JSON object with the JSON-RPC fields",
                id: None,
            })
        }
        Err(e) => return Err(Invalid::Parse(Chain(&e).to_string())),
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
        let method = match serde_json::from_str::<&str>(method.get()) {
            Ok(name) => Method::from_name(name),
            // Escapes in the name: decode it first.
            Err(_) => serde_json::from_str::<String>(method.get())
                .map(|name| Method::from_name(&name))
                .map_err(|_| invalid("\"method\" must be a string"))?,
        };
        return match (id_raw, id) {
            (None, _) => Ok(Form::Notification { method }),
            (Some(_), Some(id)) => Ok(Form::Request { id, method }),
            (Some(_), None) => Err(Invalid::NotJsonRpc {
                reason: "\"id\" must be a string or a number",
                id: None,
            }),
        };
    }
    match (env.result, env.error, id_raw) {
        (Some(_), Some(_), _) => Err(invalid("a response cannot carry both result and error")),
        (None, None, _) => Err(invalid(
            "it has neither \"method\" nor \"result\"/\"error\"",
        )),
        (_, _, None) => Err(invalid("a response must carry an \"id\"")),
        (_, error, Some(_)) => Ok(Form::Response {
            id,
            error: error.is_some(),
        }),
    }
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
    fn a_method_cannot_forge_a_log_line() {
        let m = one(r#"{"jsonrpc":"2.0","method":"x\n INFO forged\u0000"}"#).unwrap();
        let shown = m.describe();
        assert!(!shown.contains('\n') && !shown.contains('\0'), "{shown:?}");
        assert!(shown.contains("x\\n INFO forged\\0"), "{shown}");
    }

    #[test]
    fn classifies_the_three_kinds() {
        let r = one(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#).unwrap();
        assert_eq!(r.kind(), MessageKind::Request);
        assert_eq!(r.id().cloned().unwrap().as_json(), "1");
        let n = one(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap();
        assert_eq!(n.kind(), MessageKind::Notification);
        let s = one(r#"{"jsonrpc":"2.0","id":"x","result":{}}"#).unwrap();
        assert_eq!(s.kind(), MessageKind::Response);
        assert!(!s.is_error());
        let e = one(r#"{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"m"}}"#).unwrap();
        assert!(e.is_error());
        assert!(e.id().is_none());
    }

    #[test]
    fn string_ids_are_canonical() {
        let a = one(r#"{"jsonrpc":"2.0","id":"\u0061","method":"m"}"#).unwrap();
        assert_eq!(a.id().cloned().unwrap(), Id::from_json_text("\"a\""));
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
        assert_eq!(msgs[2].as_ref().unwrap().kind(), MessageKind::Notification);
    }

    #[test]
    fn each_form_carries_what_its_kind_has_by_definition() {
        let form = |s: &'static str| classify(Bytes::from_static(s.as_bytes())).unwrap().form;
        let Form::Request { id, method } = form(r#"{"jsonrpc":"2.0","id":"a","method":"ping"}"#)
        else {
            panic!("a request")
        };
        assert_eq!((id.as_json(), method), ("\"a\"", Method::Ping));
        assert_eq!(
            form(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            Form::Notification {
                method: Method::Initialized
            }
        );
        assert_eq!(
            form(r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}"#),
            Form::Response {
                id: None,
                error: true
            }
        );
        let answer = classify(Bytes::from_static(
            br#"{"jsonrpc":"2.0","id":7,"result":{}}"#,
        ))
        .unwrap();
        assert_eq!(answer.id().map(Id::as_json), Some("7"));
        assert!(answer.request_id().is_none() && answer.method().is_none() && !answer.is_error());
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
        assert_eq!(result_str(init, "protocolVersion").unwrap(), "2025-06-18");
        let cancel =
            br#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"r1"}}"#;
        assert_eq!(params_id(cancel, "requestId").unwrap().as_json(), "\"r1\"");
        let err = br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"nope"}}"#;
        assert_eq!(error_object(err).unwrap().message.unwrap(), "nope");
    }

    #[test]
    fn a_progress_token_is_read_from_meta_and_put_back_in_place() {
        let call = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","_meta":{"progressToken":"p1"}}}"#;
        assert_eq!(meta_raw(call, "progressToken").unwrap().get(), "\"p1\"");
        assert!(meta_raw(call, "other").is_none());
        let progress = br#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":7,"progress":1.50}}"#;
        let back = with_progress_token(progress, &to_raw("p1")).unwrap();
        assert_eq!(
            back,
            r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"p1","progress":1.50}}"#
        );
    }
}
