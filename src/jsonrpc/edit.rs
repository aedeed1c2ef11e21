//! Editing a JSON object in place: members dropped or given new values
//! while every other member keeps its position and its exact bytes. This is
//! how the bridge takes a field out of a server's message (2026-07-28's
//! envelope, for a client of an older revision) without touching what the
//! server put there for the application: an App's `_meta.ui`, a tool's own
//! keys, numbers that would not survive a round trip through `f64`.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// What becomes of one member.
pub enum Edit {
    /// It stays as it is.
    Keep,
    /// It goes.
    Drop,
    /// It stays in its place with this JSON text as its value.
    Replace(String),
}

/// The members of one object, in their order, each value as its text.
struct Members<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(entry) = map.next_entry::<Cow<'de, str>, &'de RawValue>()? {
                    members.push(entry);
                }
                Ok(Members(members))
            }
        }
        d.deserialize_map(V)
    }
}

/// `object` (a JSON object's text) with each member edited as `edit`
/// decides from its name and value. `None` when every member is kept, or
/// when `object` is not an object: the caller keeps what it had.
pub fn edit_object(object: &str, mut edit: impl FnMut(&str, &RawValue) -> Edit) -> Option<String> {
    let Members(members) = serde_json::from_str(object).ok()?;
    let edits: Vec<Edit> = members.iter().map(|(k, v)| edit(k, v)).collect();
    if edits.iter().all(|e| matches!(e, Edit::Keep)) {
        return None;
    }
    let mut out = String::with_capacity(object.len());
    out.push('{');
    for ((key, value), e) in members.iter().zip(&edits) {
        let value = match e {
            Edit::Keep => value.get(),
            Edit::Drop => continue,
            Edit::Replace(text) => text.as_str(),
        };
        if out.len() > 1 {
            out.push(',');
        }
        // A key is written as serde_json writes strings: the same text
        // for any key that was not spelled with needless escapes.
        out.push_str(&serde_json::to_string(key).expect("a string always serializes"));
        out.push(':');
        out.push_str(value);
    }
    out.push('}');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_members_go_and_the_rest_keep_order_and_bytes() {
        let text = r#"{ "z": 1.10, "resultType" : "complete", "a": {"n": 123456789012345678901234567890}, "k\"q": [1, 2] }"#;
        let out = edit_object(text, |k, _| match k {
            "resultType" => Edit::Drop,
            _ => Edit::Keep,
        })
        .unwrap();
        assert_eq!(
            out,
            r#"{"z":1.10,"a":{"n": 123456789012345678901234567890},"k\"q":[1, 2]}"#
        );
    }

    #[test]
    fn a_replaced_member_keeps_its_place() {
        let out = edit_object(r#"{"a":1,"b":2,"c":3}"#, |k, _| match k {
            "b" => Edit::Replace("{}".into()),
            "c" => Edit::Drop,
            _ => Edit::Keep,
        });
        assert_eq!(out.as_deref(), Some(r#"{"a":1,"b":{}}"#));
    }

    #[test]
    fn nothing_to_change_or_not_an_object_is_none() {
        assert!(edit_object(r#"{"a":1}"#, |_, _| Edit::Keep).is_none());
        assert!(edit_object("[1,2]", |_, _| Edit::Drop).is_none());
        assert!(edit_object("{", |_, _| Edit::Drop).is_none());
        assert_eq!(
            edit_object(r#"{"a":1}"#, |_, _| Edit::Drop).as_deref(),
            Some("{}")
        );
    }
}
