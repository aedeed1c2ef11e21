//! Where credentials live: the OS keychain (Secret Service, macOS Keychain,
//! Windows Credential Manager) through `keyring`, or owner-only files in the
//! per-user data directory when no keychain is available. Beside either, a
//! small non-secret `.meta.json` per server (URL, where its secret is kept,
//! expiry) that `status` lists and that tells a bridge whether it has
//! anything stored for a server without touching the keychain.

use crate::files::{self, data_dir, ensure_private_dir, write_private, FileError};
use crate::secret::Secret;
use crate::text::Chain;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The keychain service name every entry is filed under.
const SERVICE: &str = "mcp-bridge";
/// Largest file or keychain record read back.
const RECORD_LIMIT: usize = 1 << 20;
/// Characters per keychain entry. Windows' Credential Manager takes at most
/// 2,560 bytes of UTF-16 per credential, so long records are split there.
#[cfg(windows)]
const CHUNK: usize = 1000;
#[cfg(not(windows))]
const CHUNK: usize = 1 << 20;
/// How many chunks a record may claim when read back.
const MAX_CHUNKS: usize = 64;

/// Why credentials could not be kept, read or removed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file of the store, or its directory.
    #[error(transparent)]
    File(#[from] FileError),
    /// The OS keychain refused (`what`: "use", "read", "reach", "remove from").
    #[error("cannot {what} the OS keychain")]
    Keychain {
        /// What the bridge asked of it.
        what: &'static str,
        /// The keychain's reason.
        source: keyring::Error,
    },
    /// A keychain record the bridge did not write in this form.
    #[error("a keychain entry of another format")]
    Foreign,
    /// A keychain record that claims more parts than any the bridge writes.
    #[error("a keychain entry claims {0} parts")]
    TooManyParts(usize),
    /// A keychain record past the size bound.
    #[error("a keychain record larger than 1 MiB")]
    TooLarge,
    /// The record could not be put into JSON.
    #[error("cannot encode the credentials")]
    Encode(#[from] serde_json::Error),
}

fn keychain(what: &'static str) -> impl FnOnce(keyring::Error) -> StoreError {
    move |source| StoreError::Keychain { what, source }
}

/// Where a server's secret is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// The OS keychain.
    Keychain,
    /// An owner-only file in the data directory.
    File,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Keychain => "keychain",
            Backend::File => "file",
        })
    }
}

/// What is known about a server's credentials that is not secret.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Meta {
    /// The MCP server URL.
    pub url: String,
    /// The resource indicator tokens are asked for.
    pub resource: String,
    /// The authorization server's issuer, once known.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Where the secret is kept.
    pub store: Backend,
    /// When the access token expires (seconds since the epoch), if said.
    #[serde(default)]
    pub expires_at: Option<u64>,
    /// Whether a refresh token is stored.
    #[serde(default)]
    pub refreshable: bool,
    /// When this was last written (seconds since the epoch).
    #[serde(default)]
    pub updated_at: u64,
    /// How the tokens were got ("authorization code (browser)", "client
    /// credentials", ...); absent in records of older versions.
    #[serde(default)]
    pub grant: Option<String>,
    /// The access token is bound to a DPoP key.
    #[serde(default)]
    pub dpop: bool,
    /// The server refused a DPoP-bound token with a Bearer-only challenge:
    /// tokens for it are never bound, whatever the authorization server
    /// offers.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bearer_only: bool,
}

/// A registered OAuth client.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Client {
    /// The client id.
    pub client_id: String,
    /// The client secret, for confidential registrations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    /// How the client authenticates at the token endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_method: Option<String>,
    /// The redirect URI it was registered with (a new one means a new registration).
    #[serde(default)]
    pub redirect_uri: String,
    /// The issuer it was registered at.
    #[serde(default)]
    pub issuer: String,
    /// Registered by the bridge (dynamic registration), so it may be redone.
    #[serde(default)]
    pub dynamic: bool,
    /// The scope it was registered with: the scopes it may ask for (RFC
    /// 7591 §2). `None`: registered without one, or by an older version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// Tokens for one server.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Tokens {
    /// The bearer token.
    pub access_token: Secret,
    /// The refresh token, if one was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// Expiry, seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// The scope granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// When it was issued, seconds since the epoch.
    #[serde(default)]
    pub issued_at: u64,
    /// The token is bound to the credential's DPoP key (`token_type` DPoP).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dpop: bool,
    /// The OpenID Connect ID token, when the answer carried one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<Secret>,
}

impl Tokens {
    /// Whether to refresh now: within a minute of expiry, or within the
    /// last quarter of a shorter lifetime.
    pub fn refresh_due(&self, now: u64, ahead: u64) -> bool {
        let Some(at) = self.expires_at else {
            return false;
        };
        let lifetime = at.saturating_sub(self.issued_at);
        at <= now + ahead.min(lifetime / 4)
    }
}

/// Everything secret about one server.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Credentials {
    /// The OAuth client the bridge uses there.
    #[serde(default)]
    pub client: Option<Client>,
    /// The current tokens.
    #[serde(default)]
    pub tokens: Option<Tokens>,
    /// The DPoP private key the tokens are bound to (PKCS#8, base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_key: Option<Secret>,
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

/// The credential store: a directory and a keychain.
#[derive(Clone)]
pub struct Store {
    dir: PathBuf,
    forced: Option<Backend>,
}

/// Said once a process: no keychain, files instead.
static FALLBACK_SAID: AtomicBool = AtomicBool::new(false);

impl Store {
    /// The store in the per-user data directory (`MCP_BRIDGE_DATA_DIR`
    /// overrides it), using `forced` when given, else the keychain when one
    /// is available and files otherwise.
    pub fn open(forced: Option<Backend>) -> Result<Store, StoreError> {
        Ok(Store {
            dir: data_dir()?.join("credentials"),
            forced,
        })
    }

    /// The directory metadata, files and locks live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn meta_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.meta.json"))
    }

    fn secret_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.secret.json"))
    }

    /// The lock file for `key`.
    pub fn lock_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.lock"))
    }

    /// Create the directory, owner-only.
    pub fn ensure_dir(&self) -> Result<(), StoreError> {
        Ok(ensure_private_dir(&self.dir)?)
    }

    /// The metadata stored for `key`, if any.
    pub fn meta(&self, key: &str) -> Option<Meta> {
        let bytes = read_bounded(&self.meta_path(key)).ok()??;
        match serde_json::from_slice(&bytes) {
            Ok(m) => Some(m),
            Err(e) => {
                tracing::warn!(
                    "ignoring unreadable {}: {e}",
                    self.meta_path(key).display(),
                    e = Chain(&e)
                );
                None
            }
        }
    }

    /// Everything stored for `key` (blocking: may ask the keychain).
    pub fn load(&self, key: &str) -> Result<Option<(Meta, Credentials)>, StoreError> {
        let Some(meta) = self.meta(key) else {
            return Ok(None);
        };
        let raw = match meta.store {
            Backend::File => {
                let path = self.secret_path(key);
                read_bounded(&path).map_err(FileError::io("read", &path))?
            }
            Backend::Keychain => keychain_get(key)?,
        };
        let Some(raw) = raw else {
            return Ok(Some((meta, Credentials::default())));
        };
        let secret = serde_json::from_slice(&raw).unwrap_or_else(|e| {
            tracing::warn!(
                "stored credentials for {} are unreadable ({e}); signing in again",
                meta.url,
                e = Chain(&e)
            );
            Credentials::default()
        });
        Ok(Some((meta, secret)))
    }

    /// Store `secret` for `key`, with `meta`'s URL and resource; returns
    /// where it went (blocking: may ask the keychain).
    pub fn save(
        &self,
        key: &str,
        meta: &Meta,
        secret: &Credentials,
    ) -> Result<Backend, StoreError> {
        self.ensure_dir()?;
        let body = serde_json::to_string(secret)?;
        let previous = self.meta(key).map(|m| m.store);
        let kind = match self.forced {
            Some(Backend::File) => Backend::File,
            Some(Backend::Keychain) => {
                keychain_set(key, &body).map_err(keychain("use"))?;
                Backend::Keychain
            }
            None => match keychain_set(key, &body) {
                Ok(()) => Backend::Keychain,
                Err(e) => {
                    if !FALLBACK_SAID.swap(true, Ordering::Relaxed) {
                        tracing::info!(
                            "no OS keychain is available ({e}); keeping credentials in owner-only files under {}",
                            self.dir.display()
                        , e = Chain(&e));
                    }
                    Backend::File
                }
            },
        };
        if kind == Backend::File {
            write_private(&self.secret_path(key), body.as_bytes())?;
        }
        // Don't leave a copy where it no longer lives.
        match (previous, kind) {
            (Some(Backend::File), Backend::Keychain) => {
                let _ = fs::remove_file(self.secret_path(key));
            }
            (Some(Backend::Keychain), Backend::File) => {
                let _ = keychain_delete(key);
            }
            _ => {}
        }
        let meta = Meta {
            store: kind,
            expires_at: secret.tokens.as_ref().and_then(|t| t.expires_at),
            refreshable: secret
                .tokens
                .as_ref()
                .is_some_and(|t| t.refresh_token.is_some()),
            updated_at: now(),
            dpop: secret.tokens.as_ref().is_some_and(|t| t.dpop),
            ..meta.clone()
        };
        let meta_body = serde_json::to_vec_pretty(&meta)?;
        write_private(&self.meta_path(key), &meta_body)?;
        Ok(kind)
    }

    /// Remove everything stored for `key`; false when there was nothing.
    pub fn remove(&self, key: &str) -> Result<bool, StoreError> {
        let Some(meta) = self.meta(key) else {
            return Ok(false);
        };
        if meta.store == Backend::Keychain {
            keychain_delete(key)?;
        }
        let _ = fs::remove_file(self.secret_path(key));
        let path = self.meta_path(key);
        fs::remove_file(&path).map_err(FileError::io("remove", &path))?;
        let _ = fs::remove_file(self.lock_path(key));
        Ok(true)
    }

    /// Every server with stored credentials, by key.
    pub fn list(&self) -> Vec<(String, Meta)> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out: Vec<(String, Meta)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let key = name.strip_suffix(".meta.json")?.to_owned();
                let meta = self.meta(&key)?;
                Some((key, meta))
            })
            .collect();
        out.sort_by(|a, b| a.1.url.cmp(&b.1.url));
        out
    }
}

/// Read a record file; `None` when it is absent.
fn read_bounded(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    files::read_bounded(path, RECORD_LIMIT)
}

/// Split a record into keychain-sized entries: the first says how many
/// there are ("N:" before its text).
fn split(body: &str, chunk: usize) -> Vec<String> {
    let chars: Vec<char> = body.chars().collect();
    let parts: Vec<String> = if chars.is_empty() {
        vec![String::new()]
    } else {
        chars.chunks(chunk).map(|c| c.iter().collect()).collect()
    };
    let n = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| if i == 0 { format!("{n}:{p}") } else { p })
        .collect()
}

/// The number of entries a first entry announces, and its own text.
fn head(first: &str) -> Result<(usize, &str), StoreError> {
    let (n, rest) = first.split_once(':').ok_or(StoreError::Foreign)?;
    let n: usize = n.parse().map_err(|_| StoreError::Foreign)?;
    if n == 0 || n > MAX_CHUNKS {
        return Err(StoreError::TooManyParts(n));
    }
    Ok((n, rest))
}

fn entry(key: &str, part: usize) -> Result<keyring::Entry, keyring::Error> {
    let user = if part == 0 {
        key.to_owned()
    } else {
        format!("{key}.{part}")
    };
    keyring::Entry::new(SERVICE, &user)
}

fn keychain_set(key: &str, text: &str) -> Result<(), keyring::Error> {
    let parts = split(text, CHUNK);
    // Later parts first, so a reader never sees a head without its parts.
    for (i, p) in parts.iter().enumerate().rev() {
        entry(key, i)?.set_password(p)?;
    }
    Ok(())
}

fn keychain_get(key: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let first = match entry(key, 0).and_then(|e| e.get_password()) {
        Ok(p) => p,
        Err(keyring::Error::NoEntry) => return Ok(None),
        Err(e) => return Err(keychain("read")(e)),
    };
    let (n, text) = head(&first)?;
    let mut out = text.to_owned();
    for i in 1..n {
        let part = entry(key, i)
            .and_then(|e| e.get_password())
            .map_err(keychain("read"))?;
        out.push_str(&part);
        if out.len() > RECORD_LIMIT {
            return Err(StoreError::TooLarge);
        }
    }
    Ok(Some(out.into_bytes()))
}

fn keychain_delete(key: &str) -> Result<(), StoreError> {
    let n = match entry(key, 0).and_then(|e| e.get_password()) {
        Ok(first) => head(&first).map(|(n, _)| n).unwrap_or(1),
        Err(keyring::Error::NoEntry) => return Ok(()),
        Err(e) => return Err(keychain("reach")(e)),
    };
    for i in (0..n).rev() {
        match entry(key, i).and_then(|e| e.delete_credential()) {
            Ok(()) | Err(keyring::Error::NoEntry) => {}
            Err(e) => return Err(keychain("remove from")(e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_split_and_join_for_small_keychain_entries() {
        let body = "x".repeat(2500) + "é";
        let parts = split(&body, 1000);
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|p| p.chars().count() <= 1002));
        let (n, first) = head(&parts[0]).unwrap();
        assert_eq!(n, 3);
        let joined: String = std::iter::once(first)
            .chain(parts[1..].iter().map(String::as_str))
            .collect();
        assert_eq!(joined, body);
        assert_eq!(split("", 10), vec!["1:".to_owned()]);
        assert!(head("garbage").is_err());
        assert!(head("999:x").is_err());
    }

    #[test]
    fn refresh_is_due_a_minute_ahead_or_in_the_last_quarter() {
        let t = |issued, expires| Tokens {
            access_token: "a".into(),
            refresh_token: None,
            expires_at: Some(expires),
            scope: None,
            issued_at: issued,
            dpop: false,
            id_token: None,
        };
        assert!(!t(0, 3600).refresh_due(3000, 60));
        assert!(t(0, 3600).refresh_due(3541, 60));
        // A 2 s token is not refreshed on every request, only once expired.
        assert!(!t(100, 102).refresh_due(101, 60));
        assert!(t(100, 102).refresh_due(102, 60));
        let mut forever = t(0, 0);
        forever.expires_at = None;
        assert!(!forever.refresh_due(u64::MAX / 2, 60));
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let s = Credentials {
            dpop_key: Some("dpop-key-value".into()),
            client: Some(Client {
                client_id: "cid".into(),
                client_secret: Some("client-secret-value".into()),
                auth_method: None,
                redirect_uri: String::new(),
                issuer: String::new(),
                dynamic: true,
                scope: None,
            }),
            tokens: Some(Tokens {
                access_token: "access-token-value".into(),
                refresh_token: Some("refresh-token-value".into()),
                expires_at: Some(1),
                scope: None,
                issued_at: 0,
                dpop: false,
                id_token: None,
            }),
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("value"), "{shown}");
        assert!(shown.contains("cid"));
    }

    #[cfg(unix)]
    #[test]
    fn file_store_is_owner_only_and_round_trips() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let store = Store {
            dir: tmp.path().join("credentials"),
            forced: Some(Backend::File),
        };
        let meta = Meta {
            url: "https://example.com/mcp".into(),
            resource: "https://example.com/mcp".into(),
            issuer: None,
            store: Backend::File,
            expires_at: None,
            refreshable: false,
            updated_at: 0,
            grant: Some("client credentials".into()),
            dpop: false,
            bearer_only: false,
        };
        let secret = Credentials {
            dpop_key: None,
            client: None,
            tokens: Some(Tokens {
                access_token: "a".into(),
                refresh_token: Some("r".into()),
                expires_at: Some(42),
                scope: None,
                issued_at: 0,
                dpop: false,
                id_token: None,
            }),
        };
        assert_eq!(store.save("k1", &meta, &secret).unwrap(), Backend::File);
        let (m, s) = store.load("k1").unwrap().unwrap();
        assert_eq!(s, secret);
        assert_eq!(m.expires_at, Some(42));
        assert!(m.refreshable);
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(store.dir()), 0o700);
        assert_eq!(mode(&store.secret_path("k1")), 0o600);
        assert_eq!(mode(&store.meta_path("k1")), 0o600);
        assert_eq!(store.list().len(), 1);
        assert!(store.remove("k1").unwrap());
        assert!(store.load("k1").unwrap().is_none());
        assert!(!store.secret_path("k1").exists());
        assert!(!store.remove("k1").unwrap());
    }
}
