//! Reading the few fields the bridge needs out of a message, borrowing
//! where it can; one reader for each shape, shared by every layer.

use super::Id;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashMap;

/// The `error` member of a response, read for the bridge's own messages.
#[derive(Deserialize, Default)]
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

/// A string member of `result` (e.g. `protocolVersion` of an initialize answer).
pub fn result_str(raw: &[u8], field: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct R<'a> {
        #[serde(borrow)]
        result: Option<HashMap<Cow<'a, str>, &'a RawValue>>,
    }
    let r: R<'_> = serde_json::from_slice(raw).ok()?;
    serde_json::from_str(r.result?.get(field)?.get()).ok()
}

/// The whole `result` of a response, raw.
pub fn result_raw(raw: &[u8]) -> Option<Box<RawValue>> {
    #[derive(Deserialize)]
    struct M {
        result: Option<Box<RawValue>>,
    }
    serde_json::from_slice::<M>(raw).ok()?.result
}

/// One member of `params`, as an id (e.g. `requestId` of `notifications/cancelled`).
pub fn params_id(raw: &[u8], field: &str) -> Option<Id> {
    with_param(raw, field, Id::from_raw)
}

/// One string member of `params`.
pub fn params_str(raw: &[u8], field: &str) -> Option<String> {
    with_param(raw, field, |v| serde_json::from_str(v.get()).ok())
}

/// One member of `params`, raw.
pub fn params_raw(raw: &[u8], field: &str) -> Option<Box<RawValue>> {
    with_param(raw, field, |v| Some(v.to_owned()))
}

/// One member of `params._meta`, raw (a request's `progressToken`, an
/// envelope's protocol version).
pub fn meta_raw(raw: &[u8], field: &str) -> Option<Box<RawValue>> {
    let meta = params_raw(raw, "_meta")?;
    let map: HashMap<Cow<'_, str>, &RawValue> = serde_json::from_str(meta.get()).ok()?;
    map.get(field).map(|v| (*v).to_owned())
}

/// `read` applied to the raw value of `params.field`, if there is one.
fn with_param<T>(raw: &[u8], field: &str, read: impl FnOnce(&RawValue) -> Option<T>) -> Option<T> {
    #[derive(Deserialize)]
    struct P<'a> {
        #[serde(borrow)]
        params: Option<HashMap<Cow<'a, str>, &'a RawValue>>,
    }
    let p: P<'_> = serde_json::from_slice(raw).ok()?;
    read(p.params?.get(field)?)
}
