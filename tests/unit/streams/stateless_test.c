/*
 * stateless_test.c - every stateless stream operator through the test
 * driver: flat_map_values (word splitting), map_values, filter,
 * filter_not, map, flat_map, select_key, peek, foreach, branch, merge,
 * repartition, with_timestamps, sinks with their serdes.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core_util.h"

/* --- functions ------------------------------------------------------------------ */

static void split_words(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    (void)arg;
    const char *p = (const char *)value->u.bytes.ptr, *end = p + value->u.bytes.len;
    while (p < end) {
        while (p < end && *p == ' ')
            p++;
        const char *w = p;
        while (p < end && *p != ' ')
            p++;
        if (p > w) {
            sl_val_t v = sl_val_strn(ctx, w, (size_t)(p - w));
            sl_ctx_emit_value(ctx, &v);
        }
    }
}

static sl_val_t upper(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    (void)arg;
    sl_val_t v = sl_val_strn(ctx, (const char *)value->u.bytes.ptr, value->u.bytes.len);
    for (size_t i = 0; i < v.u.bytes.len; i++)
        ((char *)v.u.bytes.ptr)[i] = (char)toupper(v.u.bytes.ptr[i]);
    return v;
}

static bool is_long(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)ctx;
    (void)key;
    return value->u.bytes.len >= (size_t)(arg != NULL ? *(const int *)arg : 4);
}

static void swap_kv(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, sl_val_t *ok, sl_val_t *ov,
                    void *arg)
{
    (void)ctx;
    (void)arg;
    *ok = *value;
    *ov = *key;
}

/* flat_map: one record per character, keyed by the character. */
static void per_char(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    (void)arg;
    for (size_t i = 0; i < value->u.bytes.len; i++) {
        sl_val_t k = sl_val_strn(ctx, (const char *)value->u.bytes.ptr + i, 1);
        sl_ctx_emit(ctx, &k, value);
    }
}

static sl_val_t first_char(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    (void)arg;
    return sl_val_strn(ctx, (const char *)value->u.bytes.ptr, value->u.bytes.len > 0 ? 1 : 0);
}

static int g_peeked, g_foreach;
static char g_seen[256];

static void count_peek(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)ctx;
    (void)key;
    (void)value;
    (void)arg;
    g_peeked++;
}

static void collect(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)ctx;
    (void)key;
    (void)arg;
    g_foreach++;
    strncat(g_seen, (const char *)value->u.bytes.ptr, SL_MIN(value->u.bytes.len, sizeof(g_seen) - strlen(g_seen) - 1));
}

static bool starts_a(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)ctx;
    (void)key;
    (void)arg;
    return value->u.bytes.len > 0 && value->u.bytes.ptr[0] == 'a';
}

static bool starts_b(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)ctx;
    (void)key;
    (void)arg;
    return value->u.bytes.len > 0 && value->u.bytes.ptr[0] == 'b';
}

/* --- word splitting ------------------------------------------------------------ */

static SL_TOPOLOGY(words_topology)
{
    SL_STREAM(lines, "text", SL_STRING, SL_STRING);
    SL_FLAT_MAP_VALUES(words, lines, split_words);
    SL_MAP_VALUES(shout, words, upper);
    SL_TO(shout, "out", SL_STRING, SL_STRING);
}

static void test_word_split(void **state)
{
    (void)state;
    sl_topology_t *t = cu_build(words_topology);
    sl_driver_t *d = cu_driver(t, NULL);
    assert_int_equal(cu_pipe(d, "text", "k1", "the quick  fox", 10), SL_OK);
    assert_int_equal(sl_driver_queue_size(d, "out"), 3);
    cu_expect(d, "out", "k1", "THE", 10);
    cu_expect(d, "out", "k1", "QUICK", 10);
    cu_expect(d, "out", "k1", "FOX", 10);
    cu_expect_empty(d, "out");
    assert_int_equal(cu_pipe(d, "text", NULL, "", 11), SL_OK);
    cu_expect_empty(d, "out");
    assert_int_equal(cu_pipe(d, "text", NULL, "jumps", 12), SL_OK);
    cu_expect(d, "out", NULL, "JUMPS", 12);
    assert_int_equal(cu_pipe(d, "nosuch", NULL, "x", 12), SL_ERR_NOENT);
    assert_int_equal(sl_driver_read(d, "out", SL_STRING, SL_STRING, &(sl_out_record_t){0}), SL_ERR_NOENT);
    sl_driver_free(d);
    sl_topology_free(t);
}

/* --- filter, filter_not, map, flat_map, select_key ------------------------------ */

static SL_TOPOLOGY(filters_topology)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_FILTER(longs, in, is_long);
    SL_FILTER_NOT(shorts, in, is_long);
    SL_TO(longs, "long", SL_STRING, SL_STRING);
    SL_TO(shorts, "short", NULL, NULL);
}

static void test_filter(void **state)
{
    (void)state;
    sl_topology_t *t = cu_build(filters_topology);
    sl_driver_t *d = cu_driver(t, NULL);
    cu_pipe(d, "in", "a", "tiny", 1);
    cu_pipe(d, "in", "b", "big", 2);
    cu_pipe(d, "in", "c", "largest", 3);
    cu_expect(d, "long", "a", "tiny", 1);
    cu_expect(d, "long", "c", "largest", 3);
    cu_expect_empty(d, "long");
    cu_expect(d, "short", "b", "big", 2);
    cu_expect_empty(d, "short");
    sl_driver_free(d);
    sl_topology_free(t);
}

static SL_TOPOLOGY(keys_topology)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_MAP(swapped, in, swap_kv);
    SL_TO(swapped, "swapped", SL_STRING, SL_STRING);
    SL_FLAT_MAP(chars, in, per_char);
    SL_TO(chars, "chars", SL_STRING, SL_STRING);
    SL_SELECT_KEY(keyed, in, first_char);
    SL_TO(keyed, "keyed", SL_STRING, NULL);
}

static void test_key_changing(void **state)
{
    (void)state;
    sl_topology_t *t = cu_build(keys_topology);
    sl_driver_t *d = cu_driver(t, NULL);
    cu_pipe(d, "in", "k", "xy", 5);
    cu_expect(d, "swapped", "xy", "k", 5);
    cu_expect(d, "chars", "x", "xy", 5);
    cu_expect(d, "chars", "y", "xy", 5);
    cu_expect_empty(d, "chars");
    cu_expect(d, "keyed", "x", "xy", 5);
    /* a null key is mapped like any other */
    cu_pipe(d, "in", NULL, "z", 6);
    cu_expect(d, "swapped", "z", NULL, 6);
    sl_driver_free(d);
    sl_topology_free(t);
}

/* --- peek, foreach -------------------------------------------------------------- */

static SL_TOPOLOGY(peek_topology)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_PEEK(seen, in, count_peek);
    SL_FOREACH(seen, collect);
    SL_TO(seen, "out", SL_STRING, SL_STRING);
}

static void test_peek_foreach(void **state)
{
    (void)state;
    g_peeked = g_foreach = 0;
    g_seen[0] = '\0';
    sl_topology_t *t = cu_build(peek_topology);
    sl_driver_t *d = cu_driver(t, NULL);
    cu_pipe(d, "in", "k", "a", 1);
    cu_pipe(d, "in", "k", "b", 2);
    assert_int_equal(g_peeked, 2);
    assert_int_equal(g_foreach, 2);
    assert_string_equal(g_seen, "ab");
    cu_expect(d, "out", "k", "a", 1);
    cu_expect(d, "out", "k", "b", 2);
    sl_driver_free(d);
    sl_topology_free(t);
}

/* --- branch, merge ------------------------------------------------------------- */

static void branch_topology(sl_builder_t *b)
{
    sl_stream_t *in = sl_builder_stream(b, "in", "in", SL_STRING, SL_STRING);
    sl_predicate_fn *preds[] = {starts_a, starts_b, NULL};
    sl_stream_t *out[3];
    assert_int_equal(sl_stream_branch(in, "split", 3, preds, NULL, out), SL_OK);
    sl_stream_to(out[0], NULL, "a", NULL, NULL, NULL, NULL);
    sl_stream_to(out[1], NULL, "b", NULL, NULL, NULL, NULL);
    sl_stream_to(out[2], NULL, "rest", NULL, NULL, NULL, NULL);
    /* merge the a and b branches back */
    sl_stream_t *ab = sl_stream_merge(out[0], out[1], "ab");
    sl_stream_to(ab, NULL, "ab", NULL, NULL, NULL, NULL);
}

static void test_branch_merge(void **state)
{
    (void)state;
    sl_topology_t *t = cu_build(branch_topology);
    sl_driver_t *d = cu_driver(t, NULL);
    cu_pipe(d, "in", "1", "apple", 1);
    cu_pipe(d, "in", "2", "banana", 2);
    cu_pipe(d, "in", "3", "cherry", 3);
    cu_pipe(d, "in", "4", "avocado", 4);
    cu_expect(d, "a", "1", "apple", 1);
    cu_expect(d, "a", "4", "avocado", 4);
    cu_expect_empty(d, "a");
    cu_expect(d, "b", "2", "banana", 2);
    cu_expect_empty(d, "b");
    cu_expect(d, "rest", "3", "cherry", 3);
    cu_expect_empty(d, "rest");
    cu_expect(d, "ab", "1", "apple", 1);
    cu_expect(d, "ab", "2", "banana", 2);
    cu_expect(d, "ab", "4", "avocado", 4);
    cu_expect_empty(d, "ab");
    sl_driver_free(d);
    sl_topology_free(t);
}

static SL_TOPOLOGY(merge_sources_topology)
{
    SL_STREAM(left, "left", SL_STRING, SL_STRING);
    SL_STREAM(right, "right, right2", SL_STRING, SL_STRING);
    SL_MERGE(both, left, right);
    SL_TO(both, "both", SL_STRING, SL_STRING);
}

static void test_merge_sources(void **state)
{
    (void)state;
    sl_topology_t *t = cu_build(merge_sources_topology);
    sl_driver_t *d = cu_driver(t, NULL);
    cu_pipe(d, "right", "r", "1", 1);
    cu_pipe(d, "left", "l", "2", 2);
    cu_pipe(d, "right2", "r2", "3", 3);
    cu_expect(d, "both", "r", "1", 1);
    cu_expect(d, "both", "l", "2", 2);
    cu_expect(d, "both", "r2", "3", 3);
    cu_expect_empty(d, "both");
    sl_driver_free(d);
    sl_topology_free(t);
}

/* --- repartition ----------------------------------------------------------------- */

static SL_TOPOLOGY(repartition_topology)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_SELECT_KEY(keyed, in, first_char);
    sl_stream_t *typed = sl_stream_with_serdes(keyed, SL_STRING, NULL);
    SL_REPARTITION(by_first, typed, 0);
    SL_MAP_VALUES(shout, by_first, upper);
    SL_TO(shout, "out", NULL, SL_STRING);
}

static void test_repartition(void **state)
{
    (void)state;
    sl_topology_t *t = cu_build(repartition_topology);
    assert_int_equal(t != NULL, 1);
    sl_driver_t *d = cu_driver(t, "application.id=app1\n");
    cu_pipe(d, "in", "k", "hello", 7);
    cu_pipe(d, "in", "k", "world", 8);
    cu_expect(d, "out", "h", "HELLO", 7);
    cu_expect(d, "out", "w", "WORLD", 8);
    cu_expect_empty(d, "out");
    /* the internal topic went through the "broker" with its serdes */
    assert_int_equal(sl_driver_queue_size(d, "app1-by_first-repartition"), 2);
    cu_expect(d, "app1-by_first-repartition", "h", "hello", 7);
    sl_driver_free(d);
    sl_topology_free(t);
}

/* --- timestamps ------------------------------------------------------------------ */

/* The value is the timestamp in decimal; "bad" gives -1 (dropped). */
static int64_t ts_from_value(const char *topic, int32_t partition, const sl_val_t *key, const sl_val_t *value,
                             int64_t record_ts, int64_t partition_time, void *arg)
{
    (void)topic;
    (void)partition;
    (void)key;
    (void)record_ts;
    (void)partition_time;
    (void)arg;
    char buf[32];
    sl_val_format(value, buf, sizeof(buf));
    if (strcmp(buf, "bad") == 0)
        return -1;
    return strtoll(buf, NULL, 10);
}

static SL_TOPOLOGY(ts_topology)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    sl_stream_t *stamped = sl_stream_with_timestamps(in, ts_from_value, NULL);
    SL_TO(stamped, "out", SL_STRING, SL_STRING);
}

static void test_timestamps(void **state)
{
    (void)state;
    sl_topology_t *t = cu_build(ts_topology);
    sl_driver_t *d = cu_driver(t, NULL);
    cu_pipe(d, "in", "k", "1234", 1);
    cu_pipe(d, "in", "k", "bad", 2);
    cu_pipe(d, "in", "k", "99", 3);
    cu_expect(d, "out", "k", "1234", 1234);
    cu_expect(d, "out", "k", "99", 99);
    cu_expect_empty(d, "out");
    sl_driver_free(d);
    sl_topology_free(t);
}

/* --- sinks with partitioners, pattern sources ------------------------------------ */

static int g_part_calls;

static int32_t pick_partition(const char *topic, const sl_val_t *key, const sl_val_t *value, int32_t partitions,
                              void *arg)
{
    (void)key;
    (void)value;
    assert_string_equal(topic, "out");
    assert_int_equal(partitions, 1);
    g_part_calls++;
    return *(const int32_t *)arg;
}

static int32_t g_partition;

static void partitioned_topology(sl_builder_t *b)
{
    sl_stream_t *in = sl_builder_stream_pattern(b, "logs", "logs-[a-z]+", SL_STRING, SL_STRING);
    sl_stream_to(in, "to-out", "out", NULL, NULL, pick_partition, &g_partition);
}

static void test_partitioner_and_pattern(void **state)
{
    (void)state;
    g_part_calls = 0;
    g_partition = 0;
    sl_topology_t *t = cu_build(partitioned_topology);
    sl_driver_t *d = cu_driver(t, NULL);
    assert_int_equal(cu_pipe(d, "logs-web", "k", "v1", 1), SL_OK);
    assert_int_equal(cu_pipe(d, "logs-db", "k", "v2", 2), SL_OK);
    assert_int_equal(cu_pipe(d, "logs-DB", "k", "v3", 3), SL_ERR_NOENT);
    assert_int_equal(g_part_calls, 2);
    cu_expect(d, "out", "k", "v1", 1);
    cu_expect(d, "out", "k", "v2", 2);
    /* a partition past the topic's count fails the record */
    g_partition = 1;
    assert_int_equal(cu_pipe(d, "logs-web", "k", "v4", 4), SL_ERR_INVAL);
    cu_expect_empty(d, "out");
    sl_driver_free(d);
    sl_topology_free(t);
}

/* --- JSON values through a pipeline (references released per record) ----------- */

static sl_val_t total(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    (void)arg;
    if (value->type != SL_V_JSON)
        return sl_val_null();
    json_int_t sum = 0;
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(value->u.json, "items"), i, item)
        sum += json_integer_value(item);
    return sl_val_json(ctx, json_pack("{s:I}", "total", sum));
}

static SL_TOPOLOGY(json_topology)
{
    SL_STREAM(orders, "orders", SL_STRING, SL_JSON);
    SL_MAP_VALUES(totals, orders, total);
    SL_TO(totals, "totals", SL_STRING, SL_JSON);
}

static void test_json_pipeline(void **state)
{
    (void)state;
    sl_topology_t *t = cu_build(json_topology);
    sl_driver_t *d = cu_driver(t, NULL);
    for (int i = 0; i < 50; i++)
        assert_int_equal(cu_pipe(d, "orders", "o", "{\"items\":[1,2,3]}", i), SL_OK);
    assert_int_equal(cu_pipe(d, "orders", "o", "{\"items\":", 50), SL_OK); /* not JSON: skipped */
    cu_pipe(d, "orders", "o", NULL, 51); /* a tombstone maps to null */
    assert_int_equal(sl_driver_queue_size(d, "totals"), 51);
    cu_expect(d, "totals", "o", "{\"total\":6}", 0);
    sl_out_record_t r;
    for (int i = 1; i < 50; i++)
        assert_int_equal(sl_driver_read(d, "totals", SL_STRING, SL_JSON, &r), SL_OK);
    assert_int_equal(r.value.type, SL_V_JSON);
    assert_int_equal(json_integer_value(json_object_get(r.value.u.json, "total")), 6);
    assert_int_equal(sl_driver_read(d, "totals", SL_STRING, SL_JSON, &r), SL_OK);
    assert_true(sl_val_is_null(&r.value));
    sl_driver_free(d);
    sl_topology_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_word_split),   cmocka_unit_test(test_filter),
        cmocka_unit_test(test_key_changing), cmocka_unit_test(test_peek_foreach),
        cmocka_unit_test(test_branch_merge), cmocka_unit_test(test_merge_sources),
        cmocka_unit_test(test_repartition),  cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_partitioner_and_pattern),
        cmocka_unit_test(test_json_pipeline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
