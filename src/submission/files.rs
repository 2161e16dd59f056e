//! Gathering a submission's prediction files, from a folder, a zip (with or without one top
//! folder), or a single file, safely: no path may escape the submission folder, archives are
//! bounded, and every file keeps a label for error messages and its SHA-256 for `score.json`.

use crate::io::archive::{self, ArchiveLimits};
use crate::io::hash::sha256_hex;
use crate::io::mapped::FileBytes;
use crate::io::IoError;
use crate::submission::{resolve_inside, MANIFEST};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One prediction file in memory.
#[derive(Debug, Clone)]
pub struct PredictionFile {
    /// Where it came from, for messages (`sub/subj01/lh_pred_test.npy`, `sub.zip:subj01/...`).
    pub label: PathBuf,
    /// Its bytes (memory-mapped when read from a folder).
    pub bytes: FileBytes,
}

/// The prediction files of a submission by normalised relative name (`subj01/lh_pred_test.npy`).
pub type PredictionFiles = BTreeMap<String, PredictionFile>;

/// Files in a submission folder that are not predictions (`train_log.csv`: `bench train`'s
/// training log).
const NOT_PREDICTIONS: &[&str] = &[MANIFEST, "score.json", "README.md", "train_log.csv"];

/// Deepest folder nesting searched inside a submission.
const MAX_DEPTH: usize = 4;

/// Collects the prediction files at `path` (folder, `.zip`, or one file).
pub fn gather(path: &Path) -> Result<PredictionFiles, IoError> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| IoError::os(path, e))?;
    if meta.is_file() && has_ext(path, "zip") {
        return from_zip(path);
    }
    if meta.is_file() {
        let bytes = FileBytes::open(path)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Ok(BTreeMap::from([(
            name,
            PredictionFile {
                label: path.to_path_buf(),
                bytes,
            },
        )]));
    }
    let mut names = Vec::new();
    walk(path, Path::new(""), 0, &mut names)?;
    let zips: Vec<&PathBuf> = names.iter().filter(|n| has_ext(n, "zip")).collect();
    if zips.len() == 1 && names.len() == 1 {
        let zip = resolve_inside(path, zips[0])?;
        return from_zip(&zip);
    }
    // Files are mapped (and read into the page cache) in parallel; the first error in name
    // order is reported, as a sequential read would.
    names
        .into_par_iter()
        .map(|rel| {
            let real = resolve_inside(path, &rel)?;
            let bytes = FileBytes::open(&real)?;
            Ok((
                rel.to_string_lossy().replace('\\', "/"),
                PredictionFile {
                    label: path.join(&rel),
                    bytes,
                },
            ))
        })
        .collect::<Vec<Result<_, IoError>>>()
        .into_iter()
        .collect()
}

fn has_ext(p: &Path, ext: &str) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

fn walk(root: &Path, rel: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), IoError> {
    let dir = root.join(rel);
    if depth > MAX_DEPTH {
        return Err(IoError::format(
            &dir,
            format!("folders nested deeper than {MAX_DEPTH} levels"),
            "use the official layout subjNN/<file>",
        ));
    }
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .map_err(|e| IoError::os(&dir, e))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if name_str.starts_with('.') || (depth == 0 && NOT_PREDICTIONS.contains(&name_str.as_ref()))
        {
            continue;
        }
        let child = rel.join(&name);
        // `metadata` follows symlinks: a link to a folder is walked, and `resolve_inside` later
        // refuses any file whose real path leaves the submission.
        let meta =
            std::fs::metadata(root.join(&child)).map_err(|e| IoError::os(&root.join(&child), e))?;
        if meta.is_dir() {
            walk(root, &child, depth + 1, out)?;
        } else {
            out.push(child);
        }
    }
    Ok(())
}

fn from_zip(path: &Path) -> Result<PredictionFiles, IoError> {
    let members = archive::read_archive(path, &ArchiveLimits::default())?;
    let members = archive::strip_single_top_folder(members);
    Ok(members
        .into_iter()
        .filter(|m| !m.name.ends_with('/'))
        .map(|m| {
            let label = PathBuf::from(format!("{}:{}", path.display(), m.name));
            (
                m.name,
                PredictionFile {
                    label,
                    bytes: m.bytes.into(),
                },
            )
        })
        .collect())
}

/// SHA-256 of every file, by name (recorded in `score.json`), hashed in parallel.
pub fn hashes(files: &PredictionFiles) -> BTreeMap<String, String> {
    files
        .par_iter()
        .map(|(n, f)| (n.clone(), sha256_hex(&f.bytes)))
        .collect::<Vec<_>>()
        .into_iter()
        .collect()
}
