//! `--shared`: one stdio server for every handshake-era session, for
//! servers too heavy to start per client (a browser, a database pool).
//!
//! Each session gets a stand-in for its child ([`Running::attached`]): its
//! lines come here, and what the server says goes back to it, so a session
//! works as with a child of its own. Here the ids are remapped so that
//! answers never cross: each request goes to the server under an id of
//! ours (its progress token too), and its answer and progress go back to
//! its session with the client's own. The first session's `initialize`
//! reaches the server and its result is kept; every later session is
//! answered from it (so the server sees the capabilities of the first
//! client only). A request of the server's own goes to the session with
//! the newest request in flight (the one it most likely belongs to; stdio
//! says no more), under an id of ours, and the client's answer back to the
//! server under its own. Any other notification goes to every session.
//! When the server ends, every session ends with it; the next `initialize`
//! starts a new one.

use super::child::{self, FromChild, Program, Running, SpawnError};
use crate::jsonrpc::{self, Form, Id, Method};
use crate::sync::Locked;
use bytes::Bytes;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// Lines that wait for one session.
const PER_SESSION: usize = 1024;

/// A request in flight: the session it came from, its id, its progress
/// token.
struct InFlight {
    session: u64,
    id: Id,
    token: Option<Box<RawValue>>,
}

/// The one server, started with the first session that needs it.
pub struct Shared {
    program: Program,
    current: tokio::sync::Mutex<Option<Arc<Server>>>,
}

/// A running server and the sessions on it.
struct Server {
    child: Mutex<Option<Running>>,
    to_child: mpsc::Sender<Bytes>,
    pid: Option<u32>,
    next: AtomicU64,
    alive: AtomicBool,
    /// Where each session's lines go, by its key.
    sessions: Mutex<HashMap<u64, mpsc::Sender<FromChild>>>,
    /// Requests in flight: our id → the session, its id, its token.
    requests: Mutex<HashMap<u64, InFlight>>,
    /// The server's own requests in flight: our id → its id.
    asked: Mutex<HashMap<u64, Box<RawValue>>>,
    /// The `initialize` result, once the server gave it.
    init: Mutex<Option<Box<RawValue>>>,
    /// Our id of the `initialize` sent, until it is answered.
    init_id: Mutex<Option<u64>>,
    initialized: AtomicBool,
}

impl Shared {
    /// A server of `program`, started when first needed.
    pub fn new(program: Program) -> Shared {
        Shared {
            program,
            current: tokio::sync::Mutex::new(None),
        }
    }

    /// A session's stand-in for a child of its own on the shared server
    /// (started now when none runs), and what the server says to it.
    pub async fn attach(&self) -> Result<(Running, mpsc::Receiver<FromChild>), SpawnError> {
        let server = {
            let mut current = self.current.lock().await;
            match current.as_ref().filter(|s| s.alive.load(Ordering::Relaxed)) {
                Some(s) => Arc::clone(s),
                None => {
                    let s = Server::start(&self.program)?;
                    *current = Some(Arc::clone(&s));
                    s
                }
            }
        };
        let key = server.next.fetch_add(1, Ordering::Relaxed);
        let (to_session, from_server) = mpsc::channel(PER_SESSION);
        server.sessions.locked().insert(key, to_session);
        let (lines_in, mut lines) = mpsc::channel::<Bytes>(PER_SESSION);
        let (running, mut ended) = Running::attached(lines_in, server.pid);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    line = lines.recv() => match line {
                        Some(line) => server.on_session_line(key, line).await,
                        None => break,
                    },
                    _ = &mut ended => break,
                }
            }
            server.detach(key);
        });
        Ok((running, from_server))
    }

    /// End the server.
    pub async fn end(&self) {
        if let Some(s) = self.current.lock().await.take() {
            if let Some(mut c) = s.child.locked().take() {
                c.end();
            }
        }
    }
}

impl Server {
    fn start(program: &Program) -> Result<Arc<Server>, SpawnError> {
        let label = "the shared server process";
        let (running, from_child) = child::spawn(program, label)?;
        tracing::info!(
            "{label}: started {:?} (pid {})",
            program.command,
            running.pid.unwrap_or(0)
        );
        let server = Arc::new(Server {
            to_child: running.sender(),
            pid: running.pid,
            child: Mutex::new(Some(running)),
            next: AtomicU64::new(1),
            alive: AtomicBool::new(true),
            sessions: Mutex::new(HashMap::new()),
            requests: Mutex::new(HashMap::new()),
            asked: Mutex::new(HashMap::new()),
            init: Mutex::new(None),
            init_id: Mutex::new(None),
            initialized: AtomicBool::new(false),
        });
        tokio::spawn(Arc::clone(&server).pump(from_child));
        Ok(server)
    }

    /// A session is gone: what it had in flight is forgotten.
    fn detach(&self, key: u64) {
        self.sessions.locked().remove(&key);
        self.requests.locked().retain(|_, r| r.session != key);
    }

    /// Tell session `key` something.
    async fn tell(&self, key: u64, said: FromChild) {
        let tx = self.sessions.locked().get(&key).cloned();
        if let Some(tx) = tx {
            let _ = tx.send(said).await;
        }
    }

    /// One line from session `key`, on to the server.
    async fn on_session_line(&self, key: u64, line: Bytes) {
        let Ok(m) = jsonrpc::classify(line) else {
            return;
        };
        let out = match &m.form {
            Form::Request { id, method } => {
                if *method == Method::Initialize {
                    let kept = self.init.locked().clone();
                    if let Some(result) = kept {
                        let answer = format!(
                            r#"{{"jsonrpc":"2.0","id":{},"result":{}}}"#,
                            id.as_json(),
                            result.get()
                        );
                        self.tell(key, FromChild::Line(Bytes::from(answer))).await;
                        return;
                    }
                }
                let n = self.next.fetch_add(1, Ordering::Relaxed);
                if *method == Method::Initialize {
                    *self.init_id.locked() = Some(n);
                }
                let token = jsonrpc::meta_raw(&m.raw, "progressToken");
                self.requests.locked().insert(
                    n,
                    InFlight {
                        session: key,
                        id: id.clone(),
                        token,
                    },
                );
                super::call::for_child(&m.raw, n)
            }
            Form::Notification { method } if *method == Method::Initialized => {
                if self.initialized.swap(true, Ordering::Relaxed) {
                    return;
                }
                Some(m.raw.clone())
            }
            Form::Notification { method } if *method == Method::Cancelled => {
                let Some(id) = jsonrpc::params_id(&m.raw, "requestId") else {
                    return;
                };
                let n = self
                    .requests
                    .locked()
                    .iter()
                    .find(|(_, r)| r.session == key && r.id == id)
                    .map(|(n, _)| *n);
                let Some(n) = n else { return };
                Some(Bytes::from(format!(
                    r#"{{"jsonrpc":"2.0","method":"notifications/cancelled","params":{{"requestId":{n}}}}}"#
                )))
            }
            Form::Notification { .. } => Some(m.raw.clone()),
            Form::Response { id: Some(id), .. } => {
                // The client's answer to one of the server's requests.
                let theirs = id
                    .as_json()
                    .parse::<u64>()
                    .ok()
                    .and_then(|ours| self.asked.locked().remove(&ours));
                let Some(theirs) = theirs else { return };
                jsonrpc::with_id_json(&m.raw, theirs).ok()
            }
            Form::Response { id: None, .. } => None,
        };
        if let Some(out) = out {
            let _ = self.to_child.send(out).await;
        }
    }

    /// Route what the server says until it ends; then every session ends.
    async fn pump(self: Arc<Self>, mut from_child: mpsc::Receiver<FromChild>) {
        while let Some(said) = from_child.recv().await {
            match said {
                FromChild::Line(line) => self.route(line).await,
                FromChild::TooLong(len) => {
                    tracing::warn!("the shared server process: dropped a message of {len} bytes or more (--max-message-size)");
                }
                FromChild::Ended(status) => {
                    self.alive.store(false, Ordering::Relaxed);
                    let all: Vec<_> = self.sessions.locked().drain().collect();
                    for (_, tx) in all {
                        let _ = tx.send(FromChild::Ended(status)).await;
                    }
                    return;
                }
            }
        }
    }

    /// One line from the server, to the session it belongs to.
    async fn route(&self, line: Bytes) {
        let Ok(m) = jsonrpc::classify(line) else {
            return;
        };
        match &m.form {
            Form::Response { id: Some(id), .. } => {
                let Some(n) = id.as_json().parse::<u64>().ok() else {
                    return;
                };
                let Some(InFlight {
                    session: key,
                    id: theirs,
                    ..
                }) = self.requests.locked().remove(&n)
                else {
                    return;
                };
                if *self.init_id.locked() == Some(n) {
                    *self.init.locked() = jsonrpc::result_raw(&m.raw);
                }
                let raw = RawValue::from_string(theirs.as_json().to_owned())
                    .unwrap_or_else(|_| jsonrpc::to_raw(&()));
                if let Ok(back) = jsonrpc::with_id_json(&m.raw, raw) {
                    self.tell(key, FromChild::Line(back)).await;
                }
            }
            Form::Notification { method } if method.name() == "notifications/progress" => {
                let n = jsonrpc::params_id(&m.raw, "progressToken")
                    .and_then(|t| t.as_json().parse::<u64>().ok());
                let found = n.and_then(|n| {
                    let requests = self.requests.locked();
                    let r = requests.get(&n)?;
                    Some((r.session, r.token.clone()?))
                });
                if let Some((key, token)) = found {
                    if let Some(back) = jsonrpc::with_progress_token(&m.raw, &token) {
                        self.tell(key, FromChild::Line(back)).await;
                    }
                }
            }
            Form::Request { id, .. } => {
                // The session with the newest request in flight.
                let key = {
                    let requests = self.requests.locked();
                    requests
                        .iter()
                        .max_by_key(|(n, _)| **n)
                        .map(|(_, r)| r.session)
                };
                let key = key.or_else(|| self.sessions.locked().keys().min().copied());
                let Some(key) = key else { return };
                let ours = self.next.fetch_add(1, Ordering::Relaxed);
                let theirs = RawValue::from_string(id.as_json().to_owned())
                    .unwrap_or_else(|_| jsonrpc::to_raw(&()));
                self.asked.locked().insert(ours, theirs);
                if let Ok(out) = jsonrpc::with_id_json(&m.raw, jsonrpc::to_raw(&ours)) {
                    self.tell(key, FromChild::Line(out)).await;
                }
            }
            _ => {
                let all: Vec<u64> = self.sessions.locked().keys().copied().collect();
                for key in all {
                    self.tell(key, FromChild::Line(m.raw.clone())).await;
                }
            }
        }
    }
}
