//! Golden scores: the `score.json` of the real Algonauts 2019 example and of every built-in
//! submission, and the human output of `bench score` for the example, are kept in
//! `tests/golden/`. Any change to a committed number fails here. To accept a change on purpose,
//! rerun with `BRAINBENCH_BLESS=1` and add a CHANGELOG line saying why.

mod common;

use brainbench::benchmark::spec::{BenchmarkSpec, DataRoots};
use brainbench::benchmark::synth::{self, SynthConfig};
use brainbench::reference::BUILT_IN;
use brainbench::scoring::{score_one, ScoreOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Compares `actual` with the golden file, or rewrites it under `BRAINBENCH_BLESS=1`.
fn check_golden(name: &str, actual: &str) {
    let path = golden(name);
    if std::env::var("BRAINBENCH_BLESS").as_deref() == Ok("1") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (BRAINBENCH_BLESS=1 creates it)", path.display()));
    assert!(
        expected == actual,
        "{} changed; if on purpose, rerun with BRAINBENCH_BLESS=1 and say why in CHANGELOG.md\n--- golden\n{expected}\n--- now\n{actual}",
        path.display()
    );
}

fn default_options(spec: &BenchmarkSpec) -> ScoreOptions {
    ScoreOptions::for_benchmark(spec, &Default::default())
}

#[test]
fn the_real_2019_example_scores_as_recorded() {
    let test = "the_real_2019_example_scores_as_recorded";
    let Some(data) = common::real_data(test) else {
        return;
    };
    let roots = DataRoots {
        download: Some(data.clone()),
        generated: "data".into(),
    };
    let spec = BenchmarkSpec::built_in("algonauts2019-fmri").unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("submissions/algonauts2019-example");
    let report = score_one(&spec, &roots, &dir, &default_options(&spec)).unwrap();
    check_golden("algonauts2019-example.score.json", &report.to_json());

    // The human output of `bench score`, as a user sees it.
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["score", dir.to_str().unwrap(), "--out"])
        .arg(out.path().join("score.json"))
        .env("BRAINBENCH_DATA", &data)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    check_golden(
        "algonauts2019-example.txt",
        &String::from_utf8(o.stdout).unwrap(),
    );
}

#[test]
fn every_built_in_submission_scores_as_recorded() {
    let test = "every_built_in_submission_scores_as_recorded";
    let tmp = tempfile::tempdir().unwrap();
    let download = common::real_data(test);
    let roots = DataRoots {
        download: download.clone(),
        generated: tmp.path().join("data"),
    };
    synth::generate(&roots.generated, &SynthConfig::default()).unwrap();
    let submissions = tmp.path().join("submissions");
    for built_in in BUILT_IN {
        let spec = BenchmarkSpec::built_in(built_in.benchmark).unwrap();
        if spec.require_data_dir(&roots).is_err() {
            continue; // the real data; `real_data` above already said SKIPPED
        }
        built_in.write(&roots, &submissions).unwrap();
        let report = score_one(
            &spec,
            &roots,
            &submissions.join(built_in.id),
            &default_options(&spec),
        )
        .unwrap();
        check_golden(&format!("{}.score.json", built_in.id), &report.to_json());
    }
}

/// The trained references are too slow to retrain inside `cargo test`: `.ci/run` retrains them
/// (`bench train --all`) and checks the committed `score.json` files against fresh scores
/// (`bench score --all --check`); this test pins those committed files to their golden copies,
/// so a number can only change together with its golden file.
#[test]
fn committed_reference_scores_match_their_golden_files() {
    let submissions = Path::new(env!("CARGO_MANIFEST_DIR")).join("submissions");
    let mut checked = 0;
    for cfg in brainbench::reference::config::ReferenceConfig::all().unwrap() {
        for benchmark in &cfg.benchmarks {
            let id = format!("{}--{benchmark}", cfg.name);
            let Ok(committed) = std::fs::read_to_string(submissions.join(&id).join("score.json"))
            else {
                continue;
            };
            check_golden(&format!("{id}.score.json"), &committed);
            checked += 1;
        }
    }
    assert!(
        checked >= 11,
        "only {checked} committed reference scores found"
    );
}

/// The trained references whose predictions are committed instead of retrained in CI (an epoch
/// of the Siamese VGG-16 takes minutes on two cores): `.ci/run` passes them to `bench train --all
/// --skip`, and `tests/retrain_committed.rs` (`--ignored`) retrains them and compares.
pub const COMMITTED_PREDICTIONS: &[&str] = &[
    "siamese-vgg16--algonauts2019-fmri",
    "siamese-vgg16--synthetic-cortex-rsa",
];

/// The committed prediction files of [`COMMITTED_PREDICTIONS`] are pinned by their SHA-256 in
/// `tests/golden/committed-predictions.sha256` (`sha256sum` format), so they can only change
/// together with that file (and, through `bench score --all --check`, their scores).
#[test]
fn committed_predictions_match_their_hashes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut lines = Vec::new();
    for id in COMMITTED_PREDICTIONS {
        let dir = root.join("submissions").join(id);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "npy"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{} holds no predictions", dir.display());
        for f in files {
            let hash = brainbench::io::hash::sha256_file(&f).unwrap();
            let rel = f.strip_prefix(root).unwrap().display().to_string();
            lines.push(format!("{hash}  {rel}"));
        }
    }
    check_golden("committed-predictions.sha256", &(lines.join("\n") + "\n"));
}
