"""Times himalaya's RidgeCV and scikit-learn's PCA on the shapes of benches/fit.rs.

Run: $BRAINBENCH_PYTHON tests/peers/fit_speed.py [targets ...]   (default: 2000 40000)
Prints one line per case: name, best / median wall time over 3 runs. numpy backend, float64
(the precision brainbench computes in), fit_intercept=True, score r2, KFold(5), 10 alphas. The
PCA peer is the full LAPACK SVD (what brainbench reproduces); scikit-learn's default solver is
timed beside it for information only.
"""
import sys
import time

import numpy as np
from himalaya.backend import set_backend
from himalaya.ridge import RidgeCV
from himalaya.scoring import r2_score
from sklearn.decomposition import PCA

set_backend("numpy")
IMAGES, FEATURES = 1000, 512


def timeit(name, fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    print(f"{name}: best {min(times):.2f} s, median {np.median(times):.2f} s over {repeat} runs", flush=True)


def ridge(targets, rng, batch):
    x = rng.uniform(-1, 1, (IMAGES, FEATURES)).astype(np.float32)
    y = x @ rng.uniform(-0.1, 0.1, (FEATURES, targets)).astype(np.float32)
    y += rng.uniform(-1, 1, y.shape).astype(np.float32)
    x = (x - x.mean(0)) / x.std(0)
    x, y = x.astype(np.float64), y.astype(np.float64)
    model = RidgeCV(alphas=np.logspace(-1, 8, 10), fit_intercept=True, solver="svd", cv=5,
                    solver_params=dict(score_func=r2_score, n_targets_batch=batch, warn=False))
    timeit(f"himalaya RidgeCV 1000x512_to_{targets}targets_5folds_10alphas (n_targets_batch={batch})",
           lambda: model.fit(x, y))


def main():
    rng = np.random.default_rng(0)
    targets = [int(a) for a in sys.argv[1:]] or [2000, 40000]
    for t in targets:
        ridge(t, rng, None)  # himalaya's default: all targets in one batch
    x = rng.uniform(-1, 1, (IMAGES, 4096))
    timeit("sklearn PCA(svd_solver='full') 1000x4096_to_512", lambda: PCA(512, svd_solver="full").fit(x))
    # Not the peer: scikit-learn's default solver picks an approximate method for this shape.
    default = PCA(512)
    timeit("sklearn PCA() default svd_solver='auto' 1000x4096_to_512", lambda: default.fit(x))
    print(f"  (svd_solver='auto' chose {default._fit_svd_solver!r} here: an approximate fit, "
          "not the full SVD that brainbench reproduces)", flush=True)


if __name__ == "__main__":
    main()
