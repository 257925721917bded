#!/usr/bin/python3
"""Writes the seed inputs of the Jazzer fuzz targets and the image-format fixtures.

Run with Debian's /usr/bin/python3 (PIL, numpy):  /usr/bin/python3 tools/make_fuzz_seeds.py
(after tools/make_io_fixtures.py, whose outputs several seeds are copied or extracted from).

Jazzer replays every file of  java/src/test/resources/org/vim4j/<pkg>/<Target>Inputs/<method>/  as a plain
JUnit test in every build (regression mode) and starts fuzzing from them with JAZZER_FUZZ=1, so good seeds
are valid files of each format: the fuzzer then mutates structure it could never guess from nothing.
Findings land in the same directories (crash-<sha1>) and stay there as regression inputs.

image/ fixtures: one small image per colour model the loader must either decode correctly or refuse
clearly (16-bit RGB, grey+alpha, palette with transparency, grey/RGB/CMYK JPEG); ImageFormatsTest checks
them and ImageFuzzer uses them as seeds. Deterministic: fixed pixel data, no timestamps.
"""
import io
import os
import shutil
import struct
import zipfile

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
TEST_RES = os.path.join(HERE, "..", "java", "src", "test", "resources")
IO = os.path.join(TEST_RES, "io")
FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def seed_dir(package, target, method):
    """The inputs directory of the fuzz target org.vim4j.<package>.<target> (package dotted, e.g. "io.pickle")."""
    d = os.path.join(TEST_RES, "org", "vim4j", *package.split("."), target + "Inputs", method)
    os.makedirs(d, exist_ok=True)
    return d


def put(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(*parts):
    with open(os.path.join(IO, *parts), "rb") as f:
        return f.read()


def data_pkl(pth):
    with zipfile.ZipFile(os.path.join(IO, *pth)) as z:
        (name,) = [n for n in z.namelist() if n.endswith("/data.pkl")]
        return z.read(name)


def pickle_seeds():
    d = seed_dir("io.pickle", "PickleFuzzer", "pickle")
    for n in sorted(os.listdir(os.path.join(IO, "pickles"))):
        put(d, n, read("pickles", n))
    for n in ("checkpoint", "views", "dtypes"):
        put(d, n + "_data.pkl", data_pkl(("pth", n + ".pth")))
    for n in ("os_system", "posix_stack_global", "inst_opcode", "payload_in_args"):
        put(d, "evil_" + n + ".pkl", data_pkl(("evil", n + ".pth")))


def pth_seeds():
    d = seed_dir("io.torch", "PthFuzzer", "pth")
    for n in ("bare_state_dict", "views", "dtypes", "extent_lie", "deflated_pickle", "checkpoint"):
        put(d, n + ".pth", read("pth", n + ".pth"))
    for n in ("os_system", "posix_stack_global"):
        put(d, "evil_" + n + ".pth", read("evil", n + ".pth"))


def zip_seeds():
    d = seed_dir("io.torch", "ZipFuzzer", "zip")
    for n in ("views", "deflated_pickle", "compressed_storage"):
        put(d, n + ".zip", read("pth", n + ".pth"))
    # ZIP64 records (torch writes them for archives over 4 GiB): the only way to reach that code in a seed.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data, method in (("a/data.pkl", b"\x80\x02}q\x00.", zipfile.ZIP_STORED),
                                   ("a/data/0", bytes(range(16)), zipfile.ZIP_STORED),
                                   ("a/notes", b"hello hello hello", zipfile.ZIP_DEFLATED)):
            zi = zipfile.ZipInfo(name, FIXED_DATE)
            zi.compress_type = method
            with z.open(zi, "w", force_zip64=True) as f:
                f.write(data)
    put(d, "zip64.zip", buf.getvalue())


def safetensors_file(tensors, metadata=None):
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, arr) in tensors.items():
        raw = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    import json
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * ((8 - (8 + len(hb)) % 8) % 8)
    return struct.pack("<Q", len(hb)) + hb + data


def safetensors_seeds():
    d = seed_dir("io.safetensors", "SafetensorsFuzzer", "safetensors")
    put(d, "handmade.safetensors", read("safetensors", "handmade.safetensors"))
    put(d, "dtypes.safetensors", safetensors_file({
        "f32": ("F32", np.arange(6, dtype="<f4").reshape(2, 3)),
        "bf16": ("BF16", np.array([0x3f80, 0xc000], dtype="<u2")),
        "i64": ("I64", np.array([1, -1], dtype="<i8")),
        "empty": ("F32", np.zeros((0, 4), dtype="<f4")),
        "scalar": ("F64", np.array(2.5, dtype="<f8")),
        "u8": ("U8", np.array([1, 2, 3], dtype="u1")),
    }, {"format": "pt", "vim4j.image_size": "28"}))
    j = seed_dir("io.json", "JsonFuzzer", "json")
    raw = read("safetensors", "handmade.safetensors")
    n = struct.unpack("<Q", raw[:8])[0]
    put(j, "header.json", raw[8:8 + n].rstrip())
    put(j, "values.json", b'{"a":[1,-2.5e-3,true,false,null,"\\u00e9\\n"],"b":{"c":[[]]},"d":12345678901234567890}')


def npy_seeds():
    d = seed_dir("io.npy", "NpyFuzzer", "npy")
    for n in sorted(os.listdir(os.path.join(IO, "npy"))):
        put(d, n, read("npy", n))


def idx(magic, dims, payload):
    return struct.pack(">i", magic) + b"".join(struct.pack(">i", x) for x in dims) + bytes(payload)


def idx_seeds():
    """IdxFuzzer input: one byte n, an n-byte label file, then the image file."""
    d = seed_dir("io.idx", "IdxFuzzer", "idx")
    for name, count, rows, cols in (("three_2x2", 3, 2, 2), ("one_4x3", 1, 4, 3), ("empty", 0, 1, 1)):
        labels = idx(0x801, [count], [i % 10 for i in range(count)])
        images = idx(0x803, [count, rows, cols], [(i * 37) & 0xff for i in range(count * rows * cols)])
        put(d, name + ".bin", bytes([len(labels)]) + labels + images)


def png(img, **kw):
    b = io.BytesIO()
    img.save(b, "PNG", **kw)
    return b.getvalue()


def jpeg(img):
    b = io.BytesIO()
    img.save(b, "JPEG", quality=95, subsampling=0)
    return b.getvalue()


def image_fixtures():
    """Small images whose expected grey level is known: each holds a left half of level 60 and a right half of 200."""
    out = os.path.join(TEST_RES, "image")
    os.makedirs(out, exist_ok=True)
    w, h = 8, 4
    g = np.zeros((h, w), dtype=np.uint8)
    g[:, :4], g[:, 4:] = 60, 200
    rgb = np.stack([g, g, g], axis=-1)
    files = {
        "gray8.png": png(Image.fromarray(g, "L")),
        # 16-bit grey (PIL "I;16"): level * 257 so that the 8-bit equivalent is exact.
        "gray16.png": png(Image.fromarray(g.astype(np.uint16) * 257, "I;16")),
        "gray_alpha.png": png(Image.fromarray(np.stack([g, np.full_like(g, 128)], axis=-1), "LA")),
        "rgba.png": png(Image.fromarray(np.concatenate([rgb, np.full((h, w, 1), 7, np.uint8)], axis=-1), "RGBA")),
        "palette_trns.png": png(Image.fromarray(rgb, "RGB").convert("P", palette=Image.ADAPTIVE, colors=2),
                                transparency=0),
        "gray.jpg": jpeg(Image.fromarray(g, "L")),
        "rgb.jpg": jpeg(Image.fromarray(rgb, "RGB")),
        # CMYK JPEG (PIL writes an Adobe APP14 marker, inverted CMYK): grey level v is C=M=Y=0, K=255-v.
        "cmyk.jpg": jpeg(Image.fromarray(rgb, "RGB").convert("CMYK")),
        "gray.gif": (lambda b: (Image.fromarray(g, "L").save(b, "GIF"), b.getvalue())[1])(io.BytesIO()),
        "rgb.bmp": (lambda b: (Image.fromarray(rgb, "RGB").save(b, "BMP"), b.getvalue())[1])(io.BytesIO()),
    }
    # 16-bit RGB PNG: PIL cannot write it, so assemble the chunks (IHDR bit depth 16, colour type 2).
    import zlib
    rows = b"".join(b"\x00" + b"".join(struct.pack(">HHH", v * 257, v * 257, v * 257) for v in row) for row in g)

    def chunk(t, body):
        return struct.pack(">I", len(body)) + t + body + struct.pack(">I", zlib.crc32(t + body) & 0xffffffff)
    files["rgb16.png"] = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
                          + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))
    d = seed_dir("image", "ImageFuzzer", "image")
    for name, data in files.items():
        put(out, name, data)
        put(d, name, data)


if __name__ == "__main__":
    pickle_seeds()
    pth_seeds()
    zip_seeds()
    safetensors_seeds()
    npy_seeds()
    idx_seeds()
    image_fixtures()
    print("seeds and image fixtures written under", os.path.normpath(TEST_RES))
