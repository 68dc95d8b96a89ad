#!/usr/bin/python3
"""Peer for DecodeBench / PrefillBench: the same Helium-1-preview-2B-shaped decoder (24 layers, d 2560,
20 heads x 128, MLP 7040, vocab 48000, untied lm_head) in PyTorch fp32 with random weights, text only.
Decode: greedy single-token steps with a preallocated KV cache after a 64-token prompt; the median step.
Prefill: a 256-token prompt, logits of the last token only; the median run. Same FLOP / byte counts as
the Java benchmarks (weights read per token here are fp32: 4 bytes per parameter).

  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 casa-bench/scripts/e2e_torch_bench.py \
      [--threads 2] [--context 64] [--warmup 16] [--tokens 32] [--prompt 256] [--runs 3] [--layers 24]

Needs python3-torch (Debian 1.13, whose generic BLAS resolves to libopenblas0-openmp when installed);
the script prints which BLAS library got loaded. Written by hand (no transformers): HF Helium semantics
(RMSNorm, interleaved RoPE, SiLU-gated MLP), model-format.md section 4.3 without CASA layers.
"""
import argparse
import math
import statistics
import time

import torch
import torch.nn.functional as F

D, HEADS, HD, INTER, VOCAB = 2560, 20, 128, 7040, 48000
EPS, THETA = 1e-8, 100000.0


def loaded_blas():
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.lower() or "omp" in line.lower()}
    return sorted(l for l in libs if l.startswith("/"))


def rms_norm(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS) * w


class Model:
    def __init__(self, layers, max_tokens):
        g = torch.Generator().manual_seed(0)

        def mat(o, i):
            return torch.empty(o, i).normal_(0, 0.02, generator=g)

        self.embed = mat(VOCAB, D)
        self.lm_head = mat(VOCAB, D)
        self.norm = torch.ones(D)
        self.layers = []
        for _ in range(layers):
            self.layers.append(dict(n1=torch.ones(D), n2=torch.ones(D), q=mat(D, D), k=mat(D, D), v=mat(D, D),
                                    o=mat(D, D), gate=mat(INTER, D), up=mat(INTER, D), down=mat(D, INTER)))
        self.k_cache = [torch.zeros(HEADS, max_tokens, HD) for _ in range(layers)]
        self.v_cache = [torch.zeros(HEADS, max_tokens, HD) for _ in range(layers)]
        inv = THETA ** (-torch.arange(0, HD, 2, dtype=torch.float64) / HD)
        ang = torch.arange(max_tokens, dtype=torch.float64)[:, None] * inv[None, :]
        self.cos, self.sin = ang.cos().float(), ang.sin().float()
        self.length = 0
        self.params = sum(t.numel() for l in self.layers for k, t in l.items() if t.dim() == 2) + self.lm_head.numel()
        self.layer_params = self.params - self.lm_head.numel()

    def rope(self, x, pos):  # x [H, T, HD], interleaved pairs (2k, 2k+1)
        c, s = self.cos[pos][None], self.sin[pos][None]
        x0, x1 = x[..., 0::2], x[..., 1::2]
        return torch.stack((x0 * c - x1 * s, x0 * s + x1 * c), dim=-1).flatten(-2)

    def forward(self, ids):
        t = ids.numel()
        start = self.length
        pos = torch.arange(start, start + t)
        h = self.embed[ids]
        mask = None
        if t > 1:
            keys = torch.arange(start + t)
            mask = torch.where(keys[None, :] <= pos[:, None], 0.0, float("-inf"))
        for i, l in enumerate(self.layers):
            x = rms_norm(h, l["n1"])
            q = F.linear(x, l["q"]).view(t, HEADS, HD).transpose(0, 1)
            k = F.linear(x, l["k"]).view(t, HEADS, HD).transpose(0, 1)
            v = F.linear(x, l["v"]).view(t, HEADS, HD).transpose(0, 1)
            q, k = self.rope(q, pos), self.rope(k, pos)
            self.k_cache[i][:, start:start + t] = k
            self.v_cache[i][:, start:start + t] = v
            kk, vv = self.k_cache[i][:, :start + t], self.v_cache[i][:, :start + t]
            s = q @ kk.transpose(1, 2) / math.sqrt(HD)
            if mask is not None:
                s = s + mask
            a = torch.softmax(s, dim=-1) @ vv
            h = h + F.linear(a.transpose(0, 1).reshape(t, D), l["o"])
            y = rms_norm(h, l["n2"])
            h = h + F.linear(F.silu(F.linear(y, l["gate"])) * F.linear(y, l["up"]), l["down"])
        self.length += t
        return F.linear(rms_norm(h[-1:], self.norm), self.lm_head)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--context", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=16)
    ap.add_argument("--tokens", type=int, default=32)
    ap.add_argument("--prompt", type=int, default=256)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--layers", type=int, default=24)
    ap.add_argument("--bandwidth-gbs", type=float, default=30.0)
    ap.add_argument("--peak-gflops", type=float, default=None)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    peak = (a.peak_gflops or 100.0 * a.threads) * 1e9
    with open("/proc/loadavg") as f:
        print("load average at start:", " ".join(f.read().split()[:3]))
    t0 = time.time()
    max_tokens = max(a.context + a.warmup + a.tokens + 1, a.prompt)
    m = Model(a.layers, max_tokens)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {m.params / 1e9:.3f} B matrix params fp32, "
          f"built in {time.time() - t0:.1f} s")
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    print("BLAS / OpenMP libraries loaded:", loaded_blas())

    with torch.no_grad():
        # Decode.
        g = torch.Generator().manual_seed(1)
        prompt = torch.randint(10, VOCAB, (a.context,), generator=g)
        nxt = m.forward(prompt).argmax(-1)
        steps = []
        for i in range(-a.warmup, a.tokens):
            if i == 0:
                cpu0, wall0 = time.process_time(), time.perf_counter()
            t = time.perf_counter()
            nxt = m.forward(nxt.view(1)).argmax(-1)
            if i >= 0:
                steps.append(time.perf_counter() - t)
        cores = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
        med = statistics.median(steps)
        ctx = a.context + a.warmup + a.tokens // 2
        nbytes = 4.0 * m.params + 4.0 * D + 4.0 * D * (2 * a.layers + 1) + 4.0 * 2 * D * a.layers * ctx
        bound = a.bandwidth_gbs * 1e9 / nbytes
        print(f"RESULT torch decode fp32 threads={a.threads} context={a.context + a.warmup}..{a.context + a.warmup + a.tokens}: "
              f"median {med * 1e3:.1f} ms/token = {1 / med:.2f} tok/s (min {min(steps) * 1e3:.1f}, max {max(steps) * 1e3:.1f} ms); "
              f"bound {bound:.2f} tok/s ({nbytes / 1e9:.2f} GB/token fp32 at {a.bandwidth_gbs:.0f} GB/s) -> "
              f"{100 / med / bound:.0f}% of bound, {nbytes / med / 1e9:.1f} GB/s effective; {cores:.2f} cores busy "
              f"(CPU time / wall; OpenMP threads spin while waiting)")

        # Prefill.
        prompt = torch.randint(10, VOCAB, (a.prompt,), generator=g)
        runs = []
        cpu = 0.0
        for r in range(-1, a.runs):
            m.length = 0
            c0 = time.process_time()
            t = time.perf_counter()
            m.forward(prompt).argmax(-1)
            s = time.perf_counter() - t
            print(f"  prefill {'warmup' if r < 0 else 'run'} {max(r, 0)}: {s:.3f} s")
            if r >= 0:
                runs.append(s)
                cpu += time.process_time() - c0
        med = statistics.median(runs)
        keys = sum(i + 1 for i in range(a.prompt))
        flops = 2.0 * m.layer_params * a.prompt + 2.0 * m.lm_head.numel() + 4.0 * HEADS * HD * keys * a.layers
        print(f"RESULT torch prefill fp32 threads={a.threads} prompt={a.prompt}: median {med:.3f} s = {a.prompt / med:.1f} tok/s, "
              f"{flops / 1e9:.0f} GFLOP -> {flops / med / 1e9:.1f} GFLOP/s = {100 * flops / med / peak:.0f}% of "
              f"{peak / 1e9:.0f} GFLOP/s peak (best {min(runs):.3f} s); {cpu / sum(runs):.2f} cores busy, "
              f"{flops * a.runs / cpu / 1e9:.1f} GFLOP per CPU-second")
    with open("/proc/loadavg") as f:
        print("load average at end:", " ".join(f.read().split()[:3]))


if __name__ == "__main__":
    main()
