/*
 * describe_test.c - sl_topology_describe against Kafka Streams' exact
 * TopologyDescription text: the word count of Kafka's documentation (same
 * node names, same repartition step), branches, a pattern source, a
 * multi-topic source in Java's HashSet order, a global store.
 */
#include <stdlib.h>
#include <string.h>

#include "core_util.h"
#include "core_int.h"

static void split(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    (void)arg;
    sl_ctx_emit_value(ctx, value);
}

static sl_val_t as_key(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)ctx;
    (void)key;
    (void)arg;
    return *value;
}

static void count_process(sl_ctx_t *ctx, void *state, const sl_val_t *key, const sl_val_t *value)
{
    (void)state;
    sl_ctx_forward(ctx, key, value);
}

static const sl_processor_def_t count_def = {NULL, count_process, NULL};

static bool yes(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)ctx;
    (void)key;
    (void)value;
    (void)arg;
    return true;
}

/* Kafka's WordCountDemo as its documentation describes it; the count and
 * to_stream steps stand in as processors with Kafka's names. */
static void word_count(sl_builder_t *b)
{
    sl_store_def_t store = {.name = "counts-store", .kind = SL_STORE_KV};
    sl_builder_add_store(b, &store);
    sl_stream_t *lines = sl_builder_stream(b, NULL, "streams-plaintext-input", SL_STRING, SL_STRING);
    sl_stream_t *words = sl_stream_flat_map_values(lines, NULL, split, NULL);
    sl_stream_t *keyed = sl_stream_select_key(words, NULL, as_key, NULL);
    sl_node_t *src = sl_builder_repartition(b, keyed->node, "counts-store", SL_STRING, SL_STRING, 0);
    sl_stream_t *grouped = sl_stream_wrap(b, src, SL_STRING, SL_STRING, false);
    sl_stream_t *counts = sl_stream_process(grouped, "KSTREAM-AGGREGATE-0000000003", &count_def, NULL,
                                            (const char *const[]){"counts-store"}, 1);
    sl_stream_t *changes = sl_stream_process(counts, "KTABLE-TOSTREAM-0000000007", &count_def, NULL, NULL, 0);
    sl_stream_to(changes, "KSTREAM-SINK-0000000008", "streams-wordcount-output", SL_STRING, SL_I64, NULL, NULL);
}

static const char word_count_text[] =
    "Topologies:\n"
    "   Sub-topology: 0\n"
    "    Source: KSTREAM-SOURCE-0000000000 (topics: [streams-plaintext-input])\n"
    "      --> KSTREAM-FLATMAPVALUES-0000000001\n"
    "    Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])\n"
    "      --> KSTREAM-KEY-SELECT-0000000002\n"
    "      <-- KSTREAM-SOURCE-0000000000\n"
    "    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])\n"
    "      --> counts-store-repartition-filter\n"
    "      <-- KSTREAM-FLATMAPVALUES-0000000001\n"
    "    Processor: counts-store-repartition-filter (stores: [])\n"
    "      --> counts-store-repartition-sink\n"
    "      <-- KSTREAM-KEY-SELECT-0000000002\n"
    "    Sink: counts-store-repartition-sink (topic: counts-store-repartition)\n"
    "      <-- counts-store-repartition-filter\n"
    "\n"
    "  Sub-topology: 1\n"
    "    Source: counts-store-repartition-source (topics: [counts-store-repartition])\n"
    "      --> KSTREAM-AGGREGATE-0000000003\n"
    "    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [counts-store])\n"
    "      --> KTABLE-TOSTREAM-0000000007\n"
    "      <-- counts-store-repartition-source\n"
    "    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"
    "      --> KSTREAM-SINK-0000000008\n"
    "      <-- KSTREAM-AGGREGATE-0000000003\n"
    "    Sink: KSTREAM-SINK-0000000008 (topic: streams-wordcount-output)\n"
    "      <-- KTABLE-TOSTREAM-0000000007\n"
    "\n";

static void expect_text(void (*fn)(sl_builder_t *), const char *want)
{
    sl_topology_t *t = cu_build(fn);
    char *got = sl_topology_describe(t);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("describe() gave:\n%s\nexpected:\n%s", got, want);
    free(got);
    sl_topology_free(t);
}

static void test_word_count(void **state)
{
    (void)state;
    expect_text(word_count, word_count_text);
}

/* A branch: successors by the size of their trees, then by name; a
 * multi-topic source in HashSet order; a pattern source. */
static void shapes(sl_builder_t *b)
{
    sl_stream_t *in = sl_builder_stream(b, "in", "user-regions, clicks, page-views", SL_STRING, SL_STRING);
    sl_predicate_fn *preds[] = {yes, NULL};
    sl_stream_t *br[2];
    sl_stream_branch(in, "br", 2, preds, NULL, br);
    sl_stream_t *deep = sl_stream_filter(br[1], "deep", yes, NULL);
    sl_stream_to(deep, "deep-sink", "deep-out", NULL, NULL, NULL, NULL);
    sl_stream_to(br[0], "shallow-sink", "shallow-out", NULL, NULL, NULL, NULL);
    sl_stream_t *p = sl_builder_stream_pattern(b, "by-pattern", "logs-.*", SL_STRING, SL_STRING);
    sl_stream_t *m = sl_stream_merge(p, br[0], "merged");
    sl_stream_to(m, "merged-sink", "merged-out", NULL, NULL, NULL, NULL);
}

static const char shapes_text[] =
    "Topologies:\n"
    "   Sub-topology: 0\n"
    "    Source: in (topics: [page-views, clicks, user-regions])\n"
    "      --> br\n"
    "    Processor: br (stores: [])\n"
    "      --> br-0, br-1\n"
    "      <-- in\n"
    "    Processor: br-0 (stores: [])\n"
    "      --> merged, shallow-sink\n"
    "      <-- br\n"
    "    Processor: br-1 (stores: [])\n"
    "      --> deep\n"
    "      <-- br\n"
    "    Source: by-pattern (topics: logs-.*)\n"
    "      --> merged\n"
    "    Processor: deep (stores: [])\n"
    "      --> deep-sink\n"
    "      <-- br-1\n"
    "    Processor: merged (stores: [])\n"
    "      --> merged-sink\n"
    "      <-- br-0, by-pattern\n"
    "    Sink: deep-sink (topic: deep-out)\n"
    "      <-- deep\n"
    "    Sink: merged-sink (topic: merged-out)\n"
    "      <-- merged\n"
    "    Sink: shallow-sink (topic: shallow-out)\n"
    "      <-- br-0\n"
    "\n";

static void test_shapes(void **state)
{
    (void)state;
    expect_text(shapes, shapes_text);
}

/* A global store as the join part makes it: a global source and the
 * processor keeping the store. */
static void put_process(sl_ctx_t *ctx, void *state, const sl_val_t *key, const sl_val_t *value)
{
    (void)ctx;
    (void)state;
    (void)key;
    (void)value;
}

static const sl_processor_def_t put_def = {NULL, put_process, NULL};

static void with_global(sl_builder_t *b)
{
    sl_store_def_t store = {.name = "regions", .kind = SL_STORE_KV};
    sl_builder_add_store(b, &store);
    sl_node_t *g = sl_bnode_source(b, "regions-source", "user-regions", NULL, false, SL_STRING, SL_STRING);
    g->global = true;
    sl_stream_t *gs = sl_stream_wrap(b, g, SL_STRING, SL_STRING, false);
    sl_stream_process(gs, "regions-keeper", &put_def, NULL, (const char *const[]){"regions"}, 1);
    sl_stream_t *in = sl_builder_stream(b, "views", "page-views", SL_STRING, SL_STRING);
    sl_stream_to(in, "out", "enriched", NULL, NULL, NULL, NULL);
}

static const char global_text[] =
    "Topologies:\n"
    "   Sub-topology: 0 for global store (will not generate tasks)\n"
    "    Source: regions-source (topics: [user-regions])\n"
    "      --> regions-keeper\n"
    "    Processor: regions-keeper (stores: [regions])\n"
    "      --> none\n"
    "      <-- regions-source\n"
    "  Sub-topology: 1\n"
    "    Source: views (topics: [page-views])\n"
    "      --> out\n"
    "    Sink: out (topic: enriched)\n"
    "      <-- views\n"
    "\n";

static void test_global(void **state)
{
    (void)state;
    expect_text(with_global, global_text);
}

static void empty(sl_builder_t *b)
{
    (void)b;
}

static void test_empty(void **state)
{
    (void)state;
    expect_text(empty, "Topologies:\n ");
    assert_null(sl_topology_describe(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_word_count),
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_global),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
