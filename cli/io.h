/* File input for importers: plain or gzip-compressed files read the same way, with caps. */
#ifndef REKAP_CLI_IO_H
#define REKAP_CLI_IO_H

#include <stddef.h>

/* Calls fn for each line of path (gzip or plain; newline stripped) with its 1-based number.
 * Lines longer than max are an error (RK_ETOOBIG, *bad_line set). fn returns RK_OK to go on or
 * a status to stop with. Returns RK_OK, RK_EIO (cannot open/read) or fn's status. */
int rk_cli_each_line(const char *path, size_t max, int (*fn)(void *ud, char *line, size_t len,
                                                             long lineno),
                     void *ud, long *bad_line);

/* Reads all of path (gzip or plain) into a malloc'd, NUL-terminated buffer of at most max bytes.
 * Returns RK_OK, RK_EIO, RK_ETOOBIG or RK_ENOMEM. */
int rk_cli_slurp(const char *path, size_t max, char **buf, size_t *len);

#endif
