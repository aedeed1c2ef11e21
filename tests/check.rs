//! `mcp-bridge check`: what a server offers, as tables and as JSON, against
//! real servers of each transport and era, and a clear failure when the
//! server is down.

mod common;

use common::{peers, run_to_exit};
use serde_json::Value;

fn check(args: &[&str]) -> (Option<i32>, String, String) {
    let home = tempfile::tempdir().unwrap();
    check_in(&home, args)
}

/// `check` with the data directory `home`, which several runs may share.
fn check_in(home: &tempfile::TempDir, args: &[&str]) -> (Option<i32>, String, String) {
    let data = home.path().display().to_string();
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    run_to_exit(
        &all,
        &[
            ("MCP_BRIDGE_DATA_DIR", &data),
            ("BROWSER", "mcp-bridge-test-has-no-browser"),
        ],
    )
}

/// The names of the tools in a `--json` report.
fn tool_names(report: &Value) -> Vec<&str> {
    report["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("no tools in {report}"))
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect()
}

#[test]
fn tables_for_the_everything_server() {
    let peer = peers::everything("streamableHttp");
    let (code, out, err) = check(&[&peer.url]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err, "", "nothing on stderr when all is well");
    for needle in [
        "Server     mcp-servers/everything ",
        &format!("URL        {}", peer.url),
        "Protocol   2025-11-25 (handshake era, with a session)",
        "Transport  Streamable HTTP",
        "NAME ",
        "  echo ",
        "  get-sum ",
        "Resources (",
        "Prompts (",
        "  args-prompt ",
        "city [state]",
    ] {
        assert!(out.contains(needle), "{needle:?} missing from:\n{out}");
    }
    let lines: Vec<&str> = out.lines().collect();
    let tools_at = lines
        .iter()
        .position(|l| l.starts_with("Tools ("))
        .expect("a tools table");
    let count: usize = lines[tools_at]
        .trim_start_matches("Tools (")
        .trim_end_matches(')')
        .parse()
        .unwrap();
    assert!(count >= 10, "{out}");
}

#[test]
fn check_says_which_era_was_found_and_whether_it_was_remembered() {
    let peer = peers::everything("streamableHttp");
    let home = tempfile::tempdir().unwrap();
    let (code, out, err) = check_in(&home, &[&peer.url]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains(
            "Detected   handshake over Streamable HTTP (probed now, remembered for the next start)"
        ),
        "{out}"
    );
    let (code, out, err) = check_in(&home, &[&peer.url, "--json"]);
    assert_eq!(code, Some(0), "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["detected"]["era"], "handshake over Streamable HTTP");
    assert_eq!(report["detected"]["remembered"], true, "{report}");
}

#[test]
fn json_for_the_everything_server_over_sse_with_a_filter() {
    let peer = peers::everything("sse");
    let (code, out, err) = check(&[&peer.url, "--json", "--ignore-tool", "get-*"]);
    assert_eq!(code, Some(0), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["transport"], "HTTP+SSE");
    assert_eq!(v["server"]["name"], "mcp-servers/everything");
    let names = tool_names(&v);
    assert!(names.contains(&"echo"), "{names:?}");
    assert!(names.iter().all(|n| !n.starts_with("get-")), "{names:?}");
    assert!(
        v["tools"][0]["inputSchema"].is_object(),
        "the server's own objects"
    );
    assert!(!v["resources"].as_array().unwrap().is_empty());
}

#[test]
fn json_for_a_python_server_that_speaks_only_2026_07_28() {
    let peer = peers::python("modern-only");
    let (code, out, err) = check(&[&peer.url, "--json"]);
    assert_eq!(code, Some(0), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["protocolVersion"], "2026-07-28", "{out}");
    assert!(v["era"].as_str().unwrap().starts_with("stateless"), "{out}");
    assert_eq!(v["transport"], "Streamable HTTP");
    let names = tool_names(&v);
    assert!(names.contains(&"echo"), "{names:?}");
}

#[test]
fn a_server_that_is_down_fails_at_once_with_a_reason() {
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}/mcp");
    for json in [false, true] {
        let mut args = vec![url.as_str()];
        if json {
            args.push("--json");
        }
        let (code, out, err) = check(&args);
        assert_eq!(code, Some(1), "{err}");
        assert_eq!(out, "", "nothing on stdout");
        assert!(
            err.starts_with("mcp-bridge: error: cannot reach the MCP server at"),
            "{err}"
        );
        assert!(err.contains("refused"), "{err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
}

#[test]
fn a_bad_url_is_a_usage_error() {
    let (code, out, err) = check(&["http://example.com/mcp"]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(out, "");
    assert!(err.contains("--allow-http"), "{err}");
}
