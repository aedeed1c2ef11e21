//! What a handshake-era client of a translated 2026-07-28 server receives:
//! what a handshake-era server would have sent. The fields the stateless
//! revision adds to every exchange are consumed here and never passed on:
//!
//! - `resultType` (`basic/index.mdx`): `"complete"` goes, since an older
//!   result has none; `"input_required"` never gets here (the translator
//!   works through those rounds); any other type (`"task"` of SEP-2663, or
//!   one nobody defined) has no equivalent, and the answer is an error;
//! - the cache hints `ttlMs` and `cacheScope` (`server/utilities/caching.mdx`)
//!   on the results of the operations that carry them;
//! - the `_meta` keys under a prefix the specification reserves for itself
//!   (second label `modelcontextprotocol` or `mcp`, `basic/index.mdx`):
//!   `io.modelcontextprotocol/serverInfo` on every result,
//!   `io.modelcontextprotocol/subscriptionId` on what a listen stream brings.
//!   A `_meta` left empty goes too.
//!
//! Everything else stays byte for byte and in its place: what the server
//! put in `_meta` for the application (an App's `ui`, a tool's own keys),
//! `structuredContent`, numbers, key order.

use crate::jsonrpc::{self, Edit, Message, Method};
use serde_json::value::RawValue;

/// A result whose `resultType` has no handshake-era equivalent.
#[derive(Debug, PartialEq, Eq)]
pub struct NoEquivalent(pub String);

/// The final answer `m` to a request of `method`, as a handshake-era server
/// would have sent it. An error answer passes as it is.
pub fn answer(m: Message, method: Option<&Method>) -> Result<Message, NoEquivalent> {
    if m.is_error() {
        return Ok(m);
    }
    let cacheable = method.is_some_and(|x| jsonrpc::CACHEABLE.contains(&x.name()));
    let mut unfit = None;
    let rebuilt = jsonrpc::edit_object(&text(&m), |key, value| {
        if key != "result" {
            return Edit::Keep;
        }
        let result = jsonrpc::edit_object(value.get(), |k, v| match k {
            "resultType" => match serde_json::from_str::<&str>(v.get()) {
                Ok("complete") => Edit::Drop,
                _ => {
                    unfit = Some(v.get().to_owned());
                    Edit::Keep
                }
            },
            "ttlMs" | "cacheScope" if cacheable => Edit::Drop,
            "_meta" => meta(v),
            _ => Edit::Keep,
        });
        result.map_or(Edit::Keep, Edit::Replace)
    });
    if let Some(t) = unfit {
        return Err(NoEquivalent(t));
    }
    Ok(reclassified(m, rebuilt))
}

/// A notification from a 2026-07-28 server (on a request's reply stream or
/// the listen stream) as a handshake-era server would have sent it:
/// without the reserved `_meta` keys of its `params`.
pub fn notification(m: Message) -> Message {
    let rebuilt = jsonrpc::edit_object(&text(&m), |key, value| match key {
        "params" => jsonrpc::edit_object(value.get(), |k, v| match k {
            "_meta" => meta(v),
            _ => Edit::Keep,
        })
        .map_or(Edit::Keep, Edit::Replace),
        _ => Edit::Keep,
    });
    reclassified(m, rebuilt)
}

/// What becomes of a `_meta` object: its reserved keys go, and it goes
/// with them when nothing else is left.
fn meta(value: &RawValue) -> Edit {
    match jsonrpc::edit_object(value.get(), |k, _| {
        if reserved(k) {
            Edit::Drop
        } else {
            Edit::Keep
        }
    }) {
        None => Edit::Keep,
        Some(kept) if kept == "{}" => Edit::Drop,
        Some(kept) => Edit::Replace(kept),
    }
}

/// A `_meta` key under a prefix MCP reserves: one whose second label is
/// `modelcontextprotocol` or `mcp` (`io.modelcontextprotocol/`, `dev.mcp/`).
pub fn reserved(key: &str) -> bool {
    let Some((prefix, _)) = key.split_once('/') else {
        return false;
    };
    matches!(
        prefix.split('.').nth(1),
        Some("modelcontextprotocol" | "mcp")
    )
}

/// The message's text (a message the bridge holds is valid UTF-8 JSON).
fn text(m: &Message) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(&m.raw)
}

/// `m` with its rebuilt text, if it was rebuilt.
fn reclassified(m: Message, rebuilt: Option<String>) -> Message {
    rebuilt
        .and_then(|t| jsonrpc::classify(bytes::Bytes::from(t)).ok())
        .unwrap_or(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(s: &str) -> Message {
        jsonrpc::classify(bytes::Bytes::from(s.to_owned())).unwrap()
    }

    fn text_of(m: &Message) -> &str {
        std::str::from_utf8(&m.raw).unwrap()
    }

    #[test]
    fn a_tool_result_loses_the_envelope_and_keeps_the_applications_meta() {
        // As fastmcp answers a 2026-07-28 tools/call; the same server
        // answers a handshake-era client with the first line's result.
        let m = msg(
            r#"{"jsonrpc":"2.0","id":3,"result":{"_meta":{"fastmcp":{"wrap_result":true},"io.modelcontextprotocol/serverInfo":{"name":"s","version":"1"}},"content":[{"text":"2","type":"text"}],"isError":false,"resultType":"complete","structuredContent":{"result":2}}}"#,
        );
        let out = answer(m, Some(&Method::ToolsCall)).unwrap();
        assert_eq!(
            text_of(&out),
            r#"{"jsonrpc":"2.0","id":3,"result":{"_meta":{"fastmcp":{"wrap_result":true}},"content":[{"text":"2","type":"text"}],"isError":false,"structuredContent":{"result":2}}}"#
        );
    }

    #[test]
    fn a_list_loses_cache_hints_and_a_meta_left_empty() {
        let m = msg(
            r#"{"jsonrpc":"2.0","id":1,"result":{"cacheScope":"private","resultType":"complete","tools":[{"name":"t","_meta":{"ui":{"resourceUri":"ui://t/app.html"}}}],"ttlMs":0,"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"s"}}}}"#,
        );
        let out = answer(m, Some(&Method::ToolsList)).unwrap();
        assert_eq!(
            text_of(&out),
            r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"t","_meta":{"ui":{"resourceUri":"ui://t/app.html"}}}]}}"#
        );
    }

    #[test]
    fn cache_hints_are_a_servers_own_fields_where_no_caching_is_defined() {
        let m = msg(r#"{"jsonrpc":"2.0","id":1,"result":{"content":[],"ttlMs":5}}"#);
        let out = answer(m, Some(&Method::ToolsCall)).unwrap();
        assert!(text_of(&out).contains(r#""ttlMs":5"#));
    }

    #[test]
    fn a_result_of_another_type_has_no_equivalent() {
        let m = msg(
            r#"{"jsonrpc":"2.0","id":1,"result":{"taskId":"t","status":"working","resultType":"task"}}"#,
        );
        assert_eq!(
            answer(m, Some(&Method::ToolsCall)).unwrap_err(),
            NoEquivalent(r#""task""#.into())
        );
    }

    #[test]
    fn an_older_result_and_an_error_pass_untouched() {
        let older = r#"{"jsonrpc":"2.0","id":1,"result":{"content":[], "_meta":{}}}"#;
        assert_eq!(text_of(&answer(msg(older), None).unwrap()), older);
        let err = r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32021,"message":"m","data":{"requiredCapabilities":{}}}}"#;
        assert_eq!(text_of(&answer(msg(err), None).unwrap()), err);
    }

    #[test]
    fn a_listen_notification_loses_its_subscription_id() {
        let m = msg(
            r#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed","params":{"_meta":{"io.modelcontextprotocol/subscriptionId":"l-1"}}}"#,
        );
        assert_eq!(
            text_of(&notification(m)),
            r#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed","params":{}}"#
        );
        let progress = r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"p","progress":1}}"#;
        assert_eq!(text_of(&notification(msg(progress))), progress);
    }

    #[test]
    fn reserved_prefixes_are_the_specifications_rule() {
        assert!(reserved("io.modelcontextprotocol/serverInfo"));
        assert!(reserved("dev.mcp/x"));
        assert!(reserved("org.modelcontextprotocol.api/x"));
        assert!(!reserved("com.example.mcp/x"));
        assert!(!reserved("ui"));
        assert!(!reserved("progressToken"));
        assert!(!reserved("ui/resourceUri"));
    }
}
