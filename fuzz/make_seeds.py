"""Writes the small generated seeds under tests/fixtures/fuzz-seeds/<target>/ that the committed fixtures do not
cover: submission zips, safetensors and PyTorch (.pth) checkpoints, and a trimmed score.json.
scripts/fuzz.sh adds the committed fixtures (tests/fixtures/io, submissions/*) at run time.

Run from the repository root with the peer venv (numpy), deterministic output:
    .venv/bin/python fuzz/make_seeds.py
No torch is needed: the .pth pickle is written with stand-in `torch` modules, byte for byte as
torch.save writes a state dict (protocol 2, persistent ids for storages).
"""
import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile
from collections import OrderedDict

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEEDS = os.path.join(ROOT, "tests", "fixtures", "fuzz-seeds")
DATE = (2026, 1, 1, 0, 0, 0)


def out(target, name, data):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def npy_bytes(a):
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def zip_bytes(files, method):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=DATE)
            info.compress_type = method
            z.writestr(info, data)
    return buf.getvalue()


def archives():
    a = npy_bytes(np.arange(6, dtype="<f4").reshape(2, 3))
    b = npy_bytes(np.ones((2, 2), dtype="<f4"))
    out("archive", "stored_top_folder.zip", zip_bytes(
        [("top/subj01/lh_pred_test.npy", a), ("top/subj01/rh_pred_test.npy", b)], zipfile.ZIP_STORED))
    out("archive", "deflated.zip", zip_bytes(
        [("subj01/", b""), ("subj01/lh_pred_test.npy", a)], zipfile.ZIP_DEFLATED))


def safetensors_bytes(tensors):
    header, blobs, offset = {}, [], 0
    for name, arr in tensors:
        raw = arr.tobytes()
        dtype = {"<f4": "F32", "<f2": "F16", "<i8": "I64"}[arr.dtype.str]
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def weights():
    w = np.arange(8, dtype="<f4").reshape(2, 1, 2, 2)
    b = np.zeros(2, dtype="<f4")
    out("safetensors", "two_tensors.safetensors", safetensors_bytes(
        [("features.0.weight", w), ("features.0.bias", b)]))
    out("safetensors", "mixed_dtypes.safetensors", safetensors_bytes(
        [("module.features.0.bias", b.astype("<f2")), ("num_batches_tracked", np.array([3], dtype="<i8"))]))
    out("pth", "state_dict.pth", pth_bytes(OrderedDict([("features.0.weight", w), ("features.0.bias", b)]), None))
    out("pth", "nested_state_dict.pth", pth_bytes(OrderedDict([("features.0.bias", b)]), "state_dict"))


# --- a torch.save zip checkpoint without torch -------------------------------------------------

def _stand_in_torch():
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    class FloatStorage:
        pass

    class LongStorage:
        pass

    def _rebuild_tensor_v2(*args):
        raise NotImplementedError

    FloatStorage.__module__ = LongStorage.__module__ = "torch"
    FloatStorage.__qualname__, LongStorage.__qualname__ = "FloatStorage", "LongStorage"
    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    torch.FloatStorage, torch.LongStorage, torch._utils = FloatStorage, LongStorage, utils
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    sys.modules["torch"], sys.modules["torch._utils"] = torch, utils
    return torch, utils


class _Tensor:
    def __init__(self, key, arr, torch, utils):
        self.key, self.arr, self.torch, self.utils = key, arr, torch, utils

    def __reduce__(self):
        strides = tuple(s // self.arr.itemsize for s in self.arr.strides)
        storage = _Storage(self.key, self.arr, self.torch)
        return (self.utils._rebuild_tensor_v2,
                (storage, 0, tuple(self.arr.shape), strides, False, OrderedDict()))


class _Storage:
    def __init__(self, key, arr, torch):
        self.key, self.arr, self.torch = key, arr, torch


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            kind = self.dispatch_kind(obj)
            return ("storage", kind, obj.key, "cpu", obj.arr.size)
        return None

    def dispatch_kind(self, obj):
        return obj.torch.FloatStorage if obj.arr.dtype == np.float32 else obj.torch.LongStorage


def pth_bytes(state, wrap):
    torch, utils = _stand_in_torch()
    tensors = OrderedDict((name, _Tensor(str(i), arr, torch, utils)) for i, (name, arr) in enumerate(state.items()))
    obj = {wrap: tensors} if wrap else tensors
    pkl = io.BytesIO()
    _Pickler(pkl, protocol=2).dump(obj)
    files = [("archive/data.pkl", pkl.getvalue())]
    files += [("archive/data/%d" % i, arr.tobytes()) for i, arr in enumerate(state.values())]
    files.append(("archive/version", b"3\n"))
    return zip_bytes(files, zipfile.ZIP_STORED)


def score_json():
    path = os.path.join(ROOT, "submissions", "pixel-neighbours--synthetic-cortex", "score.json")
    with open(path) as f:
        report = json.load(f)
    report["bootstrap"]["samples"] = report["bootstrap"]["samples"][:4]
    report["bootstrap"]["resamples"] = 4
    report["breakdown"] = report["breakdown"][:2]
    report["inputs"] = dict(list(report["inputs"].items())[:1])
    report["truth"] = dict(list(report["truth"].items())[:1])
    one = json.dumps(report, indent=2, sort_keys=False)
    other = dict(report, submission=dict(report["submission"], id="other", team="other"))
    other["headline"] = dict(report["headline"], value=report["headline"]["value"] + 1.0)
    two = one + "\n---\n" + json.dumps(other, indent=2)
    out("score_json", "trimmed.json", one.encode())
    out("score_json", "two_entries.json", two.encode())


if __name__ == "__main__":
    archives()
    weights()
    score_json()
