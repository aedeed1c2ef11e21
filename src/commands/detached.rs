//! The detached sign-in process (`auth/detach.rs` says why it exists): the
//! bridge's own command line read again, the sign-in, and its last word on
//! stdout. The bridge that reads its stdout and stderr may be gone: nothing
//! here may fail for a write that fails.

use super::{connect, Connected, EXIT_FAILURE, EXIT_USAGE};
use crate::auth::detach;
use crate::cli::Cli;
use crate::text::Chain;
use clap::Parser;
use std::ffi::OsString;
use std::process::ExitCode;

/// The arguments after [`detach::SUBCOMMAND`] when this process was
/// started as the detached sign-in.
pub fn invoked(mut argv: impl Iterator<Item = OsString>) -> Option<Vec<OsString>> {
    (argv.nth(1)? == detach::SUBCOMMAND).then(|| argv.collect())
}

/// Run as the detached sign-in: `REQUEST -- BRIDGE_ARGS...`.
pub fn main(rest: Vec<OsString>) -> ExitCode {
    let mut rest = rest.into_iter();
    let request = rest.next().and_then(|r| r.into_string().ok());
    let dashes = rest.next();
    match (request, dashes) {
        (Some(request), Some(d)) if d == "--" => sign_in(&request, rest.collect()),
        _ => {
            detach::finish(&Err::<(), _>("not a sign-in request"));
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Sign in as `request` asks, for the bridge started with `args`.
fn sign_in(request: &str, args: Vec<OsString>) -> ExitCode {
    let outcome = match prepare(request, args) {
        Ok((connected, request)) => run(connected, &request),
        Err(e) => {
            detach::finish(&Err(e));
            false
        }
    };
    if outcome {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAILURE)
    }
}

/// The request and the bridge's setup, read again from its arguments.
fn prepare(request: &str, args: Vec<OsString>) -> Result<(Connected, detach::Request), String> {
    let request: detach::Request = serde_json::from_str(request)
        .map_err(|e| format!("not a sign-in request: {e}", e = Chain(&e)))?;
    let argv = std::iter::once(OsString::from("mcp-bridge")).chain(args);
    let cli = Cli::try_parse_from(argv)
        .map_err(|e| format!("the bridge's arguments: {e}", e = Chain(&e)))?;
    let (Some(url), None) = (cli.url.as_deref(), &cli.command) else {
        return Err("the bridge's arguments name no server".into());
    };
    let connected = connect(url, cli.port, &cli.opts, false).map_err(|code| {
        if code == ExitCode::from(EXIT_USAGE) {
            "the bridge's arguments are not usable".to_owned()
        } else {
            "cannot set up the sign-in".to_owned()
        }
    })?;
    Ok((connected, request))
}

/// Sign in, at most `--auth-timeout` and [`detach::BEYOND`]; whether it
/// worked. The outcome is told as soon as it is known; the browser's tab
/// gets its page before the process ends.
fn run(connected: Connected, request: &detach::Request) -> bool {
    let limit = connected.prepared.auth.auth_timeout + detach::BEYOND;
    let provider = connected.provider;
    connected.runtime.block_on(async move {
        let outcome = match tokio::time::timeout(limit, provider.sign_in_here(request)).await {
            Ok(done) => done.map_err(|e| Chain(&e).to_string()),
            Err(_) => Err(format!(
                "the sign-in did not finish in {} s",
                limit.as_secs()
            )),
        };
        detach::finish(&outcome);
        crate::auth::callback::pages_sent(std::time::Duration::from_secs(2)).await;
        outcome.is_ok()
    })
}
