//! `bench features` end to end on images the test writes: the files it writes, the cache, the
//! "random init" label, and every bad input of issue #12 exiting 2 with a message naming the
//! problem.

mod common;

use common::{s, text};

use brainbench::io::{image, npy};
use ndarray::{Array3, ArrayD};
use std::path::Path;
use std::process::{Command, Output};

fn bench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(args)
        .env_remove("BRAINBENCH_CACHE")
        .output()
        .unwrap()
}

/// Three small scenes, written in reverse name order (rows must still come out sorted).
fn write_images(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for (k, name) in ["c.png", "a.png", "b.png"].iter().enumerate() {
        let img = Array3::from_shape_fn((70, 90, 3), |(y, x, c)| {
            ((x * (k + 1) * 3 + y * 2 + c * 40 + (x * y) % (7 + k)) % 256) as u8
        });
        image::write_png(&dir.join(name), &img).unwrap();
    }
}

#[test]
fn random_init_alexnet_writes_layers_rdms_and_reuses_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let imgs = tmp.path().join("imgs");
    write_images(&imgs);
    let out = tmp.path().join("out");
    let cache = tmp.path().join("cache");
    let args = [
        "features",
        "--model",
        "alexnet",
        "--layers",
        "features.2,features.12,avgpool",
        "--images",
        s(&imgs),
        "--out",
        s(&out),
        "--input-size",
        "64",
        "--random-init",
        "--rdm",
        "--cache",
        s(&cache),
        "--json",
    ];
    let o = bench(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        report["model"].as_str().unwrap().contains("random init"),
        "{report}"
    );
    assert_eq!(report["computed"], 9);
    assert_eq!(report["cache_hits"], 0);
    assert_eq!(
        std::fs::read_to_string(out.join("images.txt")).unwrap(),
        "a.png\nb.png\nc.png\n"
    );
    // 64 px: conv 11/4 p2 -> 15, pool -> 7 (features.2: 64 x 7 x 7); features.12: 256 x 1 x 1;
    // avgpool spreads it to 6 x 6.
    let f2: ArrayD<f32> = npy::read(&out.join("features.2.npy")).unwrap();
    assert_eq!(f2.shape(), &[3, 64 * 7 * 7]);
    let avg: ArrayD<f32> = npy::read(&out.join("avgpool.npy")).unwrap();
    assert_eq!(avg.shape(), &[3, 256 * 36]);
    let rdm: ArrayD<f64> = npy::read(&out.join("features.2_rdm.npy")).unwrap();
    assert_eq!(rdm.shape(), &[3, 3]);
    assert_eq!(rdm[[0, 0]], 0.0);
    assert!(rdm[[0, 1]] > 0.0 && rdm[[0, 1]] == rdm[[1, 0]]);
    // Second run: everything from the cache, identical files.
    let o2 = bench(&args);
    assert_eq!(o2.status.code(), Some(0), "{}", text(&o2));
    let r2: serde_json::Value = serde_json::from_slice(&o2.stdout).unwrap();
    assert_eq!(r2["cache_hits"], 9);
    assert_eq!(r2["computed"], 0);
    let f2b: ArrayD<f32> = npy::read(&out.join("features.2.npy")).unwrap();
    assert_eq!(f2, f2b);
    // Pooled features are another cache entry, and equal the spatial mean of the unpooled ones.
    let outp = tmp.path().join("pooled");
    let o3 = bench(&[
        "features",
        "--model",
        "alexnet",
        "--layers",
        "features.2",
        "--images",
        s(&imgs),
        "--out",
        s(&outp),
        "--input-size",
        "64",
        "--random-init",
        "--pool",
        "avg",
        "--cache",
        s(&cache),
    ]);
    assert_eq!(o3.status.code(), Some(0), "{}", text(&o3));
    assert!(text(&o3).contains("random init"), "{}", text(&o3));
    let p: ArrayD<f32> = npy::read(&outp.join("features.2.npy")).unwrap();
    assert_eq!(p.shape(), &[3, 64]);
    let mean0: f32 = (0..49).map(|k| f2[[1, 5 * 49 + k]]).sum::<f32>() / 49.0;
    assert!((p[[1, 5]] - mean0).abs() < 1e-5, "{} vs {mean0}", p[[1, 5]]);
}

fn expect_invalid(args: &[&str], needles: &[&str]) {
    let o = bench(args);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {t}");
    for n in needles {
        assert!(t.contains(n), "{args:?}: expected `{n}` in:\n{t}");
    }
}

#[test]
fn bad_inputs_exit_2_and_say_what_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let imgs = tmp.path().join("imgs");
    write_images(&imgs);
    let out = tmp.path().join("out");
    let base = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["features", "--out", s(&out), "--no-cache"]
            .iter()
            .map(|x| x.to_string())
            .collect();
        v.extend(extra.iter().map(|x| x.to_string()));
        v
    };
    let run = |extra: &[&str], needles: &[&str]| {
        let v = base(extra);
        let refs: Vec<&str> = v.iter().map(String::as_str).collect();
        expect_invalid(&refs, needles);
    };
    // Unknown layer: the valid names are listed.
    run(
        &[
            "--model",
            "resnet18",
            "--layers",
            "layer9",
            "--images",
            s(&imgs),
            "--random-init",
        ],
        &["unknown layer `layer9`", "layer3.1", "avgpool", "fc"],
    );
    // Unknown model.
    run(
        &[
            "--model",
            "vgg19",
            "--layers",
            "x",
            "--images",
            s(&imgs),
            "--random-init",
        ],
        &["unknown model `vgg19`", "vgg16"],
    );
    // Input too small for VGG's five pools.
    run(
        &[
            "--model",
            "vgg16",
            "--layers",
            "features.0",
            "--images",
            s(&imgs),
            "--random-init",
            "--input-size",
            "16",
        ],
        &["too small", "features.30", "at least 32"],
    );
    // Empty folder.
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    run(
        &[
            "--model",
            "alexnet",
            "--layers",
            "features.0",
            "--images",
            s(&empty),
            "--random-init",
        ],
        &["no PNG or JPEG images", "empty"],
    );
    // An image that does not decode is named.
    let broken = tmp.path().join("broken");
    write_images(&broken);
    std::fs::write(broken.join("b.png"), b"not a png").unwrap();
    run(
        &[
            "--model",
            "alexnet",
            "--layers",
            "features.0",
            "--images",
            s(&broken),
            "--random-init",
            "--input-size",
            "64",
        ],
        &["b.png", "cannot decode"],
    );
    // Weights: missing file, missing tensor, wrong shape.
    run(
        &[
            "--model",
            "alexnet",
            "--layers",
            "features.0",
            "--images",
            s(&imgs),
            "--weights",
            "/nonexistent/w.safetensors",
        ],
        &["/nonexistent/w.safetensors", "not found"],
    );
    let dev = candle_core::Device::Cpu;
    let mut t = std::collections::HashMap::new();
    for (name, shape) in [
        ("features.0.weight", vec![64, 3, 11, 11]),
        ("features.0.bias", vec![64]),
        ("features.3.weight", vec![192, 64, 5, 5]),
    ] {
        t.insert(
            name.to_string(),
            candle_core::Tensor::zeros(shape, candle_core::DType::F32, &dev).unwrap(),
        );
    }
    let partial = tmp.path().join("partial.safetensors");
    candle_core::safetensors::save(&t, &partial).unwrap();
    run(
        &[
            "--model",
            "alexnet",
            "--layers",
            "features.0",
            "--images",
            s(&imgs),
            "--weights",
            s(&partial),
        ],
        &[
            "missing tensor `features.3.bias`",
            "[192]",
            "partial.safetensors",
        ],
    );
    t.insert(
        "features.0.bias".into(),
        candle_core::Tensor::zeros(32, candle_core::DType::F32, &dev).unwrap(),
    );
    let wrong = tmp.path().join("wrong.safetensors");
    candle_core::safetensors::save(&t, &wrong).unwrap();
    run(
        &[
            "--model",
            "alexnet",
            "--layers",
            "features.0",
            "--images",
            s(&imgs),
            "--weights",
            s(&wrong),
        ],
        &["features.0.bias", "[32]", "[64]"],
    );
}

#[test]
fn classifier_layer_without_classifier_weights_is_refused_by_name() {
    let Some(dir) = std::env::var_os("BRAINBENCH_WEIGHTS") else {
        common::skip(
            "classifier_layer_without_classifier_weights_is_refused_by_name",
            "BRAINBENCH_WEIGHTS is not set (CI sets it to ../shared/weights)",
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let imgs = tmp.path().join("imgs");
    write_images(&imgs);
    let w = Path::new(&dir).join("vgg16_features.safetensors");
    expect_invalid(
        &[
            "features",
            "--model",
            "vgg16",
            "--layers",
            "features.29,classifier.1",
            "--images",
            s(&imgs),
            "--out",
            s(&tmp.path().join("o")),
            "--weights",
            s(&w),
            "--no-cache",
        ],
        &[
            "missing tensor `classifier.0.weight`",
            "[4096, 25088]",
            "layers up to `avgpool` work",
        ],
    );
    // The bare name is found in $BRAINBENCH_WEIGHTS, and conv layers work without a classifier.
    let o = bench(&[
        "features",
        "--model",
        "vgg16",
        "--layers",
        "features.4",
        "--images",
        s(&imgs),
        "--out",
        s(&tmp.path().join("o")),
        "--weights",
        "vgg16_features",
        "--input-size",
        "32",
        "--no-cache",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        r["weights"]["sha256"],
        "a94e9640e4cc6fa6a68a3e0712624cf357cbd21130dba52c0c600fe457d93399"
    );
    assert_eq!(r["model"], "vgg16");
}

#[test]
fn hub_weights_without_the_hub_feature_say_how_to_enable_it() {
    let tmp = tempfile::tempdir().unwrap();
    let imgs = tmp.path().join("imgs");
    write_images(&imgs);
    expect_invalid(
        &[
            "features",
            "--model",
            "resnet50",
            "--layers",
            "layer1",
            "--images",
            s(&imgs),
            "--out",
            s(&tmp.path().join("o")),
            "--weights",
            "hf:",
            "--no-cache",
        ],
        &["hf:timm/resnet50.tv_in1k", "--features hub"],
    );
}
