//! Safe paths: discovery of submission folders and resolution of files inside them.

use super::MANIFEST;
use crate::io::IoError;
use std::path::{Component, Path, PathBuf};

/// Whether `p` is relative and has no `..`, root or prefix components.
pub fn is_plain_relative(p: &Path) -> bool {
    !p.as_os_str().is_empty()
        && p.components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Resolves `rel` inside `root`, refusing anything (a `..`, an absolute path, a symlink) that
/// ends up outside `root`.
pub fn resolve_inside(root: &Path, rel: &Path) -> Result<PathBuf, IoError> {
    let candidate = root.join(rel);
    if !is_plain_relative(rel) {
        return Err(IoError::format(
            &candidate,
            format!(
                "the path '{}' escapes its folder {}",
                rel.display(),
                root.display()
            ),
            "keep prediction files inside the submission folder",
        ));
    }
    let real_root = root.canonicalize().map_err(|e| IoError::os(root, e))?;
    let real = candidate
        .canonicalize()
        .map_err(|e| IoError::os(&candidate, e))?;
    if !real.starts_with(&real_root) {
        return Err(IoError::format(
            &candidate,
            format!("resolves to {} outside the submission folder {}", real.display(), real_root.display()),
            "replace the symlink by the file itself; predictions must live inside the submission folder",
        ));
    }
    Ok(real)
}

/// The submission folders under `root` (those with a `submission.toml`), in name order.
pub fn discover(root: &Path) -> Result<Vec<PathBuf>, IoError> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .map_err(|e| IoError::os(root, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join(MANIFEST).is_file())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// The id of the submission in `dir` (its folder name).
pub fn id_of(dir: &Path) -> String {
    dir.canonicalize()
        .ok()
        .as_deref()
        .and_then(Path::file_name)
        .or_else(|| dir.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "submission".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlink_outside_the_folder_is_refused() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("x.npy"), b"x").unwrap();
        let d = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path().join("x.npy"), d.path().join("x.npy")).unwrap();
        let err = resolve_inside(d.path(), Path::new("x.npy"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("outside the submission folder"), "{err}");
        assert!(resolve_inside(d.path(), Path::new("../x.npy")).is_err());
    }
}
