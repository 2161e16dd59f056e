//! The fuzz targets' bodies, one function per parser of untrusted input. Each binary under
//! `fuzz_targets/` calls one of them from `fuzz_target!`; `tests/fuzz_regressions.rs` in the main
//! crate replays the committed crash inputs through the same public entry points.
//!
//! A target fails (libFuzzer reports a crash) when the parser panics, overflows, or returns an
//! error that does not name the file it was reading. Hangs and memory blow-ups are caught by
//! libFuzzer's `-timeout`, `-rss_limit_mb` and `-malloc_limit_mb` (see `scripts/fuzz.sh`).

use brainbench::io::{archive, label_mapping, mat, npy};
use brainbench::models::weights;
use brainbench::models::Architecture;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A scratch folder for the parsers that take a path, in memory (`/dev/shm`) where there is one.
fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let builder = {
            let mut b = tempfile::Builder::new();
            b.prefix("brainbench-fuzz-");
            b
        };
        if shm.is_dir() {
            if let Ok(d) = builder.tempdir_in(shm) {
                return d;
            }
        }
        builder.tempdir().expect("a scratch folder")
    })
    .path()
}

/// Writes `bytes` to `<scratch>/<rel>` (creating folders) and returns the path.
fn put(rel: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch().join(rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).expect("scratch folder");
    }
    std::fs::write(&path, bytes).expect("scratch file");
    path
}

/// Every error a user sees must say which file is wrong.
fn names_file(err: &impl std::fmt::Display, file: &str) {
    let text = err.to_string();
    assert!(text.contains(file), "error does not name {file}: {text}");
}

/// `.npy`: header only, then the data as every element type the tool reads.
pub fn npy(data: &[u8]) {
    let path = Path::new("fuzz.npy");
    if let Err(e) = npy::parse_info(data, path) {
        names_file(&e, "fuzz.npy");
    }
    if let Err(e) = npy::from_bytes::<f32>(data, path) {
        names_file(&e, "fuzz.npy");
    }
    if let Err(e) = npy::from_bytes::<f64>(data, path) {
        names_file(&e, "fuzz.npy");
    }
    if let Err(e) = npy::from_bytes::<i64>(data, path) {
        names_file(&e, "fuzz.npy");
    }
    if let Err(e) = npy::from_bytes::<i32>(data, path) {
        names_file(&e, "fuzz.npy");
    }
}

/// MATLAB `.mat`, both versions (the container is chosen by the file's magic; the two targets
/// differ only in their seeds).
pub fn mat(data: &[u8]) {
    match mat::from_bytes(data, Path::new("fuzz.mat")) {
        Ok(file) => {
            for name in file.variables.keys() {
                if let Err(e) = file.numeric(name) {
                    names_file(&e, "fuzz.mat");
                }
            }
            if let Err(e) = file.get("no such variable") {
                names_file(&e, "fuzz.mat");
            }
        }
        Err(e) => names_file(&e, "fuzz.mat"),
    }
}

/// A submission zip, with the default limits, then the top-folder stripping.
pub fn archive(data: &[u8]) {
    let path = put("archive/fuzz.zip", data);
    match archive::read_archive(&path, &archive::ArchiveLimits::default()) {
        Ok(members) => {
            for m in archive::strip_single_top_folder(members) {
                assert!(!m.name.starts_with('/') && !m.name.split('/').any(|c| c == ".."));
            }
        }
        Err(e) => names_file(&e, "fuzz.zip"),
    }
}

/// A pickled ROI mapping (`mapping_<roi-set>.npy`).
pub fn label_mapping(data: &[u8]) {
    let path = put("mapping/mapping_fuzz.npy", data);
    if let Err(e) = label_mapping::read_label_mapping(&path) {
        names_file(&e, "mapping_fuzz.npy");
    }
}

/// `submission.toml`.
pub fn manifest(data: &[u8]) {
    let path = put("manifest/submission.toml", data);
    if let Err(e) = brainbench::submission::Manifest::read(path.parent().expect("folder")) {
        names_file(&e, "submission.toml");
    }
}

/// The leaderboard's reader of `score.json`, then ranking and rendering. The input holds one
/// score file, or two separated by a line `---` (so paired comparisons are exercised).
pub fn score_json(data: &[u8]) {
    let root = scratch().join("scores");
    let _ = std::fs::remove_dir_all(&root);
    let (first, second) = match find(data, b"\n---\n") {
        Some(at) => (&data[..at], Some(&data[at + 5..])),
        None => (data, None),
    };
    put("scores/a/score.json", first);
    if let Some(second) = second {
        put("scores/b/score.json", second);
    }
    // A file that is not UTF-8 fails the whole board with an error naming it; one that does not
    // parse is listed as unreadable.
    let scores = match brainbench::leaderboard::collect_scores(&root) {
        Ok(scores) => scores,
        Err(e) => return names_file(&e, "score.json"),
    };
    for u in &scores.unreadable {
        names_file(&u.reason, "score.json");
    }
    let _ = brainbench::leaderboard::render(scores);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The weight loaders, as `bench features --weights <file>` runs them: read, rename, check.
fn weights_file(name: &str, data: &[u8]) {
    let path = put(&format!("weights/{name}"), data);
    match weights::read_tensors(&path) {
        Ok(raw) => {
            if let Ok(tensors) = weights::to_torchvision_names(Architecture::AlexNet, raw) {
                if let Err(e) = weights::check(Architecture::AlexNet, &tensors, &path, 0) {
                    names_file(&e, name);
                }
            }
        }
        Err(e) => names_file(&e, name),
    }
}

/// `.safetensors` weights.
pub fn safetensors(data: &[u8]) {
    weights_file("fuzz.safetensors", data);
}

/// PyTorch zip checkpoints (`.pth`).
pub fn pth(data: &[u8]) {
    weights_file("fuzz.pth", data);
}
