//! Bootstrap of the pooled encoding score over test images, all resamples at once.
//!
//! A resample re-weights the test images by how often each was drawn (`c_b`, summing to n), so
//! every weighted sum a resample needs is one row of `C · M`, with `C` the (B x n) matrix of
//! counts and `M = [Y, P, Y², P², YP]` (n x 5V, each column centred by its full-sample mean
//! first so the weighted variances do not cancel catastrophically). That product is computed
//! by `faer` on all cores, in vertex chunks to bound memory; nothing is re-sliced per resample.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;

use super::{percentile_interval, resample_counts, BootstrapConfig, BootstrapResult};
use crate::metrics::correlation::{centred_squares, column_means, finish};
use crate::metrics::encoding::{check_block, nnea, EncodingBlock};
use crate::metrics::{MetricsError, Result};

/// Vertices per chunk: `5 * CHUNK * (n + B)` f64 of scratch, about 50 MB for n = 395,
/// B = 1000.
const CHUNK: usize = 1024;

/// A resampled variance below this fraction of the full-sample one is treated as zero (all
/// draws of a vertex equal): r is then undefined and the vertex scores 0, as in
/// [`crate::metrics::encoding::score_block`].
const REL_VARIANCE_FLOOR: f64 = 1e-12;

/// Bootstrap of the pooled encoding score (SCIENCE.md §1 and §3): per resample `b`, the mean
/// NNEA over all vertices of all blocks with every subject's test images resampled.
///
/// ```text
/// for b in 0..B, for each subject s: c_s,b = resample_counts(seed, s, n_s, b)
///     r_b,v  = weighted Pearson(pred[:, v], truth[:, v]; weights c_s,b)
///     score_b = mean over pooled vertices of NNEA(r_b,v, NC_v)
/// interval = percentile interval of score_b at cfg.level
/// ```
///
/// Blocks with the same [`EncodingBlock::subject`] (hemispheres) share their counts. The
/// weighted Pearson equals Pearson on the resampled rows (an image drawn k times is k rows).
///
/// # Errors
/// As [`crate::metrics::encoding::score_block`]; [`MetricsError::LengthMismatch`] when blocks
/// of one subject have different numbers of images; an invalid `cfg`; no vertex.
pub fn bootstrap_encoding<T: Copy + Into<f64> + Sync>(
    blocks: &[EncodingBlock<T>],
    cfg: &BootstrapConfig,
) -> Result<BootstrapResult> {
    let samples = resample_scores(blocks, cfg, |s, n, b| resample_counts(cfg.seed, s, n, b))?;
    let interval = percentile_interval(&samples, cfg.level)?;
    Ok(BootstrapResult { samples, interval })
}

/// One second-level resample per resample (Davison & Hinkley 1997, §3.9): for every `b`, the
/// pooled score on images drawn with replacement from resample `b`'s own images
/// ([`super::nested_resample_counts`]). What [`super::interval::iterated_bias`] needs.
///
/// ```text
/// θ**_b = score on resample_indices(b)[nested positions of b]
/// ```
///
/// # Errors
/// As [`bootstrap_encoding`].
pub fn bootstrap_encoding_nested<T: Copy + Into<f64> + Sync>(
    blocks: &[EncodingBlock<T>],
    cfg: &BootstrapConfig,
) -> Result<Vec<f64>> {
    resample_scores(blocks, cfg, |s, n, b| {
        super::nested_resample_counts(cfg.seed, s, n, b)
    })
}

/// The pooled score of every resample whose image counts `counts(group, n, b)` gives.
fn resample_scores<T: Copy + Into<f64> + Sync>(
    blocks: &[EncodingBlock<T>],
    cfg: &BootstrapConfig,
    counts_of: impl Fn(u64, usize, usize) -> Vec<u32> + Sync,
) -> Result<Vec<f64>> {
    cfg.check()?;
    let subjects = resampling_groups(blocks)?;
    let total_vertices: usize = blocks.iter().map(|b| b.truth.ncols()).sum();
    let nb = cfg.n_resamples;
    // Counts per subject, column-major (n x B): column b is resample b.
    let counts: Vec<(u64, Vec<f64>)> = subjects
        .iter()
        .map(|&(s, n)| {
            let cols: Vec<Vec<u32>> = (0..nb)
                .into_par_iter()
                .map(|b| counts_of(s, n, b))
                .collect();
            (s, cols.into_iter().flatten().map(f64::from).collect())
        })
        .collect();
    let mut sums = vec![0.0f64; nb];
    for block in blocks {
        let c = &counts
            .iter()
            .find(|(s, _)| *s == block.subject)
            .expect("collected above")
            .1;
        block_sums(block, c, nb, &mut sums);
    }
    Ok(sums.iter().map(|s| s / total_vertices as f64).collect())
}

/// The resampling groups of `blocks` (their distinct [`EncodingBlock::subject`] ids, in order
/// of first appearance) with their numbers of test images, once every block is checked and
/// the blocks of a group agree on that number.
pub(crate) fn resampling_groups<T>(blocks: &[EncodingBlock<T>]) -> Result<Vec<(u64, usize)>> {
    let mut subjects: Vec<(u64, usize)> = Vec::new();
    for b in blocks {
        check_block(b)?;
        let n = b.truth.nrows();
        match subjects.iter().find(|(s, _)| *s == b.subject) {
            Some(&(_, m)) if m != n => {
                return Err(MetricsError::LengthMismatch {
                    what: "bootstrap: test images of two blocks of the same subject",
                    expected: m,
                    found: n,
                    hint: "both hemispheres of a subject must cover the same test images",
                })
            }
            Some(_) => {}
            None => subjects.push((b.subject, n)),
        }
    }
    if blocks.iter().all(|b| b.truth.ncols() == 0) {
        return Err(MetricsError::TooFew {
            what: "bootstrap: vertices",
            needed: 1,
            found: 0,
            hint: "pass at least one block with at least one vertex",
        });
    }
    Ok(subjects)
}

/// Adds, for every resample, the sum of NNEA over the block's vertices to `sums`.
fn block_sums<T: Copy + Into<f64> + Sync>(
    block: &EncodingBlock<T>,
    counts: &[f64],
    nb: usize,
    sums: &mut [f64],
) {
    let (n, v) = block.truth.dim();
    let nf = n as f64;
    let ct = MatRef::from_column_major_slice(counts, n, nb);
    let mut mbuf = vec![0.0f64; n * 5 * CHUNK.min(v)];
    let mut obuf = vec![0.0f64; nb * 5 * CHUNK.min(v)];
    for c0 in (0..v).step_by(CHUNK) {
        let w = CHUNK.min(v - c0);
        let pred = block.pred.slice(ndarray::s![.., c0..c0 + w]);
        let truth = block.truth.slice(ndarray::s![.., c0..c0 + w]);
        let (mean_y, mean_p) = (column_means(truth), column_means(pred));
        let (var_y, var_p) = (
            centred_squares(truth, &mean_y),
            centred_squares(pred, &mean_p),
        );
        // M^T, column-major (5w x n): image i's 5w values are contiguous.
        let m = &mut mbuf[..n * 5 * w];
        m.par_chunks_mut(5 * w)
            .zip(truth.outer_iter().into_par_iter().zip(pred.outer_iter()))
            .for_each(|(col, (yr, pr))| {
                let (cy, rest) = col.split_at_mut(w);
                let (cp, rest) = rest.split_at_mut(w);
                let (cyy, rest) = rest.split_at_mut(w);
                let (cpp, cyp) = rest.split_at_mut(w);
                for k in 0..w {
                    let y = yr[k].into() - mean_y[k];
                    let p = pr[k].into() - mean_p[k];
                    cy[k] = y;
                    cp[k] = p;
                    cyy[k] = y * y;
                    cpp[k] = p * p;
                    cyp[k] = y * p;
                }
            });
        let mt = MatRef::from_column_major_slice(&*m, 5 * w, n);
        let out = &mut obuf[..5 * w * nb];
        matmul(
            MatMut::from_column_major_slice_mut(out, 5 * w, nb),
            Accum::Replace,
            mt,
            ct,
            1.0,
            Par::rayon(0),
        );
        let nc = &block.nc[c0..c0 + w];
        let partial: Vec<f64> = out
            .par_chunks(5 * w)
            .map(|col| {
                let (sy, rest) = col.split_at(w);
                let (sp, rest) = rest.split_at(w);
                let (syy, rest) = rest.split_at(w);
                let (spp, syp) = rest.split_at(w);
                (0..w)
                    .map(|k| {
                        let vy = syy[k] - sy[k] * sy[k] / nf;
                        let vp = spp[k] - sp[k] * sp[k] / nf;
                        let cov = syp[k] - sy[k] * sp[k] / nf;
                        let defined = vy > REL_VARIANCE_FLOOR * var_y[k]
                            && vp > REL_VARIANCE_FLOOR * var_p[k];
                        let r = if defined { finish(cov, vy, vp) } else { None };
                        nnea(r, nc[k])
                    })
                    .sum()
            })
            .collect();
        sums.iter_mut().zip(partial).for_each(|(s, p)| *s += p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::encoding::score_block;
    use ndarray::Array2;

    #[test]
    fn matches_resample_by_resample_and_blocks_must_agree() {
        let pred = Array2::from_shape_fn((40, 30), |(i, v)| ((i * 13 + v * 7) % 17) as f32);
        let truth = Array2::from_shape_fn((40, 30), |(i, v)| ((i * 13 + v * 5) % 19) as f32);
        let nc: Vec<f64> = (0..30).map(|v| 0.2 + v as f64 / 50.0).collect();
        let b = EncodingBlock {
            pred: pred.view(),
            truth: truth.view(),
            nc: &nc,
            subject: 4,
        };
        let cfg = BootstrapConfig {
            n_resamples: 20,
            seed: 3,
            level: 0.9,
        };
        // The score of the rows `idx`, recomputed from scratch.
        let direct = |idx: &[usize]| {
            let p = pred.select(ndarray::Axis(0), idx);
            let t = truth.select(ndarray::Axis(0), idx);
            let rb = EncodingBlock {
                pred: p.view(),
                truth: t.view(),
                nc: &nc,
                subject: 4,
            };
            score_block(&rb).unwrap().nnea.iter().sum::<f64>() / 30.0
        };
        let res = bootstrap_encoding(&[b], &cfg).unwrap();
        for (k, &got) in res.samples.iter().enumerate() {
            let want = direct(&crate::metrics::bootstrap::resample_indices(3, 4, 40, k));
            assert!(
                (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                "{k}: {got} vs {want}"
            );
        }
        let nested = bootstrap_encoding_nested(&[b], &cfg).unwrap();
        for (k, &got) in nested.iter().enumerate().take(5) {
            let want = direct(&crate::metrics::bootstrap::nested_resample_indices(
                3, 4, 40, k,
            ));
            assert!(
                (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                "nested {k}"
            );
        }
        let short = truth.slice(ndarray::s![..39, ..]);
        let b2 = EncodingBlock {
            pred: short,
            truth: short,
            nc: &nc,
            subject: 4,
        };
        assert!(matches!(
            bootstrap_encoding(&[b, b2], &cfg),
            Err(MetricsError::LengthMismatch { .. })
        ));
    }
}
