//! The loopback listener the authorization server redirects the browser to
//! (RFC 8252): 127.0.0.1 only, one matching callback, a short page for the
//! person, then closed.

use super::{CallbackError, Error, SettingError};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

/// The path of the redirect URI unless `--callback-path` says otherwise.
pub const PATH: &str = "/oauth/callback";
/// How long the browser waits for the code exchange before it is sent on
/// to `--auth-success-url` (or told the sign-in failed).
const EXCHANGE_WAIT: Duration = Duration::from_secs(30);
/// How many ports after the derived one are tried when it is taken.
const PORT_TRIES: u16 = 20;
/// Largest callback query accepted.
const QUERY_LIMIT: usize = 8 * 1024;

/// What the authorization server sent back.
#[derive(Debug)]
pub struct Callback {
    /// The authorization code.
    pub code: String,
    /// The `iss` parameter (RFC 9207), when sent.
    pub iss: Option<String>,
    /// The browser waits on this for the code exchange: told of success
    /// (or sent on to `--auth-success-url`), or told the sign-in failed
    /// when this is dropped without a word.
    outcome: Option<oneshot::Sender<()>>,
}

impl Callback {
    /// Tell the waiting browser that the sign-in worked.
    pub fn signed_in(&mut self) {
        if let Some(tx) = self.outcome.take() {
            let _ = tx.send(());
        }
    }
}

/// How the redirect URI looks and where the browser goes afterwards
/// (`--host`, `--callback-path`, `--auth-success-url`).
#[derive(Debug, Clone)]
pub struct Redirect {
    /// The host name in the redirect URI; the listener is on 127.0.0.1 whatever it says.
    pub host: String,
    /// The path of the redirect URI.
    pub path: String,
    /// Where a signed-in browser is sent (303), instead of the bridge's page.
    pub success_url: Option<String>,
}

impl Default for Redirect {
    fn default() -> Self {
        Redirect {
            host: "127.0.0.1".into(),
            path: PATH.into(),
            success_url: None,
        }
    }
}

/// Check `--host`: a host name or IP literal that fits in a URL, nothing more.
pub fn check_host(host: &str) -> Result<String, Error> {
    let ok = !host.is_empty()
        && host.len() <= 253
        && (host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            || (host.starts_with('[')
                && host.ends_with(']')
                && host[1..host.len() - 1]
                    .parse::<std::net::Ipv6Addr>()
                    .is_ok()));
    if ok {
        Ok(host.to_ascii_lowercase())
    } else {
        Err(SettingError::Host(host.to_owned()).into())
    }
}

/// Check `--callback-path`: an absolute path of plain URL characters.
pub fn check_path(path: &str) -> Result<String, Error> {
    let ok = path.starts_with('/')
        && path.len() <= 200
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-._~".contains(c));
    if ok {
        Ok(path.to_owned())
    } else {
        Err(SettingError::CallbackPath(path.to_owned()).into())
    }
}

/// A bound listener, not yet accepting.
pub struct Listener {
    inner: TcpListener,
    port: u16,
    redirect: Redirect,
}

/// The port a server identity maps to: stable across runs, so the redirect
/// URI (and with it a cached client registration) stays valid.
pub fn derived_port(identity: &str) -> u16 {
    let h = super::pkce::sha256_hex(identity.as_bytes());
    let n = u32::from_str_radix(&h[..8], 16).unwrap_or(0);
    20_000 + (n % 20_000) as u16
}

impl Listener {
    /// Bind 127.0.0.1 on `explicit` (which must be free), else on `derived`
    /// or the next free port after it.
    pub async fn bind(
        explicit: Option<u16>,
        derived: u16,
        redirect: &Redirect,
    ) -> Result<Listener, Error> {
        let ports: Vec<u16> = match explicit {
            Some(p) => vec![p],
            None => (0..PORT_TRIES)
                .filter_map(|i| derived.checked_add(i))
                .collect(),
        };
        let mut last = None;
        for port in ports {
            match TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await {
                Ok(inner) => {
                    let port = inner.local_addr().map(|a| a.port()).unwrap_or(port);
                    return Ok(Listener {
                        inner,
                        port,
                        redirect: redirect.clone(),
                    });
                }
                Err(e) => last = Some((port, e)),
            }
        }
        let (port, source) =
            last.unwrap_or_else(|| (derived, std::io::Error::other("no port to try")));
        Err(match explicit {
            Some(_) => CallbackError::Taken { port, source },
            None => CallbackError::AllTaken {
                first: derived,
                last: derived.saturating_add(PORT_TRIES - 1),
                port,
                source,
            },
        }
        .into())
    }

    /// The redirect URI for this listener.
    pub fn redirect_uri(&self) -> String {
        format!(
            "http://{}:{}{}",
            self.redirect.host, self.port, self.redirect.path
        )
    }

    /// Serve until a callback with `state` arrives (or `limit` passes).
    /// Callbacks with another state are answered with an error page and
    /// otherwise ignored: they did not come from this sign-in.
    pub async fn wait(self, state: &str, limit: Duration) -> Result<Callback, NoCode> {
        self.wait_or_paste(state, limit, None).await
    }

    /// As [`Listener::wait`], and also take the address the browser was
    /// sent to when a person pastes it on `pasted` (lines typed in the
    /// terminal, for a browser that cannot reach this host's loopback).
    pub async fn wait_or_paste(
        self,
        state: &str,
        limit: Duration,
        mut pasted: Option<mpsc::Receiver<String>>,
    ) -> Result<Callback, NoCode> {
        let (tx, mut rx) = mpsc::channel::<Result<Callback, NoCode>>(4);
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            tokio::select! {
                line = async { pasted.as_mut()?.recv().await }, if pasted.is_some() => {
                    match line {
                        Some(line) => match from_pasted(&line, state) {
                            Ok(cb) => return Ok(cb),
                            Err(e) => super::notice::say(&format!("{e}; paste the whole address again, or finish in the browser.", e = crate::text::Chain(&e))),
                        },
                        None => pasted = None,
                    }
                }
                accepted = self.inner.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let tx = tx.clone();
                    let state = state.to_owned();
                    let redirect = self.redirect.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req| {
                            let r = reply(&req, &state, &redirect, &tx);
                            async move { Ok::<_, std::convert::Infallible>(answer(r).await) }
                        });
                        let io = hyper_util::rt::TokioIo::new(stream);
                        let conn = hyper::server::conn::http1::Builder::new()
                            .keep_alive(false)
                            .serve_connection(io, service);
                        let _ = tokio::time::timeout(EXCHANGE_WAIT + Duration::from_secs(10), conn).await;
                    });
                }
                outcome = rx.recv() => {
                    if let Some(outcome) = outcome {
                        // Let the page go out before the listener closes.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        return outcome;
                    }
                }
                () = tokio::time::sleep_until(deadline) => {
                    return Err(NoCode::from(format!(
                        "no sign-in arrived within {} s (--auth-timeout)",
                        limit.as_secs()
                    )));
                }
            }
        }
    }
}

/// Why a sign-in brought no code back.
#[derive(Debug)]
pub struct NoCode {
    /// The OAuth `error` the authorization server sent the person back
    /// with (`access_denied`, `invalid_scope`, ...), when that was why.
    pub error: Option<String>,
    message: String,
}

impl std::fmt::Display for NoCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NoCode {}

impl From<String> for NoCode {
    fn from(message: String) -> Self {
        NoCode {
            error: None,
            message,
        }
    }
}

/// What a request to the listener gets.
enum Reply {
    /// This page, now.
    Page(Response<Full<Bytes>>),
    /// The awaited callback, with `--auth-success-url` (the URL): the
    /// outcome of the code exchange decides.
    Wait(oneshot::Receiver<()>, Option<String>),
}

/// The answer to one request: its page, or for the awaited callback with
/// `--auth-success-url`, a redirect there once the code exchange worked.
async fn answer(reply: Reply) -> Response<Full<Bytes>> {
    match reply {
        Reply::Page(p) => p,
        Reply::Wait(rx, url) => {
            let r = outcome_page(rx, url).await;
            PAGES_WAITING.fetch_sub(1, Ordering::Relaxed);
            r
        }
    }
}

/// Pages that wait for a code exchange's outcome, not yet handed to the
/// connection that writes them.
static PAGES_WAITING: AtomicUsize = AtomicUsize::new(0);

/// Wait (at most `limit`) until every waiting page has its outcome, and a
/// moment more for it to be written: a process about to exit (the detached
/// sign-in) would otherwise leave the browser with no page at all.
pub async fn pages_sent(limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    while PAGES_WAITING.load(Ordering::Relaxed) > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
}

/// The page for the awaited callback, once the exchange's outcome is known.
async fn outcome_page(rx: oneshot::Receiver<()>, url: Option<String>) -> Response<Full<Bytes>> {
    match tokio::time::timeout(EXCHANGE_WAIT, rx).await {
        Ok(Ok(())) => match url {
            Some(url) => {
                let mut resp = Response::new(Full::new(Bytes::new()));
                *resp.status_mut() = StatusCode::SEE_OTHER;
                if let Ok(v) = hyper::header::HeaderValue::from_str(&url) {
                    resp.headers_mut().insert(hyper::header::LOCATION, v);
                }
                resp
            }
            None => page(
                StatusCode::OK,
                "Signed in",
                "mcp-bridge is signed in. You can close this tab and go back to your MCP client.",
            ),
        },
        _ => page(
            StatusCode::BAD_GATEWAY,
            "Sign-in failed",
            "mcp-bridge could not finish the sign-in. You can close this tab; the MCP client has the details.",
        ),
    }
}

/// The reply to one request, reporting a matching callback on `tx`.
fn reply(
    req: &Request<Incoming>,
    state: &str,
    redirect: &Redirect,
    tx: &mpsc::Sender<Result<Callback, NoCode>>,
) -> Reply {
    let page = |status, title, text| Reply::Page(page(status, title, text));
    if req.uri().path() != redirect.path {
        return page(StatusCode::NOT_FOUND, "Not found", "");
    }
    let query = req.uri().query().unwrap_or("");
    if query.len() > QUERY_LIMIT {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            "The callback is too long.",
        );
    }
    match parse(query, state) {
        Parsed::WrongState => {
            tracing::warn!("a sign-in callback arrived with the wrong state; ignored");
            page(
                StatusCode::BAD_REQUEST,
                "Sign-in link not recognised",
                "This callback does not belong to the sign-in mcp-bridge is waiting for (the state does not match). Nothing was done with it.",
            )
        }
        Parsed::Refused { error, text } => {
            let _ = tx.try_send(Err(NoCode {
                message: format!("the authorization server refused: {text}"),
                error: Some(error),
            }));
            page(
                StatusCode::OK,
                "Sign-in failed",
                &format!("The authorization server said: {text}. You can close this tab."),
            )
        }
        // The page waits for the code exchange: it says "signed in" (or
        // goes to --auth-success-url) only once tokens were got.
        Parsed::Code(code, iss) => {
            let (otx, orx) = oneshot::channel();
            let outcome = Some(otx);
            let _ = tx.try_send(Ok(Callback { code, iss, outcome }));
            PAGES_WAITING.fetch_add(1, Ordering::Relaxed);
            Reply::Wait(orx, redirect.success_url.clone())
        }
        Parsed::NoCode => page(
            StatusCode::BAD_REQUEST,
            "Sign-in failed",
            "The callback carries no authorization code.",
        ),
    }
}

/// What the callback query says.
enum Parsed {
    /// Not this sign-in's state.
    WrongState,
    /// The authorization server refused: its OAuth `error`, and its
    /// words (cleaned).
    Refused {
        /// The `error` code.
        error: String,
        /// The code and its description, for people.
        text: String,
    },
    /// A code (and `iss`).
    Code(String, Option<String>),
    /// No code.
    NoCode,
}

/// Read a callback query for the sign-in with `state`.
fn parse(query: &str, state: &str) -> Parsed {
    let mut code = None;
    let mut got_state = None;
    let mut error = None;
    let mut description = None;
    let mut iss = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match k.as_ref() {
            "code" => &mut code,
            "state" => &mut got_state,
            "error" => &mut error,
            "error_description" => &mut description,
            "iss" => &mut iss,
            _ => continue,
        };
        slot.get_or_insert_with(|| v.into_owned());
    }
    if got_state.as_deref() != Some(state) {
        return Parsed::WrongState;
    }
    if let Some(error) = error {
        let text = match description {
            Some(d) => format!("{error}: {d}"),
            None => error.clone(),
        };
        return Parsed::Refused {
            error: crate::text::clean(&error, 100),
            text: crate::text::clean(&text, 300),
        };
    }
    match code {
        Some(code) if !code.is_empty() && code.len() <= 4096 => Parsed::Code(code, iss),
        _ => Parsed::NoCode,
    }
}

/// A callback from the address a person pasted: the redirect URI with its
/// query (the page itself may have failed to load), checked as the
/// listener checks one.
fn from_pasted(line: &str, state: &str) -> Result<Callback, Error> {
    let line = line.trim();
    if line.len() > QUERY_LIMIT {
        return Err(CallbackError::TooLong.into());
    }
    let query = match url::Url::parse(line) {
        Ok(u) => u.query().unwrap_or("").to_owned(),
        Err(_) => return Err(CallbackError::NotAnAddress.into()),
    };
    match parse(&query, state) {
        Parsed::Code(code, iss) => Ok(Callback {
            code,
            iss,
            outcome: None,
        }),
        Parsed::WrongState => Err(CallbackError::WrongState.into()),
        Parsed::Refused { text, .. } => Err(CallbackError::Refused { text }.into()),
        Parsed::NoCode => Err(CallbackError::NoCode.into()),
    }
}

/// Lines typed in the terminal (`/dev/tty`, never stdin), for pasting the
/// address a browser on another machine was sent to. `None` where there
/// is no terminal. The reading thread ends with the process.
pub fn terminal_lines() -> Option<mpsc::Receiver<String>> {
    use std::io::{BufRead, Read};
    let tty = std::fs::File::open(if cfg!(windows) { "CONIN$" } else { "/dev/tty" }).ok()?;
    let (tx, rx) = mpsc::channel(4);
    std::thread::Builder::new()
        .name("mcp-bridge-paste".into())
        .spawn(move || {
            let mut lines = std::io::BufReader::new(tty);
            let mut line = String::new();
            loop {
                line.clear();
                match std::io::Read::by_ref(&mut lines)
                    .take(QUERY_LIMIT as u64 + 1)
                    .read_line(&mut line)
                {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if line.trim().is_empty() {
                            continue;
                        }
                        if tx.blocking_send(line.clone()).is_err() {
                            break;
                        }
                    }
                }
            }
        })
        .ok()?;
    Some(rx)
}

/// A small HTML page.
fn page(status: StatusCode, title: &str, text: &str) -> Response<Full<Bytes>> {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>mcp-bridge: {t}</title></head>\
         <body style=\"font-family:sans-serif;max-width:40em;margin:4em auto\"><h1>{t}</h1><p>{x}</p></body></html>",
        t = escape(title),
        x = escape(text)
    );
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ports_are_stable_and_in_range() {
        let a = derived_port("https://a.example/mcp");
        assert_eq!(a, derived_port("https://a.example/mcp"));
        assert!((20_000..40_000).contains(&a));
        assert_ne!(a, derived_port("https://b.example/mcp"));
    }

    #[test]
    fn a_pasted_address_is_checked_as_a_callback_is() {
        let cb = from_pasted(
            "  http://127.0.0.1:3000/oauth/callback?code=c-1&state=s-1&iss=https%3A%2F%2Fas\n",
            "s-1",
        )
        .unwrap();
        assert_eq!(cb.code, "c-1");
        assert_eq!(cb.iss.as_deref(), Some("https://as"));
        for (line, needle) in [
            ("http://127.0.0.1/cb?code=c&state=other", "another sign-in"),
            (
                "http://127.0.0.1/cb?error=access_denied&state=s-1",
                "access_denied",
            ),
            ("http://127.0.0.1/cb?state=s-1", "no authorization code"),
            ("c-1", "not an address"),
        ] {
            let e = from_pasted(line, "s-1").unwrap_err().to_string();
            assert!(e.contains(needle), "{line}: {e}");
        }
    }

    #[test]
    fn pages_escape_what_the_server_said() {
        assert_eq!(escape("<script>&\""), "&lt;script&gt;&amp;&quot;");
    }
}
