//! The relay against a scriptable fake server: the precise cases of the
//! Streamable HTTP transport and of error reporting.

mod common;

use axum::http::Method;
use common::fake::{self, event, mcp, result, Fake, Reply, Step};
use common::Bridge;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

#[tokio::test]
async fn json_answer_passes_through_byte_for_byte() {
    // Unknown fields, odd key order and a string id must survive untouched.
    let answer = r#"{"result":{"z":1,"a":[true,null],"_x":"é"},"extra":{"k":"v"},"id":"req-1","jsonrpc":"2.0"}"#;
    let fake = Fake::start(move |s| match s.rpc_method() {
        "custom/unknown" => Reply::Json(200, answer.to_owned(), vec![]),
        _ => mcp(s),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize().await;
    b.send_raw(
        b"{\"jsonrpc\":\"2.0\",\"id\":\"req-1\",\"method\":\"custom/unknown\",\"params\":{\"f\":[1,2]},\"other\":5}\n",
    )
    .await;
    let got = b.response(json!("req-1")).await;
    assert_eq!(got, serde_json::from_str::<Value>(answer).unwrap());
    let sent = fake
        .wait_for("the custom request", |s| s.rpc_method() == "custom/unknown")
        .await;
    assert_eq!(
        &sent.raw[..],
        br#"{"jsonrpc":"2.0","id":"req-1","method":"custom/unknown","params":{"f":[1,2]},"other":5}"#,
        "the request went upstream byte for byte"
    );
    assert_eq!(
        sent.header("accept").unwrap(),
        "application/json, text/event-stream"
    );
    assert_eq!(sent.header("content-type").unwrap(), "application/json");
}

#[tokio::test]
async fn session_and_version_headers_follow_initialize() {
    let fake = Fake::start(mcp).await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize().await;
    b.call_tool(json!(1), "t", json!({})).await;
    let (code, _) = b.close_and_wait().await;
    assert_eq!(code, Some(0));
    let seen = fake.seen();
    let init = seen
        .iter()
        .find(|s| s.rpc_method() == "initialize")
        .unwrap();
    assert_eq!(init.header("mcp-session-id"), None);
    assert_eq!(init.header("mcp-protocol-version"), None);
    let rest = seen
        .iter()
        .filter(|s| !matches!(s.rpc_method(), "initialize" | "server/discover"));
    for s in rest {
        assert_eq!(
            s.header("mcp-session-id").as_deref(),
            Some(fake::SESSION),
            "{} {}",
            s.method,
            s.rpc_method()
        );
        assert_eq!(
            s.header("mcp-protocol-version").as_deref(),
            Some("2025-06-18")
        );
    }
    let deletes = fake.seen_with(Method::DELETE);
    assert_eq!(deletes.len(), 1, "the session is ended with DELETE on exit");
}

#[tokio::test]
async fn get_stream_opens_after_initialized_and_405_is_not_retried() {
    let fake = Fake::start(mcp).await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize().await;
    let get = fake
        .wait_for("the GET stream", |s| s.method == Method::GET)
        .await;
    assert_eq!(get.header("accept").unwrap(), "text/event-stream");
    assert_eq!(get.header("mcp-session-id").as_deref(), Some(fake::SESSION));
    // Give a retry loop time to show itself, then count.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(fake.seen_with(Method::GET).len(), 1);
    let order: Vec<String> = fake
        .seen()
        .iter()
        .map(|s| format!("{} {}", s.method, s.rpc_method()))
        .collect();
    let init_pos = order
        .iter()
        .position(|s| s == "POST notifications/initialized")
        .unwrap();
    let get_pos = order.iter().position(|s| s.starts_with("GET")).unwrap();
    let initialize_pos = order.iter().position(|s| s == "POST initialize").unwrap();
    assert!(
        initialize_pos < get_pos && get_pos < init_pos,
        "GET once the client sent initialized, and before that reaches the server: {order:?}"
    );
}

#[tokio::test]
async fn messages_the_server_sends_on_hearing_initialized_are_not_lost() {
    // Like real servers, the fake drops what it sends on the GET stream
    // before that stream is open, and it sends a request the moment it hears
    // `notifications/initialized`.
    let stream: Arc<std::sync::Mutex<Option<tokio::sync::mpsc::Sender<String>>>> = Arc::default();
    let slot = Arc::clone(&stream);
    let fake = Fake::start(move |s| match (&s.method, s.rpc_method()) {
        (&Method::GET, _) => {
            let (tx, rx) = tokio::sync::mpsc::channel(8);
            *slot.lock().unwrap() = Some(tx);
            Reply::SseChannel(rx)
        }
        (_, "notifications/initialized") => {
            if let Some(tx) = slot.lock().unwrap().as_ref() {
                let msg = json!({"jsonrpc":"2.0","id":"roots-1","method":"roots/list"});
                let _ = tx.try_send(format!("data: {msg}\n\n"));
            }
            Reply::Status(202)
        }
        _ => mcp(s),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize_with(json!({"roots": {}})).await;
    let req = b.recv().await;
    assert_eq!(req["method"], "roots/list", "{req}");
    drop(stream);
}

#[tokio::test]
async fn get_stream_delivers_server_messages_and_skips_priming_events() {
    let fake = Fake::start(|s| match s.method {
        Method::GET => Reply::Sse(
            vec![
                Step::Text("id: prime-1\ndata:\n\n".into()),
                Step::Text(": keep-alive comment\n\n".into()),
                Step::Text(
                    "id: 2\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/updated\",\"params\":{\"uri\":\"x://1\"}}\n\n"
                        .into(),
                ),
                Step::Sleep(Duration::from_secs(30)),
            ],
            vec![],
        ),
        _ => mcp(s),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize().await;
    let n = b.recv().await;
    assert_eq!(n["method"], "notifications/resources/updated");
    assert_eq!(n["params"]["uri"], "x://1");
    let rest = b.drain(Duration::from_millis(300)).await;
    assert!(
        rest.is_empty(),
        "nothing else, priming event included: {rest:?}"
    );
}

#[tokio::test]
async fn sse_events_are_forwarded_as_they_arrive() {
    // The answer's stream holds until the test has seen the first event: a
    // bridge that waited for the end of the stream would never deliver it.
    let gate = Arc::new(Semaphore::new(0));
    let g = Arc::clone(&gate);
    let fake = Fake::start(move |s| match s.rpc_method() {
        "tools/call" => Reply::Sse(
            vec![
                Step::Text("id: p0\ndata: \n\n".into()),
                event(&json!({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"t","progress":1}})),
                Step::Gate(Arc::clone(&g)),
                event(&result(&s.rpc_id(), json!({"done": true}))),
            ],
            vec![],
        ),
        _ => mcp(s),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize().await;
    b.send(json!({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"slow","_meta":{"progressToken":"t"}}}))
        .await;
    let progress = b.recv().await;
    assert_eq!(progress["method"], "notifications/progress");
    gate.add_permits(1);
    let answer = b.response(json!(7)).await;
    assert_eq!(answer["result"]["done"], true);
}

#[tokio::test]
async fn batches_from_a_2025_03_26_server_are_unpacked() {
    let fake = Fake::start(|s| match s.rpc_method() {
        "tools/list" => Reply::Json(
            200,
            json!([
                {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"hi"}},
                result(&s.rpc_id(), json!({"tools": []}))
            ])
            .to_string(),
            vec![],
        ),
        "tools/call" => Reply::Sse(
            vec![Step::Text(format!(
                "data: {}\n\n",
                json!([
                    {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}},
                    result(&s.rpc_id(), json!({"ok": 1}))
                ])
            ))],
            vec![],
        ),
        _ => mcp(s),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize().await;
    let list = b.request(json!(1), "tools/list", json!({})).await;
    assert_eq!(list["result"]["tools"], json!([]));
    let call = b.call_tool(json!(2), "x", json!({})).await;
    assert_eq!(call["result"]["ok"], 1);
    let others = b.drain(Duration::from_millis(200)).await;
    let methods: Vec<_> = others.iter().map(|m| m["method"].clone()).collect();
    assert_eq!(
        methods,
        vec![
            json!("notifications/message"),
            json!("notifications/progress")
        ]
    );
}

#[tokio::test]
async fn server_requests_reach_the_client_and_its_answers_go_back() {
    let fake = Fake::start(|s| match s.rpc_method() {
        "tools/call" => Reply::Sse(
            vec![
                event(&json!({"jsonrpc":"2.0","id":"srv-1","method":"sampling/createMessage","params":{"messages":[]}})),
                Step::Sleep(Duration::from_millis(200)),
                event(&result(&s.rpc_id(), json!({"content": []}))),
            ],
            vec![],
        ),
        _ => mcp(s),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize_with(json!({"sampling": {}})).await;
    b.send(json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"s"}}))
        .await;
    let req = b.recv_matching(|v| v.get("method").is_some()).await;
    assert_eq!(req["method"], "sampling/createMessage");
    assert_eq!(req["id"], "srv-1");
    b.send(json!({"jsonrpc":"2.0","id":"srv-1","result":{"role":"assistant","content":{"type":"text","text":"ok"}}}))
        .await;
    b.response(json!(3)).await;
    let answer = fake
        .wait_for("the client's answer", |s| {
            s.body.as_ref().and_then(|b| b.get("result")).is_some()
        })
        .await;
    assert_eq!(answer.rpc_id(), json!("srv-1"));
    assert_eq!(
        answer.header("mcp-session-id").as_deref(),
        Some(fake::SESSION)
    );
}

/// One request answered badly by the server; returns the error the client
/// saw, checking that it names the server's URL.
async fn error_for(reply: impl Fn() -> Reply + Send + Sync + 'static) -> Value {
    let (error, url) = error_and_url(reply).await;
    let msg = error["message"].as_str().unwrap();
    assert!(msg.contains(&url), "the message names the URL: {msg}");
    error
}

async fn error_and_url(reply: impl Fn() -> Reply + Send + Sync + 'static) -> (Value, String) {
    let fake = Fake::start(move |s| match s.rpc_method() {
        "tools/call" => reply(),
        _ => mcp(s),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize().await;
    let r = b.call_tool(json!(9), "x", json!({})).await;
    // The bridge keeps serving after the failure.
    let again = b.request(json!(10), "ping", json!({})).await;
    assert!(
        again.get("result").is_some(),
        "bridge still serves: {again}"
    );
    assert!(r.get("result").is_none(), "{r}");
    assert_eq!(r["id"], 9);
    (r["error"].clone(), fake.url.clone())
}

#[tokio::test]
async fn http_500_with_text_is_explained() {
    let e = error_for(|| Reply::Raw(500, "text/plain", b"database is down".to_vec())).await;
    let msg = e["message"].as_str().unwrap();
    assert!(msg.contains("HTTP 500 Internal Server Error"), "{msg}");
    assert!(msg.contains("database is down"), "{msg}");
    assert_eq!(e["data"]["httpStatus"], 500);
}

#[tokio::test]
async fn html_error_page_is_summarized_by_its_title() {
    let page = b"<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>";
    let e = error_for(|| Reply::Raw(502, "text/html", page.to_vec())).await;
    let msg = e["message"].as_str().unwrap();
    assert!(msg.contains("HTTP 502"), "{msg}");
    assert!(msg.contains(": 502 Bad Gateway"), "{msg}");
    assert!(!msg.contains("<html>"), "{msg}");
}

#[tokio::test]
async fn json_rpc_error_body_keeps_the_servers_words_and_code() {
    let e = error_for(|| {
        Reply::Json(
            400,
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Bad Request: quota exceeded"}}"#.into(),
            vec![],
        )
    })
    .await;
    assert_eq!(e["code"], -32001);
    assert!(e["message"]
        .as_str()
        .unwrap()
        .contains("HTTP 400 Bad Request: Bad Request: quota exceeded"));
}

#[tokio::test]
async fn a_200_body_that_is_not_json_rpc_is_an_error() {
    let e = error_for(|| {
        Reply::Raw(
            200,
            "text/html",
            b"<html><title>Login</title></html>".to_vec(),
        )
    })
    .await;
    let msg = e["message"].as_str().unwrap();
    assert!(msg.contains("not JSON-RPC"), "{msg}");
    assert!(msg.contains("text/html"), "{msg}");
    let e = error_for(|| Reply::Json(200, r#"{"hello":"world"}"#.into(), vec![])).await;
    assert!(e["message"].as_str().unwrap().contains("not JSON-RPC"));
}

#[tokio::test]
async fn a_202_to_a_request_is_an_error_not_a_hang() {
    let e = error_for(|| Reply::Status(202)).await;
    assert!(e["message"].as_str().unwrap().contains("202"), "{e}");
}

#[tokio::test]
async fn a_stream_that_ends_without_the_answer_is_an_error() {
    let e = error_for(|| {
        Reply::Sse(
            vec![event(
                &json!({"jsonrpc":"2.0","method":"notifications/message","params":{}}),
            )],
            vec![],
        )
    })
    .await;
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("lost while the request was in flight"),
        "{e}"
    );
}

#[tokio::test]
async fn an_id_less_error_in_a_200_answers_the_request() {
    // The server's own answer, passed on in its own words.
    let (e, _) = error_and_url(|| {
        Reply::Json(
            200,
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32602,"message":"bad params"}}"#.into(),
            vec![],
        )
    })
    .await;
    assert_eq!(e["code"], -32602);
    assert_eq!(e["message"], "bad params");
}

#[tokio::test]
async fn connection_refused_is_explained_and_the_bridge_keeps_serving() {
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}/mcp");
    // The bridge retries an unreachable server (see tests/healing.rs); keep it short here.
    let mut b = Bridge::start(&url, &["--retry-timeout", "0.3"]).await;
    let r = b
        .request(json!(1), "initialize", common::init_params())
        .await;
    let msg = r["error"]["message"].as_str().unwrap();
    assert!(msg.contains("cannot reach the MCP server"), "{msg}");
    assert!(msg.contains(&url), "{msg}");
    assert!(msg.to_lowercase().contains("refused"), "{msg}");
    let r = b.request(json!(2), "tools/list", json!({})).await;
    assert!(r["error"]["message"].as_str().unwrap().contains("refused"));
    let (code, _) = b.close_and_wait().await;
    assert_eq!(code, Some(0));
}

#[tokio::test]
async fn bad_input_lines_get_errors_and_the_bridge_keeps_serving() {
    let fake = Fake::start(mcp).await;
    let mut b = Bridge::start(&fake.url, &["--max-message-size", "4K"]).await;
    b.initialize().await;
    b.send_raw(b"this is not json\n").await;
    let e = b.recv().await;
    assert_eq!(e["error"]["code"], -32700);
    assert_eq!(e["id"], Value::Null);
    b.send_raw(b"{\"just\":\"an object\"}\n").await;
    let e = b.recv().await;
    assert_eq!(e["error"]["code"], -32600);
    assert_eq!(e["id"], Value::Null);
    b.send_raw(b"[1,2]\n").await;
    assert_eq!(b.recv().await["error"]["code"], -32600);
    assert_eq!(b.recv().await["error"]["code"], -32600);
    let big = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{{\"x\":\"{}\"}}}}\n",
        "a".repeat(8192)
    );
    b.send_raw(big.as_bytes()).await;
    let e = b.recv().await;
    assert_eq!(e["error"]["code"], -32600);
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("--max-message-size"));
    b.send_raw(b"\xff\xfe binary \x00 junk\n").await;
    assert_eq!(b.recv().await["error"]["code"], -32700);
    let ok = b.call_tool(json!(6), "t", json!({"v": 1})).await;
    assert_eq!(ok["result"]["echo"]["v"], 1);
    assert!(
        b.stderr().contains("WARN"),
        "a warning on stderr: {}",
        b.stderr()
    );
    assert!(
        !fake.seen().iter().any(|s| s.rpc_id() == json!(5)),
        "the oversized message was not sent"
    );
}

#[tokio::test]
async fn hundred_concurrent_calls_are_each_answered_by_id() {
    // Answers are delayed in reverse order of arrival, so they come back out of order.
    let fake = Fake::start(|s| match s.rpc_method() {
        "tools/call" => {
            let n = s.body.as_ref().unwrap()["params"]["arguments"]["n"]
                .as_u64()
                .unwrap();
            Reply::Sse(
                vec![
                    Step::Sleep(Duration::from_millis(3 * (100 - n))),
                    event(&result(&s.rpc_id(), json!({"n": n}))),
                ],
                vec![],
            )
        }
        _ => mcp(s),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize().await;
    for n in 0..100u64 {
        b.send(json!({"jsonrpc":"2.0","id":format!("c{n}"),"method":"tools/call","params":{"name":"n","arguments":{"n":n}}}))
            .await;
    }
    let mut got = std::collections::HashMap::new();
    let mut order = Vec::new();
    for _ in 0..100 {
        let r = b.recv().await;
        let id = r["id"].as_str().unwrap().to_owned();
        assert_eq!(r["result"]["n"].as_u64().unwrap().to_string(), id[1..]);
        order.push(r["result"]["n"].as_u64().unwrap());
        assert!(got.insert(id, r).is_none(), "one answer per id");
    }
    assert_eq!(got.len(), 100);
    assert_ne!(
        order,
        (0..100).collect::<Vec<_>>(),
        "answers were not serialized"
    );
    assert!(b.drain(Duration::from_millis(300)).await.is_empty());
}

#[tokio::test]
async fn eight_mib_result_and_one_mib_argument_are_intact() {
    let fake = Fake::start(|s| match s.rpc_method() {
        "tools/call" => {
            let arg = s.body.as_ref().unwrap()["params"]["arguments"]["blob"]
                .as_str()
                .unwrap()
                .to_owned();
            let big: String = arg.chars().rev().cycle().take(8 << 20).collect();
            // A pretty-printed answer over SSE in many chunks, to test folding and reassembly.
            let text =
                serde_json::to_string_pretty(&result(&s.rpc_id(), json!({"big": big, "arg": arg})))
                    .unwrap();
            let data: String = text.lines().map(|l| format!("data: {l}\n")).collect();
            let steps = data
                .as_bytes()
                .chunks(60_000)
                .map(|c| Step::Text(String::from_utf8(c.to_vec()).unwrap()))
                .chain(std::iter::once(Step::Text("\n".into())))
                .collect();
            Reply::Sse(steps, vec![])
        }
        _ => mcp(s),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize().await;
    let blob: String = (0..(1 << 20))
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let r = b.call_tool(json!(1), "big", json!({"blob": blob})).await;
    assert_eq!(r["result"]["arg"].as_str().unwrap(), blob);
    let expected: String = blob.chars().rev().cycle().take(8 << 20).collect();
    assert_eq!(r["result"]["big"].as_str().unwrap().len(), 8 << 20);
    assert!(r["result"]["big"].as_str().unwrap() == expected);
}

#[tokio::test]
async fn cancelled_request_gets_no_answer_from_the_bridge() {
    let fake = Fake::start(|s| match s.rpc_method() {
        "tools/call" => Reply::Sse(vec![Step::Sleep(Duration::from_millis(300))], vec![]),
        _ => mcp(s),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize().await;
    b.send(json!({"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"x"}}))
        .await;
    fake.wait_for("the call", |s| s.rpc_method() == "tools/call")
        .await;
    b.send(json!({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":11,"reason":"user"}}))
        .await;
    fake.wait_for("the cancellation", |s| {
        s.rpc_method() == "notifications/cancelled"
    })
    .await;
    let rest = b.drain(Duration::from_millis(800)).await;
    assert!(
        rest.is_empty(),
        "no answer for a cancelled request: {rest:?}"
    );
}

#[tokio::test]
async fn stdin_eof_answers_in_flight_requests_deletes_the_session_and_exits_0() {
    let fake = Fake::start(|s| match s.rpc_method() {
        "tools/call" => Reply::Sse(vec![Step::Sleep(Duration::from_secs(60))], vec![]),
        _ => mcp(s),
    })
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize().await;
    b.send(json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hang"}}))
        .await;
    fake.wait_for("the call", |s| s.rpc_method() == "tools/call")
        .await;
    let (code, took) = b.close_and_wait().await;
    assert_eq!(code, Some(0));
    assert!(
        took < Duration::from_secs(2),
        "exit within 2 s of EOF, took {took:?}"
    );
    let rest = b.drain(Duration::from_millis(100)).await;
    assert_eq!(rest.len(), 1, "the hung call was answered: {rest:?}");
    assert_eq!(rest[0]["id"], 1);
    assert!(rest[0]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("shutting down"));
    let del = fake.seen_with(Method::DELETE);
    assert_eq!(del.len(), 1);
    assert_eq!(
        del[0].header("mcp-session-id").as_deref(),
        Some(fake::SESSION)
    );
}

#[tokio::test]
async fn a_request_piped_before_eof_is_still_answered() {
    let fake = Fake::start(mcp).await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.send(json!({"jsonrpc":"2.0","id":"i","method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}))
        .await;
    b.send(json!({"jsonrpc":"2.0","method":"notifications/initialized"}))
        .await;
    b.send(json!({"jsonrpc":"2.0","id":"c","method":"tools/call","params":{"name":"e","arguments":{"k":2}}}))
        .await;
    let (code, _) = b.close_and_wait().await;
    assert_eq!(code, Some(0));
    let out = b.drain(Duration::from_millis(100)).await;
    let call = out.iter().find(|m| m["id"] == "c").expect("call answered");
    assert_eq!(call["result"]["echo"]["k"], 2);
    let seen = fake.seen();
    let call_req = seen
        .iter()
        .find(|s| s.rpc_method() == "tools/call")
        .unwrap();
    assert_eq!(
        call_req.header("mcp-session-id").as_deref(),
        Some(fake::SESSION),
        "pipelined messages wait for the session id"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_deletes_the_session_and_exits_0() {
    let fake = Fake::start(mcp).await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize().await;
    let pid = b.child.id().unwrap();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(common::WAIT, b.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(exit.code(), Some(0));
    assert_eq!(fake.seen_with(Method::DELETE).len(), 1);
}

#[tokio::test]
async fn secrets_never_reach_the_logs_even_at_trace() {
    let fake = Fake::start(mcp).await;
    let dir = tempfile::tempdir().unwrap();
    let hf = dir.path().join("headers");
    std::fs::write(&hf, "# secret\nCookie: session=cookie-s3cret-value\n").unwrap();
    let log = dir.path().join("bridge.log");
    let mut b = Bridge::start_with_env(
        &fake.url,
        &[
            "-vvv",
            "--header",
            "Authorization: Bearer ${SECRET_TOKEN}",
            "--header",
            "X-Api-Key:key-s3cret-value",
            "--header-file",
            hf.to_str().unwrap(),
        ],
        &[("SECRET_TOKEN", "tok-s3cret-value")],
    )
    .await;
    b.initialize().await;
    b.call_tool(json!(1), "t", json!({})).await;
    b.close_and_wait().await;
    let seen = fake.seen();
    let call = seen
        .iter()
        .find(|s| s.rpc_method() == "tools/call")
        .unwrap();
    assert_eq!(
        call.header("authorization").unwrap(),
        "Bearer tok-s3cret-value"
    );
    assert_eq!(call.header("x-api-key").unwrap(), "key-s3cret-value");
    assert_eq!(
        call.header("cookie").unwrap(),
        "session=cookie-s3cret-value"
    );
    let err = b.stderr();
    assert!(err.contains("tools/call"), "trace logging was on: {err}");
    assert!(
        err.contains("authorization"),
        "header names are logged: {err}"
    );
    for secret in [
        "tok-s3cret-value",
        "key-s3cret-value",
        "cookie-s3cret-value",
        "s3cret",
    ] {
        assert!(!err.contains(secret), "stderr leaked {secret}:\n{err}");
    }
    // The same with a log file.
    let mut b = Bridge::start_with_env(
        &fake.url,
        &[
            "-vvv",
            "--log-file",
            log.to_str().unwrap(),
            "-H",
            "Authorization: Bearer ${SECRET_TOKEN}",
        ],
        &[("SECRET_TOKEN", "tok-s3cret-value")],
    )
    .await;
    b.initialize().await;
    b.close_and_wait().await;
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("initialize"), "{text}");
    assert!(
        !text.contains("s3cret"),
        "log file leaked a secret:\n{text}"
    );
    assert!(
        b.stderr().is_empty(),
        "with --log-file, stderr stays quiet: {}",
        b.stderr()
    );
}

#[tokio::test]
async fn each_message_is_logged_with_direction_method_id_size_and_latency() {
    let fake = Fake::start(mcp).await;
    let mut b = Bridge::start(&fake.url, &["-v"]).await;
    b.initialize().await;
    b.call_tool(json!(42), "t", json!({})).await;
    b.close_and_wait().await;
    let err = b.stderr();
    let sent = err
        .lines()
        .find(|l| l.contains("→ request tools/call id=42"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(sent.trim_end().ends_with('B'), "size logged: {sent}");
    let back = err
        .lines()
        .find(|l| l.contains("← response tools/call id=42"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(back.contains(" ms"), "latency logged: {back}");
}

#[tokio::test]
async fn a_401_says_what_the_server_asked_for_and_the_bridge_goes_on() {
    let fake = Fake::start(|s| match s.rpc_method() {
        "initialize" => Reply::Json(
            401,
            r#"{"error":"invalid_token","error_description":"Missing Authorization header"}"#.into(),
            vec![(
                "www-authenticate",
                r#"Bearer error="invalid_token", error_description="The access token expired", resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource/mcp""#.into(),
            )],
        ),
        _ => fake::mcp(s),
    })
    .await;
    let mut b = Bridge::start(
        &fake.url,
        &["--header", "Authorization: Bearer sekrit-token"],
    )
    .await;
    let r = b
        .request(json!(1), "initialize", common::init_params())
        .await;
    let text = r["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"));
    assert!(text.contains("HTTP 401"), "{text}");
    assert!(
        text.contains("invalid_token: The access token expired"),
        "{text}"
    );
    assert!(text.contains("oauth-protected-resource/mcp"), "{text}");
    assert!(!text.contains("sekrit"), "{text}");
    assert_eq!(
        fake.seen()
            .iter()
            .filter(|s| s.method == axum::http::Method::GET)
            .count(),
        0,
        "a 401 is never a reason to try HTTP+SSE"
    );
    assert!(!b.stderr().contains("sekrit"));
}
