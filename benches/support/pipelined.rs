//! Ten thousand requests, or notifications, written at once, as a runaway
//! client might: the bridge's peak resident memory (VmHWM, polled) and the
//! time until every answer is back (requests) or the bridge has exited
//! after stdin closed (notifications, which must all reach the server
//! before it exits, in the order written). Fan-out is bounded (256 in
//! flight, 1,024 read ahead), so memory stays flat however many are written.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How many messages are written at once.
pub const PIPELINED: usize = 10_000;

/// A bridge past its handshake, with a thread polling its peak memory.
struct Run {
    child: Child,
    stdout: BufReader<ChildStdout>,
    watching: Arc<AtomicBool>,
    watcher: JoinHandle<u64>,
}

fn start(bin: &std::path::Path, url: &str, data: &std::path::Path) -> (Run, ChildStdin) {
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
    stdin
        .write_all(format!("{}\n", super::init_line("init")).as_bytes())
        .unwrap();
    stdout.read_line(&mut String::new()).unwrap();
    stdin
        .write_all(b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n")
        .unwrap();
    let watching = Arc::new(AtomicBool::new(true));
    let still = Arc::clone(&watching);
    let watcher = std::thread::spawn(move || {
        let mut peak = 0;
        while still.load(Ordering::Relaxed) {
            peak = peak.max(super::memory(pid).1);
            std::thread::sleep(Duration::from_millis(20));
        }
        peak.max(super::memory(pid).1)
    });
    let run = Run {
        child,
        stdout,
        watching,
        watcher,
    };
    (run, stdin)
}

impl Run {
    fn peak(self) -> (Child, u64) {
        self.watching.store(false, Ordering::Relaxed);
        (self.child, self.watcher.join().unwrap())
    }
}

/// Write `lines` on a thread (the bridge reads no faster than it relays).
fn write_all(
    mut stdin: ChildStdin,
    lines: impl Fn(usize) -> String + Send + 'static,
) -> JoinHandle<ChildStdin> {
    std::thread::spawn(move || {
        let mut all = String::new();
        for n in 0..PIPELINED {
            all.push_str(&lines(n));
            all.push('\n');
        }
        let _ = stdin.write_all(all.as_bytes());
        stdin
    })
}

/// Peak resident bytes and the time to all answers, for `bin` at `url`.
pub fn measure(bin: &std::path::Path, url: &str, data: &std::path::Path) -> (u64, Duration) {
    let (mut run, stdin) = start(bin, url, data);
    let begin = Instant::now();
    let writer = write_all(stdin, |n| super::call_line(n, "echo"));
    let mut answers = 0;
    let mut line = String::new();
    while answers < PIPELINED {
        line.clear();
        if run.stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if line.contains("\"result\"") {
            answers += 1;
        }
    }
    let took = begin.elapsed();
    let (child, peak) = run.peak();
    assert_eq!(answers, PIPELINED, "every request answered");
    super::finish(child, writer.join().unwrap());
    (peak, took)
}

/// What the notification run found.
pub struct Notified {
    /// Peak resident bytes.
    pub peak: u64,
    /// From the first line written to the bridge's exit after EOF.
    pub took: Duration,
    /// How many reached the server.
    pub delivered: usize,
    /// How many arrived before one written earlier.
    pub inversions: usize,
}

/// Write notifications, close stdin at once, and wait for the exit; the
/// server counts what arrived (`super::NOTES`).
pub fn measure_notifications(bin: &std::path::Path, url: &str, data: &std::path::Path) -> Notified {
    super::NOTES.lock().unwrap().clear();
    let (run, stdin) = start(bin, url, data);
    let begin = Instant::now();
    let writer = write_all(stdin, |n| {
        format!(r#"{{"jsonrpc":"2.0","method":"notifications/bench","params":{{"n":{n}}}}}"#)
    });
    drop(writer.join().unwrap());
    let (mut child, peak) = {
        let mut child = run.child;
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(5));
        }
        let run = Run { child, ..run };
        run.peak()
    };
    let took = begin.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    let seen = super::NOTES.lock().unwrap().clone();
    let inversions = seen.windows(2).filter(|w| w[1] < w[0]).count();
    Notified {
        peak,
        took,
        delivered: seen.len(),
        inversions,
    }
}
