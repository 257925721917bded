#!/usr/bin/env bash
# Regenerates benchmarks/RESULTS.md and benchmarks/results/* in one go, every comparison side by side in this run:
#   1. fp32 FMA peak probes (C and Java),
#   2. peers at 224x224 batch 1: vim4j SCALAR / VECTOR / NATIVE for Vim-Tiny and DeiT-Tiny, PyTorch Vim reference and
#      PyTorch DeiT-Tiny (Debian python3-torch), same thread count,
#   3. the headline at 1248x1248 batch 1, each model in its own JVM (so its peak RSS is its own),
#   4. the resolution sweep (Vim-Tiny vs DeiT-Tiny full and tiled, 224..1248, batch 1 and 4, each backend) + chart,
#   5. the JMH kernel suite with % of the measured peak,
# then benchmarks/make_results.py writes RESULTS.md from those files.
#
#   benchmarks/run.sh [--quick] [--threads T]     (default T = number of cores)
# Full run: about 15 minutes on a quiet 2-core machine (11.6 min measured before the warm-up went to 30 s) (measured 22 min at load average ~7 from other jobs);
# --quick: about 5 minutes quiet, 8 loaded (fewer points, shorter measurements).
# On a shared machine, wrap it: flock /tmp/vim4j-bench.lock benchmarks/run.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
QUICK=0
T="$(nproc)"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --threads) T="$2"; shift ;;
    *) echo "usage: benchmarks/run.sh [--quick] [--threads T]" >&2; exit 2 ;;
  esac
  shift
done
OUT="$ROOT/benchmarks/results"
mkdir -p "$OUT"
START=$(date +%s)
log() { echo "[run.sh $(( $(date +%s) - START )) s] $*" >&2; }

if [ -z "${JAVA_HOME:-}" ]; then
  for j in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25*; do [ -x "$j/bin/java" ] && export JAVA_HOME="$j" && break; done
fi
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
PY=/usr/bin/python3

log "building (mvn package, tests skipped)"
mvn -B -q -DskipTests package -pl benchmarks -am >&2
cc -O2 -march=native -pthread benchmarks/peak/fma_peak.c -o benchmarks/target/fma_peak

JFLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC
  -Djava.awt.headless=true "-Djava.util.logging.SimpleFormatter.format=%4\$s: %5\$s%6\$s%n")
bench() { "$JAVA" "${JFLAGS[@]}" -jar benchmarks/target/vim4j-benchmarks.jar "$@" 2> >(grep -v -e '^INFO: vim4j backend' -e 'incubator modules' >&2); }

if [ "$QUICK" = 1 ]; then
  PEER=(--warmup 4 --seconds 1 --min-runs 3) ; SCALAR=(--warmup 0 --seconds 0 --min-runs 2); PYIT=3
  HEAD=(--warmup 2 --seconds 0 --min-runs 2)
  SWEEP=(--resolutions 224,640,1248 --batches 1 --warmup 4 --seconds 0.5 --min-runs 2)
  KERN=(--threads 1 --warmup-iterations 3 --iterations 2 --iteration-seconds 0.5)
else
  # 30 s of warm-up: C2 needs more than 12 s here to finish the Vector API kernels (Vim-Tiny vector measured
  # 33.7 ms after 12 s, 25.2 ms after 30 s, same JVM flags).
  PEER=(--warmup 30 --seconds 3 --min-runs 5) ; SCALAR=(--warmup 0 --seconds 3 --min-runs 3); PYIT=10
  HEAD=(--warmup 20 --seconds 3 --min-runs 3)
  SWEEP=(--warmup 30 --seconds 1.5 --min-runs 3)
  KERN=(--threads 1,$T --warmup-iterations 5 --iterations 3 --iteration-seconds 1)
fi

# 0. The machine, so every number below says where it came from.
{
  echo "date_utc=$(date -u +%FT%TZ)"
  echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "cores=$(nproc)"
  echo "memory_gib=$(awk '/MemTotal/ {printf "%.1f", $2/1048576}' /proc/meminfo)"
  echo "avx512=$(grep -qw avx512f /proc/cpuinfo && echo yes || echo no)"
  echo "java=$("$JAVA" -version 2>&1 | head -n1)"
  echo "torch=$($PY -c 'import torch; print(torch.__version__)' 2>/dev/null || echo none)"
  echo "threads=$T"
  echo "quick=$QUICK"
  echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "git=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
} > "$OUT/machine.txt"

log "1/5 peak probes"
benchmarks/target/fma_peak "$T" > "$OUT/peak.jsonl"
bench peak --threads "$T" --json >> "$OUT/peak.jsonl"
# The native library's own limits probe: FMA peak and the scan's exp2 from its header (native/src/cpu); its JSON line.
if cmake -S native -B benchmarks/target/native-limits -DVIM4J_BUILD_TESTS=OFF >/dev/null 2>&1 &&
   cmake --build benchmarks/target/native-limits --target vim4j_limits -j2 >/dev/null 2>&1; then
  benchmarks/target/native-limits/vim4j_limits 1.0 | grep '^{' >> "$OUT/peak.jsonl"
fi
PEAK1=$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["gflops_1t_best"])' "$OUT/peak.jsonl")

log "2/5 peers at 224x224 batch 1, $T threads"
rm -f "$OUT/peers.csv"
for b in vector native; do
  bench e2e --model vim-tiny --backend $b --threads "$T" "${PEER[@]}" --csv "$OUT/peers.csv" >/dev/null || log "vim $b skipped"
  bench e2e --model deit-tiny --attention full --backend $b --threads "$T" "${PEER[@]}" --csv "$OUT/peers.csv" >/dev/null || log "deit $b skipped"
done
bench e2e --model vim-tiny --backend scalar "${SCALAR[@]}" --csv "$OUT/peers.csv" >/dev/null
bench e2e --model deit-tiny --attention full --backend scalar "${SCALAR[@]}" --csv "$OUT/peers.csv" >/dev/null
rm -f "$OUT/torch.jsonl"
if $PY -c 'import torch' 2>/dev/null; then
  # OpenBLAS must be told the AVX-512 kernels (it falls back to generic SSE3 on unknown models), and OpenMP threads
  # must not spin-wait: with active waiting, 2 threads on a busy 2-core machine made DeiT-Tiny 40x slower.
  export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS="$T" OMP_NUM_THREADS="$T" OMP_WAIT_POLICY=PASSIVE
  $PY tools/vim_reference.py bench --threads "$T" --iters "$PYIT" | grep '^{' >> "$OUT/torch.jsonl"
  $PY tools/deit_reference.py bench --model tiny --threads "$T" --iters "$PYIT" | grep '^{' >> "$OUT/torch.jsonl"
  if [ "$QUICK" = 0 ]; then
    $PY tools/deit_reference.py bench --model tiny --resolution 1248 --threads "$T" --warmup 1 --iters 2 | grep '^{' >> "$OUT/torch.jsonl"
  fi
  unset OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS OMP_NUM_THREADS OMP_WAIT_POLICY
else
  log "python3-torch missing: PyTorch peers skipped"
fi

log "2b precision modes (benchmarks/precision.sh)"
benchmarks/precision.sh --threads "$T" --no-build

log "3/5 headline: 1248x1248 batch 1, one JVM per model"
rm -f "$OUT/headline.csv"
HB=best
for m in "vim-tiny full" "deit-tiny full" "deit-tiny tiled"; do
  set -- $m
  bench e2e --model "$1" --attention "$2" --backend "$HB" --threads "$T" --resolution 1248 "${HEAD[@]}" --csv "$OUT/headline.csv" >/dev/null
done

log "4/5 resolution sweep"
rm -f "$OUT/sweep.csv"
bench sweep --threads "$T" "${SWEEP[@]}" --csv "$OUT/sweep.csv" --chart "$OUT/sweep.png" >/dev/null

log "5/5 JMH kernel suite"
bench kernels "${KERN[@]}" --peak-gflops "$PEAK1" --csv "$OUT/kernels.csv" --markdown "$OUT/kernels.md" >/dev/null

echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"
echo "duration_s=$(( $(date +%s) - START ))" >> "$OUT/machine.txt"
$PY benchmarks/make_results.py "$OUT" benchmarks/RESULTS.md
log "done: benchmarks/RESULTS.md"
