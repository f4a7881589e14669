/* Group commit: one writer thread runs many small write jobs in one durable transaction, each
 * under its own savepoint, and acknowledges them only after the commit. Election night is
 * thousands of tiny writes a second; paying one fsync per batch instead of per write is what
 * lets a 2-core machine ingest a national election while never acknowledging anything that
 * is not on disk. */
#ifndef REKAP_BATCH_H
#define REKAP_BATCH_H

#include "store/store.h"

#define RK_BATCH_MAX_DEFAULT 512
#define RK_BATCH_CACHE_MB 128 /* the writer's page cache */
#define RK_BATCH_GATHER_US 1000 /* how long a busy writer lets a small batch grow */
#define RK_BATCH_GATHER_MIN 16  /* what counts as small */
#define RK_BATCH_WRITER_BOOST 10 /* nice levels the writer asks above the process, if allowed */

struct rk_batcher;

/* Opens the writer's own store handle on db_uri and starts its thread. max_batch jobs at most
 * per transaction (0 = default). Where the engine copies a write-ahead log back into the
 * database (SQLite), a second handle and thread do that beside the writer, so no commit waits
 * for it (rk_store_tune_writer); if that handle cannot be opened the writer does it itself.
 * Returns RK_OK, RK_EDB, RK_ENOMEM, RK_EINTERNAL. */
int rk_batcher_start(const char *db_uri, unsigned max_batch, struct rk_batcher **out);

/* Runs apply(s, arg) in the writer's next transaction and waits for that transaction's commit.
 * Returns apply's status (its writes rolled back to the savepoint when it is not RK_OK), or
 * RK_EDB when the commit itself failed (then nothing of the job is stored), or RK_ECONFLICT
 * when the batcher is stopping. Safe from any number of threads. */
int rk_batcher_run(struct rk_batcher *b, int (*apply)(struct rk_store *s, void *arg), void *arg);

/* As rk_batcher_run for n jobs (at most RK_BATCH_RUN_MANY_MAX) queued at once, which
 * normally land in the same transaction: apply(s, args[i]), its status in rcs[i]. Returns
 * RK_OK once all have run (each with its own status), RK_EINVAL for too many, or
 * RK_ECONFLICT (every rcs[i] too) when the batcher is stopping. */
#define RK_BATCH_RUN_MANY_MAX 8
int rk_batcher_run_many(struct rk_batcher *b, size_t n,
                        int (*apply)(struct rk_store *s, void *arg), void *const *args, int *rcs);

/* As rk_batcher_run_many without waiting: queues the n jobs and returns at once. Once all have
 * run and their transaction ended, the writer thread stores each status in rcs[i] and calls
 * done(ud), exactly once; rcs and every args[i] must stay valid until then, and done must be
 * quick (the writer waits for it: a wake-up, not work). Returns RK_OK (done will be called),
 * or RK_EINVAL (n is 0 or too many), RK_ENOMEM, RK_ECONFLICT (stopping); then nothing was
 * queued and done is never called. */
int rk_batcher_post(struct rk_batcher *b, size_t n, int (*apply)(struct rk_store *s, void *arg),
                    void *const *args, int *rcs, void (*done)(void *ud), void *ud);

/* Lifetime counters (for benchmarks and health): jobs run, transactions committed, and
 * checkpoints run by the checkpoint thread (always 0 where the engine has none; NULL: not
 * wanted). */
void rk_batcher_stats(struct rk_batcher *b, long long *jobs, long long *commits,
                      long long *checkpoints);

/* Refuses new jobs (RK_ECONFLICT) and returns once every queued one has run and its owner was
 * told; the batcher stays allocated for rk_batcher_stop. For a server whose requests wait
 * without a thread: none can be left waiting when the HTTP side stops. Idempotent; NULL is a
 * no-op. Not concurrently with rk_batcher_stop. */
void rk_batcher_drain(struct rk_batcher *b);

/* Finishes queued jobs, stops the thread, closes its store. NULL is a no-op. */
void rk_batcher_stop(struct rk_batcher *b);

#endif
