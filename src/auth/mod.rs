//! Authorization: the OAuth 2.1 sign-in the MCP specification describes
//! (discovery, registration, PKCE, a loopback callback, the browser), the
//! bearer token on every request, refresh ahead of expiry and on a 401,
//! step-up on 403 `insufficient_scope`, and the token store shared with
//! other bridge processes.

pub mod browser;
pub mod callback;
pub mod detach;
pub mod discovery;
mod dpop;
mod endpoints;
mod error;
pub use error::{
    BrowserError, CallbackError, DiscoveryError, Error, FlowError, Refused, SettingError,
};
mod grants;
pub use grants::{Assertion, GrantMode, Idp};
pub mod jwt;
pub mod lock;
pub mod notice;
pub mod pkce;
mod refusal;
pub mod server;
mod source;
pub mod store;

use crate::http::error::{ErrorKind, UpstreamError};
use crate::http::reach::Guarded;
use crate::secret::Secret;
use crate::sync::Locked;
use crate::text::Chain;
use server::AuthServer;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;
use store::{now, Backend, Client, Credentials, Meta, Store, Tokens};
use url::Url;

/// Refresh an access token this long before it expires.
const REFRESH_AHEAD: u64 = 60;
/// After a failed refresh ahead of expiry, wait this long before the next try.
const REFRESH_PAUSE: u64 = 30;
/// After a person signed in and the server refused that very token, how long
/// before the browser may be opened again.
const SIGN_IN_COOL_DOWN: Duration = Duration::from_secs(60);
/// Waiting for another process's sign-in: its --auth-timeout and this margin.
const LOCK_MARGIN: Duration = Duration::from_secs(60);

/// What the user configured about signing in.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How tokens are got.
    pub grant: GrantMode,
    /// `--client-assertion-key`: the client authenticates with a signed JWT
    /// (`private_key_jwt`).
    pub assertion_key: Option<std::sync::Arc<jwt::SigningKey>>,
    /// `--token-endpoint`: instead of the discovered one.
    pub token_endpoint: Option<Url>,
    /// Bind tokens to a key where the server offers DPoP (off: `--no-dpop`).
    pub dpop: bool,
    /// Also take the redirected address pasted in the terminal (`login
    /// --no-browser`).
    pub paste_back: bool,
    /// `--use-id-token`: send the OpenID Connect ID token instead of the
    /// access token.
    pub use_id_token: bool,
    /// Use the device grant instead of the browser where the authorization
    /// server offers it (`login` on a machine with no display).
    pub device_when_headless: bool,
    /// The MCP server.
    pub server: crate::url_policy::RedactedUrl,
    /// Sign in at all (off when the user sends their own Authorization header).
    pub enabled: bool,
    /// Other things that change who a token is for (headers), hashed into the key.
    pub identity: String,
    /// `--resource`.
    pub resource: Option<String>,
    /// `--static-oauth-client-info`.
    pub static_client: Option<Client>,
    /// `--static-oauth-client-metadata`.
    pub client_metadata: Option<serde_json::Value>,
    /// `--client-metadata-url`.
    pub client_metadata_url: Option<String>,
    /// `--callback-port` or the positional port.
    pub callback_port: Option<u16>,
    /// `--auth-timeout`.
    pub auth_timeout: Duration,
    /// Open a browser (false: `--no-browser`, print the URL only).
    pub browser: bool,
    /// `--token-store`.
    pub store: Option<Backend>,
    /// `--allow-http`.
    pub allow_http: bool,
    /// `--host`, `--callback-path`, `--auth-success-url`.
    pub redirect: callback::Redirect,
    /// `--authorize-param`: extra parameters for the authorization URL.
    pub authorize_params: Vec<(String, String)>,
    /// Send the resource indicator (off with `--disable-resource-parameter`).
    pub resource_parameter: bool,
    /// `--headers-timeout`: how long a request may wait for its response's headers.
    pub headers_timeout: Option<Duration>,
    /// A person may be asked to sign in (off for `doctor` without
    /// `--sign-in`: a sign-in that needs one fails instead).
    pub interactive: bool,
    /// Bridge mode: how to start the process a person's sign-in runs in,
    /// so that it outlives this one (`detach.rs`).
    pub detach: Option<detach::Detach>,
}

impl Settings {
    /// The key credentials are filed under: everything that changes who the
    /// token is for, hashed.
    pub fn key(&self) -> String {
        let mut ident = format!(
            "{}\n{}\n{}\n{}",
            discovery::canonical_resource(&self.server),
            self.resource.as_deref().unwrap_or(""),
            self.static_client
                .as_ref()
                .map(|c| c.client_id.as_str())
                .unwrap_or(""),
            self.identity
        );
        // A machine's token is not a person's: kept apart (the browser
        // grant keeps the key it always had).
        if self.grant.is_machine() {
            ident.push_str(&format!("\n{}", self.grant.name()));
        }
        pkce::sha256_hex(ident.as_bytes())[..32].to_owned()
    }
}

/// The token of the last sign-in by a person, and when the server refused
/// it on the request that got it.
#[derive(Default)]
struct Fresh {
    token: Option<Secret>,
    refused_at: Option<std::time::Instant>,
}

/// In-memory state: the tokens requests use.
#[derive(Default)]
struct Current {
    loaded: bool,
    tokens: Option<Tokens>,
    refresh_paused_until: u64,
}

/// What a sign-in learned, kept for refreshes.
#[derive(Default)]
struct Known {
    server: Option<AuthServer>,
    client: Option<Client>,
}

/// A turn at changing the tokens: this process's sign-in state and, when
/// there is a store, the cross-process lock.
struct Turn<'a> {
    known: tokio::sync::MutexGuard<'a, Known>,
    held: Option<lock::Held>,
}

/// The OAuth token provider: plugged into the HTTP layer as its
/// [`TokenSource`].
pub struct Auth {
    http: Guarded,
    cfg: Settings,
    key: String,
    store: Option<Store>,
    current: Mutex<Current>,
    /// One sign-in or refresh at a time in this process.
    single: tokio::sync::Mutex<Known>,
    /// DPoP: the key tokens are bound to, and the servers' nonces.
    dpop: dpop::State,
    /// The token a person just signed in for, and when it was refused on
    /// the request that got it: the browser is not opened again for a while.
    fresh: Mutex<Fresh>,
    /// The server refused a DPoP-bound token with a Bearer-only challenge
    /// (now or in an earlier run): its tokens are never bound again.
    bearer_only: AtomicBool,
    /// A person's sign-in is under way in a detached process.
    detached: AtomicBool,
    /// Waiting for another process's sign-in or refresh (the lock).
    waiting: AtomicBool,
    /// 401s and 403s being handled now.
    handling: std::sync::atomic::AtomicUsize,
}

/// How a request that needs a token failed.
fn failed(url: &Url, cause: impl Into<Error>) -> UpstreamError {
    match cause.into() {
        // Already the MCP request's own failure: kept as it is.
        Error::Upstream(e) => e,
        other => UpstreamError::caused_by(ErrorKind::Auth, url.as_str(), other),
    }
}

impl Auth {
    /// A provider for `cfg`, using `http` for everything it sends.
    pub fn new(http: Guarded, cfg: Settings) -> Auth {
        let store = if cfg.enabled {
            match Store::open(cfg.store) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::warn!("{e}; tokens will not be kept after this run", e = Chain(&e));
                    None
                }
            }
        } else {
            None
        };
        Auth {
            key: cfg.key(),
            http,
            cfg,
            store,
            current: Mutex::new(Current::default()),
            single: tokio::sync::Mutex::new(Known::default()),
            dpop: dpop::State::default(),
            fresh: Mutex::new(Fresh::default()),
            bearer_only: AtomicBool::new(false),
            detached: AtomicBool::new(false),
            waiting: AtomicBool::new(false),
            handling: Default::default(),
        }
    }

    /// Whether a token is in use.
    pub fn has_token(&self) -> bool {
        self.current.locked().tokens.is_some()
    }

    /// When the token in use expires (seconds since the epoch), if it says.
    pub fn token_expiry(&self) -> Option<u64> {
        let cur = self.current.locked();
        cur.tokens.as_ref().and_then(|t| t.expires_at)
    }

    /// The access token to send when nothing must be waited for first: the
    /// store was read, and no refresh is due. `None` when something must.
    fn bearer_if_ready(&self) -> Option<Option<Secret>> {
        let cur = self.current.locked();
        if !cur.loaded {
            return None;
        }
        let Some(t) = cur.tokens.as_ref() else {
            return Some(None);
        };
        let now = now();
        // A machine grant has no refresh token: it asks again instead.
        let due = (t.refresh_token.is_some() || self.cfg.grant.is_machine())
            && t.refresh_due(now, REFRESH_AHEAD)
            && cur.refresh_paused_until <= now;
        (!due).then(|| Some(self.sent(t)))
    }

    /// The access token to send, refreshed first when it is about to expire.
    async fn current_bearer(&self) -> Option<Secret> {
        self.load_once().await;
        if let Some(ready) = self.bearer_if_ready() {
            return ready;
        }
        let token = self.current.locked().tokens.clone()?;
        match self.refresh_shared(&token).await {
            Ok(t) => Some(self.sent(&t)),
            Err(e) => {
                tracing::warn!(
                    "could not refresh the access token ahead of expiry: {e}",
                    e = Chain(&e)
                );
                let mut cur = self.current.locked();
                cur.refresh_paused_until = now() + REFRESH_PAUSE;
                // A refused refresh dropped the tokens: send none, and the
                // 401 starts a new sign-in.
                cur.tokens.as_ref().map(|t| self.sent(t))
            }
        }
    }

    /// What goes to the server of `t`: the access token, or with
    /// `--use-id-token` the ID token (the access token when there is none).
    fn sent(&self, t: &Tokens) -> Secret {
        match (&t.id_token, self.cfg.use_id_token) {
            (Some(id), true) => id.clone(),
            (None, true) => {
                tracing::warn!("--use-id-token: the authorization server sent no ID token (ask for the openid scope); sending the access token");
                t.access_token.clone()
            }
            _ => t.access_token.clone(),
        }
    }

    /// Read stored tokens the first time a token is needed; only when the
    /// metadata says something is stored is the keychain asked.
    async fn load_once(&self) {
        if self.current.locked().loaded {
            return;
        }
        let loaded = self.read_store(&self.key).await;
        let mut cur = self.current.locked();
        if !cur.loaded {
            cur.loaded = true;
            if let Some((meta, s)) = loaded {
                self.bearer_only.store(meta.bearer_only, Ordering::Relaxed);
                cur.tokens = s.tokens;
                self.dpop.restore(s.dpop_key.as_ref().map(Secret::expose));
            }
        }
    }

    /// What the store holds for this server, read with the lock held: what
    /// another process stored may replace what this one has. The key its
    /// tokens are bound to, and whether the server takes Bearer only, are
    /// taken with it; the tokens are the caller's to take.
    async fn read_shared(&self) -> Credentials {
        let Some((meta, s)) = self.read_store(&self.key).await else {
            return Credentials::default();
        };
        if meta.bearer_only {
            self.bearer_only.store(true, Ordering::Relaxed);
        }
        self.dpop.restore(s.dpop_key.as_ref().map(Secret::expose));
        s
    }

    /// What the store holds under `key` (this server's, or an identity
    /// provider's), with the blocking work off the runtime: its metadata,
    /// and its secret (empty when that cannot be read).
    async fn read_store(&self, key: &str) -> Option<(Meta, Credentials)> {
        let store = self.store.clone()?;
        let meta = store.meta(key)?;
        let key = key.to_owned();
        match tokio::task::spawn_blocking(move || store.load(&key)).await {
            Ok(Ok(Some((meta, secret)))) => {
                tracing::debug!("using credentials stored in the {}", meta.store);
                Some((meta, secret))
            }
            Ok(Ok(None)) => None,
            Ok(Err(e)) => {
                tracing::warn!("cannot read stored credentials: {e}", e = Chain(&e));
                Some((meta, Credentials::default()))
            }
            Err(e) => {
                tracing::warn!("cannot read stored credentials: {e}", e = Chain(&e));
                Some((meta, Credentials::default()))
            }
        }
    }

    /// Store the tokens (and a dynamic registration) for later runs and
    /// other processes.
    async fn save(&self, server: &AuthServer, client: Option<&Client>, tokens: Option<&Tokens>) {
        let meta = Meta {
            url: self.cfg.server.to_string(),
            resource: server.resource.clone().unwrap_or_default(),
            issuer: Some(server.issuer.clone()),
            store: Backend::File,
            expires_at: None,
            refreshable: false,
            updated_at: 0,
            grant: Some(self.cfg.grant.name().to_owned()),
            dpop: false,
            bearer_only: self.bearer_only.load(Ordering::Relaxed),
        };
        let secret = Credentials {
            client: client.filter(|c| c.dynamic).cloned(),
            tokens: tokens.cloned(),
            dpop_key: self.dpop.stored().map(Secret::from),
        };
        self.write_store(&self.key, meta, secret).await;
    }

    /// Store `secret` under `key` for later runs and other processes, with
    /// the blocking work off the runtime.
    async fn write_store(&self, key: &str, meta: Meta, secret: Credentials) {
        let Some(store) = self.store.clone() else {
            return;
        };
        let key = key.to_owned();
        match tokio::task::spawn_blocking(move || store.save(&key, &meta, &secret)).await {
            Ok(Ok(kind)) => tracing::debug!("credentials stored in the {kind}"),
            Ok(Err(e)) => {
                tracing::warn!(
                    "cannot store credentials: {e}; they last for this run only",
                    e = Chain(&e)
                )
            }
            Err(e) => tracing::warn!("cannot store credentials: {e}", e = Chain(&e)),
        }
    }

    /// A person signed in (browser or device code) and `t` came of it, as
    /// `client`: say so, store and use the tokens, and remember them as
    /// fresh (see `refused_at_once`).
    async fn person_signed_in(
        &self,
        known: &mut Known,
        server: &AuthServer,
        client: Client,
        t: Tokens,
    ) {
        let url = &self.cfg.server;
        tracing::info!("signed in to {}", crate::url_policy::shown(url));
        notice::say(&format!(
            "signed in to {}.",
            url.host_str().unwrap_or("the server")
        ));
        self.save(server, Some(&client), Some(&t)).await;
        self.adopt_fresh(t);
        known.client = Some(client);
    }

    /// Use `t`, which a person just signed in for, remembered as fresh
    /// (see `refused_at_once`).
    fn adopt_fresh(&self, t: Tokens) {
        *self.fresh.locked() = Fresh {
            token: Some(self.sent(&t)),
            refused_at: None,
        };
        self.adopt(Some(t));
    }

    fn adopt(&self, tokens: Option<Tokens>) {
        let mut cur = self.current.locked();
        cur.tokens = tokens;
        cur.loaded = true;
        cur.refresh_paused_until = 0;
    }

    fn current_access(&self) -> Option<Secret> {
        let cur = self.current.locked();
        cur.tokens.as_ref().map(|t| self.sent(t))
    }

    /// Hold the cross-process lock for this server.
    async fn lock(&self) -> Result<Option<lock::Held>, UpstreamError> {
        let Some(store) = &self.store else {
            return Ok(None);
        };
        store
            .ensure_dir()
            .map_err(|e| failed(&self.cfg.server, e))?;
        let limit = self.cfg.auth_timeout + LOCK_MARGIN;
        let path = store.lock_path(&self.key);
        self.waiting.store(true, Ordering::Relaxed);
        let what = "the sign-in another mcp-bridge started";
        let took = notice::progress(what, limit, lock::acquire(&path, limit)).await;
        self.waiting.store(false, Ordering::Relaxed);
        match took {
            Ok(Some(h)) => Ok(Some(h)),
            Ok(None) => Err(failed(
                &self.cfg.server,
                FlowError::LockHeld {
                    secs: limit.as_secs(),
                },
            )),
            Err(e) => Err(failed(&self.cfg.server, e)),
        }
    }

    /// Take this server's turn to change its tokens: first in this process,
    /// then across processes (the lock file). `None` when the token `sent`
    /// was replaced meanwhile, here or by another process (whose stored
    /// token is then used): there is nothing left to do.
    async fn turn(&self, sent: Option<&str>) -> Result<Option<Turn<'_>>, UpstreamError> {
        let mut known = self.single.lock().await;
        if self.current_access().as_ref().map(Secret::expose) != sent {
            return Ok(None);
        }
        let held = self.lock().await?;
        // Another process may have signed in or refreshed: its refresh token
        // replaced ours (rotating refresh tokens must never be spent twice).
        let stored = self.read_shared().await;
        if let Some(t) = &stored.tokens {
            if Some(t.access_token.expose()) != sent {
                tracing::info!("using the token another mcp-bridge process just stored");
                self.adopt(Some(t.clone()));
                return Ok(None);
            }
        }
        if known.client.is_none() {
            known.client = stored.client;
        }
        Ok(Some(Turn { known, held }))
    }
}

/// Two space-separated scope lists joined, without repeats.
fn union(a: Option<&str>, b: Option<&str>) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for s in a.into_iter().chain(b).flat_map(str::split_whitespace) {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    (!out.is_empty()).then(|| out.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_joined_without_repeats() {
        assert_eq!(union(Some("a b"), Some("b c")).as_deref(), Some("a b c"));
        assert_eq!(union(None, Some("x")).as_deref(), Some("x"));
        assert_eq!(union(None, None), None);
    }

    #[test]
    fn keys_differ_by_server_resource_and_headers() {
        let base = Settings {
            grant: GrantMode::Browser,
            assertion_key: None,
            token_endpoint: None,
            dpop: true,
            device_when_headless: false,
            use_id_token: false,
            paste_back: false,
            server: Url::parse("https://a.example/mcp").unwrap().into(),
            enabled: true,
            identity: String::new(),
            resource: None,
            static_client: None,
            client_metadata: None,
            client_metadata_url: None,
            callback_port: None,
            auth_timeout: Duration::from_secs(1),
            browser: false,
            store: None,
            allow_http: false,
            redirect: callback::Redirect::default(),
            authorize_params: Vec::new(),
            resource_parameter: true,
            headers_timeout: None,
            detach: None,
            interactive: true,
        };
        let k = base.key();
        assert_eq!(k.len(), 32);
        let other = |f: &dyn Fn(&mut Settings)| {
            let mut s = base.clone();
            f(&mut s);
            s.key()
        };
        assert_ne!(
            k,
            other(&|s| s.server = Url::parse("https://b.example/mcp").unwrap().into())
        );
        assert_ne!(k, other(&|s| s.resource = Some("https://a.example".into())));
        assert_ne!(k, other(&|s| s.identity = "x-account: bob".into()));
        assert_eq!(k, other(&|s| s.browser = true));
        assert_ne!(k, other(&|s| s.grant = GrantMode::ClientCredentials));
    }
}
