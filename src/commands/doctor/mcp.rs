//! The links of `doctor` that speak HTTP and MCP: the server's answer to a
//! client's first message (and its challenge), the sign-in metadata, what
//! is stored for the server (a refresh tried when due), and the session a
//! client would get.

use super::{check, Step};
use crate::auth::{discovery, store::Store};
use crate::cli::Options;
use crate::http::challenge::Challenge;
use crate::http::error::UpstreamError;
use crate::text::Chain;
use serde_json::{json, Value};
use std::time::Duration;

/// How long the MCP session step may take (a sign-in with `--sign-in`
/// has `--auth-timeout` on top).
const SESSION_LIMIT: Duration = Duration::from_secs(60);

/// An `initialize` as a client's first message, without a token, with the
/// user's headers, on the bridge's own client: how the server answers.
pub(super) async fn first_answer(
    http: &crate::http::Http,
    url: &url::Url,
    headers: &reqwest::header::HeaderMap,
) -> Result<reqwest::Response, UpstreamError> {
    let body = json!({"jsonrpc": "2.0", "id": "mcp-bridge-doctor", "method": "initialize", "params": {
        "protocolVersion": crate::protocol::LATEST_HANDSHAKE, "capabilities": {},
        "clientInfo": {"name": "mcp-bridge doctor", "version": env!("CARGO_PKG_VERSION")}}});
    http.send_as_is(|| {
        http.request(reqwest::Method::POST, url.clone())
            .headers(headers)
            .header(
                reqwest::header::ACCEPT,
                reqwest::header::HeaderValue::from_static("application/json, text/event-stream"),
            )
            .header(
                reqwest::header::CONTENT_TYPE,
                reqwest::header::HeaderValue::from_static("application/json"),
            )
            .body(body.to_string())
            .timeout(Duration::from_secs(20))
    })
    .await
}

/// The step for the server's first answer, and its challenge when it asks
/// for a sign-in.
pub(super) fn answer_step(
    answer: Result<reqwest::Response, UpstreamError>,
) -> (Step, Option<Challenge>) {
    let r = match answer {
        Ok(r) => r,
        Err(e) => {
            return (
                Step::fail(
                    "answer",
                    Chain(&e).to_string(),
                    "run with -v to see the request; check the URL's path",
                ),
                None,
            )
        }
    };
    let status = r.status();
    let kind = r
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| crate::text::clean(v, 80))
        .unwrap_or_else(|| "no content type".into());
    match status.as_u16() {
        401 => match Challenge::of(r.headers()) {
            Some(c) => {
                let mut found = "HTTP 401: the server asks for a sign-in".to_owned();
                if let Some(m) = &c.resource_metadata {
                    found.push_str(&format!("; resource metadata at {}", crate::text::clean(m, 300)));
                }
                if let Some(s) = &c.scope {
                    found.push_str(&format!("; scope {}", crate::text::clean(s, 200)));
                }
                (Step::pass("answer", found), Some(c))
            }
            None => (
                Step::fail("answer", "HTTP 401 without a Bearer challenge (WWW-Authenticate)", "the server wants credentials the bridge cannot get by itself: pass them with --header, e.g. --header 'Authorization: Bearer ${TOKEN}'"),
                None,
            ),
        },
        200..=299 => (Step::pass("answer", format!("HTTP {status} ({kind}), no sign-in asked")), None),
        400 | 404 | 405 => (
            Step::pass("answer", format!("HTTP {status} to POST: an older HTTP+SSE server answers so (the session step tries it)")),
            None,
        ),
        403 => (
            Step::fail("answer", format!("HTTP {status}"), "the server refuses this client outright: check the headers it needs (an API key, a tenant), or ask its operator"),
            None,
        ),
        _ => (
            Step::fail("answer", format!("HTTP {status} ({kind})"), "the server (or a proxy in front of it) is failing: try again later, or tell its operator"),
            None,
        ),
    }
}

/// The protected-resource and authorization-server metadata.
pub(super) async fn metadata(
    url: &url::Url,
    opts: &Options,
    auth: &crate::auth::Settings,
    c: &Challenge,
) -> Step {
    let http = crate::commands::oauth_http(url, opts);
    let wanted = discovery::Wanted {
        server: url,
        resource: auth.resource.as_deref(),
        resource_parameter: auth.resource_parameter,
        allow_http: auth.allow_http,
        browser: auth.grant.uses_browser(),
    };
    let operator = "this is the server's configuration: tell its operator; meanwhile --static-oauth-client-info and --token-endpoint can stand in for what it lacks";
    let (found, trail) = match discovery::discover_traced(&http, &wanted, c).await {
        Ok(f) => f,
        Err(e) => {
            return Step::fail(
                "metadata",
                crate::text::clean(&Chain(&e).to_string(), 600),
                operator,
            )
        }
    };
    if trail.resource_metadata.is_none() && !trail.authorization_metadata {
        return Step::fail(
            "metadata",
            "the server asks for a sign-in but publishes no metadata: no protected resource metadata (RFC 9728), no authorization server metadata (RFC 8414)",
            operator,
        );
    }
    let mut parts = Vec::new();
    match &trail.resource_metadata {
        Some(m) => parts.push(format!("resource metadata {m}")),
        None => parts.push("no resource metadata (the server's origin is taken as issuer)".into()),
    }
    parts.push(format!("issuer {}", found.issuer));
    if let Some(a) = &found.authorization_endpoint {
        parts.push(format!("authorize {a}"));
    }
    parts.push(format!("token {}", found.token_endpoint));
    parts.push("PKCE S256".into());
    let client = if auth.static_client.is_some() {
        "client: --static-oauth-client-info".to_owned()
    } else if found.cimd_supported && auth.client_metadata_url.is_some() {
        "client: a metadata document (--client-metadata-url)".to_owned()
    } else if let Some(r) = &found.registration_endpoint {
        format!("client: registered at {r}")
    } else if found.cimd_supported {
        "client: metadata documents (needs --client-metadata-url)".to_owned()
    } else {
        return Step::fail(
            "metadata",
            parts.join("; "),
            "the authorization server offers no registration and takes no client metadata document: pass --static-oauth-client-info with a client its operator gives you",
        );
    };
    parts.push(client);
    parts.push(format!("DPoP {}", if found.dpop { "yes" } else { "no" }));
    parts.push(format!(
        "offline_access {}",
        if found.offline_access {
            "yes (refresh tokens)"
        } else {
            "not listed"
        }
    ));
    Step::pass("metadata", parts.join("; "))
}

/// What is stored for this server, with a refresh tried when it is due.
pub(super) async fn credentials(
    auth: &crate::auth::Settings,
    provider: &crate::auth::Auth,
) -> Step {
    if !auth.enabled {
        return Step::skip(
            "credentials",
            "not used: --header gives the Authorization header",
        );
    }
    let store = match Store::open(auth.store) {
        Ok(s) => s,
        Err(e) => {
            return Step::fail(
                "credentials",
                Chain(&e).to_string(),
                "set MCP_BRIDGE_DATA_DIR to a directory you own",
            )
        }
    };
    let Some(meta) = store.meta(&auth.key()) else {
        return Step::pass(
            "credentials",
            "none stored for this server (a first run signs in when the server asks)",
        );
    };
    let before = meta.expires_at;
    // The token a request would use: refreshed first when it is due.
    let _ = crate::http::TokenSource::bearer(provider).await;
    let after = provider.token_expiry();
    let mut found = format!(
        "in the {}; {}{}; access token {}",
        meta.store,
        meta.grant
            .as_deref()
            .unwrap_or("authorization code (browser)"),
        if meta.dpop { ", key-bound (DPoP)" } else { "" },
        crate::commands::accounts::expiry(before)
    );
    let now = crate::auth::store::now();
    let expired = before.is_some_and(|b| b <= now);
    let relogin = "sign in again: `mcp-bridge login URL`";
    if provider.has_token() && after != before {
        found.push_str(&format!(
            "; refreshed: now {}",
            crate::commands::accounts::expiry(after)
        ));
    } else if !provider.has_token() && meta.refreshable && expired {
        return Step::fail(
            "credentials",
            format!("{found}; the refresh was refused"),
            relogin,
        );
    } else if !provider.has_token() {
        return Step::fail(
            "credentials",
            format!("{found}; the stored tokens cannot be read"),
            "sign in again: `mcp-bridge logout URL`, then `mcp-bridge login URL`",
        );
    } else if expired {
        return Step::fail("credentials", format!("{found}; no refresh token"), relogin);
    }
    Step::pass("credentials", found)
}

/// The MCP session, as a client would have it: era, transport, server.
pub(super) async fn session(
    http: crate::http::Http,
    prepared: &crate::commands::Prepared,
    opts: &Options,
) -> (Step, Option<Value>) {
    let (out_tx, out_rx) = tokio::sync::mpsc::channel(64);
    let relay = crate::commands::run::relay_for(
        http,
        prepared.url.clone(),
        prepared.headers.clone(),
        opts,
        crate::stdio::Output::Lines(out_tx),
    );
    let limit = SESSION_LIMIT
        + if prepared.auth.interactive {
            prepared.auth.auth_timeout
        } else {
            Duration::ZERO
        };
    let ran = tokio::time::timeout(
        limit,
        check::run(relay, out_rx, Duration::from_secs(20), true),
    )
    .await;
    let report = match ran {
        Err(_) => {
            let why = format!("no answer in {} s", limit.as_secs());
            return (
                Step::fail("session", why, "run with -v to see where it stops"),
                None,
            );
        }
        Ok(Err(e)) => {
            let fix = if e.contains("a person must sign in") {
                "sign in once: `mcp-bridge login URL` (or `mcp-bridge doctor URL --sign-in`)"
            } else {
                "run with -v to see each request and answer"
            };
            return (
                Step::fail("session", crate::text::clean(&e, 600), fix),
                None,
            );
        }
        Ok(Ok(r)) => r,
    };
    let v: Value = serde_json::from_str(&report).unwrap_or_default();
    let text = |k: &str| v[k].as_str().unwrap_or("unknown").to_owned();
    let server = &v["server"];
    let step = Step::pass(
        "session",
        format!(
            "{} {}: protocol {}, {}, over {}",
            crate::text::clean(server["name"].as_str().unwrap_or("the server"), 80),
            crate::text::clean(server["version"].as_str().unwrap_or(""), 40),
            text("protocolVersion"),
            text("era"),
            text("transport"),
        ),
    );
    (step, Some(v))
}

/// The tools the session listed, against their pins: how many are pinned,
/// changed since, and new (`--pin-tools`, `mcp-bridge tools diff`).
pub(super) fn pins(prepared: &crate::commands::Prepared, report: Option<&Value>) -> Step {
    let Some(report) = report else {
        return Step::skip("tools", "not tried: no session");
    };
    let shown = crate::url_policy::shown(&prepared.url);
    let pinned =
        match crate::pins::Pins::for_server(&prepared.auth.key(), &shown).and_then(|p| p.read()) {
            Ok(p) => p,
            Err(e) => {
                return Step::fail(
                    "tools",
                    format!("cannot read the pins: {}", crate::text::Chain(&e)),
                    "check the data directory's permissions, or remove the pins file to pin afresh",
                )
            }
        };
    let tools = report["tools"].as_array().cloned().unwrap_or_default();
    let (mut changed, mut new) = (0, 0);
    for t in &tools {
        let Some(name) = t.get("name").and_then(Value::as_str) else {
            continue;
        };
        match pinned.get(name) {
            None => new += 1,
            Some(p) if p.sha256 != crate::pins::digest_of(t) => {
                changed += 1;
            }
            Some(_) => {}
        }
    }
    let mut found = format!(
        "{} listed: {} pinned, {changed} changed since pinned, {new} not pinned yet",
        tools.len(),
        pinned.len()
    );
    if changed > 0 {
        found.push_str(&format!("; see `mcp-bridge tools diff {shown}`"));
    }
    Step::pass("tools", found)
}
