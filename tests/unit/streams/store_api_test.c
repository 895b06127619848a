/*
 * store_api_test.c - the typed store calls of streams.h (store_api.c) on
 * stores without a context: keys and values through the store's serdes,
 * byte order of ranges, windows and sessions (one key's and every key's),
 * values read staying valid until the next write, unreadable bytes, wrong
 * kinds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "store_fixture.h"

static sl_store_t *typed(sf_t *f, const char *name, sl_store_kind_t kind, const sl_serde_t *ks,
                         const sl_serde_t *vs, int64_t cache)
{
    sl_store_def_t def = {.name = name, .kind = kind, .ks = ks, .vs = vs, .logging = true, .caching = cache > 0};
    sl_store_env_t env = {.changelog = "typed-changelog", .partition = 0, .collector = &f->coll,
                          .cache_bytes = cache};
    sl_store_t *s = NULL;
    assert_int_equal(sl_store_open(f->st, &def, &env, &s), SL_OK);
    return s;
}

typedef struct collect {
    char buf[1024];
    size_t n;
} collect_t;

static bool collect_kv(const sl_val_t *key, const sl_val_t *value, void *arg)
{
    collect_t *c = arg;
    char k[64], v[64];
    c->n += (size_t)snprintf(c->buf + c->n, sizeof(c->buf) - c->n, "%s=%s;", sl_val_format(key, k, sizeof(k)),
                             sl_val_format(value, v, sizeof(v)));
    return true;
}

static bool collect_win(const sl_val_t *key, int64_t start, const sl_val_t *value, void *arg)
{
    collect_t *c = arg;
    char k[64], v[64];
    c->n += (size_t)snprintf(c->buf + c->n, sizeof(c->buf) - c->n, "%s@%lld=%s;", sl_val_format(key, k, sizeof(k)),
                             (long long)start, sl_val_format(value, v, sizeof(v)));
    return true;
}

static bool collect_ses(const sl_val_t *key, int64_t start, int64_t end, const sl_val_t *value, void *arg)
{
    collect_t *c = arg;
    char k[64], v[64];
    c->n += (size_t)snprintf(c->buf + c->n, sizeof(c->buf) - c->n, "%s[%lld,%lld]=%s;",
                             sl_val_format(key, k, sizeof(k)), (long long)start, (long long)end,
                             sl_val_format(value, v, sizeof(v)));
    return true;
}

static void test_kv_typed(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = typed(f, "counts", SL_STORE_KV, SL_STRING, SL_I64, 0);
    sl_val_t a = sl_val_str_ref("apple", 5), b = sl_val_str_ref("banana", 6), c = sl_val_str_ref("cherry", 6);
    sl_val_t one = sl_val_i64(1), two = sl_val_i64(2), out;
    assert_int_equal(sl_kv_get(s, &a, &out), SL_ERR_NOENT);
    assert_true(sl_val_is_null(&out));
    assert_int_equal(sl_kv_put(s, &a, &one), SL_OK);
    assert_int_equal(sl_kv_put(s, &c, &two), SL_OK);
    assert_int_equal(sl_kv_put(s, &b, &two), SL_OK);
    assert_int_equal(sl_kv_get(s, &a, &out), SL_OK);
    assert_int_equal(out.type, SL_V_I64);
    assert_int_equal(out.u.i64, 1);
    /* the bytes are Kafka's: UTF-8 key, 8-byte big-endian long */
    assert_int_equal(f->recs[0].klen, 5);
    assert_memory_equal(f->recs[0].key, "apple", 5);
    assert_int_equal(f->recs[0].vlen, 8);
    assert_memory_equal(f->recs[0].val, "\0\0\0\0\0\0\0\1", 8);
    assert_int_equal(f->recs[0].ts, -1); /* no context: no record time */
    collect_t col = {{0}, 0};
    assert_int_equal(sl_kv_all(s, collect_kv, &col), SL_OK);
    assert_string_equal(col.buf, "apple=1;banana=2;cherry=2;");
    memset(&col, 0, sizeof(col));
    assert_int_equal(sl_kv_range(s, &b, NULL, collect_kv, &col), SL_OK);
    assert_string_equal(col.buf, "banana=2;cherry=2;");
    memset(&col, 0, sizeof(col));
    assert_int_equal(sl_kv_range(s, NULL, &b, collect_kv, &col), SL_OK);
    assert_string_equal(col.buf, "apple=1;banana=2;");
    assert_int_equal(sl_kv_approx_count(s), 3);
    assert_int_equal(sl_kv_delete(s, &b), SL_OK);
    assert_int_equal(sl_kv_get(s, &b, &out), SL_ERR_NOENT);
    assert_int_equal(f->recs[f->n_recs - 1].vlen, -1);
    /* bad arguments */
    sl_val_t null = sl_val_null(), num = sl_val_i32(3);
    assert_int_equal(sl_kv_put(s, &null, &one), SL_ERR_INVAL);
    assert_int_equal(sl_kv_put(s, &a, &num), SL_ERR_INVAL); /* not a long */
    assert_int_equal(sl_win_put(s, &a, 0, &one), SL_ERR_INVAL); /* not a window store */
    assert_int_equal(sl_session_put(s, &a, 0, 0, &one), SL_ERR_INVAL);
    sl_store_close(s);
    sf_free(f);
}

static void test_values_live_until_write(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = typed(f, "strs", SL_STORE_KV, SL_STRING, SL_STRING, 1 << 20);
    sl_val_t k1 = sl_val_str_ref("k1", 2), k2 = sl_val_str_ref("k2", 2);
    sl_val_t v1 = sl_val_str_ref("first value", 11), v2 = sl_val_str_ref("second value", 12);
    assert_int_equal(sl_kv_put(s, &k1, &v1), SL_OK);
    assert_int_equal(sl_kv_put(s, &k2, &v2), SL_OK);
    sl_val_t o1, o2;
    assert_int_equal(sl_kv_get(s, &k1, &o1), SL_OK);
    assert_int_equal(sl_kv_get(s, &k2, &o2), SL_OK);
    assert_true(sl_val_equal(&o1, &v1)); /* both reads still valid */
    assert_true(sl_val_equal(&o2, &v2));
    /* writing a value that was just read (it lives in the store's scratch) */
    assert_int_equal(sl_kv_put(s, &k1, &o2), SL_OK);
    assert_int_equal(sl_kv_get(s, &k1, &o1), SL_OK);
    assert_true(sl_val_equal(&o1, &v2));
    sl_store_close(s);
    sf_free(f);
}

static void test_auto_serde_json(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = typed(f, "auto", SL_STORE_KV, NULL, NULL, 0);
    json_t *j = json_pack("{s:i, s:[s,s]}", "n", 3, "tags", "a", "b");
    assert_non_null(j);
    sl_val_t key = sl_val_i32(-7), val = {SL_V_JSON, {.json = j}};
    assert_int_equal(sl_kv_put(s, &key, &val), SL_OK);
    sl_val_t out;
    assert_int_equal(sl_kv_get(s, &key, &out), SL_OK);
    assert_int_equal(out.type, SL_V_JSON);
    assert_true(sl_val_equal(&out, &val));
    collect_t col = {{0}, 0};
    assert_int_equal(sl_kv_all(s, collect_kv, &col), SL_OK);
    assert_string_equal(col.buf, "-7={\"n\":3,\"tags\":[\"a\",\"b\"]};");
    json_decref(j);
    /* the reference the read holds goes with the store (checked by ASan) */
    sl_store_close(s);
    sf_free(f);
}

static void test_unreadable_bytes(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = typed(f, "longs", SL_STORE_KV, SL_STRING, SL_I64, 0);
    assert_int_equal(sl_kvs_put(s, (const uint8_t *)"k", 1, (const uint8_t *)"abc", 3, 0), SL_OK);
    sl_val_t k = sl_val_str_ref("k", 1), out;
    assert_int_equal(sl_kv_get(s, &k, &out), SL_ERR_PARSE);
    assert_true(sl_val_is_null(&out));
    collect_t col = {{0}, 0};
    assert_int_equal(sl_kv_all(s, collect_kv, &col), SL_ERR_PARSE);
    assert_string_equal(col.buf, "");
    sl_store_close(s);
    sf_free(f);
}

static void test_window_typed(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = typed(f, "wins", SL_STORE_WINDOW, SL_STRING, SL_I64, 1 << 20);
    sl_val_t a = sl_val_str_ref("a", 1), b = sl_val_str_ref("b", 1), out;
    for (int i = 0; i < 4; i++) {
        sl_val_t v = sl_val_i64(i);
        assert_int_equal(sl_win_put(s, i % 2 ? &b : &a, 1000 * (i / 2), &v), SL_OK);
    }
    assert_int_equal(sl_win_get(s, &b, 1000, &out), SL_OK);
    assert_int_equal(out.u.i64, 3);
    assert_int_equal(sl_win_get(s, &b, 2000, &out), SL_ERR_NOENT);
    collect_t col = {{0}, 0};
    assert_int_equal(sl_win_fetch(s, &a, 0, 5000, collect_win, &col), SL_OK);
    assert_string_equal(col.buf, "a@0=0;a@1000=2;");
    memset(&col, 0, sizeof(col));
    assert_int_equal(sl_win_fetch_all(s, 1000, 1000, collect_win, &col), SL_OK);
    assert_string_equal(col.buf, "a@1000=2;b@1000=3;");
    memset(&col, 0, sizeof(col));
    assert_int_equal(sl_win_fetch_range(s, &b, &b, 0, 5000, collect_win, &col), SL_OK);
    assert_string_equal(col.buf, "b@0=1;b@1000=3;");
    sl_val_t null = sl_val_null();
    assert_int_equal(sl_win_put(s, &a, 0, &null), SL_OK);
    memset(&col, 0, sizeof(col));
    assert_int_equal(sl_win_fetch(s, &a, 0, 5000, collect_win, &col), SL_OK);
    assert_string_equal(col.buf, "a@1000=2;");
    assert_int_equal(sl_kv_put(s, &a, &out), SL_ERR_INVAL);
    sl_store_close(s);
    sf_free(f);
}

static void test_session_typed(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = typed(f, "sess", SL_STORE_SESSION, SL_STRING, SL_I64, 1 << 20);
    sl_val_t u = sl_val_str_ref("user", 4), v1 = sl_val_i64(1), v2 = sl_val_i64(2);
    assert_int_equal(sl_session_put(s, &u, 100, 200, &v1), SL_OK);
    assert_int_equal(sl_session_put(s, &u, 500, 900, &v2), SL_OK);
    collect_t col = {{0}, 0};
    assert_int_equal(sl_session_fetch(s, &u, collect_ses, &col), SL_OK);
    assert_string_equal(col.buf, "user[100,200]=1;user[500,900]=2;");
    memset(&col, 0, sizeof(col));
    assert_int_equal(sl_session_find(s, &u, 250, 1000, collect_ses, &col), SL_OK);
    assert_string_equal(col.buf, "user[500,900]=2;");
    sl_val_t null = sl_val_null();
    assert_int_equal(sl_session_put(s, &u, 500, 900, &null), SL_OK);
    memset(&col, 0, sizeof(col));
    assert_int_equal(sl_session_fetch(s, &u, collect_ses, &col), SL_OK);
    assert_string_equal(col.buf, "user[100,200]=1;");
    /* every key's sessions, from the cache and then from LMDB */
    sl_val_t ab = sl_val_str_ref("ab", 2), v3 = sl_val_i64(3);
    assert_int_equal(sl_session_put(s, &ab, 300, 300, &v3), SL_OK);
    memset(&col, 0, sizeof(col));
    assert_int_equal(sl_session_fetch_all(s, collect_ses, &col), SL_OK);
    assert_string_equal(col.buf, "ab[300,300]=3;user[100,200]=1;");
    assert_int_equal(sl_store_flush(s), SL_OK);
    memset(&col, 0, sizeof(col));
    assert_int_equal(sl_session_fetch_all(s, collect_ses, &col), SL_OK);
    assert_string_equal(col.buf, "ab[300,300]=3;user[100,200]=1;");
    /* changelog key: key || end || start */
    sf_rec_t *r = &f->recs[0];
    assert_int_equal(r->klen, 4 + 16);
    assert_int_equal(sl_store_rd64(r->key + 4), 200);
    assert_int_equal(sl_store_rd64(r->key + 12), 100);
    sl_store_close(s);
    sf_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kv_typed),       cmocka_unit_test(test_values_live_until_write),
        cmocka_unit_test(test_auto_serde_json), cmocka_unit_test(test_unreadable_bytes),
        cmocka_unit_test(test_window_typed),   cmocka_unit_test(test_session_typed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
