//! `mcp-bridge doctor URL`: every link between this machine and the
//! server, in order, each a line with ✓ or ✗, what was found and, for a ✗,
//! the fix. The exit code is the number of the first step that failed (0
//! when none did). It takes the options of a run, opens no browser unless
//! `--sign-in` is given, and prints no secret: header values, tokens and a
//! URL's query values never appear.

mod clients;
mod mcp;
mod net;

use super::check;
use crate::cli::Options;
use crate::http::error::{ErrorKind, UpstreamError};
use serde_json::{json, Value};
use std::process::ExitCode;
use std::time::Duration;

/// One link of the chain.
pub struct Step {
    name: &'static str,
    /// `None`: not tried (an earlier link is broken, or it does not apply).
    ok: Option<bool>,
    found: String,
    fix: Option<String>,
}

impl Step {
    fn pass(name: &'static str, found: impl Into<String>) -> Step {
        Step {
            name,
            ok: Some(true),
            found: found.into(),
            fix: None,
        }
    }

    fn fail(name: &'static str, found: impl Into<String>, fix: impl Into<String>) -> Step {
        Step {
            name,
            ok: Some(false),
            found: found.into(),
            fix: Some(fix.into()),
        }
    }

    fn skip(name: &'static str, why: impl Into<String>) -> Step {
        Step {
            name,
            ok: None,
            found: why.into(),
            fix: None,
        }
    }
}

/// `mcp-bridge doctor URL [OPTIONS]`.
pub fn command(
    raw: &str,
    port: Option<u16>,
    opts: &Options,
    as_json: bool,
    sign_in: bool,
) -> ExitCode {
    let (steps, headers) = match crate::url_policy::check_url(raw, opts.connection.allow_http) {
        Ok(url) => match chain(url, port, opts, sign_in) {
            Ok((steps, headers)) => (steps, Some(headers)),
            Err(code) => return code,
        },
        Err(e) => {
            let mut steps = vec![Step::fail(
                "url",
                crate::text::clean(&crate::text::Chain(&e).to_string(), 400),
                "pass the server's full URL, as https://host/path (http only for this machine's own addresses, or with --allow-http)",
            )];
            steps.extend(later(
                &[
                    "name",
                    "proxy",
                    "connection",
                    "tls",
                    "answer",
                    "metadata",
                    "credentials",
                    "session",
                    "tools",
                ],
                1,
            ));
            (steps, None)
        }
    };
    let first_failed = steps.iter().position(|s| s.ok == Some(false));
    let steps = scrubbed(steps, &secrets(raw, headers.as_ref()));
    if as_json {
        println!("{}", report_json(raw, &steps, first_failed));
    } else {
        println!("{}", report_text(&steps));
    }
    match first_failed {
        None => ExitCode::SUCCESS,
        Some(i) => ExitCode::from(u8::try_from(i + 1).unwrap_or(u8::MAX)),
    }
}

/// What doctor never prints: the secrets of the run (`super::secrets`),
/// but for those too short to be any, which would blank out common words.
fn secrets(raw: &str, headers: Option<&reqwest::header::HeaderMap>) -> Vec<String> {
    let mut out = super::secrets(raw, headers);
    out.retain(|s| s.chars().count() >= 4);
    out
}

/// `steps` with every secret replaced by `…`, whichever message names it.
fn scrubbed(steps: Vec<Step>, secrets: &[String]) -> Vec<Step> {
    let scrub = |s: String| {
        secrets.iter().fold(s, |acc, secret| {
            let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
            acc.replace(secret.as_str(), "…").replace(&encoded, "…")
        })
    };
    steps
        .into_iter()
        .map(|s| Step {
            found: scrub(s.found),
            fix: s.fix.map(scrub),
            ..s
        })
        .collect()
}

/// Steps not tried because step `after` failed.
fn later(names: &[&'static str], after: usize) -> Vec<Step> {
    names
        .iter()
        .map(|n| Step::skip(n, format!("not tried: step {after} failed")))
        .collect()
}

/// Every step for a usable URL, and the headers the run collected.
fn chain(
    url: url::Url,
    port: Option<u16>,
    opts: &Options,
    sign_in: bool,
) -> Result<(Vec<Step>, reqwest::header::HeaderMap), ExitCode> {
    let mut prepared = super::prepare(url.as_str(), port, opts)?;
    prepared.auth.interactive = sign_in;
    let (http, provider) = super::http_for(&prepared, opts).map_err(|e| super::failed(&e))?;
    let runtime = super::runtime().map_err(|e| super::report(Err(e)))?;
    let steps = runtime.block_on(async {
        let mut steps = vec![Step::pass("url", crate::url_policy::shown(&url))];
        let (proxy, route) = net::proxy(&url, opts.network.no_proxy);
        let (name, addrs) = net::name(&url, &route).await;
        let name_ok = name.ok == Some(true);
        steps.push(name);
        steps.push(proxy);
        if !name_ok {
            steps.extend(later(&["connection", "tls", "answer", "metadata"], 2));
        } else {
            let (conn, first) = net::connect(&addrs, &route).await;
            let conn_ok = conn.ok == Some(true);
            steps.push(conn);
            if conn_ok {
                network_steps(
                    &url,
                    opts,
                    &prepared,
                    &http,
                    first,
                    route.proxy.is_some(),
                    &mut steps,
                )
                .await;
            } else {
                steps.extend(later(&["tls", "answer", "metadata"], 4));
            }
        }
        steps.push(mcp::credentials(&prepared.auth, &provider).await);
        let before = steps.iter().position(|s| s.ok == Some(false));
        let (session, report) = match before {
            Some(i) if i < 7 => (
                Step::skip("session", format!("not tried: step {} failed", i + 1)),
                None,
            ),
            _ => mcp::session(http, &prepared, opts).await,
        };
        steps.push(session);
        steps.push(mcp::pins(&prepared, report.as_ref()));
        steps
    });
    runtime.shutdown_timeout(Duration::from_millis(100));
    let mut steps = steps;
    steps.push(clients::step(&url));
    Ok((steps, prepared.headers))
}

/// TLS, the server's first answer, and the sign-in metadata.
async fn network_steps(
    url: &url::Url,
    opts: &Options,
    prepared: &super::Prepared,
    http: &crate::http::Http,
    first: Option<std::net::SocketAddr>,
    proxied: bool,
    steps: &mut Vec<Step>,
) {
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_owned();
    let chain = match (url.scheme(), first, proxied) {
        ("https", Some(addr), false) => Some(net::chain(host, addr).await),
        _ => None,
    };
    let answer = mcp::first_answer(http, url, &prepared.headers).await;
    // TLS: the chain as the server presents it, and the bridge's verdict.
    let tls = match (&chain, &answer) {
        _ if url.scheme() != "https" => Step::skip("tls", "not used: the URL is http"),
        (_, Err(e)) if e.kind() == ErrorKind::Untrusted => untrusted(chain.as_ref(), e),
        (Some(Err(e)), _) => Step::fail(
            "tls",
            e.clone(),
            "the server does not complete a TLS handshake: is it serving https on this port?",
        ),
        (Some(Ok(certs)), _) => Step::pass("tls", format!("trusted; {}", describe_chain(certs))),
        (None, _) => Step::pass("tls", "through the proxy; trusted by the bridge's client"),
    };
    let tls_ok = tls.ok != Some(false);
    steps.push(tls);
    if !tls_ok {
        steps.extend(later(&["answer", "metadata"], 5));
        return;
    }
    let (step, challenge) = mcp::answer_step(answer);
    let answered = step.ok == Some(true);
    steps.push(step);
    steps.push(match (answered, challenge) {
        (false, _) => Step::skip("metadata", "not tried: step 6 failed"),
        (true, None) => Step::skip("metadata", "not needed: the server asks for no sign-in"),
        (true, Some(c)) => mcp::metadata(url, opts, &prepared.auth, &c).await,
    });
}

/// The chain's certificates, leaf first.
fn describe_chain(certs: &[net::Cert]) -> String {
    let names: Vec<String> = certs
        .iter()
        .map(|c| format!("{} (issued by {})", c.subject, c.issuer))
        .collect();
    format!("chain: {}", names.join(" → "))
}

/// A chain the bridge does not trust: name the CA that would fix it.
fn untrusted(chain: Option<&Result<Vec<net::Cert>, String>>, e: &UpstreamError) -> Step {
    let Some(Ok(certs)) = chain else {
        return Step::fail("tls", e.cause().to_owned(), "pass --ca-cert FILE with the CA certificate (PEM) that issued the server's certificate");
    };
    let Some(top) = certs.last() else {
        return Step::fail(
            "tls",
            "the server sent no certificate",
            "the server's TLS setup is broken; tell its operator",
        );
    };
    let ca = &top.issuer;
    let self_signed = top.subject == top.issuer;
    let mut fix = format!(
        "the server's certificate comes from the CA \"{ca}\", which this machine does not trust: pass --ca-cert FILE, FILE being that CA's certificate in PEM (ask the server's operator, or your IT department for a company CA), or add it to the system's trust store"
    );
    if self_signed {
        fix.push_str(&format!(
            "; the server sent that certificate itself (SHA-256 {}): compare the fingerprint with the one its operator gives before trusting it",
            top.sha256
        ));
    }
    Step::fail(
        "tls",
        format!("not trusted: {}; {}", e.cause(), describe_chain(certs)),
        fix,
    )
}

fn report_text(steps: &[Step]) -> String {
    let mut out = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        let mark = match s.ok {
            Some(true) => "✓",
            Some(false) => "✗",
            None => "–",
        };
        out.push(format!("{:>2} {mark} {:<11} {}", i + 1, s.name, s.found));
        if let Some(fix) = &s.fix {
            out.push(format!("     fix: {fix}"));
        }
    }
    out.join("\n")
}

fn report_json(raw: &str, steps: &[Step], first_failed: Option<usize>) -> String {
    let url = url::Url::parse(raw)
        .map(|u| crate::url_policy::shown(&u))
        .unwrap_or_else(|_| "(not a URL)".into());
    let list: Vec<Value> = steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({
                "number": i + 1,
                "step": s.name,
                "status": match s.ok { Some(true) => "pass", Some(false) => "fail", None => "skipped" },
                "found": s.found,
                "fix": s.fix,
            })
        })
        .collect();
    serde_json::to_string_pretty(&json!({
        "url": url,
        "ok": first_failed.is_none(),
        "first_failed": first_failed.map(|i| i + 1),
        "steps": list,
    }))
    .unwrap_or_default()
}
