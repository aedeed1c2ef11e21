//! Rows for `mcp-bridge serve`, against the limit of the same server's own
//! HTTP transport and against the peers that do the same job. One client (a
//! direct reqwest client of the bench's kind, a session, each answer read
//! to its end) calls `echo` on server-everything's `streamableHttp` mode,
//! and on each wrapper in front of server-everything's `stdio` mode:
//! `mcp-bridge serve`, supergateway (`--stateful`, Streamable HTTP), and the
//! npm and PyPI packages called mcp-proxy (pinned: tests/peers/package.json
//! and tests/peers/bench-requirements.txt, which scripts/bench.sh installs
//! in a venv of its own, as it needs the Python SDK 1.x).
//!
//! - Sequential calls: the server side's CPU per call, `serve` and its
//!   child together against the node process alone (the goal: at most
//!   1.3×); then each wrapper's own CPU per call, its child not counted
//!   (the goal: `serve` at least 10× less than each peer); and latency.
//! - Throughput with 64 calls in flight on one session.
//! - Each wrapper's own resident memory with 1 and with 10 sessions open.
//! - `serve --auth-issuer`'s own CPU per call, a JWT checked on every call
//!   (benches/support/issuer.rs signs it), against `serve` with none.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The subject of `serve --auth-issuer`.
const AUTH: &str = "mcp-bridge serve --auth-issuer";
/// Calls measured per subject and round, after a warm-up.
const CALLS: usize = 1000;
const WARM_UP: usize = 50;
/// Rounds of each subject, alternating; each figure is the median.
const ROUNDS: usize = 5;
/// Calls in flight at once, and calls per round, for throughput.
const IN_FLIGHT: usize = 64;
const THROUGHPUT_CALLS: usize = 5000;
const THROUGHPUT_ROUNDS: usize = 3;

/// A server process, killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP server measured: its name, endpoint and process.
struct Subject {
    name: String,
    url: String,
    /// The bearer token its requests carry, if it wants one.
    token: Option<String>,
    pid: u32,
    _process: Option<Running>,
}

/// What was measured of one subject, each a median.
#[derive(Default)]
struct Figures {
    /// CPU per call (µs) of the process itself, and with its children.
    own_cpu: f64,
    all_cpu: f64,
    /// Latency per call (µs).
    latency: f64,
    /// Calls per second with `IN_FLIGHT` in flight.
    throughput: f64,
    /// Resident memory with 1 and with 10 sessions open (bytes).
    memory: (u64, u64),
}

/// Start a wrapper in front of server-everything's stdio mode: `argv`, in
/// which `{port}` is its port; `None` when it is not installed.
fn wrapper(name: &str, program: &Path, argv: &[String], path: &str) -> Option<Subject> {
    if !program.exists() {
        eprintln!("{name}: {} is not installed", program.display());
        return None;
    }
    let port = super::everything::free_port()?;
    let args: Vec<String> = argv
        .iter()
        .map(|a| a.replace("{port}", &port.to_string()))
        .collect();
    let child = Command::new(program)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let process = Running(child);
    if !super::everything::listening(port) {
        eprintln!("{name} did not listen");
        return None;
    }
    // A wrapper that listens before it can answer gets its moment.
    std::thread::sleep(Duration::from_millis(500));
    Some(Subject {
        name: name.to_owned(),
        url: format!("http://127.0.0.1:{port}{path}"),
        token: None,
        pid: process.0.id(),
        _process: Some(process),
    })
}

/// The rows, as Markdown table lines.
pub fn rows(root: &Path, program: &Path) -> String {
    eprintln!("serve ...");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Some(own) = super::everything::start(root) else {
        return "| serve | n/a (tests/peers not installed: run scripts/bench.sh) | | | | |\n"
            .to_owned();
    };
    let peers = root.join("tests/peers");
    let script = peers.join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    let stdio = |line: bool| -> Vec<String> {
        let s = format!("node {} stdio", script.display());
        if line {
            vec![s]
        } else {
            s.split(' ').map(str::to_owned).collect()
        }
    };
    let node = which_node();
    let mut subjects = vec![Subject {
        name: "server-everything's own Streamable HTTP".into(),
        url: own.url.clone(),
        token: None,
        pid: own.pid(),
        _process: None,
    }];
    let mut serve_args: Vec<String> = ["serve", "--port", "{port}", "--"]
        .map(str::to_owned)
        .to_vec();
    serve_args.extend(stdio(false));
    subjects.extend(wrapper("mcp-bridge serve", program, &serve_args, "/mcp"));
    // The same with a JWT checked on every call.
    let issuer = super::issuer::Issuer::start();
    if let Some(issuer) = &issuer {
        let mut args: Vec<String> = ["serve", "--port", "{port}", "--audience", "bench"]
            .map(str::to_owned)
            .to_vec();
        args.extend([
            "--auth-issuer".to_owned(),
            issuer.url.clone(),
            "--".to_owned(),
        ]);
        args.extend(stdio(false));
        if let Some(mut s) = wrapper(AUTH, program, &args, "/mcp") {
            s.token = Some(issuer.token("bench"));
            subjects.push(s);
        }
    }
    let mut sg = vec![peers
        .join("node_modules/supergateway/dist/index.js")
        .display()
        .to_string()];
    sg.extend(["--stdio".into()]);
    sg.extend(stdio(true));
    sg.extend(
        [
            "--outputTransport",
            "streamableHttp",
            "--stateful",
            "--port",
            "{port}",
        ]
        .map(str::to_owned),
    );
    if peers.join("node_modules/supergateway").exists() {
        subjects.extend(wrapper("supergateway 4.0.0 --stateful", &node, &sg, "/mcp"));
    }
    let mut mpn = vec![peers
        .join("node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs")
        .display()
        .to_string()];
    mpn.extend(["--port", "{port}", "--"].map(str::to_owned));
    mpn.extend(stdio(false));
    if peers.join("node_modules/mcp-proxy").exists() {
        subjects.extend(wrapper("mcp-proxy 6.7.19 (npm)", &node, &mpn, "/mcp"));
    }
    let mut mpp: Vec<String> = ["--port", "{port}"].map(str::to_owned).to_vec();
    mpp.extend(stdio(false));
    subjects.extend(wrapper(
        "mcp-proxy 0.13.0 (PyPI)",
        &peers.join(".venv-mcp-proxy/bin/mcp-proxy"),
        &mpp,
        "/mcp",
    ));

    let mut runs: Vec<Vec<(f64, f64, f64)>> = subjects.iter().map(|_| Vec::new()).collect();
    for _ in 0..ROUNDS {
        for (s, run) in subjects.iter().zip(&mut runs) {
            let pid = s.pid;
            run.push(measure(&s.url, s.token.clone(), pid));
        }
    }
    let mut figures: Vec<Figures> = runs
        .into_iter()
        .map(|mut r| Figures {
            own_cpu: super::median_f(&mut r.iter().map(|x| x.0).collect::<Vec<_>>()),
            all_cpu: super::median_f(&mut r.iter().map(|x| x.1).collect::<Vec<_>>()),
            latency: super::median_f(&mut r.iter_mut().map(|x| x.2).collect::<Vec<_>>()),
            ..Figures::default()
        })
        .collect();
    // Memory before throughput: 64 connections at once leave buffers the
    // allocator keeps, which is not what a session costs.
    for (s, f) in subjects.iter().zip(&mut figures).skip(1) {
        if s.token.is_some() {
            continue;
        }
        // The sessions of the CPU rounds were ended: 1 open, then 10.
        f.memory = (
            memory_with_sessions(&s.url, s.pid, 1),
            memory_with_sessions(&s.url, s.pid, 9),
        );
    }
    for (s, f) in subjects.iter().zip(&mut figures) {
        if s.token.is_some() {
            continue;
        }
        let mut t: Vec<f64> = (0..THROUGHPUT_ROUNDS).map(|_| throughput(&s.url)).collect();
        f.throughput = super::median_f(&mut t);
    }
    report(&subjects, &figures)
}

/// The table rows: serve's column against the limit, then each peer's.
fn report(subjects: &[Subject], f: &[Figures]) -> String {
    let mut out = String::new();
    let Some(serve) = subjects.iter().position(|s| s.name == "mcp-bridge serve") else {
        return "| serve | n/a (serve did not start) | | | | |\n".to_owned();
    };
    let (own, sv) = (&f[0], &f[serve]);
    out.push_str(&format!(
        "| serve: server CPU per call, sequential (server-everything's own Streamable HTTP / serve + its stdio child; median of {ROUNDS} rounds of {CALLS}) | {} | {} ({:.2}×) | n/a | ≤ 1.3× | {} |\n",
        super::us(own.all_cpu),
        super::us(sv.all_cpu),
        sv.all_cpu / own.all_cpu,
        if sv.all_cpu <= 1.3 * own.all_cpu { "yes" } else { "no" }
    ));
    out.push_str(&format!(
        "| serve: latency per call, sequential | {:.3} ms | {:.3} ms ({:.2}×) | n/a | | |\n",
        own.latency / 1000.0,
        sv.latency / 1000.0,
        sv.latency / own.latency
    ));
    out.push_str(&format!(
        "| serve: throughput, {IN_FLIGHT} in flight on one session (median of {THROUGHPUT_ROUNDS} rounds of {THROUGHPUT_CALLS}) | {:.0} calls/s | {:.0} calls/s ({:.0}%) | n/a | | |\n",
        own.throughput,
        sv.throughput,
        100.0 * sv.throughput / own.throughput
    ));
    out.push_str(&format!(
        "| serve: resident memory of serve itself, 1 / 10 sessions open (children not counted) | n/a | {} / {} | n/a | | |\n",
        super::mb(sv.memory.0),
        super::mb(sv.memory.1)
    ));
    if let Some(a) = subjects.iter().position(|s| s.name == AUTH) {
        let more = f[a].own_cpu - sv.own_cpu;
        out.push_str(&format!(
            "| serve: its own CPU per call with a JWT (ES256) checked on every call, the signature remembered, against none | {} | {} (+{}) | n/a | ≤ 5 µs more | {} |\n",
            super::us(sv.own_cpu),
            super::us(f[a].own_cpu),
            super::us(more.max(0.0)),
            if more <= 5.0 { "yes" } else { "no" }
        ));
    }
    for (s, p) in subjects.iter().zip(f).skip(1) {
        if s.name == "mcp-bridge serve" || s.name == AUTH {
            continue;
        }
        let cpu_x = p.own_cpu / sv.own_cpu;
        let mem_x = p.memory.1 as f64 / sv.memory.1.max(1) as f64;
        out.push_str(&format!(
            "| serve vs {}: the wrapper's own CPU per call, its child not counted / latency / throughput, {IN_FLIGHT} in flight / memory, 10 sessions | {} / {:.3} ms / {:.0} calls/s / {} | {} ({:.1}× less) / {:.3} ms / {:.0} calls/s / {} ({:.1}× less) | n/a | ≥ 10× less CPU and memory | {} |\n",
            s.name,
            super::us(p.own_cpu),
            p.latency / 1000.0,
            p.throughput,
            super::mb(p.memory.1),
            super::us(sv.own_cpu),
            cpu_x,
            sv.latency / 1000.0,
            sv.throughput,
            super::mb(sv.memory.1),
            mem_x,
            if cpu_x >= 10.0 && mem_x >= 10.0 { "yes" } else { "no" }
        ));
    }
    out
}

/// The node that runs the peers: the one on PATH.
fn which_node() -> std::path::PathBuf {
    std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("node"))
                .find(|n| n.exists())
        })
        .unwrap_or_else(|| "node".into())
}

/// Calls per second with `IN_FLIGHT` calls in flight on one new session.
fn throughput(url: &str) -> f64 {
    let url = url.to_owned();
    super::on_own_thread(move |client| async move {
        let session = Arc::new(open(&client, &url, None).await);
        for i in 0..WARM_UP {
            call(&client, &url, &session, None, i).await;
        }
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..IN_FLIGHT {
            let (client, url, session, next) = (
                client.clone(),
                url.clone(),
                Arc::clone(&session),
                Arc::clone(&next),
            );
            tasks.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= THROUGHPUT_CALLS {
                        break;
                    }
                    call(&client, &url, &session, None, WARM_UP + i).await;
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        THROUGHPUT_CALLS as f64 / started.elapsed().as_secs_f64()
    })
}

/// CPU per call (µs) of the process `pid` alone and with its children, and
/// the mean latency per call (µs), for `CALLS` sequential calls on a new
/// session.
fn measure(url: &str, token: Option<String>, pid: u32) -> (f64, f64, f64) {
    let url = url.to_owned();
    let session = super::on_own_thread({
        let (url, token) = (url.clone(), token.clone());
        move |client| async move { open(&client, &url, token.as_deref()).await }
    });
    let cpu = |pids: &[u32]| pids.iter().map(|p| super::cpu_of(*p).0).sum::<u64>();
    let (client, session2) = (url.clone(), session.clone());
    let (a, b, took) = super::on_own_thread(move |c| async move {
        let token = token.as_deref();
        for i in 0..WARM_UP {
            call(&c, &client, &session2, token, i).await;
        }
        let who = with_children(pid);
        let a = (cpu(&who[..1]), cpu(&who));
        let started = Instant::now();
        for i in 0..CALLS {
            call(&c, &client, &session2, token, WARM_UP + i).await;
        }
        let took = started.elapsed();
        let b = (cpu(&who[..1]), cpu(&who));
        // Ended, as a client that is done ends it, so that the memory rows
        // count only the sessions they open.
        close(&c, &client, &session2, token).await;
        (a, b, took)
    });
    let per_call = |x: u64, y: u64| (y - x) as f64 / CALLS as f64 / 1000.0;
    (
        per_call(a.0, b.0),
        per_call(a.1, b.1),
        took.as_secs_f64() * 1e6 / CALLS as f64,
    )
}

/// POST `body` (in `session`, when there is one) and read the answer
/// whole; the session id the response names, if any, comes back with it.
async fn post(
    client: &reqwest::Client,
    url: &str,
    session: Option<&str>,
    token: Option<&str>,
    body: String,
) -> (Option<String>, axum::body::Bytes) {
    let mut req = client
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
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

/// End `session` with a DELETE, as the specification lets a client do;
/// a wrapper that refuses (405) keeps it, which the memory rows then count.
async fn close(client: &reqwest::Client, url: &str, session: &str, token: Option<&str>) {
    let mut req = client
        .delete(url)
        .header("mcp-session-id", session)
        .header("mcp-protocol-version", "2025-06-18");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let status = req.send().await.expect("a response").status();
    if !status.is_success() {
        eprintln!("{url}: DELETE of a session answered {status}; it stays open");
    }
}

/// A new session: its id.
async fn open(client: &reqwest::Client, url: &str, token: Option<&str>) -> String {
    let (session, _) = post(client, url, None, token, super::init_line("init")).await;
    let session = session.expect("a session id");
    let done = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.to_owned();
    post(client, url, Some(&session), token, done).await;
    session
}

async fn call(client: &reqwest::Client, url: &str, session: &str, token: Option<&str>, i: usize) {
    let (_, answer) = post(
        client,
        url,
        Some(session),
        token,
        super::everything::echo(i),
    )
    .await;
    assert!(
        answer.windows(8).any(|w| w == b"\"result\""),
        "refused: {}",
        String::from_utf8_lossy(&answer)
    );
}

/// A wrapper's resident memory once `n` more sessions are open (and used
/// once).
fn memory_with_sessions(url: &str, pid: u32, n: usize) -> u64 {
    let url = url.to_owned();
    super::on_own_thread(move |client| async move {
        for i in 0..n {
            let s = open(&client, &url, None).await;
            call(&client, &url, &s, None, i).await;
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
