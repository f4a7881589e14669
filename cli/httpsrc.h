/* Audit source over HTTP: a rekap server's public API seen through struct rk_audit_src
 * (store/audit.h), so `rekap verify --url` and `rekap audit URL` run the same checks as on a
 * database file. */
#ifndef REKAP_CLI_HTTPSRC_H
#define REKAP_CLI_HTTPSRC_H

#include "cli/http.h"
#include "store/audit.h"

struct rk_http_entry {
    uint8_t b[RK_LOGENTRY_MAX_BYTES];
    size_t len;
};

struct rk_http_src {
    struct rk_http_url url;
    struct rk_audit_race *races; /* loaded on first use */
    size_t nraces;
    struct rk_http_entry *page;  /* the last page of log entries fetched */
    uint64_t page_start;
    size_t page_n;
    long requests;               /* HTTP requests made (reports) */
    /* Where answers come from: NULL is the server at url (rk_http_get_json). Tests and
     * fuzz/fuzz_httpsrc.c set it to answer without a network; *out is a new reference. */
    int (*fetch)(void *ud, const char *path, json_t **out);
    void *fetch_ud;
};

/* Sets src up to read the server at url ("http://HOST:PORT[/PREFIX]"). Returns RK_OK or the
 * URL parser's error. */
int rk_http_src_init(struct rk_http_src *h, const char *url, struct rk_audit_src *src);

/* Frees what h cached. */
void rk_http_src_free(struct rk_http_src *h);

/* Parses a published device key (the JSON body of GET /api/devices/{id}, len bytes) into out:
 * key id, owner, scope, public key, creation and revocation times (the "revoked" flag must
 * agree with revoked_at), and the registration's log index (-1 when null or absent). Returns
 * RK_OK or RK_EPARSE. What h_device uses; also fuzzed (fuzz/fuzz_httpanswer.c). */
int rk_http_src_parse_device(const char *json, size_t len, struct rk_audit_device *out);

#endif
