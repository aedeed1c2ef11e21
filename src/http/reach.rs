//! Where OAuth requests may connect. Every metadata, registration, token and
//! device URL comes from the server (or from metadata a server names), so a
//! hostile one could aim the bridge at this machine's neighbours: a cloud
//! metadata service at 169.254.169.254, an admin page on 10.0.0.1. Private,
//! link-local, unique-local and loopback addresses are reached only when the
//! MCP server itself is on such an address (a company-internal server may
//! well use internal sign-in) or `--allow-private-auth` says so; the
//! unspecified and multicast addresses never.
//!
//! The check runs on resolved addresses: [`Resolver`] is reqwest's name
//! resolver for the OAuth client and drops every address the policy refuses,
//! so a name that points inside the network cannot pass. Addresses written in
//! the URL are never resolved, so [`Guarded::check`] checks them before the
//! request is sent. Behind a proxy the proxy resolves names (the proxy's own
//! name is exempt): the literal check still holds there.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use url::{Host, Url};

/// What kind of address an IP address is, for the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Anywhere on the internet.
    Public,
    /// This machine.
    Loopback,
    /// RFC 1918, shared address space (RFC 6598), unique-local (fc00::/7).
    Private,
    /// 169.254.0.0/16 and fe80::/10: cloud metadata services live here.
    LinkLocal,
    /// Unspecified, multicast, broadcast, reserved: never a server.
    Never,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::Public => "a public address",
            Class::Loopback => "a loopback address",
            Class::Private => "a private address",
            Class::LinkLocal => "a link-local address",
            Class::Never => "an address no server has",
        }
    }
}

/// The class of `ip`; IPv4 addresses inside IPv6 (mapped, or the NAT64
/// well-known prefix) count as the IPv4 address they carry.
pub fn classify(ip: IpAddr) -> Class {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Class {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Class::Loopback
    } else if ip.is_unspecified() || ip.is_multicast() || ip.is_broadcast() || a >= 240 || a == 0 {
        Class::Never
    } else if ip.is_link_local() {
        Class::LinkLocal
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        Class::Private
    } else {
        Class::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> Class {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let s = ip.segments();
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        let [a, b] = s[6].to_be_bytes();
        let [c, d] = s[7].to_be_bytes();
        return classify_v4(Ipv4Addr::new(a, b, c, d));
    }
    if ip.is_loopback() {
        Class::Loopback
    } else if ip.is_unspecified() || ip.is_multicast() {
        Class::Never
    } else if s[0] & 0xffc0 == 0xfe80 {
        Class::LinkLocal
    } else if s[0] & 0xfe00 == 0xfc00 || s[0] & 0xffc0 == 0xfec0 {
        // Unique-local, and the deprecated site-local.
        Class::Private
    } else {
        Class::Public
    }
}

/// Whether an address of `class` may be reached when the MCP server is on
/// addresses of `server`'s classes.
pub fn permitted(class: Class, server: &[Class], allow_private: bool) -> bool {
    match class {
        Class::Public => true,
        Class::Never => false,
        Class::Loopback | Class::Private | Class::LinkLocal => {
            allow_private || server.contains(&class)
        }
    }
}

/// The policy for one MCP server.
pub struct Reach {
    server: Url,
    allow_private: bool,
    /// The classes of the MCP server's addresses, found once.
    server_classes: tokio::sync::OnceCell<Vec<Class>>,
}

impl Reach {
    /// The policy for requests made on behalf of `server`.
    pub fn new(server: &Url, allow_private: bool) -> Arc<Reach> {
        Arc::new(Reach {
            server: server.clone(),
            allow_private,
            server_classes: tokio::sync::OnceCell::new(),
        })
    }

    /// The classes of the addresses the MCP server is on (none known when
    /// its name does not resolve here, as behind a proxy: then only public
    /// addresses are reached).
    async fn server_classes(&self) -> &[Class] {
        self.server_classes
            .get_or_init(|| async {
                let port = self.server.port_or_known_default().unwrap_or(443);
                let mut classes: Vec<Class> = match self.server.host() {
                    Some(Host::Ipv4(ip)) => vec![classify(ip.into())],
                    Some(Host::Ipv6(ip)) => vec![classify(ip.into())],
                    Some(Host::Domain(name)) => tokio::net::lookup_host((name, port))
                        .await
                        .map(|addrs| addrs.map(|a| classify(a.ip())).collect())
                        .unwrap_or_default(),
                    None => Vec::new(),
                };
                classes.dedup();
                classes
            })
            .await
    }

    /// Why `ip` (written as `host`) may not be reached, if it may not.
    async fn refusal(&self, host: &str, ip: IpAddr) -> Option<String> {
        let class = classify(ip);
        if permitted(class, self.server_classes().await, self.allow_private) {
            return None;
        }
        let how = if class == Class::Never {
            String::new()
        } else {
            "; an authorization server there is reached only when the MCP server is on such an address too, or with --allow-private-auth".into()
        };
        let at = if host == ip.to_string() {
            String::new()
        } else {
            format!(" ({ip})")
        };
        Some(format!("{host}{at} is {}{how}", class.name()))
    }
}

/// reqwest's name resolver for the OAuth client: the system's resolver,
/// with every address the policy refuses dropped.
pub struct Resolver {
    /// The policy.
    pub reach: Arc<Reach>,
    /// Proxy host names: the user's own, resolved as they are.
    pub exempt: Vec<String>,
}

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let reach = Arc::clone(&self.reach);
        let exempt = self
            .exempt
            .iter()
            .any(|e| e.eq_ignore_ascii_case(name.as_str()));
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if exempt {
                return Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs);
            }
            let mut kept = Vec::new();
            let mut refused = None;
            for addr in found {
                match reach.refusal(&host, addr.ip()).await {
                    None => kept.push(addr),
                    Some(why) => refused = refused.or(Some(why)),
                }
            }
            match (kept.is_empty(), refused) {
                (true, Some(why)) => Err(why.into()),
                _ => Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs),
            }
        })
    }
}

/// The HTTP client for OAuth requests: built the first time one is made
/// (most starts never sign in, and building a client, its trust store,
/// costs about as much as the rest of the start), with the [`Reach`] policy
/// on every address it connects to.
pub struct Guarded {
    client: std::sync::OnceLock<reqwest::Client>,
    build: Box<dyn Fn() -> reqwest::Client + Send + Sync>,
    reach: Option<Arc<Reach>>,
}

impl Guarded {
    /// A client that `build` makes when first needed, held to `reach`
    /// (which `build` should also hand reqwest as its [`Resolver`]).
    pub fn new(
        reach: Option<Arc<Reach>>,
        build: impl Fn() -> reqwest::Client + Send + Sync + 'static,
    ) -> Self {
        Guarded {
            client: std::sync::OnceLock::new(),
            build: Box::new(build),
            reach,
        }
    }

    /// Refuse a URL whose host is an address the policy refuses (names are
    /// checked by the resolver, after resolution).
    pub async fn check(&self, url: &Url) -> Result<(), Refusal> {
        let Some(reach) = &self.reach else {
            return Ok(());
        };
        let ip: IpAddr = match url.host() {
            Some(Host::Ipv4(ip)) => ip.into(),
            Some(Host::Ipv6(ip)) => ip.into(),
            _ => return Ok(()),
        };
        let host = url.host_str().unwrap_or_default();
        match reach.refusal(host, ip).await {
            None => Ok(()),
            Some(why) => Err(Refusal {
                url: url.to_string(),
                why,
            }),
        }
    }
}

/// A sign-in URL whose address the policy refuses.
#[derive(Debug, thiserror::Error)]
#[error("will not connect to {url}: {why}")]
pub struct Refusal {
    url: String,
    why: String,
}

impl std::ops::Deref for Guarded {
    type Target = reqwest::Client;
    fn deref(&self) -> &reqwest::Client {
        self.client.get_or_init(|| (self.build)())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Class {
        classify(s.parse().unwrap())
    }

    #[test]
    fn addresses_are_classed() {
        for (ip, want) in [
            ("8.8.8.8", Class::Public),
            ("2001:4860::8888", Class::Public),
            ("127.0.0.1", Class::Loopback),
            ("127.9.9.9", Class::Loopback),
            ("::1", Class::Loopback),
            ("10.1.2.3", Class::Private),
            ("172.16.0.1", Class::Private),
            ("172.31.255.255", Class::Private),
            ("172.32.0.1", Class::Public),
            ("192.168.1.1", Class::Private),
            ("100.64.0.1", Class::Private),
            ("100.128.0.1", Class::Public),
            ("fd12:3456::1", Class::Private),
            ("fc00::1", Class::Private),
            ("169.254.169.254", Class::LinkLocal),
            ("fe80::1", Class::LinkLocal),
            ("0.0.0.0", Class::Never),
            ("0.1.2.3", Class::Never),
            ("::", Class::Never),
            ("224.0.0.1", Class::Never),
            ("ff02::1", Class::Never),
            ("255.255.255.255", Class::Never),
            ("240.0.0.1", Class::Never),
            // IPv4 inside IPv6 is the IPv4 address it carries.
            ("::ffff:169.254.169.254", Class::LinkLocal),
            ("::ffff:10.0.0.1", Class::Private),
            ("::ffff:127.0.0.1", Class::Loopback),
            ("64:ff9b::a9fe:a9fe", Class::LinkLocal),
            ("64:ff9b::808:808", Class::Public),
        ] {
            assert_eq!(c(ip), want, "{ip}");
        }
    }

    #[test]
    fn internal_addresses_only_for_internal_servers_or_when_allowed() {
        use Class::*;
        // A public server: only public authorization servers.
        for class in [Loopback, Private, LinkLocal, Never] {
            assert!(!permitted(class, &[Public], false), "{class:?}");
        }
        assert!(permitted(Public, &[Public], false));
        // A server on a private address may use a private one, not loopback
        // nor link-local.
        assert!(permitted(Private, &[Private], false));
        assert!(!permitted(Loopback, &[Private], false));
        assert!(!permitted(LinkLocal, &[Private], false));
        // Loopback only when the server is loopback.
        assert!(permitted(Loopback, &[Loopback], false));
        assert!(!permitted(Private, &[Loopback], false));
        // An unknown server (its name does not resolve here): public only.
        assert!(!permitted(Private, &[], false));
        // --allow-private-auth opens all internal classes, never the rest.
        for class in [Loopback, Private, LinkLocal, Public] {
            assert!(permitted(class, &[Public], true), "{class:?}");
        }
        assert!(!permitted(Never, &[Public], true));
        assert!(!permitted(Never, &[Never], true));
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    fn guarded(server: &str, allow: bool) -> Guarded {
        let reach = Reach::new(&Url::parse(server).unwrap(), allow);
        Guarded::new(Some(reach), reqwest::Client::new)
    }

    #[test]
    fn literal_addresses_in_urls_are_checked() {
        let rt = rt();
        let g = guarded("https://203.0.113.7/mcp", false);
        let u = |s: &str| Url::parse(s).unwrap();
        let e = rt
            .block_on(g.check(&u("https://169.254.169.254/latest/meta-data")))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("169.254.169.254 is a link-local address")
                && e.contains("--allow-private-auth"),
            "{e}"
        );
        assert!(rt.block_on(g.check(&u("https://[fd00::1]/token"))).is_err());
        assert!(rt
            .block_on(g.check(&u("https://[::ffff:10.0.0.1]/")))
            .is_err());
        assert!(rt.block_on(g.check(&u("https://0.0.0.0/"))).is_err());
        assert!(rt
            .block_on(g.check(&u("https://198.51.100.1/token")))
            .is_ok());
        // Names are the resolver's business.
        assert!(rt
            .block_on(g.check(&u("https://auth.example/token")))
            .is_ok());

        // A server on a private address may use a private authorization server.
        let internal = guarded("https://10.0.0.5/mcp", false);
        assert!(rt
            .block_on(internal.check(&u("https://10.0.0.9/token")))
            .is_ok());
        assert!(rt
            .block_on(internal.check(&u("https://169.254.169.254/")))
            .is_err());
        let allowed = guarded("https://203.0.113.7/mcp", true);
        assert!(rt
            .block_on(allowed.check(&u("https://10.0.0.9/token")))
            .is_ok());
        // A loopback server named by its name: resolved to loopback.
        let local = guarded("http://localhost:9/mcp", false);
        assert!(rt
            .block_on(local.check(&u("http://127.0.0.1:9/token")))
            .is_ok());
    }

    #[test]
    fn the_resolver_drops_refused_addresses() {
        use reqwest::dns::Resolve;
        let rt = rt();
        let server = Url::parse("https://203.0.113.7/mcp").unwrap();
        let strict = Resolver {
            reach: Reach::new(&server, false),
            exempt: Vec::new(),
        };
        let e = rt
            .block_on(strict.resolve("localhost".parse().unwrap()))
            .err()
            .expect("localhost refused for a public server")
            .to_string();
        assert!(e.contains("is a loopback address"), "{e}");
        // A proxy's own name is resolved as it is.
        let proxied = Resolver {
            reach: Reach::new(&server, false),
            exempt: vec!["LocalHost".into()],
        };
        let addrs: Vec<_> = rt
            .block_on(proxied.resolve("localhost".parse().unwrap()))
            .unwrap()
            .collect();
        assert!(!addrs.is_empty());
        let local = Resolver {
            reach: Reach::new(&Url::parse("http://127.0.0.1:1/mcp").unwrap(), false),
            exempt: Vec::new(),
        };
        assert!(rt
            .block_on(local.resolve("localhost".parse().unwrap()))
            .is_ok());
    }
}
