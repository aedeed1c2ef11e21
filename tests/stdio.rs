//! stdin and stdout in the ways clients and people wire them: pipes (read
//! and written on the runtime's thread), a file on stdin and a stdout
//! shared with stderr (both kept on threads of their own), and a client
//! that stops reading, which must not keep the bridge from stopping.
#![cfg(unix)]

mod common;

use common::fake::{self, mcp, Fake, Reply};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn init_line(id: u64) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": "initialize", "params": common::init_params()})
        .to_string()
}

fn call_line(id: u64) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": "echo", "arguments": {"n": id}}})
        .to_string()
}

/// A bridge for `url` with these stdio ends, in a data dir of its own.
fn bridge(
    url: &str,
    args: &[&str],
    stdin: Stdio,
    stdout: Stdio,
    stderr: Stdio,
) -> (std::process::Child, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(common::bin());
    for v in common::OUTSIDE {
        cmd.env_remove(v);
    }
    let child = cmd
        .arg(url)
        .args(args)
        .env("MCP_BRIDGE_DATA_DIR", home.path())
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdin(stdin)
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .unwrap();
    (child, home)
}

/// Wait (bounded) for `child` to exit; its code, and how long it took.
async fn exit_of(child: &mut std::process::Child, limit: Duration) -> (Option<i32>, Duration) {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code(), start.elapsed());
        }
        // The fake server runs on this runtime: wait without blocking it.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = child.kill();
    panic!("the bridge did not exit within {limit:?}");
}

#[tokio::test]
async fn a_client_that_stops_reading_can_still_stop_the_bridge() {
    let big = "x".repeat(1 << 20);
    let fake = Fake::start(move |s| match s.rpc_method() {
        "tools/call" => Reply::Json(
            200,
            fake::result(
                &s.rpc_id(),
                json!({"content": [{"type": "text", "text": big}]}),
            )
            .to_string(),
            vec![],
        ),
        _ => mcp(s),
    })
    .await;
    let url = fake.url.clone();
    let (mut child, _home) = bridge(&url, &[], Stdio::piped(), Stdio::piped(), Stdio::null());
    let mut stdin = child.stdin.take().unwrap();
    // 16 answers of 1 MiB each, and nobody reads them.
    let mut lines = init_line(0) + "\n";
    for id in 1..=16 {
        lines.push_str(&call_line(id));
        lines.push('\n');
    }
    stdin.write_all(lines.as_bytes()).unwrap();
    stdin.flush().unwrap();
    fake.wait_for("the calls", |s| s.rpc_id() == json!(16))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let (code, took) = exit_of(&mut child, Duration::from_secs(10)).await;
    eprintln!("measured: exit {took:?} after SIGTERM with 16 MiB unread");
    assert_eq!(code, Some(0));
}

#[tokio::test]
async fn a_stdout_shared_with_stderr_carries_whole_lines_and_logs() {
    let fake = Fake::start(mcp).await;
    let (reader, writer) = std::io::pipe().unwrap();
    let (mut child, _home) = bridge(
        &fake.url,
        &["-v"],
        Stdio::piped(),
        Stdio::from(writer.try_clone().unwrap()),
        Stdio::from(writer),
    );
    let mut stdin = child.stdin.take().unwrap();
    let lines = format!("{}\n{}\n", init_line(0), call_line(1));
    stdin.write_all(lines.as_bytes()).unwrap();
    drop(stdin);
    let read = tokio::task::spawn_blocking(move || {
        BufReader::new(reader)
            .lines()
            .map(Result::unwrap)
            .collect::<Vec<String>>()
    });
    let (code, _) = exit_of(&mut child, Duration::from_secs(10)).await;
    assert_eq!(code, Some(0));
    let all = tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .unwrap()
        .unwrap();
    let answers: Vec<Value> = all
        .iter()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(answers.len(), 2, "{all:#?}");
    assert_eq!(answers[1]["result"]["echo"]["n"], 1);
    assert!(
        all.iter().any(|l| l.contains("→ request tools/call")),
        "{all:#?}"
    );
}

#[tokio::test]
async fn stdin_from_a_file_is_read_to_its_end() {
    let fake = Fake::start(mcp).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.jsonl");
    std::fs::write(&input, format!("{}\n{}", init_line(0), call_line(7))).unwrap();
    let (mut child, _home) = bridge(
        &fake.url,
        &[],
        Stdio::from(std::fs::File::open(&input).unwrap()),
        Stdio::piped(),
        Stdio::null(),
    );
    let stdout = child.stdout.take().unwrap();
    let (code, _) = exit_of(&mut child, Duration::from_secs(10)).await;
    assert_eq!(code, Some(0));
    let answers: Vec<Value> = BufReader::new(stdout)
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert_eq!(
        answers[1]["id"], 7,
        "the last line, without a newline, counts"
    );
    assert_eq!(fake.seen_with(axum::http::Method::DELETE).len(), 1);
}
