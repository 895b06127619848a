/*
 * driver_test.c - the test driver: its config, topics kept per record
 * (queue sizes, read order, offsets), records written to topics the
 * topology reads fed back in order, piping without serdes, stores reached
 * from processors and from the driver, changelog topics, global stores
 * reached by name from stream tasks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core_util.h"
#include "streams_int.h"

/* --- config -------------------------------------------------------------------- */

static SL_TOPOLOGY(pass_topology)
{
    SL_STREAM(in, "in", SL_STRING, SL_STRING);
    SL_TO(in, "out", SL_STRING, SL_STRING);
}

static void test_config(void **state)
{
    (void)state;
    sl_topology_t *t = cu_build(pass_topology);
    sl_driver_t *d = NULL;
    char err[256] = "";
    assert_int_equal(sl_driver_new(t, "cache.max.bytes.buffering=lots\n", 0, &d, err, sizeof(err)), SL_ERR_CONFIG);
    assert_non_null(strstr(err, "cache.max.bytes.buffering"));
    assert_null(d);
    assert_int_equal(sl_driver_new(t, "application.id=\n", 0, &d, err, sizeof(err)), SL_ERR_CONFIG);
    assert_int_equal(sl_driver_new(t, "bad \\u12\n", 0, &d, err, sizeof(err)), SL_ERR_CONFIG);
    assert_int_equal(sl_driver_new(NULL, NULL, 0, &d, err, sizeof(err)), SL_ERR_INVAL);
    /* a given state.dir is used and left in place */
    char dir[] = "/tmp/sl-driver-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char props[128];
    snprintf(props, sizeof(props), "state.dir=%s\napplication.id=mine\n", dir);
    assert_int_equal(sl_driver_new(t, props, 0, &d, err, sizeof(err)), SL_OK);
    assert_int_equal(cu_pipe(d, "in", "k", "v", 1), SL_OK);
    cu_expect(d, "out", "k", "v", 1);
    sl_driver_free(d);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(rmdir(dir), 0);
    sl_topology_free(t);
}

/* --- topics, offsets, feedback ------------------------------------------------- */

static int64_t g_offsets[8];
static int g_n_offsets;

static void note_offset(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    (void)value;
    (void)arg;
    if (g_n_offsets < 8)
        g_offsets[g_n_offsets++] = sl_ctx_offset(ctx);
}

static sl_val_t tag(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)key;
    return sl_val_printf(ctx, "%.*s%s", (int)value->u.bytes.len, (const char *)value->u.bytes.ptr,
                         (const char *)arg);
}

/* in -> "mid" (a user topic the second part reads) -> repartition -> out */
static void chain_topology(sl_builder_t *b)
{
    sl_stream_t *in = sl_builder_stream(b, "in", "in", SL_STRING, SL_STRING);
    sl_stream_t *a = sl_stream_map_values(in, "a", tag, "+a");
    sl_stream_to(a, NULL, "mid", SL_STRING, SL_STRING, NULL, NULL);
    sl_stream_t *mid = sl_builder_stream(b, "mid", "mid", SL_STRING, SL_STRING);
    sl_stream_peek(mid, "offsets", note_offset, NULL);
    sl_stream_t *r = sl_stream_repartition(mid, "again", 0);
    sl_stream_t *c = sl_stream_map_values(r, "c", tag, "+c");
    sl_stream_to(c, NULL, "out", SL_STRING, SL_STRING, NULL, NULL);
}

static void test_topics_and_feedback(void **state)
{
    (void)state;
    g_n_offsets = 0;
    sl_topology_t *t = cu_build(chain_topology);
    assert_int_equal(t->n_subs, 3);
    sl_driver_t *d = cu_driver(t, NULL);
    for (int i = 0; i < 3; i++) {
        char v[8];
        snprintf(v, sizeof(v), "v%d", i);
        assert_int_equal(cu_pipe(d, "in", "k", v, 100 + i), SL_OK);
    }
    assert_int_equal(sl_driver_queue_size(d, "mid"), 3);
    assert_int_equal(sl_driver_queue_size(d, "test-driver-again-repartition"), 3);
    assert_int_equal(sl_driver_queue_size(d, "out"), 3);
    assert_int_equal(sl_driver_queue_size(d, "nosuch"), 0);
    cu_expect(d, "out", "k", "v0+a+c", 100);
    cu_expect(d, "out", "k", "v1+a+c", 101);
    assert_int_equal(sl_driver_queue_size(d, "out"), 1);
    cu_expect(d, "out", "k", "v2+a+c", 102);
    cu_expect_empty(d, "out");
    /* the fed-back topic's offsets count up as a broker's would */
    assert_int_equal(g_n_offsets, 3);
    assert_int_equal(g_offsets[0], 0);
    assert_int_equal(g_offsets[2], 2);
    /* piping into the middle works too */
    assert_int_equal(cu_pipe(d, "mid", "m", "x", 5), SL_OK);
    cu_expect(d, "out", "m", "x+c", 5);
    assert_int_equal(g_offsets[3], 3);
    /* read memory is reused once everything was read: still correct */
    assert_int_equal(cu_pipe(d, "in", "k", "again", 200), SL_OK);
    cu_expect(d, "out", "k", "again+a+c", 200);
    sl_driver_free(d);
    sl_topology_free(t);
}

static SL_TOPOLOGY(longs_topology)
{
    SL_STREAM(in, "in", SL_I32, SL_I64);
    SL_TO(in, "out", SL_I32, SL_I64);
}

static void test_pipe_without_serdes(void **state)
{
    (void)state;
    sl_topology_t *t = cu_build(longs_topology);
    sl_driver_t *d = cu_driver(t, NULL);
    sl_val_t k = sl_val_i32(3), v = sl_val_i64(-5), n = sl_val_null();
    assert_int_equal(sl_driver_pipe(d, "in", &k, &v, 1, NULL, NULL), SL_OK);
    assert_int_equal(sl_driver_pipe(d, "in", &n, &n, 2, NULL, NULL), SL_OK);
    sl_out_record_t r;
    assert_int_equal(sl_driver_read(d, "out", SL_I32, SL_I64, &r), SL_OK);
    assert_string_equal(r.topic, "out");
    assert_int_equal(r.key.u.i32, 3);
    assert_int_equal(r.value.u.i64, -5);
    assert_int_equal(sl_driver_read(d, "out", NULL, NULL, &r), SL_OK);
    assert_true(sl_val_is_null(&r.key));
    assert_true(sl_val_is_null(&r.value));
    assert_int_equal(r.timestamp, 2);
    int obj;
    sl_val_t p = sl_val_ptr(&obj);
    assert_int_equal(sl_driver_pipe(d, "in", &k, &p, 3, NULL, NULL), SL_ERR_INVAL);
    sl_driver_free(d);
    sl_topology_free(t);
}

/* --- stores ---------------------------------------------------------------------- */

/* Counts records per key in store "counts" and forwards the count. */
static sl_err_t counter_init(sl_ctx_t *ctx, void **state, void *arg)
{
    (void)arg;
    *state = sl_ctx_store(ctx, "counts");
    /* only connected stores are reachable */
    assert_null(sl_ctx_store(ctx, "other"));
    assert_null(sl_ctx_store(ctx, "nosuch"));
    return *state != NULL ? SL_OK : SL_ERR_NOENT;
}

static void counter_process(sl_ctx_t *ctx, void *state, const sl_val_t *key, const sl_val_t *value)
{
    (void)value;
    sl_store_t *st = state;
    assert_ptr_equal(sl_ctx_store(ctx, "counts"), st);
    sl_val_t cur;
    sl_err_t err = sl_kv_get(st, key, &cur);
    int64_t n = err == SL_OK ? cur.u.i64 : 0;
    assert_true(err == SL_OK || err == SL_ERR_NOENT);
    sl_val_t next = sl_val_i64(n + 1);
    assert_int_equal(sl_kv_put(st, key, &next), SL_OK);
    sl_ctx_forward(ctx, key, &next);
}

static const sl_processor_def_t counter_def = {counter_init, counter_process, NULL};

static void counter_topology(sl_builder_t *b)
{
    sl_store_def_t counts = {.name = "counts", .kind = SL_STORE_KV, .ks = SL_STRING, .vs = SL_I64,
                             .logging = true, .caching = false};
    sl_store_def_t other = {.name = "other", .kind = SL_STORE_KV, .logging = false};
    sl_builder_add_store(b, &counts);
    sl_builder_add_store(b, &other);
    sl_stream_t *in = sl_builder_stream(b, "in", "in", SL_STRING, SL_STRING);
    sl_stream_t *c = sl_stream_process(in, "counter", &counter_def, NULL, (const char *const[]){"counts"}, 1);
    sl_stream_to(c, NULL, "out", SL_STRING, SL_I64, NULL, NULL);
}

static void expect_count(sl_driver_t *d, const char *topic, const char *key, int64_t n)
{
    sl_out_record_t r;
    assert_int_equal(sl_driver_read(d, topic, SL_STRING, SL_I64, &r), SL_OK);
    assert_int_equal(r.key.type, SL_V_STRING);
    assert_string_equal((const char *)r.key.u.bytes.ptr, key);
    assert_int_equal(r.value.type, SL_V_I64);
    assert_int_equal(r.value.u.i64, n);
}

static void test_store_processor(void **state)
{
    (void)state;
    sl_topology_t *t = cu_build(counter_topology);
    sl_driver_t *d = cu_driver(t, "application.id=cnt\n");
    cu_pipe(d, "in", "a", "x", 1);
    cu_pipe(d, "in", "b", "x", 2);
    cu_pipe(d, "in", "a", "x", 3);
    expect_count(d, "out", "a", 1);
    expect_count(d, "out", "b", 1);
    expect_count(d, "out", "a", 2);
    cu_expect_empty(d, "out");
    /* the changelog went to "<app>-<store>-changelog" as a broker keeps it */
    assert_int_equal(sl_driver_queue_size(d, "cnt-counts-changelog"), 3);
    expect_count(d, "cnt-counts-changelog", "a", 1);
    /* the driver reaches the store as processors do */
    sl_store_t *st = sl_driver_store(d, "counts");
    assert_non_null(st);
    assert_string_equal(sl_store_name(st), "counts");
    assert_null(sl_driver_store(d, "nosuch"));
    sl_val_t k = sl_val_str_ref("a", 1), v;
    assert_int_equal(sl_kv_get(st, &k, &v), SL_OK);
    assert_int_equal(v.u.i64, 2);
    sl_driver_free(d);
    sl_topology_free(t);
}

/* A global store (as ops_global.c makes one: a global source and a node
 * keeping the store), read by name from a stream task's processor. */
static sl_err_t keeper_init(sl_ctx_t *ctx, void **state, void *arg)
{
    (void)arg;
    *state = sl_ctx_store(ctx, "regions");
    return *state != NULL ? SL_OK : SL_ERR_NOENT;
}

static void keeper_process(sl_ctx_t *ctx, void *state, const sl_val_t *key, const sl_val_t *value)
{
    assert_string_equal(sl_ctx_task_id(ctx), "global");
    assert_int_equal(sl_kv_put(state, key, value), SL_OK);
}

static const sl_processor_def_t keeper_def = {keeper_init, keeper_process, NULL};

static void enrich_process(sl_ctx_t *ctx, void *state, const sl_val_t *key, const sl_val_t *value)
{
    (void)state;
    (void)value;
    sl_store_t *st = sl_ctx_store(ctx, "regions");
    assert_non_null(st);
    sl_val_t region;
    if (sl_kv_get(st, key, &region) != SL_OK)
        region = sl_val_str_ref("unknown", 7);
    sl_ctx_forward(ctx, key, &region);
}

static const sl_processor_def_t enrich_def = {NULL, enrich_process, NULL};

static void global_topology(sl_builder_t *b)
{
    sl_store_def_t regions = {.name = "regions", .kind = SL_STORE_KV, .ks = SL_STRING, .vs = SL_STRING};
    sl_builder_add_store(b, &regions);
    sl_node_t *g = sl_bnode_source(b, "regions-source", "user-regions", NULL, false, SL_STRING, SL_STRING);
    g->global = true;
    sl_stream_t *gs = sl_stream_wrap(b, g, SL_STRING, SL_STRING, false);
    sl_stream_process(gs, "keeper", &keeper_def, NULL, (const char *const[]){"regions"}, 1);
    sl_stream_t *views = sl_builder_stream(b, "views", "page-views", SL_STRING, SL_STRING);
    sl_stream_t *e = sl_stream_process(views, "enrich", &enrich_def, NULL, NULL, 0);
    sl_stream_to(e, NULL, "enriched", SL_STRING, SL_STRING, NULL, NULL);
}

static void test_global_store(void **state)
{
    (void)state;
    sl_topology_t *t = cu_build(global_topology);
    assert_true(t->subs[0].global);
    sl_driver_t *d = cu_driver(t, NULL);
    cu_pipe(d, "page-views", "alice", "/", 1);
    cu_pipe(d, "user-regions", "alice", "europe", 2);
    cu_pipe(d, "page-views", "alice", "/", 3);
    cu_pipe(d, "page-views", "bob", "/", 4);
    cu_expect(d, "enriched", "alice", "unknown", 1);
    cu_expect(d, "enriched", "alice", "europe", 3);
    cu_expect(d, "enriched", "bob", "unknown", 4);
    assert_non_null(sl_driver_store(d, "regions"));
    sl_driver_free(d);
    sl_topology_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_topics_and_feedback),
        cmocka_unit_test(test_pipe_without_serdes),
        cmocka_unit_test(test_store_processor),
        cmocka_unit_test(test_global_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
