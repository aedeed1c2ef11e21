//! DPoP (RFC 9449, SEP-1932): where the authorization server lists ES256 in
//! `dpop_signing_alg_values_supported`, tokens are bound to a key the
//! bridge makes for the server credential and keeps with its tokens (a
//! secret like them). Every token request and every request to the MCP
//! server carries a fresh proof; a server that answers `use_dpop_nonce`
//! gets the request once more with its nonce. `--no-dpop` turns it off.
//! Tokens are bound only where the resource takes DPoP too (its metadata
//! or its challenge says so); a bound token refused with a Bearer-only
//! challenge leads, once, to an unbound one, remembered for the server.

use super::endpoints::{Dpop, Proofs};
use super::jwt::{DpopKey, SigningError, SigningKey};
use super::server::AuthServer;
use super::store::Client;
use super::Auth;
use crate::http::challenge::Challenge;
use crate::sync::Locked;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use url::Url;

/// The DPoP key of the current credential and the servers' nonces.
#[derive(Default)]
pub struct State {
    key: Mutex<Option<Arc<DpopKey>>>,
    /// The authorization server's last `DPoP-Nonce`.
    pub auth_nonce: Mutex<Option<String>>,
    /// The MCP server's last `DPoP-Nonce`.
    resource_nonce: Mutex<Option<String>>,
}

impl State {
    /// Take the key stored with the credential.
    pub fn restore(&self, stored: Option<&str>) {
        let key = stored
            .and_then(|s| B64.decode(s).ok())
            .and_then(|der| DpopKey::from_pkcs8(&der).ok());
        if let Some(k) = key {
            *self.key.locked() = Some(Arc::new(k));
        }
    }

    /// The key, for the store.
    pub fn stored(&self) -> Option<String> {
        self.key.locked().as_ref().map(|k| k.stored())
    }

    /// The key, made on first use.
    fn key(&self) -> Result<Arc<DpopKey>, SigningError> {
        let mut k = self.key.locked();
        if let Some(key) = k.as_ref() {
            return Ok(Arc::clone(key));
        }
        let key = Arc::new(DpopKey::generate()?);
        tracing::info!(
            "the authorization server binds tokens to a key (DPoP); made one for this server"
        );
        *k = Some(Arc::clone(&key));
        Ok(key)
    }

    /// The proof for a request to the MCP server with the bound `token`.
    pub fn resource_proof(&self, method: &str, url: &Url, token: &str) -> Option<String> {
        let key = self.key.locked().clone()?;
        let nonce = self.resource_nonce.locked().clone();
        match key.proof(method, url, Some(token), nonce.as_deref()) {
            Ok(p) => Some(p),
            Err(e) => {
                tracing::warn!("{e}", e = crate::text::Chain(&e));
                None
            }
        }
    }

    /// The MCP server asked for `nonce`; true when it is a new one.
    pub fn resource_nonce(&self, nonce: &str) -> bool {
        let mut n = self.resource_nonce.locked();
        if n.as_deref() == Some(nonce) {
            return false;
        }
        *n = Some(nonce.to_owned());
        true
    }
}

impl Auth {
    /// The key for token requests at `server`, when tokens are bound to
    /// one: the authorization server offers DPoP, the resource takes it
    /// (discovery decides both), `--no-dpop` is not given, and the server
    /// never refused a bound token with a Bearer-only challenge.
    pub(super) fn dpop_key(
        &self,
        server: &AuthServer,
    ) -> Result<Option<Arc<DpopKey>>, SigningError> {
        if !server.dpop || !self.cfg.dpop || self.bearer_only.load(Ordering::Relaxed) {
            return Ok(None);
        }
        self.dpop.key().map(Some)
    }

    /// After a 401 to the token `sent` with challenge `c`: true when `sent`
    /// was bound to a DPoP key and the challenge offers Bearer only, the
    /// first time for this server. The server does not take DPoP, so an
    /// unbound token is worth getting (a refresh would bind it again).
    pub(super) fn binding_refused(&self, sent: Option<&str>, c: &Challenge) -> bool {
        let bound = {
            let cur = self.current.locked();
            cur.tokens
                .as_ref()
                .is_some_and(|t| t.dpop && Some(self.sent(t).expose()) == sent)
        };
        bound && c.bearer && !c.dpop && !self.bearer_only.load(Ordering::Relaxed)
    }

    /// Remember, for this server and later runs, that its tokens are never
    /// bound.
    pub(super) fn bearer_only_from_now(&self) {
        self.bearer_only.store(true, Ordering::Relaxed);
        tracing::info!("the server refused a DPoP-bound token and asks for a Bearer token; getting an unbound one, now and from now on");
    }

    /// The key that signs client assertions, for the configured client
    /// only.
    fn key_for(&self, client: &Client) -> Option<&SigningKey> {
        let configured = self.cfg.static_client.as_ref()?;
        (configured.client_id == client.client_id)
            .then_some(self.cfg.assertion_key.as_deref())
            .flatten()
    }

    /// What signs a token request for `client`: its assertion key, and the
    /// DPoP `key` with the authorization server's nonce.
    pub(super) fn proofs<'a>(&'a self, client: &Client, key: Option<&'a DpopKey>) -> Proofs<'a> {
        Proofs {
            key: self.key_for(client),
            dpop: key.map(|key| Dpop {
                key,
                nonce: &self.dpop.auth_nonce,
            }),
        }
    }
}
