//! Logging: stderr or `--log-file`, and with `--debug` a file of the
//! server's own; never stdout, and never the HTTP stack's header dumps.

use crate::cli::LoggingOptions;
use crate::commands::Failure;
use std::io::IsTerminal;
use std::sync::Arc;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

/// Logs go to stderr or the log file, never stdout, and with `--debug` also
/// to a file of this server's own (named by its credential key, as
/// mcp-remote names its debug logs). Only this crate's own events are shown
/// above warn: the HTTP stack's debug output can include header values,
/// which may be secrets.
pub fn init(cli: &LoggingOptions, debug_name: &str) -> Result<(), Failure> {
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
        o.open(path).map_err(|e| {
            format!(
                "cannot open log file {}: {e}",
                path.display(),
                e = crate::text::Chain(&e)
            )
        })
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
        let dir = crate::files::data_dir()?.join("logs");
        crate::files::ensure_private_dir(&dir)?;
        let path = dir.join(format!("{debug_name}_debug.log"));
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
