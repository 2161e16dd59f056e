//! The generating features: per image, the feature vector the simulated responses are made from.
//!
//! Three blocks, one per stage of the simulated hierarchy:
//!
//! * **early** ([`EARLY_FEATURES`]): Gabor energy (quadrature pair, 4 orientations, sigma 1.5
//!   px, wavelength 4 px) on a luminance pyramid, averaged over the cells of an 8 x 8 grid at
//!   full resolution and a 4 x 4 grid at half resolution, then square-rooted (a compressive
//!   complex-cell nonlinearity). V1-V3 vertices read this block through a Gaussian receptive
//!   field and an orientation tuning curve.
//! * **mid** ([`MID_FEATURES`]): on the 4 x 4 grid, the geometric mean of every pair of
//!   half-resolution orientation energies (junction / curvature detectors, 6 pairs) and the
//!   red-green and blue-yellow colour contrast (2 channels): nonlinear combinations that hV4 and
//!   the mid streams pool over larger fields.
//! * **category** ([`CATEGORY_FEATURES`]): whether each of the 8 categories is present,
//!   independent of position, size, orientation and colour, read by the late ROIs.

use super::scene::{Scene, CATEGORIES};
use image::RgbImage;
use ndarray::Array2;
use rayon::prelude::*;

/// Orientations of the Gabor filters (radians: 0, 45, 90, 135 degrees).
pub const N_ORIENTATIONS: usize = 4;
/// Cells per side of the fine (full-resolution) grid.
pub const FINE_GRID: usize = 8;
/// Cells per side of the coarse (half-resolution) grid.
pub const COARSE_GRID: usize = 4;
/// Mid-level channels per coarse cell: 6 orientation pairs + 2 colour contrasts.
pub const MID_CHANNELS: usize = 8;
/// Size of the early block: fine and coarse Gabor energies.
pub const EARLY_FEATURES: usize =
    (FINE_GRID * FINE_GRID + COARSE_GRID * COARSE_GRID) * N_ORIENTATIONS;
/// Size of the mid block.
pub const MID_FEATURES: usize = COARSE_GRID * COARSE_GRID * MID_CHANNELS;
/// Size of the category block.
pub const CATEGORY_FEATURES: usize = CATEGORIES.len();
/// Length of one image's generating feature vector.
pub const N_FEATURES: usize = EARLY_FEATURES + MID_FEATURES + CATEGORY_FEATURES;

/// Index of the fine-grid early feature for cell (row, col) and orientation `o`.
pub fn fine_index(row: usize, col: usize, o: usize) -> usize {
    (row * FINE_GRID + col) * N_ORIENTATIONS + o
}

/// Index of the coarse-grid early feature for cell (row, col) and orientation `o`.
pub fn coarse_index(row: usize, col: usize, o: usize) -> usize {
    FINE_GRID * FINE_GRID * N_ORIENTATIONS + (row * COARSE_GRID + col) * N_ORIENTATIONS + o
}

/// Index of mid channel `c` of coarse cell (row, col).
pub fn mid_index(row: usize, col: usize, c: usize) -> usize {
    EARLY_FEATURES + (row * COARSE_GRID + col) * MID_CHANNELS + c
}

/// Index of the category feature `k` (position in [`CATEGORIES`]).
pub fn category_index(k: usize) -> usize {
    EARLY_FEATURES + MID_FEATURES + k
}

/// The generating features of every image (rows), computed in parallel.
///
/// `images[i]` must be the rendering of `scenes[i]` (the category block comes from the scene,
/// the rest from the pixels). Images must be square with a side divisible by 16.
pub fn generating_features(images: &[RgbImage], scenes: &[Scene]) -> Array2<f64> {
    let pairs: Vec<(&RgbImage, &Scene)> = images.iter().zip(scenes).collect();
    features_of(&pairs)
}

/// [`generating_features`] of (image, scene) pairs.
pub(crate) fn features_of(pairs: &[(&RgbImage, &Scene)]) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = pairs
        .par_iter()
        .map(|(img, scene)| image_features(img, scene))
        .collect();
    let mut out = Array2::zeros((rows.len(), N_FEATURES));
    for (mut dst, src) in out.rows_mut().into_iter().zip(rows) {
        dst.assign(&ndarray::ArrayView1::from(&src));
    }
    out
}

/// A single-channel image, row-major.
struct Plane {
    size: usize,
    data: Vec<f32>,
}

impl Plane {
    fn half(&self) -> Plane {
        let h = self.size / 2;
        let mut data = vec![0.0; h * h];
        for y in 0..h {
            for x in 0..h {
                let at = |dy: usize, dx: usize| self.data[(2 * y + dy) * self.size + 2 * x + dx];
                data[y * h + x] = 0.25 * (at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1));
            }
        }
        Plane { size: h, data }
    }

    /// Mean over each cell of a `grid` x `grid` partition.
    fn pool(&self, grid: usize) -> Vec<f64> {
        let cell = self.size / grid;
        let mut out = vec![0.0f64; grid * grid];
        for y in 0..self.size {
            for x in 0..self.size {
                out[(y / cell) * grid + x / cell] += self.data[y * self.size + x] as f64;
            }
        }
        let n = (cell * cell) as f64;
        out.iter_mut().for_each(|v| *v /= n);
        out
    }
}

const RADIUS: isize = 3;
const SIGMA: f32 = 1.5;
const WAVELENGTH: f32 = 4.0;

/// Even (zero-mean) and odd Gabor kernels of orientation `o`.
fn gabor(o: usize) -> (Vec<f32>, Vec<f32>) {
    let theta = o as f32 * std::f32::consts::PI / N_ORIENTATIONS as f32;
    let (sin, cos) = theta.sin_cos();
    let mut even = Vec::new();
    let mut odd = Vec::new();
    for dy in -RADIUS..=RADIUS {
        for dx in -RADIUS..=RADIUS {
            let (x, y) = (dx as f32, dy as f32);
            let g = (-(x * x + y * y) / (2.0 * SIGMA * SIGMA)).exp();
            let phase = std::f32::consts::TAU * (cos * x + sin * y) / WAVELENGTH;
            even.push(g * phase.cos());
            odd.push(g * phase.sin());
        }
    }
    let m = even.iter().sum::<f32>() / even.len() as f32;
    even.iter_mut().for_each(|v| *v -= m);
    (even, odd)
}

/// Gabor energy `even^2 + odd^2` of orientation `o` at every pixel (edges clamped).
fn energy(p: &Plane, o: usize) -> Plane {
    let (even, odd) = gabor(o);
    let n = p.size as isize;
    let mut data = vec![0.0; p.data.len()];
    for y in 0..n {
        for x in 0..n {
            let (mut e, mut d) = (0.0f32, 0.0f32);
            let mut k = 0;
            for dy in -RADIUS..=RADIUS {
                let yy = (y + dy).clamp(0, n - 1) as usize * p.size;
                for dx in -RADIUS..=RADIUS {
                    let v = p.data[yy + (x + dx).clamp(0, n - 1) as usize];
                    e += even[k] * v;
                    d += odd[k] * v;
                    k += 1;
                }
            }
            data[(y * n + x) as usize] = e * e + d * d;
        }
    }
    Plane { size: p.size, data }
}

fn image_features(img: &RgbImage, scene: &Scene) -> Vec<f64> {
    let size = img.width() as usize;
    let mut lum = Vec::with_capacity(size * size);
    let mut rg = Vec::with_capacity(size * size);
    let mut by = Vec::with_capacity(size * size);
    for px in img.pixels() {
        let [r, g, b] = px.0.map(|v| v as f32 / 255.0);
        lum.push(0.299 * r + 0.587 * g + 0.114 * b);
        rg.push(r - g);
        by.push(b - 0.5 * (r + g));
    }
    let fine = Plane { size, data: lum };
    let coarse = fine.half();
    let mut f = vec![0.0f64; N_FEATURES];
    let mut coarse_energy = Vec::with_capacity(N_ORIENTATIONS);
    for o in 0..N_ORIENTATIONS {
        for (cell, e) in energy(&fine, o).pool(FINE_GRID).into_iter().enumerate() {
            f[fine_index(cell / FINE_GRID, cell % FINE_GRID, o)] = e.sqrt();
        }
        let pooled = energy(&coarse, o).pool(COARSE_GRID);
        for (cell, e) in pooled.iter().enumerate() {
            f[coarse_index(cell / COARSE_GRID, cell % COARSE_GRID, o)] = e.sqrt();
        }
        coarse_energy.push(pooled);
    }
    let contrast = |data: Vec<f32>| -> Vec<f64> {
        let plane = Plane { size, data };
        let mean = plane.pool(COARSE_GRID);
        let sq = Plane {
            size,
            data: plane.data.iter().map(|v| v * v).collect(),
        }
        .pool(COARSE_GRID);
        mean.iter()
            .zip(sq)
            .map(|(m, s)| (s - m * m).max(0.0).sqrt() + m.abs())
            .collect()
    };
    let colour = [contrast(rg), contrast(by)];
    for cell in 0..COARSE_GRID * COARSE_GRID {
        let (row, col) = (cell / COARSE_GRID, cell % COARSE_GRID);
        let mut c = 0;
        for a in 0..N_ORIENTATIONS {
            for b in a + 1..N_ORIENTATIONS {
                f[mid_index(row, col, c)] = (coarse_energy[a][cell] * coarse_energy[b][cell])
                    .sqrt()
                    .sqrt();
                c += 1;
            }
        }
        f[mid_index(row, col, 6)] = colour[0][cell];
        f[mid_index(row, col, 7)] = colour[1][cell];
    }
    for (k, n) in scene.category_counts().into_iter().enumerate() {
        f[category_index(k)] = if n > 0 { 1.0 } else { 0.0 };
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::benchmark::synth::scene::{Category, Object};

    fn scene_with(objects: Vec<Object>) -> Scene {
        Scene {
            background: [0.5; 3],
            gradient: 0.0,
            gratings: vec![],
            objects,
        }
    }

    fn disc(centre: [f32; 2], radius: f32) -> Object {
        Object {
            category: Category::Disc,
            centre,
            radius,
            angle: 0.0,
            colour: [1.0, 1.0, 1.0],
        }
    }

    #[test]
    fn category_block_is_position_and_size_invariant() {
        let a = scene_with(vec![disc([0.2, 0.2], 0.1)]);
        let b = scene_with(vec![disc([0.7, 0.6], 0.25)]);
        let f = generating_features(&[a.render(32), b.render(32)], &[a, b]);
        let k = category_index(4);
        assert_eq!((f[[0, k]], f[[1, k]]), (1.0, 1.0));
        assert_eq!(f[[0, category_index(0)]], 0.0);
        // The early block does depend on where the object is.
        assert_ne!(f[[0, fine_index(1, 1, 0)]], f[[1, fine_index(1, 1, 0)]]);
    }

    #[test]
    fn blank_image_has_no_gabor_energy_and_a_vertical_grating_drives_orientation_zero() {
        let blank = scene_with(vec![]);
        let mut grating = scene_with(vec![]);
        grating
            .gratings
            .push(crate::benchmark::synth::scene::Grating {
                angle: 0.0,
                frequency: 8.0,
                phase: 0.0,
                amplitude: [0.3; 3],
            });
        let f = generating_features(&[blank.render(32), grating.render(32)], &[blank, grating]);
        assert!(f.row(0).iter().take(EARLY_FEATURES).all(|&v| v < 1e-3));
        let idx = |o| fine_index(3, 3, o);
        assert!(f[[1, idx(0)]] > 3.0 * f[[1, idx(2)]], "{:?}", f.row(1));
    }
}
