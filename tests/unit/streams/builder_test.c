/*
 * builder_test.c - the builder and sl_topology_build: errors with their
 * messages (a name used twice, an undeclared store, a sink without a
 * serde, a store declared twice, a topic read twice, misplaced calls), the
 * sticky first error, generated names, and the split into sub-topologies
 * (edges, shared stores, repartition cuts, Kafka's numbering: upstream first).
 */
#include <string.h>

#include "core_util.h"
#include "streams_int.h"

static sl_val_t ident(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)ctx;
    (void)key;
    (void)arg;
    return *value;
}

static bool yes(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)ctx;
    (void)key;
    (void)value;
    (void)arg;
    return true;
}

static void nop_process(sl_ctx_t *ctx, void *state, const sl_val_t *key, const sl_val_t *value)
{
    (void)state;
    sl_ctx_forward(ctx, key, value);
}

static const sl_processor_def_t nop_def = {NULL, nop_process, NULL};

static void expect_error(void (*fn)(sl_builder_t *), const char *needle)
{
    char msg[512] = "";
    assert_int_equal(cu_build_error(fn, msg, sizeof(msg)), SL_ERR_INVAL);
    if (strstr(msg, needle) == NULL)
        fail_msg("message \"%s\" lacks \"%s\"", msg, needle);
}

static SL_TOPOLOGY(dup_name)
{
    SL_STREAM(in, "a", SL_STRING, SL_STRING);
    sl_builder_stream(sl_b, "in", "b", SL_STRING, SL_STRING);
    SL_TO(in, "out", SL_STRING, SL_STRING);
}

static SL_TOPOLOGY(unknown_store)
{
    SL_STREAM(in, "a", SL_STRING, SL_STRING);
    SL_PROCESS(p, in, &nop_def, "nope");
    (void)p;
}

static SL_TOPOLOGY(sink_no_serde)
{
    SL_STREAM(in, "a", SL_STRING, SL_STRING);
    SL_MAP_VALUES(mapped, in, ident);
    SL_TO(mapped, "out", NULL, NULL);
}

static SL_TOPOLOGY(dup_store)
{
    sl_store_def_t def = {.name = "s", .kind = SL_STORE_KV};
    sl_builder_add_store(sl_b, &def);
    assert_int_equal(sl_builder_add_store(sl_b, &def), SL_ERR_INVAL);
    SL_STREAM(in, "a", SL_STRING, SL_STRING);
    (void)in;
}

static SL_TOPOLOGY(topic_twice)
{
    SL_STREAM(one, "a, b", SL_STRING, SL_STRING);
    SL_STREAM(two, "b", SL_STRING, SL_STRING);
    (void)one;
    (void)two;
}

static SL_TOPOLOGY(ts_not_source)
{
    SL_STREAM(in, "a", SL_STRING, SL_STRING);
    SL_FILTER(f, in, yes);
    sl_stream_with_timestamps(f, NULL, NULL);
}

static SL_TOPOLOGY(sticky)
{
    SL_STREAM(in, "a", SL_STRING, SL_STRING);
    SL_FILTER(f, in, NULL); /* the first error */
    assert_null(f);
    SL_MAP_VALUES(m, f, ident); /* given NULL: nothing, NULL */
    assert_null(m);
    sl_stream_t *again = sl_builder_stream(sl_b, "in", "b", SL_STRING, SL_STRING); /* "used twice" */
    assert_null(again);
}

static SL_TOPOLOGY(empty_topics)
{
    SL_STREAM(in, "a,,b", SL_STRING, SL_STRING);
    (void)in;
}

static SL_TOPOLOGY(bad_pattern)
{
    SL_STREAM_PATTERN(in, "a(", SL_STRING, SL_STRING);
    (void)in;
}

static void test_errors(void **state)
{
    (void)state;
    expect_error(dup_name, "node name 'in' is used twice");
    expect_error(unknown_store, "processor 'p' uses store 'nope', which is not declared");
    expect_error(sink_no_serde, "the value serde is unknown");
    expect_error(dup_store, "store 's' is declared twice");
    expect_error(topic_twice, "topic 'b' is read by two sources, 'one' and 'two'");
    expect_error(ts_not_source, "with_timestamps on 'f'");
    expect_error(sticky, "KSTREAM-FILTER 'f': no function given");
    expect_error(empty_topics, "empty topic name");
    expect_error(bad_pattern, "bad pattern");

    /* the builder's own error report, and its use after a build */
    sl_builder_t *b = sl_builder_new();
    char msg[256];
    assert_int_equal(sl_builder_error(b, msg, sizeof(msg)), SL_OK);
    assert_string_equal(msg, "");
    sl_stream_t *in = sl_builder_stream(b, "in", "a", SL_STRING, SL_STRING);
    assert_int_equal(sl_stream_to(in, NULL, "out", NULL, NULL, NULL, NULL), SL_OK);
    sl_topology_t *t = NULL;
    assert_int_equal(sl_topology_build(b, &t, msg, sizeof(msg)), SL_OK);
    sl_topology_free(t);
    assert_null(sl_builder_stream(b, "x", "x", SL_STRING, SL_STRING));
    assert_int_equal(sl_topology_build(b, &t, msg, sizeof(msg)) != SL_OK, 1);
    assert_null(t);
    sl_builder_free(b);
    assert_null(sl_builder_stream(NULL, "x", "x", SL_STRING, SL_STRING));
    assert_int_equal(sl_topology_from(NULL, &t, msg, sizeof(msg)), SL_ERR_INVAL);
}

/* --- names and sub-topologies --------------------------------------------------- */

static void unnamed(sl_builder_t *b)
{
    sl_stream_t *in = sl_builder_stream(b, NULL, "in", SL_STRING, SL_STRING);
    sl_stream_t *f = sl_stream_filter(in, NULL, yes, NULL);
    sl_stream_t *m = sl_stream_map_values(f, NULL, ident, NULL);
    sl_stream_to(m, NULL, "out", SL_STRING, SL_STRING, NULL, NULL);
}

static void test_generated_names(void **state)
{
    (void)state;
    sl_topology_t *t = cu_build(unnamed);
    const char *names[] = {"KSTREAM-SOURCE-0000000000", "KSTREAM-FILTER-0000000001",
                           "KSTREAM-MAPVALUES-0000000002", "KSTREAM-SINK-0000000003"};
    for (size_t i = 0; i < 4; i++) {
        const sl_node_t *n = sl_topology_node(t, names[i]);
        if (n == NULL)
            fail_msg("no node %s", names[i]);
    }
    assert_int_equal(t->n_subs, 1);
    assert_int_equal(t->subs[0].n_nodes, 4);
    assert_int_equal(t->subs[0].n_sources, 1);
    assert_null(sl_topology_node(t, "nope"));
    sl_topology_free(t);
}

/* Two disjoint pipelines whose sources sort the other way round than they
 * were made, a third joined to the second through a shared store, and a
 * repartition that cuts the first. */
static void shapes(sl_builder_t *b)
{
    sl_store_def_t def = {.name = "shared", .kind = SL_STORE_KV};
    sl_builder_add_store(b, &def);
    sl_stream_t *z = sl_builder_stream(b, "z-src", "z", SL_STRING, SL_STRING);
    sl_stream_t *zr = sl_stream_repartition(z, "zr", 0);
    sl_stream_to(zr, "z-sink", "z-out", NULL, NULL, NULL, NULL);
    sl_stream_t *a = sl_builder_stream(b, "a-src", "a", SL_STRING, SL_STRING);
    sl_stream_process(a, "a-proc", &nop_def, NULL, (const char *const[]){"shared"}, 1);
    sl_stream_t *m = sl_builder_stream(b, "m-src", "m", SL_STRING, SL_STRING);
    sl_stream_process(m, "m-proc", &nop_def, NULL, (const char *const[]){"shared"}, 1);
    sl_stream_t *p = sl_builder_stream_pattern(b, "p-src", "pat-[0-9]+", SL_STRING, SL_STRING);
    sl_stream_to(p, NULL, "p-out", NULL, NULL, NULL, NULL);
}

static void test_subtopologies(void **state)
{
    (void)state;
    sl_topology_t *t = cu_build(shapes);
    /* in the order their first nodes were made: z-src 0, the zr source 1,
     * a-src with m-src (the shared store) 2, p-src 3 */
    assert_int_equal(t->n_subs, 4);
    assert_int_equal(sl_topology_node(t, "z-src")->subtopology, 0);
    assert_int_equal(sl_topology_node(t, "zr-repartition-sink")->subtopology, 0);
    assert_int_equal(sl_topology_node(t, "zr-repartition-source")->subtopology, 1);
    assert_int_equal(sl_topology_node(t, "z-sink")->subtopology, 1);
    assert_int_equal(sl_topology_node(t, "a-src")->subtopology, 2);
    assert_int_equal(sl_topology_node(t, "m-src")->subtopology, 2);
    assert_int_equal(sl_topology_node(t, "m-proc")->subtopology, 2);
    assert_int_equal(sl_topology_node(t, "p-src")->subtopology, 3);
    assert_int_equal(t->subs[2].n_sources, 2);
    assert_int_equal(t->subs[2].n_stores, 1);
    assert_string_equal(t->subs[2].stores[0]->name, "shared");
    assert_int_equal(t->subs[0].n_stores, 0);
    /* sources first in a sub-topology's node list */
    assert_int_equal(t->subs[2].nodes[0]->kind, SL_NODE_SOURCE);
    assert_int_equal(t->subs[2].nodes[1]->kind, SL_NODE_SOURCE);
    /* topic lookups: user, internal, pattern (whole name) */
    assert_ptr_equal(sl_topology_sub_for_topic(t, "m", false), &t->subs[2]);
    assert_ptr_equal(sl_topology_sub_for_topic(t, "zr-repartition", true), &t->subs[1]);
    assert_null(sl_topology_sub_for_topic(t, "zr-repartition", false));
    assert_ptr_equal(sl_topology_sub_for_topic(t, "pat-12", false), &t->subs[3]);
    assert_null(sl_topology_sub_for_topic(t, "pat-12x", false));
    assert_null(sl_topology_sub_for_topic(t, "xpat-1", false));
    assert_null(sl_topology_sub_for_topic(t, "nope", false));
    sl_topology_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_generated_names),
        cmocka_unit_test(test_subtopologies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
