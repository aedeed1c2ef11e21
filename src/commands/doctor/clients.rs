//! The last link of `doctor`: the MCP clients' configurations on this
//! machine that mention the server, and whether the command each one runs
//! exists and may be run. Every file is read bounded and parsed as JSONC;
//! nothing is written.

use super::Step;
use crate::cli::ClientApp;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Largest configuration file read (Claude Code's grows with its history).
const FILE_LIMIT: u64 = 8 << 20;
/// How deep a configuration is searched for server entries.
const DEPTH: usize = 8;

/// One server entry that mentions the URL.
struct Mention {
    client: String,
    file: PathBuf,
    name: String,
    /// The command it runs; `None` for an entry that connects by URL itself.
    command: Option<String>,
}

/// The clients' files, as `install` writes them, and the project files
/// in the current directory.
fn files() -> Vec<(String, PathBuf)> {
    let env = |k: &str| std::env::var(k).ok();
    let os = std::env::consts::OS;
    let mut out: Vec<(String, PathBuf)> = [
        (ClientApp::ClaudeDesktop, "Claude Desktop"),
        (ClientApp::ClaudeCode, "Claude Code"),
        (ClientApp::Cursor, "Cursor"),
        (ClientApp::Vscode, "VS Code"),
        (ClientApp::Windsurf, "Windsurf"),
    ]
    .into_iter()
    .filter_map(|(c, name)| {
        super::super::install::config_path(c, os, &env)
            .ok()
            .map(|p| (name.to_owned(), p))
    })
    .collect();
    if let Ok(cwd) = std::env::current_dir() {
        for (name, rel) in [
            ("Claude Code (project)", ".mcp.json"),
            ("Cursor (project)", ".cursor/mcp.json"),
            ("VS Code (workspace)", ".vscode/mcp.json"),
        ] {
            out.push((name.to_owned(), cwd.join(rel)));
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
    for (client, file) in files() {
        let Some(text) = read(&file) else { continue };
        match jsonc_parser::parse_to_serde_value(&text, &Default::default()) {
            Ok(Some(v)) => find(&v, &wanted, "", 0, &mut |name, command| {
                mentions.push(Mention {
                    client: client.clone(),
                    file: file.clone(),
                    name: name.to_owned(),
                    command,
                })
            }),
            Ok(None) => {}
            Err(e) => unreadable.push(format!("{} ({client}): not JSON: {e}", file.display())),
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
                client_flag(&m.client),
                crate::text::clean(&m.name, 80),
                m.file.display()
            ),
        ),
    }
}

/// The `--client` value of a client's display name.
fn client_flag(client: &str) -> &'static str {
    match client.split(' ').next().unwrap_or("") {
        "Claude" if client.starts_with("Claude Desktop") => "claude-desktop",
        "Claude" => "claude-code",
        "Cursor" => "cursor",
        "VS" => "vscode",
        _ => "windsurf",
    }
}

fn read(path: &Path) -> Option<String> {
    use std::io::Read;
    let f = std::fs::File::open(path).ok()?;
    let mut text = String::new();
    f.take(FILE_LIMIT).read_to_string(&mut text).ok()?;
    Some(text)
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
