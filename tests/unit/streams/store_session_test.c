/*
 * store_session_test.c - the session store on bytes (store_int.h): the
 * queries a session merge makes (sessions ending at or after a time and
 * starting at or before another), removal, retention by session end, the
 * changelog's SessionKeySchema bytes, restore.
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

static sl_err_t sput(sl_store_t *s, const char *k, int64_t start, int64_t end, const char *v)
{
    return sl_sess_put(s, (const uint8_t *)k, strlen(k), start, end, (const uint8_t *)v,
                       v ? (int32_t)strlen(v) : -1, end);
}

static void test_find_for_merge(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = sf_store(f, "s", SL_STORE_SESSION, false, 0, 0, false);
    assert_int_equal(sput(s, "u", 1000, 2000, "A"), SL_OK);
    assert_int_equal(sput(s, "u", 5000, 5000, "B"), SL_OK);
    assert_int_equal(sput(s, "u", 9000, 12000, "C"), SL_OK);
    assert_int_equal(sput(s, "u\x01", 1000, 2000, "other"), SL_OK);
    assert_int_equal(sput(s, "v", 1000, 2000, "V"), SL_OK);
    /* every session of u, by end */
    assert_string_equal(sf_find(s, "u", 0, INT64_MAX), "u[1000,2000]=A;u[5000,5000]=B;u[9000,12000]=C;");
    /* a record at 6000 with a gap of 1500: sessions ending >= 4500 and
     * starting <= 7500 merge with it */
    assert_string_equal(sf_find(s, "u", 4500, 7500), "u[5000,5000]=B;");
    /* a record at 3000, gap 2500: [500, 5500] */
    assert_string_equal(sf_find(s, "u", 500, 5500), "u[1000,2000]=A;u[5000,5000]=B;");
    assert_string_equal(sf_find(s, "u", 12001, INT64_MAX), "");
    assert_string_equal(sf_find(s, "u", 0, 999), "");
    assert_string_equal(sf_find(s, "w", 0, INT64_MAX), "");
    /* merging: remove the two, put the merged one */
    assert_int_equal(sput(s, "u", 1000, 2000, NULL), SL_OK);
    assert_int_equal(sput(s, "u", 5000, 5000, NULL), SL_OK);
    assert_int_equal(sput(s, "u", 1000, 5000, "AB"), SL_OK);
    assert_string_equal(sf_find(s, "u", 0, INT64_MAX), "u[1000,5000]=AB;u[9000,12000]=C;");
    assert_int_equal(sput(s, "u", 10, 5, "bad"), SL_ERR_INVAL);
    sl_store_close(s);
    sf_free(f);
}

static void test_retention_and_changelog(void **state)
{
    SL_UNUSED(state);
    sf_t *f = sf_new();
    sl_store_t *s = sf_store(f, "s", SL_STORE_SESSION, true, 0, 5 * MIN, false);
    assert_int_equal(sput(s, "u", 0x0a0b, 0x0c0d, "x"), SL_OK);
    static const uint8_t want[] = {'u', 0, 0, 0, 0, 0, 0, 0x0c, 0x0d, 0, 0, 0, 0, 0, 0, 0x0a, 0x0b};
    assert_int_equal(f->recs[0].klen, sizeof(want));
    assert_memory_equal(f->recs[0].key, want, sizeof(want));
    assert_int_equal(sput(s, "u", 1 * MIN, 2 * MIN, "y"), SL_OK);
    assert_int_equal(sput(s, "u", 10 * MIN, 11 * MIN, "z"), SL_OK);
    /* stream time 11 min, retention 5: sessions ending at or before 6 min
     * are gone */
    assert_string_equal(sf_find(s, "u", 0, INT64_MAX), "u[600000,660000]=z;");
    assert_int_equal(sput(s, "u", 2 * MIN, 3 * MIN, "late"), SL_OK);
    assert_string_equal(sf_find(s, "u", 0, INT64_MAX), "u[600000,660000]=z;");
    sl_store_t *r = sf_store(f, "copy", SL_STORE_SESSION, false, 0, 5 * MIN, false);
    for (size_t i = 0; i < f->n_recs; i++) {
        sf_rec_t *rec = &f->recs[i];
        assert_int_equal(sl_store_restore(r, rec->key, rec->klen, rec->vlen < 0 ? NULL : rec->val, rec->vlen),
                         SL_OK);
    }
    assert_string_equal(sf_find(r, "u", 0, INT64_MAX), "u[600000,660000]=z;");
    sl_store_close(s);
    sl_store_close(r);
    sf_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_for_merge),
        cmocka_unit_test(test_retention_and_changelog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
