//! `cnn-scratch`: its forward pass against numpy, and training end to end on tiny generated
//! encoding and RSA splits (deterministic, resumable, predictions in the submission's shapes).

mod common;

use brainbench::benchmark::algonauts2023::SubjectData;
use brainbench::benchmark::dataset::{RsaTrainSet, TrainSplit};
use brainbench::metrics::rdm::Rdm;
use brainbench::models::scratch::{ScratchArch, ScratchCnn};
use brainbench::train::engine::LoopConfig;
use brainbench::train::scratch::{
    fit_scratch, EncodingLoss, ScratchConfig, ScratchOutcome, ScratchPredictions, ScratchRun,
};
use candle_core::{Device, Tensor};
use serde_json::json;
use std::path::{Path, PathBuf};

/// Row-major values as nested JSON lists of the given shape.
fn shaped(v: &[f32], shape: &[usize]) -> serde_json::Value {
    if shape.len() == 1 {
        return json!(v);
    }
    let step = v.len() / shape[0];
    serde_json::Value::Array(v.chunks(step).map(|c| shaped(c, &shape[1..])).collect())
}

fn image(i: usize) -> ndarray::Array3<u8> {
    ndarray::Array3::from_shape_fn((20, 22, 3), |(y, x, c)| {
        ((x * (i % 5 + 1) + y * (c + 1) + 60 * ((i + c) % 4)) % 256) as u8
    })
}

fn images(dir: &Path, prefix: &str, n: usize) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let p = dir.join(format!("{prefix}{i:02}.png"));
            brainbench::io::image::write_png(&p, &image(i)).unwrap();
            p
        })
        .collect()
}

fn encoding_split(dir: &Path) -> TrainSplit {
    let train = images(dir, "tr", 12);
    // Responses that depend on the image's mean colour: learnable.
    let resp = |i: usize, v: usize| {
        let m = image(i).mapv(f32::from).mean().unwrap() / 255.0;
        m * (v as f32 + 1.0) - 0.3 * v as f32
    };
    let hemi =
        |off: usize, w: usize| ndarray::Array2::from_shape_fn((12, w), |(i, v)| resp(i, v + off));
    TrainSplit::Encoding {
        subjects: vec![SubjectData {
            id: "subj01".into(),
            train_images: train,
            test_images: images(dir, "te", 4),
            train_fmri: vec![("lh".into(), hemi(0, 5)), ("rh".into(), hemi(5, 3))],
        }],
    }
}

fn rsa_split(dir: &Path) -> TrainSplit {
    let rdm = |n: usize, seed: usize| {
        let m = n * (n - 1) / 2;
        Rdm::from_upper(
            n,
            (0..m)
                .map(|k| ((k * 31 + seed * 7) % 19) as f64 + 1.0)
                .collect(),
        )
        .unwrap()
    };
    let set = |name: &str, n: usize| RsaTrainSet {
        name: name.into(),
        images: images(dir, name, n),
        rdms: [("EVC".to_string(), vec![rdm(n, 0), rdm(n, 1)])]
            .into_iter()
            .collect(),
    };
    TrainSplit::Rsa {
        targets: vec!["EVC".into()],
        sets: vec![set("a", 7), set("b", 6)],
        test_images: images(dir, "test", 5),
    }
}

fn cfg(epochs: usize, loss: EncodingLoss) -> ScratchConfig {
    ScratchConfig {
        input_size: 16,
        arch: ScratchArch {
            channels: vec![4, 8],
            dropout: 0.2,
        },
        loss,
        validation_fraction: 0.25,
        train: LoopConfig {
            epochs,
            batch_size: 4,
            lr: 1e-2,
            ..LoopConfig::default()
        },
    }
}

fn run(split: &TrainSplit, c: &ScratchConfig, ckpt: Option<&Path>, resume: bool) -> ScratchOutcome {
    let r = ScratchRun {
        device: candle_core::Device::Cpu,
        seed: 5,
        checkpoint_dir: ckpt.map(Path::to_path_buf),
        resume,
    };
    fit_scratch(split, c, &r, &mut |_| {}).unwrap()
}

fn values(o: &ScratchOutcome) -> Vec<Vec<f64>> {
    match &o.predictions {
        ScratchPredictions::Encoding(p) => p
            .values()
            .map(|a| a.view().iter().map(|&v| f64::from(v)).collect())
            .collect(),
        ScratchPredictions::Rsa(r) => r.iter().map(|(_, r)| r.upper().to_vec()).collect(),
    }
}

#[test]
fn forward_matches_numpy() {
    let net = ScratchCnn::new(
        &ScratchArch {
            channels: vec![3, 5],
            dropout: 0.5,
        },
        Some(4),
        9,
        &candle_core::Device::Cpu,
    )
    .unwrap();
    let n = 2 * 3 * 15 * 15;
    let x: Vec<f32> = (0..n)
        .map(|i| ((i * 7919 % 1009) as f32) / 500.0 - 1.0)
        .collect();
    let x = Tensor::from_vec(x, (2, 3, 15, 15), &Device::Cpu).unwrap();
    let y = net.forward(&x, None).unwrap();
    let p: Vec<Vec<f32>> = net
        .params()
        .iter()
        .map(|(_, v)| v.as_tensor().flatten_all().unwrap().to_vec1().unwrap())
        .collect();
    let dims: Vec<Vec<usize>> = net
        .params()
        .iter()
        .map(|(_, v)| v.dims().to_vec())
        .collect();
    let case = json!({"kind": "scratch",
        "x": shaped(&x.flatten_all().unwrap().to_vec1::<f32>().unwrap(), &[2, 3, 15, 15]),
        "convs": [{"w": shaped(&p[0], &dims[0]), "b": p[1]}, {"w": shaped(&p[2], &dims[2]), "b": p[3]}],
        "readout": {"w": shaped(&p[4], &dims[4]), "b": p[5]}});
    let Some(out) = common::run_peer(
        "forward_matches_numpy",
        "train_peer.py",
        &json!({"cases": [case]}),
    ) else {
        return;
    };
    let peer: Vec<f64> = out["results"][0]["y"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
        .collect();
    let ours: Vec<f32> = y.flatten_all().unwrap().to_vec1().unwrap();
    for (a, b) in common::paired("cnn-scratch forward", ours.iter(), peer.iter()) {
        assert!((f64::from(*a) - b).abs() < 1e-5, "{a} vs {b}");
    }
}

#[test]
fn encoding_predicts_each_hemisphere_deterministically_and_resumes_bit_identically() {
    let dir = tempfile::tempdir().unwrap();
    let split = encoding_split(dir.path());
    let c = cfg(3, EncodingLoss::Mse);
    let ck = tempfile::tempdir().unwrap();
    let a = run(&split, &c, None, false);
    let ScratchPredictions::Encoding(p) = &a.predictions else {
        panic!("encoding predictions expected")
    };
    let shapes: Vec<_> = p
        .iter()
        .map(|((s, h), a)| (s.as_str(), h.as_str(), a.dim()))
        .collect();
    assert_eq!(shapes, [("subj01", "lh", (4, 5)), ("subj01", "rh", (4, 3))]);
    assert_eq!(a.log.len(), 3);
    assert_eq!(values(&a), values(&run(&split, &c, None, false)));
    run(&split, &cfg(2, EncodingLoss::Mse), Some(ck.path()), false);
    let resumed = run(&split, &c, Some(ck.path()), true);
    assert_eq!(values(&a), values(&resumed));
    // The cosine loss trains too, to other weights.
    let cos = run(&split, &cfg(3, EncodingLoss::Cosine), None, false);
    assert_ne!(values(&a), values(&cos));
    // A resume with another loss is refused.
    let r = ScratchRun {
        device: candle_core::Device::Cpu,
        seed: 5,
        checkpoint_dir: Some(ck.path().to_path_buf()),
        resume: true,
    };
    let e = fit_scratch(&split, &cfg(3, EncodingLoss::Cosine), &r, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("another configuration"), "{e}");
}

#[test]
fn rsa_predicts_one_rdm_per_roi_deterministically() {
    let dir = tempfile::tempdir().unwrap();
    let split = rsa_split(dir.path());
    let c = cfg(2, EncodingLoss::Mse);
    let a = run(&split, &c, None, false);
    let ScratchPredictions::Rsa(r) = &a.predictions else {
        panic!("RSA predictions expected")
    };
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].0.as_str(), r[0].1.n()), ("EVC", 5));
    assert_eq!(a.choices.len(), 1);
    assert_eq!(values(&a), values(&run(&split, &c, None, false)));
}

#[test]
fn bad_configurations_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let split = encoding_split(dir.path());
    let mut c = cfg(1, EncodingLoss::Mse);
    c.input_size = 4;
    let e = fit_scratch(&split, &c, &ScratchRun::default(), &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("too small"), "{e}");
    let mut c = cfg(1, EncodingLoss::Mse);
    c.train.lr = f64::NAN;
    let e = fit_scratch(&split, &c, &ScratchRun::default(), &mut |_| {}).unwrap_err();
    assert!(
        e.to_string().contains("lr must be a positive number"),
        "{e}"
    );
}
