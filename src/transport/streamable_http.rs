//! The Streamable HTTP transport (MCP 2025-03-26 and later): one POST per
//! message, JSON or SSE answers, the standalone GET stream, DELETE at the end.

use super::{content_type, read_body, status_error, EventReader, UpstreamError};
use crate::http::retry::Backoff;
use crate::http::Http;
use crate::jsonrpc::{self, Id, Kind, Message};
use crate::relay::Router;
use crate::session::{Link, Session};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::AbortHandle;
use tokio::time::Instant;

/// `Accept` on every POST, as the specification requires.
const ACCEPT_BOTH: &str = "application/json, text/event-stream";
/// Session header name.
pub const SESSION_HEADER: &str = "mcp-session-id";
/// Negotiated-version header name (2025-06-18 and later).
pub const VERSION_HEADER: &str = "mcp-protocol-version";
/// How long `notifications/initialized` waits for the GET stream to open.
pub const GET_READY_LIMIT: Duration = Duration::from_secs(2);
/// A resumed reply stream that brings nothing new for this long is reopened
/// (doubling up to `RESUME_POLL_CAP`): some servers replay what they stored
/// and then never route the rest of the reply to the resumed stream.
const RESUME_POLL: Duration = Duration::from_secs(2);
const RESUME_POLL_CAP: Duration = Duration::from_secs(30);
/// How many delivered event ids are remembered to drop replayed duplicates.
const SEEN_CAP: usize = 4096;
/// Longer event ids are not remembered (nor deduplicated).
const SEEN_ID_MAX: usize = 256;

/// One remote server reached over Streamable HTTP.
pub struct StreamableHttp {
    url: reqwest::Url,
    url_text: String,
    headers: HeaderMap,
    auth: Http,
    limit: usize,
    session: Session,
    link: Arc<Link>,
    /// How long a broken reply stream keeps being resumed.
    resume_for: Duration,
    seen: Mutex<Seen>,
    get_stream: Mutex<Option<AbortHandle>>,
}

/// Event ids already delivered in the current session. The specification
/// makes them unique across a session's streams, and servers replay by
/// position, some (server-everything) from every stream: a resumed stream's
/// event with a known id was delivered already.
#[derive(Default)]
struct Seen {
    epoch: u64,
    ids: HashSet<Box<str>>,
    order: VecDeque<Box<str>>,
}

impl Seen {
    /// Remember `id` for session `epoch`; false when it was seen before.
    fn first_time(&mut self, epoch: u64, id: &str) -> bool {
        if epoch != self.epoch {
            self.ids.clear();
            self.order.clear();
            self.epoch = epoch;
        }
        if id.len() > SEEN_ID_MAX {
            return true;
        }
        if self.ids.contains(id) {
            return false;
        }
        if self.order.len() >= SEEN_CAP {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
        let id: Box<str> = id.into();
        self.ids.insert(id.clone());
        self.order.push_back(id);
        true
    }
}

/// Where an event stream stands, for resuming it.
#[derive(Default)]
struct Cursor {
    /// The last event id received.
    last: Option<String>,
    /// The server's `retry:` hint.
    retry: Option<Duration>,
    /// This stream was opened with `Last-Event-ID`: it may replay events.
    resumed: bool,
}

/// How a reply stream stopped before it brought the answer.
enum Ended {
    /// The server closed it (2025-11-25 allows this; the client resumes).
    Closed,
    /// The connection broke.
    Broken(UpstreamError),
    /// A resumed stream brought nothing new for a while.
    Quiet,
}

impl StreamableHttp {
    /// A transport for `url`, sending `headers` on every request (and the
    /// token `auth` provides), refusing messages larger than `limit` bytes,
    /// reporting to `link`, and resuming a broken reply stream for up to
    /// `resume_for`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        url: reqwest::Url,
        headers: HeaderMap,
        auth: Http,
        limit: usize,
        link: Arc<Link>,
        resume_for: Duration,
    ) -> Self {
        StreamableHttp {
            url_text: url.to_string(),
            url,
            headers,
            auth,
            limit,
            session: Session::default(),
            link,
            resume_for,
            seen: Mutex::new(Seen::default()),
            get_stream: Mutex::new(None),
        }
    }

    /// The connection's state machine.
    pub fn link(&self) -> &Arc<Link> {
        &self.link
    }

    /// The server URL as text, for messages.
    pub fn url(&self) -> &str {
        &self.url_text
    }

    /// The session requests are sent on.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// A request with the user's headers and, unless `fresh`, the session's.
    fn request(&self, method: Method, fresh: bool) -> reqwest::RequestBuilder {
        let mut headers = self.headers.clone();
        if !fresh {
            self.session.apply(&mut headers);
        }
        self.auth.request(method, self.url.clone()).headers(headers)
    }

    /// POST one client message of the handshake era and deliver whatever the
    /// server sends back (its answer, and any requests or notifications before
    /// it) to `router`.
    ///
    /// `Ok` means the exchange finished; for a request the caller checks
    /// whether an answer was actually delivered.
    pub async fn send(&self, msg: &Message, router: &Router) -> Result<(), UpstreamError> {
        self.post(msg, &Post::session(), router).await.map(|_| ())
    }

    /// POST one message as `how` says. Messages other than the answer go to
    /// `router`; the answer (a response to the sent request) goes to `router`
    /// too, or back to the caller when `how.capture` is set.
    pub async fn post(
        &self,
        msg: &Message,
        how: &Post,
        router: &Router,
    ) -> Result<Option<Message>, UpstreamError> {
        let initialize = msg.kind == Kind::Request && msg.method.as_deref() == Some("initialize");
        if initialize {
            // A new handshake starts a new session; the old stream belongs to the old one.
            self.stop_get_stream();
        }
        let build = || {
            let mut req = self
                .request(Method::POST, initialize || !how.session)
                .header(ACCEPT, ACCEPT_BOTH)
                .header(CONTENT_TYPE, "application/json");
            if let Some(extra) = &how.extra {
                req = req.headers(extra.clone());
            }
            req.body(msg.raw.clone())
        };
        let resp = self.auth.send(build).await?.map_err(|e| {
            let e = UpstreamError::from_reqwest(&self.url_text, &e);
            self.link.unreachable(&e);
            e
        })?;
        self.link.reachable("a request");
        let status = resp.status();
        if !status.is_success() {
            return Err(status_error(resp, &self.url_text).await);
        }
        if initialize {
            self.session.begin(resp.headers().get(SESSION_HEADER));
        }
        if status == StatusCode::ACCEPTED || status == StatusCode::NO_CONTENT {
            return match msg.kind {
                Kind::Request => Err(UpstreamError::NoAnswer {
                    url: self.url_text.clone(),
                    status,
                }),
                _ => Ok(None),
            };
        }
        let mut out = Answer {
            sent: msg,
            initialize,
            how,
            captured: None,
            answered: false,
        };
        let ctype = content_type(&resp);
        if ctype == "text/event-stream" {
            let events = EventReader::new(resp, &self.url_text, self.limit);
            self.read_reply_stream(events, &mut out, router).await?;
            return Ok(out.captured);
        }
        let mut resp = resp;
        let body = read_body(&mut resp, &self.url_text, self.limit).await?;
        if body.iter().all(u8::is_ascii_whitespace) && msg.kind != Kind::Request {
            return Ok(None);
        }
        let not_json_rpc = |detail: String| UpstreamError::NotJsonRpc {
            url: self.url_text.clone(),
            what: if ctype.is_empty() {
                "no content-type".to_owned()
            } else {
                format!("content-type {ctype}")
            },
            detail: match crate::text::gist(&body, &ctype) {
                g if g.is_empty() => detail,
                g => format!(": {g}"),
            },
        };
        let items = jsonrpc::parse(body.clone()).map_err(|e| not_json_rpc(format!(": {e}")))?;
        if items.iter().all(Result::is_err) {
            if let Some(Err(e)) = items.first() {
                return Err(not_json_rpc(format!(": {e}")));
            }
        }
        self.deliver(items, &mut out, router).await;
        Ok(out.captured)
    }

    /// Read a POST's event stream until it brings the answer. When the stream
    /// breaks, or the server closes it, before the answer, and the server gave
    /// event ids, resume it with GET and `Last-Event-ID` (waiting the
    /// server's `retry:` time when it gave one). Events a resumed stream
    /// replays that were delivered already are dropped, so everything reaches
    /// the client exactly once.
    async fn read_reply_stream(
        &self,
        mut events: EventReader,
        out: &mut Answer<'_>,
        router: &Router,
    ) -> Result<(), UpstreamError> {
        let epoch = self.session.epoch();
        let mut cursor = Cursor::default();
        let mut quiet_for = RESUME_POLL;
        let mut backoff = Backoff::streams();
        loop {
            let ended = loop {
                let next = if cursor.resumed {
                    match tokio::time::timeout(quiet_for, events.next()).await {
                        Ok(next) => next,
                        Err(_) => break Ended::Quiet,
                    }
                } else {
                    events.next().await
                };
                let ev = match next {
                    Ok(Some(ev)) => ev,
                    Ok(None) => break Ended::Closed,
                    Err(e) => break Ended::Broken(e),
                };
                if !self.note(&ev, &mut cursor, epoch) || !ev.has_message() {
                    continue;
                }
                quiet_for = RESUME_POLL;
                backoff.reset();
                let items = jsonrpc::parse(ev.data.unwrap_or_default().into()).map_err(|e| {
                    UpstreamError::NotJsonRpc {
                        url: self.url_text.clone(),
                        what: "an event that is not JSON-RPC".to_owned(),
                        detail: format!(": {e}"),
                    }
                })?;
                self.deliver(items, out, router).await;
                if out.answered {
                    return Ok(());
                }
            };
            // Nothing left to wait for: a notification, or a request whose
            // answer came another way (a replay on the GET stream) or that
            // the client cancelled.
            let waited_for =
                out.how.capture || out.sent.id.as_ref().is_some_and(|id| router.is_pending(id));
            if out.sent.kind != Kind::Request || !waited_for {
                return Ok(());
            }
            let (why, delay) = match ended {
                Ended::Broken(e @ UpstreamError::Lost { .. }) if cursor.last.is_some() => (
                    e.to_string(),
                    cursor.retry.unwrap_or_else(|| backoff.next_delay(None)),
                ),
                Ended::Broken(e) => return Err(e),
                Ended::Closed if cursor.last.is_some() => (
                    "the server closed the reply stream before the answer".to_owned(),
                    cursor.retry.unwrap_or_else(|| backoff.next_delay(None)),
                ),
                // No event ids: nothing to resume from; the caller reports it.
                Ended::Closed => return Ok(()),
                Ended::Quiet => {
                    tracing::debug!(
                        "the resumed reply stream brought nothing for {} s; asking again",
                        quiet_for.as_secs()
                    );
                    quiet_for = (quiet_for * 2).min(RESUME_POLL_CAP);
                    (
                        "the resumed reply stream went quiet".to_owned(),
                        Duration::ZERO,
                    )
                }
            };
            let last = cursor.last.clone().unwrap_or_default();
            events = self.resume(&last, delay, &why, epoch).await?;
            cursor.resumed = true;
        }
    }

    /// Note `ev`'s id and `retry:` hint in `cursor`. False when a resumed
    /// stream replays an event delivered already, which is then dropped.
    fn note(&self, ev: &super::event_stream::Event, cursor: &mut Cursor, epoch: u64) -> bool {
        if let Some(ms) = ev.retry {
            cursor.retry = Some(Duration::from_millis(ms));
        }
        let Some(id) = &ev.id else {
            return true;
        };
        let first = self.seen.lock().expect("seen lock").first_time(epoch, id);
        cursor.last = Some(id.clone());
        if !first && cursor.resumed {
            tracing::debug!("dropped a replayed event that was delivered already");
            return false;
        }
        true
    }

    /// Reopen a reply stream after the event `last` with GET and
    /// `Last-Event-ID`, first waiting `delay`, then retrying with backoff
    /// while the server cannot be reached, for up to `resume_for`.
    async fn resume(
        &self,
        last: &str,
        mut delay: Duration,
        why: &str,
        epoch: u64,
    ) -> Result<EventReader, UpstreamError> {
        let lost = |cause: String| UpstreamError::Lost {
            url: self.url_text.clone(),
            cause,
        };
        let id = HeaderValue::from_str(last)
            .map_err(|_| lost(format!("{why}; its event id cannot be sent back")))?;
        let deadline = Instant::now() + self.resume_for;
        let mut backoff = Backoff::streams();
        loop {
            if !delay.is_zero() {
                tracing::info!("{why}; resuming it in {} ms", delay.as_millis());
                tokio::time::sleep(delay.min(deadline.saturating_duration_since(Instant::now())))
                    .await;
            }
            let answer = self
                .auth
                .send(|| {
                    self.request(Method::GET, false)
                        .header(ACCEPT, "text/event-stream")
                        .header("last-event-id", id.clone())
                })
                .await?;
            let failure = match answer {
                Ok(resp) if resp.status().is_success() => {
                    if content_type(&resp) != "text/event-stream" {
                        return Err(lost(format!(
                            "{why}; the server answered the resume with {:?}, not an event stream",
                            content_type(&resp)
                        )));
                    }
                    self.link.reachable("resuming a reply stream");
                    tracing::info!("reply stream resumed after event {last}");
                    return Ok(EventReader::new(resp, &self.url_text, self.limit));
                }
                Ok(resp) => {
                    let status = resp.status();
                    let e = status_error(resp, &self.url_text).await;
                    let passing = status.is_server_error() || matches!(status.as_u16(), 408 | 429);
                    if !passing {
                        if e.is_lost_session() && self.session.has_id() {
                            self.link.report_lost(epoch, e.to_string());
                        }
                        return Err(lost(format!("{why}; the server cannot resume it: {e}")));
                    }
                    e.to_string()
                }
                Err(e) => {
                    let e = UpstreamError::from_reqwest(&self.url_text, &e);
                    self.link.unreachable(&e);
                    e.to_string()
                }
            };
            if Instant::now() >= deadline {
                return Err(lost(format!(
                    "{why}; resuming it failed for {} s: {failure}",
                    self.resume_for.as_secs()
                )));
            }
            delay = backoff.next_delay(None);
            tracing::info!("resuming the reply stream: {failure}");
        }
    }

    /// Deliver the messages of one body or event (one message or a batch)
    /// that answers `out.sent`.
    async fn deliver(
        &self,
        items: Vec<Result<Message, jsonrpc::Invalid>>,
        out: &mut Answer<'_>,
        router: &Router,
    ) {
        let sent = out.sent;
        for item in items {
            let mut m = match item {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!("dropped a message from the server that is not JSON-RPC: {e}");
                    continue;
                }
            };
            if m.kind == Kind::Response && sent.kind == Kind::Request {
                if m.id.is_none() && m.is_error {
                    // An error the server could not tie to a request (id null)
                    // answers the one we sent.
                    match null_error_as_answer(&m, sent.id.as_ref()) {
                        Some(fixed) => m = fixed,
                        None => continue,
                    }
                }
                if m.id == sent.id {
                    out.answered = true;
                    if out.initialize && !m.is_error {
                        self.session
                            .set_version(jsonrpc::result_str_field(&m.raw, "protocolVersion"));
                    }
                    if out.how.capture {
                        out.captured = Some(m);
                        continue;
                    }
                }
            }
            if out
                .how
                .quiet
                .is_some_and(|q| m.method.as_deref() == Some(q))
            {
                tracing::debug!("not forwarded: {}", q_name(&m));
                continue;
            }
            router.deliver(m).await;
        }
    }

    /// Open the standalone GET stream for server-initiated messages,
    /// replacing any earlier one. The returned receiver fires once the first
    /// attempt has its answer (stream open, 405, or a failure), so the caller
    /// can hold `notifications/initialized` until then: servers drop what they
    /// send on this stream before it is open, and many send right away.
    pub fn start_get_stream(self: &Arc<Self>, router: Arc<Router>) -> oneshot::Receiver<()> {
        let this = Arc::clone(self);
        let (ready_tx, ready_rx) = oneshot::channel();
        let task = tokio::spawn(async move { this.run_get_stream(&router, ready_tx).await });
        if let Some(old) = self
            .get_stream
            .lock()
            .expect("get_stream lock")
            .replace(task.abort_handle())
        {
            old.abort();
        }
        ready_rx
    }

    /// Open the GET stream afresh if one is running (it may sit on a dead
    /// connection that no error will ever report).
    pub fn restart_get_stream(self: &Arc<Self>, router: Arc<Router>) {
        if self.get_stream.lock().expect("get_stream lock").is_some() {
            tracing::info!("reopening the GET stream");
            drop(self.start_get_stream(router));
        }
    }

    /// Stop the GET stream, if one is open.
    pub fn stop_get_stream(&self) {
        if let Some(old) = self.get_stream.lock().expect("get_stream lock").take() {
            old.abort();
        }
    }

    async fn run_get_stream(&self, router: &Router, ready: oneshot::Sender<()>) {
        let epoch = self.session.epoch();
        let mut ready = Some(ready);
        let mut cursor = Cursor::default();
        let mut backoff = Backoff::streams();
        loop {
            let last = cursor
                .last
                .as_deref()
                .and_then(|i| HeaderValue::from_str(i).ok());
            let build = || {
                let req = self
                    .request(Method::GET, false)
                    .header(ACCEPT, "text/event-stream");
                match &last {
                    Some(id) => req.header("last-event-id", id.clone()),
                    None => req,
                }
            };
            cursor.resumed = cursor.last.is_some();
            let answer = match self.auth.send(build).await {
                Ok(a) => a,
                Err(e) => {
                    ready.take().map(|r| r.send(()));
                    tracing::warn!("GET stream: {e}; not reopening it");
                    return;
                }
            };
            // The first attempt is the one the caller waits for.
            let first = ready.take().map(|r| r.send(())).is_some();
            match answer {
                Err(e) => {
                    let e = UpstreamError::from_reqwest(&self.url_text, &e);
                    tracing::info!("GET stream: {e}");
                    self.link.unreachable(&format_args!("the GET stream: {e}"));
                }
                Ok(resp) if resp.status() == StatusCode::METHOD_NOT_ALLOWED => {
                    tracing::info!("the server offers no GET stream (HTTP 405); not retrying");
                    return;
                }
                Ok(resp) if !resp.status().is_success() => {
                    let status = resp.status();
                    let e = status_error(resp, &self.url_text).await;
                    // The first GET goes out just before `initialized`; a server
                    // that wants that first gets one more try.
                    if matches!(status.as_u16(), 400 | 404) && !first {
                        if e.is_lost_session() && self.session.has_id() {
                            // The server forgot the session (it restarted, or
                            // it expired): the keeper starts a new one, which
                            // opens a new GET stream.
                            self.link
                                .report_lost(epoch, format!("the GET stream was refused: {e}"));
                        } else {
                            tracing::warn!("GET stream refused, not retrying: {e}");
                        }
                        return;
                    }
                    tracing::info!("GET stream: {e}");
                }
                Ok(resp) if content_type(&resp) != "text/event-stream" => {
                    tracing::warn!(
                        "GET stream answered with content-type {:?}, not an event stream; not retrying",
                        content_type(&resp)
                    );
                    return;
                }
                Ok(resp) => {
                    tracing::debug!("GET stream open");
                    self.link.reachable("the GET stream");
                    let mut events = EventReader::new(resp, &self.url_text, self.limit);
                    loop {
                        match events.next().await {
                            Ok(Some(ev)) => {
                                backoff.reset();
                                if !self.note(&ev, &mut cursor, epoch) {
                                    continue;
                                }
                                if ev.has_message() {
                                    super::deliver_unsolicited(
                                        ev.data.unwrap_or_default().into(),
                                        router,
                                    )
                                    .await;
                                }
                            }
                            Ok(None) => {
                                tracing::debug!("GET stream closed by the server");
                                break;
                            }
                            Err(e) => {
                                tracing::info!("GET stream: {e}");
                                break;
                            }
                        }
                    }
                }
            }
            let delay = backoff.next_delay(cursor.retry);
            tracing::info!("reopening the GET stream in {} ms", delay.as_millis());
            tokio::time::sleep(delay).await;
        }
    }

    /// End the session with DELETE (405 is fine), giving up after `limit`.
    pub async fn close(&self, limit: Duration) {
        self.stop_get_stream();
        if !self.session.has_id() {
            return;
        }
        let req = self
            .auth
            .send_without_sign_in(|| self.request(Method::DELETE, false).timeout(limit));
        match tokio::time::timeout(limit, req).await {
            Ok(Ok(Ok(resp))) => tracing::debug!("session closed (HTTP {})", resp.status()),
            Ok(Err(e)) => tracing::info!("closing the session: {e}"),
            Ok(Ok(Err(e))) => tracing::info!(
                "closing the session: {}",
                UpstreamError::from_reqwest(&self.url_text, &e)
            ),
            Err(_) => tracing::info!("closing the session: no answer within {limit:?}"),
        }
    }
}

/// The server's id-less error, rewritten as the answer to `id`, keeping its
/// code and words.
fn null_error_as_answer(m: &Message, id: Option<&Id>) -> Option<Message> {
    let id = id?;
    let e = jsonrpc::error_object(&m.raw);
    let (code, message, data) = match e {
        Some(e) => (
            e.code.unwrap_or(jsonrpc::UPSTREAM_ERROR),
            e.message
                .unwrap_or_else(|| "the server reported an error".into()),
            e.data,
        ),
        None => (
            jsonrpc::UPSTREAM_ERROR,
            "the server reported an error".into(),
            None,
        ),
    };
    jsonrpc::classify(jsonrpc::error_response(Some(id), code, &message, data)).ok()
}

fn q_name(m: &Message) -> &str {
    m.method.as_deref().unwrap_or("")
}

/// How one POST is sent and where its answer goes.
#[derive(Debug, Default)]
pub struct Post {
    /// Send the session id and negotiated version (the handshake era).
    pub session: bool,
    /// Extra headers for this POST (the 2026-07-28 routing headers).
    pub extra: Option<HeaderMap>,
    /// Hand the answer to the sent request back instead of delivering it.
    pub capture: bool,
    /// A notification method not to forward to the client.
    pub quiet: Option<&'static str>,
}

impl Post {
    /// A handshake-era POST: session headers on, answer delivered.
    pub fn session() -> Self {
        Post {
            session: true,
            ..Post::default()
        }
    }
}

/// The state of reading one POST's reply.
struct Answer<'a> {
    sent: &'a Message,
    initialize: bool,
    how: &'a Post,
    captured: Option<Message>,
    /// The answer to `sent` has arrived (captured or delivered).
    answered: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_ids_are_per_session_and_bounded() {
        let mut seen = Seen::default();
        assert!(seen.first_time(1, "a"));
        assert!(!seen.first_time(1, "a"), "a replayed event");
        assert!(seen.first_time(2, "a"), "a new session starts afresh");
        for i in 0..SEEN_CAP {
            assert!(seen.first_time(2, &i.to_string()));
        }
        assert_eq!(seen.order.len(), SEEN_CAP);
        assert!(seen.first_time(2, "a"), "the oldest id was forgotten");
        let long = "x".repeat(SEEN_ID_MAX + 1);
        assert!(
            seen.first_time(2, &long) && seen.first_time(2, &long),
            "not kept"
        );
    }
}
