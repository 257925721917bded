// The avx2 tier of every kernel (see kernels_impl.h). CMake compiles this file, and only this file,
// with the avx2 instruction-set flags (cmake/Vim4jFlags.cmake).
#include "vim4j.h"
#include "simd_avx2.h"
#define VIM4J_TIER_NS avx2
#define VIM4J_TIER_ISA VIM4J_ISA_AVX2
#include "kernels_impl.h"
