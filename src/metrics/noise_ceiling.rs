//! Noise ceilings of the encoding track: NSD's ncsnr from repeated trials, the Algonauts 2023
//! devkit's ceiling for a test split, and Brain-Score's split-half ceiling (the alternative).

use ndarray::{s, ArrayView2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::correlation::{centred_squares, column_means};
use super::{MetricsError, Result};

/// Columns per parallel task (see `correlation`).
const COLUMN_BLOCK: usize = 512;

/// Single-trial responses of one subject and hemisphere: one row per trial, one column per
/// vertex, and for each trial the image it showed. Trials of one image need not be adjacent.
#[derive(Debug, Clone, Copy)]
pub struct TrialResponses<'a> {
    responses: ArrayView2<'a, f32>,
    image_of_trial: &'a [usize],
    n_images: usize,
}

impl<'a> TrialResponses<'a> {
    /// Wraps `responses` (trials x vertices) and `image_of_trial` (one image index per trial,
    /// images numbered `0..n_images`).
    ///
    /// # Errors
    /// [`MetricsError::LengthMismatch`] when there is not one image index per row.
    pub fn new(responses: ArrayView2<'a, f32>, image_of_trial: &'a [usize]) -> Result<Self> {
        if responses.nrows() != image_of_trial.len() {
            return Err(MetricsError::LengthMismatch {
                what: "TrialResponses: image_of_trial vs rows of responses",
                expected: responses.nrows(),
                found: image_of_trial.len(),
                hint: "give exactly one image index per trial (row)",
            });
        }
        let n_images = image_of_trial.iter().max().map_or(0, |m| m + 1);
        Ok(Self {
            responses,
            image_of_trial,
            n_images,
        })
    }

    /// The trials (row indices) of every image `0..n_images`.
    pub fn trials_per_image(&self) -> Vec<Vec<usize>> {
        let mut groups = vec![Vec::new(); self.n_images];
        for (t, &i) in self.image_of_trial.iter().enumerate() {
            groups[i].push(t);
        }
        groups
    }

    /// Number of vertices (columns).
    pub fn n_vertices(&self) -> usize {
        self.responses.ncols()
    }
}

/// What the total variance of a vertex is taken to be in the ncsnr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TotalVariance {
    /// Betas z-scored per session (NSD): the total variance is 1. The default.
    #[default]
    ZScored,
    /// Betas not z-scored: the variance of all single trials of the vertex, with ddof = 0.
    ///
    /// ddof = 0 because z-scoring (`scipy.stats.zscore`, used for NSD's betas) divides by the
    /// ddof-0 standard deviation, so on z-scored data of one session this variant returns
    /// exactly the variance 1 that [`TotalVariance::ZScored`] assumes: the two agree.
    AllTrials,
}

/// Noise-ceiling signal-to-noise ratio of every vertex from repeated trials (NSD, Allen et al.
/// 2022, *Nat. Neurosci.* 25:116, Methods "Noise ceiling").
///
/// ```text
/// sigma_noise^2  = mean over images with >= 2 trials of var_t(y[i, t])   (ddof = 1)
/// sigma_signal^2 = max(0, total - sigma_noise^2)     total = 1 (z-scored) or var of all trials
/// ncsnr          = sigma_signal / sigma_noise
/// ```
///
/// A vertex with no trial-to-trial variation (sigma_noise = 0) gets `+inf` when it has signal
/// and 0 otherwise; [`noise_ceiling`] maps `+inf` to a ceiling of 1.
///
/// # Errors
/// [`MetricsError::TooFew`] when no image has two trials (the noise is then unmeasurable).
pub fn ncsnr(trials: &TrialResponses, total: TotalVariance) -> Result<Vec<f64>> {
    let groups: Vec<Vec<usize>> = trials
        .trials_per_image()
        .into_iter()
        .filter(|g| g.len() >= 2)
        .collect();
    if groups.is_empty() {
        return Err(MetricsError::TooFew {
            what: "ncsnr: images with at least two trials",
            needed: 1,
            found: 0,
            hint: "the noise variance needs repeated presentations of some image; check image_of_trial",
        });
    }
    let y = trials.responses;
    let v = y.ncols();
    let starts: Vec<usize> = (0..v).step_by(COLUMN_BLOCK).collect();
    let out: Vec<Vec<f64>> = starts
        .par_iter()
        .map(|&c0| {
            let c1 = (c0 + COLUMN_BLOCK).min(v);
            let w = c1 - c0;
            let block = y.slice(s![.., c0..c1]);
            let mut noise = vec![0.0f64; w];
            let mut mean = vec![0.0f64; w];
            for g in &groups {
                mean.iter_mut().for_each(|m| *m = 0.0);
                for &t in g {
                    for (m, &x) in mean.iter_mut().zip(block.row(t)) {
                        *m += x as f64;
                    }
                }
                let k = g.len() as f64;
                mean.iter_mut().for_each(|m| *m /= k);
                for &t in g {
                    for ((acc, m), &x) in noise.iter_mut().zip(&mean).zip(block.row(t)) {
                        let d = x as f64 - m;
                        *acc += d * d / (k - 1.0);
                    }
                }
            }
            let totals: Vec<f64> = match total {
                TotalVariance::ZScored => vec![1.0; w],
                TotalVariance::AllTrials => {
                    let n = block.nrows() as f64;
                    let squares = centred_squares(block, &column_means(block));
                    squares.iter().map(|s| s / n).collect()
                }
            };
            noise
                .iter()
                .zip(totals)
                .map(|(&ns, tot)| {
                    let noise_var = ns / groups.len() as f64;
                    let signal_var = (tot - noise_var).max(0.0);
                    if noise_var > 0.0 {
                        (signal_var / noise_var).sqrt()
                    } else if signal_var > 0.0 {
                        f64::INFINITY
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    Ok(out.into_iter().flatten().collect())
}

/// Noise ceiling of a test split from the ncsnr (Algonauts 2023 devkit,
/// `challenge_data_preparation.py`), as a fraction in [0, 1].
///
/// ```text
/// norm = (A/3 + B/2 + C/1) / (A + B + C)       A, B, C = test images with 3, 2, 1 trials
/// NC_v = ncsnr_v^2 / (ncsnr_v^2 + norm)
/// ```
///
/// `trials_per_image` gives the number of trials averaged for each test image. `norm` is the
/// mean of `1/k` over the test images, which is the devkit formula for k in {1, 2, 3} and its
/// natural extension (the noise variance of a k-trial mean is sigma_noise^2 / k) otherwise. An
/// infinite ncsnr gives NC = 1.
///
/// # Errors
/// [`MetricsError::TooFew`] when no test image is given; [`MetricsError::OutOfRange`] for an
/// image with 0 trials or a negative or NaN ncsnr.
///
/// ```
/// use brainbench::metrics::noise_ceiling::noise_ceiling;
/// // norm = (1/3 + 1/2 + 1) / 3 = 11/18
/// let nc = noise_ceiling(&[1.0], &[3, 2, 1]).unwrap();
/// assert!((nc[0] - 1.0 / (1.0 + 11.0 / 18.0)).abs() < 1e-15);
/// ```
pub fn noise_ceiling(ncsnr: &[f64], trials_per_image: &[usize]) -> Result<Vec<f64>> {
    if trials_per_image.is_empty() {
        return Err(MetricsError::TooFew {
            what: "noise_ceiling: test images",
            needed: 1,
            found: 0,
            hint: "pass the number of trials of every test image",
        });
    }
    if let Some(i) = trials_per_image.iter().position(|&k| k == 0) {
        return Err(MetricsError::OutOfRange {
            what: "noise_ceiling: trials per test image",
            index: vec![i],
            value: 0.0,
            expected: ">= 1",
            hint: "a test image with no trial has no response; drop it from the test split",
        });
    }
    let norm = trials_per_image
        .iter()
        .map(|&k| 1.0 / k as f64)
        .sum::<f64>()
        / trials_per_image.len() as f64;
    ncsnr
        .iter()
        .enumerate()
        .map(|(v, &x)| {
            if x.is_nan() || x < 0.0 {
                Err(MetricsError::OutOfRange {
                    what: "noise_ceiling: ncsnr",
                    index: vec![v],
                    value: x,
                    expected: "[0, +inf]",
                    hint: "ncsnr is a ratio of standard deviations; recompute it with `ncsnr`",
                })
            } else if x.is_infinite() {
                Ok(1.0)
            } else {
                Ok(x * x / (x * x + norm))
            }
        })
        .collect()
}

/// Number of random splits [`split_half_ceiling`] averages over (Brain-Score's default).
pub const SPLIT_HALF_SPLITS: usize = 10;

/// Split-half reliability of every vertex, Spearman-Brown corrected and averaged over
/// `n_splits` seeded random splits (Brain-Score, `metrics/internal_consistency/ceiling.py`).
///
/// ```text
/// for each split s: shuffle the trials of every image, half A = first floor(k/2), B = the rest
///     r_s,v  = Pearson over images of (mean of A, mean of B)
///     sb_s,v = 2 r_s,v / (1 + r_s,v)
/// ceiling_v = mean_s sb_s,v
/// ```
///
/// Images with a single trial cannot be split: they are left out (they carry no information
/// about reliability). Entry `v` is `None` when r is undefined in some split or r = -1 (the
/// correction diverges). The split of split `s` uses `ChaCha8Rng` seeded with `seed` and
/// stream `s`, so results are reproducible.
///
/// # Errors
/// [`MetricsError::TooFew`] when fewer than 3 images have two or more trials, or
/// `n_splits == 0`.
pub fn split_half_ceiling(
    trials: &TrialResponses,
    n_splits: usize,
    seed: u64,
) -> Result<Vec<Option<f64>>> {
    let groups: Vec<Vec<usize>> = trials
        .trials_per_image()
        .into_iter()
        .filter(|g| g.len() >= 2)
        .collect();
    if groups.len() < 3 || n_splits == 0 {
        return Err(MetricsError::TooFew {
            what: if n_splits == 0 {
                "split_half_ceiling: splits"
            } else {
                "split_half_ceiling: images with at least two trials"
            },
            needed: if n_splits == 0 { 1 } else { 3 },
            found: if n_splits == 0 { 0 } else { groups.len() },
            hint: "a split-half ceiling needs repeated trials of several images and at least one split",
        });
    }
    let y = trials.responses;
    let v = y.ncols();
    let mut total: Vec<Option<f64>> = vec![Some(0.0); v];
    for split in 0..n_splits {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(split as u64);
        let mut half_a = ndarray::Array2::<f64>::zeros((groups.len(), v));
        let mut half_b = ndarray::Array2::<f64>::zeros((groups.len(), v));
        for (i, g) in groups.iter().enumerate() {
            let mut g = g.clone();
            g.shuffle(&mut rng);
            let (a, b) = g.split_at(g.len() / 2);
            for (half, rows) in [(&mut half_a, a), (&mut half_b, b)] {
                let mut out = half.row_mut(i);
                for &t in rows {
                    out.zip_mut_with(&y.row(t), |o, &x| *o += x as f64);
                }
                out.mapv_inplace(|s| s / rows.len() as f64);
            }
        }
        let r = super::correlation::pearson_columns(half_a.view(), half_b.view())?;
        for (acc, r) in total.iter_mut().zip(r) {
            *acc = match (*acc, r) {
                (Some(s), Some(r)) if r > -1.0 => Some(s + 2.0 * r / (1.0 + r)),
                _ => None,
            };
        }
    }
    Ok(total
        .into_iter()
        .map(|t| t.map(|s| s / n_splits as f64))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn noiseless_repeats_give_ceiling_one() {
        // 4 images x 2 identical trials, 3 vertices with different signal
        let img = [0usize, 1, 2, 3, 0, 1, 2, 3];
        let y = Array2::from_shape_fn((8, 3), |(t, v)| ((img[t] * (v + 2)) % 5) as f32 + v as f32);
        let tr = TrialResponses::new(y.view(), &img).unwrap();
        let sh = split_half_ceiling(&tr, 4, 7).unwrap();
        for c in sh {
            assert!((c.unwrap() - 1.0).abs() < 1e-12);
        }
        let s = ncsnr(&tr, TotalVariance::AllTrials).unwrap();
        assert!(s.iter().all(|x| x.is_infinite()));
        assert_eq!(noise_ceiling(&s, &[2, 2]).unwrap(), vec![1.0; 3]);
    }

    #[test]
    fn split_half_is_deterministic_given_seed() {
        let img: Vec<usize> = (0..30).map(|t| t % 10).collect();
        let y = Array2::from_shape_fn((30, 4), |(t, v)| ((t * 7 + v * 13) % 17) as f32);
        let tr = TrialResponses::new(y.view(), &img).unwrap();
        assert_eq!(
            split_half_ceiling(&tr, 10, 1).unwrap(),
            split_half_ceiling(&tr, 10, 1).unwrap()
        );
    }

    #[test]
    fn bad_inputs_are_errors() {
        let y = Array2::<f32>::zeros((3, 2));
        assert!(TrialResponses::new(y.view(), &[0, 1]).is_err());
        let tr = TrialResponses::new(y.view(), &[0, 1, 2]).unwrap();
        assert!(matches!(
            ncsnr(&tr, TotalVariance::ZScored),
            Err(MetricsError::TooFew { .. })
        ));
        assert!(split_half_ceiling(&tr, 10, 0).is_err());
        assert!(noise_ceiling(&[1.0], &[]).is_err());
        assert!(noise_ceiling(&[1.0], &[1, 0]).is_err());
        assert!(noise_ceiling(&[f64::NAN], &[1]).is_err());
    }

    #[test]
    fn constant_vertex_has_zero_ncsnr_when_not_zscored() {
        let img = [0usize, 0, 1, 1];
        let y = Array2::<f32>::from_elem((4, 1), 2.0);
        let tr = TrialResponses::new(y.view(), &img).unwrap();
        assert_eq!(ncsnr(&tr, TotalVariance::AllTrials).unwrap(), vec![0.0]);
    }
}
