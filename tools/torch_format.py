#!/usr/bin/python3
"""torch.save's zip format written without torch, for fixtures on machines that have no torch.

What torch.save (>= 1.6) writes, and what this writes the same way: a zip of STORED entries
<prefix>/data.pkl (the object, pickled with protocol 2; each tensor reduces to
torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict()) and each storage is
the persistent id ('storage', torch.FloatStorage, key, 'cpu', numel)), <prefix>/data/<key> (raw little-endian
elements, aligned to 64 bytes in the file through an 'FB' extra field), <prefix>/version and <prefix>/byteorder.
Python's own pickle does the pickling, so memo use, batching and opcode choice are the real pickler's.

Nothing here imports torch: stand-in modules named torch and torch._utils are registered for the pickler to
name (pickle writes a global by module and name, and checks that they resolve).
"""
import collections
import pickle
import struct
import sys
import types
import zipfile

FIXED_DATE = (1980, 1, 1, 0, 0, 0)


def _module(name):
    if name not in sys.modules:
        sys.modules[name] = types.ModuleType(name)
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(_module(parent), child, sys.modules[name])
    return sys.modules[name]


def _global_function(module, name):
    def stand_in(*args):
        raise RuntimeError("a stand-in for %s.%s is never called" % (module, name))
    stand_in.__module__, stand_in.__name__, stand_in.__qualname__ = module, name, name
    setattr(_module(module), name, stand_in)
    return stand_in


def _global_class(module, name):
    cls = type(name, (), {"__module__": module})
    setattr(_module(module), name, cls)
    return cls


if "torch" in sys.modules and hasattr(sys.modules["torch"], "save"):
    raise RuntimeError("torch_format must not be mixed with the real torch in one process")
_REBUILD = _global_function("torch._utils", "_rebuild_tensor_v2")
STORAGE_TYPES = {"f": _global_class("torch", "FloatStorage"), "q": _global_class("torch", "LongStorage")}


class Storage:
    """Raw elements of one storage; fmt is a struct code ('f' float32, 'q' int64)."""

    def __init__(self, data, fmt="f"):
        self.data, self.fmt = data, fmt
        self.key = None

    def numel(self):
        return len(self.data) // struct.calcsize(self.fmt)


class Tensor:
    """A contiguous tensor over a whole Storage."""

    def __init__(self, shape, data, fmt="f"):
        self.shape = tuple(shape)
        self.storage = Storage(data, fmt)
        n = 1
        for s in self.shape:
            n *= s
        if n != self.storage.numel():
            raise ValueError("shape %s needs %d elements, data holds %d" % (self.shape, n, self.storage.numel()))

    def __reduce_ex__(self, protocol):
        stride, acc = [], 1
        for s in reversed(self.shape):
            stride.insert(0, acc)
            acc *= s
        return _REBUILD, (self.storage, 0, self.shape, tuple(stride), False, collections.OrderedDict())


def save(obj, path, prefix="archive"):
    """Writes obj as torch.save would (torch >= 1.6 zip format)."""
    storages = []

    class Pickler(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, Storage):
                if o.key is None:
                    o.key = str(len(storages))
                    storages.append(o)
                return ("storage", STORAGE_TYPES[o.fmt], o.key, "cpu", o.numel())
            return None

    import io
    buf = io.BytesIO()
    Pickler(buf, protocol=2).dump(obj)
    with zipfile.ZipFile(path, "w") as z:
        entries = [(prefix + "/data.pkl", buf.getvalue())]
        entries += [(prefix + "/data/" + s.key, s.data) for s in storages]
        entries += [(prefix + "/version", b"3\n"), (prefix + "/byteorder", b"little")]
        for name, data in entries:
            zi = zipfile.ZipInfo(name, FIXED_DATE)
            zi.compress_type = zipfile.ZIP_STORED
            header = z.fp.tell() + 30 + len(name.encode()) + 4
            pad = -header % 64
            zi.extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad
            z.writestr(zi, data)
    for s in storages:
        s.key = None
