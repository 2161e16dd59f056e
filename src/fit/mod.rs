//! Fitting the linear read-outs of the reference submissions: ridge regression with one
//! regularisation strength per target chosen by cross-validation ([`ridge`]), and principal
//! component analysis ([`pca`]).
//!
//! Both follow public reference implementations to the letter so that a reference score can be
//! reproduced outside this crate: ridge follows himalaya (`ridge/_random_search.py`,
//! `solve_ridge_cv_svd`, Dupré la Tour et al. 2022), PCA follows scikit-learn
//! (`decomposition/_pca.py`, full SVD solver). Inputs are `f32` or `f64` ndarray views
//! ([`Element`]); all arithmetic is in `f64`; the SVDs and matrix products are faer's.
//!
//! This module reads no files: it takes arrays and returns fitted models or a [`FitError`].

pub mod linear;
pub mod pca;
pub mod ridge;

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;

/// An error fitting or applying a model. Every variant says what was expected, what was found,
/// and how to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// An input has no rows or no columns.
    #[error("{input} is empty: it has shape ({rows}, {cols})\n  hint: pass at least one image (row) and one column")]
    Empty {
        /// Which input (`"features"`, `"targets"`, ...).
        input: &'static str,
        /// Rows found.
        rows: usize,
        /// Columns found.
        cols: usize,
    },
    /// Features and targets do not describe the same images.
    #[error("features have {x_rows} rows (images) but targets have {y_rows}\n  hint: both must list the same training images in the same order")]
    RowMismatch {
        /// Rows of the feature matrix.
        x_rows: usize,
        /// Rows of the target matrix.
        y_rows: usize,
    },
    /// New data given to a fitted model has a different number of features than at fit time.
    #[error("{input} has {found} features (columns) but the model was fitted on {expected}\n  hint: extract the features of new images with the same model, layer and preprocessing as the training images")]
    FeatureMismatch {
        /// Which input.
        input: &'static str,
        /// Features at fit time.
        expected: usize,
        /// Features given now.
        found: usize,
    },
    /// An input holds NaN or infinity.
    #[error("{input}[{row}, {col}] is {value}, but every value must be finite\n  hint: remove or impute missing values before fitting")]
    NonFinite {
        /// Which input.
        input: &'static str,
        /// Row of the first offending value.
        row: usize,
        /// Column of the first offending value.
        col: usize,
        /// The value itself (NaN or ±inf).
        value: f64,
    },
    /// Too few images for the requested procedure.
    #[error("{procedure} needs at least {needed} images (rows), found {found}\n  hint: {hint}")]
    TooFewSamples {
        /// What needed them (`"5-fold cross-validation"`, `"PCA"`).
        procedure: String,
        /// The minimum.
        needed: usize,
        /// Rows given.
        found: usize,
        /// How to fix it.
        hint: &'static str,
    },
    /// A cross-validation split is unusable.
    #[error("cross-validation split {split}: {problem}\n  hint: every split needs a non-empty training and test set of row indices below the number of images")]
    BadSplit {
        /// Index of the split (0-based).
        split: usize,
        /// What is wrong, with the values found.
        problem: String,
    },
    /// A setting of the estimator is out of range.
    #[error("{setting}: expected {expected}, found {found}")]
    BadSetting {
        /// The setting's name (`"alphas"`, `"target_batch"`, `"n_components"`, ...).
        setting: &'static str,
        /// The valid range.
        expected: String,
        /// The value given.
        found: String,
    },
    /// The SVD did not converge (faer reached its iteration limit).
    #[error("the SVD of {what} did not converge\n  hint: check the features for extreme magnitudes (rescale them) or duplicated columns")]
    SvdNoConvergence {
        /// Which matrix.
        what: String,
    },
}

/// Results of this module.
pub type Result<T> = std::result::Result<T, FitError>;

/// A floating-point element the fitters accept (`f32` or `f64`); every value is widened to
/// `f64` before any arithmetic.
pub trait Element: Copy + Send + Sync + 'static {
    /// The value as `f64` (exact for both implementations).
    fn to_f64(self) -> f64;
}

impl Element for f32 {
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Element for f64 {
    fn to_f64(self) -> f64 {
        self
    }
}

/// Fails with [`FitError::Empty`] when `a` has no rows or no columns.
pub(crate) fn check_not_empty<T>(input: &'static str, a: &ArrayView2<T>) -> Result<()> {
    if a.nrows() == 0 || a.ncols() == 0 {
        return Err(FitError::Empty {
            input,
            rows: a.nrows(),
            cols: a.ncols(),
        });
    }
    Ok(())
}

/// Fails with [`FitError::NonFinite`] naming the first (lowest row, then column) non-finite value.
pub(crate) fn check_finite<T: Element>(input: &'static str, a: &ArrayView2<T>) -> Result<()> {
    let bad = a
        .axis_iter(Axis(0))
        .into_par_iter()
        .enumerate()
        .find_map_first(|(row, r)| {
            r.iter()
                .position(|v| !v.to_f64().is_finite())
                .map(|col| (row, col, r[col].to_f64()))
        });
    match bad {
        Some((row, col, value)) => Err(FitError::NonFinite {
            input,
            row,
            col,
            value,
        }),
        None => Ok(()),
    }
}

/// Per-column mean and population standard deviation (ddof = 0) of `x`, in `f64`, summed row by
/// row so that memory is read in order.
pub(crate) fn column_mean_std<T: Element>(x: &ArrayView2<T>) -> (Vec<f64>, Vec<f64>) {
    let (n, p) = x.dim();
    let mut mean = vec![0.0; p];
    for row in x.rows() {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v.to_f64();
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let mut var = vec![0.0; p];
    for row in x.rows() {
        for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
            let d = v.to_f64() - m;
            *s += d * d;
        }
    }
    let std = var.into_iter().map(|s| (s / n as f64).sqrt()).collect();
    (mean, std)
}

/// `(x - mean) / scale` as a row-major `f64` matrix, computed row-parallel.
pub(crate) fn affine_f64<T: Element>(
    x: &ArrayView2<T>,
    mean: &[f64],
    scale: &[f64],
) -> Array2<f64> {
    let mut out = Array2::<f64>::zeros(x.dim());
    out.axis_iter_mut(Axis(0))
        .into_par_iter()
        .zip(x.axis_iter(Axis(0)))
        .for_each(|(mut o, r)| {
            for (((o, v), m), s) in o.iter_mut().zip(r).zip(mean).zip(scale) {
                *o = (v.to_f64() - m) / s;
            }
        });
    out
}

/// A faer view of a row-major (standard-layout) ndarray matrix, without copying.
pub(crate) fn faer_view(a: &Array2<f64>) -> faer::MatRef<'_, f64> {
    let (r, c) = a.dim();
    let slice = a
        .as_slice()
        .expect("matrices built in this module are in standard layout");
    faer::MatRef::from_row_major_slice(slice, r, c)
}
