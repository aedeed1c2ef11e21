//! Rows for `mcp-bridge serve`, against the limit of the same server's own
//! HTTP transport: one client (a direct reqwest client of the bench's kind,
//! a session, each answer read to its end) calls `echo` sequentially on
//! server-everything's `streamableHttp` mode, and on `mcp-bridge serve` in
//! front of server-everything's `stdio` mode. The CPU counted is the server
//! side's: the node process alone for the first; `serve` and its child
//! together for the second (the issue's goal: at most 1.3×). Then `serve`'s
//! own memory (its child not counted) with 1 and with 10 sessions open.
//! The peers that do the same (supergateway, the mcp-proxy packages) are
//! not rows yet.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Calls measured per subject and round, after a warm-up.
const CALLS: usize = 1000;
const WARM_UP: usize = 50;
/// Rounds of each subject, alternating; each figure is the median.
const ROUNDS: usize = 5;

/// A server process, killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The rows, as Markdown table lines.
pub fn rows(root: &Path, program: &Path) -> String {
    eprintln!("serve ...");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Some(own) = super::everything::start(root) else {
        return "| serve | n/a (tests/peers not installed: run scripts/bench.sh) | | | | |\n"
            .to_owned();
    };
    let script =
        root.join("tests/peers/node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    let port = super::everything::free_port().expect("a free port");
    let served = Running(
        Command::new(program)
            .args(["serve", "--port", &port.to_string(), "--", "node"])
            .arg(&script)
            .arg("stdio")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start mcp-bridge serve"),
    );
    let serve_url = format!("http://127.0.0.1:{port}/mcp");
    assert!(super::everything::listening(port), "serve did not listen");
    let own_pid = own.pid();
    let serve_pid = served.0.id();
    let (mut own_cpu, mut serve_cpu) = (Vec::new(), Vec::new());
    let (mut own_lat, mut serve_lat) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let (c, l) = measure(&own.url, &|| vec![own_pid]);
        own_cpu.push(c);
        own_lat.push(l);
        let (c, l) = measure(&serve_url, &|| with_children(serve_pid));
        serve_cpu.push(c);
        serve_lat.push(l);
    }
    let (oc, sc) = (
        super::median_f(&mut own_cpu),
        super::median_f(&mut serve_cpu),
    );
    let (ol, sl) = (
        super::median_f(&mut own_lat),
        super::median_f(&mut serve_lat),
    );
    let one = memory_with_sessions(&serve_url, serve_pid, 1);
    let ten = memory_with_sessions(&serve_url, serve_pid, 10);
    let mut out = String::new();
    out.push_str(&format!(
        "| serve: server CPU per call, sequential (server-everything's own Streamable HTTP / serve + its stdio child; median of {ROUNDS} rounds of {CALLS}) | {} | {} ({:.2}×) | n/a | ≤ 1.3× | {} |\n",
        super::us(oc),
        super::us(sc),
        sc / oc,
        if sc <= 1.3 * oc { "yes" } else { "no" }
    ));
    out.push_str(&format!(
        "| serve: latency per call, sequential | {:.3} ms | {:.3} ms ({:.2}×) | n/a | | |\n",
        ol / 1000.0,
        sl / 1000.0,
        sl / ol
    ));
    out.push_str(&format!(
        "| serve: resident memory of serve itself, 1 / 10 sessions open (children not counted) | n/a | {} / {} | n/a | | |\n",
        super::mb(one),
        super::mb(ten)
    ));
    out
}

/// Server CPU per call (µs) of the processes `pids` gives, and the mean
/// latency per call (µs), for `CALLS` sequential calls on a new session.
fn measure(url: &str, pids: &dyn Fn() -> Vec<u32>) -> (f64, f64) {
    let url = url.to_owned();
    let session = super::on_own_thread({
        let url = url.clone();
        move |client| async move { open(&client, &url).await }
    });
    let cpu = |pids: &[u32]| pids.iter().map(|p| super::cpu_of(*p).0).sum::<u64>();
    let who = pids();
    let (client, session2) = (url.clone(), session.clone());
    let (a, b, took) = super::on_own_thread(move |c| async move {
        for i in 0..WARM_UP {
            call(&c, &client, &session2, i).await;
        }
        let a = cpu(&who);
        let started = Instant::now();
        for i in 0..CALLS {
            call(&c, &client, &session2, WARM_UP + i).await;
        }
        let took = started.elapsed();
        (a, cpu(&who), took)
    });
    (
        (b - a) as f64 / CALLS as f64 / 1000.0,
        took.as_secs_f64() * 1e6 / CALLS as f64,
    )
}

/// POST `body` (in `session`, when there is one) and read the answer
/// whole; the session id the response names, if any, comes back with it.
async fn post(
    client: &reqwest::Client,
    url: &str,
    session: Option<&str>,
    body: String,
) -> (Option<String>, axum::body::Bytes) {
    let mut req = client
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    if let Some(s) = session {
        req = req
            .header("mcp-session-id", s)
            .header("mcp-protocol-version", "2025-06-18");
    }
    let resp = req.body(body).send().await.expect("a response");
    let named = resp
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (named, resp.bytes().await.unwrap())
}

/// A new session: its id.
async fn open(client: &reqwest::Client, url: &str) -> String {
    let (session, _) = post(client, url, None, super::init_line("init")).await;
    let session = session.expect("a session id");
    let done = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.to_owned();
    post(client, url, Some(&session), done).await;
    session
}

async fn call(client: &reqwest::Client, url: &str, session: &str, i: usize) {
    let (_, answer) = post(client, url, Some(session), super::everything::echo(i)).await;
    assert!(
        answer.windows(8).any(|w| w == b"\"result\""),
        "refused: {}",
        String::from_utf8_lossy(&answer)
    );
}

/// `serve`'s resident memory once `n` sessions are open (and used once).
fn memory_with_sessions(url: &str, pid: u32, n: usize) -> u64 {
    let url = url.to_owned();
    super::on_own_thread(move |client| async move {
        for i in 0..n {
            let s = open(&client, &url).await;
            call(&client, &url, &s, i).await;
        }
    });
    std::thread::sleep(Duration::from_millis(200));
    super::memory(pid).0
}

/// `pid` and every process it started (its sessions' children).
fn with_children(pid: u32) -> Vec<u32> {
    let mut out = vec![pid];
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
    {
        let children =
            std::fs::read_to_string(task.unwrap().path().join("children")).unwrap_or_default();
        out.extend(
            children
                .split_whitespace()
                .filter_map(|c| c.parse::<u32>().ok()),
        );
    }
    out
}
