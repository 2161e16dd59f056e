"""Peer for tests/intervals_vs_peers.rs: scipy's own bootstrap intervals and rsatoolbox's
two-way variance correction, given the resamples the Rust code drew.

Reads JSON on stdin, prints JSON on stdout.

* "encoding": blocks (pred, truth, nc, group), the resample indices of every group, a level
  and the methods. The pooled NNEA statistic is written here in numpy, independently of the
  Rust code; `scipy.stats.bootstrap` is then run with its resampling replaced by the given
  indices, so scipy's whole code path (its BCa with its own jackknife, `_percentile_of_score`,
  `ndtri`, `ndtr`, `np.percentile`) runs on exactly the resamples the Rust code used.
* "normal": grids for scipy.special.ndtr / ndtri.
* "dual": variance triplets for rsatoolbox's `_dual_bootstrap`, and a two-way bootstrap to
  check resample by resample.
"""
import json
import sys

import numpy as np
import scipy.special
import scipy.stats
import scipy.stats._resampling as resampling
from rsatoolbox.util.inference_util import _dual_bootstrap


def nnea_pooled(blocks, groups_idx):
    """Pooled NNEA (devkit 03_test_encoding.py) with each group's images taken at its indices.

    groups_idx[g] has shape (..., n_g); all groups broadcast to a common batch shape."""
    batch = np.broadcast_shapes(*[i.shape[:-1] for i in groups_idx])
    total = np.zeros(batch)
    count = 0
    for b in blocks:
        idx = np.broadcast_to(groups_idx[b["group"]], batch + groups_idx[b["group"]].shape[-1:])
        p = b["pred"][idx]  # (..., n, V)
        t = b["truth"][idx]
        pc = p - p.mean(axis=-2, keepdims=True)
        tc = t - t.mean(axis=-2, keepdims=True)
        r = (pc * tc).sum(-2) / np.sqrt((pc * pc).sum(-2) * (tc * tc).sum(-2))
        r = np.maximum(r, 0.0)
        nc = np.where(b["nc"] == 0, 1e-14, b["nc"])
        total = total + np.minimum(100 * r * r / nc, 100).sum(-1)
        count += b["nc"].size
    return total / count


def encoding(case):
    blocks = [
        {
            "pred": np.array(b["pred"], dtype=np.float64),
            "truth": np.array(b["truth"], dtype=np.float64),
            "nc": np.array(b["nc"], dtype=np.float64),
            "group": b["group"],
        }
        for b in case["blocks"]
    ]
    draws = [np.array(d, dtype=np.int64) for d in case["draws"]]  # per group (B, n_g)
    data = tuple(np.arange(d.shape[1]) for d in draws)

    def statistic(*idx, axis=-1):
        assert axis == -1
        return nnea_pooled(blocks, list(idx))

    queue = []

    def replay(sample, n_resamples=None, rng=None):
        return sample[..., queue.pop(0)[:n_resamples]]

    out = {"estimate": float(statistic(*data)), "intervals": []}
    original = resampling._bootstrap_resample
    resampling._bootstrap_resample = replay
    try:
        for method in case["methods"]:
            queue[:] = list(draws)
            res = scipy.stats.bootstrap(
                data, statistic, n_resamples=draws[0].shape[0], batch=None,
                vectorized=True, paired=False, confidence_level=case["level"],
                method=method,
            )
            out["intervals"].append(
                [float(res.confidence_interval.low), float(res.confidence_interval.high)]
            )
            out["samples"] = res.bootstrap_distribution.tolist()
    finally:
        resampling._bootstrap_resample = original
    alpha = (1 - case["level"]) / 2
    a1, a2, a_hat = resampling._bca_interval(
        data, statistic, axis=-1, alpha=alpha,
        theta_hat_b=np.array(out["samples"]), batch=None,
    )
    out["bca_levels"] = [float(a1), float(a2)]
    out["acceleration"] = float(a_hat)
    return out


def spearman_sq_selected(model, subj, idx):
    """Spearman of the pairs of idx (positions a < b, self-pairs dropped), squared."""
    a, b = np.triu_indices(len(idx), 1)
    keep = idx[a] != idx[b]
    x = model[idx[a][keep], idx[b][keep]]
    y = subj[idx[a][keep], idx[b][keep]]
    return scipy.stats.spearmanr(x, y).statistic ** 2


def dual(case):
    out = {"variances": []}
    for v in case["triplets"]:
        arr = np.array(v, dtype=np.float64).reshape(3, 1)
        n_rdm, n_pattern = case["n"]
        out["variances"].append(
            [float(_dual_bootstrap(arr)[0]), float(_dual_bootstrap(arr, n_rdm, n_pattern)[0])]
        )
    tw = case["two_way"]
    models = [np.array(m) for m in tw["models"]]
    subjects = [[np.array(s) for s in roi] for roi in tw["subject_rdms"]]
    both = []
    for stim, subj in zip(tw["stimulus_draws"], tw["subject_draws"]):
        stim = np.array(stim)
        per_roi = []
        for m, subs in zip(models, subjects):
            rho2 = [spearman_sq_selected(m, s, stim) for s in subs]
            per_roi.append(np.mean([rho2[k] for k in subj]))
        both.append(float(np.mean(per_roi)))
    out["both"] = both
    v = [np.var(np.array(tw[k]), ddof=1) for k in ("both", "subjects", "stimuli")]
    var = float(_dual_bootstrap(np.array(v).reshape(3, 1), tw["n"][0], tw["n"][1])[0])
    dof = min(tw["n"]) - 1
    half = np.sqrt(var) * -scipy.stats.t.ppf((1 - tw["level"]) / 2, dof)
    out["two_way_interval"] = [tw["estimate"] - half, tw["estimate"] + half]
    out["two_way_variance"] = var
    return out


def main():
    req = json.load(sys.stdin)
    out = {
        "encoding": [encoding(c) for c in req["encoding"]],
        "ndtr": scipy.special.ndtr(np.array(req["normal"]["x"])).tolist(),
        "ndtri": scipy.special.ndtri(np.array(req["normal"]["p"])).tolist(),
        "dual": dual(req["dual"]),
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
