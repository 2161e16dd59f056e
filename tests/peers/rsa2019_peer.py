"""The Algonauts 2019 fMRI score of a submission, as the challenge's testSub_fmri.py computes it,
in numpy/scipy, for tests/real_algonauts2019.rs."""
import json
import sys

import h5py
import numpy as np
from scipy import stats

args = json.load(sys.stdin)
with h5py.File(args["truth"], "r") as f:
    truth = {roi: np.transpose(f[f"{roi}_RDMs"][()], (2, 1, 0)) for roi in ("EVC", "IT")}
with h5py.File(args["submission"], "r") as f:
    sub = {roi: np.transpose(f[f"{roi}_RDMs"][()]) for roi in ("EVC", "IT")}

n = truth["EVC"].shape[1]
iu = np.triu_indices(n, 1)
out = {}
for roi in ("EVC", "IT"):
    subj = truth[roi]
    mean = subj.mean(axis=0)
    nc = np.mean([stats.spearmanr(mean[iu], s[iu])[0] ** 2 for s in subj])
    rho2 = np.array([stats.spearmanr(sub[roi][iu], s[iu])[0] ** 2 for s in subj])
    t, p = stats.ttest_1samp(rho2, 0)
    out[roi] = {"r2": rho2.mean(), "p": p, "t": t, "nc": nc, "pct_nc": 100 * rho2.mean() / nc}
score = (out["EVC"]["r2"] + out["IT"]["r2"]) / 2
out["score"] = score
out["pct_nc"] = 100 * score / ((out["EVC"]["nc"] + out["IT"]["nc"]) / 2)
print(json.dumps(out))
