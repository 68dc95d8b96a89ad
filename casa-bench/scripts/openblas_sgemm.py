#!/usr/bin/env python3
"""Times OpenBLAS sgemm (through numpy) at the MatmulBench shapes, as the peer for docs/benchmarks.md.

Run with Debian's numpy linked to libopenblas0-openmp, in the same session as MatmulBench:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=2 \
        /usr/bin/python3 casa-bench/scripts/openblas_sgemm.py

Reports the best and the median of --reps timed runs (after warm-up) as GFLOP/s = 2·M·N·K / s,
for C[M,N] = A[M,K] · W[N,K]ᵀ with float32 W (what MatmulBench's F32 gemm computes), and the
GEMV (M = 1) effective GB/s over the weight bytes. Also prints main-process CPU-time rates,
which are less sensitive to other processes sharing the CPUs.
"""
import argparse
import os
import time

import numpy as np

GEMM = [(256, 2560, 7040), (729, 1152, 4304), (1024, 1024, 1024)]  # M, K, N
GEMV = [(2560, 7040), (7040, 2560)]  # W rows N, columns K


def timed(fn, reps):
    for _ in range(max(2, reps // 3)):
        fn()
    wall, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    wall.sort()
    cpu.sort()
    return wall[0], wall[len(wall) // 2], cpu[0], cpu[len(cpu) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args()
    info = np.__config__.get_info("blas_opt_info") if hasattr(np.__config__, "get_info") else {}
    print(f"numpy {np.__version__}, BLAS {info.get('libraries', '?')}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    rng = np.random.default_rng(1)
    for m, k, n in GEMM:
        a = rng.standard_normal((m, k), dtype=np.float32)
        w = rng.standard_normal((n, k), dtype=np.float32)
        c = np.empty((m, n), dtype=np.float32)
        best, med, cbest, cmed = timed(lambda: np.matmul(a, w.T, out=c), args.reps)
        f = 2 * m * n * k / 1e9
        print(f"sgemm M={m} K={k} N={n}: best {f / best:6.1f}  median {f / med:6.1f} GFLOP/s"
              f"  (process CPU time: {f / cmed:6.1f} GFLOP/s per busy core-second)")
    for n, k in GEMV:
        x = rng.standard_normal((1, k), dtype=np.float32)
        w = rng.standard_normal((n, k), dtype=np.float32)
        c = np.empty((1, n), dtype=np.float32)
        best, med, _, _ = timed(lambda: np.matmul(x, w.T, out=c), args.reps * 5)
        gb = n * k * 4 / 1e9
        print(f"sgemv W={n}x{k} F32: best {gb / best:6.1f}  median {gb / med:6.1f} GB/s")


if __name__ == "__main__":
    main()
