//! The shell completions and the man page under completions/ are generated
//! from the command line's definition; this fails when they are stale.
//! Regenerate with `MCP_BRIDGE_BLESS=1 cargo test --test generated`.

mod common;

use std::path::PathBuf;
use std::process::Command;

/// Each file and the arguments that print it.
const GENERATED: [(&str, &[&str]); 6] = [
    ("mcp-bridge.bash", &["completions", "bash"]),
    ("_mcp-bridge", &["completions", "zsh"]),
    ("mcp-bridge.fish", &["completions", "fish"]),
    ("_mcp-bridge.ps1", &["completions", "powershell"]),
    ("mcp-bridge.elv", &["completions", "elvish"]),
    ("mcp-bridge.1", &["man"]),
];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("completions")
}

fn printed(args: &[&str]) -> String {
    let out = Command::new(common::bin()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "{args:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn checked_in_completions_and_man_page_are_current() {
    let bless = std::env::var_os("MCP_BRIDGE_BLESS").is_some();
    let mut stale = Vec::new();
    for (file, args) in GENERATED {
        let now = printed(args);
        assert!(now.len() > 500, "{args:?} printed almost nothing");
        let path = dir().join(file);
        if bless {
            std::fs::create_dir_all(dir()).unwrap();
            std::fs::write(&path, &now).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(now.as_str()) {
            stale.push(file);
        }
    }
    assert!(
        stale.is_empty(),
        "stale: {stale:?}; regenerate with MCP_BRIDGE_BLESS=1 cargo test --test generated"
    );
}

#[test]
fn completions_know_every_subcommand_and_the_new_flags() {
    let bash = printed(&["completions", "bash"]);
    for word in [
        "check",
        "login",
        "logout",
        "status",
        "completions",
        "--ignore-tool",
        "--ca-cert",
        "--authorize-param",
    ] {
        assert!(bash.contains(word), "{word} missing");
    }
    let ok = Command::new("bash")
        .arg("-n")
        .arg(dir().join("mcp-bridge.bash"))
        .status()
        .unwrap();
    assert!(ok.success(), "the bash completion does not parse");
}

#[test]
fn the_man_page_documents_the_options() {
    let man = printed(&["man"]);
    assert!(
        man.starts_with(".ie") || man.contains(".TH mcp-bridge 1"),
        "{man:.200}"
    );
    for word in ["\\-\\-ignore\\-tool", "\\-\\-no\\-proxy", "\\-\\-debug"] {
        assert!(man.contains(word), "{word} missing from the man page");
    }
}
