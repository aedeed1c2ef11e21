//! `server/discover`: asking a server whether it speaks 2026-07-28, on
//! behalf of a client that sent `initialize`.

use super::envelope::{Envelope, InitParams, SERVER_INFO_KEY};
use crate::http::error::{ErrorKind, UpstreamError};
use crate::jsonrpc::{self, Message};
use crate::protocol::{HANDSHAKE_VERSIONS, MODERN};
use crate::transport::streamable_http::{Others, StreamableHttp};
use crate::transport::Sink;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How long the probe may take before the bridge assumes a handshake-era server.
const PROBE_LIMIT: Duration = Duration::from_secs(10);

type Raw = Box<RawValue>;

/// What the probe found.
pub enum Probe {
    /// The server speaks 2026-07-28; what it declared.
    Modern(Discovered),
    /// The server speaks only the handshake era (why, for the log).
    Legacy(String),
}

/// The JSON-RPC codes only a 2026-07-28 server answers with (HTTP 400):
/// `HeaderMismatch`, `MissingRequiredClientCapability`,
/// `UnsupportedProtocolVersion`. Any other refusal means the handshake era.
const MODERN_CODES: [i64; 3] = [-32020, -32021, jsonrpc::UNSUPPORTED_VERSION];

/// What a 2026-07-28 server declared in answer to `server/discover`.
pub struct Discovered {
    /// Its capabilities.
    pub capabilities: Raw,
    /// Its name and version, when it gave them.
    pub server_info: Option<Raw>,
    /// Its instructions, when it gave them.
    pub instructions: Option<Raw>,
}

/// Ask the server whether it speaks 2026-07-28, on behalf of a client whose
/// `initialize` is `init`, the way the specification's dual-era client
/// does: a modern request first; a refusal that is not a recognised modern
/// JSON-RPC error (whatever the status, or an empty body) means the
/// handshake era. An error comes back only when the server could not be
/// asked (unreachable, untrusted, sign-in failed) or answered as a modern
/// server that the bridge cannot speak to.
pub async fn probe(
    http: &Arc<StreamableHttp>,
    sink: &Sink,
    init: &Message,
    extensions: &[String],
) -> Result<Probe, UpstreamError> {
    if let Some(found) = probe_once(http, sink, init, extensions).await? {
        return Ok(found);
    }
    // The server refused 2026-07-28 while listing it as supported: the
    // specification's answer is to retry with a listed version, once.
    tracing::info!(
        "server/discover was refused with {MODERN} listed as supported; asking once more"
    );
    match probe_once(http, sink, init, extensions).await? {
        Some(found) => Ok(found),
        None => Err(UpstreamError::new(
            ErrorKind::Era,
            http.url(),
            format!("it refuses {MODERN} twice while listing it as supported"),
        )),
    }
}

/// One `server/discover`; `None` when the server asked for a version the
/// bridge had sent (worth asking once more).
async fn probe_once(
    http: &Arc<StreamableHttp>,
    sink: &Sink,
    init: &Message,
    extensions: &[String],
) -> Result<Option<Probe>, UpstreamError> {
    let envelope = Envelope::from_init(&InitParams::of(init).declaring(extensions));
    let (msg, headers) = envelope
        .request(br#"{"jsonrpc":"2.0","id":"mcp-bridge-discover","method":"server/discover"}"#)
        .expect("the probe is well formed");
    let asked = async {
        let posted = http.post(&msg, &headers, 0).await?;
        posted.answer(&msg, sink, Others::AS_THEY_ARE).await
    };
    tokio::pin!(asked);
    // The limit is on the server's answer, not on a sign-in it asked for.
    let mut waited = tokio::time::timeout(PROBE_LIMIT, &mut asked).await;
    while waited.is_err() && http.layer().signing_in() {
        waited = tokio::time::timeout(PROBE_LIMIT, &mut asked).await;
    }
    let answer = match waited {
        Err(_) => {
            return Ok(Some(Probe::Legacy(format!(
                "server/discover had no answer within {} s",
                PROBE_LIMIT.as_secs()
            ))))
        }
        Ok(Err(e)) => {
            return match e.kind() {
                ErrorKind::Connect
                | ErrorKind::Timeout
                | ErrorKind::Untrusted
                | ErrorKind::Auth => Err(e),
                // Authorization, never an era: the sign-in already had its turn.
                ErrorKind::Status
                    if e.http_status()
                        .is_some_and(|s| matches!(s.as_u16(), 401 | 403)) =>
                {
                    Err(e)
                }
                ErrorKind::Status => refused(http.url(), e.server_code(), e.server_data(), &e),
                _ => Ok(Some(Probe::Legacy(format!(
                    "server/discover: {e}",
                    e = crate::text::Chain(&e)
                )))),
            };
        }
        Ok(Ok(None)) => {
            return Ok(Some(Probe::Legacy(
                "server/discover was not answered".into(),
            )))
        }
        Ok(Ok(Some(a))) => a,
    };
    if answer.is_error() {
        let e = jsonrpc::error_object(&answer.raw).unwrap_or_default();
        let why = e.message.clone().unwrap_or_default();
        return refused(http.url(), e.code, e.data.as_ref(), &why);
    }
    #[derive(Deserialize)]
    struct R {
        result: DiscoverResult,
    }
    #[derive(Deserialize)]
    struct DiscoverResult {
        #[serde(rename = "supportedVersions", default)]
        supported: Vec<String>,
        capabilities: Option<Raw>,
        instructions: Option<Raw>,
        #[serde(rename = "_meta")]
        meta: Option<HashMap<String, Raw>>,
    }
    match serde_json::from_slice::<R>(&answer.raw) {
        Ok(R { result }) if result.supported.iter().any(|v| v == MODERN) => {
            Ok(Some(Probe::Modern(Discovered {
                capabilities: result
                    .capabilities
                    .unwrap_or_else(|| jsonrpc::to_raw(&serde_json::json!({}))),
                server_info: result.meta.and_then(|mut m| m.remove(SERVER_INFO_KEY)),
                instructions: result.instructions,
            })))
        }
        Ok(R { result }) if result.supported.is_empty() => Ok(Some(Probe::Legacy(
            "server/discover was answered without supportedVersions".into(),
        ))),
        Ok(R { result }) => refused(
            http.url(),
            Some(jsonrpc::UNSUPPORTED_VERSION),
            Some(&serde_json::json!({ "supported": result.supported })),
            &"server/discover",
        ),
        Err(_) => Ok(Some(Probe::Legacy(
            "server/discover answered something else".into(),
        ))),
    }
}

/// The server refused `server/discover` with the JSON-RPC `code` (and
/// `data`): a handshake-era server, unless the code is one only a modern
/// server uses. A modern server that supports a handshake version too is
/// spoken to in that version; one that does not is an error the user sees.
fn refused(
    url: &str,
    code: Option<i64>,
    data: Option<&serde_json::Value>,
    why: &dyn std::fmt::Display,
) -> Result<Option<Probe>, UpstreamError> {
    let Some(code) = code.filter(|c| MODERN_CODES.contains(c)) else {
        return Ok(Some(Probe::Legacy(format!(
            "server/discover was refused: {why}"
        ))));
    };
    let supported: Vec<&str> = data
        .and_then(|d| d["supported"].as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    if code == jsonrpc::UNSUPPORTED_VERSION {
        if supported.contains(&MODERN) {
            return Ok(None);
        }
        if let Some(v) = supported.iter().find(|v| HANDSHAKE_VERSIONS.contains(v)) {
            return Ok(Some(Probe::Legacy(format!(
                "the server does not support {MODERN} but supports {v}"
            ))));
        }
        return Err(UpstreamError::new(
            ErrorKind::Era,
            url,
            format!(
                "it speaks only protocol versions {supported:?}, and the bridge speaks {MODERN} and {}",
                HANDSHAKE_VERSIONS.join(", ")
            ),
        ));
    }
    Err(UpstreamError::new(
        ErrorKind::Era,
        url,
        format!("it speaks {MODERN} but refused server/discover (error {code}): {why}"),
    ))
}
