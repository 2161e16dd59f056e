"""Independent engine for the CNN equality tests: builds AlexNet / VGG-16 / ResNet-18 / ResNet-50
as an ONNX graph with onnx.helper from a state dict in torchvision naming, runs it with ONNX
Runtime, and saves the requested layers.

Two modes, chosen by the JSON on stdin:
  {"mode": "run", "arch", "weights" (.safetensors), "input" (.npy, N x 3 x S x S float32),
   "layers": [...], "out_dir"}                       -> saves out_dir/<layer>.npy
  {"mode": "write_checkpoint", "arch", "seed", "safetensors", "pth"}
      -> a random checkpoint with batch-norm running statistics, in torchvision naming, written
         as .safetensors and as a PyTorch zip checkpoint (by hand: torch is not needed)
Prints JSON on stdout.
"""
import json
import sys
import types
import zipfile
import pickle
import collections
import struct

import numpy as np

# ---------------------------------------------------------------- architectures (torchvision)

ALEX_FEATURES = [("conv", 3, 64, 11, 4, 2), ("relu",), ("maxpool", 3, 2, 0),
                 ("conv", 64, 192, 5, 1, 2), ("relu",), ("maxpool", 3, 2, 0),
                 ("conv", 192, 384, 3, 1, 1), ("relu",), ("conv", 384, 256, 3, 1, 1), ("relu",),
                 ("conv", 256, 256, 3, 1, 1), ("relu",), ("maxpool", 3, 2, 0)]


def vgg16_features():
    out, cin = [], 3
    for c in [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]:
        if c == "M":
            out.append(("maxpool", 2, 2, 0))
        else:
            out += [("conv", cin, c, 3, 1, 1), ("relu",)]
            cin = c
    return out


RESNETS = {"resnet18": ("basic", [2, 2, 2, 2]), "resnet50": ("bottleneck", [3, 4, 6, 3])}


def resnet_blocks(arch):
    kind, layers = RESNETS[arch]
    exp = 1 if kind == "basic" else 4
    cin, blocks = 64, []
    for s, n in enumerate(layers):
        planes = 64 << s
        for b in range(n):
            stride = 2 if s > 0 and b == 0 else 1
            if kind == "basic":
                convs = [(cin, planes, 3, stride, 1), (planes, planes, 3, 1, 1)]
            else:
                convs = [(cin, planes, 1, 1, 0), (planes, planes, 3, stride, 1),
                         (planes, planes * 4, 1, 1, 0)]
            down = (cin, planes * exp, stride) if stride != 1 or cin != planes * exp else None
            blocks.append((f"layer{s + 1}.{b}", convs, down, s + 1, b == n - 1))
            cin = planes * exp
    return blocks, exp


def resnet_param_shapes(arch):
    shapes = collections.OrderedDict()

    def bn(p, c):
        for t in ["weight", "bias", "running_mean", "running_var"]:
            shapes[f"{p}.{t}"] = (c,)
    shapes["conv1.weight"] = (64, 3, 7, 7)
    bn("bn1", 64)
    blocks, exp = resnet_blocks(arch)
    for name, convs, down, _, _ in blocks:
        for k, (ci, co, ks, _, _) in enumerate(convs):
            shapes[f"{name}.conv{k + 1}.weight"] = (co, ci, ks, ks)
            bn(f"{name}.bn{k + 1}", co)
        if down:
            shapes[f"{name}.downsample.0.weight"] = (down[1], down[0], 1, 1)
            bn(f"{name}.downsample.1", down[1])
    shapes["fc.weight"] = (1000, 512 * exp)
    shapes["fc.bias"] = (1000,)
    return shapes

# ---------------------------------------------------------------- safetensors and .pth by hand


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        assert v["dtype"] == "F32", (k, v["dtype"])
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(data[a:b], dtype="<f4").reshape(v["shape"]).copy()
    return out


def write_safetensors(path, tensors):
    header, off, blobs = {}, 0, []
    for k, t in tensors.items():
        b = np.ascontiguousarray(t, dtype="<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def write_pth(path, tensors):
    """A PyTorch zip checkpoint (torch.save's format) of a state dict, without torch: the pickle
    references torch._utils._rebuild_tensor_v2 and torch.FloatStorage, resolved through stand-in
    modules so the pickler can name them."""
    torch_mod = types.ModuleType("torch")
    utils_mod = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise RuntimeError("stand-in")
    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils_mod._rebuild_tensor_v2 = _rebuild_tensor_v2
    FloatStorage = type("FloatStorage", (), {"__module__": "torch"})
    torch_mod.FloatStorage = FloatStorage
    torch_mod._utils = utils_mod
    saved = {k: sys.modules.get(k) for k in ["torch", "torch._utils"]}
    sys.modules["torch"], sys.modules["torch._utils"] = torch_mod, utils_mod

    class Storage:
        def __init__(self, key, numel):
            self.key, self.numel = key, numel

    class FakeTensor:
        def __init__(self, storage, shape):
            self.storage, self.shape = storage, shape

        def __reduce__(self):
            stride, acc = [], 1
            for d in reversed(self.shape):
                stride.insert(0, acc)
                acc *= d
            return (_rebuild_tensor_v2,
                    (self.storage, 0, tuple(self.shape), tuple(stride), False, collections.OrderedDict()))

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                return ("storage", FloatStorage, obj.key, "cpu", obj.numel)
            return None

    import io
    state = collections.OrderedDict()
    blobs = {}
    for i, (k, t) in enumerate(tensors.items()):
        key = str(i)
        state[k] = FakeTensor(Storage(key, int(t.size)), t.shape)
        blobs[key] = np.ascontiguousarray(t, dtype="<f4").tobytes()
    buf = io.BytesIO()
    Pickler(buf, protocol=2).dump(state)
    for k, v in saved.items():
        if v is None:
            sys.modules.pop(k, None)
        else:
            sys.modules[k] = v
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", buf.getvalue())
        for key, b in blobs.items():
            z.writestr(f"archive/data/{key}", b)
        z.writestr("archive/version", "3\n")


def write_checkpoint(arch, seed, st_path, pth_path):
    rng = np.random.default_rng(seed)
    t = collections.OrderedDict()
    for name, shape in resnet_param_shapes(arch).items():
        if name.endswith("running_var"):
            v = rng.uniform(0.5, 2.0, shape)
        elif name.endswith("running_mean") or (name.endswith(".bias") and not name.startswith("fc")):
            v = rng.normal(0.0, 0.1, shape)
        elif len(shape) == 1 and name.endswith(".weight"):  # batch-norm gamma
            v = rng.uniform(0.5, 1.5, shape)
        else:
            fan_in = int(np.prod(shape[1:]))
            v = rng.normal(0.0, np.sqrt(1.0 / fan_in), shape)
        t[name] = v.astype(np.float32)
    write_safetensors(st_path, t)
    write_pth(pth_path, t)
    return {"tensors": len(t)}

# ---------------------------------------------------------------- ONNX graph


class Graph:
    def __init__(self, w):
        from onnx import helper, numpy_helper
        self.h, self.nh = helper, numpy_helper
        self.w, self.nodes, self.inits, self.n = w, [], [], 0

    def init(self, name):
        self.inits.append(self.nh.from_array(self.w[name], name))
        return name

    def const(self, arr):
        self.n += 1
        name = f"const{self.n}"
        self.inits.append(self.nh.from_array(np.asarray(arr), name))
        return name

    def node(self, op, inputs, out, **attrs):
        self.nodes.append(self.h.make_node(op, inputs, [out], **attrs))
        return out

    def conv(self, x, prefix, k, s, p, out, bias=True):
        ins = [x, self.init(prefix + ".weight")] + ([self.init(prefix + ".bias")] if bias else [])
        return self.node("Conv", ins, out, kernel_shape=[k, k], strides=[s, s], pads=[p] * 4)

    def bn(self, x, prefix, out):
        return self.node("BatchNormalization",
                         [x] + [self.init(f"{prefix}.{t}") for t in ["weight", "bias", "running_mean", "running_var"]],
                         out, epsilon=1e-5)

    def adaptive_avg(self, x, in_hw, out_hw, out):
        (h, w), (oh, ow) = in_hw, out_hw
        if (h, w) == (oh, ow):
            return self.node("Identity", [x], out)
        rows = []
        for i in range(oh):
            r0, r1 = (i * h) // oh, -(-((i + 1) * h) // oh)
            cells = []
            for j in range(ow):
                c0, c1 = (j * w) // ow, -(-((j + 1) * w) // ow)
                self.n += 1
                sl = self.node("Slice", [x, self.const(np.array([r0, c0])), self.const(np.array([r1, c1])),
                                         self.const(np.array([2, 3]))], f"slice{self.n}")
                cells.append(self.node("ReduceMean", [sl], f"mean{self.n}", axes=[2, 3], keepdims=1))
            self.n += 1
            rows.append(self.node("Concat", cells, f"row{self.n}", axis=3))
        return self.node("Concat", rows, out, axis=2)


def side_after(side, k, s, p):
    return (side + 2 * p - k) // s + 1


def build_plain(g, arch, side):
    feats = ALEX_FEATURES if arch == "alexnet" else vgg16_features()
    pool = (6, 6) if arch == "alexnet" else (7, 7)
    x = "input"
    for i, op in enumerate(feats):
        name = f"features.{i}"
        if op[0] == "conv":
            _, ci, co, k, s, p = op
            x = g.conv(x, name, k, s, p, name)
            side = side_after(side, k, s, p)
        elif op[0] == "relu":
            x = g.node("Relu", [x], name)
        else:
            _, k, s, p = op
            x = g.node("MaxPool", [x], name, kernel_shape=[k, k], strides=[s, s], pads=[p] * 4)
            side = side_after(side, k, s, p)
    x = g.adaptive_avg(x, (side, side), pool, "avgpool")
    have_classifier = "classifier.1.weight" in g.w or "classifier.0.weight" in g.w
    if have_classifier:
        x = g.node("Flatten", [x], "flat", axis=1)
        cls = (["drop", "lin", "relu", "drop", "lin", "relu", "lin"] if arch == "alexnet"
               else ["lin", "relu", "drop", "lin", "relu", "drop", "lin"])
        for i, op in enumerate(cls):
            name = f"classifier.{i}"
            if op == "lin":
                x = g.node("Gemm", [x, g.init(name + ".weight"), g.init(name + ".bias")], name, transB=1)
            elif op == "relu":
                x = g.node("Relu", [x], name)
            else:
                x = g.node("Identity", [x], name)


def build_resnet(g, arch, side):
    x = g.conv("input", "conv1", 7, 2, 3, "conv1", bias=False)
    x = g.bn(x, "bn1", "bn1")
    x = g.node("Relu", [x], "relu")
    x = g.node("MaxPool", [x], "maxpool", kernel_shape=[3, 3], strides=[2, 2], pads=[1] * 4)
    blocks, _ = resnet_blocks(arch)
    for name, convs, down, stage, last in blocks:
        y = x
        for k, (_, _, ks, s, p) in enumerate(convs):
            y = g.conv(y, f"{name}.conv{k + 1}", ks, s, p, f"{name}.c{k + 1}", bias=False)
            y = g.bn(y, f"{name}.bn{k + 1}", f"{name}.b{k + 1}")
            if k < len(convs) - 1:
                y = g.node("Relu", [y], f"{name}.r{k + 1}")
        sc = x
        if down:
            sc = g.conv(x, f"{name}.downsample.0", 1, down[2], 0, f"{name}.d0", bias=False)
            sc = g.bn(sc, f"{name}.downsample.1", f"{name}.d1")
        y = g.node("Add", [y, sc], f"{name}.add")
        x = g.node("Relu", [y], name)
        if last:
            x = g.node("Identity", [x], f"layer{stage}")
    x = g.node("GlobalAveragePool", [x], "avgpool")
    x = g.node("Flatten", [x], "flat", axis=1)
    g.node("Gemm", [x, g.init("fc.weight"), g.init("fc.bias")], "fc", transB=1)


def run(req):
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto
    w = read_safetensors(req["weights"])
    x = np.load(req["input"]).astype(np.float32)
    g = Graph(w)
    if req["arch"] in ("alexnet", "vgg16"):
        build_plain(g, req["arch"], x.shape[2])
    else:
        build_resnet(g, req["arch"], x.shape[2])
    h = g.h
    outputs = [h.make_tensor_value_info(l, TensorProto.FLOAT, None) for l in req["layers"]]
    graph = h.make_graph(g.nodes, req["arch"], [h.make_tensor_value_info("input", TensorProto.FLOAT, list(x.shape))],
                         outputs, g.inits)
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)])
    model.ir_version = 8
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    res = sess.run(req["layers"], {"input": x})
    out = {}
    for l, r in zip(req["layers"], res):
        p = f"{req['out_dir']}/{l}.npy"
        np.save(p, r.astype(np.float32))
        out[l] = p
    return {"layers": out, "onnxruntime": ort.__version__, "onnx": onnx.__version__}


def main():
    req = json.load(sys.stdin)
    if req["mode"] == "write_checkpoint":
        res = write_checkpoint(req["arch"], req["seed"], req["safetensors"], req["pth"])
    else:
        res = run(req)
    json.dump(res, sys.stdout)


if __name__ == "__main__":
    main()
