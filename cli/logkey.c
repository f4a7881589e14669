/* The log key for verifying commands (see cli/logkey.h). */
#include "cli/logkey.h"
#include "cli/cli.h"
#include "rekap/status.h"
#include "rekap/submission.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int rk_cli_log_key(const char *hex, const char *key_file, const char *db,
                   uint8_t pub[RK_ED25519_PUBKEY_LEN], bool *have)
{
    *have = false;
    if (hex) {
        if (rk_unhex(hex, strlen(hex), pub, RK_ED25519_PUBKEY_LEN) != RK_OK) {
            fprintf(stderr, "rekap: --log-key harus 64 digit heksadesimal / --log-key must be 64 "
                            "hex digits\n");
            return RK_EINVAL;
        }
        *have = true;
        return RK_OK;
    }
    char path[4200];
    if (!key_file && db && strncmp(db, "postgres", 8) != 0) {
        snprintf(path, sizeof path, "%s.key", strncmp(db, "sqlite:", 7) == 0 ? db + 7 : db);
        if (access(path, F_OK) != 0)
            return RK_OK;
        key_file = path;
    }
    if (!key_file)
        return RK_OK;
    struct rk_local_signer ls;
    int rc = rk_local_signer_load(&ls, key_file);
    if (rc != RK_OK) {
        rk_cli_error(key_file, rc);
        return rc;
    }
    memcpy(pub, ls.signer.public_key, RK_ED25519_PUBKEY_LEN);
    rk_local_signer_free(&ls);
    *have = true;
    return RK_OK;
}

int rk_cli_store_exists(const char *uri)
{
    if (strncmp(uri, "postgres", 8) == 0)
        return RK_OK;
    const char *path = strncmp(uri, "sqlite:", 7) == 0 ? uri + 7 : uri;
    if (access(path, R_OK) == 0)
        return RK_OK;
    fprintf(stderr, "rekap: %s: basis data tidak ditemukan / database not found\n", path);
    return RK_ENOTFOUND;
}
