//! mcp-bridge: a local stdio MCP server that relays to a remote one. The
//! binary parses the command line and hands it to the library.

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
use mcp_bridge::cli::{Cli, Command, Options, ToolsAction};
use mcp_bridge::commands::{self, accounts, check, detached, doctor, install, run};
use std::process::ExitCode;
use std::time::Duration;

/// musl's allocator costs a third of the throughput under load; the static
/// musl builds allocate with mimalloc, told not to commit its arenas
/// eagerly, which otherwise doubles the resident memory (BENCHMARKS.md).
#[cfg(target_env = "musl")]
mod allocator {
    #[global_allocator]
    static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

    extern "C" {
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    }

    /// `mi_option_arena_eager_commit` in mimalloc 3 (libmimalloc-sys 0.1.49).
    const ARENA_EAGER_COMMIT: std::ffi::c_int = 4;

    /// Set first thing in `main`: the arenas made from then on commit
    /// lazily (measured: 7.6 MB resident after 1,000 calls instead of 16.4).
    pub fn tune() {
        // SAFETY: mi_option_set only stores an option value; mimalloc is
        // linked in through the mimalloc crate.
        unsafe { mi_option_set(ARENA_EAGER_COMMIT, 0) }
    }
}

fn main() -> ExitCode {
    #[cfg(target_env = "musl")]
    allocator::tune();
    // The detached sign-in process a bridge starts (not a command for
    // people, so not in the command line's definition).
    if let Some(rest) = detached::invoked(std::env::args_os()) {
        return detached::main(rest);
    }
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match cli.command {
        Some(Command::Status) => commands::report(accounts::status()),
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
                Err(e) => commands::report(Err(format!(
                    "cannot write the man page: {e}",
                    e = mcp_bridge::text::Chain(&e)
                )
                .into())),
            }
        }
        Some(Command::Install {
            client,
            config,
            force,
            dry_run,
            name,
            url,
            options,
        }) => commands::report(install::install(&install::Install {
            client,
            config: config.as_deref(),
            force,
            dry_run,
            name: &name,
            url: &url,
            options: &options,
        })),
        Some(Command::Uninstall {
            client,
            config,
            dry_run,
            name,
        }) => commands::report(install::uninstall(
            client,
            config.as_deref(),
            &name,
            dry_run,
        )),
        Some(Command::Serve(o)) => commands::serve::command(&o),
        Some(Command::Tools { mut action }) => {
            let (ToolsAction::Diff { opts, .. }
            | ToolsAction::Accept { opts, .. }
            | ToolsAction::List { opts, .. }) = &mut action;
            quiet_unless_verbose(opts);
            commands::tools::command(&action)
        }
        Some(Command::Logout { url, all }) => {
            commands::report(accounts::logout(url.as_deref(), all))
        }
        Some(Command::Login { url, port, opts }) => accounts::login_command(&url, port, &opts),
        Some(Command::Doctor {
            url,
            port,
            json,
            sign_in,
            mut opts,
        }) => {
            for_a_report(&matches, "doctor", &mut opts);
            doctor::command(&url, port, &opts, json, sign_in)
        }
        Some(Command::Check {
            url,
            port,
            json,
            timeout,
            mut opts,
        }) => {
            for_a_report(&matches, "check", &mut opts);
            check::command(&url, port, &opts, json, timeout)
        }
        None => run::bridge(cli.url.as_deref().unwrap_or_default(), cli.port, cli.opts),
    }
}

/// The options of a subcommand whose outcome is a report (`check`,
/// `doctor`): it says "down" at once unless `--retry-timeout` is given, and
/// logs only on `-v`, the report (or one error line) being the output.
/// A one-shot command's log: only what `-v` asks for.
fn quiet_unless_verbose(opts: &mut Options) {
    if opts.logging.verbose == 0 {
        opts.logging.quiet = true;
    }
}

fn for_a_report(matches: &clap::ArgMatches, subcommand: &str, opts: &mut Options) {
    let waits = matches
        .subcommand_matches(subcommand)
        .and_then(|m| m.value_source("retry_timeout"))
        == Some(ValueSource::CommandLine);
    if !waits {
        opts.connection.retry_timeout = Duration::ZERO;
    }
    quiet_unless_verbose(opts);
}
