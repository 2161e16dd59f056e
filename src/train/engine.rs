//! The training loop: seeded batch order, AdamW, a NaN guard, validation after every epoch,
//! early stopping, a checkpoint after every epoch and resume from one.
//!
//! Randomness comes only from `ChaCha8Rng` streams derived from (seed, epoch) for the batch
//! order and (seed, epoch, batch) for dropout, so an epoch computes the same thing whether the
//! run started at epoch 1 or resumed before it: resume is bit-identical on the CPU.

use super::checkpoint::{self, Meta, State};
use super::log::EpochReport;
use super::optimizer::{AdamW, AdamWConfig};
use super::{Result, TrainError};
use candle_core::{Tensor, Var};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Instant;

/// A model the loop can train.
pub trait Trainable {
    /// The trainable parameters, by name, in a fixed order.
    fn params(&self) -> Vec<(String, Var)>;
    /// The number of training examples; batches are sets of indices below it.
    fn n_train(&self) -> usize;
    /// The loss of one batch in training mode; `seed` draws its dropout masks.
    fn batch_loss(&self, batch: &[usize], seed: u64) -> candle_core::Result<Tensor>;
    /// The validation metric in evaluation mode (higher is better; NaN counts as worst).
    fn validate(&self) -> candle_core::Result<f64>;
}

/// The loop's settings: the `[method.train]` table of a reference's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoopConfig {
    /// The most epochs to run (`--epochs`).
    pub epochs: usize,
    /// Training examples per batch (`--batch-size`).
    pub batch_size: usize,
    /// Learning rate (`--lr`).
    pub lr: f64,
    /// AdamW's decoupled weight decay.
    pub weight_decay: f64,
    /// Early stopping: stop after this many epochs without a better validation metric.
    pub patience: usize,
}

impl Default for LoopConfig {
    fn default() -> Self {
        LoopConfig {
            epochs: 10,
            batch_size: 16,
            lr: 1e-4,
            weight_decay: 0.01,
            patience: 3,
        }
    }
}

impl LoopConfig {
    /// Checks the values can train at all.
    pub fn validate(&self) -> Result<()> {
        let bad = |s: String| Err(TrainError::BadConfig(s));
        if self.epochs == 0 {
            return bad("epochs must be at least 1".into());
        }
        if self.batch_size == 0 {
            return bad("batch_size must be at least 1".into());
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad(format!("lr must be a positive number, not {}", self.lr));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad(format!(
                "weight_decay must be >= 0, not {}",
                self.weight_decay
            ));
        }
        if self.patience == 0 {
            return bad("patience must be at least 1".into());
        }
        Ok(())
    }

    /// The loop's settings without `epochs`, for a checkpoint's fingerprint (resume may run
    /// more epochs).
    pub fn without_epochs(&self) -> LoopConfig {
        LoopConfig {
            epochs: 0,
            ..self.clone()
        }
    }
}

/// One training run's identity and files.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// What is trained (stored in checkpoints; a checkpoint of another name is refused).
    pub name: String,
    /// A fingerprint of the configuration that must match on resume
    /// ([`checkpoint::fingerprint`]).
    pub fingerprint: String,
    /// The seed of batch order and dropout.
    pub seed: u64,
    /// Where to write a checkpoint after every epoch.
    pub checkpoint: Option<PathBuf>,
    /// A checkpoint to continue from.
    pub resume: Option<PathBuf>,
}

/// How a run ended. The model's parameters hold the best epoch's weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The epoch with the best validation metric (0 when no epoch had a finite one).
    pub best_epoch: usize,
    /// Its validation metric.
    pub best_validation: f64,
    /// Epochs completed (including those before a resume).
    pub epochs_run: usize,
    /// Whether early stopping ended the run before `epochs`.
    pub stopped_early: bool,
    /// Every epoch.
    pub log: Vec<EpochReport>,
}

/// A stream seed from (seed, a, b): SplitMix64 finalisation of their combination.
pub(crate) fn derive_seed(seed: u64, a: u64, b: u64) -> u64 {
    let mut z =
        seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The batch order of an epoch: a permutation of `0..n` from (seed, epoch) alone.
pub fn epoch_order(n: usize, seed: u64, epoch: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(derive_seed(seed, epoch as u64, u64::MAX));
    order.shuffle(&mut rng);
    order
}

fn snapshot(params: &[(String, Var)]) -> candle_core::Result<Vec<Tensor>> {
    params.iter().map(|(_, p)| p.as_tensor().copy()).collect()
}

/// Trains `model` for up to `cfg.epochs` epochs (continuing from `run.resume` when given),
/// calling `progress` after every epoch; leaves the best epoch's weights in the model.
pub fn train(
    model: &dyn Trainable,
    cfg: &LoopConfig,
    run: &RunOptions,
    progress: &mut dyn FnMut(&EpochReport),
) -> Result<Outcome> {
    cfg.validate()?;
    let n = model.n_train();
    if n == 0 {
        return Err(TrainError::BadData(format!(
            "{}: no training examples",
            run.name
        )));
    }
    let params = model.params();
    let shapes: Vec<(String, Vec<usize>)> = params
        .iter()
        .map(|(name, p)| (name.clone(), p.dims().to_vec()))
        .collect();
    let adam = AdamWConfig {
        lr: cfg.lr,
        weight_decay: cfg.weight_decay,
        ..AdamWConfig::default()
    };
    let mut opt = AdamW::new(params.clone(), adam)?;
    let mut best = snapshot(&params)?;
    let mut meta = Meta {
        reference: run.name.clone(),
        fingerprint: run.fingerprint.clone(),
        seed: run.seed,
        shapes: shapes.clone(),
        epoch: 0,
        step: 0,
        best_epoch: 0,
        best_validation: f64::NEG_INFINITY,
        bad_epochs: 0,
        log: Vec::new(),
    };
    if let Some(path) = &run.resume {
        let (found, state) = checkpoint::load(path)?;
        checkpoint::check_compatible(path, &found, &run.name, &run.fingerprint, run.seed, &shapes)?;
        // Checkpoints are read onto the host; the model may live on a GPU.
        let device = params
            .first()
            .map_or(candle_core::Device::Cpu, |(_, p)| p.device().clone());
        let on = |ts: Vec<Tensor>| -> candle_core::Result<Vec<Tensor>> {
            ts.iter().map(|t| t.to_device(&device)).collect()
        };
        for ((_, p), t) in params.iter().zip(on(state.params)?) {
            p.set(&t)?;
        }
        opt.set_state(found.step, on(state.m)?, on(state.v)?);
        best = on(state.best)?;
        meta = found;
    }
    let mut stopped_early = meta.bad_epochs >= cfg.patience;
    while !stopped_early && meta.epoch < cfg.epochs {
        let epoch = meta.epoch + 1;
        let t0 = Instant::now();
        let (mut sum, mut batches) = (0.0, 0usize);
        for (b, batch) in epoch_order(n, run.seed, epoch)
            .chunks(cfg.batch_size)
            .enumerate()
        {
            let loss = model.batch_loss(batch, derive_seed(run.seed, epoch as u64, b as u64))?;
            let l = f64::from(loss.to_dtype(candle_core::DType::F32)?.to_scalar::<f32>()?);
            if !l.is_finite() {
                return Err(TrainError::NonFiniteLoss {
                    epoch,
                    batch: b + 1,
                    loss: l,
                    checkpoint: run.checkpoint.clone().filter(|p| p.exists()),
                });
            }
            opt.backward_step(&loss)?;
            sum += l;
            batches += 1;
        }
        let validation = model.validate()?;
        let improved = validation.is_finite() && validation > meta.best_validation;
        if improved {
            best = snapshot(&params)?;
            meta.best_epoch = epoch;
            meta.best_validation = validation;
            meta.bad_epochs = 0;
        } else {
            meta.bad_epochs += 1;
        }
        let report = EpochReport {
            run: run.name.clone(),
            epoch,
            epochs: cfg.epochs,
            train_loss: sum / batches as f64,
            validation,
            lr: cfg.lr,
            seconds: t0.elapsed().as_secs_f64(),
            best: improved,
        };
        progress(&report);
        meta.log.push(report);
        meta.epoch = epoch;
        meta.step = opt.step_count();
        if let Some(path) = &run.checkpoint {
            let (m, v) = opt.moments();
            let state = State {
                params: snapshot(&params)?,
                m: m.to_vec(),
                v: v.to_vec(),
                best: best.clone(),
            };
            checkpoint::save(path, &meta, &state)?;
        }
        stopped_early = meta.bad_epochs >= cfg.patience && epoch < cfg.epochs;
    }
    for ((_, p), t) in params.iter().zip(&best) {
        p.set(t)?;
    }
    Ok(Outcome {
        best_epoch: meta.best_epoch,
        best_validation: meta.best_validation,
        epochs_run: meta.epoch,
        stopped_early,
        log: meta.log,
    })
}
