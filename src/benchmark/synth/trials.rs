//! Trials and sessions: which image is shown when, and the single-trial responses.
//!
//! **Session model.** Every training image is shown 3 times; every test image 3 times, except a
//! share shown 2 times and a share shown once (so the devkit's 3/2/1 noise-ceiling rule is
//! exercised). All trials of a subject are shuffled and cut into sessions of
//! `trials_per_session` consecutive trials (NSD: 750). A single trial of vertex `v` in session
//! `s` is
//!
//! ```text
//! y_raw[t, v] = gain[s, v] * (sqrt(f_v) * signal[image(t), v] + sqrt(1 - f_v) * noise[t, v]) + offset[s, v]
//! y[t, v]     = z-score of y_raw[., v] over the trials of session s   (ddof = 0, as NSD's betas)
//! ```
//!
//! with `signal` of unit variance over images, `noise ~ N(0, 1)` independent per trial, `f_v`
//! the vertex's signal fraction, `gain ~ U(0.7, 1.3)` and `offset ~ N(0, 0.5^2)` per session
//! and vertex (scanner drift, which the z-scoring removes). The true variances of a z-scored
//! trial are therefore `f_v` (signal) and `1 - f_v` (noise), so the true ncsnr is
//! `sqrt(f_v / (1 - f_v))`. Training responses are the mean of each image's 3 trials, test
//! responses the mean of each test image's trials.

use ndarray::{Array2, ArrayView2};
use rand::seq::SliceRandom;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// The order of trials of one subject.
pub(crate) struct Schedule {
    /// Image of every trial, indexing the combined list (training images, then test images).
    pub image: Vec<usize>,
    /// Number of trials of every test image.
    pub test_trials: Vec<usize>,
    /// Trials per session.
    pub per_session: usize,
}

impl Schedule {
    /// Draws the trial counts of the test images and the shuffled trial order.
    pub(crate) fn sample(
        rng: &mut ChaCha8Rng,
        n_train: usize,
        n_test: usize,
        share_two: f64,
        share_one: f64,
        per_session: usize,
    ) -> Schedule {
        let n_one = (share_one * n_test as f64).round() as usize;
        let n_two = (share_two * n_test as f64).round() as usize;
        let mut test_trials: Vec<usize> = (0..n_test)
            .map(|i| {
                if i < n_one {
                    1
                } else if i < n_one + n_two {
                    2
                } else {
                    3
                }
            })
            .collect();
        test_trials.shuffle(rng);
        let mut image: Vec<usize> = (0..n_train).flat_map(|i| [i; 3]).collect();
        for (i, &k) in test_trials.iter().enumerate() {
            image.extend(std::iter::repeat_n(n_train + i, k));
        }
        image.shuffle(rng);
        Schedule {
            image,
            test_trials,
            per_session,
        }
    }
}

/// Standard normal deviates by the Box-Muller transform (both of each pair used).
#[derive(Default)]
pub(super) struct Normal {
    spare: Option<f64>,
}

impl Normal {
    pub(super) fn sample(&mut self, rng: &mut ChaCha8Rng) -> f64 {
        if let Some(x) = self.spare.take() {
            return x;
        }
        let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]: ln is finite
        let u2: f64 = rng.random();
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
        self.spare = Some(r * s);
        r * c
    }
}

/// The measured responses of one subject and hemisphere.
pub(crate) struct Measured {
    /// Training responses, (training images x vertices), mean of 3 z-scored trials.
    pub train: Array2<f32>,
    /// Single test trials in presentation order, (test trials x vertices).
    pub test_trials: Array2<f32>,
    /// Test image (0-based, sorted order) of every row of `test_trials`.
    pub test_image_of_trial: Vec<usize>,
    /// Test responses, (test images x vertices), mean of each image's trials.
    pub test: Array2<f32>,
}

/// Simulates every trial of `schedule` (see the module doc for the model) and averages them.
///
/// `signal` is (training + test images) x vertices with unit variance per vertex (or all zero);
/// `fraction` the signal fraction of every vertex.
pub(crate) fn simulate(
    rng: &mut ChaCha8Rng,
    schedule: &Schedule,
    signal: ArrayView2<f64>,
    fraction: &[f64],
    n_train: usize,
) -> Measured {
    let n_vertices = signal.ncols();
    let n_trials = schedule.image.len();
    let a: Vec<f64> = fraction.iter().map(|f| f.sqrt()).collect();
    let b: Vec<f64> = fraction.iter().map(|f| (1.0 - f).sqrt()).collect();
    let mut normal = Normal { spare: None };
    let mut y = Array2::<f64>::zeros((n_trials, n_vertices));
    for (start, chunk) in (0..n_trials)
        .step_by(schedule.per_session)
        .map(|s| (s, s..(s + schedule.per_session).min(n_trials)))
    {
        let gain: Vec<f64> = (0..n_vertices)
            .map(|_| rng.random_range(0.7..1.3))
            .collect();
        let offset: Vec<f64> = (0..n_vertices).map(|_| 0.5 * normal.sample(rng)).collect();
        let mut sum = vec![0.0f64; n_vertices];
        let mut sum_sq = vec![0.0f64; n_vertices];
        for t in chunk.clone() {
            let s = signal.row(schedule.image[t]);
            let mut row = y.row_mut(t);
            for v in 0..n_vertices {
                let x = gain[v] * (a[v] * s[v] + b[v] * normal.sample(rng)) + offset[v];
                row[v] = x;
                sum[v] += x;
                sum_sq[v] += x * x;
            }
        }
        let n = (chunk.end - start) as f64;
        let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
        let sd: Vec<f64> = sum_sq
            .iter()
            .zip(&mean)
            .map(|(q, m)| (q / n - m * m).max(0.0).sqrt())
            .collect();
        for t in chunk {
            for ((x, m), s) in y.row_mut(t).iter_mut().zip(&mean).zip(&sd) {
                *x = if *s > 0.0 { (*x - m) / s } else { 0.0 };
            }
        }
    }
    average(&y, schedule, n_train)
}

fn average(y: &Array2<f64>, schedule: &Schedule, n_train: usize) -> Measured {
    let n_vertices = y.ncols();
    let n_test = schedule.test_trials.len();
    let mut train = Array2::<f64>::zeros((n_train, n_vertices));
    let mut test = Array2::<f64>::zeros((n_test, n_vertices));
    let mut test_rows = Vec::new();
    let mut test_image_of_trial = Vec::new();
    for (t, &img) in schedule.image.iter().enumerate() {
        if img < n_train {
            train.row_mut(img).scaled_add(1.0 / 3.0, &y.row(t));
        } else {
            let i = img - n_train;
            test.row_mut(i)
                .scaled_add(1.0 / schedule.test_trials[i] as f64, &y.row(t));
            test_rows.push(t);
            test_image_of_trial.push(i);
        }
    }
    let test_trials = Array2::from_shape_fn((test_rows.len(), n_vertices), |(r, v)| {
        y[[test_rows[r], v]] as f32
    });
    Measured {
        train: train.mapv(|x| x as f32),
        test_trials,
        test_image_of_trial,
        test: test.mapv(|x| x as f32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn schedule_has_the_requested_trial_counts() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let s = Schedule::sample(&mut rng, 10, 20, 0.2, 0.1, 7);
        let count = |k| s.test_trials.iter().filter(|&&n| n == k).count();
        assert_eq!((count(3), count(2), count(1)), (14, 4, 2));
        assert_eq!(s.image.len(), 30 + 14 * 3 + 4 * 2 + 2);
        for i in 0..10 {
            assert_eq!(s.image.iter().filter(|&&x| x == i).count(), 3);
        }
    }

    #[test]
    fn sessions_are_z_scored_and_pure_noise_has_unit_variance() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let s = Schedule::sample(&mut rng, 200, 10, 0.0, 0.0, 100);
        let signal = Array2::<f64>::zeros((210, 3));
        let m = simulate(&mut rng, &s, signal.view(), &[0.0, 0.0, 0.0], 200);
        // A 3-trial mean of unit-variance noise has variance about 1/3.
        let var = m
            .train
            .column(0)
            .mapv(|x| (x as f64).powi(2))
            .mean()
            .unwrap();
        assert!((var - 1.0 / 3.0).abs() < 0.08, "{var}");
    }
}
