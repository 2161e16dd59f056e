//! How much the leave-one-stimulus-out jackknife overstates the variance of the RSA score
//! (docs/intervals.md, "Second-order variance of an RDM correlation").
//!
//! An RDM correlation averages over stimulus *pairs*, so as a function of the stimuli it is
//! (to first order) a U-statistic of degree 2, `θ̂ ≈ θ + (1/P) Σ_{i<j} ψ(X_i, X_j)` with
//! `P = n(n − 1)/2`. Hoeffding's decomposition `ψ(X_i, X_j) = h1(X_i) + h1(X_j) + h2(X_i, X_j)`
//! splits its variance into a stimulus part and a pair part,
//!
//! ```text
//! Var θ̂ = 4 ζ1 / n + δ2 / P,          ζ1 = Var h1,  δ2 = Var h2,
//! ```
//!
//! while the leave-one-out jackknife counts the pair part about twice (Efron & Stein 1981):
//!
//! ```text
//! E V_jack = 4 ζ1 / n + 4 δ2 / (n (n − 2)) = Var θ̂ + δ2 / C(n − 1, 2).
//! ```
//!
//! With noisy RDMs the pair part is large (measurement noise of stimulus i meets that of
//! stimulus j in one dissimilarity only): on the coverage study's synthetic cortex the
//! jackknife's standard error was 1.2 times the real spread of the score. [`rsa_jackknife_excess`]
//! estimates `δ2 / C(n − 1, 2)` from the empirical influence of every pair on the score,
//! U-centred so that only the pair part `h2` remains (Székely & Rizzo 2014: the U-centred
//! matrix's squared entries over `n(n − 3)/2` estimate `δ2` without bias).

use rayon::prelude::*;

use super::rsa::{check, RsaRoi};
use crate::metrics::correlation::finish;
use crate::metrics::ranks::ValueOrder;
use crate::metrics::{MetricsError, Result};

/// A vector's average ranks and its indices in ascending order (ties adjacent), from one sort:
/// the model RDM's is computed once and paired with every subject's.
struct Ranked {
    ranks: Vec<f64>,
    ascending: Vec<usize>,
}

impl Ranked {
    fn new(x: &[f64]) -> Result<Self> {
        let order = ValueOrder::new(x)?;
        let mut ranks = vec![0.0; x.len()];
        let mut ascending = Vec::with_capacity(x.len());
        order.for_each_rank(&vec![1; x.len()], |_, i, _, rank| {
            ranks[i] = rank;
            ascending.push(i);
        });
        Ok(Ranked { ranks, ascending })
    }

    /// `Σ_q (1{x_q > x_p} + ½ 1{x_q = x_p}) w_q` for every p, by one pass down the order.
    fn weight_above(&self, w: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; w.len()];
        let mut higher = 0.0; // Σ w over the values above the current run of ties
        let tied = |&a: &usize, &b: &usize| self.ranks[a] == self.ranks[b];
        for run in self.ascending.chunk_by(tied).rev() {
            let run_weight: f64 = run.iter().map(|&q| w[q]).sum();
            for &q in run {
                out[q] = higher + 0.5 * run_weight;
            }
            higher += run_weight;
        }
        out
    }
}

/// Empirical influence of each element on Spearman's rho between `x` and `y` (same length
/// `P`), as the rho of the average ranks computes it: with the mid-rank CDFs
/// `F_p = (rank_x(p) − ½)/P`, `G_p = (rank_y(p) − ½)/P` and `ρ = 12 mean(F G) − 3`,
///
/// ```text
/// IF_p = c · 12 [ F_p G_p − mean(F G)
///                 + mean_q (1{x_p < x_q} + ½ 1{x_p = x_q} − F_q) G_q
///                 + mean_q F_q (1{y_p < y_q} + ½ 1{y_p = y_q} − G_q) ]
/// ```
///
/// where the last two terms are how element p moves every other element's rank, and
/// `c = P³ / (12 √(Σ ã² Σ b̃²))` (ã, b̃ the centred ranks; 1 + O(1/P²) without ties) rescales
/// to rho's actual denominator. `None` when either vector is constant (rho undefined).
///
/// # Errors
/// Lengths differ, fewer than 2 elements, or non-finite values.
pub fn spearman_influence(x: &[f64], y: &[f64]) -> Result<Option<Vec<f64>>> {
    crate::metrics::check_same_len("spearman influence: x vs y", x.len(), y.len())?;
    if x.len() < 2 {
        return Err(MetricsError::TooFew {
            what: "spearman influence: elements",
            needed: 2,
            found: x.len(),
            hint: "an RDM over at least 3 stimuli has at least 3 pairs",
        });
    }
    Ok(rho_and_influence(&Ranked::new(x)?, &Ranked::new(y)?).map(|(_, inf)| inf))
}

/// Spearman's rho of two ranked vectors (Pearson r of the ranks) and
/// [`spearman_influence`]; `None` when either is constant.
fn rho_and_influence(x: &Ranked, y: &Ranked) -> Option<(f64, Vec<f64>)> {
    let (rx, ry) = (&x.ranks, &y.ranks);
    let pf = rx.len() as f64;
    let centre = (pf + 1.0) / 2.0;
    let sxx: f64 = rx.iter().map(|r| (r - centre).powi(2)).sum();
    let syy: f64 = ry.iter().map(|r| (r - centre).powi(2)).sum();
    let sxy: f64 = rx
        .iter()
        .zip(ry)
        .map(|(a, b)| (a - centre) * (b - centre))
        .sum();
    let rho = finish(sxy, sxx, syy)?;
    let f: Vec<f64> = rx.iter().map(|r| (r - 0.5) / pf).collect();
    let g: Vec<f64> = ry.iter().map(|r| (r - 0.5) / pf).collect();
    let mean_fg = f.iter().zip(&g).map(|(a, b)| a * b).sum::<f64>() / pf;
    let (ax, by) = (x.weight_above(&g), y.weight_above(&f));
    let c = pf.powi(3) / (12.0 * (sxx * syy).sqrt());
    let influence = (0..rx.len())
        .map(|k| {
            let own = f[k] * g[k] - mean_fg;
            let via_x = (ax[k] - pf * mean_fg) / pf;
            let via_y = (by[k] - pf * mean_fg) / pf;
            c * 12.0 * (own + via_x + via_y)
        })
        .collect();
    Some((rho, influence))
}

/// Empirical influence of every stimulus pair on the overall RSA score
/// `θ̂ = mean_roi mean_s ρ_{roi,s}²` (condensed upper-triangle order, like [`crate::metrics::rdm::Rdm::upper`]):
///
/// ```text
/// ψ_p = mean_roi mean_s 2 ρ_{roi,s} IF_p(model_roi, subject_{roi,s})       (undefined ρ: 0)
/// ```
///
/// Every RDM is ranked once.
///
/// # Errors
/// As [`super::rsa::bootstrap_rsa_stimuli`].
pub fn rsa_pair_influence(rois: &[RsaRoi]) -> Result<Vec<f64>> {
    let (n, _) = check(rois)?;
    let pairs = n * n.saturating_sub(1) / 2;
    let mut total = vec![0.0; pairs];
    for roi in rois {
        let model = Ranked::new(roi.model.upper())?;
        let per_subject: Vec<Option<(f64, Vec<f64>)>> = roi
            .subjects
            .par_iter()
            .map(|s| Ok(rho_and_influence(&model, &Ranked::new(s.upper())?)))
            .collect::<Result<_>>()?;
        let weight = 1.0 / (rois.len() * roi.subjects.len()) as f64;
        for (rho, inf) in per_subject.into_iter().flatten() {
            for (t, i) in total.iter_mut().zip(&inf) {
                *t += weight * 2.0 * rho * i;
            }
        }
    }
    Ok(total)
}

/// Estimated pair variance `δ2 = Var h2(X_i, X_j)` of a statistic whose pair influences are
/// `influence` (condensed upper triangle of `n` stimuli, `n ≥ 4`): the influences U-centred,
///
/// ```text
/// ψ̃_ij = ψ_ij − R_i/(n − 2) − R_j/(n − 2) + T/((n − 1)(n − 2)),   R_i = Σ_{j≠i} ψ_ij,  T = Σ_i R_i
/// δ̂2  = Σ_{i<j} ψ̃_ij² / (n (n − 3) / 2)
/// ```
///
/// # Errors
/// [`MetricsError::TooFew`] below 4 stimuli; [`MetricsError::LengthMismatch`] when
/// `influence` is not `n(n − 1)/2` long.
pub fn pair_variance(n: usize, influence: &[f64]) -> Result<f64> {
    if n < 4 {
        return Err(MetricsError::TooFew {
            what: "pair variance: stimuli",
            needed: 4,
            found: n,
            hint: "U-centring needs at least 4 stimuli",
        });
    }
    crate::metrics::check_same_len(
        "pair variance: influences vs stimulus pairs",
        n * (n - 1) / 2,
        influence.len(),
    )?;
    let pairs = || (0..n).flat_map(move |i| (i + 1..n).map(move |j| (i, j)));
    let mut row = vec![0.0; n];
    for ((i, j), v) in pairs().zip(influence) {
        row[i] += v;
        row[j] += v;
    }
    let total: f64 = row.iter().sum();
    let nf = n as f64;
    let sum_sq: f64 = pairs()
        .zip(influence)
        .map(|((i, j), v)| {
            let c = v - (row[i] + row[j]) / (nf - 2.0) + total / ((nf - 1.0) * (nf - 2.0));
            c * c
        })
        .sum();
    Ok(sum_sq / (nf * (nf - 3.0) / 2.0))
}

/// How much the leave-one-stimulus-out jackknife variance of the RSA score exceeds its
/// variance, `δ̂2 / C(n − 1, 2)` (see the module doc); subtract it from `se_jack²`
/// ([`super::interval::bootstrap_interval_adjusted`]). 0 below 4 stimuli.
///
/// # Errors
/// As [`rsa_pair_influence`].
pub fn rsa_jackknife_excess(rois: &[RsaRoi]) -> Result<f64> {
    let (n, _) = check(rois)?;
    if n < 4 {
        return Ok(0.0);
    }
    let influence = rsa_pair_influence(rois)?;
    let delta2 = pair_variance(n, &influence)?;
    Ok(delta2 / ((n - 1) * (n - 2) / 2) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::bootstrap::interval::jackknife_se;
    use crate::metrics::bootstrap::jackknife::jackknife_rsa_stimuli;
    use crate::metrics::rdm::{Dissimilarity, Rdm};
    use crate::metrics::rsa::CentredRanks;
    use ndarray::Array2;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The score of the RSA ROIs restricted to the stimuli `keep`.
    fn score(rois: &[RsaRoi], keep: &[usize]) -> f64 {
        let mut total = 0.0;
        for roi in rois {
            let m = CentredRanks::new(&roi.model.select(keep).unwrap()).unwrap();
            let r2: f64 = roi
                .subjects
                .iter()
                .map(|s| {
                    let s = CentredRanks::new(&s.select(keep).unwrap()).unwrap();
                    m.spearman(&s).unwrap_or(0.0).powi(2)
                })
                .sum();
            total += r2 / roi.subjects.len() as f64;
        }
        total / rois.len() as f64
    }

    /// Subjects' RDMs of noisy patterns sharing a latent structure with the model's.
    fn problem(n: usize, subjects: usize, noise: f64, seed: u64) -> (Rdm, Vec<Rdm>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let latent = Array2::from_shape_fn((n, 6), |_| rng.random_range(-1.0..1.0f64));
        let noisy = |rng: &mut ChaCha8Rng, amount: f64| {
            Array2::from_shape_fn((n, 30), |(i, k)| {
                latent[[i, k % 6]] * (1.0 + (k / 6) as f64) + amount * rng.random_range(-1.0..1.0)
            })
        };
        let model =
            Rdm::from_patterns(noisy(&mut rng, 0.5).view(), Dissimilarity::Correlation).unwrap();
        let subs = (0..subjects)
            .map(|_| {
                Rdm::from_patterns(noisy(&mut rng, noise).view(), Dissimilarity::Correlation)
                    .unwrap()
            })
            .collect();
        (model, subs)
    }

    #[test]
    fn influence_predicts_leaving_one_element_out() {
        // ρ − ρ_(−p) ≈ IF_p / P for a correlation over P elements, ties included.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let p = 400;
        let x: Vec<f64> = (0..p).map(|_| rng.random_range(0..40) as f64).collect();
        let y: Vec<f64> = x
            .iter()
            .map(|v| v + rng.random_range(-20.0..20.0))
            .collect();
        let rho = crate::metrics::ranks::spearman(&x, &y).unwrap().unwrap();
        let inf = spearman_influence(&x, &y).unwrap().unwrap();
        let (mut err, mut size) = (0.0f64, 0.0f64);
        for (k, influence) in inf.iter().enumerate() {
            let keep = |v: &[f64]| -> Vec<f64> {
                v.iter()
                    .enumerate()
                    .filter(|(i, _)| *i != k)
                    .map(|(_, v)| *v)
                    .collect()
            };
            let loo = crate::metrics::ranks::spearman(&keep(&x), &keep(&y))
                .unwrap()
                .unwrap();
            let exact = (p - 1) as f64 * (rho - loo);
            err = err.max((exact - influence).abs());
            size = size.max(exact.abs());
        }
        assert!(
            err < 0.02 * size,
            "largest error {err} against largest influence {size}"
        );
    }

    #[test]
    fn pair_part_matches_leaving_two_stimuli_out() {
        // For a U-statistic of degree 2, θ − θ_(i) − θ_(j) + θ_(ij), U-centred and times
        // C(n − 2, 2), is exactly the U-centred pair part h2: the influences must agree (to
        // 15 % at 26 stimuli, 2.7 % at 40 and 0.24 % at 60: the score is only approximately
        // a U-statistic, and the difference shrinks with n).
        let n = 40;
        let (model, subjects) = problem(n, 3, 2.0, 1);
        let rois = [RsaRoi {
            model: &model,
            subjects: &subjects,
        }];
        let all: Vec<usize> = (0..n).collect();
        let full = score(&rois, &all);
        let without = |out: &[usize]| -> f64 {
            let keep: Vec<usize> = all.iter().copied().filter(|k| !out.contains(k)).collect();
            score(&rois, &keep)
        };
        let one: Vec<f64> = (0..n).map(|i| without(&[i])).collect();
        let scale = ((n - 2) * (n - 3) / 2) as f64;
        let brute: Vec<f64> = (0..n)
            .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
            .map(|(i, j)| scale * (full - one[i] - one[j] + without(&[i, j])))
            .collect();
        let from_influence = pair_variance(n, &rsa_pair_influence(&rois).unwrap()).unwrap();
        let from_brute = pair_variance(n, &brute).unwrap();
        let rel = (from_influence - from_brute).abs() / from_brute;
        assert!(
            rel < 0.05,
            "pair variance: influence {from_influence}, leave-two-out {from_brute}"
        );
        // The correction is a sizeable share of the jackknife variance here, and below half.
        let vjack = jackknife_se(&[jackknife_rsa_stimuli(&rois).unwrap()])
            .unwrap()
            .powi(2);
        let excess = rsa_jackknife_excess(&rois).unwrap();
        assert!(
            excess > 0.05 * vjack && excess < 0.5 * vjack,
            "{excess} vs {vjack}"
        );
    }

    #[test]
    fn u_centring_removes_stimulus_effects() {
        // ψ_ij = a_i + a_j + c has no pair part.
        let n = 9;
        let a: Vec<f64> = (0..n).map(|i| (i * i) as f64 * 0.3 - 2.0).collect();
        let psi: Vec<f64> = (0..n)
            .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
            .map(|(i, j)| a[i] + a[j] + 5.0)
            .collect();
        assert!(pair_variance(n, &psi).unwrap() < 1e-20);
        assert!(pair_variance(3, &psi[..3]).is_err());
        assert!(pair_variance(n, &psi[1..]).is_err());
    }
}
