/*
 * func_time_test.c - java.time patterns and zones (timefmt.c) on their own,
 * then the date/time functions through the expression API.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "func_test.h"

static sl_arena_t arena;

static int setup(void **state)
{
    SL_UNUSED(state);
    sl_arena_init(&arena, 0, 0);
    return 0;
}

static int teardown(void **state)
{
    SL_UNUSED(state);
    sl_arena_fini(&arena);
    return 0;
}

static const sl_sql_tz_t *zone(const char *name)
{
    char err[128];
    const sl_sql_tz_t *tz = sl_sql_tz_find(name, (uint32_t)strlen(name), err, sizeof err);
    if (!tz)
        fail_msg("zone %s: %s", name, err);
    return tz;
}

/* Formats ms with pattern in zone and checks the text. */
static void check_format(const char *pattern, int64_t ms, const char *tzname, const char *want)
{
    char err[160];
    sl_sql_tfmt_t *f = sl_sql_tfmt_compile(&arena, pattern, (uint32_t)strlen(pattern), err, sizeof err);
    if (!f)
        fail_msg("compile %s: %s", pattern, err);
    sl_sql_sb_t sb;
    sl_sql_sb_init(&sb, &arena, 8);
    sl_sql_tfmt_format(f, ms, zone(tzname), &sb);
    assert_false(sb.oom);
    if (sb.len != strlen(want) || memcmp(sb.p, want, sb.len) != 0)
        fail_msg("format %s at %lld in %s: got '%.*s', want '%s'", pattern, (long long)ms, tzname, (int)sb.len,
                 sb.p, want);
}

static void check_parse(const char *pattern, const char *text, const char *tzname, int64_t want)
{
    char err[200];
    sl_sql_tfmt_t *f = sl_sql_tfmt_compile(&arena, pattern, (uint32_t)strlen(pattern), err, sizeof err);
    if (!f)
        fail_msg("compile %s: %s", pattern, err);
    int64_t ms = 0;
    if (sl_sql_tfmt_parse(f, text, (uint32_t)strlen(text), zone(tzname), &ms, err, sizeof err) != SL_OK)
        fail_msg("parse '%s' with %s: %s", text, pattern, err);
    if (ms != want)
        fail_msg("parse '%s' with %s: got %lld, want %lld", text, pattern, (long long)ms, (long long)want);
}

static void check_parse_fails(const char *pattern, const char *text)
{
    char err[200];
    sl_sql_tfmt_t *f = sl_sql_tfmt_compile(&arena, pattern, (uint32_t)strlen(pattern), err, sizeof err);
    assert_non_null(f);
    int64_t ms;
    if (sl_sql_tfmt_parse(f, text, (uint32_t)strlen(text), zone("UTC"), &ms, err, sizeof err) == SL_OK)
        fail_msg("'%s' with %s parsed as %lld", text, pattern, (long long)ms);
    assert_non_null(strstr(err, "could not be parsed"));
}

static void test_format_fields(void **state)
{
    SL_UNUSED(state);
    /* 1700000000123 = 2023-11-14T22:13:20.123Z, a Tuesday */
    check_format("yyyy-MM-dd HH:mm:ss.SSS", 1700000000123, "UTC", "2023-11-14 22:13:20.123");
    check_format("yyyy-MM-dd HH:mm:ss.SSS", 0, "UTC", "1970-01-01 00:00:00.000");
    check_format("yyyy-MM-dd'T'HH:mm:ssX", 1700000000123, "UTC", "2023-11-14T22:13:20Z");
    check_format("yyyy-MM-dd'T'HH:mm:ssXXX", 1700000000123, "+05:30", "2023-11-15T03:43:20+05:30");
    check_format("HH:mm Z", 1700000000123, "-08:00", "14:13 -0800");
    check_format("EEE, dd MMM yyyy", 1700000000123, "UTC", "Tue, 14 Nov 2023");
    check_format("EEEE d MMMM yy", 1700000000123, "UTC", "Tuesday 14 November 23");
    check_format("hh:mm a", 1700000000123, "UTC", "10:13 PM");
    check_format("D 'day''s' S", 1700000000123, "UTC", "318 day's 1");
    check_format("''yyyy''", 1700000000123, "UTC", "'2023'");
    /* before the epoch: floor, not truncation */
    check_format("yyyy-MM-dd HH:mm:ss.SSS", -1, "UTC", "1969-12-31 23:59:59.999");
}

static void test_format_zones(void **state)
{
    SL_UNUSED(state);
    check_format("yyyy-MM-dd HH:mm:ss z", 1700000000123, "Europe/Berlin", "2023-11-14 23:13:20 CET");
    /* 1690000000000 = 2023-07-22T04:26:40Z: summer time */
    check_format("yyyy-MM-dd HH:mm:ss z XXX", 1690000000000, "Europe/Berlin", "2023-07-22 06:26:40 CEST +02:00");
    check_format("HH:mm VV", 1690000000000, "America/Los_Angeles", "21:26 America/Los_Angeles");
    check_format("yyyy-MM-dd HH:mm:ss zzz", 1526075913000, "America/Los_Angeles", "2018-05-11 14:58:33 PDT");
    check_format("yyyy-MM-dd HH:mm:ss zzz", 1526075913000, "Europe/London", "2018-05-11 22:58:33 BST");
    check_format("HH:mm", 1690000000000, "GMT+3", "07:26");
    check_format("HH:mm", 1690000000000, "UTC-02:30", "01:56");
}

static void test_compile_errors(void **state)
{
    SL_UNUSED(state);
    char err[160];
    assert_null(sl_sql_tfmt_compile(&arena, "yyyy-MM-dd'T", 12, err, sizeof err));
    assert_non_null(strstr(err, "incomplete string literal"));
    assert_null(sl_sql_tfmt_compile(&arena, "yyyy-bb", 7, err, sizeof err));
    assert_non_null(strstr(err, "Unknown pattern letter: b"));
    assert_null(sl_sql_tfmt_compile(&arena, "HHH", 3, err, sizeof err));
    assert_non_null(strstr(err, "Too many pattern letters"));
    assert_null(sl_sql_tz_find("Mars/Olympus", 12, err, sizeof err));
    assert_non_null(strstr(err, "Unknown time zone"));
    assert_null(sl_sql_tz_find("../../etc/passwd", 16, err, sizeof err));
    assert_null(sl_sql_tz_find("+25:00", 6, err, sizeof err));
}

static void test_parse(void **state)
{
    SL_UNUSED(state);
    check_parse("yyyy-MM-dd HH:mm:ss.SSS", "2023-11-14 22:13:20.123", "UTC", 1700000000123);
    check_parse("yyyy-MM-dd HH:mm:ss.SSS", "2023-11-15 00:13:20.123", "+02:00", 1700000000123);
    check_parse("yyyy-MM-dd'T'HH:mm:ssZ", "2023-11-14T23:13:20+0100", "UTC", 1700000000000);
    check_parse("yyyy-MM-dd'T'HH:mm:ssX", "2023-11-14T22:13:20Z", "+05:00", 1700000000000);
    check_parse("yyyyMMdd", "20231114", "UTC", 1699920000000);
    check_parse("yyyy", "2023", "UTC", 1672531200000);
    check_parse("dd MMM yyyy hh:mm a", "14 nov 2023 10:13 PM", "UTC", 1700000000000 - 20000);
    check_parse("yyyy-MM-dd[ HH:mm]", "2023-11-14", "UTC", 1699920000000);
    check_parse("yyyy-MM-dd[ HH:mm]", "2023-11-14 01:02", "UTC", 1699920000000 + 3720000);
    check_parse("yyyy-MM-dd HH:mm VV", "2023-11-14 23:13 Europe/Berlin", "UTC", 1700000000000 - 20000);
    /* ksqlDB's cases: a lower-case zulu, and PST read as Los Angeles (daylight time in May) */
    check_parse("yyyy-MM-dd'T'HH:mm:ssX", "2020-05-11T21:58:33z", "UTC", 1589234313000);
    check_parse("yyyy-MM-dd'T'HH:mm:ss zzz", "2018-05-11T21:58:33 PST", "UTC", 1526101113000);
    check_parse_fails("yyyy-MM-dd", "2023-11");
    check_parse_fails("yyyy-MM-dd", "2023-11-14x");
    check_parse_fails("yyyy-MM-dd", "2023-13-01");
    check_parse_fails("HH:mm", "25:00");
}

static void test_parse_dst(void **state)
{
    SL_UNUSED(state);
    /* 2023-03-26 02:30 does not exist in Berlin: java.time moves it to
     * 03:30 CEST = 01:30Z. */
    check_parse("yyyy-MM-dd HH:mm", "2023-03-26 02:30", "Europe/Berlin", 1679794200000);
    /* 2023-10-29 02:30 happens twice: the earlier (CEST) = 00:30Z. */
    check_parse("yyyy-MM-dd HH:mm", "2023-10-29 02:30", "Europe/Berlin", 1698539400000);
    check_parse("yyyy-MM-dd HH:mm", "2023-07-01 12:00", "America/Los_Angeles", 1688238000000);
}

/* --- Through the expression API ------------------------------------------------ */

static void test_functions(void **state)
{
    SL_UNUSED(state);
    fn_expect_str("TIMESTAMPTOSTRING", "2023-11-14 22:13:20.123", 2, fn_bigint(1700000000123),
                  fn_str("yyyy-MM-dd HH:mm:ss.SSS"));
    fn_expect_str("TIMESTAMPTOSTRING", "2023-11-14 23:13", 3, fn_bigint(1700000000123), fn_str("yyyy-MM-dd HH:mm"),
                  fn_str("Europe/Berlin"));
    fn_expect_null("TIMESTAMPTOSTRING", 2, fn_null_bigint(), fn_str("yyyy"));
    fn_expect_i64("STRINGTOTIMESTAMP", 1700000000123, 2, fn_str("2023-11-14 22:13:20.123"),
                  fn_str("yyyy-MM-dd HH:mm:ss.SSS"));
    fn_expect_i64("STRINGTOTIMESTAMP", 1700000000000 - 3600000, 3, fn_str("2023-11-14 22:13:20"),
                  fn_str("yyyy-MM-dd HH:mm:ss"), fn_str("+01:00"));
    /* text that does not parse: NULL and a runtime error */
    fn_expect_null("STRINGTOTIMESTAMP", 2, fn_str("nope"), fn_str("yyyy"));
    assert_non_null(strstr(fn_last_error(), "nope"));
    fn_expect_str("FORMAT_TIMESTAMP", "2023-11-14", 2, fn_timestamp(1700000000123), fn_str("yyyy-MM-dd"));
    fn_expect_i64("PARSE_TIMESTAMP", 1699920000000, 2, fn_str("2023-11-14"), fn_str("yyyy-MM-dd"));
    fn_expect_i64("UNIX_TIMESTAMP", 1700000000123, 1, fn_timestamp(1700000000123));
    fn_expect_null("UNIX_TIMESTAMP", 1, fn_null_timestamp());
    /* a pattern and zone from the data are compiled per record; bad ones give NULL */
    fn_set_row(4, sl_sql_string("HH:mm", 5), sl_sql_string("Asia/Tokyo", 10), sl_sql_string("HH:bb", 5),
               sl_sql_string("Nowhere", 7));
    fn_expect_str("TIMESTAMPTOSTRING", "07:13", 3, fn_bigint(1700000000123), fn_col(0, SL_SQL_T_STRING),
                  fn_col(1, SL_SQL_T_STRING));
    fn_expect_null("TIMESTAMPTOSTRING", 2, fn_bigint(0), fn_col(2, SL_SQL_T_STRING));
    assert_non_null(strstr(fn_last_error(), "Unknown pattern letter"));
    fn_expect_null("TIMESTAMPTOSTRING", 3, fn_bigint(0), fn_str("HH"), fn_col(3, SL_SQL_T_STRING));
    assert_non_null(strstr(fn_last_error(), "Unknown time zone"));
    /* a constant bad pattern refuses the call at bind time */
    fn_expect_bind_error("TIMESTAMPTOSTRING", "Unknown pattern letter", 2, fn_bigint(0), fn_str("yyyy-bb"));
    fn_expect_bind_error("TIMESTAMPTOSTRING", "Unknown time zone", 3, fn_bigint(0), fn_str("yyyy"),
                         fn_str("Nowhere/Land"));
}

static sl_sql_expr_t *fn_date(int32_t days)
{
    sl_sql_datum_t d = sl_sql_int(days);
    d.kind = SL_SQL_T_DATE;
    return fn_const(SL_SQL_T_DATE, d);
}

static sl_sql_expr_t *fn_time(int64_t ms)
{
    sl_sql_datum_t d = sl_sql_bigint(ms);
    d.kind = SL_SQL_T_TIME;
    return fn_const(SL_SQL_T_TIME, d);
}

static void test_dates_and_times(void **state)
{
    SL_UNUSED(state);
    /* 19675 = 2023-11-14 */
    fn_expect_str("FORMAT_DATE", "2023-11-14 Tue", 2, fn_date(19675), fn_str("yyyy-MM-dd EEE"));
    fn_expect_str("DATETOSTRING", "14/11/2023", 2, fn_int(19675), fn_str("dd/MM/yyyy"));
    fn_expect_null("FORMAT_DATE", 2, fn_date(19675), fn_str("yyyy HH"));
    assert_non_null(strstr(fn_last_error(), "Unsupported field: HourOfDay"));
    fn_expect_str("FORMAT_TIME", "22:13:20.123", 2, fn_time(80000123), fn_str("HH:mm:ss.SSS"));
    fn_expect_null("FORMAT_TIME", 2, fn_time(0), fn_str("yyyy"));
    sl_sql_datum_t d = fn_call("PARSE_DATE", 2, fn_str("14/11/2023"), fn_str("dd/MM/yyyy"));
    assert_int_equal(d.kind, SL_SQL_T_DATE);
    assert_int_equal(d.u.i32, 19675);
    fn_expect_i64("STRINGTODATE", -1, 2, fn_str("1969-12-31"), fn_str("yyyy-MM-dd"));
    /* an offset in the text is read and ignored, as LocalDate.parse does */
    d = fn_call("PARSE_DATE", 2, fn_str("2023-11-14T23:30+05:00"), fn_str("yyyy-MM-dd'T'HH:mmXXX"));
    assert_int_equal(d.u.i32, 19675);
    d = fn_call("PARSE_TIME", 2, fn_str("10:13 PM"), fn_str("hh:mm a"));
    assert_int_equal(d.kind, SL_SQL_T_TIME);
    assert_int_equal(d.u.i64, 80000000 - 20000);
    fn_expect_null("PARSE_TIME", 2, fn_str("25:00"), fn_str("HH:mm"));
    d = fn_call("FROM_UNIXTIME", 1, fn_bigint(1700000000123));
    assert_int_equal(d.kind, SL_SQL_T_TIMESTAMP);
    assert_int_equal(d.u.i64, 1700000000123);
    d = fn_call("FROM_DAYS", 1, fn_int(19675));
    assert_int_equal(d.kind, SL_SQL_T_DATE);
    fn_expect_i64("UNIX_DATE", 19675, 1, fn_date(19675));
    assert_true(fn_call("UNIX_DATE", 0).u.i32 > 18000);
    /* 2023-07-22T04:26:40Z: UTC -> Berlin adds the summer offset */
    fn_expect_i64("CONVERT_TZ", 1690000000000 + 7200000, 3, fn_timestamp(1690000000000), fn_str("UTC"),
                  fn_str("Europe/Berlin"));
    fn_expect_i64("CONVERT_TZ", 1690000000000 - 9 * 3600000, 3, fn_timestamp(1690000000000), fn_str("+02:00"),
                  fn_str("America/Los_Angeles"));
    fn_expect_bind_error("CONVERT_TZ", "Invalid time zone", 3, fn_timestamp(0), fn_str("UTC"), fn_str("Nope/Zone"));
    fn_expect_null("CONVERT_TZ", 3, fn_null_timestamp(), fn_str("UTC"), fn_str("UTC"));
}

static void test_unix_timestamp_now(void **state)
{
    SL_UNUSED(state);
    sl_sql_datum_t d = fn_call("UNIX_TIMESTAMP", 0);
    assert_int_equal(d.kind, SL_SQL_T_BIGINT);
    assert_true(d.u.i64 > 1600000000000); /* after 2020 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_format_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_zones, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compile_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_dst, setup, teardown),
        cmocka_unit_test_setup_teardown(test_functions, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_dates_and_times, fn_setup, fn_teardown),
        cmocka_unit_test_setup_teardown(test_unix_timestamp_now, fn_setup, fn_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
