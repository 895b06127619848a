/* props_test.c - .properties parsing as java.util.Properties.load does it,
 * plus the errors where Sluice is stricter, each with its origin:LINE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base.h"

static sl_props_t *parse_ok(const char *text)
{
    sl_props_t *p = NULL;
    char err[256] = "untouched";
    sl_err_t rc = sl_props_parse(text, strlen(text), "t.properties", &p, err, sizeof(err));
    if (rc != SL_OK)
        fail_msg("parse failed (%s): %s", sl_err_name(rc), err);
    assert_non_null(p);
    return p;
}

static void expect_err_n(const char *text, size_t len, const char *want)
{
    sl_props_t *p = (sl_props_t *)1;
    char err[256] = "";
    assert_int_equal(sl_props_parse(text, len, "t.properties", &p, err, sizeof(err)), SL_ERR_CONFIG);
    assert_null(p);
    assert_string_equal(err, want);
}

static void expect_err(const char *text, const char *want) { expect_err_n(text, strlen(text), want); }

/* Checks key -> value, and that the key is there exactly once. */
static void expect_kv(const sl_props_t *p, const char *key, const char *value)
{
    const char *got = sl_props_get(p, key);
    if (!got)
        fail_msg("key \"%s\" missing", key);
    assert_string_equal(got, value);
}

static void props_every_separator_form(void **state)
{
    (void)state;
    sl_props_t *p = parse_ok("a=1\n"
                             "b:2\n"
                             "c 3\n"
                             "d\t4\n"
                             "e\f5\n"
                             "f = 6\n"
                             "g : 7\n"
                             "h    8\n"
                             "i = = 9\n"
                             "j==10\n"
                             "k :=11\n"
                             "l\n"
                             "m=\n"
                             "n =   \n"
                             "o = trailing  \n"
                             "=empty key\n"
                             "   p=leading whitespace\n"
                             "q=a=b:c d\n"
                             "r\t \t: \t spaced\n");
    expect_kv(p, "a", "1");
    expect_kv(p, "b", "2");
    expect_kv(p, "c", "3");
    expect_kv(p, "d", "4");
    expect_kv(p, "e", "5");
    expect_kv(p, "f", "6");
    expect_kv(p, "g", "7");
    expect_kv(p, "h", "8");
    expect_kv(p, "i", "= 9");
    expect_kv(p, "j", "=10");
    expect_kv(p, "k", "=11");
    expect_kv(p, "l", "");
    expect_kv(p, "m", "");
    expect_kv(p, "n", "");
    expect_kv(p, "o", "trailing  ");
    expect_kv(p, "", "empty key");
    expect_kv(p, "p", "leading whitespace");
    expect_kv(p, "q", "a=b:c d");
    expect_kv(p, "r", "spaced");
    assert_int_equal(sl_props_count(p), 19);
    sl_props_free(p);
}

static void props_escapes_in_keys_and_values(void **state)
{
    (void)state;
    sl_props_t *p = parse_ok("esc\\=key=v1\n"
                             "sp\\ ace=v2\n"
                             "col\\:on:v3\n"
                             "tabs=\\t\\n\\r\\f|\n"
                             "other=\\a\\b\\\\\\z\n"
                             "hash=\\#not a comment\n"
                             "\\#key=v4\n"
                             "\\!key=v5\n"
                             "trail=ends in \\\\\n"
                             "lead=\\ leading space kept\n"
                             "a=b # not a comment\n"
                             "x\\\\=y\n");
    expect_kv(p, "esc=key", "v1");
    expect_kv(p, "sp ace", "v2");
    expect_kv(p, "col:on", "v3");
    expect_kv(p, "tabs", "\t\n\r\f|");
    expect_kv(p, "other", "ab\\z");
    expect_kv(p, "hash", "#not a comment");
    expect_kv(p, "#key", "v4");
    expect_kv(p, "!key", "v5");
    expect_kv(p, "trail", "ends in \\");
    expect_kv(p, "lead", " leading space kept");
    expect_kv(p, "a", "b # not a comment");
    /* Two backslashes are one literal backslash: '=' still separates. */
    expect_kv(p, "x\\", "y");
    sl_props_free(p);
}

static void props_comments_and_blank_lines(void **state)
{
    (void)state;
    sl_props_t *p = parse_ok("# a comment\n"
                             "! another\n"
                             "   # indented comment\n"
                             "\t! indented bang\n"
                             "\n"
                             "   \t \f \n"
                             "# a comment ending in a backslash does not continue \\\n"
                             "next=1\n"
                             "#\n"
                             "!\n"
                             "\\\n"
                             "# a lone backslash continues into a comment (current JDKs)\n"
                             "last=2\n");
    assert_int_equal(sl_props_count(p), 2);
    expect_kv(p, "next", "1");
    expect_kv(p, "last", "2");
    sl_props_free(p);
}

static void props_continuation_lines(void **state)
{
    (void)state;
    sl_props_t *p = parse_ok("long=one \\\n"
                             "    two \\\n"
                             "\t\fthree\n"
                             "ke\\\n"
                             "   y=joined key\n"
                             "even=ends with \\\\\n"
                             "after_even=1\n"
                             "odd=x\\\\\\\n"
                             "   y\n"
                             "hashcont=1\\\n"
                             "#not a comment\n"
                             "blankcont=1\\\n"
                             "\n"
                             "after_blank=2\n"
                             "wscont=a\\\n"
                             "      \n"
                             "after_ws=3\n"
                             "\\\n"
                             "  startcont=4\n"
                             "eof=last\\");
    expect_kv(p, "long", "one two three");
    expect_kv(p, "key", "joined key");
    expect_kv(p, "even", "ends with \\");
    expect_kv(p, "after_even", "1");
    expect_kv(p, "odd", "x\\y");
    expect_kv(p, "hashcont", "1#not a comment");
    expect_kv(p, "blankcont", "1");
    expect_kv(p, "after_blank", "2");
    expect_kv(p, "wscont", "a");
    expect_kv(p, "after_ws", "3");
    expect_kv(p, "startcont", "4");
    expect_kv(p, "eof", "last");
    assert_int_equal(sl_props_count(p), 12);
    sl_props_free(p);
}

static void props_line_endings_crlf_and_cr(void **state)
{
    (void)state;
    sl_props_t *p = parse_ok("a=1\r\nb=2\rc=3\n\r\nd=x\\\r\n   y\r\ne=p\\\r  q\r");
    expect_kv(p, "a", "1");
    expect_kv(p, "b", "2");
    expect_kv(p, "c", "3");
    expect_kv(p, "d", "xy");
    expect_kv(p, "e", "pq");
    int line = 0;
    sl_props_at(p, 4, NULL, NULL, &line);
    assert_int_equal(line, 7); /* CRLF and CR each end one line */
    sl_props_free(p);
}

static void props_unicode_escapes_and_raw_utf8(void **state)
{
    (void)state;
    sl_props_t *p = parse_ok("u=\\u0041\\u00e9\\u20AC\n"
                             "emoji=\\uD83D\\uDE00!\n"
                             "\\u006Bey=v\n"
                             "cl\xc3\xa9=v\xc3\xa4rde \xe2\x82\xac \xf0\x9f\x98\x80\n"
                             "esc\\\xc3\xa9=e\n");
    expect_kv(p, "u", "A\xc3\xa9\xe2\x82\xac");
    expect_kv(p, "emoji", "\xf0\x9f\x98\x80!");
    expect_kv(p, "key", "v");
    expect_kv(p, "cl\xc3\xa9", "v\xc3\xa4rde \xe2\x82\xac \xf0\x9f\x98\x80");
    expect_kv(p, "esc\xc3\xa9", "e");
    sl_props_free(p);
}

static void props_bom_is_skipped(void **state)
{
    (void)state;
    sl_props_t *p = parse_ok("\xef\xbb\xbf" "a=1\n");
    expect_kv(p, "a", "1");
    sl_props_free(p);
}

static void props_duplicate_key_replaces_and_keeps_first_position(void **state)
{
    (void)state;
    sl_props_t *p = parse_ok("a=1\nb=2\n\na = 3\n");
    assert_int_equal(sl_props_count(p), 2);
    const char *k, *v;
    int line;
    sl_props_at(p, 0, &k, &v, &line);
    assert_string_equal(k, "a");
    assert_string_equal(v, "3");
    assert_int_equal(line, 4);
    sl_props_at(p, 1, &k, &v, &line);
    assert_string_equal(k, "b");
    assert_string_equal(v, "2");
    assert_int_equal(line, 2);
    assert_string_equal(sl_props_origin(p), "t.properties");
    sl_props_free(p);
}

static void props_line_numbers_point_at_first_natural_line(void **state)
{
    (void)state;
    sl_props_t *p = parse_ok("# c\n\n  multi=a\\\n  b\\\n  c\nnext=1\n");
    int line;
    sl_props_at(p, 0, NULL, NULL, &line);
    assert_int_equal(line, 3);
    sl_props_at(p, 1, NULL, NULL, &line);
    assert_int_equal(line, 6);
    sl_props_free(p);
}

static void props_empty_input(void **state)
{
    (void)state;
    sl_props_t *p = parse_ok("");
    assert_int_equal(sl_props_count(p), 0);
    sl_props_free(p);
    p = parse_ok("\n\n# only comments\n   \n");
    assert_int_equal(sl_props_count(p), 0);
    sl_props_free(p);
}

static void props_malformed_unicode_escape_says_what_was_found(void **state)
{
    (void)state;
    expect_err("a=1\nb=\\u12G4\n", "t.properties:2: malformed \\uXXXX escape: found \"\\u12G4\"");
    expect_err("a=\\u12", "t.properties:1: malformed \\uXXXX escape: found \"\\u12\" at end of line");
    expect_err("a=\\u", "t.properties:1: malformed \\uXXXX escape: found \"\\u\" at end of line");
    expect_err("k\\uzz=v", "t.properties:1: malformed \\uXXXX escape: found \"\\uzz=v\"");
    expect_err("a=\\u00\xc3\xa9\xc3\xa9xyz", "t.properties:1: malformed \\uXXXX escape: found \"\\u00\xc3\xa9\xc3\xa9\"");
    /* On a continuation line: the line of the escape, not of the key. */
    expect_err("a=ok\\\n  \\u00zz\n", "t.properties:2: malformed \\uXXXX escape: found \"\\u00zz\"");
    expect_err("x=1\r\ny=2\r\n\r\nz=\\uXYZW", "t.properties:4: malformed \\uXXXX escape: found \"\\uXYZW\"");
    /* The key ends at the blank, so its escape is cut short; the message
     * shows the line as written. */
    expect_err("ab\\u00 = v", "t.properties:1: malformed \\uXXXX escape: found \"\\u00 =\"");
}

static void props_unpaired_surrogates_fail(void **state)
{
    (void)state;
    const char *hi = "t.properties:1: unpaired surrogate \\uD83D (a high surrogate must be followed by a "
                     "\\uDC00-\\uDFFF escape)";
    expect_err("x=\\uD83D", hi);
    expect_err("x=\\uD83Dabc", hi);
    expect_err("x=\\uD83D\\u0041", hi);
    expect_err("x=\\uD83D\\n", hi);
    expect_err("x=\\uDE00", "t.properties:1: unpaired surrogate \\uDE00 (a low surrogate must follow a high one)");
    expect_err("\n\nx=\\uD83D\\uD83D", "t.properties:3: unpaired surrogate \\uD83D (a high surrogate must be "
                                      "followed by a \\uDC00-\\uDFFF escape)");
    /* Key and value are converted separately: a pair cannot straddle them. */
    expect_err("\\uD83D=\\uDE00", hi);
}

static void props_nul_fails(void **state)
{
    (void)state;
    expect_err_n("a=1\nb=x\0y\n", 10, "t.properties:2: NUL byte in input (column 4)");
    expect_err_n("# comment \0\n", 12, "t.properties:1: NUL byte in input (column 11)");
    expect_err("a=\\u0000", "t.properties:1: \\u0000 (NUL) is not allowed");
}

static void props_invalid_utf8_fails(void **state)
{
    (void)state;
    expect_err("a=1\n\nc=\xff", "t.properties:3: invalid UTF-8 (byte 0xff at column 3)");
    expect_err("overlong=\xc0\xaf", "t.properties:1: invalid UTF-8 (byte 0xc0 at column 10)");
    expect_err("surrogate=\xed\xa0\x80", "t.properties:1: invalid UTF-8 (byte 0xed at column 11)");
    expect_err("cut=\xe2\x82", "t.properties:1: invalid UTF-8 (byte 0xe2 at column 5)");
    expect_err("cut=\xe2\x82\nnext=1", "t.properties:1: invalid UTF-8 (byte 0xe2 at column 5)");
    expect_err("big=\xf4\x90\x80\x80", "t.properties:1: invalid UTF-8 (byte 0xf4 at column 5)");
    expect_err("a=1\r\n# latin-1 comment: caf\xe9\r\n", "t.properties:2: invalid UTF-8 (byte 0xe9 at column 23)");
}

static void props_error_buffer_small_or_absent(void **state)
{
    (void)state;
    sl_props_t *p = NULL;
    char tiny[8];
    memset(tiny, 'x', sizeof(tiny));
    assert_int_equal(sl_props_parse("a=\\uD800", 8, "origin", &p, tiny, sizeof(tiny)), SL_ERR_CONFIG);
    assert_string_equal(tiny, "origin:");
    assert_int_equal(sl_props_parse("a=\\uD800", 8, "origin", &p, NULL, 0), SL_ERR_CONFIG);
    assert_null(p);
}

static void props_rejects_input_over_16_mib(void **state)
{
    (void)state;
    size_t n = ((size_t)16 << 20) + 1;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, '#', n);
    sl_props_t *p = NULL;
    char err[256];
    assert_int_equal(sl_props_parse(big, n, "big", &p, err, sizeof(err)), SL_ERR_CONFIG);
    assert_null(p);
    assert_string_equal(err, "big: input is 16777217 bytes, more than the 16 MiB allowed");
    /* Exactly 16 MiB of comment is fine. */
    assert_int_equal(sl_props_parse(big, n - 1, "big", &p, err, sizeof(err)), SL_OK);
    assert_int_equal(sl_props_count(p), 0);
    sl_props_free(p);
    free(big);
}

static void props_new_set_get(void **state)
{
    (void)state;
    sl_props_t *p = sl_props_new();
    assert_non_null(p);
    assert_string_equal(sl_props_origin(p), "");
    assert_int_equal(sl_props_count(p), 0);
    assert_null(sl_props_get(p, "a"));
    char key[8] = "a", val[8] = "1";
    assert_int_equal(sl_props_set(p, key, val, 0), SL_OK);
    strcpy(val, "X"); /* copied, so this does not show */
    strcpy(key, "b");
    expect_kv(p, "a", "1");
    assert_null(sl_props_get(p, "b"));
    assert_int_equal(sl_props_set(p, "a", "2", 5), SL_OK);
    expect_kv(p, "a", "2");
    for (int i = 0; i < 100; i++) {
        char k[16];
        snprintf(k, sizeof(k), "k%d", i);
        assert_int_equal(sl_props_set(p, k, k, i), SL_OK);
    }
    assert_int_equal(sl_props_count(p), 101);
    const char *k, *v;
    int line;
    sl_props_at(p, 0, &k, &v, &line);
    assert_string_equal(k, "a");
    assert_string_equal(v, "2");
    assert_int_equal(line, 5);
    sl_props_at(p, 100, &k, &v, &line);
    assert_string_equal(k, "k99");
    assert_int_equal(line, 99);
    sl_props_free(p);
    sl_props_free(NULL);
}

static char *write_temp(const char *content, size_t len)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/sl-props-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    close(fd);
    return path;
}

static void props_load_reads_file_with_path_as_origin(void **state)
{
    (void)state;
    char *path = write_temp("broker.id=1\nlog.dirs=/var/lib/sluice\n", 37);
    sl_props_t *p = NULL;
    char err[256] = "";
    assert_int_equal(sl_props_load(path, &p, err, sizeof(err)), SL_OK);
    expect_kv(p, "broker.id", "1");
    expect_kv(p, "log.dirs", "/var/lib/sluice");
    assert_string_equal(sl_props_origin(p), path);
    sl_props_free(p);
    unlink(path);

    path = write_temp("ok=1\nbad=\\uD800\n", 16);
    char want[256];
    snprintf(want, sizeof(want), "%s:2: unpaired surrogate \\uD800 (a high surrogate must be followed by a "
             "\\uDC00-\\uDFFF escape)", path);
    assert_int_equal(sl_props_load(path, &p, err, sizeof(err)), SL_ERR_CONFIG);
    assert_null(p);
    assert_string_equal(err, want);
    unlink(path);
}

static void props_load_unreadable_is_io_error(void **state)
{
    (void)state;
    sl_props_t *p = (sl_props_t *)1;
    char err[256];
    assert_int_equal(sl_props_load("/nonexistent/sluice.properties", &p, err, sizeof(err)), SL_ERR_IO);
    assert_null(p);
    assert_string_equal(err, "/nonexistent/sluice.properties: No such file or directory");
    assert_int_equal(sl_props_load("/tmp", &p, err, sizeof(err)), SL_ERR_IO);
    assert_string_equal(err, "/tmp: Is a directory");
}

static void props_load_refuses_file_over_16_mib(void **state)
{
    (void)state;
    char path[] = "/tmp/sl-props-big-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (17 << 20)), 0);
    close(fd);
    sl_props_t *p = (sl_props_t *)1;
    char err[256], want[256];
    assert_int_equal(sl_props_load(path, &p, err, sizeof(err)), SL_ERR_CONFIG);
    assert_null(p);
    snprintf(want, sizeof(want), "%s: file is larger than 16 MiB; refusing to read it", path);
    assert_string_equal(err, want);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(props_every_separator_form),
        cmocka_unit_test(props_escapes_in_keys_and_values),
        cmocka_unit_test(props_comments_and_blank_lines),
        cmocka_unit_test(props_continuation_lines),
        cmocka_unit_test(props_line_endings_crlf_and_cr),
        cmocka_unit_test(props_unicode_escapes_and_raw_utf8),
        cmocka_unit_test(props_bom_is_skipped),
        cmocka_unit_test(props_duplicate_key_replaces_and_keeps_first_position),
        cmocka_unit_test(props_line_numbers_point_at_first_natural_line),
        cmocka_unit_test(props_empty_input),
        cmocka_unit_test(props_malformed_unicode_escape_says_what_was_found),
        cmocka_unit_test(props_unpaired_surrogates_fail),
        cmocka_unit_test(props_nul_fails),
        cmocka_unit_test(props_invalid_utf8_fails),
        cmocka_unit_test(props_error_buffer_small_or_absent),
        cmocka_unit_test(props_rejects_input_over_16_mib),
        cmocka_unit_test(props_new_set_get),
        cmocka_unit_test(props_load_reads_file_with_path_as_origin),
        cmocka_unit_test(props_load_unreadable_is_io_error),
        cmocka_unit_test(props_load_refuses_file_over_16_mib),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
