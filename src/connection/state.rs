//! Where the connection stands: ONE value, with the era, the transport, the
//! session ids and the phase inside its variants, so that no impossible
//! combination (a stateless era with a session, a closed connection with a
//! transport) can be written down. It changes only through the event methods
//! of [`StateCell`], which log every change of phase.

use crate::protocol::stateless::Translator;
use crate::transport::streamable_http::{SESSION_HEADER, VERSION_HEADER};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The transport of a handshake-era session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Streamable HTTP.
    Http,
    /// HTTP+SSE.
    Sse,
}

impl Transport {
    /// As people call it.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Http => "Streamable HTTP",
            Transport::Sse => "HTTP+SSE",
        }
    }
}

/// Where a handshake-era session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The client's `initialize` is on its way, or answered but the client
    /// has not sent `initialized` yet.
    Connecting,
    /// The session is up and the server answers.
    Connected,
    /// The server stopped answering (refused connections, a broken stream, a
    /// failed ping); requests retry with backoff until it is back.
    Reconnecting,
    /// The server lost the session; a new one is being started by replaying
    /// the client's setup. Requests wait for it rather than use the old one.
    Reinitializing,
}

/// One handshake-era session on one transport.
#[derive(Debug, Clone)]
pub struct Link {
    /// The transport it runs on.
    pub transport: Transport,
    /// `Mcp-Session-Id`, when the server assigned one.
    pub id: Option<HeaderValue>,
    /// The negotiated protocol version, sent as `MCP-Protocol-Version`.
    pub version: Option<HeaderValue>,
    /// How many sessions had begun when this one did: tells a request
    /// whether the session it was sent on is still the current one.
    pub epoch: u64,
}

impl Link {
    /// Take the session id the server assigned, if it is a valid one.
    pub fn assign_id(&mut self, id: Option<&HeaderValue>) {
        self.id = id.filter(|v| valid_session_id(v.as_bytes())).cloned();
        if self.id.is_none() && self.transport == Transport::Http {
            tracing::debug!("the server did not assign a session id");
        }
    }

    /// The headers every request of this session carries.
    pub fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(id) = &self.id {
            h.insert(HeaderName::from_static(SESSION_HEADER), id.clone());
        }
        if let Some(v) = &self.version {
            h.insert(HeaderName::from_static(VERSION_HEADER), v.clone());
        }
        h
    }
}

/// The connection.
#[derive(Clone)]
pub enum State {
    /// Before the client's first message decided anything.
    Unknown,
    /// The handshake era: a session on one transport, in a phase.
    Handshake {
        /// The session.
        link: Link,
        /// Where it stands.
        phase: Phase,
    },
    /// The client speaks 2026-07-28 itself: each request relayed statelessly.
    Modern {
        /// The version its envelopes name.
        version: String,
    },
    /// A handshake-era client, translated for a 2026-07-28 server.
    Translated(Arc<Translator>),
    /// The bridge is shutting down.
    Closed,
}

impl State {
    fn phase_name(&self) -> &'static str {
        match self {
            State::Unknown => "connecting",
            State::Handshake { phase, .. } => match phase {
                Phase::Connecting => "connecting",
                Phase::Connected => "connected",
                Phase::Reconnecting => "reconnecting",
                Phase::Reinitializing => "re-initializing",
            },
            State::Modern { .. } | State::Translated(_) => "stateless",
            State::Closed => "closed",
        }
    }

    /// The session, in the handshake era.
    pub fn link(&self) -> Option<&Link> {
        match self {
            State::Handshake { link, .. } => Some(link),
            _ => None,
        }
    }

    /// The phase, in the handshake era.
    pub fn phase(&self) -> Option<Phase> {
        match self {
            State::Handshake { phase, .. } => Some(*phase),
            _ => None,
        }
    }
}

/// The one place the state changes.
pub struct StateCell {
    state: watch::Sender<State>,
    /// Sessions begun so far.
    epochs: std::sync::atomic::AtomicU64,
}

impl Default for StateCell {
    fn default() -> Self {
        StateCell {
            state: watch::channel(State::Unknown).0,
            epochs: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

impl StateCell {
    /// The state now.
    pub fn now(&self) -> State {
        self.state.borrow().clone()
    }

    /// The session now, in the handshake era (cheaper than cloning the state).
    pub fn link(&self) -> Option<Link> {
        self.state.borrow().link().cloned()
    }

    /// Change the state with `f` (which returns false for no change), and
    /// log a change of phase with `why`.
    fn change(&self, why: &str, f: impl FnOnce(&mut State) -> bool) {
        let mut from = "";
        let mut to = "";
        self.state.send_if_modified(|s| {
            if matches!(s, State::Closed) {
                return false;
            }
            from = s.phase_name();
            let changed = f(s);
            to = s.phase_name();
            changed
        });
        if from != to && !to.is_empty() {
            match to {
                "reconnecting" | "re-initializing" => {
                    tracing::warn!("connection: {from} → {to} ({why})")
                }
                _ => tracing::info!("connection: {from} → {to} ({why})"),
            }
        }
    }

    /// A new session on `transport`, in the next epoch, before the server
    /// has assigned it an id.
    pub fn new_link(&self, transport: Transport) -> Link {
        Link {
            transport,
            id: None,
            version: None,
            epoch: self
                .epochs
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                + 1,
        }
    }

    /// The client sent `initialize`: a new handshake begins (on the same
    /// transport, if one is in use).
    pub fn initialize_sent(&self) {
        self.change("the client sent initialize", |s| match s {
            State::Handshake { phase, .. } if *phase != Phase::Connecting => {
                *phase = Phase::Connecting;
                true
            }
            _ => false,
        });
    }

    /// The server answered the client's `initialize`: the session is `link`.
    pub fn handshake(&self, link: Link) {
        self.change("the server answered initialize", |s| {
            *s = State::Handshake {
                link,
                phase: Phase::Connecting,
            };
            true
        });
    }

    /// The negotiated protocol version, from the initialize answer.
    pub fn set_version(&self, version: Option<String>) {
        if let Some(v) = &version {
            tracing::info!("protocol version {v}");
        }
        let value = version.and_then(|v| HeaderValue::from_str(&v).ok());
        self.change("", |s| match s {
            State::Handshake { link, .. } => {
                link.version = value;
                true
            }
            _ => false,
        });
    }

    /// The client sent `notifications/initialized`: its session is up.
    pub fn client_initialized(&self) {
        self.change("the session is initialized", |s| match s {
            State::Handshake { phase, .. } if *phase == Phase::Connecting => {
                *phase = Phase::Connected;
                true
            }
            _ => false,
        });
    }

    /// Something (`what`) reached the server and got an HTTP answer.
    pub fn reachable(&self, what: &str) {
        self.health(Phase::Reconnecting, Phase::Connected, || {
            format!("{what} reached the server again")
        });
    }

    /// Something could not reach the server (`why`).
    pub fn unreachable(&self, why: &str) {
        self.health(Phase::Connected, Phase::Reconnecting, || why.to_owned());
    }

    /// Move a session in phase `from` to `to`, because of `why` (built only
    /// when the phase changes: this runs on every request).
    fn health(&self, from: Phase, to: Phase, why: impl FnOnce() -> String) {
        if self.state.borrow().phase() != Some(from) {
            return;
        }
        self.change(&why(), |s| match s {
            State::Handshake { phase, .. } if *phase == from => {
                *phase = to;
                true
            }
            _ => false,
        });
    }

    /// The session of `epoch` is gone (`why`): start renewing it. False
    /// when that session is not the current one (a new one began meanwhile)
    /// or there is no session to renew.
    pub fn renewing(&self, epoch: u64, why: &str) -> bool {
        let mut ok = false;
        self.change(why, |s| match s {
            State::Handshake { link, phase } if link.epoch == epoch => {
                ok = true;
                let was = *phase;
                *phase = Phase::Reinitializing;
                was != Phase::Reinitializing
            }
            _ => false,
        });
        ok
    }

    /// A new session started in place of the lost one.
    pub fn renewed(&self, link: Link) {
        self.change("a new session started", |s| match s {
            State::Handshake { phase, .. } if *phase == Phase::Reinitializing => {
                *s = State::Handshake {
                    link,
                    phase: Phase::Connected,
                };
                true
            }
            _ => false,
        });
    }

    /// No new session could be started (`why`); requests retry.
    pub fn renew_failed(&self, why: &str) {
        self.change(&format!("no new session: {why}"), |s| match s {
            State::Handshake { phase, .. } if *phase == Phase::Reinitializing => {
                *phase = Phase::Reconnecting;
                true
            }
            _ => false,
        });
    }

    /// The client speaks 2026-07-28 (`version`) itself.
    pub fn modern(&self, version: &str) {
        let version = version.to_owned();
        self.change("the client speaks 2026-07-28", |s| {
            *s = State::Modern { version };
            true
        });
    }

    /// The server speaks only 2026-07-28: translate through `t`.
    pub fn translated(&self, t: Arc<Translator>) {
        self.change("the server speaks only 2026-07-28", |s| {
            *s = State::Translated(t);
            true
        });
    }

    /// The bridge is shutting down; final.
    pub fn close(&self, why: &str) {
        let mut old = None;
        self.change(why, |s| {
            old = Some(std::mem::replace(s, State::Closed));
            true
        });
        if let Some(State::Translated(t)) = old {
            t.stop();
        }
    }

    /// Wait, at most `limit`, while a new session is being started, so that
    /// a request goes out on the new session rather than the lost one.
    pub async fn settled(&self, limit: Duration) {
        if self.state.borrow().phase() != Some(Phase::Reinitializing) {
            return;
        }
        let mut rx = self.state.subscribe();
        let _ = tokio::time::timeout(
            limit,
            rx.wait_for(|s| s.phase() != Some(Phase::Reinitializing)),
        )
        .await;
    }
}

/// The specification allows only visible ASCII (0x21 to 0x7E) in a session id.
fn valid_session_id(id: &[u8]) -> bool {
    !id.is_empty() && id.iter().all(|b| (0x21..=0x7e).contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phase(cell: &StateCell) -> Option<Phase> {
        cell.now().phase()
    }

    #[test]
    fn the_state_changes_only_as_its_events_allow() {
        let cell = StateCell::default();
        cell.unreachable("refused");
        assert!(
            matches!(cell.now(), State::Unknown),
            "no session: nothing to reconnect"
        );
        assert!(!cell.renewing(1, "x"), "nothing to renew before a session");
        let mut link = cell.new_link(Transport::Http);
        link.assign_id(Some(&HeaderValue::from_static("abc-1")));
        let epoch = link.epoch;
        cell.handshake(link);
        assert_eq!(phase(&cell), Some(Phase::Connecting));
        cell.client_initialized();
        cell.unreachable("refused");
        assert_eq!(phase(&cell), Some(Phase::Reconnecting));
        cell.reachable("a request");
        assert_eq!(phase(&cell), Some(Phase::Connected));
        assert!(!cell.renewing(epoch + 1, "404"), "another session's loss");
        assert!(cell.renewing(epoch, "404"));
        cell.reachable("a request");
        assert_eq!(
            phase(&cell),
            Some(Phase::Reinitializing),
            "only a renewal ends a renewal"
        );
        let next = cell.new_link(Transport::Http);
        assert!(next.epoch > epoch);
        cell.renewed(next);
        assert_eq!(phase(&cell), Some(Phase::Connected));
        cell.close("bye");
        cell.client_initialized();
        cell.modern("2026-07-28");
        assert!(matches!(cell.now(), State::Closed), "closed is final");
    }

    #[test]
    fn headers_follow_the_session() {
        let cell = StateCell::default();
        let mut link = cell.new_link(Transport::Http);
        link.assign_id(Some(&HeaderValue::from_static("abc-1")));
        link.version = Some(HeaderValue::from_static("2025-06-18"));
        let h = link.headers();
        assert_eq!(h[SESSION_HEADER], "abc-1");
        assert_eq!(h[VERSION_HEADER], "2025-06-18");
        let mut fresh = cell.new_link(Transport::Http);
        fresh.assign_id(Some(&HeaderValue::from_static("has space")));
        assert!(fresh.id.is_none(), "invalid session ids are ignored");
        assert!(fresh.headers().is_empty());
    }
}
