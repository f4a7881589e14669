/* Group-commit writer. The writer takes every queued job (up to max_batch), runs each under a
 * savepoint, commits once, then tells the owners of exactly those jobs: a waiting thread through
 * its own semaphore (one shared condition variable woke every waiting thread on every commit,
 * and they all queued on one mutex again, which cost election-night profiles more than the SQL
 * did), or an asynchronous owner through its callback (rk_batcher_post), so that an HTTP
 * request waiting for the commit holds no thread. */
#include "store/batch.h"
#include "rekap/status.h"

#include <pthread.h>
#include <semaphore.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

/* Jobs queued together, whose owner is told once, when the last of them has run. Only the
 * writer touches it once queued. */
struct group {
    unsigned left;           /* jobs not yet run */
    int *rcs;                /* each job's status, in order */
    void (*done)(void *ud);  /* asynchronous owner (then the group is the writer's to free) */
    void *ud;
    sem_t sem;               /* else: posted once; the waiter owns the memory */
};

struct job {
    int (*apply)(struct rk_store *s, void *arg);
    void *arg;
    int rc;
    struct group *g;
    int *rc_out; /* the group's slot for rc */
    struct job *next;
};

/* An asynchronous group and its jobs, in one allocation. */
struct posted {
    struct group g;
    struct job j[RK_BATCH_RUN_MANY_MAX];
};

struct rk_batcher {
    struct rk_store *s;
    unsigned max_batch;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work; /* writer waits for jobs */
    struct job *head, *tail;
    bool stopping;
    bool drained; /* the writer thread has been joined (rk_batcher_drain) */
    unsigned last_batch; /* jobs in the previous batch */
    struct rk_store *cp; /* the checkpoint thread's handle (NULL: the writer checkpoints) */
    pthread_t cp_thread;
    pthread_cond_t cp_work;
    bool cp_wanted;
    int boost;           /* how much the writer's nice value was lowered (0: not allowed) */
    long long jobs, commits, checkpoints;
};

static void run_batch(struct rk_batcher *b, struct job *list)
{
    int rc = rk_store_begin(b->s);
    if (rc == RK_OK)
        (void)rk_store_fold_begin(b->s); /* without it (no memory) tallies are written directly */
    int any_ok = 0;
    for (struct job *j = list; j; j = j->next) {
        if (rc != RK_OK) {
            j->rc = rc;
            continue;
        }
        int sp = rk_store_savepoint(b->s);
        if (sp != RK_OK) {
            j->rc = sp;
            continue;
        }
        j->rc = j->apply(b->s, j->arg);
        if (j->rc == RK_OK && (j->rc = rk_store_release(b->s)) == RK_OK) {
            any_ok = 1;
        } else if (rk_store_rollback_to(b->s) != RK_OK) {
            /* The transaction itself is lost: nothing of this batch can commit. */
            rc = RK_EDB;
            for (struct job *k = list; k; k = k->next)
                k->rc = RK_EDB;
            rk_store_rollback(b->s);
            return;
        }
    }
    if (rc != RK_OK)
        return;
    int crc = any_ok ? rk_store_commit(b->s) : rk_store_rollback(b->s);
    if (any_ok && crc != RK_OK) {
        rk_store_rollback(b->s);
        for (struct job *j = list; j; j = j->next)
            if (j->rc == RK_OK)
                j->rc = RK_EDB; /* not durable: the client must retry */
    }
    if (any_ok && crc == RK_OK)
        b->commits++;
}

/* Jobs queued, counting up to limit. */
static unsigned queued(const struct rk_batcher *b, unsigned limit)
{
    unsigned n = 0;
    for (const struct job *j = b->head; j && n < limit; j = j->next)
        n++;
    return n;
}

/* Under load, lets a small batch grow for a moment before committing it. Every commit costs
 * an fsync, and on a virtual disk that is ~300 us of CPU: at 5,000 uploads a second arriving
 * a few per millisecond, eager commits would spend a sixth of two cores on fsync alone (on
 * the national benchmark store this halved the commits: 6,589 -> 3,230 for 49,792 uploads).
 * Only when the previous batch had company (a lone request never waits), and for at most
 * RK_BATCH_GATHER_US. Called with mu held. */
static void gather(struct rk_batcher *b)
{
    if (b->last_batch < 2 || b->stopping || queued(b, RK_BATCH_GATHER_MIN) >= RK_BATCH_GATHER_MIN)
        return;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += RK_BATCH_GATHER_US * 1000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (!b->stopping && queued(b, RK_BATCH_GATHER_MIN) < RK_BATCH_GATHER_MIN)
        if (pthread_cond_timedwait(&b->work, &b->mu, &until) != 0)
            break;
}

/* Every upload passes through this one thread while dozens of request threads share the
 * same cores, and each commit wakes a batch of them, which the scheduler then ran ahead of
 * the writer: a higher priority for the writer alone took ~10 % more uploads a second on
 * the national benchmark. Lowering a nice value needs CAP_SYS_NICE or RLIMIT_NICE
 * (systemd: LimitNICE=, docs/operations.md); without either the writer keeps the process's
 * priority and everything still works. Linux sets nice per thread. */
static void writer_priority(struct rk_batcher *b)
{
    id_t tid = (id_t)syscall(SYS_gettid);
    int base = getpriority(PRIO_PROCESS, tid);
    for (int boost = RK_BATCH_WRITER_BOOST; boost > 0; boost -= 5)
        if (setpriority(PRIO_PROCESS, tid, base - boost) == 0) {
            b->boost = boost;
            return;
        }
}

static void *writer(void *arg)
{
    struct rk_batcher *b = arg;
    writer_priority(b);
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while (!b->head && !b->stopping)
            pthread_cond_wait(&b->work, &b->mu);
        if (!b->head && b->stopping)
            break;
        gather(b);
        /* take up to max_batch jobs */
        struct job *list = b->head, *last = list;
        unsigned n = 1;
        while (last->next && n < b->max_batch) {
            last = last->next;
            n++;
        }
        b->head = last->next;
        if (!b->head)
            b->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&b->mu);
        run_batch(b, list);
        pthread_mutex_lock(&b->mu);
        b->jobs += n; /* counted before any job returns, so a caller's stats include its job */
        b->last_batch = n;
        /* Told without the queue's lock, which every enqueue takes: telling is a semaphore
         * post or a connection's resume (a lock and a write of its own), once per group.
         * A group's memory is its owner's once told: read next before telling. */
        pthread_mutex_unlock(&b->mu);
        for (struct job *j = list, *nx; j; j = nx) {
            nx = j->next;
            struct group *g = j->g;
            *j->rc_out = j->rc;
            if (--g->left > 0)
                continue;
            if (g->done) {
                g->done(g->ud);
                free((struct posted *)(void *)g); /* g is the first member */
            } else {
                sem_post(&g->sem);
            }
        }
        pthread_mutex_lock(&b->mu);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* The write-ahead log's copy into the database, beside the writer. On the writer it ran inside
 * the commit that crossed the mark: every upload of that batch waited for ~40 MB of random
 * page writes and their fsync (~70 ms late on the national benchmark), and so did the next
 * batch, while the request threads sat idle with nothing to prepare. */
static void *checkpointer(void *arg)
{
    struct rk_batcher *b = arg;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while (!b->cp_wanted && !b->stopping)
            pthread_cond_wait(&b->cp_work, &b->mu);
        if (b->stopping)
            break;
        b->cp_wanted = false;
        pthread_mutex_unlock(&b->mu);
        int rc = rk_store_checkpoint(b->cp); /* a failure leaves it to the writer's backstop */
        pthread_mutex_lock(&b->mu);
        if (rc == RK_OK)
            b->checkpoints++;
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* Called by the store on the writer's thread, inside its commit: only a signal. */
static void log_grew(void *ud)
{
    struct rk_batcher *b = ud;
    pthread_mutex_lock(&b->mu);
    b->cp_wanted = true;
    pthread_cond_signal(&b->cp_work);
    pthread_mutex_unlock(&b->mu);
}

static void stop_checkpointer(struct rk_batcher *b)
{
    if (!b->cp)
        return;
    pthread_mutex_lock(&b->mu);
    b->stopping = true;
    pthread_cond_signal(&b->cp_work);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->cp_thread, NULL);
    rk_store_close(b->cp);
    b->cp = NULL;
}

/* A second handle for checkpoints where the engine has them; else (or on any failure) the
 * writer keeps checkpointing itself. */
static void start_checkpointer(struct rk_batcher *b, const char *db_uri)
{
    /* on the writer's own handle first: engines without checkpoints cost no second handle */
    if (rk_store_checkpoint(b->s) == RK_EUNSUPPORTED || rk_store_open(db_uri, &b->cp) != RK_OK) {
        b->cp = NULL;
        return;
    }
    if (pthread_create(&b->cp_thread, NULL, checkpointer, b) != 0) {
        rk_store_close(b->cp);
        b->cp = NULL;
    }
}

int rk_batcher_start(const char *db_uri, unsigned max_batch, struct rk_batcher **out)
{
    *out = NULL;
    struct rk_batcher *b = calloc(1, sizeof *b);
    if (!b)
        return RK_ENOMEM;
    b->max_batch = max_batch ? max_batch : RK_BATCH_MAX_DEFAULT;
    int rc = rk_store_open(db_uri, &b->s);
    if (rc != RK_OK) {
        free(b);
        return rc;
    }
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->work, NULL);
    pthread_cond_init(&b->cp_work, NULL);
    start_checkpointer(b, db_uri);
    /* The writer alone changes the database, so its page cache stays valid from batch to batch
     * (readers lose theirs at every commit): give it room for the hot index pages of a national
     * election, which are touched at random TPS. */
    rk_store_tune_writer(b->s, RK_BATCH_CACHE_MB, b->cp ? log_grew : NULL, b);
    if (pthread_create(&b->thread, NULL, writer, b) != 0) {
        stop_checkpointer(b);
        rk_store_close(b->s);
        pthread_mutex_destroy(&b->mu);
        pthread_cond_destroy(&b->work);
        pthread_cond_destroy(&b->cp_work);
        free(b);
        return RK_EINTERNAL;
    }
    *out = b;
    return RK_OK;
}

/* Links jobs[0..n) to g and queues them together (so they normally share one transaction and
 * one fsync). Returns false, queuing nothing, when the batcher is stopping. */
static bool enqueue(struct rk_batcher *b, struct group *g, struct job *jobs, size_t n,
                    int (*apply)(struct rk_store *s, void *arg), void *const *args)
{
    g->left = (unsigned)n;
    for (size_t i = 0; i < n; i++)
        jobs[i] = (struct job){.apply = apply, .arg = args[i], .g = g, .rc_out = &g->rcs[i],
                               .next = i + 1 < n ? &jobs[i + 1] : NULL};
    pthread_mutex_lock(&b->mu);
    bool stopping = b->stopping;
    if (!stopping) {
        if (b->tail)
            b->tail->next = &jobs[0];
        else
            b->head = &jobs[0];
        b->tail = &jobs[n - 1];
        pthread_cond_signal(&b->work);
    }
    pthread_mutex_unlock(&b->mu);
    return !stopping;
}

int rk_batcher_run_many(struct rk_batcher *b, size_t n,
                        int (*apply)(struct rk_store *s, void *arg), void *const *args, int *rcs)
{
    if (n == 0)
        return RK_OK;
    if (n > RK_BATCH_RUN_MANY_MAX)
        return RK_EINVAL;
    struct job j[RK_BATCH_RUN_MANY_MAX];
    struct group g = {.rcs = rcs};
    if (sem_init(&g.sem, 0, 0) != 0)
        return RK_EINTERNAL;
    bool queued = enqueue(b, &g, j, n, apply, args);
    while (queued && sem_wait(&g.sem) != 0)
        ; /* EINTR: a signal arrived; the jobs are still queued or running */
    sem_destroy(&g.sem);
    if (!queued)
        for (size_t i = 0; i < n; i++)
            rcs[i] = RK_ECONFLICT;
    return queued ? RK_OK : RK_ECONFLICT;
}

int rk_batcher_post(struct rk_batcher *b, size_t n, int (*apply)(struct rk_store *s, void *arg),
                    void *const *args, int *rcs, void (*done)(void *ud), void *ud)
{
    if (n == 0 || n > RK_BATCH_RUN_MANY_MAX)
        return RK_EINVAL;
    struct posted *p = malloc(sizeof *p);
    if (!p)
        return RK_ENOMEM;
    p->g = (struct group){.rcs = rcs, .done = done, .ud = ud};
    if (!enqueue(b, &p->g, p->j, n, apply, args)) {
        free(p);
        return RK_ECONFLICT;
    }
    return RK_OK;
}

int rk_batcher_run(struct rk_batcher *b, int (*apply)(struct rk_store *s, void *arg), void *arg)
{
    int rc;
    int status = rk_batcher_run_many(b, 1, apply, &arg, &rc);
    return status == RK_OK ? rc : status;
}

void rk_batcher_stats(struct rk_batcher *b, long long *jobs, long long *commits,
                      long long *checkpoints)
{
    pthread_mutex_lock(&b->mu);
    *jobs = b->jobs;
    *commits = b->commits;
    if (checkpoints)
        *checkpoints = b->checkpoints;
    pthread_mutex_unlock(&b->mu);
}

void rk_batcher_drain(struct rk_batcher *b)
{
    if (!b || b->drained)
        return;
    pthread_mutex_lock(&b->mu);
    b->stopping = true;
    pthread_cond_signal(&b->work);
    pthread_mutex_unlock(&b->mu);
    pthread_join(b->thread, NULL); /* the writer leaves once the queue is empty */
    b->drained = true;
}

void rk_batcher_stop(struct rk_batcher *b)
{
    if (!b)
        return;
    rk_batcher_drain(b);
    stop_checkpointer(b);
    rk_store_close(b->s);
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->work);
    pthread_cond_destroy(&b->cp_work);
    free(b);
}
