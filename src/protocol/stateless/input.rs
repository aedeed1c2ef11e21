//! `input_required` (2026-07-28's multi-round-trip requests): the server's
//! questions put to a handshake-era client as ordinary requests, and the
//! answers collected by key.

use crate::jsonrpc::{self, Id, Message};
use crate::sync::Locked;
use crate::transport::Sink;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use tokio::sync::oneshot;

/// How many `input_required` rounds one request may take, as the SDKs allow.
pub const MAX_INPUT_ROUNDS: u32 = 10;
/// How many input requests one `input_required` round may carry.
pub const MAX_INPUT_REQUESTS: usize = 32;

type Raw = Box<RawValue>;

/// An `input_required` result: the server's requests by key, and its state.
pub struct InputRequired {
    /// The requests, by key, in key order.
    pub requests: Vec<(String, Raw)>,
    /// The state to send back with the answers.
    pub request_state: Option<Raw>,
}

/// The `input_required` result in `raw`, if it is one.
pub fn input_required(raw: &[u8]) -> Option<InputRequired> {
    #[derive(Deserialize)]
    struct M {
        result: Option<R>,
    }
    #[derive(Deserialize)]
    struct R {
        #[serde(rename = "resultType")]
        result_type: Option<String>,
        #[serde(rename = "inputRequests")]
        input_requests: Option<HashMap<String, Raw>>,
        #[serde(rename = "requestState")]
        request_state: Option<Raw>,
    }
    let r = serde_json::from_slice::<M>(raw).ok()?.result?;
    if r.result_type.as_deref() != Some("input_required") {
        return None;
    }
    let mut requests: Vec<(String, Raw)> =
        r.input_requests.unwrap_or_default().into_iter().collect();
    requests.sort_by(|a, b| a.0.cmp(&b.0));
    Some(InputRequired {
        requests,
        request_state: r.request_state.filter(|s| s.get() != "null"),
    })
}

/// Why the client's answers could not be had: the error that answers the
/// original request instead.
pub struct Refusal {
    /// The JSON-RPC code.
    pub code: i64,
    /// The words.
    pub text: String,
    /// The client's data, if it gave any.
    pub data: Option<serde_json::Value>,
}

/// The bridge's own requests to the client, waiting for its answers.
#[derive(Default)]
pub struct Asking {
    waiters: Mutex<HashMap<Id, oneshot::Sender<Message>>>,
    next_id: AtomicU64,
}

impl Asking {
    /// The client answered `m`; true when the bridge was waiting for it.
    pub fn answered(&self, m: Message) -> bool {
        let waiter = m.id().and_then(|id| self.waiters.locked().remove(id));
        match waiter {
            Some(w) => w.send(m).is_ok(),
            None => false,
        }
    }

    /// Put the server's input requests to the client (through `sink`) as
    /// ordinary requests (sampling, elicitation, roots) and collect the
    /// answers by key. A URL-mode elicitation gets the `elicitationId` a
    /// 2025-11-25 client needs (2026-07-28 dropped it); the ids of those the
    /// client accepted come back too, for `notifications/elicitation/complete`
    /// once the repeated request succeeds.
    pub async fn ask(
        &self,
        sink: &Sink,
        requests: Vec<(String, Raw)>,
    ) -> Result<(Raw, Vec<String>), Refusal> {
        let mut waiting = Vec::new();
        for (key, req) in requests {
            #[derive(Deserialize)]
            struct R {
                method: String,
                params: Option<Raw>,
            }
            let Ok(r) = serde_json::from_str::<R>(req.get()) else {
                tracing::warn!("the server's input request {key:?} is not a request; skipped");
                continue;
            };
            let n = self.next_id.fetch_add(1, Ordering::Relaxed);
            let id = Id::bridge(&format!("mcp-bridge-input-{n}"));
            let (params, url_mode) = with_elicitation_id(&r.method, r.params, n);
            let (tx, rx) = oneshot::channel();
            self.waiters.locked().insert(id.clone(), tx);
            let mut line = format!(
                r#"{{"jsonrpc":"2.0","id":{},"method":{}"#,
                id.as_json(),
                jsonrpc::to_raw(&r.method).get()
            );
            if let Some(p) = &params {
                line.push_str(&format!(r#","params":{}"#, p.get()));
            }
            line.push('}');
            tracing::info!(
                "← request {} id={id} (input the server asked for)",
                crate::text::for_log(&r.method)
            );
            if let Ok(m) = jsonrpc::classify(bytes::Bytes::from(line)) {
                let _ = sink.send(m).await;
            }
            waiting.push((key, id, rx, url_mode));
        }
        let mut responses: HashMap<String, Raw> = HashMap::new();
        let mut accepted_urls = Vec::new();
        for (key, id, rx, url_mode) in waiting {
            let Ok(answer) = rx.await else {
                self.waiters.locked().remove(&id);
                return Err(Refusal {
                    code: jsonrpc::UPSTREAM_ERROR,
                    text: "mcp-bridge: the client did not answer the server's input request".into(),
                    data: None,
                });
            };
            if answer.is_error() {
                let e = jsonrpc::error_object(&answer.raw);
                return Err(match e {
                    Some(e) => Refusal {
                        code: e.code.unwrap_or(jsonrpc::UPSTREAM_ERROR),
                        text: e.message.unwrap_or_default(),
                        data: e.data,
                    },
                    None => Refusal {
                        code: jsonrpc::UPSTREAM_ERROR,
                        text: String::new(),
                        data: None,
                    },
                });
            }
            let result = jsonrpc::result_raw(&answer.raw)
                .unwrap_or_else(|| jsonrpc::to_raw(&serde_json::json!({})));
            if let Some(eid) = url_mode {
                #[derive(Deserialize)]
                struct Action {
                    action: Option<String>,
                }
                let action = serde_json::from_str::<Action>(result.get()).ok();
                if action.and_then(|a| a.action).as_deref() == Some("accept") {
                    accepted_urls.push(eid);
                }
            }
            responses.insert(key, result);
        }
        Ok((jsonrpc::to_raw(&responses), accepted_urls))
    }
}

/// The params of an input request `method`; for a URL-mode elicitation
/// without an `elicitationId`, with one invented (number `n`), which also
/// comes back.
fn with_elicitation_id(method: &str, params: Option<Raw>, n: u64) -> (Option<Raw>, Option<String>) {
    if method != "elicitation/create" {
        return (params, None);
    }
    let Some(p) = &params else {
        return (params, None);
    };
    let Ok(mut fields) = serde_json::from_str::<HashMap<String, Raw>>(p.get()) else {
        return (params, None);
    };
    if fields.get("mode").map(|m| m.get()) != Some(r#""url""#) {
        return (params, None);
    }
    let id = match fields.get("elicitationId") {
        Some(existing) => match serde_json::from_str::<String>(existing.get()) {
            Ok(id) => id,
            Err(_) => return (params, None),
        },
        None => {
            let id = format!("mcp-bridge-elicitation-{n}");
            fields.insert("elicitationId".to_owned(), jsonrpc::to_raw(&id));
            id
        }
    };
    (Some(jsonrpc::to_raw(&fields)), Some(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_required_results_are_recognized() {
        let raw = br#"{"jsonrpc":"2.0","id":1,"result":{"resultType":"input_required","inputRequests":{"b":{"method":"roots/list"},"a":{"method":"elicitation/create","params":{}}},"requestState":"s1"}}"#;
        let ir = input_required(raw).unwrap();
        assert_eq!(ir.requests.len(), 2);
        assert_eq!(ir.requests[0].0, "a");
        assert_eq!(ir.request_state.unwrap().get(), "\"s1\"");
        assert!(
            input_required(br#"{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete"}}"#)
                .is_none()
        );
        assert!(input_required(br#"{"jsonrpc":"2.0","id":1,"result":{}}"#).is_none());
    }
}
