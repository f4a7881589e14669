/* Server identity, reported by /api/health and the Server header. */
#include "server/server.h"

const char rk_server_name[] = "rekap";
