//! The `bench` binary on submissions it writes itself: exit codes, messages, and that nothing is
//! half-written. Encoding cases use a small directory in the official Algonauts 2023 layout that
//! the test writes; RSA cases use the real Algonauts 2019 data when `BRAINBENCH_DATA` is set.

mod common;

use common::{s, text};

use brainbench::io::{image, label_mapping, npy};
use ndarray::{Array1, Array2, Array3};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SUBJECTS: [&str; 2] = ["subj01", "subj02"];
const HEMIS: [(&str, usize); 2] = [("lh", 7), ("rh", 9)];
const N_TRAIN: usize = 6;
const N_TEST: usize = 5;

/// Deterministic pseudo-random values in [-1, 1).
fn values(seed: usize, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| (((i * 7919 + seed * 104_729) % 1000) as f32) / 500.0 - 1.0)
        .collect()
}

fn truth(subject: usize, hemi: usize, n_vertices: usize) -> Array2<f32> {
    Array2::from_shape_vec(
        (N_TEST, n_vertices),
        values(10 * subject + hemi + 1, N_TEST * n_vertices),
    )
    .unwrap()
}

/// Writes a small data folder in the official 2023 layout (public part and held-out truth).
fn write_layout(root: &Path) {
    let px = Array3::<u8>::from_elem((4, 4, 3), 128);
    for (s, subj) in SUBJECTS.iter().enumerate() {
        let d = root.join(subj);
        for (split, prefix, n) in [
            ("training_split/training_images", "train", N_TRAIN),
            ("test_split/test_images", "test", N_TEST),
        ] {
            std::fs::create_dir_all(d.join(split)).unwrap();
            for i in 0..n {
                image::write_png(
                    &d.join(split)
                        .join(format!("{prefix}-{:04}_nsd-{:05}.png", i + 1, i)),
                    &px,
                )
                .unwrap();
            }
        }
        for dir in [
            "training_split/training_fmri",
            "test_split/test_fmri",
            "test_split/noise_ceiling",
            "roi_masks",
        ] {
            std::fs::create_dir_all(d.join(dir)).unwrap();
        }
        for (h, (hemi, nv)) in HEMIS.iter().enumerate() {
            let train =
                Array2::from_shape_vec((N_TRAIN, *nv), values(s + h, N_TRAIN * nv)).unwrap();
            npy::write(
                &d.join(format!(
                    "training_split/training_fmri/{hemi}_training_fmri.npy"
                )),
                train.view().into_dyn(),
            )
            .unwrap();
            npy::write(
                &d.join(format!("test_split/test_fmri/{hemi}_test_fmri.npy")),
                truth(s, h, *nv).view().into_dyn(),
            )
            .unwrap();
            let nc = Array1::from_shape_fn(*nv, |v| if v == 0 { 0.0 } else { 0.5 });
            npy::write(
                &d.join(format!("test_split/noise_ceiling/{hemi}_noise_ceiling.npy")),
                nc.view().into_dyn(),
            )
            .unwrap();
            let labels = Array1::from_shape_fn(*nv, |v| (v % 3) as i32);
            npy::write(
                &d.join(format!(
                    "roi_masks/{hemi}.prf-visualrois_challenge_space.npy"
                )),
                labels.view().into_dyn(),
            )
            .unwrap();
        }
        let mapping = BTreeMap::from([
            (0, "Unknown".to_string()),
            (1, "V1v".to_string()),
            (2, "V1d".to_string()),
        ]);
        label_mapping::write_label_mapping(
            &d.join("roi_masks/mapping_prf-visualrois.npy"),
            &mapping,
        )
        .unwrap();
    }
}

/// A valid encoding submission predicting the truth itself (plus a scaled copy).
fn write_submission(dir: &Path, benchmark: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("submission.toml"),
        format!(
            "team = \"t\"\nmodel = \"m\"\nbenchmark = \"{benchmark}\"\ndescription = \"test\"\n"
        ),
    )
    .unwrap();
    for (s, subj) in SUBJECTS.iter().enumerate() {
        std::fs::create_dir_all(dir.join(subj)).unwrap();
        for (h, (hemi, nv)) in HEMIS.iter().enumerate() {
            let pred = truth(s, h, *nv).mapv(|v| 2.0 * v + 1.0);
            npy::write(
                &dir.join(format!("{subj}/{hemi}_pred_test.npy")),
                pred.view().into_dyn(),
            )
            .unwrap();
        }
    }
}

struct Env {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    sub: PathBuf,
}

/// A data dir for `synthetic-cortex` (the layout above) and a valid submission for it.
fn setup() -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    write_layout(&data.join("synthetic-cortex"));
    let sub = tmp.path().join("submissions/team-a");
    write_submission(&sub, "synthetic-cortex");
    Env {
        data,
        sub,
        _tmp: tmp,
    }
}

fn bench(env: &Env, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bench"));
    cmd.args(args).env_remove("BRAINBENCH_CACHE");
    if args[0] != "leaderboard" {
        cmd.arg("--data-dir").arg(&env.data);
    }
    cmd.output().unwrap()
}

#[test]
fn valid_submission_validates_and_scores_100_percent() {
    let env = setup();
    let v = bench(&env, &["validate", s(&env.sub)]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    let o = bench(
        &env,
        &["score", s(&env.sub), "--bootstrap", "100", "--json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // r = 1 everywhere: NC 0.5 gives 100 (clipped from 200), NC 0 becomes 1e-14 and gives 100.
    assert_eq!(report["headline"]["value"].as_f64().unwrap(), 100.0);
    assert_eq!(report["counts"]["nc_zero"].as_u64().unwrap(), 4);
    assert_eq!(report["counts"]["vertices"].as_u64().unwrap(), 32);
    assert_eq!(
        report["bootstrap"]["samples"].as_array().unwrap().len(),
        100
    );
    let prf = report["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["group"] == serde_json::json!({"by": "roi-set", "set": "prf-visualrois"}))
        .expect("a breakdown by the prf-visualrois set, from the mapping files");
    assert!(
        prf["scores"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "V1v" && t["vertices"].is_u64()),
        "{prf}"
    );
    let written = std::fs::read(env.sub.join("score.json")).unwrap();
    let again = bench(
        &env,
        &["score", s(&env.sub), "--bootstrap", "100", "--json"],
    );
    assert_eq!(
        again.stdout, written,
        "score.json is byte-identical across runs"
    );
    let gate = bench(
        &env,
        &[
            "score",
            s(&env.sub),
            "--bootstrap",
            "0",
            "--min-score",
            "100.5",
        ],
    );
    assert_eq!(
        gate.status.code(),
        Some(1),
        "below --min-score exits 1: {}",
        text(&gate)
    );
}

/// Runs validate and score on a broken submission: both exit 2, the message contains `needle`,
/// and an existing score.json is left untouched.
fn assert_rejected(env: &Env, needle: &str) {
    let score_path = env.sub.join("score.json");
    std::fs::write(&score_path, b"previous").unwrap();
    let v = bench(env, &["validate", s(&env.sub)]);
    assert_eq!(v.status.code(), Some(2), "validate: {}", text(&v));
    assert!(
        text(&v).contains(needle),
        "validate output lacks {needle:?}:\n{}",
        text(&v)
    );
    let o = bench(env, &["score", s(&env.sub)]);
    assert_eq!(o.status.code(), Some(2), "score: {}", text(&o));
    assert_eq!(
        std::fs::read(&score_path).unwrap(),
        b"previous",
        "a failed score must not touch score.json"
    );
}

#[test]
fn transposed_predictions_are_named_with_the_fix() {
    let env = setup();
    let p = env.sub.join("subj01/lh_pred_test.npy");
    npy::write(&p, Array2::<f32>::ones((7, N_TEST)).view().into_dyn()).unwrap();
    assert_rejected(&env, "transposed");
}

#[test]
fn wrong_subject_name_is_reported() {
    let env = setup();
    std::fs::rename(env.sub.join("subj02"), env.sub.join("subject02")).unwrap();
    assert_rejected(&env, "subject02/lh_pred_test.npy");
}

#[test]
fn nan_is_reported_with_its_position() {
    let env = setup();
    let mut a = truth(0, 1, 9);
    a[[2, 3]] = f32::NAN;
    npy::write(
        &env.sub.join("subj01/rh_pred_test.npy"),
        a.view().into_dyn(),
    )
    .unwrap();
    assert_rejected(&env, "non-finite");
}

#[test]
fn float16_and_integer_dtypes_are_refused() {
    let env = setup();
    let p = env.sub.join("subj01/lh_pred_test.npy");
    let mut bytes = npy::to_bytes(Array2::<f32>::zeros((N_TEST, 7)).view().into_dyn());
    let at = bytes.windows(3).position(|w| w == b"<f4").unwrap();
    bytes[at..at + 3].copy_from_slice(b"<f2");
    bytes.truncate(bytes.len() - N_TEST * 7 * 2);
    std::fs::write(&p, &bytes).unwrap();
    assert_rejected(&env, "float16");
    npy::write(&p, Array2::<i32>::zeros((N_TEST, 7)).view().into_dyn()).unwrap();
    assert_rejected(&env, "integer predictions");
}

#[test]
fn truncated_npy_is_reported() {
    let env = setup();
    let p = env.sub.join("subj02/rh_pred_test.npy");
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() - 10]).unwrap();
    assert_rejected(&env, "truncated");
}

#[test]
fn symlink_outside_the_submission_is_refused() {
    let env = setup();
    let outside = env.data.join("outside.npy");
    std::fs::copy(env.sub.join("subj01/lh_pred_test.npy"), &outside).unwrap();
    std::fs::remove_file(env.sub.join("subj01/lh_pred_test.npy")).unwrap();
    std::os::unix::fs::symlink(&outside, env.sub.join("subj01/lh_pred_test.npy")).unwrap();
    assert_rejected(&env, "outside the submission folder");
}

#[test]
fn zip_with_top_folder_is_accepted_and_escaping_zip_refused() {
    let env = setup();
    let zip_dir = env.sub.parent().unwrap().join("zipped");
    std::fs::create_dir_all(&zip_dir).unwrap();
    let write_zip = |names: &[(&str, PathBuf)]| {
        let path = zip_dir.join("algonauts_2023_challenge_submission.zip");
        let mut w = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        for (name, src) in names {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(&std::fs::read(src).unwrap()).unwrap();
        }
        w.finish().unwrap();
        path
    };
    let files: Vec<(String, PathBuf)> = SUBJECTS
        .iter()
        .flat_map(|subj| {
            HEMIS
                .iter()
                .map(move |(h, _)| format!("{subj}/{h}_pred_test.npy"))
        })
        .map(|n| {
            (
                format!("algonauts_2023_challenge_submission/{n}"),
                env.sub.join(&n),
            )
        })
        .collect();
    let refs: Vec<(&str, PathBuf)> = files.iter().map(|(n, p)| (n.as_str(), p.clone())).collect();
    let zip = write_zip(&refs);
    let ok = bench(
        &env,
        &["validate", "--benchmark", "synthetic-cortex", s(&zip)],
    );
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    let evil = write_zip(&[("../../evil.npy", files[0].1.clone())]);
    let bad = bench(
        &env,
        &["validate", "--benchmark", "synthetic-cortex", s(&evil)],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("escapes"), "{}", text(&bad));
}

#[test]
fn submission_for_another_benchmark_and_empty_folder_are_refused() {
    let env = setup();
    let other = bench(
        &env,
        &["score", "--benchmark", "algonauts2019-fmri", s(&env.sub)],
    );
    assert_eq!(other.status.code(), Some(2), "{}", text(&other));
    assert!(
        text(&other).contains("is for benchmark 'synthetic-cortex'"),
        "{}",
        text(&other)
    );
    let empty = env.sub.parent().unwrap().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = bench(
        &env,
        &["validate", "--benchmark", "synthetic-cortex", s(&empty)],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no such file"), "{}", text(&o));
}

#[test]
fn roi_mask_of_wrong_length_names_the_file() {
    let env = setup();
    let mask = env
        .data
        .join("synthetic-cortex/subj02/roi_masks/rh.prf-visualrois_challenge_space.npy");
    npy::write(&mask, Array1::<i32>::zeros(4).view().into_dyn()).unwrap();
    let o = bench(&env, &["score", s(&env.sub)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("rh.prf-visualrois_challenge_space.npy") && text(&o).contains("4 labels"),
        "{}",
        text(&o)
    );
}

#[test]
fn subject_with_one_hemisphere_is_refused() {
    let env = setup();
    std::fs::remove_file(
        env.data
            .join("synthetic-cortex/subj01/training_split/training_fmri/rh_training_fmri.npy"),
    )
    .unwrap();
    let o = bench(&env, &["validate", s(&env.sub)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("only one hemisphere"), "{}", text(&o));
}

#[test]
fn leaderboard_check_detects_a_stale_file() {
    let env = setup();
    assert_eq!(
        bench(&env, &["score", s(&env.sub), "--bootstrap", "50"])
            .status
            .code(),
        Some(0)
    );
    let subs = env.sub.parent().unwrap();
    let board = subs.join("leaderboard.md");
    let args = |check: bool| {
        let mut a = vec!["leaderboard", "--submissions", s(subs), "--out", s(&board)];
        if check {
            a.push("--check");
        }
        a
    };
    assert_eq!(bench(&env, &args(false)).status.code(), Some(0));
    let first = std::fs::read(&board).unwrap();
    assert_eq!(bench(&env, &args(true)).status.code(), Some(0));
    assert_eq!(bench(&env, &args(false)).status.code(), Some(0));
    assert_eq!(
        std::fs::read(&board).unwrap(),
        first,
        "leaderboard.md is byte-identical"
    );
    let svgs: Vec<_> = std::fs::read_dir(subs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "svg"))
        .collect();
    assert_eq!(svgs.len(), 1, "one forest plot per benchmark: {svgs:?}");
    let name = svgs[0].file_name().unwrap().to_str().unwrap();
    assert!(
        String::from_utf8_lossy(&first).contains(&format!("]({name})")),
        "the board embeds its figure"
    );
    let figure = std::fs::read(&svgs[0]).unwrap();
    assert!(figure.starts_with(b"<svg"));
    std::fs::write(&svgs[0], b"<svg/>").unwrap();
    assert_eq!(
        bench(&env, &args(true)).status.code(),
        Some(1),
        "a stale figure fails --check"
    );
    assert_eq!(bench(&env, &args(false)).status.code(), Some(0));
    assert_eq!(
        std::fs::read(&svgs[0]).unwrap(),
        figure,
        "byte-identical figure"
    );
    std::fs::remove_file(&svgs[0]).unwrap();
    assert_eq!(
        bench(&env, &args(true)).status.code(),
        Some(1),
        "a missing figure fails --check"
    );
    assert_eq!(bench(&env, &args(false)).status.code(), Some(0));
    std::fs::write(&board, b"stale").unwrap();
    assert_eq!(bench(&env, &args(true)).status.code(), Some(1));
}

#[test]
fn rsa_rdm_that_is_not_symmetric_or_not_square_is_refused() {
    let Some(data) = common::real_data("rsa_rdm_that_is_not_symmetric_or_not_square_is_refused")
    else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let sub = tmp.path().join("rsa");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(
        sub.join("submission.toml"),
        "team = \"t\"\nmodel = \"m\"\nbenchmark = \"algonauts2019-fmri\"\ndescription = \"d\"\n",
    )
    .unwrap();
    let mut rdm = Array2::<f64>::from_shape_fn((78, 78), |(i, j)| {
        if i == j {
            0.0
        } else {
            1.0 + (i + j) as f64 / 100.0
        }
    });
    rdm[[3, 5]] = 9.0;
    npy::write(&sub.join("EVC_RDMs.npy"), rdm.view().into_dyn()).unwrap();
    npy::write(
        &sub.join("IT_RDMs.npy"),
        Array2::<f64>::zeros((78, 77)).view().into_dyn(),
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["validate", s(&sub)])
        .env("BRAINBENCH_DATA", &data)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("not symmetric") && t.contains("(3, 5)"), "{t}");
    assert!(t.contains("shape [78, 77]"), "{t}");
}

#[test]
fn images_and_responses_that_disagree_in_number_name_the_file() {
    let env = setup();
    let images = env
        .data
        .join("synthetic-cortex/subj02/training_split/training_images");
    std::fs::remove_file(images.join("train-0003_nsd-00002.png")).unwrap();
    let o = bench(&env, &["validate", s(&env.sub)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("lh_training_fmri.npy") && t.contains("6 rows but 5 training images"),
        "{t}"
    );
}

#[test]
fn missing_truth_file_says_what_scoring_needs() {
    let env = setup();
    std::fs::remove_file(
        env.data
            .join("synthetic-cortex/subj01/test_split/noise_ceiling/rh_noise_ceiling.npy"),
    )
    .unwrap();
    assert_eq!(
        bench(&env, &["validate", s(&env.sub)]).status.code(),
        Some(0),
        "validation needs no truth"
    );
    let o = bench(&env, &["score", s(&env.sub)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("rh_noise_ceiling.npy") && text(&o).contains("held-out truth"),
        "{}",
        text(&o)
    );
}

#[test]
fn score_all_scores_the_others_and_reports_every_failure() {
    let env = setup();
    let subs = env.sub.parent().unwrap().to_path_buf();
    write_submission(&subs.join("team-b"), "synthetic-cortex");
    // Two broken submissions: an unknown benchmark, and a transposed prediction.
    write_submission(&subs.join("team-c"), "no-such-benchmark");
    write_submission(&subs.join("team-d"), "synthetic-cortex");
    let lh = subs.join("team-d/subj01/lh_pred_test.npy");
    let a: ndarray::ArrayD<f32> = npy::read(&lh).unwrap();
    npy::write(&lh, a.t().as_standard_layout().view()).unwrap();
    let all = |extra: &[&str]| {
        let mut a = vec![
            "score",
            "--all",
            "--submissions",
            s(&subs),
            "--bootstrap",
            "20",
        ];
        a.extend_from_slice(extra);
        bench(&env, &a)
    };
    let o = all(&["--json"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = report["fresh"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["team-a", "team-b"]);
    let failed = report["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 2, "{report}");
    assert!(failed[0]["reason"]
        .as_str()
        .unwrap()
        .contains("unknown benchmark 'no-such-benchmark'"));
    assert!(failed[1]["reason"].as_str().unwrap().contains("transposed"));
    assert!(subs.join("team-b/score.json").is_file());
    assert!(!subs.join("team-d/score.json").exists());

    // --check: up to date for the written ones, then stale once a file changes (exit 1 when
    // nothing failed).
    std::fs::remove_dir_all(subs.join("team-c")).unwrap();
    std::fs::remove_dir_all(subs.join("team-d")).unwrap();
    let o = all(&["--check"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let path = subs.join("team-b/score.json");
    let committed = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, committed.replace("\"seed\": 0", "\"seed\": 1")).unwrap();
    let o = all(&["--check"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("STALE"), "{}", text(&o));
}

#[test]
fn an_unwritable_out_path_is_the_users_error() {
    let env = setup();
    let o = bench(
        &env,
        &[
            "score",
            s(&env.sub),
            "--bootstrap",
            "0",
            "--out",
            "missing/dir/x.json",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let t = text(&o);
    assert_eq!(t.matches("missing/dir/x.json").count(), 1, "{t}");
    assert_eq!(t.matches("No such file or directory").count(), 1, "{t}");
}

#[test]
fn an_unreadable_truth_file_is_the_users_error() {
    let env = setup();
    let truth = env
        .data
        .join("synthetic-cortex/subj01/test_split/test_fmri/lh_test_fmri.npy");
    std::fs::write(&truth, b"not an npy file").unwrap();
    let o = bench(&env, &["score", s(&env.sub), "--bootstrap", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(
        text(&o).matches("lh_test_fmri.npy").count(),
        1,
        "{}",
        text(&o)
    );
}

#[test]
fn synth_with_another_seed_refuses_existing_data() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(data.join("synthetic-cortex")).unwrap();
    std::fs::write(
        data.join("synthetic-cortex/synthetic-cortex.json"),
        r#"{"config": {"seed": 0}, "generator_version": 1}"#,
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["data", "synth", "--seed", "5", "--data-dir", s(&data)])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("seed 0") && text(&o).contains("--force"),
        "{}",
        text(&o)
    );
}

#[test]
fn concurrent_scores_and_boards_leave_whole_files_and_no_temporaries() {
    let env = setup();
    let subs = env.sub.parent().unwrap().to_path_buf();
    let board = subs.join("leaderboard.md");
    let score_args = ["score", s(&env.sub), "--bootstrap", "200"];
    let reference = bench(&env, &score_args);
    assert_eq!(reference.status.code(), Some(0), "{}", text(&reference));
    let expected = std::fs::read(env.sub.join("score.json")).unwrap();
    // Four scorers and a board writer at once, three rounds.
    for _ in 0..3 {
        let mut children: Vec<std::process::Child> = (0..4)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_bench"))
                    .args(score_args)
                    .arg("--data-dir")
                    .arg(&env.data)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let o = bench(
            &env,
            &["leaderboard", "--submissions", s(&subs), "--out", s(&board)],
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        for c in &mut children {
            assert!(c.wait().unwrap().success());
        }
        // Whatever the interleaving, each file is one whole run's output.
        assert_eq!(std::fs::read(env.sub.join("score.json")).unwrap(), expected);
        let md = std::fs::read_to_string(&board).unwrap();
        assert!(
            md.starts_with("# Leaderboard") && md.contains("| 1 "),
            "{md}"
        );
    }
    for dir in [&subs, &env.sub] {
        let leftovers: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".brainbench-"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }
}

#[test]
fn interval_flags_are_recorded_degenerate_resamples_fall_back_and_bad_flags_exit_2() {
    let env = setup();
    for (flag, value, expected) in [
        (
            "--interval",
            "sideways",
            "expected percentile, basic, bca, iterated-basic or iterated-jackknife",
        ),
        (
            "--rsa-bootstrap",
            "pixels",
            "expected stimuli, subjects or two-way",
        ),
    ] {
        let o = bench(&env, &["score", s(&env.sub), flag, value]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains(expected), "{}", text(&o));
    }
    // The submission predicts a linear function of the truth: every resample scores 100, so
    // every method meets the degenerate case; none may give NaN. (Only 5 test images.)
    for (method, used) in [
        ("percentile", "percentile"),
        ("basic", "basic"),
        ("bca", "basic"),
        ("iterated-basic", "iterated-basic"),
    ] {
        let o = bench(
            &env,
            &[
                "score",
                s(&env.sub),
                "--bootstrap",
                "50",
                "--interval",
                method,
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let report: serde_json::Value =
            serde_json::from_slice(&std::fs::read(env.sub.join("score.json")).unwrap()).unwrap();
        let b = &report["bootstrap"];
        assert_eq!(b["method_requested"], method);
        assert_eq!(b["method"], used, "{b}");
        assert_eq!(b["over"], "stimuli");
        assert!(b["covers"].as_str().unwrap().contains("same subjects"));
        let kinds: Vec<&str> = b["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["kind"].as_str().unwrap())
            .collect();
        assert!(kinds.contains(&"degenerate-resamples"), "{kinds:?}");
        for end in ["ci_low", "ci_high"] {
            let v = report["headline"][end].as_f64().unwrap();
            if method == "iterated-basic" {
                // The nested resamples of 5 images do vary (one drawing a single image leaves
                // every vertex constant, scored 0), so the interval moves; it stays in range.
                assert!((0.0..=100.0).contains(&v), "{end} = {v}");
            } else {
                assert!((v - 100.0).abs() < 1e-9, "{method}: {end} = {v}");
            }
        }
        assert_eq!(
            b["nested_samples"].as_array().unwrap().len(),
            if method.starts_with("iterated") {
                50
            } else {
                0
            }
        );
    }
    // The default, iterated-jackknife: leaving one image out keeps every r at 1, so the
    // jackknife values are all equal and it falls back to iterated-basic, saying so.
    let o = bench(&env, &["score", s(&env.sub), "--bootstrap", "50"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.sub.join("score.json")).unwrap()).unwrap();
    let b = &report["bootstrap"];
    assert_eq!(b["method_requested"], "iterated-jackknife");
    assert_eq!(b["method"], "iterated-basic");
    assert!(b["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["kind"] == "jackknife-degenerate"));
    for end in ["ci_low", "ci_high"] {
        let v = report["headline"][end].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&v), "{end} = {v}");
    }
    assert_eq!(
        report["bootstrap"]["jackknife"].as_array().unwrap().len(),
        1
    );
}
