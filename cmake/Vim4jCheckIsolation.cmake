# ctest script (cmake -P): checks that the ISA tiers are really isolated and that libvim4j exports only
# its C ABI.
#  1. The baseline objects (C ABI, thread pool) and the portable tier contain no AVX/AVX-512 instruction
#     (no ymm/zmm/k-mask register operands): they are what runs on a CPU without AVX.
#  2. The AVX2 tier contains no AVX-512 instruction.
#  3. Each tier object defines exactly one global symbol, its kTable (everything else has internal
#     linkage, so the linker cannot pick a function compiled with one tier's flags for another tier), and
#     has no static-initialiser section (loading the library runs no tier code).
#  4. The shared library's dynamic symbol table defines only vim4j_* functions.
# Inputs: OBJDUMP, NM, TIER_OBJECTS ("tier=obj+obj|tier=obj"), BASELINE_OBJECTS ("obj+obj"), LIBRARY.

set(failures 0)

function(fail msg)
  message(SEND_ERROR "isolation: ${msg}")
endfunction()

function(check_no_regs obj regex what)
  execute_process(COMMAND ${OBJDUMP} -d --no-show-raw-insn ${obj} OUTPUT_VARIABLE dis RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    fail("objdump failed on ${obj}")
    return()
  endif()
  string(REGEX MATCHALL "[^\n]*(${regex})[^\n]*" hits "${dis}")
  list(LENGTH hits n)
  if(n GREATER 0)
    list(SUBLIST hits 0 5 first)
    string(REPLACE ";" "\n" first "${first}")
    fail("${obj} contains ${n} ${what} instruction(s), e.g.:\n${first}")
  else()
    message(STATUS "ok: no ${what} instructions in ${obj}")
  endif()
endfunction()

string(REPLACE "+" ";" base_objs "${BASELINE_OBJECTS}")
foreach(obj IN LISTS base_objs)
  check_no_regs(${obj} "%ymm|%zmm|%k[0-7]" "AVX/AVX-512")
endforeach()

string(REPLACE "|" ";" tiers "${TIER_OBJECTS}")
foreach(entry IN LISTS tiers)
  string(REGEX REPLACE "=.*$" "" tier "${entry}")
  string(REGEX REPLACE "^[^=]*=" "" objs "${entry}")
  string(REPLACE "+" ";" objs "${objs}")
  foreach(obj IN LISTS objs)
    if(tier STREQUAL "portable")
      check_no_regs(${obj} "%ymm|%zmm|%k[0-7]" "AVX/AVX-512")
    elseif(tier STREQUAL "avx2")
      check_no_regs(${obj} "%zmm|%k[0-7]" "AVX-512")
    endif()
    execute_process(COMMAND ${NM} -g --defined-only ${obj} OUTPUT_VARIABLE syms)
    string(REGEX MATCHALL "[^\n]+" lines "${syms}")
    set(names "")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^.* " "" name "${line}")
      list(APPEND names ${name})
    endforeach()
    if(NOT names MATCHES "^_ZN5vim4j[0-9]+${tier}6kTableE$")
      fail("${obj} (${tier}) defines global symbols other than its kTable: ${names}")
    else()
      message(STATUS "ok: ${obj} exports only ${names}")
    endif()
    execute_process(COMMAND ${OBJDUMP} -h ${obj} OUTPUT_VARIABLE sections)
    if(sections MATCHES "\\.init_array|\\.ctors")
      fail("${obj} (${tier}) has a static initialiser section")
    endif()
  endforeach()
endforeach()

execute_process(COMMAND ${NM} -D --defined-only ${LIBRARY} OUTPUT_VARIABLE dyn RESULT_VARIABLE rc)
string(REGEX MATCHALL "[^\n]+" lines "${dyn}")
set(exported "")
foreach(line IN LISTS lines)
  string(REGEX REPLACE "^.* " "" name "${line}")
  if(NOT name MATCHES "^vim4j_")
    fail("${LIBRARY} exports ${name}")
  endif()
  list(APPEND exported ${name})
endforeach()
list(LENGTH exported n)
message(STATUS "ok: ${LIBRARY} exports ${n} symbols: ${exported}")
