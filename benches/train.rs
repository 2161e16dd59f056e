//! One training epoch of each trained reference's workload on the CPU, timed; its PyTorch twin
//! is `benches/peers/train_epoch.py` (same shapes, batch sizes, losses and AdamW).
//!
//! * `siamese-head`: VGG-16's conv5 block (`features.24`–`.30`) on cached pool4 activations
//!   (64 images, 512 × 8 × 8, i.e. 128 px inputs), batches of 16 images, the dissimilarity loss
//!   over every pair of a batch, AdamW. With our convolution and with candle's `conv2d`.
//! * `cnn-scratch`: the default small CNN (16/32/64 channels) on 128 images of 64 px, a
//!   1000-output read-out, MSE, batches of 32, AdamW.
//!
//! Run: `cargo bench --bench train` (prints one JSON line per workload: seconds per epoch, the
//! median of 3 after a warm-up).

use brainbench::models::scratch::{ScratchArch, ScratchCnn};
use brainbench::train::layers::conv2d;
use brainbench::train::losses;
use brainbench::train::optimizer::{AdamW, AdamWConfig};
use candle_core::{DType, Device, Tensor, Var};
use std::time::Instant;

fn randn(shape: &[usize], std: f64) -> Tensor {
    Tensor::randn(0f32, std as f32, shape, &Device::Cpu).unwrap()
}

fn median_epoch(mut epoch: impl FnMut()) -> f64 {
    epoch();
    let mut t: Vec<f64> = (0..3)
        .map(|_| {
            let s = Instant::now();
            epoch();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[1]
}

fn siamese_head(candle_conv: bool) -> f64 {
    let x = randn(&[64, 512, 8, 8], 1.0).relu().unwrap();
    let params: Vec<(String, Var)> = (0..3)
        .flat_map(|i| {
            [
                (
                    format!("w{i}"),
                    Var::from_tensor(&randn(&[512, 512, 3, 3], 0.02)).unwrap(),
                ),
                (
                    format!("b{i}"),
                    Var::zeros(512, DType::F32, &Device::Cpu).unwrap(),
                ),
            ]
        })
        .collect();
    let mut opt = AdamW::new(params.clone(), AdamWConfig::default()).unwrap();
    let pairs: Vec<(usize, usize)> = (0..16)
        .flat_map(|i| (i + 1..16).map(move |j| (i, j)))
        .collect();
    let target = randn(&[pairs.len()], 0.1).affine(1.0, 0.5).unwrap();
    median_epoch(|| {
        for b in 0..4 {
            let mut h = x.narrow(0, b * 16, 16).unwrap();
            for i in 0..3 {
                let (w, bias) = (params[2 * i].1.as_tensor(), params[2 * i + 1].1.as_tensor());
                h = if candle_conv {
                    h.conv2d(w, 1, 1, 1, 1)
                        .unwrap()
                        .broadcast_add(&bias.reshape((1, 512, 1, 1)).unwrap())
                        .unwrap()
                } else {
                    conv2d(&h, w, Some(bias), 1, 1).unwrap()
                }
                .relu()
                .unwrap();
            }
            let f = h
                .max_pool2d_with_stride(2, 2)
                .unwrap()
                .flatten_from(1)
                .unwrap();
            let loss = losses::dissimilarity_loss(&f, &pairs, &target).unwrap();
            opt.backward_step(&loss).unwrap();
        }
    })
}

fn cnn_scratch() -> f64 {
    let x = randn(&[128, 3, 64, 64], 1.0);
    let y = randn(&[128, 1000], 1.0);
    let net = ScratchCnn::new(
        &ScratchArch::default(),
        Some(1000),
        0,
        &candle_core::Device::Cpu,
    )
    .unwrap();
    let mut opt = AdamW::new(net.params(), AdamWConfig::default()).unwrap();
    median_epoch(|| {
        for b in 0..4 {
            let pred = net
                .forward(&x.narrow(0, b * 32, 32).unwrap(), Some(b as u64))
                .unwrap();
            let loss = losses::mse(&pred, &y.narrow(0, b * 32, 32).unwrap()).unwrap();
            opt.backward_step(&loss).unwrap();
        }
    })
}

fn main() {
    let threads = rayon::current_num_threads();
    for (name, s) in [
        ("siamese-head (our conv)", siamese_head(false)),
        ("siamese-head (candle conv2d)", siamese_head(true)),
        ("cnn-scratch", cnn_scratch()),
    ] {
        println!(
            "{}",
            serde_json::json!({"workload": name, "seconds_per_epoch": s, "threads": threads})
        );
    }
}
