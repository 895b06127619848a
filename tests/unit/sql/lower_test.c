/* lower_test.c - logical plans (built by hand here) lowered to topologies
 * and run in a streams test driver: source decoding with the processing
 * log, filter and projection, the timestamp column, a push query's rows,
 * stream and table aggregations (retractions), tumbling, hopping and
 * session windows, suppression, the three kinds of joins; and the local
 * runtime (topics, chained queries, replay from the earliest record, the
 * bound on queries feeding each other). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "plan_int.h"
#include "rt_int.h"
#include "sql.h"

static sl_arena_t A;

static int setup(void **state)
{
    (void)state;
    sl_arena_init(&A, 0, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sl_arena_fini(&A);
    return 0;
}

/* --- building plans --------------------------------------------------------- */

static const sl_sql_type_t *T(sl_sql_tkind_t k)
{
    return sl_sql_type_of(k);
}

static sl_sql_column_t *cols(uint32_t n, ...)
{
    sl_sql_column_t *c = sl_arena_calloc(&A, n + 1, sizeof(*c));
    va_list ap;
    va_start(ap, n);
    for (uint32_t i = 0; i < n; i++) {
        c[i].name = va_arg(ap, const char *);
        c[i].type = T((sl_sql_tkind_t)va_arg(ap, int));
    }
    va_end(ap);
    return c;
}

static sl_sql_schema_t schema(sl_sql_column_t *key, uint32_t nk, sl_sql_column_t *value, uint32_t nv)
{
    sl_sql_schema_t s = {key, nk, value, nv};
    return s;
}

static const sl_sql_codec_t *codec(const sl_sql_column_t *c, uint32_t n, sl_sql_fmt_kind_t kind, bool is_key)
{
    const char **names = sl_arena_calloc(&A, n + 1, sizeof(*names));
    const sl_sql_type_t **types = sl_arena_calloc(&A, n + 1, sizeof(*types));
    for (uint32_t i = 0; i < n; i++) {
        names[i] = c[i].name;
        types[i] = c[i].type;
    }
    sl_sql_fmt_t fmt = {kind, ',', -1};
    sl_sql_codec_t *out = NULL;
    char err[256] = "";
    sl_err_t rc = sl_sql_codec_new(&A, &fmt, names, types, n, is_key, &out, err, sizeof(err));
    if (rc != SL_OK)
        fail_msg("codec: %s", err);
    return out;
}

static sl_sql_plan_t *node(sl_sql_pkind_t kind, sl_sql_plan_t *in, const char *id)
{
    sl_sql_plan_t *p = sl_arena_zalloc(&A, sizeof(*p));
    p->kind = kind;
    p->input = in;
    p->id = id;
    p->timestamp_col = -1;
    p->limit = -1;
    if (in != NULL) {
        p->out = in->out;
        p->is_table = in->is_table;
        p->window = in->window;
    }
    return p;
}

/* A source over topic: key columns KAFKA, value columns JSON. */
static sl_sql_plan_t *source(const char *topic, bool table, sl_sql_schema_t s)
{
    sl_sql_source_t *src = sl_arena_zalloc(&A, sizeof(*src));
    src->name = topic;
    src->topic = topic;
    src->is_table = table;
    src->schema = s;
    sl_sql_plan_t *p = node(SL_SQL_P_SOURCE, NULL, table ? "KsqlTopic/Table" : "KsqlTopic/Source");
    p->source = src;
    p->out = s;
    p->is_table = table;
    p->key_codec = s.n_key > 0 ? codec(s.key, s.n_key, SL_SQL_FMT_KAFKA, true) : NULL;
    p->value_codec = codec(s.value, s.n_value, SL_SQL_FMT_JSON, false);
    return p;
}

static sl_sql_plan_t *sink(sl_sql_plan_t *in, const char *topic)
{
    sl_sql_plan_t *p = node(SL_SQL_P_SINK, in, "KsqlTopic/Sink");
    p->topic = topic;
    if (topic != NULL) {
        p->sink_key_codec = p->out.n_key > 0 ? codec(p->out.key, p->out.n_key, SL_SQL_FMT_KAFKA, true) : NULL;
        p->sink_value_codec = codec(p->out.value, p->out.n_value, SL_SQL_FMT_JSON, false);
    }
    return p;
}

static sl_sql_expr_t *col_value(const sl_sql_plan_t *in, uint32_t i)
{
    return sl_sql_expr_column(&A, SL_SQL_COL_VALUE, i, in->out.value[i].type, in->out.value[i].name);
}

static sl_sql_expr_t *col_key(const sl_sql_plan_t *in, uint32_t i)
{
    return sl_sql_expr_column(&A, SL_SQL_COL_KEY, i, in->out.key[i].type, in->out.key[i].name);
}

static sl_sql_expr_t *int_const(int32_t v)
{
    sl_sql_datum_t d = sl_sql_int(v);
    return sl_sql_expr_const(&A, T(SL_SQL_T_INT), &d, "c");
}

static sl_sql_expr_t *binary(sl_sql_op_t op, sl_sql_expr_t *a, sl_sql_expr_t *b)
{
    char err[256] = "";
    sl_sql_expr_t *e = sl_sql_expr_binary(&A, op, a, b, err, sizeof(err));
    if (e == NULL)
        fail_msg("expression: %s", err);
    return e;
}

static sl_sql_agg_call_t *agg(const char *name, sl_sql_expr_t *arg)
{
    const sl_sql_func_t *f = NULL;
    for (const sl_sql_func_t *g = sl_sql_funcs_agg; g->name != NULL; g++)
        if (strcmp(g->name, name) == 0)
            f = g;
    assert_non_null(f);
    sl_sql_expr_t **args = sl_arena_calloc(&A, 1, sizeof(*args));
    args[0] = arg;
    sl_sql_agg_call_t *c = NULL;
    char err[256] = "";
    if (sl_sql_agg_bind(&A, f, args, arg != NULL ? 1 : 0, NULL, 0, name, &c, err, sizeof(err)) != SL_OK)
        fail_msg("agg %s: %s", name, err);
    return c;
}

/* --- running ----------------------------------------------------------------- */

typedef struct tq {
    sl_topology_t *topo;
    sl_driver_t *d;
    int64_t errors;
    int emitted;
    int64_t last_ws, last_we;       /* the last transient row's window */
    json_t *rows;                   /* transient rows: [key..., value...] per row */
    sl_sql_lower_env_t env;
} tq_t;

static void collect_row(const sl_sql_row_t *key, const sl_sql_row_t *value, int64_t rowtime, int64_t wstart,
                        int64_t wend, void *arg)
{
    tq_t *q = arg;
    (void)rowtime;
    q->last_ws = wstart;
    q->last_we = wend;
    q->emitted++;
    json_t *r = json_array();
    for (uint32_t i = 0; key != NULL && i < key->n; i++)
        json_array_append_new(r, json_integer(key->cols[i].kind == SL_SQL_T_INT ? key->cols[i].u.i32 : -1));
    for (uint32_t i = 0; value != NULL && i < value->n; i++) {
        const sl_sql_datum_t *d = &value->cols[i];
        if (d->kind == SL_SQL_T_INT)
            json_array_append_new(r, json_integer(d->u.i32));
        else if (d->kind == SL_SQL_T_BIGINT)
            json_array_append_new(r, json_integer(d->u.i64));
        else if (d->kind == SL_SQL_T_STRING)
            json_array_append_new(r, json_stringn(d->u.s.ptr, d->u.s.len));
        else
            json_array_append_new(r, json_null());
    }
    json_array_append_new(q->rows, r);
}

/* run()'s topologies are for one partition per topic (no repartitions). */
static bool single_partition;

static void run(tq_t *q, const sl_sql_plan_t *root, const char *log_topic)
{
    memset(q, 0, sizeof(*q));
    q->rows = json_array();
    q->env.processing_log_topic = log_topic;
    q->env.processing_errors = &q->errors;
    q->env.emit_row = collect_row;
    q->env.emit_arg = q;
    q->env.arena = &A;
    q->env.single_partition = single_partition;
    sl_builder_t *b = sl_builder_new();
    sl_sql_error_t err = {0};
    sl_err_t rc = sl_sql_lower(b, root, &q->env, &err);
    if (rc != SL_OK)
        fail_msg("lower: %s", err.message);
    char eb[512] = "";
    if (sl_topology_build(b, &q->topo, eb, sizeof(eb)) != SL_OK)
        fail_msg("build: %s", eb);
    sl_builder_free(b);
    if (sl_driver_new(q->topo, NULL, 0, &q->d, eb, sizeof(eb)) != SL_OK)
        fail_msg("driver: %s", eb);
}

static void done(tq_t *q)
{
    sl_driver_free(q->d);
    sl_topology_free(q->topo);
    json_decref(q->rows);
}

static void pipe_rec(tq_t *q, const char *topic, int key, const char *json, int64_t ts)
{
    uint8_t kb[4] = {(uint8_t)((uint32_t)key >> 24), (uint8_t)((uint32_t)key >> 16), (uint8_t)((uint32_t)key >> 8),
                     (uint8_t)key};
    sl_val_t k = sl_val_bytes_ref(kb, 4);
    sl_val_t v = json != NULL ? sl_val_bytes_ref(json, strlen(json)) : sl_val_null();
    sl_err_t rc = sl_driver_pipe(q->d, topic, &k, &v, ts, SL_BYTES, SL_BYTES);
    assert_int_equal(rc, SL_OK);
}

static void json_is(const char *got, size_t n, const char *want)
{
    json_error_t je;
    json_t *a = json_loadb(got, n, 0, &je);
    json_t *b = json_loads(want, 0, &je);
    assert_non_null(b);
    if (a == NULL || !json_equal(a, b))
        fail_msg("got %.*s, want %s", (int)n, got, want);
    json_decref(a);
    json_decref(b);
}

/* The next output on topic: its key bytes (first 4: a KAFKA INT when
 * key >= 0; a KAFKA string when skey), value JSON (NULL: tombstone), ts
 * (-1: any); *win_start gets the 8 bytes after a windowed key. */
static void expect_out(tq_t *q, const char *topic, int key, const char *skey, const char *json, int64_t ts,
                       int64_t *win_start)
{
    sl_out_record_t r;
    sl_err_t rc = sl_driver_read(q->d, topic, SL_BYTES, SL_BYTES, &r);
    if (rc != SL_OK)
        fail_msg("no record on %s (want %s)", topic, json ? json : "null");
    size_t klen = skey != NULL ? strlen(skey) : 4;
    if (key >= 0 || skey != NULL) {
        assert_int_equal(r.key.type, SL_V_BYTES);
        assert_true(r.key.u.bytes.len >= klen);
        if (skey != NULL) {
            assert_memory_equal(r.key.u.bytes.ptr, skey, klen);
        } else {
            const uint8_t *p = r.key.u.bytes.ptr;
            int32_t got = (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
            assert_int_equal(got, key);
        }
        if (win_start != NULL) {
            assert_true(r.key.u.bytes.len >= klen + 8);
            const uint8_t *p = r.key.u.bytes.ptr + klen;
            int64_t s = 0;
            for (int i = 0; i < 8; i++)
                s = s << 8 | p[i];
            *win_start = s;
        }
    }
    if (json == NULL)
        assert_int_equal(r.value.type, SL_V_NULL);
    else
        json_is((const char *)r.value.u.bytes.ptr, r.value.u.bytes.len, json);
    if (ts >= 0)
        assert_int_equal(r.timestamp, ts);
}

static void expect_none(tq_t *q, const char *topic)
{
    assert_int_equal(sl_driver_queue_size(q->d, topic), 0);
}

/* S: ID INT KEY, NAME STRING, AMOUNT INT */
static sl_sql_plan_t *stream_s(const char *topic)
{
    return source(topic, false, schema(cols(1, "ID", SL_SQL_T_INT), 1,
                                       cols(2, "NAME", SL_SQL_T_STRING, "AMOUNT", SL_SQL_T_INT), 2));
}

/* --- stateless ------------------------------------------------------------------ */

static sl_sql_plan_t *filter_project(sl_sql_plan_t *src)
{
    sl_sql_plan_t *f = node(SL_SQL_P_FILTER, src, "WhereFilter");
    f->pred = binary(SL_SQL_OP_GT, col_value(src, 1), int_const(10));
    sl_sql_plan_t *pr = node(SL_SQL_P_PROJECT, f, "Project");
    pr->out.value = cols(2, "NAME", SL_SQL_T_STRING, "DBL", SL_SQL_T_INT);
    pr->out.n_value = 2;
    pr->exprs = sl_arena_calloc(&A, 2, sizeof(*pr->exprs));
    pr->exprs[0] = col_value(f, 0);
    pr->exprs[1] = binary(SL_SQL_OP_MUL, col_value(f, 1), int_const(2));
    pr->n_exprs = 2;
    pr->key_exprs = sl_arena_calloc(&A, 1, sizeof(*pr->key_exprs));
    pr->key_exprs[0] = col_key(f, 0);
    pr->n_key_exprs = 1;
    return pr;
}

static void test_filter_project(void **state)
{
    (void)state;
    tq_t q;
    run(&q, sink(filter_project(stream_s("s")), "out"), "plog");
    pipe_rec(&q, "s", 1, "{\"NAME\":\"a\",\"AMOUNT\":5}", 100);
    pipe_rec(&q, "s", 2, "{\"name\":\"b\",\"amount\":20}", 200);
    pipe_rec(&q, "s", 3, "not json", 300);
    pipe_rec(&q, "s", 4, "{\"NAME\":\"d\",\"AMOUNT\":11}", 400);
    expect_out(&q, "out", 2, NULL, "{\"NAME\":\"b\",\"DBL\":40}", 200, NULL);
    expect_out(&q, "out", 4, NULL, "{\"NAME\":\"d\",\"DBL\":22}", 400, NULL);
    expect_none(&q, "out");
    assert_int_equal(q.errors, 1);
    sl_out_record_t r;
    assert_int_equal(sl_driver_read(q.d, "plog", SL_BYTES, SL_STRING, &r), SL_OK);
    assert_non_null(strstr((const char *)r.value.u.bytes.ptr, "deserializationError"));
    assert_non_null(strstr((const char *)r.value.u.bytes.ptr, "\"topic\":\"s\""));
    done(&q);
}

static void test_transient(void **state)
{
    (void)state;
    tq_t q;
    run(&q, sink(filter_project(stream_s("s")), NULL), NULL);
    pipe_rec(&q, "s", 7, "{\"NAME\":\"x\",\"AMOUNT\":50}", 100);
    pipe_rec(&q, "s", 8, "{\"NAME\":\"y\",\"AMOUNT\":1}", 100);
    pipe_rec(&q, "s", 9, "[", 100); /* counted, no log topic */
    assert_int_equal(q.emitted, 1);
    assert_int_equal(q.last_ws, -1); /* not windowed */
    json_t *want = json_pack("[[i,s,i]]", 7, "x", 100);
    assert_true(json_equal(q.rows, want));
    json_decref(want);
    assert_int_equal(q.errors, 1);
    done(&q);
}

static void test_timestamp_column(void **state)
{
    (void)state;
    sl_sql_plan_t *src = source("t", false, schema(cols(1, "ID", SL_SQL_T_INT), 1,
                                                    cols(2, "TS", SL_SQL_T_BIGINT, "V", SL_SQL_T_INT), 2));
    src->timestamp_col = 0;
    tq_t q;
    run(&q, sink(src, "out"), NULL);
    pipe_rec(&q, "t", 1, "{\"TS\":123456,\"V\":1}", 5);
    pipe_rec(&q, "t", 2, "{\"TS\":null,\"V\":2}", 6); /* no time: logged and dropped */
    expect_out(&q, "out", 1, NULL, "{\"TS\":123456,\"V\":1}", 123456, NULL);
    expect_none(&q, "out");
    assert_int_equal(q.errors, 1);
    done(&q);
}

static void test_sink_into_own_source_refused(void **state)
{
    (void)state;
    sl_sql_lower_env_t env = {0};
    env.arena = &A;
    sl_builder_t *b = sl_builder_new();
    sl_sql_error_t err = {0};
    assert_int_equal(sl_sql_lower(b, sink(stream_s("s"), "s"), &env, &err), SL_ERR_INVAL);
    assert_non_null(strstr(err.message, "also a source"));
    sl_builder_free(b);
    /* no arena: refused */
    env.arena = NULL;
    b = sl_builder_new();
    assert_int_equal(sl_sql_lower(b, sink(stream_s("s"), "o"), &env, &err), SL_ERR_INVAL);
    sl_builder_free(b);
}

/* --- aggregation ------------------------------------------------------------------ */

/* SELECT NAME, COUNT(*), SUM(AMOUNT) FROM in GROUP BY NAME */
static sl_sql_plan_t *count_by_name(sl_sql_plan_t *in, sl_sql_window_kind_t wk, int64_t size, int64_t adv,
                                    int64_t grace)
{
    sl_sql_plan_t *a = node(SL_SQL_P_AGGREGATE, in, "Aggregate");
    a->is_table = true;
    a->out.key = cols(1, "NAME", SL_SQL_T_STRING);
    a->out.n_key = 1;
    a->out.value = cols(3, "NAME", SL_SQL_T_STRING, "CNT", SL_SQL_T_BIGINT, "TOTAL", SL_SQL_T_INT);
    a->out.n_value = 3;
    a->group_exprs = sl_arena_calloc(&A, 1, sizeof(*a->group_exprs));
    a->group_exprs[0] = col_value(in, 0);
    a->n_group = 1;
    a->n_group_values = 1;
    a->aggs = sl_arena_calloc(&A, 2, sizeof(*a->aggs));
    a->aggs[0] = agg("COUNT", NULL);
    a->aggs[1] = agg("SUM", col_value(in, 1));
    a->out.value[2].type = a->aggs[1]->result_type;
    a->out.value[1].type = a->aggs[0]->result_type;
    a->n_aggs = 2;
    a->store = "Aggregate-Materialize";
    a->window.kind = wk;
    a->window.size_ms = size;
    a->window.advance_ms = adv;
    a->window.grace_ms = grace;
    a->window.retention_ms = -1;
    return a;
}

static void test_stream_aggregate(void **state)
{
    (void)state;
    tq_t q;
    run(&q, sink(count_by_name(stream_s("s"), SL_SQL_WIN_NONE, 0, 0, -1), "agg"), NULL);
    pipe_rec(&q, "s", 1, "{\"NAME\":\"a\",\"AMOUNT\":5}", 10);
    pipe_rec(&q, "s", 2, "{\"NAME\":\"b\",\"AMOUNT\":7}", 20);
    pipe_rec(&q, "s", 3, "{\"NAME\":\"a\",\"AMOUNT\":1}", 30);
    pipe_rec(&q, "s", 4, "{\"NAME\":null,\"AMOUNT\":1}", 40); /* no group: dropped */
    expect_out(&q, "agg", -1, "a", "{\"NAME\":\"a\",\"CNT\":1,\"TOTAL\":5}", 10, NULL);
    expect_out(&q, "agg", -1, "b", "{\"NAME\":\"b\",\"CNT\":1,\"TOTAL\":7}", 20, NULL);
    expect_out(&q, "agg", -1, "a", "{\"NAME\":\"a\",\"CNT\":2,\"TOTAL\":6}", 30, NULL);
    expect_none(&q, "agg");
    sl_store_t *st = sl_driver_store(q.d, "Aggregate-Materialize");
    assert_non_null(st);
    assert_int_equal(sl_kv_approx_count(st), 2);
    done(&q);
}

static void test_single_partition_aggregate(void **state)
{
    (void)state;
    tq_t q;
    single_partition = true;
    run(&q, sink(count_by_name(stream_s("s"), SL_SQL_WIN_NONE, 0, 0, -1), "agg"), NULL);
    single_partition = false;
    char *desc = sl_topology_describe(q.topo);
    assert_non_null(desc);
    assert_null(strstr(desc, "repartition"));
    free(desc);
    pipe_rec(&q, "s", 1, "{\"NAME\":\"a\",\"AMOUNT\":5}", 10);
    pipe_rec(&q, "s", 2, "{\"NAME\":\"a\",\"AMOUNT\":1}", 20);
    expect_out(&q, "agg", -1, "a", "{\"NAME\":\"a\",\"CNT\":1,\"TOTAL\":5}", 10, NULL);
    expect_out(&q, "agg", -1, "a", "{\"NAME\":\"a\",\"CNT\":2,\"TOTAL\":6}", 20, NULL);
    expect_none(&q, "agg");
    done(&q);
    /* the same plan for partitioned topics repartitions by the new key */
    run(&q, sink(count_by_name(stream_s("s"), SL_SQL_WIN_NONE, 0, 0, -1), "agg"), NULL);
    desc = sl_topology_describe(q.topo);
    assert_non_null(desc);
    assert_non_null(strstr(desc, "repartition"));
    free(desc);
    done(&q);
}

static void test_table_aggregate(void **state)
{
    (void)state;
    sl_sql_plan_t *t = source("t", true, schema(cols(1, "ID", SL_SQL_T_INT), 1,
                                                 cols(2, "NAME", SL_SQL_T_STRING, "AMOUNT", SL_SQL_T_INT), 2));
    tq_t q;
    run(&q, sink(count_by_name(t, SL_SQL_WIN_NONE, 0, 0, -1), "agg"), NULL);
    pipe_rec(&q, "t", 1, "{\"NAME\":\"a\",\"AMOUNT\":10}", 10);
    pipe_rec(&q, "t", 2, "{\"NAME\":\"a\",\"AMOUNT\":5}", 20);
    expect_out(&q, "agg", -1, "a", "{\"NAME\":\"a\",\"CNT\":1,\"TOTAL\":10}", -1, NULL);
    expect_out(&q, "agg", -1, "a", "{\"NAME\":\"a\",\"CNT\":2,\"TOTAL\":15}", -1, NULL);
    /* row 1 moves from a to b: subtracted from a, added to b */
    pipe_rec(&q, "t", 1, "{\"NAME\":\"b\",\"AMOUNT\":10}", 30);
    expect_out(&q, "agg", -1, "a", "{\"NAME\":\"a\",\"CNT\":1,\"TOTAL\":5}", -1, NULL);
    expect_out(&q, "agg", -1, "b", "{\"NAME\":\"b\",\"CNT\":1,\"TOTAL\":10}", -1, NULL);
    /* a tombstone takes row 2 out of a */
    pipe_rec(&q, "t", 2, NULL, 40);
    expect_out(&q, "agg", -1, "a", "{\"NAME\":\"a\",\"CNT\":0,\"TOTAL\":0}", -1, NULL);
    expect_none(&q, "agg");
    done(&q);
}

static void test_tumbling(void **state)
{
    (void)state;
    tq_t q;
    run(&q, sink(count_by_name(stream_s("s"), SL_SQL_WIN_TUMBLING, 10000, 0, 0), "w"), NULL);
    int64_t ws = -1;
    pipe_rec(&q, "s", 1, "{\"NAME\":\"a\",\"AMOUNT\":1}", 1000);
    expect_out(&q, "w", -1, "a", "{\"NAME\":\"a\",\"CNT\":1,\"TOTAL\":1}", 1000, &ws);
    assert_int_equal(ws, 0);
    pipe_rec(&q, "s", 1, "{\"NAME\":\"a\",\"AMOUNT\":2}", 9999);
    expect_out(&q, "w", -1, "a", "{\"NAME\":\"a\",\"CNT\":2,\"TOTAL\":3}", 9999, &ws);
    assert_int_equal(ws, 0);
    pipe_rec(&q, "s", 1, "{\"NAME\":\"a\",\"AMOUNT\":4}", 10000);
    expect_out(&q, "w", -1, "a", "{\"NAME\":\"a\",\"CNT\":1,\"TOTAL\":4}", 10000, &ws);
    assert_int_equal(ws, 10000);
    /* grace 0: a record for the closed window is dropped */
    pipe_rec(&q, "s", 1, "{\"NAME\":\"a\",\"AMOUNT\":8}", 5000);
    expect_none(&q, "w");
    done(&q);
}

static void test_hopping(void **state)
{
    (void)state;
    tq_t q;
    run(&q, sink(count_by_name(stream_s("s"), SL_SQL_WIN_HOPPING, 10000, 5000, -1), "w"), NULL);
    int64_t ws[2] = {-1, -1};
    pipe_rec(&q, "s", 1, "{\"NAME\":\"a\",\"AMOUNT\":1}", 7000);
    expect_out(&q, "w", -1, "a", "{\"NAME\":\"a\",\"CNT\":1,\"TOTAL\":1}", -1, &ws[0]);
    expect_out(&q, "w", -1, "a", "{\"NAME\":\"a\",\"CNT\":1,\"TOTAL\":1}", -1, &ws[1]);
    assert_true((ws[0] == 0 && ws[1] == 5000) || (ws[0] == 5000 && ws[1] == 0));
    expect_none(&q, "w");
    done(&q);
}

static void test_session(void **state)
{
    (void)state;
    tq_t q;
    run(&q, sink(count_by_name(stream_s("s"), SL_SQL_WIN_SESSION, 5000, 0, -1), "w"), NULL);
    pipe_rec(&q, "s", 1, "{\"NAME\":\"a\",\"AMOUNT\":1}", 1000);
    expect_out(&q, "w", -1, "a", "{\"NAME\":\"a\",\"CNT\":1,\"TOTAL\":1}", 1000, NULL);
    pipe_rec(&q, "s", 1, "{\"NAME\":\"a\",\"AMOUNT\":2}", 3000);
    /* the old session is deleted (stamped with its end), the merged one
     * written */
    expect_out(&q, "w", -1, "a", NULL, 1000, NULL);
    expect_out(&q, "w", -1, "a", "{\"NAME\":\"a\",\"CNT\":2,\"TOTAL\":3}", 3000, NULL);
    /* an out-of-order record inside the session: the session keeps its
     * bounds (updated in place) and its end as the time */
    pipe_rec(&q, "s", 1, "{\"NAME\":\"a\",\"AMOUNT\":10}", 2000);
    expect_out(&q, "w", -1, "a", "{\"NAME\":\"a\",\"CNT\":3,\"TOTAL\":13}", 3000, NULL);
    pipe_rec(&q, "s", 1, "{\"NAME\":\"a\",\"AMOUNT\":4}", 20000);
    expect_out(&q, "w", -1, "a", "{\"NAME\":\"a\",\"CNT\":1,\"TOTAL\":4}", -1, NULL);
    expect_none(&q, "w");
    done(&q);
}

static void test_suppress(void **state)
{
    (void)state;
    sl_sql_plan_t *a = count_by_name(stream_s("s"), SL_SQL_WIN_TUMBLING, 10000, 0, 0);
    sl_sql_plan_t *sup = node(SL_SQL_P_SUPPRESS, a, "Suppress");
    tq_t q;
    run(&q, sink(sup, "w"), NULL);
    pipe_rec(&q, "s", 1, "{\"NAME\":\"a\",\"AMOUNT\":1}", 1000);
    pipe_rec(&q, "s", 1, "{\"NAME\":\"a\",\"AMOUNT\":2}", 2000);
    expect_none(&q, "w");
    pipe_rec(&q, "s", 1, "{\"NAME\":\"b\",\"AMOUNT\":3}", 10500);
    int64_t ws = -1;
    expect_out(&q, "w", -1, "a", "{\"NAME\":\"a\",\"CNT\":2,\"TOTAL\":3}", -1, &ws);
    assert_int_equal(ws, 0);
    expect_none(&q, "w");
    done(&q);
}

/* --- joins ---------------------------------------------------------------------- */

/* L: ID INT KEY, A STRING; R: ID INT KEY, B INT */
static sl_sql_plan_t *join(sl_sql_plan_t *l, sl_sql_plan_t *r, sl_sql_join_type_t jt)
{
    sl_sql_plan_t *j = node(SL_SQL_P_JOIN, l, "Join");
    j->right = r;
    j->join = jt;
    j->is_table = l->is_table && r->is_table;
    j->out.value = cols(2, "A", SL_SQL_T_STRING, "B", SL_SQL_T_INT);
    j->out.n_value = 2;
    j->left_key = col_key(l, 0);
    j->right_key = col_key(r, 0);
    j->within_grace_ms = -1;
    return j;
}

static sl_sql_plan_t *side(const char *topic, bool table, const char *col, sl_sql_tkind_t k)
{
    return source(topic, table, schema(cols(1, "ID", SL_SQL_T_INT), 1, cols(1, col, k), 1));
}

static void test_join_stream_table(void **state)
{
    (void)state;
    tq_t q;
    run(&q, sink(join(side("l", false, "A", SL_SQL_T_STRING), side("r", true, "B", SL_SQL_T_INT), SL_SQL_JOIN_LEFT),
                 "j"),
        NULL);
    pipe_rec(&q, "l", 1, "{\"A\":\"x\"}", 10);
    expect_out(&q, "j", 1, NULL, "{\"A\":\"x\",\"B\":null}", 10, NULL);
    pipe_rec(&q, "r", 1, "{\"B\":5}", 20);
    expect_none(&q, "j");
    pipe_rec(&q, "l", 1, "{\"A\":\"y\"}", 30);
    expect_out(&q, "j", 1, NULL, "{\"A\":\"y\",\"B\":5}", 30, NULL);
    pipe_rec(&q, "r", 1, NULL, 40);
    pipe_rec(&q, "l", 1, "{\"A\":\"z\"}", 50);
    expect_out(&q, "j", 1, NULL, "{\"A\":\"z\",\"B\":null}", 50, NULL);
    done(&q);
}

static void test_join_stream_stream(void **state)
{
    (void)state;
    sl_sql_plan_t *j = join(side("l", false, "A", SL_SQL_T_STRING), side("r", false, "B", SL_SQL_T_INT),
                            SL_SQL_JOIN_INNER);
    j->within_before_ms = 1000;
    j->within_after_ms = 2000;
    j->within_grace_ms = 0;
    tq_t q;
    run(&q, sink(j, "j"), NULL);
    pipe_rec(&q, "l", 1, "{\"A\":\"x\"}", 10000);
    pipe_rec(&q, "r", 1, "{\"B\":1}", 11500); /* within 2 s after */
    expect_out(&q, "j", 1, NULL, "{\"A\":\"x\",\"B\":1}", 11500, NULL);
    pipe_rec(&q, "r", 1, "{\"B\":2}", 8500); /* 1.5 s before: outside */
    pipe_rec(&q, "r", 2, "{\"B\":3}", 10000); /* another key */
    expect_none(&q, "j");
    done(&q);
}

static void test_join_table_table(void **state)
{
    (void)state;
    tq_t q;
    sl_sql_plan_t *j = join(side("l", true, "A", SL_SQL_T_STRING), side("r", true, "B", SL_SQL_T_INT),
                            SL_SQL_JOIN_FULL);
    j->store = "Join-Materialize";
    run(&q, sink(j, "j"), NULL);
    pipe_rec(&q, "l", 1, "{\"A\":\"x\"}", 10);
    expect_out(&q, "j", 1, NULL, "{\"A\":\"x\",\"B\":null}", -1, NULL);
    pipe_rec(&q, "r", 1, "{\"B\":5}", 20);
    expect_out(&q, "j", 1, NULL, "{\"A\":\"x\",\"B\":5}", -1, NULL);
    pipe_rec(&q, "r", 2, "{\"B\":6}", 30);
    expect_out(&q, "j", 2, NULL, "{\"A\":null,\"B\":6}", -1, NULL);
    pipe_rec(&q, "l", 1, NULL, 40);
    expect_out(&q, "j", 1, NULL, "{\"A\":null,\"B\":5}", -1, NULL);
    /* the joined rows are materialized where the plan says */
    sl_store_t *st = sl_driver_store(q.d, "Join-Materialize");
    assert_non_null(st);
    assert_int_equal(sl_kv_approx_count(st), 2);
    pipe_rec(&q, "r", 1, NULL, 50);
    expect_out(&q, "j", 1, NULL, NULL, -1, NULL);
    assert_int_equal(sl_kv_approx_count(st), 1);
    done(&q);
}

static void test_join_legacy_left(void **state)
{
    (void)state;
    /* no GRACE PERIOD: ksqlDB's legacy join emits an unmatched left row at once */
    sl_sql_plan_t *j = join(side("l", false, "A", SL_SQL_T_STRING), side("r", false, "B", SL_SQL_T_INT),
                            SL_SQL_JOIN_LEFT);
    j->within_before_ms = 1000;
    j->within_after_ms = 1000;
    tq_t q;
    run(&q, sink(j, "j"), NULL);
    pipe_rec(&q, "l", 1, "{\"A\":\"x\"}", 10000);
    expect_out(&q, "j", 1, NULL, "{\"A\":\"x\",\"B\":null}", 10000, NULL);
    pipe_rec(&q, "r", 1, "{\"B\":7}", 10500);
    expect_out(&q, "j", 1, NULL, "{\"A\":\"x\",\"B\":7}", 10500, NULL);
    pipe_rec(&q, "r", 2, "{\"B\":8}", 10500); /* right only: nothing in a LEFT join */
    expect_none(&q, "j");
    done(&q);
}

static void test_windowed_source(void **state)
{
    (void)state;
    /* a table of a tumbling-windowed topic: key bytes, then the start */
    sl_sql_plan_t *src = stream_s("w");
    src->window.kind = SL_SQL_WIN_TUMBLING;
    src->window.size_ms = 1000;
    tq_t q;
    run(&q, sink(src, NULL), NULL);
    uint8_t kb[12] = {0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0x07, 0xd0}; /* key 5, start 2000 */
    sl_val_t k = sl_val_bytes_ref(kb, sizeof(kb));
    sl_val_t v = sl_val_bytes_ref("{\"NAME\":\"n\",\"AMOUNT\":1}", 24);
    assert_int_equal(sl_driver_pipe(q.d, "w", &k, &v, 2500, SL_BYTES, SL_BYTES), SL_OK);
    assert_int_equal(q.emitted, 1);
    assert_int_equal(q.last_ws, 2000);
    assert_int_equal(q.last_we, 3000);
    /* too short to hold a window: counted, skipped */
    k = sl_val_bytes_ref(kb, 6);
    assert_int_equal(sl_driver_pipe(q.d, "w", &k, &v, 2600, SL_BYTES, SL_BYTES), SL_OK);
    assert_int_equal(q.emitted, 1);
    assert_int_equal(q.errors, 1);
    json_t *want = json_pack("[[i,s,i]]", 5, "n", 1);
    assert_true(json_equal(q.rows, want));
    json_decref(want);
    done(&q);
}

/* --- the local runtime ----------------------------------------------------------- */

typedef struct rq {
    sl_topology_t *topo;
    sl_sql_rt_query_t *q;
} rq_t;

static void rt_start(sl_sql_rt_t *rt, rq_t *r, const sl_sql_plan_t *root, const char *id, const char *props)
{
    sl_sql_lower_env_t env = {0};
    static int64_t errors;
    env.processing_errors = &errors;
    env.arena = &A;
    sl_builder_t *b = sl_builder_new();
    sl_sql_error_t err = {0};
    if (sl_sql_lower(b, root, &env, &err) != SL_OK)
        fail_msg("lower: %s", err.message);
    char eb[512] = "";
    if (sl_topology_build(b, &r->topo, eb, sizeof(eb)) != SL_OK)
        fail_msg("build: %s", eb);
    sl_builder_free(b);
    if (rt->ops->query_start(rt, r->topo, id, props, &r->q, eb, sizeof(eb)) != SL_OK)
        fail_msg("start: %s", eb);
}

static void rt_stop(sl_sql_rt_t *rt, rq_t *r)
{
    rt->ops->query_stop(rt, r->q, true);
    sl_topology_free(r->topo);
}

static void rt_put(sl_sql_rt_t *rt, const char *topic, int key, const char *json, int64_t ts)
{
    uint8_t kb[4] = {0, 0, 0, (uint8_t)key};
    assert_int_equal(rt->ops->produce(rt, topic, -1, kb, 4, (const uint8_t *)json, strlen(json), ts), SL_OK);
}

typedef struct got {
    int n;
    char last[256];
    int64_t last_offset;
} got_t;

static bool count_rec(const sl_sql_rt_record_t *rec, void *arg)
{
    got_t *g = arg;
    g->n++;
    g->last_offset = rec->offset;
    snprintf(g->last, sizeof(g->last), "%.*s", (int)rec->value_len, (const char *)rec->value);
    return true;
}

static int records(sl_sql_rt_t *rt, const char *topic, got_t *g)
{
    memset(g, 0, sizeof(*g));
    sl_err_t rc = rt->ops->read(rt, topic, true, -1, 0, count_rec, g);
    return rc == SL_OK ? g->n : -1;
}

static bool list_count(const sl_sql_topic_info_t *info, void *arg)
{
    (void)info;
    (*(int *)arg)++;
    return true;
}

static void test_rt_local(void **state)
{
    (void)state;
    sl_sql_rt_t *rt = NULL;
    char eb[256] = "";
    assert_int_equal(sl_sql_rt_local_new(NULL, 0, &rt, eb, sizeof(eb)), SL_OK);
    assert_int_equal(rt->ops->topic_create(rt, "s", 3, 1, NULL), SL_OK);
    assert_int_equal(rt->ops->topic_create(rt, "s", 3, 1, NULL), SL_ERR_EXISTS);
    sl_sql_topic_info_t info;
    assert_int_equal(rt->ops->topic_info(rt, "s", &info), SL_OK);
    assert_int_equal(info.partitions, 3);
    assert_int_equal(rt->ops->topic_info(rt, "nope", &info), SL_ERR_NOENT);

    /* a record before any query: only a query from the earliest sees it */
    rt_put(rt, "s", 1, "{\"NAME\":\"early\",\"AMOUNT\":100}", 1);
    rq_t q1, q2;
    rt_start(rt, &q1, sink(filter_project(stream_s("s")), "out"), "q1", "auto.offset.reset=earliest\n");
    got_t g;
    assert_int_equal(records(rt, "out", &g), 1);
    assert_non_null(strstr(g.last, "early"));
    /* a second query reads the first one's output (latest: nothing old) */
    sl_sql_plan_t *src2 = source("out", false, schema(cols(1, "ID", SL_SQL_T_INT), 1,
                                                       cols(2, "NAME", SL_SQL_T_STRING, "DBL", SL_SQL_T_INT), 2));
    rt_start(rt, &q2, sink(src2, "out2"), "q2", "auto.offset.reset=latest");
    assert_int_equal(records(rt, "out2", &g), -1); /* no such topic yet */
    rt_put(rt, "s", 2, "{\"NAME\":\"b\",\"AMOUNT\":20}", 2);
    rt_put(rt, "s", 3, "{\"NAME\":\"c\",\"AMOUNT\":2}", 3);
    assert_int_equal(records(rt, "s", &g), 3);
    assert_int_equal(records(rt, "out", &g), 2);
    assert_int_equal(records(rt, "out2", &g), 1);
    assert_non_null(strstr(g.last, "\"DBL\":40"));
    assert_string_equal(rt->ops->query_state(rt, q1.q), "RUNNING");
    int n = 0;
    assert_int_equal(rt->ops->topic_list(rt, list_count, &n), SL_OK);
    assert_int_equal(n, 3);
    assert_int_equal(rt->ops->advance(rt, 1000), SL_OK);
    rt_stop(rt, &q2);
    rt_stop(rt, &q1);

    /* two queries feeding each other stop 32 levels deep */
    rq_t la, lb;
    rt_start(rt, &la, sink(stream_s("la"), "lb"), "la", NULL);
    rt_start(rt, &lb, sink(stream_s("lb"), "la"), "lb", NULL);
    rt_put(rt, "la", 1, "{\"NAME\":\"x\",\"AMOUNT\":1}", 5);
    assert_int_equal(records(rt, "la", &g), 17);
    assert_int_equal(records(rt, "lb", &g), 16);
    rt_stop(rt, &lb);
    rt_stop(rt, &la);
    assert_int_equal(rt->ops->topic_delete(rt, "la"), SL_OK);
    assert_int_equal(rt->ops->topic_delete(rt, "la"), SL_ERR_NOENT);
    rt->ops->free(rt);
}

static void test_rt_pull(void **state)
{
    (void)state;
    sl_sql_rt_t *rt = NULL;
    char eb[256] = "";
    assert_int_equal(sl_sql_rt_local_new(NULL, 0, &rt, eb, sizeof(eb)), SL_OK);
    rq_t q;
    rt_start(rt, &q, sink(count_by_name(stream_s("s"), SL_SQL_WIN_NONE, 0, 0, -1), "agg"), "pullq", NULL);
    rt_put(rt, "s", 1, "{\"NAME\":\"a\",\"AMOUNT\":5}", 1);
    rt_put(rt, "s", 2, "{\"NAME\":\"b\",\"AMOUNT\":6}", 2);
    rt_put(rt, "s", 3, "{\"NAME\":\"a\",\"AMOUNT\":7}", 3);
    sl_sql_row_t key = {1, (sl_sql_datum_t[]){sl_sql_string("a", 1)}};
    sl_val_t k = sl_val_ptr(&key), v;
    assert_int_equal(rt->ops->kv_get(rt, q.q, "Aggregate-Materialize", &k, &A, &v), SL_OK);
    assert_int_equal(v.type, SL_V_PTR);
    const sl_sql_row_t *row = v.u.ptr;
    assert_true(row->n >= 3);
    assert_int_equal(row->cols[1].u.i64, 2);
    assert_int_equal(row->cols[2].u.i32, 12);
    assert_int_equal(rt->ops->kv_get(rt, q.q, "nope", &k, &A, &v), SL_ERR_NOENT);
    rt_stop(rt, &q);
    rt->ops->free(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_filter_project, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transient, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timestamp_column, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sink_into_own_source_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_aggregate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_partition_aggregate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_aggregate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tumbling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hopping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suppress, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join_stream_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join_stream_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join_table_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join_legacy_left, setup, teardown),
        cmocka_unit_test_setup_teardown(test_windowed_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rt_local, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rt_pull, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
