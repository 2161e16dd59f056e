//! Speed of the metrics on challenge-sized inputs (see BENCHMARKS.md for results and the
//! numpy/scipy comparison in `benches/peers/compare.py`).
//!
//! * `encoding_score/algonauts2023_8subj`: the pooled encoding score of a full Algonauts 2023
//!   submission (8 subjects x 2 hemispheres, official test-image and vertex counts).
//! * `rsa_spearman/1000stim_15subj`: Spearman of one 1000-stimulus model RDM with 15 subjects.
//! * `encoding_bootstrap/algonauts2023_8subj_1000resamples`: the same score with 1000
//!   bootstrap resamples; one run takes many seconds, so it is timed once, not by criterion.
//!   Run only it with `cargo bench --bench metrics -- bootstrap`.
use std::hint::black_box;
use std::time::Instant;

use brainbench::metrics::bootstrap::{encoding::bootstrap_encoding, BootstrapConfig};
use brainbench::metrics::encoding::{score_block, summarise, EncodingBlock};
use brainbench::metrics::rsa::spearman_many;
use criterion::{criterion_group, Criterion};
use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Test images per subject (subj01..subj08).
const IMAGES: [usize; 8] = [159, 159, 293, 395, 159, 293, 159, 395];

/// (lh, rh) vertices per subject.
fn vertices(subject: usize) -> (usize, usize) {
    match subject {
        5 => (18978, 20220),
        7 => (18981, 20530),
        _ => (19004, 20544),
    }
}

/// (subject, prediction, truth, noise ceilings) of one block.
type BlockData = (u64, Array2<f32>, Array2<f32>, Vec<f64>);

/// (subject, pred, truth, nc) for every block, seeded; truth = signal, pred = signal + noise.
fn submission() -> Vec<BlockData> {
    let mut rng = ChaCha8Rng::seed_from_u64(2023);
    let mut blocks = Vec::new();
    for (s, &n) in IMAGES.iter().enumerate() {
        let (lh, rh) = vertices(s);
        for v in [lh, rh] {
            let truth = Array2::from_shape_simple_fn((n, v), || rng.random::<f32>() - 0.5);
            let pred = truth.mapv(|x| x + rng.random::<f32>() - 0.5);
            let nc = (0..v).map(|_| rng.random::<f64>()).collect();
            blocks.push((s as u64, pred, truth, nc));
        }
    }
    blocks
}

fn views(data: &[BlockData]) -> Vec<EncodingBlock<'_, f32>> {
    data.iter()
        .map(|(s, p, t, nc)| EncodingBlock {
            pred: p.view(),
            truth: t.view(),
            nc,
            subject: *s,
        })
        .collect()
}

fn encoding_score(c: &mut Criterion) {
    let data = submission();
    let blocks = views(&data);
    let mut g = c.benchmark_group("encoding_score");
    g.sample_size(10);
    g.bench_function("algonauts2023_8subj_2012img_316k_vertices", |b| {
        b.iter(|| {
            let scores: Vec<_> = blocks.iter().map(|b| score_block(b).unwrap()).collect();
            black_box(summarise(&scores, &[]).unwrap().mean)
        })
    });
    g.finish();
}

fn rsa_spearman(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(2019);
    let len = 1000 * 999 / 2;
    let model: Vec<f64> = (0..len).map(|_| rng.random()).collect();
    let subjects: Vec<Vec<f64>> = (0..15)
        .map(|_| (0..len).map(|_| rng.random()).collect())
        .collect();
    let refs: Vec<&[f64]> = subjects.iter().map(|s| s.as_slice()).collect();
    let mut g = c.benchmark_group("rsa_spearman");
    g.sample_size(10);
    g.bench_function("1000stim_15subj", |b| {
        b.iter(|| black_box(spearman_many(&model, &refs).unwrap()))
    });
    g.finish();
}

/// One timed run of the full-size encoding bootstrap (too long for criterion's 10 samples).
fn encoding_bootstrap_once() {
    let data = submission();
    let blocks = views(&data);
    let cfg = BootstrapConfig::default();
    let t = Instant::now();
    let res = bootstrap_encoding(&blocks, &cfg).unwrap();
    println!(
        "encoding_bootstrap/algonauts2023_8subj_1000resamples: {:.2} s (one run; interval {:.3}..{:.3})",
        t.elapsed().as_secs_f64(),
        res.interval.low,
        res.interval.high
    );
}

criterion_group!(benches, encoding_score, rsa_spearman);

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wants = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    if wants("encoding_score") || wants("rsa_spearman") {
        benches();
    }
    if wants("encoding_bootstrap") {
        encoding_bootstrap_once();
    }
    Criterion::default().configure_from_args().final_summary();
}
