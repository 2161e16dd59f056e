//! The training losses, as differentiable candle expressions (any float dtype).
//!
//! * [`mse`]: mean squared error over every element.
//! * [`cosine_loss`]: `1 − cosine similarity` between each predicted and observed response
//!   pattern (row), averaged over rows: the loss of the Kay-2008 report (SCIENCE.md §4).
//! * [`dissimilarity_loss`]: the Siamese loss of Agrawal (2019): the predicted dissimilarity
//!   of two images is `1 − Pearson r` of a layer's features; the loss is the mean squared
//!   error against the observed dissimilarity over the given pairs.

use candle_core::{Result, Tensor, D};

/// PyTorch's `cosine_similarity` epsilon: norms are clamped below at it.
const NORM_EPS: f64 = 1e-8;

/// Mean over every element of `(pred − target)²`.
pub fn mse(pred: &Tensor, target: &Tensor) -> Result<Tensor> {
    pred.sub(target)?.sqr()?.mean_all()
}

/// Rows scaled to unit length (norms clamped below at `1e-8`, as `torch.cosine_similarity`).
fn unit_rows(x: &Tensor) -> Result<Tensor> {
    let norm = x.sqr()?.sum_keepdim(D::Minus1)?.sqrt()?.maximum(NORM_EPS)?;
    x.broadcast_div(&norm)
}

/// `1 − cos(pred_i, target_i)` averaged over the rows `i` of two (examples, features) matrices.
pub fn cosine_loss(pred: &Tensor, target: &Tensor) -> Result<Tensor> {
    let cos = unit_rows(pred)?.mul(&unit_rows(target)?)?.sum(D::Minus1)?;
    cos.affine(-1.0, 1.0)?.mean_all()
}

/// The (n, n) matrix of `1 − Pearson r` between the rows of an (n, features) matrix.
pub fn pearson_rdm(features: &Tensor) -> Result<Tensor> {
    let centred = features.broadcast_sub(&features.mean_keepdim(D::Minus1)?)?;
    let z = unit_rows(&centred)?;
    z.matmul(&z.t()?)?.affine(-1.0, 1.0)
}

/// Mean over `pairs` (row indices into `features`) of `(1 − r_ij − target_k)²`, with `target` a
/// vector of one observed dissimilarity per pair.
pub fn dissimilarity_loss(
    features: &Tensor,
    pairs: &[(usize, usize)],
    target: &Tensor,
) -> Result<Tensor> {
    let n = features.dim(0)?;
    let rdm = pearson_rdm(features)?.flatten_all()?;
    let idx: Vec<u32> = pairs.iter().map(|&(i, j)| (i * n + j) as u32).collect();
    let idx = Tensor::from_vec(idx, pairs.len(), features.device())?;
    mse(&rdm.index_select(&idx, 0)?, target)
}
