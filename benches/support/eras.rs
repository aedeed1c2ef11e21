//! Spawn to `initialize` answer for a client that sends `initialize`, by how
//! the bridge finds the server's era: `--protocol legacy` (today's handshake
//! path, no probe), `--protocol auto` on a first start (the 2026-07-28
//! probe first; a fresh data directory each spawn), and on a later start
//! (the era remembered in the data directory). Against a server that speaks
//! only the handshake, and one that speaks both eras (where auto uses
//! 2026-07-28 and answers `initialize` from `server/discover`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Spawns per measurement.
const RUNS: usize = 30;

fn spawn_to_init(bin: &Path, url: &str, protocol: &str, data: &Path) -> Duration {
    use std::io::{BufRead, BufReader, Write};
    let start = Instant::now();
    let mut child = Command::new(bin)
        .args([url, "--protocol", protocol])
        .env("MCP_BRIDGE_DATA_DIR", data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mcp-bridge");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdin
        .write_all(format!("{}\n", super::init_line("init")).as_bytes())
        .unwrap();
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let took = start.elapsed();
    assert!(line.contains("\"result\""), "no initialize answer: {line}");
    super::finish(child, stdin);
    took
}

fn temp_dir(n: usize) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mcp-bridge-bench-era-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Median of `RUNS` spawns; `fresh` gives each spawn an empty data directory.
fn median_of(bin: &Path, url: &str, protocol: &str, fresh: bool) -> Duration {
    let shared = temp_dir(usize::MAX);
    if !fresh {
        // One start to remember the era.
        spawn_to_init(bin, url, protocol, &shared);
    }
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|i| {
            let dir = if fresh { temp_dir(i) } else { shared.clone() };
            let t = spawn_to_init(bin, url, protocol, &dir);
            if fresh {
                let _ = std::fs::remove_dir_all(&dir);
            }
            t
        })
        .collect();
    let _ = std::fs::remove_dir_all(&shared);
    super::median(&mut times)
}

/// The table, for BENCHMARKS.md.
pub fn table(bin: &Path, handshake_url: &str, dual_url: &str) -> String {
    let mut out = String::from(
        "| server | `--protocol legacy` (handshake, no probe) | auto, first start (probe) | auto, later start (era remembered) |\n|---|---|---|---|\n",
    );
    for (label, url) in [
        ("speaks only the handshake", handshake_url),
        ("speaks both eras", dual_url),
    ] {
        eprintln!("era detection: a server that {label} ...");
        let legacy = median_of(bin, url, "legacy", true);
        let first = median_of(bin, url, "auto", true);
        let later = median_of(bin, url, "auto", false);
        let vs = |d: Duration| {
            format!(
                "{} ({:.2}×)",
                super::ms(d),
                d.as_secs_f64() / legacy.as_secs_f64()
            )
        };
        out.push_str(&format!(
            "| {label} | {} | {} | {} |\n",
            super::ms(legacy),
            vs(first),
            vs(later)
        ));
    }
    out
}
