/*
 * join_global_test.c - global tables and stream-global-table joins through
 * the test driver: a lookup key from a key mapper, inner and left, updates
 * and tombstones in the global table, a null lookup key, a null stream key
 * with a lookup key, no repartition after a key change, and a global table
 * without serdes refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "join_util.h"

static sl_join_kind_t g_kind;
static bool g_by_key;  /* look up by the stream's key (no mapper) */
static bool g_rekey;   /* the stream's key is changed before the join */

/* "item|region" -> "region"; no '|': no lookup key. */
static sl_val_t region_of(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    (void)arg;
    const char *p = (const char *)value->u.bytes.ptr;
    const char *bar = memchr(p, '|', value->u.bytes.len);
    if (!bar)
        return sl_val_null();
    return sl_val_strn(ctx, bar + 1, value->u.bytes.len - (size_t)(bar + 1 - p));
}

static sl_val_t upper_key(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)value;
    (void)arg;
    char buf[64];
    size_t n = key->u.bytes.len < sizeof(buf) ? key->u.bytes.len : sizeof(buf) - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)(key->u.bytes.ptr[i] >= 'a' && key->u.bytes.ptr[i] <= 'z' ? key->u.bytes.ptr[i] - 32
                                                                                  : key->u.bytes.ptr[i]);
    return sl_val_strn(ctx, buf, n);
}

static void topo_global(sl_builder_t *b)
{
    sl_global_table_t *g = sl_builder_global_table(b, "regions", "regions", SL_STRING, SL_STRING, "regions-store");
    sl_stream_t *s = sl_builder_stream(b, "orders", "orders", SL_STRING, SL_STRING);
    if (g_rekey)
        s = sl_stream_select_key(s, "upper", upper_key, NULL);
    sl_stream_t *j = sl_stream_join_global(s, g, "enriched", g_kind, g_by_key ? NULL : region_of, ju_joiner, NULL);
    sl_stream_to(j, NULL, "out", SL_STRING, SL_STRING, NULL, NULL);
}

static ju_t setup(sl_join_kind_t kind, bool by_key, bool rekey)
{
    g_kind = kind;
    g_by_key = by_key;
    g_rekey = rekey;
    return ju_new(topo_global);
}

static void test_global_inner(void **state)
{
    (void)state;
    ju_t j = setup(SL_JOIN_INNER, false, false);
    sl_driver_t *d = j.d;
    sl_val_t k = sl_val_str_ref("r1", 2), v;

    ju_pipe(d, "regions", "r1", "Europe", 0);
    JU_NONE(d, "out");
    assert_non_null(sl_driver_store(d, "regions-store"));
    assert_int_equal(sl_kv_get(sl_driver_store(d, "regions-store"), &k, &v), SL_OK);
    ju_pipe(d, "orders", "o1", "x|r1", 1);
    JU_EXPECT(d, "out", "o1:x|r1+Europe@1");
    ju_pipe(d, "orders", "o2", "y|r2", 2); /* no such region */
    ju_pipe(d, "orders", "o3", "z", 3);    /* no lookup key */
    JU_NONE(d, "out");
    ju_pipe(d, "regions", "r2", "Asia", 4);
    JU_NONE(d, "out");
    ju_pipe(d, "orders", "o4", "y|r2", 5);
    JU_EXPECT(d, "out", "o4:y|r2+Asia@5");
    ju_pipe(d, "regions", "r1", NULL, 6); /* tombstone */
    ju_pipe(d, "orders", "o5", "x|r1", 7);
    JU_NONE(d, "out");
    /* A null stream key joins when the mapper finds a lookup key. */
    ju_pipe(d, "orders", NULL, "x|r2", 8);
    JU_EXPECT(d, "out", "~:x|r2+Asia@8");
    ju_pipe(d, "orders", "o6", NULL, 9);
    JU_NONE(d, "out");
    ju_free(&j);
}

static void test_global_left(void **state)
{
    (void)state;
    ju_t j = setup(SL_JOIN_LEFT, false, false);
    sl_driver_t *d = j.d;

    ju_pipe(d, "regions", "r1", "Europe", 0);
    ju_pipe(d, "orders", "o1", "x|r1", 1);
    JU_EXPECT(d, "out", "o1:x|r1+Europe@1");
    ju_pipe(d, "orders", "o2", "y|r2", 2);
    JU_EXPECT(d, "out", "o2:y|r2+null@2");
    ju_pipe(d, "orders", "o3", "z", 3); /* a null lookup key is dropped, even by a left join */
    JU_NONE(d, "out");
    ju_pipe(d, "regions", "r1", "EU", 4);
    ju_pipe(d, "orders", "o4", "w|r1", 5);
    JU_EXPECT(d, "out", "o4:w|r1+EU@5");
    ju_pipe(d, "regions", "r1", NULL, 6);
    ju_pipe(d, "orders", "o5", "x|r1", 7);
    JU_EXPECT(d, "out", "o5:x|r1+null@7");
    ju_free(&j);
}

/* No mapper: the stream's key; a changed key needs no repartition. */
static void test_global_by_key(void **state)
{
    (void)state;
    ju_t j = setup(SL_JOIN_INNER, true, true);
    sl_driver_t *d = j.d;
    char *text = sl_topology_describe(j.t);

    assert_non_null(text);
    assert_null(strstr(text, "repartition"));
    free(text);

    ju_pipe(d, "regions", "R1", "Europe", 0);
    ju_pipe(d, "orders", "r1", "x", 1);
    ju_pipe(d, "orders", "r2", "y", 2);
    JU_EXPECT(d, "out", "R1:x+Europe@1");
    ju_free(&j);
}

static void topo_global_no_serde(sl_builder_t *b)
{
    sl_global_table_t *g = sl_builder_global_table(b, "regions", "regions", SL_STRING, NULL, NULL);
    sl_stream_t *s = sl_builder_stream(b, "orders", "orders", SL_STRING, SL_STRING);
    sl_stream_to(sl_stream_join_global(s, g, NULL, SL_JOIN_LEFT, NULL, ju_joiner, NULL), NULL, "out", SL_STRING,
                 SL_STRING, NULL, NULL);
}

static void test_global_needs_serdes(void **state)
{
    (void)state;
    sl_topology_t *t = NULL;
    char err[256] = "";

    assert_int_equal(sl_topology_from(topo_global_no_serde, &t, err, sizeof(err)), SL_ERR_INVAL);
    assert_non_null(strstr(err, "serdes"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_global_inner),
        cmocka_unit_test(test_global_left),
        cmocka_unit_test(test_global_by_key),
        cmocka_unit_test(test_global_needs_serdes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
