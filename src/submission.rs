//! Submissions: `submissions/<id>/submission.toml` (who and what) plus prediction files in the
//! benchmark's official layout, and the safe discovery of those files.
//!
//! Prediction files must live inside the submission folder: a symlink that resolves outside it
//! is refused. The one controlled exception is `predictions_from_data`, a path relative to
//! `$BRAINBENCH_DATA` for published submissions that may not be copied into the repository (the
//! Algonauts 2019 example submission).

use crate::io::IoError;
use crate::report::SubmissionInfo;
use serde::{Deserialize, Serialize};
use std::path::{Component, Path, PathBuf};

/// The manifest file name inside a submission folder.
pub const MANIFEST: &str = "submission.toml";

/// `submission.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Team name.
    pub team: String,
    /// Model name.
    pub model: String,
    /// The benchmark these predictions are for.
    pub benchmark: String,
    /// What the model is, in a sentence or two.
    pub description: String,
    /// Paper or code.
    pub link: Option<String>,
    /// Date of the submission, YYYY-MM-DD.
    pub date: Option<String>,
    /// Predictions read from `$BRAINBENCH_DATA/<this path>` instead of the folder.
    pub predictions_from_data: Option<String>,
}

/// Errors reading a submission.
#[derive(Debug, thiserror::Error)]
pub enum SubmissionError {
    /// File-level problem.
    #[error(transparent)]
    Io(#[from] IoError),
    /// The manifest is missing or invalid.
    #[error("{path}: {problem}\n  hint: {hint}")]
    Manifest {
        /// The manifest path.
        path: PathBuf,
        /// What is wrong.
        problem: String,
        /// How to fix it.
        hint: String,
    },
}

impl Manifest {
    /// Reads and checks `<dir>/submission.toml`.
    pub fn read(dir: &Path) -> Result<Self, SubmissionError> {
        let path = dir.join(MANIFEST);
        let err = |problem: String, hint: &str| SubmissionError::Manifest {
            path: path.clone(),
            problem,
            hint: hint.to_string(),
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            err(
                format!("cannot read the manifest: {e}"),
                "every submission folder needs a submission.toml with team, model, benchmark and description (see README, 'Submitting')",
            )
        })?;
        let m: Manifest = toml::from_str(&text).map_err(|e| {
            err(e.to_string(), "fields: team, model, benchmark, description, and optionally link, date, predictions_from_data")
        })?;
        for (field, value) in [
            ("team", &m.team),
            ("model", &m.model),
            ("benchmark", &m.benchmark),
        ] {
            if value.trim().is_empty() {
                return Err(err(format!("`{field}` is empty"), "fill it in"));
            }
        }
        if let Some(date) = &m.date {
            let ok = date.len() == 10
                && date.bytes().enumerate().all(|(i, b)| {
                    if i == 4 || i == 7 {
                        b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                });
            if !ok {
                return Err(err(
                    format!("date = '{date}' is not YYYY-MM-DD"),
                    "write e.g. date = \"2026-11-23\"",
                ));
            }
        }
        if let Some(rel) = &m.predictions_from_data {
            if !is_plain_relative(Path::new(rel)) {
                return Err(err(
                    format!("predictions_from_data = '{rel}' must be a relative path inside $BRAINBENCH_DATA"),
                    "remove '..' and leading '/' from the path",
                ));
            }
        }
        Ok(m)
    }

    /// The manifest fields as recorded in `score.json`.
    pub fn info(&self, id: &str) -> SubmissionInfo {
        SubmissionInfo {
            id: id.to_string(),
            team: self.team.clone(),
            model: self.model.clone(),
            description: self.description.clone(),
            link: self.link.clone(),
            date: self.date.clone(),
        }
    }
}

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

    fn write_manifest(dir: &Path, extra: &str) {
        std::fs::write(
            dir.join(MANIFEST),
            format!("team = \"t\"\nmodel = \"m\"\nbenchmark = \"synthetic-cortex\"\ndescription = \"d\"\n{extra}"),
        )
        .unwrap();
    }

    #[test]
    fn reads_a_minimal_manifest() {
        let d = tempfile::tempdir().unwrap();
        write_manifest(d.path(), "date = \"2026-11-23\"\n");
        let m = Manifest::read(d.path()).unwrap();
        assert_eq!(m.benchmark, "synthetic-cortex");
        assert_eq!(m.date.as_deref(), Some("2026-11-23"));
    }

    #[test]
    fn rejects_bad_date_and_escaping_data_path() {
        let d = tempfile::tempdir().unwrap();
        write_manifest(d.path(), "date = \"23/11/2026\"\n");
        assert!(Manifest::read(d.path())
            .unwrap_err()
            .to_string()
            .contains("YYYY-MM-DD"));
        write_manifest(d.path(), "predictions_from_data = \"../etc/passwd\"\n");
        assert!(Manifest::read(d.path())
            .unwrap_err()
            .to_string()
            .contains("relative path inside"));
    }

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
