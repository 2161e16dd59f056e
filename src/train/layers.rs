//! Differentiable layers for training where candle's CPU ops fall short: a convolution built
//! from `narrow`, `stack` and one batched matmul (gradients to input, weight and bias; the
//! inference convolution of `crate::models` builds its patches outside candle's graph), max
//! pooling for any kernel and stride (candle's `max_pool2d` has no backward when kernel ≠
//! stride), and dropout from our seeded generator (candle's CPU generator cannot be seeded).

use candle_core::{Result, Tensor};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Every `s`-th row and column, from 0, of a (b, c, h, w) tensor: (b, c, ⌈h/s⌉, ⌈w/s⌉).
fn subsample(x: &Tensor, s: usize) -> Result<Tensor> {
    if s == 1 {
        return Ok(x.clone());
    }
    let (b, c, h, w) = x.dims4()?;
    let (oh, ow) = (h.div_ceil(s), w.div_ceil(s));
    x.pad_with_zeros(2, 0, oh * s - h)?
        .pad_with_zeros(3, 0, ow * s - w)?
        .reshape((b, c, oh, s, ow, s))?
        .narrow(3, 0, 1)?
        .narrow(5, 0, 1)?
        .reshape((b, c, oh, ow))
}

/// The `k·k` shifted, strided views of `x` (b, c, h, w) that a `k`×`k` window with stride `s`
/// visits, each (b, c, oh, ow), in (ky, kx) order.
fn windows(x: &Tensor, k: usize, s: usize) -> Result<Vec<Tensor>> {
    let (_, _, h, w) = x.dims4()?;
    let (oh, ow) = ((h - k) / s + 1, (w - k) / s + 1);
    let mut v = Vec::with_capacity(k * k);
    for ky in 0..k {
        for kx in 0..k {
            let view = x
                .narrow(2, ky, (oh - 1) * s + 1)?
                .narrow(3, kx, (ow - 1) * s + 1)?;
            v.push(subsample(&view, s)?);
        }
    }
    Ok(v)
}

/// `nn.Conv2d` (square kernel, no dilation or groups): `x` (b, cin, h, w), `weight`
/// (cout, cin, k, k), `bias` (cout).
pub fn conv2d(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    stride: usize,
    pad: usize,
) -> Result<Tensor> {
    let (b, c, h, w) = x.dims4()?;
    let (cout, _, k, _) = weight.dims4()?;
    let (oh, ow) = (
        (h + 2 * pad - k) / stride + 1,
        (w + 2 * pad - k) / stride + 1,
    );
    let xp = if pad > 0 {
        x.pad_with_zeros(2, pad, pad)?.pad_with_zeros(3, pad, pad)?
    } else {
        x.clone()
    };
    // (b, c, k·k, oh, ow) → (b, c·k·k, oh·ow): row c·k·k + ky·k + kx, as the weight's layout.
    let cols = Tensor::stack(&windows(&xp, k, stride)?, 2)?.reshape((b, c * k * k, oh * ow))?;
    let y = weight
        .reshape((cout, c * k * k))?
        .broadcast_matmul(&cols)?
        .reshape((b, cout, oh, ow))?;
    match bias {
        Some(bias) => y.broadcast_add(&bias.reshape((1, cout, 1, 1))?),
        None => Ok(y),
    }
}

/// `nn.MaxPool2d(k, s)` without padding, differentiable for every `k` and `s`: candle's own op
/// where it has a backward (`k == s`), else the element-wise maximum of the window's views.
pub fn max_pool2d(x: &Tensor, k: usize, s: usize) -> Result<Tensor> {
    if k == s {
        return x.max_pool2d_with_stride(k, s);
    }
    let views = windows(x, k, s)?;
    let mut y = views[0].clone();
    for v in &views[1..] {
        y = y.maximum(v)?;
    }
    Ok(y)
}

/// Inverted dropout in training mode: each element zeroed with probability `p`, the rest scaled
/// by `1 / (1 − p)`; the mask comes from `ChaCha8Rng` seeded with `seed`.
pub fn dropout(x: &Tensor, p: f64, seed: u64) -> Result<Tensor> {
    if p <= 0.0 {
        return Ok(x.clone());
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let keep = (1.0 / (1.0 - p)) as f32;
    let mask: Vec<f32> = (0..x.elem_count())
        .map(|_| if rng.random::<f64>() < p { 0.0 } else { keep })
        .collect();
    let mask = Tensor::from_vec(mask, x.dims(), x.device())?.to_dtype(x.dtype())?;
    x.mul(&mask)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Var};

    fn ramp(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        let v: Vec<f32> = (0..n)
            .map(|i| ((i * 37 % 101) as f32) / 10.0 - 5.0)
            .collect();
        Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
    }

    #[test]
    fn conv_matches_candles_conv2d_forward() {
        let x = ramp(&[2, 3, 9, 8]);
        let w = (ramp(&[4, 3, 3, 3]) * 0.1).unwrap();
        let b = ramp(&[4]);
        for (s, p) in [(1, 1), (2, 0), (2, 1)] {
            let ours = conv2d(&x, &w, Some(&b), s, p).unwrap();
            let theirs = x
                .conv2d(&w, p, s, 1, 1)
                .unwrap()
                .broadcast_add(&b.reshape((1, 4, 1, 1)).unwrap())
                .unwrap();
            assert_eq!(ours.dims(), theirs.dims());
            let d = (ours - theirs).unwrap().abs().unwrap().max_all().unwrap();
            assert!(d.to_scalar::<f32>().unwrap() < 1e-4, "stride {s} pad {p}");
        }
    }

    #[test]
    fn max_pool_3_2_matches_candles_forward_and_has_a_gradient_where_candles_fails() {
        let x = Var::from_tensor(&ramp(&[1, 2, 7, 7])).unwrap();
        let ours = max_pool2d(x.as_tensor(), 3, 2).unwrap();
        let theirs = x.as_tensor().max_pool2d_with_stride(3, 2).unwrap();
        assert_eq!(
            ours.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
            theirs.flatten_all().unwrap().to_vec1::<f32>().unwrap()
        );
        // candle's limit, measured: its backward refuses kernel != stride.
        let e = theirs.sum_all().unwrap().backward().unwrap_err();
        assert!(e.to_string().contains("maxpool2d"), "{e}");
        // Ours: each output's gradient lands on its window's maximum.
        let g = ours.sum_all().unwrap().backward().unwrap();
        let g = g.get(x.as_tensor()).expect("gradient reaches the input");
        let total: f32 = g.sum_all().unwrap().to_scalar().unwrap();
        assert_eq!(total, ours.elem_count() as f32);
    }

    #[test]
    fn dropout_is_seeded_and_keeps_the_expectation() {
        let x = Tensor::ones((100, 100), candle_core::DType::F32, &Device::Cpu).unwrap();
        let a = dropout(&x, 0.5, 7)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let b = dropout(&x, 0.5, 7)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let c = dropout(&x, 0.5, 8)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mean = a.iter().sum::<f32>() / a.len() as f32;
        assert!((mean - 1.0).abs() < 0.05, "{mean}");
        assert!(a.iter().all(|&v| v == 0.0 || v == 2.0));
    }
}
