//! The subcommands, and what they share: turning the command line into a
//! checked URL, headers, sign-in settings, an HTTP client and logging.
//!
//! This is the top layer: it may name every module below, and nothing names it
//! but `main.rs`.

pub mod accounts;
pub mod check;
pub mod detached;
pub mod doctor;
pub mod install;
pub mod run;
pub mod serve;
pub mod sign_in;
pub mod tools;

mod logging;

use crate::auth;
use crate::cli::Options;
use crate::http::client::NetConfig;
use crate::http::Http;
use crate::text::Chain;
use std::process::ExitCode;
use std::sync::Arc;

/// Exit code for a usage error (bad URL, bad header), as clap uses.
pub const EXIT_USAGE: u8 = 2;
/// Exit code when the bridge could not start for another reason.
pub const EXIT_FAILURE: u8 = 1;

/// A subcommand's failure: a lower layer's typed error, or this layer's own
/// words. Its text is what the user reads; its type picks the exit code.
pub type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The exit code for an error, from its kind: 2 when what the user typed
/// (or a file or variable the command line names) cannot be used, as clap
/// does for usage errors; 1 for everything else. The error's sources are
/// looked at too (an `UpstreamError`'s lower one as well), so a wrapped
/// usage error keeps its code.
pub fn exit_code(e: &(dyn std::error::Error + 'static)) -> u8 {
    let mut next = Some(e);
    while let Some(e) = next {
        if e.is::<crate::url_policy::UrlError>()
            || e.is::<crate::headers::HeaderError>()
            || e.is::<crate::cli::ValueError>()
            || e.is::<crate::http::client::ClientError>()
        {
            return EXIT_USAGE;
        }
        next = match e.downcast_ref::<crate::http::error::UpstreamError>() {
            Some(upstream) => upstream.lower(),
            None => e.source(),
        };
    }
    EXIT_FAILURE
}

/// Print a one-shot subcommand's outcome (`install`, `status`, `check`'s
/// session, ...): stdout and 0, or stderr and 1. What it was given was
/// accepted by then (clap checked the command line), so whatever fails is
/// the subcommand's failure, not a usage error: an `install` refuses a URL
/// it would write into a client's file with 1, as it always has.
pub fn report(outcome: Result<String, Failure>) -> ExitCode {
    match outcome {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mcp-bridge: error: {}", Chain(&*e));
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

/// Print an error; the exit code of its kind.
pub fn failed(e: &(dyn std::error::Error + 'static)) -> ExitCode {
    eprintln!("mcp-bridge: error: {}", Chain(e));
    ExitCode::from(exit_code(e))
}

/// Print a usage error; its exit code.
pub fn usage_error(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("mcp-bridge: error: {msg}");
    ExitCode::from(EXIT_USAGE)
}

/// What every connection to a server is made of, checked.
pub struct Prepared {
    /// The server URL.
    pub url: url::Url,
    /// `--header` and `--header-file`.
    pub headers: reqwest::header::HeaderMap,
    /// The sign-in settings.
    pub auth: auth::Settings,
}

/// Check the URL, the headers and the sign-in settings, and start logging.
/// Errors are printed; the exit code comes back.
pub fn prepare(raw: &str, port: Option<u16>, opts: &Options) -> Result<Prepared, ExitCode> {
    let url =
        crate::url_policy::check_url(raw, opts.connection.allow_http).map_err(|e| failed(&e))?;
    let headers = crate::headers::collect(
        &opts.connection.headers,
        &opts.connection.header_file,
        &|v| std::env::var(v).ok(),
    )
    .map_err(|e| failed(&e))?;
    // Every sign-in setting is the user's to fix.
    let auth = sign_in::settings(&url, port, opts, &headers).map_err(|e| usage_error(&e))?;
    logging::init(&opts.logging, &auth.key()).map_err(|e| failed(&*e))?;
    Ok(Prepared { url, headers, auth })
}

/// What must never be printed or logged: the URL's query values and password, and
/// the values of the headers given (`--header`, `--header-file`), as the
/// run collected them.
pub fn secrets(raw: &str, headers: Option<&reqwest::header::HeaderMap>) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(u) = url::Url::parse(raw) {
        out.extend(u.query_pairs().map(|(_, v)| v.into_owned()));
        out.extend(u.password().map(str::to_owned));
    }
    out.extend(
        headers
            .into_iter()
            .flat_map(|h| h.values())
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned),
    );
    out
}

/// The HTTP layer for a prepared server: the client the options shape, with
/// the OAuth provider plugged in unless the user sends their own
/// Authorization header. The provider comes back too, for `login`.
pub fn http_for(
    p: &Prepared,
    opts: &Options,
) -> Result<(Http, Arc<auth::Auth>), crate::http::client::ClientError> {
    let env = |v: &str| std::env::var(v).ok();
    let net = net_config(opts);
    let allow_http = opts.connection.allow_http;
    let wire = crate::http::wire::Wire::new(&net, &env, allow_http)?;
    let auth_client = oauth_http(&p.url, opts);
    let provider = Arc::new(auth::Auth::new(auth_client, p.auth.clone()));
    let tokens: Option<Arc<dyn crate::http::TokenSource>> = p
        .auth
        .enabled
        .then(|| Arc::clone(&provider) as Arc<dyn crate::http::TokenSource>);
    let waits = crate::http::Waits {
        headers: opts.network.headers_limit(),
        busy: opts.connection.retry_timeout,
    };
    let hop = crate::http::client::first_hop(&p.url, opts.network.no_proxy, &env);
    let mut http = Http::new(wire, p.url.clone(), tokens, waits).with_first_hop(hop);
    // Cookies in memory for this run (a load balancer's affinity cookie),
    // never on disk: `--disable-cookies` keeps none.
    if !opts.network.disable_cookies {
        http = http.with_cookies();
    }
    Ok((http, provider))
}

/// The HTTP client of sign-in requests to `url`'s authorization servers.
pub fn oauth_http(url: &url::Url, opts: &Options) -> crate::http::reach::Guarded {
    use crate::http::client::client;
    use crate::http::reach::{Guarded, Reach};
    let net = net_config(opts);
    // OAuth requests follow no redirect (metadata follows same-origin ones
    // itself): a token request must never carry a code or a secret elsewhere.
    // Nor do they connect to a private address the server has no business
    // with. The same settings built the MCP server's client (the same proxy
    // variables and CA files), so this one builds too; should it not, it is
    // one without the proxies and extra
    // CAs, built by the same function, so with the same two rules (never
    // reqwest's default client, which follows redirects and resolves
    // anything).
    let reach = Reach::new(url, opts.sign_in.allow_private_auth);
    let for_client = Arc::clone(&reach);
    Guarded::new(Some(reach), move || {
        let env = |v: &str| std::env::var(v).ok();
        client(&net, &env, &for_client).unwrap_or_else(|e| {
            tracing::warn!(
                "{e}; signing in without those network settings",
                e = Chain(&e)
            );
            let plain = NetConfig::default();
            client(&plain, &|_| None, &for_client)
                .expect("the MCP client was just built with all of this and more")
        })
    })
}

/// What a one-shot subcommand (`login`, `check`) connects with.
pub struct Connected {
    /// The checked URL, headers and sign-in settings.
    pub prepared: Prepared,
    /// The HTTP layer, with sign-in plugged in.
    pub http: Http,
    /// The sign-in provider itself.
    pub provider: Arc<auth::Auth>,
    /// The runtime to run on.
    pub runtime: tokio::runtime::Runtime,
}

/// Everything a one-shot subcommand needs to reach the server; `Err` is
/// the exit code after the message was printed. `signs_in` refuses a
/// command line that leaves nothing to sign in.
pub fn connect(
    raw: &str,
    port: Option<u16>,
    opts: &Options,
    signs_in: bool,
) -> Result<Connected, ExitCode> {
    let mut prepared = prepare(raw, port, opts)?;
    if signs_in && !prepared.auth.enabled {
        return Err(usage_error("login signs in with OAuth; it has nothing to do when --header gives an Authorization header"));
    }
    // `login` on a machine with no display: the device grant, where offered.
    prepared.auth.device_when_headless = signs_in && !has_display() && !opts.sign_in.no_browser;
    // `login --no-browser` (an SSH host): the redirected address can be pasted.
    prepared.auth.paste_back = signs_in && opts.sign_in.no_browser;
    let (http, provider) = http_for(&prepared, opts).map_err(|e| failed(&e))?;
    let runtime = runtime().map_err(|e| report(Err(e)))?;
    Ok(Connected {
        prepared,
        http,
        provider,
        runtime,
    })
}

/// Whether a browser could show on this machine: always on macOS and
/// Windows; elsewhere, a graphical session (`DISPLAY`, `WAYLAND_DISPLAY`)
/// or a `BROWSER` the user chose.
fn has_display() -> bool {
    if cfg!(any(target_os = "macos", windows)) {
        return true;
    }
    ["DISPLAY", "WAYLAND_DISPLAY", "BROWSER"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
}

/// The HTTP client's settings: the network group, and the connection's
/// connect timeout.
fn net_config(opts: &Options) -> NetConfig {
    let network = &opts.network;
    NetConfig {
        connect_timeout: opts.connection.connect_timeout,
        body_timeout: network.body_timeout,
        ipv4: network.ipv4,
        no_proxy: network.no_proxy,
        ca_certs: network.ca_cert.clone(),
    }
}

/// The one-thread runtime everything runs on.
pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}", e = Chain(&e)).into())
}

/// A choice as it is spelled on the command line.
pub fn value_name(v: impl clap::ValueEnum) -> String {
    v.to_possible_value()
        .map(|p| p.get_name().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_code_comes_from_the_error_s_kind() {
        let url = crate::url_policy::check_url("ftp://h/", false).unwrap_err();
        assert_eq!(exit_code(&url), EXIT_USAGE);
        let size = crate::cli::parse_size("lots").unwrap_err();
        assert_eq!(exit_code(&size), EXIT_USAGE);
        let home = crate::files::FileError::NoHome;
        assert_eq!(exit_code(&home), EXIT_FAILURE);
        let words: Failure = "the server answered HTTP 500 after sign-in".into();
        assert_eq!(exit_code(&*words), EXIT_FAILURE);
        // A usage error wrapped by a lower layer keeps its code.
        let header = crate::headers::expand_vars("--x", "${MCP_BRIDGE_NO_SUCH_VAR}").unwrap_err();
        let wrapped = crate::http::error::UpstreamError::caused_by(
            crate::http::error::ErrorKind::Auth,
            "https://h/mcp",
            header,
        );
        assert_eq!(exit_code(&wrapped), EXIT_USAGE);
        assert!(
            wrapped.to_string().contains("MCP_BRIDGE_NO_SUCH_VAR"),
            "{wrapped}"
        );
    }
}
