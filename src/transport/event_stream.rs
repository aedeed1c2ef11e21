//! A server-sent events parser (WHATWG "event stream interpretation") that is
//! linear in its input and bounded in memory.
//!
//! Written here rather than taken from `eventsource-stream` because that crate
//! re-scans its whole buffer on every chunk (quadratic on a multi-megabyte
//! event, which MCP tool results can be) and has no size limit, so a hostile
//! server could exhaust memory with one endless line.

use crate::http::error::{root_cause, UpstreamError};
use std::collections::VecDeque;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Event {
    /// The `event:` field; `None` means the default type, `message`.
    pub event: Option<String>,
    /// The joined `data:` lines; `None` when the event had no data field.
    pub data: Option<Vec<u8>>,
    /// The `id:` field when this event carried one.
    pub id: Option<String>,
    /// The `retry:` field, in milliseconds, when this event carried one.
    pub retry: Option<u64>,
}

impl Event {
    /// True when the event carries a JSON-RPC message: a `message` event
    /// (the default type) whose data is not just whitespace. A priming event
    /// (an id with empty data) is not one.
    pub fn has_message(&self) -> bool {
        self.kind() == "message"
            && self
                .data
                .as_deref()
                .is_some_and(|d| d.iter().any(|b| !b.is_ascii_whitespace()))
    }

    /// The event's type, `message` by default.
    pub fn kind(&self) -> &str {
        self.event.as_deref().unwrap_or("message")
    }
}

/// An event (or a line) grew past the bound.
#[derive(Debug, thiserror::Error)]
#[error("an event from the server is larger than {limit} bytes")]
pub struct TooLarge {
    /// The bound that was passed.
    pub limit: usize,
}

/// Incremental parser: feed it chunks as they arrive, take the events out.
#[derive(Debug)]
pub struct Parser {
    limit: usize,
    line: Vec<u8>,
    data: Vec<u8>,
    has_data: bool,
    event: Option<String>,
    id: Option<String>,
    retry: Option<u64>,
    has_fields: bool,
    after_cr: bool,
    started: bool,
}

impl Parser {
    /// A parser that refuses events larger than `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Parser {
            limit,
            line: Vec::new(),
            data: Vec::new(),
            has_data: false,
            event: None,
            id: None,
            retry: None,
            has_fields: false,
            after_cr: false,
            started: false,
        }
    }

    /// Feed one chunk; complete events are appended to `out`.
    pub fn feed(&mut self, mut chunk: &[u8], out: &mut Vec<Event>) -> Result<(), TooLarge> {
        if !self.started && !chunk.is_empty() {
            self.started = true;
            if let Some(rest) = chunk.strip_prefix("\u{feff}".as_bytes()) {
                chunk = rest;
            }
        }
        if self.after_cr {
            self.after_cr = false;
            if let Some(rest) = chunk.strip_prefix(b"\n") {
                chunk = rest;
            }
        }
        while !chunk.is_empty() {
            match memchr::memchr2(b'\n', b'\r', chunk) {
                Some(pos) => {
                    let (head, tail) = chunk.split_at(pos);
                    let skip = if tail[0] == b'\r' {
                        match tail.get(1) {
                            Some(b'\n') => 2,
                            Some(_) => 1,
                            None => {
                                self.after_cr = true;
                                1
                            }
                        }
                    } else {
                        1
                    };
                    if self.line.is_empty() {
                        self.check(head.len())?;
                        self.process_line(head, out);
                    } else {
                        self.check(self.line.len() + head.len())?;
                        let mut line = std::mem::take(&mut self.line);
                        line.extend_from_slice(head);
                        self.process_line(&line, out);
                        line.clear();
                        self.line = line;
                    }
                    chunk = &tail[skip..];
                }
                None => {
                    self.check(self.line.len() + chunk.len())?;
                    self.line.extend_from_slice(chunk);
                    chunk = &[];
                }
            }
        }
        Ok(())
    }

    fn check(&self, line_len: usize) -> Result<(), TooLarge> {
        if self.data.len() + line_len > self.limit {
            Err(TooLarge { limit: self.limit })
        } else {
            Ok(())
        }
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<Event>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &[][..]),
        };
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
                self.has_fields = true;
            }
            b"event" => {
                self.event = Some(String::from_utf8_lossy(value).into_owned());
                self.has_fields = true;
            }
            b"id" if !value.contains(&0) => {
                self.id = Some(String::from_utf8_lossy(value).into_owned());
                self.has_fields = true;
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                self.retry = std::str::from_utf8(value).ok().and_then(|s| s.parse().ok());
                self.has_fields = true;
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<Event>) {
        if !self.has_fields {
            return;
        }
        let data = self.has_data.then(|| std::mem::take(&mut self.data));
        out.push(Event {
            event: self.event.take(),
            data,
            id: self.id.take(),
            retry: self.retry.take(),
        });
        self.has_data = false;
        self.has_fields = false;
    }
}

/// Events read one at a time from a `text/event-stream` response, none
/// larger than the bound.
pub struct EventReader {
    resp: reqwest::Response,
    parser: Parser,
    queue: VecDeque<Event>,
    url: String,
}

impl EventReader {
    /// Read events from `resp` (from the server at `url`), none larger than `limit` bytes.
    pub fn new(resp: reqwest::Response, url: &str, limit: usize) -> Self {
        EventReader {
            resp,
            parser: Parser::new(limit),
            queue: VecDeque::new(),
            url: url.to_owned(),
        }
    }

    /// The next event; `Ok(None)` when the server closed the stream cleanly.
    pub async fn next(&mut self) -> Result<Option<Event>, UpstreamError> {
        let mut batch = Vec::new();
        loop {
            if let Some(ev) = self.queue.pop_front() {
                return Ok(Some(ev));
            }
            let chunk = match self.resp.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => return Ok(None),
                Err(e) => return Err(UpstreamError::lost(&self.url, root_cause(&e))),
            };
            self.parser
                .feed(&chunk, &mut batch)
                .map_err(|e| UpstreamError::too_large(&self.url, e.limit))?;
            self.queue.extend(batch.drain(..));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(chunks: &[&[u8]]) -> Vec<Event> {
        let mut p = Parser::new(1 << 20);
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c, &mut out).unwrap();
        }
        out
    }

    #[test]
    fn parses_fields_and_multiline_data() {
        let ev = parse_all(&[b"event: message\nid: 7\nretry: 1500\ndata: {\"a\":\ndata: 1}\n\n"]);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].event.as_deref(), Some("message"));
        assert_eq!(ev[0].id.as_deref(), Some("7"));
        assert_eq!(ev[0].retry, Some(1500));
        assert_eq!(ev[0].data.as_deref(), Some(&b"{\"a\":\n1}"[..]));
    }

    #[test]
    fn any_line_ending_and_any_chunking_give_the_same_events() {
        let text = b": comment\r\ndata: one\r\n\r\nid: 2\rdata:two\r\rdata: three\n\n";
        let whole = parse_all(&[text]);
        assert_eq!(whole.len(), 3);
        assert_eq!(whole[1].data.as_deref(), Some(&b"two"[..]));
        for split in 1..text.len() {
            let (a, b) = text.split_at(split);
            assert_eq!(parse_all(&[a, b]), whole, "split at {split}");
        }
        let bytes: Vec<&[u8]> = text.chunks(1).collect();
        assert_eq!(parse_all(&bytes), whole);
    }

    #[test]
    fn priming_event_has_no_message() {
        let ev = parse_all(&[b"id: abc\ndata:\n\n", b"id: d\n\n"]);
        assert_eq!(ev.len(), 2);
        assert!(!ev[0].has_message());
        assert_eq!(ev[0].id.as_deref(), Some("abc"));
        assert!(ev[1].data.is_none());
        assert!(!ev[1].has_message());
        let other = parse_all(&[b"event: endpoint\ndata: /x\n\n"]);
        assert!(
            !other[0].has_message(),
            "only message events carry JSON-RPC"
        );
    }

    #[test]
    fn refuses_events_over_the_limit() {
        let mut p = Parser::new(16);
        let mut out = Vec::new();
        assert!(p.feed(b"data: 0123456789", &mut out).is_ok());
        assert!(p.feed(b"0123456789", &mut out).is_err());
        let mut p = Parser::new(16);
        assert!(p
            .feed(b"data: 01234567\ndata: 01234567\n", &mut out)
            .is_err());
    }

    #[test]
    fn large_event_in_small_chunks_is_intact() {
        let payload = vec![b'x'; 3 << 20];
        let mut text = b"data: ".to_vec();
        text.extend_from_slice(&payload);
        text.extend_from_slice(b"\n\n");
        let mut p = Parser::new(4 << 20);
        let mut out = Vec::new();
        for c in text.chunks(8192) {
            p.feed(c, &mut out).unwrap();
        }
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data.as_deref().unwrap(), &payload[..]);
    }
}
