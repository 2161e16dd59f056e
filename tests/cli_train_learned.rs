//! `bench train` for the references that train network weights (issue #14), through the binary:
//! the training log and chosen epochs, `--resume` continuing bit-identically on the CPU, and the
//! bad inputs (loop options for a reference that trains nothing, a foreign checkpoint, a learning
//! rate that makes the loss NaN, `--device cuda` without the feature, a benchmark without its
//! training data), each exiting 2 with a message that says what to do.
//!
//! The synthetic benchmarks are generated once per test binary (`bench data synth`, seconds).

mod common;

use common::{assert_refused, s, text};

use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(args)
        .env_remove("BRAINBENCH_CACHE")
        .env_remove("BRAINBENCH_WEIGHTS")
        .output()
        .unwrap()
}

/// The synthetic benchmarks' data, generated once.
fn synth() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let o = bench(&["data", "synth", "--data-dir", s(d.path())]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        d
    })
    .path()
}

/// `bench train cnn-scratch` on the synthetic cortex's RSA side, small, into `out`.
fn scratch_rsa(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "train",
        "cnn-scratch",
        "--benchmark",
        "synthetic-cortex-rsa",
        "--data-dir",
        s(synth()),
        "--out",
        s(out),
        "--batch-size",
        "64",
    ];
    args.extend_from_slice(extra);
    bench(&args)
}

fn rdm_bytes(out: &Path) -> Vec<Vec<u8>> {
    ["EVC_RDMs.npy", "IT_RDMs.npy"]
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect()
}

#[test]
fn cnn_scratch_logs_its_epochs_and_resumes_bit_identically() {
    let d = tempfile::tempdir().unwrap();
    let (once, resumed) = (d.path().join("once"), d.path().join("resumed"));
    let o = scratch_rsa(&once, &["--epochs", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = scratch_rsa(&resumed, &["--epochs", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = scratch_rsa(&resumed, &["--epochs", "2", "--resume"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(rdm_bytes(&once), rdm_bytes(&resumed));

    // The log: a header and one row per epoch and ROI, resumed epochs included.
    let log = std::fs::read_to_string(resumed.join("train_log.csv")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines[0], "run,epoch,train_loss,validation,lr,seconds,best");
    let epochs: Vec<(&str, &str)> = lines[1..]
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0], f[1])
        })
        .collect();
    assert_eq!(
        epochs,
        [
            ("cnn-scratch EVC", "1"),
            ("cnn-scratch EVC", "2"),
            ("cnn-scratch IT", "1"),
            ("cnn-scratch IT", "2"),
        ]
    );
    // The manifest records the device and each ROI's chosen epoch; the folder validates.
    let manifest: toml::Table =
        toml::from_str(&std::fs::read_to_string(resumed.join("submission.toml")).unwrap()).unwrap();
    let training = manifest["training"].as_table().unwrap();
    assert_eq!(training["device"].as_str(), Some("cpu"));
    let chosen = training["chosen_epochs"].as_table().unwrap();
    assert_eq!(chosen.keys().collect::<Vec<_>>(), ["EVC", "IT"]);
    assert!(chosen
        .values()
        .all(|e| (1..=2).contains(&e.as_integer().unwrap())));
    let o = bench(&["validate", s(&resumed), "--data-dir", s(synth())]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn a_checkpoint_of_another_run_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let rsa = d.path().join("rsa");
    let o = scratch_rsa(&rsa, &["--epochs", "1"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // An RSA run's checkpoint put where the encoding run of subject 1 looks for its own.
    let enc = d.path().join("enc");
    std::fs::create_dir_all(enc.join(".checkpoints")).unwrap();
    std::fs::copy(
        rsa.join(".checkpoints/EVC.safetensors"),
        enc.join(".checkpoints/subj01.safetensors"),
    )
    .unwrap();
    let o = bench(&[
        "train",
        "cnn-scratch",
        "--benchmark",
        "synthetic-cortex",
        "--data-dir",
        s(synth()),
        "--out",
        s(&enc),
        "--epochs",
        "1",
        "--resume",
    ]);
    assert_refused(&o, &["refusing to resume", "subj01.safetensors"]);
    assert!(!enc.join("submission.toml").exists());
}

#[test]
fn a_learning_rate_that_makes_the_loss_nan_stops_with_a_clear_message() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    let o = scratch_rsa(&out, &["--epochs", "1", "--lr", "1e30"]);
    assert_refused(
        &o,
        &["the training loss became", "Lower the learning rate (--lr)"],
    );
    assert!(!out.join("submission.toml").exists());
}

#[test]
fn loop_options_are_refused_for_a_reference_that_trains_no_weights() {
    let o = bench(&[
        "train",
        "ridge-vgg16",
        "--benchmark",
        "synthetic-cortex",
        "--epochs",
        "3",
    ]);
    assert_refused(
        &o,
        &[
            "ridge-vgg16 trains no network weights",
            "--epochs",
            "siamese-vgg16, cnn-scratch",
        ],
    );
    let o = bench(&[
        "train",
        "cnn-scratch",
        "--benchmark",
        "synthetic-cortex",
        "--layers",
        "features.4",
    ]);
    assert_refused(&o, &["cnn-scratch has no pretrained network", "--layers"]);
    let o = bench(&[
        "train",
        "cnn-scratch",
        "--benchmark",
        "synthetic-cortex",
        "--lr=-1",
    ]);
    assert_refused(&o, &["lr must be a positive number"]);
}

#[cfg(not(feature = "cuda"))]
#[test]
fn cuda_on_a_build_without_the_feature_says_how_to_get_it() {
    let o = bench(&[
        "train",
        "cnn-scratch",
        "--benchmark",
        "synthetic-cortex-rsa",
        "--device",
        "cuda",
    ]);
    assert_refused(&o, &["without the `cuda` feature", "--features cuda"]);
}

#[test]
fn a_benchmark_without_its_training_data_is_named() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    let o = bench(&["data", "synth", "--data-dir", s(&data)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // The 2019 layout's training RDMs and images.
    std::fs::remove_dir_all(data.join("synthetic-cortex-rsa/Training_Data")).unwrap();
    let out = d.path().join("out");
    let o = bench(&[
        "train",
        "cnn-scratch",
        "--benchmark",
        "synthetic-cortex-rsa",
        "--data-dir",
        s(&data),
        "--out",
        s(&out),
    ]);
    assert_refused(&o, &["Training_Data"]);
    assert!(!out.exists());
}
