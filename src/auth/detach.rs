//! A sign-in that outlives the bridge. Clients give a server about 30 s to
//! start, then close stdin, send SIGTERM and SIGKILL; a person with single
//! sign-on and a second factor often takes longer. So a person's sign-in
//! (browser or device code) runs in a process of its own: this binary again,
//! started detached (its own session, no stdio of the client's) with the
//! bridge's own arguments and the hidden subcommand [`SUBCOMMAND`]. It takes
//! the server's lock, signs in, stores the tokens and exits, at the latest
//! [`BEYOND`] after `--auth-timeout`. Once it ends, the bridge takes the
//! lock and reads the tokens it stored, as it would after any other
//! process's sign-in. A bridge started meanwhile waits on the lock.
//!
//! Its stderr (logs, and what the person is told) is copied to the bridge's
//! while the bridge lives; its stdout carries one last line, how it ended.

use super::{failed, pkce, Auth, Error, FlowError, Turn};
use crate::http::challenge::Challenge;
use crate::http::error::UpstreamError;
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

/// The hidden subcommand the detached process runs.
pub const SUBCOMMAND: &str = "__sign-in";
/// How long the detached process may live beyond `--auth-timeout`: for
/// discovery, registration, the code exchange and the store.
pub const BEYOND: Duration = Duration::from_secs(20);
/// The detached process's last line on its pipe: done, with tokens stored.
const END_OK: &str = "end: ok";
/// The detached process's last line when the sign-in failed.
const END_ERR: &str = "end: error: ";
/// The longest line read from the pipe.
const LINE_MAX: u64 = 16 * 1024;

/// How to start this program again for a sign-in of its own.
#[derive(Debug, Clone)]
pub struct Detach {
    /// This binary.
    pub program: PathBuf,
    /// The bridge's own arguments, as it was started with them.
    pub args: Vec<OsString>,
}

/// What the detached process is asked to do.
#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    /// The server's challenge that asked for the sign-in.
    pub challenge: Challenge,
    /// The fingerprint of the token the server refused, if any: a stored
    /// token other than this one means someone signed in meanwhile.
    pub refused: Option<String>,
    /// The scope to ask for.
    pub scope: Option<String>,
}

/// A token's fingerprint: enough to tell two tokens apart, nothing to use.
fn fingerprint(token: &str) -> String {
    pkce::sha256_hex(token.as_bytes())[..16].to_owned()
}

/// The detached process's last word, on its stdout (the pipe to the bridge
/// that started it, which may be gone: that write may fail).
pub fn finish<E: std::fmt::Display>(outcome: &Result<(), E>) {
    use std::io::Write;
    let line = match outcome {
        Ok(()) => END_OK.to_owned(),
        Err(e) => format!("{END_ERR}{}", e.to_string().replace(['\r', '\n'], " ")),
    };
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

impl Auth {
    /// Whether a person's sign-in goes to a detached process: in bridge
    /// mode, with a store the tokens can come back through.
    pub(super) fn detaches(&self) -> bool {
        self.cfg.detach.is_some() && self.store.is_some() && !self.cfg.grant.is_machine()
    }

    /// Whether a sign-in is under way elsewhere, detached or in another
    /// bridge, that outlives this process (for what the client is told
    /// when it stops waiting).
    pub(super) fn detached_pending(&self) -> bool {
        self.detached.load(Ordering::Relaxed) || self.waiting.load(Ordering::Relaxed)
    }

    /// Sign in through a detached process, then take its tokens; `turn`'s
    /// file lock is let go for that process to take, and held again after.
    pub(super) async fn sign_in_elsewhere(
        &self,
        turn: &mut Turn<'_>,
        c: &Challenge,
        scope: Option<String>,
        sent: Option<&str>,
    ) -> Result<(), UpstreamError> {
        let url = &self.cfg.server;
        let detach = self.cfg.detach.as_ref().expect("detaches() was checked");
        let request = Request {
            challenge: c.clone(),
            refused: sent.map(fingerprint),
            scope: scope.clone(),
        };
        let request = serde_json::to_string(&request).expect("a request serializes");
        turn.held = None;
        let mut child = match spawn(detach, &request) {
            Ok(child) => child,
            Err(e) => {
                // Signing in here is worse only when the client gives up.
                tracing::warn!(
                    "cannot start a sign-in process ({e}); signing in in this one",
                    e = crate::text::Chain(&e)
                );
                turn.held = self.lock().await?;
                return self.obtain(&mut turn.known, c, scope).await;
            }
        };
        tracing::info!(
            "signing in through a process of its own (pid {}), which outlives this one",
            child.id().unwrap_or(0)
        );
        self.detached.store(true, Ordering::Relaxed);
        let limit = self.cfg.auth_timeout + BEYOND + super::LOCK_MARGIN;
        let said = tokio::time::timeout(limit, relay_notices(&mut child)).await;
        self.detached.store(false, Ordering::Relaxed);
        let said = said.unwrap_or_else(|_| Err(FlowError::DetachedLate.into()));
        // Reaped now if it ended; otherwise it ends on its own time.
        let _ = child.try_wait();
        turn.held = self.lock().await?;
        let stored = self.read_shared().await;
        match stored.tokens {
            Some(t) if Some(fingerprint(self.sent(&t).expose())) != sent.map(fingerprint) => {
                self.adopt_fresh(t);
                turn.known.client = stored.client;
                Ok(())
            }
            _ => Err(failed(
                url,
                match said {
                    Ok(()) => FlowError::NoTokenStored.into(),
                    Err(e) => e,
                },
            )),
        }
    }

    /// In the detached process: take the lock, and sign in unless someone
    /// stored a token other than the refused one meanwhile.
    pub async fn sign_in_here(&self, req: &Request) -> Result<(), UpstreamError> {
        let known = self.single.lock().await;
        let held = self.lock().await?;
        let stored = self.read_shared().await;
        if let Some(t) = &stored.tokens {
            if Some(fingerprint(self.sent(t).expose())) != req.refused {
                tracing::info!("another mcp-bridge process signed in meanwhile");
                return Ok(());
            }
        }
        let mut turn = Turn { known, held };
        turn.known.client = stored.client;
        let scope = req.scope.clone();
        self.obtain(&mut turn.known, &req.challenge, scope).await
    }
}

/// Copy what the detached process logs and tells the person to this
/// process's stderr, and wait for its last word.
async fn relay_notices(child: &mut tokio::process::Child) -> Result<(), Error> {
    if let Some(mut err) = child.stderr.take() {
        tokio::spawn(async move {
            let _ = tokio::io::copy(&mut err, &mut tokio::io::stderr()).await;
        });
    }
    let Some(out) = child.stdout.take() else {
        return Err(FlowError::NoPipe.into());
    };
    let mut out = BufReader::new(out);
    loop {
        let mut line = String::new();
        let read = (&mut out).take(LINE_MAX).read_line(&mut line).await;
        let line = line.trim_end();
        match read {
            Ok(0) | Err(_) => return Err(FlowError::Silent.into()),
            Ok(_) if line == END_OK => return Ok(()),
            Ok(_) => {
                if let Some(e) = line.strip_prefix(END_ERR) {
                    return Err(FlowError::Detached { said: e.to_owned() }.into());
                }
            }
        }
    }
}

/// Start `detach` for `request`: its own session (Unix) or process group
/// out of the client's job (Windows), stdin closed, stdout and stderr
/// pipes to this process.
fn spawn(detach: &Detach, request: &str) -> std::io::Result<tokio::process::Child> {
    let mut cmd = tokio::process::Command::new(&detach.program);
    cmd.arg(SUBCOMMAND)
        .arg(request)
        .arg("--")
        .args(&detach.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(false);
    #[cfg(unix)]
    {
        // SAFETY: setsid is async-signal-safe and touches no memory.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        cmd.spawn()
    }
    #[cfg(windows)]
    {
        const DETACHED_PROCESS: u32 = 0x0000_0008;
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        const CREATE_BREAKAWAY_FROM_JOB: u32 = 0x0100_0000;
        let flags = DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP;
        // Out of the client's job object where it allows that, so that
        // closing the job does not end the sign-in; else in it.
        cmd.creation_flags(flags | CREATE_BREAKAWAY_FROM_JOB);
        match cmd.spawn() {
            Ok(c) => Ok(c),
            Err(_) => {
                cmd.creation_flags(flags);
                cmd.spawn()
            }
        }
    }
    #[cfg(not(any(unix, windows)))]
    {
        cmd.spawn()
    }
}
