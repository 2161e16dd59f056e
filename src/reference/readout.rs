//! Linear read-outs from CNN features to every vertex of a subject, fitted on the training images
//! only and applied to the test images:
//!
//! * [`per_layer_pca`] then [`ridge`]: each layer reduced by its own PCA (fitted on the training images), the layers'
//!   components concatenated, standardised with training statistics, and one ridge regression per
//!   vertex with its regularisation chosen by k-fold cross-validation (SCIENCE.md §4);
//! * [`standardised_pca`] then [`least_squares`]: the Algonauts 2023 devkit's baseline — the layers concatenated, standardised
//!   (StandardScaler) and reduced to 100 components by one PCA, both fitted on the training images,
//!   then one least-squares regression per vertex.

use crate::fit::linear::LinearModel;
use crate::fit::pca::Pca;
use crate::fit::ridge::{Folds, RidgeCv};
use crate::fit::{column_mean_std, FitError};
use ndarray::{concatenate, Array2, ArrayView2, Axis};

/// The features a regression sees, reduced from the layers' activations.
#[derive(Debug, Clone, PartialEq)]
pub struct Reduced {
    /// Training images × columns.
    pub train: Array2<f64>,
    /// Test images × the same columns.
    pub test: Array2<f64>,
}

/// Ridge's reduction: each layer's own PCA to `components` (fitted on the training images),
/// the layers' components side by side. `train[l]`, `test[l]` are layer `l`'s features.
pub fn per_layer_pca(
    train: &[Array2<f32>],
    test: &[Array2<f32>],
    components: usize,
) -> Result<Reduced, FitError> {
    let mut train_z = Vec::with_capacity(train.len());
    let mut test_z = Vec::with_capacity(test.len());
    for (tr, te) in train.iter().zip(test) {
        let k = components.min(tr.nrows()).min(tr.ncols());
        let pca = Pca::fit(tr.view(), k)?;
        train_z.push(pca.transform(tr.view())?);
        test_z.push(pca.transform(te.view())?);
    }
    Ok(Reduced {
        train: concat_columns(&train_z),
        test: concat_columns(&test_z),
    })
}

/// The devkit's reduction: the layers concatenated, standardised (scikit-learn's
/// `StandardScaler`: population standard deviation, a constant feature divided by 1) and
/// reduced to `components` by one PCA, both fitted on the training images.
pub fn standardised_pca(
    train: &[Array2<f32>],
    test: &[Array2<f32>],
    components: usize,
) -> Result<Reduced, FitError> {
    let x_train = concat_columns(train);
    let x_test = concat_columns(test);
    let (mean, std) = column_mean_std(&x_train.view());
    let scale: Vec<f64> = std
        .iter()
        .map(|&s| if s == 0.0 { 1.0 } else { s })
        .collect();
    let standardise = |x: Array2<f32>| {
        let mut z = x;
        for mut row in z.rows_mut() {
            for ((v, m), s) in row.iter_mut().zip(&mean).zip(&scale) {
                *v = ((f64::from(*v) - m) / s) as f32;
            }
        }
        z
    };
    let (z_train, z_test) = (standardise(x_train), standardise(x_test));
    let k = components.min(z_train.nrows()).min(z_train.ncols());
    let pca = Pca::fit(z_train.view(), k)?;
    Ok(Reduced {
        train: pca.transform(z_train.view())?,
        test: pca.transform(z_test.view())?,
    })
}

/// What a regression chose, for the training record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RegressionSummary {
    /// Columns the regression saw.
    pub features: usize,
    /// Median over vertices of the chosen regularisation (ridge only).
    pub median_alpha: Option<f64>,
}

/// One ridge regression per vertex (columns of `y`, the training responses), its `α` chosen
/// among `alphas` by `folds`-fold cross-validation; returns the test predictions.
pub fn ridge(
    x: &Reduced,
    y: ArrayView2<f32>,
    folds: usize,
    alphas: Vec<f64>,
) -> Result<(Array2<f32>, RegressionSummary), FitError> {
    let cv = RidgeCv {
        alphas,
        folds: Folds::KFold(folds),
        ..RidgeCv::default()
    };
    let model = cv.fit(x.train.view(), y)?;
    let mut alphas = model.best_alphas().to_vec();
    alphas.sort_by(f64::total_cmp);
    let summary = RegressionSummary {
        features: x.train.ncols(),
        median_alpha: alphas.get(alphas.len() / 2).copied(),
    };
    Ok((model.predict(x.test.view())?, summary))
}

/// One least-squares regression per vertex; returns the test predictions.
pub fn least_squares(
    x: &Reduced,
    y: ArrayView2<f32>,
) -> Result<(Array2<f32>, RegressionSummary), FitError> {
    let model = LinearModel::fit(x.train.view(), y)?;
    let summary = RegressionSummary {
        features: x.train.ncols(),
        median_alpha: None,
    };
    Ok((model.predict(x.test.view())?, summary))
}

fn concat_columns<T: Clone>(blocks: &[Array2<T>]) -> Array2<T> {
    let views: Vec<_> = blocks.iter().map(|b| b.view()).collect();
    concatenate(Axis(1), &views).expect("blocks have the same rows")
}
