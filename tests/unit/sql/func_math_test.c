/*
 * func_math_test.c - the mathematical functions through the expression
 * API: values, result types, NULLs, ROUND's tie rules.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "func_test.h"

static void test_abs_ceil_floor(void **state)
{
    SL_UNUSED(state);
    fn_expect_i64("ABS", 5, 1, fn_int(-5));
    fn_expect_i64("ABS", INT32_MIN, 1, fn_int(INT32_MIN)); /* Java's Math.abs */
    fn_expect_i64("ABS", 7, 1, fn_bigint(-7));
    fn_expect_double("ABS", 1.5, 1, fn_double(-1.5));
    fn_expect_decimal("ABS", 125, 2, 1, fn_decimal(4, 2, -125));
    assert_string_equal(fn_type_of("ABS", 1, fn_decimal(4, 2, -125)), "DECIMAL(4, 2)");
    assert_string_equal(fn_type_of("ABS", 1, fn_int(1)), "INTEGER");
    fn_expect_null("ABS", 1, fn_null_int());
    fn_expect_double("CEIL", 2.0, 1, fn_double(1.2));
    fn_expect_double("CEIL", -1.0, 1, fn_double(-1.8));
    fn_expect_double("FLOOR", -2.0, 1, fn_double(-1.2));
    fn_expect_i64("FLOOR", 3, 1, fn_int(3));
    fn_expect_decimal("CEIL", 200, 2, 1, fn_decimal(4, 2, 125));   /* 1.25 -> 2.00 */
    fn_expect_decimal("CEIL", -100, 2, 1, fn_decimal(4, 2, -125)); /* -1.25 -> -1.00 */
    fn_expect_decimal("FLOOR", -200, 2, 1, fn_decimal(4, 2, -125));
    fn_expect_null("FLOOR", 1, fn_null_double());
}

static void test_round(void **state)
{
    SL_UNUSED(state);
    fn_expect_i64("ROUND", 3, 1, fn_double(2.5));
    fn_expect_i64("ROUND", -2, 1, fn_double(-2.5)); /* ties towards +infinity */
    fn_expect_i64("ROUND", -3, 1, fn_double(-2.51));
    fn_expect_i64("ROUND", 0, 1, fn_double(0.49999999999999994));
    assert_string_equal(fn_type_of("ROUND", 1, fn_double(1)), "BIGINT");
    assert_string_equal(fn_type_of("ROUND", 1, fn_int(1)), "BIGINT");
    fn_expect_i64("ROUND", 4, 1, fn_int(4));
    fn_expect_double("ROUND", 1.01, 2, fn_double(1.005), fn_int(2)); /* the decimal text 1.005 */
    fn_expect_double("ROUND", 1.23, 2, fn_double(1.234), fn_int(2));
    fn_expect_double("ROUND", -1.2, 2, fn_double(-1.25), fn_int(1)); /* -1.25 -> -1.2 */
    fn_expect_double("ROUND", -1.3, 2, fn_double(-1.251), fn_int(1));
    fn_expect_double("ROUND", 120.0, 2, fn_double(123.4), fn_int(-1));
    fn_expect_double("ROUND", 1000.0, 2, fn_double(999.9), fn_int(0));
    fn_expect_double("ROUND", 0.0, 2, fn_double(0.004), fn_int(2));
    assert_string_equal(fn_type_of("ROUND", 2, fn_double(1), fn_int(1)), "DOUBLE");
    /* DECIMAL(5,2) 123.45 -> DECIMAL(3,0) 123; -> 123.5 at 1 place, kept at scale 2 */
    fn_expect_decimal("ROUND", 123, 0, 1, fn_decimal(5, 2, 12345));
    assert_string_equal(fn_type_of("ROUND", 1, fn_decimal(5, 2, 12345)), "DECIMAL(3, 0)");
    fn_expect_decimal("ROUND", 12350, 2, 2, fn_decimal(5, 2, 12345), fn_int(1));
    fn_expect_decimal("ROUND", 12000, 2, 2, fn_decimal(5, 2, 12345), fn_int(-1));
    fn_expect_decimal("ROUND", -12340, 2, 2, fn_decimal(5, 2, -12345), fn_int(1)); /* tie up */
    fn_expect_null("ROUND", 1, fn_null_double());
    fn_expect_null("ROUND", 2, fn_double(1.5), fn_null_int());
}

static void test_trunc(void **state)
{
    SL_UNUSED(state);
    fn_expect_i64("TRUNC", -2, 1, fn_double(-2.7));
    fn_expect_i64("TRUNC", 2, 1, fn_double(2.7));
    fn_expect_double("TRUNC", 1.23, 2, fn_double(1.239), fn_int(2));
    fn_expect_double("TRUNC", -120.0, 2, fn_double(-129.9), fn_int(-1));
    fn_expect_double("TRUNC", 0.0, 2, fn_double(-0.5), fn_int(0));
    fn_expect_decimal("TRUNC", 123, 0, 1, fn_decimal(5, 2, 12399));
    fn_expect_decimal("TRUNC", -12390, 2, 2, fn_decimal(5, 2, -12399), fn_int(1));
    fn_expect_null("TRUNC", 2, fn_double(1.5), fn_null_int());
    /* ROUND to a zero gives +0.0, as BigDecimal's zero */
    sl_sql_datum_t z = fn_call("ROUND", 2, fn_double(-1.1), fn_int(-1));
    assert_int_equal(z.kind, SL_SQL_T_DOUBLE);
    assert_false(signbit(z.u.f64));
}

static void test_trigonometry(void **state)
{
    SL_UNUSED(state);
    fn_expect_double("PI", M_PI, 0);
    fn_expect_double("SIN", 0.0, 1, fn_double(0));
    fn_expect_double("COS", 1.0, 1, fn_int(0));
    fn_expect_double("ACOS", M_PI, 1, fn_int(-1));
    fn_expect_double("ATAN2", M_PI / 2, 2, fn_double(1), fn_double(0));
    fn_expect_double("DEGREES", 180.0, 1, fn_double(M_PI));
    fn_expect_double("RADIANS", M_PI, 1, fn_int(180));
    fn_expect_double("CBRT", 3.0, 1, fn_int(27));
    fn_expect_double("LOG", log(10.0), 1, fn_int(10));
    fn_expect_double("LOG", 3.0, 2, fn_double(2), fn_double(8));
    sl_sql_datum_t d = fn_call("LOG", 2, fn_double(1), fn_double(8));
    assert_true(isnan(d.u.f64));
    d = fn_call("SQRT", 1, fn_int(-1));
    assert_true(isnan(d.u.f64));
    d = fn_call("LN", 1, fn_int(0));
    assert_true(isinf(d.u.f64) && d.u.f64 < 0);
    fn_expect_null("TANH", 1, fn_null_double());
}

static void test_others(void **state)
{
    SL_UNUSED(state);
    fn_expect_double("SQRT", 3.0, 1, fn_double(9));
    fn_expect_double("SQRT", 2.0, 1, fn_int(4));
    fn_expect_null("SQRT", 1, fn_null_double());
    fn_expect_double("EXP", 1.0, 1, fn_double(0));
    fn_expect_double("LN", 0.0, 1, fn_double(1));
    fn_expect_double("POWER", 8.0, 2, fn_double(2), fn_double(3));
    fn_expect_i64("SIGN", -1, 1, fn_double(-3.5));
    fn_expect_i64("SIGN", 0, 1, fn_int(0));
    fn_expect_i64("SIGN", 1, 1, fn_decimal(3, 1, 5));
    for (int i = 0; i < 100; i++) {
        sl_sql_datum_t d = fn_call("RANDOM", 0);
        assert_int_equal(d.kind, SL_SQL_T_DOUBLE);
        assert_true(d.u.f64 >= 0.0 && d.u.f64 < 1.0);
    }
}

static void test_greatest_least(void **state)
{
    SL_UNUSED(state);
    fn_expect_i64("GREATEST", 7, 3, fn_int(3), fn_int(7), fn_int(5));
    fn_expect_i64("LEAST", 3, 3, fn_int(3), fn_null_int(), fn_int(5));
    fn_expect_null("GREATEST", 2, fn_null_int(), fn_null_int());
    fn_expect_double("GREATEST", 2.5, 3, fn_int(2), fn_double(2.5), fn_bigint(1));
    fn_expect_decimal("GREATEST", 1234567890000, 6, 2, fn_decimal(9, 2, 123456789), fn_decimal(7, 6, 123456));
    assert_string_equal(fn_type_of("GREATEST", 2, fn_decimal(9, 2, 1), fn_decimal(7, 6, 1)), "DECIMAL(13, 6)");
    fn_expect_str("LEAST", "apple", 2, fn_str("pear"), fn_str("apple"));
    /* ksqlDB's sentences */
    fn_expect_bind_error("GREATEST", "Function 'greatest' does not accept parameters (INTEGER, STRING).", 2,
                         fn_int(1), fn_str("x"));
    fn_expect_bind_error("GREATEST",
                         "Function 'greatest' cannot be resolved due to ambiguous method parameters (INTEGER, BIGINT).",
                         2, fn_int(2), fn_bigint(3));
    fn_expect_bind_error("LEAST", "Function 'least' does not accept parameters ().", 0);
    /* a string literal among timestamps is read as one */
    fn_expect_i64("GREATEST", 1655164800000, 2, fn_timestamp(1647734400000), fn_str("2022-06-14"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_abs_ceil_floor, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_round, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_trunc, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_trigonometry, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_others, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_greatest_least, fn_setup, fn_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
