//! `mcp-bridge check URL`: connect as a client would (through the same
//! relay, so sign-in, transports, eras and tool filters all apply), then
//! report what the server offers, as tables or as JSON.

use crate::connection::era::Era;
use crate::connection::Connection;
use crate::jsonrpc;
use crate::protocol::LATEST_HANDSHAKE;
use crate::relay::Relay;
use crate::stdio::{Inbound, Input, Output};
use bytes::Bytes;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// At most this many pages of one list are read.
const PAGES: usize = 100;
/// Widest a table column grows before its text is cut.
const COLUMN: usize = 40;
/// Widest a description shown in a table.
const DESCRIPTION: usize = 80;

/// What the check found.
struct Found {
    init: Value,
    protocol: String,
    era: &'static str,
    /// What `--protocol auto` found, and whether an earlier start had found it.
    detected: Option<(Era, bool)>,
    transport: &'static str,
    lists: Vec<(&'static str, Option<Vec<Value>>)>,
}

/// The client side of the in-process relay.
struct Client {
    to_relay: mpsc::Sender<Inbound>,
    from_relay: mpsc::Receiver<Bytes>,
    next: u64,
    /// How long a request after `initialize` may wait for its answer.
    limit: Duration,
}

impl Client {
    /// Send a request and wait for its answer (`limit` when given),
    /// answering whatever the server asks meanwhile.
    async fn request(
        &mut self,
        method: &str,
        params: Value,
        limit: Option<Duration>,
    ) -> Result<Value, String> {
        self.next += 1;
        let id = format!("check-{}", self.next);
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .await?;
        let wait = async {
            loop {
                let line = self
                    .from_relay
                    .recv()
                    .await
                    .ok_or("the relay stopped before answering")?;
                let Ok(v) = serde_json::from_slice::<Value>(&line) else {
                    continue;
                };
                if v.get("id") == Some(&json!(id)) && v.get("method").is_none() {
                    return match (v.get("result"), v.get("error")) {
                        (Some(r), _) => Ok(r.clone()),
                        (None, Some(e)) => Err(e["message"]
                            .as_str()
                            .map(|m| crate::text::clean(m, 2000))
                            .unwrap_or_else(|| e.to_string())),
                        (None, None) => Err(format!("{method}: an answer with no result")),
                    };
                }
                self.answer_server(&v).await?;
            }
        };
        match limit {
            None => wait.await,
            Some(l) => tokio::time::timeout(l, wait).await.map_err(|_| {
                format!(
                    "{method}: no answer within {} s (--timeout)",
                    l.as_secs_f64()
                )
            })?,
        }
    }

    /// A server's own request gets a ping answer or "not supported": a
    /// check declares no client capabilities.
    async fn answer_server(&self, v: &Value) -> Result<(), String> {
        let (Some(id), Some(method)) = (v.get("id"), v.get("method").and_then(Value::as_str))
        else {
            return Ok(());
        };
        let answer = if method == "ping" {
            json!({"jsonrpc": "2.0", "id": id, "result": {}})
        } else {
            json!({"jsonrpc": "2.0", "id": id, "error": {"code": jsonrpc::METHOD_NOT_FOUND, "message": "mcp-bridge check does not support this"}})
        };
        self.send(answer).await
    }

    async fn send(&self, v: Value) -> Result<(), String> {
        let line = Bytes::from(serde_json::to_vec(&v).map_err(|e| e.to_string())?);
        self.to_relay
            .send(Inbound::Line(line))
            .await
            .map_err(|_| "the relay stopped".to_owned())
    }

    /// Every page of `method`'s `field`.
    async fn list_all(&mut self, method: &str, field: &str) -> Result<Vec<Value>, String> {
        let mut items = Vec::new();
        let mut cursor: Option<Value> = None;
        for _ in 0..PAGES {
            let params = match &cursor {
                Some(c) => json!({"cursor": c}),
                None => json!({}),
            };
            let page = self.request(method, params, Some(self.limit)).await?;
            if let Some(a) = page.get(field).and_then(Value::as_array) {
                items.extend(a.iter().cloned());
            }
            match page.get("nextCursor") {
                Some(c) if !c.is_null() && Some(c) != cursor.as_ref() => cursor = Some(c.clone()),
                _ => return Ok(items),
            }
        }
        tracing::warn!("{method}: stopped after {PAGES} pages");
        Ok(items)
    }
}

/// `mcp-bridge check URL`.
pub fn command(
    raw: &str,
    port: Option<u16>,
    opts: &crate::cli::Options,
    json: bool,
    limit: Duration,
) -> std::process::ExitCode {
    let c = match super::connect(raw, port, opts, false) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let outcome = through_relay(c, opts, |relay, out| run(relay, out, limit, json));
    super::report(outcome.map_err(Into::into))
}

/// Run `f` with a relay to the connected server (its lines for the client
/// coming on the receiver), on the connection's runtime.
pub(super) fn through_relay<T, Fut>(
    c: super::Connected,
    opts: &crate::cli::Options,
    f: impl FnOnce(Relay, mpsc::Receiver<Bytes>) -> Fut,
) -> T
where
    Fut: std::future::Future<Output = T>,
{
    let outcome = c.runtime.block_on(async move {
        let (out_tx, out_rx) = mpsc::channel(64);
        let relay = super::run::relay_for(
            c.http,
            c.prepared.url,
            c.prepared.headers,
            opts,
            Output::Lines(out_tx),
        );
        f(relay, out_rx).await
    });
    c.runtime.shutdown_timeout(Duration::from_millis(100));
    outcome
}

/// A client on a relay of its own, which ends when the client is done.
fn start(
    relay: Relay,
    from_relay: mpsc::Receiver<Bytes>,
    limit: Duration,
) -> (Client, tokio::task::JoinHandle<()>) {
    let (to_relay, inbound) = mpsc::channel(64);
    // The relay ends when the client side closes, as with stdin.
    let running = tokio::spawn(relay.run(Input::Lines(inbound), std::future::pending()));
    let client = Client {
        to_relay,
        from_relay,
        next: 0,
        limit,
    };
    (client, running)
}

/// Closing the client's side ends the session (DELETE) as a client leaving
/// would; the relay gets a moment for it. Errors lose the bridge's prefix.
async fn finish<T>(
    client: Client,
    running: tokio::task::JoinHandle<()>,
    outcome: Result<T, String>,
) -> Result<T, String> {
    drop(client);
    let _ = tokio::time::timeout(Duration::from_secs(3), running).await;
    outcome.map_err(|e| {
        e.strip_prefix("mcp-bridge: ")
            .map(str::to_owned)
            .unwrap_or(e)
    })
}

/// Run the check; the report on success, the reason otherwise.
pub(super) async fn run(
    relay: Relay,
    from_relay: mpsc::Receiver<Bytes>,
    limit: Duration,
    as_json: bool,
) -> Result<String, String> {
    let conn = Arc::clone(relay.connection());
    let (mut client, running) = start(relay, from_relay, limit);
    let outcome = inspect(&mut client, &conn).await;
    let found = finish(client, running, outcome).await?;
    Ok(if as_json {
        report_json(conn.url(), &found)
    } else {
        report_text(conn.url(), &found)
    })
}

/// The server's tools, every page, through `relay`, by a client that says
/// nothing but `initialize` and `tools/list` (`mcp-bridge tools`).
pub(super) async fn tools_through(
    relay: Relay,
    from_relay: mpsc::Receiver<Bytes>,
    limit: Duration,
) -> Result<Vec<Value>, String> {
    let (mut client, running) = start(relay, from_relay, limit);
    let outcome = match handshake(&mut client).await {
        Ok(_) => client.list_all("tools/list", "tools").await,
        Err(e) => Err(e),
    };
    finish(client, running, outcome).await
}

/// `initialize` and `notifications/initialized`: the server's answer.
async fn handshake(client: &mut Client) -> Result<Value, String> {
    let version = LATEST_HANDSHAKE;
    let init = client
        .request(
            "initialize",
            json!({
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": "mcp-bridge check", "version": env!("CARGO_PKG_VERSION")}
            }),
            None,
        )
        .await?;
    client
        .send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await?;
    Ok(init)
}

async fn inspect(client: &mut Client, conn: &Connection) -> Result<Found, String> {
    let init = handshake(client).await?;
    let (modern_version, era, transport, detected) = match conn.describe() {
        Some(d) => (d.modern, d.era, d.transport, d.detected),
        None => (None, "unknown", "undecided", None),
    };
    let protocol = modern_version.unwrap_or_else(|| {
        init["protocolVersion"]
            .as_str()
            .unwrap_or("unknown")
            .to_owned()
    });
    let mut lists = Vec::new();
    for (area, method, field) in [
        ("tools", "tools/list", "tools"),
        ("resources", "resources/list", "resources"),
        ("prompts", "prompts/list", "prompts"),
    ] {
        let offered = init["capabilities"].get(area).is_some();
        let items = if offered {
            Some(client.list_all(method, field).await?)
        } else {
            None
        };
        lists.push((area, items));
    }
    Ok(Found {
        init,
        protocol,
        era,
        transport,
        detected,
        lists,
    })
}

fn report_json(url: &str, f: &Found) -> String {
    let mut out = json!({
        "url": url,
        "server": f.init.get("serverInfo").cloned().unwrap_or(Value::Null),
        "protocolVersion": f.protocol,
        "era": f.era,
        "transport": f.transport,
        "detected": f.detected.map(|(era, remembered)| json!({
            "era": era.name(),
            "remembered": remembered,
        })),
        "capabilities": f.init.get("capabilities").cloned().unwrap_or(Value::Null),
    });
    if let Some(i) = f.init.get("instructions") {
        out["instructions"] = i.clone();
    }
    for (area, items) in &f.lists {
        out[*area] = match items {
            Some(v) => Value::Array(v.clone()),
            None => Value::Null,
        };
    }
    serde_json::to_string_pretty(&out).unwrap_or_default()
}

/// Server text made safe for a terminal: no control characters (escape
/// sequences included), one line, at most `max` characters.
fn shown(v: &Value, max: usize) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let line = s.lines().next().unwrap_or("").trim();
    let cleaned = crate::text::clean(line, max + 1);
    if cleaned.chars().count() > max {
        let cut: String = cleaned.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        cleaned
    }
}

fn report_text(url: &str, f: &Found) -> String {
    let info = &f.init["serverInfo"];
    let mut out = String::new();
    let row = |out: &mut String, k: &str, v: String| out.push_str(&format!("{k:<10} {v}\n"));
    row(
        &mut out,
        "Server",
        format!(
            "{} {}",
            shown(&info["name"], COLUMN),
            shown(&info["version"], COLUMN)
        )
        .trim()
        .to_owned(),
    );
    row(&mut out, "URL", url.to_owned());
    row(&mut out, "Protocol", format!("{} ({})", f.protocol, f.era));
    row(&mut out, "Transport", f.transport.to_owned());
    if let Some((era, remembered)) = f.detected {
        let how = if remembered {
            "remembered from an earlier start, no probe"
        } else {
            "probed now, remembered for the next start"
        };
        row(&mut out, "Detected", format!("{} ({how})", era.name()));
    }
    for (area, items) in &f.lists {
        let title = format!("{}{}", area[..1].to_uppercase(), &area[1..]);
        let Some(items) = items else {
            out.push_str(&format!("\n{title}: not offered\n"));
            continue;
        };
        out.push_str(&format!("\n{title} ({})\n", items.len()));
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|i| match *area {
                "resources" => vec![
                    shown(&i["name"], COLUMN),
                    shown(&i["uri"], COLUMN * 2),
                    shown(&i["mimeType"], COLUMN),
                ],
                "prompts" => vec![
                    shown(&i["name"], COLUMN),
                    i["arguments"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .map(|x| {
                                    let n = shown(&x["name"], COLUMN);
                                    if x["required"] == true {
                                        n
                                    } else {
                                        format!("[{n}]")
                                    }
                                })
                                .collect::<Vec<_>>()
                                .join(" ")
                        })
                        .unwrap_or_default(),
                    shown(&i["description"], DESCRIPTION),
                ],
                _ => vec![
                    shown(&i["name"], COLUMN),
                    shown(&i["description"], DESCRIPTION),
                ],
            })
            .collect();
        let header: &[&str] = match *area {
            "resources" => &["NAME", "URI", "TYPE"],
            "prompts" => &["NAME", "ARGUMENTS", "DESCRIPTION"],
            _ => &["NAME", "DESCRIPTION"],
        };
        out.push_str(&crate::text::table("  ", " ", header, &rows));
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_cannot_drive_the_terminal() {
        let evil = json!("ok\u{1b}[31mred\u{7}\nsecond line");
        assert_eq!(shown(&evil, 80), "ok[31mred");
        assert_eq!(shown(&json!("abcdef"), 4), "abc…");
    }
}
