#!/usr/bin/env python3
"""Independent float64 PyTorch reference of the CASA model format.

The contract is /work/shared/spec/model-format.md (copied semantics, section numbers quoted
below as §x.y) and /work/shared/spec/forward-cli.md. Everything is computed in float64 from
the weights as stored (BF16 and F16 widened exactly), so the result is an oracle for any
float32 implementation.

It is written to be read: each function does one step of the spec, the way HF transformers
does it (modeling_siglip.py, image_processing_siglip.py, modeling_helium.py /
modeling_llama.py, modeling_llava.py). Two independent code paths compute the language model:

* `prefill`: the whole request in one pass; who-attends-to-whom is an explicit boolean mask.
* `Session`: token-by-token decode with a self-attention KV cache over text and, for each
  CASA layer, the state of the current window only (§4.4).

`run_request` runs both and asserts they agree to ~1e-9, an internal consistency check.

Usage (also importable; make_fixtures.py uses it):
    casa_reference.py --model DIR --request REQUEST.json [--out LOGITS.npy] [--greedy N]
                      [--pixels-out PIXELS.npy] [--hidden-out HIDDEN.npy]
    casa_reference.py --self-test
"""

import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

# The compute precision. Always float64 for fixtures; make_fixtures.py --check-float32 sets it
# to float32 once to measure how far a float32 implementation is expected to land.
F64 = torch.float64


# ----------------------------------------------------------------------------------------
# safetensors reading (format: 8-byte LE header length, JSON header, raw little-endian data)
# ----------------------------------------------------------------------------------------

_ITEMSIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2}


def _decode_tensor(raw, dtype, shape, where):
    if dtype not in _ITEMSIZE:
        raise ValueError(f"{where}: unsupported dtype {dtype}")
    count = int(np.prod(shape)) if shape else 1
    if len(raw) != count * _ITEMSIZE[dtype]:
        raise ValueError(f"{where}: {len(raw)} bytes for {dtype}{shape}")
    if dtype == "BF16":
        # bfloat16 is the top half of a float32: widen by shifting into the high 16 bits (exact).
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        values = bits.view(np.float32)
    elif dtype == "F16":
        values = np.frombuffer(raw, dtype="<f2")
    elif dtype == "F32":
        values = np.frombuffer(raw, dtype="<f4")
    else:
        values = np.frombuffer(raw, dtype="<f8")
    return torch.from_numpy(values.astype(np.float64).reshape(shape)).to(F64)


def read_safetensors(path):
    """Returns {name: (float64 tensor, dtype string)}."""
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_len].decode("utf-8"))
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = data[base + begin:base + end]
        tensors[name] = (_decode_tensor(raw, info["dtype"], info["shape"], f"{path}:{name}"),
                         info["dtype"])
    return tensors


def read_model_weights(model_dir):
    """model.safetensors, or the shards listed in model.safetensors.index.json (§1)."""
    index_path = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index_path):
        with open(index_path) as f:
            weight_map = json.load(f)["weight_map"]
        tensors = {}
        for shard in sorted(set(weight_map.values())):
            for name, value in read_safetensors(os.path.join(model_dir, shard)).items():
                if weight_map.get(name) != shard:
                    raise ValueError(f"{shard}: tensor {name} not mapped to this shard in the index")
                tensors[name] = value
        missing = set(weight_map) - set(tensors)
        if missing:
            raise ValueError(f"index names tensors not found in shards: {sorted(missing)}")
        return tensors
    return read_safetensors(os.path.join(model_dir, "model.safetensors"))


class Weights:
    """Name -> float64 tensor, recording which names were used (to catch stray tensors)."""

    def __init__(self, tensors):
        self._tensors = tensors
        self.used = set()

    def has(self, name):
        return name in self._tensors

    def get(self, name, shape=None):
        if name not in self._tensors:
            raise KeyError(f"missing tensor {name}")
        self.used.add(name)
        tensor = self._tensors[name][0]
        if shape is not None and list(tensor.shape) != list(shape):
            raise ValueError(f"tensor {name}: expected shape {list(shape)}, found {list(tensor.shape)}")
        return tensor

    def optional(self, name, shape=None):
        return self.get(name, shape) if name in self._tensors else None

    def unused(self):
        return sorted(set(self._tensors) - self.used)


# ----------------------------------------------------------------------------------------
# small math helpers
# ----------------------------------------------------------------------------------------

def activation(name):
    """HF ACT2FN names used by SigLIP / Llama configs."""
    if name in ("gelu_pytorch_tanh", "gelu_new", "gelu_fast"):
        return lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    if name == "gelu":
        return lambda x: 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
    if name == "silu":
        return lambda x: x * torch.sigmoid(x)
    if name == "quick_gelu":
        return lambda x: x * torch.sigmoid(1.702 * x)
    if name == "relu":
        return torch.relu
    raise ValueError(f"unsupported activation {name}")


def linear(x, weight, bias=None):
    """PyTorch Linear: y = x W^T + b with W [out, in]."""
    y = x @ weight.T
    return y if bias is None else y + bias


def rms_norm(x, weight, eps):
    """HF LlamaRMSNorm/HeliumRMSNorm: x / sqrt(mean(x^2) + eps) * w (here in float64)."""
    variance = (x * x).mean(dim=-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def layer_norm(x, weight, bias, eps):
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


def multi_head_attention(q, k, v, allowed, n_heads, n_kv_heads, head_dim):
    """Softmax attention with grouped KV heads.

    q [Tq, H*hd], k/v [Tk, KV*hd], allowed [Tq, Tk] bool (None: everything allowed).
    Query head h reads key/value head h // (H / KV). Scale 1/sqrt(hd).
    """
    tq, tk = q.shape[0], k.shape[0]
    group = n_heads // n_kv_heads
    qh = q.reshape(tq, n_heads, head_dim).transpose(0, 1)                  # [H, Tq, hd]
    kh = k.reshape(tk, n_kv_heads, head_dim).transpose(0, 1).repeat_interleave(group, dim=0)
    vh = v.reshape(tk, n_kv_heads, head_dim).transpose(0, 1).repeat_interleave(group, dim=0)
    scores = (qh @ kh.transpose(1, 2)) / math.sqrt(head_dim)               # [H, Tq, Tk]
    if allowed is not None:
        scores = scores.masked_fill(~allowed.unsqueeze(0), float("-inf"))
    probs = torch.softmax(scores, dim=-1)
    return (probs @ vh).transpose(0, 1).reshape(tq, n_heads * head_dim)


# ----------------------------------------------------------------------------------------
# RoPE (§4.3), exactly as HF Helium (interleaved) and HF Llama (half)
# ----------------------------------------------------------------------------------------

def rope_inv_freq(head_dim, theta):
    """HF: 1 / theta ** (arange(0, hd, 2).float() / hd), computed in float32 like HF does."""
    exponent = torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim
    inv_freq = 1.0 / (theta ** exponent)
    return inv_freq.to(F64)


def rope_cos_sin(positions, inv_freq):
    """HF rotary embedding: emb = cat(freqs, freqs); angles in float64 from float32 inv_freq."""
    freqs = positions.to(F64)[:, None] * inv_freq[None, :]                 # [T, hd/2]
    emb = torch.cat([freqs, freqs], dim=-1)                                # [T, hd]
    return emb.cos(), emb.sin()


def rotate_half_llama(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def rotate_half_helium(x):
    x1 = x[..., 0::2]
    x2 = x[..., 1::2]
    return torch.stack([-x2, x1], dim=-1).flatten(-2)


def apply_rope(x, positions, n_heads, head_dim, inv_freq, style):
    """x [T, n_heads*hd] rotated at positions [T] (one position per row)."""
    t = x.shape[0]
    if t == 0:
        return x
    cos, sin = rope_cos_sin(positions, inv_freq)
    if style == "interleaved":
        # HF Helium: take the first half of cos/sin and repeat each entry twice.
        cos = cos[..., :head_dim // 2].repeat_interleave(2, dim=-1)
        sin = sin[..., :head_dim // 2].repeat_interleave(2, dim=-1)
        rotate = rotate_half_helium
    elif style == "half":
        rotate = rotate_half_llama
    else:
        raise ValueError(f"unknown rope_style {style}")
    xh = x.reshape(t, n_heads, head_dim)
    out = xh * cos[:, None, :] + rotate(xh) * sin[:, None, :]
    return out.reshape(t, n_heads * head_dim)


# ----------------------------------------------------------------------------------------
# Configuration (§2)
# ----------------------------------------------------------------------------------------

class TextConfig:
    def __init__(self, c):
        self.vocab_size = c["vocab_size"]
        self.hidden_size = c["hidden_size"]
        self.intermediate_size = c["intermediate_size"]
        self.num_layers = c["num_hidden_layers"]
        self.num_heads = c["num_attention_heads"]
        self.num_kv_heads = c.get("num_key_value_heads", self.num_heads)
        self.head_dim = c.get("head_dim") or self.hidden_size // self.num_heads
        self.hidden_act = c.get("hidden_act", "silu")
        self.rms_norm_eps = c.get("rms_norm_eps", 1e-6)
        self.rope_theta = c.get("rope_theta", 10000.0)
        default_style = "interleaved" if c.get("model_type") == "helium" else "half"
        self.rope_style = c.get("rope_style", default_style)
        self.tie_word_embeddings = c.get("tie_word_embeddings", False)
        self.attention_bias = c.get("attention_bias", False)
        self.mlp_bias = c.get("mlp_bias", False)


class VisionConfig:
    def __init__(self, c):
        self.hidden_size = c["hidden_size"]
        self.intermediate_size = c["intermediate_size"]
        self.num_layers = c["num_hidden_layers"]
        self.num_heads = c["num_attention_heads"]
        self.num_channels = c.get("num_channels", 3)
        self.image_size = c["image_size"]
        self.patch_size = c["patch_size"]
        self.hidden_act = c.get("hidden_act", "gelu_pytorch_tanh")
        self.layer_norm_eps = c.get("layer_norm_eps", 1e-6)
        self.head_dim = self.hidden_size // self.num_heads
        self.num_patches = (self.image_size // self.patch_size) ** 2


# ----------------------------------------------------------------------------------------
# Image preprocessing (§5): Pillow convert('RGB') + resize, then numpy like SiglipImageProcessor
# ----------------------------------------------------------------------------------------

def preprocess_image(path, pp):
    image = Image.open(path)
    image.load()
    image = image.convert("RGB")
    height, width = pp["size"]["height"], pp["size"]["width"]
    image = image.resize((width, height), resample=pp.get("resample", 3))
    pixels = np.asarray(image)                                             # [H, W, 3] uint8
    if pp.get("do_rescale", True):
        # transformers.image_transforms.rescale: float64 multiply, then cast to float32.
        pixels = (pixels.astype(np.float64) * pp.get("rescale_factor", 1 / 255)).astype(np.float32)
    else:
        pixels = pixels.astype(np.float32)
    if pp.get("do_normalize", True):
        # transformers normalize: mean/std as arrays of the image dtype (float32).
        mean = np.array(pp.get("image_mean", [0.5, 0.5, 0.5]), dtype=np.float32)
        std = np.array(pp.get("image_std", [0.5, 0.5, 0.5]), dtype=np.float32)
        pixels = (pixels - mean) / std
    return np.ascontiguousarray(pixels.transpose(2, 0, 1).astype(np.float32))   # [C, H, W]


# ----------------------------------------------------------------------------------------
# Vision tower (§4.1, HF SiglipVisionModel) and projector
# ----------------------------------------------------------------------------------------

class VisionTower:
    PREFIX = "vision_tower.vision_model."

    def __init__(self, config, weights, feature_layer):
        self.cfg = VisionConfig(config)
        c = self.cfg
        p = self.PREFIX
        d, i = c.hidden_size, c.intermediate_size
        # Which hidden_states entry is the feature (0 = embeddings, k = output of layer k).
        if feature_layer is None:
            self.select = None
            layers_needed = c.num_layers
        else:
            index = feature_layer if feature_layer >= 0 else c.num_layers + 1 + feature_layer
            if not 0 <= index <= c.num_layers:
                raise ValueError(f"vision_feature_layer {feature_layer} out of range for {c.num_layers} layers")
            self.select = index
            layers_needed = index
        self.patch_w = weights.get(p + "embeddings.patch_embedding.weight",
                                   [d, c.num_channels, c.patch_size, c.patch_size])
        self.patch_b = weights.get(p + "embeddings.patch_embedding.bias", [d])
        self.pos = weights.get(p + "embeddings.position_embedding.weight", [c.num_patches, d])
        self.layers = []
        for n in range(layers_needed):
            lp = f"{p}encoder.layers.{n}."
            layer = {}
            for norm in ("layer_norm1", "layer_norm2"):
                layer[norm] = (weights.get(lp + norm + ".weight", [d]), weights.get(lp + norm + ".bias", [d]))
            for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
                layer[proj] = (weights.get(f"{lp}self_attn.{proj}.weight", [d, d]),
                               weights.get(f"{lp}self_attn.{proj}.bias", [d]))
            layer["fc1"] = (weights.get(lp + "mlp.fc1.weight", [i, d]), weights.get(lp + "mlp.fc1.bias", [i]))
            layer["fc2"] = (weights.get(lp + "mlp.fc2.weight", [d, i]), weights.get(lp + "mlp.fc2.bias", [d]))
            self.layers.append(layer)
        if self.select is None:
            self.post_ln = (weights.get(p + "post_layernorm.weight", [d]), weights.get(p + "post_layernorm.bias", [d]))
        self.act = activation(c.hidden_act)

    def features(self, pixels):
        """pixels float32 [C, S, S] -> float64 [N, D] selected features."""
        c = self.cfg
        if list(pixels.shape) != [c.num_channels, c.image_size, c.image_size]:
            raise ValueError(f"pixels shape {list(pixels.shape)}, expected "
                             f"{[c.num_channels, c.image_size, c.image_size]}")
        x = torch.from_numpy(np.asarray(pixels)).to(F64).unsqueeze(0)
        patches = F.conv2d(x, self.patch_w, self.patch_b, stride=c.patch_size)   # [1, D, g, g]
        h = patches.flatten(2).transpose(1, 2)[0] + self.pos                    # row-major grid
        hidden_states = [h]
        eps = c.layer_norm_eps
        for layer in self.layers:
            x = layer_norm(h, *layer["layer_norm1"], eps)
            q = linear(x, *layer["q_proj"])
            k = linear(x, *layer["k_proj"])
            v = linear(x, *layer["v_proj"])
            attn = multi_head_attention(q, k, v, None, c.num_heads, c.num_heads, c.head_dim)
            h = h + linear(attn, *layer["out_proj"])
            x = layer_norm(h, *layer["layer_norm2"], eps)
            h = h + linear(self.act(linear(x, *layer["fc1"])), *layer["fc2"])
            hidden_states.append(h)
        if self.select is None:
            return layer_norm(h, *self.post_ln, eps)      # SigLIP last_hidden_state
        return hidden_states[self.select]


class Projector:
    PREFIX = "multi_modal_projector."

    def __init__(self, vision_hidden, text_hidden, act_name, weights):
        p = self.PREFIX
        self.l1 = (weights.get(p + "linear_1.weight", [text_hidden, vision_hidden]),
                   weights.get(p + "linear_1.bias", [text_hidden]))
        self.l2 = (weights.get(p + "linear_2.weight", [text_hidden, text_hidden]),
                   weights.get(p + "linear_2.bias", [text_hidden]))
        self.act = activation(act_name)

    def __call__(self, features):
        return linear(self.act(linear(features, *self.l1)), *self.l2)


# ----------------------------------------------------------------------------------------
# Language model (§4.3 - §4.5)
# ----------------------------------------------------------------------------------------

def _proj(weights, name, out_dim, in_dim, with_bias, bias_if_present=False):
    w = weights.get(name + ".weight", [out_dim, in_dim])
    if with_bias:
        b = weights.get(name + ".bias", [out_dim])
    elif bias_if_present:
        b = weights.optional(name + ".bias", [out_dim])
    else:
        b = None
    return (w, b)


class AttentionWeights:
    def __init__(self, weights, prefix, cfg):
        hd, d = cfg.head_dim, cfg.hidden_size
        ab = cfg.attention_bias
        self.q = _proj(weights, prefix + "q_proj", cfg.num_heads * hd, d, ab)
        self.k = _proj(weights, prefix + "k_proj", cfg.num_kv_heads * hd, d, ab)
        self.v = _proj(weights, prefix + "v_proj", cfg.num_kv_heads * hd, d, ab)
        # o_proj has a bias only if the checkpoint has one (Llama with attention_bias; not Helium).
        self.o = _proj(weights, prefix + "o_proj", d, cfg.num_heads * hd, False, bias_if_present=True)


class DecoderLayer:
    def __init__(self, weights, index, cfg, is_casa, share):
        p = f"language_model.model.layers.{index}."
        d, i = cfg.hidden_size, cfg.intermediate_size
        self.input_ln = weights.get(p + "input_layernorm.weight", [d])
        self.post_ln = weights.get(p + "post_attention_layernorm.weight", [d])
        self.attn = AttentionWeights(weights, p + "self_attn.", cfg)
        mb = cfg.mlp_bias
        self.gate = _proj(weights, p + "mlp.gate_proj", i, d, mb)
        self.up = _proj(weights, p + "mlp.up_proj", i, d, mb)
        self.down = _proj(weights, p + "mlp.down_proj", d, i, mb)
        self.is_casa = is_casa
        self.share = share
        if is_casa and share:
            self.casa_ln, self.casa = self.input_ln, self.attn
        elif is_casa:
            self.casa_ln = weights.get(p + "casa_layernorm.weight", [d])
            self.casa = AttentionWeights(weights, p + "casa_attn.", cfg)


class Model:
    """A loaded model directory (§1-§3)."""

    def __init__(self, model_dir):
        self.dir = model_dir
        with open(os.path.join(model_dir, "config.json")) as f:
            self.config = json.load(f)
        c = self.config
        self.weights = Weights(read_model_weights(model_dir))
        w = self.weights
        self.fusion = c.get("fusion", "casa")
        if self.fusion not in ("casa", "insertion"):
            raise ValueError(f"unknown fusion {self.fusion}")
        self.text = TextConfig(c["text_config"])
        t = self.text
        if t.num_heads % t.num_kv_heads:
            raise ValueError("num_attention_heads must be a multiple of num_key_value_heads")

        # Vision tower + projector (optional for text-only models).
        self.vision = None
        if "vision_config" in c:
            self.vision = VisionTower(c["vision_config"], w, c.get("vision_feature_layer"))
            self.projector = Projector(self.vision.cfg.hidden_size, t.hidden_size,
                                       c.get("projector_hidden_act", "gelu"), w)
            with open(os.path.join(model_dir, "preprocessor_config.json")) as f:
                self.preprocessor = json.load(f)

        # CASA layer set (§2: casa_config keys default to layers=all, share=false, window_start).
        casa_layers = set()
        self.share = False
        self.image_rope = "window_start"
        if self.fusion == "casa":
            cc = c.get("casa_config", {})
            layers = cc.get("layers", "all")
            casa_layers = set(range(t.num_layers)) if layers == "all" else set(layers)
            if any(not 0 <= n < t.num_layers for n in casa_layers):
                raise ValueError(f"casa_config.layers {layers} out of range")
            self.share = cc.get("share_projections", False)
            self.image_rope = cc.get("image_rope", "window_start")
            if self.image_rope not in ("window_start", "none"):
                raise ValueError(f"unknown image_rope {self.image_rope}")

        d = t.hidden_size
        self.embed = w.get("language_model.model.embed_tokens.weight", [t.vocab_size, d])
        self.layers = [DecoderLayer(w, n, t, n in casa_layers, self.share) for n in range(t.num_layers)]
        self.norm = w.get("language_model.model.norm.weight", [d])
        if t.tie_word_embeddings:
            self.lm_head = self.embed
        else:
            self.lm_head = w.get("language_model.lm_head.weight", [t.vocab_size, d])
        self.inv_freq = rope_inv_freq(t.head_dim, t.rope_theta)

    # -- helpers shared by prefill and decode --------------------------------------------

    def check_unused(self):
        """Every stored tensor must be used, except SigLIP's pooling head and tensors after
        the selected vision layer (those are legitimately skipped)."""
        vp = VisionTower.PREFIX
        skipped_layers = set()
        if self.vision is not None and self.vision.select is not None:
            skipped_layers = set(range(self.vision.select, self.vision.cfg.num_layers))
        stray = []
        for name in self.weights.unused():
            if name.startswith(vp + "head."):
                continue
            if self.vision is not None and self.vision.select is not None and \
                    name.startswith(vp + "post_layernorm."):
                continue
            if name.startswith(vp + "encoder.layers.") and \
                    int(name[len(vp + "encoder.layers."):].split(".")[0]) in skipped_layers:
                continue
            stray.append(name)
        if stray:
            raise ValueError(f"unused tensors: {stray}")

    def image_embeddings(self, image_paths):
        """Preprocess, encode and project images: returns (pixels, features, embeddings)."""
        pixels = [preprocess_image(path, self.preprocessor) for path in image_paths]
        features = [self.vision.features(px) for px in pixels]
        embeddings = [self.projector(f) for f in features]
        return pixels, features, embeddings

    def _rope(self, x, positions, n_heads):
        t = self.text
        return apply_rope(x, positions, n_heads, t.head_dim, self.inv_freq, t.rope_style)

    def _qkv(self, attn, x):
        return linear(x, *attn.q), linear(x, *attn.k), linear(x, *attn.v)

    def _mlp(self, layer, h):
        t = self.text
        y = rms_norm(h, layer.post_ln, t.rms_norm_eps)
        act = activation(t.hidden_act)
        return linear(act(linear(y, *layer.gate)) * linear(y, *layer.up), *layer.down)

    def _logits(self, h):
        return linear(rms_norm(h, self.norm, self.text.rms_norm_eps), self.lm_head)

    def _check_tokens(self, tokens):
        for tok in tokens:
            if not 0 <= tok < self.text.vocab_size:
                raise ValueError(f"token id {tok} out of range [0, {self.text.vocab_size})")

    # -- prefill: the whole request at once, with explicit masks ----------------------------

    def prefill(self, tokens, images, trace=None):
        """tokens: list of ids; images: list of (insert_at, embeddings [N, d]) in order.

        Returns (logits [T, V] for the text tokens, logits at the last stream position).
        If `trace` is a list, the residual stream after the embedding and after each layer is
        appended to it (all stream rows: text only in CASA mode, text + image in insertion)."""
        self._check_tokens(tokens)
        if trace is None:
            trace = []
        if self.fusion == "insertion":
            return self._prefill_insertion(tokens, images, trace)
        return self._prefill_casa(tokens, images, trace)

    def _prefill_insertion(self, tokens, images, trace):
        """§4.5: image embeddings spliced at their insertion points, plain causal attention."""
        t = self.text
        rows, text_rows = [], []
        for j in range(len(tokens) + 1):
            for insert_at, emb in images:
                if insert_at == j:
                    rows.extend(emb)
            if j < len(tokens):
                text_rows.append(len(rows))
                rows.append(self.embed[tokens[j]])
        h = torch.stack(rows)
        trace.append(h)
        length = h.shape[0]
        positions = torch.arange(length)
        causal = positions[:, None] >= positions[None, :]
        for layer in self.layers:
            x = rms_norm(h, layer.input_ln, t.rms_norm_eps)
            q, k, v = self._qkv(layer.attn, x)
            q = self._rope(q, positions, t.num_heads)
            k = self._rope(k, positions, t.num_kv_heads)
            sa = linear(multi_head_attention(q, k, v, causal, t.num_heads, t.num_kv_heads, t.head_dim),
                        *layer.attn.o)
            h = h + sa
            h = h + self._mlp(layer, h)
            trace.append(h)
        logits = self._logits(h)
        return logits[text_rows], logits[-1]

    def _prefill_casa(self, tokens, images, trace):
        t = self.text
        n_text = len(tokens)
        h = self.embed[torch.tensor(tokens, dtype=torch.long)]
        trace.append(h)
        positions = torch.arange(n_text)

        # Windows (§4.2): images with the same insertion point form one window group.
        group_starts = []                     # insertion point P of each group, increasing
        image_rows, image_group = [], []      # all image tokens, and the group each belongs to
        for insert_at, emb in images:
            if not group_starts or group_starts[-1] != insert_at:
                group_starts.append(insert_at)
            image_rows.append(emb)
            image_group.extend([len(group_starts) - 1] * emb.shape[0])
        # Window of text token j: the last group whose P <= j; -1 before the first image.
        window = torch.tensor([max([g for g, p in enumerate(group_starts) if p <= j], default=-1)
                               for j in range(n_text)], dtype=torch.long)
        image_group = torch.tensor(image_group, dtype=torch.long)
        image_positions = torch.tensor([group_starts[g] for g in image_group.tolist()], dtype=torch.long)
        e = torch.cat(image_rows) if image_rows else torch.zeros(0, t.hidden_size, dtype=F64)

        causal = positions[:, None] >= positions[None, :]
        same_window_text = causal & (window[:, None] == window[None, :])
        own_window_images = window[:, None] == image_group[None, :]
        casa_allowed = torch.cat([own_window_images, same_window_text], dim=1)  # image keys first

        for layer in self.layers:
            x = rms_norm(h, layer.input_ln, t.rms_norm_eps)
            q, k, v = self._qkv(layer.attn, x)
            q_rot = self._rope(q, positions, t.num_heads)
            k_rot = self._rope(k, positions, t.num_kv_heads)
            sa = linear(multi_head_attention(q_rot, k_rot, v, causal, t.num_heads, t.num_kv_heads,
                                             t.head_dim), *layer.attn.o)
            if layer.is_casa:
                if layer.share:
                    cq, ck, cv = q_rot, k_rot, v     # text q/k/v computed once, serve both paths
                else:
                    c = rms_norm(h, layer.casa_ln, t.rms_norm_eps)
                    cq, ck, cv = self._qkv(layer.casa, c)
                    cq = self._rope(cq, positions, t.num_heads)
                    ck = self._rope(ck, positions, t.num_kv_heads)
                u = rms_norm(e, layer.casa_ln, t.rms_norm_eps)
                ik = linear(u, *layer.casa.k)
                iv = linear(u, *layer.casa.v)
                if self.image_rope == "window_start":
                    ik = self._rope(ik, image_positions, t.num_kv_heads)
                keys = torch.cat([ik, ck])
                values = torch.cat([iv, cv])
                ca = linear(multi_head_attention(cq, keys, values, casa_allowed, t.num_heads,
                                                 t.num_kv_heads, t.head_dim), *layer.casa.o)
                h = h + sa + ca
            else:
                h = h + sa
            h = h + self._mlp(layer, h)
            trace.append(h)
        logits = self._logits(h)
        return logits, logits[-1]


# ----------------------------------------------------------------------------------------
# Token-by-token decode with caches (§4.4) - a second, independent code path
# ----------------------------------------------------------------------------------------

class CasaWindow:
    """The current window of one CASA layer: image K/V and the K/V of the window's text."""

    def __init__(self, kv_width):
        self.image_k = torch.zeros(0, kv_width, dtype=F64)
        self.image_v = torch.zeros(0, kv_width, dtype=F64)
        self.text_k = torch.zeros(0, kv_width, dtype=F64)
        self.text_v = torch.zeros(0, kv_width, dtype=F64)

    def add_image(self, k, v):
        if self.text_k.shape[0] > 0:
            # Text has arrived since the window opened: this image opens a new window.
            self.__init__(k.shape[1])
        self.image_k = torch.cat([self.image_k, k])
        self.image_v = torch.cat([self.image_v, v])

    def add_text(self, k, v):
        self.text_k = torch.cat([self.text_k, k])
        self.text_v = torch.cat([self.text_v, v])

    def keys_values(self):
        return torch.cat([self.image_k, self.text_k]), torch.cat([self.image_v, self.text_v])


class Session:
    """Streaming state: feed images and tokens in stream order, read logits per token."""

    def __init__(self, model):
        self.m = model
        t = model.text
        kv_width = t.num_kv_heads * t.head_dim
        self.position = 0                      # next position in the stream
        self.cache_k = [torch.zeros(0, kv_width, dtype=F64) for _ in model.layers]
        self.cache_v = [torch.zeros(0, kv_width, dtype=F64) for _ in model.layers]
        self.windows = [CasaWindow(kv_width) if layer.is_casa else None for layer in model.layers]
        self.last_logits = None                # logits at the last stream position

    def add_image(self, embeddings):
        m, t = self.m, self.m.text
        if m.fusion == "insertion":
            for row in embeddings:             # N consecutive stream positions
                self.last_logits = self._step(row.unsqueeze(0))
            return
        # CASA: images take no position; keys are rotated at the window start P = position now.
        pos = torch.full((embeddings.shape[0],), self.position, dtype=torch.long)
        for layer, window in zip(m.layers, self.windows):
            if window is None:
                continue
            u = rms_norm(embeddings, layer.casa_ln, t.rms_norm_eps)
            k = linear(u, *layer.casa.k)
            v = linear(u, *layer.casa.v)
            if m.image_rope == "window_start":
                k = m._rope(k, pos, t.num_kv_heads)
            window.add_image(k, v)

    def add_token(self, token):
        self.m._check_tokens([token])
        self.last_logits = self._step(self.m.embed[token].unsqueeze(0))
        return self.last_logits

    def _step(self, h):
        """One stream position (a text token, or one image row in insertion mode)."""
        m, t = self.m, self.m.text
        pos = torch.tensor([self.position])
        is_text_casa = m.fusion == "casa"
        for n, layer in enumerate(m.layers):
            x = rms_norm(h, layer.input_ln, t.rms_norm_eps)
            q, k, v = m._qkv(layer.attn, x)
            q = m._rope(q, pos, t.num_heads)
            k = m._rope(k, pos, t.num_kv_heads)
            self.cache_k[n] = torch.cat([self.cache_k[n], k])
            self.cache_v[n] = torch.cat([self.cache_v[n], v])
            sa = linear(multi_head_attention(q, self.cache_k[n], self.cache_v[n], None, t.num_heads,
                                             t.num_kv_heads, t.head_dim), *layer.attn.o)
            if is_text_casa and layer.is_casa:
                if layer.share:
                    cq, ck, cv = q, k, v
                else:
                    c = rms_norm(h, layer.casa_ln, t.rms_norm_eps)
                    cq, ck, cv = m._qkv(layer.casa, c)
                    cq = m._rope(cq, pos, t.num_heads)
                    ck = m._rope(ck, pos, t.num_kv_heads)
                window = self.windows[n]
                window.add_text(ck, cv)
                keys, values = window.keys_values()
                ca = linear(multi_head_attention(cq, keys, values, None, t.num_heads, t.num_kv_heads,
                                                 t.head_dim), *layer.casa.o)
                h = h + sa + ca
            else:
                h = h + sa
            h = h + m._mlp(layer, h)
        self.position += 1
        return m._logits(h)[0]


# ----------------------------------------------------------------------------------------
# A whole request: prefill, decode, consistency check, greedy continuation
# ----------------------------------------------------------------------------------------

def decode_request(model, tokens, images):
    """Token-by-token: images attached when their insertion point is reached."""
    session = Session(model)
    rows = []
    for j in range(len(tokens) + 1):
        for insert_at, emb in images:
            if insert_at == j:
                session.add_image(emb)
        if j < len(tokens):
            rows.append(session.add_token(tokens[j]))
    return torch.stack(rows), session


def greedy(session, max_new_tokens):
    """Greedy continuation from the last stream position; returns ids and each step's logits."""
    generated, step_logits = [], []
    logits = session.last_logits
    for n in range(max_new_tokens):
        step_logits.append(logits)
        token = int(torch.argmax(logits))
        generated.append(token)
        if n + 1 < max_new_tokens:
            logits = session.add_token(token)
    return generated, step_logits


def check_close(a, b, what, rel=1e-9):
    if a.numel() == 0:
        return 0.0
    scale = max(1.0, float(a.abs().max()))
    diff = float((a - b).abs().max())
    if diff > rel * scale:
        raise AssertionError(f"{what}: max |diff| {diff:.3e} > {rel:.0e} * {scale:.3f}")
    return diff


def run_request(model, request, request_dir, max_new_tokens=0):
    """Everything a fixture case records. Asserts prefill == decode (float64)."""
    tokens = list(request["tokens"])
    image_specs = request.get("images", [])
    points = [spec["insert_at"] for spec in image_specs]
    if points != sorted(points) or any(not 0 <= p <= len(tokens) for p in points):
        raise ValueError(f"insert_at must be non-decreasing within [0, {len(tokens)}]: {points}")
    pixels, features, embeddings = [], [], []
    if image_specs:
        if model.vision is None:
            raise ValueError("request has images but the model has no vision tower")
        paths = [os.path.join(request_dir, spec["path"]) for spec in image_specs]
        pixels, features, embeddings = model.image_embeddings(paths)
    images = list(zip(points, embeddings))

    logits, last = model.prefill(tokens, images)
    decoded, session = decode_request(model, tokens, images)
    result = {
        "tokens": tokens,
        "pixels": pixels, "features": features, "embeddings": embeddings,
        "logits": logits,
        "prefill_vs_decode": check_close(logits, decoded, "prefill vs decode logits"),
    }
    check_close(last, session.last_logits, "prefill vs decode last-position logits")
    if max_new_tokens:
        generated, step_logits = greedy(session, max_new_tokens)
        # Cross-check the cached continuation against one prefill of request + generated text.
        if len(generated) > 1:
            ext_logits, _ = model.prefill(tokens + generated[:-1], images)
            check_close(ext_logits[len(tokens):], torch.stack(step_logits[1:]),
                        "greedy decode vs prefill of the continuation")
        result["generated"] = generated
        result["step_logits"] = step_logits
    return result


# ----------------------------------------------------------------------------------------
# Self-test: the helpers shared by prefill and decode checked against plain formulas
# ----------------------------------------------------------------------------------------

def self_test():
    """Checks the shared building blocks independently (prefill == decode cannot catch a bug
    in code both paths use)."""
    g = torch.Generator().manual_seed(0)
    # RoPE against the pair-rotation formula of §4.3.
    for style, hd in (("interleaved", 6), ("interleaved", 12), ("half", 8), ("half", 10)):
        n_heads, theta = 3, 10000.0
        x = torch.randn(5, n_heads * hd, generator=g, dtype=F64)
        pos = torch.tensor([0, 1, 2, 7, 40])
        got = apply_rope(x, pos, n_heads, hd, rope_inv_freq(hd, theta), style).reshape(5, n_heads, hd)
        xh = x.reshape(5, n_heads, hd)
        want = torch.empty_like(xh)
        for t in range(5):
            for k in range(hd // 2):
                freq = float(torch.tensor(theta, dtype=torch.float32) ** torch.tensor(2 * k / hd,
                                                                                       dtype=torch.float32))
                angle = float(pos[t]) * float(torch.tensor(1.0, dtype=torch.float32) /
                                              torch.tensor(freq, dtype=torch.float32))
                a, b = (2 * k, 2 * k + 1) if style == "interleaved" else (k, k + hd // 2)
                c, s = math.cos(angle), math.sin(angle)
                want[t, :, a] = xh[t, :, a] * c - xh[t, :, b] * s
                want[t, :, b] = xh[t, :, b] * c + xh[t, :, a] * s
        check_close(want, got, f"rope {style} hd {hd}", rel=1e-6)
    # Attention against a per-head, per-query loop with GQA head mapping.
    n_heads, n_kv, hd, tq, tk = 6, 2, 4, 3, 5
    q = torch.randn(tq, n_heads * hd, generator=g, dtype=F64)
    k = torch.randn(tk, n_kv * hd, generator=g, dtype=F64)
    v = torch.randn(tk, n_kv * hd, generator=g, dtype=F64)
    allowed = torch.rand(tq, tk, generator=g) > 0.4
    allowed[:, 0] = True
    got = multi_head_attention(q, k, v, allowed, n_heads, n_kv, hd)
    want = torch.zeros_like(got)
    for h in range(n_heads):
        kvh = h // (n_heads // n_kv)
        for i in range(tq):
            keys = [j for j in range(tk) if allowed[i, j]]
            scores = [float(q[i, h * hd:(h + 1) * hd] @ k[j, kvh * hd:(kvh + 1) * hd]) / math.sqrt(hd)
                      for j in keys]
            top = max(scores)
            weights = [math.exp(s - top) for s in scores]
            for w_, j in zip(weights, keys):
                want[i, h * hd:(h + 1) * hd] += w_ / sum(weights) * v[j, kvh * hd:(kvh + 1) * hd]
    check_close(want, got, "attention", rel=1e-12)
    # Patch embedding (conv, row-major flatten) against explicit patch dot products.
    c_, p_, s_, d_ = 3, 4, 8, 5
    img = torch.randn(c_, s_, s_, generator=g, dtype=F64)
    wconv = torch.randn(d_, c_, p_, p_, generator=g, dtype=F64)
    bconv = torch.randn(d_, generator=g, dtype=F64)
    got = F.conv2d(img[None], wconv, bconv, stride=p_).flatten(2).transpose(1, 2)[0]
    grid = s_ // p_
    for r in range(grid):
        for col in range(grid):
            patch = img[:, r * p_:(r + 1) * p_, col * p_:(col + 1) * p_]
            want_row = (wconv * patch[None]).sum(dim=(1, 2, 3)) + bconv
            check_close(want_row, got[r * grid + col], "patch embedding", rel=1e-12)
    # BF16 widening is exact.
    values = torch.randn(64, generator=g).to(torch.bfloat16)
    raw = values.view(torch.int16).numpy().astype("<i2").tobytes()
    assert torch.equal(_decode_tensor(raw, "BF16", [64], "test"), values.to(F64))
    print("self-test ok")


def main():
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--request", required=True)
    parser.add_argument("--out", help="write prefill logits as float32 .npy")
    parser.add_argument("--greedy", type=int, default=0, help="also print N greedy tokens")
    parser.add_argument("--hidden-out", help="debug aid: write the prefill residual stream after the "
                        "embedding and after each layer as float32 .npy [L+1, rows, d]")
    parser.add_argument("--pixels-out", help="write the preprocessed images as float32 .npy [n, C, H, W]")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = Model(args.model)
    model.check_unused()
    with open(args.request) as f:
        request = json.load(f)
    result = run_request(model, request, os.path.dirname(os.path.abspath(args.request)), args.greedy)
    print(f"tokens {len(result['tokens'])}, images {len(result['embeddings'])}, "
          f"prefill vs decode max |diff| {result['prefill_vs_decode']:.2e}")
    if args.out:
        np.save(args.out, result["logits"].numpy().astype("<f4"))
    if args.greedy:
        print("greedy:", result["generated"])
    if args.pixels_out:
        np.save(args.pixels_out, np.stack(result["pixels"]).astype("<f4") if result["pixels"]
                else np.zeros((0, 3, 0, 0), dtype="<f4"))
    if args.hidden_out:
        trace = []
        model.prefill(result["tokens"], list(zip([im["insert_at"] for im in request.get("images", [])],
                                                 result["embeddings"])), trace)
        np.save(args.hidden_out, torch.stack(trace).numpy().astype("<f4"))


if __name__ == "__main__":
    main()
