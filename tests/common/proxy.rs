//! A fault-injecting TCP proxy on loopback, between the bridge and a real
//! server: it can cut every live connection, refuse new ones for a while,
//! and stall (hold connections open while forwarding nothing).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::AbortHandle;

/// The proxy; everything stops when it is dropped.
pub struct Proxy {
    pub port: u16,
    target: u16,
    state: Arc<State>,
    accept: Mutex<Option<AbortHandle>>,
}

struct State {
    live: Mutex<Vec<AbortHandle>>,
    accepted: AtomicUsize,
    stalled: watch::Sender<bool>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop_accepting();
        self.cut();
    }
}

impl Proxy {
    /// A proxy on a free loopback port forwarding to `127.0.0.1:target`.
    pub async fn start(target: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().unwrap().port();
        let proxy = Proxy {
            port,
            target,
            state: Arc::new(State {
                live: Mutex::new(Vec::new()),
                accepted: AtomicUsize::new(0),
                stalled: watch::channel(false).0,
            }),
            accept: Mutex::new(None),
        };
        proxy.serve(listener);
        proxy
    }

    /// `http://127.0.0.1:PORT/path` through the proxy.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }

    /// How many connections the proxy has accepted so far.
    pub fn accepted(&self) -> usize {
        self.state.accepted.load(Ordering::SeqCst)
    }

    /// Close every live connection at once (both sides); returns how many.
    pub fn cut(&self) -> usize {
        let live: Vec<_> = self.state.live.lock().unwrap().drain(..).collect();
        for c in &live {
            c.abort();
        }
        live.len()
    }

    /// Refuse connections (nothing listens on the port) for `d`, cutting
    /// the live ones too, then listen again.
    pub async fn refuse_for(&self, d: Duration) {
        self.stop_accepting();
        self.cut();
        tokio::time::sleep(d).await;
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("listen again on the proxy port");
        self.serve(listener);
    }

    /// Stop forwarding bytes (`true`) or forward again (`false`); connections
    /// stay open meanwhile, as behind a stuck middlebox.
    pub fn stall(&self, on: bool) {
        self.state.stalled.send_replace(on);
    }

    fn stop_accepting(&self) {
        if let Some(a) = self.accept.lock().unwrap().take() {
            a.abort();
        }
    }

    fn serve(&self, listener: TcpListener) {
        let state = Arc::clone(&self.state);
        let target = self.target;
        let task = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                state.accepted.fetch_add(1, Ordering::SeqCst);
                let stalled = state.stalled.subscribe();
                let conn = tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(("127.0.0.1", target)).await else {
                        return;
                    };
                    let _ = inbound.set_nodelay(true);
                    let _ = outbound.set_nodelay(true);
                    let (ri, wi) = inbound.into_split();
                    let (ro, wo) = outbound.into_split();
                    tokio::select! {
                        () = pipe(ri, wo, stalled.clone()) => {}
                        () = pipe(ro, wi, stalled) => {}
                    }
                });
                let mut live = state.live.lock().unwrap();
                live.retain(|c| !c.is_finished());
                live.push(conn.abort_handle());
            }
        });
        *self.accept.lock().unwrap() = Some(task.abort_handle());
    }
}

/// Copy bytes one way, holding them while the proxy is stalled.
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut stalled: watch::Receiver<bool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if stalled.wait_for(|s| !*s).await.is_err() {
            return;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}
