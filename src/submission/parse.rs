//! Prediction files → typed [`Predictions`], collecting every [`Problem`] at once. Needs only
//! what the benchmark's public data says a submission must contain ([`SubmissionShape`]), never
//! the truth. Validation reports the problems; scoring refuses to run on any.

use super::layout;
use super::PredictionFiles;
use crate::benchmark::dataset::{EncodingShape, RsaShape, SubmissionShape};
use crate::io::npy::F32Matrix;
use crate::io::{mat, npy};
use crate::metrics::rdm::Rdm;
use ndarray::ArrayView2;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// One thing wrong with a submission, phrased so the team can fix it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// The file (or the submission, for a missing file).
    pub file: String,
    /// What the benchmark expects.
    pub expected: String,
    /// What was found.
    pub found: String,
    /// How to fix it.
    pub fix: String,
}

impl Problem {
    pub(crate) fn new(
        file: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Problem {
            file: file.into(),
            expected: expected.into(),
            found: found.into(),
            fix: fix.into(),
        }
    }
}

/// Encoding predictions by (subject, hemisphere), each (test images x vertices).
pub type EncodingPredictions = BTreeMap<(String, String), F32Matrix>;

/// RSA predictions by target ROI.
pub type RsaPredictions = BTreeMap<String, Rdm>;

/// A submission's predictions, parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Predictions {
    /// Responses by (subject, hemisphere).
    Encoding(EncodingPredictions),
    /// RDMs by target ROI.
    Rsa(RsaPredictions),
}

/// Parses the prediction files of a submission to a benchmark of this shape. The predictions
/// hold what could be parsed; the problems list everything that must be fixed (empty = valid).
pub fn parse(files: &PredictionFiles, shape: &SubmissionShape) -> (Predictions, Vec<Problem>) {
    match shape {
        SubmissionShape::Encoding(s) => {
            let (p, problems) = parse_encoding(files, s);
            (Predictions::Encoding(p), problems)
        }
        SubmissionShape::Rsa(s) => {
            let (p, problems) = parse_rsa(files, s);
            (Predictions::Rsa(p), problems)
        }
    }
}

/// Parses encoding predictions (`subjNN/{lh,rh}_pred_test.npy`), collecting every problem.
pub fn parse_encoding(
    files: &PredictionFiles,
    shape: &EncodingShape,
) -> (EncodingPredictions, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut preds = EncodingPredictions::new();
    let expected_names: BTreeMap<String, (String, String, usize, usize)> = shape
        .subjects
        .iter()
        .flat_map(|(subj, (n_images, hemis))| {
            hemis.iter().map(move |(hemi, n_vertices)| {
                (
                    layout::encoding_file(subj, hemi),
                    (subj.clone(), hemi.clone(), *n_images, *n_vertices),
                )
            })
        })
        .collect();
    for name in files.keys() {
        if !expected_names.contains_key(name) {
            problems.push(Problem::new(
                name.clone(),
                format!("only the files {}", summarise_names(expected_names.keys())),
                format!("an unexpected file '{name}'"),
                "name files subjNN/lh_pred_test.npy and subjNN/rh_pred_test.npy for the benchmark's subjects (two-digit NN), and remove anything else",
            ));
        }
    }
    // Each file is checked on its own (in parallel: parsing reads every value); the problems are
    // then listed in file-name order, as a sequential pass would list them.
    let checked: Vec<(Option<F32Matrix>, Option<Problem>)> = expected_names
        .par_iter()
        .map(|(name, (subj, hemi, n_images, n_vertices))| {
            check_encoding_file(files, name, subj, hemi, *n_images, *n_vertices)
        })
        .collect();
    for ((_, (subj, hemi, ..)), (matrix, problem)) in expected_names.iter().zip(checked) {
        if let Some(matrix) = matrix {
            preds.insert((subj.clone(), hemi.clone()), matrix);
        }
        problems.extend(problem);
    }
    (preds, problems)
}

/// Parses one expected encoding file: the matrix when it could be parsed, and the problem with
/// it if any (a constant prediction is parsed and still a problem).
fn check_encoding_file(
    files: &PredictionFiles,
    name: &str,
    subj: &str,
    hemi: &str,
    n_images: usize,
    n_vertices: usize,
) -> (Option<F32Matrix>, Option<Problem>) {
    let Some(file) = files.get(name) else {
        return (None, Some(Problem::new(
            name,
            format!("a file {name} with predictions of shape ({n_images}, {n_vertices})"),
            "no such file".to_string(),
            format!("add {name}: float32, one row per test image of {subj} in sorted file-name order, one column per {hemi} vertex"),
        )));
    };
    let label = file.label.display().to_string();
    let info = match npy::parse_info(&file.bytes, &file.label) {
        Ok(info) => info,
        Err(e) => {
            return (
                None,
                Some(Problem::new(
                    label,
                    "a .npy file written by numpy.save",
                    e.to_string(),
                    "save the array with numpy.save(path, arr.astype(numpy.float32))",
                )),
            )
        }
    };
    if info.shape != [n_images, n_vertices] {
        return (
            None,
            Some(Problem::new(
                label,
                format!(
                    "shape ({n_images}, {n_vertices}) = (test images of {subj}, {hemi} vertices)"
                ),
                format!("shape {:?}", info.shape),
                if info.shape == [n_vertices, n_images] {
                    "the array is transposed: save arr.T".to_string()
                } else {
                    format!("predict every one of the {n_images} test images (rows) for all {n_vertices} vertices (columns)")
                },
            )),
        );
    }
    match F32Matrix::from_file_bytes(&file.bytes, &file.label) {
        Ok(matrix) => {
            let problem = constant_problem(&label, matrix.view());
            (Some(matrix), problem)
        }
        Err(e) => (
            None,
            Some(Problem::new(
                label,
                "finite float32 values (dtype '<f4')",
                e.to_string(),
                "convert with arr.astype(numpy.float32) and replace NaN/Inf",
            )),
        ),
    }
}

fn summarise_names<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let names: Vec<&String> = names.collect();
    match names.len() {
        0..=4 => names
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        n => format!(
            "{}, ... ({n} files)",
            names[..3]
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A whole prediction matrix that does not vary across images carries no information.
fn constant_problem(label: &str, a: ArrayView2<'_, f32>) -> Option<Problem> {
    let first = a.row(0);
    let all_rows_equal = a.rows().into_iter().all(|r| r == first);
    all_rows_equal.then(|| {
        Problem::new(
            label,
            "predictions that vary across test images",
            format!("every one of the {} rows is identical (a constant prediction has no correlation with anything)", a.nrows()),
            "check the model is given each test image; constant predictions score 0 on every vertex",
        )
    })
}

/// Parses RSA predictions: one `.mat` file (v5 or v7.3) holding `<ROI>_RDMs` per target, or one
/// `.npy` per target named `<ROI>_RDMs.npy`; each an N x N RDM of the test images.
pub fn parse_rsa(files: &PredictionFiles, shape: &RsaShape) -> (RsaPredictions, Vec<Problem>) {
    let (targets, n_images) = (&shape.targets, shape.n_images);
    let mut problems = Vec::new();
    let mut preds = RsaPredictions::new();
    let mats: Vec<&String> = files.keys().filter(|n| n.ends_with(".mat")).collect();
    let expected = format!(
        "{} with {} (each {n_images}x{n_images}), or {}",
        layout::RSA_MAT_FILE,
        targets
            .iter()
            .map(|t| layout::rsa_variable(t))
            .collect::<Vec<_>>()
            .join(", "),
        targets
            .iter()
            .map(|t| layout::rsa_npy_file(t))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if mats.len() > 1 {
        problems.push(Problem::new(
            mats.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            "a single .mat file",
            format!("{} .mat files", mats.len()),
            format!("keep only {}", layout::RSA_MAT_FILE),
        ));
        return (preds, problems);
    }
    if files.is_empty() {
        problems.push(Problem::new(
            "(submission)",
            expected,
            "no prediction files",
            format!(
                "add {} (MATLAB, v5 or v7.3) with one N x N RDM per ROI",
                layout::RSA_MAT_FILE
            ),
        ));
        return (preds, problems);
    }
    for target in targets {
        let var = layout::rsa_variable(target);
        let parsed = if let Some(name) = mats.first() {
            let file = &files[*name];
            let label = file.label.display().to_string();
            mat::from_bytes(&file.bytes, &file.label)
                .map_err(|e| {
                    Problem::new(
                        &label,
                        "a MATLAB .mat file (v5 or v7.3)",
                        e.to_string(),
                        "save with scipy.io.savemat or MATLAB save",
                    )
                })
                .and_then(|m| {
                    m.numeric(&var).cloned().map_err(|e| {
                        Problem::new(
                            &label,
                            format!("a variable {var}"),
                            e.to_string(),
                            format!("store the {target} RDM as {var}"),
                        )
                    })
                })
                .map(|a| (label, a))
        } else {
            let name = layout::rsa_npy_file(target);
            match files.get(&name) {
                None => Err(Problem::new(
                    &name,
                    &expected,
                    "no such file",
                    format!("add {name}"),
                )),
                Some(file) => npy::from_bytes::<f64>(&file.bytes, &file.label)
                    .map_err(|e| {
                        Problem::new(
                            file.label.display().to_string(),
                            "a float64 .npy RDM",
                            e.to_string(),
                            "numpy.save(path, rdm.astype(numpy.float64))",
                        )
                    })
                    .map(|a| (file.label.display().to_string(), a)),
            }
        };
        let (label, array) = match parsed {
            Ok(x) => x,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        let square = match array.view().into_dimensionality::<ndarray::Ix2>() {
            Ok(s) if s.nrows() == n_images && s.ncols() == n_images => s,
            _ => {
                problems.push(Problem::new(
                    &label,
                    format!("{var} of shape ({n_images}, {n_images}), one row per test image"),
                    format!("shape {:?}", array.shape()),
                    "compute the RDM over the test images in sorted file-name order",
                ));
                continue;
            }
        };
        match Rdm::from_square(square, crate::metrics::rdm::SQUARE_TOLERANCE) {
            Ok(rdm) => {
                preds.insert(target.clone(), rdm);
            }
            Err(e) => problems.push(Problem::new(
                &label,
                format!("{var}: a symmetric RDM with zero diagonal"),
                e.to_string(),
                "use dissimilarities (e.g. 1 - Pearson r), symmetric, 0 on the diagonal",
            )),
        }
    }
    (preds, problems)
}
