//! Ordinary least squares with an intercept, one regression per target, as scikit-learn's
//! `LinearRegression()` computes it (`linear_model/_base.py`): the features and targets are
//! centred with their training means and the coefficients are the minimum-norm least-squares
//! solution of the centred problem (`scipy.linalg.lstsq`, LAPACK `gelsd`), here from one thin SVD
//! of the centred features shared by every target:
//!
//! ```text
//! Xc = X - mean(X) = U diag(s) Vᵀ
//! coef      = V diag(1/s) Uᵀ (Y - mean(Y))        (singular values below s_max·ε·max(n, p) dropped)
//! intercept = mean(Y) - mean(X) · coef
//! ```
//!
//! The Algonauts 2023 devkit fits this per vertex on 100 principal components.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use ndarray::{Array1, Array2, ArrayView2};

use super::{
    affine_f64, check_finite, check_not_empty, column_mean_std, faer_view, Element, FitError,
    Result,
};

/// A fitted least-squares model.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearModel {
    coef: Array2<f64>,
    intercept: Array1<f64>,
}

impl LinearModel {
    /// Fits one regression per column of `y` on the rows of `x` (images × features).
    pub fn fit<T: Element>(x: ArrayView2<T>, y: ArrayView2<f32>) -> Result<Self> {
        check_not_empty("features", &x)?;
        check_not_empty("targets", &y)?;
        if x.nrows() != y.nrows() {
            return Err(FitError::RowMismatch {
                x_rows: x.nrows(),
                y_rows: y.nrows(),
            });
        }
        check_finite("features", &x)?;
        check_finite("targets", &y)?;
        let (n, p) = x.dim();
        let t = y.ncols();
        let (x_mean, _) = column_mean_std(&x);
        let (y_mean, _) = column_mean_std(&y);
        let xc = affine_f64(&x, &x_mean, &vec![1.0; p]);
        let yc = affine_f64(&y, &y_mean, &vec![1.0; t]);
        let svd = faer_view(&xc)
            .thin_svd()
            .map_err(|_| FitError::SvdNoConvergence {
                what: "the centred features".into(),
            })?;
        let s = svd.S().column_vector();
        let k = s.nrows();
        let s_max = (0..k).map(|i| s[i]).fold(0.0, f64::max);
        let cutoff = s_max * f64::EPSILON * n.max(p) as f64;
        // Uᵀ Yc scaled by 1/s (0 for dropped singular values), then V times that.
        let mut uty = Mat::<f64>::zeros(k, t);
        matmul(
            uty.as_mut(),
            Accum::Replace,
            svd.U().transpose(),
            faer_view(&yc),
            1.0,
            Par::rayon(0),
        );
        for i in 0..k {
            let inv = if s[i] > cutoff { 1.0 / s[i] } else { 0.0 };
            for j in 0..t {
                uty[(i, j)] *= inv;
            }
        }
        let mut coef = Mat::<f64>::zeros(p, t);
        matmul(
            coef.as_mut(),
            Accum::Replace,
            svd.V(),
            uty.as_ref(),
            1.0,
            Par::rayon(0),
        );
        let coef = Array2::from_shape_fn((p, t), |(i, j)| coef[(i, j)]);
        let intercept = Array1::from_shape_fn(t, |j| {
            y_mean[j]
                - x_mean
                    .iter()
                    .enumerate()
                    .map(|(i, m)| m * coef[[i, j]])
                    .sum::<f64>()
        });
        Ok(LinearModel { coef, intercept })
    }

    /// Predictions `x · coef + intercept` (accumulated in `f64`, returned as `f32`).
    pub fn predict<T: Element>(&self, x: ArrayView2<T>) -> Result<Array2<f32>> {
        if x.ncols() != self.coef.nrows() {
            return Err(FitError::FeatureMismatch {
                input: "features",
                expected: self.coef.nrows(),
                found: x.ncols(),
            });
        }
        check_finite("features", &x)?;
        let xf = x.mapv(Element::to_f64);
        let pred = xf.dot(&self.coef) + &self.intercept;
        Ok(pred.mapv(|v| v as f32))
    }

    /// Coefficients (features × targets).
    pub fn coef(&self) -> &Array2<f64> {
        &self.coef
    }

    /// Intercepts, one per target.
    pub fn intercept(&self) -> &Array1<f64> {
        &self.intercept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_an_exact_linear_map_and_its_intercept() {
        let x = Array2::from_shape_fn((20, 3), |(i, j)| ((i * 7 + j * 5) % 13) as f64 + j as f64);
        let y = Array2::from_shape_fn((20, 2), |(i, t)| {
            (2.0 * x[[i, 0]] - x[[i, 2]] + 3.0 + t as f64) as f32
        });
        let m = LinearModel::fit(x.view(), y.view()).unwrap();
        assert!((m.coef()[[0, 0]] - 2.0).abs() < 1e-6, "{:?}", m.coef());
        assert!((m.coef()[[1, 0]]).abs() < 1e-6);
        assert!((m.intercept()[1] - 4.0).abs() < 1e-5, "{:?}", m.intercept());
        let p = m.predict(x.view()).unwrap();
        assert!((p[[4, 1]] - y[[4, 1]]).abs() < 1e-4);
    }

    #[test]
    fn a_duplicated_feature_gets_the_minimum_norm_split() {
        let x = Array2::from_shape_fn((10, 2), |(i, _)| i as f64);
        let y = Array2::from_shape_fn((10, 1), |(i, _)| 2.0 * i as f32);
        let m = LinearModel::fit(x.view(), y.view()).unwrap();
        assert!((m.coef()[[0, 0]] - 1.0).abs() < 1e-9 && (m.coef()[[1, 0]] - 1.0).abs() < 1e-9);
    }
}
