//! Trivial baselines:
//!
//! * `pixel-rdm-2019`: the RDM of the test images' pixels (1 − Pearson between 32 x 32 RGB
//!   thumbnails), submitted for both EVC and IT of `algonauts2019-fmri`;
//! * `pixel-neighbours-synthetic`: for `synthetic-cortex`, each test image's prediction is the
//!   mean training response of its 10 nearest training images in pixel space (Pearson between
//!   16 x 16 grey thumbnails). No fitting, no features: the floor any model must clear.

use crate::benchmark::algonauts2019;
use crate::benchmark::algonauts2023::Layout as Layout2023;
use crate::benchmark::spec::{BenchmarkSpec, DataRoots};
use crate::io::{image as img, npy, IoError};
use crate::metrics::rdm::{Dissimilarity, Rdm};
use ndarray::{Array2, Axis};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Errors producing a baseline.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// Reading stimuli or writing predictions.
    #[error(transparent)]
    Io(#[from] IoError),
    /// The benchmark's data is missing.
    #[error(transparent)]
    Spec(#[from] crate::benchmark::spec::SpecError),
    /// The 2019 layout.
    #[error(transparent)]
    Algonauts2019(#[from] algonauts2019::Algonauts2019Error),
    /// The 2023 layout.
    #[error(transparent)]
    Algonauts2023(#[from] crate::benchmark::algonauts2023::LayoutError),
    /// A metric failed (degenerate images).
    #[error("{0}")]
    Metrics(#[from] crate::metrics::MetricsError),
}

/// A built-in baseline: its submission id and benchmark.
#[derive(Debug, Clone, Copy)]
pub struct Baseline {
    /// Folder under `submissions/`.
    pub id: &'static str,
    /// The benchmark it is for.
    pub benchmark: &'static str,
}

/// Every built-in baseline.
pub const BASELINES: &[Baseline] = &[
    Baseline {
        id: "pixel-rdm-2019",
        benchmark: "algonauts2019-fmri",
    },
    Baseline {
        id: "pixel-neighbours-synthetic",
        benchmark: "synthetic-cortex",
    },
];

/// Writes the predictions of `baseline` into `submissions/<id>/` (the manifest is committed).
pub fn write(
    baseline: &Baseline,
    roots: &DataRoots,
    submissions: &Path,
) -> Result<Vec<PathBuf>, BaselineError> {
    let spec = BenchmarkSpec::built_in(baseline.benchmark)?;
    let root = spec.require_data_dir(roots)?;
    let dir = submissions.join(baseline.id);
    std::fs::create_dir_all(&dir).map_err(|e| IoError::os(&dir, e))?;
    match baseline.id {
        "pixel-rdm-2019" => {
            let rsa = spec.rsa.as_ref().expect("RSA benchmark");
            let images = algonauts2019::images(&root, &rsa.test_set)?;
            let rdm = pixel_rdm(&images, 32)?.to_square();
            rsa.targets
                .iter()
                .map(|t| {
                    let path = dir.join(format!("{t}_RDMs.npy"));
                    npy::write(&path, rdm.view().into_dyn())?;
                    Ok(path)
                })
                .collect()
        }
        _ => {
            let layout = Layout2023::discover(&root)?;
            let mut written = Vec::new();
            for subject in layout.subject_data()? {
                let train = thumbnails(&subject.train_images, 16)?;
                let test = thumbnails(&subject.test_images, 16)?;
                let neighbours = nearest(&test, &train, 10);
                let sub_dir = dir.join(&subject.id);
                std::fs::create_dir_all(&sub_dir).map_err(|e| IoError::os(&sub_dir, e))?;
                for (hemi, fmri) in &subject.train_fmri {
                    let mut pred = Array2::<f32>::zeros((test.nrows(), fmri.ncols()));
                    for (mut row, idx) in pred.outer_iter_mut().zip(&neighbours) {
                        for &i in idx {
                            row += &fmri.row(i);
                        }
                        row /= idx.len() as f32;
                    }
                    let path = sub_dir.join(format!("{hemi}_pred_test.npy"));
                    npy::write(&path, pred.view().into_dyn())?;
                    written.push(path);
                }
            }
            Ok(written)
        }
    }
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
pub fn pixel_rdm(images: &[PathBuf], side: u32) -> Result<Rdm, BaselineError> {
    Ok(Rdm::from_patterns(
        thumbnails(images, side)?.view(),
        Dissimilarity::Correlation,
    )?)
}

/// For each query row, the indices of the `k` reference rows most correlated with it (ties by
/// index, so the result is deterministic).
fn nearest(queries: &Array2<f32>, reference: &Array2<f32>, k: usize) -> Vec<Vec<usize>> {
    let standardise = |m: &Array2<f32>| {
        let mut m = m.mapv(f64::from);
        for mut row in m.axis_iter_mut(Axis(0)) {
            let mean = row.mean().unwrap_or(0.0);
            row -= mean;
            let norm = row.dot(&row).sqrt().max(1e-12);
            row /= norm;
        }
        m
    };
    let (q, r) = (standardise(queries), standardise(reference));
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
