//! The benchmark behind BENCHMARKS.md: one run measures, side by side against
//! the same local Streamable HTTP server (answering in JSON, or for the tool
//! `sse` in a one-event reply stream),
//!   - a direct HTTP client (reqwest, in this process): the limit,
//!   - mcp-bridge (the release binary, over stdio),
//!   - mcp-remote 0.15.1 (from tests/peers, over stdio), when installed.
//!
//! Run with `scripts/bench.sh` (or `cargo bench --bench relay` once the peers
//! are installed). Figures are printed as a Markdown table and written to
//! target/bench-report.md. Nothing here asserts: it reports.
//!
//! CPU per call is each process's own CPU time (every thread's, from
//! /proc/PID/task/*/schedstat: what `perf stat` reports as task-clock)
//! divided by the calls; the direct client runs on a thread and a one-thread
//! runtime of its own so that only its CPU is counted, as the bridge runs.
//! The direct client and the bridge are measured in alternating rounds, and
//! each CPU figure is the median of its rounds.

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SPAWN_RUNS_BRIDGE: usize = 30;
const SPAWN_RUNS_REMOTE: usize = 5;
const LATENCY_CALLS: usize = 2000;
const LATENCY_CALLS_REMOTE: usize = 500;
const THROUGHPUT_CALLS: usize = 20_000;
const IN_FLIGHT: usize = 64;
const THROUGHPUT_ROUNDS: usize = 3;
/// Rounds of the CPU rows for the direct client and the bridge, alternated;
/// each figure is the median (one client's CPU per call has moved by half
/// from one run to the next on this machine).
const CPU_ROUNDS: usize = 5;
const MEMORY_CALLS: usize = 1000;
const BIG: usize = 8 << 20;
/// Server-side time of the "slow" tool: a server that does some work, so
/// throughput measures whether calls stay concurrent rather than raw CPU.
const SERVICE_TIME: Duration = Duration::from_millis(2);
const SLOW_CALLS: usize = 10_000;

#[path = "support/eras.rs"]
mod eras;
#[path = "support/everything.rs"]
mod everything;
#[path = "support/floor.rs"]
mod floor;
#[path = "support/issuer.rs"]
mod issuer;
#[path = "support/launch.rs"]
mod launch;
#[path = "support/pins.rs"]
mod pins;
#[path = "support/pipelined.rs"]
mod pipelined;
#[path = "support/serve.rs"]
mod serve;

// ---------------------------------------------------------------- server

/// The `n` of each `notifications/bench` the server received, in order.
static NOTES: std::sync::Mutex<Vec<u64>> = std::sync::Mutex::new(Vec::new());

async fn serve(req: Request) -> Response {
    let method = req.method().clone();
    let dual = req.uri().path() == "/dual";
    let many = req.uri().path() == "/many";
    if method == Method::GET {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    if method == Method::DELETE {
        return StatusCode::OK.into_response();
    }
    let body = axum::body::to_bytes(req.into_body(), 64 << 20)
        .await
        .unwrap_or_default();
    let msg: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let id = msg.get("id").cloned();
    let rpc = msg.get("method").and_then(Value::as_str).unwrap_or("");
    let json = |v: Value| {
        (
            [
                ("content-type", "application/json"),
                ("mcp-session-id", "bench-session"),
            ],
            Bytes::from(serde_json::to_vec(&v).unwrap()),
        )
            .into_response()
    };
    match (rpc, id) {
        // The path /dual speaks 2026-07-28 as well; /mcp refuses a request
        // without a session, as handshake-only SDK servers do.
        ("server/discover", Some(id)) if dual => json(json!({"jsonrpc":"2.0","id":id,"result":{
            "supportedVersions":["2026-07-28","2025-06-18"],"capabilities":{"tools":{}},
            "resultType":"complete","cacheScope":"public","ttlMs":0,
            "_meta":{"io.modelcontextprotocol/serverInfo":{"name":"bench","version":"1"}}}})),
        ("server/discover", Some(_)) => (
            StatusCode::BAD_REQUEST,
            [("content-type", "application/json")],
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request: Server not initialized"}}"#,
        )
            .into_response(),
        ("initialize", Some(id)) => json(json!({"jsonrpc":"2.0","id":id,"result":{
            "protocolVersion":"2025-06-18","capabilities":{"tools":{}},
            "serverInfo":{"name":"bench","version":"1"}}})),
        ("tools/call", Some(id)) => {
            let name = msg["params"]["name"].as_str().unwrap_or("");
            if name == "slow" {
                tokio::time::sleep(SERVICE_TIME).await;
            }
            let text = if name == "big" {
                "x".repeat(BIG)
            } else {
                "ok".to_owned()
            };
            let answer =
                json!({"jsonrpc":"2.0","id":id,"result":{"content":[{"type":"text","text":text}]}});
            if name == "sse" {
                // The answer as one event of a reply stream.
                let mut body = b"event: message\ndata: ".to_vec();
                body.extend_from_slice(&serde_json::to_vec(&answer).unwrap());
                body.extend_from_slice(b"\n\n");
                return (
                    [
                        ("content-type", "text/event-stream"),
                        ("mcp-session-id", "bench-session"),
                    ],
                    Bytes::from(body),
                )
                    .into_response();
            }
            json(answer)
        }
        // The path /many lists 200 tools, for the cost of pinning them.
        ("tools/list", Some(id)) if many => json(json!({"jsonrpc":"2.0","id":id,"result":{"tools": pins::tools()}})),
        ("tools/list", Some(id)) => json(json!({"jsonrpc":"2.0","id":id,"result":{"tools":[
            {"name":"echo","inputSchema":{"type":"object"}},{"name":"big","inputSchema":{"type":"object"}}]}})),
        (_, Some(id)) => json(json!({"jsonrpc":"2.0","id":id,"result":{}})),
        (_, None) => {
            if rpc == "notifications/bench" {
                if let Some(n) = msg["params"]["n"].as_u64() {
                    NOTES.lock().unwrap().push(n);
                }
            }
            StatusCode::ACCEPTED.into_response()
        }
    }
}

fn start_server() -> (String, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    rt.spawn(async move {
        axum::serve(listener, axum::Router::new().fallback(serve))
            .await
            .unwrap()
    });
    (url, rt)
}

// ---------------------------------------------------------------- stdio clients

fn init_line(id: &str) -> String {
    json!({"jsonrpc":"2.0","id":id,"method":"initialize","params":{
        "protocolVersion":"2025-06-18","capabilities":{},
        "clientInfo":{"name":"bench","version":"1"}}})
    .to_string()
}

fn call_line(id: usize, tool: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}","arguments":{{}}}}}}"#
    )
}

/// A relay under test: a child process speaking JSON-RPC on stdio.
struct Proc {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    line: String,
}

#[derive(Clone)]
struct Subject {
    name: &'static str,
    program: PathBuf,
    args: Vec<String>,
    /// Extra environment (the bridge's data directory, kept apart from the user's).
    env: Vec<(String, PathBuf)>,
}

impl Subject {
    fn spawn(&self) -> Proc {
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", self.name));
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::with_capacity(1 << 20, child.stdout.take().unwrap());
        Proc {
            child,
            stdin,
            stdout,
            line: String::new(),
        }
    }
}

/// One message as one write, line and newline together, as MCP clients
/// write them (the TypeScript and Python SDKs' stdio transports do).
fn write_line(stdin: &mut ChildStdin, line: &str) {
    let mut bytes = Vec::with_capacity(line.len() + 1);
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    stdin.write_all(&bytes).unwrap();
}

/// Close stdin and wait (bounded) for the process to exit.
fn finish(mut child: Child, stdin: ChildStdin) {
    drop(stdin);
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
}

impl Proc {
    fn send(&mut self, line: &str) {
        write_line(&mut self.stdin, line);
    }

    /// Read lines until a response arrives; return its raw length.
    fn recv_response(&mut self) -> usize {
        loop {
            self.line.clear();
            let n = self.stdout.read_line(&mut self.line).unwrap();
            assert!(n > 0, "relay closed stdout");
            if self.line.contains("\"result\"") || self.line.contains("\"error\"") {
                assert!(!self.line.contains("\"error\""), "error: {}", self.line);
                return n;
            }
        }
    }

    fn initialize(&mut self) {
        self.send(&init_line("init"));
        self.recv_response();
        self.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn finish(self) {
        finish(self.child, self.stdin);
    }
}

/// VmRSS and VmHWM of a process, in bytes.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn median_f(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn spawn_to_init(s: &Subject, runs: usize) -> Duration {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let mut p = s.spawn();
        p.send(&init_line("init"));
        p.recv_response();
        times.push(start.elapsed());
        p.finish();
    }
    median(&mut times)
}

fn stdio_latency(s: &Subject, calls: usize) -> Duration {
    let mut p = s.spawn();
    p.initialize();
    let mut times = Vec::with_capacity(calls);
    for i in 0..50 + calls {
        let start = Instant::now();
        p.send(&call_line(i, "echo"));
        p.recv_response();
        if i >= 50 {
            times.push(start.elapsed());
        }
    }
    p.finish();
    median(&mut times)
}

/// Send `total` calls of `tool` (ids from `first`) with `IN_FLIGHT`
/// outstanding at all times; the time they took.
fn pipelined(p: &mut Proc, total: usize, tool: &'static str, first: usize) -> Duration {
    let Proc {
        stdin,
        stdout,
        line,
        ..
    } = p;
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut got = 0;
            while got < total {
                line.clear();
                if stdout.read_line(line).unwrap() == 0 {
                    break;
                }
                if line.contains("\"result\"") {
                    got += 1;
                    let _ = tx.send(());
                }
            }
            got
        });
        let start = Instant::now();
        for sent in 0..total {
            if sent >= IN_FLIGHT {
                rx.recv().unwrap();
            }
            write_line(stdin, &call_line(first + sent, tool));
        }
        assert_eq!(reader.join().unwrap(), total);
        start.elapsed()
    })
}

/// Calls per second with `IN_FLIGHT` requests outstanding at all times.
fn stdio_throughput(s: &Subject, total: usize, tool: &'static str) -> f64 {
    let mut p = s.spawn();
    p.initialize();
    let took = pipelined(&mut p, total, tool, 0);
    p.finish();
    total as f64 / took.as_secs_f64()
}

/// CPU time spent so far by every thread of process `pid`, in nanoseconds
/// (what `perf stat` counts as task-clock), and its context switches.
fn cpu_of(pid: u32) -> (u64, u64) {
    let mut ns = 0;
    let mut switches = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
    {
        let path = task.unwrap().path();
        let sched = std::fs::read_to_string(path.join("schedstat")).unwrap_or_default();
        ns += sched
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        let status = std::fs::read_to_string(path.join("status")).unwrap_or_default();
        switches += status
            .lines()
            .filter(|l| l.contains("ctxt_switches"))
            .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum::<u64>();
    }
    (ns, switches)
}

/// CPU per call, in microseconds.
#[derive(Default, Clone, Copy)]
struct Cpu {
    sequential: f64,
    /// Context switches per sequential call.
    switches: f64,
    in_flight: f64,
}

impl Cpu {
    /// Each figure's median over `rounds`.
    fn median(rounds: &[Cpu]) -> Cpu {
        let of = |f: fn(&Cpu) -> f64| median_f(&mut rounds.iter().map(f).collect::<Vec<_>>());
        Cpu {
            sequential: of(|c| c.sequential),
            switches: of(|c| c.switches),
            in_flight: of(|c| c.in_flight),
        }
    }
}

/// CPU per call of a relay over stdio answering `tool`: `calls` sequential
/// calls, then `4 * calls` with `IN_FLIGHT` outstanding.
fn stdio_cpu(s: &Subject, calls: usize, tool: &'static str) -> Cpu {
    let mut p = s.spawn();
    p.initialize();
    for i in 0..50 {
        p.send(&call_line(i, tool));
        p.recv_response();
    }
    let pid = p.pid();
    let (a, sa) = cpu_of(pid);
    for i in 0..calls {
        p.send(&call_line(100 + i, tool));
        p.recv_response();
    }
    let (b, sb) = cpu_of(pid);
    let many = 4 * calls;
    pipelined(&mut p, many, tool, 100 + calls);
    let (c, _) = cpu_of(pid);
    p.finish();
    Cpu {
        sequential: (b - a) as f64 / calls as f64 / 1000.0,
        switches: (sb - sa) as f64 / calls as f64,
        in_flight: (c - b) as f64 / many as f64 / 1000.0,
    }
}

/// CPU time of the calling thread so far, in nanoseconds.
fn thread_cpu() -> u64 {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    text.split_whitespace()
        .next()
        .unwrap()
        .parse::<u64>()
        .unwrap()
}

/// Runs a direct client's `work` on a thread and a one-thread runtime of its
/// own, as the bridge runs, with a reqwest client of its own, so that
/// `thread_cpu` inside it counts only that client's CPU.
fn on_own_thread<T, F, Fut>(work: F) -> T
where
    T: Send + 'static,
    F: FnOnce(reqwest::Client) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = T>,
{
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = reqwest::Client::builder()
            .tcp_nodelay(true)
            .build()
            .unwrap();
        rt.block_on(work(client))
    })
    .join()
    .unwrap()
}

/// The same for the direct client (see `on_own_thread`).
fn direct_cpu(url: &str, calls: usize, tool: &'static str) -> Cpu {
    let url = url.to_owned();
    on_own_thread(move |client| async move {
        for i in 0..50 {
            direct_post(&client, &url, call_line(i, tool)).await;
        }
        let a = thread_cpu();
        for i in 0..calls {
            direct_post(&client, &url, call_line(i, tool)).await;
        }
        let b = thread_cpu();
        let many = 4 * calls;
        direct_throughput(&client, &url, many, tool).await;
        let c = thread_cpu();
        Cpu {
            sequential: (b - a) as f64 / calls as f64 / 1000.0,
            switches: 0.0,
            in_flight: (c - b) as f64 / many as f64 / 1000.0,
        }
    })
}

/// RSS after `MEMORY_CALLS` calls; then idle RSS and peak growth for one 8 MiB result.
fn stdio_memory(s: &Subject) -> (u64, u64) {
    let mut p = s.spawn();
    p.initialize();
    for i in 0..MEMORY_CALLS {
        p.send(&call_line(i, "echo"));
        p.recv_response();
    }
    std::thread::sleep(Duration::from_millis(200));
    let (rss, _) = memory(p.pid());
    // Reset the peak-RSS counter (Linux: "5" to clear_refs), so the peak
    // below is the one reached while relaying the big result.
    let _ = std::fs::write(format!("/proc/{}/clear_refs", p.pid()), "5");
    p.send(&call_line(999_999, "big"));
    let n = p.recv_response();
    assert!(n > BIG, "big result arrived whole ({n} bytes)");
    let (_, peak) = memory(p.pid());
    p.finish();
    (rss, peak.saturating_sub(rss))
}

// ---------------------------------------------------------------- direct client

/// One JSON-RPC POST by the direct client, body read to the end.
async fn direct_post(client: &reqwest::Client, url: &str, body: String) {
    client
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .header("mcp-session-id", "bench-session")
        .header("mcp-protocol-version", "2025-06-18")
        .body(body)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
}

/// The direct client's spawn-to-init equivalent (a fresh client's first
/// initialize: there is no process to spawn) and its median call latency.
fn direct(url: &str, rt: &tokio::runtime::Runtime) -> (Duration, Duration) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    rt.block_on(async move {
        let mut init_times = Vec::new();
        for _ in 0..SPAWN_RUNS_BRIDGE {
            let start = Instant::now();
            direct_post(&reqwest::Client::new(), url, init_line("init")).await;
            init_times.push(start.elapsed());
        }
        let client = reqwest::Client::builder()
            .tcp_nodelay(true)
            .build()
            .unwrap();
        let mut times = Vec::with_capacity(LATENCY_CALLS);
        for i in 0..50 + LATENCY_CALLS {
            let start = Instant::now();
            direct_post(&client, url, call_line(i, "echo")).await;
            if i >= 50 {
                times.push(start.elapsed());
            }
        }
        (median(&mut init_times), median(&mut times))
    })
}

async fn direct_throughput(
    client: &reqwest::Client,
    url: &str,
    total: usize,
    tool: &'static str,
) -> f64 {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..IN_FLIGHT {
        let client = client.clone();
        let next = Arc::clone(&next);
        let url = url.to_owned();
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                direct_post(&client, &url, call_line(i, tool)).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    total as f64 / start.elapsed().as_secs_f64()
}

// ---------------------------------------------------------------- report

/// What was measured of one relay over stdio.
struct Row {
    spawn: Duration,
    latency: Duration,
    tput: f64,
    slow: f64,
    rss: u64,
    big_peak: u64,
    /// CPU per call with JSON answers, and with answers on a reply stream.
    cpu: [Cpu; 2],
}

/// Sequential calls for the CPU rows (a quarter of it for mcp-remote).
const CPU_CALLS: usize = 2000;

fn us(v: f64) -> String {
    format!("{v:.1} µs")
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn mb(b: u64) -> String {
    format!("{:.1} MB", b as f64 / 1e6)
}

/// The floor relay (benches/support/floor.rs): this binary, started again.
fn floor_subject(url: &str) -> Subject {
    Subject {
        name: "floor relay",
        program: std::env::current_exe().unwrap(),
        args: Vec::new(),
        env: vec![(floor::VAR.into(), PathBuf::from(url))],
    }
}

/// CPU per call of the direct client, the bridge and the floor relay, in
/// [`CPU_ROUNDS`] alternated rounds, for JSON and SSE answers: each one's
/// medians.
fn cpu_rounds(url: &str, bridge: &Subject) -> [[Cpu; 2]; 3] {
    let floor = floor_subject(url);
    let mut rounds: [[Vec<Cpu>; 2]; 3] = Default::default();
    for _ in 0..CPU_ROUNDS {
        for (i, tool) in ["echo", "sse"].into_iter().enumerate() {
            rounds[0][i].push(direct_cpu(url, CPU_CALLS, tool));
            rounds[1][i].push(stdio_cpu(bridge, CPU_CALLS, tool));
            rounds[2][i].push(stdio_cpu(&floor, CPU_CALLS, tool));
        }
    }
    rounds.map(|r| r.map(|r| Cpu::median(&r)))
}

/// MCP_BRIDGE_BENCH_ONLY=cpu: the CPU rows alone (direct client, bridge, floor).
fn cpu_rows(url: &str, bridge: &Subject) -> String {
    let [d_cpu, b_cpu, f_cpu] = cpu_rounds(url, bridge);
    let mut out = String::new();
    for (i, kind) in ["JSON", "SSE"].into_iter().enumerate() {
        let (d, b, f) = (d_cpu[i], b_cpu[i], f_cpu[i]);
        out.push_str(&format!(
            "{kind}: sequential {} vs {} ({:.2}x, {:.1} switches), floor {}; in flight {} vs {} ({:.2}x)\n",
            us(d.sequential),
            us(b.sequential),
            b.sequential / d.sequential,
            b.switches,
            us(f.sequential),
            us(d.in_flight),
            us(b.in_flight),
            b.in_flight / d.in_flight
        ));
    }
    out
}

fn main() {
    if let Ok(url) = std::env::var(floor::VAR) {
        floor::relay(&url);
        return;
    }
    // `cargo bench` passes --bench; nothing else to parse.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let remote_js = root.join("tests/peers/node_modules/mcp-remote/dist/proxy.js");
    // MCP_BRIDGE_BENCH_BIN measures another build (an older one, or the
    // shipped one, as scripts/bench.sh does) in the same conditions.
    // MCP_BRIDGE_BENCH_ONLY=serve or =everything: only those rows, in a
    // minute or two.
    let program = std::env::var_os("MCP_BRIDGE_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_mcp-bridge")));
    match std::env::var("MCP_BRIDGE_BENCH_ONLY").as_deref() {
        Ok("serve") => return println!("{}", serve::rows(&root, &program)),
        Ok("everything") => return println!("{}", everything::row(&root, &program)),
        Ok("pins") => {
            let (url, _rt) = start_server();
            let many = url.replace("/mcp", "/many");
            return println!("{}", pins::row(&many, &program));
        }
        _ => {}
    }
    let (url, rt) = start_server();
    let bridge = Subject {
        name: "mcp-bridge",
        program,
        args: vec![url.clone()],
        env: vec![(
            "MCP_BRIDGE_DATA_DIR".into(),
            std::env::temp_dir().join(format!("mcp-bridge-bench-{}", std::process::id())),
        )],
    };
    let remote = remote_js.exists().then(|| Subject {
        name: "mcp-remote 0.15.1",
        program: PathBuf::from("node"),
        args: vec![
            remote_js.display().to_string(),
            url.clone(),
            "--transport".into(),
            "http-only".into(),
            "--silent".into(),
        ],
        env: Vec::new(),
    });
    eprintln!("server: {url}");

    if std::env::var("MCP_BRIDGE_BENCH_ONLY").as_deref() == Ok("cpu") {
        let _ = rustls::crypto::ring::default_provider().install_default();
        println!("{}", cpu_rows(&url, &bridge));
        return;
    }
    eprintln!("direct client ...");
    let (d_init, d_lat) = direct(&url, &rt);
    // Throughput varies from run to run on a small machine: alternate the
    // direct client and the bridge for a few rounds and take each median.
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .unwrap();
    let rounds = |total: usize, tool: &'static str| {
        let (mut d, mut b) = (Vec::new(), Vec::new());
        for _ in 0..THROUGHPUT_ROUNDS {
            d.push(rt.block_on(direct_throughput(&client, &url, total, tool)));
            b.push(stdio_throughput(&bridge, total, tool));
        }
        (median_f(&mut d), median_f(&mut b))
    };
    eprintln!("throughput rounds ...");
    let (d_tput, b_tput) = rounds(THROUGHPUT_CALLS, "echo");
    let (d_slow, b_slow) = rounds(SLOW_CALLS, "slow");
    eprintln!("CPU per call rounds ...");
    let [d_cpu, b_cpu, f_cpu] = cpu_rounds(&url, &bridge);
    let measure = |s: &Subject,
                   spawn_runs: usize,
                   calls: usize,
                   tput: Option<(f64, f64)>,
                   cpu: Option<[Cpu; 2]>| {
        eprintln!("{} ...", s.name);
        let cpu_calls = CPU_CALLS * calls / LATENCY_CALLS;
        let cpu = cpu.unwrap_or_else(|| {
            [
                stdio_cpu(s, cpu_calls, "echo"),
                stdio_cpu(s, cpu_calls, "sse"),
            ]
        });
        let spawn = spawn_to_init(s, spawn_runs);
        let latency = stdio_latency(s, calls);
        let (tput, slow) = tput.unwrap_or_else(|| {
            (
                stdio_throughput(s, THROUGHPUT_CALLS, "echo"),
                stdio_throughput(s, SLOW_CALLS, "slow"),
            )
        });
        let (rss, big_peak) = stdio_memory(s);
        Row {
            spawn,
            latency,
            tput,
            slow,
            rss,
            big_peak,
            cpu,
        }
    };
    let b = measure(
        &bridge,
        SPAWN_RUNS_BRIDGE,
        LATENCY_CALLS,
        Some((b_tput, b_slow)),
        Some(b_cpu),
    );
    let r = remote
        .as_ref()
        .map(|s| measure(s, SPAWN_RUNS_REMOTE, LATENCY_CALLS_REMOTE, None, None));

    let added = |row: &Row| row.latency.saturating_sub(d_lat);
    let mut out = String::new();
    out.push_str("| measure | direct client | mcp-bridge | mcp-remote | target | met |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    let na = "n/a".to_owned();
    let spawn_ratio = r
        .as_ref()
        .map(|r| b.spawn.as_secs_f64() / r.spawn.as_secs_f64());
    out.push_str(&format!(
        "| spawn to initialize answer (median) | {} (first request, no process) | {} | {} | ≤ 1/15 of mcp-remote | {} |\n",
        ms(d_init),
        ms(b.spawn),
        r.as_ref().map_or(na.clone(), |r| ms(r.spawn)),
        spawn_ratio.map_or(na.clone(), |x| format!("1/{:.0} ({})", 1.0 / x, if x <= 1.0 / 15.0 { "yes" } else { "no" }))
    ));
    out.push_str(&format!(
        "| median latency per call | {} | {} (+{:.3} ms) | {} | added ≤ 0.15 ms | {} |\n",
        ms(d_lat),
        ms(b.latency),
        added(&b).as_secs_f64() * 1000.0,
        r.as_ref().map_or(na.clone(), |r| format!(
            "{} (+{:.3} ms)",
            ms(r.latency),
            added(r).as_secs_f64() * 1000.0
        )),
        if added(&b) <= Duration::from_micros(150) {
            "yes"
        } else {
            "no"
        }
    ));
    out.push_str(&format!(
        "| throughput, {IN_FLIGHT} in flight, a server doing no work | {:.0} calls/s | {:.0} calls/s ({:.0}%) | {} | ≥ 97% of direct | {} |\n",
        d_tput,
        b.tput,
        100.0 * b.tput / d_tput,
        r.as_ref().map_or(na.clone(), |r| format!("{:.0} calls/s ({:.0}%)", r.tput, 100.0 * r.tput / d_tput)),
        if b.tput >= 0.97 * d_tput { "yes" } else { "no" }
    ));
    out.push_str(&format!(
        "| throughput, {IN_FLIGHT} in flight, {} ms of server work per call | {:.0} calls/s | {:.0} calls/s ({:.0}%) | {} | ≥ 97% of direct | {} |\n",
        SERVICE_TIME.as_millis(),
        d_slow,
        b.slow,
        100.0 * b.slow / d_slow,
        r.as_ref().map_or(na.clone(), |r| format!("{:.0} calls/s ({:.0}%)", r.slow, 100.0 * r.slow / d_slow)),
        if b.slow >= 0.97 * d_slow { "yes" } else { "no" }
    ));
    out.push_str(&format!(
        "| resident memory after {MEMORY_CALLS} calls | n/a | {} | {} | ≤ 15 MB | {} |\n",
        mb(b.rss),
        r.as_ref().map_or(na.clone(), |r| mb(r.rss)),
        if b.rss <= 15_000_000 { "yes" } else { "no" }
    ));
    let factor = |row: &Row| row.big_peak as f64 / BIG as f64;
    out.push_str(&format!(
        "| peak memory above idle, one 8 MiB result | n/a | {} ({:.2}× payload) | {} | ≤ 4× payload | {} |\n",
        mb(b.big_peak),
        factor(&b),
        r.as_ref().map_or(na.clone(), |r| format!("{} ({:.2}×)", mb(r.big_peak), factor(r))),
        if factor(&b) <= 4.0 { "yes" } else { "no" }
    ));
    for (i, answer) in ["JSON", "SSE"].iter().enumerate() {
        let d = d_cpu[i];
        let row = |r: &Row, seq: bool| {
            let (v, base) = if seq {
                (r.cpu[i].sequential, d.sequential)
            } else {
                (r.cpu[i].in_flight, d.in_flight)
            };
            format!("{} ({:.1}×)", us(v), v / base)
        };
        out.push_str(&format!(
            "| CPU per call, sequential, {answer} answers | {} | {}, {:.1} context switches | {} | ≤ 1.2× direct | {} |\n",
            us(d.sequential),
            row(&b, true),
            b.cpu[i].switches,
            r.as_ref().map_or(na.clone(), |r| row(r, true)),
            if b.cpu[i].sequential <= 1.2 * d.sequential { "yes" } else { "no" }
        ));
        out.push_str(&format!(
            "| CPU per call, {IN_FLIGHT} in flight, {answer} answers | {} | {} | {} | | |\n",
            us(d.in_flight),
            row(&b, false),
            r.as_ref().map_or(na.clone(), |r| row(r, false)),
        ));
    }
    out.push_str(&format!(
        "| CPU per call, sequential, a minimal blocking relay (the floor under any relay; benches/support/floor.rs), JSON / SSE answers | | {} / {} ({:.1}× / {:.1}× direct) | | | |\n",
        us(f_cpu[0].sequential),
        us(f_cpu[1].sequential),
        f_cpu[0].sequential / d_cpu[0].sequential,
        f_cpu[1].sequential / d_cpu[1].sequential,
    ));
    // The same measure against a real server: the limit is a direct
    // client of the same kind on the same server.
    out.push_str(&everything::row(&root, &bridge.program));
    out.push_str(&serve::rows(&root, &bridge.program));
    let data = bridge.env[0].1.clone();
    let (peak, took) = pipelined::measure(&bridge.program, &url, &data);
    out.push_str(&format!(
        "\n{} requests written at once: mcp-bridge peaks at {} resident (target ≤ 64 MB: {}), every answer back in {:.2} s\n",
        pipelined::PIPELINED,
        mb(peak),
        if peak <= 64_000_000 { "met" } else { "not met" },
        took.as_secs_f64()
    ));
    let n = pipelined::measure_notifications(&bridge.program, &url, &data);
    out.push_str(&format!(
        "{} notifications written at once, then EOF: mcp-bridge peaks at {} resident (target ≤ 64 MB: {}), {} delivered, {} out of order, exited {:.2} s after the first was written\n",
        pipelined::PIPELINED,
        mb(n.peak),
        if n.peak <= 64_000_000 { "met" } else { "not met" },
        n.delivered,
        n.inversions,
        n.took.as_secs_f64()
    ));
    out.push_str(&format!(
        "\nHow it is launched (median of {} spawns each; memory summed over every process the launch starts):\n\n{}",
        launch::RUNS,
        launch::table(&bridge.program, &url, &root)
    ));
    out.push_str("\nSpawn to initialize answer by era detection (median of 30 spawns each; ratio to `--protocol legacy`):\n\n");
    out.push_str(&eras::table(
        &bridge.program,
        &url,
        &url.replace("/mcp", "/dual"),
    ));
    let size = std::fs::metadata(&bridge.program)
        .map(|m| m.len())
        .unwrap_or(0);
    out.push_str(&format!(
        "\nmcp-bridge binary: {:.2} MB ({})\n",
        size as f64 / 1e6,
        bridge.program.display()
    ));
    if remote.is_none() {
        out.push_str("\nmcp-remote was not installed (run scripts/bench.sh); its column is n/a.\n");
    }
    println!("{out}");
    let report = root.join("target/bench-report.md");
    let _ = std::fs::write(&report, &out);
    eprintln!("written to {}", report.display());
}
