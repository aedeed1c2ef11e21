//! Who may reach the server, checked on every request to an MCP path
//! before its body is read or a child started:
//!
//! - **The guard** against DNS rebinding: a `Host` this server answers to
//!   when it listens on loopback, and an `Origin` (when a browser sends
//!   one) of its own or one `--allow-origin` names. Anything else gets 403.
//! - **Bearer keys** (`--bearer-token-file`): a request must carry
//!   `Authorization: Bearer` with one of the file's keys, or it gets 401
//!   with `WWW-Authenticate` (RFC 6750, 3). The keys are kept only as
//!   their SHA-256 digests, and a presented token is compared, digest to
//!   digest, with every key, so that neither the time taken nor the order
//!   of the keys says anything about them (a digest leaks nothing of its
//!   key). The principal found, never the token, is logged and bound to
//!   the sessions it starts: a session is not reached with another key.

use super::reply::{rpc_error, Body};
use super::Front;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, HOST, ORIGIN, WWW_AUTHENTICATE};
use hyper::{Request, Response, StatusCode};
use ring::digest::{digest, SHA256};
use std::path::{Path, PathBuf};

/// The longest `Authorization` value read.
const MAX_CREDENTIALS: usize = 8192;
/// The most keys a file may hold.
const MAX_KEYS: usize = 10_000;

/// Who a request comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No authentication is configured.
    Anyone,
    /// The holder of the key on this line of `--bearer-token-file`
    /// (counting from 1, blank lines and comments included).
    Key(usize),
}

impl std::fmt::Display for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Principal::Anyone => f.write_str("anyone"),
            Principal::Key(line) => write!(f, "the key of line {line}"),
        }
    }
}

/// The bearer keys a request must present one of.
pub struct Keys {
    /// Each key's SHA-256 digest, with its line.
    digests: Vec<([u8; 32], usize)>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keys({} keys)", self.digests.len())
    }
}

/// Why `--bearer-token-file` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// It could not be read.
    #[error("cannot read --bearer-token-file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// It holds no key.
    #[error("--bearer-token-file {} holds no key (one a line; # starts a comment)", path.display())]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// It holds too many.
    #[error("--bearer-token-file {} holds more than {MAX_KEYS} keys", path.display())]
    TooMany {
        /// The file.
        path: PathBuf,
    },
    /// A key that could not be sent in a header.
    #[error("line {line} of --bearer-token-file {} is not a token a header can carry (RFC 6750 b64token)", path.display())]
    NotAToken {
        /// The file.
        path: PathBuf,
        /// Its line.
        line: usize,
    },
}

impl Keys {
    /// The keys of `path`: one a line, white space around it ignored, blank
    /// lines and lines that start with `#` skipped.
    pub fn load(path: &Path) -> Result<Keys, KeysError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeysError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut digests = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let key = line.trim();
            if key.is_empty() || key.starts_with('#') {
                continue;
            }
            if !is_b64token(key) {
                return Err(KeysError::NotAToken {
                    path: path.to_owned(),
                    line: n + 1,
                });
            }
            if digests.len() == MAX_KEYS {
                return Err(KeysError::TooMany {
                    path: path.to_owned(),
                });
            }
            digests.push((sha256(key.as_bytes()), n + 1));
        }
        if digests.is_empty() {
            return Err(KeysError::Empty {
                path: path.to_owned(),
            });
        }
        warn_if_others_read(path);
        Ok(Keys { digests })
    }

    /// The holder of `token`, compared with every key.
    fn holder(&self, token: &str) -> Option<usize> {
        let presented = sha256(token.as_bytes());
        let mut found = None;
        for (d, line) in &self.digests {
            let differs = d
                .iter()
                .zip(&presented)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if differs == 0 && found.is_none() {
                found = Some(*line);
            }
        }
        found
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(digest(&SHA256, bytes).as_ref());
    out
}

/// RFC 6750's `b64token`: what a bearer token may be made of.
fn is_b64token(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// A key file others may read is a key others may hold.
fn warn_if_others_read(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(
                    "--bearer-token-file {} can be read by other users (chmod 600 it)",
                    path.display()
                );
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

impl Front {
    /// Who sent `req`, or the 401 that refuses it.
    pub(super) fn admit(&self, req: &Request<Incoming>) -> Result<Principal, Box<Response<Body>>> {
        let Some(keys) = &self.settings.keys else {
            return Ok(Principal::Anyone);
        };
        let given = req.headers().get(AUTHORIZATION).map(HeaderValue::as_bytes);
        let token = given
            .filter(|v| v.len() <= MAX_CREDENTIALS)
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            });
        match token.and_then(|t| keys.holder(t)) {
            Some(line) => Ok(Principal::Key(line)),
            None => {
                // With no credentials, no error code (RFC 6750, 3.1).
                let (challenge, why) = match given {
                    None => (r#"Bearer realm="mcp""#, "a bearer token is required"),
                    Some(_) => (
                        r#"Bearer realm="mcp", error="invalid_token", error_description="the token is not one of this server's keys""#,
                        "the token is not one of this server's keys",
                    ),
                };
                tracing::warn!("refused a request: {why}");
                let mut r = rpc_error(
                    StatusCode::UNAUTHORIZED,
                    -32001,
                    &format!("Unauthorized: {why}"),
                );
                r.headers_mut()
                    .insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
                Err(Box::new(r))
            }
        }
    }

    /// The guard against DNS rebinding: a `Host` this server answers to,
    /// and an `Origin` (when a browser sends one) of its own or allowed.
    pub(super) fn guard(&self, req: &Request<Incoming>) -> Option<Response<Body>> {
        let host = req
            .headers()
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_ascii_lowercase);
        let loopback = self.settings.listen.ip().is_loopback();
        if loopback
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
        });
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

    fn keys(text: &str) -> Result<Keys, KeysError> {
        let dir = std::env::temp_dir().join(format!("mcp-bridge-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{:x}", sha256(text.as_bytes())[0]));
        std::fs::write(&path, text).unwrap();
        let k = Keys::load(&path);
        let _ = std::fs::remove_file(&path);
        k
    }

    #[test]
    fn keys_are_found_by_their_line_and_never_kept() {
        let k = keys("# team keys\n\n  alpha-123  \nbeta/456==\n").unwrap();
        assert_eq!(k.holder("alpha-123"), Some(3));
        assert_eq!(k.holder("beta/456=="), Some(4));
        assert_eq!(k.holder("alpha-12"), None);
        assert_eq!(k.holder(""), None);
        assert_eq!(format!("{k:?}"), "Keys(2 keys)");
    }

    #[test]
    fn a_file_without_usable_keys_is_refused() {
        assert!(matches!(keys("# none\n\n"), Err(KeysError::Empty { .. })));
        assert!(matches!(
            keys("good\nnot a token\n"),
            Err(KeysError::NotAToken { line: 2, .. })
        ));
    }
}
