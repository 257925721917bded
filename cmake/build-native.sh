#!/bin/sh
# Builds libvim4j.so for Maven: build-native.sh OUTPUT_DIR BUILD_DIR
#
# Configures and builds native/ with CMake in BUILD_DIR (Release, no tests, no benchmark), copies
# libvim4j.so (and libvim4j_cuda.so when CMake found nvcc and built it) to OUTPUT_DIR and writes
# OUTPUT_DIR/vim4j-native.properties. Without cmake or a C++
# compiler it prints one line and exits 0: the pure-Java backends are then used. A build that starts
# and fails exits non-zero (a broken native build should be seen, not silently skipped).
#
# Environment: VIM4J_NATIVE_JOBS (parallel build jobs, default 2), CXX (compiler to use),
# VIM4J_CMAKE_ARGS (extra arguments for the CMake configure step, e.g. -DVIM4J_STATIC_RUNTIME=OFF),
# VIM4J_REQUIRE_CUDA=1 (fail unless libvim4j_cuda.so is built too: CI sets it where nvcc exists, so a CUDA configure
# or compile problem fails the build instead of being skipped).
set -u

if [ "$#" -ne 2 ]; then
    echo "usage: $0 OUTPUT_DIR BUILD_DIR" >&2
    exit 2
fi
OUTPUT_DIR=$1
BUILD_DIR=$2

skip() {
    echo "vim4j: native library skipped: $1; the pure-Java backends will be used"
    exit 0
}

command -v cmake >/dev/null 2>&1 || skip "cmake not found"
if [ -n "${CXX:-}" ]; then
    command -v "${CXX%% *}" >/dev/null 2>&1 || skip "C++ compiler '$CXX' (from \$CXX) not found"
else
    found=""
    for c in c++ g++ clang++; do
        if command -v "$c" >/dev/null 2>&1; then
            found=$c
            break
        fi
    done
    [ -n "$found" ] || skip "no C++ compiler found (c++, g++, clang++)"
fi

SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd) || exit 1
SOURCE_DIR=$(cd "$SCRIPT_DIR/../native" && pwd) || exit 1
if [ ! -f "$SOURCE_DIR/CMakeLists.txt" ]; then
    echo "vim4j: native library: $SOURCE_DIR/CMakeLists.txt not found" >&2
    exit 1
fi

mkdir -p "$OUTPUT_DIR" "$BUILD_DIR" || exit 1
OUTPUT_DIR=$(cd "$OUTPUT_DIR" && pwd)
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)

# shellcheck disable=SC2086  # VIM4J_CMAKE_ARGS is split on purpose
if ! cmake -S "$SOURCE_DIR" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release \
        -DVIM4J_BUILD_TESTS=OFF -DVIM4J_BUILD_BENCH=OFF ${VIM4J_CMAKE_ARGS:-} >"$BUILD_DIR/vim4j-configure.log" 2>&1; then
    cat "$BUILD_DIR/vim4j-configure.log" >&2
    echo "vim4j: native library: CMake configure failed (log: $BUILD_DIR/vim4j-configure.log)" >&2
    exit 1
fi
targets="vim4j"
if grep -q '^VIM4J_CUDA_BUILT:INTERNAL=ON' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
    targets="vim4j vim4j_cuda"
fi
# shellcheck disable=SC2086  # one --target per word
if ! cmake --build "$BUILD_DIR" $(for t in $targets; do printf -- '--target %s ' "$t"; done) -j "${VIM4J_NATIVE_JOBS:-2}"; then
    echo "vim4j: native library: build failed" >&2
    exit 1
fi

LIB=$BUILD_DIR/libvim4j.so
[ -f "$LIB" ] || { echo "vim4j: native library: $LIB was not produced" >&2; exit 1; }
cp -f "$LIB" "$OUTPUT_DIR/libvim4j.so.tmp" && mv -f "$OUTPUT_DIR/libvim4j.so.tmp" "$OUTPUT_DIR/libvim4j.so" || exit 1
cuda=false
case " $targets " in
    *" vim4j_cuda "*)
        CUDA_LIB=$BUILD_DIR/libvim4j_cuda.so
        [ -f "$CUDA_LIB" ] || { echo "vim4j: native library: $CUDA_LIB was not produced" >&2; exit 1; }
        cp -f "$CUDA_LIB" "$OUTPUT_DIR/libvim4j_cuda.so.tmp" && mv -f "$OUTPUT_DIR/libvim4j_cuda.so.tmp" "$OUTPUT_DIR/libvim4j_cuda.so" || exit 1
        cuda=true
        ;;
    *)
        rm -f "$OUTPUT_DIR/libvim4j_cuda.so"
        echo "vim4j: CUDA library not built (no nvcc found, or -DVIM4J_CUDA=OFF): see $BUILD_DIR/vim4j-configure.log"
        if [ "${VIM4J_REQUIRE_CUDA:-0}" = 1 ]; then
            grep -i "cuda" "$BUILD_DIR/vim4j-configure.log" >&2
            echo "vim4j: VIM4J_REQUIRE_CUDA=1 but libvim4j_cuda.so was not built" >&2
            exit 1
        fi
        ;;
esac

os=$(uname -s | tr '[:upper:]' '[:lower:]')
arch=$(uname -m)
case "$arch" in
    x86_64|amd64) arch=x86_64; tiers=portable,avx2,avx512 ;;
    *) tiers=portable ;;
esac
abi=$(sed -n 's/^#define VIM4J_ABI_VERSION \([0-9][0-9]*\).*/\1/p' "$SOURCE_DIR/include/vim4j.h")
cuda_abi=$(sed -n 's/^#define VIM4J_CUDA_ABI_VERSION \([0-9][0-9]*\).*/\1/p' "$SOURCE_DIR/include/vim4j_cuda.h")
{
    echo "# written by cmake/build-native.sh"
    echo "version=0.1.0"
    echo "abi=${abi:-1}"
    echo "isa.tiers=$tiers"
    echo "os=$os"
    echo "arch=$arch"
    echo "cuda=$cuda"
    echo "cuda.abi=${cuda_abi:-1}"
    # The libraries' SHA-256 and size, so the JVM names its extraction cache without hashing them at every start (an
    # interpreted SHA-256 of the 0.9 MB library took ~45 ms of a cold start; README "Cold start").
    for f in libvim4j.so libvim4j_cuda.so; do
        if [ -f "$OUTPUT_DIR/$f" ]; then
            sum=$(sha256sum "$OUTPUT_DIR/$f" | cut -d' ' -f1) && [ -n "$sum" ] || exit 1
            echo "sha256.$f=$sum"
            echo "size.$f=$(wc -c <"$OUTPUT_DIR/$f" | tr -d ' ')"
        fi
    done
} >"$OUTPUT_DIR/vim4j-native.properties" || exit 1
echo "vim4j: native library built: $OUTPUT_DIR/libvim4j.so (tiers $tiers)$([ "$cuda" = true ] && echo " and libvim4j_cuda.so")"
