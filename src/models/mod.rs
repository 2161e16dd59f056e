//! Pretrained convolutional networks in [candle](https://github.com/huggingface/candle) whose
//! every layer's activation can be read by its torchvision module path (`features.29`,
//! `layer3.5`, `avgpool`, ...).
//!
//! One file per network ([`alexnet`], [`vgg`], [`resnet`]), each with a `Config`, a constructor
//! `new(&cfg, vb)` taking a [`candle_nn::VarBuilder`] over tensors in torchvision naming, and a
//! forward pass returning the requested layers. Model code does no I/O: [`weights`] reads
//! `.safetensors` and PyTorch `.pth` files, maps timm names onto torchvision's and checks every
//! tensor's shape before a model is built. [`Network`] wraps the four architectures behind one
//! interface for the feature extractor (`crate::features`).
//!
//! A layer's activation is the output of that module as PyTorch computes it in evaluation mode:
//! `features.0` of VGG is the convolution *before* its ReLU, `features.1` the ReLU, dropout is the
//! identity. (torchvision's ReLUs are in place, so a forward hook that keeps a reference to a
//! convolution's output without cloning it sees the post-ReLU values; we return what the module
//! returned.)

pub mod alexnet;
mod layers;
pub mod resnet;
pub mod scratch;
pub mod vgg;
pub mod weights;

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

/// An error building a network or running it.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A requested layer name is not a module path of the network.
    #[error("unknown layer `{layer}` for {network}; valid layers: {}", valid.join(", "))]
    UnknownLayer {
        /// The network.
        network: String,
        /// The name asked for.
        layer: String,
        /// Every valid layer name, in forward order.
        valid: Vec<String>,
    },
    /// The input images are too small for the network's convolutions and pooling.
    #[error(
        "an input of {side} x {side} px is too small for {network}: layer `{layer}` would get a \
         map smaller than its kernel; use an input size of at least {min_side} px (--input-size)"
    )]
    InputTooSmall {
        /// The network.
        network: String,
        /// The input side in pixels.
        side: usize,
        /// The first layer that cannot run.
        layer: String,
        /// The smallest input side the network accepts.
        min_side: usize,
    },
    /// A requested layer needs weights that were not provided (e.g. a classifier layer when the
    /// weights file holds only the convolutional layers).
    #[error(
        "layer `{layer}` of {network} needs the tensor `{tensor}`, which the weights do not \
         contain (they hold only the layers before it); request an earlier layer or pass weights \
         that include it"
    )]
    LayerWithoutWeights {
        /// The network.
        network: String,
        /// The requested layer.
        layer: String,
        /// The first missing tensor it needs.
        tensor: String,
    },
    /// The input tensor is not (batch, 3, side, side).
    #[error("expected an input of shape (batch, 3, side, side), found {found:?}")]
    BadInput {
        /// The shape found.
        found: Vec<usize>,
    },
    /// candle failed (a bug, or a tensor missing from the `VarBuilder`).
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
}

/// Result of model code.
pub type Result<T> = std::result::Result<T, ModelError>;

/// The supported architectures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Architecture {
    /// AlexNet as in torchvision (Krizhevsky et al. 2012, single-tower variant).
    AlexNet,
    /// VGG-16 without batch norm (Simonyan & Zisserman 2015).
    Vgg16,
    /// ResNet-18 (He et al. 2016).
    ResNet18,
    /// ResNet-50 (He et al. 2016; torchvision's v1.5, stride on the 3x3 convolution).
    ResNet50,
}

impl Architecture {
    /// All architectures.
    pub const ALL: [Architecture; 4] = [
        Architecture::AlexNet,
        Architecture::Vgg16,
        Architecture::ResNet18,
        Architecture::ResNet50,
    ];

    /// The name used on the command line and in file names (`alexnet`, `vgg16`, `resnet18`,
    /// `resnet50`).
    pub fn name(self) -> &'static str {
        match self {
            Architecture::AlexNet => "alexnet",
            Architecture::Vgg16 => "vgg16",
            Architecture::ResNet18 => "resnet18",
            Architecture::ResNet50 => "resnet50",
        }
    }

    /// Parses a name (case-insensitive; `vgg-16`, `resnet_50` and the like are accepted).
    pub fn parse(name: &str) -> Option<Self> {
        let n: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        Self::ALL.into_iter().find(|a| a.name() == n)
    }

    /// The names of the exposed layers, in forward order.
    pub fn layer_names(self) -> Vec<String> {
        match self {
            Architecture::AlexNet => alexnet::layer_names(),
            Architecture::Vgg16 => vgg::layer_names(&vgg::Config::vgg16()),
            Architecture::ResNet18 => resnet::layer_names(&resnet::Config::resnet18()),
            Architecture::ResNet50 => resnet::layer_names(&resnet::Config::resnet50()),
        }
    }

    /// Every parameter tensor the network has, in torchvision naming, with its shape and the
    /// initialisation torchvision gives it.
    pub fn parameters(self) -> Vec<ParamSpec> {
        match self {
            Architecture::AlexNet => alexnet::parameters(),
            Architecture::Vgg16 => vgg::parameters(&vgg::Config::vgg16()),
            Architecture::ResNet18 => resnet::parameters(&resnet::Config::resnet18()),
            Architecture::ResNet50 => resnet::parameters(&resnet::Config::resnet50()),
        }
    }

    /// The side of the smallest square input every layer can run on.
    pub fn min_input_side(self) -> usize {
        (1..4096)
            .find(|&s| self.check_input_side(s).is_ok())
            .unwrap_or(4096)
    }

    /// Checks that a square input of `side` pixels reaches every layer with maps at least as
    /// large as the kernels; the error names the first layer that cannot run.
    pub fn check_input_side(self, side: usize) -> std::result::Result<(), String> {
        match self {
            Architecture::AlexNet => layers::check_stack(side, &alexnet::stack_ops()),
            Architecture::Vgg16 => {
                layers::check_stack(side, &vgg::stack_ops(&vgg::Config::vgg16()))
            }
            Architecture::ResNet18 | Architecture::ResNet50 => {
                layers::check_stack(side, &resnet::stack_ops())
            }
        }
    }
}

/// How torchvision initialises a parameter (used only for `--random-init`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    /// Normal with mean 0 and the given standard deviation.
    Normal(f64),
    /// Uniform on `[-bound, bound]` (PyTorch's default for convolutions and linear layers).
    Uniform(f64),
    /// A constant.
    Const(f64),
}

/// One parameter tensor of a network.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    /// Its torchvision name, e.g. `features.0.weight`.
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// torchvision's initialisation.
    pub init: Init,
    /// Index (in [`Architecture::layer_names`]) of the first layer that needs it.
    pub first_layer: usize,
}

/// One of the four networks, built, behind one interface.
#[derive(Debug)]
pub enum Network {
    /// AlexNet.
    AlexNet(alexnet::AlexNet),
    /// VGG.
    Vgg(vgg::Vgg),
    /// ResNet-18 or -50.
    ResNet(resnet::ResNet),
}

impl Network {
    /// Builds `arch` from tensors in torchvision naming (a `VarBuilder` over them). Tensors a
    /// layer needs that are absent (a classifier missing from a convolutional-only file) make
    /// that layer unavailable, not the network.
    pub fn new(arch: Architecture, vb: candle_nn::VarBuilder) -> Result<Self> {
        Ok(match arch {
            Architecture::AlexNet => Network::AlexNet(alexnet::AlexNet::new(&alexnet::Config, vb)?),
            Architecture::Vgg16 => Network::Vgg(vgg::Vgg::new(&vgg::Config::vgg16(), vb)?),
            Architecture::ResNet18 => {
                Network::ResNet(resnet::ResNet::new(&resnet::Config::resnet18(), vb)?)
            }
            Architecture::ResNet50 => {
                Network::ResNet(resnet::ResNet::new(&resnet::Config::resnet50(), vb)?)
            }
        })
    }

    /// The architecture.
    pub fn architecture(&self) -> Architecture {
        match self {
            Network::AlexNet(_) => Architecture::AlexNet,
            Network::Vgg(_) => Architecture::Vgg16,
            Network::ResNet(r) => r.architecture(),
        }
    }

    /// Runs the network on `x` (batch, 3, side, side), normalised, and returns the activations
    /// of `layers` in the order asked; stops after the deepest one.
    pub fn forward_layers(&self, x: &Tensor, layers: &[String]) -> Result<Vec<Tensor>> {
        let dims = x.dims().to_vec();
        if dims.len() != 4 || dims[1] != 3 || dims[2] != dims[3] {
            return Err(ModelError::BadInput { found: dims });
        }
        let arch = self.architecture();
        if let Err(layer) = arch.check_input_side(dims[2]) {
            return Err(ModelError::InputTooSmall {
                network: arch.name().to_string(),
                side: dims[2],
                layer,
                min_side: arch.min_input_side(),
            });
        }
        let indices = resolve_layers(arch, layers)?;
        match self {
            Network::AlexNet(m) => m.forward_layers(x, &indices),
            Network::Vgg(m) => m.forward_layers(x, &indices),
            Network::ResNet(m) => m.forward_layers(x, &indices),
        }
    }
}

/// Maps layer names onto indices into [`Architecture::layer_names`]; an unknown name lists the
/// valid ones.
pub fn resolve_layers(arch: Architecture, layers: &[String]) -> Result<Vec<usize>> {
    let valid = arch.layer_names();
    layers
        .iter()
        .map(|l| {
            valid
                .iter()
                .position(|v| v == l)
                .ok_or_else(|| ModelError::UnknownLayer {
                    network: arch.name().to_string(),
                    layer: l.clone(),
                    valid: valid.clone(),
                })
        })
        .collect()
}

/// Collects the activations of the requested layer indices while a forward pass walks the
/// layers in order.
pub(crate) struct Taps<'a> {
    wanted: &'a [usize],
    out: Vec<Option<Tensor>>,
    last: usize,
}

impl<'a> Taps<'a> {
    pub(crate) fn new(wanted: &'a [usize]) -> Self {
        Taps {
            wanted,
            out: vec![None; wanted.len()],
            last: wanted.iter().copied().max().unwrap_or(0),
        }
    }

    /// Records layer `index`'s output; returns true when every requested layer is recorded (the
    /// caller stops).
    pub(crate) fn record(&mut self, index: usize, t: &Tensor) -> bool {
        for (slot, &w) in self.out.iter_mut().zip(self.wanted) {
            if w == index {
                *slot = Some(t.clone());
            }
        }
        index >= self.last
    }

    pub(crate) fn finish(self) -> Vec<Tensor> {
        self.out
            .into_iter()
            .map(|t| t.expect("every requested layer is reached before the end"))
            .collect()
    }
}

/// The CPU device models run on.
pub fn device() -> Device {
    Device::Cpu
}
