"""Peer check of a generated synthetic-cortex subject with numpy alone.

Input JSON: {"subject_dir": "..."}. Reads the files as a participant would (numpy.load, the
mapping with allow_pickle), recomputes the devkit noise ceiling from the single trials
(NSD ncsnr, algonauts_2023 devkit challenge_data_preparation.py) and the test means, and
prints them for the Rust test to compare with the files the generator wrote.
"""
import json
import sys

import numpy as np

args = json.load(sys.stdin)
d = args["subject_dir"]
out = {}
images = np.load(f"{d}/synthetic_truth/test_trial_images.npy")
counts = np.bincount(images)
a, b, c = (counts == 3).sum(), (counts == 2).sum(), (counts == 1).sum()
norm = (a / 3 + b / 2 + c / 1) / (a + b + c)
for h in ["lh", "rh"]:
    y = np.load(f"{d}/synthetic_truth/{h}_test_trials.npy").astype(np.float64)
    rep = [i for i in range(len(counts)) if counts[i] >= 2]
    noise = np.mean([y[images == i].var(axis=0, ddof=1) for i in rep], axis=0)
    ncsnr = np.sqrt(np.maximum(0, 1 - noise)) / np.sqrt(noise)
    nc = ncsnr**2 / (ncsnr**2 + norm)
    means = np.stack([y[images == i].mean(axis=0) for i in range(len(counts))])
    out[h] = {
        "nc_max_abs_diff": float(np.abs(nc - np.load(f"{d}/test_split/noise_ceiling/{h}_noise_ceiling.npy")).max()),
        "mean_max_abs_diff": float(np.abs(means - np.load(f"{d}/test_split/test_fmri/{h}_test_fmri.npy")).max()),
    }
mapping = np.load(f"{d}/roi_masks/mapping_floc-faces.npy", allow_pickle=True).item()
out["floc_faces_mapping"] = {str(k): v for k, v in mapping.items()}
print(json.dumps(out))
