//! RSA track: comparing RDMs, the Algonauts 2019 per-ROI score and overall score, and the RDM
//! noise ceiling.

use rayon::prelude::*;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::correlation::pearson;
use super::ranks::{kendall_tau_a, rankdata};
use super::rdm::Rdm;
use super::{check_same_len, MetricsError, Result};

/// How two RDMs (their condensed upper triangles) are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Comparison {
    /// Spearman's rho, ties averaged (scipy `spearmanr`): the Algonauts 2019 choice.
    #[default]
    Spearman,
    /// Pearson's r.
    Pearson,
    /// Kendall's tau-a (rsatoolbox `tau-a`).
    KendallTauA,
    /// rsatoolbox's rho-a: `12 sum(r1 r2) / (n^3 - n)` on centred ranks.
    RhoA,
}

/// Compares two RDM vectors `a` (e.g. the model) and `b` (e.g. a subject) with `method`.
///
/// ```text
/// Spearman:    Pearson(rankdata(a), rankdata(b))
/// Pearson:     Pearson(a, b)
/// KendallTauA: sum_{i<j} sign(a_i - a_j) sign(b_i - b_j) / (n (n - 1) / 2)
/// RhoA:        12 * sum (rank(a) - mean)(rank(b) - mean) / (n^3 - n)
/// ```
///
/// References: Algonauts 2019 `testSub_fmri.py` (Spearman); rsatoolbox 0.3
/// `rdm/compare.py` (tau-a, rho-a). `Ok(None)` when the value is undefined (Spearman or Pearson
/// with a constant side).
///
/// # Errors
/// Length mismatch, fewer than two entries (tau-a, rho-a), non-finite values.
///
/// ```
/// use brainbench::metrics::rsa::{compare, Comparison};
/// let v = compare(&[1.0, 2.0, 3.0], &[1.0, 3.0, 2.0], Comparison::Spearman).unwrap();
/// assert!((v.unwrap() - 0.5).abs() < 1e-15);
/// ```
pub fn compare(a: &[f64], b: &[f64], method: Comparison) -> Result<Option<f64>> {
    match method {
        Comparison::Spearman => super::ranks::spearman(a, b),
        Comparison::Pearson => {
            super::check_finite("compare: first RDM", a)?;
            super::check_finite("compare: second RDM", b)?;
            pearson(a, b)
        }
        Comparison::KendallTauA => kendall_tau_a(a, b).map(Some),
        Comparison::RhoA => super::ranks::rho_a(a, b).map(Some),
    }
}

/// A one-sample t-test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TTest {
    /// t statistic.
    pub t: f64,
    /// Two-sided p-value.
    pub p: f64,
    /// Degrees of freedom, n - 1.
    pub df: f64,
}

/// Two-sided one-sample t-test of the mean of `x` against `popmean`, as
/// `scipy.stats.ttest_1samp(x, popmean)`.
///
/// ```text
/// t = (mean(x) - popmean) / (sd(x, ddof = 1) / sqrt(n)),   df = n - 1
/// p = 2 * P(T_df > |t|)
/// ```
///
/// `Ok(None)` when the test is undefined: n < 2 or zero spread (scipy then returns NaN or an
/// infinite t).
///
/// # Errors
/// [`MetricsError::NonFinite`] for NaN/inf input.
pub fn ttest_1samp(x: &[f64], popmean: f64) -> Result<Option<TTest>> {
    super::check_finite("ttest_1samp input", x)?;
    let n = x.len();
    if n < 2 {
        return Ok(None);
    }
    let nf = n as f64;
    let mean = x.iter().sum::<f64>() / nf;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (nf - 1.0);
    if var <= 0.0 {
        return Ok(None);
    }
    let t = (mean - popmean) / (var / nf).sqrt();
    let df = nf - 1.0;
    let dist = StudentsT::new(0.0, 1.0, df).map_err(|_| MetricsError::TooFew {
        what: "ttest_1samp: degrees of freedom",
        needed: 1,
        found: 0,
        hint: "pass at least two values",
    })?;
    Ok(Some(TTest {
        t,
        p: (2.0 * dist.sf(t.abs())).min(1.0),
        df,
    }))
}

/// Average ranks of a vector centred on their mean, and the sum of their squares: everything
/// Spearman needs from one side, computed once and reused against many others.
#[derive(Debug, Clone)]
pub(crate) struct CentredRanks {
    centred: Vec<f64>,
    sum_sq: f64,
}

impl CentredRanks {
    pub(crate) fn new(x: &[f64]) -> Result<Self> {
        let mut centred = rankdata(x)?;
        let m = (centred.len() as f64 + 1.0) / 2.0;
        centred.iter_mut().for_each(|r| *r -= m);
        let sum_sq = centred.iter().map(|r| r * r).sum();
        Ok(Self { centred, sum_sq })
    }

    /// Spearman rho of the two ranked vectors; `None` when either is constant.
    pub(crate) fn spearman(&self, other: &CentredRanks) -> Option<f64> {
        let sxy: f64 = self
            .centred
            .iter()
            .zip(&other.centred)
            .map(|(a, b)| a * b)
            .sum();
        super::correlation::finish(sxy, self.sum_sq, other.sum_sq)
    }
}

/// Spearman's rho of one `model` RDM vector with each of `subjects`: the model and every
/// subject are ranked once (in parallel), then rho is the Pearson r of the ranks.
///
/// # Errors
/// Length mismatch or non-finite values.
pub fn spearman_many(model: &[f64], subjects: &[&[f64]]) -> Result<Vec<Option<f64>>> {
    for s in subjects {
        check_same_len("spearman_many: model vs subject RDM", model.len(), s.len())?;
    }
    // The model is ranked alongside the subjects so that both cores stay busy throughout.
    let vectors: Vec<&[f64]> = std::iter::once(model)
        .chain(subjects.iter().copied())
        .collect();
    let ranked: Vec<CentredRanks> = vectors
        .par_iter()
        .map(|v| CentredRanks::new(v))
        .collect::<Result<_>>()?;
    let (m, subjects) = ranked.split_first().expect("the model is always there");
    Ok(subjects.iter().map(|s| m.spearman(s)).collect())
}

/// Score of a model in one ROI (Algonauts 2019 `testSub_fmri.py`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoiScore {
    /// The ROI (e.g. `EVC`, `IT`).
    pub name: String,
    /// Spearman rho_s of the model with each subject (0 where undefined).
    pub rho: Vec<f64>,
    /// Subjects whose rho was undefined (a constant RDM), scored 0.
    pub n_undefined: usize,
    /// R^2 = mean_s rho_s^2.
    pub r2: f64,
    /// One-sample t-test of rho_s^2 against 0; `None` when undefined.
    pub ttest: Option<TTest>,
    /// The ROI's noise ceiling (squared-Spearman upper bound).
    pub nc: f64,
    /// 100 * R^2 / NC; `None` when NC is 0.
    pub pct_nc: Option<f64>,
}

/// The per-ROI score (Algonauts 2019 CodaLab scoring program `testSub_fmri.py`).
///
/// ```text
/// rho_s   = Spearman(upper(model), upper(RDM_s))     for every subject s
/// R2_roi  = mean_s rho_s^2       (p: one-sample t-test of rho_s^2 vs 0, two-sided)
/// %NC_roi = 100 * R2_roi / NC_roi
/// ```
///
/// `model` is the prediction, `subjects` the measured RDMs; `nc` the ROI's ceiling (e.g.
/// [`rdm_noise_ceiling`]'s upper bound or the official constant).
///
/// # Errors
/// No subject, RDMs of different sizes, NaN ceiling.
pub fn roi_score(name: &str, model: &Rdm, subjects: &[Rdm], nc: f64) -> Result<RoiScore> {
    check_subjects(model.n(), subjects)?;
    if nc.is_nan() {
        return Err(MetricsError::NonFinite {
            what: "RSA ROI noise ceiling",
            index: vec![],
            value: nc,
            hint: "pass the ROI's noise ceiling, e.g. from rdm_noise_ceiling",
        });
    }
    let subj: Vec<&[f64]> = subjects.iter().map(|s| s.upper()).collect();
    let rho = spearman_many(model.upper(), &subj)?;
    roi_score_from_rho(name, &rho, nc)
}

/// Builds a [`RoiScore`] from the subjects' rho (None = undefined, scored 0).
pub(crate) fn roi_score_from_rho(name: &str, rho: &[Option<f64>], nc: f64) -> Result<RoiScore> {
    let n_undefined = rho.iter().filter(|r| r.is_none()).count();
    let rho: Vec<f64> = rho.iter().map(|r| r.unwrap_or(0.0)).collect();
    let sq: Vec<f64> = rho.iter().map(|r| r * r).collect();
    let r2 = sq.iter().sum::<f64>() / sq.len() as f64;
    Ok(RoiScore {
        name: name.to_string(),
        rho,
        n_undefined,
        r2,
        ttest: ttest_1samp(&sq, 0.0)?,
        nc,
        pct_nc: (nc != 0.0).then(|| 100.0 * r2 / nc),
    })
}

fn check_subjects(n: usize, subjects: &[Rdm]) -> Result<()> {
    if subjects.is_empty() {
        return Err(MetricsError::TooFew {
            what: "RSA subjects",
            needed: 1,
            found: 0,
            hint: "pass the measured RDM of at least one subject",
        });
    }
    for s in subjects {
        check_same_len("RSA: stimuli of the model vs a subject RDM", n, s.n())?;
    }
    Ok(())
}

/// Overall RSA score over ROIs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RsaScore {
    /// Per-ROI scores.
    pub rois: Vec<RoiScore>,
    /// Mean over ROIs of R^2.
    pub score: f64,
    /// 100 * mean(R^2) / mean(NC): a ratio of means; `None` when mean(NC) is 0.
    pub pct_nc: Option<f64>,
}

/// Combines ROI scores as Algonauts 2019 does.
///
/// ```text
/// score = mean_roi R2_roi
/// %NC   = 100 * score / mean_roi NC_roi      (a ratio of means, NOT a mean of ratios)
/// ```
///
/// # Errors
/// [`MetricsError::TooFew`] for no ROI.
pub fn overall(rois: Vec<RoiScore>) -> Result<RsaScore> {
    if rois.is_empty() {
        return Err(MetricsError::TooFew {
            what: "RSA ROIs",
            needed: 1,
            found: 0,
            hint: "score at least one ROI",
        });
    }
    let k = rois.len() as f64;
    let score = rois.iter().map(|r| r.r2).sum::<f64>() / k;
    let nc = rois.iter().map(|r| r.nc).sum::<f64>() / k;
    Ok(RsaScore {
        pct_nc: (nc != 0.0).then(|| 100.0 * score / nc),
        score,
        rois,
    })
}

/// Upper and lower bound of the RDM noise ceiling (squared Spearman).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RdmNoiseCeiling {
    /// mean_s Spearman(mean of all subjects' RDMs, RDM_s)^2 — the official Algonauts constant.
    pub upper: f64,
    /// mean_s Spearman(mean of the other subjects' RDMs, RDM_s)^2; `None` with one subject.
    pub lower: Option<f64>,
}

/// The RDM noise ceiling over subjects (Nili et al. 2014, squared as in Algonauts 2019).
///
/// ```text
/// upper = mean_s Spearman(upper(mean over all subjects' RDMs),   upper(RDM_s))^2
/// lower = mean_s Spearman(upper(mean over other subjects' RDMs), upper(RDM_s))^2
/// ```
///
/// Undefined correlations (constant RDMs) count as 0.
///
/// # Errors
/// No subject, RDMs of different sizes.
pub fn rdm_noise_ceiling(subjects: &[Rdm]) -> Result<RdmNoiseCeiling> {
    let n = subjects.first().map_or(0, |s| s.n());
    check_subjects(n, subjects)?;
    let vecs: Vec<&[f64]> = subjects.iter().map(|s| s.upper()).collect();
    noise_ceiling_of_vectors(&vecs)
}

/// [`rdm_noise_ceiling`] on aligned RDM vectors (also used on bootstrap selections).
pub(crate) fn noise_ceiling_of_vectors(subjects: &[&[f64]]) -> Result<RdmNoiseCeiling> {
    let s = subjects.len();
    let len = subjects[0].len();
    let mut sum = vec![0.0f64; len];
    for v in subjects {
        sum.iter_mut().zip(v.iter()).for_each(|(a, b)| *a += b);
    }
    let ranked: Vec<CentredRanks> = subjects
        .par_iter()
        .map(|v| CentredRanks::new(v))
        .collect::<Result<_>>()?;
    let mean: Vec<f64> = sum.iter().map(|x| x / s as f64).collect();
    let mean_ranked = CentredRanks::new(&mean)?;
    let upper = ranked
        .iter()
        .map(|r| mean_ranked.spearman(r).unwrap_or(0.0).powi(2))
        .sum::<f64>()
        / s as f64;
    let lower = if s < 2 {
        None
    } else {
        let terms: Vec<f64> = (0..s)
            .into_par_iter()
            .map(|k| {
                let others: Vec<f64> = sum
                    .iter()
                    .zip(subjects[k].iter())
                    .map(|(t, x)| (t - x) / (s - 1) as f64)
                    .collect();
                Ok(CentredRanks::new(&others)?
                    .spearman(&ranked[k])
                    .unwrap_or(0.0)
                    .powi(2))
            })
            .collect::<Result<_>>()?;
        Some(terms.iter().sum::<f64>() / s as f64)
    };
    Ok(RdmNoiseCeiling { upper, lower })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rdm(vals: &[f64]) -> Rdm {
        Rdm::from_upper(4, vals.to_vec()).unwrap()
    }

    #[test]
    fn identical_subjects_give_ceiling_one() {
        let s = vec![rdm(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]); 3];
        let nc = rdm_noise_ceiling(&s).unwrap();
        assert!((nc.upper - 1.0).abs() < 1e-15);
        assert!((nc.lower.unwrap() - 1.0).abs() < 1e-15);
        let score = roi_score("EVC", &s[0], &s, nc.upper).unwrap();
        assert!((score.r2 - 1.0).abs() < 1e-15);
        assert!(score.ttest.is_none()); // zero spread
    }

    #[test]
    fn overall_is_a_ratio_of_means() {
        let a = roi_score_from_rho("EVC", &[Some(0.2), Some(0.4)], 0.1).unwrap();
        let b = roi_score_from_rho("IT", &[Some(0.1), None], 0.3).unwrap();
        assert_eq!(b.n_undefined, 1);
        let o = overall(vec![a.clone(), b.clone()]).unwrap();
        let want = 100.0 * (a.r2 + b.r2) / 2.0 / ((0.1 + 0.3) / 2.0);
        assert!((o.pct_nc.unwrap() - want).abs() < 1e-12);
        assert!(overall(vec![]).is_err());
    }

    #[test]
    fn mismatched_subjects_are_errors() {
        let m = rdm(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let s3 = Rdm::from_upper(3, vec![1.0, 2.0, 3.0]).unwrap();
        assert!(roi_score("x", &m, &[s3], 0.5).is_err());
        assert!(roi_score("x", &m, &[], 0.5).is_err());
        assert!(ttest_1samp(&[1.0, f64::NAN], 0.0).is_err());
        assert_eq!(ttest_1samp(&[1.0], 0.0).unwrap(), None);
    }
}
