//! stdin and stdout on the runtime's own thread: the descriptors are made
//! non-blocking and driven by the runtime's reactor. Only for pipes and
//! sockets (a terminal or a file is shared with others, or cannot be
//! polled), and only for a stdout that is not also stderr (the logs write
//! there blocking). The original flags come back when the bridge is done.

use super::{Framer, Inbound, READ_CHUNK};
use bytes::Bytes;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{IoSlice, Read, Write};
use std::mem::ManuallyDrop;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// Past this many queued bytes, writing waits for the client to read.
const HIGH_WATER: usize = 4 << 20;
/// At most this many lines go out in one `writev`.
const LINES_PER_WRITE: usize = 64;

/// A standard descriptor, made non-blocking while this lives.
struct Nonblocking {
    fd: RawFd,
    /// The descriptor as a file; never closed (it is not ours to close).
    file: ManuallyDrop<File>,
    flags: libc::c_int,
}

impl Nonblocking {
    /// `fd`, when it is a pipe or a socket, made non-blocking.
    fn open(fd: RawFd) -> Option<Self> {
        let kind = file_id(fd)?.2 & libc::S_IFMT;
        if kind != libc::S_IFIFO && kind != libc::S_IFSOCK {
            return None;
        }
        // SAFETY: fcntl on a descriptor this process has open.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
        // SAFETY: as above; only O_NONBLOCK is added.
        if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
            return None;
        }
        Some(Nonblocking {
            fd,
            // SAFETY: the descriptor stays open for the process's life; the
            // ManuallyDrop never closes it.
            file: ManuallyDrop::new(unsafe { File::from_raw_fd(fd) }),
            flags,
        })
    }
}

impl AsRawFd for Nonblocking {
    fn as_raw_fd(&self) -> RawFd {
        self.fd
    }
}

impl Drop for Nonblocking {
    fn drop(&mut self) {
        // SAFETY: restores the flags read in `open` on the same descriptor.
        unsafe { libc::fcntl(self.fd, libc::F_SETFL, self.flags) };
    }
}

/// Device, inode and mode of `fd`.
#[allow(clippy::unnecessary_cast)] // the field types differ between platforms
fn file_id(fd: RawFd) -> Option<(u64, u64, libc::mode_t)> {
    // SAFETY: fstat fills the zeroed struct for a descriptor we have open.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return None;
    }
    Some((st.st_dev as u64, st.st_ino as u64, st.st_mode))
}

/// stdin, read without blocking.
pub struct Reader {
    fd: AsyncFd<Nonblocking>,
    framer: Framer,
    buf: Vec<u8>,
    lines: VecDeque<Inbound>,
    done: bool,
}

impl Reader {
    /// stdin, if it can be read this way.
    pub fn stdin(max: usize) -> Option<Reader> {
        let fd = Nonblocking::open(0)?;
        // SAFETY: a standard descriptor, open for the process's life and
        // never closed or replaced while registered.
        let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }.ok()?;
        Some(Reader {
            fd,
            framer: Framer::new(max),
            buf: vec![0; READ_CHUNK],
            lines: VecDeque::new(),
            done: false,
        })
    }

    /// The next line; `None` after `Closed`.
    pub async fn recv(&mut self) -> Option<Inbound> {
        loop {
            if let Some(line) = self.lines.pop_front() {
                return Some(line);
            }
            if self.done {
                return None;
            }
            let Ok(mut ready) = self.fd.readable_mut().await else {
                self.end();
                continue;
            };
            let read = ready.try_io(|fd| {
                let fd = fd.get_mut();
                (&*fd.file).read(&mut self.buf)
            });
            match read {
                Ok(Ok(0)) => self.end(),
                Ok(Ok(n)) => self.framer.feed(&self.buf[..n], &mut self.lines),
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Ok(Err(e)) => {
                    tracing::warn!("reading stdin failed: {e}");
                    self.end();
                }
                // Not readable after all; wait again.
                Err(_) => {}
            }
        }
    }

    fn end(&mut self) {
        self.framer.finish(&mut self.lines);
        self.done = true;
    }
}

/// stdout, written without blocking; lines are queued as they are (no
/// copy, however large) and go out many at a time.
pub struct Writer {
    fd: AsyncFd<Nonblocking>,
    queue: VecDeque<Bytes>,
    queued: usize,
    /// Bytes of the first queued line (and its newline) already written.
    offset: usize,
    closed: bool,
}

impl Writer {
    /// stdout, if it can be written this way.
    pub fn stdout() -> Option<Writer> {
        if file_id(1).map(|(d, i, _)| (d, i)) == file_id(2).map(|(d, i, _)| (d, i)) {
            return None;
        }
        let fd = Nonblocking::open(1)?;
        // SAFETY: as for stdin.
        let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::WRITABLE) }.ok()?;
        Some(Writer {
            fd,
            queue: VecDeque::new(),
            queued: 0,
            offset: 0,
            closed: false,
        })
    }

    /// Queue `line`; past the high-water mark, wait for the client to read.
    pub async fn write(&mut self, line: Bytes) {
        if self.closed {
            return;
        }
        self.queued += line.len() + 1;
        self.queue.push_back(line);
        if self.queued > HIGH_WATER {
            self.flush().await;
        }
    }

    /// Write out everything queued.
    pub async fn flush(&mut self) {
        while !self.queue.is_empty() && !self.closed {
            let Ok(mut ready) = self.fd.writable_mut().await else {
                return self.close();
            };
            let (queue, offset) = (&self.queue, self.offset);
            let written = ready.try_io(|fd| {
                let fd = fd.get_mut();
                let mut slices = Vec::with_capacity(2 * LINES_PER_WRITE);
                for (i, line) in queue.iter().take(LINES_PER_WRITE).enumerate() {
                    let from = if i == 0 { offset } else { 0 };
                    if from < line.len() {
                        slices.push(IoSlice::new(&line[from..]));
                    }
                    slices.push(IoSlice::new(b"\n"));
                }
                (&*fd.file).write_vectored(&slices)
            });
            match written {
                Ok(Ok(n)) => self.advance(n),
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Ok(Err(_)) => self.close(),
                Err(_) => {}
            }
        }
    }

    /// `n` more bytes went out.
    fn advance(&mut self, mut n: usize) {
        self.queued = self.queued.saturating_sub(n);
        while n > 0 {
            let Some(first) = self.queue.front() else {
                break;
            };
            let rest = first.len() + 1 - self.offset;
            if n >= rest {
                n -= rest;
                self.offset = 0;
                self.queue.pop_front();
            } else {
                self.offset += n;
                n = 0;
            }
        }
    }

    fn close(&mut self) {
        tracing::warn!("stdout is closed; the client is gone");
        self.closed = true;
        self.queue.clear();
        self.queued = 0;
    }
}
