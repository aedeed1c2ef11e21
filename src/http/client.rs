//! What shapes both HTTP clients (the MCP server's, [`super::wire`], and the
//! sign-in requests' reqwest client built here): proxies from the
//! environment, IPv4 only, and the timeouts the command line sets; trust
//! (the platform's store, `--ca-cert`, `SSL_CERT_FILE`) is
//! [`super::trust`]'s.

use super::trust::{extra_roots, refused_roots};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

/// TCP keep-alive probes on idle connections, so that a connection a
/// middlebox dropped without a word is noticed (and kept open where possible).
pub(super) const TCP_KEEPALIVE: Duration = Duration::from_secs(30);
/// HTTP/2 pings on idle connections, for the same reasons.
pub(super) const H2_KEEPALIVE: Duration = Duration::from_secs(30);
/// What the bridge calls itself.
pub(super) const USER_AGENT: &str = concat!("mcp-bridge/", env!("CARGO_PKG_VERSION"));
/// Hosts never sent through a proxy: a proxy cannot reach this machine's loopback.
const LOOPBACK: &str = "localhost,127.0.0.0/8,::1";

/// What `localhost` means, whatever the resolver says: this machine on
/// either loopback address (RFC 6761, 6.3), IPv4 first. Windows names `::1`
/// first, and a hosts file may name only one of them, while local servers
/// often listen on the other; the MCP client, the start window's TCP try
/// and `doctor` all try both.
pub const LOCALHOST: [IpAddr; 2] = [
    IpAddr::V4(Ipv4Addr::LOCALHOST),
    IpAddr::V6(Ipv6Addr::LOCALHOST),
];

/// The addresses to try for `host`: [`LOCALHOST`] for `localhost`, else
/// what the resolver answers.
pub async fn addresses(host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(LOCALHOST.map(|ip| SocketAddr::new(ip, port)).to_vec());
    }
    Ok(tokio::net::lookup_host((host, port)).await?.collect())
}

/// What shapes the HTTP client, from the command line.
#[derive(Debug, Clone, Default)]
pub struct NetConfig {
    /// `--connect-timeout`; zero for none.
    pub connect_timeout: Duration,
    /// `--body-timeout`; zero for none.
    pub body_timeout: Duration,
    /// `--ipv4`.
    pub ipv4: bool,
    /// `--no-proxy`: ignore the proxy variables.
    pub no_proxy: bool,
    /// `--ca-cert` files.
    pub ca_certs: Vec<PathBuf>,
}

/// What the environment says about proxies, read once.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    /// For http URLs, and which variable said so.
    pub http: Option<(String, &'static str)>,
    /// For https URLs, and which variable said so.
    pub https: Option<(String, &'static str)>,
    /// Hosts to reach directly (NO_PROXY), with loopback added.
    pub no_proxy: String,
}

impl ProxyEnv {
    /// Read HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY (either case,
    /// upper first; HTTP_PROXY is not read in a CGI request, as curl does).
    pub fn read(env: &dyn Fn(&str) -> Option<String>) -> ProxyEnv {
        let first = |names: &[&'static str]| {
            names.iter().find_map(|n| {
                env(n)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (v.trim().to_owned(), *n))
            })
        };
        let cgi = env("REQUEST_METHOD").is_some();
        let all = first(&["ALL_PROXY", "all_proxy"]);
        let http = if cgi {
            first(&["http_proxy"])
        } else {
            first(&["HTTP_PROXY", "http_proxy"])
        }
        .or_else(|| all.clone());
        let https = first(&["HTTPS_PROXY", "https_proxy"]).or(all);
        let mut no_proxy = first(&["NO_PROXY", "no_proxy"])
            .map(|(v, _)| v)
            .unwrap_or_default();
        if no_proxy.trim() != "*" {
            if !no_proxy.is_empty() {
                no_proxy.push(',');
            }
            no_proxy.push_str(LOOPBACK);
        }
        ProxyEnv {
            http,
            https,
            no_proxy,
        }
    }

    /// The proxies' host names.
    fn hosts(&self) -> Vec<String> {
        [&self.http, &self.https]
            .into_iter()
            .flatten()
            .filter_map(|(raw, _)| proxy_url(raw).ok()?.host_str().map(str::to_owned))
            .collect()
    }

    /// The proxy variable for `url`'s scheme (its value and name), and the
    /// `NO_PROXY` entry that sends `url`'s host direct all the same, if one
    /// does; `None` when no variable names a proxy for that scheme.
    pub fn route(&self, url: &url::Url) -> Option<(&(String, &'static str), Option<String>)> {
        let wanted = if url.scheme() == "https" {
            &self.https
        } else {
            &self.http
        };
        let p = wanted.as_ref()?;
        Some((
            p,
            bypassed(url.host_str().unwrap_or_default(), &self.no_proxy),
        ))
    }

    /// An error naming the variable (never its value, which may hold a
    /// password) when one holds no proxy URL; the proxies used, logged.
    pub fn check(&self) -> Result<(), ClientError> {
        self.proxies().map(|_| ())
    }

    /// The proxies for reqwest, or an error naming the variable (never its
    /// value, which may hold a password).
    fn proxies(&self) -> Result<Vec<reqwest::Proxy>, ClientError> {
        let mut out = Vec::new();
        let no = || reqwest::NoProxy::from_string(&self.no_proxy);
        if let Some((url, var)) = &self.http {
            let p = reqwest::Proxy::http(url.as_str()).map_err(|e| ClientError::Proxy {
                var,
                source: e.without_url(),
            })?;
            tracing::info!("http requests go through the proxy {} ({var})", shown(url));
            out.push(p.no_proxy(no()));
        }
        if let Some((url, var)) = &self.https {
            let p = reqwest::Proxy::https(url.as_str()).map_err(|e| ClientError::Proxy {
                var,
                source: e.without_url(),
            })?;
            tracing::info!("https requests go through the proxy {} ({var})", shown(url));
            out.push(p.no_proxy(no()));
        }
        Ok(out)
    }
}

/// The `NO_PROXY` entry that sends `host` direct, if one does (as curl reads
/// it: `*`, a name and its subdomains, an address, or an address range).
pub fn bypassed(host: &str, no_proxy: &str) -> Option<String> {
    let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
    let ip: Option<IpAddr> = host.parse().ok();
    no_proxy
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .find(|entry| {
            if *entry == "*" {
                return true;
            }
            let e = entry
                .trim_start_matches('*')
                .trim_start_matches('.')
                .to_ascii_lowercase();
            match (ip, e.split_once('/')) {
                (Some(ip), Some((net, bits))) => in_range(ip, net, bits),
                (Some(ip), None) => e.parse::<IpAddr>().is_ok_and(|x| x == ip),
                (None, _) => host == e || host.ends_with(&format!(".{e}")),
            }
        })
        .map(str::to_owned)
}

/// Whether `ip` is in `net`/`bits`.
fn in_range(ip: IpAddr, net: &str, bits: &str) -> bool {
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// The host and port a request to `url` connects to first: the proxy's,
/// when one applies (`no_proxy`: `--no-proxy`), else the server's.
pub fn first_hop(
    url: &url::Url,
    no_proxy: bool,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<(String, u16)> {
    let found = if no_proxy {
        ProxyEnv::default()
    } else {
        ProxyEnv::read(env)
    };
    let target = match found.route(url) {
        Some(((raw, _), None)) => proxy_url(raw).ok()?,
        _ => url.clone(),
    };
    let host = target.host_str()?.trim_matches(['[', ']']).to_owned();
    Some((host, target.port_or_known_default()?))
}

/// A proxy variable's value as a URL (`host:port` means http).
pub fn proxy_url(raw: &str) -> Result<url::Url, url::ParseError> {
    if raw.contains("://") {
        url::Url::parse(raw)
    } else {
        url::Url::parse(&format!("http://{raw}"))
    }
}

/// A proxy URL for the log, without its user name and password.
fn shown(raw: &str) -> String {
    match proxy_url(raw) {
        Ok(u) => crate::url_policy::redact_userinfo(&u),
        Err(_) => "(unparsable)".into(),
    }
}

/// Why the HTTP client cannot be built as the command line and the
/// environment ask. Each is the user's to fix: the exit code says usage.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A proxy variable that holds no proxy URL (its name; never its value,
    /// which may hold a password).
    #[error("{var} is not a proxy URL")]
    Proxy {
        /// `HTTPS_PROXY`, `http_proxy`, ...
        var: &'static str,
        /// reqwest's reason, without the URL.
        source: reqwest::Error,
    },
    /// A CA file that cannot be read (`from`: `--ca-cert` or `SSL_CERT_FILE`).
    #[error("{from} {}: cannot read it", path.display())]
    CaUnreadable {
        /// Which option or variable named it.
        from: &'static str,
        /// The file.
        path: std::path::PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A CA file with no PEM certificate in it.
    #[error("{from} {}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)", path.display())]
    CaNotPem {
        /// Which option or variable named it.
        from: &'static str,
        /// The file.
        path: std::path::PathBuf,
    },
    /// reqwest could not build the client. The message holds its innermost
    /// words, the ones a person can act on, so it is not `source()`.
    #[error("cannot set up HTTP: {}", super::error::root_cause(.0))]
    SetUp(reqwest::Error),
    /// TLS could not be set up (the platform's verifier, rustls).
    #[error("cannot set up TLS")]
    Tls(#[source] rustls::Error),
}

/// The sign-in requests' HTTP client: rustls with the platform's trust
/// store (plus any CA the user adds), HTTP/2 where the server offers it, no
/// timeout on whole requests, keep-alive probes on idle connections,
/// proxies from the environment unless `--no-proxy`, no redirect followed
/// (the 3xx answer comes back as it is), and every address a name resolves
/// to held to `reach` (the proxies' own names excepted).
pub fn client(
    opts: &NetConfig,
    env: &dyn Fn(&str) -> Option<String>,
    reach: &std::sync::Arc<super::reach::Reach>,
) -> Result<reqwest::Client, ClientError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (roots, named) = extra_roots(opts, env)?;
    if roots.is_empty() {
        return builder(opts, env, reach)?
            .build()
            .map_err(ClientError::SetUp);
    }
    let certs = roots
        .iter()
        .filter_map(|d| reqwest::Certificate::from_der(d).ok());
    match builder(opts, env, reach)?.tls_certs_merge(certs).build() {
        Ok(c) => Ok(c),
        Err(e) => {
            let client = builder(opts, env, reach)?
                .build()
                .map_err(ClientError::SetUp)?;
            refused_roots(&named, &super::error::root_cause(&e));
            Ok(client)
        }
    }
}

/// The client's settings but for the added CAs.
fn builder(
    opts: &NetConfig,
    env: &dyn Fn(&str) -> Option<String>,
    reach: &std::sync::Arc<super::reach::Reach>,
) -> Result<reqwest::ClientBuilder, ClientError> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // The URL (and its query, which may hold a key) never goes along.
        .referer(false)
        .user_agent(USER_AGENT)
        .tcp_nodelay(true)
        .tcp_keepalive(TCP_KEEPALIVE)
        .tcp_keepalive_interval(Duration::from_secs(10))
        .tcp_keepalive_retries(3)
        .http2_keep_alive_interval(H2_KEEPALIVE)
        .http2_keep_alive_timeout(Duration::from_secs(20))
        .http2_keep_alive_while_idle(true)
        // The environment is read here, not by reqwest, so loopback is
        // never proxied and the user sees which variable was used.
        .no_proxy();
    if !opts.connect_timeout.is_zero() {
        builder = builder.connect_timeout(opts.connect_timeout);
    }
    if !opts.body_timeout.is_zero() {
        builder = builder.read_timeout(opts.body_timeout);
    }
    if opts.ipv4 {
        builder = builder.local_address(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    }
    let proxies = if opts.no_proxy {
        ProxyEnv::default()
    } else {
        ProxyEnv::read(env)
    };
    for p in proxies.proxies()? {
        builder = builder.proxy(p);
    }
    builder = builder.dns_resolver(std::sync::Arc::new(super::reach::Resolver {
        reach: std::sync::Arc::clone(reach),
        exempt: proxies.hosts(),
    }));
    Ok(builder)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn proxy_variables_are_read_as_curl_does() {
        let e = ProxyEnv::read(&env_of(&[
            ("HTTPS_PROXY", "http://p.example:3128"),
            ("http_proxy", "http://q.example:8080"),
            ("NO_PROXY", "internal.example"),
        ]));
        assert_eq!(
            e.https,
            Some(("http://p.example:3128".into(), "HTTPS_PROXY"))
        );
        assert_eq!(e.http, Some(("http://q.example:8080".into(), "http_proxy")));
        assert_eq!(e.no_proxy, format!("internal.example,{LOOPBACK}"));

        let all = ProxyEnv::read(&env_of(&[("ALL_PROXY", "http://a.example:1")]));
        assert_eq!(all.http.as_ref().unwrap().1, "ALL_PROXY");
        assert_eq!(all.https.as_ref().unwrap().1, "ALL_PROXY");
        assert_eq!(all.no_proxy, LOOPBACK);

        let cgi = ProxyEnv::read(&env_of(&[
            ("REQUEST_METHOD", "GET"),
            ("HTTP_PROXY", "http://attacker.example"),
        ]));
        assert_eq!(cgi.http, None);
        assert_eq!(
            ProxyEnv::read(&env_of(&[])),
            ProxyEnv {
                no_proxy: LOOPBACK.into(),
                ..ProxyEnv::default()
            }
        );
    }

    #[test]
    fn no_proxy_is_read_as_curl_reads_it() {
        let list = "*.internal.example, corp.example,10.0.0.0/8,::1,127.0.0.0/8";
        assert_eq!(
            bypassed("a.corp.example", list).as_deref(),
            Some("corp.example")
        );
        assert_eq!(
            bypassed("corp.example", list).as_deref(),
            Some("corp.example")
        );
        assert_eq!(bypassed("notcorp.example", list), None);
        assert_eq!(bypassed("10.2.3.4", list).as_deref(), Some("10.0.0.0/8"));
        assert_eq!(bypassed("11.2.3.4", list), None);
        assert_eq!(bypassed("[::1]", list).as_deref(), Some("::1"));
        assert_eq!(bypassed("127.0.0.2", list).as_deref(), Some("127.0.0.0/8"));
        assert_eq!(
            bypassed("x.internal.example", list).as_deref(),
            Some("*.internal.example")
        );
        assert_eq!(bypassed("anything", "*").as_deref(), Some("*"));
    }

    #[test]
    fn the_first_hop_is_the_proxy_unless_no_proxy_sends_the_host_direct() {
        let url = url::Url::parse("https://mcp.example/mcp").unwrap();
        let env = env_of(&[
            ("HTTPS_PROXY", "p.example:3128"),
            ("NO_PROXY", "direct.example"),
        ]);
        assert_eq!(
            first_hop(&url, false, &env),
            Some(("p.example".into(), 3128))
        );
        assert_eq!(
            first_hop(&url, true, &env),
            Some(("mcp.example".into(), 443))
        );
        let direct = url::Url::parse("https://a.direct.example:8443/mcp").unwrap();
        assert_eq!(
            first_hop(&direct, false, &env),
            Some(("a.direct.example".into(), 8443))
        );
        let local = url::Url::parse("http://127.0.0.1:9/mcp").unwrap();
        let env = env_of(&[("HTTP_PROXY", "p.example:3128")]);
        assert_eq!(
            first_hop(&local, false, &env),
            Some(("127.0.0.1".into(), 9))
        );
    }

    #[test]
    fn proxy_passwords_stay_out_of_logs_and_errors() {
        assert!(!shown("http://user:hunter2@p.example:3128").contains("hunter2"));
        assert!(!shown("user:hunter2@p.example:3128").contains("hunter2"));
        let bad = ProxyEnv {
            https: Some(("http://user:hunter2@[bad".into(), "HTTPS_PROXY")),
            ..ProxyEnv::default()
        };
        let e = bad.proxies().unwrap_err().to_string();
        assert!(e.contains("HTTPS_PROXY") && !e.contains("hunter2"), "{e}");
    }
}
