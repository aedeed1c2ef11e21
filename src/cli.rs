//! The command line: clap definitions and the checks on what was given.

use crate::relay::Protocol;
use crate::transport::select::Choice;
use clap::{ArgAction, Parser};
use std::net::IpAddr;
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  mcp-bridge https://example.com/mcp
  mcp-bridge https://example.com/mcp --header 'Authorization: Bearer ${API_TOKEN}'
  mcp-bridge http://127.0.0.1:3000/mcp -vv --log-file /tmp/mcp-bridge.log

In an MCP client's configuration (Claude Desktop, Cursor, VS Code, ...):
  {\"command\": \"mcp-bridge\", \"args\": [\"https://example.com/mcp\"]}

stdout carries only JSON-RPC; logs go to stderr (or --log-file).";

/// mcp-bridge: use a remote MCP server (Streamable HTTP or HTTP+SSE) as if it
/// were a local stdio server.
#[derive(Debug, Parser)]
#[command(name = "mcp-bridge", version, about, after_help = EXAMPLES)]
pub struct Cli {
    /// The remote MCP server's URL: https, or http to a loopback host.
    #[arg(value_name = "URL")]
    pub url: String,

    /// Add an HTTP header to every request, as "Name: value" (repeatable).
    /// ${VAR} in the value is taken from the environment.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,

    /// Read headers from FILE, one "Name: value" a line, # for comments
    /// (keeps secrets out of the process list). ${VAR} is expanded.
    #[arg(long, value_name = "FILE")]
    pub header_file: Vec<PathBuf>,

    /// Which transport to use: Streamable HTTP, the older HTTP+SSE, or one
    /// first with the other as a fallback.
    #[arg(long, value_enum, value_name = "MODE", default_value = "http-first")]
    pub transport: Choice,

    /// Protocol eras: `auto` also reaches servers that speak only 2026-07-28
    /// (probing with server/discover when the client initializes); `legacy`
    /// relays the client's own handshake and never probes.
    #[arg(long, value_enum, value_name = "MODE", default_value = "auto")]
    pub protocol: Protocol,

    /// How long a message waits, retrying with backoff, while the server
    /// cannot be reached (at start or later) before it is answered with an error.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    pub retry_timeout: std::time::Duration,

    /// How long one request may wait for its answer before the client gets an
    /// error (and the server a cancellation). 0, the default, means no limit:
    /// long tool calls are normal.
    #[arg(long, value_name = "SECONDS", default_value = "0", value_parser = parse_seconds)]
    pub request_timeout: std::time::Duration,

    /// How long opening a connection to the server may take.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    pub connect_timeout: std::time::Duration,

    /// Ping the server every SECONDS (answers are not forwarded to the
    /// client), so that idle connections stay open and a dead one is noticed
    /// and reconnected. Off by default.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub ping_interval: Option<std::time::Duration>,

    /// Ping every 30 s (the same as --ping-interval 30).
    #[arg(long, conflicts_with = "ping_interval")]
    pub keep_alive: bool,

    /// Allow plain http to hosts other than loopback (tokens then travel unencrypted).
    #[arg(long)]
    pub allow_http: bool,

    /// The largest message accepted in either direction, in bytes (suffixes K, M, G).
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    pub max_message_size: usize,

    /// More logging on stderr: -v info (each message), -vv debug, -vvv trace.
    #[arg(short, long, action = ArgAction::Count)]
    pub verbose: u8,

    /// Log only errors.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Write logs to FILE (appending) instead of stderr.
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
}

/// Parse a byte size: a number with an optional K, M or G suffix (powers of 1024).
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let body = upper
        .strip_suffix("IB")
        .or(upper.strip_suffix('B'))
        .unwrap_or(&upper);
    let (num, mult) = match body.char_indices().last() {
        Some((i, 'K')) => (&body[..i], 1usize << 10),
        Some((i, 'M')) => (&body[..i], 1 << 20),
        Some((i, 'G')) => (&body[..i], 1 << 30),
        _ => (body, 1),
    };
    num.trim()
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|n| *n >= 1024)
        .ok_or_else(|| format!("{s:?} is not a size of at least 1K (e.g. 65536, 512K, 64M)"))
}

impl Cli {
    /// How often to ping, if at all.
    pub fn ping_every(&self) -> Option<std::time::Duration> {
        match (self.ping_interval, self.keep_alive) {
            (Some(d), _) if !d.is_zero() => Some(d.max(std::time::Duration::from_secs(1))),
            (None, true) => Some(std::time::Duration::from_secs(30)),
            _ => None,
        }
    }

    /// The request timeout, if any.
    pub fn request_limit(&self) -> Option<std::time::Duration> {
        (!self.request_timeout.is_zero()).then_some(self.request_timeout)
    }
}

/// Parse a number of seconds (fractions allowed), at most a day.
pub fn parse_seconds(s: &str) -> Result<std::time::Duration, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && (0.0..=86_400.0).contains(n))
        .map(std::time::Duration::from_secs_f64)
        .ok_or_else(|| format!("{s:?} is not a number of seconds between 0 and 86400"))
}

/// Check the server URL: https, or http to loopback (or anywhere with `allow_http`).
pub fn check_url(raw: &str, allow_http: bool) -> Result<url::Url, String> {
    let url = url::Url::parse(raw).map_err(|e| format!("{raw:?} is not a valid URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_http || is_loopback(&url) => {}
        "http" => {
            return Err(format!(
            "{raw} uses plain http to a host that is not loopback; use https, or pass --allow-http"
        ))
        }
        other => {
            return Err(format!(
                "{raw} has the scheme {other:?}; only https (or http to loopback) is supported"
            ))
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{raw} has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{}: credentials in the URL are not supported; use --header instead",
            redact_userinfo(&url)
        ));
    }
    Ok(url)
}

fn redact_userinfo(url: &url::Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

/// True for `localhost`, 127.0.0.0/8 and ::1.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64M").unwrap(), 64 << 20);
        assert_eq!(parse_size("512KiB").unwrap(), 512 << 10);
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert!(parse_size("12").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999G").is_err());
    }

    #[test]
    fn url_policy() {
        assert!(check_url("https://example.com/mcp", false).is_ok());
        assert!(check_url("http://127.0.0.1:3000/mcp", false).is_ok());
        assert!(check_url("http://127.8.9.1/mcp", false).is_ok());
        assert!(check_url("http://[::1]:3000/mcp", false).is_ok());
        assert!(check_url("http://localhost/mcp", false).is_ok());
        assert!(check_url("http://example.com/mcp", false).is_err());
        assert!(check_url("http://example.com/mcp", true).is_ok());
        assert!(check_url("ftp://example.com/", true).is_err());
        assert!(check_url("file:///etc/passwd", true).is_err());
        assert!(check_url("not a url", false).is_err());
        let e = check_url("https://user:hunter2@example.com/", false).unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
    }
}
