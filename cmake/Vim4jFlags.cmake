# Compiler flags of libvim4j: common flags for every translation unit, and the per-ISA flags of the
# kernel tiers. The shipped library never uses -march=native; each kernel tier is compiled for exactly its
# own instruction set and the tier is chosen at run time from cpuid (see src/cpu/vim4j_api.cpp).

include_guard(GLOBAL)

# x86-64 gets three kernel tiers; any other architecture builds only the portable one.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64|x64)$")
  set(VIM4J_X86 ON)
else()
  set(VIM4J_X86 OFF)
endif()

# Flags of every libvim4j translation unit (and of the tests and the benchmark).
#  -O3, no -ffast-math: NaN and inf must propagate exactly as the scalar reference does.
#  -fno-math-errno only lets sqrt() inline as one instruction (errno is never read).
function(vim4j_common_flags target)
  target_compile_features(${target} PRIVATE cxx_std_17)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE
      -O3 -fno-math-errno -fno-strict-aliasing
      -Wall -Wextra -Wno-unused-function)
  endif()
endfunction()

# Per-tier ISA flags, returned in ${out_var}. portable: the target's baseline (SSE2 on x86-64), nothing
# added. The simd_<tier>.h headers #error if a tier is compiled with the wrong flags (e.g. a global
# -march=native leaking into the portable tier).
function(vim4j_tier_flags out_var tier)
  set(flags "")
  if(tier STREQUAL "avx2")
    set(flags -mavx2 -mfma)
  elseif(tier STREQUAL "avx512")
    set(flags -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma -mprefer-vector-width=512)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      # GCC 12's avx512fintrin.h trips -Wmaybe-uninitialized on its own _mm512_undefined_*() helpers.
      list(APPEND flags -Wno-maybe-uninitialized)
    endif()
  elseif(NOT tier STREQUAL "portable")
    message(FATAL_ERROR "vim4j: unknown ISA tier '${tier}'")
  endif()
  set(${out_var} "${flags}" PARENT_SCOPE)
endfunction()

# The kernel tiers this build compiles.
if(VIM4J_X86)
  set(VIM4J_TIERS portable avx2 avx512)
else()
  set(VIM4J_TIERS portable)
endif()

# One OBJECT library per tier: src/cpu/kernels_<tier>.cpp compiled with that tier's flags only. Also used by
# the isolation test, which disassembles these objects.
function(vim4j_add_kernel_tier tier)
  set(lib vim4j_kernels_${tier})
  add_library(${lib} OBJECT ${VIM4J_SOURCE_DIR}/src/cpu/kernels_${tier}.cpp)
  vim4j_common_flags(${lib})
  vim4j_tier_flags(tier_flags ${tier})
  target_compile_options(${lib} PRIVATE ${tier_flags})
  target_include_directories(${lib} PRIVATE ${VIM4J_SOURCE_DIR}/include ${VIM4J_SOURCE_DIR}/src/cpu)
  target_compile_definitions(${lib} PRIVATE VIM4J_HAVE_X86_TIERS=$<BOOL:${VIM4J_X86}>)
  # No LTO: the tiers must stay separate translation units compiled with their own flags.
  set_target_properties(${lib} PROPERTIES
    POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    INTERPROCEDURAL_OPTIMIZATION OFF)
endfunction()
