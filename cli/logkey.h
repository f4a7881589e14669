/* Where the verifying commands get the log's public key and name from, so every one of them
 * pins the key the same way. */
#ifndef REKAP_CLI_LOGKEY_H
#define REKAP_CLI_LOGKEY_H

#include <stdbool.h>
#include <stdint.h>

#include "rekap/sth.h"

/* Fills pub from, in order: hex (--log-key, 64 hex digits), key_file (--key: a signing key
 * file, whose public half is derived), or, when db is an SQLite path, "<db>.key" if it exists.
 * *have says whether a key was found (false is not an error: the caller decides whether to
 * trust the source's key). Returns RK_OK, or RK_EINVAL (bad hex) / the key loader's error,
 * with a bilingual message already printed to stderr. */
int rk_cli_log_key(const char *hex, const char *key_file, const char *db,
                   uint8_t pub[RK_ED25519_PUBKEY_LEN], bool *have);

/* For commands that read an existing store: RK_OK when uri is a PostgreSQL URI or an existing
 * file, else prints a bilingual message and returns RK_ENOTFOUND (opening it would create an
 * empty database, which a checking command must never do). */
int rk_cli_store_exists(const char *uri);

#endif
