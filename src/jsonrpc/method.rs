//! The MCP methods the bridge acts on, decided once when a message is
//! classified; every other method is carried by name and passed through.

/// The enum of named methods and the table of their wire names, from one list.
macro_rules! methods {
    ($($variant:ident = $name:literal),* $(,)?) => {
        /// A JSON-RPC method, as the bridge tells them apart.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum Method {
            $(#[doc = concat!("`", $name, "`")] $variant,)*
            /// Any other method, by name.
            Other(Box<str>),
        }

        /// The named methods and their wire names.
        const NAMED: &[(Method, &str)] = &[$((Method::$variant, $name),)*];
    };
}

// The handshake, cancellation and liveness; what 2026-07-28 routes by
// name; what a session sets up; the 2026-07-28 discovery and subscriptions.
methods! {
    Initialize = "initialize", Initialized = "notifications/initialized",
    Cancelled = "notifications/cancelled", Ping = "ping",
    ToolsList = "tools/list", ToolsCall = "tools/call", PromptsGet = "prompts/get",
    ResourcesRead = "resources/read", ResourcesSubscribe = "resources/subscribe",
    ResourcesUnsubscribe = "resources/unsubscribe", SetLogLevel = "logging/setLevel",
    Discover = "server/discover", Listen = "subscriptions/listen",
    ToolsListChanged = "notifications/tools/list_changed",
}

/// The methods whose results 2026-07-28 lets a client cache, which carry
/// `ttlMs` and `cacheScope`.
pub const CACHEABLE: [&str; 6] = [
    "server/discover",
    "tools/list",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "resources/read",
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
            // The tasks extension routes by the task.
            Method::Other(name) if name.starts_with("tasks/") => Some("taskId"),
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
            assert_eq!(&Method::from_name(n), m);
            assert_eq!(m.name(), *n);
        }
        let other = Method::from_name("notifications/progress");
        assert_eq!(other, Method::Other("notifications/progress".into()));
        assert_eq!(other.name(), "notifications/progress");
    }
}
