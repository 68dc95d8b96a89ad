#!/usr/bin/env python3
"""Generate the tiny reference fixtures under models/fixtures/ (layout: /work/wt/FIXTURES.md).

Every model has seeded random weights written as hand-made safetensors; every case is run
through casa_reference.py (float64, prefill and decode, asserted equal) and its outputs are
written as float32 .npy. Re-running produces byte-identical files.

    /usr/bin/python3 models/reference/make_fixtures.py            # all fixtures
    /usr/bin/python3 models/reference/make_fixtures.py text-f32-mha-half casa-f32-all   # some
"""

import json
import os
import shutil
import struct
import sys

import numpy as np
import torch
from PIL import Image, ImageDraw

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import casa_reference as ref  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "fixtures"))
IMAGES = os.path.join(ROOT, "images")

# Greedy steps whose top-2 logit gap is below this (relative to max(1, max|logit|)) would be
# fragile in float32; the continuation is cut before such a step (reported in the log).
MIN_GREEDY_MARGIN = 2e-3


# ----------------------------------------------------------------------------------------
# safetensors writing
# ----------------------------------------------------------------------------------------

def tensor_bytes(array, dtype):
    if dtype == "F32":
        return np.ascontiguousarray(array, dtype="<f4").tobytes()
    if dtype == "F16":
        return np.ascontiguousarray(array, dtype="<f2").tobytes()
    if dtype == "BF16":
        t = torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)).to(torch.bfloat16)
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    raise ValueError(dtype)


ITEMSIZE = {"F32": 4, "F16": 2, "BF16": 2}


def write_safetensors(path, tensors):
    """tensors: list of (name, array, dtype). Laid out like the safetensors library does:
    sorted by dtype size (largest first, keeps alignment) then name; header padded with
    spaces to a multiple of 8."""
    ordered = sorted(tensors, key=lambda t: (-ITEMSIZE[t[2]], t[2], t[0]))
    header = {"__metadata__": {"format": "pt"}}
    blobs, offset = [], 0
    for name, array, dtype in ordered:
        blob = tensor_bytes(array, dtype)
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    return offset


def write_weights(model_dir, tensors, shards):
    if shards == 1:
        write_safetensors(os.path.join(model_dir, "model.safetensors"), tensors)
        return
    names = sorted(name for name, _, _ in tensors)
    per_shard = -(-len(names) // shards)
    weight_map, total = {}, 0
    for k in range(shards):
        file = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
        chunk = set(names[k * per_shard:(k + 1) * per_shard])
        total += write_safetensors(os.path.join(model_dir, file), [t for t in tensors if t[0] in chunk])
        weight_map.update({name: file for name in chunk})
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    write_json(os.path.join(model_dir, "model.safetensors.index.json"), index)


def write_json(path, obj, compact=False):
    with open(path, "w") as f:
        if compact:
            f.write(json.dumps(obj) + "\n")
        else:
            json.dump(obj, f, indent=2)
            f.write("\n")


def write_npy(path, tensor):
    np.save(path, np.ascontiguousarray(np.asarray(tensor, dtype=np.float64).astype("<f4")))


# ----------------------------------------------------------------------------------------
# tokenizer.json: a small hand-written HF byte-level BPE (not trained, but valid)
# ----------------------------------------------------------------------------------------

SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<image>", "<boi>", "<eoi>"]   # ids 0..5
PAD, BOS, EOS, IMAGE, BOI, EOI = range(6)
MERGES = [("Ġ", "t"), ("h", "e"), ("i", "n"), ("e", "r"), ("a", "n"), ("Ġ", "a"), ("o", "n"),
          ("r", "e"), ("Ġt", "he"), ("Ġ", "s"), ("a", "t"), ("e", "n"), ("i", "s"), ("o", "r"),
          ("in", "g"), ("Ġ", "c")]


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character map (used by the ByteLevel pieces)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def tokenizer_json():
    vocab = {tok: i for i, tok in enumerate(SPECIAL_TOKENS)}
    byte_chars = bytes_to_unicode()
    for b in range(256):
        vocab[byte_chars[b]] = len(vocab)
    for left, right in MERGES:
        assert left in vocab and right in vocab
        vocab[left + right] = len(vocab)
    added = [{"id": i, "content": tok, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, tok in enumerate(SPECIAL_TOKENS)]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [BOS], "tokens": ["<s>"]}},
        },
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": False, "vocab": vocab, "merges": [f"{a} {b}" for a, b in MERGES]},
    }


TOKENIZER_SIZE = len(SPECIAL_TOKENS) + 256 + len(MERGES)   # 278 ids; models use vocab_size >= 288


# ----------------------------------------------------------------------------------------
# test images
# ----------------------------------------------------------------------------------------

def make_images():
    """Small deterministic images of varied sizes, aspect ratios and modes."""
    os.makedirs(IMAGES, exist_ok=True)
    rng = np.random.default_rng(1234)
    made = {}

    def save(name, image, **kw):
        image.save(os.path.join(IMAGES, name), **kw)
        made[name] = image.mode

    # RGB gradient 40x30 (downscale, non-square)
    y, x = np.mgrid[0:30, 0:40]
    rgb = np.stack([x * 255 // 39, y * 255 // 29, (x + y) * 255 // 68], axis=-1).astype(np.uint8)
    save("grad_rgb_40x30.png", Image.fromarray(rgb, "RGB"))
    # RGB noise 64x64
    save("noise_rgb_64x64.png", Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8), "RGB"))
    # RGBA 50x20 with shapes; fully transparent pixels keep a non-trivial stored RGB
    rgba = np.zeros((20, 50, 4), dtype=np.uint8)
    rgba[..., 0] = rng.integers(0, 256, (20, 50))
    rgba[..., 1] = np.arange(50)[None, :] * 5
    rgba[..., 2] = 200
    rgba[..., 3] = 0
    rgba[4:16, 5:30, 3] = 255
    rgba[2:18, 30:45, 3] = 128
    save("shapes_rgba_50x20.png", Image.fromarray(rgba, "RGBA"))
    # Greyscale 17x45 (tall, odd sizes)
    y, x = np.mgrid[0:45, 0:17]
    grey = np.clip(y * 5 + rng.integers(0, 40, (45, 17)), 0, 255).astype(np.uint8)
    save("grey_l_17x45.png", Image.fromarray(grey, "L"))
    # Palette 33x33 with shapes
    pal = Image.new("RGB", (33, 33), (20, 40, 200))
    draw = ImageDraw.Draw(pal)
    draw.ellipse((3, 3, 24, 20), fill=(250, 200, 10))
    draw.rectangle((15, 18, 31, 31), fill=(10, 180, 60))
    draw.line((0, 32, 32, 0), fill=(255, 255, 255), width=2)
    save("shapes_p_33x33.png", pal.quantize(colors=8, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE))
    # Tiny RGB 8x8 (upscale)
    save("tiny_rgb_8x8.png", Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8), "RGB"))
    # Wide RGB 120x24 (strong downscale, wide aspect)
    y, x = np.mgrid[0:24, 0:120]
    wide = np.stack([(x * 2) % 256, (y * 10) % 256, ((x // 10 + y // 6) % 2) * 255], axis=-1).astype(np.uint8)
    save("wide_rgb_120x24.png", Image.fromarray(wide, "RGB"))
    # Baseline JPEG 48x40 (smooth content, quality 90, 4:2:0 subsampling)
    y, x = np.mgrid[0:40, 0:48]
    smooth = np.stack([128 + 100 * np.sin(x / 7.0), 128 + 100 * np.cos(y / 5.0), (x * y) % 256],
                      axis=-1).astype(np.uint8)
    save("smooth_rgb_48x40.jpg", Image.fromarray(smooth, "RGB"), quality=90)
    return made


# ----------------------------------------------------------------------------------------
# random weights
# ----------------------------------------------------------------------------------------

class WeightMaker:
    """Seeded weights in a fixed order; scaled so activations and logits are O(1-10)."""

    def __init__(self, seed, dtype_rules):
        self.rng = np.random.default_rng(seed)
        self.rules = dtype_rules          # list of (name prefix, dtype); first match wins
        self.tensors = []

    def dtype(self, name):
        for prefix, dtype in self.rules:
            if name.startswith(prefix):
                return dtype
        raise ValueError(name)

    def add(self, name, array):
        self.tensors.append((name, np.asarray(array, dtype=np.float64), self.dtype(name)))

    def normal(self, name, shape, std):
        self.add(name, self.rng.standard_normal(shape) * std)

    def linear(self, name, out_dim, in_dim, bias, gain=1.0):
        self.normal(name + ".weight", (out_dim, in_dim), gain / np.sqrt(in_dim))
        if bias:
            self.normal(name + ".bias", (out_dim,), 0.1)

    def norm_weight(self, name, dim):
        self.add(name, 1.0 + 0.2 * self.rng.standard_normal(dim))

    def layer_norm(self, name, dim):
        self.add(name + ".weight", 1.0 + 0.1 * self.rng.standard_normal(dim))
        self.add(name + ".bias", 0.1 * self.rng.standard_normal(dim))


def make_vision_weights(w, vc, include_head):
    p = "vision_tower.vision_model."
    d, i, c, ps = vc["hidden_size"], vc["intermediate_size"], vc.get("num_channels", 3), vc["patch_size"]
    n = (vc["image_size"] // ps) ** 2
    w.normal(p + "embeddings.patch_embedding.weight", (d, c, ps, ps), 1.0 / np.sqrt(c * ps * ps))
    w.normal(p + "embeddings.patch_embedding.bias", (d,), 0.1)
    w.normal(p + "embeddings.position_embedding.weight", (n, d), 0.5)
    for k in range(vc["num_hidden_layers"]):
        lp = f"{p}encoder.layers.{k}."
        w.layer_norm(lp + "layer_norm1", d)
        w.linear(lp + "self_attn.q_proj", d, d, True, gain=1.5)
        w.linear(lp + "self_attn.k_proj", d, d, True, gain=1.5)
        w.linear(lp + "self_attn.v_proj", d, d, True)
        w.linear(lp + "self_attn.out_proj", d, d, True)
        w.layer_norm(lp + "layer_norm2", d)
        w.linear(lp + "mlp.fc1", i, d, True)
        w.linear(lp + "mlp.fc2", d, i, True)
    w.layer_norm(p + "post_layernorm", d)
    if include_head:      # SigLIP pooling head: present in some checkpoints, ignored by the spec
        w.normal(p + "head.probe", (1, 1, d), 1.0)
        w.normal(p + "head.attention.in_proj_weight", (3 * d, d), 1.0 / np.sqrt(d))
        w.normal(p + "head.attention.in_proj_bias", (3 * d,), 0.1)
        w.linear(p + "head.attention.out_proj", d, d, True)
        w.layer_norm(p + "head.layernorm", d)
        w.linear(p + "head.mlp.fc1", i, d, True)
        w.linear(p + "head.mlp.fc2", d, i, True)


def make_projector_weights(w, vision_hidden, text_hidden):
    w.linear("multi_modal_projector.linear_1", text_hidden, vision_hidden, True)
    w.linear("multi_modal_projector.linear_2", text_hidden, text_hidden, True)


def make_attention_weights(w, prefix, tc, o_bias, out_gain=1.0):
    d = tc["hidden_size"]
    h, kv = tc["num_attention_heads"], tc.get("num_key_value_heads", tc["num_attention_heads"])
    hd = tc.get("head_dim") or d // h
    ab = tc.get("attention_bias", False)
    w.linear(prefix + "q_proj", h * hd, d, ab, gain=2.0)
    w.linear(prefix + "k_proj", kv * hd, d, ab, gain=2.0)
    w.linear(prefix + "v_proj", kv * hd, d, ab)
    w.linear(prefix + "o_proj", d, h * hd, o_bias, gain=out_gain)


def make_text_weights(w, tc, casa_layers, share, o_bias):
    p = "language_model."
    d, i, v = tc["hidden_size"], tc["intermediate_size"], tc["vocab_size"]
    tied = tc.get("tie_word_embeddings", False)
    # Tied: the embedding doubles as lm_head, so keep it small enough for O(1-10) logits.
    # Tied models also get stronger layer outputs, else greedy just repeats the input token.
    w.normal(p + "model.embed_tokens.weight", (v, d), 0.3 if tied else 1.0)
    out_gain = 2.5 if tied else 1.0
    mb = tc.get("mlp_bias", False)
    for k in range(tc["num_hidden_layers"]):
        lp = f"{p}model.layers.{k}."
        w.norm_weight(lp + "input_layernorm.weight", d)
        make_attention_weights(w, lp + "self_attn.", tc, o_bias, out_gain)
        if k in casa_layers and not share:
            w.norm_weight(lp + "casa_layernorm.weight", d)
            make_attention_weights(w, lp + "casa_attn.", tc, o_bias, out_gain)
        w.norm_weight(lp + "post_attention_layernorm.weight", d)
        w.linear(lp + "mlp.gate_proj", i, d, mb)
        w.linear(lp + "mlp.up_proj", i, d, mb)
        w.linear(lp + "mlp.down_proj", d, i, mb, gain=out_gain)
    w.norm_weight(p + "model.norm.weight", d)
    if not tied:
        w.normal(p + "lm_head.weight", (v, d), 3.0 / np.sqrt(d))


# ----------------------------------------------------------------------------------------
# fixture definitions
# ----------------------------------------------------------------------------------------

def text_config(hidden, inter, layers, heads, kv, vocab, rope_style=None, model_type="helium",
                head_dim=None, tied=False, attention_bias=False, mlp_bias=False, act="silu"):
    c = {"model_type": model_type, "vocab_size": vocab, "hidden_size": hidden, "intermediate_size": inter,
         "num_hidden_layers": layers, "num_attention_heads": heads, "num_key_value_heads": kv,
         "hidden_act": act, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
         "max_position_embeddings": 256, "tie_word_embeddings": tied,
         "attention_bias": attention_bias, "mlp_bias": mlp_bias,
         "bos_token_id": BOS, "eos_token_id": EOS, "pad_token_id": PAD}
    if head_dim is not None:
        c["head_dim"] = head_dim
    if rope_style is not None:
        c["rope_style"] = rope_style
    return c


def vision_config(hidden, inter, layers, heads, image_size, patch):
    return {"model_type": "siglip_vision_model", "hidden_size": hidden, "intermediate_size": inter,
            "num_hidden_layers": layers, "num_attention_heads": heads, "num_channels": 3,
            "image_size": image_size, "patch_size": patch, "hidden_act": "gelu_pytorch_tanh",
            "layer_norm_eps": 1e-6}


def preprocessor(size, resample, imagenet=False):
    mean, std = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]) if imagenet else ([0.5] * 3, [0.5] * 3)
    return {"image_processor_type": "SiglipImageProcessor", "do_resize": True,
            "size": {"height": size, "width": size}, "resample": resample, "do_rescale": True,
            "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": mean, "image_std": std,
            "do_convert_rgb": True}


def seq(seed, n, start_bos=True):
    """A deterministic token sequence: BOS then ids from the tokenizer's byte/merge range."""
    rng = np.random.default_rng(seed)
    ids = [int(t) for t in rng.integers(len(SPECIAL_TOKENS), TOKENIZER_SIZE, n)]
    if start_bos:
        ids[0] = BOS
    return ids


def text_cases(seed):
    return [
        {"name": "single", "tokens": [BOS], "images": [], "greedy": 10},
        {"name": "short", "tokens": seq(seed + 1, 7), "images": [], "greedy": 12},
        {"name": "long", "tokens": seq(seed + 2, 40), "images": [], "greedy": 8},
    ]


def vlm_cases(seed):
    """Cases shared by CASA and insertion fixtures (windows per spec §4.2)."""
    def with_markers(ids, points):
        # The prompt a processor would build: <boi> before and <eoi> after each image.
        out = list(ids)
        for p in points:
            out[p - 1] = BOI
            out[p] = EOI
        return out
    return [
        {"name": "text_only", "tokens": seq(seed + 1, 9), "images": [], "greedy": 10},
        {"name": "image_at_start", "tokens": seq(seed + 2, 10, start_bos=False),
         "images": [("grad_rgb_40x30.png", 0)], "greedy": 10},
        {"name": "text_then_image", "tokens": seq(seed + 3, 12),
         "images": [("shapes_rgba_50x20.png", 5)], "greedy": 10},
        # two consecutive images share window [3, 8); another window at 8; an image at the very end
        {"name": "multi_image", "tokens": seq(seed + 4, 14),
         "images": [("noise_rgb_64x64.png", 3), ("grey_l_17x45.png", 3), ("shapes_p_33x33.png", 8),
                    ("tiny_rgb_8x8.png", 14)], "greedy": 10},
        {"name": "image_at_end", "tokens": seq(seed + 5, 6),
         "images": [("wide_rgb_120x24.png", 6)], "greedy": 10},
        {"name": "three_windows", "tokens": with_markers(seq(seed + 6, 16), [2, 7, 12]),
         "images": [("shapes_p_33x33.png", 2), ("grad_rgb_40x30.png", 7), ("noise_rgb_64x64.png", 12)],
         "greedy": 10},
        # streaming-like: a new frame every 9 tokens; CASA keeps only the latest window
        {"name": "stream", "tokens": seq(seed + 7, 36),
         "images": [("tiny_rgb_8x8.png", 0), ("wide_rgb_120x24.png", 9), ("grey_l_17x45.png", 18),
                    ("grad_rgb_40x30.png", 27)], "greedy": 8},
    ]


def vision_cases(seed, jpeg=False):
    cases = [
        {"name": "one_rgb", "tokens": seq(seed + 1, 6), "images": [("grad_rgb_40x30.png", 1)], "greedy": 6},
        {"name": "rgba_and_grey", "tokens": seq(seed + 2, 8),
         "images": [("shapes_rgba_50x20.png", 1), ("grey_l_17x45.png", 4)], "greedy": 6},
        {"name": "palette_tiny_wide", "tokens": seq(seed + 3, 8),
         "images": [("shapes_p_33x33.png", 0), ("tiny_rgb_8x8.png", 3), ("wide_rgb_120x24.png", 3)],
         "greedy": 6},
    ]
    if jpeg:
        cases.append({"name": "jpeg_baseline", "tokens": seq(seed + 4, 5),
                      "images": [("smooth_rgb_48x40.jpg", 1)], "greedy": 6})
    return cases


def fixtures():
    F32 = [("", "F32")]
    out = []

    # --- text-only decoders (no vision tower; casa_config.layers = [] -> plain Llama/Helium) ---
    def text_fixture(name, seed, tc, dtypes, shards=1, o_bias=False, note=""):
        out.append({"name": name, "seed": seed, "text": tc, "dtypes": dtypes, "shards": shards,
                    "o_bias": o_bias, "fusion": "casa", "casa": {"layers": [], "share_projections": False,
                                                                 "image_rope": "window_start"},
                    "cases": text_cases(seed), "note": note})

    text_fixture("text-f32-mha-half", 11,
                 text_config(36, 100, 2, 6, 6, 300, model_type="llama"), F32,
                 note="F32, MHA 6 heads hd 6, rope_style absent + model_type llama -> half, untied")
    text_fixture("text-f32-gqa-interleaved-tied", 12,
                 text_config(44, 100, 3, 6, 2, 300, model_type="helium", head_dim=12, tied=True), F32,
                 note="F32, GQA 6/2, head_dim 12 (H*hd=72 != hidden 44), rope_style absent + helium -> "
                      "interleaved, tied embeddings, 3 layers")
    text_fixture("text-bf16-gqa-bias", 13,
                 text_config(36, 100, 2, 6, 2, 300, rope_style="interleaved", attention_bias=True,
                             mlp_bias=True), [("", "BF16")], o_bias=True,
                 note="BF16, GQA 6/2, attention_bias + mlp_bias, o_proj bias present (Llama-style)")
    text_fixture("text-f16-half-qkvbias", 14,
                 text_config(44, 100, 2, 4, 2, 300, rope_style="half", head_dim=10, tied=True,
                             attention_bias=True), [("", "F16")], o_bias=False,
                 note="F16, GQA 4/2, head_dim 10, rope half, q/k/v biases but no o_proj bias (Helium-style), "
                      "tied")
    text_fixture("text-f32-sharded", 15,
                 text_config(36, 100, 3, 3, 1, 300, rope_style="interleaved", head_dim=12,
                             act="gelu_pytorch_tanh"), F32, shards=2,
                 note="F32, 2 shards + index, MQA 3/1 heads hd 12, hidden_act gelu_pytorch_tanh, 3 layers")

    # --- vision towers (complete tiny VLMs; cases also have logits) ---
    def vision_fixture(name, seed, vc, feature_layer, pp, dtypes, head=False, jpeg=False, note=""):
        out.append({"name": name, "seed": seed, "vision": vc, "feature_layer": feature_layer, "pp": pp,
                    "text": text_config(24, 48, 1, 4, 2, 288, rope_style="interleaved"),
                    "dtypes": dtypes, "shards": 1, "o_bias": False, "head": head, "fusion": "casa",
                    "casa": {"layers": "all", "share_projections": False, "image_rope": "window_start"},
                    "cases": vision_cases(seed, jpeg), "note": note})

    vision_fixture("vision-f32-p8-s32-head", 21, vision_config(36, 72, 2, 3, 32, 8), None,
                   preprocessor(32, 3), F32, head=True, jpeg=True,
                   note="F32, patch 8, image 32 -> N=16, D=36, no vision_feature_layer (post_layernorm), "
                        "bicubic, mean/std 0.5, head.* tensors present (ignored), JPEG case")
    vision_fixture("vision-bf16-p16-s48-layer-2", 22, vision_config(20, 40, 3, 2, 48, 16), -2,
                   preprocessor(48, 2, imagenet=True), [("", "BF16")],
                   note="BF16, patch 16, image 48 -> N=9, D=20, vision_feature_layer -2, bilinear, ImageNet "
                        "mean/std")
    vision_fixture("vision-f32-p16-s32-layer1", 23, vision_config(20, 44, 3, 4, 32, 16), 1,
                   preprocessor(32, 3), F32,
                   note="F32, patch 16, image 32 -> N=4, D=20 (4 heads hd 5), vision_feature_layer 1 "
                        "(positive: output of the first layer), bicubic")

    # --- CASA and insertion VLMs ---
    def vlm_fixture(name, seed, fusion, tc, vc, feature_layer, casa, dtypes, o_bias=False, note=""):
        f = {"name": name, "seed": seed, "vision": vc, "feature_layer": feature_layer,
             "pp": preprocessor(vc["image_size"], 3), "text": tc, "dtypes": dtypes, "shards": 1,
             "o_bias": o_bias, "head": False, "fusion": fusion, "casa": casa, "cases": vlm_cases(seed),
             "note": note}
        out.append(f)

    vlm_fixture("casa-f32-all", 31, "casa",
                text_config(36, 72, 2, 6, 2, 288, rope_style="interleaved"),
                vision_config(20, 40, 1, 2, 32, 8), -1,
                {"layers": "all", "share_projections": False, "image_rope": "window_start"}, F32,
                note="F32, CASA in all layers, own casa_* projections, image_rope window_start, rope "
                     "interleaved, GQA 6/2, N=16, vision_feature_layer -1")
    vlm_fixture("casa-mixed-share-half", 32, "casa",
                text_config(36, 72, 3, 6, 3, 288, rope_style="half"),
                vision_config(20, 40, 2, 2, 32, 16), None,
                {"layers": [0, 2], "share_projections": True, "image_rope": "window_start"},
                [("language_model.", "BF16"), ("multi_modal_projector.", "F16"), ("", "F32")],
                note="BF16 decoder + F16 projector + F32 vision; CASA layers [0, 2] of 3, "
                     "share_projections true, rope half, GQA 6/3, N=4")
    vlm_fixture("casa-f32-list-norope-bias", 33, "casa",
                text_config(28, 60, 3, 4, 4, 288, rope_style="half", head_dim=8, attention_bias=True),
                vision_config(20, 40, 1, 2, 32, 16), None,
                {"layers": [1], "share_projections": False, "image_rope": "none"}, F32, o_bias=True,
                note="F32, CASA only in layer 1 of 3, own projections, image_rope none, rope half, MHA 4 heads "
                     "head_dim 8 (hidden 28), attention_bias with o_proj bias (image keys/values get biases too)")
    vlm_fixture("insert-f32-interleaved", 41, "insertion",
                text_config(36, 72, 2, 6, 2, 288, rope_style="interleaved"),
                vision_config(20, 40, 1, 2, 32, 16), None, None, F32,
                note="F32 insertion baseline (image embeddings spliced, N=4 positions each), rope interleaved")
    vlm_fixture("insert-bf16-half", 42, "insertion",
                text_config(36, 72, 2, 4, 2, 288, rope_style="half", head_dim=8),
                vision_config(20, 40, 2, 2, 32, 8), -2, None, [("", "BF16")],
                note="BF16 insertion baseline, N=16 positions per image, rope half, head_dim 8, "
                     "vision_feature_layer -2")
    return out


# ----------------------------------------------------------------------------------------
# building one fixture
# ----------------------------------------------------------------------------------------

def build_fixture(spec, log):
    model_dir = os.path.join(ROOT, spec["name"])
    if os.path.exists(model_dir):
        shutil.rmtree(model_dir)
    os.makedirs(model_dir)
    tc = spec["text"]
    config = {"model_type": "casa", "fusion": spec["fusion"]}
    vision = spec.get("vision")
    if vision is not None:
        config["vision_config"] = vision
        if spec.get("feature_layer") is not None:
            config["vision_feature_layer"] = spec["feature_layer"]
        config["projector_hidden_act"] = "gelu"
    config["text_config"] = tc
    casa_layers, share = set(), False
    if spec["fusion"] == "casa":
        config["casa_config"] = spec["casa"]
        layers = spec["casa"]["layers"]
        casa_layers = set(range(tc["num_hidden_layers"])) if layers == "all" else set(layers)
        share = spec["casa"]["share_projections"]
    else:
        config["image_token_id"] = IMAGE
    if vision is not None:
        config["pre_image_tokens"] = [BOI]
        config["post_image_tokens"] = [EOI]

    w = WeightMaker(spec["seed"], spec["dtypes"])
    if vision is not None:
        make_vision_weights(w, vision, spec.get("head", False))
        make_projector_weights(w, vision["hidden_size"], tc["hidden_size"])
    make_text_weights(w, tc, casa_layers, share, spec["o_bias"])
    # With a vision_feature_layer, the layers after it and post_layernorm stay in the file
    # (as in a real checkpoint) and are simply unused.

    write_json(os.path.join(model_dir, "config.json"), config)
    write_weights(model_dir, w.tensors, spec["shards"])
    write_json(os.path.join(model_dir, "tokenizer.json"), tokenizer_json())
    write_json(os.path.join(model_dir, "generation_config.json"),
               {"bos_token_id": BOS, "eos_token_id": EOS, "pad_token_id": PAD})
    if vision is not None:
        write_json(os.path.join(model_dir, "preprocessor_config.json"), spec["pp"])

    # Load back from disk: the reference computes from the stored (rounded) weights.
    model = ref.Model(model_dir)
    model.check_unused()
    size = sum(os.path.getsize(os.path.join(model_dir, f)) for f in os.listdir(model_dir)
               if f.endswith(".safetensors"))
    log.append(f"{spec['name']}: weights {size / 1024:.0f} KiB ({spec['note']})")
    for case in spec["cases"]:
        build_case(model, model_dir, case, log)


def check_image_influence(model, case, result):
    """Sanity of the fixture itself: rows before the first image are those of the same tokens
    without images (causality), and rows after an image really depend on it (not degenerate)."""
    if not case["images"]:
        return None
    plain, _ = model.prefill(case["tokens"], [])
    first = case["images"][0][1]
    before = result["logits"][:first]
    ref.check_close(plain[:first], before, "rows before the first image vs no images")
    after = (result["logits"][first:] - plain[first:]).abs()
    if first < len(case["tokens"]) and float(after.max()) < 0.1:
        raise AssertionError(f"{case['name']}: images barely change the logits ({float(after.max()):.2e})")
    return float(after.max()) if after.numel() else 0.0


def build_case(model, model_dir, case, log):
    case_dir = os.path.join(model_dir, "cases", case["name"])
    os.makedirs(case_dir)
    request = {"tokens": case["tokens"],
               "images": [{"path": f"../../../images/{file}", "insert_at": at} for file, at in case["images"]]}
    write_json(os.path.join(case_dir, "request.json"), request, compact=True)
    result = ref.run_request(model, request, case_dir, case["greedy"])

    # Cut the continuation before any near-tie (float32 implementations could pick either).
    generated = result["generated"]
    margins = []
    for logits in result["step_logits"]:
        top2 = torch.topk(logits, 2).values
        margins.append(float(top2[0] - top2[1]) / max(1.0, float(logits.abs().max())))
    keep = next((k for k, m in enumerate(margins) if m < MIN_GREEDY_MARGIN), len(generated))
    generated = generated[:keep]

    influence = check_image_influence(model, case, result)

    write_npy(os.path.join(case_dir, "logits.npy"), result["logits"].numpy())
    if result["pixels"]:
        write_npy(os.path.join(case_dir, "pixels.npy"), np.stack(result["pixels"]))
        write_npy(os.path.join(case_dir, "vision_features.npy"), torch.stack(result["features"]).numpy())
        write_npy(os.path.join(case_dir, "image_embeddings.npy"), torch.stack(result["embeddings"]).numpy())
    write_json(os.path.join(case_dir, "greedy.json"), {"max_new_tokens": len(generated), "generated": generated},
               compact=True)
    logits = result["logits"]
    log.append(f"  {case['name']}: T={len(case['tokens'])} images={len(case['images'])} "
               f"logits std {float(logits.std()):.2f} max|.| {float(logits.abs().max()):.2f} "
               f"prefill-vs-decode {result['prefill_vs_decode']:.1e} "
               + ("" if influence is None else f"image influence {influence:.2f} ")
               + f"greedy {generated}"
               + ("" if keep == case["greedy"] else f" (cut at {keep}: margin {margins[keep]:.1e})")
               + f" min margin {min(margins[:keep] or [float('nan')]):.1e}")


PREPROCESS_CONFIGS = {
    "bicubic-32-siglip": preprocessor(32, 3),
    "bilinear-48-imagenet": preprocessor(48, 2, imagenet=True),
    # non-square target, rescale only (do_normalize false): height 24, width 56
    "bicubic-24x56-rescale-only": dict(preprocessor(24, 3), size={"height": 24, "width": 56}, do_normalize=False),
}


def build_preprocess_fixtures(log):
    """models/fixtures/preprocess/<config>/: preprocessor_config.json and, for every test
    image, <image file>.npy = float32 [C, H, W] after §5 (what `casa preprocess` writes)."""
    root = os.path.join(ROOT, "preprocess")
    if os.path.exists(root):
        shutil.rmtree(root)
    for name, pp in PREPROCESS_CONFIGS.items():
        out = os.path.join(root, name)
        os.makedirs(out)
        write_json(os.path.join(out, "preprocessor_config.json"), pp)
        for image in sorted(os.listdir(IMAGES)):
            write_npy(os.path.join(out, image + ".npy"), ref.preprocess_image(os.path.join(IMAGES, image), pp))
        log.append(f"preprocess/{name}: {len(os.listdir(out)) - 1} images")


def check_float32(specs):
    """Re-run every committed case with the reference in float32 and report the largest
    logits error relative to max(1, max|logit|): what a float32 implementation may expect."""
    ref.F64 = torch.float32
    worst = 0.0
    for spec in specs:
        model_dir = os.path.join(ROOT, spec["name"])
        model = ref.Model(model_dir)
        for case in spec["cases"]:
            case_dir = os.path.join(model_dir, "cases", case["name"])
            with open(os.path.join(case_dir, "request.json")) as f:
                request = json.load(f)
            expected = np.load(os.path.join(case_dir, "logits.npy"))
            with open(os.path.join(case_dir, "greedy.json")) as f:
                greedy = json.load(f)
            images = []
            if request["images"]:
                paths = [os.path.join(case_dir, im["path"]) for im in request["images"]]
                _, _, emb = model.image_embeddings(paths)
                images = list(zip([im["insert_at"] for im in request["images"]], emb))
            logits, _ = model.prefill(request["tokens"], images)
            session = ref.decode_request(model, request["tokens"], images)[1]
            generated, _ = ref.greedy(session, greedy["max_new_tokens"])
            err = float(np.abs(logits.numpy() - expected).max()) / max(1.0, float(np.abs(expected).max()))
            worst = max(worst, err)
            same = "same greedy" if generated == greedy["generated"] else f"GREEDY DIFFERS {generated}"
            print(f"{spec['name']}/{case['name']}: float32 rel err {err:.1e}, {same}")
    print(f"worst float32 relative logits error {worst:.1e}")


def main(argv):
    torch.set_num_threads(1)
    if argv[1:] == ["--check-float32"]:
        check_float32(fixtures())
        return
    specs = fixtures()
    wanted = argv[1:] or [s["name"] for s in specs]
    unknown = set(wanted) - {s["name"] for s in specs}
    if unknown:
        raise SystemExit(f"unknown fixtures: {sorted(unknown)}")
    make_images()
    log = []
    if not argv[1:]:
        build_preprocess_fixtures(log)
    for spec in specs:
        if spec["name"] in wanted:
            build_fixture(spec, log)
            print("\n".join(log))
            log.clear()


if __name__ == "__main__":
    main(sys.argv)
