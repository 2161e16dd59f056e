//! Procedural scenes: a textured, coloured background with one to three objects of eight
//! categories at random positions, sizes, orientations and colours.
//!
//! The categories are chosen so that the category-selective ROIs of the official layout have a
//! preferred category to be tuned to (faces for `floc-faces`, bodies for `floc-bodies`, houses
//! for `floc-places`, text for `floc-words`), plus four plain shapes.

use image::RgbImage;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// An object category. The category is the *only* property late (category-selective) vertices
/// respond to, whatever the object's position, size, orientation or colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// A round face with two eyes and a mouth (preferred by `floc-faces`).
    Face,
    /// A stick body: head, torso, arms and legs (preferred by `floc-bodies`).
    Body,
    /// A house: walls, roof and door (preferred by `floc-places`).
    House,
    /// Rows of dark word-like bars on a light sheet (preferred by `floc-words`).
    Text,
    /// A filled disc.
    Disc,
    /// An annulus.
    Ring,
    /// A plus-shaped cross.
    Cross,
    /// A five-pointed star.
    Star,
}

/// All categories, in the order of the category block of the generating features.
pub const CATEGORIES: [Category; 8] = [
    Category::Face,
    Category::Body,
    Category::House,
    Category::Text,
    Category::Disc,
    Category::Ring,
    Category::Cross,
    Category::Star,
];

/// One object of a scene, in image-relative coordinates (0..1, y downwards).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Object {
    /// What the object is.
    pub category: Category,
    /// Centre, as fractions of the image width and height.
    pub centre: [f32; 2],
    /// Radius, as a fraction of the image size.
    pub radius: f32,
    /// Rotation in radians.
    pub angle: f32,
    /// Main colour, RGB in 0..1.
    pub colour: [f32; 3],
}

/// A sinusoidal grating of the background texture.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Grating {
    /// Orientation of the wave vector, radians.
    pub angle: f32,
    /// Spatial frequency, cycles per image.
    pub frequency: f32,
    /// Phase, radians.
    pub phase: f32,
    /// Amplitude per colour channel.
    pub amplitude: [f32; 3],
}

/// A scene: background colour, a vertical gradient, gratings, and objects drawn in order.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Scene {
    /// Background colour, RGB in 0..1.
    pub background: [f32; 3],
    /// Brightness change from top to bottom (a horizon-like gradient).
    pub gradient: f32,
    /// Background texture.
    pub gratings: Vec<Grating>,
    /// Objects, later ones occluding earlier ones.
    pub objects: Vec<Object>,
}

fn colour(rng: &mut ChaCha8Rng, lo: f32, hi: f32) -> [f32; 3] {
    [
        rng.random_range(lo..hi),
        rng.random_range(lo..hi),
        rng.random_range(lo..hi),
    ]
}

impl Scene {
    /// Draws a random scene. Upright categories (face, body, house) are only slightly tilted.
    pub fn sample(rng: &mut ChaCha8Rng) -> Scene {
        let n_gratings = rng.random_range(1..=3);
        let gratings = (0..n_gratings)
            .map(|_| {
                let a = rng.random_range(0.0..0.18f32);
                Grating {
                    angle: rng.random_range(0.0..std::f32::consts::PI),
                    frequency: rng.random_range(2.0..14.0),
                    phase: rng.random_range(0.0..std::f32::consts::TAU),
                    amplitude: [
                        a * rng.random_range(0.5..1.0f32),
                        a * rng.random_range(0.5..1.0f32),
                        a * rng.random_range(0.5..1.0f32),
                    ],
                }
            })
            .collect();
        let n_objects = rng.random_range(1..=3);
        let objects = (0..n_objects)
            .map(|_| {
                let category = CATEGORIES[rng.random_range(0..CATEGORIES.len())];
                let radius = rng.random_range(0.1..0.28f32);
                let tilt = match category {
                    Category::Face | Category::Body | Category::House => 0.25,
                    _ => std::f32::consts::PI,
                };
                Object {
                    category,
                    centre: [
                        rng.random_range(radius * 0.6..1.0 - radius * 0.6),
                        rng.random_range(radius * 0.6..1.0 - radius * 0.6),
                    ],
                    radius,
                    angle: rng.random_range(-tilt..tilt),
                    colour: colour(rng, 0.05, 1.0),
                }
            })
            .collect();
        Scene {
            background: colour(rng, 0.15, 0.85),
            gradient: rng.random_range(-0.3..0.3),
            gratings,
            objects,
        }
    }

    /// How many objects of each category the scene holds, in [`CATEGORIES`] order.
    pub fn category_counts(&self) -> [usize; 8] {
        let mut counts = [0; 8];
        for o in &self.objects {
            let i = CATEGORIES
                .iter()
                .position(|&c| c == o.category)
                .unwrap_or(0);
            counts[i] += 1;
        }
        counts
    }

    /// Renders the scene as a `size` x `size` RGB image (one sample per pixel centre).
    pub fn render(&self, size: u32) -> RgbImage {
        let s = size as f32;
        RgbImage::from_fn(size, size, |x, y| {
            let p = [(x as f32 + 0.5) / s, (y as f32 + 0.5) / s];
            let mut c = self.background_at(p);
            for o in &self.objects {
                let (dx, dy) = (
                    (p[0] - o.centre[0]) / o.radius,
                    (p[1] - o.centre[1]) / o.radius,
                );
                let (sin, cos) = (-o.angle).sin_cos();
                let (u, v) = (cos * dx - sin * dy, sin * dx + cos * dy);
                if let Some(k) = shape(o, u, v) {
                    c = k;
                }
            }
            image::Rgb(c.map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8))
        })
    }

    fn background_at(&self, p: [f32; 2]) -> [f32; 3] {
        let mut c = self.background;
        let g = self.gradient * (p[1] - 0.5);
        for ch in &mut c {
            *ch += g;
        }
        for gr in &self.gratings {
            let (sin, cos) = gr.angle.sin_cos();
            let w =
                (std::f32::consts::TAU * gr.frequency * (cos * p[0] + sin * p[1]) + gr.phase).sin();
            for (ch, a) in c.iter_mut().zip(gr.amplitude) {
                *ch += a * w;
            }
        }
        c
    }
}

fn scaled(c: [f32; 3], f: f32) -> [f32; 3] {
    c.map(|v| v * f)
}

/// The colour of object `o` at local coordinates (u, v) (unit = the object's radius), or `None`
/// outside it.
fn shape(o: &Object, u: f32, v: f32) -> Option<[f32; 3]> {
    let r2 = u * u + v * v;
    let dark = scaled(o.colour, 0.2);
    match o.category {
        Category::Disc => (r2 <= 1.0).then_some(o.colour),
        Category::Ring => (0.3..=1.0).contains(&r2).then_some(o.colour),
        Category::Cross => ((u.abs() <= 0.3 && v.abs() <= 1.0)
            || (v.abs() <= 0.3 && u.abs() <= 1.0))
            .then_some(o.colour),
        Category::Star => {
            let theta = v.atan2(u);
            let reach = 0.45 + 0.55 * ((2.5 * theta).cos().abs()).powi(3);
            (r2.sqrt() <= reach).then_some(o.colour)
        }
        Category::Face => {
            if r2 > 1.0 {
                return None;
            }
            let eye = |cx: f32| (u - cx).powi(2) + (v + 0.3).powi(2) <= 0.15 * 0.15;
            let mouth = (v - 0.45).abs() <= 0.08 && u.abs() <= 0.45;
            Some(if eye(-0.38) || eye(0.38) || mouth {
                dark
            } else {
                o.colour
            })
        }
        Category::Body => {
            let head = u * u + (v + 0.75).powi(2) <= 0.25 * 0.25;
            let torso = (u / 0.35).powi(2) + ((v + 0.1) / 0.45).powi(2) <= 1.0;
            let arms = (v + 0.25).abs() <= 0.08 && u.abs() <= 0.7;
            let legs =
                (0.3..=1.0).contains(&v) && ((u - 0.18).abs() <= 0.1 || (u + 0.18).abs() <= 0.1);
            (head || torso || arms || legs).then_some(o.colour)
        }
        Category::House => {
            let walls = u.abs() <= 0.7 && (-0.1..=0.9).contains(&v);
            let roof = (-0.8..-0.1).contains(&v) && u.abs() <= 0.85 * (v + 0.8) / 0.7;
            let door = u.abs() <= 0.15 && (0.45..=0.9).contains(&v);
            let window = (u - 0.4).abs() <= 0.12 && (v - 0.2).abs() <= 0.12;
            if door || window {
                Some(dark)
            } else if roof {
                Some([0.6, 0.15, 0.1])
            } else {
                walls.then_some(o.colour)
            }
        }
        Category::Text => {
            if u.abs() > 1.0 || v.abs() > 0.6 {
                return None;
            }
            let paper = [0.92, 0.9, 0.85];
            let row = [-0.35f32, 0.0, 0.35]
                .iter()
                .position(|&r| (v - r).abs() <= 0.08);
            Some(match row {
                Some(i) if ((u + 1.0) * 3.5 + 0.37 * i as f32).fract() < 0.75 && u.abs() <= 0.9 => {
                    dark
                }
                _ => paper,
            })
        }
    }
}
