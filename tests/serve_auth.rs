//! `mcp-bridge serve` as an OAuth 2.1 resource server, in front of
//! server-everything, with a real authorization server: oidc-provider
//! (tests/peers/oidc_provider.mjs, pinned, its defaults on), which issues
//! JWT access tokens for the resource (RFC 8707). The client is mcp-bridge
//! in bridge mode, which signs in by itself from what `serve` publishes;
//! the person at the browser is tests/peers/oidc_person.py. Its tokens are
//! bound to its DPoP key (RFC 9449), which `serve` offers and oidc-provider
//! does by default. Everything listens on loopback.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use common::served::Served;
use common::{peers, Bridge};
use serde_json::{json, Value};

fn everything() -> Vec<String> {
    let script =
        peers::dir().join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    vec!["node".into(), script.display().to_string(), "stdio".into()]
}

/// A bridge that signs in with a browser (oidc_person.py) and keeps its
/// tokens in files under `dir`.
async fn signing_in(url: &str, dir: &std::path::Path, extra: &[&str]) -> Bridge {
    let data = dir.join("data").display().to_string();
    let person = peers::dir().join("oidc_person.py").display().to_string();
    let browser = format!("python3 {person}");
    let log = dir.join("browser.log").display().to_string();
    let env = [
        ("MCP_BRIDGE_DATA_DIR", data.as_str()),
        ("BROWSER", browser.as_str()),
        ("BROWSER_LOG", log.as_str()),
    ];
    let mut args = vec!["--token-store", "file", "-v"];
    args.extend_from_slice(extra);
    Bridge::start_with_env(url, &args, &env).await
}

/// A bridge signs in to `url` by itself (its data under `dir`) and calls
/// tools: the access token it stored, and the environment the server
/// process says it has (server-everything's `get-env`).
async fn signs_in_and_calls(url: &str, dir: &std::path::Path, extra: &[&str]) -> (String, String) {
    let mut b = signing_in(url, dir, extra).await;
    b.initialize().await;
    let r = b
        .call_tool(json!(1), "echo", json!({"message": "signed in"}))
        .await;
    assert!(
        common::text_of(&r).contains("signed in"),
        "{r}\n{}",
        b.stderr()
    );
    let env = common::text_of(&b.call_tool(json!(2), "get-env", json!({})).await);
    b.close_and_wait().await;
    (stored_token(dir), env)
}

/// What the bridge stored under `dir` for the one server, in the file
/// ending in `suffix`: its secret (tokens, DPoP key) or its metadata.
fn stored(dir: &std::path::Path, suffix: &str) -> Value {
    let creds = dir.join("data/credentials");
    let file = std::fs::read_dir(&creds)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(suffix))
        .expect("a stored credential");
    serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap()
}

/// The access token the bridge stored under `dir`.
fn stored_token(dir: &std::path::Path) -> String {
    let secret = stored(dir, ".secret.json");
    secret["tokens"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A DPoP proof (RFC 9449) for a POST of `token` to `url`, signed with the
/// DPoP key the bridge stored under `dir`, with the id `jti`.
fn proof(dir: &std::path::Path, url: &str, token: &str, jti: &str) -> String {
    proof_for(dir, "POST", url, token, jti)
}

/// The same for a request of `method`.
fn proof_for(dir: &std::path::Path, method: &str, url: &str, token: &str, jti: &str) -> String {
    use ring::rand::SystemRandom;
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let secret = stored(dir, ".secret.json");
    let der = B64
        .decode(secret["dpop_key"].as_str().expect("a DPoP key"))
        .unwrap();
    let rng = SystemRandom::new();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng).unwrap();
    let p = pair.public_key().as_ref();
    let jwk =
        json!({"kty": "EC", "crv": "P-256", "x": B64.encode(&p[1..33]), "y": B64.encode(&p[33..])});
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let ath = B64.encode(ring::digest::digest(
        &ring::digest::SHA256,
        token.as_bytes(),
    ));
    let claims = json!({"jti": jti, "htm": method, "htu": url, "iat": now, "ath": ath});
    let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk});
    let signed = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let sig = pair.sign(&rng, signed.as_bytes()).unwrap();
    format!("{signed}.{}", B64.encode(sig.as_ref()))
}

/// POST an `initialize` to `url` with `token` (none when `None`) as
/// Bearer: the status and the `WWW-Authenticate` header.
async fn try_with(url: &str, token: Option<&str>) -> (u16, String) {
    send(url, token.map(|t| format!("Bearer {t}")), None).await
}

/// The same with the `DPoP` scheme and `proof`.
async fn try_dpop(url: &str, token: &str, proof: &str) -> (u16, String) {
    send(url, Some(format!("DPoP {token}")), Some(proof)).await
}

async fn send(url: &str, authorization: Option<String>, proof: Option<&str>) -> (u16, String) {
    let mut req = common::person()
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream");
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    if let Some(p) = proof {
        req = req.header("dpop", p);
    }
    let init = json!({"jsonrpc":"2.0","id":0,"method":"initialize","params":{
        "protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}});
    let r = req.body(init.to_string()).send().await.unwrap();
    let challenge = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (r.status().as_u16(), challenge)
}

/// `token` with its claims edited by `edit`, its header and signature kept
/// (so the signature no longer verifies), or with a header of its own.
fn forged(token: &str, header: Option<Value>, edit: impl Fn(&mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    edit(&mut claims);
    let h = header.map_or_else(|| parts[0].to_owned(), |h| B64.encode(h.to_string()));
    format!("{h}.{}.{}", B64.encode(claims.to_string()), parts[2])
}

/// End `served`, and wait until it has (its port is taken again next).
async fn stop(mut served: Served) {
    served.child.kill().await.unwrap();
}

#[tokio::test]
async fn a_bridge_signs_in_to_serve_and_bad_tokens_are_refused_before_any_process() {
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let provider = peers::oidc_provider(&url, "mcp:tools", 3600, None);
    let issuer = format!("http://localhost:{}", provider.port);
    let args = [
        "--auth-issuer",
        issuer.as_str(),
        "--require-scope",
        "mcp:tools",
        "--pass-claims-env",
        "sub=MCP_USER",
    ];
    let served = Served::start_on(port, &args, &everything()).await;

    // Without a token: 401, pointing to the metadata, which names the
    // issuer and the scope.
    let (status, challenge) = try_with(&url, None).await;
    assert_eq!(status, 401);
    let metadata_url = format!("http://127.0.0.1:{port}/.well-known/oauth-protected-resource/mcp");
    assert!(
        challenge.contains(&format!(r#"resource_metadata="{metadata_url}""#))
            && challenge.contains(r#"scope="mcp:tools""#)
            && !challenge.contains("error="),
        "{challenge}"
    );
    let metadata = common::person().get(&metadata_url).send().await.unwrap();
    let metadata: Value = serde_json::from_str(&metadata.text().await.unwrap()).unwrap();
    assert_eq!(metadata["resource"], url.as_str());
    assert_eq!(metadata["authorization_servers"], json!([issuer]));
    assert_eq!(metadata["scopes_supported"], json!(["mcp:tools"]));

    // The bridge signs in by itself and calls a tool.
    let dir = tempfile::tempdir().unwrap();
    // In the handshake era, so that the session has a process of its own.
    let (token, env) = signs_in_and_calls(&url, dir.path(), &["--protocol", "legacy"]).await;
    // The session's server process got the subject (--pass-claims-env),
    // and nothing of the token.
    assert!(env.contains(r#""MCP_USER": "alice""#), "{env:.2000}");
    assert!(!env.contains(&token));
    let log = served.stderr();
    assert!(log.contains(&format!("of {issuer} (scopes: ")), "{log}");
    assert!(!log.contains(&token), "the token reached serve's log");
    // The bridge bound its token to its DPoP key (serve's metadata offers
    // DPoP, and oidc-provider does by default): sent as Bearer it is
    // refused; with a proof of the key it works, and the same proof twice
    // does not.
    assert_eq!(stored(dir.path(), ".meta.json")["dpop"], json!(true));
    let (status, challenge) = try_with(&url, Some(&token)).await;
    assert_eq!(status, 401);
    assert!(
        challenge.starts_with("DPoP ") && challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
    let p = proof(dir.path(), &url, &token, "raw-1");
    assert_eq!(try_dpop(&url, &token, &p).await.0, 200);
    let (status, challenge) = try_dpop(&url, &token, &p).await;
    assert_eq!(status, 401);
    assert!(
        challenge.contains(r#"error="invalid_dpop_proof""#) && challenge.contains("used before"),
        "{challenge}"
    );
    let other = format!("http://127.0.0.1:{port}/other");
    let (status, _) = try_dpop(&url, &token, &proof(dir.path(), &other, &token, "raw-2")).await;
    assert_eq!(status, 401, "a proof for another URL");
    let started = served.pids().len();
    let refused = [
        (
            "another audience",
            forged(&token, None, |c| c["aud"] = json!("http://127.0.0.1:1/mcp")),
        ),
        (
            "another issuer",
            forged(&token, None, |c| c["iss"] = json!("https://evil.example")),
        ),
        (
            "alg none",
            forged(&token, Some(json!({"alg": "none"})), |_| {}),
        ),
        (
            "alg HS256",
            forged(
                &token,
                Some(json!({"alg": "HS256", "typ": "at+jwt"})),
                |_| {},
            ),
        ),
        (
            "expired",
            forged(&token, None, |c| c["exp"] = json!(1_000_000_000)),
        ),
        (
            "an unknown key",
            forged(
                &token,
                Some(json!({"alg": "RS256", "kid": "nobody"})),
                |_| {},
            ),
        ),
        ("not a JWT", "opaque-token-0123".to_owned()),
    ];
    for (what, t) in &refused {
        let (status, challenge) = try_with(&url, Some(t)).await;
        assert_eq!(status, 401, "{what}");
        assert!(
            challenge.contains(r#"error="invalid_token""#),
            "{what}: {challenge}"
        );
    }
    assert_eq!(
        served.pids().len(),
        started,
        "no process for a refused token"
    );
    stop(served).await;

    // The same token on a server that requires a scope it lacks: 403
    // insufficient_scope, naming the scope, so that a client can step up.
    let args = [
        "--auth-issuer",
        issuer.as_str(),
        "--require-scope",
        "mcp:admin",
    ];
    let strict = Served::start_on(port, &args, &everything()).await;
    let (status, challenge) =
        try_dpop(&url, &token, &proof(dir.path(), &url, &token, "raw-3")).await;
    assert_eq!(status, 403);
    assert!(
        challenge.contains(r#"error="insufficient_scope""#)
            && challenge.contains(r#"scope="mcp:admin""#),
        "{challenge}"
    );
    assert!(strict.pids().is_empty());
    stop(strict).await;

    // A genuine token for another audience.
    let args = [
        "--auth-issuer",
        issuer.as_str(),
        "--audience",
        "http://127.0.0.1:1/mcp",
    ];
    let other = Served::start_on(port, &args, &everything()).await;
    let (status, challenge) = try_with(&url, Some(&token)).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("audience differs"), "{challenge}");
    assert!(other.pids().is_empty());
}

/// With `--config`, each server is a resource of its own: its own
/// metadata, audience and scopes. A token for one is refused at another,
/// and the listing shows a token's holder the servers it reaches.
#[tokio::test]
async fn each_server_of_a_config_is_a_resource_of_its_own() {
    let port = common::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let (a, b) = (
        format!("{base}/servers/a/mcp"),
        format!("{base}/servers/b/mcp"),
    );
    let provider = peers::oidc_provider(&a, "mcp:tools", 3600, None);
    let issuer = format!("http://localhost:{}", provider.port);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("servers.json");
    let server = |extra: Value| {
        let mut s = json!({"command": everything()[0], "args": everything()[1..]});
        s.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        s
    };
    let servers = json!({"mcpServers": {
        "a": server(json!({})),
        "b": server(json!({"requireScopes": ["admin"]})),
    }});
    std::fs::write(&config, servers.to_string()).unwrap();
    let args = [
        "--config",
        config.to_str().unwrap(),
        "--auth-issuer",
        &issuer,
    ];
    let served = Served::start_on(port, &args, &[]).await;

    for (url, scopes) in [(&a, json!(null)), (&b, json!(["admin"]))] {
        let (status, challenge) = try_with(url, None).await;
        assert_eq!(status, 401);
        let path = url.strip_prefix(&base).unwrap();
        let metadata_url = format!("{base}/.well-known/oauth-protected-resource{path}");
        assert!(
            challenge.contains(&format!(r#"resource_metadata="{metadata_url}""#)),
            "{challenge}"
        );
        let m = common::person().get(&metadata_url).send().await.unwrap();
        let m: Value = serde_json::from_str(&m.text().await.unwrap()).unwrap();
        assert_eq!(m["resource"], url.as_str());
        assert_eq!(m["scopes_supported"], scopes);
    }
    let (token, _) = signs_in_and_calls(&a, dir.path(), &[]).await;
    let (status, challenge) = try_dpop(&b, &token, &proof(dir.path(), &b, &token, "b-1")).await;
    assert_eq!(status, 401, "a's token at b");
    assert!(challenge.contains("invalid_token"), "{challenge}");
    // The listing: 401 without a token; with a's, a alone.
    let listing = format!("{base}/servers");
    let r = common::person().get(&listing).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = common::person()
        .get(&listing)
        .header("authorization", format!("DPoP {token}"))
        .header(
            "dpop",
            proof_for(dir.path(), "GET", &listing, &token, "list-1"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r: Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(r["servers"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["servers"][0]["name"], "a");
    assert!(!served.stderr().contains(&token));
    stop(served).await;
}

/// `--tool-scope`: a tool that needs more than the token grants gets 403
/// `insufficient_scope` naming what the call needs, and mcp-bridge steps up
/// (a second sign-in for the wider scope) and calls it; the session goes
/// on with the wider token. Other tools need nothing more.
#[tokio::test]
async fn a_tool_that_needs_more_scope_makes_the_bridge_step_up() {
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let scopes = "mcp:tools mcp:admin";
    let provider = peers::oidc_provider(&url, scopes, 3600, Some(scopes));
    let issuer = format!("http://localhost:{}", provider.port);
    let args = [
        "--auth-issuer",
        issuer.as_str(),
        "--require-scope",
        "mcp:tools",
        "--tool-scope",
        "get-sum=mcp:admin",
    ];
    let served = Served::start_on(port, &args, &everything()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut b = signing_in(&url, dir.path(), &[]).await;
    b.initialize().await;
    let r = b
        .call_tool(json!(1), "echo", json!({"message": "plain"}))
        .await;
    assert!(common::text_of(&r).contains("plain"), "{r}\n{}", b.stderr());
    let tabs = std::fs::read_to_string(dir.path().join("browser.log")).unwrap();
    assert_eq!(tabs.lines().count(), 1, "{tabs}");
    assert!(
        !tabs.contains("mcp%3Aadmin"),
        "asked only what was needed: {tabs}"
    );

    let r = b
        .call_tool(json!(2), "get-sum", json!({"a": 40, "b": 2}))
        .await;
    assert!(common::text_of(&r).contains("42"), "{r}\n{}", b.stderr());
    let tabs = std::fs::read_to_string(dir.path().join("browser.log")).unwrap();
    assert_eq!(tabs.lines().count(), 2, "a second sign-in: {tabs}");
    let log = served.stderr();
    assert!(
        log.contains("the tool \"get-sum\" needs a scope the token lacks"),
        "{log}"
    );
    assert!(log.contains("mcp:admin"), "{log}");
}

/// Opaque access tokens: oidc-provider issues them (`accessTokenFormat:
/// opaque`) and `serve` asks its introspection endpoint (RFC 7662) about
/// them as a client of its own. mcp-bridge signs in and calls a tool; a
/// revoked-or-unknown token and a wrong client secret are refused, and the
/// client secret never reaches the log.
#[tokio::test]
async fn opaque_tokens_are_introspected() {
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let secret = "serve-secret-0123456789";
    let client = format!("mcp-serve:{secret}");
    let env = [
        ("OIDC_ACCESS_TOKEN_FORMAT", "opaque"),
        ("OIDC_INTROSPECTION_CLIENT", client.as_str()),
    ];
    let provider = peers::oidc_provider_with(&url, "mcp:tools", 3600, None, &env);
    let issuer = format!("http://localhost:{}", provider.port);
    let endpoint = format!("{issuer}/token/introspection");
    let args = [
        "--auth-issuer",
        issuer.as_str(),
        "--introspection-url",
        endpoint.as_str(),
        "--introspection-client-id",
        "mcp-serve",
        "--introspection-client-secret",
        secret,
    ];
    let served = Served::start_on(port, &args, &everything()).await;
    let dir = tempfile::tempdir().unwrap();
    let (token, _) = signs_in_and_calls(&url, dir.path(), &[]).await;
    assert_eq!(token.split('.').count(), 1, "an opaque token: {token}");
    // Bound to the bridge's DPoP key too (the introspection says so).
    let p = proof(dir.path(), &url, &token, "opaque-1");
    assert_eq!(try_dpop(&url, &token, &p).await.0, 200);
    assert_eq!(try_with(&url, Some(&token)).await.0, 401);
    let (status, challenge) = try_with(&url, Some("not-a-token-the-provider-knows")).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("not active"), "{challenge}");
    let log = served.stderr();
    assert!(!log.contains(secret) && !log.contains(&token), "{log}");
    stop(served).await;

    // With the wrong client secret the endpoint refuses serve: 503, not a
    // verdict on the token.
    let mut wrong = args;
    wrong[7] = "not-the-secret";
    let _served = Served::start_on(port, &wrong, &everything()).await;
    assert_eq!(try_with(&url, Some(&token)).await.0, 503);
}

/// serve requiring mcp:tools of oidc-provider's tokens, for clients on the
/// TypeScript SDK's OAuth client: its URL, the issuer, the provider (held
/// for its life) and serve. Registration with the scope serve asks for is
/// accepted (those clients, unlike mcp-bridge, do not register again
/// without it).
async fn for_clients_of_the_sdk() -> (String, String, peers::Peer, Served) {
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let provider = peers::oidc_provider(&url, "mcp:tools", 3600, Some("mcp:tools"));
    let issuer = format!("http://localhost:{}", provider.port);
    let args = ["--auth-issuer", &issuer, "--require-scope", "mcp:tools"];
    let served = Served::start_on(port, &args, &everything()).await;
    (url, issuer, provider, served)
}

/// mcp-remote 0.15.1 (the bridge most clients use today, on the TypeScript
/// SDK's OAuth client) signs in to `serve` by itself, through the same
/// metadata and oidc-provider, and its client (tests/peers/ts_client.mjs)
/// gets every step through: tools, prompts, resources, progress, sampling,
/// elicitation.
#[test]
fn mcp_remote_signs_in_to_serve_by_itself() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (url, issuer, _provider, served) = rt.block_on(for_clients_of_the_sdk());
    let dir = tempfile::tempdir().unwrap();
    let remote = peers::dir().join("node_modules/mcp-remote/dist/proxy.js");
    let person = peers::dir().join("oidc_person.py");
    let out = std::process::Command::new("node")
        .arg(peers::dir().join("ts_client.mjs"))
        .arg(format!(
            "stdio:node {} {url} --transport http-only",
            remote.display()
        ))
        .current_dir(peers::dir())
        .env("MCP_REMOTE_CONFIG_DIR", dir.path())
        .env("BROWSER", format!("python3 {}", person.display()))
        .env("BROWSER_LOG", dir.path().join("browser.log"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", served.stderr());
    let steps: Vec<(String, Value)> =
        serde_json::from_str(text.lines().rfind(|l| !l.is_empty()).unwrap()).unwrap();
    let step = |n: &str| steps.iter().find(|(s, _)| s == n).unwrap().1.clone();
    assert!(
        step("sampling").to_string().contains("streams flow east"),
        "{steps:?}"
    );
    assert!(step("tools").to_string().contains("\"echo\""), "{steps:?}");
    let tabs = std::fs::read_to_string(dir.path().join("browser.log")).unwrap();
    assert_eq!(tabs.lines().count(), 1, "one sign-in: {tabs}");
    assert!(
        tabs.contains("resource=http%3A%2F%2F127.0.0.1"),
        "RFC 8707: {tabs}"
    );
    let log = served.stderr();
    assert!(log.contains(&format!("by alice of {issuer}")), "{log}");
}

/// The TypeScript SDK's client with its own OAuth provider
/// (tests/peers/ts_oauth_client.mjs) finds the authorization server from
/// serve's 401 and metadata, registers, signs in with PKCE (the person
/// played by oidc_person.py) for serve as resource, and calls a tool.
#[test]
fn the_typescript_sdk_s_own_oauth_provider_signs_in_to_serve() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (url, issuer, _provider, served) = rt.block_on(for_clients_of_the_sdk());
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("node")
        .arg(peers::dir().join("ts_oauth_client.mjs"))
        .arg(&url)
        .current_dir(peers::dir())
        .env("BROWSER_LOG", dir.path().join("browser.log"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        served.stderr()
    );
    let got: Value = serde_json::from_str(text.lines().rfind(|l| !l.is_empty()).unwrap()).unwrap();
    assert!(got["tools"].to_string().contains("\"echo\""), "{got}");
    assert!(
        got["echo"].to_string().contains("signed in by the SDK"),
        "{got}"
    );
    assert_eq!(got["signins"], 1, "{got}");
    assert!(
        got["scope"]
            .as_str()
            .unwrap_or_default()
            .contains("mcp:tools"),
        "{got}"
    );
    let tabs = std::fs::read_to_string(dir.path().join("browser.log")).unwrap();
    assert!(
        tabs.contains("resource=http%3A%2F%2F127.0.0.1"),
        "RFC 8707: {tabs}"
    );
    let log = served.stderr();
    assert!(log.contains(&format!("by alice of {issuer}")), "{log}");
}

/// A token that expires under a session open on serve is refreshed by
/// mcp-bridge on its own (oidc-provider's defaults: refresh tokens with
/// offline_access, rotated), with no second sign-in, and serve takes the
/// new one.
#[tokio::test]
async fn a_bridge_s_refreshed_token_is_taken_by_serve() {
    let port = common::free_port();
    let url = format!("http://127.0.0.1:{port}/mcp");
    // Access tokens live 6 s; the bridge refreshes a quarter before.
    let provider = peers::oidc_provider(&url, "mcp:tools", 6, None);
    let issuer = format!("http://localhost:{}", provider.port);
    let served = Served::start_on(port, &["--auth-issuer", &issuer], &everything()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut b = signing_in(&url, dir.path(), &[]).await;
    b.initialize().await;
    let r = b
        .call_tool(json!(1), "echo", json!({"message": "first"}))
        .await;
    assert!(common::text_of(&r).contains("first"), "{r}");
    let before = stored_token(dir.path());
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let r = b
        .call_tool(json!(2), "echo", json!({"message": "later"}))
        .await;
    assert!(
        common::text_of(&r).contains("later"),
        "{r}\n{}\n{}",
        b.stderr(),
        served.stderr()
    );
    assert_ne!(before, stored_token(dir.path()), "a new access token");
    let tabs = std::fs::read_to_string(dir.path().join("browser.log")).unwrap();
    assert_eq!(tabs.lines().count(), 1, "no second sign-in: {tabs}");
    let stats = common::person()
        .get(format!("http://127.0.0.1:{}/stats", provider.port))
        .send()
        .await
        .unwrap();
    let stats: Value = serde_json::from_str(&stats.text().await.unwrap()).unwrap();
    assert!(stats["refreshes"].as_u64() >= Some(1), "{stats}");
    let log = served.stderr();
    assert!(!log.contains(&before), "a token in serve's log");
    b.close_and_wait().await;
}
