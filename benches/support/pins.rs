//! What pinning costs (`--pin-tools`): a `tools/list` of 200 tools through
//! the bridge with pinning off and on (`warn`, every tool pinned already:
//! the steady state), in alternated rounds, wall time and the bridge's CPU
//! per list; and a `tools/call` likewise, which pinning must not slow.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Tools in the list.
const TOOLS: usize = 200;
/// Lists (and calls) per round.
const LISTS: usize = 200;
/// Alternated rounds.
const ROUNDS: usize = 5;

/// The 200 tools the bench server lists: a description and a schema each,
/// about the size of a real server's.
pub fn tools() -> Value {
    let tools: Vec<Value> = (0..TOOLS)
        .map(|i| {
            json!({
                "name": format!("tool_{i:03}"),
                "title": format!("Tool {i}"),
                "description": format!("Does thing number {i} to the input. Use it when the user asks for thing {i}; it returns a short summary of what changed, and never writes outside the project."),
                "inputSchema": {"type": "object", "properties": {
                    "path": {"type": "string", "description": "A path in the project."},
                    "depth": {"type": "integer", "minimum": 0, "maximum": 10},
                    "dryRun": {"type": "boolean", "default": false}},
                    "required": ["path"]},
                "annotations": {"readOnlyHint": i % 2 == 0},
                "_meta": {"bench": i},
            })
        })
        .collect();
    Value::Array(tools)
}

/// Per list and per call, median over the rounds: (wall µs, CPU µs).
fn measure(program: &Path, url: &str, mode: &str, data: &Path) -> [(f64, f64); 2] {
    let mut child = Command::new(program)
        .args([url, "--protocol", "legacy", "--pin-tools", mode])
        .env("MCP_BRIDGE_DATA_DIR", data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the bridge");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::with_capacity(1 << 20, child.stdout.take().unwrap());
    let mut line = String::new();
    let mut ask = |msg: String| {
        stdin.write_all(msg.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
        loop {
            line.clear();
            assert!(
                stdout.read_line(&mut line).unwrap() > 0,
                "the bridge closed"
            );
            if line.contains("\"id\"") && !line.contains("\"method\"") {
                assert!(!line.contains("\"error\""), "{line}");
                return;
            }
        }
    };
    ask(json!({"jsonrpc":"2.0","id":"init","method":"initialize","params":{
        "protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}})
    .to_string());
    // The first list pins (with warn); what is measured is every later one.
    ask(r#"{"jsonrpc":"2.0","id":"first","method":"tools/list","params":{}}"#.to_owned());
    let pid = child.id();
    let mut out = [(0.0, 0.0); 2];
    for (k, method) in ["tools/list", "tools/call"].into_iter().enumerate() {
        let cpu0 = cpu_ns(pid);
        let t0 = Instant::now();
        for i in 0..LISTS {
            let params = if k == 0 {
                json!({})
            } else {
                json!({"name": "echo", "arguments": {}})
            };
            ask(json!({"jsonrpc":"2.0","id":i,"method":method,"params":params}).to_string());
        }
        let wall = t0.elapsed().as_secs_f64() * 1e6 / LISTS as f64;
        let cpu = (cpu_ns(pid) - cpu0) as f64 / 1e3 / LISTS as f64;
        out[k] = (wall, cpu);
    }
    drop(stdin);
    let _ = child.wait_timeout_or_kill(Duration::from_secs(5));
    out
}

trait WaitOrKill {
    fn wait_timeout_or_kill(&mut self, limit: Duration) -> Option<std::process::ExitStatus>;
}

impl WaitOrKill for std::process::Child {
    fn wait_timeout_or_kill(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if let Ok(Some(s)) = self.try_wait() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.kill();
        self.wait().ok()
    }
}

/// CPU time of every thread of `pid` so far, in nanoseconds.
fn cpu_ns(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// MCP_BRIDGE_BENCH_ONLY=pins: the row.
pub fn row(url: &str, program: &Path) -> String {
    let dir = std::env::temp_dir().join(format!("mcp-bridge-bench-pins-{}", std::process::id()));
    let (mut off, mut on): ([Vec<f64>; 4], [Vec<f64>; 4]) = Default::default();
    for _ in 0..ROUNDS {
        for (mode, into) in [("off", &mut off), ("warn", &mut on)] {
            let m = measure(program, url, mode, &dir.join(mode));
            into[0].push(m[0].0);
            into[1].push(m[0].1);
            into[2].push(m[1].0);
            into[3].push(m[1].1);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let [ow, oc, cw, cc] = off.map(median);
    let [nw, nc, dw, dc] = on.map(median);
    format!(
        "pinning, a tools/list of {TOOLS} tools: {ow:.0} µs off, {nw:.0} µs on (+{:.0} µs wall; CPU {oc:.0} vs {nc:.0} µs); a tools/call: {cw:.0} vs {dw:.0} µs wall, CPU {cc:.0} vs {dc:.0} µs",
        nw - ow
    )
}
