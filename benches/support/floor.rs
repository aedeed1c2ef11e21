//! The floor under any stdio relay: the bench binary, started again with
//! `MCP_BRIDGE_BENCH_FLOOR=URL`, relays each stdin line as a POST on one
//! kept-alive HTTP/1.1 connection and writes the answer's body (the data of
//! an SSE answer) as a line on stdout. Blocking reads and writes, no
//! runtime, no JSON parsed, no session, no error handling: only what a
//! relay cannot avoid (reading a pipe, a socket round trip, writing a pipe,
//! and sleeping twice per call). Measured like the bridge, it shows what
//! is left of the bridge's CPU per call once that is taken away.
//! It serves the bench's own server only: lengths by Content-Length, one
//! event per SSE answer.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

/// The variable that turns the bench binary into the floor relay.
pub const VAR: &str = "MCP_BRIDGE_BENCH_FLOOR";

/// Relay stdin to `url` until stdin ends.
pub fn relay(url: &str) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let socket = TcpStream::connect(authority).expect("connect");
    socket.set_nodelay(true).unwrap();
    let mut to_server = socket.try_clone().unwrap();
    let mut from_server = BufReader::with_capacity(1 << 16, socket);
    let mut stdin = BufReader::with_capacity(1 << 16, std::io::stdin().lock());
    let mut stdout = std::io::stdout().lock();
    let (mut line, mut head, mut out) = (Vec::new(), String::new(), Vec::new());
    loop {
        line.clear();
        if stdin.read_until(b'\n', &mut line).unwrap_or(0) == 0 {
            return;
        }
        let body = line.strip_suffix(b"\n").unwrap_or(&line);
        let mut req = format!(
            "POST {path} HTTP/1.1\r\nhost: {authority}\r\n\
             accept: application/json, text/event-stream\r\ncontent-type: application/json\r\n\
             mcp-session-id: bench-session\r\nmcp-protocol-version: 2025-06-18\r\n\
             content-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        req.extend_from_slice(body);
        to_server.write_all(&req).unwrap();
        let (mut length, mut sse) = (0usize, false);
        loop {
            head.clear();
            from_server.read_line(&mut head).unwrap();
            if head == "\r\n" {
                break;
            }
            let h = head.to_ascii_lowercase();
            if let Some(v) = h.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            sse |= h.starts_with("content-type: text/event-stream");
        }
        let mut answer = vec![0; length];
        from_server.read_exact(&mut answer).unwrap();
        if length == 0 {
            continue;
        }
        let data = if sse {
            let start = answer.windows(6).position(|w| w == b"data: ").unwrap() + 6;
            answer[start..].trim_ascii_end()
        } else {
            &answer[..]
        };
        out.clear();
        out.extend_from_slice(data);
        out.push(b'\n');
        stdout.write_all(&out).unwrap();
        stdout.flush().unwrap();
    }
}
