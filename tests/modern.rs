//! Revision 2026-07-28 spoken the way the specification asks, for a client
//! that speaks it (relayed) and one that sent `initialize` (translated):
//! `Mcp-Param-*` headers from `x-mcp-header`, tools that break its rules left
//! out, a `HeaderMismatch` retried once after listing again, a new id for
//! each input round and for a request whose stream broke, and cancellation
//! by closing the stream.

mod common;

use axum::http::Method;
use base64::Engine as _;
use common::fake::{event, result, Fake, Reply, Seen, Step};
use common::Bridge;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

const MODERN: &str = "2026-07-28";

fn meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "modern-client", "version": "1"}
    })
}

fn discover(s: &Seen) -> Reply {
    Reply::Json(
        200,
        result(&s.rpc_id(), json!({
            "supportedVersions": [MODERN], "capabilities": {"tools": {}},
            "resultType": "complete", "cacheScope": "public", "ttlMs": 0,
            "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "annotated", "version": "1"}}
        }))
        .to_string(),
        vec![],
    )
}

/// A `tools/list` answer naming no tool.
fn no_tools(s: &Seen) -> Reply {
    Reply::Json(
        200,
        result(&s.rpc_id(), json!({"tools": []})).to_string(),
        vec![],
    )
}

fn refuse(code: i64, text: &str) -> Reply {
    Reply::Json(
        400,
        json!({"jsonrpc":"2.0","id":null,"error":{"code":code,"message":text}}).to_string(),
        vec![],
    )
}

/// A header value as the server reads it: the base64 form decoded.
fn decoded(v: &str) -> String {
    match v
        .strip_prefix("=?base64?")
        .and_then(|r| r.strip_suffix("?="))
    {
        Some(b) => String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(b)
                .expect("valid base64"),
        )
        .unwrap(),
        None => v.to_owned(),
    }
}

/// The text a header must carry for a JSON argument, as a server checks it.
fn as_header(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A 2026-07-28 server with a tool `route` whose `region` goes into the
/// header named by `header` (and `opts.tier` into `Tier`), and a tool
/// `broken` whose annotation is on a number. Calls whose headers do not
/// match the body are refused with -32020, as a server must.
fn annotated(header: Arc<std::sync::Mutex<&'static str>>) -> impl Fn(&Seen) -> Reply + Send + Sync {
    move |s| {
        let h = *header.lock().unwrap();
        match s.rpc_method() {
            "server/discover" => discover(s),
            "tools/list" => Reply::Json(
                200,
                result(
                    &s.rpc_id(),
                    json!({
                        "tools": [
                            {"name": "route", "inputSchema": {"type": "object", "properties": {
                                "region": {"type": "string", "x-mcp-header": h},
                                "opts": {"type": "object", "properties": {
                                    "tier": {"type": "integer", "x-mcp-header": "Tier"}}},
                                "q": {"type": "string"}}}},
                            {"name": "broken", "inputSchema": {"type": "object", "properties": {
                                "n": {"type": "number", "x-mcp-header": "N"}}}}
                        ],
                        "resultType": "complete", "ttlMs": 60000, "cacheScope": "private"
                    }),
                )
                .to_string(),
                vec![],
            ),
            "tools/call" => {
                let args = s.body.as_ref().unwrap()["params"]["arguments"].clone();
                for (name, value) in [(h, &args["region"]), ("Tier", &args["opts"]["tier"])] {
                    let got = s.header(&format!("mcp-param-{}", name.to_lowercase()));
                    match (as_header(value), got) {
                        (None, None) => {}
                        (Some(want), Some(got)) if decoded(&got) == want => {}
                        (want, got) => {
                            return refuse(
                                -32020,
                                &format!("Header mismatch: Mcp-Param-{name} {got:?} for {want:?}"),
                            )
                        }
                    }
                }
                if s.header("mcp-param-q").is_some() {
                    return refuse(-32020, "Header mismatch: q is not annotated");
                }
                Reply::Json(
                    200,
                    result(
                        &s.rpc_id(),
                        json!({"content": [{"type": "text", "text": "routed"}]}),
                    )
                    .to_string(),
                    vec![],
                )
            }
            _ => Reply::Status(400),
        }
    }
}

fn calls(fake: &Fake, method: &str) -> Vec<Seen> {
    fake.seen()
        .into_iter()
        .filter(|s| s.rpc_method() == method)
        .collect()
}

#[tokio::test]
async fn a_modern_client_gets_mcp_param_headers_and_only_valid_tools() {
    let fake = Fake::start(annotated(Arc::new(std::sync::Mutex::new("Region")))).await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    let list = b
        .request(json!(1), "tools/list", json!({"_meta": meta()}))
        .await;
    let names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["route"],
        "the tool that breaks the rules is left out"
    );
    assert_eq!(
        list["result"]["ttlMs"], 60000,
        "caching hints pass untouched"
    );
    b.wait_stderr(r#"the tool "broken" is left out of tools/list"#)
        .await;

    for (id, region) in [
        (2, "us-west1"),
        (3, "Hello, 世界"),
        (4, "us-west1 "),
        (5, "=?base64?x?="),
    ] {
        let r = b
            .request(
                json!(id),
                "tools/call",
                json!({"name": "route", "arguments": {"region": region, "opts": {"tier": 3}, "q": "x"}, "_meta": meta()}),
            )
            .await;
        assert_eq!(
            r["result"]["content"][0]["text"], "routed",
            "{region:?}: {r}"
        );
    }
    let sent = calls(&fake, "tools/call");
    assert_eq!(sent.len(), 4, "every call went once: the headers matched");
    assert_eq!(
        sent[0].header("mcp-param-region").as_deref(),
        Some("us-west1")
    );
    assert_eq!(sent[0].header("mcp-param-tier").as_deref(), Some("3"));
    assert_eq!(
        sent[1].header("mcp-param-region").as_deref(),
        Some("=?base64?SGVsbG8sIOS4lueVjA==?=")
    );
    assert_eq!(
        sent[2].header("mcp-param-region").as_deref(),
        Some("=?base64?dXMtd2VzdDEg?=")
    );
    // No tier: no header; null: no header.
    let r = b
        .request(
            json!(6),
            "tools/call",
            json!({"name": "route", "arguments": {"region": "eu", "opts": {"tier": null}}, "_meta": meta()}),
        )
        .await;
    assert_eq!(r["result"]["content"][0]["text"], "routed", "{r}");
    assert_eq!(calls(&fake, "tools/call")[4].header("mcp-param-tier"), None);

    let r = b
        .request(
            json!(7),
            "tools/call",
            json!({"name": "broken", "arguments": {"n": 1.5}, "_meta": meta()}),
        )
        .await;
    assert_eq!(r["error"]["code"], -32602, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("x-mcp-header"),
        "{r}"
    );
    assert_eq!(
        calls(&fake, "tools/list").len(),
        1,
        "the client's list was enough"
    );
}

#[tokio::test]
async fn a_translated_call_to_an_unseen_tool_lists_the_tools_first() {
    let fake = Fake::start(annotated(Arc::new(std::sync::Mutex::new("Region")))).await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    let init = b.initialize().await;
    assert_eq!(init["serverInfo"]["name"], "annotated");
    let r = b
        .call_tool(
            json!(1),
            "route",
            json!({"region": "ap-south", "opts": {"tier": 1}}),
        )
        .await;
    assert_eq!(r["result"]["content"][0]["text"], "routed", "{r}");
    let lists = calls(&fake, "tools/list");
    assert_eq!(lists.len(), 1);
    let own_meta = &lists[0].body.as_ref().unwrap()["params"]["_meta"];
    assert_eq!(
        own_meta["io.modelcontextprotocol/clientInfo"]["name"],
        "bridge-tests"
    );
    assert_eq!(lists[0].header("mcp-method").as_deref(), Some("tools/list"));
    // The client's own tools/list is filtered as well.
    let list = b.request(json!(2), "tools/list", json!({})).await;
    assert_eq!(
        list["result"]["tools"].as_array().unwrap().len(),
        1,
        "{list}"
    );
}

#[tokio::test]
async fn a_header_mismatch_lists_again_and_retries_once() {
    let header = Arc::new(std::sync::Mutex::new("Region"));
    let fake = Fake::start(annotated(Arc::clone(&header))).await;
    let mut b = Bridge::start(&fake.url, &["-v"]).await;
    b.request(json!(1), "tools/list", json!({"_meta": meta()}))
        .await;
    // The server's schema changes: the region now goes into Mcp-Param-Zone.
    *header.lock().unwrap() = "Zone";
    let r = b
        .request(
            json!(2),
            "tools/call",
            json!({"name": "route", "arguments": {"region": "us"}, "_meta": meta()}),
        )
        .await;
    assert_eq!(r["result"]["content"][0]["text"], "routed", "{r}");
    let sent = calls(&fake, "tools/call");
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].header("mcp-param-region").as_deref(), Some("us"));
    assert_eq!(sent[1].header("mcp-param-zone").as_deref(), Some("us"));
    assert_eq!(calls(&fake, "tools/list").len(), 2, "listed again once");
    b.wait_stderr("(HeaderMismatch); listing the tools again")
        .await;

    // A server that refuses every time: one retry, then its error.
    let fake = Fake::start(|s| match s.rpc_method() {
        "server/discover" => discover(s),
        "tools/list" => no_tools(s),
        _ => refuse(-32020, "Header mismatch: always"),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    let r = b
        .request(
            json!(1),
            "tools/call",
            json!({"name": "t", "arguments": {}, "_meta": meta()}),
        )
        .await;
    assert_eq!(r["error"]["code"], -32020, "{r}");
    assert_eq!(
        calls(&fake, "tools/call").len(),
        2,
        "retried once, not more"
    );
}

#[tokio::test]
async fn each_input_round_is_a_new_request_and_the_client_sees_its_own_id() {
    let fake = Fake::start(|s| match s.rpc_method() {
        "server/discover" => discover(s),
        "tools/list" => Reply::Json(200, result(&s.rpc_id(), json!({"tools": []})).to_string(), vec![]),
        "tools/call" => {
            let params = &s.body.as_ref().unwrap()["params"];
            if params["requestState"] == "s-1" && params["inputResponses"]["who"]["action"] == "accept" {
                Reply::Json(200, result(&s.rpc_id(), json!({"content": [{"type": "text", "text": "done"}]})).to_string(), vec![])
            } else {
                Reply::Json(200, result(&s.rpc_id(), json!({
                    "resultType": "input_required",
                    "inputRequests": {"who": {"method": "elicitation/create", "params": {"message": "who?", "requestedSchema": {"type": "object"}}}},
                    "requestState": "s-1"
                })).to_string(), vec![])
            }
        }
        _ => Reply::Status(400),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize_with(json!({"elicitation": {}})).await;
    b.send(json!({"jsonrpc": "2.0", "id": 41, "method": "tools/call", "params": {"name": "ask", "arguments": {}}}))
        .await;
    let ask = b
        .recv_matching(|m| m["method"] == "elicitation/create")
        .await;
    b.send(
        json!({"jsonrpc": "2.0", "id": ask["id"], "result": {"action": "accept", "content": {}}}),
    )
    .await;
    let r = b.response(json!(41)).await;
    assert_eq!(r["result"]["content"][0]["text"], "done", "{r}");
    let sent = calls(&fake, "tools/call");
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].rpc_id(), json!(41));
    assert_ne!(
        sent[1].rpc_id(),
        json!(41),
        "the repeated request has a new id"
    );
    assert_eq!(
        sent[1].body.as_ref().unwrap()["params"]["requestState"],
        "s-1"
    );
}

#[tokio::test]
async fn a_broken_stream_is_sent_again_under_a_new_id_never_resumed() {
    let first = Arc::new(AtomicBool::new(true));
    let fake = Fake::start(move |s| match s.rpc_method() {
        "server/discover" => discover(s),
        "tools/list" => Reply::Json(200, result(&s.rpc_id(), json!({"tools": []})).to_string(), vec![]),
        "tools/call" if first.swap(false, Ordering::SeqCst) => Reply::Sse(
            vec![
                Step::Text("id: e1\ndata: \n\n".into()),
                event(&json!({"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "working"}})),
            ],
            vec![],
        ),
        "tools/call" => Reply::Sse(
            vec![event(&result(&s.rpc_id(), json!({"content": [{"type": "text", "text": "second"}]})))],
            vec![],
        ),
        _ => Reply::Status(400),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &["-v"]).await;
    let r = b
        .request(
            json!(9),
            "tools/call",
            json!({"name": "t", "arguments": {}, "_meta": meta()}),
        )
        .await;
    assert_eq!(r["id"], 9);
    assert_eq!(r["result"]["content"][0]["text"], "second", "{r}");
    let sent = calls(&fake, "tools/call");
    assert_eq!(sent.len(), 2);
    assert_ne!(sent[1].rpc_id(), json!(9), "sent again under a new id");
    assert!(
        fake.seen_with(Method::GET).is_empty(),
        "no Last-Event-ID resume in 2026-07-28"
    );
    b.wait_stderr("cannot be resumed, so it is sent again")
        .await;
}

#[tokio::test]
async fn cancelling_a_modern_request_closes_its_stream_and_posts_nothing() {
    let (tx, rx) = tokio::sync::mpsc::channel::<String>(4);
    let rx = std::sync::Mutex::new(Some(rx));
    let calls_seen = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls_seen);
    let fake = Fake::start(move |s| match s.rpc_method() {
        "tools/list" => no_tools(s),
        "tools/call" => {
            seen.fetch_add(1, Ordering::SeqCst);
            Reply::SseChannel(rx.lock().unwrap().take().expect("one call"))
        }
        "notifications/cancelled" => Reply::Status(202),
        _ => Reply::Status(400),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.send(json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "slow", "arguments": {}, "_meta": meta()}}))
        .await;
    fake.wait_for("the call", |s| s.rpc_method() == "tools/call")
        .await;
    b.send(json!({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 5, "_meta": meta()}}))
        .await;
    // The stream is closed: the server's side of it fails to send.
    let closed = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            if tx.send(": keep-alive\n\n".into()).await.is_err() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(closed.is_ok(), "the request's stream was closed");
    let r = b.request(json!(6), "ping", json!({"_meta": meta()})).await;
    assert_eq!(r["id"], 6, "nothing answered the cancelled request: {r}");
    assert!(
        calls(&fake, "notifications/cancelled").is_empty(),
        "not posted"
    );
    assert!(b.held.iter().all(|m| m["id"] != 5), "{:?}", b.held);
    assert_eq!(calls_seen.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn url_elicitation_gets_an_id_and_a_completion_for_a_2025_11_25_client() {
    const TRACE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let fake = Fake::start(|s| match s.rpc_method() {
        "server/discover" => discover(s),
        "tools/list" => no_tools(s),
        "tools/call" => {
            let params = &s.body.as_ref().unwrap()["params"];
            if params["inputResponses"]["pay"]["action"] == "accept" {
                // Trace context comes back in the result's _meta too.
                let trace = params["_meta"]["traceparent"].clone();
                Reply::Json(
                    200,
                    result(
                        &s.rpc_id(),
                        json!({
                            "content": [{"type": "text", "text": "paid"}],
                            "_meta": {"traceparent": trace}
                        }),
                    )
                    .to_string(),
                    vec![],
                )
            } else {
                Reply::Json(200, result(&s.rpc_id(), json!({
                    "resultType": "input_required",
                    "inputRequests": {"pay": {"method": "elicitation/create", "params": {
                        "mode": "url", "url": "https://pay.example/checkout", "message": "Pay"}}},
                    "requestState": "u"
                })).to_string(), vec![])
            }
        }
        _ => Reply::Status(400),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.send(
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {"elicitation": {"form": {}, "url": {}}},
        "clientInfo": {"name": "bridge-tests", "version": "1"}}}),
    )
    .await;
    b.response(json!(0)).await;
    b.send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "buy", "arguments": {}, "_meta": {"traceparent": TRACE}}}),
    )
    .await;
    let ask = b
        .recv_matching(|m| m["method"] == "elicitation/create")
        .await;
    let eid = ask["params"]["elicitationId"]
        .as_str()
        .expect("an invented elicitationId")
        .to_owned();
    assert_eq!(ask["params"]["url"], "https://pay.example/checkout");
    b.send(json!({"jsonrpc": "2.0", "id": ask["id"], "result": {"action": "accept"}}))
        .await;
    let done = b
        .recv_matching(|m| m["method"] == "notifications/elicitation/complete")
        .await;
    assert_eq!(done["params"]["elicitationId"], eid.as_str());
    let r = b.response(json!(1)).await;
    assert_eq!(r["result"]["content"][0]["text"], "paid", "{r}");
    assert_eq!(
        r["result"]["_meta"]["traceparent"], TRACE,
        "trace context both ways"
    );
    let sent = calls(&fake, "tools/call");
    assert_eq!(
        sent[0].body.as_ref().unwrap()["params"]["_meta"]["traceparent"],
        TRACE
    );
    assert_eq!(
        sent[1].body.as_ref().unwrap()["params"]["_meta"]["traceparent"],
        TRACE
    );
    assert!(
        sent[1].body.as_ref().unwrap()["params"]["inputResponses"]["pay"]
            .get("elicitationId")
            .is_none(),
        "the invented id stays between the bridge and the client"
    );
}

#[tokio::test]
async fn tools_list_changed_drops_what_the_bridge_knew_of_the_tools() {
    // A translated client: the bridge keeps a subscriptions/listen stream,
    // on which the server says its tools changed (the header is renamed).
    let header = Arc::new(std::sync::Mutex::new("Region"));
    let (tx, rx) = tokio::sync::mpsc::channel::<String>(4);
    let rx = std::sync::Mutex::new(Some(rx));
    let tools = annotated(Arc::clone(&header));
    let fake = Fake::start(move |s| match s.rpc_method() {
        "server/discover" => Reply::Json(
            200,
            result(
                &s.rpc_id(),
                json!({
                    "supportedVersions": [MODERN], "capabilities": {"tools": {"listChanged": true}},
                    "resultType": "complete", "cacheScope": "public", "ttlMs": 0
                }),
            )
            .to_string(),
            vec![],
        ),
        "subscriptions/listen" => match rx.lock().unwrap().take() {
            Some(rx) => Reply::SseChannel(rx),
            None => Reply::Status(400),
        },
        _ => tools(s),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize().await;
    let r = b
        .call_tool(json!(1), "route", json!({"region": "us"}))
        .await;
    assert_eq!(r["result"]["content"][0]["text"], "routed", "{r}");
    fake.wait_for("the listen stream", |s| {
        s.rpc_method() == "subscriptions/listen"
    })
    .await;
    *header.lock().unwrap() = "Zone";
    let changed = json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"});
    if tx
        .send(format!("event: message\ndata: {changed}\n\n"))
        .await
        .is_err()
    {
        panic!("the listen stream was closed; stderr: {}", b.stderr());
    }
    b.recv_matching(|m| m["method"] == "notifications/tools/list_changed")
        .await;
    let r = b
        .call_tool(json!(2), "route", json!({"region": "us"}))
        .await;
    assert_eq!(r["result"]["content"][0]["text"], "routed", "{r}");
    assert_eq!(
        calls(&fake, "tools/list").len(),
        2,
        "listed again after the change"
    );
    assert_eq!(
        calls(&fake, "tools/call").len(),
        2,
        "no call was refused: the new header was known before the call"
    );
}
