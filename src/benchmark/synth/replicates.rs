//! Replicate test sets from the same simulated subjects: new images, new trials and new noise,
//! with the subjects' tuning, signal fractions, ROI labels and training data held fixed. This is
//! what a coverage study needs: the score a model would get on any test set is known in
//! distribution, so the share of intervals that cover the score on a much larger set can be
//! counted (see `docs/intervals.md`).
//!
//! [`Population::new`] replays [`super::generate`]'s random draws for the subjects of a
//! [`SynthConfig`], so its subjects are those of the files `bench data synth` writes with the
//! same configuration. [`Population::draw`] then renders `n` new scenes, draws how often each
//! is shown (3, 2 or 1 times in the configured shares) and their trial-averaged responses in
//! the population's standardisation:
//!
//! ```text
//! measured[i, v] = sqrt(f_v) signal_v(i) + sqrt(1 − f_v) ε̄_iv,    ε̄_iv ~ N(0, 1 / k_i)
//! ```
//!
//! that is, the session model of `trials.rs` without its per-session z-scoring. That
//! normalisation centres every vertex on the mean of the images of its session; a replicate of
//! only test images would be one short session, and its mean would add an effect of the test
//! set's size that no resampling of images can see (in the benchmark, sessions of 750 trials are
//! mostly training images, so the effect is small there).
//!
//! Features and signals of new images are standardised with the constants of the benchmark's
//! own images (training and test), so a vertex's signal keeps unit variance in the population
//! rather than being re-standardised on each test set.

use ndarray::{Array2, ArrayView2, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::cortex::{Cortex, SubjectTraits};
use super::trials::{self, Schedule};
use super::{rng_for, stimuli, Scene, SynthConfig, STREAM_SUBJECT};
use crate::benchmark::algonauts2023::Hemisphere;

/// The models scored on every replicate: fixed functions of the image, from perfect to poor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplicateModel {
    /// The noiseless responses `sqrt(f_v) signal_v(image)`: the best any model can do.
    Truth,
    /// The truth plus an equally strong signal from a wrong, fixed tuning:
    /// `sqrt(f_v) (signal_v + signal'_v)`, `signal'` from random unit weights drawn once per
    /// vertex. Correlates about 0.7 with the truth.
    WrongTuning,
    /// The `pixel-neighbours-synthetic` baseline: the mean training response of the 10
    /// training images nearest in pixel space (Pearson of 16 x 16 RGB thumbnails).
    PixelNeighbours,
}

impl ReplicateModel {
    /// Every model, from best to worst.
    pub const ALL: [ReplicateModel; 3] = [Self::Truth, Self::WrongTuning, Self::PixelNeighbours];

    /// Short name for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Truth => "truth",
            Self::WrongTuning => "wrong-tuning",
            Self::PixelNeighbours => "pixel-neighbours",
        }
    }
}

/// Per-column mean and standard deviation (ddof 0); a column with sd <= 1e-12 maps to 0.
#[derive(Debug, Clone)]
struct Standardiser {
    mean: Vec<f64>,
    sd: Vec<f64>,
}

impl Standardiser {
    fn fit(x: ArrayView2<f64>) -> Self {
        let n = x.nrows() as f64;
        let (mut mean, mut sd) = (Vec::new(), Vec::new());
        for c in x.columns() {
            let m = c.sum() / n;
            mean.push(m);
            sd.push((c.iter().map(|v| (v - m).powi(2)).sum::<f64>() / n).sqrt());
        }
        Standardiser { mean, sd }
    }

    fn apply(&self, mut x: Array2<f64>) -> Array2<f64> {
        for (mut c, (m, s)) in x
            .columns_mut()
            .into_iter()
            .zip(self.mean.iter().zip(&self.sd))
        {
            c.mapv_inplace(|v| if *s > 1e-12 { (v - m) / s } else { 0.0 });
        }
        x
    }
}

/// One fixed hemisphere of the population.
struct FixedHemisphere {
    weights: Array2<f64>,
    wrong_weights: Array2<f64>,
    signal: Standardiser,
    wrong_signal: Standardiser,
    fraction: Vec<f64>,
    labels: Vec<(String, Vec<i32>)>,
    train: Array2<f32>,
}

/// The fixed subjects of a synthetic cortex, from which test sets are drawn.
pub struct Population {
    cfg: SynthConfig,
    features: Standardiser,
    train_thumbnails: Array2<f64>,
    subjects: Vec<Vec<FixedHemisphere>>,
}

/// One subject and hemisphere of a drawn test set.
pub struct TestBlock {
    /// Measured (trial-averaged, session z-scored) responses, (images x vertices).
    pub measured: Array2<f32>,
    /// The true noise ceiling of every vertex for this set's trial counts (devkit formula on
    /// the true ncsnr), a fraction in [0, 1].
    pub true_nc: Vec<f64>,
    /// Each model's predictions, (images x vertices), in [`ReplicateModel::ALL`] order.
    pub predictions: Vec<Array2<f32>>,
    /// Labels per official ROI set, as in `roi_masks/` (label = index + 1 into the set's names).
    pub labels: Vec<(String, Vec<i32>)>,
}

/// A drawn test set: blocks per subject (`[lh, rh]`), all subjects seeing the same images.
pub struct TestSet {
    /// Number of images.
    pub n_images: usize,
    /// `blocks[s][h]`: subject s, hemisphere h (lh, rh).
    pub blocks: Vec<Vec<TestBlock>>,
    /// 32 x 32 RGB thumbnails of the images in [0, 1], (images x 3072): the pixel RDM model.
    pub thumbnails: Array2<f64>,
}

/// Stream of the replicate draws: far above the generator's own streams.
const STREAM_REPLICATE: u64 = 1 << 40;

fn thumbnails(images: &[image::RgbImage], side: u32) -> Array2<f64> {
    let rows: Vec<Vec<f64>> = images
        .par_iter()
        .map(|img| {
            image::imageops::resize(img, side, side, image::imageops::FilterType::Lanczos3)
                .as_raw()
                .iter()
                .map(|&v| f64::from(v) / 255.0)
                .collect()
        })
        .collect();
    let w = (side * side * 3) as usize;
    Array2::from_shape_vec((rows.len(), w), rows.concat()).expect("equal thumbnail sizes")
}

/// A fixed random unit vector per column (the wrong tuning), from its own stream.
fn wrong_weights(rng: &mut ChaCha8Rng, rows: usize, cols: usize) -> Array2<f64> {
    use rand::RngExt;
    let mut w = Array2::from_shape_fn((rows, cols), |_| rng.random::<f64>() - 0.5);
    for mut c in w.columns_mut() {
        let norm = c.dot(&c).sqrt();
        c /= norm;
    }
    w
}

impl Population {
    /// The subjects of `cfg` (same draws as [`super::generate`]), their training data and the
    /// standardisation constants of the benchmark's own images.
    ///
    /// # Errors
    /// [`super::SynthError::Config`] for an invalid configuration.
    pub fn new(cfg: &SynthConfig) -> super::Result<Population> {
        cfg.check()?;
        let stim = stimuli(cfg);
        let (train_f, test_f) = stim.generating_features();
        let raw = ndarray::concatenate(Axis(0), &[train_f.view(), test_f.view()])
            .expect("equal feature widths");
        let features = Standardiser::fit(raw.view());
        let std_features = features.apply(raw);
        let subjects = (0..cfg.n_subjects)
            .into_par_iter()
            .map(|s| fixed_subject(cfg, s, std_features.view()))
            .collect();
        let train_images: Vec<image::RgbImage> =
            stim.train.iter().map(|x| x.image.clone()).collect();
        Ok(Population {
            cfg: cfg.clone(),
            features,
            train_thumbnails: crate::reference::baselines::standardise_rows(thumbnails(
                &train_images,
                16,
            )),
            subjects,
        })
    }

    /// Number of subjects.
    pub fn n_subjects(&self) -> usize {
        self.subjects.len()
    }

    /// Draws test set `replicate` of `n_images` new images: new scenes, a new trial schedule
    /// (shares of 2- and 1-trial images as configured) and new noise, for every subject.
    /// Deterministic in `(cfg.seed, replicate, n_images)`.
    pub fn draw(&self, n_images: usize, replicate: u64) -> TestSet {
        let base = STREAM_REPLICATE + (replicate << 8);
        let mut rng = rng_for(self.cfg.seed, base);
        let scenes: Vec<Scene> = (0..n_images).map(|_| Scene::sample(&mut rng)).collect();
        let images: Vec<image::RgbImage> = scenes
            .par_iter()
            .map(|s| s.render(self.cfg.image_size))
            .collect();
        let features = self
            .features
            .apply(super::generating_features(&images, &scenes));
        let neighbours = crate::reference::baselines::nearest_standardised(
            &crate::reference::baselines::standardise_rows(thumbnails(&images, 16)),
            &self.train_thumbnails,
            10,
        );
        let blocks = self
            .subjects
            .par_iter()
            .enumerate()
            .map(|(s, hemis)| {
                let mut rng = rng_for(self.cfg.seed, base + 1 + s as u64);
                let schedule = Schedule::sample(
                    &mut rng,
                    0,
                    n_images,
                    self.cfg.share_two_trials,
                    self.cfg.share_one_trial,
                    self.cfg.trials_per_session,
                );
                // The devkit's (A/3 + B/2 + C/1) / n, from the counts (not summed in the
                // shuffled order, so that equal counts give bit-equal ceilings).
                let count = |k| schedule.test_trials.iter().filter(|&&t| t == k).count() as f64;
                let norm = (count(3) / 3.0 + count(2) / 2.0 + count(1)) / n_images as f64;
                hemis
                    .iter()
                    .map(|h| test_block(h, features.view(), &schedule, norm, &neighbours, &mut rng))
                    .collect()
            })
            .collect();
        TestSet {
            n_images,
            blocks,
            thumbnails: thumbnails(&images, 32),
        }
    }
}

fn test_block(
    h: &FixedHemisphere,
    features: ArrayView2<f64>,
    schedule: &Schedule,
    norm: f64,
    neighbours: &[Vec<usize>],
    rng: &mut ChaCha8Rng,
) -> TestBlock {
    let signal = h.signal.apply(features.dot(&h.weights));
    let wrong = h.wrong_signal.apply(features.dot(&h.wrong_weights));
    let scale: Vec<f64> = h.fraction.iter().map(|f| f.sqrt()).collect();
    let noise: Vec<f64> = h.fraction.iter().map(|f| (1.0 - f).sqrt()).collect();
    let root_k: Vec<f64> = schedule
        .test_trials
        .iter()
        .map(|&k| (k as f64).sqrt())
        .collect();
    let mut normal = super::trials::Normal::default();
    let measured = Array2::from_shape_fn(signal.dim(), |(i, v)| {
        (scale[v] * signal[[i, v]] + noise[v] * normal.sample(rng) / root_k[i]) as f32
    });
    let truth = Array2::from_shape_fn(signal.dim(), |(i, v)| (scale[v] * signal[[i, v]]) as f32);
    let wrong_tuning = Array2::from_shape_fn(signal.dim(), |(i, v)| {
        (scale[v] * (signal[[i, v]] + wrong[[i, v]])) as f32
    });
    let mut pixel = Array2::<f32>::zeros(signal.dim());
    for (mut row, idx) in pixel.outer_iter_mut().zip(neighbours) {
        for &i in idx {
            row += &h.train.row(i);
        }
        row /= idx.len() as f32;
    }
    TestBlock {
        measured,
        true_nc: h
            .fraction
            .iter()
            .map(|&f| f / (f + (1.0 - f) * norm))
            .collect(),
        predictions: vec![truth, wrong_tuning, pixel],
        labels: h.labels.clone(),
    }
}

/// Replays `simulate_subject`'s draws for subject `s`, keeping what stays fixed.
fn fixed_subject(cfg: &SynthConfig, s: usize, features: ArrayView2<f64>) -> Vec<FixedHemisphere> {
    use rand::RngExt;
    let mut rng = rng_for(cfg.seed, STREAM_SUBJECT + s as u64);
    let traits = SubjectTraits::sample(&mut rng, cfg.zero_signal_share);
    let schedule = Schedule::sample(
        &mut rng,
        cfg.n_train,
        cfg.n_test,
        cfg.share_two_trials,
        cfg.share_one_trial,
        cfg.trials_per_session,
    );
    let mut wrong_rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x5eed_0000 ^ s as u64);
    [Hemisphere::Lh, Hemisphere::Rh]
        .into_iter()
        .map(|hemisphere| {
            let jitter = rng.random_range(0.9..1.1);
            let n = (cfg.vertices_per_hemisphere as f64 * jitter).round() as usize;
            let cortex = Cortex::sample(&mut rng, &traits, hemisphere, n);
            let raw = features.dot(&cortex.weights);
            let signal = Standardiser::fit(raw.view());
            let std_signal = signal.apply(raw);
            let m = trials::simulate(
                &mut rng,
                &schedule,
                std_signal.view(),
                &cortex.signal_fraction,
                cfg.n_train,
            );
            let wrong_weights = wrong_weights(&mut wrong_rng, features.ncols(), n);
            let wrong_signal = Standardiser::fit(features.dot(&wrong_weights).view());
            FixedHemisphere {
                weights: cortex.weights,
                wrong_weights,
                signal,
                wrong_signal,
                fraction: cortex.signal_fraction,
                labels: cortex.labels,
                train: m.train,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicates_share_subjects_and_differ_in_images() {
        let cfg = SynthConfig::small(5);
        let pop = Population::new(&cfg).unwrap();
        let a = pop.draw(30, 0);
        let b = pop.draw(30, 1);
        assert_eq!(pop.n_subjects(), 2);
        assert_eq!(a.blocks[0][0].measured.dim(), b.blocks[0][0].measured.dim());
        assert_ne!(a.blocks[0][0].measured, b.blocks[0][0].measured);
        assert_eq!(a.blocks[1][1].true_nc, b.blocks[1][1].true_nc);
        assert_eq!(
            a.blocks[0][0].measured,
            pop.draw(30, 0).blocks[0][0].measured
        );
        // The truth predicts the measured responses far better than chance on signal vertices.
        let blk = &a.blocks[0][0];
        let r = crate::metrics::correlation::pearson_columns(
            blk.predictions[0].view(),
            blk.measured.view(),
        )
        .unwrap();
        let good: Vec<f64> = r
            .iter()
            .zip(&blk.true_nc)
            .filter(|(_, &nc)| nc > 0.3)
            .map(|(r, _)| r.unwrap())
            .collect();
        let mean = good.iter().sum::<f64>() / good.len() as f64;
        assert!(mean > 0.4, "{mean}");
    }
}
