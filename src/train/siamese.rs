//! `siamese-vgg16` (RSA): two weight-sharing copies of a pretrained VGG-16 trained so that the
//! dissimilarity of their features for two images, `1 − Pearson r` of one layer, matches the
//! brain's (Agrawal 2019; SCIENCE.md §4). Two weight-sharing copies are one network run on both
//! images of a pair, so a batch runs the network once on a set of images and compares every pair
//! of them that belongs to the same training set.
//!
//! * Targets, per ROI and training set: each subject's RDM z-scored over its upper triangle,
//!   averaged over subjects. A `1 − r` lives on another scale than a z-score, so the targets are
//!   mapped affinely onto the mean and standard deviation of the untrained network's predicted
//!   dissimilarities of the training pairs (ranks, and so the RSA score, are unchanged).
//! * On the CPU the layers up to `frozen_through` stay fixed and their activations are computed
//!   once; the layers after it are fine-tuned.
//! * A fraction of each training set's images is held out; the validation metric is the
//!   Spearman correlation between predicted and target dissimilarities of the pairs among them,
//!   averaged over sets. It chooses the epoch (early stopping) and, per ROI, the layer among
//!   `layers`. The test RDMs are never seen.

use super::engine::{self, derive_seed, LoopConfig, RunOptions, Trainable};
use super::log::EpochReport;
use super::{checkpoint, layers, losses, Result, TrainError};
use crate::benchmark::dataset::{RsaTrainSet, TrainSplit};
use crate::features::preprocess::Preprocess;
use crate::features::{cache::Cache, extract, Extractor, Pool, WeightsChoice};
use crate::metrics::rdm::Rdm;
use crate::models::weights::Weights;
use crate::models::{vgg, Architecture, Network};
use candle_core::{DType, Device, Tensor, Var};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;

/// The reference's name.
pub const NAME: &str = "siamese-vgg16";

/// What `fit_siamese` trains: built by `bench train` from `reference/siamese-vgg16.toml`'s
/// `[network]` (input size, candidate layers) and `[method]` tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SiameseConfig {
    /// Input side in pixels (torchvision's ImageNet transform scaled to it; at least 32).
    pub input_size: usize,
    /// The last fixed layer (a `features.N` of VGG-16); its activations are cached.
    pub frozen_through: String,
    /// Candidate layers whose `1 − r` is trained, after `frozen_through`; one is chosen per ROI.
    pub layers: Vec<String>,
    /// Fraction of each training set's images held out for validation.
    pub validation_fraction: f64,
    /// The loop (`epochs`, `batch_size` in images, `lr`, `weight_decay`, `patience`).
    pub train: LoopConfig,
}

impl Default for SiameseConfig {
    fn default() -> Self {
        SiameseConfig {
            input_size: 128,
            frozen_through: "features.23".into(),
            layers: vec!["features.27".into(), "features.30".into()],
            validation_fraction: 0.2,
            train: LoopConfig {
                epochs: 10,
                batch_size: 16,
                lr: 1e-5,
                weight_decay: 0.01,
                patience: 3,
            },
        }
    }
}

/// Where the weights come from, where training runs and where checkpoints go.
#[derive(Debug, Clone)]
pub struct SiameseRun<'a> {
    /// Where the trained layers run (the frozen layers' activations are computed on the CPU
    /// once and moved there).
    pub device: Device,
    /// The VGG-16 weights.
    pub weights: WeightsChoice,
    /// The seed of the validation split, batch order and checkpoints.
    pub seed: u64,
    /// A folder for one checkpoint per ROI and layer (`<roi>-<layer>.safetensors`).
    pub checkpoint_dir: Option<PathBuf>,
    /// Continue from the checkpoints in `checkpoint_dir` where they exist.
    pub resume: bool,
    /// A feature cache for the frozen layers' activations.
    pub cache: Option<&'a Cache>,
}

/// What was chosen for one ROI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoiChoice {
    /// The ROI.
    pub target: String,
    /// The chosen layer.
    pub layer: String,
    /// The chosen epoch.
    pub epoch: usize,
    /// Its validation metric (Spearman r on held-out pairs).
    pub validation: f64,
    /// Every candidate layer's validation metric before training and at its best epoch.
    pub candidates: Vec<(String, f64, f64)>,
}

/// The result: one predicted test RDM per ROI (in the benchmark's target order).
#[derive(Debug, Clone)]
pub struct SiameseOutcome {
    /// (ROI, predicted RDM of the test images).
    pub rdms: Vec<(String, Rdm)>,
    /// The choices made on held-out pairs.
    pub choices: Vec<RoiChoice>,
    /// Every epoch of every run.
    pub log: Vec<EpochReport>,
    /// The pretrained weights it started from.
    pub origin: crate::models::weights::Origin,
}

/// VGG-16's `features` modules: a 3x3 convolution (padding 1), a ReLU, or a 2/2 max-pool.
#[derive(Debug, Clone, Copy)]
enum Module {
    Conv,
    Relu,
    Pool,
}

fn vgg16_modules() -> Vec<Module> {
    let mut v = Vec::new();
    for s in vgg::Config::vgg16().stages {
        match s {
            Some(_) => v.extend([Module::Conv, Module::Relu]),
            None => v.push(Module::Pool),
        }
    }
    v
}

/// The index of a `features.N` layer, or a clear error.
fn feature_index(layer: &str) -> Result<usize> {
    let n = vgg16_modules().len();
    layer
        .strip_prefix("features.")
        .and_then(|i| i.parse::<usize>().ok())
        .filter(|&i| i < n)
        .ok_or_else(|| {
            TrainError::BadConfig(format!(
                "`{layer}` is not a convolutional-stack layer of VGG-16; use features.0 to \
                 features.{}",
                n - 1
            ))
        })
}

/// The trainable layers `from..=to` of VGG-16's `features`, initialised from the weights.
struct Head {
    from: usize,
    ops: Vec<(Module, Option<(Var, Var)>)>,
}

/// A network whose embedding of its inputs is compared pair by pair.
pub(crate) trait Embedder {
    /// The trainable parameters, by name, in a fixed order.
    fn params(&self) -> Vec<(String, Var)>;
    /// The embedding (batch, features); `dropout_seed` is `Some` in training.
    fn embed(&self, x: &Tensor, dropout_seed: Option<u64>) -> candle_core::Result<Tensor>;
}

/// Embeds in chunks without keeping the graph: (n, features).
pub(crate) fn embed_all(e: &dyn Embedder, x: &Tensor) -> candle_core::Result<Tensor> {
    let n = x.dim(0)?;
    let mut out = Vec::new();
    for s in (0..n).step_by(16) {
        out.push(e.embed(&x.narrow(0, s, 16.min(n - s))?, None)?.detach());
    }
    Tensor::cat(&out, 0)
}

impl Head {
    fn new(
        tensors: &HashMap<String, Tensor>,
        from: usize,
        to: usize,
        device: &Device,
    ) -> Result<Self> {
        let modules = vgg16_modules();
        let mut ops = Vec::new();
        for (i, m) in modules.iter().enumerate().take(to + 1).skip(from) {
            let vars = match m {
                Module::Conv => {
                    let get = |t: &str| -> Result<Var> {
                        let name = format!("features.{i}.{t}");
                        let t = tensors.get(&name).ok_or_else(|| {
                            TrainError::BadData(format!("the VGG-16 weights lack `{name}`"))
                        })?;
                        Ok(Var::from_tensor(
                            &t.to_dtype(DType::F32)?.to_device(device)?.copy()?,
                        )?)
                    };
                    Some((get("weight")?, get("bias")?))
                }
                _ => None,
            };
            ops.push((*m, vars));
        }
        Ok(Head { from, ops })
    }
}

impl Embedder for Head {
    fn params(&self) -> Vec<(String, Var)> {
        let mut v = Vec::new();
        for (k, (_, vars)) in self.ops.iter().enumerate() {
            if let Some((w, b)) = vars {
                v.push((format!("features.{}.weight", self.from + k), w.clone()));
                v.push((format!("features.{}.bias", self.from + k), b.clone()));
            }
        }
        v
    }

    /// The last layer's activations, flattened to (batch, features).
    fn embed(&self, x: &Tensor, _dropout_seed: Option<u64>) -> candle_core::Result<Tensor> {
        let mut x = x.clone();
        for (m, vars) in &self.ops {
            x = match (m, vars) {
                (Module::Conv, Some((w, b))) => {
                    layers::conv2d(&x, w.as_tensor(), Some(b.as_tensor()), 1, 1)?
                }
                (Module::Relu, _) => x.relu()?,
                (Module::Pool, _) => x.max_pool2d_with_stride(2, 2)?,
                (Module::Conv, None) => unreachable!("convolutions are built with weights"),
            };
        }
        x.flatten_from(1)
    }
}

/// Index of pair (i, j), i < j, in a row-major condensed upper triangle of n items.
fn pair_index(n: usize, i: usize, j: usize) -> usize {
    i * n - i * (i + 1) / 2 + (j - i - 1)
}

/// Per-subject z-scored (over the upper triangle), subject-averaged RDM of one set and ROI.
fn averaged_z(set: &RsaTrainSet, target: &str) -> Result<Vec<f64>> {
    let subjects = set
        .rdms
        .get(target)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            TrainError::BadData(format!(
                "training set {} has no RDMs for target {target}",
                set.name
            ))
        })?;
    let m = subjects[0].upper().len();
    let mut avg = vec![0.0; m];
    for r in subjects {
        if r.upper().len() != m {
            return Err(TrainError::BadData(format!(
                "training set {}: subjects' {target} RDMs differ in size",
                set.name
            )));
        }
        let mean = r.upper().iter().sum::<f64>() / m as f64;
        let sd = (r.upper().iter().map(|v| (v - mean).powi(2)).sum::<f64>() / m as f64).sqrt();
        let sd = if sd > 0.0 { sd } else { 1.0 };
        for (a, v) in avg.iter_mut().zip(r.upper()) {
            *a += (v - mean) / sd / subjects.len() as f64;
        }
    }
    Ok(avg)
}

/// The training images' inputs (cached activations or pixels) and the held-out split.
pub(crate) struct PairData {
    /// The input of every training image, all sets concatenated.
    inputs: Tensor,
    /// (set, index within the set) of every row of `acts`.
    origin: Vec<(usize, usize)>,
    /// Rows of `acts` used for training.
    train: Vec<usize>,
    /// Rows held out, per set.
    held_out: Vec<Vec<usize>>,
    /// Image count per set.
    set_sizes: Vec<usize>,
}

/// One run: an ROI's targets and a network.
struct Model<'a> {
    data: &'a PairData,
    net: &'a dyn Embedder,
    /// Averaged z-scored target RDM per set.
    targets: Vec<Vec<f64>>,
    /// Affine map of the targets onto the prediction scale: (offset, scale).
    scale: (f64, f64),
}

impl Model<'_> {
    /// Pairs (positions in `rows`) of the same set, with their targets mapped by `scale`.
    fn pairs(&self, rows: &[usize]) -> (Vec<(usize, usize)>, Vec<f64>) {
        let (mut pairs, mut t) = (Vec::new(), Vec::new());
        for a in 0..rows.len() {
            for b in a + 1..rows.len() {
                let ((sa, ia), (sb, ib)) = (self.data.origin[rows[a]], self.data.origin[rows[b]]);
                if sa != sb || ia == ib {
                    continue;
                }
                let (i, j) = (ia.min(ib), ia.max(ib));
                pairs.push((a, b));
                let z = self.targets[sa][pair_index(self.data.set_sizes[sa], i, j)];
                t.push(self.scale.0 + self.scale.1 * z);
            }
        }
        (pairs, t)
    }

    fn rows(&self, rows: &[usize]) -> candle_core::Result<Tensor> {
        let idx: Vec<u32> = rows.iter().map(|&r| r as u32).collect();
        let idx = Tensor::from_vec(idx, rows.len(), self.data.inputs.device())?;
        self.data.inputs.index_select(&idx, 0)
    }

    /// Predicted dissimilarities (1 − r) and unscaled targets of every same-set pair of `rows`.
    fn predicted(&self, rows: &[usize]) -> candle_core::Result<(Vec<f64>, Vec<f64>)> {
        let rdm = losses::pearson_rdm(&embed_all(self.net, &self.rows(rows)?)?)?;
        let rdm: Vec<Vec<f32>> = rdm.to_vec2()?;
        let (pairs, _) = self.pairs(rows);
        let mut p = Vec::with_capacity(pairs.len());
        let mut t = Vec::with_capacity(pairs.len());
        for &(a, b) in &pairs {
            let ((s, ia), (_, ib)) = (self.data.origin[rows[a]], self.data.origin[rows[b]]);
            p.push(f64::from(rdm[a][b]));
            t.push(self.targets[s][pair_index(self.data.set_sizes[s], ia.min(ib), ia.max(ib))]);
        }
        Ok((p, t))
    }
}

impl Trainable for Model<'_> {
    fn params(&self) -> Vec<(String, Var)> {
        self.net.params()
    }

    fn n_train(&self) -> usize {
        self.data.train.len()
    }

    fn batch_loss(&self, batch: &[usize], seed: u64) -> candle_core::Result<Tensor> {
        let rows: Vec<usize> = batch.iter().map(|&b| self.data.train[b]).collect();
        let feats = self.net.embed(&self.rows(&rows)?, Some(seed))?;
        let (pairs, t) = self.pairs(&rows);
        if pairs.is_empty() {
            // A batch with no two images of one set: no pair to learn from.
            return feats.sum_all()? * 0.0;
        }
        let t = Tensor::from_vec(t, pairs.len(), feats.device())?.to_dtype(feats.dtype())?;
        losses::dissimilarity_loss(&feats, &pairs, &t)
    }

    fn validate(&self) -> candle_core::Result<f64> {
        let mut sum = 0.0;
        let mut n = 0;
        for rows in &self.data.held_out {
            let (p, t) = self.predicted(rows)?;
            if let Ok(Some(r)) = crate::metrics::ranks::spearman(&p, &t) {
                sum += r;
                n += 1;
            }
        }
        Ok(if n == 0 { f64::NAN } else { sum / n as f64 })
    }
}

/// Splits each set's images into training and held-out ones (seeded; at least 3 held out and
/// 2 kept per set).
fn split_sets(set_sizes: &[usize], fraction: f64, seed: u64) -> (Vec<usize>, Vec<Vec<usize>>) {
    let (mut train, mut held) = (Vec::new(), Vec::new());
    let mut offset = 0;
    for (s, &n) in set_sizes.iter().enumerate() {
        let mut idx: Vec<usize> = (offset..offset + n).collect();
        idx.shuffle(&mut ChaCha8Rng::seed_from_u64(derive_seed(
            seed,
            1 << 32,
            s as u64,
        )));
        let k = ((n as f64 * fraction).round() as usize).clamp(3, n.saturating_sub(2));
        let mut h = idx[..k].to_vec();
        h.sort_unstable();
        held.push(h);
        train.extend_from_slice(&idx[k..]);
        offset += n;
    }
    train.sort_unstable();
    (train, held)
}

fn to_tensor(m: &ndarray::Array2<f32>, shape: &[usize], device: &Device) -> Result<Tensor> {
    let mut dims = vec![m.nrows()];
    dims.extend_from_slice(shape);
    Ok(Tensor::from_vec(
        m.iter().copied().collect::<Vec<f32>>(),
        dims,
        device,
    )?)
}

/// The parts of an RSA training split, after checking that `name` can train on it.
pub(crate) fn rsa_parts<'s>(
    split: &'s TrainSplit,
    name: &str,
    train: &LoopConfig,
    validation_fraction: f64,
) -> Result<(&'s [String], &'s [RsaTrainSet], &'s [PathBuf])> {
    let TrainSplit::Rsa {
        targets,
        sets,
        test_images,
    } = split
    else {
        return Err(TrainError::BadData(format!(
            "{name} trains on RSA benchmarks (training RDMs); this benchmark's training data \
             are encoding responses"
        )));
    };
    train.validate()?;
    if !(validation_fraction > 0.0 && validation_fraction < 1.0) {
        return Err(TrainError::BadConfig(format!(
            "validation_fraction must lie in (0, 1), not {validation_fraction}"
        )));
    }
    if let Some(s) = sets.iter().find(|s| s.images.len() < 5) {
        return Err(TrainError::BadData(format!(
            "training set {} has {} images; at least 5 are needed (3 held out, 2 trained on)",
            s.name,
            s.images.len()
        )));
    }
    Ok((targets.as_slice(), sets.as_slice(), test_images.as_slice()))
}

impl PairData {
    /// The inputs of every training image (sets concatenated) with a seeded held-out split.
    pub(crate) fn new(inputs: Tensor, sets: &[RsaTrainSet], fraction: f64, seed: u64) -> Self {
        let set_sizes: Vec<usize> = sets.iter().map(|s| s.images.len()).collect();
        let (train, held_out) = split_sets(&set_sizes, fraction, seed);
        PairData {
            inputs,
            origin: set_sizes
                .iter()
                .enumerate()
                .flat_map(|(s, &n)| (0..n).map(move |i| (s, i)))
                .collect(),
            train,
            held_out,
            set_sizes,
        }
    }
}

/// Trains `net` on one ROI's dissimilarities: the targets are mapped onto the scale of the
/// untrained network's predictions first. Returns the untrained validation metric and the
/// outcome (the network holds the best epoch's weights).
pub(crate) fn train_pairs(
    data: &PairData,
    sets: &[RsaTrainSet],
    target: &str,
    net: &dyn Embedder,
    cfg: &LoopConfig,
    opts: &RunOptions,
    progress: &mut dyn FnMut(&EpochReport),
) -> Result<(f64, engine::Outcome)> {
    let targets = sets
        .iter()
        .map(|s| averaged_z(s, target))
        .collect::<Result<_>>()?;
    let mut model = Model {
        data,
        net,
        targets,
        scale: (0.0, 1.0),
    };
    let (p, _) = model.predicted(&data.train)?;
    let mean = p.iter().sum::<f64>() / p.len() as f64;
    let sd = (p.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / p.len() as f64).sqrt();
    model.scale = (mean, sd);
    let untrained = model.validate()?;
    let outcome = engine::train(&model, cfg, opts, progress)?;
    Ok((untrained, outcome))
}

/// The predicted RDM (1 − Pearson r of the embeddings) of the images whose inputs are `x`.
pub(crate) fn predict_rdm(net: &dyn Embedder, x: &Tensor, target: &str) -> Result<Rdm> {
    let rdm: Vec<Vec<f32>> = losses::pearson_rdm(&embed_all(net, x)?)?.to_vec2()?;
    let n = rdm.len();
    let upper = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .map(|(i, j)| f64::from(rdm[i][j]))
        .collect();
    Rdm::from_upper(n, upper)
        .map_err(|e| TrainError::BadData(format!("predicted test RDM of {target}: {e}")))
}

/// The checkpoint of one run in `dir`, and whether to resume from it.
pub(crate) fn run_files(
    dir: Option<&PathBuf>,
    file: &str,
    resume: bool,
) -> (Option<PathBuf>, Option<PathBuf>) {
    let ckpt = dir.map(|d| d.join(format!("{file}.safetensors")));
    let from = ckpt.clone().filter(|p| resume && p.exists());
    (ckpt, from)
}

/// Trains `siamese-vgg16` on an RSA training split and predicts the test images' RDM per ROI.
/// `progress` is called after every epoch of every (ROI, layer) run.
pub fn fit_siamese(
    split: &TrainSplit,
    cfg: &SiameseConfig,
    run: &SiameseRun,
    progress: &mut dyn FnMut(&EpochReport),
) -> Result<SiameseOutcome> {
    let (targets, sets, test_images) = rsa_parts(split, NAME, &cfg.train, cfg.validation_fraction)?;
    let frozen = feature_index(&cfg.frozen_through)?;
    let candidates = cfg
        .layers
        .iter()
        .map(|l| {
            let i = feature_index(l)?;
            if i <= frozen {
                return Err(TrainError::BadConfig(format!(
                    "layer {l} is not after frozen_through = {}: nothing would be trained",
                    cfg.frozen_through
                )));
            }
            Ok(i)
        })
        .collect::<Result<Vec<_>>>()?;
    let Some(&deepest) = candidates.iter().max() else {
        return Err(TrainError::BadConfig("layers is empty".into()));
    };
    let weights = match &run.weights {
        WeightsChoice::RandomInit { seed } => Weights::random(Architecture::Vgg16, *seed)
            .map_err(crate::features::FeaturesError::from)?,
        WeightsChoice::File(name) => {
            let path = crate::models::weights::resolve(name, Architecture::Vgg16)
                .map_err(crate::features::FeaturesError::from)?;
            Weights::from_file(Architecture::Vgg16, &path, deepest)
                .map_err(crate::features::FeaturesError::from)?
        }
    };
    let extractor = Extractor {
        network: Network::new(Architecture::Vgg16, weights.var_builder())?,
        origin: weights.origin.clone(),
    };
    let pre = Preprocess::imagenet(cfg.input_size);
    let frozen_layer = [cfg.frozen_through.clone()];
    let frozen_acts = |images: &[PathBuf]| -> Result<Tensor> {
        let (mats, shapes, _, _) = extract(
            &extractor,
            images,
            &frozen_layer,
            &pre,
            Pool::None,
            16,
            run.cache,
        )?;
        to_tensor(&mats[0], &shapes[0], &run.device)
    };
    let all_train: Vec<PathBuf> = sets.iter().flat_map(|s| s.images.clone()).collect();
    let data = PairData::new(
        frozen_acts(&all_train)?,
        sets,
        cfg.validation_fraction,
        run.seed,
    );
    let test_acts = frozen_acts(test_images)?;

    let mut out = SiameseOutcome {
        rdms: Vec::new(),
        choices: Vec::new(),
        log: Vec::new(),
        origin: weights.origin.clone(),
    };
    for target in targets {
        let mut best: Option<(RoiChoice, Rdm)> = None;
        let mut cand_log = Vec::new();
        for (&to, layer) in candidates.iter().zip(&cfg.layers) {
            let head = Head::new(&weights.tensors, frozen + 1, to, &run.device)?;
            let (checkpoint, resume) = run_files(
                run.checkpoint_dir.as_ref(),
                &format!("{target}-{layer}"),
                run.resume,
            );
            let opts = RunOptions {
                name: format!("{NAME} {target} {layer}"),
                fingerprint: checkpoint::fingerprint(&(
                    cfg.input_size,
                    &cfg.frozen_through,
                    cfg.validation_fraction,
                    cfg.train.without_epochs(),
                    weights.origin.key(),
                )),
                seed: run.seed,
                checkpoint,
                resume,
            };
            let (untrained, outcome) =
                train_pairs(&data, sets, target, &head, &cfg.train, &opts, progress)?;
            out.log.extend(outcome.log.iter().cloned());
            cand_log.push((layer.clone(), untrained, outcome.best_validation));
            if best
                .as_ref()
                .is_none_or(|(c, _)| outcome.best_validation > c.validation)
            {
                let choice = RoiChoice {
                    target: target.clone(),
                    layer: layer.clone(),
                    epoch: outcome.best_epoch,
                    validation: outcome.best_validation,
                    candidates: Vec::new(),
                };
                best = Some((choice, predict_rdm(&head, &test_acts, target)?));
            }
        }
        let (mut choice, rdm) = best.expect("at least one candidate layer");
        choice.candidates = cand_log;
        out.choices.push(choice);
        out.rdms.push((target.clone(), rdm));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trainable_head_computes_what_the_inference_vgg_computes() {
        let w = Weights::random(Architecture::Vgg16, 3).unwrap();
        let net = Network::new(Architecture::Vgg16, w.var_builder()).unwrap();
        let n = 2 * 3 * 32 * 32;
        let x: Vec<f32> = (0..n)
            .map(|i| ((i * 7919 % 997) as f32) / 500.0 - 1.0)
            .collect();
        let x = Tensor::from_vec(x, (2, 3, 32, 32), &Device::Cpu).unwrap();
        let outs = net
            .forward_layers(&x, &["features.16".into(), "features.30".into()])
            .unwrap();
        let head = Head::new(&w.tensors, 17, 30, &Device::Cpu).unwrap();
        let ours = embed_all(&head, &outs[0]).unwrap();
        let theirs = outs[1].flatten_from(1).unwrap();
        let scale = theirs
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        let d = (ours - theirs).unwrap().abs().unwrap().max_all().unwrap();
        assert!(scale > 0.0);
        assert!(d.to_scalar::<f32>().unwrap() <= 1e-4 * scale);
    }

    #[test]
    fn held_out_images_are_seeded_disjoint_and_per_set() {
        let (train, held) = split_sets(&[10, 6], 0.2, 1);
        assert_eq!(held[0].len(), 3); // at least 3
        assert_eq!(held[1].len(), 3);
        assert!(held[0].iter().all(|&i| i < 10) && held[1].iter().all(|&i| (10..16).contains(&i)));
        let mut all: Vec<usize> = train.iter().chain(held.iter().flatten()).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..16).collect::<Vec<_>>());
        assert_eq!(split_sets(&[10, 6], 0.2, 1), (train.clone(), held.clone()));
        assert_ne!(split_sets(&[10, 6], 0.2, 2).1, held);
    }

    #[test]
    fn targets_are_z_scored_per_subject_then_averaged() {
        let a = Rdm::from_upper(3, vec![1.0, 2.0, 3.0]).unwrap();
        let b = Rdm::from_upper(3, vec![10.0, 30.0, 20.0]).unwrap();
        let set = RsaTrainSet {
            name: "s".into(),
            images: Vec::new(),
            rdms: [("IT".to_string(), vec![a, b])].into_iter().collect(),
        };
        let z = averaged_z(&set, "IT").unwrap();
        let s = (2.0f64 / 3.0).sqrt();
        let expect = [
            (-1.0 / s - 1.0 / s) / 2.0,
            (0.0 + 1.0 / s) / 2.0,
            (1.0 / s + 0.0) / 2.0,
        ];
        for (a, b) in z.iter().zip(expect) {
            assert!((a - b).abs() < 1e-12, "{z:?}");
        }
        assert!(averaged_z(&set, "EVC")
            .unwrap_err()
            .to_string()
            .contains("no RDMs for target EVC"));
    }
}
