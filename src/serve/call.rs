//! One 2026-07-28 request on a shared child (`serve/pool.rs`), from the
//! line it is sent as to the answer its client gets: the pool's id in place
//! of the client's (and as its progress token), the envelope left out; the
//! answer back with the client's id and in the revision's words; progress
//! first on an event stream. A client that closes the stream cancels it.
//!
//! When the child asks something of its own (sampling, elicitation, roots)
//! while a request that may ask for input is in flight on it, the request
//! is put on hold and its client gets an `input_required` result: the
//! child's request under a key, and a `requestState` that names the held
//! request (128 random bits; what a client sends back is looked up, never
//! trusted). The client's retry carries its answers under those keys: they
//! go to the child, and the held request goes on, its answer (or the next
//! round) going to the retry. A question the retry does not answer is asked
//! again; a held request no one comes back for ends after [`HOLD`].

use super::pool::{Claim, Pending, PoolError, Pooled};
use super::reply::{event_stream, json, refuse, Body};
use super::Front;
use crate::jsonrpc::{self, Edit, Form, Id, Message, Method};
use crate::sync::Locked;
use bytes::Bytes;
use hyper::{Response, StatusCode};
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How long a request waits on hold for its client to come back.
pub const HOLD: Duration = Duration::from_secs(300);
/// How long a question waits for others the child asks at once, so that
/// one round asks them all.
const GATHER: Duration = Duration::from_millis(20);
/// The code for a request that needs a client capability not declared.
const MISSING_CAPABILITY: i64 = -32021;
/// The 2025-11-25 code for a resource that is not there.
const RESOURCE_NOT_FOUND_2025: i64 = -32002;

/// What a client declared it takes from the server.
#[derive(Debug, Clone, Copy, Default)]
pub struct Declared {
    sampling: bool,
    elicitation: bool,
    roots: bool,
}

impl Declared {
    /// What request `raw` declares in its envelope's client capabilities.
    pub fn of(raw: &[u8], key: &str) -> Declared {
        let caps = jsonrpc::meta_raw(raw, key)
            .and_then(|c| serde_json::from_str::<HashMap<String, Box<RawValue>>>(c.get()).ok())
            .unwrap_or_default();
        Declared {
            sampling: caps.contains_key("sampling"),
            elicitation: caps.contains_key("elicitation"),
            roots: caps.contains_key("roots"),
        }
    }

    /// Whether it takes any of the server's requests.
    pub fn any(self) -> bool {
        self.sampling || self.elicitation || self.roots
    }

    /// Whether it takes the server's request `method`.
    fn takes(self, method: &str) -> bool {
        match method {
            "sampling/createMessage" => self.sampling,
            "elicitation/create" => self.elicitation,
            "roots/list" => self.roots,
            _ => false,
        }
    }
}

/// One request in flight on a shared child.
pub struct Call {
    shared: Arc<Pooled>,
    /// The child, held while the request may ask for input.
    _claim: Option<Claim>,
    /// Dropped before the answer, it cancels the request.
    _pending: Pending,
    lines: mpsc::Receiver<Bytes>,
    out: Out,
    declared: Declared,
    /// What the request is, to match a retry against: its method and name.
    what: (String, Option<String>),
    /// Questions asked so far, for their keys.
    keys: u64,
    /// Lines read while gathering questions, not yet handled.
    stash: std::collections::VecDeque<Bytes>,
}

/// The requests on hold for their client's input, by the `requestState`
/// each was given.
#[derive(Default)]
pub struct Holds(std::sync::Mutex<HashMap<String, Held>>);

impl Holds {
    /// Let go of the requests on hold past their time (which cancels them).
    pub fn reap(&self) {
        let now = Instant::now();
        self.0.locked().retain(|_, h| h.until > now);
    }

    /// Let go of every request on hold.
    pub fn clear(&self) {
        self.0.locked().clear();
    }
}

/// A request on hold for its client's input.
pub struct Held {
    call: Call,
    /// The questions asked: the key, the child's id, the question.
    asked: Vec<(String, Box<RawValue>, Box<RawValue>)>,
    until: Instant,
}

/// What the next lines of a call come to.
enum Step {
    /// A progress notification for the client, and the call, which goes on.
    Progress(Box<Call>, Bytes),
    /// The answer, with its HTTP status.
    Answer(StatusCode, Bytes),
    /// An `input_required` result: the request is on hold.
    Ask(Bytes),
    /// The child ended first: the error that says so.
    Gone(Bytes),
}

impl Front {
    /// Send request `m` on to `shared` (held for it by `claim` when it may
    /// ask for input) and answer it: as JSON when its answer comes first,
    /// else as an event stream of its progress and then its answer.
    pub(super) async fn call(
        self: &Arc<Self>,
        shared: Arc<Pooled>,
        claim: Option<Claim>,
        m: &Message,
        declared: Declared,
    ) -> Response<Body> {
        let (Some(id), Some(method)) = (m.id().cloned(), m.method().cloned()) else {
            return json(StatusCode::BAD_REQUEST, gone_line(&Id::bridge("null")));
        };
        let n = shared.next_id();
        let Some(line) = for_child(&m.raw, n) else {
            return refuse(
                &id,
                StatusCode::BAD_REQUEST,
                jsonrpc::INVALID_REQUEST,
                "mcp-bridge: the request is not a JSON object",
                None,
            );
        };
        let (pending, lines) = match shared.request(n, line, claim.is_some()).await {
            Ok(p) => p,
            Err(PoolError::Busy) => return super::reply::busy(&PoolError::Busy.to_string()),
            Err(_) => return gone(&id),
        };
        let call = Call {
            shared,
            _claim: claim,
            _pending: pending,
            lines,
            what: what_of(m),
            out: Out {
                id,
                token: jsonrpc::meta_raw(&m.raw, "progressToken"),
                uri: jsonrpc::params_str(&m.raw, "uri"),
                method,
            },
            declared,
            keys: 0,
            stash: std::collections::VecDeque::new(),
        };
        self.respond(call).await
    }

    /// The client's retry of a request on hold, with its answers.
    pub(super) async fn resume(
        self: &Arc<Self>,
        m: &Message,
        state: &str,
        declared: Declared,
    ) -> Response<Body> {
        let id = m.id().cloned().unwrap_or_else(|| Id::bridge("null"));
        let held = self.holds.0.locked().remove(state);
        let Some(mut held) = held.filter(|h| h.until > Instant::now() && h.call.what == what_of(m))
        else {
            return refuse(
                &id,
                StatusCode::BAD_REQUEST,
                jsonrpc::INVALID_PARAMS,
                "requestState is not one this server gave for this request, or it has expired",
                None,
            );
        };
        let answers: HashMap<String, Box<RawValue>> = jsonrpc::params_raw(&m.raw, "inputResponses")
            .and_then(|r| serde_json::from_str(r.get()).ok())
            .unwrap_or_default();
        let mut still = Vec::new();
        for (key, child_id, question) in held.asked.drain(..) {
            match answers.get(&key) {
                Some(answer) => {
                    let line = format!(
                        r#"{{"jsonrpc":"2.0","id":{},"result":{}}}"#,
                        child_id.get(),
                        answer.get()
                    );
                    held.call.shared.send(Bytes::from(line)).await;
                }
                None => still.push((key, child_id, question)),
            }
        }
        held.call.out.id = id;
        held.call.declared = declared;
        if let Some(token) = jsonrpc::meta_raw(&m.raw, "progressToken") {
            held.call.out.token = Some(token);
        }
        if !still.is_empty() {
            // Asked again: what was not answered is still needed.
            held.asked = still;
            held.until = Instant::now() + HOLD;
            let ask = asking(&held.call.out.id, &held.asked, state);
            self.holds.0.locked().insert(state.to_owned(), held);
            return json(StatusCode::OK, ask);
        }
        self.respond(held.call).await
    }

    /// Answer with what the call comes to.
    async fn respond(self: &Arc<Self>, call: Call) -> Response<Body> {
        let first = match self.step(call).await {
            Step::Answer(status, answer) => return json(status, answer),
            Step::Ask(ask) | Step::Gone(ask) => return json(StatusCode::OK, ask),
            Step::Progress(call, p) => (*call, p),
        };
        // Progress first: an event stream, which ends with the answer.
        let (tx, events) = mpsc::channel(64);
        let front = Arc::clone(self);
        tokio::spawn(async move {
            let (mut call, first) = first;
            if tx.send(event(&first)).await.is_err() {
                return;
            }
            loop {
                let (next, text) = match front.step(call).await {
                    Step::Progress(c, p) => (Some(*c), p),
                    Step::Answer(_, a) | Step::Ask(a) | Step::Gone(a) => (None, a),
                };
                // The client closing the stream before the answer drops the
                // call, which cancels the request.
                if tx.send(event(&text)).await.is_err() {
                    return;
                }
                match next {
                    Some(c) => call = c,
                    None => return,
                }
            }
        });
        event_stream(events, None)
    }

    /// Read the call's lines until one is for its client. A question from
    /// the child puts the call on hold, in the table.
    async fn step(&self, mut call: Call) -> Step {
        loop {
            let next = match call.stash.pop_front() {
                Some(l) => Some(l),
                None => call.lines.recv().await,
            };
            let Some(mut line) = next else {
                return Step::Gone(gone_line(&call.out.id));
            };
            if matches!(call.out.method, Method::ToolsList) {
                line = call.shared.learn_tools(line);
            }
            if let Some((status, answer)) = call.out.answer(&line) {
                return Step::Answer(status, answer);
            }
            let Some(first) = call.question(&line).await else {
                if let Ok(m) = jsonrpc::classify(line.clone()) {
                    if !matches!(m.form, Form::Request { .. }) {
                        let p = call.out.progress(&line);
                        return Step::Progress(Box::new(call), p);
                    }
                }
                continue;
            };
            // The child may ask several things at once: one round asks them
            // all.
            let mut asked = vec![first];
            while let Ok(Some(more)) = tokio::time::timeout(GATHER, call.lines.recv()).await {
                match call.question(&more).await {
                    Some(q) => asked.push(q),
                    None => call.stash.push_back(more),
                }
            }
            let state = super::new_session_id();
            let ask = asking(&call.out.id, &asked, &state);
            self.holds.0.locked().insert(
                state,
                Held {
                    call,
                    asked,
                    until: Instant::now() + HOLD,
                },
            );
            return Step::Ask(ask);
        }
    }
}

impl Call {
    /// `line` as a question for the client: its key, the child's id, and
    /// the request without its envelope. `None` when it is no request, or
    /// one the client did not declare it takes (then the child is told).
    async fn question(&mut self, line: &Bytes) -> Option<(String, Box<RawValue>, Box<RawValue>)> {
        let m = jsonrpc::classify(line.clone()).ok()?;
        let Form::Request { id, method } = &m.form else {
            return None;
        };
        if !self.declared.takes(method.name()) {
            let no = jsonrpc::error_response(
                Some(id),
                jsonrpc::METHOD_NOT_FOUND,
                &format!("the client did not declare that it takes {}", method.name()),
                None,
            );
            self.shared.send(no).await;
            return None;
        }
        let text = std::str::from_utf8(&m.raw).ok()?;
        let question = jsonrpc::edit_object(text, |k, _| match k {
            "jsonrpc" | "id" => Edit::Drop,
            _ => Edit::Keep,
        })
        .and_then(|q| RawValue::from_string(q).ok())?;
        let key = format!("{}-{}", method.name().replace('/', "-"), self.next_key());
        Some((key, id_raw(id), question))
    }
}

impl Call {
    /// A key for the next question of this call.
    fn next_key(&mut self) -> u64 {
        self.keys += 1;
        self.keys
    }
}

/// What request `raw` is, to match a retry against: its method, and the
/// tool, prompt or resource it names.
fn what_of(m: &Message) -> (String, Option<String>) {
    let method = m.method_name().to_owned();
    let name = m
        .method()
        .and_then(Method::name_param)
        .and_then(|p| jsonrpc::params_str(&m.raw, p));
    (method, name)
}

/// The `input_required` result that asks `asked` of the client of request
/// `id`, the request held as `state`.
fn asking(id: &Id, asked: &[(String, Box<RawValue>, Box<RawValue>)], state: &str) -> Bytes {
    let requests: Vec<String> = asked
        .iter()
        .map(|(key, _, question)| format!("{}:{}", jsonrpc::to_raw(key).get(), question.get()))
        .collect();
    Bytes::from(format!(
        r#"{{"jsonrpc":"2.0","id":{},"result":{{"resultType":"input_required","inputRequests":{{{}}},"requestState":{}}}}}"#,
        id.as_json(),
        requests.join(","),
        jsonrpc::to_raw(state).get()
    ))
}

/// Request `raw` as the shared child gets it: the pool's id `n` (as its
/// progress token too, when it has one), and no 2026-07-28 envelope, which
/// a handshake-era server may refuse. Every other value keeps its bytes.
pub(super) fn for_child(raw: &[u8], n: u64) -> Option<Bytes> {
    let text = std::str::from_utf8(raw).ok()?;
    let meta = |v: &RawValue| {
        jsonrpc::edit_object(v.get(), |k, _| match k {
            "progressToken" => Edit::Replace(n.to_string()),
            k if k.starts_with("io.modelcontextprotocol/") => Edit::Drop,
            _ => Edit::Keep,
        })
    };
    let params = |v: &RawValue| {
        jsonrpc::edit_object(v.get(), |k, v| match k {
            "_meta" => meta(v).map_or(Edit::Keep, Edit::Replace),
            _ => Edit::Keep,
        })
    };
    let edited = jsonrpc::edit_object(text, |k, v| match k {
        "id" => Edit::Replace(n.to_string()),
        "params" => params(v).map_or(Edit::Keep, Edit::Replace),
        _ => Edit::Keep,
    })?;
    Some(Bytes::from(edited))
}

/// What the client gets when the child ended before it answered.
fn gone(id: &Id) -> Response<Body> {
    json(StatusCode::OK, gone_line(id))
}

fn gone_line(id: &Id) -> Bytes {
    jsonrpc::error_response(
        Some(id),
        jsonrpc::UPSTREAM_ERROR,
        "mcp-bridge: the MCP server process ended before it answered",
        None,
    )
}

/// One message as an event.
pub(super) fn event(line: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(line.len() + 24);
    out.extend_from_slice(b"event: message\ndata: ");
    out.extend_from_slice(&jsonrpc::one_line(Bytes::copy_from_slice(line)));
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// `id` as raw JSON.
fn id_raw(id: &Id) -> Box<RawValue> {
    RawValue::from_string(id.as_json().to_owned()).unwrap_or_else(|_| jsonrpc::to_raw(&()))
}

/// How the child's words about one request go back to its client.
struct Out {
    id: Id,
    method: Method,
    token: Option<Box<RawValue>>,
    uri: Option<String>,
}

impl Out {
    /// `line` as the client's answer, with its HTTP status, when it is the
    /// answer.
    fn answer(&self, line: &Bytes) -> Option<(StatusCode, Bytes)> {
        let m = jsonrpc::classify(line.clone()).ok()?;
        if m.kind() != jsonrpc::MessageKind::Response {
            return None;
        }
        if m.is_error() {
            let e = jsonrpc::error_object(&m.raw)?;
            let message = e.message.unwrap_or_default();
            return Some(match e.code {
                Some(jsonrpc::METHOD_NOT_FOUND) => (
                    StatusCode::NOT_FOUND,
                    jsonrpc::error_response(
                        Some(&self.id),
                        jsonrpc::METHOD_NOT_FOUND,
                        &message,
                        None,
                    ),
                ),
                Some(RESOURCE_NOT_FOUND_2025) => (
                    StatusCode::OK,
                    jsonrpc::error_response(
                        Some(&self.id),
                        jsonrpc::INVALID_PARAMS,
                        &message,
                        Some(serde_json::json!({"uri": self.uri})),
                    ),
                ),
                // The server needs a capability the client did not declare:
                // 400 on HTTP (2026-07-28).
                code => (
                    if code == Some(MISSING_CAPABILITY) {
                        StatusCode::BAD_REQUEST
                    } else {
                        StatusCode::OK
                    },
                    jsonrpc::with_id_json(&m.raw, id_raw(&self.id))
                        .unwrap_or_else(|_| line.clone()),
                ),
            });
        }
        let cacheable = jsonrpc::CACHEABLE.contains(&self.method.name());
        let text = std::str::from_utf8(&m.raw).unwrap_or_default();
        let id = self.id.as_json().to_owned();
        let edited = jsonrpc::edit_object(text, |k, v| match k {
            "id" => Edit::Replace(id.clone()),
            "result" => Edit::Replace(modern_result(v.get(), cacheable)),
            _ => Edit::Keep,
        })
        .unwrap_or_else(|| text.to_owned());
        Some((StatusCode::OK, Bytes::from(edited)))
    }

    /// A progress notification with the client's own token back in it.
    fn progress(&self, line: &Bytes) -> Bytes {
        self.token
            .as_ref()
            .and_then(|token| jsonrpc::with_progress_token(line, token))
            .unwrap_or_else(|| line.clone())
    }
}

/// A handshake-era result as 2026-07-28 has it: `resultType`, and the
/// cache hints when it may be cached (no caching: a stdio server says
/// nothing of how long its lists hold).
fn modern_result(result: &str, cacheable: bool) -> String {
    let body = result.trim();
    let Some(inner) = body
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .map(str::trim)
    else {
        return result.to_owned();
    };
    // Its own members, not names anywhere inside it (a tool's structured
    // content may well have a "resultType").
    let Ok(members) = serde_json::from_str::<HashMap<std::borrow::Cow<'_, str>, &RawValue>>(body)
    else {
        return result.to_owned();
    };
    let mut added = String::new();
    if !members.contains_key("resultType") {
        added.push_str(r#""resultType":"complete""#);
    }
    if cacheable && !members.contains_key("ttlMs") {
        if !added.is_empty() {
            added.push(',');
        }
        added.push_str(r#""ttlMs":0,"cacheScope":"private""#);
    }
    match (inner.is_empty(), added.is_empty()) {
        (_, true) => result.to_owned(),
        (true, false) => format!("{{{added}}}"),
        (false, false) => format!("{{{inner},{added}}}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_gains_its_type_and_cache_hints() {
        assert_eq!(modern_result("{}", false), r#"{"resultType":"complete"}"#);
        // A member of something inside it is not one of its own.
        let quoting = r#"{"content":[],"structuredContent":{"resultType":1,"ttlMs":2}}"#;
        assert_eq!(
            modern_result(quoting, true),
            format!(
                r#"{},"resultType":"complete","ttlMs":0,"cacheScope":"private"}}"#,
                &quoting[..quoting.len() - 1]
            )
        );
        assert_eq!(
            modern_result(r#"{"tools":[]}"#, true),
            r#"{"tools":[],"resultType":"complete","ttlMs":0,"cacheScope":"private"}"#
        );
        assert_eq!(
            modern_result(r#"{"resultType":"complete","x":1}"#, false),
            r#"{"resultType":"complete","x":1}"#
        );
    }

    #[test]
    fn the_child_gets_the_pool_s_id_and_token_and_no_envelope() {
        let raw = br#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"t","_meta":{"progressToken":"p","io.modelcontextprotocol/protocolVersion":"2026-07-28","x":1}}}"#;
        assert_eq!(
            for_child(raw, 7).unwrap(),
            r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"t","_meta":{"progressToken":7,"x":1}}}"#
        );
    }
}
