/*
 * aggregate_test.c - count, reduce and aggregate of grouped streams and
 * grouped tables through the test driver: null keys and values skipped,
 * repartitioning after a key change, the record cache folding several
 * updates of one record per key (and not without a cache), and table
 * group_by with the subtractor on updates and deletes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "agg_util.h"

#define NO_CACHE "cache.max.bytes.buffering=0\n"

static SL_TOPOLOGY(count_topo)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_GROUP_BY_KEY(g, in);
    SL_COUNT(counts, g, "counts");
    SL_TO_STREAM(counts, "out", SL_STRING, SL_I64);
}

static void test_count(void **state)
{
    au_t a = au_new(count_topo, NULL);

    (void)state;
    au_pipe(&a, "in", "a", "x", 1);
    au_pipe(&a, "in", "b", "y", 2);
    au_pipe(&a, "in", "a", "z", 3);
    AU_EXPECT(&a, "out", SL_STRING, SL_I64, "a:1@1", "b:1@2", "a:2@3");
    /* A null value or a null key is skipped, as Kafka does. */
    au_pipe(&a, "in", "a", NULL, 4);
    au_pipe(&a, "in", NULL, "x", 5);
    AU_NONE(&a, "out");
    au_pipe(&a, "in", "a", "w", 6);
    AU_EXPECT(&a, "out", SL_STRING, SL_I64, "a:3@6");
    au_kv(&a, "counts", "a", "3");
    au_kv(&a, "counts", "b", "1");
    au_kv(&a, "counts", "c", "~");
    au_free(&a);
}

static void split_words(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    const char *p = (const char *)value->u.bytes.ptr, *end = p + value->u.bytes.len;

    (void)key;
    (void)arg;
    while (p < end) {
        const char *w = p;
        sl_val_t v;

        while (p < end && *p != ' ')
            p++;
        if (p > w) {
            v = sl_val_strn(ctx, w, (size_t)(p - w));
            sl_ctx_emit_value(ctx, &v);
        }
        while (p < end && *p == ' ')
            p++;
    }
}

static sl_val_t value_as_key(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)ctx;
    (void)key;
    (void)arg;
    return *value;
}

static SL_TOPOLOGY(word_count_topo)
{
    SL_STREAM(lines, "lines", SL_STRING, SL_STRING);
    SL_FLAT_MAP_VALUES(words, lines, split_words);
    sl_grouped_t *by_word = sl_stream_group_by(words, "by_word", value_as_key, NULL, SL_STRING, SL_STRING);
    SL_COUNT(counts, by_word, "word-counts");
    SL_TO_STREAM(counts, "out", SL_STRING, SL_I64);
}

/* Through the repartition topic; the cache folds one line's updates per
 * word: one output per word and line. */
static void test_group_by_folds_per_record(void **state)
{
    au_t a = au_new(word_count_topo, NULL);

    (void)state;
    au_pipe(&a, "lines", "l1", "the cat the hat", 10);
    AU_EXPECT(&a, "out", SL_STRING, SL_I64, "the:2@10", "cat:1@10", "hat:1@10");
    au_pipe(&a, "lines", "l2", "the end", 11);
    AU_EXPECT(&a, "out", SL_STRING, SL_I64, "the:3@11", "end:1@11");
    au_kv(&a, "word-counts", "the", "3");
    au_free(&a);
}

/* Without a cache every update goes downstream at once. */
static void test_group_by_without_cache(void **state)
{
    au_t a = au_new(word_count_topo, NO_CACHE);

    (void)state;
    au_pipe(&a, "lines", "l1", "the cat the", 10);
    AU_EXPECT(&a, "out", SL_STRING, SL_I64, "the:1@10", "cat:1@10", "the:2@10");
    au_free(&a);
}

static void swap_kv(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, sl_val_t *out_key,
                    sl_val_t *out_value, void *arg)
{
    (void)ctx;
    (void)arg;
    *out_key = *value;
    *out_value = *key;
}

static SL_TOPOLOGY(rekeyed_topo)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_MAP(swapped, in, swap_kv);
    sl_grouped_t *g = sl_stream_group_by_key(swapped, "rekeyed", SL_STRING, SL_STRING);
    SL_COUNT(counts, g, "counts");
    SL_TO_STREAM(counts, "out", SL_STRING, SL_I64);
}

/* group_by_key after an operator that may change the key repartitions
 * through "<app>-<name>-repartition". */
static void test_group_by_key_after_map_repartitions(void **state)
{
    au_t a = au_new(rekeyed_topo, NULL);
    char *desc = sl_topology_describe(a.t);

    (void)state;
    assert_non_null(desc);
    assert_non_null(strstr(desc, "rekeyed-repartition"));
    free(desc);
    au_pipe(&a, "in", "u1", "red", 1);
    au_pipe(&a, "in", "u2", "red", 2);
    au_pipe(&a, "in", "u3", "blue", 3);
    AU_EXPECT(&a, "out", SL_STRING, SL_I64, "red:1@1", "red:2@2", "blue:1@3");
    au_free(&a);
}

static SL_TOPOLOGY(reduce_topo)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_GROUP_BY_KEY(g, in);
    SL_REDUCE(joined, g, au_concat, "joined");
    SL_TO_STREAM(joined, "out", SL_STRING, SL_STRING);
}

static void test_reduce(void **state)
{
    au_t a = au_new(reduce_topo, NULL);

    (void)state;
    au_pipe(&a, "in", "k", "a", 1);
    au_pipe(&a, "in", "k", "b", 2);
    au_pipe(&a, "in", "j", "c", 3);
    au_pipe(&a, "in", "k", NULL, 4);
    au_pipe(&a, "in", "k", "d", 5);
    AU_EXPECT(&a, "out", SL_STRING, SL_STRING, "k:a@1", "k:a+b@2", "j:c@3", "k:a+b+d@5");
    au_free(&a);
}

static SL_TOPOLOGY(sum_topo)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_GROUP_BY_KEY(g, in);
    SL_AGGREGATE(sums, g, au_zero, au_sum, SL_I64, "sums");
    SL_TO_STREAM(sums, "out", SL_STRING, SL_I64);
}

static void test_aggregate(void **state)
{
    au_t a = au_new(sum_topo, NULL);

    (void)state;
    au_pipe(&a, "in", "k", "5", 1);
    au_pipe(&a, "in", "k", "7", 2);
    au_pipe(&a, "in", "j", "1", 3);
    AU_EXPECT(&a, "out", SL_STRING, SL_I64, "k:5@1", "k:12@2", "j:1@3");
    au_kv(&a, "sums", "k", "12");
    au_free(&a);
}

/* JSON aggregates: {"n": records, "last": the last value}. */
static sl_val_t json_init(sl_ctx_t *ctx, void *arg)
{
    (void)arg;
    return sl_val_json(ctx, json_pack("{s:i}", "n", 0));
}

static sl_val_t json_add(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, const sl_val_t *agg, void *arg)
{
    json_t *j = json_deep_copy(agg->u.json);

    (void)key;
    (void)arg;
    json_object_set_new(j, "n", json_integer(json_integer_value(json_object_get(j, "n")) + 1));
    json_object_set_new(j, "last", json_stringn((const char *)value->u.bytes.ptr, value->u.bytes.len));
    return sl_val_json(ctx, j);
}

static SL_TOPOLOGY(json_topo)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_GROUP_BY_KEY(g, in);
    SL_AGGREGATE(docs, g, json_init, json_add, SL_JSON, "docs");
    SL_TO_STREAM(docs, "out", SL_STRING, SL_JSON);
}

static void test_json_aggregate(void **state)
{
    au_t a = au_new(json_topo, NULL);

    (void)state;
    au_pipe(&a, "in", "k", "x", 1);
    au_pipe(&a, "in", "k", "y", 2);
    AU_EXPECT(&a, "out", SL_STRING, SL_JSON, "k:{\"n\":1,\"last\":\"x\"}@1", "k:{\"n\":2,\"last\":\"y\"}@2");
    au_free(&a);
}

/* users: user -> region; regions: how many users per region. */
static void user_region(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, sl_val_t *out_key,
                        sl_val_t *out_value, void *arg)
{
    (void)ctx;
    (void)arg;
    *out_key = *value;
    *out_value = *key;
}

static SL_TOPOLOGY(region_count_topo)
{
    SL_TABLE(users, "users", SL_STRING, SL_STRING, "users-store");
    sl_grouped_t *by_region = sl_table_group_by(users, "by_region", user_region, NULL, SL_STRING, SL_STRING);
    SL_COUNT(regions, by_region, "region-counts");
    SL_TO_STREAM(regions, "out", SL_STRING, SL_I64);
}

/* A changed row leaves its old group (subtractor) and joins its new one. */
static void test_table_group_by_count(void **state)
{
    au_t a = au_new(region_count_topo, NO_CACHE);

    (void)state;
    au_pipe(&a, "users", "u1", "eu", 1);
    au_pipe(&a, "users", "u2", "eu", 2);
    AU_EXPECT(&a, "out", SL_STRING, SL_I64, "eu:1@1", "eu:2@2");
    au_pipe(&a, "users", "u1", "us", 3);
    AU_EXPECT(&a, "out", SL_STRING, SL_I64, "eu:1@3", "us:1@3");
    /* A tombstone takes the row out of its group. */
    au_pipe(&a, "users", "u2", NULL, 4);
    AU_EXPECT(&a, "out", SL_STRING, SL_I64, "eu:0@4");
    au_kv(&a, "region-counts", "eu", "0");
    au_kv(&a, "region-counts", "us", "1");
    au_free(&a);
}

/* The same with the cache: per piped record, one result per group. */
static void test_table_group_by_cached(void **state)
{
    au_t a = au_new(region_count_topo, NULL);

    (void)state;
    au_pipe(&a, "users", "u1", "eu", 1);
    au_pipe(&a, "users", "u2", "eu", 2);
    au_pipe(&a, "users", "u1", "us", 3);
    au_pipe(&a, "users", "u1", "us", 4);
    AU_EXPECT(&a, "out", SL_STRING, SL_I64, "eu:1@1", "eu:2@2", "eu:1@3", "us:1@3", "us:1@4");
    au_kv(&a, "region-counts", "eu", "1");
    au_kv(&a, "region-counts", "us", "1");
    au_free(&a);
}

static SL_TOPOLOGY(region_sum_topo)
{
    SL_TABLE(scores, "scores", SL_STRING, SL_STRING, "scores-store");
    sl_grouped_t *g = sl_table_group_by(scores, "by_first", NULL, NULL, NULL, NULL);
    (void)g;
}

static void first_letter(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, sl_val_t *out_key,
                         sl_val_t *out_value, void *arg)
{
    (void)arg;
    *out_key = sl_val_strn(ctx, (const char *)key->u.bytes.ptr, 1);
    *out_value = *value;
}

static SL_TOPOLOGY(letter_sum_topo)
{
    SL_TABLE(scores, "scores", SL_STRING, SL_STRING, "scores-store");
    sl_grouped_t *g = sl_table_group_by(scores, "by_first", first_letter, NULL, SL_STRING, SL_STRING);
    sl_table_t *sums = sl_grouped_aggregate(g, "sums", au_zero, au_sum, au_unsum, NULL, SL_I64, "sums");
    SL_TO_STREAM(sums, "out", SL_STRING, SL_I64);
}

/* Aggregate with adder and subtractor; a grouped table without a
 * subtractor, or group_by without a mapper, is a build error. */
static void test_table_group_by_aggregate(void **state)
{
    au_t a = au_new(letter_sum_topo, NO_CACHE);
    sl_topology_t *t = NULL;
    char err[256];

    (void)state;
    au_pipe(&a, "scores", "ann", "10", 1);
    au_pipe(&a, "scores", "amy", "5", 2);
    au_pipe(&a, "scores", "ann", "12", 3);
    au_pipe(&a, "scores", "bob", "1", 4);
    au_pipe(&a, "scores", "amy", NULL, 5);
    AU_EXPECT(&a, "out", SL_STRING, SL_I64, "a:10@1", "a:15@2", "a:5@3", "a:17@3", "b:1@4", "a:12@5");
    au_free(&a);
    assert_int_equal(sl_topology_from(region_sum_topo, &t, err, sizeof(err)), SL_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_group_by_folds_per_record),
        cmocka_unit_test(test_group_by_without_cache),
        cmocka_unit_test(test_group_by_key_after_map_repartitions),
        cmocka_unit_test(test_reduce),
        cmocka_unit_test(test_aggregate),
        cmocka_unit_test(test_json_aggregate),
        cmocka_unit_test(test_table_group_by_count),
        cmocka_unit_test(test_table_group_by_cached),
        cmocka_unit_test(test_table_group_by_aggregate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
