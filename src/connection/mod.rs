//! The connection to the server: one [`State`] value (era, transport,
//! session, phase), the era and transport negotiation ([`negotiate`]), the
//! one path that starts a new session in place of a lost one ([`renew`]),
//! pings ([`keepalive`]), and sending each client message the way the era
//! asks.
//!
//! The relay above hands every client message here and gets back how the
//! exchange ended; server messages go to the sink the relay reads. Nothing
//! here writes stdout or knows which requests the client still waits for.

pub mod era;
pub mod keepalive;
pub mod negotiate;
pub mod renew;
pub mod setup;
pub mod state;

pub use negotiate::{Choice, Protocol};
pub use state::{State, Transport};

use crate::http::error::{ErrorKind, UpstreamError};
use crate::http::retry;
use crate::http::Http;
use crate::jsonrpc::{self, Id, Message, MessageKind, Method};
use crate::protocol::stateless::envelope::{complete_envelope, request_version, routing_headers};
use crate::protocol::stateless::modern::Modern;
use crate::protocol::{self, HANDSHAKE_VERSIONS, MODERN};
use crate::sync::Locked;
use crate::text::Chain;
use crate::transport::sse::Sse;
use crate::transport::streamable_http::{Others, Posted, StreamableHttp};
use crate::transport::{Endpoint, Event, Sink};
use era::{Era, EraMemory};
use reqwest::header::HeaderMap;
use setup::Setup;
use state::{Link, StateCell};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// How long `notifications/initialized` waits for the GET stream to open.
pub(crate) const GET_READY_LIMIT: Duration = Duration::from_secs(2);
/// How long the DELETE that ends the session may take.
const CLOSE_LIMIT: Duration = Duration::from_millis(900);
/// In the start window, the last retry comes this long before its end, so
/// that its failure still reaches the client inside the window; a first
/// connection is tried for this long, at the end, when nothing answered.
const START_LAST_TRY: Duration = Duration::from_secs(1);
/// How many new sessions one request refused for a lost session may wait for.
const RENEWALS_PER_REQUEST: usize = 2;

/// How the connection behaves, from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Which transports to try (`--transport`).
    pub transport: Choice,
    /// Which protocol eras may be spoken upstream (`--protocol`).
    pub protocol: Protocol,
    /// How long a message keeps being retried while the server cannot be reached.
    pub retry_for: Duration,
    /// How long the client's first requests wait for a server that has not
    /// answered yet (`--start-timeout`); zero for `retry_for`.
    pub start_for: Duration,
    /// The largest message accepted from the server, in bytes.
    pub max_message: usize,
    /// Where the era found is remembered between starts.
    pub era: EraMemory,
    /// Extensions the bridge supports for the client (its sign-in grants),
    /// declared in the client capabilities of 2026-07-28 requests it makes.
    pub extensions: Vec<String>,
}

/// How an exchange ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    /// The answer went to the sink.
    Yes,
    /// The answer will come on the HTTP+SSE stream.
    Later,
    /// The reply ended without an answer.
    No,
}

/// The era and transport a running connection settled on, for `check`.
pub struct Description {
    /// The 2026-07-28 revision spoken upstream, when it is.
    pub modern: Option<String>,
    /// The era, in words.
    pub era: &'static str,
    /// The transport, as people call it.
    pub transport: &'static str,
    /// What `--protocol auto` found, and whether an earlier start had
    /// found it (so no probe was made).
    pub detected: Option<(Era, bool)>,
}

/// The connection to one server.
pub struct Connection {
    http: Arc<StreamableHttp>,
    /// Requests of revision 2026-07-28, relayed or translated.
    modern: Arc<Modern>,
    sse: Arc<Sse>,
    state: StateCell,
    settings: Settings,
    era: EraMemory,
    detected: Mutex<Option<(Era, bool)>>,
    setup: Mutex<Setup>,
    sink: Sink,
    events: crate::transport::Events,
    /// What background streams report, until [`Connection::start`] takes it.
    reports: Mutex<Option<mpsc::UnboundedReceiver<Event>>>,
    /// One renewal at a time; requests that failed together share it.
    renewing: tokio::sync::Mutex<()>,
    /// When the start window ends (see [`Connection::reaching`]).
    start_ends: std::sync::OnceLock<tokio::time::Instant>,
}

impl Connection {
    /// A connection to `url` through `http`, sending `headers` on every
    /// request; server messages go to `sink`.
    pub fn new(
        http: Http,
        url: url::Url,
        headers: HeaderMap,
        settings: Settings,
        sink: Sink,
    ) -> Arc<Self> {
        let (events, events_rx) = mpsc::unbounded_channel();
        let server = Endpoint {
            http,
            url,
            headers,
            limit: settings.max_message,
        };
        let http = Arc::new(StreamableHttp::new(server.clone(), settings.retry_for));
        let conn = Connection {
            modern: Arc::new(Modern::new(Arc::clone(&http), sink.clone())),
            http,
            sse: Arc::new(Sse::new(server, sink.clone(), events.clone())),
            state: StateCell::default(),
            era: settings.era.clone(),
            detected: Mutex::new(None),
            settings,
            setup: Mutex::new(Setup::default()),
            sink,
            events,
            reports: Mutex::new(Some(events_rx)),
            renewing: tokio::sync::Mutex::new(()),
            start_ends: std::sync::OnceLock::new(),
        };
        Arc::new(conn)
    }

    /// Start the background work: acting on what streams report, and pings
    /// every `ping_every`. The tasks run until aborted.
    pub fn start(self: &Arc<Self>, ping_every: Option<Duration>) -> Vec<tokio::task::AbortHandle> {
        let mut tasks = Vec::new();
        if let Some(reports) = self.reports.locked().take() {
            tasks.push(tokio::spawn(Arc::clone(self).supervise(reports)).abort_handle());
        }
        if let Some(every) = ping_every {
            tasks.push(tokio::spawn(Arc::clone(self).keep_alive(every)).abort_handle());
        }
        tasks
    }

    /// The server URL, for messages.
    pub fn url(&self) -> &str {
        self.http.url()
    }

    /// What a person must do for a sign-in that goes on without this
    /// process, when one is under way.
    pub fn pending_sign_in(&self) -> Option<String> {
        self.http.layer().pending_sign_in()
    }

    /// Note what `--protocol auto` found, and whether it was remembered.
    fn detected(&self, era: Era, remembered: bool) {
        *self.detected.locked() = Some((era, remembered));
    }

    /// Which era and transport the connection settled on; `None` until decided.
    pub fn describe(&self) -> Option<Description> {
        let detected = *self.detected.locked();
        match self.state.now() {
            State::Unknown | State::Closed => None,
            State::Handshake { link, .. } => Some(Description {
                modern: None,
                era: "handshake era, with a session",
                transport: link.transport.name(),
                detected,
            }),
            State::Modern { version } => Some(Description {
                modern: Some(version),
                era: "stateless era",
                transport: Transport::Http.name(),
                detected,
            }),
            State::Translated(_) => Some(Description {
                modern: Some(MODERN.to_owned()),
                era: "stateless era, translated for handshake-era clients",
                transport: Transport::Http.name(),
                detected,
            }),
        }
    }

    /// Send one client request (not `initialize`), whose id is `id`, the
    /// way the era asks.
    pub async fn request(&self, m: &Message, id: &Id) -> Result<Answered, UpstreamError> {
        match self.state.now() {
            State::Handshake { .. } => self.handshake_request(m).await,
            State::Translated(t) => {
                let answer = t.request(m, id).await?;
                let _ = self.sink.send(answer).await;
                Ok(Answered::Yes)
            }
            State::Modern { version } => {
                // Each request names its own version; other messages use the era's.
                let own = request_version(&m.raw).unwrap_or(version);
                self.stateless_request(m, &own).await
            }
            State::Unknown => match self.modern_version(m) {
                Some(v) => self.stateless_request(m, &v).await,
                None => self.handshake_request(m).await,
            },
            State::Closed => Err(UpstreamError::new(
                ErrorKind::Connect,
                self.url(),
                "the bridge is shutting down",
            )),
        }
    }

    /// Before any era is decided: the 2026-07-28 version `m` asks for, if
    /// it is a request of that revision (which then decides the era).
    fn modern_version(&self, m: &Message) -> Option<String> {
        let version = (m.kind() == MessageKind::Request)
            .then(|| request_version(&m.raw))
            .flatten()
            .filter(|v| !HANDSHAKE_VERSIONS.contains(&v.as_str()));
        match version {
            Some(v) => {
                tracing::info!(
                    "protocol era: {v} (the client's requests carry it); relaying statelessly"
                );
                self.state.modern(&v);
                Some(v)
            }
            // A probe without an envelope: relay it as the newest revision.
            None if m.is(&Method::Discover) => Some(MODERN.to_owned()),
            None => None,
        }
    }

    /// A notification or response from the client.
    pub async fn notify(&self, m: Message) {
        match self.state.now() {
            State::Translated(t) => t.from_client(m),
            // 2026-07-28 over HTTP cancels by closing the request's
            // stream, which the relay did when it stopped the request.
            State::Modern { .. } if m.is(&Method::Cancelled) => {
                tracing::debug!("not posted to a 2026-07-28 server: the cancellation closed the request's stream");
            }
            State::Modern { version } => {
                if let Err(e) = self.stateless_notify(&m, &version).await {
                    let (what, e) = (m.describe(), Chain(&e));
                    tracing::debug!("{what} from the client was not delivered: {e}");
                }
            }
            State::Closed => {}
            State::Handshake { .. } | State::Unknown => {
                // Not on a session being replaced: on the new one.
                self.state.settled(self.settings.retry_for).await;
                if let Err(e) = self.send_handshake(&m).await {
                    let (what, e) = (m.describe(), Chain(&e));
                    tracing::warn!("a {what} from the client was not delivered: {e}");
                }
            }
        }
    }

    /// The client's `notifications/initialized`: its session is up. The
    /// GET stream is opened first, so that whatever the server sends on it
    /// as soon as it hears `initialized` is not lost; the caller waits for
    /// this before it reads the client's next message.
    pub async fn initialized(&self, m: Message) {
        if matches!(
            self.state.now(),
            State::Translated(_) | State::Modern { .. }
        ) {
            return self.notify(m).await;
        }
        self.state.client_initialized();
        if let Some(link) = self.state.link().filter(|l| l.transport == Transport::Http) {
            let ready = self.open_get_stream(&link);
            if tokio::time::timeout(GET_READY_LIMIT, ready).await.is_err() {
                tracing::info!("the GET stream is slow to open; sending initialized anyway");
            }
        }
        if let Err(e) = self.send_handshake(&m).await {
            let e = Chain(&e);
            tracing::warn!("notifications/initialized was not delivered: {e}");
        }
    }

    /// The bridge gave up on request `id` (past `--request-timeout`): tell a
    /// handshake-era server, so it can stop the work. (A stateless request
    /// is cancelled by closing its stream, which stopping it did.)
    pub fn cancel_upstream(self: &Arc<Self>, id: &Id) {
        if !matches!(self.state.now(), State::Handshake { .. }) {
            return;
        }
        let m = protocol::cancelled(id, "mcp-bridge: request timeout");
        let this = Arc::clone(self);
        tokio::spawn(async move {
            if let Err(e) = this.send_handshake(&m).await {
                tracing::debug!("the cancellation was not delivered: {e}", e = Chain(&e));
            }
        });
    }

    /// End the session: DELETE over Streamable HTTP, close every stream.
    pub async fn close(&self) {
        let was = self.state.now();
        self.state.close("the client is gone");
        self.sse.stop();
        self.http.stop_get_stream();
        if let Some(link) = was.link() {
            if link.transport == Transport::Http && link.id.is_some() {
                self.http.delete(&link.headers(), CLOSE_LIMIT).await;
            }
        }
    }

    /// A handshake-era request: sent on the current session (waiting while a
    /// new one is being started), retried while the server cannot be
    /// reached, and sent once more on a new session when the server lost
    /// the old one (it refused the request, so it did not run); twice at
    /// most, because behind a load balancer the first new session can be
    /// lost at once: an answer to a request of the old session, from
    /// another replica, moves the affinity cookie off it.
    async fn handshake_request(&self, m: &Message) -> Result<Answered, UpstreamError> {
        self.setup.locked().request_sent(m);
        let retry_for = self.settings.retry_for;
        self.state.settled(retry_for).await;
        let send = || retry::while_unreachable(retry_for, || self.send_handshake(m));
        let mut link = self.state.link();
        let mut result = send().await;
        let mut renewals = 0;
        loop {
            let Some(on) = link.filter(|l| l.id.is_some()) else {
                return result;
            };
            match result {
                Err(e) if renewals < RENEWALS_PER_REQUEST && self.lost(&e, &on) => {
                    renewals += 1;
                    if let Err(e2) = self.renew(on.epoch, &Chain(&e).to_string()).await {
                        return Err(e.noted(format!("; {e2}", e2 = Chain(&e2))));
                    }
                    tracing::info!("sending {} again on the new session", m.describe());
                    link = self.state.link();
                    result = send().await;
                }
                Err(e) if e.session_gone() => {
                    // The request ran (its reply stream could not be resumed),
                    // or was refused too often: it is not sent again; the
                    // session is renewed all the same.
                    let _ = self.events.send(Event::SessionGone {
                        epoch: on.epoch,
                        why: Chain(&e).to_string(),
                    });
                    return Err(e);
                }
                other => return other,
            }
        }
    }

    /// True when `e`, for a request sent on the session `link`, means the
    /// server refused it because it no longer knows that session (so it did
    /// not run), and there is a setup to replay.
    fn lost(&self, e: &UpstreamError, link: &Link) -> bool {
        link.id.is_some()
            && link.transport == Transport::Http
            && e.kind() == ErrorKind::Status
            && e.session_gone()
            && self.setup.locked().initialized()
    }

    /// Send one handshake-era message on the current session, once.
    async fn send_handshake(&self, m: &Message) -> Result<Answered, UpstreamError> {
        self.send_on(self.state.link().as_ref(), m).await
    }

    /// Send one handshake-era message on the session `link` (none yet:
    /// without session headers), once.
    async fn send_on(&self, link: Option<&Link>, m: &Message) -> Result<Answered, UpstreamError> {
        match link.map(|l| l.transport) {
            Some(Transport::Sse) => {
                self.health(self.sse.send(m).await)?;
                Ok(Answered::Later)
            }
            None if self.settings.transport == Choice::SseOnly => Err(UpstreamError::new(
                ErrorKind::Handshake,
                self.url(),
                "no HTTP+SSE stream is open yet (the client has not sent initialize)",
            )),
            Some(Transport::Http) | None => {
                let (headers, epoch) =
                    link.map_or((HeaderMap::new(), 0), |l| (l.headers(), l.epoch));
                let posted = self.post(m, &headers, epoch).await?;
                Ok(if posted.relay(m, &self.sink).await? {
                    Answered::Yes
                } else {
                    Answered::No
                })
            }
        }
    }

    /// Send the request `m` of the stateless revision `version` (no
    /// session; the headers that revision asks), retried while the server
    /// cannot be reached.
    async fn stateless_request(
        &self,
        m: &Message,
        version: &str,
    ) -> Result<Answered, UpstreamError> {
        let completed =
            complete_envelope(&m.raw, version).and_then(|raw| jsonrpc::classify(raw).ok());
        let m = completed.as_ref().unwrap_or(m);
        let answer = self
            .reaching(|within| {
                retry::while_unreachable(within, || {
                    self.modern.request(m, version, std::convert::identity)
                })
            })
            .await?;
        let _ = self.sink.send(answer).await;
        Ok(Answered::Yes)
    }

    /// Send the notification `m` of the stateless revision `version`.
    async fn stateless_notify(
        &self,
        m: &Message,
        version: &str,
    ) -> Result<Answered, UpstreamError> {
        let headers = routing_headers(m, version);
        let sent = retry::while_unreachable(self.settings.retry_for, || async {
            let posted = self.http.post_stateless(m, &headers).await?;
            posted.relay(m, &self.sink).await
        })
        .await?;
        Ok(if sent { Answered::Yes } else { Answered::No })
    }

    /// Run `work`, which waits up to the duration it is given while the
    /// server cannot be reached. Once the server has answered anything,
    /// that is `--retry-timeout`. Before, it is what is left of the start
    /// window (`--start-timeout`), which opens with the client's first
    /// request: the client shows the bridge's reason, not its own timeout,
    /// even when it asks twice (a dual-era client asks `server/discover`,
    /// then `initialize`). The last retry comes [`START_LAST_TRY`] before
    /// the window ends; if nothing has answered by then, a TCP connection
    /// to the first hop (the proxy, or the server) is tried for that last
    /// stretch. One that opens means a server slow to answer (or a sign-in
    /// under way), which is waited for as usual; one that does not (a
    /// firewall dropping packets, a name nobody answers for) fails the
    /// request then. After the window, a request gets one try of that
    /// length.
    async fn reaching<T, F, Fut>(&self, work: F) -> Result<T, UpstreamError>
    where
        F: FnOnce(Duration) -> Fut,
        Fut: std::future::Future<Output = Result<T, UpstreamError>>,
    {
        let retry_for = self.settings.retry_for;
        let window = self.settings.start_for.min(retry_for);
        if self.http.layer().answered() || window.is_zero() {
            return work(retry_for).await;
        }
        // Boxed: the window is the rare case, and the future of every
        // request (moved into its task) stays the size it was.
        Box::pin(self.in_start_window(window, work)).await
    }

    /// [`Connection::reaching`] before the server ever answered.
    async fn in_start_window<T, F, Fut>(
        &self,
        window: Duration,
        work: F,
    ) -> Result<T, UpstreamError>
    where
        F: FnOnce(Duration) -> Fut,
        Fut: std::future::Future<Output = Result<T, UpstreamError>>,
    {
        let now = tokio::time::Instant::now();
        let ends = *self.start_ends.get_or_init(|| now + window);
        let until = ends.max(now + START_LAST_TRY);
        let work = work((until - now).saturating_sub(START_LAST_TRY));
        tokio::pin!(work);
        tokio::select! {
            done = &mut work => return done,
            () = tokio::time::sleep_until(until - START_LAST_TRY) => {}
        }
        if self.http.layer().answered() {
            return work.await;
        }
        // Still no answer, a second before the window ends: can a
        // connection be opened at all? A server that takes one is only
        // slow (or cold), and is waited for; a firewall that drops
        // packets, or a name nobody answers for, is the reason to give now.
        let opens = self.http.layer().first_hop_opens(START_LAST_TRY);
        let why = tokio::select! {
            done = &mut work => return done,
            opened = opens => match opened {
                Ok(()) => return work.await,
                Err(why) => why,
            },
        };
        // The request's own error says it best when it comes in time.
        tokio::select! {
            done = &mut work => done,
            () = tokio::time::sleep_until(until) => {
                let url = self.url();
                Err(UpstreamError::new(
                    ErrorKind::Connect,
                    url,
                    format!(
                        "no connection could be opened in {} s: {why} (a firewall, a proxy or the name may be in the way; `mcp-bridge doctor {url}` shows which)",
                        (until - now).as_secs_f64().round(),
                    ),
                ))
            }
        }
    }

    /// The server said its tools changed.
    pub fn tools_changed(&self) {
        self.modern.tools_changed();
    }

    /// POST on Streamable HTTP, noting whether the server answered.
    async fn post(
        &self,
        m: &Message,
        headers: &HeaderMap,
        epoch: u64,
    ) -> Result<Posted, UpstreamError> {
        self.health(self.http.post(m, headers, epoch).await)
    }

    /// Note in the state whether a request reached the server.
    fn health<T>(&self, r: Result<T, UpstreamError>) -> Result<T, UpstreamError> {
        match &r {
            Err(e) if e.is_unanswered() => self.state.unreachable(&Chain(&e).to_string()),
            _ => self.state.reachable("a request"),
        }
        r
    }

    /// Send one of the bridge's own requests on the session `link` and wait
    /// (at most `limit` over HTTP+SSE) for its answer, which the client
    /// never sees.
    async fn call_own(
        &self,
        link: &Link,
        m: &Message,
        limit: Duration,
    ) -> Result<Message, UpstreamError> {
        match link.transport {
            Transport::Http => {
                let posted = self.post(m, &link.headers(), link.epoch).await?;
                posted
                    .answer(m, &self.sink, Others::AS_THEY_ARE)
                    .await?
                    .ok_or_else(|| {
                        UpstreamError::lost(
                            self.url(),
                            format!("{} was not answered", m.method_name()),
                        )
                    })
            }
            Transport::Sse => self.health(self.sse.call(m, limit).await),
        }
    }

    /// Open the GET stream of the session `link`; the receiver fires once
    /// its first attempt has an answer.
    fn open_get_stream(&self, link: &Link) -> tokio::sync::oneshot::Receiver<()> {
        self.http.open_get_stream(
            link.headers(),
            link.epoch,
            self.sink.clone(),
            self.events.clone(),
        )
    }
}
