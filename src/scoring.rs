//! Scoring: a submission and a benchmark's held-out truth in, a [`ScoreReport`] out.
//!
//! Scoring never reads training data, and refuses to score a submission that `bench validate`
//! would reject (the same parsers run first).

use crate::benchmark::algonauts2019::{self, Algonauts2019Error};
use crate::benchmark::spec::{BenchmarkSpec, DataRoots, Kind, SpecError};
use crate::io::hash::sha256_file;
use crate::io::IoError;
use crate::metrics::bootstrap::{self, BootstrapConfig, BootstrapResult};
use crate::metrics::encoding::{self, EncodingBlock, VertexGroup};
use crate::metrics::{rsa, MetricsError};
use crate::predictions::{self, PredictionFiles};
use crate::report::{
    BootstrapInfo, CeilingInfo, GroupScore, Headline, NamedScore, ScoreReport, SubmissionInfo,
    ToolInfo, SCHEMA_VERSION,
};
use crate::submission::{self, Manifest, SubmissionError};
use crate::validate::{self, EncodingPredictions, EncodingShape, Problem, ValidationReport};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Bootstrap settings of one scoring run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreOptions {
    /// Seed of the resampling.
    pub seed: u64,
    /// Number of resamples (0 = no interval).
    pub resamples: usize,
}

/// Why a submission could not be scored.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// A file problem.
    #[error(transparent)]
    Io(#[from] IoError),
    /// The benchmark or its data.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The manifest.
    #[error(transparent)]
    Submission(#[from] SubmissionError),
    /// The 2019 layout.
    #[error(transparent)]
    Algonauts2019(#[from] Algonauts2019Error),
    /// The 2023 layout.
    #[error(transparent)]
    Algonauts2023(#[from] crate::benchmark::algonauts2023::LayoutError),
    /// A metric could not be computed.
    #[error("{0}")]
    Metrics(#[from] MetricsError),
    /// The submission is for another benchmark.
    #[error("{manifest}: this submission is for benchmark '{found}', not '{expected}'\n  hint: score it with --benchmark {found}, or fix `benchmark` in the manifest")]
    WrongBenchmark {
        /// The manifest file.
        manifest: PathBuf,
        /// The benchmark asked for.
        expected: String,
        /// The manifest's benchmark.
        found: String,
    },
    /// The predictions do not pass validation.
    #[error("the submission is invalid ({} problem(s)); first: {}: {}\n  hint: run `bench validate` for the full list", .0.problems.len(), .0.problems[0].file, .0.problems[0].found)]
    Invalid(ValidationReport),
}

/// The files of a submission folder: from the folder itself, or from `$BRAINBENCH_DATA` when the
/// manifest says `predictions_from_data`.
pub fn submission_files(
    manifest: &Manifest,
    dir: &Path,
    roots: &DataRoots,
) -> Result<PredictionFiles, ScoreError> {
    match &manifest.predictions_from_data {
        None => Ok(predictions::gather(dir)?),
        Some(rel) => {
            let root = roots.download.as_ref().ok_or_else(|| {
                IoError::format(
                    &dir.join(submission::MANIFEST),
                    format!("predictions_from_data = '{rel}' but BRAINBENCH_DATA is not set"),
                    "export BRAINBENCH_DATA=/path/to/data (CI sets it to ../shared/data)",
                )
            })?;
            let path = submission::resolve_inside(root, Path::new(rel))?;
            Ok(predictions::gather(&path)?)
        }
    }
}

/// What the benchmark's public data says an encoding submission must contain.
pub fn encoding_shape(
    spec: &BenchmarkSpec,
    roots: &DataRoots,
) -> Result<EncodingShape, ScoreError> {
    let root = spec.require_data_dir(roots)?;
    Ok(crate::benchmark::algonauts2023::Layout::discover(&root)?.submission_shape())
}

/// The number of held-out images of an RSA benchmark (from its image folder).
pub fn rsa_test_images(spec: &BenchmarkSpec, roots: &DataRoots) -> Result<usize, ScoreError> {
    let root = spec.require_data_dir(roots)?;
    let rsa = spec.rsa.as_ref().expect("RSA benchmark has an [rsa] table");
    Ok(algonauts2019::images(&root, &rsa.test_set)?.len())
}

/// Validates the predictions at `path` (a submission folder, zip or file) for `spec`.
pub fn validate(
    spec: &BenchmarkSpec,
    roots: &DataRoots,
    path: &Path,
) -> Result<ValidationReport, ScoreError> {
    let files = if validate::has_manifest(path) {
        let manifest = Manifest::read(path)?;
        check_benchmark(spec, &manifest, path)?;
        submission_files(&manifest, path, roots)?
    } else {
        predictions::gather(path)?
    };
    let problems = problems_of(spec, roots, &files)?;
    Ok(validate::report(&spec.name, &files, problems))
}

fn problems_of(
    spec: &BenchmarkSpec,
    roots: &DataRoots,
    files: &PredictionFiles,
) -> Result<Vec<Problem>, ScoreError> {
    Ok(match spec.kind {
        Kind::Encoding => validate::parse_encoding(files, &encoding_shape(spec, roots)?).1,
        Kind::Rsa => {
            let rsa = spec.rsa.as_ref().expect("RSA benchmark has an [rsa] table");
            validate::parse_rsa(files, &rsa.targets, rsa_test_images(spec, roots)?).1
        }
    })
}

fn check_benchmark(
    spec: &BenchmarkSpec,
    manifest: &Manifest,
    dir: &Path,
) -> Result<(), ScoreError> {
    if manifest.benchmark != spec.name {
        return Err(ScoreError::WrongBenchmark {
            manifest: dir.join(submission::MANIFEST),
            expected: spec.name.clone(),
            found: manifest.benchmark.clone(),
        });
    }
    Ok(())
}

/// Scores the submission folder `dir` against `spec`'s held-out truth.
pub fn score_submission(
    spec: &BenchmarkSpec,
    roots: &DataRoots,
    dir: &Path,
    opts: &ScoreOptions,
) -> Result<ScoreReport, ScoreError> {
    let manifest = Manifest::read(dir)?;
    check_benchmark(spec, &manifest, dir)?;
    let files = submission_files(&manifest, dir, roots)?;
    let root = spec.require_data_dir(roots)?;
    let cfg = BootstrapConfig {
        n_resamples: opts.resamples,
        seed: opts.seed,
        level: 0.95,
    };
    let mut report = match spec.kind {
        Kind::Rsa => {
            let rsa = spec.rsa.as_ref().expect("RSA benchmark has an [rsa] table");
            let n = algonauts2019::images(&root, &rsa.test_set)?.len();
            let (preds, problems) = validate::parse_rsa(&files, &rsa.targets, n);
            if !problems.is_empty() {
                return Err(ScoreError::Invalid(validate::report(
                    &spec.name, &files, problems,
                )));
            }
            score_rsa(spec, &root, &preds, &cfg)?
        }
        Kind::Encoding => {
            let layout = crate::benchmark::algonauts2023::Layout::discover(&root)?;
            let (preds, problems) = validate::parse_encoding(&files, &layout.submission_shape());
            if !problems.is_empty() {
                return Err(ScoreError::Invalid(validate::report(
                    &spec.name, &files, problems,
                )));
            }
            score_encoding(spec, &layout, &preds, &cfg)?
        }
    };
    report.submission = manifest.info(&submission::id_of(dir));
    report.inputs = predictions::hashes(&files);
    Ok(report)
}

fn bootstrap_info(
    cfg: &BootstrapConfig,
    result: Option<&BootstrapResult>,
    other: BTreeMap<String, [f64; 2]>,
) -> BootstrapInfo {
    BootstrapInfo {
        resamples: cfg.n_resamples,
        seed: cfg.seed,
        level: cfg.level,
        over: "stimuli".to_string(),
        samples: result.map(|r| r.samples.clone()).unwrap_or_default(),
        other_intervals: other,
    }
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
        kind: spec.kind,
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

/// The Algonauts 2019 score (SCIENCE.md §2) with stimulus and subject bootstraps (§3).
fn score_rsa(
    spec: &BenchmarkSpec,
    root: &Path,
    preds: &validate::RsaPredictions,
    cfg: &BootstrapConfig,
) -> Result<ScoreReport, ScoreError> {
    let rsa_spec = spec.rsa.as_ref().expect("RSA benchmark has an [rsa] table");
    let truth_file = algonauts2019::target_file(root, &rsa_spec.test_set);
    let mut subjects = Vec::new();
    let mut rois = Vec::new();
    let mut per_target = BTreeMap::new();
    for target in &rsa_spec.targets {
        let rdms = algonauts2019::subject_rdms(root, &rsa_spec.test_set, target)?;
        let ceiling = rsa::rdm_noise_ceiling(&rdms)?;
        per_target.insert(target.clone(), ceiling.upper);
        rois.push(rsa::roi_score(
            target,
            &preds[target],
            &rdms,
            ceiling.upper,
        )?);
        subjects.push(rdms);
    }
    let overall = rsa::overall(rois)?;
    let (stimuli, by_subject) = if cfg.n_resamples > 0 {
        let boot_rois: Vec<bootstrap::rsa::RsaRoi> = rsa_spec
            .targets
            .iter()
            .zip(&subjects)
            .map(|(t, s)| bootstrap::rsa::RsaRoi {
                model: &preds[t],
                subjects: s,
            })
            .collect();
        (
            Some(bootstrap::rsa::bootstrap_rsa_stimuli(&boot_rois, cfg)?),
            Some(bootstrap::rsa::bootstrap_rsa_subjects(&boot_rois, cfg)?),
        )
    } else {
        (None, None)
    };
    let mean_nc = per_target.values().sum::<f64>() / per_target.len() as f64;
    let headline = Headline {
        metric: format!("R² = mean over {} of the mean over subjects of Spearman(model, subject RDM)², Algonauts 2019", rsa_spec.targets.join(" and ")),
        value: overall.score,
        ci_low: stimuli.as_ref().map(|b| b.interval.low),
        ci_high: stimuli.as_ref().map(|b| b.interval.high),
        percent_of_ceiling: overall.pct_nc,
    };
    let ceiling = CeilingInfo {
        method: "rdm-upper-bound".into(),
        value: mean_nc,
        per_target,
    };
    let other = by_subject
        .iter()
        .map(|b| ("subjects".to_string(), [b.interval.low, b.interval.high]))
        .collect();
    let mut report = empty_report(
        spec,
        headline,
        ceiling,
        bootstrap_info(cfg, stimuli.as_ref(), other),
    );
    report.targets = overall
        .rois
        .iter()
        .map(|roi| {
            let mut extra = BTreeMap::from([("noise_ceiling".to_string(), roi.nc)]);
            if let Some(p) = roi.pct_nc {
                extra.insert("percent_of_ceiling".into(), p);
            }
            if let Some(t) = &roi.ttest {
                extra.insert("t".into(), t.t);
                extra.insert("p_value".into(), t.p);
            }
            NamedScore {
                name: roi.name.clone(),
                value: roi.r2,
                extra,
            }
        })
        .collect();
    report.breakdown = overall
        .rois
        .iter()
        .map(|roi| GroupScore {
            group: format!("subject rho ({})", roi.name),
            scores: roi
                .rho
                .iter()
                .enumerate()
                .map(|(s, r)| NamedScore {
                    name: format!("subject{:02}", s + 1),
                    value: *r,
                    extra: BTreeMap::new(),
                })
                .collect(),
        })
        .collect();
    report.truth = BTreeMap::from([(rel(root, &truth_file), sha256_file(&truth_file)?)]);
    Ok(report)
}

fn rel(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The Algonauts 2023 devkit score (SCIENCE.md §1), pooled over all subjects and hemispheres,
/// with the stimulus bootstrap (§3).
fn score_encoding(
    spec: &BenchmarkSpec,
    layout: &crate::benchmark::algonauts2023::Layout,
    preds: &EncodingPredictions,
    cfg: &BootstrapConfig,
) -> Result<ScoreReport, ScoreError> {
    let truth = layout.load_truth()?;
    let keys: Vec<&(String, String)> = preds.keys().collect();
    let subject_ids: Vec<&String> = layout.subjects().collect();
    let blocks: Vec<EncodingBlock<f32>> = keys
        .iter()
        .map(|k| {
            let t = &truth.blocks[*k];
            EncodingBlock {
                pred: preds[*k].view(),
                truth: t.fmri.view(),
                nc: &t.nc,
                subject: subject_ids
                    .iter()
                    .position(|s| **s == k.0)
                    .expect("subject of a parsed prediction") as u64,
            }
        })
        .collect();
    let scores: Vec<encoding::VertexScores> = blocks
        .iter()
        .map(encoding::score_block)
        .collect::<Result<_, _>>()?;
    // Groups: each subject, each hemisphere, and each named ROI (pooled over subjects).
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut roi_groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut offset = 0;
    for k in &keys {
        let t = &truth.blocks[*k];
        let n = t.nc.len();
        groups
            .entry(format!("subject:{}", k.0))
            .or_default()
            .extend(offset..offset + n);
        groups
            .entry(format!("hemisphere:{}", k.1))
            .or_default()
            .extend(offset..offset + n);
        for (roi, vertices) in &t.rois {
            roi_groups
                .entry(roi.clone())
                .or_default()
                .extend(vertices.iter().map(|v| offset + v));
        }
        offset += n;
    }
    let all_groups: Vec<VertexGroup> = groups
        .iter()
        .chain(roi_groups.iter())
        .map(|(name, vertices)| VertexGroup {
            name: name.clone(),
            vertices: vertices.clone(),
        })
        .collect();
    let summary = encoding::summarise(&scores, &all_groups)?;
    let boot = (cfg.n_resamples > 0)
        .then(|| bootstrap::encoding::bootstrap_encoding(&blocks, cfg))
        .transpose()?;
    let mean_nc =
        100.0 * truth.blocks.values().flat_map(|b| b.nc.iter()).sum::<f64>() / offset.max(1) as f64;
    let headline = Headline {
        metric: "noise-normalised encoding accuracy (%): mean over all vertices of min(100 r² / NC, 100), Algonauts 2023 devkit".into(),
        value: summary.mean,
        ci_low: boot.as_ref().map(|b| b.interval.low),
        ci_high: boot.as_ref().map(|b| b.interval.high),
        percent_of_ceiling: None,
    };
    let ceiling = CeilingInfo {
        method: format!("ncsnr ({})", truth.ceiling_source),
        value: mean_nc,
        per_target: BTreeMap::new(),
    };
    let mut report = empty_report(
        spec,
        headline,
        ceiling,
        bootstrap_info(cfg, boot.as_ref(), BTreeMap::new()),
    );
    let group_means: BTreeMap<&str, &encoding::GroupMean> = summary
        .groups
        .iter()
        .map(|g| (g.name.as_str(), g))
        .collect();
    // Leaderboard columns: the ROIs of the `streams` set when present (seven columns that cover
    // the visual hierarchy), else every ROI; all ROIs are in the breakdown.
    let column_set = if roi_groups.keys().any(|k| k.starts_with("streams/")) {
        Some("streams/")
    } else {
        None
    };
    report.targets = roi_groups
        .keys()
        .filter(|roi| column_set.is_none_or(|p| roi.starts_with(p)))
        .filter_map(|roi| {
            group_means
                .get(roi.as_str())
                .and_then(|g| g.mean.map(|m| (roi, m, g.n_vertices)))
        })
        .map(|(roi, m, n)| NamedScore {
            name: column_set
                .map_or(roi.as_str(), |p| &roi[p.len()..])
                .to_string(),
            value: m,
            extra: BTreeMap::from([("vertices".to_string(), n as f64)]),
        })
        .collect();
    let mut breakdown: BTreeMap<String, Vec<NamedScore>> = BTreeMap::new();
    for g in &summary.groups {
        let split = g.name.split_once(':').or_else(|| {
            g.name
                .split_once('/')
                .map(|(set, _)| (set, g.name.as_str()))
        });
        if let (Some((kind, name)), Some(mean)) = (split, g.mean) {
            breakdown
                .entry(kind.to_string())
                .or_default()
                .push(NamedScore {
                    name: name.to_string(),
                    value: mean,
                    extra: BTreeMap::from([("vertices".to_string(), g.n_vertices as f64)]),
                });
        }
    }
    report.breakdown = breakdown
        .into_iter()
        .map(|(group, scores)| GroupScore { group, scores })
        .collect();
    report.breakdown.push(GroupScore {
        group: "summary".into(),
        scores: [
            ("median", Some(summary.median)),
            ("mean_raw_r", summary.mean_r),
        ]
        .into_iter()
        .filter_map(|(n, v)| {
            v.map(|v| NamedScore {
                name: n.into(),
                value: v,
                extra: BTreeMap::new(),
            })
        })
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
