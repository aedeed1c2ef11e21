//! `x-mcp-header` (2026-07-28, `server/tools.mdx` and the Streamable HTTP
//! binding): a tool may mark input properties whose values every
//! `tools/call` mirrors into `Mcp-Param-{Name}` headers, so that gateways
//! can route on them without reading the body. The rules are checked here
//! once per tool, when a `tools/list` answer passes: a tool whose
//! annotations break one is left out of what the client sees, with a
//! warning naming the tool and the rule, as the specification requires.
//!
//! What is known of the tools is kept with the caching hints of the list
//! it came from (`ttlMs`, `cacheScope`): a `private` list belongs to the
//! credentials it was fetched with, and the whole of it is dropped when the
//! server says the tools changed or refuses a call's headers.

use super::envelope::encode_header_value;
use crate::sync::Locked;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The annotation keyword.
const KEYWORD: &str = "x-mcp-header";
/// The largest integer a header may carry: JavaScript's safe range.
const SAFE_INTEGER: i64 = (1 << 53) - 1;
/// How many tools are remembered; a server listing more is served without
/// memory for the rest (their calls list again).
const MAX_TOOLS: usize = 10_000;

/// One annotated property: the header name part and where the value sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// `{Name}` in `Mcp-Param-{Name}`.
    pub header: String,
    /// The chain of `properties` keys from the arguments object to the value.
    pub path: Vec<String>,
}

/// A rule of the header annotations that a tool's `inputSchema` breaks, in
/// words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RuleBroken(String);

/// The annotations of a tool's `inputSchema`, or the rule they break.
pub fn annotations(schema: &Value) -> Result<Vec<Annotation>, RuleBroken> {
    let mut found = Vec::new();
    walk(schema, Some(&mut Vec::new()), "the schema root", &mut found)?;
    let mut seen: HashMap<String, &str> = HashMap::new();
    for a in &found {
        if let Some(other) = seen.insert(a.header.to_ascii_lowercase(), &a.header) {
            return Err(RuleBroken(format!(
                "{KEYWORD} {:?} is used twice (as {other:?} too; names are compared ignoring case)",
                a.header
            )));
        }
    }
    Ok(found)
}

/// Walk one schema. `chain` is the `properties` path when the schema is
/// reachable through `properties` alone (`None` once it is not); `via`
/// names how it was reached, for the error.
fn walk(
    schema: &Value,
    chain: Option<&mut Vec<String>>,
    via: &str,
    found: &mut Vec<Annotation>,
) -> Result<(), RuleBroken> {
    let Value::Object(map) = schema else {
        if let Value::Array(items) = schema {
            for item in items {
                walk(item, None, via, found)?;
            }
        }
        return Ok(());
    };
    let mut chain = chain;
    if let Some(name) = map.get(KEYWORD) {
        match chain.as_deref() {
            Some(path) if !path.is_empty() => found.push(annotation(name, map, path)?),
            Some(_) => return Err(RuleBroken(format!("{KEYWORD} on the schema root"))),
            None => return Err(RuleBroken(format!("{KEYWORD} reached through {via}"))),
        }
    }
    for (key, value) in map {
        match key.as_str() {
            KEYWORD | "const" | "enum" | "default" | "examples" | "description" | "title" => {}
            "properties" => {
                let Value::Object(props) = value else {
                    continue;
                };
                for (name, sub) in props {
                    match chain.as_deref_mut() {
                        Some(path) => {
                            path.push(name.clone());
                            let r = walk(sub, Some(path), via, found);
                            path.pop();
                            r?;
                        }
                        None => walk(sub, None, via, found)?,
                    }
                }
            }
            "patternProperties" | "$defs" | "definitions" | "dependentSchemas" => {
                if let Value::Object(subs) = value {
                    for sub in subs.values() {
                        walk(sub, None, &format!("`{key}`"), found)?;
                    }
                }
            }
            other => walk(value, None, &format!("`{other}`"), found)?,
        }
    }
    Ok(())
}

/// The annotation `name` on the property `schema` at `path`, if it keeps
/// the rules: a non-empty token, on an integer, string or boolean.
fn annotation(
    name: &Value,
    schema: &serde_json::Map<String, Value>,
    path: &[String],
) -> Result<Annotation, RuleBroken> {
    let at = path.join(".");
    let Value::String(name) = name else {
        return Err(RuleBroken(format!("{KEYWORD} on {at:?} is not a string")));
    };
    if name.is_empty() {
        return Err(RuleBroken(format!("{KEYWORD} on {at:?} is empty")));
    }
    if let Some(c) = name.chars().find(|c| !is_tchar(*c)) {
        return Err(RuleBroken(format!(
            "{KEYWORD} {name:?} on {at:?} is not an HTTP token (it holds {c:?})"
        )));
    }
    let primitive = |t: &str| matches!(t, "string" | "integer" | "boolean");
    let typed = match schema.get("type") {
        Some(Value::String(t)) => primitive(t),
        Some(Value::Array(ts)) => {
            let named: Vec<&str> = ts
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect();
            named.len() == 1 && primitive(named[0])
        }
        _ => false,
    };
    if !typed {
        return Err(RuleBroken(format!(
            "{KEYWORD} {name:?} is on {at:?}, which is not of type integer, string or boolean"
        )));
    }
    Ok(Annotation {
        header: name.clone(),
        path: path.to_vec(),
    })
}

/// RFC 9110 `tchar`.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// The text the annotated value `a` of `args` goes by in its header: a
/// string, a boolean, or an integer within JavaScript's safe range.
/// `None` when it is absent, null or of another type, which has no header
/// (the server judges the call).
pub fn value_text(a: &Annotation, args: &Value) -> Option<String> {
    let mut v = args;
    for key in &a.path {
        v = v.get(key)?;
    }
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => n
            .as_i64()
            .filter(|i| i.abs() <= SAFE_INTEGER)
            .map(|i| i.to_string()),
        _ => None,
    }
}

/// The `Mcp-Param-*` headers for a call whose `arguments` are `args`: each
/// annotated value that has one ([`value_text`]), as the specification
/// encodes it.
pub fn param_headers(annotations: &[Annotation], args: &Value) -> HeaderMap {
    let mut h = HeaderMap::new();
    for a in annotations {
        let Some(text) = value_text(a, args) else {
            continue;
        };
        let name = HeaderName::from_bytes(format!("mcp-param-{}", a.header).as_bytes());
        let value = HeaderValue::from_str(&encode_header_value(&text));
        if let (Ok(name), Ok(value)) = (name, value) {
            h.insert(name, value);
        }
    }
    h
}

/// What is known of one tool's headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Its annotations (none, often).
    Known(Vec<Annotation>),
    /// It breaks a rule, and was left out of the list the client saw.
    Invalid(String),
    /// Not seen in a list; `listed` when a whole, fresh list did not name it.
    Unknown {
        /// A complete list within its `ttlMs` did not name the tool.
        listed: bool,
    },
}

#[derive(Default)]
struct Known {
    tools: HashMap<String, Result<Vec<Annotation>, RuleBroken>>,
    /// Until when the list is fresh, by its `ttlMs`.
    fresh_until: Option<Instant>,
    /// The credentials a `private` list belongs to.
    owner: Option<u64>,
    /// A page without `nextCursor` was seen.
    complete: bool,
}

/// The tools' annotations, learnt from the `tools/list` answers that pass.
#[derive(Default)]
pub struct ToolHeaders {
    known: Mutex<Known>,
}

impl ToolHeaders {
    /// What is known of `tool`, for a caller holding the credentials `who`.
    pub fn lookup(&self, tool: &str, who: Option<u64>) -> Lookup {
        let mut k = self.known.locked();
        if k.owner.is_some() && k.owner != who {
            *k = Known::default();
        }
        match k.tools.get(tool) {
            Some(Ok(a)) => Lookup::Known(a.clone()),
            Some(Err(why)) => Lookup::Invalid(why.to_string()),
            None => Lookup::Unknown {
                listed: k.complete && k.fresh_until.is_some_and(|t| Instant::now() < t),
            },
        }
    }

    /// Forget every tool: the list changed, or a call's headers were refused.
    pub fn forget(&self) {
        *self.known.locked() = Known::default();
    }

    /// Learn from one page of a `tools/list` answer `raw`, fetched with the
    /// credentials `who`; the answer comes back with the tools whose
    /// annotations break a rule left out (byte for byte otherwise), and the
    /// cursor of the next page.
    pub fn learn(&self, raw: Bytes, who: Option<u64>) -> (Bytes, Option<String>) {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            tools: Vec<Box<RawValue>>,
            #[serde(rename = "nextCursor")]
            next_cursor: Option<String>,
            #[serde(rename = "ttlMs")]
            ttl_ms: Option<u64>,
            #[serde(rename = "cacheScope")]
            cache_scope: Option<String>,
        }
        #[derive(Deserialize)]
        struct Tool {
            name: String,
            #[serde(rename = "inputSchema", default)]
            input_schema: Value,
        }
        let Some(result) = crate::jsonrpc::result_raw(&raw) else {
            return (raw, None);
        };
        let Ok(page) = serde_json::from_str::<Page>(result.get()) else {
            return (raw, None);
        };
        let mut kept = Vec::with_capacity(page.tools.len());
        let mut k = self.known.locked();
        if k.owner.is_some() && k.owner != who {
            *k = Known::default();
        }
        for tool in &page.tools {
            let Ok(t) = serde_json::from_str::<Tool>(tool.get()) else {
                kept.push(tool.get());
                continue;
            };
            let verdict = annotations(&t.input_schema);
            match &verdict {
                Ok(_) => kept.push(tool.get()),
                Err(why) => tracing::warn!(
                    "the tool {:?} is left out of tools/list: {why}",
                    crate::text::clean(&t.name, 200)
                ),
            }
            if k.tools.len() < MAX_TOOLS || k.tools.contains_key(&t.name) {
                k.tools.insert(t.name, verdict);
            }
        }
        let ttl = Duration::from_millis(page.ttl_ms.unwrap_or(0));
        k.fresh_until = Some(Instant::now() + ttl);
        k.owner = (page.cache_scope.as_deref() == Some("private"))
            .then_some(who)
            .flatten();
        if page.next_cursor.is_none() {
            k.complete = true;
        }
        drop(k);
        let next = page.next_cursor;
        if kept.len() == page.tools.len() {
            return (raw, next);
        }
        (without_tools(&raw, &kept).unwrap_or(raw), next)
    }
}

/// The answer `raw` with `result.tools` replaced by `kept`; every other
/// value keeps its bytes.
fn without_tools(raw: &[u8], kept: &[&str]) -> Option<Bytes> {
    type Fields = HashMap<String, Box<RawValue>>;
    let mut msg: Fields = serde_json::from_slice(raw).ok()?;
    let mut result: Fields = serde_json::from_str(msg.get("result")?.get()).ok()?;
    let tools = format!("[{}]", kept.join(","));
    result.insert("tools".to_owned(), RawValue::from_string(tools).ok()?);
    msg.insert(
        "result".to_owned(),
        serde_json::value::to_raw_value(&result).ok()?,
    );
    serde_json::to_vec(&msg).ok().map(Bytes::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(schema: Value) -> String {
        annotations(&schema).unwrap_err().0
    }

    #[test]
    fn annotations_follow_properties_chains() {
        let schema = json!({"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "opts": {"type": "object", "properties": {
                "tier": {"type": ["integer", "null"], "x-mcp-header": "Tier"}
            }},
            "query": {"type": "string"}
        }});
        let mut got = annotations(&schema).unwrap();
        got.sort_by(|a, b| a.header.cmp(&b.header));
        assert_eq!(got[0].header, "Region");
        assert_eq!(got[1].path, ["opts", "tier"]);
        // A property named like the keyword is a name, not an annotation.
        let named = json!({"properties": {"x-mcp-header": {"type": "string"}}});
        assert_eq!(annotations(&named).unwrap(), []);
    }

    #[test]
    fn every_rule_is_checked() {
        let prop = |p: Value| json!({"type": "object", "properties": {"v": p}});
        let cases = [
            (prop(json!({"type": "string", "x-mcp-header": ""})), "empty"),
            (
                prop(json!({"type": "string", "x-mcp-header": "My Region"})),
                "token",
            ),
            (
                prop(json!({"type": "string", "x-mcp-header": "A:B"})),
                "token",
            ),
            (
                prop(json!({"type": "string", "x-mcp-header": "Région"})),
                "token",
            ),
            (
                prop(json!({"type": "string", "x-mcp-header": "A\tB"})),
                "token",
            ),
            (
                prop(json!({"type": "number", "x-mcp-header": "N"})),
                "not of type",
            ),
            (
                prop(json!({"type": "object", "x-mcp-header": "O"})),
                "not of type",
            ),
            (
                prop(json!({"type": "array", "x-mcp-header": "A"})),
                "not of type",
            ),
            (
                prop(json!({"type": "null", "x-mcp-header": "Z"})),
                "not of type",
            ),
            (prop(json!({"x-mcp-header": "T"})), "not of type"),
            (
                prop(json!({"type": "array", "items": {"type": "string", "x-mcp-header": "I"}})),
                "`items`",
            ),
            (
                prop(json!({"anyOf": [{"type": "string", "x-mcp-header": "A"}]})),
                "`anyOf`",
            ),
            (
                json!({"$defs": {"d": {"type": "string", "x-mcp-header": "D"}}, "properties": {"v": {"$ref": "#/$defs/d"}}}),
                "`$defs`",
            ),
            (json!({"type": "object", "x-mcp-header": "Root"}), "root"),
            (
                json!({"properties": {"a": {"type": "string", "x-mcp-header": "Dup"}, "b": {"type": "string", "x-mcp-header": "dup"}}}),
                "twice",
            ),
        ];
        for (schema, needle) in cases {
            let why = rule(schema.clone());
            assert!(why.contains(needle), "{schema}: {why}");
        }
    }

    #[test]
    fn values_are_encoded_as_the_specification_says() {
        let schema = json!({"properties": {
            "s": {"type": "string", "x-mcp-header": "S"},
            "i": {"type": "integer", "x-mcp-header": "I"},
            "b": {"type": "boolean", "x-mcp-header": "B"},
            "u": {"type": "string", "x-mcp-header": "U"},
            "t": {"type": "string", "x-mcp-header": "T"},
            "n": {"type": "string", "x-mcp-header": "N"},
            "o": {"type": "object", "properties": {"e": {"type": "string", "x-mcp-header": "E"}}}
        }});
        let a = annotations(&schema).unwrap();
        let h = param_headers(
            &a,
            &json!({"s": "us-west1", "i": -7, "b": false, "u": "Hello, 世界", "t": "x ", "n": null, "o": {"e": ""}}),
        );
        assert_eq!(h["mcp-param-s"], "us-west1");
        assert_eq!(h["mcp-param-i"], "-7");
        assert_eq!(h["mcp-param-b"], "false");
        assert_eq!(h["mcp-param-u"], "=?base64?SGVsbG8sIOS4lueVjA==?=");
        assert_eq!(h["mcp-param-t"], "=?base64?eCA=?=");
        assert_eq!(h["mcp-param-e"], "");
        assert!(h.get("mcp-param-n").is_none(), "null means no header");
        let h = param_headers(&a, &json!({"i": 9007199254740993_i64}));
        assert!(h.is_empty(), "outside the safe range: no header");
    }

    #[test]
    fn lists_leave_out_broken_tools_and_keep_the_rest_byte_for_byte() {
        let t = ToolHeaders::default();
        let raw = Bytes::from_static(
            br#"{"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"ok","inputSchema":{"properties":{"r":{"type":"string","x-mcp-header":"R"}}},"big":1.50},{"name":"bad","inputSchema":{"properties":{"r":{"type":"number","x-mcp-header":"R"}}}}],"ttlMs":60000,"cacheScope":"private"}}"#,
        );
        let (out, next) = t.learn(raw, Some(1));
        assert_eq!(next, None);
        let text = std::str::from_utf8(&out).unwrap();
        assert!(text.contains(r#""big":1.50"#), "{text}");
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["id"], 3);
        assert_eq!(v["result"]["tools"].as_array().unwrap().len(), 1);
        assert_eq!(v["result"]["ttlMs"], 60000);
        assert!(matches!(t.lookup("ok", Some(1)), Lookup::Known(a) if a.len() == 1));
        assert!(matches!(t.lookup("bad", Some(1)), Lookup::Invalid(_)));
        assert_eq!(t.lookup("gone", Some(1)), Lookup::Unknown { listed: true });
        // A private list belongs to the credentials it was fetched with.
        assert_eq!(t.lookup("ok", Some(2)), Lookup::Unknown { listed: false });
    }
}
