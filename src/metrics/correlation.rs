//! Pearson correlation of two vectors and of every column pair of two matrices.
//!
//! Both use the two-pass (centred) formula in f64, which stays accurate when the mean is large
//! compared with the spread (one-pass `sum(xy) - n*mean(x)*mean(y)` loses digits there).

use ndarray::{s, ArrayView2};
use rayon::prelude::*;

use super::{check_same_len, MetricsError, Result};

/// Columns handled together by one task of [`pearson_columns`]: wide enough that every row
/// segment is a long contiguous run, narrow enough that the five per-column accumulators stay
/// in L1/L2 cache.
const COLUMN_BLOCK: usize = 512;

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
    let n = x.len();
    if n < 2 {
        return Ok(None);
    }
    let mx = x.iter().sum::<f64>() / n as f64;
    let my = y.iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    Ok(finish(sxy, sxx, syy))
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
/// matters for the error message. Accumulates in f64 from f32 (or f64) data without copying the
/// matrices: the columns are cut into blocks processed in parallel (rayon), each with two
/// row-wise passes (means, then centred products) over contiguous row segments.
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
    let starts: Vec<usize> = (0..v).step_by(COLUMN_BLOCK).collect();
    let blocks: Vec<Vec<Option<f64>>> = starts
        .par_iter()
        .map(|&c0| {
            let c1 = (c0 + COLUMN_BLOCK).min(v);
            let sums = centred_sums(pred.slice(s![.., c0..c1]), truth.slice(s![.., c0..c1]));
            (0..c1 - c0)
                .map(|k| {
                    if n < 2 {
                        None
                    } else {
                        finish(sums.sxy[k], sums.sxx[k], sums.syy[k])
                    }
                })
                .collect()
        })
        .collect();
    Ok(blocks.into_iter().flatten().collect())
}

/// Per-column centred sums of one block of columns.
pub(crate) struct CentredSums {
    /// Column means of the first matrix.
    pub mx: Vec<f64>,
    /// Column means of the second matrix.
    pub my: Vec<f64>,
    /// sum (x - mx)(y - my) per column.
    pub sxy: Vec<f64>,
    /// sum (x - mx)^2 per column.
    pub sxx: Vec<f64>,
    /// sum (y - my)^2 per column.
    pub syy: Vec<f64>,
}

/// Two row-wise passes over a block: column means, then centred cross and square sums.
pub(crate) fn centred_sums<T: Copy + Into<f64>>(x: ArrayView2<T>, y: ArrayView2<T>) -> CentredSums {
    let (n, w) = x.dim();
    let mut mx = vec![0.0f64; w];
    let mut my = vec![0.0f64; w];
    for (xr, yr) in x.rows().into_iter().zip(y.rows()) {
        for ((a, b), (&xv, &yv)) in mx
            .iter_mut()
            .zip(my.iter_mut())
            .zip(xr.iter().zip(yr.iter()))
        {
            *a += xv.into();
            *b += yv.into();
        }
    }
    let inv = if n > 0 { 1.0 / n as f64 } else { 0.0 };
    mx.iter_mut().chain(my.iter_mut()).for_each(|m| *m *= inv);
    let mut sxy = vec![0.0f64; w];
    let mut sxx = vec![0.0f64; w];
    let mut syy = vec![0.0f64; w];
    for (xr, yr) in x.rows().into_iter().zip(y.rows()) {
        let acc = sxy.iter_mut().zip(sxx.iter_mut().zip(syy.iter_mut()));
        let means = mx.iter().zip(my.iter());
        for (((&xv, &yv), (&mxk, &myk)), (a, (b, c))) in
            xr.iter().zip(yr.iter()).zip(means).zip(acc)
        {
            let dx = xv.into() - mxk;
            let dy = yv.into() - myk;
            *a += dx * dy;
            *b += dx * dx;
            *c += dy * dy;
        }
    }
    CentredSums {
        mx,
        my,
        sxy,
        sxx,
        syy,
    }
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
}
