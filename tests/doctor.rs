//! `mcp-bridge doctor URL`: each link in order, the exit code the first
//! broken one's number, and a fix that names what to do.

mod common;

use common::fake::{self, Fake, Reply};
#[cfg(target_os = "linux")]
use common::infra;
use common::peers;
use serde_json::{json, Value};

/// Run `mcp-bridge doctor ARGS...` with its own HOME (no client
/// configuration of the machine's) and data directory, and `env`.
fn doctor(home: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let data = home.join("data").display().to_string();
    let home_s = home.display().to_string();
    let mut all = vec![
        ("HOME", home_s.as_str()),
        ("XDG_CONFIG_HOME", ""),
        ("MCP_BRIDGE_DATA_DIR", data.as_str()),
        ("BROWSER", "mcp-bridge-test-has-no-browser"),
    ];
    all.extend_from_slice(env);
    let mut argv = vec!["doctor"];
    argv.extend_from_slice(args);
    let (code, out, err) = common::run_to_exit(&argv, &all);
    (code.expect("doctor exited"), format!("{out}{err}"))
}

/// [`doctor`] for `url` with a fresh HOME, off the runtime that serves a
/// fake the test started.
async fn doctor_off_runtime(url: &str) -> (i32, String) {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let home = tempfile::tempdir().unwrap();
        doctor(home.path(), &[&url], &[])
    })
    .await
    .unwrap()
}

/// The line of step `n`.
fn line(out: &str, n: usize) -> String {
    out.lines()
        .find(|l| l.trim_start().starts_with(&format!("{n} ")))
        .unwrap_or_else(|| panic!("no step {n} in:\n{out}"))
        .to_owned()
}

#[test]
fn a_healthy_server_passes_every_step() {
    let home = tempfile::tempdir().unwrap();
    let peer = peers::everything("streamableHttp");
    let (code, out) = doctor(home.path(), &[&peer.url], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains('✗'), "{out}");
    assert!(line(&out, 6).contains("HTTP 200"), "{out}");
    assert!(line(&out, 9).contains("over Streamable HTTP"), "{out}");

    // The same as data.
    let (code, out) = doctor(home.path(), &[&peer.url, "--json"], &[]);
    assert_eq!(code, 0, "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], json!(true));
    assert_eq!(v["steps"].as_array().unwrap().len(), 11);
    assert_eq!(v["steps"][8]["step"], "session");
    assert_eq!(v["steps"][8]["status"], "pass");
    // The tools against their pins: doctor pins nothing itself.
    assert_eq!(v["steps"][9]["step"], "tools");
    let tools = v["steps"][9]["found"].as_str().unwrap_or_default();
    assert!(tools.contains(" 0 pinned, 0 changed"), "{tools}");
}

/// `localhost` is both loopback addresses for doctor as for the bridge: a
/// server on `::1` alone is reached, whatever the hosts file names.
#[tokio::test]
async fn localhost_is_both_loopback_addresses() {
    let server = Fake::start_on("[::1]:0", fake::mcp).await;
    let port = server.url.rsplit(':').next().unwrap();
    let (code, out) = doctor_off_runtime(&format!("http://localhost:{port}")).await;
    assert_eq!(code, 0, "{out}");
    assert!(line(&out, 2).contains("AAAA ::1"), "{out}");
    assert!(line(&out, 4).contains("[::1]:"), "{out}");
}

#[test]
fn a_refused_port_fails_at_the_connection_with_the_fix() {
    let home = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}/mcp", common::free_port());
    let (code, out) = doctor(home.path(), &[&url], &[]);
    assert_eq!(code, 4, "{out}");
    assert!(
        line(&out, 4).contains('✗') && out.contains("refused"),
        "{out}"
    );
    assert!(
        out.contains("fix: the server is not listening there"),
        "{out}"
    );
}

// Debian's nginx and openssl make the untrusted chain.
#[cfg(target_os = "linux")]
#[test]
fn an_unknown_ca_fails_at_tls_and_names_the_ca() {
    let home = tempfile::tempdir().unwrap();
    let ca = infra::make_ca(home.path());
    let peer = peers::everything("streamableHttp");
    let port = common::free_port();
    let _nginx = infra::nginx(home.path(), port, &ca, peer.port, "1000r/s");
    let url = format!("https://localhost:{port}/mcp");
    let (code, out) = doctor(home.path(), &[&url], &[]);
    assert_eq!(code, 5, "{out}");
    let tls = line(&out, 5);
    assert!(tls.contains('✗') && tls.contains("CN=localhost"), "{out}");
    assert!(
        out.contains("from the CA \"CN=mcp-bridge test CA\"") && out.contains("--ca-cert"),
        "{out}"
    );
    // With that CA, every step passes.
    let ca_arg = ca.ca.display().to_string();
    let (code, out) = doctor(home.path(), &[&url, "--ca-cert", &ca_arg], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        line(&out, 5).contains("trusted; chain: CN=localhost"),
        "{out}"
    );
}

#[tokio::test]
async fn a_401_without_metadata_fails_at_the_metadata() {
    let server = Fake::start(|s| match s.path() {
        "/mcp" => Reply::Json(
            401,
            "{}".into(),
            vec![("www-authenticate", "Bearer".into())],
        ),
        _ => Reply::Status(404),
    })
    .await;
    let (code, out) = doctor_off_runtime(&server.url).await;
    assert_eq!(code, 7, "{out}");
    assert!(line(&out, 6).contains("asks for a sign-in"), "{out}");
    assert!(line(&out, 7).contains("publishes no metadata"), "{out}");
    assert!(
        out.contains("fix: this is the server's configuration"),
        "{out}"
    );
}

#[tokio::test]
async fn metadata_whose_issuer_does_not_match_fails_at_the_metadata() {
    let server = Fake::start(|s| {
        let base = format!("http://{}", s.header("host").unwrap_or_default());
        match s.path() {
            "/mcp" => Reply::Json(
                401,
                "{}".into(),
                vec![(
                    "www-authenticate",
                    format!("Bearer resource_metadata=\"{base}/.well-known/oauth-protected-resource/mcp\""),
                )],
            ),
            "/.well-known/oauth-protected-resource/mcp" => Reply::Json(
                200,
                json!({"resource": format!("{base}/mcp"), "authorization_servers": [base]}).to_string(),
                vec![],
            ),
            "/.well-known/oauth-authorization-server" => Reply::Json(
                200,
                json!({
                    "issuer": "https://someone-else.example",
                    "authorization_endpoint": format!("{base}/authorize"),
                    "token_endpoint": format!("{base}/token"),
                    "code_challenge_methods_supported": ["S256"],
                    "response_types_supported": ["code"]
                })
                .to_string(),
                vec![],
            ),
            _ => Reply::Status(404),
        }
    })
    .await;
    let (code, out) = doctor_off_runtime(&server.url).await;
    assert_eq!(code, 7, "{out}");
    let meta = line(&out, 7);
    assert!(meta.contains('✗') && meta.contains("issuer"), "{out}");
}

#[tokio::test]
async fn a_proxy_in_the_environment_is_named_and_used() {
    // The proxy: a fake MCP server, which answers a plain-http proxy
    // request (absolute-form) as it answers any other.
    let proxy = Fake::start(fake::mcp).await;
    let proxy_url = proxy.url.trim_end_matches("/mcp").to_owned();
    let home = tempfile::tempdir().unwrap();
    let path = home.path().to_owned();
    let (code, out) = tokio::task::spawn_blocking(move || {
        doctor(
            &path,
            &["http://mcp.invalid/mcp", "--allow-http"],
            &[("HTTP_PROXY", &proxy_url)],
        )
    })
    .await
    .unwrap();
    assert_eq!(code, 0, "{out}");
    assert!(line(&out, 2).contains("the proxy resolves it"), "{out}");
    assert!(line(&out, 3).contains("(from HTTP_PROXY)"), "{out}");
    assert!(line(&out, 4).contains("proxy"), "{out}");
    assert!(proxy.seen().iter().any(|s| s.rpc_method() == "initialize"));

    // A proxy that takes no connection: the fix names the ways around it.
    let dead = format!("http://127.0.0.1:{}", common::free_port());
    let home = tempfile::tempdir().unwrap();
    let (code, out) = doctor(
        home.path(),
        &["http://mcp.invalid/mcp", "--allow-http"],
        &[("HTTP_PROXY", &dead)],
    );
    assert_eq!(code, 4, "{out}");
    assert!(
        out.contains("NO_PROXY") && out.contains("--no-proxy"),
        "{out}"
    );

    // Loopback never goes through it, and doctor says why.
    let peer = peers::everything("streamableHttp");
    let (code, out) = doctor(home.path(), &[&peer.url], &[("HTTP_PROXY", &dead)]);
    assert_eq!(code, 0, "{out}");
    assert!(line(&out, 3).contains("as loopback always is"), "{out}");
}

#[test]
fn a_client_config_whose_command_does_not_exist_fails_last() {
    let home = tempfile::tempdir().unwrap();
    let peer = peers::everything("streamableHttp");
    std::fs::create_dir_all(home.path().join(".cursor")).unwrap();
    std::fs::write(
        home.path().join(".cursor/mcp.json"),
        json!({"mcpServers": {
            "everything": {"command": "/nowhere/mcp-bridge", "args": [peer.url, "--header", "X-Key: s3cret"]}
        }})
        .to_string(),
    )
    .unwrap();
    let (code, out) = doctor(home.path(), &[&peer.url], &[]);
    assert_eq!(code, 11, "{out}");
    let clients = line(&out, 11);
    assert!(
        clients.contains("Cursor") && clients.contains("/nowhere/mcp-bridge ✗ does not exist"),
        "{out}"
    );
    assert!(out.contains("install --client cursor everything"), "{out}");
    assert!(!out.contains("s3cret"), "a header value was shown:\n{out}");
}

#[tokio::test]
async fn no_secret_is_ever_printed_and_no_browser_opens() {
    // A server that wants a sign-in, with everything a diagnosis could
    // leak: a key in the query, a secret header, a stored expired token.
    let fake = common::oauth_fake::OAuthFake::start(Default::default()).await;
    let home = tempfile::tempdir().unwrap();
    let run = |url: String| {
        let path = home.path().to_owned();
        tokio::task::spawn_blocking(move || {
            doctor(
                &path,
                &[&url, "--header", "X-Api-Key: s3cret-header", "-vvv"],
                &[("BROWSER", "/bin/false")],
            )
        })
    };
    let (code, out) = run(fake.url.clone()).await.unwrap();
    // Nothing stored: the session needs a person, and says how.
    assert_eq!(code, 9, "{out}");
    assert!(out.contains("mcp-bridge login"), "{out}");
    assert_eq!(fake.count("authorize"), 0, "a browser sign-in was started");
    assert!(
        !out.contains("s3cret-header"),
        "a header value was printed:\n{out}"
    );
    // A key in the query is never shown, whichever message names the URL
    // (here the metadata, which is for the URL without the query).
    let (code, out) = run(format!("{}?api_key=k-in-the-query", fake.url))
        .await
        .unwrap();
    assert_ne!(code, 0, "{out}");
    for secret in ["k-in-the-query", "s3cret-header"] {
        assert!(!out.contains(secret), "{secret} was printed:\n{out}");
    }
}

#[tokio::test]
async fn stored_credentials_are_refreshed_when_due_and_a_refused_refresh_is_a_failure() {
    let fake = common::oauth_fake::OAuthFake::start(common::oauth_fake::Behaviour {
        ttl: Some(1),
        ..Default::default()
    })
    .await;
    let home = tempfile::tempdir().unwrap();
    let log = home.path().join("browser.log");
    let mut login = tokio::process::Command::new(common::bin())
        .args(["login", &fake.url])
        .env("HOME", home.path())
        .env("MCP_BRIDGE_DATA_DIR", home.path().join("data"))
        .env("BROWSER", common::Home::browser())
        .env("BROWSER_LOG", &log)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (status, _) = common::sign_in_as_person(&log, 1).await;
    assert_eq!(status, 200);
    assert!(login.wait().await.unwrap().success());
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;

    let run = |url: String| {
        let path = home.path().to_owned();
        tokio::task::spawn_blocking(move || doctor(&path, &[&url], &[]))
    };
    let (code, out) = run(fake.url.clone()).await.unwrap();
    let creds = line(&out, 8);
    assert!(
        creds.contains('✓') && creds.contains("refreshed: now expires in"),
        "{out}"
    );
    assert_eq!(code, 0, "{out}");

    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    fake.set(|b| b.refuse_refresh = true);
    let (code, out) = run(fake.url.clone()).await.unwrap();
    assert_eq!(code, 8, "{out}");
    assert!(out.contains("the refresh was refused"), "{out}");
    assert_eq!(
        common::browser_urls(&log).len(),
        1,
        "doctor opened a browser"
    );
}
