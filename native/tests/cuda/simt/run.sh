#!/usr/bin/env bash
# Builds the SIMT emulation (simt.h): the real CUDA kernel bodies of native/src/cuda (gemm.cu, gemm_mma.cu, scan.cu,
# elementwise.cu) compiled for the host with fibers standing in for CUDA threads, plus the real ABI layer against
# the stand-in runtime of ../emulation, and runs test_cuda_kernels (every kernel against its double-precision CPU
# reference) and test_simt_limits (launch configurations of the Vim shapes) on it. No GPU, no CUDA toolkit.
#   native/tests/cuda/simt/run.sh [build-dir]      (default /tmp/vim4j-simt)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
native=$(cd "$here/../../.." && pwd)
out=${1:-/tmp/vim4j-simt}
mkdir -p "$out/src"
# kernel<<<grid, block, smem, stream>>>(args)  ->  vim4j_simt::launch(kernel, vim4j_simt::Config{grid, block, smem, stream}, args)
kernels=(gemm gemm_mma scan elementwise)
for f in "${kernels[@]}"; do
  perl -pe 's/([A-Za-z_][A-Za-z0-9_]*(?:<[^<>;]*>)?)<<<(.*?)>>>\(/vim4j_simt::launch($1, vim4j_simt::Config{$2}, /g' \
    "${VIM4J_SIMT_SRC:-$native/src/cuda}/$f.cu" > "$out/src/$f.cpp"
  if grep -q '<<<' "$out/src/$f.cpp"; then echo "run.sh: a launch in $f.cu was not rewritten" >&2; exit 1; fi
done
CXX=${CXX:-g++}
flags=(${VIM4J_SIMT_CXXFLAGS:-} -std=c++17 -O2 -g -Wall -Wextra -Wno-unused-parameter -Wno-unknown-pragmas -I"$here" -I"$native/tests/cuda/emulation"
       -I"$native/src/cuda" -I"$native/include" -I"$native/tests")
objs=()
build() {  # source object [extra flags]
  local src=$1 obj=$out/$2; shift 2
  "$CXX" "${flags[@]}" "$@" -c "$src" -o "$obj"
  objs+=("$obj")
}
build "$here/simt.cpp" simt.o
for f in "${kernels[@]}"; do build "$out/src/$f.cpp" "$f.o" -include "$here/simt.h" -I"$native/src/cuda"; done
emu=$native/tests/cuda/emulation
for f in runtime abi_status abi_device abi_memory; do build "$emu/$f.cpp" "emu_$f.o"; done
# the ABI layer of the kernels (what abi_kernels.cpp includes), from the same source directory as the kernels
build "${VIM4J_SIMT_SRC:-$native/src/cuda}/kernels.cu" emu_kernels.o -x c++
build "${VIM4J_SIMT_SRC:-$native/src/cuda}/mixer.cu" emu_mixer.o -x c++
build "$here/simt_errors.cpp" simt_errors.o
build "$native/tests/cuda/test_cuda_kernels.cpp" test_cuda_kernels.o
build "$here/test_simt_limits.cpp" test_simt_limits.o
build "$here/test_simt_internal.cpp" test_simt_internal.o
lib=("$out/simt.o" "$out/gemm.o" "$out/gemm_mma.o" "$out/scan.o" "$out/elementwise.o" "$out/emu_runtime.o"
     "$out/emu_abi_status.o" "$out/emu_abi_device.o" "$out/emu_abi_memory.o" "$out/emu_kernels.o" "$out/emu_mixer.o"
     "$out/simt_errors.o")
"$CXX" ${VIM4J_SIMT_CXXFLAGS:-} -o "$out/test_cuda_kernels_simt" "$out/test_cuda_kernels.o" "${lib[@]}"
"$CXX" ${VIM4J_SIMT_CXXFLAGS:-} -o "$out/test_simt_limits" "$out/test_simt_limits.o" "${lib[@]}"
"$CXX" ${VIM4J_SIMT_CXXFLAGS:-} -o "$out/test_simt_internal" "$out/test_simt_internal.o" "${lib[@]}"
"$out/test_simt_limits"
"$out/test_simt_internal"
"$out/test_cuda_kernels_simt"
VIM4J_SIMT_ORDER=reverse "$out/test_cuda_kernels_simt"
