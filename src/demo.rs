//! `bench demo`: the README's first command. Generates the synthetic cortex, writes the built-in
//! baselines, trains every reference at a small CPU size (the trained ones for
//! [`DEMO_EPOCHS`] epochs; a random initialisation, labelled so, where weights are missing), all
//! into a demo folder, scores them with the team submissions of `submissions/` whose data is
//! present, and renders the board, without writing any `score.json` or `leaderboard.md`.

use crate::benchmark::dataset::Dataset;
use crate::benchmark::spec::{BenchmarkSpec, DataRoots};
use crate::benchmark::synth::{self, SynthConfig, SynthOutcome};
use crate::device::DeviceChoice;
use crate::leaderboard::{self, Entry, Scores};
use crate::reference::learned::LoopOverrides;
use crate::reference::train::{self, TrainAllEntry, TrainOptions};
use crate::reference::{self, WriteOutcome};
use crate::report::ScoreReport;
use crate::scoring::{self, ScoreOptions};
use crate::submission;
use crate::Error;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A submission the demo did not score, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skipped {
    /// The submission folder.
    pub path: PathBuf,
    /// Why (its benchmark's data is absent, or it failed to score).
    pub reason: String,
}

/// Everything the demo did.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    /// The synthetic cortex: kept or generated.
    pub synth: SynthOutcome,
    /// The built-in submissions written or skipped.
    pub built_in: Vec<WriteOutcome>,
    /// The references trained, skipped or failed.
    pub trained: Vec<TrainAllEntry>,
    /// The scores, in submission-folder order.
    pub scores: Vec<ScoreReport>,
    /// Submissions not scored.
    pub skipped: Vec<Skipped>,
    /// The leaderboard of these scores (markdown), not written anywhere.
    pub board: String,
}

/// Epochs of the references that train network weights in the demo (their committed size is
/// larger; see `reference/*.toml`).
pub const DEMO_EPOCHS: usize = 2;

/// Runs the demo with the generated data under `roots`: built-in and trained submissions go to
/// `out` (replaced), the team submissions of `submissions` (folders without `--`) are scored
/// beside them.
pub fn run(roots: &DataRoots, submissions: &Path, out: &Path) -> Result<DemoReport, Error> {
    let synth = synth::ensure(&roots.generated, &SynthConfig::default(), false)?;
    if out.exists() {
        std::fs::remove_dir_all(out).map_err(|e| crate::io::IoError::os(out, e))?;
    }
    let built_in = reference::write_all(roots, out)?;
    let opts = TrainOptions {
        benchmark: String::new(),
        weights: None,
        random_init: false,
        seed: None,
        layers: None,
        out: None,
        force: true,
        overrides: LoopOverrides {
            epochs: Some(DEMO_EPOCHS),
            ..LoopOverrides::default()
        },
        resume: false,
        device: DeviceChoice::Auto,
        random_init_if_missing: true,
        roots: roots.clone(),
        submissions: out.to_path_buf(),
    };
    let trained = train::train_all(&opts, None, &[])?;
    let mut dirs = submission::discover(out)?;
    if submissions.is_dir() {
        dirs.extend(submission::discover(submissions)?.into_iter().filter(|d| {
            d.file_name()
                .is_some_and(|n| !n.to_string_lossy().contains("--"))
        }));
    }
    let mut scores = Vec::new();
    let mut skipped = Vec::new();
    for dir in dirs {
        let scored = submission::Manifest::read(&dir)
            .map_err(Error::from)
            .and_then(|m| Ok(BenchmarkSpec::built_in(&m.benchmark)?))
            .and_then(|spec| {
                let dataset = Dataset::open(&spec, roots)?;
                let truth = dataset.held_out()?;
                let opts = ScoreOptions::for_benchmark(&spec, &Default::default());
                Ok(scoring::score_submission(
                    &dataset, &truth, roots, &dir, &opts,
                )?)
            });
        match scored {
            Ok(report) => scores.push(report),
            Err(e) => skipped.push(Skipped {
                path: dir,
                reason: e.to_string(),
            }),
        }
    }
    let board = leaderboard::render(Scores {
        entries: scores
            .iter()
            .map(|report| Entry {
                path: PathBuf::from(&report.submission.id).join("score.json"),
                report: report.clone(),
            })
            .collect(),
        unreadable: Vec::new(),
    });
    Ok(DemoReport {
        synth,
        built_in,
        trained,
        scores,
        skipped,
        board,
    })
}
