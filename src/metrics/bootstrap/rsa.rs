//! Bootstrap of the RSA score over stimuli and over subjects (SCIENCE.md §3).

use rayon::prelude::*;

use super::{percentile_interval, resample_indices, BootstrapConfig, BootstrapResult};
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

fn check(rois: &[RsaRoi], cfg: &BootstrapConfig) -> Result<(usize, usize)> {
    cfg.check()?;
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
    let (n, _) = check(rois, cfg)?;
    let samples: Vec<f64> = (0..cfg.n_resamples)
        .into_par_iter()
        .map(|b| {
            let idx = resample_indices(cfg.seed, STIMULUS_GROUP, n, b);
            let mut total = 0.0;
            for roi in rois {
                let model = CentredRanks::new(&roi.model.select(&idx)?)?;
                let mut r2 = 0.0;
                for s in roi.subjects {
                    let rho = model.spearman(&CentredRanks::new(&s.select(&idx)?)?);
                    r2 += rho.unwrap_or(0.0).powi(2);
                }
                total += r2 / roi.subjects.len() as f64;
            }
            Ok(total / rois.len() as f64)
        })
        .collect::<Result<_>>()?;
    let interval = percentile_interval(&samples, cfg.level)?;
    Ok(BootstrapResult { samples, interval })
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
    let (_, s) = check(rois, cfg)?;
    let rho2: Vec<Vec<f64>> = rois
        .iter()
        .map(|roi| {
            let subj: Vec<&[f64]> = roi.subjects.iter().map(|r| r.upper()).collect();
            let rho = crate::metrics::rsa::spearman_many(roi.model.upper(), &subj)?;
            Ok(rho.iter().map(|r| r.unwrap_or(0.0).powi(2)).collect())
        })
        .collect::<Result<_>>()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rdm(seed: usize, n: usize) -> Rdm {
        let v = (0..n * (n - 1) / 2)
            .map(|k| ((k * 7919 + seed * 104729) % 97) as f64)
            .collect();
        Rdm::from_upper(n, v).unwrap()
    }

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
}
