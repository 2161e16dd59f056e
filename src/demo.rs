//! `bench demo`: the README's first command. Generates the synthetic cortex, writes the built-in
//! submissions, scores every submission whose data is present and renders the board, without
//! writing any `score.json` or `leaderboard.md`.

use crate::benchmark::dataset::Dataset;
use crate::benchmark::spec::{BenchmarkSpec, DataRoots};
use crate::benchmark::synth::{self, SynthConfig, SynthOutcome};
use crate::leaderboard::{self, Entry, Scores};
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
    /// The scores, in submission-folder order.
    pub scores: Vec<ScoreReport>,
    /// Submissions not scored.
    pub skipped: Vec<Skipped>,
    /// The leaderboard of these scores (markdown), not written anywhere.
    pub board: String,
}

/// Runs the demo with the generated data under `roots` and submissions under `submissions`.
pub fn run(roots: &DataRoots, submissions: &Path) -> Result<DemoReport, Error> {
    let synth = synth::ensure(&roots.generated, &SynthConfig::default(), false)?;
    let built_in = reference::write_all(roots, submissions)?;
    let mut scores = Vec::new();
    let mut skipped = Vec::new();
    for dir in submission::discover(submissions)? {
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
        scores,
        skipped,
        board,
    })
}
