/* expr_test.c - typing of expressions with ksqlDB's rules: result types,
 * implicit casts, literals, error sentences, SQL text, constant folding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "expr_int.h"

static sl_arena_t A;
static char err[1024];

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

static const sl_sql_type_t *T(sl_sql_tkind_t k)
{
    return sl_sql_type_of(k);
}

static const char *tstr(const sl_sql_type_t *t)
{
    static char buf[128];
    return sl_sql_type_str(t, buf, sizeof buf);
}

static sl_sql_expr_t *lit(sl_sql_ast_ekind_t kind, const char *text)
{
    sl_sql_ast_expr_t a = {0};
    a.kind = kind;
    a.text = text;
    a.len = text ? (uint32_t)strlen(text) : 0;
    sl_sql_expr_t *e = sl_sql_expr_literal(&A, &a, err, sizeof err);
    assert_non_null(e);
    return e;
}

static sl_sql_expr_t *I(const char *t)
{
    return lit(SL_SQL_A_INT, t);
}

static sl_sql_expr_t *S(const char *t)
{
    return lit(SL_SQL_A_STRING, t);
}

static sl_sql_expr_t *NUL(void)
{
    return lit(SL_SQL_A_NULL, NULL);
}

static sl_sql_expr_t *col(const char *name, const sl_sql_type_t *t)
{
    return sl_sql_expr_column(&A, SL_SQL_COL_VALUE, 0, t, name);
}

static sl_sql_expr_t *bin(sl_sql_op_t op, sl_sql_expr_t *a, sl_sql_expr_t *b)
{
    err[0] = 0;
    return sl_sql_expr_binary(&A, op, a, b, err, sizeof err);
}

static void expr_literals_are_typed_like_ksqldb(void **state)
{
    (void)state;
    assert_string_equal(tstr(I("2147483647")->type), "INTEGER");
    assert_string_equal(tstr(I("2147483648")->type), "BIGINT");
    assert_string_equal(tstr(I("99999999999999999999")->type), "DECIMAL(20, 0)");
    assert_string_equal(tstr(lit(SL_SQL_A_DECIMAL, "1.50")->type), "DECIMAL(3, 2)");
    assert_string_equal(tstr(lit(SL_SQL_A_DECIMAL, "0.05")->type), "DECIMAL(2, 2)");
    assert_string_equal(tstr(lit(SL_SQL_A_DECIMAL, "0.0")->type), "DECIMAL(2, 1)");
    assert_string_equal(tstr(lit(SL_SQL_A_DECIMAL, "-0.25")->type), "DECIMAL(2, 2)");
    assert_string_equal(lit(SL_SQL_A_DECIMAL, "-0.25")->text, "-0.25");
    assert_true(lit(SL_SQL_A_DECIMAL, "-0.25")->value.u.dec == -25);
    assert_int_equal(I("-2147483648")->value.u.i32, INT32_MIN);
    assert_string_equal(tstr(I("-2147483649")->type), "BIGINT");
    assert_true(lit(SL_SQL_A_DOUBLE, "-1E3")->value.u.f64 == -1000.0);
    assert_string_equal(tstr(lit(SL_SQL_A_DOUBLE, "1.5E3")->type), "DOUBLE");
    assert_string_equal(lit(SL_SQL_A_DOUBLE, "1.5E3")->text, "1500.0");
    assert_string_equal(S("it's")->text, "'it''s'");
    assert_int_equal(S("it's")->value.u.s.len, 4);
    assert_string_equal(NUL()->text, "null");
    assert_int_equal(NUL()->type->kind, SL_SQL_T_NULL);
    sl_sql_ast_expr_t b = {.kind = SL_SQL_A_BOOL, .bval = true};
    sl_sql_expr_t *e = sl_sql_expr_literal(&A, &b, err, sizeof err);
    assert_string_equal(e->text, "true");
    assert_true(e->value.u.b);
}

static void expr_arithmetic_result_types(void **state)
{
    (void)state;
    sl_sql_expr_t *i = col("I", T(SL_SQL_T_INT)), *l = col("L", T(SL_SQL_T_BIGINT)),
                  *d = col("D", T(SL_SQL_T_DOUBLE)), *s = col("S", T(SL_SQL_T_STRING));
    sl_sql_expr_t *x = col("X", sl_sql_type_decimal(&A, 3, 1)), *y = col("Y", sl_sql_type_decimal(&A, 2, 1));
    assert_string_equal(tstr(bin(SL_SQL_OP_ADD, i, i)->type), "INTEGER");
    assert_string_equal(tstr(bin(SL_SQL_OP_MUL, i, l)->type), "BIGINT");
    assert_string_equal(tstr(bin(SL_SQL_OP_SUB, l, d)->type), "DOUBLE");
    assert_string_equal(tstr(bin(SL_SQL_OP_ADD, x, d)->type), "DOUBLE");
    assert_string_equal(tstr(bin(SL_SQL_OP_ADD, i, x)->type), "DECIMAL(12, 1)");
    assert_string_equal(tstr(bin(SL_SQL_OP_ADD, x, y)->type), "DECIMAL(4, 1)");
    assert_string_equal(tstr(bin(SL_SQL_OP_MUL, x, y)->type), "DECIMAL(6, 2)");
    assert_string_equal(tstr(bin(SL_SQL_OP_DIV, x, y)->type), "DECIMAL(9, 6)");
    assert_string_equal(tstr(bin(SL_SQL_OP_MOD, x, y)->type), "DECIMAL(2, 1)");
    assert_string_equal(tstr(bin(SL_SQL_OP_MUL, l, x)->type), "DECIMAL(23, 1)");
    /* precision beyond 38 keeps the integer digits */
    sl_sql_expr_t *big = col("B", sl_sql_type_decimal(&A, 38, 10));
    assert_string_equal(tstr(bin(SL_SQL_OP_MUL, big, big)->type), "DECIMAL(38, 6)");
    /* the operands are cast to the result type, the text stays as written */
    sl_sql_expr_t *e = bin(SL_SQL_OP_ADD, i, l);
    assert_int_equal(e->args[0]->kind, SL_SQL_E_CAST);
    assert_string_equal(e->text, "(I + L)");
    sl_sql_expr_t *neg = sl_sql_expr_unary(&A, SL_SQL_OP_NEG, d, err, sizeof err);
    assert_string_equal(neg->text, "-D");
    assert_string_equal(tstr(bin(SL_SQL_OP_ADD, s, s)->type), "STRING");
    assert_int_equal(bin(SL_SQL_OP_ADD, s, s)->kind, SL_SQL_E_CONCAT);
}

static void expr_arithmetic_errors(void **state)
{
    (void)state;
    sl_sql_expr_t *name = col("NAME", T(SL_SQL_T_STRING));
    assert_null(bin(SL_SQL_OP_ADD, name, I("1")));
    assert_string_equal(err, "Unsupported arithmetic types. STRING INTEGER");
    assert_null(bin(SL_SQL_OP_MUL, NUL(), I("1")));
    assert_string_equal(err, "Arithmetic on types null and INTEGER are not supported.");
    assert_null(bin(SL_SQL_OP_ADD, lit(SL_SQL_A_BOOL, NULL), lit(SL_SQL_A_DECIMAL, "1.5")));
    assert_string_equal(err, "Unsupported arithmetic types. BOOLEAN DECIMAL");
    assert_null(sl_sql_expr_unary(&A, SL_SQL_OP_NEG, name, err, sizeof err));
    assert_null(bin(SL_SQL_OP_CONCAT, name, I("1")));
}

static void expr_comparisons(void **state)
{
    (void)state;
    sl_sql_expr_t *i = col("I", T(SL_SQL_T_INT)), *s = col("S", T(SL_SQL_T_STRING)),
                  *ts = col("TS", T(SL_SQL_T_TIMESTAMP)), *b = col("B", T(SL_SQL_T_BOOLEAN));
    sl_sql_expr_t *e = bin(SL_SQL_OP_LT, i, lit(SL_SQL_A_DECIMAL, "2.5"));
    assert_non_null(e);
    assert_string_equal(tstr(e->args[0]->type), "DECIMAL(11, 1)");
    assert_string_equal(e->text, "(I < 2.5)");
    e = bin(SL_SQL_OP_GT, ts, S("2020-01-01T00:00:00"));
    assert_non_null(e);
    assert_int_equal(e->args[1]->kind, SL_SQL_E_CONST); /* the string folded into a TIMESTAMP */
    assert_int_equal(e->args[1]->value.kind, SL_SQL_T_TIMESTAMP);
    assert_true(e->args[1]->value.u.i64 == 1577836800000LL);
    sl_sql_expr_t *rt = sl_sql_expr_column(&A, SL_SQL_COL_PSEUDO, SL_SQL_PSEUDO_ROWTIME, T(SL_SQL_T_BIGINT), "ROWTIME");
    e = bin(SL_SQL_OP_GE, rt, S("2020-01-01T00:00:00"));
    assert_non_null(e);
    assert_string_equal(e->text, "(ROWTIME >= '2020-01-01T00:00:00')");
    assert_int_equal(e->args[1]->value.kind, SL_SQL_T_BIGINT);
    assert_true(e->args[1]->value.u.i64 == 1577836800000LL);
    e = sl_sql_expr_between(&A, rt, S("2020"), S("2021"), false, err, sizeof err);
    assert_non_null(e);
    assert_true(e->args[2]->value.u.i64 == 1609459200000LL);
    assert_null(bin(SL_SQL_OP_LT, S("soon"), rt));
    assert_non_null(strstr(err, "Failed to parse timestamp 'soon'"));
    assert_null(bin(SL_SQL_OP_EQ, s, I("1")));
    assert_string_equal(err, "Cannot compare S (STRING) to 1 (INTEGER) with EQUAL.");
    assert_null(bin(SL_SQL_OP_LT, b, b));
    assert_string_equal(err, "Cannot compare B (BOOLEAN) to B (BOOLEAN) with LESS_THAN.");
    assert_non_null(bin(SL_SQL_OP_NE, b, b));
    assert_null(bin(SL_SQL_OP_EQ, i, NUL()));
    assert_string_equal(err,
                        "Comparison with NULL not supported: INTEGER = NULL\nUse 'IS NULL' or 'IS NOT NULL' instead.");
    assert_null(bin(SL_SQL_OP_AND, i, b));
    assert_string_equal(err, "Logical binary expects two boolean values.  Actual INTEGER and BOOLEAN");
    assert_null(sl_sql_expr_unary(&A, SL_SQL_OP_NOT, s, err, sizeof err));
    assert_string_equal(err, "Not expression expects a boolean value.  Actual STRING");
    assert_non_null(bin(SL_SQL_OP_OR, b, NUL()));
}

static void expr_predicates(void **state)
{
    (void)state;
    sl_sql_expr_t *i = col("I", T(SL_SQL_T_INT)), *s = col("S", T(SL_SQL_T_STRING));
    sl_sql_expr_t *e = sl_sql_expr_like(&A, s, S("a%"), NULL, true, err, sizeof err);
    assert_string_equal(e->text, "(S NOT LIKE 'a%')");
    assert_null(sl_sql_expr_like(&A, i, S("a%"), NULL, false, err, sizeof err));
    assert_null(sl_sql_expr_like(&A, s, S("a%"), S("ab"), false, err, sizeof err));
    e = sl_sql_expr_like(&A, s, S("a!%"), S("!"), false, err, sizeof err);
    assert_string_equal(e->text, "(S LIKE 'a!%' ESCAPE '!')");
    e = sl_sql_expr_between(&A, i, I("1"), lit(SL_SQL_A_DOUBLE, "5.5"), false, err, sizeof err);
    assert_string_equal(e->text, "(I BETWEEN 1 AND 5.5)");
    assert_string_equal(tstr(e->args[0]->type), "DOUBLE");
    assert_null(sl_sql_expr_between(&A, i, S("a"), I("2"), false, err, sizeof err));
    sl_sql_expr_t *list[3] = {I("1"), lit(SL_SQL_A_INT, "5000000000"), NUL()};
    e = sl_sql_expr_in(&A, i, list, 3, true, err, sizeof err);
    assert_string_equal(e->text, "(I NOT IN (1, 5000000000, null))");
    assert_string_equal(tstr(e->args[0]->type), "BIGINT");
    sl_sql_expr_t *bad[1] = {S("x")};
    assert_null(sl_sql_expr_in(&A, i, bad, 1, false, err, sizeof err));
    e = sl_sql_expr_is_null(&A, s, true, err, sizeof err);
    assert_string_equal(e->text, "(S IS NOT NULL)");
}

static void expr_case_types(void **state)
{
    (void)state;
    sl_sql_expr_t *i = col("I", T(SL_SQL_T_INT)), *s = col("S", T(SL_SQL_T_STRING));
    sl_sql_expr_t *w[2] = {bin(SL_SQL_OP_GT, i, I("1")), bin(SL_SQL_OP_LT, i, I("0"))};
    sl_sql_expr_t *t[2] = {I("1"), lit(SL_SQL_A_INT, "5000000000")};
    sl_sql_expr_t *e = sl_sql_expr_case(&A, NULL, w, t, 2, NULL, err, sizeof err);
    assert_non_null(e);
    assert_string_equal(tstr(e->type), "BIGINT");
    assert_string_equal(e->text, "(CASE WHEN (I > 1) THEN 1 WHEN (I < 0) THEN 5000000000 END)");
    assert_int_equal(e->n_args, 5);
    sl_sql_expr_t *t2[2] = {I("1"), S("x")};
    assert_null(sl_sql_expr_case(&A, NULL, w, t2, 2, NULL, err, sizeof err));
    assert_non_null(strstr(err, "Invalid Case expression. Type for all 'THEN' clauses should be the same."));
    sl_sql_expr_t *t3[2] = {NUL(), NUL()};
    assert_null(sl_sql_expr_case(&A, NULL, w, t3, 2, NULL, err, sizeof err));
    assert_string_equal(err, "Invalid Case expression. All case branches have NULL type");
    assert_null(sl_sql_expr_case(&A, NULL, w, t, 2, S("no"), err, sizeof err));
    assert_non_null(strstr(err, "Type for the default clause should be the same as for 'THEN' clauses."));
    sl_sql_expr_t *nw[1] = {i};
    assert_null(sl_sql_expr_case(&A, NULL, nw, t, 1, NULL, err, sizeof err));
    assert_string_equal(err, "WHEN operand type should be boolean.\nType for 'I' is INTEGER");
    sl_sql_expr_t *sw[1] = {S("a")};
    e = sl_sql_expr_case(&A, s, sw, t, 1, I("0"), err, sizeof err);
    assert_non_null(e);
    assert_string_equal(e->text, "(CASE S WHEN 'a' THEN 1 ELSE 0 END)");
}

static void expr_casts_and_structures(void **state)
{
    (void)state;
    sl_sql_expr_t *i = col("I", T(SL_SQL_T_INT));
    sl_sql_expr_t *e = sl_sql_expr_cast(&A, i, T(SL_SQL_T_STRING), err, sizeof err);
    assert_string_equal(e->text, "CAST(I AS STRING)");
    assert_null(sl_sql_expr_cast(&A, i, T(SL_SQL_T_BOOLEAN), err, sizeof err));
    assert_string_equal(err, "Cast of INTEGER to BOOLEAN is not supported");

    sl_sql_field_t f[2] = {{"A", T(SL_SQL_T_INT)}, {"b", T(SL_SQL_T_STRING)}};
    sl_sql_expr_t *st = col("ST", sl_sql_type_struct(&A, f, 2));
    e = sl_sql_expr_deref(&A, st, "A", err, sizeof err);
    assert_string_equal(e->text, "ST->A");
    assert_int_equal(e->index, 0);
    e = sl_sql_expr_deref(&A, st, "B", err, sizeof err); /* the one field matching without case */
    assert_non_null(e);
    assert_int_equal(e->index, 1);
    assert_null(sl_sql_expr_deref(&A, st, "C", err, sizeof err));
    assert_string_equal(err, "Could not find field 'C' in 'ST'.");
    assert_null(sl_sql_expr_deref(&A, i, "C", err, sizeof err));
    assert_null(sl_sql_expr_subscript(&A, st, I("1"), err, sizeof err));
    assert_non_null(strstr(err, "Use the dereference operator for STRUCTS"));

    sl_sql_expr_t *arr = col("ARR", sl_sql_type_array(&A, T(SL_SQL_T_STRING)));
    e = sl_sql_expr_subscript(&A, arr, I("1"), err, sizeof err);
    assert_string_equal(tstr(e->type), "STRING");
    assert_string_equal(e->text, "ARR[1]");
    assert_null(sl_sql_expr_subscript(&A, arr, S("x"), err, sizeof err));
    sl_sql_expr_t *m = col("M", sl_sql_type_map(&A, T(SL_SQL_T_STRING), T(SL_SQL_T_DOUBLE)));
    e = sl_sql_expr_subscript(&A, m, S("k"), err, sizeof err);
    assert_string_equal(tstr(e->type), "DOUBLE");

    sl_sql_expr_t *items[3] = {I("1"), lit(SL_SQL_A_DOUBLE, "2.5"), NUL()};
    e = sl_sql_expr_array(&A, items, 3, err, sizeof err);
    assert_string_equal(tstr(e->type), "ARRAY<DOUBLE>");
    assert_string_equal(e->text, "ARRAY[1, 2.5, null]");
    assert_int_equal(e->kind, SL_SQL_E_CONST); /* folded */
    /* string literals among other types read as them, as ksqlDB coerces */
    sl_sql_expr_t *l = col("L", T(SL_SQL_T_BIGINT));
    sl_sql_expr_t *mixed[3] = {l, S("10"), NUL()};
    e = sl_sql_expr_array(&A, mixed, 3, err, sizeof err);
    assert_non_null(e);
    assert_string_equal(tstr(e->type), "ARRAY<BIGINT>");
    assert_int_equal(e->args[1]->value.kind, SL_SQL_T_BIGINT);
    mixed[1] = S("foo");
    assert_null(sl_sql_expr_array(&A, mixed, 3, err, sizeof err));
    assert_string_equal(err, "invalid input syntax for type BIGINT: \"foo\".");
    sl_sql_expr_t *strs[2] = {S("a"), S("b")};
    assert_string_equal(tstr(sl_sql_expr_array(&A, strs, 2, err, sizeof err)->type), "ARRAY<STRING>");
    sl_sql_expr_t *in_lits[2] = {S("1"), S("x")};
    assert_non_null(sl_sql_expr_in(&A, l, in_lits, 1, false, err, sizeof err));
    assert_null(sl_sql_expr_in(&A, l, in_lits, 2, false, err, sizeof err));
    assert_string_equal(err, "invalid input syntax for type BIGINT: \"x\".");
    /* numbers spelled by string literals widen the list; other types are refused as ksqlDB does */

    sl_sql_expr_t *nums[2] = {S("4.000"), S("2147483648")};
    e = sl_sql_expr_in(&A, i, nums, 2, false, err, sizeof err);
    assert_non_null(e);
    assert_string_equal(tstr(e->args[0]->type), "DECIMAL(22, 3)");
    sl_sql_expr_t *bools[1] = {lit(SL_SQL_A_BOOL, NULL)};
    assert_null(sl_sql_expr_in(&A, i, bools, 1, false, err, sizeof err));
    assert_string_equal(err, "operator does not exist: INTEGER = BOOLEAN (false)\nHint: You might need to add explicit type casts.");
    sl_sql_expr_t *strs_in[2] = {lit(SL_SQL_A_DECIMAL, "10.30"), lit(SL_SQL_A_BOOL, NULL)};
    e = sl_sql_expr_in(&A, col("N", T(SL_SQL_T_STRING)), strs_in, 2, false, err, sizeof err);
    assert_non_null(e);
    assert_int_equal(e->args[1]->value.kind, SL_SQL_T_STRING);
    assert_memory_equal(e->args[1]->value.u.s.ptr, "10.30", 5);
    sl_sql_expr_t *tsl[2] = {col("TS", T(SL_SQL_T_TIMESTAMP)), S("2020-01-01")};
    e = sl_sql_expr_in(&A, col("D", T(SL_SQL_T_DATE)), tsl, 2, false, err, sizeof err);
    assert_non_null(e);
    assert_string_equal(tstr(e->args[0]->type), "TIMESTAMP");
    assert_int_equal(e->args[2]->value.kind, SL_SQL_T_TIMESTAMP);
    sl_sql_expr_t *kvm[4] = {S("a"), l, S("b"), S("bar")};
    assert_null(sl_sql_expr_map(&A, kvm, 2, err, sizeof err));
    assert_string_equal(err, "invalid input syntax for type BIGINT: \"bar\".");
    sl_sql_expr_t *nulls[1] = {NUL()};
    assert_null(sl_sql_expr_array(&A, nulls, 1, err, sizeof err));
    assert_non_null(strstr(err, "Cannot construct an array with all NULL elements"));
    assert_null(sl_sql_expr_array(&A, NULL, 0, err, sizeof err));
    sl_sql_expr_t *kv[4] = {S("a"), I("1"), S("b"), i};
    e = sl_sql_expr_map(&A, kv, 2, err, sizeof err);
    assert_string_equal(tstr(e->type), "MAP<STRING, INTEGER>");
    assert_string_equal(e->text, "MAP('a':=1, 'b':=I)");
    const char *names[2] = {"X", "Y"};
    sl_sql_expr_t *vals[2] = {i, S("s")};
    e = sl_sql_expr_struct(&A, names, vals, 2, err, sizeof err);
    assert_string_equal(tstr(e->type), "STRUCT<`X` INTEGER, `Y` STRING>");
    assert_string_equal(e->text, "STRUCT(X:=I, Y:='s')");
    const char *dup[2] = {"X", "X"};
    assert_null(sl_sql_expr_struct(&A, dup, vals, 2, err, sizeof err));
}

static void expr_folding_and_constants(void **state)
{
    (void)state;
    sl_sql_expr_t *e = bin(SL_SQL_OP_ADD, I("1"), I("2"));
    assert_int_equal(e->kind, SL_SQL_E_CONST);
    assert_int_equal(e->value.u.i32, 3);
    assert_string_equal(e->text, "(1 + 2)");
    e = sl_sql_expr_unary(&A, SL_SQL_OP_NEG, I("5"), err, sizeof err);
    assert_int_equal(e->kind, SL_SQL_E_CONST);
    assert_int_equal(e->value.u.i32, -5);
    /* a failure stays for each record to report */
    e = sl_sql_expr_cast(&A, S("abc"), T(SL_SQL_T_INT), err, sizeof err);
    assert_int_equal(e->kind, SL_SQL_E_CAST);
    e = bin(SL_SQL_OP_DIV, I("1"), I("0"));
    assert_int_equal(e->kind, SL_SQL_E_ARITH);
    assert_true(sl_sql_expr_is_constant(e));
    assert_false(sl_sql_expr_is_constant(bin(SL_SQL_OP_ADD, col("I", T(SL_SQL_T_INT)), I("1"))));
    sl_buf_t b = SL_BUF_INIT;
    sl_sql_expr_format(bin(SL_SQL_OP_MUL, bin(SL_SQL_OP_ADD, col("A", T(SL_SQL_T_INT)), I("1")), I("2")), &b);
    assert_int_equal(b.len, strlen("((A + 1) * 2)"));
    assert_memory_equal(b.data, "((A + 1) * 2)", b.len);
    sl_buf_free(&b);
}

static void expr_unknown_function(void **state)
{
    (void)state;
    assert_null(sl_sql_expr_call(&A, "FOO", NULL, 0, err, sizeof err));
    assert_string_equal(err, "Can't find any functions with the name 'FOO'");
    assert_null(sl_sql_func_find("NO_SUCH_FUNCTION"));
}

static bool collect(const sl_sql_func_t *f, void *arg)
{
    const sl_sql_func_t **prev = arg;
    if (*prev) {
        assert_true(strcmp((*prev)->name, f->name) < 0); /* sorted, no name twice */
    }
    *prev = f;
    return true;
}

static void expr_registry(void **state)
{
    (void)state;
    const sl_sql_func_t *f = sl_sql_func_find("UCASE");
    assert_non_null(f);
    assert_ptr_equal(sl_sql_func_find("ucase"), f);
    assert_int_equal(f->kind, SL_SQL_F_SCALAR);
    assert_int_equal(sl_sql_func_find("SUM")->kind, SL_SQL_F_AGGREGATE);
    assert_int_equal(sl_sql_func_find("EXPLODE")->kind, SL_SQL_F_TABLE);
    const sl_sql_func_t *prev = NULL;
    sl_sql_func_each(collect, &prev);
    assert_non_null(prev);
    const char *near[4];
    size_t n = sl_sql_func_similar("UCAS", near, 4);
    assert_true(n >= 1);
    assert_string_equal(near[0], "UCASE");
    assert_int_equal(sl_sql_func_similar("ZZZZZZZZZZZZ", near, 4), 0);

    sl_sql_expr_t *s = col("S", T(SL_SQL_T_STRING)), *i = col("I", T(SL_SQL_T_INT));
    sl_sql_expr_t *args[2] = {s, i};
    sl_sql_expr_t *e = sl_sql_expr_call(&A, "ucase", args, 1, err, sizeof err);
    assert_non_null(e);
    assert_string_equal(e->text, "UCASE(S)");
    assert_string_equal(tstr(e->type), "STRING");
    assert_null(sl_sql_expr_call(&A, "UCASE", args + 1, 1, err, sizeof err));
    assert_non_null(strstr(err, "Function 'UCASE' does not accept parameters (INTEGER).\nValid alternatives are:\n"));
    assert_non_null(strstr(err, "For detailed information on a function run: DESCRIBE FUNCTION <Function-Name>;"));
    assert_null(sl_sql_expr_call(&A, "SUM", args + 1, 1, err, sizeof err));
    assert_null(sl_sql_expr_call(&A, "COALESCE", NULL, 0, err, sizeof err));
    assert_non_null(strstr(err, "Function 'COALESCE' does not accept parameters ()"));
    e = sl_sql_expr_call(&A, "SQRT", args + 1, 1, err, sizeof err);
    assert_non_null(e);
    assert_string_equal(tstr(e->type), "DOUBLE");
    /* constant arguments fold the call; RANDOM() never folds */
    sl_sql_expr_t *lit4[1] = {I("4")};
    e = sl_sql_expr_call(&A, "ABS", lit4, 1, err, sizeof err);
    assert_int_equal(e->kind, SL_SQL_E_CONST);
    e = sl_sql_expr_call(&A, "RANDOM", NULL, 0, err, sizeof err);
    assert_non_null(e);
    assert_int_equal(e->kind, SL_SQL_E_CALL);
    assert_false(sl_sql_expr_is_constant(e));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(expr_literals_are_typed_like_ksqldb),
        cmocka_unit_test(expr_arithmetic_result_types),
        cmocka_unit_test(expr_arithmetic_errors),
        cmocka_unit_test(expr_comparisons),
        cmocka_unit_test(expr_predicates),
        cmocka_unit_test(expr_case_types),
        cmocka_unit_test(expr_casts_and_structures),
        cmocka_unit_test(expr_folding_and_constants),
        cmocka_unit_test(expr_unknown_function),
        cmocka_unit_test(expr_registry),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
