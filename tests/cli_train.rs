//! `bench train`'s bad inputs (issue #13): each exits 2 with a message naming the problem and
//! how to fix it, and writes nothing. Training itself is exercised end to end by `.ci/run`
//! (`bench train --all`, then `bench score --all --check` against the committed scores).

mod common;

use common::{assert_refused, s, text};

use std::path::Path;
use std::process::{Command, Output};

fn bench(args: &[&str], weights: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bench"));
    cmd.args(args).env_remove("BRAINBENCH_CACHE");
    match weights {
        Some(w) => cmd.env("BRAINBENCH_WEIGHTS", w),
        None => cmd.env_remove("BRAINBENCH_WEIGHTS"),
    };
    cmd.output().unwrap()
}

#[test]
fn an_unknown_reference_lists_the_known_ones() {
    let o = bench(
        &["train", "ridge-magic", "--benchmark", "synthetic-cortex"],
        None,
    );
    assert_refused(
        &o,
        &[
            "unknown reference 'ridge-magic'",
            "ridge-vgg16",
            "layer-rdm-alexnet",
        ],
    );
}

#[test]
fn an_unknown_layer_lists_the_valid_ones() {
    let o = bench(
        &[
            "train",
            "ridge-vgg16",
            "--benchmark",
            "synthetic-cortex",
            "--layers",
            "features.16,conv9",
        ],
        None,
    );
    assert_refused(&o, &["vgg16 has no layer 'conv9'", "features.30"]);
}

#[test]
fn a_benchmark_of_the_other_kind_is_refused_with_the_references_that_serve_it() {
    let o = bench(
        &[
            "train",
            "layer-rdm-alexnet",
            "--benchmark",
            "synthetic-cortex",
        ],
        None,
    );
    assert_refused(
        &o,
        &["cannot serve benchmark 'synthetic-cortex'", "ridge-vgg16"],
    );
    let o = bench(
        &["train", "ridge-vgg16", "--benchmark", "algonauts2019-fmri"],
        None,
    );
    assert_refused(&o, &["cannot serve", "layer-rdm-vgg16"]);
}

#[test]
fn missing_weights_say_where_they_were_looked_for_and_how_to_get_them() {
    let d = tempfile::tempdir().unwrap();
    let o = bench(
        &[
            "train",
            "ridge-vgg16",
            "--benchmark",
            "synthetic-cortex",
            "--data-dir",
            s(d.path()),
        ],
        Some(d.path()),
    );
    assert_refused(
        &o,
        &[
            "vgg16_features",
            "looked for",
            "vgg16-397923af.pth",
            "--weights",
        ],
    );
    assert!(!d.path().join("submissions").exists());
}

#[test]
fn an_out_folder_holding_another_submission_is_refused_without_force() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("team");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("submission.toml"),
        "team = \"a team\"\nmodel = \"their model\"\nbenchmark = \"synthetic-cortex\"\ndescription = \"d\"\n",
    )
    .unwrap();
    let o = bench(
        &[
            "train",
            "devkit-alexnet",
            "--benchmark",
            "synthetic-cortex",
            "--out",
            s(&out),
        ],
        None,
    );
    assert_refused(&o, &["their model", "a team", "--force"]);
    let kept = std::fs::read_to_string(out.join("submission.toml")).unwrap();
    assert!(kept.contains("their model"));
}

#[test]
fn an_image_that_fails_to_decode_is_named_and_nothing_is_written() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    let o = bench(&["data", "synth", "--data-dir", s(&data)], None);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let images = data.join("synthetic-cortex/subj01/training_split/training_images");
    let mut names: Vec<_> = std::fs::read_dir(&images)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    std::fs::write(&names[0], b"not a png").unwrap();
    let out = d.path().join("out");
    let o = bench(
        &[
            "train",
            "devkit-alexnet",
            "--benchmark",
            "synthetic-cortex",
            "--random-init",
            "--data-dir",
            s(&data),
            "--out",
            s(&out),
        ],
        None,
    );
    let file = names[0].file_name().unwrap().to_str().unwrap();
    assert_refused(&o, &[file]);
    assert!(!out.exists(), "a failed run must write nothing");
}
