//! `score.json`: the report of scoring one submission. A public interface: every field is
//! documented here and in `docs/score-json.md`, the leaderboard is built from these files alone,
//! and the same inputs and seed give a byte-identical file (no timestamps, sorted maps, fixed
//! float formatting by serde_json).

use crate::benchmark::spec::Kind;
use crate::metrics::bootstrap::interval::IntervalWarning;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of this schema; bump on any incompatible change.
pub const SCHEMA_VERSION: u32 = 4;

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreReport {
    /// [`SCHEMA_VERSION`] at the time of writing.
    pub schema: u32,
    /// The tool that wrote it.
    pub tool: ToolInfo,
    /// The benchmark scored against.
    pub benchmark: String,
    /// The version of the benchmark's definition at scoring time.
    pub benchmark_version: u32,
    /// Encoding or RSA.
    pub kind: Kind,
    /// Who submitted what.
    pub submission: SubmissionInfo,
    /// The headline score with its interval.
    pub headline: Headline,
    /// The noise ceiling(s) used.
    pub noise_ceiling: CeilingInfo,
    /// The scores shown as leaderboard columns, in the benchmark's order: RSA, one per target
    /// ROI; encoding, one per ROI of the benchmark's `columns` ROI set (pooled over subjects and
    /// hemispheres; empty when the data has no such set).
    pub targets: Vec<NamedScore>,
    /// Further breakdowns, each by one typed [`Group`]: encoding, per subject, per hemisphere,
    /// per ROI of every ROI set, and a summary (median, mean raw r); RSA, every subject's rho per
    /// target.
    pub breakdown: Vec<Breakdown>,
    /// Counts of special cases (encoding: `vertices`, `nc_zero`, `clipped_at_100`,
    /// `undefined_r`; empty for RSA).
    pub counts: BTreeMap<String, u64>,
    /// The bootstrap behind the interval, with every resample's score so the leaderboard can form
    /// paired differences between submissions (same seed ⇒ same resamples).
    pub bootstrap: BootstrapInfo,
    /// SHA-256 of every prediction file scored, by path relative to the submission folder.
    pub inputs: BTreeMap<String, String>,
    /// SHA-256 of every truth file used, by path relative to the benchmark's data folder.
    pub truth: BTreeMap<String, String>,
}

/// Tool name and version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolInfo {
    /// Always `brainbench`.
    pub name: String,
    /// The crate version.
    pub version: String,
}

impl ToolInfo {
    /// This build of the tool.
    pub fn current() -> Self {
        ToolInfo {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// The submission's manifest fields, copied into the report so the leaderboard needs nothing else.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SubmissionInfo {
    /// Folder name under `submissions/`.
    pub id: String,
    /// Team name.
    pub team: String,
    /// Model name.
    pub model: String,
    /// Short description.
    pub description: String,
    /// Paper or code link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Submission date (YYYY-MM-DD).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// The headline score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Headline {
    /// What the number is, in words.
    pub metric: String,
    /// The score on the full test set.
    pub value: f64,
    /// Lower end of the bootstrap interval (`None` without a bootstrap), clipped to the score's
    /// range.
    pub ci_low: Option<f64>,
    /// Upper end of the bootstrap interval.
    pub ci_high: Option<f64>,
    /// The score as a percentage of the noise ceiling (RSA: ratio of means), where defined.
    pub percent_of_ceiling: Option<f64>,
}

/// The noise ceiling used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CeilingInfo {
    /// Which method (`ncsnr`, `split-half`, `rdm-upper-bound`).
    pub method: String,
    /// The ceiling on the headline's scale (RSA: mean of the targets' upper bounds; encoding: mean
    /// NC in percent).
    pub value: f64,
    /// Per target.
    pub per_target: BTreeMap<String, f64>,
}

/// One named score with the figures that belong to it. Which optional fields are present
/// depends on the track: `vertices` for encoding groups, `noise_ceiling`, `percent_of_ceiling`,
/// `t` and `p_value` for RSA targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedScore {
    /// Target or member name (e.g. `EVC`, `V1v`, `subj01`, `lh`, `median`).
    pub name: String,
    /// The score.
    pub value: f64,
    /// Encoding: the number of vertices the mean is over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vertices: Option<u64>,
    /// RSA target: its noise ceiling (upper bound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise_ceiling: Option<f64>,
    /// RSA target: the score as a percentage of its noise ceiling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent_of_ceiling: Option<f64>,
    /// RSA target: one-sample t statistic of the subjects' squared rho against 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t: Option<f64>,
    /// RSA target: its p-value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_value: Option<f64>,
}

impl NamedScore {
    /// A score with no further figures.
    pub fn plain(name: impl Into<String>, value: f64) -> Self {
        NamedScore {
            name: name.into(),
            value,
            vertices: None,
            noise_ceiling: None,
            percent_of_ceiling: None,
            t: None,
            p_value: None,
        }
    }
}

/// What a breakdown groups by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Group {
    /// Encoding: each subject (`subj01` ...), pooled over hemispheres.
    Subject,
    /// Encoding: each hemisphere (`lh`, `rh`), pooled over subjects.
    Hemisphere,
    /// Encoding: each ROI of one ROI set, pooled over subjects and hemispheres.
    RoiSet {
        /// The ROI set (`prf-visualrois`, `streams`, ...).
        set: String,
    },
    /// Encoding: the median NNEA over all vertices (`median`) and the mean raw r (`mean_raw_r`).
    Summary,
    /// RSA: every subject's Spearman rho with the model for one target (`subject01` ...).
    SubjectRho {
        /// The target ROI.
        target: String,
    },
}

/// A breakdown of the score by one grouping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    /// The grouping.
    pub group: Group,
    /// Scores per member of the group.
    pub scores: Vec<NamedScore>,
}

/// The bootstrap that produced the interval, and how the interval was formed from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BootstrapInfo {
    /// Number of resamples (0 = none).
    pub resamples: usize,
    /// Seed of the resampling.
    pub seed: u64,
    /// Interval level (0.95).
    pub level: f64,
    /// What was resampled: `stimuli` (encoding: the test images, drawn jointly for subjects who
    /// saw the same images), `subjects` or `stimuli-and-subjects` (RSA two-way).
    pub over: String,
    /// Which sources of variance the interval covers, in words.
    pub covers: String,
    /// The interval method asked for (`--interval`).
    pub method_requested: String,
    /// The method that produced the interval: the one asked for, `basic` after a BCa
    /// fallback, or `two-way-t` (rsatoolbox's t interval of the two-way bootstrap).
    pub method: String,
    /// The bootstrap bias `mean(samples) − value` (`None` without a bootstrap). When it is
    /// large against the interval's width, a percentile interval can exclude the score.
    pub bias: Option<f64>,
    /// The iterated-bootstrap bias (the iterated methods only).
    pub iterated_bias: Option<f64>,
    /// Why the interval deserves care, or which fallback produced it; empty usually.
    pub warnings: Vec<IntervalWarning>,
    /// The headline score of every resample, in resample order.
    pub samples: Vec<f64>,
    /// Iterated methods: the score of one second-level resample drawn from every resample, in
    /// resample order (paired between submissions like `samples`); empty otherwise.
    pub nested_samples: Vec<f64>,
    /// BCa and iterated-jackknife: the jackknife values per resampled group (one unit left out
    /// each); empty otherwise.
    pub jackknife: Vec<Vec<f64>>,
    /// RSA over stimuli, iterated-jackknife: the variance subtracted from the jackknife's
    /// before the interval is formed (an RDM correlation's pair variance, which the jackknife
    /// counts twice; applied when the score is at least 2 jackknife standard errors above 0,
    /// `docs/intervals.md`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jackknife_excess_variance: Option<f64>,
    /// Further intervals, e.g. over subjects, by name: `[low, high]`.
    pub other_intervals: BTreeMap<String, [f64; 2]>,
}

impl ScoreReport {
    /// The report as pretty JSON with a trailing newline (the exact bytes written to disk).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("report serialises");
        s.push('\n');
        s
    }

    /// A short hash identifying the scored inputs (first 12 hex digits of the SHA-256 of the
    /// sorted `path=sha256` lines).
    pub fn input_hash(&self) -> String {
        let text: String = self
            .inputs
            .iter()
            .map(|(p, h)| format!("{p}={h}\n"))
            .collect();
        crate::io::hash::sha256_hex(text.as_bytes())[..12].to_string()
    }
}
