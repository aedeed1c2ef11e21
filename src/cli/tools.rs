//! `mcp-bridge tools ...`: the pinned tool definitions of a server. The
//! pins are filed like the credentials, so the options that choose who
//! signs in (`--resource`, `--static-oauth-client-info`, ...) must be
//! those of the runs that pinned them.

use super::{Options, PinFlag, ServerUrl};
use clap::{Args, Subcommand};
use std::path::PathBuf;

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

/// Which of the server's tools the client sees.
#[derive(Debug, Args)]
pub struct ToolsOptions {
    /// Hide tools whose names match GLOB (`*` matches anything, case does
    /// not matter; repeatable): left out of tools/list, calls refused.
    #[arg(long, value_name = "GLOB", help_heading = "Tools")]
    pub ignore_tool: Vec<String>,

    /// Offer only tools whose names match GLOB (repeatable); --ignore-tool
    /// still applies to them.
    #[arg(long, value_name = "GLOB", help_heading = "Tools")]
    pub allow_tool: Vec<String>,

    /// What to do with a tool whose definition changed since it was first
    /// seen (pinned): warn (relay it, with a warning in the log and to the
    /// client), enforce (withhold it until `mcp-bridge tools accept`), or
    /// off.
    #[arg(
        long,
        value_enum,
        value_name = "MODE",
        default_value = "warn",
        help_heading = "Tools"
    )]
    pub pin_tools: PinFlag,
}

/// A log of every call, for audit.
#[derive(Debug, Args)]
pub struct CallLogOptions {
    /// Append one JSON line to FILE per request the client sends and per
    /// answer: the time, the server, the method, the tool, resource or
    /// prompt, the duration, the outcome and the sizes. The file is made
    /// owner-only; one that cannot be written stops the start.
    #[arg(long, value_name = "FILE", help_heading = "Call log")]
    pub log_calls: Option<PathBuf>,

    /// Also write each call's arguments and each answer's result (header
    /// values and the URL's query values hidden).
    #[arg(long, requires = "log_calls", help_heading = "Call log")]
    pub log_calls_full: bool,
}
