//! Every exposed layer of AlexNet, VGG-16, ResNet-18 and ResNet-50 equals ONNX Runtime running
//! the same network (an ONNX graph built with `onnx.helper` by `tests/peers/cnn_onnx_peer.py`)
//! on the same inputs and weights, to 1e-4 of the layer's largest magnitude.
//!
//! AlexNet and VGG-16 use the real ImageNet weights in `$BRAINBENCH_WEIGHTS` (convolutional
//! layers only); the ResNets a random checkpoint in torchvision naming with batch-norm running
//! statistics that the peer writes as `.pth` (by hand, no torch) and `.safetensors`.

mod common;

use brainbench::features::preprocess::Preprocess;
use brainbench::models::weights::Weights;
use brainbench::models::{Architecture, Network};
use candle_core::{Device, Tensor};
use ndarray::{Array3, Array4, ArrayD, Axis};
use std::path::{Path, PathBuf};

const TOLERANCE: f64 = 1e-4;

/// Deterministic test images: smooth colour gradients with a bright disc and pseudo-random
/// texture, of different sizes and aspect ratios (so resizing and cropping differ).
fn test_image(k: usize, h: usize, w: usize) -> Array3<u8> {
    Array3::from_shape_fn((h, w, 3), |(y, x, c)| {
        let fy = y as f64 / h as f64;
        let fx = x as f64 / w as f64;
        let disc = ((fx - 0.4 - 0.1 * k as f64).powi(2) + (fy - 0.5).powi(2)) < 0.04;
        let noise = ((x * 7919 + y * 104_729 + c * 31 + k * 17) % 97) as f64 / 97.0;
        let v =
            80.0 * fx + 60.0 * fy * (c as f64 + 1.0) + 60.0 * noise + if disc { 90.0 } else { 0.0 };
        v.min(255.0) as u8
    })
}

fn input(side: usize, n: usize) -> Array4<f32> {
    let pre = Preprocess::imagenet(side);
    let imgs: Vec<Array3<f32>> = (0..n)
        .map(|k| pre.apply(test_image(k, 180 + 40 * k, 240 - 20 * k).view()))
        .collect();
    let views: Vec<_> = imgs.iter().map(|a| a.view()).collect();
    ndarray::stack(Axis(0), &views).unwrap()
}

fn weights_dir(test: &str) -> Option<PathBuf> {
    match std::env::var_os("BRAINBENCH_WEIGHTS").map(PathBuf::from) {
        Some(p) if p.is_dir() => Some(p),
        _ => {
            common::skip(
                test,
                "BRAINBENCH_WEIGHTS is not set (CI sets it to ../shared/weights)",
            );
            None
        }
    }
}

/// Runs our network and the ONNX peer on `x` for `layers`; asserts equality; returns the worst
/// relative deviation over the layers.
fn compare(
    test: &str,
    arch: Architecture,
    weights: &Weights,
    st_path: &Path,
    x: &Array4<f32>,
    layers: &[String],
) -> Option<f64> {
    let tmp = tempfile::tempdir().unwrap();
    let input_path = tmp.path().join("input.npy");
    brainbench::io::npy::write(&input_path, x.view().into_dyn()).unwrap();
    let out = common::run_peer(
        test,
        "cnn_onnx_peer.py",
        &serde_json::json!({
            "mode": "run",
            "arch": arch.name(),
            "weights": st_path,
            "input": input_path,
            "layers": layers,
            "out_dir": tmp.path(),
        }),
    )?;
    let net = Network::new(arch, weights.var_builder()).unwrap();
    let (b, c, h, w) = x.dim();
    let xt = Tensor::from_vec(
        x.iter().copied().collect::<Vec<_>>(),
        (b, c, h, w),
        &Device::Cpu,
    )
    .unwrap();
    let ours = net.forward_layers(&xt, layers).unwrap();
    let mut worst: f64 = 0.0;
    for (layer, t) in layers.iter().zip(ours) {
        let theirs: ArrayD<f32> =
            brainbench::io::npy::read(Path::new(out["layers"][layer].as_str().unwrap())).unwrap();
        assert_eq!(t.dims(), theirs.shape(), "{arch:?} {layer}: shape");
        let v: Vec<f32> = t.flatten_all().unwrap().to_vec1().unwrap();
        let scale = theirs.iter().fold(0f64, |m, &a| m.max((a as f64).abs()));
        let diff = v
            .iter()
            .zip(theirs.iter())
            .fold(0f64, |m, (&a, &b)| m.max((a as f64 - b as f64).abs()));
        assert!(scale > 0.0, "{arch:?} {layer}: all zero");
        let rel = diff / scale;
        assert!(rel <= TOLERANCE, "{arch:?} {layer}: max |candle - onnxruntime| = {diff:e}, {rel:e} of the layer's max |value| {scale:e}");
        worst = worst.max(rel);
    }
    eprintln!(
        "{arch:?} at {h} px, {b} images, {} layers: max deviation {worst:.2e} of each layer's max |value| (onnxruntime {})",
        layers.len(),
        out["onnxruntime"]
    );
    Some(worst)
}

fn conv_layers(arch: Architecture) -> Vec<String> {
    let names = arch.layer_names();
    let avg = names.iter().position(|n| n == "avgpool").unwrap();
    names[..=avg].to_vec()
}

#[test]
fn alexnet_real_weights_every_layer_equals_onnxruntime() {
    let test = "alexnet_real_weights_every_layer_equals_onnxruntime";
    let Some(dir) = weights_dir(test) else { return };
    let path = dir.join("alexnet_features.safetensors");
    let avg = Architecture::AlexNet
        .layer_names()
        .iter()
        .position(|n| n == "avgpool")
        .unwrap();
    let w = Weights::from_file(Architecture::AlexNet, &path, avg).unwrap();
    // 224 px (adaptive pool is the identity) and 96 px (it spreads a 2x2 map over 6x6 bins).
    for side in [224, 96] {
        compare(
            test,
            Architecture::AlexNet,
            &w,
            &path,
            &input(side, 3),
            &conv_layers(Architecture::AlexNet),
        );
    }
}

#[test]
fn vgg16_real_weights_every_layer_equals_onnxruntime() {
    let test = "vgg16_real_weights_every_layer_equals_onnxruntime";
    let Some(dir) = weights_dir(test) else { return };
    let path = dir.join("vgg16_features.safetensors");
    let avg = Architecture::Vgg16
        .layer_names()
        .iter()
        .position(|n| n == "avgpool")
        .unwrap();
    let w = Weights::from_file(Architecture::Vgg16, &path, avg).unwrap();
    // The identity check of PROVENANCE.md: features.0.weight[0, 0, 0].
    let first: Vec<f32> = w.tensors["features.0.weight"]
        .get(0)
        .unwrap()
        .get(0)
        .unwrap()
        .get(0)
        .unwrap()
        .to_vec1()
        .unwrap();
    assert!(
        (first[0] - -0.5537).abs() < 1e-4 && (first[2] - 0.5290).abs() < 1e-4,
        "{first:?}"
    );
    compare(
        test,
        Architecture::Vgg16,
        &w,
        &path,
        &input(224, 2),
        &conv_layers(Architecture::Vgg16),
    );
    // 48 px: the 1x1 map of features.30 is spread over the 7x7 adaptive-pool grid.
    compare(
        test,
        Architecture::Vgg16,
        &w,
        &path,
        &input(48, 2),
        &conv_layers(Architecture::Vgg16),
    );
}

fn resnet_case(test: &str, arch: Architecture, side: usize) {
    let tmp = tempfile::tempdir().unwrap();
    let st = tmp.path().join("ckpt.safetensors");
    let pth = tmp.path().join("ckpt.pth");
    let Some(_) = common::run_peer(
        test,
        "cnn_onnx_peer.py",
        &serde_json::json!({"mode": "write_checkpoint", "arch": arch.name(), "seed": 7, "safetensors": st, "pth": pth}),
    ) else {
        return;
    };
    let names = arch.layer_names();
    let deepest = names.len() - 1;
    let from_st = Weights::from_file(arch, &st, deepest).unwrap();
    let from_pth = Weights::from_file(arch, &pth, deepest).unwrap();
    assert_eq!(from_st.tensors.len(), arch.parameters().len());
    for (name, t) in &from_st.tensors {
        let a: Vec<f32> = t.flatten_all().unwrap().to_vec1().unwrap();
        let b: Vec<f32> = from_pth.tensors[name]
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        assert_eq!(a, b, "{name}: .pth and .safetensors differ");
    }
    compare(test, arch, &from_pth, &st, &input(side, 2), &names);
}

#[test]
fn resnet18_checkpoint_every_layer_equals_onnxruntime() {
    resnet_case(
        "resnet18_checkpoint_every_layer_equals_onnxruntime",
        Architecture::ResNet18,
        160,
    );
}

#[test]
fn resnet50_checkpoint_every_layer_equals_onnxruntime() {
    resnet_case(
        "resnet50_checkpoint_every_layer_equals_onnxruntime",
        Architecture::ResNet50,
        112,
    );
}

#[test]
fn alexnet_classifier_layers_equal_onnxruntime() {
    // The shared weights have no classifier: a seeded random-init AlexNet (every tensor,
    // classifier included) written as safetensors checks `classifier.*`.
    let test = "alexnet_classifier_layers_equal_onnxruntime";
    let arch = Architecture::AlexNet;
    let w = Weights::random(arch, 5).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("alexnet_random.safetensors");
    candle_core::safetensors::save(&w.tensors, &path).unwrap();
    compare(test, arch, &w, &path, &input(96, 2), &arch.layer_names());
}
