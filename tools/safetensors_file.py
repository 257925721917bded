"""Minimal safetensors reader/writer for the fixture and training scripts (F32 tensors only).

Layout: u64 little-endian header length n, n bytes of JSON header (padded with spaces to a multiple of 8
so the data starts 8-byte aligned), then the raw little-endian tensor bytes back to back in state-dict
order; data_offsets are relative to the start of the data. `__metadata__` holds string values.
"""

import collections
import json
import struct

import numpy as np
import torch


def write_safetensors(path, state_dict, metadata):
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs, offset = [], 0
    for name, t in state_dict.items():
        assert t.dtype == torch.float32, name
        b = np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4")).tobytes(order="C")
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * (-len(hb) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """Returns (OrderedDict name -> float32 tensor, metadata dict)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n).decode("utf-8"))
        data = f.read()
    out = collections.OrderedDict()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[b:e], dtype="<f4").copy()).reshape(info["shape"])
    return out, header.get("__metadata__", {})
