//! The small CNN of the `cnn-scratch` reference, trained from random initialisation: the
//! control that shows what pretrained features buy (SCIENCE.md §4).
//!
//! Stack, for `channels = [c1, c2, …]`: a 5×5 convolution with stride 2 (3 → c1), ReLU and a
//! 3/2 max-pool (candle's own has no backward there; [`crate::train::layers::max_pool2d`] has);
//! then for each further width a 3×3 convolution (padding 1), ReLU and a 2/2 max-pool; a global
//! average pool gives the embedding (its last width); optionally dropout and a linear read-out.
//! Parameters are drawn like PyTorch's defaults for `Conv2d`/`Linear` (uniform with bound
//! `1/sqrt(fan_in)`, weight and bias) from `ChaCha8Rng` seeded with the given seed.

use crate::train::layers::{conv2d, dropout, max_pool2d};
use candle_core::{Device, Result, Tensor, Var};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// The architecture's knobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScratchArch {
    /// Output channels of each convolution (at least one).
    pub channels: Vec<usize>,
    /// Dropout probability before the read-out, in training.
    pub dropout: f64,
}

impl Default for ScratchArch {
    fn default() -> Self {
        ScratchArch {
            channels: vec![16, 32, 64],
            dropout: 0.3,
        }
    }
}

/// The network, with its parameters as trainable variables.
#[derive(Debug)]
pub struct ScratchCnn {
    convs: Vec<(Var, Var)>,
    readout: Option<(Var, Var)>,
    dropout: f64,
}

/// A (weight, bias) pair drawn uniform in ±1/sqrt(fan_in).
fn uniform_pair(
    rng: &mut ChaCha8Rng,
    w_shape: &[usize],
    fan_in: usize,
    device: &Device,
) -> Result<(Var, Var)> {
    let bound = 1.0 / (fan_in as f64).sqrt();
    let mut draw = |shape: &[usize]| -> Result<Var> {
        let n: usize = shape.iter().product();
        let v: Vec<f32> = (0..n)
            .map(|_| ((rng.random::<f64>() * 2.0 - 1.0) * bound) as f32)
            .collect();
        Var::from_tensor(&Tensor::from_vec(v, shape, device)?)
    };
    Ok((draw(w_shape)?, draw(&w_shape[..1])?))
}

impl ScratchCnn {
    /// A freshly initialised network on `device`; `outputs` adds a linear read-out of that
    /// width. The draws happen on the host, so every device starts from the same weights.
    pub fn new(
        arch: &ScratchArch,
        outputs: Option<usize>,
        seed: u64,
        device: &Device,
    ) -> Result<Self> {
        if arch.channels.is_empty() {
            candle_core::bail!("cnn-scratch needs at least one convolution (channels = [])");
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut convs = Vec::new();
        let mut cin = 3;
        for (i, &c) in arch.channels.iter().enumerate() {
            let k = if i == 0 { 5 } else { 3 };
            convs.push(uniform_pair(
                &mut rng,
                &[c, cin, k, k],
                cin * k * k,
                device,
            )?);
            cin = c;
        }
        let readout = match outputs {
            Some(o) => Some(uniform_pair(&mut rng, &[o, cin], cin, device)?),
            None => None,
        };
        Ok(ScratchCnn {
            convs,
            readout,
            dropout: arch.dropout,
        })
    }

    /// The smallest input side every layer can run on.
    pub fn min_input_side(arch: &ScratchArch) -> usize {
        (1..4096)
            .find(|&s| {
                // conv 5/2 pad 2, pool 3/2, then per block pool 2/2.
                let mut x = (s + 4 - 5) / 2 + 1;
                if x < 3 {
                    return false;
                }
                x = (x - 3) / 2 + 1;
                for _ in 1..arch.channels.len() {
                    if x < 2 {
                        return false;
                    }
                    x /= 2;
                }
                x >= 1
            })
            .unwrap_or(4096)
    }

    /// The parameters, by name (`conv<i>.weight`, …, `readout.bias`), in a fixed order.
    pub fn params(&self) -> Vec<(String, Var)> {
        let mut v = Vec::new();
        for (i, (w, b)) in self.convs.iter().enumerate() {
            v.push((format!("conv{i}.weight"), w.clone()));
            v.push((format!("conv{i}.bias"), b.clone()));
        }
        if let Some((w, b)) = &self.readout {
            v.push(("readout.weight".into(), w.clone()));
            v.push(("readout.bias".into(), b.clone()));
        }
        v
    }

    /// The embedding (batch, last width): the global average of the last block.
    pub fn embed(&self, x: &Tensor) -> Result<Tensor> {
        let mut x = x.clone();
        for (i, (w, b)) in self.convs.iter().enumerate() {
            let (stride, pad, pool) = if i == 0 { (2, 2, 3) } else { (1, 1, 2) };
            x = conv2d(&x, w.as_tensor(), Some(b.as_tensor()), stride, pad)?.relu()?;
            x = max_pool2d(&x, pool, 2)?;
        }
        x.mean((2, 3))
    }

    /// The read-out (batch, outputs); `dropout_seed` is `Some` in training (dropout on the
    /// embedding), `None` in evaluation. Without a read-out, the embedding.
    pub fn forward(&self, x: &Tensor, dropout_seed: Option<u64>) -> Result<Tensor> {
        let e = self.embed(x)?;
        let e = match dropout_seed {
            Some(s) => dropout(&e, self.dropout, s)?,
            None => e,
        };
        match &self.readout {
            Some((w, b)) => e.matmul(&w.as_tensor().t()?)?.broadcast_add(b.as_tensor()),
            None => Ok(e),
        }
    }
}
