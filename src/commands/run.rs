//! Bridge mode: stdio on one side, the server on the other.

use super::{prepare, runtime, value_name, EXIT_FAILURE};
use crate::auth;
use crate::cli::Options;
use crate::connection::{self, Connection};
use crate::http::Http;
use crate::relay::{self, Relay};
use crate::stdio::{Input, Output};
use crate::text::Chain;
use std::process::ExitCode;
use std::time::Duration;
use tokio::sync::mpsc;

/// How many server messages wait for the relay before their streams wait.
const QUEUE: usize = 1024;

/// Run the bridge until stdin closes or a signal comes.
pub fn bridge(raw: &str, port: Option<u16>, cli: Options) -> ExitCode {
    let mut prepared = match prepare(raw, port, &cli) {
        Ok(p) => p,
        Err(code) => return code,
    };
    // A person's sign-in runs in a process of its own, started from this
    // binary with these arguments, so that it outlives this one.
    prepared.auth.detach = std::env::current_exe()
        .ok()
        .map(|program| auth::detach::Detach {
            program,
            args: std::env::args_os().skip(1).collect(),
        });

    let (http, _) = match super::http_for(&prepared, &cli) {
        Ok(h) => h,
        Err(e) => {
            tracing::error!("{e}", e = Chain(&e));
            return ExitCode::from(super::exit_code(&e));
        }
    };
    let headers = &prepared.headers;
    tracing::info!(
        "relaying to {} (--transport {}, --protocol {}){}",
        crate::url_policy::shown(&prepared.url),
        value_name(cli.connection.transport),
        value_name(cli.connection.protocol),
        if headers.is_empty() {
            String::new()
        } else {
            format!(" with headers: {}", crate::headers::names(headers))
        }
    );

    let pinning = pinning_for(&prepared.url, &prepared.auth, &cli);
    let calls = match call_log_for(&prepared.url, &prepared.headers, &cli) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("{e}", e = Chain(&e));
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("{e}", e = Chain(&*e));
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let writer = runtime.block_on(async move {
        let input = Input::stdin(cli.connection.max_message_size);
        let (output, writer) = Output::stdout();
        let relay = relay_for(http, prepared.url, prepared.headers, &cli, output)
            .with_pinning(pinning)
            .with_call_log(calls);
        // The signals are watched by a task of their own: the relay's loop
        // polls its shutdown arm on every turn, and a oneshot costs a
        // fraction of polling the signal streams themselves.
        let (said, shutdown) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = said.send(());
        });
        relay
            .run(input, async move {
                let _ = shutdown.await;
            })
            .await;
        writer
    });
    // Tasks still running (a request that never finished) are dropped here;
    // a stdout thread has had its last line by now.
    runtime.shutdown_timeout(Duration::from_millis(100));
    if let Some(w) = writer {
        let _ = w.join();
    }
    tracing::debug!("bye");
    // The stdin thread may still sit in a blocking read; exiting ends it.
    std::process::exit(0)
}

/// The connection to the server and the relay to it, writing lines for
/// the client to `out`.
pub fn relay_for(
    http: Http,
    url: url::Url,
    headers: reqwest::header::HeaderMap,
    opts: &Options,
    out: Output,
) -> Relay {
    let (sink, from_server) = mpsc::channel(QUEUE);
    let era = match opts.connection.protocol.into() {
        connection::Protocol::Auto => connection::era::EraMemory::for_server(&url),
        _ => connection::era::EraMemory::off(),
    };
    let settings = connection::Settings {
        extensions: extensions(opts),
        era,
        transport: opts.connection.transport.into(),
        protocol: opts.connection.protocol.into(),
        retry_for: opts.connection.retry_timeout,
        start_for: opts.connection.start_timeout,
        max_message: opts.connection.max_message_size,
    };
    let conn = Connection::new(http, url, headers, settings, sink);
    let tools = crate::tools::ToolFilter::new(&opts.tools.ignore_tool, &opts.tools.allow_tool);
    let settings = relay::Settings {
        max_message: opts.connection.max_message_size,
        request_timeout: opts.connection.request_limit(),
        ping_every: opts.connection.ping_every(),
    };
    Relay::new(conn, from_server, out, tools, settings)
}

/// The tools' pins for `--pin-tools`, filed like the credentials (the
/// server and the identity signed in as): `None` when off, or when the
/// data directory cannot be had (said in the log).
pub fn pinning_for(
    url: &url::Url,
    auth: &auth::Settings,
    opts: &Options,
) -> Option<relay::Pinning> {
    let policy = opts.tools.pin_tools.policy()?;
    let shown = crate::url_policy::shown(url);
    match crate::pins::Pins::for_server(&auth.key(), &shown) {
        Ok(pins) => Some(relay::Pinning::new(
            pins,
            policy,
            format!("mcp-bridge tools accept {shown}"),
        )),
        Err(e) => {
            tracing::error!("tools are not pinned: {e}", e = Chain(&e));
            None
        }
    }
}

/// `--log-calls`, opened (a file that cannot be is an error at start),
/// with every header value and the URL's query values to hide.
fn call_log_for(
    url: &url::Url,
    headers: &reqwest::header::HeaderMap,
    opts: &Options,
) -> Result<Option<relay::CallLog>, relay::CallLogError> {
    let Some(path) = &opts.calls.log_calls else {
        return Ok(None);
    };
    // Each secret whole, and a header's after its scheme (`Bearer TOKEN`:
    // the token alone).
    let mut hidden = super::secrets(url.as_str(), Some(headers));
    let tokens: Vec<String> = headers
        .values()
        .filter_map(|v| Some(v.to_str().ok()?.split_once(' ')?.1.to_owned()))
        .collect();
    hidden.extend(tokens);
    let shown = crate::url_policy::shown(url);
    relay::CallLog::open(path, &shown, opts.calls.log_calls_full, hidden).map(Some)
}

/// The authorization extensions the options use, as 2026-07-28 names
/// them, for the client capabilities.
fn extensions(opts: &Options) -> Vec<String> {
    let mut ids = Vec::new();
    if opts.sign_in.client_credentials {
        ids.push("io.modelcontextprotocol/oauth-client-credentials");
    }
    if opts.sign_in.jwt_bearer_assertion.is_some() {
        ids.push("io.modelcontextprotocol/auth/wif");
    }
    if opts.sign_in.idp_issuer.is_some() {
        ids.push("io.modelcontextprotocol/enterprise-managed-authorization");
    }
    ids.into_iter().map(str::to_owned).collect()
}

/// Resolves on SIGINT or SIGTERM, or on Windows' console events.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    // A console's Ctrl+C or Ctrl+Break, its window closed, the user logging
    // off or the machine shutting down: Windows then gives the process a few
    // seconds, enough to end the session as on SIGTERM.
    #[cfg(windows)]
    {
        use tokio::signal::windows;
        match (
            windows::ctrl_break(),
            windows::ctrl_close(),
            windows::ctrl_logoff(),
            windows::ctrl_shutdown(),
        ) {
            (Ok(mut brk), Ok(mut close), Ok(mut logoff), Ok(mut shutdown)) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = brk.recv() => {}
                    _ = close.recv() => {}
                    _ = logoff.recv() => {}
                    _ = shutdown.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
