#!/usr/bin/python3
"""Writes the independent-oracle fixtures of casa-core's file readers and writers.

* safetensors/python_written.safetensors: built by hand from the format description
  (8-byte little-endian header length, compact JSON header padded with spaces to a multiple of 8,
  raw little-endian data), with struct only: no safetensors or torch package. Tensors are laid
  out largest element size first, then by name, as casa's SafetensorsWriter does, so the Java
  writer must reproduce this file byte for byte.
* npy/*.npy: written by numpy's own np.save (and np.lib.format.write_array for version 2.0).

Run from the repository root: /usr/bin/python3 models/scripts/make_core_io_fixtures.py
"""
import json
import os
import struct

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
RES = os.path.join(ROOT, "casa-core", "src", "test", "resources")


def bf16_bits(x):
    """float32 -> bfloat16 bits, round to nearest even (integer arithmetic on the float32 bits)."""
    bits = struct.unpack("<I", struct.pack("<f", x))[0]
    upper, lower = bits >> 16, bits & 0xFFFF
    if lower > 0x8000 or (lower == 0x8000 and (upper & 1)):
        upper += 1
    return upper & 0xFFFF


def safetensors_fixture():
    # name -> (dtype, shape, little-endian bytes)
    tensors = {
        "emb.weight": ("F32", [2, 3], struct.pack("<6f", 1.5, -2.25, 0.125, 1e-3, 3.0e38, -0.0)),
        # 1+2^-8 ties down to 1.0, 1+3*2^-8 ties up to 1.015625 (round half to even)
        "ln.bias": ("BF16", [4], struct.pack("<4H", *[bf16_bits(v) for v in (1.0, -0.5, 1.00390625, 1.01171875)])),
        "proj.weight": ("F16", [2, 2], struct.pack("<4e", 0.5, -1.0, 65504.0, 1.0 / 3.0)),
        "ids": ("I64", [3], struct.pack("<3q", 1, -2, 1 << 40)),
        "mask": ("BOOL", [2], bytes([1, 0])),
        "pixels": ("U8", [2, 2], bytes([0, 255, 7, 128])),
        "empty": ("F32", [0, 4], b""),
        "scalar": ("F32", [], struct.pack("<f", 42.0)),
    }
    size = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8, "BOOL": 1, "U8": 1}
    order = sorted(tensors, key=lambda n: (-size[tensors[n][0]], n))
    header = {"__metadata__": {"format": "pt", "source": "make_core_io_fixtures.py"}}
    data = b""
    for name in order:
        dtype, shape, raw = tensors[name]
        count = 1
        for d in shape:
            count *= d
        assert len(raw) == count * size[dtype], name
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    out = os.path.join(RES, "safetensors", "python_written.safetensors")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def npy_fixtures():
    d = os.path.join(RES, "npy")
    os.makedirs(d, exist_ok=True)
    save = lambda name, a: np.save(os.path.join(d, name), a)
    save("f4_rank3.npy", (np.arange(24, dtype=np.float32) * 0.5 - 3.0).reshape(2, 3, 4))
    save("f4_vector.npy", np.array([1e-3, -7.25, 3.0e38, 0.0, 6.5], dtype=np.float32))
    save("f4_scalar.npy", np.float32(2.5))
    save("f4_empty.npy", np.zeros((0, 3), dtype=np.float32))
    save("f8.npy", np.array([[0.1, -2.5], [3.0, 1e-300]], dtype=np.float64))
    save("i4.npy", np.array([-1, 2, 2147483647], dtype=np.int32))
    save("i8.npy", np.array([[-5, 1 << 40], [7, 0]], dtype=np.int64))
    save("u1.npy", np.array([[0, 255], [7, 128]], dtype=np.uint8))
    save("b1.npy", np.array([True, False, True]))
    save("fortran.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
    save("bigendian.npy", np.arange(3, dtype=">f4"))
    save("structured.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]))
    with open(os.path.join(d, "f4_v2.npy"), "wb") as f:
        np.lib.format.write_array(f, np.array([[1.0, 2.0, 3.0]], dtype=np.float32), version=(2, 0))


if __name__ == "__main__":
    safetensors_fixture()
    npy_fixtures()
