/*
 * join_table_test.c - stream-table joins (inner, left) and table-table
 * joins (inner, left, outer) through the test driver: matches, misses,
 * table updates (no output for a stream-table join), tombstones, null keys
 * and values, a stream repartitioned before its lookup, a materialized
 * result and a non-materialized one read through its getter, a filtered
 * table view as one side.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "join_util.h"

static sl_join_kind_t g_kind;
static bool g_rekey;           /* stream-table: the stream's key set from its value first */
static const char *g_store;    /* table-table: materialized in this store */

static sl_val_t key_from_value(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    (void)arg;
    const char *p = (const char *)value->u.bytes.ptr;
    const char *colon = memchr(p, ':', value->u.bytes.len);
    return sl_val_strn(ctx, p, colon ? (size_t)(colon - p) : value->u.bytes.len);
}

static void topo_stream_table(sl_builder_t *b)
{
    sl_stream_t *s = sl_builder_stream(b, "orders", "orders", SL_STRING, SL_STRING);
    sl_table_t *t = sl_builder_table(b, "users", "users", SL_STRING, SL_STRING, "users-store");
    if (g_rekey)
        s = sl_stream_select_key(s, "rekey", key_from_value, NULL);
    sl_stream_t *j = sl_stream_join_table(s, t, "enriched", g_kind, ju_joiner, NULL);
    sl_stream_to(j, NULL, "out", SL_STRING, SL_STRING, NULL, NULL);
}

static ju_t setup_st(sl_join_kind_t kind, bool rekey)
{
    g_kind = kind;
    g_rekey = rekey;
    return ju_new(topo_stream_table);
}

static void test_stream_table_inner(void **state)
{
    (void)state;
    ju_t j = setup_st(SL_JOIN_INNER, false);
    sl_driver_t *d = j.d;

    ju_pipe(d, "users", "A", "t1", 0);
    JU_NONE(d, "out");
    ju_pipe(d, "orders", "A", "s1", 1);
    JU_EXPECT(d, "out", "A:s1+t1@1");
    ju_pipe(d, "orders", "B", "s2", 2); /* no row */
    JU_NONE(d, "out");
    ju_pipe(d, "users", "A", "t2", 3); /* a table update: no output */
    JU_NONE(d, "out");
    ju_pipe(d, "orders", "A", "s3", 4);
    JU_EXPECT(d, "out", "A:s3+t2@4");
    ju_pipe(d, "orders", "A", "s3b", 0); /* time does not matter: the table as it is now */
    JU_EXPECT(d, "out", "A:s3b+t2@0");
    ju_pipe(d, "users", "A", NULL, 5); /* tombstone: the row is gone */
    JU_NONE(d, "out");
    ju_pipe(d, "orders", "A", "s4", 6);
    JU_NONE(d, "out");
    ju_pipe(d, "orders", NULL, "s5", 7);
    ju_pipe(d, "orders", "A", NULL, 8);
    JU_NONE(d, "out");
    ju_free(&j);
}

static void test_stream_table_left(void **state)
{
    (void)state;
    ju_t j = setup_st(SL_JOIN_LEFT, false);
    sl_driver_t *d = j.d;

    ju_pipe(d, "users", "A", "t1", 0);
    ju_pipe(d, "orders", "A", "s1", 1);
    JU_EXPECT(d, "out", "A:s1+t1@1");
    ju_pipe(d, "orders", "B", "s2", 2);
    JU_EXPECT(d, "out", "B:s2+null@2");
    ju_pipe(d, "users", "B", "u", 3);
    JU_NONE(d, "out");
    ju_pipe(d, "orders", "B", "s3", 4);
    JU_EXPECT(d, "out", "B:s3+u@4");
    ju_pipe(d, "users", "A", NULL, 5);
    ju_pipe(d, "orders", "A", "s4", 6);
    JU_EXPECT(d, "out", "A:s4+null@6");
    /* null keys and null values are dropped even by a left join */
    ju_pipe(d, "orders", NULL, "s5", 7);
    ju_pipe(d, "orders", "A", NULL, 8);
    JU_NONE(d, "out");
    ju_free(&j);
}

static void test_stream_table_repartition(void **state)
{
    (void)state;
    ju_t j = setup_st(SL_JOIN_INNER, true);
    sl_driver_t *d = j.d;

    ju_pipe(d, "users", "A", "alice", 0);
    ju_pipe(d, "orders", "o1", "A:pen", 1);
    ju_pipe(d, "orders", "o2", "B:ink", 2);
    JU_EXPECT(d, "out", "A:A:pen+alice@1");
    ju_free(&j);
}

static void topo_stream_outer(sl_builder_t *b)
{
    sl_stream_t *s = sl_builder_stream(b, "orders", "orders", SL_STRING, SL_STRING);
    sl_table_t *t = sl_builder_table(b, "users", "users", SL_STRING, SL_STRING, "users-store");
    sl_stream_to(sl_stream_join_table(s, t, "enriched", SL_JOIN_OUTER, ju_joiner, NULL), NULL, "out", SL_STRING,
                 SL_STRING, NULL, NULL);
}

static void test_stream_table_outer_invalid(void **state)
{
    (void)state;
    sl_topology_t *t = NULL;
    char err[256] = "";

    assert_int_equal(sl_topology_from(topo_stream_outer, &t, err, sizeof(err)), SL_ERR_INVAL);
    assert_non_null(strstr(err, "outer"));
}

/* --- table-table ---------------------------------------------------------- */

static void topo_table_table(sl_builder_t *b)
{
    sl_table_t *l = sl_builder_table(b, "lt", "lt", SL_STRING, SL_STRING, "lt-store");
    sl_table_t *r = sl_builder_table(b, "rt", "rt", SL_STRING, SL_STRING, "rt-store");
    sl_table_t *j = sl_table_join(l, r, "tj", g_kind, ju_joiner, NULL, g_store);
    sl_stream_to(sl_table_to_stream(j, NULL), NULL, "out", SL_STRING, SL_STRING, NULL, NULL);
    /* A stream looking the join up: through the store, or through the
     * join's getter over both tables. */
    sl_stream_t *q = sl_builder_stream(b, "queries", "queries", SL_STRING, SL_STRING);
    sl_stream_to(sl_stream_join_table(q, j, "lookup", SL_JOIN_LEFT, ju_joiner, NULL), NULL, "answers", SL_STRING,
                 SL_STRING, NULL, NULL);
}

static ju_t setup_tt(sl_join_kind_t kind, const char *store)
{
    g_kind = kind;
    g_store = store;
    return ju_new(topo_table_table);
}

static void test_table_inner(void **state)
{
    (void)state;
    ju_t j = setup_tt(SL_JOIN_INNER, NULL);
    sl_driver_t *d = j.d;

    ju_pipe(d, "lt", "A", "l1", 1);
    JU_NONE(d, "out");
    ju_pipe(d, "rt", "A", "r1", 2);
    JU_EXPECT(d, "out", "A:l1+r1@2");
    ju_pipe(d, "lt", "A", "l2", 3);
    JU_EXPECT(d, "out", "A:l2+r1@3");
    ju_pipe(d, "queries", "A", "q", 4);
    JU_EXPECT(d, "answers", "A:q+l2+r1@4");
    ju_pipe(d, "rt", "B", "r2", 4);
    JU_NONE(d, "out");
    ju_pipe(d, "rt", "A", NULL, 5); /* the row leaves the join */
    JU_EXPECT(d, "out", "A:~@5");
    ju_pipe(d, "queries", "A", "q", 6);
    JU_EXPECT(d, "answers", "A:q+null@6");
    ju_pipe(d, "lt", "A", NULL, 6);
    JU_NONE(d, "out");
    ju_pipe(d, "lt", "B", "lb", 7);
    JU_EXPECT(d, "out", "B:lb+r2@7");
    ju_pipe(d, "lt", "B", NULL, 8);
    JU_EXPECT(d, "out", "B:~@8");
    ju_free(&j);
}

static void test_table_left(void **state)
{
    (void)state;
    ju_t j = setup_tt(SL_JOIN_LEFT, NULL);
    sl_driver_t *d = j.d;

    ju_pipe(d, "lt", "A", "l1", 1);
    JU_EXPECT(d, "out", "A:l1+null@1");
    ju_pipe(d, "rt", "A", "r1", 2);
    JU_EXPECT(d, "out", "A:l1+r1@2");
    ju_pipe(d, "rt", "A", NULL, 3); /* back to a row without the right side */
    JU_EXPECT(d, "out", "A:l1+null@3");
    ju_pipe(d, "queries", "A", "q", 3);
    JU_EXPECT(d, "answers", "A:q+l1+null@3");
    ju_pipe(d, "rt", "B", "r2", 4); /* no left row: nothing */
    JU_NONE(d, "out");
    ju_pipe(d, "queries", "B", "q", 4);
    JU_EXPECT(d, "answers", "B:q+null@4");
    ju_pipe(d, "lt", "A", NULL, 5);
    JU_EXPECT(d, "out", "A:~@5");
    ju_pipe(d, "lt", "B", "lb", 6);
    JU_EXPECT(d, "out", "B:lb+r2@6");
    ju_free(&j);
}

static void test_table_outer(void **state)
{
    (void)state;
    ju_t j = setup_tt(SL_JOIN_OUTER, "tj-store");
    sl_driver_t *d = j.d;
    sl_store_t *st = sl_driver_store(d, "tj-store");
    sl_val_t k = sl_val_str_ref("A", 1), v;
    char buf[64];

    assert_non_null(st);
    ju_pipe(d, "lt", "A", "l1", 1);
    JU_EXPECT(d, "out", "A:l1+null@1");
    ju_pipe(d, "rt", "B", "r1", 2);
    JU_EXPECT(d, "out", "B:null+r1@2");
    ju_pipe(d, "rt", "A", "r2", 3);
    JU_EXPECT(d, "out", "A:l1+r2@3");
    assert_int_equal(sl_kv_get(st, &k, &v), SL_OK);
    assert_string_equal(sl_val_format(&v, buf, sizeof(buf)), "l1+r2");
    ju_pipe(d, "lt", "A", NULL, 4);
    JU_EXPECT(d, "out", "A:null+r2@4");
    ju_pipe(d, "queries", "A", "q", 4);
    JU_EXPECT(d, "answers", "A:q+null+r2@4");
    ju_pipe(d, "rt", "A", NULL, 5);
    JU_EXPECT(d, "out", "A:~@5");
    assert_int_equal(sl_kv_get(sl_driver_store(d, "tj-store"), &k, &v), SL_ERR_NOENT);
    ju_pipe(d, "queries", "A", "q", 6);
    JU_EXPECT(d, "answers", "A:q+null@6");
    ju_free(&j);
}

/* The right side a filtered view: the join reads it through the view's
 * getter and takes its changes (a row filtered out is a delete). */
static bool not_hidden(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)ctx;
    (void)key;
    (void)arg;
    return !(value->u.bytes.len == 4 && memcmp(value->u.bytes.ptr, "hide", 4) == 0);
}

static void topo_filtered(sl_builder_t *b)
{
    sl_table_t *l = sl_builder_table(b, "lt", "lt", SL_STRING, SL_STRING, "lt-store");
    sl_table_t *r = sl_table_filter(sl_builder_table(b, "rt", "rt", SL_STRING, SL_STRING, "rt-store"), "shown",
                                    not_hidden, NULL);
    sl_table_t *j = sl_table_join(l, r, "tj", SL_JOIN_INNER, ju_joiner, NULL, NULL);
    sl_stream_to(sl_table_to_stream(j, NULL), NULL, "out", SL_STRING, SL_STRING, NULL, NULL);
}

static void test_table_filtered_view(void **state)
{
    (void)state;
    ju_t j = ju_new(topo_filtered);
    sl_driver_t *d = j.d;

    ju_pipe(d, "lt", "A", "l1", 1);
    JU_NONE(d, "out");
    ju_pipe(d, "rt", "A", "r1", 2);
    JU_EXPECT(d, "out", "A:l1+r1@2");
    ju_pipe(d, "rt", "A", "hide", 3); /* out of the view: the row leaves the join */
    JU_EXPECT(d, "out", "A:~@3");
    ju_pipe(d, "lt", "A", "l2", 4); /* the view has no A */
    JU_NONE(d, "out");
    ju_pipe(d, "rt", "A", "r2", 5);
    JU_EXPECT(d, "out", "A:l2+r2@5");
    ju_free(&j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_table_inner),
        cmocka_unit_test(test_stream_table_left),
        cmocka_unit_test(test_stream_table_repartition),
        cmocka_unit_test(test_stream_table_outer_invalid),
        cmocka_unit_test(test_table_inner),
        cmocka_unit_test(test_table_left),
        cmocka_unit_test(test_table_outer),
        cmocka_unit_test(test_table_filtered_view),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
