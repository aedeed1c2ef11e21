//! Enterprise-managed authorization (SEP-990) with the person signing in
//! at the identity provider in the browser: OpenID Connect at a fake IdP
//! (which also does the RFC 8693 token exchange), the ID-JAG presented to
//! the MCP server's fake authorization server with the jwt-bearer grant.
//! The IdP sign-in is stored and renewed with its refresh token, so a
//! second MCP server trusting the same IdP needs no browser. No secret of
//! the flow (client secrets, ID token, ID-JAG, tokens) reaches stderr, the
//! log file or the --debug log at -vvv. (The handed-in ID token variant is
//! the conformance suite's enterprise-managed-authorization scenario.)

mod common;

use common::oauth_fake::{Behaviour, OAuthFake};
use common::Bridge;
use serde_json::json;
use std::path::Path;

const APP_SECRET: &str = "mcp-app-s3cret-never-logged";
const IDP_SECRET: &str = "idp-s3cret-never-logged";
const JAG: &str = "id-jag-never-logged";
const ID_JAG_TYPE: &str = "urn:ietf:params:oauth:token-type:id-jag";

async fn mcp_server() -> OAuthFake {
    OAuthFake::start(Behaviour {
        machine_client: Some(("mcp-app".into(), APP_SECRET.into())),
        assertions: vec![JAG.into()],
        ..Behaviour::default()
    })
    .await
}

async fn bridge(url: &str, idp: &OAuthFake, port: u16, home: &Path, logging: &[&str]) -> Bridge {
    let info = json!({"client_id": "mcp-app", "client_secret": APP_SECRET}).to_string();
    let port = port.to_string();
    let mut args = vec![
        "-vvv",
        "--static-oauth-client-info",
        &info,
        "--idp-issuer",
        &idp.base,
        "--idp-client-id",
        "bridge-at-idp",
        "--idp-client-secret",
        IDP_SECRET,
        "--callback-port",
        &port,
    ];
    args.extend_from_slice(logging);
    let data = home.join("data").display().to_string();
    let log = home.join("browser.log").display().to_string();
    let browser = common::Home::browser();
    Bridge::start_with_env(
        url,
        &args,
        &[
            ("MCP_BRIDGE_DATA_DIR", data.as_str()),
            ("BROWSER", browser.as_str()),
            ("BROWSER_LOG", log.as_str()),
        ],
    )
    .await
}

/// Every file under `dir`, as text.
fn texts_under(dir: &Path) -> String {
    let mut out = String::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.push_str(&texts_under(&p));
        } else if let Ok(t) = std::fs::read_to_string(&p) {
            out.push_str(&t);
        }
    }
    out
}

#[tokio::test]
async fn the_person_signs_in_at_the_identity_provider_once_for_every_server_that_trusts_it() {
    let home = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let idp = OAuthFake::start(Behaviour {
        preregistered: Some((
            "bridge-at-idp".into(),
            format!("http://127.0.0.1:{port}/oauth/callback"),
        )),
        id_token: true,
        id_jag: Some(JAG.into()),
        // Shorter than the minute before expiry when it is renewed: the
        // stored ID token is renewed with the refresh token next time.
        ttl: Some(30),
        ..Behaviour::default()
    })
    .await;
    let first = mcp_server().await;

    // First server: the browser opens at the identity provider.
    let mut b = bridge(&first.url, &idp, port, home.path(), &["--debug"]).await;
    let init = common::initialize_signing_in(&mut b, &home.path().join("browser.log"), 1).await;
    assert!(init.get("result").is_some(), "{init}");
    let r = b.call_tool(json!(2), "whoami", json!({})).await;
    assert!(r.get("result").is_some(), "{r}");
    b.close_and_wait().await;
    let opened = common::browser_urls(&home.path().join("browser.log"));
    assert!(
        opened[0].starts_with(&format!("{}/authorize?", idp.base))
            && opened[0].contains("scope=openid")
            && opened[0].contains("code_challenge_method=S256"),
        "{opened:?}"
    );
    let ev = idp.events();
    assert!(
        ev.contains(&"token authorization_code".to_owned()),
        "{ev:?}"
    );
    let exchange = format!(
        "exchange audience={} resource={} requested={ID_JAG_TYPE}",
        first.base, first.url
    );
    assert!(ev.contains(&exchange), "{ev:?}");
    assert!(
        first.events().contains(&format!("assertion {JAG}")),
        "{:?}",
        first.events()
    );
    let mut logs = b.stderr();

    // A second server trusting the same IdP, in a new process: no browser;
    // the stored sign-in is renewed with its refresh token.
    let second = mcp_server().await;
    let file = home.path().join("bridge.log");
    let file_arg = file.display().to_string();
    let mut b = bridge(
        &second.url,
        &idp,
        port,
        home.path(),
        &["--log-file", &file_arg],
    )
    .await;
    b.send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": common::init_params()}),
    )
    .await;
    let init = tokio::time::timeout(std::time::Duration::from_secs(5), b.response(json!(1))).await;
    assert!(
        init.as_ref().is_ok_and(|i| i.get("result").is_some()),
        "{init:?}\n{}",
        std::fs::read_to_string(&file).unwrap_or_default()
    );
    let r = b.call_tool(json!(2), "whoami", json!({})).await;
    assert!(r.get("result").is_some(), "{r}");
    b.close_and_wait().await;
    assert_eq!(
        common::browser_urls(&home.path().join("browser.log")).len(),
        1,
        "no second browser opening"
    );
    assert_eq!(idp.count("token refresh_token"), 1, "{:?}", idp.events());
    assert_eq!(idp.count("token authorization_code"), 1);
    assert_eq!(idp.count("exchange"), 2);
    assert!(second.events().contains(&format!("assertion {JAG}")));

    // Nothing secret in stderr, the log file or the debug log.
    logs.push_str(&b.stderr());
    logs.push_str(&std::fs::read_to_string(&file).unwrap_or_default());
    logs.push_str(&texts_under(&home.path().join("data").join("logs")));
    assert!(
        logs.contains("signed in to"),
        "the logs were read: {logs:.500}"
    );
    assert!(
        std::fs::read_to_string(&file).is_ok_and(|t| !t.is_empty()),
        "the log file was written"
    );
    for secret in [
        APP_SECRET, IDP_SECRET, JAG, "idtok-", "refresh-", "access-", "code-",
    ] {
        assert!(!logs.contains(secret), "{secret} leaked into the logs");
    }
}
