/* Test helpers: scratch directories and data-path lookup. */
#include "testutil.h"
#include "rekap/digits.h"
#include "rekap/status.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void rk_test_tmpdir(char *out, size_t cap)
{
    const char *base = getenv("TMPDIR");
    snprintf(out, cap, "%s/rekap-test-XXXXXX", base && base[0] ? base : "/tmp");
    assert_non_null(mkdtemp(out));
}

void rk_test_rmtree(const char *dir)
{
    char cmd[4200];
    if (strncmp(dir, "/tmp/", 5) != 0 && !getenv("TMPDIR"))
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", dir);
}

const char *rk_test_data(const char *rel, char *buf, size_t cap)
{
    const char *root = getenv("REKAP_SHARED_DATA");
    if (!root || !root[0])
        root = REKAP_SHARED_DATA;
    snprintf(buf, cap, "%s/%s", root, rel);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

void rk_test_write_file(const char *path, const char *data)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    size_t n = strlen(data);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

char *rk_test_replace(const char *src, const char *find, const char *repl)
{
    const char *at = strstr(src, find);
    if (!at)
        fail_msg("'%s' not in the input", find);
    size_t n = strlen(src) - strlen(find) + strlen(repl);
    char *out = malloc(n + 1);
    assert_non_null(out);
    size_t pre = (size_t)(at - src);
    memcpy(out, src, pre);
    strcpy(out + pre, repl);
    strcat(out, at + strlen(find));
    return out;
}

void rk_test_ack(int fd, int index)
{
    if (write(fd, &index, sizeof index) != (ssize_t)sizeof index)
        _exit(6);
}

int rk_test_kill_writer(void (*writer)(void *arg, int fd), void *arg, int stop_after)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        writer(arg, fds[1]);
        _exit(5); /* a writer returns only on failure */
    }
    close(fds[1]);
    int acked = -1, k, seen = 0;
    while (read(fds[0], &k, sizeof k) == (ssize_t)sizeof k) {
        acked = k;
        if (++seen == stop_after)
            kill(pid, SIGKILL);
    }
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(seen >= stop_after, 1);
    return acked;
}

#include <libpq-fe.h>
#include <sqlite3.h>

int rk_test_store_is_pg(void)
{
    const char *pg = getenv("REKAP_TEST_PG");
    return pg && pg[0];
}

void rk_test_pg_exec(const char *sql)
{
    PGconn *c = PQconnectdb(getenv("REKAP_TEST_PG"));
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
}

void rk_test_store_uri(const char *dir, char *out, size_t cap)
{
    if (rk_test_store_is_pg()) {
        rk_test_pg_exec("SET client_min_messages = warning; DROP SCHEMA IF EXISTS public CASCADE; "
                        "CREATE SCHEMA public");
        snprintf(out, cap, "postgres:%s", getenv("REKAP_TEST_PG"));
    } else {
        snprintf(out, cap, "%s/t.db", dir);
    }
}

void rk_test_sqlite_exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err ? err : "?");
}

int64_t rk_test_sqlite_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

void rk_test_sqlite_integrity(sqlite3 *db)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
}

void rk_test_digits_random(struct rk_digits_model *m, const struct rk_digits_arch *a,
                           unsigned seed, int mixed_biases)
{
    assert_int_equal(rk_digits_model_init(m, a), RK_OK);
    struct rk_digits_net *n = &m->net[0];
    srand(seed);
    for (size_t i = 0; i < n->nweights; i++)
        n->w[i] = ((float)rand() / (float)RAND_MAX - 0.5f) * 0.6f;
    for (uint32_t i = 0; i < a->c1; i++)
        n->c1b[i] = mixed_biases ? (float)((int)(i % 5) - 2) * 0.05f : 0.1f;
    for (uint32_t i = 0; i < a->c2; i++)
        n->c2b[i] = mixed_biases ? (float)((int)(i % 7) - 3) * 0.05f : 0.1f;
    for (uint32_t i = 0; i < a->hidden; i++)
        n->f1b[i] = mixed_biases ? (float)((int)(i % 3) - 1) * 0.05f : 0.1f;
}
