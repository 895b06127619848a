/*
 * xform_test.c - the transforms and predicates through a task's pipeline,
 * configured with Kafka's keys: each transform on schemaless (map) and
 * schema'd (struct) values, Kafka's sentences for records a transform
 * cannot take, and bad configurations refused with the key named.
 * Records go in as JSON bytes (sinks) or values (sources) and are checked
 * as the JSON converter writes them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xform_int.h"

static const sl_connect_host_t *H;

static sl_props_t *props(const char *text)
{
    sl_props_t *p = NULL;
    assert_int_equal(sl_props_parse(text, strlen(text), "t", &p, NULL, 0), SL_OK);
    return p;
}

/* A pipeline of kind with the connector config text (JSON converters;
 * schemas on when schemas is true). */
static sl_connect_pipeline_t *pipe_of(const char *config, bool schemas, sl_connect_kind_t kind)
{
    char text[4096];
    snprintf(text, sizeof(text), "key.converter=json\nvalue.converter=json\n"
             "key.converter.schemas.enable=%s\nvalue.converter.schemas.enable=%s\n%s",
             schemas ? "true" : "false", schemas ? "true" : "false", config);
    sl_props_t *c = props(text);
    sl_connect_pipeline_t *p = NULL;
    char err[512] = "";
    if (sl_connect_pipeline_new(NULL, c, kind, "conn", 0, NULL, &p, err, sizeof(err)))
        fail_msg("pipeline_new: %s", err);
    sl_props_free(c);
    return p;
}

/* The sentence a config is refused with. */
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

typedef struct sink_case {
    const char *topic;
    int32_t partition;
    int64_t offset, timestamp;
    const char *key, *value;     /* JSON text; NULL: null */
    const sl_msg_header_t *headers;
    size_t header_count;
} sink_case_t;

static char out_text[8192];
static char out_err[1024];

/* Serialises schema/value as JSON (envelope when schemas) into out_text. */
static const char *as_json(const sl_cschema_t *s, const sl_cvalue_t *v, bool schemas)
{
    sl_props_t *c = props(schemas ? "x.schemas.enable=true\n" : "x.schemas.enable=false\n");
    sl_connect_converter_t *conv = NULL;
    assert_int_equal(sl_connect_converter_new("json", c, "x.", &conv, NULL, 0), SL_OK);
    sl_buf_t b = SL_BUF_INIT;
    bool is_null = false;
    char err[256];
    if (sl_connect_converter_from_value(conv, s, v, &b, &is_null, err, sizeof(err)))
        fail_msg("as_json: %s", err);
    snprintf(out_text, sizeof(out_text), "%.*s", is_null ? 4 : (int)b.len,
             is_null ? "null" : (const char *)b.data);
    sl_buf_free(&b);
    sl_connect_converter_free(conv);
    sl_props_free(c);
    return out_text;
}

/* Runs one consumed record through p: the result code, *r the record. */
static sl_err_t run_sink(sl_connect_pipeline_t *p, const sink_case_t *k, sl_connect_mem_t *mem,
                         sl_connect_record_t *r, bool *skip)
{
    sl_message_t m = {.topic = k->topic ? k->topic : "t", .partition = k->partition,
                      .offset = k->offset, .timestamp = k->timestamp,
                      .key = k->key, .key_len = k->key ? (int32_t)strlen(k->key) : -1,
                      .value = k->value, .value_len = k->value ? (int32_t)strlen(k->value) : -1,
                      .headers = k->headers, .header_count = k->header_count};
    out_err[0] = '\0';
    return sl_connect_pipeline_sink(p, &m, mem, r, skip, out_err, sizeof(out_err));
}

/* The value a sink pipeline makes of value_json (schemaless). */
static const char *sink_value(const char *config, const char *value_json)
{
    sl_connect_pipeline_t *p = pipe_of(config, false, SL_CONNECT_SINK);
    sl_connect_mem_t *mem = sl_connect_mem_new();
    sink_case_t k = {.topic = "orders", .partition = 2, .offset = 5, .timestamp = 1000,
                     .value = value_json};
    sl_connect_record_t r;
    bool skip;
    if (run_sink(p, &k, mem, &r, &skip))
        fail_msg("sink: %s", out_err);
    assert_false(skip);
    as_json(r.value_schema, r.value, false);
    sl_connect_mem_free(mem);
    sl_connect_pipeline_free(p);
    return out_text;
}

/* The error a sink pipeline gives for value_json (with schemas when the
 * text is an envelope). */
static const char *sink_error(const char *config, const char *value_json, bool schemas)
{
    sl_connect_pipeline_t *p = pipe_of(config, schemas, SL_CONNECT_SINK);
    sl_connect_mem_t *mem = sl_connect_mem_new();
    sink_case_t k = {.topic = "orders", .partition = 2, .offset = 5, .timestamp = 1000,
                     .value = value_json};
    sl_connect_record_t r;
    bool skip;
    assert_int_equal(run_sink(p, &k, mem, &r, &skip), SL_ERR_INVAL);
    sl_connect_mem_free(mem);
    sl_connect_pipeline_free(p);
    return out_err;
}

/* The envelope a schema'd sink pipeline makes of envelope_json. */
static const char *sink_struct(const char *config, const char *envelope_json)
{
    sl_connect_pipeline_t *p = pipe_of(config, true, SL_CONNECT_SINK);
    sl_connect_mem_t *mem = sl_connect_mem_new();
    sink_case_t k = {.topic = "orders", .partition = 2, .offset = 5, .timestamp = 1000,
                     .value = envelope_json};
    sl_connect_record_t r;
    bool skip;
    if (run_sink(p, &k, mem, &r, &skip))
        fail_msg("sink: %s", out_err);
    as_json(r.value_schema, r.value, true);
    sl_connect_mem_free(mem);
    sl_connect_pipeline_free(p);
    return out_text;
}

#define STRUCT_AB "{\"schema\":{\"type\":\"struct\",\"name\":\"Order\",\"fields\":[" \
    "{\"field\":\"a\",\"type\":\"int32\"},{\"field\":\"b\",\"type\":\"string\",\"optional\":true}]," \
    "\"optional\":false},\"payload\":{\"a\":7,\"b\":\"x\"}}"

/* ---- InsertField ------------------------------------------------------------------- */

static void insert_field_schemaless(void **state)
{
    (void)state;
    const char *cfg = "transforms=ins\n"
                      "transforms.ins.type=org.apache.kafka.connect.transforms.InsertField$Value\n"
                      "transforms.ins.topic.field=t\ntransforms.ins.partition.field=p\n"
                      "transforms.ins.offset.field=o\ntransforms.ins.timestamp.field=ts\n"
                      "transforms.ins.static.field=s\ntransforms.ins.static.value=v\n";
    assert_string_equal(sink_value(cfg, "{\"a\":1,\"t\":\"old\"}"),
                        "{\"a\":1,\"t\":\"orders\",\"p\":2,\"o\":5,\"ts\":1000,\"s\":\"v\"}");
    /* Tombstones pass untouched; other values are refused as Kafka does. */
    assert_string_equal(sink_value(cfg, NULL), "null");
    assert_string_equal(sink_error(cfg, "\"text\"", false),
                        "Tolerance exceeded in error handler: stage TRANSFORMATION "
                        "(org.apache.kafka.connect.transforms."
                        "InsertField$Value) failed for orders-2@5: Only Map objects supported "
                        "in absence of schema for [field insertion], found: java.lang.String");
}

static void insert_field_struct_and_key(void **state)
{
    (void)state;
    const char *cfg = "transforms=ins\ntransforms.ins.type=InsertField$Value\n"
                      "transforms.ins.topic.field=t!\ntransforms.ins.timestamp.field=ts\n";
    const char *out = sink_struct(cfg, STRUCT_AB);
    assert_non_null(strstr(out, "{\"type\":\"string\",\"optional\":false,\"field\":\"t\"}"));
    assert_non_null(strstr(out, "\"type\":\"int64\",\"optional\":true,"
                                "\"name\":\"org.apache.kafka.connect.data.Timestamp\","
                                "\"version\":1"));
    assert_non_null(strstr(out, "\"name\":\"Order\""));
    assert_non_null(strstr(out, "\"payload\":{\"a\":7,\"b\":\"x\",\"t\":\"orders\",\"ts\":1000}"));
    /* A field that exists already cannot be added to a schema. */
    const char *dup = "transforms=ins\ntransforms.ins.type=InsertField$Value\n"
                      "transforms.ins.topic.field=a\n";
    assert_non_null(strstr(sink_error(dup, STRUCT_AB, true),
                           "Cannot create field because of field name duplication a"));
    /* $Key works on the key; the offset exists only for sink records. */
    sl_connect_pipeline_t *p = pipe_of("transforms=k\ntransforms.k.type=InsertField$Key\n"
                                       "transforms.k.offset.field=off\n", false,
                                       SL_CONNECT_SOURCE);
    sl_connect_mem_t *mem = sl_connect_mem_new();
    sl_cvalue_t *key = H->val_new(mem, SL_CT_MAP);
    H->val_put(mem, key, H->val_string(mem, "id", 2), H->val_int(mem, SL_CT_INT64, 1));
    sl_connect_record_t rec = {.topic = "t", .partition = -1, .key = key,
                               .source_partition = "{}", .source_offset = "{}"};
    sl_produce_rec_t pr;
    bool skip;
    char err[512];
    assert_int_equal(sl_connect_pipeline_source(p, &rec, mem, &pr, &skip, err, sizeof(err)),
                     SL_ERR_INVAL);
    assert_non_null(strstr(err, "Only SinkRecord supported for [field insertion], found: "
                                "org.apache.kafka.connect.source.SourceRecord"));
    sl_connect_pipeline_free(p);
    p = pipe_of("transforms=k\ntransforms.k.type=InsertField$Key\ntransforms.k.topic.field=tp\n",
                false, SL_CONNECT_SOURCE);
    assert_int_equal(sl_connect_pipeline_source(p, &rec, mem, &pr, &skip, err, sizeof(err)),
                     SL_OK);
    assert_int_equal(pr.key_len, (int32_t)strlen("{\"id\":1,\"tp\":\"t\"}"));
    assert_memory_equal(pr.key, "{\"id\":1,\"tp\":\"t\"}", (size_t)pr.key_len);
    /* A plugin's struct that does not follow its schema is refused, not
     * read past. */
    sl_cschema_t *one = H->schema_new(mem, SL_CT_STRUCT, 0, NULL);
    H->schema_add_field(mem, one, "a", H->schema_new(mem, SL_CT_INT32, 0, NULL));
    sl_cvalue_t *two = H->val_new(mem, SL_CT_STRUCT);
    H->val_put(mem, two, H->val_string(mem, "a", 1), H->val_int(mem, SL_CT_INT32, 1));
    H->val_put(mem, two, H->val_string(mem, "b", 1), H->val_int(mem, SL_CT_INT32, 2));
    rec.key_schema = one;
    rec.key = two;
    assert_int_equal(sl_connect_pipeline_source(p, &rec, mem, &pr, &skip, err, sizeof(err)),
                     SL_ERR_INVAL);
    assert_non_null(strstr(err, "a struct with 2 fields where its schema has 1"));
    sl_connect_pipeline_free(p);
    sl_connect_mem_free(mem);
    /* static.field needs static.value. */
    assert_string_equal(refusal("transforms=i\ntransforms.i.type=InsertField$Value\n"
                                "transforms.i.static.field=s\n"),
                        "Invalid value null for configuration transforms.i.static.value: No "
                        "value specified for static field: s");
}

/* ---- ReplaceField ---------------------------------------------------------------------- */

static void replace_field(void **state)
{
    (void)state;
    const char *v = "{\"a\":1,\"b\":2,\"c\":3}";
    assert_string_equal(sink_value("transforms=r\ntransforms.r.type=ReplaceField$Value\n"
                                   "transforms.r.exclude=b\n", v), "{\"a\":1,\"c\":3}");
    assert_string_equal(sink_value("transforms=r\ntransforms.r.type=ReplaceField$Value\n"
                                   "transforms.r.include=c,a\n", v), "{\"a\":1,\"c\":3}");
    /* exclude wins over include; the old names still work. */
    assert_string_equal(sink_value("transforms=r\ntransforms.r.type=ReplaceField$Value\n"
                                   "transforms.r.whitelist=a,b\ntransforms.r.blacklist=a\n", v),
                        "{\"b\":2}");
    assert_string_equal(sink_value("transforms=r\ntransforms.r.type=ReplaceField$Value\n"
                                   "transforms.r.renames=a:x, c:y\n", v),
                        "{\"x\":1,\"b\":2,\"y\":3}");
    const char *out = sink_struct("transforms=r\ntransforms.r.type=ReplaceField$Value\n"
                                  "transforms.r.renames=b:bee\ntransforms.r.exclude=a\n",
                                  STRUCT_AB);
    assert_non_null(strstr(out, "\"fields\":[{\"type\":\"string\",\"optional\":true,"
                                "\"field\":\"bee\"}]"));
    assert_non_null(strstr(out, "\"payload\":{\"bee\":\"x\"}"));
    assert_non_null(strstr(sink_error("transforms=r\ntransforms.r.type=ReplaceField$Value\n"
                                      "transforms.r.renames=a:b\n", STRUCT_AB, true),
                           "Cannot create field because of field name duplication b"));
    assert_non_null(strstr(sink_error("transforms=r\ntransforms.r.type=ReplaceField$Value\n"
                                      "transforms.r.exclude=a\n", "[1,2]", false),
                           "Only Map objects supported in absence of schema for [field "
                           "replacement], found: java.util.ArrayList"));
    assert_string_equal(refusal("transforms=r\ntransforms.r.type=ReplaceField$Value\n"
                                "transforms.r.renames=a:b,c\n"),
                        "Invalid value [a:b, c] for configuration transforms.r.renames: "
                        "Invalid rename mapping: c");
    assert_non_null(strstr(refusal("transforms=r\ntransforms.r.type=ReplaceField$Value\n"
                                   "transforms.r.renames=a:\n"), "Invalid rename mapping: a:"));
}

/* ---- MaskField --------------------------------------------------------------------------- */

static void mask_field(void **state)
{
    (void)state;
    const char *cfg = "transforms=m\ntransforms.m.type=MaskField$Value\n"
                      "transforms.m.fields=n,s,f,b,l,o,missing\n";
    /* Schemaless: every listed field is put, an absent one as null. */
    assert_string_equal(sink_value(cfg, "{\"n\":5,\"s\":\"secret\",\"f\":1.5,\"b\":true,"
                                        "\"l\":[1],\"o\":{\"x\":1},\"keep\":9}"),
                        "{\"n\":0,\"s\":\"\",\"f\":0.0,\"b\":false,\"l\":[],\"o\":{},\"keep\":9,"
                        "\"missing\":null}");
    assert_string_equal(sink_value("transforms=m\ntransforms.m.type=MaskField$Value\n"
                                   "transforms.m.fields=n,s\ntransforms.m.replacement=42\n",
                                   "{\"n\":5,\"s\":\"secret\"}"),
                        "{\"n\":42,\"s\":\"42\"}");
    assert_non_null(strstr(sink_error("transforms=m\ntransforms.m.type=MaskField$Value\n"
                                      "transforms.m.fields=n\ntransforms.m.replacement=x\n",
                                      "{\"n\":5}", false),
                           "Unable to convert x (class java.lang.String) to number"));
    assert_non_null(strstr(sink_error("transforms=m\ntransforms.m.type=MaskField$Value\n"
                                      "transforms.m.fields=b\ntransforms.m.replacement=x\n",
                                      "{\"b\":true}", false),
                           "Cannot mask value of type class java.lang.Boolean with custom "
                           "replacement."));
    /* Structs: fields masked in place, the schema kept. */
    const char *out = sink_struct("transforms=m\ntransforms.m.type=MaskField$Value\n"
                                  "transforms.m.fields=b\n", STRUCT_AB);
    assert_non_null(strstr(out, "\"payload\":{\"a\":7,\"b\":\"\"}"));
    assert_string_equal(refusal("transforms=m\ntransforms.m.type=MaskField$Value\n"),
                        "Missing required configuration \"transforms.m.fields\" which has no "
                        "default value.");
    assert_string_equal(refusal("transforms=m\ntransforms.m.type=MaskField$Value\n"
                                "transforms.m.fields= , \n"),
                        "Invalid value [] for configuration transforms.m.fields: Empty list");
}

/* ---- RegexRouter and TimestampRouter ----------------------------------------------------- */

/* The topic a sink pipeline routes a record of topic (timestamp ts) to. */
static const char *routed(const char *config, const char *topic, int64_t ts)
{
    sl_connect_pipeline_t *p = pipe_of(config, false, SL_CONNECT_SINK);
    sl_connect_mem_t *mem = sl_connect_mem_new();
    sink_case_t k = {.topic = topic, .offset = 1, .timestamp = ts, .value = "1"};
    sl_connect_record_t r;
    bool skip;
    if (run_sink(p, &k, mem, &r, &skip))
        fail_msg("sink: %s", out_err);
    snprintf(out_text, sizeof(out_text), "%s", r.topic);
    sl_connect_mem_free(mem);
    sl_connect_pipeline_free(p);
    return out_text;
}

static void regex_router(void **state)
{
    (void)state;
    const char *cfg = "transforms=route\n"
                      "transforms.route.type=org.apache.kafka.connect.transforms.RegexRouter\n"
                      "transforms.route.regex=(.*)-raw-(\\\\d+)\n"
                      "transforms.route.replacement=clean-$2-$1\\\\$\n";
    assert_string_equal(routed(cfg, "orders-raw-17", 1), "clean-17-orders$");
    /* Only a match of the whole topic routes (Java's matches()). */
    assert_string_equal(routed(cfg, "orders-raw-17x", 1), "orders-raw-17x");
    assert_string_equal(routed("transforms=r\ntransforms.r.type=RegexRouter\n"
                               "transforms.r.regex=raw\ntransforms.r.replacement=x\n",
                               "orders-raw", 1), "orders-raw");
    assert_string_equal(routed("transforms=r\ntransforms.r.type=RegexRouter\n"
                               "transforms.r.regex=.*\ntransforms.r.replacement=all\n",
                               "anything", 1), "all");
    assert_non_null(strstr(refusal("transforms=r\ntransforms.r.type=RegexRouter\n"
                                   "transforms.r.regex=(a\ntransforms.r.replacement=x\n"),
                           "Invalid value (a for configuration transforms.r.regex: not a valid "
                           "regular expression"));
    assert_string_equal(refusal("transforms=r\ntransforms.r.type=RegexRouter\n"
                                "transforms.r.regex=(a)\ntransforms.r.replacement=$2\n"),
                        "Invalid value $2 for configuration transforms.r.replacement: No group 2");
    assert_string_equal(refusal("transforms=r\ntransforms.r.type=RegexRouter\n"
                                "transforms.r.regex=a\n"),
                        "Missing required configuration \"transforms.r.replacement\" which has "
                        "no default value.");
}

static void timestamp_router(void **state)
{
    (void)state;
    /* 2023-11-14T22:13:20.123Z */
    const int64_t ts = 1700000000123LL;
    assert_string_equal(routed("transforms=tr\ntransforms.tr.type=TimestampRouter\n", "logs", ts),
                        "logs-20231114");
    assert_string_equal(routed("transforms=tr\ntransforms.tr.type=TimestampRouter\n"
                               "transforms.tr.topic.format=${timestamp}_${topic}_${topic}\n"
                               "transforms.tr.timestamp.format=yyyy-MM-dd'T'HH:mm:ss.SSS "
                               "EEE MMM yy hh a ''Z''\n", "logs", ts),
                        "2023-11-14T22:13:20.123 Tue Nov 23 10 PM '+0000'_logs_logs");
    assert_string_equal(refusal("transforms=tr\ntransforms.tr.type=TimestampRouter\n"
                                "transforms.tr.timestamp.format=yyyyqq\n"),
                        "Invalid value yyyyqq for configuration transforms.tr.timestamp.format: "
                        "Illegal pattern character 'q'");
    /* A source record without a timestamp cannot be routed by it. */
    sl_connect_pipeline_t *p = pipe_of("transforms=tr\ntransforms.tr.type=TimestampRouter\n",
                                       false, SL_CONNECT_SOURCE);
    sl_connect_mem_t *mem = sl_connect_mem_new();
    sl_connect_record_t rec = {.topic = "logs", .partition = -1, .source_partition = "{}",
                               .source_offset = "{}"};
    sl_produce_rec_t pr;
    bool skip;
    char err[512];
    assert_int_equal(sl_connect_pipeline_source(p, &rec, mem, &pr, &skip, err, sizeof(err)),
                     SL_ERR_INVAL);
    assert_non_null(strstr(err, "Timestamp missing on record"));
    rec.timestamp = ts;
    assert_int_equal(sl_connect_pipeline_source(p, &rec, mem, &pr, &skip, err, sizeof(err)),
                     SL_OK);
    assert_string_equal(pr.topic, "logs-20231114");
    sl_connect_mem_free(mem);
    sl_connect_pipeline_free(p);
}

/* ---- Filter and predicates ------------------------------------------------------------------ */

/* Whether the pipeline of config skips a sink record. */
static bool skipped(const char *config, const char *topic, const char *value,
                    const sl_msg_header_t *hs, size_t nh)
{
    sl_connect_pipeline_t *p = pipe_of(config, false, SL_CONNECT_SINK);
    sl_connect_mem_t *mem = sl_connect_mem_new();
    sink_case_t k = {.topic = topic, .offset = 1, .timestamp = 1, .value = value, .headers = hs,
                     .header_count = nh};
    sl_connect_record_t r;
    bool skip = false;
    if (run_sink(p, &k, mem, &r, &skip))
        fail_msg("sink: %s", out_err);
    sl_connect_mem_free(mem);
    sl_connect_pipeline_free(p);
    return skip;
}

static void filter_with_predicates(void **state)
{
    (void)state;
    assert_true(skipped("transforms=f\ntransforms.f.type=Filter\n", "t", "1", NULL, 0));
    const char *by_topic = "transforms=f\ntransforms.f.type=org.apache.kafka.connect.transforms.Filter\n"
                           "transforms.f.predicate=isTest\npredicates=isTest\n"
                           "predicates.isTest.type=org.apache.kafka.connect.transforms.predicates."
                           "TopicNameMatches\npredicates.isTest.pattern=test-.*\n";
    assert_true(skipped(by_topic, "test-1", "1", NULL, 0));
    assert_false(skipped(by_topic, "prod-1", "1", NULL, 0));
    assert_false(skipped(by_topic, "xtest-1", "1", NULL, 0));
    char negated[1024];
    snprintf(negated, sizeof(negated), "%stransforms.f.negate=true\n", by_topic);
    assert_false(skipped(negated, "test-1", "1", NULL, 0));
    assert_true(skipped(negated, "prod-1", "1", NULL, 0));
    const char *by_header = "transforms=f\ntransforms.f.type=Filter\ntransforms.f.predicate=h\n"
                            "predicates=h\npredicates.h.type=HasHeaderKey\npredicates.h.name=drop\n";
    sl_msg_header_t hs[2] = {{"keep", "1", 1}, {"drop", NULL, -1}};
    assert_true(skipped(by_header, "t", "1", hs, 2));
    assert_false(skipped(by_header, "t", "1", hs, 1));
    const char *tomb = "transforms=f\ntransforms.f.type=Filter\ntransforms.f.predicate=t\n"
                       "predicates=t\npredicates.t.type=RecordIsTombstone\n";
    assert_true(skipped(tomb, "t", NULL, NULL, 0));
    assert_false(skipped(tomb, "t", "1", NULL, 0));
    /* A predicate also guards other transforms: only test-* topics are routed. */
    assert_string_equal(routed("transforms=r\ntransforms.r.type=RegexRouter\n"
                               "transforms.r.regex=.*\ntransforms.r.replacement=x\n"
                               "transforms.r.predicate=p\npredicates=p\n"
                               "predicates.p.type=TopicNameMatches\npredicates.p.pattern=test-.*\n",
                               "prod", 1), "prod");
}

/* ---- the chain's configuration ------------------------------------------------------------ */

static void chain_configs_refused(void **state)
{
    (void)state;
    assert_string_equal(refusal("transforms=a,b,a\ntransforms.a.type=Filter\n"
                                "transforms.b.type=Filter\n"),
                        "Invalid value a,b,a for configuration transforms: Duplicate alias "
                        "provided.");
    char longer[400];
    snprintf(longer, sizeof(longer), "transforms=%0250d\n", 0);
    assert_non_null(strstr(refusal(longer), "an alias is at most 200 characters"));
    assert_string_equal(refusal("transforms=a\n"),
                        "Missing required configuration \"transforms.a.type\" which has no "
                        "default value.");
    assert_string_equal(refusal("transforms=a\ntransforms.a.type=com.example.Mine\n"),
                        "Invalid value com.example.Mine for configuration transforms.a.type: "
                        "Class com.example.Mine could not be found.");
    assert_string_equal(refusal("transforms=a\ntransforms.a.type=org.apache.kafka.connect."
                                "transforms.InsertField\n"),
                        "Invalid value org.apache.kafka.connect.transforms.InsertField for "
                        "configuration transforms.a.type: Transformation is abstract and cannot "
                        "be created. Did you mean org.apache.kafka.connect.transforms."
                        "InsertField$Key, org.apache.kafka.connect.transforms.InsertField$Value?");
    assert_string_equal(refusal("transforms=a\ntransforms.a.type=Filter\n"
                                "transforms.a.negate=true\n"),
                        "Config 'transforms.a.negate' was provided but there is no config "
                        "'transforms.a.predicate' defining a predicate to be negated.");
    assert_string_equal(refusal("transforms=a\ntransforms.a.type=Filter\n"
                                "transforms.a.predicate=p\n"),
                        "Invalid value p for configuration transforms.a.predicate: no predicate "
                        "of that alias is listed in \"predicates\"");
    assert_string_equal(refusal("predicates=p\npredicates.p.type=Filter\n"),
                        "Invalid value Filter for configuration predicates.p.type: Not a "
                        "Predicate");
    assert_string_equal(refusal("predicates=p\npredicates.p.type=TopicNameMatches\n"),
                        "Missing required configuration \"predicates.p.pattern\" which has no "
                        "default value.");
    assert_string_equal(refusal("transforms=a\ntransforms.a.type=Filter\n"
                                "transforms.a.predicate=p\ntransforms.a.negate=yes\n"
                                "predicates=p\npredicates.p.type=RecordIsTombstone\n"),
                        "Invalid value yes for configuration transforms.a.negate: Expected value "
                        "to be either true or false");
}

static void every_definition_is_listed(void **state)
{
    (void)state;
    size_t transforms = 0, predicates = 0;
    for (size_t i = 0; sl_xform_at(i); i++) {
        const sl_xform_def_t *d = sl_xform_at(i);
        assert_ptr_equal(sl_xform_find(d->kafka_class, d->predicate, NULL), d);
        assert_ptr_equal(sl_xform_find(d->name, d->predicate, NULL), d);
        assert_true(d->predicate ? d->test != NULL : d->apply != NULL);
        *(d->predicate ? &predicates : &transforms) += 1;
    }
    assert_int_equal(transforms, 9);
    assert_int_equal(predicates, 3);
}

static void chain_validation_entries(void **state)
{
    (void)state;
    sl_props_t *c = props("transforms=route,ins\ntransforms.route.type=RegexRouter\n"
                          "transforms.route.regex=(x\ntransforms.route.replacement=y\n"
                          "transforms.ins.type=InsertField$Value\n"
                          "transforms.ins.static.field=s\n");
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    sl_connect_config_result_t *res = NULL;
    size_t n = 0, cap = 0;
    assert_int_equal(sl_connect_pipeline_validate(c, SL_CONNECT_SINK, &arena, &res, &n, &cap),
                     SL_OK);
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(res[i].name, "transforms.route.type") == 0) {
            found++;
            assert_string_equal(res[i].group, "Transforms: route");
            assert_string_equal(res[i].type, "CLASS");
            assert_string_equal(res[i].value, "RegexRouter");
            assert_int_equal(res[i].error_count, 0);
        } else if (strcmp(res[i].name, "transforms.route.regex") == 0) {
            found++;
            assert_int_equal(res[i].error_count, 1);
            assert_non_null(strstr(res[i].errors[0], "not a valid regular expression"));
        } else if (strcmp(res[i].name, "transforms.ins.static.value") == 0) {
            found++;
            assert_int_equal(res[i].error_count, 1);
        } else if (strcmp(res[i].name, "transforms.ins.negate") == 0) {
            found++;
            assert_string_equal(res[i].default_value, "false");
        } else {
            assert_int_equal(res[i].error_count, 0);
        }
    }
    assert_int_equal(found, 4);
    sl_arena_fini(&arena);
    sl_props_free(c);
}

int main(void)
{
    H = sl_connect_host();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(insert_field_schemaless),
        cmocka_unit_test(insert_field_struct_and_key),
        cmocka_unit_test(replace_field),
        cmocka_unit_test(mask_field),
        cmocka_unit_test(regex_router),
        cmocka_unit_test(timestamp_router),
        cmocka_unit_test(filter_with_predicates),
        cmocka_unit_test(chain_configs_refused),
        cmocka_unit_test(every_definition_is_listed),
        cmocka_unit_test(chain_validation_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
