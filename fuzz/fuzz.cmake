# libFuzzer targets (cmake -DREKAP_FUZZ=ON -DCMAKE_C_COMPILER=clang): one binary per parser of
# untrusted bytes, fuzz_<name>, run as ./fuzz_<name> ../fuzz/corpus/<name>.
file(GLOB FUZZ_TARGETS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/fuzz/fuzz_*.c)
foreach(src ${FUZZ_TARGETS})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${name} PRIVATE rekap_app)
endforeach()
# The code under test must carry the coverage instrumentation too, or libFuzzer sees only the
# entry points (a handful of edges) and mutates blindly.
foreach(lib rekap_core rekap_store rekap_server rekap_app)
  target_compile_options(${lib} PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
endforeach()
