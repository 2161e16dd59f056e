"""PyTorch on the CPU doing the epochs benches/train.rs times, with the same shapes, batch sizes,
losses and AdamW; prints one JSON line per workload (seconds per epoch, median of 3 after a
warm-up) with as many threads as candle uses (all cores unless RAYON_NUM_THREADS is set).

Run: cargo bench --bench train
     <python with torch> benches/peers/train_epoch.py
torch is not in tests/peers/requirements.txt (about 5 GB with its CUDA libraries); install it in
a separate venv for this script.
"""
import json
import os
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(int(os.environ.get("RAYON_NUM_THREADS", os.cpu_count())))
torch.manual_seed(0)


def median_epoch(epoch):
    epoch()
    t = []
    for _ in range(3):
        s = time.perf_counter()
        epoch()
        t.append(time.perf_counter() - s)
    return sorted(t)[1]


def pearson_rdm(f):
    c = f - f.mean(dim=1, keepdim=True)
    z = c / c.norm(dim=1, keepdim=True).clamp_min(1e-8)
    return 1 - z @ z.T


def siamese_head():
    x = torch.randn(64, 512, 8, 8).relu()
    ws = [torch.nn.Parameter(torch.randn(512, 512, 3, 3) * 0.02) for _ in range(3)]
    bs = [torch.nn.Parameter(torch.zeros(512)) for _ in range(3)]
    opt = torch.optim.AdamW(ws + bs, lr=1e-4, weight_decay=0.01)
    iu = torch.triu_indices(16, 16, offset=1)
    target = torch.randn(iu.shape[1]) * 0.1 + 0.5

    def epoch():
        for b in range(4):
            h = x[b * 16 : (b + 1) * 16]
            for w, bias in zip(ws, bs):
                h = F.conv2d(h, w, bias, padding=1).relu()
            f = F.max_pool2d(h, 2, 2).flatten(1)
            loss = ((pearson_rdm(f)[iu[0], iu[1]] - target) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()

    return median_epoch(epoch)


def cnn_scratch():
    x = torch.randn(128, 3, 64, 64)
    y = torch.randn(128, 1000)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, 5, 2, 2), torch.nn.ReLU(), torch.nn.MaxPool2d(3, 2),
        torch.nn.Conv2d(16, 32, 3, 1, 1), torch.nn.ReLU(), torch.nn.MaxPool2d(2, 2),
        torch.nn.Conv2d(32, 64, 3, 1, 1), torch.nn.ReLU(), torch.nn.MaxPool2d(2, 2),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Dropout(0.3),
        torch.nn.Linear(64, 1000),
    )
    opt = torch.optim.AdamW(net.parameters(), lr=1e-4, weight_decay=0.01)

    def epoch():
        for b in range(4):
            loss = F.mse_loss(net(x[b * 32 : (b + 1) * 32]), y[b * 32 : (b + 1) * 32])
            opt.zero_grad()
            loss.backward()
            opt.step()

    return median_epoch(epoch)


for name, fn in [("siamese-head", siamese_head), ("cnn-scratch", cnn_scratch)]:
    print(json.dumps({"workload": name, "seconds_per_epoch": fn(), "threads": torch.get_num_threads(), "torch": torch.__version__}))
