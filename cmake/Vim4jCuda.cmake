# libvim4j_cuda.so: the CUDA kernels (native/src/cuda) behind native/include/vim4j_cuda.h, a library of its own
# so that CPU-only machines never need CUDA. Built when a CUDA compiler is found (nvcc on PATH, $CUDACXX, or
# /usr/local/cuda*/bin/nvcc); otherwise one message and the CPU build continues.
#
#   VIM4J_CUDA               build the CUDA library when nvcc is found (default ON)
#   VIM4J_CUDA_ARCHITECTURES CMAKE_CUDA_ARCHITECTURES for it (default "90-real;90-virtual": sm_90 SASS for the
#                            H100/H200 plus compute_90 PTX that newer GPUs JIT-compile)
#
# The CUDA runtime is linked statically (cudart_static): the library needs only the NVIDIA driver's libcuda.so
# at run time, which cudart loads on the first CUDA call, so the library loads even where there is no driver and
# then reports "no CUDA device: ..." from vim4j_cuda_init.

include_guard(GLOBAL)

option(VIM4J_CUDA "Build libvim4j_cuda.so when a CUDA compiler is found" ON)
set(VIM4J_CUDA_ARCHITECTURES "90-real;90-virtual" CACHE STRING "CUDA architectures of libvim4j_cuda.so")
set(VIM4J_CUDA_BUILT OFF CACHE INTERNAL "libvim4j_cuda.so is part of this build (read by cmake/build-native.sh)")

function(vim4j_find_nvcc)
  if(DEFINED CMAKE_CUDA_COMPILER OR DEFINED ENV{CUDACXX})
    return()
  endif()
  find_program(VIM4J_NVCC nvcc)
  if(NOT VIM4J_NVCC)
    file(GLOB candidates /usr/local/cuda/bin/nvcc /usr/local/cuda-*/bin/nvcc)
    if(candidates)
      list(SORT candidates COMPARE NATURAL ORDER DESCENDING)
      list(GET candidates 0 VIM4J_NVCC)
    endif()
  endif()
  if(VIM4J_NVCC)
    set(CMAKE_CUDA_COMPILER "${VIM4J_NVCC}" CACHE FILEPATH "CUDA compiler")
  endif()
endfunction()

if(VIM4J_CUDA)
  vim4j_find_nvcc()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    set(CMAKE_CUDA_ARCHITECTURES "${VIM4J_CUDA_ARCHITECTURES}")
    set(CMAKE_CUDA_RUNTIME_LIBRARY Static)
    enable_language(CUDA)
    set(VIM4J_CUDA_BUILT ON CACHE INTERNAL "libvim4j_cuda.so is part of this build (read by cmake/build-native.sh)")
  else()
    message(STATUS "vim4j: no CUDA compiler found (nvcc on PATH, CUDACXX or /usr/local/cuda*/bin): "
                   "libvim4j_cuda.so is not built; the CPU library builds as usual")
  endif()
else()
  message(STATUS "vim4j: VIM4J_CUDA=OFF: libvim4j_cuda.so is not built")
endif()

function(vim4j_cuda_flags target)
  set_target_properties(${target} PROPERTIES
    CUDA_STANDARD 17
    CUDA_STANDARD_REQUIRED ON
    CUDA_ARCHITECTURES "${VIM4J_CUDA_ARCHITECTURES}"
    CUDA_RUNTIME_LIBRARY Static
    POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden
    CUDA_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  # No --use_fast_math: exp2f/expf/log1pf keep their documented accuracy and NaN/inf propagate like the CPU
  # kernels. -Xcompiler passes the host compiler the CPU library's warning level.
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CUDA>:-O3 --Werror=cross-execution-space-call -Xcompiler=-Wall,-Wextra,-Wno-unused-function>)
endfunction()

function(vim4j_add_cuda_library)
  if(NOT VIM4J_CUDA_BUILT)
    return()
  endif()
  set(src ${VIM4J_SOURCE_DIR}/src/cuda)
  add_library(vim4j_cuda SHARED ${src}/status.cu ${src}/device.cu ${src}/memory.cu ${src}/kernels.cu
                                ${src}/mixer.cu ${src}/gemm.cu ${src}/gemm_mma.cu ${src}/scan.cu
                                ${src}/elementwise.cu)
  vim4j_cuda_flags(vim4j_cuda)
  target_include_directories(vim4j_cuda PUBLIC $<BUILD_INTERFACE:${VIM4J_SOURCE_DIR}/include> PRIVATE ${src})
  set_target_properties(vim4j_cuda PROPERTIES
    OUTPUT_NAME vim4j_cuda
    LIBRARY_OUTPUT_DIRECTORY "${VIM4J_OUTPUT_DIR}"
    LINK_DEPENDS ${src}/vim4j_cuda.map)
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    target_link_options(vim4j_cuda PRIVATE
      "LINKER:--version-script=${src}/vim4j_cuda.map"
      "LINKER:--no-undefined"
      "LINKER:-z,noexecstack")
    if(VIM4J_STATIC_RUNTIME AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      target_link_options(vim4j_cuda PRIVATE -static-libstdc++ -static-libgcc)
    endif()
  endif()
  message(STATUS "vim4j: CUDA ${CMAKE_CUDA_COMPILER_VERSION} (${CMAKE_CUDA_COMPILER}), architectures "
                 "${VIM4J_CUDA_ARCHITECTURES}: libvim4j_cuda.so -> ${VIM4J_OUTPUT_DIR}")
endfunction()

# ctest: each CUDA kernel against a CPU reference loop; exits 77 (reported as skipped) without a device.
function(vim4j_add_cuda_tests)
  if(NOT VIM4J_CUDA_BUILT)
    return()
  endif()
  foreach(t test_cuda_kernels test_cuda_api)
    add_executable(${t} ${VIM4J_SOURCE_DIR}/tests/cuda/${t}.cpp)
    vim4j_common_flags(${t})
    target_include_directories(${t} PRIVATE ${VIM4J_SOURCE_DIR}/include ${VIM4J_SOURCE_DIR}/tests)
    target_link_libraries(${t} PRIVATE vim4j_cuda)
    add_test(NAME cuda.${t} COMMAND ${t})
    set_tests_properties(cuda.${t} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600 LABELS "vim4j;cuda")
  endforeach()
endfunction()

# vim4j_cuda_bench: per-kernel timings, bandwidth and FLOP/s on Vim shapes (run by benchmarks/device/check.sh).
function(vim4j_add_cuda_bench)
  if(NOT VIM4J_CUDA_BUILT)
    return()
  endif()
  add_executable(vim4j_cuda_bench ${VIM4J_SOURCE_DIR}/bench/vim4j_cuda_bench.cpp)
  vim4j_common_flags(vim4j_cuda_bench)
  target_include_directories(vim4j_cuda_bench PRIVATE ${VIM4J_SOURCE_DIR}/include)
  target_link_libraries(vim4j_cuda_bench PRIVATE vim4j_cuda)
endfunction()

# The CUDA ABI layer emulated on the CPU, for tests on machines without a GPU: src/cuda's status/device/memory/
# kernels.cu compiled with the host compiler against a stand-in runtime (tests/cuda/emulation), with host launchers
# instead of the CUDA kernels. Written to <build>/emulated/libvim4j_cuda.so, where the Java tests' "cuda-emulated"
# run points -Dvim4j.cuda.dir, so the Java CUDA backend (device memory, executions, graphs, the mixer orchestration)
# runs end to end here. It needs no CUDA toolkit. Its device calls itself an emulation; it proves nothing about the
# CUDA kernels (test_cuda_kernels on a GPU does), but runs the test harness of test_cuda_kernels against it too.
function(vim4j_add_cuda_emulation)
  set(emu ${VIM4J_SOURCE_DIR}/tests/cuda/emulation)
  add_library(vim4j_cuda_emulated SHARED ${emu}/runtime.cpp ${emu}/launchers.cpp ${emu}/abi_status.cpp
                                         ${emu}/abi_device.cpp ${emu}/abi_memory.cpp ${emu}/abi_kernels.cpp
                                         ${emu}/abi_mixer.cpp)
  vim4j_common_flags(vim4j_cuda_emulated)
  # The stand-in cuda_runtime.h must win over any real one.
  target_include_directories(vim4j_cuda_emulated BEFORE PRIVATE ${emu})
  target_include_directories(vim4j_cuda_emulated PRIVATE ${VIM4J_SOURCE_DIR}/src/cuda ${VIM4J_SOURCE_DIR}/include)
  set_target_properties(vim4j_cuda_emulated PROPERTIES
    OUTPUT_NAME vim4j_cuda
    LIBRARY_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/emulated"
    POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    target_link_options(vim4j_cuda_emulated PRIVATE "LINKER:--version-script=${VIM4J_SOURCE_DIR}/src/cuda/vim4j_cuda.map"
                                                    "LINKER:--no-undefined")
  endif()
  foreach(t test_cuda_kernels test_cuda_api)
    add_executable(${t}_emulated ${VIM4J_SOURCE_DIR}/tests/cuda/${t}.cpp)
    vim4j_common_flags(${t}_emulated)
    target_include_directories(${t}_emulated PRIVATE ${VIM4J_SOURCE_DIR}/include ${VIM4J_SOURCE_DIR}/tests)
    target_link_libraries(${t}_emulated PRIVATE vim4j_cuda_emulated)
    add_test(NAME cuda.emulated.${t} COMMAND ${t}_emulated)
    set_tests_properties(cuda.emulated.${t} PROPERTIES TIMEOUT 600 LABELS "vim4j;cuda-emulated")
  endforeach()
  # The real CUDA kernel bodies (gemm.cu, gemm_mma.cu, scan.cu, elementwise.cu) run on the host with one fiber per CUDA thread,
  # checked against the CPU references in two scheduling orders (tests/cuda/simt/run.sh): barrier deadlocks, bad
  # shuffle masks, WMMA layout/alignment misuse and launch limits fail here, before any GPU sees the code.
  find_program(VIM4J_PERL perl)
  if(VIM4J_PERL)
    add_test(NAME cuda.simt COMMAND ${VIM4J_SOURCE_DIR}/tests/cuda/simt/run.sh ${CMAKE_BINARY_DIR}/simt)
    set_tests_properties(cuda.simt PROPERTIES TIMEOUT 900 LABELS "vim4j;cuda-simt")
  else()
    message(STATUS "vim4j: perl not found: the cuda.simt test (CUDA kernel bodies on the CPU) is not registered")
  endif()
endfunction()
