//! `fit::ridge` against himalaya's `RidgeCV(solver="svd")` and `fit::pca` against scikit-learn's
//! `PCA(svd_solver="full")`, on seeded random data of several shapes (including more features
//! than images), through `tests/peers/fit_peer.py`.
//!
//! Tolerances: the chosen α must be the same for every target (relative 1e-12, himalaya returns
//! `exp(-ln α)`); predictions (ours are `f32`) within 1e-6 of the largest |prediction|;
//! coefficients and intercepts within 1e-8 of their largest magnitude; CV scores within 1e-8
//! (himalaya adds a 1e-10·ln α tie-breaking slope to them). PCA: 1e-9 relative to the largest
//! magnitude of each quantity, signs included (both apply sklearn's `svd_flip`).
mod common;

use brainbench::fit::pca::Pca;
use brainbench::fit::ridge::{logspace, CvScore, Folds, RidgeCv, Split};
use ndarray::{Array1, Array2};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

fn to_json<T: Copy + Into<f64>>(a: &Array2<T>) -> Value {
    json!(a
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|&v| v.into()).collect::<Vec<f64>>())
        .collect::<Vec<_>>())
}

fn matrix(v: &Value) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = serde_json::from_value(v.clone()).unwrap();
    let (n, p) = (rows.len(), rows.first().map_or(0, Vec::len));
    Array2::from_shape_vec((n, p), rows.concat()).unwrap()
}

fn vector(v: &Value) -> Array1<f64> {
    serde_json::from_value::<Vec<f64>>(v.clone())
        .unwrap()
        .into()
}

/// Largest |a - b| relative to the largest |b| (or absolute when `b` is all 0).
fn rel_err<'a>(
    a: impl IntoIterator<Item = &'a f64>,
    b: impl IntoIterator<Item = &'a f64> + Clone,
) -> f64 {
    let scale = b
        .clone()
        .into_iter()
        .fold(0.0f64, |m, v| m.max(v.abs()))
        .max(1e-300);
    let diff = a
        .into_iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    if scale < 1e-12 {
        diff
    } else {
        diff / scale
    }
}

/// A random design: `n` images, `p` features (feature 0 constant when `constant_feature`), `t`
/// targets with signal-to-noise ratios spread over three decades so that different targets
/// prefer different α; the last target is constant when `constant_target`.
struct Data {
    x: Array2<f64>,
    y: Array2<f32>,
    x_test: Array2<f64>,
}

fn data(seed: u64, n: usize, m: usize, p: usize, t: usize, constant: bool) -> Data {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x = Array2::from_shape_fn((n + m, p), |_| rng.random_range(-1.0..1.0) * 2.0 + 0.5);
    if constant {
        x.column_mut(0).fill(3.0);
    }
    let w = Array2::from_shape_fn((p, t), |_| rng.random_range(-1.0..1.0));
    let signal = x.dot(&w);
    let mut y = Array2::<f32>::zeros((n, t));
    for j in 0..t {
        let noise = 10f64.powf(3.0 * j as f64 / t as f64 - 1.0) * (p as f64).sqrt();
        for i in 0..n {
            y[[i, j]] = (signal[[i, j]] + noise * rng.random_range(-1.0..1.0) + 5.0) as f32;
        }
    }
    if constant {
        y.column_mut(t - 1).fill(2.5);
    }
    Data {
        x: x.slice(ndarray::s![..n, ..]).to_owned(),
        y,
        x_test: x.slice(ndarray::s![n.., ..]).to_owned(),
    }
}

fn score_name(s: CvScore) -> &'static str {
    match s {
        CvScore::R2 => "r2",
        CvScore::Pearson => "pearson",
        CvScore::NegMse => "neg_mse",
    }
}

#[test]
fn ridge_matches_himalaya() {
    let interleaved = |n: usize, k: usize| {
        (0..k)
            .map(|f| Split {
                train: (0..n).filter(|i| i % k != f).collect(),
                test: (0..n).filter(|i| i % k == f).collect(),
            })
            .collect::<Vec<_>>()
    };
    // (seed, images, test images, features, targets, folds, constant column/target, f32 x)
    let shapes = [
        (1, 60, 9, 12, 24, Folds::KFold(5), false, false),
        (2, 40, 7, 100, 16, Folds::KFold(4), true, false),
        (
            3,
            50,
            5,
            30,
            20,
            Folds::Explicit(interleaved(50, 3)),
            true,
            true,
        ),
    ];
    let alphas = logspace(-3.0, 5.0, 17);
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for (seed, n, m, p, t, folds, constant, as_f32) in shapes {
        let d = data(seed, n, m, p, t, constant);
        let (x, x_test) = if as_f32 {
            (
                d.x.mapv(|v| v as f32 as f64),
                d.x_test.mapv(|v| v as f32 as f64),
            )
        } else {
            (d.x.clone(), d.x_test.clone())
        };
        let splits = folds.splits(n).unwrap();
        for score in [CvScore::R2, CvScore::Pearson, CvScore::NegMse] {
            let cv = RidgeCv {
                alphas: alphas.clone(),
                folds: folds.clone(),
                score,
                target_batch: 7, // several batches, one of them partial
            };
            let model = if as_f32 {
                cv.fit(x.mapv(|v| v as f32).view(), d.y.view()).unwrap()
            } else {
                cv.fit(x.view(), d.y.view()).unwrap()
            };
            let pred = model.predict(x_test.view()).unwrap();
            cases.push(json!({
                "kind": "ridge",
                "x_train": to_json(&x),
                "y_train": to_json(&d.y),
                "x_test": to_json(&x_test),
                "alphas": alphas,
                "splits": splits.iter().map(|s| json!({"train": s.train, "test": s.test})).collect::<Vec<_>>(),
                "score": score_name(score),
            }));
            ours.push((format!("seed {seed} {n}x{p}->{t} {score:?}"), model, pred));
        }
    }
    let Some(out) = common::run_peer(
        "ridge_matches_himalaya",
        "fit_peer.py",
        &json!({ "cases": cases }),
    ) else {
        return;
    };
    let results = out["results"].as_array().unwrap();
    assert_eq!(results.len(), ours.len());
    for ((label, model, pred), peer) in common::paired("ridge cases", ours.iter(), results) {
        let alphas = vector(&peer["best_alphas"]);
        for (j, (a, b)) in
            common::paired("best alphas", model.best_alphas().iter(), &alphas).enumerate()
        {
            assert!(
                (a - b).abs() <= 1e-12 * b,
                "{label}: target {j} alpha {a} vs himalaya {b}"
            );
        }
        let cv = vector(&peer["cv_scores"]);
        for (j, (a, b)) in common::paired("cv scores", model.cv_scores().iter(), &cv).enumerate() {
            assert!(
                (a - b).abs() <= 1e-8,
                "{label}: target {j} cv score {a} vs himalaya {b}"
            );
        }
        let p_peer = matrix(&peer["pred"]);
        let p_ours = pred.mapv(f64::from);
        assert_eq!(p_ours.dim(), p_peer.dim(), "{label}");
        let e = rel_err(&p_ours, &p_peer);
        eprintln!("{label}: predictions relative error {e:e}");
        assert!(e <= 1e-6, "{label}: predictions differ by {e:e} (relative)");
        let e = rel_err(model.coef(), &matrix(&peer["coef"]));
        eprintln!("{label}: coefficients relative error {e:e}");
        assert!(
            e <= 1e-8,
            "{label}: coefficients differ by {e:e} (relative)"
        );
        let e = rel_err(model.intercept(), &vector(&peer["intercept"]));
        assert!(e <= 1e-8, "{label}: intercepts differ by {e:e} (relative)");
    }
    // The comparison only tests the per-target choice if the targets chose differently.
    let (label, model, _) = &ours[0];
    let mut distinct = model.best_alphas().to_vec();
    distinct.dedup();
    assert!(distinct.len() >= 3, "{label}: alphas chosen {distinct:?}");
}

#[test]
fn kfold_matches_sklearn() {
    let cases: Vec<Value> = [(11, 3), (10, 5), (7, 7), (23, 4), (5, 2)]
        .iter()
        .map(|&(n, k)| json!({"kind": "kfold", "n": n, "k": k}))
        .collect();
    let Some(out) = common::run_peer(
        "kfold_matches_sklearn",
        "fit_peer.py",
        &json!({ "cases": cases }),
    ) else {
        return;
    };
    for (case, peer) in common::paired(
        "kfold cases",
        cases.iter(),
        out["results"].as_array().unwrap(),
    ) {
        let (n, k) = (
            case["n"].as_u64().unwrap() as usize,
            case["k"].as_u64().unwrap() as usize,
        );
        let ours = Folds::KFold(k).splits(n).unwrap();
        let theirs: Vec<Split> = peer["splits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| Split {
                train: serde_json::from_value(s["train"].clone()).unwrap(),
                test: serde_json::from_value(s["test"].clone()).unwrap(),
            })
            .collect();
        assert_eq!(ours, theirs, "KFold({k}) of {n}");
    }
}

#[test]
fn pca_matches_sklearn() {
    // (seed, images, features, components, f32 input, decades spanned by the latent scales).
    // fit::pca takes the Gram-matrix route for all but the last case, whose kept singular values
    // span more than the 316:1 it allows, so that it goes through the thin SVD.
    let shapes = [
        (4, 50, 10, 5, false, 0.0),
        (5, 20, 60, 15, false, 0.0),
        (6, 30, 30, 7, true, 0.0),
        (7, 200, 800, 100, true, 0.0),
        (8, 40, 25, 12, false, 8.0),
    ];
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for (seed, n, p, k, as_f32, decades) in shapes {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // Correlated features with decaying variance, so that components are well separated.
        let latent = Array2::from_shape_fn((n + 6, p), |(_, j)| {
            rng.random_range(-1.0..1.0) * 10f64.powf(-decades * j as f64 / p as f64)
        });
        let mix = Array2::from_shape_fn((p, p), |(i, j)| {
            rng.random_range(-1.0..1.0) / (1.0 + (i + j) as f64)
        });
        let mut x = latent.dot(&mix) + 1.5;
        if as_f32 {
            x.mapv_inplace(|v| v as f32 as f64);
        }
        let (train, test) = (
            x.slice(ndarray::s![..n, ..]).to_owned(),
            x.slice(ndarray::s![n.., ..]).to_owned(),
        );
        let pca = if as_f32 {
            Pca::fit(train.mapv(|v| v as f32).view(), k).unwrap()
        } else {
            Pca::fit(train.view(), k).unwrap()
        };
        let transformed = pca.transform(test.view()).unwrap();
        cases.push(json!({"kind": "pca", "x_train": to_json(&train), "x_test": to_json(&test), "n_components": k}));
        ours.push((format!("seed {seed} {n}x{p} k={k}"), pca, transformed));
    }
    let Some(out) = common::run_peer(
        "pca_matches_sklearn",
        "fit_peer.py",
        &json!({ "cases": cases }),
    ) else {
        return;
    };
    for ((label, pca, transformed), peer) in
        common::paired("pca cases", ours.iter(), out["results"].as_array().unwrap())
    {
        assert_eq!(pca.n_components(), transformed.ncols());
        let checks: [(&str, Vec<f64>, Vec<f64>); 6] = [
            ("mean", pca.mean().to_vec(), vector(&peer["mean"]).to_vec()),
            (
                "components",
                pca.components().iter().copied().collect(),
                matrix(&peer["components"]).iter().copied().collect(),
            ),
            (
                "singular values",
                pca.singular_values().to_vec(),
                vector(&peer["singular_values"]).to_vec(),
            ),
            (
                "explained variance",
                pca.explained_variance().to_vec(),
                vector(&peer["explained_variance"]).to_vec(),
            ),
            (
                "explained variance ratio",
                pca.explained_variance_ratio().to_vec(),
                vector(&peer["explained_variance_ratio"]).to_vec(),
            ),
            (
                "transformed",
                transformed.iter().copied().collect(),
                matrix(&peer["transformed"]).iter().copied().collect(),
            ),
        ];
        for (what, a, b) in checks {
            assert_eq!(a.len(), b.len(), "{label}: {what} length");
            let e = rel_err(&a, &b);
            eprintln!("{label}: {what} relative error {e:e}");
            assert!(e <= 1e-9, "{label}: {what} differ by {e:e} (relative)");
        }
    }
}
