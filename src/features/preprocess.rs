//! torchvision's ImageNet evaluation transform, `Resize(256)`, `CenterCrop(224)`, `ToTensor()`,
//! `Normalize(mean, std)`, on PIL images, reproduced exactly (tested against Pillow and
//! torchvision's rules in `tests/features_preprocess.rs`).
//!
//! The resize is Pillow's `Image.resize(..., BILINEAR)` (`libImaging/Resample.c`): a separable
//! triangle filter whose support widens with the downscaling factor (antialiasing), coefficients
//! normalised and converted to 22-bit fixed point, a horizontal pass then a vertical pass, each
//! rounded and clipped to 8 bits.

use ndarray::{Array3, ArrayView3};
use serde::Serialize;

/// The transform's parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preprocess {
    /// The shorter side after resizing (`Resize(resize)`).
    pub resize: usize,
    /// The side of the centre crop (`CenterCrop(crop)`), the network's input side.
    pub crop: usize,
    /// Per-channel mean subtracted after scaling to [0, 1].
    pub mean: [f32; 3],
    /// Per-channel standard deviation divided by.
    pub std: [f32; 3],
}

impl Preprocess {
    /// torchvision's ImageNet transform scaled to an input side: `Resize(round(side · 256 / 224))`,
    /// `CenterCrop(side)`, ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225).
    /// `imagenet(224)` is exactly `Resize(256)`, `CenterCrop(224)`.
    pub fn imagenet(side: usize) -> Self {
        Preprocess {
            resize: (side * 256 + 112) / 224,
            crop: side,
            mean: [0.485, 0.456, 0.406],
            std: [0.229, 0.224, 0.225],
        }
    }

    /// A string that identifies the transform (part of the feature cache's key).
    pub fn key(&self) -> String {
        format!(
            "pillow-bilinear-resize{}-centercrop{}-mean{:?}-std{:?}",
            self.resize, self.crop, self.mean, self.std
        )
    }

    /// Resize and crop an RGB image (height, width, 3) as `Resize` and `CenterCrop` do, as
    /// 8-bit RGB (crop, crop, 3).
    pub fn resize_crop(&self, rgb: ArrayView3<u8>) -> Array3<u8> {
        let (h, w, _) = rgb.dim();
        let (nh, nw) = resized_size(h, w, self.resize);
        let resized = if (nh, nw) == (h, w) {
            rgb.to_owned()
        } else {
            pillow_bilinear(rgb, nh, nw)
        };
        center_crop(resized.view(), self.crop)
    }

    /// The full transform: an RGB image (height, width, 3) to a normalised (3, crop, crop)
    /// float32 array in C·H·W order, as `ToTensor` then `Normalize` compute it (float32).
    pub fn apply(&self, rgb: ArrayView3<u8>) -> Array3<f32> {
        let c = self.resize_crop(rgb);
        let n = self.crop;
        Array3::from_shape_fn((3, n, n), |(ch, y, x)| {
            (c[[y, x, ch]] as f32 / 255.0 - self.mean[ch]) / self.std[ch]
        })
    }
}

/// torchvision's `Resize(size)` output (height, width) for an int `size`: the shorter side
/// becomes `size`, the longer `int(size * long / short)`.
pub fn resized_size(h: usize, w: usize, size: usize) -> (usize, usize) {
    let (short, long) = (h.min(w), h.max(w));
    let new_long = ((size * long) as f64 / short as f64) as usize;
    if w <= h {
        (new_long, size)
    } else {
        (size, new_long)
    }
}

/// torchvision's `CenterCrop(size)` of an image at least `size` on each side: the offsets are
/// `int(round((h - size) / 2))`, with Python's round-half-to-even.
pub fn center_crop(rgb: ArrayView3<u8>, size: usize) -> Array3<u8> {
    let (h, w, _) = rgb.dim();
    assert!(h >= size && w >= size, "centre crop larger than the image");
    let off = |d: usize| ((d - size) as f64 / 2.0).round_ties_even() as usize;
    let (top, left) = (off(h), off(w));
    rgb.slice(ndarray::s![top..top + size, left..left + size, ..])
        .to_owned()
}

const PRECISION_BITS: u32 = 32 - 8 - 2;

/// Pillow's fixed-point coefficients for resampling `in_size` to `out_size` with the bilinear
/// filter: per output pixel, the first input index and the weights.
fn coefficients(in_size: usize, out_size: usize) -> Vec<(usize, Vec<i32>)> {
    let scale = in_size as f64 / out_size as f64;
    let filterscale = scale.max(1.0);
    let support = filterscale; // bilinear support 1.0
    let ss = 1.0 / filterscale;
    (0..out_size)
        .map(|xx| {
            let center = (xx as f64 + 0.5) * scale;
            let xmin = ((center - support + 0.5) as i64).max(0) as usize;
            let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
            let w: Vec<f64> = (xmin..xmax)
                .map(|x| {
                    let t = ((x as f64 - center + 0.5) * ss).abs();
                    if t < 1.0 {
                        1.0 - t
                    } else {
                        0.0
                    }
                })
                .collect();
            let total: f64 = w.iter().sum();
            let k = w
                .iter()
                .map(|&v| {
                    let v = if total != 0.0 { v / total } else { v };
                    let f = v * (1u32 << PRECISION_BITS) as f64;
                    (if f < 0.0 { f - 0.5 } else { f + 0.5 }) as i32
                })
                .collect();
            (xmin, k)
        })
        .collect()
}

fn clip8(v: i32) -> u8 {
    (v >> PRECISION_BITS).clamp(0, 255) as u8
}

/// Pillow's `Image.resize((out_w, out_h), Image.BILINEAR)` of an 8-bit RGB image: horizontal
/// pass, then vertical pass, each to 8 bits (a pass is skipped when its size does not change).
pub fn pillow_bilinear(rgb: ArrayView3<u8>, out_h: usize, out_w: usize) -> Array3<u8> {
    let (h, w, c) = rgb.dim();
    let tmp = if out_w != w {
        let k = coefficients(w, out_w);
        Array3::from_shape_fn((h, out_w, c), |(y, x, ch)| {
            let (x0, ref ws) = k[x];
            let mut s: i32 = 1 << (PRECISION_BITS - 1);
            for (i, &wt) in ws.iter().enumerate() {
                s += rgb[[y, x0 + i, ch]] as i32 * wt;
            }
            clip8(s)
        })
    } else {
        rgb.to_owned()
    };
    if out_h == h {
        return tmp;
    }
    let k = coefficients(h, out_h);
    Array3::from_shape_fn((out_h, out_w, c), |(y, x, ch)| {
        let (y0, ref ws) = k[y];
        let mut s: i32 = 1 << (PRECISION_BITS - 1);
        for (i, &wt) in ws.iter().enumerate() {
            s += tmp[[y0 + i, x, ch]] as i32 * wt;
        }
        clip8(s)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torchvision_sizes_and_crop_offsets() {
        assert_eq!(resized_size(375, 500, 256), (256, 341));
        assert_eq!(resized_size(500, 375, 256), (341, 256));
        assert_eq!(resized_size(300, 300, 256), (256, 256));
        assert_eq!(Preprocess::imagenet(224).resize, 256);
        assert_eq!(Preprocess::imagenet(64).resize, 73);
        // (341 - 224) / 2 = 58.5 rounds to 58 (half to even), (343 - 224) / 2 = 59.5 to 60.
        let img = Array3::from_shape_fn((224, 341, 3), |(_, x, _)| x as u8);
        assert_eq!(center_crop(img.view(), 224)[[0, 0, 0]], 58);
        let img = Array3::from_shape_fn((224, 343, 3), |(_, x, _)| x as u8);
        assert_eq!(center_crop(img.view(), 224)[[0, 0, 0]], 60);
    }

    #[test]
    fn constant_image_stays_constant_and_identity_size_is_a_copy() {
        let img = Array3::from_elem((37, 53, 3), 200u8);
        let r = pillow_bilinear(img.view(), 11, 19);
        assert!(r.iter().all(|&v| v == 200));
        let ramp = Array3::from_shape_fn((5, 7, 3), |(y, x, c)| (y * 30 + x * 5 + c) as u8);
        assert_eq!(pillow_bilinear(ramp.view(), 5, 7), ramp);
    }
}
