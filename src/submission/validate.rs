//! `bench validate`: everything wrong with a submission, at once, before anything is scored.
//! Needs only the benchmark's public part (sizes, names), never the held-out truth. Scoring loads
//! a submission through [`load`], which runs the same checks and refuses on any problem.

use super::{files, parse, paths, Manifest, PredictionFiles, Predictions, Problem};
use super::{SubmissionError, MANIFEST};
use crate::benchmark::dataset::Dataset;
use crate::benchmark::spec::{BenchmarkSpec, DataRoots};
use crate::io::IoError;
use serde::Serialize;
use std::path::Path;

/// The result of validating one submission.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidationReport {
    /// The benchmark checked against.
    pub benchmark: String,
    /// Number of prediction files looked at.
    pub files_checked: usize,
    /// Everything that must be fixed (empty = valid).
    pub problems: Vec<Problem>,
}

impl ValidationReport {
    /// Whether the submission can be scored.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A submission folder read, checked and parsed: what scoring needs.
#[derive(Debug, Clone)]
pub struct LoadedSubmission {
    /// Its manifest.
    pub manifest: Manifest,
    /// Its prediction files (bytes and labels).
    pub files: PredictionFiles,
    /// The parsed predictions.
    pub predictions: Predictions,
}

/// Whether `path` looks like a submission folder (has a manifest).
pub fn has_manifest(path: &Path) -> bool {
    path.join(MANIFEST).is_file()
}

/// Validates the predictions at `path` (a submission folder, zip or file) for benchmark `spec`,
/// reading only its public data. Problems with the predictions are in the report; an error is
/// returned when the submission cannot be read at all (a bad manifest, another benchmark's
/// manifest) or the benchmark's public data is missing.
pub fn validate(
    spec: &BenchmarkSpec,
    roots: &DataRoots,
    path: &Path,
) -> Result<ValidationReport, SubmissionError> {
    let manifest = if has_manifest(path) {
        let manifest = Manifest::read(path)?;
        check_benchmark(spec, &manifest, path)?;
        Some(manifest)
    } else {
        None
    };
    let dataset = Dataset::open(spec, roots)?;
    let files = match &manifest {
        Some(m) => submission_files(m, path, roots)?,
        None => files::gather(path)?,
    };
    let (_, problems) = parse(&files, &dataset.submission_shape());
    Ok(ValidationReport {
        benchmark: dataset.spec().name.clone(),
        files_checked: files.len(),
        problems,
    })
}

/// Reads the submission folder `dir` for scoring against `dataset`: the manifest must name the
/// benchmark and every prediction file must be valid ([`SubmissionError::Invalid`] otherwise).
pub fn load(
    dataset: &Dataset,
    roots: &DataRoots,
    dir: &Path,
) -> Result<LoadedSubmission, SubmissionError> {
    let manifest = Manifest::read(dir)?;
    check_benchmark(dataset.spec(), &manifest, dir)?;
    let files = submission_files(&manifest, dir, roots)?;
    let (predictions, problems) = parse(&files, &dataset.submission_shape());
    if !problems.is_empty() {
        return Err(SubmissionError::Invalid(ValidationReport {
            benchmark: dataset.spec().name.clone(),
            files_checked: files.len(),
            problems,
        }));
    }
    Ok(LoadedSubmission {
        manifest,
        files,
        predictions,
    })
}

/// The files of a submission folder: from the folder itself, or from `$BRAINBENCH_DATA` when the
/// manifest says `predictions_from_data`.
pub fn submission_files(
    manifest: &Manifest,
    dir: &Path,
    roots: &DataRoots,
) -> Result<PredictionFiles, SubmissionError> {
    match &manifest.predictions_from_data {
        None => Ok(files::gather(dir)?),
        Some(rel) => {
            let root = roots.download.as_ref().ok_or_else(|| {
                IoError::format(
                    &dir.join(MANIFEST),
                    format!("predictions_from_data = '{rel}' but BRAINBENCH_DATA is not set"),
                    "export BRAINBENCH_DATA=/path/to/data (CI sets it to ../shared/data)",
                )
            })?;
            let path = paths::resolve_inside(root, Path::new(rel))?;
            Ok(files::gather(&path)?)
        }
    }
}

/// Refuses a manifest that names another benchmark than `spec`.
pub fn check_benchmark(
    spec: &BenchmarkSpec,
    manifest: &Manifest,
    dir: &Path,
) -> Result<(), SubmissionError> {
    let expected = &spec.name;
    if &manifest.benchmark != expected {
        return Err(SubmissionError::WrongBenchmark {
            manifest: dir.join(MANIFEST),
            expected: expected.clone(),
            found: manifest.benchmark.clone(),
        });
    }
    Ok(())
}
