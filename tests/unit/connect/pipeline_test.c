/*
 * pipeline_test.c - a task's record pipeline: source records become
 * producer records (key and value serialised, headers as raw bytes),
 * consumed messages become sink records, converter failures name their
 * stage and record, the converter settings resolve as Kafka's (the
 * connector's, else the worker's, else json), errors.tolerance=all skips
 * and counts what fails, and bad errors.* settings are refused. (The dead
 * letter queue itself needs a broker: tests/integration/connect_pipeline.py.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "connect_int.h"

static const sl_connect_host_t *H;

static sl_props_t *props(const char *text)
{
    sl_props_t *p = NULL;
    assert_int_equal(sl_props_parse(text, strlen(text), "t", &p, NULL, 0), SL_OK);
    return p;
}

static sl_connect_pipeline_t *pipe_new(const char *worker, const char *config,
                                       sl_connect_kind_t kind)
{
    sl_props_t *w = props(worker), *c = props(config);
    sl_connect_pipeline_t *p = NULL;
    char err[512] = "";
    sl_err_t rc = sl_connect_pipeline_new(w, c, kind, "conn", 0, NULL, &p, err, sizeof(err));
    if (rc)
        fail_msg("pipeline_new: %s", err);
    sl_props_free(w);
    sl_props_free(c);
    return p;
}

static void source_record_is_serialised_with_headers(void **state)
{
    (void)state;
    sl_connect_pipeline_t *p = pipe_new("key.converter=string\nvalue.converter=json\n"
                                        "value.converter.schemas.enable=false\n", "",
                                        SL_CONNECT_SOURCE);
    sl_connect_mem_t *mem = sl_connect_mem_new();
    sl_cvalue_t *v = H->val_new(mem, SL_CT_MAP);
    H->val_put(mem, v, H->val_string(mem, "a", 1), H->val_int(mem, SL_CT_INT64, 7));
    sl_connect_header_t hs[2] = {{"h1", "x", 1}, {"h2", NULL, 0}};
    sl_connect_record_t rec = {.topic = "t", .partition = -1, .key = H->val_string(mem, "k", 1),
                               .value = v, .timestamp = 42, .headers = hs, .header_count = 2,
                               .source_partition = "{}", .source_offset = "{}"};
    sl_produce_rec_t out;
    bool skip = true;
    char err[256];
    assert_int_equal(sl_connect_pipeline_source(p, &rec, mem, &out, &skip, err, sizeof(err)),
                     SL_OK);
    assert_false(skip);
    assert_string_equal(out.topic, "t");
    assert_int_equal(out.partition, SL_PARTITION_ANY);
    assert_int_equal(out.timestamp, 42);
    assert_int_equal(out.key_len, 1);
    assert_memory_equal(out.key, "k", 1);
    assert_int_equal(out.value_len, 7);
    assert_memory_equal(out.value, "{\"a\":7}", 7);
    assert_int_equal(out.header_count, 2);
    assert_string_equal(out.headers[0].key, "h1");
    assert_int_equal(out.headers[0].value_len, 1);
    assert_null(out.headers[1].value);
    assert_int_equal(out.headers[1].value_len, -1);
    /* A null key and value stay nulls. */
    rec.key = NULL;
    rec.value = NULL;
    rec.header_count = 0;
    assert_int_equal(sl_connect_pipeline_source(p, &rec, mem, &out, &skip, err, sizeof(err)),
                     SL_OK);
    assert_null(out.key);
    assert_int_equal(out.key_len, -1);
    assert_null(out.value);
    assert_int_equal(out.value_len, -1);
    sl_connect_mem_free(mem);
    sl_connect_pipeline_free(p);
}

static void source_conversion_failure_names_the_stage(void **state)
{
    (void)state;
    sl_connect_pipeline_t *p = pipe_new("", "key.converter=bytes\n", SL_CONNECT_SOURCE);
    sl_connect_mem_t *mem = sl_connect_mem_new();
    sl_connect_record_t rec = {.topic = "t", .partition = 2, .key = H->val_string(mem, "k", 1),
                               .source_partition = "{}", .source_offset = "{}"};
    sl_produce_rec_t out;
    bool skip;
    char err[512];
    assert_int_equal(sl_connect_pipeline_source(p, &rec, mem, &out, &skip, err, sizeof(err)),
                     SL_ERR_INVAL);
    assert_non_null(strstr(err, "KEY_CONVERTER"));
    assert_non_null(strstr(err, "the bytes converter takes bytes"));
    sl_connect_mem_free(mem);
    sl_connect_pipeline_free(p);
}

static void sink_message_is_converted(void **state)
{
    (void)state;
    /* The connector's converter wins, with its own settings. */
    sl_connect_pipeline_t *p = pipe_new("value.converter=string\n",
                                        "value.converter=json\n"
                                        "value.converter.schemas.enable=false\n",
                                        SL_CONNECT_SINK);
    sl_connect_mem_t *mem = sl_connect_mem_new();
    sl_msg_header_t hs[1] = {{"trace", "abc", 3}};
    sl_message_t m = {.topic = "in", .partition = 3, .offset = 99, .timestamp = 1000,
                      .key = NULL, .key_len = -1, .value = "{\"n\":1}", .value_len = 7,
                      .headers = hs, .header_count = 1};
    sl_connect_record_t r;
    bool skip = true;
    char err[256];
    assert_int_equal(sl_connect_pipeline_sink(p, &m, mem, &r, &skip, err, sizeof(err)), SL_OK);
    assert_false(skip);
    assert_string_equal(r.topic, "in");
    assert_int_equal(r.partition, 3);
    assert_int_equal(r.kafka_offset, 99);
    assert_int_equal(r.timestamp, 1000);
    assert_null(r.key);
    assert_null(r.value_schema);
    assert_int_equal(r.value->type, SL_CT_MAP);
    assert_int_equal(r.value->u.map.pairs[0].value->u.i, 1);
    assert_int_equal(r.header_count, 1);
    assert_string_equal(r.headers[0].key, "trace");
    assert_int_equal(r.headers[0].value_len, 3);
    /* Not JSON: the stage, the record and the reason. */
    m.value = "not json";
    m.value_len = 8;
    assert_int_equal(sl_connect_pipeline_sink(p, &m, mem, &r, &skip, err, sizeof(err)),
                     SL_ERR_PARSE);
    assert_non_null(strstr(err, "VALUE_CONVERTER"));
    assert_non_null(strstr(err, "in-3@99"));
    assert_non_null(strstr(err, "not JSON"));
    sl_connect_mem_free(mem);
    sl_connect_pipeline_free(p);
}

static void bad_converters_are_refused(void **state)
{
    (void)state;
    sl_props_t *w = props("value.converter=json\n");
    sl_props_t *c = props("key.converter=avro\n");
    char err[256] = "";
    assert_int_equal(sl_connect_pipeline_check(w, c, SL_CONNECT_SINK, err, sizeof(err)),
                     SL_ERR_CONFIG);
    assert_non_null(strstr(err, "avro"));
    sl_props_free(c);
    c = props("value.converter=json\nvalue.converter.schemas.enable=maybe\n");
    assert_int_equal(sl_connect_pipeline_check(w, c, SL_CONNECT_SINK, err, sizeof(err)),
                     SL_ERR_CONFIG);
    assert_non_null(strstr(err, "value.converter.schemas.enable"));
    sl_props_free(c);
    /* validate reports it on the key's entry. */
    c = props("key.converter=avro\n");
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    sl_connect_config_result_t *res = NULL;
    size_t n = 0, cap = 0;
    assert_int_equal(sl_connect_pipeline_validate(c, SL_CONNECT_SINK, &arena, &res, &n, &cap),
                     SL_OK);
    bool seen = false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(res[i].name, "key.converter") == 0) {
            seen = true;
            assert_int_equal(res[i].error_count, 1);
            assert_string_equal(res[i].value, "avro");
        }
    assert_true(seen);
    sl_arena_fini(&arena);
    sl_props_free(c);
    sl_props_free(w);
}

static void tolerance_all_skips_and_counts(void **state)
{
    (void)state;
    sl_connect_pipeline_t *p = pipe_new("", "value.converter=json\n"
                                        "value.converter.schemas.enable=false\n"
                                        "errors.tolerance=all\nerrors.log.enable=true\n"
                                        "errors.log.include.messages=true\n", SL_CONNECT_SINK);
    sl_connect_mem_t *mem = sl_connect_mem_new();
    sl_message_t m = {.topic = "in", .partition = 0, .offset = 7, .key = NULL, .key_len = -1,
                      .value = "{oops", .value_len = 5};
    sl_connect_record_t r;
    bool skip = false;
    char err[256] = "";
    assert_int_equal(sl_connect_pipeline_sink(p, &m, mem, &r, &skip, err, sizeof(err)), SL_OK);
    assert_true(skip);
    m.value = "{}";
    m.value_len = 2;
    assert_int_equal(sl_connect_pipeline_sink(p, &m, mem, &r, &skip, err, sizeof(err)), SL_OK);
    assert_false(skip);
    uint64_t skipped = 9, dead = 9;
    sl_connect_pipeline_counts(p, &skipped, &dead);
    assert_int_equal(skipped, 1);
    assert_int_equal(dead, 0);
    /* No DLQ: nothing to wait for before a commit. */
    assert_int_equal(sl_connect_pipeline_flush(p, 0, err, sizeof(err)), SL_OK);
    sl_connect_pipeline_free(p);
    /* Sources too (a record a converter cannot take is dropped). */
    p = pipe_new("", "key.converter=bytes\nerrors.tolerance=all\n", SL_CONNECT_SOURCE);
    sl_connect_record_t rec = {.topic = "t", .partition = -1, .key = H->val_string(mem, "k", 1),
                               .source_partition = "{}", .source_offset = "{}"};
    sl_produce_rec_t out;
    assert_int_equal(sl_connect_pipeline_source(p, &rec, mem, &out, &skip, err, sizeof(err)),
                     SL_OK);
    assert_true(skip);
    sl_connect_pipeline_counts(p, &skipped, NULL);
    assert_int_equal(skipped, 1);
    sl_connect_pipeline_free(p);
    sl_connect_mem_free(mem);
}

/* The sentence config is refused with for a sink. */
static const char *refusal(const char *config)
{
    static char err[512];
    sl_props_t *c = props(config);
    err[0] = '\0';
    assert_int_equal(sl_connect_pipeline_check(NULL, c, SL_CONNECT_SINK, err, sizeof(err)),
                     SL_ERR_CONFIG);
    sl_props_free(c);
    return err;
}

static void bad_error_settings_are_refused(void **state)
{
    (void)state;
    assert_string_equal(refusal("errors.tolerance=ALL\n"),
                        "Invalid value ALL for configuration errors.tolerance: String must be "
                        "one of: none, all");
    assert_non_null(strstr(refusal("errors.log.enable=maybe\n"), "errors.log.enable"));
    assert_non_null(strstr(refusal("errors.retry.timeout=soon\n"), "errors.retry.timeout"));
    assert_non_null(strstr(refusal("errors.deadletterqueue.topic.replication.factor=0\n"),
                           "must be -1 (the broker's default) or from 1 to 32767"));
    assert_string_equal(refusal("topics=a,dlq\nerrors.tolerance=all\n"
                                "errors.deadletterqueue.topic.name=dlq\n"),
                        "Invalid value dlq for configuration errors.deadletterqueue.topic.name: "
                        "the dead letter queue topic may not be one of the topics the connector "
                        "consumes");
    assert_non_null(strstr(refusal("errors.deadletterqueue.topic.name=bad/name\n"),
                           "not a legal topic name"));
    /* A source has no DLQ keys (as Kafka's): they are not read. */
    sl_props_t *c = props("errors.deadletterqueue.topic.replication.factor=0\n");
    assert_int_equal(sl_connect_pipeline_check(NULL, c, SL_CONNECT_SOURCE, NULL, 0), SL_OK);
    sl_props_free(c);
    /* A DLQ is built without any I/O (the topic is made at the first record). */
    sl_connect_pipeline_t *p = pipe_new("", "topics=a\nerrors.tolerance=all\n"
                                        "errors.deadletterqueue.topic.name=dlq\n",
                                        SL_CONNECT_SINK);
    sl_connect_pipeline_free(p);
}

static void validation_has_error_handling_entries(void **state)
{
    (void)state;
    sl_props_t *c = props("errors.tolerance=some\nerrors.deadletterqueue.topic.name=d\n");
    for (int kind = SL_CONNECT_SOURCE; kind <= SL_CONNECT_SINK; kind++) {
        sl_arena_t arena;
        sl_arena_init(&arena, 0, 0);
        sl_connect_config_result_t *res = NULL;
        size_t n = 0, cap = 0;
        assert_int_equal(sl_connect_pipeline_validate(c, (sl_connect_kind_t)kind, &arena, &res,
                                                      &n, &cap), SL_OK);
        bool tol = false, dlq = false;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(res[i].name, "errors.tolerance") == 0) {
                tol = true;
                assert_string_equal(res[i].group, "Error Handling");
                assert_string_equal(res[i].default_value, "none");
                assert_int_equal(res[i].error_count, 1);
            }
            if (strcmp(res[i].name, "errors.deadletterqueue.topic.name") == 0) {
                dlq = true;
                assert_string_equal(res[i].value, "d");
            }
        }
        assert_true(tol);
        assert_int_equal(dlq, kind == SL_CONNECT_SINK);
        sl_arena_fini(&arena);
    }
    sl_props_free(c);
}

int main(void)
{
    H = sl_connect_host();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(source_record_is_serialised_with_headers),
        cmocka_unit_test(source_conversion_failure_names_the_stage),
        cmocka_unit_test(sink_message_is_converted),
        cmocka_unit_test(bad_converters_are_refused),
        cmocka_unit_test(tolerance_all_skips_and_counts),
        cmocka_unit_test(bad_error_settings_are_refused),
        cmocka_unit_test(validation_has_error_handling_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
