#!/usr/bin/python3
"""Peer for QwenVisionBench: the Qwen2.5-VL-3B vision tower (depth 32, width 1280, 16 heads of 80, SwiGLU MLP
3420 with biases, RMSNorm, 2-D rotary, 112-px windows with full attention in blocks 7/15/23/31, patch merger
2x2 -> 2048) in PyTorch fp32 with random weights, one image per call, written from HF transformers'
Qwen2_5_VisionTransformerPretrainedModel (patch embed as HF's Conv3d, rot_pos_emb, get_window_index, the
window permutation and its inverse). Attention, --attention:
  segments (default): written by hand per window segment (matmul, softmax, matmul: no SDPA, no T x T mask),
      the fastest way to do it in plain PyTorch, and the stronger peer;
  hf: exactly as HF v4.51.3's eager Qwen2_5_VLVisionAttention does it (its SDPA class builds the same mask):
      a [1, T, T] mask of finfo.min with zeros on the window blocks, q k^T / sqrt(d) + mask, softmax, @ v, over
      all T patches in every layer. This is what a user running HF's code computes.
Both count the same (useful) FLOPs, those of the per-segment attention.

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
      /usr/bin/python3 casa-bench/scripts/qwen_vision_torch_bench.py [--sizes 448x448,1280x720] [--runs 3] \
      [--warmup 1] [--threads 2] [--attention segments|hf|segments,hf]

Sizes are image sizes (WxH) before the processor's smart_resize (factor 28, min_pixels 3136, max_pixels
12845056, as Qwen2.5-VL-3B-Instruct's preprocessor_config.json). Prints one "PEER ..." line per size
(parsed by QwenVisionBench), with the same FLOP count as the Java benchmark.
"""
import argparse
import math
import resource
import statistics
import time

import torch
import torch.nn.functional as F

DEPTH, D, HEADS, INTER, OUT = 32, 1280, 16, 3420, 2048
PATCH, TEMPORAL, MERGE, WINDOW = 14, 2, 2, 112
FULLATT = (7, 15, 23, 31)
EPS = 1e-6
MIN_PIXELS, MAX_PIXELS = 3136, 12845056


def loaded_blas():
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.lower() or "omp" in line.lower()}
    return sorted(l for l in libs if l.startswith("/"))


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def smart_resize(height, width, factor=PATCH * MERGE):
    # HF's qwen2_vl image_processing smart_resize (Python round: half to even).
    h_bar = round(height / factor) * factor
    w_bar = round(width / factor) * factor
    if h_bar * w_bar > MAX_PIXELS:
        beta = math.sqrt((height * width) / MAX_PIXELS)
        h_bar = math.floor(height / beta / factor) * factor
        w_bar = math.floor(width / beta / factor) * factor
    elif h_bar * w_bar < MIN_PIXELS:
        beta = math.sqrt(MIN_PIXELS / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def rms_norm(x, w):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Tower:
    def __init__(self, depth=DEPTH):
        g = torch.Generator().manual_seed(0)

        def mat(o, i):  # N(0, 1/fan_in)
            return torch.empty(o, i).normal_(0, 1 / math.sqrt(i), generator=g)

        def vec(n, mean=0.0):
            return torch.empty(n).normal_(mean, 0.02, generator=g)

        self.patch = torch.nn.Conv3d(3, D, kernel_size=(TEMPORAL, PATCH, PATCH), stride=(TEMPORAL, PATCH, PATCH), bias=False)
        with torch.no_grad():
            self.patch.weight.copy_(mat(D, 3 * TEMPORAL * PATCH * PATCH).view(D, 3, TEMPORAL, PATCH, PATCH))
        self.blocks = []
        for _ in range(depth):
            self.blocks.append(dict(n1=vec(D, 1.0), n2=vec(D, 1.0), qkv=mat(3 * D, D), qkv_b=vec(3 * D),
                                    proj=mat(D, D), proj_b=vec(D), gate=mat(INTER, D), gate_b=vec(INTER),
                                    up=mat(INTER, D), up_b=vec(INTER), down=mat(D, INTER), down_b=vec(D)))
        wide = D * MERGE * MERGE
        self.ln_q = vec(D, 1.0)
        self.m0, self.m0_b, self.m2, self.m2_b = mat(wide, wide), vec(wide), mat(OUT, wide), vec(OUT)
        hd = D // HEADS
        self.inv_freq = 1.0 / (10000.0 ** (torch.arange(0, hd // 2, 2, dtype=torch.float) / (hd // 2)))

    def rot_pos_emb(self, h, w):
        hpos = torch.arange(h).unsqueeze(1).expand(-1, w)
        hpos = hpos.reshape(h // MERGE, MERGE, w // MERGE, MERGE).permute(0, 2, 1, 3).flatten()
        wpos = torch.arange(w).unsqueeze(0).expand(h, -1)
        wpos = wpos.reshape(h // MERGE, MERGE, w // MERGE, MERGE).permute(0, 2, 1, 3).flatten()
        pos = torch.stack([hpos, wpos], dim=-1)
        seq = torch.arange(max(h, w), dtype=self.inv_freq.dtype)
        freqs = torch.outer(seq, self.inv_freq)
        return freqs[pos].flatten(1)

    @staticmethod
    def window_index(h, w):
        ws = WINDOW // MERGE // PATCH
        lh, lw = h // MERGE, w // MERGE
        index = torch.arange(lh * lw).reshape(1, lh, lw)
        pad_h, pad_w = ws - lh % ws, ws - lw % ws
        nh, nw = (lh + pad_h) // ws, (lw + pad_w) // ws
        padded = F.pad(index, (0, pad_w, 0, pad_h), "constant", -100)
        padded = padded.reshape(1, nh, ws, nw, ws).permute(0, 1, 3, 2, 4).reshape(1, nh * nw, ws, ws)
        seqlens = (padded != -100).sum([2, 3]).reshape(-1)
        padded = padded.reshape(-1)
        idx = padded[padded != -100]
        cu = [0] + (seqlens.cumsum(0) * MERGE * MERGE).tolist()
        cu = torch.unique_consecutive(torch.tensor(cu, dtype=torch.int64)).tolist()
        return idx, cu

    mode = "segments"

    def attention(self, x, blk, cos, sin, cu):
        n = x.shape[0]
        qkv = F.linear(x, blk["qkv"], blk["qkv_b"]).reshape(n, 3, HEADS, -1).permute(1, 0, 2, 3)
        q, k, v = qkv[0], qkv[1], qkv[2]                      # [n, heads, hd]
        c, s = cos.unsqueeze(-2), sin.unsqueeze(-2)
        q = q * c + rotate_half(q) * s
        k = k * c + rotate_half(k) * s
        q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)  # [heads, n, hd]
        if self.mode == "hf":
            mask = torch.full([1, n, n], torch.finfo(q.dtype).min, dtype=q.dtype)
            for a, b in zip(cu[:-1], cu[1:]):
                mask[..., a:b, a:b] = 0
            weights = torch.matmul(q, k.transpose(1, 2)) / math.sqrt(D // HEADS) + mask
            weights = torch.softmax(weights, dim=-1, dtype=torch.float32).to(q.dtype)
            out = torch.matmul(weights, v).transpose(0, 1).reshape(n, D)
            return F.linear(out, blk["proj"], blk["proj_b"])
        scale = (D // HEADS) ** -0.5
        out = torch.empty_like(q)
        for a, b in zip(cu[:-1], cu[1:]):
            scores = torch.matmul(q[:, a:b], k[:, a:b].transpose(1, 2)) * scale
            out[:, a:b] = torch.matmul(torch.softmax(scores, dim=-1), v[:, a:b])
        out = out.transpose(0, 1).reshape(n, D)
        return F.linear(out, blk["proj"], blk["proj_b"])

    def forward(self, pixels, h, w):
        x = self.patch(pixels.view(-1, 3, TEMPORAL, PATCH, PATCH)).view(-1, D)
        n = x.shape[0]
        rot = self.rot_pos_emb(h, w)
        widx, cu_window = self.window_index(h, w)
        unit = MERGE * MERGE
        x = x.reshape(n // unit, unit, -1)[widx].reshape(n, -1)
        rot = rot.reshape(n // unit, unit, -1)[widx].reshape(n, -1)
        emb = torch.cat((rot, rot), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        cu_full = [0, n]
        for i, blk in enumerate(self.blocks):
            x = x + self.attention(rms_norm(x, blk["n1"]), blk, cos, sin, cu_full if i in FULLATT else cu_window)
            y = rms_norm(x, blk["n2"])
            x = x + F.linear(F.silu(F.linear(y, blk["gate"], blk["gate_b"])) * F.linear(y, blk["up"], blk["up_b"]),
                             blk["down"], blk["down_b"])
        x = rms_norm(x, self.ln_q).view(-1, D * unit)
        x = F.linear(F.gelu(F.linear(x, self.m0, self.m0_b)), self.m2, self.m2_b)
        return x[torch.argsort(widx)]


def flops(h, w, depth):
    n = h * w
    _, cu_window = Tower.window_index(h, w)

    def att(cu):
        return sum(4.0 * (b - a) ** 2 * D for a, b in zip(cu[:-1], cu[1:]))

    window, full = att(cu_window), att([0, n])
    total = 2.0 * n * 3 * TEMPORAL * PATCH * PATCH * D
    for layer in range(depth):
        total += 2.0 * n * D * 3 * D + 2.0 * n * D * D + 3 * 2.0 * n * D * INTER
        total += full if layer in FULLATT else window
    units, wide = n // (MERGE * MERGE), D * MERGE * MERGE
    return total + 2.0 * units * wide * wide + 2.0 * units * wide * OUT


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="448x448,1280x720")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--depth", type=int, default=DEPTH)
    ap.add_argument("--attention", default="segments", help="segments, hf, or both: segments,hf")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; BLAS/OpenMP libraries: {loaded_blas()}", flush=True)
    t0 = time.time()
    tower = Tower(a.depth)
    print(f"random fp32 weights in {time.time() - t0:.1f} s", flush=True)
    g = torch.Generator().manual_seed(7)
    modes = a.attention.split(",")
    for mode in modes:
        if mode not in ("segments", "hf"):
            raise SystemExit(f"--attention: unknown mode {mode!r} (segments, hf)")
    for size, mode in [(s, m) for s in a.sizes.split(",") for m in modes]:
        tower.mode = mode
        width, height = (int(v) for v in size.lower().split("x"))
        rh, rw = smart_resize(height, width)
        h, w = rh // PATCH, rw // PATCH
        pixels = torch.rand(h * w, 3 * TEMPORAL * PATCH * PATCH, generator=g) * 2 - 1
        f = flops(h, w, a.depth)
        secs, cpu = [], 0.0
        with torch.no_grad():
            for r in range(-a.warmup, a.runs):
                c0, t = cpu_seconds(), time.perf_counter()
                out = tower.forward(pixels, h, w)
                s = time.perf_counter() - t
                if not torch.isfinite(out).all():
                    raise SystemExit("non-finite output")
                print(f"  torch {size} {mode} {'warmup' if r < 0 else 'run'} {r if r >= 0 else r + a.warmup}: {s:.3f} s", flush=True)
                if r >= 0:
                    secs.append(s)
                    cpu += cpu_seconds() - c0
        med = statistics.median(secs)
        print(f"PEER size={size} attention={mode} grid=1x{h}x{w} patches={h * w} tokens={out.shape[0]} gflop={f / 1e9:.2f} "
              f"median_s={med:.4f} best_s={min(secs):.4f} gflops={f / med / 1e9:.1f} cores_busy={cpu / sum(secs):.2f}",
              flush=True)


if __name__ == "__main__":
    main()
