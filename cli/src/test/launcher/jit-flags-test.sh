#!/usr/bin/env bash
# The launcher's start-up JIT choice (./vim4j, startup_jit_flags): one-shot commands on the native backend run with
# the JIT's first tier only and the heap on huge pages, on the vector backend with its plain-Java kernel tier
# (-Dvim4j.vector.tier=plain: the Vector API is only fast once C2 compiles it) unless it runs more than 8 images of a
# checkpoint; the scalar reference, the long commands and VIM4J_JIT=full keep the JVM's default tiers. Run by the cli module after packaging (mvn verify); ROOT is the
# checkout.
set -euo pipefail
ROOT="$(cd "${1:-$(dirname "${BASH_SOURCE[0]}")/../../../..}" && pwd)"
export VIM4J_NO_BUILD=1
unset VIM4J_JIT
fail() { echo "jit-flags-test: FAIL: $*" >&2; exit 1; }
flags() { # the JVM's own list of the flags it was started with (-XX:+PrintCommandLineFlags prints it first)
  VIM4J_JAVA_OPTS="-XX:+PrintCommandLineFlags ${EXTRA:-}" "$ROOT/vim4j" "$@" --help 2>/dev/null | head -n 1
}
c1='-XX:TieredStopAtLevel=1'
tier() { # the vector tier property the JVM was given (-XshowSettings:properties prints the system properties)
  VIM4J_JAVA_OPTS="-XshowSettings:properties" "$ROOT/vim4j" "$@" --help 2>&1 | sed -n 's/^ *vim4j\.vector\.tier = //p' | head -n 1
}
for cmd in infer classify features info convert; do
  [[ "$(flags "$cmd")" == *"$c1"*UseTransparentHugePages* ]] || fail "$cmd: expected C1 only and huge pages: $(flags "$cmd")"
  [ "$(tier "$cmd")" = plain ] || fail "$cmd: expected -Dvim4j.vector.tier=plain, got '$(tier "$cmd")'"
done
for cmd in bench eval; do
  [[ "$(flags "$cmd")" != *"$c1"* ]] || fail "$cmd is a long run and keeps C2: $(flags "$cmd")"
  [ -z "$(tier "$cmd")" ] || fail "$cmd keeps the vector backend's own tier choice"
done
[[ "$(flags infer --backend vector)" == *"$c1"* ]] || fail "--backend vector runs C1 only (its plain-Java tier)"
[ "$(tier infer --backend vector)" = plain ] || fail "--backend vector: expected the plain tier"
[[ "$(flags infer --backend=scalar)" != *"$c1"* ]] || fail "--backend=scalar keeps C2"
[[ "$(EXTRA=-Dvim4j.backend=scalar flags classify)" != *"$c1"* ]] || fail "-Dvim4j.backend=scalar keeps C2"
[[ "$(VIM4J_JIT=full flags infer)" != *"$c1"* ]] || fail "VIM4J_JIT=full keeps C2"
[[ "$(flags infer --weights /data/vectors/scalar.pth --backend native)" == *"$c1"* ]] \
  || fail "a file name that merely contains 'vector' or 'scalar' does not change the tiers"
# More than 8 images of a checkpoint on the vector backend: the Vector API kernels under C2 win (default tiers).
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
npy() { printf "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (%s, 3, 224, 224), }" "$1" > "$2"; }
npy 9 "$tmp/nine.npy"
npy 1 "$tmp/one.npy"
[[ "$(flags infer --weights w.pth --input "$tmp/nine.npy" --backend vector)" != *"$c1"* ]] \
  || fail "a vector infer of 9 images keeps C2"
[[ "$(flags infer --weights w.pth --input="$tmp/one.npy" --backend=vector)" == *"$c1"* ]] \
  || fail "a vector infer of one image runs C1 only"
[[ "$(flags infer --weights w.pth --input "$tmp/nine.npy" --backend native)" == *"$c1"* ]] \
  || fail "the native backend runs C1 only whatever the batch"
imgs=(a.png b.png c.jpg d.png e.png f.png g.png h.png i.png)
[[ "$(flags classify --weights w.pth --backend vector "${imgs[@]}")" != *"$c1"* ]] \
  || fail "classifying 9 images of a checkpoint on the vector backend keeps C2"
[[ "$(flags classify --backend vector "${imgs[@]}")" == *"$c1"* ]] \
  || fail "the embedded model stays on C1 and the plain tier at any count"
echo "jit-flags-test: ok"
