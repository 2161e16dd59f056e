//! The synthetic cortex's RSA side: the `synthetic-cortex-rsa` benchmark, in exactly the official
//! Algonauts 2019 layout so that one loader ([`crate::benchmark::algonauts2019`]) serves both it
//! and the real download. [`super::generate`] writes `data_dir/synthetic-cortex-rsa/`:
//!
//! ```text
//! synthetic-cortex-rsa.json                           manifest: seed, generator version, sizes
//! Training_Data/92_Image_Set/{92images/image_NNN.png, target_fmri.mat}
//! Training_Data/118_Image_Set/{118images/image_NNN.png, target_fmri.mat}
//! Test_Data/78images/image_NNN.png
//! held out (the truth):
//! Test_Data/target_fmri.mat                           EVC_RDMs, IT_RDMs: (subjects, 78, 78)
//! not part of the official layout (the simulation's own truth):
//! synthetic_truth/<ROI>_test_signal_RDMs.npy          float64 (subjects, 78, 78): noiseless RDMs
//! ```
//!
//! **Sizes.** The image sets have the real sets' sizes (92 and 118 training images, 78 test
//! images: 11,089 training pairs), so RSA references written for the real track run unchanged,
//! and the set names are the folder names the 2019 layout expects. They add ~300 small images
//! to the generator, well under a second.
//!
//! **Subjects and ROIs.** The subjects are the encoding benchmark's simulated subjects (same seed,
//! same tuning of every vertex: the RSA images' generating features and each vertex's signal are
//! standardised with the statistics of the encoding images, so a vertex responds to an image the
//! same way in both benchmarks). EVC pools both hemispheres' vertices of the `early` stream
//! (V1–V3: Gabor energy), IT those of the `ventral` stream (category-tuned). As in the 2019 data,
//! every set's `target_fmri.mat` holds one RDM per subject (1 − Pearson over the ROI's vertices).
//!
//! **Measurement.** A subject's pattern for an image is one trial of the single-trial model of
//! `trials.rs`, `sqrt(f_v) signal + sqrt(1 − f_v) noise`, noise drawn from the subject's own RSA
//! random stream (the encoding data are unchanged by it). An ROI pools ~1,000–1,400 vertices, so
//! even single trials give reliable RDMs: the test-set ceilings (upper bound, 4 subjects) are
//! about 0.87 (EVC) and 0.82 (IT), lower bounds 0.77 and 0.69. Twice the noise would bring them
//! to 0.5 and 0.4, but then the lower bound of IT falls to 0.1 and even the noiseless truth
//! reaches only a third of the ceiling, so a model's distance from the truth would be hidden by
//! the subjects' noise.

use super::cortex::Cortex;
use super::trials::Normal;
use super::{
    apply_column_stats, create_dir, mat5, png_bytes, rng_for, write_bytes, write_npy, ColumnStats,
    Result, Stimulus, SynthConfig, GENERATOR_VERSION,
};
use crate::benchmark::algonauts2023::ROI_SETS;
use crate::metrics::rdm::{Dissimilarity, Rdm};
use crate::metrics::rsa::rdm_noise_ceiling;
use ndarray::{s, Array2, Array3, ArrayView2, Axis};
use rayon::prelude::*;
use std::path::Path;

/// Name of the benchmark folder inside the data directory.
pub const DIR_NAME: &str = "synthetic-cortex-rsa";
/// The image sets, `(name, images)`, training sets first; the last is the held-out test set.
pub const SETS: [(&str, usize); 3] = [("92", 92), ("118", 118), ("78", 78)];
/// The target ROIs and the `streams` ROI each pools.
pub const ROIS: [(&str, &str); 2] = [("EVC", "early"), ("IT", "ventral")];

/// Random streams of the RSA side (the encoding side uses 1 and 1000 + subject).
const STREAM_STIMULI: u64 = 2;
const STREAM_SUBJECT: u64 = 2000;

/// What a vertex of the ROIs needs to respond to a new image as it does in the encoding data.
pub(super) struct HemisphereTuning {
    /// Feature weights of the ROI vertices (features x vertices).
    weights: Array2<f64>,
    /// Mean and sd of each ROI vertex's raw signal over the encoding images.
    stats: ColumnStats,
    /// Signal fraction of each ROI vertex.
    fraction: Vec<f64>,
    /// Index into [`ROIS`] of each ROI vertex.
    roi: Vec<usize>,
}

impl HemisphereTuning {
    /// The ROI vertices of `cortex`, with `stats` the statistics of all its vertices' raw signal.
    pub(super) fn new(cortex: &Cortex, stats: &ColumnStats) -> Self {
        let streams = ROI_SETS
            .iter()
            .position(|(set, _)| *set == "streams")
            .expect("streams is an official ROI set");
        let names = ROI_SETS[streams].1;
        let label_of = |stream: &str| names.iter().position(|n| *n == stream).unwrap() as i32 + 1;
        let wanted: Vec<i32> = ROIS.iter().map(|(_, stream)| label_of(stream)).collect();
        let (cols, roi): (Vec<usize>, Vec<usize>) = cortex.labels[streams]
            .1
            .iter()
            .enumerate()
            .filter_map(|(v, l)| wanted.iter().position(|w| w == l).map(|r| (v, r)))
            .unzip();
        HemisphereTuning {
            weights: cortex.weights.select(Axis(1), &cols),
            stats: cols.iter().map(|&v| stats[v]).collect(),
            fraction: cols.iter().map(|&v| cortex.signal_fraction[v]).collect(),
            roi,
        }
    }
}

/// The RSA images: every set drawn from the RSA stimulus stream, rendered at the configuration's
/// image size. NSD ids are not used by this layout.
pub(super) fn stimuli(cfg: &SynthConfig) -> Vec<Vec<Stimulus>> {
    let mut rng = rng_for(cfg.seed, STREAM_STIMULI);
    let scenes: Vec<Vec<super::Scene>> = SETS
        .iter()
        .map(|&(_, n)| (0..n).map(|_| super::Scene::sample(&mut rng)).collect())
        .collect();
    scenes
        .into_iter()
        .map(|set| {
            set.into_par_iter()
                .map(|scene| Stimulus {
                    nsd_id: 0,
                    image: scene.render(cfg.image_size),
                    scene,
                })
                .collect()
        })
        .collect()
}

/// One subject's RDMs: `measured[set][roi]` and the noiseless `signal[roi]` of the test set.
pub(super) struct SubjectRdms {
    measured: Vec<Vec<Rdm>>,
    signal: Vec<Rdm>,
}

/// The RDMs of subject `s` (0-based) for the RSA images, whose generating features, standardised
/// with the encoding images' statistics, are `features` (all sets' images in [`SETS`] order).
pub(super) fn subject_rdms(
    cfg: &SynthConfig,
    s: usize,
    hemispheres: &[HemisphereTuning],
    features: ArrayView2<f64>,
) -> Result<SubjectRdms> {
    let mut rng = rng_for(cfg.seed, STREAM_SUBJECT + s as u64);
    let mut normal = Normal::default();
    // Patterns of each ROI: (images x vertices), both hemispheres' vertices side by side.
    let mut measured: Vec<Vec<Vec<f64>>> = vec![Vec::new(); ROIS.len()];
    let mut signal: Vec<Vec<Vec<f64>>> = vec![Vec::new(); ROIS.len()];
    for h in hemispheres {
        let raw = apply_column_stats(features.dot(&h.weights), &h.stats);
        for (v, &r) in h.roi.iter().enumerate() {
            let (a, b) = (h.fraction[v].sqrt(), (1.0 - h.fraction[v]).sqrt());
            let clean: Vec<f64> = raw.column(v).iter().map(|x| a * x).collect();
            let noisy = clean
                .iter()
                .map(|x| x + b * normal.sample(&mut rng))
                .collect();
            signal[r].push(clean);
            measured[r].push(noisy);
        }
    }
    let rdm = |columns: &[Vec<f64>], rows: std::ops::Range<usize>| -> Result<Rdm> {
        let patterns = Array2::from_shape_fn((rows.len(), columns.len()), |(i, j)| {
            columns[j][rows.start + i]
        });
        Ok(Rdm::from_patterns(
            patterns.view(),
            Dissimilarity::Correlation,
        )?)
    };
    let ranges = set_ranges();
    Ok(SubjectRdms {
        measured: ranges
            .iter()
            .map(|range| {
                measured
                    .iter()
                    .map(|cols| rdm(cols, range.clone()))
                    .collect()
            })
            .collect::<Result<_>>()?,
        signal: signal
            .iter()
            .map(|cols| rdm(cols, ranges[SETS.len() - 1].clone()))
            .collect::<Result<_>>()?,
    })
}

/// Rows of every set in the stacked feature matrix.
fn set_ranges() -> Vec<std::ops::Range<usize>> {
    let mut start = 0;
    SETS.iter()
        .map(|&(_, n)| {
            start += n;
            start - n..start
        })
        .collect()
}

/// The stacked generating features of all RSA images, standardised with `stats`.
pub(super) fn features(stimuli: &[Vec<Stimulus>], stats: &ColumnStats) -> Array2<f64> {
    let all: Vec<&Stimulus> = stimuli.iter().flatten().collect();
    let images: Vec<_> = all.iter().map(|x| x.image.clone()).collect();
    let scenes: Vec<_> = all.iter().map(|x| x.scene.clone()).collect();
    apply_column_stats(super::generating_features(&images, &scenes), stats)
}

/// The noise ceiling of one set and ROI, as the manifest records it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RsaCeiling {
    /// Image set.
    pub image_set: String,
    /// Target ROI.
    pub roi: String,
    /// Upper bound (mean squared Spearman with the mean of all subjects).
    pub upper: f64,
    /// Lower bound (with the mean of the other subjects).
    pub lower: Option<f64>,
}

/// `subjects x n x n` stack of square RDMs, C order.
fn stack(rdms: &[&Rdm]) -> Array3<f64> {
    let n = rdms[0].n();
    let mut out = Array3::zeros((rdms.len(), n, n));
    for (k, r) in rdms.iter().enumerate() {
        out.slice_mut(s![k, .., ..]).assign(&r.to_square());
    }
    out
}

/// Writes the benchmark folder into `dir` and returns the noise ceilings of every set and ROI.
pub(super) fn write(
    dir: &Path,
    cfg: &SynthConfig,
    stimuli: &[Vec<Stimulus>],
    subjects: &[SubjectRdms],
) -> Result<Vec<RsaCeiling>> {
    let root = |set: &str| crate::benchmark::algonauts2019::set_dir(dir, set);
    let mut ceilings = Vec::new();
    for (k, ((set, _), images)) in SETS.iter().zip(stimuli).enumerate() {
        let image_dir = root(set).join(format!("{set}images"));
        create_dir(&image_dir)?;
        let pngs: Vec<Vec<u8>> = images
            .par_iter()
            .map(|x| png_bytes(&x.image, "synthetic image"))
            .collect::<Result<_>>()?;
        for (i, png) in pngs.iter().enumerate() {
            write_bytes(&image_dir.join(format!("image_{:03}.png", i + 1)), png)?;
        }
        let stacks: Vec<(String, Array3<f64>)> = ROIS
            .iter()
            .enumerate()
            .map(|(r, (roi, _))| {
                let rdms: Vec<&Rdm> = subjects.iter().map(|s| &s.measured[k][r]).collect();
                let nc = rdm_noise_ceiling(&rdms.iter().map(|&r| r.clone()).collect::<Vec<_>>())?;
                ceilings.push(RsaCeiling {
                    image_set: set.to_string(),
                    roi: roi.to_string(),
                    upper: nc.upper,
                    lower: nc.lower,
                });
                Ok((format!("{roi}_RDMs"), stack(&rdms)))
            })
            .collect::<Result<_>>()?;
        let variables: Vec<mat5::Variable> = stacks
            .iter()
            .map(|(name, a)| mat5::Variable {
                name,
                dims: a.shape(),
                data: a.as_slice().expect("C order"),
            })
            .collect();
        write_bytes(
            &root(set).join("target_fmri.mat"),
            &mat5::to_bytes(&variables),
        )?;
    }
    let truth = dir.join("synthetic_truth");
    create_dir(&truth)?;
    for (r, (roi, _)) in ROIS.iter().enumerate() {
        let rdms: Vec<&Rdm> = subjects.iter().map(|s| &s.signal[r]).collect();
        write_npy(
            &truth.join(format!("{roi}_test_signal_RDMs.npy")),
            stack(&rdms).view(),
        )?;
    }
    let manifest = serde_json::json!({
        "benchmark": DIR_NAME,
        "generator": "brainbench synthetic-cortex",
        "generator_version": GENERATOR_VERSION,
        "layout": "algonauts2019",
        "config": cfg,
        "image_sets": SETS.iter().map(|(s, n)| serde_json::json!({"name": s, "images": n})).collect::<Vec<_>>(),
        "rois": ROIS.iter().map(|(roi, stream)| serde_json::json!({"name": roi, "streams": stream})).collect::<Vec<_>>(),
        "trials_per_image": 1,
        "subjects": subjects.len(),
        "noise_ceilings": ceilings,
        "extra_files": {
            "synthetic_truth/<ROI>_test_signal_RDMs.npy": "float64 (subjects, 78, 78): 1 - Pearson r of the noiseless test patterns sqrt(f) * signal",
        },
    });
    let text = serde_json::to_string_pretty(&manifest).expect("JSON of plain values") + "\n";
    write_bytes(&dir.join(format!("{DIR_NAME}.json")), text.as_bytes())?;
    Ok(ceilings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_ranges_tile_the_stacked_images() {
        let r = set_ranges();
        assert_eq!(r, [0..92, 92..210, 210..288]);
    }

    #[test]
    fn rsa_stimuli_do_not_depend_on_the_encoding_sizes() {
        let a = stimuli(&SynthConfig::small(3));
        let b = stimuli(&SynthConfig {
            n_train: 100,
            ..SynthConfig::small(3)
        });
        assert_eq!(a.len(), SETS.len());
        for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
            assert_eq!(x.image, y.image);
        }
        let c = stimuli(&SynthConfig::small(4));
        assert_ne!(a[2][0].image, c[2][0].image);
    }
}
