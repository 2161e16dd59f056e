//! AlexNet as torchvision builds it: A. Krizhevsky, I. Sutskever, G. E. Hinton, "ImageNet
//! Classification with Deep Convolutional Neural Networks", NeurIPS 2012
//! (<https://papers.nips.cc/paper/4824-imagenet-classification-with-deep-convolutional-neural-networks>),
//! in the single-tower form of "One weird trick for parallelizing convolutional neural networks"
//! (<https://arxiv.org/abs/1404.5997>) that torchvision's pretrained weights use.
//!
//! Layers (torchvision module paths): `features.0` conv 11x11/4 (3→64) · `features.1` ReLU ·
//! `features.2` max-pool 3/2 · `features.3` conv 5x5 (64→192) · `.4` ReLU · `.5` max-pool ·
//! `.6` conv 3x3 (192→384) · `.7` ReLU · `.8` conv (384→256) · `.9` ReLU · `.10` conv (256→256) ·
//! `.11` ReLU · `.12` max-pool · `avgpool` (adaptive, 6x6) · `classifier.0` dropout ·
//! `classifier.1` linear 9216→4096 · `.2` ReLU · `.3` dropout · `.4` linear 4096→4096 · `.5` ReLU
//! · `.6` linear 4096→1000.

use super::layers::{plain_layer_names, plain_ops, plain_params, Def, PlainNet, SpatialOp};
use super::ParamSpec;
use candle_core::Tensor;
use candle_nn::VarBuilder;

/// AlexNet has no variants; the configuration is empty.
#[derive(Debug, Clone, Copy, Default)]
pub struct Config;

const FEATURES: [Def; 13] = [
    Def::Conv(3, 64, 11, 4, 2),
    Def::Relu,
    Def::MaxPool(3, 2),
    Def::Conv(64, 192, 5, 1, 2),
    Def::Relu,
    Def::MaxPool(3, 2),
    Def::Conv(192, 384, 3, 1, 1),
    Def::Relu,
    Def::Conv(384, 256, 3, 1, 1),
    Def::Relu,
    Def::Conv(256, 256, 3, 1, 1),
    Def::Relu,
    Def::MaxPool(3, 2),
];

const CLASSIFIER: [Def; 7] = [
    Def::Dropout,
    Def::Linear(256 * 6 * 6, 4096),
    Def::Relu,
    Def::Dropout,
    Def::Linear(4096, 4096),
    Def::Relu,
    Def::Linear(4096, 1000),
];

/// The exposed layers, in forward order.
pub fn layer_names() -> Vec<String> {
    plain_layer_names(&FEATURES, &CLASSIFIER)
}

/// Every parameter, with PyTorch's default initialisation (torchvision's AlexNet keeps it).
pub fn parameters() -> Vec<ParamSpec> {
    plain_params(&FEATURES, &CLASSIFIER, false)
}

pub(crate) fn stack_ops() -> Vec<SpatialOp> {
    plain_ops(&FEATURES)
}

/// A built AlexNet.
#[derive(Debug, Clone)]
pub struct AlexNet {
    net: PlainNet,
}

impl AlexNet {
    /// Builds AlexNet from tensors in torchvision naming. The convolutions are required; the
    /// classifier is optional (its layers fail with a clear error when absent).
    pub fn new(_cfg: &Config, vb: VarBuilder) -> candle_core::Result<Self> {
        Ok(AlexNet {
            net: PlainNet::new("alexnet", &FEATURES, (6, 6), &CLASSIFIER, &vb)?,
        })
    }

    /// Runs the network on a normalised batch (batch, 3, side, side) and returns the layers
    /// with the given indices into [`layer_names`], in that order.
    pub fn forward_layers(&self, x: &Tensor, wanted: &[usize]) -> super::Result<Vec<Tensor>> {
        self.net.forward_layers(x, wanted)
    }
}
