#!/usr/bin/env python3
"""Turn a MatmulBench or GemvBandwidthBench JMH JSON result (-rf json -rff FILE) into GFLOP/s
(gemm) and GB/s (gemv).

Usage: python3 casa-bench/scripts/jmh_rates.py result.json
MatmulBench ratios use 200 GFLOP/s FP32 FMA peak and 30 GB/s read bandwidth on 2 cores.
GemvBandwidthBench reports GB/s against its own read probe from the same run, in wall time and
on busy cores (bytes per CPU-second of the benchmark's threads x threads: what the threads read
while they ran, which is what a shared machine lets us compare).
"""
import json
import sys

BYTES = {"F32": 4, "BF16": 2, "F16": 2, "Q8_0": 34 / 32, "Q4_0": 18 / 32}

results = json.load(open(sys.argv[1]))


def bandwidth(r):
    """(wall GB/s, its error, GB/s on busy cores) of a GemvBandwidthBench result."""
    sec = r["secondaryMetrics"]
    threads = int(r["params"].get("threads", "1"))
    busy = sec["busyBytes"]["score"] / sec["busyNs"]["score"] * threads
    err = sec["bytes"]["scoreError"]
    return sec["bytes"]["score"], float(err) if isinstance(err, (int, float)) else float("nan"), busy


probe = [bandwidth(r) for r in results if r["benchmark"].endswith("GemvBandwidthBench.probe")]
if probe:
    pw, pe, pb = probe[0]
    print(f"read probe: {pw:5.1f} ± {pe:4.1f} GB/s wall, {pb:5.1f} GB/s on busy cores")
    for r in results:
        name = r["benchmark"].rsplit(".", 1)[1]
        if name in ("probe", "gemvThenProbe") or "GemvBandwidthBench" not in r["benchmark"]:
            continue
        w, e, b = bandwidth(r)
        p = r["params"]
        fmt = p.get("format", "Q8_0 int8-x")
        print(f"{name:20s} {fmt:>11s} W={p['weight']:>9s}: {w:5.1f} ± {e:4.1f} GB/s wall ({w / pw * 100:3.0f}% of probe), "
              f"{b:5.1f} GB/s on busy cores ({b / pb * 100:3.0f}%)")

for r in results:
    if r["benchmark"].endswith("gemvThenProbe"):
        sec = r["secondaryMetrics"]
        g = sec["gemvBytes"]["score"] / sec["gemvNs"]["score"]
        pr = sec["probeBytes"]["score"] / sec["probeNs"]["score"]
        p = r["params"]
        print(f"gemvThenProbe {p['format']:>5s} W={p['weight']:>9s}: GEMV {g:5.1f} GB/s, probe {pr:5.1f} GB/s "
              f"(interleaved): {g / pr * 100:3.0f}% of the probe")

for r in results:
    if "GemvBandwidthBench" in r["benchmark"]:
        continue
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
