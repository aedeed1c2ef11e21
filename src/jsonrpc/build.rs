//! Building messages: the bridge's own error answers, and rewriting a
//! request's id or `params` while every other value keeps its bytes.

use super::Id;
use bytes::Bytes;
use serde_json::value::RawValue;
use std::collections::HashMap;

/// JSON-RPC: the line is not JSON.
pub const PARSE_ERROR: i64 = -32700;
/// JSON-RPC: the JSON is not a valid request/notification/response.
pub const INVALID_REQUEST: i64 = -32600;
/// JSON-RPC: the method does not exist.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// JSON-RPC: an internal error of the receiver (a bug in the bridge).
pub const INTERNAL_ERROR: i64 = -32603;
/// Implementation-defined: the remote server could not be reached or answered badly.
pub const UPSTREAM_ERROR: i64 = -32000;
/// Invalid params (an unknown or hidden tool, as MCP answers it).
pub const INVALID_PARAMS: i64 = -32602;
/// Implementation-defined: the bridge is shutting down and the request was not answered.
pub const SHUTTING_DOWN: i64 = -32001;

/// JSON-RPC: the server does not support the requested protocol version (MCP).
pub const UNSUPPORTED_VERSION: i64 = -32022;

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

type Raw = Box<RawValue>;

/// Why a message could not be rebuilt.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The message is not a JSON object (`what` names it).
    #[error("{what} is not a JSON object")]
    NotObject {
        /// "the request", or "the message".
        what: &'static str,
        /// serde_json's reason.
        source: serde_json::Error,
    },
    /// `params` is there but not an object.
    #[error("params must be an object in MCP")]
    Params,
    /// `params._meta` is there but not an object.
    #[error("params._meta must be an object")]
    Meta,
    /// The rebuilt message did not serialize.
    #[error("cannot write the message")]
    Write(#[source] serde_json::Error),
    /// The rebuilt message is not a JSON-RPC message.
    #[error(transparent)]
    Invalid(#[from] super::Invalid),
}

/// `raw` (a request) with its id replaced by the string `id`; every other
/// value keeps its bytes.
pub fn with_id(raw: &[u8], id: &str) -> Result<Bytes, BuildError> {
    with_id_json(raw, to_raw(&id))
}

/// `raw` with its `id` replaced by `id` (JSON text, as [`super::Id::as_json`]
/// gives it); every other member keeps its place and its bytes.
pub fn with_id_json(raw: &[u8], id: Raw) -> Result<Bytes, BuildError> {
    let text = std::str::from_utf8(raw).unwrap_or_default();
    let mut had_id = false;
    let edited = super::edit_object(text, |key, _| {
        if key == "id" {
            had_id = true;
            super::Edit::Replace(id.get().to_owned())
        } else {
            super::Edit::Keep
        }
    });
    match edited {
        Some(t) if had_id => Ok(Bytes::from(t)),
        // No id yet (or not an object): added at the end.
        _ => {
            let mut msg: HashMap<String, Raw> =
                serde_json::from_slice(raw).map_err(|source| BuildError::NotObject {
                    what: "the message",
                    source,
                })?;
            msg.insert("id".to_owned(), id);
            serde_json::to_vec(&msg)
                .map(Bytes::from)
                .map_err(BuildError::Write)
        }
    }
}

/// Notification `raw` with its `params.progressToken` set to `token`
/// (another party's token put back); every other value keeps its bytes.
/// `None` when it is no object with `params`.
pub fn with_progress_token(raw: &[u8], token: &RawValue) -> Option<Bytes> {
    let text = std::str::from_utf8(raw).ok()?;
    super::edit_object(text, |k, v| match k {
        "params" => super::edit_object(v.get(), |k, _| match k {
            "progressToken" => super::Edit::Replace(token.get().to_owned()),
            _ => super::Edit::Keep,
        })
        .map_or(super::Edit::Keep, super::Edit::Replace),
        _ => super::Edit::Keep,
    })
    .map(Bytes::from)
}

/// Rebuild a request with `meta` merged into `params._meta` (the sender's
/// own keys, such as `progressToken`, are kept) and `extra` set in
/// `params`. Every other value keeps its exact bytes.
pub fn stamp(
    raw: &[u8],
    meta: &[(&str, &RawValue)],
    extra: &[(&str, &RawValue)],
) -> Result<Bytes, BuildError> {
    let mut msg: HashMap<String, Raw> =
        serde_json::from_slice(raw).map_err(|source| BuildError::NotObject {
            what: "the request",
            source,
        })?;
    let mut params: HashMap<String, Raw> = match msg.get("params") {
        Some(p) if p.get() != "null" => {
            serde_json::from_str(p.get()).map_err(|_| BuildError::Params)?
        }
        _ => HashMap::new(),
    };
    let mut meta_obj: HashMap<String, Raw> = match params.remove("_meta") {
        Some(m) if m.get() != "null" => {
            serde_json::from_str(m.get()).map_err(|_| BuildError::Meta)?
        }
        _ => HashMap::new(),
    };
    for (k, v) in meta {
        meta_obj.insert((*k).to_owned(), (*v).to_owned());
    }
    for (k, v) in extra {
        params.insert((*k).to_owned(), (*v).to_owned());
    }
    params.insert("_meta".to_owned(), to_raw(&meta_obj));
    msg.insert("params".to_owned(), to_raw(&params));
    // Raw values serialize as their original text, so nothing else changes.
    serde_json::to_vec(&msg)
        .map(Bytes::from)
        .map_err(BuildError::Write)
}

/// `v` as raw JSON.
pub fn to_raw<T: serde::Serialize + ?Sized>(v: &T) -> Raw {
    serde_json::value::to_raw_value(v).expect("maps of raw values serialize")
}
