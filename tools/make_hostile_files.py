#!/usr/bin/python3
"""Checkpoints that are valid pickles but hostile to a parser's time and memory, into
java/src/test/resources/io/hostile/ (issue 16, "budgets, not patches").

Needs no torch:  python3 tools/make_hostile_files.py [--scale N]   (tools/torch_format.py writes torch.save's format)

Every file holds a genuine one-tensor state dict under 'model' (so the weights alone would load), plus an 'extra'
entry that attacks one class of cost:

  colliding_tuple_keys   a dict of tuple keys (i, -31*i mod 2**32) that all have one Java hash: a hash map
                         degrades to a list (50,000 keys took 211 s; Python loads them in 0.02 s)
  colliding_mixed_keys   str keys ("Aa"/"BB" blocks) and int keys with one and the same Java hash: a tree bin
                         cannot order a str against an int, so every lookup searches the whole bin
  shared_tuple_key       a tuple DAG t_k = (t_k-1, t_k-1), 60 levels, as a dict key: 2**60 leaves to any walk
                         (the hashability check re-walked it)
  equal_tuple_keys       two separately built but equal DAGs as keys of one dict: comparing them walks 2**60
  set_copies             set(L) of one memoised 50,000-item list, 5,000 times: 2 GB of slots from 80 KB
  bytearray_copies       bytearray(B) of one memoised 100 KB bytes, 10,000 times: 1 GB
  encode_copies          _codecs.encode(S, 'latin1') of one memoised 100 KB str, 10,000 times: 1 GB
  ordereddict_copies     OrderedDict(P) of one memoised list of 10,000 pairs, 2,000 times: 20 M dict entries
  build_copies           argparse.Namespace objects BUILT with one memoised 20,000-key dict, 5,000 times:
                         100 M attribute copies
  size_tuple_copies      _rebuild_tensor_v2 with one memoised 100,000-item tuple as size and stride, 10,000
                         times: 16 GB of long[] conversions
  deflated_bomb          data.pkl deflated: 255 KB of file inflating to a 256 MB pickle (128 M opcodes)

Each one is a regression test (HostileFilesTest): refused or loaded in under 2 s and under 256 MB, in a child JVM
with -Xmx256m. --scale multiplies the repetition counts (the committed files use 1; README's "before" timings
use larger scales for a few).
"""
import argparse
import collections
import os
import struct
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_format  # noqa: E402
from torch_format import FIXED_DATE  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "java", "src", "test", "resources", "io")


def out(*parts):
    path = os.path.join(ROOT, *parts)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


class P:
    """Pickle opcodes (protocol 3), with the memo ops Python's pickler would choose."""

    def __init__(self):
        self.b = bytearray(b"\x80\x03")

    def op(self, *codes):
        self.b += bytes(codes)
        return self

    def raw(self, data):
        self.b += data
        return self

    def glob(self, module, name):
        return self.raw(b"c" + module.encode() + b"\n" + name.encode() + b"\n")

    def int(self, v):
        if 0 <= v < 256:
            return self.raw(b"K" + bytes([v]))
        if 0 <= v < 65536:
            return self.raw(b"M" + struct.pack("<H", v))
        if -2**31 <= v < 2**31:
            return self.raw(b"J" + struct.pack("<i", v))
        n = (v.bit_length() + 8) // 8
        return self.raw(b"\x8a" + bytes([n]) + v.to_bytes(n, "little", signed=True))

    def str(self, s):
        e = s.encode("utf-8")
        return self.raw(b"X" + struct.pack("<I", len(e)) + e)

    def bytes(self, data):
        return self.raw(b"B" + struct.pack("<I", len(data)) + data)

    def put(self, i):
        return self.raw(b"q" + bytes([i])) if i < 256 else self.raw(b"r" + struct.pack("<I", i))

    def get(self, i):
        return self.raw(b"h" + bytes([i])) if i < 256 else self.raw(b"j" + struct.pack("<I", i))

    def mark(self):
        return self.op(ord("("))

    def model(self):
        """'model': {'w': a 2x2 float tensor of storage '0'}; leaves the top dict open for 'extra'."""
        self.op(ord("}")).str("model").op(ord("}")).str("w")
        self.glob("torch._utils", "_rebuild_tensor_v2").mark()
        self.mark().str("storage").glob("torch", "FloatStorage").str("0").str("cpu").int(4).op(ord("t"), ord("Q"))
        self.int(0).mark().int(2).int(2).op(ord("t")).mark().int(2).int(1).op(ord("t")).op(0x89)
        self.glob("collections", "OrderedDict").op(ord(")"), ord("R"), ord("t"), ord("R"))
        return self.op(ord("s"), ord("s")).str("extra")

    def stop(self):
        """Closes 'extra' into the top dict and ends the pickle."""
        return bytes(self.op(ord("s"), ord(".")).b)


def write(name, pkl, deflate=False):
    path = out("hostile", name + ".pth")
    with zipfile.ZipFile(path, "w") as z:
        for entry, data, method in [("hostile/data.pkl", pkl, zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED),
                                    ("hostile/data/0", struct.pack("<4f", 1, 2, 3, 4), zipfile.ZIP_STORED),
                                    ("hostile/version", b"3\n", zipfile.ZIP_STORED)]:
            zi = zipfile.ZipInfo(entry, FIXED_DATE)
            zi.compress_type = method
            z.writestr(zi, data)
    print("%-28s %9d bytes (data.pkl %d bytes)" % (name + ".pth", os.path.getsize(path), len(pkl)))


def torch_save(name, extra):
    path = out("hostile", name + ".pth")
    w = torch_format.Tensor((2, 2), struct.pack("<4f", 1, 2, 3, 4))
    torch_format.save({"model": collections.OrderedDict([("w", w)]), "extra": extra}, path, prefix=name)
    print("%-28s %9d bytes" % (name + ".pth", os.path.getsize(path)))


def java_string_hash(s):
    h = 0
    for c in s:
        h = (31 * h + ord(c)) & 0xFFFFFFFF
    return h


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=1)
    scale = ap.parse_args().scale

    # Java's hash of a 2-tuple of longs (a, b) is 31 * (31 + hash(a)) + hash(b), and hash(x) of a long below 2**32
    # is its low 32 bits: (i, -31 i mod 2**32) all hash to 961. Python's tuple hash mixes them apart.
    n = 16000 * scale
    torch_save("colliding_tuple_keys", {(i, (-31 * i) % 2**32): None for i in range(n)})

    # 2**13 strings of "Aa"/"BB" blocks share one String.hashCode H; longs (j << 32) | (H ^ j) have hash H too.
    k = 13
    strings = [""]
    for _ in range(k):
        strings = [s + b for s in strings for b in ("Aa", "BB")]
    h = java_string_hash(strings[0])
    mixed = {}
    for j, s in enumerate(strings):
        mixed[s] = None
        mixed[((j + 1) << 32) | (h ^ (j + 1))] = None
    torch_save("colliding_mixed_keys", mixed)

    # t_0 = (), t_k = (t_k-1, t_k-1): each level is two memo gets and TUPLE2.
    def dag(p, first_memo):
        p.op(ord(")")).put(first_memo).op(ord("0"))
        for level in range(1, 61):
            p.get(first_memo + level - 1).get(first_memo + level - 1).op(0x86).put(first_memo + level).op(ord("0"))
        return p.get(first_memo + 60)

    p = P().model().op(ord("}"))
    dag(p, 10).int(1).op(ord("s"))
    write("shared_tuple_key", p.stop())
    p = P().model().op(ord("}"))
    dag(p, 10).int(1).op(ord("s"))
    dag(p, 100).int(2).op(ord("s"))
    write("equal_tuple_keys", p.stop())

    # Allow-listed calls that copy a memoised value, again and again, kept alive in one list.
    def copies(setup, call, times):
        p = P().model()
        setup(p)
        p.op(ord("]"))
        for start in range(0, times, 1000):
            p.mark()
            for _ in range(min(1000, times - start)):
                call(p)
            p.op(ord("e"))
        return p.stop()

    items = 50000
    write("set_copies", copies(
        lambda p: p.glob("builtins", "set").put(1).op(ord("0")).op(ord("]")).put(2).mark().raw(b"N" * items).op(ord("e"), ord("0")),
        lambda p: p.get(1).get(2).op(0x85, ord("R")), 5000 * scale))
    write("bytearray_copies", copies(
        lambda p: p.glob("builtins", "bytearray").put(1).op(ord("0")).bytes(b"\x01" * 100000).put(2).op(ord("0")),
        lambda p: p.get(1).get(2).op(0x85, ord("R")), 10000 * scale))
    write("encode_copies", copies(
        lambda p: p.glob("_codecs", "encode").put(1).op(ord("0")).str("x" * 100000).put(2).op(ord("0")).str("latin1").put(3)
        .op(ord("0")),
        lambda p: p.get(1).get(2).get(3).op(0x86, ord("R")), 10000 * scale))

    def pairs(p):
        p.glob("collections", "OrderedDict").put(1).op(ord("0")).op(ord("]")).put(2)
        for start in range(0, 10000, 1000):
            p.mark()
            for i in range(start, start + 1000):
                p.op(ord("]")).str("k%d" % i).op(ord("a")).op(ord("N"), ord("a"))
            p.op(ord("e"))
        p.op(ord("0"))
    write("ordereddict_copies", copies(pairs, lambda p: p.get(1).get(2).op(0x85, ord("R")), 2000 * scale))

    def state(p):
        p.glob("argparse", "Namespace").put(1).op(ord("0")).op(ord("}")).put(2)
        for start in range(0, 20000, 1000):
            p.mark()
            for i in range(start, start + 1000):
                p.str("a%d" % i).op(ord("N"))
            p.op(ord("u"))
        p.op(ord("0"))
    write("build_copies", copies(state, lambda p: p.get(1).op(ord(")"), ord("R")).get(2).op(ord("b")), 5000 * scale))

    def size_tuple(p):
        p.glob("torch._utils", "_rebuild_tensor_v2").put(1).op(ord("0"))
        p.mark().str("storage").glob("torch", "FloatStorage").str("0").str("cpu").int(4).op(ord("t"), ord("Q")).put(2)
        p.op(ord("0"))
        p.mark().raw(b"K\x01" * 100000).op(ord("t")).put(3).op(ord("0"))
        p.glob("collections", "OrderedDict").op(ord(")"), ord("R")).put(4).op(ord("0"))
    write("size_tuple_copies", copies(
        size_tuple, lambda p: p.get(1).mark().get(2).int(0).get(3).get(3).op(0x89).get(4).op(ord("t"), ord("R")),
        10000 * scale))

    # 256 MB of "None, POP" after the model: deflate shrinks it a thousandfold.
    bomb = bytearray(P().model().b)
    bomb += b"N0" * ((256 * 1024 * 1024 - len(bomb) - 64) // 2)
    bomb += b"Ns."
    write("deflated_bomb", bytes(bomb), deflate=True)


if __name__ == "__main__":
    main()
