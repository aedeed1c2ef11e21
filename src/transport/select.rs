//! Choosing the transport: Streamable HTTP or HTTP+SSE, found the way the
//! specification describes (POST the initialize; on 400, 404 or 405 try the
//! GET/`endpoint` handshake), or fixed by `--transport`.

use super::sse::Sse;
use super::streamable_http::{Post, StreamableHttp};
use super::UpstreamError;
use crate::jsonrpc::{Kind, Message};
use crate::relay::Router;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Which transports to try, in mcp-remote's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Choice {
    /// Streamable HTTP; HTTP+SSE when the server refuses the POST with 400, 404 or 405.
    HttpFirst,
    /// HTTP+SSE; Streamable HTTP when the SSE handshake fails.
    SseFirst,
    /// Streamable HTTP only.
    HttpOnly,
    /// HTTP+SSE only.
    SseOnly,
}

/// The transport in use once the first `initialize` has chosen it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Active {
    Undecided,
    Http,
    Sse,
}

/// What became of a message handed to the upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// The exchange is over: a request's answer, if any, has been delivered.
    Done,
    /// Accepted; a request's answer will come on the event stream.
    Later,
}

/// The upstream server, over whichever transport it speaks.
pub struct Upstream {
    choice: Choice,
    http: Arc<StreamableHttp>,
    sse: Arc<Sse>,
    active: Mutex<Active>,
}

impl Upstream {
    /// An upstream trying transports as `choice` says.
    pub fn new(choice: Choice, http: StreamableHttp, sse: Sse) -> Self {
        Upstream {
            choice,
            http: Arc::new(http),
            sse: Arc::new(sse),
            active: Mutex::new(Active::Undecided),
        }
    }

    /// The Streamable HTTP side (the only one that carries 2026-07-28).
    pub fn http(&self) -> &Arc<StreamableHttp> {
        &self.http
    }

    /// The server URL as text, for messages.
    pub fn url(&self) -> &str {
        self.http.url()
    }

    /// The HTTP+SSE side.
    pub fn sse(&self) -> &Arc<Sse> {
        &self.sse
    }

    /// The connection's state machine.
    pub fn link(&self) -> &Arc<crate::session::Link> {
        self.http.link()
    }

    /// Send the bridge's own ping `m` on the session; its answer is not
    /// forwarded. `Ok` once the server has it (over HTTP+SSE the answer comes
    /// on the stream, where nothing waits for it).
    pub async fn ping(&self, m: &Message, router: &Arc<Router>) -> Result<(), UpstreamError> {
        match self.active() {
            Active::Undecided => Ok(()),
            Active::Sse => self.sse.send(m, router).await,
            Active::Http => {
                let how = Post {
                    capture: true,
                    ..Post::session()
                };
                self.http.post(m, &how, router).await.map(|_| ())
            }
        }
    }

    /// Open the server-to-client stream afresh (it may sit on a dead connection).
    pub fn restart_stream(&self, router: Arc<Router>) {
        match self.active() {
            Active::Sse => self.sse.reconnect(),
            Active::Http => self.http.restart_get_stream(router),
            Active::Undecided => {}
        }
    }

    /// The transport in use, as people call it.
    pub fn transport_name(&self) -> &'static str {
        match self.active() {
            Active::Http => "Streamable HTTP",
            Active::Sse => "HTTP+SSE",
            Active::Undecided => "undecided",
        }
    }

    /// True once Streamable HTTP is the transport in use.
    pub fn on_http(&self) -> bool {
        self.active() == Active::Http
    }

    fn active(&self) -> Active {
        *self.active.lock().expect("active lock")
    }

    fn set_active(&self, a: Active, why: &str) {
        let name = match a {
            Active::Http => "Streamable HTTP",
            Active::Sse => "HTTP+SSE",
            Active::Undecided => "undecided",
        };
        tracing::info!("transport: {name} ({why})");
        *self.active.lock().expect("active lock") = a;
    }

    /// Send one handshake-era client message. An `initialize` while no
    /// transport is chosen yet chooses it.
    pub async fn send(&self, m: &Message, router: &Arc<Router>) -> Result<Sent, UpstreamError> {
        let initialize = m.kind == Kind::Request && m.method.as_deref() == Some("initialize");
        match self.active() {
            Active::Undecided if initialize => self.choose(m, router).await,
            Active::Sse => {
                if initialize {
                    // A new handshake gets a new stream (and so a new server session).
                    self.sse.connect(Arc::clone(router)).await?;
                }
                self.sse.send(m, router).await.map(|()| Sent::Later)
            }
            Active::Undecided if self.choice == Choice::SseOnly => Err(UpstreamError::Handshake {
                url: self.url().to_owned(),
                cause: "no HTTP+SSE stream is open yet (the client has not sent initialize)"
                    .to_owned(),
            }),
            Active::Http | Active::Undecided => {
                self.http.send(m, router).await.map(|()| Sent::Done)
            }
        }
    }

    async fn choose(&self, m: &Message, router: &Arc<Router>) -> Result<Sent, UpstreamError> {
        match self.choice {
            Choice::HttpFirst | Choice::HttpOnly => match self.initialize_http(m, router).await {
                Ok(Some(answer)) => {
                    router.deliver(answer).await;
                    Ok(Sent::Done)
                }
                Ok(None) => Ok(Sent::Done),
                Err(e) if legacy_signal(&e) => self.fall_back_to_sse(m, router, e).await,
                Err(e) => Err(e),
            },
            Choice::SseFirst | Choice::SseOnly => match self.via_sse(m, router).await {
                Ok(sent) => {
                    self.set_active(Active::Sse, "the GET handshake named an endpoint");
                    Ok(sent)
                }
                Err(e) if self.choice == Choice::SseOnly => {
                    Err(e.noted(" (--transport sse-only: not trying Streamable HTTP)".to_owned()))
                }
                Err(e) => {
                    tracing::info!("{e}; trying Streamable HTTP");
                    match self.http.send(m, router).await {
                        Ok(()) => {
                            self.set_active(
                                Active::Http,
                                "the HTTP+SSE handshake failed and POST initialize was answered",
                            );
                            Ok(Sent::Done)
                        }
                        Err(e2) => Err(e.noted(format!("; Streamable HTTP failed too: {e2}"))),
                    }
                }
            },
        }
    }

    /// True when the first `initialize` will be POSTed (Streamable HTTP is tried first).
    pub fn tries_http_first(&self) -> bool {
        self.active() == Active::Undecided
            && matches!(self.choice, Choice::HttpFirst | Choice::HttpOnly)
    }

    /// POST the client's first `initialize` and hand back its answer rather
    /// than delivering it, so the caller can look at a refusal. An answer
    /// settles the transport on Streamable HTTP.
    pub async fn initialize_http(
        &self,
        m: &Message,
        router: &Arc<Router>,
    ) -> Result<Option<Message>, UpstreamError> {
        let how = Post {
            capture: true,
            ..Post::session()
        };
        let answer = self.http.post(m, &how, router).await?;
        self.set_active(Active::Http, "the server answered initialize over POST");
        Ok(answer)
    }

    /// After POST initialize failed with `e` (400, 404 or 405): try the
    /// HTTP+SSE handshake, unless `--transport http-only` forbids it.
    pub async fn fall_back_to_sse(
        &self,
        m: &Message,
        router: &Arc<Router>,
        e: UpstreamError,
    ) -> Result<Sent, UpstreamError> {
        let status = e.status().map_or(0, |s| s.as_u16());
        if self.choice != Choice::HttpFirst {
            return Err(e.noted(
                " (--transport http-only: not trying the older HTTP+SSE transport)".to_owned(),
            ));
        }
        tracing::info!("POST initialize answered HTTP {status}; trying the HTTP+SSE transport");
        match self.via_sse(m, router).await {
            Ok(sent) => {
                self.set_active(
                    Active::Sse,
                    &format!(
                        "POST initialize answered HTTP {status} and the GET handshake named an endpoint"
                    ),
                );
                Ok(sent)
            }
            Err(e2) => Err(e.noted(format!("; HTTP+SSE failed too: {e2}"))),
        }
    }

    async fn via_sse(&self, m: &Message, router: &Arc<Router>) -> Result<Sent, UpstreamError> {
        self.sse.connect(Arc::clone(router)).await?;
        if let Err(e) = self.sse.send(m, router).await {
            self.sse.stop();
            return Err(e);
        }
        Ok(Sent::Later)
    }

    /// After `initialized`: open the Streamable HTTP GET stream. The receiver
    /// fires once its first attempt has an answer; `None` when there is no
    /// such stream (HTTP+SSE already has one).
    pub fn start_stream(&self, router: Arc<Router>) -> Option<oneshot::Receiver<()>> {
        match self.active() {
            Active::Sse => None,
            Active::Http | Active::Undecided => Some(self.http.start_get_stream(router)),
        }
    }

    /// End the session: DELETE over Streamable HTTP, close the SSE stream.
    pub async fn close(&self, limit: std::time::Duration) {
        self.sse.stop();
        self.http.close(limit).await;
    }
}

/// A failed POST initialize that means "this is not a Streamable HTTP
/// endpoint": 400, 404 or 405. A 401 is an authorization challenge, never a
/// reason to fall back.
pub fn legacy_signal(e: &UpstreamError) -> bool {
    e.status()
        .is_some_and(|s| matches!(s.as_u16(), 400 | 404 | 405))
}
