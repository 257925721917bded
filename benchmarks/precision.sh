#!/usr/bin/env bash
# Vim-Tiny 224 batch 1 at fp32, bf16 and int8 beside DeiT-Tiny fp32, on the native and vector backends, in one run
# (docs/precision.md; issue 14's targets): writes benchmarks/results/precision.csv and precision.txt (where and when),
# then regenerates RESULTS.md (section 2b) from every results file. About 6 minutes on a quiet 2-core machine (30 s of
# warm-up per row: C2 needs that for the Vector API kernels). Run by benchmarks/run.sh, or alone:
#   flock /tmp/vim4j-bench.lock benchmarks/precision.sh [--threads T] [--no-build]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
T="$(nproc)"
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) T="$2"; shift ;;
    --no-build) BUILD=0 ;;
    *) echo "usage: benchmarks/precision.sh [--threads T] [--no-build]" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "${JAVA_HOME:-}" ]; then
  for j in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25*; do [ -x "$j/bin/java" ] && export JAVA_HOME="$j" && break; done
fi
[ -x "${JAVA_HOME:-}/bin/java" ] || { echo "precision.sh: no JDK 25 found (set JAVA_HOME)" >&2; exit 1; }
OUT=benchmarks/results
mkdir -p "$OUT"
[ "$BUILD" = 1 ] && mvn -B -q -DskipTests package -pl benchmarks -am >&2
bench() { "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC \
  -Djava.awt.headless=true -jar benchmarks/target/vim4j-benchmarks.jar "$@" 2>/dev/null; }
ROWS=(--warmup 30 --seconds 5 --min-runs 200 --max-runs 400)
{
  echo "date_utc=$(date -u +%FT%TZ)"
  echo "git=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "threads=$T"
  echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/precision.txt"
rm -f "$OUT/precision.csv"
for b in native vector; do
  bench e2e --model deit-tiny --attention full --backend $b --threads "$T" "${ROWS[@]}" --csv "$OUT/precision.csv" >/dev/null \
    || echo "precision.sh: deit-tiny on $b skipped" >&2
  for p in fp32 bf16 int8; do
    bench e2e --model vim-tiny --precision $p --backend $b --threads "$T" "${ROWS[@]}" --csv "$OUT/precision.csv" >/dev/null \
      || echo "precision.sh: vim-tiny $p on $b skipped" >&2
  done
done
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/precision.txt"
python3 benchmarks/make_results.py "$OUT" benchmarks/RESULTS.md
echo "precision.sh: $OUT/precision.csv, RESULTS.md section 2b" >&2
