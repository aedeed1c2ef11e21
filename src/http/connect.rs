//! Opening connections for the MCP server's client ([`super::wire`]): TCP
//! with the settings of the command line, TLS with the platform's verifier
//! (and any CA the user adds), and proxies from the environment: an http
//! URL through an http proxy in absolute form, an https URL through a
//! CONNECT tunnel. This is what reqwest's connector does for the sign-in
//! client, rebuilt from the same crates (hyper-util's connector, matcher
//! and tunnel, tokio-rustls), so that both clients reach a server alike.

use super::client::{addresses, NetConfig, TCP_KEEPALIVE};
use hyper::http::uri::Scheme;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper::Uri;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tower_service::Service;

/// What any layer of the connector may fail with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A byte stream of any of the shapes a connection takes (TCP, TLS over
/// TCP, TLS over a tunnel, TLS to a proxy).
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

/// One open connection, as the pooled client keeps it.
pub struct Conn {
    io: TokioIo<Box<dyn Stream>>,
    /// It goes to an http proxy, so requests name the whole URL.
    proxied: bool,
    /// TLS agreed on HTTP/2 (ALPN).
    h2: bool,
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        let c = Connected::new().proxy(self.proxied);
        if self.h2 {
            c.negotiated_h2()
        } else {
            c
        }
    }
}

impl Read for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl Write for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}

/// Names to addresses: `localhost` is this machine on either loopback
/// address whatever the resolver says (see [`super::client::LOCALHOST`]).
#[derive(Clone, Copy, Default)]
pub struct Resolve;

impl Service<Name> for Resolve {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Pin<Box<dyn Future<Output = std::io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        Box::pin(async move { Ok(addresses(name.as_str(), 0).await?.into_iter()) })
    }
}

/// Opens connections to the MCP server, through a proxy where the
/// environment names one.
#[derive(Clone)]
pub struct Connector {
    tcp: HttpConnector<Resolve>,
    /// TLS to servers: ALPN h2 and http/1.1.
    tls: tokio_rustls::TlsConnector,
    /// TLS to an https proxy: http/1.1 only (it is spoken to in HTTP/1.1).
    tls_proxy: tokio_rustls::TlsConnector,
    proxies: Arc<Matcher>,
    user_agent: hyper::header::HeaderValue,
}

impl Connector {
    /// A connector with `net`'s TCP settings, `tls` (its ALPN set here) and
    /// `proxies`.
    pub fn new(
        net: &NetConfig,
        tls: rustls::ClientConfig,
        proxies: Arc<Matcher>,
        user_agent: hyper::header::HeaderValue,
    ) -> Connector {
        let mut tcp = HttpConnector::new_with_resolver(Resolve);
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_keepalive(Some(TCP_KEEPALIVE));
        tcp.set_keepalive_interval(Some(Duration::from_secs(10)));
        tcp.set_keepalive_retries(Some(3));
        if !net.connect_timeout.is_zero() {
            tcp.set_connect_timeout(Some(net.connect_timeout));
        }
        if net.ipv4 {
            tcp.set_local_address(Some(std::net::Ipv4Addr::UNSPECIFIED.into()));
        }
        let mut to_server = tls.clone();
        to_server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let mut to_proxy = tls;
        to_proxy.alpn_protocols = vec![b"http/1.1".to_vec()];
        Connector {
            tcp,
            tls: Arc::new(to_server).into(),
            tls_proxy: Arc::new(to_proxy).into(),
            proxies,
            user_agent,
        }
    }

    async fn connect(mut self, dst: Uri) -> Result<Conn, BoxError> {
        let https = dst.scheme() == Some(&Scheme::HTTPS);
        let Some(proxy) = self.proxies.intercept(&dst) else {
            let tcp = self.tcp.call(dst.clone()).await?;
            let io: Box<dyn Stream> = Box::new(tcp.into_inner());
            return if https {
                tls_over(&self.tls, &dst, io).await
            } else {
                Ok(plain(io, false))
            };
        };
        let to_proxy = ToProxy {
            tcp: self.tcp.clone(),
            tls: self.tls_proxy.clone(),
        };
        if !https {
            let io = to_proxy.clone().call(proxy.uri().clone()).await?;
            return Ok(plain(io.into_inner(), true));
        }
        let mut tunnel = Tunnel::new(proxy.uri().clone(), to_proxy);
        if let Some(auth) = proxy.basic_auth() {
            tunnel = tunnel.with_auth(auth.clone());
        }
        let mut headers = hyper::HeaderMap::new();
        headers.insert(hyper::header::USER_AGENT, self.user_agent.clone());
        tunnel = tunnel.with_headers(headers);
        let tunneled = tunnel.call(dst.clone()).await?;
        tls_over(&self.tls, &dst, tunneled.into_inner()).await
    }
}

impl Service<Uri> for Connector {
    type Response = Conn;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        Box::pin(self.clone().connect(dst))
    }
}

/// A connection as it is, without TLS.
fn plain(io: Box<dyn Stream>, proxied: bool) -> Conn {
    Conn {
        io: TokioIo::new(io),
        proxied,
        h2: false,
    }
}

/// TLS to `dst`'s host over `io`.
async fn tls_over(
    tls: &tokio_rustls::TlsConnector,
    dst: &Uri,
    io: Box<dyn Stream>,
) -> Result<Conn, BoxError> {
    let host = dst.host().ok_or("no host in the URL")?;
    let name = rustls::pki_types::ServerName::try_from(host.trim_matches(['[', ']']).to_owned())
        .map_err(|_| format!("{host} is not a name TLS can check"))?;
    let stream = tls.connect(name, io).await?;
    let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
    Ok(Conn {
        io: TokioIo::new(Box::new(stream)),
        proxied: false,
        h2,
    })
}

/// Connections to a proxy itself: TCP, and TLS for an https proxy.
#[derive(Clone)]
struct ToProxy {
    tcp: HttpConnector<Resolve>,
    tls: tokio_rustls::TlsConnector,
}

impl Service<Uri> for ToProxy {
    type Response = TokioIo<Box<dyn Stream>>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, proxy: Uri) -> Self::Future {
        let mut this = self.clone();
        Box::pin(async move {
            let tcp = this.tcp.call(proxy.clone()).await?;
            let io: Box<dyn Stream> = Box::new(tcp.into_inner());
            if proxy.scheme() != Some(&Scheme::HTTPS) {
                return Ok(TokioIo::new(io));
            }
            let conn = tls_over(&this.tls, &proxy, io).await?;
            Ok(conn.io)
        })
    }
}
