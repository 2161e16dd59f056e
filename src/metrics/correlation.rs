//! Pearson correlation of two vectors and of every column pair of two matrices.
//!
//! Everything accumulates in f64 and stays accurate when the mean is large compared with the
//! spread (where one-pass `sum(xy) - n*mean(x)*mean(y)` loses digits): [`pearson`] uses the
//! two-pass (centred) formula; [`pearson_columns`] one pass with sums shifted by a data value,
//! falling back to two passes for the rare column where that would lose digits.

use ndarray::{s, ArrayView1, ArrayView2, CowArray, Ix2};
use rayon::prelude::*;

use super::{check_same_len, MetricsError, Result};

/// Columns handled together by one task of [`pearson_columns`]: wide enough that every row
/// segment is a long contiguous run (8 KiB of f32), narrow enough that the five per-column
/// accumulators (80 KiB) stay in L2 cache. On the encoding benchmark 512 to 2048 time the
/// same within noise and 8192 is about 10 % slower.
const COLUMN_BLOCK: usize = 2048;

/// Pearson correlation coefficient of `x` and `y`.
///
/// ```text
/// r = sum_i (x_i - mean(x)) (y_i - mean(y))
///     / sqrt( sum_i (x_i - mean(x))^2 * sum_i (y_i - mean(y))^2 )
/// ```
///
/// Symmetric in its arguments. Matches `scipy.stats.pearsonr` / `numpy.corrcoef`.
///
/// Returns `Ok(None)` when r is undefined: fewer than two points, either side constant, or a
/// non-finite value in either input. The result is clamped to [-1, 1] against rounding.
///
/// # Errors
/// [`MetricsError::LengthMismatch`] when the lengths differ.
///
/// ```
/// use brainbench::metrics::correlation::pearson;
/// let r = pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 7.0]).unwrap().unwrap();
/// assert!((r - 0.9933992677987828).abs() < 1e-15);
/// assert_eq!(pearson(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).unwrap(), None);
/// ```
pub fn pearson(x: &[f64], y: &[f64]) -> Result<Option<f64>> {
    check_same_len("pearson(x, y)", x.len(), y.len())?;
    if x.len() < 2 {
        return Ok(None);
    }
    Ok(column_pearson(ArrayView1::from(x), ArrayView1::from(y)))
}

/// r from centred sums; `None` when a side has no variance or a sum is not finite.
pub(crate) fn finish(sxy: f64, sxx: f64, syy: f64) -> Option<f64> {
    if !(sxx > 0.0 && syy > 0.0 && sxy.is_finite() && sxx.is_finite() && syy.is_finite()) {
        return None;
    }
    Some((sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// Pearson r of every column of `pred` with the same column of `truth`, both (images x
/// vertices).
///
/// ```text
/// r_v = Pearson(pred[:, v], truth[:, v])        (see [`pearson`])
/// ```
///
/// `pred` is the prediction and `truth` the measured response; r is symmetric so the order only
/// matters for the error message. Accumulates in f64 from f32 (or f64) data without copying
/// row-major matrices: the columns are cut into strips processed in parallel (rayon), each read
/// once, row by row, accumulating sums relative to the strip's first row. Columns where that
/// one-pass form would lose more than two digits are recomputed with the two-pass formula.
///
/// Entry `v` is `None` when r is undefined for that column (constant or non-finite values, or
/// fewer than two rows).
///
/// # Errors
/// [`MetricsError::ShapeMismatch`] when the shapes differ.
///
/// ```
/// use brainbench::metrics::correlation::pearson_columns;
/// use ndarray::array;
/// let p = array![[1.0f32, 5.0], [2.0, 5.0], [3.0, 5.0]];
/// let t = array![[1.0f32, 1.0], [2.0, 2.0], [4.0, 3.0]];
/// let r = pearson_columns(p.view(), t.view()).unwrap();
/// assert!((r[0].unwrap() - 0.9819805060619657).abs() < 1e-12);
/// assert_eq!(r[1], None); // constant prediction
/// ```
pub fn pearson_columns<T: Copy + Into<f64> + Sync>(
    pred: ArrayView2<T>,
    truth: ArrayView2<T>,
) -> Result<Vec<Option<f64>>> {
    if pred.dim() != truth.dim() {
        return Err(MetricsError::ShapeMismatch {
            what: "pearson_columns(pred, truth)",
            expected: truth.dim(),
            found: pred.dim(),
            hint: "predictions must have one row per test image and one column per vertex, like the truth",
        });
    }
    let (n, v) = pred.dim();
    if n < 2 {
        return Ok(vec![None; v]);
    }
    let starts: Vec<usize> = (0..v).step_by(COLUMN_BLOCK).collect();
    let blocks: Vec<Vec<Option<f64>>> = starts
        .par_iter()
        .map(|&c0| {
            let c1 = (c0 + COLUMN_BLOCK).min(v);
            let x = pred.slice(s![.., c0..c1]);
            let y = truth.slice(s![.., c0..c1]);
            let sums = shifted_sums(rows_contiguous(x).view(), rows_contiguous(y).view());
            (0..c1 - c0)
                .map(|k| match sums.centred(k) {
                    Some((sxy, sxx, syy)) => finish(sxy, sxx, syy),
                    None => column_pearson(x.column(k), y.column(k)),
                })
                .collect()
        })
        .collect();
    Ok(blocks.into_iter().flatten().collect())
}

/// How much larger than the centred sum of squares the shifted one may be before
/// [`ShiftedSums::centred`] gives up on a column: `sum d^2 / sum (x - mean)^2` is the factor by
/// which rounding error grows in `sum d^2 - (sum d)^2 / n`, so 64 costs at most two of the
/// sixteen digits. A column needs more only when its first value lies about eight standard
/// deviations from its mean.
const CONDITION_LIMIT: f64 = 64.0;

/// Rows added to the accumulators between one load and one store of them. Touching the
/// accumulators once per eight rows instead of once per row took the encoding benchmark
/// (`cargo bench --bench metrics -- encoding_score`) from 212 ms to 128 ms; 4 rows are
/// slower than 8, and 12 or 16 much slower.
const ROW_BLOCK: usize = 8;

/// Adjacent columns handled together, as fixed-size arrays the compiler keeps in SIMD
/// registers (one AVX2 register of four f64 per sum). 4 beat 2 and 8 on the benchmark.
const LANES: usize = 4;

/// Per-column sums of one strip of columns, each taken relative to the strip's first row
/// (`d = x - x[0]`, `e = y - y[0]`): shifting by a value of the data keeps the one-pass
/// formula accurate when the mean is large compared with the spread.
struct ShiftedSums {
    n: f64,
    sd: Vec<f64>,
    se: Vec<f64>,
    sdd: Vec<f64>,
    see: Vec<f64>,
    sde: Vec<f64>,
}

/// One pass, row by row, over a strip of columns (rows contiguous, at least one row).
///
/// Compiled for several instruction sets and chosen at run time. Every column adds its rows
/// in row order, and the products go through `mul_add`, a fused multiply-add that rounds
/// once whether the CPU does it or a library routine does: every version on every machine
/// gives identical bits (only CPUs older than FMA, before about 2013, take the slow routine).
#[multiversion::multiversion(targets("x86_64+avx2+fma", "x86_64+avx+fma", "aarch64+neon"))]
fn shifted_sums<'a, T: Copy + Into<f64>>(
    x: ArrayView2<'a, T>,
    y: ArrayView2<'a, T>,
) -> ShiftedSums {
    let (n, w) = x.dim();
    let rows = |m: ArrayView2<'a, T>| -> Vec<&'a [T]> {
        m.into_outer_iter()
            .map(|row| {
                row.to_slice()
                    .expect("rows_contiguous gives contiguous rows")
            })
            .collect()
    };
    let (xs, ys) = (rows(x), rows(y));
    let shift = |row: &[T]| -> Vec<f64> { row.iter().map(|&v| v.into()).collect() };
    let (kx, ky) = (shift(xs[0]), shift(ys[0]));
    let mut sums = ShiftedSums {
        n: n as f64,
        sd: vec![0.0; w],
        se: vec![0.0; w],
        sdd: vec![0.0; w],
        see: vec![0.0; w],
        sde: vec![0.0; w],
    };
    let groups = w / LANES * LANES;
    for (xb, yb) in xs[1..].chunks(ROW_BLOCK).zip(ys[1..].chunks(ROW_BLOCK)) {
        for k in (0..groups).step_by(LANES) {
            sums.add_columns::<LANES, T>(k, xb, yb, &kx, &ky);
        }
        for k in groups..w {
            sums.add_columns::<1, T>(k, xb, yb, &kx, &ky);
        }
    }
    sums
}

impl ShiftedSums {
    /// Adds a few rows (`xs[j]`, `ys[j]`) to the sums of the `L` columns from `k`: the sums are
    /// loaded once, kept in registers across the rows, and stored once.
    #[inline(always)]
    fn add_columns<const L: usize, T: Copy + Into<f64>>(
        &mut self,
        k: usize,
        xs: &[&[T]],
        ys: &[&[T]],
        kx: &[f64],
        ky: &[f64],
    ) {
        let lanes = k..k + L;
        let load =
            |v: &[f64]| -> [f64; L] { v[lanes.clone()].try_into().expect("a group has L columns") };
        let (cx, cy) = (load(kx), load(ky));
        let (mut sd, mut se) = (load(&self.sd), load(&self.se));
        let (mut sdd, mut see, mut sde) = (load(&self.sdd), load(&self.see), load(&self.sde));
        for (xr, yr) in xs.iter().zip(ys) {
            let xr: &[T; L] = xr[lanes.clone()].try_into().expect("L columns");
            let yr: &[T; L] = yr[lanes.clone()].try_into().expect("L columns");
            for l in 0..L {
                let d = xr[l].into() - cx[l];
                let e = yr[l].into() - cy[l];
                sd[l] += d;
                se[l] += e;
                sdd[l] = d.mul_add(d, sdd[l]);
                see[l] = e.mul_add(e, see[l]);
                sde[l] = d.mul_add(e, sde[l]);
            }
        }
        self.sd[lanes.clone()].copy_from_slice(&sd);
        self.se[lanes.clone()].copy_from_slice(&se);
        self.sdd[lanes.clone()].copy_from_slice(&sdd);
        self.see[lanes.clone()].copy_from_slice(&see);
        self.sde[lanes].copy_from_slice(&sde);
    }

    /// Centred (sxy, sxx, syy) of column `k`, or `None` when cancellation would cost more
    /// than [`CONDITION_LIMIT`] allows and the column must be recomputed in two passes.
    fn centred(&self, k: usize) -> Option<(f64, f64, f64)> {
        let sxx = self.sdd[k] - self.sd[k] * self.sd[k] / self.n;
        let syy = self.see[k] - self.se[k] * self.se[k] / self.n;
        let sxy = self.sde[k] - self.sd[k] * self.se[k] / self.n;
        let ill = |raw: f64, centred: f64| raw > CONDITION_LIMIT * centred;
        (!(ill(self.sdd[k], sxx) || ill(self.see[k], syy))).then_some((sxy, sxx, syy))
    }
}

/// `m` itself when each of its rows is one contiguous run (a column strip of a row-major
/// matrix), else a row-major copy (a column-major input, for example).
fn rows_contiguous<T: Copy>(m: ArrayView2<'_, T>) -> CowArray<'_, T, Ix2> {
    if m.ncols() <= 1 || m.strides()[1] == 1 {
        CowArray::from(m)
    } else {
        CowArray::from(m.as_standard_layout().into_owned())
    }
}

/// Two-pass Pearson r of one (possibly strided) column pair.
fn column_pearson<T: Copy + Into<f64>>(x: ArrayView1<T>, y: ArrayView1<T>) -> Option<f64> {
    let n = x.len() as f64;
    let mx = x.iter().map(|&v| v.into()).sum::<f64>() / n;
    let my = y.iter().map(|&v| v.into()).sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(&y) {
        let (dx, dy) = (a.into() - mx, b.into() - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    finish(sxy, sxx, syy)
}

/// Mean of every column, accumulated in f64 row by row.
pub(crate) fn column_means<T: Copy + Into<f64>>(x: ArrayView2<T>) -> Vec<f64> {
    let mut means = vec![0.0f64; x.ncols()];
    for row in x.rows() {
        for (m, &v) in means.iter_mut().zip(row) {
            *m += v.into();
        }
    }
    let inv = if x.nrows() > 0 {
        1.0 / x.nrows() as f64
    } else {
        0.0
    };
    means.iter_mut().for_each(|m| *m *= inv);
    means
}

/// `sum_i (x[i, k] - means[k])^2` for every column k (the second of two passes).
pub(crate) fn centred_squares<T: Copy + Into<f64>>(x: ArrayView2<T>, means: &[f64]) -> Vec<f64> {
    let mut sums = vec![0.0f64; x.ncols()];
    for row in x.rows() {
        for ((s, &m), &v) in sums.iter_mut().zip(means).zip(row) {
            let d = v.into() - m;
            *s += d * d;
        }
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn constant_sides_are_undefined() {
        assert_eq!(
            pearson(&[2.0; 5], &[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap(),
            None
        );
        assert_eq!(
            pearson(&[1.0, 2.0, 3.0, 4.0, 5.0], &[0.0; 5]).unwrap(),
            None
        );
    }

    #[test]
    fn too_few_and_nan_are_undefined() {
        assert_eq!(pearson(&[1.0], &[2.0]).unwrap(), None);
        assert_eq!(pearson(&[], &[]).unwrap(), None);
        assert_eq!(
            pearson(&[1.0, f64::NAN, 3.0], &[1.0, 2.0, 3.0]).unwrap(),
            None
        );
    }

    #[test]
    fn length_mismatch_is_an_error() {
        let e = pearson(&[1.0, 2.0], &[1.0, 2.0, 3.0]).unwrap_err();
        assert!(matches!(
            e,
            MetricsError::LengthMismatch {
                expected: 2,
                found: 3,
                ..
            }
        ));
    }

    #[test]
    fn invariant_to_affine_maps_and_symmetric() {
        let x = [0.3, -1.2, 4.0, 2.2, 0.0, 1.5];
        let y = [1.0, 0.5, 3.3, 2.0, -0.7, 0.9];
        let r = pearson(&x, &y).unwrap().unwrap();
        let y2: Vec<f64> = y.iter().map(|v| 1e6 + 3.0 * v).collect();
        let r2 = pearson(&x, &y2).unwrap().unwrap();
        assert!((r - r2).abs() < 1e-12, "{r} vs {r2}");
        assert_eq!(r, pearson(&y, &x).unwrap().unwrap());
        let neg: Vec<f64> = y.iter().map(|v| -v).collect();
        assert!((pearson(&x, &neg).unwrap().unwrap() + r).abs() < 1e-15);
    }

    #[test]
    fn columns_agree_with_scalar_and_mismatch_errors() {
        let a = Array2::from_shape_fn((7, 1100), |(i, j)| ((i * 31 + j * 17) % 13) as f32 * 0.5);
        let b = Array2::from_shape_fn((7, 1100), |(i, j)| ((i * 7 + j * 3) % 11) as f32 - 2.0);
        let r = pearson_columns(a.view(), b.view()).unwrap();
        assert_eq!(r.len(), 1100);
        for j in [0, 511, 512, 1099] {
            let x: Vec<f64> = a.column(j).iter().map(|&v| v as f64).collect();
            let y: Vec<f64> = b.column(j).iter().map(|&v| v as f64).collect();
            let want = pearson(&x, &y).unwrap().unwrap();
            assert!((r[j].unwrap() - want).abs() < 1e-14, "{j}");
        }
        let c = Array2::<f32>::zeros((6, 1100));
        assert!(matches!(
            pearson_columns(a.view(), c.view()),
            Err(MetricsError::ShapeMismatch { .. })
        ));
    }
    /// Columns whose first row sits far from the mean fail the shifted one-pass condition
    /// check and are recomputed in two passes; results match the scalar two-pass formula.
    #[test]
    fn ill_conditioned_columns_fall_back_to_two_passes() {
        let n = 100;
        let mut a = Array2::from_shape_fn((n, 20), |(i, j)| 1e6 + ((i * 7 + j) % 5) as f64 * 1e-3);
        let b = Array2::from_shape_fn((n, 20), |(i, j)| ((i * 3 + j * 5) % 7) as f64);
        for j in 0..20 {
            a[[0, j]] = 1e6 + 40.0; // an outlier: about ten standard deviations from the mean
        }
        let sums = shifted_sums(a.view(), b.view());
        assert!((0..20).all(|k| sums.centred(k).is_none()));
        let r = pearson_columns(a.view(), b.view()).unwrap();
        for (j, rj) in r.iter().enumerate() {
            let want = column_pearson(a.column(j), b.column(j)).unwrap();
            assert_eq!(rj.unwrap(), want, "column {j}");
        }
    }

    /// Column-major input gives the same bits as the row-major copy, for strip widths that
    /// leave a partial lane group and a partial row block.
    #[test]
    fn column_major_input_matches_row_major() {
        let (n, v) = (13, 1037);
        let a = Array2::from_shape_fn((n, v), |(i, j)| {
            ((i * 31 + j * 17) % 23) as f32 * 0.25 - 1.0
        });
        let b = Array2::from_shape_fn((n, v), |(i, j)| ((i * 11 + j * 29) % 19) as f32);
        let (af, bf) = (
            a.t().as_standard_layout().into_owned().reversed_axes(),
            b.t().as_standard_layout().into_owned().reversed_axes(),
        );
        assert!(af.t().is_standard_layout());
        let r = pearson_columns(a.view(), b.view()).unwrap();
        assert_eq!(r, pearson_columns(af.view(), bf.view()).unwrap());
        for j in (0..v).step_by(97) {
            let want = column_pearson(a.column(j), b.column(j)).unwrap();
            assert!((r[j].unwrap() - want).abs() < 1e-14, "{j}");
        }
    }
}
