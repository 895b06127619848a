/*
 * parse_test.c - the SQL front end (sl_sql_parse): every statement kind,
 * clauses, types, expression precedence (checked through a prefix dump of
 * the tree), literals and identifiers, error messages with positions, the
 * nesting and size limits, the statement splitter, and a bounded loop of
 * truncated and mutated statements that must fail or parse, never crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ast_int.h"
#include "sql.h"

/* --- Helpers -------------------------------------------------------------- */

typedef struct fixture {
    sl_arena_t arena;
    sl_sql_error_t err;
    sl_sql_list_t *stmts;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    sl_arena_init(&f->arena, 0, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    sl_arena_fini(&f->arena);
    free(f);
    return 0;
}

static sl_err_t parse(fixture_t *f, const char *sql)
{
    sl_arena_reset(&f->arena);
    memset(&f->err, 0, sizeof f->err);
    f->stmts = NULL;
    return sl_sql_parse(&f->arena, sql, strlen(sql), &f->stmts, &f->err);
}

/* Parses exactly one statement, which must succeed. */
static sl_sql_stmt_t *one(fixture_t *f, const char *sql)
{
    sl_err_t rc = parse(f, sql);
    if (rc != SL_OK)
        fail_msg("%s: %s", sql, f->err.message);
    assert_non_null(f->stmts);
    assert_int_equal(f->stmts->n, 1);
    return f->stmts->items[0];
}

/* Parses sql, which must fail with a message containing want. */
static void fails(fixture_t *f, const char *sql, const char *want)
{
    sl_err_t rc = parse(f, sql);
    if (rc == SL_OK)
        fail_msg("parsed but should not: %s", sql);
    assert_int_equal(rc, SL_ERR_PARSE);
    assert_int_equal(f->err.code, SL_ERR_PARSE);
    if (!strstr(f->err.message, want))
        fail_msg("%s\n  message: %s\n  wanted: %s", sql, f->err.message, want);
}

typedef struct out {
    char buf[4096];
    size_t n;
} out_t;

static void put(out_t *o, const char *fmt, ...) SL_PRINTF(2, 3);

static void put(out_t *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(o->buf + o->n, sizeof o->buf - o->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        o->n += (size_t)k < sizeof o->buf - o->n ? (size_t)k : sizeof o->buf - o->n - 1;
}

static const char *op_name(sl_sql_op_t op)
{
    static const char *names[] = {
        [SL_SQL_OP_ADD] = "+", [SL_SQL_OP_SUB] = "-", [SL_SQL_OP_MUL] = "*", [SL_SQL_OP_DIV] = "/",
        [SL_SQL_OP_MOD] = "%", [SL_SQL_OP_CONCAT] = "||", [SL_SQL_OP_EQ] = "=", [SL_SQL_OP_NE] = "<>",
        [SL_SQL_OP_LT] = "<", [SL_SQL_OP_LE] = "<=", [SL_SQL_OP_GT] = ">", [SL_SQL_OP_GE] = ">=",
        [SL_SQL_OP_AND] = "AND", [SL_SQL_OP_OR] = "OR", [SL_SQL_OP_NOT] = "NOT", [SL_SQL_OP_NEG] = "-",
        [SL_SQL_OP_PLUS] = "+", [SL_SQL_OP_DISTINCT] = "DISTINCT", [SL_SQL_OP_NOT_DISTINCT] = "NOTDISTINCT",
    };
    return names[op];
}

static void dump(out_t *o, const sl_sql_ast_expr_t *e);

static void dump_list(out_t *o, const sl_sql_list_t *l)
{
    for (uint32_t i = 0; l && i < l->n; i++) {
        put(o, " ");
        dump(o, l->items[i]);
    }
}

/* A prefix form of the tree: (op a b), literals as written. */
static void dump(out_t *o, const sl_sql_ast_expr_t *e)
{
    char tb[128];
    switch (e->kind) {
    case SL_SQL_A_NULL: put(o, "NULL"); break;
    case SL_SQL_A_BOOL: put(o, e->bval ? "TRUE" : "FALSE"); break;
    case SL_SQL_A_INT: put(o, "%s", e->text); break;
    case SL_SQL_A_DECIMAL: put(o, "dec:%s", e->text); break;
    case SL_SQL_A_DOUBLE: put(o, "dbl:%s", e->text); break;
    case SL_SQL_A_STRING: put(o, "'%.*s'", (int)e->len, e->text); break;
    case SL_SQL_A_COLUMN:
        if (e->qual.name)
            put(o, "%s.", e->qual.name);
        put(o, "%s", e->name.name);
        break;
    case SL_SQL_A_STAR: put(o, "%s%s*", e->qual.name ? e->qual.name : "", e->qual.name ? "." : ""); break;
    case SL_SQL_A_UNARY: put(o, "(%s ", op_name(e->op)); dump(o, e->a); put(o, ")"); break;
    case SL_SQL_A_BINARY:
        put(o, "(%s ", op_name(e->op));
        dump(o, e->a);
        put(o, " ");
        dump(o, e->b);
        put(o, ")");
        break;
    case SL_SQL_A_IS_NULL: put(o, "(%s ", e->negated ? "NOTNULL" : "ISNULL"); dump(o, e->a); put(o, ")"); break;
    case SL_SQL_A_LIKE:
        put(o, "(%s ", e->negated ? "NOTLIKE" : "LIKE");
        dump(o, e->a);
        put(o, " ");
        dump(o, e->b);
        if (e->c) {
            put(o, " ESCAPE ");
            dump(o, e->c);
        }
        put(o, ")");
        break;
    case SL_SQL_A_BETWEEN:
        put(o, "(%s ", e->negated ? "NOTBETWEEN" : "BETWEEN");
        dump(o, e->a);
        put(o, " ");
        dump(o, e->b);
        put(o, " ");
        dump(o, e->c);
        put(o, ")");
        break;
    case SL_SQL_A_IN:
        put(o, "(%s ", e->negated ? "NOTIN" : "IN");
        dump(o, e->a);
        dump_list(o, e->args);
        put(o, ")");
        break;
    case SL_SQL_A_CASE:
        put(o, "(CASE");
        if (e->a) {
            put(o, " ");
            dump(o, e->a);
        }
        dump_list(o, e->args);
        if (e->b) {
            put(o, " ELSE ");
            dump(o, e->b);
        }
        put(o, ")");
        break;
    case SL_SQL_A_CAST:
        put(o, "(CAST ");
        dump(o, e->a);
        put(o, " %s)", sl_sql_type_str(e->type, tb, sizeof tb));
        break;
    case SL_SQL_A_CALL:
        put(o, "(%s%s%s", e->name.name, e->distinct ? " DISTINCT" : "", e->star ? " *" : "");
        dump_list(o, e->args);
        put(o, ")");
        break;
    case SL_SQL_A_DEREF: put(o, "(-> "); dump(o, e->a); put(o, " %s)", e->name.name); break;
    case SL_SQL_A_SUBSCRIPT:
        put(o, "([] ");
        dump(o, e->a);
        put(o, " ");
        dump(o, e->b);
        put(o, ")");
        break;
    case SL_SQL_A_ARRAY: put(o, "(ARRAY"); dump_list(o, e->args); put(o, ")"); break;
    case SL_SQL_A_MAP: put(o, "(MAP"); dump_list(o, e->args); put(o, ")"); break;
    case SL_SQL_A_STRUCT:
        put(o, "(STRUCT");
        for (uint32_t i = 0; i < e->args->n; i++) {
            put(o, " %s:=", ((sl_sql_ident_t *)e->names->items[i])->name);
            dump(o, e->args->items[i]);
        }
        put(o, ")");
        break;
    case SL_SQL_A_INTERVAL: put(o, "%lldms", (long long)e->ival); break;
    case SL_SQL_A_LAMBDA:
        put(o, "(=>");
        for (uint32_t i = 0; i < e->names->n; i++)
            put(o, " %s", ((sl_sql_ident_t *)e->names->items[i])->name);
        put(o, " ");
        dump(o, e->a);
        put(o, ")");
        break;
    }
}

/* The first select item of "SELECT <expr> FROM S;" dumped. */
static const char *expr_of(fixture_t *f, const char *expr, out_t *o)
{
    char sql[2048];
    snprintf(sql, sizeof sql, "SELECT %s FROM S;", expr);
    sl_sql_stmt_t *s = one(f, sql);
    sl_sql_ast_item_t *it = s->select->items->items[0];
    o->n = 0;
    o->buf[0] = '\0';
    dump(o, it->expr);
    return o->buf;
}

#define EXPR(f, sql, want)                                                                                        \
    do {                                                                                                          \
        out_t o_;                                                                                                 \
        assert_string_equal(expr_of((f), (sql), &o_), (want));                                                    \
    } while (0)

static const char *type_str(const sl_sql_type_t *t)
{
    static char buf[256];
    return sl_sql_type_str(t, buf, sizeof buf);
}

/* --- CREATE --------------------------------------------------------------- */

static void test_create_stream(void **state)
{
    fixture_t *f = *state;
    sl_sql_stmt_t *s = one(f, "CREATE STREAM pageviews (viewtime BIGINT, userid VARCHAR KEY, `pageId` STRING)\n"
                              "  WITH (kafka_topic='pageviews', value_format='JSON', partitions=3);");
    assert_int_equal(s->kind, SL_SQL_S_CREATE_STREAM);
    assert_string_equal(s->target.name, "PAGEVIEWS");
    assert_false(s->or_replace);
    assert_false(s->if_not_exists);
    assert_int_equal(s->columns->n, 3);
    sl_sql_ast_column_t *c0 = s->columns->items[0], *c1 = s->columns->items[1], *c2 = s->columns->items[2];
    assert_string_equal(c0->name.name, "VIEWTIME");
    assert_int_equal(c0->type->kind, SL_SQL_T_BIGINT);
    assert_false(c0->key);
    assert_string_equal(c1->name.name, "USERID");
    assert_int_equal(c1->type->kind, SL_SQL_T_STRING);
    assert_true(c1->key);
    assert_false(c1->primary);
    assert_string_equal(c2->name.name, "pageId");
    assert_true(c2->name.quoted);
    assert_int_equal(s->props->n, 3);
    sl_sql_ast_prop_t *p0 = s->props->items[0], *p2 = s->props->items[2];
    assert_string_equal(p0->key.name, "KAFKA_TOPIC");
    assert_int_equal(p0->value->kind, SL_SQL_A_STRING);
    assert_string_equal(p0->value->text, "pageviews");
    assert_string_equal(p2->key.name, "PARTITIONS");
    assert_int_equal(p2->value->kind, SL_SQL_A_INT);
    assert_string_equal(p2->value->text, "3");
    assert_int_equal(s->pos.line, 1);
    assert_int_equal(s->pos.col, 1);
    assert_non_null(strstr(s->text, "partitions=3);"));
    assert_int_equal(strncmp(s->text, "CREATE STREAM", 13), 0);
}

static void test_create_table_variants(void **state)
{
    fixture_t *f = *state;
    sl_sql_stmt_t *s = one(f, "create or replace table if not exists t (id int primary key, v double) "
                              "with (kafka_topic='t', format='json');");
    assert_int_equal(s->kind, SL_SQL_S_CREATE_TABLE);
    assert_true(s->or_replace);
    assert_true(s->if_not_exists);
    assert_true(s->is_table);
    sl_sql_ast_column_t *c0 = s->columns->items[0];
    assert_true(c0->key);
    assert_true(c0->primary);
    assert_int_equal(c0->type->kind, SL_SQL_T_INT);

    s = one(f, "CREATE SOURCE TABLE t (id INT PRIMARY KEY) WITH (kafka_topic='t', value_format='JSON');");
    assert_true(s->source);
    assert_int_equal(s->kind, SL_SQL_S_CREATE_TABLE);

    s = one(f, "CREATE STREAM s WITH (kafka_topic='s', value_format='JSON');");
    assert_null(s->columns);
    assert_int_equal(s->props->n, 2);

    s = one(f, "CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='DELIMITED', VALUE_DELIMITER=',', "
               "WRAP_SINGLE_VALUE=false, REPLICAS=-1, \"timestamp\"='a', X=1.5);");
    sl_sql_ast_prop_t *p = s->props->items[3];
    assert_string_equal(p->key.name, "WRAP_SINGLE_VALUE");
    assert_int_equal(p->value->kind, SL_SQL_A_BOOL);
    assert_false(p->value->bval);
    p = s->props->items[4];
    assert_string_equal(p->value->text, "-1");
    p = s->props->items[5];
    assert_string_equal(p->key.name, "TIMESTAMP");
    p = s->props->items[6];
    assert_int_equal(p->value->kind, SL_SQL_A_DECIMAL);
}

static void test_types(void **state)
{
    fixture_t *f = *state;
    sl_sql_stmt_t *s = one(f, "CREATE STREAM s (a BOOLEAN, b INTEGER, c BIGINT, d DOUBLE, e DECIMAL(10, 2), f STRING,"
                              " g BYTES, h TIMESTAMP, i DATE, j TIME, k ARRAY<INT>, l MAP<STRING, ARRAY<DOUBLE>>,"
                              " m STRUCT<x INT, `Y` STRUCT<z STRING>>, n ARRAY<ARRAY<BIGINT>>, o STRUCT<>)"
                              " WITH (kafka_topic='s', value_format='JSON');");
    const char *want[] = {
        "BOOLEAN", "INTEGER", "BIGINT", "DOUBLE", "DECIMAL(10, 2)", "STRING", "BYTES", "TIMESTAMP", "DATE", "TIME",
        "ARRAY<INTEGER>", "MAP<STRING, ARRAY<DOUBLE>>", "STRUCT<`X` INTEGER, `Y` STRUCT<`Z` STRING>>",
        "ARRAY<ARRAY<BIGINT>>", "STRUCT<>",
    };
    assert_int_equal(s->columns->n, sizeof want / sizeof want[0]);
    for (uint32_t i = 0; i < s->columns->n; i++) {
        sl_sql_ast_column_t *c = s->columns->items[i];
        assert_string_equal(type_str(c->type), want[i]);
    }
    fails(f, "CREATE STREAM s (a FOO) WITH (kafka_topic='s');", "line 1:20: Unknown type: FOO");
    fails(f, "CREATE STREAM s (a DECIMAL(40, 2)) WITH (kafka_topic='s');", "line 1:28: DECIMAL precision");
    fails(f, "CREATE STREAM s (a DECIMAL(4, 5)) WITH (kafka_topic='s');", "DECIMAL scale must be <= precision");
}

static void test_create_as_select(void **state)
{
    fixture_t *f = *state;
    sl_sql_stmt_t *s = one(f, "CREATE STREAM out WITH (kafka_topic='o', partitions=2) AS SELECT * FROM s EMIT CHANGES;");
    assert_int_equal(s->kind, SL_SQL_S_CREATE_STREAM_AS);
    assert_string_equal(s->target.name, "OUT");
    assert_int_equal(s->props->n, 2);
    assert_non_null(s->select);
    assert_int_equal(s->select->emit, SL_SQL_EMIT_CHANGES);

    s = one(f, "CREATE TABLE counts AS SELECT id, COUNT(*) AS n FROM s GROUP BY id;");
    assert_int_equal(s->kind, SL_SQL_S_CREATE_TABLE_AS);
    assert_null(s->props);
    assert_int_equal(s->select->group_by->n, 1);
    assert_int_equal(s->select->emit, SL_SQL_EMIT_NONE);

    s = one(f, "CREATE OR REPLACE STREAM IF NOT EXISTS x AS SELECT a FROM s;");
    assert_true(s->or_replace);
    assert_true(s->if_not_exists);

    fails(f, "CREATE SOURCE STREAM x AS SELECT a FROM s;", "CREATE SOURCE STREAM cannot be used with AS SELECT");
    fails(f, "CREATE STREAM x (a INT) AS SELECT a FROM s;", "takes its columns from the query");
    fails(f, "CREATE STREAM x AS SELECT a FROM s WITH (kafka_topic='x');", "line 1:36: mismatched input 'WITH'");
}

/* --- INSERT --------------------------------------------------------------- */

static void test_insert(void **state)
{
    fixture_t *f = *state;
    sl_sql_stmt_t *s = one(f, "INSERT INTO out SELECT * FROM s;");
    assert_int_equal(s->kind, SL_SQL_S_INSERT_INTO);
    assert_string_equal(s->target.name, "OUT");
    assert_non_null(s->select);

    s = one(f, "INSERT INTO out WITH (QUERY_ID='q1') SELECT * FROM s;");
    assert_int_equal(s->kind, SL_SQL_S_INSERT_INTO);
    assert_int_equal(s->props->n, 1);

    s = one(f, "INSERT INTO s (id, `name`, v) VALUES (1, 'it''s', -2.5);");
    assert_int_equal(s->kind, SL_SQL_S_INSERT_VALUES);
    assert_int_equal(s->columns->n, 3);
    assert_string_equal(((sl_sql_ident_t *)s->columns->items[0])->name, "ID");
    assert_string_equal(((sl_sql_ident_t *)s->columns->items[1])->name, "name");
    assert_int_equal(s->values->n, 3);
    sl_sql_ast_expr_t *v1 = s->values->items[1], *v2 = s->values->items[2];
    assert_string_equal(v1->text, "it's");
    assert_int_equal(v1->len, 4);
    assert_int_equal(v2->kind, SL_SQL_A_DECIMAL);
    assert_string_equal(v2->text, "-2.5");

    s = one(f, "INSERT INTO s VALUES (1, ARRAY[1, 2], MAP('a' := 1), STRUCT(x := 1), NULL);");
    assert_null(s->columns);
    assert_int_equal(s->values->n, 5);

    s = one(f, "INSERT INTO s VALUES ();");
    assert_non_null(s->values);
    assert_int_equal(s->values->n, 0);
}

/* --- SELECT --------------------------------------------------------------- */

static void test_select_clauses(void **state)
{
    fixture_t *f = *state;
    sl_sql_stmt_t *s = one(f, "SELECT a, b AS bee, c cee, s.*, *, x->y z FROM src s\n"
                              "  WINDOW TUMBLING (SIZE 1 HOUR, RETENTION 2 DAYS, GRACE PERIOD 10 MINUTES)\n"
                              "  WHERE a > 1 GROUP BY a, b PARTITION BY c HAVING COUNT(*) > 2 EMIT FINAL LIMIT 10;");
    assert_int_equal(s->kind, SL_SQL_S_SELECT);
    sl_sql_ast_select_t *q = s->select;
    assert_int_equal(q->items->n, 6);
    sl_sql_ast_item_t *i1 = q->items->items[1], *i2 = q->items->items[2], *i3 = q->items->items[3];
    sl_sql_ast_item_t *i4 = q->items->items[4], *i5 = q->items->items[5];
    assert_string_equal(i1->alias.name, "BEE");
    assert_string_equal(i2->alias.name, "CEE");
    assert_int_equal(i3->expr->kind, SL_SQL_A_STAR);
    assert_string_equal(i3->expr->qual.name, "S");
    assert_int_equal(i4->expr->kind, SL_SQL_A_STAR);
    assert_null(i4->expr->qual.name);
    assert_string_equal(i5->alias.name, "Z");
    assert_false(q->from->is_join);
    assert_string_equal(q->from->name.name, "SRC");
    assert_string_equal(q->from->alias.name, "S");
    assert_non_null(q->window);
    assert_int_equal(q->window->kind, SL_SQL_WIN_TUMBLING);
    assert_int_equal(q->window->size_ms, 3600000);
    assert_int_equal(q->window->retention_ms, 2 * 86400000LL);
    assert_int_equal(q->window->grace_ms, 600000);
    assert_int_equal(q->window->pos.line, 2);
    assert_int_equal(q->window->pos.col, 10);
    assert_non_null(q->where);
    assert_int_equal(q->group_by->n, 2);
    assert_int_equal(q->partition_by->n, 1);
    assert_non_null(q->having);
    assert_int_equal(q->emit, SL_SQL_EMIT_FINAL);
    assert_int_equal(q->limit, 10);

    s = one(f, "SELECT a, b, COUNT(*) FROM s GROUP BY (a, b) PARTITION BY (a, b + 1, c) EMIT CHANGES;");
    assert_int_equal(s->select->group_by->n, 2);
    assert_int_equal(s->select->partition_by->n, 3);
    s = one(f, "SELECT a FROM s GROUP BY (a) + 1, b;");
    assert_int_equal(s->select->group_by->n, 2);

    s = one(f, "SELECT * FROM t WHERE id = 1;");
    assert_int_equal(s->select->emit, SL_SQL_EMIT_NONE);
    assert_int_equal(s->select->limit, -1);
    assert_null(s->select->window);
    assert_null(s->select->group_by);
    assert_null(s->select->partition_by);
}

static void test_windows(void **state)
{
    fixture_t *f = *state;
    sl_sql_stmt_t *s = one(f, "SELECT k, COUNT(*) FROM s WINDOW HOPPING (SIZE 30 SECONDS, ADVANCE BY 10 SECONDS) "
                              "GROUP BY k EMIT CHANGES;");
    sl_sql_ast_window_t *w = s->select->window;
    assert_int_equal(w->kind, SL_SQL_WIN_HOPPING);
    assert_int_equal(w->size_ms, 30000);
    assert_int_equal(w->advance_ms, 10000);
    assert_int_equal(w->retention_ms, -1);
    assert_int_equal(w->grace_ms, -1);

    s = one(f, "SELECT k, COUNT(*) FROM s WINDOW SESSION (5 MINUTES, GRACE PERIOD 1 MILLISECOND) GROUP BY k;");
    w = s->select->window;
    assert_int_equal(w->kind, SL_SQL_WIN_SESSION);
    assert_int_equal(w->size_ms, 300000);
    assert_int_equal(w->grace_ms, 1);

    s = one(f, "SELECT k FROM s WINDOW TUMBLING (SIZE 500 MILLISECONDS) GROUP BY k;");
    assert_int_equal(s->select->window->size_ms, 500);
    s = one(f, "SELECT k FROM s WINDOW TUMBLING (SIZE 1 DAY) GROUP BY k;");
    assert_int_equal(s->select->window->size_ms, 86400000);
    s = one(f, "SELECT k FROM s WINDOW TUMBLING (SIZE 2 minute) GROUP BY k;");
    assert_int_equal(s->select->window->size_ms, 120000);

    fails(f, "SELECT k FROM s WINDOW TUMBLING (SIZE 1 FORTNIGHT) GROUP BY k;",
          "line 1:41: mismatched input 'FORTNIGHT' expecting {'DAY'");
    fails(f, "SELECT k FROM s WINDOW TUMBLING (1 SECOND) GROUP BY k;", "line 1:34: mismatched input '1' expecting 'SIZE'");
    fails(f, "SELECT k FROM s WINDOW TUMBLING (SIZE 99999999999999999 DAYS) GROUP BY k;", "out of range");
}

static void test_joins(void **state)
{
    fixture_t *f = *state;
    sl_sql_stmt_t *s = one(f, "SELECT * FROM a JOIN b WITHIN 1 HOUR ON a.id = b.id "
                              "LEFT OUTER JOIN c AS cc WITHIN (1 SECOND, 2 SECONDS) GRACE PERIOD 3 SECONDS ON a.x = cc.x "
                              "FULL JOIN d ON d.k = a.k RIGHT JOIN e ON e.k = a.k INNER JOIN f ON f.k = a.k EMIT CHANGES;");
    sl_sql_ast_from_t *j = s->select->from;
    /* Joins nest to the left: ((((a b) c) d) e) f. */
    assert_true(j->is_join);
    assert_int_equal(j->join, SL_SQL_JOIN_INNER);
    assert_string_equal(j->right->name.name, "F");
    j = j->left;
    assert_int_equal(j->join, SL_SQL_JOIN_RIGHT);
    j = j->left;
    assert_int_equal(j->join, SL_SQL_JOIN_FULL);
    assert_false(j->has_within);
    j = j->left;
    assert_int_equal(j->join, SL_SQL_JOIN_LEFT);
    assert_true(j->has_within);
    assert_int_equal(j->within_before_ms, 1000);
    assert_int_equal(j->within_after_ms, 2000);
    assert_int_equal(j->within_grace_ms, 3000);
    assert_string_equal(j->right->alias.name, "CC");
    j = j->left;
    assert_int_equal(j->join, SL_SQL_JOIN_INNER);
    assert_true(j->has_within);
    assert_int_equal(j->within_before_ms, 3600000);
    assert_int_equal(j->within_after_ms, 3600000);
    assert_int_equal(j->within_grace_ms, -1);
    assert_false(j->left->is_join);
    assert_string_equal(j->left->name.name, "A");
    assert_int_equal(j->on->kind, SL_SQL_A_BINARY);
    fails(f, "SELECT * FROM a JOIN b;", "line 1:23: mismatched input ';' expecting");
}

/* --- Other statements ----------------------------------------------------- */

static void test_show_describe(void **state)
{
    fixture_t *f = *state;
    struct {
        const char *sql;
        sl_sql_show_what_t what;
        bool ext;
    } shows[] = {
        {"SHOW STREAMS;", SL_SQL_SHOW_STREAMS, false},       {"list streams extended;", SL_SQL_SHOW_STREAMS, true},
        {"SHOW TABLES;", SL_SQL_SHOW_TABLES, false},         {"SHOW TOPICS;", SL_SQL_SHOW_TOPICS, false},
        {"SHOW ALL TOPICS EXTENDED;", SL_SQL_SHOW_TOPICS, true}, {"SHOW QUERIES;", SL_SQL_SHOW_QUERIES, false},
        {"SHOW PROPERTIES;", SL_SQL_SHOW_PROPERTIES, false}, {"LIST FUNCTIONS;", SL_SQL_SHOW_FUNCTIONS, false},
        {"DESCRIBE STREAMS;", SL_SQL_SHOW_STREAMS, false},   {"DESCRIBE TABLES EXTENDED;", SL_SQL_SHOW_TABLES, true},
    };
    for (size_t i = 0; i < sizeof shows / sizeof shows[0]; i++) {
        sl_sql_stmt_t *s = one(f, shows[i].sql);
        assert_int_equal(s->kind, SL_SQL_S_SHOW);
        assert_int_equal(s->show, shows[i].what);
        assert_int_equal(s->extended, shows[i].ext);
    }
    sl_sql_stmt_t *s = one(f, "DESCRIBE pageviews;");
    assert_int_equal(s->kind, SL_SQL_S_DESCRIBE);
    assert_string_equal(s->target.name, "PAGEVIEWS");
    assert_false(s->extended);
    s = one(f, "DESCRIBE EXTENDED pageviews;");
    assert_true(s->extended);
    s = one(f, "DESCRIBE pageviews EXTENDED;");
    assert_true(s->extended);
    s = one(f, "DESCRIBE FUNCTION substring;");
    assert_int_equal(s->kind, SL_SQL_S_DESCRIBE_FUNCTION);
    assert_string_equal(s->target.name, "SUBSTRING");
}

static void test_misc_statements(void **state)
{
    fixture_t *f = *state;
    sl_sql_stmt_t *s = one(f, "EXPLAIN CSAS_OUT_1;");
    assert_int_equal(s->kind, SL_SQL_S_EXPLAIN);
    assert_string_equal(s->target.name, "CSAS_OUT_1");
    assert_null(s->inner);
    s = one(f, "EXPLAIN SELECT * FROM s EMIT CHANGES;");
    assert_int_equal(s->kind, SL_SQL_S_EXPLAIN);
    assert_non_null(s->inner);
    assert_int_equal(s->inner->kind, SL_SQL_S_SELECT);
    assert_string_equal(s->text, "EXPLAIN SELECT * FROM s EMIT CHANGES;");
    assert_string_equal(s->inner->text, "SELECT * FROM s EMIT CHANGES;");
    s = one(f, "explain\n  CREATE STREAM x AS SELECT * FROM s;");
    assert_int_equal(s->inner->kind, SL_SQL_S_CREATE_STREAM_AS);
    assert_string_equal(s->inner->text, "CREATE STREAM x AS SELECT * FROM s;");

    s = one(f, "DROP STREAM s;");
    assert_int_equal(s->kind, SL_SQL_S_DROP);
    assert_false(s->is_table);
    assert_false(s->if_exists);
    assert_false(s->delete_topic);
    s = one(f, "DROP TABLE IF EXISTS t DELETE TOPIC;");
    assert_true(s->is_table);
    assert_true(s->if_exists);
    assert_true(s->delete_topic);
    assert_string_equal(s->target.name, "T");

    s = one(f, "TERMINATE CTAS_T_3;");
    assert_int_equal(s->kind, SL_SQL_S_TERMINATE);
    assert_string_equal(s->target.name, "CTAS_T_3");
    assert_false(s->all);
    s = one(f, "TERMINATE ALL;");
    assert_true(s->all);
    s = one(f, "TERMINATE 'transient_S_123';");
    assert_string_equal(s->target.name, "transient_S_123");

    s = one(f, "SET 'auto.offset.reset'='earliest';");
    assert_int_equal(s->kind, SL_SQL_S_SET);
    assert_string_equal(s->prop, "auto.offset.reset");
    assert_string_equal(s->value, "earliest");
    s = one(f, "UNSET 'auto.offset.reset';");
    assert_int_equal(s->kind, SL_SQL_S_UNSET);
    assert_string_equal(s->prop, "auto.offset.reset");

    s = one(f, "PRINT 'my-topic' FROM BEGINNING INTERVAL 2 LIMIT 5;");
    assert_int_equal(s->kind, SL_SQL_S_PRINT);
    assert_string_equal(s->target.name, "my-topic");
    assert_true(s->target.quoted);
    assert_true(s->from_beginning);
    assert_int_equal(s->interval, 2);
    assert_int_equal(s->limit, 5);
    s = one(f, "PRINT pageviews;");
    assert_string_equal(s->target.name, "PAGEVIEWS");
    assert_false(s->target.quoted);
    assert_false(s->from_beginning);
    assert_int_equal(s->interval, -1);
    assert_int_equal(s->limit, -1);

    s = one(f, "RUN SCRIPT '/tmp/x.sql';");
    assert_int_equal(s->kind, SL_SQL_S_RUN_SCRIPT);
    assert_string_equal(s->value, "/tmp/x.sql");
}

static void test_several_statements(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(parse(f, "-- a comment\nSHOW STREAMS; /* c */ ;; SHOW TABLES;\n  DROP STREAM x"), SL_OK);
    assert_int_equal(f->stmts->n, 3);
    sl_sql_stmt_t *s0 = f->stmts->items[0], *s1 = f->stmts->items[1], *s2 = f->stmts->items[2];
    assert_string_equal(s0->text, "SHOW STREAMS;");
    assert_string_equal(s1->text, "SHOW TABLES;");
    assert_string_equal(s2->text, "DROP STREAM x");
    assert_int_equal(s2->pos.line, 3);
    assert_int_equal(s2->pos.col, 3);

    assert_int_equal(parse(f, ""), SL_OK);
    assert_non_null(f->stmts);
    assert_int_equal(f->stmts->n, 0);
    assert_int_equal(parse(f, "  -- only a comment"), SL_OK);
    assert_int_equal(f->stmts->n, 0);
}

/* --- Expressions ---------------------------------------------------------- */

static void test_precedence(void **state)
{
    fixture_t *f = *state;
    EXPR(f, "1 + 2 * 3", "(+ 1 (* 2 3))");
    EXPR(f, "(1 + 2) * 3", "(* (+ 1 2) 3)");
    EXPR(f, "1 - 2 - 3", "(- (- 1 2) 3)");
    EXPR(f, "a / b % c", "(% (/ A B) C)");
    EXPR(f, "a || b + c", "(+ (|| A B) C)");
    EXPR(f, "a = 1 OR b = 2 AND c = 3", "(OR (= A 1) (AND (= B 2) (= C 3)))");
    EXPR(f, "NOT a = b AND c", "(AND (NOT (= A B)) C)");
    EXPR(f, "NOT a OR b", "(OR (NOT A) B)");
    EXPR(f, "a + 1 > b * 2", "(> (+ A 1) (* B 2))");
    EXPR(f, "-a * b", "(* (- A) B)");
    EXPR(f, "-a[1]", "(- ([] A 1))");
    EXPR(f, "a->b->c", "(-> (-> A B) C)");
    EXPR(f, "a->b[0]->c", "(-> ([] (-> A B) 0) C)");
    EXPR(f, "x.a->b", "(-> X.A B)");
    EXPR(f, "a IS NULL AND b IS NOT NULL", "(AND (ISNULL A) (NOTNULL B))");
    EXPR(f, "a + 1 IS NULL", "(ISNULL (+ A 1))");
    EXPR(f, "a IS DISTINCT FROM b + 1 AND a IS NOT DISTINCT FROM NULL",
         "(AND (DISTINCT A (+ B 1)) (NOTDISTINCT A NULL))");
    EXPR(f, "a LIKE 'x%' OR a NOT LIKE 'y' ESCAPE '!'", "(OR (LIKE A 'x%') (NOTLIKE A 'y' ESCAPE '!'))");
    EXPR(f, "a BETWEEN 1 AND 2 AND b", "(AND (BETWEEN A 1 2) B)");
    EXPR(f, "a NOT BETWEEN b + 1 AND c * 2", "(NOTBETWEEN A (+ B 1) (* C 2))");
    EXPR(f, "a IN (1, 2, 3) OR a NOT IN ('x')", "(OR (IN A 1 2 3) (NOTIN A 'x'))");
    EXPR(f, "a <> b AND a != c AND a <= d AND a >= e AND a < f", "(AND (AND (AND (AND (<> A B) (<> A C)) (<= A D)) (>= A E)) (< A F))");
    EXPR(f, "NOT NOT a", "(NOT (NOT A))");
    EXPR(f, "- - 1", "(- -1)");
    EXPR(f, "+a", "(+ A)");
}

static void test_expression_forms(void **state)
{
    fixture_t *f = *state;
    EXPR(f, "CASE WHEN a > 1 THEN 'big' WHEN a > 0 THEN 'small' ELSE 'none' END",
         "(CASE (> A 1) 'big' (> A 0) 'small' ELSE 'none')");
    EXPR(f, "CASE a WHEN 1 THEN 'one' END", "(CASE A 1 'one')");
    EXPR(f, "CAST(a AS DECIMAL(5, 2))", "(CAST A DECIMAL(5, 2))");
    EXPR(f, "CAST(a AS ARRAY<STRING>)", "(CAST A ARRAY<STRING>)");
    EXPR(f, "COUNT(*)", "(COUNT *)");
    EXPR(f, "count(DISTINCT x)", "(COUNT DISTINCT X)");
    EXPR(f, "substring(s, 1, 2)", "(SUBSTRING S 1 2)");
    EXPR(f, "UUID()", "(UUID)");
    EXPR(f, "replace(a, 'x', 'y')", "(REPLACE A 'x' 'y')");
    EXPR(f, "ARRAY[1, 2, 3][1]", "([] (ARRAY 1 2 3) 1)");
    EXPR(f, "ARRAY[]", "(ARRAY)");
    EXPR(f, "MAP('a' := 1, 'b' := 2)['a']", "([] (MAP 'a' 1 'b' 2) 'a')");
    EXPR(f, "MAP()", "(MAP)");
    EXPR(f, "STRUCT(x := 1, `y` := 'b')", "(STRUCT X:=1 y:='b')");
    EXPR(f, "STRUCT()", "(STRUCT)");
    EXPR(f, "s.`Col`", "S.Col");
    EXPR(f, "\"Quoted Name\"", "Quoted Name");
    EXPR(f, "`a``b`", "a`b");
    EXPR(f, "`SELECT`", "SELECT");
    EXPR(f, "key", "KEY");
    EXPR(f, "size + session", "(+ SIZE SESSION)");
    EXPR(f, "ROWTIME", "ROWTIME");
    EXPR(f, "WINDOWSTART", "WINDOWSTART");
    /* lambdas: the body reaches as far as it can */
    EXPR(f, "TRANSFORM(a, x => x + 1)", "(TRANSFORM A (=> X (+ X 1)))");
    EXPR(f, "TRANSFORM(a, (x) => x OR y AND z)", "(TRANSFORM A (=> X (OR X (AND Y Z))))");
    EXPR(f, "REDUCE(m, 0, (s, k, v) => s + v)", "(REDUCE M 0 (=> S K V (+ S V)))");
    EXPR(f, "TRANSFORM(a, x => TRANSFORM(x, y => y * 2))", "(TRANSFORM A (=> X (TRANSFORM X (=> Y (* Y 2)))))");
}

static void test_lambda_errors(void **state)
{
    fixture_t *f = *state;
    fails(f, "SELECT TRANSFORM(a, (x, x) => 1) FROM S;", "different names: X");
    fails(f, "SELECT TRANSFORM(a, (s.x) => 1) FROM S;", "plain names");
    fails(f, "SELECT TRANSFORM(a, (1) => 1) FROM S;", "plain names");
    fails(f, "SELECT TRANSFORM(a, => 1) FROM S;", "'=>'");
}

static void test_literals(void **state)
{
    fixture_t *f = *state;
    EXPR(f, "1", "1");
    EXPR(f, "-1", "-1");
    EXPR(f, "-2147483648", "-2147483648");
    EXPR(f, "12345678901234", "12345678901234");
    EXPR(f, "1.5", "dec:1.5");
    EXPR(f, "-0.25", "dec:-0.25");
    EXPR(f, ".5", "dec:.5");
    EXPR(f, "1.5E3", "dbl:1.5E3");
    EXPR(f, "2e-3", "dbl:2e-3");
    EXPR(f, "-1E10", "dbl:-1E10");
    EXPR(f, "'it''s'", "'it's'");
    EXPR(f, "''", "''");
    EXPR(f, "'multi\nline'", "'multi\nline'");
    EXPR(f, "TRUE", "TRUE");
    EXPR(f, "false", "FALSE");
    EXPR(f, "NULL", "NULL");
    EXPR(f, "'ünïcödé'", "'ünïcödé'");
}

/* --- Errors --------------------------------------------------------------- */

static void test_syntax_errors(void **state)
{
    fixture_t *f = *state;
    fails(f, "SELECT * FORM s;", "line 1:10: mismatched input 'FORM' expecting");
    fails(f, "SELECT * FORM s;", "'FROM'");
    fails(f, "CREATE STREAM bar AD SELECT * FROM foo;", "line 1:19: mismatched input 'AD' expecting");
    fails(f, "SELECT a FROM s;\nSELECT b FROM WHERE;", "line 2:15: mismatched input 'WHERE' expecting IDENTIFIER");
    fails(f, "SELECT a FROM s WHERE;", "line 1:22: mismatched input ';'");
    fails(f, "DROP STREAM;", "line 1:12: mismatched input ';' expecting {IDENTIFIER, 'IF'}");
    fails(f, "SELECT * FROM s s2 EMIT;", "expecting {'CHANGES', 'FINAL'}");
    fails(f, "SELECT a FROM", "line 1:14: mismatched input '<EOF>' expecting IDENTIFIER");
    fails(f, "FOO BAR;", "line 1:1: mismatched input 'FOO'");
    fails(f, "SELECT a,, b FROM s;", "line 1:10: extraneous input ','");
    fails(f, "SELECT a FROM s LIMIT x;", "line 1:23: mismatched input 'x' expecting INTEGER_VALUE");
    fails(f, "SELECT FROM s;", "line 1:8: \"FROM\" is a reserved keyword and it can't be used as an identifier.");
    fails(f, "CREATE STREAM s (a INT, select INT) WITH (kafka_topic='s');", "line 1:25: \"select\" is a reserved keyword");
    fails(f, "DROP STREAM from;", "line 1:13: mismatched input 'from' expecting");
    fails(f, "SELECT a FROM s LIMIT 99999999999999999999;", "number out of range");
    /* The failing statement's text is reported. */
    assert_int_equal(parse(f, "SHOW STREAMS;\n  SELECT x FORM y; SHOW TABLES;"), SL_ERR_PARSE);
    assert_string_equal(f->err.statement, "SELECT x FORM y;");
    assert_int_equal(f->err.line, 2);
    assert_int_equal(f->err.col, 17);
}

static void test_lexical_errors(void **state)
{
    fixture_t *f = *state;
    fails(f, "SELECT # FROM s;", "line 1:8: unknown character '#'");
    fails(f, "SELECT a\n  FROM s WHERE b = 'abc;", "line 2:20: unterminated string");
    fails(f, "SELECT `abc FROM s;", "line 1:8: unterminated quoted identifier");
    fails(f, "SELECT a /* never closed", "line 1:10: unterminated comment");
    fails(f, "SELECT 'ü' ? FROM s;", "line 1:12: unknown character '?'");
    fails(f, "SELECT 'ü', é FROM s;", "line 1:13: unknown character 'é'");
    fails(f, "SELECT \xff FROM s;", "line 1:8: unknown character 0xff");
    const char nul[] = "SELECT a\0 FROM s;";
    sl_arena_reset(&f->arena);
    assert_int_equal(sl_sql_parse(&f->arena, nul, sizeof nul - 1, &f->stmts, &f->err), SL_ERR_PARSE);
    assert_non_null(strstr(f->err.message, "line 1:9: unknown character 0x00"));
}

static void test_limits(void **state)
{
    fixture_t *f = *state;
    /* 200 levels of parentheses parse; 201 do not. */
    size_t cap = 8192;
    char *sql = malloc(cap);
    for (int depth = 199; depth <= 201; depth += 2) {
        size_t n = (size_t)snprintf(sql, cap, "SELECT ");
        for (int i = 0; i < depth; i++)
            sql[n++] = '(';
        sql[n++] = '1';
        for (int i = 0; i < depth; i++)
            sql[n++] = ')';
        snprintf(sql + n, cap - n, " FROM s;");
        sl_err_t rc = parse(f, sql);
        if (depth < 200)
            assert_int_equal(rc, SL_OK);
        else
            assert_int_equal(rc, SL_ERR_PARSE), assert_non_null(strstr(f->err.message, "nested"));
    }
    /* Deep trees without parentheses: a long chain, many NOTs, nested calls. */
    const char *units[] = {"1 + ", "NOT ", "- ", "ABS(", "CASE WHEN TRUE THEN "};
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        size_t n = (size_t)snprintf(sql, cap, "SELECT ");
        while (n + 40 < cap)
            n += (size_t)snprintf(sql + n, cap - n, "%s", units[u]);
        snprintf(sql + n, cap - n, "1 FROM s;");
        assert_int_equal(parse(f, sql), SL_ERR_PARSE);
        assert_non_null(strstr(f->err.message, "nested"));
    }
    free(sql);

    /* Over 1 MiB in one statement. */
    size_t big = (1u << 20) + 100;
    sql = malloc(big + 64);
    size_t n = (size_t)snprintf(sql, big + 64, "SELECT '");
    memset(sql + n, 'x', big);
    n += big;
    snprintf(sql + n, 64, "' FROM s;");
    assert_int_equal(parse(f, sql), SL_ERR_PARSE);
    assert_non_null(strstr(f->err.message, "statement longer than 1048576 bytes"));
    /* Nearly 1 MiB on one line: many tokens, parsed in linear time. */
    n = (size_t)snprintf(sql, big + 64, "SELECT a");
    while (n + 40 < (1u << 20))
        n += (size_t)snprintf(sql + n, big + 64 - n, ", a");
    snprintf(sql + n, big + 64 - n, " FROM s;");
    assert_int_equal(parse(f, sql), SL_OK);
    assert_true(((sl_sql_stmt_t *)f->stmts->items[0])->select->items->n > 300000);
    /* Many statements, each small, are fine. */
    n = 0;
    while (n + 20 < big)
        n += (size_t)snprintf(sql + n, big + 64 - n, "SHOW STREAMS;\n");
    assert_int_equal(parse(f, sql), SL_OK);
    assert_true(f->stmts->n > 60000);
    free(sql);
}

static void test_statement_end(void **state)
{
    (void)state;
    const char *t = "SELECT 'a;b' FROM s;";
    assert_int_equal(sl_sql_statement_end(t, strlen(t)), strlen(t));
    t = "SELECT `a;` FROM s -- ; here\n /* ; */ ; next";
    assert_int_equal(sl_sql_statement_end(t, strlen(t)), strlen(t) - 5);
    t = "SELECT \"x;\" FROM s";
    assert_int_equal(sl_sql_statement_end(t, strlen(t)), 0);
    t = "SELECT 'it''s;' FROM s";
    assert_int_equal(sl_sql_statement_end(t, strlen(t)), 0);
    t = "SHOW STREAMS; SHOW TABLES;";
    assert_int_equal(sl_sql_statement_end(t, strlen(t)), 13);
    assert_int_equal(sl_sql_statement_end("", 0), 0);
}

/* Truncations and byte mutations of valid statements: each must parse or
 * fail cleanly (under ASan: no out-of-bounds read, no leak). */
static void test_mutations(void **state)
{
    fixture_t *f = *state;
    static const char *seeds[] = {
        "CREATE STREAM s (id INT KEY, m MAP<STRING, ARRAY<STRUCT<a INT>>>, d DECIMAL(4,2)) WITH (kafka_topic='s', "
        "value_format='JSON');",
        "SELECT a.x, CASE WHEN b->c[1] > 2 THEN 'x''y' ELSE NULL END AS z, COUNT(DISTINCT q) FROM a JOIN b "
        "WITHIN (1 SECOND, 2 HOURS) ON a.k = b.k WINDOW HOPPING (SIZE 1 MINUTE, ADVANCE BY 5 SECONDS) "
        "WHERE x NOT BETWEEN 1 AND 2 OR y IN (1, 2) GROUP BY a.x HAVING COUNT(*) > 1 EMIT CHANGES LIMIT 3;",
        "INSERT INTO s (a, `b`) VALUES (-1.5E3, ARRAY[MAP('k' := STRUCT(f := 1))]); PRINT 'x' FROM BEGINNING;",
        "/* c */ DROP TABLE IF EXISTS t DELETE TOPIC; -- end\nSET 'a'='b'; EXPLAIN SELECT * FROM s;",
    };
    static const char bytes[] = "();,'`\"-/*xX1.[]<>=|:\n\0";
    uint32_t seed = 12345;
    int parsed = 0, failed = 0;
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        size_t len = strlen(seeds[s]);
        char *buf = malloc(len + 1);
        for (size_t cut = 0; cut <= len; cut++) {
            sl_arena_reset(&f->arena);
            memcpy(buf, seeds[s], cut);
            sl_err_t rc = sl_sql_parse(&f->arena, buf, cut, &f->stmts, &f->err);
            rc == SL_OK ? parsed++ : failed++;
        }
        for (int round = 0; round < 2000; round++) {
            memcpy(buf, seeds[s], len + 1);
            for (int k = 0; k < 3; k++) {
                seed = seed * 1103515245u + 12345u;
                size_t at = (seed >> 8) % len;
                seed = seed * 1103515245u + 12345u;
                buf[at] = bytes[(seed >> 8) % (sizeof bytes - 1)];
            }
            sl_arena_reset(&f->arena);
            sl_err_t rc = sl_sql_parse(&f->arena, buf, len, &f->stmts, &f->err);
            if (rc != SL_OK) {
                assert_int_equal(rc, SL_ERR_PARSE);
                assert_true(f->err.line >= 1);
                assert_true(strncmp(f->err.message, "line ", 5) == 0);
            }
            rc == SL_OK ? parsed++ : failed++;
        }
        free(buf);
    }
    assert_true(parsed > 0);
    assert_true(failed > 0);
}

/* A bounded arena: running out of memory is an error, not a crash. */
static void test_out_of_memory(void **state)
{
    (void)state;
    const char *sql = "SELECT a, b, c, CASE WHEN a > 1 THEN 'x' END FROM s WHERE a IN (1, 2, 3) EMIT CHANGES;";
    int nomem = 0;
    for (size_t limit = 64; limit < 16384; limit += 64) {
        sl_arena_t a;
        sl_arena_init(&a, 256, limit);
        sl_sql_list_t *out = NULL;
        sl_sql_error_t err;
        sl_err_t rc = sl_sql_parse(&a, sql, strlen(sql), &out, &err);
        assert_true(rc == SL_OK || rc == SL_ERR_NOMEM);
        if (rc == SL_ERR_NOMEM)
            nomem++;
        sl_arena_fini(&a);
    }
    assert_true(nomem > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_table_variants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_as_select, setup, teardown),
        cmocka_unit_test_setup_teardown(test_insert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_select_clauses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_windows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_joins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_show_describe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_misc_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_several_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expression_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lambda_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_literals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syntax_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lexical_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
        cmocka_unit_test(test_statement_end),
        cmocka_unit_test_setup_teardown(test_mutations, setup, teardown),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
