//! The relay against real servers over Streamable HTTP: the reference
//! "everything" server (TypeScript SDK) and the Python SDK server, both
//! installed at pinned versions by scripts/test.sh. The Python session script
//! also runs over HTTP+SSE, which the bridge must find on its own.

mod common;

use common::{peers, text_of, Bridge};
use serde_json::{json, Value};
use std::time::Duration;

async fn everything_bridge(capabilities: Value) -> (peers::Peer, Bridge) {
    let peer = peers::everything("streamableHttp");
    let mut b = Bridge::start(&peer.url, &[]).await;
    let init = b.initialize_with(capabilities).await;
    assert!(init["serverInfo"]["name"].as_str().is_some(), "{init}");
    (peer, b)
}

#[tokio::test]
async fn everything_tools_resources_prompts_and_completions() {
    let (_peer, mut b) = everything_bridge(json!({})).await;
    let tools = b.request(json!(1), "tools/list", json!({})).await;
    let names: Vec<&str> = tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"echo") && names.contains(&"get-sum"),
        "{names:?}"
    );

    let echo = b
        .call_tool(json!(2), "echo", json!({"message": "héllo ✓"}))
        .await;
    assert_eq!(text_of(&echo), "Echo: héllo ✓");
    let sum = b
        .call_tool(json!(3), "get-sum", json!({"a": 19, "b": 23}))
        .await;
    assert!(text_of(&sum).contains("42"), "{sum}");

    let resources = b.request(json!(4), "resources/list", json!({})).await;
    let first = resources["result"]["resources"][0]["uri"]
        .as_str()
        .unwrap_or_else(|| panic!("{resources}"))
        .to_owned();
    let read = b
        .request(json!(5), "resources/read", json!({"uri": first}))
        .await;
    assert_eq!(read["result"]["contents"][0]["uri"], first);
    let templates = b
        .request(json!(6), "resources/templates/list", json!({}))
        .await;
    assert!(!templates["result"]["resourceTemplates"]
        .as_array()
        .unwrap()
        .is_empty());

    let prompts = b.request(json!(7), "prompts/list", json!({})).await;
    assert!(prompts["result"]["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "simple-prompt"));
    let prompt = b
        .request(json!(8), "prompts/get", json!({"name": "simple-prompt"}))
        .await;
    assert!(!prompt["result"]["messages"].as_array().unwrap().is_empty());

    let done = b
        .request(
            json!(9),
            "completion/complete",
            json!({
                "ref": {"type": "ref/prompt", "name": "completable-prompt"},
                "argument": {"name": "department", "value": "Eng"}
            }),
        )
        .await;
    assert_eq!(
        done["result"]["completion"]["values"],
        json!(["Engineering"])
    );

    // An unknown method comes back as the server's own JSON-RPC error.
    let unknown = b.request(json!(10), "no/such/method", json!({})).await;
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    let (code, _) = b.close_and_wait().await;
    assert_eq!(code, Some(0));
}

#[tokio::test]
async fn everything_progress_notifications_arrive_before_the_result() {
    let (_peer, mut b) = everything_bridge(json!({})).await;
    b.send(
        json!({"jsonrpc":"2.0","id":"long","method":"tools/call","params":{
        "name":"trigger-long-running-operation",
        "arguments":{"duration": 1, "steps": 4},
        "_meta":{"progressToken":"tok-1"}}}),
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
            assert_eq!(m["params"]["progressToken"], "tok-1");
            progress.push(m["params"]["progress"].as_f64().unwrap());
        }
    }
    assert_eq!(progress, vec![1.0, 2.0, 3.0, 4.0]);
}

#[tokio::test]
async fn everything_sampling_request_round_trip() {
    let (_peer, mut b) = everything_bridge(json!({"sampling": {}})).await;
    b.send(
        json!({"jsonrpc":"2.0","id":"s","method":"tools/call","params":{
        "name":"trigger-sampling-request","arguments":{"prompt":"write a haiku"}}}),
    )
    .await;
    let req = b
        .recv_matching(|m| m["method"] == "sampling/createMessage")
        .await;
    let text = req["params"]["messages"][0]["content"]["text"]
        .as_str()
        .unwrap();
    assert!(text.contains("write a haiku"), "{req}");
    b.send(json!({"jsonrpc":"2.0","id":req["id"],"result":{
        "role":"assistant","model":"test-model","stopReason":"endTurn",
        "content":{"type":"text","text":"leaves fall through the bridge"}}}))
        .await;
    let r = b.response(json!("s")).await;
    assert!(
        text_of(&r).contains("leaves fall through the bridge"),
        "{r}"
    );
}

#[tokio::test]
async fn everything_elicitation_request_round_trip() {
    let (_peer, mut b) = everything_bridge(json!({"elicitation": {}})).await;
    b.send(
        json!({"jsonrpc":"2.0","id":"e","method":"tools/call","params":{
        "name":"trigger-elicitation-request","arguments":{}}}),
    )
    .await;
    let req = b
        .recv_matching(|m| m["method"] == "elicitation/create")
        .await;
    assert!(req["params"]["requestedSchema"].is_object(), "{req}");
    b.send(json!({"jsonrpc":"2.0","id":req["id"],"result":{"action":"decline"}}))
        .await;
    let r = b.response(json!("e")).await;
    assert!(text_of(&r).contains("declined"), "{r}");
}

#[tokio::test]
async fn everything_roots_are_asked_of_the_client() {
    let (_peer, mut b) = everything_bridge(json!({"roots": {"listChanged": true}})).await;
    b.send(
        json!({"jsonrpc":"2.0","id":"r","method":"tools/call","params":{
        "name":"get-roots-list","arguments":{}}}),
    )
    .await;
    // The server asks for roots (right after initialized, and/or for the tool).
    loop {
        let m = b.recv().await;
        if m["method"] == "roots/list" {
            b.send(json!({"jsonrpc":"2.0","id":m["id"],"result":{
                "roots":[{"uri":"file:///work/project-x","name":"project-x"}]}}))
                .await;
        } else if m["id"] == "r" {
            assert!(text_of(&m).contains("project-x"), "{m}");
            break;
        }
    }
}

#[tokio::test]
async fn everything_subscription_updates_arrive_on_the_get_stream() {
    let (_peer, mut b) = everything_bridge(json!({})).await;
    let uri = "demo://resource/static/document/architecture.md";
    let sub = b
        .request(json!(1), "resources/subscribe", json!({"uri": uri}))
        .await;
    assert!(sub.get("result").is_some(), "{sub}");
    let toggled = b
        .call_tool(json!(2), "toggle-subscriber-updates", json!({}))
        .await;
    assert!(toggled.get("result").is_some(), "{toggled}");
    // Sent with no related request, so only the GET stream can carry it.
    let update = b
        .recv_matching(|m| m["method"] == "notifications/resources/updated")
        .await;
    assert_eq!(update["params"]["uri"], uri);
}

#[tokio::test]
async fn everything_simulated_logging_reaches_the_client() {
    let (_peer, mut b) = everything_bridge(json!({})).await;
    let set = b
        .request(json!(1), "logging/setLevel", json!({"level": "debug"}))
        .await;
    assert!(set.get("result").is_some(), "{set}");
    b.call_tool(json!(2), "toggle-simulated-logging", json!({}))
        .await;
    let log = b
        .recv_matching(|m| {
            m["method"] == "notifications/message"
                && m["params"]["data"]
                    .as_str()
                    .is_some_and(|d| d.contains("-level message") || d.contains("level-message"))
        })
        .await;
    assert!(log["params"]["level"].is_string(), "{log}");
}

#[tokio::test]
async fn everything_one_mib_argument_round_trips() {
    let (_peer, mut b) = everything_bridge(json!({})).await;
    let blob: String = (0..(1 << 20))
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let r = b
        .call_tool(json!(1), "echo", json!({"message": blob}))
        .await;
    assert_eq!(text_of(&r), format!("Echo: {blob}"));
}

async fn python_session(mode: &str) {
    let peer = peers::python(mode);
    let mut b = Bridge::start(&peer.url, &["-v"]).await;
    let init = b.initialize().await;
    assert_eq!(init["serverInfo"]["name"], "py-peer");
    if mode == "sse" {
        b.wait_stderr("transport: HTTP+SSE").await;
    }
    let tools = b.request(json!(1), "tools/list", json!({})).await;
    assert_eq!(tools["result"]["tools"].as_array().unwrap().len(), 6);
    let add = b.call_tool(json!(2), "add", json!({"a": 40, "b": 2})).await;
    assert_eq!(add["result"]["structuredContent"]["result"], 42, "{add}");
    let echo = b
        .call_tool(json!(3), "echo", json!({"text": "x\ny \"z\" ✓"}))
        .await;
    assert_eq!(
        echo["result"]["structuredContent"]["result"],
        "x\ny \"z\" ✓"
    );
    let read = b
        .request(
            json!(4),
            "resources/read",
            json!({"uri": "peer://greeting"}),
        )
        .await;
    assert_eq!(read["result"]["contents"][0]["text"], "hello from python");
    let prompt = b
        .request(
            json!(5),
            "prompts/get",
            json!({"name":"review","arguments":{"code":"fn x(){}"}}),
        )
        .await;
    assert!(prompt["result"]["messages"][0]["content"]["text"]
        .as_str()
        .unwrap()
        .contains("fn x(){}"));
    if mode == "stateful" {
        b.send(
            json!({"jsonrpc":"2.0","id":6,"method":"tools/call","params":{
            "name":"count","arguments":{"steps":3},"_meta":{"progressToken":99}}}),
        )
        .await;
        let mut seen = 0;
        loop {
            let m = b.recv().await;
            if m["method"] == "notifications/progress" {
                assert_eq!(m["params"]["progressToken"], 99);
                seen += 1;
            } else if m["id"] == 6 {
                assert_eq!(m["result"]["structuredContent"]["result"], "counted 3");
                break;
            }
        }
        assert_eq!(seen, 3, "every progress notification before the result");
    }
    // Concurrency against a real server.
    for n in 0..20 {
        b.send(json!({"jsonrpc":"2.0","id":100 + n,"method":"tools/call","params":{"name":"add","arguments":{"a":n,"b":1000}}}))
            .await;
    }
    for n in 0..20 {
        let r = b.response(json!(100 + n)).await;
        assert_eq!(r["result"]["structuredContent"]["result"], 1000 + n);
    }
    let (code, took) = b.close_and_wait().await;
    assert_eq!(code, Some(0));
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[tokio::test]
async fn python_sdk_stateful_server() {
    python_session("stateful").await;
}

#[tokio::test]
async fn python_sdk_stateless_json_server() {
    python_session("stateless-json").await;
}

#[tokio::test]
async fn python_sdk_over_sse() {
    python_session("sse").await;
}
