/* The HTTP layer (libmicrohttpd). Thin by design: it parses requests, checks limits and scope,
 * calls lib/ and store/, and renders JSON; no election logic lives here. */
#ifndef REKAP_SERVER_H
#define REKAP_SERVER_H

#include <stddef.h>
#include <stdio.h>

struct rk_server_config {
    const char *db_uri;       /* store URI, opened once per worker thread */
    const char *bind_addr;    /* "127.0.0.1" by default */
    unsigned short port;      /* 0 picks a free port (tests) */
    unsigned threads;         /* worker threads; 0 = number of CPUs */
    size_t max_body;          /* request body cap in bytes; 0 = default 1 MiB */
    FILE *access_log;         /* one JSON object per request; NULL = none */
    const char *web_dir;      /* static pages; NULL = built-in default */
};

struct rk_server;

/* Starts serving in background threads. On success *out owns the server and
 * rk_server_port() tells the bound port. Returns RK_OK, RK_EDB (store), RK_EIO (bind). */
int rk_server_start(const struct rk_server_config *cfg, struct rk_server **out);

/* The TCP port actually bound. */
unsigned short rk_server_port(const struct rk_server *srv);

/* Stops accepting, lets in-flight requests finish, frees everything. NULL is a no-op. */
void rk_server_stop(struct rk_server *srv);

#endif
