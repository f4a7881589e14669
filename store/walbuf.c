/* A SQLite VFS shim that gathers a transaction's write-ahead-log frames into one write, and
 * writes a checkpoint's database pages back to the disk as it goes instead of all at its end.
 *
 * SQLite writes each WAL frame as two pwrite calls (24-byte header, then the page), so a group
 * commit of ~15 uploads dirtying ~90 pages cost ~180 system calls on the writer thread, the one
 * thread every upload waits for. This shim buffers consecutive appends to a WAL file and hands
 * them to the real file in a few large writes just before anything that must see them: a sync, a read,
 * a size query, a truncation, a write elsewhere in the file, a file control, or close.
 *
 * Why that is safe: with synchronous=FULL (the only setting the store uses, store/sqlite.c)
 * SQLite syncs the WAL at every commit before it publishes the new frames in the shared
 * wal-index, so no other connection can be told about a frame that is still in this buffer, and
 * a crash loses only frames that were never acknowledged, exactly as without the shim.
 *
 * Checkpoint writeback: in WAL mode the database file is written only by checkpoints, which
 * copy thousands of pages into the OS cache and then fsync them in one burst. On election
 * night that burst (~20 MB, up to ~150 ms) sat in the disk's queue ahead of the writer's small
 * log syncs, so every commit during it took ~10 ms instead of ~0.5 and uploads queued behind
 * them (docs/benchmarks.md). As PostgreSQL does for its checkpoints (checkpoint_flush_after),
 * every WRITEBACK_PAGES pages written to a database file are handed to the disk and waited for
 * with sync_file_range, so at most that much is ahead of a log sync and the final fsync has
 * little left. It orders and syncs nothing SQLite relies on (the fsync still follows); it only
 * moves when pages leave the cache. The store's writer connection turns it off
 * (RK_WALBUF_FCNTL_WRITEBACK): its rare backstop checkpoint runs while every upload waits, and
 * should finish as fast as the disk allows. Other files are the real VFS's own objects. */
#define _GNU_SOURCE /* sync_file_range */
#include "store/walbuf.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WALBUF_CAP (4u << 20) /* gathered bytes before an early write: ~1,000 frames */
/* The unix VFS writes at most 128 KiB - 1 bytes per call (it masks the count to 17 bits and
 * reports a short write as a full disk), so pending bytes go out in pieces of this size. */
#define WALBUF_PIECE 0x1f000u
/* 256 KiB of 4 KiB pages, PostgreSQL's default checkpoint_flush_after on Linux; on the
 * benchmark's virtual disk a log sync beside a checkpoint of random pages waited p99 5-6 ms
 * with it and 9-14 ms without (one thread appending 64 KiB + fdatasync every 2 ms while another
 * wrote 5,000 random pages and fsynced them, repeatedly). */
#define WRITEBACK_BYTES (256u << 10)

struct walbuf_file {
    sqlite3_file base;   /* pMethods = &walbuf_io */
    sqlite3_file *real;  /* the real VFS's file, in the same allocation after this struct */
    unsigned char *buf;  /* pending bytes of [start, start + len) */
    size_t len;
    sqlite3_int64 start;
    /* database files only */
    int db_fd;                /* the real file's descriptor; -1: no writeback (WAL files too) */
    bool writeback;           /* on unless turned off by RK_WALBUF_FCNTL_WRITEBACK */
    size_t unsent;            /* bytes written since the last writeback */
    sqlite3_int64 lo, hi;     /* the range they lie in */
    long long writebacks;     /* writebacks issued (RK_WALBUF_FCNTL_WRITEBACKS) */
};

static sqlite3_vfs walbuf_vfs;
static sqlite3_io_methods walbuf_io;

/* Writes the pending bytes to the real file. */
static int flush(struct walbuf_file *f)
{
    if (f->len == 0)
        return SQLITE_OK;
    int rc = SQLITE_OK;
    for (size_t at = 0; rc == SQLITE_OK && at < f->len; at += WALBUF_PIECE) {
        size_t n = f->len - at < WALBUF_PIECE ? f->len - at : WALBUF_PIECE;
        rc = f->real->pMethods->xWrite(f->real, f->buf + at, (int)n,
                                       f->start + (sqlite3_int64)at);
    }
    f->len = 0;
    return rc;
}

static int wb_close(sqlite3_file *p)
{
    struct walbuf_file *f = (struct walbuf_file *)p;
    int rc = flush(f);
    int rc2 = f->real->pMethods->xClose(f->real);
    free(f->buf);
    f->buf = NULL;
    return rc != SQLITE_OK ? rc : rc2;
}

static int wb_read(sqlite3_file *p, void *out, int amt, sqlite3_int64 off)
{
    struct walbuf_file *f = (struct walbuf_file *)p;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, out, amt, off);
}

/* A database page write: through at once, then the writeback once enough has gathered. */
static int db_write(struct walbuf_file *f, const void *data, int amt, sqlite3_int64 off)
{
    int rc = f->real->pMethods->xWrite(f->real, data, amt, off);
    if (rc != SQLITE_OK || !f->writeback || amt <= 0)
        return rc;
    sqlite3_int64 end = off + amt;
    if (f->unsent == 0 || off < f->lo)
        f->lo = off;
    if (f->unsent == 0 || end > f->hi)
        f->hi = end;
    f->unsent += (size_t)amt;
    if (f->unsent >= WRITEBACK_BYTES) {
        /* A failure changes nothing but timing: the checkpoint's fsync still writes it all. */
        (void)sync_file_range(f->db_fd, f->lo, f->hi - f->lo,
                              SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                  SYNC_FILE_RANGE_WAIT_AFTER);
        f->writebacks++;
        f->unsent = 0;
    }
    return SQLITE_OK;
}

static int wb_write(sqlite3_file *p, const void *data, int amt, sqlite3_int64 off)
{
    struct walbuf_file *f = (struct walbuf_file *)p;
    if (f->db_fd >= 0)
        return db_write(f, data, amt, off);
    if (amt <= 0)
        return f->real->pMethods->xWrite(f->real, data, amt, off);
    size_t n = (size_t)amt;
    if (f->len > 0 && (off != f->start + (sqlite3_int64)f->len || f->len + n > WALBUF_CAP ||
                       n > WALBUF_PIECE)) {
        /* Not an append to what is pending, or no room: write that out first. */
        int rc = flush(f);
        if (rc != SQLITE_OK)
            return rc;
    }
    if (n > WALBUF_PIECE || (!f->buf && !(f->buf = malloc(WALBUF_CAP))))
        return f->real->pMethods->xWrite(f->real, data, amt, off);
    if (f->len == 0)
        f->start = off;
    memcpy(f->buf + f->len, data, n);
    f->len += n;
    return SQLITE_OK;
}

static int wb_truncate(sqlite3_file *p, sqlite3_int64 size)
{
    struct walbuf_file *f = (struct walbuf_file *)p;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int wb_sync(sqlite3_file *p, int flags)
{
    struct walbuf_file *f = (struct walbuf_file *)p;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int wb_size(sqlite3_file *p, sqlite3_int64 *size)
{
    struct walbuf_file *f = (struct walbuf_file *)p;
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int wb_lock(sqlite3_file *p, int level)
{
    struct walbuf_file *f = (struct walbuf_file *)p;
    return f->real->pMethods->xLock(f->real, level);
}

static int wb_unlock(sqlite3_file *p, int level)
{
    struct walbuf_file *f = (struct walbuf_file *)p;
    return f->real->pMethods->xUnlock(f->real, level);
}

static int wb_reserved(sqlite3_file *p, int *out)
{
    struct walbuf_file *f = (struct walbuf_file *)p;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int wb_fcntl(sqlite3_file *p, int op, void *arg)
{
    struct walbuf_file *f = (struct walbuf_file *)p;
    if (op == RK_WALBUF_FCNTL_WRITEBACK) {
        if (f->db_fd < 0)
            return SQLITE_NOTFOUND;
        int *on = arg;
        if (*on >= 0)
            f->writeback = *on != 0;
        *on = f->writeback;
        return SQLITE_OK;
    }
    if (op == RK_WALBUF_FCNTL_WRITEBACKS) {
        if (f->db_fd < 0)
            return SQLITE_NOTFOUND;
        *(long long *)arg = f->writebacks;
        return SQLITE_OK;
    }
    int rc = flush(f);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int wb_sector(sqlite3_file *p)
{
    struct walbuf_file *f = (struct walbuf_file *)p;
    return f->real->pMethods->xSectorSize(f->real);
}

static int wb_device(sqlite3_file *p)
{
    struct walbuf_file *f = (struct walbuf_file *)p;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

/* The wal-index (shared memory) belongs to the database file, which this VFS now wraps too:
 * these forward to the real file. */
static int wb_shm_map(sqlite3_file *p, int pg, int sz, int extend, void volatile **out)
{
    struct walbuf_file *f = (struct walbuf_file *)p;
    return f->real->pMethods->xShmMap(f->real, pg, sz, extend, out);
}

static int wb_shm_lock(sqlite3_file *p, int off, int n, int flags)
{
    struct walbuf_file *f = (struct walbuf_file *)p;
    return f->real->pMethods->xShmLock(f->real, off, n, flags);
}

static void wb_shm_barrier(sqlite3_file *p)
{
    struct walbuf_file *f = (struct walbuf_file *)p;
    f->real->pMethods->xShmBarrier(f->real);
}

static int wb_shm_unmap(sqlite3_file *p, int del)
{
    struct walbuf_file *f = (struct walbuf_file *)p;
    return f->real->pMethods->xShmUnmap(f->real, del);
}

static int wb_fetch(sqlite3_file *p, sqlite3_int64 off, int amt, void **out)
{
    struct walbuf_file *f = (struct walbuf_file *)p;
    int rc = flush(f);
    if (rc == SQLITE_OK && f->real->pMethods->iVersion < 3) {
        *out = NULL; /* "no mapping": SQLite reads instead */
        return SQLITE_OK;
    }
    return rc != SQLITE_OK ? rc : f->real->pMethods->xFetch(f->real, off, amt, out);
}

static int wb_unfetch(sqlite3_file *p, sqlite3_int64 off, void *page)
{
    struct walbuf_file *f = (struct walbuf_file *)p;
    return f->real->pMethods->xUnfetch(f->real, off, page);
}

/* The descriptor of a database file the unix VFS opened, or -1. SQLite has no interface for
 * it, so this reads the one field of its unixFile that has stood right after the three
 * pointers that begin it since SQLite 3.7 (pMethod, pVfs, pInode, then int h), and trusts it
 * only when it names an open file that is the very file asked for (same device and inode);
 * anything else, on another SQLite or platform, just leaves the writeback off. */
static int real_fd(const sqlite3_vfs *vfs, sqlite3_file *real, const char *name)
{
#if defined(__linux__)
    if (!name || strcmp(vfs->zName, "unix") != 0)
        return -1;
    int fd;
    memcpy(&fd, (const char *)real + 3 * sizeof(void *), sizeof fd);
    struct stat a, b;
    if (fd < 0 || fstat(fd, &a) != 0 || stat(name, &b) != 0 || a.st_dev != b.st_dev ||
        a.st_ino != b.st_ino || !S_ISREG(a.st_mode))
        return -1;
    return fd;
#else
    (void)vfs;
    (void)real;
    (void)name;
    return -1;
#endif
}

static int wb_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags,
                   int *out_flags)
{
    sqlite3_vfs *real = vfs->pAppData;
    if (!(flags & (SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_DB)))
        return real->xOpen(real, name, file, flags, out_flags); /* szOsFile covers it */
    struct walbuf_file *f = (struct walbuf_file *)file;
    memset(f, 0, sizeof *f);
    f->db_fd = -1;
    f->real = (sqlite3_file *)(f + 1);
    int rc = real->xOpen(real, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK || !f->real->pMethods) {
        /* SQLite calls xClose only when pMethods is set: leave it unset unless the real file
         * needs closing. */
        if (f->real->pMethods)
            f->real->pMethods->xClose(f->real);
        file->pMethods = NULL;
        return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
    }
    if (flags & SQLITE_OPEN_MAIN_DB) {
        f->db_fd = real_fd(real, f->real, name);
        f->writeback = f->db_fd >= 0;
    }
    file->pMethods = &walbuf_io;
    return SQLITE_OK;
}

static int wb_delete(sqlite3_vfs *v, const char *name, int sync)
{
    sqlite3_vfs *real = v->pAppData;
    return real->xDelete(real, name, sync);
}

static int wb_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
    sqlite3_vfs *real = v->pAppData;
    return real->xAccess(real, name, flags, out);
}

static int wb_fullname(sqlite3_vfs *v, const char *name, int n, char *out)
{
    sqlite3_vfs *real = v->pAppData;
    return real->xFullPathname(real, name, n, out);
}

static void *wb_dlopen(sqlite3_vfs *v, const char *name)
{
    sqlite3_vfs *real = v->pAppData;
    return real->xDlOpen(real, name);
}

static void wb_dlerror(sqlite3_vfs *v, int n, char *out)
{
    sqlite3_vfs *real = v->pAppData;
    real->xDlError(real, n, out);
}

static void (*wb_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
    sqlite3_vfs *real = v->pAppData;
    return real->xDlSym(real, h, sym);
}

static void wb_dlclose(sqlite3_vfs *v, void *h)
{
    sqlite3_vfs *real = v->pAppData;
    real->xDlClose(real, h);
}

static int wb_random(sqlite3_vfs *v, int n, char *out)
{
    sqlite3_vfs *real = v->pAppData;
    return real->xRandomness(real, n, out);
}

static int wb_sleep(sqlite3_vfs *v, int us)
{
    sqlite3_vfs *real = v->pAppData;
    return real->xSleep(real, us);
}

static int wb_time(sqlite3_vfs *v, double *out)
{
    sqlite3_vfs *real = v->pAppData;
    return real->xCurrentTime(real, out);
}

static int wb_lasterror(sqlite3_vfs *v, int n, char *out)
{
    sqlite3_vfs *real = v->pAppData;
    return real->xGetLastError ? real->xGetLastError(real, n, out) : 0;
}

static int wb_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
    sqlite3_vfs *real = v->pAppData;
    return real->xCurrentTimeInt64(real, out);
}

static int registered = SQLITE_ERROR;

static void do_register(void)
{
    sqlite3_vfs *real = sqlite3_vfs_find(NULL);
    if (!real || real->iVersion < 2)
        return;
    walbuf_io = (sqlite3_io_methods){
        .iVersion = 3, .xClose = wb_close, .xRead = wb_read, .xWrite = wb_write,
        .xTruncate = wb_truncate, .xSync = wb_sync, .xFileSize = wb_size, .xLock = wb_lock,
        .xUnlock = wb_unlock, .xCheckReservedLock = wb_reserved, .xFileControl = wb_fcntl,
        .xSectorSize = wb_sector, .xDeviceCharacteristics = wb_device, .xShmMap = wb_shm_map,
        .xShmLock = wb_shm_lock, .xShmBarrier = wb_shm_barrier, .xShmUnmap = wb_shm_unmap,
        .xFetch = wb_fetch, .xUnfetch = wb_unfetch,
    };
    walbuf_vfs = (sqlite3_vfs){
        .iVersion = 2, .szOsFile = (int)sizeof(struct walbuf_file) + real->szOsFile,
        .mxPathname = real->mxPathname, .zName = RK_WALBUF_VFS, .pAppData = real,
        .xOpen = wb_open, .xDelete = wb_delete, .xAccess = wb_access,
        .xFullPathname = wb_fullname, .xDlOpen = wb_dlopen, .xDlError = wb_dlerror,
        .xDlSym = wb_dlsym, .xDlClose = wb_dlclose, .xRandomness = wb_random,
        .xSleep = wb_sleep, .xCurrentTime = wb_time, .xGetLastError = wb_lasterror,
        .xCurrentTimeInt64 = wb_time64,
    };
    registered = sqlite3_vfs_register(&walbuf_vfs, 0);
}

int rk_walbuf_register(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, do_register);
    return registered == SQLITE_OK ? 0 : -1;
}
