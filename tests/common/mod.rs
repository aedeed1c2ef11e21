//! Test harness: drive the real `mcp-bridge` binary over stdio as an MCP client
//! would, plus a scriptable fake server and launchers for real peer servers.
#![allow(dead_code)]

pub mod fake;
pub mod infra;
pub mod net;
pub mod oauth_fake;
pub mod peers;
pub mod proxy;
pub mod served;

use serde_json::{json, Value};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

/// How long any single wait in a test may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);

/// The bridge binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_mcp-bridge")
}

/// Variables of the machine running the tests that would change what a
/// bridge does (a proxy, a CA bundle); removed unless a test sets them.
pub const OUTSIDE: [&str; 9] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "SSL_CERT_FILE",
];

/// Everything a child writes to `pipe`, kept as it comes (lossy UTF-8).
pub fn keep_stderr(mut pipe: tokio::process::ChildStderr) -> Arc<Mutex<String>> {
    let kept = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&kept);
    tokio::spawn(async move {
        let mut buf = vec![0u8; 8192];
        while let Ok(n) = pipe.read(&mut buf).await {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    kept
}

/// A running bridge and the client side of its stdio.
pub struct Bridge {
    pub child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::UnboundedReceiver<Result<Value, String>>,
    /// Messages received while waiting for something else, in arrival order.
    pub held: Vec<Value>,
    stderr: Arc<Mutex<String>>,
    /// Every stdout line as it came, for byte-for-byte comparisons.
    raw: Arc<Mutex<Vec<String>>>,
    _home: tempfile::TempDir,
}

impl Bridge {
    /// Start `mcp-bridge URL ARGS...`.
    pub async fn start(url: &str, args: &[&str]) -> Bridge {
        Self::start_with_env(url, args, &[]).await
    }

    /// Start with extra environment variables.
    pub async fn start_with_env(url: &str, args: &[&str], env: &[(&str, &str)]) -> Bridge {
        Self::start_via(&[], url, args, env).await
    }

    /// Start it through a command that runs another (`ip netns exec NS`),
    /// or directly when `via` is empty.
    pub async fn start_via(via: &[&str], url: &str, args: &[&str], env: &[(&str, &str)]) -> Bridge {
        let mut program: Vec<&str> = via.to_vec();
        program.push(bin());
        Self::start_program(&program, url, args, env).await
    }

    /// Start another build of the bridge: `program` is its command and the
    /// arguments that come before the URL (`wine64 mcp-bridge.exe`).
    pub async fn start_program(
        program: &[&str],
        url: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Bridge {
        let home = tempfile::tempdir().expect("a data dir for the bridge");
        let (first, rest) = program.split_first().expect("a program");
        let mut cmd = Command::new(first);
        cmd.args(rest);
        // Never the developer's own keychain, credentials or browser: a
        // test that wants them passes them in `env`.
        for v in OUTSIDE {
            cmd.env_remove(v);
        }
        cmd.arg(url)
            .args(args)
            .env("MCP_BRIDGE_DATA_DIR", home.path())
            .env("BROWSER", "mcp-bridge-test-has-no-browser")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("spawn mcp-bridge");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        let raw = Arc::new(Mutex::new(Vec::new()));
        let raw_lines = Arc::clone(&raw);
        tokio::spawn(async move {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                raw_lines.lock().unwrap().push(line.clone());
                // Every stdout line must be a whole JSON-RPC message.
                let item = match serde_json::from_str::<Value>(&line) {
                    Ok(v) if v.get("jsonrpc") == Some(&json!("2.0")) => Ok(v),
                    _ => Err(format!(
                        "stdout carried a line that is not JSON-RPC: {:.200}",
                        line
                    )),
                };
                if tx.send(item).is_err() {
                    break;
                }
            }
        });
        let stderr = keep_stderr(child.stderr.take().unwrap());
        Bridge {
            raw,
            _home: home,
            stdin: child.stdin.take(),
            child,
            lines: rx,
            held: Vec::new(),
            stderr,
        }
    }

    /// Write one message as a line.
    pub async fn send(&mut self, msg: Value) {
        let mut line = serde_json::to_vec(&msg).unwrap();
        line.push(b'\n');
        self.send_raw(&line).await;
    }

    /// Write raw bytes to stdin.
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin.write_all(bytes).await.expect("write to bridge stdin");
        stdin.flush().await.unwrap();
    }

    /// The next message on stdout (held ones first).
    pub async fn recv(&mut self) -> Value {
        if !self.held.is_empty() {
            return self.held.remove(0);
        }
        self.recv_fresh().await
    }

    async fn recv_fresh(&mut self) -> Value {
        match tokio::time::timeout(WAIT, self.lines.recv()).await {
            Ok(Some(Ok(v))) => v,
            Ok(Some(Err(e))) => panic!("{e}"),
            Ok(None) => panic!("bridge stdout closed; stderr:\n{}", self.stderr()),
            Err(_) => panic!(
                "no message from the bridge within {WAIT:?}; stderr:\n{}",
                self.stderr()
            ),
        }
    }

    /// Wait for the message matching `pred`, holding the others for later.
    pub async fn recv_matching(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.held.iter().position(&pred) {
            return self.held.remove(i);
        }
        loop {
            let v = self.recv_fresh().await;
            if pred(&v) {
                return v;
            }
            self.held.push(v);
        }
    }

    /// Wait for the response with this id.
    pub async fn response(&mut self, id: Value) -> Value {
        self.recv_matching(|v| {
            v.get("id") == Some(&id) && (v.get("result").is_some() || v.get("error").is_some())
        })
        .await
    }

    /// Send a request and wait for its response.
    pub async fn request(&mut self, id: Value, method: &str, params: Value) -> Value {
        self.send(json!({"jsonrpc":"2.0","id":id,"method":method,"params":params}))
            .await;
        self.response(id).await
    }

    /// The MCP handshake with the given client capabilities; returns the initialize result.
    pub async fn initialize_with(&mut self, capabilities: Value) -> Value {
        let r = self
            .request(
                json!("init"),
                "initialize",
                json!({
                    "protocolVersion": "2025-06-18",
                    "capabilities": capabilities,
                    "clientInfo": {"name": "bridge-tests", "version": "1.0"}
                }),
            )
            .await;
        assert!(r.get("result").is_some(), "initialize failed: {r}");
        self.send(json!({"jsonrpc":"2.0","method":"notifications/initialized"}))
            .await;
        r["result"].clone()
    }

    /// The MCP handshake with no client capabilities.
    pub async fn initialize(&mut self) -> Value {
        self.initialize_with(json!({})).await
    }

    /// server-everything's `trigger-sampling-request` as request `id`: the
    /// sampling request it makes comes to this client, which answers it
    /// with `text`; the tool's answer comes back.
    pub async fn sampling_round_trip(&mut self, id: Value, text: &str) -> Value {
        self.send(
            json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":{
            "name":"trigger-sampling-request","arguments":{"prompt":"a haiku"}}}),
        )
        .await;
        let req = self
            .recv_matching(|m| m["method"] == "sampling/createMessage")
            .await;
        self.send(json!({"jsonrpc":"2.0","id":req["id"],"result":{
            "role":"assistant","model":"test-model","stopReason":"endTurn",
            "content":{"type":"text","text":text}}}))
            .await;
        self.response(id).await
    }

    /// Call a tool and return the whole response.
    pub async fn call_tool(&mut self, id: Value, name: &str, args: Value) -> Value {
        self.request(id, "tools/call", json!({"name": name, "arguments": args}))
            .await
    }

    /// Close stdin and wait for the process to exit; returns its exit code
    /// and how long it took.
    pub async fn close_and_wait(&mut self) -> (Option<i32>, Duration) {
        drop(self.stdin.take());
        let start = Instant::now();
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .expect("bridge did not exit after stdin closed")
            .unwrap();
        (status.code(), start.elapsed())
    }

    /// The bridge's own data directory (MCP_BRIDGE_DATA_DIR).
    pub fn data_dir(&self) -> &std::path::Path {
        self._home.path()
    }

    /// The stdout line that answered request `id`, exactly as written
    /// (after [`Bridge::response`] has seen it).
    pub fn raw_response(&self, id: &Value) -> String {
        self.raw
            .lock()
            .unwrap()
            .iter()
            .find(|l| {
                serde_json::from_str::<Value>(l).is_ok_and(|v| {
                    v.get("id") == Some(id)
                        && (v.get("result").is_some() || v.get("error").is_some())
                })
            })
            .cloned()
            .unwrap_or_else(|| panic!("no line answered {id}"))
    }

    /// Everything the bridge wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Wait until stderr contains `needle` (logs and stdout are separate
    /// pipes, so a log line may arrive after the answer it explains).
    pub async fn wait_stderr(&self, needle: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.stderr().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "stderr never showed {needle:?}:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Messages still unread after a short quiet period (drains the pipe).
    pub async fn drain(&mut self, quiet: Duration) -> Vec<Value> {
        let mut out = std::mem::take(&mut self.held);
        while let Ok(Some(item)) = tokio::time::timeout(quiet, self.lines.recv()).await {
            out.push(item.unwrap_or_else(|e| panic!("{e}")));
        }
        out
    }
}

/// A data directory and a recording browser shared by the bridges of a test.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn log(&self) -> std::path::PathBuf {
        self.dir.path().join("browser.log")
    }

    pub fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// A "browser" that only records the URL it was handed (in
    /// BROWSER_LOG), on every platform: `node tests/peers/record-browser.mjs`.
    pub fn browser() -> String {
        format!("node {}", peers::dir().join("record-browser.mjs").display())
    }

    pub async fn bridge(&self, url: &str, args: &[&str]) -> Bridge {
        let (data, log, browser) = (
            self.data(),
            self.log().display().to_string(),
            Home::browser(),
        );
        Bridge::start_with_env(
            url,
            args,
            &[
                ("MCP_BRIDGE_DATA_DIR", &data),
                ("BROWSER", &browser),
                ("BROWSER_LOG", &log),
            ],
        )
        .await
    }

    /// Run `mcp-bridge ARGS` to its end with this data directory.
    pub fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        run_to_exit(args, &[("MCP_BRIDGE_DATA_DIR", &self.data())])
    }

    /// How many times the browser was opened.
    pub fn tabs(&self) -> usize {
        browser_urls(&self.log()).len()
    }
}

/// The text parts of a tool result's content, joined by newlines.
/// Plain `initialize` params, for tests that look at how it is answered.
pub fn init_params() -> Value {
    json!({"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}})
}

pub fn text_of(r: &Value) -> String {
    r["result"]["content"]
        .as_array()
        .unwrap_or_else(|| panic!("no content in {r}"))
        .iter()
        .filter_map(|c| c["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A free TCP port on loopback for a peer server to listen on.
///
/// Ports come from a per-process sequence below the kernel's ephemeral range
/// (32768 and up on Linux), so a port handed out here is never taken in the
/// meantime by an outgoing connection's local port, nor handed out twice to
/// two peers starting at once (which made one test talk to another's server).
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 400) as u16 * 25;
    for _ in 0..2_000 {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = 20_000 + (base - 20_000 + n) % 12_000;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port between 20000 and 32000");
}

/// Run the bridge with `args`, no stdin, and return (exit code, stderr).
pub fn run_to_exit(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    run_program_to_exit(&[bin()], args, env)
}

/// The same with another build of the bridge: `program` is its command and
/// the arguments before the bridge's (`wine64 mcp-bridge.exe`).
pub fn run_program_to_exit(
    program: &[&str],
    args: &[&str],
    env: &[(&str, &str)],
) -> (Option<i32>, String, String) {
    let (first, rest) = program.split_first().expect("a program");
    let mut cmd = std::process::Command::new(first);
    for v in OUTSIDE {
        cmd.env_remove(v);
    }
    let out = cmd
        .args(rest)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The URLs a recording "browser" (`tests/peers/record-browser.mjs` or
/// `browser.sh`) was handed, one a line.
pub fn browser_urls(log: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Wait until the browser was handed at least `n` URLs; the `n`-th.
pub async fn nth_browser_url(log: &std::path::Path, n: usize) -> String {
    let start = Instant::now();
    loop {
        if let Some(u) = browser_urls(log).get(n - 1) {
            return u.clone();
        }
        assert!(
            start.elapsed() < WAIT,
            "no browser opening number {n} within {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An HTTP client for playing the person (follows redirects).
pub fn person() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// Play the person: open the `n`-th URL the browser was handed and follow
/// its redirects to the bridge's callback; the final status and page.
pub async fn sign_in_as_person(log: &std::path::Path, n: usize) -> (u16, String) {
    let url = nth_browser_url(log, n).await;
    let resp = person().get(&url).send().await.expect("the sign-in page");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

/// Send `initialize`, play the person for the `n`-th browser opening, and
/// return the answer, which must be a result.
pub async fn initialize_signing_in(b: &mut Bridge, log: &std::path::Path, n: usize) -> Value {
    b.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init_params()}))
        .await;
    let (status, page) = sign_in_as_person(log, n).await;
    assert_eq!(status, 200, "the sign-in page: {page}");
    let r = b.recv().await;
    assert!(r["result"].is_object(), "{r}\n{}", b.stderr());
    r
}
