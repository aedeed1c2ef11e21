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

/// Create `dir` (and its parents), enterable by the owner only.
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
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
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
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
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
}
