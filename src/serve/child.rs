//! One stdio MCP server process: started in a process group of its own on
//! Unix, in a Job Object on Windows (so that what it starts in turn, as
//! `npx` starts node, ends with it, and nothing outlives `serve`), its
//! stdin written one line at a time, its stdout framed into bounded lines,
//! its stderr copied to the log, never to a client. Its environment is the
//! bridge's with the `--env` pairs: nothing of an HTTP request reaches it.

use crate::secret::Secret;
use crate::stdio::{Framer, Inbound};
use bytes::Bytes;
use std::collections::VecDeque;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// How many lines wait to be written to the child.
const TO_CHILD: usize = 1024;
/// How long a child has, after it is told to end, before it is killed.
pub(super) const END_GRACE: Duration = Duration::from_secs(2);
/// The most of one stderr line held for the log, in bytes.
const STDERR_LINE: usize = 4096;
/// The first size of the buffer the child's stdout is read into, and the
/// most it grows to (a Linux pipe's capacity).
const READ_FIRST: usize = 4096;
const READ_MOST: usize = 64 * 1024;

/// Children started and not yet reaped, in this process.
static LIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Wait (up to `limit`) until every child this process started has been
/// reaped: at shutdown, so that none outlives `serve`, not even as a
/// zombie that a container's init never reaps.
pub async fn all_reaped(limit: Duration) {
    let until = tokio::time::Instant::now() + limit;
    while LIVE.load(std::sync::atomic::Ordering::SeqCst) > 0 && tokio::time::Instant::now() < until
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How to start the stdio server.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// The command.
    pub command: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// `--env KEY=VALUE` pairs, added to the bridge's own environment.
    pub env: Vec<(String, Secret)>,
    /// The longest line accepted from it, in bytes.
    pub max_line: usize,
}

/// Why a child could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start {command:?}")]
pub struct SpawnError {
    /// The command.
    pub command: String,
    /// The system's reason.
    pub source: std::io::Error,
}

/// What a running child says: a line, or its end.
#[derive(Debug)]
pub enum FromChild {
    /// One line of its stdout.
    Line(Bytes),
    /// A line longer than the bound (its bytes were dropped).
    TooLong(usize),
    /// It ended (or closed its stdout); the exit status when known.
    Ended(Option<std::process::ExitStatus>),
}

/// A running child: where its stdin lines go, and how to end it.
pub struct Running {
    to_child: mpsc::Sender<Bytes>,
    end: Option<tokio::sync::oneshot::Sender<()>>,
    /// Its process id.
    pub pid: Option<u32>,
}

impl Running {
    /// A stand-in for a child of one's own on a server another owns
    /// (`--shared`): lines go to `to_child`, and ending it only fires the
    /// returned receiver.
    pub fn attached(
        to_child: mpsc::Sender<Bytes>,
        pid: Option<u32>,
    ) -> (Running, tokio::sync::oneshot::Receiver<()>) {
        let (end, ended) = tokio::sync::oneshot::channel();
        let running = Running {
            to_child,
            end: Some(end),
            pid,
        };
        (running, ended)
    }

    /// Where its stdin lines go: one JSON-RPC message each, no newline.
    pub fn sender(&self) -> mpsc::Sender<Bytes> {
        self.to_child.clone()
    }

    /// End it (and its process group): asked first, then killed.
    pub fn end(&mut self) {
        if let Some(end) = self.end.take() {
            let _ = end.send(());
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.end();
    }
}

/// Start `program` as session `label`'s child; what it says arrives on the
/// returned channel, `Ended` last.
pub fn spawn(
    program: &Program,
    label: &str,
) -> Result<(Running, mpsc::Receiver<FromChild>), SpawnError> {
    let mut cmd = Command::new(&program.command);
    cmd.args(&program.args)
        .envs(program.env.iter().map(|(k, v)| (k, v.expose())))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    #[cfg(unix)]
    cmd.process_group(0);
    #[cfg(target_os = "linux")]
    end_with_this_process(&mut cmd);
    let mut child = cmd.spawn().map_err(|source| SpawnError {
        command: program.command.clone(),
        source,
    })?;
    let pid = child.id();
    // Right after the spawn, before the child had time to start anything.
    #[cfg(windows)]
    let job = job::Job::holding(&child);
    #[cfg(not(windows))]
    let job = ();
    let (to_child, mut lines_in) = mpsc::channel::<Bytes>(TO_CHILD);
    let (from_child, rx) = mpsc::channel(TO_CHILD);
    let (end_tx, end_rx) = tokio::sync::oneshot::channel();

    let mut stdin = child.stdin.take().expect("stdin is piped");
    tokio::spawn(async move {
        while let Some(line) = lines_in.recv().await {
            let mut framed = Vec::with_capacity(line.len() + 1);
            framed.extend_from_slice(&line);
            framed.push(b'\n');
            if stdin.write_all(&framed).await.is_err() {
                break;
            }
        }
    });
    if let Some(err) = child.stderr.take() {
        tokio::spawn(copy_stderr(err, label.to_owned()));
    }
    let stdout = child.stdout.take().expect("stdout is piped");
    let (lines_tx, lines_rx) = mpsc::channel(TO_CHILD);
    tokio::spawn(read_stdout(stdout, program.max_line, lines_tx));
    LIVE.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    tokio::spawn(watch(child, job, end_rx, lines_rx, from_child));
    Ok((
        Running {
            to_child,
            end: Some(end_tx),
            pid,
        },
        rx,
    ))
}

/// Have the child sent SIGTERM when this process dies, however it dies
/// (SIGKILL, the OOM killer, an abort): a process group of its own keeps
/// it from the terminal's signals, and a server that ignores the end of
/// its stdin would otherwise run on, orphaned. The signal comes when the
/// thread that spawned it ends; everything here runs on the main thread.
#[cfg(target_os = "linux")]
fn end_with_this_process(cmd: &mut Command) {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs in the child between fork and exec, and
    // makes only async-signal-safe calls (prctl, getppid) and no
    // allocation.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            // This process died before the prctl: nobody is left to serve.
            if libc::getppid() != parent {
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

/// Copy the child's stderr to the log, a line at a time, until it closes.
/// Of a line only its first [`STDERR_LINE`] bytes are held (the rest is
/// read and dropped), and bytes that are not UTF-8 are shown replaced:
/// nothing the child writes may grow the bridge or stop the copying, since
/// a child whose stderr pipe closed dies of SIGPIPE on its next write.
async fn copy_stderr(err: tokio::process::ChildStderr, label: String) {
    // Its lines are copied out a piece at a time, so a small buffer will do.
    let mut err = BufReader::with_capacity(1024, err);
    let mut line = Vec::new();
    loop {
        let (used, ended) = match err.fill_buf().await {
            Ok([]) | Err(_) => break,
            Ok(buf) => {
                let (part, ended) = match memchr::memchr(b'\n', buf) {
                    Some(i) => (&buf[..i], true),
                    None => (buf, false),
                };
                let room = STDERR_LINE.saturating_sub(line.len());
                line.extend_from_slice(&part[..part.len().min(room)]);
                (part.len() + usize::from(ended), ended)
            }
        };
        err.consume(used);
        if ended {
            log_stderr(&label, &line);
            line.clear();
        }
    }
    if !line.is_empty() {
        log_stderr(&label, &line);
    }
}

/// One stderr line in the log, whole up to the bound (a stack trace's line
/// is worth reading to its end), its control characters escaped.
fn log_stderr(label: &str, line: &[u8]) {
    let line = String::from_utf8_lossy(line);
    let line = line.strip_suffix('\r').unwrap_or(&line);
    tracing::info!("{label}: {}", crate::text::escaped(line, STDERR_LINE));
}

/// Frame the child's stdout into lines until it closes.
async fn read_stdout(
    mut out: tokio::process::ChildStdout,
    max: usize,
    tx: mpsc::Sender<FromChild>,
) {
    let mut framer = Framer::new(max);
    // Small to start: every session has one of these, and most children
    // write lines of a few hundred bytes. A read that fills it doubles it,
    // up to what a pipe holds, so a child that writes much is read in few
    // calls.
    let mut buf = vec![0u8; READ_FIRST];
    let mut lines = VecDeque::new();
    loop {
        let n = out.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            framer.finish(&mut lines);
        } else {
            framer.feed(&buf[..n], &mut lines);
            if n == buf.len() && n < READ_MOST {
                buf = vec![0u8; n * 2];
            }
        }
        while let Some(item) = lines.pop_front() {
            let said = match item {
                Inbound::Line(l) => FromChild::Line(l),
                Inbound::TooLong { len } => FromChild::TooLong(len),
                Inbound::Closed => return,
            };
            if tx.send(said).await.is_err() {
                return;
            }
        }
    }
}

/// Pass on what the child says, and when it ends (after the last of its
/// lines), or when it is told to end, end it.
async fn watch(
    mut child: Child,
    job: Group,
    end: tokio::sync::oneshot::Receiver<()>,
    mut lines: mpsc::Receiver<FromChild>,
    tx: mpsc::Sender<FromChild>,
) {
    // Taken now: once the child is reaped, its id is gone.
    let pid = child.id();
    let forward = async {
        while let Some(said) = lines.recv().await {
            if tx.send(said).await.is_err() {
                break;
            }
        }
    };
    let ended = async {
        tokio::select! {
            s = child.wait() => s.ok(),
            _ = end => {
                terminate(&mut child);
                match tokio::time::timeout(END_GRACE, child.wait()).await {
                    Ok(s) => s.ok(),
                    Err(_) => {
                        kill(&mut child);
                        child.wait().await.ok()
                    }
                }
            }
        }
    };
    // Its last lines go out before the word that it ended.
    let (_, status) = tokio::join!(forward, ended);
    // The group goes with it: whatever it started must not outlive it.
    kill_group(pid);
    LIVE.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    #[cfg(windows)]
    drop(job);
    #[cfg(not(windows))]
    let () = job;
    let _ = tx.send(FromChild::Ended(status)).await;
}

/// What holds the processes a child started: its process group on Unix
/// (named by its pid), a Job Object on Windows.
#[cfg(windows)]
type Group = Option<job::Job>;
#[cfg(not(windows))]
type Group = ();

/// A Job Object per child, which ends every process in it when its handle
/// closes: when the child is ended, and when `serve` itself ends, however
/// it ends.
#[cfg(windows)]
mod job {
    use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
    use windows_sys::Win32::System::JobObjects::{
        AssignProcessToJobObject, CreateJobObjectW, JobObjectExtendedLimitInformation,
        SetInformationJobObject, JOBOBJECT_EXTENDED_LIMIT_INFORMATION,
        JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
    };

    /// The job's handle.
    pub struct Job(HANDLE);

    // SAFETY: a job handle may be used and closed from any thread.
    unsafe impl Send for Job {}

    impl Job {
        /// A job that holds `child` and what it starts from now on;
        /// `None` (logged) when Windows refuses one.
        pub fn holding(child: &tokio::process::Child) -> Option<Job> {
            let process = child.raw_handle()?;
            // SAFETY: plain Win32 calls on a handle this function owns (the
            // job's, closed on failure or by `Drop`) and on the child's,
            // which `child` keeps open; `info` lives across the call that
            // reads it, with its size.
            unsafe {
                let job = CreateJobObjectW(std::ptr::null(), std::ptr::null());
                if job.is_null() {
                    tracing::warn!(
                        "cannot make a Job Object: what the MCP server starts may outlive it"
                    );
                    return None;
                }
                let job = Job(job);
                let mut info = JOBOBJECT_EXTENDED_LIMIT_INFORMATION::default();
                info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
                let set = SetInformationJobObject(
                    job.0,
                    JobObjectExtendedLimitInformation,
                    (&info as *const JOBOBJECT_EXTENDED_LIMIT_INFORMATION).cast(),
                    std::mem::size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
                );
                if set == 0 || AssignProcessToJobObject(job.0, process as HANDLE) == 0 {
                    tracing::warn!(
                        "cannot put the MCP server in a Job Object: what it starts may outlive it"
                    );
                    return None;
                }
                Some(job)
            }
        }
    }

    impl Drop for Job {
        fn drop(&mut self) {
            // SAFETY: the handle is this value's own, closed once; closing
            // it ends every process still in the job.
            unsafe {
                CloseHandle(self.0);
            }
        }
    }
}

/// Ask the child's process group to end.
fn terminate(child: &mut Child) {
    #[cfg(unix)]
    if let Some(pid) = child.id() {
        // SAFETY: killpg with a process group id we started and SIGTERM
        // has no memory effects; a group already gone gives ESRCH.
        unsafe {
            libc::killpg(pid as libc::pid_t, libc::SIGTERM);
        }
        return;
    }
    let _ = child.start_kill();
}

/// Kill the child outright, and its process group.
fn kill(child: &mut Child) {
    kill_group(child.id());
    let _ = child.start_kill();
}

/// Kill the process group `pid` leads (what is left of it, once the child
/// itself has ended).
fn kill_group(pid: Option<u32>) {
    #[cfg(unix)]
    if let Some(pid) = pid {
        // SAFETY: as in `terminate`.
        unsafe {
            libc::killpg(pid as libc::pid_t, libc::SIGKILL);
        }
    }
    #[cfg(not(unix))]
    let _ = pid;
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// Lines far larger than the first read buffer come through whole and
    /// in order, among short ones, and one over the bound is reported.
    #[tokio::test]
    async fn lines_of_every_size_come_through_whole() {
        let script = "printf 'a\\n'; head -c 1000000 /dev/zero | tr '\\0' x; printf '\\nb\\n'; \
                      head -c 3000000 /dev/zero | tr '\\0' y; printf '\\nc\\n'";
        let program = Program {
            command: "sh".into(),
            args: vec!["-c".into(), script.into()],
            env: Vec::new(),
            max_line: 2_000_000,
        };
        let (_running, mut rx) = spawn(&program, "test").unwrap();
        let mut got = Vec::new();
        while let Some(said) = rx.recv().await {
            match said {
                FromChild::Line(l) => got.push(format!("line {} {}", l.len(), l[0] as char)),
                FromChild::TooLong(n) => got.push(format!("too long {n}")),
                FromChild::Ended(_) => break,
            }
        }
        assert_eq!(
            got,
            [
                "line 1 a",
                "line 1000000 x",
                "line 1 b",
                "too long 3000000",
                "line 1 c"
            ]
        );
    }
}
