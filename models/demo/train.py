#!/usr/bin/env python3
"""Trains the bundled demo CASA model on the synthetic shapes data (shapes.py), on CPU.

The trainable module computes exactly /work/shared/spec/model-format.md §4 (SigLIP tower with
post_layernorm features, gelu projector, Helium decoder with interleaved RoPE and a CASA layer
in every decoder layer, image keys rotated at the window start), in float32, batched with
explicit masks. Its parameter names are the spec's tensor names (§3), so the export is the
state dict. The prompt builder below is the one the Java library implements:

  1. render tokenizer_config.json's chat_template with Jinja2 (trim_blocks, lstrip_blocks,
     bos_token "<s>", eos_token "</s>", add_generation_prompt=True);
  2. split the rendered text at each "<image>";
  3. encode every piece with the tokenizer, no special tokens added ("<s>"/"</s>" in the text
     are matched as added special tokens);
  4. join the pieces with pre_image_tokens [<boi>], the image insertion point P (= number of
     text tokens so far), post_image_tokens [<eoi>].
The answer the model learns (and generates) is the token sequence that follows "Assistant:"
when the conversation is rendered with the assistant's turn: " red" then "</s>".

Usage:
  /usr/bin/python3 models/demo/train.py --out models/demo/model [--minutes 25] [--steps N]
  /usr/bin/python3 models/demo/train.py --eval models/demo/model [--eval-count 500]
"""

import argparse
import json
import math
import os
import struct
import subprocess
import sys
import time

import jinja2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import shapes  # noqa: E402

CHAT_TEMPLATE = ("{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}"
                 "User: {{ m['content'] }}\nAssistant:{% else %} {{ m['content'] }}{{ eos_token }}\n"
                 "{% endif %}{% endfor %}")
BOS, EOS, PAD = "<s>", "</s>", "<pad>"
IMAGE = "<image>"

VISION_CONFIG = {"hidden_size": 96, "intermediate_size": 384, "num_hidden_layers": 2,
                 "num_attention_heads": 3, "num_channels": 3, "image_size": 48, "patch_size": 16,
                 "hidden_act": "gelu_pytorch_tanh", "layer_norm_eps": 1e-6}
TEXT_CONFIG = {"model_type": "helium", "vocab_size": 448, "hidden_size": 128,
               "intermediate_size": 384, "num_hidden_layers": 3, "num_attention_heads": 4,
               "num_key_value_heads": 4, "head_dim": 32, "hidden_act": "silu", "rms_norm_eps": 1e-6,
               "rope_theta": 10000.0, "rope_style": "interleaved", "max_position_embeddings": 1024,
               "tie_word_embeddings": True, "attention_bias": False, "mlp_bias": False}
PREPROCESSOR = {"image_processor_type": "SiglipImageProcessor", "do_resize": True,
                "size": {"height": 48, "width": 48}, "resample": 3, "do_rescale": True,
                "rescale_factor": 1 / 255, "do_normalize": True, "image_mean": [0.5, 0.5, 0.5],
                "image_std": [0.5, 0.5, 0.5], "do_convert_rgb": True}


# ----------------------------------------------------------------------------------------
# Tokenizer (HF tokenizers through node) and the prompt builder
# ----------------------------------------------------------------------------------------

class Tokenizer:
    """Exact HF `tokenizers` ids via tokenizer/encode_server.js, cached per text."""

    def __init__(self, tokenizer_json):
        self.proc = subprocess.Popen(["node", os.path.join(HERE, "tokenizer", "encode_server.js"),
                                      tokenizer_json], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.cache = {}
        with open(tokenizer_json) as f:
            spec = json.load(f)
        self.vocab = dict(spec["model"]["vocab"])
        for t in spec["added_tokens"]:
            self.vocab[t["content"]] = t["id"]
        self.id_to_token = {i: t for t, i in self.vocab.items()}

    def encode(self, text):
        if text not in self.cache:
            self.proc.stdin.write(json.dumps(text) + "\n")
            self.proc.stdin.flush()
            self.cache[text] = json.loads(self.proc.stdout.readline())
        return list(self.cache[text])

    def token_id(self, token):
        return self.vocab[token]

    def decode(self, ids):
        """Byte-level decode (GPT-2 byte symbols back to bytes); special tokens kept as text."""
        byte_of = _byte_decoder()
        out = bytearray()
        for i in ids:
            tok = self.id_to_token[i]
            if tok.startswith("<") and tok.endswith(">") and len(tok) > 1:
                out += tok.encode()
            else:
                out += bytes(byte_of[c] for c in tok)
        return out.decode("utf-8", errors="replace")

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def _byte_decoder():
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[chr(b)] = b
        else:
            table[chr(256 + extra)] = b
            extra += 1
    return table


_JINJA = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)   # HF apply_chat_template settings
_TEMPLATE = _JINJA.from_string(CHAT_TEMPLATE)


def render(messages):
    return _TEMPLATE.render(messages=messages, bos_token=BOS, eos_token=EOS, add_generation_prompt=True)


def build_prompt(messages, tok):
    """Token ids and image insertion points, exactly as the Java library builds them."""
    pre, post = [tok.token_id("<boi>")], [tok.token_id("<eoi>")]
    ids, points = [], []
    for n, piece in enumerate(render(messages).split(IMAGE)):
        if n > 0:
            ids += pre
            points.append(len(ids))
            ids += post
        ids += tok.encode(piece)
    return ids, points


def build_training_example(turns, tok):
    """turns: [(question, answer)] each with a new image. Returns (ids, points, loss_mask)
    where loss_mask[j] says token j is an answer token or the eos ending it."""
    messages = []
    for q, a in turns:
        messages += [{"role": "user", "content": IMAGE + q}, {"role": "assistant", "content": a}]
    ids, points = build_prompt(messages, tok)
    eos = tok.token_id(EOS)
    mask = [False] * len(ids)
    for k in range(len(turns)):
        prompt, _ = build_prompt(messages[:2 * k + 1], tok)
        assert ids[:len(prompt)] == prompt, "prompt is not a prefix of the rendered conversation"
        j = len(prompt)
        while True:
            mask[j] = True
            if ids[j] == eos:
                break
            j += 1
    return ids, points, mask


# ----------------------------------------------------------------------------------------
# Images: spec §5 preprocessing of the 48x48 PNGs (Pillow resize to the same size is a copy)
# ----------------------------------------------------------------------------------------

def preprocess(image):
    image = image.convert("RGB").resize((PREPROCESSOR["size"]["width"], PREPROCESSOR["size"]["height"]),
                                        resample=PREPROCESSOR["resample"])
    pixels = (np.asarray(image).astype(np.float64) * (1 / 255)).astype(np.float32)
    pixels = (pixels - np.float32(0.5)) / np.float32(0.5)
    return pixels.transpose(2, 0, 1)


# ----------------------------------------------------------------------------------------
# The model (spec §4), float32, batched
# ----------------------------------------------------------------------------------------

class Module(nn.Module):
    """A named container (the attribute path is the tensor name)."""


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt((x * x).mean(-1, keepdim=True) + self.eps))


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def attention(q, k, v, allowed, heads, kv_heads, hd):
    """q [B, Tq, H*hd], k/v [B, Tk, KV*hd], allowed [B or 1, Tq, Tk] bool or None."""
    b, tq, tk = q.shape[0], q.shape[1], k.shape[1]
    qh = q.view(b, tq, heads, hd).transpose(1, 2)
    kh = k.view(b, tk, kv_heads, hd).transpose(1, 2).repeat_interleave(heads // kv_heads, dim=1)
    vh = v.view(b, tk, kv_heads, hd).transpose(1, 2).repeat_interleave(heads // kv_heads, dim=1)
    scores = qh @ kh.transpose(-1, -2) / math.sqrt(hd)
    if allowed is not None:
        scores = scores.masked_fill(~allowed[:, None], float("-inf"))
    return (torch.softmax(scores, dim=-1) @ vh).transpose(1, 2).reshape(b, tq, heads * hd)


class Rope:
    """HF Helium interleaved RoPE: pairs (2k, 2k+1) rotated by pos * theta^(-2k/hd)."""

    def __init__(self, hd, theta):
        self.hd = hd
        self.inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))

    def __call__(self, x, positions, heads):
        """x [B, L, heads*hd]; positions [B, L] or [L]."""
        b, length = x.shape[0], x.shape[1]
        ang = positions.float()[..., None] * self.inv_freq                     # [.., L, hd/2]
        cos = ang.cos().repeat_interleave(2, dim=-1)
        sin = ang.sin().repeat_interleave(2, dim=-1)
        if cos.dim() == 2:
            cos, sin = cos[None], sin[None]
        xh = x.view(b, length, heads, self.hd)
        rot = torch.stack([-xh[..., 1::2], xh[..., 0::2]], dim=-1).flatten(-2)
        return (xh * cos[:, :, None] + rot * sin[:, :, None]).reshape(b, length, heads * self.hd)


def sincos_2d(grid, dim):
    """[grid*grid, dim]: sin/cos of the row in the first half, of the column in the second."""
    quarter = dim // 4
    freq = 1.0 / (100.0 ** (torch.arange(quarter, dtype=torch.float32) / quarter))
    coords = torch.arange(grid, dtype=torch.float32)
    rows = coords.repeat_interleave(grid)[:, None] * freq
    cols = coords.repeat(grid)[:, None] * freq
    return torch.cat([rows.sin(), rows.cos(), cols.sin(), cols.cos()], dim=1)


def _attn_module(d, heads, kv_heads, hd, names, bias):
    m = Module()
    outs = {names[0]: heads * hd, names[1]: kv_heads * hd, names[2]: kv_heads * hd}
    for name, out in outs.items():
        setattr(m, name, nn.Linear(d, out, bias=bias))
    setattr(m, names[3], nn.Linear(heads * hd, d, bias=bias))
    return m


class DemoCasa(nn.Module):
    def __init__(self, vc=VISION_CONFIG, tc=TEXT_CONFIG):
        super().__init__()
        self.vc, self.tc = vc, tc
        D, I, p, S = vc["hidden_size"], vc["intermediate_size"], vc["patch_size"], vc["image_size"]
        self.vision_tower = Module()
        vm = self.vision_tower.vision_model = Module()
        vm.embeddings = Module()
        vm.embeddings.patch_embedding = nn.Conv2d(3, D, p, stride=p)
        vm.embeddings.position_embedding = nn.Embedding((S // p) ** 2, D)
        vm.encoder = Module()
        vm.encoder.layers = nn.ModuleList()
        for _ in range(vc["num_hidden_layers"]):
            layer = Module()
            layer.layer_norm1 = nn.LayerNorm(D, eps=vc["layer_norm_eps"])
            layer.self_attn = _attn_module(D, vc["num_attention_heads"], vc["num_attention_heads"],
                                           D // vc["num_attention_heads"],
                                           ("q_proj", "k_proj", "v_proj", "out_proj"), True)
            layer.layer_norm2 = nn.LayerNorm(D, eps=vc["layer_norm_eps"])
            layer.mlp = Module()
            layer.mlp.fc1 = nn.Linear(D, I)
            layer.mlp.fc2 = nn.Linear(I, D)
            vm.encoder.layers.append(layer)
        vm.post_layernorm = nn.LayerNorm(D, eps=vc["layer_norm_eps"])

        d, ti, V = tc["hidden_size"], tc["intermediate_size"], tc["vocab_size"]
        H, KV, hd, eps = tc["num_attention_heads"], tc["num_key_value_heads"], tc["head_dim"], tc["rms_norm_eps"]
        self.multi_modal_projector = Module()
        self.multi_modal_projector.linear_1 = nn.Linear(D, d)
        self.multi_modal_projector.linear_2 = nn.Linear(d, d)
        self.language_model = Module()
        lm = self.language_model.model = Module()
        lm.embed_tokens = nn.Embedding(V, d)
        lm.layers = nn.ModuleList()
        qkvo = ("q_proj", "k_proj", "v_proj", "o_proj")
        for _ in range(tc["num_hidden_layers"]):
            layer = Module()
            layer.input_layernorm = RMSNorm(d, eps)
            layer.self_attn = _attn_module(d, H, KV, hd, qkvo, False)
            layer.post_attention_layernorm = RMSNorm(d, eps)
            layer.mlp = Module()
            layer.mlp.gate_proj = nn.Linear(d, ti, bias=False)
            layer.mlp.up_proj = nn.Linear(d, ti, bias=False)
            layer.mlp.down_proj = nn.Linear(ti, d, bias=False)
            layer.casa_layernorm = RMSNorm(d, eps)
            layer.casa_attn = _attn_module(d, H, KV, hd, qkvo, False)
            lm.layers.append(layer)
        lm.norm = RMSNorm(d, eps)
        self.rope = Rope(hd, tc["rope_theta"])
        self._init()

    def _init(self):
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif "norm" in name:
                nn.init.ones_(p)
            elif p.dim() >= 2:
                nn.init.normal_(p, std=0.02)
        # Patch embedding: PyTorch's default conv init; positions: a 2D sin/cos grid, so the
        # tower knows where each patch is from the first step (both are trained further).
        vm = self.vision_tower.vision_model
        vm.embeddings.patch_embedding.reset_parameters()
        with torch.no_grad():
            vm.embeddings.position_embedding.weight.copy_(sincos_2d(
                self.vc["image_size"] // self.vc["patch_size"], self.vc["hidden_size"]))
        # Residual out-projections smaller (GPT-2 style), except the image path: the image
        # reaches the text only through casa_v -> casa_o, and two tiny factors in a row made
        # the model ignore the image for thousands of steps.
        n = self.tc["num_hidden_layers"]
        for layer in self.language_model.model.layers:
            for w in (layer.self_attn.o_proj.weight, layer.mlp.down_proj.weight):
                nn.init.normal_(w, std=0.02 / math.sqrt(2 * n))
            nn.init.normal_(layer.casa_attn.o_proj.weight, std=0.05)
            nn.init.normal_(layer.casa_attn.v_proj.weight, std=0.09)
        self.multi_modal_projector.linear_1.reset_parameters()
        self.multi_modal_projector.linear_2.reset_parameters()

    # -- §4.1 vision tower + projector ---------------------------------------------------

    def image_embeddings(self, pixels):
        """pixels [n, 3, S, S] -> e [n, N, d]."""
        vc = self.vc
        vm = self.vision_tower.vision_model
        h = vm.embeddings.patch_embedding(pixels).flatten(2).transpose(1, 2) + vm.embeddings.position_embedding.weight
        heads = vc["num_attention_heads"]
        for layer in vm.encoder.layers:
            x = layer.layer_norm1(h)
            a = layer.self_attn
            h = h + a.out_proj(attention(a.q_proj(x), a.k_proj(x), a.v_proj(x), None, heads, heads,
                                         vc["hidden_size"] // heads))
            h = h + layer.mlp.fc2(gelu_tanh(layer.mlp.fc1(layer.layer_norm2(h))))
        v = vm.post_layernorm(h)
        pj = self.multi_modal_projector
        return pj.linear_2(F.gelu(pj.linear_1(v)))                             # exact erf gelu

    # -- §4.2-4.3 decoder with CASA --------------------------------------------------------

    def forward(self, tokens, e, img_points):
        """tokens [B, T] (right-padded); e [B, M, N, d] image embeddings per sample (in order);
        img_points [B, M] insertion points (-1 = no image in this slot; distinct points).
        Returns logits [B, T, V]."""
        tc = self.tc
        H, KV, hd = tc["num_attention_heads"], tc["num_key_value_heads"], tc["head_dim"]
        B, T = tokens.shape
        M, N = e.shape[1], e.shape[2]
        lm = self.language_model.model
        h = lm.embed_tokens(tokens)
        pos = torch.arange(T)
        valid = img_points >= 0                                                # [B, M]
        # Window of text token j: index of the last image with P <= j (-1 before the first).
        window = ((img_points[:, None, :] <= pos[None, :, None]) & valid[:, None, :]).sum(-1) - 1   # [B, T]
        img_group = torch.where(valid, torch.arange(M)[None], torch.full_like(img_points, -7))
        img_group = img_group[:, :, None].expand(B, M, N).reshape(B, M * N)
        img_pos = img_points.clamp(min=0)[:, :, None].expand(B, M, N).reshape(B, M * N)
        causal = pos[:, None] >= pos[None, :]
        same_window = causal[None] & (window[:, :, None] == window[:, None, :])
        casa_allowed = torch.cat([window[:, :, None] == img_group[:, None, :], same_window], dim=2)
        e = e.reshape(B, M * N, -1)
        for layer in lm.layers:
            x = layer.input_layernorm(h)
            a = layer.self_attn
            q = self.rope(a.q_proj(x), pos, H)
            k = self.rope(a.k_proj(x), pos, KV)
            sa = a.o_proj(attention(q, k, a.v_proj(x), causal[None], H, KV, hd))
            c = layer.casa_layernorm(h)
            u = layer.casa_layernorm(e)
            ca_ = layer.casa_attn
            cq = self.rope(ca_.q_proj(c), pos, H)
            ck = self.rope(ca_.k_proj(c), pos, KV)
            ik = self.rope(ca_.k_proj(u), img_pos, KV)                         # image_rope window_start
            keys = torch.cat([ik, ck], dim=1)
            values = torch.cat([ca_.v_proj(u), ca_.v_proj(c)], dim=1)
            ca = ca_.o_proj(attention(cq, keys, values, casa_allowed, H, KV, hd))
            h = h + sa + ca
            y = layer.post_attention_layernorm(h)
            h = h + layer.mlp.down_proj(F.silu(layer.mlp.gate_proj(y)) * layer.mlp.up_proj(y))
        return lm.norm(h) @ lm.embed_tokens.weight.T                           # tied lm_head


class CellProbe(nn.Module):
    """Training-only auxiliary heads (never exported): from each image embedding e_j (one
    16-pixel patch = one grid cell) predict the cell's shape (none/circle/square/triangle),
    colour (none + 6) and the cell index. It makes the tower's output say what is where early,
    so the decoder's CASA attention has something to bind the question to."""

    def __init__(self, d):
        super().__init__()
        self.shape = nn.Linear(d, 1 + len(shapes.SHAPES))
        self.colour = nn.Linear(d, 1 + len(shapes.COLOURS))
        self.cell = nn.Linear(d, 9)

    def loss(self, e, labels):
        """e [n, 9, d]; labels [n, 9, 2] (shape id, colour id; 0 = empty cell)."""
        cells = torch.arange(9).expand(e.shape[0], 9)
        return (F.cross_entropy(self.shape(e).flatten(0, 1), labels[..., 0].flatten())
                + F.cross_entropy(self.colour(e).flatten(0, 1), labels[..., 1].flatten())
                + F.cross_entropy(self.cell(e).flatten(0, 1), cells.flatten()))


def cell_labels(scene):
    labels = torch.zeros(9, 2, dtype=torch.long)
    for s in scene["shapes"]:
        cell = 3 * s["row"] + s["col"]
        labels[cell, 0] = 1 + shapes.SHAPES.index(s["shape"])
        labels[cell, 1] = 1 + list(shapes.COLOURS).index(s["colour"])
    return labels


# ----------------------------------------------------------------------------------------
# Data: batches of single-image questions and multi-image (frame sequence) conversations
# ----------------------------------------------------------------------------------------

def make_batch(rng, tok, batch_size, turns_range=(1, 1), qtype=None, count_extra=0.0):
    """Returns tokens, mask, pixels [B*M,3,S,S], points [B, M], and the raw items."""
    items = []
    for _ in range(batch_size):
        n_turns = int(rng.integers(turns_range[0], turns_range[1] + 1))
        turns, images, scenes = [], [], []
        for _ in range(n_turns):
            forced = "count" if qtype is None and count_extra > 0 and rng.random() < count_extra else qtype
            scene, t, q, a = shapes.sample(rng, forced)
            turns.append((q, a, t))
            images.append(shapes.render(scene))
            scenes.append(scene)
        ids, points, mask = build_training_example([(q, a) for q, a, _ in turns], tok)
        items.append({"ids": ids, "points": points, "mask": mask, "images": images, "turns": turns,
                      "scenes": scenes})
    return collate(items)


def collate(items):
    B = len(items)
    T = max(len(it["ids"]) for it in items)
    M = max(len(it["points"]) for it in items)
    tokens = torch.zeros(B, T, dtype=torch.long)
    mask = torch.zeros(B, T, dtype=torch.bool)
    points = torch.full((B, M), -1, dtype=torch.long)
    S = VISION_CONFIG["image_size"]
    pixels = torch.zeros(B, M, 3, S, S)
    for b, it in enumerate(items):
        tokens[b, :len(it["ids"])] = torch.tensor(it["ids"])
        mask[b, :len(it["mask"])] = torch.tensor(it["mask"])
        points[b, :len(it["points"])] = torch.tensor(it["points"])
        for m, im in enumerate(it["images"]):
            pixels[b, m] = torch.from_numpy(preprocess(im))
    return tokens, mask, pixels, points, items


def batch_logits(model, tokens, pixels, points, with_e=False):
    B, M = points.shape
    e = model.image_embeddings(pixels.view(B * M, *pixels.shape[2:])).view(B, M, -1, model.tc["hidden_size"])
    logits = model(tokens, e, points)
    return (logits, e) if with_e else logits


def answer_correct(logits, tokens, mask):
    """Per item: are all answer tokens the argmax given the correct prefix? This is exactly
    "greedy decoding reproduces the answer and its eos" (teacher forcing = greedy when right)."""
    pred = logits[:, :-1].argmax(-1)
    target = tokens[:, 1:]
    m = mask[:, 1:]
    wrong = (pred != target) & m
    return ~wrong.any(dim=1)


def loss_fn(logits, tokens, mask):
    target = tokens[:, 1:]
    m = mask[:, 1:]
    return F.cross_entropy(logits[:, :-1][m], target[m])


def evaluate(model, tok, seed, count, log=print, batch=100):
    """Exact-answer accuracy per question type on `count` fresh samples (seed != training)."""
    model.eval()
    rng = np.random.default_rng(seed)
    result = {}
    with torch.no_grad():
        for qtype in shapes.QUESTION_TYPES + ("sequence",):
            correct = total = 0
            while total < count:
                n = min(batch, count - total)
                if qtype == "sequence":
                    tokens, mask, pixels, points, items = make_batch(rng, tok, n, (2, 4))
                    # Only the last turn (question about the latest image) counts here.
                    last = torch.zeros_like(mask)
                    for b, it in enumerate(items):
                        idx = [j for j in range(len(it["mask"])) if it["mask"][j]]
                        k = len(tok.encode(" " + it["turns"][-1][1])) + 1
                        for j in idx[-k:]:
                            last[b, j] = True
                    mask = last
                else:
                    tokens, mask, pixels, points, items = make_batch(rng, tok, n, (1, 1), qtype)
                ok = answer_correct(batch_logits(model, tokens, pixels, points), tokens, mask)
                correct += int(ok.sum())
                total += n
            result[qtype] = correct / total
    model.train()
    log("eval " + " ".join(f"{k} {v:.4f}" for k, v in result.items()))
    return result


# ----------------------------------------------------------------------------------------
# Export (spec §1-§3, §5) with a hand-written safetensors file
# ----------------------------------------------------------------------------------------

def write_safetensors(path, tensors):
    """F32 tensors, sorted by name; header padded with spaces to a multiple of 8."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)


def export(model, tok, out_dir, tokenizer_json):
    os.makedirs(out_dir, exist_ok=True)
    tensors = {k: v for k, v in model.state_dict().items()}
    write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors)
    ids = {t: tok.token_id(t) for t in (BOS, EOS, PAD, "<boi>", "<eoi>")}
    text_config = dict(TEXT_CONFIG, bos_token_id=ids[BOS], eos_token_id=ids[EOS], pad_token_id=ids[PAD])
    config = {"model_type": "casa", "fusion": "casa", "vision_config": VISION_CONFIG,
              "projector_hidden_act": "gelu", "text_config": text_config,
              "casa_config": {"layers": "all", "share_projections": False, "image_rope": "window_start"},
              "pre_image_tokens": [ids["<boi>"]], "post_image_tokens": [ids["<eoi>"]]}
    files = {
        "config.json": config,
        "tokenizer_config.json": {"bos_token": BOS, "eos_token": EOS, "pad_token": PAD,
                                  "chat_template": CHAT_TEMPLATE, "add_bos_token": False,
                                  "tokenizer_class": "PreTrainedTokenizerFast"},
        "preprocessor_config.json": PREPROCESSOR,
        "generation_config.json": {"bos_token_id": ids[BOS], "eos_token_id": ids[EOS],
                                   "pad_token_id": ids[PAD], "do_sample": False, "max_new_tokens": 32},
    }
    for name, obj in files.items():
        with open(os.path.join(out_dir, name), "w") as f:
            json.dump(obj, f, indent=2)
            f.write("\n")
    if os.path.abspath(tokenizer_json) != os.path.abspath(os.path.join(out_dir, "tokenizer.json")):
        with open(tokenizer_json) as src, open(os.path.join(out_dir, "tokenizer.json"), "w") as dst:
            dst.write(src.read())


def load_exported(model_dir):
    """The training module with the exported weights (for --eval)."""
    sys.path.insert(0, os.path.join(HERE, "..", "reference"))
    import casa_reference
    model = DemoCasa()
    raw = casa_reference.read_model_weights(model_dir)
    model.load_state_dict({k: v.float() for k, (v, _) in raw.items()})
    return model


# ----------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "model"))
    ap.add_argument("--tokenizer", default=os.path.join(HERE, "model", "tokenizer.json"))
    ap.add_argument("--minutes", type=float, default=25.0, help="wall-clock training budget")
    ap.add_argument("--steps", type=int, default=0, help="fixed step count (default: from the budget)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--eval-seed", type=int, default=1000)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--eval", help="only evaluate this exported model directory")
    ap.add_argument("--init", help="start from this exported model directory's weights")
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--count-extra", type=float, default=0.0,
                    help="extra share of count questions (the hardest type), on top of the uniform mix")
    ap.add_argument("--aux", type=float, default=0.5, help="weight of the training-only cell probe loss")
    ap.add_argument("--eval-count", type=int, default=500)
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(args.seed)
    tok = Tokenizer(args.tokenizer)
    log_file = open(os.path.join(HERE, "train.log"), "a") if not args.eval else None

    def log(msg):
        print(msg, flush=True)
        if log_file:
            log_file.write(msg + "\n")
            log_file.flush()

    if args.eval:
        evaluate(load_exported(args.eval), tok, args.eval_seed, args.eval_count)
        tok.close()
        return

    model = load_exported(args.init) if args.init else DemoCasa()
    probe = CellProbe(TEXT_CONFIG["hidden_size"])
    n_params = sum(p.numel() for p in model.parameters())
    log(f"== train.py {' '.join(sys.argv[1:])} | params {n_params} | {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC")
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2] + list(probe.parameters())
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98))
    rng = np.random.default_rng(args.seed)
    total_steps = args.steps or 10 ** 9
    warmup = args.warmup
    start = time.time()
    step = 0
    running, running_aux = [], []
    while step < total_steps:
        # Every 5th batch is a frame sequence (2-3 images, each a new window).
        if step % 5 == 4:
            batch = make_batch(rng, tok, args.batch // 2, (2, 3), count_extra=args.count_extra)
        else:
            batch = make_batch(rng, tok, args.batch, count_extra=args.count_extra)
        tokens, mask, pixels, points, items = batch
        frac = min(1.0, step / total_steps) if args.steps or step > 40 else 0.0
        lr = args.lr * min(1.0, (step + 1) / warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        logits, e = batch_logits(model, tokens, pixels, points, with_e=True)
        loss = loss_fn(logits, tokens, mask)
        running_aux.append(0.0)
        if args.aux > 0:
            valid = points.flatten() >= 0
            labels = torch.stack([cell_labels(sc) for it in items for sc in it["scenes"]])
            aux = probe.loss(e.flatten(0, 1)[valid], labels)
            running_aux[-1] = float(aux)
            loss = loss + args.aux * aux
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        running.append(float(loss) - args.aux * running_aux[-1])
        step += 1
        if step == 40 and not args.steps:
            per_step = (time.time() - start) / step
            total_steps = int(args.minutes * 60 / per_step * 0.93)   # leave time for the evals
            log(f"{per_step:.3f} s/step -> {total_steps} steps in {args.minutes} min")
        if step % 50 == 0:
            log(f"step {step} loss {np.mean(running):.4f} aux {np.mean(running_aux):.4f} lr {lr:.2e} "
                f"elapsed {time.time() - start:.0f}s")
            running, running_aux = [], []
        if step % args.eval_every == 0:
            evaluate(model, tok, args.eval_seed, 100, log)
            export(model, tok, args.out, args.tokenizer)
    log(f"trained {step} steps in {(time.time() - start) / 60:.1f} min")
    export(model, tok, args.out, args.tokenizer)
    evaluate(model, tok, args.eval_seed, args.eval_count, log)
    tok.close()


if __name__ == "__main__":
    main()
