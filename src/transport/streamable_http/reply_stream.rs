//! A POST's reply stream, resumed when it breaks: when the connection drops
//! or the server closes the stream before the answer, and the server gave
//! event ids, the stream is reopened with GET and `Last-Event-ID` (after the
//! server's `retry:` time, when it gave one). Events a resumed stream
//! replays that were delivered already are dropped, so everything reaches
//! the client exactly once.

use super::{Cursor, StreamableHttp};
use crate::http::body::content_type;
use crate::http::error::{ErrorKind, UpstreamError};
use crate::http::retry::Backoff;
use crate::text::Chain;
use crate::transport::event_stream::EventReader;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT};
use reqwest::Method;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// A resumed reply stream that brings nothing new for this long is reopened
/// (doubling up to `RESUME_POLL_CAP`): some servers replay what they stored
/// and then never route the rest of the reply to the resumed stream.
const RESUME_POLL: Duration = Duration::from_secs(2);
const RESUME_POLL_CAP: Duration = Duration::from_secs(30);

/// How a reply stream stopped before it brought the answer.
enum Ended {
    /// The server closed it (2025-11-25 allows this; the client resumes).
    Closed,
    /// The connection broke.
    Broken(UpstreamError),
    /// A resumed stream brought nothing new for a while.
    Quiet,
}

/// The events of one POST's reply, resumed across breaks.
pub struct ReplyStream {
    http: Arc<StreamableHttp>,
    events: EventReader,
    /// The headers the POST carried, for the resuming GETs.
    session: HeaderMap,
    epoch: u64,
    /// Only a request's reply is worth resuming: it owes an answer.
    resumable: bool,
    cursor: Cursor,
    quiet_for: Duration,
    backoff: Backoff,
}

impl ReplyStream {
    /// The reply stream of a POST that carried `session` headers in session
    /// `epoch`; `resumable` when it owes an answer.
    pub(super) fn new(
        http: Arc<StreamableHttp>,
        resp: reqwest::Response,
        session: HeaderMap,
        epoch: u64,
        resumable: bool,
    ) -> Self {
        ReplyStream {
            events: EventReader::new(resp, http.url(), http.server.limit),
            http,
            session,
            epoch,
            resumable,
            cursor: Cursor::default(),
            quiet_for: RESUME_POLL,
            backoff: Backoff::streams(),
        }
    }

    /// The server URL, for messages.
    pub fn url(&self) -> &str {
        self.http.url()
    }

    /// The data of the next event that carries a message; `Ok(None)` when
    /// the stream ended and cannot be resumed (no event ids, or nothing
    /// owed). The caller stops asking once it has its answer.
    pub async fn next(&mut self) -> Result<Option<Bytes>, UpstreamError> {
        loop {
            let ended = loop {
                let next = if self.cursor.resumed {
                    match tokio::time::timeout(self.quiet_for, self.events.next()).await {
                        Ok(next) => next,
                        Err(_) => break Ended::Quiet,
                    }
                } else {
                    self.events.next().await
                };
                let ev = match next {
                    Ok(Some(ev)) => ev,
                    Ok(None) => break Ended::Closed,
                    Err(e) => break Ended::Broken(e),
                };
                if !self.cursor.note(&ev, &self.http, self.epoch) || !ev.has_message() {
                    continue;
                }
                self.quiet_for = RESUME_POLL;
                self.backoff.reset();
                return Ok(Some(ev.data.unwrap_or_default().into()));
            };
            if !self.resumable {
                return Ok(None);
            }
            let (why, delay) = match ended {
                Ended::Broken(e) if e.kind() == ErrorKind::Lost && self.cursor.last.is_some() => (
                    Chain(&e).to_string(),
                    self.backoff.next_delay(self.cursor.retry),
                ),
                Ended::Broken(e) => return Err(e),
                Ended::Closed if self.cursor.last.is_some() => (
                    "the server closed the reply stream before the answer".to_owned(),
                    self.backoff.next_delay(self.cursor.retry),
                ),
                // No event ids: nothing to resume from; the caller reports it.
                Ended::Closed => return Ok(None),
                Ended::Quiet => {
                    tracing::debug!(
                        "the resumed reply stream brought nothing for {} s; asking again",
                        self.quiet_for.as_secs()
                    );
                    self.quiet_for = (self.quiet_for * 2).min(RESUME_POLL_CAP);
                    (
                        "the resumed reply stream went quiet".to_owned(),
                        Duration::ZERO,
                    )
                }
            };
            let last = self.cursor.last.clone().unwrap_or_default();
            self.events = self.resume(&last, delay, &why).await?;
            self.cursor.resumed = true;
        }
    }

    /// Reopen the stream after the event `last` with GET and
    /// `Last-Event-ID`, first waiting `delay`, then retrying with backoff
    /// while the server cannot be reached or is briefly failing, for up to
    /// the transport's resume time. A refusal that shows the session is
    /// gone says so in the error.
    async fn resume(
        &self,
        last: &str,
        mut delay: Duration,
        why: &str,
    ) -> Result<EventReader, UpstreamError> {
        let http = &self.http;
        let lost = |cause: String| UpstreamError::lost(http.url(), cause);
        let id = HeaderValue::from_str(last)
            .map_err(|_| lost(format!("{why}; its event id cannot be sent back")))?;
        let deadline = Instant::now() + http.resume_for;
        let mut backoff = Backoff::streams();
        loop {
            if !delay.is_zero() {
                tracing::info!("{why}; resuming it in {} ms", delay.as_millis());
                tokio::time::sleep(delay.min(deadline.saturating_duration_since(Instant::now())))
                    .await;
            }
            let answer = http
                .server
                .http
                .send(|| {
                    http.request(Method::GET, &self.session)
                        .header(ACCEPT, "text/event-stream")
                        .header("last-event-id", id.clone())
                })
                .await;
            let failure = match answer {
                Ok(resp) if resp.status().is_success() => {
                    if content_type(&resp) != "text/event-stream" {
                        return Err(lost(format!(
                            "{why}; the server answered the resume with {:?}, not an event stream",
                            content_type(&resp)
                        )));
                    }
                    tracing::info!("reply stream resumed after event {last}");
                    return Ok(EventReader::new(resp, http.url(), http.server.limit));
                }
                Ok(resp) => {
                    let status = resp.status();
                    let e = http.refused(resp).await;
                    let passing = status.is_server_error() || matches!(status.as_u16(), 408 | 429);
                    if !passing {
                        let gone = e.session_gone();
                        let e = lost(format!(
                            "{why}; the server cannot resume it: {e}",
                            e = Chain(&e)
                        ));
                        return Err(if gone { e.with_session_gone() } else { e });
                    }
                    Chain(&e).to_string()
                }
                Err(e) if e.is_unanswered() => Chain(&e).to_string(),
                Err(e) => return Err(e),
            };
            if Instant::now() >= deadline {
                return Err(lost(format!(
                    "{why}; resuming it failed for {} s: {failure}",
                    http.resume_for.as_secs()
                )));
            }
            delay = backoff.next_delay(None);
            tracing::info!("resuming the reply stream: {failure}");
        }
    }
}
