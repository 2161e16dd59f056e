//! File formats as the challenges distribute them: `.npy`, MATLAB `.mat` (v5 and v7.3/HDF5),
//! submission zips, plus atomic writes and content hashes.
//!
//! This module knows nothing of science: it turns bytes into arrays and back, and every error it
//! returns names the file it was reading.

pub mod archive;
pub mod atomic;
pub mod hash;
pub mod image;
pub mod label_mapping;
pub mod mapped;
pub mod mat;
pub mod npy;

use std::path::{Path, PathBuf};

/// An error reading or writing a file. Every variant carries the path (or archive member) so the
/// message a user sees always says *which* file is wrong.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// The operating system refused or failed (missing file, permissions, disk full).
    #[error("{path}: {source}")]
    Os {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not in the expected format or is damaged.
    #[error("{path}: {problem}\n  hint: {hint}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong, with expected and found values.
        problem: String,
        /// How to fix it.
        hint: String,
    },
}

impl IoError {
    pub(crate) fn os(path: &Path, source: std::io::Error) -> Self {
        IoError::Os {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn format(path: &Path, problem: impl Into<String>, hint: impl Into<String>) -> Self {
        IoError::Format {
            path: path.to_path_buf(),
            problem: problem.into(),
            hint: hint.into(),
        }
    }

    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            IoError::Os { path, .. } | IoError::Format { path, .. } => path,
        }
    }
}

/// Result alias for this module.
pub type Result<T> = std::result::Result<T, IoError>;
