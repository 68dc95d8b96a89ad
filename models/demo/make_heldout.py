#!/usr/bin/env python3
"""Held-out evaluation set for the Java demo-model test, computed from the EXPORTED model.

Images come from shapes.py with seed 2026 (training used seed 1, train.py's evaluation 1000).
Every item's greedy answer is computed by the float64 reference (models/reference/
casa_reference.py) loading models/demo/model/, not by the training module, so the export is
checked independently. The prompt ids and insertion points come from train.build_prompt, the
same builder training used (chat template -> split at "<image>" -> encode pieces ->
<boi> P <eoi>).

Output: models/demo/heldout/*.png and heldout.json:
  items:    [{id, type, image, question, expected, messages, prompt_ids, insertion_points,
              max_new_tokens, greedy_ids (up to and including eos), answer, correct, min_margin}]
  sequence: one session with several images, each a new window (user turn with image +
            question, assistant answer, next user turn with the next image ...); the final
            question is about the latest image. History answers are the expected answers.
Also writes models/demo/example.png (the README's "describe" example).

Run: /usr/bin/python3 models/demo/make_heldout.py
"""

import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import casa_reference as cr  # noqa: E402
import shapes  # noqa: E402
import train  # noqa: E402

SEED = 2026
PER_TYPE = 10
SEQUENCE_LENGTH = 3
MODEL_DIR = os.path.join(HERE, "model")
OUT_DIR = os.path.join(HERE, "heldout")


def greedy_until_eos(model, ids, points, image_paths, max_new, eos):
    """Greedy continuation by the reference (prefill == decode asserted inside run_request),
    cut after the first eos. Also the smallest top-1/top-2 logit gap over the kept steps."""
    request = {"tokens": ids, "images": [{"path": os.path.basename(p), "insert_at": pt}
                                         for p, pt in zip(image_paths, points)]}
    result = cr.run_request(model, request, os.path.dirname(image_paths[0]), max_new)
    generated, margins = [], []
    for token, logits in zip(result["generated"], result["step_logits"]):
        top2 = torch.topk(logits, 2).values
        margins.append(float(top2[0] - top2[1]))
        generated.append(token)
        if token == eos:
            break
    return generated, min(margins)


def answer_text(tok, generated, eos):
    body = generated[:-1] if generated and generated[-1] == eos else generated
    return tok.decode(body).strip()


def main():
    global MODEL_DIR, OUT_DIR
    if len(sys.argv) == 3:                       # a scratch run: MODEL_DIR OUT_DIR
        MODEL_DIR, OUT_DIR = sys.argv[1], sys.argv[2]
    torch.set_num_threads(1)
    os.makedirs(OUT_DIR, exist_ok=True)
    tok = train.Tokenizer(os.path.join(MODEL_DIR, "tokenizer.json"))
    eos = tok.token_id(train.EOS)
    model = cr.Model(MODEL_DIR)
    model.check_unused()
    rng = np.random.default_rng(SEED)

    items = []
    for qtype in shapes.QUESTION_TYPES:
        for n in range(PER_TYPE):
            scene, _, q, a = shapes.sample(rng, qtype)
            name = f"{qtype}_{n:02d}.png"
            path = os.path.join(OUT_DIR, name)
            shapes.render(scene).save(path, optimize=True)
            messages = [{"role": "user", "content": train.IMAGE + q}]
            ids, points = train.build_prompt(messages, tok)
            max_new = 32 if qtype == "describe" else 12
            generated, margin = greedy_until_eos(model, ids, points, [path], max_new, eos)
            answer = answer_text(tok, generated, eos)
            items.append({"id": name[:-4], "type": qtype, "image": name, "question": q, "expected": a,
                          "messages": messages, "prompt_ids": ids, "insertion_points": points,
                          "max_new_tokens": max_new, "greedy_ids": generated, "answer": answer,
                          "correct": answer == a, "min_margin": round(margin, 4)})
            print(f"{name}: {q} -> {answer!r} (expected {a!r}) margin {margin:.2f}", flush=True)

    # Frame sequence: each image opens a new window; the last question is about the latest image.
    turns, messages, paths = [], [], []
    for n in range(SEQUENCE_LENGTH):
        scene, qtype, q, a = shapes.sample(rng, ("where", "count", "colour")[n % 3])
        name = f"sequence_{n}.png"
        path = os.path.join(OUT_DIR, name)
        shapes.render(scene).save(path, optimize=True)
        paths.append(path)
        messages.append({"role": "user", "content": train.IMAGE + q})
        ids, points = train.build_prompt(messages, tok)
        generated, margin = greedy_until_eos(model, ids, points, paths, 12, eos)
        answer = answer_text(tok, generated, eos)
        turns.append({"image": name, "type": qtype, "question": q, "expected": a, "prompt_ids": ids,
                      "insertion_points": points, "greedy_ids": generated, "answer": answer,
                      "correct": answer == a, "min_margin": round(margin, 4)})
        print(f"sequence turn {n}: {q} -> {answer!r} (expected {a!r}) points {points}", flush=True)
        messages.append({"role": "assistant", "content": a})
    sequence = {"images": [t["image"] for t in turns], "messages": messages[:-1], "turns": turns,
                "max_new_tokens": 12, "prompt_ids": turns[-1]["prompt_ids"],
                "insertion_points": turns[-1]["insertion_points"], "expected": turns[-1]["expected"],
                "greedy_ids": turns[-1]["greedy_ids"], "answer": turns[-1]["answer"],
                "correct": turns[-1]["correct"]}

    per_type = {}
    for it in items:
        per_type.setdefault(it["type"], []).append(it["correct"])
    summary = {k: f"{sum(v)}/{len(v)}" for k, v in per_type.items()}
    summary["sequence_turns"] = f"{sum(t['correct'] for t in turns)}/{len(turns)}"
    out = {"description": "Held-out demo-model cases (shapes.py seed 2026, not seen in training). "
                          "greedy_ids/answer: float64 reference (casa_reference.py) on models/demo/model, "
                          "greedy from the last prompt token, stopped after eos (included).",
           "model": "models/demo/model", "eos_token_id": eos, "chat_template_rendering":
               "jinja2 trim_blocks+lstrip_blocks, bos_token <s>, eos_token </s>, add_generation_prompt=True; "
               "split at <image>; pieces encoded without special tokens; joined with pre_image_tokens, "
               "insertion point, post_image_tokens",
           "summary": summary, "items": items, "sequence": sequence}
    with open(os.path.join(OUT_DIR, "heldout.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("summary", summary)

    # The README example: three shapes on a grey background.
    ex_rng = np.random.default_rng(7)
    while True:
        scene = shapes.make_scene(ex_rng, 3)
        if scene["background"] == "grey" and scene["noise"] == 0 and \
                len({s["shape"] for s in scene["shapes"]}) == 3 and len({s["colour"] for s in scene["shapes"]}) == 3:
            break
    ex_path = os.path.join(HERE if OUT_DIR == os.path.join(HERE, "heldout") else OUT_DIR, "example.png")
    shapes.render(scene).save(ex_path, optimize=True)
    ids, points = train.build_prompt([{"role": "user", "content": train.IMAGE + "Describe the image."}], tok)
    generated, margin = greedy_until_eos(model, ids, points, [ex_path], 32, eos)
    print("example.png caption:", shapes.caption(scene), "| model:", answer_text(tok, generated, eos))
    tok.close()


if __name__ == "__main__":
    main()
