//! `mcp-bridge tools diff|accept|list URL`: see what changed in a server's
//! tools since they were pinned, approve it, or list the pins. `diff` and
//! `accept` connect as `check` does (through the relay, with no pinning of
//! their own); `list` reads the pins only.

use crate::cli::{Options, ToolsAction};
use crate::pins::{self, Pins};
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::ExitCode;
use std::time::Duration;

/// How long each list request may take.
const LIST_WAIT: Duration = Duration::from_secs(30);

/// `mcp-bridge tools ...`.
pub fn command(action: &ToolsAction) -> ExitCode {
    match action {
        ToolsAction::Diff { url, opts } => diff(url, opts),
        ToolsAction::Accept { url, tools, opts } => accept(url, tools, opts),
        ToolsAction::List { url, opts } => list(url, opts),
    }
}

/// The pins of a prepared server, under the options' identity.
fn pins_of(prepared: &super::Prepared) -> Result<Pins, ExitCode> {
    let shown = crate::url_policy::shown(&prepared.url);
    Pins::for_server(&prepared.auth.key(), &shown).map_err(|e| super::failed(&e))
}

/// The server's pins, and its tools now.
fn pins_and_tools(raw: &str, opts: &Options) -> Result<(Pins, Vec<Value>), ExitCode> {
    let c = super::connect(raw, None, opts, false)?;
    let pins = pins_of(&c.prepared)?;
    let outcome = super::check::through_relay(c, opts, |relay, out| {
        super::check::tools_through(relay, out, LIST_WAIT)
    });
    match outcome {
        Ok(tools) => Ok((pins, tools)),
        Err(e) => Err(super::report(Err(e.into()))),
    }
}

fn diff(raw: &str, opts: &Options) -> ExitCode {
    let (pins, now) = match pins_and_tools(raw, opts) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let pinned = match pins.read() {
        Ok(p) => p,
        Err(e) => return super::failed(&e),
    };
    let mut out = String::new();
    let mut changed = 0;
    let mut listed = BTreeSet::new();
    for tool in &now {
        let Some(name) = tool.get("name").and_then(Value::as_str) else {
            continue;
        };
        listed.insert(name.to_owned());
        let def = pins::definition(tool);
        match pinned.get(name) {
            None => out.push_str(&format!("new, not pinned yet: {name}\n")),
            Some(p) if p.sha256 == pins::digest(&def) => {}
            Some(p) => {
                changed += 1;
                let old = if p.definition.is_null() {
                    serde_json::json!({"(pinned definition)": "too large to keep; only its digest was"})
                } else {
                    p.definition.clone()
                };
                out.push_str(&pins::unified_diff(name, &old, &def));
            }
        }
    }
    for name in pinned.keys().filter(|n| !listed.contains(*n)) {
        out.push_str(&format!("pinned, no longer listed: {name}\n"));
    }
    if changed == 0 {
        out.push_str(&format!(
            "no tool changed since it was pinned ({} pinned)\n",
            pinned.len()
        ));
    } else {
        out.push_str(&format!(
            "{changed} tool(s) changed; approve with `mcp-bridge tools accept {} TOOL...`\n",
            crate::url_policy::shown_text(raw)
        ));
    }
    print!("{out}");
    if changed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn accept(raw: &str, only: &[String], opts: &Options) -> ExitCode {
    let (pins, now) = match pins_and_tools(raw, opts) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let names: BTreeSet<&str> = now.iter().filter_map(|t| t.get("name")?.as_str()).collect();
    if let Some(missing) = only.iter().find(|n| !names.contains(n.as_str())) {
        return super::report(Err(format!(
            "the server lists no tool {:?}; nothing was pinned",
            crate::text::clean(missing, 100)
        )
        .into()));
    }
    match pins.accept(&now, only) {
        Ok(accepted) if accepted.is_empty() => {
            println!("nothing to approve: the pins are what the server says");
            ExitCode::SUCCESS
        }
        Ok(accepted) => {
            println!("pinned as they are now: {}", accepted.join(", "));
            ExitCode::SUCCESS
        }
        Err(e) => super::failed(&e),
    }
}

fn list(raw: &str, opts: &Options) -> ExitCode {
    let pinned = match super::prepare(raw, None, opts)
        .and_then(|p| pins_of(&p))
        .map(|p| p.read())
    {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return super::failed(&e),
        Err(code) => return code,
    };
    if pinned.is_empty() {
        return super::report(Ok(format!(
            "no tool of {} is pinned yet (the first tools/list of a run pins them)",
            crate::url_policy::shown_text(raw)
        )));
    }
    let width = pinned.keys().map(String::len).max().unwrap_or(4).max(4);
    let mut out = format!("{:width$}  PINNED (UTC)      SHA-256\n", "TOOL");
    for (name, p) in &pinned {
        out.push_str(&format!(
            "{name:width$}  {}  {}\n",
            &crate::text::utc(p.pinned)[..16].replace('T', " "),
            &p.sha256[..p.sha256.len().min(16)]
        ));
    }
    super::report(Ok(out.trim_end().to_owned()))
}
