//! Newline-delimited framing of stdin and stdout, bounded.
//!
//! Where stdin and stdout are pipes or sockets (as MCP clients start the
//! bridge) they are read and written on the runtime's own thread, without
//! blocking ([`fd`]): every hand-off between threads costs a wake-up, and on
//! a small machine those wake-ups were most of the bridge's CPU per call.
//! Elsewhere (a terminal, a file, Windows) a plain thread does the blocking
//! reads or writes. Either way the relay is the only writer, so lines can
//! never interleave.

#[cfg(unix)]
mod fd;

use bytes::Bytes;
use std::collections::VecDeque;
use std::io::{Read, Write};
use tokio::sync::mpsc;

/// How many lines wait between a stdio thread and the relay.
const QUEUE: usize = 1024;
/// How much is read from stdin at once.
const READ_CHUNK: usize = 128 * 1024;

/// What the stdin side hands to the relay.
#[derive(Debug)]
pub enum Inbound {
    /// One line, without its line ending; never empty or all whitespace.
    Line(Bytes),
    /// A line longer than the bound; its bytes were discarded, not kept.
    TooLong {
        /// How many bytes the line had (at least; counting stopped at the newline).
        len: usize,
    },
    /// stdin is closed, or failed.
    Closed,
}

/// Splits a byte stream into lines, skipping (without holding) any line
/// longer than the bound.
pub struct Framer {
    max: usize,
    line: Vec<u8>,
    skipped: Option<usize>,
}

impl Framer {
    /// A framer refusing lines longer than `max` bytes.
    pub fn new(max: usize) -> Self {
        Framer {
            max,
            line: Vec::new(),
            skipped: None,
        }
    }

    /// Feed the next bytes; complete lines are appended to `out`.
    pub fn feed(&mut self, mut chunk: &[u8], out: &mut VecDeque<Inbound>) {
        while !chunk.is_empty() {
            let (part, complete) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (&chunk[..i], true),
                None => (chunk, false),
            };
            chunk = &chunk[part.len() + usize::from(complete)..];
            match self.skipped.as_mut() {
                Some(n) => *n += part.len(),
                None if self.line.len() + part.len() > self.max => {
                    self.skipped = Some(self.line.len() + part.len());
                    self.line = Vec::new();
                }
                // A whole line in one piece needs no copy into `line`.
                None if complete && self.line.is_empty() => {
                    out.extend(line(part).map(|l| Inbound::Line(Bytes::copy_from_slice(l))));
                    continue;
                }
                None => self.line.extend_from_slice(part),
            }
            if complete {
                out.extend(self.take());
            }
        }
    }

    /// The input ended: the last line, if it had no newline, then `Closed`.
    pub fn finish(&mut self, out: &mut VecDeque<Inbound>) {
        out.extend(self.take());
        out.push_back(Inbound::Closed);
    }

    fn take(&mut self) -> Option<Inbound> {
        if let Some(len) = self.skipped.take() {
            return Some(Inbound::TooLong { len });
        }
        let found = line(&self.line).map(|l| Inbound::Line(Bytes::copy_from_slice(l)));
        self.line.clear();
        found
    }
}

/// `raw` without a trailing CR; `None` when it is empty or all whitespace.
fn line(raw: &[u8]) -> Option<&[u8]> {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    (!raw.iter().all(u8::is_ascii_whitespace)).then_some(raw)
}

/// Where the client's lines come from.
pub enum Input {
    /// A channel (a stdin thread, or an in-process client).
    Lines(mpsc::Receiver<Inbound>),
    /// stdin read on the runtime's thread.
    #[cfg(unix)]
    Fd(fd::Reader),
}

impl Input {
    /// stdin, lines up to `max` bytes: read on the runtime's thread where
    /// it is a pipe or socket, else by a thread of its own. Must be called
    /// inside the runtime.
    pub fn stdin(max: usize) -> Input {
        #[cfg(unix)]
        if let Some(r) = fd::Reader::stdin(max) {
            return Input::Fd(r);
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || read_lines(std::io::stdin(), max, tx))
            .expect("spawning the stdin thread");
        Input::Lines(rx)
    }

    /// The next line (or event); `None` once nothing more can come.
    /// Cancel-safe: what was read but not yet returned is kept.
    pub async fn recv(&mut self) -> Option<Inbound> {
        match self {
            Input::Lines(rx) => rx.recv().await,
            #[cfg(unix)]
            Input::Fd(r) => r.recv().await,
        }
    }
}

/// Where lines for the client go.
pub enum Output {
    /// A channel (a stdout thread, or an in-process client).
    Lines(mpsc::Sender<Bytes>),
    /// stdout written on the runtime's thread.
    #[cfg(unix)]
    Fd(fd::Writer),
}

impl Output {
    /// stdout: written on the runtime's thread where it is a pipe or socket
    /// of its own, else by a thread whose handle comes back (join it to
    /// know every line is out). Must be called inside the runtime.
    pub fn stdout() -> (Output, Option<std::thread::JoinHandle<()>>) {
        #[cfg(unix)]
        if let Some(w) = fd::Writer::stdout() {
            return (Output::Fd(w), None);
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        let writer = std::thread::Builder::new()
            .name("stdout".into())
            .spawn(move || write_lines(std::io::stdout().lock(), rx))
            .expect("spawning the stdout thread");
        (Output::Lines(tx), Some(writer))
    }

    /// Queue one line (without its newline); a channel may make this wait
    /// for room.
    pub async fn write(&mut self, line: Bytes) {
        match self {
            // The writer only goes away when stdout is closed: then nobody reads.
            Output::Lines(tx) => {
                let _ = tx.send(line).await;
            }
            #[cfg(unix)]
            Output::Fd(w) => w.write(line),
        }
    }

    /// True when queued lines wait for [`Output::flush`].
    pub fn pending(&self) -> bool {
        match self {
            Output::Lines(_) => false,
            #[cfg(unix)]
            Output::Fd(w) => w.pending(),
        }
    }

    /// True when so much is queued for a client that does not read that no
    /// more work should be taken on.
    pub fn full(&self) -> bool {
        match self {
            Output::Lines(_) => false,
            #[cfg(unix)]
            Output::Fd(w) => w.full(),
        }
    }

    /// Write out what is queued, as fast as the client reads (cancel safe).
    pub async fn flush(&mut self) {
        #[cfg(unix)]
        if let Output::Fd(w) = self {
            w.flush().await;
        }
    }
}

/// Read lines from `input` until EOF, sending each to `tx`. A line longer than
/// `max` bytes is skipped without being held in memory.
pub fn read_lines(mut input: impl Read, max: usize, tx: mpsc::Sender<Inbound>) {
    let mut framer = Framer::new(max);
    let mut buf = vec![0u8; READ_CHUNK];
    let mut lines = VecDeque::new();
    loop {
        match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => framer.feed(&buf[..n], &mut lines),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::warn!("reading stdin failed: {e}", e = crate::text::Chain(&e));
                break;
            }
        }
        for msg in lines.drain(..) {
            if tx.blocking_send(msg).is_err() {
                return;
            }
        }
    }
    framer.finish(&mut lines);
    for msg in lines {
        let _ = tx.blocking_send(msg);
    }
}

/// Write every line from `rx` to `out`, newline-terminated, flushing when no
/// more lines are queued. Stops when all senders are gone or `out` fails.
pub fn write_lines(mut out: impl Write, mut rx: mpsc::Receiver<Bytes>) {
    while let Some(first) = rx.blocking_recv() {
        let mut next = Some(first);
        while let Some(line) = next {
            if out
                .write_all(&line)
                .and_then(|()| out.write_all(b"\n"))
                .is_err()
            {
                tracing::warn!("stdout is closed; the client is gone");
                return;
            }
            next = rx.try_recv().ok();
        }
        if out.flush().is_err() {
            tracing::warn!("stdout is closed; the client is gone");
            return;
        }
    }
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(input: &'static [u8], max: usize) -> Vec<Inbound> {
        let (tx, mut rx) = mpsc::channel(64);
        read_lines(input, max, tx);
        let mut out = Vec::new();
        while let Ok(m) = rx.try_recv() {
            out.push(m);
        }
        out
    }

    #[test]
    fn splits_lines_and_skips_blank_ones() {
        let got = read_all(b"{\"a\":1}\r\n\n  \n{\"b\":2}", 100);
        let lines: Vec<_> = got
            .iter()
            .filter_map(|m| match m {
                Inbound::Line(b) => Some(b.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            lines,
            vec![Bytes::from("{\"a\":1}"), Bytes::from("{\"b\":2}")]
        );
        assert!(matches!(got.last(), Some(Inbound::Closed)));
    }

    #[test]
    fn long_line_is_reported_and_the_next_one_survives() {
        let got = read_all(b"0123456789ABCDEF\nok\n", 8);
        assert!(matches!(got[0], Inbound::TooLong { len: 16 }));
        assert!(matches!(&got[1], Inbound::Line(b) if &b[..] == b"ok"));
    }

    #[test]
    fn any_chunking_gives_the_same_lines() {
        let text = b"{\"a\":1}\r\n0123456789ABCDEF\n\n{\"b\":22}\n{\"c\":3}";
        let frame = |chunks: &[&[u8]]| {
            let mut f = Framer::new(12);
            let mut out = VecDeque::new();
            for c in chunks {
                f.feed(c, &mut out);
            }
            f.finish(&mut out);
            format!("{out:?}")
        };
        let whole = frame(&[text]);
        assert!(whole.contains("TooLong { len: 16 }"), "{whole}");
        for split in 1..text.len() {
            let (a, b) = text.split_at(split);
            assert_eq!(frame(&[a, b]), whole, "split at {split}");
        }
        let bytes: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(frame(&bytes), whole);
    }

    #[test]
    fn writer_terminates_each_line() {
        let (tx, rx) = mpsc::channel(4);
        tx.try_send(Bytes::from("a")).unwrap();
        tx.try_send(Bytes::from("b")).unwrap();
        drop(tx);
        let mut out = Vec::new();
        write_lines(&mut out, rx);
        assert_eq!(out, b"a\nb\n");
    }
}
