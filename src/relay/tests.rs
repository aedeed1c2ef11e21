//! The relay's rules, driven in-process against a scripted upstream: every
//! request gets exactly one answer (including on cancel, failure, timeout
//! and shutdown), ids are never rewritten, and the bridge's own ids never
//! reach the client.

use super::*;
use crate::sync::Locked;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use tokio::sync::oneshot;

/// What the fake upstream does with a request.
#[derive(Clone)]
enum Script {
    /// Answer with a result that echoes the id as it was sent.
    Answer,
    /// Answer twice (a server that repeats itself).
    Twice,
    /// Answer after this long.
    Slow(Duration),
    /// Fail with this error.
    Fail(ErrorKind),
    /// End without an answer.
    NoAnswer,
    /// Never finish.
    Never,
    /// Panic while holding a lock the relay's upstream shares (the
    /// test-only hook for a bug in an exchange).
    Panic,
}

/// A scripted upstream that records what reached it.
struct Fake {
    sink: mpsc::Sender<Message>,
    script: fn(&Message) -> Script,
    seen: Mutex<Vec<String>>,
    /// Requests as they reached it.
    raw: Mutex<Vec<Bytes>>,
    /// Exchanges stopped before they finished.
    stopped: AtomicUsize,
    /// Plain data every exchange touches, as the connection's are.
    shared: Mutex<u64>,
}

/// Counts an exchange that is dropped before it finishes.
struct Stopped<'a>(&'a AtomicUsize, bool);

impl Drop for Stopped<'_> {
    fn drop(&mut self) {
        if !self.1 {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

impl Fake {
    fn note(&self, what: String) {
        self.seen.lock().unwrap().push(what);
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    async fn answer(&self, m: &Message) {
        // The id as the client wrote it, as a server echoes it.
        #[derive(serde::Deserialize)]
        struct Raw<'a> {
            #[serde(borrow)]
            id: &'a serde_json::value::RawValue,
        }
        let raw: Raw<'_> = serde_json::from_slice(&m.raw).unwrap();
        let id = raw.id.get();
        let line = format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{{"echo":{id}}}}}"#);
        self.sink
            .send(jsonrpc::classify(Bytes::from(line)).unwrap())
            .await
            .unwrap();
    }

    async fn exchange(&self, m: &Message) -> Result<Answered, UpstreamError> {
        self.note(format!("request {}", m.id().unwrap()));
        *self.shared.locked() += 1;
        self.raw.lock().unwrap().push(m.raw.clone());
        let mut guard = Stopped(&self.stopped, false);
        let out = match (self.script)(m) {
            Script::Answer => {
                self.answer(m).await;
                Ok(Answered::Yes)
            }
            Script::Twice => {
                self.answer(m).await;
                self.answer(m).await;
                Ok(Answered::Yes)
            }
            Script::Slow(d) => {
                tokio::time::sleep(d).await;
                self.answer(m).await;
                Ok(Answered::Yes)
            }
            Script::Fail(kind) => Err(UpstreamError::new(kind, "http://fake/mcp", "scripted")),
            Script::NoAnswer => Ok(Answered::No),
            Script::Never => std::future::pending().await,
            Script::Panic => {
                tokio::task::yield_now().await;
                let _held = self.shared.locked();
                panic!("a bug in the exchange of {}", m.id().unwrap());
            }
        };
        guard.1 = true;
        out
    }
}

impl Upstream for Fake {
    async fn initialize(&self, m: &Message) -> Result<Answered, UpstreamError> {
        self.exchange(m).await
    }
    async fn request(&self, m: &Message, _id: &Id) -> Result<Answered, UpstreamError> {
        self.exchange(m).await
    }
    async fn initialized(&self, _m: Message) {
        self.note("initialized".into());
    }
    async fn notify(&self, m: Message) {
        self.note(format!("notify {}", m.method_name()));
    }
    fn gave_up(self: &Arc<Self>, id: &Id) {
        self.note(format!("gave up {id}"));
    }
    fn start(self: &Arc<Self>, _ping_every: Option<Duration>) -> Vec<AbortHandle> {
        Vec::new()
    }
    async fn close(&self) {
        self.note("close".into());
    }
    fn url(&self) -> &str {
        "http://fake/mcp"
    }
}

/// A relay over a fake, with the client's side of it.
struct Harness {
    fake: Arc<Fake>,
    to_relay: mpsc::Sender<Inbound>,
    from_relay: mpsc::Receiver<Bytes>,
    stop: Option<oneshot::Sender<()>>,
    running: tokio::task::JoinHandle<()>,
}

fn start(script: fn(&Message) -> Script, request_timeout: Option<Duration>) -> Harness {
    let (sink, from_server) = mpsc::channel(64);
    let fake = Arc::new(Fake {
        sink,
        script,
        seen: Mutex::new(Vec::new()),
        raw: Mutex::new(Vec::new()),
        stopped: AtomicUsize::new(0),
        shared: Mutex::new(0),
    });
    let (out, from_relay) = mpsc::channel(64);
    let settings = Settings {
        max_message: 1 << 20,
        request_timeout,
        ping_every: None,
    };
    let relay = Relay::new(
        Arc::clone(&fake),
        from_server,
        Output::Lines(out),
        ToolFilter::new(&["hidden".into()], &[]),
        settings,
    );
    let (to_relay, inbound) = mpsc::channel(64);
    let (stop, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(relay.run(Input::Lines(inbound), async {
        let _ = stopped.await;
    }));
    Harness {
        fake,
        to_relay,
        from_relay,
        stop: Some(stop),
        running,
    }
}

impl Harness {
    async fn send(&self, line: &str) {
        self.to_relay
            .send(Inbound::Line(Bytes::from(line.to_owned())))
            .await
            .unwrap();
    }

    async fn request(&self, id: &str, method: &str) {
        self.send(&format!(
            r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}"}}"#
        ))
        .await;
    }

    /// The next line, an error answering request `id`: its message.
    async fn error_for(&mut self, id: i64) -> String {
        let r = self.next().await;
        assert_eq!(r["id"], id, "{r}");
        r["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("{r}"))
            .to_owned()
    }

    /// The server sends `line` on its own.
    async fn server_sends(&self, line: &'static str) {
        let m = jsonrpc::classify(Bytes::from_static(line.as_bytes())).unwrap();
        self.fake.sink.send(m).await.unwrap();
    }

    /// Wait until the upstream has seen `what`.
    async fn reached(&self, what: &str) {
        for _ in 0..500 {
            if self.fake.seen().iter().any(|s| s == what) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        panic!("{what} never reached the upstream: {:?}", self.fake.seen());
    }

    /// The next line to the client, as text.
    async fn line(&mut self) -> String {
        let line = tokio::time::timeout(Duration::from_secs(5), self.from_relay.recv())
            .await
            .expect("a line within 5 s")
            .expect("the relay is running");
        String::from_utf8(line.to_vec()).unwrap()
    }

    async fn next(&mut self) -> Value {
        serde_json::from_str(&self.line().await).unwrap()
    }

    /// Every line until the relay has been quiet for `quiet`.
    async fn rest(&mut self, quiet: Duration) -> Vec<Value> {
        let mut out = Vec::new();
        while let Ok(Some(line)) = tokio::time::timeout(quiet, self.from_relay.recv()).await {
            out.push(serde_json::from_slice(&line).unwrap());
        }
        out
    }

    async fn close_stdin(&mut self) {
        self.to_relay.send(Inbound::Closed).await.unwrap();
        (&mut self.running).await.unwrap();
    }
}

fn answer_all(_: &Message) -> Script {
    Script::Answer
}

#[tokio::test]
async fn ids_reach_the_client_exactly_as_it_wrote_them() {
    let mut h = start(answer_all, None);
    for id in ["7", r#""\u0061b""#, "-1.5e3", r#""mcp-bridge-ping-1""#] {
        let sent = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/list"}}"#);
        h.send(&sent).await;
        let line = h.line().await;
        assert!(
            line.starts_with(&format!(r#"{{"jsonrpc":"2.0","id":{id},"#)),
            "{id} came back as {line}"
        );
        let upstream = h.fake.raw.lock().unwrap().last().cloned().unwrap();
        assert_eq!(upstream, sent.as_bytes(), "sent upstream byte for byte");
    }
}

#[tokio::test]
async fn a_repeated_answer_reaches_the_client_once() {
    let mut h = start(|_| Script::Twice, None);
    h.request("1", "tools/call").await;
    assert_eq!(h.next().await["id"], 1);
    let extra = h.rest(Duration::from_millis(100)).await;
    assert!(extra.is_empty(), "{extra:?}");
}

#[tokio::test]
async fn answers_nobody_waits_for_are_dropped_and_server_requests_pass() {
    let mut h = start(answer_all, None);
    let own = r#"{"jsonrpc":"2.0","id":"mcp-bridge-ping-9","result":{}}"#;
    let asks = r#"{"jsonrpc":"2.0","id":"s1","method":"sampling/createMessage","params":{}}"#;
    for line in [own, asks] {
        h.server_sends(line).await;
    }
    assert_eq!(h.line().await, asks, "the server's request, byte for byte");
    assert!(h.rest(Duration::from_millis(100)).await.is_empty());
}

#[tokio::test]
async fn a_failed_or_unanswered_exchange_is_answered_with_why() {
    let mut h = start(
        |m| match jsonrpc::params_str(&m.raw, "how").as_deref() {
            Some("fail") => Script::Fail(ErrorKind::Connect),
            _ => Script::NoAnswer,
        },
        None,
    );
    h.send(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"how":"fail"}}"#)
        .await;
    assert!(h
        .error_for(1)
        .await
        .contains("cannot reach the MCP server at http://fake/mcp: scripted"));
    h.request("2", "tools/call").await;
    assert!(h
        .error_for(2)
        .await
        .contains("ended its reply without answering"));
}

#[tokio::test]
async fn a_panic_in_an_exchange_is_answered_and_the_relay_goes_on() {
    let mut h = start(
        |m| match jsonrpc::params_str(&m.raw, "how").as_deref() {
            Some("panic") => Script::Panic,
            _ => Script::Answer,
        },
        None,
    );
    h.send(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"how":"panic"}}"#)
        .await;
    let r = h.next().await;
    assert_eq!(r["id"], 1, "{r}");
    assert_eq!(r["error"]["code"], jsonrpc::INTERNAL_ERROR, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("internal error in mcp-bridge"),
        "{r}"
    );
    // Exactly one answer, and every request after it is served: the lock
    // the panic held is not poisoned for them.
    for id in 2..5 {
        h.request(&id.to_string(), "tools/list").await;
        let r = h.next().await;
        assert_eq!(r["result"]["echo"], id, "{r}");
    }
    assert!(h.rest(Duration::from_millis(50)).await.is_empty());
    assert!(h.fake.shared.is_poisoned(), "the panic held it");
    h.close_stdin().await;
}

#[tokio::test]
async fn a_cancelled_request_gets_no_answer_and_its_exchange_stops() {
    let mut h = start(|_| Script::Never, None);
    h.request("5", "tools/call").await;
    h.reached("request 5").await;
    h.send(r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":5}}"#)
        .await;
    assert!(h.rest(Duration::from_millis(100)).await.is_empty());
    assert_eq!(h.fake.stopped.load(Ordering::SeqCst), 1);
    assert!(h
        .fake
        .seen()
        .contains(&"notify notifications/cancelled".to_owned()));
    h.close_stdin().await;
    assert!(
        h.rest(Duration::from_millis(10)).await.is_empty(),
        "no shutdown answer for a cancelled request"
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_answers_every_waiting_request_once_then_closes() {
    let mut h = start(
        |m| match m.id().unwrap().as_json() {
            "1" => Script::Slow(Duration::from_millis(300)),
            _ => Script::Never,
        },
        None,
    );
    h.request("1", "tools/call").await;
    h.request("2", "tools/call").await;
    h.request("2", "tools/call").await;
    h.close_stdin().await;
    let mut lines = h.rest(Duration::from_millis(10)).await;
    lines.sort_by_key(|v| v["id"].to_string());
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0]["result"].is_object(),
        "1 finished in the grace time"
    );
    for r in &lines[1..] {
        assert_eq!(r["id"], 2);
        assert_eq!(r["error"]["code"], jsonrpc::SHUTTING_DOWN);
    }
    assert_eq!(h.fake.seen().last().map(String::as_str), Some("close"));
    assert_eq!(h.fake.stopped.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn a_request_past_its_timeout_is_answered_and_the_server_told() {
    let mut h = start(|_| Script::Never, Some(Duration::from_secs(2)));
    h.request("3", "tools/call").await;
    assert!(h
        .error_for(3)
        .await
        .contains("no answer within 2 s (--request-timeout)"));
    assert!(h.fake.seen().contains(&"gave up 3".to_owned()));
}

#[tokio::test(start_paused = true)]
async fn nothing_follows_initialize_until_it_is_answered() {
    let mut h = start(
        |m| match m.method() {
            Some(Method::Initialize) => Script::Slow(Duration::from_secs(1)),
            _ => Script::Answer,
        },
        None,
    );
    h.request("0", "initialize").await;
    h.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        .await;
    h.request("1", "tools/list").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(h.fake.seen(), ["request 0"], "held behind initialize");
    let note = r#"{"jsonrpc":"2.0","method":"notifications/message","params":{}}"#;
    h.server_sends(note).await;
    assert_eq!(h.line().await, note, "server messages still pass meanwhile");
    assert_eq!(h.next().await["id"], 0);
    assert_eq!(h.next().await["id"], 1);
    assert_eq!(h.fake.seen(), ["request 0", "initialized", "request 1"]);
}

#[tokio::test]
async fn a_hidden_tool_is_refused_without_reaching_the_server() {
    let mut h = start(answer_all, None);
    h.send(r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"hidden"}}"#)
        .await;
    let r = h.next().await;
    assert_eq!(r["error"]["code"], jsonrpc::INVALID_PARAMS);
    assert!(h.fake.seen().is_empty());
    drop(h.stop.take());
}
