//! Atomic file writes: a temporary file in the target's directory, fsynced, then renamed over the
//! target. A run killed half-way leaves the previous file intact. The file gets the permissions
//! of an ordinary new file (0666 less the umask, so 0644 under umask 022), or keeps those of the
//! file it replaces.

use super::{IoError, Result};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Writes `bytes` to `path` atomically (temporary file in the same directory, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // tempfile creates 0600 files; asking for 0666 at creation lets the umask apply as it does
    // for any new file, and a replaced file keeps its own mode.
    let mode = std::fs::metadata(path)
        .map(|m| m.permissions())
        .unwrap_or_else(|_| std::fs::Permissions::from_mode(0o666));
    let mut tmp = tempfile::Builder::new()
        .prefix(".brainbench-")
        .permissions(mode.clone())
        .tempfile_in(dir)
        .map_err(|e| IoError::os(path, e))?;
    // An existing file's mode is restored exactly (creation masked it with the umask).
    if path.exists() {
        tmp.as_file()
            .set_permissions(mode)
            .map_err(|e| IoError::os(path, e))?;
    }
    tmp.write_all(bytes).map_err(|e| IoError::os(path, e))?;
    tmp.as_file().sync_all().map_err(|e| IoError::os(path, e))?;
    tmp.persist(path).map_err(|e| IoError::os(path, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_existing_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("score.json");
        std::fs::write(&target, b"old").unwrap();
        write_atomic(&target, b"new").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "temporary file left behind");
    }

    #[test]
    fn new_files_are_readable_by_others_and_replaced_files_keep_their_mode() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("score.json");
        write_atomic(&fresh, b"x").unwrap();
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        // Whatever the umask, a new file is as an ordinary one would be: never the 0600 of a
        // temporary file under the usual umask 022 (0644).
        let probe = dir.path().join("probe");
        std::fs::write(&probe, b"").unwrap();
        let ordinary = std::fs::metadata(&probe).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, ordinary);
        std::fs::set_permissions(&fresh, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&fresh, b"y").unwrap();
        let kept = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        assert_eq!(kept, 0o640);
    }

    #[test]
    fn missing_directory_is_an_error_naming_the_file() {
        let err = write_atomic(Path::new("/nonexistent-dir/x.json"), b"x").unwrap_err();
        assert!(err.to_string().contains("/nonexistent-dir/x.json"), "{err}");
    }
}
