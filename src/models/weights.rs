//! Weights for the networks: `.safetensors` and PyTorch zip checkpoints (`.pth`, `.pt`, `.bin`)
//! in torchvision or timm naming, found by path or by bare name in `$BRAINBENCH_WEIGHTS`;
//! seeded random initialisation for `--random-init`; and, with the `hub` cargo feature, download
//! of timm checkpoints from the Hugging Face hub into its standard cache.
//!
//! Every tensor is checked against the architecture's [`ParamSpec`]s before a network is built,
//! so a missing or misshapen tensor is reported by name with the expected and found shapes.

use super::{Architecture, Init, ParamSpec};
use candle_core::{DType, Device, Tensor};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// An error finding, reading or checking weights.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// No file by that name.
    #[error("weights `{name}` not found (looked for {looked})\n  hint: {hint}")]
    NotFound {
        /// The name or path given.
        name: String,
        /// The paths tried, comma-separated.
        looked: String,
        /// How to fix it.
        hint: String,
    },
    /// The file cannot be read as safetensors or as a PyTorch checkpoint.
    #[error("{path}: cannot read weights: {problem}\n  hint: pass a .safetensors file or a PyTorch zip checkpoint (.pth) holding a state dict")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
    /// A tensor the network needs is absent.
    #[error("{path}: missing tensor `{tensor}` (expected shape {expected:?}) for {network}\n  hint: {hint}")]
    Missing {
        /// The file.
        path: PathBuf,
        /// The network.
        network: String,
        /// The tensor's torchvision name.
        tensor: String,
        /// Its expected shape.
        expected: Vec<usize>,
        /// How to fix it.
        hint: String,
    },
    /// A tensor has the wrong shape.
    #[error("{path}: tensor `{tensor}` has shape {found:?}, but {network} expects {expected:?}\n  hint: these weights belong to another network or variant")]
    Shape {
        /// The file.
        path: PathBuf,
        /// The network.
        network: String,
        /// The tensor's torchvision name.
        tensor: String,
        /// The expected shape.
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
    },
    /// A failure while converting tensors.
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
}

/// Result of this module.
pub type Result<T> = std::result::Result<T, WeightsError>;

/// Where a network's weights came from; recorded in reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A file.
    File {
        /// Its path.
        path: PathBuf,
        /// SHA-256 of its bytes.
        sha256: String,
    },
    /// torchvision's initialisation, drawn from `ChaCha8Rng` seeded with `seed`.
    RandomInit {
        /// The seed.
        seed: u64,
    },
}

impl Origin {
    /// A key that identifies the weights: the file's SHA-256, or `random-init-<seed>`.
    pub fn key(&self) -> String {
        match self {
            Origin::File { sha256, .. } => sha256.clone(),
            Origin::RandomInit { seed } => format!("random-init-{seed}"),
        }
    }

    /// The network's display name: `vgg16`, or `vgg16 (random init, seed 0)`.
    pub fn display_name(&self, arch: Architecture) -> String {
        match self {
            Origin::File { .. } => arch.name().to_string(),
            Origin::RandomInit { seed } => format!("{} (random init, seed {seed})", arch.name()),
        }
    }
}

/// A network's tensors in torchvision naming, checked against its architecture.
#[derive(Debug, Clone)]
pub struct Weights {
    /// The architecture they are for.
    pub arch: Architecture,
    /// The tensors, by torchvision name.
    pub tensors: HashMap<String, Tensor>,
    /// Where they came from.
    pub origin: Origin,
}

impl Weights {
    /// A `VarBuilder` over the tensors (float32, CPU) for `Network::new`.
    pub fn var_builder(&self) -> candle_nn::VarBuilder<'static> {
        candle_nn::VarBuilder::from_tensors(self.tensors.clone(), DType::F32, &Device::Cpu)
    }

    /// Reads `path` (safetensors or PyTorch zip checkpoint), maps timm names onto torchvision's,
    /// and checks every tensor of `arch` up to layer index `deepest` (all convolutions and batch
    /// norms always; the classifier only when a requested layer needs it).
    pub fn from_file(arch: Architecture, path: &Path, deepest: usize) -> Result<Self> {
        let raw = read_tensors(path)?;
        let tensors = to_torchvision_names(arch, raw)?;
        check(arch, &tensors, path, deepest)?;
        let sha256 = crate::io::hash::sha256_file(path).map_err(|e| WeightsError::Read {
            path: path.to_path_buf(),
            problem: e.to_string(),
        })?;
        Ok(Weights {
            arch,
            tensors,
            origin: Origin::File {
                path: path.to_path_buf(),
                sha256,
            },
        })
    }

    /// Every parameter of `arch` drawn as torchvision initialises it, from `ChaCha8Rng` seeded
    /// with `seed` (candle's CPU device cannot be seeded), in the order of
    /// [`Architecture::parameters`].
    pub fn random(arch: Architecture, seed: u64) -> Result<Self> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut tensors = HashMap::new();
        for p in arch.parameters() {
            let n: usize = p.shape.iter().product();
            let data: Vec<f32> = match p.init {
                Init::Const(c) => vec![c as f32; n],
                Init::Uniform(b) => (0..n)
                    .map(|_| ((rng.random::<f64>() * 2.0 - 1.0) * b) as f32)
                    .collect(),
                Init::Normal(s) => (0..n).map(|_| (normal(&mut rng) * s) as f32).collect(),
            };
            tensors.insert(
                p.name.clone(),
                Tensor::from_vec(data, p.shape.as_slice(), &Device::Cpu)?,
            );
        }
        Ok(Weights {
            arch,
            tensors,
            origin: Origin::RandomInit { seed },
        })
    }
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Finds a weights file: `hf:<repo>` (or `hf:` alone for [`hub_repo`]) downloads from the
/// Hugging Face hub (only with the `hub` cargo feature); an existing path is used as given;
/// else the name is looked up in `$BRAINBENCH_WEIGHTS` (also with `.safetensors` appended).
pub fn resolve(name: &str, arch: Architecture) -> Result<PathBuf> {
    if let Some(repo) = name.strip_prefix("hf:") {
        let repo = match (repo, hub_repo(arch)) {
            ("", Some(r)) => r,
            ("", None) => {
                return Err(WeightsError::NotFound {
                    name: name.to_string(),
                    looked: "the Hugging Face hub".into(),
                    hint: format!(
                        "timm has no {} weights; give a repository, hf:<owner>/<name>",
                        arch.name()
                    ),
                })
            }
            (r, _) => r,
        };
        return from_hub(repo);
    }
    let direct = PathBuf::from(name);
    if direct.is_file() {
        return Ok(direct);
    }
    let mut looked = vec![direct];
    let dir = std::env::var_os("BRAINBENCH_WEIGHTS").map(PathBuf::from);
    if let Some(dir) = &dir {
        for cand in [dir.join(name), dir.join(format!("{name}.safetensors"))] {
            if cand.is_file() {
                return Ok(cand);
            }
            looked.push(cand);
        }
    }
    Err(WeightsError::NotFound {
        name: name.to_string(),
        looked: looked
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        hint: if dir.is_some() {
            "give a path to a .safetensors or .pth file, or a file name in $BRAINBENCH_WEIGHTS"
                .into()
        } else {
            "give a path, or set BRAINBENCH_WEIGHTS to the folder holding the weights".into()
        },
    })
}

/// Reads every tensor of a `.safetensors` file or a PyTorch zip checkpoint (a state dict, or a
/// dict holding one under `state_dict` or `model`), by the name stored in the file.
pub fn read_tensors(path: &Path) -> Result<HashMap<String, Tensor>> {
    let read_err = |e: candle_core::Error| WeightsError::Read {
        path: path.to_path_buf(),
        problem: e.to_string(),
    };
    let mut head = [0u8; 4];
    {
        use std::io::Read;
        let mut f = std::fs::File::open(path).map_err(|e| WeightsError::Read {
            path: path.to_path_buf(),
            problem: e.to_string(),
        })?;
        let _ = f.read(&mut head).map_err(|e| WeightsError::Read {
            path: path.to_path_buf(),
            problem: e.to_string(),
        })?;
    }
    if head == *b"PK\x03\x04" {
        for key in [None, Some("state_dict"), Some("model")] {
            // candle-core 0.11's pickle reader panics on some malformed pickles (`Vec::remove`
            // out of range in `rebuild_args`, found by fuzzing): contain it as a read error.
            let v = crate::contain::catch(|| candle_core::pickle::read_all_with_key(path, key))
                .map_err(|panic| WeightsError::Read {
                    path: path.to_path_buf(),
                    problem: format!(
                        "expected a PyTorch checkpoint whose pickle (data.pkl) is well formed, found one that candle's pickle reader fails on ({panic})"
                    ),
                })?
                .map_err(read_err)?;
            if !v.is_empty() {
                return Ok(v.into_iter().collect());
            }
        }
        return Err(WeightsError::Read {
            path: path.to_path_buf(),
            problem: "the checkpoint holds no tensors (nor a `state_dict` or `model` entry)".into(),
        });
    }
    candle_core::safetensors::load(path, &Device::Cpu).map_err(read_err)
}

/// Maps a state dict onto torchvision names: strips a `module.` prefix (DataParallel) and, for
/// VGG, renames timm's convolutional head (`pre_logits.fc1`, `pre_logits.fc2`, `head.fc`) to
/// `classifier.0`, `classifier.3`, `classifier.6`, flattening its weights to linear layers (in
/// C·H·W order, torch's flatten order). Float tensors are converted to float32; integer
/// bookkeeping tensors (`num_batches_tracked`) are dropped.
pub fn to_torchvision_names(
    arch: Architecture,
    raw: HashMap<String, Tensor>,
) -> Result<HashMap<String, Tensor>> {
    let mut out = HashMap::with_capacity(raw.len());
    for (name, t) in raw {
        if !t.dtype().is_float() {
            continue;
        }
        let name = name.strip_prefix("module.").unwrap_or(&name).to_string();
        let (name, t) = match (arch, name.as_str()) {
            (Architecture::Vgg16, n) if n.starts_with("pre_logits.fc1.") => (
                n.replace("pre_logits.fc1.", "classifier.0."),
                flatten_conv(t)?,
            ),
            (Architecture::Vgg16, n) if n.starts_with("pre_logits.fc2.") => (
                n.replace("pre_logits.fc2.", "classifier.3."),
                flatten_conv(t)?,
            ),
            (Architecture::Vgg16, n) if n.starts_with("head.fc.") => {
                (n.replace("head.fc.", "classifier.6."), flatten_conv(t)?)
            }
            _ => (name, t),
        };
        out.insert(name, t.to_dtype(DType::F32)?);
    }
    Ok(out)
}

/// A convolution weight (out, in, kh, kw) as a linear weight (out, in·kh·kw); other tensors as
/// they are.
fn flatten_conv(t: Tensor) -> Result<Tensor> {
    Ok(if t.rank() == 4 { t.flatten_from(1)? } else { t })
}

/// Checks the tensors against `arch`'s parameters: every present one must have its shape;
/// the convolutions and batch norms must be present, and so must the classifier's tensors that
/// layers up to index `deepest` need.
pub fn check(
    arch: Architecture,
    tensors: &HashMap<String, Tensor>,
    path: &Path,
    deepest: usize,
) -> Result<()> {
    let names = arch.layer_names();
    let avgpool = names.iter().position(|n| n == "avgpool").unwrap_or(0);
    for ParamSpec {
        name,
        shape,
        first_layer,
        ..
    } in arch.parameters()
    {
        match tensors.get(&name) {
            Some(t) if t.dims() != shape.as_slice() => {
                return Err(WeightsError::Shape {
                    path: path.to_path_buf(),
                    network: arch.name().to_string(),
                    tensor: name,
                    expected: shape,
                    found: t.dims().to_vec(),
                })
            }
            Some(_) => {}
            None if first_layer < avgpool || first_layer <= deepest => {
                let hint = if first_layer < avgpool {
                    format!(
                        "the file must hold a {} state dict in torchvision or timm naming",
                        arch.name()
                    )
                } else {
                    format!(
                        "the file has no classifier: layers up to `avgpool` work with it; `{}` needs \
                         weights that include the classifier",
                        names[deepest]
                    )
                };
                return Err(WeightsError::Missing {
                    path: path.to_path_buf(),
                    network: arch.name().to_string(),
                    tensor: name,
                    expected: shape,
                    hint,
                });
            }
            None => {}
        }
    }
    Ok(())
}

/// The timm repository on the Hugging Face hub with torchvision's ImageNet weights for `arch`
/// (`None` for AlexNet, which timm does not carry).
pub fn hub_repo(arch: Architecture) -> Option<&'static str> {
    match arch {
        Architecture::AlexNet => None,
        Architecture::Vgg16 => Some("timm/vgg16.tv_in1k"),
        Architecture::ResNet18 => Some("timm/resnet18.tv_in1k"),
        Architecture::ResNet50 => Some("timm/resnet50.tv_in1k"),
    }
}

/// Downloads `model.safetensors` of `repo` from the Hugging Face hub into its standard cache
/// (`$HF_HOME`, else `~/.cache/huggingface`) and returns its path; a cached copy is reused.
#[cfg(feature = "hub")]
fn from_hub(repo: &str) -> Result<PathBuf> {
    let fail = |problem: String| WeightsError::NotFound {
        name: format!("hf:{repo}"),
        looked: "the Hugging Face hub".into(),
        hint: format!("the download failed ({problem}); check the network or pass a local file"),
    };
    let api = hf_hub::api::sync::Api::new().map_err(|e| fail(e.to_string()))?;
    api.model(repo.to_string())
        .get("model.safetensors")
        .map_err(|e| fail(e.to_string()))
}

/// Without the `hub` feature: an error saying how to enable it.
#[cfg(not(feature = "hub"))]
fn from_hub(repo: &str) -> Result<PathBuf> {
    Err(WeightsError::NotFound {
        name: format!("hf:{repo}"),
        looked: "the Hugging Face hub".into(),
        hint: "this build cannot download: rebuild with `cargo build --release --features hub`, \
               or download model.safetensors yourself and pass its path"
            .into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_init_is_seeded_and_has_every_parameter() {
        let a = Weights::random(Architecture::AlexNet, 3).unwrap();
        let b = Weights::random(Architecture::AlexNet, 3).unwrap();
        let c = Weights::random(Architecture::AlexNet, 4).unwrap();
        let w = |w: &Weights| -> Vec<f32> {
            w.tensors["features.0.weight"]
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap()
        };
        assert_eq!(w(&a), w(&b));
        assert_ne!(w(&a), w(&c));
        assert_eq!(a.tensors.len(), Architecture::AlexNet.parameters().len());
        assert!(a
            .origin
            .display_name(Architecture::AlexNet)
            .contains("random init"));
        // PyTorch's default bound 1/sqrt(fan_in) for AlexNet's first convolution.
        let bound = 1.0 / (3.0f32 * 121.0).sqrt();
        assert!(w(&a).iter().all(|v| v.abs() <= bound));
    }

    #[test]
    fn timm_vgg_head_is_renamed_and_flattened() {
        let mut raw = HashMap::new();
        raw.insert(
            "pre_logits.fc1.weight".to_string(),
            Tensor::zeros((4096, 512, 7, 7), DType::F32, &Device::Cpu).unwrap(),
        );
        raw.insert(
            "head.fc.bias".to_string(),
            Tensor::zeros(1000, DType::F16, &Device::Cpu).unwrap(),
        );
        let t = to_torchvision_names(Architecture::Vgg16, raw).unwrap();
        assert_eq!(t["classifier.0.weight"].dims(), &[4096, 25088]);
        assert_eq!(t["classifier.6.bias"].dtype(), DType::F32);
    }

    #[test]
    fn missing_and_misshapen_tensors_are_named_with_shapes() {
        let w = Weights::random(Architecture::ResNet18, 0).unwrap();
        let mut t = w.tensors.clone();
        t.remove("layer2.0.downsample.1.running_var");
        let e = check(Architecture::ResNet18, &t, Path::new("x.pth"), 0)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("layer2.0.downsample.1.running_var") && e.contains("[128]"),
            "{e}"
        );
        let mut t = w.tensors.clone();
        t.insert(
            "conv1.weight".into(),
            Tensor::zeros((64, 3, 3, 3), DType::F32, &Device::Cpu).unwrap(),
        );
        let e = check(Architecture::ResNet18, &t, Path::new("x.pth"), 0)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("conv1.weight")
                && e.contains("[64, 3, 3, 3]")
                && e.contains("[64, 3, 7, 7]"),
            "{e}"
        );
        // Without fc: fine for `layer4`, an error naming fc.weight for `fc`.
        let mut t = w.tensors.clone();
        t.remove("fc.weight");
        let names = Architecture::ResNet18.layer_names();
        let at = |n: &str| names.iter().position(|x| x == n).unwrap();
        assert!(check(Architecture::ResNet18, &t, Path::new("x"), at("layer4")).is_ok());
        let e = check(Architecture::ResNet18, &t, Path::new("x"), at("fc"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("fc.weight"), "{e}");
    }
}
