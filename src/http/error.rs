//! The one error type for everything that goes wrong between the bridge and
//! the server: an [`ErrorKind`] to decide on, the URL, and the words of what caused
//! it. Its text is what the client is shown, so it names the URL and what a
//! person can do; whether it means "the server lost the session" is decided
//! here, once, when an error status is read.

use crate::jsonrpc::{self, Id, Message};
use bytes::Bytes;
use reqwest::StatusCode;
use std::sync::Arc;

/// A lower layer's error, kept in an [`UpstreamError`] for code to decide on.
type Source = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong, for code to decide on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No connection could be made: the message never reached the server,
    /// so sending it again is safe.
    Connect,
    /// The server's TLS certificate is not trusted; retrying will not help.
    Untrusted,
    /// The server did not answer in time.
    Timeout,
    /// The server answered with an HTTP error status.
    Status,
    /// The body was not JSON-RPC (an HTML page, plain text, broken JSON).
    NotJsonRpc,
    /// The reply passed the size bound.
    TooLarge,
    /// The connection broke while a reply was being read.
    Lost,
    /// The HTTP+SSE handshake failed (no endpoint, or a refused one).
    Handshake,
    /// The server lost the session and a new one could not be started.
    Renew,
    /// Signing in to the server failed.
    Auth,
    /// The server acknowledged a request with 202, which carries no answer.
    NoAnswer,
    /// The server speaks no protocol version the bridge is allowed to speak.
    Era,
}

/// What to do about a certificate no trusted CA signed.
const TRUST_HINT: &str = "if a private or corporate CA signs it, pass --ca-cert FILE (PEM) or set SSL_CERT_FILE (trusted besides the platform's certificate store)";

/// Why a request to a URL other than the MCP endpoint (metadata, a token
/// endpoint) got no response, in words that name no server: the caller
/// names the URL and what it is.
pub fn request_failure(e: &reqwest::Error) -> String {
    let cause = root_cause(e);
    if is_untrusted_certificate(e) {
        format!("its TLS certificate is not trusted ({cause}); {TRUST_HINT}")
    } else if e.is_timeout() {
        format!("timed out ({cause})")
    } else {
        cause
    }
}

/// A failure to get any response, as the client that sent the request
/// classifies it.
pub trait Unanswered: std::error::Error + Send + Sync + 'static {
    /// No connection was made: the request never reached the server.
    fn is_connect(&self) -> bool;
    /// A time limit passed.
    fn is_timeout(&self) -> bool;
}

/// Why a message could not be relayed.
#[derive(Debug, Clone)]
pub struct UpstreamError {
    kind: ErrorKind,
    url: String,
    /// The lower layer's words (its source), e.g. "Connection refused".
    cause: String,
    /// The HTTP status, for `Status` and `NoAnswer`.
    status: Option<StatusCode>,
    /// The JSON-RPC error code the server put in its error body, if any.
    server_code: Option<i64>,
    /// What the server's JSON-RPC error body held, if anything (boxed: it
    /// is rare, and the error stays small).
    server_body: Option<Box<ServerBody>>,
    /// The status means the server no longer knows the session.
    session_gone: bool,
    /// The request got no response at all (it failed while being sent).
    unanswered: bool,
    /// "; ..." what else the bridge tried, or why nothing else was.
    note: String,
    /// The lower layer's error, when there was one: a reqwest error, an
    /// `auth::Error`. `cause` holds its words as the user reads them.
    lower: Option<Source>,
}

/// The JSON-RPC body of a server's error status.
#[derive(Debug, Clone, Default)]
struct ServerBody {
    /// The `data` of its error, if any.
    data: Option<serde_json::Value>,
    /// The body itself, when it was one JSON-RPC response: the server's own
    /// answer, which goes to the client as it is when it answers the
    /// client's request (see [`UpstreamError::to_response`]).
    reply: Option<Message>,
}

/// Its text already holds what caused it, in the words the client reads
/// (the innermost cause, a hint), so it returns no `source()`: a chain
/// printer would say the cause twice. Code that decides on the lower
/// layer's error asks [`UpstreamError::lower`].
impl std::error::Error for UpstreamError {}

impl std::fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (url, cause) = (&self.url, &self.cause);
        let status = self.status.map(|s| s.to_string()).unwrap_or_default();
        match self.kind {
            ErrorKind::Connect => write!(f, "cannot reach the MCP server at {url}: {cause}"),
            ErrorKind::Untrusted => write!(
                f,
                "the TLS certificate of {url} is not trusted ({cause}); {TRUST_HINT}"
            ),
            ErrorKind::Timeout => write!(f, "the MCP server at {url} did not answer in time: {cause}"),
            ErrorKind::Status => write!(f, "the MCP server at {url} answered HTTP {status}{cause}"),
            ErrorKind::NotJsonRpc => write!(
                f,
                "the MCP server at {url} sent a reply that is not JSON-RPC {cause}"
            ),
            ErrorKind::TooLarge => write!(
                f,
                "a reply from {url} is larger than the limit of {cause} bytes (raise it with --max-message-size)"
            ),
            ErrorKind::Lost => write!(
                f,
                "the connection to {url} was lost while the request was in flight ({cause}); the server sent no answer"
            ),
            ErrorKind::Handshake => write!(f, "the HTTP+SSE handshake with {url} failed: {cause}"),
            ErrorKind::Renew => write!(
                f,
                "could not start a new session with the MCP server at {url}: {cause}"
            ),
            ErrorKind::Auth => write!(f, "could not sign in to the MCP server at {url}: {cause}"),
            ErrorKind::Era => write!(f, "the MCP server at {url} cannot be spoken to: {cause}"),
            ErrorKind::NoAnswer => write!(
                f,
                "the MCP server at {url} accepted the request (HTTP {status}) but sent no answer"
            ),
        }?;
        f.write_str(&self.note)
    }
}

impl UpstreamError {
    /// An error of `kind` at `url`, caused by `cause`.
    pub fn new(kind: ErrorKind, url: &str, cause: impl Into<String>) -> Self {
        UpstreamError {
            kind,
            // A key in the query never reaches a log or the client's screen.
            url: crate::url_policy::shown_text(url),
            cause: cause.into(),
            status: None,
            server_code: None,
            server_body: None,
            session_gone: false,
            unanswered: false,
            note: String::new(),
            lower: None,
        }
    }

    /// An error of `kind` at `url`, caused by the lower layer's `source`,
    /// whose text, with every cause under it, is the cause the user reads.
    pub fn caused_by(
        kind: ErrorKind,
        url: &str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        let cause = crate::text::Chain(&source).to_string();
        UpstreamError {
            lower: Some(Arc::new(source)),
            ..Self::new(kind, url, cause)
        }
    }

    /// The server at `url` answered `status`; `detail` is ": " and its own
    /// words (or empty), `server_code` the JSON-RPC code in its body. A 404,
    /// or a 400 whose words are about the session id (servers built on
    /// older SDK examples answer "Bad Request: No valid session ID"), means
    /// the server no longer knows the session the request carried.
    pub fn status(url: &str, status: StatusCode, detail: String, server_code: Option<i64>) -> Self {
        let session_gone = status == StatusCode::NOT_FOUND
            || status == StatusCode::BAD_REQUEST && detail.to_ascii_lowercase().contains("session");
        UpstreamError {
            status: Some(status),
            server_code,
            session_gone,
            ..Self::new(ErrorKind::Status, url, detail)
        }
    }

    /// The server at `url` acknowledged a request with `status` (202 or 204).
    pub fn no_answer(url: &str, status: StatusCode) -> Self {
        UpstreamError {
            status: Some(status),
            ..Self::new(ErrorKind::NoAnswer, url, "")
        }
    }

    /// The body at `url` was not JSON-RPC: `what` arrived (e.g.
    /// "content-type text/html"), and `detail` is ": " and a snippet, or empty.
    pub fn not_json_rpc(url: &str, what: &str, detail: &str) -> Self {
        Self::new(ErrorKind::NotJsonRpc, url, format!("({what}){detail}"))
    }

    /// A reply from `url` passed `limit` bytes.
    pub fn too_large(url: &str, limit: usize) -> Self {
        Self::new(ErrorKind::TooLarge, url, limit.to_string())
    }

    /// The connection to `url` broke while reading a reply.
    pub fn lost(url: &str, cause: impl Into<String>) -> Self {
        Self::new(ErrorKind::Lost, url, cause)
    }

    /// Classify a reqwest failure on `url`.
    pub fn from_reqwest(url: &str, e: reqwest::Error) -> Self {
        let cause = root_cause(&e);
        let kind = if is_untrusted_certificate(&e) {
            ErrorKind::Untrusted
        } else if e.is_timeout() {
            ErrorKind::Timeout
        } else if e.is_connect() || e.is_builder() {
            // No connection: the message never reached the server.
            ErrorKind::Connect
        } else {
            ErrorKind::Lost
        };
        UpstreamError {
            lower: Some(Arc::new(e)),
            ..Self::new(kind, url, cause)
        }
    }

    /// A failure while sending to the MCP server at `url`: no response came
    /// at all. (For URLs other than the MCP endpoint, see
    /// [`request_failure`].)
    pub fn unanswered(url: &str, e: impl Unanswered) -> Self {
        let cause = root_cause(&e);
        let kind = if is_untrusted_certificate(&e) {
            ErrorKind::Untrusted
        } else if e.is_timeout() {
            ErrorKind::Timeout
        } else if e.is_connect() {
            // No connection: the message never reached the server.
            ErrorKind::Connect
        } else {
            ErrorKind::Lost
        };
        UpstreamError {
            unanswered: true,
            lower: Some(Arc::new(e)),
            ..Self::new(kind, url, cause)
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The HTTP status, when the failure was an error status.
    pub fn http_status(&self) -> Option<StatusCode> {
        self.status.filter(|_| self.kind == ErrorKind::Status)
    }

    /// True when the server says it does not know the session the request
    /// carried (decided in [`UpstreamError::status`]).
    pub fn session_gone(&self) -> bool {
        self.session_gone
    }

    /// Mark that the server no longer knows the session (a stream that
    /// could not be resumed found out).
    pub fn with_session_gone(mut self) -> Self {
        self.session_gone = true;
        self
    }

    /// True when the request failed before any response: the server could
    /// not be reached, or the connection failed while sending.
    pub fn is_unanswered(&self) -> bool {
        self.unanswered
    }

    /// The JSON-RPC error code of the server's error body, if it had one.
    pub fn server_code(&self) -> Option<i64> {
        self.server_code
    }

    /// The `data` of the server's JSON-RPC error body, if it had one.
    pub fn server_data(&self) -> Option<&serde_json::Value> {
        self.server_body.as_ref()?.data.as_ref()
    }

    /// This error with the `data` of the server's JSON-RPC error body.
    pub fn with_server_data(mut self, data: Option<serde_json::Value>) -> Self {
        if data.is_some() {
            self.server_body.get_or_insert_with(Box::default).data = data;
        }
        self
    }

    /// This error with the server's error body, which was one JSON-RPC
    /// response.
    pub fn with_reply(mut self, reply: Message) -> Self {
        self.server_body.get_or_insert_with(Box::default).reply = Some(reply);
        self
    }

    /// This error as the bridge's own answer, whatever the server's body
    /// held (its code and `data` stay for the code that decides on them).
    pub fn without_reply(mut self) -> Self {
        if let Some(body) = self.server_body.as_mut() {
            body.reply = None;
        }
        self
    }

    /// The server's own JSON-RPC response to the request `id`, when the
    /// error status came with one: the server's answer, to be passed on
    /// as it is. An error body with another id (or `null`, as servers say
    /// "no such session") answers nothing the client sent.
    pub fn reply_to(&self, id: Option<&Id>) -> Option<&Message> {
        let reply = self.server_body.as_ref()?.reply.as_ref()?;
        (id.is_some() && reply.id() == id).then_some(reply)
    }

    /// The lower layer's own words.
    pub fn cause(&self) -> &str {
        &self.cause
    }

    /// The lower layer's error, when there was one (a reqwest error, an
    /// `auth::Error`), for code that decides on its type. Its words are
    /// [`UpstreamError::cause`]; this is not `source()`, which would print
    /// them twice.
    pub fn lower(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.lower
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }

    /// This error with `note` appended; its kind and code stay.
    pub fn noted(mut self, note: impl AsRef<str>) -> Self {
        self.note.push_str(note.as_ref());
        self
    }

    /// The JSON-RPC answer for the client's request `id`: the server's own,
    /// byte for byte, when the error status came with one for that id
    /// (whatever the status: a 2026-07-28 server answers -32021, -32022 or
    /// -32601 with a 4xx); otherwise the bridge's error, which keeps the
    /// server's code and names the status.
    pub fn to_response(&self, id: Option<&Id>) -> Bytes {
        if let Some(reply) = self.reply_to(id) {
            return reply.raw.clone();
        }
        let code = match self.kind {
            ErrorKind::Status => self.server_code.unwrap_or(jsonrpc::UPSTREAM_ERROR),
            _ => jsonrpc::UPSTREAM_ERROR,
        };
        let data = self
            .status
            .map(|s| serde_json::json!({ "httpStatus": s.as_u16() }));
        jsonrpc::error_response(id, code, &format!("mcp-bridge: {self}"), data)
    }
}

/// The innermost error message, which is the one a person can act on
/// ("Connection refused (os error 111)" rather than "error sending request").
pub fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    let text = cur.to_string();
    if text.is_empty() {
        e.to_string()
    } else {
        text
    }
}

/// True when `e` (or what caused it) is a TLS certificate the bridge does not trust.
pub fn is_untrusted_certificate(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        let rustls_err = err.downcast_ref::<rustls::Error>().or_else(|| {
            err.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        match rustls_err {
            Some(rustls::Error::InvalidCertificate(_)) => return true,
            Some(rustls::Error::Other(o)) if o.0.is::<super::trust::NoVerifier>() => return true,
            _ => {}
        }
        // Layers that box the error hide its type; rustls's words stay.
        if err.to_string().starts_with("invalid peer certificate") {
            return true;
        }
        cur = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_answer_carries_status_and_server_code() {
        let e = UpstreamError::status(
            "http://h/mcp",
            StatusCode::BAD_REQUEST,
            ": No valid session".into(),
            Some(-32000),
        );
        let line = e.to_response(Some(&Id::from_json_text("4")));
        let v: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(v["id"], 4);
        assert_eq!(v["error"]["code"], -32000);
        assert_eq!(v["error"]["data"]["httpStatus"], 400);
        let msg = v["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains("HTTP 400 Bad Request: No valid session"),
            "{msg}"
        );
        assert!(msg.contains("http://h/mcp"), "{msg}");
    }

    #[test]
    fn the_servers_own_answer_to_the_request_goes_out_as_it_is() {
        let body = r#"{"jsonrpc":"2.0","id":4,"error":{"code":-32021,"message":"declare it","data":{"requiredCapabilities":{"extensions":{"x/y":{}}},"z":1.10}}}"#;
        let reply = jsonrpc::classify(Bytes::from(body)).unwrap();
        let e = UpstreamError::status(
            "http://h/mcp",
            StatusCode::BAD_REQUEST,
            ": declare it".into(),
            Some(-32021),
        )
        .with_reply(reply);
        let four = Id::from_json_text("4");
        assert_eq!(e.to_response(Some(&four)), body.as_bytes());
        assert!(e.reply_to(Some(&four)).is_some());
        // An answer to another request, or to none, is not the client's.
        let other: serde_json::Value =
            serde_json::from_slice(&e.to_response(Some(&Id::from_json_text("5")))).unwrap();
        assert_eq!(other["id"], 5);
        assert_eq!(other["error"]["code"], -32021);
        assert_eq!(other["error"]["data"]["httpStatus"], 400);
        assert!(e.reply_to(None).is_none());
    }

    #[test]
    fn an_error_body_without_the_requests_id_is_the_bridges_error() {
        let null =
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Session not found"}}"#;
        let e = UpstreamError::status("u", StatusCode::NOT_FOUND, ": gone".into(), Some(-32001))
            .with_reply(jsonrpc::classify(Bytes::from(null)).unwrap());
        let line = e.to_response(Some(&Id::from_json_text("1")));
        let v: serde_json::Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(v["id"], 1);
        assert!(v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("mcp-bridge: "));
        assert!(e.session_gone());
    }

    #[test]
    fn a_lost_session_is_a_404_or_a_400_about_the_session() {
        let at = |s: u16, d: &str| {
            UpstreamError::status("u", StatusCode::from_u16(s).unwrap(), d.into(), None)
                .session_gone()
        };
        assert!(at(404, ""));
        assert!(at(400, ": Bad Request: No valid session ID"));
        assert!(!at(400, ": bad params"));
        assert!(!at(500, ": session"));
    }

    #[test]
    fn notes_keep_the_first_errors_code_and_text() {
        let e = UpstreamError::no_answer("u", StatusCode::ACCEPTED).noted("; then X");
        assert_eq!(e.kind(), ErrorKind::NoAnswer);
        assert!(e.to_string().ends_with("but sent no answer; then X"), "{e}");
        let v: serde_json::Value = serde_json::from_slice(&e.to_response(None)).unwrap();
        assert_eq!(v["error"]["data"]["httpStatus"], 202);
    }
}
