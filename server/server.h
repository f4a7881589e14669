/* The HTTP layer (libmicrohttpd). Thin by design: it parses requests, checks limits and scope,
 * calls lib/ and store/, and renders JSON; no election logic lives here. */
#ifndef REKAP_SERVER_H
#define REKAP_SERVER_H

#include <stddef.h>
#include <stdio.h>

#define RK_SERVER_MAX_BODY_DEFAULT ((size_t)1 << 20) /* 1 MiB request body */
#define RK_SERVER_URL_MAX 2048 /* request target incl. query string -> 414 beyond */
#define RK_SERVER_CONN_LIMIT_DEFAULT 1024
#define RK_SERVER_CONN_PER_ADDR_DEFAULT 256 /* simultaneous connections from one address */
#define RK_SERVER_TIMEOUT_DEFAULT 30 /* seconds a connection may sit idle or trickle */
#define RK_SERVER_GRACE_DEFAULT 10   /* seconds rk_server_stop waits for in-flight requests */
#define RK_SERVER_THREADS_MAX 256
#define RK_SERVER_STATIC_MAX ((size_t)4 << 20) /* largest static file served */

struct rk_server_config {
    const char *db_uri;    /* store URI, opened once per worker thread */
    const char *bind_addr; /* "127.0.0.1" by default; IPv4 or IPv6 literal */
    unsigned short port;   /* 0 picks a free port (tests) */
    unsigned threads;      /* request threads; 0 = 32 per CPU (capped at THREADS_MAX) */
    size_t max_body;       /* request body cap in bytes; 0 = default 1 MiB */
    FILE *access_log;      /* one JSON object per request; NULL = none */
    const char *web_dir;   /* static pages; NULL = built-in default (REKAP_WEB_DIR) */
    unsigned conn_limit;   /* simultaneous connections; 0 = default */
    unsigned timeout_s;    /* per-connection inactivity timeout; 0 = default */
    unsigned grace_s;      /* shutdown wait for in-flight requests; 0 = default */
    const char *key_file;  /* Ed25519 log signing key (created 0600 if missing); NULL = an
                              ephemeral key, for tests only: heads it signed cannot be checked
                              after a restart */
    const char *log_id;    /* names the transparency log in signed tree heads; NULL = "rekap" */
    unsigned publish_ms;   /* sign a new tree head this often when the log grew; 0 = 1000 */
    /* Rate limits (token buckets). Per client address, all requests: rate_addr per second with
     * a burst of 2x (0 = default 200/s: a carrier-grade NAT can put a whole kecamatan's phones
     * behind one address); login attempts per username: 10 a minute; writes (submissions,
     * corrections, approvals, photos) per account or device key: 2 a second, burst 60.
     * no_rate_limit disables all three (benchmarks on loopback). */
    unsigned rate_addr;
    unsigned conn_per_addr; /* simultaneous connections per address; 0 = default 256 */
    int no_rate_limit;
    /* Public GET answers (no Authorization header, 200) are kept this long and served from
     * memory: election-night readers then cost no store query. 0 = default 1000 ms;
     * no_cache disables it (tests that read their own writes at once). */
    unsigned cache_ms;
    int no_cache;
    int no_warm;            /* skip the registry warm-up at start (rk_store_warm_step) */
    const char *model_file; /* digit model (models/digits.bin) for POST /api/read; NULL: the
                               photo reader is off and that endpoint answers 415 */
};

struct rk_server;

/* Starts serving in background threads. On success *out owns the server and
 * rk_server_port() tells the bound port. Returns RK_OK, RK_EINVAL (bad address or web dir),
 * RK_EDB (store), RK_EIO (bind), RK_EPARSE (model_file missing or not a digit model),
 * RK_ENOMEM. */
int rk_server_start(const struct rk_server_config *cfg, struct rk_server **out);

/* The TCP port actually bound. */
unsigned short rk_server_port(const struct rk_server *srv);

/* Stops accepting, lets in-flight requests finish (up to grace_s), closes the stores and frees
 * everything. NULL is a no-op. */
void rk_server_stop(struct rk_server *srv);

/* Signs a tree head now if the log grew (what the background publisher does every publish_ms).
 * Returns RK_OK or a store/signing error. */
int rk_server_publish(struct rk_server *srv);

/* Version string reported by /api/health. */
extern const char rk_server_version[];

#endif
