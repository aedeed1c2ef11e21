//! Clients of 2026-07-28, the sessionless revision: each POST carries its
//! own `_meta` envelope (protocol version, client capabilities) and the
//! `Mcp-Method`/`Mcp-Name` headers, and no session. `serve` checks the
//! envelope and the headers against the body, answers `server/discover`
//! from the shared child's `initialize` ([`super::pool`]), refuses the
//! methods 2026-07-28 removed, and sends the rest to the shared child under
//! an id of the pool's. The answer goes back with the client's id, and as
//! 2026-07-28 words it: `resultType`, the cache hints on what may be
//! cached, the server's name in `_meta`, -32602 with the URI for a resource
//! that is not there. Progress comes first on an event stream; a client
//! that closes it cancels the request.
//!
//! A client that takes the server's own requests (sampling, elicitation,
//! roots) is served by children that declare them, and what such a child
//! asks reaches the client as `input_required` rounds (`serve/call.rs`).
//!
//! A `tools/call` whose `Mcp-Param-*` headers disagree with its arguments
//! is refused (`serve/params.rs`).
//!
//! `subscriptions/listen` streams carry what the children say of their
//! lists and subscribed resources (`serve/listen.rs`).

use super::call::Declared;
use super::child::Program;
use super::listen::{Listeners, Opened, Wants};
use super::pool::{self, Claim, Pool, PoolError, Pooled};
use super::reply::{json, refuse, Body};
use super::Front;
use crate::jsonrpc::{self, Form, Id, Message, Method};
use crate::protocol::stateless::envelope::decode_header_value;
use crate::text::Chain;
use bytes::Bytes;
use hyper::header::HeaderMap;
use hyper::{Response, StatusCode};
use serde_json::value::RawValue;
use std::sync::Arc;
use tokio::sync::mpsc;

/// The revision.
pub const MODERN: &str = "2026-07-28";
const VERSION_KEY: &str = "io.modelcontextprotocol/protocolVersion";
const CAPABILITIES_KEY: &str = "io.modelcontextprotocol/clientCapabilities";
const SERVER_INFO_KEY: &str = "io.modelcontextprotocol/serverInfo";
/// The level of the log messages a request asks for. serve sends none: a
/// stdio server's log lines say nothing of the request they belong to.
const LOG_LEVEL_KEY: &str = "io.modelcontextprotocol/logLevel";
const LOG_LEVELS: [&str; 8] = [
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    "critical",
    "alert",
    "emergency",
];
/// A header or envelope that disagrees with the body.
const HEADER_MISMATCH: i64 = -32020;
/// The headers a 2026-07-28 request is routed by, read before the body.
pub struct Routing {
    /// `MCP-Protocol-Version`, trimmed.
    pub version: Option<String>,
    method: Option<String>,
    name: Option<String>,
    /// The `Mcp-Param-*` headers.
    params: Vec<(String, String)>,
}

impl Routing {
    /// The routing headers of a request.
    pub fn of(headers: &HeaderMap) -> Routing {
        let get = |name: &str| {
            headers
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
        };
        Routing {
            version: get("mcp-protocol-version"),
            method: get("mcp-method"),
            name: get("mcp-name"),
            params: super::params::sent(headers),
        }
    }

    /// Whether a sessionless message `m` is 2026-07-28's: it says so in its
    /// header or its envelope, or it is `server/discover`.
    pub fn selects(&self, m: &Message) -> bool {
        self.version.as_deref() == Some(MODERN)
            || m.is(&Method::Discover)
            || jsonrpc::meta_raw(&m.raw, VERSION_KEY).is_some()
    }
}

/// How many children run requests that may ask for input, for one set of
/// client capabilities, at most.
const ASKING_CHILDREN: usize = 4;
/// How many sets of client capabilities have children at once, at most.
const KINDS: usize = 4;
/// The largest client capabilities a child is started with, in bytes.
const MAX_CAPABILITIES: usize = 4096;

/// What serves 2026-07-28 clients: shared children, each initialized with
/// the client capabilities of the requests it runs, so that the server
/// sees what the client declared (and lists, or refuses, by it). One child
/// for clients that declare nothing; for each set of capabilities, up to
/// [`ASKING_CHILDREN`].
pub struct Modern {
    program: Program,
    /// The open `subscriptions/listen` streams.
    listeners: Arc<Listeners>,
    plain: Pool,
    /// The pools of the sets of capabilities seen, the one used last at
    /// the end.
    declaring: tokio::sync::Mutex<Vec<Arc<Pool>>>,
}

impl Modern {
    /// Children of `program`, started when first needed.
    pub fn new(program: &Program) -> Modern {
        let listeners = Arc::new(Listeners::default());
        Modern {
            program: program.clone(),
            plain: Pool::plain(program.clone(), Arc::clone(&listeners)),
            listeners,
            declaring: tokio::sync::Mutex::new(Vec::new()),
        }
    }

    /// The pool whose children declare `capabilities`: a new one when
    /// there is none, in place of the one used longest ago that is idle
    /// when there are [`KINDS`] already (`Busy` when none is idle).
    async fn declaring(&self, capabilities: &str) -> Result<Arc<Pool>, PoolError> {
        let mut kinds = self.declaring.lock().await;
        if let Some(i) = kinds.iter().position(|p| p.capabilities() == capabilities) {
            let pool = kinds.remove(i);
            kinds.push(Arc::clone(&pool));
            return Ok(pool);
        }
        if kinds.len() >= KINDS {
            let i = kinds.iter().position(|p| p.idle()).ok_or(PoolError::Busy)?;
            kinds.remove(i).end().await;
        }
        let pool = Arc::new(Pool::declaring(
            self.program.clone(),
            capabilities.to_owned(),
            ASKING_CHILDREN,
            Arc::clone(&self.listeners),
        ));
        kinds.push(Arc::clone(&pool));
        Ok(pool)
    }

    /// A child for a request that declares `capabilities`, claimed for it
    /// when it may ask the client for input.
    async fn take(
        &self,
        capabilities: &str,
        declared: Declared,
        may_ask: bool,
    ) -> Result<(Arc<Pooled>, Option<Claim>), PoolError> {
        if capabilities == "{}" {
            return Ok((self.plain.get().await?, None));
        }
        // A pool replaced between finding it and taking from it has ended:
        // find it again.
        let mut tries = 2;
        loop {
            let pool = self.declaring(capabilities).await?;
            let taken = if declared.any() && may_ask {
                pool.claim().await.map(|c| (Arc::clone(&c.shared), Some(c)))
            } else {
                pool.get().await.map(|s| (s, None))
            };
            tries -= 1;
            match taken {
                Err(PoolError::Ended) if tries > 0 => continue,
                other => return other,
            }
        }
    }

    /// End every listen stream, with its result, and every child.
    pub async fn end(&self) {
        self.listeners.end_all(true);
        self.plain.end().await;
        for pool in self.declaring.lock().await.drain(..) {
            pool.end().await;
        }
    }
}

impl Front {
    /// A sessionless 2026-07-28 message.
    pub(super) async fn modern(self: &Arc<Self>, routing: Routing, m: Message) -> Response<Body> {
        let Form::Request { id, method } = &m.form else {
            // Notifications (a cancellation among them) need no answer.
            return super::reply::empty(StatusCode::ACCEPTED);
        };
        if let Err(refused) = check(&routing, &m, id, method) {
            return *refused;
        }
        if pool::removed(method) {
            return refuse(
                id,
                StatusCode::NOT_FOUND,
                jsonrpc::METHOD_NOT_FOUND,
                &format!("{} is not a method of {MODERN}", method.name()),
                None,
            );
        }
        if m.is(&Method::Listen) {
            return self.listen(id, &m).await;
        }
        let declared = Declared::of(&m.raw, CAPABILITIES_KEY);
        let may_ask = matches!(
            method,
            Method::ToolsCall | Method::PromptsGet | Method::ResourcesRead
        );
        if may_ask {
            if let Some(state) = jsonrpc::params_str(&m.raw, "requestState") {
                return self.resume(&m, &state, declared).await;
            }
        }
        let Some(capabilities) = capabilities_of(&m.raw) else {
            return refuse(
                id,
                StatusCode::BAD_REQUEST,
                jsonrpc::INVALID_PARAMS,
                &format!(
                    "{CAPABILITIES_KEY} must be an object of at most {MAX_CAPABILITIES} bytes"
                ),
                None,
            );
        };
        let taken = self.modern.take(&capabilities, declared, may_ask).await;
        let (shared, claim) = match taken {
            Ok(t) => t,
            Err(PoolError::Busy) => return super::reply::busy(&PoolError::Busy.to_string()),
            Err(e) => return unavailable(id, &e),
        };
        if m.is(&Method::Discover) {
            return json(StatusCode::OK, discovered(id, &shared));
        }
        if m.is(&Method::ToolsCall) {
            if let Err(why) = param_headers(&shared, &m, &routing).await {
                return refuse(
                    id,
                    StatusCode::BAD_REQUEST,
                    HEADER_MISMATCH,
                    &why.to_string(),
                    None,
                );
            }
        }
        self.call(shared, claim, &m, declared).await
    }
}

impl Front {
    /// `subscriptions/listen`: an event stream that opens with the
    /// acknowledgement of what the server can honour, then carries what
    /// the children say of it, until the client closes it.
    async fn listen(self: &Arc<Self>, id: &Id, m: &Message) -> Response<Body> {
        let asked = match Wants::asked(&m.raw) {
            Ok(w) => w,
            Err(e) => {
                let why = e.to_string();
                return refuse(
                    id,
                    StatusCode::BAD_REQUEST,
                    jsonrpc::INVALID_PARAMS,
                    &why,
                    None,
                );
            }
        };
        let shared = match self.modern.plain.get().await {
            Ok(s) => s,
            Err(e) => return unavailable(id, &e),
        };
        let wants = asked.agreed(shared.init());
        let listeners = Arc::clone(&self.modern.listeners);
        let Some(opened) = listeners.open(id.as_json().to_owned(), wants.clone()) else {
            return super::reply::busy("too many subscriptions/listen streams are open");
        };
        let mut refused = Vec::new();
        for uri in &opened.subscribe {
            if !shared.subscribe(uri, true).await {
                refused.push(uri.clone());
            }
        }
        let ack = wants.without(&refused).ack(id.as_json());
        let (tx, events) = mpsc::channel(2);
        let Opened { key, mut rx, .. } = opened;
        tokio::spawn(async move {
            let mut next = Some(ack);
            while let Some(line) = next {
                if tx.send(super::call::event(&line)).await.is_err() {
                    break;
                }
                next = tokio::select! {
                    l = rx.recv() => l,
                    _ = tx.closed() => None,
                };
            }
            for uri in listeners.close(key) {
                if shared.alive() {
                    shared.subscribe(&uri, false).await;
                }
            }
        });
        super::reply::event_stream(events, None)
    }
}

/// A 500 for a request no child can take.
fn unavailable(id: &Id, e: &PoolError) -> Response<Body> {
    tracing::error!("{e}", e = Chain(e));
    refuse(
        id,
        StatusCode::INTERNAL_SERVER_ERROR,
        jsonrpc::INTERNAL_ERROR,
        &format!("mcp-bridge: {e}", e = Chain(e)),
        None,
    )
}

/// The envelope and the routing headers, checked against the body: the
/// envelope first (-32602), then the version (-32022), then the headers
/// (-32020), each with 400.
fn check(
    routing: &Routing,
    m: &Message,
    id: &Id,
    method: &Method,
) -> Result<(), Box<Response<Body>>> {
    let bad = |code: i64, message: String, data: Option<serde_json::Value>| {
        Err(Box::new(refuse(
            id,
            StatusCode::BAD_REQUEST,
            code,
            &message,
            data,
        )))
    };
    let field = |key: &str| jsonrpc::meta_raw(&m.raw, key);
    let version = field(VERSION_KEY).and_then(|v| serde_json::from_str::<String>(v.get()).ok());
    let Some(version) = version else {
        return bad(
            jsonrpc::INVALID_PARAMS,
            format!("params._meta must name {VERSION_KEY}"),
            None,
        );
    };
    if field(CAPABILITIES_KEY).is_none() {
        return bad(
            jsonrpc::INVALID_PARAMS,
            format!("params._meta must carry {CAPABILITIES_KEY}"),
            None,
        );
    }
    if let Some(level) = field(LOG_LEVEL_KEY) {
        let known = serde_json::from_str::<String>(level.get())
            .is_ok_and(|l| LOG_LEVELS.contains(&l.as_str()));
        if !known {
            return bad(
                jsonrpc::INVALID_PARAMS,
                format!("{LOG_LEVEL_KEY} must be one of {LOG_LEVELS:?}"),
                None,
            );
        }
    }
    if routing.version.as_deref().is_some_and(|h| h != version) {
        return bad(
            HEADER_MISMATCH,
            "MCP-Protocol-Version differs from params._meta".into(),
            None,
        );
    }
    if version != MODERN {
        return bad(
            jsonrpc::UNSUPPORTED_VERSION,
            format!("unsupported protocol version {version:?}"),
            Some(serde_json::json!({"supported": [MODERN], "requested": version})),
        );
    }
    if routing.method.as_deref() != Some(method.name()) {
        return bad(
            HEADER_MISMATCH,
            format!("Mcp-Method must be {:?}", method.name()),
            None,
        );
    }
    if let Some(param) = method.name_param() {
        let named = jsonrpc::params_str(&m.raw, param);
        let header = routing.name.as_deref().and_then(decode_header_value);
        if named.is_none() || header.as_deref() != named.as_deref() {
            return bad(
                HEADER_MISMATCH,
                format!("Mcp-Name must be the request's params.{param}"),
                None,
            );
        }
    }
    Ok(())
}

/// The client capabilities in the envelope of request `raw`, as a child is
/// initialized with them: one canonical text (members sorted), so that
/// clients declaring the same share children. `None` when they are no
/// object, or too large.
fn capabilities_of(raw: &[u8]) -> Option<String> {
    let caps = jsonrpc::meta_raw(raw, CAPABILITIES_KEY)?;
    if caps.get().len() > MAX_CAPABILITIES {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(caps.get()).ok()?;
    value.is_object().then(|| value.to_string())
}

/// The call's `Mcp-Param-*` headers against its arguments, by the tool's
/// annotations as the child that runs it lists them.
async fn param_headers(
    shared: &Arc<Pooled>,
    m: &Message,
    routing: &Routing,
) -> Result<(), super::params::Mismatch> {
    let Some(tool) = jsonrpc::params_str(&m.raw, "name") else {
        return Ok(());
    };
    let Some(annotations) = shared.annotations(&tool).await.filter(|a| !a.is_empty()) else {
        return Ok(());
    };
    let args = serde_json::from_slice::<serde_json::Value>(&m.raw)
        .ok()
        .and_then(|mut v| {
            v.get_mut("params")?
                .get_mut("arguments")
                .map(serde_json::Value::take)
        })
        .unwrap_or_default();
    super::params::verify(&annotations, &args, &routing.params)
}

/// The answer to `server/discover`, from the child's `initialize`.
fn discovered(id: &Id, shared: &Pooled) -> Bytes {
    let init: std::collections::HashMap<&str, &RawValue> =
        serde_json::from_str(shared.init().get()).unwrap_or_default();
    let caps = init.get("capabilities").map_or("{}", |c| c.get());
    let mut result = format!(
        r#"{{"resultType":"complete","supportedVersions":["{MODERN}"],"capabilities":{caps}"#
    );
    if let Some(info) = init.get("serverInfo") {
        result.push_str(&format!(
            r#","_meta":{{"{SERVER_INFO_KEY}":{}}}"#,
            info.get()
        ));
    }
    if let Some(text) = init.get("instructions") {
        result.push_str(&format!(r#","instructions":{}"#, text.get()));
    }
    result.push_str(r#","ttlMs":0,"cacheScope":"private"}"#);
    Bytes::from(format!(
        r#"{{"jsonrpc":"2.0","id":{},"result":{result}}}"#,
        id.as_json()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_log_level_is_refused() {
        let routing = Routing {
            version: Some(MODERN.into()),
            method: Some("tools/list".into()),
            name: None,
            params: Vec::new(),
        };
        for (level, ok) in [("\"warning\"", true), ("\"verbose\"", false), ("3", false)] {
            let raw = format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{{"_meta":{{"{VERSION_KEY}":"{MODERN}","{CAPABILITIES_KEY}":{{}},"{LOG_LEVEL_KEY}":{level}}}}}}}"#
            );
            let m = jsonrpc::classify(Bytes::from(raw)).unwrap();
            let Form::Request { id, method } = &m.form else {
                panic!("a request")
            };
            assert_eq!(check(&routing, &m, id, method).is_ok(), ok, "{level}");
        }
    }

    #[test]
    fn equal_capabilities_are_one_text() {
        let of = |caps: &str| {
            capabilities_of(
                format!(r#"{{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{{"_meta":{{"{CAPABILITIES_KEY}":{caps}}}}}}}"#)
                    .as_bytes(),
            )
        };
        assert_eq!(
            of(r#"{"roots":{}, "sampling":{"tools":{}}}"#),
            of(r#"{"sampling":{"tools":{}},"roots":{}}"#)
        );
        assert_eq!(of("{}").as_deref(), Some("{}"));
        assert_eq!(of("[]"), None);
        let big = format!(
            r#"{{"experimental":{{"x":"{}"}}}}"#,
            "a".repeat(MAX_CAPABILITIES)
        );
        assert_eq!(of(&big), None);
    }
}
