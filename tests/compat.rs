//! mcp-remote compatibility: every flag of mcp-remote 0.15.1 is accepted
//! with its meaning, unbuilt features are refused by name, and tools are
//! filtered (against the reference "everything" server and a fake for
//! pagination).

mod common;

use common::fake::{self, Fake, Reply};
use common::{peers, Bridge};
use serde_json::{json, Value};

fn tool_names(list: &Value) -> Vec<String> {
    list["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("a tools/list result: {list}"))
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_mcp_remote_flag_is_accepted() {
    let server = Fake::start(fake::mcp).await;
    let dir = tempfile::tempdir().unwrap();
    let header_file = dir.path().join("headers");
    std::fs::write(&header_file, "# a comment\nX-From-File: yes\n").unwrap();
    let header_file = header_file.to_str().unwrap();
    let port = common::free_port().to_string();
    // mcp-remote's order: URL, callback port, then flags. Windows clients
    // split "Name: value" on the space, so Name:value must work too.
    let mut b = Bridge::start_with_env(
        &server.url,
        &[
            &port,
            "--header",
            "X-Team:${TEAM}",
            "--header-file",
            header_file,
            "--allow-http",
            "--transport",
            "http-first",
            "--protocol",
            "auto",
            "--host",
            "localhost",
            "--callback-path",
            "/oauth/cb",
            "--auth-success-url",
            "https://example.com/signed-in",
            "--static-oauth-client-metadata",
            r#"{"scope": "read"}"#,
            "--static-oauth-client-info",
            r#"{"client_id": "pre-registered"}"#,
            "--client-metadata-url",
            "https://example.com/client.json",
            "--resource",
            "https://example.com/mcp",
            "--disable-resource-parameter",
            "--authorize-param",
            "audience=https://api.example.com",
            "--ignore-tool",
            "delete*",
            "--auth-timeout",
            "60",
            "--connect-timeout",
            "5",
            "--headers-timeout",
            "30",
            "--body-timeout",
            "300",
            "--ipv4",
            "--enable-proxy",
            "--keep-alive",
            "--ping-interval",
            "20",
            "--disable-cookies",
            "--debug",
            "--silent",
        ],
        &[("TEAM", "blue")],
    )
    .await;
    b.initialize().await;
    let r = b.call_tool(json!(2), "echo", json!({"ok": 1})).await;
    assert_eq!(r["result"]["echo"], json!({"ok": 1}), "{r}");
    let refused = b.call_tool(json!(3), "delete_all", json!({})).await;
    assert_eq!(refused["error"]["code"], -32602, "{refused}");

    let init = server
        .wait_for("initialize", |s| s.rpc_method() == "initialize")
        .await;
    assert_eq!(init.header("x-team").as_deref(), Some("blue"));
    assert_eq!(init.header("x-from-file").as_deref(), Some("yes"));
    assert!(
        !server.seen().iter().any(|s| s.rpc_method() == "tools/call"
            && s.body.as_ref().unwrap()["params"]["name"] == "delete_all"),
        "a hidden tool never reaches the server"
    );

    // --debug: a log file of this server's own, written even with --silent.
    let logs = b.data_dir().join("logs");
    let log = std::fs::read_dir(&logs)
        .unwrap_or_else(|e| panic!("{}: {e}", logs.display()))
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("_debug.log"))
        .expect("a _debug.log file");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("relaying to"), "{text}");
    assert!(
        text.contains("refused a call to the tool \"delete_all\""),
        "{text}"
    );
    assert!(
        !text.contains("blue"),
        "header values stay out of logs: {text}"
    );
    // --silent: nothing on stderr.
    b.close_and_wait().await;
    assert_eq!(b.stderr(), "");
}

/// A server with two pages of tools, and a call that first announces a
/// change of the tool list.
fn paged(seen: &fake::Seen) -> Reply {
    let id = seen.rpc_id();
    let tool = |n: &str| json!({"name": n, "inputSchema": {"type": "object"}});
    match seen.rpc_method() {
        "tools/list" => {
            let cursor = &seen.body.as_ref().unwrap()["params"]["cursor"];
            let page = if cursor == "page-2" {
                json!({"tools": [tool("Admin_Reset"), tool("search")]})
            } else {
                json!({"tools": [tool("read_file"), tool("admin_delete")], "nextCursor": "page-2"})
            };
            Reply::Json(200, fake::result(&id, page).to_string(), vec![])
        }
        "tools/call" => Reply::Sse(
            vec![
                fake::event(
                    &json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}),
                ),
                fake::event(&fake::result(&id, json!({"content": []}))),
            ],
            vec![],
        ),
        _ => fake::mcp(seen),
    }
}

#[tokio::test]
async fn filtering_covers_every_page_and_keeps_list_changed() {
    let server = Fake::start(paged).await;
    let mut b = Bridge::start(&server.url, &["--ignore-tool", "ADMIN_*"]).await;
    b.initialize().await;
    let first = b.request(json!(1), "tools/list", json!({})).await;
    assert_eq!(tool_names(&first), ["read_file"]);
    assert_eq!(first["result"]["nextCursor"], "page-2");
    let second = b
        .request(json!(2), "tools/list", json!({"cursor": "page-2"}))
        .await;
    assert_eq!(tool_names(&second), ["search"]);

    b.send(json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"search","arguments":{}}}))
        .await;
    let note = b
        .recv_matching(|v| v["method"] == "notifications/tools/list_changed")
        .await;
    assert!(note.get("id").is_none(), "{note}");
    let r = b.response(json!(3)).await;
    assert!(r["result"].is_object(), "{r}");

    let refused = b.call_tool(json!(4), "admin_reset", json!({})).await;
    assert_eq!(refused["error"]["code"], -32602, "{refused}");
    let msg = refused["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("admin_reset") && msg.contains("--ignore-tool"),
        "{msg}"
    );
}

#[tokio::test]
async fn allow_tool_offers_only_what_matches() {
    let server = Fake::start(paged).await;
    let mut b = Bridge::start(
        &server.url,
        &["--allow-tool", "*_*", "--ignore-tool", "admin_delete"],
    )
    .await;
    b.initialize().await;
    let first = b.request(json!(1), "tools/list", json!({})).await;
    assert_eq!(tool_names(&first), ["read_file"]);
    let second = b
        .request(json!(2), "tools/list", json!({"cursor": "page-2"}))
        .await;
    assert_eq!(tool_names(&second), ["Admin_Reset"]);
    let refused = b.call_tool(json!(3), "search", json!({})).await;
    let msg = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("--allow-tool"), "{refused}");
}

#[tokio::test]
async fn everything_server_tools_are_filtered() {
    let peer = peers::everything("streamableHttp");
    let mut b = Bridge::start(
        &peer.url,
        &[
            "--ignore-tool",
            "GET-*",
            "--ignore-tool",
            "trigger-*-request*",
        ],
    )
    .await;
    // Declaring roots and sampling makes the server register more tools
    // after initialization and announce them with list_changed.
    b.initialize_with(json!({"roots": {"listChanged": true}, "sampling": {}}))
        .await;
    let note = b
        .recv_matching(|v| v["method"] == "notifications/tools/list_changed")
        .await;
    assert!(note.get("id").is_none(), "{note}");
    let names = tool_names(&b.request(json!(1), "tools/list", json!({})).await);
    assert!(names.contains(&"echo".to_owned()), "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| !n.starts_with("get-") && !n.contains("-request")),
        "{names:?}"
    );
    let unfiltered = {
        let mut plain = Bridge::start(&peer.url, &[]).await;
        plain
            .initialize_with(json!({"roots": {"listChanged": true}, "sampling": {}}))
            .await;
        tool_names(&plain.request(json!(1), "tools/list", json!({})).await)
    };
    assert!(
        unfiltered.contains(&"get-sum".to_owned())
            && unfiltered.contains(&"get-roots-list".to_owned()),
        "{unfiltered:?}"
    );
    assert!(names.len() < unfiltered.len());

    let echo = b
        .call_tool(json!(2), "echo", json!({"message": "still here"}))
        .await;
    assert_eq!(common::text_of(&echo), "Echo: still here");
    let refused = b
        .call_tool(json!(3), "get-sum", json!({"a": 1, "b": 2}))
        .await;
    assert_eq!(refused["error"]["code"], -32602, "{refused}");
}
