"""One-off audit of the ONNX peer (not run by CI, which has no torch): torchvision's own
AlexNet, VGG-16 (real weights from $BRAINBENCH_WEIGHTS) and ResNet-18/50 (the random checkpoint
cnn_onnx_peer.py writes by hand, loaded with torch.load(weights_only=True)) equal the ONNX graph
that cnn_onnx_peer.py builds. Run from a scratch folder with a python that has torch,
torchvision, onnx and onnxruntime; prints the worst relative deviation per network.
"""
import json
import os
import pathlib
import sys

import numpy as np
import torch
import torchvision

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
WEIGHTS = os.environ["BRAINBENCH_WEIGHTS"]
import cnn_onnx_peer as P  # noqa: E402
torch.set_num_threads(1)
rng = np.random.default_rng(0)
res = {}
# ResNet checkpoints: load the hand-written .pth in torch, compare torchvision to the ONNX peer
for arch, side in [("resnet18", 96), ("resnet50", 96)]:
    P.write_checkpoint(arch, 7, f"{arch}.safetensors", f"{arch}.pth")
    sd = torch.load(f"{arch}.pth", weights_only=True)
    m = getattr(torchvision.models, arch)(weights=None).eval()
    missing = m.load_state_dict(sd, strict=False)
    x = rng.standard_normal((2, 3, side, side)).astype(np.float32)
    np.save("x.npy", x)
    layers = ["conv1", "bn1", "maxpool", "layer1.0", "layer2", "layer3.1", "layer4", "avgpool", "fc"]
    outs = {}
    hooks = [m.get_submodule(l).register_forward_hook(lambda mod, i, o, l=l: outs.__setitem__(l, o.detach().clone())) for l in layers]
    with torch.inference_mode():
        m(torch.from_numpy(x))
    r = P.run({"arch": arch, "weights": f"{arch}.safetensors", "input": "x.npy", "layers": layers, "out_dir": "."})
    worst = max(float(np.abs(np.load(f"{l}.npy") - outs[l].numpy().reshape(np.load(f"{l}.npy").shape)).max() / np.abs(outs[l].numpy()).max()) for l in layers)
    res[arch] = (str(missing), worst)
# VGG16 / AlexNet real weights through torchvision vs the ONNX peer
for arch, side in [("vgg16", 64), ("alexnet", 96)]:
    w = P.read_safetensors(f"{WEIGHTS}/{arch}_features.safetensors")
    m = getattr(torchvision.models, arch)(weights=None).eval()
    m.load_state_dict({k: torch.from_numpy(v) for k, v in w.items()}, strict=False)
    x = rng.standard_normal((2, 3, side, side)).astype(np.float32)
    np.save("x.npy", x)
    n = len(m.features)
    layers = [f"features.{i}" for i in range(n)] + ["avgpool"]
    with torch.inference_mode():
        t = torch.from_numpy(x); outs = {}
        for i, mod in enumerate(m.features):
            t = mod(t); outs[f"features.{i}"] = t.clone()
        outs["avgpool"] = m.avgpool(t)
    r = P.run({"arch": arch, "weights": f"{WEIGHTS}/{arch}_features.safetensors", "input": "x.npy", "layers": layers, "out_dir": "."})
    res[arch] = max(float(np.abs(np.load(f"{l}.npy") - outs[l].numpy()).max() / np.abs(outs[l].numpy()).max()) for l in layers)
print(json.dumps(res))
