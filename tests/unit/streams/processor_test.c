/*
 * processor_test.c - the Processor API through the test driver: init,
 * process and close; forward, forward_to and forward_ts; the record
 * context (topic, partition, offset, timestamp, headers, task id,
 * application id); stream-time and wall-clock punctuators with cancel;
 * failures; a processor with a key-value store.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_util.h"
#include "streams_int.h" /* sl_ctx_fail */

/* --- record context and forwarding ------------------------------------------------ */

typedef struct seen {
    char topic[64];
    int32_t partition;
    int64_t offset;
    int64_t ts;
    size_t n_headers;
    char header[64];
    char task[16];
    char app[32];
    int64_t stream_time;
    int inits, closes, records;
} seen_t;

static seen_t g_seen;

static sl_err_t ctx_init(sl_ctx_t *ctx, void **state, void *arg)
{
    (void)ctx;
    *state = arg;
    g_seen.inits++;
    return SL_OK;
}

static void ctx_process(sl_ctx_t *ctx, void *state, const sl_val_t *key, const sl_val_t *value)
{
    assert_ptr_equal(state, &g_seen);
    g_seen.records++;
    snprintf(g_seen.topic, sizeof(g_seen.topic), "%s", sl_ctx_topic(ctx));
    g_seen.partition = sl_ctx_partition(ctx);
    g_seen.offset = sl_ctx_offset(ctx);
    g_seen.ts = sl_ctx_timestamp(ctx);
    const sl_header_t *h = sl_ctx_headers(ctx, &g_seen.n_headers);
    g_seen.header[0] = '\0';
    for (size_t i = 0; i < g_seen.n_headers; i++) {
        char one[32];
        snprintf(one, sizeof(one), "%s=%.*s;", h[i].key, h[i].value_len < 0 ? 4 : (int)h[i].value_len,
                 h[i].value_len < 0 ? "null" : (const char *)h[i].value);
        strncat(g_seen.header, one, sizeof(g_seen.header) - strlen(g_seen.header) - 1);
    }
    snprintf(g_seen.task, sizeof(g_seen.task), "%s", sl_ctx_task_id(ctx));
    snprintf(g_seen.app, sizeof(g_seen.app), "%s", sl_ctx_application_id(ctx));
    g_seen.stream_time = sl_ctx_stream_time(ctx);
    /* forward to every child, then to one by name, then with a timestamp */
    sl_ctx_forward(ctx, key, value);
    sl_val_t tagged = sl_val_printf(ctx, "%.*s!", (int)value->u.bytes.len, (const char *)value->u.bytes.ptr);
    assert_int_equal(sl_ctx_forward_to(ctx, "second", key, &tagged), SL_OK);
    assert_int_equal(sl_ctx_forward_to(ctx, "nosuch", key, &tagged), SL_ERR_NOENT);
    sl_ctx_forward_ts(ctx, key, value, 777);
}

static void ctx_close(void *state, void *arg)
{
    assert_ptr_equal(state, arg);
    g_seen.closes++;
}

static const sl_processor_def_t ctx_def = {ctx_init, ctx_process, ctx_close};

static void ctx_topology(sl_builder_t *b)
{
    sl_stream_t *in = sl_builder_stream(b, "in", "in", SL_STRING, SL_STRING);
    sl_stream_t *p = sl_stream_process(in, "proc", &ctx_def, &g_seen, NULL, 0);
    sl_stream_t *first = sl_stream_filter(p, "first", NULL, NULL);
    (void)first;
}

static bool always(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    (void)ctx;
    (void)key;
    (void)value;
    (void)arg;
    return true;
}

static void ctx_topology2(sl_builder_t *b)
{
    sl_stream_t *in = sl_builder_stream(b, "in", "in", SL_STRING, SL_STRING);
    sl_stream_t *p = sl_stream_process(in, "proc", &ctx_def, &g_seen, NULL, 0);
    sl_stream_t *first = sl_stream_filter(p, "first", always, NULL);
    sl_stream_t *second = sl_stream_filter(p, "second", always, NULL);
    sl_stream_to(first, NULL, "out1", SL_STRING, SL_STRING, NULL, NULL);
    sl_stream_to(second, NULL, "out2", SL_STRING, SL_STRING, NULL, NULL);
}

static void test_context_and_forward(void **state)
{
    (void)state;
    memset(&g_seen, 0, sizeof(g_seen));
    /* a filter without a function is a build error */
    char msg[256];
    assert_int_equal(cu_build_error(ctx_topology, msg, sizeof(msg)), SL_ERR_INVAL);
    assert_non_null(strstr(msg, "first"));

    sl_topology_t *t = cu_build(ctx_topology2);
    sl_driver_t *d = cu_driver(t, "application.id=ctx-app");
    assert_int_equal(g_seen.inits, 1);
    sl_header_t hs[2] = {{"trace", "abc", 3}, {"empty", NULL, -1}};
    sl_val_t k = sl_val_str_ref("k", 1), v = sl_val_str_ref("v", 1);
    assert_int_equal(sl_driver_pipe_headers(d, "in", &k, &v, 42, SL_STRING, SL_STRING, hs, 2), SL_OK);
    assert_int_equal(g_seen.records, 1);
    assert_string_equal(g_seen.topic, "in");
    assert_int_equal(g_seen.partition, 0);
    assert_int_equal(g_seen.offset, 0);
    assert_int_equal(g_seen.ts, 42);
    assert_int_equal(g_seen.n_headers, 2);
    assert_string_equal(g_seen.header, "trace=abc;empty=null;");
    assert_string_equal(g_seen.task, "0_0");
    assert_string_equal(g_seen.app, "ctx-app");
    assert_int_equal(g_seen.stream_time, 42);

    /* forward: both children; forward_to: only "second"; forward_ts: both at 777 */
    cu_expect(d, "out1", "k", "v", 42);
    cu_expect(d, "out1", "k", "v", 777);
    cu_expect_empty(d, "out1");
    cu_expect(d, "out2", "k", "v", 42);
    cu_expect(d, "out2", "k", "v!", 42);
    cu_expect(d, "out2", "k", "v", 777);
    cu_expect_empty(d, "out2");

    /* headers reach the sink's records */
    cu_pipe(d, "in", "k2", "w", 50);
    assert_int_equal(g_seen.offset, 1);
    assert_int_equal(g_seen.n_headers, 0);
    sl_out_record_t r;
    sl_driver_free(d);
    d = cu_driver(t, NULL);
    assert_int_equal(sl_driver_pipe_headers(d, "in", &k, &v, 1, SL_STRING, SL_STRING, hs, 1), SL_OK);
    sl_header_t nameless = {NULL, "x", 1};
    assert_int_equal(sl_driver_pipe_headers(d, "in", &k, &v, 1, SL_STRING, SL_STRING, &nameless, 1), SL_ERR_INVAL);
    assert_int_equal(sl_driver_pipe_headers(d, "in", &k, &v, 1, SL_STRING, SL_STRING, NULL, 1), SL_ERR_INVAL);
    assert_int_equal(sl_driver_read(d, "out1", SL_STRING, SL_STRING, &r), SL_OK);
    assert_int_equal(r.header_count, 1);
    assert_string_equal(r.headers[0].key, "trace");
    assert_int_equal(r.headers[0].value_len, 3);
    assert_memory_equal(r.headers[0].value, "abc", 3);
    sl_driver_free(d);
    assert_int_equal(g_seen.closes, 2);
    sl_topology_free(t);
}

/* --- punctuators ------------------------------------------------------------------- */

typedef struct punct_state {
    sl_punct_t *stream, *wall;
    int64_t stream_calls[16];
    int n_stream;
    int64_t wall_calls[16];
    int n_wall;
    int records;
} punct_state_t;

static punct_state_t g_punct;

static void on_stream_time(sl_ctx_t *ctx, int64_t ts, void *arg)
{
    punct_state_t *s = arg;
    assert_null(sl_ctx_topic(ctx));
    assert_int_equal(sl_ctx_offset(ctx), -1);
    assert_int_equal(sl_ctx_timestamp(ctx), ts);
    if (s->n_stream < 16)
        s->stream_calls[s->n_stream++] = ts;
    sl_val_t k = sl_val_str_ref("tick", 4);
    sl_val_t v = sl_val_printf(ctx, "%" PRId64, ts);
    sl_ctx_forward(ctx, &k, &v);
}

static void on_wall_clock(sl_ctx_t *ctx, int64_t ts, void *arg)
{
    punct_state_t *s = arg;
    if (s->n_wall < 16)
        s->wall_calls[s->n_wall++] = ts;
    assert_int_equal(sl_ctx_wall_clock(ctx), ts);
    /* cancelled from within after the third call */
    if (s->n_wall == 3)
        sl_ctx_cancel(ctx, s->wall);
}

static sl_err_t punct_init(sl_ctx_t *ctx, void **state, void *arg)
{
    punct_state_t *s = arg;
    s->stream = sl_ctx_schedule(ctx, 10, SL_PUNCT_STREAM_TIME, on_stream_time, s);
    s->wall = sl_ctx_schedule(ctx, 1000, SL_PUNCT_WALL_CLOCK, on_wall_clock, s);
    assert_non_null(s->stream);
    assert_non_null(s->wall);
    assert_null(sl_ctx_schedule(ctx, 0, SL_PUNCT_WALL_CLOCK, on_wall_clock, s));
    *state = s;
    return SL_OK;
}

static sl_punct_t *g_late;

static void punct_process(sl_ctx_t *ctx, void *state, const sl_val_t *key, const sl_val_t *value)
{
    punct_state_t *s = state;
    s->records++;
    /* scheduling is for init only */
    g_late = sl_ctx_schedule(ctx, 5, SL_PUNCT_STREAM_TIME, on_stream_time, s);
    sl_ctx_forward(ctx, key, value);
}

static const sl_processor_def_t punct_def = {punct_init, punct_process, NULL};

static void punct_topology(sl_builder_t *b)
{
    sl_stream_t *in = sl_builder_stream(b, "in", "in", SL_STRING, SL_STRING);
    sl_stream_t *p = sl_stream_process(in, "punct", &punct_def, &g_punct, NULL, 0);
    sl_stream_to(p, NULL, "out", SL_STRING, SL_STRING, NULL, NULL);
}

static void test_punctuators(void **state)
{
    (void)state;
    memset(&g_punct, 0, sizeof(g_punct));
    sl_topology_t *t = cu_build(punct_topology);
    sl_driver_t *d = NULL;
    char err[256];
    assert_int_equal(sl_driver_new(t, NULL, 5000, &d, err, sizeof(err)), SL_OK);

    /* stream time: due at 0 with the first record, then every 10 ms of
     * stream time; a jump skips the missed ones */
    cu_pipe(d, "in", "a", "1", 3);
    assert_null(g_late);
    cu_expect(d, "out", "a", "1", 3);
    cu_expect(d, "out", "tick", "3", 3);
    cu_pipe(d, "in", "a", "2", 9);
    cu_expect(d, "out", "a", "2", 9);
    cu_expect_empty(d, "out");
    cu_pipe(d, "in", "a", "3", 10);
    cu_expect(d, "out", "a", "3", 10);
    cu_expect(d, "out", "tick", "10", 10);
    cu_pipe(d, "in", "a", "4", 5); /* out of order: stream time stays 10 */
    cu_expect(d, "out", "a", "4", 5);
    cu_expect_empty(d, "out");
    cu_pipe(d, "in", "a", "5", 47);
    cu_expect(d, "out", "a", "5", 47);
    cu_expect(d, "out", "tick", "47", 47);
    cu_pipe(d, "in", "a", "6", 49);
    cu_pipe(d, "in", "a", "7", 50);
    assert_int_equal(g_punct.n_stream, 4);
    assert_int_equal(g_punct.stream_calls[3], 50);

    /* wall clock: first due one interval after the start (5000 + 1000) */
    assert_int_equal(g_punct.n_wall, 0);
    assert_int_equal(sl_driver_advance_wall_clock(d, 999), SL_OK);
    assert_int_equal(g_punct.n_wall, 0);
    assert_int_equal(sl_driver_advance_wall_clock(d, 1), SL_OK);
    assert_int_equal(g_punct.n_wall, 1);
    assert_int_equal(g_punct.wall_calls[0], 6000);
    assert_int_equal(sl_driver_advance_wall_clock(d, 2500), SL_OK); /* 8500: one call, next at 9000 */
    assert_int_equal(g_punct.n_wall, 2);
    assert_int_equal(g_punct.wall_calls[1], 8500);
    assert_int_equal(sl_driver_advance_wall_clock(d, 500), SL_OK);
    assert_int_equal(g_punct.n_wall, 3);
    assert_int_equal(g_punct.wall_calls[2], 9000);
    /* cancelled by the third call */
    assert_int_equal(sl_driver_advance_wall_clock(d, 5000), SL_OK);
    assert_int_equal(g_punct.n_wall, 3);
    assert_int_equal(sl_driver_advance_wall_clock(d, -1), SL_ERR_INVAL);

    sl_driver_free(d);
    sl_topology_free(t);
}

/* --- failures ---------------------------------------------------------------------- */

static void failing_process(sl_ctx_t *ctx, void *state, const sl_val_t *key, const sl_val_t *value)
{
    (void)state;
    if (value->u.bytes.len > 0 && value->u.bytes.ptr[0] == 'x') {
        sl_ctx_fail(ctx, SL_ERR_INVAL, "value %s is not allowed", "x");
        return;
    }
    sl_ctx_forward(ctx, key, value);
}

static sl_err_t failing_init(sl_ctx_t *ctx, void **state, void *arg)
{
    (void)ctx;
    (void)state;
    return arg != NULL ? SL_ERR_IO : SL_OK;
}

static const sl_processor_def_t failing_def = {failing_init, failing_process, NULL};
static int g_fail_init;

static void failing_topology(sl_builder_t *b)
{
    sl_stream_t *in = sl_builder_stream(b, "in", "in", SL_STRING, SL_STRING);
    sl_stream_t *p = sl_stream_process(in, "picky", &failing_def, g_fail_init ? &g_fail_init : NULL, NULL, 0);
    sl_stream_to(p, NULL, "out", SL_STRING, SL_STRING, NULL, NULL);
}

static void test_failures(void **state)
{
    (void)state;
    g_fail_init = 0;
    sl_topology_t *t = cu_build(failing_topology);
    sl_driver_t *d = cu_driver(t, NULL);
    assert_int_equal(cu_pipe(d, "in", "k", "ok", 1), SL_OK);
    assert_int_equal(cu_pipe(d, "in", "k", "xx", 2), SL_ERR_INVAL);
    assert_int_equal(cu_pipe(d, "in", "k", "fine", 3), SL_OK);
    cu_expect(d, "out", "k", "ok", 1);
    cu_expect(d, "out", "k", "fine", 3);
    cu_expect_empty(d, "out");
    sl_driver_free(d);
    sl_topology_free(t);

    /* an init failure fails the driver's creation with the node named */
    g_fail_init = 1;
    t = cu_build(failing_topology);
    char err[256] = "";
    assert_int_equal(sl_driver_new(t, NULL, 0, &d, err, sizeof(err)), SL_ERR_IO);
    assert_null(d);
    assert_non_null(strstr(err, "picky"));
    sl_topology_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_context_and_forward),
        cmocka_unit_test(test_punctuators),
        cmocka_unit_test(test_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
