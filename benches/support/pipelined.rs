//! Ten thousand requests written at once, as a runaway client might: the
//! bridge's peak resident memory (VmHWM, polled) and the time until every
//! answer is back. Fan-out is bounded (256 in flight, 1,024 read ahead),
//! so memory stays flat however many are written.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How many requests are written at once.
pub const PIPELINED: usize = 10_000;

/// Peak resident bytes and the time to all answers, for `bin` at `url`.
pub fn measure(bin: &std::path::Path, url: &str, data: &std::path::Path) -> (u64, Duration) {
    let mut child = Command::new(bin)
        .args([url, "--protocol", "legacy"])
        .env("MCP_BRIDGE_DATA_DIR", data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mcp-bridge");
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdin
        .write_all(format!("{}\n", super::init_line("init")).as_bytes())
        .unwrap();
    stdout.read_line(&mut line).unwrap();
    stdin
        .write_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n")
        .unwrap();
    let start = Instant::now();
    // Written on a thread: the bridge reads no faster than it can relay.
    let writer = std::thread::spawn(move || {
        let mut all = String::new();
        for n in 0..PIPELINED {
            all.push_str(&super::call_line(n, "echo"));
            all.push('\n');
        }
        let _ = stdin.write_all(all.as_bytes());
        stdin
    });
    let watching = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let still = std::sync::Arc::clone(&watching);
    let watcher = std::thread::spawn(move || {
        let mut peak = 0;
        while still.load(std::sync::atomic::Ordering::Relaxed) {
            peak = peak.max(super::memory(pid).1);
            std::thread::sleep(Duration::from_millis(20));
        }
        peak.max(super::memory(pid).1)
    });
    let mut answers = 0;
    while answers < PIPELINED {
        line.clear();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if line.contains("\"result\"") {
            answers += 1;
        }
    }
    let took = start.elapsed();
    watching.store(false, std::sync::atomic::Ordering::Relaxed);
    let peak = watcher.join().unwrap();
    assert_eq!(answers, PIPELINED, "every request answered");
    let stdin = writer.join().unwrap();
    super::finish(child, stdin);
    (peak, took)
}
