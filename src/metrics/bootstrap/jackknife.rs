//! Jackknife (leave-one-out) values of the scores, over the same unit the bootstrap resamples:
//! what BCa's acceleration needs ([`super::interval::acceleration`]).
//!
//! Each function returns one `Vec` per independently resampled group, in the order
//! [`super::interval::bootstrap_interval`] takes them.

use rayon::prelude::*;

use super::encoding::resampling_groups;
use super::rsa::{check, RsaRoi};
use crate::metrics::correlation::{centred_squares, column_means, finish};
use crate::metrics::encoding::{nnea, EncodingBlock};
use crate::metrics::rsa::CentredRanks;
use crate::metrics::{MetricsError, Result};

/// Leave-one-image-out values of the pooled encoding score, one group per resampling group
/// (blocks with the same [`EncodingBlock::subject`] lose the same image, as they are resampled
/// together by [`super::encoding::bootstrap_encoding`]); groups in order of first appearance.
///
/// ```text
/// θ̂_(g,i) = (1/V) [ Σ_{blocks in g} Σ_v NNEA(r_v without image i)
///                    + Σ_{other blocks} Σ_v NNEA(r_v) ]
/// ```
///
/// Cheap: per vertex, the sums `Σy, Σp, Σy², Σp², Σyp` over all images (centred by the
/// full-sample means) minus image i's own terms give the leave-one-out Pearson r, O(n V) in
/// all. An r whose leave-one-out variance falls below 1e-12 of the full one is undefined and
/// scores 0, as in the bootstrap.
///
/// # Errors
/// As [`super::encoding::bootstrap_encoding`]; [`MetricsError::TooFew`] for a group with
/// fewer than 3 images.
pub fn jackknife_encoding<T: Copy + Into<f64> + Sync>(
    blocks: &[EncodingBlock<T>],
) -> Result<Vec<Vec<f64>>> {
    let groups = resampling_groups(blocks)?;
    let total_vertices: usize = blocks.iter().map(|b| b.truth.ncols()).sum();
    // Per block: full NNEA sum and, per image, the NNEA sum with that image left out.
    let per_block: Vec<(f64, Vec<f64>)> = blocks.iter().map(|b| block_jackknife(b)).collect();
    let full: f64 = per_block.iter().map(|(f, _)| f).sum();
    groups
        .iter()
        .map(|&(g, n)| {
            if n < 3 {
                return Err(MetricsError::TooFew {
                    what: "jackknife: test images of a resampling group",
                    needed: 3,
                    found: n,
                    hint: "a Pearson r left one image out needs at least 2 images",
                });
            }
            let mut sums = vec![full; n];
            for (b, (f, loo)) in blocks.iter().zip(&per_block) {
                if b.subject == g {
                    sums.iter_mut().zip(loo).for_each(|(s, l)| *s += l - f);
                }
            }
            Ok(sums.iter().map(|s| s / total_vertices as f64).collect())
        })
        .collect()
}

/// The block's full NNEA sum and its leave-one-image-out sums.
fn block_jackknife<T: Copy + Into<f64> + Sync>(block: &EncodingBlock<T>) -> (f64, Vec<f64>) {
    let (n, v) = block.truth.dim();
    let (mean_y, mean_p) = (column_means(block.truth), column_means(block.pred));
    let (var_y, var_p) = (
        centred_squares(block.truth, &mean_y),
        centred_squares(block.pred, &mean_p),
    );
    // Totals of the centred values: Σy and Σp are 0 up to rounding, but kept for exactness.
    let mut tot = vec![[0.0f64; 5]; v];
    let centred = |i: usize, k: usize| {
        (
            block.truth[[i, k]].into() - mean_y[k],
            block.pred[[i, k]].into() - mean_p[k],
        )
    };
    for i in 0..n {
        for (k, t) in tot.iter_mut().enumerate() {
            let (y, p) = centred(i, k);
            t[0] += y;
            t[1] += p;
            t[2] += y * y;
            t[3] += p * p;
            t[4] += y * p;
        }
    }
    let score = |s: [f64; 5], m: f64, k: usize| {
        let vy = s[2] - s[0] * s[0] / m;
        let vp = s[3] - s[1] * s[1] / m;
        let cov = s[4] - s[0] * s[1] / m;
        let defined = vy > REL_VARIANCE_FLOOR * var_y[k] && vp > REL_VARIANCE_FLOOR * var_p[k];
        nnea(
            if defined { finish(cov, vy, vp) } else { None },
            block.nc[k],
        )
    };
    let full: f64 = (0..v).map(|k| score(tot[k], n as f64, k)).sum();
    let loo = (0..n)
        .into_par_iter()
        .map(|i| {
            (0..v)
                .map(|k| {
                    let (y, p) = centred(i, k);
                    let t = tot[k];
                    let s = [t[0] - y, t[1] - p, t[2] - y * y, t[3] - p * p, t[4] - y * p];
                    score(s, (n - 1) as f64, k)
                })
                .sum()
        })
        .collect();
    (full, loo)
}

/// As in `bootstrap/encoding.rs`: a variance below this share of the full one is zero.
const REL_VARIANCE_FLOOR: f64 = 1e-12;

/// Leave-one-stimulus-out values of the overall RSA score `mean_roi mean_s rho_s²`: row and
/// column i dropped from every RDM (one group: the stimuli are resampled jointly).
///
/// ```text
/// θ̂_(i) = mean_roi mean_s Spearman(upper(model without i), upper(RDM_s without i))²
/// ```
///
/// Undefined correlations count 0, as in the score.
///
/// # Errors
/// As [`super::rsa::bootstrap_rsa_stimuli`] (the configuration aside).
pub fn jackknife_rsa_stimuli(rois: &[RsaRoi]) -> Result<Vec<f64>> {
    let (n, _) = check(rois)?;
    (0..n)
        .into_par_iter()
        .map(|i| {
            let keep: Vec<usize> = (0..n).filter(|&k| k != i).collect();
            let mut total = 0.0;
            for roi in rois {
                let model = CentredRanks::new(&roi.model.select(&keep)?)?;
                let mut r2 = 0.0;
                for s in roi.subjects {
                    let rho = model.spearman(&CentredRanks::new(&s.select(&keep)?)?);
                    r2 += rho.unwrap_or(0.0).powi(2);
                }
                total += r2 / roi.subjects.len() as f64;
            }
            Ok(total / rois.len() as f64)
        })
        .collect()
}

/// Leave-one-subject-out values of the overall RSA score (the subject bootstrap's unit):
///
/// ```text
/// θ̂_(k) = mean_roi mean_{s ≠ k} rho_{roi,s}²
/// ```
///
/// # Errors
/// As [`super::rsa::bootstrap_rsa_subjects`]; [`MetricsError::TooFew`] with one subject.
pub fn jackknife_rsa_subjects(rois: &[RsaRoi]) -> Result<Vec<f64>> {
    let (_, s) = check(rois)?;
    if s < 2 {
        return Err(MetricsError::TooFew {
            what: "jackknife over subjects",
            needed: 2,
            found: s,
            hint: "leaving one subject out needs at least two subjects",
        });
    }
    let rho2 = super::rsa::squared_rho(rois)?;
    Ok((0..s)
        .map(|k| {
            rho2.iter()
                .map(|r| (r.iter().sum::<f64>() - r[k]) / (s - 1) as f64)
                .sum::<f64>()
                / rois.len() as f64
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::encoding::score_block;
    use crate::metrics::rdm::Rdm;
    use crate::metrics::rsa::roi_score;
    use ndarray::{Array2, Axis};

    #[test]
    fn encoding_jackknife_matches_naive_recomputation() {
        let mk = |a: usize, b: usize| {
            Array2::from_shape_fn((12, 9), move |(i, v)| {
                (((i * a + v * b) % 13) as f32) + if v == 8 { 0.0 } else { 0.1 * i as f32 }
            })
        };
        let (p0, t0, p1, t1, p2, t2) =
            (mk(5, 3), mk(7, 2), mk(3, 1), mk(11, 4), mk(2, 9), mk(4, 4));
        let nc: Vec<f64> = (0..9).map(|v| 0.05 + v as f64 / 12.0).collect();
        // Blocks 0 and 1 share subject 7 (two hemispheres), block 2 is subject 2.
        let blocks = [
            EncodingBlock {
                pred: p0.view(),
                truth: t0.view(),
                nc: &nc,
                subject: 7,
            },
            EncodingBlock {
                pred: p1.view(),
                truth: t1.view(),
                nc: &nc,
                subject: 7,
            },
            EncodingBlock {
                pred: p2.view(),
                truth: t2.view(),
                nc: &nc,
                subject: 2,
            },
        ];
        let jk = jackknife_encoding(&blocks).unwrap();
        assert_eq!(jk.len(), 2);
        let naive = |drop: &[Option<usize>]| -> f64 {
            let mut sum = 0.0;
            for (b, d) in blocks.iter().zip(drop) {
                let keep: Vec<usize> = (0..12).filter(|&i| Some(i) != *d).collect();
                let p = b.pred.select(Axis(0), &keep);
                let t = b.truth.select(Axis(0), &keep);
                let blk = EncodingBlock {
                    pred: p.view(),
                    truth: t.view(),
                    nc: b.nc,
                    subject: 0,
                };
                sum += score_block(&blk).unwrap().nnea.iter().sum::<f64>();
            }
            sum / 27.0
        };
        assert_eq!((jk[0].len(), jk[1].len()), (12, 12));
        for (i, (got7, got2)) in jk[0].iter().zip(&jk[1]).enumerate() {
            let want7 = naive(&[Some(i), Some(i), None]);
            let want2 = naive(&[None, None, Some(i)]);
            assert!((got7 - want7).abs() < 1e-9, "{i}: {got7} vs {want7}");
            assert!((got2 - want2).abs() < 1e-9, "{i}: {got2} vs {want2}");
        }
    }

    use crate::metrics::bootstrap::test_rdm as rdm;

    #[test]
    fn rsa_jackknives_match_naive_recomputation() {
        let n = 9;
        let models = [rdm(0, n), rdm(20, n)];
        let subjects: Vec<Vec<Rdm>> = (0..2)
            .map(|r| (1..5).map(|s| rdm(s + 10 * r, n)).collect())
            .collect();
        let rois: Vec<RsaRoi> = models
            .iter()
            .zip(&subjects)
            .map(|(m, s)| RsaRoi {
                model: m,
                subjects: s,
            })
            .collect();
        let jk = jackknife_rsa_stimuli(&rois).unwrap();
        let sub = |r: &Rdm, keep: &[usize]| {
            Rdm::from_square(
                r.to_square()
                    .select(Axis(0), keep)
                    .select(Axis(1), keep)
                    .view(),
                0.0,
            )
            .unwrap()
        };
        assert_eq!(jk.len(), n);
        for (i, got) in jk.iter().enumerate() {
            let keep: Vec<usize> = (0..n).filter(|&k| k != i).collect();
            let want: f64 = rois
                .iter()
                .map(|roi| {
                    let subj: Vec<Rdm> = roi.subjects.iter().map(|s| sub(s, &keep)).collect();
                    roi_score("x", &sub(roi.model, &keep), &subj, 1.0)
                        .unwrap()
                        .r2
                })
                .sum::<f64>()
                / 2.0;
            assert!((got - want).abs() < 1e-12, "{i}: {got} vs {want}");
        }
        let js = jackknife_rsa_subjects(&rois).unwrap();
        assert_eq!(js.len(), 4);
        for (k, got) in js.iter().enumerate() {
            let want: f64 = rois
                .iter()
                .map(|roi| {
                    let subj: Vec<Rdm> = roi
                        .subjects
                        .iter()
                        .enumerate()
                        .filter(|&(s, _)| s != k)
                        .map(|(_, r)| r.clone())
                        .collect();
                    roi_score("x", roi.model, &subj, 1.0).unwrap().r2
                })
                .sum::<f64>()
                / 2.0;
            assert!((got - want).abs() < 1e-12);
        }
        let one = [RsaRoi {
            model: &models[0],
            subjects: &subjects[0][..1],
        }];
        assert!(jackknife_rsa_subjects(&one).is_err());
    }
}
