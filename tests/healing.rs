//! Self-healing: a server that lost the session gets a new one without the
//! client noticing, and a server that is down (at start or later) is waited
//! for, within bounds, with a clear error past them.

mod common;

use axum::http::Method;
use common::fake::{bad_request, forgetful, not_found, Fake, Reply};
use common::{peers, text_of, Bridge};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_lost_session_is_renewed_by_replaying_the_clients_setup() {
    for refusal in [not_found as fn() -> Reply, bad_request] {
        let generation = Arc::new(AtomicUsize::new(1));
        let fake = Fake::start(forgetful(Arc::clone(&generation), refusal)).await;
        let mut b = Bridge::start(&fake.url, &["-v"]).await;
        b.initialize().await;
        let sub = b
            .request(
                json!(1),
                "resources/subscribe",
                json!({"uri": "peer://watched"}),
            )
            .await;
        assert!(sub.get("result").is_some(), "{sub}");
        b.request(json!(2), "logging/setLevel", json!({"level": "debug"}))
            .await;

        generation.store(2, Ordering::SeqCst); // the server restarts
        let r = b
            .call_tool(json!(3), "echo", json!({"after": "restart"}))
            .await;
        assert_eq!(r["result"]["echo"]["after"], "restart", "{r}");

        let seen = fake.seen();
        let inits: Vec<_> = seen
            .iter()
            .filter(|s| s.rpc_method() == "initialize")
            .collect();
        assert_eq!(inits.len(), 2, "one replay");
        // The replay carries the client's own parameters and the bridge's id.
        let replay = inits[1].body.as_ref().unwrap();
        assert_eq!(replay["params"], inits[0].body.as_ref().unwrap()["params"]);
        assert!(
            replay["id"].as_str().unwrap().starts_with("mcp-bridge-"),
            "{replay}"
        );
        let new_session =
            |s: &&common::fake::Seen| s.header("mcp-session-id").as_deref() == Some("s2");
        assert!(
            seen.iter()
                .filter(new_session)
                .any(|s| s.method == Method::GET),
            "the GET stream is reopened on the new session"
        );
        let on_new: Vec<&str> = seen
            .iter()
            .filter(new_session)
            .filter(|s| s.method == Method::POST)
            .map(|s| s.rpc_method())
            .collect();
        assert_eq!(
            on_new,
            [
                "notifications/initialized",
                "resources/subscribe",
                "logging/setLevel",
                "tools/call"
            ],
            "initialized, then the client's setup, then the failed call once more"
        );
        let calls = seen
            .iter()
            .filter(|s| s.rpc_method() == "tools/call")
            .count();
        assert_eq!(calls, 2, "the refused call is sent again exactly once");
        // The client saw none of it: no second initialize answer, nothing else.
        let extra = b.drain(Duration::from_millis(200)).await;
        assert!(extra.is_empty(), "{extra:?}");
        b.wait_stderr("connected → re-initializing").await;
    }
}

#[tokio::test]
async fn a_session_that_cannot_be_renewed_is_a_clear_error() {
    let generation = Arc::new(AtomicUsize::new(1));
    let g = Arc::clone(&generation);
    let fake = Fake::start(move |s| {
        if s.rpc_method() == "initialize" && g.load(Ordering::SeqCst) > 1 {
            return Reply::Json(
                500,
                r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"database down"}}"#
                    .into(),
                vec![],
            );
        }
        forgetful(Arc::clone(&g), not_found)(s)
    })
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize().await;
    generation.store(2, Ordering::SeqCst);
    let r = b.call_tool(json!(1), "echo", json!({})).await;
    let text = r["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"));
    assert!(
        text.contains("404") && text.contains("database down"),
        "{text}"
    );
}

#[tokio::test]
async fn everything_restarted_mid_session_answers_the_next_call() {
    // server-everything answers 400 "No valid session ID" for a lost session.
    let mut peer = peers::everything("streamableHttp");
    let mut b = Bridge::start(&peer.url, &["-v"]).await;
    b.initialize().await;
    let r = b
        .call_tool(json!(1), "echo", json!({"message": "before"}))
        .await;
    assert_eq!(text_of(&r), "Echo: before");
    peer.kill();
    peer.start_again();
    let r = b
        .call_tool(json!(2), "echo", json!({"message": "after"}))
        .await;
    assert_eq!(text_of(&r), "Echo: after", "{r}");
    b.wait_stderr("connected → re-initializing").await;
}

#[tokio::test]
async fn python_sdk_restarted_mid_session_answers_the_next_call() {
    // The Python SDK answers 404 for a lost session.
    let mut peer = peers::python("stateful");
    let mut b = Bridge::start(&peer.url, &[]).await;
    b.initialize().await;
    let r = b.call_tool(json!(1), "add", json!({"a": 1, "b": 1})).await;
    assert_eq!(text_of(&r), "2");
    peer.kill();
    peer.start_again();
    let r = b.call_tool(json!(2), "add", json!({"a": 2, "b": 2})).await;
    assert_eq!(text_of(&r), "4", "{r}");
}

#[tokio::test]
async fn a_server_that_comes_up_late_answers_the_held_initialize() {
    let port = peers::port();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let mut b = Bridge::start(&url, &["-v"]).await;
    let started = Instant::now();
    b.send(
        json!({"jsonrpc":"2.0","id":"init","method":"initialize","params":{
        "protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}),
    )
    .await;
    let server = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(3));
        peers::everything_on("streamableHttp", port)
    });
    let init = b.response(json!("init")).await;
    assert!(init.get("result").is_some(), "{init}");
    assert!(started.elapsed() >= Duration::from_secs(3));
    let _peer = server.join().unwrap();
    b.send(json!({"jsonrpc":"2.0","method":"notifications/initialized"}))
        .await;
    let r = b
        .call_tool(json!(1), "echo", json!({"message": "late"}))
        .await;
    assert_eq!(text_of(&r), "Echo: late");
    b.wait_stderr("trying again in").await;
}

#[tokio::test]
async fn a_server_away_past_the_bound_is_an_error_and_then_recovers() {
    let port = peers::port();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let mut b = Bridge::start(&url, &["--retry-timeout", "1.5"]).await;
    let params = common::init_params();
    let r = b.request(json!(1), "initialize", params.clone()).await;
    let text = r["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"));
    assert!(
        text.contains(&url) && text.contains("kept trying"),
        "{text}"
    );
    // The bridge keeps serving; once the server is there, the next try works.
    let _peer = peers::everything_on("streamableHttp", port);
    let r = b.request(json!(2), "initialize", params).await;
    assert!(r.get("result").is_some(), "{r}");
}
