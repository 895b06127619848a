/*
 * bench_streams_store.c - the cost of a state store update in
 * libsluice-streams (byte-level stores of streams/store_int.h on LMDB, the
 * changelog sent to a collector that counts): key-value puts and gets
 * without and with the record cache, an aggregation's get-then-put, window
 * puts, and the restore rate from changelog records. Commits (and cache
 * flushes) every 10,000 updates, as a task committing often would, are
 * part of the measured time.
 *
 * Figures are per CPU second of the benchmark's thread (user and system
 * time, the commits' writes into the page cache included), so that other
 * work on the machine does not change them; wall-clock rates are shown
 * beside them.
 *
 * Usage: bench_streams_store [-n records] [-k keys] [-d parent-dir]
 * (defaults 1,000,000 records over 100,000 keys; cached runs also over
 * 1,000 keys, which fit the cache and fold between commits; a fresh directory under parent, /tmp
 * by default, removed at the end).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store_int.h"

#define COMMIT_EVERY 10000

typedef struct bench {
    char dir[256];
    sl_state_t *st;
    sl_collector_t coll;
    uint64_t sent;
    long n, keys;
} bench_t;

static sl_err_t count_send(void *arg, const char *topic, int32_t partition, const void *key, int32_t klen,
                           const void *value, int32_t vlen, int64_t ts, const sl_header_t *h, size_t nh)
{
    SL_UNUSED(topic);
    SL_UNUSED(partition);
    SL_UNUSED(key);
    SL_UNUSED(klen);
    SL_UNUSED(value);
    SL_UNUSED(vlen);
    SL_UNUSED(ts);
    SL_UNUSED(h);
    SL_UNUSED(nh);
    ((bench_t *)arg)->sent++;
    return SL_OK;
}

static void die(const char *what, sl_err_t err)
{
    fprintf(stderr, "bench_streams_store: %s: %s\n", what, sl_err_str(err));
    exit(1);
}

static sl_store_t *open_store(bench_t *b, const char *name, sl_store_kind_t kind, int64_t cache_bytes)
{
    sl_store_def_t def = {.name = name, .kind = kind, .ks = SL_STRING, .vs = SL_I64, .logging = true,
                          .caching = cache_bytes > 0,
                          .retention_ms = kind == SL_STORE_WINDOW ? 86400000 : 0};
    sl_store_env_t env = {.changelog = "bench-changelog", .collector = &b->coll, .cache_bytes = cache_bytes};
    sl_store_t *s;
    sl_err_t err = sl_store_open(b->st, &def, &env, &s);
    if (err)
        die("open store", err);
    return s;
}

/* The i-th key of a shuffled walk over the key space. */
static int key_of(const bench_t *b, long i, char *buf)
{
    unsigned long k = ((unsigned long)i * 2654435761ul) % (unsigned long)b->keys;
    return snprintf(buf, 32, "key-%010lu", k);
}

static void commit(bench_t *b, sl_store_t *s)
{
    sl_err_t err = sl_store_flush(s);
    if (!err)
        err = sl_state_commit(b->st);
    if (err)
        die("commit", err);
}

typedef struct took {
    int64_t cpu_ns, wall_ns;
} took_t;

static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static took_t since(took_t t0)
{
    return (took_t){cpu_ns() - t0.cpu_ns, sl_time_mono_ns() - t0.wall_ns};
}

static took_t now_took(void)
{
    return (took_t){cpu_ns(), sl_time_mono_ns()};
}

static void report(const char *what, long n, took_t t)
{
    printf("  %-44s %9.0f /s  %6.3f us each  (wall %9.0f /s)\n", what, (double)n * 1e9 / (double)t.cpu_ns,
           (double)t.cpu_ns / 1e3 / (double)n, (double)n * 1e9 / (double)t.wall_ns);
    printf("result bench=streams_store op=\"%s\" n=%ld cpu_ns=%lld wall_ns=%lld\n", what, n,
           (long long)t.cpu_ns, (long long)t.wall_ns);
    fflush(stdout);
}

typedef enum op { OP_PUT, OP_GET, OP_GET_PUT, OP_WIN_PUT, OP_TYPED_COUNT } op_t;

static took_t run(bench_t *b, sl_store_t *s, op_t op)
{
    char key[32];
    uint8_t val[8];
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    took_t t0 = now_took();
    for (long i = 0; i < b->n; i++) {
        int kl = key_of(b, i, key);
        const uint8_t *v;
        size_t vlen;
        sl_err_t err = SL_OK;
        sl_store_be64(val, (uint64_t)i);
        switch (op) {
        case OP_PUT:
            err = sl_kvs_put(s, (const uint8_t *)key, (size_t)kl, val, 8, i);
            break;
        case OP_GET:
            err = sl_kvs_get(s, (const uint8_t *)key, (size_t)kl, &arena, &v, &vlen);
            break;
        case OP_GET_PUT:
            err = sl_kvs_get(s, (const uint8_t *)key, (size_t)kl, &arena, &v, &vlen);
            if (err == SL_OK || err == SL_ERR_NOENT)
                err = sl_kvs_put(s, (const uint8_t *)key, (size_t)kl, val, 8, i);
            break;
        case OP_TYPED_COUNT: {
            /* what a count does through streams.h: String key, Long count */
            sl_val_t k = sl_val_str_ref(key, (size_t)kl), cur, next;
            err = sl_kv_get(s, &k, &cur);
            next = sl_val_i64(err == SL_OK ? cur.u.i64 + 1 : 1);
            if (err == SL_OK || err == SL_ERR_NOENT)
                err = sl_kv_put(s, &k, &next);
            break;
        }
        case OP_WIN_PUT:
            /* 1-minute windows moving with time: 100 records a millisecond */
            err = sl_wins_put(s, (const uint8_t *)key, (size_t)kl, (i / 100) / 60000 * 60000, val, 8, i / 100);
            break;
        }
        if (err && err != SL_ERR_NOENT)
            die("update", err);
        if ((i + 1) % COMMIT_EVERY == 0) {
            commit(b, s);
            sl_arena_reset(&arena);
        }
    }
    commit(b, s);
    sl_arena_fini(&arena);
    return since(t0);
}

/* Changelog records as the store wrote them: window stores' keys carry
 * the window start (1-minute windows moving with time) and a sequence
 * number. */
static took_t restore(bench_t *b, sl_store_t *s)
{
    char key[48];
    uint8_t val[8];
    bool win = sl_store_kind(s) == SL_STORE_WINDOW;
    took_t t0 = now_took();
    for (long i = 0; i < b->n; i++) {
        int kl = key_of(b, i, key);
        if (win) {
            sl_store_be64((uint8_t *)key + kl, (uint64_t)((i / 100) / 60000 * 60000));
            sl_store_be32((uint8_t *)key + kl + 8, 0);
            kl += 12;
        }
        sl_store_be64(val, (uint64_t)i);
        sl_err_t err = sl_store_restore(s, key, kl, val, 8);
        if (err)
            die("restore", err);
        if ((i + 1) % 100000 == 0 && (err = sl_state_commit(b->st)) != SL_OK)
            die("commit", err);
    }
    sl_err_t err = sl_state_commit(b->st);
    if (err)
        die("commit", err);
    return since(t0);
}

int main(int argc, char **argv)
{
    bench_t b = {.n = 1000000, .keys = 100000};
    const char *parent = "/tmp";
    int opt;
    while ((opt = getopt(argc, argv, "n:k:d:")) != -1) {
        if (opt == 'n')
            b.n = atol(optarg);
        else if (opt == 'k')
            b.keys = atol(optarg);
        else if (opt == 'd')
            parent = optarg;
        else {
            fprintf(stderr, "usage: bench_streams_store [-n records] [-k keys] [-d parent-dir]\n");
            return 2;
        }
    }
    if (b.n <= 0 || b.keys <= 0)
        return 2;
    snprintf(b.dir, sizeof(b.dir), "%s/sl-bench-store-XXXXXX", parent);
    if (!mkdtemp(b.dir)) {
        perror("mkdtemp");
        return 1;
    }
    b.coll.send = count_send;
    b.coll.arg = &b;
    sl_err_t err = sl_state_open(b.dir, &b.st);
    if (err)
        die("open state", err);
    printf("streams state stores (LMDB): %ld updates over %ld keys, 8-byte values, changelog counted, "
           "commit every %d\n", b.n, b.keys, COMMIT_EVERY);

    sl_store_t *kv = open_store(&b, "kv", SL_STORE_KV, 0);
    report("kv put, no cache", b.n, run(&b, kv, OP_PUT));
    report("kv get, no cache", b.n, run(&b, kv, OP_GET));
    report("kv get+put (a count), no cache", b.n, run(&b, kv, OP_GET_PUT));
    sl_store_close(kv);
    kv = open_store(&b, "typed", SL_STORE_KV, 0);
    report("typed count (sl_kv_get/put, String/Long)", b.n, run(&b, kv, OP_TYPED_COUNT));
    sl_store_close(kv);

    long keys = b.keys;
    for (int fit = 1; fit >= 0; fit--) {
        char what[64];
        b.keys = fit ? SL_MIN(keys, 1000) : keys;
        sl_store_t *ckv = open_store(&b, fit ? "cached-fit" : "cached", SL_STORE_KV, 10 << 20);
        uint64_t sent0 = b.sent;
        snprintf(what, sizeof(what), "kv put, 10 MiB cache, %ld keys", b.keys);
        report(what, b.n, run(&b, ckv, OP_PUT));
        snprintf(what, sizeof(what), "kv get, 10 MiB cache, %ld keys", b.keys);
        report(what, b.n, run(&b, ckv, OP_GET));
        snprintf(what, sizeof(what), "kv get+put (a count), 10 MiB cache, %ld keys", b.keys);
        report(what, b.n, run(&b, ckv, OP_GET_PUT));
        printf("  (%" PRIu64 " changelog records for %ld cached updates)\n", b.sent - sent0, 2 * b.n);
        sl_store_close(ckv);
    }
    b.keys = keys;

    sl_store_t *win = open_store(&b, "win", SL_STORE_WINDOW, 0);
    report("window put, no cache", b.n, run(&b, win, OP_WIN_PUT));
    sl_store_close(win);
    sl_store_t *cwin = open_store(&b, "cwin", SL_STORE_WINDOW, 10 << 20);
    report("window put, 10 MiB cache", b.n, run(&b, cwin, OP_WIN_PUT));
    sl_store_close(cwin);

    sl_store_t *rs = open_store(&b, "restored", SL_STORE_KV, 0);
    report("restore (kv, changelog records)", b.n, restore(&b, rs));
    sl_store_close(rs);
    rs = open_store(&b, "restored-win", SL_STORE_WINDOW, 0);
    report("restore (window, changelog records)", b.n, restore(&b, rs));
    sl_store_close(rs);

    sl_state_close(b.st);
    if (sl_state_wipe(b.dir) != SL_OK)
        fprintf(stderr, "bench_streams_store: could not remove %s\n", b.dir);
    return 0;
}
