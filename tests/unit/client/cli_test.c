/*
 * cli_test.c - the pure pieces of the `sluice` tool: option parsing
 * (long, short, inline values, repeats, errors), numbers, key=value pairs,
 * date-times, aligned tables, UTC times, and records as --format and JSON
 * print them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sluice.h"

static const sluice_opt_t opts[] = {
    {"partitions", 'p', true, "N: partitions"},
    {"config", 'c', true, "K=V: a config"},
    {"execute", 0, false, "do it"},
    {"shift-by", 0, true, "N: shift"},
};

static bool parse(sluice_args_t *a, const char *line)
{
    static char buf[1024];
    static char *argv[64];
    snprintf(buf, sizeof buf, "%s", line);
    int argc = 0;
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
        argv[argc++] = t;
    return sluice_args_parse(a, opts, SL_ARRAY_LEN(opts), argc, argv);
}

static void test_args(void **state)
{
    (void)state;
    static sluice_args_t a;
    assert_true(parse(&a, "t1 --partitions 3 -c a=1 --config=b=2 --execute -b h:1 --json"));
    assert_int_equal(a.npos, 1);
    assert_string_equal(a.pos[0], "t1");
    assert_string_equal(sluice_arg(&a, "partitions"), "3");
    assert_string_equal(sluice_arg(&a, "bootstrap"), "h:1");
    assert_true(sluice_flag(&a, "execute"));
    assert_true(sluice_flag(&a, "json"));
    assert_false(sluice_flag(&a, "help"));
    size_t it = 0;
    assert_string_equal(sluice_arg_next(&a, "config", &it), "a=1");
    assert_string_equal(sluice_arg_next(&a, "config", &it), "b=2");
    assert_null(sluice_arg_next(&a, "config", &it));
    /* The last value wins for single options; inline short values. */
    assert_true(parse(&a, "-p1 -p 7 -Xacks=all"));
    assert_string_equal(sluice_arg(&a, "partitions"), "7");
    assert_string_equal(sluice_arg(&a, "property"), "acks=all");
    /* A negative number is a value after an option that takes one, and a
     * positional otherwise; "--" ends the options. */
    assert_true(parse(&a, "g --shift-by -5 -3 -- --execute"));
    assert_string_equal(sluice_arg(&a, "shift-by"), "-5");
    assert_int_equal(a.npos, 3);
    assert_string_equal(a.pos[1], "-3");
    assert_string_equal(a.pos[2], "--execute");
    assert_false(sluice_flag(&a, "execute"));
    /* Errors say what was wrong. */
    assert_false(parse(&a, "--nope"));
    assert_non_null(strstr(a.error, "--nope"));
    assert_false(parse(&a, "--partitions"));
    assert_non_null(strstr(a.error, "needs a value"));
    assert_false(parse(&a, "--execute=yes"));
    assert_non_null(strstr(a.error, "takes no value"));
    assert_false(parse(&a, "-z"));
}

static void test_numbers_kv(void **state)
{
    (void)state;
    int64_t v;
    assert_true(sluice_parse_i64("42", 0, 100, &v));
    assert_int_equal(v, 42);
    assert_true(sluice_parse_i64("-7", -10, 10, &v));
    assert_int_equal(v, -7);
    assert_false(sluice_parse_i64("101", 0, 100, &v));
    assert_false(sluice_parse_i64("4x", 0, 100, &v));
    assert_false(sluice_parse_i64("", 0, 100, &v));
    assert_false(sluice_parse_i64(" 4", 0, 100, &v));
    assert_false(sluice_parse_i64("99999999999999999999", 0, INT64_MAX, &v));
    char *k;
    const char *val;
    assert_true(sluice_parse_kv("retention.ms=1000", &k, &val));
    assert_string_equal(k, "retention.ms");
    assert_string_equal(val, "1000");
    free(k);
    assert_true(sluice_parse_kv("a==b", &k, &val));
    assert_string_equal(val, "=b");
    free(k);
    assert_true(sluice_parse_kv("empty=", &k, &val));
    assert_string_equal(val, "");
    free(k);
    assert_false(sluice_parse_kv("novalue", &k, &val));
    assert_false(sluice_parse_kv("=x", &k, &val));
}

static void test_datetime(void **state)
{
    (void)state;
    int64_t ms;
    assert_true(sluice_parse_datetime("1970-01-01T00:00:00Z", &ms));
    assert_int_equal(ms, 0);
    assert_true(sluice_parse_datetime("2026-11-24T21:00:00.123Z", &ms));
    assert_int_equal(ms, 1795554000123LL);
    assert_true(sluice_parse_datetime("2026-11-24T21:00:00", &ms)); /* UTC */
    assert_int_equal(ms, 1795554000000LL);
    assert_true(sluice_parse_datetime("2026-11-24T22:30:00+01:30", &ms));
    assert_int_equal(ms, 1795554000000LL);
    assert_true(sluice_parse_datetime("2026-11-24T19:00:00-02:00", &ms));
    assert_int_equal(ms, 1795554000000LL);
    assert_true(sluice_parse_datetime("2024-02-29", &ms));
    assert_int_equal(ms, 1709164800000LL);
    assert_true(sluice_parse_datetime("1795554000000", &ms));
    assert_int_equal(ms, 1795554000000LL);
    assert_false(sluice_parse_datetime("2023-02-29", &ms));
    assert_false(sluice_parse_datetime("2026-13-01", &ms));
    assert_false(sluice_parse_datetime("2026-11-24T25:00", &ms));
    assert_false(sluice_parse_datetime("2026-11-24T21:00:00.1Z", &ms));
    assert_false(sluice_parse_datetime("2026-11-24T21:00:00Zjunk", &ms));
    assert_false(sluice_parse_datetime("yesterday", &ms));
    char buf[64];
    assert_string_equal(sluice_fmt_time(1795554000123LL, buf, sizeof buf), "2026-11-24T21:00:00.123Z");
    assert_string_equal(sluice_fmt_time(0, buf, sizeof buf), "1970-01-01T00:00:00.000Z");
}

static void test_table(void **state)
{
    (void)state;
    const char *heads[] = {"TOPIC", "PARTITION", "LAG"};
    sluice_table_t t;
    sluice_table_init(&t, 3, heads);
    sluice_table_cell(&t, "%s", "orders");
    sluice_table_cell(&t, "%d", 0);
    sluice_table_cell(&t, "%d", 12345);
    sluice_table_cell(&t, "%s", "a");
    sluice_table_cell(&t, "%d", 10);
    sluice_table_cell(&t, "-");
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    sluice_table_print(&t, f);
    fclose(f);
    assert_string_equal(out, "TOPIC   PARTITION  LAG\n"
                             "orders  0          12345\n"
                             "a       10         -\n");
    free(out);
    sluice_table_free(&t);
}

static char *render(const char *fmt, const sl_message_t *m)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    sluice_format_message(f, fmt, m);
    fclose(f);
    return out;
}

static void test_format(void **state)
{
    (void)state;
    sl_msg_header_t h[] = {{"src", "cli", 3}, {"nil", NULL, -1}};
    sl_message_t m = {.topic = "orders", .partition = 2, .offset = 41, .timestamp = 1795554000123LL, .key = "k1",
                      .key_len = 2, .value = "hello", .value_len = 5, .headers = h, .header_count = 2};
    char *s = render("{topic}/{partition}@{offset} {key}={value} [{headers}] {timestamp}\\n", &m);
    assert_string_equal(s, "orders/2@41 k1=hello [src=cli,nil=] 1795554000123\n");
    free(s);
    /* Null key, tabs, an unterminated brace printed as it is. */
    m.key = NULL;
    m.key_len = -1;
    s = render("<{key}>\\t{value} {", &m);
    assert_string_equal(s, "<>\thello {");
    free(s);
    char err[256];
    assert_true(sluice_format_check("{key} {value}\\n", err, sizeof err));
    assert_false(sluice_format_check("{kee}", err, sizeof err));
    assert_non_null(strstr(err, "{kee}"));
    assert_false(sluice_format_check("{value", err, sizeof err));

    /* JSON: UTF-8 as strings, other bytes as base64, null key as null. */
    m.value = "\xff\x00\x01";
    m.value_len = 3;
    json_t *j = sluice_message_json(&m);
    assert_non_null(j);
    char *txt = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(txt, "{\"headers\":{\"nil\":null,\"src\":\"cli\"},\"key\":null,\"offset\":41,"
                             "\"partition\":2,\"timestamp\":1795554000123,\"topic\":\"orders\","
                             "\"value\":{\"base64\":\"/wAB\"}}");
    free(txt);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_numbers_kv),
        cmocka_unit_test(test_datetime),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
