//! Sign-in against an authorization server nobody tuned for us:
//! oidc-provider (OpenID Certified, pinned in tests/peers/package.json) with
//! its defaults left on (DPoP offered, `offline_access` with its consent
//! rule, refresh token rotation, the registered scope as an allow-list),
//! in front of the Python SDK's MCP server, which verifies the provider's
//! JWTs and takes Bearer tokens only. The person at the browser is
//! `tests/peers/oidc_person.py`, which fills in the provider's own login and
//! consent pages. Everything listens on loopback.

mod common;

use common::peers::{self, OidcDeployment};
use common::{browser_urls, Bridge};
use serde_json::{json, Value};
use std::path::PathBuf;

/// A person's machine: the data directory the bridges share, and the
/// browser (a person who signs in at once).
struct Machine {
    dir: tempfile::TempDir,
}

impl Machine {
    fn new() -> Machine {
        Machine {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("browser.log")
    }

    fn credentials(&self) -> PathBuf {
        self.dir.path().join("data/credentials")
    }

    /// The tabs opened so far.
    fn tabs(&self) -> Vec<String> {
        browser_urls(&self.log())
    }

    async fn bridge(&self, url: &str) -> Bridge {
        let data = self.dir.path().join("data").display().to_string();
        let person = peers::dir().join("oidc_person.py").display().to_string();
        let browser = format!("python3 {person}");
        let log = self.log().display().to_string();
        let env = [
            ("MCP_BRIDGE_DATA_DIR", data.as_str()),
            ("BROWSER", browser.as_str()),
            ("BROWSER_LOG", log.as_str()),
        ];
        Bridge::start_with_env(url, &["--token-store", "file", "-vvv"], &env).await
    }

    /// No stored secret (token, refresh token, ID token, DPoP key) in what
    /// `b` logged at its most verbose level.
    fn leaked_nothing(&self, b: &Bridge) {
        let (_, secret) = self.stored();
        let log = b.stderr();
        let tokens = &secret["tokens"];
        for name in ["access_token", "refresh_token", "id_token"] {
            if let Some(v) = tokens[name].as_str() {
                assert!(!log.contains(v), "the {name} reached the log");
            }
        }
        if let Some(k) = secret["dpop_key"].as_str() {
            assert!(!log.contains(k), "the DPoP key reached the log");
        }
        assert!(
            !log.contains("eyJ"),
            "something shaped like a JWT reached the log"
        );
    }

    /// The one server's stored file ending in `suffix`.
    fn stored_file(&self, suffix: &str) -> PathBuf {
        std::fs::read_dir(self.credentials())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with(suffix))
            .unwrap_or_else(|| panic!("no {suffix} stored"))
    }

    /// The one server's stored metadata and secret.
    fn stored(&self) -> (Value, Value) {
        let read = |suffix: &str| -> Value {
            serde_json::from_slice(&std::fs::read(self.stored_file(suffix)).unwrap()).unwrap()
        };
        (read(".meta.json"), read(".secret.json"))
    }
}

/// Initialize (signing in when asked) and call `add`.
async fn works(b: &mut Bridge) {
    b.initialize().await;
    let r = b
        .call_tool(json!("add"), "add", json!({"a": 2, "b": 3}))
        .await;
    assert_eq!(common::text_of(&r), "5", "{r}\n{}", b.stderr());
}

/// The scopes each registration asked for, each sorted (none: null).
async fn registrations(d: &OidcDeployment) -> Vec<Option<String>> {
    let stats = d.stats().await;
    stats["registrations"]
        .as_array()
        .unwrap_or_else(|| panic!("{stats}"))
        .iter()
        .map(|s| {
            s.as_str().map(|s| {
                let mut words: Vec<&str> = s.split(' ').collect();
                words.sort_unstable();
                words.join(" ")
            })
        })
        .collect()
}

/// A scope list as `registrations` shows it.
fn sorted(scope: &str) -> Option<String> {
    let mut words: Vec<&str> = scope.split(' ').collect();
    words.sort_unstable();
    Some(words.join(" "))
}

/// The query parameter `name` of a URL.
fn param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn oidc_provider_with_its_defaults_signs_in_with_bearer_tokens_and_a_refresh_token() {
    // The provider lists only openid and offline_access, offers DPoP, and
    // refuses to register a client for a scope it does not list.
    let d = peers::oidc_deployment("plain", "mcp:tools", 3600, None);
    let m = Machine::new();
    let mut b = m.bridge(&d.resource.url).await;
    works(&mut b).await;
    let tabs = m.tabs();
    assert_eq!(tabs.len(), 1, "one tab: {tabs:?}");

    // Registered again without a scope once the provider refused it.
    assert_eq!(registrations(&d).await, [None]);
    assert!(
        b.stderr().contains("registering again without a scope"),
        "{}",
        b.stderr()
    );
    // offline_access asked for (the provider lists it), with the consent
    // prompt OpenID Connect asks for it: a refresh token came.
    let scope = param(&tabs[0], "scope").unwrap_or_default();
    assert!(scope.split(' ').any(|s| s == "offline_access"), "{scope}");
    assert!(scope.split(' ').any(|s| s == "mcp:tools"), "{scope}");
    assert_eq!(param(&tabs[0], "prompt").as_deref(), Some("consent"));
    let (meta, secret) = m.stored();
    assert_eq!(meta["refreshable"], json!(true), "{meta}");
    // Bearer, not DPoP: the MCP server takes Bearer tokens only.
    assert_eq!(meta["dpop"], json!(false), "{meta}");
    assert!(secret["tokens"].get("dpop").is_none(), "not bound");
    assert!(
        b.stderr().contains("takes Bearer tokens only"),
        "{}",
        b.stderr()
    );

    // A second process uses the stored sign-in: no tab.
    let mut again = m.bridge(&d.resource.url).await;
    works(&mut again).await;
    assert_eq!(m.tabs().len(), 1);
    m.leaked_nothing(&b);
    m.leaked_nothing(&again);
}

#[tokio::test]
async fn expiry_is_silent_the_refresh_token_rotates() {
    // Access tokens live 6 s; the bridge refreshes a quarter before.
    let d = peers::oidc_deployment("plain", "mcp:tools", 6, None);
    let m = Machine::new();
    let mut b = m.bridge(&d.resource.url).await;
    works(&mut b).await;
    let (_, before) = m.stored();
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let r = b
        .call_tool(json!("later"), "add", json!({"a": 1, "b": 1}))
        .await;
    assert_eq!(common::text_of(&r), "2", "{r}\n{}", b.stderr());
    let (_, after) = m.stored();
    assert_eq!(m.tabs().len(), 1, "no second tab");
    let stats = d.stats().await;
    assert!(stats["refreshes"].as_u64() >= Some(1), "{stats}");
    assert_ne!(
        before["tokens"]["refresh_token"], after["tokens"]["refresh_token"],
        "the provider rotated the refresh token and the new one was kept"
    );
    assert_ne!(
        before["tokens"]["access_token"],
        after["tokens"]["access_token"]
    );
    m.leaked_nothing(&b);
}

/// The step-up deployment: the provider lists mcp:tools and mcp:admin (so
/// a registration for them is accepted, and is then all the client may ask
/// for); the tool `admin_report` needs mcp:admin.
fn step_up_deployment() -> OidcDeployment {
    peers::oidc_deployment(
        "stepup",
        "mcp:tools mcp:admin",
        3600,
        Some("mcp:tools mcp:admin"),
    )
}

/// The client was registered for mcp:tools (with offline_access), then
/// once more for mcp:admin too: no other registration.
async fn registered_then_widened(d: &OidcDeployment) {
    assert_eq!(
        registrations(d).await,
        [
            sorted("mcp:tools offline_access"),
            sorted("mcp:tools offline_access mcp:admin")
        ]
    );
}

/// Call `admin_report`, which asks for more scope.
async fn admin_report(b: &mut Bridge) {
    let r = b.call_tool(json!("admin"), "admin_report", json!({})).await;
    assert_eq!(common::text_of(&r), "admin report", "{r}\n{}", b.stderr());
}

#[tokio::test]
async fn step_up_with_a_registered_client_registers_it_again_for_the_wider_scope() {
    let d = step_up_deployment();
    let m = Machine::new();
    let mut b = m.bridge(&d.resource.url).await;
    works(&mut b).await;
    admin_report(&mut b).await;
    registered_then_widened(&d).await;
    // The registered scope is known, so no tab was wasted on a refusal.
    let tabs = m.tabs();
    assert_eq!(tabs.len(), 2, "{tabs:?}");
    let scope = param(&tabs[1], "scope").unwrap_or_default();
    assert!(scope.split(' ').any(|s| s == "mcp:admin"), "{scope}");
    m.leaked_nothing(&b);
}

#[tokio::test]
async fn step_up_refused_for_a_client_of_unknown_scope_registers_again_once() {
    let d = step_up_deployment();
    let m = Machine::new();
    let mut b = m.bridge(&d.resource.url).await;
    works(&mut b).await;
    drop(b);
    // The registration as an earlier version stored it: without its scope.
    let secret = m.stored_file(".secret.json");
    let mut stored: Value = serde_json::from_slice(&std::fs::read(&secret).unwrap()).unwrap();
    stored["client"].as_object_mut().unwrap().remove("scope");
    std::fs::write(&secret, stored.to_string()).unwrap();

    let mut b = m.bridge(&d.resource.url).await;
    works(&mut b).await;
    admin_report(&mut b).await;
    // The provider refused mcp:admin for the old client (invalid_scope):
    // one extra tab, one new registration for the union, then the step-up.
    registered_then_widened(&d).await;
    let tabs = m.tabs();
    assert_eq!(
        tabs.len(),
        3,
        "the first sign-in, the refused one, the step-up: {tabs:?}"
    );
    assert!(b.stderr().contains("refused the scope"), "{}", b.stderr());
}

#[tokio::test]
async fn a_dpop_bound_token_refused_with_a_bearer_challenge_leads_once_to_bearer_remembered() {
    // The resource's metadata lists DPoP algorithms, but it takes Bearer
    // tokens only (a misconfigured deployment): the bound token is refused.
    let d = peers::oidc_deployment("dpop-advertised", "mcp:tools", 3600, None);
    let m = Machine::new();
    let mut b = m.bridge(&d.resource.url).await;
    works(&mut b).await;
    assert_eq!(m.tabs().len(), 2, "one sign-in bound, one unbound");
    assert!(
        b.stderr().contains("refused a DPoP-bound token"),
        "{}",
        b.stderr()
    );
    let (meta, secret) = m.stored();
    assert_eq!(meta["bearer_only"], json!(true), "{meta}");
    assert!(secret["tokens"].get("dpop").is_none(), "{meta}");
    drop(b);

    // Remembered: the next process neither binds nor opens a tab.
    let mut again = m.bridge(&d.resource.url).await;
    works(&mut again).await;
    let r = again
        .call_tool(json!(9), "add", json!({"a": 0, "b": 1}))
        .await;
    assert_eq!(common::text_of(&r), "1");
    assert_eq!(m.tabs().len(), 2);
    assert!(!again.stderr().contains("DPoP-bound"), "{}", again.stderr());
    m.leaked_nothing(&again);
}
