"""End-to-end scoring speed: `bench score --bootstrap 0` against numpy loading and scoring the
same files (issue 10).

Writes seeded Algonauts-2023-sized data and a submission in the official layout into a temporary
folder (8 subjects, 159-395 test images, ~39.5k vertices per subject, both hemispheres, the six ROI
sets), then times, alternating and on the same files:

* numpy: `np.load` of every prediction, truth and noise-ceiling file and the devkit's per-vertex
  formula (vectorised; once accumulated in float64 as brainbench does, once in float32);
* brainbench: `target/release/bench score --benchmark algonauts2023 SUB --bootstrap 0 --json`,
  a fresh process each time (its peak resident memory from `wait4`);
* the floor: SHA-256 of every byte brainbench hashes (hashlib, one thread per core).

Run: cargo build --release && .venv/bin/python benches/peers/end_to_end.py [--repeat 5]
Prints best and median times, the ratios, each side's distance from the floor, brainbench's peak
memory against the input size, and checks that both compute the same headline score.
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import pathlib
import pickle
import subprocess
import tempfile
import time

import numpy as np

IMAGES = [159, 159, 293, 395, 159, 293, 159, 395]
VERTS = {5: (18978, 20220), 7: (18981, 20530)}
ROI_SETS = {
    "prf-visualrois": ["V1v", "V1d", "V2v", "V2d", "V3v", "V3d", "hV4"],
    "floc-bodies": ["EBA", "FBA-1", "FBA-2", "mTL-bodies"],
    "floc-faces": ["OFA", "FFA-1", "FFA-2", "mTL-faces", "aTL-faces"],
    "floc-places": ["OPA", "PPA", "RSC"],
    "floc-words": ["OWFA", "VWFA-1", "VWFA-2", "mfs-words", "mTL-words"],
    "streams": ["early", "midventral", "midlateral", "midparietal", "ventral", "lateral", "parietal"],
}
ROOT = pathlib.Path(__file__).resolve().parents[2]


def write_data(tmp, seed=0):
    """The official layout under tmp/data/algonauts2023 and a submission under tmp/sub."""
    rng = np.random.default_rng(seed)
    data = tmp / "data" / "algonauts2023"
    sub = tmp / "sub"
    hashed, predictions = [], []
    for s, n in enumerate(IMAGES):
        subj = f"subj{s + 1:02d}"
        d = data / subj
        for folder in ["training_split/training_images", "training_split/training_fmri",
                       "test_split/test_images", "test_split/test_fmri",
                       "test_split/noise_ceiling", "roi_masks"]:
            (d / folder).mkdir(parents=True)
        (sub / subj).mkdir(parents=True)
        # Images are listed, never read, when scoring: empty files keep the data small.
        (d / "training_split/training_images/train-0001_nsd-00001.png").touch()
        for i in range(n):
            (d / f"test_split/test_images/test-{i + 1:04d}_nsd-{i:05d}.png").touch()
        for set_name, names in ROI_SETS.items():
            mapping = {0: "Unknown", **{i + 1: name for i, name in enumerate(names)}}
            np.save(d / f"roi_masks/mapping_{set_name}.npy", mapping, allow_pickle=True)
        for hemi, v in zip(["lh", "rh"], VERTS.get(s, (19004, 20544))):
            np.save(d / f"training_split/training_fmri/{hemi}_training_fmri.npy",
                    np.zeros((1, v), np.float32))
            truth = rng.standard_normal((n, v), dtype=np.float32)
            pred = truth + 2 * rng.standard_normal((n, v), dtype=np.float32)
            nc = (100 * rng.random(v)).astype(np.float32)  # the devkit's files hold percentages
            for set_name, names in ROI_SETS.items():
                labels = rng.integers(0, len(names) + 1, v).astype(np.int32)
                np.save(d / f"roi_masks/{hemi}.{set_name}_challenge_space.npy", labels)
            paths = (d / f"test_split/test_fmri/{hemi}_test_fmri.npy",
                     d / f"test_split/noise_ceiling/{hemi}_noise_ceiling.npy",
                     sub / subj / f"{hemi}_pred_test.npy")
            for path, array in zip(paths, (truth, nc, pred)):
                np.save(path, array)
            hashed += paths
            predictions.append(paths)
    (sub / "submission.toml").write_text(
        'team = "bench"\nmodel = "noisy truth"\nbenchmark = "algonauts2023"\n'
        'description = "end-to-end speed test"\n')
    return tmp / "data", sub, hashed, predictions


def devkit_nnea(r, nc):
    r = np.where(np.isnan(r), 0, np.maximum(r, 0))
    nc = np.where(nc == 0, 1e-14, nc)
    return np.minimum(100 * r**2 / nc, 100)


def score_f64(pred, truth, nc):
    p = pred.astype(np.float64)
    t = truth.astype(np.float64)
    p -= p.mean(0)
    t -= t.mean(0)
    return devkit_nnea((p * t).sum(0) / np.sqrt((p * p).sum(0) * (t * t).sum(0)), nc)


def score_f32(pred, truth, nc):
    p = pred - pred.mean(0)
    t = truth - truth.mean(0)
    dot = lambda a, b: np.einsum("ij,ij->j", a, b)
    return devkit_nnea(dot(p, t) / np.sqrt(dot(p, p) * dot(t, t)), nc)


def numpy_score(blocks, formula):
    """np.load every file, then the devkit's pooled mean over all vertices."""
    scores = []
    for truth_path, nc_path, pred_path in blocks:
        truth, nc, pred = np.load(truth_path), np.load(nc_path), np.load(pred_path)
        scores.append(formula(pred, truth, nc.astype(np.float64) / 100))
    return float(np.concatenate(scores).mean())


def bench_score(data, sub):
    env = dict(os.environ, BRAINBENCH_DATA=str(data))
    cmd = [str(ROOT / "target/release/bench"), "score", "--benchmark", "algonauts2023", str(sub),
           "--bootstrap", "0", "--json", "--out", str(sub.parent / "score.json")]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t
    if status != 0:
        raise SystemExit(f"bench failed (wait status {status})")
    return elapsed, usage.ru_utime + usage.ru_stime, json.loads(out)["headline"]["value"]


def bench_peak_rss(data, sub):
    """Peak resident memory (bytes) of one `bench score` run, from wait4."""
    env = dict(os.environ, BRAINBENCH_DATA=str(data))
    cmd = [str(ROOT / "target/release/bench"), "score", "--benchmark", "algonauts2023", str(sub),
           "--bootstrap", "0", "--out", str(sub.parent / "score.json")]
    pid = os.posix_spawn(cmd[0], cmd, env, file_actions=[
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0)])
    _, status, usage = os.wait4(pid, 0)
    assert status == 0, status
    return usage.ru_maxrss * 1024


def hash_all(paths, threads):
    def one(p):
        h = hashlib.sha256()
        with open(p, "rb") as f:
            while chunk := f.read(1 << 22):
                h.update(chunk)
        return h.hexdigest()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, paths))


def best(times):
    return min(times), float(np.median(times))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    cores = os.cpu_count()
    with tempfile.TemporaryDirectory(prefix="brainbench-e2e-") as tmp:
        data, sub, hashed, blocks = write_data(pathlib.Path(tmp))
        size = sum(p.stat().st_size for p in hashed)
        others = [p for p in data.rglob("*.npy") if p not in set(hashed)]
        other_size = sum(p.stat().st_size for p in others)
        print(f"data: {len(blocks)} blocks, {size / 1e6:.1f} MB of predictions, truth and noise "
              f"ceilings (+{other_size / 1e6:.1f} MB of ROI masks, mappings, training headers); "
              f"{cores} cores; load average {os.getloadavg()}")
        t_np64, t_np32, t_bench, t_floor = [], [], [], []
        cpu_np64, cpu_np32, cpu_bench = [], [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            hash_all(hashed, cores)
            t_floor.append(time.perf_counter() - t)
            t, c = time.perf_counter(), time.process_time()
            s64 = numpy_score(blocks, score_f64)
            t_np64.append(time.perf_counter() - t)
            cpu_np64.append(time.process_time() - c)
            t, c = time.perf_counter(), time.process_time()
            s32 = numpy_score(blocks, score_f32)
            t_np32.append(time.perf_counter() - t)
            cpu_np32.append(time.process_time() - c)
            elapsed, cpu, s_bench = bench_score(data, sub)
            t_bench.append(elapsed)
            cpu_bench.append(cpu)
        peak = bench_peak_rss(data, sub)
        floor, _ = best(t_floor)
        rows = [("numpy float64 (np.load + devkit formula)", t_np64),
                ("numpy float32 einsum (np.load + devkit formula)", t_np32),
                ("brainbench score --bootstrap 0", t_bench)]
        for name, times in rows:
            b, m = best(times)
            print(f"{name}: best {b:.3f} s, median {m:.3f} s over {len(times)} runs; "
                  f"{b / floor:.1f}x the floor")
        print(f"floor (SHA-256 of the {size / 1e6:.0f} MB hashed, {cores} threads): best {floor:.3f} s")
        b_bench = best(t_bench)[0]
        print(f"brainbench vs numpy float64: {best(t_np64)[0] / b_bench:.2f}x "
              f"(medians {best(t_np64)[1] / best(t_bench)[1]:.2f}x)")
        print(f"brainbench vs numpy float32: {best(t_np32)[0] / b_bench:.2f}x "
              f"(medians {best(t_np32)[1] / best(t_bench)[1]:.2f}x)")
        for name, cpu in (("numpy float64", cpu_np64), ("numpy float32", cpu_np32)):
            print(f"CPU seconds (user + sys, all threads): {name} best {min(cpu):.3f} s, "
                  f"brainbench best {min(cpu_bench):.3f} s: {min(cpu) / min(cpu_bench):.2f}x")
        print(f"brainbench peak RSS {peak / 1e6:.0f} MB = {peak / size:.2f}x the {size / 1e6:.0f} MB "
              f"hashed ({peak / (size + other_size):.2f}x all {(size + other_size) / 1e6:.0f} MB read)")
        print(f"headline: brainbench {s_bench:.6f}, numpy float64 {s64:.6f}, float32 {s32:.6f}")
        assert abs(s_bench - s64) < 1e-6, "brainbench and numpy disagree"
        print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
