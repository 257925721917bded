# ctest registration for libvim4j. Every kernel test binary is registered once per ISA tier with
# VIM4J_MAX_ISA set through the ENVIRONMENT property, so one machine exercises every tier it supports.
# A test whose tier the CPU lacks exits 77 and is reported as skipped.

include_guard(GLOBAL)

function(vim4j_add_test_executable name)
  add_executable(${name} ${VIM4J_SOURCE_DIR}/tests/${name}.cpp)
  vim4j_common_flags(${name})
  target_include_directories(${name} PRIVATE ${VIM4J_SOURCE_DIR}/include ${VIM4J_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE vim4j Threads::Threads)
endfunction()

# Registers test binary `name` as `name.<tier>` for each tier of the build.
function(vim4j_add_tier_tests name)
  foreach(tier IN LISTS VIM4J_TIERS)
    add_test(NAME ${name}.${tier} COMMAND ${name})
    set_tests_properties(${name}.${tier} PROPERTIES
      ENVIRONMENT "VIM4J_MAX_ISA=${tier};VIM4J_EXPECT_ISA=${tier}"
      SKIP_RETURN_CODE 77
      TIMEOUT 600
      LABELS "vim4j;${tier}")
  endforeach()
endfunction()

function(vim4j_add_tests)
  find_package(Threads REQUIRED)
  foreach(t test_kernels test_mixer test_errors test_runtime test_precision)
    vim4j_add_test_executable(${t})
    vim4j_add_tier_tests(${t})
  endforeach()
  # The avx512 tier once more without avx512_bf16 / avx512_vnni: the fallbacks of the BF16 and INT8 layers.
  if("avx512" IN_LIST VIM4J_TIERS)
    foreach(t test_precision test_mixer)
      add_test(NAME ${t}.avx512-noext COMMAND ${t})
      set_tests_properties(${t}.avx512-noext PROPERTIES
        ENVIRONMENT "VIM4J_MAX_ISA=avx512;VIM4J_EXPECT_ISA=avx512;VIM4J_AVX512_EXT=none"
        SKIP_RETURN_CODE 77
        TIMEOUT 600
        LABELS "vim4j;avx512")
    endforeach()
  endif()

  # Tier isolation and export checks on the built objects (needs binutils).
  find_program(VIM4J_OBJDUMP NAMES objdump)
  find_program(VIM4J_NM NAMES nm)
  if(VIM4J_OBJDUMP AND VIM4J_NM)
    set(objs "")
    foreach(tier IN LISTS VIM4J_TIERS)
      list(APPEND objs "${tier}=$<JOIN:$<TARGET_OBJECTS:vim4j_kernels_${tier}>,+>")
    endforeach()
    # '|' between tiers and '+' between objects: no ';' may reach add_test's argument list.
    string(REPLACE ";" "|" objs_joined "${objs}")
    add_test(NAME isolation
      COMMAND ${CMAKE_COMMAND}
        -DOBJDUMP=${VIM4J_OBJDUMP} -DNM=${VIM4J_NM}
        "-DTIER_OBJECTS=${objs_joined}"
        "-DBASELINE_OBJECTS=$<JOIN:$<TARGET_OBJECTS:vim4j_base>,+>"
        -DLIBRARY=$<TARGET_FILE:vim4j>
        -P ${VIM4J_CMAKE_DIR}/Vim4jCheckIsolation.cmake)
    set_tests_properties(isolation PROPERTIES LABELS "vim4j")
  else()
    message(STATUS "vim4j: objdump/nm not found, the isolation test is not registered")
  endif()
endfunction()
