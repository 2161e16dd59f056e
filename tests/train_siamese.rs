//! `siamese-vgg16` end to end: on a tiny generated RSA split with random-init VGG-16 (always
//! runs), and on the real Algonauts 2019 training sets with the real weights (skips clearly when
//! either is absent).

mod common;

use brainbench::benchmark::dataset::{RsaTrainSet, TrainSplit};
use brainbench::features::WeightsChoice;
use brainbench::metrics::rdm::Rdm;
use brainbench::train::engine::LoopConfig;
use brainbench::train::siamese::{fit_siamese, SiameseConfig, SiameseOutcome, SiameseRun};
use std::path::{Path, PathBuf};

fn images(dir: &Path, prefix: &str, n: usize) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let img = ndarray::Array3::from_shape_fn((36, 40, 3), |(y, x, c)| {
                ((x * (i + 1) + y * (c + 2) * (i % 3 + 1) + 40 * c) % 256) as u8
            });
            let p = dir.join(format!("{prefix}{i:02}.png"));
            brainbench::io::image::write_png(&p, &img).unwrap();
            p
        })
        .collect()
}

fn rdm(n: usize, seed: usize) -> Rdm {
    let m = n * (n - 1) / 2;
    Rdm::from_upper(
        n,
        (0..m)
            .map(|k| ((k * 37 + seed * 11) % 23) as f64 / 23.0 + 0.1)
            .collect(),
    )
    .unwrap()
}

fn split(dir: &Path) -> TrainSplit {
    let set = |name: &str, n: usize| RsaTrainSet {
        name: name.into(),
        images: images(dir, name, n),
        rdms: ["EVC", "IT"]
            .iter()
            .enumerate()
            .map(|(t, roi)| (roi.to_string(), vec![rdm(n, t), rdm(n, t + 5)]))
            .collect(),
    };
    TrainSplit::Rsa {
        targets: vec!["EVC".into(), "IT".into()],
        sets: vec![set("a", 9), set("b", 8)],
        test_images: images(dir, "test", 6),
    }
}

fn cfg(epochs: usize) -> SiameseConfig {
    SiameseConfig {
        input_size: 32,
        frozen_through: "features.23".into(),
        layers: vec!["features.25".into(), "features.30".into()],
        validation_fraction: 0.3,
        train: LoopConfig {
            epochs,
            batch_size: 6,
            lr: 1e-3,
            ..LoopConfig::default()
        },
    }
}

fn run(split: &TrainSplit, epochs: usize, ckpt: Option<&Path>, resume: bool) -> SiameseOutcome {
    let opts = SiameseRun {
        device: candle_core::Device::Cpu,
        weights: WeightsChoice::RandomInit { seed: 1 },
        seed: 4,
        checkpoint_dir: ckpt.map(Path::to_path_buf),
        resume,
        cache: None,
    };
    fit_siamese(split, &cfg(epochs), &opts, &mut |_| {}).unwrap()
}

fn uppers(o: &SiameseOutcome) -> Vec<Vec<f64>> {
    o.rdms.iter().map(|(_, r)| r.upper().to_vec()).collect()
}

#[test]
fn predicts_one_test_rdm_per_roi_deterministically_and_resumes_bit_identically() {
    let dir = tempfile::tempdir().unwrap();
    let split = split(dir.path());
    let (c1, c2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = run(&split, 2, Some(c1.path()), false);
    assert_eq!(
        a.rdms.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        ["EVC", "IT"]
    );
    assert!(a.rdms.iter().all(|(_, r)| r.n() == 6));
    assert_eq!(a.log.len(), 2 * 2 * 2, "2 ROIs x 2 layers x 2 epochs");
    for c in &a.choices {
        assert!(
            cfg(2).layers.contains(&c.layer) && (1..=2).contains(&c.epoch),
            "{c:?}"
        );
        assert_eq!(c.candidates.len(), 2);
        assert!(c
            .candidates
            .iter()
            .any(|(l, _, v)| *l == c.layer && *v == c.validation));
    }
    // Training changed the prediction: the first epoch's weights are not the pretrained ones.
    let b = run(&split, 2, None, false);
    assert_eq!(uppers(&a), uppers(&b), "same seed, same RDMs");
    run(&split, 1, Some(c2.path()), false);
    let resumed = run(&split, 2, Some(c2.path()), true);
    assert_eq!(
        uppers(&a),
        uppers(&resumed),
        "1 epoch + resume + 1 = 2 epochs"
    );
    assert_eq!(resumed.log.len(), a.log.len());
}

#[test]
fn refuses_an_encoding_split_and_a_layer_before_the_frozen_ones() {
    let enc = TrainSplit::Encoding { subjects: vec![] };
    let opts = SiameseRun {
        device: candle_core::Device::Cpu,
        weights: WeightsChoice::RandomInit { seed: 1 },
        seed: 0,
        checkpoint_dir: None,
        resume: false,
        cache: None,
    };
    let e = fit_siamese(&enc, &cfg(1), &opts, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("trains on RSA benchmarks"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let split = split(dir.path());
    let mut c = cfg(1);
    c.layers = vec!["features.20".into()];
    let e = fit_siamese(&split, &c, &opts, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("not after frozen_through"), "{e}");
    c.layers = vec!["classifier.0".into()];
    let e = fit_siamese(&split, &c, &opts, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a convolutional-stack layer"), "{e}");
}

#[test]
fn trains_on_the_real_2019_sets_with_the_real_weights() {
    let test = "trains_on_the_real_2019_sets_with_the_real_weights";
    let Some(data) = common::real_data(test) else {
        return;
    };
    let Some(weights) = std::env::var_os("BRAINBENCH_WEIGHTS")
        .map(PathBuf::from)
        .map(|d| d.join("vgg16_features.safetensors"))
        .filter(|p| p.exists())
    else {
        common::skip(
            test,
            "BRAINBENCH_WEIGHTS/vgg16_features.safetensors is absent",
        );
        return;
    };
    let spec = brainbench::benchmark::spec::BenchmarkSpec::built_in("algonauts2019-fmri").unwrap();
    let roots = brainbench::benchmark::spec::DataRoots {
        download: Some(data),
        generated: "data".into(),
    };
    let ds = brainbench::benchmark::dataset::Dataset::open(&spec, &roots).unwrap();
    let split = ds.train_split().unwrap();
    let mut c = cfg(1);
    c.layers = vec!["features.30".into()];
    let opts = SiameseRun {
        device: candle_core::Device::Cpu,
        weights: WeightsChoice::File(weights.display().to_string()),
        seed: 0,
        checkpoint_dir: None,
        resume: false,
        cache: None,
    };
    let out = fit_siamese(&split, &c, &opts, &mut |_| {}).unwrap();
    assert!(out.rdms.iter().all(|(_, r)| r.n() == 78));
    // At this CPU test size (32 px) the held-out Spearman r is not yet informative; it must be
    // a correlation, computed before and after training, for both ROIs.
    assert_eq!(out.choices.len(), 2);
    for ch in &out.choices {
        let (_, before, after) = ch.candidates[0];
        assert!(before.abs() <= 1.0 && after.abs() <= 1.0, "{ch:?}");
        assert_eq!((ch.layer.as_str(), ch.epoch), ("features.30", 1));
    }
}
