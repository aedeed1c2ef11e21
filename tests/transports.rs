//! Choosing the transport (Streamable HTTP or HTTP+SSE) and the protocol era,
//! against a scriptable fake server: every detection branch, the HTTP+SSE
//! stream's failures, and 2026-07-28 relaying.

mod common;

use axum::http::Method;
use common::fake::{self, result, sse_server, Fake, Reply};
use common::Bridge;
use serde_json::{json, Value};
use std::sync::Arc;

fn init_params() -> Value {
    json!({
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "bridge-tests", "version": "1.0"}
    })
}

/// Send initialize and return the whole answer (result or error).
async fn initialize_raw(b: &mut Bridge) -> Value {
    b.request(json!("init"), "initialize", init_params()).await
}

fn error_text(v: &Value) -> String {
    v["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error, got {v}"))
        .to_owned()
}

#[tokio::test]
async fn http_first_falls_back_to_sse_on_400_404_and_405() {
    for status in [400, 404, 405] {
        let (behave, control) = sse_server(status, |n| Some(format!("/message?n={n}")));
        let fake = Fake::start(behave).await;
        let mut b = Bridge::start(&fake.url, &["-v", "--header", "X-Team: blue"]).await;
        let init = b.initialize().await;
        assert_eq!(init["serverInfo"]["name"], "fake", "after HTTP {status}");
        let r = b.call_tool(json!(1), "echo", json!({"x": status})).await;
        assert_eq!(r["result"]["echo"]["x"], status, "{r}");
        b.wait_stderr("transport: HTTP+SSE").await;
        assert_eq!(control.opened(), 1);
        // Headers go on the GET and on every POST to the endpoint.
        let gets = fake.seen_with(Method::GET);
        assert_eq!(gets[0].header("x-team").as_deref(), Some("blue"));
        let posts: Vec<_> = fake
            .seen_with(Method::POST)
            .into_iter()
            .filter(|s| s.path() == "/message")
            .collect();
        assert!(posts.len() >= 3, "initialize, initialized, tools/call");
        for p in &posts {
            assert_eq!(p.header("x-team").as_deref(), Some("blue"));
            assert_eq!(p.uri, "/message?n=1");
        }
        b.close_and_wait().await;
    }
}

#[tokio::test]
async fn unauthorized_is_not_a_reason_to_fall_back() {
    let (behave, control) = sse_server(401, |n| Some(format!("/message?n={n}")));
    let fake = Fake::start(behave).await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    let r = initialize_raw(&mut b).await;
    assert!(error_text(&r).contains("401"), "{r}");
    assert_eq!(r["error"]["data"]["httpStatus"], 401);
    assert_eq!(control.opened(), 0, "no GET handshake after a 401");
    // Sign-in discovery reads metadata, but the SSE stream is never opened.
    assert!(fake
        .seen_with(Method::GET)
        .iter()
        .all(|s| s.path().starts_with("/.well-known/")));
}

#[tokio::test]
async fn http_only_never_falls_back_and_says_so() {
    let (behave, control) = sse_server(405, |n| Some(format!("/message?n={n}")));
    let fake = Fake::start(behave).await;
    let mut b = Bridge::start(&fake.url, &["--transport", "http-only"]).await;
    let r = initialize_raw(&mut b).await;
    let text = error_text(&r);
    assert!(text.contains("405") && text.contains("http-only"), "{text}");
    assert_eq!(control.opened(), 0);
}

#[tokio::test]
async fn sse_only_never_posts_to_the_stream_url() {
    let (behave, control) = sse_server(405, |n| Some(format!("/message?n={n}")));
    let fake = Fake::start(behave).await;
    let mut b = Bridge::start(&fake.url, &["--transport", "sse-only"]).await;
    b.initialize().await;
    let r = b.call_tool(json!(1), "echo", json!({"k": "v"})).await;
    assert_eq!(r["result"]["echo"]["k"], "v");
    assert_eq!(control.opened(), 1);
    assert!(
        fake.seen_with(Method::POST)
            .iter()
            .all(|s| s.path() == "/message"),
        "nothing is POSTed to the SSE URL itself"
    );
}

#[tokio::test]
async fn sse_only_failure_names_the_mode() {
    // A Streamable HTTP server: its GET is 405, so the handshake fails.
    let fake = Fake::start(fake::mcp).await;
    let mut b = Bridge::start(&fake.url, &["--transport", "sse-only"]).await;
    let r = initialize_raw(&mut b).await;
    let text = error_text(&r);
    assert!(text.contains("405") && text.contains("sse-only"), "{text}");
    // The bridge keeps serving: the next request is answered too.
    let again = b.request(json!(2), "tools/list", json!({})).await;
    assert!(again.get("error").is_some(), "{again}");
}

#[tokio::test]
async fn sse_first_falls_back_to_streamable_http() {
    let fake = Fake::start(fake::mcp).await;
    let mut b = Bridge::start(&fake.url, &["--transport", "sse-first", "-v"]).await;
    b.initialize().await;
    let r = b.call_tool(json!(1), "echo", json!({"n": 1})).await;
    assert_eq!(r["result"]["echo"]["n"], 1);
    let seen = fake.seen();
    assert_eq!(
        seen[0].method,
        Method::GET,
        "the SSE handshake is tried first"
    );
    b.wait_stderr("transport: Streamable HTTP").await;
}

#[tokio::test]
async fn a_stream_without_an_endpoint_event_is_a_clear_error() {
    let (behave, _control) = sse_server(405, |_| None);
    let fake = Fake::start(behave).await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    let r = initialize_raw(&mut b).await;
    let text = error_text(&r);
    assert!(
        text.contains("405") && text.contains("ended before an endpoint event"),
        "{text}"
    );
}

#[tokio::test]
async fn an_endpoint_on_another_origin_is_refused() {
    let (behave, _control) = sse_server(405, |_| Some("http://127.0.0.2:9/steal".to_owned()));
    let fake = Fake::start(behave).await;
    let mut b = Bridge::start(&fake.url, &["--header", "Authorization: Bearer s3cret"]).await;
    let r = initialize_raw(&mut b).await;
    let text = error_text(&r);
    assert!(text.contains("another origin"), "{text}");
    assert!(text.contains("127.0.0.2:9"), "{text}");
    assert!(!text.contains("s3cret"));
}

#[tokio::test]
async fn a_dropped_sse_stream_is_reopened_and_its_new_endpoint_followed() {
    let (behave, control) = sse_server(405, |n| Some(format!("/message?n={n}")));
    let fake = Fake::start(behave).await;
    let mut b = Bridge::start(&fake.url, &["-v"]).await;
    b.initialize().await;
    // A call whose answer the server never sends, then the stream drops.
    b.send(json!({"jsonrpc":"2.0","id":"h","method":"tools/call","params":{"name":"hang","arguments":{}}}))
        .await;
    fake.wait_for("the hanging call", |s| {
        s.body.as_ref().and_then(|v| v["params"]["name"].as_str()) == Some("hang")
    })
    .await;
    control.cut();
    let lost = b.response(json!("h")).await;
    assert!(error_text(&lost).contains("lost"), "{lost}");
    // The stream comes back with a new endpoint, and the bridge uses it.
    let r = b
        .call_tool(json!(2), "echo", json!({"after": "reconnect"}))
        .await;
    assert_eq!(r["result"]["echo"]["after"], "reconnect", "{r}");
    assert_eq!(control.opened(), 2);
    let last = fake.seen_with(Method::POST).pop().unwrap();
    assert_eq!(last.uri, "/message?n=2");
}

const MODERN: &str = "2026-07-28";

/// A server that speaks only 2026-07-28: it refuses `initialize` (400,
/// -32022) and answers `server/discover`; `tools/call` as `fake::mcp`.
fn modern_only(s: &fake::Seen) -> Reply {
    match s.rpc_method() {
        "initialize" => Reply::Json(
            400,
            json!({"jsonrpc":"2.0","id":null,"error":{"code":-32022,"message":"Unsupported protocol version","data":{"supported":[MODERN]}}}).to_string(),
            vec![],
        ),
        "server/discover" => Reply::Json(
            200,
            result(&s.rpc_id(), json!({
                "supportedVersions":[MODERN],"capabilities":{"tools":{}},
                "resultType":"complete","cacheScope":"public","ttlMs":0,
                "_meta":{"io.modelcontextprotocol/serverInfo":{"name":"modern-fake","version":"9"}}
            })).to_string(),
            vec![],
        ),
        _ => fake::mcp(s),
    }
}

/// The bridge's data directory, shared by the starts of one test.
fn data_env(dir: &tempfile::TempDir) -> [(&'static str, &str); 1] {
    [("MCP_BRIDGE_DATA_DIR", dir.path().to_str().unwrap())]
}

fn count(fake: &Fake, method: &str) -> usize {
    fake.seen()
        .iter()
        .filter(|s| s.rpc_method() == method)
        .count()
}

#[tokio::test]
async fn auto_asks_in_2026_07_28_first_and_remembers_a_handshake_server() {
    // A handshake-era server: the modern probe is refused with a body that
    // is no modern error, so the bridge falls back to initialize.
    let fake = Fake::start(fake::mcp).await;
    let data = tempfile::tempdir().unwrap();
    let mut b = Bridge::start_with_env(&fake.url, &["-v"], &data_env(&data)).await;
    b.initialize().await;
    b.call_tool(json!(1), "t", json!({})).await;
    let seen = fake.seen();
    let order: Vec<&str> = seen.iter().map(|s| s.rpc_method()).take(2).collect();
    assert_eq!(order, ["server/discover", "initialize"], "modern first");
    b.wait_stderr("protocol era: handshake (server/discover was refused")
        .await;
    b.close_and_wait().await;
    let remembered = std::fs::read_to_string(data.path().join("eras.json")).unwrap();
    assert!(remembered.contains(&fake.url), "{remembered}");

    // The second start costs no probe.
    let mut b = Bridge::start_with_env(&fake.url, &["-v"], &data_env(&data)).await;
    b.initialize().await;
    b.call_tool(json!(2), "t", json!({})).await;
    assert_eq!(
        count(&fake, "server/discover"),
        1,
        "only the first start probed"
    );
    assert_eq!(count(&fake, "initialize"), 2);
    b.wait_stderr("remembered from an earlier start; no probe")
        .await;
}

#[tokio::test]
async fn a_remembered_era_that_fails_is_probed_again() {
    let data = tempfile::tempdir().unwrap();
    // Remembered "handshake", but the server now speaks only 2026-07-28:
    // initialize is refused, the bridge asks afresh, translates, and
    // remembers the new era.
    let fake = Fake::start(modern_only).await;
    let write = |url: &str, era: &str| {
        let f = json!({"servers": {url: {"era": era, "transport": "streamable-http", "at": 1}}});
        std::fs::write(data.path().join("eras.json"), f.to_string()).unwrap();
    };
    write(&fake.url, "handshake");
    let mut b = Bridge::start_with_env(&fake.url, &["-v"], &data_env(&data)).await;
    let init = b.initialize().await;
    assert_eq!(init["serverInfo"]["name"], "modern-fake");
    let order: Vec<String> = fake
        .seen()
        .iter()
        .map(|s| s.rpc_method().to_owned())
        .collect();
    assert_eq!(order[..2], ["initialize", "server/discover"], "{order:?}");
    b.wait_stderr("the remembered era failed").await;
    b.close_and_wait().await;
    let remembered = std::fs::read_to_string(data.path().join("eras.json")).unwrap();
    assert!(remembered.contains(r#""era": "modern""#), "{remembered}");

    // Remembered "modern", but the server is now a handshake-era one: the
    // probe (which a translated start makes anyway) finds out.
    let fake = Fake::start(fake::mcp).await;
    write(&fake.url, "modern");
    let mut b = Bridge::start_with_env(&fake.url, &[], &data_env(&data)).await;
    let init = b.initialize().await;
    assert_eq!(init["serverInfo"]["name"], "fake");
    b.call_tool(json!(1), "t", json!({})).await;
    b.close_and_wait().await;
    let remembered = std::fs::read_to_string(data.path().join("eras.json")).unwrap();
    assert!(remembered.contains(r#""era": "handshake""#), "{remembered}");
}

#[tokio::test]
async fn protocol_modern_never_falls_back_and_says_why() {
    let fake = Fake::start(fake::mcp).await;
    let mut b = Bridge::start(&fake.url, &["--protocol", "modern"]).await;
    let r = initialize_raw(&mut b).await;
    let text = error_text(&r);
    assert!(text.contains("does not speak 2026-07-28"), "{r}");
    assert!(text.contains("--protocol auto"), "{r}");
    assert_eq!(count(&fake, "initialize"), 0, "no handshake was tried");

    let fake = Fake::start(modern_only).await;
    let mut b = Bridge::start(&fake.url, &["--protocol", "modern"]).await;
    let init = b.initialize().await;
    assert_eq!(init["serverInfo"]["name"], "modern-fake");
}

#[tokio::test]
async fn a_modern_error_to_the_probe_is_never_taken_for_a_legacy_server() {
    // A modern server of a later revision that also speaks 2025-11-25 is
    // spoken to in 2025-11-25; one that speaks neither era is an error.
    for (supported, legacy) in [
        (json!(["2027-01-01", "2025-11-25"]), true),
        (json!(["2027-01-01"]), false),
    ] {
        let sup = supported.clone();
        let fake = Fake::start(move |s| match s.rpc_method() {
            "server/discover" => Reply::Json(
                400,
                json!({"jsonrpc":"2.0","id":null,"error":{"code":-32022,"message":"Unsupported protocol version","data":{"supported":sup}}}).to_string(),
                vec![],
            ),
            _ => fake::mcp(s),
        })
        .await;
        let mut b = Bridge::start(&fake.url, &[]).await;
        let r = initialize_raw(&mut b).await;
        if legacy {
            assert_eq!(r["result"]["serverInfo"]["name"], "fake", "{r}");
        } else {
            assert!(error_text(&r).contains("2027-01-01"), "{r}");
            assert_eq!(count(&fake, "initialize"), 0, "{supported}");
        }
    }
}

#[tokio::test]
async fn auto_uses_a_modern_server_statelessly_for_a_handshake_client() {
    // A modern-only server: initialize is refused, discover answers, and the
    // bridge answers initialize from it and stamps the envelope on requests.
    let fake = Fake::start(modern_only).await;
    let mut b = Bridge::start(&fake.url, &["-v"]).await;
    let init = b.initialize().await;
    assert_eq!(init["serverInfo"]["name"], "modern-fake");
    assert_eq!(init["protocolVersion"], "2025-06-18");
    let r = b.call_tool(json!(1), "t", json!({"k": 1})).await;
    assert_eq!(r["result"]["echo"]["k"], 1);
    let probe = fake
        .wait_for("the probe", |s| s.rpc_method() == "server/discover")
        .await;
    assert_eq!(probe.header("mcp-session-id"), None);
    assert_eq!(
        probe.header("mcp-protocol-version").as_deref(),
        Some(MODERN)
    );
    assert_eq!(
        probe.header("mcp-method").as_deref(),
        Some("server/discover")
    );
    let call = fake
        .wait_for("the call", |s| s.rpc_method() == "tools/call")
        .await;
    let meta = &call.body.as_ref().unwrap()["params"]["_meta"];
    assert_eq!(meta["io.modelcontextprotocol/protocolVersion"], MODERN);
    assert_eq!(
        meta["io.modelcontextprotocol/clientInfo"]["name"],
        "bridge-tests"
    );
    assert_eq!(call.header("mcp-name").as_deref(), Some("t"));
    assert_eq!(
        fake.seen()
            .iter()
            .filter(|s| s.rpc_method() == "notifications/initialized")
            .count(),
        0,
        "2026-07-28 has no initialized notification"
    );
    b.wait_stderr("protocol era: 2026-07-28").await;

    // --protocol legacy never probes, and the client sees the refusal.
    let fake = Fake::start(modern_only).await;
    let mut b = Bridge::start(
        &fake.url,
        &["--protocol", "legacy", "--transport", "http-only"],
    )
    .await;
    let r = initialize_raw(&mut b).await;
    assert_eq!(r["error"]["code"], -32022, "{r}");
    assert!(fake
        .seen()
        .iter()
        .all(|s| s.rpc_method() != "server/discover"));
}

fn meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "modern-client", "version": "1"}
    })
}

#[tokio::test]
async fn a_modern_client_is_relayed_statelessly_with_routing_headers() {
    let input_required = r#"{"jsonrpc":"2.0","id":3,"result":{"resultType":"input_required","inputRequests":{"q":{"method":"elicitation/create","params":{"message":"name?"}}},"requestState":"opaque-1"}}"#;
    let fake = Fake::start(move |s| match s.rpc_method() {
        "server/discover" => Reply::Json(
            200,
            result(&s.rpc_id(), json!({"supportedVersions":[MODERN],"capabilities":{},"resultType":"complete","cacheScope":"public","ttlMs":0})).to_string(),
            vec![],
        ),
        "tools/call" if s.body.as_ref().unwrap()["params"]["name"] == "ask" => {
            Reply::Json(200, input_required.to_owned(), vec![])
        }
        _ => fake::mcp(s),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &["-v"]).await;
    let d = b
        .request(json!(1), "server/discover", json!({"_meta": meta()}))
        .await;
    assert_eq!(d["result"]["supportedVersions"], json!([MODERN]));
    let r = b
        .request(
            json!(2),
            "tools/call",
            json!({"name": "echo tool é", "arguments": {"v": 1}, "_meta": meta()}),
        )
        .await;
    assert_eq!(r["result"]["echo"]["v"], 1);
    // input_required is the client's business: passed through untouched.
    let ask = b
        .request(
            json!(3),
            "tools/call",
            json!({"name": "ask", "arguments": {}, "_meta": meta()}),
        )
        .await;
    assert_eq!(ask, serde_json::from_str::<Value>(input_required).unwrap());
    let all = fake.seen_with(Method::POST);
    // Before a call to a tool it has not seen listed, the bridge lists the
    // tools itself (for their x-mcp-header annotations), with the client's
    // envelope; nothing else of its own.
    let (own, posts): (Vec<_>, Vec<_>) = all.into_iter().partition(|p| {
        p.rpc_id()
            .as_str()
            .is_some_and(|id| id.starts_with("mcp-bridge-tools-"))
    });
    assert_eq!(own.len(), 2, "one tools/list before each unseen tool");
    for p in &own {
        assert_eq!(p.rpc_method(), "tools/list");
        let meta = &p.body.as_ref().unwrap()["params"]["_meta"];
        assert_eq!(
            meta["io.modelcontextprotocol/clientInfo"]["name"],
            "modern-client"
        );
    }
    assert_eq!(
        posts.len(),
        3,
        "no initialize, no probe of the bridge's own"
    );
    for p in &posts {
        assert_eq!(p.header("mcp-session-id"), None);
        assert_eq!(p.header("mcp-protocol-version").as_deref(), Some(MODERN));
        assert_eq!(p.header("mcp-method").as_deref(), Some(p.rpc_method()));
    }
    assert_eq!(
        posts[1].header("mcp-name").as_deref(),
        Some("=?base64?ZWNobyB0b29sIMOp?="),
        "a name that is not plain ASCII travels base64-encoded"
    );
    assert_eq!(posts[2].header("mcp-name").as_deref(), Some("ask"));
    assert!(
        fake.seen_with(Method::GET).is_empty(),
        "2026-07-28 has no GET stream"
    );
    b.wait_stderr("protocol era: 2026-07-28").await;
}

#[tokio::test]
async fn translated_input_required_rounds_are_bounded() {
    // A modern-only server that never stops asking (state only, no questions).
    let fake = Fake::start(|s| match s.rpc_method() {
        "server/discover" => Reply::Json(
            200,
            result(&s.rpc_id(), json!({"supportedVersions":[MODERN],"capabilities":{"tools":{}},"resultType":"complete","cacheScope":"public","ttlMs":0})).to_string(),
            vec![],
        ),
        "tools/call" => Reply::Json(
            200,
            result(&s.rpc_id(), json!({"resultType":"input_required","requestState":"again"})).to_string(),
            vec![],
        ),
        _ => Reply::Status(400),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize().await;
    let r = b.call_tool(json!(1), "loop", json!({})).await;
    assert!(error_text(&r).contains("10 times"), "{r}");
    let calls: Vec<_> = fake
        .seen()
        .into_iter()
        .filter(|s| s.rpc_method() == "tools/call")
        .collect();
    assert_eq!(calls.len(), 11, "the first call and 10 retries");
    // Each retry carries the server's state back, and the envelope.
    let last = calls.last().unwrap().body.clone().unwrap();
    assert_eq!(last["params"]["requestState"], "again");
    assert_eq!(
        last["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"],
        MODERN
    );
    let inits = fake
        .seen()
        .iter()
        .filter(|s| s.rpc_method() == "initialize")
        .count();
    assert_eq!(inits, 0, "2026-07-28 is asked first, so no handshake");
}

#[tokio::test]
async fn a_round_with_too_many_input_requests_is_refused() {
    let fake = Fake::start(|s| match s.rpc_method() {
        "tools/call" => {
            let many: serde_json::Map<String, Value> = (0..33)
                .map(|i| (format!("q{i}"), json!({"method": "roots/list"})))
                .collect();
            Reply::Json(
                200,
                result(
                    &s.rpc_id(),
                    json!({"resultType":"input_required","inputRequests": many}),
                )
                .to_string(),
                vec![],
            )
        }
        _ => modern_only(s),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize().await;
    let r = b.call_tool(json!(1), "flood", json!({})).await;
    assert!(error_text(&r).contains("33 inputs"), "{r}");
    // None of them reached the client.
    let extra = b.drain(std::time::Duration::from_millis(200)).await;
    assert!(
        extra.iter().all(|m| m["method"] != "roots/list"),
        "{extra:?}"
    );
}

#[tokio::test]
async fn translated_calls_keep_to_the_request_timeout() {
    // A call that a 2026-07-28 server never answers (its stream stays open).
    let never = Arc::new(tokio::sync::Semaphore::new(0));
    let gate = Arc::clone(&never);
    let fake = Fake::start(move |s| match s.rpc_method() {
        "tools/call" => Reply::Sse(vec![fake::Step::Gate(Arc::clone(&gate))], vec![]),
        _ => modern_only(s),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &["--request-timeout", "1"]).await;
    b.initialize().await;
    let r = b.call_tool(json!(1), "hang", json!({})).await;
    let text = r["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"));
    assert!(text.contains("--request-timeout"), "{text}");
    let r = b.request(json!(2), "ping", json!({})).await;
    assert!(r.get("result").is_some(), "still serving: {r}");
    drop(never);
}
