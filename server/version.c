/* Server identity, reported by /api/health and the Server header. */
#include "server/server.h"

#ifndef REKAP_VERSION
#define REKAP_VERSION "0.0.0"
#endif

const char rk_server_name[] = "rekap";
const char rk_server_version[] = REKAP_VERSION;
