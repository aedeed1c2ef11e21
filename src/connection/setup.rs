//! What the client set up in its handshake-era session (its `initialize`,
//! resource subscriptions and log level), to set up again, in order, in a
//! new session the client never hears of.

use crate::jsonrpc::{self, Message, Method};
use crate::protocol;
use serde_json::value::RawValue;
use std::collections::BTreeSet;

/// The client's setup.
#[derive(Default)]
pub struct Setup {
    /// The client's `initialize`, replayed (with the bridge's own id).
    initialize: Option<Message>,
    /// The first answer's `serverInfo` and `capabilities`, to notice a change.
    server: Option<(String, String)>,
    subscriptions: BTreeSet<String>,
    log_level: Option<Box<RawValue>>,
}

impl Setup {
    /// The client sent `initialize`: a new session begins, set up afresh.
    pub fn initialize_sent(&mut self, m: &Message) {
        *self = Setup {
            initialize: Some(m.clone()),
            ..Setup::default()
        };
    }

    /// True once the client has sent `initialize`.
    pub fn initialized(&self) -> bool {
        self.initialize.is_some()
    }

    /// The server answered the client's `initialize` with `answer`.
    pub fn initialize_answered(&mut self, answer: &Message) {
        if !answer.is_error() && self.server.is_none() {
            self.server = Some(protocol::server_identity(&answer.raw));
        }
    }

    /// The first session's server, to compare a new one with.
    pub fn first_server(&self) -> Option<&(String, String)> {
        self.server.as_ref()
    }

    /// Note a request that sets something up in the session.
    pub fn request_sent(&mut self, m: &Message) {
        match m.method() {
            Some(method @ (Method::ResourcesSubscribe | Method::ResourcesUnsubscribe)) => {
                if let Some(uri) = jsonrpc::params_str(&m.raw, "uri") {
                    if *method == Method::ResourcesSubscribe {
                        self.subscriptions.insert(uri);
                    } else {
                        self.subscriptions.remove(&uri);
                    }
                }
            }
            Some(Method::SetLogLevel) => self.log_level = jsonrpc::params_raw(&m.raw, "level"),
            _ => {}
        }
    }

    /// The messages that set the client's session up again, in order, on
    /// the bridge's own ids: `initialize`, `notifications/initialized`, each
    /// `resources/subscribe`, `logging/setLevel`. Empty before the client
    /// has initialized.
    pub fn replay(&self) -> Vec<Message> {
        let Some(init) = &self.initialize else {
            return Vec::new();
        };
        let mut out: Vec<Message> = protocol::own_request(&init.raw, "renew")
            .into_iter()
            .collect();
        out.push(protocol::initialized());
        for uri in &self.subscriptions {
            out.push(protocol::own(
                Method::ResourcesSubscribe,
                serde_json::json!({ "uri": uri }),
                "renew",
            ));
        }
        if let Some(level) = &self.log_level {
            let level: serde_json::Value = serde_json::from_str(level.get()).unwrap_or_default();
            out.push(protocol::own(
                Method::SetLogLevel,
                serde_json::json!({ "level": level }),
                "renew",
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn msg(s: &'static str) -> Message {
        jsonrpc::classify(Bytes::from_static(s.as_bytes())).unwrap()
    }

    #[test]
    fn replay_is_the_clients_setup_on_bridge_ids() {
        let mut setup = Setup::default();
        assert!(setup.replay().is_empty(), "nothing before initialize");
        setup.initialize_sent(&msg(
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#,
        ));
        setup.request_sent(&msg(
            r#"{"jsonrpc":"2.0","id":2,"method":"resources/subscribe","params":{"uri":"file:///a"}}"#,
        ));
        setup.request_sent(&msg(
            r#"{"jsonrpc":"2.0","id":3,"method":"resources/subscribe","params":{"uri":"file:///b"}}"#,
        ));
        setup.request_sent(&msg(
            r#"{"jsonrpc":"2.0","id":4,"method":"resources/unsubscribe","params":{"uri":"file:///b"}}"#,
        ));
        setup.request_sent(&msg(
            r#"{"jsonrpc":"2.0","id":5,"method":"logging/setLevel","params":{"level":"debug"}}"#,
        ));
        let replay = setup.replay();
        let methods: Vec<_> = replay.iter().map(|m| m.method_name().to_owned()).collect();
        assert_eq!(
            methods,
            [
                "initialize",
                "notifications/initialized",
                "resources/subscribe",
                "logging/setLevel"
            ]
        );
        for m in replay.iter().filter(|m| m.id().is_some()) {
            assert!(m.id().unwrap().to_string().contains("mcp-bridge-renew-"));
        }
        let v: serde_json::Value = serde_json::from_slice(&replay[0].raw).unwrap();
        assert_eq!(
            v["params"]["clientInfo"]["name"], "c",
            "the client's own parameters"
        );
        let v: serde_json::Value = serde_json::from_slice(&replay[2].raw).unwrap();
        assert_eq!(v["params"]["uri"], "file:///a");
        let v: serde_json::Value = serde_json::from_slice(&replay[3].raw).unwrap();
        assert_eq!(v["params"]["level"], "debug");
    }
}
