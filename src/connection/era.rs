//! Which protocol era a server speaks, remembered between starts, as the
//! 2026-07-28 revision recommends (`basic/versioning.mdx`: cache the era per
//! server, persist it if you like, probe again when the remembered
//! assumption fails). It saves the second start against a handshake-era
//! server the `server/discover` probe, and against an HTTP+SSE server the
//! two refused POSTs as well.
//!
//! The file (`eras.json` in the data directory) holds nothing secret: the
//! server's URL without its query, fragment or user info (a query may carry
//! an API key), the era, the transport and when it was seen. It is untrusted
//! input like any file: read with a size bound, and a broken one is ignored
//! (then replaced). It is a hint only; a wrong entry costs one failed
//! request, after which the era is found afresh.

use super::state::Transport;
use crate::files;
use crate::text::Chain;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The largest era file read.
const FILE_LIMIT: usize = 256 * 1024;
/// How many servers are remembered; the oldest are forgotten first.
const MAX_SERVERS: usize = 200;

/// What a server was found to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Era {
    /// Revision 2026-07-28 (stateless) over Streamable HTTP.
    Modern,
    /// The `initialize` handshake, over this transport.
    Handshake(Transport),
}

impl Era {
    /// As `check` shows it.
    pub fn name(self) -> &'static str {
        match self {
            Era::Modern => "2026-07-28",
            Era::Handshake(Transport::Http) => "handshake over Streamable HTTP",
            Era::Handshake(Transport::Sse) => "handshake over HTTP+SSE",
        }
    }
}

#[derive(Serialize, Deserialize, Clone)]
struct Entry {
    era: String,
    #[serde(default)]
    transport: String,
    /// Seconds since the epoch when it was last found.
    at: u64,
}

#[derive(Serialize, Deserialize, Default)]
struct File {
    #[serde(default)]
    servers: BTreeMap<String, Entry>,
}

/// The remembered era of one server.
#[derive(Debug, Clone)]
pub struct EraMemory {
    /// The file; `None` keeps nothing (no data directory, or turned off).
    path: Option<PathBuf>,
    key: String,
}

impl EraMemory {
    /// The memory for the server at `url`, kept in `eras.json` in the data
    /// directory (none when there is no data directory).
    pub fn for_server(url: &url::Url) -> Self {
        let path = files::data_dir().ok().map(|d| d.join("eras.json"));
        EraMemory {
            path,
            key: key_of(url),
        }
    }

    /// A memory that keeps nothing.
    pub fn off() -> Self {
        EraMemory {
            path: None,
            key: String::new(),
        }
    }

    /// The era this server was last found to speak.
    pub fn recall(&self) -> Option<Era> {
        let entry = self.read().servers.remove(&self.key)?;
        match (entry.era.as_str(), entry.transport.as_str()) {
            ("modern", _) => Some(Era::Modern),
            ("handshake", "sse") => Some(Era::Handshake(Transport::Sse)),
            ("handshake", _) => Some(Era::Handshake(Transport::Http)),
            _ => None,
        }
    }

    /// Remember that this server speaks `era` (written only when that is news).
    pub fn remember(&self, era: Era) {
        let (name, transport) = match era {
            Era::Modern => ("modern", "streamable-http"),
            Era::Handshake(Transport::Http) => ("handshake", "streamable-http"),
            Era::Handshake(Transport::Sse) => ("handshake", "sse"),
        };
        let written = self.update(|f| {
            let same = f
                .servers
                .get(&self.key)
                .is_some_and(|e| e.era == name && e.transport == transport);
            if !same {
                f.servers.insert(
                    self.key.clone(),
                    Entry {
                        era: name.to_owned(),
                        transport: transport.to_owned(),
                        at: now(),
                    },
                );
            }
            !same
        });
        if written {
            tracing::debug!("remembered: {} speaks {}", self.key, era.name());
        }
    }

    /// Forget this server's era: what was remembered failed.
    pub fn forget(&self) {
        self.update(|f| f.servers.remove(&self.key).is_some());
    }

    fn read(&self) -> File {
        let Some(path) = &self.path else {
            return File::default();
        };
        match files::read_bounded(path, FILE_LIMIT) {
            Ok(Some(bytes)) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::debug!(
                    "{} is not readable ({e}); starting afresh",
                    path.display(),
                    e = Chain(&e)
                );
                File::default()
            }),
            Ok(None) => File::default(),
            Err(e) => {
                tracing::debug!(
                    "{} is not readable ({e}); starting afresh",
                    path.display(),
                    e = Chain(&e)
                );
                File::default()
            }
        }
    }

    /// Read the file, apply `change`, and write it back when `change` says
    /// it changed something (true when it was written).
    fn update(&self, change: impl FnOnce(&mut File) -> bool) -> bool {
        let Some(path) = &self.path else {
            return false;
        };
        let mut f = self.read();
        if !change(&mut f) {
            return false;
        }
        while f.servers.len() > MAX_SERVERS {
            let oldest = f
                .servers
                .iter()
                .min_by_key(|(_, e)| e.at)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => f.servers.remove(&k),
                None => break,
            };
        }
        let written = path
            .parent()
            .map_or(Ok(()), files::ensure_private_dir)
            .and_then(|()| {
                let body = serde_json::to_vec_pretty(&f).unwrap_or_default();
                files::write_private(path, &body)
            });
        if let Err(e) = &written {
            tracing::debug!("the protocol era is not remembered: {e}", e = Chain(&e));
        }
        written.is_ok()
    }
}

/// The server as the file names it: scheme, host, port and path; never the
/// user info, query or fragment, which may hold secrets.
fn key_of(url: &url::Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.to_string()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(dir: &std::path::Path, url: &str) -> EraMemory {
        EraMemory {
            path: Some(dir.join("eras.json")),
            key: key_of(&url::Url::parse(url).unwrap()),
        }
    }

    #[test]
    fn eras_are_kept_per_server_without_secrets_and_bounded() {
        let dir = std::env::temp_dir().join(format!("mcp-bridge-era-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let a = memory(&dir, "https://u:pw@h.example/mcp?api_key=s3cret#x");
        let b = memory(&dir, "https://h.example/sse");
        assert_eq!(a.recall(), None);
        a.remember(Era::Modern);
        b.remember(Era::Handshake(Transport::Sse));
        assert_eq!(a.recall(), Some(Era::Modern));
        assert_eq!(b.recall(), Some(Era::Handshake(Transport::Sse)));
        let text = std::fs::read_to_string(dir.join("eras.json")).unwrap();
        assert!(!text.contains("s3cret") && !text.contains("pw"), "{text}");
        assert!(text.contains("https://h.example/mcp"), "{text}");
        a.forget();
        assert_eq!(a.recall(), None);
        assert_eq!(b.recall(), Some(Era::Handshake(Transport::Sse)));

        // A broken file is ignored, then replaced.
        std::fs::write(dir.join("eras.json"), b"{not json").unwrap();
        assert_eq!(b.recall(), None);
        b.remember(Era::Handshake(Transport::Http));
        assert_eq!(b.recall(), Some(Era::Handshake(Transport::Http)));

        // At most MAX_SERVERS entries.
        for i in 0..MAX_SERVERS + 5 {
            memory(&dir, &format!("https://h{i}.example/mcp")).remember(Era::Modern);
        }
        let f: File =
            serde_json::from_slice(&std::fs::read(dir.join("eras.json")).unwrap()).unwrap();
        assert_eq!(f.servers.len(), MAX_SERVERS);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
