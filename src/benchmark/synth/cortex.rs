//! The simulated cortex of one subject and hemisphere: vertices in labelled areas, each with a
//! ground-truth tuning (a weight vector over the generating features) and a signal fraction.
//!
//! Tuning by stage (see [`super::features`] for the blocks):
//!
//! * **early** (V1v..V3d): a Gaussian receptive field on the Gabor-energy grids times a von
//!   Mises orientation tuning curve. Receptive fields lie in the contralateral hemifield (lh
//!   sees the right half of the image) and grow from V1 to V3 and with eccentricity.
//! * **mid** (hV4, mid streams): a larger Gaussian field over the mid block's nonlinear
//!   combinations, with a random preference over its channels, plus a weak early component.
//! * **late** (floc ROIs, ventral/lateral/parietal streams): weights on the category block only
//!   (position- and size-invariant), strongest for the ROI's preferred category, plus a weak mid
//!   component.
//!
//! Subjects differ in receptive-field scale, orientation selectivity, tuning mixtures, vertex
//! counts and signal-to-noise.

use super::features::{
    category_index, coarse_index, fine_index, mid_index, COARSE_GRID, FINE_GRID, MID_CHANNELS,
    N_FEATURES, N_ORIENTATIONS,
};
use super::scene::{Category, CATEGORIES};
use crate::benchmark::algonauts2023::Hemisphere;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// Processing stage of an area, which decides the tuning model.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    /// Gabor energy with receptive-field size (fraction of the image) at the fovea.
    Early(f64),
    /// Pooled nonlinear combinations over a field of this size.
    Mid(f64),
    /// Category tuning, with an optional preferred category.
    Late(Option<Category>),
    /// Outside every ROI: mostly unresponsive.
    Unlabelled,
}

/// One simulated area: its labels in the official ROI sets, its stage and its share of vertices.
struct Area {
    /// `(roi set, roi name)` labels; a vertex can be in several sets, as in the official masks.
    labels: &'static [(&'static str, &'static str)],
    stage: Stage,
    share: f64,
}

const fn area(labels: &'static [(&'static str, &'static str)], stage: Stage, share: f64) -> Area {
    Area {
        labels,
        stage,
        share,
    }
}

const PRF: &str = "prf-visualrois";
const ST: &str = "streams";
const FB: &str = "floc-bodies";
const FF: &str = "floc-faces";
const FP: &str = "floc-places";
const FW: &str = "floc-words";

/// The areas, in vertex order. Names and sets are those of the official Algonauts 2023 masks.
const AREAS: &[Area] = &[
    area(&[(PRF, "V1v"), (ST, "early")], Stage::Early(0.05), 0.06),
    area(&[(PRF, "V1d"), (ST, "early")], Stage::Early(0.05), 0.06),
    area(&[(PRF, "V2v"), (ST, "early")], Stage::Early(0.08), 0.05),
    area(&[(PRF, "V2d"), (ST, "early")], Stage::Early(0.08), 0.05),
    area(&[(PRF, "V3v"), (ST, "early")], Stage::Early(0.11), 0.04),
    area(&[(PRF, "V3d"), (ST, "early")], Stage::Early(0.11), 0.04),
    area(&[(PRF, "hV4"), (ST, "midventral")], Stage::Mid(0.2), 0.05),
    area(&[(ST, "midventral")], Stage::Mid(0.22), 0.03),
    area(&[(ST, "midlateral")], Stage::Mid(0.25), 0.04),
    area(&[(ST, "midparietal")], Stage::Mid(0.28), 0.04),
    area(
        &[(FB, "EBA"), (ST, "lateral")],
        Stage::Late(Some(Category::Body)),
        0.04,
    ),
    area(
        &[(FB, "FBA-1"), (ST, "ventral")],
        Stage::Late(Some(Category::Body)),
        0.015,
    ),
    area(
        &[(FB, "FBA-2"), (ST, "ventral")],
        Stage::Late(Some(Category::Body)),
        0.015,
    ),
    area(
        &[(FB, "mTL-bodies")],
        Stage::Late(Some(Category::Body)),
        0.01,
    ),
    area(
        &[(FF, "OFA"), (ST, "lateral")],
        Stage::Late(Some(Category::Face)),
        0.02,
    ),
    area(
        &[(FF, "FFA-1"), (ST, "ventral")],
        Stage::Late(Some(Category::Face)),
        0.02,
    ),
    area(
        &[(FF, "FFA-2"), (ST, "ventral")],
        Stage::Late(Some(Category::Face)),
        0.015,
    ),
    area(
        &[(FF, "mTL-faces")],
        Stage::Late(Some(Category::Face)),
        0.01,
    ),
    area(
        &[(FF, "aTL-faces")],
        Stage::Late(Some(Category::Face)),
        0.01,
    ),
    area(
        &[(FP, "OPA"), (ST, "parietal")],
        Stage::Late(Some(Category::House)),
        0.025,
    ),
    area(
        &[(FP, "PPA"), (ST, "ventral")],
        Stage::Late(Some(Category::House)),
        0.025,
    ),
    area(
        &[(FP, "RSC"), (ST, "parietal")],
        Stage::Late(Some(Category::House)),
        0.015,
    ),
    area(
        &[(FW, "OWFA"), (ST, "lateral")],
        Stage::Late(Some(Category::Text)),
        0.01,
    ),
    area(
        &[(FW, "VWFA-1"), (ST, "ventral")],
        Stage::Late(Some(Category::Text)),
        0.015,
    ),
    area(
        &[(FW, "VWFA-2"), (ST, "ventral")],
        Stage::Late(Some(Category::Text)),
        0.01,
    ),
    area(
        &[(FW, "mfs-words")],
        Stage::Late(Some(Category::Text)),
        0.01,
    ),
    area(
        &[(FW, "mTL-words")],
        Stage::Late(Some(Category::Text)),
        0.01,
    ),
    area(&[(ST, "ventral")], Stage::Late(None), 0.1),
    area(&[(ST, "lateral")], Stage::Late(None), 0.07),
    area(&[(ST, "parietal")], Stage::Late(None), 0.06),
    area(&[], Stage::Unlabelled, 0.08),
];

/// Per-subject variation of the tuning model.
#[derive(Debug, Clone)]
pub(crate) struct SubjectTraits {
    /// Scale of all receptive fields.
    rf_scale: f64,
    /// Orientation selectivity (von Mises concentration).
    kappa: f64,
    /// Largest signal fraction of any vertex.
    max_signal: f64,
    /// Weight of the secondary (lower-stage) component in mid and late vertices.
    mixing: f64,
    /// Share of labelled vertices with no signal at all.
    zero_signal_share: f64,
}

impl SubjectTraits {
    pub(crate) fn sample(rng: &mut ChaCha8Rng, zero_signal_share: f64) -> Self {
        SubjectTraits {
            rf_scale: rng.random_range(0.85..1.15),
            kappa: rng.random_range(1.0..3.0),
            max_signal: rng.random_range(0.7..0.9),
            mixing: rng.random_range(0.1..0.3),
            zero_signal_share,
        }
    }
}

/// The simulated cortex of one subject and hemisphere.
pub(crate) struct Cortex {
    /// Feature weights, (features x vertices), each column of unit norm (or zero).
    pub weights: ndarray::Array2<f64>,
    /// Share of each vertex's single-trial variance that is signal, in [0, 1).
    pub signal_fraction: Vec<f64>,
    /// For every official ROI set present, the label names in label order (label = index + 1).
    pub labels: Vec<(String, Vec<i32>)>,
}

/// Number of vertices of every area for a hemisphere of `n` vertices (largest remainders).
fn area_counts(n: usize) -> Vec<usize> {
    let total: f64 = AREAS.iter().map(|a| a.share).sum();
    let exact: Vec<f64> = AREAS.iter().map(|a| a.share / total * n as f64).collect();
    let mut counts: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..AREAS.len()).collect();
    order.sort_by(|&a, &b| {
        let fa = exact[a] - exact[a].floor();
        let fb = exact[b] - exact[b].floor();
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    let missing = n - counts.iter().sum::<usize>();
    for &i in order.iter().take(missing) {
        counts[i] += 1;
    }
    counts
}

fn gaussian(d2: f64, sigma: f64) -> f64 {
    (-d2 / (2.0 * sigma * sigma)).exp()
}

/// Centre of grid cell `i` of a `grid`-cell side, as a fraction of the image.
fn cell_centre(i: usize, grid: usize) -> f64 {
    (i as f64 + 0.5) / grid as f64
}

impl Cortex {
    /// Draws the cortex of one hemisphere with `n` vertices.
    pub(crate) fn sample(
        rng: &mut ChaCha8Rng,
        traits: &SubjectTraits,
        hemisphere: Hemisphere,
        n: usize,
    ) -> Cortex {
        let counts = area_counts(n);
        let mut weights = ndarray::Array2::<f64>::zeros((N_FEATURES, n));
        let mut signal_fraction = Vec::with_capacity(n);
        let sets = crate::benchmark::algonauts2023::ROI_SETS;
        let mut labels: Vec<(String, Vec<i32>)> = sets
            .iter()
            .map(|(set, _)| (set.to_string(), Vec::with_capacity(n)))
            .collect();
        let mut v = 0;
        for (area, &count) in AREAS.iter().zip(&counts) {
            for _ in 0..count {
                let mut w = weights.column_mut(v);
                let strength = match area.stage {
                    Stage::Early(rf) => {
                        early(rng, traits, hemisphere, rf, |i, x| w[i] += x);
                        rng.random_range(0.5..1.0)
                    }
                    Stage::Mid(rf) => {
                        mid(rng, traits, rf, |i, x| w[i] += x);
                        early(rng, traits, hemisphere, rf * 0.7, |i, x| {
                            w[i] += traits.mixing * x
                        });
                        rng.random_range(0.3..0.9)
                    }
                    Stage::Late(preferred) => {
                        late(rng, preferred, |i, x| w[i] += x);
                        mid(rng, traits, 0.35, |i, x| w[i] += traits.mixing * x);
                        rng.random_range(0.2..0.8)
                    }
                    Stage::Unlabelled => {
                        late(rng, None, |i, x| w[i] += x);
                        if rng.random::<f64>() < 0.5 {
                            0.0
                        } else {
                            rng.random_range(0.0..0.2)
                        }
                    }
                };
                let norm = w.dot(&w).sqrt();
                if norm > 0.0 {
                    w.mapv_inplace(|x| x / norm);
                }
                // Spread from very reliable to pure noise: u^2 puts mass at low SNR as in NSD.
                let u: f64 = rng.random();
                let zero = rng.random::<f64>() < traits.zero_signal_share;
                signal_fraction.push(if zero {
                    0.0
                } else {
                    traits.max_signal * strength * (0.05 + 0.95 * u.sqrt())
                });
                for ((set, names), (_, out)) in sets.iter().zip(labels.iter_mut()) {
                    let label = area
                        .labels
                        .iter()
                        .find(|(s, _)| s == set)
                        .and_then(|(_, name)| names.iter().position(|n| n == name))
                        .map_or(0, |i| i as i32 + 1);
                    out.push(label);
                }
                v += 1;
            }
        }
        Cortex {
            weights,
            signal_fraction,
            labels,
        }
    }
}

/// Gabor-energy tuning: Gaussian receptive field in the contralateral hemifield times a von
/// Mises orientation tuning curve, on the fine grid (small fields) or the coarse grid (large).
fn early(
    rng: &mut ChaCha8Rng,
    traits: &SubjectTraits,
    hemisphere: Hemisphere,
    rf: f64,
    mut add: impl FnMut(usize, f64),
) {
    let x: f64 = match hemisphere {
        Hemisphere::Lh => rng.random_range(0.45..1.0),
        Hemisphere::Rh => rng.random_range(0.0..0.55),
    };
    let y: f64 = rng.random_range(0.0..1.0);
    let ecc = ((x - 0.5).powi(2) + (y - 0.5).powi(2)).sqrt();
    let sigma = traits.rf_scale * rf * (1.0 + 1.5 * ecc);
    let pref = rng.random_range(0.0..std::f64::consts::PI);
    let tuning: Vec<f64> = (0..N_ORIENTATIONS)
        .map(|o| {
            let theta = o as f64 * std::f64::consts::PI / N_ORIENTATIONS as f64;
            0.2 + (traits.kappa * ((2.0 * (theta - pref)).cos() - 1.0)).exp()
        })
        .collect();
    // Small fields read the fine grid, large ones the coarse grid, in between a blend.
    let fine_share = ((0.12 - sigma) / 0.06).clamp(0.0, 1.0);
    for r in 0..FINE_GRID {
        for c in 0..FINE_GRID {
            let d2 =
                (cell_centre(c, FINE_GRID) - x).powi(2) + (cell_centre(r, FINE_GRID) - y).powi(2);
            let g = fine_share * gaussian(d2, sigma);
            for (o, t) in tuning.iter().enumerate() {
                add(fine_index(r, c, o), g * t);
            }
        }
    }
    for r in 0..COARSE_GRID {
        for c in 0..COARSE_GRID {
            let d2 = (cell_centre(c, COARSE_GRID) - x).powi(2)
                + (cell_centre(r, COARSE_GRID) - y).powi(2);
            let g = (1.0 - fine_share) * gaussian(d2, sigma.max(0.1));
            for (o, t) in tuning.iter().enumerate() {
                add(coarse_index(r, c, o), g * t);
            }
        }
    }
}

/// Pooled nonlinear tuning: a large Gaussian field over the mid block, random channel mixture.
fn mid(rng: &mut ChaCha8Rng, traits: &SubjectTraits, rf: f64, mut add: impl FnMut(usize, f64)) {
    let (x, y): (f64, f64) = (rng.random(), rng.random());
    let sigma = traits.rf_scale * rf;
    let prefs: Vec<f64> = (0..MID_CHANNELS)
        .map(|_| rng.random::<f64>().powi(3))
        .collect();
    for r in 0..COARSE_GRID {
        for c in 0..COARSE_GRID {
            let d2 = (cell_centre(c, COARSE_GRID) - x).powi(2)
                + (cell_centre(r, COARSE_GRID) - y).powi(2);
            let g = gaussian(d2, sigma);
            for (ch, p) in prefs.iter().enumerate() {
                add(mid_index(r, c, ch), g * p);
            }
        }
    }
}

/// Category tuning: strong weight on the preferred category (two random ones when there is no
/// preference), small weights of either sign on the others.
fn late(rng: &mut ChaCha8Rng, preferred: Option<Category>, mut add: impl FnMut(usize, f64)) {
    let favourites: Vec<usize> = match preferred {
        Some(p) => vec![CATEGORIES.iter().position(|&c| c == p).unwrap_or(0)],
        None => vec![
            rng.random_range(0..CATEGORIES.len()),
            rng.random_range(0..CATEGORIES.len()),
        ],
    };
    for k in 0..CATEGORIES.len() {
        let w = if favourites.contains(&k) {
            rng.random_range(0.8..1.2)
        } else {
            rng.random_range(-0.2..0.3)
        };
        add(category_index(k), w);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn area_counts_sum_to_n_and_every_official_roi_is_used() {
        for n in [40, 1000, 2503] {
            assert_eq!(area_counts(n).iter().sum::<usize>(), n);
        }
        for (set, names) in crate::benchmark::algonauts2023::ROI_SETS {
            for name in *names {
                assert!(
                    AREAS.iter().any(|a| a.labels.contains(&(set, name))),
                    "{set}/{name} has no area"
                );
            }
        }
    }

    #[test]
    fn early_fields_are_contralateral() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let traits = SubjectTraits::sample(&mut rng, 0.0);
        let cortex = Cortex::sample(&mut rng, &traits, Hemisphere::Lh, 1000);
        // V1v vertices of lh weigh the right half of the fine grid more than the left.
        let (mut left, mut right) = (0.0, 0.0);
        for v in 0..20 {
            for r in 0..FINE_GRID {
                for c in 0..FINE_GRID {
                    let w: f64 = (0..N_ORIENTATIONS)
                        .map(|o| cortex.weights[[fine_index(r, c, o), v]])
                        .sum();
                    if c < FINE_GRID / 2 {
                        left += w
                    } else {
                        right += w
                    }
                }
            }
        }
        assert!(right > 3.0 * left, "left {left} right {right}");
    }
}
