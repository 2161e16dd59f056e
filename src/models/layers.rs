//! Building blocks shared by the networks: convolutions and linear layers that name their
//! tensors, batch norm in evaluation mode, PyTorch's adaptive average pooling and max pooling
//! with padding, and the symbolic shape check behind [`super::ModelError::InputTooSmall`].

use super::{Init, ParamSpec};
use candle_core::{Module, Result, Tensor, D};
use candle_nn::{Linear, VarBuilder};

/// A spatial operation of a network's stack, for the input-size check.
#[derive(Debug, Clone)]
pub(crate) enum SpatialOp {
    /// A convolution or pooling window: kernel, stride, padding, and the layer's name.
    Window(usize, usize, usize, String),
}

/// Walks `side` through `ops`; the error is the name of the first layer whose (padded) input is
/// smaller than its kernel.
pub(crate) fn check_stack(side: usize, ops: &[SpatialOp]) -> std::result::Result<(), String> {
    let mut s = side;
    for SpatialOp::Window(k, stride, pad, name) in ops {
        if s + 2 * pad < *k {
            return Err(name.clone());
        }
        s = (s + 2 * pad - k) / stride + 1;
    }
    Ok(())
}

/// A 2-D convolution (`nn.Conv2d`, square kernel, no dilation or groups), computed per image as
/// an im2col patch matrix (cin·k·k, out_h·out_w) built row by row, whole input-row slices at a
/// time for stride 1, and one GEMM with the (cout, cin·k·k) kernel. candle's own CPU `conv2d`
/// gathers its patches one element at a time, which costs more than the products
/// (BENCHMARKS.md).
#[derive(Debug, Clone)]
pub(crate) struct Conv {
    /// (cout, cin·k·k).
    weight: Tensor,
    /// (cout, 1).
    bias: Option<Tensor>,
    k: usize,
    stride: usize,
    pad: usize,
}

impl Conv {
    /// The im2col patch matrix of one image (c, h, w), row-major (c·k·k, oh·ow).
    fn patches(
        &self,
        img: &[f32],
        (c, h, w): (usize, usize, usize),
        (oh, ow): (usize, usize),
    ) -> Vec<f32> {
        use rayon::prelude::*;
        let (k, s, p) = (self.k, self.stride, self.pad);
        let n = oh * ow;
        let mut col = vec![0f32; c * k * k * n];
        col.par_chunks_mut(n).enumerate().for_each(|(r, row)| {
            let (ci, ky, kx) = (r / (k * k), (r / k) % k, r % k);
            let plane = &img[ci * h * w..(ci + 1) * h * w];
            // Output columns whose input column ox·s + kx - p lies inside the image.
            let lo = p.saturating_sub(kx).div_ceil(s).min(ow);
            let hi = if w + p > kx {
                ((w + p - kx - 1) / s + 1).min(ow)
            } else {
                0
            };
            for oy in 0..oh {
                let iy = (oy * s + ky) as isize - p as isize;
                if iy < 0 || iy >= h as isize || lo >= hi {
                    continue;
                }
                let src = &plane[iy as usize * w..(iy as usize + 1) * w];
                let dst = &mut row[oy * ow..(oy + 1) * ow];
                if s == 1 {
                    dst[lo..hi].copy_from_slice(&src[lo + kx - p..hi + kx - p]);
                } else {
                    for (ox, d) in dst.iter_mut().enumerate().take(hi).skip(lo) {
                        *d = src[ox * s + kx - p];
                    }
                }
            }
        });
        col
    }
}

impl Module for Conv {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (b, c, h, w) = x.dims4()?;
        let (k, s, p) = (self.k, self.stride, self.pad);
        let (oh, ow) = ((h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1);
        let cout = self.weight.dim(0)?;
        let direct = k == 1 && s == 1 && p == 0;
        let data: Vec<f32> = if direct {
            Vec::new()
        } else {
            x.flatten_all()?.to_vec1()?
        };
        let mut outs = Vec::with_capacity(b);
        for i in 0..b {
            let cols = if direct {
                x.get(i)?.reshape((c, h * w))?
            } else {
                let img = &data[i * c * h * w..(i + 1) * c * h * w];
                Tensor::from_vec(
                    self.patches(img, (c, h, w), (oh, ow)),
                    (c * k * k, oh * ow),
                    x.device(),
                )?
            };
            let mut y = self.weight.matmul(&cols)?;
            if let Some(bias) = &self.bias {
                y = y.broadcast_add(bias)?;
            }
            outs.push(y.reshape((cout, oh, ow))?);
        }
        Tensor::stack(&outs, 0)
    }
}

/// A 2-D convolution `prefix.weight` (out, in, k, k) with optional `prefix.bias`.
pub(crate) fn conv2d(
    vb: &VarBuilder,
    prefix: &str,
    (cin, cout, k): (usize, usize, usize),
    stride: usize,
    padding: usize,
    bias: bool,
) -> Result<Conv> {
    let vb = vb.pp(prefix);
    let w = vb.get((cout, cin, k, k), "weight")?;
    let b = if bias {
        Some(vb.get(cout, "bias")?.reshape((cout, 1))?)
    } else {
        None
    };
    Ok(Conv {
        weight: w.reshape((cout, cin * k * k))?,
        bias: b,
        k,
        stride,
        pad: padding,
    })
}

/// A linear layer `prefix.weight` (out, in), `prefix.bias`.
pub(crate) fn linear(vb: &VarBuilder, prefix: &str, (cin, cout): (usize, usize)) -> Result<Linear> {
    let vb = vb.pp(prefix);
    Ok(Linear::new(
        vb.get((cout, cin), "weight")?,
        Some(vb.get(cout, "bias")?),
    ))
}

/// The parameter specs of a convolution, with torchvision's initialisation: `kaiming_fan_out`
/// (VGG, ResNet: normal, std sqrt(2 / fan_out), bias 0) or PyTorch's default (AlexNet: uniform
/// with bound 1/sqrt(fan_in) for weight and bias).
pub(crate) fn conv_params(
    prefix: &str,
    (cin, cout, k): (usize, usize, usize),
    bias: bool,
    kaiming_fan_out: bool,
    first_layer: usize,
) -> Vec<ParamSpec> {
    let fan_in = (cin * k * k) as f64;
    let fan_out = (cout * k * k) as f64;
    let (w_init, b_init) = if kaiming_fan_out {
        (Init::Normal((2.0 / fan_out).sqrt()), Init::Const(0.0))
    } else {
        (
            Init::Uniform(1.0 / fan_in.sqrt()),
            Init::Uniform(1.0 / fan_in.sqrt()),
        )
    };
    let mut v = vec![ParamSpec {
        name: format!("{prefix}.weight"),
        shape: vec![cout, cin, k, k],
        init: w_init,
        first_layer,
    }];
    if bias {
        v.push(ParamSpec {
            name: format!("{prefix}.bias"),
            shape: vec![cout],
            init: b_init,
            first_layer,
        });
    }
    v
}

/// The parameter specs of a linear layer; `normal_std` is torchvision's VGG init (normal, bias
/// 0), `None` PyTorch's default (uniform with bound 1/sqrt(fan_in)).
pub(crate) fn linear_params(
    prefix: &str,
    (cin, cout): (usize, usize),
    normal_std: Option<f64>,
    first_layer: usize,
) -> Vec<ParamSpec> {
    let bound = 1.0 / (cin as f64).sqrt();
    let (w, b) = match normal_std {
        Some(s) => (Init::Normal(s), Init::Const(0.0)),
        None => (Init::Uniform(bound), Init::Uniform(bound)),
    };
    vec![
        ParamSpec {
            name: format!("{prefix}.weight"),
            shape: vec![cout, cin],
            init: w,
            first_layer,
        },
        ParamSpec {
            name: format!("{prefix}.bias"),
            shape: vec![cout],
            init: b,
            first_layer,
        },
    ]
}

/// Batch norm in evaluation mode, `y = (x - mean) / sqrt(var + eps) * weight + bias`, folded
/// into one scale and one shift per channel at construction.
#[derive(Debug, Clone)]
pub(crate) struct BatchNorm {
    scale: Tensor,
    shift: Tensor,
}

/// torchvision's `BatchNorm2d` epsilon.
const BN_EPS: f64 = 1e-5;

impl BatchNorm {
    pub(crate) fn new(vb: &VarBuilder, prefix: &str, c: usize) -> Result<Self> {
        let vb = vb.pp(prefix);
        let w = vb.get(c, "weight")?;
        let b = vb.get(c, "bias")?;
        let mean = vb.get(c, "running_mean")?;
        let var = vb.get(c, "running_var")?;
        let scale = w.div(&(var + BN_EPS)?.sqrt()?)?;
        let shift = b.sub(&mean.mul(&scale)?)?;
        Ok(BatchNorm {
            scale: scale.reshape((1, c, 1, 1))?,
            shift: shift.reshape((1, c, 1, 1))?,
        })
    }

    /// The parameter specs (torchvision's init: weight 1, bias 0, running mean 0, var 1).
    pub(crate) fn params(prefix: &str, c: usize, first_layer: usize) -> Vec<ParamSpec> {
        [
            ("weight", 1.0),
            ("bias", 0.0),
            ("running_mean", 0.0),
            ("running_var", 1.0),
        ]
        .into_iter()
        .map(|(n, v)| ParamSpec {
            name: format!("{prefix}.{n}"),
            shape: vec![c],
            init: Init::Const(v),
            first_layer,
        })
        .collect()
    }
}

impl Module for BatchNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.broadcast_mul(&self.scale)?.broadcast_add(&self.shift)
    }
}

/// `nn.MaxPool2d(kernel, stride, padding)` for inputs that are >= 0 (after a ReLU): padding with
/// zeros then pooling without padding gives exactly PyTorch's result (which pads with -inf),
/// because every window holds at least one real, non-negative value.
pub(crate) fn max_pool_nonneg(
    x: &Tensor,
    kernel: usize,
    stride: usize,
    pad: usize,
) -> Result<Tensor> {
    let x = if pad > 0 {
        x.pad_with_zeros(D::Minus1, pad, pad)?
            .pad_with_zeros(D::Minus2, pad, pad)?
    } else {
        x.clone()
    };
    x.max_pool2d_with_stride(kernel, stride)
}

/// `nn.AdaptiveAvgPool2d((out_h, out_w))`: output cell `i` averages input rows
/// `floor(i * in / out) .. ceil((i + 1) * in / out)` (PyTorch's rule), likewise for columns.
/// The identity when the input already has the output size; one `avg_pool2d` when the sizes
/// divide evenly.
pub(crate) fn adaptive_avg_pool2d(x: &Tensor, (out_h, out_w): (usize, usize)) -> Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    if h == out_h && w == out_w {
        return Ok(x.clone());
    }
    if h % out_h == 0 && w % out_w == 0 {
        return x.avg_pool2d((h / out_h, w / out_w));
    }
    let mut rows = Vec::with_capacity(out_h);
    for i in 0..out_h {
        let (r0, r1) = (i * h / out_h, ((i + 1) * h).div_ceil(out_h));
        let band = x.narrow(2, r0, r1 - r0)?;
        let mut cells = Vec::with_capacity(out_w);
        for j in 0..out_w {
            let (c0, c1) = (j * w / out_w, ((j + 1) * w).div_ceil(out_w));
            cells.push(
                band.narrow(3, c0, c1 - c0)?
                    .mean_keepdim(3)?
                    .mean_keepdim(2)?,
            );
        }
        rows.push(Tensor::cat(&cells, 3)?);
    }
    Tensor::cat(&rows, 2)
}

/// One module of a plain (AlexNet- or VGG-style) network: `features`, `avgpool`, `classifier`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Def {
    /// `nn.Conv2d(cin, cout, k, stride, padding)` with bias.
    Conv(usize, usize, usize, usize, usize),
    /// `nn.ReLU`.
    Relu,
    /// `nn.MaxPool2d(k, stride)`.
    MaxPool(usize, usize),
    /// `nn.Dropout` (the identity in evaluation mode).
    Dropout,
    /// `nn.Linear(cin, cout)`.
    Linear(usize, usize),
}

/// The layer names of a plain network: `features.i`, `avgpool`, `classifier.i`.
pub(crate) fn plain_layer_names(features: &[Def], classifier: &[Def]) -> Vec<String> {
    (0..features.len())
        .map(|i| format!("features.{i}"))
        .chain(std::iter::once("avgpool".to_string()))
        .chain((0..classifier.len()).map(|i| format!("classifier.{i}")))
        .collect()
}

/// The parameter specs of a plain network (`kaiming`: torchvision's VGG init, else PyTorch's
/// default as AlexNet uses).
pub(crate) fn plain_params(features: &[Def], classifier: &[Def], kaiming: bool) -> Vec<ParamSpec> {
    let mut v = Vec::new();
    for (i, d) in features.iter().enumerate() {
        if let Def::Conv(cin, cout, k, _, _) = *d {
            v.extend(conv_params(
                &format!("features.{i}"),
                (cin, cout, k),
                true,
                kaiming,
                i,
            ));
        }
    }
    for (i, d) in classifier.iter().enumerate() {
        if let Def::Linear(cin, cout) = *d {
            let std = kaiming.then_some(0.01);
            v.extend(linear_params(
                &format!("classifier.{i}"),
                (cin, cout),
                std,
                features.len() + 1 + i,
            ));
        }
    }
    v
}

/// The spatial operations of a plain network's `features`.
pub(crate) fn plain_ops(features: &[Def]) -> Vec<SpatialOp> {
    features
        .iter()
        .enumerate()
        .filter_map(|(i, d)| match *d {
            Def::Conv(_, _, k, s, p) => Some(SpatialOp::Window(k, s, p, format!("features.{i}"))),
            Def::MaxPool(k, s) => Some(SpatialOp::Window(k, s, 0, format!("features.{i}"))),
            _ => None,
        })
        .collect()
}

#[derive(Debug, Clone)]
enum Op {
    Conv(Conv),
    Relu,
    MaxPool(usize, usize),
    Identity,
    /// A linear layer, or the name of its missing weight tensor.
    Linear(std::result::Result<Linear, String>),
}

/// A built plain network: convolutional `features`, adaptive average pooling to a fixed grid,
/// flatten, `classifier`.
#[derive(Debug, Clone)]
pub(crate) struct PlainNet {
    network: &'static str,
    features: Vec<Op>,
    pool: (usize, usize),
    classifier: Vec<Op>,
    names: Vec<String>,
}

impl PlainNet {
    /// Builds the network; the convolutions must be in `vb`, classifier layers whose weights are
    /// absent become unavailable.
    pub(crate) fn new(
        network: &'static str,
        features: &[Def],
        pool: (usize, usize),
        classifier: &[Def],
        vb: &VarBuilder,
    ) -> Result<Self> {
        let build = |prefix: &str, i: usize, d: Def| -> Result<Op> {
            Ok(match d {
                Def::Conv(cin, cout, k, s, p) => Op::Conv(conv2d(
                    vb,
                    &format!("{prefix}.{i}"),
                    (cin, cout, k),
                    s,
                    p,
                    true,
                )?),
                Def::Relu => Op::Relu,
                Def::MaxPool(k, s) => Op::MaxPool(k, s),
                Def::Dropout => Op::Identity,
                Def::Linear(cin, cout) => {
                    let name = format!("{prefix}.{i}");
                    let missing = ["weight", "bias"]
                        .into_iter()
                        .map(|t| format!("{name}.{t}"))
                        .find(|t| !vb.contains_tensor(t));
                    Op::Linear(match missing {
                        Some(t) => Err(t),
                        None => Ok(linear(vb, &name, (cin, cout))?),
                    })
                }
            })
        };
        Ok(PlainNet {
            network,
            features: features
                .iter()
                .enumerate()
                .map(|(i, d)| build("features", i, *d))
                .collect::<Result<_>>()?,
            pool,
            classifier: classifier
                .iter()
                .enumerate()
                .map(|(i, d)| build("classifier", i, *d))
                .collect::<Result<_>>()?,
            names: plain_layer_names(features, classifier),
        })
    }

    /// Runs the network, recording the requested layers (indices into the layer names).
    pub(crate) fn forward_layers(
        &self,
        x: &Tensor,
        wanted: &[usize],
    ) -> super::Result<Vec<Tensor>> {
        let mut taps = super::Taps::new(wanted);
        let deepest = || self.names[wanted.iter().copied().max().unwrap_or(0)].clone();
        let apply = |op: &Op, x: &Tensor| -> super::Result<Tensor> {
            Ok(match op {
                Op::Conv(c) => c.forward(x)?,
                Op::Relu => x.relu()?,
                Op::MaxPool(k, s) => x.max_pool2d_with_stride(*k, *s)?,
                Op::Identity => x.clone(),
                Op::Linear(Ok(l)) => l.forward(x)?,
                Op::Linear(Err(t)) => {
                    return Err(super::ModelError::LayerWithoutWeights {
                        network: self.network.to_string(),
                        layer: deepest(),
                        tensor: t.clone(),
                    })
                }
            })
        };
        let mut x = x.clone();
        let mut i = 0;
        for op in &self.features {
            x = apply(op, &x)?;
            if taps.record(i, &x) {
                return Ok(taps.finish());
            }
            i += 1;
        }
        x = adaptive_avg_pool2d(&x, self.pool)?;
        if taps.record(i, &x) {
            return Ok(taps.finish());
        }
        i += 1;
        x = x.flatten_from(1)?;
        for op in &self.classifier {
            x = apply(op, &x)?;
            if taps.record(i, &x) {
                return Ok(taps.finish());
            }
            i += 1;
        }
        Ok(taps.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn adaptive_pool_follows_pytorch_bins() {
        // 1 x 1 x 5 x 5 ramp pooled to 3 x 3: bins [0,2) [1,4) [3,5) on both axes.
        let x = Tensor::arange(0f32, 25., &Device::Cpu)
            .unwrap()
            .reshape((1, 1, 5, 5))
            .unwrap();
        let y = adaptive_avg_pool2d(&x, (3, 3)).unwrap();
        let v: Vec<f32> = y.flatten_all().unwrap().to_vec1().unwrap();
        let cell = |r: std::ops::Range<usize>, c: std::ops::Range<usize>| {
            let mut s = 0.0;
            let mut n = 0.0;
            for i in r {
                for j in c.clone() {
                    s += (i * 5 + j) as f32;
                    n += 1.0;
                }
            }
            s / n
        };
        let bins = [0..2, 1..4, 3..5];
        for (i, r) in bins.iter().enumerate() {
            for (j, c) in bins.iter().enumerate() {
                assert!((v[i * 3 + j] - cell(r.clone(), c.clone())).abs() < 1e-5);
            }
        }
        // Even division and identity.
        let y = adaptive_avg_pool2d(&x.narrow(2, 0, 4).unwrap().narrow(3, 0, 4).unwrap(), (2, 2))
            .unwrap();
        assert_eq!(
            y.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            vec![3.0, 5.0, 13.0, 15.0]
        );
        assert_eq!(
            adaptive_avg_pool2d(&x, (5, 5)).unwrap().dims(),
            &[1, 1, 5, 5]
        );
    }

    #[test]
    fn padded_max_pool_of_nonnegative_input_matches_minus_infinity_padding() {
        let x = Tensor::new(
            &[[[[1f32, 0., 2.], [0., 3., 0.], [4., 0., 0.]]]],
            &Device::Cpu,
        )
        .unwrap();
        let y = max_pool_nonneg(&x, 3, 2, 1).unwrap();
        // Windows (rows/cols -1..2 and 1..4): [[3, 3], [4, 3]].
        assert_eq!(
            y.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            vec![3.0, 3.0, 4.0, 3.0]
        );
    }

    #[test]
    fn stack_check_names_the_first_layer_that_cannot_run() {
        let ops = vec![
            SpatialOp::Window(3, 1, 1, "a".into()),
            SpatialOp::Window(2, 2, 0, "b".into()),
            SpatialOp::Window(3, 1, 0, "c".into()),
        ];
        assert!(check_stack(6, &ops).is_ok());
        assert_eq!(check_stack(4, &ops), Err("c".to_string()));
    }
}
