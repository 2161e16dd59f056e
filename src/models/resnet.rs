//! ResNet-18 and ResNet-50 as torchvision builds them: K. He, X. Zhang, S. Ren, J. Sun, "Deep
//! Residual Learning for Image Recognition", CVPR 2016 (<https://arxiv.org/abs/1512.03385>).
//! ResNet-50 is torchvision's "v1.5" (the stride of a downsampling bottleneck sits on its 3x3
//! convolution), which timm's `resnet50.tv_in1k` shares.
//!
//! Layers (torchvision module paths): `conv1` (7x7/2, before batch norm) · `bn1` · `relu` ·
//! `maxpool` (3/2, padding 1) · every residual block `layerN.M` (after its final ReLU) and each
//! stage `layerN` (= its last block) · `avgpool` (adaptive, 1x1) · `fc`. Tensors in torchvision
//! naming: `conv1`, `bn1`, `layerN.M.convK`, `layerN.M.bnK`, `layerN.M.downsample.{0,1}`, `fc`.

use super::layers::{adaptive_avg_pool2d, SpatialOp};
use super::layers::{conv2d, conv_params, linear, linear_params, max_pool_nonneg, BatchNorm, Conv};
use super::{Architecture, ModelError, ParamSpec, Taps};
use candle_core::{Module, Tensor};
use candle_nn::{Linear, VarBuilder};

/// The residual block type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// Two 3x3 convolutions (ResNet-18/34), expansion 1.
    Basic,
    /// 1x1, 3x3, 1x1 convolutions (ResNet-50/101/152), expansion 4.
    Bottleneck,
}

impl Block {
    fn expansion(self) -> usize {
        match self {
            Block::Basic => 1,
            Block::Bottleneck => 4,
        }
    }
}

/// A ResNet configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Block type.
    pub block: Block,
    /// Blocks per stage (`layer1` … `layer4`).
    pub layers: [usize; 4],
}

impl Config {
    /// ResNet-18: basic blocks, [2, 2, 2, 2].
    pub fn resnet18() -> Self {
        Config {
            block: Block::Basic,
            layers: [2, 2, 2, 2],
        }
    }

    /// ResNet-50: bottleneck blocks, [3, 4, 6, 3].
    pub fn resnet50() -> Self {
        Config {
            block: Block::Bottleneck,
            layers: [3, 4, 6, 3],
        }
    }

    fn architecture(&self) -> Architecture {
        match self.block {
            Block::Basic => Architecture::ResNet18,
            Block::Bottleneck => Architecture::ResNet50,
        }
    }

    /// (stage, block, in channels, planes, stride) of every block, in order.
    fn blocks(&self) -> Vec<(usize, usize, usize, usize, usize)> {
        let mut v = Vec::new();
        let mut cin = 64;
        for (s, &n) in self.layers.iter().enumerate() {
            let planes = 64 << s;
            for b in 0..n {
                let stride = if s > 0 && b == 0 { 2 } else { 1 };
                v.push((s + 1, b, cin, planes, stride));
                cin = planes * self.block.expansion();
            }
        }
        v
    }
}

/// The exposed layers, in forward order.
pub fn layer_names(cfg: &Config) -> Vec<String> {
    let mut v: Vec<String> = ["conv1", "bn1", "relu", "maxpool"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for (s, &n) in cfg.layers.iter().enumerate() {
        for b in 0..n {
            v.push(format!("layer{}.{b}", s + 1));
        }
        v.push(format!("layer{}", s + 1));
    }
    v.push("avgpool".into());
    v.push("fc".into());
    v
}

/// Every parameter, with torchvision's initialisation (convolutions Kaiming-normal with fan-out,
/// batch norm weight 1 and bias 0, running statistics 0 and 1, `fc` PyTorch's default).
pub fn parameters(cfg: &Config) -> Vec<ParamSpec> {
    let names = layer_names(cfg);
    let at = |n: &str| names.iter().position(|x| x == n).expect("known layer");
    let mut v = conv_params("conv1", (3, 64, 7), false, true, 0);
    v.extend(BatchNorm::params("bn1", 64, 1));
    for (s, b, cin, planes, stride) in cfg.blocks() {
        let p = format!("layer{s}.{b}");
        let i = at(&p);
        let out = planes * cfg.block.expansion();
        let convs: Vec<(usize, usize, usize)> = match cfg.block {
            Block::Basic => vec![(cin, planes, 3), (planes, planes, 3)],
            Block::Bottleneck => vec![(cin, planes, 1), (planes, planes, 3), (planes, out, 1)],
        };
        for (k, c) in convs.into_iter().enumerate() {
            v.extend(conv_params(
                &format!("{p}.conv{}", k + 1),
                c,
                false,
                true,
                i,
            ));
            v.extend(BatchNorm::params(&format!("{p}.bn{}", k + 1), c.1, i));
        }
        if stride != 1 || cin != out {
            v.extend(conv_params(
                &format!("{p}.downsample.0"),
                (cin, out, 1),
                false,
                true,
                i,
            ));
            v.extend(BatchNorm::params(&format!("{p}.downsample.1"), out, i));
        }
    }
    v.extend(linear_params(
        "fc",
        (512 * cfg.block.expansion(), 1000),
        None,
        at("fc"),
    ));
    v
}

pub(crate) fn stack_ops() -> Vec<SpatialOp> {
    let mut v = vec![
        SpatialOp::Window(7, 2, 3, "conv1".into()),
        SpatialOp::Window(3, 2, 1, "maxpool".into()),
    ];
    for s in 2..=4 {
        v.push(SpatialOp::Window(3, 2, 1, format!("layer{s}.0")));
    }
    v
}

#[derive(Debug, Clone)]
struct ResBlock {
    convs: Vec<(Conv, BatchNorm)>,
    downsample: Option<(Conv, BatchNorm)>,
}

impl ResBlock {
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let mut y = x.clone();
        let last = self.convs.len() - 1;
        for (k, (c, bn)) in self.convs.iter().enumerate() {
            y = bn.forward(&c.forward(&y)?)?;
            if k < last {
                y = y.relu()?;
            }
        }
        let shortcut = match &self.downsample {
            Some((c, bn)) => bn.forward(&c.forward(x)?)?,
            None => x.clone(),
        };
        (y + shortcut)?.relu()
    }
}

/// A built ResNet.
#[derive(Debug, Clone)]
pub struct ResNet {
    cfg: Config,
    conv1: Conv,
    bn1: BatchNorm,
    /// Blocks per stage.
    stages: Vec<Vec<ResBlock>>,
    /// `fc`, or the name of its missing weight tensor.
    fc: std::result::Result<Linear, String>,
    names: Vec<String>,
}

impl ResNet {
    /// Builds the network from tensors in torchvision naming. Every convolution and batch norm
    /// is required; `fc` is optional (its layer fails with a clear error when absent).
    pub fn new(cfg: &Config, vb: VarBuilder) -> candle_core::Result<Self> {
        let conv1 = conv2d(&vb, "conv1", (3, 64, 7), 2, 3, false)?;
        let bn1 = BatchNorm::new(&vb, "bn1", 64)?;
        let mut stages: Vec<Vec<ResBlock>> = vec![Vec::new(); 4];
        let e = cfg.block.expansion();
        for (s, b, cin, planes, stride) in cfg.blocks() {
            let p = format!("layer{s}.{b}");
            let out = planes * e;
            let specs: Vec<(usize, usize, usize, usize, usize)> = match cfg.block {
                Block::Basic => vec![(cin, planes, 3, stride, 1), (planes, planes, 3, 1, 1)],
                Block::Bottleneck => vec![
                    (cin, planes, 1, 1, 0),
                    (planes, planes, 3, stride, 1),
                    (planes, out, 1, 1, 0),
                ],
            };
            let convs = specs
                .into_iter()
                .enumerate()
                .map(|(k, (ci, co, ks, st, pad))| {
                    Ok((
                        conv2d(
                            &vb,
                            &format!("{p}.conv{}", k + 1),
                            (ci, co, ks),
                            st,
                            pad,
                            false,
                        )?,
                        BatchNorm::new(&vb, &format!("{p}.bn{}", k + 1), co)?,
                    ))
                })
                .collect::<candle_core::Result<Vec<_>>>()?;
            let downsample = if stride != 1 || cin != out {
                Some((
                    conv2d(
                        &vb,
                        &format!("{p}.downsample.0"),
                        (cin, out, 1),
                        stride,
                        0,
                        false,
                    )?,
                    BatchNorm::new(&vb, &format!("{p}.downsample.1"), out)?,
                ))
            } else {
                None
            };
            stages[s - 1].push(ResBlock { convs, downsample });
        }
        let fc = match ["fc.weight", "fc.bias"]
            .into_iter()
            .find(|t| !vb.contains_tensor(t))
        {
            Some(t) => Err(t.to_string()),
            None => Ok(linear(&vb, "fc", (512 * e, 1000))?),
        };
        Ok(ResNet {
            names: layer_names(cfg),
            cfg: cfg.clone(),
            conv1,
            bn1,
            stages,
            fc,
        })
    }

    /// ResNet-18 or ResNet-50.
    pub fn architecture(&self) -> Architecture {
        self.cfg.architecture()
    }

    /// Runs the network on a normalised batch (batch, 3, side, side) and returns the layers
    /// with the given indices into [`layer_names`], in that order.
    pub fn forward_layers(&self, x: &Tensor, wanted: &[usize]) -> super::Result<Vec<Tensor>> {
        let mut taps = Taps::new(wanted);
        let mut i = 0;
        // Records layer `i`, returns if it was the deepest requested one, moves on.
        macro_rules! tap {
            ($t:expr) => {
                if taps.record(i, &$t) {
                    return Ok(taps.finish());
                }
                i += 1;
            };
        }
        let x = self.conv1.forward(x)?;
        tap!(x);
        let x = self.bn1.forward(&x)?;
        tap!(x);
        let x = x.relu()?;
        tap!(x);
        let mut x = max_pool_nonneg(&x, 3, 2, 1)?;
        tap!(x);
        for stage in &self.stages {
            for block in stage {
                x = block.forward(&x)?;
                tap!(x);
            }
            tap!(x);
        }
        let x = adaptive_avg_pool2d(&x, (1, 1))?;
        tap!(x);
        let fc = self
            .fc
            .as_ref()
            .map_err(|t| ModelError::LayerWithoutWeights {
                network: self.cfg.architecture().name().to_string(),
                layer: self.names[wanted.iter().copied().max().unwrap_or(0)].clone(),
                tensor: t.clone(),
            })?;
        let x = fc.forward(&x.flatten_from(1)?)?;
        taps.record(i, &x);
        Ok(taps.finish())
    }
}
