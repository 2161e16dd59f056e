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
//!
//! How the SVD is computed. With Xc = X - mean (n images × p features), the eigendecomposition of
//! the Gram matrix of the shorter side gives the same axes at a fraction of the cost of a thin
//! SVD: for n ≤ p, Xc Xcᵀ = U diag(s²) Uᵀ (n × n) and each axis is v_j = Xcᵀ u_j / |Xcᵀ u_j|,
//! s_j = |Xcᵀ u_j|; for n > p, Xcᵀ Xc = V diag(s²) Vᵀ (p × p) and s_j = |Xc v_j|. On 1000 × 4096
//! features to 512 components this takes about a third of the time of faer's thin SVD
//! (`BENCHMARKS.md`). Squaring the matrix costs accuracy on small singular values: the error of
//! axis j grows like ε·(s_1 / s_j)², the SVD's like ε·s_1 / s_j. So the Gram route is taken only
//! when every kept eigenvalue is at least `GRAM_MIN_EIGENVALUE_RATIO` = 1e-5 of the largest
//! (s_k ≥ s_1 / 316); otherwise, and whenever an axis lies beyond the rank of Xc (then any unit
//! vector orthogonal to the others is as good, as in scikit-learn), the thin SVD is used. Axes
//! from the Gram route agree with scikit-learn's LAPACK SVD to about 1e-11 of the largest
//! loading on the benchmark's data (singular values to about 1e-15), and to 1e-13 on the peer
//! tests' (`tests/fit_vs_peers.rs`).

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, Mat, MatMut, Par, Side};
use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut1};

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
        let (components, s) = match gram_axes(&xc, n_components)? {
            Some(axes) => axes,
            None => svd_axes(&xc, n_components)?,
        };
        // Σ s² over all min(n, p) singular values is the squared Frobenius norm of Xc.
        let total = xc.iter().map(|v| v * v).sum::<f64>() / (n - 1) as f64;
        let explained_variance: Array1<f64> = s.iter().map(|s| s * s / (n - 1) as f64).collect();
        let explained_variance_ratio =
            explained_variance.mapv(|e| if total > 0.0 { e / total } else { 0.0 });
        Ok(Pca {
            mean: mean.into(),
            components,
            singular_values: s.into(),
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

/// Smallest ratio λ_k / λ_1 of the Gram matrix's eigenvalues (s_k² / s_1²) for which
/// [`gram_axes`] is used. Its error on an axis grows like ε·(s_1 / s_k)² where the SVD's grows
/// like ε·s_1 / s_k. Measured against faer's SVD on 1000 × 4096 features with 512 axes kept, as
/// the largest difference relative to the largest loading: 4e-11 at s_k = s_1 / 1.6 (uniform
/// noise), 3e-10 at s_k = s_1 / 670 (power-law spectrum s_j ∝ 1/j), 3e-7 at s_k = s_1 / 1.6e4.
const GRAM_MIN_EIGENVALUE_RATIO: f64 = 1e-5;

/// The leading `k` axes (rows, unit length, sign-normalised) and singular values of the centred
/// features `xc` from the eigendecomposition of the Gram matrix of its shorter side (`Xc Xcᵀ`
/// for fewer images than features, `Xcᵀ Xc` otherwise), or `None` when a kept eigenvalue is
/// below [`GRAM_MIN_EIGENVALUE_RATIO`] of the largest (then only the SVD is accurate enough).
fn gram_axes(xc: &Array2<f64>, k: usize) -> Result<Option<(Array2<f64>, Vec<f64>)>> {
    let (n, p) = xc.dim();
    let wide = n <= p;
    let xf = faer_view(xc);
    // `a` is (short side) x (long side); its Gram matrix is short x short.
    let a = if wide { xf } else { xf.transpose() };
    let m = a.nrows();
    let mut gram = Mat::<f64>::zeros(m, m);
    triangular::matmul(
        gram.as_mut(),
        BlockStructure::TriangularLower,
        Accum::Replace,
        a,
        BlockStructure::Rectangular,
        a.transpose(),
        BlockStructure::Rectangular,
        1.0,
        Par::rayon(0),
    );
    let evd = gram
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| FitError::SvdNoConvergence {
            what: "the Gram matrix of the centred training features".into(),
        })?;
    // Eigenvalues come in nondecreasing order: axis j is eigenpair m - 1 - j.
    let lambda = evd.S().column_vector();
    let (first, last) = (lambda[m - 1], lambda[m - k]);
    if !(last > 0.0 && last >= GRAM_MIN_EIGENVALUE_RATIO * first) {
        return Ok(None);
    }
    let u = evd.U();
    let top = Mat::<f64>::from_fn(m, k, |i, j| u[(i, m - 1 - j)]);
    let (mut components, s) = if wide {
        // Xcᵀ u_j = s_j v_j: the rows of topᵀ Xc are the axes scaled by their singular values.
        let mut components = Array2::<f64>::zeros((k, p));
        let buf = components
            .as_slice_mut()
            .expect("fresh arrays are contiguous");
        matmul(
            MatMut::from_row_major_slice_mut(buf, k, p),
            Accum::Replace,
            top.transpose(),
            xf,
            1.0,
            Par::rayon(0),
        );
        let s = components
            .rows_mut()
            .into_iter()
            .map(|mut row| {
                let s = row.iter().map(|v| v * v).sum::<f64>().sqrt();
                row.mapv_inplace(|v| v / s);
                s
            })
            .collect();
        (components, s)
    } else {
        // The eigenvectors are the axes; s_j = |Xc v_j|.
        let mut scores = Mat::<f64>::zeros(n, k);
        matmul(
            scores.as_mut(),
            Accum::Replace,
            xf,
            top.as_ref(),
            1.0,
            Par::rayon(0),
        );
        (
            Array2::from_shape_fn((k, p), |(j, i)| top[(i, j)]),
            (0..k).map(|j| scores.col(j).norm_l2()).collect(),
        )
    };
    components.rows_mut().into_iter().for_each(flip_sign);
    Ok(Some((components, s)))
}

/// The leading `k` axes and singular values of the centred features `xc` from their thin SVD.
fn svd_axes(xc: &Array2<f64>, k: usize) -> Result<(Array2<f64>, Vec<f64>)> {
    let svd = faer_view(xc)
        .thin_svd()
        .map_err(|_| FitError::SvdNoConvergence {
            what: "the centred training features".into(),
        })?;
    let v = svd.V();
    let mut components = Array2::from_shape_fn((k, xc.ncols()), |(j, i)| v[(i, j)]);
    components.rows_mut().into_iter().for_each(flip_sign);
    Ok((
        components,
        svd.S().column_vector().iter().take(k).copied().collect(),
    ))
}

/// sklearn's `svd_flip(u_based_decision=False)`: the first entry of largest magnitude of an
/// axis is made positive.
fn flip_sign(mut axis: ArrayViewMut1<f64>) {
    let pivot = (1..axis.len()).fold(0, |b, i| if axis[i].abs() > axis[b].abs() { i } else { b });
    if axis[pivot] < 0.0 {
        axis.mapv_inplace(|v| -v);
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
    fn gram_and_svd_axes_agree_for_wide_and_tall_features() {
        for (seed, n, p, k) in [(5, 30, 80, 20), (6, 80, 30, 20)] {
            let x = random(seed, n, p);
            let (mean, _) = column_mean_std(&x.view());
            let xc = affine_f64(&x.view(), &mean, &vec![1.0; p]);
            let (gram, s_gram) = gram_axes(&xc, k).unwrap().expect("well-conditioned");
            let (svd, s_svd) = svd_axes(&xc, k).unwrap();
            let axes = (&gram - &svd).iter().fold(0.0f64, |m, d| m.max(d.abs()));
            assert!(axes < 1e-11, "{n}x{p}: axes differ by {axes:e}");
            for (a, b) in s_gram.iter().zip(&s_svd) {
                assert!((a - b).abs() <= 1e-13 * s_svd[0], "{n}x{p}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn axes_beyond_the_rank_come_from_the_svd() {
        // Centring leaves rank 9: the tenth eigenvalue of the Gram matrix is rounding noise.
        let x = random(7, 10, 20);
        let (mean, _) = column_mean_std(&x.view());
        let xc = affine_f64(&x.view(), &mean, &[1.0; 20]);
        assert!(gram_axes(&xc, 10).unwrap().is_none());
        assert!(gram_axes(&xc, 9).unwrap().is_some());
        let pca = Pca::fit(x.view(), 10).unwrap();
        assert!(pca.explained_variance()[9] < 1e-20);
        let gram = pca.components().dot(&pca.components().t());
        for ((i, j), g) in gram.indexed_iter() {
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((g - want).abs() < 1e-12, "gram[{i},{j}] = {g}");
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
