//! The command line of the `bench` binary (not part of the library): clap definitions here,
//! one thin function per subcommand in [`commands`] that resolves settings, calls one library
//! function and renders the typed report it returns. No logic here that a test could not reach
//! through the library.

mod commands;
mod features;
mod render;
mod train;

use brainbench::metrics::bootstrap::interval::IntervalMethod;
use brainbench::metrics::bootstrap::unit::RsaResampling;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

pub use commands::run;
pub use features::FeaturesArgs;
pub use train::TrainArgs;

/// brainbench: score models of the human visual cortex against fMRI, Algonauts-style.
#[derive(Debug, Parser)]
#[command(name = "bench", version, about, long_about = None)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by commands that read benchmark data.
#[derive(Debug, Args, Clone)]
pub struct DataArgs {
    /// Folder for generated data (default: $BRAINBENCH_CACHE, else ./data). Real downloads are
    /// found through $BRAINBENCH_DATA.
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate the synthetic cortex, score the built-in baselines and show the leaderboard.
    Demo {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Folder for the demo's generated and trained submissions (replaced on each run; the
        /// committed `submissions/` and `leaderboard.md` are never written).
        #[arg(long, default_value = "target/bench-demo")]
        out: std::path::PathBuf,
        #[command(flatten)]
        /// Data location.
        data: DataArgs,
    },
    /// List the benchmarks, what each needs and whether its data is present.
    Benchmarks {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        /// Data location.
        data: DataArgs,
    },
    /// Print the noise ceilings of a benchmark (RSA: RDM upper/lower bounds per image set and ROI).
    Ceiling {
        /// Benchmark name.
        #[arg(long, default_value = "algonauts2019-fmri")]
        benchmark: String,
        /// Read the data from this folder instead of the benchmark's default location.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        /// Data location.
        data_args: DataArgs,
    },
    /// Generate data sets.
    Data {
        /// What to generate.
        #[command(subcommand)]
        what: DataCommand,
    },
    /// Check a submission against a benchmark's format without scoring it (no truth needed).
    Validate {
        /// Benchmark name (default: the `benchmark` of the submission's manifest).
        #[arg(long)]
        benchmark: Option<String>,
        /// Submission folder, zip or prediction file.
        path: PathBuf,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        /// Data location.
        data: DataArgs,
    },
    /// Score a submission against the held-out truth and write score.json.
    Score(ScoreArgs),
    /// Write the predictions of the built-in baselines into submissions/ (for benchmarks whose
    /// data is present).
    Baselines {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Folder of submissions.
        #[arg(long, default_value = "submissions")]
        submissions: PathBuf,
        #[command(flatten)]
        /// Data location.
        data: DataArgs,
    },
    /// Train a reference submission (reference/NAME.toml) on a benchmark's training data and
    /// write its predictions into submissions/NAME--BENCHMARK.
    Train(TrainArgs),
    /// Extract a network's layer activations (and RDMs) for a folder of images or a benchmark.
    Features(FeaturesArgs),
    /// Regenerate leaderboard.md from submissions/*/score.json.
    Leaderboard {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Fail (exit 1) if leaderboard.md is not what the scores give.
        #[arg(long)]
        check: bool,
        /// Folder of submissions.
        #[arg(long, default_value = "submissions")]
        submissions: PathBuf,
        /// Output file.
        #[arg(long, default_value = "leaderboard.md")]
        out: PathBuf,
    },
}

/// `bench data ...`
#[derive(Debug, Subcommand)]
pub enum DataCommand {
    /// Generate the synthetic-cortex benchmark data (deterministic for a seed).
    Synth {
        /// Random seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Replace existing data (needed when it was made with another seed).
        #[arg(long)]
        force: bool,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        /// Data location.
        data: DataArgs,
    },
}

/// `bench score` options.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Benchmark name (default: the `benchmark` of the submission's manifest).
    #[arg(long)]
    pub benchmark: Option<String>,
    /// Submission folder (with submission.toml).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub path: Option<PathBuf>,
    /// Score every submission under --submissions.
    #[arg(long)]
    pub all: bool,
    /// With --all: do not write, exit 1 if any committed score.json differs from a fresh score.
    #[arg(long, requires = "all")]
    pub check: bool,
    /// Folder of submissions for --all.
    #[arg(long, default_value = "submissions")]
    pub submissions: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Where to write the report (default: score.json in the submission's folder).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Bootstrap seed (default: the benchmark's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Bootstrap resamples (default: the benchmark's; 0 = no interval).
    #[arg(long)]
    pub bootstrap: Option<usize>,
    /// How the interval is formed from the resamples: percentile, basic, bca, iterated-basic or
    /// iterated-jackknife (default: iterated-jackknife; see docs/intervals.md).
    #[arg(long, value_name = "METHOD")]
    pub interval: Option<IntervalMethod>,
    /// What the RSA bootstrap resamples: stimuli, subjects or two-way (default: stimuli).
    #[arg(long, value_name = "UNIT")]
    pub rsa_bootstrap: Option<RsaResampling>,
    /// Exit 1 if the headline score is below this.
    #[arg(long)]
    pub min_score: Option<f64>,
    #[command(flatten)]
    /// Data location.
    pub data: DataArgs,
}
