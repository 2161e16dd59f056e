"""Independent reference values for tests/metrics_vs_peers.rs, from numpy, scipy and rsatoolbox.

Reads {"cases": [{"op": ..., ...}, ...]} as JSON on stdin and prints {"results": [...]}, one
result per case. Undefined values (NaN) are printed as null. Every formula is written here from
its reference (SCIENCE.md), not translated from the Rust code.
"""
import json
import sys
import warnings

import numpy as np
import scipy.spatial.distance
import scipy.stats
import rsatoolbox

warnings.simplefilter("ignore")


def clean(x):
    """numpy -> JSON-able, NaN -> None."""
    if isinstance(x, (list, tuple, np.ndarray)):
        return [clean(v) for v in np.asarray(x, dtype=float).tolist()]
    x = float(x)
    return None if np.isnan(x) else x


def pearson_columns(c):
    p, t = np.asarray(c["pred"], float), np.asarray(c["truth"], float)
    out = []
    for v in range(p.shape[1]):
        if np.all(p[:, v] == p[0, v]) or np.all(t[:, v] == t[0, v]):
            out.append(float("nan"))
        else:
            out.append(scipy.stats.pearsonr(p[:, v], t[:, v]).statistic)
    return clean(out)


def devkit_encoding(pred, truth, nc):
    """algonauts_2023 devkit 03_test_encoding.py, vectorised; NaN r (constant) scores 0."""
    pc = pred - pred.mean(0)
    tc = truth - truth.mean(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (pc * tc).sum(0) / np.sqrt((pc**2).sum(0) * (tc**2).sum(0))
    r = np.where(np.isnan(r), 0.0, r)
    r[r < 0] = 0
    nc = nc.copy()
    nc[nc == 0] = 1e-14
    nnea = np.minimum(r**2 / nc * 100, 100)
    return nnea


def encoding(c):
    blocks = [devkit_encoding(np.asarray(b["pred"], float), np.asarray(b["truth"], float),
                              np.asarray(b["nc"], float)) for b in c["blocks"]]
    pooled = np.concatenate(blocks)
    return {"nnea": clean(pooled), "mean": float(pooled.mean()), "median": float(np.median(pooled))}


def encoding_bootstrap(c):
    """Resample by resample with the counts exported from Rust: rows repeated count times."""
    out = []
    for b in range(len(c["blocks"][0]["counts"])):
        pooled = []
        for blk in c["blocks"]:
            idx = np.repeat(np.arange(len(blk["counts"][b])), blk["counts"][b])
            pooled.append(devkit_encoding(np.asarray(blk["pred"], float)[idx],
                                          np.asarray(blk["truth"], float)[idx],
                                          np.asarray(blk["nc"], float)))
        out.append(float(np.concatenate(pooled).mean()))
    samples = np.array(out)
    lo, hi = np.percentile(samples, [100 * (1 - c["level"]) / 2, 100 * (1 + c["level"]) / 2])
    return {"samples": out, "low": float(lo), "high": float(hi)}


def ranks(c):
    x, y = np.asarray(c["x"], float), np.asarray(c["y"], float)
    r1 = rsatoolbox.rdm.RDMs(x[None, :])
    r2 = rsatoolbox.rdm.RDMs(y[None, :])
    return {
        "rankdata": clean(scipy.stats.rankdata(x)),
        "spearman": clean(scipy.stats.spearmanr(x, y).statistic),
        "tau_a": clean(rsatoolbox.rdm.compare(r1, r2, method="tau-a")[0, 0]),
        "rho_a": clean(rsatoolbox.rdm.compare(r1, r2, method="rho-a")[0, 0]),
    }


def ncsnr(c):
    """NSD ncsnr (Allen et al. 2022) and the devkit noise ceiling, in numpy."""
    y = np.asarray(c["responses"], float)
    img = np.asarray(c["image_of_trial"])
    reps = [np.flatnonzero(img == i) for i in np.unique(img)]
    noise = np.mean([y[r].var(axis=0, ddof=1) for r in reps if len(r) >= 2], axis=0)
    out = {}
    for name, total in [("zscored", 1.0), ("all_trials", y.var(axis=0, ddof=0))]:
        signal = np.maximum(0, total - noise)
        out[name] = clean(np.sqrt(signal) / np.sqrt(noise))
    k = np.asarray(c["test_trials"])
    a, b, cc = (k == 3).sum(), (k == 2).sum(), (k == 1).sum()
    norm = (a / 3 + b / 2 + cc / 1) / (a + b + cc)
    s = np.asarray(out["zscored"], float)
    out["nc"] = clean(s**2 / (s**2 + norm))
    return out


def rdm(c):
    p = np.asarray(c["patterns"], float)
    return {m: clean(scipy.spatial.distance.pdist(p, m)) for m in ["correlation", "euclidean", "cosine"]}


def stats(c):
    x = np.asarray(c["x"], float)
    t = scipy.stats.ttest_1samp(x, 0.0)
    return {
        "t": clean(t.statistic),
        "p": clean(t.pvalue),
        "percentiles": clean(np.percentile(x, c["q"])),
    }


def rsa(c):
    """Algonauts 2019 testSub_fmri.py score and the squared-Spearman RDM noise ceiling."""
    model = np.asarray(c["model"], float)
    subj = np.asarray(c["subjects"], float)
    rho = np.array([scipy.stats.spearmanr(model, s).statistic for s in subj])
    r2 = rho**2
    t = scipy.stats.ttest_1samp(r2, 0.0)
    mean = subj.mean(0)
    upper = np.mean([scipy.stats.spearmanr(mean, s).statistic ** 2 for s in subj])
    n = len(subj)
    lower = np.mean([scipy.stats.spearmanr((subj.sum(0) - s) / (n - 1), s).statistic ** 2 for s in subj])
    return {"rho": clean(rho), "r2": float(r2.mean()), "t": clean(t.statistic), "p": clean(t.pvalue),
            "upper": float(upper), "lower": float(lower)}


OPS = {"pearson_columns": pearson_columns, "encoding": encoding, "encoding_bootstrap": encoding_bootstrap,
       "ranks": ranks, "ncsnr": ncsnr, "rdm": rdm, "stats": stats, "rsa": rsa}

if __name__ == "__main__":
    req = json.load(sys.stdin)
    print(json.dumps({"results": [OPS[c["op"]](c) for c in req["cases"]]}))
