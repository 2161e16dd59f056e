"""PyTorch's feature-extraction speed on the batch benches/features.rs times (VGG-16 to
features.30, ResNet-50 to avgpool, 224 px, batches of 8), on the CPU with as many threads as
cores, and the ratio to candle from criterion's estimates.

Run: cargo bench --bench features        (writes target/criterion and the input batch)
     <python with torch + torchvision> benches/peers/features_speed.py
torch is not in tests/peers/requirements.txt (about 5 GB with its CUDA libraries); install it in
a separate venv for this script.
"""
import json
import os
import pathlib
import time

import numpy as np
import torch
import torchvision

ROOT = pathlib.Path(__file__).resolve().parents[2]


def images_per_s(fn, x, repeat=10):
    with torch.inference_mode():
        fn(x)  # warm-up
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            fn(x)
            times.append(time.perf_counter() - t)
    return x.shape[0] / float(np.median(times)), times


def candle_images_per_s(name):
    p = ROOT / "target/criterion/features" / name / "new/estimates.json"
    if not p.exists():
        return None
    est = json.loads(p.read_text())
    return 8 / (est["median"]["point_estimate"] * 1e-9)


def main():
    torch.set_num_threads(os.cpu_count())
    x = torch.from_numpy(np.load(ROOT / "target/features-bench-input.npy"))
    vgg = torchvision.models.vgg16(weights=None).eval()
    resnet = torchvision.models.resnet50(weights=None).eval()

    def resnet_avgpool(t):
        m = resnet
        t = m.maxpool(m.relu(m.bn1(m.conv1(t))))
        return m.avgpool(m.layer4(m.layer3(m.layer2(m.layer1(t)))))

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {x.shape[0]} at {x.shape[2]} px")
    for name, fn in [("vgg16_224px_batch8", vgg.features), ("resnet50_224px_batch8", resnet_avgpool)]:
        ips, times = images_per_s(fn, x)
        line = f"{name}: torch {ips:.2f} images/s (median of {len(times)})"
        c = candle_images_per_s(name)
        if c is not None:
            line += f", candle {c:.2f} images/s, candle/torch = {c / ips:.2f}"
        print(line)


if __name__ == "__main__":
    main()
