/*
 * bench_streams_store.c - the cost of a state store update in
 * libsluice-streams (byte-level stores of streams/store_int.h on LMDB, the
 * changelog sent to a collector that counts): key-value puts and gets
 * without and with the record cache, an aggregation's get-then-put, window
 * puts, and the restore rate from changelog records. Commits (and cache
 * flushes) every 10,000 updates, as a task committing often would, are
 * part of the measured time.
 *
 * Usage: bench_streams_store [-n records] [-k keys] [-d parent-dir]
 * (defaults 1,000,000 records over 100,000 keys; a fresh directory under
 * parent, /tmp by default, removed at the end).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    sl_store_def_t def = {.name = name, .kind = kind, .logging = true, .caching = cache_bytes > 0,
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

static void report(const char *what, long n, int64_t ns)
{
    printf("  %-34s %9.0f updates/s  %6.3f us/update\n", what, (double)n * 1e9 / (double)ns,
           (double)ns / 1e3 / (double)n);
    fflush(stdout);
}

typedef enum op { OP_PUT, OP_GET, OP_GET_PUT, OP_WIN_PUT } op_t;

static int64_t run(bench_t *b, sl_store_t *s, op_t op)
{
    char key[32];
    uint8_t val[8];
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    int64_t t0 = sl_time_mono_ns();
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
    return sl_time_mono_ns() - t0;
}

static int64_t restore(bench_t *b, sl_store_t *s)
{
    char key[32];
    uint8_t val[8];
    int64_t t0 = sl_time_mono_ns();
    for (long i = 0; i < b->n; i++) {
        int kl = key_of(b, i, key);
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
    return sl_time_mono_ns() - t0;
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
    report("kv get+put (count), no cache", b.n, run(&b, kv, OP_GET_PUT));
    sl_store_close(kv);

    sl_store_t *ckv = open_store(&b, "ckv", SL_STORE_KV, 10 << 20);
    uint64_t sent0 = b.sent;
    report("kv put, 10 MiB cache", b.n, run(&b, ckv, OP_PUT));
    report("kv get, 10 MiB cache", b.n, run(&b, ckv, OP_GET));
    report("kv get+put (count), 10 MiB cache", b.n, run(&b, ckv, OP_GET_PUT));
    printf("  (cached: %" PRIu64 " changelog records for %ld updates)\n", b.sent - sent0, 3 * b.n);
    sl_store_close(ckv);

    sl_store_t *win = open_store(&b, "win", SL_STORE_WINDOW, 0);
    report("window put, no cache", b.n, run(&b, win, OP_WIN_PUT));
    sl_store_close(win);
    sl_store_t *cwin = open_store(&b, "cwin", SL_STORE_WINDOW, 10 << 20);
    report("window put, 10 MiB cache", b.n, run(&b, cwin, OP_WIN_PUT));
    sl_store_close(cwin);

    sl_store_t *rs = open_store(&b, "restored", SL_STORE_KV, 0);
    int64_t ns = restore(&b, rs);
    printf("  %-34s %9.0f records/s\n", "restore (kv, from changelog)", (double)b.n * 1e9 / (double)ns);
    sl_store_close(rs);

    sl_state_close(b.st);
    if (sl_state_wipe(b.dir) != SL_OK)
        fprintf(stderr, "bench_streams_store: could not remove %s\n", b.dir);
    return 0;
}
