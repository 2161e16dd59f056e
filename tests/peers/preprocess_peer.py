"""Pillow peer for the preprocessing test: torchvision's ImageNet transform
(Resize(r) -> CenterCrop(c) -> ToTensor -> Normalize) written out with Pillow and numpy as
torchvision applies it to PIL images (torchvision itself is not needed).

stdin: {"images": [...], "resize": r, "crop": c, "out_dir": d}
saves d/<i>_crop.npy (int32 c x c x 3), d/<i>_tensor.npy (float32 3 x c x c), d/<i>_decoded.npy
(int32 H x W x 3, Pillow's decode); prints {"pillow": version}.
"""
import json
import sys

import numpy as np
from PIL import Image, __version__ as pil_version


def resize_shorter(img, size):
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    if (new_w, new_h) == (w, h):
        return img
    return img.resize((new_w, new_h), Image.BILINEAR)


def center_crop(img, size):
    w, h = img.size
    top = int(round((h - size) / 2.0))
    left = int(round((w - size) / 2.0))
    return img.crop((left, top, left + size, top + size))


def main():
    req = json.load(sys.stdin)
    mean = np.array([0.485, 0.456, 0.406], dtype=np.float32).reshape(3, 1, 1)
    std = np.array([0.229, 0.224, 0.225], dtype=np.float32).reshape(3, 1, 1)
    for i, path in enumerate(req["images"]):
        img = Image.open(path).convert("RGB")
        np.save(f"{req['out_dir']}/{i}_decoded.npy", np.asarray(img).astype(np.int32))
        crop = np.asarray(center_crop(resize_shorter(img, req["resize"]), req["crop"]))
        np.save(f"{req['out_dir']}/{i}_crop.npy", crop.astype(np.int32))
        t = crop.transpose(2, 0, 1).astype(np.float32) / np.float32(255.0)
        t = (t - mean) / std
        np.save(f"{req['out_dir']}/{i}_tensor.npy", t.astype(np.float32))
    json.dump({"pillow": pil_version}, sys.stdout)


if __name__ == "__main__":
    main()
