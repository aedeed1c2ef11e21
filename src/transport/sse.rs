//! The HTTP+SSE transport (MCP 2024-11-05, deprecated but still deployed): a
//! GET event stream whose first event, `endpoint`, names the URL to POST each
//! client message to; the server's messages arrive as `message` events.

use super::{
    content_type, deliver_unsolicited, read_body, status_error, EventReader, UpstreamError,
};
use crate::http::retry::Backoff;
use crate::http::Http;
use crate::jsonrpc::{self, Id, Kind};
use crate::relay::Router;
use crate::session::Link;
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, Url};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{watch, Notify};
use tokio::task::AbortHandle;

/// How long a fresh stream may take to name its endpoint.
const ENDPOINT_WAIT: Duration = Duration::from_secs(10);
/// How long a message waits for a reconnecting stream before it fails.
const RECONNECT_WAIT: Duration = Duration::from_secs(30);
/// How long the replayed `initialize` on a reopened stream may take.
const REPLAY_WAIT: Duration = Duration::from_secs(10);

/// The messages that set the client's session up again (see `session::Setup::replay`).
pub type Replay = Box<dyn Fn() -> Vec<jsonrpc::Message> + Send + Sync>;

/// One remote server reached over HTTP+SSE.
pub struct Sse {
    url: Url,
    url_text: String,
    headers: HeaderMap,
    auth: Http,
    limit: usize,
    /// The URL to POST to; `None` while the stream is (re)connecting.
    endpoint: watch::Sender<Option<Url>>,
    stream: Mutex<Option<AbortHandle>>,
    /// Requests posted on the current stream, whose answers it should bring.
    awaiting: Mutex<HashSet<Id>>,
    link: Arc<Link>,
    /// What to send on a reopened stream, which is a new server session.
    replay: OnceLock<Replay>,
    /// Wakes the reader to drop the stream and open a new one.
    kick: Notify,
}

/// Past this many remembered ids, the answered ones are forgotten.
const AWAITING_PRUNE: usize = 1024;

/// A freshly opened stream, positioned just after its `endpoint` event.
struct Opened {
    events: EventReader,
    endpoint: Url,
}

impl Sse {
    /// A transport for the SSE URL `url`, sending `headers` on the GET and on
    /// every POST (with the token `auth` provides), and refusing events
    /// larger than `limit` bytes.
    pub fn new(url: Url, headers: HeaderMap, auth: Http, limit: usize, link: Arc<Link>) -> Self {
        Sse {
            link,
            replay: OnceLock::new(),
            kick: Notify::new(),
            url_text: url.to_string(),
            url,
            headers,
            auth,
            limit,
            endpoint: watch::channel(None).0,
            stream: Mutex::new(None),
            awaiting: Mutex::new(HashSet::new()),
        }
    }

    /// Open the event stream and wait for its endpoint, then keep reading it
    /// (reopening it with backoff when it drops) in a task of its own.
    pub async fn connect(self: &Arc<Self>, router: Arc<Router>) -> Result<(), UpstreamError> {
        self.stop();
        let opened = self.open(None, &router).await?;
        tracing::debug!("HTTP+SSE endpoint: {}", opened.endpoint);
        self.endpoint.send_replace(Some(opened.endpoint.clone()));
        let this = Arc::clone(self);
        let task = tokio::spawn(async move { this.pump(opened, &router).await });
        *self.stream.lock().expect("stream lock") = Some(task.abort_handle());
        Ok(())
    }

    /// Set what a reopened stream replays before anything else is sent on it.
    pub fn set_replay(&self, replay: Replay) {
        let _ = self.replay.set(replay);
    }

    /// Drop the stream and open a new one (a ping failed: the connection
    /// may be dead without any error to say so).
    pub fn reconnect(&self) {
        self.kick.notify_waiters();
    }

    /// Stop reading the stream.
    pub fn stop(&self) {
        if let Some(old) = self.stream.lock().expect("stream lock").take() {
            old.abort();
        }
        self.endpoint.send_replace(None);
    }

    /// GET the stream and read until the `endpoint` event.
    async fn open(&self, last_id: Option<&str>, router: &Router) -> Result<Opened, UpstreamError> {
        let last = last_id.and_then(|i| HeaderValue::from_str(i).ok());
        let build = || {
            let req = self
                .auth
                .request(Method::GET, self.url.clone())
                .headers(self.headers.clone())
                .header(ACCEPT, "text/event-stream");
            match &last {
                Some(id) => req.header("last-event-id", id.clone()),
                None => req,
            }
        };
        let resp = self
            .auth
            .send(build)
            .await?
            .map_err(|e| UpstreamError::from_reqwest(&self.url_text, &e))?;
        if !resp.status().is_success() {
            return Err(status_error(resp, &self.url_text).await);
        }
        let ctype = content_type(&resp);
        if ctype != "text/event-stream" {
            return Err(self.no_endpoint(format!(
                "the GET answered with {}, not an event stream",
                if ctype.is_empty() {
                    "no content-type".to_owned()
                } else {
                    format!("content-type {ctype}")
                }
            )));
        }
        let mut events = EventReader::new(resp, &self.url_text, self.limit);
        let found = tokio::time::timeout(ENDPOINT_WAIT, async {
            loop {
                let Some(ev) = events.next().await? else {
                    return Err(
                        self.no_endpoint("the stream ended before an endpoint event".to_owned())
                    );
                };
                match ev.event.as_deref() {
                    Some("endpoint") => {
                        return self.resolve(&String::from_utf8_lossy(
                            ev.data.as_deref().unwrap_or_default(),
                        ));
                    }
                    _ if ev.has_message() => {
                        deliver_unsolicited(ev.data.unwrap_or_default().into(), router).await;
                    }
                    _ => {}
                }
            }
        })
        .await;
        match found {
            Ok(Ok(endpoint)) => Ok(Opened { events, endpoint }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(self.no_endpoint(format!(
                "no endpoint event within {} s",
                ENDPOINT_WAIT.as_secs()
            ))),
        }
    }

    fn no_endpoint(&self, cause: String) -> UpstreamError {
        UpstreamError::Handshake {
            url: self.url_text.clone(),
            cause,
        }
    }

    fn resolve(&self, data: &str) -> Result<Url, UpstreamError> {
        resolve_endpoint(&self.url, data).map_err(|cause| self.no_endpoint(cause))
    }

    /// Read the stream for as long as the bridge runs, reopening it when it drops.
    async fn pump(&self, opened: Opened, router: &Router) {
        let mut events = opened.events;
        let mut last_id: Option<String> = None;
        let mut server_retry: Option<Duration> = None;
        let mut backoff = Backoff::streams();
        loop {
            let why = loop {
                let next = tokio::select! {
                    next = events.next() => next,
                    () = self.kick.notified() => break "a ping failed".to_owned(),
                };
                match next {
                    Ok(Some(ev)) => {
                        if let Some(id) = ev.id.clone() {
                            last_id = Some(id);
                        }
                        if let Some(ms) = ev.retry {
                            server_retry = Some(Duration::from_millis(ms));
                        }
                        if ev.event.as_deref() == Some("endpoint") {
                            match self.resolve(&String::from_utf8_lossy(
                                ev.data.as_deref().unwrap_or_default(),
                            )) {
                                Ok(url) => {
                                    tracing::info!("the server moved the HTTP+SSE endpoint");
                                    self.endpoint.send_replace(Some(url));
                                }
                                Err(e) => break e.to_string(),
                            }
                        } else if ev.has_message() {
                            deliver_unsolicited(ev.data.unwrap_or_default().into(), router).await;
                        }
                    }
                    Ok(None) => break "the server closed the HTTP+SSE stream".to_owned(),
                    Err(e) => break e.to_string(),
                }
            };
            self.endpoint.send_replace(None);
            tracing::warn!("{why}; reconnecting");
            self.link
                .unreachable(&format_args!("the HTTP+SSE stream: {why}"));
            // Answers to requests already sent would have come on this stream.
            let lost: Vec<Id> = self
                .awaiting
                .lock()
                .expect("awaiting lock")
                .drain()
                .collect();
            for id in lost {
                let e = UpstreamError::Lost {
                    url: self.url_text.clone(),
                    cause: why.clone(),
                };
                router.answer(&id, e.to_response(Some(&id))).await;
            }
            events = loop {
                let delay = backoff.next_delay(server_retry);
                tracing::info!("reopening the HTTP+SSE stream in {} ms", delay.as_millis());
                tokio::time::sleep(delay).await;
                let opened = match self.open(last_id.as_deref(), router).await {
                    Ok(mut o) => {
                        tracing::info!("HTTP+SSE stream reopened; endpoint {}", o.endpoint.path());
                        self.set_up_again(&mut o, router).await.map(|()| o)
                    }
                    Err(e) => Err(e),
                };
                match opened {
                    Ok(o) => {
                        self.link.reachable("the HTTP+SSE stream");
                        self.endpoint.send_replace(Some(o.endpoint));
                        backoff.reset();
                        break o.events;
                    }
                    Err(e) => tracing::info!("HTTP+SSE stream: {e}"),
                }
            };
        }
    }

    /// A reopened stream is a new session on the server: replay the client's
    /// `initialize` (its answer is not forwarded) and the rest of its setup
    /// before any other message may use the new endpoint.
    async fn set_up_again(&self, o: &mut Opened, router: &Router) -> Result<(), UpstreamError> {
        let replay = self.replay.get().map(|f| f()).unwrap_or_default();
        let mut replay = replay.into_iter();
        let Some(init) = replay.next() else {
            return Ok(());
        };
        tracing::info!(
            "the server starts a new session on a new HTTP+SSE stream; initializing it again"
        );
        let mut answered = false;
        let body = self.post(&o.endpoint, &init).await?;
        if let Some(body) = body {
            answered = self.answers(body, init.id.as_ref(), router).await;
        }
        let waited = tokio::time::timeout(REPLAY_WAIT, async {
            while !answered {
                let Some(ev) = o.events.next().await? else {
                    return Err(self.no_endpoint(
                        "the stream ended before the replayed initialize was answered".to_owned(),
                    ));
                };
                if ev.has_message() {
                    let data = ev.data.unwrap_or_default().into();
                    answered = self.answers(data, init.id.as_ref(), router).await;
                }
            }
            Ok(())
        })
        .await;
        match waited {
            Ok(r) => r?,
            Err(_) => {
                return Err(self.no_endpoint(format!(
                    "the replayed initialize had no answer within {} s",
                    REPLAY_WAIT.as_secs()
                )))
            }
        }
        for m in replay {
            // Answers (to the bridge's own ids) arrive on the stream and are dropped.
            if let Some(body) = self.post(&o.endpoint, &m).await? {
                deliver_unsolicited(body, router).await;
            }
        }
        tracing::info!("new HTTP+SSE session set up");
        Ok(())
    }

    /// True when `payload` holds the answer to `id`; anything else in it is delivered.
    async fn answers(&self, payload: bytes::Bytes, id: Option<&Id>, router: &Router) -> bool {
        let Ok(items) = jsonrpc::parse(payload) else {
            return false;
        };
        let mut found = false;
        for m in items.into_iter().flatten() {
            if m.kind == Kind::Response && m.id.as_ref() == id {
                found = true;
                if m.is_error {
                    tracing::warn!("the server refused the replayed initialize");
                }
            } else {
                router.deliver(m).await;
            }
        }
        found
    }

    /// POST `msg` to `endpoint`; a JSON body, if the server sent one, is returned.
    async fn post(
        &self,
        endpoint: &Url,
        msg: &jsonrpc::Message,
    ) -> Result<Option<bytes::Bytes>, UpstreamError> {
        let build = || {
            self.auth
                .request(Method::POST, endpoint.clone())
                .headers(self.headers.clone())
                .header(CONTENT_TYPE, "application/json")
                .header(ACCEPT, "application/json, text/event-stream")
                .body(msg.raw.clone())
        };
        let resp = self.auth.send(build).await?.map_err(|e| {
            let e = UpstreamError::from_reqwest(&self.url_text, &e);
            self.link.unreachable(&e);
            e
        })?;
        if !resp.status().is_success() {
            return Err(status_error(resp, &self.url_text).await);
        }
        if content_type(&resp) != "application/json" {
            return Ok(None);
        }
        let mut resp = resp;
        let body = read_body(&mut resp, &self.url_text, self.limit).await?;
        Ok((!body.iter().all(u8::is_ascii_whitespace)).then_some(body))
    }

    /// POST one client message to the endpoint. Answers arrive on the stream,
    /// except from servers that answer in the POST's body, which is delivered.
    pub async fn send(&self, msg: &jsonrpc::Message, router: &Router) -> Result<(), UpstreamError> {
        let endpoint = self.current_endpoint().await?;
        // Noted before the POST: the answer may come on the stream before it returns.
        if let (Kind::Request, Some(id)) = (msg.kind, &msg.id) {
            let mut awaiting = self.awaiting.lock().expect("awaiting lock");
            if awaiting.len() >= AWAITING_PRUNE {
                awaiting.retain(|id| router.is_pending(id));
            }
            awaiting.insert(id.clone());
        }
        if let Some(body) = self.post(&endpoint, msg).await? {
            deliver_unsolicited(body, router).await;
        }
        Ok(())
    }

    /// The endpoint, waiting (bounded) while the stream reconnects.
    async fn current_endpoint(&self) -> Result<Url, UpstreamError> {
        let mut rx = self.endpoint.subscribe();
        let found = tokio::time::timeout(RECONNECT_WAIT, rx.wait_for(Option::is_some))
            .await
            .ok()
            .and_then(|r| r.ok().and_then(|url| url.clone()));
        match found {
            Some(url) => Ok(url),
            None => Err(UpstreamError::Connect {
                url: self.url_text.clone(),
                cause: format!(
                    "the HTTP+SSE stream has been down for {} s",
                    RECONNECT_WAIT.as_secs()
                ),
            }),
        }
    }
}

/// Resolve an endpoint against the SSE URL `base`; refuse one on another
/// origin, which would send the client's messages (and headers) elsewhere.
fn resolve_endpoint(base: &Url, data: &str) -> Result<Url, String> {
    let data = data.trim();
    let endpoint = base
        .join(data)
        .map_err(|e| format!("the endpoint {data:?} is not a URL: {e}"))?;
    if endpoint.origin() != base.origin() {
        return Err(format!(
            "the server named an endpoint on another origin ({}), which the bridge refuses",
            endpoint.origin().ascii_serialization()
        ));
    }
    Ok(endpoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(base: &str, data: &str) -> Result<Url, String> {
        resolve_endpoint(&Url::parse(base).unwrap(), data)
    }

    #[test]
    fn endpoints_resolve_against_the_stream_url() {
        let base = "http://127.0.0.1:3001/sse";
        assert_eq!(
            resolve(base, "/message?sessionId=abc").unwrap().as_str(),
            "http://127.0.0.1:3001/message?sessionId=abc"
        );
        assert_eq!(
            resolve(base, "messages/?session_id=1").unwrap().as_str(),
            "http://127.0.0.1:3001/messages/?session_id=1"
        );
        assert!(resolve(base, "http://127.0.0.1:3001/m").is_ok());
    }

    #[test]
    fn endpoints_on_another_origin_are_refused() {
        for bad in [
            "https://evil.example.net/m",
            "http://mcp.example.com/m",
            "https://mcp.example.com:8443/m",
            "//evil.example.net/m",
        ] {
            let e = resolve("https://mcp.example.com/sse", bad).unwrap_err();
            assert!(e.contains("another origin"), "{bad}: {e}");
        }
    }
}
