// The portable tier of every kernel (see kernels_impl.h). CMake compiles this file, and only this file,
// with the portable instruction-set flags (cmake/Vim4jFlags.cmake).
#include "vim4j.h"
#include "simd_portable.h"
#define VIM4J_TIER_NS portable
#define VIM4J_TIER_ISA VIM4J_ISA_PORTABLE
#include "kernels_impl.h"
