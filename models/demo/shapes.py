#!/usr/bin/env python3
"""Seeded synthetic "shapes" data for the bundled demo model.

A scene is 1-4 coloured shapes (circle, square, triangle) on a plain or noisy background,
48x48 pixels. The image is a 3x3 grid of 16-pixel cells (the model's 16-pixel patches) and
each shape (8-13 pixels) lies entirely inside its own cell, so shapes never overlap and every shape's position word
is unambiguous: the word of its cell ("top left", "top", "top right", "left", "center",
"right", "bottom left", "bottom", "bottom right").

Questions and their exact answers (ground truth from the scene, never from a model):
  "What colour is the circle?"   -> "red"         (asked only when exactly one circle)
  "How many squares are there?"  -> "two"         (number words zero..four)
  "Where is the triangle?"       -> "top left"    (asked only when exactly one triangle)
  "Describe the image."          -> "a red circle and a blue square on a grey background"
Caption objects are listed left to right (by grid column, then top to bottom within a
column); "a x", "a x and a y", "a x, a y and a z", ... ("an orange ...").

Everything is a function of a numpy Generator, so a seed reproduces the data exactly.
"""

import numpy as np
from PIL import Image, ImageDraw

IMAGE_SIZE = 48
CELL_EDGES = (0, 16, 32, 48)
SHAPES = ("circle", "square", "triangle")
COLOURS = {
    "red": (220, 40, 40),
    "green": (40, 170, 60),
    "blue": (40, 80, 230),
    "yellow": (240, 215, 40),
    "purple": (150, 60, 200),
    "orange": (250, 140, 30),
}
BACKGROUNDS = {"white": (245, 245, 245), "grey": (128, 128, 128), "black": (20, 20, 20)}
ROW_WORDS = ("top", "", "bottom")
COL_WORDS = ("left", "", "right")
NUMBER_WORDS = ("zero", "one", "two", "three", "four")
QUESTION_TYPES = ("colour", "count", "where", "describe")


def position_word(row, col):
    words = " ".join(w for w in (ROW_WORDS[row], COL_WORDS[col]) if w)
    return words or "center"


def make_scene(rng, num_shapes=None):
    """A random scene: background and a list of shapes, each in its own grid cell."""
    if num_shapes is None:
        num_shapes = int(rng.integers(1, 5))
    cells = rng.choice(9, size=num_shapes, replace=False)
    shapes = []
    for cell in cells:
        row, col = divmod(int(cell), 3)
        x0, x1 = CELL_EDGES[col], CELL_EDGES[col + 1]
        y0, y1 = CELL_EDGES[row], CELL_EDGES[row + 1]
        size = int(rng.integers(8, 14))
        # Top-left corner so that the shape stays inside the cell with a 1-pixel margin.
        left = int(rng.integers(x0 + 1, x1 - size))
        top = int(rng.integers(y0 + 1, y1 - size))
        colour = str(rng.choice(list(COLOURS)))
        jitter = rng.integers(-15, 16, size=3)
        rgb = tuple(int(np.clip(c + j, 0, 255)) for c, j in zip(COLOURS[colour], jitter))
        shapes.append({"shape": str(rng.choice(SHAPES)), "colour": colour, "rgb": rgb,
                       "row": row, "col": col, "box": (left, top, left + size - 1, top + size - 1)})
    background = str(rng.choice(list(BACKGROUNDS)))
    bg_jitter = rng.integers(-10, 11, size=3)
    bg_rgb = tuple(int(np.clip(c + j, 0, 255)) for c, j in zip(BACKGROUNDS[background], bg_jitter))
    noise = float(rng.choice([0.0, 0.0, 6.0, 12.0]))
    return {"shapes": shapes, "background": background, "bg_rgb": bg_rgb, "noise": noise,
            "noise_seed": int(rng.integers(0, 2**31 - 1))}


def render(scene):
    """The scene as a 48x48 RGB PIL image."""
    bg = np.empty((IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.float64)
    bg[:] = scene["bg_rgb"]
    if scene["noise"] > 0:
        noise_rng = np.random.default_rng(scene["noise_seed"])
        bg += noise_rng.normal(0.0, scene["noise"], size=bg.shape)
    image = Image.fromarray(np.clip(np.rint(bg), 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for s in scene["shapes"]:
        left, top, right, bottom = s["box"]
        if s["shape"] == "circle":
            draw.ellipse((left, top, right, bottom), fill=s["rgb"])
        elif s["shape"] == "square":
            draw.rectangle((left, top, right, bottom), fill=s["rgb"])
        else:
            draw.polygon([((left + right) / 2, top), (right, bottom), (left, bottom)], fill=s["rgb"])
    return image


def ordered(scene):
    """Shapes left to right: by grid column, then top to bottom."""
    return sorted(scene["shapes"], key=lambda s: (s["col"], s["row"]))


def article(word):
    return "an" if word[0] in "aeiou" else "a"


def caption(scene):
    names = [f"{article(s['colour'])} {s['colour']} {s['shape']}" for s in ordered(scene)]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{listed} on a {scene['background']} background"


def count_of(scene, shape):
    return sum(1 for s in scene["shapes"] if s["shape"] == shape)


def unique_shapes(scene):
    return [s for s in scene["shapes"] if count_of(scene, s["shape"]) == 1]


def question(scene, qtype, rng):
    """(question, answer) of the given type, or None when the scene cannot ask it."""
    if qtype == "describe":
        return "Describe the image.", caption(scene)
    if qtype == "count":
        shape = str(rng.choice(SHAPES))
        return f"How many {shape}s are there?", NUMBER_WORDS[count_of(scene, shape)]
    unique = unique_shapes(scene)
    if not unique:
        return None
    s = unique[int(rng.integers(len(unique)))]
    if qtype == "colour":
        return f"What colour is the {s['shape']}?", s["colour"]
    if qtype == "where":
        return f"Where is the {s['shape']}?", position_word(s["row"], s["col"])
    raise ValueError(f"unknown question type {qtype}")


def sample(rng, qtype=None):
    """A random (scene, question type, question, answer); qtype None: uniform over the types
    (a scene that cannot ask the drawn type is redrawn)."""
    while True:
        t = qtype if qtype is not None else QUESTION_TYPES[int(rng.integers(len(QUESTION_TYPES)))]
        scene = make_scene(rng)
        qa = question(scene, t, rng)
        if qa is not None:
            return scene, t, qa[0], qa[1]


def corpus_lines(seed=0, count=20000):
    """Text the tokenizer is trained on: every question/answer form plus random captions."""
    rng = np.random.default_rng(seed)
    lines = []
    for shape in SHAPES:
        lines += [f"What colour is the {shape}?", f"How many {shape}s are there?", f"Where is the {shape}?"]
    lines += ["Describe the image.", "User:", "Assistant:"]
    lines += list(COLOURS) + list(NUMBER_WORDS)
    lines += [position_word(r, c) for r in range(3) for c in range(3)]
    for _ in range(count):
        scene, _, q, a = sample(rng)
        lines.append(f"User: {q}\nAssistant: {a}")
    return lines


if __name__ == "__main__":
    import sys
    if sys.argv[1:2] == ["--corpus"]:        # the tokenizer's training text
        print("\n".join(corpus_lines()))
    else:                                    # a few samples of a seed
        rng = np.random.default_rng(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
        for _ in range(8):
            scene, t, q, a = sample(rng)
            print(t, "|", q, "|", a)
