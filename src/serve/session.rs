//! One handshake-era session: its child, and the event streams its
//! messages go out on.
//!
//! Each request the client POSTs gets a stream of its own, and the GET
//! stream is stream 0. A message from the child goes to the stream it
//! belongs to: an answer to its request's; a progress notification to the
//! stream of the request that carried its token; anything else (a log
//! line, a sampling or elicitation request) to the GET stream when one is
//! open, else to the newest request still waiting, else it waits for a GET.
//! Every event carries an id `STREAM-SEQ` and is kept, bounded, so that a
//! client whose connection broke resumes with `Last-Event-ID` and loses
//! nothing; a stream whose reader is too slow is let go, not grown.

use super::child::{FromChild, Running};
use super::Principal;
use crate::jsonrpc::{self, Form, Id, Message, MessageKind, Method};
use crate::sync::Locked;
use bytes::Bytes;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::mpsc;

/// Events a stream keeps for resuming, at most.
const KEPT_EVENTS: usize = 256;
/// Bytes a stream keeps for resuming, at most (the newest event always).
const KEPT_BYTES: usize = 16 << 20;
/// Answered streams kept for a client that resumes late, at most.
const KEPT_ANSWERED: usize = 64;
/// Events that wait in a connection's queue before its reader counts as gone.
const LIVE_QUEUE: usize = 256;
/// The JSON-RPC code of an answer the bridge gives when the child could not.
const SERVER_GONE: i64 = -32000;
/// How long a client whose stream broke waits before it resumes, as the
/// priming event's `retry:` tells it.
const RETRY_MS: u64 = 1000;
/// The first revision whose clients take a priming event: an event with an
/// id and empty data (SEP-1699). Older clients read empty data as a broken
/// message, so they never get one.
const PRIMED_FROM: &str = "2025-11-25";

/// The body of an event-stream response: the events as they come.
pub type Events = mpsc::Receiver<Bytes>;

/// Why a request could not be taken on.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// A request with this id is already waiting in the session.
    #[error("a request with id {0} is already in flight in this session")]
    DuplicateId(Id),
    /// The session's child is gone.
    #[error("the MCP server process of this session has ended")]
    Gone,
}

/// One session.
pub struct Session {
    /// Its id, as the client sends it in `Mcp-Session-Id`.
    pub id: String,
    /// A short form of the id, for the log.
    pub label: String,
    /// Who started it: only they reach it.
    pub owner: Principal,
    child: Mutex<Option<Running>>,
    to_child: mpsc::Sender<Bytes>,
    streams: Mutex<Streams>,
    last_used: Mutex<Instant>,
    alive: AtomicBool,
}

#[derive(Default)]
struct Streams {
    next: u64,
    by_request: HashMap<Id, u64>,
    by_token: HashMap<String, u64>,
    streams: HashMap<u64, Stream>,
    /// Request streams still waiting for their answer, oldest first.
    waiting: VecDeque<u64>,
    /// Answered request streams, oldest first, kept for resuming.
    answered: VecDeque<u64>,
    /// An HTTP+SSE session: everything goes out on stream 0, the one GET
    /// stream, and requests wait there (mapped to 0 in `by_request`).
    legacy: bool,
}

#[derive(Default)]
struct Stream {
    seq: u64,
    /// Events kept for resuming: (seq, event text).
    kept: VecDeque<(u64, Bytes)>,
    kept_bytes: usize,
    /// The highest seq handed to a live reader.
    sent: u64,
    live: Option<mpsc::Sender<Bytes>>,
    /// A request stream: the request and its progress token.
    request: Option<(Id, Option<String>)>,
    answered: bool,
}

impl Stream {
    /// Keep `event` and hand it to the live reader, if there is one and it
    /// keeps up; a reader that does not is let go (it may resume).
    fn push(&mut self, event: Bytes) {
        self.seq += 1;
        let seq = self.seq;
        self.kept_bytes += event.len();
        self.kept.push_back((seq, event.clone()));
        while self.kept.len() > 1 && (self.kept.len() > KEPT_EVENTS || self.kept_bytes > KEPT_BYTES)
        {
            if let Some((_, old)) = self.kept.pop_front() {
                self.kept_bytes -= old.len();
            }
        }
        if let Some(live) = &self.live {
            match live.try_send(event) {
                Ok(()) => self.sent = seq,
                Err(_) => self.live = None,
            }
        }
    }

    /// A new reader, after the event `after` (every kept event not yet
    /// handed to a reader when `None`); the reader ends at once when the
    /// stream's answer is among what it replays.
    fn attach(&mut self, after: Option<u64>) -> Events {
        let (tx, rx) = mpsc::channel(LIVE_QUEUE.max(self.kept.len() + 1));
        let from = after.unwrap_or(self.sent);
        for (seq, ev) in &self.kept {
            if *seq > from && tx.try_send(ev.clone()).is_ok() {
                self.sent = *seq;
            }
        }
        if !self.answered {
            self.live = Some(tx);
        }
        rx
    }
}

/// Whether a client of protocol revision `version` (`YYYY-MM-DD`, which
/// orders as text) takes a priming event.
pub fn takes_priming(version: &str) -> bool {
    version.len() == PRIMED_FROM.len() && version >= PRIMED_FROM
}

/// The priming event that opens stream `stream` (SEP-1699): an id the
/// client can resume from before any message came, and how long to wait
/// before it does.
fn priming(stream: u64, seq: u64) -> Bytes {
    Bytes::from(format!("id: {stream}-{seq}\nretry: {RETRY_MS}\ndata: \n\n"))
}

/// The text of one event of stream `stream`.
fn event(stream: u64, seq: u64, data: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(data.len() + 48);
    out.extend_from_slice(format!("id: {stream}-{seq}\nevent: message\ndata: ").as_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

/// How session `id` is named in the log: a short form of the id.
pub fn label(id: &str) -> String {
    format!("session {}", &id[..id.len().min(8)])
}

/// A `Last-Event-ID` of ours: the stream and the last event seen.
pub fn parse_event_id(id: &str) -> Option<(u64, u64)> {
    let (s, n) = id.trim().split_once('-')?;
    Some((s.parse().ok()?, n.parse().ok()?))
}

impl Session {
    /// A session over `child`; `label` names it in the log ([`label`]).
    pub fn new(id: String, label: String, child: Running, owner: Principal) -> Arc<Session> {
        Arc::new(Session {
            id,
            label,
            owner,
            to_child: child.sender(),
            child: Mutex::new(Some(child)),
            streams: Mutex::new(Streams::default()),
            last_used: Mutex::new(Instant::now()),
            alive: AtomicBool::new(true),
        })
    }

    /// Whether its child still runs.
    pub fn alive(&self) -> bool {
        self.alive.load(Ordering::Relaxed)
    }

    /// How long since the client last sent anything, when nothing waits
    /// and no stream is read; `None` while it is busy.
    pub fn idle_for(&self) -> Option<std::time::Duration> {
        let s = self.streams.locked();
        let reading = s.streams.values().any(|st| st.live.is_some());
        (s.waiting.is_empty() && !reading).then(|| self.last_used.locked().elapsed())
    }

    /// How many requests wait for their answer.
    pub fn in_flight(&self) -> usize {
        let s = self.streams.locked();
        s.waiting.len() + s.by_request.values().filter(|n| **n == 0).count()
    }

    /// Make this an HTTP+SSE session and open its one stream, which starts
    /// with the `endpoint` event that names where to POST.
    pub fn open_legacy(&self, endpoint: &str) -> Events {
        let mut s = self.streams.locked();
        s.legacy = true;
        let stream = s.streams.entry(0).or_default();
        stream.push(Bytes::from(format!(
            "event: endpoint\ndata: {endpoint}\n\n"
        )));
        stream.attach(None)
    }

    /// Whether this is an HTTP+SSE session.
    pub fn is_legacy(&self) -> bool {
        self.streams.locked().legacy
    }

    /// The request `m` of an HTTP+SSE client: on to the child, its answer
    /// to come on the session's one stream.
    pub async fn request_on_main(&self, m: &Message, id: &Id) -> Result<(), Refused> {
        *self.last_used.locked() = Instant::now();
        {
            let mut s = self.streams.locked();
            if s.by_request.contains_key(id) {
                return Err(Refused::DuplicateId(id.clone()));
            }
            s.by_request.insert(id.clone(), 0);
        }
        if !self.alive() || !self.send(m.raw.clone()).await {
            self.answer_all("the MCP server process of this session has ended");
            return Err(Refused::Gone);
        }
        Ok(())
    }

    /// The client's request `m`: its stream, opened with a priming event
    /// when `prime`, then the request on to the child. The events come on
    /// the returned body.
    pub async fn request(&self, m: &Message, id: &Id, prime: bool) -> Result<Events, Refused> {
        *self.last_used.locked() = Instant::now();
        let token = jsonrpc::meta_raw(&m.raw, "progressToken").map(|t| t.get().to_owned());
        let events = {
            let mut s = self.streams.locked();
            if s.by_request.contains_key(id) {
                return Err(Refused::DuplicateId(id.clone()));
            }
            s.next += 1;
            let n = s.next;
            s.by_request.insert(id.clone(), n);
            if let Some(t) = &token {
                s.by_token.insert(t.clone(), n);
            }
            s.waiting.push_back(n);
            let stream = s.streams.entry(n).or_default();
            stream.request = Some((id.clone(), token));
            if prime {
                stream.push(priming(n, stream.seq + 1));
            }
            stream.attach(None)
        };
        if !self.alive() || !self.send(m.raw.clone()).await {
            self.answer_all("the MCP server process of this session has ended");
            return Err(Refused::Gone);
        }
        Ok(events)
    }

    /// A notification or response from the client, on to the child.
    pub async fn notify(&self, m: &Message) -> Result<(), Refused> {
        *self.last_used.locked() = Instant::now();
        if self.send(m.raw.clone()).await {
            Ok(())
        } else {
            Err(Refused::Gone)
        }
    }

    /// A GET stream: stream 0, or the stream a `Last-Event-ID` names,
    /// replayed from after that event.
    pub fn listen(&self, last_event: Option<(u64, u64)>) -> Option<Events> {
        *self.last_used.locked() = Instant::now();
        let mut s = self.streams.locked();
        match last_event {
            Some((n, seq)) => s.streams.get_mut(&n).map(|st| st.attach(Some(seq))),
            None => Some(s.streams.entry(0).or_default().attach(None)),
        }
    }

    async fn send(&self, line: Bytes) -> bool {
        self.to_child.send(line).await.is_ok()
    }

    /// Route what the child said until it ends.
    pub async fn pump(self: Arc<Self>, mut from_child: mpsc::Receiver<FromChild>) {
        while let Some(said) = from_child.recv().await {
            match said {
                FromChild::Line(line) => match jsonrpc::classify(line) {
                    Ok(m) => self.deliver(m),
                    Err(e) => tracing::warn!("{}: dropped a line that is not JSON-RPC: {e}", self.label, e = crate::text::Chain(&e)),
                },
                FromChild::TooLong(len) => tracing::warn!(
                    "{}: dropped a message of {len} bytes or more from the MCP server (--max-message-size)",
                    self.label
                ),
                FromChild::Ended(status) => {
                    let how = status.map_or("ended".to_owned(), |s| format!("ended ({s})"));
                    if self.alive.swap(false, Ordering::Relaxed) {
                        tracing::warn!("{}: the MCP server process {how}", self.label);
                    }
                    self.answer_all(&format!("mcp-bridge: the MCP server process {how} before it answered"));
                    return;
                }
            }
        }
    }

    /// One message from the child, to the stream it belongs to.
    fn deliver(&self, m: Message) {
        let mut s = self.streams.locked();
        let target = match &m.form {
            Form::Response { id: Some(id), .. } => match s.by_request.remove(id) {
                Some(n) => n,
                None => {
                    tracing::debug!(
                        "{}: dropped an answer for id {id}, which nothing waits for",
                        self.label
                    );
                    return;
                }
            },
            Form::Response { id: None, .. } => fallback(&s),
            Form::Notification {
                method: Method::Other(name),
            } if &**name == "notifications/progress" => {
                let token =
                    jsonrpc::params_raw(&m.raw, "progressToken").map(|t| t.get().to_owned());
                match token.and_then(|t| s.by_token.get(&t).copied()) {
                    Some(n) => n,
                    None => fallback(&s),
                }
            }
            _ => fallback(&s),
        };
        let answer = m.kind() == MessageKind::Response && target != 0;
        let stream = s.streams.entry(target).or_default();
        let ev = event(target, stream.seq + 1, &jsonrpc::one_line(m.raw));
        stream.push(ev);
        if answer {
            close(&mut s, target);
        }
    }

    /// Answer every request still waiting with an error saying `why`, and
    /// end every stream.
    fn answer_all(&self, why: &str) {
        let mut s = self.streams.locked();
        let waiting: Vec<u64> = s.waiting.iter().copied().collect();
        for n in waiting {
            let Some((id, _)) = s.streams.get(&n).and_then(|st| st.request.clone()) else {
                continue;
            };
            s.by_request.remove(&id);
            let line = jsonrpc::error_response(Some(&id), SERVER_GONE, why, None);
            let stream = s.streams.entry(n).or_default();
            let ev = event(n, stream.seq + 1, &line);
            stream.push(ev);
            close(&mut s, n);
        }
        let on_main: Vec<Id> = s
            .by_request
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(id, _)| id.clone())
            .collect();
        for id in on_main {
            s.by_request.remove(&id);
            let line = jsonrpc::error_response(Some(&id), SERVER_GONE, why, None);
            let stream = s.streams.entry(0).or_default();
            let ev = event(0, stream.seq + 1, &line);
            stream.push(ev);
        }
        for st in s.streams.values_mut() {
            st.live = None;
        }
    }

    /// End the session: its child (and process group), and every stream.
    pub fn end(&self, why: &str) {
        self.alive.store(false, Ordering::Relaxed);
        if let Some(mut child) = self.child.locked().take() {
            child.end();
        }
        self.answer_all(why);
    }
}

/// Where a message that belongs to no known request goes: the GET stream
/// when one is read, else the newest request still waiting, else the GET
/// stream's queue.
fn fallback(s: &Streams) -> u64 {
    if s.streams.get(&0).is_some_and(|st| st.live.is_some()) {
        return 0;
    }
    s.waiting.back().copied().unwrap_or(0)
}

/// Stream `n` has its answer: its reader ends after it, its token is
/// forgotten, and it is kept a while for a client that resumes.
fn close(s: &mut Streams, n: u64) {
    s.waiting.retain(|w| *w != n);
    if let Some(st) = s.streams.get_mut(&n) {
        st.answered = true;
        st.live = None;
        if let Some((_, Some(t))) = &st.request {
            let t = t.clone();
            s.by_token.remove(&t);
        }
    }
    s.answered.push_back(n);
    while s.answered.len() > KEPT_ANSWERED {
        if let Some(old) = s.answered.pop_front() {
            s.streams.remove(&old);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_keeps_what_a_resuming_reader_missed_and_stays_bounded() {
        let mut st = Stream::default();
        let mut first = st.attach(None);
        st.push(Bytes::from_static(b"a"));
        assert_eq!(first.try_recv().unwrap(), "a");
        drop(first);
        st.push(Bytes::from_static(b"b"));
        st.push(Bytes::from_static(b"c"));
        assert!(st.live.is_none(), "the reader went away");
        let mut again = st.attach(Some(1));
        assert_eq!(again.try_recv().unwrap(), "b");
        assert_eq!(again.try_recv().unwrap(), "c");
        for i in 0..(KEPT_EVENTS * 2) {
            st.push(Bytes::from(i.to_string()));
        }
        assert_eq!(st.kept.len(), KEPT_EVENTS);
    }

    #[test]
    fn event_ids_name_the_stream_and_the_event() {
        assert_eq!(event(3, 7, b"{}"), "id: 3-7\nevent: message\ndata: {}\n\n");
        assert_eq!(priming(3, 1), "id: 3-1\nretry: 1000\ndata: \n\n");
        assert!(takes_priming("2025-11-25") && takes_priming("2026-07-28"));
        assert!(!takes_priming("2025-06-18") && !takes_priming("9") && !takes_priming(""));
        assert_eq!(parse_event_id("3-7"), Some((3, 7)));
        assert_eq!(parse_event_id("x"), None);
    }
}
