//! The reference submissions' read-outs (`reference::readout`) against scikit-learn and himalaya
//! written from their documentation (`tests/peers/readout_peer.py`), on seeded random "layers"
//! with more features than images, as CNN layers have:
//!
//! * devkit: StandardScaler, PCA and LinearRegression — predictions within 1e-6 of the largest
//!   |prediction| (ours are `f32`);
//! * ridge: PCA per layer, standardised, himalaya's RidgeCV with k-fold CV — the same α for
//!   every vertex and predictions within 1e-6.
mod common;

use brainbench::reference::readout;
use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

struct Case {
    train: Vec<Array2<f32>>,
    test: Vec<Array2<f32>>,
    y: Array2<f32>,
}

/// Three layers of 60/30/12 features for 40 training and 9 test images; 7 vertices that read
/// different mixtures of the layers with noise spread over two decades.
fn case(seed: u64) -> Case {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (n, m) = (40, 9);
    let widths = [60, 30, 12];
    let all: Vec<Array2<f32>> = widths
        .iter()
        .map(|&w| Array2::from_shape_fn((n + m, w), |_| rng.random_range(-1.0f32..1.0)))
        .collect();
    let mut y = Array2::<f32>::zeros((n, 7));
    for v in 0..7 {
        let layer = &all[v % 3];
        let noise = 10f32.powf(v as f32 / 3.0 - 1.0);
        for i in 0..n {
            let signal: f32 = layer
                .row(i)
                .iter()
                .take(5)
                .enumerate()
                .map(|(k, x)| x * (k as f32 - 2.0))
                .sum();
            y[[i, v]] = signal + noise * rng.random_range(-1.0f32..1.0);
        }
    }
    let split = |a: &Array2<f32>, r: std::ops::Range<usize>| a.slice(ndarray::s![r, ..]).to_owned();
    Case {
        train: all.iter().map(|a| split(a, 0..n)).collect(),
        test: all.iter().map(|a| split(a, n..n + m)).collect(),
        y,
    }
}

fn to_json(a: &Array2<f32>) -> Value {
    json!(a
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|&v| f64::from(v)).collect::<Vec<f64>>())
        .collect::<Vec<_>>())
}

fn layers_json(c: &Case) -> Value {
    json!(c
        .train
        .iter()
        .zip(&c.test)
        .map(|(tr, te)| json!({"train": to_json(tr), "test": to_json(te)}))
        .collect::<Vec<_>>())
}

/// Largest |ours - peer| relative to the largest |peer|.
fn rel_err(ours: &Array2<f32>, peer: &Value) -> f64 {
    let rows: Vec<Vec<f64>> = serde_json::from_value(peer.clone()).unwrap();
    assert_eq!((rows.len(), rows[0].len()), ours.dim());
    let scale = rows.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    let diff = common::paired("prediction rows", ours.rows(), &rows)
        .flat_map(|(a, b)| {
            common::paired("prediction columns", a.iter(), b)
                .map(|(x, y)| (f64::from(*x) - y).abs())
                .collect::<Vec<_>>()
        })
        .fold(0.0f64, f64::max);
    diff / scale
}

#[test]
fn readouts_match_scikit_learn_and_himalaya() {
    let alphas = brainbench::fit::ridge::logspace(-3.0, 5.0, 9);
    let cases: Vec<Case> = (0..2).map(case).collect();
    let mut input = Vec::new();
    for c in &cases {
        input.push(json!({"kind": "devkit", "layers": layers_json(c), "y_train": to_json(&c.y), "components": 10}));
        input.push(json!({"kind": "ridge", "layers": layers_json(c), "y_train": to_json(&c.y), "components": 8, "folds": 5, "alphas": alphas}));
    }
    let Some(out) = common::run_peer(
        "readouts_match_scikit_learn_and_himalaya",
        "readout_peer.py",
        &json!({ "cases": input }),
    ) else {
        return;
    };
    let results = out["results"].as_array().unwrap();
    assert_eq!(results.len(), 2 * cases.len());
    for (i, c) in cases.iter().enumerate() {
        let x = readout::standardised_pca(&c.train, &c.test, 10).unwrap();
        let (pred, summary) = readout::least_squares(&x, c.y.view()).unwrap();
        assert_eq!(summary.features, 10);
        let e = rel_err(&pred, &results[2 * i]["pred"]);
        assert!(e < 1e-6, "devkit case {i}: relative error {e:e}");

        let x = readout::per_layer_pca(&c.train, &c.test, 8).unwrap();
        assert_eq!(x.train.ncols(), 24);
        let (pred, _) = readout::ridge(&x, c.y.view(), 5, alphas.clone()).unwrap();
        let e = rel_err(&pred, &results[2 * i + 1]["pred"]);
        assert!(e < 1e-6, "ridge case {i}: relative error {e:e}");
    }
}
