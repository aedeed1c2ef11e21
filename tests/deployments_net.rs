//! The load balancers and proxies remote MCP servers sit behind, from
//! Debian's packages: HAProxy with cookie stickiness in front of three
//! stateful replicas of the Python SDK's server, and nginx with a rate limit
//! (`limit_req`, 429 with `Retry-After`); both terminate TLS with a CA the
//! test makes with openssl, which the bridge trusts through `--ca-cert`.

// Debian's nginx and HAProxy, and openssl, in front of the servers.
#![cfg(target_os = "linux")]

mod common;

use common::infra::{self, Ca};
use common::peers::{self, Peer};
use common::{text_of, Bridge};
use serde_json::json;

/// A bridge to `url` that trusts `ca`, speaking the handshake (whose
/// session lives on one replica).
async fn bridge(url: &str, ca: &Ca, extra: &[&str]) -> Bridge {
    let ca = ca.ca.display().to_string();
    let mut args = vec!["--ca-cert", ca.as_str(), "--protocol", "legacy", "-v"];
    args.extend_from_slice(extra);
    let mut b = Bridge::start(url, &args).await;
    b.initialize().await;
    b
}

async fn add(b: &mut Bridge, id: u64) -> String {
    let r = b
        .call_tool(json!(id), "add", json!({"a": id, "b": 1}))
        .await;
    assert!(r["result"].is_object(), "call {id}: {r}\n{}", b.stderr());
    text_of(&r)
}

/// The HAProxy log lines of requests that carried the SRV cookie, and those
/// that did not (the first, initialize, cannot).
fn cookies_seen(log: &str) -> (Vec<String>, usize) {
    let lines: Vec<&str> = log.lines().filter(|l| l.contains(" cookie=")).collect();
    let with: Vec<String> = lines
        .iter()
        .filter_map(|l| l.split(" cookie=").nth(1))
        .filter(|c| !c.is_empty() && *c != "-")
        .map(str::to_owned)
        .collect();
    let without = lines.len() - with.len();
    (with, without)
}

#[tokio::test]
async fn haproxy_cookie_stickiness_keeps_the_session_and_a_lost_replica_is_healed() {
    let dir = tempfile::tempdir().unwrap();
    let ca = infra::make_ca(dir.path());
    let mut replicas: Vec<Peer> = (0..3).map(|_| peers::python("stateful")).collect();
    let ports: Vec<u16> = replicas.iter().map(|r| r.port).collect();
    let port = common::free_port();
    let lb = infra::haproxy(dir.path(), port, &ca, &ports);
    let url = format!("https://localhost:{port}/mcp");

    let mut b = bridge(&url, &ca, &[]).await;
    for id in 1..=20 {
        assert_eq!(add(&mut b, id).await, (id + 1).to_string());
    }
    assert!(
        !b.stderr().contains("the server lost the session"),
        "the session never moved:\n{}",
        b.stderr()
    );
    let log = lb.output();
    let (with, without) = cookies_seen(&log);
    assert!(
        with.len() >= 21,
        "initialized and 20 calls carried the cookie:\n{log}"
    );
    assert!(
        without <= 2,
        "only the first request(s) went without:\n{log}"
    );
    let holder = with[0].clone();
    assert!(
        with.iter().all(|c| *c == holder),
        "one replica held it:\n{log}"
    );

    // The replica holding the session dies: HAProxy sends the next request
    // elsewhere, which does not know the session; the bridge starts a new
    // one there (the client sees nothing) and stays on it.
    let n: usize = holder.trim_start_matches('s').parse().unwrap();
    replicas[n - 1].kill();
    for id in 21..=26 {
        assert_eq!(add(&mut b, id).await, (id + 1).to_string());
    }
    let renewals = b.stderr().matches("a new session started").count();
    assert!(renewals >= 1, "the session was renewed:\n{}", b.stderr());
    let log = lb.output();
    let (with, _) = cookies_seen(&log);
    let now = with.last().unwrap();
    assert_ne!(*now, holder, "the new session lives elsewhere:\n{log}");
    let tail: Vec<&String> = with.iter().rev().take(4).collect();
    assert!(tail.iter().all(|c| *c == now), "and stays there:\n{log}");
}

#[tokio::test]
async fn with_cookies_disabled_the_session_scatters_across_replicas() {
    // --disable-cookies: what a client without a jar meets. Each replica
    // knows only its own sessions, and round robin sends every request
    // elsewhere: sessions are lost again and again.
    let dir = tempfile::tempdir().unwrap();
    let ca = infra::make_ca(dir.path());
    let replicas: Vec<Peer> = (0..3).map(|_| peers::python("stateful")).collect();
    let ports: Vec<u16> = replicas.iter().map(|r| r.port).collect();
    let port = common::free_port();
    let lb = infra::haproxy(dir.path(), port, &ca, &ports);
    let url = format!("https://localhost:{port}/mcp");
    let mut b = bridge(&url, &ca, &["--disable-cookies"]).await;
    let mut failed = 0;
    for id in 1..=6 {
        let r = b
            .call_tool(json!(id), "add", json!({"a": id, "b": 1}))
            .await;
        if r.get("error").is_some() {
            failed += 1;
        }
    }
    let (with, _) = cookies_seen(&lb.output());
    assert!(with.is_empty(), "no cookie sent: {with:?}");
    let lost = b.stderr().matches("the server lost the session").count();
    assert!(
        failed + lost >= 3,
        "{failed} calls failed, {lost} sessions lost:\n{}",
        b.stderr()
    );
}

#[tokio::test]
async fn nginx_rate_limit_429_is_waited_out_after_its_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let ca = infra::make_ca(dir.path());
    let server = peers::python("stateful");
    let port = common::free_port();
    let _nginx = infra::nginx(dir.path(), port, &ca, server.port, "10r/s");
    let url = format!("https://localhost:{port}/mcp");
    let mut b = bridge(&url, &ca, &[]).await;
    // Sent back to back: the limit refuses most of them at first.
    for id in 1..=4u64 {
        b.send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": "add", "arguments": {"a": id, "b": 1}}}))
            .await;
    }
    for id in 1..=4u64 {
        let r = b.response(json!(id)).await;
        assert_eq!(text_of(&r), (id + 1).to_string(), "{r}\n{}", b.stderr());
    }
    let access = infra::nginx_access(dir.path());
    let limited = access.iter().filter(|l| l.contains("\" 429 ")).count();
    assert!(limited >= 1, "nginx refused some: {access:#?}");
    // The bridge took the HTTP/2 that nginx offered.
    assert!(
        access.iter().all(|l| l.contains(" HTTP/2.0\"")),
        "{access:#?}"
    );
    assert!(
        b.stderr()
            .contains("the server is busy (HTTP 429 Too Many Requests); sending again in 1"),
        "{}",
        b.stderr()
    );
    // Exactly one answer each.
    let extra = b.drain(std::time::Duration::from_millis(300)).await;
    assert!(extra.iter().all(|m| m.get("id").is_none()), "{extra:?}");
}
