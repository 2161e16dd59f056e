//! Trivial baselines:
//!
//! * `pixel-rdm`: the RDM of the test images' pixels (1 − Pearson between 32 x 32 RGB
//!   thumbnails), submitted for both EVC and IT of the RSA benchmarks (`algonauts2019-fmri`,
//!   `synthetic-cortex-rsa`);
//! * `pixel-neighbours`: for encoding benchmarks (`synthetic-cortex`), each test image's prediction is the
//!   mean training response of its 10 nearest training images in pixel space (Pearson between
//!   16 x 16 grey thumbnails). No fitting, no features: the floor any model must clear.

use super::ReferenceError;
use crate::benchmark::algonauts2023::SubjectData;
use crate::io::{image as img, IoError};
use crate::metrics::rdm::{Dissimilarity, Rdm};
use crate::submission::parse::{EncodingPredictions, RsaPredictions};
use crate::submission::Predictions;
use ndarray::{Array2, Axis};
use rayon::prelude::*;
use std::path::PathBuf;

/// `pixel-rdm`: the pixel RDM of the test images, for every target.
pub fn pixel_rdm_predictions(
    targets: &[String],
    test_images: &[PathBuf],
) -> Result<Predictions, ReferenceError> {
    let rdm = pixel_rdm(test_images, 32)?;
    Ok(Predictions::Rsa(
        targets
            .iter()
            .map(|t| (t.clone(), rdm.clone()))
            .collect::<RsaPredictions>(),
    ))
}

/// `pixel-neighbours`: each test image's prediction is the mean training response of its 10
/// nearest training images in pixel space.
pub fn pixel_neighbour_predictions(
    subjects: &[SubjectData],
) -> Result<Predictions, ReferenceError> {
    let mut blocks = EncodingPredictions::new();
    for subject in subjects {
        let train = thumbnails(&subject.train_images, 16)?;
        let test = thumbnails(&subject.test_images, 16)?;
        let neighbours = nearest(&test, &train, 10);
        for (hemi, fmri) in &subject.train_fmri {
            let mut pred = Array2::<f32>::zeros((test.nrows(), fmri.ncols()));
            for (mut row, idx) in pred.outer_iter_mut().zip(&neighbours) {
                for &i in idx {
                    row += &fmri.row(i);
                }
                row /= idx.len() as f32;
            }
            blocks.insert((subject.id.clone(), hemi.clone()), pred.into());
        }
    }
    Ok(Predictions::Encoding(blocks))
}

/// Thumbnails (images x pixels) of `side` x `side` RGB, in [0, 1].
fn thumbnails(paths: &[PathBuf], side: u32) -> Result<Array2<f32>, IoError> {
    let rows: Vec<Vec<f32>> = paths
        .par_iter()
        .map(|p| {
            let rgb = img::read_thumbnail(p, side)?;
            Ok(rgb.iter().map(|&v| f32::from(v) / 255.0).collect())
        })
        .collect::<Result<_, IoError>>()?;
    let width = rows.first().map_or(0, Vec::len);
    Ok(Array2::from_shape_vec((rows.len(), width), rows.concat()).expect("equal thumbnail sizes"))
}

/// The pixel-space RDM (1 − Pearson) of the images.
pub fn pixel_rdm(images: &[PathBuf], side: u32) -> Result<Rdm, ReferenceError> {
    Ok(Rdm::from_patterns(
        thumbnails(images, side)?.view(),
        Dissimilarity::Correlation,
    )?)
}

/// Rows centred and scaled to unit norm, so that the dot product of two rows is their Pearson r.
pub(crate) fn standardise_rows(mut m: Array2<f64>) -> Array2<f64> {
    for mut row in m.axis_iter_mut(Axis(0)) {
        let mean = row.mean().unwrap_or(0.0);
        row -= mean;
        let norm = row.dot(&row).sqrt().max(1e-12);
        row /= norm;
    }
    m
}

/// For each query row, the indices of the `k` reference rows most correlated with it (ties by
/// index, so the result is deterministic).
fn nearest(queries: &Array2<f32>, reference: &Array2<f32>, k: usize) -> Vec<Vec<usize>> {
    nearest_standardised(
        &standardise_rows(queries.mapv(f64::from)),
        &standardise_rows(reference.mapv(f64::from)),
        k,
    )
}

/// [`nearest`] for rows already standardised by [`standardise_rows`].
pub(crate) fn nearest_standardised(q: &Array2<f64>, r: &Array2<f64>, k: usize) -> Vec<Vec<usize>> {
    let sims = q.dot(&r.t());
    sims.outer_iter()
        .map(|row| {
            let mut idx: Vec<usize> = (0..row.len()).collect();
            idx.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
            idx.truncate(k);
            idx
        })
        .collect()
}
