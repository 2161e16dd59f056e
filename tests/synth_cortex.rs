//! The synthetic cortex behaves like a credible, measurable cortex: its estimated noise ceiling
//! tracks the simulation's true one, it is deterministic, the noiseless truth scores near 100 %
//! and shuffled predictions near 0 %, and the official-layout loader reads it.

mod common;

use brainbench::benchmark::algonauts2023::Layout;
use brainbench::benchmark::synth::{self, SynthConfig};
use brainbench::io::npy;
use brainbench::metrics::encoding::{score_block, summarise, EncodingBlock, VertexScores};
use ndarray::{Array2, Ix1, Ix2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf())
            }
        }
    }
    out.sort();
    out
}

fn matrix(path: &Path) -> Array2<f32> {
    npy::read::<f32>(path)
        .unwrap()
        .into_dimensionality::<Ix2>()
        .unwrap()
}

fn vector(path: &Path) -> Vec<f64> {
    npy::read::<f64>(path)
        .unwrap()
        .into_dimensionality::<Ix1>()
        .unwrap()
        .to_vec()
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    brainbench::metrics::correlation::pearson(x, y)
        .unwrap()
        .unwrap()
}

/// Figures of one generated dataset, all subjects and hemispheres pooled.
struct Figures {
    nc_r: f64,
    nc_mean_error: f64,
    nc_mean_abs_error: f64,
    gt_score: f64,
    gt_score_reliable: f64,
    shuffled_score: f64,
}

fn figures(root: &Path) -> Figures {
    let layout = Layout::discover(root).unwrap();
    let truth = layout.load_truth().unwrap();
    let (mut est, mut tru) = (Vec::new(), Vec::new());
    let mut gt: Vec<VertexScores> = Vec::new();
    let mut shuffled: Vec<VertexScores> = Vec::new();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut reliable = Vec::new();
    for s in &layout.subjects {
        for (hemi, _) in &s.hemispheres {
            let t = &truth.blocks[&(s.id.clone(), hemi.clone())];
            let dir = s.dir.join("synthetic_truth");
            let true_nc = vector(&dir.join(format!("{hemi}_true_noise_ceiling.npy")));
            let signal = matrix(&dir.join(format!("{hemi}_test_signal.npy")));
            let block = EncodingBlock {
                pred: signal.view(),
                truth: t.fmri.view(),
                nc: &t.nc,
                subject: 0,
            };
            let scores = score_block(&block).unwrap();
            reliable.extend(
                scores
                    .nnea
                    .iter()
                    .zip(&true_nc)
                    .filter(|(_, &t)| t >= 0.2)
                    .map(|(s, _)| *s),
            );
            gt.push(scores);
            let mut order: Vec<usize> = (0..signal.nrows()).collect();
            order.shuffle(&mut rng);
            let perm = signal.select(ndarray::Axis(0), &order);
            shuffled.push(
                score_block(&EncodingBlock {
                    pred: perm.view(),
                    ..block
                })
                .unwrap(),
            );
            est.extend_from_slice(&t.nc);
            tru.extend(true_nc);
        }
    }
    let n = est.len() as f64;
    Figures {
        nc_r: pearson(&est, &tru),
        nc_mean_error: est.iter().zip(&tru).map(|(e, t)| e - t).sum::<f64>() / n,
        nc_mean_abs_error: est
            .iter()
            .zip(&tru)
            .map(|(e, t)| (e - t).abs())
            .sum::<f64>()
            / n,
        gt_score: summarise(&gt, &[]).unwrap().mean,
        gt_score_reliable: reliable.iter().sum::<f64>() / reliable.len() as f64,
        shuffled_score: summarise(&shuffled, &[]).unwrap().mean,
    }
}

#[test]
fn same_seed_gives_identical_bytes_and_another_seed_differs() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    for (d, seed) in dirs.iter().zip([5, 5, 6]) {
        synth::generate(d.path(), &SynthConfig::small(seed)).unwrap();
    }
    let root = |i: usize| dirs[i].path().join(synth::DIR_NAME);
    let names = files(&root(0));
    assert_eq!(names, files(&root(1)));
    assert!(names.len() > 100, "{} files", names.len());
    for n in &names {
        assert_eq!(
            std::fs::read(root(0).join(n)).unwrap(),
            std::fs::read(root(1).join(n)).unwrap(),
            "{} differs between two runs with the same seed",
            n.display()
        );
    }
    let fmri = "subj01/training_split/training_fmri/lh_training_fmri.npy";
    assert_ne!(
        std::fs::read(root(0).join(fmri)).unwrap(),
        std::fs::read(root(2).join(fmri)).unwrap()
    );
    let img = |i: usize| {
        let d = root(i).join("subj01/test_split/test_images");
        std::fs::read(files(&d).into_iter().next().map(|p| d.join(p)).unwrap()).unwrap()
    };
    assert_ne!(img(0), img(2));
    // No temporary folder is left beside the two datasets (encoding and RSA).
    let mut left: Vec<_> = std::fs::read_dir(dirs[0].path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    left.sort();
    assert_eq!(left, [synth::DIR_NAME, synth::rsa::DIR_NAME]);
}

#[test]
fn regenerating_replaces_the_old_dataset_whole() {
    let d = tempfile::tempdir().unwrap();
    synth::generate(d.path(), &SynthConfig::small(1)).unwrap();
    let mut cfg = SynthConfig::small(1);
    cfg.n_subjects = 1;
    synth::generate(d.path(), &cfg).unwrap();
    let layout = Layout::discover(&d.path().join(synth::DIR_NAME)).unwrap();
    assert_eq!(layout.subjects.len(), 1, "subj02 of the old run survived");
}

#[test]
fn loader_reads_the_synthetic_layout_with_sizes_from_the_files() {
    let d = tempfile::tempdir().unwrap();
    let cfg = SynthConfig::small(2);
    let report = synth::generate(d.path(), &cfg).unwrap();
    let layout = Layout::discover(&report.root).unwrap();
    assert_eq!(layout.subjects.len(), cfg.n_subjects);
    for (s, r) in layout.subjects.iter().zip(&report.subjects) {
        assert_eq!(s.id, r.name);
        assert_eq!(s.train_images.len(), cfg.n_train);
        assert_eq!(s.test_images.len(), cfg.n_test);
        let first = s.train_images[0]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            first.starts_with("train-0001_nsd-") && first.ends_with(".png"),
            "{first}"
        );
        for ((hemi, n), expected) in s.hemispheres.iter().zip(r.vertices) {
            assert_eq!(*n, expected);
            let rois = layout.rois(s, hemi, *n).unwrap();
            let names: Vec<String> = rois
                .iter()
                .map(|r| format!("{}/{}", r.set, r.name))
                .collect();
            for roi in [
                "prf-visualrois/V1v",
                "prf-visualrois/hV4",
                "floc-faces/FFA-1",
                "streams/early",
            ] {
                assert!(
                    names.iter().any(|n| n == roi),
                    "{hemi}: {roi} missing from {names:?}"
                );
            }
        }
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.root.join("synthetic-cortex.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["config"]["seed"], 2);
    assert_eq!(manifest["generator_version"], synth::GENERATOR_VERSION);
}

#[test]
fn responses_are_z_scored_trial_averages_with_the_3_2_1_trial_rule() {
    let d = tempfile::tempdir().unwrap();
    let cfg = SynthConfig::small(3);
    let report = synth::generate(d.path(), &cfg).unwrap();
    let subj = report.root.join("subj01");
    let images = npy::read::<i64>(&subj.join("synthetic_truth/test_trial_images.npy")).unwrap();
    let mut counts = vec![0usize; cfg.n_test];
    for &i in &images {
        counts[i as usize] += 1;
    }
    let by = |k| counts.iter().filter(|&&c| c == k).count();
    assert_eq!(
        [by(3), by(2), by(1)],
        report.subjects[0].test_images_by_trials
    );
    assert_eq!([by(3), by(2), by(1)], [42, 12, 6]);
    // The test fMRI is the mean of each image's single trials.
    let trials = matrix(&subj.join("synthetic_truth/lh_test_trials.npy"));
    let test = matrix(&subj.join("test_split/test_fmri/lh_test_fmri.npy"));
    for img in [0, 17, 59] {
        let rows: Vec<usize> = (0..images.len())
            .filter(|&t| images[t] as usize == img)
            .collect();
        let mean: f64 =
            rows.iter().map(|&t| trials[[t, 5]] as f64).sum::<f64>() / rows.len() as f64;
        assert!((mean - test[[img, 5]] as f64).abs() < 1e-5);
    }
}

#[test]
fn estimated_noise_ceiling_tracks_the_true_one_and_truth_scores_near_100() {
    let d = tempfile::tempdir().unwrap();
    let mut cfg = SynthConfig::small(4);
    cfg.n_test = 120;
    let report = synth::generate(d.path(), &cfg).unwrap();
    let f = figures(&report.root);
    eprintln!(
        "small: NC r {:.3}, mean error {:+.4}, mean |error| {:.4}; GT {:.2} % (true NC >= 0.2: {:.2} %); shuffled {:.2} %",
        f.nc_r, f.nc_mean_error, f.nc_mean_abs_error, f.gt_score, f.gt_score_reliable, f.shuffled_score
    );
    assert!(f.nc_r > 0.9, "NC correlation {}", f.nc_r);
    assert!(f.nc_mean_error.abs() < 0.03, "NC bias {}", f.nc_mean_error);
    assert!(
        f.nc_mean_abs_error < 0.08,
        "NC error {}",
        f.nc_mean_abs_error
    );
    assert!(
        f.gt_score_reliable > 85.0,
        "GT score {}",
        f.gt_score_reliable
    );
    assert!(f.gt_score > 75.0, "GT score {}", f.gt_score);
    assert!(
        f.shuffled_score < 15.0,
        "shuffled score {}",
        f.shuffled_score
    );
    for s in &report.subjects {
        assert!(s.nc_correlation > 0.85, "{}: {}", s.name, s.nc_correlation);
    }
}

/// Full-size figures for the report (about a minute):
/// `cargo test --release --test synth_cortex -- --ignored --nocapture`.
#[test]
#[ignore = "full-size run; measures the figures quoted in the docs"]
fn full_size_figures() {
    let d = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let report = synth::generate(d.path(), &SynthConfig::default()).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let f = figures(&report.root);
    eprintln!(
        "full size: generated in {secs:.1} s; NC r {:.3}, mean error {:+.4}, mean |error| {:.4}; GT {:.2} % (true NC >= 0.2: {:.2} %); shuffled {:.2} %",
        f.nc_r, f.nc_mean_error, f.nc_mean_abs_error, f.gt_score, f.gt_score_reliable, f.shuffled_score
    );
    for s in &report.subjects {
        eprintln!("  {s:?}");
    }
    assert!(secs < 60.0);
    assert!(f.nc_r > 0.9 && f.gt_score > 80.0 && f.shuffled_score < 15.0);
}

/// numpy reads the files as a participant would and recomputes the devkit noise ceiling from
/// the single trials and the trial means; both agree with what the generator wrote.
#[test]
fn numpy_recomputes_the_written_noise_ceiling_and_reads_the_mapping() {
    let d = tempfile::tempdir().unwrap();
    let report = synth::generate(d.path(), &SynthConfig::small(8)).unwrap();
    let input = serde_json::json!({"subject_dir": report.root.join("subj02")});
    let Some(out) = common::run_peer("synth numpy check", "synth_numpy_check.py", &input) else {
        return;
    };
    for h in ["lh", "rh"] {
        let nc = out[h]["nc_max_abs_diff"].as_f64().unwrap();
        let mean = out[h]["mean_max_abs_diff"].as_f64().unwrap();
        assert!(
            nc < 1e-9 && mean < 1e-6,
            "{h}: NC diff {nc}, mean diff {mean}"
        );
    }
    assert_eq!(out["floc_faces_mapping"]["0"], "Unknown");
    assert_eq!(out["floc_faces_mapping"]["2"], "FFA-1");
    assert_eq!(out["floc_faces_mapping"]["5"], "aTL-faces");
}
