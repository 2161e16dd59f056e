//! Training the references that learn (issue 14): an AdamW whose state we own
//! ([`optimizer`]), safetensors checkpoints that resume bit-identically on the CPU
//! ([`checkpoint`]), the seeded epoch loop with early stopping and NaN guard ([`engine`]), a CSV
//! log ([`log`]), the losses ([`losses`]), differentiable layers candle lacks ([`layers`]), and
//! the two trained references: the Siamese VGG-16 on dissimilarities ([`siamese`]) and the small
//! CNN from scratch ([`scratch`]).
//!
//! Everything here is deterministic on the CPU for a given seed: batch order and dropout masks
//! come from `ChaCha8Rng` streams derived from (seed, epoch, batch), never from candle's
//! unseedable CPU generator.

pub mod checkpoint;
pub mod engine;
pub mod layers;
pub mod log;
pub mod losses;
pub mod optimizer;
pub mod scratch;
pub mod siamese;

use std::path::PathBuf;

/// An error while training.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The loss became NaN or infinite.
    #[error(
        "the training loss became {loss} at epoch {epoch}, batch {batch}; training stopped{}. \
         Lower the learning rate (--lr) or check the training data",
        match checkpoint {
            Some(p) => format!(" and the last good checkpoint ({}) was kept", p.display()),
            None => String::new(),
        }
    )]
    NonFiniteLoss {
        /// The epoch (1-based).
        epoch: usize,
        /// The batch within the epoch (1-based).
        batch: usize,
        /// The loss value.
        loss: f64,
        /// The last good checkpoint, when checkpoints are written.
        checkpoint: Option<PathBuf>,
    },
    /// A checkpoint that does not belong to this run.
    #[error("refusing to resume from {path}: {why}")]
    IncompatibleCheckpoint {
        /// The checkpoint.
        path: PathBuf,
        /// What differs.
        why: String,
    },
    /// A checkpoint that cannot be read or written.
    #[error("checkpoint {path}: {problem}")]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
    /// The training data cannot train this reference.
    #[error("{0}")]
    BadData(String),
    /// A configuration value that cannot work.
    #[error("invalid training configuration: {0}")]
    BadConfig(String),
    /// Reading images or weights, or running a pretrained network.
    #[error(transparent)]
    Features(#[from] crate::features::FeaturesError),
    /// A model error (pretrained network).
    #[error(transparent)]
    Model(#[from] crate::models::ModelError),
    /// Writing the log.
    #[error(transparent)]
    Io(#[from] crate::io::IoError),
    /// candle failed (a bug).
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
}

impl TrainError {
    /// The exit status this error maps to.
    pub fn exit_status(&self) -> crate::ExitStatus {
        match self {
            TrainError::Candle(_) => crate::ExitStatus::Internal,
            TrainError::Features(e) => e.exit_status(),
            _ => crate::ExitStatus::InvalidInput,
        }
    }
}

/// Result of training code.
pub type Result<T> = std::result::Result<T, TrainError>;
