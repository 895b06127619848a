/*
 * store_window_test.c - the window store on bytes (store_int.h): put and
 * fetch by key and time, key ranges, retention dropping old windows by
 * segment, duplicates, the changelog's WindowKeySchema bytes, restore.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store_fixture.h"

#define MIN 60000

static sl_err_t wput(sl_store_t *s, const char *k, int64_t start, const char *v)
{
    return sl_wins_put(s, (const uint8_t *)k, strlen(k), start, (const uint8_t *)v, v ? (int32_t)strlen(v) : -1,
                       start);
}

static const char *wget(sl_store_t *s, const char *k, int64_t start)
{
    static char out[128];
    sl_arena_t a;
    sl_arena_init(&a, 0, 0);
    const uint8_t *v;
    size_t n;
    sl_err_t err = sl_wins_get(s, (const uint8_t *)k, strlen(k), start, &a, &v, &n);
    const char *res = NULL;
    if (!err) {
        snprintf(out, sizeof(out), "%.*s", (int)n, (const char *)v);
        res = out;
    } else {
        assert_int_equal(err, SL_ERR_NOENT);
    }
    sl_arena_fini(&a);
    return res;
}

static void test_put_fetch(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = sf_store(f, "w", SL_STORE_WINDOW, false, 0, 0, false);
    assert_int_equal(wput(s, "a", 2000, "a2"), SL_OK);
    assert_int_equal(wput(s, "a", 1000, "a1"), SL_OK);
    assert_int_equal(wput(s, "a", 3000, "a3"), SL_OK);
    assert_int_equal(wput(s, "a\x01", 1500, "long"), SL_OK); /* sorts among a's windows */
    assert_int_equal(wput(s, "b", 1000, "b1"), SL_OK);
    assert_string_equal(sf_fetch(s, "a", 0, 10000), "a@1000=a1;a@2000=a2;a@3000=a3;");
    assert_string_equal(sf_fetch(s, "a", 1500, 2500), "a@2000=a2;");
    assert_string_equal(sf_fetch(s, "a", 2000, 3000), "a@2000=a2;a@3000=a3;");
    assert_string_equal(sf_fetch(s, "a", 4000, 9000), "");
    assert_string_equal(sf_fetch(s, "c", 0, 9000), "");
    assert_string_equal(wget(s, "a", 2000), "a2");
    assert_null(wget(s, "a", 2001));
    assert_int_equal(wput(s, "a", 2000, "a2'"), SL_OK); /* replaces */
    assert_string_equal(sf_fetch(s, "a", 2000, 2000), "a@2000=a2';");
    assert_int_equal(wput(s, "a", 2000, NULL), SL_OK); /* deletes */
    assert_string_equal(sf_fetch(s, "a", 0, 10000), "a@1000=a1;a@3000=a3;");
    assert_string_equal(sf_fetch_range(s, NULL, NULL, 0, 10000), "a@1000=a1;a@3000=a3;a\x01@1500=long;b@1000=b1;");
    assert_string_equal(sf_fetch_range(s, "a\x01", "b", 1000, 1000), "b@1000=b1;");
    assert_string_equal(sf_fetch_range(s, "a\x01", NULL, 0, 10000), "a\x01@1500=long;b@1000=b1;");
    assert_string_equal(sf_fetch_range(s, NULL, "a", 0, 10000), "a@1000=a1;a@3000=a3;");
    assert_int_equal(sl_wins_put(s, (const uint8_t *)"a", 1, -5, (const uint8_t *)"x", 1, 0), SL_ERR_INVAL);
    sl_store_close(s);
    sf_free(f);
}

static void test_retention(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    /* retention 4 min: segments of 2 min */
    sl_store_t *s = sf_store(f, "w", SL_STORE_WINDOW, true, 0, 4 * MIN, false);
    assert_int_equal(wput(s, "k", 0, "w0"), SL_OK);
    assert_int_equal(wput(s, "k", 1 * MIN, "w1"), SL_OK);
    assert_int_equal(wput(s, "k", 3 * MIN, "w3"), SL_OK);
    assert_string_equal(sf_fetch(s, "k", 0, 100 * MIN), "k@0=w0;k@60000=w1;k@180000=w3;");
    /* stream time 5 min: windows starting at or before 1 min are expired */
    assert_int_equal(wput(s, "k", 5 * MIN, "w5"), SL_OK);
    assert_string_equal(sf_fetch(s, "k", 0, 100 * MIN), "k@180000=w3;k@300000=w5;");
    assert_null(wget(s, "k", 1 * MIN));
    /* a late write to an expired window is dropped, not logged */
    size_t logged = f->n_recs;
    assert_int_equal(wput(s, "k", 1 * MIN, "late"), SL_OK);
    assert_int_equal(f->n_recs, logged);
    assert_string_equal(sf_fetch(s, "k", 0, 100 * MIN), "k@180000=w3;k@300000=w5;");
    /* segment 0 ([0, 2 min)) also holds live times: it stays in LMDB */
    assert_int_equal(sl_store_approx_count(s), 4);
    /* retention and stream time survive a reopen */
    sl_store_close(s);
    sf_reopen(f);
    s = sf_store(f, "w", SL_STORE_WINDOW, true, 0, 4 * MIN, false);
    assert_string_equal(sf_fetch(s, "k", 0, 100 * MIN), "k@180000=w3;k@300000=w5;");
    assert_int_equal(wput(s, "k", 1 * MIN, "late"), SL_OK);
    assert_string_equal(sf_fetch(s, "k", 0, 2 * MIN), "");
    /* far ahead: everything older goes */
    assert_int_equal(wput(s, "k", 100 * MIN, "w100"), SL_OK);
    assert_string_equal(sf_fetch_range(s, NULL, NULL, 0, 1000 * MIN), "k@6000000=w100;");
    /* every older segment is gone from LMDB, not only hidden */
    assert_int_equal(sl_store_approx_count(s), 1);
    sl_store_close(s);
    sf_free(f);
}

static void test_duplicates(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = sf_store(f, "join", SL_STORE_WINDOW, true, 1 << 20, 0, true);
    assert_false(sl_store_set_flush_listener(s, NULL, NULL)); /* never cached */
    assert_int_equal(wput(s, "k", 1000, "x"), SL_OK);
    assert_int_equal(wput(s, "k", 1000, "y"), SL_OK);
    assert_int_equal(wput(s, "k", 1000, "x"), SL_OK);
    assert_int_equal(wput(s, "k", 500, "z"), SL_OK);
    assert_string_equal(sf_fetch(s, "k", 0, 2000), "k@500=z;k@1000=x;k@1000=y;k@1000=x;");
    assert_int_equal(f->n_recs, 4);
    /* each changelog key carries its own sequence number */
    assert_int_equal(f->recs[0].klen, 1 + 12);
    assert_int_equal(sl_store_rd32(f->recs[0].key + 9), 1);
    assert_int_equal(sl_store_rd32(f->recs[1].key + 9), 2);
    assert_int_equal(sl_store_rd32(f->recs[3].key + 9), 4);
    /* sequence numbers go on after a reopen (no overwrite of kept ones) */
    sl_store_close(s);
    sf_reopen(f);
    s = sf_store(f, "join", SL_STORE_WINDOW, true, 1 << 20, 0, true);
    assert_int_equal(wput(s, "k", 1000, "after"), SL_OK);
    assert_string_equal(sf_fetch(s, "k", 1000, 1000), "k@1000=x;k@1000=y;k@1000=x;k@1000=after;");
    sl_store_close(s);
    sf_free(f);
}

static void test_changelog_and_restore(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = sf_store(f, "w", SL_STORE_WINDOW, true, 0, 10 * MIN, false);
    assert_int_equal(wput(s, "key", 0x0102030405LL, "v"), SL_OK);
    assert_int_equal(f->n_recs, 1);
    static const uint8_t want[] = {'k', 'e', 'y', 0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0, 0};
    assert_int_equal(f->recs[0].klen, sizeof(want));
    assert_memory_equal(f->recs[0].key, want, sizeof(want));
    assert_int_equal(f->recs[0].ts, 0x0102030405LL);
    assert_int_equal(wput(s, "key", 0x0102030405LL, NULL), SL_OK);
    assert_int_equal(f->recs[1].vlen, -1);
    sl_store_close(s);
    f->n_recs = 0;
    s = sf_store(f, "w2", SL_STORE_WINDOW, true, 0, 10 * MIN, false);
    for (int i = 0; i < 30; i++) {
        char k[8];
        snprintf(k, sizeof(k), "k%d", i % 4);
        assert_int_equal(wput(s, k, (int64_t)i * MIN, i % 5 ? "v" : NULL), SL_OK);
    }
    sl_store_t *r = sf_store(f, "copy", SL_STORE_WINDOW, false, 0, 10 * MIN, false);
    for (size_t i = 0; i < f->n_recs; i++) {
        sf_rec_t *rec = &f->recs[i];
        assert_int_equal(sl_store_restore(r, rec->key, rec->klen, rec->vlen < 0 ? NULL : rec->val, rec->vlen),
                         SL_OK);
    }
    char want_all[2048];
    snprintf(want_all, sizeof(want_all), "%s", sf_fetch_range(s, NULL, NULL, 0, 1000 * MIN));
    assert_true(strlen(want_all) > 20);
    assert_string_equal(sf_fetch_range(r, NULL, NULL, 0, 1000 * MIN), want_all);
    /* a changelog key too short for the schema is refused */
    assert_int_equal(sl_store_restore(r, "short", 5, "v", 1), SL_ERR_PARSE);
    sl_store_close(s);
    sl_store_close(r);
    sf_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_fetch),
        cmocka_unit_test(test_retention),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_changelog_and_restore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
