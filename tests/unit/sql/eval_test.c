/* eval_test.c - evaluation: NULL handling and three-valued logic, Java's
 * integer overflow, division by zero, decimals, LIKE, BETWEEN, IN, CASE,
 * casts at run time, structured values. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "expr_int.h"

static sl_arena_t A;
static char err[1024];
static sl_sql_datum_t cols[8];
static sl_sql_row_t row = {8, cols};
static sl_sql_eval_t cx;

static int setup(void **state)
{
    (void)state;
    sl_arena_init(&A, 0, 0);
    memset(cols, 0, sizeof cols);
    sl_sql_eval_init(&cx, &A, NULL, &row);
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

/* Column i of the value row, of type t, holding d. */
static sl_sql_expr_t *col(uint32_t i, const sl_sql_type_t *t, sl_sql_datum_t d)
{
    cols[i] = d;
    char name[8];
    snprintf(name, sizeof name, "C%u", i);
    return sl_sql_expr_column(&A, SL_SQL_COL_VALUE, i, t, name);
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

static sl_sql_expr_t *bin(sl_sql_op_t op, sl_sql_expr_t *a, sl_sql_expr_t *b)
{
    sl_sql_expr_t *e = sl_sql_expr_binary(&A, op, a, b, err, sizeof err);
    if (!e)
        fail_msg("%s", err);
    return e;
}

/* e's value as text ("null" for NULL); the record's error is left in cx. */
static const char *ev(const sl_sql_expr_t *e)
{
    cx.error[0] = 0;
    sl_sql_datum_t d;
    sl_sql_eval(e, &cx, &d);
    sl_buf_t b = SL_BUF_INIT;
    sl_sql_datum_format(&d, e->type, &b);
    char *s = sl_arena_strndup(&A, b.data ? (const char *)b.data : "", b.len);
    sl_buf_free(&b);
    return s;
}

static sl_sql_expr_t *boolcol(uint32_t i, int v) /* -1: NULL */
{
    return col(i, T(SL_SQL_T_BOOLEAN), v < 0 ? sl_sql_null() : sl_sql_bool(v));
}

static void eval_three_valued_logic(void **state)
{
    (void)state;
    sl_sql_expr_t *n = boolcol(0, -1), *t = boolcol(1, 1), *f = boolcol(2, 0);
    assert_string_equal(ev(bin(SL_SQL_OP_AND, n, f)), "false");
    assert_string_equal(ev(bin(SL_SQL_OP_AND, f, n)), "false");
    assert_string_equal(ev(bin(SL_SQL_OP_AND, n, t)), "null");
    assert_string_equal(ev(bin(SL_SQL_OP_AND, t, t)), "true");
    assert_string_equal(ev(bin(SL_SQL_OP_OR, n, t)), "true");
    assert_string_equal(ev(bin(SL_SQL_OP_OR, n, f)), "null");
    assert_string_equal(ev(bin(SL_SQL_OP_OR, f, f)), "false");
    assert_string_equal(ev(sl_sql_expr_unary(&A, SL_SQL_OP_NOT, n, err, sizeof err)), "null");
    assert_string_equal(ev(sl_sql_expr_unary(&A, SL_SQL_OP_NOT, f, err, sizeof err)), "true");
    assert_false(sl_sql_eval_pred(n, &cx));
    assert_true(sl_sql_eval_pred(t, &cx));
    /* ksqlDB: a comparison with a NULL operand is FALSE */
    sl_sql_expr_t *ni = col(3, T(SL_SQL_T_INT), sl_sql_null());
    assert_string_equal(ev(bin(SL_SQL_OP_EQ, ni, lit(SL_SQL_A_INT, "1"))), "false");
    assert_string_equal(ev(bin(SL_SQL_OP_NE, ni, lit(SL_SQL_A_INT, "1"))), "false");
    sl_sql_expr_t *one = col(4, T(SL_SQL_T_BIGINT), sl_sql_bigint(1)), *nb = col(5, T(SL_SQL_T_BIGINT), sl_sql_null());
    assert_string_equal(ev(bin(SL_SQL_OP_DISTINCT, ni, one)), "true");
    assert_string_equal(ev(bin(SL_SQL_OP_DISTINCT, ni, nb)), "false");
    assert_string_equal(ev(bin(SL_SQL_OP_NOT_DISTINCT, ni, nb)), "true");
    assert_string_equal(ev(bin(SL_SQL_OP_NOT_DISTINCT, one, lit(SL_SQL_A_INT, "1"))), "true");
    assert_string_equal(ev(bin(SL_SQL_OP_DISTINCT, one, lit(SL_SQL_A_INT, "2"))), "true");
    assert_string_equal(bin(SL_SQL_OP_DISTINCT, ni, one)->text, "(C3 IS DISTINCT FROM C4)");
    assert_string_equal(ev(sl_sql_expr_is_null(&A, ni, false, err, sizeof err)), "true");
    assert_string_equal(ev(sl_sql_expr_is_null(&A, ni, true, err, sizeof err)), "false");
    /* keyless or tombstone records read NULL columns */
    sl_sql_eval_t empty;
    sl_sql_eval_init(&empty, &A, NULL, NULL);
    sl_sql_datum_t d;
    sl_sql_eval(ni, &empty, &d);
    assert_true(sl_sql_datum_is_null(&d));
}

static void eval_integer_arithmetic_is_javas(void **state)
{
    (void)state;
    sl_sql_expr_t *mx = col(0, T(SL_SQL_T_INT), sl_sql_int(INT32_MAX));
    sl_sql_expr_t *mn = col(1, T(SL_SQL_T_INT), sl_sql_int(INT32_MIN));
    sl_sql_expr_t *m1 = col(2, T(SL_SQL_T_INT), sl_sql_int(-1));
    sl_sql_expr_t *z = col(3, T(SL_SQL_T_INT), sl_sql_int(0));
    sl_sql_expr_t *seven = col(4, T(SL_SQL_T_INT), sl_sql_int(-7));
    sl_sql_expr_t *bmax = col(5, T(SL_SQL_T_BIGINT), sl_sql_bigint(INT64_MAX));
    assert_string_equal(ev(bin(SL_SQL_OP_ADD, mx, lit(SL_SQL_A_INT, "1"))), "-2147483648");
    assert_string_equal(ev(bin(SL_SQL_OP_MUL, mx, mx)), "1");
    assert_string_equal(ev(bin(SL_SQL_OP_DIV, mn, m1)), "-2147483648");
    assert_string_equal(ev(bin(SL_SQL_OP_MOD, mn, m1)), "0");
    assert_string_equal(ev(sl_sql_expr_unary(&A, SL_SQL_OP_NEG, mn, err, sizeof err)), "-2147483648");
    assert_string_equal(ev(bin(SL_SQL_OP_DIV, seven, lit(SL_SQL_A_INT, "2"))), "-3");
    assert_string_equal(ev(bin(SL_SQL_OP_MOD, seven, lit(SL_SQL_A_INT, "2"))), "-1");
    assert_string_equal(ev(bin(SL_SQL_OP_ADD, bmax, lit(SL_SQL_A_INT, "1"))), "-9223372036854775808");
    assert_string_equal(ev(bin(SL_SQL_OP_ADD, mx, bmax)), "-9223372034707292162");
    assert_string_equal(ev(bin(SL_SQL_OP_DIV, mx, z)), "null");
    assert_string_equal(cx.error, "Error computing expression (C0 / C3): / by zero");
    assert_string_equal(ev(bin(SL_SQL_OP_MOD, mx, z)), "null");
    assert_true(cx.error[0] != 0);
    sl_sql_expr_t *d = col(6, T(SL_SQL_T_DOUBLE), sl_sql_double(1));
    assert_string_equal(ev(bin(SL_SQL_OP_DIV, d, z)), "Infinity");
    assert_string_equal(cx.error, "");
    assert_string_equal(ev(bin(SL_SQL_OP_ADD, d, mx)), "2.147483648E9");
    sl_sql_expr_t *ni = col(7, T(SL_SQL_T_INT), sl_sql_null());
    assert_string_equal(ev(bin(SL_SQL_OP_ADD, ni, mx)), "null");
    assert_string_equal(cx.error, "");
}

static void eval_decimals(void **state)
{
    (void)state;
    sl_sql_expr_t *ten = lit(SL_SQL_A_DECIMAL, "10.0"), *three = lit(SL_SQL_A_DECIMAL, "3.0");
    sl_sql_datum_t x = {.kind = SL_SQL_T_DECIMAL, .scale = 2, .u.dec = 1250};
    sl_sql_expr_t *c = col(0, sl_sql_type_decimal(&A, 4, 2), x);
    assert_string_equal(ev(bin(SL_SQL_OP_DIV, ten, three)), "3.333333");
    assert_string_equal(ev(bin(SL_SQL_OP_DIV, three, lit(SL_SQL_A_DECIMAL, "9.0"))), "0.333333");
    assert_string_equal(ev(bin(SL_SQL_OP_DIV, lit(SL_SQL_A_DECIMAL, "2.0"), three)), "0.666667");
    assert_string_equal(ev(bin(SL_SQL_OP_ADD, c, three)), "15.50");
    assert_string_equal(ev(bin(SL_SQL_OP_SUB, three, c)), "-9.50");
    assert_string_equal(ev(bin(SL_SQL_OP_MUL, c, three)), "37.500");
    assert_string_equal(ev(bin(SL_SQL_OP_MOD, c, three)), "0.50");
    assert_string_equal(ev(bin(SL_SQL_OP_ADD, c, lit(SL_SQL_A_INT, "1"))), "13.50");
    assert_string_equal(ev(bin(SL_SQL_OP_MUL, c, lit(SL_SQL_A_DOUBLE, "2.0E0"))), "25.0");
    assert_string_equal(ev(sl_sql_expr_unary(&A, SL_SQL_OP_NEG, c, err, sizeof err)), "-12.50");
    sl_sql_datum_t zero = {.kind = SL_SQL_T_DECIMAL, .scale = 1, .u.dec = 0};
    sl_sql_expr_t *z = col(1, sl_sql_type_decimal(&A, 2, 1), zero);
    assert_string_equal(ev(bin(SL_SQL_OP_DIV, c, z)), "null");
    assert_true(cx.error[0] != 0);
    assert_string_equal(ev(bin(SL_SQL_OP_GT, c, lit(SL_SQL_A_INT, "12"))), "true");
    assert_string_equal(ev(bin(SL_SQL_OP_EQ, c, lit(SL_SQL_A_DECIMAL, "12.500"))), "true");
}

static sl_sql_expr_t *like(sl_sql_expr_t *v, const char *pat, const char *esc, bool neg)
{
    sl_sql_expr_t *e = sl_sql_expr_like(&A, v, lit(SL_SQL_A_STRING, pat), esc ? lit(SL_SQL_A_STRING, esc) : NULL,
                                        neg, err, sizeof err);
    if (!e)
        fail_msg("%s", err);
    return e;
}

static void eval_like(void **state)
{
    (void)state;
    sl_sql_expr_t *s = col(0, T(SL_SQL_T_STRING), sl_sql_string("abcabd", 6));
    assert_string_equal(ev(like(s, "a%", NULL, false)), "true");
    assert_string_equal(ev(like(s, "%abd", NULL, false)), "true");
    assert_string_equal(ev(like(s, "%b_", NULL, false)), "true");
    assert_string_equal(ev(like(s, "a%c", NULL, false)), "false");
    assert_string_equal(ev(like(s, "abc", NULL, false)), "false");
    assert_string_equal(ev(like(s, "______", NULL, false)), "true");
    assert_string_equal(ev(like(s, "_____", NULL, false)), "false");
    assert_string_equal(ev(like(s, "%%%", NULL, false)), "true");
    assert_string_equal(ev(like(s, "a%", NULL, true)), "false");
    assert_string_equal(ev(like(s, "ABC%", NULL, false)), "false");
    sl_sql_expr_t *p = col(1, T(SL_SQL_T_STRING), sl_sql_string("50%_off", 7));
    assert_string_equal(ev(like(p, "50!%!_off", "!", false)), "true");
    assert_string_equal(ev(like(p, "50!%x", "!", false)), "false");
    assert_string_equal(ev(like(s, "a!%", "!", false)), "false");
    sl_sql_expr_t *u = col(2, T(SL_SQL_T_STRING), sl_sql_string("\xc3\xa9t\xc3\xa9", 5));
    assert_string_equal(ev(like(u, "_t_", NULL, false)), "true");
    assert_string_equal(ev(like(u, "%t", NULL, false)), "false");
    sl_sql_expr_t *n = col(3, T(SL_SQL_T_STRING), sl_sql_null());
    assert_string_equal(ev(like(n, "%", NULL, false)), "null");
    sl_sql_expr_t *e = col(4, T(SL_SQL_T_STRING), sl_sql_string("", 0));
    assert_string_equal(ev(like(e, "%", NULL, false)), "true");
    assert_string_equal(ev(like(e, "_", NULL, false)), "false");
}

static void eval_between_in_case(void **state)
{
    (void)state;
    sl_sql_expr_t *i = col(0, T(SL_SQL_T_INT), sl_sql_int(5));
    sl_sql_expr_t *n = col(1, T(SL_SQL_T_INT), sl_sql_null());
    sl_sql_expr_t *one = lit(SL_SQL_A_INT, "1"), *five = lit(SL_SQL_A_INT, "5");
    assert_string_equal(ev(sl_sql_expr_between(&A, i, one, five, false, err, sizeof err)), "true");
    assert_string_equal(ev(sl_sql_expr_between(&A, i, one, lit(SL_SQL_A_DECIMAL, "4.9"), false, err, sizeof err)),
                        "false");
    assert_string_equal(ev(sl_sql_expr_between(&A, i, one, five, true, err, sizeof err)), "false");
    assert_string_equal(ev(sl_sql_expr_between(&A, n, one, five, false, err, sizeof err)), "false");
    sl_sql_expr_t *list[3] = {one, lit(SL_SQL_A_DOUBLE, "5.0E0"), lit(SL_SQL_A_NULL, NULL)};
    assert_string_equal(ev(sl_sql_expr_in(&A, i, list, 3, false, err, sizeof err)), "true");
    assert_string_equal(ev(sl_sql_expr_in(&A, i, list, 1, false, err, sizeof err)), "false");
    assert_string_equal(ev(sl_sql_expr_in(&A, i, list, 1, true, err, sizeof err)), "true");
    assert_string_equal(ev(sl_sql_expr_in(&A, n, list, 3, false, err, sizeof err)), "false");

    sl_sql_expr_t *w[2] = {bin(SL_SQL_OP_LT, i, one), bin(SL_SQL_OP_GE, i, five)};
    sl_sql_expr_t *t[2] = {lit(SL_SQL_A_STRING, "small"), lit(SL_SQL_A_STRING, "big")};
    sl_sql_expr_t *c = sl_sql_expr_case(&A, NULL, w, t, 2, NULL, err, sizeof err);
    assert_string_equal(ev(c), "big");
    cols[0] = sl_sql_int(3);
    assert_string_equal(ev(c), "null");
    sl_sql_expr_t *sw[2] = {lit(SL_SQL_A_INT, "3"), five};
    c = sl_sql_expr_case(&A, i, sw, t, 2, lit(SL_SQL_A_STRING, "other"), err, sizeof err);
    assert_string_equal(ev(c), "small");
    cols[0] = sl_sql_int(9);
    assert_string_equal(ev(c), "other");
    /* a NULL WHEN is not true */
    sl_sql_expr_t *nw[1] = {col(2, T(SL_SQL_T_BOOLEAN), sl_sql_null())};
    c = sl_sql_expr_case(&A, NULL, nw, t, 1, lit(SL_SQL_A_STRING, "else"), err, sizeof err);
    assert_string_equal(ev(c), "else");
}

static void eval_casts_and_times(void **state)
{
    (void)state;
    sl_sql_expr_t *s = col(0, T(SL_SQL_T_STRING), sl_sql_string("12x", 3));
    sl_sql_expr_t *c = sl_sql_expr_cast(&A, s, T(SL_SQL_T_INT), err, sizeof err);
    assert_string_equal(ev(c), "null");
    assert_string_equal(cx.error, "Error computing expression CAST(C0 AS INTEGER): invalid input syntax for type INTEGER: \"12x\".");
    cols[0] = sl_sql_string(" 12 ", 4);
    assert_string_equal(ev(c), "12");
    sl_sql_expr_t *d = col(1, T(SL_SQL_T_DOUBLE), sl_sql_double(1e10));
    assert_string_equal(ev(sl_sql_expr_cast(&A, d, T(SL_SQL_T_STRING), err, sizeof err)), "1.0E10");
    sl_sql_datum_t tsd = {.kind = SL_SQL_T_TIMESTAMP, .u.i64 = 1577836800000LL};
    sl_sql_expr_t *ts = col(2, T(SL_SQL_T_TIMESTAMP), tsd);
    assert_string_equal(ev(bin(SL_SQL_OP_GE, ts, lit(SL_SQL_A_STRING, "2020-01-01"))), "true");
    assert_string_equal(ev(bin(SL_SQL_OP_GT, ts, lit(SL_SQL_A_STRING, "2020-01-01T00:00:00.001"))), "false");
    assert_string_equal(ev(sl_sql_expr_cast(&A, ts, T(SL_SQL_T_STRING), err, sizeof err)),
                        "2020-01-01T00:00:00.000");
    /* a string column compared with a TIMESTAMP is parsed per record */
    sl_sql_expr_t *st = col(3, T(SL_SQL_T_STRING), sl_sql_string("2021", 4));
    assert_string_equal(ev(bin(SL_SQL_OP_LT, ts, st)), "true");
    cols[3] = sl_sql_string("bad", 3);
    assert_string_equal(ev(bin(SL_SQL_OP_LT, ts, st)), "false"); /* NULL after the failed cast */
    assert_true(cx.error[0] != 0);
}

static void eval_structured_values(void **state)
{
    (void)state;
    sl_sql_datum_t items[3] = {sl_sql_int(10), sl_sql_int(20), sl_sql_int(30)};
    sl_sql_datum_t arr = {.kind = SL_SQL_T_ARRAY, .u.a = {items, 3}};
    sl_sql_expr_t *a = col(0, sl_sql_type_array(&A, T(SL_SQL_T_INT)), arr);
    const char *idx[] = {"1", "3", "4", "0", "-1", "-3", "-4"};
    const char *want[] = {"10", "30", "null", "null", "30", "10", "null"};
    for (int i = 0; i < 7; i++) {
        sl_sql_ast_expr_t n = {.kind = SL_SQL_A_INT, .text = idx[i][0] == '-' ? idx[i] + 1 : idx[i]};
        sl_sql_expr_t *ix = sl_sql_expr_literal(&A, &n, err, sizeof err);
        if (idx[i][0] == '-')
            ix = sl_sql_expr_unary(&A, SL_SQL_OP_NEG, ix, err, sizeof err);
        assert_string_equal(ev(sl_sql_expr_subscript(&A, a, ix, err, sizeof err)), want[i]);
    }
    sl_sql_expr_t *kv[6] = {lit(SL_SQL_A_STRING, "a"), lit(SL_SQL_A_INT, "1"), lit(SL_SQL_A_STRING, "b"),
                            col(1, T(SL_SQL_T_INT), sl_sql_int(2)), lit(SL_SQL_A_STRING, "a"),
                            lit(SL_SQL_A_INT, "3")};
    sl_sql_expr_t *m = sl_sql_expr_map(&A, kv, 3, err, sizeof err);
    assert_string_equal(ev(m), "{a=3, b=2}");
    assert_string_equal(ev(sl_sql_expr_subscript(&A, m, lit(SL_SQL_A_STRING, "b"), err, sizeof err)), "2");
    assert_string_equal(ev(sl_sql_expr_subscript(&A, m, lit(SL_SQL_A_STRING, "z"), err, sizeof err)), "null");
    const char *names[2] = {"X", "Y"};
    sl_sql_expr_t *vals[2] = {col(2, T(SL_SQL_T_STRING), sl_sql_string("s", 1)), lit(SL_SQL_A_NULL, NULL)};
    sl_sql_expr_t *st = sl_sql_expr_struct(&A, names, vals, 2, err, sizeof err);
    assert_string_equal(ev(st), "Struct{X=s}");
    assert_string_equal(ev(sl_sql_expr_deref(&A, st, "X", err, sizeof err)), "s");
    sl_sql_expr_t *arrs[2] = {col(3, T(SL_SQL_T_INT), sl_sql_int(1)), lit(SL_SQL_A_DECIMAL, "2.5")};
    assert_string_equal(ev(sl_sql_expr_array(&A, arrs, 2, err, sizeof err)), "[1.0, 2.5]");
    sl_sql_expr_t *ns = col(4, st->type, sl_sql_null());
    assert_string_equal(ev(sl_sql_expr_deref(&A, ns, "X", err, sizeof err)), "null");
    assert_string_equal(ev(bin(SL_SQL_OP_CONCAT, vals[0], lit(SL_SQL_A_STRING, "t"))), "st");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(eval_three_valued_logic, setup, teardown),
        cmocka_unit_test_setup_teardown(eval_integer_arithmetic_is_javas, setup, teardown),
        cmocka_unit_test_setup_teardown(eval_decimals, setup, teardown),
        cmocka_unit_test_setup_teardown(eval_like, setup, teardown),
        cmocka_unit_test_setup_teardown(eval_between_in_case, setup, teardown),
        cmocka_unit_test_setup_teardown(eval_casts_and_times, setup, teardown),
        cmocka_unit_test_setup_teardown(eval_structured_values, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
