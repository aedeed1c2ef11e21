//! `server/discover`: asking a server whether it speaks 2026-07-28, on
//! behalf of a client that sent `initialize`.

use super::envelope::{Envelope, InitParams, SERVER_INFO_KEY};
use crate::http::error::{Kind, UpstreamError};
use crate::jsonrpc::{self, Message};
use crate::protocol::MODERN;
use crate::transport::streamable_http::StreamableHttp;
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
    /// The server does not (why, for the log).
    Handshake(String),
    /// The server could not be asked at all.
    Failed(UpstreamError),
}

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
/// `initialize` is `init`. Anything but a positive answer means the
/// handshake era; only a failure to reach the server at all is an error.
pub async fn probe(http: &Arc<StreamableHttp>, sink: &Sink, init: &Message) -> Probe {
    let envelope = Envelope::from_init(&InitParams::of(init));
    let (msg, headers) = envelope
        .request(br#"{"jsonrpc":"2.0","id":"mcp-bridge-discover","method":"server/discover"}"#)
        .expect("the probe is well formed");
    let asked = async {
        let posted = http.post(&msg, &headers, 0).await?;
        posted.answer(&msg, sink, None).await
    };
    let answer = match tokio::time::timeout(PROBE_LIMIT, asked).await {
        Err(_) => {
            return Probe::Handshake(format!(
                "server/discover had no answer within {} s",
                PROBE_LIMIT.as_secs()
            ))
        }
        Ok(Err(e)) => {
            return match e.kind() {
                Kind::Connect | Kind::Timeout => Probe::Failed(e),
                _ => Probe::Handshake(format!("server/discover: {e}")),
            }
        }
        Ok(Ok(None)) => return Probe::Handshake("server/discover was not answered".into()),
        Ok(Ok(Some(a))) => a,
    };
    if answer.is_error {
        let why = jsonrpc::error_object(&answer.raw)
            .and_then(|e| e.message)
            .unwrap_or_default();
        return Probe::Handshake(format!("server/discover answered an error: {why}"));
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
            Probe::Modern(Discovered {
                capabilities: result
                    .capabilities
                    .unwrap_or_else(|| jsonrpc::to_raw(&serde_json::json!({}))),
                server_info: result.meta.and_then(|mut m| m.remove(SERVER_INFO_KEY)),
                instructions: result.instructions,
            })
        }
        Ok(R { result }) => {
            Probe::Handshake(format!("server/discover lists only {:?}", result.supported))
        }
        Err(_) => Probe::Handshake("server/discover answered something else".into()),
    }
}
