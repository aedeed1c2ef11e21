//! `mcp-bridge serve --config FILE`: the stdio servers of an `mcpServers`
//! file behind one port, each at `/servers/NAME/mcp`, reached by real
//! clients (the Python SDK's, and mcp-bridge's handshake-era session).
//! The servers are real: server-everything, a Python SDK server, and
//! server-filesystem on a temporary folder. SIGHUP after an edit adds,
//! restarts and removes servers, and a session open on an untouched one
//! goes on; a bad edit changes nothing.

// SIGHUP.
#![cfg(unix)]

mod common;

use common::served::Served;
use common::{peers, Bridge};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

fn node_server(package: &str, args: &[&str]) -> Value {
    let script = peers::dir().join(format!("node_modules/{package}/dist/index.js"));
    assert!(
        script.exists(),
        "run scripts/test.sh: it installs the peers"
    );
    let mut all = vec![script.display().to_string()];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    json!({"command": "node", "args": all})
}

fn python_server() -> Value {
    json!({
        "command": peers::venv_python().display().to_string(),
        "args": [peers::dir().join("fixture_server.py").display().to_string()],
    })
}

fn write(path: &Path, servers: Value) {
    std::fs::write(path, json!({ "mcpServers": servers }).to_string()).unwrap();
}

/// What the Python SDK's client (tests/peers/tool_client.py) got: the
/// server's tool names and the call's result.
fn tool_client(url: &str, tool: &str, args: Value, mode: &str) -> (Vec<String>, Value) {
    let out = std::process::Command::new(peers::venv_python())
        .arg(peers::dir().join("tool_client.py"))
        .args([url, tool, &args.to_string(), mode])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{url}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let tools = v["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    (tools, v["result"].clone())
}

async fn wait_for_log(served: &Served, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !served.stderr().contains(what) {
        assert!(
            Instant::now() < deadline,
            "no {what:?} in: {}",
            served.stderr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn hangup(served: &Served) {
    let pid = served.child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap();
    assert!(status.success());
}

async fn status_of(url: &str) -> u16 {
    common::person()
        .get(url)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_behind_one_port_and_a_sighup_that_changes_them() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("shared-folder");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("hello.txt"), "hello from the folder").unwrap();
    let folder = folder.canonicalize().unwrap().display().to_string();
    let config = dir.path().join("servers.json");
    let everything = node_server("@modelcontextprotocol/server-everything", &["stdio"]);
    let files = node_server("@modelcontextprotocol/server-filesystem", &[&folder]);
    write(
        &config,
        json!({
            "everything": everything,
            "python": python_server(),
            "files": files,
            // What clients' configs also hold, and serve leaves out.
            "remote": {"url": "https://example.com/mcp"},
        }),
    );
    let served = Served::start(&["--config", config.to_str().unwrap()], &[]).await;
    let base = format!("http://127.0.0.1:{}", served.port);
    let at = |name: &str| format!("{base}/servers/{name}/mcp");

    // The listing names each server and where it is; no command line.
    let listing = common::person()
        .get(format!("{base}/servers"))
        .send()
        .await
        .unwrap();
    let listing: Value = serde_json::from_str(&listing.text().await.unwrap()).unwrap();
    let names: Vec<&str> = listing["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["everything", "files", "python"], "{listing}");
    assert_eq!(listing["servers"][1]["url"], at("files"));
    assert!(!listing.to_string().contains("node"), "{listing}");

    // Each server by its own path, from the Python SDK's client.
    let (tools, result) = tool_client(
        &at("everything"),
        "echo",
        json!({"message": "to everything"}),
        "legacy",
    );
    assert!(tools.contains(&"get-sum".to_owned()), "{tools:?}");
    assert!(result.to_string().contains("to everything"), "{result}");
    let (tools, result) = tool_client(
        &at("files"),
        "list_directory",
        json!({"path": folder}),
        "legacy",
    );
    assert!(tools.contains(&"read_text_file".to_owned()), "{tools:?}");
    assert!(result.to_string().contains("hello.txt"), "{result}");
    let (tools, result) = tool_client(&at("python"), "test_simple_text", json!({}), "legacy");
    assert!(tools.contains(&"test_sampling".to_owned()), "{tools:?}");
    assert!(!result.to_string().contains("isError\":true"), "{result}");
    // A 2026-07-28 client too, sessionless.
    let (_, result) = tool_client(&at("python"), "test_simple_text", json!({}), "2026-07-28");
    assert!(!result.to_string().contains("isError\":true"), "{result}");
    // A legacy HTTP+SSE client is told the server's own messages path.
    let mut sse = common::person()
        .get(format!("{base}/servers/files/sse"))
        .send()
        .await
        .unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), sse.chunk())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let first = String::from_utf8_lossy(&first).to_string();
    assert!(
        first.contains("data: /servers/files/messages?sessionId="),
        "{first}"
    );
    drop(sse);
    assert_eq!(status_of(&format!("{base}/servers/remote/mcp")).await, 404);
    assert_eq!(status_of(&format!("{base}/servers/../mcp")).await, 404);

    // A handshake-era session on everything, held open across the SIGHUP.
    let mut b = Bridge::start(&at("everything"), &["--protocol", "legacy"]).await;
    b.initialize().await;
    let r = b
        .call_tool(json!(1), "echo", json!({"message": "before"}))
        .await;
    assert!(r.to_string().contains("before"), "{r}");

    // An edit: one server added, one changed (restarted), one removed.
    write(
        &config,
        json!({
            "everything": node_server("@modelcontextprotocol/server-everything", &["stdio"]),
            "files": node_server("@modelcontextprotocol/server-filesystem", &[&folder, "/tmp"]),
            "more": python_server(),
        }),
    );
    hangup(&served);
    wait_for_log(&served, "read again").await;
    let log = served.stderr();
    assert!(
        log.contains(r#"added ["more"], restarted ["files"], removed ["python"], 1 unchanged"#),
        "{log}"
    );
    // The session open on the untouched server goes on, on its process.
    let r = b
        .call_tool(json!(2), "echo", json!({"message": "after"}))
        .await;
    assert!(r.to_string().contains("after"), "{r}");
    let (_, result) = tool_client(&at("more"), "test_simple_text", json!({}), "legacy");
    assert!(!result.to_string().contains("isError\":true"), "{result}");
    let (_, result) = tool_client(
        &at("files"),
        "list_allowed_directories",
        json!({}),
        "legacy",
    );
    assert!(result.to_string().contains("/tmp"), "restarted: {result}");
    assert_eq!(status_of(&at("python")).await, 404);

    // A bad edit changes nothing.
    std::fs::write(&config, "{\"mcpServers\": ").unwrap();
    hangup(&served);
    wait_for_log(&served, "serving on as before").await;
    let r = b
        .call_tool(json!(3), "echo", json!({"message": "still"}))
        .await;
    assert!(r.to_string().contains("still"), "{r}");
    let (_, result) = tool_client(&at("more"), "test_simple_text", json!({}), "legacy");
    assert!(!result.to_string().contains("isError\":true"), "{result}");

    // Through all of it, everything's one session had one process.
    let started = served
        .stderr()
        .lines()
        .filter(|l| l.contains("everything session") && l.contains("started"))
        .count();
    assert_eq!(started, 2, "one for the Python client, one for the bridge");
    let (code, _) = b.close_and_wait().await;
    assert_eq!(code, Some(0));
}

#[tokio::test]
async fn a_config_that_cannot_be_served_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("servers.json");
    for (text, want) in [
        (
            "{\"mcpServers\": {\"a/b\": {\"command\": \"x\"}}}",
            "not a server name",
        ),
        (
            "{\"mcpServers\": {\"r\": {\"url\": \"https://x\"}}}",
            "no server to serve",
        ),
        ("[", "is not JSON"),
    ] {
        std::fs::write(&config, text).unwrap();
        let out = std::process::Command::new(common::bin())
            .args(["serve", "--port", "0", "--config"])
            .arg(&config)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{text}");
        assert!(err.contains(want), "{text}: {err}");
    }
    // --config names the servers: not with a COMMAND.
    let out = std::process::Command::new(common::bin())
        .args(["serve", "--config"])
        .arg(&config)
        .args(["--", "node"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// An entry's own limits hold for it alone: `maxSessions: 1` gives its
/// second session 503, while the next server, on the command line's
/// limit, takes more.
#[tokio::test]
async fn each_server_keeps_its_own_limits() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("servers.json");
    let mut one = node_server("@modelcontextprotocol/server-everything", &["stdio"]);
    one["maxSessions"] = json!(1);
    let two = node_server("@modelcontextprotocol/server-everything", &["stdio"]);
    write(&config, json!({"one": one, "two": two}));
    let served = Served::start(&["--config", config.to_str().unwrap()], &[]).await;
    let base = format!("http://127.0.0.1:{}", served.port);
    let initialize = |name: &str| {
        let url = format!("{base}/servers/{name}/mcp");
        async move {
            let init = json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
                "protocolVersion":"2025-06-18","capabilities":{},
                "clientInfo":{"name":"t","version":"1"}}});
            common::person()
                .post(url)
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .body(init.to_string())
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(initialize("one").await, 200);
    assert_eq!(initialize("one").await, 503, "{}", served.stderr());
    assert_eq!(initialize("two").await, 200);
    assert_eq!(initialize("two").await, 200);
}
