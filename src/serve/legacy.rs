//! The HTTP+SSE transport of 2024-11-05, for clients that speak only it:
//! `GET /sse` opens a session and its one event stream, whose first event,
//! `endpoint`, names `/messages?sessionId=ID`; the client POSTs each message
//! there and gets 202, and everything the server says (answers included)
//! comes on the stream. The session, and its child, end when the client
//! lets go of the stream: this transport has no other goodbye.
//!
//! The session is the same as a Streamable HTTP one (a child of its own
//! that gets the client's own `initialize`, every request answered once,
//! bounded queues); only where its messages go differs.

use super::reply::{empty, rpc_error, session_stream, text, Body};
use super::session::Refused;
use super::{read_message, Front, Principal, Via};
use crate::jsonrpc::Form;
use crate::sync::Locked;
use crate::text::Chain;
use hyper::body::Incoming;
use hyper::{Method as HttpMethod, Request, Response, StatusCode};
use std::sync::Arc;

/// Where an HTTP+SSE client opens its stream (under `/servers/NAME` for
/// one server of a `--config`).
pub const SSE_PATH: &str = "/sse";
/// Where an HTTP+SSE client POSTs its messages.
pub const MESSAGES_PATH: &str = "/messages";

impl Front {
    /// A request for one of the HTTP+SSE paths, past the guard.
    pub(super) async fn legacy(
        self: Arc<Self>,
        req: Request<Incoming>,
        who: &Principal,
        via: &Via,
    ) -> Response<Body> {
        let stream = req.uri().path() == self.sse_path;
        match (stream, req.method()) {
            (true, &HttpMethod::GET) => self.open_stream(who, via).await,
            (false, &HttpMethod::POST) => self.message(req, who, via).await,
            (true, _) => text(StatusCode::METHOD_NOT_ALLOWED, "GET\n"),
            _ => text(StatusCode::METHOD_NOT_ALLOWED, "POST\n"),
        }
    }

    /// `GET /sse`: a new session, and its stream.
    async fn open_stream(&self, who: &Principal, via: &Via) -> Response<Body> {
        let session = match self.start_session(who).await {
            Ok(s) => s,
            Err(refused) => return *refused,
        };
        let events =
            session.open_legacy(&format!("{}?sessionId={}", self.endpoint(via), session.id));
        self.sessions
            .locked()
            .insert(session.id.clone(), Arc::clone(&session));
        session_stream(events, session)
    }

    /// `POST /messages?sessionId=ID`: one message on to the session's child.
    async fn message(&self, req: Request<Incoming>, who: &Principal, via: &Via) -> Response<Body> {
        let id = req.uri().query().and_then(session_id).map(str::to_owned);
        let session = match self.session(id, who) {
            Ok(s) if s.is_legacy() => s,
            // A Streamable HTTP session is not reached this way.
            Ok(_) => return super::reply::session_gone(),
            Err(refused) => return *refused,
        };
        let m = match read_message(req, self.settings.max_message).await {
            Ok(m) => m,
            Err(refused) => return *refused,
        };
        if let Some(refused) = self.may_call(who, &m, via) {
            return refused;
        }
        let sent = match &m.form {
            Form::Request { id, .. } => session.request_on_main(&m, id).await,
            _ => session.notify(&m).await,
        };
        match sent {
            Ok(()) => empty(StatusCode::ACCEPTED),
            Err(Refused::Gone) => super::reply::session_gone(),
            Err(e) => rpc_error(
                StatusCode::BAD_REQUEST,
                -32600,
                &format!("mcp-bridge: {e}", e = Chain(&e)),
            ),
        }
    }
}

impl Front {
    /// Where an HTTP+SSE client is told to POST: under the prefix a proxy
    /// serves this server at (`--public-url`, or as a trusted proxy says).
    fn endpoint(&self, via: &Via) -> String {
        let prefix = self
            .public(via)
            .and_then(|p| url::Url::parse(p).ok())
            .map(|u| u.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        format!("{prefix}{}", self.messages_path)
    }
}

/// The `sessionId` of a query string.
fn session_id(query: &str) -> Option<&str> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("sessionId="))
        .filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_id_is_read_from_the_query() {
        assert_eq!(session_id("sessionId=abc"), Some("abc"));
        assert_eq!(session_id("x=1&sessionId=abc&y=2"), Some("abc"));
        assert_eq!(session_id("sessionId="), None);
        assert_eq!(session_id("session=abc"), None);
    }
}
