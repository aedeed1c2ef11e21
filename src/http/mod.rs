//! HTTP plumbing under every transport: the client, sending with a bearer
//! token from whatever [`TokenSource`] is plugged in (and getting a new one on
//! a 401 or a 403 `insufficient_scope`), bounded body reading, the one error
//! type, and the retry policy.
//!
//! This layer names nothing above it. Sign-in is plugged in from above
//! through [`TokenSource`], so that `auth` can use this layer's bounded
//! reading and errors without a loop between the two.

pub mod body;
pub mod challenge;
pub mod client;
mod connect;
pub mod cookies;
pub mod error;
pub mod reach;
pub mod retry;
mod trust;
pub mod wire;

use crate::secret::Secret;
use challenge::Challenge;
use error::{ErrorKind, UpstreamError};
use reqwest::header::{HeaderValue, AUTHORIZATION, COOKIE};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use wire::{Outgoing, Wire};

/// How many times one request may ask for more scope (403 insufficient_scope).
const STEP_UPS: u8 = 2;

/// A boxed future, for the object-safe [`TokenSource`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Whether `a` and `b` have one origin (scheme, host, port), as
/// `Url::origin` compares them but without building two origins (which
/// allocates) on every request.
fn same_origin(a: &url::Url, b: &url::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Where bearer tokens come from (the OAuth sign-in, or any other grant).
/// [`Http`] asks it for the token to send and tells it when the server
/// refused one; it never sees how tokens are got.
pub trait TokenSource: Send + Sync {
    /// The access token to send now, if there is one.
    fn bearer(&self) -> BoxFuture<'_, Option<Secret>>;
    /// What [`bearer`](Self::bearer) would give, when it can be told without
    /// waiting (nothing to load, no refresh due): `Some(token or none)`;
    /// `None` sends the caller to `bearer`. Every request asks, so this
    /// spares the common case a boxed future.
    fn bearer_now(&self) -> Option<Option<Secret>> {
        None
    }
    /// The server answered 401 to a request sent with `sent`: get a token
    /// that may work (another's, a refreshed one, a new sign-in).
    fn unauthorized<'a>(
        &'a self,
        sent: Option<&'a Secret>,
        challenge: &'a Challenge,
    ) -> BoxFuture<'a, Result<(), UpstreamError>>;
    /// The server answered 403 `insufficient_scope`: get a token with the
    /// scope it asks for.
    fn insufficient_scope<'a>(
        &'a self,
        sent: Option<&'a Secret>,
        challenge: &'a Challenge,
    ) -> BoxFuture<'a, Result<(), UpstreamError>>;
    /// The DPoP proof (RFC 9449) to send with `token` on a `method` request
    /// to `url`, when the token is bound to a key; `None` means a bearer token.
    fn proof(&self, _method: &str, _url: &url::Url, _token: &Secret) -> Option<String> {
        None
    }
    /// The server refused `token` on the very request that got it (after a
    /// 401 and a new token): it rejects what the token source gets.
    fn refused_at_once(&self, _token: &Secret) {}
    /// The server asked for this DPoP nonce (`use_dpop_nonce`); true when
    /// it is news, so the request is worth sending once more with it.
    fn dpop_nonce(&self, _nonce: &str) -> bool {
        false
    }
    /// The server refused `token`, got just now, with `challenge`: true when
    /// the source would get another kind of token for it (a Bearer token
    /// where a DPoP-bound one was refused), worth one more round.
    fn another_kind(&self, _token: &Secret, _challenge: &Challenge) -> bool {
        false
    }
    /// What a person must do for a sign-in that goes on without this
    /// process, when one is under way (told to a client that gives up).
    fn pending_sign_in(&self) -> Option<String> {
        None
    }
    /// Whether a 401 or 403 is being handled now (a sign-in, perhaps a
    /// person's, or a wait for another process's): a time limit on an
    /// answer from the server should not count that time.
    fn signing_in(&self) -> bool {
        false
    }
}

/// What one response calls for ([`Http::next`]).
enum Next<'s> {
    /// It is the answer to return, whatever its status.
    Answer,
    /// Follow the redirect: build the request again and send it there.
    Redirect(wire::Hop),
    /// The server is busy: send again after this wait.
    Busy(Duration),
    /// Send again: the source took the DPoP nonce the server asked for.
    WithNonce,
    /// Get a token that may work (401 with this challenge), then send again.
    SignIn(&'s dyn TokenSource, Challenge),
    /// Get a token with the scope asked for (403 `insufficient_scope`),
    /// then send again.
    StepUp(&'s dyn TokenSource, Challenge),
}

/// What one request has tried so far: each budget, once spent, stays spent.
#[derive(Default)]
struct Tried {
    /// Redirects followed.
    hops: usize,
    /// New tokens got after a 401: one, and a second when the first was of
    /// a kind the server does not take.
    tokens: u8,
    /// A DPoP nonce was sent.
    nonce: bool,
    /// Times more scope was asked for.
    step_ups: u8,
}

/// How long a request may wait, from the command line.
#[derive(Debug, Clone, Copy)]
pub struct Waits {
    /// For its response headers (`--headers-timeout`); `None` for ever.
    pub headers: Option<Duration>,
    /// In all, while the server answers 429 or 503 (`--retry-timeout`).
    pub busy: Duration,
}

/// The HTTP client for one MCP server, with its token source and cookies.
#[derive(Clone)]
pub struct Http {
    wire: Wire,
    server: url::Url,
    tokens: Option<Arc<dyn TokenSource>>,
    waits: Waits,
    cookies: Option<Arc<cookies::Jar>>,
    /// The server has answered something (any status) since the start.
    answered: Arc<std::sync::atomic::AtomicBool>,
    /// Where requests connect first (the proxy, or the server).
    first_hop: Option<(String, u16)>,
}

impl Http {
    /// Requests to `server` through `wire`, with tokens from `tokens`
    /// (`None` when the user sends their own Authorization header), each
    /// waiting as long as `waits` says.
    pub fn new(
        wire: Wire,
        server: url::Url,
        tokens: Option<Arc<dyn TokenSource>>,
        waits: Waits,
    ) -> Self {
        Http {
            wire,
            server,
            tokens,
            waits,
            cookies: None,
            answered: Default::default(),
            first_hop: None,
        }
    }

    /// Where requests connect first: the proxy's host and port, or the
    /// server's (see [`client::first_hop`]).
    pub fn with_first_hop(mut self, hop: Option<(String, u16)>) -> Self {
        self.first_hop = hop;
        self
    }

    /// Whether the token source is handling a 401 or 403 now.
    pub fn signing_in(&self) -> bool {
        self.tokens.as_ref().is_some_and(|t| t.signing_in())
    }

    /// What a person must do for a sign-in under way, if one is.
    pub fn pending_sign_in(&self) -> Option<String> {
        self.tokens.as_ref().and_then(|t| t.pending_sign_in())
    }

    /// Whether the server (or a proxy in front of it) has answered anything
    /// since the start.
    pub fn answered(&self) -> bool {
        self.answered.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether a TCP connection to the first hop opens within `limit`; why
    /// not, if it does not.
    pub async fn first_hop_opens(&self, limit: Duration) -> std::io::Result<()> {
        let Some((host, port)) = &self.first_hop else {
            return Ok(());
        };
        let connecting = async {
            let addrs = client::addresses(host, *port).await?;
            tokio::net::TcpStream::connect(&addrs[..]).await
        };
        match tokio::time::timeout(limit, connecting).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("{host}:{port} does not answer"),
            )),
        }
    }

    /// Keep the cookies the server sets, in memory, and send them back to
    /// it (never elsewhere).
    pub fn with_cookies(mut self) -> Self {
        self.cookies = Some(Arc::new(cookies::Jar::new(&self.server)));
        self
    }

    /// A request to build, for [`send`](Self::send).
    pub fn request(&self, method: reqwest::Method, url: url::Url) -> Outgoing {
        Outgoing::new(method, url)
    }

    /// Send the request `build` makes as it is, following redirects as
    /// every request does, but with no token, no cookie and no second try
    /// (`doctor`'s look at how the server answers a stranger).
    pub async fn send_as_is(
        &self,
        build: impl Fn() -> Outgoing,
    ) -> Result<reqwest::Response, UpstreamError> {
        let mut hop: Option<wire::Hop> = None;
        for hops in 0.. {
            let req = match &hop {
                Some(h) => build().redirected(h),
                None => build(),
            };
            let resp = self
                .wire
                .send(req)
                .await
                .map_err(|e| UpstreamError::unanswered(self.server.as_str(), e))?;
            match self.wire.redirect(&resp, hops) {
                Some(next) => hop = Some(next),
                None => return Ok(resp),
            }
        }
        unreachable!("a redirect is followed a bounded number of times")
    }

    /// Send the request `build` makes, with the bearer token when it goes to
    /// the server's origin; on a 401 get a new token and send it once more;
    /// on a 403 `insufficient_scope`, ask for the scope and send it again (at
    /// most twice); on a 429 or 503 (the server did not take the request
    /// on), send it again after its `Retry-After` or the backoff, for at
    /// most `--retry-timeout` in all. A request that gets no response at
    /// all fails with an error that [`UpstreamError::is_unanswered`].
    pub async fn send(
        &self,
        build: impl Fn() -> Outgoing,
    ) -> Result<reqwest::Response, UpstreamError> {
        self.send_with(build, true).await
    }

    /// Send with the token, but never sign in (nor wait for a busy server):
    /// for the session's DELETE at exit, which must not open a browser.
    pub async fn send_without_sign_in(
        &self,
        build: impl Fn() -> Outgoing,
    ) -> Result<reqwest::Response, UpstreamError> {
        self.send_with(build, false).await
    }

    /// Which credentials requests go with now, as a number that tells two
    /// tokens apart and reveals nothing of them (it never leaves memory):
    /// what a server's `private` answers may be kept for. `None` without a
    /// token source.
    pub async fn credentials(&self) -> Option<u64> {
        use std::hash::{Hash, Hasher};
        let token = self.tokens.as_deref()?.bearer().await?;
        let mut h = std::hash::DefaultHasher::new();
        token.expose().hash(&mut h);
        Some(h.finish())
    }

    /// The server URL, as errors name it.
    pub fn server(&self) -> &str {
        self.server.as_str()
    }

    /// Send the request `build` makes until the server's answer is the one
    /// to return: one attempt after another, each followed by one decision
    /// ([`Http::next`]) that says what the response calls for. `recover`:
    /// whether a busy server is waited out and a 401 or 403 signed in past.
    async fn send_with(
        &self,
        build: impl Fn() -> Outgoing,
        recover: bool,
    ) -> Result<reqwest::Response, UpstreamError> {
        let mut tried = Tried::default();
        let mut busy = retry::Busy::new(self.waits.busy);
        // Where a followed redirect sends the request: each attempt after
        // it is built again and sent there.
        let mut hop: Option<wire::Hop> = None;
        loop {
            let mut req = match &hop {
                Some(h) => build().redirected(h),
                None => build(),
            };
            let source = self
                .tokens
                .as_deref()
                .filter(|_| same_origin(req.url(), &self.server));
            let token = self.authorize(&mut req, source).await;
            let resp = self.attempt(req).await?;
            let source = source.filter(|_| recover);
            match self.next(
                &resp,
                &mut tried,
                recover.then_some(&mut busy),
                source,
                token.as_ref(),
            ) {
                Next::Answer => return Ok(resp),
                Next::Redirect(to) => hop = Some(to),
                Next::Busy(wait) => {
                    drop(resp);
                    tokio::time::sleep(wait).await;
                }
                Next::WithNonce => {}
                Next::SignIn(source, c) => {
                    tracing::info!("the server asks for authorization ({})", c.explain());
                    if let Err(e) = source.unauthorized(token.as_ref(), &c).await {
                        return Err(self.refusal(resp, e).await);
                    }
                }
                Next::StepUp(source, c) => {
                    tracing::info!(
                        "the server needs more scope ({}); signing in again for it",
                        c.scope.as_deref().unwrap_or("unnamed")
                    );
                    if let Err(e) = source.insufficient_scope(token.as_ref(), &c).await {
                        return Err(self.refusal(resp, e).await);
                    }
                }
            }
        }
    }

    /// Put the cookies and, for the server's origin, the token (with its
    /// DPoP proof) on `req`; the token sent comes back. The token is told
    /// at once in the common case (`bearer_now`), with no future to box.
    async fn authorize(
        &self,
        req: &mut Outgoing,
        source: Option<&dyn TokenSource>,
    ) -> Option<Secret> {
        if let Some(v) = self
            .cookies
            .as_deref()
            .and_then(|j| j.header_for(req.url()))
        {
            req.headers_mut().insert(COOKIE, v);
        }
        let source = source?;
        let token = match source.bearer_now() {
            Some(now) => now,
            None => source.bearer().await,
        }?;
        let proof = source.proof(req.method().as_str(), req.url(), &token);
        let scheme = if proof.is_some() { "DPoP" } else { "Bearer" };
        if let Ok(mut v) = HeaderValue::from_str(&format!("{scheme} {}", token.expose())) {
            v.set_sensitive(true);
            req.headers_mut().insert(AUTHORIZATION, v);
        }
        if let Some(v) = proof.and_then(|p| HeaderValue::from_str(&p).ok()) {
            req.headers_mut().insert("dpop", v);
        }
        Some(token)
    }

    /// Send `req` once, within `--headers-timeout`, and keep the cookies the
    /// response sets.
    async fn attempt(&self, req: Outgoing) -> Result<reqwest::Response, UpstreamError> {
        let sent = self.wire.send(req);
        let answered = match self.waits.headers {
            None => sent.await,
            Some(limit) => tokio::time::timeout(limit, sent).await.map_err(|_| {
                UpstreamError::new(
                    ErrorKind::Timeout,
                    self.server.as_str(),
                    format!(
                        "no response headers within {} s (--headers-timeout)",
                        limit.as_secs_f64()
                    ),
                )
            })?,
        };
        let resp = answered.map_err(|e| UpstreamError::unanswered(self.server.as_str(), e))?;
        if !self.answered() {
            self.answered
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        if let Some(jar) = self.cookies.as_deref() {
            jar.keep(resp.headers(), resp.url());
        }
        Ok(resp)
    }

    /// What `resp` calls for, given what this request `tried` already
    /// (which it updates for the step it decides on). `busy` is the wait
    /// for a busy server, when one is waited out; `source` the tokens, when
    /// a 401 or 403 is to be signed in past; `token` the one sent.
    fn next<'s>(
        &self,
        resp: &reqwest::Response,
        tried: &mut Tried,
        busy: Option<&mut retry::Busy>,
        source: Option<&'s dyn TokenSource>,
        token: Option<&Secret>,
    ) -> Next<'s> {
        if let Some(to) = self.wire.redirect(resp, tried.hops) {
            tried.hops += 1;
            return Next::Redirect(to);
        }
        if let Some(wait) = busy.and_then(|b| b.wait(resp)) {
            tracing::info!(
                "the server is busy (HTTP {}); sending again in {} ms",
                resp.status(),
                wait.as_millis()
            );
            return Next::Busy(wait);
        }
        let Some(source) = source else {
            return Next::Answer;
        };
        let challenge = || Challenge::of(resp.headers()).unwrap_or_default();
        match resp.status().as_u16() {
            401 => {
                let c = challenge();
                // A DPoP nonce asked for (RFC 9449 §9): once more with it.
                if c.error.as_deref() == Some("use_dpop_nonce") && !tried.nonce {
                    let nonce = resp
                        .headers()
                        .get("dpop-nonce")
                        .and_then(|v| v.to_str().ok())
                        .filter(|n| n.len() <= 1024);
                    return match nonce {
                        Some(n) if source.dpop_nonce(n) => {
                            tried.nonce = true;
                            Next::WithNonce
                        }
                        _ => Next::Answer,
                    };
                }
                // A new token once per request, and once more when the one
                // just got is of a kind the server does not take (a
                // DPoP-bound one, where it takes Bearer tokens only).
                let another = || token.is_some_and(|t| source.another_kind(t, &c));
                match tried.tokens {
                    0 => {}
                    1 if another() => {}
                    _ => {
                        // The token just got was refused too.
                        if let Some(t) = token {
                            source.refused_at_once(t);
                        }
                        return Next::Answer;
                    }
                }
                tried.tokens += 1;
                Next::SignIn(source, c)
            }
            403 if tried.step_ups < STEP_UPS => {
                let c = challenge();
                if c.error.as_deref() != Some("insufficient_scope") {
                    return Next::Answer;
                }
                tried.step_ups += 1;
                Next::StepUp(source, c)
            }
            _ => Next::Answer,
        }
    }

    /// The server's refusal (its status, words and challenge) with why
    /// signing in did not get past it. This is the client's answer even
    /// when the refusal carried a JSON-RPC error for the request: that
    /// says "unauthorized"; why signing in stopped is what a person can
    /// act on.
    async fn refusal(&self, resp: reqwest::Response, e: UpstreamError) -> UpstreamError {
        let cause = match e.kind() {
            ErrorKind::Auth => e.cause().to_owned(),
            _ => e.to_string(),
        };
        body::status_error(resp, self.server.as_str(), body::ERROR_BODY_LIMIT)
            .await
            .without_reply()
            .noted(format!("; could not sign in: {cause}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_origin_is_scheme_host_and_port_as_url_compares_them() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        let pairs = [
            (
                "https://h.example/mcp",
                "https://h.example:443/other?q=1",
                true,
            ),
            ("http://127.0.0.1:8080/a", "http://127.0.0.1:8080/b", true),
            ("https://h.example/mcp", "http://h.example/mcp", false),
            ("https://h.example/mcp", "https://h.example:8443/mcp", false),
            ("https://h.example/mcp", "https://auth.h.example/mcp", false),
            ("http://[::1]:9/a", "http://[::1]:9/b", true),
        ];
        for (a, b, same) in pairs {
            assert_eq!(same_origin(&u(a), &u(b)), same, "{a} {b}");
            assert_eq!(
                u(a).origin() == u(b).origin(),
                same,
                "as Url::origin: {a} {b}"
            );
        }
    }
}
