/* bind_test.c - statements parsed by the front end and bound against a
 * catalog: the plans, schemas, key columns and types they give, and
 * ksqlDB's error sentences for what is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "bind_int.h"

typedef struct fx {
    sl_arena_t arena;
    sl_sql_catalog_t *cat;
    sl_sql_bind_env_t env;
    sl_sql_error_t err;
    sl_sql_bound_query_t q;
    int n;
} fx_t;

static fx_t F;

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    sl_arena_init(&F.arena, 0, 0);
    F.cat = sl_sql_catalog_new();
    F.env.catalog = F.cat;
    F.env.arena = &F.arena;
    F.env.query_id = "CSAS_TEST_0";
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sl_sql_catalog_free(F.cat);
    sl_arena_fini(&F.arena);
    return 0;
}

/* Parses and binds one statement; CREATEs and CREATE ... AS go into the
 * catalog. Returns the binder's error code. */
static sl_err_t run(const char *sql)
{
    sl_sql_list_t *stmts = NULL;
    memset(&F.err, 0, sizeof F.err);
    memset(&F.q, 0, sizeof F.q);
    sl_err_t e = sl_sql_parse(&F.arena, sql, strlen(sql), &stmts, &F.err);
    if (e) {
        print_message("parse error: %s\n", F.err.message);
        return e;
    }
    assert_int_equal(stmts->n, 1);
    const sl_sql_stmt_t *st = stmts->items[0];
    switch (st->kind) {
    case SL_SQL_S_CREATE_STREAM:
    case SL_SQL_S_CREATE_TABLE: {
        sl_sql_source_t *src = NULL;
        e = sl_sql_bind_create(&F.env, st, &src, &F.err);
        if (!e)
            assert_int_equal(sl_sql_catalog_add(F.cat, src, st->or_replace), 0);
        return e;
    }
    case SL_SQL_S_CREATE_STREAM_AS:
    case SL_SQL_S_CREATE_TABLE_AS:
    case SL_SQL_S_INSERT_INTO:
    case SL_SQL_S_SELECT:
        e = sl_sql_bind_query(&F.env, st, &F.q, &F.err);
        if (!e && F.q.sink)
            assert_int_equal(sl_sql_catalog_add(F.cat, F.q.sink, false), 0);
        return e;
    default:
        fail_msg("unexpected statement kind %d", st->kind);
    }
    return SL_ERR_INVAL;
}

static void ok(const char *sql)
{
    sl_err_t e = run(sql);
    if (e)
        fail_msg("%s\n  -> %s", sql, F.err.message);
}

static void fails(const char *sql, const char *substring)
{
    sl_err_t e = run(sql);
    if (!e)
        fail_msg("%s\n  -> succeeded, expected '%s'", sql, substring);
    if (!strstr(F.err.message, substring))
        fail_msg("%s\n  -> '%s'\n  expected '%s'", sql, F.err.message, substring);
}

/* "ID INTEGER KEY, NAME STRING" of a schema. */
static const char *schema_of(const sl_sql_schema_t *s)
{
    static char out[1024];
    sl_buf_t b;
    sl_buf_init(&b);
    sl_sql_schema_format(s, false, &b);
    snprintf(out, sizeof out, "%.*s", (int)b.len, b.data ? (const char *)b.data : "");
    sl_buf_free(&b);
    return out;
}

static const sl_sql_plan_t *find_kind(const sl_sql_plan_t *p, sl_sql_pkind_t k)
{
    for (; p; p = p->input) {
        if (p->kind == k)
            return p;
        if (p->kind == SL_SQL_P_JOIN) {
            const sl_sql_plan_t *r = find_kind(p->right, k);
            if (r)
                return r;
        }
    }
    return NULL;
}

static void base_streams(void)
{
    ok("CREATE STREAM S (ID INT KEY, NAME STRING, AGE INT) WITH (kafka_topic='s', value_format='JSON');");
    ok("CREATE TABLE T (ID INT PRIMARY KEY, CITY STRING) WITH (kafka_topic='t', value_format='JSON');");
}

static void test_create(void **state)
{
    (void)state;
    base_streams();
    const sl_sql_source_t *s = sl_sql_catalog_find(F.cat, "S");
    assert_non_null(s);
    assert_false(s->is_table);
    assert_string_equal(s->topic, "s");
    assert_int_equal(s->key_fmt.kind, SL_SQL_FMT_KAFKA);
    assert_int_equal(s->value_fmt.kind, SL_SQL_FMT_JSON);
    assert_string_equal(schema_of(&s->schema), "ID INTEGER KEY, NAME STRING, AGE INTEGER");
    ok("CREATE STREAM K (V STRING) WITH (kafka_topic='k', format='JSON');");
    assert_int_equal(sl_sql_catalog_find(F.cat, "K")->key_fmt.kind, SL_SQL_FMT_JSON);
    ok("CREATE STREAM NK (V STRING) WITH (kafka_topic='nk', value_format='DELIMITED', value_delimiter='|');");
    assert_int_equal(sl_sql_catalog_find(F.cat, "NK")->key_fmt.kind, SL_SQL_FMT_NONE);
    assert_int_equal(sl_sql_catalog_find(F.cat, "NK")->value_fmt.delimiter, '|');
    ok("CREATE STREAM TS (ID INT KEY, T BIGINT) WITH (kafka_topic='ts', value_format='JSON', timestamp='t');");
    assert_string_equal(sl_sql_catalog_find(F.cat, "TS")->timestamp_col, "T");
    ok("CREATE TABLE W (ID INT PRIMARY KEY, C BIGINT) WITH (kafka_topic='w', value_format='JSON', "
       "window_type='Tumbling', window_size='10 SECONDS');");
    assert_int_equal(sl_sql_catalog_find(F.cat, "W")->window.kind, SL_SQL_WIN_TUMBLING);
    assert_int_equal(sl_sql_catalog_find(F.cat, "W")->window.size_ms, 10000);
}

static void test_create_errors(void **state)
{
    (void)state;
    base_streams();
    fails("CREATE STREAM S (A INT) WITH (kafka_topic='x', value_format='JSON');",
          "Cannot add stream 'S': A stream with the same name already exists");
    fails("CREATE STREAM X (ID INT PRIMARY KEY, A INT) WITH (kafka_topic='x', value_format='JSON');",
          "Column `ID` is a 'PRIMARY KEY' column: please use 'KEY' for streams.");
    fails("CREATE TABLE X (ID INT KEY, A INT) WITH (kafka_topic='x', value_format='JSON');",
          "Column `ID` is a 'KEY' column: please use 'PRIMARY KEY' for tables.");
    fails("CREATE TABLE X (ID INT, A INT) WITH (kafka_topic='x', value_format='JSON');",
          "Tables require a PRIMARY KEY. Please define the PRIMARY KEY.");
    fails("CREATE STREAM X (A INT) WITH (kafka_topic='x', value_format='JSON', foo='bar');",
          "Invalid config variable(s) in the WITH clause: FOO");
    fails("CREATE STREAM X (A INT) WITH (value_format='JSON');", "KAFKA_TOPIC");
    fails("CREATE STREAM X (A INT) WITH (kafka_topic='x');", "'VALUE_FORMAT' property");
    fails("CREATE STREAM X (A INT, A STRING) WITH (kafka_topic='x', value_format='JSON');", "Duplicate column names");
    fails("CREATE STREAM X (A INT KEY, B INT KEY, C INT) WITH (kafka_topic='x', value_format='JSON');",
          "The 'KAFKA' format only supports a single field");
    fails("CREATE STREAM X (A INT, T STRING) WITH (kafka_topic='x', value_format='JSON', timestamp='T');",
          "Timestamp column, `T`, should be LONG(INT64), TIMESTAMP, or a String with a timestamp_format specified.");
    fails("CREATE STREAM X (A INT) WITH (kafka_topic='x', value_format='JSON', timestamp='NOPE');",
          "The TIMESTAMP column set in the WITH clause does not exist in the schema: 'NOPE'");
    fails("CREATE STREAM X (A INT) WITH (kafka_topic='x', value_format='JSON', format='JSON');",
          "Cannot supply both 'VALUE_FORMAT' and 'FORMAT' properties");
    fails("CREATE STREAM X (ROWTIME BIGINT) WITH (kafka_topic='x', value_format='JSON');",
          "'ROWTIME' is a reserved column name.");
}

static void test_select(void **state)
{
    (void)state;
    base_streams();
    ok("SELECT * FROM S WHERE AGE > 3 EMIT CHANGES;");
    const sl_sql_plan_t *root = F.q.root;
    assert_non_null(root);
    assert_int_equal(root->kind, SL_SQL_P_SINK);
    assert_null(root->topic);
    assert_false(F.q.is_pull);
    assert_string_equal(schema_of(&root->out), "ID INTEGER, NAME STRING, AGE INTEGER");
    assert_non_null(find_kind(root, SL_SQL_P_FILTER));
    const sl_sql_plan_t *src = find_kind(root, SL_SQL_P_SOURCE);
    assert_non_null(src);
    assert_non_null(src->key_codec);
    assert_non_null(src->value_codec);
    assert_int_equal(F.q.n_sources, 1);
    assert_string_equal(F.q.source_names[0], "S");

    ok("SELECT NAME, AGE + 1, UCASE(NAME) AS U, ROWTIME FROM S EMIT CHANGES LIMIT 3;");
    assert_string_equal(schema_of(&F.q.root->out), "NAME STRING, KSQL_COL_0 INTEGER, U STRING, ROWTIME BIGINT");
    assert_int_equal(F.q.root->limit, 3);
    ok("SELECT x.name, age FROM S x EMIT CHANGES;");
    fails("SELECT S.NAME FROM S x EMIT CHANGES;", "SELECT column 'S.NAME' cannot be resolved.");
}

static void test_select_errors(void **state)
{
    (void)state;
    base_streams();
    fails("SELECT NOPE FROM S EMIT CHANGES;", "SELECT column 'NOPE' cannot be resolved.");
    fails("SELECT * FROM S WHERE NOPE = 1 EMIT CHANGES;", "WHERE column 'NOPE' cannot be resolved.");
    fails("SELECT * FROM NOPE EMIT CHANGES;", "NOPE does not exist.");
    assert_int_equal(F.err.code, SL_ERR_NOENT);
    fails("SELECT * FROM SS EMIT CHANGES;", "Did you mean S");
    fails("SELECT COUNT(*) FROM S EMIT CHANGES;", "Use of aggregate function COUNT requires a GROUP BY clause.");
    ok("SELECT * FROM S;"); /* a pull query on a stream: a scan of its topic */
    fails("SELECT * FROM S WINDOW TUMBLING (SIZE 1 SECOND);", "Pull queries don't support WINDOW clauses.");
    fails("SELECT * FROM S EMIT FINAL;", "EMIT FINAL is only supported for windowed aggregations.");
    fails("SELECT ID, COUNT(*) FROM S GROUP BY ID EMIT FINAL;", "EMIT FINAL is only supported for windowed aggregations.");
    fails("SELECT NAME, COUNT(*) FROM S GROUP BY ID EMIT CHANGES;",
          "Non-aggregate SELECT expression(s) not part of GROUP BY: NAME");
    fails("SELECT * FROM S WHERE NAME EMIT CHANGES;", "WHERE");
}

static void test_csas(void **state)
{
    (void)state;
    base_streams();
    ok("CREATE STREAM S2 AS SELECT ID, NAME FROM S WHERE AGE > 10;");
    const sl_sql_source_t *s2 = sl_sql_catalog_find(F.cat, "S2");
    assert_non_null(s2);
    assert_string_equal(s2->topic, "S2");
    assert_string_equal(schema_of(&s2->schema), "ID INTEGER KEY, NAME STRING");
    assert_string_equal(s2->writer_query, "CSAS_TEST_0");
    assert_non_null(F.q.root->sink_key_codec);
    assert_string_equal(F.q.root->topic, "S2");
    ok("CREATE STREAM S3 WITH (kafka_topic='three', value_format='DELIMITED', partitions=3) AS SELECT * FROM S;");
    const sl_sql_source_t *s3 = sl_sql_catalog_find(F.cat, "S3");
    assert_string_equal(s3->topic, "three");
    assert_int_equal(s3->value_fmt.kind, SL_SQL_FMT_DELIMITED);
    assert_int_equal(s3->partitions, 3);
    assert_string_equal(schema_of(&s3->schema), "ID INTEGER KEY, NAME STRING, AGE INTEGER");
    fails("CREATE STREAM S4 AS SELECT NAME FROM S;",
          "The query used to build `S4` must include the key column ID in its projection");
    fails("CREATE TABLE T2 AS SELECT * FROM S;", "Invalid result type. Your SELECT query produces a STREAM.");
    fails("CREATE STREAM S5 AS SELECT * FROM T;", "Invalid result type. Your SELECT query produces a TABLE.");
    fails("CREATE STREAM S6 AS SELECT ID, ROWTIME FROM S;", "Reserved column name in select: `ROWTIME`.");
    fails("CREATE STREAM S7 AS SELECT ID, NAME AS ROWTIME FROM S;", "`ROWTIME` is a reserved column name.");
    ok("INSERT INTO S2 SELECT ID, NAME FROM S;");
    assert_string_equal(F.q.root->topic, "S2");
    fails("INSERT INTO S2 SELECT ID, AGE FROM S;", "Incompatible schema between results and sink.");
}

static void test_partition_by(void **state)
{
    (void)state;
    base_streams();
    ok("CREATE STREAM P1 AS SELECT * FROM S PARTITION BY NAME;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "P1")->schema), "NAME STRING KEY, AGE INTEGER, ID INTEGER");
    assert_non_null(find_kind(F.q.root, SL_SQL_P_REKEY));
    ok("CREATE STREAM P2 AS SELECT * FROM S PARTITION BY ABS(ID);");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "P2")->schema),
                        "KSQL_COL_0 INTEGER KEY, NAME STRING, AGE INTEGER, ID INTEGER");
    ok("CREATE STREAM P3 AS SELECT NAME AS NEW_KEY, ID, AGE FROM S PARTITION BY NAME;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "P3")->schema), "NEW_KEY STRING KEY, ID INTEGER, AGE INTEGER");
    ok("CREATE STREAM P4 AS SELECT ID, NAME FROM S PARTITION BY null;");
    const sl_sql_source_t *p4 = sl_sql_catalog_find(F.cat, "P4");
    assert_string_equal(schema_of(&p4->schema), "ID INTEGER, NAME STRING");
    assert_int_equal(p4->key_fmt.kind, SL_SQL_FMT_NONE);
    fails("CREATE STREAM P5 AS SELECT NAME, ID FROM S PARTITION BY ABS(ID);",
          "The query used to build `P5` must include the partitioning expression ABS(S.ID) in its projection (eg, "
          "SELECT ABS(S.ID)...).");
    fails("CREATE STREAM P6 AS SELECT NAME, NAME AS NAME2, ID FROM S PARTITION BY NAME;",
          "The projection contains a key column (`NAME`) more than once, aliased as: NAME and NAME2.");
    fails("CREATE STREAM P7 WITH (key_format='DELIMITED') AS SELECT ID, NAME FROM S PARTITION BY null;",
          "Key format specified for stream without key columns.");
    fails("CREATE STREAM P8 AS SELECT * FROM S PARTITION BY NOPE;",
          "PARTITION BY column 'NOPE' cannot be resolved.");
}

static void test_group_by(void **state)
{
    (void)state;
    base_streams();
    ok("CREATE TABLE C AS SELECT NAME, COUNT(*), SUM(AGE) AS TOTAL FROM S GROUP BY NAME;");
    const sl_sql_source_t *c = sl_sql_catalog_find(F.cat, "C");
    assert_true(c->is_table);
    assert_string_equal(schema_of(&c->schema), "NAME STRING KEY, KSQL_COL_0 BIGINT, TOTAL INTEGER");
    const sl_sql_plan_t *agg = find_kind(F.q.root, SL_SQL_P_AGGREGATE);
    assert_non_null(agg);
    assert_int_equal(agg->n_group, 1);
    assert_int_equal(agg->n_aggs, 2);
    assert_string_equal(agg->store, "Aggregate-Aggregate-Materialize");
    ok("CREATE TABLE CW AS SELECT ID, WINDOWSTART AS WS, COUNT(*) AS N FROM S WINDOW TUMBLING (SIZE 1 MINUTE) "
       "GROUP BY ID HAVING COUNT(*) > 1 EMIT FINAL;");
    const sl_sql_source_t *cw = sl_sql_catalog_find(F.cat, "CW");
    assert_int_equal(cw->window.kind, SL_SQL_WIN_TUMBLING);
    assert_int_equal(cw->window.size_ms, 60000);
    assert_string_equal(schema_of(&cw->schema), "ID INTEGER KEY, WS BIGINT, N BIGINT");
    assert_non_null(find_kind(F.q.root, SL_SQL_P_SUPPRESS));
    ok("SELECT ID, COUNT(*) FROM S GROUP BY ID EMIT CHANGES;");
    assert_string_equal(schema_of(&F.q.root->out), "ID INTEGER, KSQL_COL_0 BIGINT");
    fails("CREATE TABLE C2 AS SELECT COUNT(*) FROM S GROUP BY NAME;",
          "must include the grouping expression NAME in its projection");
    fails("CREATE TABLE C4 AS SELECT COUNT(*) FROM S GROUP BY ID, NAME, AGE;",
          "The query used to build `C4` must include the grouping expressions ID, NAME and AGE in its projection (eg, "
          "SELECT ID, NAME, AGE...).");
    fails("CREATE TABLE C5 AS SELECT NAME, NAME AS N2, COUNT(*) FROM S GROUP BY NAME;",
          "The projection contains a key column more than once: `NAME` and `N2`.");
    fails("CREATE TABLE C6 AS SELECT *, COUNT(*) FROM S GROUP BY ID;", "Non-aggregate SELECT expression(s) not part of GROUP BY: NAME");
    fails("CREATE TABLE C7 AS SELECT COUNT(*) FROM S;",
          "CREATE TABLE AS SELECT statement does not support aggregate function [COUNT(ROWTIME)] without a GROUP BY clause.");
    fails("CREATE TABLE C8 AS SELECT NAME AS X, COUNT(*) AS X FROM S GROUP BY NAME;",
          "Duplicate value columns found in schema: `X` BIGINT");
    fails("CREATE TABLE C9 AS SELECT ID, NAME, COUNT(*) FROM S GROUP BY ID, NAME;", "Key format does not support schema.");
    ok("CREATE TABLE C10 WITH (key_format='JSON') AS SELECT *, COUNT(*) AS N FROM S GROUP BY ID, NAME, AGE;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "C10")->schema),
                        "ID INTEGER KEY, NAME STRING KEY, AGE INTEGER KEY, N BIGINT");
    ok("CREATE TABLE C11 WITH (key_format='JSON') AS SELECT 1 AS K, NAME, COUNT(*) AS N FROM S GROUP BY NAME, 1;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "C11")->schema),
                        "NAME STRING KEY, K INTEGER KEY, N BIGINT");
    ok("CREATE TABLE C12 AS SELECT AGE + ID AS K, SUM(AGE + ID) AS S FROM S GROUP BY AGE + ID HAVING AGE + ID > 3;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "C12")->schema), "K INTEGER KEY, S INTEGER");
    fails("CREATE TABLE C13 AS SELECT COUNT(*) FROM S GROUP BY NAME, S.NAME;", "Duplicate GROUP BY expression: S.NAME");
    ok("CREATE TABLE C14 WITH (format='DELIMITED') AS SELECT AGE, NAME, ID, AGE / ID, COUNT(*) FROM S GROUP BY AGE, NAME, ID;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "C14")->schema),
                        "AGE INTEGER KEY, NAME STRING KEY, ID INTEGER KEY, KSQL_COL_0 INTEGER, KSQL_COL_1 BIGINT");
    fails("CREATE TABLE C3 AS SELECT ID, MAX(CITY) FROM T GROUP BY ID;",
          "The aggregation function MAX cannot be applied to a table source, only to a stream source.");
}

static void test_joins(void **state)
{
    (void)state;
    base_streams();
    ok("CREATE STREAM J AS SELECT S.ID, S.NAME, T.CITY FROM S JOIN T ON S.ID = T.ID;");
    const sl_sql_source_t *j = sl_sql_catalog_find(F.cat, "J");
    assert_string_equal(schema_of(&j->schema), "S_ID INTEGER KEY, NAME STRING, CITY STRING");
    const sl_sql_plan_t *jn = find_kind(F.q.root, SL_SQL_P_JOIN);
    assert_non_null(jn);
    assert_int_equal(jn->join, SL_SQL_JOIN_INNER);
    /* Pruned: only what the projection reads crosses the join. */
    assert_string_equal(schema_of(&jn->out), "S_ID INTEGER KEY, S_NAME STRING, T_CITY STRING"); /* internal names */
    assert_int_equal(jn->input->n_exprs, 1);
    assert_null(find_kind(F.q.root, SL_SQL_P_REKEY));
    ok("CREATE STREAM J2 AS SELECT S.AGE, T.CITY FROM S LEFT JOIN T ON S.AGE = T.ID;");
    assert_non_null(find_kind(F.q.root, SL_SQL_P_REKEY));
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "J2")->schema), "AGE INTEGER KEY, CITY STRING");
    ok("CREATE STREAM L (A INT KEY, B INT, C INT) WITH (kafka_topic='LEFT', value_format='JSON');");
    ok("CREATE STREAM R (A INT KEY, B INT, C INT) WITH (kafka_topic='RIGHT', value_format='JSON');");
    fails("CREATE STREAM O1 AS SELECT * FROM L JOIN R ON L.A = R.A;",
          "Stream-Stream joins must have a WITHIN clause specified.");
    fails("CREATE STREAM O2 AS SELECT l.B, l.C, R.B, R.C FROM L INNER JOIN R WITHIN 10 SECONDS ON L.A = R.A;",
          "The query used to build `O2` must include the join expressions L.A or R.A in its projection (eg, SELECT L.A...).");
    fails("CREATE STREAM O3 AS SELECT l.*, r.* FROM L INNER JOIN R WITHIN 10 SECONDS ON ABS(L.A) = ABS(R.A);",
          "Key missing from projection (ie, SELECT). See https://cnfl.io/2LV7ouS.");
    ok("CREATE STREAM O4 AS SELECT R.A, L.B, L.C, R.B, R.C FROM L RIGHT JOIN R WITHIN 10 SECONDS ON L.A = R.A;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "O4")->schema),
                        "R_A INTEGER KEY, L_B INTEGER, L_C INTEGER, R_B INTEGER, R_C INTEGER");
    ok("CREATE STREAM O5 AS SELECT * FROM L JOIN R WITHIN 10 SECONDS ON L.A = R.A;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "O5")->schema),
                        "L_A INTEGER KEY, L_B INTEGER, L_C INTEGER, R_A INTEGER, R_B INTEGER, R_C INTEGER");
    ok("CREATE STREAM O8 AS SELECT L.*, R.* FROM L INNER JOIN R WITHIN 10 SECONDS ON L.A = ABS(R.A);");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "O8")->schema),
                        "L_A INTEGER KEY, L_B INTEGER, L_C INTEGER, R_A INTEGER, R_B INTEGER, R_C INTEGER");
    ok("CREATE STREAM O9 AS SELECT L.*, R.* FROM L INNER JOIN R WITHIN 10 SECONDS ON ABS(L.A) = R.A;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "O9")->schema),
                        "R_A INTEGER KEY, L_A INTEGER, L_B INTEGER, L_C INTEGER, R_B INTEGER, R_C INTEGER");
    ok("CREATE STREAM O10 AS SELECT L.B, L.C, R.* FROM L INNER JOIN R WITHIN 10 SECONDS ON L.A = R.A;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "O10")->schema),
                        "R_A INTEGER KEY, L_B INTEGER, L_C INTEGER, R_B INTEGER, R_C INTEGER");
    ok("CREATE STREAM O11 AS SELECT * FROM L FULL OUTER JOIN R WITHIN 10 SECONDS ON L.A = R.A;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "O11")->schema),
                        "ROWKEY INTEGER KEY, L_A INTEGER, L_B INTEGER, L_C INTEGER, R_A INTEGER, R_B INTEGER, R_C INTEGER");
    ok("CREATE STREAM O12 AS SELECT ROWKEY AS A, l.B, l.C, r.* FROM L INNER JOIN R WITHIN 10 SECONDS ON ABS(L.A) = ABS(R.A);");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "O12")->schema),
                        "A INTEGER KEY, L_B INTEGER, L_C INTEGER, R_A INTEGER, R_B INTEGER, R_C INTEGER");
    fails("CREATE STREAM O13 AS SELECT l.B, l.C, r.* FROM L FULL OUTER JOIN R WITHIN 10 SECONDS ON L.A = R.A;",
          "The query used to build `O13` must include the join expression ROWKEY in its projection (eg, SELECT ROWKEY...).");
    fails("CREATE STREAM O14 AS SELECT l.*, r.B, r.C FROM L LEFT JOIN R WITHIN 10 SECONDS ON ABS(L.A) = R.A;",
          "The query used to build `O14` must include the join expression R.A in its projection (eg, SELECT R.A...).");
    fails("CREATE STREAM O15 AS SELECT l.A, l.A AS KEY2, l.C, R.C FROM L JOIN R WITHIN 10 SECONDS ON L.A = R.A;",
          "The projection contains a key column (`L_A`) more than once, aliased as: KEY2 and L_A.");
    ok("CREATE STREAM TEST (K STRING KEY, ID bigint, NAME varchar, VALUE bigint) WITH (kafka_topic='left_topic', "
       "value_format='JSON');");
    ok("CREATE STREAM TEST_STREAM (K STRING KEY, ID bigint, F1 varchar, F2 bigint) WITH (kafka_topic='right_topic', "
       "value_format='JSON');");
    ok("CREATE STREAM O16 as SELECT t.id, t.k, name, value, f1, f2 FROM test t left join TEST_STREAM tt WITHIN 11 "
       "seconds ON t.id = tt.id;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "O16")->schema),
                        "T_ID BIGINT KEY, T_K STRING, NAME STRING, VALUE BIGINT, F1 STRING, F2 BIGINT");
    ok("CREATE STREAM S_LEFT (ID BIGINT KEY, NAME varchar) WITH (kafka_topic='left_topic', value_format='KAFKA');");
    ok("CREATE STREAM S_RIGHT (ID BIGINT KEY, NAME varchar) WITH (kafka_topic='right_topic', value_format='KAFKA');");
    fails("CREATE STREAM O17 WITH(value_format='delimited') as SELECT * FROM s_left LEFT JOIN s_right WITHIN 1 second "
          "ON s_left.id = s_right.id;",
          "Source(s) S_LEFT, S_RIGHT are using the 'KAFKA' value format. This format does not yet support JOIN.");
    ok("CREATE TABLE AGGJ AS SELECT T.CITY, COUNT(*) AS N FROM S JOIN T ON S.ID = T.ID GROUP BY T.CITY;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "AGGJ")->schema), "CITY STRING KEY, N BIGINT");
    jn = find_kind(F.q.root, SL_SQL_P_JOIN);
    assert_non_null(jn);
    assert_string_equal(schema_of(&jn->out), "S_ID INTEGER KEY, T_CITY STRING"); /* pruned below the aggregate */
    fails("CREATE STREAM O6 AS SELECT * FROM S JOIN T ON S.NAME = T.CITY;",
          "Invalid join condition: stream-table joins require to join on the table's primary key. Got S.NAME = T.CITY.");
    fails("CREATE STREAM O7 AS SELECT * FROM T JOIN S ON S.ID = T.ID;",
          "Invalid join order: table-stream joins are not supported; only stream-table joins. Got T [INNER] JOIN S.");
    fails("CREATE STREAM O7 AS SELECT * FROM T LEFT JOIN S ON S.ID = T.ID;",
          "Invalid join order: table-stream joins are not supported; only stream-table joins. Got T LEFT [OUTER] JOIN S.");
    fails("CREATE STREAM O7 AS SELECT * FROM S FULL OUTER JOIN T ON S.ID = T.ID;",
          "Invalid join type: full-outer join not supported for stream-table join. Got S [FULL] OUTER JOIN T.");
    fails("SELECT B FROM L JOIN R WITHIN 1 SECOND ON L.A = R.A EMIT CHANGES;", "Column 'B' is ambiguous.");
}

static void test_join_names(void **state)
{
    (void)state;
    ok("CREATE STREAM TEST (ID BIGINT KEY, NAME varchar, VALUE bigint) WITH (kafka_topic='left_topic', value_format='JSON');");
    ok("CREATE STREAM TEST_STREAM (ID BIGINT KEY, F1 varchar, F2 bigint) WITH (kafka_topic='right_topic', value_format='JSON');");
    ok("CREATE STREAM J1 as SELECT t.*, tt.f1 FROM test t inner join TEST_STREAM tt WITHIN 11 SECONDS ON t.id = tt.id;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "J1")->schema),
                        "T_ID BIGINT KEY, T_NAME STRING, T_VALUE BIGINT, F1 STRING");
    ok("CREATE STREAM J2 as SELECT t.*, tt.name, tt.id FROM test tt inner join TEST_STREAM t WITHIN 11 SECONDS ON t.id = tt.id;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "J2")->schema),
                        "TT_ID BIGINT KEY, T_ID BIGINT, T_F1 STRING, T_F2 BIGINT, NAME STRING");
    ok("CREATE STREAM J3 as SELECT t.*, t.F1 AS F1_2, tt.*, tt.NAME AS NAME_2 FROM test tt inner join TEST_STREAM t "
       "WITHIN 11 SECONDS ON t.id = tt.id;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "J3")->schema),
                        "TT_ID BIGINT KEY, T_ID BIGINT, T_F1 STRING, T_F2 BIGINT, F1_2 STRING, TT_NAME STRING, TT_VALUE BIGINT, "
                        "NAME_2 STRING");
}

static void test_join_partition_by(void **state)
{
    (void)state;
    ok("CREATE STREAM L (A INT KEY, B INT, C INT) WITH (kafka_topic='LEFT', value_format='JSON');");
    ok("CREATE STREAM R (X INT KEY, Y INT, Z INT) WITH (kafka_topic='RIGHT', value_format='JSON');");
    ok("CREATE STREAM O1 AS SELECT * FROM L JOIN R WITHIN 10 SECONDS ON L.A = R.X PARTITION BY L.B;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "O1")->schema),
                        "L_B INTEGER KEY, L_C INTEGER, L_ROWTIME BIGINT, L_ROWPARTITION INTEGER, L_ROWOFFSET BIGINT, "
                        "L_A INTEGER, R_Y INTEGER, R_Z INTEGER, R_ROWTIME BIGINT, R_ROWPARTITION INTEGER, "
                        "R_ROWOFFSET BIGINT, R_X INTEGER");
    ok("CREATE STREAM O2 AS SELECT * FROM L JOIN R WITHIN 10 SECONDS ON L.B = R.Y PARTITION BY A;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "O2")->schema),
                        "L_A INTEGER KEY, L_B INTEGER, L_C INTEGER, L_ROWTIME BIGINT, L_ROWPARTITION INTEGER, "
                        "L_ROWOFFSET BIGINT, R_Y INTEGER, R_Z INTEGER, R_ROWTIME BIGINT, R_ROWPARTITION INTEGER, "
                        "R_ROWOFFSET BIGINT, R_X INTEGER");
}

static void test_multi_joins(void **state)
{
    (void)state;
    ok("CREATE STREAM S1 (ID INT KEY, V0 BIGINT) WITH (kafka_topic='left', value_format='JSON');");
    ok("CREATE TABLE T2 (ID INT PRIMARY KEY, V0 BIGINT) WITH (kafka_topic='right', value_format='JSON');");
    ok("CREATE TABLE T3 (ID INT PRIMARY KEY, V0 BIGINT) WITH (kafka_topic='right2', value_format='JSON');");
    fails("CREATE STREAM OUTPUT as SELECT s1.V0, t2.V0, t3.V0 FROM S1 JOIN T2 ON S1.ID = T2.ID JOIN T3 ON S1.ID = T3.ID;",
          "The query used to build `OUTPUT` must include the join expressions S1.ID, T2.ID or T3.ID in its projection "
          "(eg, SELECT S1.ID...).");
    ok("CREATE STREAM OUTPUT as SELECT S1.ID, s1.V0, t2.V0, t3.V0 FROM S1 JOIN T2 ON S1.ID = T2.ID "
       "JOIN T3 ON T2.ID = T3.ID;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "OUTPUT")->schema),
                        "S1_ID INTEGER KEY, S1_V0 BIGINT, T2_V0 BIGINT, T3_V0 BIGINT");
    const sl_sql_plan_t *j = find_kind(F.q.root, SL_SQL_P_JOIN);
    assert_non_null(j);
    assert_int_equal(j->input->kind, SL_SQL_P_JOIN);
    assert_null(find_kind(F.q.root, SL_SQL_P_REKEY));
    fails("CREATE STREAM O9 as SELECT * FROM S1 JOIN T2 ON S1.V0 = T2.V0 JOIN T3 ON S1.V0 = S1.V0;",
          "Each side of the join must reference exactly one source and not the same source. Left side references `S1` "
          "and right references `S1`");
    fails("CREATE STREAM O10 as SELECT * FROM S1 JOIN T2 ON S1.ID = T2.ID JOIN T3 ON S1.ID = T2.ID;",
          "A join criteria is expected to reference the source (`T3`) in the FROM clause, instead the right source "
          "references `T2` and the left source references `S1`");
    fails("CREATE STREAM O11 as SELECT S1.ID FROM S1 JOIN T2 ON S1.ID = 0 JOIN T3 ON S1.ID = T3.ID;",
          "Invalid comparison expression '0' in join '(S1.ID = 0)'. Each side of the join comparision must contain "
          "references from exactly one source.");
    ok("CREATE TABLE T9 (ID INT PRIMARY KEY, V0 bigint) WITH (kafka_topic='right9', value_format='JSON', PARTITIONS=2);");
    ok("CREATE STREAM S9 (ID INT KEY, V0 bigint) WITH (kafka_topic='left9', value_format='JSON', PARTITIONS=1);");
    fails("CREATE STREAM O12 as SELECT * FROM S9 JOIN T9 ON S9.ID = T9.ID;",
          "Can't join `S9` with `T9` since the number of partitions don't match. `S9` partitions = 1; `T9` partitions = "
          "2. Please repartition either one so that the number of partitions match.");
    fails("CREATE STREAM O2 AS SELECT * FROM S1 JOIN T2 ON S1.ID = T2.ID JOIN T2 ON S1.ID = T2.ID;",
          "N-way joins do not support multiple occurrences of the same source. Source: 'T2'.");
    fails("CREATE STREAM O4 as SELECT s1.V0, t2.V0, t3.V0 FROM S1 INNER JOIN T2 ON S1.ID + 1 = T2.ID INNER JOIN T3 ON "
          "S1.ID = T3.ID;",
          "The query used to build `O4` must include the join expressions S1.ID or T3.ID in its projection (eg, SELECT "
          "S1.ID...).");
    fails("CREATE STREAM O5 as SELECT s1.V0, t2.V0, t3.V0 FROM S1 LEFT JOIN T2 ON S1.ID = T2.ID LEFT JOIN T3 ON "
          "S1.ID + 1 = T3.ID;",
          "The query used to build `O5` must include the join expression T3.ID in its projection (eg, SELECT T3.ID...).");
    ok("CREATE STREAM X1 (ID INT KEY, K INT, V0 bigint) WITH (kafka_topic='x1', value_format='JSON');");
    ok("CREATE STREAM X2 (ID INT KEY, K INT, V0 bigint) WITH (kafka_topic='x2', value_format='JSON');");
    ok("CREATE STREAM O6 as SELECT x1.k, x1.V0, x2.V0, t3.V0 FROM X1 JOIN X2 WITHIN 10 seconds ON X1.K = X2.K "
       "JOIN T3 ON X2.K = T3.ID;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "O6")->schema),
                        "X1_K INTEGER KEY, X1_V0 BIGINT, X2_V0 BIGINT, T3_V0 BIGINT");
    ok("CREATE STREAM O7 as SELECT X1.ID, x1.V0, x2.V0 FROM X1 JOIN X2 WITHIN 10 seconds ON X1.ID = abs(X2.ID) "
       "JOIN S1 WITHIN 10 seconds ON abs(X2.ID) = abs(S1.ID);");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "O7")->schema),
                        "X1_ID INTEGER KEY, X1_V0 BIGINT, X2_V0 BIGINT");
    ok("CREATE STREAM O8 as SELECT X1.ID, x1.V0, x2.V0, t3.V0 FROM X1 FULL JOIN X2 WITHIN 10 seconds ON X1.ID = X2.ID "
       "JOIN T3 ON X1.ID = T3.ID;");
    ok("CREATE STREAM S4 (K STRING KEY, ID INT, W INT) WITH (kafka_topic='s4', value_format='JSON');");
    ok("CREATE STREAM O3 AS SELECT S1.ID, S4.W FROM S1 JOIN S4 WITHIN 1 MINUTE ON S1.ID = S4.ID "
       "JOIN T2 ON S4.ID = T2.ID;");
    assert_non_null(find_kind(F.q.root, SL_SQL_P_REKEY));
}

static void test_table_functions(void **state)
{
    (void)state;
    ok("CREATE STREAM TF (K STRING KEY, ID INT, XS ARRAY<INT>, YS ARRAY<ARRAY<INT>>) WITH (kafka_topic='tf', "
       "value_format='JSON');");
    ok("CREATE STREAM O1 AS SELECT K, ID, EXPLODE(XS) AS X, ABS(EXPLODE(XS)) + 1 FROM TF;");
    assert_string_equal(schema_of(&sl_sql_catalog_find(F.cat, "O1")->schema),
                        "K STRING KEY, ID INTEGER, X INTEGER, KSQL_COL_0 INTEGER");
    const sl_sql_plan_t *fm = find_kind(F.q.root, SL_SQL_P_FLATMAP);
    assert_non_null(fm);
    assert_int_equal(fm->n_exprs, 3 + 2); /* ID, XS, YS passed through, two calls */
    assert_non_null(fm->funcs[3]);
    assert_null(fm->exprs[3]);
    fails("CREATE STREAM O2 AS SELECT K, EXPLODE(EXPLODE(YS)) FROM TF;", "Table functions cannot be nested: EXPLODE(EXPLODE())");
    fails("CREATE STREAM O3 AS SELECT K, CASE WHEN ID > 1 THEN EXPLODE(XS) END FROM TF;",
          "Table functions cannot be used in CASE");
    fails("CREATE STREAM O4 AS SELECT K, ID FROM TF WHERE EXPLODE(XS) > 1;", "Table functions can only be used in the SELECT clause");
    fails("CREATE TABLE O5 AS SELECT K, COUNT(*), EXPLODE(XS) FROM TF GROUP BY K;",
          "Table functions cannot be used with aggregations.");
}

static void test_pull(void **state)
{
    (void)state;
    base_streams();
    ok("SELECT * FROM T WHERE ID = 5;");
    assert_true(F.q.is_pull);
    assert_ptr_equal(F.q.pull_table, sl_sql_catalog_find(F.cat, "T"));
    assert_non_null(F.q.pull_key);
    assert_int_equal(F.q.pull_key[0].kind, SL_SQL_T_INT);
    assert_int_equal(F.q.pull_key[0].u.i32, 5);
    assert_string_equal(schema_of(&F.q.pull_out), "ID INTEGER, CITY STRING");
    ok("SELECT CITY FROM T;");
    assert_null(F.q.pull_key);
    assert_null(F.q.pull_where);
    fails("SELECT * FROM T EMIT FINAL;", "EMIT FINAL is only supported");
    fails("SELECT * FROM T WHERE NOPE = 1;", "WHERE column 'NOPE' cannot be resolved.");
}

static void test_insert_values(void **state)
{
    (void)state;
    base_streams();
    sl_sql_list_t *stmts = NULL;
    const char *sql = "INSERT INTO S (NAME, ID, ROWTIME) VALUES ('a', 7, 1000);";
    assert_int_equal(sl_sql_parse(&F.arena, sql, strlen(sql), &stmts, &F.err), 0);
    const sl_sql_source_t *t = NULL;
    sl_sql_row_t *k = NULL, *v = NULL;
    int64_t ts = 0;
    assert_int_equal(sl_sql_bind_insert_values(&F.env, stmts->items[0], &t, &k, &v, &ts, &F.err), 0);
    assert_int_equal(k->n, 1);
    assert_int_equal(k->cols[0].u.i32, 7);
    assert_int_equal(v->n, 2);
    assert_int_equal(v->cols[0].u.s.len, 1);
    assert_int_equal(v->cols[1].kind, SL_SQL_T_NULL);
    assert_int_equal(ts, 1000);
    ok("CREATE STREAM A (ID INT KEY, XS ARRAY<BIGINT>, D DOUBLE, S STRING) WITH (kafka_topic='a', value_format='JSON');");
    sql = "INSERT INTO A (ID, XS, D) VALUES (1, ARRAY[1, 2], 3);";
    assert_int_equal(sl_sql_parse(&F.arena, sql, strlen(sql), &stmts, &F.err), 0);
    assert_int_equal(sl_sql_bind_insert_values(&F.env, stmts->items[0], &t, &k, &v, &ts, &F.err), 0);
    assert_int_equal(v->cols[0].kind, SL_SQL_T_ARRAY);
    assert_int_equal(v->cols[0].u.a.items[1].kind, SL_SQL_T_BIGINT);
    assert_int_equal(v->cols[1].kind, SL_SQL_T_DOUBLE);
    sql = "INSERT INTO A (ID, S) VALUES (1, 2);";
    assert_int_equal(sl_sql_parse(&F.arena, sql, strlen(sql), &stmts, &F.err), 0);
    assert_int_not_equal(sl_sql_bind_insert_values(&F.env, stmts->items[0], &t, &k, &v, &ts, &F.err), 0);
    assert_non_null(strstr(F.err.message, "Expected type STRING for field S but got 2(INTEGER)"));
    sql = "INSERT INTO T (CITY) VALUES ('x');";
    assert_int_equal(sl_sql_parse(&F.arena, sql, strlen(sql), &stmts, &F.err), 0);
    assert_int_not_equal(sl_sql_bind_insert_values(&F.env, stmts->items[0], &t, &k, &v, &ts, &F.err), 0);
    assert_non_null(strstr(F.err.message, "Value for primary key column(s) ID is required for tables"));
}

static void test_explain(void **state)
{
    (void)state;
    base_streams();
    ok("CREATE STREAM E AS SELECT ID, NAME FROM S WHERE AGE > 1;");
    sl_buf_t b;
    sl_buf_init(&b);
    sl_sql_plan_format(F.q.root, &b);
    sl_buf_put_u8(&b, 0);
    assert_non_null(strstr((const char *)b.data, "[ SINK ]"));
    assert_non_null(strstr((const char *)b.data, "[ SOURCE ]"));
    assert_non_null(strstr((const char *)b.data, "ID INTEGER KEY, NAME STRING"));
    sl_buf_free(&b);
}

/* Statements at the edges: each binds or fails with a sentence, never
 * crashes (ASan watches). */
static void test_odd_statements(void **state)
{
    (void)state;
    base_streams();
    ok("CREATE STREAM L (A INT KEY, B INT, C INT) WITH (kafka_topic='LEFT', value_format='JSON');");
    ok("CREATE STREAM R (A INT KEY, B INT, C INT) WITH (kafka_topic='RIGHT', value_format='JSON');");
    ok("CREATE TABLE T2 (ID INT PRIMARY KEY, X STRING) WITH (kafka_topic='t2', value_format='JSON');");
    static const char *const stmts[] = {
        "SELECT * FROM S JOIN S ON S.ID = S.ID EMIT CHANGES;",
        "SELECT * FROM L JOIN R WITHIN 1 SECOND ON L.A = L.A EMIT CHANGES;",
        "SELECT * FROM L JOIN R WITHIN 1 SECOND ON L.A > R.A EMIT CHANGES;",
        "SELECT * FROM L JOIN R WITHIN 1 SECOND ON L.A = R.A OR L.B = R.B EMIT CHANGES;",
        "SELECT * FROM L JOIN R WITHIN 1 SECOND ON L.A = R.NOPE EMIT CHANGES;",
        "SELECT * FROM L JOIN R WITHIN 1 SECOND ON L.A = CAST(R.B AS STRING) EMIT CHANGES;",
        "SELECT * FROM T FULL OUTER JOIN T2 ON T.ID = T2.ID EMIT CHANGES;",
        "SELECT * FROM T RIGHT JOIN T2 ON T.ID = T2.ID EMIT CHANGES;",
        "SELECT * FROM S LEFT JOIN T ON S.ID = T.ID JOIN T2 ON T.ID = T2.ID EMIT CHANGES;",
        "SELECT * FROM S JOIN T ON S.ID = T.ID RIGHT JOIN T2 ON S.ID = T2.ID EMIT CHANGES;",
        "SELECT ROWTIME, ROWPARTITION, ROWOFFSET FROM S EMIT CHANGES;",
        "SELECT WINDOWSTART FROM S EMIT CHANGES;",
        "SELECT * FROM S WINDOW TUMBLING (SIZE 1 SECOND) EMIT CHANGES;",
        "SELECT ID, COUNT(*) FROM S WINDOW HOPPING (SIZE 1 SECOND, ADVANCE BY 2 SECONDS) GROUP BY ID EMIT CHANGES;",
        "SELECT ID, SUM(COUNT(*)) FROM S GROUP BY ID EMIT CHANGES;",
        "SELECT ID FROM S GROUP BY ID HAVING NAME = 'x' EMIT CHANGES;",
        "SELECT ID FROM S HAVING ID = 1 EMIT CHANGES;",
        "SELECT ID, COUNT(*) FROM S GROUP BY COUNT(*) EMIT CHANGES;",
        "SELECT * FROM S PARTITION BY ID, NAME EMIT CHANGES;",
        "SELECT * FROM S PARTITION BY ID GROUP BY ID EMIT CHANGES;",
        "SELECT * FROM T PARTITION BY CITY EMIT CHANGES;",
        "SELECT EXPLODE(NAME) FROM S EMIT CHANGES;",
        "SELECT ID, COUNT(*), EXPLODE(ARRAY[1]) FROM S GROUP BY ID EMIT CHANGES;",
        "SELECT NULL FROM S EMIT CHANGES;",
        "SELECT S.* , X.* FROM S EMIT CHANGES;",
        "SELECT NOPE.ID FROM S EMIT CHANGES;",
        "SELECT NAME.X FROM S EMIT CHANGES;",
        "SELECT * FROM T WHERE ID = 'abc';",
        "SELECT * FROM T WHERE ID = 1 AND ID = 2;",
        "SELECT * FROM T WHERE ID IN (1, 2);",
        "SELECT * FROM T WHERE WINDOWSTART > 1;",
        "SELECT ROWPARTITION FROM T;",
        "SELECT * FROM T LIMIT 2;",
        "CREATE STREAM X AS SELECT * FROM L JOIN R WITHIN 1 SECOND ON L.A = R.A PARTITION BY L.B;",
        "CREATE TABLE X2 AS SELECT ID, COUNT(*) FROM S WINDOW SESSION (5 SECONDS) GROUP BY ID;",
        "CREATE TABLE X3 AS SELECT T.ID, T2.X FROM T JOIN T2 ON T.ID = T2.ID;",
        "CREATE STREAM X4 WITH (partitions=0) AS SELECT * FROM S;",
        "CREATE STREAM X5 WITH (window_type='TUMBLING') AS SELECT * FROM S;",
        "INSERT INTO S SELECT * FROM T;",
        "INSERT INTO NOPE SELECT * FROM S;",
        "CREATE OR REPLACE STREAM S (ID INT KEY, NAME STRING, AGE INT) WITH (kafka_topic='s', value_format='JSON');",
    };
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++) {
        sl_err_t e = run(stmts[i]);
        if (e)
            assert_true(F.err.message[0] != 0);
        print_message("%s -> %s\n", stmts[i], e ? F.err.message : "ok");
    }
}

/* Every combination of a few projections, sources, filters and tails:
 * each binds or fails with a sentence (ASan watches the rest). Bounded:
 * 8 x 6 x 4 x 8 statements. */
static void test_combinations(void **state)
{
    (void)state;
    base_streams();
    ok("CREATE STREAM L (A INT KEY, B INT, C INT) WITH (kafka_topic='LEFT', value_format='JSON');");
    ok("CREATE STREAM R (A INT KEY, B INT, C INT) WITH (kafka_topic='RIGHT', value_format='JSON');");
    ok("CREATE TABLE W (ID INT PRIMARY KEY, N BIGINT) WITH (kafka_topic='w', value_format='JSON', "
       "window_type='TUMBLING', window_size='1 MINUTE');");
    static const char *const sel[] = {
        "*", "ID, NAME", "COUNT(*)", "ID, COUNT(*) AS N", "ABS(ID) + 1, NAME", "S.*", "B, C", "ROWTIME, ID",
    };
    static const char *const from[] = {
        "S", "T", "L JOIN R WITHIN 1 SECOND ON L.A = R.A", "S JOIN T ON S.ID = T.ID", "W", "S x",
    };
    static const char *const where[] = { "", " WHERE ID > 1", " WHERE NOPE = 1", " WHERE B < C" };
    static const char *const tail[] = {
        " EMIT CHANGES", " GROUP BY ID EMIT CHANGES", " PARTITION BY NAME EMIT CHANGES", "",
        " WINDOW TUMBLING (SIZE 1 SECOND) GROUP BY ID EMIT FINAL", " GROUP BY ID HAVING COUNT(*) > 1 EMIT CHANGES",
        " EMIT CHANGES LIMIT 5", " PARTITION BY null EMIT CHANGES",
    };
    char sql[512];
    uint32_t n_ok = 0, n_err = 0;
    for (size_t a = 0; a < sizeof sel / sizeof sel[0]; a++)
        for (size_t b = 0; b < sizeof from / sizeof from[0]; b++)
            for (size_t c = 0; c < sizeof where / sizeof where[0]; c++)
                for (size_t d = 0; d < sizeof tail / sizeof tail[0]; d++) {
                    snprintf(sql, sizeof sql, "SELECT %s FROM %s%s%s;", sel[a], from[b], where[c], tail[d]);
                    sl_err_t e = run(sql);
                    if (e) {
                        n_err++;
                        assert_true(F.err.message[0] != 0);
                    } else {
                        n_ok++;
                        assert_true(F.q.is_pull || F.q.root != NULL);
                    }
                }
    print_message("%u bound, %u refused\n", n_ok, n_err);
    assert_true(n_ok > 50);
    assert_true(n_err > 50);
}

static void test_catalog(void **state)
{
    (void)state;
    base_streams();
    const char *names[3];
    assert_int_equal(sl_sql_catalog_similar(F.cat, "TT", names, 3), 2);
    assert_int_equal(sl_sql_catalog_remove(F.cat, "T"), 0);
    assert_int_equal(sl_sql_catalog_remove(F.cat, "T"), SL_ERR_NOENT);
    assert_null(sl_sql_catalog_find(F.cat, "T"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partition_by, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_by, setup, teardown),
        cmocka_unit_test_setup_teardown(test_joins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_join_partition_by, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multi_joins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_functions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_explain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_odd_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_combinations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_catalog, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
