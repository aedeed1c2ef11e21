//! The first run (issue 25): a client's first request is answered with the
//! bridge's reason inside the client's patience when the server cannot be
//! reached, and still served when the server comes up inside that window.

mod common;

use common::{peers, Bridge};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Send `initialize` and time its answer.
async fn timed_initialize(b: &mut Bridge) -> (Value, Duration) {
    let start = Instant::now();
    b.send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": common::init_params()}),
    )
    .await;
    let r = b.response(json!(1)).await;
    (r, start.elapsed())
}

fn message(r: &Value) -> String {
    r["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_refused_port_is_answered_with_the_reason_inside_ten_seconds() {
    let url = format!("http://127.0.0.1:{}/mcp", common::free_port());
    let mut b = Bridge::start(&url, &[]).await;
    let (r, took) = timed_initialize(&mut b).await;
    let m = message(&r);
    assert!(
        m.contains("cannot reach the MCP server") && m.contains("refused"),
        "{r}"
    );
    assert!(took < Duration::from_secs(10), "answered after {took:?}");
    // It kept trying for most of the window, not a single attempt.
    assert!(took > Duration::from_secs(5), "answered after {took:?}");
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_answered_inside_ten_seconds() {
    let mut b = Bridge::start("https://no-such-host.invalid/mcp", &[]).await;
    let (r, took) = timed_initialize(&mut b).await;
    let m = message(&r);
    // Either the resolver said so, or (a resolver that never answers) the
    // window ran out with no connection.
    assert!(m.contains("cannot reach the MCP server"), "{r}");
    assert!(
        took < Duration::from_millis(10_500),
        "answered after {took:?}"
    );
}

#[tokio::test]
async fn a_connection_that_never_completes_is_answered_when_the_window_ends() {
    // A listener that takes the TCP connection and never speaks TLS: the
    // connection is never made, and nothing else would end the wait before
    // --connect-timeout (30 s).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut conns = Vec::new();
        while let Ok((c, _)) = listener.accept().await {
            conns.push(c);
        }
    });
    let url = format!("https://127.0.0.1:{port}/mcp");
    let mut b = Bridge::start(&url, &["--start-timeout", "3"]).await;
    let (r, took) = timed_initialize(&mut b).await;
    let m = message(&r);
    assert!(m.contains("no connection could be opened in 3 s"), "{r}");
    assert!(m.contains("mcp-bridge doctor"), "{r}");
    assert!(
        took < Duration::from_millis(3_800),
        "answered after {took:?}"
    );
    held.abort();
}

#[tokio::test]
async fn a_server_that_comes_up_inside_the_window_is_served() {
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let mut b = Bridge::start(&url, &[]).await;
    let up = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        tokio::task::spawn_blocking(move || peers::everything_on("streamableHttp", port))
            .await
            .unwrap()
    });
    let (r, took) = timed_initialize(&mut b).await;
    assert!(r["result"]["serverInfo"].is_object(), "{r}\n{}", b.stderr());
    assert!(took < Duration::from_secs(10), "answered after {took:?}");
    let listed = b.request(json!(2), "tools/list", json!({})).await;
    assert!(listed["result"]["tools"].is_array(), "{listed}");
    drop(up.await.unwrap());
}

#[tokio::test]
async fn once_the_server_was_reached_an_outage_keeps_the_whole_retry_timeout() {
    let port = common::free_port();
    let peer = tokio::task::spawn_blocking(move || peers::everything_on("streamableHttp", port))
        .await
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let mut b = Bridge::start(&url, &["--start-timeout", "1", "--retry-timeout", "6"]).await;
    b.initialize().await;
    drop(peer);
    let start = Instant::now();
    let r = b.request(json!(2), "tools/list", json!({})).await;
    assert!(message(&r).contains("kept trying for 6 s"), "{r}");
    assert!(
        start.elapsed() > Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_real_client_sees_the_bridges_reason_inside_ten_seconds() {
    // The Python SDK's stdio client in its dual-era mode asks
    // `server/discover` first, then `initialize`: both inside one window.
    let url = format!("http://127.0.0.1:{}/mcp", common::free_port());
    let seen = peers::python_client_connect(&url);
    let error = seen["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("cannot reach the MCP server") && error.contains("refused"),
        "{seen}"
    );
    let seconds = seen["seconds"].as_f64().unwrap();
    assert!(seconds < 10.0, "the client saw it after {seconds} s");
}
