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
use crate::pins::{self, PinError, Pins, Policy, Review};
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
    /// The digest of each tool pinned, by name, once read.
    known: Option<HashMap<String, String>>,
    /// Pages that held no change, by the SHA-256 of their `tools` text,
    /// with their tools' names.
    clean: HashMap<[u8; 32], Vec<String>>,
}

/// How many clean pages are remembered (then forgotten all at once).
const CLEAN_PAGES: usize = 64;

/// A `tools/list` answer, its `tools` unparsed.
#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    result: Option<Page<'a>>,
}

#[derive(serde::Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    tools: Option<&'a serde_json::value::RawValue>,
    #[serde(rename = "nextCursor", borrow)]
    next_cursor: Option<&'a serde_json::value::RawValue>,
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
            known: None,
            clean: HashMap::new(),
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
    /// notifications that go before it. The pins are read from disk once;
    /// after that, the disk is touched only when a list has a tool that is
    /// new or differs (to pin it, or to see whether another bridge's
    /// `tools accept` approved it meanwhile).
    pub async fn on_list(&mut self, id: &Id, raw: Bytes) -> (Bytes, Vec<Bytes>) {
        // A page seen before exactly, that held no change: nothing to
        // parse (a list of 200 tools costs a hash, not a parse).
        let Ok(page) = serde_json::from_slice::<Envelope<'_>>(&raw) else {
            return (raw, Vec::new());
        };
        let Some(Page {
            tools: Some(tools_raw),
            next_cursor,
        }) = page.result
        else {
            return (raw, Vec::new());
        };
        let last_page = next_cursor.is_none_or(|c| c.get() == "null");
        let key: [u8; 32] = {
            let d = ring::digest::digest(&ring::digest::SHA256, tools_raw.get().as_bytes());
            d.as_ref().try_into().unwrap_or([0; 32])
        };
        if let Some(names) = self.clean.get(&key).cloned() {
            self.listed(&names, last_page);
            for n in &names {
                self.withheld.remove(n);
            }
            return (raw, Vec::new());
        }
        let Ok(mut v) = serde_json::from_slice::<Value>(&raw) else {
            return (raw, Vec::new());
        };
        let Some(tools) = v.pointer("/result/tools").and_then(Value::as_array) else {
            return (raw, Vec::new());
        };
        let seen: Vec<(String, String)> = tools
            .iter()
            .filter_map(|t| {
                let name = t.get("name")?.as_str()?.to_owned();
                Some((name, pins::digest_of(t)))
            })
            .collect();
        if self.known.is_none() {
            let p = self.pins.clone();
            match tokio::task::spawn_blocking(move || p.digests()).await {
                Ok(Ok(known)) => self.known = Some(known),
                Ok(Err(e)) => return self.unchecked(id, raw, &e),
                Err(_) => return (raw, Vec::new()),
            }
        }
        let known = self.known.as_ref().expect("read above");
        let differs = seen
            .iter()
            .any(|(n, d)| known.get(n).is_none_or(|k| k != d));
        let review = if differs {
            let (p, tools) = (self.pins.clone(), tools.clone());
            match tokio::task::spawn_blocking(move || p.review_and_read(&tools)).await {
                Ok(Ok((review, known))) => {
                    self.known = Some(known);
                    review
                }
                Ok(Err(e)) => return self.unchecked(id, raw, &e),
                Err(_) => return (raw, Vec::new()),
            }
        } else {
            Review::default()
        };
        let names: Vec<String> = seen.into_iter().map(|(n, _)| n).collect();
        self.listed(&names, last_page);
        if !review.added.is_empty() {
            tracing::info!("pinned new tools: {:?}", review.added);
        }
        // A tool back to what was approved is offered again.
        for n in &names {
            if !review.changed.iter().any(|c| &c.name == n) {
                self.withheld.remove(n);
            }
        }
        if review.changed.is_empty() {
            if self.clean.len() >= CLEAN_PAGES {
                self.clean.clear();
            }
            self.clean.insert(key, names);
        }
        self.changed(&mut v, review, raw)
    }

    /// The names on a page of the list being read; on its last page, the
    /// pinned tools it no longer has are logged.
    fn listed(&mut self, names: &[String], last_page: bool) {
        let Some(listing) = &mut self.listing else {
            return;
        };
        listing.extend(names.iter().cloned());
        if !last_page {
            return;
        }
        if let Some(known) = &self.known {
            let mut gone: Vec<&String> = known.keys().filter(|n| !listing.contains(*n)).collect();
            gone.sort();
            if !gone.is_empty() {
                tracing::info!("tools pinned before and no longer listed: {gone:?}");
            }
        }
        self.listing = None;
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
