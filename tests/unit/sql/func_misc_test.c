/*
 * func_misc_test.c - IFNULL, COALESCE, NULLIF (common types, NULLs) and UUID.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "func_test.h"

static void test_conditional(void **state)
{
    SL_UNUSED(state);
    fn_expect_i64("IFNULL", 5, 2, fn_null_int(), fn_int(5));
    fn_expect_i64("IFNULL", 4, 2, fn_int(4), fn_int(5));
    fn_expect_null("IFNULL", 2, fn_null_int(), fn_null_int());
    fn_expect_str("COALESCE", "b", 3, fn_null_str(), fn_str("b"), fn_str("c"));
    fn_expect_null("COALESCE", 2, fn_null_str(), fn_null_str());
    fn_expect_i64("COALESCE", 2, 2, fn_null_int(), fn_bigint(2));
    assert_string_equal(fn_type_of("COALESCE", 2, fn_int(1), fn_bigint(2)), "BIGINT");
    fn_expect_double("COALESCE", 1.0, 2, fn_int(1), fn_double(2));
    fn_expect_bind_error("COALESCE", "does not accept parameters (INTEGER, STRING)", 2, fn_int(1), fn_str("x"));
    fn_expect_null("NULLIF", 2, fn_str("a"), fn_str("a"));
    fn_expect_str("NULLIF", "a", 2, fn_str("a"), fn_str("b"));
    fn_expect_str("NULLIF", "a", 2, fn_str("a"), fn_null_str());
    fn_expect_null("NULLIF", 2, fn_int(2), fn_bigint(2));
}

static void test_as_value(void **state)
{
    SL_UNUSED(state);
    fn_expect_i64("AS_VALUE", 7, 1, fn_int(7));
    assert_string_equal(fn_type_of("AS_VALUE", 1, fn_decimal(4, 2, 1)), "DECIMAL(4, 2)");
    fn_expect_null("AS_VALUE", 1, fn_null_str());
}

static void test_uuid(void **state)
{
    SL_UNUSED(state);
    sl_sql_datum_t a = fn_call("UUID", 0), b = fn_call("UUID", 0);
    assert_int_equal(a.kind, SL_SQL_T_STRING);
    assert_int_equal(a.u.s.len, 36);
    assert_int_equal(a.u.s.ptr[8], '-');
    assert_int_equal(a.u.s.ptr[14], '4');
    assert_true(strchr("89ab", a.u.s.ptr[19]) != NULL);
    assert_memory_not_equal(a.u.s.ptr, b.u.s.ptr, 36);
}

/* DESCRIBE FUNCTION and SHOW FUNCTIONS need every function to say what it
 * is: a category, a sentence, and per overload a signature and a line. */
static void test_registry_entries(void **state)
{
    SL_UNUSED(state);
    const sl_sql_func_t *const groups[] = {sl_sql_funcs_math, sl_sql_funcs_string, sl_sql_funcs_time,
                                           sl_sql_funcs_json, sl_sql_funcs_collection, sl_sql_funcs_misc,
                                           sl_sql_funcs_table};
    int count = 0;
    for (size_t g = 0; g < SL_ARRAY_LEN(groups); g++) {
        for (const sl_sql_func_t *f = groups[g]; f->name; f++, count++) {
            assert_ptr_equal(sl_sql_func_find(f->name), f); /* one function per name */
            assert_non_null(f->category);
            assert_non_null(f->description);
            if (f->kind == SL_SQL_F_TABLE) {
                assert_non_null(f->table);
                assert_non_null(f->agg_signatures);
                continue;
            }
            assert_true(f->n_overloads > 0);
            for (uint32_t i = 0; i < f->n_overloads; i++) {
                const sl_sql_overload_t *o = &f->overloads[i];
                if (!o->signature || !o->description || !o->eval ||
                    (o->result == SL_SQL_T_NULL && !o->resolve) || strncmp(o->signature, f->name, strlen(f->name)))
                    fail_msg("%s overload %u is incomplete", f->name, i);
            }
        }
    }
    assert_true(count > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_conditional, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_as_value, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_uuid, fn_setup, fn_teardown),
        cmocka_unit_test(test_registry_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
