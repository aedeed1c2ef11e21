//! The guard against DNS rebinding, first on every request to an MCP path:
//! a `Host` this server answers to when it listens on loopback, and an
//! `Origin` (when a browser sends one) of its own or one `--allow-origin`
//! names. Anything else gets 403.

use super::reply::{rpc_error, Body};
use super::{Front, Via};
use hyper::body::Incoming;
use hyper::header::{HOST, ORIGIN};
use hyper::{Request, Response, StatusCode};
use std::net::SocketAddr;

/// This server's own `host:port` names: the address it is bound to, on
/// loopback `localhost` too, and the host of the URL clients reach it by
/// (`--public-url`, behind a proxy that passes their `Host` on). A `Host`
/// without a port is taken for the scheme's default port.
pub(super) fn own_hosts(bound: SocketAddr, public: Option<&str>) -> Vec<String> {
    let port = bound.port();
    let mut names = vec![match bound {
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => format!("[{}]", a.ip()),
    }];
    if bound.ip().is_loopback() {
        for n in ["localhost", "127.0.0.1", "[::1]"] {
            if !names.iter().any(|m| m == n) {
                names.push(n.to_owned());
            }
        }
    }
    let mut out: Vec<String> = names.iter().map(|n| format!("{n}:{port}")).collect();
    if port == 80 {
        out.extend(names);
    }
    // Behind a proxy that passes the client's Host on, the public name.
    if let Some(u) = public.and_then(|p| url::Url::parse(p).ok()) {
        if let (Some(host), Some(port)) = (u.host_str(), u.port_or_known_default()) {
            let host = host.to_ascii_lowercase();
            out.push(format!("{host}:{port}"));
            if u.port().is_none() {
                out.push(host);
            }
        }
    }
    out
}

impl Front {
    /// The guard against DNS rebinding: a `Host` this server answers to,
    /// and an `Origin` (when a browser sends one) of its own or allowed.
    /// Behind a trusted proxy, the `Host` is the proxy's to check (it chose
    /// by name to send the request here), and the origin the client used
    /// is this server's own.
    pub(super) fn guard(&self, req: &Request<Incoming>, via: &Via) -> Option<Response<Body>> {
        let host = req
            .headers()
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_ascii_lowercase);
        let loopback = self.settings.listen.ip().is_loopback();
        if loopback
            && !via.proxied
            && !host
                .as_deref()
                .is_some_and(|h| self.own_hosts.iter().any(|o| o == h))
        {
            tracing::warn!(
                "refused a request for the host {:?}",
                host.as_deref().map(crate::text::for_log)
            );
            return Some(rpc_error(
                StatusCode::FORBIDDEN,
                -32000,
                "Forbidden: the Host is not this server's",
            ));
        }
        let origin = req.headers().get(ORIGIN)?;
        let origin = origin
            .to_str()
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_ascii_lowercase();
        let own = ["http://", "https://"].iter().any(|scheme| {
            self.own_hosts
                .iter()
                .any(|h| origin == format!("{scheme}{h}"))
        }) || via
            .public
            .as_deref()
            .and_then(|p| url::Url::parse(p).ok())
            .is_some_and(|u| u.origin().ascii_serialization() == origin);
        let allowed = self
            .settings
            .allowed_origins
            .iter()
            .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(&origin));
        if own || allowed {
            return None;
        }
        tracing::warn!(
            "refused a request from the origin {:?} (--allow-origin admits one)",
            crate::text::for_log(&origin)
        );
        Some(rpc_error(
            StatusCode::FORBIDDEN,
            -32000,
            "Forbidden: the Origin is not allowed",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_hosts_on_loopback_name_localhost_and_the_port() {
        let hosts = own_hosts("127.0.0.1:8080".parse().unwrap(), None);
        for h in ["127.0.0.1:8080", "localhost:8080", "[::1]:8080"] {
            assert!(hosts.contains(&h.to_owned()), "{h} in {hosts:?}");
        }
        assert!(!hosts.contains(&"evil.example.com:8080".to_owned()));
        assert_eq!(hosts.len(), 3, "each once: {hosts:?}");
        let any = own_hosts("0.0.0.0:80".parse().unwrap(), None);
        assert!(any.contains(&"0.0.0.0".to_owned()));
        let behind = own_hosts(
            "127.0.0.1:9000".parse().unwrap(),
            Some("https://MCP.example/team"),
        );
        assert!(behind.contains(&"mcp.example:443".to_owned()), "{behind:?}");
        assert!(behind.contains(&"mcp.example".to_owned()), "{behind:?}");
    }
}
