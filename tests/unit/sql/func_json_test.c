/*
 * func_json_test.c - EXTRACTJSONFIELD and its JSONPath subset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "func_test.h"

static const char DOC[] = "{ \"a\" : { \"b\" : [ 10, { \"c\" : \"x\\\"y\" }, null ] },"
                          " \"s\": \"caf\\u00e9\", \"n\": 1.50, \"t\": true, \"k.e y\": 3, \"d\": 1, \"d\": 2 }";

static void test_extract(void **state)
{
    SL_UNUSED(state);
    fn_expect_str("EXTRACTJSONFIELD", "10", 2, fn_str(DOC), fn_str("$.a.b[0]"));
    fn_expect_str("EXTRACTJSONFIELD", "x\"y", 2, fn_str(DOC), fn_str("$.a.b[1].c"));
    fn_expect_str("EXTRACTJSONFIELD", "{\"c\":\"x\\\"y\"}", 2, fn_str(DOC), fn_str("$.a.b[1]"));
    fn_expect_str("EXTRACTJSONFIELD", "[10,{\"c\":\"x\\\"y\"},null]", 2, fn_str(DOC), fn_str("$['a'].b"));
    fn_expect_str("EXTRACTJSONFIELD", "null", 2, fn_str(DOC), fn_str("$.a.b[2]"));
    fn_expect_str("EXTRACTJSONFIELD", "café", 2, fn_str(DOC), fn_str("$.s"));
    fn_expect_str("EXTRACTJSONFIELD", "1.50", 2, fn_str(DOC), fn_str("$.n"));
    fn_expect_str("EXTRACTJSONFIELD", "true", 2, fn_str(DOC), fn_str("$.t"));
    fn_expect_str("EXTRACTJSONFIELD", "3", 2, fn_str(DOC), fn_str("$[\"k.e y\"]"));
    fn_expect_str("EXTRACTJSONFIELD", "2", 2, fn_str(DOC), fn_str("$.d")); /* the last repeated name */
    fn_expect_null("EXTRACTJSONFIELD", 2, fn_str(DOC), fn_str("$.a.b[3]"));
    fn_expect_null("EXTRACTJSONFIELD", 2, fn_str(DOC), fn_str("$.nope"));
    fn_expect_null("EXTRACTJSONFIELD", 2, fn_str(DOC), fn_str("$.s.x"));
    fn_expect_null("EXTRACTJSONFIELD", 2, fn_str("{\"a\":"), fn_str("$.a"));
    fn_expect_str("EXTRACTJSONFIELD", "1", 2, fn_str("{\"a\":1}} x"), fn_str("$.a")); /* trailing text ignored */
    fn_expect_null("EXTRACTJSONFIELD", 2, fn_str("{\"a\":[1]}"), fn_str("$.a[-1]"));
    fn_expect_null("EXTRACTJSONFIELD", 2, fn_null_str(), fn_str("$.a"));
    fn_expect_str("EXTRACTJSONFIELD", "5", 2, fn_str(" 5 "), fn_str("$"));
    fn_expect_bind_error("EXTRACTJSONFIELD", "Invalid JsonPath", 2, fn_str(DOC), fn_str("a.b"));
    fn_expect_bind_error("EXTRACTJSONFIELD", "Invalid JsonPath", 2, fn_str(DOC), fn_str("$.a[x]"));
}

static void test_json_functions(void **state)
{
    SL_UNUSED(state);
    fn_expect_bool("IS_JSON_STRING", true, 1, fn_str(" [1, {\"a\": null}] "));
    fn_expect_bool("IS_JSON_STRING", false, 1, fn_str("{\"a\":"));
    fn_expect_bool("IS_JSON_STRING", false, 1, fn_str(""));
    fn_expect_bool("IS_JSON_STRING", false, 1, fn_null_str());
    fn_expect_i64("JSON_ARRAY_LENGTH", 3, 1, fn_str("[1, [2, 3], {\"x\": [4]}]"));
    fn_expect_i64("JSON_ARRAY_LENGTH", 0, 1, fn_str("[ ]"));
    fn_expect_null("JSON_ARRAY_LENGTH", 1, fn_str("{}"));
    fn_expect_null("JSON_ARRAY_LENGTH", 1, fn_str("[1,"));
    assert_non_null(strstr(fn_last_error(), "Invalid JSON format"));
    static const char *const keys[] = {"b", "a\"q"};
    fn_check_str_array("JSON_KEYS", fn_call("JSON_KEYS", 1, fn_str("{\"b\": 1, \"a\\\"q\": [1, 2], \"b\": 3}")), 2,
                       keys);
    fn_expect_null("JSON_KEYS", 1, fn_str("[1]"));
    sl_sql_datum_t m = fn_call("JSON_RECORDS", 1, fn_str("{\"s\": \"x\", \"o\": { \"k\" : [1, 2] }, \"s\": \"y\"}"));
    assert_int_equal(m.kind, SL_SQL_T_MAP);
    assert_int_equal(m.u.a.n, 2);
    assert_int_equal(m.u.a.items[1].u.s.len, 3);
    assert_memory_equal(m.u.a.items[1].u.s.ptr, "\"y\"", 3);
    assert_int_equal(m.u.a.items[3].u.s.len, 11);
    assert_memory_equal(m.u.a.items[3].u.s.ptr, "{\"k\":[1,2]}", 11);
    assert_string_equal(fn_type_of("JSON_RECORDS", 1, fn_str("{}")), "MAP<STRING, STRING>");
}

static void test_to_json_string(void **state)
{
    SL_UNUSED(state);
    fn_expect_str("TO_JSON_STRING", "\"a\\\"b\\n\"", 1, fn_str("a\"b\n"));
    fn_expect_str("TO_JSON_STRING", "1.5", 1, fn_double(1.5));
    fn_expect_str("TO_JSON_STRING", "1.50", 1, fn_decimal(3, 2, 150));
    fn_expect_str("TO_JSON_STRING", "null", 1, fn_null_int());
    fn_expect_str("TO_JSON_STRING", "[1,null,3]", 1, fn_array(3, fn_int(1), fn_null_int(), fn_int(3)));
    fn_expect_str("TO_JSON_STRING", "{\"a\":[2],\"b\":[1]}", 1,
                  fn_map(2, fn_str("b"), fn_array(1, fn_int(1)), fn_str("a"), fn_array(1, fn_int(2))));
    const char *const names[] = {"Z", "A"};
    sl_sql_expr_t *values[] = {fn_int(1), fn_str("x")};
    char err[200];
    sl_sql_expr_t *st = sl_sql_expr_struct(&fn_arena, names, values, 2, err, sizeof err);
    assert_non_null(st);
    fn_expect_str("TO_JSON_STRING", "{\"A\":\"x\",\"Z\":1}", 1, st);
    sl_sql_datum_t ts = sl_sql_bigint(1700000000123);
    ts.kind = SL_SQL_T_TIMESTAMP;
    fn_expect_str("TO_JSON_STRING", "\"2023-11-14T22:13:20.123\"", 1, fn_const(SL_SQL_T_TIMESTAMP, ts));
}

static void test_deep_input(void **state)
{
    SL_UNUSED(state);
    /* nesting beyond the scanner's depth limit is invalid, not a crash */
    char deep[2100];
    memset(deep, '[', 1000);
    memset(deep + 1000, ']', 1000);
    deep[2000] = '\0';
    fn_expect_null("EXTRACTJSONFIELD", 2, fn_str(deep), fn_str("$[0]"));
}

static void test_path_parse(void **state)
{
    SL_UNUSED(state);
    char err[128];
    sl_sql_jpath_t *jp = sl_sql_jpath_parse(&fn_arena, "$.a['b c'][12].d", 16, err, sizeof err);
    assert_non_null(jp);
    assert_int_equal(jp->n, 4);
    assert_string_equal(jp->tokens[0], "a");
    assert_string_equal(jp->tokens[1], "b c");
    assert_string_equal(jp->tokens[2], "12");
    assert_string_equal(jp->tokens[3], "d");
    assert_null(sl_sql_jpath_parse(&fn_arena, "$.", 2, err, sizeof err));
    assert_null(sl_sql_jpath_parse(&fn_arena, "$['a'", 5, err, sizeof err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_extract, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_json_functions, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_to_json_string, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_deep_input, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_path_parse, fn_setup, fn_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
