//! The metrics compared live with numpy / scipy / rsatoolbox (`tests/peers/metrics_peer.py`) on
//! the same seeded random inputs: several shapes, ties, constant columns.
mod common;

use brainbench::metrics::bootstrap::{
    encoding::bootstrap_encoding, percentile, resample_counts, BootstrapConfig,
};
use brainbench::metrics::correlation::pearson_columns;
use brainbench::metrics::encoding::{score_block, summarise, EncodingBlock};
use brainbench::metrics::noise_ceiling::{ncsnr, noise_ceiling, TotalVariance, TrialResponses};
use brainbench::metrics::ranks::{kendall_tau_a, rankdata, rho_a, spearman};
use brainbench::metrics::rdm::{Dissimilarity, Rdm};
use brainbench::metrics::rsa::{rdm_noise_ceiling, roi_score, ttest_1samp};
use ndarray::{Array2, ArrayView2};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// Uniform values in [-2, 2) as f32; `levels > 0` rounds to that many distinct values (ties).
fn matrix(rng: &mut ChaCha8Rng, n: usize, v: usize, levels: u32) -> Array2<f32> {
    Array2::from_shape_fn((n, v), |_| {
        let x: f64 = rng.random::<f64>() * 4.0 - 2.0;
        if levels > 0 {
            (x * levels as f64 / 4.0).round() as f32
        } else {
            x as f32
        }
    })
}

fn to_json(a: ArrayView2<f32>) -> Value {
    json!(a.rows().into_iter().map(|r| r.to_vec()).collect::<Vec<_>>())
}

fn f(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn vecf(v: &Value) -> Vec<Option<f64>> {
    v.as_array().unwrap().iter().map(f).collect()
}

#[track_caller]
fn assert_close(got: Option<f64>, want: Option<f64>, rel: f64, what: &str) {
    match (got, want) {
        (None, None) => {}
        (Some(g), Some(w)) => assert!(
            (g - w).abs() <= rel * w.abs().max(1e-300) || (g - w).abs() <= rel * 1e-3,
            "{what}: got {g}, want {w} (rel {rel})"
        ),
        _ => panic!("{what}: got {got:?}, want {want:?}"),
    }
}

fn peer(test: &str, cases: Vec<Value>) -> Option<Vec<Value>> {
    let out = common::run_peer(test, "metrics_peer.py", &json!({ "cases": cases }))?;
    Some(out["results"].as_array().unwrap().clone())
}

#[test]
fn pearson_and_encoding_score_match_scipy_and_the_devkit() {
    let mut r = rng(1);
    // (21, 2100): several column strips of the kernel, a partial row block and lane group.
    let shapes = [(5, 3), (37, 20), (200, 7), (3, 600), (21, 2100)];
    let mut cases = Vec::new();
    let mut blocks_data = Vec::new();
    for &(n, v) in &shapes {
        let pred = matrix(&mut r, n, v, 0);
        let mut truth = matrix(&mut r, n, v, 0);
        truth.column_mut(0).fill(0.5); // constant truth: undefined r
        let mut pred = pred;
        if v > 2 {
            // a prediction strongly correlated with the truth, to reach the clipping at 100
            let t1 = truth.column(1).to_owned();
            pred.column_mut(1).assign(&t1.mapv(|x| 3.0 * x + 1.0));
        }
        // Columns far from zero (a mean 500 times the spread) and, with enough rows, a first row
        // far from the rest: the second makes the kernel fall back to two passes.
        for k in (3..v).step_by(3) {
            pred.column_mut(k).mapv_inplace(|x| x + 1000.0);
        }
        if n >= 100 {
            pred[[0, v - 1]] += 50.0;
        }
        let nc: Vec<f64> = (0..v)
            .map(|k| if k % 5 == 2 { 0.0 } else { r.random::<f64>() })
            .collect();
        cases.push(json!({"op": "pearson_columns", "pred": to_json(pred.view()), "truth": to_json(truth.view())}));
        blocks_data.push((pred, truth, nc));
    }
    let blocks_json: Vec<Value> = blocks_data
        .iter()
        .map(|(p, t, nc)| json!({"pred": to_json(p.view()), "truth": to_json(t.view()), "nc": nc}))
        .collect();
    cases.push(json!({"op": "encoding", "blocks": blocks_json}));
    let Some(res) = peer("pearson_and_encoding", cases) else {
        return;
    };
    let mut scores = Vec::new();
    for (k, (p, t, nc)) in blocks_data.iter().enumerate() {
        let got = pearson_columns(p.view(), t.view()).unwrap();
        let want = vecf(&res[k]);
        assert_eq!(got.len(), want.len());
        for (v, (g, w)) in common::paired("per-vertex values", got.iter(), &want).enumerate() {
            assert_close(*g, *w, 1e-9, &format!("pearson shape {k} vertex {v}"));
        }
        let block = EncodingBlock {
            pred: p.view(),
            truth: t.view(),
            nc,
            subject: k as u64,
        };
        scores.push(score_block(&block).unwrap());
    }
    let summary = summarise(&scores, &[]).unwrap();
    let enc = &res[shapes.len()];
    let pooled: Vec<f64> = scores.iter().flat_map(|s| s.nnea.iter().copied()).collect();
    for (v, (g, w)) in common::paired("pooled nnea", pooled.iter(), vecf(&enc["nnea"])).enumerate()
    {
        assert_close(Some(*g), w, 1e-9, &format!("nnea vertex {v}"));
    }
    assert_close(Some(summary.mean), f(&enc["mean"]), 1e-9, "pooled mean");
    assert_close(Some(summary.median), f(&enc["median"]), 1e-9, "median");
    assert!(summary.counts.n_undefined_r >= shapes.len() && summary.counts.n_clipped >= 1);
    assert!(summary.counts.n_nc_zero >= 1);
}

#[test]
fn rank_statistics_match_scipy_and_rsatoolbox_with_ties() {
    let mut r = rng(2);
    let mut inputs = Vec::new();
    // RDM vector lengths n (n - 1) / 2, as rsatoolbox expects of a condensed RDM
    for &(n, levels) in &[(6usize, 3u32), (45, 5), (300, 0), (1035, 20), (4950, 40)] {
        let x: Vec<f64> = matrix(&mut r, 1, n, levels)
            .iter()
            .map(|&v| v as f64)
            .collect();
        let y: Vec<f64> = matrix(&mut r, 1, n, levels)
            .iter()
            .map(|&v| v as f64)
            .collect();
        inputs.push((x, y));
    }
    let cases = inputs
        .iter()
        .map(|(x, y)| json!({"op": "ranks", "x": x, "y": y}))
        .collect();
    let Some(res) = peer("rank_statistics", cases) else {
        return;
    };
    for (k, ((x, y), want)) in common::paired("rank inputs", inputs.iter(), &res).enumerate() {
        let ranks = rankdata(x).unwrap();
        for (g, w) in common::paired("rankdata", ranks.iter(), vecf(&want["rankdata"])) {
            assert_eq!(Some(*g), w, "rankdata case {k}");
        }
        assert_close(
            spearman(x, y).unwrap(),
            f(&want["spearman"]),
            1e-12,
            "spearman",
        );
        assert_close(
            Some(kendall_tau_a(x, y).unwrap()),
            f(&want["tau_a"]),
            1e-12,
            "tau-a",
        );
        assert_close(
            Some(rho_a(x, y).unwrap()),
            f(&want["rho_a"]),
            1e-12,
            "rho-a",
        );
    }
}

#[test]
fn ncsnr_and_noise_ceiling_match_the_nsd_and_devkit_formulas() {
    let mut r = rng(3);
    for &(images, v) in &[(12usize, 9usize), (60, 33)] {
        let mut image_of_trial = Vec::new();
        let mut test_trials = Vec::new();
        for i in 0..images {
            let k = 1 + (r.random::<u32>() % 3) as usize;
            test_trials.push(k);
            image_of_trial.extend(std::iter::repeat_n(i, k));
        }
        let y = matrix(&mut r, image_of_trial.len(), v, 0);
        let case = json!({"op": "ncsnr", "responses": to_json(y.view()),
                          "image_of_trial": image_of_trial, "test_trials": test_trials});
        let Some(res) = peer("ncsnr", vec![case]) else {
            return;
        };
        let tr = TrialResponses::new(y.view(), &image_of_trial).unwrap();
        let z = ncsnr(&tr, TotalVariance::ZScored).unwrap();
        let all = ncsnr(&tr, TotalVariance::AllTrials).unwrap();
        let nc = noise_ceiling(&z, &test_trials).unwrap();
        for (name, got) in [("zscored", &z), ("all_trials", &all), ("nc", &nc)] {
            for (k, (g, w)) in common::paired(name, got.iter(), vecf(&res[0][name])).enumerate() {
                assert_close(Some(*g), w, 1e-9, &format!("{name} vertex {k}"));
            }
        }
    }
}

#[test]
fn rdms_ttest_and_percentiles_match_scipy_and_numpy() {
    let mut r = rng(4);
    let pats = [
        matrix(&mut r, 5, 3, 0),
        matrix(&mut r, 40, 17, 0),
        matrix(&mut r, 12, 200, 4),
    ];
    let stats_inputs: Vec<Vec<f64>> = [2usize, 3, 15, 101, 1000]
        .iter()
        .map(|&n| {
            matrix(&mut r, 1, n, 0)
                .iter()
                .map(|&v| 0.1 + v as f64)
                .collect()
        })
        .collect();
    let q = [0.0, 2.5, 25.0, 50.0, 97.5, 100.0];
    let mut cases: Vec<Value> = pats
        .iter()
        .map(|p| json!({"op": "rdm", "patterns": to_json(p.view())}))
        .collect();
    cases.extend(
        stats_inputs
            .iter()
            .map(|x| json!({"op": "stats", "x": x, "q": q})),
    );
    let Some(res) = peer("rdms_ttest_percentiles", cases) else {
        return;
    };
    for (k, p) in pats.iter().enumerate() {
        for (name, d) in [
            ("correlation", Dissimilarity::Correlation),
            ("euclidean", Dissimilarity::Euclidean),
            ("cosine", Dissimilarity::Cosine),
        ] {
            let rdm = Rdm::from_patterns(p.view(), d).unwrap();
            for (i, (g, w)) in
                common::paired(name, rdm.upper().iter(), vecf(&res[k][name])).enumerate()
            {
                assert_close(
                    Some(*g),
                    w,
                    1e-9,
                    &format!("pdist {name} case {k} pair {i}"),
                );
            }
        }
    }
    for (x, want) in common::paired("statistics inputs", stats_inputs.iter(), &res[pats.len()..]) {
        let t = ttest_1samp(x, 0.0).unwrap().unwrap();
        assert_close(Some(t.t), f(&want["t"]), 1e-9, "t");
        assert_close(Some(t.p), f(&want["p"]), 1e-9, "p");
        for (qq, w) in common::paired("percentiles", q.iter(), vecf(&want["percentiles"])) {
            assert_close(
                Some(percentile(x, qq / 100.0).unwrap()),
                w,
                1e-12,
                "percentile",
            );
        }
    }
}

#[test]
fn rsa_score_and_rdm_ceiling_match_scipy() {
    let mut r = rng(5);
    let n = 20;
    let base = matrix(&mut r, 1, n * (n - 1) / 2, 0);
    let model = Rdm::from_upper(n, base.iter().map(|&v| v as f64 + 3.0).collect()).unwrap();
    let subjects: Vec<Rdm> = (0..6)
        .map(|_| {
            let noise = matrix(&mut r, 1, n * (n - 1) / 2, 6);
            let v = base
                .iter()
                .zip(noise.iter())
                .map(|(&b, &e)| 3.0 + b as f64 + e as f64);
            Rdm::from_upper(n, v.collect()).unwrap()
        })
        .collect();
    let case = json!({"op": "rsa", "model": model.upper(),
                      "subjects": subjects.iter().map(|s| s.upper().to_vec()).collect::<Vec<_>>()});
    let Some(res) = peer("rsa_score", vec![case]) else {
        return;
    };
    let nc = rdm_noise_ceiling(&subjects).unwrap();
    let s = roi_score("EVC", &model, &subjects, nc.upper).unwrap();
    for (g, w) in common::paired("rho", s.rho.iter(), vecf(&res[0]["rho"])) {
        assert_close(Some(*g), w, 1e-12, "rho_s");
    }
    assert_close(Some(s.r2), f(&res[0]["r2"]), 1e-12, "R2");
    let t = s.ttest.unwrap();
    assert_close(Some(t.t), f(&res[0]["t"]), 1e-9, "t of rho^2");
    assert_close(Some(t.p), f(&res[0]["p"]), 1e-9, "p of rho^2");
    assert_close(Some(nc.upper), f(&res[0]["upper"]), 1e-12, "NC upper");
    assert_close(nc.lower, f(&res[0]["lower"]), 1e-12, "NC lower");
}

/// (subject, prediction, truth, noise ceilings) of one block.
type BlockData = (u64, Array2<f32>, Array2<f32>, Vec<f64>);

#[test]
fn encoding_bootstrap_matches_numpy_on_the_same_draws() {
    let mut r = rng(6);
    // subject 1: two hemispheres of 12 images; subject 2: one block of 17 images
    let shapes = [(1u64, 12usize, 8usize), (1, 12, 5), (2, 17, 6)];
    let cfg = BootstrapConfig {
        n_resamples: 40,
        seed: 11,
        level: 0.9,
    };
    let data: Vec<BlockData> = shapes
        .iter()
        .map(|&(s, n, v)| {
            let t = matrix(&mut r, n, v, 0);
            let p = &t * 0.5 + &matrix(&mut r, n, v, 0);
            let nc = (0..v)
                .map(|k| {
                    if k == 0 {
                        0.0
                    } else {
                        0.1 + r.random::<f64>() * 0.9
                    }
                })
                .collect();
            (s, p, t, nc)
        })
        .collect();
    let blocks: Vec<EncodingBlock<f32>> = data
        .iter()
        .map(|(s, p, t, nc)| EncodingBlock {
            pred: p.view(),
            truth: t.view(),
            nc,
            subject: *s,
        })
        .collect();
    let got = bootstrap_encoding(&blocks, &cfg).unwrap();
    let blocks_json: Vec<Value> = data
        .iter()
        .map(|(s, p, t, nc)| {
            let counts: Vec<Vec<u32>> = (0..cfg.n_resamples)
                .map(|b| resample_counts(cfg.seed, *s, t.nrows(), b))
                .collect();
            json!({"pred": to_json(p.view()), "truth": to_json(t.view()), "nc": nc, "counts": counts})
        })
        .collect();
    let case = json!({"op": "encoding_bootstrap", "blocks": blocks_json, "level": cfg.level});
    let Some(res) = peer("encoding_bootstrap", vec![case]) else {
        return;
    };
    for (b, (g, w)) in common::paired(
        "bootstrap samples",
        got.samples.iter(),
        vecf(&res[0]["samples"]),
    )
    .enumerate()
    {
        assert_close(Some(*g), w, 1e-9, &format!("resample {b}"));
    }
    assert_close(
        Some(got.interval.low),
        f(&res[0]["low"]),
        1e-9,
        "interval low",
    );
    assert_close(
        Some(got.interval.high),
        f(&res[0]["high"]),
        1e-9,
        "interval high",
    );
}
