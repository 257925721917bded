#!/usr/bin/env bash
# The GPU machine's check for the CUDA backend (issue 5), one prepared script with a time box per step so one
# failure never eats the budget. Writes everything under $OUT (the run tool's output folder; default
# target/device-out) and ends with $OUT/summary.txt. Runs without a GPU too (here: builds, ctest skips, the Java
# CUDA tests report "skipped: no CUDA device"), exiting 0 with the summary; exits 1 if a step that ran failed.
#
#   bash benchmarks/device/check.sh [--quick]        (after benchmarks/device/prepare.sh on a JDK machine)
#
# Environment: OUT, VIM4J_DEVICE_BUDGET_S (total seconds for all steps, default 450), VIM4J_DEVICE_JOBS,
# VIM4J_DEVICE_EMULATE=1 (a dry run of the GPU path on a machine without one: the Java steps use the CPU emulation
# of the CUDA library, native/tests/cuda/emulation, with tiny benchmark sizes; tests the script, not the GPU).
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
OUT="${OUT:-$ROOT/target/device-out}"
mkdir -p "$OUT"
BUNDLE="$ROOT/.device-bundle"
BUILD="$ROOT/target/device-build"
BUDGET="${VIM4J_DEVICE_BUDGET_S:-450}"
JOBS="${VIM4J_DEVICE_JOBS:-$(nproc 2>/dev/null || echo 4)}"
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
START=$(date +%s)
SUMMARY="$OUT/summary.txt"
FAILED=0
: > "$SUMMARY"

note() { echo "$*" | tee -a "$SUMMARY"; }

# step NAME SECONDS COMMAND...: runs COMMAND with a time limit (capped by what is left of the budget), output in
# $OUT/NAME.log; records status and duration. 77 from a command means "skipped" (no device).
step() {
  local name=$1 limit=$2
  shift 2
  local left=$((BUDGET - ($(date +%s) - START)))
  if [ "$left" -lt 15 ]; then
    note "SKIP  $name: budget spent"
    return 0
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  local t0=$(date +%s)
  timeout -k 5 "$limit" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  local dt=$(($(date +%s) - t0))
  case $rc in
    0) note "OK    $name (${dt}s)" ;;
    77) note "SKIP  $name (${dt}s): $(grep -m1 -i 'skipped' "$OUT/$name.log" | cut -c1-200)" ;;
    124|137) note "TIME  $name: over its ${limit}s limit (log: $name.log)"; FAILED=1 ;;
    *) note "FAIL  $name rc=$rc (${dt}s; log: $name.log)"; FAILED=1 ;;
  esac
  return 0
}

note "vim4j device check $(date -u +%Y-%m-%dT%H:%M:%SZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
GPU=0
EMULATE="${VIM4J_DEVICE_EMULATE:-0}"
if [ "$EMULATE" = 1 ]; then
  GPU=1
  note "GPU: EMULATED (VIM4J_DEVICE_EMULATE=1): a dry run of the script on the CPU emulation; no result is a GPU result"
elif command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L > "$OUT/gpu.txt" 2>&1; then
  GPU=1
  nvidia-smi >> "$OUT/gpu.txt" 2>&1
  note "GPU: $(head -n1 "$OUT/gpu.txt")"
else
  note "GPU: none (no working nvidia-smi): GPU steps report skipped"
fi
NVCC="$(command -v nvcc || ls /usr/local/cuda*/bin/nvcc 2>/dev/null | sort -V | tail -n1)"
note "nvcc: ${NVCC:-none} $([ -n "$NVCC" ] && "$NVCC" --version | tail -n1)"

# 1. Build both libraries, the ctest tests and the kernel benchmark.
GEN=""
command -v ninja >/dev/null 2>&1 && GEN="-G Ninja"
CUDACXX_ARG=""
[ -n "$NVCC" ] && CUDACXX_ARG="-DCMAKE_CUDA_COMPILER=$NVCC"
# shellcheck disable=SC2086
step configure 120 cmake -S native -B "$BUILD" $GEN -DCMAKE_BUILD_TYPE=Release -DVIM4J_OUTPUT_DIR="$BUILD/out" \
    -DVIM4J_BUILD_TESTS=ON -DVIM4J_BUILD_BENCH=ON $CUDACXX_ARG
step build 300 cmake --build "$BUILD" -j "$JOBS"
if [ ! -f "$BUILD/out/libvim4j_cuda.so" ]; then
  note "no libvim4j_cuda.so was built (see configure.log / build.log); the remaining CUDA steps cannot run"
fi

# 2. C++ kernel tests against CPU references (ctest reports "skipped" without a device).
step ctest-cuda 120 ctest --test-dir "$BUILD" -L cuda --output-on-failure

# Steps run most-important first, so a short budget still gets the correctness checks and the headline numbers.
JAVA="$BUNDLE/runtime/bin/java"
CP="$BUNDLE/lib/*:$BUNDLE/test-classes:$BUNDLE/classes"
JFLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dvim4j.native.dir="$BUILD/out"
        -Dvim4j.native.cacheDir="$OUT/cache" -Xss4m)
[ "$EMULATE" = 1 ] && JFLAGS+=(-Dvim4j.cuda.dir="$BUILD/emulated")
# bench NAME SECONDS [-Dprop...] DeviceBench MODE MODEL RES [BATCH] ITERS
bench() {
  local name=$1 limit=$2
  shift 2
  if [ "$EMULATE" = 1 ]; then  # tiny sizes: the emulation runs the kernels as plain host loops
    local args=() a
    while [ "$1" != DeviceBench ]; do args+=("$1"); shift; done
    args+=("$1" "$2" "$3" 32); shift 4
    if [ "$#" = 2 ]; then args+=(2 2); else args+=(2); fi
    set -- "${args[@]}"
  fi
  step "bench-$name" "$limit" "$JAVA" "${JFLAGS[@]}" -cp "$CP" "$@"
}
PY=""
for p in python3 /usr/bin/python3 python; do  # the first interpreter that has torch (pyenv shims may not)
  if command -v "$p" >/dev/null 2>&1 && "$p" -c "import torch" >/dev/null 2>&1; then PY="$(command -v "$p")"; break; fi
done
[ -n "$PY" ] || PY="$(command -v python3 || true)"
HAVE_JAVA=0
if [ -x "$JAVA" ]; then
  HAVE_JAVA=1
else
  note "SKIP  java steps: no $JAVA (run benchmarks/device/prepare.sh on a JDK machine and carry .device-bundle)"
fi

# 3. Java: the CUDA backend's own tests (golden logits on the device path, fp32/tf32, graph on/off; lifecycle).
[ "$HAVE_JAVA" = 1 ] && step java-cuda-tests 150 "$JAVA" "${JFLAGS[@]}" -cp "$CP" RunTests \
    org.vim4j.backend.cuda.CudaLibraryTest org.vim4j.backend.cuda.DeviceArenaTest org.vim4j.backend.cuda.CudaExecutionTest \
    org.vim4j.backend.cuda.CudaKernelsTest org.vim4j.CudaGoldenTest

# 4. Per-kernel bandwidth / FLOP/s against the H200's peaks (quick shapes first).
[ -x "$BUILD/vim4j_cuda_bench" ] && step kernels-quick 60 "$BUILD/vim4j_cuda_bench" --quick

if [ "$GPU" = 1 ] && [ "$HAVE_JAVA" = 1 ]; then
  # 5. Headline end-to-end numbers: batch-1 latency with and without the graph, batch-64/256 throughput.
  bench latency-tiny 40 DeviceBench latency tiny 224 300
  bench throughput-tiny-b64 40 DeviceBench throughput tiny 224 64 10
  bench throughput-tiny-b256 50 DeviceBench throughput tiny 224 256 10
  bench latency-tiny-tf32 40 -Dvim4j.cuda.precision=tf32 DeviceBench latency tiny 224 300
  bench throughput-tiny-b256-tf32 50 -Dvim4j.cuda.precision=tf32 DeviceBench throughput tiny 224 256 10
fi

# 6. Our PyTorch reference (tools/vim_reference.py) on the same GPU.
if [ -n "$PY" ]; then
  step torch-reference 90 "$PY" benchmarks/device/torch_reference.py --quick
fi

if [ "$GPU" = 1 ] && [ "$HAVE_JAVA" = 1 ]; then
  # 7. Every backend against the per-stage goldens (CUDA through its staged per-kernel path), then the rest of the
  #    benchmarks, then the kernel conformance suite (long: every kernel call is staged).
  step java-golden-all-backends 120 "$JAVA" "${JFLAGS[@]}" -cp "$CP" RunTests org.vim4j.GoldenParityTest
  bench latency-small 40 DeviceBench latency small 224 100
  bench latency-base 50 DeviceBench latency base 224 50
  if [ "$QUICK" = 0 ]; then
    for r in 512 736 1024 1248; do  # 736: the 46x46 patch grid PyTorch's floor gives the paper's 738
      bench "memory-tiny-$r" 60 DeviceBench memory tiny "$r" 5
    done
    for m in small base; do
      for b in 64 256; do
        bench "throughput-$m-b$b" 80 DeviceBench throughput "$m" 224 "$b" 3
      done
    done
    bench throughput-tiny-b64-tf32 40 -Dvim4j.cuda.precision=tf32 DeviceBench throughput tiny 224 64 10
    [ -x "$BUILD/vim4j_cuda_bench" ] && step kernels-full 120 "$BUILD/vim4j_cuda_bench"
    step java-conformance 150 "$JAVA" "${JFLAGS[@]}" -cp "$CP" RunTests org.vim4j.kernel.KernelConformanceTest
  fi
fi

# 8. The results in one place: test summaries, benchmark lines.
{
  echo
  echo "== ctest =="; grep -E "tests passed|tests failed|Skipped|\*\*\*" "$OUT/ctest-cuda.log" 2>/dev/null | head -20
  for f in java-cuda-tests java-golden-all-backends java-conformance; do
    [ -f "$OUT/$f.log" ] || continue
    echo "== $f =="; grep -E "tests (successful|failed|skipped|aborted)|^FAILED|CUDA golden" "$OUT/$f.log" | head -40
    grep -m3 "^SKIPPED" "$OUT/$f.log"
  done
  echo "== benchmarks (DeviceBench) =="; cat "$OUT"/bench-*.log 2>/dev/null | grep '^{'
  echo "== kernels =="; cat "$OUT"/kernels-*.log 2>/dev/null | grep -E "^(kernel|device)="
  echo "== torch reference =="; grep '^{' "$OUT/torch-reference.log" 2>/dev/null
} >> "$SUMMARY"
note "total $(( $(date +%s) - START ))s of a ${BUDGET}s budget; exit $FAILED"
cat "$SUMMARY" > "$OUT/summary.final.txt"
exit $FAILED
