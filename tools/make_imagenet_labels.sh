#!/usr/bin/env bash
# Writes the 1000 ImageNet-1k class names (index order = sorted synsets, as ImageFolder sees the val set)
# to java/src/main/resources/org/vim4j/imagenet-classes.txt, one per line. The names are data taken from
# Debian's python3-torchvision package (its ImageNet category list); nothing else is used from it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
tmp="$(mktemp -d)"
(cd "$tmp" && apt-get download python3-torchvision >/dev/null && dpkg -x python3-torchvision_*.deb x)
/usr/bin/python3 - "$tmp"/x/usr/lib/python3/dist-packages/torchvision/models/_meta.py <<'PY'
import ast, sys
tree = ast.parse(open(sys.argv[1]).read())
names = next(ast.literal_eval(n.value) for n in tree.body
             if isinstance(n, ast.Assign) and n.targets[0].id == "_IMAGENET_CATEGORIES")
assert len(names) == 1000, len(names)
open("java/src/main/resources/org/vim4j/imagenet-classes.txt", "w").write("\n".join(names) + "\n")
print("wrote", len(names), "names")
PY
rm -rf "$tmp"
