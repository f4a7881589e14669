/* Internal to lib/: RK_HOT marks a kernel gcc builds twice, for AVX2 and for the x86-64
 * baseline, picking one at load time, so the build stays portable (no -march) and still uses
 * AVX2 where the machine has it. ISO C mode keeps -ffp-contract=off and neither clone may use
 * FMA, so both compute bit-identical results. Not a public API. */
#ifndef REKAP_HOT_H
#define REKAP_HOT_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(REKAP_NO_CLONES)
#define RK_HOT __attribute__((target_clones("avx2", "default")))
/* Kernels that need a different source for AVX-512 (wider vectors, twice the registers) are
 * built a second time with RK_AVX512 and called only where __builtin_cpu_supports("avx512f"). */
#define RK_HAVE_AVX512 1
#define RK_AVX512 __attribute__((target("avx512f")))
#else
#define RK_HOT
#endif

#endif
