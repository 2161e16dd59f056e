//! Bootstrap confidence intervals from resampled scores: percentile, basic (reverse
//! percentile) and BCa, computed exactly as `scipy.stats.bootstrap` (scipy 1.15) computes them
//! from the same resamples, plus documented fallbacks where scipy would return NaN.
//!
//! References: Efron & Tibshirani (1993), *An Introduction to the Bootstrap*, ch. 13–14
//! (percentile, BCa), Davison & Hinkley (1997) §5.2 (basic); scipy
//! `scipy/stats/_resampling.py` (`bootstrap`, `_bca_interval`, `_percentile_of_score`).

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use super::{check_level, percentiles, Interval};
use crate::metrics::{check_finite, MetricsError, Result};

/// How a bootstrap interval is formed from the resampled statistic θ*₁ … θ*_B and the
/// full-sample estimate θ̂ (`scipy.stats.bootstrap`'s `method`).
///
/// The default is [`IntervalMethod::IteratedJackknife`]: on the synthetic cortex's known truth
/// it is the method whose coverage stayed closest to nominal on every model (percentile covers
/// 0 % on some; basic, BCa and iterated-basic fall short on the encoding score or are far too
/// wide for a model whose RSA score is 0); `docs/intervals.md` has the table and the reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IntervalMethod {
    /// `[q(α), q(1 − α)]`, q the quantiles of θ*: inherits any bias of θ* around θ̂.
    Percentile,
    /// Reverse percentile `[2θ̂ − q(1 − α), 2θ̂ − q(α)]`: subtracts the bootstrap bias
    /// (Davison & Hinkley 1997, eq. 5.6).
    Basic,
    /// Bias-corrected and accelerated (Efron 1987): quantiles of θ* at levels shifted by the
    /// bias `z0` and skewness-corrected by the jackknife acceleration `a`.
    Bca,
    /// The basic interval moved by the part of the bias the plain bootstrap misses, measured by
    /// one second-level resample per resample ([`iterated_bias`]):
    /// `[2θ̂ − Q(1 − α) − (b2 − b1), 2θ̂ − Q(α) − (b2 − b1)]`.
    IteratedBasic,
    /// The normal interval around the estimate corrected by the iterated bias, with the
    /// jackknife's standard error over the resampled unit ([`jackknife_se`]):
    /// `θ̂ − b2 ∓ Φ⁻¹(1 − α) se_jack` (Davison & Hinkley 1997, eq. 5.5, with the iterated bias
    /// and the jackknife variance). The jackknife leaves one unit out and so, unlike a
    /// resample, never duplicates one: for RSA it does not inflate the spread as resampled
    /// stimuli do (duplicated images' pairs dropped), which makes the bootstrap's interval
    /// several times too wide where the score sits on its boundary at 0.
    #[default]
    IteratedJackknife,
}

impl IntervalMethod {
    /// Every method, in the order shown in reports.
    pub const ALL: [IntervalMethod; 5] = [
        Self::Percentile,
        Self::Basic,
        Self::Bca,
        Self::IteratedBasic,
        Self::IteratedJackknife,
    ];
    /// The methods `scipy.stats.bootstrap` offers (and computes identically).
    pub const SCIPY: [IntervalMethod; 3] = [Self::Percentile, Self::Basic, Self::Bca];

    /// The name used in `score.json`, on the board and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Percentile => "percentile",
            Self::Basic => "basic",
            Self::Bca => "bca",
            Self::IteratedBasic => "iterated-basic",
            Self::IteratedJackknife => "iterated-jackknife",
        }
    }

    /// Whether the method needs one nested resample per resample.
    pub fn needs_nested(self) -> bool {
        matches!(self, Self::IteratedBasic | Self::IteratedJackknife)
    }

    /// Whether the method needs the jackknife values of the resampled unit.
    pub fn needs_jackknife(self) -> bool {
        matches!(self, Self::Bca | Self::IteratedJackknife)
    }
}

impl std::fmt::Display for IntervalMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for IntervalMethod {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown interval method '{s}': expected percentile, basic, bca, iterated-basic or iterated-jackknife")
            })
    }
}

/// Why an interval is less trustworthy than usual, or was computed by a fallback. Shown in the
/// report beside the interval; none of them ever leaves a NaN.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum IntervalWarning {
    /// Every resample gave the same value: the bootstrap shows no variation, and the interval
    /// has zero width (BCa's bias is then 0 or infinite; BCa falls back to basic).
    DegenerateResamples {
        /// The common value.
        value: f64,
    },
    /// All resamples lie on one side of θ̂ (`p` = 0 or 1), so `z0 = Φ⁻¹(p)` is infinite and
    /// BCa is undefined (scipy: NaN). Fallback: the basic interval.
    InfiniteBias {
        /// The share `p` of resamples below θ̂ (ties half).
        share_below: f64,
    },
    /// The jackknife values are all equal (`Σu² = 0`): the acceleration is 0/0; it is taken
    /// as 0 (no skewness correction), which is BCa's limit for symmetric jackknives.
    AccelerationUndefined,
    /// The jackknife values are all equal, so the jackknife standard error is 0.
    /// iterated-jackknife falls back to iterated-basic.
    JackknifeDegenerate,
    /// `1 − a (z0 ± z) ≤ 0`: the acceleration is so large that BCa's adjusted level is no
    /// longer monotone in the nominal one. Fallback: the basic interval.
    AccelerationTooLarge {
        /// The acceleration `a`.
        acceleration: f64,
    },
    /// The tail probability the interval needs (BCa: `α₁` or `1 − α₂`; otherwise
    /// `(1 − level)/2`) is below `1/B`: fewer than one resample is expected beyond the endpoint,
    /// so it is the extreme resample and unreliable. BCa falls back to basic; percentile and
    /// basic keep their value.
    TooFewResamples {
        /// The tail probability asked for.
        tail: f64,
        /// Resamples needed for one expected resample beyond the endpoint, `ceil(1 / tail)`.
        needed: usize,
        /// Resamples available.
        found: usize,
    },
}

/// An interval and everything needed to explain it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalEstimate {
    /// The interval finally reported.
    pub interval: Interval,
    /// The method asked for.
    pub requested: IntervalMethod,
    /// The method that produced `interval` (differs from `requested` after a fallback).
    pub method: IntervalMethod,
    /// The full-sample estimate θ̂.
    pub estimate: f64,
    /// The bootstrap estimate of the bias, `mean(θ*) − θ̂`. When it is large compared with the
    /// interval's width the percentile interval can exclude θ̂.
    pub bias: f64,
    /// `p = (#{θ* < θ̂} + #{θ* ≤ θ̂}) / 2B`, the share of resamples below θ̂ (scipy's tie rule).
    pub share_below: f64,
    /// BCa's bias correction `z0 = Φ⁻¹(p)` (BCa only; `None` when infinite).
    pub z0: Option<f64>,
    /// BCa's acceleration `a` (BCa only).
    pub acceleration: Option<f64>,
    /// BCa's adjusted levels `(α₁, α₂)` (BCa only, when defined).
    pub adjusted_levels: Option<(f64, f64)>,
    /// The iterated bias `b2` ([`iterated_bias`]; iterated-basic only).
    pub iterated_bias: Option<f64>,
    /// iterated-jackknife: the variance subtracted from the jackknife's (see
    /// [`bootstrap_interval_adjusted`]); `None` when nothing was.
    pub jackknife_excess: Option<f64>,
    /// Why the interval deserves care; empty in the usual case.
    pub warnings: Vec<IntervalWarning>,
}

/// Standard normal CDF Φ(x), computed as scipy's `special.ndtr` does: `0.5 erfc(−x/√2)`,
/// with the `erfc` of musl/fdlibm (`libm`, error below 1 ulp). Agrees with scipy to 1e-14
/// relative on [−8, 8] (peer-tested; statrs' `erfc` is off by 5e-11 relative at x = −8).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x * std::f64::consts::FRAC_1_SQRT_2)
}

/// Standard normal quantile Φ⁻¹(p) (scipy `special.ndtri`); `−∞` at 0 and `+∞` at 1.
///
/// statrs' Boost-port `−√2 erfc⁻¹(2p)` as the start, then one Halley step on
/// `Φ(x) − p` with [`normal_cdf`] (Acklam's refinement), which brings it to full double
/// precision wherever `exp(x²/2)` is finite (|x| < 37):
///
/// ```text
/// e = Φ(x) − p,   u = e √(2π) exp(x²/2),   x ← x − u / (1 + x u / 2)
/// ```
///
/// # Errors
/// [`MetricsError::OutOfRange`] for p outside [0, 1] or NaN.
pub fn normal_quantile(p: f64) -> Result<f64> {
    if !(0.0..=1.0).contains(&p) {
        return Err(MetricsError::OutOfRange {
            what: "normal quantile: probability",
            index: vec![],
            value: p,
            expected: "[0, 1]",
            hint: "pass a probability",
        });
    }
    let x = Normal::new(0.0, 1.0).expect("unit normal").inverse_cdf(p);
    if !x.is_finite() || x.abs() >= 37.0 {
        return Ok(x);
    }
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * std::f64::consts::PI).sqrt() * (x * x / 2.0).exp();
    Ok(x - u / (1.0 + x * u / 2.0))
}

/// Share of `samples` below `estimate`, ties counted half (scipy `_percentile_of_score`).
///
/// ```text
/// p = (#{θ*_b < θ̂} + #{θ*_b ≤ θ̂}) / 2B
/// ```
pub fn share_below(samples: &[f64], estimate: f64) -> f64 {
    let lt = samples.iter().filter(|&&s| s < estimate).count();
    let le = samples.iter().filter(|&&s| s <= estimate).count();
    (lt + le) as f64 / (2 * samples.len()) as f64
}

/// BCa's acceleration from jackknife values, for one or several independently resampled
/// groups (scipy `_bca_interval`, which handles several samples the same way).
///
/// ```text
/// group j with n_j leave-one-out values θ̂_(i):   U_ji = (n_j − 1) (mean_i θ̂_(i) − θ̂_(i))
/// a = Σ_j Σ_i U_ji³ / n_j³  /  ( 6 (Σ_j Σ_i U_ji² / n_j²)^(3/2) )
/// ```
///
/// For one group this is `Σu³ / (6 (Σu²)^(3/2))` with `u = mean − θ̂_(i)`. `None` when every
/// `U` is 0 (the ratio is 0/0).
///
/// # Errors
/// [`MetricsError::TooFew`] when there is no group or a group is empty,
/// [`MetricsError::NonFinite`].
pub fn acceleration(jackknife: &[Vec<f64>]) -> Result<Option<f64>> {
    if jackknife.is_empty() || jackknife.iter().any(Vec::is_empty) {
        return Err(MetricsError::TooFew {
            what: "BCa acceleration: jackknife values per group",
            needed: 1,
            found: 0,
            hint: "pass one leave-one-out value per resampled unit of every group",
        });
    }
    let (mut num, mut den) = (0.0, 0.0);
    for group in jackknife {
        check_finite("BCa acceleration: jackknife value", group)?;
        let n = group.len() as f64;
        let mean = group.iter().sum::<f64>() / n;
        let (s2, s3) = group.iter().fold((0.0, 0.0), |(s2, s3), &t| {
            let u = (n - 1.0) * (mean - t);
            (s2 + u * u, s3 + u * u * u)
        });
        num += s3 / (n * n * n);
        den += s2 / (n * n);
    }
    Ok((den > 0.0).then(|| num / 6.0 / den.powf(1.5)))
}

/// The jackknife standard error over one or several independently resampled groups (Efron &
/// Tibshirani 1993, eq. 11.5; the groups' variances add):
///
/// ```text
/// se² = Σ_j (n_j − 1)/n_j Σ_i (θ̂_(ji) − mean_i θ̂_(ji))²
/// ```
///
/// # Errors
/// As [`acceleration`].
pub fn jackknife_se(jackknife: &[Vec<f64>]) -> Result<f64> {
    if jackknife.is_empty() || jackknife.iter().any(Vec::is_empty) {
        return Err(MetricsError::TooFew {
            what: "jackknife standard error: jackknife values per group",
            needed: 1,
            found: 0,
            hint: "pass one leave-one-out value per resampled unit of every group",
        });
    }
    let mut var = 0.0;
    for group in jackknife {
        check_finite("jackknife standard error: jackknife value", group)?;
        let n = group.len() as f64;
        let mean = group.iter().sum::<f64>() / n;
        var += (n - 1.0) / n * group.iter().map(|t| (t - mean).powi(2)).sum::<f64>();
    }
    Ok(var.sqrt())
}

/// A bootstrap interval of θ by `method` (see [`IntervalMethod`]), exactly as
/// `scipy.stats.bootstrap(..., confidence_level=level, method=...)` computes it from the same
/// resamples θ*, with scipy's arithmetic (α = (1 − level)/2, quantiles by `numpy.percentile`
/// at `100 α`):
///
/// ```text
/// percentile: [Q(α), Q(1 − α)]
/// basic:      [2θ̂ − Q(1 − α), 2θ̂ − Q(α)]
/// BCa:        p  = (#{θ* < θ̂} + #{θ* ≤ θ̂}) / 2B,   z0 = Φ⁻¹(p),   z = Φ⁻¹(α)
///             a  = acceleration(jackknife)
///             α₁ = Φ(z0 + (z0 + z) / (1 − a (z0 + z)))
///             α₂ = Φ(z0 + (z0 − z) / (1 − a (z0 − z)))
///             [Q(α₁), Q(α₂)]
/// ```
///
/// and, beyond scipy,
///
/// ```text
/// iterated-basic:     basic − (b2 − b1),   b1 = mean θ* − θ̂,   b2 = iterated_bias(θ̂, θ*, θ**)
/// iterated-jackknife: θ̂ − b2 ∓ Φ⁻¹(1 − α) jackknife_se(jackknife)
/// ```
///
/// `Q(q)` is numpy's linear-interpolation quantile of θ*. `jackknife` holds, per
/// independently resampled group, the statistic with each unit of that group left out (only
/// BCa and iterated-jackknife use it; pass `&[]` otherwise). `nested[b]` is the statistic on
/// one resample drawn from resample `b` (only the iterated methods use it; pass `&[]`
/// otherwise).
///
/// Degenerate cases never give NaN; each adds an [`IntervalWarning`]:
///
/// * every θ* equal: the interval is that value (percentile) or its reflection (basic); BCa
///   falls back to basic;
/// * `z0` infinite (all θ* on one side of θ̂): BCa falls back to basic;
/// * jackknife values all equal: `a = 0` (BCa); iterated-jackknife falls back to
///   iterated-basic;
/// * `1 − a (z0 ± z) ≤ 0`: BCa falls back to basic;
/// * a tail probability below `1/B`: BCa falls back to basic, the quantile methods are only
///   flagged.
///
/// # Errors
/// [`MetricsError::TooFew`] for no resample (or BCa without jackknife values),
/// [`MetricsError::LengthMismatch`] for iterated-basic without one nested value per resample,
/// [`MetricsError::NonFinite`], [`MetricsError::OutOfRange`] for a level outside (0, 1).
///
/// ```
/// use brainbench::metrics::bootstrap::interval::{bootstrap_interval, IntervalMethod};
/// let samples: Vec<f64> = (0..=100).map(f64::from).collect();
/// let iv = bootstrap_interval(IntervalMethod::Basic, 60.0, &samples, &[], &[], 0.9).unwrap();
/// assert!((iv.interval.low - 25.0).abs() < 1e-12 && (iv.interval.high - 115.0).abs() < 1e-12);
/// ```
pub fn bootstrap_interval(
    method: IntervalMethod,
    estimate: f64,
    samples: &[f64],
    jackknife: &[Vec<f64>],
    nested: &[f64],
    level: f64,
) -> Result<IntervalEstimate> {
    bootstrap_interval_adjusted(method, estimate, samples, jackknife, 0.0, nested, level)
}

/// How many jackknife standard errors a score must lie above 0 for the pair-variance
/// correction to apply. The correction is a first-order (delta-method) result; for a mean of
/// squared correlations θ ≈ ρ², `θ/se ≈ |ρ|/(2 se_ρ)`, and at `θ ≥ 2 se` the quadratic term
/// `2 se_ρ⁴` is below 3 % of the variance `4ρ² se_ρ² + 2 se_ρ⁴`. Nearer 0 the linearised pair
/// influences are noise: on the coverage study's pixel RDM (θ/se 0.2-1.6) applying the
/// correction cut coverage from 95.5 % to 89.5 % (`docs/intervals.md`).
pub const PAIR_CORRECTION_MIN_SE: f64 = 2.0;

/// [`bootstrap_interval`] with the jackknife's variance corrected for what it overstates:
/// iterated-jackknife uses `se² = max(jackknife_se² − jackknife_excess, jackknife_se² / 2)`
/// (the RSA stimulus jackknife counts an RDM correlation's pair variance twice, see
/// [`super::pair_variance::rsa_jackknife_excess`]; the floor is the most that double
/// counting can add) when the estimate is at least [`PAIR_CORRECTION_MIN_SE`] jackknife
/// standard errors above 0, and the plain jackknife variance otherwise (conservative). The
/// variance subtracted is [`IntervalEstimate::jackknife_excess`]. The other methods ignore
/// `jackknife_excess`.
///
/// # Errors
/// As [`bootstrap_interval`]; [`MetricsError::OutOfRange`] for a non-finite or negative excess.
pub fn bootstrap_interval_adjusted(
    method: IntervalMethod,
    estimate: f64,
    samples: &[f64],
    jackknife: &[Vec<f64>],
    jackknife_excess: f64,
    nested: &[f64],
    level: f64,
) -> Result<IntervalEstimate> {
    check_level(level)?;
    if !(jackknife_excess.is_finite() && jackknife_excess >= 0.0) {
        return Err(MetricsError::OutOfRange {
            what: "bootstrap interval: jackknife excess variance",
            index: vec![0],
            value: jackknife_excess,
            expected: "[0, inf)",
            hint: "pass 0 for no correction, or rsa_jackknife_excess's value",
        });
    }
    if samples.is_empty() {
        return Err(MetricsError::TooFew {
            what: "bootstrap interval: resamples",
            needed: 1,
            found: 0,
            hint: "compute at least one resample (1000 by default)",
        });
    }
    check_finite("bootstrap interval: resampled statistic", samples)?;
    check_finite("bootstrap interval: estimate", &[estimate])?;
    let b = samples.len();
    let alpha = (1.0 - level) / 2.0;
    let p = share_below(samples, estimate);
    let mut out = IntervalEstimate {
        interval: Interval {
            low: estimate,
            high: estimate,
            level,
        },
        requested: method,
        method,
        estimate,
        bias: samples.iter().sum::<f64>() / b as f64 - estimate,
        share_below: p,
        z0: None,
        acceleration: None,
        adjusted_levels: None,
        iterated_bias: None,
        jackknife_excess: None,
        warnings: Vec::new(),
    };
    let first = samples[0];
    let degenerate = samples.iter().all(|&s| s == first);
    if degenerate {
        out.warnings
            .push(IntervalWarning::DegenerateResamples { value: first });
    }
    if method == IntervalMethod::IteratedJackknife {
        let b2 = iterated_bias(estimate, samples, nested)?;
        let raw = jackknife_se(jackknife)?.powi(2);
        let mut var = raw;
        if jackknife_excess > 0.0 && estimate >= PAIR_CORRECTION_MIN_SE * raw.sqrt() {
            var = (raw - jackknife_excess).max(raw / 2.0);
            out.jackknife_excess = Some(raw - var);
        }
        let se = var.sqrt();
        if se > 0.0 {
            let half = normal_quantile(1.0 - alpha)? * se;
            out.iterated_bias = Some(b2);
            out.interval.low = estimate - b2 - half;
            out.interval.high = estimate - b2 + half;
            return Ok(out);
        }
        out.warnings.push(IntervalWarning::JackknifeDegenerate);
        out.method = IntervalMethod::IteratedBasic;
    }
    if method == IntervalMethod::Bca {
        if jackknife.is_empty() {
            return Err(MetricsError::TooFew {
                what: "BCa interval: jackknife groups",
                needed: 1,
                found: 0,
                hint: "pass the leave-one-out values of the resampled unit (see the jackknife_* functions)",
            });
        }
        let a = acceleration(jackknife)?;
        if a.is_none() {
            out.warnings.push(IntervalWarning::AccelerationUndefined);
        }
        let a = a.unwrap_or(0.0);
        out.acceleration = Some(a);
        let z0 = normal_quantile(p)?;
        if !degenerate {
            if let Some(levels) = bca_levels(z0, a, alpha, b, &mut out.warnings)? {
                out.z0 = Some(z0);
                out.adjusted_levels = Some(levels);
                let q = percentiles(
                    samples,
                    &[levels.0 * 100.0 / 100.0, levels.1 * 100.0 / 100.0],
                )?;
                out.interval.low = q[0];
                out.interval.high = q[1];
                return Ok(out);
            }
        }
        out.z0 = z0.is_finite().then_some(z0);
        out.method = IntervalMethod::Basic;
    } else if (alpha * b as f64) < 1.0 {
        out.warnings.push(too_few(alpha, b));
    }
    // numpy.percentile(θ*, 100 α) divides by 100 again: reproduce that rounding.
    let q = percentiles(
        samples,
        &[alpha * 100.0 / 100.0, (1.0 - alpha) * 100.0 / 100.0],
    )?;
    let shift = if out.method == IntervalMethod::IteratedBasic {
        let b2 = iterated_bias(estimate, samples, nested)?;
        out.iterated_bias = Some(b2);
        b2 - out.bias
    } else {
        0.0
    };
    (out.interval.low, out.interval.high) = match out.method {
        IntervalMethod::Percentile => (q[0], q[1]),
        _ => (2.0 * estimate - q[1] - shift, 2.0 * estimate - q[0] - shift),
    };
    Ok(out)
}

/// The bootstrap bias corrected once more by the iterated bootstrap (Davison & Hinkley 1997,
/// §3.9; Hall 1992, §1.4): the plain bootstrap measures the bias at the sample, not at the
/// population, and a second level of resampling measures how far those two differ.
///
/// ```text
/// b1 = mean_b θ*_b − θ̂                       (plain bootstrap bias)
/// c  = mean_b (θ**_b − θ*_b)                  (bias one level down; θ**_b from resample b)
/// b2 = 2 b1 − c                               (iterated bias)
/// ```
///
/// `nested[b]` is the score on one second-level resample drawn from resample `b` (e.g.
/// [`super::encoding::bootstrap_encoding_nested`]); one per outer resample suffices for a mean.
///
/// # Errors
/// [`MetricsError::LengthMismatch`] when the two lengths differ, [`MetricsError::TooFew`]
/// when empty, [`MetricsError::NonFinite`].
pub fn iterated_bias(estimate: f64, samples: &[f64], nested: &[f64]) -> Result<f64> {
    crate::metrics::check_same_len(
        "iterated bias: resamples vs nested resamples",
        samples.len(),
        nested.len(),
    )?;
    if samples.is_empty() {
        return Err(MetricsError::TooFew {
            what: "iterated bias: resamples",
            needed: 1,
            found: 0,
            hint: "compute at least one resample",
        });
    }
    check_finite("iterated bias: resampled statistic", samples)?;
    check_finite("iterated bias: nested statistic", nested)?;
    let b = samples.len() as f64;
    let b1 = samples.iter().sum::<f64>() / b - estimate;
    let c = samples.iter().zip(nested).map(|(s, n)| n - s).sum::<f64>() / b;
    Ok(2.0 * b1 - c)
}

fn too_few(tail: f64, found: usize) -> IntervalWarning {
    IntervalWarning::TooFewResamples {
        tail,
        needed: (1.0 / tail).ceil() as usize,
        found,
    }
}

/// BCa's adjusted levels, or `None` (with a warning pushed) when BCa is undefined or
/// unreliable and the caller must fall back.
fn bca_levels(
    z0: f64,
    a: f64,
    alpha: f64,
    b: usize,
    warnings: &mut Vec<IntervalWarning>,
) -> Result<Option<(f64, f64)>> {
    if !z0.is_finite() {
        warnings.push(IntervalWarning::InfiniteBias {
            share_below: normal_cdf(z0),
        });
        return Ok(None);
    }
    let z = normal_quantile(alpha)?;
    let (num1, num2) = (z0 + z, z0 - z);
    let (d1, d2) = (1.0 - a * num1, 1.0 - a * num2);
    if d1 <= 0.0 || d2 <= 0.0 {
        warnings.push(IntervalWarning::AccelerationTooLarge { acceleration: a });
        return Ok(None);
    }
    let a1 = normal_cdf(z0 + num1 / d1);
    let a2 = normal_cdf(z0 + num2 / d2);
    let tail = a1.min(1.0 - a2);
    if tail * (b as f64) < 1.0 {
        warnings.push(too_few(tail, b));
        return Ok(None);
    }
    Ok(Some((a1, a2)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values of `scipy.special.ndtr` / `ndtri` (scipy 1.15.3), printed with `repr`.
    #[test]
    fn normal_functions_match_scipy() {
        let cdf = [
            (-8.0, 6.22096057427174e-16),
            (-5.66, 7.568649751997682e-09),
            (-1.959963984540054, 0.025),
            (0.3, 0.6179114221889526),
            (2.5, 0.9937903346742238),
        ];
        for (x, want) in cdf {
            let got = normal_cdf(x);
            assert!(
                (got - want).abs() <= 1e-13 * want,
                "Φ({x}) = {got}, scipy {want}"
            );
        }
        let q = [
            (1e-10, -6.361340902404056),
            (0.025, -1.9599639845400545),
            (0.6, 0.2533471031357997),
            (0.999, 3.090232306167813),
        ];
        for (p, want) in q {
            let got = normal_quantile(p).unwrap();
            assert!(
                (got - want).abs() <= 1e-13 * want.abs(),
                "Φ⁻¹({p}) = {got}, scipy {want}"
            );
        }
        assert_eq!(normal_quantile(0.0).unwrap(), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0).unwrap(), f64::INFINITY);
        assert!(normal_quantile(1.5).is_err());
    }

    #[test]
    fn share_below_counts_ties_half() {
        assert_eq!(share_below(&[1.0, 2.0, 2.0, 3.0], 2.0), 0.5);
        assert_eq!(share_below(&[1.0, 2.0, 3.0, 4.0], 2.0), 0.375);
        assert_eq!(share_below(&[3.0, 4.0], 2.0), 0.0);
    }

    #[test]
    fn acceleration_of_one_group_is_the_textbook_formula() {
        let jk = vec![1.0, 2.0, 4.0, 8.0, 3.0];
        let mean = jk.iter().sum::<f64>() / 5.0;
        let u: Vec<f64> = jk.iter().map(|t| mean - t).collect();
        let want = u.iter().map(|u| u.powi(3)).sum::<f64>()
            / (6.0 * u.iter().map(|u| u * u).sum::<f64>().powf(1.5));
        let got = acceleration(&[jk]).unwrap().unwrap();
        assert!((got - want).abs() < 1e-15, "{got} vs {want}");
        assert_eq!(acceleration(&[vec![2.0, 2.0]]).unwrap(), None);
        assert!(acceleration(&[]).is_err());
        assert!(acceleration(&[vec![]]).is_err());
    }

    /// With no bias (p = 1/2) and no acceleration BCa is the percentile interval.
    #[test]
    fn bca_without_bias_or_skew_is_the_percentile_interval() {
        let s: Vec<f64> = (0..=200).map(f64::from).collect();
        let jk = vec![vec![1.0, 2.0, 3.0]];
        let bca = bootstrap_interval(IntervalMethod::Bca, 100.0, &s, &jk, &[], 0.95).unwrap();
        let pct =
            bootstrap_interval(IntervalMethod::Percentile, 100.0, &s, &[], &[], 0.95).unwrap();
        assert_eq!(bca.method, IntervalMethod::Bca);
        assert_eq!(bca.z0, Some(0.0));
        assert_eq!(bca.acceleration, Some(0.0));
        assert!((bca.interval.low - pct.interval.low).abs() < 1e-9);
        assert!((bca.interval.high - pct.interval.high).abs() < 1e-9);
        assert!(
            (pct.interval.low - 5.0).abs() < 1e-12 && (pct.interval.high - 195.0).abs() < 1e-12
        );
        assert!(bca.warnings.is_empty());
    }

    #[test]
    fn degenerate_cases_fall_back_without_nan() {
        // All resamples above the estimate: z0 = -inf, BCa falls back to basic.
        let s: Vec<f64> = (1..=100).map(f64::from).collect();
        let bca =
            bootstrap_interval(IntervalMethod::Bca, 0.0, &s, &[vec![1.0, 2.0]], &[], 0.9).unwrap();
        let basic = bootstrap_interval(IntervalMethod::Basic, 0.0, &s, &[], &[], 0.9).unwrap();
        assert_eq!(bca.method, IntervalMethod::Basic);
        assert_eq!(bca.interval, basic.interval);
        assert!(
            matches!(bca.warnings[..], [IntervalWarning::InfiniteBias { share_below }] if share_below == 0.0)
        );
        // Every resample equal to the estimate: zero width, z0 = 0 but BCa still falls back.
        let flat = vec![3.0; 50];
        for m in IntervalMethod::ALL {
            let iv = bootstrap_interval(m, 3.0, &flat, &[vec![3.0, 3.0]], &flat, 0.95).unwrap();
            assert_eq!((iv.interval.low, iv.interval.high), (3.0, 3.0), "{m}");
            assert!(iv
                .warnings
                .contains(&IntervalWarning::DegenerateResamples { value: 3.0 }));
        }
        // Too few resamples for the 2.5 % tail (B = 20 < 40).
        let few: Vec<f64> = (0..20).map(f64::from).collect();
        let iv = bootstrap_interval(IntervalMethod::Percentile, 9.5, &few, &[], &[], 0.95).unwrap();
        assert!(matches!(
            iv.warnings[..],
            [IntervalWarning::TooFewResamples {
                needed: 40,
                found: 20,
                ..
            }]
        ));
        // A strong bias asks BCa for a tail far beyond 1/B.
        let skew: Vec<f64> = (0..1000).map(|i| f64::from(i) + 1.0).collect();
        let iv = bootstrap_interval(
            IntervalMethod::Bca,
            12.0,
            &skew,
            &[vec![0.0, 1.0, 5.0]],
            &[],
            0.95,
        )
        .unwrap();
        assert_eq!(iv.method, IntervalMethod::Basic);
        assert!(matches!(
            iv.warnings[..],
            [IntervalWarning::TooFewResamples { .. }]
        ));
        // A large acceleration (one outlying jackknife value among 100: a = -0.164, near the
        // one-group bound 1/6) with an extreme bias (p = 1/2B, z0 = -4.4): 1 - a (z0 + z) < 0.
        let mut outlier = vec![0.0; 100];
        outlier[99] = 100.0;
        let above: Vec<f64> = (0..100_000).map(f64::from).collect();
        let iv =
            bootstrap_interval(IntervalMethod::Bca, 0.0, &above, &[outlier], &[], 0.95).unwrap();
        assert!(iv.acceleration.unwrap() < -0.16);
        assert_eq!(iv.method, IntervalMethod::Basic);
        assert!(matches!(
            iv.warnings[..],
            [IntervalWarning::AccelerationTooLarge { .. }]
        ));
        // Undefined acceleration is taken as 0.
        let mid: Vec<f64> = (0..1000).map(f64::from).collect();
        let iv = bootstrap_interval(
            IntervalMethod::Bca,
            499.5,
            &mid,
            &[vec![1.0, 1.0]],
            &[],
            0.95,
        )
        .unwrap();
        assert_eq!(iv.acceleration, Some(0.0));
        assert_eq!(iv.warnings, vec![IntervalWarning::AccelerationUndefined]);
        assert!(bootstrap_interval(IntervalMethod::Bca, 1.0, &mid, &[], &[], 0.95).is_err());
        assert!(bootstrap_interval(IntervalMethod::Basic, 1.0, &[], &[], &[], 0.95).is_err());
        assert!(bootstrap_interval(IntervalMethod::Basic, f64::NAN, &mid, &[], &[], 0.95).is_err());
    }

    #[test]
    fn iterated_basic_is_the_basic_interval_moved_by_the_missed_bias() {
        let s: Vec<f64> = (0..=100).map(f64::from).collect();
        // b1 = 50 - 40 = 10; nested = s + 3 gives c = 3, b2 = 17: moved down by 7.
        let nested: Vec<f64> = s.iter().map(|x| x + 3.0).collect();
        let it =
            bootstrap_interval(IntervalMethod::IteratedBasic, 40.0, &s, &[], &nested, 0.9).unwrap();
        let basic = bootstrap_interval(IntervalMethod::Basic, 40.0, &s, &[], &[], 0.9).unwrap();
        assert_eq!(it.iterated_bias, Some(17.0));
        assert!((it.interval.low - (basic.interval.low - 7.0)).abs() < 1e-12);
        assert!((it.interval.high - (basic.interval.high - 7.0)).abs() < 1e-12);
        assert!(
            bootstrap_interval(IntervalMethod::IteratedBasic, 40.0, &s, &[], &[], 0.9).is_err()
        );
    }

    /// Against the textbook formulas written out on a small example.
    #[test]
    fn iterated_jackknife_is_the_normal_interval_around_the_iterated_correction() {
        let s: Vec<f64> = (0..=100).map(f64::from).collect();
        let nested: Vec<f64> = s.iter().map(|x| x + 3.0).collect();
        // Two groups: se² = (3/4)·Σ(x − 2.5)² over 1..4 + (1/2)·Σ(x − 6)² over 5, 7.
        let jk = vec![vec![1.0, 2.0, 3.0, 4.0], vec![5.0, 7.0]];
        let se = (0.75 * 5.0 + 0.5 * 2.0_f64).sqrt();
        assert!((jackknife_se(&jk).unwrap() - se).abs() < 1e-15);
        let iv = bootstrap_interval(
            IntervalMethod::IteratedJackknife,
            40.0,
            &s,
            &jk,
            &nested,
            0.9,
        )
        .unwrap();
        // b2 = 17 (as in the iterated-basic test); Φ⁻¹(0.95) from scipy.special.ndtri.
        let z = 1.6448536269514722;
        assert_eq!(iv.method, IntervalMethod::IteratedJackknife);
        assert_eq!(iv.iterated_bias, Some(17.0));
        assert!((iv.interval.low - (23.0 - z * se)).abs() < 1e-12, "{iv:?}");
        assert!((iv.interval.high - (23.0 + z * se)).abs() < 1e-12, "{iv:?}");
        assert!(iv.warnings.is_empty());
        // Equal jackknife values: falls back to iterated-basic, with the warning.
        let flat = bootstrap_interval(
            IntervalMethod::IteratedJackknife,
            40.0,
            &s,
            &[vec![2.0, 2.0]],
            &nested,
            0.9,
        )
        .unwrap();
        let it =
            bootstrap_interval(IntervalMethod::IteratedBasic, 40.0, &s, &[], &nested, 0.9).unwrap();
        assert_eq!(flat.method, IntervalMethod::IteratedBasic);
        assert_eq!(flat.interval, it.interval);
        assert_eq!(flat.warnings, vec![IntervalWarning::JackknifeDegenerate]);
        let m = IntervalMethod::IteratedJackknife;
        assert!(bootstrap_interval(m, 40.0, &s, &[], &nested, 0.9).is_err());
        assert!(bootstrap_interval(m, 40.0, &s, &jk, &[], 0.9).is_err());
        assert!(jackknife_se(&[vec![]]).is_err());
    }

    #[test]
    fn iterated_bias_is_twice_the_bias_minus_the_nested_one() {
        // b1 = mean(1, 2, 6) - 2 = 1; c = mean(2-1, 4-2, 9-6) = 2; b2 = 2 - 2 = 0.
        assert_eq!(
            iterated_bias(2.0, &[1.0, 2.0, 6.0], &[2.0, 4.0, 9.0]).unwrap(),
            0.0
        );
        assert!(iterated_bias(2.0, &[1.0], &[1.0, 2.0]).is_err());
        assert!(iterated_bias(2.0, &[], &[]).is_err());
        assert!(iterated_bias(2.0, &[f64::NAN], &[1.0]).is_err());
    }

    #[test]
    fn methods_parse_and_print() {
        for m in IntervalMethod::ALL {
            assert_eq!(m.as_str().parse::<IntervalMethod>().unwrap(), m);
            assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{m}\""));
        }
        assert!("BCa".parse::<IntervalMethod>().is_ok());
        assert!("student".parse::<IntervalMethod>().is_err());
    }

    #[test]
    fn pair_correction_applies_away_from_zero_only() {
        // Any jackknife values with a positive standard error.
        let jk = vec![vec![1.0, 1.2, 1.0, 1.2, 1.1]];
        let raw = jackknife_se(&jk).unwrap().powi(2);
        let samples: Vec<f64> = (0..200).map(|b| 3.0 + (b % 7) as f64 * 0.01).collect();
        let nested = samples.clone();
        let at = |estimate: f64, excess: f64| {
            bootstrap_interval_adjusted(
                IntervalMethod::IteratedJackknife,
                estimate,
                &samples,
                &jk,
                excess,
                &nested,
                0.95,
            )
            .unwrap()
        };
        let z = normal_quantile(0.975).unwrap();
        let half = |iv: &IntervalEstimate| (iv.interval.high - iv.interval.low) / 2.0;
        // Far from 0: the excess is subtracted, at most half of the variance.
        let iv = at(3.0, raw / 4.0);
        assert!((iv.jackknife_excess.unwrap() - raw / 4.0).abs() < 1e-15);
        assert!((half(&iv) - z * (0.75 * raw).sqrt()).abs() < 1e-12);
        let iv = at(3.0, raw * 10.0);
        assert!((iv.jackknife_excess.unwrap() - raw / 2.0).abs() < 1e-15);
        assert!((half(&iv) - z * (0.5 * raw).sqrt()).abs() < 1e-12);
        // Within 2 standard errors of 0: not applied.
        let iv = at(1.9 * raw.sqrt(), raw / 4.0);
        assert_eq!(iv.jackknife_excess, None);
        assert!((half(&iv) - z * raw.sqrt()).abs() < 1e-12);
        // No excess, or another method: nothing changes.
        assert_eq!(at(3.0, 0.0).jackknife_excess, None);
        let basic = |excess| {
            bootstrap_interval_adjusted(
                IntervalMethod::Basic,
                3.0,
                &samples,
                &jk,
                excess,
                &[],
                0.95,
            )
            .unwrap()
            .interval
        };
        assert_eq!(basic(0.0), basic(raw));
        // A negative or non-finite excess is refused.
        for bad in [-1e-9, f64::NAN, f64::INFINITY] {
            assert!(bootstrap_interval_adjusted(
                IntervalMethod::IteratedJackknife,
                3.0,
                &samples,
                &jk,
                bad,
                &nested,
                0.95
            )
            .is_err());
        }
    }
}
