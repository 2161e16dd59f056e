//! Bootstrap of the RSA score over stimuli and over subjects (SCIENCE.md §3).

use rayon::prelude::*;

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::{percentile_interval, resample_indices, BootstrapConfig, BootstrapResult, Interval};
use crate::metrics::ranks::ValueOrder;
use crate::metrics::rdm::Rdm;
use crate::metrics::rsa::CentredRanks;
use crate::metrics::{check_same_len, MetricsError, Result};

/// Resampling group id of the stimulus bootstrap (see [`super::resample_indices`]); subject
/// ids of the encoding track are small, so it cannot collide in practice, and `n` is part of
/// the key anyway.
pub const STIMULUS_GROUP: u64 = 1 << 32;
/// Resampling group id of the subject bootstrap.
pub const SUBJECT_GROUP: u64 = (1 << 32) + 1;

/// One ROI of an RSA submission: the model RDM and the subjects' measured RDMs.
#[derive(Debug, Clone, Copy)]
pub struct RsaRoi<'a> {
    /// The model's (predicted) RDM.
    pub model: &'a Rdm,
    /// The measured RDM of every subject, all over the same stimuli as `model`.
    pub subjects: &'a [Rdm],
}

/// Checks the ROIs agree on stimuli and subjects; returns (stimuli, subjects).
pub(crate) fn check(rois: &[RsaRoi]) -> Result<(usize, usize)> {
    let first = rois.first().ok_or(MetricsError::TooFew {
        what: "RSA bootstrap: ROIs",
        needed: 1,
        found: 0,
        hint: "pass at least one ROI",
    })?;
    let (n, s) = (first.model.n(), first.subjects.len());
    if s == 0 {
        return Err(MetricsError::TooFew {
            what: "RSA bootstrap: subjects",
            needed: 1,
            found: 0,
            hint: "pass the measured RDM of at least one subject",
        });
    }
    for roi in rois {
        check_same_len("RSA bootstrap: subjects per ROI", s, roi.subjects.len())?;
        check_same_len("RSA bootstrap: stimuli of model vs ROI", n, roi.model.n())?;
        for r in roi.subjects {
            check_same_len("RSA bootstrap: stimuli of model vs subject RDM", n, r.n())?;
        }
    }
    Ok((n, s))
}

/// Stimulus bootstrap of the overall RSA score `mean_roi mean_s rho_s^2` (Algonauts 2019).
///
/// ```text
/// for b in 0..B: idx = resample_indices(seed, STIMULUS_GROUP, n, b)
///     every RDM -> Rdm::select(idx)   (rows and columns of idx, pairs of an image with its
///                                      own copy dropped)
///     score_b = mean_roi mean_s Spearman(model_sel, subject_sel)^2     (undefined -> 0)
/// ```
///
/// For %NC with fixed ceilings, multiply the samples by `100 / mean(NC)`.
///
/// # Errors
/// Invalid `cfg`, no ROI or subject, RDMs over different stimuli.
pub fn bootstrap_rsa_stimuli(rois: &[RsaRoi], cfg: &BootstrapConfig) -> Result<BootstrapResult> {
    cfg.check()?;
    let (n, _) = check(rois)?;
    let ranked = RankedRois::new(rois)?;
    let samples: Vec<f64> = (0..cfg.n_resamples)
        .into_par_iter()
        .map_init(
            || Scratch::new(n),
            |scratch, b| ranked.score(&resample_indices(cfg.seed, STIMULUS_GROUP, n, b), scratch),
        )
        .collect();
    let interval = percentile_interval(&samples, cfg.level)?;
    Ok(BootstrapResult { samples, interval })
}

/// One second-level stimulus resample per resample (see
/// [`super::nested_resample_indices`]): the score on stimuli drawn from resample `b`'s own
/// stimuli, for [`super::interval::iterated_bias`].
///
/// # Errors
/// As [`bootstrap_rsa_stimuli`].
pub fn bootstrap_rsa_stimuli_nested(rois: &[RsaRoi], cfg: &BootstrapConfig) -> Result<Vec<f64>> {
    cfg.check()?;
    let (n, _) = check(rois)?;
    let ranked = RankedRois::new(rois)?;
    Ok((0..cfg.n_resamples)
        .into_par_iter()
        .map_init(
            || Scratch::new(n),
            |scratch, b| {
                let idx = super::nested_resample_indices(cfg.seed, STIMULUS_GROUP, n, b);
                ranked.score(&idx, scratch)
            },
        )
        .collect())
}

/// The RDMs of every ROI with the order of their values, ranked once for all resamples.
///
/// A stimulus resample `idx` only repeats and drops stimuli: with `c_k` the number of times
/// stimulus `k` was drawn, the resampled RDM vector ([`Rdm::select`]) holds each original pair
/// `(i, j)` exactly `w_ij = c_i c_j` times, in the same positions for the model and every
/// subject. So Spearman's rho of a resample is a weighted Pearson r of ranks that follow from the
/// original order by counting ([`ValueOrder::for_each_rank`]):
///
/// ```text
/// W = sum w_ij,  m = (W + 1) / 2,  a = rank_model - m,  b = rank_subject - m
/// rho = sum w a b / sqrt(sum w a² · sum w b²)
/// ```
///
/// Ranks are integers or half-integers, so every product is a multiple of 1/4 and every sum is
/// exact, in any order, while it stays below 2^51 (W up to about 300,000 pairs, 775 stimuli): the
/// result is then bit for bit what ranking the copied vector gives, in one pass over each
/// vector's known order per resample instead of a copy and a sort.
struct RankedRois {
    rois: Vec<(ValueOrder, Vec<ValueOrder>)>,
}

/// Buffers of one worker: stimulus counts, pair weights, and `w a` of the model's pairs.
struct Scratch {
    counts: Vec<u32>,
    weights: Vec<u32>,
    model: Vec<f64>,
}

impl Scratch {
    fn new(n: usize) -> Self {
        let pairs = n * n.saturating_sub(1) / 2;
        Scratch {
            counts: vec![0; n],
            weights: vec![0; pairs],
            model: vec![0.0; pairs],
        }
    }
}

/// Independent partial sums, so that additions overlap instead of waiting on each other (the
/// sums are exact, so their order does not change the result).
const LANES: usize = 4;

impl RankedRois {
    fn new(rois: &[RsaRoi]) -> Result<Self> {
        let rois = rois
            .par_iter()
            .map(|roi| {
                let subjects = roi
                    .subjects
                    .iter()
                    .map(|s| ValueOrder::new(s.upper()))
                    .collect::<Result<_>>()?;
                Ok((ValueOrder::new(roi.model.upper())?, subjects))
            })
            .collect::<Result<_>>()?;
        Ok(RankedRois { rois })
    }

    /// The overall RSA score on the stimuli `idx` (indices below the RDMs' size; repeats
    /// allowed; pairs of a stimulus with its own copy dropped):
    /// `mean_roi mean_s Spearman(model_sel, subject_sel)²` (undefined -> 0).
    fn score(&self, idx: &[usize], scratch: &mut Scratch) -> f64 {
        let Scratch {
            counts,
            weights,
            model,
        } = scratch;
        counts.fill(0);
        for &i in idx {
            counts[i] += 1;
        }
        // Pairs (i, j), i < j, in the row-major order of `Rdm::upper`.
        let mut p = 0;
        for (i, &ci) in counts.iter().enumerate() {
            for &cj in &counts[i + 1..] {
                weights[p] = ci * cj;
                p += 1;
            }
        }
        let w_total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mid = (w_total as f64 + 1.0) / 2.0;
        let mut total = 0.0;
        for (model_order, subjects) in &self.rois {
            let mut saa = [0.0; LANES];
            model_order.for_each_rank(weights, |k, p, w, rank| {
                let a = rank - mid;
                model[p] = f64::from(w) * a;
                saa[k % LANES] += model[p] * a;
            });
            let saa: f64 = saa.iter().sum();
            let mut r2 = 0.0;
            for subject in subjects {
                let (mut sab, mut sbb) = ([0.0; LANES], [0.0; LANES]);
                subject.for_each_rank(weights, |k, p, w, rank| {
                    let b = rank - mid;
                    sab[k % LANES] += model[p] * b;
                    sbb[k % LANES] += f64::from(w) * b * b;
                });
                let rho =
                    crate::metrics::correlation::finish(sab.iter().sum(), saa, sbb.iter().sum());
                r2 += rho.unwrap_or(0.0).powi(2);
            }
            total += r2 / subjects.len() as f64;
        }
        total / self.rois.len() as f64
    }
}

/// Subject bootstrap of the overall RSA score: subjects are drawn with replacement and
/// each ROI's R^2 is the mean of the drawn subjects' rho^2 (rho itself does not change).
///
/// ```text
/// for b in 0..B: idx = resample_indices(seed, SUBJECT_GROUP, S, b)
///     score_b = mean_roi mean_{k in idx} rho_{roi, k}^2
/// ```
///
/// # Errors
/// As [`bootstrap_rsa_stimuli`].
pub fn bootstrap_rsa_subjects(rois: &[RsaRoi], cfg: &BootstrapConfig) -> Result<BootstrapResult> {
    cfg.check()?;
    let (_, s) = check(rois)?;
    let rho2 = squared_rho(rois)?;
    let samples: Vec<f64> = (0..cfg.n_resamples)
        .map(|b| {
            let idx = resample_indices(cfg.seed, SUBJECT_GROUP, s, b);
            rho2.iter()
                .map(|r| idx.iter().map(|&k| r[k]).sum::<f64>() / s as f64)
                .sum::<f64>()
                / rois.len() as f64
        })
        .collect();
    let interval = percentile_interval(&samples, cfg.level)?;
    Ok(BootstrapResult { samples, interval })
}

/// The two-way (stimuli x subjects) bootstrap of the overall RSA score and rsatoolbox's
/// combined variance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TwoWayBootstrap {
    /// Score of every resample with both stimuli and subjects resampled.
    pub both: Vec<f64>,
    /// Score of every resample with only the subjects resampled (= [`bootstrap_rsa_subjects`]).
    pub subjects: Vec<f64>,
    /// Score of every resample with only the stimuli resampled (= [`bootstrap_rsa_stimuli`]).
    pub stimuli: Vec<f64>,
    /// Sample variances (ddof 1) of `both`, `subjects`, `stimuli`.
    pub variances: [f64; 3],
    /// The combined variance ([`dual_bootstrap_variance`] with the numbers of subjects and
    /// stimuli, as `rsatoolbox.inference.eval_dual_bootstrap` passes them).
    pub variance: f64,
    /// `θ̂ ∓ t_{dof}(1 − α) sqrt(variance)`, dof = min(subjects, stimuli) − 1: rsatoolbox's
    /// `ci95` error bars (`get_errorbars`, t-test).
    pub interval: Interval,
}

/// rsatoolbox's correction of the two-way bootstrap variance (`util/inference_util.py`,
/// `_dual_bootstrap`; Schütt et al. 2023, eLife, "Statistical inference on representational
/// geometries"): resampling both factors at once counts each factor's variance about twice,
/// so
///
/// ```text
/// without n:  V = 2 (V_subj + V_stim) − V_both
/// with n:     V = k_s V_subj + k_p V_stim − k_s k_p (V_both − V_subj − V_stim),
///             k_s = S / (S − 1), k_p = N / (N − 1)
/// then        V = min(max(V, k_s V_subj, k_p V_stim), V_both)      (k = 1 without n)
/// ```
///
/// `n = Some((subjects, stimuli))` selects the small-sample form (what `eval_dual_bootstrap`
/// uses, as it records both counts).
pub fn dual_bootstrap_variance(
    v_both: f64,
    v_subjects: f64,
    v_stimuli: f64,
    n: Option<(usize, usize)>,
) -> f64 {
    let (v, ks, kp) = match n {
        None => (2.0 * (v_subjects + v_stimuli) - v_both, 1.0, 1.0),
        Some((s, p)) => {
            let (s, p) = (s as f64, p as f64);
            let (ks, kp) = (s / (s - 1.0), p / (p - 1.0));
            (
                ks * v_subjects + kp * v_stimuli
                    - (p * s / (p - 1.0) / (s - 1.0)) * (v_both - v_subjects - v_stimuli),
                ks,
                kp,
            )
        }
    };
    v.max(ks * v_subjects).max(kp * v_stimuli).min(v_both)
}

fn sample_variance(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
}

/// Two-way bootstrap of the overall RSA score over stimuli and subjects (rsatoolbox
/// `eval_dual_bootstrap` without cross-validation): resample `b` draws the stimuli of
/// [`bootstrap_rsa_stimuli`] and the subjects of [`bootstrap_rsa_subjects`] (same keys, so the
/// one-way samples are reproduced exactly) and scores the three combinations.
///
/// ```text
/// rho²_{b,roi,s}  = Spearman(model_sel, subject_s_sel)²      (stimuli of resample b)
/// both_b     = mean_roi mean_{k in subj_b} rho²_{b,roi,k}
/// stimuli_b  = mean_roi mean_s rho²_{b,roi,s}
/// subjects_b = mean_roi mean_{k in subj_b} rho²_{roi,k}     (all stimuli)
/// V = dual_bootstrap_variance(var(both), var(subjects), var(stimuli), (S, N))
/// interval = θ̂ ∓ t_{min(S,N)−1}(1 − α) sqrt(V),   α = (1 − level) / 2
/// ```
///
/// The interval covers both sources of variance: new stimuli and new subjects.
///
/// # Errors
/// As [`bootstrap_rsa_stimuli`]; [`MetricsError::TooFew`] with fewer than 2 subjects.
pub fn bootstrap_rsa_two_way(
    rois: &[RsaRoi],
    estimate: f64,
    cfg: &BootstrapConfig,
) -> Result<TwoWayBootstrap> {
    cfg.check()?;
    let (n, s) = check(rois)?;
    if s < 2 {
        return Err(MetricsError::TooFew {
            what: "two-way RSA bootstrap: subjects",
            needed: 2,
            found: s,
            hint: "resampling subjects needs at least two; use the stimulus bootstrap",
        });
    }
    let pairs: Vec<(f64, f64)> = (0..cfg.n_resamples)
        .into_par_iter()
        .map(|b| {
            let idx = resample_indices(cfg.seed, STIMULUS_GROUP, n, b);
            let subj = resample_indices(cfg.seed, SUBJECT_GROUP, s, b);
            let (mut both, mut stim) = (0.0, 0.0);
            for roi in rois {
                let model = CentredRanks::new(&roi.model.select(&idx)?)?;
                let rho2: Vec<f64> = roi
                    .subjects
                    .iter()
                    .map(|r| {
                        Ok(model
                            .spearman(&CentredRanks::new(&r.select(&idx)?)?)
                            .unwrap_or(0.0)
                            .powi(2))
                    })
                    .collect::<Result<_>>()?;
                stim += rho2.iter().sum::<f64>() / s as f64;
                both += subj.iter().map(|&k| rho2[k]).sum::<f64>() / s as f64;
            }
            let k = rois.len() as f64;
            Ok((both / k, stim / k))
        })
        .collect::<Result<_>>()?;
    let (both, stimuli): (Vec<f64>, Vec<f64>) = pairs.into_iter().unzip();
    let subjects = bootstrap_rsa_subjects(rois, cfg)?.samples;
    let variances = [
        sample_variance(&both),
        sample_variance(&subjects),
        sample_variance(&stimuli),
    ];
    let variance = dual_bootstrap_variance(variances[0], variances[1], variances[2], Some((s, n)));
    let dof = (s.min(n) - 1) as f64;
    let t = StudentsT::new(0.0, 1.0, dof)
        .expect("dof >= 1")
        .inverse_cdf(1.0 - (1.0 - cfg.level) / 2.0);
    let half = t * variance.sqrt();
    Ok(TwoWayBootstrap {
        both,
        subjects,
        stimuli,
        variances,
        variance,
        interval: Interval {
            low: estimate - half,
            high: estimate + half,
            level: cfg.level,
        },
    })
}

/// rho² of the model with every subject, per ROI (undefined -> 0).
pub(crate) fn squared_rho(rois: &[RsaRoi]) -> Result<Vec<Vec<f64>>> {
    rois.iter()
        .map(|roi| {
            let subj: Vec<&[f64]> = roi.subjects.iter().map(|r| r.upper()).collect();
            let rho = crate::metrics::rsa::spearman_many(roi.model.upper(), &subj)?;
            Ok(rho.iter().map(|r| r.unwrap_or(0.0).powi(2)).collect())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::metrics::bootstrap::test_rdm as rdm;

    #[test]
    fn subject_bootstrap_matches_direct_and_stimulus_is_deterministic() {
        let model = rdm(0, 8);
        let subjects: Vec<Rdm> = (1..6).map(|s| rdm(s, 8)).collect();
        let rois = [RsaRoi {
            model: &model,
            subjects: &subjects,
        }];
        let cfg = BootstrapConfig {
            n_resamples: 30,
            seed: 9,
            level: 0.95,
        };
        let res = bootstrap_rsa_subjects(&rois, &cfg).unwrap();
        let rho: Vec<f64> = subjects
            .iter()
            .map(|s| {
                crate::metrics::ranks::spearman(model.upper(), s.upper())
                    .unwrap()
                    .unwrap()
            })
            .collect();
        for (b, &got) in res.samples.iter().enumerate() {
            let idx = resample_indices(9, SUBJECT_GROUP, 5, b);
            let want = idx.iter().map(|&k| rho[k] * rho[k]).sum::<f64>() / 5.0;
            assert!((got - want).abs() < 1e-12);
        }
        let nested = bootstrap_rsa_stimuli_nested(&rois, &cfg).unwrap();
        for (b, &got) in nested.iter().enumerate().take(5) {
            let idx = crate::metrics::bootstrap::nested_resample_indices(9, STIMULUS_GROUP, 8, b);
            let m = model.select(&idx).unwrap();
            let want = subjects
                .iter()
                .map(|s| {
                    crate::metrics::ranks::spearman(&m, &s.select(&idx).unwrap())
                        .unwrap()
                        .unwrap_or(0.0)
                        .powi(2)
                })
                .sum::<f64>()
                / 5.0;
            assert!((got - want).abs() < 1e-12, "nested {b}");
        }
        let a = bootstrap_rsa_stimuli(&rois, &cfg).unwrap();
        assert_eq!(a, bootstrap_rsa_stimuli(&rois, &cfg).unwrap());
        let short = rdm(1, 7);
        let bad = [RsaRoi {
            model: &short,
            subjects: &subjects,
        }];
        assert!(bootstrap_rsa_stimuli(&bad, &cfg).is_err());
        assert!(bootstrap_rsa_subjects(&[], &cfg).is_err());
    }

    #[test]
    fn counting_kernel_equals_ranking_the_copied_resample_bit_for_bit() {
        // Many ties: values folded onto a few levels.
        let coarse = |r: Rdm| {
            let folded = r.upper().iter().map(|v| v % 5.0).collect();
            Rdm::from_upper(r.n(), folded).unwrap()
        };
        let model = coarse(rdm(3, 12));
        let subjects: Vec<Rdm> = (4..8).map(|s| coarse(rdm(s, 12))).collect();
        let rois = [RsaRoi {
            model: &model,
            subjects: &subjects,
        }];
        let ranked = RankedRois::new(&rois).unwrap();
        let mut scratch = Scratch::new(12);
        for b in 0..50 {
            let idx = resample_indices(5, STIMULUS_GROUP, 12, b);
            let m = CentredRanks::new(&model.select(&idx).unwrap()).unwrap();
            let want = subjects
                .iter()
                .map(|s| {
                    m.spearman(&CentredRanks::new(&s.select(&idx).unwrap()).unwrap())
                        .unwrap_or(0.0)
                        .powi(2)
                })
                .sum::<f64>()
                / subjects.len() as f64;
            assert_eq!(ranked.score(&idx, &mut scratch).to_bits(), want.to_bits());
        }
    }

    #[test]
    fn two_way_reproduces_the_one_way_samples_and_corrects_the_variance() {
        let models = [rdm(0, 9), rdm(30, 9)];
        let subjects: Vec<Vec<Rdm>> = (0..2)
            .map(|r| (1..6).map(|s| rdm(s + 10 * r, 9)).collect())
            .collect();
        let rois: Vec<RsaRoi> = models
            .iter()
            .zip(&subjects)
            .map(|(m, s)| RsaRoi {
                model: m,
                subjects: s,
            })
            .collect();
        let cfg = BootstrapConfig {
            n_resamples: 40,
            seed: 2,
            level: 0.95,
        };
        let tw = bootstrap_rsa_two_way(&rois, 0.1, &cfg).unwrap();
        assert_eq!(
            tw.stimuli,
            bootstrap_rsa_stimuli(&rois, &cfg).unwrap().samples
        );
        assert_eq!(
            tw.subjects,
            bootstrap_rsa_subjects(&rois, &cfg).unwrap().samples
        );
        assert!(tw.variance >= tw.variances[1].max(tw.variances[2]) - 1e-15);
        assert!(tw.variance <= tw.variances[0]);
        assert!((tw.interval.low + tw.interval.high - 0.2).abs() < 1e-12);
        // The plain correction, then clipped to [max(V_subj, V_stim), V_both].
        assert_eq!(
            dual_bootstrap_variance(1.0, 0.3, 0.3, None),
            0.2f64.max(0.3)
        );
        assert!((dual_bootstrap_variance(1.0, 0.4, 0.4, None) - 0.6).abs() < 1e-15);
        assert_eq!(dual_bootstrap_variance(1.0, 0.9, 0.9, None), 1.0);
        let one = [RsaRoi {
            model: &models[0],
            subjects: &subjects[0][..1],
        }];
        assert!(bootstrap_rsa_two_way(&one, 0.1, &cfg).is_err());
    }
}
