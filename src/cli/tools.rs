//! `mcp-bridge tools ...`: the pinned tool definitions of a server. The
//! pins are filed like the credentials, so the options that choose who
//! signs in (`--resource`, `--static-oauth-client-info`, ...) must be
//! those of the runs that pinned them.

use super::{Options, ServerUrl};
use clap::Subcommand;

/// What `tools` does.
#[derive(Debug, Subcommand)]
pub enum ToolsAction {
    /// Connect, and show each tool whose definition changed since it was
    /// pinned as a unified diff (pinned against now), with the tools new
    /// and gone; exits 0 when no tool changed, otherwise 1.
    Diff {
        /// The MCP server's URL.
        #[arg(value_name = "URL")]
        url: ServerUrl,
        /// The options of a run.
        #[command(flatten)]
        opts: Box<Options>,
    },
    /// Connect, and pin what the server says now: the named tools, or
    /// every one.
    Accept {
        /// The MCP server's URL.
        #[arg(value_name = "URL")]
        url: ServerUrl,
        /// The tools to approve (all when none is named).
        #[arg(value_name = "TOOL")]
        tools: Vec<String>,
        /// The options of a run.
        #[command(flatten)]
        opts: Box<Options>,
    },
    /// Show the pinned tools, with when each was pinned (no connection).
    List {
        /// The MCP server's URL.
        #[arg(value_name = "URL")]
        url: ServerUrl,
        /// The options of a run.
        #[command(flatten)]
        opts: Box<Options>,
    },
}
