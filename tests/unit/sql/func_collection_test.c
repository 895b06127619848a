/*
 * func_collection_test.c - the array and map functions and the table
 * function EXPLODE.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "func_test.h"

static void test_arrays(void **state)
{
    SL_UNUSED(state);
    sl_sql_expr_t *a = fn_array(3, fn_int(3), fn_int(9), fn_int(1));
    fn_expect_i64("ARRAY_LENGTH", 3, 1, a);
    fn_expect_null("ARRAY_LENGTH", 1, fn_null_of(a->type));
    fn_expect_bool("ARRAY_CONTAINS", true, 2, a, fn_int(9));
    fn_expect_bool("ARRAY_CONTAINS", false, 2, a, fn_int(4));
    fn_expect_bool("ARRAY_CONTAINS", true, 2, a, fn_bigint(1)); /* compared as BIGINT */
    fn_expect_bool("ARRAY_CONTAINS", false, 2, fn_null_of(a->type), fn_int(1));
    fn_expect_bool("ARRAY_CONTAINS", true, 2, fn_array(2, fn_str("x"), fn_null_str()), fn_null_str());
    fn_expect_bind_error("ARRAY_CONTAINS", "does not accept", 2, a, fn_str("x"));
    fn_expect_i64("ARRAY_MAX", 9, 1, a);
    fn_expect_i64("ARRAY_MIN", 1, 1, a);
    fn_expect_str("ARRAY_MAX", "b", 1, fn_array(3, fn_str("a"), fn_null_str(), fn_str("b")));
    fn_expect_null("ARRAY_MIN", 1, fn_array(1, fn_null_str()));
    assert_string_equal(fn_type_of("ARRAY_MAX", 1, a), "INTEGER");
}

static void test_maps(void **state)
{
    SL_UNUSED(state);
    sl_sql_expr_t *m = fn_map(3, fn_str("b"), fn_int(2), fn_str("c"), fn_int(3), fn_str("a"), fn_int(1));
    static const char *const keys[] = {"a", "b", "c"};
    fn_check_str_array("MAP_KEYS", fn_call("MAP_KEYS", 1, m), 3, keys);
    assert_string_equal(fn_type_of("MAP_KEYS", 1, m), "ARRAY<STRING>");
    assert_string_equal(fn_type_of("MAP_VALUES", 1, m), "ARRAY<INTEGER>");
    sl_sql_datum_t v = fn_call("MAP_VALUES", 1, m);
    assert_int_equal(v.kind, SL_SQL_T_ARRAY);
    assert_int_equal(v.u.a.n, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(v.u.a.items[i].u.i32, i + 1);
    fn_expect_null("MAP_KEYS", 1, fn_null_of(m->type));
}

typedef struct collected {
    sl_sql_datum_t items[8];
    int n;
} collected_t;

static void collect(const sl_sql_datum_t *value, void *arg)
{
    collected_t *c = arg;
    if (c->n < 8)
        c->items[c->n] = *value;
    c->n++;
}

static void test_explode(void **state)
{
    SL_UNUSED(state);
    const sl_sql_func_t *f = sl_sql_func_find("EXPLODE");
    assert_non_null(f);
    assert_int_equal(f->kind, SL_SQL_F_TABLE);
    sl_sql_expr_t *a = fn_array(3, fn_str("x"), fn_null_str(), fn_str("z"));
    char err[160];
    const sl_sql_type_t *t = f->table->resolve(&fn_arena, &a->type, 1, err, sizeof err);
    assert_non_null(t);
    assert_int_equal(t->kind, SL_SQL_T_STRING);
    const sl_sql_type_t *s = sl_sql_type_of(SL_SQL_T_STRING);
    assert_null(f->table->resolve(&fn_arena, &s, 1, err, sizeof err));
    assert_non_null(strstr(err, "does not accept parameters (STRING)"));

    sl_sql_datum_t arr = fn_eval(a);
    sl_sql_eval_t cx;
    sl_sql_eval_init(&cx, &fn_arena, NULL, NULL);
    collected_t c = {.n = 0};
    f->table->apply(&arr, 1, &cx, collect, &c);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.items[0].u.s.len, 1);
    assert_int_equal(c.items[1].kind, SL_SQL_T_NULL);
    sl_sql_datum_t null = sl_sql_null();
    c.n = 0;
    f->table->apply(&null, 1, &cx, collect, &c);
    assert_int_equal(c.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_arrays, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_maps, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_explode, fn_setup, fn_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
