//! Faults in the middle of a session: broken reply streams (resumed with
//! Last-Event-ID, each message delivered exactly once), cut connections,
//! refused connections, stalls, lost sessions found by a ping or by the GET
//! stream, and request timeouts. Real servers run behind a fault-injecting
//! proxy (`common/proxy.rs`); a fake server stages the precise cases.

mod common;

use axum::http::Method;
use common::fake::{event, forgetful, not_found, result, Fake, Reply, Seen, Step, SESSION};
use common::proxy::Proxy;
use common::{peers, text_of, Bridge};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

fn progress(n: u64) -> Value {
    json!({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"p","progress":n,"total":3}})
}

/// An SSE event with an id carrying `msg`.
fn event_with_id(id: &str, msg: &Value) -> Step {
    Step::Text(format!("id: {id}\ndata: {msg}\n\n"))
}

/// A call with progress token "p".
fn call_with_progress(id: Value, name: &str, args: Value) -> Value {
    json!({"jsonrpc":"2.0","id":id,"method":"tools/call",
        "params":{"name":name,"arguments":args,"_meta":{"progressToken":"p"}}})
}

/// Read until the response to `id`; returns it and the progress values seen
/// on the way (in order).
async fn progress_until(b: &mut Bridge, id: Value) -> (Value, Vec<u64>) {
    let mut seen = Vec::new();
    loop {
        let v = b.recv().await;
        if v["method"] == "notifications/progress" {
            seen.push(v["params"]["progress"].as_u64().unwrap());
        } else if v.get("id") == Some(&id) && v.get("method").is_none() {
            return (v, seen);
        }
    }
}

/// A fake whose tools/call reply stream is answered by `call`, GETs with a
/// Last-Event-ID by `resume`, and everything else as `fake::mcp`.
fn resumable(
    call: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    resume: impl Fn(&Seen, &str) -> Reply + Send + Sync + 'static,
) -> impl Fn(&Seen) -> Reply + Send + Sync + 'static {
    move |s| match (&s.method, s.header("last-event-id")) {
        (&Method::GET, Some(last)) => resume(s, &last),
        _ if s.rpc_method() == "tools/call" => call(s),
        _ => common::fake::mcp(s),
    }
}

#[tokio::test]
async fn a_broken_reply_stream_is_resumed_and_nothing_repeats() {
    let fake = Fake::start(resumable(
        |_| {
            Reply::Sse(
                vec![
                    Step::Text(format!("id: e1\nretry: 200\ndata: {}\n\n", progress(1))),
                    event_with_id("e2", &progress(2)),
                    Step::Break,
                ],
                vec![],
            )
        },
        |_, _| {
            // A sloppy replay that starts at the last event the client has.
            Reply::Sse(
                vec![
                    event_with_id("e2", &progress(2)),
                    event_with_id("e3", &progress(3)),
                    event_with_id("e4", &result(&json!(7), json!({"done": true}))),
                ],
                vec![],
            )
        },
    ))
    .await;
    let mut b = Bridge::start(&fake.url, &["-v"]).await;
    b.initialize().await;
    b.send(call_with_progress(json!(7), "slow", json!({})))
        .await;
    let (r, seen) = progress_until(&mut b, json!(7)).await;
    assert_eq!(r["result"]["done"], true, "{r}");
    assert_eq!(seen, [1, 2, 3], "every progress exactly once, in order");
    assert!(b.drain(Duration::from_millis(300)).await.is_empty());
    let resumes = fake.seen_with(Method::GET);
    let lasts: Vec<_> = resumes
        .iter()
        .filter_map(|s| s.header("last-event-id"))
        .collect();
    assert_eq!(lasts, ["e2"], "resumed once, after the last event received");
    assert_eq!(
        resumes[0].header("mcp-session-id").as_deref(),
        Some(SESSION)
    );
    let calls = fake
        .seen()
        .iter()
        .filter(|s| s.rpc_method() == "tools/call")
        .count();
    assert_eq!(calls, 1, "the request itself is never sent again");
    b.wait_stderr("resuming it in 200 ms").await;
}

#[tokio::test]
async fn a_reply_stream_the_server_closes_is_polled_until_the_answer() {
    // 2025-11-25 lets a server close a reply stream after an event id (a
    // priming event here) and have the client poll with GET.
    let polls = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&polls);
    let fake = Fake::start(resumable(
        |_| {
            Reply::Sse(
                vec![Step::Text("id: p0\nretry: 50\ndata:\n\n".into())],
                vec![],
            )
        },
        move |_, last| {
            count.fetch_add(1, Ordering::SeqCst);
            match last {
                "p0" => Reply::Sse(vec![event_with_id("p1", &progress(1))], vec![]),
                _ => Reply::Sse(
                    vec![event_with_id(
                        "p2",
                        &result(&json!(8), json!({"polled": true})),
                    )],
                    vec![],
                ),
            }
        },
    ))
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize().await;
    b.send(call_with_progress(json!(8), "slow", json!({})))
        .await;
    let (r, seen) = progress_until(&mut b, json!(8)).await;
    assert_eq!(r["result"]["polled"], true, "{r}");
    assert_eq!(seen, [1]);
    assert_eq!(polls.load(Ordering::SeqCst), 2, "one GET per closed stream");
}

#[tokio::test]
async fn a_broken_stream_without_event_ids_is_an_error_and_never_sent_again() {
    let fake = Fake::start(resumable(
        |_| Reply::Sse(vec![event(&progress(1)), Step::Break], vec![]),
        |_, _| Reply::Status(500),
    ))
    .await;
    let mut b = Bridge::start(&fake.url, &[]).await;
    b.initialize().await;
    b.send(call_with_progress(json!(9), "slow", json!({})))
        .await;
    let (r, seen) = progress_until(&mut b, json!(9)).await;
    assert_eq!(seen, [1]);
    let text = r["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"));
    assert!(
        text.contains("lost while the request was in flight"),
        "{text}"
    );
    let seen = fake.seen();
    assert_eq!(
        seen.iter()
            .filter(|s| s.rpc_method() == "tools/call")
            .count(),
        1
    );
    assert!(!seen.iter().any(|s| s.header("last-event-id").is_some()));
}

#[tokio::test]
async fn a_stream_the_server_cannot_resume_is_an_error_and_the_session_renewed() {
    let fake = Fake::start(resumable(
        |_| Reply::Sse(vec![event_with_id("x1", &progress(1)), Step::Break], vec![]),
        |_, _| not_found(),
    ))
    .await;
    let mut b = Bridge::start(&fake.url, &["-v"]).await;
    b.initialize().await;
    b.send(call_with_progress(json!(10), "slow", json!({})))
        .await;
    let (r, _) = progress_until(&mut b, json!(10)).await;
    let text = r["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"));
    assert!(
        text.contains("cannot resume it") && text.contains("404"),
        "{text}"
    );
    // The refusal says the session is gone: a new one is started at once,
    // without waiting for the client's next request.
    fake.wait_for("a second initialize", |s| {
        s.rpc_id()
            .as_str()
            .is_some_and(|i| i.starts_with("mcp-bridge-renew-"))
    })
    .await;
    assert_eq!(
        fake.seen()
            .iter()
            .filter(|s| s.rpc_method() == "tools/call")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_request_past_its_timeout_is_an_error_and_cancelled_upstream() {
    let never = Arc::new(Semaphore::new(0));
    let gate = Arc::clone(&never);
    let fake = Fake::start(resumable(
        move |_| Reply::Sse(vec![Step::Gate(Arc::clone(&gate))], vec![]),
        |_, _| Reply::Status(405),
    ))
    .await;
    let mut b = Bridge::start(&fake.url, &["--request-timeout", "1"]).await;
    b.initialize().await;
    let r = b.call_tool(json!(11), "hang", json!({})).await;
    let text = r["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"));
    assert!(text.contains("--request-timeout"), "{text}");
    let cancel = fake
        .wait_for("notifications/cancelled", |s| {
            s.rpc_method() == "notifications/cancelled"
        })
        .await;
    assert_eq!(cancel.body.unwrap()["params"]["requestId"], 11);
    // The bridge keeps serving.
    let r = b.request(json!(12), "ping", json!({})).await;
    assert!(r.get("result").is_some(), "{r}");
    drop(never);
}

#[tokio::test]
async fn pings_are_the_bridges_own_and_a_lost_session_is_renewed_by_one() {
    let generation = Arc::new(AtomicUsize::new(1));
    let fake = Fake::start(forgetful(Arc::clone(&generation), not_found)).await;
    let mut b = Bridge::start(&fake.url, &["--ping-interval", "1", "-v"]).await;
    b.initialize().await;
    let ping = fake.wait_for("a ping", |s| s.rpc_method() == "ping").await;
    assert!(
        ping.rpc_id()
            .as_str()
            .is_some_and(|i| i.starts_with("mcp-bridge-ping-")),
        "{:?}",
        ping.body
    );
    generation.store(2, Ordering::SeqCst); // the server forgets the session
    fake.wait_for("a renewal started by a ping", |s| {
        s.rpc_method() == "initialize" && s.rpc_id() != json!("init")
    })
    .await;
    fake.wait_for("a ping on the new session", |s| {
        s.rpc_method() == "ping" && s.header("mcp-session-id").as_deref() == Some("s2")
    })
    .await;
    // The client saw none of it.
    let extra = b.drain(Duration::from_millis(300)).await;
    assert!(extra.is_empty(), "{extra:?}");
    let r = b.call_tool(json!(1), "echo", json!({"x": 1})).await;
    assert_eq!(r["result"]["echo"]["x"], 1, "{r}");
}

#[tokio::test]
async fn everything_cut_mid_operation_delivers_every_progress_exactly_once() {
    // server-everything keeps an event store: the bridge resumes the call's
    // reply stream with Last-Event-ID after every connection is cut.
    let peer = peers::everything("streamableHttp");
    let proxy = Proxy::start(peer.port).await;
    let mut b = Bridge::start(&proxy.url("mcp"), &["-v"]).await;
    b.initialize().await;
    b.send(call_with_progress(
        json!(1),
        "trigger-long-running-operation",
        json!({"duration": 4, "steps": 8}),
    ))
    .await;
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let v = b
            .recv_matching(|v| v["method"] == "notifications/progress")
            .await;
        seen.push(v["params"]["progress"].as_u64().unwrap());
    }
    let cut_at = std::time::Instant::now();
    assert!(proxy.cut() >= 1, "a live connection was cut");
    let (r, rest) = progress_until(&mut b, json!(1)).await;
    eprintln!(
        "measured: cut mid-operation, answer {:?} later",
        cut_at.elapsed()
    );
    seen.extend(rest);
    assert!(
        text_of(&r).contains("Long running operation completed"),
        "{r}"
    );
    assert_eq!(
        seen,
        (1..=8).collect::<Vec<_>>(),
        "each progress exactly once"
    );
    let extra = b.drain(Duration::from_millis(500)).await;
    assert!(
        !extra
            .iter()
            .any(|v| v["method"] == "notifications/progress" || v["id"] == 1),
        "{extra:?}"
    );
    b.wait_stderr("reply stream resumed").await;
    // The session survived the cut.
    let r = b
        .call_tool(json!(2), "echo", json!({"message": "still here"}))
        .await;
    assert_eq!(text_of(&r), "Echo: still here");
}

#[tokio::test]
async fn everything_behind_refused_connections_answers_once_they_return() {
    let peer = peers::everything("streamableHttp");
    let proxy = Arc::new(Proxy::start(peer.port).await);
    let mut b = Bridge::start(&proxy.url("mcp"), &["-v"]).await;
    b.initialize().await;
    let refusing = {
        let proxy = Arc::clone(&proxy);
        tokio::spawn(async move { proxy.refuse_for(Duration::from_secs(3)).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let asked = std::time::Instant::now();
    let r = b
        .call_tool(json!(1), "echo", json!({"message": "waited"}))
        .await;
    assert_eq!(text_of(&r), "Echo: waited", "{r}");
    eprintln!("measured: refused 2.8 s more, answer {:?}", asked.elapsed());
    refusing.await.unwrap();
    b.wait_stderr("trying again in").await;
}

#[tokio::test]
async fn a_ping_through_a_stalled_connection_starts_the_reconnect_path() {
    let peer = peers::everything("streamableHttp");
    let proxy = Proxy::start(peer.port).await;
    let mut b = Bridge::start(&proxy.url("mcp"), &["--ping-interval", "1", "-v"]).await;
    b.initialize().await;
    proxy.stall(true);
    let stalled = std::time::Instant::now();
    b.wait_stderr("connected → reconnecting (a ping failed")
        .await;
    eprintln!("measured: stall noticed after {:?}", stalled.elapsed());
    proxy.stall(false);
    proxy.cut(); // what a middlebox that finally gives up does
    b.wait_stderr("reconnecting → connected").await;
    let r = b
        .call_tool(json!(1), "echo", json!({"message": "alive"}))
        .await;
    assert_eq!(text_of(&r), "Echo: alive", "{r}");
}

#[tokio::test]
async fn everything_over_sse_cut_starts_a_new_session_the_client_never_sees() {
    // An HTTP+SSE session lives as long as its stream: after the cut the
    // reopened stream is a new session, set up again with the client's own
    // initialize before the next call goes out.
    let peer = peers::everything("sse");
    let proxy = Proxy::start(peer.port).await;
    let mut b = Bridge::start(&proxy.url("sse"), &["-v"]).await;
    b.initialize().await;
    let r = b
        .call_tool(json!(1), "echo", json!({"message": "one"}))
        .await;
    assert_eq!(text_of(&r), "Echo: one");
    let cut_at = std::time::Instant::now();
    assert!(proxy.cut() >= 1);
    b.wait_stderr("new HTTP+SSE session set up").await;
    eprintln!(
        "measured: SSE cut, new session {:?} later",
        cut_at.elapsed()
    );
    let r = b
        .call_tool(json!(2), "echo", json!({"message": "two"}))
        .await;
    assert_eq!(text_of(&r), "Echo: two", "{r}");
    let extra = b.drain(Duration::from_millis(300)).await;
    assert!(
        !extra.iter().any(|v| v.get("result").is_some()),
        "the replayed initialize's answer is not forwarded: {extra:?}"
    );
}

#[tokio::test]
async fn python_sdk_restart_is_noticed_by_the_get_stream_before_any_call() {
    let mut peer = peers::python("stateful");
    // The SDK serves both eras; sessions (what this is about) are the
    // handshake era's, which --protocol auto would not choose here.
    let mut b = Bridge::start(&peer.url, &["-vv", "--protocol", "legacy"]).await;
    b.initialize().await;
    b.wait_stderr("GET stream open").await;
    peer.kill();
    peer.start_again();
    // No request from the client: the GET stream's refusal starts the renewal.
    let back = std::time::Instant::now();
    b.wait_stderr("re-initializing → connected").await;
    eprintln!("measured: restart, new session {:?} after", back.elapsed());
    let r = b.call_tool(json!(1), "add", json!({"a": 2, "b": 3})).await;
    assert_eq!(text_of(&r), "5", "{r}");
}
