/* rekap serve: runs the HTTP server until SIGTERM/SIGINT, then shuts down gracefully (stop
 * accepting, let in-flight requests finish, close the stores) and exits 0.
 *
 * The signals are blocked before the server threads start, so they inherit the mask and only
 * the main thread, parked in sigwait, ever receives them: no async-signal-safety puzzles. */
#include "cli/cli.h"
#include "rekap/form.h"
#include "rekap/status.h"
#include "rekap/text.h"
#include "server/server.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Splits "ADDR:PORT", "[V6]:PORT" or ":PORT" into addr (cap bytes) and port. */
static int parse_listen(const char *s, char *addr, size_t cap, unsigned short *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon) return RK_EINVAL;
    const char *a = s;
    size_t alen = (size_t)(colon - s);
    if (alen >= 2 && a[0] == '[' && a[alen - 1] == ']') a++, alen -= 2;
    if (alen == 0) a = "127.0.0.1", alen = strlen(a);
    if (alen >= cap) return RK_ERANGE;
    memcpy(addr, a, alen);
    addr[alen] = '\0';
    uint64_t p;
    if (rk_parse_u64(colon + 1, strlen(colon + 1), 65535, &p) != RK_OK) return RK_EINVAL;
    *port = (unsigned short)p;
    return RK_OK;
}

static int parse_count(const char *s, uint64_t max, uint64_t *out)
{
    return rk_parse_u64(s, strlen(s), max, out);
}

/* Writes the port to path atomically (temp file + rename) so a waiting test never reads a
 * half-written number. */
static int write_port_file(const char *path, unsigned short port)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) return RK_ERANGE;
    FILE *f = fopen(tmp, "w");
    if (!f) return RK_EIO;
    int ok = fprintf(f, "%u\n", (unsigned)port) > 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return RK_EIO;
    }
    return RK_OK;
}

#ifndef REKAP_MODEL_DIR
#define REKAP_MODEL_DIR "models"
#endif

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: rekap serve [--db FILE] [--listen ADDR:PORT] [--threads N]\n"
        "                   [--access-log FILE|-] [--max-body BYTES] [--web DIR]\n"
        "                   [--port-file FILE] [--max-conn N] [--timeout SECONDS]\n"
        "                   [--key FILE] [--log-id NAME] [--rate-addr N] [--no-rate-limit]\n"
        "                   [--cache-ms N] [--no-cache] [--no-warm] [--model FILE]\n"
        "  --model: model angka untuk POST /api/read / digit model for the photo reader;\n"
        "           default $REKAP_MODEL or models/digits.bin (the reader is off without one)\n"
        "  --key: kunci penanda tangan log (dibuat bila belum ada) / log signing key, created\n"
        "         if missing; default: <db>.key next to an SQLite file\n"
        "  --no-warm: jangan muat semua TPS, akun dan kunci perangkat ke memori saat mulai /\n"
        "             skip loading every TPS, account and device key into memory at start\n"
        "             (~1 KB per TPS; without it each upload reads them from the database)\n"
        "  --listen 127.0.0.1:8080 (bawaan/default); port 0 = pilih port bebas / any free port\n");
}

int rk_cmd_serve(int argc, char **argv)
{
    struct rk_server_config cfg = {.db_uri = rk_cli_default_db(), .port = 8080};
    char addr[64] = "127.0.0.1";
    const char *log_path = NULL, *port_file = NULL;
    static const struct option opts[] = {{"db", required_argument, 0, 'd'},
                                         {"listen", required_argument, 0, 'l'},
                                         {"threads", required_argument, 0, 't'},
                                         {"access-log", required_argument, 0, 'a'},
                                         {"max-body", required_argument, 0, 'b'},
                                         {"web", required_argument, 0, 'w'},
                                         {"port-file", required_argument, 0, 'p'},
                                         {"max-conn", required_argument, 0, 'c'},
                                         {"timeout", required_argument, 0, 'T'},
                                         {"key", required_argument, 0, 'k'},
                                         {"log-id", required_argument, 0, 'L'},
                                         {"rate-addr", required_argument, 0, 'R'},
                                         {"no-rate-limit", no_argument, 0, 'N'},
                                         {"cache-ms", required_argument, 0, 'C'},
                                         {"no-cache", no_argument, 0, 'X'},
                                         {"no-warm", no_argument, 0, 'W'},
                                         {"model", required_argument, 0, 'm'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    uint64_t n;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:l:t:a:b:w:p:c:T:k:L:R:NC:XWm:h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            cfg.db_uri = optarg;
            break;
        case 'l':
            if (parse_listen(optarg, addr, sizeof addr, &cfg.port) != RK_OK) {
                fprintf(stderr, "rekap serve: --listen harus ADDR:PORT / must be ADDR:PORT: %s\n",
                        optarg);
                return 2;
            }
            break;
        case 't':
            if (parse_count(optarg, RK_SERVER_THREADS_MAX, &n) != RK_OK || n == 0) goto bad_number;
            cfg.threads = (unsigned)n;
            break;
        case 'a':
            log_path = optarg;
            break;
        case 'b':
            if (parse_count(optarg, (uint64_t)1 << 30, &n) != RK_OK || n == 0) goto bad_number;
            cfg.max_body = (size_t)n;
            break;
        case 'w':
            cfg.web_dir = optarg;
            break;
        case 'p':
            port_file = optarg;
            break;
        case 'c':
            if (parse_count(optarg, 100000, &n) != RK_OK || n == 0) goto bad_number;
            cfg.conn_limit = (unsigned)n;
            break;
        case 'T':
            if (parse_count(optarg, 3600, &n) != RK_OK || n == 0) goto bad_number;
            cfg.timeout_s = (unsigned)n;
            break;
        case 'k':
            cfg.key_file = optarg;
            break;
        case 'L':
            cfg.log_id = optarg;
            break;
        case 'R':
            if (parse_count(optarg, 1000000, &n) != RK_OK || n == 0) goto bad_number;
            cfg.rate_addr = (unsigned)n;
            break;
        case 'N':
            cfg.no_rate_limit = 1;
            break;
        case 'C':
            if (parse_count(optarg, 600000, &n) != RK_OK || n == 0) goto bad_number;
            cfg.cache_ms = (unsigned)n;
            break;
        case 'X':
            cfg.no_cache = 1;
            break;
        case 'W':
            cfg.no_warm = 1;
            break;
        case 'm':
            cfg.model_file = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    cfg.bind_addr = addr;
    if (!cfg.model_file) {
        /* The photo reader is optional: without a model POST /api/read answers 415. */
        const char *env = getenv("REKAP_MODEL");
        if (env && env[0])
            cfg.model_file = env;
        else if (access("models/digits.bin", R_OK) == 0)
            cfg.model_file = "models/digits.bin";
        else if (access(REKAP_MODEL_DIR "/digits.bin", R_OK) == 0)
            cfg.model_file = REKAP_MODEL_DIR "/digits.bin";
        else
            fprintf(stderr, "rekap serve: tanpa model angka, pembaca foto mati / no digit model, "
                            "photo reader off\n");
    }
    /* The log key lives beside an SQLite store unless named: a server restarted on the same
     * data must sign with the same key, or witnesses could not check old heads. */
    char keybuf[4200];
    if (!cfg.key_file) {
        const char *path = strncmp(cfg.db_uri, "sqlite:", 7) == 0 ? cfg.db_uri + 7 : cfg.db_uri;
        if (strncmp(cfg.db_uri, "postgres", 8) == 0) {
            fprintf(stderr, "rekap: serve: --key FILE is required with PostgreSQL / --key wajib "
                            "untuk PostgreSQL\n");
            return 2;
        }
        snprintf(keybuf, sizeof keybuf, "%s.key", path);
        cfg.key_file = keybuf;
    }

    FILE *log = NULL;
    if (log_path && strcmp(log_path, "-") == 0) {
        cfg.access_log = stdout;
    } else if (log_path) {
        log = fopen(log_path, "a");
        if (!log) {
            fprintf(stderr,
                    "rekap serve: log akses tidak dapat dibuka / cannot open access log: "
                    "%s\n",
                    log_path);
            return 1;
        }
        cfg.access_log = log;
    }

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct rk_server *srv;
    int rc = rk_server_start(&cfg, &srv);
    if (rc != RK_OK) {
        if (rc == RK_EINVAL)
            fprintf(stderr, "rekap serve: alamat atau direktori web tidak valid / invalid address "
                            "or web directory\n");
        else if (rc == RK_EPARSE)
            fprintf(stderr, "rekap serve: berkas model angka tidak valid / bad digit model: %s\n",
                    cfg.model_file);
        else if (rc == RK_EIO)
            fprintf(stderr,
                    "rekap serve: tidak dapat mendengarkan di %s:%u / cannot listen on "
                    "%s:%u\n",
                    addr, (unsigned)cfg.port, addr, (unsigned)cfg.port);
        else
            rk_cli_error(cfg.db_uri, rc);
        if (log) fclose(log);
        return 1;
    }
    unsigned short port = rk_server_port(srv);
    if (port_file && write_port_file(port_file, port) != RK_OK) {
        fprintf(stderr,
                "rekap serve: berkas port tidak dapat ditulis / cannot write port file: "
                "%s\n",
                port_file);
        rk_server_stop(srv);
        if (log) fclose(log);
        return 1;
    }
    int v6 = strchr(addr, ':') != NULL;
    printf("rekap melayani di http://%s%s%s:%u/ (Ctrl-C untuk berhenti / Ctrl-C to stop)\n",
           v6 ? "[" : "", addr, v6 ? "]" : "", (unsigned)port);
    fflush(stdout);

    int sig = 0;
    sigwait(&sigs, &sig);
    fprintf(stderr, "rekap serve: berhenti (%s) / stopping\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM");
    rk_server_stop(srv);
    rk_form_render_shutdown(); /* D.Hasil PDFs warmed font caches: leak checkers want a clean exit */
    if (log) fclose(log);
    if (port_file) unlink(port_file);
    return 0;

bad_number:
    fprintf(stderr, "rekap serve: angka tidak valid untuk --%s / invalid number: %s\n",
            c == 't'   ? "threads"
            : c == 'b' ? "max-body"
            : c == 'c' ? "max-conn"
                       : "timeout",
            optarg);
    return 2;
}
