//! The `login`, `logout` and `status` subcommands.

use crate::auth::store::{now, Store};
use crate::auth::Auth;
use crate::cli::Options;
use crate::commands::Failure;
use crate::http::Http;
use crate::text::Chain;
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE};
use std::process::ExitCode;

/// `mcp-bridge login URL`.
pub fn login_command(raw: &str, port: Option<u16>, opts: &Options) -> ExitCode {
    match super::connect(raw, port, opts, true) {
        Ok(c) => super::report(c.runtime.block_on(login(
            &c.http,
            &c.provider,
            c.prepared.url,
            c.prepared.headers,
        ))),
        Err(code) => code,
    }
}

/// Send an `initialize` (signing in when the server asks), close the
/// session, report.
async fn login(
    http: &Http,
    auth: &Auth,
    url: url::Url,
    headers: HeaderMap,
) -> Result<String, Failure> {
    let host = url.host_str().unwrap_or("the server").to_owned();
    let body = serde_json::json!({
        "jsonrpc": "2.0", "id": "mcp-bridge-login", "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "mcp-bridge-login", "version": env!("CARGO_PKG_VERSION")}}
    })
    .to_string();
    let post = || {
        http.request(reqwest::Method::POST, url.clone())
            .headers(&headers)
            .header(ACCEPT, "application/json, text/event-stream")
            .header(CONTENT_TYPE, "application/json")
            .body(body.clone())
    };
    let resp = http.send(post).await.map_err(|e| Chain(&e).to_string())?;
    let mut status = resp.status();
    let session = resp.headers().get("mcp-session-id").cloned();
    drop(resp);
    if matches!(status.as_u16(), 404 | 405) {
        // An HTTP+SSE server: its stream is what needs the token.
        let get = || {
            http.request(reqwest::Method::GET, url.clone())
                .headers(&headers)
                .header(ACCEPT, "text/event-stream")
        };
        let resp = http.send(get).await.map_err(|e| Chain(&e).to_string())?;
        status = resp.status();
    }
    if let Some(id) = session {
        let _ = http
            .send_without_sign_in(|| {
                http.request(reqwest::Method::DELETE, url.clone())
                    .headers(&headers)
                    .header("mcp-session-id", id.clone())
            })
            .await;
    }
    if status.is_success() && !auth.has_token() {
        Ok(format!(
            "{host} did not ask for a sign-in; nothing was stored"
        ))
    } else if status.is_success() {
        Ok(format!("signed in to {host}: the server accepts the token"))
    } else {
        Err(format!("{url} answered HTTP {status} after sign-in").into())
    }
}

/// `mcp-bridge logout URL` / `--all`.
pub fn logout(url: Option<&str>, all: bool) -> Result<String, Failure> {
    let store = Store::open(None)?;
    let wanted = url
        .map(|u| url::Url::parse(u).map_err(|e| format!("{u:?} is not a URL: {e}", e = Chain(&e))))
        .transpose()?;
    let mut removed = 0;
    for (key, meta) in store.list() {
        let hit = all
            || wanted
                .as_ref()
                .is_some_and(|w| url::Url::parse(&meta.url).is_ok_and(|m| m == *w));
        if hit && store.remove(&key)? {
            removed += 1;
        }
    }
    Ok(match (removed, url) {
        (0, Some(u)) => format!("nothing was stored for {u}"),
        (0, None) => "nothing was stored".to_owned(),
        (n, Some(u)) => format!(
            "removed {n} stored sign-in{} for {u}",
            if n == 1 { "" } else { "s" }
        ),
        (n, None) => format!(
            "removed {n} stored sign-in{}",
            if n == 1 { "" } else { "s" }
        ),
    })
}

/// `mcp-bridge status`: a table, never a token.
pub fn status() -> Result<String, Failure> {
    let store = Store::open(None)?;
    let list = store.list();
    if list.is_empty() {
        return Ok(format!(
            "no stored sign-ins (credentials would be listed from {})",
            store.dir().display()
        ));
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|(_, m)| {
            vec![
                m.url.clone(),
                m.store.to_string(),
                expiry(m.expires_at),
                if m.refreshable { "yes" } else { "no" }.to_owned(),
                format!(
                    "{}{}",
                    m.grant.as_deref().unwrap_or("authorization code (browser)"),
                    if m.dpop { ", key-bound (DPoP)" } else { "" }
                ),
                m.issuer.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let head = [
        "SERVER",
        "STORED IN",
        "ACCESS TOKEN",
        "REFRESHABLE",
        "GRANT",
        "ISSUER",
    ];
    let mut out = vec![crate::text::table("", "  ", &head, &rows)
        .trim_end()
        .to_owned()];
    out.push(format!("(metadata in {})", store.dir().display()));
    Ok(out.join("\n"))
}

/// "expires in 52 min", "expired 3 h ago", "no expiry given".
pub(super) fn expiry(at: Option<u64>) -> String {
    let Some(at) = at else {
        return "no expiry given".into();
    };
    let now = now();
    let span = |s: u64| match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        7200..=172_799 => format!("{} h", s / 3600),
        _ => format!("{} days", s / 86_400),
    };
    if at > now {
        format!("expires in {}", span(at - now))
    } else {
        format!("expired {} ago", span(now - at))
    }
}
