//! The MCP methods the bridge acts on, decided once when a message is
//! classified; every other method is carried by name and passed through.

/// A JSON-RPC method, as the bridge tells them apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    /// `initialize`: starts a handshake-era session.
    Initialize,
    /// `notifications/initialized`: the client's session is up.
    Initialized,
    /// `notifications/cancelled`: the client gave up on a request.
    Cancelled,
    /// `ping`.
    Ping,
    /// `tools/list`.
    ToolsList,
    /// `tools/call`.
    ToolsCall,
    /// `prompts/get`.
    PromptsGet,
    /// `resources/read`.
    ResourcesRead,
    /// `resources/subscribe`.
    ResourcesSubscribe,
    /// `resources/unsubscribe`.
    ResourcesUnsubscribe,
    /// `logging/setLevel`.
    SetLogLevel,
    /// `server/discover` (2026-07-28).
    Discover,
    /// `subscriptions/listen` (2026-07-28).
    Listen,
    /// Any other method, by name.
    Other(Box<str>),
}

/// The named methods and their wire names.
const NAMED: [(Method, &str); 13] = [
    (Method::Initialize, "initialize"),
    (Method::Initialized, "notifications/initialized"),
    (Method::Cancelled, "notifications/cancelled"),
    (Method::Ping, "ping"),
    (Method::ToolsList, "tools/list"),
    (Method::ToolsCall, "tools/call"),
    (Method::PromptsGet, "prompts/get"),
    (Method::ResourcesRead, "resources/read"),
    (Method::ResourcesSubscribe, "resources/subscribe"),
    (Method::ResourcesUnsubscribe, "resources/unsubscribe"),
    (Method::SetLogLevel, "logging/setLevel"),
    (Method::Discover, "server/discover"),
    (Method::Listen, "subscriptions/listen"),
];

impl Method {
    /// The method named `name`.
    pub fn from_name(name: &str) -> Method {
        NAMED
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(m, _)| m.clone())
            .unwrap_or_else(|| Method::Other(name.into()))
    }

    /// The method's wire name.
    pub fn name(&self) -> &str {
        match self {
            Method::Other(name) => name,
            named => NAMED
                .iter()
                .find(|(m, _)| m == named)
                .map(|(_, n)| *n)
                .unwrap_or_default(),
        }
    }

    /// The `params` member naming what a request is about (the tool, prompt
    /// or resource), which 2026-07-28 mirrors into `Mcp-Name`.
    pub fn name_param(&self) -> Option<&'static str> {
        match self {
            Method::ToolsCall | Method::PromptsGet => Some("name"),
            Method::ResourcesRead => Some("uri"),
            _ => None,
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_others_are_kept() {
        for (m, n) in NAMED {
            assert_eq!(Method::from_name(n), m);
            assert_eq!(m.name(), n);
        }
        let other = Method::from_name("notifications/progress");
        assert_eq!(other, Method::Other("notifications/progress".into()));
        assert_eq!(other.name(), "notifications/progress");
    }
}
