//! `--pin-tools`: every `tools/list` answer on its way to the client is
//! compared with the server's pins (`pins/`). A tool seen for the first
//! time is pinned and logged; one that is gone from a whole list (its pages
//! put together, from the first to the one without `nextCursor`) is logged.
//! A tool whose definition changed since it was pinned is:
//!
//! - `warn`: relayed, with a warning in the log naming the tool and the
//!   fields that changed, and a `notifications/message` at level `warning`
//!   for a client that asked for messages of that level (`logging/setLevel`);
//! - `enforce`: left out of the list, and a call to it refused with an
//!   error that says what changed and gives the command that approves it.
//!
//! A list after `notifications/tools/list_changed` is compared like any.
//! When the pins cannot be read or kept, `warn` relays the list (and says
//! so in the log), and `enforce` answers the list with an error: nothing
//! unchecked reaches the model.

use crate::jsonrpc::{self, Id, Message, Method};
use crate::pins::{PinError, Pins, Policy, Review};
use crate::text::Chain;
use crate::tools::ToolFilter;
use bytes::Bytes;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

/// The pins of the server, and what this session withholds.
pub struct Pinning {
    pins: Pins,
    policy: Policy,
    /// How a person approves a change: `mcp-bridge tools accept URL`.
    approve: String,
    /// Tools withheld (enforce), by name, with what changed.
    withheld: HashMap<String, String>,
    /// The names on the pages of the list being read, since its first.
    listing: Option<BTreeSet<String>>,
    /// Whether the client asked for warnings (`logging/setLevel`).
    wants_warnings: bool,
}

impl Pinning {
    /// `pins` under `policy`; `approve` is the command that accepts a
    /// change (without the tool's name).
    pub fn new(pins: Pins, policy: Policy, approve: String) -> Pinning {
        Pinning {
            pins,
            policy,
            approve,
            withheld: HashMap::new(),
            listing: None,
            wants_warnings: false,
        }
    }

    /// A client request on its way: the refusal of a call to a withheld
    /// tool. Notes a list's first page, and the log level asked for.
    pub fn on_request(&mut self, m: &Message, id: &Id) -> Option<Bytes> {
        if m.is(&Method::SetLogLevel) {
            let level = jsonrpc::params_str(&m.raw, "level").unwrap_or_default();
            self.wants_warnings = matches!(level.as_str(), "debug" | "info" | "notice" | "warning");
        } else if m.is(&Method::ToolsList) && jsonrpc::params_raw(&m.raw, "cursor").is_none() {
            self.listing = Some(BTreeSet::new());
        } else if m.is(&Method::ToolsCall) && !self.withheld.is_empty() {
            let name = jsonrpc::params_str(&m.raw, "name")?;
            let what = self.withheld.get(&name)?;
            tracing::warn!("refused a call to the tool {name:?}: it changed since it was approved");
            return Some(jsonrpc::error_response(
                Some(id),
                jsonrpc::INVALID_PARAMS,
                &format!(
                    "mcp-bridge: the tool {name:?} changed since it was approved ({what}); see how with `{} {name}`, approve it with `{} {name}`",
                    self.approve.replace(" accept ", " diff "),
                    self.approve
                ),
                None,
            ));
        }
        None
    }

    /// A `tools/list` answer: what goes to the client, after the
    /// notifications that go before it.
    pub async fn on_list(&mut self, id: &Id, raw: Bytes) -> (Bytes, Vec<Bytes>) {
        let Ok(mut v) = serde_json::from_slice::<Value>(&raw) else {
            return (raw, Vec::new());
        };
        let Some(tools) = v
            .pointer("/result/tools")
            .and_then(Value::as_array)
            .cloned()
        else {
            return (raw, Vec::new());
        };
        let last_page = v.pointer("/result/nextCursor").is_none_or(Value::is_null);
        let pins = self.pins.clone();
        let reviewed = tokio::task::spawn_blocking(move || {
            let review = pins.review(&tools)?;
            let pinned = pins.read()?;
            Ok::<_, PinError>((tools, review, pinned))
        })
        .await;
        let (tools, review, pinned) = match reviewed {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return self.unchecked(id, raw, &e),
            Err(_) => return (raw, Vec::new()),
        };
        let names: Vec<String> = tools
            .iter()
            .filter_map(|t| t.get("name")?.as_str().map(str::to_owned))
            .collect();
        if let Some(listing) = &mut self.listing {
            listing.extend(names.iter().cloned());
            if last_page {
                let gone: Vec<&String> = pinned.keys().filter(|n| !listing.contains(*n)).collect();
                if !gone.is_empty() {
                    tracing::info!("tools pinned before and no longer listed: {gone:?}");
                }
                self.listing = None;
            }
        }
        if !review.added.is_empty() {
            tracing::info!("pinned new tools: {:?}", review.added);
        }
        // A tool back to what was approved is offered again.
        for n in &names {
            if !review.changed.iter().any(|c| &c.name == n) {
                self.withheld.remove(n);
            }
        }
        self.changed(&mut v, review, raw)
    }

    /// The changed tools of a reviewed list, as the policy says.
    fn changed(&mut self, v: &mut Value, review: Review, raw: Bytes) -> (Bytes, Vec<Bytes>) {
        if review.changed.is_empty() {
            return (raw, Vec::new());
        }
        let mut notes = Vec::new();
        for c in &review.changed {
            let what = c.fields.join(", ");
            let text = format!(
                "the tool {:?} of this server changed since it was approved ({what})",
                crate::text::clean(&c.name, 100)
            );
            match self.policy {
                Policy::Warn => {
                    tracing::warn!(
                        "{text}; it is relayed (--pin-tools warn); approve it with `{} {}`",
                        self.approve,
                        c.name
                    );
                    if self.wants_warnings {
                        notes.push(message(&format!("mcp-bridge: {text}")));
                    }
                }
                Policy::Enforce => {
                    tracing::warn!(
                        "{text}; it is withheld (--pin-tools enforce) until approved with `{} {}`",
                        self.approve,
                        c.name
                    );
                    self.withheld.insert(c.name.clone(), what);
                }
            }
        }
        if self.policy == Policy::Warn {
            return (raw, notes);
        }
        if let Some(list) = v.pointer_mut("/result/tools").and_then(Value::as_array_mut) {
            list.retain(|t| {
                t.get("name")
                    .and_then(Value::as_str)
                    .is_none_or(|n| !self.withheld.contains_key(n))
            });
        }
        match serde_json::to_vec(v) {
            Ok(out) => (Bytes::from(out), notes),
            Err(_) => (raw, notes),
        }
    }

    /// The pins could not be checked: `warn` relays, `enforce` refuses.
    fn unchecked(&self, id: &Id, raw: Bytes, e: &PinError) -> (Bytes, Vec<Bytes>) {
        tracing::error!(
            "cannot check the tools against their pins: {e}",
            e = Chain(e)
        );
        if self.policy == Policy::Warn {
            return (raw, Vec::new());
        }
        let line = jsonrpc::error_response(
            Some(id),
            jsonrpc::INTERNAL_ERROR,
            &format!("mcp-bridge: the tools cannot be checked against what was approved ({e}); with --pin-tools enforce none is offered until they can", e = Chain(e)),
            None,
        );
        (line, Vec::new())
    }
}

/// The error for a request the client may not make: a call to a tool
/// withheld (`--pin-tools enforce`) or hidden (`--ignore-tool`).
pub(super) fn refusal(
    pinning: &mut Option<Pinning>,
    tools: &ToolFilter,
    m: &Message,
    id: &Id,
) -> Option<Bytes> {
    let withheld = pinning.as_mut().and_then(|p| p.on_request(m, id));
    withheld.or_else(|| hidden_tool(tools, m, id))
}

/// The error for a call to a tool the command line hides, if it is one.
fn hidden_tool(tools: &ToolFilter, m: &Message, id: &Id) -> Option<Bytes> {
    // Without filters, the call's params are not read at all.
    if tools.is_empty() || !m.is(&Method::ToolsCall) {
        return None;
    }
    let name = jsonrpc::params_str(&m.raw, "name")?;
    let flag = tools.hides(&name)?;
    tracing::info!("refused a call to the tool {name:?}, hidden by {flag}");
    Some(jsonrpc::error_response(
        Some(id),
        jsonrpc::INVALID_PARAMS,
        &format!("mcp-bridge: the tool {name:?} is not available (hidden by {flag})"),
        None,
    ))
}

/// A `notifications/message` at level `warning` from the bridge.
fn message(text: &str) -> Bytes {
    let n = json!({
        "jsonrpc": "2.0",
        "method": "notifications/message",
        "params": {"level": "warning", "logger": "mcp-bridge", "data": text},
    });
    Bytes::from(serde_json::to_vec(&n).unwrap_or_default())
}
