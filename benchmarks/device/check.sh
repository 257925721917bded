#!/usr/bin/env bash
# The GPU machine's check for the CUDA backend (issues 5 and 13), one prepared script with a time box per step so one
# failure never eats the budget. Writes under $OUT (the run tool's output folder; default target/device-out) at most
# three files, because the run tool returns at most 8: summary.txt (also printed in full on stdout at the end),
# logs.tar.gz (every step's log) and figure1.jsonl (the Figure-1 points of vim4j and PyTorch, for
# benchmarks/device/figure1.py). Runs without a GPU too (here: builds, the CUDA tests skip, the Java CUDA tests
# report "skipped: no CUDA device"), exiting 0 with the summary; exits 1 if a step that ran failed.
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
LOGS="$ROOT/target/device-logs"  # step logs, packed into $OUT/logs.tar.gz at the end
rm -rf "$LOGS"
mkdir -p "$LOGS"
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
# $LOGS/NAME.log (packed into $OUT/logs.tar.gz); records status and duration. 77 from a command means "skipped" (no device).
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
  timeout -k 5 "$limit" "$@" > "$LOGS/$name.log" 2>&1
  local rc=$?
  local dt=$(($(date +%s) - t0))
  case $rc in
    0) note "OK    $name (${dt}s)" ;;
    77) note "SKIP  $name (${dt}s): $(grep -m1 -i 'skipped' "$LOGS/$name.log" | cut -c1-200)" ;;
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
elif command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L > "$LOGS/gpu.txt" 2>&1; then
  GPU=1
  nvidia-smi >> "$LOGS/gpu.txt" 2>&1
  note "GPU: $(head -n1 "$LOGS/gpu.txt")"
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
# Only what runs here: the CPU library (Java's native backend), the CUDA library, its GPU tests and the benchmark
# (not the CPU ctests; the CPU emulation of the CUDA library only for VIM4J_DEVICE_EMULATE=1).
TARGETS=(vim4j vim4j_cuda test_cuda_kernels test_cuda_api vim4j_cuda_bench)
[ "${VIM4J_DEVICE_EMULATE:-0}" = 1 ] && TARGETS+=(vim4j_cuda_emulated)
step build 300 cmake --build "$BUILD" -j "$JOBS" --target "${TARGETS[@]}"
if [ ! -f "$BUILD/out/libvim4j_cuda.so" ]; then
  note "no libvim4j_cuda.so was built (see configure.log / build.log); the remaining CUDA steps cannot run"
fi

# 2. C++ kernel tests against CPU references on the GPU (ctest reports "skipped" without a device). Only the label
#    "cuda": the CPU emulations (cuda-simt, cuda-emulated) are this project's CPU-side checks and take minutes.
step ctest-cuda 120 ctest --test-dir "$BUILD" -L '^cuda$' --output-on-failure

# Steps run most-important first, so a short budget still gets the correctness checks and the headline numbers.
JAVA="$BUNDLE/runtime/bin/java"
CP="$BUNDLE/lib/*:$BUNDLE/test-classes:$BUNDLE/classes"
JFLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dvim4j.native.dir="$BUILD/out"
        -Dvim4j.native.cacheDir="$BUILD/cache" -Xss4m)
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
# VIM4J_DEVICE_SKIP_TORCH=1: the PyTorch peers were measured already (benchmarks/results/gpu_pytorch_h200.jsonl).
[ "${VIM4J_DEVICE_SKIP_TORCH:-0}" = 1 ] && PY=""
HAVE_JAVA=0
if [ -x "$JAVA" ]; then
  HAVE_JAVA=1
else
  note "SKIP  java steps: no $JAVA (run benchmarks/device/prepare.sh on a JDK machine and carry .device-bundle)"
fi

# 3. Java (correctness first): the CUDA backend's own tests (golden logits on the device path, fp32/tf32, graph on/off; lifecycle).
[ "$HAVE_JAVA" = 1 ] && step java-cuda-tests 150 "$JAVA" "${JFLAGS[@]}" -cp "$CP" RunTests \
    org.vim4j.backend.cuda.CudaLibraryTest org.vim4j.backend.cuda.DeviceArenaTest org.vim4j.backend.cuda.CudaExecutionTest \
    org.vim4j.backend.cuda.CudaKernelsTest org.vim4j.CudaGoldenTest

# 3b. Precision (issues 13/14): the golden cases at BF16 against the fp32 reference and the scalar BF16 oracle, then the
#     embedded Fashion-MNIST model's top-1 over the 10,000 test images at fp32 and bf16 (bf16 within 0.3 points).
#     The emulation runs 200 images (reported only: the target holds over all 10,000).
PIMAGES=10000
[ "$EMULATE" = 1 ] && PIMAGES=200
[ "$HAVE_JAVA" = 1 ] && step java-precision 150 "$JAVA" "${JFLAGS[@]}" -Dvim4j.devicePrecision.data="$BUNDLE/fashion-mnist" \
    -Dvim4j.devicePrecision.images="$PIMAGES" -cp "$CP" RunTests org.vim4j.DevicePrecisionTest

# 4. Per-kernel bandwidth / FLOP/s against the H200's peaks (quick shapes: Vim-Tiny batch 1 and 256, 1248 x 1248;
#    FP32, TF32, BF16).
[ -x "$BUILD/vim4j_cuda_bench" ] && step kernels-quick 60 "$BUILD/vim4j_cuda_bench" --quick

# 5. Figure 1: vim4j's Vim-Tiny forward (CUDA graph, through the C ABI) and PyTorch's DeiT-Tiny (SDPA) at
#    224/512/736/1024/1248, batch 1 and 16, fp32 and bf16: time and peak device memory, into $OUT/figure1.jsonl.
FIG="$OUT/figure1.jsonl"
: > "$FIG"
FQ=""
[ "$QUICK" = 1 ] && FQ="--quick"
if [ "$GPU" = 1 ] && [ "$EMULATE" != 1 ] && [ -x "$BUILD/vim4j_cuda_bench" ]; then
  step figure1-vim4j 120 bash benchmarks/device/figure1_vim.sh "$BUILD/vim4j_cuda_bench" $FQ
  grep -h '^{' "$LOGS/figure1-vim4j.log" >> "$FIG" 2>/dev/null
fi
if [ -n "$PY" ]; then
  step figure1-torch 120 "$PY" benchmarks/device/deit_torch.py $FQ --budget 100
  grep -h '^{' "$LOGS/figure1-torch.log" >> "$FIG" 2>/dev/null
fi

# The own-GEMMs-vs-cuBLASLt measurement (native/README.md): cuBLAS inside PyTorch on the same projection shapes.
[ -n "$PY" ] && step cublas-gemm 40 "$PY" benchmarks/device/cublas_gemm.py


if [ "$GPU" = 1 ] && [ "$HAVE_JAVA" = 1 ]; then
  # 6. Headline end-to-end numbers through Java: batch-1 latency with and without the graph, batch-256 throughput.
  bench latency-tiny 40 DeviceBench latency tiny 224 300
  bench throughput-tiny-b256 50 DeviceBench throughput tiny 224 256 10
  bench latency-tiny-tf32 40 -Dvim4j.cuda.precision=tf32 DeviceBench latency tiny 224 300
  bench throughput-tiny-b256-tf32 50 -Dvim4j.cuda.precision=tf32 DeviceBench throughput tiny 224 256 10
fi

# 7. Our PyTorch Vim reference (tools/vim_reference.py) on the same GPU.
[ -n "$PY" ] && step torch-reference 90 "$PY" benchmarks/device/torch_reference.py --quick

if [ "$GPU" = 1 ] && [ "$HAVE_JAVA" = 1 ]; then
  # 8. Every backend against the per-stage goldens (CUDA through its staged per-kernel path), then the rest of the
  #    benchmarks, then the kernel conformance suite (long: every kernel call is staged).
  step java-golden-all-backends 120 "$JAVA" "${JFLAGS[@]}" -cp "$CP" RunTests org.vim4j.GoldenParityTest
  bench throughput-tiny-b64 40 DeviceBench throughput tiny 224 64 10
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

# 9. The results in one place: test summaries, benchmark lines; the logs in one archive; the summary on stdout.
{
  echo
  echo "== ctest =="; grep -E "tests passed|tests failed|Skipped|\*\*\*|relative L2" "$LOGS/ctest-cuda.log" 2>/dev/null | head -40
  for f in java-cuda-tests java-precision java-golden-all-backends java-conformance; do
    [ -f "$LOGS/$f.log" ] || continue
    echo "== $f =="; grep -E "tests (successful|failed|skipped|aborted)|^FAILED|CUDA golden|bf16 golden|top-1" "$LOGS/$f.log" | head -40
    grep -m3 "^SKIPPED" "$LOGS/$f.log"
  done
  echo "== benchmarks (DeviceBench) =="; cat "$LOGS"/bench-*.log 2>/dev/null | grep '^{'
  echo "== kernels =="; cat "$LOGS"/kernels-*.log 2>/dev/null | grep -E "^(kernel|device)="
  echo "== cuBLAS (PyTorch) on the same GEMM shapes =="; grep -h '^{' "$LOGS/cublas-gemm.log" 2>/dev/null
  echo "== figure 1 (vim4j_cuda_bench --forward, deit_torch.py) =="; cat "$FIG" 2>/dev/null
  echo "== torch reference =="; grep '^{' "$LOGS/torch-reference.log" 2>/dev/null
} >> "$SUMMARY"
note "total $(( $(date +%s) - START ))s of a ${BUDGET}s budget; exit $FAILED"
tar czf "$OUT/logs.tar.gz" -C "$LOGS" . 2>/dev/null || note "could not pack the logs"
echo "==================== summary.txt ===================="
cat "$SUMMARY"
exit $FAILED
