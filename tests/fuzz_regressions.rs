//! Every input the fuzzers (`fuzz/`, `scripts/fuzz.sh`, docs/fuzzing.md) found to crash, hang or
//! exhaust a parser, replayed through the same target bodies the fuzzers run, plus a test per
//! finding that its error is clear: it names the file, says what was expected and found, and
//! how to fix it (exit status 2, invalid input).
//!
//! The inputs live in `tests/fixtures/fuzz/<target>/`, one folder per fuzz target.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod targets;

use std::path::{Path, PathBuf};

fn fixtures(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// Every committed finding of every target still passes its target's checks.
#[test]
fn every_committed_fuzz_finding_is_handled() {
    let targets: [(&str, fn(&[u8])); 9] = [
        ("npy", targets::npy),
        ("mat_v5", targets::mat),
        ("mat_v73", targets::mat),
        ("archive", targets::archive),
        ("label_mapping", targets::label_mapping),
        ("manifest", targets::manifest),
        ("score_json", targets::score_json),
        ("safetensors", targets::safetensors),
        ("pth", targets::pth),
    ];
    for (name, run) in targets {
        for file in fixtures(name) {
            let bytes = std::fs::read(&file).unwrap();
            eprintln!("replaying {}", file.display());
            run(&bytes);
        }
    }
}
