//! VGG without batch norm as torchvision builds it: K. Simonyan, A. Zisserman, "Very Deep
//! Convolutional Networks for Large-Scale Image Recognition", ICLR 2015
//! (<https://arxiv.org/abs/1409.1556>).
//!
//! Layers (torchvision module paths) for VGG-16 (configuration "D"): `features.0` … `features.30`
//! (each 3x3 convolution followed by its ReLU; max-pools 2/2 at `features.4`, `.9`, `.16`, `.23`,
//! `.30`), `avgpool` (adaptive, 7x7), `classifier.0` linear 25088→4096 · `.1` ReLU · `.2` dropout
//! · `.3` linear 4096→4096 · `.4` ReLU · `.5` dropout · `.6` linear 4096→1000.
//!
//! timm's `vgg16.tv_in1k` stores the classifier as convolutions (`pre_logits.fc1`, `fc2`,
//! `head.fc`); `crate::models::weights` maps them onto these names.

use super::layers::{plain_layer_names, plain_ops, plain_params, Def, PlainNet, SpatialOp};
use super::ParamSpec;
use candle_core::Tensor;
use candle_nn::VarBuilder;

/// A VGG configuration: output channels of each 3x3 convolution, `None` for a max-pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The `features` stack.
    pub stages: Vec<Option<usize>>,
}

impl Config {
    /// VGG-16 (configuration "D" of the paper).
    pub fn vgg16() -> Self {
        let c = |n: usize| Some(n);
        Config {
            stages: vec![
                c(64),
                c(64),
                None,
                c(128),
                c(128),
                None,
                c(256),
                c(256),
                c(256),
                None,
                c(512),
                c(512),
                c(512),
                None,
                c(512),
                c(512),
                c(512),
                None,
            ],
        }
    }

    fn features(&self) -> Vec<Def> {
        let mut v = Vec::new();
        let mut cin = 3;
        for s in &self.stages {
            match *s {
                Some(cout) => {
                    v.push(Def::Conv(cin, cout, 3, 1, 1));
                    v.push(Def::Relu);
                    cin = cout;
                }
                None => v.push(Def::MaxPool(2, 2)),
            }
        }
        v
    }

    fn last_channels(&self) -> usize {
        self.stages.iter().rev().find_map(|s| *s).unwrap_or(3)
    }

    fn classifier(&self) -> Vec<Def> {
        vec![
            Def::Linear(self.last_channels() * 7 * 7, 4096),
            Def::Relu,
            Def::Dropout,
            Def::Linear(4096, 4096),
            Def::Relu,
            Def::Dropout,
            Def::Linear(4096, 1000),
        ]
    }
}

/// The exposed layers, in forward order.
pub fn layer_names(cfg: &Config) -> Vec<String> {
    plain_layer_names(&cfg.features(), &cfg.classifier())
}

/// Every parameter, with torchvision's VGG initialisation (convolutions Kaiming-normal with
/// fan-out, linear layers normal with std 0.01, biases 0).
pub fn parameters(cfg: &Config) -> Vec<ParamSpec> {
    plain_params(&cfg.features(), &cfg.classifier(), true)
}

pub(crate) fn stack_ops(cfg: &Config) -> Vec<SpatialOp> {
    plain_ops(&cfg.features())
}

/// A built VGG.
#[derive(Debug, Clone)]
pub struct Vgg {
    net: PlainNet,
}

impl Vgg {
    /// Builds the network from tensors in torchvision naming. The convolutions are required;
    /// the classifier is optional (its layers fail with a clear error when absent).
    pub fn new(cfg: &Config, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(Vgg {
            net: PlainNet::new("vgg16", &cfg.features(), (7, 7), &cfg.classifier(), &vb)?,
        })
    }

    /// Runs the network on a normalised batch (batch, 3, side, side) and returns the layers
    /// with the given indices into [`layer_names`], in that order.
    pub fn forward_layers(&self, x: &Tensor, wanted: &[usize]) -> super::Result<Vec<Tensor>> {
        self.net.forward_layers(x, wanted)
    }
}
