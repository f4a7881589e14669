/* The "rekap-walbuf" SQLite VFS (store/walbuf.c): the default VFS, with each write-ahead-log
 * transaction's frames gathered into one write and a checkpoint's database writes handed to
 * the disk as they go. Private to store/. */
#ifndef REKAP_STORE_WALBUF_H
#define REKAP_STORE_WALBUF_H

#define RK_WALBUF_VFS "rekap-walbuf"

/* Registers the VFS (not as the default) once per process; thread-safe. Returns 0, or -1 when
 * SQLite has no usable default VFS (callers then open with the default). */
int rk_walbuf_register(void);

/* File controls on a database opened through it (sqlite3_file_control(db, "main", op, arg));
 * SQLITE_NOTFOUND where the writeback is unavailable (not Linux, not SQLite's unix VFS).
 * WRITEBACK: arg is an int: 0 turns the checkpoint writeback off for this connection, 1 on,
 * -1 leaves it; the setting is written back. WRITEBACKS: arg is a long long: how many
 * writebacks this connection's checkpoints issued. Values far from SQLite's own op codes. */
#define RK_WALBUF_FCNTL_WRITEBACK 0x524b0001
#define RK_WALBUF_FCNTL_WRITEBACKS 0x524b0002

#endif
