//! The one path that starts a new session in place of a lost one, for both
//! transports: the server forgot a Streamable HTTP session (a restart, an
//! idle expiry), or an HTTP+SSE stream ended (its session with it). The
//! client's `initialize` and the rest of its setup are replayed on the
//! bridge's own ids, and the client never hears of it. Also the supervisor
//! that acts on what background streams report.

use super::state::{Link, Transport};
use super::{Connection, GET_READY_LIMIT};
use crate::http::error::{ErrorKind, UpstreamError};
use crate::http::retry::{Reconnect, Reopen};
use crate::jsonrpc::{self, Message, MessageKind};
use crate::protocol;
use crate::sync::Locked;
use crate::text::Chain;
use crate::transport::streamable_http::Others;
use crate::transport::Event;
use reqwest::header::HeaderMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// How long starting a new session may take (a server that accepts the
/// connection and never answers must not hold every request forever).
const RENEW_LIMIT: Duration = Duration::from_secs(30);
/// How long the replayed `initialize` on a new HTTP+SSE stream may take.
const REPLAY_WAIT: Duration = Duration::from_secs(10);

impl Connection {
    /// Act on what background streams report, for as long as the bridge runs.
    pub(super) async fn supervise(self: Arc<Self>, mut events: mpsc::UnboundedReceiver<Event>) {
        while let Some(ev) = events.recv().await {
            match ev {
                Event::Reachable(what) => self.state.reachable(what),
                Event::Unreachable(why) => self.state.unreachable(&why),
                Event::SessionGone { epoch, why } => {
                    if let Err(e) = self.renew(epoch, &why).await {
                        tracing::warn!("{e}; the next request tries again", e = Chain(&e));
                    }
                }
                Event::SseDropped { awaiting, why } => {
                    // Answers to requests already sent would have come on this stream.
                    for id in awaiting {
                        let e = UpstreamError::lost(self.url(), why.clone());
                        if let Ok(m) = jsonrpc::classify(e.to_response(Some(&id))) {
                            let _ = self.sink.send(m).await;
                        }
                    }
                    self.reopen_sse(&why).await;
                }
            }
        }
    }

    /// Start a new session unless one has begun since `epoch`, because
    /// `why` showed the server lost that one (over Streamable HTTP).
    pub(super) async fn renew(&self, epoch: u64, why: &str) -> Result<(), UpstreamError> {
        let _one = self.renewing.lock().await;
        let Some(link) = self.state.link().filter(|l| l.epoch == epoch) else {
            return Ok(());
        };
        if !self.setup.locked().initialized() {
            return Err(self.renew_error("the client has not initialized"));
        }
        if !self
            .state
            .renewing(epoch, &format!("the server lost the session: {why}"))
        {
            return Ok(());
        }
        match self.start_again(link.transport).await {
            Ok(link) => {
                self.state.renewed(link);
                Ok(())
            }
            Err(e) => {
                self.state.renew_failed(&Chain(&e).to_string());
                Err(e)
            }
        }
    }

    /// The HTTP+SSE stream ended (`why`), and the server session with it:
    /// open a new stream, with the shared reconnect policy, until one opens
    /// and takes the client's setup again.
    async fn reopen_sse(&self, why: &str) {
        let Some(link) = self.state.link().filter(|l| l.transport == Transport::Sse) else {
            return;
        };
        let _one = self.renewing.lock().await;
        let why = format!("the HTTP+SSE stream: {why}; its session is gone");
        if !self.state.renewing(link.epoch, &why) {
            return;
        }
        let mut reconnect = Reconnect::new("the HTTP+SSE stream");
        while reconnect.after(Reopen::After(self.sse.retry_hint())).await {
            match self.start_again(Transport::Sse).await {
                Ok(link) => {
                    self.state.renewed(link);
                    tracing::info!("new HTTP+SSE session set up");
                    return;
                }
                Err(e) => {
                    self.sse.stop();
                    tracing::info!("HTTP+SSE stream: {e}", e = Chain(&e));
                }
            }
        }
    }

    /// Start a new session on `transport` and set the client's setup up
    /// again on it, within `RENEW_LIMIT`.
    async fn start_again(&self, transport: Transport) -> Result<Link, UpstreamError> {
        let (replay, first) = {
            let s = self.setup.locked();
            (s.replay(), s.first_server().cloned())
        };
        tokio::time::timeout(RENEW_LIMIT, self.replay_on(transport, replay, first))
            .await
            .unwrap_or_else(|_| {
                Err(self.renew_error(&format!("no answer within {} s", RENEW_LIMIT.as_secs())))
            })
    }

    /// Start a new session on `transport` and replay `replay` on it: the
    /// client's `initialize` (its answer is checked, not forwarded), then
    /// `notifications/initialized` (after the GET stream is open, as for the
    /// first session), subscriptions and log level.
    async fn replay_on(
        &self,
        transport: Transport,
        replay: Vec<Message>,
        first: Option<(String, String)>,
    ) -> Result<Link, UpstreamError> {
        let mut replay = replay.into_iter();
        let mut link = self.state.new_link(transport);
        if transport == Transport::Sse {
            self.health(self.sse.connect(false).await)?;
        }
        let Some(init) = replay.next() else {
            return Ok(link);
        };
        let answer = match transport {
            Transport::Http => {
                self.http.stop_get_stream();
                let posted = self.post(&init, &HeaderMap::new(), link.epoch).await?;
                link.assign_id(posted.session_id.as_ref());
                posted
                    .answer(&init, &self.sink, Others::AS_THEY_ARE)
                    .await?
                    .ok_or_else(|| self.renew_error("the server did not answer initialize"))?
            }
            Transport::Sse => {
                tracing::info!("the server starts a new session on a new HTTP+SSE stream; initializing it again");
                self.sse.call(&init, REPLAY_WAIT).await?
            }
        };
        if answer.is_error() {
            let text = jsonrpc::error_object(&answer.raw)
                .and_then(|e| e.message)
                .unwrap_or_default();
            return Err(self.renew_error(&format!("initialize was refused: {text}")));
        }
        if first.is_some_and(|f| f != protocol::server_identity(&answer.raw)) {
            tracing::warn!(
                "the new session's server differs from the first (server info or capabilities changed); the client was told the first"
            );
        }
        link.version =
            jsonrpc::result_str(&answer.raw, "protocolVersion").and_then(|v| v.parse().ok());
        if transport == Transport::Http {
            let _ = tokio::time::timeout(GET_READY_LIMIT, self.open_get_stream(&link)).await;
        }
        for m in replay {
            let name = m.method_name().to_owned();
            if m.kind() != MessageKind::Request {
                self.send_on(Some(&link), &m).await?;
                continue;
            }
            match self.call_own(&link, &m, REPLAY_WAIT).await {
                Ok(a) if !a.is_error() => {}
                Ok(_) => tracing::warn!("{name} was not accepted again"),
                Err(e) => tracing::warn!("{name} again: {e}", e = Chain(&e)),
            }
        }
        Ok(link)
    }

    fn renew_error(&self, cause: &str) -> UpstreamError {
        UpstreamError::new(ErrorKind::Renew, self.url(), cause)
    }
}
