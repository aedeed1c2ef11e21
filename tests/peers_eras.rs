//! Real servers over the HTTP+SSE transport and in both protocol eras: the
//! reference "everything" server in `sse` mode, the Python SDK server over
//! Streamable HTTP and serving only 2026-07-28 (over SSE it runs the shared
//! session script in peers_streamable.rs), and the Python SDK's own stdio
//! client (automatic era mode) spawning mcp-bridge.

mod common;

use common::{peers, text_of, Bridge};
use serde_json::json;

#[tokio::test]
async fn everything_over_sse_echo_sum_progress_and_sampling() {
    let peer = peers::everything("sse");
    let mut b = Bridge::start(&peer.url, &["-v"]).await;
    let init = b.initialize_with(json!({"sampling": {}})).await;
    assert!(init["serverInfo"]["name"].as_str().is_some(), "{init}");
    b.wait_stderr("transport: HTTP+SSE").await;

    let echo = b
        .call_tool(json!(1), "echo", json!({"message": "over sse"}))
        .await;
    assert_eq!(text_of(&echo), "Echo: over sse");
    let sum = b
        .call_tool(json!(2), "get-sum", json!({"a": 40, "b": 2}))
        .await;
    assert!(text_of(&sum).contains("42"), "{sum}");

    b.send(
        json!({"jsonrpc":"2.0","id":"long","method":"tools/call","params":{
        "name":"trigger-long-running-operation",
        "arguments":{"duration": 1, "steps": 3},
        "_meta":{"progressToken":"p-sse"}}}),
    )
    .await;
    let mut progress = Vec::new();
    loop {
        let m = b.recv().await;
        if m["id"] == "long" {
            assert!(text_of(&m).contains("completed"), "{m}");
            break;
        }
        if m["method"] == "notifications/progress" {
            assert_eq!(m["params"]["progressToken"], "p-sse");
            progress.push(m["params"]["progress"].as_f64().unwrap());
        }
    }
    assert_eq!(progress, vec![1.0, 2.0, 3.0]);

    let r = b.sampling_round_trip(json!("s"), "streams flow east").await;
    assert!(text_of(&r).contains("streams flow east"), "{r}");
    let (code, _) = b.close_and_wait().await;
    assert_eq!(code, Some(0));
}

#[test]
fn python_sdk_client_in_auto_mode_against_a_server_of_each_era() {
    // A handshake-era server: the client's server/discover probe is refused,
    // it falls back to initialize through the bridge.
    let legacy = peers::everything("streamableHttp");
    let r = peers::python_client(&legacy.url, "echo", r#"{"message": "from python"}"#);
    assert_eq!(r["text"], "Echo: from python", "{r}");
    let version = r["protocolVersion"].as_str().unwrap();
    assert!(version.starts_with("2025-"), "a handshake-era version: {r}");

    // A server that speaks 2026-07-28: the client stays modern, end to end.
    let modern = peers::python("stateful");
    let r = peers::python_client(&modern.url, "add", r#"{"a": 2, "b": 3}"#);
    assert_eq!(r["protocolVersion"], "2026-07-28", "{r}");
    assert_eq!(r["text"], "5", "{r}");

    let only = peers::python("modern-only");
    let r = peers::python_client(&only.url, "echo", r#"{"text": "modern only"}"#);
    assert_eq!(r["protocolVersion"], "2026-07-28", "{r}");
    assert_eq!(r["text"], "modern only", "{r}");
}

#[tokio::test]
async fn a_handshake_client_can_use_a_server_that_speaks_only_2026_07_28() {
    let peer = peers::python("modern-only");
    let mut b = Bridge::start(&peer.url, &["-v"]).await;
    let init = b.initialize_with(json!({"elicitation": {}})).await;
    // The bridge answers initialize from what server/discover declared.
    assert_eq!(init["protocolVersion"], "2025-06-18");
    assert_eq!(init["serverInfo"]["name"], "py-peer");
    assert_eq!(init["capabilities"]["tools"]["listChanged"], true);
    b.wait_stderr("protocol era: 2026-07-28").await;

    let r = b.call_tool(json!(1), "add", json!({"a": 1, "b": 2})).await;
    assert_eq!(text_of(&r), "3");
    // ping is gone in 2026-07-28; the bridge answers it.
    let ping = b.request(json!(2), "ping", json!({})).await;
    assert_eq!(ping["result"], json!({}));

    // A notification through the subscriptions/listen stream.
    let touched = b.call_tool(json!(3), "touch", json!({})).await;
    assert_eq!(text_of(&touched), "touched");
    let changed = b
        .recv_matching(|m| m["method"] == "notifications/tools/list_changed")
        .await;
    assert!(changed.get("id").is_none());

    // One input_required round: the server's elicitation reaches the client
    // as an ordinary request, and the original call is repeated with the answer.
    b.send(json!({"jsonrpc":"2.0","id":"g","method":"tools/call",
        "params":{"name":"greet","arguments":{}}}))
        .await;
    let ask = b
        .recv_matching(|m| m["method"] == "elicitation/create")
        .await;
    assert_eq!(ask["params"]["message"], "What is your name?");
    b.send(json!({"jsonrpc":"2.0","id":ask["id"],"result":{
        "action":"accept","content":{"name":"Ada"}}}))
        .await;
    let r = b.response(json!("g")).await;
    assert_eq!(text_of(&r), "Hello, Ada!", "{r}");

    // Progress for a request still flows on its own stream.
    b.send(json!({"jsonrpc":"2.0","id":"c","method":"tools/call",
        "params":{"name":"count","arguments":{"steps":3},"_meta":{"progressToken":"t"}}}))
        .await;
    let mut progress = 0;
    loop {
        let m = b.recv().await;
        if m["method"] == "notifications/progress" {
            progress += 1;
        } else if m["id"] == "c" {
            assert_eq!(text_of(&m), "counted 3");
            break;
        }
    }
    assert_eq!(progress, 3);
    let (code, _) = b.close_and_wait().await;
    assert_eq!(code, Some(0));
}

#[tokio::test]
async fn legacy_protocol_cannot_reach_a_modern_only_server_and_says_why() {
    let peer = peers::python("modern-only");
    let mut b = Bridge::start(&peer.url, &["--protocol", "legacy"]).await;
    let r = b
        .request(json!("init"), "initialize", common::init_params())
        .await;
    let text = r["error"]["message"].as_str().unwrap_or_default();
    assert!(text.contains("Unsupported protocol version"), "{r}");
    assert_eq!(r["error"]["code"], -32022);
}

#[tokio::test]
async fn python_sdk_checks_the_mcp_param_headers_the_bridge_sends() {
    // The SDK's 2026-07-28 server validates Mcp-Param-* headers against the
    // body: without them, or with a wrong one, it refuses the call.
    let peer = peers::python("modern-only");
    let call = |region: &str, header: Option<&str>| {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
            "name": "locate", "arguments": {"region": region, "query": "q"},
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {},
                "io.modelcontextprotocol/clientInfo": {"name": "direct", "version": "1"}}}});
        let mut req = common::person()
            .post(&peer.url)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/call")
            .header("mcp-name", "locate")
            .body(body.to_string());
        if let Some(h) = header {
            req = req.header("mcp-param-region", h);
        }
        req.send()
    };
    for wrong in [None, Some("elsewhere")] {
        let resp = call("us-west1", wrong).await.unwrap();
        assert_eq!(resp.status(), 400, "{wrong:?}");
        let text = resp.text().await.unwrap();
        assert!(text.contains("-32020"), "{wrong:?}: {text}");
    }
    assert_eq!(
        call("us-west1", Some("us-west1")).await.unwrap().status(),
        200
    );

    // Through the bridge, for a handshake-era client: ASCII, non-ASCII and
    // a trailing space all arrive as the server checks them.
    let mut b = Bridge::start(&peer.url, &[]).await;
    b.initialize().await;
    for (id, region) in [(1, "us-west1"), (2, "Zürich 東京"), (3, "us-west1 ")] {
        let r = b
            .call_tool(json!(id), "locate", json!({"region": region, "query": "q"}))
            .await;
        assert_eq!(text_of(&r), format!("{region}|q"), "{r}");
    }
}
