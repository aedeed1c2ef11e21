//! The listening socket, and where each request goes: to the one server's
//! front, or, with `--config`, to the front of the server its path names
//! (`/servers/NAME/...`, and its protected-resource metadata under
//! `/.well-known/oauth-protected-resource/servers/NAME/mcp`).
//!
//! Each server of a config is a [`Front`] of its own: its own sessions,
//! processes, limits and scopes. On SIGHUP the file is read again and
//! compared entry by entry: a new entry is served, a removed one drained
//! and ended, a changed one drained and served anew (its clients get 404
//! and start a new session, as after any restart), and an unchanged one
//! left alone with its sessions. A file that no longer reads or checks
//! changes nothing.

use super::access::METADATA_PATH;
use super::config::{self, Server};
use super::forwarded::{self, Via};
use super::reply::{json, text, Body};
use super::{Front, ServeError, Settings};
use crate::sync::Locked;
use crate::text::Chain;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// How long a request's headers may take to arrive.
const HEADER_WAIT: Duration = Duration::from_secs(30);
/// Where the servers of a config are.
const SERVERS: &str = "/servers";

/// Serve until `shutdown` fires, reading the `--config` file again each
/// time `reload` receives; then drain (see [`Settings::drain_timeout`])
/// and end every session's child.
pub async fn run(
    settings: Settings,
    shutdown: impl std::future::Future<Output = ()>,
    mut reload: tokio::sync::mpsc::Receiver<()>,
) -> Result<(), ServeError> {
    // A config that cannot be served stops the start before the bind.
    let first = match &settings.config {
        Some(path) => Some(config::load(path, settings.max_message)?),
        None => None,
    };
    let listener =
        TcpListener::bind(settings.listen)
            .await
            .map_err(|source| ServeError::Listen {
                addr: settings.listen,
                source,
            })?;
    let bound = listener.local_addr().unwrap_or(settings.listen);
    if !bound.ip().is_loopback() && settings.auth.is_none() {
        tracing::warn!("listening on {bound}, beyond this machine, with no authentication: anyone who reaches it can use the server");
    }
    let router = Arc::new(Router::new(settings, bound, first));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(()) = reload.recv() => router.reload(),
            accepted = listener.accept() => {
                let Ok((stream, peer)) = accepted else { continue };
                // An event stream goes out in small writes (headers, each
                // event): with Nagle's algorithm and the client's delayed
                // ACK, each waited 40 ms.
                let _ = stream.set_nodelay(true);
                let router = Arc::clone(&router);
                tokio::spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let service = hyper::service::service_fn(move |req| {
                        let router = Arc::clone(&router);
                        async move { Ok::<_, Infallible>(router.handle(req, peer.ip()).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .timer(hyper_util::rt::TokioTimer::new())
                        .header_read_timeout(HEADER_WAIT)
                        .serve_connection(io, service)
                        .await;
                });
            }
        }
    }
    drop(listener);
    router.drain().await;
    Ok(())
}

/// One server served: its front, and the task that ends its idle sessions.
struct Served {
    server: Option<Server>,
    front: Arc<Front>,
    reaper: JoinHandle<()>,
}

impl Served {
    fn start(front: Front, server: Option<Server>) -> Served {
        let front = Arc::new(front);
        Served {
            reaper: tokio::spawn(Arc::clone(&front).reap_idle()),
            front,
            server,
        }
    }

    /// Stop it: its requests in flight may finish (within the drain
    /// time), then its sessions end.
    async fn retire(self) {
        self.reaper.abort();
        self.front.drain().await;
    }
}

/// What is served.
enum Servers {
    /// The command line's one server.
    One(Served),
    /// The servers of a config, by name.
    Many(Mutex<BTreeMap<String, Served>>),
}

struct Router {
    /// The command line's settings: for a config, each server's defaults.
    base: Settings,
    bound: SocketAddr,
    servers: Servers,
    draining: AtomicBool,
}

impl Router {
    fn new(base: Settings, bound: SocketAddr, first: Option<config::Config>) -> Router {
        let mut router = Router {
            servers: Servers::Many(Mutex::default()),
            base,
            bound,
            draining: AtomicBool::new(false),
        };
        match first {
            None => {
                tracing::info!(
                    "serving {:?} at http://{bound}{}",
                    router.base.program.command,
                    router.base.path
                );
                let front = Front::new(router.base.clone(), bound, "");
                router.servers = Servers::One(Served::start(front, None));
            }
            Some(c) => {
                let mut table = BTreeMap::new();
                router.skipped(&c);
                for s in c.servers {
                    tracing::info!(
                        "serving {:?} at http://{bound}{}",
                        s.program.command,
                        mcp_path(&s.name)
                    );
                    table.insert(s.name.clone(), router.serve(s));
                }
                router.servers = Servers::Many(Mutex::new(table));
            }
        }
        router
    }

    /// The front of a server of the config, with the command line's
    /// settings where its entry says nothing.
    fn serve(&self, s: Server) -> Served {
        let mut settings = self.base.clone();
        let base = format!("{SERVERS}/{}", s.name);
        settings.path = mcp_path(&s.name);
        settings.program = s.program.clone();
        // The command line's --env for every server; the entry's own last.
        settings.program.env = self.base.program.env.clone();
        settings.program.env.extend(s.program.env.iter().cloned());
        settings.shared = s.shared;
        settings.max_sessions = s.max_sessions.unwrap_or(self.base.max_sessions);
        settings.idle_timeout = s.idle_timeout.unwrap_or(self.base.idle_timeout);
        settings.auth = self
            .base
            .auth
            .as_ref()
            .map(|a| Arc::new(a.at(&settings.path, &s.required, &s.tool_scopes)));
        if s.shared
            && settings
                .auth
                .as_ref()
                .is_some_and(|a| !a.claims_env.is_empty())
        {
            tracing::warn!(
                "{}: shared, so its one process gets no claims (--pass-claims-env)",
                s.name
            );
        }
        settings.config = None;
        Served::start(Front::new(settings, self.bound, &base), Some(s))
    }

    fn skipped(&self, c: &config::Config) {
        for (name, why) in &c.skipped {
            tracing::info!("{name}: not served: {why}");
        }
    }

    async fn handle(self: Arc<Self>, req: Request<Incoming>, peer: IpAddr) -> Response<Body> {
        let via = forwarded::read(req.headers(), peer, &self.base.trusted_proxies);
        let table = match &self.servers {
            Servers::One(s) => return Arc::clone(&s.front).handle(req, &via).await,
            Servers::Many(table) => table,
        };
        let path = req.uri().path();
        match path {
            "/healthz" => return text(StatusCode::OK, "ok\n"),
            "/readyz" if self.draining.load(Ordering::Relaxed) => {
                return text(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n")
            }
            "/readyz" => return text(StatusCode::OK, "ready\n"),
            "/servers" | "/servers/" => return self.list(req, &via).await,
            _ => {}
        }
        // `/servers/NAME/...`, or its metadata, goes to NAME's front.
        let front = path
            .strip_prefix(METADATA_PATH)
            .unwrap_or(path)
            .strip_prefix(SERVERS)
            .and_then(|rest| rest.strip_prefix('/'))
            .and_then(|rest| rest.split('/').next())
            .and_then(|name| table.locked().get(name).map(|s| Arc::clone(&s.front)));
        match front {
            Some(f) => f.handle(req, &via).await,
            None => {
                tracing::info!(
                    "{} {} → 404, from {}",
                    req.method(),
                    crate::text::for_log(&crate::text::clean(path, 200)),
                    via.client
                );
                text(StatusCode::NOT_FOUND, "not found\n")
            }
        }
    }

    /// `GET /servers`: the servers of the config, by name and path, past
    /// the guard; with authentication, those that admit the request's
    /// credentials (401 or 403 when none does). No command line is shown.
    async fn list(&self, req: Request<Incoming>, via: &Via) -> Response<Body> {
        let Servers::Many(table) = &self.servers else {
            return text(StatusCode::NOT_FOUND, "not found\n");
        };
        let fronts: Vec<(String, Arc<Front>)> = table
            .locked()
            .iter()
            .map(|(n, s)| (n.clone(), Arc::clone(&s.front)))
            .collect();
        let Some((_, first)) = fronts.first() else {
            return text(StatusCode::NOT_FOUND, "not found\n");
        };
        if let Some(refused) = first.guard(&req, via) {
            return refused;
        }
        let public = match first.public(via) {
            Some(p) => p.to_owned(),
            None if self.bound.ip().is_unspecified() => String::new(),
            None => format!("http://{}", self.bound),
        };
        let mut listed = Vec::new();
        let mut refusal = None;
        for (name, front) in &fronts {
            if let Err(refused) = front.admit(&req, via).await {
                refusal.get_or_insert(refused);
                continue;
            }
            let path = mcp_path(name);
            let mut entry = serde_json::json!({
                "name": name,
                "path": path,
                "sse": format!("{SERVERS}/{name}/sse"),
            });
            if !public.is_empty() {
                entry["url"] = format!("{public}{path}").into();
            }
            listed.push(entry);
        }
        match refusal {
            Some(refused) if listed.is_empty() => *refused,
            _ => json(
                StatusCode::OK,
                bytes::Bytes::from(serde_json::json!({ "servers": listed }).to_string()),
            ),
        }
    }

    /// SIGHUP: read the config again and serve what it says now.
    fn reload(&self) {
        let (Servers::Many(table), Some(path)) = (&self.servers, &self.base.config) else {
            tracing::info!("SIGHUP: there is no --config to read again");
            return;
        };
        let c = match config::load(path, self.base.max_message) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("SIGHUP: serving on as before: {e}", e = Chain(&e));
                return;
            }
        };
        self.skipped(&c);
        let (mut added, mut restarted, mut removed, mut same) = (vec![], vec![], vec![], 0);
        let mut retired = Vec::new();
        {
            let mut table = table.locked();
            let gone: Vec<String> = table
                .keys()
                .filter(|n| !c.servers.iter().any(|s| &s.name == *n))
                .cloned()
                .collect();
            for name in gone {
                retired.extend(table.remove(&name));
                removed.push(name);
            }
            for s in c.servers {
                let name = s.name.clone();
                match table.get(&name) {
                    Some(old) if old.server.as_ref() == Some(&s) => same += 1,
                    Some(_) => {
                        retired.extend(table.insert(name.clone(), self.serve(s)));
                        restarted.push(name);
                    }
                    None => {
                        table.insert(name.clone(), self.serve(s));
                        added.push(name);
                    }
                }
            }
        }
        for r in retired {
            tokio::spawn(r.retire());
        }
        tracing::info!(
            "SIGHUP: {} read again: added {added:?}, restarted {restarted:?}, removed {removed:?}, {same} unchanged",
            path.display()
        );
    }

    /// Stop serving: every server drains at once.
    async fn drain(&self) {
        self.draining.store(true, Ordering::Relaxed);
        let mut all = tokio::task::JoinSet::new();
        match &self.servers {
            Servers::One(s) => {
                s.reaper.abort();
                let front = Arc::clone(&s.front);
                all.spawn(async move { front.drain().await });
            }
            Servers::Many(table) => {
                let served: Vec<Served> =
                    std::mem::take(&mut *table.locked()).into_values().collect();
                for s in served {
                    all.spawn(s.retire());
                }
            }
        }
        while all.join_next().await.is_some() {}
        // Every child told to end has its grace, its kill, and its reaping.
        super::child::all_reaped(super::child::END_GRACE + Duration::from_secs(4)).await;
    }
}

/// Where the server `name` of a config is.
fn mcp_path(name: &str) -> String {
    format!("{SERVERS}/{name}/mcp")
}
