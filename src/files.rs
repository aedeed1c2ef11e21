//! The bridge's own files in the per-user data directory: where it is,
//! creating a directory only its owner can enter, reading a file with a size
//! bound (the disk is untrusted input too), and writing one atomically and
//! owner-only. Credentials, the protocol-era memory and `--debug` logs live
//! there.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Why the bridge cannot keep or read one of its own files.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// No home directory, and no `MCP_BRIDGE_DATA_DIR`.
    #[error("cannot find a home directory for the bridge's data (set MCP_BRIDGE_DATA_DIR)")]
    NoHome,
    /// The operating system refused (`what` is "create", "read", "write").
    #[error("cannot {what} {}", path.display())]
    Io {
        /// What the bridge was doing.
        what: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The data directory is a symbolic link.
    #[error("{} is a symbolic link; mcp-bridge keeps its data only in a real directory", .0.display())]
    Link(PathBuf),
    /// The data directory belongs to another user (its uid).
    #[error("{} belongs to another user (uid {uid}); refusing to keep data there", path.display())]
    NotOurs {
        /// The directory.
        path: PathBuf,
        /// Its owner.
        uid: u32,
    },
    /// Others may write to the data directory.
    #[error("{} is writable by other users and cannot be closed; refusing to keep data there", .0.display())]
    OpenToOthers(PathBuf),
}

impl FileError {
    /// The `Io` error of doing `what` to `path`, for `map_err`.
    pub fn io<'a>(
        what: &'static str,
        path: &'a Path,
    ) -> impl FnOnce(std::io::Error) -> FileError + 'a {
        move |source| FileError::Io {
            what,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The bridge's per-user data directory (`MCP_BRIDGE_DATA_DIR` overrides it).
pub fn data_dir() -> Result<PathBuf, FileError> {
    match std::env::var_os("MCP_BRIDGE_DATA_DIR").filter(|v| !v.is_empty()) {
        Some(d) => Ok(PathBuf::from(d)),
        None => directories::ProjectDirs::from("", "", "mcp-bridge")
            .map(|p| p.data_dir().to_path_buf())
            .ok_or(FileError::NoHome),
    }
}

/// Create `dir` (and its parents), enterable by the owner only. An existing
/// directory that belongs to another user, or that others may write to
/// after the bridge tried to close it, is refused: whoever can write there
/// can plant links or read what the bridge keeps.
pub fn ensure_private_dir(dir: &Path) -> Result<(), FileError> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(FileError::io("create", dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
        let meta = fs::symlink_metadata(dir).map_err(FileError::io("read", dir))?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.file_type().is_symlink() {
            return Err(FileError::Link(dir.to_path_buf()));
        }
        if meta.uid() != me {
            return Err(FileError::NotOurs {
                path: dir.to_path_buf(),
                uid: meta.uid(),
            });
        }
        if meta.mode() & 0o022 != 0 {
            return Err(FileError::OpenToOthers(dir.to_path_buf()));
        }
    }
    Ok(())
}

/// Read a file of at most `limit` bytes; `None` when it is absent.
pub fn read_bounded(path: &Path, limit: usize) -> std::io::Result<Option<Vec<u8>>> {
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    file.take(limit as u64 + 1).read_to_end(&mut out)?;
    if out.len() > limit {
        return Err(std::io::Error::other(format!("larger than {limit} bytes")));
    }
    Ok(Some(out))
}

/// Write `body` to `path` atomically (a temporary file renamed over it),
/// readable and writable by the owner only. A symbolic link at `path` is
/// replaced, never followed.
pub fn write_private(path: &Path, body: &[u8]) -> Result<(), FileError> {
    // An unpredictable name, created exclusively (O_EXCL: never through a
    // link planted there).
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = path.with_extension(format!("tmp.{}.{nonce:x}", std::process::id()));
    let fail = |e| FileError::io("write", path)(e);
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let _ = fs::remove_file(&tmp);
    let mut f = opts.open(&tmp).map_err(fail)?;
    f.write_all(body).and_then(|()| f.sync_all()).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        fail(e)
    })?;
    drop(f);
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        fail(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_is_bounded_and_writing_is_owner_only() {
        let dir = std::env::temp_dir().join(format!("mcp-bridge-files-{}", std::process::id()));
        ensure_private_dir(&dir).unwrap();
        let p = dir.join("a.json");
        assert!(read_bounded(&p, 10).unwrap().is_none());
        write_private(&p, b"0123456789").unwrap();
        assert_eq!(read_bounded(&p, 10).unwrap().unwrap(), b"0123456789");
        assert!(read_bounded(&p, 9).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            // A link planted where the file goes is replaced, not written through.
            let target = dir.join("target");
            fs::write(&target, b"keep").unwrap();
            fs::remove_file(&p).unwrap();
            std::os::unix::fs::symlink(&target, &p).unwrap();
            write_private(&p, b"new").unwrap();
            assert_eq!(fs::read(&target).unwrap(), b"keep");
            assert!(!fs::symlink_metadata(&p).unwrap().file_type().is_symlink());
        }
        let _ = fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_others_own_or_a_link_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let base = std::env::temp_dir().join(format!("mcp-bridge-dirs-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        // World-writable: closed to 0700 when it is ours.
        let open = base.join("open");
        fs::create_dir_all(&open).unwrap();
        fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
        ensure_private_dir(&open).unwrap();
        let mode = fs::metadata(&open).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        // A link where the directory should be.
        let link = base.join("link");
        std::os::unix::fs::symlink(&open, &link).unwrap();
        assert!(matches!(
            ensure_private_dir(&link),
            Err(FileError::Link(p)) if p == link
        ));
        // Another user's (only root can make one here).
        if unsafe { libc::geteuid() } == 0 {
            let theirs = base.join("theirs");
            fs::create_dir_all(&theirs).unwrap();
            std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
            assert!(matches!(
                ensure_private_dir(&theirs),
                Err(FileError::NotOurs { uid: 65534, .. })
            ));
        }
        let _ = fs::remove_dir_all(&base);
    }
}
