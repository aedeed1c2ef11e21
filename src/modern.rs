//! Protocol revision 2026-07-28, which drops sessions and `initialize`: the
//! routing headers every POST carries, the per-request `_meta` envelope, the
//! `server/discover` probe, and the translator that lets a handshake-era
//! client use a server that speaks only this revision.

use crate::http::retry::Backoff;
use crate::jsonrpc::{self, Id, Kind, Message};
use crate::relay::Router;
use crate::transport::streamable_http::{Post, StreamableHttp, VERSION_HEADER};
use crate::transport::UpstreamError;
use base64::Engine as _;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Map;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::AbortHandle;

/// The revision without sessions.
pub const MODERN: &str = "2026-07-28";
/// Revisions reachable through the `initialize` handshake, oldest first.
pub const HANDSHAKE_VERSIONS: [&str; 4] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
/// `_meta` key: the protocol version of this request.
pub const PROTOCOL_VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
const CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
const CLIENT_INFO_KEY: &str = "io.modelcontextprotocol/clientInfo";
const LOG_LEVEL_KEY: &str = "io.modelcontextprotocol/logLevel";
const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";
/// Header naming the JSON-RPC method.
const METHOD_HEADER: &str = "mcp-method";
/// Header naming the tool, prompt or resource a request is about.
const NAME_HEADER: &str = "mcp-name";
/// JSON-RPC error: the server does not support the requested protocol version.
pub const UNSUPPORTED_VERSION: i64 = -32022;
/// How many `input_required` rounds one request may take, as the SDKs allow.
pub const MAX_INPUT_ROUNDS: u32 = 10;
/// How many input requests one `input_required` round may carry.
const MAX_INPUT_REQUESTS: usize = 32;
/// How long the `server/discover` probe may take before the bridge assumes a
/// handshake-era server.
const PROBE_LIMIT: Duration = Duration::from_secs(10);
/// Acknowledgements of a `subscriptions/listen` stream, which a handshake-era client does not know.
const LISTEN_ACK: &str = "notifications/subscriptions/acknowledged";

type Raw = Box<RawValue>;
type Object = Map<String, serde_json::Value>;

/// The protocol version a request names in `params._meta`, if it names one.
pub fn request_version(raw: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct M<'a> {
        #[serde(borrow)]
        params: Option<P<'a>>,
    }
    #[derive(Deserialize)]
    struct P<'a> {
        #[serde(borrow, rename = "_meta")]
        meta: Option<HashMap<&'a str, &'a RawValue>>,
    }
    let m: M<'_> = serde_json::from_slice(raw).ok()?;
    let v = m.params?.meta?.remove(PROTOCOL_VERSION_KEY)?;
    serde_json::from_str::<String>(v.get()).ok()
}

/// The headers 2026-07-28 asks on every POST: `MCP-Protocol-Version`,
/// `Mcp-Method`, and `Mcp-Name` for requests about a named thing.
pub fn routing_headers(m: &Message, version: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(version) {
        h.insert(HeaderName::from_static(VERSION_HEADER), v);
    }
    let Some(method) = m.method.as_deref() else {
        return h;
    };
    if let Ok(v) = HeaderValue::from_str(&encode_header_value(method)) {
        h.insert(HeaderName::from_static(METHOD_HEADER), v);
    }
    let field = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        _ => return h,
    };
    if let Some(name) = params_str(&m.raw, field) {
        if let Ok(v) = HeaderValue::from_str(&encode_header_value(&name)) {
            h.insert(HeaderName::from_static(NAME_HEADER), v);
        }
    }
    h
}

/// A header value as 2026-07-28 encodes it: printable ASCII without edge
/// spaces as it is, anything else base64 inside `=?base64?…?=`.
pub fn encode_header_value(v: &str) -> String {
    let plain = v.bytes().all(|b| (0x20..=0x7e).contains(&b))
        && v.trim() == v
        && !(v.starts_with("=?base64?") && v.ends_with("?="));
    if plain {
        v.to_owned()
    } else {
        format!(
            "=?base64?{}?=",
            base64::engine::general_purpose::STANDARD.encode(v)
        )
    }
}

fn params_str(raw: &[u8], field: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct M<'a> {
        #[serde(borrow)]
        params: Option<HashMap<&'a str, &'a RawValue>>,
    }
    let m: M<'_> = serde_json::from_slice(raw).ok()?;
    serde_json::from_str(m.params?.get(field)?.get()).ok()
}

/// Rebuild a request with `meta` merged into `params._meta` (the client's own
/// keys, such as `progressToken`, are kept) and `extra` set in `params`.
/// Every other value keeps its exact bytes.
pub fn stamp(
    raw: &[u8],
    meta: &[(&str, &RawValue)],
    extra: &[(&str, &RawValue)],
) -> Result<Bytes, String> {
    let mut msg: HashMap<String, Raw> = serde_json::from_slice(raw)
        .map_err(|e| format!("the request is not a JSON object: {e}"))?;
    let mut params: HashMap<String, Raw> = match msg.get("params") {
        Some(p) if p.get() != "null" => serde_json::from_str(p.get())
            .map_err(|_| "params must be an object in MCP".to_owned())?,
        _ => HashMap::new(),
    };
    let mut meta_obj: HashMap<String, Raw> = match params.remove("_meta") {
        Some(m) if m.get() != "null" => serde_json::from_str(m.get())
            .map_err(|_| "params._meta must be an object".to_owned())?,
        _ => HashMap::new(),
    };
    for (k, v) in meta {
        meta_obj.insert((*k).to_owned(), (*v).to_owned());
    }
    for (k, v) in extra {
        params.insert((*k).to_owned(), (*v).to_owned());
    }
    params.insert("_meta".to_owned(), to_raw(&meta_obj));
    msg.insert("params".to_owned(), to_raw(&params));
    // Raw values serialize as their original text, so nothing else changes.
    serde_json::to_vec(&msg)
        .map(Bytes::from)
        .map_err(|e| e.to_string())
}

/// `raw` (a request) with its id replaced by the string `id`; every other
/// value keeps its bytes.
pub fn with_id(raw: &[u8], id: &str) -> Result<Bytes, String> {
    let mut msg: HashMap<String, Raw> =
        serde_json::from_slice(raw).map_err(|e| format!("not a JSON object: {e}"))?;
    msg.insert("id".to_owned(), to_raw(&id));
    serde_json::to_vec(&msg)
        .map(Bytes::from)
        .map_err(|e| e.to_string())
}

fn to_raw<T: serde::Serialize>(v: &T) -> Raw {
    serde_json::value::to_raw_value(v).expect("maps of raw values serialize")
}

/// What the `server/discover` probe found.
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
    capabilities: Raw,
    server_info: Option<Raw>,
    instructions: Option<Raw>,
}

/// The parts of the client's `initialize` the translator needs.
#[derive(Deserialize)]
struct InitParams {
    #[serde(rename = "protocolVersion")]
    protocol_version: Option<String>,
    capabilities: Option<Raw>,
    #[serde(rename = "clientInfo")]
    client_info: Option<Raw>,
}

fn init_params(raw: &[u8]) -> InitParams {
    #[derive(Deserialize)]
    struct M {
        params: Option<InitParams>,
    }
    serde_json::from_slice::<M>(raw)
        .ok()
        .and_then(|m| m.params)
        .unwrap_or(InitParams {
            protocol_version: None,
            capabilities: None,
            client_info: None,
        })
}

/// The client's identity, stamped on every request in `_meta`.
struct Envelope {
    capabilities: Raw,
    client_info: Option<Raw>,
    log_level: Option<Raw>,
}

impl Envelope {
    fn from_init(p: &InitParams) -> Self {
        Envelope {
            capabilities: p
                .capabilities
                .clone()
                .unwrap_or_else(|| RawValue::from_string("{}".into()).expect("valid JSON")),
            client_info: p.client_info.clone(),
            log_level: None,
        }
    }

    fn meta(&self) -> Vec<(&'static str, Raw)> {
        let mut v = vec![
            (PROTOCOL_VERSION_KEY, to_raw(&MODERN)),
            (CAPABILITIES_KEY, self.capabilities.clone()),
        ];
        if let Some(i) = &self.client_info {
            v.push((CLIENT_INFO_KEY, i.clone()));
        }
        if let Some(l) = &self.log_level {
            v.push((LOG_LEVEL_KEY, l.clone()));
        }
        v
    }
}

/// Ask the server whether it speaks 2026-07-28, on behalf of a client whose
/// `initialize` is `init`. Anything but a positive answer means the
/// handshake era; only a failure to reach the server at all is an error.
pub async fn probe(http: &StreamableHttp, router: &Router, init: &Message) -> Probe {
    let envelope = Envelope::from_init(&init_params(&init.raw));
    let meta = envelope.meta();
    let meta_refs: Vec<(&str, &RawValue)> = meta.iter().map(|(k, v)| (*k, &**v)).collect();
    let body = stamp(
        br#"{"jsonrpc":"2.0","id":"mcp-bridge-discover","method":"server/discover"}"#,
        &meta_refs,
        &[],
    )
    .expect("the probe is well formed");
    let msg = jsonrpc::classify(body).expect("the probe is JSON-RPC");
    let how = Post {
        session: false,
        extra: Some(routing_headers(&msg, MODERN)),
        capture: true,
        quiet: None,
    };
    let answer = match tokio::time::timeout(PROBE_LIMIT, http.post(&msg, &how, router)).await {
        Err(_) => {
            return Probe::Handshake(format!(
                "server/discover had no answer within {} s",
                PROBE_LIMIT.as_secs()
            ))
        }
        Ok(Err(e)) => {
            return match e {
                UpstreamError::Connect { .. } | UpstreamError::Timeout { .. } => Probe::Failed(e),
                other => Probe::Handshake(format!("server/discover: {other}")),
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
                    .unwrap_or_else(|| to_raw(&serde_json::json!({}))),
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

/// Speaks 2026-07-28 to the server on behalf of a handshake-era client.
pub struct Translator {
    http: Arc<StreamableHttp>,
    router: Arc<Router>,
    envelope: Mutex<Envelope>,
    /// Which list-changed notifications the server offers.
    list_changed: [(&'static str, bool); 3],
    subscriptions: Mutex<BTreeSet<String>>,
    listen: Mutex<Option<AbortHandle>>,
    /// The bridge's own requests to the client, waiting for its answers.
    waiters: Mutex<HashMap<Id, oneshot::Sender<Message>>>,
    /// Requests in flight, so a cancellation can close their streams.
    calls: Mutex<HashMap<Id, AbortHandle>>,
    next_id: AtomicU64,
    /// `--request-timeout`, for each call with all its rounds.
    timeout: Option<std::time::Duration>,
}

impl Translator {
    /// Start translating for the client whose `initialize` is `init`, and
    /// answer that `initialize` from what the server declared.
    pub async fn start(
        http: Arc<StreamableHttp>,
        router: Arc<Router>,
        init: &Message,
        found: Discovered,
        timeout: Option<std::time::Duration>,
    ) -> Arc<Self> {
        let params = init_params(&init.raw);
        let caps: serde_json::Value =
            serde_json::from_str(found.capabilities.get()).unwrap_or_default();
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
            .unwrap_or(HANDSHAKE_VERSIONS[HANDSHAKE_VERSIONS.len() - 1]);
        let server_info = found.server_info.unwrap_or_else(|| {
            to_raw(&serde_json::json!({"name": http.url(), "version": "unknown"}))
        });
        let mut result = format!(
            r#"{{"protocolVersion":{},"capabilities":{},"serverInfo":{}"#,
            to_raw(&version).get(),
            found.capabilities.get(),
            server_info.get()
        );
        if let Some(i) = &found.instructions {
            result.push_str(&format!(r#","instructions":{}"#, i.get()));
        }
        result.push('}');
        tracing::info!(
            "protocol era: {MODERN} (the server answered server/discover); translating for a client of {version}"
        );
        let t = Arc::new(Translator {
            http,
            router: Arc::clone(&router),
            envelope: Mutex::new(Envelope::from_init(&params)),
            list_changed,
            subscriptions: Mutex::new(BTreeSet::new()),
            listen: Mutex::new(None),
            waiters: Mutex::new(HashMap::new()),
            calls: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            timeout,
        });
        if let Some(id) = &init.id {
            let line = format!(
                r#"{{"jsonrpc":"2.0","id":{},"result":{result}}}"#,
                id.as_json()
            );
            router.answer_ok(id, Bytes::from(line)).await;
        }
        t
    }

    /// Handle one client message (after `initialize`).
    pub async fn dispatch(self: &Arc<Self>, m: Message) {
        let method = m.method.clone().unwrap_or_default();
        match m.kind {
            Kind::Request => {
                let id = m.id.clone().expect("a request has an id");
                match method.as_str() {
                    // 2026-07-28 has no ping; the bridge itself is alive.
                    "ping" => self.answer_empty(&id).await,
                    "logging/setLevel" => {
                        let level = params_raw(&m.raw, "level");
                        self.envelope.lock().expect("envelope lock").log_level = level;
                        self.answer_empty(&id).await;
                    }
                    "resources/subscribe" | "resources/unsubscribe" => {
                        if let Some(uri) = params_str(&m.raw, "uri") {
                            let mut subs = self.subscriptions.lock().expect("subscriptions lock");
                            if method == "resources/subscribe" {
                                subs.insert(uri);
                            } else {
                                subs.remove(&uri);
                            }
                        }
                        self.restart_listen();
                        self.answer_empty(&id).await;
                    }
                    _ => {
                        let this = Arc::clone(self);
                        let task_id = id.clone();
                        let task = tokio::spawn(async move {
                            let url = this.http.url();
                            let call = async {
                                this.call(m, &task_id).await;
                                Ok(())
                            };
                            if let Err(e) = crate::relay::within(this.timeout, url, call).await {
                                // Dropping the call closed its stream: the server's cancel.
                                this.router
                                    .answer(&task_id, e.to_response(Some(&task_id)))
                                    .await;
                            }
                            this.calls.lock().expect("calls lock").remove(&task_id);
                        });
                        self.calls
                            .lock()
                            .expect("calls lock")
                            .insert(id, task.abort_handle());
                    }
                }
            }
            Kind::Notification => match method.as_str() {
                "notifications/initialized" => self.restart_listen(),
                "notifications/cancelled" => {
                    // 2026-07-28 cancels by closing the request's stream.
                    if let Some(id) = jsonrpc::params_id_field(&m.raw, "requestId") {
                        if let Some(task) = self.calls.lock().expect("calls lock").remove(&id) {
                            task.abort();
                        }
                    }
                }
                other => tracing::debug!("not relayed to a {MODERN} server: {other}"),
            },
            Kind::Response => {
                let waiter =
                    m.id.as_ref()
                        .and_then(|id| self.waiters.lock().expect("waiters lock").remove(id));
                match waiter {
                    Some(w) => {
                        let _ = w.send(m);
                    }
                    None => tracing::debug!("dropped a client response nothing waits for"),
                }
            }
        }
    }

    async fn answer_empty(&self, id: &Id) {
        let line = format!(r#"{{"jsonrpc":"2.0","id":{},"result":{{}}}}"#, id.as_json());
        self.router.answer_ok(id, Bytes::from(line)).await;
    }

    async fn fail(&self, id: &Id, code: i64, text: &str) {
        let line = jsonrpc::error_response(Some(id), code, &format!("mcp-bridge: {text}"), None);
        self.router.answer(id, line).await;
    }

    /// Send one request, working through `input_required` rounds by asking
    /// the client, until the server gives a final answer.
    async fn call(&self, m: Message, id: &Id) {
        let mut extra: Vec<(&str, Raw)> = Vec::new();
        let mut state_wait = Duration::from_millis(50);
        for round in 0..=MAX_INPUT_ROUNDS {
            let meta = self.envelope.lock().expect("envelope lock").meta();
            let meta_refs: Vec<(&str, &RawValue)> = meta.iter().map(|(k, v)| (*k, &**v)).collect();
            let extra_refs: Vec<(&str, &RawValue)> =
                extra.iter().map(|(k, v)| (*k, &**v)).collect();
            let raw = match stamp(&m.raw, &meta_refs, &extra_refs) {
                Ok(r) => r,
                Err(e) => return self.fail(id, jsonrpc::INVALID_REQUEST, &e).await,
            };
            let msg = Message { raw, ..m.clone() };
            let how = Post {
                session: false,
                extra: Some(routing_headers(&msg, MODERN)),
                capture: true,
                quiet: None,
            };
            let answer = match self.http.post(&msg, &how, &self.router).await {
                Ok(Some(a)) => a,
                Ok(None) => {
                    let e = UpstreamError::Lost {
                        url: self.http.url().to_owned(),
                        cause: "the server ended its reply without answering".to_owned(),
                    };
                    self.router.answer(id, e.to_response(Some(id))).await;
                    return;
                }
                Err(e) => {
                    self.router.answer(id, e.to_response(Some(id))).await;
                    return;
                }
            };
            let Some(asked) = (!answer.is_error)
                .then(|| input_required(&answer.raw))
                .flatten()
            else {
                self.router.deliver(answer).await;
                return;
            };
            if round == MAX_INPUT_ROUNDS {
                let text =
                    format!("the server asked for more input {MAX_INPUT_ROUNDS} times; giving up");
                return self.fail(id, jsonrpc::UPSTREAM_ERROR, &text).await;
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
                return self.fail(id, jsonrpc::UPSTREAM_ERROR, &text).await;
            }
            if asked.requests.is_empty() {
                tokio::time::sleep(state_wait).await;
                state_wait = (state_wait * 2).min(Duration::from_millis(250));
                continue;
            }
            state_wait = Duration::from_millis(50);
            match self.ask_client(asked.requests).await {
                Ok(responses) => extra.push(("inputResponses", responses)),
                Err(line) => {
                    self.router.answer(id, line(id)).await;
                    return;
                }
            }
        }
    }

    /// Put the server's input requests to the client as ordinary requests
    /// (sampling, elicitation, roots) and collect the answers by key. On a
    /// refusal, returns a builder of the error answer for the original request.
    async fn ask_client(
        &self,
        requests: Vec<(String, Raw)>,
    ) -> Result<Raw, Box<dyn Fn(&Id) -> Bytes + Send>> {
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
            let (tx, rx) = oneshot::channel();
            self.waiters
                .lock()
                .expect("waiters lock")
                .insert(id.clone(), tx);
            let mut line = format!(
                r#"{{"jsonrpc":"2.0","id":{},"method":{}"#,
                id.as_json(),
                to_raw(&r.method).get()
            );
            if let Some(p) = &r.params {
                line.push_str(&format!(r#","params":{}"#, p.get()));
            }
            line.push('}');
            tracing::info!(
                "← request {} id={id} (input the server asked for)",
                r.method
            );
            self.router.write_untracked(Bytes::from(line)).await;
            waiting.push((key, id, rx));
        }
        let mut responses: HashMap<String, Raw> = HashMap::new();
        for (key, id, rx) in waiting {
            let Ok(answer) = rx.await else {
                self.waiters.lock().expect("waiters lock").remove(&id);
                return Err(Box::new(|id| {
                    jsonrpc::error_response(
                        Some(id),
                        jsonrpc::UPSTREAM_ERROR,
                        "mcp-bridge: the client did not answer the server's input request",
                        None,
                    )
                }));
            };
            if answer.is_error {
                let e = jsonrpc::error_object(&answer.raw);
                let (code, text, data) = match e {
                    Some(e) => (
                        e.code.unwrap_or(jsonrpc::UPSTREAM_ERROR),
                        e.message.unwrap_or_default(),
                        e.data,
                    ),
                    None => (jsonrpc::UPSTREAM_ERROR, String::new(), None),
                };
                return Err(Box::new(move |id| {
                    jsonrpc::error_response(Some(id), code, &text, data.clone())
                }));
            }
            let result = result_raw(&answer.raw).unwrap_or_else(|| to_raw(&serde_json::json!({})));
            responses.insert(key, result);
        }
        Ok(to_raw(&responses))
    }

    /// (Re)open the `subscriptions/listen` stream that carries list-changed
    /// and resource-updated notifications, asking for what the server offers
    /// and the resources the client subscribed to.
    fn restart_listen(self: &Arc<Self>) {
        if let Some(old) = self.listen.lock().expect("listen lock").take() {
            old.abort();
        }
        let mut filter = Map::new();
        for (name, on) in self.list_changed {
            if on {
                filter.insert(name.to_owned(), true.into());
            }
        }
        let subs: Vec<String> = self
            .subscriptions
            .lock()
            .expect("subscriptions lock")
            .iter()
            .cloned()
            .collect();
        if !subs.is_empty() {
            filter.insert("resourceSubscriptions".to_owned(), subs.into());
        }
        if filter.is_empty() {
            return;
        }
        let this = Arc::clone(self);
        let task = tokio::spawn(async move { this.listen(filter).await });
        *self.listen.lock().expect("listen lock") = Some(task.abort_handle());
    }

    async fn listen(&self, filter: Object) {
        let mut backoff = Backoff::streams();
        loop {
            let n = self.next_id.fetch_add(1, Ordering::Relaxed);
            let body = serde_json::json!({
                "jsonrpc": "2.0",
                "id": format!("mcp-bridge-listen-{n}"),
                "method": "subscriptions/listen",
                "params": {"notifications": filter},
            });
            let meta = self.envelope.lock().expect("envelope lock").meta();
            let meta_refs: Vec<(&str, &RawValue)> = meta.iter().map(|(k, v)| (*k, &**v)).collect();
            let raw = stamp(body.to_string().as_bytes(), &meta_refs, &[]).expect("well formed");
            let msg = jsonrpc::classify(raw).expect("JSON-RPC");
            let how = Post {
                session: false,
                extra: Some(routing_headers(&msg, MODERN)),
                capture: true,
                quiet: Some(LISTEN_ACK),
            };
            tracing::debug!("subscriptions/listen stream opening");
            match self.http.post(&msg, &how, &self.router).await {
                Ok(_) => {
                    tracing::info!("the server ended the subscriptions/listen stream");
                    backoff.reset();
                }
                Err(e) => tracing::info!("subscriptions/listen: {e}"),
            }
            let delay = backoff.next_delay(None);
            tracing::info!("reopening subscriptions/listen in {} ms", delay.as_millis());
            tokio::time::sleep(delay).await;
        }
    }

    /// Stop the listen stream (requests in flight are answered by the relay at shutdown).
    pub fn stop(&self) {
        if let Some(old) = self.listen.lock().expect("listen lock").take() {
            old.abort();
        }
    }
}

/// An `input_required` result: the server's requests by key, and its state.
struct InputRequired {
    requests: Vec<(String, Raw)>,
    request_state: Option<Raw>,
}

fn input_required(raw: &[u8]) -> Option<InputRequired> {
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

fn result_raw(raw: &[u8]) -> Option<Raw> {
    #[derive(Deserialize)]
    struct M {
        result: Option<Raw>,
    }
    serde_json::from_slice::<M>(raw).ok()?.result
}

/// One member of a message's `params`, raw.
pub fn params_raw(raw: &[u8], field: &str) -> Option<Raw> {
    #[derive(Deserialize)]
    struct M {
        params: Option<HashMap<String, Raw>>,
    }
    serde_json::from_slice::<M>(raw).ok()?.params?.remove(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(s: &str) -> Message {
        jsonrpc::classify(Bytes::from(s.to_owned())).unwrap()
    }

    #[test]
    fn routing_headers_name_the_method_and_the_thing() {
        let m = msg(
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get-sum","arguments":{}}}"#,
        );
        let h = routing_headers(&m, MODERN);
        assert_eq!(h["mcp-protocol-version"], MODERN);
        assert_eq!(h["mcp-method"], "tools/call");
        assert_eq!(h["mcp-name"], "get-sum");
        let m = msg(
            r#"{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"file:///é"}}"#,
        );
        let h = routing_headers(&m, MODERN);
        assert_eq!(h["mcp-name"], "=?base64?ZmlsZTovLy/DqQ==?=");
        let m = msg(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#);
        assert!(routing_headers(&m, MODERN).get("mcp-name").is_none());
    }

    #[test]
    fn header_values_that_would_not_survive_are_base64() {
        assert_eq!(encode_header_value("echo"), "echo");
        assert_eq!(encode_header_value(" x"), "=?base64?IHg=?=");
        assert_eq!(encode_header_value("a\nb"), "=?base64?YQpi?=");
        assert!(encode_header_value("=?base64?abc?=").starts_with("=?base64?PT9i"));
    }

    #[test]
    fn the_version_comes_from_the_envelope() {
        let raw = br#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#;
        assert_eq!(request_version(raw).as_deref(), Some(MODERN));
        assert_eq!(
            request_version(br#"{"jsonrpc":"2.0","id":1,"method":"x"}"#),
            None
        );
    }

    #[test]
    fn stamping_keeps_the_clients_meta_and_exact_values() {
        let raw = br#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"n","arguments":{"big":123456789012345678901234567890,"f":1.10},"_meta":{"progressToken":"p1"}}}"#;
        let caps = RawValue::from_string(r#"{"sampling":{}}"#.into()).unwrap();
        let out = stamp(
            raw,
            &[
                (PROTOCOL_VERSION_KEY, &to_raw(&MODERN)),
                (CAPABILITIES_KEY, &caps),
            ],
            &[],
        )
        .unwrap();
        let text = std::str::from_utf8(&out).unwrap();
        assert!(text.contains("123456789012345678901234567890"), "{text}");
        assert!(text.contains("1.10"), "{text}");
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["id"], 7);
        assert_eq!(v["params"]["_meta"]["progressToken"], "p1");
        assert_eq!(v["params"]["_meta"][PROTOCOL_VERSION_KEY], MODERN);
        assert_eq!(
            v["params"]["_meta"][CAPABILITIES_KEY]["sampling"],
            serde_json::json!({})
        );
        assert_eq!(v["params"]["name"], "n");
        assert!(stamp(
            br#"{"jsonrpc":"2.0","id":1,"method":"x","params":[1]}"#,
            &[],
            &[]
        )
        .is_err());
    }

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
