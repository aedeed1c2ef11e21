//! The client's `initialize`: which transport (`--transport`: Streamable
//! HTTP, or HTTP+SSE when the server refuses the POST with 400, 404 or 405)
//! and which era (`--protocol auto`: when the server refuses the handshake,
//! ask `server/discover`, and translate for the client if the server speaks
//! only 2026-07-28).

use super::state::{Link, State, Transport};
use super::{Answered, Connection};
use crate::http::error::UpstreamError;
use crate::http::retry;
use crate::jsonrpc::{self, Message};
use crate::protocol::refuses_handshake;
use crate::protocol::stateless::discover::{probe, Probe};
use crate::protocol::stateless::Translator;
use reqwest::header::HeaderMap;
use std::sync::Arc;

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

/// Which protocol eras the bridge may speak upstream, in mcp-remote's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// Relay what the client speaks; never probe.
    Legacy,
    /// Probe with `server/discover` when a handshake-era client initializes,
    /// and translate for it when the server speaks only 2026-07-28.
    Auto,
}

/// How the server refused a client's `initialize`.
enum Refusal {
    /// It answered with a JSON-RPC error, on this new session.
    Answer(Link, Message),
    /// It answered 400, 404 or 405.
    Status(UpstreamError),
    /// Nothing was sent yet (the server spoke only 2026-07-28 before).
    None,
}

/// A failed POST initialize that means "this is not a Streamable HTTP
/// endpoint": 400, 404 or 405. A 401 is an authorization challenge, never a
/// reason to fall back.
fn legacy_signal(e: &UpstreamError) -> bool {
    e.http_status()
        .is_some_and(|s| matches!(s.as_u16(), 400 | 404 | 405))
}

impl Connection {
    /// The client's `initialize`, relayed as it is; this also picks the
    /// transport and the era. Its answer goes to the sink.
    pub async fn initialize(&self, m: &Message) -> Result<Answered, UpstreamError> {
        self.setup.lock().expect("setup lock").initialize_sent(m);
        let now = self.state.now();
        if let State::Translated(old) = &now {
            old.stop();
            return self.translate_or(m, Refusal::None).await;
        }
        self.state.initialize_sent();
        let current = now.link().map(|l| l.transport);
        let retry_for = self.settings.retry_for;
        let http_first = current.is_none()
            && matches!(
                self.settings.transport,
                Choice::HttpFirst | Choice::HttpOnly
            );
        if !http_first {
            tracing::info!("protocol era: handshake (the client sent initialize)");
            return retry::while_unreachable(retry_for, || self.initialize_on(m, current)).await;
        }
        let auto = self.settings.protocol == Protocol::Auto;
        match retry::while_unreachable(retry_for, || self.post_initialize(m)).await {
            Ok((link, Some(answer))) if auto && refuses_handshake(&answer) => {
                self.translate_or(m, Refusal::Answer(link, answer)).await
            }
            Ok((link, answer)) => {
                tracing::info!("protocol era: handshake (the server answered initialize)");
                Ok(self.handshake(link, answer).await)
            }
            Err(e) if legacy_signal(&e) && auto => self.translate_or(m, Refusal::Status(e)).await,
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
                    tracing::info!("{e}; trying Streamable HTTP");
                    match self.post_initialize(m).await {
                        Ok((link, answer)) => {
                            tracing::info!("transport: Streamable HTTP (the HTTP+SSE handshake failed and POST initialize was answered)");
                            Ok(self.handshake(link, answer).await)
                        }
                        Err(e2) => Err(e.noted(format!("; Streamable HTTP failed too: {e2}"))),
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
        let answer = posted.answer(m, &self.sink, None).await?;
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
        if !answer.is_error {
            let version = jsonrpc::result_str(&answer.raw, "protocolVersion");
            if let Some(v) = &version {
                tracing::info!("protocol version {v}");
            }
            link.version = version.and_then(|v| v.parse().ok());
        }
        self.state.handshake(link);
        self.setup
            .lock()
            .expect("setup lock")
            .initialize_answered(&answer);
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
            Err(e2) => Err(e.noted(format!("; HTTP+SSE failed too: {e2}"))),
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

    /// The server refused the handshake (or served only 2026-07-28 before):
    /// if `server/discover` shows it speaks 2026-07-28, translate for the
    /// client; otherwise go on as the handshake era would have.
    async fn translate_or(&self, m: &Message, refusal: Refusal) -> Result<Answered, UpstreamError> {
        match probe(&self.http, &self.sink, m).await {
            Probe::Modern(found) => {
                let (t, answer) =
                    Translator::start(Arc::clone(&self.http), self.sink.clone(), m, found);
                self.state.translated(t);
                match answer {
                    Some(a) => {
                        let _ = self.sink.send(a).await;
                        Ok(Answered::Yes)
                    }
                    None => Ok(Answered::No),
                }
            }
            Probe::Handshake(why) => {
                tracing::info!("protocol era: handshake ({why})");
                match refusal {
                    Refusal::Answer(link, a) => Ok(self.handshake(link, Some(a)).await),
                    Refusal::Status(e) => self.fall_back_to_sse(m, e).await,
                    Refusal::None => {
                        let retry_for = self.settings.retry_for;
                        let (link, answer) =
                            retry::while_unreachable(retry_for, || self.post_initialize(m)).await?;
                        Ok(self.handshake(link, answer).await)
                    }
                }
            }
            Probe::Failed(e) => Err(e),
        }
    }
}
