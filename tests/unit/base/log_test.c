/* log_test.c - line format, level filter, sinks, cutting of long lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base.h"

typedef struct capture {
    int calls;
    sl_log_level_t level;
    char line[8192];
    size_t len;
} capture_t;

static void capture_sink(void *ctx, sl_log_level_t level, const char *line, size_t len)
{
    capture_t *c = ctx;
    c->calls++;
    c->level = level;
    assert_true(len < sizeof(c->line));
    assert_int_equal(strlen(line), len); /* NUL-terminated, no embedded NUL */
    memcpy(c->line, line, len + 1);
    c->len = len;
}

static int setup(void **state)
{
    static capture_t cap;
    memset(&cap, 0, sizeof(cap));
    sl_log_set_level(SL_LOG_DEBUG);
    sl_log_set_sink(capture_sink, &cap);
    *state = &cap;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sl_log_set_sink(NULL, NULL);
    sl_log_set_level(SL_LOG_INFO);
    return 0;
}

/* "2026-11-24T16:34:00.123Z " -> ms since epoch, or -1. */
static int64_t parse_stamp(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int ms = -1;
    char z = 0, sp = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &z, &sp) != 9 || z != 'Z' || sp != ' ')
        return -1;
    if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.')
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

static void log_line_has_utc_stamp_level_module_message(void **state)
{
    capture_t *cap = *state;
    int64_t before = sl_time_wall_ms();
    sl_log_write(SL_LOG_INFO, "net", "listening on %s:%d", "127.0.0.1", 9092);
    int64_t after = sl_time_wall_ms();
    assert_int_equal(cap->calls, 1);
    assert_int_equal(cap->level, SL_LOG_INFO);
    assert_int_equal(cap->len, 24 + strlen(" INFO  [net] listening on 127.0.0.1:9092"));
    assert_string_equal(cap->line + 24, " INFO  [net] listening on 127.0.0.1:9092");
    int64_t stamp = parse_stamp(cap->line);
    assert_true(stamp >= before && stamp <= after);
}

static void log_level_tags_are_five_wide(void **state)
{
    capture_t *cap = *state;
    const struct {
        sl_log_level_t level;
        const char *tail;
    } cases[] = {
        {SL_LOG_DEBUG, " DEBUG [m] x"},
        {SL_LOG_INFO, " INFO  [m] x"},
        {SL_LOG_WARN, " WARN  [m] x"},
        {SL_LOG_ERROR, " ERROR [m] x"},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        sl_log_write(cases[i].level, "m", "x");
        assert_string_equal(cap->line + 24, cases[i].tail);
    }
}

static void log_level_filters_lower_levels(void **state)
{
    capture_t *cap = *state;
    sl_log_set_level(SL_LOG_WARN);
    assert_int_equal(sl_log_get_level(), SL_LOG_WARN);
    sl_log_write(SL_LOG_INFO, "m", "dropped");
    SL_DEBUG("m", "dropped %d", 1);
    SL_INFO("m", "dropped");
    assert_int_equal(cap->calls, 0);
    SL_WARN("m", "kept %d", 2);
    assert_int_equal(cap->calls, 1);
    SL_ERROR("m", "kept");
    assert_int_equal(cap->calls, 2);
    sl_log_set_level(SL_LOG_OFF);
    SL_ERROR("m", "dropped");
    sl_log_write(SL_LOG_OFF, "m", "never a line");
    assert_int_equal(cap->calls, 2);
}

static void log_parse_level_accepts_names_any_case(void **state)
{
    (void)state;
    sl_log_level_t l = SL_LOG_OFF;
    assert_int_equal(sl_log_parse_level("debug", &l), SL_OK);
    assert_int_equal(l, SL_LOG_DEBUG);
    assert_int_equal(sl_log_parse_level("INFO", &l), SL_OK);
    assert_int_equal(l, SL_LOG_INFO);
    assert_int_equal(sl_log_parse_level("Warn", &l), SL_OK);
    assert_int_equal(l, SL_LOG_WARN);
    assert_int_equal(sl_log_parse_level("WARNING", &l), SL_OK);
    assert_int_equal(l, SL_LOG_WARN);
    assert_int_equal(sl_log_parse_level("error", &l), SL_OK);
    assert_int_equal(l, SL_LOG_ERROR);
    assert_int_equal(sl_log_parse_level("oFF", &l), SL_OK);
    assert_int_equal(l, SL_LOG_OFF);
    l = SL_LOG_INFO;
    assert_int_equal(sl_log_parse_level("verbose", &l), SL_ERR_INVAL);
    assert_int_equal(sl_log_parse_level("", &l), SL_ERR_INVAL);
    assert_int_equal(sl_log_parse_level("info ", &l), SL_ERR_INVAL);
    assert_int_equal(sl_log_parse_level(NULL, &l), SL_ERR_INVAL);
    assert_int_equal(l, SL_LOG_INFO);
}

static void log_long_line_is_cut_below_4k(void **state)
{
    capture_t *cap = *state;
    char *big = malloc(10000);
    assert_non_null(big);
    memset(big, 'a', 9999);
    big[9999] = '\0';
    sl_log_write(SL_LOG_INFO, "m", "%s", big);
    assert_int_equal(cap->len, 4095);
    assert_int_equal(cap->line[4094], 'a');
    /* A cut through a multi-byte character drops the whole character. */
    const char *euro = "\xe2\x82\xac";
    for (size_t i = 0; i + 3 < 9999; i += 3)
        memcpy(big + i, euro, 3);
    big[9999 - 9999 % 3] = '\0';
    for (int shift = 0; shift < 3; shift++) {
        sl_log_write(SL_LOG_INFO, "m", "%.*s%s", shift, "xx", big);
        assert_true(cap->len <= 4095 && cap->len >= 4093);
        /* The line ends with a whole euro sign. */
        assert_memory_equal(cap->line + cap->len - 3, euro, 3);
    }
    free(big);
}

static void log_newlines_in_message_become_spaces(void **state)
{
    capture_t *cap = *state;
    sl_log_write(SL_LOG_WARN, "m", "client id %s", "evil\n2026-01-01T00:00:00.000Z ERROR fake\r");
    assert_null(strchr(cap->line, '\n'));
    assert_null(strchr(cap->line, '\r'));
    assert_string_equal(cap->line + 24, " WARN  [m] client id evil 2026-01-01T00:00:00.000Z ERROR fake ");
}

static void log_default_sink_writes_one_line_to_stderr(void **state)
{
    capture_t *cap = *state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fds[1], STDERR_FILENO), STDERR_FILENO);
    sl_log_set_sink(NULL, NULL);
    sl_log_write(SL_LOG_ERROR, "broker", "disk %s", "full");
    sl_log_write(SL_LOG_INFO, "broker", "second");
    assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
    close(saved);
    close(fds[1]);
    char got[256];
    size_t n = 0;
    ssize_t r;
    while (n < sizeof(got) - 1 && (r = read(fds[0], got + n, sizeof(got) - 1 - n)) > 0)
        n += (size_t)r;
    close(fds[0]);
    got[n] = '\0';
    assert_int_equal(cap->calls, 0);
    assert_int_equal(n, 2 * 24 + strlen(" ERROR [broker] disk full\n") + strlen(" INFO  [broker] second\n"));
    assert_true(parse_stamp(got) > 0);
    assert_memory_equal(got + 24, " ERROR [broker] disk full\n", 26);
    assert_string_equal(got + 24 + 26 + 24, " INFO  [broker] second\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(log_line_has_utc_stamp_level_module_message, setup, teardown),
        cmocka_unit_test_setup_teardown(log_level_tags_are_five_wide, setup, teardown),
        cmocka_unit_test_setup_teardown(log_level_filters_lower_levels, setup, teardown),
        cmocka_unit_test_setup_teardown(log_parse_level_accepts_names_any_case, setup, teardown),
        cmocka_unit_test_setup_teardown(log_long_line_is_cut_below_4k, setup, teardown),
        cmocka_unit_test_setup_teardown(log_newlines_in_message_become_spaces, setup, teardown),
        cmocka_unit_test_setup_teardown(log_default_sink_writes_one_line_to_stderr, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
