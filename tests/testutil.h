/* Helpers shared by the cmocka tests: scratch directories and the reference-data path. */
#ifndef REKAP_TESTUTIL_H
#define REKAP_TESTUTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* Creates a fresh scratch directory (removed by rk_test_rmtree) and returns its path in a
 * static buffer of the caller's copy. */
void rk_test_tmpdir(char *out, size_t cap);

/* Removes a directory tree created by rk_test_tmpdir. */
void rk_test_rmtree(const char *dir);

/* Returns the path of ../shared/data/<rel> in buf if it exists, else NULL (and the test should
 * skip with a message). */
const char *rk_test_data(const char *rel, char *buf, size_t cap);

/* A malloc'd copy of src with the first occurrence of find (which must occur: the test fails
 * otherwise) replaced by repl. */
char *rk_test_replace(const char *src, const char *find, const char *repl);

/* Writes len bytes to path; fails the test on error. */
void rk_test_write_file(const char *path, const char *data);

/* Store URI for a store test in scratch dir: "DIR/t.db" (SQLite), or, when REKAP_TEST_PG holds a
 * libpq conninfo (set by tests/store/postgres.sh), "postgres:<conninfo>" after dropping every
 * table so each test starts from an empty schema. */
void rk_test_store_uri(const char *dir, char *out, size_t cap);

/* True when rk_test_store_uri returns a PostgreSQL URI. */
int rk_test_store_is_pg(void);

struct rk_digits_model;
struct rk_digits_arch;

/* A one-network digit model of architecture a with weights uniform in [-0.3, 0.3] from
 * srand(seed); biases 0.1 (most relus alive), or, with mixed_biases, of both signs in a fixed
 * pattern (relu zeroes a share of every layer). Fails the test if a is refused. */
void rk_test_digits_random(struct rk_digits_model *m, const struct rk_digits_arch *a,
                           unsigned seed, int mixed_biases);

/* Runs SQL on the test PostgreSQL (fails the test on error); for engine-specific checks. */
void rk_test_pg_exec(const char *sql);

/* SQLite checks on a connection of the test's own (struct sqlite3 is SQLite's handle): run SQL
 * (fails the test on error), the first column of a query's first row (which must exist), and
 * PRAGMA integrity_check answering "ok". */
struct sqlite3;
void rk_test_sqlite_exec(struct sqlite3 *db, const char *sql);
int64_t rk_test_sqlite_int(struct sqlite3 *db, const char *sql);
void rk_test_sqlite_integrity(struct sqlite3 *db);

/* Crash tests: runs writer(arg, fd) in a forked child, which writes (with rk_test_ack) the
 * index of each write once it is durable and never returns; the parent SIGKILLs the child
 * after stop_after acknowledgements, checks that the kill is what ended it, and returns the
 * last index acknowledged (none: -1). */
int rk_test_kill_writer(void (*writer)(void *arg, int fd), void *arg, int stop_after);

/* In a writer child: acknowledges index on fd (exits the child if it cannot). */
void rk_test_ack(int fd, int index);

#endif
