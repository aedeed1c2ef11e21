//! The client's `initialize`: which era (`--protocol auto`: ask in
//! 2026-07-28 first, as the specification's dual-era client does, and
//! translate for the client when the server speaks it; the handshake
//! otherwise, or straight away when an earlier start found it) and which
//! transport (`--transport`: Streamable HTTP, or HTTP+SSE when the server
//! refuses the POST with 400, 404 or 405).

use super::era::Era;
use super::state::{Link, State, Transport};
use super::{Answered, Connection};
use crate::http::error::ErrorKind;
use crate::http::error::UpstreamError;
use crate::http::retry;
use crate::jsonrpc::{self, Message};
use crate::protocol::stateless::discover::{probe, Discovered, Probe};
use crate::protocol::stateless::Translator;
use crate::protocol::{refuses_handshake, MODERN};
use crate::sync::Locked;
use crate::text::Chain;
use crate::transport::streamable_http::Others;
use reqwest::header::HeaderMap;
use std::sync::Arc;
use std::time::Duration;

/// Which transports to try (`--transport`, read by `cli`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// Which protocol eras the bridge may speak upstream (`--protocol`, read
/// by `cli`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Relay the client's own handshake; never probe.
    Legacy,
    /// Ask in 2026-07-28 first (`server/discover`) and use it when the server
    /// speaks it, translating for a handshake-era client; otherwise the
    /// handshake, over Streamable HTTP or HTTP+SSE. The era found is
    /// remembered for the next start.
    Auto,
    /// Speak only 2026-07-28; never fall back to the handshake.
    Modern,
}

/// A failed POST initialize that means "this is not a Streamable HTTP
/// endpoint": 400, 404 or 405. A 401 is an authorization challenge, never a
/// reason to fall back.
fn legacy_signal(e: &UpstreamError) -> bool {
    e.http_status()
        .is_some_and(|s| matches!(s.as_u16(), 400 | 404 | 405))
}

/// The server could not be asked at all: trying another era would not help.
fn unreachable(e: &UpstreamError) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Connect | ErrorKind::Timeout | ErrorKind::Untrusted | ErrorKind::Auth
    )
}

impl Connection {
    /// The client's `initialize`: this picks the era and the transport, as
    /// `--protocol` and `--transport` allow, and answers it (through the
    /// sink), translating when the server speaks only 2026-07-28.
    /// Until the server has answered anything, this waits for it within
    /// [`Connection::reaching`]'s start window.
    pub async fn initialize(&self, m: &Message) -> Result<Answered, UpstreamError> {
        self.reaching(|within| self.negotiate(m, within)).await
    }

    /// [`Connection::initialize`], waiting `within` while the server cannot
    /// be reached.
    async fn negotiate(&self, m: &Message, within: Duration) -> Result<Answered, UpstreamError> {
        self.setup.locked().initialize_sent(m);
        let now = self.state.now();
        if let State::Translated(old) = &now {
            old.stop();
        } else {
            self.state.initialize_sent();
        }
        let current = now.link().map(|l| l.transport);
        let sse_first = matches!(self.settings.transport, Choice::SseFirst | Choice::SseOnly);
        let protocol = self.settings.protocol;
        if current.is_some() || (sse_first && protocol != Protocol::Modern) {
            tracing::info!("protocol era: handshake (the client sent initialize)");
            return retry::while_unreachable(within, || self.initialize_on(m, current)).await;
        }
        match protocol {
            Protocol::Legacy => {
                tracing::info!("protocol era: handshake (--protocol legacy)");
                self.handshake_first(m, within).await
            }
            Protocol::Modern => match self.probe(m, within).await? {
                Probe::Modern(found) => Ok(self.translate(m, found).await),
                Probe::Legacy(why) => Err(UpstreamError::new(
                    ErrorKind::Era,
                    self.url(),
                    format!("it does not speak {MODERN} ({why}); --protocol modern does not fall back to the initialize handshake (use --protocol auto)"),
                )),
            },
            Protocol::Auto => self.auto(m, within).await,
        }
    }

    /// `--protocol auto`: the era remembered from an earlier start, tried
    /// without a probe; otherwise (or when that fails) ask in 2026-07-28
    /// first and fall back to the handshake.
    async fn auto(&self, m: &Message, within: Duration) -> Result<Answered, UpstreamError> {
        if let Some(Era::Handshake(transport)) = self.era.recall() {
            tracing::info!(
                "protocol era: handshake over {} (remembered from an earlier start; no probe)",
                transport.name()
            );
            self.detected(Era::Handshake(transport), true);
            // Why the remembered era failed, when it did not return.
            let why = match transport {
                Transport::Http => {
                    match retry::while_unreachable(within, || self.post_initialize(m)).await {
                        Ok((_, Some(a))) if refuses_handshake(&a) => {
                            format!("initialize was refused: {}", a.describe())
                        }
                        Ok((link, answer)) => return Ok(self.handshake(link, answer).await),
                        Err(e) if unreachable(&e) => return Err(e),
                        Err(e) => Chain(&e).to_string(),
                    }
                }
                Transport::Sse => match self.via_sse(m).await {
                    Ok(a) => return Ok(a),
                    Err(e) if unreachable(&e) => return Err(e),
                    Err(e) => Chain(&e).to_string(),
                },
            };
            tracing::info!("the remembered era failed ({why}); asking the server afresh");
            self.era.forget();
        }
        match self.probe(m, within).await? {
            Probe::Modern(found) => {
                self.era.remember(Era::Modern);
                self.detected(Era::Modern, false);
                Ok(self.translate(m, found).await)
            }
            Probe::Legacy(why) => {
                tracing::info!("protocol era: handshake ({why})");
                let answered = self.handshake_first(m, within).await?;
                if let Some(link) = self.state.link() {
                    self.era.remember(Era::Handshake(link.transport));
                    self.detected(Era::Handshake(link.transport), false);
                }
                Ok(answered)
            }
        }
    }

    /// Ask the server in 2026-07-28 (`server/discover`) whether it speaks
    /// it, retrying while it cannot be reached.
    async fn probe(&self, m: &Message, within: Duration) -> Result<Probe, UpstreamError> {
        let ext = &self.settings.extensions;
        retry::while_unreachable(within, || probe(&self.http, &self.sink, m, ext)).await
    }

    /// Translate for the handshake-era client whose `initialize` is `m`,
    /// answering it from what the server declared.
    async fn translate(&self, m: &Message, found: Discovered) -> Answered {
        let (t, answer) = Translator::start(
            Arc::clone(&self.modern),
            self.sink.clone(),
            m,
            found,
            &self.settings.extensions,
        );
        self.state.translated(t);
        match answer {
            Some(a) => {
                let _ = self.sink.send(a).await;
                Answered::Yes
            }
            None => Answered::No,
        }
    }

    /// The handshake over Streamable HTTP, and over HTTP+SSE when the POST
    /// is refused with 400, 404 or 405 (unless `--transport http-only`).
    async fn handshake_first(
        &self,
        m: &Message,
        within: Duration,
    ) -> Result<Answered, UpstreamError> {
        match retry::while_unreachable(within, || self.post_initialize(m)).await {
            Ok((link, answer)) => Ok(self.handshake(link, answer).await),
            Err(e) if legacy_signal(&e) => self.fall_back_to_sse(m, e).await,
            Err(e) => Err(e),
        }
    }

    /// `initialize` where Streamable HTTP is not tried first: on the
    /// transport in use, or as `--transport sse-first|sse-only` says.
    async fn initialize_on(
        &self,
        m: &Message,
        current: Option<Transport>,
    ) -> Result<Answered, UpstreamError> {
        match (current, self.settings.transport) {
            // A new handshake gets a new stream (and so a new server session).
            (Some(Transport::Sse), _) => self.via_sse(m).await,
            (None, Choice::SseFirst | Choice::SseOnly) => match self.via_sse(m).await {
                Ok(a) => {
                    tracing::info!("transport: HTTP+SSE (the GET handshake named an endpoint)");
                    Ok(a)
                }
                Err(e) if self.settings.transport == Choice::SseOnly => {
                    Err(e.noted(" (--transport sse-only: not trying Streamable HTTP)"))
                }
                Err(e) => {
                    tracing::info!("{e}; trying Streamable HTTP", e = Chain(&e));
                    match self.post_initialize(m).await {
                        Ok((link, answer)) => {
                            tracing::info!("transport: Streamable HTTP (the HTTP+SSE handshake failed and POST initialize was answered)");
                            Ok(self.handshake(link, answer).await)
                        }
                        Err(e2) => Err(e.noted(format!(
                            "; Streamable HTTP failed too: {e2}",
                            e2 = Chain(&e2)
                        ))),
                    }
                }
            },
            _ => {
                let (link, answer) = self.post_initialize(m).await?;
                Ok(self.handshake(link, answer).await)
            }
        }
    }

    /// POST the client's `initialize` on a fresh session; the new session
    /// and the answer come back (the answer is not passed on yet).
    async fn post_initialize(&self, m: &Message) -> Result<(Link, Option<Message>), UpstreamError> {
        // A new handshake starts a new session; the old stream belongs to the old one.
        self.http.stop_get_stream();
        let mut link = self.state.new_link(Transport::Http);
        let posted = self.post(m, &HeaderMap::new(), link.epoch).await?;
        link.assign_id(posted.session_id.as_ref());
        let answer = posted.answer(m, &self.sink, Others::AS_THEY_ARE).await?;
        tracing::info!("transport: Streamable HTTP (the server answered initialize over POST)");
        Ok((link, answer))
    }

    /// Settle on the handshake era on the session `link`, and pass the
    /// answer to `initialize` on.
    async fn handshake(&self, mut link: Link, answer: Option<Message>) -> Answered {
        let Some(answer) = answer else {
            self.state.handshake(link);
            return Answered::No;
        };
        if !answer.is_error() {
            let version = jsonrpc::result_str(&answer.raw, "protocolVersion");
            if let Some(v) = &version {
                tracing::info!("protocol version {v}");
            }
            link.version = version.and_then(|v| v.parse().ok());
        }
        self.state.handshake(link);
        self.setup.locked().initialize_answered(&answer);
        let _ = self.sink.send(answer).await;
        Answered::Yes
    }

    /// After POST initialize failed with `e` (400, 404 or 405): try the
    /// HTTP+SSE handshake, unless `--transport http-only` forbids it.
    async fn fall_back_to_sse(
        &self,
        m: &Message,
        e: UpstreamError,
    ) -> Result<Answered, UpstreamError> {
        let status = e.http_status().map_or(0, |s| s.as_u16());
        if self.settings.transport != Choice::HttpFirst {
            return Err(
                e.noted(" (--transport http-only: not trying the older HTTP+SSE transport)")
            );
        }
        tracing::info!("POST initialize answered HTTP {status}; trying the HTTP+SSE transport");
        match self.via_sse(m).await {
            Ok(a) => {
                tracing::info!("transport: HTTP+SSE (POST initialize answered HTTP {status} and the GET handshake named an endpoint)");
                Ok(a)
            }
            Err(e2) => Err(e.noted(format!("; HTTP+SSE failed too: {e2}", e2 = Chain(&e2)))),
        }
    }

    /// Open a new HTTP+SSE stream and send `initialize` on it; the answer
    /// comes on the stream.
    async fn via_sse(&self, m: &Message) -> Result<Answered, UpstreamError> {
        self.health(self.sse.connect(true).await)?;
        // Settled before the POST: the answer may come on the stream first.
        self.state.handshake(self.state.new_link(Transport::Sse));
        if let Err(e) = self.health(self.sse.send(m).await) {
            self.sse.stop();
            return Err(e);
        }
        Ok(Answered::Later)
    }
}
