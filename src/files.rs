//! The bridge's own files in the per-user data directory: where it is,
//! creating a directory only its owner can enter, reading a file with a size
//! bound (the disk is untrusted input too), and writing one atomically and
//! owner-only. Credentials, the protocol-era memory and `--debug` logs live
//! there.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// The bridge's per-user data directory (`MCP_BRIDGE_DATA_DIR` overrides it).
pub fn data_dir() -> Result<PathBuf, String> {
    match std::env::var_os("MCP_BRIDGE_DATA_DIR").filter(|v| !v.is_empty()) {
        Some(d) => Ok(PathBuf::from(d)),
        None => directories::ProjectDirs::from("", "", "mcp-bridge")
            .map(|p| p.data_dir().to_path_buf())
            .ok_or_else(|| {
                "cannot find a home directory for the bridge's data (set MCP_BRIDGE_DATA_DIR)"
                    .to_owned()
            }),
    }
}

/// Create `dir` (and its parents), enterable by the owner only. An existing
/// directory that belongs to another user, or that others may write to
/// after the bridge tried to close it, is refused: whoever can write there
/// can plant links or read what the bridge keeps.
pub fn ensure_private_dir(dir: &Path) -> Result<(), String> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
        let meta =
            fs::symlink_metadata(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.file_type().is_symlink() {
            return Err(format!(
                "{} is a symbolic link; mcp-bridge keeps its data only in a real directory",
                dir.display()
            ));
        }
        if meta.uid() != me {
            return Err(format!(
                "{} belongs to another user (uid {}); refusing to keep data there",
                dir.display(),
                meta.uid()
            ));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(format!(
                "{} is writable by other users and cannot be closed; refusing to keep data there",
                dir.display()
            ));
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
pub fn write_private(path: &Path, body: &[u8]) -> Result<(), String> {
    // An unpredictable name, created exclusively (O_EXCL: never through a
    // link planted there).
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmp = path.with_extension(format!("tmp.{}.{nonce:x}", std::process::id()));
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
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
        assert!(ensure_private_dir(&link)
            .unwrap_err()
            .contains("symbolic link"));
        // Another user's (only root can make one here).
        if unsafe { libc::geteuid() } == 0 {
            let theirs = base.join("theirs");
            fs::create_dir_all(&theirs).unwrap();
            std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
            assert!(ensure_private_dir(&theirs)
                .unwrap_err()
                .contains("another user"));
        }
        let _ = fs::remove_dir_all(&base);
    }
}
