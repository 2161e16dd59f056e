//! The training loop: determinism, bit-identical resume, refusal of foreign checkpoints, the NaN
//! guard, early stopping and the CSV log, on a tiny linear model with dropout.

use brainbench::train::checkpoint;
use brainbench::train::engine::{train, LoopConfig, RunOptions, Trainable};
use brainbench::train::{layers, losses, TrainError};
use candle_core::{Device, Tensor, Var};
use std::cell::Cell;

/// y = dropout(x) · W + b on 40 synthetic examples; validation is −MSE on 10 others.
struct Linear {
    w: Var,
    b: Var,
    x: Tensor,
    y: Tensor,
    vx: Tensor,
    vy: Tensor,
    /// Makes the loss NaN at this (1-based) call of `batch_loss`.
    nan_at_call: Option<usize>,
    calls: Cell<usize>,
    /// Replaces the validation metric by this script, one value per epoch.
    scripted: Option<Vec<f64>>,
    validations: Cell<usize>,
}

fn data(n: usize, d: usize, seed: u64) -> Tensor {
    let mut s = seed;
    let v: Vec<f32> = (0..n * d)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect();
    Tensor::from_vec(v, (n, d), &Device::Cpu).unwrap()
}

impl Linear {
    fn new(w_shape: (usize, usize)) -> Self {
        let true_w = data(5, 3, 99);
        let x = data(40, 5, 1);
        let vx = data(10, 5, 2);
        Linear {
            w: Var::from_tensor(&data(w_shape.0, w_shape.1, 3)).unwrap(),
            b: Var::zeros(3, candle_core::DType::F32, &Device::Cpu).unwrap(),
            y: x.matmul(&true_w).unwrap(),
            vy: vx.matmul(&true_w).unwrap(),
            x,
            vx,
            nan_at_call: None,
            calls: Cell::new(0),
            scripted: None,
            validations: Cell::new(0),
        }
    }

    fn weights(&self) -> Vec<f32> {
        self.w.as_tensor().flatten_all().unwrap().to_vec1().unwrap()
    }
}

impl Trainable for Linear {
    fn params(&self) -> Vec<(String, Var)> {
        vec![("w".into(), self.w.clone()), ("b".into(), self.b.clone())]
    }
    fn n_train(&self) -> usize {
        40
    }
    fn batch_loss(&self, batch: &[usize], seed: u64) -> candle_core::Result<Tensor> {
        self.calls.set(self.calls.get() + 1);
        let idx = Tensor::from_vec(
            batch.iter().map(|&i| i as u32).collect::<Vec<_>>(),
            batch.len(),
            &Device::Cpu,
        )?;
        let x = layers::dropout(&self.x.index_select(&idx, 0)?, 0.2, seed)?;
        let pred = x
            .matmul(self.w.as_tensor())?
            .broadcast_add(self.b.as_tensor())?;
        let loss = losses::mse(&pred, &self.y.index_select(&idx, 0)?)?;
        if self.nan_at_call == Some(self.calls.get()) {
            return loss * f64::NAN;
        }
        Ok(loss)
    }
    fn validate(&self) -> candle_core::Result<f64> {
        let e = self.validations.get();
        self.validations.set(e + 1);
        if let Some(s) = &self.scripted {
            return Ok(s[e]);
        }
        let pred = self
            .vx
            .matmul(self.w.as_tensor())?
            .broadcast_add(self.b.as_tensor())?;
        Ok(-f64::from(
            losses::mse(&pred, &self.vy)?.to_scalar::<f32>()?,
        ))
    }
}

fn cfg(epochs: usize) -> LoopConfig {
    LoopConfig {
        epochs,
        batch_size: 8,
        lr: 0.05,
        weight_decay: 0.01,
        patience: 3,
    }
}

fn run_opts(dir: &std::path::Path, name: &str) -> RunOptions {
    RunOptions {
        name: name.into(),
        fingerprint: checkpoint::fingerprint(&cfg(0)),
        seed: 7,
        checkpoint: Some(dir.join("ckpt.safetensors")),
        resume: None,
    }
}

/// The tensors of a checkpoint as raw bytes (the metadata holds wall times, which differ).
fn tensor_bytes(path: &std::path::Path) -> Vec<Vec<f32>> {
    let (_, s) = checkpoint::load(path).unwrap();
    [s.params, s.m, s.v, s.best]
        .into_iter()
        .flatten()
        .map(|t| t.flatten_all().unwrap().to_vec1::<f32>().unwrap())
        .collect()
}

#[test]
fn same_seed_same_weights_and_training_learns() {
    let dir = tempfile::tempdir().unwrap();
    let a = Linear::new((5, 3));
    let out = train(&a, &cfg(4), &run_opts(dir.path(), "toy"), &mut |_| {}).unwrap();
    let b = Linear::new((5, 3));
    train(&b, &cfg(4), &run_opts(dir.path(), "toy"), &mut |_| {}).unwrap();
    assert_eq!(a.weights(), b.weights());
    // Another seed draws other batches and dropout masks.
    let c = Linear::new((5, 3));
    let mut o = run_opts(dir.path(), "toy");
    o.seed = 8;
    train(&c, &cfg(4), &o, &mut |_| {}).unwrap();
    assert_ne!(a.weights(), c.weights());
    // It learned: validation MSE fell.
    assert!(
        out.log[3].validation > out.log[0].validation,
        "{:?}",
        out.log
    );
    assert_eq!(out.epochs_run, 4);
}

#[test]
fn two_epochs_equal_one_plus_resume_plus_one_bit_for_bit() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let straight = Linear::new((5, 3));
    train(&straight, &cfg(2), &run_opts(d1.path(), "toy"), &mut |_| {}).unwrap();

    let first = Linear::new((5, 3));
    train(&first, &cfg(1), &run_opts(d2.path(), "toy"), &mut |_| {}).unwrap();
    let resumed = Linear::new((5, 3));
    let mut o = run_opts(d2.path(), "toy");
    o.resume = o.checkpoint.clone();
    let mut epochs_seen = Vec::new();
    let out = train(&resumed, &cfg(2), &o, &mut |r| epochs_seen.push(r.epoch)).unwrap();
    assert_eq!(
        epochs_seen,
        vec![2],
        "only the second epoch runs after the resume"
    );
    assert_eq!(out.log.len(), 2, "the log carries the first epoch over");
    let (a, b) = (
        tensor_bytes(&d1.path().join("ckpt.safetensors")),
        tensor_bytes(&d2.path().join("ckpt.safetensors")),
    );
    assert_eq!(a, b);
    assert_eq!(straight.weights(), resumed.weights());
}

#[test]
fn a_checkpoint_of_another_reference_shape_or_config_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    train(
        &Linear::new((5, 3)),
        &cfg(1),
        &run_opts(dir.path(), "toy"),
        &mut |_| {},
    )
    .unwrap();
    let ckpt = dir.path().join("ckpt.safetensors");
    let resume = |name: &str, model: &Linear, fingerprint: Option<String>| {
        let mut o = run_opts(dir.path(), name);
        o.checkpoint = None;
        o.resume = Some(ckpt.clone());
        if let Some(f) = fingerprint {
            o.fingerprint = f;
        }
        train(model, &cfg(2), &o, &mut |_| {})
            .unwrap_err()
            .to_string()
    };
    let e = resume("other", &Linear::new((5, 3)), None);
    assert!(e.contains("belongs to `toy`, not `other`"), "{e}");
    // A model whose w has another shape cannot be built from a (5, 3) 'w'.
    let mut wide = Linear::new((5, 3));
    wide.w = Var::from_tensor(&data(5, 4, 3)).unwrap();
    let e = resume("toy", &wide, None);
    assert!(e.contains("`w` is [5, 3]") && e.contains("[5, 4]"), "{e}");
    let e = resume("toy", &Linear::new((5, 3)), Some("0123".into()));
    assert!(e.contains("another configuration"), "{e}");
    let junk = dir.path().join("junk.safetensors");
    std::fs::write(&junk, b"not a checkpoint").unwrap();
    let mut o = run_opts(dir.path(), "toy");
    o.resume = Some(junk);
    let e = train(&Linear::new((5, 3)), &cfg(1), &o, &mut |_| {}).unwrap_err();
    assert!(matches!(e, TrainError::Checkpoint { .. }), "{e}");
}

#[test]
fn a_nan_loss_stops_naming_epoch_and_batch_and_keeps_the_last_good_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = Linear::new((5, 3));
    m.nan_at_call = Some(5 + 3); // 5 batches per epoch: epoch 2, batch 3.
    let e = train(&m, &cfg(4), &run_opts(dir.path(), "toy"), &mut |_| {}).unwrap_err();
    match &e {
        TrainError::NonFiniteLoss {
            epoch: 2,
            batch: 3,
            checkpoint: Some(p),
            ..
        } => assert!(p.exists()),
        other => panic!("{other}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains("epoch 2, batch 3") && msg.contains("last good checkpoint"),
        "{msg}"
    );
    let (meta, _) = checkpoint::load(&dir.path().join("ckpt.safetensors")).unwrap();
    assert_eq!(meta.epoch, 1);
    // A learning rate that overflows the weights is caught the same way.
    let mut o = run_opts(dir.path(), "toy");
    o.checkpoint = None;
    let mut c = cfg(3);
    c.lr = 1e38;
    let e = train(&Linear::new((5, 3)), &c, &o, &mut |_| {}).unwrap_err();
    assert!(
        matches!(
            e,
            TrainError::NonFiniteLoss {
                checkpoint: None,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn early_stopping_after_three_worse_epochs_restores_the_best_weights_and_logs_csv() {
    let dir = tempfile::tempdir().unwrap();
    let mut m = Linear::new((5, 3));
    m.scripted = Some(vec![0.1, 0.5, 0.4, 0.3, 0.2, 0.9, 0.9]);
    let mut best_after_2 = None;
    let mut reports = Vec::new();
    let out = {
        let w = m.w.clone();
        train(&m, &cfg(7), &run_opts(dir.path(), "toy"), &mut |r| {
            if r.epoch == 2 {
                best_after_2 = Some(
                    w.as_tensor()
                        .flatten_all()
                        .unwrap()
                        .to_vec1::<f32>()
                        .unwrap(),
                );
            }
            reports.push((r.epoch, r.best));
        })
        .unwrap()
    };
    assert!(out.stopped_early);
    assert_eq!((out.best_epoch, out.epochs_run), (2, 5));
    assert_eq!(
        reports,
        vec![(1, true), (2, true), (3, false), (4, false), (5, false)]
    );
    assert_eq!(Some(m.weights()), best_after_2);
    let csv = brainbench::train::log::to_csv(&out.log);
    assert_eq!(csv.lines().count(), 6);
    assert!(csv.lines().nth(2).unwrap().starts_with("toy,2,"), "{csv}");
}
