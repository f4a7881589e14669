/* The AVX-512 build of the digit CNN's forward pass: digits_fwd.c again with 16-float vectors
 * in blocks of up to 16, called by rk_digits_forward only on a machine with AVX-512F. Same
 * bits out as the 8-float build (tests/lib/test_digits.c runs both where it can). */
#include "hot.h"

#ifdef RK_HAVE_AVX512
#define RK_FWD_VL 16
#define RK_FWD_MAXV 16
#define RK_FWD_MAXP 4
#define RK_FWD_FN rk_digits_forward_v16
#define RK_FWD_ATTR RK_AVX512
#include "digits_fwd.c"
#else
typedef int rk_digits_fwd512_empty; /* ISO C wants a declaration in every file */
#endif
