#!/usr/bin/python3
"""Writes the small test fixtures of org.vim4j.io into java/src/test/resources/io/.

Run with Debian's /usr/bin/python3 (torch 1.13 + numpy):  /usr/bin/python3 tools/make_io_fixtures.py

Deterministic: fixed seeds, fixed zip timestamps; torch.save itself writes no timestamps.
Every fixture is a few KB. The Java tests never run Python; they only read what this script wrote.

Fixture groups
  pth/        real torch.save files (bare state dict, training container, views, dtypes, ...),
              each with a <name>.expected.json holding what torch itself reports (shape, dtype, values);
              plus files edited by hand here (compressed storage, short storage, extent lie).
  evil/       torch-style zips whose data.pkl references a dangerous callable. Each payload, if it
              were ever executed, would create /tmp/vim4j-io-pwned-<case>; the tests assert it never appears.
  pickles/    plain pickles of inert data in protocols 0..5 (exercise every opcode family).
  npy/        numpy files (v1/v2/v3 headers, plus the dtypes/orders vim4j must refuse).
  safetensors/ a safetensors file assembled byte by byte from the format description.
"""
import argparse
import collections
import io
import json
import os
import pickle
import struct
import subprocess
import zipfile

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "java", "src", "test", "resources", "io")
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
MARKER = "/tmp/vim4j-io-pwned-"


def out(*parts):
    path = os.path.join(ROOT, *parts)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def expected_json(tensors):
    """What torch says each tensor is: shape, dtype name and its values in C order."""
    result = collections.OrderedDict()
    for name, t in tensors.items():
        entry = {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", "")}
        flat = t.contiguous().reshape(-1)
        if t.dtype.is_floating_point:
            entry["values"] = flat.double().tolist()  # float32/16/bf16 are exact in a double
        elif t.dtype == torch.bool:
            entry["values"] = [1 if v else 0 for v in flat.tolist()]
        else:
            entry["values"] = flat.tolist()
        result[name] = entry
    return result


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def rezip(src, dst, transform):
    """Copies a zip entry by entry; transform(name, data) -> (data, compress_type) or None to drop."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            r = transform(info.filename, zin.read(info.filename))
            if r is None:
                continue
            data, method = r
            zi = zipfile.ZipInfo(info.filename, FIXED_DATE)
            zi.compress_type = method
            zout.writestr(zi, data)


def torch_like_zip(dst, prefix, pkl, storages=None):
    """A zip laid out like torch.save's: <prefix>/data.pkl, <prefix>/data/<key>, <prefix>/version."""
    with zipfile.ZipFile(dst, "w") as z:
        entries = [(prefix + "/data.pkl", pkl)]
        for key, data in (storages or {}).items():
            entries.append((prefix + "/data/" + key, data))
        entries.append((prefix + "/version", b"3\n"))
        for name, data in entries:
            zi = zipfile.ZipInfo(name, FIXED_DATE)
            zi.compress_type = zipfile.ZIP_STORED
            z.writestr(zi, data)


class Emitter:
    """Writes pickle opcodes by hand, for pickles Python's pickler would never produce."""

    def __init__(self, proto=2):
        self.b = bytearray(b"\x80" + bytes([proto]))

    def raw(self, data):
        self.b += data
        return self

    def glob(self, module, name):
        return self.raw(b"c" + module.encode() + b"\n" + name.encode() + b"\n")

    def int(self, v):
        if 0 <= v < 256:
            return self.raw(b"K" + bytes([v]))
        if -2**31 <= v < 2**31:
            return self.raw(b"J" + struct.pack("<i", v))
        n = (v.bit_length() + 8) // 8
        return self.raw(b"\x8a" + bytes([n]) + v.to_bytes(n, "little", signed=True))

    def str(self, s):
        e = s.encode()
        return self.raw(b"X" + struct.pack("<I", len(e)) + e)

    def mark(self):
        return self.raw(b"(")

    def tuple(self):
        return self.raw(b"t")

    def tensor(self, key, storage_type, numel, offset, size, stride):
        """_rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict())."""
        self.glob("torch._utils", "_rebuild_tensor_v2").mark()
        self.mark().str("storage").glob("torch", storage_type).str(key).str("cpu").int(numel).tuple().raw(b"Q")
        self.int(offset)
        self.mark()
        for d in size:
            self.int(d)
        self.tuple().mark()
        for s in stride:
            self.int(s)
        self.tuple().raw(b"\x89").glob("collections", "OrderedDict").raw(b")R").tuple().raw(b"R")
        return self

    def stop(self):
        return bytes(self.b + b".")


class TinyVim(torch.nn.Module):
    """A few tensors named like Vim's state dict (spec section 4), sized to keep fixtures tiny."""

    def __init__(self):
        super().__init__()
        self.cls_token = torch.nn.Parameter(torch.randn(1, 1, 4))
        self.pos_embed = torch.nn.Parameter(torch.randn(1, 5, 4))
        self.patch_embed = torch.nn.Module()
        self.patch_embed.proj = torch.nn.Conv2d(3, 4, 2, 2)
        self.layers = torch.nn.ModuleList([torch.nn.Module()])
        self.layers[0].mixer = torch.nn.Module()
        self.layers[0].mixer.A_log = torch.nn.Parameter(torch.randn(8, 2))
        self.layers[0].mixer.in_proj = torch.nn.Linear(4, 16, bias=False)
        self.norm_f = torch.nn.Module()
        self.norm_f.weight = torch.nn.Parameter(torch.ones(4))
        self.head = torch.nn.Linear(4, 3)


def make_pth():
    torch.manual_seed(1234)
    model = TinyVim()
    sd = model.state_dict()

    # 1. A bare state dict (an OrderedDict of tensors, as state_dict() returns it). torch 1.x names the
    #    zip's folder after the file stem: "bare_state_dict", not "archive".
    torch.save(sd, out("pth", "bare_state_dict.pth"))
    write_json(out("pth", "bare_state_dict.expected.json"), expected_json(sd))

    # 2. The same saved to a buffer: torch names the folder "archive" then.
    buf = io.BytesIO()
    torch.save(sd, buf)
    with open(out("pth", "archive_prefix.pth"), "wb") as f:
        f.write(buf.getvalue())

    # 3. DDP-style keys ("module." on every key) in a bare dict (saved before training changes sd).
    ddp = collections.OrderedDict(("module." + k, v) for k, v in sd.items())
    torch.save(ddp, out("pth", "ddp_prefix.pth"))

    # 4. The training container DeiT/Vim's main.py writes.
    opt = torch.optim.AdamW(model.parameters(), lr=5e-4)
    loss = sum((p * p).sum() for p in model.parameters())
    loss.backward()
    opt.step()
    ema = TinyVim()
    with torch.no_grad():
        for pe, pm in zip(ema.parameters(), model.parameters()):
            pe.copy_(pm * 0.5 + 0.25)
    args = argparse.Namespace(
        input_size=224,
        model="vim_tiny_patch16_224_bimambav2_final_pool_mean_abs_pos_embed_with_midclstok_div2",
        batch_size=128, lr=5e-4, drop_path=0.05, model_ema=True, model_ema_decay=0.99996,
        resume="", output_dir="./output", sched="cosine", betas=None, opt_eps=1e-8,
        color_jitter=0.3, mean=(0.485, 0.456, 0.406), gpu_ids=[0, 1, 2, 3], eval=False,
        seed=0, epochs=300, big=2**70, neg=-123456789012,
    )
    container = {
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "lr_scheduler": {"sched": "cosine", "t_initial": 300, "base_values": [5e-4]},
        "epoch": 299,
        "model_ema": ema.state_dict(),
        "scaler": {"scale": 65536.0, "growth_factor": 2.0, "_growth_tracker": 7},
        "args": args,
    }
    torch.save(container, out("pth", "checkpoint.pth"))
    write_json(out("pth", "checkpoint.expected.json"), {
        "model": expected_json(container["model"]),
        "model_ema": expected_json(container["model_ema"]),
    })

    # 5. Views: storage offsets, transposes, strided columns, stride-0 expands, 0-d and empty tensors.
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    views = collections.OrderedDict([
        ("base", base),
        ("transposed", base.t()),
        ("rows", base[1:3]),
        ("column", base[:, 2]),
        ("narrow", base[:, 1:4]),
        ("unit_row", base[2:3]),
        ("expanded", torch.arange(3, dtype=torch.float32).reshape(3, 1).expand(3, 4)),
        ("scalar", torch.tensor(3.5)),
        ("empty", torch.zeros(0, 3)),
        ("permuted", torch.arange(24, dtype=torch.float32).reshape(2, 3, 4).permute(2, 0, 1)),
    ])
    torch.save(views, out("pth", "views.pth"))
    exp = expected_json(views)
    for name, t in views.items():
        exp[name]["stride"] = list(t.stride())
        exp[name]["storage_offset"] = t.storage_offset()
    write_json(out("pth", "views.expected.json"), exp)

    # 6. Every storage dtype vim4j maps.
    dt = collections.OrderedDict([
        ("f16", torch.tensor([0.5, -1.25, 65504.0, 1e-4, 0.0, -0.0], dtype=torch.float16)),
        ("bf16", torch.tensor([[1.0, -2.5], [3.0e38, 1e-30]], dtype=torch.bfloat16)),
        ("f64", torch.tensor([1.0 / 3.0, -2.0, 1e300], dtype=torch.float64)),
        ("i64", torch.tensor([0, -1, 2**40 + 3, -2**62, 2**63 - 1], dtype=torch.int64)),
        ("i32", torch.tensor([7, -8, 2**31 - 1], dtype=torch.int32)),
        ("i16", torch.tensor([-300, 300], dtype=torch.int16)),
        ("i8", torch.tensor([-128, 127, 5], dtype=torch.int8)),
        ("u8", torch.tensor([0, 200, 255], dtype=torch.uint8)),
        ("bool", torch.tensor([True, False, True], dtype=torch.bool)),
    ])
    torch.save(dt, out("pth", "dtypes.pth"))
    write_json(out("pth", "dtypes.expected.json"), expected_json(dt))

    # 7. The pre-1.6 format (a bare pickle stream): vim4j refuses it with a clear message.
    #    Its storage keys are memory addresses, so only the deterministic head is kept: the three
    #    leading pickles (magic number, protocol version, sys info), which is all a sniffer sees.
    buf = io.BytesIO()
    torch.save(collections.OrderedDict([("w", torch.ones(2))]), buf, _use_new_zipfile_serialization=False)
    buf.seek(0)
    for _ in range(3):
        pickle.load(buf)
    with open(out("pth", "legacy.pth"), "wb") as f:
        f.write(buf.getvalue()[:buf.tell()])

    bare = out("pth", "bare_state_dict.pth")
    # 8. A storage entry compressed with deflate: tensors must be mapped raw, so vim4j refuses.
    rezip(bare, out("pth", "compressed_storage.pth"),
          lambda n, d: (d, zipfile.ZIP_DEFLATED if "/data/" in n else zipfile.ZIP_STORED))
    # 9. data.pkl compressed (storages stored): fine, the pickle is small and may be inflated.
    rezip(bare, out("pth", "deflated_pickle.pth"),
          lambda n, d: (d, zipfile.ZIP_DEFLATED if n.endswith("data.pkl") else zipfile.ZIP_STORED))
    # 10. Storage 0 cut short by 4 bytes: shorter than the numel its persistent id declares.
    rezip(bare, out("pth", "short_storage.pth"),
          lambda n, d: (d[:-4] if n.endswith("/data/0") else d, zipfile.ZIP_STORED))
    # 11. A big-endian byteorder record.
    rezip(bare, out("pth", "big_endian.pth"), lambda n, d: (d, zipfile.ZIP_STORED))
    with zipfile.ZipFile(out("pth", "big_endian.pth"), "a") as z:
        zi = zipfile.ZipInfo("bare_state_dict/byteorder", FIXED_DATE)
        z.writestr(zi, b"big")
    # 12. A tensor claiming (4, 4) over a storage of 6 floats (the pickle lies about the extent).
    pkl = Emitter().raw(b"}").str("w").tensor("0", "FloatStorage", 6, 0, (4, 4), (4, 1)).raw(b"s").stop()
    torch_like_zip(out("pth", "extent_lie.pth"), "lie", pkl, {"0": struct.pack("<6f", *range(6))})
    # 13. Same storage, offset so that the last element lies one past the end.
    pkl = Emitter().raw(b"}").str("w").tensor("0", "FloatStorage", 6, 3, (2, 2), (2, 1)).raw(b"s").stop()
    torch_like_zip(out("pth", "offset_lie.pth"), "lie", pkl, {"0": struct.pack("<6f", *range(6))})


class Reduce:
    """An object whose pickled form is `callable(*args)`: how real pickle exploits are written."""

    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return self.fn, self.args


def make_evil():
    def cmd(case):
        return "touch " + MARKER + case

    # GLOBAL 'os system' + REDUCE, written opcode by opcode (Python itself would write 'posix system').
    pkl = Emitter().glob("os", "system").str(cmd("os_system")).raw(b"\x85R").stop()
    torch_like_zip(out("evil", "os_system.pth"), "evil", pkl)
    # GLOBAL 'builtins eval' on an expression that would import os.
    pkl = Emitter().glob("builtins", "eval").str("__import__('os').system('" + cmd("eval") + "')").raw(b"\x85R").stop()
    torch_like_zip(out("evil", "builtins_eval.pth"), "evil", pkl)
    # STACK_GLOBAL 'posix system': exactly what Python's own pickler writes for os.system at protocol 4.
    pkl = pickle.dumps(Reduce(os.system, (cmd("posix"),)), protocol=4)
    assert b"\x93" in pkl and b"posix" in pkl
    torch_like_zip(out("evil", "posix_stack_global.pth"), "evil", pkl)
    # subprocess.Popen(['touch', marker]) pickled by Python.
    # protocol 3: at 2, fix_imports would respell it as the Python 2 module "commands".
    pkl = pickle.dumps(Reduce(subprocess.Popen, (["touch", MARKER + "popen"],)), protocol=3)
    assert b"subprocess\nPopen" in pkl
    torch_like_zip(out("evil", "subprocess_popen.pth"), "evil", pkl)
    # Protocol 0 INST opcode: instantiates os.system directly, without REDUCE.
    pkl = b"(S'" + cmd("inst").encode() + b"'\nios\nsystem\n."
    torch_like_zip(out("evil", "inst_opcode.pth"), "evil", pkl)
    # __builtin__.getattr (the Python 2 spelling that fix_imports maps to builtins).
    pkl = (Emitter().glob("__builtin__", "getattr").glob("os", "path").str("exists").raw(b"\x86R")
           .stop())
    torch_like_zip(out("evil", "builtin_getattr.pth"), "evil", pkl)
    # A name inside an allowed module that is not itself allowed.
    pkl = Emitter().glob("torch._utils", "_import_dotted_name").str("os.system").raw(b"\x85R").stop()
    torch_like_zip(out("evil", "torch_utils_other.pth"), "evil", pkl)
    # A genuine checkpoint whose (unselected) 'args' entry hides a payload: the whole file is refused.
    torch.manual_seed(7)
    sd = collections.OrderedDict([("w", torch.randn(2, 2))])
    torch.save({"model": sd, "args": Reduce(os.system, (cmd("in_args"),))}, out("evil", "payload_in_args.pth"))


def make_pickles():
    """Inert data in every protocol; RestrictedUnpicklerTest checks the decoded values."""
    data = {
        "int": 1, "neg": -2, "i16": 40000, "i32": -70000, "big": 2**70, "bigneg": -(2**65),
        "float": 1.5, "str": "héllo", "none": None, "t": True, "f": False,
        "list": [1, "two", 3.0], "tuple": (1, (2, 3)), "empty_tuple": (), "bytes": b"ab\x00\xff",
        "set": {7}, "nested": {"a": [{"b": None}]}, "shared": None,
    }
    shared = [1, 2]
    data["shared"] = (shared, shared)  # exercises the memo
    for proto in range(6):
        with open(out("pickles", "inert_p%d.pkl" % proto), "wb") as f:
            f.write(pickle.dumps(data, protocol=proto))
    # Protocol 5 bytearray (BYTEARRAY8) and an OrderedDict / Namespace like a torch checkpoint holds.
    ns = argparse.Namespace(input_size=384, model="vim_small")
    with open(out("pickles", "namespace_p2.pkl"), "wb") as f:
        f.write(pickle.dumps({"args": ns, "od": collections.OrderedDict([("x", 1)])}, protocol=2))
    with open(out("pickles", "bytearray_p5.pkl"), "wb") as f:
        f.write(pickle.dumps(bytearray(b"xyz"), protocol=5))


def make_npy():
    a = (np.arange(24, dtype=np.float32) * 0.5 - 1.0).reshape(2, 3, 4)
    np.save(out("npy", "f32_2x3x4.npy"), a)
    with open(out("npy", "f32_v2.npy"), "wb") as f:
        np.lib.format.write_array(f, a[0], version=(2, 0))
    with open(out("npy", "f32_v3.npy"), "wb") as f:
        np.lib.format.write_array(f, a[1, 0], version=(3, 0))
    np.save(out("npy", "scalar.npy"), np.array(2.25, dtype=np.float32))
    np.save(out("npy", "f64.npy"), np.arange(3, dtype=np.float64))
    np.save(out("npy", "fortran.npy"), np.asfortranarray(a[0]))
    np.save(out("npy", "big_endian.npy"), np.arange(3, dtype=">f4"))
    np.save(out("npy", "int32.npy"), np.arange(3, dtype=np.int32))


def make_safetensors():
    """Assembled from the format description: u64 LE header size, JSON header, raw LE data."""
    w = np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5
    h = np.array([1.0, -0.5, 2.0], dtype=np.float16)
    b = np.arange(4, dtype=np.float32) * 10
    data = w.tobytes() + b.tobytes() + h.tobytes()
    header = {
        "__metadata__": {"format": "pt", "source": "make_io_fixtures"},
        "weight": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
        "bias": {"dtype": "F32", "shape": [4], "data_offsets": [24, 40]},
        "half": {"dtype": "F16", "shape": [3], "data_offsets": [40, 46]},
    }
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * ((8 - (8 + len(hb)) % 8) % 8)
    with open(out("safetensors", "handmade.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(hb)) + hb + data)


if __name__ == "__main__":
    make_pth()
    make_evil()
    make_pickles()
    make_npy()
    make_safetensors()
    total = 0
    for d, _, files in os.walk(ROOT):
        for n in files:
            total += os.path.getsize(os.path.join(d, n))
    print("fixtures written under", os.path.normpath(ROOT), "total bytes", total)
