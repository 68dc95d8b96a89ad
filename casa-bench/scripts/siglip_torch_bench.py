#!/usr/bin/python3
"""Peer for VisionEncodeBench: the same SigLIP tower + projector forward in PyTorch (fp32, OpenBLAS /
oneDNN), random weights, one image per call; prints seconds and GFLOP/s with the same FLOP count.

  /usr/bin/python3 casa-bench/scripts/siglip_torch_bench.py [b16|so400m] [runs=5] [threads=2]

Needs python3-torch (Debian 1.13); install libopenblas0-openmp for a fast BLAS.
Written by hand (no transformers package): HF SiglipVisionModel semantics, spec §4.1.
"""
import math
import sys
import time

import torch
import torch.nn.functional as F

MODELS = {
    "b16": dict(d=768, inter=3072, layers=12, heads=12, image=224, patch=16),
    "so400m": dict(d=1152, inter=4304, layers=27, heads=16, image=384, patch=14),
}
TEXT_WIDTH = 2560


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "b16"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    torch.set_num_threads(threads)
    c = MODELS[name]
    d, inter, p, s = c["d"], c["inter"], c["patch"], c["image"]
    g = s // p
    n = g * g
    torch.manual_seed(0)

    def lin(o, i):
        return (torch.randn(o, i) / math.sqrt(i), torch.randn(o) * 0.02)

    conv_w, conv_b = torch.randn(d, 3, p, p) / math.sqrt(3 * p * p), torch.randn(d) * 0.02
    pos = torch.randn(n, d) * 0.1
    layers = []
    for _ in range(c["layers"]):
        layers.append(dict(ln1=(torch.ones(d), torch.zeros(d)), q=lin(d, d), k=lin(d, d), v=lin(d, d), o=lin(d, d),
                           ln2=(torch.ones(d), torch.zeros(d)), fc1=lin(inter, d), fc2=lin(d, inter)))
    post = (torch.ones(d), torch.zeros(d))
    p1, p2 = lin(TEXT_WIDTH, d), lin(TEXT_WIDTH, TEXT_WIDTH)
    heads, hd = c["heads"], d // c["heads"]

    def forward(img):
        h = F.conv2d(img, conv_w, conv_b, stride=p).flatten(2).transpose(1, 2)[0] + pos
        for l in layers:
            x = F.layer_norm(h, (d,), *l["ln1"], eps=1e-6)
            q, k, v = (F.linear(x, *l[t]).view(n, heads, hd).transpose(0, 1) for t in ("q", "k", "v"))
            a = torch.softmax(q @ k.transpose(1, 2) * hd ** -0.5, dim=-1) @ v
            h = h + F.linear(a.transpose(0, 1).reshape(n, d), *l["o"])
            x = F.layer_norm(h, (d,), *l["ln2"], eps=1e-6)
            h = h + F.linear(F.gelu(F.linear(x, *l["fc1"]), approximate="tanh"), *l["fc2"])
        v = F.layer_norm(h, (d,), *post, eps=1e-6)
        return F.linear(F.gelu(F.linear(v, *p1)), *p2)

    flops = (2 * n * d * 3 * p * p + c["layers"] * (8 * n * d * d + 4 * n * d * inter + 4 * n * n * d)
             + 2 * n * TEXT_WIDTH * d + 2 * n * TEXT_WIDTH * TEXT_WIDTH)
    img = torch.randn(1, 3, s, s)
    print(f"torch {torch.__version__} {name}: N={n}, {flops / 1e9:.1f} GFLOP per image, {threads} thread(s)")
    times = []
    cpu_total = 0.0
    with torch.no_grad():
        for r in range(runs + 2):
            c = time.process_time()
            t = time.perf_counter()
            forward(img)
            sec = time.perf_counter() - t
            cpu = time.process_time() - c
            print(f"  {'warmup' if r < 2 else 'run'}: {sec:.3f} s  {flops / sec / 1e9:.1f} GFLOP/s  {cpu / sec:.2f} cores busy")
            if r >= 2:
                times.append(sec)
                cpu_total += cpu
    busy = cpu_total / sum(times)
    times.sort()
    med = times[len(times) // 2]
    print(f"RESULT torch {name} threads={threads}: median {med:.3f} s/image, {flops / med / 1e9:.1f} GFLOP/s; best {times[0]:.3f} s; {busy:.2f} cores busy (CPU time / wall), "
          f"{len(times) * flops / cpu_total / 1e9:.1f} GFLOP per CPU-second")


if __name__ == "__main__":
    main()
