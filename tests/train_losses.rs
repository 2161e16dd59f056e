//! The training losses, their gradients, the differentiable convolution and max pool, and AdamW
//! against an independent numpy implementation (`tests/peers/train_peer.py`: plain forward
//! code, gradients by central finite differences).

mod common;

use brainbench::train::{layers, losses, optimizer};
use candle_core::{DType, Device, Tensor, Var};
use serde_json::{json, Value};

/// Deterministic values in [-1, 1) (an LCG: the test needs no generator of the crate's).
fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

fn var(shape: &[usize], seed: u64) -> Var {
    let n = shape.iter().product();
    Var::from_tensor(&Tensor::from_vec(values(n, seed), shape, &Device::Cpu).unwrap()).unwrap()
}

fn flat(t: &Tensor) -> Vec<f64> {
    t.flatten_all().unwrap().to_vec1::<f64>().unwrap()
}

fn nested(t: &Tensor) -> Value {
    // Row-major values with the shape, rebuilt as nested lists by numpy's asarray.
    fn build(v: &[f64], shape: &[usize]) -> Value {
        if shape.len() == 1 {
            return json!(v);
        }
        let step = v.len() / shape[0];
        Value::Array(v.chunks(step).map(|c| build(c, &shape[1..])).collect())
    }
    build(&flat(t), t.dims())
}

fn peer_flat(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().flat_map(peer_flat).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap()],
        other => panic!("unexpected {other}"),
    }
}

fn assert_close(what: &str, ours: &[f64], peer: &[f64], tol: f64) {
    for (i, (a, b)) in common::paired(what, ours.iter(), peer.iter()).enumerate() {
        assert!(
            (a - b).abs() <= tol * (1.0 + b.abs()),
            "{what}[{i}]: ours {a}, peer {b}"
        );
    }
}

#[test]
fn losses_gradients_conv_pool_and_adamw_match_numpy() {
    let pred = var(&[4, 6], 1);
    let target = var(&[4, 6], 2);
    let feats = var(&[5, 7], 3);
    let pairs = vec![(0, 1), (0, 4), (1, 2), (2, 3), (3, 4), (1, 4)];
    let dtarget = Tensor::from_vec(values(pairs.len(), 4), pairs.len(), &Device::Cpu).unwrap();
    let x = var(&[2, 2, 7, 6], 5);
    let w = var(&[3, 2, 3, 3], 6);
    let b = var(&[3], 7);
    let conv_cases = [(1usize, 1usize), (2, 0), (2, 1)];
    let pool_x = var(&[1, 2, 7, 7], 8);
    let adam_params = var(&[8], 9);
    let adam_grads: Vec<Vec<f64>> = (0..5).map(|s| values(8, 20 + s)).collect();

    let mut cases = vec![
        json!({"kind": "mse", "pred": nested(pred.as_tensor()), "target": nested(target.as_tensor())}),
        json!({"kind": "cosine", "pred": nested(pred.as_tensor()), "target": nested(target.as_tensor())}),
        json!({"kind": "dissimilarity", "features": nested(feats.as_tensor()),
               "pairs": pairs.iter().map(|&(i, j)| vec![i, j]).collect::<Vec<_>>(),
               "target": flat(&dtarget)}),
    ];
    for &(s, p) in &conv_cases {
        let y = layers::conv2d(x.as_tensor(), w.as_tensor(), Some(b.as_tensor()), s, p).unwrap();
        let r = Tensor::from_vec(values(y.elem_count(), 30), y.dims(), &Device::Cpu).unwrap();
        cases.push(
            json!({"kind": "conv", "x": nested(x.as_tensor()), "w": nested(w.as_tensor()),
            "b": flat(b.as_tensor()), "stride": s, "pad": p, "r": nested(&r)}),
        );
    }
    let pool_r = {
        let y = layers::max_pool2d(pool_x.as_tensor(), 3, 2).unwrap();
        Tensor::from_vec(values(y.elem_count(), 31), y.dims(), &Device::Cpu).unwrap()
    };
    cases.push(
        json!({"kind": "maxpool", "x": nested(pool_x.as_tensor()), "k": 3, "stride": 2,
        "r": nested(&pool_r)}),
    );
    let adam_cfg = optimizer::AdamWConfig {
        lr: 0.05,
        weight_decay: 0.1,
        ..Default::default()
    };
    cases.push(
        json!({"kind": "adamw", "params": flat(adam_params.as_tensor()), "grads": adam_grads,
        "lr": adam_cfg.lr, "beta1": adam_cfg.beta1, "beta2": adam_cfg.beta2, "eps": adam_cfg.eps,
        "weight_decay": adam_cfg.weight_decay}),
    );

    let test = "losses_gradients_conv_pool_and_adamw_match_numpy";
    let Some(out) = common::run_peer(test, "train_peer.py", &json!({ "cases": cases })) else {
        return;
    };
    let res = out["results"].as_array().unwrap();
    assert_eq!(res.len(), cases.len());

    // Losses and their gradients (finite differences: tolerance 1e-6 relative).
    let grad_of =
        |loss: &Tensor, v: &Var| flat(loss.backward().unwrap().get(v.as_tensor()).unwrap());
    let l = losses::mse(pred.as_tensor(), target.as_tensor()).unwrap();
    assert_close(
        "mse",
        &[l.to_scalar::<f64>().unwrap()],
        &[res[0]["loss"].as_f64().unwrap()],
        1e-12,
    );
    assert_close(
        "mse grad",
        &grad_of(&l, &pred),
        &peer_flat(&res[0]["grad"]),
        1e-6,
    );
    let l = losses::cosine_loss(pred.as_tensor(), target.as_tensor()).unwrap();
    assert_close(
        "cosine",
        &[l.to_scalar::<f64>().unwrap()],
        &[res[1]["loss"].as_f64().unwrap()],
        1e-12,
    );
    assert_close(
        "cosine grad",
        &grad_of(&l, &pred),
        &peer_flat(&res[1]["grad"]),
        1e-6,
    );
    let l = losses::dissimilarity_loss(feats.as_tensor(), &pairs, &dtarget).unwrap();
    assert_close(
        "dissimilarity",
        &[l.to_scalar::<f64>().unwrap()],
        &[res[2]["loss"].as_f64().unwrap()],
        1e-12,
    );
    assert_close(
        "dissimilarity grad",
        &grad_of(&l, &feats),
        &peer_flat(&res[2]["grad"]),
        1e-6,
    );

    // Convolution: output and the gradients to input, weight and bias.
    for (c, &(s, p)) in conv_cases.iter().enumerate() {
        let r = &res[3 + c];
        let y = layers::conv2d(x.as_tensor(), w.as_tensor(), Some(b.as_tensor()), s, p).unwrap();
        let rr = Tensor::from_vec(values(y.elem_count(), 30), y.dims(), &Device::Cpu).unwrap();
        let g = y.mul(&rr).unwrap().sum_all().unwrap().backward().unwrap();
        let what = format!("conv stride {s} pad {p}");
        assert_close(&what, &flat(&y), &peer_flat(&r["y"]), 1e-12);
        assert_close(
            &format!("{what} dx"),
            &flat(g.get(x.as_tensor()).unwrap()),
            &peer_flat(&r["grad_x"]),
            1e-6,
        );
        assert_close(
            &format!("{what} dw"),
            &flat(g.get(w.as_tensor()).unwrap()),
            &peer_flat(&r["grad_w"]),
            1e-6,
        );
        assert_close(
            &format!("{what} db"),
            &flat(g.get(b.as_tensor()).unwrap()),
            &peer_flat(&r["grad_b"]),
            1e-6,
        );
    }

    // Max pool 3/2 (candle's own has no backward there).
    let r = &res[3 + conv_cases.len()];
    let y = layers::max_pool2d(pool_x.as_tensor(), 3, 2).unwrap();
    let g = y
        .mul(&pool_r)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    assert_close("maxpool", &flat(&y), &peer_flat(&r["y"]), 1e-12);
    assert_close(
        "maxpool dx",
        &flat(g.get(pool_x.as_tensor()).unwrap()),
        &peer_flat(&r["grad_x"]),
        1e-6,
    );

    // AdamW: five steps with given gradients.
    let mut opt = optimizer::AdamW::new(vec![("p".into(), adam_params.clone())], adam_cfg).unwrap();
    for g in &adam_grads {
        // A loss whose gradient is exactly g: sum(p * g).
        let gt = Tensor::from_vec(g.clone(), 8, &Device::Cpu).unwrap();
        let loss = adam_params.as_tensor().mul(&gt).unwrap().sum_all().unwrap();
        opt.backward_step(&loss).unwrap();
    }
    assert_eq!(opt.step_count(), 5);
    let r = &res[4 + conv_cases.len()];
    assert_close(
        "adamw",
        &flat(adam_params.as_tensor()),
        &peer_flat(&r["params"]),
        1e-12,
    );
    assert_eq!(adam_params.dtype(), DType::F64);
}
