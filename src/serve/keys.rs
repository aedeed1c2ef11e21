//! `--bearer-token-file`: static bearer keys, one a line. They are kept
//! only as their SHA-256 digests, and a presented token is compared,
//! digest to digest, with every key, so that neither the time taken nor
//! the order of the keys says anything about them (a digest leaks nothing
//! of its key). A key is named in the log by its line, never shown.

use super::tokens::sha256;
use std::path::{Path, PathBuf};

/// The most keys a file may hold.
const MAX_KEYS: usize = 10_000;

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
    pub fn holder(&self, token: &str) -> Option<usize> {
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
