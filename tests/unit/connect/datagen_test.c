/*
 * datagen_test.c - DatagenSource loaded from its .so and driven through its
 * vtables (no worker, no broker): the same seed gives the same records and
 * another seed others; tasks split the records by index; a task resumes
 * after a stored offset; iterations ends a task; the rate limit holds (the
 * records counted against the time that passed, never a duration
 * asserted); the schemas are Confluent's quickstart shapes and Nexmark's;
 * bad configs and a bad stored offset are refused with a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "connect_int.h"

static char dir[] = "/tmp/sl-connect-datagen-XXXXXX";
static char off_file[128];
static sl_connect_plugins_t *plugins;
static const sl_connect_plugin_t *dg;

/* A record as text: topic, key, value (structs as {name=value,...}) and
 * source offset, for comparing runs. */
static void render(const sl_cvalue_t *v, char *out, size_t cap)
{
    size_t n = strlen(out);
    if (!v) {
        snprintf(out + n, cap - n, "null");
        return;
    }
    switch (v->type) {
    case SL_CT_STRING:
        snprintf(out + n, cap - n, "'%s'", v->u.bytes.ptr);
        break;
    case SL_CT_INT32:
    case SL_CT_INT64:
        snprintf(out + n, cap - n, "%lld", (long long)v->u.i);
        break;
    case SL_CT_FLOAT64:
        snprintf(out + n, cap - n, "%.17g", v->u.f);
        break;
    case SL_CT_STRUCT:
        snprintf(out + n, cap - n, "{");
        for (size_t i = 0; i < v->u.map.count; i++) {
            n = strlen(out);
            snprintf(out + n, cap - n, "%s%s=", i ? "," : "", v->u.map.pairs[i].key->u.bytes.ptr);
            render(v->u.map.pairs[i].value, out, cap);
        }
        n = strlen(out);
        snprintf(out + n, cap - n, "}");
        break;
    default:
        fail_msg("unexpected value type %d", v->type);
    }
}

static void record_text(const sl_connect_record_t *r, char *out, size_t cap)
{
    snprintf(out, cap, "%s|", r->topic);
    render(r->key, out, cap);
    size_t n = strlen(out);
    snprintf(out + n, cap - n, "|");
    render(r->value, out, cap);
    n = strlen(out);
    snprintf(out + n, cap - n, "|%s", r->source_offset);
}

typedef struct run {
    sl_connect_ctx_t *ctx;
    void *task;
    sl_connect_batch_t b;
} run_t;

static sl_connect_ctx_t *ctx_for(const char *config, sl_connect_offset_store_t *os)
{
    sl_props_t *raw = NULL, *resolved = NULL;
    assert_int_equal(sl_props_parse(config, strlen(config), "t", &raw, NULL, 0), SL_OK);
    char err[256];
    assert_int_equal(sl_connect_config_validate(dg->config_defs, dg->config_def_count, raw,
                                                &resolved, err, sizeof(err)), SL_OK);
    sl_props_free(raw);
    sl_connect_ctx_t *ctx = sl_connect_ctx_new("dg-0", "dg", resolved, os);
    assert_non_null(ctx);
    return ctx;
}

static void run_start(run_t *r, const char *config, sl_connect_offset_store_t *os)
{
    memset(r, 0, sizeof(*r));
    r->ctx = ctx_for(config, os);
    r->b.mem = sl_connect_mem_new();
    assert_non_null(r->b.mem);
    assert_int_equal(dg->source->start(r->ctx, &r->task), SL_OK);
}

/* One poll of up to max records, no waiting; returns how many came. */
static size_t run_poll(run_t *r, size_t max)
{
    sl_connect_mem_reset(r->b.mem);
    r->b.count = 0;
    assert_int_equal(dg->source->poll(r->task, &r->b, max, 0), SL_OK);
    return r->b.count;
}

static void run_stop(run_t *r)
{
    dg->source->stop(r->task);
    sl_connect_ctx_free(r->ctx);
    sl_connect_mem_free(r->b.mem);
    free(r->b.recs);
}

/* The first n records of config as text, one per line, into out. */
static void first_records(const char *config, sl_connect_offset_store_t *os, size_t n, char *out,
                          size_t cap)
{
    run_t r;
    run_start(&r, config, os);
    assert_int_equal(run_poll(&r, n), n);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char line[2048];
        record_text(&r.b.recs[i], line, sizeof(line));
        size_t len = strlen(out);
        snprintf(out + len, cap - len, "%s\n", line);
    }
    run_stop(&r);
}

/* Where line i (0-based) of text starts. */
static const char *line_at(const char *text, size_t i)
{
    while (i-- && text)
        text = strchr(text, '\n') ? strchr(text, '\n') + 1 : NULL;
    assert_non_null(text);
    return text;
}

/* Line i (0-based) of text, copied into line. */
static void nth_line(const char *text, size_t i, char *line, size_t cap)
{
    text = line_at(text, i);
    size_t len = (size_t)(strchr(text, '\n') - text);
    assert_true(len < cap);
    memcpy(line, text, len);
    line[len] = '\0';
}

/* The text of a record line without its source offset. */
static void strip_offset(char *line)
{
    char *bar = strrchr(line, '|');
    assert_non_null(bar);
    *bar = '\0';
}

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(off_file, sizeof(off_file), "%s/offsets.json", dir);
    if (sl_connect_plugins_load(SL_TEST_PLUGIN_DIR, &plugins, NULL, 0) != SL_OK)
        return -1;
    dg = sl_connect_plugins_find(plugins, "DatagenSource");
    return dg && dg->kind == SL_CONNECT_SOURCE && dg->exactly_once ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sl_connect_plugins_free(plugins);
    unlink(off_file);
    rmdir(dir);
    return 0;
}

#define ORDERS "quickstart=orders\nkafka.topic=orders\nmax.interval=0\nrandom.seed=7\n"

static void same_seed_same_records_and_tasks_split_by_index(void **state)
{
    (void)state;
    static char a[40000], b[40000], c[40000], t0[20000], t1[20000];
    first_records(ORDERS, NULL, 20, a, sizeof(a));
    first_records(ORDERS, NULL, 20, b, sizeof(b));
    assert_string_equal(a, b);
    first_records("quickstart=orders\nkafka.topic=orders\nmax.interval=0\nrandom.seed=8\n", NULL,
                  20, c, sizeof(c));
    assert_string_not_equal(a, c);

    /* The shape: Confluent's orders, keyed by orderid. */
    char line[2048];
    nth_line(a, 3, line, sizeof(line));
    assert_non_null(strstr(line, "orders|'3'|{ordertime="));
    assert_non_null(strstr(line, ",orderid=3,itemid='Item_"));
    assert_non_null(strstr(line, ",address={city='City_"));
    assert_non_null(strstr(line, "|{\"current.iteration\":4}"));

    /* schema.keyfield: another field's text is the key (Confluent's). */
    run_t kr;
    run_start(&kr, "quickstart=pageviews\nkafka.topic=pv\nmax.interval=0\nschema.keyfield=pageid\n",
              NULL);
    assert_int_equal(run_poll(&kr, 3), 3);
    for (size_t i = 0; i < 3; i++) {
        const sl_cvalue_t *page = sl_connect_struct_get(kr.b.recs[i].value, "pageid");
        assert_string_equal(kr.b.recs[i].key->u.bytes.ptr, page->u.bytes.ptr);
    }
    run_stop(&kr);
    run_start(&kr, ORDERS "schema.keyfield=orderunits\n", NULL);
    assert_int_equal(run_poll(&kr, 1), 1);
    char units[48];
    snprintf(units, sizeof(units), "%.17g",
             sl_connect_struct_get(kr.b.recs[0].value, "orderunits")->u.f);
    assert_string_equal(kr.b.recs[0].key->u.bytes.ptr, units);
    run_stop(&kr);

    /* The connector splits into tasks.max tasks; task t of 2 makes records
     * t, t+2, ... of the single task's sequence. */
    sl_connect_ctx_t *cctx = ctx_for(ORDERS, NULL);
    void *cstate = NULL;
    assert_int_equal(dg->connector_start(cctx, &cstate), SL_OK);
    sl_connect_taskcfgs_t tc = {calloc(2, sizeof(sl_props_t *)), 0, 2};
    assert_int_equal(dg->task_configs(cstate, cctx, 2, &tc), 2);
    assert_string_equal(sl_props_get(tc.cfgs[1], "datagen.task.id"), "1");
    assert_string_equal(sl_props_get(tc.cfgs[1], "datagen.task.count"), "2");
    for (int i = 0; i < tc.count; i++)
        sl_props_free(tc.cfgs[i]);
    free(tc.cfgs);
    sl_connect_ctx_free(cctx);
    first_records(ORDERS "datagen.task.id=0\ndatagen.task.count=2\n", NULL, 10, t0, sizeof(t0));
    first_records(ORDERS "datagen.task.id=1\ndatagen.task.count=2\n", NULL, 10, t1, sizeof(t1));
    for (size_t k = 0; k < 10; k++) {
        char want[2048], got[2048];
        nth_line(a, 2 * k, want, sizeof(want));
        nth_line(t0, k, got, sizeof(got));
        strip_offset(want);
        strip_offset(got);
        assert_string_equal(got, want);
        nth_line(a, 2 * k + 1, want, sizeof(want));
        nth_line(t1, k, got, sizeof(got));
        strip_offset(want);
        strip_offset(got);
        assert_string_equal(got, want);
    }
    /* Each task has its own source partition. */
    run_t r;
    run_start(&r, ORDERS "datagen.task.id=1\ndatagen.task.count=2\n", NULL);
    assert_int_equal(run_poll(&r, 1), 1);
    assert_string_equal(r.b.recs[0].source_partition, "{\"task.id\":1,\"tasks\":2}");
    run_stop(&r);
}

static void a_task_resumes_after_its_stored_offset_and_stops_after_iterations(void **state)
{
    (void)state;
    static char a[40000], b[20000];
    first_records(ORDERS, NULL, 10, a, sizeof(a));
    sl_connect_offset_store_t *os = NULL;
    assert_int_equal(sl_connect_offset_store_file(off_file, &os, NULL, 0), SL_OK);
    assert_int_equal(os->ops->set(os, "dg", "{\"task.id\":0,\"tasks\":1}",
                                  "{\"current.iteration\":5}"), SL_OK);
    first_records(ORDERS, os, 5, b, sizeof(b));
    assert_string_equal(b, line_at(a, 5));

    /* iterations counts the task's records, the resumed ones included. */
    run_t r;
    run_start(&r, ORDERS "iterations=7\n", os);
    assert_int_equal(run_poll(&r, 100), 2);
    assert_string_equal(r.b.recs[1].source_offset, "{\"current.iteration\":7}");
    assert_int_equal(run_poll(&r, 100), 0);
    run_stop(&r);

    /* A stored offset of another shape stops the start. */
    assert_int_equal(os->ops->set(os, "dg", "{\"task.id\":0,\"tasks\":1}", "{\"position\":5}"),
                     SL_OK);
    sl_connect_ctx_t *ctx = ctx_for(ORDERS, os);
    void *task = NULL;
    assert_int_equal(dg->source->start(ctx, &task), SL_CONNECT_EPARSE);
    assert_non_null(strstr(ctx->err, "is not {\"current.iteration\":N}"));
    sl_connect_ctx_free(ctx);
    os->ops->free(os);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void the_rate_limit_and_max_interval_bound_the_records(void **state)
{
    (void)state;
    /* Unlimited: a poll gives all it may. */
    run_t r;
    run_start(&r, "quickstart=users\nkafka.topic=u\nmax.interval=0\n", NULL);
    assert_int_equal(run_poll(&r, 500), 500);
    run_stop(&r);

    /* 20 a second, split over 2 tasks: task 0 may make 1 at once, then
     * one each 100 ms. Its count is checked against the time that passed
     * (however slow the machine), never the other way round. */
    double t0 = mono_s();
    run_start(&r, "quickstart=users\nkafka.topic=u\nmax.interval=0\nrecords.per.second=20\n"
              "datagen.task.id=0\ndatagen.task.count=2\n", NULL);
    size_t got = 0;
    for (int i = 0; i < 5; i++)
        got += run_poll(&r, 500);
    double elapsed = mono_s() - t0;
    assert_true(got >= 1);
    assert_true((double)got <= 1.0 + elapsed * 10.0 + 1.0);
    run_stop(&r);

    /* 1 a second over 2 tasks: task 1 makes one every 2 s, not unlimited. */
    t0 = mono_s();
    run_start(&r, "quickstart=users\nkafka.topic=u\nmax.interval=0\nrecords.per.second=1\n"
              "datagen.task.id=1\ndatagen.task.count=2\n", NULL);
    got = run_poll(&r, 500) + run_poll(&r, 500);
    elapsed = mono_s() - t0;
    assert_true(got >= 1);
    assert_true((double)got <= 1.0 + elapsed * 0.5 + 1.0);
    run_stop(&r);

    /* max.interval: after the first record the task waits up to an hour
     * (this seed's first wait is well over a second). */
    run_start(&r, "quickstart=users\nkafka.topic=u\nmax.interval=3600000\nrandom.seed=3\n", NULL);
    t0 = mono_s();
    assert_int_equal(run_poll(&r, 10), 1);
    got = run_poll(&r, 10) + run_poll(&r, 10);
    if (mono_s() - t0 < 1.0)
        assert_int_equal(got, 0);
    run_stop(&r);
}

static void nexmark_writes_three_topics_in_its_proportions(void **state)
{
    (void)state;
    run_t r;
    run_start(&r, "quickstart=nexmark\nkafka.topic=nx.\nmax.interval=0\nrandom.seed=1\n", NULL);
    assert_int_equal(run_poll(&r, 100), 100);
    int person = 0, auction = 0, bid = 0;
    for (size_t i = 0; i < 100; i++) {
        const sl_connect_record_t *rec = &r.b.recs[i];
        assert_int_equal(rec->value_schema->type, SL_CT_STRUCT);
        if (!strcmp(rec->topic, "nx.person")) {
            person++;
            assert_string_equal(rec->value_schema->name, "nexmark.person");
            assert_int_equal(rec->value_schema->field_count, 8);
            assert_int_equal(rec->key->type, SL_CT_STRING);
        } else if (!strcmp(rec->topic, "nx.auction")) {
            auction++;
            assert_string_equal(rec->value_schema->fields[9].name, "extra");
        } else {
            assert_string_equal(rec->topic, "nx.bid");
            assert_null(rec->key);
            assert_true(sl_connect_struct_get(rec->value, "price")->u.i > 0);
            bid++;
        }
    }
    assert_int_equal(person, 2);
    assert_int_equal(auction, 6);
    assert_int_equal(bid, 92);
    char line[2048];
    line[0] = '\0';
    render(r.b.recs[0].key, line, sizeof(line));
    assert_string_equal(line, "'1000'");
    line[0] = '\0';
    render(r.b.recs[50].value, line, sizeof(line));
    assert_non_null(strstr(line, "{id=1001,name='"));

    /* nexmark.bid's k-th record is the k-th bid of nexmark (same seed),
     * on topic bid when kafka.topic is unset. */
    char all[2048] = "", one[2048] = "";
    render(r.b.recs[50 + 4 + 3].value, all, sizeof(all));    /* bid 49: event 57 */
    run_stop(&r);
    run_start(&r, "quickstart=nexmark.bid\nmax.interval=0\nrandom.seed=1\n", NULL);
    assert_int_equal(run_poll(&r, 50), 50);
    assert_string_equal(r.b.recs[49].topic, "bid");
    render(r.b.recs[49].value, one, sizeof(one));
    assert_string_equal(one, all);
    run_stop(&r);
}

/* connector_start's answer for config (validated first: must pass). */
static int conn_start_rc(const char *config, char *err, size_t cap)
{
    sl_connect_ctx_t *ctx = ctx_for(config, NULL);
    void *st = NULL;
    int rc = dg->connector_start(ctx, &st);
    snprintf(err, cap, "%s", ctx->err);
    sl_connect_ctx_free(ctx);
    return rc;
}

static void bad_configs_are_refused_with_a_reason(void **state)
{
    (void)state;
    char err[512];
    sl_props_t *raw = NULL;
    /* The definitions: quickstart is required, numbers must be numbers. */
    const char *untyped[] = {"kafka.topic=t\n", "quickstart=users\nkafka.topic=t\nmax.interval=x\n",
                             "quickstart=users\nkafka.topic=t\nrecords.per.second=1.5\n"};
    for (size_t i = 0; i < sizeof(untyped) / sizeof(untyped[0]); i++) {
        assert_int_equal(sl_props_parse(untyped[i], strlen(untyped[i]), "t", &raw, NULL, 0), SL_OK);
        assert_int_equal(sl_connect_config_validate(dg->config_defs, dg->config_def_count, raw,
                                                    NULL, err, sizeof(err)), SL_ERR_CONFIG);
        sl_props_free(raw);
    }
    /* The connector's own checks, also made by every task's start. */
    assert_int_equal(conn_start_rc("quickstart=clickstream\nkafka.topic=t\n", err, sizeof(err)),
                     SL_CONNECT_ECONFIG);
    assert_non_null(strstr(err, "Invalid value clickstream for configuration quickstart"));
    assert_int_equal(conn_start_rc("quickstart=users\n", err, sizeof(err)), SL_CONNECT_ECONFIG);
    assert_non_null(strstr(err, "\"kafka.topic\""));
    assert_int_equal(conn_start_rc("quickstart=users\nkafka.topic=t\nmax.interval=-1\n", err,
                                   sizeof(err)), SL_CONNECT_ECONFIG);
    assert_non_null(strstr(err, "max.interval"));
    assert_int_equal(conn_start_rc("quickstart=users\nkafka.topic=t\nrecords.per.second=-5\n", err,
                                   sizeof(err)), SL_CONNECT_ECONFIG);
    assert_non_null(strstr(err, "records.per.second"));
    char long_topic[300] = "quickstart=users\nkafka.topic=";
    memset(long_topic + strlen(long_topic), 't', 220);
    strcat(long_topic, "\n");
    assert_int_equal(conn_start_rc(long_topic, err, sizeof(err)), SL_CONNECT_ECONFIG);
    assert_non_null(strstr(err, "longer than 200 bytes"));
    assert_int_equal(conn_start_rc("quickstart=orders\nkafka.topic=t\nschema.keyfield=address\n",
                                   err, sizeof(err)), SL_CONNECT_ECONFIG);
    assert_non_null(strstr(err, "not a primitive field of orders (ordertime, orderid, itemid, "
                                "orderunits)"));
    assert_int_equal(conn_start_rc("quickstart=nexmark\nschema.keyfield=id\n", err, sizeof(err)),
                     SL_CONNECT_ECONFIG);
    assert_non_null(strstr(err, "three shapes"));
    assert_int_equal(conn_start_rc("quickstart=nexmark.person\n", err, sizeof(err)), SL_OK);
    sl_connect_ctx_t *ctx = ctx_for("quickstart=users\nkafka.topic=t\ndatagen.task.id=2\n"
                                    "datagen.task.count=2\n", NULL);
    void *task = NULL;
    assert_int_equal(dg->source->start(ctx, &task), SL_CONNECT_ECONFIG);
    assert_non_null(strstr(ctx->err, "datagen.task.id"));
    sl_connect_ctx_free(ctx);
}

int main(void)
{
    sl_log_set_level(SL_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_records_and_tasks_split_by_index),
        cmocka_unit_test(a_task_resumes_after_its_stored_offset_and_stops_after_iterations),
        cmocka_unit_test(the_rate_limit_and_max_interval_bound_the_records),
        cmocka_unit_test(nexmark_writes_three_topics_in_its_proportions),
        cmocka_unit_test(bad_configs_are_refused_with_a_reason),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
