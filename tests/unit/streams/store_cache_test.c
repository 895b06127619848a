/*
 * store_cache_test.c - the record cache (cache.c) and cached stores:
 * updates fold per key until a flush (one changelog record and one
 * listener call with the old value), eviction over the budget writes
 * through oldest first, scans merge cached updates and deletes over LMDB.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store_fixture.h"

typedef struct heard {
    int calls;
    char key[64], newv[64], oldv[64];
    int32_t nlen, olen;
    int64_t ts;
} heard_t;

static void listener(void *arg, const uint8_t *key, int32_t klen, const uint8_t *newv, int32_t nlen,
                     const uint8_t *oldv, int32_t olen, int64_t ts)
{
    heard_t *h = arg;
    h->calls++;
    snprintf(h->key, sizeof(h->key), "%.*s", (int)klen, (const char *)key);
    snprintf(h->newv, sizeof(h->newv), "%.*s", newv ? (int)nlen : 0, newv ? (const char *)newv : "");
    snprintf(h->oldv, sizeof(h->oldv), "%.*s", oldv ? (int)olen : 0, oldv ? (const char *)oldv : "");
    h->nlen = nlen;
    h->olen = olen;
    h->ts = ts;
}

static void test_folding(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = sf_store(f, "agg", SL_STORE_KV, true, 1 << 20, 0, false);
    heard_t h = {0};
    assert_true(sl_store_set_flush_listener(s, listener, &h));
    char v[16];
    for (int i = 1; i <= 100; i++) {
        snprintf(v, sizeof(v), "%d", i);
        assert_int_equal(sl_kvs_put(s, (const uint8_t *)"k", 1, (const uint8_t *)v, (int32_t)strlen(v), 1000 + i),
                         SL_OK);
    }
    assert_int_equal(f->n_recs, 0);
    assert_int_equal(h.calls, 0);
    assert_string_equal(sf_get(s, "k"), "100");
    assert_int_equal(sl_store_flush(s), SL_OK);
    assert_int_equal(f->n_recs, 1);
    assert_memory_equal(f->recs[0].val, "100", 3);
    assert_int_equal(f->recs[0].ts, 1100);
    assert_int_equal(h.calls, 1);
    assert_string_equal(h.key, "k");
    assert_string_equal(h.newv, "100");
    assert_int_equal(h.olen, -1); /* nothing in LMDB before */
    assert_int_equal(h.ts, 1100);
    /* a second flush has nothing to do */
    assert_int_equal(sl_store_flush(s), SL_OK);
    assert_int_equal(h.calls, 1);
    /* the next update's old value is what LMDB holds */
    assert_int_equal(sf_put(s, "k", "101"), SL_OK);
    assert_int_equal(sf_put(s, "k", "102"), SL_OK);
    assert_int_equal(sl_store_flush(s), SL_OK);
    assert_int_equal(h.calls, 2);
    assert_string_equal(h.newv, "102");
    assert_string_equal(h.oldv, "100");
    /* a delete folds too: one tombstone */
    assert_int_equal(sf_put(s, "k", "103"), SL_OK);
    assert_int_equal(sf_put(s, "k", NULL), SL_OK);
    assert_null(sf_get(s, "k"));
    assert_int_equal(sl_store_flush(s), SL_OK);
    assert_int_equal(f->n_recs, 3);
    assert_int_equal(f->recs[2].vlen, -1);
    assert_int_equal(h.nlen, -1);
    assert_string_equal(h.oldv, "102");
    assert_null(sf_get(s, "k"));
    /* flushed data is committed with the state */
    sl_store_close(s);
    sf_reopen(f);
    s = sf_store(f, "agg", SL_STORE_KV, true, 1 << 20, 0, false);
    assert_null(sf_get(s, "k"));
    sl_store_close(s);
    sf_free(f);
}

static void test_flush_order(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = sf_store(f, "agg", SL_STORE_KV, true, 1 << 20, 0, false);
    assert_int_equal(sf_put(s, "c", "1"), SL_OK);
    assert_int_equal(sf_put(s, "a", "1"), SL_OK);
    assert_int_equal(sf_put(s, "b", "1"), SL_OK);
    assert_int_equal(sf_put(s, "c", "2"), SL_OK);
    assert_int_equal(sl_store_flush(s), SL_OK);
    /* in the order keys first became dirty */
    assert_int_equal(f->n_recs, 3);
    assert_memory_equal(f->recs[0].key, "c", 1);
    assert_memory_equal(f->recs[0].val, "2", 1);
    assert_memory_equal(f->recs[1].key, "a", 1);
    assert_memory_equal(f->recs[2].key, "b", 1);
    sl_store_close(s);
    sf_free(f);
}

static void test_eviction(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = sf_store(f, "small", SL_STORE_KV, true, 2000, 0, false);
    heard_t h = {0};
    assert_true(sl_store_set_flush_listener(s, listener, &h));
    char k[16], v[32];
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof(k), "key%03d", i);
        snprintf(v, sizeof(v), "value-%d", i);
        assert_int_equal(sf_put(s, k, v), SL_OK);
        assert_true(sl_cache_bytes(s->cache) <= 2000);
    }
    /* evicted entries were written through, the oldest first */
    assert_true(f->n_recs > 50 && f->n_recs < 100);
    assert_int_equal(h.calls, (int)f->n_recs);
    assert_memory_equal(f->recs[0].key, "key000", 6);
    assert_memory_equal(f->recs[1].key, "key001", 6);
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof(k), "key%03d", i);
        snprintf(v, sizeof(v), "value-%d", i);
        assert_string_equal(sf_get(s, k), v);
    }
    assert_int_equal(sl_store_flush(s), SL_OK);
    assert_int_equal(f->n_recs, 100); /* each key once */
    assert_int_equal(sl_store_approx_count(s), 100);
    sl_store_close(s);
    sf_free(f);
}

static void test_lru_and_dirty_lists(void **state)
{
    SL_UNUSED(state);
    sl_cache_t *c = sl_cache_new(1 << 20);
    assert_non_null(c);
    assert_int_equal(sl_cache_put(c, (const uint8_t *)"k1", 2, (const uint8_t *)"1", 1, 1, true), SL_OK);
    assert_int_equal(sl_cache_put(c, (const uint8_t *)"k2", 2, (const uint8_t *)"2", 1, 2, false), SL_OK);
    assert_int_equal(sl_cache_put(c, (const uint8_t *)"k3", 2, NULL, -1, 3, true), SL_OK);
    assert_int_equal(sl_cache_count(c), 3);
    assert_int_equal(sl_cache_dirty_count(c), 2);
    assert_memory_equal(sl_cache_lru(c)->key, "k1", 2);
    assert_non_null(sl_cache_get(c, (const uint8_t *)"k1", 2)); /* touched: now the youngest */
    assert_memory_equal(sl_cache_lru(c)->key, "k2", 2);
    /* ordered walk */
    sl_cache_entry_t *e = sl_cache_seek(c, (const uint8_t *)"k15", 3);
    assert_memory_equal(e->key, "k2", 2);
    e = sl_cache_next(e);
    assert_memory_equal(e->key, "k3", 2);
    assert_int_equal(e->vlen, -1);
    assert_null(sl_cache_next(e));
    /* dirty order, entries stay cached clean */
    e = sl_cache_pop_dirty(c);
    assert_memory_equal(e->key, "k1", 2);
    assert_false(e->dirty);
    assert_memory_equal(sl_cache_pop_dirty(c)->key, "k3", 2);
    assert_null(sl_cache_pop_dirty(c));
    assert_int_equal(sl_cache_count(c), 3);
    size_t before = sl_cache_bytes(c);
    e = sl_cache_lru(c);
    sl_cache_detach(c, e);
    sl_cache_entry_free(e);
    assert_true(sl_cache_bytes(c) < before);
    assert_null(sl_cache_get(c, (const uint8_t *)"k2", 2));
    /* many keys: hash growth and skip list order */
    char k[16];
    for (int i = 999; i >= 0; i--) {
        snprintf(k, sizeof(k), "n%04d", i);
        assert_int_equal(sl_cache_put(c, (const uint8_t *)k, 5, (const uint8_t *)k, 5, i, i % 2), SL_OK);
    }
    int n = 0;
    const uint8_t *prev = NULL;
    for (e = sl_cache_seek(c, (const uint8_t *)"n", 1); e && e->key[0] == 'n'; e = sl_cache_next(e), n++) {
        if (prev)
            assert_true(memcmp(prev, e->key, 5) < 0);
        prev = e->key;
    }
    assert_int_equal(n, 1000);
    assert_int_equal(sl_cache_dirty_count(c), 500);
    sl_cache_free(c);
}

static void test_scans_merge_cache(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = sf_store(f, "kv", SL_STORE_KV, false, 1 << 20, 0, false);
    assert_int_equal(sf_put(s, "a", "1"), SL_OK);
    assert_int_equal(sf_put(s, "b", "1"), SL_OK);
    assert_int_equal(sf_put(s, "c", "1"), SL_OK);
    assert_int_equal(sl_store_flush(s), SL_OK);
    assert_int_equal(sf_put(s, "b", "2"), SL_OK);
    assert_int_equal(sf_put(s, "c", NULL), SL_OK);
    assert_int_equal(sf_put(s, "d", "2"), SL_OK);
    assert_int_equal(sf_put(s, "0", "2"), SL_OK);
    assert_string_equal(sf_range(s, NULL, NULL, 0), "0=2;a=1;b=2;d=2;");
    assert_string_equal(sf_range(s, "b", "c", 0), "b=2;");
    sl_store_close(s);

    /* a cached window store */
    s = sf_store(f, "w", SL_STORE_WINDOW, true, 1 << 20, 0, false);
    size_t logged = f->n_recs;
    assert_int_equal(sl_wins_put(s, (const uint8_t *)"k", 1, 2000, (const uint8_t *)"x", 1, 0), SL_OK);
    assert_int_equal(sl_store_flush(s), SL_OK);
    assert_int_equal(sl_wins_put(s, (const uint8_t *)"k", 1, 1000, (const uint8_t *)"y", 1, 0), SL_OK);
    assert_int_equal(sl_wins_put(s, (const uint8_t *)"k", 1, 2000, (const uint8_t *)"z", 1, 0), SL_OK);
    assert_string_equal(sf_fetch(s, "k", 0, 5000), "k@1000=y;k@2000=z;");
    assert_int_equal(f->n_recs, logged + 1);
    sl_store_close(s);
    sf_free(f);
}

/* A scan whose callback writes to the store it walks (more keys than the
 * cache holds): no entry the scan stands on is evicted under it. */
static bool write_back(void *arg, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
    SL_UNUSED(v);
    SL_UNUSED(vlen);
    sl_store_t *s = arg;
    char nk[64];
    int n = snprintf(nk, sizeof(nk), "z%.*s", (int)klen, (const char *)k);
    assert_int_equal(sl_kvs_put(s, (const uint8_t *)nk, (size_t)n, (const uint8_t *)"new", 3, 0), SL_OK);
    assert_int_equal(sl_kvs_put(s, k, klen, (const uint8_t *)"updated", 7, 0), SL_OK);
    return true;
}

static void scan_with_writes(int64_t cache)
{
    sf_t *f = sf_new();
    sl_store_t *s = sf_store(f, "kv", SL_STORE_KV, true, cache, 0, false);
    char k[16];
    for (int i = 0; i < 40; i++) {
        snprintf(k, sizeof(k), "k%02d", i);
        assert_int_equal(sf_put(s, k, "old"), SL_OK);
    }
    assert_int_equal(sl_kvs_range(s, (const uint8_t *)"k", 1, (const uint8_t *)"k99", 3, write_back, s), SL_OK);
    /* the deferred eviction has run */
    assert_true(!s->cache || sl_cache_bytes(s->cache) <= (size_t)cache);
    for (int i = 0; i < 40; i++) {
        snprintf(k, sizeof(k), "k%02d", i);
        assert_string_equal(sf_get(s, k), "updated");
        snprintf(k, sizeof(k), "zk%02d", i);
        assert_string_equal(sf_get(s, k), "new");
    }
    assert_int_equal(sl_store_flush(s), SL_OK);
    sl_store_close(s);
    sf_free(f);
}

static void test_scan_with_writes(void **state)
{
    SL_UNUSED(state);
    scan_with_writes(3000);
    /* without a cache: the scan's cursor and the writes share LMDB's
     * transaction, or the scan reads a snapshot taken before them */
    scan_with_writes(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_folding),         cmocka_unit_test(test_flush_order),
        cmocka_unit_test(test_eviction),        cmocka_unit_test(test_lru_and_dirty_lists),
        cmocka_unit_test(test_scans_merge_cache), cmocka_unit_test(test_scan_with_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
