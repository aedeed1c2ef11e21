//! Browser sign-in with real peers: the TypeScript SDK's OAuth example
//! server (`--oauth`, `--oauth-strict`) and an MCP server built from the
//! SDK's authorization parts with rotating refresh tokens, signed in by a
//! real headless Chromium from Debian (`tests/peers/browser.sh`); and tokens
//! kept in a real Secret Service keychain (Debian's gnome-keyring in its own
//! D-Bus session).

// Debian's headless Chromium and gnome-keyring in a D-Bus session.
#![cfg(target_os = "linux")]

mod common;

use common::oauth_fake::{Behaviour, OAuthFake};
use common::{browser_urls, init_params, peers, text_of, Bridge};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Stdio;
use tokio::io::AsyncBufReadExt;

/// A data directory and a Chromium "browser" shared by a test's bridges.
struct Home {
    dir: tempfile::TempDir,
    browser: &'static str,
}

impl Home {
    fn chromium() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
            browser: "browser.sh",
        }
    }

    fn recording() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
            browser: "record-browser.mjs",
        }
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("browser.log")
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    async fn bridge_with(&self, url: &str, args: &[&str], extra: &[(&str, &str)]) -> Bridge {
        let browser = match self.browser {
            "record-browser.mjs" => common::Home::browser(),
            sh => peers::dir().join(sh).display().to_string(),
        };
        let (data, log) = (self.data(), self.log().display().to_string());
        let mut env = vec![
            ("MCP_BRIDGE_DATA_DIR", data.as_str()),
            ("BROWSER", browser.as_str()),
            ("BROWSER_LOG", log.as_str()),
        ];
        env.extend_from_slice(extra);
        Bridge::start_with_env(url, args, &env).await
    }

    async fn bridge(&self, url: &str) -> Bridge {
        self.bridge_with(url, &[], &[]).await
    }
}

/// Initialize, signing in through Chromium when the server asks.
async fn initialize(b: &mut Bridge) -> Value {
    let r = b.request(json!(1), "initialize", init_params()).await;
    assert!(r["result"].is_object(), "{r}\n{}", b.stderr());
    b.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    r
}

async fn stats(peer: &peers::Peer) -> Value {
    common::person()
        .get(format!("http://localhost:{}/stats", peer.auth_port))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap()
}

#[tokio::test]
async fn chromium_signs_in_to_the_sdk_example_and_the_next_run_needs_no_browser() {
    let peer = peers::sdk_oauth_example();
    let home = Home::chromium();
    let mut b = home.bridge(&peer.url).await;
    initialize(&mut b).await;
    let r = b
        .call_tool(json!(2), "greet", json!({"name": "bridge"}))
        .await;
    assert!(text_of(&r).contains("bridge"), "{r}");
    let urls = browser_urls(&home.log());
    assert_eq!(urls.len(), 1, "{urls:?}");
    let auth = url::Url::parse(&urls[0]).unwrap();
    assert_eq!(auth.port(), Some(peer.auth_port));
    let q: std::collections::HashMap<_, _> = auth.query_pairs().into_owned().collect();
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["resource"], peer.url);
    assert_eq!(q["scope"], "mcp:tools");
    assert!(b
        .stderr()
        .contains("Opening your browser to sign in to localhost"));
    drop(b);

    let mut again = home.bridge(&peer.url).await;
    initialize(&mut again).await;
    let r = again
        .call_tool(json!(2), "greet", json!({"name": "again"}))
        .await;
    assert!(text_of(&r).contains("again"), "{r}");
    assert_eq!(
        browser_urls(&home.log()).len(),
        1,
        "the second run opened a browser"
    );
    assert!(!again.stderr().contains("Opening your browser"));
}

#[tokio::test]
async fn the_strict_sdk_example_gets_the_resource_indicator_it_checks() {
    let peer = peers::sdk_oauth_example_with("--oauth-strict");
    let home = Home::chromium();
    let mut b = home.bridge(&peer.url).await;
    initialize(&mut b).await;
    let r = b
        .call_tool(json!(2), "greet", json!({"name": "strict"}))
        .await;
    assert!(text_of(&r).contains("strict"), "{r}");

    // A token asked for another resource is refused by the same server.
    let wrong = format!("http://localhost:{}/elsewhere", peer.port);
    let other = Home::chromium();
    let mut b = other
        .bridge_with(&peer.url, &["--resource", &wrong], &[])
        .await;
    let r = b.request(json!(1), "initialize", init_params()).await;
    let e = r["error"]["message"].as_str().unwrap_or_default();
    // (The demo refuses it with a bare 500 from its token endpoint.)
    assert!(
        e.contains("could not sign in") && e.contains("token request"),
        "{r}"
    );
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_without_a_browser() {
    let peer = peers::sdk_oauth_refreshing(2);
    let home = Home::chromium();
    let mut b = home.bridge(&peer.url).await;
    initialize(&mut b).await;
    let first = text_of(&b.call_tool(json!(2), "whoami", json!({})).await);
    assert!(first.starts_with("client "), "{first}");
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    // The same process, its token expired: refreshed before the call.
    let r = b.call_tool(json!(3), "whoami", json!({})).await;
    assert_eq!(text_of(&r), first, "{r}");
    drop(b);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    // A new process: the stored token is expired too; refreshed silently.
    let mut again = home.bridge(&peer.url).await;
    initialize(&mut again).await;
    assert_eq!(
        text_of(&again.call_tool(json!(2), "whoami", json!({})).await),
        first
    );
    let s = stats(&peer).await;
    assert_eq!(s["authorizations"], 1, "{s}");
    assert!(s["refreshes"].as_u64().unwrap() >= 2, "{s}");
    assert_eq!(
        s["refreshReuse"], 0,
        "a rotated refresh token was spent twice: {s}"
    );
    assert_eq!(browser_urls(&home.log()).len(), 1);
}

#[tokio::test]
async fn five_bridges_started_at_once_open_one_browser() {
    let peer = peers::sdk_oauth_refreshing(3600);
    let home = Home::chromium();
    let mut bridges = Vec::new();
    for _ in 0..5 {
        bridges.push(home.bridge(&peer.url).await);
    }
    for b in &mut bridges {
        b.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init_params()}))
            .await;
    }
    for b in &mut bridges {
        let r = b.recv().await;
        assert!(r["result"].is_object(), "{r}\n{}", b.stderr());
    }
    assert_eq!(
        browser_urls(&home.log()).len(),
        1,
        "exactly one browser tab"
    );
    let s = stats(&peer).await;
    assert_eq!(s["registrations"], 1, "{s}");
    assert_eq!(s["codeExchanges"], 1, "{s}");
}

/// A fresh gnome-keyring in its own D-Bus session, ended when dropped.
struct Keyring {
    child: tokio::process::Child,
    address: String,
}

impl Keyring {
    async fn start() -> Keyring {
        let mut child = tokio::process::Command::new("dbus-run-session")
            .arg("--")
            .arg("sh")
            .arg(peers::dir().join("keyring-session.sh"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("dbus-run-session (Debian's dbus; scripts/test.sh installs it)");
        let mut out = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let address = tokio::time::timeout(common::WAIT, out.next_line())
            .await
            .expect("gnome-keyring started")
            .unwrap()
            .expect("a bus address");
        Keyring { child, address }
    }

    /// What `secret-tool` (libsecret, not our code) finds for mcp-bridge.
    fn search(&self) -> String {
        let out = std::process::Command::new("secret-tool")
            .args(["search", "--all", "--unlock", "service", "mcp-bridge"])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .output()
            .expect("secret-tool (Debian's libsecret-tools)");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

#[tokio::test]
async fn tokens_are_kept_in_a_real_secret_service_keychain() {
    let keyring = Keyring::start().await;
    let fake = OAuthFake::start(Behaviour::default()).await;
    let home = Home::recording();
    let bus = [("DBUS_SESSION_BUS_ADDRESS", keyring.address.as_str())];
    let mut b = home.bridge_with(&fake.url, &[], &bus).await;
    common::initialize_signing_in(&mut b, &home.log(), 1).await;
    drop(b);

    let found = keyring.search();
    assert!(
        found.contains("access-"),
        "the keychain holds the token: {found}"
    );
    let creds = PathBuf::from(home.data()).join("credentials");
    let files: Vec<String> = std::fs::read_dir(&creds)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !files.iter().any(|f| f.ends_with(".secret.json")),
        "{files:?}"
    );
    let meta = files.iter().find(|f| f.ends_with(".meta.json")).unwrap();
    let meta = std::fs::read_to_string(creds.join(meta)).unwrap();
    assert!(
        meta.contains("\"keychain\"") && !meta.contains("access-"),
        "{meta}"
    );

    // Read back by a new process: no browser.
    let mut again = home.bridge_with(&fake.url, &[], &bus).await;
    assert!(again.request(json!(1), "initialize", init_params()).await["result"].is_object());
    assert_eq!(browser_urls(&home.log()).len(), 1);
    drop(again);

    // Logout removes it from the keychain too.
    let (code, out, err) = common::run_to_exit(
        &["logout", "--all"],
        &[("MCP_BRIDGE_DATA_DIR", &home.data()), bus[0]],
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(!keyring.search().contains("access-"));
}

#[tokio::test]
async fn the_file_store_is_used_when_no_keychain_answers() {
    let fake = OAuthFake::start(Behaviour::default()).await;
    let home = Home::recording();
    // No D-Bus session at all (the harness removes it): the file fallback.
    let mut b = home.bridge_with(&fake.url, &["-v"], &[]).await;
    common::initialize_signing_in(&mut b, &home.log(), 1).await;
    assert!(
        b.stderr().contains("no OS keychain is available"),
        "{}",
        b.stderr()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let creds = PathBuf::from(home.data()).join("credentials");
        assert_eq!(
            std::fs::metadata(&creds).unwrap().permissions().mode() & 0o777,
            0o700
        );
        for e in std::fs::read_dir(&creds).unwrap().filter_map(Result::ok) {
            let mode = e.metadata().unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{:?}", e.file_name());
        }
    }
}
