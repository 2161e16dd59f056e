//! The `synthetic-cortex-rsa` benchmark: the 2019 loader reads the generated layout, its noise
//! ceilings agree with numpy/scipy reading the `.mat` files with `scipy.io.loadmat`, generation is
//! deterministic, and the noiseless truth scores near the ceiling while the pixel RDM scores low.

mod common;

use brainbench::benchmark::dataset::{Dataset, TrainSplit};
use brainbench::benchmark::spec::{BenchmarkSpec, DataRoots};
use brainbench::benchmark::synth::{self, rsa, SynthConfig};
use brainbench::ceiling::rdm_ceilings;
use brainbench::io::npy;
use brainbench::metrics::rdm::Rdm;
use brainbench::report::ScoreReport;
use brainbench::scoring::{score_one, ScoreOptions};
use brainbench::submission::{self, Manifest, Predictions};
use ndarray::{Axis, Ix3};
use std::path::{Path, PathBuf};

const BENCHMARK: &str = "synthetic-cortex-rsa";

fn generated(cfg: &SynthConfig) -> (tempfile::TempDir, DataRoots) {
    let d = tempfile::tempdir().unwrap();
    let roots = DataRoots {
        download: None,
        generated: d.path().join("data"),
    };
    synth::generate(&roots.generated, cfg).unwrap();
    (d, roots)
}

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

fn score(roots: &DataRoots, dir: &Path) -> ScoreReport {
    let spec = BenchmarkSpec::built_in(BENCHMARK).unwrap();
    let opts = ScoreOptions {
        seed: 0,
        resamples: 0,
        ..ScoreOptions::for_benchmark(&spec, &Default::default())
    };
    score_one(&spec, roots, dir, &opts).unwrap()
}

fn write_submission(dir: &Path, predictions: &Predictions) {
    let manifest = Manifest {
        team: "tests".into(),
        model: "m".into(),
        benchmark: BENCHMARK.into(),
        description: "d".into(),
        link: None,
        date: None,
        predictions_from_data: None,
        training: None,
    };
    submission::write::write(dir, &manifest, predictions).unwrap();
}

#[test]
fn the_2019_loader_reads_the_layout_and_ceilings_match_scipy() {
    let test = "the_2019_loader_reads_the_layout_and_ceilings_match_scipy";
    let cfg = SynthConfig::small(2);
    let (_d, roots) = generated(&cfg);
    let spec = BenchmarkSpec::built_in(BENCHMARK).unwrap();
    let dataset = Dataset::open(&spec, &roots).unwrap();
    let root = dataset.root().to_path_buf();
    let TrainSplit::Rsa {
        targets,
        sets,
        test_images,
    } = dataset.train_split().unwrap()
    else {
        panic!("an RSA benchmark gives an RSA split")
    };
    assert_eq!(targets, ["EVC", "IT"]);
    assert_eq!(test_images.len(), 78);
    let sizes: Vec<(String, usize)> = sets
        .iter()
        .map(|s| (s.name.clone(), s.images.len()))
        .collect();
    assert_eq!(sizes, [("92".to_string(), 92), ("118".to_string(), 118)]);
    for set in &sets {
        for (roi, rdms) in &set.rdms {
            assert_eq!(rdms.len(), cfg.n_subjects, "{} {roi}", set.name);
            assert!(rdms.iter().all(|r| r.n() == set.images.len()));
        }
    }
    let names: Vec<String> = rsa::SETS.iter().map(|(s, _)| s.to_string()).collect();
    let rows = rdm_ceilings(&root, &names, &targets).unwrap();
    assert_eq!(rows.len(), 6);

    // The pixel baseline, scored by us and by scipy.
    let pixel = brainbench::reference::find("pixel-rdm--synthetic-cortex-rsa").unwrap();
    let sub = tempfile::tempdir().unwrap();
    write_submission(
        sub.path(),
        &pixel.predict(&dataset.train_split().unwrap()).unwrap(),
    );
    let ours = score(&roots, sub.path());
    let Some(peer) = common::run_peer(
        test,
        "synth_rsa_peer.py",
        &serde_json::json!({
            "targets": names.iter().map(|s| (s.clone(), brainbench::benchmark::algonauts2019::target_file(&root, s))).collect::<std::collections::BTreeMap<_, _>>(),
            "rois": targets,
            "test_set": "78",
            "submission": targets.iter().map(|t| (t.clone(), sub.path().join(format!("{t}_RDMs.npy")))).collect::<std::collections::BTreeMap<_, _>>(),
        }),
    ) else {
        return;
    };
    let close = |a: f64, b: f64, what: &str| {
        assert!(
            (a - b).abs() <= 1e-9 * b.abs().max(1e-3),
            "{what}: ours {a} vs scipy {b}"
        )
    };
    for row in &rows {
        let key = format!("{}/{}", row.image_set, row.roi);
        let p = &peer["ceilings"][&key];
        assert_eq!(
            peer["shapes"][&key],
            serde_json::json!([cfg.n_subjects, row.images, row.images]),
            "{key}: scipy.io.loadmat reads another shape"
        );
        close(
            row.upper,
            p["upper"].as_f64().unwrap(),
            &format!("{key} upper"),
        );
        close(
            row.lower.unwrap(),
            p["lower"].as_f64().unwrap(),
            &format!("{key} lower"),
        );
    }
    close(
        ours.headline.value,
        peer["score"].as_f64().unwrap(),
        "pixel-rdm score",
    );
    // The manifest records the same ceilings.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("synthetic-cortex-rsa.json")).unwrap())
            .unwrap();
    for (row, recorded) in rows
        .iter()
        .zip(manifest["noise_ceilings"].as_array().unwrap())
    {
        assert_eq!(recorded["image_set"], row.image_set.as_str());
        assert_eq!(recorded["roi"], row.roi.as_str());
        assert_eq!(recorded["upper"].as_f64().unwrap(), row.upper);
    }
}

#[test]
fn same_seed_gives_identical_bytes_and_another_seed_differs() {
    let runs: Vec<_> = [5, 5, 6]
        .into_iter()
        .map(|seed| generated(&SynthConfig::small(seed)))
        .collect();
    let root = |i: usize| runs[i].1.generated.join(rsa::DIR_NAME);
    let names = files(&root(0));
    assert_eq!(names, files(&root(1)));
    assert_eq!(names.len(), 92 + 118 + 78 + 3 + 2 + 1, "{names:?}");
    for n in &names {
        assert_eq!(
            std::fs::read(root(0).join(n)).unwrap(),
            std::fs::read(root(1).join(n)).unwrap(),
            "{} differs between two runs with the same seed",
            n.display()
        );
    }
    for n in [
        "Test_Data/target_fmri.mat",
        "Test_Data/78images/image_001.png",
    ] {
        assert_ne!(
            std::fs::read(root(0).join(n)).unwrap(),
            std::fs::read(root(2).join(n)).unwrap(),
            "{n} is the same for seeds 5 and 6"
        );
    }
}

/// The mean over subjects of the noiseless test RDMs: the best a model that knows the tuning but
/// not each subject's idiosyncrasies can do.
fn truth_predictions(root: &Path) -> Predictions {
    Predictions::Rsa(
        rsa::ROIS
            .iter()
            .map(|(roi, _)| {
                let stack = npy::read::<f64>(
                    &root.join(format!("synthetic_truth/{roi}_test_signal_RDMs.npy")),
                )
                .unwrap()
                .into_dimensionality::<Ix3>()
                .unwrap();
                let mean = stack.mean_axis(Axis(0)).unwrap();
                (
                    roi.to_string(),
                    Rdm::from_square(mean.view(), 1e-9).unwrap(),
                )
            })
            .collect(),
    )
}

/// At the benchmark's own size (the small configuration's ROIs of ~100 vertices are far noisier).
#[test]
fn truth_scores_near_the_ceiling_and_pixels_score_low() {
    let (_d, roots) = generated(&SynthConfig::default());
    let root = roots.generated.join(rsa::DIR_NAME);
    let subs = tempfile::tempdir().unwrap();
    write_submission(&subs.path().join("truth"), &truth_predictions(&root));
    brainbench::reference::find("pixel-rdm--synthetic-cortex-rsa")
        .unwrap()
        .write(&roots, subs.path())
        .unwrap();
    let truth = score(&roots, &subs.path().join("truth"));
    let pixel = score(&roots, &subs.path().join("pixel-rdm--synthetic-cortex-rsa"));
    let pct = |r: &ScoreReport| r.headline.percent_of_ceiling.unwrap();
    let per_target = |r: &ScoreReport| {
        r.targets
            .iter()
            .map(|t| (t.name.clone(), t.percent_of_ceiling.unwrap()))
            .collect::<Vec<_>>()
    };
    eprintln!(
        "truth {:.1} % {:?}; pixel {:.1} % {:?}",
        pct(&truth),
        per_target(&truth),
        pct(&pixel),
        per_target(&pixel)
    );
    assert!(
        pct(&truth) > 80.0,
        "truth only {:.1} % of the ceiling",
        pct(&truth)
    );
    for (roi, p) in per_target(&truth) {
        assert!(p > 70.0, "truth {roi}: {p:.1} %");
    }
    assert!(
        pct(&pixel) < 40.0,
        "pixel RDM {:.1} % of the ceiling",
        pct(&pixel)
    );
    assert!(pct(&truth) > pct(&pixel) + 40.0);
}
