//! **brainbench**: a benchmark and leaderboard harness for models that predict how the human
//! visual cortex responds to images, in the style of the Algonauts challenges.
//!
//! Data flows one way (see `README.md`):
//! official download or synthetic generator → data dir → dataset → scoring → `score.json` →
//! `leaderboard.md`.
//!
//! * [`io`]: file formats (`.npy`, MATLAB `.mat`, zips), atomic writes, hashes.
//! * [`metrics`]: correlations, noise ceilings, the encoding score, RDMs and their comparison,
//!   bootstrap intervals. Pure numerics, no files.
//! * [`benchmark`]: benchmark specifications and the data layouts they read.
//! * [`submission`]: manifests and safe discovery of submission files.
//! * [`fit`]: ridge with per-target regularisation (himalaya-style) and PCA.
//! * [`report`]: the `score.json` schema; [`leaderboard`]: ranking and markdown.
#![deny(missing_docs)]

pub mod benchmark;
pub mod ceiling;
pub mod cli;
pub mod fit;
pub mod io;
pub mod leaderboard;
pub mod metrics;
pub mod plot;
pub mod predictions;
pub mod reference;
pub mod report;
pub mod scoring;
pub mod submission;
pub mod validate;
