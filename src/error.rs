//! The library's one error type for callers that run whole commands, and the exit status each
//! error maps to (DESIGN.md): 2 for anything about the user's input or paths, 3 for our own
//! faults. Every module's error has its own `exit_status()`; [`Error`] only forwards to it.
//!
//! Messages are complete in their `Display`: print an error with `{}` once, never its source
//! chain as well (the source's text is already in the message).

use crate::benchmark::dataset::DatasetError;
use crate::benchmark::spec::SpecError;
use crate::benchmark::synth::SynthError;
use crate::ceiling::CeilingError;
use crate::features::FeaturesError;
use crate::io::IoError;
use crate::leaderboard::LeaderboardError;
use crate::reference::train::TrainError;
use crate::reference::ReferenceError;
use crate::scoring::ScoreError;
use crate::submission::SubmissionError;

/// The process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ExitStatus {
    /// Success.
    Ok = 0,
    /// Scored, but below the `--min-score` gate, or a `--check` found stale files.
    BelowGate = 1,
    /// The input is invalid: a bad submission, missing data, a wrong path or argument.
    InvalidInput = 2,
    /// Our own fault: a bug, or a built-in file of the tool that is broken.
    Internal = 3,
}

impl ExitStatus {
    /// The numeric code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// Any error a whole command can end with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file.
    #[error(transparent)]
    Io(#[from] IoError),
    /// A benchmark specification.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// A benchmark's data.
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// A submission.
    #[error(transparent)]
    Submission(#[from] SubmissionError),
    /// Scoring.
    #[error(transparent)]
    Score(#[from] ScoreError),
    /// The leaderboard.
    #[error(transparent)]
    Leaderboard(#[from] LeaderboardError),
    /// The synthetic cortex.
    #[error(transparent)]
    Synth(#[from] SynthError),
    /// A built-in reference submission.
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// Noise-ceiling tables.
    #[error(transparent)]
    Ceiling(#[from] CeilingError),
    /// Feature extraction.
    #[error(transparent)]
    Features(#[from] FeaturesError),
    /// Training a reference.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// The `--device` asked for.
    #[error(transparent)]
    Device(#[from] crate::device::DeviceError),
    /// A command used wrongly, with how to use it.
    #[error("{problem}\n  hint: {hint}")]
    Usage {
        /// What is wrong.
        problem: String,
        /// How to fix it.
        hint: String,
    },
}

impl Error {
    /// The exit status this error maps to.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Io(_) | Error::Usage { .. } => ExitStatus::InvalidInput,
            Error::Spec(e) => e.exit_status(),
            Error::Dataset(e) => e.exit_status(),
            Error::Submission(e) => e.exit_status(),
            Error::Score(e) => e.exit_status(),
            Error::Leaderboard(_) => ExitStatus::InvalidInput,
            Error::Synth(e) => e.exit_status(),
            Error::Reference(e) => e.exit_status(),
            Error::Ceiling(e) => e.exit_status(),
            Error::Features(e) => e.exit_status(),
            Error::Train(e) => e.exit_status(),
            Error::Device(e) => e.exit_status(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchmark::spec::BenchmarkSpec;
    use std::path::Path;

    #[test]
    fn a_broken_built_in_benchmark_is_our_fault_and_a_bad_path_is_the_users() {
        let broken = BenchmarkSpec::parse("x", "name = 'y'").unwrap_err();
        assert_eq!(Error::from(broken).exit_status(), ExitStatus::Internal);
        let unknown = BenchmarkSpec::built_in("nope").unwrap_err();
        assert_eq!(Error::from(unknown).exit_status(), ExitStatus::InvalidInput);
        let missing =
            crate::io::atomic::write_atomic(Path::new("/missing/dir/x.json"), b"x").unwrap_err();
        assert_eq!(Error::from(missing).exit_status(), ExitStatus::InvalidInput);
    }

    #[test]
    fn an_os_error_is_printed_once() {
        let err = Error::from(crate::io::npy::read_info(Path::new("/missing/x.npy")).unwrap_err());
        let text = err.to_string();
        assert_eq!(text.matches("No such file").count(), 1, "{text}");
        assert_eq!(text.matches("/missing/x.npy").count(), 1, "{text}");
    }
}
