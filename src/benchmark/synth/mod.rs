//! The `synthetic-cortex` benchmark data: a small simulated visual cortex whose ground truth is
//! known, written in exactly the official Algonauts 2023 layout so that one loader
//! ([`crate::benchmark::algonauts2023`]) serves both it and the real download.
//!
//! [`generate`] writes `data_dir/synthetic-cortex/`:
//!
//! ```text
//! synthetic-cortex.json                                   manifest: seed, generator version, sizes
//! subjNN/training_split/training_images/train-0001_nsd-XXXXX.png ...
//! subjNN/training_split/training_fmri/{lh,rh}_training_fmri.npy      float32 (train images, vertices)
//! subjNN/test_split/test_images/test-0001_nsd-XXXXX.png ...
//! subjNN/roi_masks/{lh,rh}.<roi-set>_challenge_space.npy              int32 (vertices,), 0 = none
//! subjNN/roi_masks/mapping_<roi-set>.npy                              pickled dict label -> name
//! held out (the truth):
//! subjNN/test_split/test_fmri/{lh,rh}_test_fmri.npy                   float32 (test images, vertices)
//! subjNN/test_split/noise_ceiling/{lh,rh}_noise_ceiling.npy           float64 (vertices,), in [0, 1]
//! not part of the official layout (the simulation's own truth):
//! subjNN/synthetic_truth/{lh,rh}_true_noise_ceiling.npy   float64: NC from the true signal/noise variances
//! subjNN/synthetic_truth/{lh,rh}_test_signal.npy          float32: noiseless test responses
//! subjNN/synthetic_truth/{lh,rh}_test_trials.npy          float32 (test trials, vertices), z-scored single trials
//! subjNN/synthetic_truth/test_trial_images.npy            int64 (test trials,): 0-based test image of each trial
//! subjNN/synthetic_truth/rdms/<roi-set>_<roi>.npy         float64 (test, test): 1 - Pearson of the test responses
//! ```
//!
//! The noise ceiling in `noise_ceiling/` is *estimated* from the test trials by the devkit formula
//! ([`crate::metrics::noise_ceiling`]); `true_noise_ceiling` is the same formula applied to the
//! simulation's true ncsnr `sqrt(f / (1 - f))`. The ROI RDMs pool both hemispheres' vertices of
//! each named ROI and use the measured (trial-averaged) test responses, as a real subject RDM
//! would. See [`scene`] for the images, [`features`] for the generating features, `cortex.rs`
//! for the tuning of each ROI and `trials.rs` for the session model.
//!
//! The same run writes the RSA side, `data_dir/synthetic-cortex-rsa/` in the Algonauts 2019
//! layout, from the same subjects (see [`rsa`]).
//!
//! Generation is deterministic: the same [`SynthConfig`] gives byte-identical files.

mod cortex;
pub mod features;
mod mat5;
pub mod replicates;
pub mod rsa;
pub mod scene;
mod trials;

use crate::benchmark::algonauts2023::{Hemisphere, ROI_SETS};
use crate::io::IoError;
use crate::metrics::noise_ceiling::{ncsnr, noise_ceiling, TotalVariance, TrialResponses};
use crate::metrics::rdm::{Dissimilarity, Rdm};
use crate::metrics::MetricsError;
use cortex::{Cortex, SubjectTraits};
pub use features::generating_features;
use image::RgbImage;
use ndarray::{concatenate, Array1, Array2, ArrayView2, Axis};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
pub use scene::{Category, Scene, CATEGORIES};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Name of the benchmark folder inside the data directory.
pub const DIR_NAME: &str = "synthetic-cortex";
/// Version of the generator; bumped whenever the same seed would give different data.
pub const GENERATOR_VERSION: u32 = 1;

/// Sizes and seed of a synthetic cortex. [`Default`] is the benchmark's configuration.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SynthConfig {
    /// Seed of every random choice (default 0).
    pub seed: u64,
    /// Number of subjects, `subj01` .. (default 4).
    pub n_subjects: usize,
    /// Training images (default 1000).
    pub n_train: usize,
    /// Test images (default 150).
    pub n_test: usize,
    /// Image side in pixels, a multiple of 16 (default 64).
    pub image_size: u32,
    /// Typical vertices per hemisphere; each hemisphere gets up to 10 % more or fewer
    /// (default 2500).
    pub vertices_per_hemisphere: usize,
    /// Share of test images shown only twice (default 0.2).
    pub share_two_trials: f64,
    /// Share of test images shown only once (default 0.1).
    pub share_one_trial: f64,
    /// Share of ROI vertices with no signal at all, pure noise (default 0.08).
    pub zero_signal_share: f64,
    /// Trials per scanning session; each session is z-scored on its own (default 750, as NSD).
    pub trials_per_session: usize,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            seed: 0,
            n_subjects: 4,
            n_train: 1000,
            n_test: 150,
            image_size: 64,
            vertices_per_hemisphere: 2500,
            share_two_trials: 0.2,
            share_one_trial: 0.1,
            zero_signal_share: 0.08,
            trials_per_session: 750,
        }
    }
}

impl SynthConfig {
    /// A small configuration (2 subjects, 200 + 60 images of 32 px, 400 vertices) that
    /// generates in well under a second, for tests.
    pub fn small(seed: u64) -> Self {
        SynthConfig {
            seed,
            n_subjects: 2,
            n_train: 200,
            n_test: 60,
            image_size: 32,
            vertices_per_hemisphere: 400,
            trials_per_session: 250,
            ..Self::default()
        }
    }

    /// Checks every field, naming the first bad one.
    ///
    /// # Errors
    /// [`SynthError::Config`] with the field, its value and the allowed range.
    pub fn check(&self) -> Result<()> {
        let bad = |field: &'static str, value: String, expected: &'static str| {
            Err(SynthError::Config {
                field,
                value,
                expected,
            })
        };
        if !(1..=99).contains(&self.n_subjects) {
            return bad(
                "n_subjects",
                self.n_subjects.to_string(),
                "1 to 99 (subj01 .. subj99)",
            );
        }
        if !(1..=9999).contains(&self.n_train) {
            return bad("n_train", self.n_train.to_string(), "1 to 9999");
        }
        if !(3..=9999).contains(&self.n_test) {
            return bad("n_test", self.n_test.to_string(), "3 to 9999");
        }
        if self.n_train + self.n_test > 73_000 {
            return bad(
                "n_train + n_test",
                (self.n_train + self.n_test).to_string(),
                "at most 73000 (the NSD image ids)",
            );
        }
        if self.image_size < 32 || self.image_size > 512 || self.image_size % 16 != 0 {
            return bad(
                "image_size",
                self.image_size.to_string(),
                "a multiple of 16 in 32..=512",
            );
        }
        if self.vertices_per_hemisphere < 100 {
            return bad(
                "vertices_per_hemisphere",
                self.vertices_per_hemisphere.to_string(),
                "at least 100 (every ROI needs vertices)",
            );
        }
        let shares = [self.share_two_trials, self.share_one_trial];
        if shares.iter().any(|s| !(0.0..=1.0).contains(s)) || shares.iter().sum::<f64>() > 0.8 {
            return bad(
                "share_two_trials + share_one_trial",
                format!("{} + {}", self.share_two_trials, self.share_one_trial),
                "each in [0, 1] and together at most 0.8 (images with repeats measure the noise)",
            );
        }
        if !(0.0..=1.0).contains(&self.zero_signal_share) {
            return bad(
                "zero_signal_share",
                self.zero_signal_share.to_string(),
                "a fraction in [0, 1]",
            );
        }
        if self.trials_per_session < 10 {
            return bad(
                "trials_per_session",
                self.trials_per_session.to_string(),
                "at least 10 (each session is z-scored on its own)",
            );
        }
        Ok(())
    }
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A configuration field is out of range.
    #[error("synthetic-cortex configuration: {field} = {value}; expected {expected}")]
    Config {
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
        /// The allowed values.
        expected: &'static str,
    },
    /// Writing a file or folder failed.
    #[error(transparent)]
    Io(#[from] IoError),
    /// A metric could not be computed (an internal error: the simulation guarantees valid input).
    #[error("synthetic-cortex: {0}")]
    Metrics(#[from] MetricsError),
    /// The data folder holds a synthetic cortex made with another seed or generator version.
    #[error("{path}: holds the synthetic cortex of {found}, not of {wanted}\n  hint: pass --force to regenerate it (the folder is replaced), or --data-dir to generate elsewhere")]
    DifferentData {
        /// The existing data's manifest.
        path: PathBuf,
        /// Its seed and generator version, in words.
        found: String,
        /// The ones asked for.
        wanted: String,
    },
}

impl SynthError {
    /// The exit status this error maps to.
    pub fn exit_status(&self) -> crate::ExitStatus {
        match self {
            SynthError::Metrics(_) => crate::ExitStatus::Internal,
            _ => crate::ExitStatus::InvalidInput,
        }
    }
}

/// What [`ensure`] found or did.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum SynthOutcome {
    /// Data of the same seed and generator version was already there and is kept.
    UpToDate {
        /// The benchmark folder.
        root: PathBuf,
        /// Its seed.
        seed: u64,
    },
    /// The data was generated now.
    Generated(SynthReport),
}

/// The seed and generator version recorded in an existing `synthetic-cortex.json`, if readable.
fn recorded_seed_and_version(manifest: &Path) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(manifest).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some((
        json["config"]["seed"].as_u64()?,
        json["generator_version"].as_u64()?,
    ))
}

/// Makes sure `data_dir/synthetic-cortex` and `data_dir/synthetic-cortex-rsa` hold the data of
/// `cfg`: keeps existing data whose recorded seed and generator version match, generates both
/// when either is absent (data made before the RSA side existed) or when `force` is set, and
/// refuses ([`SynthError::DifferentData`]) to replace data of another seed or version.
/// Only the seed is compared: the other sizes are the benchmark's and fixed by the version.
pub fn ensure(data_dir: &Path, cfg: &SynthConfig, force: bool) -> Result<SynthOutcome> {
    let root = data_dir.join(DIR_NAME);
    let mut present = 0;
    for name in [DIR_NAME, rsa::DIR_NAME] {
        let dir = data_dir.join(name);
        if !dir.exists() || force {
            continue;
        }
        let manifest = dir.join(format!("{name}.json"));
        let wanted = (cfg.seed, u64::from(GENERATOR_VERSION));
        let describe =
            |(seed, version): (u64, u64)| format!("seed {seed} (generator version {version})");
        match recorded_seed_and_version(&manifest) {
            Some(found) if found == wanted => present += 1,
            found => {
                return Err(SynthError::DifferentData {
                    path: manifest,
                    found: found.map_or_else(
                        || "an unknown seed (its manifest is missing or unreadable)".into(),
                        describe,
                    ),
                    wanted: describe(wanted),
                })
            }
        }
    }
    if present == 2 {
        return Ok(SynthOutcome::UpToDate {
            root,
            seed: cfg.seed,
        });
    }
    generate(data_dir, cfg).map(SynthOutcome::Generated)
}

/// Result alias of this module.
pub type Result<T> = std::result::Result<T, SynthError>;

/// One image shown to the subjects: its NSD-style id, the scene and its rendering.
#[derive(Debug, Clone)]
pub struct Stimulus {
    /// The id in the file name `..._nsd-XXXXX.png` (distinct, in 0..73000).
    pub nsd_id: u32,
    /// What the image shows.
    pub scene: Scene,
    /// The image.
    pub image: RgbImage,
}

/// The training and test images of a configuration (shared by all subjects).
#[derive(Debug, Clone)]
pub struct Stimuli {
    /// Training images in file order.
    pub train: Vec<Stimulus>,
    /// Test images in file order.
    pub test: Vec<Stimulus>,
}

impl Stimuli {
    /// Generating features of the training and test images (rows in file order): the true
    /// feature vectors the simulated responses are linear in (after standardisation).
    pub fn generating_features(&self) -> (Array2<f64>, Array2<f64>) {
        let f = |s: &[Stimulus]| {
            let images: Vec<RgbImage> = s.iter().map(|x| x.image.clone()).collect();
            let scenes: Vec<Scene> = s.iter().map(|x| x.scene.clone()).collect();
            generating_features(&images, &scenes)
        };
        (f(&self.train), f(&self.test))
    }
}

/// Random-stream numbers, so that each part of the simulation draws from its own stream.
const STREAM_STIMULI: u64 = 1;
const STREAM_SUBJECT: u64 = 1000;

fn rng_for(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// The images of `cfg`, rendered in parallel. Deterministic in `cfg.seed`.
pub fn stimuli(cfg: &SynthConfig) -> Stimuli {
    let mut rng = rng_for(cfg.seed, STREAM_STIMULI);
    let n = cfg.n_train + cfg.n_test;
    let mut ids = std::collections::BTreeSet::new();
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        let id = rng.random_range(0..73_000u32);
        if ids.insert(id) {
            order.push(id);
        }
    }
    let scenes: Vec<Scene> = (0..n).map(|_| Scene::sample(&mut rng)).collect();
    let mut all: Vec<Stimulus> = scenes
        .into_par_iter()
        .zip(order)
        .map(|(scene, nsd_id)| Stimulus {
            nsd_id,
            image: scene.render(cfg.image_size),
            scene,
        })
        .collect();
    let test = all.split_off(cfg.n_train);
    Stimuli { train: all, test }
}

/// What [`generate`] made, with the agreement of the estimated and the true noise ceilings.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SynthReport {
    /// The folder written (`data_dir/synthetic-cortex`).
    pub root: PathBuf,
    /// The RSA benchmark's folder (`data_dir/synthetic-cortex-rsa`).
    pub rsa_root: PathBuf,
    /// The configuration used.
    pub config: SynthConfig,
    /// Per subject.
    pub subjects: Vec<SubjectReport>,
    /// RDM noise ceilings of the RSA benchmark, per image set and ROI.
    pub rsa_ceilings: Vec<rsa::RsaCeiling>,
}

/// One simulated subject.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SubjectReport {
    /// `subjNN`.
    pub name: String,
    /// Vertices of lh and rh.
    pub vertices: [usize; 2],
    /// Test images with 3, 2 and 1 trials (A, B, C of the devkit formula).
    pub test_images_by_trials: [usize; 3],
    /// Pearson r over all vertices between the estimated and the true noise ceiling.
    pub nc_correlation: f64,
    /// Mean of (estimated - true) noise ceiling over all vertices.
    pub nc_mean_error: f64,
    /// Mean absolute difference between the estimated and the true noise ceiling.
    pub nc_mean_abs_error: f64,
}

/// One simulated hemisphere, ready to write.
struct HemisphereData {
    hemisphere: Hemisphere,
    labels: Vec<(String, Vec<i32>)>,
    train: Array2<f32>,
    test: Array2<f32>,
    test_trials: Array2<f32>,
    test_signal: Array2<f32>,
    nc: Vec<f64>,
    true_nc: Vec<f64>,
}

struct SubjectData {
    name: String,
    hemispheres: Vec<HemisphereData>,
    /// What the RSA side needs of each hemisphere.
    tuning: Vec<rsa::HemisphereTuning>,
    test_image_of_trial: Vec<usize>,
    test_trials: Vec<usize>,
}

/// Mean and standard deviation (ddof 0) of every column.
type ColumnStats = Vec<(f64, f64)>;

fn column_stats(x: &Array2<f64>) -> ColumnStats {
    x.columns()
        .into_iter()
        .map(|c| {
            let n = c.len() as f64;
            let mean = c.sum() / n;
            let sd = (c.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            (mean, sd)
        })
        .collect()
}

/// `(x - mean) / sd` of every column with the given statistics; columns of (near) zero sd
/// become 0. Kept apart from [`column_stats`] so that new images (the RSA sets) can be put on the
/// scale of the encoding images.
fn apply_column_stats(mut x: Array2<f64>, stats: &ColumnStats) -> Array2<f64> {
    for (mut c, &(mean, sd)) in x.columns_mut().into_iter().zip(stats) {
        c.mapv_inplace(|v| if sd > 1e-12 { (v - mean) / sd } else { 0.0 });
    }
    x
}

fn simulate_subject(cfg: &SynthConfig, s: usize, features: ArrayView2<f64>) -> Result<SubjectData> {
    let mut rng = rng_for(cfg.seed, STREAM_SUBJECT + s as u64);
    let traits = SubjectTraits::sample(&mut rng, cfg.zero_signal_share);
    let schedule = trials::Schedule::sample(
        &mut rng,
        cfg.n_train,
        cfg.n_test,
        cfg.share_two_trials,
        cfg.share_one_trial,
        cfg.trials_per_session,
    );
    let norm = schedule
        .test_trials
        .iter()
        .map(|&k| 1.0 / k as f64)
        .sum::<f64>()
        / cfg.n_test as f64;
    let mut hemispheres = Vec::new();
    let mut tuning = Vec::new();
    let mut image_of_trial = Vec::new();
    for hemisphere in [Hemisphere::Lh, Hemisphere::Rh] {
        let jitter = rng.random_range(0.9..1.1);
        let n = (cfg.vertices_per_hemisphere as f64 * jitter).round() as usize;
        let cortex = Cortex::sample(&mut rng, &traits, hemisphere, n);
        let raw = features.dot(&cortex.weights);
        let stats = column_stats(&raw);
        tuning.push(rsa::HemisphereTuning::new(&cortex, &stats));
        let signal = apply_column_stats(raw, &stats);
        let m = trials::simulate(
            &mut rng,
            &schedule,
            signal.view(),
            &cortex.signal_fraction,
            cfg.n_train,
        );
        let trials = TrialResponses::new(m.test_trials.view(), &m.test_image_of_trial)?;
        let nc = noise_ceiling(
            &ncsnr(&trials, TotalVariance::ZScored)?,
            &schedule.test_trials,
        )?;
        let true_nc = cortex
            .signal_fraction
            .iter()
            .map(|&f| f / (f + (1.0 - f) * norm))
            .collect();
        let mut test_signal = signal.slice(ndarray::s![cfg.n_train.., ..]).to_owned();
        for (mut c, f) in test_signal
            .columns_mut()
            .into_iter()
            .zip(&cortex.signal_fraction)
        {
            c.mapv_inplace(|x| x * f.sqrt());
        }
        image_of_trial = m.test_image_of_trial;
        hemispheres.push(HemisphereData {
            hemisphere,
            labels: cortex.labels,
            train: m.train,
            test: m.test,
            test_trials: m.test_trials,
            test_signal: test_signal.mapv(|x| x as f32),
            nc,
            true_nc,
        });
    }
    Ok(SubjectData {
        name: format!("subj{:02}", s + 1),
        hemispheres,
        tuning,
        test_image_of_trial: image_of_trial,
        test_trials: schedule.test_trials,
    })
}

fn create_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|e| IoError::os(path, e).into())
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| IoError::os(path, e).into())
}

fn write_npy<T: crate::io::npy::Element, D: ndarray::Dimension>(
    path: &Path,
    a: ndarray::ArrayView<T, D>,
) -> Result<()> {
    write_bytes(path, &crate::io::npy::to_bytes(a.into_dyn()))
}

fn png_bytes(image: &RgbImage, name: &str) -> Result<Vec<u8>> {
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| IoError::Format {
            path: PathBuf::from(name),
            problem: format!("PNG encoding failed: {e}"),
            hint: "this is a bug in the generator; please report it".into(),
        })?;
    Ok(out.into_inner())
}

fn write_images(dir: &Path, prefix: &str, stimuli: &[Stimulus], pngs: &[Vec<u8>]) -> Result<()> {
    create_dir(dir)?;
    for (i, (s, png)) in stimuli.iter().zip(pngs).enumerate() {
        write_bytes(
            &dir.join(format!("{prefix}-{:04}_nsd-{:05}.png", i + 1, s.nsd_id)),
            png,
        )?;
    }
    Ok(())
}

fn write_subject(
    root: &Path,
    subject: &SubjectData,
    stimuli: &Stimuli,
    pngs: &[Vec<Vec<u8>>; 2],
) -> Result<()> {
    let dir = root.join(&subject.name);
    let train_dir = dir.join("training_split");
    let test_dir = dir.join("test_split");
    write_images(
        &train_dir.join("training_images"),
        "train",
        &stimuli.train,
        &pngs[0],
    )?;
    write_images(
        &test_dir.join("test_images"),
        "test",
        &stimuli.test,
        &pngs[1],
    )?;
    let paths = [
        "training_split/training_fmri",
        "test_split/test_fmri",
        "test_split/noise_ceiling",
        "roi_masks",
        "synthetic_truth/rdms",
    ];
    for p in paths {
        create_dir(&dir.join(p))?;
    }
    for h in &subject.hemispheres {
        let hs = h.hemisphere.as_str();
        write_npy(
            &train_dir.join(format!("training_fmri/{hs}_training_fmri.npy")),
            h.train.view(),
        )?;
        write_npy(
            &test_dir.join(format!("test_fmri/{hs}_test_fmri.npy")),
            h.test.view(),
        )?;
        write_npy(
            &test_dir.join(format!("noise_ceiling/{hs}_noise_ceiling.npy")),
            ndarray::ArrayView1::from(&h.nc),
        )?;
        let truth = dir.join("synthetic_truth");
        write_npy(
            &truth.join(format!("{hs}_true_noise_ceiling.npy")),
            ndarray::ArrayView1::from(&h.true_nc),
        )?;
        write_npy(
            &truth.join(format!("{hs}_test_signal.npy")),
            h.test_signal.view(),
        )?;
        write_npy(
            &truth.join(format!("{hs}_test_trials.npy")),
            h.test_trials.view(),
        )?;
        for (set, labels) in &h.labels {
            write_npy(
                &dir.join(format!("roi_masks/{hs}.{set}_challenge_space.npy")),
                ndarray::ArrayView1::from(labels),
            )?;
        }
    }
    let trial_images: Array1<i64> = subject
        .test_image_of_trial
        .iter()
        .map(|&i| i as i64)
        .collect();
    write_npy(
        &dir.join("synthetic_truth/test_trial_images.npy"),
        trial_images.view(),
    )?;
    for (set, names) in ROI_SETS {
        let mapping: BTreeMap<i64, String> = std::iter::once((0, "Unknown".to_string()))
            .chain(
                names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (i as i64 + 1, n.to_string())),
            )
            .collect();
        write_mapping(&dir.join("roi_masks"), set, &mapping)?;
    }
    write_rdms(&dir.join("synthetic_truth/rdms"), subject)
}

/// Writes `mapping_<set>.npy` as numpy would save the dict, exactly like the challenge's files.
fn write_mapping(dir: &Path, set: &str, mapping: &BTreeMap<i64, String>) -> Result<()> {
    Ok(crate::io::label_mapping::write_label_mapping(
        &dir.join(format!("mapping_{set}.npy")),
        mapping,
    )?)
}

/// ROI RDMs of the test images, both hemispheres' vertices of each named ROI pooled.
fn write_rdms(dir: &Path, subject: &SubjectData) -> Result<()> {
    for (k, (set, names)) in ROI_SETS.iter().enumerate() {
        for (i, name) in names.iter().enumerate() {
            let label = i as i32 + 1;
            let cols: Vec<(usize, usize)> = subject
                .hemispheres
                .iter()
                .enumerate()
                .flat_map(|(hi, h)| {
                    h.labels[k]
                        .1
                        .iter()
                        .enumerate()
                        .filter(move |(_, &l)| l == label)
                        .map(move |(v, _)| (hi, v))
                })
                .collect();
            let n_test = subject.hemispheres[0].test.nrows();
            let patterns = Array2::from_shape_fn((n_test, cols.len()), |(i, j)| {
                let (hi, v) = cols[j];
                subject.hemispheres[hi].test[[i, v]]
            });
            if patterns.ncols() < 2 {
                continue;
            }
            let rdm = Rdm::from_patterns(patterns.view(), Dissimilarity::Correlation)?;
            write_npy(
                &dir.join(format!("{set}_{name}.npy")),
                rdm.to_square().view(),
            )?;
        }
    }
    Ok(())
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    crate::metrics::correlation::pearson(x, y)
        .ok()
        .flatten()
        .unwrap_or(f64::NAN)
}

/// Generates the synthetic cortex of `cfg` into `data_dir/synthetic-cortex/` (encoding) and
/// `data_dir/synthetic-cortex-rsa/` (RSA, see [`rsa`]).
///
/// Everything is first written to temporary sibling folders, which are renamed into place at the
/// end (an existing folder is replaced only then), so an interrupted run never leaves a half
/// dataset. Subjects are simulated in parallel.
///
/// # Errors
/// [`SynthError::Config`] for a bad configuration, [`SynthError::Io`] naming the file that could
/// not be written.
pub fn generate(data_dir: &Path, cfg: &SynthConfig) -> Result<SynthReport> {
    cfg.check()?;
    create_dir(data_dir)?;
    let names = [DIR_NAME, rsa::DIR_NAME];
    let tmp = names.map(|n| data_dir.join(format!(".{n}.tmp-{}", std::process::id())));
    for t in &tmp {
        if t.exists() {
            std::fs::remove_dir_all(t).map_err(|e| IoError::os(t, e))?;
        }
        create_dir(t)?;
    }
    let (subjects, rsa_ceilings) = match generate_into(&tmp[0], &tmp[1], cfg) {
        Ok(made) => made,
        Err(e) => {
            for t in &tmp {
                let _ = std::fs::remove_dir_all(t);
            }
            return Err(e);
        }
    };
    for (name, t) in names.iter().zip(&tmp) {
        replace_dir(data_dir, name, t)?;
    }
    Ok(SynthReport {
        root: data_dir.join(DIR_NAME),
        rsa_root: data_dir.join(rsa::DIR_NAME),
        config: cfg.clone(),
        subjects,
        rsa_ceilings,
    })
}

/// Renames `tmp` to `data_dir/name`, moving an existing folder aside first and deleting it after.
fn replace_dir(data_dir: &Path, name: &str, tmp: &Path) -> Result<()> {
    let root = data_dir.join(name);
    let old = data_dir.join(format!(".{name}.old-{}", std::process::id()));
    if root.exists() {
        std::fs::rename(&root, &old).map_err(|e| IoError::os(&root, e))?;
    }
    std::fs::rename(tmp, &root).map_err(|e| IoError::os(&root, e))?;
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(|e| IoError::os(&old, e))?;
    }
    Ok(())
}

fn generate_into(
    tmp: &Path,
    tmp_rsa: &Path,
    cfg: &SynthConfig,
) -> Result<(Vec<SubjectReport>, Vec<rsa::RsaCeiling>)> {
    let stimuli = stimuli(cfg);
    let (train_f, test_f) = stimuli.generating_features();
    let raw_features =
        concatenate(Axis(0), &[train_f.view(), test_f.view()]).expect("equal feature widths");
    let feature_stats = column_stats(&raw_features);
    let features = apply_column_stats(raw_features, &feature_stats);
    let rsa_stimuli = rsa::stimuli(cfg);
    let rsa_features = rsa::features(&rsa_stimuli, &feature_stats);
    let encode = |s: &[Stimulus]| -> Result<Vec<Vec<u8>>> {
        s.par_iter()
            .map(|x| png_bytes(&x.image, "synthetic image"))
            .collect()
    };
    let pngs = [encode(&stimuli.train)?, encode(&stimuli.test)?];
    let progress = crate::progress::Progress::bar(cfg.n_subjects as u64, "synthesising subjects");
    let (reports, rsa_rdms): (Vec<SubjectReport>, Vec<rsa::SubjectRdms>) = (0..cfg.n_subjects)
        .into_par_iter()
        .map(|s| {
            let subject = simulate_subject(cfg, s, features.view())?;
            write_subject(tmp, &subject, &stimuli, &pngs)?;
            let rdms = rsa::subject_rdms(cfg, s, &subject.tuning, rsa_features.view())?;
            progress.inc(1);
            let est: Vec<f64> = subject
                .hemispheres
                .iter()
                .flat_map(|h| h.nc.clone())
                .collect();
            let truth: Vec<f64> = subject
                .hemispheres
                .iter()
                .flat_map(|h| h.true_nc.clone())
                .collect();
            let n = est.len() as f64;
            let count = |k| subject.test_trials.iter().filter(|&&t| t == k).count();
            let report = SubjectReport {
                name: subject.name.clone(),
                vertices: [
                    subject.hemispheres[0].nc.len(),
                    subject.hemispheres[1].nc.len(),
                ],
                test_images_by_trials: [count(3), count(2), count(1)],
                nc_correlation: pearson(&est, &truth),
                nc_mean_error: est.iter().zip(&truth).map(|(e, t)| e - t).sum::<f64>() / n,
                nc_mean_abs_error: est
                    .iter()
                    .zip(&truth)
                    .map(|(e, t)| (e - t).abs())
                    .sum::<f64>()
                    / n,
            };
            Ok((report, rdms))
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .unzip();
    let rsa_ceilings = rsa::write(tmp_rsa, cfg, &rsa_stimuli, &rsa_rdms)?;
    let manifest = serde_json::json!({
        "benchmark": DIR_NAME,
        "generator": "brainbench synthetic-cortex",
        "generator_version": GENERATOR_VERSION,
        "layout": "algonauts2023",
        "config": cfg,
        "categories": CATEGORIES,
        "roi_sets": ROI_SETS.iter().map(|(s, n)| (s.to_string(), n.to_vec())).collect::<BTreeMap<_, _>>(),
        "subjects": reports.iter().map(|r| serde_json::json!({
            "name": r.name,
            "vertices": {"lh": r.vertices[0], "rh": r.vertices[1]},
            "test_images_by_trials": {"3": r.test_images_by_trials[0], "2": r.test_images_by_trials[1], "1": r.test_images_by_trials[2]},
        })).collect::<Vec<_>>(),
        "extra_files": {
            "synthetic_truth/{lh,rh}_true_noise_ceiling.npy": "float64 (vertices,): devkit NC formula applied to the true ncsnr sqrt(f/(1-f))",
            "synthetic_truth/{lh,rh}_test_signal.npy": "float32 (test images, vertices): noiseless responses, sqrt(f) * signal",
            "synthetic_truth/{lh,rh}_test_trials.npy": "float32 (test trials, vertices): z-scored single trials",
            "synthetic_truth/test_trial_images.npy": "int64 (test trials,): 0-based test image of each trial",
            "synthetic_truth/rdms/<roi-set>_<roi>.npy": "float64 (test, test): 1 - Pearson r of the trial-averaged test responses, lh and rh vertices pooled",
        },
    });
    let text = serde_json::to_string_pretty(&manifest).expect("JSON of plain values") + "\n";
    write_bytes(&tmp.join(format!("{DIR_NAME}.json")), text.as_bytes())?;
    Ok((reports, rsa_ceilings))
}
