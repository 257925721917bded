#!/usr/bin/python3
"""More malicious checkpoints, written by Python's own pickle/torch.save, into java/src/test/resources/io/evil/.

Run with Debian's /usr/bin/python3 (torch 1.13):  /usr/bin/python3 tools/make_evil_pickles.py

tools/make_io_fixtures.py writes the first eight (os.system, eval, posix.system via STACK_GLOBAL, Popen, INST,
getattr, a non-allowed name in an allowed module, a payload in 'args'). These add the other ways a pickle
reaches code: exec, functools.partial, operator.methodcaller, importlib, pickle.loads of a nested pickle,
marshal.loads of bytecode, shutil.rmtree, the copyreg extension registry (EXT1 opcode), a payload hidden inside
the state dict being loaded, one inside the arguments of an allowed tensor-rebuild call, and one as an
attribute of an allowed argparse.Namespace. Each payload, if executed, would create /tmp/vim4j-io-pwned-<case>
(shutil.rmtree would delete a directory the test creates); MaliciousPickleTest asserts that nothing happened.

Prints, per file, the callable the Java loader must name (read back from the pickle with pickletools).
"""
import argparse
import collections
import copyreg
import functools
import importlib
import marshal
import operator
import os
import pickle
import pickletools
import shutil
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_io_fixtures import MARKER, Reduce, out, torch_like_zip  # noqa: E402


def cmd(case):
    return "touch " + MARKER + case


def first_global(pkl):
    """The first GLOBAL/STACK_GLOBAL/INST target in the pickle, as module.name."""
    strings = []
    for op, arg, _ in pickletools.genops(pkl):
        if op.name in ("GLOBAL", "INST"):
            return arg.replace(" ", ".")
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE"):
            strings.append(arg)
        if op.name == "STACK_GLOBAL":
            return strings[-2] + "." + strings[-1]
        if op.name in ("EXT1", "EXT2", "EXT4"):
            return "EXT opcode %d" % arg
    return None


def evil(name, pkl):
    torch_like_zip(out("evil", name + ".pth"), "evil", pkl)
    print("%-28s %s" % (name + ".pth", first_global(pkl)))


def main():
    evil("builtins_exec", pickle.dumps(Reduce(exec, ("import os; os.system(%r)" % cmd("exec"),)), protocol=4))
    evil("functools_partial", pickle.dumps(functools.partial(os.system, cmd("partial")), protocol=2))
    evil("operator_methodcaller", pickle.dumps(operator.methodcaller("system", cmd("methodcaller")), protocol=3))
    evil("importlib_import", pickle.dumps(Reduce(importlib.import_module, ("os",)), protocol=4))
    inner = pickle.dumps(Reduce(os.system, (cmd("nested"),)), protocol=2)
    evil("pickle_loads_nested", pickle.dumps(Reduce(pickle.loads, (inner,)), protocol=3))
    code = compile("import os; os.system(%r)" % cmd("marshal"), "<evil>", "exec")
    evil("marshal_code", pickle.dumps(Reduce(marshal.loads, (marshal.dumps(code),)), protocol=4))
    evil("shutil_rmtree", pickle.dumps(Reduce(shutil.rmtree, (MARKER + "rmtree-dir",)), protocol=2))

    # The extension registry: with ('posix', 'system') registered, protocol 2 writes EXT1 <code>, not a name.
    copyreg.add_extension("posix", "system", 0xF0)
    try:
        evil("ext_registry", pickle.dumps(Reduce(os.system, (cmd("ext"),)), protocol=2))
    finally:
        copyreg.remove_extension("posix", "system", 0xF0)

    # A payload inside the state dict itself, next to a genuine tensor (torch.save's own pickler).
    torch.manual_seed(8)
    sd = collections.OrderedDict([("w", torch.randn(2, 2)), ("bias", Reduce(os.system, (cmd("in_state_dict"),)))])
    torch.save({"model": sd}, out("evil", "payload_in_state_dict.pth"))
    print("%-28s %s" % ("payload_in_state_dict.pth", "posix.system"))

    # A payload as an argument of an allowed call: _rebuild_tensor_v2(<os.system(...)>, 0, (1,), (1,), ...).
    class Rebuild:
        def __reduce__(self):
            return torch._utils._rebuild_tensor_v2, (Reduce(os.system, (cmd("in_rebuild"),)), 0, (1,), (1,), False,
                                                     collections.OrderedDict())
    evil("payload_in_rebuild_args", pickle.dumps({"w": Rebuild()}, protocol=2))

    # A payload as an attribute of an allowed, inert class (argparse.Namespace), in an unselected entry.
    ns = argparse.Namespace(input_size=224, hook=Reduce(os.system, (cmd("in_namespace"),)))
    torch.save({"model": collections.OrderedDict([("w", torch.ones(1))]), "args": ns},
               out("evil", "payload_in_namespace.pth"))
    print("%-28s %s" % ("payload_in_namespace.pth", "posix.system"))


if __name__ == "__main__":
    main()
