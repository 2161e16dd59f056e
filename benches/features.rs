//! Feature-extraction speed: images per second through VGG-16 (to `features.30`, every
//! convolution) and ResNet-50 (to `avgpool`) at 224 px, batches of 8, on the CPU.
//! `benches/peers/features_speed.py` times PyTorch on the same input batch (written here to
//! `target/features-bench-input.npy`) and prints the ratio.
//!
//! Run: `cargo bench --bench features`, then `.venv-torch/bin/python benches/peers/features_speed.py`.
use std::hint::black_box;

use brainbench::features::preprocess::Preprocess;
use brainbench::models::weights::Weights;
use brainbench::models::{Architecture, Network};
use candle_core::{Device, Tensor};
use criterion::{criterion_group, Criterion, Throughput};
use ndarray::{Array3, Array4, Axis};

const BATCH: usize = 8;

/// A batch of 8 preprocessed synthetic scenes (gradients, a disc, texture), 224 px.
fn batch() -> Array4<f32> {
    let pre = Preprocess::imagenet(224);
    let imgs: Vec<Array3<f32>> = (0..BATCH)
        .map(|k| {
            let img = Array3::from_shape_fn((300, 400, 3), |(y, x, c)| {
                let disc = (x as i64 - 150 - 20 * k as i64).pow(2) + (y as i64 - 150).pow(2) < 4000;
                ((x / 2 + y / 3 + c * 50 + (x * y + k) % 31 + if disc { 100 } else { 0 }) % 256)
                    as u8
            });
            pre.apply(img.view())
        })
        .collect();
    let views: Vec<_> = imgs.iter().map(|a| a.view()).collect();
    ndarray::stack(Axis(0), &views).unwrap()
}

fn bench(c: &mut Criterion) {
    let x = batch();
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/features-bench-input.npy");
    brainbench::io::npy::write(&path, x.view().into_dyn()).unwrap();
    let xt = Tensor::from_vec(
        x.iter().copied().collect::<Vec<_>>(),
        (BATCH, 3, 224, 224),
        &Device::Cpu,
    )
    .unwrap();
    let mut g = c.benchmark_group("features");
    g.sample_size(10);
    g.throughput(Throughput::Elements(BATCH as u64));
    for (arch, layer) in [
        (Architecture::Vgg16, "features.30"),
        (Architecture::ResNet50, "avgpool"),
    ] {
        let w = Weights::random(arch, 0).unwrap();
        let net = Network::new(arch, w.var_builder()).unwrap();
        let layers = [layer.to_string()];
        g.bench_function(format!("{}_224px_batch{BATCH}", arch.name()), |b| {
            b.iter(|| black_box(net.forward_layers(&xt, &layers).unwrap()))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
