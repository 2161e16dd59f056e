//! Trained reference submissions' configurations: `reference/<name>.toml`, embedded into the
//! binary like `benchmarks/` so `bench train` works from any directory, parsed into a checked
//! [`ReferenceConfig`]. A test checks that every embedded file parses and names real layers and
//! benchmarks.

use crate::benchmark::spec::{BenchmarkSpec, Kind};
use crate::models::Architecture;
use crate::train::engine::LoopConfig;
use crate::train::scratch::ScratchConfig;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The reference files, embedded at compile time (the files in `reference/` are the source of
/// truth).
pub const REFERENCES: &[(&str, &str)] = &[
    (
        "ridge-resnet50",
        include_str!("../../reference/ridge-resnet50.toml"),
    ),
    (
        "ridge-vgg16",
        include_str!("../../reference/ridge-vgg16.toml"),
    ),
    (
        "devkit-alexnet",
        include_str!("../../reference/devkit-alexnet.toml"),
    ),
    (
        "layer-rdm-alexnet",
        include_str!("../../reference/layer-rdm-alexnet.toml"),
    ),
    (
        "layer-rdm-vgg16",
        include_str!("../../reference/layer-rdm-vgg16.toml"),
    ),
    (
        "layer-rdm-resnet50",
        include_str!("../../reference/layer-rdm-resnet50.toml"),
    ),
    (
        "siamese-vgg16",
        include_str!("../../reference/siamese-vgg16.toml"),
    ),
    (
        "cnn-scratch",
        include_str!("../../reference/cnn-scratch.toml"),
    ),
];

/// Errors finding or reading a reference configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No reference of that name.
    #[error("unknown reference '{name}'\n  hint: choose one of: {known}")]
    Unknown {
        /// The name asked for.
        name: String,
        /// The references that exist, comma-separated.
        known: String,
    },
    /// The embedded file does not parse or is inconsistent (our fault).
    #[error("reference/{name}.toml: {problem}")]
    Invalid {
        /// The reference.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// A layer the network does not have (from the command line or the file).
    #[error("{network} has no layer '{layer}'\n  hint: valid layers: {valid}")]
    UnknownLayer {
        /// The network.
        network: String,
        /// The layer asked for.
        layer: String,
        /// The valid layers, comma-separated.
        valid: String,
    },
    /// The reference does not serve this benchmark.
    #[error("reference '{name}' cannot serve benchmark '{benchmark}' (a {kind} benchmark): it is a {method} reference for {serves}\n  hint: {hint}")]
    WrongBenchmark {
        /// The reference.
        name: String,
        /// The benchmark asked for.
        benchmark: String,
        /// The benchmark's kind.
        kind: Kind,
        /// The reference's method.
        method: &'static str,
        /// The benchmarks it serves, comma-separated.
        serves: String,
        /// What to do instead.
        hint: String,
    },
}

impl ConfigError {
    /// The exit status this error maps to.
    pub fn exit_status(&self) -> crate::ExitStatus {
        match self {
            ConfigError::Invalid { .. } => crate::ExitStatus::Internal,
            _ => crate::ExitStatus::InvalidInput,
        }
    }
}

/// What to do when the configured weights are not found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IfWeightsMissing {
    /// Refuse, saying where they were looked for and how to get them.
    #[default]
    Error,
    /// Use torchvision's initialisation from the reference's seed; the model name then says
    /// "random init".
    RandomInit,
}

/// The `[network]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// The architecture.
    pub architecture: Architecture,
    /// A weights file name in `$BRAINBENCH_WEIGHTS`, or a path.
    pub weights: String,
    /// What to do when they are not found.
    #[serde(default)]
    pub if_weights_missing: IfWeightsMissing,
    /// The layers read out, by torchvision module path.
    pub layers: Vec<String>,
    /// The layers to use instead when the weights hold the classifier too.
    #[serde(default)]
    pub layers_with_classifier: Option<Vec<String>>,
    /// The input side in pixels (`Resize(side·256/224)`, `CenterCrop(side)`).
    pub input_size: usize,
    /// Per-benchmark input sides overriding `input_size`.
    #[serde(default)]
    pub input_size_for: BTreeMap<String, usize>,
    /// Images per forward pass.
    pub batch_size: usize,
}

impl NetworkConfig {
    /// The input side for `benchmark`.
    pub fn input_size(&self, benchmark: &str) -> usize {
        self.input_size_for
            .get(benchmark)
            .copied()
            .unwrap_or(self.input_size)
    }
}

/// A grid of `num` values `10^start ..= 10^stop`, evenly spaced in the exponent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Log10Grid {
    /// First exponent.
    pub start: f64,
    /// Last exponent.
    pub stop: f64,
    /// Number of values.
    pub num: usize,
}

/// How a reference turns features into predictions: the `[method]` table, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum MethodConfig {
    /// Encoding: per layer PCA fitted on the training images, the layers' components
    /// concatenated and standardised, one ridge regression per vertex with its regularisation
    /// chosen by k-fold cross-validation.
    Ridge {
        /// Principal components kept per layer.
        components: usize,
        /// Cross-validation folds.
        folds: usize,
        /// Candidate regularisation strengths.
        log10_alphas: Log10Grid,
    },
    /// Encoding: the Algonauts 2023 devkit's baseline — the layers concatenated,
    /// StandardScaler and PCA fitted on the training images, one least-squares regression per
    /// vertex.
    Devkit {
        /// Principal components kept.
        components: usize,
    },
    /// RSA: one layer's RDM per target, the layer chosen on the training image sets.
    LayerRdm,
    /// RSA: the pretrained network fine-tuned so that `1 − Pearson` of a layer's features
    /// matches the training RDMs ([`crate::train::siamese`]); `[network]`'s layers are the
    /// candidates, one chosen per ROI on held-out training pairs.
    Siamese {
        /// The last fixed layer on the CPU; its activations are computed once.
        frozen_through: String,
        /// The last fixed layer on a GPU, which fine-tunes more of the network (default: as on
        /// the CPU).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        frozen_through_gpu: Option<String>,
        /// Fraction of each training set's images held out for validation.
        validation_fraction: f64,
        /// The training loop (`[method.train]`).
        train: LoopConfig,
    },
    /// Encoding and RSA: a small CNN trained from random initialisation
    /// ([`crate::train::scratch`]); it has no `[network]`.
    Scratch(ScratchConfig),
}

impl MethodConfig {
    /// The method's name as written in the file.
    pub fn name(&self) -> &'static str {
        match self {
            MethodConfig::Ridge { .. } => "ridge",
            MethodConfig::Devkit { .. } => "devkit",
            MethodConfig::LayerRdm => "layer-rdm",
            MethodConfig::Siamese { .. } => "siamese",
            MethodConfig::Scratch(_) => "scratch",
        }
    }

    /// The benchmark kinds it predicts for.
    pub fn kinds(&self) -> &'static [Kind] {
        match self {
            MethodConfig::Ridge { .. } | MethodConfig::Devkit { .. } => &[Kind::Encoding],
            MethodConfig::LayerRdm | MethodConfig::Siamese { .. } => &[Kind::Rsa],
            MethodConfig::Scratch(_) => &[Kind::Encoding, Kind::Rsa],
        }
    }

    /// Whether it predicts for benchmarks of `kind`.
    pub fn serves(&self, kind: Kind) -> bool {
        self.kinds().contains(&kind)
    }

    /// Its kinds as prose: "encoding", "RSA", "encoding and RSA".
    fn kinds_text(&self) -> String {
        let k: Vec<String> = self.kinds().iter().map(|k| k.to_string()).collect();
        k.join(" and ")
    }

    /// Whether it trains network weights (epochs, checkpoints, a training log).
    pub fn is_learned(&self) -> bool {
        matches!(
            self,
            MethodConfig::Siamese { .. } | MethodConfig::Scratch(_)
        )
    }

    /// Its training loop, for the methods that train weights.
    pub fn loop_config(&self) -> Option<&LoopConfig> {
        match self {
            MethodConfig::Siamese { train, .. } => Some(train),
            MethodConfig::Scratch(c) => Some(&c.train),
            _ => None,
        }
    }

    /// Its training loop, to override from the command line.
    pub fn loop_config_mut(&mut self) -> Option<&mut LoopConfig> {
        match self {
            MethodConfig::Siamese { train, .. } => Some(train),
            MethodConfig::Scratch(c) => Some(&mut c.train),
            _ => None,
        }
    }
}

/// `reference/<name>.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceConfig {
    /// The reference's name (the file's stem).
    pub name: String,
    /// The model name on the board (the network's weights are added to it).
    pub model: String,
    /// What it is, in a sentence or two.
    pub description: String,
    /// The benchmarks `bench train --all` trains it for, where their data is present.
    pub benchmarks: Vec<String>,
    /// The seed (random initialisation, cross-validation folds, batch order, dropout).
    pub seed: u64,
    /// The pretrained network; absent for a network trained from scratch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkConfig>,
    /// The read-out.
    pub method: MethodConfig,
}

impl ReferenceConfig {
    /// The embedded reference called `name`.
    pub fn built_in(name: &str) -> Result<Self, ConfigError> {
        let (_, text) =
            REFERENCES
                .iter()
                .find(|(n, _)| *n == name)
                .ok_or_else(|| ConfigError::Unknown {
                    name: name.to_string(),
                    known: names().join(", "),
                })?;
        Self::parse(name, text)
    }

    /// Every embedded reference, in [`REFERENCES`] order.
    pub fn all() -> Result<Vec<Self>, ConfigError> {
        REFERENCES
            .iter()
            .map(|(name, text)| Self::parse(name, text))
            .collect()
    }

    /// Parses and checks a configuration named `name`.
    pub fn parse(name: &str, text: &str) -> Result<Self, ConfigError> {
        let invalid = |problem: String| ConfigError::Invalid {
            name: name.to_string(),
            problem,
        };
        let cfg: ReferenceConfig = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if cfg.name != name {
            return Err(invalid(format!(
                "name = '{}' differs from the file name",
                cfg.name
            )));
        }
        match (&cfg.network, &cfg.method) {
            (Some(_), MethodConfig::Scratch(_)) => {
                return Err(invalid(
                    "a scratch reference trains its own network: remove [network]".into(),
                ));
            }
            (None, MethodConfig::Scratch(_)) => {}
            (None, m) => {
                return Err(invalid(format!(
                    "a {} reference needs a [network] table",
                    m.name()
                )));
            }
            (Some(net), m) => {
                for layers in std::iter::once(&net.layers).chain(&net.layers_with_classifier) {
                    check_layers(net.architecture, layers)?;
                }
                if net.batch_size == 0 {
                    return Err(invalid("batch_size must be at least 1".into()));
                }
                if let MethodConfig::Siamese {
                    frozen_through,
                    frozen_through_gpu,
                    ..
                } = m
                {
                    if net.architecture != Architecture::Vgg16 {
                        return Err(invalid("the siamese method fine-tunes VGG-16 only".into()));
                    }
                    let frozen: Vec<String> = std::iter::once(frozen_through)
                        .chain(frozen_through_gpu)
                        .cloned()
                        .collect();
                    check_layers(net.architecture, &frozen)?;
                }
            }
        }
        for b in &cfg.benchmarks {
            let spec = BenchmarkSpec::built_in(b).map_err(|e| invalid(e.to_string()))?;
            if !cfg.method.serves(spec.kind()) {
                return Err(invalid(format!(
                    "benchmark '{b}' is a {} benchmark; a {} reference predicts for {} ones",
                    spec.kind(),
                    cfg.method.name(),
                    cfg.method.kinds_text()
                )));
            }
        }
        if let Some(l) = cfg.method.loop_config() {
            l.validate().map_err(|e| invalid(e.to_string()))?;
        }
        match &cfg.method {
            MethodConfig::Ridge {
                components,
                folds,
                log10_alphas,
            } if *components == 0 || *folds < 2 || log10_alphas.num == 0 => {
                return Err(invalid(
                    "ridge needs components ≥ 1, folds ≥ 2 and at least one alpha".into(),
                ));
            }
            MethodConfig::Devkit { components } if *components == 0 => {
                return Err(invalid("devkit needs components ≥ 1".into()));
            }
            _ => {}
        }
        Ok(cfg)
    }

    /// Checks that this reference can serve `spec`.
    pub fn check_serves(&self, spec: &BenchmarkSpec) -> Result<(), ConfigError> {
        if self.method.serves(spec.kind()) {
            return Ok(());
        }
        let others: Vec<String> = REFERENCES
            .iter()
            .filter_map(|(n, t)| Self::parse(n, t).ok())
            .filter(|r| r.method.serves(spec.kind()))
            .map(|r| r.name)
            .collect();
        Err(ConfigError::WrongBenchmark {
            name: self.name.clone(),
            benchmark: spec.name.clone(),
            kind: spec.kind(),
            method: self.method.name(),
            serves: format!(
                "{} benchmarks ({})",
                self.method.kinds_text(),
                self.benchmarks.join(", ")
            ),
            hint: format!(
                "references for {} benchmarks: {}",
                spec.kind(),
                others.join(", ")
            ),
        })
    }

    /// The pretrained network. [`ReferenceConfig::parse`] guarantees one for every method but
    /// `scratch`, which never asks.
    pub fn network(&self) -> &NetworkConfig {
        self.network
            .as_ref()
            .expect("parse refuses a pretrained-network method without [network]")
    }

    /// The alphas of a ridge reference.
    pub fn alphas(grid: &Log10Grid) -> Vec<f64> {
        crate::fit::ridge::logspace(grid.start, grid.stop, grid.num)
    }
}

/// The names of every embedded reference.
pub fn names() -> Vec<&'static str> {
    REFERENCES.iter().map(|(n, _)| *n).collect()
}

/// Checks that every layer exists in `arch`.
pub fn check_layers(arch: Architecture, layers: &[String]) -> Result<(), ConfigError> {
    let valid = arch.layer_names();
    match layers.iter().find(|l| !valid.contains(l)) {
        None => Ok(()),
        Some(layer) => Err(ConfigError::UnknownLayer {
            network: arch.name().to_string(),
            layer: layer.clone(),
            valid: valid.join(", "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_reference_parses_and_serves_its_benchmarks() {
        let all = ReferenceConfig::all().unwrap();
        assert_eq!(all.len(), REFERENCES.len());
        for cfg in &all {
            for b in &cfg.benchmarks {
                cfg.check_serves(&BenchmarkSpec::built_in(b).unwrap())
                    .unwrap();
            }
        }
    }

    #[test]
    fn an_unknown_reference_lists_the_known_ones() {
        let err = ReferenceConfig::built_in("ridge-magic").unwrap_err();
        assert!(err.to_string().contains("ridge-vgg16"), "{err}");
        assert_eq!(err.exit_status(), crate::ExitStatus::InvalidInput);
    }

    #[test]
    fn a_wrong_layer_lists_the_valid_ones() {
        let text = REFERENCES[1].1.replace("features.9", "features.99");
        let err = ReferenceConfig::parse("ridge-vgg16", &text).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("features.99") && msg.contains("features.30"),
            "{msg}"
        );
    }

    #[test]
    fn a_reference_refuses_a_benchmark_of_the_other_kind() {
        let cfg = ReferenceConfig::built_in("layer-rdm-alexnet").unwrap();
        let spec = BenchmarkSpec::built_in("synthetic-cortex").unwrap();
        let msg = cfg.check_serves(&spec).unwrap_err().to_string();
        assert!(
            msg.contains("ridge-vgg16") && msg.contains("encoding"),
            "{msg}"
        );
    }

    #[test]
    fn a_trained_method_needs_the_right_network_table_and_a_sane_loop() {
        let text = |name: &str| REFERENCES.iter().find(|(n, _)| *n == name).unwrap().1;
        let scratch = text("cnn-scratch");
        let with_net = format!(
            "{scratch}\n[network]\narchitecture = \"vgg16\"\nweights = \"w\"\nlayers = [\"features.4\"]\ninput_size = 64\nbatch_size = 8\n"
        );
        let msg = ReferenceConfig::parse("cnn-scratch", &with_net)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("remove [network]"), "{msg}");
        let siamese = text("siamese-vgg16");
        let start = siamese.find("[network]").unwrap();
        let end = siamese.find("[method]").unwrap();
        let without_net = format!("{}{}", &siamese[..start], &siamese[end..]);
        let msg = ReferenceConfig::parse("siamese-vgg16", &without_net)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("needs a [network] table"), "{msg}");
        let zero_epochs = scratch.replace("epochs = 10", "epochs = 0");
        let msg = ReferenceConfig::parse("cnn-scratch", &zero_epochs)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("epochs must be at least 1"), "{msg}");
        let cfg = ReferenceConfig::built_in("cnn-scratch").unwrap();
        assert!(cfg.method.serves(Kind::Encoding) && cfg.method.serves(Kind::Rsa));
        assert!(cfg.method.is_learned());
    }
}
