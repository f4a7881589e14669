/* PostgreSQL engine: not implemented yet (tracked by the national-scale issue). Opening a
 * postgres: URI fails cleanly instead of falling back to another engine. */
#include "store/store_impl.h"
#include "rekap/status.h"

int rk_postgres_open(const char *conninfo, struct rk_store **out)
{
    (void)conninfo;
    *out = NULL;
    return RK_EUNSUPPORTED;
}
