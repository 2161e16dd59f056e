"""Writes two hostile MATLAB v7.3 (HDF5) files for tests/bounded_resources.rs: a group graph with a
cycle (a hard link from a child back to the root's group) and a chain of 2,000 nested groups.
Input (stdin JSON): {"dir": folder}. Output: {"cyclic": path, "deep": path}."""
import json, os, sys

import h5py

args = json.load(sys.stdin)
out = {}

def v73(path):
    # MATLAB v7.3 files are HDF5 with a 512-byte user block starting with the MATLAB header.
    f = h5py.File(path, "w", userblock_size=512)
    return f

def stamp(path):
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 ."
    with open(path, "r+b") as fh:
        fh.write(header.ljust(116, b" ") + b"\0" * 8 + b"\x00\x02IM")

cyclic = os.path.join(args["dir"], "cyclic.mat")
with v73(cyclic) as f:
    g = f.create_group("a")
    g.create_group("b")
    f["a"]["b"]["loop"] = f["a"]  # hard link back up: a -> b -> loop == a
stamp(cyclic)
out["cyclic"] = cyclic

deep = os.path.join(args["dir"], "deep.mat")
with v73(deep) as f:
    g = f
    for i in range(2000):
        g = g.create_group("g")
stamp(deep)
out["deep"] = deep

print(json.dumps(out))
