//! Principal component analysis fitted on training images, as scikit-learn's
//! `PCA(svd_solver="full")` computes it (`sklearn/decomposition/_pca.py`, `_fit_full`), e.g. to
//! reduce CNN features to 100 components before the linear read-out of the Algonauts 2023 devkit
//! baseline.
//!
//! ```text
//! X - mean = U diag(s) Vᵀ                       (thin SVD of the centred training features)
//! components        = rows of Vᵀ, signs flipped so that each row's largest |entry| is positive
//!                     (sklearn's svd_flip(u_based_decision=False))
//! explained_variance = s² / (n - 1)
//! explained_variance_ratio = explained_variance / Σ over all min(n, p) components
//! transform(x)      = (x - mean) · componentsᵀ
//! ```

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, Par};
use ndarray::{Array1, Array2, ArrayView2};

use super::{
    affine_f64, check_finite, check_not_empty, column_mean_std, faer_view, Element, FitError,
    Result,
};

/// A fitted PCA: training mean, the leading principal axes, and their variances.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    mean: Array1<f64>,
    components: Array2<f64>,
    singular_values: Array1<f64>,
    explained_variance: Array1<f64>,
    explained_variance_ratio: Array1<f64>,
}

impl Pca {
    /// Fits `n_components` principal axes to `x` (images × features, `f32` or `f64`).
    ///
    /// With `n_components = images ≤ features` the last axis is arbitrary (centring leaves
    /// rank `images - 1`) and has variance ≈ 0, as in scikit-learn.
    ///
    /// Errors: [`FitError::Empty`], [`FitError::TooFewSamples`] for fewer than 2 images,
    /// [`FitError::BadSetting`] unless `1 <= n_components <= min(images, features)`,
    /// [`FitError::NonFinite`], [`FitError::SvdNoConvergence`].
    pub fn fit<T: Element>(x: ArrayView2<T>, n_components: usize) -> Result<Pca> {
        check_not_empty("features", &x)?;
        let (n, p) = x.dim();
        if n < 2 {
            return Err(FitError::TooFewSamples {
                procedure: "PCA".into(),
                needed: 2,
                found: n,
                hint: "the variance of one image is undefined; fit on the training set",
            });
        }
        let max = n.min(p);
        if n_components == 0 || n_components > max {
            return Err(FitError::BadSetting {
                setting: "n_components",
                expected: format!("1 ..= min(images, features) = {max}"),
                found: n_components.to_string(),
            });
        }
        check_finite("features", &x)?;
        let (mean, _) = column_mean_std(&x);
        let xc = affine_f64(&x, &mean, &vec![1.0; p]);
        let svd = faer_view(&xc)
            .thin_svd()
            .map_err(|_| FitError::SvdNoConvergence {
                what: "the centred training features".into(),
            })?;
        let s = svd.S().column_vector();
        let v = svd.V();
        let variance: Vec<f64> = (0..s.nrows())
            .map(|k| s[k] * s[k] / (n - 1) as f64)
            .collect();
        let total: f64 = variance.iter().sum();
        let mut components = Array2::<f64>::zeros((n_components, p));
        for (k, mut row) in components.rows_mut().into_iter().enumerate() {
            // svd_flip: the first entry of largest magnitude decides the sign.
            let pivot = (1..p).fold(0, |b, i| {
                if v[(i, k)].abs() > v[(b, k)].abs() {
                    i
                } else {
                    b
                }
            });
            let sign = if v[(pivot, k)] < 0.0 { -1.0 } else { 1.0 };
            for (i, c) in row.iter_mut().enumerate() {
                *c = sign * v[(i, k)];
            }
        }
        let explained_variance: Array1<f64> = variance[..n_components].iter().copied().collect();
        let explained_variance_ratio =
            explained_variance.mapv(|e| if total > 0.0 { e / total } else { 0.0 });
        Ok(Pca {
            mean: mean.into(),
            components,
            singular_values: (0..n_components).map(|k| s[k]).collect(),
            explained_variance,
            explained_variance_ratio,
        })
    }

    /// Projects `x` (images × the fitted features) on the principal axes: `(x - mean) ·
    /// componentsᵀ`, shape (images, n_components).
    ///
    /// Errors: [`FitError::FeatureMismatch`], [`FitError::NonFinite`].
    pub fn transform<T: Element>(&self, x: ArrayView2<T>) -> Result<Array2<f64>> {
        let p = self.mean.len();
        if x.ncols() != p {
            return Err(FitError::FeatureMismatch {
                input: "features to transform",
                expected: p,
                found: x.ncols(),
            });
        }
        check_finite("features to transform", &x)?;
        let mean = self.mean.to_vec();
        let xc = affine_f64(&x, &mean, &vec![1.0; p]);
        let (m, k) = (x.nrows(), self.components.nrows());
        let mut out = Array2::<f64>::zeros((m, k));
        if let Some(buf) = out.as_slice_mut() {
            matmul(
                MatMut::from_row_major_slice_mut(buf, m, k),
                Accum::Replace,
                faer_view(&xc),
                faer_view(&self.components).transpose(),
                1.0,
                Par::rayon(0),
            );
        }
        Ok(out)
    }

    /// Number of components kept.
    pub fn n_components(&self) -> usize {
        self.components.nrows()
    }

    /// Training mean of every feature.
    pub fn mean(&self) -> &Array1<f64> {
        &self.mean
    }

    /// Principal axes, shape (n_components, features), unit length, sign-normalised.
    pub fn components(&self) -> &Array2<f64> {
        &self.components
    }

    /// Singular values of the centred training features for the kept components.
    pub fn singular_values(&self) -> &Array1<f64> {
        &self.singular_values
    }

    /// Variance of the training data along each kept axis, `s² / (n - 1)`.
    pub fn explained_variance(&self) -> &Array1<f64> {
        &self.explained_variance
    }

    /// Fraction of the total training variance along each kept axis (0 when the training
    /// features are all constant).
    pub fn explained_variance_ratio(&self) -> &Array1<f64> {
        &self.explained_variance_ratio
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Axis;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random(seed: u64, n: usize, p: usize) -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        Array2::from_shape_fn((n, p), |(_, j)| {
            rng.random_range(-1.0..1.0) * (j + 1) as f64
        })
    }

    #[test]
    fn scores_have_the_explained_variances_and_axes_are_orthonormal() {
        let x = random(1, 40, 6);
        let pca = Pca::fit(x.view(), 4).unwrap();
        let z = pca.transform(x.view()).unwrap();
        let var = z.var_axis(Axis(0), 1.0);
        for (v, e) in var.iter().zip(pca.explained_variance()) {
            assert!((v - e).abs() <= 1e-10 * e, "{v} vs {e}");
        }
        let gram = pca.components().dot(&pca.components().t());
        for ((i, j), g) in gram.indexed_iter() {
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((g - want).abs() < 1e-12, "gram[{i},{j}] = {g}");
        }
        // Decreasing variances; all components together explain everything.
        assert!(pca
            .explained_variance()
            .windows(2)
            .into_iter()
            .all(|w| w[0] >= w[1]));
        let all = Pca::fit(x.view(), 6).unwrap();
        assert!((all.explained_variance_ratio().sum() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn largest_loading_of_every_axis_is_positive() {
        let pca = Pca::fit(random(2, 30, 8).view(), 5).unwrap();
        for row in pca.components().rows() {
            let big = row
                .iter()
                .cloned()
                .fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
            assert!(big > 0.0, "{row}");
        }
    }

    #[test]
    fn bad_inputs_are_reported() {
        let x = random(3, 10, 4);
        assert!(matches!(
            Pca::fit(x.view(), 0),
            Err(FitError::BadSetting {
                setting: "n_components",
                ..
            })
        ));
        assert!(matches!(
            Pca::fit(x.view(), 5),
            Err(FitError::BadSetting {
                setting: "n_components",
                ..
            })
        ));
        assert!(matches!(
            Pca::fit(x.slice(ndarray::s![..1, ..]), 1),
            Err(FitError::TooFewSamples {
                needed: 2,
                found: 1,
                ..
            })
        ));
        let pca = Pca::fit(x.view(), 2).unwrap();
        assert_eq!(
            pca.transform(random(4, 3, 5).view()).unwrap_err(),
            FitError::FeatureMismatch {
                input: "features to transform",
                expected: 4,
                found: 5
            }
        );
    }
}
