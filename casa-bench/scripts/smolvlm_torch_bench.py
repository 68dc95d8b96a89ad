#!/usr/bin/python3
"""Peer for SmolVLMBench: the same "describe this photo" computation on the SmolVLM-256M shape, in PyTorch fp32
(weights read from the same random-BF16 model.safetensors and widened to fp32), each stage timed separately:

* preprocessing: Pillow + NumPy doing what transformers v4.51.3's slow Idefics3ImageProcessor does to one image
  (LANCZOS resize to longest edge 2048, LANCZOS resize to multiples of 512, 512x512 crops row by row, the global
  image resized to 512x512 with LANCZOS, rescale 1/255, normalize mean 0.5 std 0.5, CHW float32);
* encoding: Idefics3VisionTransformer over all tiles at once (patch conv, position embedding, 12 pre-LN encoder
  layers with eager attention and gelu_pytorch_tanh, post_layernorm) and Idefics3Connector (pixel_shuffle, then
  modality_projection), written by hand from HF's modeling_idefics3.py;
* prefill: the Llama decoder (RMSNorm, RoPE theta 100000 rotate-half, GQA 9:3, SiLU-gated MLP, eager causal
  attention) over the prompt ids SmolVLMBench wrote (prompt_ids.json), the image rows scattered into the
  <image> placeholders, logits of the last token;
* decode: greedy single-token steps through a preallocated KV cache (EOS ignored), the median step.

  /usr/bin/python3 casa-bench/scripts/smolvlm_torch_bench.py [--threads 2] [--runs 3] [--answer 32] \
      [--model /tmp/casa-bench-models/smolvlm-256m-random] [--photo /tmp/casa-bench-models/photo_1920x1080.png]

Needs python3-torch (Debian 1.13), numpy and PIL. No transformers: the HF semantics are written out here.
"""
import argparse
import json
import math
import statistics
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        a, b = h["data_offsets"]
        assert h["dtype"] == "BF16", h["dtype"]
        u16 = np.frombuffer(data[a:b], dtype=np.uint16).astype(np.uint32) << 16
        out[name] = torch.from_numpy(u16.view(np.float32).reshape(h["shape"]).copy())
    return out


# ---------- preprocessing (HF Idefics3ImageProcessor, one image) ----------

def longest_edge_size(h, w, longest):
    aspect = w / h
    if w >= h:
        w = longest
        h = int(w / aspect)
        h += h % 2
    else:
        h = longest
        w = int(h * aspect)
        w += w % 2
    return max(h, 1), max(w, 1)


def vision_encoder_size(h, w, tile):
    aspect = w / h
    if w >= h:
        w = math.ceil(w / tile) * tile
        h = int(w / aspect)
        h = math.ceil(h / tile) * tile
    else:
        h = math.ceil(h / tile) * tile
        w = int(h * aspect)
        w = math.ceil(w / tile) * tile
    return h, w


def preprocess(img, longest=2048, tile=512):
    h, w = longest_edge_size(img.height, img.width, longest)
    img = img.resize((w, h), Image.LANCZOS)
    h, w = vision_encoder_size(h, w, tile)
    img = img.resize((w, h), Image.LANCZOS)
    rows, cols = h // tile, w // tile
    frames = [img.crop((c * tile, r * tile, (c + 1) * tile, (r + 1) * tile)) for r in range(rows) for c in range(cols)]
    frames.append(img.resize((tile, tile), Image.LANCZOS))
    arr = np.stack([np.asarray(f, dtype=np.float32) for f in frames])       # [T, H, W, 3]
    arr = (arr * np.float32(1 / 255) - np.float32(0.5)) / np.float32(0.5)
    return np.ascontiguousarray(arr.transpose(0, 3, 1, 2)), rows, cols


# ---------- model ----------

class SmolVLM:
    def __init__(self, w, cfg):
        self.w = w
        t, v = cfg["text_config"], cfg["vision_config"]
        self.scale = cfg["scale_factor"]
        self.image_token = cfg["image_token_id"]
        self.vd, self.vheads, self.vlayers, self.patch = v["hidden_size"], v["num_attention_heads"], v["num_hidden_layers"], v["patch_size"]
        self.d, self.heads, self.kv, self.hd = t["hidden_size"], t["num_attention_heads"], t["num_key_value_heads"], t["head_dim"]
        self.layers, self.eps, self.theta = t["num_hidden_layers"], t["rms_norm_eps"], float(t["rope_theta"])

    def vision(self, px):
        w, p = self.w, "model.vision_model."
        x = F.conv2d(px, w[p + "embeddings.patch_embedding.weight"], w[p + "embeddings.patch_embedding.bias"], stride=self.patch)
        x = x.flatten(2).transpose(1, 2) + w[p + "embeddings.position_embedding.weight"][None]  # full tiles: ids 0..N-1
        b, n, d = x.shape
        hd = d // self.vheads
        for i in range(self.vlayers):
            l = p + f"encoder.layers.{i}."
            h = F.layer_norm(x, (d,), w[l + "layer_norm1.weight"], w[l + "layer_norm1.bias"], 1e-6)
            q = F.linear(h, w[l + "self_attn.q_proj.weight"], w[l + "self_attn.q_proj.bias"]).view(b, n, self.vheads, hd).transpose(1, 2)
            k = F.linear(h, w[l + "self_attn.k_proj.weight"], w[l + "self_attn.k_proj.bias"]).view(b, n, self.vheads, hd).transpose(1, 2)
            v = F.linear(h, w[l + "self_attn.v_proj.weight"], w[l + "self_attn.v_proj.bias"]).view(b, n, self.vheads, hd).transpose(1, 2)
            a = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) * hd ** -0.5, dim=-1)
            a = torch.matmul(a, v).transpose(1, 2).reshape(b, n, d)
            x = x + F.linear(a, w[l + "self_attn.out_proj.weight"], w[l + "self_attn.out_proj.bias"])
            h = F.layer_norm(x, (d,), w[l + "layer_norm2.weight"], w[l + "layer_norm2.bias"], 1e-6)
            h = F.gelu(F.linear(h, w[l + "mlp.fc1.weight"], w[l + "mlp.fc1.bias"]), approximate="tanh")
            x = x + F.linear(h, w[l + "mlp.fc2.weight"], w[l + "mlp.fc2.bias"])
        return F.layer_norm(x, (d,), w[p + "post_layernorm.weight"], w[p + "post_layernorm.bias"], 1e-6)

    def connector(self, x):
        s = self.scale
        bsz, seq, dim = x.size()
        hh = ww = int(seq ** 0.5)
        x = x.view(bsz, hh, ww, dim).view(bsz, hh, ww // s, dim * s).permute(0, 2, 1, 3)
        x = x.reshape(bsz, ww // s, hh // s, dim * s * s).permute(0, 2, 1, 3).reshape(bsz, seq // (s * s), dim * s * s)
        return F.linear(x, self.w["model.connector.modality_projection.proj.weight"])

    def rms(self, x, weight):
        return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))

    def new_cache(self, capacity):
        self.kc = [torch.zeros(self.kv, capacity, self.hd) for _ in range(self.layers)]
        self.vc = [torch.zeros(self.kv, capacity, self.hd) for _ in range(self.layers)]
        inv = 1.0 / (self.theta ** (torch.arange(0, self.hd, 2, dtype=torch.int64).float() / self.hd))
        ang = torch.arange(capacity).float()[:, None] * inv[None, :]
        emb = torch.cat((ang, ang), dim=-1)
        self.cos, self.sin = emb.cos(), emb.sin()
        self.length = 0

    @staticmethod
    def rotate_half(x):
        h = x.shape[-1] // 2
        return torch.cat((-x[..., h:], x[..., :h]), dim=-1)

    def decoder(self, x):
        """x [T, d] embeddings at positions length .. length+T-1; logits of the last row."""
        w, p = self.w, "model.text_model."
        t = x.shape[0]
        start, end = self.length, self.length + t
        cos, sin = self.cos[start:end][None], self.sin[start:end][None]
        mask = None
        if t > 1:
            mask = torch.full((t, end), float("-inf")).triu(start + 1)
        rep = self.heads // self.kv
        for i in range(self.layers):
            l = p + f"layers.{i}."
            h = self.rms(x, w[l + "input_layernorm.weight"])
            q = F.linear(h, w[l + "self_attn.q_proj.weight"]).view(t, self.heads, self.hd).transpose(0, 1)
            k = F.linear(h, w[l + "self_attn.k_proj.weight"]).view(t, self.kv, self.hd).transpose(0, 1)
            v = F.linear(h, w[l + "self_attn.v_proj.weight"]).view(t, self.kv, self.hd).transpose(0, 1)
            q = q * cos + self.rotate_half(q) * sin
            k = k * cos + self.rotate_half(k) * sin
            self.kc[i][:, start:end] = k
            self.vc[i][:, start:end] = v
            kk = self.kc[i][:, :end].repeat_interleave(rep, dim=0)
            vv = self.vc[i][:, :end].repeat_interleave(rep, dim=0)
            s = torch.matmul(q, kk.transpose(1, 2)) * self.hd ** -0.5
            if mask is not None:
                s = s + mask
            a = torch.matmul(torch.softmax(s, dim=-1), vv).transpose(0, 1).reshape(t, self.heads * self.hd)
            x = x + F.linear(a, w[l + "self_attn.o_proj.weight"])
            h = self.rms(x, w[l + "post_attention_layernorm.weight"])
            h = F.silu(F.linear(h, w[l + "mlp.gate_proj.weight"])) * F.linear(h, w[l + "mlp.up_proj.weight"])
            x = x + F.linear(h, w[l + "mlp.down_proj.weight"])
        self.length = end
        x = self.rms(x[-1:], w[p + "norm.weight"])
        return F.linear(x, w["lm_head.weight"])[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--answer", type=int, default=32)
    ap.add_argument("--model", default="/tmp/casa-bench-models/smolvlm-256m-random")
    ap.add_argument("--photo", default="/tmp/casa-bench-models/photo_1920x1080.png")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    with open("/proc/loadavg") as f:
        print(f"PyTorch {torch.__version__} fp32, {a.threads} threads, {a.runs} runs, load average {' '.join(f.read().split()[:3])}")
    cfg = json.load(open(f"{a.model}/config.json"))
    m = SmolVLM(load_safetensors(f"{a.model}/model.safetensors"), cfg)
    ids = torch.tensor(json.load(open(f"{a.model}/prompt_ids.json")))
    img = Image.open(a.photo).convert("RGB")
    img.load()

    preprocess(img)
    pre, pre_cpu = [], []
    for _ in range(a.runs):
        t0, c0 = time.perf_counter(), time.thread_time()
        px, rows, cols = preprocess(img)
        pre.append(time.perf_counter() - t0)
        pre_cpu.append(time.thread_time() - c0)
    px = torch.from_numpy(px)
    enc, enc_cpu = [], []
    with torch.no_grad():
        for _ in range(a.runs):
            t0, c0 = time.perf_counter(), time.process_time()
            emb = m.connector(m.vision(px)).reshape(-1, m.d)
            enc.append(time.perf_counter() - t0)
            enc_cpu.append(time.process_time() - c0)
        mask = ids == m.image_token
        assert int(mask.sum()) == emb.shape[0], (int(mask.sum()), emb.shape)
        prefill, prefill_cpu, decode = [], [], []
        for _ in range(a.runs):
            m.new_cache(len(ids) + a.answer + 1)
            t0, c0 = time.perf_counter(), time.process_time()
            x = F.embedding(ids, m.w["model.text_model.embed_tokens.weight"])
            x[mask] = emb
            logits = m.decoder(x)
            prefill.append(time.perf_counter() - t0)
            prefill_cpu.append(time.process_time() - c0)
            steps = []
            for _ in range(a.answer):
                nxt = int(torch.argmax(logits))
                t1 = time.perf_counter()
                logits = m.decoder(F.embedding(torch.tensor([nxt]), m.w["model.text_model.embed_tokens.weight"]))
                steps.append(time.perf_counter() - t1)
            decode.append(statistics.median(steps))
    p, e, f, d = (statistics.median(v) for v in (pre, enc, prefill, decode))
    print(f"image: {list(px.shape)}, {rows}x{cols} + global, {emb.shape[0]} image tokens, prompt {len(ids)} tokens")
    med = statistics.median
    print(f"preprocess   {p * 1e3:8.1f} ms   (runs {[round(x * 1e3, 1) for x in pre]}; thread CPU {med(pre_cpu) * 1e3:.1f} ms)")
    print(f"encode       {e:8.2f} s    (runs {[round(x, 2) for x in enc]}; process CPU {med(enc_cpu):.2f} s)")
    print(f"prefill      {f:8.2f} s    {len(ids) / f:.1f} tok/s (runs {[round(x, 2) for x in prefill]}; process CPU {med(prefill_cpu):.2f} s)")
    print(f"decode       {d * 1e3:8.2f} ms/token = {1 / d:.1f} tok/s")
    print(f"whole answer {p + e + f + a.answer * d:8.2f} s    (preprocess + encode + prefill + {a.answer} decode steps)")


if __name__ == "__main__":
    main()
