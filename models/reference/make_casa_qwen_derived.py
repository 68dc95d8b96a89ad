#!/usr/bin/env python3
"""Derived CASA-over-Qwen cases, computed with the independent float64 reference (casa_reference.py).

casa-qwen.md's reduction checks and the CASA-Helium1-VL shape need oracles that the shared casa-qwen cases do
not carry. Both cases here reuse public weights and Hugging Face's own image features, and run the
model-format.md CASA computation of casa_reference.py (written from the spec, independent of the Java code):

* window_start/: the casa_qwen_two_windows model and request with casa_config.image_rope = "window_start".
  Image keys then sit at (s, s, s), i.e. plain 1-D RoPE at the window start, which is exactly model-format's
  CASA layer with half RoPE (casa-qwen.md §4.3): logits.npy is casa_reference's prefill.
* casa_helium/: a complete model directory composed from parts: the Qwen2.5-VL tower (visual.* of the
  casa-qwen fixture), the Helium decoder of hf/helium_text (renamed to language_model.*, interleaved 1-D
  RoPE), new random F32 CASA layers, image_rope window_start: the CASA-Helium1-VL-2B shape. The request has
  the two casa_qwen_two_windows images; logits.npy is casa_reference's prefill given HF's features of those
  images (hf/qwen25vl_two_images/image_embeds.npy: the same tower weights).

Run from the repository root: /usr/bin/python3 models/reference/make_casa_qwen_derived.py
Seeded and deterministic (byte-identical on re-run).
"""

import json
import os
import shutil
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import casa_reference as ref  # noqa: E402
from make_fixtures import write_json, write_npy, write_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
FIX = os.path.join(ROOT, "models", "fixtures")
CASE = os.path.join(FIX, "casa-qwen", "casa_qwen_two_windows")
HF = os.path.join(FIX, "hf", "qwen25vl_two_images")
HELIUM = os.path.join(FIX, "hf", "helium_text", "model")
OUT = os.path.join(FIX, "casa-qwen-derived")


def image_embeddings():
    """HF's features of the two images, split per image (merged grids 4x7 and 11x2)."""
    e = torch.from_numpy(np.load(os.path.join(HF, "image_embeds.npy")).astype(np.float64))
    case = json.load(open(os.path.join(CASE, "case.json")))
    out, start = [], 0
    for img in case["images"]:
        n = img["merged_grid"][0] * img["merged_grid"][1]
        out.append(e[start:start + n])
        start += n
    assert start == e.shape[0]
    return out


def run_reference(config, tensors, request, embeddings):
    """casa_reference prefill on a text-only model directory (images given as embeddings)."""
    tmp = tempfile.mkdtemp()
    try:
        cfg = {k: v for k, v in config.items() if k != "vision_config"}
        write_json(os.path.join(tmp, "config.json"), cfg)
        write_safetensors(os.path.join(tmp, "model.safetensors"),
                          [(n, a, d) for n, a, d in tensors if not n.startswith("visual.")])
        model = ref.Model(tmp)
        images = [(img["insert_at"], emb) for img, emb in zip(request["images"], embeddings)]
        logits, _ = model.prefill(request["tokens"], images)
        return logits
    finally:
        shutil.rmtree(tmp)


def read(path):
    return {n: (t.numpy(), d) for n, (t, d) in ref.read_safetensors(path).items()}


def main():
    embeddings = image_embeddings()
    request = json.load(open(os.path.join(CASE, "request.json")))
    config = json.load(open(os.path.join(CASE, "model", "config.json")))
    weights = read(os.path.join(CASE, "model", "model.safetensors"))
    tensors = [(n, a, d) for n, (a, d) in sorted(weights.items())]

    # window_start: M-RoPE with equal axes is 1-D RoPE; the reference's text config has no M-RoPE.
    os.makedirs(os.path.join(OUT, "window_start"), exist_ok=True)
    ws = json.loads(json.dumps(config))
    ws["casa_config"]["image_rope"] = "window_start"
    ws["text_config"].pop("rope_scaling")
    logits = run_reference(ws, tensors, request, embeddings)
    write_npy(os.path.join(OUT, "window_start", "logits.npy"), logits)

    # casa_helium: Qwen tower + Helium decoder + new CASA layers.
    helium_dir = os.path.join(OUT, "casa_helium")
    model_dir = os.path.join(helium_dir, "model")
    os.makedirs(model_dir, exist_ok=True)
    helium_cfg = json.load(open(os.path.join(HELIUM, "config.json")))
    text_keys = ["model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                 "num_attention_heads", "num_key_value_heads", "head_dim", "hidden_act", "rms_norm_eps",
                 "rope_theta", "max_position_embeddings", "tie_word_embeddings", "attention_bias", "mlp_bias"]
    text = {k: helium_cfg[k] for k in text_keys if k in helium_cfg}
    hc = {"model_type": "casa", "fusion": "casa", "vision_config": config["vision_config"], "text_config": text,
          "casa_config": {"layers": "all", "share_projections": False, "image_rope": "window_start"},
          "pre_image_tokens": config["pre_image_tokens"], "post_image_tokens": config["post_image_tokens"]}
    parts = [(n, a, d) for n, a, d in tensors if n.startswith("visual.")]
    for name, (array, dtype) in sorted(read(os.path.join(HELIUM, "model.safetensors")).items()):
        parts.append(("language_model." + name, array, dtype))
    rng = np.random.default_rng(1507)
    d, heads, kv, hd = text["hidden_size"], text["num_attention_heads"], text["num_key_value_heads"], text["head_dim"]
    for layer in range(text["num_hidden_layers"]):
        p = f"language_model.model.layers.{layer}."
        parts.append((p + "casa_layernorm.weight", (1 + 0.1 * rng.standard_normal(d)).astype(np.float32), "F32"))
        for proj, out, inp in [("q_proj", heads * hd, d), ("k_proj", kv * hd, d), ("v_proj", kv * hd, d), ("o_proj", d, heads * hd)]:
            w = (rng.standard_normal((out, inp)) / np.sqrt(inp)).astype(np.float32)
            parts.append((p + "casa_attn." + proj + ".weight", w, "F32"))
    write_json(os.path.join(model_dir, "config.json"), hc)
    write_safetensors(os.path.join(model_dir, "model.safetensors"), parts)
    for f in ["preprocessor_config.json", "tokenizer.json", "tokenizer_config.json"]:
        shutil.copy(os.path.join(CASE, "model", f), os.path.join(model_dir, f))
    for img in request["images"]:
        shutil.copy(os.path.join(CASE, img["path"]), os.path.join(helium_dir, img["path"]))
    write_json(os.path.join(helium_dir, "request.json"), request)
    logits = run_reference(hc, parts, request, embeddings)
    write_npy(os.path.join(helium_dir, "logits.npy"), logits)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
