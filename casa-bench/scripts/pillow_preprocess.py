#!/usr/bin/python3
"""Peer for PreprocessBench: Pillow resize + NumPy rescale/normalise (HF SiglipImageProcessor steps)
of a 1920x1080 frame to 384 and 224, median of repeated runs.

    /usr/bin/python3 casa-bench/scripts/pillow_preprocess.py
"""
import time

import numpy as np
from PIL import Image


def preprocess(img, size, resample=Image.BICUBIC):
    x = np.asarray(img.resize((size, size), resample), dtype=np.float32)
    x = (x * np.float32(1 / 255) - np.float32(0.5)) / np.float32(0.5)
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def main():
    rng = np.random.default_rng(7)
    h, w = 1080, 1920
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([xx * 255 // w, yy * 255 // h, (xx + yy) * 127 // (w + h)], axis=-1)
    rgb = ((rgb + rng.integers(0, 16, rgb.shape)) & 0xFF).astype(np.uint8)
    img = Image.fromarray(rgb, "RGB")
    for size in (384, 224):
        for _ in range(3):
            preprocess(img, size)
        times = []
        for _ in range(15):
            t = time.perf_counter()
            preprocess(img, size)
            times.append(time.perf_counter() - t)
        print(f"pillow+numpy 1920x1080 -> {size}: median {1000 * np.median(times):.2f} ms (min {1000 * min(times):.2f})")


if __name__ == "__main__":
    main()
