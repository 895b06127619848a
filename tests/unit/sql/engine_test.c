/*
 * engine_test.c - the engine through sql.h in a local engine: statements
 * end to end (CREATE, CSAS, CTAS, INSERT VALUES, DROP, TERMINATE), the
 * REST entities' shapes (SHOW, DESCRIBE, EXPLAIN), push and pull queries,
 * SET/UNSET, PRINT, RUN SCRIPT and the errors with ksqlDB's sentences.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "sql.h"

static sl_sql_engine_t *new_engine(void)
{
    sl_sql_engine_t *e = NULL;
    sl_sql_error_t err;
    sl_err_t r = sl_sql_engine_new_local(NULL, 0, &e, &err);
    if (r)
        fail_msg("engine: %s", err.message);
    return e;
}

/* Runs sql, which must succeed; returns the entities (caller frees). */
static json_t *ok(sl_sql_engine_t *e, const char *sql)
{
    json_t *out = NULL;
    sl_sql_error_t err;
    sl_err_t r = sl_sql_execute(e, sql, NULL, &out, &err);
    if (r)
        fail_msg("%s: %s (%s)", sql, err.message, sl_err_name(r));
    assert_non_null(out);
    return out;
}

static void ok0(sl_sql_engine_t *e, const char *sql)
{
    json_decref(ok(e, sql));
}

/* sql must fail with code and a message containing part. */
static void fails(sl_sql_engine_t *e, const char *sql, sl_err_t code, const char *part)
{
    json_t *out = NULL;
    sl_sql_error_t err;
    sl_err_t r = sl_sql_execute(e, sql, NULL, &out, &err);
    if (r != code)
        fail_msg("%s: got %s (%s), wanted %s", sql, sl_err_name(r), r ? err.message : "", sl_err_name(code));
    assert_null(out);
    if (!strstr(err.message, part))
        fail_msg("%s: message \"%s\" lacks \"%s\"", sql, err.message, part);
}

static void produce(sl_sql_engine_t *e, const char *topic, const char *key, const char *value, int64_t ts)
{
    sl_sql_error_t err;
    sl_err_t r = sl_sql_local_produce(e, topic, key, value, ts, &err);
    if (r)
        fail_msg("produce %s: %s", topic, err.message);
}

/* The next record on topic must have this key and value (JSON compared as
 * values). */
static void expect(sl_sql_engine_t *e, const char *topic, const char *key, const char *value)
{
    sl_sql_local_record_t rec;
    sl_sql_error_t err;
    sl_err_t r = sl_sql_local_next(e, topic, &rec, &err);
    if (r)
        fail_msg("next %s: %s (%s)", topic, sl_err_name(r), err.message);
    json_t *k = json_loads(rec.key, JSON_DECODE_ANY, NULL), *wk = json_loads(key, JSON_DECODE_ANY, NULL);
    json_t *v = json_loads(rec.value, JSON_DECODE_ANY, NULL), *wv = json_loads(value, JSON_DECODE_ANY, NULL);
    if (!k || !wk || !json_equal(k, wk) || !v || !wv || !json_equal(v, wv))
        fail_msg("%s: got %s %s, wanted %s %s", topic, rec.key, rec.value, key, value);
    json_decref(k);
    json_decref(wk);
    json_decref(v);
    json_decref(wv);
    sl_sql_local_record_clear(&rec);
}

static void expect_none(sl_sql_engine_t *e, const char *topic)
{
    sl_sql_local_record_t rec;
    sl_sql_error_t err;
    sl_err_t r = sl_sql_local_next(e, topic, &rec, &err);
    if (r == SL_OK) {
        fail_msg("%s: unexpected %s %s", topic, rec.key, rec.value);
    }
    assert_int_equal(r, SL_ERR_NOENT);
}

static const char *jstr(json_t *j, const char *path_fmt)
{
    /* path: "a.b.0.c" */
    char path[256];
    snprintf(path, sizeof path, "%s", path_fmt);
    json_t *cur = j;
    for (char *tok = strtok(path, "."); tok && cur; tok = strtok(NULL, ".")) {
        if (json_is_array(cur))
            cur = json_array_get(cur, (size_t)atoi(tok));
        else
            cur = json_object_get(cur, tok);
    }
    return cur && json_is_string(cur) ? json_string_value(cur) : NULL;
}

static json_t *jget(json_t *j, const char *path_fmt)
{
    char path[256];
    snprintf(path, sizeof path, "%s", path_fmt);
    json_t *cur = j;
    for (char *tok = strtok(path, "."); tok && cur; tok = strtok(NULL, ".")) {
        if (json_is_array(cur))
            cur = json_array_get(cur, (size_t)atoi(tok));
        else
            cur = json_object_get(cur, tok);
    }
    return cur;
}

static void setup_s(sl_sql_engine_t *e)
{
    ok0(e, "CREATE STREAM S (ID INT KEY, NAME STRING) WITH (kafka_topic='s', value_format='JSON', partitions=1);");
}

/* ---------------------------------------------------------------------------
 * DDL and persistent queries
 * ------------------------------------------------------------------------- */

static void test_bad_config(void **state)
{
    (void)state;
    sl_sql_engine_t *e = NULL;
    sl_sql_error_t err;
    assert_int_equal(sl_sql_engine_new_local("auto.offset.reset=sometimes\n", 0, &e, &err), SL_ERR_CONFIG);
    assert_null(e);
    assert_non_null(strstr(err.message, "auto.offset.reset"));
    assert_int_equal(sl_sql_engine_new_local("sql.service.id=a/b\n", 0, &e, &err), SL_ERR_CONFIG);
    assert_int_equal(sl_sql_engine_new_local("sql.streams.num.stream.threads=0\n", 0, &e, &err), SL_ERR_CONFIG);
    assert_int_equal(sl_sql_engine_new_local("no equals sign \\u00zz\n", 0, &e, &err), SL_ERR_CONFIG);
    assert_null(e);
}

static void test_create_needs_topic(void **state)
{
    (void)state;
    sl_sql_engine_t *e = new_engine();
    fails(e, "CREATE STREAM S (ID INT KEY, NAME STRING) WITH (kafka_topic='nope', value_format='JSON');",
          SL_ERR_NOENT, "Topic 'nope' does not exist. If you want to create a new topic for the stream/table");
    json_t *out = ok(e, "CREATE STREAM S (ID INT KEY, NAME STRING) WITH (kafka_topic='s', value_format='JSON', "
                        "partitions=2);");
    assert_int_equal(json_array_size(out), 1);
    assert_string_equal(jstr(out, "0.@type"), "currentStatus");
    assert_string_equal(jstr(out, "0.commandStatus.status"), "SUCCESS");
    assert_string_equal(jstr(out, "0.commandStatus.message"), "Stream created");
    assert_string_equal(jstr(out, "0.commandId"), "stream/`S`/create");
    json_decref(out);
    fails(e, "CREATE STREAM S (ID INT KEY) WITH (kafka_topic='s', value_format='JSON');", SL_ERR_EXISTS,
          "Cannot add stream 'S': A stream with the same name already exists");
    /* the topic exists now: another stream may be declared on it */
    ok0(e, "CREATE STREAM S_AGAIN (ID INT KEY, NAME STRING) WITH (kafka_topic='s', value_format='JSON');");
    out = ok(e, "SHOW TOPICS;");
    assert_string_equal(jstr(out, "0.@type"), "kafka_topics");
    json_t *topics = jget(out, "0.topics");
    bool found = false;
    for (size_t i = 0; i < json_array_size(topics); i++) {
        json_t *t = json_array_get(topics, i);
        if (strcmp(json_string_value(json_object_get(t, "name")), "s") == 0) {
            found = true;
            assert_int_equal(json_array_size(json_object_get(t, "replicaInfo")), 2);
        }
    }
    assert_true(found);
    json_decref(out);
    sl_sql_engine_free(e);
}

static void test_csas_end_to_end(void **state)
{
    (void)state;
    sl_sql_engine_t *e = new_engine();
    setup_s(e);
    json_t *out = ok(e, "CREATE STREAM S2 AS SELECT ID, NAME AS N FROM S WHERE ID > 1 EMIT CHANGES;");
    assert_string_equal(jstr(out, "0.commandStatus.message"), "Created query with ID CSAS_S2_1");
    assert_string_equal(jstr(out, "0.commandStatus.queryId"), "CSAS_S2_1");
    json_decref(out);
    produce(e, "s", "1", "{\"NAME\":\"a\"}", 10);
    produce(e, "s", "2", "{\"NAME\":\"b\"}", 11);
    expect(e, "s", "1", "{\"NAME\":\"a\"}");
    expect(e, "s", "2", "{\"NAME\":\"b\"}");
    expect_none(e, "s");
    expect(e, "S2", "2", "{\"N\":\"b\"}");
    expect_none(e, "S2");
    /* INSERT VALUES goes through the topic, so the query sees it */
    json_t *ins = ok(e, "INSERT INTO S (ID, NAME) VALUES (3, 'c');");
    assert_int_equal(json_array_size(ins), 0);
    json_decref(ins);
    expect(e, "s", "3", "{\"NAME\":\"c\"}");
    expect(e, "S2", "3", "{\"N\":\"c\"}");
    /* a bad record is counted, not fatal */
    ok0(e, "CREATE STREAM S_INT (ID INT KEY, NAME INT) WITH (kafka_topic='s_int', value_format='JSON', "
           "partitions=1);");
    ok0(e, "CREATE STREAM S_INT2 AS SELECT * FROM S_INT;");
    produce(e, "s_int", "4", "{\"NAME\": \"not a number\"}", 12);
    assert_true(sl_sql_processing_errors(e) >= 1);
    produce(e, "s", "5", "{\"NAME\":\"e\"}", 13);
    expect(e, "S2", "5", "{\"N\":\"e\"}");
    sl_sql_engine_free(e);
}

static void test_drop_and_terminate(void **state)
{
    (void)state;
    sl_sql_engine_t *e = new_engine();
    setup_s(e);
    ok0(e, "CREATE STREAM S2 AS SELECT * FROM S;");
    fails(e, "DROP STREAM S;", SL_ERR_STATE,
          "Cannot drop S.\nThe following queries read from this source: [CSAS_S2_1].\n"
          "The following queries write into this source: [].\nYou need to terminate them before dropping S.");
    fails(e, "DROP STREAM S2;", SL_ERR_STATE, "The following queries write into this source: [CSAS_S2_1].");
    fails(e, "DROP TABLE S2;", SL_ERR_INVAL, "Incompatible data source type is STREAM");
    fails(e, "TERMINATE NOPE_1;", SL_ERR_NOENT, "Unknown queryId: NOPE_1");
    json_t *out = ok(e, "TERMINATE CSAS_S2_1;");
    assert_string_equal(jstr(out, "0.commandStatus.message"), "Query terminated.");
    json_decref(out);
    out = ok(e, "DROP STREAM S2; DROP STREAM S DELETE TOPIC;");
    assert_int_equal(json_array_size(out), 2);
    assert_string_equal(jstr(out, "0.commandStatus.message"), "Source `S2` (topic: S2) was dropped.");
    assert_string_equal(jstr(out, "1.commandStatus.message"), "Source `S` (topic: s) was dropped.");
    json_decref(out);
    fails(e, "DROP STREAM S;", SL_ERR_NOENT, "Source S does not exist.");
    ok0(e, "DROP STREAM IF EXISTS S;");
    out = ok(e, "SHOW STREAMS;");
    assert_int_equal(json_array_size(jget(out, "0.streams")), 0);
    json_decref(out);
    sl_sql_engine_free(e);
}

static void test_statements_stop_at_first_error(void **state)
{
    (void)state;
    sl_sql_engine_t *e = new_engine();
    json_t *out = NULL;
    sl_sql_error_t err;
    sl_err_t r = sl_sql_execute(e,
                                "CREATE STREAM A (X INT) WITH (kafka_topic='a', value_format='JSON', partitions=1);\n"
                                "DROP STREAM NOPE;\n"
                                "CREATE STREAM B (X INT) WITH (kafka_topic='b', value_format='JSON', partitions=1);",
                                NULL, &out, &err);
    assert_int_equal(r, SL_ERR_NOENT);
    assert_null(out);
    assert_non_null(strstr(err.statement, "DROP STREAM NOPE"));
    out = ok(e, "SHOW STREAMS;");
    assert_int_equal(json_array_size(jget(out, "0.streams")), 1);
    assert_string_equal(jstr(out, "0.streams.0.name"), "A");
    json_decref(out);
    fails(e, "SELECT * FROM A EMIT CHANGES;", SL_ERR_INVAL, "SELECT");
    r = sl_sql_execute(e, "CREATE STREM X;", NULL, &out, &err);
    assert_int_equal(r, SL_ERR_PARSE);
    sl_sql_engine_free(e);
}

/* ---------------------------------------------------------------------------
 * Entities
 * ------------------------------------------------------------------------- */

static void test_show_describe_explain(void **state)
{
    (void)state;
    sl_sql_engine_t *e = new_engine();
    setup_s(e);
    ok0(e, "CREATE STREAM S2 AS SELECT ID, NAME FROM S EMIT CHANGES;");
    json_t *out = ok(e, "SHOW STREAMS;");
    assert_string_equal(jstr(out, "0.@type"), "streams");
    assert_string_equal(jstr(out, "0.streams.0.type"), "STREAM");
    assert_string_equal(jstr(out, "0.streams.0.name"), "S");
    assert_string_equal(jstr(out, "0.streams.0.topic"), "s");
    assert_string_equal(jstr(out, "0.streams.0.keyFormat"), "KAFKA");
    assert_string_equal(jstr(out, "0.streams.0.valueFormat"), "JSON");
    assert_true(json_is_false(jget(out, "0.streams.0.isWindowed")));
    assert_string_equal(jstr(out, "0.streams.1.name"), "S2");
    json_decref(out);

    out = ok(e, "DESCRIBE STREAMS EXTENDED;");
    assert_string_equal(jstr(out, "0.@type"), "source_descriptions");
    assert_string_equal(jstr(out, "0.sourceDescriptions.0.name"), "S");
    assert_true(json_is_true(jget(out, "0.sourceDescriptions.0.extended")));
    assert_int_equal(json_integer_value(jget(out, "0.sourceDescriptions.0.partitions")), 1);
    json_decref(out);

    out = ok(e, "SHOW TABLES;");
    assert_string_equal(jstr(out, "0.@type"), "tables");
    assert_int_equal(json_array_size(jget(out, "0.tables")), 0);
    json_decref(out);

    out = ok(e, "DESCRIBE S;");
    assert_string_equal(jstr(out, "0.@type"), "sourceDescription");
    json_t *d = jget(out, "0.sourceDescription");
    assert_string_equal(jstr(d, "name"), "S");
    assert_string_equal(jstr(d, "type"), "STREAM");
    assert_string_equal(jstr(d, "topic"), "s");
    assert_string_equal(jstr(d, "fields.0.name"), "ID");
    assert_string_equal(jstr(d, "fields.0.schema.type"), "INTEGER");
    assert_string_equal(jstr(d, "fields.0.type"), "KEY");
    assert_string_equal(jstr(d, "fields.1.name"), "NAME");
    assert_string_equal(jstr(d, "fields.1.schema.type"), "STRING");
    assert_null(jget(d, "fields.1.type"));
    assert_string_equal(jstr(d, "readQueries.0.id"), "CSAS_S2_1");
    assert_int_equal(json_array_size(jget(d, "writeQueries")), 0);
    json_decref(out);
    fails(e, "DESCRIBE NOPE;", SL_ERR_NOENT, "Could not find STREAM/TABLE 'NOPE' in the Metastore");

    out = ok(e, "SHOW QUERIES;");
    assert_string_equal(jstr(out, "0.@type"), "queries");
    assert_string_equal(jstr(out, "0.queries.0.id"), "CSAS_S2_1");
    assert_string_equal(jstr(out, "0.queries.0.sinks.0"), "S2");
    assert_string_equal(jstr(out, "0.queries.0.sinkKafkaTopics.0"), "S2");
    assert_string_equal(jstr(out, "0.queries.0.queryType"), "PERSISTENT");
    assert_non_null(strstr(jstr(out, "0.queries.0.queryString"), "CREATE STREAM S2"));
    json_decref(out);

    out = ok(e, "SHOW QUERIES EXTENDED;");
    assert_string_equal(jstr(out, "0.@type"), "query_descriptions");
    assert_string_equal(jstr(out, "0.queryDescriptions.0.id"), "CSAS_S2_1");
    assert_string_equal(jstr(out, "0.queryDescriptions.0.fields.0.name"), "ID");
    json_decref(out);

    out = ok(e, "EXPLAIN CSAS_S2_1;");
    assert_string_equal(jstr(out, "0.@type"), "queryDescription");
    assert_string_equal(jstr(out, "0.queryDescription.id"), "CSAS_S2_1");
    assert_string_equal(jstr(out, "0.queryDescription.sources.0"), "S");
    assert_string_equal(jstr(out, "0.queryDescription.sinks.0"), "S2");
    assert_non_null(strstr(jstr(out, "0.queryDescription.topology"), "Sub-topology"));
    json_decref(out);
    fails(e, "EXPLAIN NOPE_9;", SL_ERR_NOENT, "NOPE_9");

    out = ok(e, "SHOW FUNCTIONS;");
    assert_string_equal(jstr(out, "0.@type"), "function_names");
    json_t *fns = jget(out, "0.functions");
    bool saw_count = false;
    for (size_t i = 0; i < json_array_size(fns); i++) {
        json_t *f = json_array_get(fns, i);
        if (strcmp(json_string_value(json_object_get(f, "name")), "COUNT") == 0) {
            saw_count = true;
            assert_string_equal(json_string_value(json_object_get(f, "type")), "AGGREGATE");
        }
    }
    assert_true(saw_count);
    json_decref(out);
    out = ok(e, "DESCRIBE FUNCTION substring;");
    assert_string_equal(jstr(out, "0.@type"), "describe_function");
    assert_string_equal(jstr(out, "0.name"), "SUBSTRING");
    assert_string_equal(jstr(out, "0.type"), "SCALAR");
    assert_true(json_array_size(jget(out, "0.functions")) >= 2);
    assert_true(json_array_size(jget(out, "0.functions.0.arguments")) >= 2);
    assert_true(json_is_boolean(jget(out, "0.functions.0.arguments.0.isVariadic")));
    json_decref(out);
    fails(e, "DESCRIBE FUNCTION NOPE;", SL_ERR_NOENT, "Can't find any functions with the name 'NOPE'");
    sl_sql_engine_free(e);
}

static void test_set_unset_print_script(void **state)
{
    (void)state;
    sl_sql_engine_t *e = new_engine();
    setup_s(e);
    json_t *out = ok(e, "SET 'auto.offset.reset'='earliest';");
    assert_non_null(strstr(jstr(out, "0.commandStatus.message"), "'auto.offset.reset' to 'earliest'"));
    json_decref(out);
    fails(e, "SET 'auto.offset.reset'='sometimes';", SL_ERR_INVAL, "Invalid value sometimes");
    out = ok(e, "SHOW PROPERTIES;");
    assert_string_equal(jstr(out, "0.@type"), "properties");
    json_t *over = jget(out, "0.overwrittenProperties");
    assert_int_equal(json_array_size(over), 1);
    assert_string_equal(json_string_value(json_array_get(over, 0)), "auto.offset.reset");
    json_decref(out);
    out = ok(e, "UNSET 'auto.offset.reset';");
    assert_non_null(strstr(jstr(out, "0.commandStatus.message"), "(value was 'earliest')"));
    json_decref(out);
    out = ok(e, "SHOW PROPERTIES;");
    assert_int_equal(json_array_size(jget(out, "0.overwrittenProperties")), 0);
    json_decref(out);

    produce(e, "s", "7", "{\"NAME\":\"g\"}", 1000);
    out = ok(e, "PRINT 's' FROM BEGINNING LIMIT 1;");
    assert_string_equal(jstr(out, "0.@type"), "print");
    const char *line = jstr(out, "0.records.0");
    assert_non_null(line);
    assert_non_null(strstr(line, "rowtime: 1970/01/01 00:00:01.000 Z, key: 7, value: "));
    assert_non_null(strstr(line, "partition: 0"));
    json_decref(out);
    fails(e, "PRINT 'nope';", SL_ERR_NOENT, "Could not find topic 'nope'");

    char path[] = "/tmp/sl-engine-script-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *script = "CREATE STREAM T1 (X INT) WITH (kafka_topic='t1', value_format='JSON', partitions=1);\n"
                         "-- a comment\nCREATE STREAM T2 AS SELECT * FROM T1;\n";
    assert_int_equal(write(fd, script, strlen(script)), (ssize_t)strlen(script));
    close(fd);
    char sql[256];
    snprintf(sql, sizeof sql, "RUN SCRIPT '%s';", path);
    out = ok(e, sql);
    assert_int_equal(json_array_size(out), 2);
    assert_string_equal(jstr(out, "1.commandStatus.queryId"), "CSAS_T2_2");
    json_decref(out);
    unlink(path);
    fails(e, "RUN SCRIPT '/nonexistent/x.sql';", SL_ERR_IO, "Failed to read file");
    sl_sql_engine_free(e);
}

/* ---------------------------------------------------------------------------
 * Push and pull queries
 * ------------------------------------------------------------------------- */

static sl_sql_query_t *open_query(sl_sql_engine_t *e, const char *sql)
{
    sl_sql_query_t *q = NULL;
    sl_sql_error_t err;
    sl_err_t r = sl_sql_query_open(e, sql, NULL, &q, &err);
    if (r)
        fail_msg("%s: %s", sql, err.message);
    return q;
}

static void expect_row(sl_sql_query_t *q, const char *want)
{
    json_t *row = NULL;
    sl_err_t r = sl_sql_query_next(q, 0, &row);
    if (r)
        fail_msg("no row (%s), wanted %s", sl_err_name(r), want);
    json_t *w = json_loads(want, 0, NULL);
    char *got = json_dumps(row, JSON_COMPACT);
    if (!w || !json_equal(row, w))
        fail_msg("row %s, wanted %s", got, want);
    free(got);
    json_decref(w);
    json_decref(row);
}

static void test_push_query(void **state)
{
    (void)state;
    sl_sql_engine_t *e = new_engine();
    setup_s(e);
    sl_sql_query_t *q = open_query(e, "SELECT ID, NAME FROM S EMIT CHANGES LIMIT 2;");
    const json_t *h = sl_sql_query_header(q);
    assert_non_null(strstr(json_string_value(json_object_get(h, "queryId")), "transient_S_"));
    assert_string_equal(sl_sql_query_id(q), json_string_value(json_object_get(h, "queryId")));
    json_t *names = json_object_get(h, "columnNames");
    assert_int_equal(json_array_size(names), 2);
    assert_string_equal(json_string_value(json_array_get(names, 0)), "ID");
    assert_string_equal(json_string_value(json_array_get(json_object_get(h, "columnTypes"), 1)), "STRING");
    json_t *row = NULL;
    assert_int_equal(sl_sql_query_next(q, 0, &row), SL_ERR_TIMEOUT);
    produce(e, "s", "1", "{\"NAME\":\"a\"}", 10);
    produce(e, "s", "2", "{\"NAME\":\"b\"}", 11);
    produce(e, "s", "3", "{\"NAME\":\"c\"}", 12);
    expect_row(q, "[1, \"a\"]");
    expect_row(q, "[2, \"b\"]");
    assert_int_equal(sl_sql_query_next(q, 0, &row), SL_ERR_CLOSED);
    assert_int_equal(sl_sql_query_error(q, NULL), SL_OK);
    sl_sql_query_close(q);

    /* cancel by id; an open push query is listed by SHOW QUERIES */
    q = open_query(e, "SELECT * FROM S EMIT CHANGES;");
    json_t *out = ok(e, "SHOW QUERIES;");
    assert_string_equal(jstr(out, "0.queries.0.id"), sl_sql_query_id(q));
    assert_string_equal(jstr(out, "0.queries.0.queryType"), "PUSH");
    json_decref(out);
    assert_int_equal(sl_sql_query_cancel_id(e, sl_sql_query_id(q)), SL_OK);
    assert_int_equal(sl_sql_query_next(q, 0, &row), SL_ERR_CLOSED);
    sl_sql_query_close(q);
    assert_int_equal(sl_sql_query_cancel_id(e, "transient_S_1"), SL_ERR_NOENT);

    /* dropping the source stops the push queries reading it */
    ok0(e, "CREATE STREAM D (ID INT KEY, NAME STRING) WITH (kafka_topic='d', value_format='JSON', partitions=1);");
    q = open_query(e, "SELECT * FROM D EMIT CHANGES;");
    ok0(e, "DROP STREAM D;");
    assert_int_equal(sl_sql_query_next(q, 0, &row), SL_ERR_CLOSED);
    sl_sql_error_t qerr;
    assert_int_equal(sl_sql_query_error(q, &qerr), SL_ERR_STATE);
    assert_non_null(strstr(qerr.message, "dropped"));
    produce(e, "d", "1", "{\"NAME\":\"a\"}", 10);
    sl_sql_query_close(q);

    /* errors */
    sl_sql_error_t err;
    assert_int_equal(sl_sql_query_open(e, "SHOW STREAMS;", NULL, &q, &err), SL_ERR_INVAL);
    assert_null(q);
    assert_int_not_equal(sl_sql_query_open(e, "SELECT * FROM NOPE EMIT CHANGES;", NULL, &q, &err), SL_OK);
    assert_non_null(strstr(err.message, "NOPE"));
    sl_sql_engine_free(e);
}

static void test_pull_query(void **state)
{
    (void)state;
    sl_sql_engine_t *e = new_engine();
    setup_s(e);
    ok0(e, "CREATE TABLE T AS SELECT ID, COUNT(*) AS C FROM S GROUP BY ID EMIT CHANGES;");
    produce(e, "s", "1", "{\"NAME\":\"a\"}", 10);
    produce(e, "s", "1", "{\"NAME\":\"b\"}", 11);
    produce(e, "s", "2", "{\"NAME\":\"c\"}", 12);
    sl_sql_query_t *q = open_query(e, "SELECT * FROM T WHERE ID = 1;");
    json_t *names = json_object_get(sl_sql_query_header(q), "columnNames");
    assert_int_equal(json_array_size(names), 2);
    expect_row(q, "[1, 2]");
    json_t *row = NULL;
    assert_int_equal(sl_sql_query_next(q, 0, &row), SL_ERR_CLOSED);
    sl_sql_query_close(q);
    q = open_query(e, "SELECT ID, C FROM T;");
    int n = 0;
    while (sl_sql_query_next(q, 0, &row) == SL_OK && n < 10) {
        n++;
        json_decref(row);
    }
    assert_int_equal(n, 2);
    sl_sql_query_close(q);
    /* a table no query materializes cannot be pulled from */
    ok0(e, "CREATE TABLE U (ID INT PRIMARY KEY, V INT) WITH (kafka_topic='u', value_format='JSON', partitions=1);");
    sl_sql_error_t err;
    assert_int_not_equal(sl_sql_query_open(e, "SELECT * FROM U WHERE ID = 1;", NULL, &q, &err), SL_OK);
    assert_non_null(strstr(err.message, "isn't queryable"));
    sl_sql_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_create_needs_topic),
        cmocka_unit_test(test_csas_end_to_end),
        cmocka_unit_test(test_drop_and_terminate),
        cmocka_unit_test(test_statements_stop_at_first_error),
        cmocka_unit_test(test_show_describe_explain),
        cmocka_unit_test(test_set_unset_print_script),
        cmocka_unit_test(test_push_query),
        cmocka_unit_test(test_pull_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
