/*
 * table_test.c - tables through the test driver: a table from a topic
 * (latest value per key, tombstones as deletes, the changes downstream as
 * a stream with deletes as null values), filter / filter_not / map_values
 * on both sides of a change, and the table getters reading through views.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agg_util.h"
#include "streams_int.h"

static SL_TOPOLOGY(table_topo)
{
    SL_TABLE(t, "in", SL_STRING, SL_STRING, "t-store");
    SL_TO_STREAM(t, "out", SL_STRING, SL_STRING);
}

static void check_table_source(const char *props)
{
    au_t a = au_new(table_topo, props);

    au_pipe(&a, "in", "k1", "v1", 1);
    au_pipe(&a, "in", "k2", "w1", 2);
    au_pipe(&a, "in", "k1", "v2", 3);
    au_kv(&a, "t-store", "k1", "v2");
    au_pipe(&a, "in", "k1", NULL, 4);
    AU_EXPECT(&a, "out", SL_STRING, SL_STRING, "k1:v1@1", "k2:w1@2", "k1:v2@3", "k1:~@4");
    au_kv(&a, "t-store", "k1", "~");
    au_kv(&a, "t-store", "k2", "w1");
    /* A null key cannot be a row. */
    au_pipe(&a, "in", NULL, "x", 5);
    AU_NONE(&a, "out");
    au_free(&a);
}

static void test_table_source(void **state)
{
    (void)state;
    check_table_source(NULL);
    check_table_source("cache.max.bytes.buffering=0\n");
}

static bool starts_with_a(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)ctx;
    (void)key;
    (void)arg;
    return value->u.bytes.len > 0 && value->u.bytes.ptr[0] == 'a';
}

static sl_val_t upper(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    sl_val_t v = sl_val_strn(ctx, (const char *)value->u.bytes.ptr, value->u.bytes.len);
    char *p = (char *)v.u.bytes.ptr;

    (void)key;
    (void)arg;
    for (size_t i = 0; i < v.u.bytes.len; i++)
        if (p[i] >= 'a' && p[i] <= 'z')
            p[i] = (char)(p[i] - 'a' + 'A');
    return v;
}

static SL_TOPOLOGY(views_topo)
{
    SL_TABLE(t, "in", SL_STRING, SL_STRING, "t-store");
    SL_TABLE_FILTER(as, t, starts_with_a);
    SL_TO_STREAM(as, "a-out", SL_STRING, SL_STRING);
    sl_table_t *others = sl_table_filter_not(t, "others", starts_with_a, NULL);
    SL_TO_STREAM(others, "other-out", SL_STRING, SL_STRING);
    SL_TABLE_MAP_VALUES(up, t, upper);
    SL_TO_STREAM(up, "up-out", SL_STRING, SL_STRING);
}

static void test_filter_and_map_values(void **state)
{
    au_t a = au_new(views_topo, NULL);

    (void)state;
    au_pipe(&a, "in", "k1", "apple", 1);
    au_pipe(&a, "in", "k1", "banana", 2);   /* leaves the filtered table */
    au_pipe(&a, "in", "k1", "cherry", 3);   /* neither side passes: nothing */
    au_pipe(&a, "in", "k2", "avocado", 4);
    au_pipe(&a, "in", "k2", NULL, 5);       /* a delete of a passing row */
    AU_EXPECT(&a, "a-out", SL_STRING, SL_STRING, "k1:apple@1", "k1:~@2", "k2:avocado@4", "k2:~@5");
    /* A change neither side of which is in the view is not sent (Kafka
     * sends such deletes only when it does not know the old value). */
    AU_EXPECT(&a, "other-out", SL_STRING, SL_STRING, "k1:banana@2", "k1:cherry@3");
    AU_EXPECT(&a, "up-out", SL_STRING, SL_STRING, "k1:APPLE@1", "k1:BANANA@2", "k1:CHERRY@3", "k2:AVOCADO@4",
              "k2:~@5");
    au_free(&a);
}

/* A probe node (internal API) looking up each stream record's key in a
 * table view through its getter, forwarding what it finds. */
static const sl_node_t *probe_target;

static void probe_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                          const sl_val_t *old)
{
    sl_val_t found;

    (void)value;
    (void)old;
    if (sl_pnode_get(ctx, probe_target, key, &found) != SL_OK)
        found = sl_val_str_ref("absent", 6);
    sl_pnode_forward(pn, ctx, key, &found, NULL);
}

static const sl_node_ops_t probe_ops = {.process = probe_process};

static SL_TOPOLOGY(getter_topo)
{
    SL_TABLE(t, "in", SL_STRING, SL_STRING, "t-store");
    SL_TABLE_FILTER(as, t, starts_with_a);
    SL_TABLE_MAP_VALUES(up, as, upper);
    SL_STREAM(q, "q", SL_STRING, SL_STRING);
    sl_node_t *n = sl_bnode_add(sl_b, "probe", NULL, &probe_ops, NULL, &q->node, 1);
    sl_bnode_use(n, sl_b, up->node);
    probe_target = up->node;
    sl_stream_to(sl_stream_wrap(sl_b, n, SL_STRING, SL_STRING, false), NULL, "found", SL_STRING, SL_STRING, NULL,
                 NULL);
}

static void test_getters_through_views(void **state)
{
    au_t a = au_new(getter_topo, NULL);

    (void)state;
    au_pipe(&a, "in", "k1", "apple", 1);
    au_pipe(&a, "in", "k2", "banana", 2);
    au_pipe(&a, "q", "k1", "?", 3);
    au_pipe(&a, "q", "k2", "?", 4);
    au_pipe(&a, "q", "k3", "?", 5);
    AU_EXPECT(&a, "found", SL_STRING, SL_STRING, "k1:APPLE@3", "k2:absent@4", "k3:absent@5");
    au_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_source),
        cmocka_unit_test(test_filter_and_map_values),
        cmocka_unit_test(test_getters_through_views),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
