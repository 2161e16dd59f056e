//! Scoring: a submission and a benchmark's held-out truth in, a [`ScoreReport`] out.
//!
//! Scoring never reads training data, and refuses to score a submission that `bench validate`
//! would reject (the same parsers run first). [`score_all`] scores every submission of a folder,
//! opening each benchmark's data and truth once.

use crate::benchmark::algonauts2023::Truth;
use crate::benchmark::dataset::{Dataset, DatasetError, HeldOut, RsaTruth};
use crate::benchmark::spec::{BenchmarkSpec, DataRoots, EncodingTrack, SpecError, Track};
use crate::io::atomic::write_atomic;
use crate::io::IoError;
use crate::metrics::bootstrap::interval::{bootstrap_interval_adjusted, IntervalMethod};
use crate::metrics::bootstrap::unit::{RsaResampling, STIMULI_COVER};
use crate::metrics::bootstrap::{self, BootstrapConfig};
use crate::metrics::encoding::{self, EncodingBlock, VertexGroup};
use crate::metrics::{rsa, MetricsError};
use crate::progress::Progress;
use crate::report::{
    BootstrapInfo, Breakdown, CeilingInfo, Group, Headline, NamedScore, ScoreReport,
    SubmissionInfo, ToolInfo, SCHEMA_VERSION,
};
use crate::submission::parse::{EncodingPredictions, RsaPredictions};
use crate::submission::{self, Predictions, SubmissionError};
use crate::ExitStatus;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Bootstrap settings of one scoring run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreOptions {
    /// Seed of the resampling.
    pub seed: u64,
    /// Number of resamples (0 = no interval).
    pub resamples: usize,
    /// How the interval is formed from the resamples (`--interval`).
    pub interval: IntervalMethod,
    /// What the RSA bootstrap resamples (`--rsa-bootstrap`; encoding always resamples the
    /// test images).
    pub rsa_bootstrap: RsaResampling,
}

/// Command-line overrides of a benchmark's scoring defaults; `None` keeps the default.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ScoreOverrides {
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--bootstrap`.
    pub resamples: Option<usize>,
    /// `--interval`.
    pub interval: Option<IntervalMethod>,
    /// `--rsa-bootstrap`.
    pub rsa_bootstrap: Option<RsaResampling>,
}

impl ScoreOptions {
    /// The benchmark's defaults, each overridden where given.
    pub fn for_benchmark(spec: &BenchmarkSpec, o: &ScoreOverrides) -> Self {
        ScoreOptions {
            seed: o.seed.unwrap_or(spec.scoring.seed),
            resamples: o.resamples.unwrap_or(spec.scoring.bootstrap),
            interval: o.interval.unwrap_or_default(),
            rsa_bootstrap: o.rsa_bootstrap.unwrap_or_default(),
        }
    }
}

/// Why a submission could not be scored.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// A file problem.
    #[error(transparent)]
    Io(#[from] IoError),
    /// The benchmark.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The benchmark's data or truth.
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// The submission: manifest, files, validation.
    #[error(transparent)]
    Submission(#[from] SubmissionError),
    /// A metric could not be computed from these predictions and truth.
    #[error(transparent)]
    Metrics(#[from] MetricsError),
}

impl ScoreError {
    /// The exit status this error maps to.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            ScoreError::Io(_) | ScoreError::Metrics(_) => ExitStatus::InvalidInput,
            ScoreError::Spec(e) => e.exit_status(),
            ScoreError::Dataset(e) => e.exit_status(),
            ScoreError::Submission(e) => e.exit_status(),
        }
    }
}

/// Scores the submission folder `dir` against the dataset's held-out `truth`
/// (from [`Dataset::held_out`]).
pub fn score_submission(
    dataset: &Dataset,
    truth: &HeldOut,
    roots: &DataRoots,
    dir: &Path,
    opts: &ScoreOptions,
) -> Result<ScoreReport, ScoreError> {
    let loaded = submission::load(dataset, roots, dir)?;
    let cfg = BootstrapConfig {
        n_resamples: opts.resamples,
        seed: opts.seed,
        level: 0.95,
    };
    let spec = dataset.spec();
    let _progress = (opts.resamples > 0).then(|| {
        Progress::spinner(format!(
            "{}: bootstrap of {} resamples",
            spec.name, opts.resamples
        ))
    });
    let mut report = match (&spec.track, &loaded.predictions, truth) {
        (Track::Rsa(_), Predictions::Rsa(preds), HeldOut::Rsa(truth)) => {
            score_rsa(spec, truth, preds, &cfg, opts)?
        }
        (Track::Encoding(track), Predictions::Encoding(preds), HeldOut::Encoding(truth)) => {
            let groups = shared_image_groups(dataset.root())?;
            score_encoding(spec, track, truth, preds, &cfg, opts, &groups)?
        }
        _ => unreachable!("predictions and truth are parsed according to the benchmark's track"),
    };
    report.submission = loaded.manifest.info(&submission::id_of(dir));
    report.inputs = submission::files::hashes(&loaded.files);
    Ok(report)
}

/// Opens the benchmark's data and truth and scores one submission folder (for a single
/// submission; [`score_all`] shares the truth between submissions).
pub fn score_one(
    spec: &BenchmarkSpec,
    roots: &DataRoots,
    dir: &Path,
    opts: &ScoreOptions,
) -> Result<ScoreReport, ScoreError> {
    // A manifest for another benchmark is the more useful message than that benchmark's data
    // being absent.
    submission::validate::check_benchmark(spec, &submission::Manifest::read(dir)?, dir)?;
    let dataset = Dataset::open(spec, roots)?;
    let truth = dataset.held_out()?;
    score_submission(&dataset, &truth, roots, dir, opts)
}

/// Writes a report as `score.json` at `path` (atomically).
pub fn write_report(path: &Path, report: &ScoreReport) -> Result<(), IoError> {
    write_atomic(path, report.to_json().as_bytes())
}

/// One submission scored by [`score_all`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoredEntry {
    /// Submission id (folder name).
    pub id: String,
    /// Its benchmark.
    pub benchmark: String,
    /// Headline score.
    pub score: f64,
    /// The `score.json` written or checked.
    pub path: PathBuf,
}

/// A submission [`score_all`] could not score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedEntry {
    /// The submission folder.
    pub path: PathBuf,
    /// The whole error message.
    pub reason: String,
}

/// What [`score_all`] did: every submission is in exactly one of `fresh` (scored; with `check`,
/// its committed `score.json` is identical), `stale` (with `check`: the committed file differs
/// or is missing) and `failed`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScoreAllReport {
    /// Scored (and written, or found up to date under `check`).
    pub fresh: Vec<ScoredEntry>,
    /// With `check`: scored, but the committed `score.json` is not what the tool produces.
    pub stale: Vec<ScoredEntry>,
    /// Could not be scored, with the reason.
    pub failed: Vec<FailedEntry>,
}

impl ScoreAllReport {
    /// 2 if any submission failed, else 1 if any is stale, else 0.
    pub fn exit_status(&self) -> ExitStatus {
        if !self.failed.is_empty() {
            ExitStatus::InvalidInput
        } else if !self.stale.is_empty() {
            ExitStatus::BelowGate
        } else {
            ExitStatus::Ok
        }
    }
}

/// Scores every submission folder under `submissions` against its manifest's benchmark (or
/// `benchmark` when given), with the benchmark's bootstrap defaults overridden by `overrides`
/// where given. Without `check` each `score.json` is written; with `check` nothing is
/// written and each committed file is compared byte for byte. A submission that fails is
/// reported and the others are still scored.
pub fn score_all(
    submissions: &Path,
    roots: &DataRoots,
    benchmark: Option<&BenchmarkSpec>,
    overrides: &ScoreOverrides,
    check: bool,
) -> Result<ScoreAllReport, IoError> {
    let mut report = ScoreAllReport::default();
    let mut opened: BTreeMap<String, Result<(Dataset, HeldOut), String>> = BTreeMap::new();
    let dirs = submission::discover(submissions)?;
    let progress = Progress::bar(dirs.len() as u64, "scoring");
    for dir in dirs {
        progress.set_message(format!("scoring {}", submission::id_of(&dir)));
        progress.inc(1);
        let fail = |reason: String| FailedEntry {
            path: dir.clone(),
            reason,
        };
        let spec = match benchmark {
            Some(spec) => spec.clone(),
            None => match submission::Manifest::read(&dir)
                .map_err(|e| e.to_string())
                .and_then(|m| BenchmarkSpec::built_in(&m.benchmark).map_err(|e| e.to_string()))
            {
                Ok(spec) => spec,
                Err(reason) => {
                    report.failed.push(fail(reason));
                    continue;
                }
            },
        };
        let data = opened.entry(spec.name.clone()).or_insert_with(|| {
            Dataset::open(&spec, roots)
                .and_then(|d| Ok((d.held_out()?, d)))
                .map(|(truth, d)| (d, truth))
                .map_err(|e| e.to_string())
        });
        let (dataset, truth) = match data {
            Ok(pair) => (&pair.0, &pair.1),
            Err(reason) => {
                report.failed.push(fail(reason.clone()));
                continue;
            }
        };
        let opts = ScoreOptions::for_benchmark(&spec, overrides);
        let scored = match score_submission(dataset, truth, roots, &dir, &opts) {
            Ok(r) => r,
            Err(e) => {
                report.failed.push(fail(e.to_string()));
                continue;
            }
        };
        let path = dir.join("score.json");
        let entry = ScoredEntry {
            id: scored.submission.id.clone(),
            benchmark: spec.name.clone(),
            score: scored.headline.value,
            path: path.clone(),
        };
        if check {
            let committed = std::fs::read_to_string(&path).ok();
            if committed.as_deref() == Some(scored.to_json().as_str()) {
                report.fresh.push(entry);
            } else {
                report.stale.push(entry);
            }
        } else {
            match write_report(&path, &scored) {
                Ok(()) => report.fresh.push(entry),
                Err(e) => report.failed.push(fail(e.to_string())),
            }
        }
    }
    Ok(report)
}

/// A submission's resampled scores, before the interval is formed from them.
struct Resampled {
    /// What was resampled (`BootstrapInfo::over`).
    over: &'static str,
    /// What the interval covers (`BootstrapInfo::covers`).
    covers: &'static str,
    /// The score of every resample.
    samples: Vec<f64>,
    /// Iterated-basic: one second-level resample per resample.
    nested: Vec<f64>,
    /// BCa and iterated-jackknife: the jackknife values per resampled group.
    jackknife: Vec<Vec<f64>>,
    /// RSA over stimuli with iterated-jackknife: what the jackknife variance overstates (see
    /// [`bootstrap::pair_variance::rsa_jackknife_excess`]); 0 otherwise.
    jackknife_excess: f64,
    /// The score's range `(min, max)`, to which the interval is clipped.
    range: (f64, f64),
}

/// The interval by `opts.interval` and the [`BootstrapInfo`] that records it (an empty one
/// without resamples). Degenerate cases fall back as [`bootstrap_interval_adjusted`] documents and are
/// listed in `warnings`; never NaN. The ends are clipped to the score's `range` (a
/// bias-corrected interval of a score near 0 can reach below it): the score's true value lies
/// in the range, so clipping never changes whether the interval covers it.
fn interval_info(
    cfg: &BootstrapConfig,
    opts: &ScoreOptions,
    estimate: f64,
    resampled: Option<Resampled>,
    other: BTreeMap<String, [f64; 2]>,
) -> Result<(Option<bootstrap::Interval>, BootstrapInfo), ScoreError> {
    let mut info = BootstrapInfo {
        resamples: cfg.n_resamples,
        seed: cfg.seed,
        level: cfg.level,
        over: "none".into(),
        covers: "nothing: no bootstrap (--bootstrap 0)".into(),
        method_requested: opts.interval.to_string(),
        method: "none".into(),
        bias: None,
        iterated_bias: None,
        warnings: Vec::new(),
        samples: Vec::new(),
        nested_samples: Vec::new(),
        jackknife: Vec::new(),
        jackknife_excess_variance: None,
        other_intervals: other,
    };
    let Some(r) = resampled else {
        return Ok((None, info));
    };
    let iv = bootstrap_interval_adjusted(
        opts.interval,
        estimate,
        &r.samples,
        &r.jackknife,
        r.jackknife_excess,
        &r.nested,
        cfg.level,
    )?;
    let (min, max) = r.range;
    let interval = bootstrap::Interval {
        low: iv.interval.low.clamp(min, max),
        high: iv.interval.high.clamp(min, max),
        level: iv.interval.level,
    };
    info.over = r.over.into();
    info.covers = r.covers.into();
    info.method = iv.method.to_string();
    info.bias = Some(iv.bias);
    info.iterated_bias = iv.iterated_bias;
    info.warnings = iv.warnings;
    info.samples = r.samples;
    info.nested_samples = r.nested;
    info.jackknife = r.jackknife;
    info.jackknife_excess_variance = iv.jackknife_excess;
    Ok((Some(interval), info))
}

/// Which test images each subject saw: subjects whose test-image file names are identical
/// share a resampling group (the index of the first such subject), so a resample draws the
/// same images for all of them (`docs/intervals.md`, "The resampling unit").
fn shared_image_groups(root: &Path) -> Result<BTreeMap<String, u64>, ScoreError> {
    let layout =
        crate::benchmark::algonauts2023::Layout::discover(root).map_err(DatasetError::from)?;
    let names = |s: &crate::benchmark::algonauts2023::Subject| -> Vec<String> {
        s.test_images
            .iter()
            .map(|p| {
                p.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect()
    };
    let mut sets: Vec<Vec<String>> = Vec::new();
    let mut groups = BTreeMap::new();
    for subject in &layout.subjects {
        let images = names(subject);
        let group = match sets.iter().position(|s| *s == images) {
            Some(g) => g,
            None => {
                sets.push(images);
                sets.len() - 1
            }
        };
        groups.insert(subject.id.clone(), group as u64);
    }
    Ok(groups)
}

fn empty_report(
    spec: &BenchmarkSpec,
    headline: Headline,
    noise_ceiling: CeilingInfo,
    bootstrap: BootstrapInfo,
) -> ScoreReport {
    ScoreReport {
        schema: SCHEMA_VERSION,
        tool: ToolInfo::current(),
        benchmark: spec.name.clone(),
        benchmark_version: spec.version,
        kind: spec.kind(),
        submission: SubmissionInfo::default(),
        headline,
        noise_ceiling,
        targets: Vec::new(),
        breakdown: Vec::new(),
        counts: BTreeMap::new(),
        bootstrap,
        inputs: BTreeMap::new(),
        truth: BTreeMap::new(),
    }
}

/// The Algonauts 2019 score (SCIENCE.md §2) with the bootstrap `opts.rsa_bootstrap` names
/// and, beside it, the intervals of the other one-way bootstrap (§3).
fn score_rsa(
    spec: &BenchmarkSpec,
    truth: &RsaTruth,
    preds: &RsaPredictions,
    cfg: &BootstrapConfig,
    opts: &ScoreOptions,
) -> Result<ScoreReport, ScoreError> {
    let mut rois = Vec::new();
    let mut per_target = BTreeMap::new();
    for (target, rdms) in &truth.rdms {
        let ceiling = rsa::rdm_noise_ceiling(rdms)?;
        per_target.insert(target.clone(), ceiling.upper);
        rois.push(rsa::roi_score(target, &preds[target], rdms, ceiling.upper)?);
    }
    let overall = rsa::overall(rois)?;
    let boot_rois: Vec<bootstrap::rsa::RsaRoi> = truth
        .rdms
        .iter()
        .map(|(t, s)| bootstrap::rsa::RsaRoi {
            model: &preds[t],
            subjects: s,
        })
        .collect();
    let (interval, info) = rsa_interval(&boot_rois, overall.score, cfg, opts)?;
    let targets: Vec<&str> = truth.rdms.iter().map(|(t, _)| t.as_str()).collect();
    let mean_nc = per_target.values().sum::<f64>() / per_target.len() as f64;
    let headline = Headline {
        metric: format!("R² = mean over {} of the mean over subjects of Spearman(model, subject RDM)², Algonauts 2019", targets.join(" and ")),
        value: overall.score,
        ci_low: interval.map(|i| i.low),
        ci_high: interval.map(|i| i.high),
        percent_of_ceiling: overall.pct_nc,
    };
    let ceiling = CeilingInfo {
        method: "rdm-upper-bound".into(),
        value: mean_nc,
        per_target,
    };
    let mut report = empty_report(spec, headline, ceiling, info);
    report.targets = overall
        .rois
        .iter()
        .map(|roi| NamedScore {
            noise_ceiling: Some(roi.nc),
            percent_of_ceiling: roi.pct_nc,
            t: roi.ttest.as_ref().map(|t| t.t),
            p_value: roi.ttest.as_ref().map(|t| t.p),
            ..NamedScore::plain(&roi.name, roi.r2)
        })
        .collect();
    report.breakdown = overall
        .rois
        .iter()
        .map(|roi| Breakdown {
            group: Group::SubjectRho {
                target: roi.name.clone(),
            },
            scores: roi
                .rho
                .iter()
                .enumerate()
                .map(|(s, r)| NamedScore::plain(format!("subject{:02}", s + 1), *r))
                .collect(),
        })
        .collect();
    report.truth = truth.hashes.clone();
    Ok(report)
}

/// The RSA interval by `opts.rsa_bootstrap` and `opts.interval`, with the other one-way
/// bootstrap's interval (same method) under `other_intervals`.
fn rsa_interval(
    rois: &[bootstrap::rsa::RsaRoi],
    estimate: f64,
    cfg: &BootstrapConfig,
    opts: &ScoreOptions,
) -> Result<(Option<bootstrap::Interval>, BootstrapInfo), ScoreError> {
    use bootstrap::{jackknife, rsa as brsa, unit};
    let one_way = |unit: RsaResampling| -> Result<Resampled, ScoreError> {
        let method = opts.interval;
        let (samples, nested, jackknife, jackknife_excess) = match unit {
            RsaResampling::Subjects => (
                brsa::bootstrap_rsa_subjects(rois, cfg)?.samples,
                if method.needs_nested() {
                    unit::bootstrap_rsa_subjects_nested(rois, cfg)?
                } else {
                    Vec::new()
                },
                if method.needs_jackknife() {
                    vec![jackknife::jackknife_rsa_subjects(rois)?]
                } else {
                    Vec::new()
                },
                0.0,
            ),
            _ => (
                brsa::bootstrap_rsa_stimuli(rois, cfg)?.samples,
                if method.needs_nested() {
                    brsa::bootstrap_rsa_stimuli_nested(rois, cfg)?
                } else {
                    Vec::new()
                },
                if method.needs_jackknife() {
                    vec![jackknife::jackknife_rsa_stimuli(rois)?]
                } else {
                    Vec::new()
                },
                if method == IntervalMethod::IteratedJackknife {
                    bootstrap::pair_variance::rsa_jackknife_excess(rois)?
                } else {
                    0.0
                },
            ),
        };
        Ok(Resampled {
            over: unit.over(),
            covers: unit.covers(),
            samples,
            nested,
            jackknife,
            jackknife_excess,
            range: RSA_RANGE,
        })
    };
    if cfg.n_resamples == 0 {
        return interval_info(cfg, opts, estimate, None, BTreeMap::new());
    }
    match opts.rsa_bootstrap {
        RsaResampling::TwoWay => {
            let two = brsa::bootstrap_rsa_two_way(rois, estimate, cfg)?;
            let mut other = BTreeMap::new();
            for unit in [RsaResampling::Stimuli, RsaResampling::Subjects] {
                let (iv, _) =
                    interval_info(cfg, opts, estimate, Some(one_way(unit)?), BTreeMap::new())?;
                if let Some(iv) = iv {
                    other.insert(unit.as_str().to_string(), [iv.low, iv.high]);
                }
            }
            let (_, mut info) = interval_info(cfg, opts, estimate, None, other)?;
            let two_way = RsaResampling::TwoWay;
            info.over = two_way.over().into();
            info.covers = two_way.covers().into();
            info.method = TWO_WAY_T.into();
            info.bias = Some(two.both.iter().sum::<f64>() / two.both.len() as f64 - estimate);
            info.samples = two.both;
            let interval = bootstrap::Interval {
                low: two.interval.low.clamp(RSA_RANGE.0, RSA_RANGE.1),
                high: two.interval.high.clamp(RSA_RANGE.0, RSA_RANGE.1),
                level: two.interval.level,
            };
            Ok((Some(interval), info))
        }
        unit => {
            let other_unit = match unit {
                RsaResampling::Subjects => RsaResampling::Stimuli,
                _ => RsaResampling::Subjects,
            };
            let (other_iv, _) = interval_info(
                cfg,
                opts,
                estimate,
                Some(one_way(other_unit)?),
                BTreeMap::new(),
            )?;
            let other = other_iv
                .map(|iv| (other_unit.as_str().to_string(), [iv.low, iv.high]))
                .into_iter()
                .collect();
            interval_info(cfg, opts, estimate, Some(one_way(unit)?), other)
        }
    }
}

/// Range of the RSA score (a mean of squared correlations).
const RSA_RANGE: (f64, f64) = (0.0, 1.0);

/// `BootstrapInfo::method` of the two-way RSA bootstrap: rsatoolbox's t interval from the
/// corrected two-way variance ([`bootstrap::rsa::bootstrap_rsa_two_way`]); `--interval` does
/// not apply to it.
pub const TWO_WAY_T: &str = "two-way-t";

/// The encoding bootstrap over test images (one draw per resampling group) with what `method`
/// needs beyond the resamples.
fn encoding_resamples(
    blocks: &[EncodingBlock<f32>],
    cfg: &BootstrapConfig,
    method: IntervalMethod,
) -> Result<Resampled, ScoreError> {
    use bootstrap::encoding::{bootstrap_encoding, bootstrap_encoding_nested};
    Ok(Resampled {
        over: "stimuli",
        covers: STIMULI_COVER,
        samples: bootstrap_encoding(blocks, cfg)?.samples,
        nested: if method.needs_nested() {
            bootstrap_encoding_nested(blocks, cfg)?
        } else {
            Vec::new()
        },
        jackknife: if method.needs_jackknife() {
            bootstrap::jackknife::jackknife_encoding(blocks)?
        } else {
            Vec::new()
        },
        jackknife_excess: 0.0,
        range: (0.0, 100.0),
    })
}

/// A vertex group of the encoding breakdown: which [`Group`] it belongs to and its member name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct GroupKey {
    group: Group,
    member: String,
}

/// The Algonauts 2023 devkit score (SCIENCE.md §1), pooled over all subjects and hemispheres,
/// with the stimulus bootstrap (§3).
fn score_encoding(
    spec: &BenchmarkSpec,
    track: &EncodingTrack,
    truth: &Truth,
    preds: &EncodingPredictions,
    cfg: &BootstrapConfig,
    opts: &ScoreOptions,
    image_groups: &BTreeMap<String, u64>,
) -> Result<ScoreReport, ScoreError> {
    let keys: Vec<&(String, String)> = preds.keys().collect();
    // Resampling groups: subjects who saw the same test images share one.
    let blocks: Vec<EncodingBlock<f32>> = keys
        .iter()
        .map(|k| {
            let t = &truth.blocks[*k];
            EncodingBlock {
                pred: preds[*k].view(),
                truth: t.fmri.view(),
                nc: &t.nc,
                subject: image_groups.get(&k.0).copied().unwrap_or(u64::MAX),
            }
        })
        .collect();
    let scores: Vec<encoding::VertexScores> = blocks
        .iter()
        .map(encoding::score_block)
        .collect::<Result<_, _>>()?;
    // Groups: each subject, each hemisphere, and each ROI of each set (pooled over subjects).
    let mut groups: BTreeMap<GroupKey, Vec<usize>> = BTreeMap::new();
    let mut offset = 0;
    for k in &keys {
        let t = &truth.blocks[*k];
        let n = t.nc.len();
        for (group, member) in [(Group::Subject, &k.0), (Group::Hemisphere, &k.1)] {
            groups
                .entry(GroupKey {
                    group,
                    member: member.clone(),
                })
                .or_default()
                .extend(offset..offset + n);
        }
        for roi in &t.rois {
            groups
                .entry(GroupKey {
                    group: Group::RoiSet {
                        set: roi.set.clone(),
                    },
                    member: roi.name.clone(),
                })
                .or_default()
                .extend(roi.vertices.iter().map(|v| offset + v));
        }
        offset += n;
    }
    let (keys, vertex_groups): (Vec<GroupKey>, Vec<VertexGroup>) = groups
        .into_iter()
        .map(|(key, vertices)| {
            let name = format!("{:?}/{}", key.group, key.member);
            (key, VertexGroup { name, vertices })
        })
        .unzip();
    let summary = encoding::summarise(&scores, &vertex_groups)?;
    let resampled = (cfg.n_resamples > 0)
        .then(|| encoding_resamples(&blocks, cfg, opts.interval))
        .transpose()?;
    let (interval, info) = interval_info(cfg, opts, summary.mean, resampled, BTreeMap::new())?;
    let mean_nc =
        100.0 * truth.blocks.values().flat_map(|b| b.nc.iter()).sum::<f64>() / offset.max(1) as f64;
    let headline = Headline {
        metric: "noise-normalised encoding accuracy (%): mean over all vertices of min(100 r² / NC, 100), Algonauts 2023 devkit".into(),
        value: summary.mean,
        ci_low: interval.map(|i| i.low),
        ci_high: interval.map(|i| i.high),
        percent_of_ceiling: None,
    };
    let ceiling = CeilingInfo {
        method: format!("ncsnr ({})", truth.ceiling_source),
        value: mean_nc,
        per_target: BTreeMap::new(),
    };
    let mut report = empty_report(spec, headline, ceiling, info);
    let mut breakdown: BTreeMap<Group, Vec<NamedScore>> = BTreeMap::new();
    for (key, g) in keys.iter().zip(&summary.groups) {
        if let Some(mean) = g.mean {
            breakdown
                .entry(key.group.clone())
                .or_default()
                .push(NamedScore {
                    vertices: Some(g.n_vertices as u64),
                    ..NamedScore::plain(&key.member, mean)
                });
        }
    }
    let columns = Group::RoiSet {
        set: track.columns.clone(),
    };
    report.targets = breakdown.get(&columns).cloned().unwrap_or_default();
    report.breakdown = breakdown
        .into_iter()
        .map(|(group, scores)| Breakdown { group, scores })
        .collect();
    report.breakdown.push(Breakdown {
        group: Group::Summary,
        scores: [
            ("median", Some(summary.median)),
            ("mean_raw_r", summary.mean_r),
        ]
        .into_iter()
        .filter_map(|(n, v)| v.map(|v| NamedScore::plain(n, v)))
        .collect(),
    });
    report.counts = BTreeMap::from([
        ("vertices".to_string(), summary.counts.n_vertices as u64),
        ("nc_zero".to_string(), summary.counts.n_nc_zero as u64),
        (
            "clipped_at_100".to_string(),
            summary.counts.n_clipped as u64,
        ),
        (
            "undefined_r".to_string(),
            summary.counts.n_undefined_r as u64,
        ),
    ]);
    report.truth = truth.hashes.clone();
    Ok(report)
}
