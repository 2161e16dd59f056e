//! The one writer of submissions: a manifest and predictions in, a folder in the benchmark's
//! official layout out. It is the exact inverse of [`gather`](super::gather()) +
//! [`parse`](super::parse()): what it writes parses back to the same predictions (tested below).
//! Every file is written atomically (temporary file, then rename).

use super::{layout, Manifest, Predictions, SubmissionError};
use crate::io::{npy, IoError};
use std::path::{Path, PathBuf};

/// Writes `manifest` and `predictions` into `dir` (created if needed) and returns the prediction
/// files written. Encoding: `subjNN/{lh,rh}_pred_test.npy` (float32); RSA: `<ROI>_RDMs.npy`
/// (float64, square).
pub fn write(
    dir: &Path,
    manifest: &Manifest,
    predictions: &Predictions,
) -> Result<Vec<PathBuf>, SubmissionError> {
    create_dir(dir)?;
    let mut written = Vec::new();
    match predictions {
        Predictions::Encoding(blocks) => {
            for ((subject, hemisphere), array) in blocks {
                let path = dir.join(layout::encoding_file(subject, hemisphere));
                if let Some(parent) = path.parent() {
                    create_dir(parent)?;
                }
                npy::write(&path, array.view().into_dyn())?;
                written.push(path);
            }
        }
        Predictions::Rsa(rdms) => {
            for (target, rdm) in rdms {
                let path = dir.join(layout::rsa_npy_file(target));
                npy::write(&path, rdm.to_square().view().into_dyn())?;
                written.push(path);
            }
        }
    }
    manifest.write(dir)?;
    Ok(written)
}

fn create_dir(dir: &Path) -> Result<(), IoError> {
    std::fs::create_dir_all(dir).map_err(|e| IoError::os(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchmark::dataset::{EncodingShape, RsaShape, SubmissionShape};
    use crate::metrics::rdm::Rdm;
    use ndarray::Array2;
    use std::collections::BTreeMap;

    fn manifest(benchmark: &str) -> Manifest {
        Manifest {
            team: "t".into(),
            model: "m".into(),
            benchmark: benchmark.into(),
            description: "d".into(),
            link: None,
            date: None,
            predictions_from_data: None,
            training: None,
        }
    }

    fn read_back(dir: &Path, shape: &SubmissionShape) -> Predictions {
        let files = super::super::gather(dir).unwrap();
        let (parsed, problems) = super::super::parse(&files, shape);
        assert!(problems.is_empty(), "{problems:?}");
        parsed
    }

    #[test]
    fn encoding_predictions_round_trip() {
        let mut blocks = BTreeMap::new();
        let mut subjects = BTreeMap::new();
        for (s, n_images) in [("subj01", 3), ("subj02", 4)] {
            let mut hemis = Vec::new();
            for (h, n_vertices) in [("lh", 5), ("rh", 2)] {
                let a = Array2::from_shape_fn((n_images, n_vertices), |(i, v)| {
                    (i * 7 + v * 3 + s.len()) as f32 * 0.25 - 1.5
                });
                blocks.insert((s.to_string(), h.to_string()), a.into());
                hemis.push((h.to_string(), n_vertices));
            }
            subjects.insert(s.to_string(), (n_images, hemis));
        }
        let dir = tempfile::tempdir().unwrap();
        let predictions = Predictions::Encoding(blocks);
        let written = write(dir.path(), &manifest("synthetic-cortex"), &predictions).unwrap();
        assert_eq!(written.len(), 4);
        let shape = SubmissionShape::Encoding(EncodingShape { subjects });
        assert_eq!(read_back(dir.path(), &shape), predictions);
        assert_eq!(
            Manifest::read(dir.path()).unwrap(),
            manifest("synthetic-cortex")
        );
    }

    #[test]
    fn rsa_predictions_round_trip() {
        let n = 6;
        let rdm = |k: f64| {
            Rdm::from_upper(
                n,
                (0..n * (n - 1) / 2).map(|i| k + i as f64 / 7.0).collect(),
            )
            .unwrap()
        };
        let predictions = Predictions::Rsa(BTreeMap::from([
            ("EVC".to_string(), rdm(0.1)),
            ("IT".to_string(), rdm(0.3)),
        ]));
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &manifest("algonauts2019-fmri"), &predictions).unwrap();
        let shape = SubmissionShape::Rsa(RsaShape {
            targets: vec!["EVC".into(), "IT".into()],
            n_images: n,
        });
        assert_eq!(read_back(dir.path(), &shape), predictions);
    }
}
