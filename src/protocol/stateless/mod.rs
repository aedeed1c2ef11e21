//! Protocol revision 2026-07-28, which drops sessions and `initialize`: the
//! envelope and routing headers every request carries ([`envelope`]), the
//! `server/discover` probe ([`discover`]), and the [`Translator`] that
//! speaks this revision to the server for a handshake-era client: it answers
//! the client's `initialize` from what the server declared, stamps every
//! request, turns `input_required` rounds into ordinary requests to the
//! client ([`input`]), answers `ping`, `logging/setLevel` and resource
//! (un)subscriptions itself, and keeps a `subscriptions/listen` stream open
//! for the notifications a handshake-era client expects.

pub mod discover;
pub mod envelope;
pub mod input;
pub mod modern;
pub mod older;
pub mod params;

use crate::http::error::UpstreamError;
use crate::http::retry::{Reconnect, Reopen};
use crate::jsonrpc::{self, Id, Message, MessageKind, Method};
use crate::protocol::{self, extensions, HANDSHAKE_VERSIONS, LATEST_HANDSHAKE, MODERN};
use crate::sync::Locked;
use crate::text::Chain;
use crate::transport::streamable_http::Others;
use crate::transport::Sink;
use discover::Discovered;
use envelope::{Envelope, InitParams};
use input::{input_required, Asking, MAX_INPUT_REQUESTS, MAX_INPUT_ROUNDS};
use modern::Modern;
use serde_json::value::RawValue;
use serde_json::Map;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::AbortHandle;

/// Acknowledgements of a `subscriptions/listen` stream, which a handshake-era client does not know.
const LISTEN_ACK: &str = "notifications/subscriptions/acknowledged";

type Raw = Box<RawValue>;

/// Speaks 2026-07-28 to the server on behalf of a handshake-era client.
pub struct Translator {
    modern: Arc<Modern>,
    sink: Sink,
    envelope: Mutex<Envelope>,
    /// Which list-changed notifications the server offers.
    list_changed: [(&'static str, bool); 3],
    subscriptions: Mutex<BTreeSet<String>>,
    listen: Mutex<Option<AbortHandle>>,
    asking: Asking,
}

impl Translator {
    /// Start translating for the client whose `initialize` is `init`; the
    /// answer to that `initialize`, from what the server declared, comes back.
    pub fn start(
        modern: Arc<Modern>,
        sink: Sink,
        init: &Message,
        found: Discovered,
        extensions: &[String],
    ) -> (Arc<Self>, Option<Message>) {
        let params = InitParams::of(init).declaring(extensions);
        // What the server declared, without the extensions the client's era
        // does not define.
        let capabilities =
            extensions::handshake_only(&found.capabilities).unwrap_or(found.capabilities);
        let caps: serde_json::Value = serde_json::from_str(capabilities.get()).unwrap_or_default();
        let flag = |area: &str| caps[area]["listChanged"].as_bool() == Some(true);
        let list_changed = [
            ("toolsListChanged", flag("tools")),
            ("promptsListChanged", flag("prompts")),
            ("resourcesListChanged", flag("resources")),
        ];
        let version = params
            .protocol_version
            .as_deref()
            .filter(|v| HANDSHAKE_VERSIONS.contains(v))
            .unwrap_or(LATEST_HANDSHAKE);
        let server_info = found.server_info.unwrap_or_else(|| {
            jsonrpc::to_raw(&serde_json::json!({"name": modern.http().url(), "version": "unknown"}))
        });
        let mut result = format!(
            r#"{{"protocolVersion":{},"capabilities":{},"serverInfo":{}"#,
            jsonrpc::to_raw(version).get(),
            capabilities.get(),
            server_info.get()
        );
        if let Some(i) = &found.instructions {
            result.push_str(&format!(r#","instructions":{}"#, i.get()));
        }
        result.push('}');
        tracing::info!(
            "protocol era: {MODERN} (the server answered server/discover); translating for a client of {version}"
        );
        let answer = init.id().map(|id| protocol::result(id, &result));
        let t = Arc::new(Translator {
            modern,
            sink,
            envelope: Mutex::new(Envelope::from_init(&params)),
            list_changed,
            subscriptions: Mutex::new(BTreeSet::new()),
            listen: Mutex::new(None),
            asking: Asking::default(),
        });
        (t, answer)
    }

    /// The answer to one client request `m`, whose id is `id` (after
    /// `initialize`): the server's, after any `input_required` rounds, or
    /// the bridge's own for what 2026-07-28 has no request for.
    pub async fn request(self: &Arc<Self>, m: &Message, id: &Id) -> Result<Message, UpstreamError> {
        let empty = || protocol::result(id, "{}");
        match m.method() {
            // 2026-07-28 has no ping; the bridge itself is alive.
            Some(Method::Ping) => Ok(empty()),
            Some(Method::SetLogLevel) => {
                let level = jsonrpc::params_raw(&m.raw, "level");
                self.envelope.locked().log_level = level;
                Ok(empty())
            }
            Some(method @ (Method::ResourcesSubscribe | Method::ResourcesUnsubscribe)) => {
                if let Some(uri) = jsonrpc::params_str(&m.raw, "uri") {
                    let mut subs = self.subscriptions.locked();
                    if *method == Method::ResourcesSubscribe {
                        subs.insert(uri);
                    } else {
                        subs.remove(&uri);
                    }
                }
                self.restart_listen();
                Ok(empty())
            }
            Some(method) => match extensions::modern_only_method(method.name()) {
                // What a server of the client's era without it answers.
                Some(ext) => {
                    tracing::info!(
                        "{} belongs to the extension {ext}, which the client's protocol era does not define; answered as not found",
                        m.describe()
                    );
                    Ok(protocol::error(
                        id,
                        jsonrpc::METHOD_NOT_FOUND,
                        "Method not found",
                        None,
                    ))
                }
                None => self.call(m, id).await,
            },
            None => self.call(m, id).await,
        }
    }

    /// A notification or response from the client.
    pub fn from_client(self: &Arc<Self>, m: Message) {
        match m.kind() {
            MessageKind::Notification if m.is(&Method::Initialized) => self.restart_listen(),
            // 2026-07-28 cancels by closing the request's stream, which the
            // relay did when it stopped the request.
            MessageKind::Notification if m.is(&Method::Cancelled) => {}
            MessageKind::Notification => {
                tracing::debug!(
                    "not relayed to a {MODERN} server: {}",
                    crate::text::for_log(m.method_name())
                )
            }
            MessageKind::Response => {
                if !self.asking.answered(m) {
                    tracing::debug!("dropped a client response nothing waits for");
                }
            }
            MessageKind::Request => {}
        }
    }

    /// Send one request, working through `input_required` rounds by asking
    /// the client, until the server gives a final answer. Each round after
    /// the first is a new request, so it goes under a new id (the
    /// specification's rule); the answer goes back under the client's.
    async fn call(&self, m: &Message, id: &Id) -> Result<Message, UpstreamError> {
        let fail =
            |code, text: &str| protocol::error(id, code, &format!("mcp-bridge: {text}"), None);
        let mut extra: Vec<(&str, Raw)> = Vec::new();
        let mut state_wait = Duration::from_millis(50);
        // URL-mode elicitations the client accepted, by the ids it was given.
        let mut opened: Vec<String> = Vec::new();
        for round in 0..=MAX_INPUT_ROUNDS {
            let stamped = self.envelope.locked().stamp(&m.raw, &extra);
            let raw = match stamped {
                Ok(r) => r,
                Err(e) => return Ok(fail(jsonrpc::INVALID_REQUEST, &Chain(&e).to_string())),
            };
            let msg = if round == 0 {
                Message { raw, ..m.clone() }
            } else {
                match protocol::own_request(&raw, "round") {
                    Some(again) => again,
                    None => return Ok(fail(jsonrpc::INVALID_REQUEST, "cannot repeat the request")),
                }
            };
            let answer = self
                .modern
                .request(&msg, MODERN, older::notification)
                .await?;
            let answer = if round == 0 {
                answer
            } else {
                modern::under_id(answer, m)
            };
            let Some(asked) = (!answer.is_error())
                .then(|| input_required(&answer.raw))
                .flatten()
            else {
                let answer = match older::answer(answer, m.method()) {
                    Ok(a) => a,
                    Err(older::NoEquivalent(kind)) => {
                        let kind = crate::text::clean(&kind, 64);
                        tracing::warn!(
                            "{} was answered with a result of type {} (it was not asked for), which a client of the handshake era cannot receive",
                            m.describe(),
                            crate::text::for_log(&kind)
                        );
                        let text = format!("the server answered with a result of type {kind}, which has no equivalent in the client's protocol revision");
                        return Ok(fail(jsonrpc::UPSTREAM_ERROR, &text));
                    }
                };
                if !answer.is_error() {
                    self.elicitations_complete(&opened).await;
                }
                return Ok(answer);
            };
            if round == MAX_INPUT_ROUNDS {
                let text =
                    format!("the server asked for more input {MAX_INPUT_ROUNDS} times; giving up");
                return Ok(fail(jsonrpc::UPSTREAM_ERROR, &text));
            }
            extra.clear();
            if let Some(state) = asked.request_state {
                extra.push(("requestState", state));
            }
            if asked.requests.len() > MAX_INPUT_REQUESTS {
                let text = format!(
                    "the server asked for {} inputs at once; the bridge allows {MAX_INPUT_REQUESTS}",
                    asked.requests.len()
                );
                return Ok(fail(jsonrpc::UPSTREAM_ERROR, &text));
            }
            if asked.requests.is_empty() {
                tokio::time::sleep(state_wait).await;
                state_wait = (state_wait * 2).min(Duration::from_millis(250));
                continue;
            }
            state_wait = Duration::from_millis(50);
            match self.asking.ask(&self.sink, asked.requests).await {
                Ok((responses, urls)) => {
                    extra.push(("inputResponses", responses));
                    opened.extend(urls);
                }
                Err(r) => return Ok(protocol::error(id, r.code, &r.text, r.data)),
            }
        }
        unreachable!("the last round returns")
    }

    /// Tell a 2025-11-25 client that the URL-mode elicitations `ids` are
    /// done (2026-07-28 has no such notification: the repeated request
    /// succeeding is the sign).
    async fn elicitations_complete(&self, ids: &[String]) {
        for eid in ids {
            let line = format!(
                r#"{{"jsonrpc":"2.0","method":"notifications/elicitation/complete","params":{{"elicitationId":{}}}}}"#,
                jsonrpc::to_raw(eid).get()
            );
            if let Ok(m) = jsonrpc::classify(bytes::Bytes::from(line)) {
                let _ = self.sink.send(m).await;
            }
        }
    }

    /// (Re)open the `subscriptions/listen` stream that carries list-changed
    /// and resource-updated notifications, asking for what the server offers
    /// and the resources the client subscribed to.
    fn restart_listen(self: &Arc<Self>) {
        self.stop();
        let mut filter = Map::new();
        for (name, on) in self.list_changed {
            if on {
                filter.insert(name.to_owned(), true.into());
            }
        }
        let subs: Vec<String> = self.subscriptions.locked().iter().cloned().collect();
        if !subs.is_empty() {
            filter.insert("resourceSubscriptions".to_owned(), subs.into());
        }
        if filter.is_empty() {
            return;
        }
        let this = Arc::clone(self);
        let task = tokio::spawn(async move {
            let mut reconnect = Reconnect::new("subscriptions/listen");
            loop {
                let r = this.listen_once(&filter).await;
                if !reconnect.after(r).await {
                    break;
                }
            }
        });
        *self.listen.locked() = Some(task.abort_handle());
    }

    /// One run of the listen stream.
    async fn listen_once(&self, filter: &Map<String, serde_json::Value>) -> Reopen {
        let body = serde_json::json!({
            "jsonrpc": "2.0",
            "id": protocol::own_id("listen"),
            "method": "subscriptions/listen",
            "params": {"notifications": filter},
        });
        let stamped = self.envelope.locked().request(body.to_string().as_bytes());
        let Ok((msg, headers)) = stamped else {
            return Reopen::Stop;
        };
        tracing::debug!("subscriptions/listen stream opening");
        let listened = async {
            let posted = self.modern.http().post_stateless(&msg, &headers).await?;
            let others = Others {
                skip: Some(LISTEN_ACK),
                shape: older::notification,
            };
            posted.answer(&msg, &self.sink, others).await
        };
        match listened.await {
            Ok(_) => {
                tracing::info!("the server ended the subscriptions/listen stream");
                Reopen::Afresh(None)
            }
            Err(e) => {
                tracing::info!("subscriptions/listen: {e}", e = Chain(&e));
                Reopen::After(None)
            }
        }
    }

    /// Stop the listen stream.
    pub fn stop(&self) {
        if let Some(old) = self.listen.locked().take() {
            old.abort();
        }
    }
}
