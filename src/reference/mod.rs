//! Built-in reference submissions, registered in one table ([`BUILT_IN`]): each is an id, the
//! benchmark it serves and a typed [`Method`]. They are computed from the benchmark's public
//! [`TrainSplit`] (stimuli and training responses, never the held-out truth) and written by the
//! one submission writer into `submissions/<id>/`, so they are validated, scored and ranked
//! exactly like a team's. Their ids are `<method>--<benchmark>`; the repository's `.gitignore`
//! has one rule, `/submissions/*--*/**/*.npy`, for every generated prediction.

pub mod baselines;
pub mod config;
pub mod extract;
pub mod layer_rdm;
pub mod learned;
pub mod readout;
pub mod train;

use crate::benchmark::dataset::{Dataset, DatasetError, TrainSplit};
use crate::benchmark::spec::{BenchmarkSpec, DataRoots, SpecError};
use crate::io::IoError;
use crate::submission::{self, Manifest, Predictions, SubmissionError};
use crate::ExitStatus;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// How a built-in submission computes its predictions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// RSA: the RDM (1 − Pearson) of the test images' 32 x 32 RGB thumbnails, for every target.
    PixelRdm,
    /// Encoding: each test image gets the mean training response of its 10 most correlated
    /// training images in 16 x 16 grey pixel space.
    PixelNeighbours,
}

/// One built-in submission.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BuiltIn {
    /// Folder under `submissions/`: `<method>--<benchmark>`.
    pub id: &'static str,
    /// The benchmark it is for.
    pub benchmark: &'static str,
    /// How it predicts.
    pub method: Method,
    /// The manifest's model name.
    pub model: &'static str,
    /// The manifest's description.
    pub description: &'static str,
}

/// The team name of every built-in submission.
pub const TEAM: &str = "brainbench baselines";

/// Every built-in submission.
pub const BUILT_IN: &[BuiltIn] = &[
    BuiltIn {
        id: "pixel-rdm--algonauts2019-fmri",
        benchmark: "algonauts2019-fmri",
        method: Method::PixelRdm,
        model: "pixel RDM",
        description: "1 - Pearson between 32x32 RGB thumbnails of the test images, submitted for both EVC and IT.",
    },
    BuiltIn {
        id: "pixel-rdm--synthetic-cortex-rsa",
        benchmark: "synthetic-cortex-rsa",
        method: Method::PixelRdm,
        model: "pixel RDM",
        description: "1 - Pearson between 32x32 RGB thumbnails of the test images, submitted for both EVC and IT.",
    },
    BuiltIn {
        id: "pixel-neighbours--synthetic-cortex",
        benchmark: "synthetic-cortex",
        method: Method::PixelNeighbours,
        model: "pixel nearest neighbours (k=10)",
        description: "Each test image is predicted by the mean training response of its 10 most correlated training images in 16x16 pixel space.",
    },
];

/// Errors producing a built-in submission.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// No built-in submission of that id.
    #[error("unknown built-in submission '{id}'\n  hint: choose one of: {known}")]
    Unknown {
        /// The id asked for.
        id: String,
        /// The ids that exist, comma-separated.
        known: String,
    },
    /// The method cannot serve this benchmark's track.
    #[error("{id}: method {method:?} cannot serve benchmark '{benchmark}' (a {kind} benchmark)\n  hint: register it for a benchmark of its own kind")]
    WrongTrack {
        /// The built-in id.
        id: String,
        /// Its method.
        method: Method,
        /// The benchmark.
        benchmark: String,
        /// The benchmark's kind.
        kind: String,
    },
    /// The benchmark.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The benchmark's data.
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// Writing the submission.
    #[error(transparent)]
    Submission(#[from] SubmissionError),
    /// Reading stimuli.
    #[error(transparent)]
    Io(#[from] IoError),
    /// A metric failed (degenerate images).
    #[error(transparent)]
    Metrics(#[from] crate::metrics::MetricsError),
}

impl ReferenceError {
    /// The exit status this error maps to.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            ReferenceError::WrongTrack { .. } => ExitStatus::Internal,
            ReferenceError::Spec(e) => e.exit_status(),
            ReferenceError::Dataset(e) => e.exit_status(),
            ReferenceError::Submission(e) => e.exit_status(),
            _ => ExitStatus::InvalidInput,
        }
    }
}

/// The built-in submission called `id`.
pub fn find(id: &str) -> Result<&'static BuiltIn, ReferenceError> {
    BUILT_IN
        .iter()
        .find(|b| b.id == id)
        .ok_or_else(|| ReferenceError::Unknown {
            id: id.to_string(),
            known: BUILT_IN.iter().map(|b| b.id).collect::<Vec<_>>().join(", "),
        })
}

impl BuiltIn {
    /// The manifest written with its predictions.
    pub fn manifest(&self) -> Manifest {
        Manifest {
            team: TEAM.to_string(),
            model: self.model.to_string(),
            benchmark: self.benchmark.to_string(),
            description: self.description.to_string(),
            link: None,
            date: None,
            predictions_from_data: None,
            training: None,
        }
    }

    /// Computes the predictions from the benchmark's training split alone.
    pub fn predict(&self, train: &TrainSplit) -> Result<Predictions, ReferenceError> {
        match (self.method, train) {
            (
                Method::PixelRdm,
                TrainSplit::Rsa {
                    targets,
                    test_images,
                    ..
                },
            ) => baselines::pixel_rdm_predictions(targets, test_images),
            (Method::PixelNeighbours, TrainSplit::Encoding { subjects }) => {
                baselines::pixel_neighbour_predictions(subjects)
            }
            (method, _) => Err(ReferenceError::WrongTrack {
                id: self.id.to_string(),
                method,
                benchmark: self.benchmark.to_string(),
                kind: match train {
                    TrainSplit::Encoding { .. } => "encoding",
                    TrainSplit::Rsa { .. } => "RSA",
                }
                .to_string(),
            }),
        }
    }

    /// Computes and writes this submission into `submissions/<id>/`; returns the files written.
    pub fn write(
        &self,
        roots: &DataRoots,
        submissions: &Path,
    ) -> Result<Vec<PathBuf>, ReferenceError> {
        let spec = BenchmarkSpec::built_in(self.benchmark)?;
        let dataset = Dataset::open(&spec, roots)?;
        let predictions = self.predict(&dataset.train_split()?)?;
        Ok(submission::write::write(
            &submissions.join(self.id),
            &self.manifest(),
            &predictions,
        )?)
    }
}

/// What [`write_all`] did for one built-in submission.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WriteOutcome {
    /// The built-in id.
    pub id: String,
    /// Its benchmark.
    pub benchmark: String,
    /// Prediction files written (none when skipped).
    pub written: Vec<PathBuf>,
    /// Why it was skipped: its benchmark's data is not present.
    pub skipped: Option<String>,
}

/// Writes every built-in submission whose benchmark's data is present; the others are reported
/// as skipped with the reason.
pub fn write_all(
    roots: &DataRoots,
    submissions: &Path,
) -> Result<Vec<WriteOutcome>, ReferenceError> {
    BUILT_IN
        .iter()
        .map(|b| {
            let spec = BenchmarkSpec::built_in(b.benchmark)?;
            let (written, skipped) = match spec.require_data_dir(roots) {
                Err(missing) => (Vec::new(), Some(missing.to_string())),
                Ok(_) => (b.write(roots, submissions)?, None),
            };
            Ok(WriteOutcome {
                id: b.id.to_string(),
                benchmark: b.benchmark.to_string(),
                written,
                skipped,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_names_a_benchmark_and_follows_the_id_rule() {
        for b in BUILT_IN {
            BenchmarkSpec::built_in(b.benchmark).unwrap();
            assert_eq!(
                b.id.split_once("--").map(|(_, bench)| bench),
                Some(b.benchmark),
                "{}",
                b.id
            );
        }
    }

    #[test]
    fn an_unknown_id_is_an_error_listing_the_known_ones() {
        let err = find("pixel-magic").unwrap_err().to_string();
        assert!(err.contains("pixel-rdm--algonauts2019-fmri"), "{err}");
        assert_eq!(find(BUILT_IN[0].id).unwrap(), &BUILT_IN[0]);
    }

    #[test]
    fn a_method_refuses_the_other_track() {
        let encoding = TrainSplit::Encoding {
            subjects: Vec::new(),
        };
        let err = find("pixel-rdm--algonauts2019-fmri")
            .unwrap()
            .predict(&encoding)
            .unwrap_err();
        assert!(matches!(err, ReferenceError::WrongTrack { .. }), "{err}");
    }
}
