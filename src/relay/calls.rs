//! `--log-calls FILE`: a record of what the agent called, for audit. One
//! JSON line per request the client sends, and one per answer it gets
//! (the server's, or the bridge's own error), appended:
//!
//! ```json
//! {"time":"2026-12-06T21:03:04.123Z","server":"https://host/mcp","kind":"request","id":7,"method":"tools/call","name":"add","bytes":86}
//! {"time":"2026-12-06T21:03:04.141Z","server":"https://host/mcp","kind":"answer","id":7,"method":"tools/call","name":"add","ms":18.2,"outcome":"result","bytes":133}
//! ```
//!
//! With `--log-calls-full`, a request's `arguments` (its params) and an
//! answer's `result` (or `error`) too, with every `--header` value and
//! the URL's query values replaced by `[hidden]` wherever they appear.
//!
//! The file is opened for appending only, never truncated, created
//! owner-only, and never through a symbolic link; one that others may
//! read, or that cannot be opened, stops the start. A failed write is
//! said in the log once, and the relay serves on.

use crate::jsonrpc::{self, Id, Message};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How many requests are remembered while they wait for their answers.
const WAITING: usize = 4096;

/// Why the call log cannot be kept.
#[derive(Debug, thiserror::Error)]
pub enum CallLogError {
    /// It cannot be opened for appending.
    #[error("cannot open {} to append the call log", .path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Others may read or write it.
    #[error("{} may be read by others: make it owner-only (chmod 600) or name another file", .0.display())]
    OpenToOthers(PathBuf),
}

/// The open call log.
pub struct CallLog {
    file: File,
    server: String,
    full: bool,
    /// Values never written (header values, query values), each with its
    /// JSON-escaped form.
    hidden: Vec<String>,
    /// The requests waiting: their method, name and start.
    waiting: HashMap<Id, (String, Option<String>, Instant)>,
    failed: bool,
}

impl CallLog {
    /// Open `path` to append to, for calls to `server` (as logs show it);
    /// `full` writes arguments and results, with `hidden` values hidden.
    pub fn open(
        path: &Path,
        server: &str,
        full: bool,
        hidden: Vec<String>,
    ) -> Result<CallLog, CallLogError> {
        let mut opts = std::fs::OpenOptions::new();
        opts.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // O_NOFOLLOW: a symbolic link at the path is refused, not followed.
            opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        let open = |source| CallLogError::Open {
            path: path.to_path_buf(),
            source,
        };
        let file = opts.open(path).map_err(open)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = file.metadata().map_err(open)?.permissions().mode();
            if mode & 0o077 != 0 {
                return Err(CallLogError::OpenToOthers(path.to_path_buf()));
            }
        }
        let mut secrets = Vec::new();
        for h in hidden.into_iter().filter(|h| h.len() >= 3) {
            let escaped = serde_json::to_string(&h).unwrap_or_default();
            let inner = escaped[1..escaped.len().saturating_sub(1)].to_owned();
            if inner != h {
                secrets.push(inner);
            }
            secrets.push(h);
        }
        // The longest first, so that one inside another leaves nothing.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Ok(CallLog {
            file,
            server: server.to_owned(),
            full,
            hidden: secrets,
            waiting: HashMap::new(),
            failed: false,
        })
    }

    /// A request from the client.
    pub fn request(&mut self, m: &Message, id: &Id, method: &str) {
        let name = m
            .method()
            .and_then(|meth| meth.name_param())
            .and_then(|field| jsonrpc::params_str(&m.raw, field));
        let mut line = json!({
            "time": crate::text::now_utc(),
            "server": self.server,
            "kind": "request",
            "id": id_value(id),
            "method": method,
            "bytes": m.raw.len(),
        });
        if let Some(n) = &name {
            line["name"] = json!(n);
        }
        if self.full {
            if let Some(p) =
                jsonrpc::params_raw(&m.raw, "arguments").or_else(|| Self::params(&m.raw))
            {
                line["arguments"] = self.scrubbed(p.get());
            }
        }
        if self.waiting.len() >= WAITING {
            // Answers never came for these (cancelled, or the client
            // left): forget them rather than grow.
            self.waiting.clear();
        }
        self.waiting
            .insert(id.clone(), (method.to_owned(), name, Instant::now()));
        self.write(&line);
    }

    /// An answer on its way to the client, when it answers a request the
    /// log has.
    pub fn answer(&mut self, raw: &bytes::Bytes) {
        let Ok(m) = jsonrpc::classify(raw.clone()) else {
            return;
        };
        if m.method().is_some() {
            return;
        }
        let Some(id) = m.id() else { return };
        let Some((method, name, started)) = self.waiting.remove(id) else {
            return;
        };
        let outcome = match jsonrpc::error_object(raw) {
            Some(e) => json!({"error": e.code}),
            None => json!("result"),
        };
        let mut line = json!({
            "time": crate::text::now_utc(),
            "server": self.server,
            "kind": "answer",
            "id": id_value(id),
            "method": method,
            "ms": (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0,
            "outcome": outcome,
            "bytes": raw.len(),
        });
        if let Some(n) = name {
            line["name"] = json!(n);
        }
        if self.full {
            let v: Value = serde_json::from_slice(raw).unwrap_or_default();
            for field in ["result", "error"] {
                if let Some(x) = v.get(field) {
                    line[field] = self.scrubbed(&x.to_string());
                }
            }
        }
        self.write(&line);
    }

    /// A request's whole `params`, when it has no `arguments`.
    fn params(raw: &[u8]) -> Option<Box<serde_json::value::RawValue>> {
        let v: Value = serde_json::from_slice(raw).ok()?;
        serde_json::value::to_raw_value(v.get("params")?).ok()
    }

    /// JSON text with the hidden values replaced, as a value.
    fn scrubbed(&self, text: &str) -> Value {
        let mut t = text.to_owned();
        for s in &self.hidden {
            if t.contains(s.as_str()) {
                t = t.replace(s.as_str(), "[hidden]");
            }
        }
        serde_json::from_str(&t).unwrap_or(Value::String("[not JSON once hidden]".into()))
    }

    fn write(&mut self, line: &Value) {
        let mut bytes = line.to_string().into_bytes();
        bytes.push(b'\n');
        // One write per line: appends from two bridges never interleave
        // within a line.
        if let Err(e) = self.file.write_all(&bytes) {
            if !self.failed {
                tracing::error!("cannot append to the call log: {e}");
                self.failed = true;
            }
        }
    }
}

/// The id as JSON (a number stays a number).
fn id_value(id: &Id) -> Value {
    serde_json::from_str(&id.to_string()).unwrap_or_else(|_| json!(id.to_string()))
}
