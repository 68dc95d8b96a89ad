"""SmolVLM preprocessing with Pillow + NumPy (smolvlm_torch_bench.preprocess), the protocol of
dev.casa.bench.smolvlm.SmolVLMPreprocessBench: 8 warm-up calls, then the median of 21.

  /usr/bin/python3 casa-bench/scripts/smolvlm_pillow_preprocess.py [--photo /tmp/casa-bench-models/photo_1920x1080.png]
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from PIL import Image  # noqa: E402
import smolvlm_torch_bench as bench  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--photo", default="/tmp/casa-bench-models/photo_1920x1080.png")
    a = ap.parse_args()
    img = Image.open(a.photo).convert("RGB")
    for _ in range(8):
        bench.preprocess(img)
    ms = []
    for _ in range(21):
        t0 = time.perf_counter()
        bench.preprocess(img)
        ms.append((time.perf_counter() - t0) * 1e3)
    ms.sort()
    print(f"Pillow {Image.__version__} + NumPy: median {statistics.median(ms):.1f} ms, best {ms[0]:.1f} ms (21 calls after 8 warm-up)")


if __name__ == "__main__":
    main()
