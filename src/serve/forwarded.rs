//! Who sent a request, and by what URL, when it came through a proxy:
//! `X-Forwarded-For`/`-Proto`/`-Host`/`-Prefix`, or `Forwarded` (RFC
//! 7239), believed only when the connection comes from a `--trusted-proxy`
//! address. From anyone else they are ignored: a client that writes them
//! itself changes nothing.
//!
//! From a trusted proxy:
//! - the client is the nearest address of `X-Forwarded-For` (or the
//!   `for=` of `Forwarded`) that is not itself a trusted proxy, reading
//!   from the right, where each proxy appends; it is logged;
//! - the scheme, host and path prefix the client used make this server's
//!   public URL for that request, when `--public-url` does not fix it (its
//!   metadata, challenges, DPoP's `htu`, the HTTP+SSE endpoint). The proxy
//!   sets these, rather than append to what the client sent; the first
//!   value is taken, and one that is not a plain scheme, host or path is
//!   ignored;
//! - the `Host` check against DNS rebinding is the proxy's: it chose, by
//!   name, to send the request here. The `Origin` check stays.

use hyper::header::HeaderMap;
use std::net::IpAddr;

/// The longest forwarding header read.
const MAX_HEADER: usize = 4096;

/// The `--trusted-proxy` addresses and networks.
#[derive(Debug, Clone, Default)]
pub struct Trusted(Vec<ipnet::IpNet>);

impl Trusted {
    /// From `--trusted-proxy` values.
    pub fn new(nets: Vec<ipnet::IpNet>) -> Trusted {
        Trusted(nets)
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|n| n.contains(&ip))
    }
}

/// Where a request came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Via {
    /// The client's address: the peer, or as a trusted proxy said.
    pub client: IpAddr,
    /// Whether the peer is a trusted proxy.
    pub proxied: bool,
    /// The URL the client used, up to this server's paths (scheme, host,
    /// a proxy's prefix), as a trusted proxy said.
    pub public: Option<String>,
}

impl Via {
    /// A request straight from `peer`.
    pub fn direct(peer: IpAddr) -> Via {
        Via {
            client: peer.to_canonical(),
            proxied: false,
            public: None,
        }
    }
}

/// Where the request with `headers` from `peer` came from.
pub fn read(headers: &HeaderMap, peer: IpAddr, trusted: &Trusted) -> Via {
    if !trusted.contains(peer) {
        return Via::direct(peer);
    }
    let x = |name: &str| header(headers, name);
    let forwarded = x("forwarded");
    let pairs = forwarded.as_deref().map(rfc7239).unwrap_or_default();
    let param = |key: &str| {
        pairs
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    // The hops, nearest last.
    let hops: Vec<String> = match x("x-forwarded-for") {
        Some(v) => v.split(',').map(|h| h.trim().to_owned()).collect(),
        None => param("for"),
    };
    let client = hops
        .iter()
        .rev()
        .map(|h| address(h))
        .take_while(Option::is_some)
        .flatten()
        .find(|ip| !trusted.contains(*ip))
        .unwrap_or(peer)
        .to_canonical();
    let first = |x_name: &str, key: &str| {
        x(x_name)
            .map(|v| v.split(',').next().unwrap_or_default().trim().to_owned())
            .or_else(|| param(key).into_iter().next())
    };
    let proto = first("x-forwarded-proto", "proto").map(|p| p.to_ascii_lowercase());
    let host = first("x-forwarded-host", "host");
    let prefix = x("x-forwarded-prefix").unwrap_or_default();
    let public = match (proto, host) {
        (None, None) => None,
        (proto, host) => public_url(
            proto.as_deref().unwrap_or("http"),
            host.or_else(|| header(headers, "host")).as_deref(),
            prefix.trim(),
        ),
    };
    Via {
        client,
        proxied: true,
        public,
    }
}

/// A header's value as text, when it is short enough.
fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    let v = headers.get(name)?;
    (v.len() <= MAX_HEADER)
        .then(|| v.to_str().ok().map(str::to_owned))
        .flatten()
}

/// `scheme://host/prefix`, when each part is what it says.
fn public_url(proto: &str, host: Option<&str>, prefix: &str) -> Option<String> {
    let host = host?;
    let plain_host = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    let plain_prefix = prefix.is_empty()
        || (prefix.starts_with('/')
            && prefix.len() <= 256
            && prefix.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~')
            })
            && !prefix.split('/').any(|s| s == ".."));
    if !matches!(proto, "http" | "https") || !plain_host || !plain_prefix {
        tracing::warn!("ignored forwarding headers that are not a plain scheme, host and prefix");
        return None;
    }
    let url = url::Url::parse(&format!("{proto}://{host}")).ok()?;
    let host = url.host_str()?;
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    Some(format!(
        "{proto}://{host}{port}{}",
        prefix.trim_end_matches('/')
    ))
}

/// The `key=value` pairs of a `Forwarded` header, in order (RFC 7239, 4).
fn rfc7239(v: &str) -> Vec<(String, String)> {
    v.split([',', ';'])
        .filter_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            Some((k.trim().to_owned(), v.trim().trim_matches('"').to_owned()))
        })
        .collect()
}

/// The address of a hop: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`
/// or `[2001:db8::1]:4711`; `None` for `unknown` or an obfuscated name.
fn address(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    hop.rsplit_once(':')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn trusted() -> Trusted {
        Trusted::new(vec![
            "127.0.0.1/32".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ])
    }

    #[test]
    fn an_untrusted_peer_s_forwarding_headers_change_nothing() {
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("x-forwarded-host", "evil.example"),
            ("x-forwarded-proto", "https"),
        ]);
        let peer: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(read(&h, peer, &trusted()), Via::direct(peer));
        assert_eq!(read(&h, peer, &Trusted::default()), Via::direct(peer));
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_the_url_it_used() {
        let h = headers(&[
            // The client's own claim, then what two proxies appended.
            ("x-forwarded-for", "198.51.100.1, 203.0.113.9, 10.1.2.3"),
            ("x-forwarded-host", "MCP.example.com"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-prefix", "/team/"),
        ]);
        let via = read(&h, "127.0.0.1".parse().unwrap(), &trusted());
        assert_eq!(via.client, "203.0.113.9".parse::<IpAddr>().unwrap());
        assert!(via.proxied);
        assert_eq!(via.public.as_deref(), Some("https://mcp.example.com/team"));
        // IPv4 in IPv6, as a dual-stack listener sees it.
        let v6: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        assert!(read(&h, v6, &trusted()).proxied);
    }

    #[test]
    fn forwarded_of_rfc_7239_is_read_too() {
        let h = headers(&[(
            "forwarded",
            r#"for=198.51.100.17;proto=https;host=tools.example:8443, for="[2001:db8::2]:4711""#,
        )]);
        let via = read(&h, "10.0.0.5".parse().unwrap(), &trusted());
        assert_eq!(via.client, "2001:db8::2".parse::<IpAddr>().unwrap());
        assert_eq!(via.public.as_deref(), Some("https://tools.example:8443"));
    }

    #[test]
    fn what_is_not_a_plain_url_part_is_ignored() {
        for (name, value) in [
            ("x-forwarded-host", "evil.example/path"),
            ("x-forwarded-host", "user@evil.example"),
            ("x-forwarded-proto", "javascript"),
            ("x-forwarded-prefix", "/a/../b"),
            ("x-forwarded-prefix", "/a?b"),
        ] {
            let h = if name == "x-forwarded-host" {
                headers(&[(name, value)])
            } else {
                headers(&[("x-forwarded-host", "ok.example"), (name, value)])
            };
            let via = read(&h, "127.0.0.1".parse().unwrap(), &trusted());
            assert_eq!(via.public, None, "{name}: {value}");
        }
        // No address to be had: the peer.
        let h = headers(&[("x-forwarded-for", "unknown")]);
        let via = read(&h, "127.0.0.1".parse().unwrap(), &trusted());
        assert_eq!(via.client, "127.0.0.1".parse::<IpAddr>().unwrap());
    }
}
