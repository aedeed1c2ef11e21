//! `--log-calls FILE`: a JSON line per request the client sends and per
//! answer, against a real server (server-everything over Streamable HTTP),
//! with no secret in it even with `--log-calls-full`; and a file that
//! cannot be kept safely stops the start.

mod common;

use common::{peers, Bridge};
use serde_json::{json, Value};

const HEADER_SECRET: &str = "s3cr3t-k3y-v4lue";
const QUERY_SECRET: &str = "qu3ry-s3cr3t";

fn lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[tokio::test]
async fn a_hundred_calls_make_a_hundred_requests_and_answers_with_no_secret() {
    let peer = peers::everything("streamableHttp");
    let url = format!("{}?key={QUERY_SECRET}", peer.url);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("calls.jsonl");
    let header = format!("X-Api-Key: {HEADER_SECRET}");
    let args = [
        "--log-calls",
        log.to_str().unwrap(),
        "--log-calls-full",
        "--header",
        header.as_str(),
    ];
    let mut b = Bridge::start(&url, &args).await;
    b.initialize().await;
    for i in 0..100 {
        let message = format!("call {i} {HEADER_SECRET} {QUERY_SECRET}");
        let r = b
            .call_tool(json!(i), "echo", json!({"message": message}))
            .await;
        assert!(r.to_string().contains(&format!("call {i} ")), "{r}");
    }
    b.close_and_wait().await;

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains(HEADER_SECRET), "a header value in the log");
    assert!(!text.contains(QUERY_SECRET), "a query value in the log");
    let all = lines(&log);
    let calls = |kind: &str| -> Vec<&Value> {
        all.iter()
            .filter(|l| l["kind"] == kind && l["method"] == "tools/call")
            .collect()
    };
    let (requests, answers) = (calls("request"), calls("answer"));
    assert_eq!(requests.len(), 100);
    assert_eq!(answers.len(), 100);
    let first = requests[0];
    assert_eq!(first["name"], "echo");
    assert_eq!(first["id"], 0);
    assert_eq!(first["server"], format!("{}?key=…", peer.url).as_str());
    assert!(first["time"].as_str().unwrap().ends_with('Z'), "{first}");
    assert!(first["bytes"].as_u64().unwrap() > 0);
    assert!(
        first["arguments"]["message"]
            .as_str()
            .unwrap()
            .contains("[hidden]"),
        "{first}"
    );
    for a in &answers {
        assert_eq!(a["outcome"], "result", "{a}");
        assert!(
            a["ms"].as_f64().is_some() && a["bytes"].as_u64().is_some(),
            "{a}"
        );
        assert_eq!(a["name"], "echo");
    }
    assert!(
        answers[5]["result"].to_string().contains("call 5"),
        "{}",
        answers[5]
    );
    // The initialize, too, and nothing that is not a request or an answer.
    assert!(all
        .iter()
        .any(|l| l["method"] == "initialize" && l["kind"] == "answer"));
    assert!(all
        .iter()
        .all(|l| l["kind"] == "request" || l["kind"] == "answer"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&log).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "owner-only");
    }

    // Appended, never rewritten; without --log-calls-full, no arguments.
    let mut b = Bridge::start(&url, &["--log-calls", log.to_str().unwrap()]).await;
    b.initialize().await;
    b.call_tool(json!("x"), "echo", json!({"message": "plain"}))
        .await;
    b.close_and_wait().await;
    let again = lines(&log);
    assert!(again.len() > all.len());
    assert_eq!(again[..all.len()], all[..]);
    let plain = again
        .iter()
        .find(|l| l["id"] == "x" && l["kind"] == "request")
        .unwrap();
    assert!(plain.get("arguments").is_none(), "{plain}");
}

#[test]
fn a_call_log_that_cannot_be_kept_safely_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-dir/calls.jsonl");
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut cases = vec![(missing, "cannot open")];
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let shared = dir.path().join("shared.jsonl");
        std::fs::write(&shared, "").unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o644)).unwrap();
        cases.push((shared, "may be read by others"));
        let link = dir.path().join("link.jsonl");
        std::os::unix::fs::symlink(dir.path().join("target.jsonl"), &link).unwrap();
        cases.push((link, "cannot open"));
    }
    for (path, want) in cases {
        let (code, _, err) = common::run_to_exit(
            &[
                "http://127.0.0.1:9/mcp",
                "--log-calls",
                path.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(code, Some(1), "{}: {err}", path.display());
        assert!(err.contains(want), "{}: {err}", path.display());
    }
    assert!(!dir.path().join("target.jsonl").exists(), "followed a link");
}
