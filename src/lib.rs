//! mcp-bridge: a local stdio MCP server that relays to a remote one.
//!
//! The library holds everything; `main.rs` only parses the command line and
//! maps outcomes to exit codes. ARCHITECTURE.md draws the layers.

#![warn(missing_docs)]

pub mod auth;
pub mod cli;
pub mod commands;
pub mod connection;
pub mod files;
pub mod headers;
pub mod http;
pub mod jsonrpc;
pub mod pins;
pub mod protocol;
pub mod relay;
pub mod secret;
pub mod serve;
pub mod stdio;
pub mod sync;
pub mod text;
pub mod tools;
pub mod transport;
pub mod url_policy;
