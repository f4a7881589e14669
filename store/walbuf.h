/* The "rekap-walbuf" SQLite VFS (store/walbuf.c): the default VFS, with each write-ahead-log
 * transaction's frames gathered into one write. Private to store/. */
#ifndef REKAP_STORE_WALBUF_H
#define REKAP_STORE_WALBUF_H

#define RK_WALBUF_VFS "rekap-walbuf"

/* Registers the VFS (not as the default) once per process; thread-safe. Returns 0, or -1 when
 * SQLite has no usable default VFS (callers then open with the default). */
int rk_walbuf_register(void);

#endif
