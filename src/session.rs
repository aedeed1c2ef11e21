//! The session the server gave us: its `Mcp-Session-Id` and the negotiated
//! protocol version, both sent on every request after `initialize`.

use crate::transport::streamable_http::{SESSION_HEADER, VERSION_HEADER};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::sync::Mutex;

/// Session state shared by every request task. The lock is never held across an await.
#[derive(Debug, Default)]
pub struct Session {
    state: Mutex<State>,
}

#[derive(Debug, Default, Clone)]
struct State {
    id: Option<HeaderValue>,
    version: Option<HeaderValue>,
}

impl Session {
    /// Start a new session from the initialize answer's headers: take its
    /// session id (if it sent one) and forget the previous session's state.
    pub fn begin(&self, id: Option<&HeaderValue>) {
        let id = id.filter(|v| valid_session_id(v.as_bytes())).cloned();
        if id.is_none() {
            tracing::debug!("the server did not assign a session id");
        }
        let mut state = self.state.lock().expect("session lock");
        *state = State { id, version: None };
    }

    /// Record the protocol version the server chose in its initialize result.
    pub fn set_version(&self, version: Option<String>) {
        let value = version
            .as_deref()
            .and_then(|v| HeaderValue::from_str(v).ok());
        if let Some(v) = &version {
            tracing::info!("protocol version {v}");
        }
        self.state.lock().expect("session lock").version = value;
    }

    /// True once the server assigned a session id.
    pub fn has_id(&self) -> bool {
        self.state.lock().expect("session lock").id.is_some()
    }

    /// Add the session headers to a request's headers.
    pub fn apply(&self, headers: &mut HeaderMap) {
        let state = self.state.lock().expect("session lock").clone();
        if let Some(id) = state.id {
            headers.insert(HeaderName::from_static(SESSION_HEADER), id);
        }
        if let Some(v) = state.version {
            headers.insert(HeaderName::from_static(VERSION_HEADER), v);
        }
    }
}

/// The specification allows only visible ASCII (0x21 to 0x7E) in a session id.
fn valid_session_id(id: &[u8]) -> bool {
    !id.is_empty() && id.iter().all(|b| (0x21..=0x7e).contains(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_follow_the_session() {
        let s = Session::default();
        let mut h = HeaderMap::new();
        s.apply(&mut h);
        assert!(h.is_empty(), "nothing before initialize");
        s.begin(Some(&HeaderValue::from_static("abc-1")));
        s.set_version(Some("2025-06-18".into()));
        s.apply(&mut h);
        assert_eq!(h[SESSION_HEADER], "abc-1");
        assert_eq!(h[VERSION_HEADER], "2025-06-18");
        s.begin(None);
        let mut h = HeaderMap::new();
        s.apply(&mut h);
        assert!(h.is_empty(), "a new initialize forgets the old session");
    }

    #[test]
    fn invalid_session_ids_are_ignored() {
        let s = Session::default();
        s.begin(Some(&HeaderValue::from_static("has space")));
        assert!(!s.has_id());
    }
}
