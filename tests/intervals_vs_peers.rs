//! Bootstrap intervals compared with scipy's own code (`scipy.stats.bootstrap` run on the very
//! resamples the Rust code drew) and the two-way RSA bootstrap with rsatoolbox's variance
//! correction (`tests/peers/intervals_peer.py`).
mod common;

use brainbench::metrics::bootstrap::encoding::bootstrap_encoding;
use brainbench::metrics::bootstrap::interval::{
    bootstrap_interval, normal_cdf, normal_quantile, IntervalMethod,
};
use brainbench::metrics::bootstrap::jackknife::jackknife_encoding;
use brainbench::metrics::bootstrap::rsa::{
    bootstrap_rsa_two_way, dual_bootstrap_variance, RsaRoi, STIMULUS_GROUP, SUBJECT_GROUP,
};
use brainbench::metrics::bootstrap::{resample_indices, BootstrapConfig};
use brainbench::metrics::encoding::{score_block, summarise, EncodingBlock};
use brainbench::metrics::rdm::Rdm;
use brainbench::metrics::rsa::{overall, roi_score};
use ndarray::Array2;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

/// Responses with a shared signal: `truth = s + noise`, `pred = w s + noise'`, so r ranges
/// from negative to strongly positive over the vertices.
fn block_data(rng: &mut ChaCha8Rng, n: usize, v: usize) -> (Array2<f32>, Array2<f32>, Vec<f64>) {
    let weight: Vec<f64> = (0..v).map(|k| k as f64 / v as f64 * 1.6 - 0.3).collect();
    let mut truth = Array2::zeros((n, v));
    let mut pred = Array2::zeros((n, v));
    for i in 0..n {
        for k in 0..v {
            let s: f64 = rng.random::<f64>() - 0.5;
            truth[[i, k]] = (s + 0.4 * (rng.random::<f64>() - 0.5)) as f32;
            pred[[i, k]] = (weight[k] * s + 0.5 * (rng.random::<f64>() - 0.5)) as f32;
        }
    }
    let nc = (0..v)
        .map(|k| {
            if k == 0 {
                0.0
            } else {
                0.3 + 0.6 * k as f64 / v as f64
            }
        })
        .collect();
    (pred, truth, nc)
}

fn rows(a: &Array2<f32>) -> Value {
    // As f64, so that the JSON text is the exact f32 value and numpy reads the same number.
    json!(a
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|&x| f64::from(x)).collect::<Vec<_>>())
        .collect::<Vec<_>>())
}

#[track_caller]
fn close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol * want.abs().max(1.0),
        "{what}: got {got}, scipy {want} (tolerance {tol})"
    );
}

/// One block: predictions, truth, noise ceilings and resampling group.
type BlockData = (Array2<f32>, Array2<f32>, Vec<f64>, u64);

struct EncodingCase {
    data: Vec<BlockData>,
    level: f64,
    resamples: usize,
}

fn encoding_case(seed: u64, groups: &[(u64, usize)], v: usize, level: f64) -> EncodingCase {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let data = groups
        .iter()
        .flat_map(|&(g, n)| {
            // Two hemispheres per group.
            [0, 1].map(|_| {
                let (p, t, nc) = block_data(&mut rng, n, v);
                (p, t, nc, g)
            })
        })
        .collect();
    EncodingCase {
        data,
        level,
        resamples: 1500,
    }
}

#[test]
fn intervals_match_scipy_bootstrap_on_the_same_resamples() {
    let test = "intervals_match_scipy_bootstrap_on_the_same_resamples";
    let cases = [
        encoding_case(1, &[(3, 40)], 12, 0.95),
        encoding_case(2, &[(0, 30), (5, 24)], 9, 0.9),
    ];
    let methods = ["percentile", "basic", "BCa"];
    let mut rust = Vec::new();
    let mut requests = Vec::new();
    for case in &cases {
        let blocks: Vec<EncodingBlock<f32>> = case
            .data
            .iter()
            .map(|(p, t, nc, g)| EncodingBlock {
                pred: p.view(),
                truth: t.view(),
                nc,
                subject: *g,
            })
            .collect();
        let cfg = BootstrapConfig {
            n_resamples: case.resamples,
            seed: 11,
            level: case.level,
        };
        let boot = bootstrap_encoding(&blocks, &cfg).unwrap();
        let jk = jackknife_encoding(&blocks).unwrap();
        let scores: Vec<_> = blocks.iter().map(|b| score_block(b).unwrap()).collect();
        let estimate = summarise(&scores, &[]).unwrap().mean;
        let intervals: Vec<_> = IntervalMethod::SCIPY
            .iter()
            .map(|&m| bootstrap_interval(m, estimate, &boot.samples, &jk, &[], case.level).unwrap())
            .collect();
        let mut groups: Vec<(u64, usize)> = Vec::new();
        for (_, t, _, g) in &case.data {
            if !groups.iter().any(|(h, _)| h == g) {
                groups.push((*g, t.nrows()));
            }
        }
        let draws: Vec<Vec<Vec<usize>>> = groups
            .iter()
            .map(|&(g, n)| {
                (0..case.resamples)
                    .map(|b| resample_indices(11, g, n, b))
                    .collect()
            })
            .collect();
        requests.push(json!({
            "blocks": case.data.iter().map(|(p, t, nc, g)| json!({
                "pred": rows(p), "truth": rows(t), "nc": nc,
                "group": groups.iter().position(|(h, _)| h == g).unwrap(),
            })).collect::<Vec<_>>(),
            "draws": draws,
            "level": case.level,
            "methods": methods,
        }));
        rust.push((estimate, boot.samples, intervals));
    }
    // Normal functions on grids reaching the tails BCa visits.
    let xs: Vec<f64> = (-80..=80).map(|k| k as f64 / 10.0).collect();
    let ps: Vec<f64> = [1e-12, 1e-8, 1e-4, 0.001, 0.01, 0.025, 0.05]
        .into_iter()
        .chain((1..20).map(|k| k as f64 / 20.0))
        .chain([0.95, 0.975, 0.99, 0.999, 1.0 - 1e-4, 1.0 - 1e-8])
        .collect();
    let dual = dual_request();
    let Some(out) = common::run_peer(
        test,
        "intervals_peer.py",
        &json!({"encoding": requests, "normal": {"x": xs, "p": ps}, "dual": dual.request}),
    ) else {
        return;
    };
    for (k, ((estimate, samples, intervals), peer)) in rust
        .iter()
        .zip(out["encoding"].as_array().unwrap())
        .enumerate()
    {
        close(
            *estimate,
            peer["estimate"].as_f64().unwrap(),
            1e-12,
            "estimate",
        );
        let theirs: Vec<f64> = serde_json::from_value(peer["samples"].clone()).unwrap();
        for (b, (g, w)) in samples.iter().zip(&theirs).enumerate() {
            close(*g, *w, 1e-11, &format!("case {k} resample {b}"));
        }
        for (iv, want) in intervals.iter().zip(peer["intervals"].as_array().unwrap()) {
            assert!(
                iv.warnings.is_empty(),
                "case {k} {}: {:?}",
                iv.method,
                iv.warnings
            );
            assert_eq!(iv.method, iv.requested);
            close(
                iv.interval.low,
                want[0].as_f64().unwrap(),
                1e-9,
                &format!("case {k} {} low", iv.method),
            );
            close(
                iv.interval.high,
                want[1].as_f64().unwrap(),
                1e-9,
                &format!("case {k} {} high", iv.method),
            );
        }
        let bca = &intervals[2];
        let (a1, a2) = bca.adjusted_levels.unwrap();
        close(
            a1,
            peer["bca_levels"][0].as_f64().unwrap(),
            1e-12,
            "alpha_1",
        );
        close(
            a2,
            peer["bca_levels"][1].as_f64().unwrap(),
            1e-12,
            "alpha_2",
        );
        close(
            bca.acceleration.unwrap(),
            peer["acceleration"].as_f64().unwrap(),
            1e-10,
            "acceleration",
        );
    }
    for (x, want) in xs.iter().zip(out["ndtr"].as_array().unwrap()) {
        let want = want.as_f64().unwrap();
        assert!((normal_cdf(*x) - want).abs() <= 1e-14 * want, "ndtr({x})");
    }
    for (p, want) in ps.iter().zip(out["ndtri"].as_array().unwrap()) {
        let want = want.as_f64().unwrap();
        let got = normal_quantile(*p).unwrap();
        assert!(
            (got - want).abs() <= 1e-13 * want.abs().max(1e-3),
            "ndtri({p}): {got} vs {want}"
        );
    }
    dual.check(&out["dual"]);
}

struct Dual {
    request: Value,
    triplets: Vec<[f64; 3]>,
    n: (usize, usize),
    two_way: brainbench::metrics::bootstrap::rsa::TwoWayBootstrap,
}

fn rdm(rng: &mut ChaCha8Rng, base: &[f64], noise: f64, n: usize) -> Rdm {
    let v = base
        .iter()
        .map(|b| b + noise * rng.random::<f64>())
        .collect();
    Rdm::from_upper(n, v).unwrap()
}

fn dual_request() -> Dual {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let n = 14;
    let len = n * (n - 1) / 2;
    let base: Vec<f64> = (0..len).map(|_| rng.random::<f64>()).collect();
    let models = [rdm(&mut rng, &base, 1.0, n), rdm(&mut rng, &base, 2.0, n)];
    let subjects: Vec<Vec<Rdm>> = (0..2)
        .map(|_| (0..6).map(|_| rdm(&mut rng, &base, 1.5, n)).collect())
        .collect();
    let rois: Vec<RsaRoi> = models
        .iter()
        .zip(&subjects)
        .map(|(m, s)| RsaRoi {
            model: m,
            subjects: s,
        })
        .collect();
    let estimate = overall(
        rois.iter()
            .map(|r| roi_score("x", r.model, r.subjects, 1.0).unwrap())
            .collect(),
    )
    .unwrap()
    .score;
    let cfg = BootstrapConfig {
        n_resamples: 300,
        seed: 4,
        level: 0.95,
    };
    let two_way = bootstrap_rsa_two_way(&rois, estimate, &cfg).unwrap();
    let triplets = vec![
        [0.5, 0.2, 0.2],
        [1.0, 0.1, 0.7],
        [0.3, 0.25, 0.01],
        [0.2, 0.3, 0.1],
    ];
    let checked = 20;
    let request = json!({
        "triplets": triplets,
        "n": [6, n],
        "two_way": {
            "models": models.iter().map(|m| m.to_square().rows().into_iter().map(|r| r.to_vec()).collect::<Vec<_>>()).collect::<Vec<_>>(),
            "subject_rdms": subjects.iter().map(|roi| roi.iter().map(|s| s.to_square().rows().into_iter().map(|r| r.to_vec()).collect::<Vec<_>>()).collect::<Vec<_>>()).collect::<Vec<_>>(),
            "stimulus_draws": (0..checked).map(|b| resample_indices(4, STIMULUS_GROUP, n, b)).collect::<Vec<_>>(),
            "subject_draws": (0..checked).map(|b| resample_indices(4, SUBJECT_GROUP, 6, b)).collect::<Vec<_>>(),
            "both": two_way.both, "subjects": two_way.subjects, "stimuli": two_way.stimuli,
            "n": [6, n], "level": 0.95, "estimate": estimate,
        },
    });
    Dual {
        request,
        triplets,
        n: (6, n),
        two_way,
    }
}

impl Dual {
    fn check(&self, out: &Value) {
        for (t, want) in self
            .triplets
            .iter()
            .zip(out["variances"].as_array().unwrap())
        {
            close(
                dual_bootstrap_variance(t[0], t[1], t[2], None),
                want[0].as_f64().unwrap(),
                1e-14,
                "dual variance, no n",
            );
            close(
                dual_bootstrap_variance(t[0], t[1], t[2], Some(self.n)),
                want[1].as_f64().unwrap(),
                1e-14,
                "dual variance, with n",
            );
        }
        for (b, want) in out["both"].as_array().unwrap().iter().enumerate() {
            close(
                self.two_way.both[b],
                want.as_f64().unwrap(),
                1e-12,
                &format!("two-way resample {b}"),
            );
        }
        close(
            self.two_way.variance,
            out["two_way_variance"].as_f64().unwrap(),
            1e-12,
            "two-way variance",
        );
        let iv = &out["two_way_interval"];
        close(
            self.two_way.interval.low,
            iv[0].as_f64().unwrap(),
            1e-9,
            "two-way low",
        );
        close(
            self.two_way.interval.high,
            iv[1].as_f64().unwrap(),
            1e-9,
            "two-way high",
        );
    }
}
