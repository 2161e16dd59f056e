//! `cnn-scratch` (encoding and RSA): the small CNN of [`crate::models::scratch`] trained from
//! random initialisation; the control that shows what pretrained features buy.
//!
//! * Encoding: one network per subject predicts every vertex of both hemispheres (columns
//!   standardised with the training rows' statistics, predictions mapped back), with MSE or
//!   `1 − cosine similarity`, AdamW, dropout before the read-out, early stopping on held-out
//!   training images (validation metric: mean Pearson r over vertices).
//! * RSA: one network per ROI, its embedding trained through the dissimilarity loss exactly as
//!   `siamese-vgg16` trains VGG-16's ([`super::siamese`]).

use super::engine::{self, derive_seed, LoopConfig, RunOptions, Trainable};
use super::log::EpochReport;
use super::siamese::{self, Embedder, PairData};
use super::{checkpoint, losses, Result, TrainError};
use crate::benchmark::dataset::TrainSplit;
use crate::features::preprocess::Preprocess;
use crate::metrics::rdm::Rdm;
use crate::models::scratch::{ScratchArch, ScratchCnn};
use crate::submission::parse::EncodingPredictions;
use candle_core::{Device, Tensor, Var};
use ndarray::Array2;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The reference's name.
pub const NAME: &str = "cnn-scratch";

/// The encoding loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EncodingLoss {
    /// Mean squared error of the standardised responses.
    Mse,
    /// `1 − cosine similarity` of each image's response pattern (the Kay-2008 report's loss).
    Cosine,
}

/// The `[method]` table of `reference/cnn-scratch.toml` (besides its `kind`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScratchConfig {
    /// Input side in pixels (torchvision's ImageNet transform scaled to it).
    pub input_size: usize,
    /// The network.
    pub arch: ScratchArch,
    /// The encoding loss (RSA always uses the dissimilarity loss).
    pub loss: EncodingLoss,
    /// Fraction of the training images held out for validation (early stopping).
    pub validation_fraction: f64,
    /// The loop (`epochs`, `batch_size`, `lr`, `weight_decay`, `patience`).
    pub train: LoopConfig,
}

impl Default for ScratchConfig {
    fn default() -> Self {
        ScratchConfig {
            input_size: 64,
            arch: ScratchArch::default(),
            loss: EncodingLoss::Mse,
            validation_fraction: 0.1,
            train: LoopConfig {
                epochs: 20,
                batch_size: 32,
                lr: 1e-3,
                weight_decay: 0.01,
                patience: 3,
            },
        }
    }
}

/// Seed, device and checkpoint files of a run.
#[derive(Debug, Clone)]
pub struct ScratchRun {
    /// Where the network trains (the data are moved there once).
    pub device: Device,
    /// The seed of initialisation, validation split, batch order and dropout.
    pub seed: u64,
    /// A folder for one checkpoint per subject or ROI (`<subject|roi>.safetensors`).
    pub checkpoint_dir: Option<PathBuf>,
    /// Continue from the checkpoints in `checkpoint_dir` where they exist.
    pub resume: bool,
}

impl Default for ScratchRun {
    /// Seed 0 on the CPU, without checkpoints.
    fn default() -> Self {
        ScratchRun {
            device: Device::Cpu,
            seed: 0,
            checkpoint_dir: None,
            resume: false,
        }
    }
}

/// The chosen epoch of one subject or ROI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice {
    /// The subject or ROI.
    pub unit: String,
    /// The best epoch.
    pub epoch: usize,
    /// Its validation metric.
    pub validation: f64,
}

/// What `cnn-scratch` predicts.
#[derive(Debug, Clone)]
pub enum ScratchPredictions {
    /// Test responses by (subject, hemisphere), each (test images × vertices).
    Encoding(EncodingPredictions),
    /// A test RDM per ROI, in the benchmark's target order.
    Rsa(Vec<(String, Rdm)>),
}

/// The result of [`fit_scratch`].
#[derive(Debug, Clone)]
pub struct ScratchOutcome {
    /// The predictions, in the shape the benchmark's submission takes.
    pub predictions: ScratchPredictions,
    /// The epoch chosen per subject (encoding) or ROI (RSA).
    pub choices: Vec<Choice>,
    /// Every epoch of every run.
    pub log: Vec<EpochReport>,
}

/// The images, preprocessed, as a (n, 3, side, side) tensor on `device`.
pub fn load_images(paths: &[PathBuf], side: usize, device: &Device) -> Result<Tensor> {
    let pre = Preprocess::imagenet(side);
    let mut flat = Vec::with_capacity(paths.len() * 3 * side * side);
    for p in paths {
        flat.extend(
            pre.apply(crate::io::image::read_rgb(p)?.view())
                .iter()
                .copied(),
        );
    }
    Ok(Tensor::from_vec(
        flat,
        (paths.len(), 3, side, side),
        device,
    )?)
}

impl Embedder for ScratchCnn {
    fn params(&self) -> Vec<(String, Var)> {
        ScratchCnn::params(self)
    }
    fn embed(&self, x: &Tensor, dropout_seed: Option<u64>) -> candle_core::Result<Tensor> {
        self.forward(x, dropout_seed)
    }
}

/// Trains `cnn-scratch` on a benchmark's training split and predicts its test images.
pub fn fit_scratch(
    split: &TrainSplit,
    cfg: &ScratchConfig,
    run: &ScratchRun,
    progress: &mut dyn FnMut(&EpochReport),
) -> Result<ScratchOutcome> {
    let min = ScratchCnn::min_input_side(&cfg.arch);
    if cfg.input_size < min || cfg.arch.channels.is_empty() {
        return Err(TrainError::BadConfig(format!(
            "input_size {} is too small for {} convolution blocks (at least {min}), or channels \
             is empty",
            cfg.input_size,
            cfg.arch.channels.len()
        )));
    }
    if !(0.0..1.0).contains(&cfg.arch.dropout) {
        return Err(TrainError::BadConfig(format!(
            "dropout must lie in [0, 1), not {}",
            cfg.arch.dropout
        )));
    }
    let fingerprint = checkpoint::fingerprint(&ScratchConfig {
        train: cfg.train.without_epochs(),
        ..cfg.clone()
    });
    match split {
        TrainSplit::Rsa { .. } => fit_rsa(split, cfg, run, &fingerprint, progress),
        TrainSplit::Encoding { .. } => fit_encoding(split, cfg, run, &fingerprint, progress),
    }
}

fn fit_rsa(
    split: &TrainSplit,
    cfg: &ScratchConfig,
    run: &ScratchRun,
    fingerprint: &str,
    progress: &mut dyn FnMut(&EpochReport),
) -> Result<ScratchOutcome> {
    let (targets, sets, test_images) =
        siamese::rsa_parts(split, NAME, &cfg.train, cfg.validation_fraction)?;
    let all: Vec<PathBuf> = sets.iter().flat_map(|s| s.images.clone()).collect();
    let data = PairData::new(
        load_images(&all, cfg.input_size, &run.device)?,
        sets,
        cfg.validation_fraction,
        run.seed,
    );
    let test = load_images(test_images, cfg.input_size, &run.device)?;
    let (mut rdms, mut choices, mut log) = (Vec::new(), Vec::new(), Vec::new());
    for (t, target) in targets.iter().enumerate() {
        let net = ScratchCnn::new(
            &cfg.arch,
            None,
            derive_seed(run.seed, 2, t as u64),
            &run.device,
        )?;
        let (checkpoint, resume) =
            siamese::run_files(run.checkpoint_dir.as_ref(), target, run.resume);
        let opts = RunOptions {
            name: format!("{NAME} {target}"),
            fingerprint: fingerprint.to_string(),
            seed: run.seed,
            checkpoint,
            resume,
        };
        let (_, outcome) =
            siamese::train_pairs(&data, sets, target, &net, &cfg.train, &opts, progress)?;
        rdms.push((target.clone(), siamese::predict_rdm(&net, &test, target)?));
        choices.push(Choice {
            unit: target.clone(),
            epoch: outcome.best_epoch,
            validation: outcome.best_validation,
        });
        log.extend(outcome.log);
    }
    Ok(ScratchOutcome {
        predictions: ScratchPredictions::Rsa(rdms),
        choices,
        log,
    })
}

/// One subject's encoding run.
struct Encoder<'a> {
    net: &'a ScratchCnn,
    loss: EncodingLoss,
    x: &'a Tensor,
    /// Standardised responses (images × vertices).
    y: &'a Tensor,
    train: Vec<usize>,
    val: Vec<usize>,
}

fn rows(t: &Tensor, rows: &[usize]) -> candle_core::Result<Tensor> {
    let idx: Vec<u32> = rows.iter().map(|&r| r as u32).collect();
    t.index_select(&Tensor::from_vec(idx, rows.len(), t.device())?, 0)
}

/// Evaluation-mode predictions in chunks, without keeping the graph.
fn predict(net: &ScratchCnn, x: &Tensor) -> candle_core::Result<Tensor> {
    let n = x.dim(0)?;
    let mut out = Vec::new();
    for s in (0..n).step_by(32) {
        out.push(net.forward(&x.narrow(0, s, 32.min(n - s))?, None)?.detach());
    }
    Tensor::cat(&out, 0)
}

/// Mean over columns of the Pearson r between two (n × columns) matrices; columns where either
/// side is constant are left out.
fn mean_column_r(a: &Array2<f32>, b: &Array2<f32>) -> f64 {
    let (mut sum, mut k) = (0.0, 0);
    for (ca, cb) in a.columns().into_iter().zip(b.columns()) {
        let x: Vec<f64> = ca.iter().map(|&v| f64::from(v)).collect();
        let y: Vec<f64> = cb.iter().map(|&v| f64::from(v)).collect();
        if let Ok(Some(r)) = crate::metrics::correlation::pearson(&x, &y) {
            sum += r;
            k += 1;
        }
    }
    if k == 0 {
        f64::NAN
    } else {
        sum / k as f64
    }
}

fn to_array(t: &Tensor) -> candle_core::Result<Array2<f32>> {
    let (n, m) = t.dims2()?;
    Ok(Array2::from_shape_vec((n, m), t.flatten_all()?.to_vec1()?).expect("sizes match"))
}

impl Trainable for Encoder<'_> {
    fn params(&self) -> Vec<(String, Var)> {
        self.net.params()
    }
    fn n_train(&self) -> usize {
        self.train.len()
    }
    fn batch_loss(&self, batch: &[usize], seed: u64) -> candle_core::Result<Tensor> {
        let r: Vec<usize> = batch.iter().map(|&b| self.train[b]).collect();
        let pred = self.net.forward(&rows(self.x, &r)?, Some(seed))?;
        let target = rows(self.y, &r)?;
        match self.loss {
            EncodingLoss::Mse => losses::mse(&pred, &target),
            EncodingLoss::Cosine => losses::cosine_loss(&pred, &target),
        }
    }
    fn validate(&self) -> candle_core::Result<f64> {
        let pred = to_array(&predict(self.net, &rows(self.x, &self.val)?)?)?;
        let obs = to_array(&rows(self.y, &self.val)?)?;
        Ok(mean_column_r(&pred, &obs))
    }
}

fn fit_encoding(
    split: &TrainSplit,
    cfg: &ScratchConfig,
    run: &ScratchRun,
    fingerprint: &str,
    progress: &mut dyn FnMut(&EpochReport),
) -> Result<ScratchOutcome> {
    let TrainSplit::Encoding { subjects } = split else {
        unreachable!("called for encoding splits")
    };
    cfg.train.validate()?;
    if subjects.is_empty() {
        return Err(TrainError::BadData(format!(
            "{NAME}: the benchmark has no subjects"
        )));
    }
    let (mut predictions, mut choices, mut log) =
        (EncodingPredictions::new(), Vec::new(), Vec::new());
    for (s, subj) in subjects.iter().enumerate() {
        let n = subj.train_images.len();
        let k = (n as f64 * cfg.validation_fraction).round() as usize;
        if k < 3 || n - k < 1 {
            return Err(TrainError::BadData(format!(
                "{}: {n} training images leave too few for validation_fraction {} (at least 3 \
                 held out and 1 trained on)",
                subj.id, cfg.validation_fraction
            )));
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(derive_seed(
            run.seed, 3, s as u64,
        )));
        let (mut val, mut train) = (order[..k].to_vec(), order[k..].to_vec());
        val.sort_unstable();
        train.sort_unstable();
        // Responses of both hemispheres side by side, standardised with the training rows.
        let widths: Vec<(String, usize)> = subj
            .train_fmri
            .iter()
            .map(|(h, a)| (h.clone(), a.ncols()))
            .collect();
        let views: Vec<_> = subj.train_fmri.iter().map(|(_, a)| a.view()).collect();
        let y = ndarray::concatenate(ndarray::Axis(1), &views).map_err(|e| {
            TrainError::BadData(format!(
                "{}: hemispheres' responses differ in rows: {e}",
                subj.id
            ))
        })?;
        if y.nrows() != n {
            return Err(TrainError::BadData(format!(
                "{}: {n} training images but {} response rows",
                subj.id,
                y.nrows()
            )));
        }
        let t = y.select(ndarray::Axis(0), &train);
        let mean = t.mean_axis(ndarray::Axis(0)).expect("rows");
        let sd = t
            .std_axis(ndarray::Axis(0), 0.0)
            .mapv(|v| if v > 0.0 { v } else { 1.0 });
        let z = (&y - &mean) / &sd;
        let yt = Tensor::from_vec(
            z.iter().copied().collect::<Vec<f32>>(),
            z.dim(),
            &run.device,
        )?;
        let x = load_images(&subj.train_images, cfg.input_size, &run.device)?;
        let net = ScratchCnn::new(
            &cfg.arch,
            Some(z.ncols()),
            derive_seed(run.seed, 4, s as u64),
            &run.device,
        )?;
        let model = Encoder {
            net: &net,
            loss: cfg.loss,
            x: &x,
            y: &yt,
            train,
            val,
        };
        let (checkpoint, resume) =
            siamese::run_files(run.checkpoint_dir.as_ref(), &subj.id, run.resume);
        let opts = RunOptions {
            name: format!("{NAME} {}", subj.id),
            fingerprint: fingerprint.to_string(),
            seed: run.seed,
            checkpoint,
            resume,
        };
        let outcome = engine::train(&model, &cfg.train, &opts, progress)?;
        let pred = to_array(&predict(
            &net,
            &load_images(&subj.test_images, cfg.input_size, &run.device)?,
        )?)?;
        let pred = pred * &sd + &mean;
        let mut col = 0;
        for (h, w) in widths {
            predictions.insert(
                (subj.id.clone(), h),
                pred.slice(ndarray::s![.., col..col + w]).to_owned().into(),
            );
            col += w;
        }
        choices.push(Choice {
            unit: subj.id.clone(),
            epoch: outcome.best_epoch,
            validation: outcome.best_validation,
        });
        log.extend(outcome.log);
    }
    Ok(ScratchOutcome {
        predictions: ScratchPredictions::Encoding(predictions),
        choices,
        log,
    })
}
