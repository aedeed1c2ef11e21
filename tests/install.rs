//! `mcp-bridge install` and `uninstall` against temporary copies of
//! real-shaped configuration files for each client (missing, empty, with
//! other servers and settings, with comments where the client allows them):
//! the result parses, keeps everything else byte for byte, uses this
//! binary's absolute path, keeps `${VAR}` unexpanded, never replaces an
//! entry without --force, and the command it wrote starts and answers
//! `initialize` against a real server.

mod common;

use common::{peers, run_to_exit};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const CLIENTS: [(&str, &str, &str); 5] = [
    // (client, file under HOME, key of the servers)
    (
        "claude-desktop",
        ".config/Claude/claude_desktop_config.json",
        "mcpServers",
    ),
    ("claude-code", ".claude.json", "mcpServers"),
    ("cursor", ".cursor/mcp.json", "mcpServers"),
    ("vscode", ".config/Code/User/mcp.json", "servers"),
    (
        "windsurf",
        ".codeium/windsurf/mcp_config.json",
        "mcpServers",
    ),
];

/// Run `mcp-bridge ARGS` with `home` as HOME (and no XDG_CONFIG_HOME).
fn bridge(home: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let home = home.display().to_string();
    run_to_exit(
        args,
        &[
            ("HOME", home.as_str()),
            ("XDG_CONFIG_HOME", ""),
            ("TOKEN", "the-expanded-secret"),
        ],
    )
}

fn parse(text: &str) -> Value {
    jsonc_parser::parse_to_serde_value(text, &Default::default())
        .unwrap_or_else(|e| panic!("the result does not parse: {e}\n{text}"))
}

fn binary() -> String {
    std::fs::canonicalize(common::bin())
        .unwrap()
        .display()
        .to_string()
}

fn install(home: &Path, client: &str, extra: &[&str]) -> (Option<i32>, String, String) {
    let mut args = vec!["install", "--client", client];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[
        "docs",
        "https://example.com/mcp",
        "--header",
        "Authorization: Bearer ${TOKEN}",
    ]);
    bridge(home, &args)
}

#[test]
fn each_client_gets_the_entry_where_it_reads_it_and_nothing_else_changes() {
    for (client, file, key) in CLIENTS {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join(file);

        // Missing: created, with the entry only.
        let (code, out, err) = install(home.path(), client, &[]);
        assert_eq!(code, Some(0), "{client}: {err}");
        assert!(out.contains("added \"docs\""), "{out}");
        let v = parse(&std::fs::read_to_string(&path).unwrap());
        let entry = &v[key]["docs"];
        assert_eq!(entry["command"], binary(), "{client}");
        assert_eq!(
            entry["args"],
            json!([
                "https://example.com/mcp",
                "--header",
                "Authorization: Bearer ${TOKEN}"
            ]),
            "{client}: ${{VAR}} stays unexpanded"
        );
        let typed = matches!(client, "vscode" | "claude-code");
        assert_eq!(entry.get("type").is_some(), typed, "{client}: {entry}");

        // Again without --force: refused, the file untouched.
        let before = std::fs::read(&path).unwrap();
        let (code, _, err) = install(home.path(), client, &[]);
        assert_eq!(code, Some(1), "{client}");
        assert!(err.contains("--force"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before, "{client}");

        // With --force: replaced, the old file kept as .bak.
        let (code, out, err) = bridge(
            home.path(),
            &[
                "install",
                "--client",
                client,
                "--force",
                "docs",
                "https://example.com/v2",
            ],
        );
        assert_eq!(code, Some(0), "{err}");
        assert!(out.contains("replaced"), "{out}");
        let v = parse(&std::fs::read_to_string(&path).unwrap());
        assert_eq!(v[key]["docs"]["args"], json!(["https://example.com/v2"]));
        let mut bak = path.clone().into_os_string();
        bak.push(".bak");
        assert_eq!(std::fs::read(PathBuf::from(bak)).unwrap(), before);

        // Uninstall: gone; a second time, nothing to do.
        let (code, out, _) = bridge(home.path(), &["uninstall", "--client", client, "docs"]);
        assert_eq!(code, Some(0));
        assert!(out.contains("removed"), "{out}");
        let v = parse(&std::fs::read_to_string(&path).unwrap());
        assert!(v[key].get("docs").is_none(), "{v}");
        let (code, out, _) = bridge(home.path(), &["uninstall", "--client", client, "docs"]);
        assert_eq!(code, Some(0));
        assert!(out.contains("nothing to remove"), "{out}");
    }
}

#[test]
fn other_servers_settings_and_formatting_are_kept() {
    let home = tempfile::tempdir().unwrap();
    // Claude Code's file holds much more than servers, indented its way.
    let other = r#""github": {
      "type": "stdio",
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-github"],
      "env": {"GITHUB_TOKEN": "${GITHUB_TOKEN}"}
    }"#;
    let original = format!(
        "{{\n  \"numStartups\": 42,\n  \"theme\": \"dark\",\n  \"mcpServers\": {{\n    {other}\n  }},\n  \"projects\": {{\"/src/app\": {{\"allowedTools\": []}}}}\n}}\n"
    );
    let path = home.path().join(".claude.json");
    std::fs::write(&path, &original).unwrap();
    let (code, _, err) = install(home.path(), "claude-code", &[]);
    assert_eq!(code, Some(0), "{err}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(other),
        "the other entry is kept as written:\n{text}"
    );
    assert!(text.starts_with("{\n  \"numStartups\": 42,\n  \"theme\": \"dark\",\n"));
    assert!(text.contains("\"projects\": {\"/src/app\": {\"allowedTools\": []}}"));
    let v: Value = serde_json::from_str(&text).expect("still strict JSON");
    assert_eq!(v["numStartups"], 42);
    assert_eq!(v["mcpServers"].as_object().unwrap().len(), 2);

    // Uninstall gives back the file it was.
    let (code, _, _) = bridge(
        home.path(),
        &["uninstall", "--client", "claude-code", "docs"],
    );
    assert_eq!(code, Some(0));
    let back: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(back, serde_json::from_str::<Value>(&original).unwrap());
}

#[test]
fn comments_and_trailing_commas_survive_where_the_client_allows_them() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join(".config/Code/User/mcp.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let original = "{\n\t// Servers for work\n\t\"servers\": {\n\t\t\"local\": {\"type\": \"stdio\", \"command\": \"my-server\"}, // keep me\n\t},\n\t/* inputs */\n\t\"inputs\": [],\n}\n";
    std::fs::write(&path, original).unwrap();
    let (code, _, err) = install(home.path(), "vscode", &[]);
    assert_eq!(code, Some(0), "{err}");
    let text = std::fs::read_to_string(&path).unwrap();
    for kept in [
        "\t// Servers for work\n",
        "\"local\": {\"type\": \"stdio\", \"command\": \"my-server\"}, // keep me\n",
        "/* inputs */",
        "\"inputs\": [],",
    ] {
        assert!(text.contains(kept), "{kept:?} lost:\n{text}");
    }
    let v = parse(&text);
    assert_eq!(v["servers"]["docs"]["type"], "stdio");
    assert_eq!(v["servers"]["local"]["command"], "my-server");
}

#[test]
fn empty_files_dry_runs_other_files_and_bad_input() {
    let home = tempfile::tempdir().unwrap();
    // An empty file is a new configuration.
    let path = home.path().join(".cursor/mcp.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "").unwrap();
    let (code, _, err) = install(home.path(), "cursor", &["--dry-run"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        b"",
        "a dry run writes nothing"
    );
    let (code, _, err) = install(home.path(), "cursor", &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(parse(&std::fs::read_to_string(&path).unwrap())["mcpServers"]["docs"].is_object());

    // --config names another file.
    let other = home.path().join("elsewhere.json");
    let other_arg = other.display().to_string();
    let (code, out, err) = install(home.path(), "windsurf", &["--config", &other_arg]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains(&other_arg), "{out}");
    assert!(parse(&std::fs::read_to_string(&other).unwrap())["mcpServers"]["docs"].is_object());

    // What the bridge would refuse is refused now, the file untouched.
    let before = std::fs::read(&path).unwrap();
    for args in [
        vec![
            "install",
            "--client",
            "cursor",
            "x",
            "https://example.com/mcp",
            "--no-such-option",
        ],
        vec![
            "install",
            "--client",
            "cursor",
            "x",
            "http://example.com/mcp",
        ],
        vec![
            "install",
            "--client",
            "cursor",
            "x",
            "https://example.com/mcp",
            "--header",
            "A: b",
            "--force",
        ],
    ] {
        let (code, _, err) = bridge(home.path(), &args);
        assert_eq!(code, Some(1), "{args:?}: {err}");
    }
    assert_eq!(std::fs::read(&path).unwrap(), before);

    // A file that is not JSON, or whose servers are not an object: left alone.
    for bad in ["{ not json", "[1, 2]", "{\"mcpServers\": [1]}"] {
        std::fs::write(&path, bad).unwrap();
        let (code, _, err) = install(home.path(), "cursor", &[]);
        assert_eq!(code, Some(1), "{bad}: {err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), bad);
    }
}

#[test]
fn the_written_command_starts_and_answers_initialize() {
    let server = peers::everything("streamableHttp");
    let home = tempfile::tempdir().unwrap();
    let (code, _, err) = bridge(
        home.path(),
        &[
            "install",
            "--client",
            "claude-desktop",
            "everything",
            &server.url,
            "--protocol",
            "legacy",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    let path = home
        .path()
        .join(".config/Claude/claude_desktop_config.json");
    let v = parse(&std::fs::read_to_string(path).unwrap());
    let entry = &v["mcpServers"]["everything"];
    let args: Vec<String> = entry["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    // As the client would start it: the command and its arguments only.
    let mut child = Command::new(entry["command"].as_str().unwrap())
        .args(&args)
        .env("MCP_BRIDGE_DATA_DIR", home.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(
        stdin,
        r#"{{"jsonrpc":"2.0","id":1,"method":"initialize","params":{{"protocolVersion":"2025-06-18","capabilities":{{}},"clientInfo":{{"name":"t","version":"1"}}}}}}"#
    )
    .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    drop(stdin);
    let answer: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(answer["id"], 1);
    assert!(answer["result"]["serverInfo"].is_object(), "{answer}");
    child.wait().unwrap();
}
