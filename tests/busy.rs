//! A server that did not take a request on: 429 (too many requests) and 503
//! (unavailable) are sent again after the server's `Retry-After` (seconds
//! or an HTTP date) or the backoff, for at most `--retry-timeout` in all;
//! every request still gets exactly one answer, and notifications arrive
//! in order. A fake server stages the precise cases; nginx's `limit_req`
//! is in `tests/deployments_net.rs`.

mod common;

use common::fake::{self, Fake, Reply, Seen};
use common::Bridge;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A fake that answers the first `n` requests matching `busy` with
/// `status` and `retry_after` (if any), and everything else as `fake::mcp`.
fn busy_first(
    n: usize,
    status: u16,
    retry_after: Option<&'static str>,
    busy: impl Fn(&Seen) -> bool + Send + Sync + 'static,
) -> impl Fn(&Seen) -> Reply + Send + Sync + 'static {
    let count = Arc::new(AtomicUsize::new(0));
    move |s| {
        if busy(s) && count.fetch_add(1, Ordering::SeqCst) < n {
            let headers = retry_after
                .map(|v| vec![("retry-after", v.to_owned())])
                .unwrap_or_default();
            return Reply::Json(status, r#"{"error":"slow down"}"#.into(), headers);
        }
        fake::mcp(s)
    }
}

/// The waits the bridge announced, in ms.
fn waits(stderr: &str) -> Vec<u64> {
    stderr
        .lines()
        .filter_map(|l| l.split("; sending again in ").nth(1))
        .filter_map(|rest| rest.trim_end_matches(" ms").parse().ok())
        .collect()
}

fn calls(server: &Fake) -> usize {
    server
        .seen()
        .iter()
        .filter(|s| s.rpc_method() == "tools/call")
        .count()
}

async fn bridge(url: &str, extra: &[&str]) -> Bridge {
    let mut args = vec!["--protocol", "legacy", "-v"];
    args.extend_from_slice(extra);
    let mut b = Bridge::start(url, &args).await;
    b.initialize().await;
    b
}

#[tokio::test]
async fn a_429_is_sent_again_after_its_retry_after() {
    let server = Fake::start(busy_first(2, 429, Some("1"), |s| {
        s.rpc_method() == "tools/call"
    }))
    .await;
    let mut b = bridge(&server.url, &[]).await;
    let start = Instant::now();
    let r = b.call_tool(json!(1), "t", json!({"k": 1})).await;
    assert_eq!(r["result"]["echo"]["k"], 1, "{r}\n{}", b.stderr());
    assert_eq!(calls(&server), 3, "twice refused, then taken");
    // Waited as asked (a floor, not a timing measurement: 1 s twice).
    assert!(
        start.elapsed() >= Duration::from_millis(1800),
        "{:?}",
        start.elapsed()
    );
    assert!(
        b.stderr()
            .contains("the server is busy (HTTP 429 Too Many Requests)"),
        "{}",
        b.stderr()
    );
    // Its 1 s (and the backoff's, no less), spread by up to a fifth.
    let w = waits(&b.stderr());
    assert!(
        w.len() == 2 && w.iter().all(|w| (1000..=1440).contains(w)),
        "{w:?}"
    );
}

#[tokio::test]
async fn a_503_without_retry_after_backs_off_and_an_http_date_is_honoured() {
    let server = Fake::start(busy_first(1, 503, None, |s| s.rpc_method() == "tools/call")).await;
    let mut b = bridge(&server.url, &[]).await;
    let r = b.call_tool(json!(1), "t", json!({"k": 2})).await;
    assert_eq!(r["result"]["echo"]["k"], 2, "{r}");
    assert_eq!(calls(&server), 2);

    // An HTTP date already past: sent again at once (after the floor).
    let server = Fake::start(busy_first(
        1,
        503,
        Some("Wed, 21 Oct 2015 07:28:00 GMT"),
        |s| s.rpc_method() == "tools/call",
    ))
    .await;
    let mut b = bridge(&server.url, &[]).await;
    let r = b.call_tool(json!(1), "t", json!({"k": 3})).await;
    assert_eq!(r["result"]["echo"]["k"], 3, "{r}");
    let w = waits(&b.stderr());
    assert!(
        w.len() == 1 && (100..=120).contains(&w[0]),
        "the floor: {w:?}"
    );
}

#[tokio::test]
async fn a_wait_past_the_retry_timeout_is_an_error_at_once() {
    // Retry-After: 120 s is capped at 30 s, which still passes a 2 s budget.
    let server = Fake::start(busy_first(100, 429, Some("120"), |s| {
        s.rpc_method() == "tools/call"
    }))
    .await;
    let mut b = bridge(&server.url, &["--retry-timeout", "2"]).await;
    let r = b.call_tool(json!(1), "t", json!({})).await;
    let message = r["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("429"), "{r}");
    assert_eq!(calls(&server), 1, "not sent again");
    assert!(b.stderr().contains("giving up"), "{}", b.stderr());
}

#[tokio::test]
async fn a_server_busy_for_ever_answers_every_request_once_within_the_retry_timeout() {
    let server = Fake::start(busy_first(usize::MAX, 503, Some("0"), |s| {
        s.rpc_method() == "tools/call"
    }))
    .await;
    let mut b = bridge(&server.url, &["--retry-timeout", "3"]).await;
    for id in 1..=3 {
        b.send(json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": "t", "arguments": {}}}))
            .await;
    }
    for id in 1..=3 {
        let r = b.response(json!(id)).await;
        assert!(
            r["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("503"),
            "{r}"
        );
    }
    // Retry-After: 0 has a floor and repeats back off: a few tries each,
    // not thousands.
    let tries = calls(&server);
    assert!((3..=3 * 12).contains(&tries), "{tries} tries");
    let extra = b.drain(Duration::from_millis(300)).await;
    assert!(
        extra.iter().all(|m| m.get("id").is_none()),
        "one answer each: {extra:?}"
    );
}

#[tokio::test]
async fn notifications_refused_as_busy_still_arrive_all_and_in_order() {
    let server = Fake::start(busy_first(2, 429, Some("1"), |s| {
        s.rpc_method() == "notifications/progress"
    }))
    .await;
    let mut b = bridge(&server.url, &[]).await;
    for n in 0..5 {
        b.send(json!({"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": "t", "progress": n}}))
            .await;
    }
    let start = Instant::now();
    while server.progress_seen().len() < 7 && start.elapsed() < common::WAIT {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let delivered = server.progress_seen();
    // The first was refused twice, then taken; the rest followed in order.
    assert_eq!(delivered, [0, 0, 0, 1, 2, 3, 4], "{delivered:?}");
}
