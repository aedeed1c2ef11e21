//! The one error type for everything that goes wrong between the bridge and
//! the server; its text is what the client is shown, so every variant names
//! the URL and what a person can do.

use crate::jsonrpc::{self, Id};
use bytes::Bytes;
use reqwest::StatusCode;

/// Why a message could not be relayed; the text is what the client is shown.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// No connection could be made.
    #[error("cannot reach the MCP server at {url}: {cause}")]
    Connect {
        /// The server URL.
        url: String,
        /// The lowest-level cause, e.g. "connection refused".
        cause: String,
    },
    /// The server's TLS certificate is not trusted; retrying will not help.
    #[error("the TLS certificate of {url} is not trusted ({cause}); if a private or corporate CA signs it, pass --ca-cert FILE (PEM) or set SSL_CERT_FILE (the platform's certificate store is trusted already)")]
    Untrusted {
        /// The server URL.
        url: String,
        /// What the TLS library said.
        cause: String,
    },
    /// The server did not answer in time.
    #[error("the MCP server at {url} did not answer in time: {cause}")]
    Timeout {
        /// The server URL.
        url: String,
        /// Which limit passed.
        cause: String,
    },
    /// The server answered with an HTTP error status.
    #[error("the MCP server at {url} answered HTTP {status}{detail}")]
    Status {
        /// The server URL.
        url: String,
        /// The status it answered.
        status: StatusCode,
        /// ": " and the server's own explanation, or empty.
        detail: String,
        /// The JSON-RPC error code the server put in its body, if any.
        server_code: Option<i64>,
    },
    /// The body was not JSON-RPC (an HTML page, plain text, broken JSON).
    #[error("the MCP server at {url} sent a reply that is not JSON-RPC ({what}){detail}")]
    NotJsonRpc {
        /// The server URL.
        url: String,
        /// What arrived instead, e.g. "content-type text/html".
        what: String,
        /// ": " and a snippet of the body, or empty.
        detail: String,
    },
    /// The reply passed the size bound.
    #[error("a reply from {url} is larger than the limit of {limit} bytes (raise it with --max-message-size)")]
    TooLarge {
        /// The server URL.
        url: String,
        /// The bound in bytes.
        limit: usize,
    },
    /// The connection broke while a reply was being read.
    #[error("the connection to {url} was lost while the request was in flight ({cause}); the server sent no answer")]
    Lost {
        /// The server URL.
        url: String,
        /// The lowest-level cause.
        cause: String,
    },
    /// The HTTP+SSE handshake failed (no endpoint, or a refused one).
    #[error("the HTTP+SSE handshake with {url} failed: {cause}")]
    Handshake {
        /// The SSE URL.
        url: String,
        /// What went wrong.
        cause: String,
    },
    /// The server lost the session and a new one could not be started.
    #[error("could not start a new session with the MCP server at {url}: {cause}")]
    Renew {
        /// The server URL.
        url: String,
        /// What went wrong.
        cause: String,
    },
    /// Signing in to the server failed.
    #[error("could not sign in to the MCP server at {url}: {cause}")]
    Auth {
        /// The server URL.
        url: String,
        /// What went wrong.
        cause: String,
    },
    /// Another error, with what the bridge tried besides.
    #[error("{source}{note}")]
    Noted {
        /// The first failure, whose code the client sees.
        source: Box<UpstreamError>,
        /// "; ..." what else was tried, or why nothing else was.
        note: String,
    },
    /// The server acknowledged a request with 202, which carries no answer.
    #[error("the MCP server at {url} accepted the request (HTTP {status}) but sent no answer")]
    NoAnswer {
        /// The server URL.
        url: String,
        /// 202 or 204.
        status: StatusCode,
    },
}

impl UpstreamError {
    /// The JSON-RPC error answer for the client's request `id`.
    pub fn to_response(&self, id: Option<&Id>) -> Bytes {
        let mut inner = self;
        while let UpstreamError::Noted { source, .. } = inner {
            inner = source;
        }
        let (code, status) = match inner {
            UpstreamError::Status {
                server_code,
                status,
                ..
            } => (
                server_code.unwrap_or(jsonrpc::UPSTREAM_ERROR),
                Some(status.as_u16()),
            ),
            UpstreamError::NoAnswer { status, .. } => {
                (jsonrpc::UPSTREAM_ERROR, Some(status.as_u16()))
            }
            _ => (jsonrpc::UPSTREAM_ERROR, None),
        };
        let data = status.map(|s| serde_json::json!({ "httpStatus": s }));
        jsonrpc::error_response(id, code, &format!("mcp-bridge: {self}"), data)
    }

    /// The HTTP status, when the failure was an error status.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            UpstreamError::Status { status, .. } => Some(*status),
            UpstreamError::Noted { source, .. } => source.status(),
            _ => None,
        }
    }

    /// True when the server says it does not know the session the request
    /// carried: 404, or a 400 whose words are about the session id (servers
    /// built on older SDK examples answer "Bad Request: No valid session ID").
    pub fn is_lost_session(&self) -> bool {
        match self {
            UpstreamError::Status { status, detail, .. } => {
                status.as_u16() == 404
                    || status.as_u16() == 400 && detail.to_ascii_lowercase().contains("session")
            }
            UpstreamError::Noted { source, .. } => source.is_lost_session(),
            _ => false,
        }
    }

    /// This error with `note` appended.
    pub fn noted(self, note: String) -> Self {
        UpstreamError::Noted {
            source: Box::new(self),
            note,
        }
    }

    /// Classify a reqwest failure on `url`.
    pub fn from_reqwest(url: &str, e: &reqwest::Error) -> Self {
        let cause = root_cause(e);
        let url = url.to_owned();
        if is_untrusted_certificate(e) {
            UpstreamError::Untrusted { url, cause }
        } else if e.is_timeout() {
            UpstreamError::Timeout { url, cause }
        } else if e.is_connect() || e.is_builder() {
            // No connection: the message never reached the server.
            UpstreamError::Connect { url, cause }
        } else {
            UpstreamError::Lost { url, cause }
        }
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
        if let Some(rustls::Error::InvalidCertificate(_)) = rustls_err {
            return true;
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
        let e = UpstreamError::Status {
            url: "http://h/mcp".into(),
            status: StatusCode::BAD_REQUEST,
            detail: ": No valid session".into(),
            server_code: Some(-32000),
        };
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
}
