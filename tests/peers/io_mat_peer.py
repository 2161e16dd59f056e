"""Reads the real Algonauts 2019 .mat files with scipy (v5) and h5py (v7.3) for tests/real_algonauts2019.rs."""
import json
import sys

import h5py
import numpy as np
import scipy.io

args = json.load(sys.stdin)
root = args["root"]
stim = scipy.io.loadmat(f"{root}/Training_Data/92_Image_Set/92images.mat", squeeze_me=False)["visual_stimuli"]
first = stim[0, 0]
field = "pixel_values" if "pixel_values" in stim.dtype.names else "pixels"
pixels = np.asarray(first[field], dtype=np.float64)
with h5py.File(f"{root}/Training_Data/92_Image_Set/target_fmri.mat", "r") as f:
    evc = f["EVC_RDMs"][()]
print(json.dumps({
    "fields": list(stim.dtype.names),
    "pixels_shape": list(pixels.shape),
    "pixels_sum": float(pixels.sum()),
    "pixel_10_20_1": float(pixels[10, 20, 1]),
    "evc92_s3_5_17": float(evc[5, 17, 3]),
}))
