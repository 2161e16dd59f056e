"""Noise ceilings of the synthetic-cortex-rsa data and the Algonauts 2019 score of a submission,
recomputed in numpy/scipy from the files (scipy.io.loadmat reads target_fmri.mat), for
tests/synth_rsa.rs."""
import json
import sys

import numpy as np
from scipy import io, stats

args = json.load(sys.stdin)
iu_cache = {}


def upper(m):
    n = m.shape[0]
    if n not in iu_cache:
        iu_cache[n] = np.triu_indices(n, 1)
    return m[iu_cache[n]]


def ceilings(subj):
    mean = subj.mean(axis=0)
    up = np.mean([stats.spearmanr(upper(mean), upper(s))[0] ** 2 for s in subj])
    low = np.mean([
        stats.spearmanr(upper(np.delete(subj, k, axis=0).mean(axis=0)), upper(s))[0] ** 2
        for k, s in enumerate(subj)
    ])
    return up, low


out = {"ceilings": {}, "shapes": {}}
for set_name, path in args["targets"].items():
    mat = io.loadmat(path)
    for roi in args["rois"]:
        subj = mat[f"{roi}_RDMs"]
        out["shapes"][f"{set_name}/{roi}"] = list(subj.shape)
        up, low = ceilings(subj)
        out["ceilings"][f"{set_name}/{roi}"] = {"upper": up, "lower": low}

truth = io.loadmat(args["targets"][args["test_set"]])
scores = {}
for roi in args["rois"]:
    pred = np.load(args["submission"][roi])
    rho2 = [stats.spearmanr(upper(pred), upper(s))[0] ** 2 for s in truth[f"{roi}_RDMs"]]
    scores[roi] = float(np.mean(rho2))
out["score"] = float(np.mean(list(scores.values())))
print(json.dumps(out))
