//! Submissions: `submissions/<id>/submission.toml` (who and what) plus prediction files in the
//! benchmark's official layout. Everything about them lives here:
//!
//! * [`manifest`]: the `submission.toml` file;
//! * [`paths`]: discovery of submission folders, files resolved safely inside them;
//! * [`files`]: gathering prediction files from a folder, a zip or one file;
//! * [`layout`]: the official file names, spelled once;
//! * [`parse`](mod@parse): prediction files → typed [`Predictions`], with every [`Problem`] found;
//! * [`validate`](mod@validate): `bench validate`, the whole check of a submission without the truth;
//! * [`write`](mod@write): the one writer, the exact inverse of parsing.
//!
//! Prediction files must live inside the submission folder: a symlink that resolves outside it
//! is refused. The one controlled exception is `predictions_from_data`, a path relative to
//! `$BRAINBENCH_DATA` for published submissions that may not be copied into the repository (the
//! Algonauts 2019 example submission).

pub mod files;
pub mod layout;
pub mod manifest;
pub mod parse;
pub mod paths;
pub mod validate;
pub mod write;

pub use files::{gather, PredictionFiles};
pub use manifest::Manifest;
pub use parse::{parse, Predictions, Problem};
pub use paths::{discover, id_of, resolve_inside};
pub use validate::{load, validate, LoadedSubmission, ValidationReport};

use crate::io::IoError;
use crate::ExitStatus;
use std::path::PathBuf;

/// The manifest file name inside a submission folder.
pub const MANIFEST: &str = "submission.toml";

/// Errors reading a submission.
#[derive(Debug, thiserror::Error)]
pub enum SubmissionError {
    /// File-level problem.
    #[error(transparent)]
    Io(#[from] IoError),
    /// The benchmark or its data.
    #[error(transparent)]
    Dataset(#[from] crate::benchmark::dataset::DatasetError),
    /// The submission is for another benchmark.
    #[error("{manifest}: this submission is for benchmark '{found}', not '{expected}'\n  hint: use --benchmark {found}, or fix `benchmark` in the manifest")]
    WrongBenchmark {
        /// The manifest file.
        manifest: PathBuf,
        /// The benchmark asked for.
        expected: String,
        /// The manifest's benchmark.
        found: String,
    },
    /// The predictions do not pass validation.
    #[error("the submission is invalid ({} problem(s)); the first: {}\n  expected: {}\n  found:    {}\n  fix:      {}\n  hint: run `bench validate` for the full list", .0.problems.len(), .0.problems[0].file, .0.problems[0].expected, .0.problems[0].found, .0.problems[0].fix)]
    Invalid(ValidationReport),
    /// The manifest is missing or invalid.
    #[error("{path}: {problem}\n  hint: {hint}")]
    Manifest {
        /// The manifest path.
        path: PathBuf,
        /// What is wrong.
        problem: String,
        /// How to fix it.
        hint: String,
    },
}

impl SubmissionError {
    /// The exit status this error maps to: always the user's input (2), except a benchmark
    /// specification of ours that does not parse.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            SubmissionError::Dataset(e) => e.exit_status(),
            _ => ExitStatus::InvalidInput,
        }
    }
}
