#!/usr/bin/python3
"""Golden files for the safetensors tests, produced by Hugging Face's own safetensors library (Rust core,
Python bindings) with numpy; slmops does not run this in its default tests, it reads what this wrote.

    python3 make_goldens.py OUT_DIR [OURS.safetensors ...]

writes into OUT_DIR:
  ref_mixed.safetensors     every dtype numpy can hand to safetensors, awkward names (ordering), a scalar, an
                            empty tensor, metadata {"format": "pt"}: our reader must read it, and our writer must
                            reproduce it byte for byte from the same tensors
  ref_nometa.safetensors    the same library without __metadata__
  ref_f16.safetensors       "f32": edge-case and random floats; "f16": numpy's float16 rounding of them (nearest
                            even), the reference for our F32->F16 conversion
  bad_*.safetensors         hand-assembled malformed files (built here from the spec, not by the library)
  expected.json             per good file: tensors (dtype, shape, hex of the bytes) and metadata as the reference
                            loaded them; per bad file: whether the reference rejected it and its error
Files named after OUT_DIR (ours) are loaded with the reference and their tensors printed: the check that the
reference reads what slmops writes (run by SafetensorsGoldenRegenerationTest, opt-in).

Needs the `safetensors` Python package (Debian trixie: python3-safetensors; pip: safetensors) and numpy.
On Debian bookworm run it through reference-python.sh beside this file. The committed goldens were made with
Debian trixie's python3-safetensors 0.5.2-1+b1 (its extension reports __version__ 0.4.5) and bookworm's numpy
1.24.2. Regenerate and check for drift: SLMOPS_REGENERATE_GOLDENS=1 ./mvnw -pl model -am test
-Dtest=SafetensorsGoldenRegenerationTest -Dsurefire.failIfNoSpecifiedTests=false
"""
import json
import os
import struct
import sys

import numpy as np
import safetensors
from safetensors.numpy import load, save

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def mixed():
    rng = np.random.default_rng(1234)
    return {
        "model.embed_tokens.weight": (np.arange(12, dtype=np.float32).reshape(4, 3) * 0.5 - 1.0),
        "lm_head.weight": rng.standard_normal((3, 4)).astype(np.float16),
        "layers.10.w": np.array([1.0 / 3.0, -2.5e300], dtype=np.float64),
        "layers.2.w": np.array([[-(2 ** 40)], [7]], dtype=np.int64),
        "Zeta": np.array([-1, 0, 2 ** 31 - 1], dtype=np.int32),
        "alpha": np.array([[1, -2], [300, -32768]], dtype=np.int16),
        "i8": np.array([-128, -1, 0, 1, 127], dtype=np.int8),
        "u8": np.array([0, 128, 255], dtype=np.uint8),
        "mask": np.array([[True, False], [False, True]]),
        "scalar": np.array(3.25, dtype=np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "h\u00e9llo/\u00fcn\u00efcode": np.array([42.0], dtype=np.float32),
        "\U0001D518nicode-astral": np.array([1], dtype=np.uint8),   # above U+FFFF: UTF-8 order != UTF-16 order
        "\uFF5Afull": np.array([2], dtype=np.uint8),                  # U+FF5A: sorts before the astral name in UTF-8
    }


def f16_inputs():
    edge = [0.0, -0.0, 1.0, -1.0, 65504.0, 65519.99, 65520.0, 1e9, -1e9, 6.1035156e-05, 5.9604645e-08,
            2.9802322e-08, 2.9802326e-08, 8.940697e-08, 1e-12, float("inf"), float("-inf"),
            1.0 + 2 ** -11, 1.0 + 3 * 2 ** -11, 1.0 + 2 ** -11 + 2 ** -20, 2048.0 + 1.0, 2048.0 + 3.0,
            0.1, 1.0 / 3.0, 3.14159265]
    rng = np.random.default_rng(99)
    rand = np.concatenate([rng.standard_normal(2000) * 10.0 ** rng.integers(-9, 6, 2000),
                           rng.uniform(-70000, 70000, 500)])
    return np.concatenate([np.array(edge), rand]).astype(np.float32)


def describe(tensors):
    return {name: {"dtype": str(a.dtype), "shape": list(a.shape), "hex": a.astype(a.dtype.newbyteorder("<")).tobytes().hex()}
            for name, a in tensors.items()}


def header_file(header_json, data=b"", length=None):
    h = header_json.encode("utf-8") if isinstance(header_json, str) else header_json
    return struct.pack("<Q", len(h) if length is None else length) + h + data


bad = {
    "bad_gap": header_file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', b"\0" * 8),
    "bad_overlap": header_file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                               '"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', b"\0" * 8),
    "bad_trailing": header_file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', b"\0" * 8),
    "bad_truncated": header_file('{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', b"\0" * 8),
    "bad_size_mismatch": header_file('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', b"\0" * 8),
    "bad_header_too_long": header_file('{}', b"", length=1 << 40),
    "bad_header_100mb": header_file('{}', b"", length=100_000_001),
    "bad_not_json": header_file('{"a":{"dtype":"F32",', b""),
    "bad_not_utf8": header_file(b'{"\xff\xfe":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b"\0"),
    "bad_dtype_unknown": header_file('{"a":{"dtype":"F7","shape":[1],"data_offsets":[0,1]}}', b"\0"),
    "bad_shape_overflow": header_file('{"a":{"dtype":"F32","shape":[4611686018427387904,4],'
                                      '"data_offsets":[0,0]}}', b""),
    "bad_negative_offset": header_file('{"a":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}}', b"\0"),
    "bad_metadata_not_string": header_file('{"__metadata__":{"k":1},"a":{"dtype":"U8","shape":[1],'
                                           '"data_offsets":[0,1]}}', b"\0"),
    "bad_short": b"\x08\0\0",
    "bad_duplicate_name": header_file('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},'
                                      '"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', b"\0"),
}

expected = {"library": "safetensors " + getattr(safetensors, "__version__", "?"), "numpy": np.__version__,
            "good": {}, "bad": {}}
good = {
    "ref_mixed": (mixed(), {"format": "pt"}),
    "ref_nometa": ({"b": np.array([1, 2], dtype=np.int32), "a": np.array([0.5], dtype=np.float64)}, None),
}
f32 = f16_inputs()
good["ref_f16"] = ({"f32": f32, "f16": f32.astype(np.float16)}, {"format": "pt"})

for name, (tensors, metadata) in good.items():
    blob = save(tensors, metadata=metadata)
    with open(os.path.join(out, name + ".safetensors"), "wb") as f:
        f.write(blob)
    loaded = load(blob)
    meta = json.loads(blob[8:8 + struct.unpack("<Q", blob[:8])[0]]).get("__metadata__")
    expected["good"][name] = {"tensors": describe(loaded), "metadata": meta}

for name, blob in bad.items():
    with open(os.path.join(out, name + ".safetensors"), "wb") as f:
        f.write(blob)
    try:
        load(blob)
        verdict = {"rejected": False, "error": None}
    except Exception as e:  # the reference's SafetensorError
        verdict = {"rejected": True, "error": str(e)}
    expected["bad"][name] = verdict

with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
    f.write("\n")

for path in sys.argv[2:]:
    with open(path, "rb") as f:
        blob = f.read()
    loaded = load(blob)
    meta = json.loads(blob[8:8 + struct.unpack("<Q", blob[:8])[0]]).get("__metadata__")
    print(json.dumps({"file": os.path.basename(path), "metadata": meta, "tensors": describe(loaded)}, sort_keys=True))
