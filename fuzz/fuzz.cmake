# libFuzzer targets (configure with CC=clang -DREKAP_FUZZ=ON): every fuzz/fuzz_*.c becomes one
# executable linked with the core; seeds live in fuzz/corpus/<name without fuzz_>/.
file(GLOB FUZZ_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/fuzz/fuzz_*.c)
foreach(src ${FUZZ_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${name} PRIVATE rekap_core)
endforeach()
# Instrument the library too, or the fuzzer sees no coverage inside the parsers.
target_compile_options(rekap_core PUBLIC -fsanitize=fuzzer-no-link,address,undefined)
target_link_options(rekap_core PUBLIC -fsanitize=address,undefined)
