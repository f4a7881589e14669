# Test registration. Every tests/<layer>/test_*.c is one cmocka executable linked against the
# whole app; every tests/**/*.sh is a scripted test run with bash. Tests that need data from
# ../shared/data skip (exit 77) with a message when it is absent.
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
set(REKAP_SHARED_DATA "${PROJECT_SOURCE_DIR}/../shared/data" CACHE PATH "Reference data folder")

# The helpers every unit test may use, compiled once rather than into each test.
add_library(rekap_testsupport STATIC ${PROJECT_SOURCE_DIR}/tests/testutil.c
  ${PROJECT_SOURCE_DIR}/tests/testhttp.c ${PROJECT_SOURCE_DIR}/tests/demoworld.c)
target_include_directories(rekap_testsupport PUBLIC ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(rekap_testsupport PUBLIC rekap_app PkgConfig::CMOCKA)
target_compile_definitions(rekap_testsupport PRIVATE REKAP_SHARED_DATA="${REKAP_SHARED_DATA}")

file(GLOB_RECURSE UNIT_TESTS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/*/test_*.c)
foreach(src ${UNIT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  get_filename_component(dir ${src} DIRECTORY)
  get_filename_component(layer ${dir} NAME)
  add_executable(${layer}_${name} ${src})
  target_link_libraries(${layer}_${name} PRIVATE rekap_testsupport PkgConfig::ZBAR)
  target_compile_definitions(${layer}_${name} PRIVATE
    REKAP_SHARED_DATA="${REKAP_SHARED_DATA}" REKAP_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  add_test(NAME ${layer}/${name} COMMAND ${layer}_${name})
  if(layer STREQUAL "e2e")
    set_tests_properties(${layer}/${name} PROPERTIES LABELS slow)
  endif()
  set_tests_properties(${layer}/${name} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600
    ENVIRONMENT "REKAP_SHARED_DATA=${REKAP_SHARED_DATA}")
endforeach()

file(GLOB_RECURSE SCRIPT_TESTS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/*/*.sh)
foreach(src ${SCRIPT_TESTS})
  get_filename_component(name ${src} NAME_WE)
  get_filename_component(dir ${src} DIRECTORY)
  get_filename_component(layer ${dir} NAME)
  add_test(NAME ${layer}/${name} COMMAND bash ${src})
  # A script can mark itself slow ("# ctest-label: slow"): it then runs in the plain build only,
  # not again under the sanitizers.
  file(STRINGS ${src} slow_mark REGEX "ctest-label: slow" LIMIT_COUNT 1)
  if(layer STREQUAL "e2e" OR slow_mark)
    set_tests_properties(${layer}/${name} PROPERTIES LABELS slow)
  endif()
  set_tests_properties(${layer}/${name} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600
    ENVIRONMENT "REKAP=$<TARGET_FILE:rekap>;REKAP_SHARED_DATA=${REKAP_SHARED_DATA};REKAP_SOURCE_DIR=${PROJECT_SOURCE_DIR};REKAP_BUILD_DIR=${PROJECT_BINARY_DIR}")
endforeach()

# Every fuzz target's committed corpus is replayed by the ordinary test build (fuzz/replay.c
# supplies main), so a crash once found by fuzzing stays fixed.
file(GLOB FUZZ_TARGETS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/fuzz/fuzz_*.c)
foreach(src ${FUZZ_TARGETS})
  get_filename_component(name ${src} NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" corpus ${name})
  add_executable(replay_${corpus} ${src} ${PROJECT_SOURCE_DIR}/fuzz/replay.c)
  target_link_libraries(replay_${corpus} PRIVATE rekap_app)
  add_test(NAME fuzz/${corpus} COMMAND replay_${corpus} ${PROJECT_SOURCE_DIR}/fuzz/corpus/${corpus})
endforeach()

# The same corpora under valgrind's memcheck, which also sees into the Debian libraries the
# parsers call (libjpeg, libpng, zbar, jansson); the plain build only, as valgrind cannot run
# an ASan binary. tests/valgrind.supp says what is suppressed and why; tests/e2e/valgrind.sh
# runs the whole server the same way.
find_program(VALGRIND valgrind)
if(VALGRIND AND NOT REKAP_SANITIZE)
  foreach(src ${FUZZ_TARGETS})
    get_filename_component(name ${src} NAME_WE)
    string(REGEX REPLACE "^fuzz_" "" corpus ${name})
    add_test(NAME valgrind/${corpus} COMMAND ${VALGRIND} -q --error-exitcode=99
      --leak-check=full --errors-for-leak-kinds=definite,indirect
      --show-leak-kinds=definite,indirect
      --suppressions=${PROJECT_SOURCE_DIR}/tests/valgrind.supp
      $<TARGET_FILE:replay_${corpus}> ${PROJECT_SOURCE_DIR}/fuzz/corpus/${corpus})
  endforeach()
endif()
