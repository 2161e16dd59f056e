//! Retrains the references whose predictions are committed instead of retrained in CI
//! (`COMMITTED_PREDICTIONS` in `tests/golden_scores.rs`: the Siamese VGG-16, whose epochs take
//! minutes on two cores) at their committed configuration and compares the fresh predictions with
//! the committed ones. An `--ignored` test, named in the README:
//!
//! ```sh
//! BRAINBENCH_DATA=... BRAINBENCH_WEIGHTS=... cargo test --release --test retrain_committed -- --ignored
//! ```
//!
//! On the same CPU the predictions are byte-identical (the training is seeded and deterministic);
//! another CPU may pick other SIMD kernels, so the check allows 1e-4 on each dissimilarity (the
//! RDMs lie in [0, 2]) and requires the same score to 1e-4.

mod common;

use brainbench::benchmark::spec::{BenchmarkSpec, DataRoots};
use brainbench::scoring::{score_one, ScoreOptions};
use std::path::Path;
use std::process::Command;

fn retrains_to_the_committed_predictions(reference: &str, benchmark: &str) {
    let test = format!("{reference}--{benchmark}");
    let download = if benchmark.starts_with("algonauts") {
        match common::real_data(&test) {
            Some(d) => Some(d),
            None => return,
        }
    } else {
        None
    };
    if std::env::var_os("BRAINBENCH_WEIGHTS").is_none() {
        common::skip(&test, "BRAINBENCH_WEIGHTS is not set");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let generated = tmp.path().join("data");
    let out = tmp.path().join("out");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bench"));
    cmd.args([
        "train",
        reference,
        "--benchmark",
        benchmark,
        "--device",
        "cpu",
    ])
    .arg("--data-dir")
    .arg(&generated)
    .arg("--out")
    .arg(&out);
    if benchmark.starts_with("synthetic") {
        let o = Command::new(env!("CARGO_BIN_EXE_bench"))
            .args(["data", "synth", "--data-dir"])
            .arg(&generated)
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
    }
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let committed = root.join("submissions").join(&test);
    for target in ["EVC", "IT"] {
        let file = format!("{target}_RDMs.npy");
        let read = |dir: &Path| -> Vec<f64> {
            let a = brainbench::io::npy::read::<f64>(&dir.join(&file)).unwrap();
            a.iter().copied().collect()
        };
        let (fresh, kept) = (read(&out), read(&committed));
        assert_eq!(fresh.len(), kept.len(), "{test} {file}");
        let worst = fresh
            .iter()
            .zip(&kept)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f64, f64::max);
        assert!(worst <= 1e-4, "{test} {file}: differs by up to {worst}");
    }
    let spec = BenchmarkSpec::built_in(benchmark).unwrap();
    let roots = DataRoots {
        download,
        generated,
    };
    let opts = ScoreOptions::for_benchmark(&spec, &Default::default());
    let fresh = score_one(&spec, &roots, &out, &opts).unwrap();
    let kept = score_one(&spec, &roots, &committed, &opts).unwrap();
    let (a, b) = (fresh.headline.value, kept.headline.value);
    assert!((a - b).abs() <= 1e-4, "{test}: score {a} against {b}");
}

#[test]
#[ignore = "retrains the Siamese VGG-16 on the real 2019 sets (tens of minutes on two cores)"]
fn siamese_vgg16_on_algonauts2019_fmri_retrains_to_its_committed_predictions() {
    retrains_to_the_committed_predictions("siamese-vgg16", "algonauts2019-fmri");
}

#[test]
#[ignore = "retrains the Siamese VGG-16 on the synthetic RSA benchmark (minutes on two cores)"]
fn siamese_vgg16_on_synthetic_cortex_rsa_retrains_to_its_committed_predictions() {
    retrains_to_the_committed_predictions("siamese-vgg16", "synthetic-cortex-rsa");
}
