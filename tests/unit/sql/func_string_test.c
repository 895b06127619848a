/*
 * func_string_test.c - the string functions through the expression API,
 * and the Java-to-POSIX regular expression translation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "func_test.h"

static void test_concat(void **state)
{
    SL_UNUSED(state);
    fn_expect_str("CONCAT", "ab", 2, fn_str("a"), fn_str("b"));
    fn_expect_str("CONCAT", "abc", 3, fn_str("a"), fn_null_str(), fn_str("bc"));
    fn_expect_str("CONCAT", "", 2, fn_null_str(), fn_null_str());
    fn_expect_str("CONCAT_WS", "a, b", 4, fn_str(", "), fn_str("a"), fn_null_str(), fn_str("b"));
    fn_expect_str("CONCAT_WS", "", 2, fn_str("-"), fn_null_str());
    fn_expect_null("CONCAT_WS", 3, fn_null_str(), fn_str("a"), fn_str("b"));
}

static void test_case_trim_len(void **state)
{
    SL_UNUSED(state);
    fn_expect_str("UCASE", "HELLO ÉTÉ Ж", 1, fn_str("Hello été ж"));
    fn_expect_str("LCASE", "hello été ж", 1, fn_str("HeLLo ÉTÉ Ж"));
    fn_expect_str("INITCAP", "The Quick  Brown", 1, fn_str("tHE quick  bROWN"));
    fn_expect_null("UCASE", 1, fn_null_str());
    fn_expect_str("TRIM", "a b", 1, fn_str(" \t a b \n"));
    fn_expect_str("TRIM", "", 1, fn_str("   "));
    fn_expect_i64("LEN", 5, 1, fn_str("héllo"));
    fn_expect_i64("LEN", 0, 1, fn_str(""));
    fn_expect_null("LEN", 1, fn_null_str());
}

static void test_substring(void **state)
{
    SL_UNUSED(state);
    fn_expect_str("SUBSTRING", "llo", 2, fn_str("hello"), fn_int(3));
    fn_expect_str("SUBSTRING", "el", 3, fn_str("hello"), fn_int(2), fn_int(2));
    fn_expect_str("SUBSTRING", "lo", 2, fn_str("hello"), fn_int(-2));
    fn_expect_str("SUBSTRING", "l", 3, fn_str("hello"), fn_int(-2), fn_int(1));
    fn_expect_str("SUBSTRING", "hello", 2, fn_str("hello"), fn_int(-10));
    fn_expect_str("SUBSTRING", "", 2, fn_str("hello"), fn_int(10));
    fn_expect_str("SUBSTRING", "hello", 2, fn_str("hello"), fn_int(0));
    fn_expect_str("SUBSTRING", "", 3, fn_str("hello"), fn_int(2), fn_int(-1));
    fn_expect_str("SUBSTRING", "éé", 3, fn_str("aéébc"), fn_int(2), fn_int(2));
    fn_expect_null("SUBSTRING", 2, fn_str("hello"), fn_null_int());
    fn_expect_null("SUBSTRING", 3, fn_null_str(), fn_int(1), fn_int(1));
}

static void test_replace_split(void **state)
{
    SL_UNUSED(state);
    fn_expect_str("REPLACE", "a-b-c", 3, fn_str("a.b.c"), fn_str("."), fn_str("-"));
    fn_expect_str("REPLACE", "xx", 3, fn_str("abab"), fn_str("ab"), fn_str("x"));
    fn_expect_str("REPLACE", "-a-b-", 3, fn_str("ab"), fn_str(""), fn_str("-"));
    fn_expect_null("REPLACE", 3, fn_str("ab"), fn_null_str(), fn_str("-"));
    static const char *const parts[] = {"", "a", "", "b", ""};
    fn_check_str_array("SPLIT", fn_call("SPLIT", 2, fn_str(",a,,b,"), fn_str(",")), 5, parts);
    static const char *const chars[] = {"a", "é", "c"};
    fn_check_str_array("SPLIT empty", fn_call("SPLIT", 2, fn_str("aéc"), fn_str("")), 3, chars);
    static const char *const whole[] = {"abc"};
    fn_check_str_array("SPLIT none", fn_call("SPLIT", 2, fn_str("abc"), fn_str("::")), 1, whole);
    assert_string_equal(fn_type_of("SPLIT", 2, fn_str("a"), fn_str(",")), "ARRAY<STRING>");
    fn_expect_null("SPLIT", 2, fn_null_str(), fn_str(","));
}

static void test_instr(void **state)
{
    SL_UNUSED(state);
    fn_expect_i64("INSTR", 2, 2, fn_str("CORPORATE FLOOR"), fn_str("OR"));
    fn_expect_i64("INSTR", 5, 3, fn_str("CORPORATE FLOOR"), fn_str("OR"), fn_int(3));
    fn_expect_i64("INSTR", 14, 4, fn_str("CORPORATE FLOOR"), fn_str("OR"), fn_int(3), fn_int(2));
    fn_expect_i64("INSTR", 2, 4, fn_str("CORPORATE FLOOR"), fn_str("OR"), fn_int(-3), fn_int(2));
    fn_expect_i64("INSTR", 14, 3, fn_str("CORPORATE FLOOR"), fn_str("OR"), fn_int(-1));
    fn_expect_i64("INSTR", 0, 2, fn_str("CORPORATE FLOOR"), fn_str("XY"));
    fn_expect_i64("INSTR", 0, 3, fn_str("abc"), fn_str("a"), fn_int(10));
    fn_expect_i64("INSTR", 3, 2, fn_str("ééx"), fn_str("x"));
    fn_expect_i64("INSTR", 0, 2, fn_null_str(), fn_str("x"));
}

static void test_pad(void **state)
{
    SL_UNUSED(state);
    /* a 2 MiB replacement 16 times is over the result limit */
    char *big = sl_arena_alloc(&fn_arena, 2u << 20);
    assert_non_null(big);
    memset(big, 'b', 2u << 20);
    fn_set_row(1, sl_sql_string(big, 2u << 20));
    fn_expect_str("LPAD", "xyxhi", 3, fn_str("hi"), fn_int(5), fn_str("xy"));
    fn_expect_str("RPAD", "hixyx", 3, fn_str("hi"), fn_int(5), fn_str("xy"));
    fn_expect_str("LPAD", "hel", 3, fn_str("hello"), fn_int(3), fn_str("x"));
    fn_expect_str("RPAD", "hel", 3, fn_str("hello"), fn_int(3), fn_str("x"));
    fn_expect_str("LPAD", "ééa", 3, fn_str("a"), fn_int(3), fn_str("é"));
    fn_expect_null("LPAD", 3, fn_str("a"), fn_int(3), fn_str(""));
    fn_expect_null("RPAD", 3, fn_str("a"), fn_int(-1), fn_str("x"));
    fn_expect_null("RPAD", 3, fn_null_str(), fn_int(3), fn_str("x"));
    /* a huge target is refused, not allocated */
    fn_expect_null("LPAD", 3, fn_str("a"), fn_int(2000000000), fn_str("x"));
    assert_non_null(strstr(fn_last_error(), "longer than"));
    fn_expect_null("REPLACE", 3, fn_str("aaaaaaaaaaaaaaaa"), fn_str("a"), fn_col(0, SL_SQL_T_STRING));
}

static void test_mask(void **state)
{
    SL_UNUSED(state);
    fn_expect_str("MASK", "Xxxx-nn", 1, fn_str("Abcd 12"));
    fn_expect_str("MASK", "*bc 99", 5, fn_str("Abc 12"), fn_str("*"), fn_null_str(), fn_str("9"), fn_null_str());
    fn_expect_str("MASK_KEEP_LEFT", "Abxx-nn", 2, fn_str("Abcd 12"), fn_int(2));
    fn_expect_str("MASK_KEEP_RIGHT", "Xxxx-12", 2, fn_str("Abcd 12"), fn_int(2));
    fn_expect_str("MASK_LEFT", "Xxcd 12", 2, fn_str("Abcd 12"), fn_int(2));
    fn_expect_str("MASK_RIGHT", "Abcd nn", 2, fn_str("Abcd 12"), fn_int(2));
    fn_expect_str("MASK_RIGHT", "Xxxx-nn", 2, fn_str("Abcd 12"), fn_int(100));
    fn_expect_str("MASK", "Xx", 1, fn_str("Éé"));
    fn_expect_null("MASK", 1, fn_null_str());
    fn_expect_null("MASK_LEFT", 2, fn_str("abc"), fn_int(-1));
    assert_non_null(strstr(fn_last_error(), "non-negative"));
    fn_expect_null("MASK", 5, fn_str("abc"), fn_str("**"), fn_null_str(), fn_null_str(), fn_null_str());
}

static void test_regexp(void **state)
{
    SL_UNUSED(state);
    fn_expect_str("REGEXP_EXTRACT", "123", 2, fn_str("\\d+"), fn_str("abc 123 def 456"));
    fn_expect_str("REGEXP_EXTRACT", "def", 3, fn_str("(\\w+) (\\d+)"), fn_str("xx def 456"), fn_int(1));
    fn_expect_str("REGEXP_EXTRACT", "456", 3, fn_str("(?:\\w+) (\\d+)"), fn_str("def 456"), fn_int(1));
    fn_expect_null("REGEXP_EXTRACT", 2, fn_str("z+"), fn_str("abc"));
    fn_expect_null("REGEXP_EXTRACT", 3, fn_str("(a)"), fn_str("abc"), fn_int(2));
    fn_expect_null("REGEXP_EXTRACT", 2, fn_null_str(), fn_str("abc"));
    fn_expect_str("REGEXP_EXTRACT", "ABC", 2, fn_str("(?i)abc"), fn_str("xABCx"));
    fn_expect_str("REGEXP_EXTRACT", "a.b", 2, fn_str("a\\.b"), fn_str("axb a.b"));
    fn_expect_str("REGEXP_EXTRACT", "[x]", 2, fn_str("\\[[^\\]]+\\]"), fn_str("a[x]b"));
    fn_expect_str("REGEXP_REPLACE", "a_b_c", 3, fn_str("a b\tc"), fn_str("\\s"), fn_str("_"));
    fn_expect_str("REGEXP_REPLACE", "-a-b-c-", 3, fn_str("abc"), fn_str("x*"), fn_str("-"));
    fn_expect_str("REGEXP_REPLACE", "456 123", 3, fn_str("123 456"), fn_str("(\\d+) (\\d+)"), fn_str("$2 $1"));
    fn_expect_str("REGEXP_REPLACE", "$x", 3, fn_str("ax"), fn_str("a"), fn_str("\\$"));
    fn_expect_str("REGEXP_REPLACE", "baa", 3, fn_str("aaa"), fn_str("^a"), fn_str("b"));
    fn_expect_str("REGEXP_EXTRACT", "ab", 2, fn_str("a.*"), fn_str("xab\ncd")); /* '.' stops at a line end */
    fn_expect_str("REGEXP_EXTRACT", "a-c", 2, fn_str("a.c"), fn_str("a\nc a-c"));
    fn_expect_str("REGEXP_REPLACE", "x-y", 3, fn_str("x y"), fn_str("\\b \\b"), fn_str("-"));
    fn_expect_null("REGEXP_REPLACE", 3, fn_str("abc"), fn_null_str(), fn_str("x"));
    /* a pattern from the data is compiled per call; a bad one gives NULL */
    fn_set_row(2, sl_sql_string("b+", 2), sl_sql_string("a(", 2));
    fn_expect_str("REGEXP_EXTRACT", "bbb", 2, fn_col(0, SL_SQL_T_STRING), fn_str("abbbc"));
    fn_expect_str("REGEXP_REPLACE", "aXc", 3, fn_str("abbbc"), fn_col(0, SL_SQL_T_STRING), fn_str("X"));
    fn_expect_null("REGEXP_EXTRACT", 2, fn_col(1, SL_SQL_T_STRING), fn_str("abbbc"));
    assert_non_null(strstr(fn_last_error(), "Invalid regular expression"));
    /* bind-time refusals */
    fn_expect_bind_error("REGEXP_EXTRACT", "Invalid regular expression", 2, fn_str("a(b"), fn_str("x"));
    fn_expect_bind_error("REGEXP_REPLACE", "lazy", 3, fn_str("x"), fn_str("a+?"), fn_str("y"));
    fn_expect_bind_error("REGEXP_REPLACE", "(?=", 3, fn_str("x"), fn_str("a(?=b)"), fn_str("y"));
    fn_expect_bind_error("REGEXP_EXTRACT", "\\p", 2, fn_str("\\p{Alpha}"), fn_str("x"));
}

static void test_string_extras(void **state)
{
    SL_UNUSED(state);
    static const char *const all[] = {"1", "22", "333"};
    fn_check_str_array("REGEXP_EXTRACT_ALL", fn_call("REGEXP_EXTRACT_ALL", 2, fn_str("\\d+"), fn_str("a1b22c333")),
                       3, all);
    static const char *const groups[] = {"a", "b"};
    fn_check_str_array("REGEXP_EXTRACT_ALL group",
                       fn_call("REGEXP_EXTRACT_ALL", 3, fn_str("(\\w)=\\d"), fn_str("a=1, b=2"), fn_int(1)), 2, groups);
    fn_expect_null("REGEXP_EXTRACT_ALL", 3, fn_str("(a)"), fn_str("a"), fn_int(2));
    static const char *const parts[] = {"", "a", "b", ""};
    fn_check_str_array("REGEXP_SPLIT_TO_ARRAY", fn_call("REGEXP_SPLIT_TO_ARRAY", 2, fn_str("-a--b-"), fn_str("-+")),
                       4, parts);
    static const char *const chars[] = {"a", "b", "c"};
    fn_check_str_array("REGEXP_SPLIT_TO_ARRAY empty", fn_call("REGEXP_SPLIT_TO_ARRAY", 2, fn_str("abc"), fn_str("")),
                       3, chars);
    fn_expect_str("CHR", "K", 1, fn_int(75));
    fn_expect_str("CHR", "€", 1, fn_int(0x20AC));
    fn_expect_null("CHR", 1, fn_int(-1));
    fn_expect_str("CHR", "K", 1, fn_str("\\u004b"));
    fn_expect_str("CHR", "\xF0\x9F\x98\x80", 1, fn_str("\\ud83d\\ude00"));
    fn_expect_null("CHR", 1, fn_str("K"));
    fn_expect_str("ELT", "b", 4, fn_int(2), fn_str("a"), fn_str("b"), fn_str("c"));
    fn_expect_null("ELT", 3, fn_int(3), fn_str("a"), fn_str("b"));
    fn_expect_null("ELT", 2, fn_int(0), fn_str("a"));
    fn_expect_i64("FIELD", 2, 4, fn_str("b"), fn_str("a"), fn_str("b"), fn_str("b"));
    fn_expect_i64("FIELD", 0, 3, fn_str("z"), fn_str("a"), fn_str("b"));
    fn_expect_i64("FIELD", 0, 2, fn_null_str(), fn_null_str());
    sl_sql_datum_t m = fn_call("SPLIT_TO_MAP", 3, fn_str("a=1;;b=2=x;c;a=3"), fn_str(";"), fn_str("="));
    assert_int_equal(m.kind, SL_SQL_T_MAP);
    assert_int_equal(m.u.a.n, 2);
    assert_memory_equal(m.u.a.items[0].u.s.ptr, "a", 1);
    assert_memory_equal(m.u.a.items[1].u.s.ptr, "3", 1);
    assert_int_equal(m.u.a.items[3].u.s.len, 1); /* b -> 2: the text up to a second '=' */
    assert_memory_equal(m.u.a.items[3].u.s.ptr, "2", 1);
    fn_expect_null("SPLIT_TO_MAP", 3, fn_str("a=1"), fn_str("="), fn_str("="));
    assert_string_equal(fn_type_of("SPLIT_TO_MAP", 3, fn_str("a"), fn_str(";"), fn_str("=")),
                        "MAP<STRING, STRING>");
}

static void test_bytes(void **state)
{
    SL_UNUSED(state);
    sl_sql_datum_t b = fn_call("TO_BYTES", 2, fn_str("4869ff"), fn_str("HEX"));
    assert_int_equal(b.kind, SL_SQL_T_BYTES);
    assert_int_equal(b.u.s.len, 3);
    assert_memory_equal(b.u.s.ptr, "Hi\xff", 3);
    sl_sql_expr_t *bytes = fn_const(SL_SQL_T_BYTES, b);
    fn_expect_str("FROM_BYTES", "4869FF", 2, bytes, fn_str("hex"));
    fn_expect_str("FROM_BYTES", "SGn/", 2, bytes, fn_str("base64"));
    fn_expect_str("FROM_BYTES", "Hi\xEF\xBF\xBD", 2, bytes, fn_str("utf8"));
    fn_expect_str("FROM_BYTES", "Hi\xEF\xBF\xBD", 2, bytes, fn_str("ascii"));
    b = fn_call("TO_BYTES", 2, fn_str("SGV sbG8=\r\n"), fn_str("base64"));
    assert_int_equal(b.u.s.len, 5);
    assert_memory_equal(b.u.s.ptr, "Hello", 5);
    b = fn_call("TO_BYTES", 2, fn_str("é!"), fn_str("ascii"));
    assert_memory_equal(b.u.s.ptr, "?!", 2);
    fn_expect_null("TO_BYTES", 2, fn_str("abc"), fn_str("hex"));
    fn_expect_null("TO_BYTES", 2, fn_str("abc"), fn_str("ebcdic"));
    assert_non_null(strstr(fn_last_error(), "Unknown encoding type 'ebcdic'"));
    fn_expect_null("FROM_BYTES", 2, fn_null_of(sl_sql_type_of(SL_SQL_T_BYTES)), fn_str("hex"));
    /* the BYTES forms count bytes */
    sl_sql_expr_t *e9 = fn_const(SL_SQL_T_BYTES, (sl_sql_datum_t){.kind = SL_SQL_T_BYTES, .u.s = {"\xc3\xa9xy", 4}});
    fn_expect_i64("LEN", 4, 1, e9);
    b = fn_call("SUBSTRING", 3, e9, fn_int(2), fn_int(2));
    assert_int_equal(b.kind, SL_SQL_T_BYTES);
    assert_memory_equal(b.u.s.ptr, "\xa9x", 2);
    b = fn_call("LPAD", 3, e9, fn_int(6), bytes);
    assert_int_equal(b.kind, SL_SQL_T_BYTES);
    assert_int_equal(b.u.s.len, 6);
    assert_memory_equal(b.u.s.ptr, "Hi\xc3\xa9xy", 6);
    b = fn_call("CONCAT", 2, e9, bytes);
    assert_int_equal(b.kind, SL_SQL_T_BYTES);
    assert_int_equal(b.u.s.len, 7);
    sl_sql_datum_t xd = {.kind = SL_SQL_T_BYTES, .u.s = {"x", 1}};
    sl_sql_datum_t parts = fn_call("SPLIT", 2, e9, fn_const(SL_SQL_T_BYTES, xd));
    assert_int_equal(parts.u.a.n, 2);
    assert_int_equal(parts.u.a.items[1].kind, SL_SQL_T_BYTES);
    assert_string_equal(fn_type_of("SPLIT", 2, e9, e9), "ARRAY<BYTES>");
    /* MIME base64 breaks lines at 76 characters */
    char big[60];
    memset(big, 'a', sizeof big);
    sl_sql_datum_t bd = sl_sql_string(big, sizeof big);
    bd.kind = SL_SQL_T_BYTES;
    sl_sql_datum_t t = fn_call("FROM_BYTES", 2, fn_const(SL_SQL_T_BYTES, bd), fn_str("base64"));
    assert_int_equal(t.u.s.len, 80 + 2);
    assert_memory_equal(t.u.s.ptr + 76, "\r\n", 2);
}

static void test_regex_translation(void **state)
{
    SL_UNUSED(state);
    sl_sql_regex_t re;
    char err[128];
    assert_int_equal(sl_sql_regex_compile("(a)(?:b)(c)", 11, &re, err, sizeof err), SL_OK);
    assert_int_equal(re.n_groups, 2);
    assert_int_equal(re.group_map[1], 1);
    assert_int_equal(re.group_map[2], 3);
    regfree(&re.re);
    assert_int_equal(sl_sql_regex_compile("[\\d\\-x]+", 8, &re, err, sizeof err), SL_OK);
    regmatch_t m[64];
    m[0].rm_so = 0;
    m[0].rm_eo = 6;
    assert_int_equal(regexec(&re.re, "ab1-x2", 64, m, REG_STARTEND), 0);
    assert_int_equal(m[0].rm_so, 2);
    assert_int_equal(m[0].rm_eo, 6);
    regfree(&re.re);
    assert_int_not_equal(sl_sql_regex_compile("[a", 2, &re, err, sizeof err), SL_OK);
    assert_non_null(strstr(err, "unclosed"));
    assert_int_not_equal(sl_sql_regex_compile("a\\", 2, &re, err, sizeof err), SL_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_concat, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_case_trim_len, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_substring, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_replace_split, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_instr, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_pad, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_mask, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_regexp, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_string_extras, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_bytes, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_regex_translation, fn_setup, fn_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
