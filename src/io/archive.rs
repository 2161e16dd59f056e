//! Zip archives as the 2023 challenge asked for submissions, read defensively: member paths may
//! not escape (no `..`, no absolute paths), symlinks and encrypted members are refused, and the
//! bytes actually decompressed are counted against limits (never the sizes the archive declares),
//! so a zip bomb stops early with little memory used.

use super::{IoError, Result};
use std::io::Read;
use std::path::{Component, Path};

/// Bounds on what an archive may expand to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Most members.
    pub max_entries: usize,
    /// Most bytes one member may decompress to.
    pub max_member_bytes: u64,
    /// Most bytes all members together may decompress to.
    pub max_total_bytes: u64,
}

impl Default for ArchiveLimits {
    /// Generous for an Algonauts 2023 submission (16 files, about 420 MB in all).
    fn default() -> Self {
        ArchiveLimits {
            max_entries: 1000,
            max_member_bytes: 256 << 20,
            max_total_bytes: 2 << 30,
        }
    }
}

/// One file of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveMember {
    /// Normalised relative path with `/` separators.
    pub name: String,
    /// Decompressed contents.
    pub bytes: Vec<u8>,
}

/// Reads every file member of the zip at `path` within `limits`.
pub fn read_archive(path: &Path, limits: &ArchiveLimits) -> Result<Vec<ArchiveMember>> {
    let file = std::fs::File::open(path).map_err(|e| IoError::os(path, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| {
        IoError::format(
            path,
            format!("not a readable zip archive: {e}"),
            "create the archive with `zip -r` or Python's zipfile",
        )
    })?;
    if zip.len() > limits.max_entries {
        return Err(IoError::format(
            path,
            format!(
                "{} members, more than the limit of {}",
                zip.len(),
                limits.max_entries
            ),
            "zip only the prediction files",
        ));
    }
    let mut total = 0u64;
    let mut members = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| {
            IoError::format(
                path,
                format!("member {i} cannot be read: {e}"),
                "re-create the archive",
            )
        })?;
        let raw_name = entry.name().to_string();
        // An absolute member name would replace the archive's path in the message.
        let label = path.join(raw_name.trim_start_matches(['/', '\\']));
        if entry.encrypted() {
            return Err(IoError::format(
                &label,
                "the member is encrypted",
                "zip the files without a password",
            ));
        }
        if entry.is_symlink() {
            return Err(IoError::format(
                &label,
                "the member is a symbolic link",
                "put the files themselves in the archive, not links to them",
            ));
        }
        let safe = entry
            .enclosed_name()
            .filter(|p| p.components().all(|c| matches!(c, Component::Normal(_))));
        let Some(rel) = safe else {
            return Err(IoError::format(
                &label,
                format!("the member path '{raw_name}' escapes the archive's folder"),
                "use plain relative paths like subj01/lh_pred_test.npy",
            ));
        };
        if entry.is_dir() {
            continue;
        }
        let remaining = limits.max_total_bytes.saturating_sub(total);
        let cap = limits.max_member_bytes.min(remaining);
        let mut bytes = Vec::new();
        (&mut entry)
            .take(cap + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                IoError::format(
                    &label,
                    format!("cannot decompress: {e}"),
                    "re-create the archive",
                )
            })?;
        if bytes.len() as u64 > cap {
            return Err(IoError::format(
                &label,
                format!(
                    "decompresses past the limit ({} bytes per member, {} in all)",
                    limits.max_member_bytes, limits.max_total_bytes
                ),
                "this looks like a zip bomb; submit only the prediction files",
            ));
        }
        total += bytes.len() as u64;
        members.push(ArchiveMember {
            name: rel.to_string_lossy().replace('\\', "/"),
            bytes,
        });
    }
    members.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(members)
}

/// Drops one folder that holds every member (the 2023 challenge zip may have
/// `algonauts_2023_challenge_submission/` on top).
pub fn strip_single_top_folder(members: Vec<ArchiveMember>) -> Vec<ArchiveMember> {
    let top = |m: &ArchiveMember| m.name.split_once('/').map(|(t, _)| t.to_string());
    let first = members.first().and_then(top);
    match first {
        Some(t)
            if members
                .iter()
                .all(|m| top(m).as_deref() == Some(t.as_str())) =>
        {
            members
                .into_iter()
                .map(|m| ArchiveMember {
                    name: m.name[t.len() + 1..].to_string(),
                    bytes: m.bytes,
                })
                .collect()
        }
        _ => members,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::SimpleFileOptions;

    fn make_zip(dir: &Path, files: &[(&str, &[u8])]) -> std::path::PathBuf {
        let path = dir.join("s.zip");
        let mut w = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        for (name, bytes) in files {
            w.start_file(*name, SimpleFileOptions::default()).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap();
        path
    }

    #[test]
    fn reads_and_strips_top_folder() {
        let d = tempfile::tempdir().unwrap();
        let z = make_zip(
            d.path(),
            &[
                ("top/subj01/lh_pred_test.npy", b"a"),
                ("top/subj01/rh_pred_test.npy", b"b"),
            ],
        );
        let m = strip_single_top_folder(read_archive(&z, &ArchiveLimits::default()).unwrap());
        assert_eq!(m[0].name, "subj01/lh_pred_test.npy");
        assert_eq!(m[1].bytes, b"b");
    }

    #[test]
    fn path_traversal_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let z = make_zip(d.path(), &[("../evil.npy", b"x")]);
        let err = read_archive(&z, &ArchiveLimits::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("escapes"), "{err}");
    }

    #[test]
    fn zip_bomb_stops_at_the_limit() {
        let d = tempfile::tempdir().unwrap();
        let zeros = vec![0u8; 4 << 20];
        let z = make_zip(d.path(), &[("subj01/lh_pred_test.npy", &zeros)]);
        assert!(
            std::fs::metadata(&z).unwrap().len() < 64 << 10,
            "archive should be small"
        );
        let limits = ArchiveLimits {
            max_member_bytes: 1 << 20,
            ..ArchiveLimits::default()
        };
        let err = read_archive(&z, &limits).unwrap_err().to_string();
        assert!(err.contains("zip bomb"), "{err}");
    }
}
