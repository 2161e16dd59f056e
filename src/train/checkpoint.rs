//! Checkpoints: one safetensors file with the weights (`param/<name>`), AdamW's moments
//! (`adam_m/<name>`, `adam_v/<name>`), the best weights so far (`best/<name>`, for early
//! stopping) and, in the header's metadata under `brainbench`, a JSON [`Meta`]: reference name,
//! configuration fingerprint, seed, parameter shapes, epoch, step, early-stopping state and the
//! log so far. Everything a resumed run needs to continue as if it had never stopped.

use super::log::EpochReport;
use super::{Result, TrainError};
use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The metadata key holding [`Meta`] as JSON.
const META_KEY: &str = "brainbench";

/// What a checkpoint says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// The reference (and run) it belongs to, e.g. `siamese-vgg16 IT features.30`.
    pub reference: String,
    /// A fingerprint of everything in the configuration that changes the result except the
    /// number of epochs (which `--resume` may extend).
    pub fingerprint: String,
    /// The seed.
    pub seed: u64,
    /// Parameter names and shapes, in the optimizer's order.
    pub shapes: Vec<(String, Vec<usize>)>,
    /// Epochs completed.
    pub epoch: usize,
    /// Optimizer steps taken.
    pub step: u64,
    /// Early stopping: the best epoch so far (0: none yet).
    pub best_epoch: usize,
    /// Early stopping: its validation metric.
    pub best_validation: f64,
    /// Early stopping: epochs since the best.
    pub bad_epochs: usize,
    /// The log of the completed epochs.
    pub log: Vec<EpochReport>,
}

/// The tensors of a checkpoint, in the optimizer's parameter order.
#[derive(Debug, Clone)]
pub struct State {
    /// The weights.
    pub params: Vec<Tensor>,
    /// AdamW's first moments.
    pub m: Vec<Tensor>,
    /// AdamW's second moments.
    pub v: Vec<Tensor>,
    /// The weights of the best epoch so far.
    pub best: Vec<Tensor>,
}

fn err(path: &Path, problem: impl ToString) -> TrainError {
    TrainError::Checkpoint {
        path: path.to_path_buf(),
        problem: problem.to_string(),
    }
}

/// Writes a checkpoint atomically (a crash mid-write keeps the previous one).
pub fn save(path: &Path, meta: &Meta, state: &State) -> Result<()> {
    let mut tensors: Vec<(String, &Tensor)> = Vec::new();
    for (prefix, ts) in [
        ("param", &state.params),
        ("adam_m", &state.m),
        ("adam_v", &state.v),
        ("best", &state.best),
    ] {
        for ((name, _), t) in meta.shapes.iter().zip(ts.iter()) {
            tensors.push((format!("{prefix}/{name}"), t));
        }
    }
    let json = serde_json::to_string(meta).map_err(|e| err(path, e))?;
    let bytes = safetensors::serialize(tensors, Some(HashMap::from([(META_KEY.into(), json)])))
        .map_err(|e| err(path, e))?;
    crate::io::atomic::write_atomic(path, &bytes)?;
    Ok(())
}

/// Reads a checkpoint.
pub fn load(path: &Path) -> Result<(Meta, State)> {
    let bytes = std::fs::read(path).map_err(|e| err(path, e))?;
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes)
        .map_err(|e| err(path, format!("not a safetensors file ({e})")))?;
    let json = header
        .metadata()
        .as_ref()
        .and_then(|m| m.get(META_KEY))
        .ok_or_else(|| err(path, "no brainbench metadata: not a training checkpoint"))?;
    let meta: Meta = serde_json::from_str(json).map_err(|e| err(path, e))?;
    let mut tensors =
        candle_core::safetensors::load_buffer(&bytes, &Device::Cpu).map_err(|e| err(path, e))?;
    let mut take = |prefix: &str| -> Result<Vec<Tensor>> {
        meta.shapes
            .iter()
            .map(|(name, _)| {
                tensors
                    .remove(&format!("{prefix}/{name}"))
                    .ok_or_else(|| err(path, format!("tensor `{prefix}/{name}` is missing")))
            })
            .collect()
    };
    let state = State {
        params: take("param")?,
        m: take("adam_m")?,
        v: take("adam_v")?,
        best: take("best")?,
    };
    Ok((meta, state))
}

/// Refuses a checkpoint of another reference, configuration, seed or parameter shapes, saying
/// what differs.
pub fn check_compatible(
    path: &Path,
    found: &Meta,
    reference: &str,
    fingerprint: &str,
    seed: u64,
    shapes: &[(String, Vec<usize>)],
) -> Result<()> {
    let refuse = |why: String| {
        Err(TrainError::IncompatibleCheckpoint {
            path: PathBuf::from(path),
            why,
        })
    };
    if found.reference != reference {
        return refuse(format!(
            "it belongs to `{}`, not `{reference}`",
            found.reference
        ));
    }
    if found.shapes != shapes {
        let diff = found
            .shapes
            .iter()
            .zip(shapes)
            .find(|(a, b)| a != b)
            .map(|((na, sa), (nb, sb))| {
                format!("its `{na}` is {sa:?} where this model has `{nb}` {sb:?}")
            })
            .unwrap_or_else(|| {
                format!(
                    "it has {} parameter tensors where this model has {}",
                    found.shapes.len(),
                    shapes.len()
                )
            });
        return refuse(format!("the parameter shapes differ: {diff}"));
    }
    if found.fingerprint != fingerprint {
        return refuse(format!(
            "it was trained with another configuration (fingerprint {} here {fingerprint}); \
             only --epochs may change on resume",
            found.fingerprint
        ));
    }
    if found.seed != seed {
        return refuse(format!(
            "it was trained with seed {}, this run has seed {seed}",
            found.seed
        ));
    }
    Ok(())
}

/// A short stable fingerprint (SHA-256, 16 hex digits) of a serialisable configuration.
pub fn fingerprint<T: Serialize>(cfg: &T) -> String {
    use sha2::{Digest, Sha256};
    let json = serde_json::to_string(cfg).expect("configurations serialise");
    let h = Sha256::digest(json.as_bytes());
    h.iter().take(8).map(|b| format!("{b:02x}")).collect()
}
