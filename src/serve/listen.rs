//! `subscriptions/listen` (2026-07-28, `basic/patterns/subscriptions.mdx`):
//! a 2026-07-28 client opens a long-lived stream of the notifications it
//! names (tools, prompts or resources list changed, and updates of chosen
//! resources), where a handshake-era client had the GET stream and
//! `resources/subscribe`.
//!
//! The children speak the handshake era, so what they say on their own
//! reaches [`Listeners::notify`], which hands each notification to every
//! open stream that asked for its kind, tagged with that stream's
//! `subscriptionId`. Resource updates need a `resources/subscribe` on the
//! child: a URI is subscribed while at least one stream asks for it
//! (`serve/modern.rs` sends the requests this table says to send).
//!
//! Bounded: at most [`MAX_LISTENERS`] streams and [`MAX_URIS`] URIs a
//! stream; a stream whose reader is too slow loses notifications past its
//! queue, never blocks the child (a list changed twice is still changed).

use crate::jsonrpc;
use crate::sync::Locked;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::mpsc;

/// Streams open at once, at most; past it, 503.
pub const MAX_LISTENERS: usize = 1024;
/// Resource URIs one stream may name, at most.
pub const MAX_URIS: usize = 256;
/// Notifications waiting for one stream's reader.
const QUEUE: usize = 64;
/// Where a listen stream's notifications carry its id.
const SUBSCRIPTION_KEY: &str = "io.modelcontextprotocol/subscriptionId";

/// What a stream asks for (or what the server agreed to).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wants {
    tools: bool,
    prompts: bool,
    resources: bool,
    uris: Vec<String>,
}

/// Why a `subscriptions/listen` request is refused (-32602).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadListen {
    /// `params.notifications` is not the filter the revision defines.
    #[error("params.notifications must be an object of booleans and resourceSubscriptions, a list of URIs")]
    Shape,
    /// It names too many resources.
    #[error("resourceSubscriptions names more than {MAX_URIS} resources")]
    TooMany,
}

impl Wants {
    /// The filter of `subscriptions/listen` request `raw`.
    pub fn asked(raw: &[u8]) -> Result<Wants, BadListen> {
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct Filter {
            tools_list_changed: bool,
            prompts_list_changed: bool,
            resources_list_changed: bool,
            resource_subscriptions: Vec<String>,
        }
        #[derive(Deserialize)]
        struct Params {
            #[serde(default)]
            notifications: Filter,
        }
        #[derive(Deserialize)]
        struct Request {
            params: Option<Params>,
        }
        let r: Request = serde_json::from_slice(raw).map_err(|_| BadListen::Shape)?;
        let f = r.params.map(|p| p.notifications).unwrap_or_default();
        if f.resource_subscriptions.len() > MAX_URIS {
            return Err(BadListen::TooMany);
        }
        let mut uris = f.resource_subscriptions;
        uris.sort();
        uris.dedup();
        Ok(Wants {
            tools: f.tools_list_changed,
            prompts: f.prompts_list_changed,
            resources: f.resources_list_changed,
            uris,
        })
    }

    /// What of it the server can honour, by the `capabilities` it gave in
    /// `initialize` (the `result`): `listChanged` for each list,
    /// `resources.subscribe` for updates.
    pub fn agreed(&self, init: &RawValue) -> Wants {
        let init: Value = serde_json::from_str(init.get()).unwrap_or_default();
        let caps = &init["capabilities"];
        let has = |kind: &str, what: &str| caps[kind][what].as_bool() == Some(true);
        Wants {
            tools: self.tools && has("tools", "listChanged"),
            prompts: self.prompts && has("prompts", "listChanged"),
            resources: self.resources && has("resources", "listChanged"),
            uris: if has("resources", "subscribe") {
                self.uris.clone()
            } else {
                Vec::new()
            },
        }
    }

    /// The same, without the URIs in `refused`.
    pub fn without(mut self, refused: &[String]) -> Wants {
        self.uris.retain(|u| !refused.contains(u));
        self
    }

    /// The acknowledgement, the first message on the stream of request
    /// `id` (raw JSON).
    pub fn ack(&self, id: &str) -> Bytes {
        let mut n = serde_json::Map::new();
        for (on, key) in [
            (self.tools, "toolsListChanged"),
            (self.prompts, "promptsListChanged"),
            (self.resources, "resourcesListChanged"),
        ] {
            if on {
                n.insert(key.into(), Value::Bool(true));
            }
        }
        if !self.uris.is_empty() {
            n.insert("resourceSubscriptions".into(), self.uris.clone().into());
        }
        Bytes::from(format!(
            r#"{{"jsonrpc":"2.0","method":"notifications/subscriptions/acknowledged","params":{{"_meta":{{"{SUBSCRIPTION_KEY}":{id}}},"notifications":{}}}}}"#,
            Value::Object(n)
        ))
    }

    /// Whether notification `method` (with `uri` for an update) is asked for.
    fn takes(&self, method: &str, uri: Option<&str>) -> bool {
        match method {
            "notifications/tools/list_changed" => self.tools,
            "notifications/prompts/list_changed" => self.prompts,
            "notifications/resources/list_changed" => self.resources,
            "notifications/resources/updated" => {
                uri.is_some_and(|u| self.uris.iter().any(|w| w == u))
            }
            _ => false,
        }
    }
}

struct Listener {
    /// The `subscriptions/listen` request's id, as raw JSON.
    id: String,
    wants: Wants,
    tx: mpsc::Sender<Bytes>,
}

#[derive(Default)]
struct Table {
    next: u64,
    open: HashMap<u64, Listener>,
    /// How many open streams ask for each URI.
    uris: HashMap<String, usize>,
}

/// The open listen streams.
#[derive(Default)]
pub struct Listeners(Mutex<Table>);

/// A stream just opened.
pub struct Opened {
    /// Its key, to close it by.
    pub key: u64,
    /// Its notifications; `None` once it is ended from this side.
    pub rx: mpsc::Receiver<Bytes>,
    /// URIs no stream asked for before, which the child is to be
    /// subscribed to.
    pub subscribe: Vec<String>,
}

impl Listeners {
    /// Open a stream for request `id` (raw JSON) that takes `wants`; `None`
    /// when [`MAX_LISTENERS`] are open.
    pub fn open(&self, id: String, wants: Wants) -> Option<Opened> {
        let mut t = self.0.locked();
        if t.open.len() >= MAX_LISTENERS {
            return None;
        }
        let mut subscribe = Vec::new();
        for u in &wants.uris {
            let n = t.uris.entry(u.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                subscribe.push(u.clone());
            }
        }
        t.next += 1;
        let key = t.next;
        let (tx, rx) = mpsc::channel(QUEUE);
        t.open.insert(key, Listener { id, wants, tx });
        Some(Opened { key, rx, subscribe })
    }

    /// Close stream `key`; the URIs no stream asks for any more, which the
    /// child is to be unsubscribed from.
    pub fn close(&self, key: u64) -> Vec<String> {
        let mut t = self.0.locked();
        let Some(l) = t.open.remove(&key) else {
            return Vec::new();
        };
        let mut unsubscribe = Vec::new();
        for u in l.wants.uris {
            if let Some(n) = t.uris.get_mut(&u) {
                *n -= 1;
                if *n == 0 {
                    t.uris.remove(&u);
                    unsubscribe.push(u);
                }
            }
        }
        unsubscribe
    }

    /// A notification a child sent on its own, to every stream that asked
    /// for it.
    pub fn notify(&self, method: &str, line: &Bytes) {
        let uri = jsonrpc::params_str(line, "uri");
        let t = self.0.locked();
        for l in t.open.values() {
            if l.wants.takes(method, uri.as_deref()) {
                if let Some(tagged) = tagged(line, &l.id) {
                    let _ = l.tx.try_send(tagged);
                }
            }
        }
    }

    /// End every stream: with the `subscriptions/listen` result when
    /// `gracefully` (the server is shutting down), else abruptly (the
    /// child that held the subscriptions ended: the clients listen again).
    pub fn end_all(&self, gracefully: bool) {
        let mut t = self.0.locked();
        for (_, l) in t.open.drain() {
            if gracefully {
                let id = &l.id;
                let done = format!(
                    r#"{{"jsonrpc":"2.0","id":{id},"result":{{"resultType":"complete","_meta":{{"{SUBSCRIPTION_KEY}":{id}}}}}}}"#
                );
                let _ = l.tx.try_send(Bytes::from(done));
            }
        }
        t.uris.clear();
    }
}

/// Notification `line` with `params._meta` naming subscription `id`.
fn tagged(line: &[u8], id: &str) -> Option<Bytes> {
    let mut v: Value = serde_json::from_slice(line).ok()?;
    let id: Value = serde_json::from_str(id).ok()?;
    let params = v
        .as_object_mut()?
        .entry("params")
        .or_insert_with(|| Value::Object(Default::default()));
    let meta = params
        .as_object_mut()?
        .entry("_meta")
        .or_insert_with(|| Value::Object(Default::default()));
    meta.as_object_mut()?.insert(SUBSCRIPTION_KEY.into(), id);
    serde_json::to_vec(&v).ok().map(Bytes::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listen(filter: &str) -> Vec<u8> {
        format!(r#"{{"jsonrpc":"2.0","id":7,"method":"subscriptions/listen","params":{{"notifications":{filter}}}}}"#).into_bytes()
    }

    #[test]
    fn what_is_asked_meets_what_the_server_can() {
        let asked = Wants::asked(&listen(
            r#"{"toolsListChanged":true,"promptsListChanged":true,"resourceSubscriptions":["b://x","a://y","a://y"]}"#,
        ))
        .unwrap();
        assert_eq!(asked.uris, ["a://y", "b://x"]);
        let init = RawValue::from_string(
            r#"{"capabilities":{"tools":{"listChanged":true},"prompts":{},"resources":{"subscribe":true}}}"#.into(),
        )
        .unwrap();
        let agreed = asked.agreed(&init).without(&["b://x".into()]);
        assert_eq!(
            std::str::from_utf8(&agreed.ack("7")).unwrap(),
            r#"{"jsonrpc":"2.0","method":"notifications/subscriptions/acknowledged","params":{"_meta":{"io.modelcontextprotocol/subscriptionId":7},"notifications":{"resourceSubscriptions":["a://y"],"toolsListChanged":true}}}"#
        );
        assert_eq!(
            Wants::asked(&listen(r#"{"toolsListChanged":"yes"}"#)),
            Err(BadListen::Shape)
        );
        let many: Vec<String> = (0..=MAX_URIS).map(|i| format!("\"u:{i}\"")).collect();
        let filter = format!(r#"{{"resourceSubscriptions":[{}]}}"#, many.join(","));
        assert_eq!(Wants::asked(&listen(&filter)), Err(BadListen::TooMany));
    }

    #[tokio::test]
    async fn each_stream_gets_what_it_asked_for_tagged_with_its_id() {
        let l = Listeners::default();
        let tools = Wants {
            tools: true,
            ..Wants::default()
        };
        let doc = Wants {
            uris: vec!["file:///a".into()],
            ..Wants::default()
        };
        let mut a = l.open("\"a\"".into(), tools).unwrap();
        let mut b = l.open("2".into(), doc.clone()).unwrap();
        let c = l.open("3".into(), doc).unwrap();
        assert_eq!(b.subscribe, ["file:///a"]);
        assert!(c.subscribe.is_empty(), "subscribed once");
        let changed =
            Bytes::from_static(br#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#);
        l.notify("notifications/tools/list_changed", &changed);
        let updated = Bytes::from_static(
            br#"{"jsonrpc":"2.0","method":"notifications/resources/updated","params":{"uri":"file:///a"}}"#,
        );
        l.notify("notifications/resources/updated", &updated);
        let got = a.rx.recv().await.unwrap();
        assert_eq!(
            &got[..],
            br#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed","params":{"_meta":{"io.modelcontextprotocol/subscriptionId":"a"}}}"#
        );
        let got: Value = serde_json::from_slice(&b.rx.recv().await.unwrap()).unwrap();
        assert_eq!(got["params"]["_meta"][SUBSCRIPTION_KEY], 2);
        assert_eq!(got["params"]["uri"], "file:///a");
        assert!(
            a.rx.try_recv().is_err(),
            "no update for a stream that did not ask"
        );
        assert!(l.close(b.key).is_empty(), "another stream still asks");
        assert_eq!(l.close(c.key), ["file:///a"]);
        l.end_all(true);
        let done: Value = serde_json::from_slice(&a.rx.recv().await.unwrap()).unwrap();
        assert_eq!(done["id"], "a");
        assert_eq!(done["result"]["resultType"], "complete");
        assert!(
            a.rx.recv().await.is_none(),
            "the stream ends after its result"
        );
    }
}
