//! `mcp-bridge serve -- COMMAND [ARGS...]`: the options made into
//! `serve::Settings`, logging, the runtime, and the signals that drain it.

use crate::cli::ServeOptions;
use crate::serve::{self, child::Program};
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

/// Serve until SIGTERM or Ctrl+C, then drain and exit 0.
pub fn command(o: &ServeOptions) -> ExitCode {
    if let Err(e) = super::logging::init(&o.logging, "serve") {
        return super::failed(&*e);
    }
    let ip: IpAddr = match o.host.parse() {
        Ok(ip) => ip,
        Err(_) if o.host.eq_ignore_ascii_case("localhost") => IpAddr::from([127, 0, 0, 1]),
        Err(_) => {
            return super::usage_error(format!(
                "--host {:?} is not an IP address (127.0.0.1, 0.0.0.0, ::1, ...)",
                crate::text::clean(&o.host, 100)
            ))
        }
    };
    let keys = match o.bearer_token_file.as_deref().map(serve::Keys::load) {
        None => None,
        Some(Ok(k)) => Some(std::sync::Arc::new(k)),
        Some(Err(e)) => return super::failed(&e),
    };
    let (command, args) = o.command.split_first().expect("clap requires COMMAND");
    let settings = serve::Settings {
        listen: SocketAddr::new(ip, o.port),
        path: o.path.clone(),
        program: Program {
            command: command.clone(),
            args: args.to_vec(),
            env: o.env.clone(),
            max_line: o.max_message_size,
        },
        allowed_origins: o.allow_origin.clone(),
        max_message: o.max_message_size,
        max_sessions: o.max_sessions.max(1),
        idle_timeout: o.idle_timeout,
        drain_timeout: o.drain_timeout,
        shared: o.shared,
        keys,
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(e) => return super::failed(&*e),
    };
    match runtime.block_on(serve::run(settings, super::run::shutdown_signal())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => super::failed(&e),
    }
}
