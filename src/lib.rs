//! **brainbench**: a benchmark and leaderboard harness for models that predict how the human
//! visual cortex responds to images, in the style of the Algonauts challenges.
//!
//! Data flows one way (see `README.md`):
//! official download or synthetic generator → data dir → [`benchmark::dataset::Dataset`]
//! (public [`TrainSplit`](benchmark::dataset::TrainSplit) + held-out truth) → scoring →
//! `score.json` → `leaderboard.md`.
//!
//! * [`io`]: file formats (`.npy`, MATLAB `.mat`, zips), atomic writes, hashes.
//! * [`metrics`]: correlations, noise ceilings, the encoding score, RDMs and their comparison,
//!   bootstrap intervals. Pure numerics, no files.
//! * [`benchmark`]: benchmark specifications (a [`Track`](benchmark::spec::Track) each), the
//!   data layouts they read, the synthetic cortex.
//! * [`submission`]: manifests, discovery, parsing, validation and the one writer.
//! * [`scoring`]: a submission against the truth, into a [`report::ScoreReport`].
//! * [`leaderboard`]: ranking and markdown, from `score.json` files alone.
//! * [`models`]: AlexNet, VGG-16, ResNet-18/50 in candle with every layer readable; weights.
//! * [`features`]: torchvision preprocessing, batched and cached extraction (`bench features`).
//! * [`reference`](mod@reference): the built-in submissions; [`fit`]: ridge and PCA.
//! * [`device`]: `--device auto|cpu|cuda` resolved to a candle device.
//! * [`contain`]: a dependency's panic on a malformed file turned into an error.
//!
//! The library has no command-line code: the `bench` binary parses arguments, calls one function
//! here, renders the typed report it returns, and exits with [`Error::exit_status`].
#![deny(missing_docs)]

pub mod benchmark;
pub mod ceiling;
pub mod contain;
pub mod demo;
pub mod device;
mod error;
pub mod features;
pub mod fit;
pub mod io;
pub mod leaderboard;
pub mod metrics;
pub mod models;
pub mod plot;
pub mod progress;
pub mod reference;
pub mod report;
pub mod scoring;
pub mod submission;
pub mod train;

pub use error::{Error, ExitStatus};
