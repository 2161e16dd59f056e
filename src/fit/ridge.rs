//! Ridge regression with one regularisation strength per target, chosen by cross-validation
//! over a grid, as himalaya's `RidgeCV(solver="svd")` computes it (`ridge/_random_search.py`,
//! `solve_ridge_cv_svd` / `_decompose_ridge`; Dupré la Tour, Eickenberg, Nunez-Elizalde &
//! Gallant 2022, "Feature-space selection with banded ridge regression", NeuroImage 264).
//!
//! For every target (vertex) `y` and every candidate `α` the coefficients are
//!
//! ```text
//! b_α = argmin_b ||X b - y||² + α ||b||²  =  V diag(s / (s² + α)) Uᵀ y     where X = U diag(s) Vᵀ
//! ```
//!
//! so one thin SVD per cross-validation fold gives the test predictions for every `α` at once:
//!
//! ```text
//! Ŷ_test(α) = X_test V diag(s / (s² + α)) Uᵀ Y_train
//! ```
//!
//! Nearly all of a fit's time is the two products of that formula for every fold and target.
//! When the folds partition the images, the same predictions can come from the features'
//! cross-products with the targets instead, since `Uᵀ Y_train = S⁻¹ Vᵀ X_trainᵀ Y_train`:
//!
//! ```text
//! Ŷ_test(α) = X_test V diag(1 / (s² + α)) Vᵀ (Σ_g H_g − H_f)     H_g = X_gᵀ Y_g    (centred)
//! ```
//!
//! where `H_g` is the product of fold `g`'s test images alone, so each fold multiplies by its
//! test images instead of its training images. With at least as many training images as features
//! this needs fewer multiplications (for 1000 images in 5 folds, 512 features and 10 `α`s: 451
//! GFLOP per 40,000 targets instead of 573, 21 % fewer), and it is then used for every fold
//! (`cross_products_pay`). The forms agree to rounding (the reference submissions'
//! predictions were bit-identical before and after it was added).
//!
//! The fold scores ([`CvScore`]) are averaged over folds, the best `α` is picked per target
//! (ties go to the larger `α`, as himalaya adds `1e-10 · ln α` before its `argmax`), and the
//! model is refitted on all training images with each target's own `α`.
//!
//! Preprocessing, matching himalaya's `fit_intercept=True` on standardised features:
//!
//! * features are standardised once with the mean and population standard deviation
//!   (ddof = 0) of the *training* images passed to [`RidgeCv::fit`]; a feature whose standard
//!   deviation is 0 is only centred (divided by 1, as scikit-learn's `StandardScaler` does), so it
//!   is identically 0 and gets a zero coefficient;
//! * within each fold the standardised features and the targets are centred again with the
//!   fold's training mean (himalaya's per-fold `Xtrain_mean` / `Ytrain_mean`);
//! * the refit centres targets with their training mean, which becomes the intercept.
//!
//! ```
//! use brainbench::fit::ridge::{Folds, RidgeCv};
//! use ndarray::Array2;
//!
//! // 12 images, 3 features, 2 targets; the targets are exact linear functions of the features.
//! let x = Array2::from_shape_fn((12, 3), |(i, j)| ((i * 7 + j * 3) % 11) as f32);
//! let y = Array2::from_shape_fn((12, 2), |(i, t)| x[[i, 0]] - 2.0 * x[[i, 2]] + t as f32);
//! let cv = RidgeCv { alphas: vec![1e-6, 1.0, 1e6], folds: Folds::KFold(3), ..RidgeCv::default() };
//! let model = cv.fit(x.view(), y.view())?;
//! assert_eq!(model.best_alphas().to_vec(), vec![1e-6, 1e-6]);
//! let pred = model.predict(x.view())?;
//! assert!((pred[[5, 1]] - y[[5, 1]]).abs() < 1e-3);
//! # Ok::<(), brainbench::fit::FitError>(())
//! ```

use std::ops::Range;

use faer::linalg::matmul::matmul;
use faer::prelude::IntoConst;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use ndarray::{s, Array1, Array2, ArrayView2, Axis, Zip};
use rayon::prelude::*;

use super::{
    affine_f64, check_finite, check_not_empty, column_mean_std, faer_view, Element, FitError,
    Result,
};

/// The score that ranks the candidate `α`s on each held-out fold (higher is better).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CvScore {
    /// Coefficient of determination per target, himalaya's `scoring.r2_score`:
    ///
    /// ```text
    /// R² = 1 - Σ_i (y_i - ŷ_i)² / Σ_i (y_i - ȳ)²       (0 where the denominator is 0)
    /// ```
    #[default]
    R2,
    /// Pearson correlation per target, himalaya's `scoring.correlation_score` (z-scores with
    /// ddof = 0; a constant column counts as correlation 0).
    ///
    /// ```text
    /// r = mean_i (y_i - ȳ)/σ_y · (ŷ_i - mean ŷ)/σ_ŷ
    /// ```
    Pearson,
    /// Negative mean squared error, himalaya's `scoring.l2_neg_loss`, the default `score_func`
    /// of himalaya's `solve_ridge_cv_svd` (and hence of `RidgeCV` when no `solver_params` are
    /// given):
    ///
    /// ```text
    /// -MSE = -Σ_i (y_i - ŷ_i)² / n
    /// ```
    NegMse,
}

impl CvScore {
    /// This score bound to one target's held-out truth (length ≥ 1): what depends on the
    /// truth alone is computed once for all `α`s.
    fn for_truth(self, truth: &[f64]) -> TruthScorer<'_> {
        let n = truth.len() as f64;
        let mean = truth.iter().sum::<f64>() / n;
        let spread = match self {
            CvScore::NegMse => 0.0,
            // Σ (t − t̄)²: R²'s denominator, Pearson's σ_t² · n.
            CvScore::R2 | CvScore::Pearson => truth.iter().map(|t| (t - mean) * (t - mean)).sum(),
        };
        TruthScorer {
            score: self,
            truth,
            mean,
            spread,
        }
    }
}

/// A [`CvScore`] of predictions against one fixed truth.
struct TruthScorer<'a> {
    score: CvScore,
    truth: &'a [f64],
    mean: f64,
    spread: f64,
}

impl TruthScorer<'_> {
    /// Adds the score of every `α`'s predictions to `sums`: `preds` holds them one after the
    /// other (`sums.len()` runs of the truth's length). The squared errors are summed four `α`s
    /// at a time ([`sum_sq_diffs`]).
    fn add_all(&self, preds: &[f64], sums: &mut [f64]) {
        let n = self.truth.len();
        match self.score {
            CvScore::Pearson => {
                for (sum, pred) in sums.iter_mut().zip(preds.chunks_exact(n)) {
                    *sum += self.pearson(pred);
                }
            }
            CvScore::R2 | CvScore::NegMse => {
                let four = sums.len() / 4 * 4;
                let (head, tail) = sums.split_at_mut(four);
                for (sums, runs) in head.chunks_exact_mut(4).zip(preds.chunks_exact(4 * n)) {
                    let runs: [&[f64]; 4] = std::array::from_fn(|k| &runs[k * n..(k + 1) * n]);
                    for (sum, ssd) in sums.iter_mut().zip(sum_sq_diffs(self.truth, runs)) {
                        *sum += self.score_of_sum_sq_diff(ssd);
                    }
                }
                for (sum, run) in tail.iter_mut().zip(preds[four * n..].chunks_exact(n)) {
                    let [ssd] = sum_sq_diffs(self.truth, [run]);
                    *sum += self.score_of_sum_sq_diff(ssd);
                }
            }
        }
    }

    /// R² or −MSE from the sum of squared errors.
    fn score_of_sum_sq_diff(&self, ssd: f64) -> f64 {
        match self.score {
            CvScore::NegMse => -ssd / self.truth.len() as f64,
            _ if self.spread == 0.0 => 0.0,
            _ => 1.0 - ssd / self.spread,
        }
    }

    /// The Pearson correlation of predictions `pred` (the truth's length) with the truth.
    fn pearson(&self, pred: &[f64]) -> f64 {
        let truth = self.truth;
        let n = truth.len() as f64;
        let mp = pred.iter().sum::<f64>() / n;
        let (mut spp, mut stp) = (0.0, 0.0);
        for (t, p) in truth.iter().zip(pred) {
            let (a, b) = (t - self.mean, p - mp);
            spp += b * b;
            stp += a * b;
        }
        // himalaya replaces a zero standard deviation by 1; the centred values are then all 0,
        // so the correlation is 0.
        let st = (self.spread / n).sqrt();
        let sp = (spp / n).sqrt();
        let st = if st == 0.0 { 1.0 } else { st };
        let sp = if sp == 0.0 { 1.0 } else { sp };
        stp / (n * st * sp)
    }
}

/// `Σ_i (truth_i − pred_i)²` for `N` predictions at once, each summed in the order of `i`
/// (the same bits as one at a time) but side by side, so that the additions do not wait on
/// each other.
fn sum_sq_diffs<const N: usize>(truth: &[f64], preds: [&[f64]; N]) -> [f64; N] {
    let n = truth.len();
    let preds = preds.map(|p| &p[..n]);
    let mut acc = [0.0; N];
    for (i, t) in truth.iter().enumerate() {
        for (a, p) in acc.iter_mut().zip(&preds) {
            let d = t - p[i];
            *a += d * d;
        }
    }
    acc
}

/// One cross-validation split: row indices (into the training images) to fit on and to score on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Rows the fold's model is fitted on.
    pub train: Vec<usize>,
    /// Rows the fold's predictions are scored on.
    pub test: Vec<usize>,
}

/// How the training images are split for cross-validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Folds {
    /// `k` contiguous, unshuffled folds exactly as scikit-learn's `KFold(k)` (himalaya's
    /// `cv=k`): the first `n % k` test blocks have `n / k + 1` rows, the others `n / k`.
    KFold(usize),
    /// Splits given explicitly (e.g. by session or by image category).
    Explicit(Vec<Split>),
}

impl Default for Folds {
    /// Five contiguous folds, himalaya's default `cv=5`.
    fn default() -> Self {
        Folds::KFold(5)
    }
}

impl Folds {
    /// The splits of `n` images, checked: at least two folds, `n ≥ k` for k-fold, and for
    /// explicit splits non-empty train and test sets whose indices are below `n`.
    pub fn splits(&self, n: usize) -> Result<Vec<Split>> {
        match self {
            Folds::KFold(k) => {
                let k = *k;
                if k < 2 {
                    return Err(FitError::BadSetting {
                        setting: "folds",
                        expected: "k-fold with k >= 2".into(),
                        found: format!("k = {k}"),
                    });
                }
                if n < k {
                    return Err(FitError::TooFewSamples {
                        procedure: format!("{k}-fold cross-validation"),
                        needed: k,
                        found: n,
                        hint: "use fewer folds or more training images",
                    });
                }
                let mut start = 0;
                Ok((0..k)
                    .map(|f| {
                        let len = n / k + usize::from(f < n % k);
                        let test: Vec<usize> = (start..start + len).collect();
                        let train = (0..start).chain(start + len..n).collect();
                        start += len;
                        Split { train, test }
                    })
                    .collect())
            }
            Folds::Explicit(splits) => {
                if splits.is_empty() {
                    return Err(FitError::BadSetting {
                        setting: "folds",
                        expected: "at least one explicit split".into(),
                        found: "an empty list".into(),
                    });
                }
                for (i, sp) in splits.iter().enumerate() {
                    for (name, rows) in [("training", &sp.train), ("test", &sp.test)] {
                        if rows.is_empty() {
                            return Err(FitError::BadSplit {
                                split: i,
                                problem: format!("the {name} set is empty"),
                            });
                        }
                        if let Some(&bad) = rows.iter().find(|&&r| r >= n) {
                            return Err(FitError::BadSplit {
                                split: i,
                                problem: format!(
                                    "{name} row index {bad} is out of range for {n} images"
                                ),
                            });
                        }
                    }
                }
                Ok(splits.clone())
            }
        }
    }
}

/// `num` values evenly spaced in log10 from `10^start` to `10^stop` inclusive (numpy's
/// `logspace`); `num = 1` gives `[10^start]`.
pub fn logspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num == 1 {
        return vec![10f64.powf(start)];
    }
    let step = (stop - start) / (num - 1) as f64;
    (0..num)
        .map(|i| {
            let e = if i + 1 == num {
                stop
            } else {
                start + i as f64 * step
            };
            10f64.powf(e)
        })
        .collect()
}

/// Settings of a cross-validated ridge regression with one `α` per target (see the module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct RidgeCv {
    /// Candidate regularisation strengths, each finite and > 0. Default: `10^-2 .. 10^8`, one
    /// per decade (11 values).
    pub alphas: Vec<f64>,
    /// Cross-validation splits. Default: 5 contiguous folds.
    pub folds: Folds,
    /// Score that ranks the `α`s on held-out folds. Default: [`CvScore::R2`].
    pub score: CvScore,
    /// Targets processed together (memory is about `alphas × test rows × target_batch` f64
    /// values per worker thread). Default: 256: on a 2-core AVX-512 Xeon the 40,000-target
    /// benchmark took 7.5-8.0 s with 256, 8.5 s with 128, 8.8 s with 512 and 8.9-9.1 s with
    /// 1024 or 4096 (the products' operands stay in cache).
    pub target_batch: usize,
}

impl Default for RidgeCv {
    fn default() -> Self {
        RidgeCv {
            alphas: logspace(-2.0, 8.0, 11),
            folds: Folds::default(),
            score: CvScore::default(),
            target_batch: 256,
        }
    }
}

/// A fitted ridge model: standardisation, coefficients, intercepts, and the chosen `α` and its
/// cross-validation score per target.
#[derive(Debug, Clone, PartialEq)]
pub struct RidgeModel {
    mean: Array1<f64>,
    scale: Array1<f64>,
    coef: Array2<f64>,
    intercept: Array1<f64>,
    best_alphas: Array1<f64>,
    cv_scores: Array1<f64>,
}

impl RidgeModel {
    /// Predictions for new images `x` (rows: images, columns: the same features as at fit time):
    /// `((x - mean) / scale) · coef + intercept`, accumulated in `f64`, returned as `f32`.
    ///
    /// Errors: [`FitError::FeatureMismatch`] if the number of columns differs from the fit,
    /// [`FitError::NonFinite`] for NaN or infinite features.
    pub fn predict<T: Element>(&self, x: ArrayView2<T>) -> Result<Array2<f32>> {
        if x.ncols() != self.mean.len() {
            return Err(FitError::FeatureMismatch {
                input: "features to predict from",
                expected: self.mean.len(),
                found: x.ncols(),
            });
        }
        check_finite("features to predict from", &x)?;
        let (m, t) = (x.nrows(), self.coef.ncols());
        let xs = affine_f64(&x, &self.mean.to_vec(), &self.scale.to_vec());
        let mut out = Array2::<f64>::zeros((m, t));
        if let Some(buf) = out.as_slice_mut() {
            let dst = MatMut::from_row_major_slice_mut(buf, m, t);
            matmul(
                dst,
                Accum::Replace,
                faer_view(&xs),
                faer_view(&self.coef),
                1.0,
                Par::rayon(0),
            );
        }
        Ok(Zip::from(&out)
            .and_broadcast(&self.intercept)
            .par_map_collect(|&v, &b| (v + b) as f32))
    }

    /// Coefficients on the standardised features, shape (features, targets).
    pub fn coef(&self) -> &Array2<f64> {
        &self.coef
    }

    /// Intercept per target: the training mean of the target (minus the product of the
    /// standardised features' rounding-level mean with the coefficients, as himalaya computes it).
    pub fn intercept(&self) -> &Array1<f64> {
        &self.intercept
    }

    /// Training mean of every feature.
    pub fn feature_mean(&self) -> &Array1<f64> {
        &self.mean
    }

    /// Training standard deviation (ddof = 0) of every feature, with 0 replaced by 1.
    pub fn feature_scale(&self) -> &Array1<f64> {
        &self.scale
    }

    /// The `α` chosen for every target.
    pub fn best_alphas(&self) -> &Array1<f64> {
        &self.best_alphas
    }

    /// The cross-validation score of the chosen `α` for every target, averaged over folds
    /// (himalaya's `cv_scores_` adds `1e-10 · ln α` to it, a tie-breaking slope left out here).
    pub fn cv_scores(&self) -> &Array1<f64> {
        &self.cv_scores
    }
}

/// Everything one fold needs to predict its test rows from a batch of targets:
/// `predictions = left · W`, with the rows of `left` stacked alpha by alpha
/// (`alphas × test rows`) and `W` the batch's training targets transformed as [`TrainProduct`]
/// says.
struct FoldOperator {
    train: Vec<usize>,
    test: Vec<usize>,
    left: Mat<f64>,
    right: TrainProduct,
}

/// What a fold multiplies its centred training targets `Y_train` by before `left`; each form
/// is picked where it needs the fewest multiplications ([`cross_products_pay`],
/// [`FoldOperator::new`]).
enum TrainProduct {
    /// Nothing: `left = X_test V diag(s / (s² + α)) Uᵀ` already holds `Uᵀ`
    /// (`W = Y_train`).
    Folded,
    /// `W = Uᵀ Y_train`, `left = X_test V diag(s / (s² + α))`: himalaya's form.
    Basis(Mat<f64>),
    /// `W = X_trainᵀ Y_train` (the fold's centred features), `left = X_test V diag(1 / (s² + α)) Vᵀ`:
    /// the same predictions, since `Uᵀ Y_train = S⁻¹ Vᵀ X_trainᵀ Y_train`. Used for every fold
    /// or none, when the folds partition the images: then `W` comes from the products of each
    /// fold's test block alone ([`BatchCrossProducts`]), so the costly product runs over the
    /// test rows instead of the training rows.
    CrossProducts {
        /// `X_s[test]ᵀ`: the test rows' standardised features, transposed (features × test rows).
        test_features_t: Mat<f64>,
        /// The fold's training mean of the standardised features.
        mean: Vec<f64>,
    },
}

/// Singular values of the training features and the factors `U` (samples × r), `V` (features × r).
struct ThinSvd {
    u: Mat<f64>,
    s: Vec<f64>,
    v: Mat<f64>,
}

fn thin_svd(a: MatRef<'_, f64>, what: impl Fn() -> String) -> Result<ThinSvd> {
    let svd = a
        .thin_svd()
        .map_err(|_| FitError::SvdNoConvergence { what: what() })?;
    let s = svd.S().column_vector();
    Ok(ThinSvd {
        u: svd.U().to_owned(),
        s: (0..s.nrows()).map(|k| s[k]).collect(),
        v: svd.V().to_owned(),
    })
}

/// The ridge shrinkage of one singular value, `s / (s² + α)` (himalaya's `ev_weighting`).
fn shrink(s: f64, alpha: f64) -> f64 {
    s / (s * s + alpha)
}

impl FoldOperator {
    /// The operator of one split of the standardised features `xs`, in the
    /// [`TrainProduct::CrossProducts`] form when `cross` (see [`cross_products_pay`]), otherwise
    /// in whichever of the other two forms needs fewer multiplications.
    fn new(
        xs: &Array2<f64>,
        split: Split,
        index: usize,
        alphas: &[f64],
        cross: bool,
    ) -> Result<Self> {
        let p = xs.ncols();
        let (ntr, nte) = (split.train.len(), split.test.len());
        let mut mean = vec![0.0; p];
        for &i in &split.train {
            for (m, v) in mean.iter_mut().zip(xs.row(i)) {
                *m += v;
            }
        }
        mean.iter_mut().for_each(|m| *m /= ntr as f64);
        let xtr = Mat::from_fn(ntr, p, |i, j| xs[[split.train[i], j]] - mean[j]);
        let xte = Mat::from_fn(nte, p, |i, j| xs[[split.test[i], j]] - mean[j]);
        let svd = thin_svd(xtr.as_ref(), || {
            format!("the training features of cross-validation split {index}")
        })?;
        let r = svd.s.len();
        let a = &xte * &svd.v;
        let na = alphas.len();
        let (left, right) = if cross {
            let scaled = Mat::from_fn(na * nte, r, |row, k| {
                let s = svd.s[k];
                a[(row % nte, k)] / (s * s + alphas[row / nte])
            });
            let right = TrainProduct::CrossProducts {
                test_features_t: Mat::from_fn(p, nte, |j, i| xs[[split.test[i], j]]),
                mean,
            };
            (&scaled * svd.v.transpose(), right)
        } else {
            let left = Mat::from_fn(na * nte, r, |row, k| {
                a[(row % nte, k)] * shrink(svd.s[k], alphas[row / nte])
            });
            let (folded, basis) = form_costs(ntr, nte, p, na);
            if basis <= folded {
                (left, TrainProduct::Basis(svd.u.transpose().to_owned()))
            } else {
                (&left * svd.u.transpose(), TrainProduct::Folded)
            }
        };
        Ok(FoldOperator {
            train: split.train,
            test: split.test,
            left,
            right,
        })
    }
}

/// Whether the test sets of `splits` partition `0..n` and each training set is the complement
/// of its test set.
fn splits_partition(splits: &[Split], n: usize) -> bool {
    let mut tested = vec![false; n];
    for split in splits {
        if split.train.len() + split.test.len() != n {
            return false;
        }
        let mut seen = vec![false; n];
        for &r in split.train.iter().chain(&split.test) {
            if std::mem::replace(&mut seen[r], true) {
                return false;
            }
        }
        for &r in &split.test {
            if std::mem::replace(&mut tested[r], true) {
                return false;
            }
        }
    }
    tested.iter().all(|&t| t)
}

/// Multiplications per target and fold of [`TrainProduct::Folded`] and
/// [`TrainProduct::Basis`], for `ntr` training and `nte` test images, `p` features and `na` `α`s
/// (the thin SVD's rank is `min(ntr, p)`).
fn form_costs(ntr: usize, nte: usize, p: usize, na: usize) -> (usize, usize) {
    let r = ntr.min(p);
    (na * nte * ntr, r * ntr + na * nte * r)
}

/// Whether [`TrainProduct::CrossProducts`] needs fewer multiplications over all `splits` of `n`
/// images with `p` features and `na` `α`s than the cheaper of the other forms, fold by fold; it
/// needs the splits to partition the images ([`splits_partition`]).
fn cross_products_pay(splits: &[Split], n: usize, p: usize, na: usize) -> bool {
    let (mut cross, mut other) = (0, 0);
    for split in splits {
        let (ntr, nte) = (split.train.len(), split.test.len());
        let (folded, basis) = form_costs(ntr, nte, p, na);
        cross += p * nte + na * nte * p;
        other += folded.min(basis);
    }
    cross < other && splits_partition(splits, n)
}

/// One target batch's cross-products with the standardised features, fold by fold, from which
/// every fold's `W = X_trainᵀ Y_train` ([`TrainProduct::CrossProducts`]) follows: with the
/// targets centred over all images (`Ỹ = Y − ȳ`; centring them changes nothing, as the columns of
/// the fold's centred `X_train` sum to zero) and `H_f = X_s[test_f]ᵀ Ỹ[test_f]`,
///
/// ```text
/// X_trainᵀ Y_train = Σ_g H_g − H_f − mean_f · Σ_{i ∈ train_f} Ỹ_i
/// ```
///
/// because the test sets partition the images.
struct BatchCrossProducts<'a> {
    /// `H_f` of every fold, one after the other (features × targets, column-major).
    per_fold: &'a [f64],
    /// `Σ_g H_g = X_allᵀ Ỹ`.
    total: &'a [f64],
    /// `Σ_{i ∈ train_f} Ỹ_i` per fold and target.
    train_sums: &'a [f64],
}

impl<'a> BatchCrossProducts<'a> {
    /// Computes the cross-products of the batch `all` (column-major, `n` images per target) with
    /// the folds `ops` (all [`TrainProduct::CrossProducts`]) in `scratch`'s buffers.
    fn new(
        ops: &[FoldOperator],
        all: &[f64],
        n: usize,
        par: Par,
        scratch: &'a mut CrossScratch,
    ) -> Self {
        let tb = all.len() / n;
        // In this form `left` has one column per feature.
        let p = ops[0].left.ncols();
        let centred = prefix(&mut scratch.centred, n * tb);
        let all_rows: Vec<usize> = (0..n).collect();
        centred_rows(centred, all, n, &all_rows);
        let sums: Vec<f64> = centred.chunks_exact(n).map(|c| c.iter().sum()).collect();
        let per_fold = prefix(&mut scratch.per_fold, ops.len() * p * tb);
        let train_sums = prefix(&mut scratch.train_sums, ops.len() * tb);
        for ((op, h), fold_sums) in ops
            .iter()
            .zip(per_fold.chunks_exact_mut(p * tb))
            .zip(train_sums.chunks_exact_mut(tb))
        {
            let TrainProduct::CrossProducts {
                test_features_t, ..
            } = &op.right
            else {
                unreachable!("every fold is in the cross-product form")
            };
            let nte = op.test.len();
            let block = prefix(&mut scratch.block, nte * tb);
            for (((run, source), train_sum), total) in block
                .chunks_exact_mut(nte)
                .zip(centred.chunks_exact(n))
                .zip(fold_sums.iter_mut())
                .zip(&sums)
            {
                for (t, &r) in run.iter_mut().zip(&op.test) {
                    *t = source[r];
                }
                *train_sum = total - run.iter().sum::<f64>();
            }
            let block = MatRef::from_column_major_slice(&*block, nte, tb);
            let h = MatMut::from_column_major_slice_mut(h, p, tb);
            matmul(h, Accum::Replace, test_features_t.as_ref(), block, 1.0, par);
        }
        let total = prefix(&mut scratch.total, p * tb);
        total.fill(0.0);
        for h in per_fold.chunks_exact(p * tb) {
            total.iter_mut().zip(h).for_each(|(g, v)| *g += v);
        }
        BatchCrossProducts {
            per_fold: &scratch.per_fold[..ops.len() * p * tb],
            total: &scratch.total[..p * tb],
            train_sums: &scratch.train_sums[..ops.len() * tb],
        }
    }

    /// `W = X_trainᵀ Y_train` of fold `f`, whose training mean is `mean`, into `out`
    /// (column-major, features × targets).
    fn of_fold(&self, f: usize, mean: &[f64], out: &mut [f64]) {
        let (p, tb) = (mean.len(), self.total.len() / mean.len());
        let h = &self.per_fold[f * p * tb..(f + 1) * p * tb];
        let sums = &self.train_sums[f * tb..(f + 1) * tb];
        for (((w, g), h), &sum) in out
            .chunks_exact_mut(p)
            .zip(self.total.chunks_exact(p))
            .zip(h.chunks_exact(p))
            .zip(sums)
        {
            for (((w, g), h), m) in w.iter_mut().zip(g).zip(h).zip(mean) {
                *w = g - h - m * sum;
            }
        }
    }
}

/// `Y[rows, cols]` as a row-major `f64` matrix centred per column, and the column means.
fn gather_centred(
    y: &ArrayView2<f32>,
    rows: &[usize],
    cols: &Range<usize>,
) -> (Array2<f64>, Vec<f64>) {
    let mut out = Array2::<f64>::zeros((rows.len(), cols.len()));
    for (mut o, &r) in out.rows_mut().into_iter().zip(rows) {
        o.zip_mut_with(&y.slice(s![r, cols.clone()]), |a, b| *a = f64::from(*b));
    }
    let mut mean = vec![0.0; cols.len()];
    for row in out.rows() {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v;
        }
    }
    mean.iter_mut().for_each(|m| *m /= rows.len() as f64);
    for mut row in out.rows_mut() {
        for (v, m) in row.iter_mut().zip(&mean) {
            *v -= m;
        }
    }
    (out, mean)
}

/// `Y[:, cols]` as `f64` in column-major order (`out[j * n + i]`), converted once per batch
/// for all folds.
fn batch_columns(out: &mut [f64], y: &ArrayView2<f32>, cols: &Range<usize>) {
    let n = y.nrows();
    for (i, row) in y.slice(s![.., cols.clone()]).outer_iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            out[j * n + i] = f64::from(*v);
        }
    }
}

/// The `rows` of every column of `all` (column-major, [`batch_columns`]) into `out`
/// (column-major, `rows.len()` per column), each column centred by its mean over `rows`
/// ([`row_means`]); returns the means.
fn centred_rows(out: &mut [f64], all: &[f64], n: usize, rows: &[usize]) -> Vec<f64> {
    let m = rows.len();
    let mean = row_means(all, n, rows);
    for ((column, source), mu) in out.chunks_exact_mut(m).zip(all.chunks_exact(n)).zip(&mean) {
        for (o, &r) in column.iter_mut().zip(rows) {
            *o = source[r] - mu;
        }
    }
    mean
}

/// The mean over `rows` of every column of `all` (column-major, `n` per column), summed in the
/// order of `rows` (as [`gather_centred`] does), four columns side by side so that the additions
/// do not wait on each other (the same bits as one column at a time).
fn row_means(all: &[f64], n: usize, rows: &[usize]) -> Vec<f64> {
    let m = rows.len() as f64;
    let mut mean = Vec::with_capacity(all.len() / n);
    let mut quads = all.chunks_exact(4 * n);
    for quad in &mut quads {
        let mut acc = [0.0; 4];
        for &r in rows {
            for (k, a) in acc.iter_mut().enumerate() {
                *a += quad[k * n + r];
            }
        }
        mean.extend(acc.map(|a| a / m));
    }
    for source in quads.remainder().chunks_exact(n) {
        mean.push(rows.iter().fold(0.0, |s, &r| s + source[r]) / m);
    }
    mean
}

/// Per-thread buffers of [`select_batch`], reused across folds and batches: allocating (and so
/// zeroing) them afresh for every fold and batch took about a tenth of a 40,000-target fit.
#[derive(Default)]
struct BatchScratch {
    all: Vec<f64>,
    ytr: Vec<f64>,
    yte: Vec<f64>,
    z: Vec<f64>,
    pred: Vec<f64>,
    cross: CrossScratch,
}

/// The buffers of [`BatchCrossProducts`].
#[derive(Default)]
struct CrossScratch {
    centred: Vec<f64>,
    block: Vec<f64>,
    per_fold: Vec<f64>,
    train_sums: Vec<f64>,
    total: Vec<f64>,
}

/// The first `len` values of `buf`, grown (with zeros) when it is shorter.
fn prefix(buf: &mut Vec<f64>, len: usize) -> &mut [f64] {
    if buf.len() < len {
        buf.resize(len, 0.0);
    }
    &mut buf[..len]
}

/// `lhs · rhs` into a new column-major matrix.
fn product(lhs: MatRef<'_, f64>, rhs: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let mut out = Mat::<f64>::zeros(lhs.nrows(), rhs.ncols());
    matmul(out.as_mut(), Accum::Replace, lhs, rhs, 1.0, par);
    out
}

/// Index of the best `α` and its mean score, for every target of one batch.
fn select_batch(
    ops: &[FoldOperator],
    y: &ArrayView2<f32>,
    cols: Range<usize>,
    alphas: &[f64],
    score: CvScore,
    par: Par,
    scratch: &mut BatchScratch,
) -> Vec<(usize, f64)> {
    let (tb, na) = (cols.len(), alphas.len());
    let mut sums = vec![0.0; tb * na];
    let n = y.nrows();
    batch_columns(prefix(&mut scratch.all, n * tb), y, &cols);
    let all = &scratch.all[..n * tb];
    let cross = matches!(ops[0].right, TrainProduct::CrossProducts { .. })
        .then(|| BatchCrossProducts::new(ops, all, n, par, &mut scratch.cross));
    for (f, op) in ops.iter().enumerate() {
        let (ntr, nte) = (op.train.len(), op.test.len());
        // What `left` multiplies (see `TrainProduct`), and the targets' training means.
        let (w, mean) = match &op.right {
            TrainProduct::CrossProducts { mean, .. } => {
                let cross = cross.as_ref().expect("cross-products for this batch");
                let w = prefix(&mut scratch.z, mean.len() * tb);
                cross.of_fold(f, mean, w);
                let w = MatRef::from_column_major_slice(&*w, mean.len(), tb);
                (w, row_means(all, n, &op.train))
            }
            TrainProduct::Basis(ut) => {
                let ytr = prefix(&mut scratch.ytr, ntr * tb);
                let mean = centred_rows(ytr, all, n, &op.train);
                let ytr = MatRef::from_column_major_slice(&*ytr, ntr, tb);
                let z = prefix(&mut scratch.z, ut.nrows() * tb);
                let mut z = MatMut::from_column_major_slice_mut(z, ut.nrows(), tb);
                matmul(z.as_mut(), Accum::Replace, ut.as_ref(), ytr, 1.0, par);
                (z.into_const(), mean)
            }
            TrainProduct::Folded => {
                let ytr = prefix(&mut scratch.ytr, ntr * tb);
                let mean = centred_rows(ytr, all, n, &op.train);
                (MatRef::from_column_major_slice(&*ytr, ntr, tb), mean)
            }
        };
        let pred = prefix(&mut scratch.pred, op.left.nrows() * tb);
        let mut pred = MatMut::from_column_major_slice_mut(pred, op.left.nrows(), tb);
        matmul(pred.as_mut(), Accum::Replace, op.left.as_ref(), w, 1.0, par);
        // Test targets centred with the fold's training mean, one contiguous run per target.
        let yte = prefix(&mut scratch.yte, tb * nte);
        for ((run, source), mu) in yte
            .chunks_exact_mut(nte)
            .zip(all.chunks_exact(n))
            .zip(&mean)
        {
            for (t, &r) in run.iter_mut().zip(&op.test) {
                *t = source[r] - mu;
            }
        }
        let pred = pred.as_ref();
        for (j, truth) in yte.chunks_exact(nte).enumerate() {
            let scorer = score.for_truth(truth);
            let col = pred.col(j).try_as_col_major().expect("column-major buffer");
            scorer.add_all(col.as_slice(), &mut sums[j * na..(j + 1) * na]);
        }
    }
    let nf = ops.len() as f64;
    let log_alphas: Vec<f64> = alphas.iter().map(|a| a.ln() * 1e-10).collect();
    sums.chunks_exact(na)
        .map(|s| {
            // himalaya: mean over folds, plus 1e-10·ln α so that ties go to the larger α, then
            // the first maximum.
            let key = |a: usize| s[a] / nf + log_alphas[a];
            let best = (1..na).fold(0, |b, a| if key(a) > key(b) { a } else { b });
            (best, s[best] / nf)
        })
        .collect()
}

impl RidgeCv {
    /// Fits the model on training features `x` (images × features, `f32` or `f64`) and targets
    /// `y` (images × targets): cross-validates every `α` for every target, then refits.
    ///
    /// Errors: [`FitError::Empty`], [`FitError::RowMismatch`], [`FitError::NonFinite`],
    /// [`FitError::TooFewSamples`] / [`FitError::BadSplit`] for unusable folds,
    /// [`FitError::BadSetting`] for non-positive `α`s or `target_batch = 0`, and
    /// [`FitError::SvdNoConvergence`].
    pub fn fit<T: Element>(&self, x: ArrayView2<T>, y: ArrayView2<f32>) -> Result<RidgeModel> {
        check_not_empty("features", &x)?;
        check_not_empty("targets", &y)?;
        if x.nrows() != y.nrows() {
            return Err(FitError::RowMismatch {
                x_rows: x.nrows(),
                y_rows: y.nrows(),
            });
        }
        self.check_settings()?;
        let splits = self.folds.splits(x.nrows())?;
        check_finite("features", &x)?;
        check_finite("targets", &y)?;

        let (mean, std) = column_mean_std(&x);
        let scale: Vec<f64> = std
            .into_iter()
            .map(|s| if s == 0.0 { 1.0 } else { s })
            .collect();
        let xs = affine_f64(&x, &mean, &scale);

        let alphas = &self.alphas;
        let cross = cross_products_pay(&splits, x.nrows(), x.ncols(), alphas.len());
        let ops = splits
            .into_par_iter()
            .enumerate()
            .map(|(i, sp)| FoldOperator::new(&xs, sp, i, alphas, cross))
            .collect::<Result<Vec<_>>>()?;

        let t = y.ncols();
        let tb = self.target_batch.min(t);
        let batches: Vec<Range<usize>> = (0..t).step_by(tb).map(|c| c..(c + tb).min(t)).collect();
        // Parallelise over batches when there are enough of them, inside the products otherwise.
        let par = if batches.len() >= rayon::current_num_threads() {
            Par::Seq
        } else {
            Par::rayon(0)
        };
        let chosen: Vec<(usize, f64)> = batches
            .par_iter()
            .map_init(BatchScratch::default, |scratch, cols| {
                select_batch(&ops, &y, cols.clone(), alphas, self.score, par, scratch)
            })
            .flatten_iter()
            .collect();
        drop(ops);

        let best_alphas: Array1<f64> = chosen.iter().map(|&(a, _)| alphas[a]).collect();
        let cv_scores: Array1<f64> = chosen.iter().map(|&(_, s)| s).collect();
        let (coef, intercept) = refit(&xs, &y, &best_alphas, tb, par)?;
        Ok(RidgeModel {
            mean: mean.into(),
            scale: scale.into(),
            coef,
            intercept,
            best_alphas,
            cv_scores,
        })
    }

    fn check_settings(&self) -> Result<()> {
        if self.alphas.is_empty() {
            return Err(FitError::BadSetting {
                setting: "alphas",
                expected: "at least one candidate".into(),
                found: "an empty list".into(),
            });
        }
        if let Some(a) = self.alphas.iter().find(|a| !(a.is_finite() && **a > 0.0)) {
            return Err(FitError::BadSetting {
                setting: "alphas",
                expected: "finite values > 0".into(),
                found: format!("{a}"),
            });
        }
        if self.target_batch == 0 {
            return Err(FitError::BadSetting {
                setting: "target_batch",
                expected: "at least 1".into(),
                found: "0".into(),
            });
        }
        Ok(())
    }
}

/// Refit on all training images: one SVD of the centred standardised features, then for every
/// target `b = V diag(s / (s² + α_target)) Uᵀ (y - ȳ)`. Scaling the columns of `Uᵀ Y` by each
/// target's own shrinkage replaces himalaya's grouping of targets by `α` with one product.
fn refit(
    xs: &Array2<f64>,
    y: &ArrayView2<f32>,
    best_alphas: &Array1<f64>,
    tb: usize,
    par: Par,
) -> Result<(Array2<f64>, Array1<f64>)> {
    let (n, p) = xs.dim();
    let all: Vec<usize> = (0..n).collect();
    let xmean = xs.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(p));
    let xc = Mat::from_fn(n, p, |i, j| xs[[i, j]] - xmean[j]);
    let svd = thin_svd(xc.as_ref(), || "all training features".to_string())?;
    let ut = svd.u.transpose().to_owned();
    let t = y.ncols();
    let mut coef = Array2::<f64>::zeros((p, t));
    let mut intercept = Array1::<f64>::zeros(t);
    coef.axis_chunks_iter_mut(Axis(1), tb)
        .into_par_iter()
        .zip(intercept.axis_chunks_iter_mut(Axis(0), tb))
        .enumerate()
        .for_each(|(b, (mut c, mut icpt))| {
            let cols = b * tb..(b * tb + c.ncols());
            let (yc, ymean) = gather_centred(y, &all, &cols);
            let mut z = product(ut.as_ref(), faer_view(&yc), par);
            for (j, col) in cols.clone().enumerate() {
                let alpha = best_alphas[col];
                for (k, &s) in svd.s.iter().enumerate() {
                    z[(k, j)] *= shrink(s, alpha);
                }
            }
            let w = product(svd.v.as_ref(), z.as_ref(), par);
            for j in 0..c.ncols() {
                let mut offset = 0.0;
                for i in 0..p {
                    c[[i, j]] = w[(i, j)];
                    offset += xmean[i] * w[(i, j)];
                }
                icpt[j] = ymean[j] - offset;
            }
        });
    Ok((coef, intercept))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array2};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random(seed: u64, n: usize, p: usize) -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        Array2::from_shape_fn((n, p), |_| rng.random_range(-2.0..2.0))
    }

    #[test]
    fn noiseless_linear_target_is_recovered() {
        let (x, x_new) = (random(1, 80, 10), random(2, 15, 10));
        let w = random(3, 10, 3);
        let truth = |x: &Array2<f64>| x.dot(&w) + 3.0;
        let y = truth(&x).mapv(|v| v as f32);
        let cv = RidgeCv {
            alphas: vec![1e-8, 1e-6, 1e-4, 1e2],
            ..RidgeCv::default()
        };
        let model = cv.fit(x.view(), y.view()).unwrap();
        assert!(model.best_alphas().iter().all(|&a| a < 1e2));
        let pred = model.predict(x_new.view()).unwrap();
        let expected = truth(&x_new);
        for (p, e) in pred.iter().zip(&expected) {
            assert!(
                (f64::from(*p) - e).abs() < 1e-4 * (1.0 + e.abs()),
                "{p} vs {e}"
            );
        }
        // Coefficients live on standardised features: b_j = w_j · σ_j.
        for ((j, k), &b) in model.coef().indexed_iter() {
            let w_jk = b / model.feature_scale()[j];
            assert!(
                (w_jk - w[[j, k]]).abs() < 1e-4,
                "w[{j},{k}] = {} vs {w_jk}",
                w[[j, k]]
            );
        }
    }

    #[test]
    fn huge_alpha_shrinks_coefficients_to_zero() {
        let x = random(4, 40, 6);
        let y = random(5, 40, 4).mapv(|v| (v * 3.0 + 1.0) as f32);
        let cv = RidgeCv {
            alphas: vec![1e14],
            ..RidgeCv::default()
        };
        let model = cv.fit(x.view(), y.view()).unwrap();
        assert!(model.coef().iter().all(|b| b.abs() < 1e-10));
        let mean = y.mapv(f64::from).mean_axis(Axis(0)).unwrap();
        let pred = model.predict(random(6, 5, 6).view()).unwrap();
        for row in pred.rows() {
            for (p, m) in row.iter().zip(&mean) {
                assert!((f64::from(*p) - m).abs() < 1e-5, "{p} vs mean {m}");
            }
        }
    }

    #[test]
    fn results_do_not_depend_on_target_batch() {
        let x = random(7, 30, 45);
        let y = random(8, 30, 13).mapv(|v| v as f32);
        let fit = |tb| {
            RidgeCv {
                target_batch: tb,
                score: CvScore::Pearson,
                ..RidgeCv::default()
            }
            .fit(x.view(), y.view())
            .unwrap()
        };
        let (a, b) = (fit(1), fit(1000));
        assert_eq!(a.best_alphas(), b.best_alphas());
        for (u, v) in a.coef().iter().zip(b.coef()) {
            assert!((u - v).abs() <= 1e-12 * (1.0 + v.abs()));
        }
    }

    #[test]
    fn cross_product_form_predicts_as_himalayas_basis_form() {
        // 60 images, 8 features, 5 folds: the cross-product form is the cheaper one here.
        let x = random(20, 60, 8);
        let mut y = random(21, 60, 6).mapv(|v| v as f32);
        y.column_mut(4).mapv_inplace(|v| v + 1000.0); // a large offset the centring must remove
        y.column_mut(5).fill(3.0); // a constant target
        let xs = affine_f64(&x.view(), &[0.0; 8], &[1.0; 8]);
        let alphas = logspace(-3.0, 5.0, 9);
        let splits = Folds::KFold(5).splits(60).unwrap();
        assert!(cross_products_pay(&splits, 60, 8, alphas.len()));
        // With more features than training images himalaya's forms need fewer multiplications.
        assert!(!cross_products_pay(&splits, 60, 100, alphas.len()));
        let operators = |cross| {
            splits
                .iter()
                .enumerate()
                .map(|(i, sp)| FoldOperator::new(&xs, sp.clone(), i, &alphas, cross).unwrap())
                .collect::<Vec<_>>()
        };
        let (cross, basis) = (operators(true), operators(false));
        let is_cross = |op: &FoldOperator| matches!(op.right, TrainProduct::CrossProducts { .. });
        assert!(cross.iter().all(is_cross));
        assert!(!basis.iter().any(is_cross));
        let chosen = |ops: &[FoldOperator]| {
            let mut scratch = BatchScratch::default();
            select_batch(
                ops,
                &y.view(),
                0..6,
                &alphas,
                CvScore::R2,
                Par::Seq,
                &mut scratch,
            )
        };
        let (a, b) = (chosen(&cross), chosen(&basis));
        for ((ia, sa), (ib, sb)) in a.iter().zip(&b) {
            assert_eq!(ia, ib);
            assert!((sa - sb).abs() <= 1e-12 * (1.0 + sb.abs()), "{sa} vs {sb}");
        }
        assert_eq!(
            a[5],
            (alphas.len() - 1, 0.0),
            "constant target: largest alpha, score 0"
        );
    }

    #[test]
    fn only_complementary_splits_partition_the_images() {
        assert!(splits_partition(&Folds::KFold(3).splits(7).unwrap(), 7));
        let split = |train: &[usize], test: &[usize]| Split {
            train: train.to_vec(),
            test: test.to_vec(),
        };
        let halves = [split(&[0, 1], &[2, 3]), split(&[2, 3], &[0, 1])];
        assert!(splits_partition(&halves, 4));
        // A training set that leaves an image out, a test set seen twice, a repeated row.
        assert!(!splits_partition(
            &[split(&[0], &[2, 3]), split(&[2, 3], &[0, 1])],
            4
        ));
        assert!(!splits_partition(
            &[split(&[0, 1], &[2, 3]), split(&[0, 1], &[2, 3])],
            4
        ));
        assert!(!splits_partition(
            &[split(&[0, 0], &[2, 3]), split(&[2, 3], &[0, 1])],
            4
        ));
    }

    #[test]
    fn ties_go_to_the_largest_alpha() {
        // A constant target scores 0 for every α: the largest must win.
        let x = random(9, 20, 3);
        let y = Array2::<f32>::from_elem((20, 1), 4.0);
        let cv = RidgeCv::default();
        let model = cv.fit(x.view(), y.view()).unwrap();
        let largest = cv.alphas.iter().cloned().fold(f64::MIN, f64::max);
        assert_eq!(model.best_alphas()[0], largest);
        assert_eq!(model.cv_scores()[0], 0.0);
    }

    #[test]
    fn zero_variance_feature_gets_zero_coefficient() {
        let mut x = random(10, 25, 4);
        x.column_mut(2).fill(7.0);
        let y = random(11, 25, 2).mapv(|v| v as f32);
        let model = RidgeCv::default().fit(x.view(), y.view()).unwrap();
        assert_eq!(model.feature_scale()[2], 1.0);
        assert!(model.coef().row(2).iter().all(|b| b.abs() < 1e-12));
    }

    #[test]
    fn bad_inputs_are_reported() {
        let x = random(12, 10, 3);
        let y = Array2::<f32>::zeros((9, 2));
        let cv = RidgeCv::default();
        assert_eq!(
            cv.fit(x.view(), y.view()).unwrap_err(),
            FitError::RowMismatch {
                x_rows: 10,
                y_rows: 9
            }
        );
        let y = Array2::<f32>::zeros((3, 2));
        let err = cv.fit(x.slice(s![..3, ..]), y.view()).unwrap_err();
        assert!(
            matches!(
                err,
                FitError::TooFewSamples {
                    needed: 5,
                    found: 3,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("5-fold"), "{err}");

        let mut y = Array2::<f32>::zeros((10, 2));
        y[[4, 1]] = f32::NAN;
        let err = cv.fit(x.view(), y.view()).unwrap_err();
        assert!(
            matches!(
                err,
                FitError::NonFinite {
                    input: "targets",
                    row: 4,
                    col: 1,
                    ..
                }
            ),
            "{err}"
        );

        let y = Array2::<f32>::zeros((10, 2));
        let bad_split = RidgeCv {
            folds: Folds::Explicit(vec![Split {
                train: vec![0, 1, 12],
                test: vec![3],
            }]),
            ..RidgeCv::default()
        };
        let err = bad_split.fit(x.view(), y.view()).unwrap_err();
        assert!(matches!(err, FitError::BadSplit { split: 0, .. }), "{err}");
        assert!(
            err.to_string().contains("index 12 is out of range for 10"),
            "{err}"
        );

        let bad_alpha = RidgeCv {
            alphas: vec![1.0, 0.0],
            ..RidgeCv::default()
        };
        assert!(matches!(
            bad_alpha.fit(x.view(), y.view()),
            Err(FitError::BadSetting {
                setting: "alphas",
                ..
            })
        ));
        let one_fold = RidgeCv {
            folds: Folds::KFold(1),
            ..RidgeCv::default()
        };
        assert!(matches!(
            one_fold.fit(x.view(), y.view()),
            Err(FitError::BadSetting {
                setting: "folds",
                ..
            })
        ));
        let empty = Array2::<f32>::zeros((10, 0));
        assert!(matches!(
            cv.fit(x.view(), empty.view()),
            Err(FitError::Empty {
                input: "targets",
                ..
            })
        ));

        let model = cv.fit(x.view(), y.view()).unwrap();
        let err = model.predict(array![[1.0f32, 2.0]].view()).unwrap_err();
        assert_eq!(
            err,
            FitError::FeatureMismatch {
                input: "features to predict from",
                expected: 3,
                found: 2
            }
        );
    }

    #[test]
    fn logspace_spans_the_decades() {
        let a = logspace(-2.0, 8.0, 11);
        assert_eq!(a.len(), 11);
        for (i, v) in a.iter().enumerate() {
            let e = 10f64.powi(i as i32 - 2);
            assert!((v - e).abs() <= 1e-12 * e, "{v} vs {e}");
        }
        assert_eq!(logspace(3.0, 5.0, 1), vec![1000.0]);
    }
}
