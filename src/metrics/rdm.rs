//! Representational dissimilarity matrices (Kriegeskorte et al. 2008), stored condensed.

use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;
use serde::Serialize;

use super::{MetricsError, Result};

/// How two patterns' dissimilarity is measured (scipy `pdist` metric names in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Dissimilarity {
    /// `1 - Pearson r` of the two patterns (`"correlation"`): the Algonauts default.
    #[default]
    Correlation,
    /// Euclidean distance (`"euclidean"`).
    Euclidean,
    /// `1 - cosine similarity` (`"cosine"`).
    Cosine,
}

/// An RDM of `n` stimuli: the strict upper triangle in row-major order, i.e. entries (0,1),
/// (0,2), ..., (0,n-1), (1,2), ... — scipy's condensed form. The diagonal is zero and the lower
/// triangle mirrors the upper, so nothing else is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Rdm {
    n: usize,
    upper: Vec<f64>,
}

/// Default tolerance of [`Rdm::from_square`] for asymmetry and a non-zero diagonal: loose enough
/// for RDMs that went through float32 files, tight enough to catch a similarity matrix.
pub const SQUARE_TOLERANCE: f64 = 1e-6;

impl Rdm {
    /// Builds an RDM from its condensed upper triangle (see the type doc).
    ///
    /// # Errors
    /// [`MetricsError::TooFew`] for n < 3 (fewer than two pairs cannot be compared),
    /// [`MetricsError::LengthMismatch`] when `upper.len() != n (n - 1) / 2`,
    /// [`MetricsError::NonFinite`].
    pub fn from_upper(n: usize, upper: Vec<f64>) -> Result<Self> {
        check_n(n)?;
        if upper.len() != n * (n - 1) / 2 {
            return Err(MetricsError::LengthMismatch {
                what: "RDM condensed upper triangle",
                expected: n * (n - 1) / 2,
                found: upper.len(),
                hint: "a condensed RDM of n images has n (n - 1) / 2 entries",
            });
        }
        super::check_finite("RDM entry (condensed index)", &upper)?;
        Ok(Self { n, upper })
    }

    /// Builds an RDM from a full square matrix, checking it is one.
    ///
    /// # Errors
    /// [`MetricsError::NotSquare`]; [`MetricsError::TooFew`] for n < 3;
    /// [`MetricsError::NonFinite`] with the (row, column) of the first bad entry;
    /// [`MetricsError::Asymmetric`] when `|a_ij - a_ji| > tolerance * max(1, |a_ij|)`;
    /// [`MetricsError::NonZeroDiagonal`] when `|a_ii| > tolerance`.
    pub fn from_square(m: ArrayView2<f64>, tolerance: f64) -> Result<Self> {
        let (rows, cols) = m.dim();
        if rows != cols {
            return Err(MetricsError::NotSquare { rows, cols });
        }
        check_n(rows)?;
        if let Some(((i, j), &v)) = m.indexed_iter().find(|(_, v)| !v.is_finite()) {
            return Err(MetricsError::NonFinite {
                what: "RDM entry (row, column)",
                index: vec![i, j],
                value: v,
                hint: "an RDM must be finite everywhere; recompute it or check the file",
            });
        }
        for i in 0..rows {
            if m[(i, i)].abs() > tolerance {
                return Err(MetricsError::NonZeroDiagonal {
                    i,
                    value: m[(i, i)],
                    tolerance,
                });
            }
        }
        let mut upper = Vec::with_capacity(rows * (rows - 1) / 2);
        for i in 0..rows {
            for j in i + 1..rows {
                let (a, b) = (m[(i, j)], m[(j, i)]);
                if (a - b).abs() > tolerance * a.abs().max(1.0) {
                    return Err(MetricsError::Asymmetric {
                        i,
                        j,
                        a_ij: a,
                        a_ji: b,
                        tolerance,
                    });
                }
                upper.push(a);
            }
        }
        Ok(Self { n: rows, upper })
    }

    /// The RDM of `patterns` (images x features) under `dissimilarity`; same values as
    /// `scipy.spatial.distance.pdist(patterns, metric)`.
    ///
    /// ```text
    /// Correlation: d_ij = 1 - Pearson(p_i, p_j)
    /// Euclidean:   d_ij = sqrt(sum_k (p_ik - p_jk)^2)
    /// Cosine:      d_ij = 1 - p_i . p_j / (|p_i| |p_j|)
    /// ```
    ///
    /// Rows are processed in parallel; sums are in f64.
    ///
    /// # Errors
    /// [`MetricsError::TooFew`] for fewer than 3 images or no feature;
    /// [`MetricsError::NonFinite`]; [`MetricsError::DegeneratePattern`] for a constant pattern
    /// (correlation) or an all-zero pattern (cosine), whose dissimilarity is undefined.
    ///
    /// ```
    /// use brainbench::metrics::rdm::{Dissimilarity, Rdm};
    /// use ndarray::array;
    /// let p = array![[1.0f32, 2.0, 3.0], [3.0, 2.0, 1.0], [1.0, 2.0, 4.0]];
    /// let rdm = Rdm::from_patterns(p.view(), Dissimilarity::Correlation).unwrap();
    /// assert!((rdm.upper()[0] - 2.0).abs() < 1e-15); // r = -1
    /// ```
    pub fn from_patterns<T: Copy + Into<f64> + Sync>(
        patterns: ArrayView2<T>,
        dissimilarity: Dissimilarity,
    ) -> Result<Self> {
        let (n, f) = patterns.dim();
        check_n(n)?;
        if f == 0 {
            return Err(MetricsError::TooFew {
                what: "RDM patterns: features",
                needed: 1,
                found: 0,
                hint: "each image needs a pattern of at least one feature",
            });
        }
        // Rows in f64, transformed so that the dissimilarity is a function of two rows.
        let mut rows: Vec<Vec<f64>> = Vec::with_capacity(n);
        for (i, row) in patterns.rows().into_iter().enumerate() {
            let mut x: Vec<f64> = row.iter().map(|&v| v.into()).collect();
            if let Some(k) = x.iter().position(|v| !v.is_finite()) {
                return Err(MetricsError::NonFinite {
                    what: "RDM pattern (image, feature)",
                    index: vec![i, k],
                    value: x[k],
                    hint: "patterns must be finite; check the features or responses",
                });
            }
            match dissimilarity {
                Dissimilarity::Euclidean => {}
                Dissimilarity::Correlation | Dissimilarity::Cosine => {
                    if dissimilarity == Dissimilarity::Correlation {
                        let m = x.iter().sum::<f64>() / f as f64;
                        x.iter_mut().for_each(|v| *v -= m);
                    }
                    let norm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
                    if norm == 0.0 {
                        return Err(MetricsError::DegeneratePattern {
                            index: i,
                            problem: if dissimilarity == Dissimilarity::Correlation {
                                "constant pattern: its correlation with any other is undefined"
                            } else {
                                "all-zero pattern: its cosine with any other is undefined"
                            },
                            hint: "drop the image or use the Euclidean dissimilarity",
                        });
                    }
                    x.iter_mut().for_each(|v| *v /= norm);
                }
            }
            rows.push(x);
        }
        let per_row: Vec<Vec<f64>> = (0..n)
            .into_par_iter()
            .map(|i| {
                (i + 1..n)
                    .map(|j| {
                        let (a, b) = (&rows[i], &rows[j]);
                        match dissimilarity {
                            Dissimilarity::Euclidean => a
                                .iter()
                                .zip(b)
                                .map(|(x, y)| (x - y) * (x - y))
                                .sum::<f64>()
                                .sqrt(),
                            _ => 1.0 - a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>(),
                        }
                    })
                    .collect()
            })
            .collect();
        Ok(Self {
            n,
            upper: per_row.into_iter().flatten().collect(),
        })
    }

    /// Number of stimuli.
    pub fn n(&self) -> usize {
        self.n
    }

    /// The condensed strict upper triangle (row-major, i < j).
    pub fn upper(&self) -> &[f64] {
        &self.upper
    }

    /// Index of pair (i, j), i < j, in [`Rdm::upper`].
    fn index(&self, i: usize, j: usize) -> usize {
        i * self.n - i * (i + 1) / 2 + (j - i - 1)
    }

    /// Entry (i, j) of the square matrix (0 on the diagonal).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        match i.cmp(&j) {
            std::cmp::Ordering::Equal => 0.0,
            std::cmp::Ordering::Less => self.upper[self.index(i, j)],
            std::cmp::Ordering::Greater => self.upper[self.index(j, i)],
        }
    }

    /// The full symmetric (n x n) matrix with a zero diagonal.
    pub fn to_square(&self) -> Array2<f64> {
        Array2::from_shape_fn((self.n, self.n), |(i, j)| self.get(i, j))
    }

    /// The dissimilarities of a bootstrap sample of stimuli: for every pair of positions
    /// a < b of `indices`, the entry `(indices[a], indices[b])` — except when both positions hold
    /// the same stimulus, since an image's dissimilarity with its own copy is 0 by construction
    /// and not data (SCIENCE.md §3). The pairs are in row-major order over positions, so all
    /// RDMs selected with the same `indices` stay aligned. The result is a vector, not an
    /// [`Rdm`], because the dropped pairs leave no square matrix.
    ///
    /// # Errors
    /// [`MetricsError::OutOfRange`] for an index `>= n`.
    pub fn select(&self, indices: &[usize]) -> Result<Vec<f64>> {
        if let Some(a) = indices.iter().position(|&i| i >= self.n) {
            return Err(MetricsError::OutOfRange {
                what: "RDM select: stimulus index (position given)",
                index: vec![a],
                value: indices[a] as f64,
                expected: "below the RDM's number of stimuli",
                hint: "resample indices must be stimulus numbers of this RDM",
            });
        }
        let mut out = Vec::with_capacity(indices.len() * indices.len().saturating_sub(1) / 2);
        for (a, &i) in indices.iter().enumerate() {
            for &j in &indices[a + 1..] {
                if i != j {
                    out.push(self.get(i, j));
                }
            }
        }
        Ok(out)
    }
}

fn check_n(n: usize) -> Result<()> {
    if n < 3 {
        return Err(MetricsError::TooFew {
            what: "RDM stimuli",
            needed: 3,
            found: n,
            hint: "an RDM needs at least 3 images to have two pairs to compare",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn square() -> Array2<f64> {
        array![
            [0.0, 1.0, 2.0, 3.0],
            [1.0, 0.0, 4.0, 5.0],
            [2.0, 4.0, 0.0, 6.0],
            [3.0, 5.0, 6.0, 0.0]
        ]
    }

    #[test]
    fn square_round_trip_and_indexing() {
        let r = Rdm::from_square(square().view(), SQUARE_TOLERANCE).unwrap();
        assert_eq!(r.upper(), &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(r.to_square(), square());
        assert_eq!(Rdm::from_upper(4, r.upper().to_vec()).unwrap(), r);
    }

    #[test]
    fn square_checks_name_the_offending_entry() {
        let mut m = square();
        m[(2, 1)] = 4.5;
        assert_eq!(
            Rdm::from_square(m.view(), 1e-6).unwrap_err(),
            MetricsError::Asymmetric {
                i: 1,
                j: 2,
                a_ij: 4.0,
                a_ji: 4.5,
                tolerance: 1e-6
            }
        );
        let mut m = square();
        m[(3, 3)] = 1.0;
        assert!(matches!(
            Rdm::from_square(m.view(), 1e-6),
            Err(MetricsError::NonZeroDiagonal { i: 3, .. })
        ));
        let mut m = square();
        m[(0, 2)] = f64::NAN;
        assert!(matches!(
            Rdm::from_square(m.view(), 1e-6),
            Err(MetricsError::NonFinite { ref index, .. }) if index == &vec![0, 2]
        ));
        let m = Array2::<f64>::zeros((3, 4));
        assert!(matches!(
            Rdm::from_square(m.view(), 1e-6),
            Err(MetricsError::NotSquare { .. })
        ));
        let m = Array2::<f64>::zeros((2, 2));
        assert!(matches!(
            Rdm::from_square(m.view(), 1e-6),
            Err(MetricsError::TooFew { .. })
        ));
        assert!(Rdm::from_upper(4, vec![1.0; 5]).is_err());
    }

    #[test]
    fn select_drops_self_pairs_and_keeps_order() {
        let r = Rdm::from_square(square().view(), SQUARE_TOLERANCE).unwrap();
        // positions: 2, 0, 2, 3 -> pairs (2,0)=2, (2,2) dropped, (2,3)=6, (0,2)=2, (0,3)=3, (2,3)=6
        assert_eq!(
            r.select(&[2, 0, 2, 3]).unwrap(),
            vec![2.0, 6.0, 2.0, 3.0, 6.0]
        );
        assert_eq!(r.select(&[0, 1, 2, 3]).unwrap(), r.upper());
        assert!(r.select(&[0, 4]).is_err());
    }

    #[test]
    fn degenerate_patterns_are_errors() {
        let p = array![[1.0, 1.0], [1.0, 2.0], [2.0, 1.0]];
        assert!(matches!(
            Rdm::from_patterns(p.view(), Dissimilarity::Correlation),
            Err(MetricsError::DegeneratePattern { index: 0, .. })
        ));
        let p = array![[0.0, 0.0], [1.0, 2.0], [2.0, 1.0]];
        assert!(Rdm::from_patterns(p.view(), Dissimilarity::Cosine).is_err());
        let e = Rdm::from_patterns(p.view(), Dissimilarity::Euclidean).unwrap();
        assert!((e.get(1, 2) - 2f64.sqrt()).abs() < 1e-15);
        assert_eq!(e.get(2, 1), e.get(1, 2));
    }
}
