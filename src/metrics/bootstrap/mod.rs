//! Bootstrap uncertainty (SCIENCE.md §3): seeded resamples, percentile intervals and paired
//! differences between two submissions.
//!
//! Reproducibility across submissions: the images (or subjects) drawn for resample `b` depend
//! only on `(seed, group, n, b)` ([`resample_indices`]), never on the submission or on the
//! order of computation. Two submissions scored separately with the same seed therefore see
//! identical resamples, and the leaderboard can pair their stored per-resample scores
//! ([`paired_difference`]).

pub mod encoding;
pub mod interval;
pub mod jackknife;
pub mod pair_variance;
pub mod reliability;
pub mod rsa;
pub mod unit;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::{check_finite, check_same_len, MetricsError, Result};

/// How to bootstrap.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BootstrapConfig {
    /// Number of resamples (1000 by default).
    pub n_resamples: usize,
    /// Seed of every draw; recorded in the score report.
    pub seed: u64,
    /// Coverage of the percentile interval (0.95 by default).
    pub level: f64,
}

impl Default for BootstrapConfig {
    fn default() -> Self {
        Self {
            n_resamples: 1000,
            seed: 0,
            level: 0.95,
        }
    }
}

impl BootstrapConfig {
    /// Checks the configuration: at least 2 resamples and a level strictly inside (0, 1).
    ///
    /// # Errors
    /// [`MetricsError::TooFew`] or [`MetricsError::OutOfRange`].
    pub fn check(&self) -> Result<()> {
        if self.n_resamples < 2 {
            return Err(MetricsError::TooFew {
                what: "bootstrap resamples",
                needed: 2,
                found: self.n_resamples,
                hint: "use the default of 1000 resamples",
            });
        }
        check_level(self.level)
    }
}

fn check_level(level: f64) -> Result<()> {
    if level > 0.0 && level < 1.0 {
        Ok(())
    } else {
        Err(MetricsError::OutOfRange {
            what: "bootstrap interval level",
            index: vec![],
            value: level,
            expected: "(0, 1)",
            hint: "give the coverage as a fraction, e.g. 0.95 for a 95 % interval",
        })
    }
}

/// The items drawn (with replacement) for resample `resample` of a group of `n` items.
///
/// The generator is `ChaCha8Rng` keyed with the 32 bytes
/// `seed || group || n || resample` (each a little-endian u64), and item `k` is the `k`-th
/// `random_range(0..n)`: the draw depends on these four values only.
pub fn resample_indices(seed: u64, group: u64, n: usize, resample: usize) -> Vec<usize> {
    let mut key = [0u8; 32];
    for (chunk, v) in key
        .chunks_exact_mut(8)
        .zip([seed, group, n as u64, resample as u64])
    {
        chunk.copy_from_slice(&v.to_le_bytes());
    }
    let mut rng = ChaCha8Rng::from_seed(key);
    (0..n).map(|_| rng.random_range(0..n)).collect()
}

/// How often each of the `n` items occurs in [`resample_indices`]; the counts sum to `n`.
pub fn resample_counts(seed: u64, group: u64, n: usize, resample: usize) -> Vec<u32> {
    let mut counts = vec![0u32; n];
    for i in resample_indices(seed, group, n, resample) {
        counts[i] += 1;
    }
    counts
}

/// Group-id bit of the second-level draws of [`nested_resample_counts`].
const NESTED: u64 = 1 << 63;

/// Images of a second-level resample drawn from resample `resample` itself: position `k` is
/// `outer[inner[k]]` with `outer = resample_indices(seed, group, n, resample)` and
/// `inner = resample_indices(seed, group | 2^63, n, resample)`. One per outer resample is
/// enough for the mean bias of [`interval::iterated_bias`].
pub fn nested_resample_indices(seed: u64, group: u64, n: usize, resample: usize) -> Vec<usize> {
    let outer = resample_indices(seed, group, n, resample);
    resample_indices(seed, group | NESTED, n, resample)
        .into_iter()
        .map(|p| outer[p])
        .collect()
}

/// How often each of the `n` items occurs in [`nested_resample_indices`].
pub fn nested_resample_counts(seed: u64, group: u64, n: usize, resample: usize) -> Vec<u32> {
    let mut counts = vec![0u32; n];
    for i in nested_resample_indices(seed, group, n, resample) {
        counts[i] += 1;
    }
    counts
}

/// The `q`-quantile (q in [0, 1]) of `samples` with linear interpolation between the closest
/// ranks: numpy's default, `numpy.percentile(samples, 100 q)`.
///
/// ```text
/// h = (n - 1) q;   Q = x_(floor h) + (h - floor h) (x_(floor h + 1) - x_(floor h))
/// ```
///
/// # Errors
/// [`MetricsError::TooFew`] when empty, [`MetricsError::NonFinite`],
/// [`MetricsError::OutOfRange`] for q outside [0, 1].
///
/// ```
/// use brainbench::metrics::bootstrap::percentile;
/// assert_eq!(percentile(&[4.0, 1.0, 3.0, 2.0], 0.5).unwrap(), 2.5);
/// ```
pub fn percentile(samples: &[f64], q: f64) -> Result<f64> {
    Ok(percentiles(samples, &[q])?[0])
}

fn percentiles(samples: &[f64], qs: &[f64]) -> Result<Vec<f64>> {
    let mut data = checked_copy(
        "percentile: samples",
        samples,
        "compute at least one resample",
    )?;
    qs.iter()
        .enumerate()
        .map(|(i, &q)| {
            if !(0.0..=1.0).contains(&q) {
                return Err(MetricsError::OutOfRange {
                    what: "percentile: quantile",
                    index: vec![i],
                    value: q,
                    expected: "[0, 1]",
                    hint: "give quantiles as fractions, e.g. 0.025",
                });
            }
            Ok(interpolated_order_statistic(&mut data, q))
        })
        .collect()
}

/// numpy's linear-interpolation quantile of finite, non-empty `data` (reordered in place),
/// found by selection, O(n), rather than by a full sort. Interpolates as numpy's `_lerp` does,
/// from the nearer neighbour, so results match `numpy.percentile` to the last bit.
fn interpolated_order_statistic(data: &mut [f64], q: f64) -> f64 {
    let h = (data.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let (_, &mut a, above) = data.select_nth_unstable_by(lo, f64::total_cmp);
    let t = h - lo as f64;
    match above.iter().copied().min_by(f64::total_cmp) {
        Some(b) if t >= 0.5 => b - (b - a) * (1.0 - t),
        Some(b) if t > 0.0 => a + (b - a) * t,
        _ => a,
    }
}

/// `numpy.median`: the middle value, or the mean of the middle two, found by selection.
///
/// # Errors
/// [`MetricsError::TooFew`] when empty, [`MetricsError::NonFinite`].
///
/// ```
/// use brainbench::metrics::bootstrap::median;
/// assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]).unwrap(), 2.5);
/// assert_eq!(median(&[4.0, 1.0, 3.0]).unwrap(), 3.0);
/// ```
pub fn median(samples: &[f64]) -> Result<f64> {
    let mut data = checked_copy("median: samples", samples, "pass at least one value")?;
    let mid = data.len() / 2;
    let (below, &mut upper, _) = data.select_nth_unstable_by(mid, f64::total_cmp);
    Ok(if samples.len() % 2 == 1 {
        upper
    } else {
        let lower = below
            .iter()
            .copied()
            .max_by(f64::total_cmp)
            .expect("even n >= 2");
        (lower + upper) / 2.0
    })
}

/// A copy of `samples` for selection to reorder, once they are known to be non-empty
/// (`hint` says how to fix that) and finite.
fn checked_copy(what: &'static str, samples: &[f64], hint: &'static str) -> Result<Vec<f64>> {
    if samples.is_empty() {
        return Err(MetricsError::TooFew {
            what,
            needed: 1,
            found: 0,
            hint,
        });
    }
    check_finite(what, samples)?;
    Ok(samples.to_vec())
}

/// A two-sided interval (by [`percentile_interval`] the quantiles below; by
/// [`interval::bootstrap_interval`] whatever its method gives).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower end (percentile: the `(1 - level) / 2` quantile).
    pub low: f64,
    /// Upper end (percentile: the `(1 + level) / 2` quantile).
    pub high: f64,
    /// Coverage, e.g. 0.95.
    pub level: f64,
}

/// Percentile bootstrap interval: the `(1 - level)/2` and `(1 + level)/2` quantiles of the
/// resampled statistic, by [`percentile`] (numpy's linear interpolation).
///
/// # Errors
/// As [`percentile`], and [`MetricsError::OutOfRange`] for a level outside (0, 1).
pub fn percentile_interval(samples: &[f64], level: f64) -> Result<Interval> {
    check_level(level)?;
    let q = percentiles(samples, &[(1.0 - level) / 2.0, (1.0 + level) / 2.0])?;
    Ok(Interval {
        low: q[0],
        high: q[1],
        level,
    })
}

/// A bootstrapped statistic: one value per resample (in resample order, so that two
/// submissions can be paired) and its percentile interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BootstrapResult {
    /// The statistic on every resample.
    pub samples: Vec<f64>,
    /// Its percentile interval.
    pub interval: Interval,
}

/// The paired bootstrap comparison of two submissions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PairedDifference {
    /// Percentile interval of `a - b` over the paired resamples.
    pub interval: Interval,
    /// Fraction of resamples with `a <= b`: the one-sided bootstrap p-value of "a is better
    /// than b". `b` is significantly below `a` at `level` when this is below `1 - level`.
    pub fraction_a_le_b: f64,
    /// Resamples compared.
    pub n_resamples: usize,
}

/// Paired bootstrap of the difference `a - b` of two submissions' per-resample scores computed
/// on the same resamples (same seed).
///
/// ```text
/// d_b      = a_b - b_b
/// interval = percentile interval of d at `level`
/// p        = #{b : a_b <= b_b} / B
/// ```
///
/// # Errors
/// [`MetricsError::LengthMismatch`] when the sample counts differ (different configurations),
/// and as [`percentile_interval`].
pub fn paired_difference(a: &[f64], b: &[f64], level: f64) -> Result<PairedDifference> {
    check_same_len("paired_difference: resamples of a vs b", a.len(), b.len())?;
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let interval = percentile_interval(&d, level)?;
    let le = a.iter().zip(b).filter(|(x, y)| x <= y).count();
    Ok(PairedDifference {
        interval,
        fraction_a_le_b: le as f64 / a.len() as f64,
        n_resamples: a.len(),
    })
}

/// A deterministic RDM of `n` items for the bootstrap modules' tests.
#[cfg(test)]
pub(crate) fn test_rdm(seed: usize, n: usize) -> crate::metrics::rdm::Rdm {
    let v = (0..n * (n - 1) / 2)
        .map(|k| ((k * 7919 + seed * 104729) % 97) as f64)
        .collect();
    crate::metrics::rdm::Rdm::from_upper(n, v).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_depend_only_on_the_key() {
        let a = resample_indices(7, 3, 50, 11);
        assert_eq!(a, resample_indices(7, 3, 50, 11));
        assert_ne!(a, resample_indices(7, 3, 50, 12));
        assert_ne!(a, resample_indices(7, 4, 50, 11));
        assert_ne!(a, resample_indices(8, 3, 50, 11));
        assert!(a.iter().all(|&i| i < 50));
        assert_eq!(resample_counts(7, 3, 50, 11).iter().sum::<u32>(), 50);
    }

    #[test]
    fn nested_draws_come_from_their_outer_resample() {
        for b in 0..5 {
            let outer = resample_indices(3, 1, 30, b);
            let nested = nested_resample_indices(3, 1, 30, b);
            assert_eq!(nested.len(), 30);
            assert!(nested.iter().all(|i| outer.contains(i)));
            assert_ne!(nested, outer);
            assert_eq!(nested, nested_resample_indices(3, 1, 30, b));
            let counts = nested_resample_counts(3, 1, 30, b);
            assert_eq!(counts.iter().sum::<u32>(), 30);
            assert!(nested.iter().all(|&i| counts[i] > 0));
        }
    }

    #[test]
    fn interval_and_paired_difference() {
        let s: Vec<f64> = (0..=100).map(|i| i as f64).collect();
        let iv = percentile_interval(&s, 0.95).unwrap();
        assert!((iv.low - 2.5).abs() < 1e-12 && (iv.high - 97.5).abs() < 1e-12);
        let b: Vec<f64> = s.iter().map(|x| x - 1.0).collect();
        let d = paired_difference(&s, &b, 0.95).unwrap();
        assert_eq!(d.fraction_a_le_b, 0.0);
        assert!((d.interval.low - 1.0).abs() < 1e-12);
        assert!(paired_difference(&s, &b[1..], 0.95).is_err());
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(percentile(&[], 0.5).is_err());
        assert!(percentile(&[1.0, f64::NAN], 0.5).is_err());
        assert!(percentile(&[1.0], 1.5).is_err());
        assert!(percentile_interval(&[1.0, 2.0], 1.0).is_err());
        let cfg = BootstrapConfig {
            n_resamples: 1,
            ..Default::default()
        };
        assert!(cfg.check().is_err());
        assert!(BootstrapConfig::default().check().is_ok());
    }
}
