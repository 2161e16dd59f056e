//! Speed of the fitters at the size of a reference submission (CNN layer features of 1,000
//! training images, reduced to 512 dimensions); the himalaya / scikit-learn timings on the same
//! shapes come from `tests/peers/fit_speed.py`.
//!
//! * `ridge_cv/1000x512_to_2000targets_5folds_10alphas` and `pca/1000x4096_to_512`: criterion.
//! * `ridge_cv/1000x512_to_40000targets_5folds_10alphas`: one hemisphere's worth of vertices;
//!   seconds per run, so timed three times, not by criterion. Run only it with
//!   `cargo bench --bench fit -- 40000targets`.
use std::hint::black_box;
use std::time::Instant;

use brainbench::fit::pca::Pca;
use brainbench::fit::ridge::{logspace, CvScore, Folds, RidgeCv};
use criterion::{criterion_group, Criterion};
use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const IMAGES: usize = 1000;
const FEATURES: usize = 512;

/// Seeded features and targets `y = x w + noise` of the given sizes.
fn problem(targets: usize) -> (Array2<f32>, Array2<f32>) {
    let mut rng = ChaCha8Rng::seed_from_u64(512);
    let x = Array2::from_shape_fn((IMAGES, FEATURES), |_| rng.random_range(-1.0f32..1.0));
    let w = Array2::from_shape_fn((FEATURES, targets), |_| rng.random_range(-0.1f32..0.1));
    let mut y = x.dot(&w);
    y.mapv_inplace(|v| v + rng.random_range(-1.0f32..1.0));
    (x, y)
}

fn settings() -> RidgeCv {
    RidgeCv {
        alphas: logspace(-1.0, 8.0, 10),
        folds: Folds::KFold(5),
        score: CvScore::R2,
        ..RidgeCv::default()
    }
}

fn ridge_cv(c: &mut Criterion) {
    let (x, y) = problem(2000);
    let cv = settings();
    let mut g = c.benchmark_group("ridge_cv");
    g.sample_size(10);
    g.bench_function("1000x512_to_2000targets_5folds_10alphas", |b| {
        b.iter(|| black_box(cv.fit(x.view(), y.view()).unwrap()))
    });
    g.finish();
}

fn pca(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(4096);
    let x = Array2::from_shape_fn((IMAGES, 4096), |_| rng.random_range(-1.0f32..1.0));
    let mut g = c.benchmark_group("pca");
    g.sample_size(10);
    g.bench_function("1000x4096_to_512", |b| {
        b.iter(|| black_box(Pca::fit(x.view(), 512).unwrap()))
    });
    g.finish();
}

/// Three timed runs of the one-hemisphere ridge (too long for criterion's 10 samples).
fn ridge_cv_40000_once() {
    let (x, y) = problem(40_000);
    let cv = settings();
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let model = black_box(cv.fit(x.view(), y.view()).unwrap());
        times.push(t.elapsed().as_secs_f64());
        drop(model);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "ridge_cv/1000x512_to_40000targets_5folds_10alphas: best {:.2} s, median {:.2} s over 3 runs",
        times[0], times[1]
    );
}

criterion_group!(benches, ridge_cv, pca);

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wants = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    if wants("2000targets") || wants("pca") {
        benches();
    }
    if wants("40000targets") {
        ridge_cv_40000_once();
    }
    Criterion::default().configure_from_args().final_summary();
}
