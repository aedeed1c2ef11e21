//! The last link of `doctor`: the MCP clients' configurations on this
//! machine that mention the server, and whether the command each one runs
//! exists and may be run. Every file is read bounded and parsed as JSONC;
//! nothing is written.

use super::Step;
use crate::cli::ClientApp;
use crate::text::Chain;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Largest configuration file read (Claude Code's grows with its history).
const FILE_LIMIT: usize = 8 << 20;
/// How deep a configuration is searched for server entries.
const DEPTH: usize = 8;

/// One server entry that mentions the URL.
struct Mention {
    client: &'static str,
    /// The client, as `install --client` names it.
    app: ClientApp,
    file: PathBuf,
    name: String,
    /// The command it runs; `None` for an entry that connects by URL itself.
    command: Option<String>,
}

/// The clients' files, as `install` writes them, and the project files
/// in the current directory: each with the client's name and which it is.
fn files() -> Vec<(&'static str, ClientApp, PathBuf)> {
    let env = |k: &str| std::env::var(k).ok();
    let os = std::env::consts::OS;
    let mut out: Vec<(&'static str, ClientApp, PathBuf)> = [
        ("Claude Desktop", ClientApp::ClaudeDesktop),
        ("Claude Code", ClientApp::ClaudeCode),
        ("Cursor", ClientApp::Cursor),
        ("VS Code", ClientApp::Vscode),
        ("Windsurf", ClientApp::Windsurf),
    ]
    .into_iter()
    .filter_map(|(name, app)| {
        super::super::install::config_path(app, os, &env)
            .ok()
            .map(|p| (name, app, p))
    })
    .collect();
    if let Ok(cwd) = std::env::current_dir() {
        for (name, app, rel) in [
            ("Claude Code (project)", ClientApp::ClaudeCode, ".mcp.json"),
            ("Cursor (project)", ClientApp::Cursor, ".cursor/mcp.json"),
            ("VS Code (workspace)", ClientApp::Vscode, ".vscode/mcp.json"),
        ] {
            out.push((name, app, cwd.join(rel)));
        }
    }
    out
}

/// The step: every entry that mentions `url`, and its command.
pub fn step(url: &url::Url) -> Step {
    // Matched without its query (which may hold a key, and is never shown).
    let mut bare = url.clone();
    bare.set_query(None);
    bare.set_fragment(None);
    let _ = bare.set_password(None);
    let wanted = bare.as_str().trim_end_matches('/').to_owned();
    let mut mentions = Vec::new();
    let mut unreadable = Vec::new();
    for (client, app, file) in files() {
        let text = match crate::files::read_bounded(&file, FILE_LIMIT) {
            Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            Ok(None) => continue,
            Err(e) => {
                unreadable.push(format!("{} ({client}): {e}", file.display(), e = Chain(&e)));
                continue;
            }
        };
        match jsonc_parser::parse_to_serde_value(&text, &Default::default()) {
            Ok(Some(v)) => find(&v, &wanted, "", 0, &mut |name, command| {
                mentions.push(Mention {
                    client,
                    app,
                    file: file.clone(),
                    name: name.to_owned(),
                    command,
                })
            }),
            Ok(None) => {}
            Err(e) => unreadable.push(format!(
                "{} ({client}): not JSON: {e}",
                file.display(),
                e = Chain(&e)
            )),
        }
    }
    if mentions.is_empty() {
        let mut found = format!("no MCP client configuration on this machine mentions {wanted}");
        if !unreadable.is_empty() {
            found.push_str(&format!("; unreadable: {}", unreadable.join("; ")));
        }
        return Step::pass("clients", found);
    }
    let mut lines = Vec::new();
    let mut broken = Vec::new();
    for m in &mentions {
        let head = format!(
            "{} {} \"{}\"",
            m.client,
            m.file.display(),
            crate::text::clean(&m.name, 80)
        );
        match &m.command {
            None => lines.push(format!(
                "{head}: connects by URL itself (not through mcp-bridge)"
            )),
            Some(c) => match runnable(c) {
                Ok(path) => lines.push(format!("{head}: runs {} ✓", path.display())),
                Err(why) => {
                    lines.push(format!(
                        "{head}: runs {} ✗ {why}",
                        crate::text::clean(c, 300)
                    ));
                    broken.push(m);
                }
            },
        }
    }
    lines.extend(unreadable);
    let found = lines.join("; ");
    match broken.first() {
        None => Step::pass("clients", found),
        Some(m) => Step::fail(
            "clients",
            found,
            format!(
                "the client cannot start the bridge: run `mcp-bridge install --client {} {} {wanted}` again (it writes this binary's absolute path), or fix the command in {}",
                super::super::value_name(m.app),
                crate::text::clean(&m.name, 80),
                m.file.display()
            ),
        ),
    }
}

/// Walk `v` for server entries (objects with a `command`, or a `url`)
/// that mention `wanted`; `found(name, command)` for each.
fn find(
    v: &Value,
    wanted: &str,
    name: &str,
    depth: usize,
    found: &mut dyn FnMut(&str, Option<String>),
) {
    if depth > DEPTH {
        return;
    }
    let Value::Object(o) = v else { return };
    let mentions = |s: &str| s.trim_end_matches('/') == wanted || s.contains(wanted);
    if let Some(command) = o.get("command").and_then(Value::as_str) {
        let in_args = o
            .get("args")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().filter_map(Value::as_str).any(mentions));
        if in_args || mentions(command) {
            found(name, Some(command.to_owned()));
        }
        return;
    }
    if let Some(u) = o
        .get("url")
        .or_else(|| o.get("serverUrl"))
        .and_then(Value::as_str)
    {
        if mentions(u) {
            found(name, None);
        }
        return;
    }
    for (k, child) in o {
        find(child, wanted, k, depth + 1, found);
    }
}

/// Where `command` is, if it can be run: a path as given, or the first
/// match on this process's PATH (the client's own PATH may differ).
fn runnable(command: &str) -> Result<PathBuf, String> {
    let given = Path::new(command);
    let candidates: Vec<PathBuf> = if given.components().count() > 1 || given.is_absolute() {
        vec![given.to_path_buf()]
    } else {
        let exts: Vec<String> = if cfg!(windows) {
            std::env::var("PATHEXT")
                .unwrap_or_else(|_| ".EXE;.CMD;.BAT".into())
                .split(';')
                .map(str::to_owned)
                .chain([String::new()])
                .collect()
        } else {
            vec![String::new()]
        };
        std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .flat_map(|dir| exts.iter().map(move |e| dir.join(format!("{command}{e}"))))
            .collect()
    };
    let mut why = if candidates.len() == 1 {
        "does not exist".to_owned()
    } else {
        "is not on PATH".to_owned()
    };
    for c in candidates {
        match std::fs::metadata(&c) {
            Ok(m) if m.is_file() && executable(&m) => return Ok(c),
            Ok(_) => why = format!("{} is not an executable file", c.display()),
            Err(_) => {}
        }
    }
    Err(why)
}

#[cfg(unix)]
fn executable(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn executable(_: &std::fs::Metadata) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entries_that_mention_the_url_are_found_wherever_the_client_keeps_them() {
        let url = "https://mcp.example/mcp";
        let claude_code = json!({
            "mcpServers": {"a": {"command": "mcp-bridge", "args": ["https://mcp.example/mcp"]}},
            "projects": {"/p": {"mcpServers": {
                "b": {"command": "npx", "args": ["-y", "mcp-remote", "https://mcp.example/mcp/"]},
                "other": {"command": "x", "args": ["https://else.example/mcp"]}
            }}},
            "c": {"type": "http", "url": "https://mcp.example/mcp"}
        });
        let mut seen = Vec::new();
        find(&claude_code, url, "", 0, &mut |n, c| {
            seen.push((n.to_owned(), c))
        });
        seen.sort();
        assert_eq!(
            seen,
            [
                ("a".to_owned(), Some("mcp-bridge".to_owned())),
                ("b".to_owned(), Some("npx".to_owned())),
                ("c".to_owned(), None),
            ]
        );
    }

    #[test]
    fn a_command_is_runnable_only_when_it_exists_and_may_be_run() {
        assert!(runnable("/no/such/mcp-bridge")
            .unwrap_err()
            .contains("does not exist"));
        let me = std::env::current_exe().unwrap();
        assert_eq!(runnable(me.to_str().unwrap()).unwrap(), me);
    }
}
