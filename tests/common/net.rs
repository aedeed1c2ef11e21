//! Network helpers for the proxy and trust tests: a small HTTP forward
//! proxy (absolute-form requests and CONNECT) that maps made-up host names
//! to loopback ports, and a TLS front for a plain server, with a CA made at
//! test time.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A forward proxy on loopback.
pub struct HttpProxy {
    pub port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl HttpProxy {
    /// Start a proxy that sends `name` (any port) to 127.0.0.1:`port` for
    /// each pair in `names`, and answers 502 for anything else.
    pub async fn start(names: &[(&str, u16)]) -> HttpProxy {
        let names: Arc<HashMap<String, u16>> =
            Arc::new(names.iter().map(|(n, p)| ((*n).to_owned(), *p)).collect());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                tokio::spawn(serve(conn, Arc::clone(&names), Arc::clone(&log)));
            }
        });
        HttpProxy { port, seen }
    }

    /// The proxy URL, for HTTP_PROXY and friends.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The first request line of every connection, e.g. "CONNECT mcp.test:443".
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// One proxied connection: read the head, connect to the mapped port, then
/// pass bytes both ways (a server accepts absolute-form targets as they are).
async fn serve(conn: TcpStream, names: Arc<HashMap<String, u16>>, seen: Arc<Mutex<Vec<String>>>) {
    let mut reader = BufReader::new(conn);
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let end = line == "\r\n";
        head.push(line);
        if end {
            break;
        }
    }
    let first: Vec<&str> = head[0].split_whitespace().collect();
    let (method, target) = (first[0].to_owned(), first.get(1).copied().unwrap_or(""));
    seen.lock().unwrap().push(format!("{method} {target}"));
    // The credentials the client gave the proxy, as "auth VALUE".
    for line in &head[1..] {
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("proxy-authorization") {
                seen.lock().unwrap().push(format!("auth {}", value.trim()));
            }
        }
    }
    let authority = match method.as_str() {
        "CONNECT" => target.to_owned(),
        _ => target
            .strip_prefix("http://")
            .and_then(|t| t.split('/').next())
            .unwrap_or("")
            .to_owned(),
    };
    let host = authority
        .rsplit_once(':')
        .map_or(authority.as_str(), |(h, _)| h);
    let Some(port) = names.get(host) else {
        let _ = reader
            .get_mut()
            .write_all(
                b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            )
            .await;
        return;
    };
    let Ok(mut upstream) = TcpStream::connect(("127.0.0.1", *port)).await else {
        return;
    };
    if method == "CONNECT" {
        let _ = reader
            .get_mut()
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await;
    } else if upstream.write_all(head.concat().as_bytes()).await.is_err() {
        return;
    }
    // Bytes already buffered past the head belong to the upstream.
    let buffered = reader.buffer().to_vec();
    let mut conn = reader.into_inner();
    if upstream.write_all(&buffered).await.is_err() {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut conn, &mut upstream).await;
}

/// A CA made for one test, and a server certificate it signed for
/// localhost, 127.0.0.1 and mcp.test.
pub struct TestCa {
    /// The CA certificate as a PEM file.
    pub ca_file: PathBuf,
    cert: rustls::pki_types::CertificateDer<'static>,
    key: Vec<u8>,
    _dir: tempfile::TempDir,
}

impl TestCa {
    pub fn new() -> TestCa {
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "mcp-bridge test CA");
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "mcp.test".to_owned(),
        ])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca.pem()).unwrap();
        TestCa {
            ca_file,
            cert: leaf.der().clone(),
            key: key.serialize_der(),
            _dir: dir,
        }
    }

    /// Serve TLS on a loopback port, passing the plaintext to 127.0.0.1:`target`.
    pub async fn front(&self, target: u16) -> u16 {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(self.key.clone().into());
        let mut config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![self.cert.clone()], key)
            .unwrap();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(conn).await else {
                        return;
                    };
                    let Ok(mut plain) = TcpStream::connect(("127.0.0.1", target)).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        port
    }
}
