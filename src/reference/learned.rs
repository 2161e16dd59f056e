//! `bench train` for the references that train network weights, `siamese-vgg16` and
//! `cnn-scratch` ([`crate::train`]): the training loop's command-line overrides, the device,
//! checkpoints in the output folder's hidden `.checkpoints/` (validation never reads hidden
//! files; `--resume` continues from them), a progress bar per run with each epoch's loss and
//! validation metric, and the training log `train_log.csv` beside the predictions.

use super::config::{MethodConfig, ReferenceConfig};
use crate::benchmark::dataset::TrainSplit;
use crate::device::{self, DeviceChoice, DeviceError};
use crate::features::WeightsChoice;
use crate::models::weights::Origin;
use crate::progress::Progress;
use crate::submission::Predictions;
use crate::train::log::{self, EpochReport};
use crate::train::scratch::{self, ScratchPredictions, ScratchRun};
use crate::train::siamese::{self, SiameseConfig, SiameseRun};
use crate::train::TrainError as LoopError;
use candle_core::Device;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The training log's file name in the submission folder.
pub const LOG_FILE: &str = "train_log.csv";

/// The checkpoint folder inside the submission folder (hidden, so never read as predictions).
pub const CHECKPOINT_DIR: &str = ".checkpoints";

/// Command-line overrides of a trained reference's loop.
#[derive(Debug, Clone, Default)]
pub struct LoopOverrides {
    /// `--epochs`.
    pub epochs: Option<usize>,
    /// `--batch-size`.
    pub batch_size: Option<usize>,
    /// `--lr`.
    pub lr: Option<f64>,
}

impl LoopOverrides {
    /// Whether any is set.
    pub fn any(&self) -> bool {
        self.epochs.is_some() || self.batch_size.is_some() || self.lr.is_some()
    }

    /// Writes the overrides into `method`'s loop; `false` when the method trains no weights.
    pub fn apply(&self, method: &mut MethodConfig) -> bool {
        let Some(l) = method.loop_config_mut() else {
            return false;
        };
        if let Some(e) = self.epochs {
            l.epochs = e;
        }
        if let Some(b) = self.batch_size {
            l.batch_size = b;
        }
        if let Some(lr) = self.lr {
            l.lr = lr;
        }
        true
    }
}

/// The chosen epoch of one run (a subject, an ROI, or an ROI's chosen layer).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpochChoice {
    /// The best epoch on the validation metric.
    pub epoch: usize,
    /// Its validation metric (mean Pearson r over vertices, or Spearman r of held-out pairs).
    pub validation: f64,
}

/// One candidate layer of a Siamese run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CandidateLayer {
    /// The layer.
    pub layer: String,
    /// Validation metric of the pretrained network, before any training.
    pub untrained: f64,
    /// Validation metric at the best epoch.
    pub trained: f64,
}

/// What a trained reference produced.
#[derive(Debug, Clone)]
pub struct Learned {
    /// The test predictions.
    pub predictions: Predictions,
    /// The pretrained weights' origin (Siamese); `None` for a network trained from scratch.
    pub origin: Option<Origin>,
    /// The device it trained on (`cpu`, `cuda:0`).
    pub device: String,
    /// Input side in pixels.
    pub input_size: usize,
    /// The candidate layers (Siamese) or the network's blocks (scratch).
    pub layers: Vec<String>,
    /// Per ROI, the layer chosen on held-out training pairs (Siamese).
    pub chosen_layers: BTreeMap<String, String>,
    /// Per subject or ROI, the chosen epoch.
    pub epochs: BTreeMap<String, EpochChoice>,
    /// Siamese: per ROI, every candidate layer's validation metric before training and at its
    /// best epoch.
    pub candidates: BTreeMap<String, Vec<CandidateLayer>>,
    /// Every epoch of every run.
    pub log: Vec<EpochReport>,
}

/// The device of `choice`, and its name for the manifest.
pub fn resolve_device(choice: DeviceChoice) -> Result<(Device, String), DeviceError> {
    let d = device::resolve(choice)?;
    let name = match d.location() {
        candle_core::DeviceLocation::Cpu => "cpu".to_string(),
        candle_core::DeviceLocation::Cuda { gpu_id } => format!("cuda:{gpu_id}"),
        candle_core::DeviceLocation::Metal { gpu_id } => format!("metal:{gpu_id}"),
    };
    Ok((d, name))
}

/// Trains `cfg` (a `siamese` or `scratch` method) on `split` for `benchmark`, with checkpoints
/// under `out`; `weights` are the pretrained network's (Siamese only).
pub fn fit(
    cfg: &ReferenceConfig,
    weights: Option<WeightsChoice>,
    split: &TrainSplit,
    benchmark: &str,
    out: &Path,
    resume: bool,
    device: (&Device, &str),
) -> Result<Learned, LoopError> {
    let checkpoint_dir = Some(out.join(CHECKPOINT_DIR));
    if let Some(dir) = &checkpoint_dir {
        std::fs::create_dir_all(dir).map_err(|e| crate::io::IoError::os(dir, e))?;
    }
    let mut bars = EpochBars::default();
    let mut progress = |r: &EpochReport| bars.report(r);
    let learned = match &cfg.method {
        MethodConfig::Siamese {
            frozen_through,
            frozen_through_gpu,
            validation_fraction,
            train,
        } => {
            let net = cfg.network();
            let frozen = match frozen_through_gpu {
                Some(layer) if device.0.is_cuda() => layer,
                _ => frozen_through,
            };
            let fit_cfg = SiameseConfig {
                input_size: net.input_size(benchmark),
                frozen_through: frozen.clone(),
                layers: net.layers.clone(),
                validation_fraction: *validation_fraction,
                train: train.clone(),
            };
            let run = SiameseRun {
                device: device.0.clone(),
                weights: weights.expect("a Siamese reference has pretrained weights"),
                seed: cfg.seed,
                checkpoint_dir,
                resume,
                cache: None,
            };
            let o = siamese::fit_siamese(split, &fit_cfg, &run, &mut progress)?;
            Learned {
                predictions: Predictions::Rsa(o.rdms.into_iter().collect()),
                origin: Some(o.origin),
                device: device.1.to_string(),
                input_size: fit_cfg.input_size,
                layers: fit_cfg.layers,
                chosen_layers: o
                    .choices
                    .iter()
                    .map(|c| (c.target.clone(), c.layer.clone()))
                    .collect(),
                epochs: o
                    .choices
                    .iter()
                    .map(|c| {
                        let e = EpochChoice {
                            epoch: c.epoch,
                            validation: c.validation,
                        };
                        (c.target.clone(), e)
                    })
                    .collect(),
                candidates: o
                    .choices
                    .iter()
                    .map(|c| {
                        let layers = c
                            .candidates
                            .iter()
                            .map(|(layer, untrained, trained)| CandidateLayer {
                                layer: layer.clone(),
                                untrained: *untrained,
                                trained: *trained,
                            })
                            .collect();
                        (c.target.clone(), layers)
                    })
                    .collect(),
                log: o.log,
            }
        }
        MethodConfig::Scratch(fit_cfg) => {
            let run = ScratchRun {
                device: device.0.clone(),
                seed: cfg.seed,
                checkpoint_dir,
                resume,
            };
            let o = scratch::fit_scratch(split, fit_cfg, &run, &mut progress)?;
            let predictions = match o.predictions {
                ScratchPredictions::Encoding(p) => Predictions::Encoding(p),
                ScratchPredictions::Rsa(rdms) => Predictions::Rsa(rdms.into_iter().collect()),
            };
            Learned {
                predictions,
                origin: None,
                device: device.1.to_string(),
                input_size: fit_cfg.input_size,
                layers: (1..=fit_cfg.arch.channels.len())
                    .map(|i| format!("conv{i}"))
                    .collect(),
                chosen_layers: BTreeMap::new(),
                epochs: o
                    .choices
                    .into_iter()
                    .map(|c| {
                        let e = EpochChoice {
                            epoch: c.epoch,
                            validation: c.validation,
                        };
                        (c.unit, e)
                    })
                    .collect(),
                candidates: BTreeMap::new(),
                log: o.log,
            }
        }
        other => unreachable!("{} trains no weights", other.name()),
    };
    bars.finish();
    Ok(learned)
}

/// Writes the training log beside the predictions; returns its path.
pub fn write_log(out: &Path, rows: &[EpochReport]) -> Result<PathBuf, crate::io::IoError> {
    let path = out.join(LOG_FILE);
    log::write_csv(&path, rows)?;
    Ok(path)
}

/// One progress bar per run (subject, ROI, or ROI and layer), each epoch's loss and validation
/// metric printed above it.
#[derive(Default)]
struct EpochBars {
    current: Option<(String, Progress)>,
}

impl EpochBars {
    fn report(&mut self, r: &EpochReport) {
        if self.current.as_ref().is_none_or(|(run, _)| *run != r.run) {
            self.finish();
            let bar = Progress::bar(r.epochs as u64, r.run.clone());
            self.current = Some((r.run.clone(), bar));
        }
        let (_, bar) = self.current.as_ref().expect("set above");
        bar.inc(1);
        bar.line(format!(
            "{}: epoch {}/{}: loss {:.5}, validation {:.4}{} ({:.1} s)",
            r.run,
            r.epoch,
            r.epochs,
            r.train_loss,
            r.validation,
            if r.best { " (best)" } else { "" },
            r.seconds
        ));
    }

    fn finish(&mut self) {
        if let Some((_, bar)) = self.current.take() {
            bar.finish();
        }
    }
}
