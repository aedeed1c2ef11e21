//! The choices of the command line, as clap reads them: each maps onto the
//! enum of the layer that acts on it, which knows nothing of clap.

use crate::auth::store::Backend;
use crate::connection::{Choice, Protocol};

/// `--transport`: which transports to try, in mcp-remote's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TransportFlag {
    /// Streamable HTTP; HTTP+SSE when the server refuses the POST with 400, 404 or 405.
    HttpFirst,
    /// HTTP+SSE; Streamable HTTP when the SSE handshake fails.
    SseFirst,
    /// Streamable HTTP only.
    HttpOnly,
    /// HTTP+SSE only.
    SseOnly,
}

impl From<TransportFlag> for Choice {
    fn from(f: TransportFlag) -> Choice {
        match f {
            TransportFlag::HttpFirst => Choice::HttpFirst,
            TransportFlag::SseFirst => Choice::SseFirst,
            TransportFlag::HttpOnly => Choice::HttpOnly,
            TransportFlag::SseOnly => Choice::SseOnly,
        }
    }
}

/// `--protocol`: which protocol eras the bridge may speak upstream, in
/// mcp-remote's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProtocolFlag {
    /// Relay the client's own handshake; never probe.
    Legacy,
    /// Ask in 2026-07-28 first (`server/discover`) and use it when the server
    /// speaks it, translating for a handshake-era client; otherwise the
    /// handshake, over Streamable HTTP or HTTP+SSE. The era found is
    /// remembered for the next start.
    Auto,
    /// Speak only 2026-07-28; never fall back to the handshake.
    Modern,
}

impl From<ProtocolFlag> for Protocol {
    fn from(f: ProtocolFlag) -> Protocol {
        match f {
            ProtocolFlag::Legacy => Protocol::Legacy,
            ProtocolFlag::Auto => Protocol::Auto,
            ProtocolFlag::Modern => Protocol::Modern,
        }
    }
}

/// `--token-store`: where a server's secret is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreFlag {
    /// The OS keychain.
    Keychain,
    /// An owner-only file in the data directory.
    File,
}

impl From<StoreFlag> for Backend {
    fn from(f: StoreFlag) -> Backend {
        match f {
            StoreFlag::Keychain => Backend::Keychain,
            StoreFlag::File => Backend::File,
        }
    }
}

/// `--pin-tools`: what to do with a tool changed since it was pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PinFlag {
    /// Relay it, with a warning in the log and to the client.
    Warn,
    /// Withhold it (left out of lists, calls refused) until accepted.
    Enforce,
    /// Pin nothing, compare nothing.
    Off,
}

impl PinFlag {
    /// The policy, or `None` for off.
    pub fn policy(self) -> Option<crate::pins::Policy> {
        match self {
            PinFlag::Warn => Some(crate::pins::Policy::Warn),
            PinFlag::Enforce => Some(crate::pins::Policy::Enforce),
            PinFlag::Off => None,
        }
    }
}

/// The MCP clients `install` knows the configuration of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientApp {
    /// Claude Desktop (claude_desktop_config.json).
    ClaudeDesktop,
    /// Claude Code, user scope (~/.claude.json).
    ClaudeCode,
    /// Cursor (~/.cursor/mcp.json).
    Cursor,
    /// VS Code, user profile (mcp.json).
    Vscode,
    /// Windsurf (~/.codeium/windsurf/mcp_config.json).
    Windsurf,
}
