//! The encoding-track score (Algonauts 2023 devkit, `03_test_encoding.py`): noise-normalised
//! encoding accuracy (NNEA) per vertex and its pooled summary.

use ndarray::ArrayView2;
use serde::Serialize;

use super::bootstrap::median;
use super::correlation::pearson_columns;
use super::{MetricsError, Result};

/// The value the devkit substitutes for a noise ceiling of exactly 0, so that such a vertex
/// scores 100 when r > 0 and 0 otherwise instead of dividing by zero.
pub const NC_FLOOR: f64 = 1e-14;

/// Noise-normalised encoding accuracy of one vertex, in percent (devkit `03_test_encoding.py`).
///
/// ```text
/// r    = max(r, 0)                    (negative correlations count as 0)
/// NC   = 1e-14 where NC == 0
/// NNEA = min(100 * r^2 / NC, 100)
/// ```
///
/// `r` is `Pearson(pred[:, v], truth[:, v])`; an undefined r (`None`) scores 0. `nc` is the
/// ceiling as a fraction in [0, 1] (checked by [`score_block`], not here).
///
/// ```
/// use brainbench::metrics::encoding::nnea;
/// assert_eq!(nnea(Some(0.5), 0.5), 50.0);
/// assert_eq!(nnea(Some(-0.5), 0.5), 0.0);
/// assert_eq!(nnea(Some(0.1), 0.0), 100.0);
/// assert_eq!(nnea(None, 0.5), 0.0);
/// ```
pub fn nnea(r: Option<f64>, nc: f64) -> f64 {
    let r = r.unwrap_or(0.0).max(0.0);
    let nc = if nc == 0.0 { NC_FLOOR } else { nc };
    (100.0 * r * r / nc).min(100.0)
}

/// One target block of a submission: predictions and truth of one subject and hemisphere,
/// (test images x vertices), and the vertices' noise ceilings.
#[derive(Debug, Clone, Copy)]
pub struct EncodingBlock<'a, T> {
    /// Predicted responses, (test images x vertices).
    pub pred: ArrayView2<'a, T>,
    /// Measured responses, same shape as `pred`.
    pub truth: ArrayView2<'a, T>,
    /// Noise ceiling of every vertex as a fraction in [0, 1].
    pub nc: &'a [f64],
    /// Resampling group: blocks with the same id (the hemispheres of one subject) share their
    /// bootstrap resamples of test images, so they must have the same number of images.
    pub subject: u64,
}

/// Counts of the special cases, reported beside every score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EncodingCounts {
    /// Vertices scored.
    pub n_vertices: usize,
    /// Vertices whose noise ceiling was 0 (scored with NC = 1e-14).
    pub n_nc_zero: usize,
    /// Vertices whose `100 r^2 / NC` exceeded 100 and was clipped to 100.
    pub n_clipped: usize,
    /// Vertices whose r was undefined (constant or non-finite prediction or truth): scored 0.
    pub n_undefined_r: usize,
}

impl EncodingCounts {
    fn add(&mut self, other: &EncodingCounts) {
        self.n_vertices += other.n_vertices;
        self.n_nc_zero += other.n_nc_zero;
        self.n_clipped += other.n_clipped;
        self.n_undefined_r += other.n_undefined_r;
    }
}

/// Per-vertex results of one block.
#[derive(Debug, Clone, PartialEq)]
pub struct VertexScores {
    /// Raw Pearson r per vertex (before clipping negatives); `None` when undefined.
    pub r: Vec<Option<f64>>,
    /// NNEA per vertex, percent.
    pub nnea: Vec<f64>,
    /// Special cases in this block.
    pub counts: EncodingCounts,
}

/// Checks that every noise ceiling is a fraction in [0, 1].
pub(crate) fn check_nc(nc: &[f64]) -> Result<()> {
    match nc.iter().position(|&c| !(0.0..=1.0).contains(&c)) {
        None => Ok(()),
        Some(v) => Err(MetricsError::OutOfRange {
            what: "noise ceiling",
            index: vec![v],
            value: nc[v],
            expected: "[0, 1]",
            hint: "noise ceilings must be fractions; if yours are percentages divide them by 100",
        }),
    }
}

/// Checks a block's shapes: pred and truth alike, one ceiling per vertex.
pub(crate) fn check_block<T>(b: &EncodingBlock<T>) -> Result<()> {
    if b.pred.dim() != b.truth.dim() {
        return Err(MetricsError::ShapeMismatch {
            what: "encoding block: predictions vs truth",
            expected: b.truth.dim(),
            found: b.pred.dim(),
            hint: "predictions must have one row per test image and one column per vertex",
        });
    }
    if b.nc.len() != b.truth.ncols() {
        return Err(MetricsError::LengthMismatch {
            what: "encoding block: noise ceilings vs vertices",
            expected: b.truth.ncols(),
            found: b.nc.len(),
            hint: "pass the noise ceiling of the same hemisphere as the responses",
        });
    }
    check_nc(b.nc)
}

/// Scores every vertex of one block with [`nnea`] and counts the special cases.
///
/// # Errors
/// [`MetricsError::ShapeMismatch`] / [`MetricsError::LengthMismatch`] for inconsistent shapes,
/// [`MetricsError::OutOfRange`] for a ceiling outside [0, 1] or NaN.
pub fn score_block<T: Copy + Into<f64> + Sync>(block: &EncodingBlock<T>) -> Result<VertexScores> {
    check_block(block)?;
    let r = pearson_columns(block.pred, block.truth)?;
    let mut counts = EncodingCounts {
        n_vertices: r.len(),
        ..Default::default()
    };
    let nnea: Vec<f64> = r
        .iter()
        .zip(block.nc)
        .map(|(&r, &nc)| {
            counts.n_undefined_r += r.is_none() as usize;
            counts.n_nc_zero += (nc == 0.0) as usize;
            let rp = r.unwrap_or(0.0).max(0.0);
            counts.n_clipped +=
                (100.0 * rp * rp / if nc == 0.0 { NC_FLOOR } else { nc } > 100.0) as usize;
            nnea(r, nc)
        })
        .collect();
    Ok(VertexScores { r, nnea, counts })
}

/// A named set of vertices (a subject, an ROI, ...) given as indices into the pooled vertex
/// order: the blocks' vertices concatenated in the order the blocks are passed. A vertex may
/// belong to several groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VertexGroup {
    /// Group label, e.g. `subj01` or `subj01/FFA-1`.
    pub name: String,
    /// Pooled vertex indices.
    pub vertices: Vec<usize>,
}

/// Mean NNEA over one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupMean {
    /// The group's label.
    pub name: String,
    /// Mean NNEA (percent); `None` for an empty group.
    pub mean: Option<f64>,
    /// Vertices in the group.
    pub n_vertices: usize,
}

/// The encoding score of a submission and what to report beside it (SCIENCE.md §1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EncodingSummary {
    /// The challenge score: mean NNEA over all vertices of all blocks (pooled), percent.
    pub mean: f64,
    /// Median NNEA over all vertices (numpy's median: middle two averaged).
    pub median: f64,
    /// Mean raw Pearson r over the vertices where r is defined (negatives included); `None`
    /// if r is undefined everywhere.
    pub mean_r: Option<f64>,
    /// Mean NNEA per requested group.
    pub groups: Vec<GroupMean>,
    /// Special cases over all blocks.
    pub counts: EncodingCounts,
}

/// Pools the per-vertex scores of several blocks and summarises them.
///
/// ```text
/// mean   = (1 / sum_b V_b) * sum_b sum_v NNEA_{b,v}
/// median = numpy.median of the pooled NNEA
/// mean_r = mean of the defined raw r
/// ```
///
/// # Errors
/// [`MetricsError::TooFew`] when there is no vertex; [`MetricsError::OutOfRange`] when a group
/// names a vertex index beyond the pooled count.
pub fn summarise(blocks: &[VertexScores], groups: &[VertexGroup]) -> Result<EncodingSummary> {
    let pooled: Vec<f64> = blocks.iter().flat_map(|b| b.nnea.iter().copied()).collect();
    if pooled.is_empty() {
        return Err(MetricsError::TooFew {
            what: "encoding summary: vertices",
            needed: 1,
            found: 0,
            hint: "pass at least one block with at least one vertex",
        });
    }
    let mut counts = EncodingCounts::default();
    blocks.iter().for_each(|b| counts.add(&b.counts));
    let mean = pooled.iter().sum::<f64>() / pooled.len() as f64;
    let median = median(&pooled)?;
    let (sr, nr) = blocks
        .iter()
        .flat_map(|b| b.r.iter().flatten())
        .fold((0.0, 0usize), |(s, n), &r| (s + r, n + 1));
    let groups = groups
        .iter()
        .map(|g| {
            if let Some(&bad) = g.vertices.iter().find(|&&v| v >= pooled.len()) {
                return Err(MetricsError::OutOfRange {
                    what: "vertex group index",
                    index: vec![bad],
                    value: bad as f64,
                    expected: "below the pooled number of vertices",
                    hint: "group indices count vertices across the blocks in the order passed",
                });
            }
            let s: f64 = g.vertices.iter().map(|&v| pooled[v]).sum();
            Ok(GroupMean {
                name: g.name.clone(),
                mean: (!g.vertices.is_empty()).then(|| s / g.vertices.len() as f64),
                n_vertices: g.vertices.len(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(EncodingSummary {
        mean,
        median,
        mean_r: (nr > 0).then(|| sr / nr as f64),
        groups,
        counts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn special_cases_are_scored_and_counted() {
        // v0: perfect r, NC 0.5 -> clipped 200 -> 100; v1: constant pred -> undefined -> 0;
        // v2: negative r -> 0; v3: NC 0 with r > 0 -> 100, counted nc_zero and clipped.
        let pred = array![
            [1.0f32, 2.0, 3.0, 1.0],
            [2.0, 2.0, 2.0, 2.0],
            [3.0, 2.0, 1.0, 4.0]
        ];
        let truth = array![
            [1.0f32, 1.0, 1.0, 1.0],
            [2.0, 5.0, 2.0, 3.0],
            [3.0, 2.0, 3.0, 4.0]
        ];
        let nc = [0.5, 0.5, 0.5, 0.0];
        let b = EncodingBlock {
            pred: pred.view(),
            truth: truth.view(),
            nc: &nc,
            subject: 1,
        };
        let s = score_block(&b).unwrap();
        assert_eq!(s.nnea, vec![100.0, 0.0, 0.0, 100.0]);
        assert_eq!(
            s.counts,
            EncodingCounts {
                n_vertices: 4,
                n_nc_zero: 1,
                n_clipped: 2,
                n_undefined_r: 1
            }
        );
        let groups = [VertexGroup {
            name: "first-two".into(),
            vertices: vec![0, 1],
        }];
        let sum = summarise(&[s.clone(), s], &groups).unwrap();
        assert_eq!(sum.mean, 50.0);
        assert_eq!(sum.median, 50.0);
        assert_eq!(sum.groups[0].mean, Some(50.0));
        assert_eq!(sum.counts.n_vertices, 8);
    }

    #[test]
    fn bad_inputs_are_errors() {
        let p = array![[1.0f32, 2.0], [2.0, 1.0], [0.0, 0.5]];
        let b = EncodingBlock {
            pred: p.view(),
            truth: p.view(),
            nc: &[0.5, 50.0],
            subject: 0,
        };
        assert!(matches!(
            score_block(&b),
            Err(MetricsError::OutOfRange { .. })
        ));
        let b = EncodingBlock {
            pred: p.view(),
            truth: p.view(),
            nc: &[0.5, f64::NAN],
            subject: 0,
        };
        assert!(matches!(
            score_block(&b),
            Err(MetricsError::OutOfRange { .. })
        ));
        let b = EncodingBlock {
            pred: p.view(),
            truth: p.view(),
            nc: &[0.5],
            subject: 0,
        };
        assert!(matches!(
            score_block(&b),
            Err(MetricsError::LengthMismatch { .. })
        ));
        let q = p.t();
        let b = EncodingBlock {
            pred: q,
            truth: p.view(),
            nc: &[0.5, 0.5],
            subject: 0,
        };
        assert!(matches!(
            score_block(&b),
            Err(MetricsError::ShapeMismatch { .. })
        ));
        assert!(summarise(&[], &[]).is_err());
        let s = score_block(&EncodingBlock {
            pred: p.view(),
            truth: p.view(),
            nc: &[0.5, 0.5],
            subject: 0,
        })
        .unwrap();
        let g = [VertexGroup {
            name: "x".into(),
            vertices: vec![2],
        }];
        assert!(summarise(&[s], &g).is_err());
    }
}
