//! A row against a real server, so that CPU per call is not only measured
//! against the bench's own fast one: `@modelcontextprotocol/server-everything`
//! (from tests/peers, Streamable HTTP with a session, answering each call in
//! an SSE stream), started here. Sequential `tools/call echo`: the bridge,
//! and as the limit a direct reqwest client of the same kind as the main
//! table's, speaking the same session protocol to the same server.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The version of server-everything in tests/peers (its package.json pins it).
const VERSION: &str = "2026.8.31";

/// The table row: the direct client's CPU per call, the bridge's, and the
/// ratio against the target of 1.2× direct.
pub fn row(root: &Path, program: &Path) -> String {
    eprintln!("server-everything ...");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let Some(server) = start(root) else {
        return "| CPU per call, server-everything | n/a | n/a (tests/peers not installed: run scripts/bench.sh) | n/a | | |\n".to_owned();
    };
    // The figures move from run to run on a small machine: alternate the
    // two for a few rounds and take each median.
    let data = std::env::temp_dir().join(format!("mcp-bridge-bench-ev-{}", std::process::id()));
    let (mut ds, mut bs) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        ds.push(direct_cpu(&server.url));
        bs.push(bridge_cpu(program, &server.url, &data));
    }
    let _ = std::fs::remove_dir_all(&data);
    let (d, b) = (super::median_f(&mut ds), super::median_f(&mut bs));
    format!(
        "| CPU per call, sequential, server-everything {VERSION} (a session, SSE answers; median of {ROUNDS} rounds of {CALLS} calls) | {} | {} ({:.2}×) | n/a | ≤ 1.2× direct | {} |\n",
        super::us(d),
        super::us(b),
        b / d,
        if b <= 1.2 * d { "yes" } else { "no" }
    )
}

/// Calls measured per subject and round, after a warm-up.
pub const CALLS: usize = 1000;
/// Rounds of each subject, alternating.
const ROUNDS: usize = 5;
const WARM_UP: usize = 50;

/// The server, killed when dropped.
pub struct Everything {
    child: Child,
    /// Its MCP endpoint.
    pub url: String,
}

impl Everything {
    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Everything {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start server-everything in `streamableHttp` mode on a free loopback
/// port; `None` when tests/peers is not installed.
pub fn start(root: &Path) -> Option<Everything> {
    let script =
        root.join("tests/peers/node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    if !script.exists() {
        return None;
    }
    let port = free_port()?;
    let child = Command::new("node")
        .arg(&script)
        .arg("streamableHttp")
        .env("PORT", port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let server = Everything {
        child,
        url: format!("http://127.0.0.1:{port}/mcp"),
    };
    listening(port).then_some(server)
}

/// A loopback port free now.
pub fn free_port() -> Option<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .ok()
}

/// Whether something listens on loopback `port` within 20 s.
pub fn listening(port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// A `tools/call` of server-everything's `echo`, id `id`.
pub fn echo(id: usize) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"echo","arguments":{{"message":"bench {id}"}}}}}}"#
    )
}

/// CPU per sequential call of the bridge at `program` (µs), from its own
/// threads' CPU time.
pub fn bridge_cpu(program: &Path, url: &str, data: &Path) -> f64 {
    let bridge = super::Subject {
        name: "mcp-bridge",
        program: program.to_path_buf(),
        args: vec![url.to_owned()],
        env: vec![("MCP_BRIDGE_DATA_DIR".into(), data.to_path_buf())],
    };
    let mut p = bridge.spawn();
    p.initialize();
    let ask = |p: &mut super::Proc, i: usize| {
        p.send(&echo(i));
        p.recv_response();
    };
    for i in 0..WARM_UP {
        ask(&mut p, i);
    }
    let pid = p.pid();
    let (a, _) = super::cpu_of(pid);
    for i in 0..CALLS {
        ask(&mut p, WARM_UP + i);
    }
    let (b, _) = super::cpu_of(pid);
    p.finish();
    (b - a) as f64 / CALLS as f64 / 1000.0
}

/// CPU per sequential call of a direct client (µs): on a thread and a
/// one-thread runtime of its own, as the bridge runs, it initializes, keeps
/// the session id, and reads each SSE answer to its end.
pub fn direct_cpu(url: &str) -> f64 {
    let url = url.to_owned();
    super::on_own_thread(move |client| async move {
        let post = |body: String, session: Option<String>| {
            let mut req = client
                .post(&url)
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .body(body);
            if let Some(s) = session {
                req = req
                    .header("mcp-session-id", s)
                    .header("mcp-protocol-version", "2025-06-18");
            }
            req.send()
        };
        let init = post(super::init_line("init"), None).await.unwrap();
        let session = init
            .headers()
            .get("mcp-session-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .expect("server-everything names a session");
        init.bytes().await.unwrap();
        let done = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
        post(done.to_owned(), Some(session.clone()))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let call = |i: usize| {
            let answer = post(echo(i), Some(session.clone()));
            async move {
                let body = answer.await.unwrap().bytes().await.unwrap();
                assert!(
                    body.windows(8).any(|w| w == b"\"result\""),
                    "server-everything refused: {}",
                    String::from_utf8_lossy(&body)
                );
            }
        };
        for i in 0..WARM_UP {
            call(i).await;
        }
        let a = super::thread_cpu();
        for i in 0..CALLS {
            call(WARM_UP + i).await;
        }
        let b = super::thread_cpu();
        (b - a) as f64 / CALLS as f64 / 1000.0
    })
}
