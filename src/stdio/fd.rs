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

/// Past this many queued bytes, the relay takes on no more work until the
/// client reads.
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
                Ok(Ok(n)) => {
                    // A short read drained the pipe: wait for the next edge
                    // instead of a read that can only say EAGAIN (tokio's
                    // own streams do the same). Data that came meanwhile
                    // has moved readiness on, and then it is not cleared.
                    if n < self.buf.len() {
                        ready.clear_ready();
                    }
                    self.framer.feed(&self.buf[..n], &mut self.lines)
                }
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Ok(Err(e)) => {
                    tracing::warn!("reading stdin failed: {e}", e = crate::text::Chain(&e));
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
    queue: Queue,
    closed: bool,
}

/// Lines waiting to be written, each followed by a newline.
#[derive(Default)]
struct Queue {
    lines: VecDeque<Bytes>,
    /// Bytes queued, newlines included.
    queued: usize,
    /// Bytes of the first line (and its newline) already written.
    offset: usize,
}

impl Queue {
    fn push(&mut self, line: Bytes) {
        self.queued += line.len() + 1;
        self.lines.push_back(line);
    }

    /// What to write next, put in `slices`: the rest of the first lines,
    /// with their newlines; how many slices that is. (On the stack: a heap
    /// buffer of this size cost about 2% of the instructions of a relayed
    /// call, in malloc and free.)
    fn slices<'a>(&'a self, slices: &mut [IoSlice<'a>; 2 * LINES_PER_WRITE]) -> usize {
        let mut n = 0;
        for (i, line) in self.lines.iter().take(LINES_PER_WRITE).enumerate() {
            let from = if i == 0 { self.offset } else { 0 };
            if from < line.len() {
                slices[n] = IoSlice::new(&line[from..]);
                n += 1;
            }
            slices[n] = IoSlice::new(b"\n");
            n += 1;
        }
        n
    }

    /// `n` more bytes went out.
    fn advance(&mut self, mut n: usize) {
        self.queued = self.queued.saturating_sub(n);
        while n > 0 {
            let Some(first) = self.lines.front() else {
                break;
            };
            let rest = first.len() + 1 - self.offset;
            if n >= rest {
                n -= rest;
                self.offset = 0;
                self.lines.pop_front();
            } else {
                self.offset += n;
                n = 0;
            }
        }
    }
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
            queue: Queue::default(),
            closed: false,
        })
    }

    /// Queue `line`.
    pub fn write(&mut self, line: Bytes) {
        if !self.closed {
            self.queue.push(line);
        }
    }

    /// True when lines wait to be written.
    pub fn pending(&self) -> bool {
        !self.queue.lines.is_empty()
    }

    /// True when so much waits that nothing more should be taken on.
    pub fn full(&self) -> bool {
        self.queue.queued > HIGH_WATER
    }

    /// Write out everything queued, as fast as the client reads. Cancel
    /// safe: what was written is accounted for at once.
    pub async fn flush(&mut self) {
        while self.pending() && !self.closed {
            let Ok(mut ready) = self.fd.writable_mut().await else {
                return self.close();
            };
            let mut slices = [IoSlice::new(&[]); 2 * LINES_PER_WRITE];
            let n = self.queue.slices(&mut slices);
            let written = ready.try_io(|fd| (&*fd.get_mut().file).write_vectored(&slices[..n]));
            match written {
                Ok(Ok(n)) => self.queue.advance(n),
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Ok(Err(_)) => self.close(),
                Err(_) => {}
            }
        }
    }

    fn close(&mut self) {
        tracing::warn!("stdout is closed; the client is gone");
        self.closed = true;
        self.queue = Queue::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(q: &Queue) -> Vec<u8> {
        let mut slices = [IoSlice::new(&[]); 2 * LINES_PER_WRITE];
        let n = q.slices(&mut slices);
        slices[..n].iter().flat_map(|s| s.to_vec()).collect()
    }

    #[test]
    fn partial_writes_resume_where_they_stopped() {
        let mut q = Queue::default();
        q.push(Bytes::from_static(b"abc"));
        q.push(Bytes::from_static(b"de"));
        assert_eq!(pending(&q), b"abc\nde\n");
        q.advance(2);
        assert_eq!(pending(&q), b"c\nde\n");
        q.advance(1);
        assert_eq!(
            pending(&q),
            b"\nde\n",
            "only the newline of the first is left"
        );
        q.advance(2);
        assert_eq!(pending(&q), b"e\n");
        assert_eq!(q.queued, 2);
        q.advance(2);
        assert!(q.lines.is_empty() && q.queued == 0 && q.offset == 0);
    }

    #[test]
    fn one_write_takes_a_bounded_number_of_lines() {
        let mut q = Queue::default();
        for _ in 0..LINES_PER_WRITE + 5 {
            q.push(Bytes::from_static(b"{}"));
        }
        let mut slices = [IoSlice::new(&[]); 2 * LINES_PER_WRITE];
        assert_eq!(q.slices(&mut slices), 2 * LINES_PER_WRITE);
    }
}
