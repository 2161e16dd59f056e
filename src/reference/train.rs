//! `bench train`: trains a reference (`reference/<name>.toml`) on a benchmark's public
//! [`TrainSplit`] and writes its predictions through the one submission writer, with a
//! `[training]` record in the manifest (configuration, weights and their SHA-256, seed, device,
//! wall time, tool version, and the layers chosen).

use super::config::{
    check_layers, ConfigError, IfWeightsMissing, MethodConfig, NetworkConfig, ReferenceConfig,
};
use super::extract::{layer_features, select_rows, UniqueImages};
use super::layer_rdm::{choose_layers, LayerChoice};
use super::learned::{self, CandidateLayer, EpochChoice, LoopOverrides};
use super::readout::{self, Reduced, RegressionSummary};
use super::TEAM;
use crate::benchmark::dataset::{Dataset, DatasetError, TrainSplit};
use crate::benchmark::spec::{BenchmarkSpec, DataRoots, SpecError};
use crate::device::{DeviceChoice, DeviceError};
use crate::features::{Extractor, FeaturesError, WeightsChoice};
use crate::fit::FitError;
use crate::io::IoError;
use crate::metrics::rdm::{Dissimilarity, Rdm};
use crate::metrics::MetricsError;
use crate::models::weights::{self, Origin, WeightsError};
use crate::models::Architecture;
use crate::progress::Progress;
use crate::submission::manifest::TrainingRecord;
use crate::submission::parse::{EncodingPredictions, RsaPredictions};
use crate::submission::{self, Manifest, Predictions, SubmissionError};
use crate::ExitStatus;
use ndarray::{concatenate, s, Axis};
use serde::Serialize;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Errors training a reference.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The reference or a layer.
    #[error(transparent)]
    Config(Box<ConfigError>),
    /// The benchmark.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// The benchmark's data.
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// The configured weights are not there.
    #[error("{reference}: {source}\n  how to get them: {how}")]
    WeightsMissing {
        /// The reference.
        reference: String,
        /// Where they were looked for.
        source: Box<WeightsError>,
        /// How to obtain them.
        how: String,
    },
    /// The network, its weights or the images.
    #[error(transparent)]
    Features(#[from] FeaturesError),
    /// A read-out fit.
    #[error(transparent)]
    Fit(#[from] FitError),
    /// An RDM.
    #[error(transparent)]
    Metrics(#[from] MetricsError),
    /// Writing the submission.
    #[error(transparent)]
    Submission(#[from] SubmissionError),
    /// Training a network failed (NaN loss, a checkpoint from another run, bad data).
    #[error(transparent)]
    Learn(#[from] crate::train::TrainError),
    /// The device asked for is not available.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// An option that does not apply to this reference.
    #[error("{reference} {what}, so {option} does not apply to it\n  hint: {option} applies to: {applies_to}")]
    NotApplicable {
        /// The reference.
        reference: String,
        /// The option(s) given.
        option: String,
        /// Why not (e.g. "trains no network weights").
        what: String,
        /// The references it does apply to, comma-separated.
        applies_to: String,
    },
    /// Writing the training log.
    #[error(transparent)]
    Io(#[from] IoError),
    /// `--out` holds something else.
    #[error("{path}: {found}; refusing to overwrite it with {reference} for {benchmark}\n  hint: choose another --out, or pass --force to replace it")]
    OutOccupied {
        /// The folder.
        path: PathBuf,
        /// What it holds.
        found: String,
        /// The reference being trained.
        reference: String,
        /// The benchmark.
        benchmark: String,
    },
}

impl From<ConfigError> for TrainError {
    fn from(e: ConfigError) -> Self {
        TrainError::Config(Box::new(e))
    }
}

impl TrainError {
    /// The exit status this error maps to.
    pub fn exit_status(&self) -> ExitStatus {
        match self {
            TrainError::Config(e) => e.exit_status(),
            TrainError::Spec(e) => e.exit_status(),
            TrainError::Dataset(e) => e.exit_status(),
            TrainError::Features(e) => e.exit_status(),
            TrainError::Submission(e) => e.exit_status(),
            TrainError::Learn(e) => e.exit_status(),
            TrainError::Device(e) => e.exit_status(),
            TrainError::Fit(_) | TrainError::Metrics(_) => ExitStatus::Internal,
            TrainError::WeightsMissing { .. }
            | TrainError::OutOccupied { .. }
            | TrainError::NotApplicable { .. }
            | TrainError::Io(_) => ExitStatus::InvalidInput,
        }
    }
}

/// What `bench train` is asked to do beyond the reference's file.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// The benchmark to train for.
    pub benchmark: String,
    /// Weights overriding the file's (a path or a name in `$BRAINBENCH_WEIGHTS`).
    pub weights: Option<String>,
    /// Use a seeded random initialisation whatever the file says.
    pub random_init: bool,
    /// Seed overriding the file's.
    pub seed: Option<u64>,
    /// Layers overriding the file's.
    pub layers: Option<Vec<String>>,
    /// Output folder (default `<submissions>/<name>--<benchmark>`).
    pub out: Option<PathBuf>,
    /// Replace an `--out` that holds another submission.
    pub force: bool,
    /// `--epochs`, `--batch-size`, `--lr` for the references that train weights.
    pub overrides: LoopOverrides,
    /// Continue from the checkpoints of an earlier run in the output folder.
    pub resume: bool,
    /// Where trained references train (the others extract features on the CPU).
    pub device: DeviceChoice,
    /// Use a seeded random initialisation, labelled so, for any missing weights (as
    /// `bench demo` does on a machine without them), not only where the reference allows it.
    pub random_init_if_missing: bool,
    /// Where the benchmarks' data is.
    pub roots: DataRoots,
    /// The `submissions/` folder.
    pub submissions: PathBuf,
}

/// What `bench train` did.
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    /// The reference.
    pub reference: String,
    /// The benchmark.
    pub benchmark: String,
    /// The model name written to the manifest (it says "random init" for random weights).
    pub model: String,
    /// The submission folder.
    pub out: PathBuf,
    /// Prediction files written.
    pub written: Vec<PathBuf>,
    /// The training record written to the manifest.
    pub record: TrainingRecordSummary,
    /// Things the user should know (a random initialisation for missing weights).
    pub warnings: Vec<String>,
    /// Layer-RDM references: every candidate layer's training score per ROI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer_choice: Option<LayerChoice>,
    /// Encoding references: per subject, the read-out's column count and median α.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub readouts: BTreeMap<String, ReadoutInfo>,
    /// Trained references: per subject or ROI, the epoch chosen on held-out training data.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub epochs: BTreeMap<String, EpochChoice>,
    /// Trained references: the chosen layer per ROI (Siamese).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub chosen_layers: BTreeMap<String, String>,
    /// Siamese: per ROI, each candidate layer's validation metric untrained and trained.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub candidates: BTreeMap<String, Vec<CandidateLayer>>,
    /// Trained references: the training log (CSV, one row per epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<PathBuf>,
}

/// The manifest's `[training]` record, without the configuration.
#[derive(Debug, Clone, Serialize)]
pub struct TrainingRecordSummary {
    /// The weights: a file name, or `random-init`.
    pub weights: String,
    /// SHA-256 of the weights file.
    pub weights_sha256: Option<String>,
    /// Seed.
    pub seed: u64,
    /// Device.
    pub device: String,
    /// Input side.
    pub input_size: usize,
    /// Layers read out.
    pub layers: Vec<String>,
    /// Wall time, seconds.
    pub wall_seconds: f64,
}

/// A subject's read-out.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ReadoutInfo {
    /// Columns the regression saw.
    pub features: usize,
    /// Median over vertices of the chosen ridge α.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_alpha: Option<f64>,
}

impl From<RegressionSummary> for ReadoutInfo {
    fn from(s: RegressionSummary) -> Self {
        ReadoutInfo {
            features: s.features,
            median_alpha: s.median_alpha,
        }
    }
}

/// The submission folder of `reference` for `benchmark` under `submissions`.
pub fn default_out(submissions: &Path, reference: &str, benchmark: &str) -> PathBuf {
    submissions.join(format!("{reference}--{benchmark}"))
}

/// Trains `cfg` for `opts.benchmark` and writes the submission.
pub fn train(cfg: &ReferenceConfig, opts: &TrainOptions) -> Result<TrainReport, TrainError> {
    let started = Instant::now();
    let cfg = configure(cfg, opts)?;
    let (device, device_name) = learned::resolve_device(opts.device)?;
    let spec = BenchmarkSpec::built_in(&opts.benchmark)?;
    cfg.check_serves(&spec)?;
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| default_out(&opts.submissions, &cfg.name, &spec.name));
    check_out(&out, &cfg.name, &spec.name, opts.force)?;
    let mut warnings = Vec::new();
    let weights = match &cfg.network {
        Some(net) => Some(choose_weights(&cfg, net, opts, &mut warnings)?),
        None => None,
    };
    let dataset = Dataset::open(&spec, &opts.roots)?;
    let split = dataset.train_split()?;

    let fitted = if cfg.method.is_learned() {
        let l = learned::fit(
            &cfg,
            weights,
            &split,
            &spec.name,
            &out,
            opts.resume,
            (&device, &device_name),
        )?;
        Fitted {
            predictions: l.predictions,
            origin: l.origin,
            device: l.device,
            input_size: l.input_size,
            layers: l.layers,
            chosen_layers: l.chosen_layers,
            epochs: l.epochs,
            candidates: l.candidates,
            log: l.log,
            layer_choice: None,
            readouts: BTreeMap::new(),
            conv_only: false,
        }
    } else {
        let weights = weights.expect("parse gives every pretrained-network method a [network]");
        fit_pretrained(&cfg, &weights, &split, &spec.name)?
    };

    let mut model = cfg.model.clone();
    if let Some(Origin::RandomInit { seed }) = &fitted.origin {
        model.push_str(&format!(" (random init, seed {seed})"));
    }
    if fitted.conv_only {
        model.push_str(" (conv layers only)");
    }
    let (weights_name, weights_sha256) = match &fitted.origin {
        Some(Origin::File { path, sha256 }) => (
            path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into(),
            ),
            Some(sha256.clone()),
        ),
        Some(Origin::RandomInit { .. }) => ("random-init".to_string(), None),
        None => ("none (trained from scratch)".to_string(), None),
    };
    let summary = TrainingRecordSummary {
        weights: weights_name,
        weights_sha256,
        seed: cfg.seed,
        device: fitted.device.clone(),
        input_size: fitted.input_size,
        layers: fitted.layers.clone(),
        wall_seconds: (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
    };
    let chosen_layers = match &fitted.layer_choice {
        Some(c) => c.chosen.clone(),
        None => fitted.chosen_layers.clone(),
    };
    let record = TrainingRecord {
        reference: cfg.name.clone(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        seed: summary.seed,
        device: summary.device.clone(),
        wall_seconds: summary.wall_seconds,
        weights: summary.weights.clone(),
        weights_sha256: summary.weights_sha256.clone(),
        input_size: fitted.input_size,
        layers: fitted.layers.clone(),
        chosen_layers: chosen_layers.clone(),
        chosen_epochs: fitted
            .epochs
            .iter()
            .map(|(unit, e)| (unit.clone(), e.epoch))
            .collect(),
        config: toml::Table::try_from(&cfg).expect("a reference configuration is a table"),
    };
    let manifest = Manifest {
        team: TEAM.to_string(),
        model: model.clone(),
        benchmark: spec.name.clone(),
        description: cfg.description.clone(),
        link: None,
        date: None,
        predictions_from_data: None,
        training: Some(record),
    };
    let written = submission::write::write(&out, &manifest, &fitted.predictions)?;
    let log = if cfg.method.is_learned() {
        Some(learned::write_log(&out, &fitted.log)?)
    } else {
        None
    };
    Ok(TrainReport {
        reference: cfg.name.clone(),
        benchmark: spec.name.clone(),
        model,
        out,
        written,
        record: summary,
        warnings,
        layer_choice: fitted.layer_choice,
        readouts: fitted.readouts,
        epochs: fitted.epochs,
        candidates: fitted.candidates,
        chosen_layers: if cfg.method.is_learned() {
            chosen_layers
        } else {
            BTreeMap::new()
        },
        log,
    })
}

/// The reference's configuration with the command line's overrides, refusing the options that
/// do not apply to it.
fn configure(cfg: &ReferenceConfig, opts: &TrainOptions) -> Result<ReferenceConfig, TrainError> {
    let mut cfg = cfg.clone();
    let not_applicable = |option: &str, what: &str, names: Vec<String>| TrainError::NotApplicable {
        reference: cfg.name.clone(),
        option: option.to_string(),
        what: what.to_string(),
        applies_to: names.join(", "),
    };
    let references_where = |keep: fn(&ReferenceConfig) -> bool| -> Vec<String> {
        ReferenceConfig::all()
            .unwrap_or_default()
            .into_iter()
            .filter(keep)
            .map(|r| r.name)
            .collect()
    };
    let learned_names = || references_where(|r| r.method.is_learned());
    if let Some(seed) = opts.seed {
        cfg.seed = seed;
    }
    if opts.overrides.any() && !opts.overrides.apply(&mut cfg.method) {
        return Err(not_applicable(
            "--epochs, --batch-size and --lr",
            "trains no network weights",
            learned_names(),
        ));
    }
    if opts.resume && !cfg.method.is_learned() {
        return Err(not_applicable(
            "--resume",
            "trains no network weights",
            learned_names(),
        ));
    }
    let pretrained_names = || references_where(|r| r.network.is_some());
    match (&mut cfg.network, &opts.layers) {
        (Some(net), Some(layers)) => {
            check_layers(net.architecture, layers)?;
            net.layers = layers.clone();
            net.layers_with_classifier = None;
        }
        (None, Some(_)) => {
            return Err(not_applicable(
                "--layers",
                "has no pretrained network",
                pretrained_names(),
            ))
        }
        (None, None) if opts.weights.is_some() || opts.random_init => {
            return Err(not_applicable(
                "--weights and --random-init",
                "has no pretrained network",
                pretrained_names(),
            ))
        }
        _ => {}
    }
    if let Some(l) = cfg.method.loop_config() {
        l.validate()?;
    }
    Ok(cfg)
}

/// What a reference produced, before it is written.
struct Fitted {
    predictions: Predictions,
    /// The pretrained weights' origin; `None` for a network trained from scratch.
    origin: Option<Origin>,
    device: String,
    input_size: usize,
    layers: Vec<String>,
    /// Per ROI, the layer chosen by a trained reference.
    chosen_layers: BTreeMap<String, String>,
    epochs: BTreeMap<String, EpochChoice>,
    candidates: BTreeMap<String, Vec<CandidateLayer>>,
    log: Vec<crate::train::log::EpochReport>,
    layer_choice: Option<LayerChoice>,
    readouts: BTreeMap<String, ReadoutInfo>,
    /// The configuration's classifier layers were dropped (the weights hold none).
    conv_only: bool,
}

/// The references that read out a pretrained network's features (ridge, devkit, layer RDM).
fn fit_pretrained(
    cfg: &ReferenceConfig,
    weights: &WeightsChoice,
    split: &TrainSplit,
    benchmark: &str,
) -> Result<Fitted, TrainError> {
    let net = cfg.network();
    let layers = layers_for(net, weights)?;
    let extractor = Extractor::new(net.architecture, weights, &layers)?;
    let input_size = net.input_size(benchmark);
    let mut layer_choice = None;
    let mut readouts = BTreeMap::new();
    let predictions = match (&cfg.method, split) {
        (MethodConfig::LayerRdm, TrainSplit::Rsa { .. }) => {
            let (p, choice) = predict_layer_rdm(&extractor, split, &layers, cfg, input_size)?;
            layer_choice = Some(choice);
            p
        }
        (_, TrainSplit::Encoding { .. }) => {
            let (p, info) = predict_encoding(&extractor, split, &layers, cfg, input_size)?;
            readouts = info;
            p
        }
        _ => unreachable!("check_serves matched the method's kind to the benchmark's"),
    };
    Ok(Fitted {
        predictions,
        conv_only: net.layers_with_classifier.is_some() && layers == net.layers,
        origin: Some(extractor.origin),
        device: "cpu".to_string(),
        input_size,
        layers,
        chosen_layers: BTreeMap::new(),
        epochs: BTreeMap::new(),
        candidates: BTreeMap::new(),
        log: Vec::new(),
        layer_choice,
        readouts,
    })
}

/// Refuses an `out` folder that holds anything but an earlier run of the same reference for the
/// same benchmark, unless `force`.
fn check_out(out: &Path, reference: &str, benchmark: &str, force: bool) -> Result<(), TrainError> {
    if force || !out.exists() {
        return Ok(());
    }
    let occupied = |found: String| TrainError::OutOccupied {
        path: out.to_path_buf(),
        found,
        reference: reference.to_string(),
        benchmark: benchmark.to_string(),
    };
    if !out.is_dir() {
        return Err(occupied("it is a file, not a folder".into()));
    }
    if !out.join(submission::MANIFEST).exists() {
        // A run stopped before writing (a NaN loss, an interrupt) leaves only its checkpoints and
        // log, which `--resume` continues from.
        let ours = [learned::CHECKPOINT_DIR, learned::LOG_FILE];
        let only_ours = std::fs::read_dir(out)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .all(|e| ours.iter().any(|o| e.file_name() == *o))
            })
            .unwrap_or(false);
        return if only_ours {
            Ok(())
        } else {
            Err(occupied("it holds files but no submission.toml".into()))
        };
    }
    match Manifest::read(out) {
        Ok(m)
            if m.benchmark == benchmark
                && m.training
                    .as_ref()
                    .is_some_and(|t| t.reference == reference) =>
        {
            Ok(())
        }
        Ok(m) => Err(occupied(format!(
            "it holds the submission '{}' by '{}' for {}",
            m.model, m.team, m.benchmark
        ))),
        Err(e) => Err(occupied(format!("it holds an unreadable submission ({e})"))),
    }
}

/// The weights to use: `--random-init`, `--weights`, or the file's, falling back to a random
/// initialisation (with a warning) where the file allows it.
fn choose_weights(
    cfg: &ReferenceConfig,
    net: &NetworkConfig,
    opts: &TrainOptions,
    warnings: &mut Vec<String>,
) -> Result<WeightsChoice, TrainError> {
    let arch = net.architecture;
    if opts.random_init {
        return Ok(WeightsChoice::RandomInit { seed: cfg.seed });
    }
    let name = opts.weights.as_ref().unwrap_or(&net.weights);
    match weights::resolve(name, arch) {
        Ok(path) => Ok(WeightsChoice::File(path.display().to_string())),
        Err(e @ WeightsError::NotFound { .. })
            if opts.weights.is_none()
                && (opts.random_init_if_missing
                    || net.if_weights_missing == IfWeightsMissing::RandomInit) =>
        {
            warnings.push(format!(
                "{e}\n  so {} uses a random initialisation (seed {}), labelled \"random init\"; for the real model: {}",
                cfg.name,
                cfg.seed,
                how_to_get(arch)
            ));
            Ok(WeightsChoice::RandomInit { seed: cfg.seed })
        }
        Err(e) => Err(TrainError::WeightsMissing {
            reference: cfg.name.clone(),
            source: Box::new(e),
            how: how_to_get(arch),
        }),
    }
}

/// Where torchvision's ImageNet weights of `arch` come from.
fn how_to_get(arch: Architecture) -> String {
    let file = match arch {
        Architecture::AlexNet => "alexnet-owt-7be5be79.pth",
        Architecture::Vgg16 => "vgg16-397923af.pth",
        Architecture::ResNet18 => "resnet18-f37072fd.pth",
        Architecture::ResNet50 => "resnet50-0676ba61.pth",
    };
    format!(
        "download torchvision's checkpoint https://download.pytorch.org/models/{file} and pass \
         --weights PATH (or put it in $BRAINBENCH_WEIGHTS); timm's safetensors work too"
    )
}

/// The layers to read out: the configuration's, or its `layers_with_classifier` when the weights
/// hold the classifier.
fn layers_for(net: &NetworkConfig, weights: &WeightsChoice) -> Result<Vec<String>, TrainError> {
    let Some(full) = &net.layers_with_classifier else {
        return Ok(net.layers.clone());
    };
    let has_classifier = match weights {
        WeightsChoice::RandomInit { .. } => true,
        WeightsChoice::File(path) => weights::read_tensors(Path::new(path))
            .map_err(FeaturesError::from)?
            .keys()
            .any(|k| k.starts_with("classifier.")),
    };
    Ok(if has_classifier {
        full.clone()
    } else {
        net.layers.clone()
    })
}

/// Encoding: features of every distinct image, reduced per distinct training/test image list,
/// then one regression per subject over both hemispheres' vertices.
fn predict_encoding(
    extractor: &Extractor,
    split: &TrainSplit,
    layers: &[String],
    cfg: &ReferenceConfig,
    input_size: usize,
) -> Result<(Predictions, BTreeMap<String, ReadoutInfo>), TrainError> {
    let TrainSplit::Encoding { subjects } = split else {
        unreachable!("called for encoding splits")
    };
    let lists: Vec<&[PathBuf]> = subjects
        .iter()
        .flat_map(|s| [s.train_images.as_slice(), s.test_images.as_slice()])
        .collect();
    let unique = UniqueImages::of(&lists)?;
    let feats = layer_features(
        extractor,
        &unique.paths,
        layers,
        input_size,
        cfg.network().batch_size,
    )?;
    let mut reduced: HashMap<(&[usize], &[usize]), Reduced> = HashMap::new();
    let mut blocks = EncodingPredictions::new();
    let mut info = BTreeMap::new();
    for (i, subject) in subjects.iter().enumerate() {
        let (train_rows, test_rows) = (&unique.rows[2 * i], &unique.rows[2 * i + 1]);
        let key = (train_rows.as_slice(), test_rows.as_slice());
        if let Entry::Vacant(slot) = reduced.entry(key) {
            let bar = Progress::spinner(format!(
                "{}: reducing features for {}",
                cfg.name, subject.id
            ));
            let train: Vec<_> = feats.iter().map(|f| select_rows(f, train_rows)).collect();
            let test: Vec<_> = feats.iter().map(|f| select_rows(f, test_rows)).collect();
            let r = match &cfg.method {
                MethodConfig::Ridge { components, .. } => {
                    readout::per_layer_pca(&train, &test, *components)?
                }
                MethodConfig::Devkit { components } => {
                    readout::standardised_pca(&train, &test, *components)?
                }
                _ => unreachable!("predict_encoding serves the ridge and devkit methods"),
            };
            bar.finish();
            slot.insert(r);
        }
        let x = &reduced[&key];
        let views: Vec<_> = subject.train_fmri.iter().map(|(_, y)| y.view()).collect();
        let y = concatenate(Axis(1), &views).expect("hemispheres share the training images");
        let bar = Progress::spinner(format!(
            "{}: fitting {} vertices of {}",
            cfg.name,
            y.ncols(),
            subject.id
        ));
        let (pred, summary) = match &cfg.method {
            MethodConfig::Ridge {
                folds,
                log10_alphas,
                ..
            } => readout::ridge(x, y.view(), *folds, ReferenceConfig::alphas(log10_alphas))?,
            _ => readout::least_squares(x, y.view())?,
        };
        bar.finish();
        let mut col = 0;
        for (hemi, y) in &subject.train_fmri {
            let block = pred.slice(s![.., col..col + y.ncols()]).to_owned();
            col += y.ncols();
            blocks.insert((subject.id.clone(), hemi.clone()), block.into());
        }
        info.insert(subject.id.clone(), summary.into());
    }
    Ok((Predictions::Encoding(blocks), info))
}

/// RSA: every candidate layer's RDMs of the training sets choose a layer per ROI; the test RDM
/// of that layer is the prediction.
fn predict_layer_rdm(
    extractor: &Extractor,
    split: &TrainSplit,
    layers: &[String],
    cfg: &ReferenceConfig,
    input_size: usize,
) -> Result<(Predictions, LayerChoice), TrainError> {
    let TrainSplit::Rsa {
        targets,
        sets,
        test_images,
    } = split
    else {
        unreachable!("called for RSA splits")
    };
    let batch = cfg.network().batch_size;
    // One set at a time: early layers of 118 images at 224 px are hundreds of megabytes.
    let set_features = sets
        .iter()
        .map(|set| layer_features(extractor, &set.images, layers, input_size, batch))
        .collect::<Result<Vec<_>, _>>()?;
    let choice = choose_layers(layers, sets, &set_features, targets)?;
    drop(set_features);
    let test = layer_features(extractor, test_images, layers, input_size, batch)?;
    let mut rdms: BTreeMap<&str, Rdm> = BTreeMap::new();
    let mut predictions = RsaPredictions::new();
    for t in targets {
        let layer = &choice.chosen[t];
        if !rdms.contains_key(layer.as_str()) {
            let l = layers.iter().position(|x| x == layer).expect("a candidate");
            rdms.insert(
                layer,
                Rdm::from_patterns(test[l].view(), Dissimilarity::Correlation)?,
            );
        }
        predictions.insert(t.clone(), rdms[layer.as_str()].clone());
    }
    Ok((Predictions::Rsa(predictions), choice))
}

/// One reference-and-benchmark pair of [`train_all`].
#[derive(Debug, Clone, Serialize)]
pub struct TrainAllEntry {
    /// The reference.
    pub reference: String,
    /// The benchmark.
    pub benchmark: String,
    /// What happened.
    pub outcome: TrainOutcome,
}

/// Trained, skipped for absent data, or failed with the reason.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum TrainOutcome {
    /// Trained and written.
    Trained(Box<TrainReport>),
    /// The benchmark's data is not present.
    Skipped {
        /// Why.
        reason: String,
    },
    /// Training failed; the others went on.
    Failed {
        /// The error, as printed.
        error: String,
        /// Its exit status.
        exit_status: i32,
    },
}

/// Trains every reference but those in `skip` for each of its benchmarks (only `benchmark`, if
/// given) whose data is present; a failure is recorded and the others still run.
/// `opts.benchmark` and `opts.out` are ignored; loop overrides apply to the references that
/// train weights only.
pub fn train_all(
    opts: &TrainOptions,
    benchmark: Option<&str>,
    skip: &[String],
) -> Result<Vec<TrainAllEntry>, TrainError> {
    for name in skip {
        ReferenceConfig::built_in(name)?;
    }
    let mut entries = Vec::new();
    for cfg in ReferenceConfig::all()?
        .into_iter()
        .filter(|c| !skip.contains(&c.name))
    {
        let learned = cfg.method.is_learned();
        for b in cfg
            .benchmarks
            .iter()
            .filter(|b| benchmark.is_none_or(|x| x == b.as_str()))
        {
            let spec = BenchmarkSpec::built_in(b)?;
            let outcome = match spec.require_data_dir(&opts.roots) {
                Err(missing) => TrainOutcome::Skipped {
                    reason: missing.to_string(),
                },
                Ok(_) => {
                    let one = TrainOptions {
                        benchmark: b.clone(),
                        out: None,
                        overrides: if learned {
                            opts.overrides.clone()
                        } else {
                            LoopOverrides::default()
                        },
                        ..opts.clone()
                    };
                    match train(&cfg, &one) {
                        Ok(report) => TrainOutcome::Trained(Box::new(report)),
                        Err(e) => TrainOutcome::Failed {
                            error: e.to_string(),
                            exit_status: e.exit_status() as i32,
                        },
                    }
                }
            };
            entries.push(TrainAllEntry {
                reference: cfg.name.clone(),
                benchmark: b.clone(),
                outcome,
            });
        }
    }
    Ok(entries)
}
