#!/usr/bin/python3
"""OpenBLAS sgemv read bandwidth (numpy float32 matrix @ vector), cycling through matrices whose total far
exceeds the L3 (32 MB here), so every pass streams from memory: the same shapes as one Qwen2.5-VL-3B decoder
layer's MLP (2048x11008, 11008x2048) repeated to ~720 MB. Peer line for QwenDecodeBench.

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
      OMP_NUM_THREADS=2 /usr/bin/python3 casa-bench/scripts/sgemv_bandwidth.py [--threads 2] [--passes 7]
"""
import argparse
import statistics
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2, help="informational: set OMP_NUM_THREADS")
    ap.add_argument("--passes", type=int, default=7)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    shapes = [(11008, 2048), (11008, 2048), (2048, 11008)] * 3
    mats = [rng.standard_normal(s, dtype=np.float32) for s in shapes]
    vecs = {s[1]: rng.standard_normal(s[1], dtype=np.float32) for s in shapes}
    total = sum(m.nbytes for m in mats)
    rates = []
    for p in range(-1, a.passes):
        t = time.perf_counter()
        for m in mats:
            m @ vecs[m.shape[1]]
        s = time.perf_counter() - t
        if p >= 0:
            rates.append(total / s / 1e9)
    print(f"sgemv over {len(mats)} matrices, {total / 1e6:.0f} MB fp32 per pass: "
          + " ".join(f"{r:.1f}" for r in rates) + " GB/s", flush=True)
    print(f"PEER median_gbs={statistics.median(rates):.1f} best_gbs={max(rates):.1f} mbytes={total / 1e6:.0f}", flush=True)


if __name__ == "__main__":
    main()
