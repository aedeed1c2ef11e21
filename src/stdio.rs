//! Newline-delimited framing of stdin and stdout.
//!
//! Each side runs on a plain thread: blocking reads and writes on a pipe are
//! cheaper there than through the async runtime's blocking pool, and stdout
//! then has exactly one owner, so lines can never interleave.

use bytes::Bytes;
use std::io::{BufRead, BufReader, Read, Write};
use tokio::sync::mpsc;

/// What the stdin reader hands to the relay.
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

/// Read lines from `input` until EOF, sending each to `tx`. A line longer than
/// `max` bytes is skipped without being held in memory.
pub fn read_lines(input: impl Read, max: usize, tx: mpsc::Sender<Inbound>) {
    let mut reader = BufReader::with_capacity(128 * 1024, input);
    let mut line: Vec<u8> = Vec::new();
    let mut skipped: Option<usize> = None;
    loop {
        let buf = match reader.fill_buf() {
            Ok([]) => break,
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::warn!("reading stdin failed: {e}");
                break;
            }
        };
        let (chunk, complete) = match memchr::memchr(b'\n', buf) {
            Some(i) => (&buf[..i], true),
            None => (buf, false),
        };
        let used = chunk.len() + usize::from(complete);
        match skipped.as_mut() {
            Some(n) => *n += chunk.len(),
            None if line.len() + chunk.len() > max => {
                skipped = Some(line.len() + chunk.len());
                line = Vec::new();
            }
            None => line.extend_from_slice(chunk),
        }
        reader.consume(used);
        if complete {
            let msg = match skipped.take() {
                Some(len) => Some(Inbound::TooLong { len }),
                None => take_line(&mut line),
            };
            if let Some(msg) = msg {
                if tx.blocking_send(msg).is_err() {
                    return;
                }
            }
        }
    }
    let last = match skipped {
        Some(len) => Some(Inbound::TooLong { len }),
        None => take_line(&mut line),
    };
    if let Some(msg) = last {
        let _ = tx.blocking_send(msg);
    }
    let _ = tx.blocking_send(Inbound::Closed);
}

fn take_line(line: &mut Vec<u8>) -> Option<Inbound> {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    if line.iter().all(u8::is_ascii_whitespace) {
        line.clear();
        return None;
    }
    Some(Inbound::Line(Bytes::from(std::mem::take(line))))
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
