//! Extensions by era: an extension is carried only into a protocol era in
//! which it is defined. A handshake-era client's `initialize` declares its
//! extensions for that era; when the bridge speaks 2026-07-28 for it, only
//! those defined in both eras go into the per-request capabilities. A
//! 2026-07-28 server's declarations reach that client only where they are
//! defined in the handshake era too.
//!
//! The rule for each extension the bridge knows is one row of [`TABLE`],
//! with the SEP it comes from. An extension the table does not name is
//! carried as it is, in both directions: the bridge is a relay, and a new
//! extension passes through without a release.

use crate::jsonrpc::{self, Edit};
use serde_json::value::RawValue;

/// In which eras an extension is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Defined {
    /// Under the `initialize` handshake and under 2026-07-28 alike.
    BothEras,
    /// Only under 2026-07-28 (the stateless revision).
    ModernOnly,
}

/// One known extension: its identifier, where it is defined, and why.
pub struct Row {
    /// The extension identifier, as it appears in `capabilities.extensions`.
    pub id: &'static str,
    /// The eras it is defined in.
    pub defined: Defined,
    /// The request methods it adds.
    pub methods: &'static [&'static str],
    /// The source of the rule.
    pub source: &'static str,
}

/// Every extension whose eras the bridge knows.
pub const TABLE: &[Row] = &[
    Row {
        id: "io.modelcontextprotocol/ui",
        defined: Defined::BothEras,
        methods: &[],
        source: "SEP-1865 (MCP Apps): negotiated in initialize and in per-request capabilities alike",
    },
    Row {
        id: "io.modelcontextprotocol/tasks",
        defined: Defined::ModernOnly,
        methods: &["tasks/get", "tasks/update", "tasks/cancel"],
        source: "SEP-2663 (Tasks), Backward Compatibility: not defined under 2025-11-25, where a declaration is treated as absent; the experimental tasks of 2025-11-25 are another feature (capabilities.tasks), untouched",
    },
];

/// Where extension `id` is defined; one the table does not know, everywhere.
pub fn defined(id: &str) -> Defined {
    TABLE
        .iter()
        .find(|r| r.id == id)
        .map_or(Defined::BothEras, |r| r.defined)
}

/// The extension that adds the request `method`, when it is one that the
/// handshake era does not define: a handshake-era client cannot be asking
/// for it (2025-11-25's experimental `tasks/get` is a method of its own,
/// for tasks the stateless revision never creates for such a client).
pub fn modern_only_method(method: &str) -> Option<&'static str> {
    TABLE
        .iter()
        .find(|r| r.defined == Defined::ModernOnly && r.methods.contains(&method))
        .map(|r| r.id)
}

/// A handshake-era side's capabilities (`caps`, a JSON object) as they may
/// be declared in the other era, which here always means: only the
/// extensions defined in the handshake era stay. `None` when nothing is
/// left out (the usual case), so the caller keeps the bytes it has.
pub fn handshake_only(caps: &RawValue) -> Option<Box<RawValue>> {
    let text = jsonrpc::edit_object(caps.get(), |key, value| {
        if key != "extensions" {
            return Edit::Keep;
        }
        match jsonrpc::edit_object(value.get(), |id, _| match defined(id) {
            Defined::BothEras => Edit::Keep,
            Defined::ModernOnly => Edit::Drop,
        }) {
            Some(kept) => Edit::Replace(kept),
            None => Edit::Keep,
        }
    })?;
    RawValue::from_string(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_owned()).unwrap()
    }

    #[test]
    fn tasks_stay_out_of_the_handshake_era_and_apps_pass() {
        let caps = raw(
            r#"{"sampling":{},"extensions":{"io.modelcontextprotocol/tasks":{},"io.modelcontextprotocol/ui":{"mimeTypes":["text/html;profile=mcp-app"]},"com.example/x":{"a":1}}}"#,
        );
        let out = handshake_only(&caps).unwrap();
        assert_eq!(
            out.get(),
            r#"{"sampling":{},"extensions":{"io.modelcontextprotocol/ui":{"mimeTypes":["text/html;profile=mcp-app"]},"com.example/x":{"a":1}}}"#
        );
    }

    #[test]
    fn capabilities_with_nothing_to_leave_out_are_kept_as_they_are() {
        assert!(handshake_only(&raw(r#"{"sampling":{}}"#)).is_none());
        assert!(
            handshake_only(&raw(r#"{"extensions":{"io.modelcontextprotocol/ui":{}}}"#)).is_none()
        );
        assert!(handshake_only(&raw(r#"{"extensions":null}"#)).is_none());
    }

    #[test]
    fn every_row_names_its_source_and_unknown_extensions_pass() {
        for r in TABLE {
            assert!(r.source.starts_with("SEP-"), "{}", r.id);
            assert_eq!(defined(r.id), r.defined);
        }
        assert_eq!(defined("com.example/new"), Defined::BothEras);
    }

    #[test]
    fn the_methods_of_a_modern_only_extension_are_known() {
        assert_eq!(
            modern_only_method("tasks/get"),
            Some("io.modelcontextprotocol/tasks")
        );
        assert_eq!(modern_only_method("tasks/result"), None);
        assert_eq!(modern_only_method("tools/call"), None);
    }
}
