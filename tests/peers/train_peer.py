"""Peer for tests/train_losses.rs: the training losses, their gradients, the differentiable
convolution and max pool, and AdamW, computed independently in numpy (float64).

Gradients are central finite differences of plain numpy forward code (no autograd shared with the
code under test). AdamW follows the pseudo-code of torch.optim.AdamW's documentation.

Reads {"cases": [...]} on stdin, prints {"results": [...]} in the same order. Case kinds:
  mse, cosine:   pred, target (rows x cols)          -> loss, grad (d loss / d pred)
  dissimilarity: features (n x d), pairs [[i, j]], target -> loss, grad (d loss / d features)
  conv:          x (b,c,h,w), w (o,c,k,k), b (o), stride, pad, r (weights of the output sum)
                 -> y, grad_x, grad_w, grad_b of sum(y * r)
  maxpool:       x (b,c,h,w), k, stride, r -> y, grad_x of sum(y * r)
  adamw:         params, grads [step][...], lr, beta1, beta2, eps, weight_decay -> params
  scratch:       x (b,3,h,w), convs [{w, b}], readout {w, b} -> y, the cnn-scratch forward
                 (conv 5/2 pad 2, ReLU, max-pool 3/2; then conv 3/1 pad 1, ReLU, max-pool 2/2;
                 global mean; linear)
"""
import json
import sys

import numpy as np

H = 1e-6


def fd(f, x):
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + H
        up = f(x)
        x[i] = old - H
        down = f(x)
        x[i] = old
        g[i] = (up - down) / (2 * H)
    return g


def mse(p, t):
    return float(np.mean((p - t) ** 2))


def unit(x):
    n = np.sqrt((x * x).sum(axis=-1, keepdims=True))
    return x / np.maximum(n, 1e-8)


def cosine(p, t):
    return float(np.mean(1.0 - (unit(p) * unit(t)).sum(axis=-1)))


def dissimilarity(f, pairs, t):
    c = f - f.mean(axis=1, keepdims=True)
    z = unit(c)
    d = 1.0 - z @ z.T
    pred = np.array([d[i, j] for i, j in pairs])
    return float(np.mean((pred - t) ** 2))


def conv(x, w, b, s, p):
    bn, c, h, wd = x.shape
    o, _, k, _ = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    oh, ow = (h + 2 * p - k) // s + 1, (wd + 2 * p - k) // s + 1
    y = np.zeros((bn, o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * s : i * s + k, j * s : j * s + k]
            y[:, :, i, j] = np.einsum("bckl,ockl->bo", patch, w) + b
    return y


def maxpool(x, k, s):
    bn, c, h, w = x.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    y = np.zeros((bn, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            y[:, :, i, j] = x[:, :, i * s : i * s + k, j * s : j * s + k].max(axis=(2, 3))
    return y


def adamw(case):
    p = np.asarray(case["params"], dtype=np.float64)
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    lr, b1, b2, eps, wd = (case[k] for k in ("lr", "beta1", "beta2", "eps", "weight_decay"))
    for t, g in enumerate(case["grads"], start=1):
        g = np.asarray(g, dtype=np.float64)
        p = p - lr * wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat = m / (1 - b1**t)
        vhat = v / (1 - b2**t)
        p = p - lr * mhat / (np.sqrt(vhat) + eps)
    return {"params": p.tolist()}


def run(case):
    a = lambda k: np.asarray(case[k], dtype=np.float64)
    kind = case["kind"]
    if kind in ("mse", "cosine"):
        f = mse if kind == "mse" else cosine
        p, t = a("pred"), a("target")
        return {"loss": f(p, t), "grad": fd(lambda q: f(q, t), p).tolist()}
    if kind == "dissimilarity":
        x, t = a("features"), a("target")
        pairs = case["pairs"]
        f = lambda q: dissimilarity(q, pairs, t)
        return {"loss": f(x), "grad": fd(f, x).tolist()}
    if kind == "conv":
        x, w, b, r = a("x"), a("w"), a("b"), a("r")
        s, p = case["stride"], case["pad"]
        y = conv(x, w, b, s, p)
        return {
            "y": y.tolist(),
            "grad_x": fd(lambda q: float((conv(q, w, b, s, p) * r).sum()), x).tolist(),
            "grad_w": fd(lambda q: float((conv(x, q, b, s, p) * r).sum()), w).tolist(),
            "grad_b": fd(lambda q: float((conv(x, w, q, s, p) * r).sum()), b).tolist(),
        }
    if kind == "maxpool":
        x, r = a("x"), a("r")
        k, s = case["k"], case["stride"]
        return {
            "y": maxpool(x, k, s).tolist(),
            "grad_x": fd(lambda q: float((maxpool(q, k, s) * r).sum()), x).tolist(),
        }
    if kind == "adamw":
        return adamw(case)
    if kind == "scratch":
        h = a("x")
        for i, c in enumerate(case["convs"]):
            w, b = np.asarray(c["w"], dtype=np.float64), np.asarray(c["b"], dtype=np.float64)
            if i == 0:
                h = maxpool(np.maximum(conv(h, w, b, 2, 2), 0), 3, 2)
            else:
                h = maxpool(np.maximum(conv(h, w, b, 1, 1), 0), 2, 2)
        e = h.mean(axis=(2, 3))
        r = case["readout"]
        y = e @ np.asarray(r["w"], dtype=np.float64).T + np.asarray(r["b"], dtype=np.float64)
        return {"y": y.tolist()}
    raise ValueError(f"unknown case kind {kind}")


cases = json.load(sys.stdin)["cases"]
json.dump({"results": [run(c) for c in cases]}, sys.stdout)
