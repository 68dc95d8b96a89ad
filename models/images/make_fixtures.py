#!/usr/bin/env python3
"""Makes the image-preprocessing fixtures used by casa-vision's tests.

Oracle: Pillow 9.4 (Debian python3-pil) and NumPy.  Run with /usr/bin/python3 from the repo root:

    /usr/bin/python3 models/images/make_fixtures.py

It writes casa-vision/src/test/resources/images/:
  src/*.{png,jpg,bmp,gif}   test images of many modes and sizes
  manifest.json             what each expected output is and where its bytes live
  expected.bin.gz           the expected bytes, concatenated (gzip)
  *.npy                     `casa preprocess` reference outputs (np.save, float32 [C,H,W])

Expected values:
  decode      Image.open(f).convert('RGB') as interleaved uint8 RGB
  resize      Pillow Image.resize((w, h), filter) of that RGB image (reducing_gap=None)
  preprocess  HF SiglipImageProcessor's arithmetic, written out here because transformers is
              not installed: convert('RGB') -> PIL resize -> np.uint8 -> astype(float64) *
              rescale_factor -> astype(float32) -> (x - float32(mean)) / float32(std) -> CHW.
"""
import gzip
import warnings
import hashlib
import io
import json
import os
import struct
import zlib

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "casa-vision", "src", "test", "resources", "images")
SRC = os.path.join(OUT, "src")
warnings.simplefilter("ignore", UserWarning)  # Pillow: "Palette images with Transparency ..."


# ---------------------------------------------------------------- synthetic content
def scene(w, h, seed):
    """Photo-like RGB content: gradients, a sinusoid, hard-edged shapes and some noise."""
    r = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.zeros((h, w, 3))
    img[..., 0] = 255 * x / max(w - 1, 1)
    img[..., 1] = 255 * y / max(h - 1, 1)
    img[..., 2] = 127.5 + 127.5 * np.sin(x / 3.1 + y / 5.3)
    # hard-edged rectangle and disc
    img[h // 4: h // 2, w // 5: w // 2] = [250, 10, 30]
    disc = (x - 0.7 * w) ** 2 + (y - 0.6 * h) ** 2 < (0.2 * min(w, h)) ** 2
    img[disc] = [5, 240, 20]
    # a one-pixel checkerboard strip (worst case for resampling)
    strip = slice(0, max(1, h // 8))
    img[strip] = np.where(((x[strip] + y[strip]) % 2 == 0)[..., None], 255, 0)
    img += r.normal(0, 12, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def noise(w, h, channels, seed):
    return np.random.default_rng(seed).integers(0, 256, (h, w, channels), dtype=np.uint8)


# ---------------------------------------------------------------- raw PNG writer (modes Pillow can't save)
def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def raw_png(w, h, color_type, bit_depth, rows, extra=b""):
    """rows: list of bytes per row (already packed). Filter type 0 on every row."""
    raw = b"".join(b"\x00" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n"
            + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0))
            + extra + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def u16_rows(arr):
    return [arr[i].astype(">u2").tobytes() for i in range(arr.shape[0])]


def pack_bits(arr, bits):
    """Packs an (h, w) array of small ints MSB-first into PNG rows."""
    rows = []
    per = 8 // bits
    for row in arr:
        padded = np.concatenate([row, np.zeros((-len(row)) % per, dtype=row.dtype)])
        b = bytearray()
        for i in range(0, len(padded), per):
            v = 0
            for j in range(per):
                v = (v << bits) | int(padded[i + j])
            b.append(v)
        rows.append(bytes(b))
    return rows


# ---------------------------------------------------------------- the test images
def make_images():
    """Returns {file name: bytes}."""
    files = {}

    def save(name, im, **kw):
        buf = io.BytesIO()
        im.save(buf, format=kw.pop("format"), **kw)
        files[name] = buf.getvalue()

    rgb = scene(37, 23, 1)
    save("rgb_37x23.png", Image.fromarray(rgb), format="PNG")
    save("rgb_1x1.png", Image.fromarray(np.array([[[200, 17, 99]]], np.uint8)), format="PNG")
    save("rgb_2x3.png", Image.fromarray(noise(2, 3, 3, 2)), format="PNG")
    save("rgb_noise_64x48.png", Image.fromarray(noise(64, 48, 3, 3)), format="PNG")
    save("rgb_scene_640x480.png", Image.fromarray(scene(640, 480, 4)), format="PNG")
    save("rgb_scene_97x151.png", Image.fromarray(scene(97, 151, 5)), format="PNG")

    rgba = np.concatenate([scene(40, 30, 6), noise(40, 30, 1, 7)], axis=2)
    rgba[::3, ::2, 3] = 0  # fully transparent pixels keep non-zero RGB
    save("rgba_transparent_40x30.png", Image.fromarray(rgba, "RGBA"), format="PNG")

    grey = scene(33, 17, 8)[..., 0]
    save("l_33x17.png", Image.fromarray(grey, "L"), format="PNG")
    la = np.stack([scene(29, 19, 9)[..., 1], noise(29, 19, 1, 10)[..., 0]], axis=2)
    la[::2, ::3, 1] = 0
    save("la_29x19.png", Image.fromarray(la, "LA"), format="PNG")

    p = Image.fromarray(scene(45, 31, 11)).quantize(200)
    save("p_45x31.png", p, format="PNG")
    pt = Image.fromarray(scene(24, 24, 12)).quantize(16)
    alphas = bytes([0, 255, 128, 64] + [255] * 12)
    save("p_trns_24x24.png", pt, format="PNG", transparency=alphas)
    pk = Image.fromarray(scene(30, 20, 13)).quantize(8)
    save("p_key_30x20.png", pk, format="PNG", transparency=3)
    # 4-bit palette, 11-colour palette (indices 0..10)
    idx = np.random.default_rng(14).integers(0, 11, (13, 21))
    pal = np.random.default_rng(15).integers(0, 256, 33, dtype=np.uint8).tobytes()
    files["p4bit_21x13.png"] = raw_png(21, 13, 3, 4, pack_bits(idx, 4), png_chunk(b"PLTE", pal))

    bw = (scene(50, 20, 16)[..., 0] > 128)
    save("bw_1bit_50x20.png", Image.fromarray(bw), format="PNG")
    g2 = np.random.default_rng(17).integers(0, 4, (9, 14))
    files["l2bit_14x9.png"] = raw_png(14, 9, 0, 2, pack_bits(g2, 2))

    # 16-bit: greyscale (Pillow mode I: clipped), greyscale + tRNS, RGB, RGBA, LA (high byte)
    g16 = np.random.default_rng(18).integers(0, 600, (20, 30)).astype(np.uint16)
    g16[0, :6] = [0, 1, 254, 255, 256, 65535]
    g16[1] = np.random.default_rng(19).integers(0, 65536, 30)
    files["grey16_30x20.png"] = raw_png(30, 20, 0, 16, u16_rows(g16))
    files["grey16_trns_30x20.png"] = raw_png(30, 20, 0, 16, u16_rows(g16),
                                             png_chunk(b"tRNS", struct.pack(">H", 300)))
    c16 = np.random.default_rng(20).integers(0, 65536, (15, 25, 3)).astype(np.uint16)
    files["rgb16_25x15.png"] = raw_png(25, 15, 2, 16, u16_rows(c16.reshape(15, -1)))
    c16a = np.random.default_rng(21).integers(0, 65536, (11, 17, 4)).astype(np.uint16)
    c16a[::2, :, 3] = 0
    files["rgba16_17x11.png"] = raw_png(17, 11, 6, 16, u16_rows(c16a.reshape(11, -1)))
    la16 = np.random.default_rng(22).integers(0, 65536, (7, 13, 2)).astype(np.uint16)
    files["la16_13x7.png"] = raw_png(13, 7, 4, 16, u16_rows(la16.reshape(7, -1)))
    # RGB with a tRNS colour key (Pillow keeps it as RGB + info; Java expands to RGBA)
    rk = scene(19, 12, 23)
    rk[0, 0] = [10, 20, 30]
    files["rgb_trns_19x12.png"] = raw_png(19, 12, 2, 8, [rk[i].tobytes() for i in range(12)],
                                          png_chunk(b"tRNS", struct.pack(">HHH", 10, 20, 30)))

    photo = Image.fromarray(scene(160, 120, 24))
    save("jpeg420_160x120.jpg", photo, format="JPEG", quality=90, subsampling=2)
    save("jpeg444_160x120.jpg", photo, format="JPEG", quality=95, subsampling=0)
    save("jpeg422_99x67.jpg", Image.fromarray(scene(99, 67, 25)), format="JPEG", quality=85, subsampling=1)
    save("jpeg_grey_81x53.jpg", Image.fromarray(scene(81, 53, 26)[..., 2], "L"), format="JPEG", quality=90)
    save("jpeg420_640x480.jpg", Image.fromarray(scene(640, 480, 27)), format="JPEG", quality=85)

    save("bmp24_31x21.bmp", Image.fromarray(scene(31, 21, 28)), format="BMP")
    save("bmp8_palette_26x14.bmp", Image.fromarray(scene(26, 14, 29)).quantize(50), format="BMP")
    save("bmp8_grey_18x10.bmp", Image.fromarray(scene(18, 10, 30)[..., 1], "L"), format="BMP")
    save("bmp1_20x9.bmp", Image.fromarray(scene(20, 9, 31)[..., 0] > 100), format="BMP")

    save("gif_57x43.gif", Image.fromarray(scene(57, 43, 32)).quantize(64), format="GIF")
    gt = Image.fromarray(scene(23, 17, 33)).quantize(32)
    save("gif_trns_23x17.gif", gt, format="GIF", transparency=5)
    save("gif_1x1.gif", Image.fromarray(np.array([[[1, 2, 3]]], np.uint8)).quantize(2), format="GIF")
    # palette indices past a 2-entry palette: Pillow's palette defaults to the grey ramp (i, i, i)
    files["p_short_palette_6x2.png"] = raw_png(6, 2, 3, 8, [bytes([0, 1, 2, 5, 200, 255]), bytes([1, 0, 3, 4, 128, 7])],
                                               png_chunk(b"PLTE", bytes([10, 20, 30, 40, 50, 60])))
    save("bmp32_rgba_22x13.bmp", Image.fromarray(rgba[:13, :22].copy(), "RGBA"), format="BMP")
    save("jpeg_progressive_75x50.jpg", Image.fromarray(scene(75, 50, 36)), format="JPEG", quality=88, progressive=True)
    # CMYK JPEG: Pillow converts it, the library refuses it (ImageDecoderTest checks the error)
    save("jpeg_cmyk_12x8.jpg", Image.fromarray(scene(12, 8, 37)).convert("CMYK"), format="JPEG", quality=90)

    # first frame smaller than the logical screen, at an offset (Pillow fills the rest)
    files["gif_offset_26x15.gif"] = gif_on_screen(make_gif(20, 10, 34, None), 26, 15, 3, 2)
    files["gif_offset_trns_26x15.gif"] = gif_on_screen(make_gif(20, 10, 35, 4), 26, 15, 5, 4)
    return files


def make_gif(w, h, seed, transparency):
    buf = io.BytesIO()
    kw = {} if transparency is None else {"transparency": transparency}
    Image.fromarray(scene(w, h, seed)).quantize(16).save(buf, format="GIF", **kw)
    return buf.getvalue()


def gif_on_screen(gif, screen_w, screen_h, left, top):
    """Rewrites a one-frame GIF: a larger logical screen, the frame at (left, top)."""
    b = bytearray(gif)
    b[6:10] = struct.pack("<HH", screen_w, screen_h)
    pos = 13
    if b[10] & 0x80:
        pos += 3 * (2 << (b[10] & 7))
    while b[pos] == 0x21:  # extensions: introducer, label, sub-blocks
        pos += 2
        while b[pos]:
            pos += b[pos] + 1
        pos += 1
    assert b[pos] == 0x2C, "image descriptor expected"
    b[pos + 1:pos + 5] = struct.pack("<HH", left, top)
    return bytes(b)


# ---------------------------------------------------------------- expected outputs
FILTERS = {"NEAREST": Image.Resampling.NEAREST, "BILINEAR": Image.Resampling.BILINEAR,
           "BICUBIC": Image.Resampling.BICUBIC, "LANCZOS": Image.Resampling.LANCZOS,
           "BOX": Image.Resampling.BOX, "HAMMING": Image.Resampling.HAMMING}

# (source, [(w, h)...], [filters])
MAIN3 = ["BICUBIC", "BILINEAR", "NEAREST"]
RESIZE_CASES = [
    ("rgb_37x23.png", [(16, 16), (32, 24), (224, 224), (37, 50), (80, 23), (1, 1)], MAIN3),
    ("rgb_noise_64x48.png", [(16, 16), (32, 24), (224, 224), (63, 47), (5, 97)], MAIN3 + ["LANCZOS", "BOX", "HAMMING"]),
    ("rgb_1x1.png", [(16, 16), (3, 2)], MAIN3),
    ("rgb_2x3.png", [(16, 16), (1, 1), (7, 3)], MAIN3),
    ("rgb_scene_640x480.png", [(224, 224), (384, 384), (32, 24), (641, 479)], MAIN3),
    ("rgb_scene_97x151.png", [(224, 224), (16, 16), (96, 151)], MAIN3 + ["LANCZOS"]),
    ("rgba_transparent_40x30.png", [(16, 16), (224, 224)], MAIN3),
    ("p_45x31.png", [(32, 24)], MAIN3),
    ("jpeg420_160x120.jpg", [(224, 224), (32, 24)], MAIN3),
]

SIGLIP = {"do_convert_rgb": None, "do_normalize": True, "do_rescale": True, "do_resize": True,
          "image_mean": [0.5, 0.5, 0.5], "image_processor_type": "SiglipImageProcessor",
          "image_std": [0.5, 0.5, 0.5], "processor_class": "SiglipProcessor", "resample": 3,
          "rescale_factor": 0.00392156862745098, "size": {"height": 224, "width": 224}}
IMAGENET_BILINEAR = {"do_normalize": True, "do_rescale": True, "do_resize": True,
                     "image_mean": [0.48145466, 0.4578275, 0.40821073],
                     "image_processor_type": "SiglipImageProcessor",
                     "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 2,
                     "rescale_factor": 0.00392156862745098, "size": {"height": 40, "width": 56}}
NO_NORMALIZE = {"do_normalize": False, "do_rescale": True, "resample": 0,
                "rescale_factor": 0.00392156862745098, "size": {"height": 24, "width": 32}}
PREPROCESS_CASES = [
    ("siglip_224.json", SIGLIP, ["rgb_scene_640x480.png", "jpeg420_160x120.jpg", "la_29x19.png"]),
    ("imagenet_bilinear_40x56.json", IMAGENET_BILINEAR, ["rgb_37x23.png", "rgba_transparent_40x30.png",
                                                         "grey16_30x20.png", "gif_57x43.gif"]),
    ("no_normalize_24x32.json", NO_NORMALIZE, ["rgb_noise_64x48.png"]),
]


def hf_preprocess(pil_image, cfg):
    """SiglipImageProcessor.preprocess for one image, following transformers' numpy code path."""
    im = pil_image.convert("RGB")
    if cfg.get("do_resize", True):
        size = cfg["size"]
        im = im.resize((size["width"], size["height"]), resample=cfg.get("resample", 2), reducing_gap=None)
    x = np.array(im)  # uint8 HWC
    if cfg.get("do_rescale", True):
        x = (x.astype(np.float64) * cfg.get("rescale_factor", 1 / 255)).astype(np.float32)
    if cfg.get("do_normalize", True):
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(np.float32)
        mean = np.array(cfg.get("image_mean", [0.5] * 3), dtype=x.dtype)
        std = np.array(cfg.get("image_std", [0.5] * 3), dtype=x.dtype)
        x = (x - mean) / std
    return np.ascontiguousarray(x.transpose(2, 0, 1).astype(np.float32))


def main():
    os.makedirs(SRC, exist_ok=True)
    for old in os.listdir(SRC):
        os.remove(os.path.join(SRC, old))
    files = make_images()
    blob = bytearray()

    def put(data, keep=False):
        """Stores small outputs in full (and `keep` ones); larger ones as a checksum only."""
        if len(data) > 40_000 and not keep:
            return {"sha256": hashlib.sha256(data).hexdigest(), "length": len(data)}
        off = len(blob)
        blob.extend(data)
        return {"offset": off, "length": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    decoded = {}
    manifest = {"pillow": Image.__version__, "numpy": np.__version__, "decode": [], "resize": [], "preprocess": []}
    for name, data in sorted(files.items()):
        with open(os.path.join(SRC, name), "wb") as f:
            f.write(data)
        im = Image.open(io.BytesIO(data))
        mode = im.mode
        rgb = im.convert("RGB")
        decoded[name] = rgb
        raw = rgb.tobytes()
        entry = {"file": name, "pillow_mode": mode, "width": rgb.width, "height": rgb.height}
        # resize cases use Pillow's decoded pixels as input, so keep those in full
        entry.update(put(raw, keep=name.startswith("jpeg420_160")))
        manifest["decode"].append(entry)

    for src, sizes, filters in RESIZE_CASES:
        for (w, h) in sizes:
            for fname in filters:
                out = decoded[src].resize((w, h), FILTERS[fname], reducing_gap=None).tobytes()
                entry = {"source": src, "width": w, "height": h, "filter": fname}
                entry.update(put(out))
                manifest["resize"].append(entry)

    for cfg_name, cfg, images in PREPROCESS_CASES:
        with open(os.path.join(OUT, cfg_name), "w") as f:
            json.dump(cfg, f, indent=2)
        for src in images:
            x = hf_preprocess(Image.open(os.path.join(SRC, src)), cfg)
            entry = {"config": cfg_name, "source": src, "shape": list(x.shape)}
            entry.update(put(x.astype("<f4").tobytes(), keep=src.startswith("jpeg420_160")))
            manifest["preprocess"].append(entry)

    # a `casa preprocess` reference file, byte for byte as NumPy writes it
    x = hf_preprocess(Image.open(os.path.join(SRC, "rgb_37x23.png")), IMAGENET_BILINEAR)
    np.save(os.path.join(OUT, "rgb_37x23.imagenet_bilinear_40x56.npy"), x)

    with open(os.path.join(OUT, "expected.bin.gz"), "wb") as raw_file:
        with gzip.GzipFile(fileobj=raw_file, mode="wb", compresslevel=9, mtime=0) as f:
            f.write(bytes(blob))
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    total = sum(os.path.getsize(os.path.join(dp, fn)) for dp, _, fns in os.walk(OUT) for fn in fns)
    print(f"{len(files)} images, {len(manifest['resize'])} resize cases, "
          f"{len(manifest['preprocess'])} preprocess cases, {total / 1e6:.2f} MB in {OUT}")


if __name__ == "__main__":
    main()
