//! The standalone GET stream: what the server sends on its own (requests,
//! notifications, answers it replays), opened after `initialized` and kept
//! open with the shared reconnect loop.

use super::{Cursor, StreamableHttp, SESSION_HEADER};
use crate::http::body::content_type;
use crate::http::retry::{Reconnect, Reopen};
use crate::sync::Locked;
use crate::text::Chain;
use crate::transport::event_stream::EventReader;
use crate::transport::{forward, Event, Events, Sink};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT};
use reqwest::{Method, StatusCode};
use std::sync::Arc;
use tokio::sync::oneshot;

/// Where one GET stream reports.
struct Reporting {
    sink: Sink,
    events: Events,
    ready: Option<oneshot::Sender<()>>,
}

impl StreamableHttp {
    /// Open the GET stream with the `session` headers of session `epoch`,
    /// replacing any earlier one; its messages go to `sink`, what it learns
    /// about the server to `events`. The returned receiver fires once the
    /// first attempt has its answer (stream open, 405, or a failure), so the
    /// caller can hold `notifications/initialized` until then: servers drop
    /// what they send on this stream before it is open, and many send at once.
    pub fn open_get_stream(
        self: &Arc<Self>,
        session: HeaderMap,
        epoch: u64,
        sink: Sink,
        events: Events,
    ) -> oneshot::Receiver<()> {
        let this = Arc::clone(self);
        let (ready_tx, ready_rx) = oneshot::channel();
        let mut report = Reporting {
            sink,
            events,
            ready: Some(ready_tx),
        };
        let task = tokio::spawn(async move {
            let mut cursor = Cursor::default();
            let mut reconnect = Reconnect::new("the GET stream");
            loop {
                let r = this
                    .get_once(&session, epoch, &mut cursor, &mut report)
                    .await;
                if !reconnect.after(r).await {
                    break;
                }
            }
        });
        if let Some(old) = self.get_stream.locked().replace(task.abort_handle()) {
            old.abort();
        }
        ready_rx
    }

    /// True while a GET stream is kept open.
    pub fn has_get_stream(&self) -> bool {
        self.get_stream
            .locked()
            .as_ref()
            .is_some_and(|t| !t.is_finished())
    }

    /// Stop the GET stream, if one is open.
    pub fn stop_get_stream(&self) {
        if let Some(old) = self.get_stream.locked().take() {
            old.abort();
        }
    }

    /// One run of the GET stream: open it, read it until it ends, and say
    /// whether to open it again.
    async fn get_once(
        &self,
        session: &HeaderMap,
        epoch: u64,
        cursor: &mut Cursor,
        report: &mut Reporting,
    ) -> Reopen {
        let last = cursor
            .last
            .as_deref()
            .and_then(|i| HeaderValue::from_str(i).ok());
        let build = || {
            let req = self
                .request(Method::GET, session)
                .header(ACCEPT, "text/event-stream");
            match &last {
                Some(id) => req.header("last-event-id", id.clone()),
                None => req,
            }
        };
        cursor.resumed = cursor.last.is_some();
        let answer = self.server.http.send(build).await;
        // The first attempt is the one the caller waits for.
        let first = report.ready.take().map(|r| r.send(())).is_some();
        let resp = match answer {
            Err(e) if e.is_unanswered() => {
                tracing::info!("GET stream: {e}", e = Chain(&e));
                let _ = report.events.send(Event::Unreachable(format!(
                    "the GET stream: {e}",
                    e = Chain(&e)
                )));
                return Reopen::After(cursor.retry);
            }
            Err(e) => {
                tracing::warn!("GET stream: {e}; not reopening it", e = Chain(&e));
                return Reopen::Stop;
            }
            Ok(resp) => resp,
        };
        let status = resp.status();
        if status == StatusCode::METHOD_NOT_ALLOWED {
            tracing::info!("the server offers no GET stream (HTTP 405); not retrying");
            return Reopen::Stop;
        }
        if !status.is_success() {
            let e = self.refused(resp).await;
            // The first GET goes out just before `initialized`; a server that
            // wants that first gets one more try.
            if matches!(status.as_u16(), 400 | 404) && !first {
                if e.session_gone() && session.contains_key(SESSION_HEADER) {
                    // The server forgot the session (it restarted, or it
                    // expired): the connection starts a new one, which opens
                    // a new GET stream.
                    let _ = report.events.send(Event::SessionGone {
                        epoch,
                        why: format!("the GET stream was refused: {e}", e = Chain(&e)),
                    });
                } else {
                    tracing::warn!("GET stream refused, not retrying: {e}", e = Chain(&e));
                }
                return Reopen::Stop;
            }
            tracing::info!("GET stream: {e}", e = Chain(&e));
            return Reopen::After(cursor.retry);
        }
        if content_type(&resp) != "text/event-stream" {
            tracing::warn!(
                "GET stream answered with content-type {:?}, not an event stream; not retrying",
                content_type(&resp)
            );
            return Reopen::Stop;
        }
        tracing::debug!("GET stream open");
        let _ = report.events.send(Event::Reachable("the GET stream"));
        let mut events = EventReader::new(resp, self.url(), self.server.limit);
        let mut heard = false;
        loop {
            match events.next().await {
                Ok(Some(ev)) => {
                    // Only a message counts: a stream of priming events and
                    // `retry: 0` must back off, not loop.
                    if cursor.note(&ev, self, epoch) && ev.has_message() {
                        heard = true;
                        forward(ev.data.unwrap_or_default().into(), &report.sink).await;
                    }
                }
                Ok(None) => {
                    tracing::debug!("GET stream closed by the server");
                    break;
                }
                Err(e) => {
                    tracing::info!("GET stream: {e}", e = Chain(&e));
                    break;
                }
            }
        }
        if heard {
            Reopen::Afresh(cursor.retry)
        } else {
            Reopen::After(cursor.retry)
        }
    }
}
