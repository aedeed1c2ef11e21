//! The grants with no person at a browser, against a fake authorization
//! server: client credentials (a secret, chosen as Basic) and jwt-bearer
//! with an external assertion (a value, or a file read again for every
//! token request). No browser is ever opened, tokens are fetched again
//! before they expire, refusals surface once, and no secret reaches the
//! logs at the most verbose level. The official conformance suite runs the
//! same grants (and private_key_jwt) in tests/conformance.rs.

mod common;

use common::oauth_fake::{Behaviour, OAuthFake};
use common::Bridge;
use serde_json::{json, Value};

const SECRET: &str = "cc-s3cret-never-logged";

async fn bridge(url: &str, args: &[&str], data: &tempfile::TempDir) -> Bridge {
    let data = data.path().display().to_string();
    let log = format!("{data}/browser.log");
    Bridge::start_with_env(
        url,
        args,
        &[
            ("MCP_BRIDGE_DATA_DIR", data.as_str()),
            ("BROWSER", "/bin/false"),
            ("BROWSER_LOG", log.as_str()),
        ],
    )
    .await
}

fn text(r: &Value) -> String {
    r.to_string()
}

#[tokio::test]
async fn client_credentials_get_tokens_without_a_browser_and_renew_them_before_expiry() {
    let fake = OAuthFake::start(Behaviour {
        machine_client: Some(("machine-1".into(), SECRET.into())),
        // Renewed in the last quarter of its life (whole seconds): after 3 s.
        ttl: Some(4),
        ..Behaviour::default()
    })
    .await;
    let data = tempfile::tempdir().unwrap();
    let info = json!({"client_id": "machine-1", "client_secret": SECRET}).to_string();
    let mut b = bridge(
        &fake.url,
        &[
            "-vvv",
            "--client-credentials",
            "--static-oauth-client-info",
            &info,
        ],
        &data,
    )
    .await;
    b.initialize().await;
    let r = b.call_tool(json!(1), "whoami", json!({})).await;
    assert!(r.get("result").is_some(), "{r}");
    assert_eq!(
        fake.count("token client_credentials"),
        1,
        "{:?}",
        fake.events()
    );
    assert_eq!(fake.count("client authenticated by basic"), 1);
    assert!(
        fake.events()
            .iter()
            .any(|e| e == &format!("resource={} scope=read", fake.url)),
        "resource and scope are sent: {:?}",
        fake.events()
    );
    // The token is about to expire (still valid, so the server would take
    // it): the next request gets a new one first, without a 401.
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let r = b.call_tool(json!(2), "whoami", json!({})).await;
    assert!(r.get("result").is_some(), "{r}");
    assert_eq!(
        fake.count("token client_credentials"),
        2,
        "{:?}",
        fake.events()
    );
    assert_eq!(fake.count("token authorization_code"), 0);
    assert_eq!(fake.count("mcp 401"), 1, "only the first request met a 401");
    assert!(!std::path::Path::new(&format!("{}/browser.log", data.path().display())).exists());
    // `status` says how the stored credential was got.
    let dir = data.path().display().to_string();
    let (code, out, err) =
        common::run_to_exit(&["status"], &[("MCP_BRIDGE_DATA_DIR", dir.as_str())]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("client credentials"), "{out}");
    let stderr = b.stderr();
    assert!(stderr.contains("client credentials grant"), "{stderr}");
    for secret in [SECRET, "access-1", "access-2"] {
        assert!(!stderr.contains(secret), "{secret} leaked into the log");
    }
}

#[tokio::test]
async fn client_credentials_need_a_client_and_its_secret_or_key() {
    for (args, needle) in [
        (vec!["--client-credentials"], "--static-oauth-client-info"),
        (
            vec![
                "--client-credentials",
                "--static-oauth-client-info",
                r#"{"client_id":"c"}"#,
            ],
            "client_secret",
        ),
        (
            vec!["--client-credentials", "--jwt-bearer-assertion", "x"],
            "cannot be used with",
        ),
    ] {
        let mut all = vec!["https://example.com/mcp"];
        all.extend(args.iter().copied());
        let (code, out, err) = common::run_to_exit(&all, &[]);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(out.is_empty());
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[tokio::test]
async fn jwt_bearer_refusals_surface_once_and_a_rotated_file_is_read_again() {
    let fake = OAuthFake::start(Behaviour {
        assertions: vec!["workload-jwt-1".into(), "workload-jwt-2".into()],
        ttl: Some(4),
        ..Behaviour::default()
    })
    .await;
    let data = tempfile::tempdir().unwrap();

    // An assertion the server does not trust: one token request, the
    // server's words, no retry and no other grant.
    let mut b = bridge(
        &fake.url,
        &["--jwt-bearer-assertion", "untrusted-jwt"],
        &data,
    )
    .await;
    let r = b
        .request(json!("init"), "initialize", common::init_params())
        .await;
    let said = text(&r);
    assert!(said.contains("invalid_grant"), "{said}");
    assert!(said.contains("the assertion is not trusted"), "{said}");
    assert_eq!(fake.count("token "), 1, "{:?}", fake.events());
    drop(b);

    // From a file, read again for every token request.
    let file = data.path().join("token");
    std::fs::write(&file, "workload-jwt-1\n").unwrap();
    let arg = format!("@{}", file.display());
    let mut b = bridge(&fake.url, &["-vvv", "--jwt-bearer-assertion", &arg], &data).await;
    b.initialize().await;
    std::fs::write(&file, "workload-jwt-2\n").unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let r = b.call_tool(json!(1), "whoami", json!({})).await;
    assert!(r.get("result").is_some(), "{r}");
    let events = fake.events();
    assert!(
        events.contains(&"assertion workload-jwt-1".to_owned()),
        "{events:?}"
    );
    assert!(
        events.contains(&"assertion workload-jwt-2".to_owned()),
        "{events:?}"
    );
    assert_eq!(fake.count("token authorization_code"), 0);
    let stderr = b.stderr();
    for secret in ["workload-jwt-1", "workload-jwt-2"] {
        assert!(!stderr.contains(secret), "{secret} leaked into the log");
    }
}

#[tokio::test]
async fn device_code_prints_the_code_and_polls_slower_when_asked() {
    let fake = OAuthFake::start(Behaviour {
        device_polls: vec![
            "authorization_pending",
            "authorization_pending",
            "slow_down",
        ],
        ..Behaviour::default()
    })
    .await;
    let data = tempfile::tempdir().unwrap();
    let mut b = bridge(&fake.url, &["--device-code", "--no-browser"], &data).await;
    b.initialize().await;
    let stderr = b.stderr();
    assert!(
        stderr.contains(&format!(
            "visit {}/activate and enter the code WDJB-MJHT",
            fake.base
        )),
        "{stderr}"
    );
    assert!(stderr.contains("signed in"), "{stderr}");
    let times = fake.poll_times();
    assert_eq!(times.len(), 4, "{:?}", fake.events());
    let gaps: Vec<u64> = times
        .windows(2)
        .map(|w| (w[1] - w[0]).as_millis() as u64)
        .collect();
    assert!(
        gaps[0] >= 950 && gaps[1] >= 950,
        "the server's interval: {gaps:?}"
    );
    assert!(gaps[2] >= 5_900, "slow_down adds 5 s: {gaps:?}");
    assert_eq!(
        fake.count("register"),
        1,
        "a client was registered for the grant"
    );
    assert_eq!(fake.count("token authorization_code"), 0);
    let r = b.call_tool(json!(1), "whoami", json!({})).await;
    assert!(r.get("result").is_some(), "{r}");
}

#[tokio::test]
async fn a_device_code_never_approved_ends_at_the_auth_timeout() {
    let fake = OAuthFake::start(Behaviour {
        device_polls: vec!["authorization_pending"],
        ..Behaviour::default()
    })
    .await;
    let data = tempfile::tempdir().unwrap();
    let mut b = bridge(
        &fake.url,
        &["--device-code", "--no-browser", "--auth-timeout", "3"],
        &data,
    )
    .await;
    let started = std::time::Instant::now();
    let r = b
        .request(json!("init"), "initialize", common::init_params())
        .await;
    assert!(text(&r).contains("not approved within 3 s"), "{r}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert!(fake.poll_times().len() >= 2);
}

#[tokio::test]
async fn login_on_a_machine_without_a_display_uses_the_device_grant() {
    let fake = OAuthFake::start(Behaviour::default()).await;
    let data = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(common::bin());
    for v in common::OUTSIDE
        .iter()
        .chain(&["DISPLAY", "WAYLAND_DISPLAY", "BROWSER"])
    {
        cmd.env_remove(v);
    }
    let out = cmd
        .args(["login", &fake.url])
        .env("MCP_BRIDGE_DATA_DIR", data.path())
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("enter the code WDJB-MJHT"), "{err}");
    assert_eq!(fake.poll_times().len(), 1);
    assert_eq!(fake.count("authorize"), 0, "no browser sign-in");
}

#[tokio::test]
async fn use_id_token_sends_the_id_token_instead_of_the_access_token() {
    let fake = OAuthFake::start(Behaviour {
        id_token: true,
        ..Behaviour::default()
    })
    .await;
    let data = tempfile::tempdir().unwrap();
    let mut b = bridge(
        &fake.url,
        &["--device-code", "--no-browser", "--use-id-token", "-vvv"],
        &data,
    )
    .await;
    b.initialize().await;
    let r = b.call_tool(json!(1), "whoami", json!({})).await;
    assert!(r.get("result").is_some(), "{r}");
    assert!(
        fake.count("mcp with an id token") >= 2,
        "{:?}",
        fake.events()
    );
    assert!(!b.stderr().contains("idtok-"), "the ID token is a secret");
}

// A pseudo-terminal (Python's pty) is Unix's.
#[cfg(unix)]
#[tokio::test]
async fn login_no_browser_takes_the_redirected_address_pasted_in_the_terminal() {
    let fake = OAuthFake::start(Behaviour::default()).await;
    let data = tempfile::tempdir().unwrap();
    let script = common::peers::dir().join("pty_login.py");
    let out = tokio::process::Command::new("python3")
        .arg(script)
        .args([common::bin(), fake.url.as_str()])
        .env("MCP_BRIDGE_DATA_DIR", data.path())
        .env("PTY_LOGIN_LIMIT", "20")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("paste here the address"), "{text}");
    assert!(text.contains("signed in"), "{text}");
    assert!(text.trim_end().ends_with("exit 0"), "{text}");
    assert_eq!(
        fake.count("token authorization_code"),
        1,
        "{:?}",
        fake.events()
    );
}
