"""Times the numpy / scipy versions of the benchmarks in benches/metrics.rs on identical shapes.

Run: cargo bench --bench metrics          (criterion; writes target/criterion)
     .venv/bin/python benches/peers/compare.py
Prints one line per benchmark: name, best / median wall time of several runs; then, where
criterion has timed the Rust version, the ratio numpy-or-scipy time / Rust time for each.
"""
import json
import pathlib
import time

import numpy as np
import scipy.stats

IMAGES = [159, 159, 293, 395, 159, 293, 159, 395]
VERTS = {5: (18978, 20220), 7: (18981, 20530)}


def timeit(name, fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    print(f"{name}: best {min(times):.4f} s, median {np.median(times):.4f} s over {repeat} runs")
    return min(times)


def submission(rng):
    blocks = []
    for s, n in enumerate(IMAGES):
        for v in VERTS.get(s, (19004, 20544)):
            truth = rng.random((n, v), dtype=np.float32) - 0.5
            pred = truth + rng.random((n, v), dtype=np.float32) - 0.5
            blocks.append((pred, truth, rng.random(v)))
    return blocks


def devkit_nnea(r, nc):
    """The devkit's rules from per-vertex r: negative or NaN r -> 0, NC == 0 -> 1e-14, clip at 100."""
    r = np.where(np.isnan(r), 0, np.maximum(r, 0))
    nc = np.where(nc == 0, 1e-14, nc)
    return np.minimum(100 * r**2 / nc, 100)


def nnea(pred, truth, nc):
    """devkit 03_test_encoding.py formula, vectorised, accumulated in float64."""
    p = pred.astype(np.float64)
    t = truth.astype(np.float64)
    p -= p.mean(0)
    t -= t.mean(0)
    return devkit_nnea((p * t).sum(0) / np.sqrt((p * p).sum(0) * (t * t).sum(0)), nc)


def nnea_f32(pred, truth, nc):
    """The same formula in float32 with einsum reductions: the fastest vectorised numpy form
    we found (float32 accumulation, so less exact than the float64 one)."""
    p = pred - pred.mean(0)
    t = truth - truth.mean(0)
    dot = lambda a, b: np.einsum("ij,ij->j", a, b)
    return devkit_nnea(dot(p, t) / np.sqrt(dot(p, p) * dot(t, t)), nc)


def score(blocks, formula=nnea):
    return np.concatenate([formula(*b) for b in blocks]).mean()


CRITERION = pathlib.Path(__file__).resolve().parents[2] / "target" / "criterion"


def rust_seconds(bench_id):
    """Criterion's mean estimate for `group/function`, or None when it has not been run."""
    path = CRITERION / bench_id / "new" / "estimates.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())["mean"]["point_estimate"] / 1e9


def ratio(label, peer_seconds, bench_id):
    rust = rust_seconds(bench_id)
    if rust is None:
        print(f"{label}: no criterion result for {bench_id}; run cargo bench --bench metrics first")
    else:
        print(f"{label}: peer {peer_seconds:.4f} s / Rust {rust:.4f} s = {peer_seconds / rust:.1f}x")


def bootstrap(blocks, n_resamples, rng):
    """Resample by resample, as a numpy user would write it."""
    out = []
    for _ in range(n_resamples):
        idx = {n: rng.integers(0, n, n) for n in set(IMAGES)}
        out.append(np.concatenate([nnea(p[idx[len(p)]], t[idx[len(t)]], nc) for p, t, nc in blocks]).mean())
    return out


def main():
    rng = np.random.default_rng(2023)
    blocks = submission(rng)
    enc = timeit("encoding_score/algonauts2023_8subj (numpy, float64)", lambda: score(blocks), 5)
    enc32 = timeit("encoding_score/algonauts2023_8subj (numpy, float32 einsum)",
                   lambda: score(blocks, nnea_f32), 5)
    k = 5
    boot = timeit(f"encoding_bootstrap/{k} resamples (numpy, resample by resample)",
                  lambda: bootstrap(blocks, k, rng), 1)
    print(f"encoding_bootstrap/1000 resamples (numpy, extrapolated): {boot / k * 1000:.1f} s")
    del blocks
    length = 1000 * 999 // 2
    model = rng.random(length)
    subjects = [rng.random(length) for _ in range(15)]
    rsa = timeit("rsa_spearman/1000stim_15subj (scipy.stats.spearmanr per subject)",
                 lambda: [scipy.stats.spearmanr(model, s).statistic for s in subjects], 5)
    encoding_id = "encoding_score/algonauts2023_8subj_2012img_316k_vertices"
    ratio("encoding score vs numpy float64", enc, encoding_id)
    ratio("encoding score vs numpy float32 einsum", enc32, encoding_id)
    ratio("RDM Spearman vs scipy", rsa, "rsa_spearman/1000stim_15subj")


if __name__ == "__main__":
    main()
