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
        Some(Ok(k)) => Some(k),
        Some(Err(e)) => return super::failed(&e),
    };
    let listen = SocketAddr::new(ip, o.port);
    let auth = match auth(o, keys, listen) {
        Ok(a) => a,
        Err(code) => return code,
    };
    // Without COMMAND, --config names the servers.
    let none = String::new();
    let (command, args) = o.command.split_first().unwrap_or((&none, &[]));
    let settings = serve::Settings {
        listen,
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
        auth,
        public_url: o.public_url.clone(),
        replica: o.replica.clone(),
        config: o.config.clone(),
        trusted_proxies: serve::forwarded::Trusted::new(o.trusted_proxy.clone()),
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(e) => return super::failed(&*e),
    };
    let reloads = settings.config.is_some();
    let served = runtime.block_on(async {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        if reloads {
            tokio::spawn(hangups(tx));
        }
        serve::run(settings, super::run::shutdown_signal(), rx).await
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => super::failed(&e),
    }
}

/// Each SIGHUP, a reload of `--config` (only then: otherwise SIGHUP ends
/// `serve` as it ends any program). Windows has no SIGHUP.
async fn hangups(tx: tokio::sync::mpsc::Sender<()>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            return;
        };
        while hup.recv().await.is_some() {
            // One pending reload covers any number of signals.
            let _ = tx.try_send(());
        }
    }
    #[cfg(not(unix))]
    drop(tx);
}

/// What a request must present, from the options: `None` when neither
/// keys nor issuers are given.
fn auth(
    o: &ServeOptions,
    keys: Option<serve::Keys>,
    listen: SocketAddr,
) -> Result<Option<std::sync::Arc<serve::Auth>>, ExitCode> {
    let scoped =
        !o.require_scope.is_empty() || !o.tool_scope.is_empty() || !o.pass_claims_env.is_empty();
    let tokens = !o.auth_issuer.is_empty() || o.introspection_url.is_some();
    if !tokens && scoped {
        return Err(super::usage_error(
            "--require-scope, --tool-scope and --pass-claims-env need --auth-issuer or --introspection-url: scopes and claims come with an authorization server's tokens".to_owned(),
        ));
    }
    if keys.is_none() && !tokens {
        return Ok(None);
    }
    let public = match &o.public_url {
        Some(p) => p.clone(),
        // Behind a trusted proxy, the URL it says the client used is the
        // one each request's metadata names.
        None if listen.ip().is_loopback() || !tokens || !o.trusted_proxy.is_empty() => {
            format!("http://{listen}")
        }
        None => {
            return Err(super::usage_error(
                "--auth-issuer on an address beyond loopback needs --public-url (or --trusted-proxy): the URL clients reach this server by, which tokens must name".to_owned(),
            ))
        }
    };
    let (resource, metadata_url) = serve::Auth::locations(&public, &o.path);
    let issuers = if o.auth_issuer.is_empty() {
        None
    } else {
        match serve::Issuers::new(&o.auth_issuer) {
            Ok(i) => Some(std::sync::Arc::new(i)),
            Err(e) => return Err(super::failed(&e)),
        }
    };
    let introspection = introspection(o)?;
    Ok(Some(std::sync::Arc::new(serve::Auth {
        introspection: introspection.map(std::sync::Arc::new),
        keys: keys.map(std::sync::Arc::new),
        issuers,
        audience: o.audience.clone().unwrap_or_else(|| resource.clone()),
        fixed_audience: o.audience.is_some(),
        resource,
        metadata_url,
        required: o.require_scope.clone(),
        tool_scopes: o.tool_scope.clone(),
        claims_env: o.pass_claims_env.clone(),
        public,
        seen: Default::default(),
    })))
}

/// `--introspection-url`, with the client's credentials.
fn introspection(o: &ServeOptions) -> Result<Option<serve::Introspection>, ExitCode> {
    let (Some(url), Some(id)) = (&o.introspection_url, &o.introspection_client_id) else {
        return Ok(None);
    };
    let secret = match &o.introspection_client_secret {
        None => crate::secret::Secret::default(),
        Some(raw) => {
            let read = super::sign_in::assertion("--introspection-client-secret", raw.expose())
                .and_then(|a| Ok(a.read()?));
            match read {
                Ok(s) => crate::secret::Secret::from(s),
                Err(e) => return Err(super::failed(&*e)),
            }
        }
    };
    match serve::Introspection::new(url.clone(), id.clone(), secret) {
        Ok(i) => Ok(Some(i)),
        Err(e) => Err(super::failed(&e)),
    }
}
