//! Networks as users meet them: proxies from the environment, a private CA,
//! IPv4 only, and the headers and body timeouts.

mod common;

use common::fake::{self, Fake, Reply, Step};
use common::net::{HttpProxy, TestCa};
use common::Bridge;
use serde_json::{json, Value};
use std::time::Duration;

/// The port of a fake server's URL.
fn port_of(url: &str) -> u16 {
    url::Url::parse(url).unwrap().port().unwrap()
}

/// Initialize and return the whole answer (result or error).
async fn try_initialize(b: &mut Bridge) -> Value {
    b.request(json!(1), "initialize", common::init_params())
        .await
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_with_the_flags_that_fix_it() {
    let server = Fake::start(fake::mcp).await;
    let ca = TestCa::new();
    let tls = ca.front(port_of(&server.url)).await;
    let mut b = Bridge::start(
        &format!("https://127.0.0.1:{tls}/mcp"),
        &["--retry-timeout", "20"],
    )
    .await;
    let r = try_initialize(&mut b).await;
    let msg = r["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("not trusted"), "{r}");
    assert!(
        msg.contains("--ca-cert") && msg.contains("SSL_CERT_FILE"),
        "{r}"
    );
    assert!(
        !msg.contains("kept trying"),
        "a certificate problem is not retried: {r}"
    );
    assert!(server.seen().is_empty(), "nothing passed the TLS handshake");
}

#[tokio::test]
async fn ca_cert_trusts_a_private_ca() {
    let server = Fake::start(fake::mcp).await;
    let ca = TestCa::new();
    let tls = ca.front(port_of(&server.url)).await;
    let ca_file = ca.ca_file.to_str().unwrap();
    let mut b = Bridge::start(
        &format!("https://localhost:{tls}/mcp"),
        &["--ca-cert", ca_file],
    )
    .await;
    b.initialize().await;
    let r = b.call_tool(json!(2), "echo", json!({"x": 1})).await;
    assert_eq!(r["result"]["echo"], json!({"x": 1}), "{r}");
}

#[tokio::test]
async fn ssl_cert_file_trusts_a_private_ca() {
    let server = Fake::start(fake::mcp).await;
    let ca = TestCa::new();
    let tls = ca.front(port_of(&server.url)).await;
    let ca_file = ca.ca_file.to_str().unwrap();
    let mut b = Bridge::start_with_env(
        &format!("https://127.0.0.1:{tls}/mcp"),
        &[],
        &[("SSL_CERT_FILE", ca_file)],
    )
    .await;
    b.initialize().await;
}

/// `localhost` is both loopback addresses, whatever the hosts file names:
/// a server on `::1` alone and one on 127.0.0.1 alone are both reached.
#[tokio::test]
async fn localhost_reaches_a_server_on_either_loopback_address() {
    for addr in ["[::1]:0", "127.0.0.1:0"] {
        let server = Fake::start_on(addr, fake::mcp).await;
        let port = port_of(&server.url);
        let mut b = Bridge::start(&format!("http://localhost:{port}/mcp"), &[]).await;
        b.initialize().await;
        let r = b.call_tool(json!(2), "echo", json!({"at": addr})).await;
        assert_eq!(r["result"]["echo"], json!({"at": addr}), "{r}");
    }
}

/// `SSL_CERT_FILE` is often set machine-wide for other programs: one the
/// bridge cannot use is named in a warning, and the bridge starts without it.
#[tokio::test]
async fn an_unusable_ssl_cert_file_is_a_warning_not_a_failed_start() {
    let server = Fake::start(fake::mcp).await;
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let missing = dir.path().join("moved-away.pem");
    for (file, why) in [(&junk, "no PEM certificate"), (&missing, "cannot read it")] {
        let file = file.to_str().unwrap();
        let mut b = Bridge::start_with_env(&server.url, &[], &[("SSL_CERT_FILE", file)]).await;
        b.initialize().await;
        let r = b.call_tool(json!(2), "echo", json!({"x": 1})).await;
        assert_eq!(r["result"]["echo"], json!({"x": 1}), "{r}");
        let err = b.stderr();
        let warning = err
            .lines()
            .find(|l| l.contains("SSL_CERT_FILE"))
            .unwrap_or_else(|| panic!("no warning about SSL_CERT_FILE: {err}"));
        assert!(
            warning.contains("WARN") && warning.contains(file) && warning.contains(why),
            "{warning}"
        );
        assert_eq!(err.matches("SSL_CERT_FILE").count(), 1, "said once: {err}");
    }
}

/// A machine with no CA certificates at all (a `scratch` container, say)
/// still reaches a plain-HTTP server: the system's store is read at the
/// first TLS handshake, not at start. An HTTPS server there is refused
/// with the reason, and with `--ca-cert` it is reached.
#[tokio::test]
async fn no_system_ca_store_is_needed_until_a_tls_handshake() {
    let server = Fake::start(fake::mcp).await;
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    let none = [
        ("SSL_CERT_FILE", empty.to_str().unwrap()),
        ("SSL_CERT_DIR", dir.path().to_str().unwrap()),
    ];
    let mut b = Bridge::start_with_env(&server.url, &[], &none).await;
    b.initialize().await;
    let r = b.call_tool(json!(2), "echo", json!({"x": 1})).await;
    assert_eq!(r["result"]["echo"], json!({"x": 1}), "{r}");

    let ca = TestCa::new();
    let tls = ca.front(port_of(&server.url)).await;
    let url = format!("https://127.0.0.1:{tls}/mcp");
    let mut b = Bridge::start_with_env(&url, &["--retry-timeout", "1"], &none).await;
    let r = try_initialize(&mut b).await;
    let msg = r["error"]["message"].as_str().unwrap_or_default();
    // Not trusted (so not retried), with the reason and how to trust a CA.
    assert!(msg.contains("is not trusted"), "{r}");
    assert!(msg.contains("No CA certificates"), "{r}");
    assert!(msg.contains("--ca-cert"), "{r}");
    let ca_file = ca.ca_file.to_str().unwrap();
    let mut b = Bridge::start_with_env(&url, &["--ca-cert", ca_file], &none).await;
    b.initialize().await;
}

#[tokio::test]
async fn a_ca_file_without_certificates_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("empty.pem");
    std::fs::write(&f, "not a certificate").unwrap();
    let (code, out, err) = common::run_to_exit(
        &["https://127.0.0.1:9/mcp", "--ca-cert", f.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("--ca-cert") && err.contains("no PEM certificate"),
        "{err}"
    );
}

#[tokio::test]
async fn http_proxy_carries_plain_http() {
    let server = Fake::start(fake::mcp).await;
    let proxy = HttpProxy::start(&[("mcp.test", port_of(&server.url))]).await;
    let mut b = Bridge::start_with_env(
        "http://mcp.test:8080/mcp",
        &["--allow-http", "-v"],
        &[("HTTP_PROXY", &proxy.url())],
    )
    .await;
    b.initialize().await;
    let r = b.call_tool(json!(2), "echo", json!({"via": "proxy"})).await;
    assert_eq!(r["result"]["echo"], json!({"via": "proxy"}), "{r}");
    assert!(
        proxy
            .seen()
            .iter()
            .any(|l| l == "POST http://mcp.test:8080/mcp"),
        "{:?}",
        proxy.seen()
    );
    b.wait_stderr("go through the proxy http://127.0.0.1").await;
}

#[tokio::test]
async fn https_proxy_tunnels_tls_with_connect() {
    let server = Fake::start(fake::mcp).await;
    let ca = TestCa::new();
    let tls = ca.front(port_of(&server.url)).await;
    let proxy = HttpProxy::start(&[("mcp.test", tls)]).await;
    let ca_file = ca.ca_file.to_str().unwrap();
    // The password in the proxy URL must not reach the log.
    let with_password = proxy.url().replace("http://", "http://user:hunter2@");
    let mut b = Bridge::start_with_env(
        "https://mcp.test/mcp",
        &["--ca-cert", ca_file, "--enable-proxy", "-vvv"],
        &[("https_proxy", &with_password)],
    )
    .await;
    b.initialize().await;
    assert_eq!(
        proxy.seen().first().map(String::as_str),
        Some("CONNECT mcp.test:443")
    );
    assert!(!b.stderr().contains("hunter2"), "{}", b.stderr());
    // The proxy got the URL's credentials on the CONNECT (user:hunter2).
    assert!(
        proxy
            .seen()
            .contains(&"auth Basic dXNlcjpodW50ZXIy".to_owned()),
        "{:?}",
        proxy.seen()
    );
}

#[tokio::test]
async fn a_proxy_spoken_to_over_tls_carries_both_kinds_of_url() {
    // The proxy itself behind TLS (an https:// proxy URL), signed by the
    // test's CA, as is the server's own TLS front.
    let server = Fake::start(fake::mcp).await;
    let ca = TestCa::new();
    let tls = ca.front(port_of(&server.url)).await;
    let proxy = HttpProxy::start(&[("mcp.test", port_of(&server.url))]).await;
    let proxy_over_tls = ca.front(port_of(&proxy.url())).await;
    let via = format!("https://localhost:{proxy_over_tls}");
    let ca_file = ca.ca_file.to_str().unwrap();
    let mut b = Bridge::start_with_env(
        "http://mcp.test:8080/mcp",
        &["--allow-http", "--ca-cert", ca_file],
        &[("HTTP_PROXY", &via)],
    )
    .await;
    b.initialize().await;
    assert!(
        proxy
            .seen()
            .iter()
            .any(|l| l == "POST http://mcp.test:8080/mcp"),
        "{:?}",
        proxy.seen()
    );
    let tunneled = HttpProxy::start(&[("mcp.test", tls)]).await;
    let tunnel_over_tls = ca.front(port_of(&tunneled.url())).await;
    let via = format!("https://localhost:{tunnel_over_tls}");
    let mut b = Bridge::start_with_env(
        "https://mcp.test/mcp",
        &["--ca-cert", ca_file],
        &[("HTTPS_PROXY", &via)],
    )
    .await;
    b.initialize().await;
    assert_eq!(
        tunneled.seen().first().map(String::as_str),
        Some("CONNECT mcp.test:443")
    );
}

#[tokio::test]
async fn an_http_proxy_gets_its_credentials_on_each_plain_request() {
    let server = Fake::start(fake::mcp).await;
    let proxy = HttpProxy::start(&[("mcp.test", port_of(&server.url))]).await;
    let with_password = proxy.url().replace("http://", "http://user:hunter2@");
    let mut b = Bridge::start_with_env(
        "http://mcp.test:8080/mcp",
        &["--allow-http", "-vvv"],
        &[("HTTP_PROXY", &with_password)],
    )
    .await;
    b.initialize().await;
    let seen = proxy.seen();
    assert_eq!(
        seen.iter()
            .filter(|l| *l == "auth Basic dXNlcjpodW50ZXIy")
            .count(),
        seen.iter().filter(|l| l.starts_with("POST ")).count(),
        "every request the proxy read carried the credentials: {seen:?}"
    );
    assert!(seen.iter().any(|l| l.starts_with("POST ")), "{seen:?}");
    assert!(!b.stderr().contains("hunter2"), "{}", b.stderr());
}

#[tokio::test]
async fn no_proxy_and_loopback_go_direct() {
    let server = Fake::start(fake::mcp).await;
    let proxy = HttpProxy::start(&[("mcp.test", port_of(&server.url))]).await;
    let p = proxy.url();

    // Loopback is never proxied: a proxy cannot reach this machine's loopback.
    let mut b = Bridge::start_with_env(&server.url, &[], &[("HTTP_PROXY", &p)]).await;
    b.initialize().await;

    // NO_PROXY and --no-proxy: mcp.test is then looked up directly, and
    // no such host exists.
    for (args, env) in [
        (vec!["--no-proxy"], vec![("HTTP_PROXY", p.as_str())]),
        (
            vec![],
            vec![
                ("HTTP_PROXY", p.as_str()),
                ("NO_PROXY", "example.org,mcp.test"),
            ],
        ),
    ] {
        let mut args = args.clone();
        args.extend(["--allow-http", "--retry-timeout", "0.5"]);
        let mut b = Bridge::start_with_env("http://mcp.test:8080/mcp", &args, &env).await;
        let r = try_initialize(&mut b).await;
        assert!(r["error"].is_object(), "{args:?} {env:?}: {r}");
    }
    assert!(proxy.seen().is_empty(), "{:?}", proxy.seen());
}

#[tokio::test]
async fn a_bad_proxy_variable_is_named_without_its_value() {
    let (code, _, err) = common::run_to_exit(
        &["https://example.com/mcp"],
        &[("HTTPS_PROXY", "http://user:hunter2@[not-a-host")],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("HTTPS_PROXY is not a proxy URL"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[tokio::test]
async fn ipv4_keeps_connections_off_ipv6() {
    let server = Fake::start_on("[::1]:0", fake::mcp).await;
    let mut b = Bridge::start(&server.url, &[]).await;
    b.initialize().await;
    let mut b = Bridge::start(&server.url, &["--ipv4", "--retry-timeout", "0.5"]).await;
    let r = try_initialize(&mut b).await;
    assert!(r["error"].is_object(), "{r}");
    let inits = server
        .seen()
        .iter()
        .filter(|s| s.rpc_method() == "initialize")
        .count();
    assert_eq!(inits, 1, "only the first bridge got through");
}

/// A server whose tools/call answers only after `pause`, headers included.
fn slow_headers(pause: Duration) -> impl Fn(&fake::Seen) -> Reply {
    move |seen| match seen.rpc_method() {
        "tools/call" => Reply::Late(pause, Box::new(fake::mcp(seen))),
        _ => fake::mcp(seen),
    }
}

#[tokio::test]
async fn headers_timeout_bounds_the_wait_for_response_headers() {
    let server = Fake::start(slow_headers(Duration::from_secs(3))).await;
    let mut b = Bridge::start(&server.url, &["--headers-timeout", "0.5"]).await;
    b.initialize().await;
    let r = b.call_tool(json!(2), "echo", json!({})).await;
    let msg = r["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("--headers-timeout"), "{r}");
    // Without it, the same slow answer arrives.
    let mut b = Bridge::start(&server.url, &[]).await;
    b.initialize().await;
    let r = b.call_tool(json!(2), "echo", json!({"late": true})).await;
    assert_eq!(r["result"]["echo"], json!({"late": true}), "{r}");
}

/// A server whose tools/call stream goes quiet for `pause` before the answer.
fn quiet_stream(pause: Duration) -> impl Fn(&fake::Seen) -> Reply {
    move |seen| match seen.rpc_method() {
        "tools/call" => Reply::Sse(
            vec![
                Step::Text(": working\n\n".into()),
                Step::Sleep(pause),
                fake::event(&fake::result(&seen.rpc_id(), json!({"done": true}))),
            ],
            vec![],
        ),
        _ => fake::mcp(seen),
    }
}

#[tokio::test]
async fn body_timeout_bounds_silence_on_a_response() {
    let server = Fake::start(quiet_stream(Duration::from_secs(3))).await;
    let mut b = Bridge::start(&server.url, &["--body-timeout", "0.5"]).await;
    b.initialize().await;
    let r = b.call_tool(json!(2), "work", json!({})).await;
    assert!(r["error"].is_object(), "{r}");
    let mut b = Bridge::start(&server.url, &[]).await;
    b.initialize().await;
    let r = b.call_tool(json!(2), "work", json!({})).await;
    assert_eq!(r["result"]["done"], true, "{r}");
}
