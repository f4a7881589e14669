/* Demo results through the real pipeline (see cli/demo_results.c). */
#ifndef REKAP_CLI_DEMO_RESULTS_H
#define REKAP_CLI_DEMO_RESULTS_H

#include <stdint.h>
#include <stdio.h>

/* Makes fraction (0..1) of the TPS of the demo election in db report both races, and creates
 * the demo logins; writes a summary to out. Returns RK_OK or a status. */
int rk_demo_results(const char *db, double fraction, uint64_t seed, FILE *out);

#endif
