//! Browser sign-in against a fake authorization server: the error paths and
//! the rules a real server will not break on demand. The "browser" only
//! records the URL it is handed; the test plays the person.

mod common;

use common::oauth_fake::{Behaviour, OAuthFake};
use common::{browser_urls, init_params, person, sign_in_as_person, Home};
use serde_json::{json, Value};
use std::path::PathBuf;

fn error_text(r: &Value) -> String {
    r["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("an error answer, got {r}"))
        .to_owned()
}

#[tokio::test]
async fn the_pending_request_completes_after_sign_in() {
    let fake = OAuthFake::start(Behaviour::default()).await;
    let home = Home::new();
    let mut b = home.bridge(&fake.url, &["-vvv"]).await;
    b.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init_params()}))
        .await;
    let (status, page) = sign_in_as_person(&home.log(), 1).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("signed in"), "{page}");
    let r = b.recv().await;
    assert_eq!(r["result"]["serverInfo"]["name"], "oauth-fake", "{r}");
    let url = &browser_urls(&home.log())[0];
    assert!(
        url.starts_with(&format!("{}/authorize?", fake.base)),
        "{url}"
    );
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    assert!(
        url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"),
        "{url}"
    );
    let events = fake.events();
    let order: Vec<&str> = events
        .iter()
        .map(String::as_str)
        .filter(|e| !e.starts_with("mcp"))
        .collect();
    assert_eq!(
        order,
        [
            "register",
            &format!("authorize scope=read resource={}", fake.url),
            "token authorization_code"
        ],
        "{events:?}"
    );
    // The request that met the 401 was sent once more with the token.
    assert_eq!(fake.count("mcp initialize"), 1, "{events:?}");
    b.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    let r = b
        .request(
            json!(2),
            "tools/call",
            json!({"name": "x", "arguments": {}}),
        )
        .await;
    assert_eq!(common::text_of(&r), "ok with scope read", "{r}");
    let err = b.stderr();
    assert!(
        err.contains("Opening your browser to sign in to 127.0.0.1"),
        "{err}"
    );
    // Never a token in the logs, at the most verbose level.
    let stored = std::fs::read_dir(PathBuf::from(home.data()).join("credentials"))
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().ends_with(".secret.json"))
        .expect("a secret file (no keychain in this test)");
    let secret: Value = serde_json::from_slice(&std::fs::read(stored.path()).unwrap()).unwrap();
    for t in ["access_token", "refresh_token"] {
        let v = secret["tokens"][t].as_str().unwrap();
        assert!(!err.contains(v), "{t} leaked into the log");
    }
}

#[tokio::test]
async fn a_failed_sign_in_says_why_even_when_the_401_carries_a_json_rpc_error() {
    // The server's own answer to the request is "Unauthorized"; what a
    // person can act on is why signing in stopped, so that is the answer.
    let fake = OAuthFake::start(Behaviour {
        no_s256: true,
        rpc_401: true,
        ..Behaviour::default()
    })
    .await;
    let home = Home::new();
    let mut b = home.bridge(&fake.url, &["--protocol", "legacy"]).await;
    let r = b.request(json!(1), "initialize", init_params()).await;
    let e = error_text(&r);
    assert!(e.contains("could not sign in") && e.contains("S256"), "{e}");
    assert_eq!(r["error"]["data"]["httpStatus"], 401, "{r}");
}

#[tokio::test]
async fn a_server_without_s256_is_refused_before_any_browser() {
    let fake = OAuthFake::start(Behaviour {
        no_s256: true,
        ..Behaviour::default()
    })
    .await;
    let home = Home::new();
    let mut b = home.bridge(&fake.url, &[]).await;
    let r = b.request(json!(1), "initialize", init_params()).await;
    let e = error_text(&r);
    assert!(e.contains("could not sign in") && e.contains("S256"), "{e}");
    assert!(browser_urls(&home.log()).is_empty());
    assert_eq!(fake.count("register"), 0);
    // The bridge keeps serving: the next request gets an answer too.
    let r = b.request(json!(2), "initialize", init_params()).await;
    assert!(error_text(&r).contains("S256"));
}

#[tokio::test]
async fn a_refused_registration_is_explained() {
    let fake = OAuthFake::start(Behaviour {
        closed_registration: true,
        ..Behaviour::default()
    })
    .await;
    let home = Home::new();
    let mut b = home.bridge(&fake.url, &[]).await;
    let e = error_text(&b.request(json!(1), "initialize", init_params()).await);
    assert!(
        e.contains("client registration") && e.contains("registration is closed here"),
        "{e}"
    );
    assert!(browser_urls(&home.log()).is_empty());
}

#[tokio::test]
async fn hostile_authorization_urls_never_reach_the_browser() {
    let fake = OAuthFake::start(Behaviour::default()).await;
    let evil = [
        "javascript:alert(document.cookie)".to_owned(),
        "file:///etc/passwd".to_owned(),
        format!("{}/authorize?x=$(touch /tmp/mcp-bridge-pwned)", fake.base),
        format!("{}/authorize?x=`id`", fake.base),
        format!("{}/authorize;calc.exe", fake.base),
        format!(
            "http://user:secret@{}/authorize",
            fake.base.trim_start_matches("http://")
        ),
        "http://evil.example/authorize".to_owned(),
    ];
    for url in evil {
        fake.set(|b| b.authorization_endpoint = Some(url.clone()));
        let home = Home::new();
        let mut b = home.bridge(&fake.url, &[]).await;
        let e = error_text(&b.request(json!(1), "initialize", init_params()).await);
        assert!(e.contains("could not sign in"), "{url}: {e}");
        assert!(!e.contains("secret"), "{e}");
        assert!(
            browser_urls(&home.log()).is_empty(),
            "{url} reached the browser"
        );
        assert!(!b.stderr().contains("Opening your browser"), "{url}");
    }
    assert!(!std::path::Path::new("/tmp/mcp-bridge-pwned").exists());
}

#[tokio::test]
async fn a_callback_with_the_wrong_state_is_refused() {
    let fake = OAuthFake::start(Behaviour::default()).await;
    let home = Home::new();
    let mut b = home.bridge(&fake.url, &[]).await;
    b.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init_params()}))
        .await;
    let auth_url = common::nth_browser_url(&home.log(), 1).await;
    let redirect = url::Url::parse(&auth_url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .unwrap()
        .1
        .into_owned();
    // A forged callback: right place, wrong state.
    let forged = person()
        .get(format!("{redirect}?code=stolen&state=not-the-one"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 400);
    assert!(forged
        .text()
        .await
        .unwrap()
        .contains("state does not match"));
    assert_eq!(fake.count("token"), 0, "the forged code was never used");
    // The real one still goes through.
    let (status, _) = sign_in_as_person(&home.log(), 1).await;
    assert_eq!(status, 200);
    assert!(b.recv().await["result"].is_object());
    assert_eq!(fake.count("token authorization_code"), 1);
}

#[tokio::test]
async fn a_refused_refresh_falls_back_to_a_new_sign_in() {
    let fake = OAuthFake::start(Behaviour {
        ttl: Some(1),
        ..Behaviour::default()
    })
    .await;
    let home = Home::new();
    {
        let mut b = home.bridge(&fake.url, &[]).await;
        common::initialize_signing_in(&mut b, &home.log(), 1).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    // The stored token has expired and its refresh is refused; the token
    // of the new sign-in lives long enough for a loaded machine (at 1 s,
    // it could expire before its first use, and be refreshed again).
    fake.set(|b| {
        b.refuse_refresh = true;
        b.ttl = None;
    });
    let mut b = home.bridge(&fake.url, &[]).await;
    common::initialize_signing_in(&mut b, &home.log(), 2).await;
    let events = fake.events();
    assert_eq!(
        fake.count("refused refresh: invalid_grant"),
        1,
        "{events:?}"
    );
    assert_eq!(fake.count("token authorization_code"), 2, "{events:?}");
    assert_eq!(
        fake.count("register"),
        1,
        "the registration is kept: {events:?}"
    );
}

#[tokio::test]
async fn a_forgotten_client_is_registered_again() {
    let fake = OAuthFake::start(Behaviour::default()).await;
    let home = Home::new();
    {
        let mut b = home.bridge(&fake.url, &[]).await;
        common::initialize_signing_in(&mut b, &home.log(), 1).await;
    }
    // The authorization server lost everything: the stored token gets a 401,
    // the refresh gets invalid_client, the cached registration is dropped.
    fake.forget_everything();
    let mut b = home.bridge(&fake.url, &[]).await;
    common::initialize_signing_in(&mut b, &home.log(), 2).await;
    let events = fake.events();
    assert_eq!(fake.count("refused token: invalid_client"), 1, "{events:?}");
    assert_eq!(fake.count("register"), 2, "{events:?}");
    let second = &browser_urls(&home.log())[1];
    assert!(second.contains("client_id=client-"), "{second}");
    assert!(
        !second.contains("client_id=client-1&"),
        "a new client: {second}"
    );
}

#[tokio::test]
async fn insufficient_scope_signs_in_again_for_the_scope() {
    let fake = OAuthFake::start(Behaviour {
        tool_scope: Some("admin".into()),
        ..Behaviour::default()
    })
    .await;
    let home = Home::new();
    let mut b = home.bridge(&fake.url, &[]).await;
    common::initialize_signing_in(&mut b, &home.log(), 1).await;
    b.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    b.send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "x", "arguments": {}}}))
        .await;
    let (status, _) = sign_in_as_person(&home.log(), 2).await;
    assert_eq!(status, 200);
    let r = b.recv().await;
    assert_eq!(common::text_of(&r), "ok with scope read admin", "{r}");
    let second = &browser_urls(&home.log())[1];
    assert!(second.contains("scope=read+admin"), "{second}");
    assert_eq!(fake.count("mcp 403"), 1);
}

#[tokio::test]
async fn no_browser_and_a_sign_in_that_never_comes() {
    let fake = OAuthFake::start(Behaviour::default()).await;
    let home = Home::new();
    let mut b = home
        .bridge(&fake.url, &["--no-browser", "--auth-timeout", "1"])
        .await;
    let e = error_text(&b.request(json!(1), "initialize", init_params()).await);
    assert!(e.contains("--auth-timeout"), "{e}");
    assert!(
        browser_urls(&home.log()).is_empty(),
        "--no-browser opened one"
    );
    assert!(b
        .stderr()
        .contains(&format!("visit: {}/authorize?", fake.base)));
}

#[tokio::test]
async fn login_status_and_logout() {
    let fake = OAuthFake::start(Behaviour::default()).await;
    let home = Home::new();
    let (data, log, browser) = (
        home.data(),
        home.log().display().to_string(),
        Home::browser(),
    );
    let mut login = tokio::process::Command::new(common::bin())
        .args(["login", &fake.url, "--token-store", "file"])
        .env("MCP_BRIDGE_DATA_DIR", &data)
        .env("BROWSER", &browser)
        .env("BROWSER_LOG", &log)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    sign_in_as_person(&home.log(), 1).await;
    let status = tokio::time::timeout(common::WAIT, login.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());

    let (code, out, _) = home.run(&["status"]);
    assert_eq!(code, Some(0));
    assert!(
        out.contains(&fake.url) && out.contains("file") && out.contains("expires in"),
        "{out}"
    );
    assert!(!out.contains("access-"), "status printed a token: {out}");

    // A bridge now needs no browser.
    let mut b = home.bridge(&fake.url, &[]).await;
    assert!(b.request(json!(1), "initialize", init_params()).await["result"].is_object());
    assert_eq!(browser_urls(&home.log()).len(), 1);
    drop(b);

    let (code, out, _) = home.run(&["logout", &fake.url]);
    assert_eq!(code, Some(0));
    assert!(out.contains("removed 1"), "{out}");
    let (_, out, _) = home.run(&["status"]);
    assert!(out.contains("no stored sign-ins"), "{out}");
}

#[tokio::test]
async fn several_bridges_at_once_share_one_sign_in() {
    let fake = OAuthFake::start(Behaviour::default()).await;
    let home = Home::new();
    let mut bridges = Vec::new();
    for _ in 0..5 {
        bridges.push(home.bridge(&fake.url, &[]).await);
    }
    for b in &mut bridges {
        b.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init_params()}))
            .await;
    }
    sign_in_as_person(&home.log(), 1).await;
    for b in &mut bridges {
        let r = b.recv().await;
        assert!(r["result"].is_object(), "{r}");
    }
    assert_eq!(
        browser_urls(&home.log()).len(),
        1,
        "exactly one browser opening"
    );
    assert_eq!(fake.count("register"), 1);
    assert_eq!(fake.count("token authorization_code"), 1);
}

#[tokio::test]
async fn a_pre_registered_client_is_used_as_given() {
    let port = common::free_port();
    let redirect = format!("http://127.0.0.1:{port}/oauth/callback");
    let fake = OAuthFake::start(Behaviour {
        closed_registration: true,
        preregistered: Some(("static-client".into(), redirect)),
        ..Behaviour::default()
    })
    .await;
    let home = Home::new();
    let info = r#"{"client_id": "static-client"}"#;
    let port_arg = port.to_string();
    let mut b = home
        .bridge(
            &fake.url,
            &[
                "--static-oauth-client-info",
                info,
                "--callback-port",
                &port_arg,
            ],
        )
        .await;
    common::initialize_signing_in(&mut b, &home.log(), 1).await;
    assert!(browser_urls(&home.log())[0].contains("client_id=static-client&"));
    assert_eq!(fake.count("register"), 0);
    assert_eq!(fake.count("refused register"), 0);
}

// Multi-threaded: `run` blocks while the fake serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_to_a_server_that_needs_none_stores_nothing() {
    let fake = common::fake::Fake::start(common::fake::mcp).await;
    let home = Home::new();
    let (code, out, err) = home.run(&["login", &fake.url]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("did not ask for a sign-in"), "{out}");
    let (_, out, _) = home.run(&["status"]);
    assert!(out.contains("no stored sign-ins"), "{out}");
}

#[tokio::test]
async fn mcp_remote_sign_in_flags_shape_the_flow() {
    let fake = OAuthFake::start(Behaviour {
        refuse_resource: true,
        ..Behaviour::default()
    })
    .await;
    let done = common::fake::Fake::start(common::fake::mcp).await;
    let success = done.url.replace("/mcp", "/done");
    let home = Home::new();
    let mut b = home
        .bridge(
            &fake.url,
            &[
                "--host",
                "localhost",
                "--callback-path",
                "/cb/mcp-bridge",
                "--authorize-param",
                "audience=https://api.example.com",
                "--authorize-param",
                "prompt=consent",
                "--disable-resource-parameter",
                "--auth-success-url",
                &success,
            ],
        )
        .await;
    b.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init_params()}))
        .await;
    // The person ends on the success URL (a server that answers GET with 405).
    let (status, _) = sign_in_as_person(&home.log(), 1).await;
    assert_eq!(status, 405);
    let r = b.recv().await;
    assert!(r["result"].is_object(), "{r}\n{}", b.stderr());
    done.wait_for("the browser sent on to --auth-success-url", |s| {
        s.uri == "/done"
    })
    .await;
    let url = url::Url::parse(&browser_urls(&home.log())[0]).unwrap();
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    let redirect = url::Url::parse(&q["redirect_uri"]).unwrap();
    assert_eq!(redirect.host_str(), Some("localhost"), "{redirect}");
    assert_eq!(redirect.path(), "/cb/mcp-bridge");
    assert_eq!(q["audience"], "https://api.example.com");
    assert_eq!(q["prompt"], "consent");
    assert!(!q.contains_key("resource"), "{url}");
    assert_eq!(fake.count("refused"), 0, "{:?}", fake.events());
}

#[tokio::test]
async fn the_browser_hears_when_a_sign_in_with_a_success_url_fails() {
    // The token endpoint refuses the resource the bridge sends, so the
    // exchange fails: the browser must not be sent on as if it had worked.
    let fake = OAuthFake::start(Behaviour {
        refuse_resource: true,
        ..Behaviour::default()
    })
    .await;
    let home = Home::new();
    let mut b = home
        .bridge(
            &fake.url,
            &["--auth-success-url", "https://example.com/never"],
        )
        .await;
    b.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init_params()}))
        .await;
    let (status, page) = sign_in_as_person(&home.log(), 1).await;
    assert_eq!(status, 502, "{page}");
    let r = b.recv().await;
    assert!(error_text(&r).contains("invalid_target"), "{r}");
}

#[test]
fn sign_in_flags_are_checked() {
    for (args, needle) in [
        (
            vec!["--authorize-param", "state=x"],
            "state is part of the sign-in flow",
        ),
        (vec!["--authorize-param", "novalue"], "KEY=VALUE"),
        (vec!["--callback-path", "cb"], "--callback-path"),
        (vec!["--host", "evil.example/x?"], "--host"),
        (
            vec!["--auth-success-url", "http://example.com/done"],
            "--auth-success-url",
        ),
        (
            vec!["--auth-success-url", "https://example.com/done?x=1"],
            "no query",
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_signs_in_when_the_server_asks() {
    let fake = OAuthFake::start(Behaviour::default()).await;
    let home = Home::new();
    let (data, log, browser) = (
        home.data(),
        home.log().display().to_string(),
        Home::browser(),
    );
    let url = fake.url.clone();
    let run = tokio::task::spawn_blocking(move || {
        common::run_to_exit(
            &["check", &url, "--json"],
            &[
                ("MCP_BRIDGE_DATA_DIR", &data),
                ("BROWSER", &browser),
                ("BROWSER_LOG", &log),
            ],
        )
    });
    let (status, page) = sign_in_as_person(&home.log(), 1).await;
    assert_eq!(status, 200, "{page}");
    let (code, out, err) = run.await.unwrap();
    assert_eq!(code, Some(0), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["server"]["name"], "oauth-fake", "{out}");
    // The sign-in prompt is on stderr, never on stdout.
    assert!(err.contains("Opening your browser"), "{err}");
    // And a later check needs no browser.
    let (code, _, err) = home.run(&["check", &fake.url]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(browser_urls(&home.log()).len(), 1);
}

#[tokio::test]
async fn a_server_that_refuses_fresh_tokens_gets_one_browser_tab_not_one_per_request() {
    let fake = OAuthFake::start(Behaviour {
        reject_tokens: true,
        refuse_refresh: true,
        ..Behaviour::default()
    })
    .await;
    let home = Home::new();
    let mut b = home.bridge(&fake.url, &[]).await;
    b.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init_params()}))
        .await;
    sign_in_as_person(&home.log(), 1).await;
    let r = b.recv().await;
    assert!(r.get("error").is_some(), "{r}");
    for id in 2..7 {
        let r = b.request(json!(id), "tools/list", json!({})).await;
        let text = error_text(&r);
        assert!(
            text.contains("refuses the token it was just signed in for"),
            "{r}"
        );
    }
    assert_eq!(
        browser_urls(&home.log()).len(),
        1,
        "one tab, not one per request"
    );
}

#[tokio::test]
async fn the_browser_says_signed_in_only_after_the_code_exchange_worked() {
    // The token endpoint refuses: the page must not claim success.
    let fake = OAuthFake::start(Behaviour {
        refuse_resource: true,
        ..Behaviour::default()
    })
    .await;
    let home = Home::new();
    let mut b = home.bridge(&fake.url, &[]).await;
    b.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init_params()}))
        .await;
    let (status, page) = sign_in_as_person(&home.log(), 1).await;
    assert_eq!(status, 502, "{page}");
    assert!(page.contains("Sign-in failed"), "{page}");
    let r = b.recv().await;
    assert!(error_text(&r).contains("invalid_target"), "{r}");

    // And when it works, the page says so.
    let fake = OAuthFake::start(Behaviour::default()).await;
    let home = Home::new();
    let mut b = home.bridge(&fake.url, &[]).await;
    b.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": init_params()}))
        .await;
    let (status, page) = sign_in_as_person(&home.log(), 1).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Signed in"), "{page}");
    assert!(b.recv().await.get("result").is_some());
}
