//! `mcp-bridge serve`'s command line: where to listen, the stdio server to
//! run for each session, and the limits.

use super::values::{parse_seconds, parse_size, ValueError};
use super::LoggingOptions;
use crate::secret::Secret;
use clap::Args;
use std::time::Duration;

/// Put a stdio MCP server on the network as a Streamable HTTP server.
#[derive(Debug, Args)]
pub struct ServeOptions {
    /// The address to listen on: loopback by default; 0.0.0.0 (or a
    /// host's address) to be reached from other machines.
    #[arg(long, value_name = "ADDRESS", default_value = "127.0.0.1")]
    pub host: String,

    /// The port to listen on.
    #[arg(long, short = 'p', value_name = "PORT", default_value = "8080")]
    pub port: u16,

    /// The path of the MCP endpoint.
    #[arg(long, value_name = "PATH", default_value = "/mcp", value_parser = parse_path)]
    pub path: String,

    /// Serve every stdio server of FILE, the mcpServers JSON that MCP
    /// clients use, each at /servers/NAME/mcp (with /servers listing
    /// them), instead of COMMAND. SIGHUP reads it again: servers added,
    /// changed or removed are started, restarted or ended; the others'
    /// sessions go on.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["command", "path", "shared"])]
    pub config: Option<std::path::PathBuf>,

    /// Accept requests a browser sends from this origin (e.g.
    /// https://app.example.com; repeatable). Others are refused with 403.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,

    /// Set KEY=VALUE in the server process's environment (repeatable);
    /// nothing from an HTTP request ever reaches it.
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env)]
    pub env: Vec<(String, Secret)>,

    /// The largest message accepted in either direction, in bytes (suffixes K, M, G).
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    pub max_message_size: usize,

    /// Run one server process for every session, instead of one each (for
    /// a server too heavy to start per client): ids are remapped so that
    /// answers never cross, and the server sees the first client's
    /// initialize only.
    #[arg(long)]
    pub shared: bool,

    /// How many sessions may be open at once; past it, 503 with Retry-After.
    #[arg(long, value_name = "N", default_value = "100")]
    pub max_sessions: usize,

    /// End a session (and its server process) idle this long.
    #[arg(long, value_name = "SECONDS", default_value = "1800", value_parser = parse_seconds)]
    pub idle_timeout: Duration,

    /// At shutdown, how long requests in flight may take to finish.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_seconds)]
    pub drain_timeout: Duration,

    /// Require `Authorization: Bearer KEY` with one of the keys in FILE (one
    /// a line; # starts a comment); anything else gets 401. Keep the file
    /// readable by its owner only.
    #[arg(long, value_name = "FILE", help_heading = "Authorization")]
    pub bearer_token_file: Option<std::path::PathBuf>,

    /// Accept access tokens (JWTs) this OAuth authorization server signs
    /// for this server (repeatable); its keys come from its metadata.
    /// Clients find it in /.well-known/oauth-protected-resource.
    #[arg(long = "auth-issuer", value_name = "URL", value_parser = parse_issuer, help_heading = "Authorization")]
    pub auth_issuer: Vec<String>,

    /// Ask this OAuth introspection endpoint (RFC 7662) about tokens that
    /// are not JWTs (or about every token, with no --auth-issuer), as the
    /// client --introspection-client-id.
    #[arg(long, value_name = "URL", value_parser = parse_issuer, requires = "introspection_client_id", help_heading = "Authorization")]
    pub introspection_url: Option<String>,

    /// This server's client id at the introspection endpoint.
    #[arg(
        long,
        value_name = "ID",
        requires = "introspection_url",
        help_heading = "Authorization"
    )]
    pub introspection_client_id: Option<String>,

    /// Its client secret (VALUE or @FILE; `${VAR}` is expanded).
    #[arg(
        long,
        value_name = "VALUE|@FILE",
        requires = "introspection_url",
        help_heading = "Authorization"
    )]
    pub introspection_client_secret: Option<Secret>,

    /// The URL clients reach this server by, when it is not the address it
    /// listens on (behind a proxy or TLS): its resource identifier and
    /// metadata are made from it.
    #[arg(long, value_name = "URL", value_parser = parse_public_url, help_heading = "Behind a proxy")]
    pub public_url: Option<String>,

    /// Believe X-Forwarded-For/-Proto/-Host/-Prefix and Forwarded (RFC
    /// 7239) from this address or network (e.g. 10.0.0.0/8; repeatable):
    /// the client's address for the log and, without --public-url, the
    /// URL clients used. From anyone else they are ignored.
    #[arg(long = "trusted-proxy", value_name = "ADDRESS[/BITS]", value_parser = parse_trusted_proxy, help_heading = "Behind a proxy")]
    pub trusted_proxy: Vec<ipnet::IpNet>,

    /// This replica's name, which starts every session id it makes
    /// (NAME.random), so that a load balancer routes a session's requests
    /// to the replica that holds it by the Mcp-Session-Id prefix.
    #[arg(long, value_name = "NAME", value_parser = parse_replica, help_heading = "Behind a proxy")]
    pub replica: Option<String>,

    /// The audience tokens must name [default: the public URL and --path].
    #[arg(long, value_name = "URI", help_heading = "Authorization")]
    pub audience: Option<String>,

    /// A scope every token must grant (repeatable); without it, 403
    /// insufficient_scope.
    #[arg(
        long = "require-scope",
        value_name = "SCOPE",
        help_heading = "Authorization"
    )]
    pub require_scope: Vec<String>,

    /// The scope a call of TOOL needs (repeatable); without it, 403
    /// insufficient_scope naming it, so that the client can step up.
    #[arg(long = "tool-scope", value_name = "TOOL=SCOPE", value_parser = parse_tool_scope, help_heading = "Authorization")]
    pub tool_scope: Vec<(String, String)>,

    /// Give each session's server process the token's CLAIM as the
    /// environment variable VAR (repeatable; e.g. sub=MCP_USER). Not with
    /// --shared, whose one process serves everyone.
    #[arg(long = "pass-claims-env", value_name = "CLAIM=VAR", value_parser = parse_claim_env, conflicts_with = "shared", help_heading = "Authorization")]
    pub pass_claims_env: Vec<(String, String)>,

    /// Where logs go and how many.
    #[command(flatten)]
    pub logging: LoggingOptions,

    /// The stdio MCP server to run for each session, after `--`.
    #[arg(value_name = "COMMAND", last = true, required_unless_present = "config", num_args = 1..)]
    pub command: Vec<String>,
}

/// `--path`: an absolute path.
fn parse_path(s: &str) -> Result<String, ValueError> {
    if s.starts_with('/') && !s.contains(['?', '#', ' ']) {
        Ok(s.to_owned())
    } else {
        Err(ValueError::Path(s.to_owned()))
    }
}

/// `--auth-issuer`: https, or http on loopback (a test's or a local
/// authorization server).
fn parse_issuer(s: &str) -> Result<String, ValueError> {
    let u = url::Url::parse(s).map_err(|_| ValueError::Issuer(s.to_owned()))?;
    let local = matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let ok = (u.scheme() == "https" || (u.scheme() == "http" && local))
        && u.query().is_none()
        && u.fragment().is_none();
    if ok {
        Ok(s.trim_end_matches('/').to_owned())
    } else {
        Err(ValueError::Issuer(s.to_owned()))
    }
}

/// `--public-url`: an http(s) URL with no query or fragment (a path is the
/// prefix a proxy serves this server under).
fn parse_public_url(s: &str) -> Result<String, ValueError> {
    let u = url::Url::parse(s).map_err(|_| ValueError::PublicUrl(s.to_owned()))?;
    let ok = matches!(u.scheme(), "http" | "https")
        && u.query().is_none()
        && u.fragment().is_none()
        && u.host_str().is_some();
    if ok {
        Ok(s.trim_end_matches('/').to_owned())
    } else {
        Err(ValueError::PublicUrl(s.to_owned()))
    }
}

/// `--trusted-proxy ADDRESS[/BITS]`.
fn parse_trusted_proxy(s: &str) -> Result<ipnet::IpNet, ValueError> {
    s.parse::<ipnet::IpNet>()
        .ok()
        .or_else(|| s.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
        .ok_or_else(|| ValueError::TrustedProxy(s.to_owned()))
}

/// `--replica NAME`: 1 to 32 letters, digits, `-` or `_`.
fn parse_replica(s: &str) -> Result<String, ValueError> {
    let ok = (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(s.to_owned())
    } else {
        Err(ValueError::Replica(s.to_owned()))
    }
}

/// `--pass-claims-env CLAIM=VAR`: VAR a portable variable name.
fn parse_claim_env(s: &str) -> Result<(String, String), ValueError> {
    match s.split_once('=') {
        Some((claim, var))
            if !claim.is_empty()
                && !var.is_empty()
                && !var.starts_with(|c: char| c.is_ascii_digit())
                && var.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
        {
            Ok((claim.to_owned(), var.to_owned()))
        }
        _ => Err(ValueError::ClaimEnv(s.to_owned())),
    }
}

/// `--tool-scope TOOL=SCOPE`.
fn parse_tool_scope(s: &str) -> Result<(String, String), ValueError> {
    match s.split_once('=') {
        Some((tool, scope))
            if !tool.is_empty() && !scope.is_empty() && !scope.contains([' ', '"', '\\']) =>
        {
            Ok((tool.to_owned(), scope.to_owned()))
        }
        _ => Err(ValueError::ToolScope(s.to_owned())),
    }
}

/// `--env KEY=VALUE`: the value is kept as a secret (an API key, often).
fn parse_env(s: &str) -> Result<(String, Secret), ValueError> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() && !k.contains(['\0', ' ']) => {
            Ok((k.to_owned(), Secret::from(v)))
        }
        _ => Err(ValueError::EnvPair),
    }
}
