"""RSA stimulus-bootstrap speed: one resample of `bench score` against one resample of
rsatoolbox's `eval_bootstrap_pattern` (Spearman) on the same RDMs (issue 10).

Writes seeded data in the Algonauts 2019 layout into a temporary folder: a 200-image test set
(Test_Data/78images/ holds 200 listed, empty images; Test_Data/target_fmri.mat the EVC and IT
RDMs of 15 subjects, MATLAB shape (15, 200, 200)) and a submission of one model RDM per ROI.

* brainbench: `bench score --benchmark algonauts2019-fmri SUB --bootstrap B` minus the same with
  `--bootstrap 0`, divided by B (fresh processes; the subject bootstrap that also runs costs
  microseconds);
* rsatoolbox: `eval_bootstrap_pattern(model, rdms, method="spearman", N=2+R)` minus the same
  with `N=2`, divided by R, per ROI, summed over the two ROIs. Twice: with the default
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
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    assert status == 0, status
    return wall, usage.ru_utime + usage.ru_stime, json.loads(out)


def rsatoolbox_per_resample(truth, models, resamples, noise_ceiling):
    import rsatoolbox
    from rsatoolbox.inference import eval_bootstrap_pattern
    wall = cpu = 0.0
    for roi in ROIS:
        data = rsatoolbox.rdm.RDMs(truth[roi], dissimilarity_measure="1-corr",
                                   pattern_descriptors={"index": np.arange(N_IMAGES)})
        model = rsatoolbox.model.ModelFixed("model", rsatoolbox.rdm.RDMs(models[roi][None]))
        # N=1 fails inside rsatoolbox (an array squeezed to 1-D), so the base run has N=2.
        for n, sign in ((2 + resamples, 1), (2, -1)):
            t, c = time.perf_counter(), time.process_time()
            eval_bootstrap_pattern(model, data, method="spearman", N=n,
                                   boot_noise_ceil=noise_ceiling)
            wall += sign * (time.perf_counter() - t)
            cpu += sign * (time.process_time() - c)
    return wall / resamples, cpu / resamples


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
        ours, peers = [], {False: [], True: []}
        for _ in range(args.repeat):
            w0, c0, _ = bench(data, sub, 0)
            wb, cb, report = bench(data, sub, args.resamples)
            ours.append(((wb - w0) / args.resamples, (cb - c0) / args.resamples))
            for nc in peers:
                peers[nc].append(rsatoolbox_per_resample(truth, models, args.peer_resamples, nc))
        fmt = lambda xs, k, scale: ", ".join(f"{x[k] * scale:.3f}" for x in xs)
        print(f"brainbench: per resample, wall {min(x[0] for x in ours) * 1e3:.3f} ms, CPU "
              f"{min(x[1] for x in ours) * 1e3:.3f} ms (best of {args.repeat}; "
              f"({args.resamples} resamples - 0) / {args.resamples}; all wall: "
              f"{fmt(ours, 0, 1e3)} ms; all CPU: {fmt(ours, 1, 1e3)} ms)")
        for nc, times in peers.items():
            print(f"rsatoolbox eval_bootstrap_pattern (spearman, both ROIs, boot_noise_ceil={nc}): "
                  f"per resample, wall {min(x[0] for x in times):.3f} s, CPU "
                  f"{min(x[1] for x in times):.3f} s (best of {args.repeat}, "
                  f"{args.peer_resamples} resamples each; all wall: {fmt(times, 0, 1)} s; "
                  f"all CPU: {fmt(times, 1, 1)} s)")
            for k, what in ((0, "wall"), (1, "CPU")):
                print(f"  ratio ({what}, best / best): "
                      f"{min(x[k] for x in times) / min(x[k] for x in ours):.0f}x; medians: "
                      f"{np.median([x[k] for x in times]) / np.median([x[k] for x in ours]):.0f}x")
        h = report["headline"]
        print(f"headline {h['value']:.6f}, 95% interval [{h['ci_low']:.6f}, {h['ci_high']:.6f}]")
        print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
