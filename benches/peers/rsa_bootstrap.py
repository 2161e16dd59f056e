"""RSA stimulus-bootstrap speed: one resample of `bench score` against one resample of
rsatoolbox's `eval_bootstrap_pattern` (Spearman) on the same RDMs (issue 10).

Writes seeded data in the Algonauts 2019 layout into a temporary folder: a 200-image test set
(Test_Data/78images/ holds 200 listed, empty images; Test_Data/target_fmri.mat the EVC and IT
RDMs of 15 subjects, MATLAB shape (15, 200, 200)) and a submission of one model RDM per ROI.

* brainbench: `bench score --benchmark algonauts2019-fmri SUB --bootstrap B` minus the same with
  `--bootstrap 0`, divided by B (fresh processes; the subject bootstrap that also runs costs
  microseconds);
* rsatoolbox: `eval_bootstrap_pattern(model, rdms, method="spearman", N=1+R)` minus the same
  with `N=1`, divided by R, per ROI, summed over the two ROIs. Twice: with the default
  `boot_noise_ceil=True` (the call the issue timed; it also bootstraps the noise ceiling, which
  brainbench does not do per resample) and with `boot_noise_ceil=False` (only the work brainbench
  does per resample, the fair comparison of the kernel).

Run: cargo build --release && .venv/bin/python benches/peers/rsa_bootstrap.py
"""
import argparse
import json
import os
import pathlib
import subprocess
import tempfile
import time

import numpy as np
import scipy.io

ROOT = pathlib.Path(__file__).resolve().parents[2]
N_IMAGES, N_SUBJECTS, ROIS = 200, 15, ("EVC", "IT")


def rdm_of(features):
    return 1 - np.corrcoef(features)


def write_data(tmp, seed=0):
    rng = np.random.default_rng(seed)
    test = tmp / "data" / "algonauts2019" / "Test_Data"
    (test / "78images").mkdir(parents=True)
    for i in range(N_IMAGES):
        (test / "78images" / f"78images_{i + 1:05d}.jpg").touch()
    sub = tmp / "sub"
    sub.mkdir()
    truth = {}
    for roi in ROIS:
        latent = rng.standard_normal((N_IMAGES, 30))
        truth[roi] = np.stack([rdm_of(latent + 2 * rng.standard_normal(latent.shape))
                               for _ in range(N_SUBJECTS)])
        np.fill_diagonal(model := rdm_of(latent + 3 * rng.standard_normal(latent.shape)), 0)
        for s in truth[roi]:
            np.fill_diagonal(s, 0)
        np.save(sub / f"{roi}_RDMs.npy", model)
    scipy.io.savemat(test / "target_fmri.mat", {f"{r}_RDMs": truth[r] for r in ROIS})
    (sub / "submission.toml").write_text(
        'team = "bench"\nmodel = "noisy latent"\nbenchmark = "algonauts2019-fmri"\n'
        'description = "RSA bootstrap speed test"\n')
    models = {r: np.load(sub / f"{r}_RDMs.npy") for r in ROIS}
    return tmp / "data", sub, truth, models


def bench(data, sub, resamples):
    env = dict(os.environ, BRAINBENCH_DATA=str(data))
    cmd = [str(ROOT / "target/release/bench"), "score", "--benchmark", "algonauts2019-fmri",
           str(sub), "--bootstrap", str(resamples), "--json", "--out", str(sub.parent / "s.json")]
    t = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, check=True).stdout
    return time.perf_counter() - t, json.loads(out)


def rsatoolbox_per_resample(truth, models, resamples, noise_ceiling):
    import rsatoolbox
    from rsatoolbox.inference import eval_bootstrap_pattern
    total = 0.0
    for roi in ROIS:
        data = rsatoolbox.rdm.RDMs(truth[roi], dissimilarity_measure="1-corr",
                                   pattern_descriptors={"index": np.arange(N_IMAGES)})
        model = rsatoolbox.model.ModelFixed("model", rsatoolbox.rdm.RDMs(models[roi][None]))
        for n, sign in ((1 + resamples, 1), (1, -1)):
            t = time.perf_counter()
            eval_bootstrap_pattern(model, data, method="spearman", N=n,
                                   boot_noise_ceil=noise_ceiling)
            total += sign * (time.perf_counter() - t)
    return total / resamples


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--resamples", type=int, default=1000, help="brainbench resamples per run")
    ap.add_argument("--peer-resamples", type=int, default=3, help="rsatoolbox resamples per run")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="brainbench-rsa-") as tmp:
        data, sub, truth, models = write_data(pathlib.Path(tmp))
        print(f"{N_IMAGES} images, {N_SUBJECTS} subjects, ROIs {ROIS}; "
              f"load average {os.getloadavg()}")
        ours, peer, peer_nc = [], [], []
        for _ in range(args.repeat):
            t0, _ = bench(data, sub, 0)
            tb, report = bench(data, sub, args.resamples)
            ours.append((tb - t0) / args.resamples)
            peer.append(rsatoolbox_per_resample(truth, models, args.peer_resamples, False))
            peer_nc.append(rsatoolbox_per_resample(truth, models, args.peer_resamples, True))
        best_ours = min(ours)
        print(f"brainbench: {best_ours * 1e3:.3f} ms per resample (best of {args.repeat}; "
              f"({args.resamples} resamples - 0) / {args.resamples}; all: "
              f"{', '.join(f'{x * 1e3:.3f}' for x in ours)} ms)")
        for name, times in (("boot_noise_ceil=False", peer), ("boot_noise_ceil=True", peer_nc)):
            print(f"rsatoolbox eval_bootstrap_pattern (spearman, both ROIs, {name}): "
                  f"{min(times):.3f} s per resample (best of {args.repeat}, {args.peer_resamples} "
                  f"resamples each; all: {', '.join(f'{x:.3f}' for x in times)} s); "
                  f"ratio {min(times) / best_ours:.0f}x (medians "
                  f"{np.median(times) / np.median(ours):.0f}x)")
        h = report["headline"]
        print(f"headline {h['value']:.6f}, 95% interval [{h['ci_low']:.6f}, {h['ci_high']:.6f}]")
        print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
