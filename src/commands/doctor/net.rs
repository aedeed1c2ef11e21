//! The network links of `doctor`: the name's addresses, the proxy the
//! bridge would use and why, a TCP connection to each address, and the TLS
//! chain the server presents (read with a handshake that trusts anything,
//! only to name the certificates; whether the bridge trusts them is decided
//! by its own client, in the next step).

use super::Step;
use crate::http::client::ProxyEnv;
use crate::sync::Locked;
use crate::text::Chain;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long one TCP connection or TLS handshake may take.
const CONNECT_LIMIT: Duration = Duration::from_secs(5);
/// At most this many addresses are tried.
const ADDRESSES: usize = 8;

/// Where the bridge's requests to the server go first.
pub struct Route {
    /// The proxy, when one is used: its URL (without credentials) and host:port.
    pub proxy: Option<(String, String)>,
}

/// The name's addresses (A and AAAA); empty when it does not resolve.
pub async fn name(url: &url::Url, route: &Route) -> (Step, Vec<SocketAddr>) {
    let host = url.host_str().unwrap_or_default().to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    if let Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) = url.host() {
        let ip: IpAddr = host
            .trim_matches(['[', ']'])
            .parse()
            .expect("the URL's own address");
        return (
            Step::pass("name", format!("{ip} is an address; no name to resolve")),
            vec![SocketAddr::new(ip, port)],
        );
    }
    // As the bridge resolves it: `localhost` is both loopback addresses.
    let looked = crate::http::client::addresses(&host, port).await;
    match looked {
        Ok(mut addrs) => {
            addrs.truncate(ADDRESSES);
            let v4: Vec<String> = addrs
                .iter()
                .filter(|a| a.is_ipv4())
                .map(|a| a.ip().to_string())
                .collect();
            let v6: Vec<String> = addrs
                .iter()
                .filter(|a| a.is_ipv6())
                .map(|a| a.ip().to_string())
                .collect();
            let list = |v: &[String]| {
                if v.is_empty() {
                    "none".to_owned()
                } else {
                    v.join(", ")
                }
            };
            (
                Step::pass(
                    "name",
                    format!(
                        "{host}: A {}; AAAA {}{}",
                        list(&v4),
                        list(&v6),
                        if host.eq_ignore_ascii_case("localhost") {
                            " (loopback, whatever the resolver says)"
                        } else {
                            ""
                        }
                    ),
                ),
                addrs,
            )
        }
        Err(e) if route.proxy.is_some() => (
            Step::pass(
                "name",
                format!("{host} does not resolve here ({e}); the proxy resolves it", e = Chain(&e)),
            ),
            Vec::new(),
        ),
        Err(e) => (
            Step::fail(
                "name",
                format!("{host} does not resolve: {e}", e = Chain(&e)),
                "check the spelling of the URL; on a company network, connect the VPN or set HTTPS_PROXY to the proxy that reaches it",
            ),
            Vec::new(),
        ),
    }
}

/// The proxy the bridge would use for `url`, and why.
pub fn proxy(url: &url::Url, no_proxy_flag: bool) -> (Step, Route) {
    let env = |v: &str| std::env::var(v).ok();
    let direct = |why: String| (Step::pass("proxy", why), Route { proxy: None });
    if no_proxy_flag {
        return direct("none: --no-proxy".into());
    }
    let found = ProxyEnv::read(&env);
    let Some(((raw, var), bypass)) = found.route(url) else {
        return direct(format!(
            "none: no {} variable is set",
            if url.scheme() == "https" {
                "HTTPS_PROXY or ALL_PROXY"
            } else {
                "HTTP_PROXY or ALL_PROXY"
            }
        ));
    };
    let Ok(p) = crate::http::client::proxy_url(raw) else {
        return (
            Step::fail(
                "proxy",
                format!("{var} is not a URL"),
                format!("set {var} to http://HOST:PORT, or unset it"),
            ),
            Route { proxy: None },
        );
    };
    let shown = crate::url_policy::redact_userinfo(&p);
    if let Some(entry) = bypass {
        let host = url.host_str().unwrap_or_default();
        return direct(format!(
            "none for {host}: {entry} is in NO_PROXY{} ({var} is {shown})",
            if entry.contains("127.0.0.0/8") || entry == "localhost" || entry == "::1" {
                ", as loopback always is"
            } else {
                ""
            }
        ));
    }
    let hostport = format!(
        "{}:{}",
        p.host_str().unwrap_or_default(),
        p.port_or_known_default().unwrap_or(80)
    );
    (
        Step::pass("proxy", format!("{shown} (from {var})")),
        Route {
            proxy: Some((shown, hostport)),
        },
    )
}

/// A TCP connection to each address, or to the proxy.
pub async fn connect(addrs: &[SocketAddr], route: &Route) -> (Step, Option<SocketAddr>) {
    let targets: Vec<(String, Option<SocketAddr>)> = match &route.proxy {
        Some((shown, hostport)) => match tokio::net::lookup_host(hostport.as_str()).await {
            Ok(found) => found
                .take(ADDRESSES)
                .map(|a| (shown.clone(), Some(a)))
                .collect(),
            Err(e) => {
                return (
                    Step::fail(
                        "connection",
                        format!("the proxy {shown} does not resolve: {e}", e = Chain(&e)),
                        "fix the proxy variable, or reach the server directly with --no-proxy",
                    ),
                    None,
                )
            }
        },
        None => addrs.iter().map(|a| (a.to_string(), Some(*a))).collect(),
    };
    let mut lines = Vec::new();
    let mut first = None;
    for (what, addr) in targets {
        let Some(addr) = addr else { continue };
        let tried = tokio::time::timeout(CONNECT_LIMIT, tokio::net::TcpStream::connect(addr)).await;
        let line = match tried {
            Ok(Ok(_)) => {
                first.get_or_insert(addr);
                format!("{addr} ✓")
            }
            Ok(Err(e)) => format!("{addr} ✗ {e}", e = Chain(&e)),
            Err(_) => format!("{addr} ✗ no answer in {} s", CONNECT_LIMIT.as_secs()),
        };
        lines.push(if route.proxy.is_some() {
            format!("proxy {what} at {line}")
        } else {
            line
        });
    }
    let found = lines.join("; ");
    match first {
        Some(_) => (Step::pass("connection", found), first),
        None if route.proxy.is_some() => (
            Step::fail(
                "connection",
                found,
                "the proxy does not take connections: fix it, add the server to NO_PROXY, or pass --no-proxy",
            ),
            None,
        ),
        None => (
            Step::fail(
                "connection",
                if found.is_empty() { "no address to connect to".into() } else { found },
                "the server is not listening there: check that it runs, the port in the URL, and any firewall between",
            ),
            None,
        ),
    }
}

/// One certificate of a chain, as people read it.
pub struct Cert {
    pub subject: String,
    pub issuer: String,
    pub sha256: String,
}

/// The chain `host` presents at `addr`, read with a handshake that checks
/// nothing (the bridge's own client decides trust).
pub async fn chain(host: String, addr: SocketAddr) -> Result<Vec<Cert>, String> {
    tokio::task::spawn_blocking(move || read_chain(&host, addr))
        .await
        .map_err(|e| Chain(&e).to_string())?
}

fn read_chain(host: &str, addr: SocketAddr) -> Result<Vec<Cert>, String> {
    use rustls::pki_types::ServerName;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let seen = Arc::new(Recorder {
        certs: Mutex::new(Vec::new()),
        provider: Arc::clone(&provider),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Chain(&e).to_string())?
        .dangerous()
        .with_custom_certificate_verifier(seen.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_owned()).map_err(|e| Chain(&e).to_string())?;
    let mut conn =
        rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| Chain(&e).to_string())?;
    let mut sock =
        TcpStream::connect_timeout(&addr, CONNECT_LIMIT).map_err(|e| Chain(&e).to_string())?;
    sock.set_read_timeout(Some(CONNECT_LIMIT))
        .and_then(|()| sock.set_write_timeout(Some(CONNECT_LIMIT)))
        .map_err(|e| Chain(&e).to_string())?;
    while conn.is_handshaking() {
        conn.complete_io(&mut sock)
            .map_err(|e| format!("the TLS handshake failed: {e}", e = Chain(&e)))?;
    }
    let certs = seen.certs.locked().clone();
    Ok(certs.iter().map(|der| describe(der)).collect())
}

fn describe(der: &[u8]) -> Cert {
    let sha256 = crate::auth::pkce::sha256_hex(der);
    match names(der) {
        Some((issuer, subject)) => Cert {
            subject: crate::text::clean(&subject, 200),
            issuer: crate::text::clean(&issuer, 200),
            sha256,
        },
        None => Cert {
            subject: "(unreadable certificate)".into(),
            issuer: String::new(),
            sha256,
        },
    }
}

// The two names of a certificate, read from its DER by hand: a parser
// crate (x509-parser) added 180 KB to the binary for these two strings.
// Only what they need is read, every length is held to the bytes there
// are, and anything unexpected gives `None`.

/// One DER element at the start of `b`: its tag, its contents, and the rest.
fn element(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &x| (acc << 8) | usize::from(x));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The issuer and subject of a DER certificate, as `CN=…, O=…`.
fn names(der: &[u8]) -> Option<(String, String)> {
    const SEQUENCE: u8 = 0x30;
    let (SEQUENCE, cert, _) = element(der)? else {
        return None;
    };
    let (SEQUENCE, tbs, _) = element(cert)? else {
        return None;
    };
    let (tag, _, mut rest) = element(tbs)?;
    if tag == 0xa0 {
        rest = element(rest)?.2; // the version came first; then the serial
    }
    let rest = element(rest)?.2; // the signature algorithm
    let (SEQUENCE, issuer, rest) = element(rest)? else {
        return None;
    };
    let rest = element(rest)?.2; // the validity
    let (SEQUENCE, subject, _) = element(rest)? else {
        return None;
    };
    Some((dn(issuer)?, dn(subject)?))
}

/// A Name (a sequence of sets of type and value) as people read it.
fn dn(mut rdns: &[u8]) -> Option<String> {
    let mut parts = Vec::new();
    while !rdns.is_empty() {
        let (0x31, mut set, rest) = element(rdns)? else {
            return None;
        };
        rdns = rest;
        while !set.is_empty() {
            let (0x30, pair, rest) = element(set)? else {
                return None;
            };
            set = rest;
            let (0x06, oid, value) = element(pair)? else {
                return None;
            };
            let (kind, value, _) = element(value)?;
            let label = match oid {
                [0x55, 0x04, 0x03] => "CN",
                [0x55, 0x04, 0x06] => "C",
                [0x55, 0x04, 0x07] => "L",
                [0x55, 0x04, 0x08] => "ST",
                [0x55, 0x04, 0x0a] => "O",
                [0x55, 0x04, 0x0b] => "OU",
                _ => continue,
            };
            let text = match kind {
                // BMPString: UTF-16, big-endian.
                0x1e => String::from_utf16_lossy(
                    &value
                        .chunks_exact(2)
                        .map(|c| u16::from_be_bytes([c[0], c[1]]))
                        .collect::<Vec<_>>(),
                ),
                _ => String::from_utf8_lossy(value).into_owned(),
            };
            parts.push(format!("{label}={text}"));
        }
    }
    Some(parts.join(", "))
}

/// Keeps the certificates it is shown, and accepts them.
#[derive(Debug)]
struct Recorder {
    certs: Mutex<Vec<Vec<u8>>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        let mut certs = self.certs.locked();
        certs.push(end_entity.to_vec());
        certs.extend(intermediates.iter().map(|c| c.to_vec()));
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificates_names_are_read_and_a_broken_one_is_refused() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "Example Corp");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        let cert = params.self_signed(&key).unwrap();
        let der = cert.der().to_vec();
        let c = describe(&der);
        assert_eq!(c.subject, "O=Example Corp, CN=localhost");
        assert_eq!(c.issuer, c.subject);
        for cut in [0, 1, 10, der.len() / 2, der.len() - 1] {
            assert!(
                names(&der[..cut]).is_none(),
                "read {cut} bytes as a certificate"
            );
        }
        assert!(names(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_none());
    }
}
