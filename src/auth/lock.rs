//! One sign-in or refresh per server at a time, across every bridge process
//! of this user: an OS file lock (released by the OS if a process dies) in
//! the credential directory. Others wait, then read what the holder stored.

use crate::files::FileError;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::time::Duration;
use tokio::time::Instant;

/// How often a waiting process tries the lock again.
const POLL: Duration = Duration::from_millis(100);

/// A held lock; dropping it releases it.
pub struct Held {
    _file: File,
}

/// Take the lock at `path`, waiting up to `limit` while another process
/// holds it. `Ok(None)` when the wait ran out.
pub async fn acquire(path: &Path, limit: Duration) -> Result<Option<Held>, FileError> {
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts
        .open(path)
        .map_err(FileError::io("open the lock file", path))?;
    let deadline = Instant::now() + limit;
    let mut said = false;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Some(Held { _file: file })),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(FileError::io("lock", path)(e)),
        }
        if !said {
            tracing::info!("another mcp-bridge is signing in to this server; waiting for it");
            said = true;
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_holder_waits_until_the_first_lets_go() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("k.lock");
        let first = acquire(&path, Duration::ZERO).await.unwrap();
        assert!(first.is_some());
        // Another open file description of the same file cannot take it.
        assert!(acquire(&path, Duration::from_millis(250))
            .await
            .unwrap()
            .is_none());
        drop(first);
        assert!(acquire(&path, Duration::ZERO).await.unwrap().is_some());
    }
}
