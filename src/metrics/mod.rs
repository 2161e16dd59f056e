//! Metrics: pure numerical kernels over slices and ndarray views; no file access.
//!
//! Every formula follows `SCIENCE.md` and cites its public reference in the item's doc comment:
//!
//! * [`correlation`]: Pearson r of two vectors and per column (vertex) of two matrices.
//! * [`ranks`]: average ranks (scipy `rankdata`), Spearman, Kendall tau-a, rsatoolbox rho-a.
//! * [`noise_ceiling`]: NSD ncsnr from repeated trials, the devkit's noise ceiling, split-half.
//! * [`encoding`]: the Algonauts 2023 per-vertex score (NNEA) and its pooled summary.
//! * [`rdm`]: representational dissimilarity matrices.
//! * [`rsa`]: RDM comparison, the Algonauts 2019 per-ROI score and the RDM noise ceiling.
//! * [`bootstrap`]: seeded resampling, percentile intervals, paired differences.

pub mod bootstrap;
pub mod correlation;
pub mod encoding;
pub mod noise_ceiling;
mod radix;
pub mod ranks;
pub mod rdm;
pub mod rsa;

/// An input the metrics cannot be computed from. Each variant carries the values a caller needs
/// to say what was expected, what was found and which element is wrong; the message ends with a
/// hint on how to fix it. Callers that know the file add its path.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricsError {
    /// Two inputs that must have the same length do not.
    #[error("{what}: expected length {expected}, found {found}\n  hint: {hint}")]
    LengthMismatch {
        /// Which inputs.
        what: &'static str,
        /// The length required (that of the first input).
        expected: usize,
        /// The length found.
        found: usize,
        /// How to fix it.
        hint: &'static str,
    },
    /// Two matrices that must have the same shape do not.
    #[error("{what}: expected shape {expected:?}, found {found:?}\n  hint: {hint}")]
    ShapeMismatch {
        /// Which inputs.
        what: &'static str,
        /// The shape required.
        expected: (usize, usize),
        /// The shape found.
        found: (usize, usize),
        /// How to fix it.
        hint: &'static str,
    },
    /// Too few items for the statistic to be defined.
    #[error("{what}: need at least {needed}, found {found}\n  hint: {hint}")]
    TooFew {
        /// What was counted.
        what: &'static str,
        /// The minimum.
        needed: usize,
        /// The count found.
        found: usize,
        /// How to fix it.
        hint: &'static str,
    },
    /// A NaN or infinite value where a finite one is required.
    #[error("{what}: non-finite value {value} at index {index:?}\n  hint: {hint}")]
    NonFinite {
        /// Which input.
        what: &'static str,
        /// Position of the value (one or two indices).
        index: Vec<usize>,
        /// The value found.
        value: f64,
        /// How to fix it.
        hint: &'static str,
    },
    /// A value outside its allowed range.
    #[error("{what}: value {value} at index {index:?} is outside {expected}\n  hint: {hint}")]
    OutOfRange {
        /// Which input.
        what: &'static str,
        /// Position of the value.
        index: Vec<usize>,
        /// The value found.
        value: f64,
        /// The allowed range, in words.
        expected: &'static str,
        /// How to fix it.
        hint: &'static str,
    },
    /// A square matrix that must be symmetric is not.
    #[error(
        "RDM is not symmetric: entry ({i}, {j}) = {a_ij} but ({j}, {i}) = {a_ji} (tolerance {tolerance})\n  hint: pass the full symmetric RDM, not only one triangle, or check the rows and columns follow the same image order"
    )]
    Asymmetric {
        /// Row of the offending entry.
        i: usize,
        /// Column of the offending entry.
        j: usize,
        /// Value at (i, j).
        a_ij: f64,
        /// Value at (j, i).
        a_ji: f64,
        /// Tolerance used.
        tolerance: f64,
    },
    /// An RDM whose diagonal is not zero.
    #[error(
        "RDM diagonal entry ({i}, {i}) = {value}, expected 0 (tolerance {tolerance})\n  hint: an image is identical to itself; pass dissimilarities, not similarities (use 1 - r)"
    )]
    NonZeroDiagonal {
        /// The index.
        i: usize,
        /// The value found.
        value: f64,
        /// Tolerance used.
        tolerance: f64,
    },
    /// An RDM that is not square.
    #[error("RDM must be square, found shape ({rows}, {cols})\n  hint: an RDM has one row and one column per image")]
    NotSquare {
        /// Rows found.
        rows: usize,
        /// Columns found.
        cols: usize,
    },
    /// A pattern (row) for which the dissimilarity is undefined.
    #[error("image {index}: {problem}\n  hint: {hint}")]
    DegeneratePattern {
        /// The image (row) index.
        index: usize,
        /// What is wrong with it.
        problem: &'static str,
        /// How to fix it.
        hint: &'static str,
    },
}

/// Result alias for this module.
pub type Result<T> = std::result::Result<T, MetricsError>;

/// Returns the first non-finite value of `xs` as an error naming `what`.
pub(crate) fn check_finite(what: &'static str, xs: &[f64]) -> Result<()> {
    match xs.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(MetricsError::NonFinite {
            what,
            index: vec![i],
            value: xs[i],
            hint: "remove or impute NaN/inf values before scoring",
        }),
    }
}

/// Checks two slices have the same length.
pub(crate) fn check_same_len(what: &'static str, a: usize, b: usize) -> Result<()> {
    if a == b {
        Ok(())
    } else {
        Err(MetricsError::LengthMismatch {
            what,
            expected: a,
            found: b,
            hint: "both inputs must list the same items in the same order",
        })
    }
}
