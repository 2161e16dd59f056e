//! The official Algonauts 2019 layout (SCIENCE.md §2), read as distributed, without conversion:
//!
//! ```text
//! Training_Data/92_Image_Set/{92images/*.jpg, 92images.mat, target_fmri.mat}
//! Training_Data/118_Image_Set/{118images/*.jpg, target_fmri.mat}
//! Test_Data/{78images/*.jpg, target_fmri.mat}
//! ```
//!
//! `target_fmri.mat` holds one variable per ROI, `<ROI>_RDMs`, of MATLAB shape
//! (subjects, N, N); RDM row i is the i-th image in sorted file-name order.

use crate::io::{mat, IoError};
use crate::metrics::rdm::Rdm;
use std::path::{Path, PathBuf};

/// Errors loading the 2019 layout.
#[derive(Debug, thiserror::Error)]
pub enum Algonauts2019Error {
    /// A file could not be read.
    #[error(transparent)]
    Io(#[from] IoError),
    /// The files disagree with the layout.
    #[error("{path}: {problem}\n  hint: {hint}")]
    Layout {
        /// The file or folder.
        path: PathBuf,
        /// Expected and found.
        problem: String,
        /// How to fix it.
        hint: String,
    },
}

/// The folder of an image set (`92`, `118`, `78`) relative to the data root.
pub fn set_dir(root: &Path, set: &str) -> PathBuf {
    match set {
        "78" => root.join("Test_Data"),
        other => root
            .join("Training_Data")
            .join(format!("{other}_Image_Set")),
    }
}

/// The `target_fmri.mat` of an image set.
pub fn target_file(root: &Path, set: &str) -> PathBuf {
    set_dir(root, set).join("target_fmri.mat")
}

/// The images of a set in sorted file-name order (the RDM row order).
pub fn images(root: &Path, set: &str) -> Result<Vec<PathBuf>, Algonauts2019Error> {
    let dir = set_dir(root, set).join(format!("{set}images"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| IoError::os(&dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png"))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Every subject's RDM of `roi` in image set `set`, as read from its `target_fmri.mat`.
pub fn subject_rdms(root: &Path, set: &str, roi: &str) -> Result<Vec<Rdm>, Algonauts2019Error> {
    let path = target_file(root, set);
    let file = mat::read_mat(&path)?;
    rdms_from_mat(&file, &path, &format!("{roi}_RDMs"), None)
}

/// Reads the RDM stack `name` from a loaded `.mat` file: MATLAB shape (subjects, N, N), or (N, N)
/// for a single RDM (a submission). `expected_n` checks N.
pub fn rdms_from_mat(
    file: &mat::MatFile,
    path: &Path,
    name: &str,
    expected_n: Option<usize>,
) -> Result<Vec<Rdm>, Algonauts2019Error> {
    let array = file.numeric(name)?;
    let layout = |problem: String, hint: &str| Algonauts2019Error::Layout {
        path: path.to_path_buf(),
        problem,
        hint: hint.to_string(),
    };
    let stack = match array.ndim() {
        2 => array
            .view()
            .insert_axis(ndarray::Axis(0))
            .into_dimensionality::<ndarray::Ix3>(),
        3 => array.view().into_dimensionality::<ndarray::Ix3>(),
        d => {
            return Err(layout(
                format!(
                    "`{name}` has {d} dimensions {:?}; expected (N, N) or (subjects, N, N)",
                    array.shape()
                ),
                "store one N x N RDM per variable, or a subjects x N x N stack",
            ))
        }
    }
    .expect("dimension checked");
    let n = stack.shape()[1];
    if let Some(want) = expected_n {
        if n != want || stack.shape()[2] != want {
            return Err(layout(
                format!(
                    "`{name}` is {}x{}; expected {want}x{want} (one row per test image)",
                    n,
                    stack.shape()[2]
                ),
                "compute the RDM over the held-out images, in sorted file-name order",
            ));
        }
    }
    stack
        .outer_iter()
        .enumerate()
        .map(|(s, square)| {
            Rdm::from_square(square, crate::metrics::rdm::SQUARE_TOLERANCE).map_err(|e| {
                layout(
                    format!("`{name}`[{s}] is not a valid RDM: {e}"),
                    "an RDM is square, symmetric, with a zero diagonal and finite entries",
                )
            })
        })
        .collect()
}
