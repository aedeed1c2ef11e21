//! The Streamable HTTP transport (MCP 2025-03-26 and later): one POST per
//! message ([`post`]), answered with JSON or with a reply stream that is
//! resumed when it breaks ([`reply_stream`]), the standalone GET stream for
//! what the server sends on its own ([`get_stream`]), and DELETE at the end.
//!
//! The caller says which session headers (or 2026-07-28 routing headers) go
//! on each request; the transport keeps no session of its own beyond the
//! event ids it has delivered, to drop what a resumed stream replays.

mod get_stream;
mod post;
mod reply_stream;

pub use post::{Others, Posted, Reply};
pub use reply_stream::ReplyStream;

use crate::http::error::UpstreamError;
use crate::sync::Locked;
use crate::transport::Endpoint;
use reqwest::header::HeaderMap;
use reqwest::Method;
use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;
use std::time::Duration;
use tokio::task::AbortHandle;

/// Session header name.
pub const SESSION_HEADER: &str = "mcp-session-id";
/// Negotiated-version header name (2025-06-18 and later).
pub const VERSION_HEADER: &str = "mcp-protocol-version";
/// How many delivered event ids are remembered to drop replayed duplicates.
const SEEN_CAP: usize = 4096;
/// Longer event ids are not remembered (nor deduplicated).
const SEEN_ID_MAX: usize = 256;

/// One remote server reached over Streamable HTTP.
pub struct StreamableHttp {
    server: Endpoint,
    /// How long a broken reply stream keeps being resumed.
    resume_for: Duration,
    seen: Mutex<Seen>,
    get_stream: Mutex<Option<AbortHandle>>,
}

impl StreamableHttp {
    /// A transport for `server`, resuming a broken reply stream for up to
    /// `resume_for`.
    pub fn new(server: Endpoint, resume_for: Duration) -> Self {
        StreamableHttp {
            server,
            resume_for,
            seen: Mutex::new(Seen::default()),
            get_stream: Mutex::new(None),
        }
    }

    /// The server URL as text, for messages.
    pub fn url(&self) -> &str {
        self.server.url_text()
    }

    /// A request with the user's headers and `extra` (session or routing headers).
    fn request(&self, method: Method, extra: &HeaderMap) -> crate::http::wire::Outgoing {
        self.server.request(method, self.server.url.clone(), extra)
    }

    /// The HTTP layer requests go through (whether the server answered,
    /// a sign-in under way).
    pub fn layer(&self) -> &crate::http::Http {
        &self.server.http
    }

    /// Which credentials requests go with now (see [`crate::http::Http::credentials`]).
    pub async fn credentials(&self) -> Option<u64> {
        self.server.http.credentials().await
    }

    /// True the first time event `id` is seen in session `epoch`.
    fn first_time(&self, epoch: u64, id: &str) -> bool {
        self.seen.locked().first_time(epoch, id)
    }

    /// End the session with DELETE (405 is fine), giving up after `limit`.
    pub async fn delete(&self, session: &HeaderMap, limit: Duration) {
        self.stop_get_stream();
        let req = self
            .server
            .http
            .send_without_sign_in(|| self.request(Method::DELETE, session).timeout(limit));
        match tokio::time::timeout(limit, req).await {
            Ok(Ok(resp)) => tracing::debug!("session closed (HTTP {})", resp.status()),
            Ok(Err(e)) => tracing::info!("closing the session: {e}", e = crate::text::Chain(&e)),
            Err(_) => tracing::info!("closing the session: no answer within {limit:?}"),
        }
    }

    /// The error for a failed request that the server answered `status`.
    async fn refused(&self, resp: reqwest::Response) -> UpstreamError {
        crate::http::body::status_error(resp, self.url(), self.server.limit).await
    }
}

/// Event ids already delivered in the current session. The specification
/// makes them unique across a session's streams, and servers replay by
/// position, some (server-everything) from every stream: a resumed stream's
/// event with a known id was delivered already.
///
/// An id is kept as its 64-bit SipHash under this process's random key: one
/// hash per event and no allocation (the ids themselves, in two
/// collections, cost about 2% of the instructions of a relayed call). Two
/// ids of a session would have to collide for a new event to be taken for a
/// replay: about one chance in 2^52 with all 4,096 kept, and a server cannot
/// aim for it without the key.
#[derive(Default)]
struct Seen {
    epoch: u64,
    key: std::collections::hash_map::RandomState,
    ids: HashSet<u64, std::hash::BuildHasherDefault<Spread>>,
    order: VecDeque<u64>,
}

impl Seen {
    /// Remember `id` for session `epoch`; false when it was seen before.
    fn first_time(&mut self, epoch: u64, id: &str) -> bool {
        use std::hash::BuildHasher;
        if epoch != self.epoch {
            self.ids.clear();
            self.order.clear();
            self.epoch = epoch;
        }
        if id.len() > SEEN_ID_MAX {
            return true;
        }
        let hash = self.key.hash_one(id);
        if !self.ids.insert(hash) {
            return false;
        }
        if self.order.len() >= SEEN_CAP {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
        self.order.push_back(hash);
        true
    }
}

/// The hasher of [`Seen`]'s set, whose keys are keyed SipHashes already:
/// it passes them on.
#[derive(Default)]
struct Spread(u64);

impl std::hash::Hasher for Spread {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
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

impl Cursor {
    /// Note `ev`'s id and `retry:` hint. False when a resumed stream replays
    /// an event delivered already in session `epoch`, which is then dropped.
    fn note(&mut self, ev: &super::event_stream::Event, http: &StreamableHttp, epoch: u64) -> bool {
        if let Some(ms) = ev.retry {
            self.retry = Some(Duration::from_millis(ms));
        }
        let Some(id) = &ev.id else {
            return true;
        };
        let first = http.first_time(epoch, id);
        // The buffer of the last id is reused: one allocation a stream.
        match &mut self.last {
            Some(last) => {
                last.clear();
                last.push_str(id);
            }
            None => self.last = Some(id.clone()),
        }
        if !first && self.resumed {
            tracing::debug!("dropped a replayed event that was delivered already");
            return false;
        }
        true
    }
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
