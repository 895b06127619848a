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

static void check_ints(const char *what, sl_sql_datum_t d, uint32_t n, const int32_t *want)
{
    if (d.kind != SL_SQL_T_ARRAY || d.u.a.n != n)
        fail_msg("%s: kind %d with %u elements, want %u (error: %s)", what, d.kind, d.u.a.n, n, fn_last_error());
    for (uint32_t i = 0; i < n; i++) {
        bool null = want[i] == INT32_MIN;
        if (null ? d.u.a.items[i].kind != SL_SQL_T_NULL : d.u.a.items[i].u.i32 != want[i])
            fail_msg("%s: element %u is %d, want %d", what, i, d.u.a.items[i].u.i32, want[i]);
    }
}

#define NUL INT32_MIN

static void test_array_extras(void **state)
{
    SL_UNUSED(state);
    sl_sql_expr_t *a = fn_array(5, fn_int(3), fn_null_int(), fn_int(1), fn_int(3), fn_int(2));
    sl_sql_expr_t *b = fn_array(2, fn_int(2), fn_int(5));
    fn_expect_str("ARRAY_JOIN", "3,null,1,3,2", 1, a);
    fn_expect_str("ARRAY_JOIN", "1.5|1.0", 2, fn_array(2, fn_double(1.5), fn_double(1)), fn_str("|"));
    fn_expect_str("ARRAY_JOIN", "1.01.0", 2, fn_array(2, fn_double(1), fn_double(1)), fn_null_str());
    check_ints("ARRAY_SORT", fn_call("ARRAY_SORT", 1, a), 5, (const int32_t[]){1, 2, 3, 3, NUL});
    check_ints("ARRAY_SORT desc", fn_call("ARRAY_SORT", 2, a, fn_str("desc")), 5, (const int32_t[]){3, 3, 2, 1, NUL});
    fn_expect_null("ARRAY_SORT", 2, a, fn_str("sideways"));
    check_ints("SLICE", fn_call("SLICE", 3, a, fn_int(2), fn_int(3)), 2, (const int32_t[]){NUL, 1});
    check_ints("SLICE open", fn_call("SLICE", 3, a, fn_int(4), fn_null_int()), 2, (const int32_t[]){3, 2});
    fn_expect_null("SLICE", 3, a, fn_int(0), fn_int(2));
    fn_expect_null("SLICE", 3, a, fn_int(2), fn_int(9));
    check_ints("ARRAY_DISTINCT", fn_call("ARRAY_DISTINCT", 1, a), 4, (const int32_t[]){3, NUL, 1, 2});
    check_ints("ARRAY_REMOVE", fn_call("ARRAY_REMOVE", 2, a, fn_int(3)), 3, (const int32_t[]){NUL, 1, 2});
    check_ints("ARRAY_REMOVE null", fn_call("ARRAY_REMOVE", 2, a, fn_null_int()), 4, (const int32_t[]){3, 1, 3, 2});
    check_ints("ARRAY_CONCAT", fn_call("ARRAY_CONCAT", 2, b, b), 4, (const int32_t[]){2, 5, 2, 5});
    check_ints("ARRAY_CONCAT null", fn_call("ARRAY_CONCAT", 2, fn_null_of(b->type), b), 2, (const int32_t[]){2, 5});
    check_ints("ARRAY_UNION", fn_call("ARRAY_UNION", 2, a, b), 5, (const int32_t[]){3, NUL, 1, 2, 5});
    check_ints("ARRAY_INTERSECT", fn_call("ARRAY_INTERSECT", 2, a, b), 1, (const int32_t[]){2});
    check_ints("ARRAY_EXCEPT", fn_call("ARRAY_EXCEPT", 2, a, b), 3, (const int32_t[]){3, NUL, 1});
    fn_expect_null("ARRAY_UNION", 2, fn_null_of(b->type), b);
    fn_expect_bind_error("ARRAY_CONCAT", "does not accept", 2, fn_str("x"), b);
    fn_expect_bind_error("ARRAY_UNION", "does not accept", 2, b, fn_array(1, fn_str("x")));
}

static void test_series_and_map_builders(void **state)
{
    SL_UNUSED(state);
    check_ints("GENERATE_SERIES", fn_call("GENERATE_SERIES", 2, fn_int(3), fn_int(1)), 3, (const int32_t[]){3, 2, 1});
    check_ints("GENERATE_SERIES step", fn_call("GENERATE_SERIES", 3, fn_int(0), fn_int(7), fn_int(3)), 3,
               (const int32_t[]){0, 3, 6});
    sl_sql_datum_t d = fn_call("GENERATE_SERIES", 2, fn_bigint(5000000000), fn_bigint(5000000001));
    assert_int_equal(d.u.a.n, 2);
    assert_int_equal(d.u.a.items[1].kind, SL_SQL_T_BIGINT);
    assert_true(d.u.a.items[1].u.i64 == 5000000001);
    fn_expect_null("GENERATE_SERIES", 3, fn_int(0), fn_int(7), fn_int(0));
    assert_non_null(strstr(fn_last_error(), "cannot be zero"));
    fn_expect_null("GENERATE_SERIES", 3, fn_int(0), fn_int(7), fn_int(-1));
    assert_non_null(strstr(fn_last_error(), "wrong sign"));
    fn_expect_null("GENERATE_SERIES", 2, fn_int(INT32_MIN), fn_int(INT32_MAX)); /* too many, not allocated */
    sl_sql_datum_t m = fn_call("AS_MAP", 2, fn_array(3, fn_str("a"), fn_str("b"), fn_str("a")),
                               fn_array(2, fn_int(1), fn_int(2)));
    assert_int_equal(m.kind, SL_SQL_T_MAP);
    assert_int_equal(m.u.a.n, 2);
    assert_int_equal(m.u.a.items[1].kind, SL_SQL_T_NULL); /* a -> the third value: none */
    assert_int_equal(m.u.a.items[3].u.i32, 2);
    sl_sql_expr_t *m1 = fn_map(2, fn_str("a"), fn_int(1), fn_str("b"), fn_int(2));
    sl_sql_expr_t *m2 = fn_map(2, fn_str("b"), fn_int(20), fn_str("c"), fn_int(30));
    m = fn_call("MAP_UNION", 2, m1, m2);
    assert_int_equal(m.u.a.n, 3);
    assert_int_equal(m.u.a.items[3].u.i32, 20);
    assert_int_equal(m.u.a.items[5].u.i32, 30);
    m = fn_call("MAP_UNION", 2, fn_null_of(m1->type), m2);
    assert_int_equal(m.u.a.n, 2);
    fn_expect_bind_error("MAP_UNION", "does not accept", 2, m1, fn_map(1, fn_str("x"), fn_str("y")));
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
    sl_sql_datum_t e = fn_call("ENTRIES", 2, m, fn_const(SL_SQL_T_BOOLEAN, sl_sql_bool(true)));
    assert_int_equal(e.kind, SL_SQL_T_ARRAY);
    assert_int_equal(e.u.a.n, 3);
    assert_int_equal(e.u.a.items[0].kind, SL_SQL_T_STRUCT);
    assert_memory_equal(e.u.a.items[0].u.a.items[0].u.s.ptr, "a", 1);
    assert_int_equal(e.u.a.items[0].u.a.items[1].u.i32, 1);
    e = fn_call("ENTRIES", 2, m, fn_const(SL_SQL_T_BOOLEAN, sl_sql_bool(false)));
    assert_memory_equal(e.u.a.items[0].u.a.items[0].u.s.ptr, "b", 1); /* the map's order */
    assert_string_equal(fn_type_of("ENTRIES", 2, m, fn_const(SL_SQL_T_BOOLEAN, sl_sql_bool(true))),
                        "ARRAY<STRUCT<`K` STRING, `V` INTEGER>>");
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

static void test_cube_explode(void **state)
{
    SL_UNUSED(state);
    const sl_sql_func_t *f = sl_sql_func_find("CUBE_EXPLODE");
    assert_non_null(f);
    assert_int_equal(f->kind, SL_SQL_F_TABLE);
    sl_sql_expr_t *a = fn_array(3, fn_int(1), fn_null_int(), fn_int(3));
    char err[160];
    assert_ptr_equal(f->table->resolve(&fn_arena, &a->type, 1, err, sizeof err), a->type);
    sl_sql_datum_t arr = fn_eval(a);
    sl_sql_eval_t cx;
    sl_sql_eval_init(&cx, &fn_arena, NULL, NULL);
    collected_t c = {.n = 0};
    f->table->apply(&arr, 1, &cx, collect, &c);
    /* the NULL element halves the 8 combinations: [n,n,n] [n,n,3] [1,n,n] [1,n,3] */
    assert_int_equal(c.n, 4);
    assert_int_equal(c.items[0].u.a.items[0].kind, SL_SQL_T_NULL);
    assert_int_equal(c.items[1].u.a.items[2].u.i32, 3);
    assert_int_equal(c.items[2].u.a.items[0].u.i32, 1);
    assert_int_equal(c.items[2].u.a.items[2].kind, SL_SQL_T_NULL);
    assert_int_equal(c.items[3].u.a.items[0].u.i32, 1);
    assert_int_equal(c.items[3].u.a.items[2].u.i32, 3);
    /* too many elements: no rows, an error */
    sl_sql_datum_t *many = sl_arena_calloc(&fn_arena, 21, sizeof *many);
    for (int i = 0; i < 21; i++)
        many[i] = sl_sql_int(i);
    sl_sql_datum_t big = {.kind = SL_SQL_T_ARRAY, .u.a = {many, 21}};
    c.n = 0;
    f->table->apply(&big, 1, &cx, collect, &c);
    assert_int_equal(c.n, 0);
    assert_non_null(strstr(cx.error, "exceeds the maximum of 20"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_arrays, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_array_extras, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_series_and_map_builders, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_maps, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_explode, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_cube_explode, fn_setup, fn_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
