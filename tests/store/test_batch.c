/* Group commit: many threads' jobs share transactions; a failing job is undone alone, the
 * others commit; nothing is acknowledged before its commit. Runs on both engines. */
#include "testutil.h"
#include "rekap/status.h"
#include "store/batch.h"

#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char dir[256], uri[1200];

/* A new store in a new temporary directory (dir, uri), migrated, and a batcher on it. */
static struct rk_store *fresh_store(unsigned max_batch, struct rk_batcher **b)
{
    rk_test_tmpdir(dir, sizeof dir);
    rk_test_store_uri(dir, uri, sizeof uri);
    struct rk_store *s;
    assert_int_equal(rk_store_open(uri, &s), RK_OK); /* migrate first */
    assert_int_equal(rk_batcher_start(uri, max_batch, b), RK_OK);
    return s;
}

struct job_arg {
    char code[RK_CODE_MAX + 1];
    int fail_after_write; /* write, then fail: the write must vanish */
};

static int put_region(struct rk_store *s, void *arg)
{
    struct job_arg *a = arg;
    struct rk_region r;
    int rc = rk_region_init(&r, a->code, strlen(a->code), "Wilayah", 7);
    if (rc == RK_OK)
        rc = rk_store_region_put(s, &r);
    if (rc == RK_OK && a->fail_after_write)
        return RK_EVALIDATION;
    return rc;
}

struct thread_arg {
    struct rk_batcher *b;
    int first, n, ok, failed;
};

static void *worker(void *p)
{
    struct thread_arg *t = p;
    for (int i = t->first; i < t->first + t->n; i++) {
        struct job_arg a = {.fail_after_write = i % 7 == 3};
        snprintf(a.code, sizeof a.code, "%d", 11 + i); /* provinces 11..98 */
        int rc = rk_batcher_run(t->b, put_region, &a);
        if (rc == RK_OK)
            t->ok++;
        else
            t->failed++;
    }
    return NULL;
}

static void test_concurrent_jobs(void **state)
{
    (void)state;
    struct rk_batcher *b;
    struct rk_store *s = fresh_store(8, &b);
    struct thread_arg t[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        t[i] = (struct thread_arg){.b = b, .first = i * 11, .n = 11};
        pthread_create(&th[i], NULL, worker, &t[i]);
    }
    int ok = 0, failed = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        ok += t[i].ok;
        failed += t[i].failed;
    }
    long long jobs, commits;
    rk_batcher_stats(b, &jobs, &commits, NULL);
    assert_int_equal(jobs, 88);
    assert_true(commits >= 1 && commits <= 88);
    /* a duplicate of an acknowledged region fails alone */
    struct job_arg dup = {.code = "11"};
    assert_int_equal(rk_batcher_run(b, put_region, &dup), RK_EEXIST);
    rk_batcher_stop(b);
    int expect_failed = 0;
    for (int i = 0; i < 88; i++)
        expect_failed += i % 7 == 3;
    assert_int_equal(failed, expect_failed);
    assert_int_equal(ok, 88 - expect_failed);
    /* exactly the acknowledged regions are stored */
    int64_t counts[RK_LEVEL_COUNT];
    assert_int_equal(rk_store_region_counts(s, "", counts), RK_OK);
    assert_int_equal(counts[RK_LEVEL_PROVINCE], ok);
    for (int i = 0; i < 88; i++) {
        char code[4];
        snprintf(code, sizeof code, "%d", 11 + i);
        struct rk_region r;
        assert_int_equal(rk_store_region_get(s, code, &r), i % 7 == 3 ? RK_ENOTFOUND : RK_OK);
    }
    rk_store_close(s);
    rk_test_rmtree(dir);
}

/* ---- posting without waiting ---- */

#define POSTS 40

/* One posted group: its jobs' arguments and statuses, and how often it was told. */
struct post_arg {
    struct job_arg a[3];
    void *args[3];
    int rcs[3];
    int told;
};

static pthread_mutex_t post_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t post_cv = PTHREAD_COND_INITIALIZER;
static int posts_told;

/* The done() callback: runs on the writer thread once the group's transaction ended. */
static void post_done(void *ud)
{
    struct post_arg *p = ud;
    pthread_mutex_lock(&post_mu);
    p->told++;
    posts_told++;
    pthread_cond_signal(&post_cv);
    pthread_mutex_unlock(&post_mu);
}

/* rk_batcher_post: groups of three queued without waiting, each told exactly once with every
 * status (a failing job alone undone); drain runs everything queued before it returns, and
 * nothing is queued after it (refused, never told); the waiting interface says the same. */
static void test_post_and_drain(void **state)
{
    (void)state;
    struct rk_batcher *b;
    struct rk_store *s = fresh_store(0, &b);
    struct job_arg prov = {.code = "11"};
    assert_int_equal(rk_batcher_run(b, put_region, &prov), RK_OK);
    static struct post_arg p[POSTS];
    memset(p, 0, sizeof p);
    posts_told = 0;
    for (int i = 0; i < POSTS; i++) {
        for (int k = 0; k < 3; k++) {
            /* kabupaten 11.01..: the middle job of every fifth group writes, then fails */
            snprintf(p[i].a[k].code, sizeof p[i].a[k].code, "11.%02d", 1 + i * 2 + (k > 0));
            p[i].a[k].fail_after_write = k == 1 && i % 5 == 0;
            p[i].args[k] = &p[i].a[k];
            p[i].rcs[k] = 12345;
        }
        /* jobs 1 and 2 name the same kabupaten: the second is a duplicate unless 1 failed */
        assert_int_equal(rk_batcher_post(b, 3, put_region, p[i].args, p[i].rcs, post_done, &p[i]),
                         RK_OK);
    }
    rk_batcher_drain(b); /* everything posted has run and been told by now */
    pthread_mutex_lock(&post_mu);
    assert_int_equal(posts_told, POSTS);
    pthread_mutex_unlock(&post_mu);
    for (int i = 0; i < POSTS; i++) {
        assert_int_equal(p[i].told, 1);
        assert_int_equal(p[i].rcs[0], RK_OK);
        assert_int_equal(p[i].rcs[1], i % 5 == 0 ? RK_EVALIDATION : RK_OK);
        assert_int_equal(p[i].rcs[2], i % 5 == 0 ? RK_OK : RK_EEXIST);
    }
    /* drained: refused at once, never told */
    struct post_arg late = {.args = {&prov}};
    assert_int_equal(rk_batcher_post(b, 1, put_region, late.args, late.rcs, post_done, &late),
                     RK_ECONFLICT);
    assert_int_equal(rk_batcher_run(b, put_region, &prov), RK_ECONFLICT);
    assert_int_equal(rk_batcher_post(b, 0, put_region, late.args, late.rcs, post_done, &late),
                     RK_EINVAL);
    long long jobs, commits;
    rk_batcher_stats(b, &jobs, &commits, NULL);
    assert_int_equal(jobs, POSTS * 3 + 1);
    assert_true(commits >= 2 && commits <= POSTS + 1); /* a group's jobs share one commit */
    rk_batcher_drain(b); /* idempotent */
    rk_batcher_stop(b);
    assert_int_equal(late.told, 0);
    /* stored: both kabupaten of every group, the province */
    int64_t counts[RK_LEVEL_COUNT];
    assert_int_equal(rk_store_region_counts(s, "", counts), RK_OK);
    assert_int_equal(counts[RK_LEVEL_KABKOTA], POSTS * 2);
    assert_int_equal(counts[RK_LEVEL_PROVINCE], 1);
    rk_store_close(s);
    rk_test_rmtree(dir);
}

/* ---- checkpoints beside the writer ---- */

#define PHOTO_BYTES 60000 /* 15 pages of 4 KiB in the log */
#define PHOTOS 3200       /* ~48,000 pages: well past the writer's backstop (30,000) */

static void photo_bytes(int i, uint8_t *buf, uint8_t hash[32])
{
    randombytes_buf_deterministic(buf, PHOTO_BYTES, (const unsigned char[32]){(uint8_t)i,
                                                                         (uint8_t)(i >> 8)});
    crypto_hash_sha256(hash, buf, PHOTO_BYTES);
}

static int put_photo(struct rk_store *s, void *arg)
{
    int i = (int)(intptr_t)arg;
    uint8_t *buf = malloc(PHOTO_BYTES), hash[32];
    if (!buf)
        return RK_ENOMEM;
    photo_bytes(i, buf, hash);
    int rc = rk_store_photo_put(s, hash, buf, PHOTO_BYTES, "image/jpeg", "kpps", 1);
    free(buf);
    return rc;
}

/* Photos first..first+7 in one call (normally one commit). RK_OK only if every one stored. */
static int put_eight(struct rk_batcher *b, int first)
{
    void *args[8];
    int rcs[8];
    for (int k = 0; k < 8; k++)
        args[k] = (void *)(intptr_t)(first + k);
    int rc = rk_batcher_run_many(b, 8, put_photo, args, rcs);
    for (int k = 0; rc == RK_OK && k < 8; k++)
        rc = rcs[k];
    return rc;
}

/* Photos 0, step, 2*step, ... up to last are in the store at uri, byte for byte, read through
 * a fresh handle. */
static void photos_back(int last, int step)
{
    struct rk_store *s;
    assert_int_equal(rk_store_open(uri, &s), RK_OK);
    uint8_t *want = malloc(PHOTO_BYTES), hash[32];
    assert_non_null(want);
    for (int i = 0; i <= last; i += step) {
        photo_bytes(i, want, hash);
        void *got;
        size_t len;
        char type[32];
        assert_int_equal(rk_store_photo_get(s, hash, &got, &len, type), RK_OK);
        assert_int_equal(len, PHOTO_BYTES);
        assert_memory_equal(got, want, PHOTO_BYTES);
        free(got);
    }
    free(want);
    rk_store_close(s);
}

/* On SQLite the write-ahead log is copied back by a thread of its own while the writer goes
 * on; the log must still restart (stay bounded: the writer's backstop), and everything
 * acknowledged must be in the database afterwards. PostgreSQL has no such thread. */
static void test_checkpoints_beside_writer(void **state)
{
    (void)state;
    struct rk_batcher *b;
    struct rk_store *s = fresh_store(0, &b);
    for (int i = 0; i < PHOTOS; i += 8)
        assert_int_equal(put_eight(b, i), RK_OK);
    long long jobs, commits, checkpoints;
    rk_batcher_stats(b, &jobs, &commits, &checkpoints);
    assert_int_equal(jobs, PHOTOS);
    if (rk_test_store_is_pg()) {
        assert_int_equal(checkpoints, 0);
    } else {
        /* signalled every 5,000 pages, then back to back before the backstop */
        assert_true(checkpoints >= 5);
        char wal[300];
        snprintf(wal, sizeof wal, "%s/t.db-wal", dir);
        struct stat st;
        assert_int_equal(stat(wal, &st), 0);
        /* a log that never restarted would hold all ~48,000 pages (4 KiB + 24 bytes each) */
        assert_true(st.st_size < (off_t)38000 * 4120);
        assert_true(st.st_size > (off_t)20000 * 4120); /* it did grow past the signals */
    }
    rk_batcher_stop(b);
    rk_store_close(s);
    photos_back(PHOTOS - 1, 97); /* every acknowledged photo (a sample), byte for byte */
    rk_test_rmtree(dir);
}

/* The crash test's child: photos from *first on, eight a commit, each commit acknowledged. */
static void photo_writer(void *arg, int fd)
{
    int first = *(int *)arg;
    struct rk_batcher *b;
    if (rk_batcher_start(uri, 0, &b) != RK_OK)
        return;
    for (int i = first;; i += 8) {
        if (put_eight(b, i) != RK_OK)
            return;
        rk_test_ack(fd, i + 7); /* the commit returned */
    }
}

/* SIGKILL while the checkpoint thread and the writer both work (every commit here is 120
 * pages, so the thread runs every ~40 commits): after reopening, every photo whose commit was
 * acknowledged is there byte for byte and the file is intact. SQLite only. */
static void test_killed_with_checkpoints(void **state)
{
    (void)state;
    if (rk_test_store_is_pg()) {
        skip();
        return;
    }
    rk_test_tmpdir(dir, sizeof dir);
    rk_test_store_uri(dir, uri, sizeof uri);
    struct rk_store *s;
    assert_int_equal(rk_store_open(uri, &s), RK_OK); /* migrate before the child writes */
    rk_store_close(s);
    int next = 0;
    for (int round = 0; round < 3; round++) {
        int stop_after = 60 + round * 47; /* commits */
        int acked = rk_test_kill_writer(photo_writer, &next, stop_after);
        assert_true(acked >= next + stop_after * 8 - 1);
        photos_back(acked, 1); /* every acknowledged photo, after recovery */
        sqlite3 *db;
        assert_int_equal(sqlite3_open(uri, &db), SQLITE_OK);
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
        sqlite3_finalize(st);
        /* the next round goes on after whatever the killed commit left (kept or not) */
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM photo", -1, &st, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        next = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(db);
        assert_true(next == acked + 1 || next == acked + 9); /* all-or-nothing commits */
    }
    rk_test_rmtree(dir);
}

/* Frames in the write-ahead log of the database at path, as a checkpoint finds them. */
static int wal_frames(const char *path)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA wal_checkpoint(PASSIVE)", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int frames = sqlite3_column_int(st, 1);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return frames;
}

/* A handle told to leave checkpoints (the server's request handles) lets ~1,500 pages of its
 * own commits stand in the log; one left at SQLite's default copies them back past 1,000.
 * SQLite only. */
static void test_leave_checkpoints(void **state)
{
    (void)state;
    if (rk_test_store_is_pg()) {
        skip();
        return;
    }
    for (int leave = 0; leave <= 1; leave++) {
        rk_test_tmpdir(dir, sizeof dir);
        rk_test_store_uri(dir, uri, sizeof uri);
        struct rk_store *s, *keep;
        assert_int_equal(rk_store_open(uri, &keep), RK_OK); /* keeps the log past the test's own closes */
        assert_int_equal(rk_store_open(uri, &s), RK_OK);
        if (leave)
            rk_store_leave_checkpoints(s);
        for (int i = 0; i < 100; i++) /* 100 commits of ~15 pages */
            assert_int_equal(put_photo(s, (void *)(intptr_t)i), RK_OK);
        rk_store_close(s);
        int frames = wal_frames(uri);
        if (leave)
            assert_true(frames >= 1400);
        else
            assert_true(frames < 1100);
        rk_store_close(keep);
        rk_test_rmtree(dir);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_jobs),
        cmocka_unit_test(test_post_and_drain),
        cmocka_unit_test(test_checkpoints_beside_writer),
        cmocka_unit_test(test_killed_with_checkpoints),
        cmocka_unit_test(test_leave_checkpoints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
