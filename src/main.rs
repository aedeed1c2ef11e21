//! mcp-bridge: a local stdio MCP server that relays to a remote one.

mod accounts;
mod auth;
mod check;
mod cli;
mod headers;
mod jsonrpc;
mod modern;
mod net;
mod relay;
mod retry;
mod session;
mod stdio;
mod tools;
mod transport;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
use cli::{Cli, Command, Options};
use relay::{Relay, Router, Settings};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;
use transport::select::Upstream;
use transport::sse::Sse;
use transport::streamable_http::StreamableHttp;

/// Exit code for a usage error (bad URL, bad header), as clap uses.
const EXIT_USAGE: u8 = 2;
/// Exit code when the bridge could not start for another reason.
const EXIT_FAILURE: u8 = 1;
/// How many queued lines in each direction before the producer waits.
const QUEUE: usize = 1024;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match cli.command {
        Some(Command::Status) => report(accounts::status()),
        Some(Command::Completions { shell }) => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "mcp-bridge",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
        Some(Command::Man) => {
            match clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => report(Err(format!("cannot write the man page: {e}"))),
            }
        }
        Some(Command::Logout { url, all }) => report(accounts::logout(url.as_deref(), all)),
        Some(Command::Login { url, port, opts }) => login(&url, port, &opts),
        Some(Command::Check {
            url,
            port,
            json,
            timeout,
            mut opts,
        }) => {
            // A health check says "down" at once unless asked to wait.
            let given = matches
                .subcommand_matches("check")
                .and_then(|m| m.value_source("retry_timeout"))
                == Some(ValueSource::CommandLine);
            if !given {
                opts.retry_timeout = Duration::ZERO;
            }
            // The outcome is the report or one error line; logs only on -v.
            if opts.verbose == 0 {
                opts.quiet = true;
            }
            check(&url, port, &opts, json, timeout)
        }
        None => bridge(cli.url.as_deref().unwrap_or_default(), cli.port, cli.opts),
    }
}

/// Print a subcommand's outcome: stdout and 0, or stderr and 1.
fn report(outcome: Result<String, String>) -> ExitCode {
    match outcome {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mcp-bridge: error: {e}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// What every connection needs: the checked URL, the headers and the
/// sign-in settings. Errors are usage errors.
fn prepare(
    raw: &str,
    port: Option<u16>,
    opts: &Options,
) -> Result<(url::Url, reqwest::header::HeaderMap, auth::Settings), ExitCode> {
    if let Some(e) = opts.unbuilt.refusal() {
        return Err(usage_error(&e));
    }
    let url = cli::check_url(raw, opts.allow_http).map_err(|e| usage_error(&e))?;
    let headers = headers::collect(&opts.headers, &opts.header_file, &|v| std::env::var(v).ok())
        .map_err(|e| usage_error(&e.to_string()))?;
    let auth = accounts::settings(&url, port, opts, &headers).map_err(|e| usage_error(&e))?;
    if let Err(e) = init_logging(opts, &auth) {
        eprintln!("mcp-bridge: error: {e}");
        return Err(ExitCode::from(EXIT_FAILURE));
    }
    Ok((url, headers, auth))
}

/// What `login` and `check` connect with.
struct Connection {
    url: url::Url,
    headers: reqwest::header::HeaderMap,
    client: reqwest::Client,
    auth: Arc<auth::Auth>,
    runtime: tokio::runtime::Runtime,
}

/// Everything a one-shot subcommand needs to reach the server; `Err` is
/// the exit code after the message was printed.
fn connect(
    raw: &str,
    port: Option<u16>,
    opts: &Options,
    signs_in: bool,
) -> Result<Connection, ExitCode> {
    let (url, headers, settings) = prepare(raw, port, opts)?;
    if signs_in && !settings.enabled {
        return Err(usage_error("login signs in with OAuth; it has nothing to do when --header gives an Authorization header"));
    }
    let client = http_client(opts).map_err(|e| usage_error(&e))?;
    let runtime = runtime().map_err(|e| report(Err(e)))?;
    let auth = Arc::new(auth::Auth::new(client.clone(), settings));
    Ok(Connection {
        url,
        headers,
        client,
        auth,
        runtime,
    })
}

/// `mcp-bridge login URL`.
fn login(raw: &str, port: Option<u16>, opts: &Options) -> ExitCode {
    match connect(raw, port, opts, true) {
        Ok(c) => report(
            c.runtime
                .block_on(accounts::login(c.client, c.auth, c.url, c.headers)),
        ),
        Err(code) => code,
    }
}

/// Run the bridge: stdio on one side, the server on the other.
fn bridge(raw: &str, port: Option<u16>, cli: Options) -> ExitCode {
    let (url, headers, settings) = match prepare(raw, port, &cli) {
        Ok(p) => p,
        Err(code) => return code,
    };

    // Start reading stdin at once, so the client's first message waits in the
    // queue while the HTTP client is built.
    let (in_tx, in_rx) = mpsc::channel(QUEUE);
    let max = cli.max_message_size;
    std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || stdio::read_lines(std::io::stdin(), max, in_tx))
        .expect("spawning the stdin thread");
    let (out_tx, out_rx) = mpsc::channel(QUEUE);
    let writer = std::thread::Builder::new()
        .name("stdout".into())
        .spawn(move || stdio::write_lines(std::io::stdout().lock(), out_rx))
        .expect("spawning the stdout thread");

    let client = match http_client(&cli) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    tracing::info!(
        "relaying to {url} (--transport {}, --protocol {}){}",
        value_name(cli.transport),
        value_name(cli.protocol),
        if headers.is_empty() {
            String::new()
        } else {
            format!(" with headers: {}", headers::names(&headers))
        }
    );

    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("{e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let auth = Arc::new(auth::Auth::new(client.clone(), settings));
    runtime.block_on(async move {
        let (_, relay) = relay_for(client, url, headers, auth, &cli, out_tx);
        relay.run(in_rx, shutdown_signal()).await;
    });
    // Tasks still running (a request that never finished) are dropped here,
    // which drops their way to stdout, so the writer can finish.
    runtime.shutdown_timeout(Duration::from_millis(100));
    let _ = writer.join();
    tracing::debug!("bye");
    // The stdin thread may still sit in a blocking read; exiting ends it.
    std::process::exit(0)
}

/// The upstream and the relay to it, writing to the client through `out`.
fn relay_for(
    client: reqwest::Client,
    url: url::Url,
    headers: reqwest::header::HeaderMap,
    auth: Arc<auth::Auth>,
    opts: &Options,
    out: mpsc::Sender<bytes::Bytes>,
) -> (Arc<Upstream>, Relay) {
    let max = opts.max_message_size;
    let link = Arc::new(session::Link::default());
    let upstream = Arc::new(Upstream::new(
        opts.transport,
        StreamableHttp::new(
            client.clone(),
            url.clone(),
            headers.clone(),
            Arc::clone(&auth),
            max,
            Arc::clone(&link),
            opts.retry_timeout,
        ),
        Sse::new(client, url, headers, auth, max, link),
    ));
    let router = Arc::new(
        Router::new(out).with_tools(tools::ToolFilter::new(&opts.ignore_tool, &opts.allow_tool)),
    );
    let settings = Settings {
        max_message: max,
        protocol: opts.protocol,
        retry_for: opts.retry_timeout,
        request_timeout: opts.request_limit(),
        ping_every: opts.ping_every(),
    };
    let relay = Relay::new(Arc::clone(&upstream), router, settings);
    (upstream, relay)
}

/// `mcp-bridge check URL`.
fn check(raw: &str, port: Option<u16>, opts: &Options, json: bool, limit: Duration) -> ExitCode {
    let c = match connect(raw, port, opts, false) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let outcome = c.runtime.block_on(async move {
        let (out_tx, out_rx) = mpsc::channel(QUEUE);
        let (upstream, relay) = relay_for(c.client, c.url, c.headers, c.auth, opts, out_tx);
        check::run(upstream, relay, out_rx, limit, json).await
    });
    c.runtime.shutdown_timeout(Duration::from_millis(100));
    report(outcome)
}

/// The one-thread runtime everything runs on.
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// A choice as it is spelled on the command line.
fn value_name(v: impl clap::ValueEnum) -> String {
    v.to_possible_value()
        .map(|p| p.get_name().to_owned())
        .unwrap_or_default()
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("mcp-bridge: error: {msg}");
    ExitCode::from(EXIT_USAGE)
}

/// The HTTP client for `opts`, reading the environment.
fn http_client(opts: &Options) -> Result<reqwest::Client, String> {
    net::client(opts, &|v| std::env::var(v).ok())
}

/// Logs go to stderr or the log file, never stdout, and with `--debug` also
/// to a file of this server's own (named by its credential key, as
/// mcp-remote names its debug logs). Only this crate's own events are shown
/// above warn: the HTTP stack's debug output can include header values,
/// which may be secrets.
fn init_logging(cli: &Options, server: &auth::Settings) -> Result<(), String> {
    type Boxed = Box<dyn tracing_subscriber::Layer<tracing_subscriber::Registry> + Send + Sync>;
    let level = match (cli.silent, cli.quiet, cli.verbose) {
        (true, _, _) => LevelFilter::OFF,
        (false, true, _) => LevelFilter::ERROR,
        (false, false, 0) => LevelFilter::WARN,
        (false, false, 1) => LevelFilter::INFO,
        (false, false, 2) => LevelFilter::DEBUG,
        (false, false, _) => LevelFilter::TRACE,
    };
    let only_ours = |level: LevelFilter| {
        Targets::new()
            .with_default(level.min(LevelFilter::WARN))
            .with_target("mcp_bridge", level)
    };
    let open = |path: &std::path::Path| {
        let mut o = std::fs::OpenOptions::new();
        o.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        o.open(path)
            .map_err(|e| format!("cannot open log file {}: {e}", path.display()))
    };
    let mut layers: Vec<Boxed> = Vec::new();
    let fmt = || {
        tracing_subscriber::fmt::layer()
            .with_target(false)
            .without_time()
    };
    layers.push(match &cli.log_file {
        Some(path) => fmt()
            .with_ansi(false)
            .with_writer(Arc::new(open(path)?))
            .with_filter(only_ours(level))
            .boxed(),
        None => fmt()
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .with_filter(only_ours(level))
            .boxed(),
    });
    if cli.debug {
        let dir = auth::store::data_dir()?.join("logs");
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let path = dir.join(format!("{}_debug.log", server.key()));
        let file = open(&path)?;
        if !cli.silent {
            eprintln!("mcp-bridge: debug log: {}", path.display());
        }
        layers.push(
            tracing_subscriber::fmt::layer()
                .with_target(false)
                .with_ansi(false)
                .with_writer(Arc::new(file))
                .with_filter(only_ours(level.max(LevelFilter::DEBUG)))
                .boxed(),
        );
    }
    tracing_subscriber::registry().with(layers).init();
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
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
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
