//! The MCP server's HTTP client: hyper-util's pooled client, driven here
//! rather than through reqwest.
//!
//! Why not reqwest, which the sign-in requests keep: per request, reqwest
//! parses the URL again for its redirect layer and once more for the
//! response, formats the URI twice and copies the headers twice, whatever
//! the redirect policy. Counted with callgrind, that was about 33k
//! instructions per relayed call over hyper-util's own client, a third of
//! the bridge's CPU per call (BENCHMARKS.md, issue 26). What reqwest did for
//! this client is done here in its place, from the same crates: the
//! connector (TLS, proxies, `localhost`) in [`super::connect`], same-origin
//! redirects, the body timeout, a request's own timeout, the User-Agent.
//! Responses go up as `reqwest::Response`, so that reading a body and its
//! errors are one code for both clients.

use super::client::{ClientError, NetConfig, ProxyEnv, H2_KEEPALIVE, USER_AGENT};
use super::connect::Connector;
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// How many same-origin redirects one request may follow.
const MAX_REDIRECTS: usize = 5;

/// A request to the MCP server, as a transport builds it.
#[derive(Debug)]
pub struct Outgoing {
    method: Method,
    url: url::Url,
    headers: HeaderMap,
    body: Bytes,
    timeout: Option<Duration>,
    /// A header that could not be one, failing the request when sent.
    invalid: Option<hyper::http::Error>,
}

impl Outgoing {
    /// A `method` request to `url`, without headers or body.
    pub fn new(method: Method, url: url::Url) -> Outgoing {
        Outgoing {
            method,
            url,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            timeout: None,
            invalid: None,
        }
    }

    /// With one more header (after any of the same name). One that is not
    /// a valid header fails the request when it is sent.
    pub fn header<K, V>(mut self, name: K, value: V) -> Outgoing
    where
        HeaderName: TryFrom<K>,
        <HeaderName as TryFrom<K>>::Error: Into<hyper::http::Error>,
        HeaderValue: TryFrom<V>,
        <HeaderValue as TryFrom<V>>::Error: Into<hyper::http::Error>,
    {
        let pair = HeaderName::try_from(name)
            .map_err(Into::into)
            .and_then(|n| Ok((n, HeaderValue::try_from(value).map_err(Into::into)?)));
        match pair {
            Ok((n, v)) => {
                self.headers.append(n, v);
            }
            Err(e) => self.invalid = self.invalid.or(Some(e)),
        }
        self
    }

    /// With `headers` added (after any of the same names).
    pub fn headers(mut self, headers: &HeaderMap) -> Outgoing {
        for (k, v) in headers {
            self.headers.append(k.clone(), v.clone());
        }
        self
    }

    /// With `body`.
    pub fn body(mut self, body: impl Into<Bytes>) -> Outgoing {
        self.body = body.into();
        self
    }

    /// Failing when headers and body have not all come within `limit`.
    pub fn timeout(mut self, limit: Duration) -> Outgoing {
        self.timeout = Some(limit);
        self
    }

    /// Where it goes.
    pub fn url(&self) -> &url::Url {
        &self.url
    }

    /// Its method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// Its headers, to add the token and cookies.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }
}

/// Where a followed redirect sends a request.
#[derive(Debug, Clone)]
pub struct Hop {
    url: url::Url,
    /// 303: anything but HEAD becomes a GET, without the body.
    see_other: bool,
    /// 301 or 302: a POST becomes a GET, without the body.
    moved: bool,
}

impl Outgoing {
    /// The request as `hop` sends it on: to its URL; after a 303 (and a
    /// POST after a 301 or 302) as a GET without the body or the headers
    /// that described it, as user agents do (RFC 9110, 15.4); 307 and 308
    /// as it was.
    pub fn redirected(mut self, hop: &Hop) -> Outgoing {
        self.url = hop.url.clone();
        let to_get = hop.see_other || hop.moved && self.method == Method::POST;
        if to_get {
            if self.method != Method::HEAD {
                self.method = Method::GET;
            }
            self.body = Bytes::new();
            for h in [
                hyper::header::CONTENT_TYPE,
                hyper::header::CONTENT_LENGTH,
                hyper::header::CONTENT_ENCODING,
                hyper::header::TRANSFER_ENCODING,
            ] {
                self.headers.remove(h);
            }
        }
        self
    }
}

/// Why a request got no response.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// hyper-util's: no connection (`is_connect`), or it broke.
    #[error(transparent)]
    Client(hyper_util::client::legacy::Error),
    /// The URL is not one HTTP can carry.
    #[error("invalid URL")]
    Url(#[source] hyper::http::uri::InvalidUri),
    /// A header is not one.
    #[error("invalid header")]
    Header(#[source] hyper::http::Error),
    /// `--body-timeout` or the request's own timeout passed.
    #[error("operation timed out")]
    TimedOut,
}

impl super::error::Unanswered for SendError {
    fn is_connect(&self) -> bool {
        match self {
            SendError::Client(e) => e.is_connect(),
            SendError::Url(_) | SendError::Header(_) => true,
            SendError::TimedOut => false,
        }
    }

    /// The bridge's own limits, a connect timeout, or HTTP/2's keep-alive.
    fn is_timeout(&self) -> bool {
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(err) = cur {
            let timed_out = matches!(err.downcast_ref::<SendError>(), Some(SendError::TimedOut))
                || err
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
                || err
                    .downcast_ref::<hyper::Error>()
                    .is_some_and(hyper::Error::is_timeout);
            if timed_out {
                return true;
            }
            cur = err.source();
        }
        false
    }
}

/// The MCP server's client.
#[derive(Clone)]
pub struct Wire {
    client: Client<Connector, Full<Bytes>>,
    proxies: Arc<Matcher>,
    user_agent: HeaderValue,
    /// `--body-timeout`: the longest silence while waiting for an answer.
    body_timeout: Option<Duration>,
    /// `--allow-http`, for where redirects may go.
    allow_http: bool,
}

impl Wire {
    /// The client as `net` and the environment (`env`: its proxy
    /// variables, `SSL_CERT_FILE`) say, redirects held to `allow_http`.
    pub fn new(
        net: &NetConfig,
        env: &dyn Fn(&str) -> Option<String>,
        allow_http: bool,
    ) -> Result<Wire, ClientError> {
        let proxies = if net.no_proxy {
            ProxyEnv::default()
        } else {
            ProxyEnv::read(env)
        };
        proxies.check()?;
        let raw = |p: &Option<(String, &'static str)>| p.as_ref().map(|(v, _)| v.clone());
        let mut matcher = Matcher::builder().no(proxies.no_proxy.clone());
        if let Some(v) = raw(&proxies.http) {
            matcher = matcher.http(v);
        }
        if let Some(v) = raw(&proxies.https) {
            matcher = matcher.https(v);
        }
        let matcher = Arc::new(matcher.build());
        let user_agent = HeaderValue::from_static(USER_AGENT);
        let tls = super::trust::tls_config(net, env)?;
        let connector = Connector::new(net, tls, Arc::clone(&matcher), user_agent.clone());
        let client = Client::builder(TokioExecutor::new())
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .http2_keep_alive_interval(H2_KEEPALIVE)
            .http2_keep_alive_timeout(Duration::from_secs(20))
            .http2_keep_alive_while_idle(true)
            .build(connector);
        Ok(Wire {
            client,
            proxies: matcher,
            user_agent,
            body_timeout: Some(net.body_timeout).filter(|t| !t.is_zero()),
            allow_http,
        })
    }

    /// Send `req` and return the answer, its body still to read. A
    /// redirect comes back as it is: the caller follows it (see
    /// [`redirect`](Self::redirect)), building the request again, which
    /// spares every request a copy of its headers.
    pub async fn send(&self, req: Outgoing) -> Result<reqwest::Response, SendError> {
        if let Some(e) = req.invalid {
            return Err(SendError::Header(e));
        }
        let deadline = req.timeout.map(|t| Instant::now() + t);
        // The body timeout bounds the wait for the headers too, as it did
        // under reqwest.
        let first = [self.body_timeout.map(|t| Instant::now() + t), deadline]
            .into_iter()
            .flatten()
            .min();
        let Outgoing {
            method,
            url,
            headers,
            body,
            ..
        } = req;
        let sent = self.once(method, &url, headers, body);
        let resp = match first {
            None => sent.await?,
            Some(at) => tokio::time::timeout_at(at, sent)
                .await
                .map_err(|_| SendError::TimedOut)??,
        };
        let (parts, body) = resp.into_parts();
        let body = if self.body_timeout.is_none() && deadline.is_none() {
            reqwest::Body::wrap(body)
        } else {
            reqwest::Body::wrap(Timed {
                inner: body,
                idle: self.body_timeout,
                silence: None,
                deadline: deadline.map(|d| Box::pin(tokio::time::sleep_until(d))),
            })
        };
        use reqwest::ResponseBuilderExt;
        let mut out = hyper::Response::builder()
            .status(parts.status)
            .version(parts.version)
            .url(url)
            .body(body)
            .expect("a status and version from a response");
        *out.headers_mut() = parts.headers;
        Ok(reqwest::Response::from(out))
    }

    /// Where the redirect `resp` sends its request next, when it is
    /// followed, as reqwest's policy did: to the same origin only, each hop
    /// allowed by `--allow-http`'s rule, after `hops` at most
    /// [`MAX_REDIRECTS`]. Any other redirect is the answer as it is.
    pub fn redirect(&self, resp: &reqwest::Response, hops: usize) -> Option<Hop> {
        let (see_other, moved) = match resp.status() {
            StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND => (false, true),
            StatusCode::SEE_OTHER => (true, false),
            StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT => (false, false),
            _ => return None,
        };
        let from = resp.url();
        let url = resp
            .headers()
            .get(hyper::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .and_then(|l| from.join(l).ok())
            .filter(|n| {
                hops < MAX_REDIRECTS
                    && super::same_origin(n, from)
                    && crate::url_policy::url_problem(n, self.allow_http).is_none()
            })?;
        tracing::debug!("following a {} redirect on the same origin", resp.status());
        Some(Hop {
            url,
            see_other,
            moved,
        })
    }

    /// One request, as it is.
    async fn once(
        &self,
        method: Method,
        url: &url::Url,
        mut headers: HeaderMap,
        body: Bytes,
    ) -> Result<hyper::Response<Incoming>, SendError> {
        let uri: hyper::Uri = url.as_str().parse().map_err(SendError::Url)?;
        if !headers.contains_key(hyper::header::USER_AGENT) {
            headers.insert(hyper::header::USER_AGENT, self.user_agent.clone());
        }
        if !headers.contains_key(hyper::header::ACCEPT) {
            headers.insert(hyper::header::ACCEPT, HeaderValue::from_static("*/*"));
        }
        // An http URL through a proxy: the proxy reads the credentials in
        // its URL from each request (an https URL's go on its tunnel).
        if url.scheme() == "http" && !headers.contains_key(hyper::header::PROXY_AUTHORIZATION) {
            if let Some(auth) = self
                .proxies
                .intercept(&uri)
                .and_then(|p| p.basic_auth().cloned())
            {
                headers.insert(hyper::header::PROXY_AUTHORIZATION, auth);
            }
        }
        let mut req = hyper::Request::new(Full::new(body));
        *req.method_mut() = method;
        *req.uri_mut() = uri;
        *req.headers_mut() = headers;
        self.client.request(req).await.map_err(SendError::Client)
    }
}

/// A response body that fails after `idle` without a frame
/// (`--body-timeout`), or at `deadline` (the request's own timeout).
struct Timed {
    inner: Incoming,
    idle: Option<Duration>,
    silence: Option<Pin<Box<Sleep>>>,
    deadline: Option<Pin<Box<Sleep>>>,
}

/// The error a [`Timed`] body ends with: an I/O time-out, as reqwest's own
/// was, so that it reads and classifies alike.
fn timed_out() -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "operation timed out",
    ))
}

impl Body for Timed {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                if let (Some(idle), Some(s)) = (this.idle, this.silence.as_mut()) {
                    s.as_mut().reset(Instant::now() + idle);
                }
                return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
            }
            Poll::Pending => {}
        }
        if let Some(d) = this.deadline.as_mut() {
            if d.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Some(Err(timed_out())));
            }
        }
        if let Some(idle) = this.idle {
            let s = this
                .silence
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
            if s.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Some(Err(timed_out())));
            }
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
