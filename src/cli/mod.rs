//! The command line: clap definitions and the checks on what was given.

use crate::secret::Secret;
use clap::{ArgAction, Args, Parser, Subcommand};
use std::path::PathBuf;

mod choices;
mod serve;
mod tools;
mod values;
pub use choices::{ClientApp, PinFlag, ProtocolFlag, StoreFlag, TransportFlag};
pub use serve::ServeOptions;
pub use tools::{CallLogOptions, ToolsAction, ToolsOptions};
pub use values::{parse_authorize_param, parse_seconds, parse_size, ServerUrl, ValueError};

const EXAMPLES: &str = "\
Examples:
  mcp-bridge https://example.com/mcp
  mcp-bridge https://example.com/mcp --header 'Authorization: Bearer ${API_TOKEN}'
  mcp-bridge http://127.0.0.1:3000/mcp -vv --log-file /tmp/mcp-bridge.log

In an MCP client's configuration (Claude Desktop, Cursor, VS Code, ...):
  {\"command\": \"mcp-bridge\", \"args\": [\"https://example.com/mcp\"]}

stdout carries only JSON-RPC; logs go to stderr (or --log-file).";

/// mcp-bridge: use a remote MCP server (Streamable HTTP or HTTP+SSE) as if it
/// were a local stdio server.
#[derive(Debug, Parser)]
#[command(
    name = "mcp-bridge",
    version,
    about,
    after_help = EXAMPLES,
    subcommand_negates_reqs = true,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Sign in ahead of time, sign out, or list stored sign-ins.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The remote MCP server's URL: https, or http to a loopback host.
    #[arg(value_name = "URL", required = true)]
    pub url: Option<ServerUrl>,

    /// The port for the sign-in callback (as mcp-remote takes it); the same as --callback-port.
    #[arg(value_name = "CALLBACK_PORT", conflicts_with = "callback_port")]
    pub port: Option<u16>,

    /// The options of a run.
    #[command(flatten)]
    pub opts: Options,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in to a server now (opening the browser if needed), store the
    /// tokens, and exit; later runs use them without a browser.
    Login {
        /// The MCP server's URL.
        #[arg(value_name = "URL")]
        url: ServerUrl,
        /// The port for the sign-in callback.
        #[arg(value_name = "CALLBACK_PORT", conflicts_with = "callback_port")]
        port: Option<u16>,
        /// The options of a run.
        #[command(flatten)]
        opts: Box<Options>,
    },
    /// Connect to a server as a client would (signing in if needed) and
    /// print its name, version, protocol era, transport, tools, resources
    /// and prompts; exits 0 when the server answered. A health check.
    Check {
        /// The MCP server's URL.
        #[arg(value_name = "URL")]
        url: ServerUrl,
        /// The port for the sign-in callback.
        #[arg(value_name = "CALLBACK_PORT", conflicts_with = "callback_port")]
        port: Option<u16>,
        /// Print JSON (the server's own objects, for scripts) instead of tables.
        #[arg(long)]
        json: bool,
        /// How long each list request may take.
        #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
        timeout: std::time::Duration,
        /// The options of a run.
        #[command(flatten)]
        opts: Box<Options>,
    },
    /// Find what stands between this machine and a server: each link in
    /// order (URL, name, proxy, connection, TLS, the server's answer,
    /// sign-in metadata, stored credentials, the MCP session, the clients'
    /// configurations), a line each with ✓ or ✗, what was found and the
    /// fix. Exits 0 when every step passed, else the number of the first
    /// that failed. Opens no browser unless --sign-in; prints no secret.
    Doctor {
        /// The MCP server's URL.
        #[arg(value_name = "URL")]
        url: ServerUrl,
        /// The port for the sign-in callback.
        #[arg(value_name = "CALLBACK_PORT", conflicts_with = "callback_port")]
        port: Option<u16>,
        /// Print JSON (the same steps, as data).
        #[arg(long)]
        json: bool,
        /// Sign in in the browser when the server asks and nothing stored
        /// works (otherwise that step fails and says how).
        #[arg(long)]
        sign_in: bool,
        /// The options of a run.
        #[command(flatten)]
        opts: Box<Options>,
    },
    /// Remove stored credentials for a server (every identity of that URL), or all.
    Logout {
        /// The MCP server's URL.
        #[arg(
            value_name = "URL",
            required_unless_present = "all",
            conflicts_with = "all"
        )]
        url: Option<ServerUrl>,
        /// Remove every stored credential.
        #[arg(long)]
        all: bool,
    },
    /// List servers with stored credentials: where they are kept and when
    /// the access token expires (never the tokens themselves).
    Status,
    /// Print shell completions, e.g. `mcp-bridge completions bash >
    /// ~/.local/share/bash-completion/completions/mcp-bridge`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `mcp-bridge man >
    /// ~/.local/share/man/man1/mcp-bridge.1`.
    Man,
    /// Add a server to an MCP client's configuration, run by this binary
    /// (its absolute path: no PATH and no npx at start), e.g. `mcp-bridge
    /// install --client claude-desktop docs https://example.com/mcp
    /// --header 'Authorization: Bearer ${TOKEN}'`. Other entries and the
    /// file's formatting are kept; the old file is kept as FILE.bak.
    Install {
        /// The client.
        #[arg(long, value_enum)]
        client: ClientApp,
        /// Edit this file instead of the client's own.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Replace an entry of the same name.
        #[arg(long)]
        force: bool,
        /// Print the change without writing it.
        #[arg(long)]
        dry_run: bool,
        /// The name the client shows for the server.
        #[arg(value_name = "NAME")]
        name: String,
        /// The MCP server's URL.
        #[arg(value_name = "URL")]
        url: ServerUrl,
        /// Bridge options for this server (--header, --transport, ...),
        /// written as given: quote `${VAR}` so that the shell leaves it for
        /// the bridge to expand at start.
        #[arg(
            value_name = "OPTIONS",
            trailing_var_arg = true,
            allow_hyphen_values = true
        )]
        options: Vec<Secret>,
    },
    /// Put a stdio MCP server on the network as a Streamable HTTP server
    /// (and HTTP+SSE at /sse), e.g. `mcp-bridge serve --port 8080 -- npx
    /// -y some-stdio-server`: a session per client, each with a server
    /// process of its own.
    Serve(Box<ServeOptions>),
    /// See and approve changes to a server's tools since they were pinned
    /// (first seen): `tools diff URL`, `tools accept URL [TOOL...]`,
    /// `tools list URL`.
    Tools {
        /// What to do.
        #[command(subcommand)]
        action: ToolsAction,
    },
    /// Remove a server from an MCP client's configuration.
    Uninstall {
        /// The client.
        #[arg(long, value_enum)]
        client: ClientApp,
        /// Edit this file instead of the client's own.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Print the change without writing it.
        #[arg(long)]
        dry_run: bool,
        /// The server's name in that configuration.
        #[arg(value_name = "NAME")]
        name: String,
    },
}

/// Everything that shapes a connection, shared by the bridge, `login`,
/// `check` and `doctor`: one command line, in groups that each go to the
/// layer that reads them. Each group keeps its options' help headings, so
/// `--help` reads as one list.
#[derive(Debug, Args)]
pub struct Options {
    /// What reaches the server and how long a message may wait: headers,
    /// transport, protocol era, the waits, message size.
    #[command(flatten)]
    pub connection: ConnectionOptions,

    /// How the bridge signs in: grant, client, callback, token store (read by
    /// `commands/sign_in.rs` into `auth::Settings`).
    #[command(flatten)]
    pub sign_in: SignInOptions,

    /// Which of the server's tools the client sees.
    #[command(flatten)]
    pub tools: ToolsOptions,

    /// A log of every call (`--log-calls`).
    #[command(flatten)]
    pub calls: CallLogOptions,

    /// The HTTP client: proxies, CAs, address family, HTTP waits, cookies (read
    /// into `http::client::NetConfig` and `http::Waits`).
    #[command(flatten)]
    pub network: NetworkOptions,

    /// Where logs go and how many.
    #[command(flatten)]
    pub logging: LoggingOptions,
}

/// What reaches the server and how long a message may wait: headers,
/// transport, protocol era, the waits, message size.
#[derive(Debug, Args)]
pub struct ConnectionOptions {
    /// Add an HTTP header to every request, as "Name: value" (repeatable).
    /// ${VAR} in the value is taken from the environment.
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<Secret>,

    /// Read headers from FILE, one "Name: value" a line, # for comments
    /// (keeps secrets out of the process list). ${VAR} is expanded.
    #[arg(long, value_name = "FILE")]
    pub header_file: Vec<PathBuf>,

    /// Which transport to use: Streamable HTTP, the older HTTP+SSE, or one
    /// first with the other as a fallback.
    #[arg(long, value_enum, value_name = "MODE", default_value = "http-first")]
    pub transport: TransportFlag,

    /// Protocol eras: `auto` also reaches servers that speak only 2026-07-28
    /// (probing with server/discover when the client initializes); `legacy`
    /// relays the client's own handshake and never probes.
    #[arg(long, value_enum, value_name = "MODE", default_value = "auto")]
    pub protocol: ProtocolFlag,

    /// How long a message waits, retrying with backoff, while the server
    /// cannot be reached (at start or later), or answers 429 or 503 (after
    /// its Retry-After, at most 30 s a wait), before it is answered with an
    /// error.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    pub retry_timeout: std::time::Duration,

    /// How long the client's first initialize waits while no connection to
    /// the server can be opened, before it is answered with the reason (at
    /// most --retry-timeout). Short, because clients give a server about
    /// 30 s to start and then show their own timeout instead of the bridge's
    /// error; a server that comes up inside the window is still served.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_seconds)]
    pub start_timeout: std::time::Duration,

    /// How long one request may wait for its answer before the client gets an
    /// error (and the server a cancellation). 0, the default, means no limit:
    /// long tool calls are normal.
    #[arg(long, value_name = "SECONDS", default_value = "0", value_parser = parse_seconds)]
    pub request_timeout: std::time::Duration,

    /// How long opening a connection to the server may take.
    #[arg(long, value_name = "SECONDS", default_value = "30", value_parser = parse_seconds)]
    pub connect_timeout: std::time::Duration,

    /// Ping the server every SECONDS (answers are not forwarded to the
    /// client), so that idle connections stay open and a dead one is noticed
    /// and reconnected. Off by default.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub ping_interval: Option<std::time::Duration>,

    /// Ping every 30 s, or every --ping-interval when that is given too
    /// (as mcp-remote reads the pair).
    #[arg(long)]
    pub keep_alive: bool,

    /// Allow plain http to hosts other than loopback (tokens then travel unencrypted).
    #[arg(long)]
    pub allow_http: bool,

    /// The largest message accepted in either direction, in bytes (suffixes K, M, G).
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    pub max_message_size: usize,
}

/// How the bridge signs in: grant, client, callback, token store (read by
/// `commands/sign_in.rs` into `auth::Settings`).
#[derive(Debug, Args)]
pub struct SignInOptions {
    /// Let sign-in requests (metadata, registration, tokens) reach private,
    /// link-local and loopback addresses even when the MCP server is not on
    /// one: for an authorization server inside the network.
    #[arg(long, help_heading = "Sign-in")]
    pub allow_private_auth: bool,

    /// A pre-registered OAuth client, as JSON or @file: {"client_id": ...,
    /// "client_secret": ...} (skips dynamic registration).
    #[arg(long, value_name = "JSON|@FILE", help_heading = "Sign-in")]
    pub static_oauth_client_info: Option<Secret>,

    /// Extra client metadata for dynamic registration, as JSON or @file
    /// (e.g. {"scope": "read write"}).
    #[arg(long, value_name = "JSON|@FILE", help_heading = "Sign-in")]
    pub static_oauth_client_metadata: Option<String>,

    /// An https URL of a Client ID Metadata Document to use as the client id
    /// where the authorization server supports them.
    #[arg(long, value_name = "URL", help_heading = "Sign-in")]
    pub client_metadata_url: Option<String>,

    /// Sign in with the device authorization grant (RFC 8628): approve on
    /// any device with a browser, with the code printed on stderr.
    #[arg(long, help_heading = "Sign-in", conflicts_with_all = ["client_credentials", "jwt_bearer_assertion"])]
    pub device_code: bool,

    /// Get tokens with the OAuth client credentials grant (no browser), as
    /// the client from --static-oauth-client-info, authenticated by its
    /// client_secret or by --client-assertion-key.
    #[arg(
        long,
        help_heading = "Sign-in",
        conflicts_with = "jwt_bearer_assertion"
    )]
    pub client_credentials: bool,

    /// Authenticate the client with a JWT signed by this key (PKCS#8 PEM
    /// file; private_key_jwt, RFC 7523) instead of a client secret.
    #[arg(long, value_name = "FILE", help_heading = "Sign-in")]
    pub client_assertion_key: Option<PathBuf>,

    /// The signing algorithm of --client-assertion-key (ES256, EdDSA,
    /// RS256); by default the key's own.
    #[arg(
        long,
        value_name = "ALG",
        help_heading = "Sign-in",
        requires = "client_assertion_key"
    )]
    pub client_assertion_alg: Option<String>,

    /// Get tokens with the jwt-bearer grant (RFC 7523) from this externally
    /// issued JWT, or from @FILE, read again for every token request so a
    /// rotated token is picked up (a Kubernetes service-account token, a
    /// CI job's OIDC token). `${VAR}` is expanded.
    #[arg(long, value_name = "VALUE|@FILE", help_heading = "Sign-in")]
    pub jwt_bearer_assertion: Option<Secret>,

    /// Enterprise-managed authorization (SEP-990): the issuer of your
    /// identity provider, which vouches for you to the MCP server's
    /// authorization server (with --idp-client-id). You sign in there in
    /// the browser (OpenID Connect; the sign-in is kept and renewed) unless
    /// --idp-id-token hands in an ID token.
    #[arg(long, value_name = "URL", help_heading = "Sign-in", requires = "idp_client_id", conflicts_with_all = ["client_credentials", "jwt_bearer_assertion"])]
    pub idp_issuer: Option<String>,

    /// The bridge's client id at the identity provider.
    #[arg(
        long,
        value_name = "ID",
        help_heading = "Sign-in",
        requires = "idp_issuer"
    )]
    pub idp_client_id: Option<String>,

    /// The bridge's client secret at the identity provider, if it wants one
    /// (VALUE or @FILE; `${VAR}` is expanded).
    #[arg(
        long,
        value_name = "VALUE|@FILE",
        help_heading = "Sign-in",
        requires = "idp_issuer"
    )]
    pub idp_client_secret: Option<Secret>,

    /// An ID token from the identity provider, for automation, instead of
    /// signing in there in the browser (VALUE or @FILE, read again for
    /// every token request).
    #[arg(
        long,
        value_name = "VALUE|@FILE",
        help_heading = "Sign-in",
        requires = "idp_issuer"
    )]
    pub idp_id_token: Option<Secret>,

    /// Use this token endpoint instead of the one the authorization
    /// server's metadata names (or when it publishes none).
    #[arg(long, value_name = "URL", help_heading = "Sign-in")]
    pub token_endpoint: Option<String>,

    /// The resource indicator (RFC 8707) to ask tokens for, instead of the
    /// server's canonical URL.
    #[arg(long, value_name = "URL", help_heading = "Sign-in")]
    pub resource: Option<String>,

    /// The 127.0.0.1 port for the sign-in callback (default: one derived
    /// from the server, so the redirect URI stays the same across runs).
    #[arg(long, value_name = "PORT", help_heading = "Sign-in")]
    pub callback_port: Option<u16>,

    /// How long to wait for the sign-in in the browser before the pending
    /// request gets an error.
    #[arg(long, value_name = "SECONDS", default_value = "300", value_parser = parse_seconds, help_heading = "Sign-in")]
    pub auth_timeout: std::time::Duration,

    /// Do not open a browser; print the sign-in URL on stderr only.
    #[arg(long, help_heading = "Sign-in")]
    pub no_browser: bool,

    /// Send the OpenID Connect ID token from the token response instead of
    /// the access token, for servers that want that (ask for the openid
    /// scope).
    #[arg(long, help_heading = "Sign-in")]
    pub use_id_token: bool,

    /// Never bind tokens to a key (DPoP, RFC 9449), even where both the
    /// authorization server and the MCP server take it.
    #[arg(long, help_heading = "Sign-in")]
    pub no_dpop: bool,

    /// Where to keep tokens: the OS keychain or owner-only files (default:
    /// the keychain when one is available, else files).
    #[arg(long, value_enum, value_name = "STORE", help_heading = "Sign-in")]
    pub token_store: Option<StoreFlag>,

    /// The host name in the sign-in redirect URI, e.g. localhost (the
    /// listener stays on 127.0.0.1 whatever it says).
    #[arg(
        long,
        value_name = "HOST",
        default_value = "127.0.0.1",
        help_heading = "Sign-in"
    )]
    pub host: String,

    /// The path of the sign-in redirect URI.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "/oauth/callback",
        help_heading = "Sign-in"
    )]
    pub callback_path: String,

    /// Send the browser to URL once signed in, instead of showing the
    /// bridge's page (https, or http to loopback; no query or fragment).
    #[arg(long, value_name = "URL", help_heading = "Sign-in")]
    pub auth_success_url: Option<String>,

    /// Leave the resource indicator (RFC 8707) out of the authorization and
    /// token requests, for authorization servers that refuse it.
    #[arg(long, help_heading = "Sign-in")]
    pub disable_resource_parameter: bool,

    /// Add KEY=VALUE to the authorization URL (repeatable), e.g.
    /// audience=https://api.example.com or prompt=consent.
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_authorize_param, help_heading = "Sign-in")]
    pub authorize_param: Vec<(String, String)>,
}

/// The HTTP client: proxies, CAs, address family, HTTP waits, cookies (read
/// into `http::client::NetConfig` and `http::Waits`).
#[derive(Debug, Args)]
pub struct NetworkOptions {
    /// Ignore HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY (they are
    /// honoured by default; loopback is never proxied).
    #[arg(long, conflicts_with = "enable_proxy", help_heading = "Network")]
    pub no_proxy: bool,

    /// Use the proxy the environment names: the default, accepted as
    /// mcp-remote spells it.
    #[arg(long, help_heading = "Network")]
    pub enable_proxy: bool,

    /// Trust the CA certificates in FILE (PEM) as well as the platform's
    /// store (repeatable; SSL_CERT_FILE is read the same way).
    #[arg(long, value_name = "FILE", help_heading = "Network")]
    pub ca_cert: Vec<PathBuf>,

    /// Connect over IPv4 only (for networks where IPv6 routes go nowhere).
    #[arg(long, help_heading = "Network")]
    pub ipv4: bool,

    /// How long to wait for a response's headers after sending a request;
    /// 0, the default, means no limit (some servers answer only when a
    /// long tool call is done).
    #[arg(long, value_name = "SECONDS", default_value = "0", value_parser = parse_seconds, help_heading = "Network")]
    pub headers_timeout: std::time::Duration,

    /// How long a response may go without sending anything before the
    /// connection is treated as dead (and streams are resumed); 0, the
    /// default, means no limit.
    #[arg(long, value_name = "SECONDS", default_value = "0", value_parser = parse_seconds, help_heading = "Network")]
    pub body_timeout: std::time::Duration,

    /// Keep no cookies from the MCP server. By default they are kept in
    /// memory for the run (never on disk, never sent to another origin), so
    /// that a load balancer's affinity cookie keeps the session on its
    /// replica.
    #[arg(long, help_heading = "Network")]
    pub disable_cookies: bool,
}

/// Where logs go and how many.
#[derive(Debug, Args)]
pub struct LoggingOptions {
    /// More logging on stderr: -v info (each message), -vv debug, -vvv trace.
    #[arg(short, long, action = ArgAction::Count)]
    pub verbose: u8,

    /// Log only errors.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Write logs to FILE (appending) instead of stderr.
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,

    /// Also write a debug log for this server to its own file (the path
    /// is printed on stderr), as mcp-remote does.
    #[arg(long, help_heading = "Logging")]
    pub debug: bool,

    /// Write nothing on stderr except a sign-in prompt (--debug still
    /// writes its file).
    #[arg(long, conflicts_with_all = ["verbose", "quiet"], help_heading = "Logging")]
    pub silent: bool,
}

impl ConnectionOptions {
    /// How often to ping, if at all.
    pub fn ping_every(&self) -> Option<std::time::Duration> {
        match (self.ping_interval, self.keep_alive) {
            (Some(d), _) if !d.is_zero() => Some(d.max(std::time::Duration::from_secs(1))),
            (None, true) => Some(std::time::Duration::from_secs(30)),
            _ => None,
        }
    }

    /// The request timeout, if any.
    pub fn request_limit(&self) -> Option<std::time::Duration> {
        (!self.request_timeout.is_zero()).then_some(self.request_timeout)
    }
}

impl NetworkOptions {
    /// The wait for a response's headers, if any (`0` turns it off).
    pub fn headers_limit(&self) -> Option<std::time::Duration> {
        (!self.headers_timeout.is_zero()).then_some(self.headers_timeout)
    }
}
