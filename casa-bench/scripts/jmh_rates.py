#!/usr/bin/env python3
"""Turn a MatmulBench JMH JSON result (-rf json -rff FILE) into GFLOP/s (gemm) and GB/s (gemv).

Usage: python3 casa-bench/scripts/jmh_rates.py result.json
Limits used for the ratios: 200 GFLOP/s FP32 FMA peak and 30 GB/s read bandwidth on 2 cores.
"""
import json
import sys

BYTES = {"F32": 4, "BF16": 2, "F16": 2, "Q8_0": 34 / 32, "Q4_0": 18 / 32}

for r in json.load(open(sys.argv[1])):
    p = r["params"]
    us = r["primaryMetric"]["score"]
    err = r["primaryMetric"]["scoreError"]
    err = float(err) if isinstance(err, (int, float)) else float("nan")  # "NaN" with < 3 iterations
    name = r["benchmark"].rsplit(".", 1)[1]
    t = p.get("threads", "?")
    if name == "gemm":
        m, k, n = map(int, p["shape"].split("x"))
        gf = 2 * m * n * k / (us * 1e-6) / 1e9
        print(f"gemm M={m} K={k} N={n} {p['dtype']:>4} threads={t}: {us/1e3:8.2f} ms  "
              f"{gf:6.1f} GFLOP/s  ({gf / 200 * 100:4.0f}% of 200)  ±{err/us*100:.0f}%")
    elif name == "gemv":
        n, k = map(int, p["weight"].split("x"))
        gb = n * k * BYTES[p["dtype"]] / (us * 1e-6) / 1e9
        print(f"gemv W={n}x{k} M={p.get('rows', '1')} {p['dtype']:>4} threads={t}: {us:8.1f} us  "
              f"{gb:6.1f} GB/s  ({gb / 30 * 100:4.0f}% of 30)  ±{err/us*100:.0f}%")
