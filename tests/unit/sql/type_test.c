/* type_test.c - SQL types: singletons, composites, equality, ksqlDB's
 * spelling, names and aliases, struct field lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "value_int.h"

static const char *fmt(const sl_sql_type_t *t)
{
    static char buf[256];
    return sl_sql_type_str(t, buf, sizeof buf);
}

static void type_primitives_are_singletons(void **state)
{
    (void)state;
    assert_ptr_equal(sl_sql_type_of(SL_SQL_T_INT), sl_sql_type_of(SL_SQL_T_INT));
    assert_int_equal(sl_sql_type_of(SL_SQL_T_BIGINT)->kind, SL_SQL_T_BIGINT);
    assert_null(sl_sql_type_of(SL_SQL_T_DECIMAL));
    assert_null(sl_sql_type_of(SL_SQL_T_STRUCT));
    assert_null(sl_sql_type_of(SL_SQL_T_COUNT_));
}

static void type_format_spells_like_ksqldb(void **state)
{
    (void)state;
    sl_arena_t a;
    sl_arena_init(&a, 0, 0);
    assert_string_equal(fmt(sl_sql_type_of(SL_SQL_T_INT)), "INTEGER");
    assert_string_equal(fmt(sl_sql_type_of(SL_SQL_T_STRING)), "STRING");
    assert_string_equal(fmt(sl_sql_type_decimal(&a, 10, 2)), "DECIMAL(10, 2)");
    const sl_sql_type_t *arr = sl_sql_type_array(&a, sl_sql_type_of(SL_SQL_T_STRING));
    assert_string_equal(fmt(arr), "ARRAY<STRING>");
    const sl_sql_type_t *map = sl_sql_type_map(&a, sl_sql_type_of(SL_SQL_T_STRING), sl_sql_type_of(SL_SQL_T_INT));
    assert_string_equal(fmt(map), "MAP<STRING, INTEGER>");
    sl_sql_field_t f[2] = {{"A", sl_sql_type_of(SL_SQL_T_INT)}, {"b", arr}};
    const sl_sql_type_t *st = sl_sql_type_struct(&a, f, 2);
    assert_string_equal(fmt(st), "STRUCT<`A` INTEGER, `b` ARRAY<STRING>>");
    char small[8];
    assert_string_equal(sl_sql_type_str(st, small, sizeof small), "STRUCT<");
    sl_arena_fini(&a);
}

static void type_decimal_bounds(void **state)
{
    (void)state;
    sl_arena_t a;
    sl_arena_init(&a, 0, 0);
    assert_non_null(sl_sql_type_decimal(&a, 38, 38));
    assert_non_null(sl_sql_type_decimal(&a, 1, 0));
    assert_null(sl_sql_type_decimal(&a, 0, 0));
    assert_null(sl_sql_type_decimal(&a, 39, 2));
    assert_null(sl_sql_type_decimal(&a, 5, 6));
    assert_null(sl_sql_type_decimal(&a, 5, -1));
    sl_arena_fini(&a);
}

static void type_equal_and_copy(void **state)
{
    (void)state;
    sl_arena_t a, b;
    sl_arena_init(&a, 0, 0);
    sl_arena_init(&b, 0, 0);
    sl_sql_field_t f[2] = {{"X", sl_sql_type_decimal(&a, 4, 1)},
                           {"Y", sl_sql_type_map(&a, sl_sql_type_of(SL_SQL_T_STRING),
                                                 sl_sql_type_array(&a, sl_sql_type_of(SL_SQL_T_BIGINT)))}};
    const sl_sql_type_t *st = sl_sql_type_struct(&a, f, 2);
    const sl_sql_type_t *cp = sl_sql_type_copy(&b, st);
    sl_arena_fini(&a); /* the copy must not point into a */
    assert_string_equal(fmt(cp), "STRUCT<`X` DECIMAL(4, 1), `Y` MAP<STRING, ARRAY<BIGINT>>>");
    sl_sql_field_t g[2] = {{"X", sl_sql_type_decimal(&b, 4, 1)}, {"Y", cp->fields[1].type}};
    assert_true(sl_sql_type_equal(cp, sl_sql_type_struct(&b, g, 2)));
    g[0].type = sl_sql_type_decimal(&b, 4, 2);
    assert_false(sl_sql_type_equal(cp, sl_sql_type_struct(&b, g, 2)));
    g[0].type = sl_sql_type_decimal(&b, 4, 1);
    g[1].name = "y";
    assert_false(sl_sql_type_equal(cp, sl_sql_type_struct(&b, g, 2)));
    assert_false(sl_sql_type_equal(sl_sql_type_of(SL_SQL_T_INT), sl_sql_type_of(SL_SQL_T_BIGINT)));
    assert_ptr_equal(sl_sql_type_copy(&b, sl_sql_type_of(SL_SQL_T_DATE)), sl_sql_type_of(SL_SQL_T_DATE));
    sl_arena_fini(&b);
}

static void type_by_name_with_aliases(void **state)
{
    (void)state;
    assert_ptr_equal(sl_sql_type_by_name("int", 3), sl_sql_type_of(SL_SQL_T_INT));
    assert_ptr_equal(sl_sql_type_by_name("INTEGER", 7), sl_sql_type_of(SL_SQL_T_INT));
    assert_ptr_equal(sl_sql_type_by_name("VarChar", 7), sl_sql_type_of(SL_SQL_T_STRING));
    assert_ptr_equal(sl_sql_type_by_name("STRINGX", 6), sl_sql_type_of(SL_SQL_T_STRING));
    assert_ptr_equal(sl_sql_type_by_name("timestamp", 9), sl_sql_type_of(SL_SQL_T_TIMESTAMP));
    assert_null(sl_sql_type_by_name("DECIMAL", 7));
    assert_null(sl_sql_type_by_name("FLOAT", 5));
    assert_null(sl_sql_type_by_name("IN", 2));
}

static void type_numeric_and_fields(void **state)
{
    (void)state;
    sl_arena_t a;
    sl_arena_init(&a, 0, 0);
    assert_true(sl_sql_type_is_numeric(sl_sql_type_of(SL_SQL_T_INT)));
    assert_true(sl_sql_type_is_numeric(sl_sql_type_decimal(&a, 3, 1)));
    assert_true(sl_sql_type_is_numeric(sl_sql_type_of(SL_SQL_T_DOUBLE)));
    assert_false(sl_sql_type_is_numeric(sl_sql_type_of(SL_SQL_T_STRING)));
    assert_false(sl_sql_type_is_numeric(sl_sql_type_of(SL_SQL_T_TIMESTAMP)));
    sl_sql_field_t f[2] = {{"A", sl_sql_type_of(SL_SQL_T_INT)}, {"b", sl_sql_type_of(SL_SQL_T_INT)}};
    const sl_sql_type_t *st = sl_sql_type_struct(&a, f, 2);
    assert_int_equal(sl_sql_type_field(st, "A"), 0);
    assert_int_equal(sl_sql_type_field(st, "b"), 1);
    assert_int_equal(sl_sql_type_field(st, "B"), -1);
    assert_int_equal(sl_sql_type_field(sl_sql_type_of(SL_SQL_T_INT), "A"), -1);
    sl_arena_fini(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(type_primitives_are_singletons),
        cmocka_unit_test(type_format_spells_like_ksqldb),
        cmocka_unit_test(type_decimal_bounds),
        cmocka_unit_test(type_equal_and_copy),
        cmocka_unit_test(type_by_name_with_aliases),
        cmocka_unit_test(type_numeric_and_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
