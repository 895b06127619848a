/*
 * format_test.c - the codecs of format_int.h: format names and ksqlDB's
 * schema checks, JSON / DELIMITED / KAFKA / NONE both ways with ksqlDB's
 * coercions and error sentences, the shared scalar text (Java doubles,
 * DECIMAL), datums <-> jansson, the local engine's text, the internal row
 * encoding, the streams serde adapters, and bounded mutation loops showing
 * that damaged bytes give errors, never crashes.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "format_int.h"
#include "streams.h"

static sl_arena_t arena;
static char err[1024];

static int setup(void **state)
{
    (void)state;
    sl_arena_init(&arena, 0, 0);
    err[0] = '\0';
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sl_arena_fini(&arena);
    return 0;
}

static const sl_sql_type_t *T(sl_sql_tkind_t k)
{
    return sl_sql_type_of(k);
}

static sl_sql_fmt_t fmt_of(const char *name)
{
    sl_sql_fmt_t f;
    assert_int_equal(sl_sql_fmt_parse(name, &f, err, sizeof err), SL_OK);
    return f;
}

static sl_sql_codec_t *codec(const char *fmt, const char *const *names, const sl_sql_type_t *const *types, uint32_t n,
                             bool is_key)
{
    sl_sql_fmt_t f = fmt_of(fmt);
    sl_sql_codec_t *c = NULL;
    sl_err_t rc = sl_sql_codec_new(&arena, &f, names, types, n, is_key, &c, err, sizeof err);
    if (rc)
        fail_msg("codec_new: %s", err);
    return c;
}

static sl_sql_row_t *decode_ok(const sl_sql_codec_t *c, const char *text)
{
    sl_sql_row_t *row = NULL;
    sl_err_t rc = sl_sql_codec_decode(c, (const uint8_t *)text, strlen(text), &arena, &row, err, sizeof err);
    if (rc)
        fail_msg("decode of %s: %s", text, err);
    return row;
}

static void decode_fails(const sl_sql_codec_t *c, const char *text, const char *want)
{
    sl_sql_row_t *row = NULL;
    sl_err_t rc = sl_sql_codec_decode(c, (const uint8_t *)text, strlen(text), &arena, &row, err, sizeof err);
    assert_int_equal(rc, SL_ERR_PARSE);
    if (!strstr(err, want))
        fail_msg("decode of %s: error \"%s\" lacks \"%s\"", text, err, want);
}

static void assert_str_datum(const sl_sql_datum_t *d, const char *want)
{
    assert_int_equal(d->kind, SL_SQL_T_STRING);
    if (d->u.s.len != strlen(want) || memcmp(d->u.s.ptr, want, d->u.s.len) != 0)
        fail_msg("string \"%.*s\" != \"%s\"", (int)d->u.s.len, d->u.s.ptr, want);
}

static void assert_encodes(const sl_sql_codec_t *c, const sl_sql_row_t *row, const char *want)
{
    sl_buf_t b = SL_BUF_INIT;
    assert_int_equal(sl_sql_codec_encode(c, row, &b), SL_OK);
    if (b.len != strlen(want) || (b.len && memcmp(b.data, want, b.len) != 0))
        fail_msg("encoded \"%.*s\" != \"%s\"", (int)b.len, b.data ? (const char *)b.data : "", want);
    sl_buf_free(&b);
}

/* --- format names and schema checks ------------------------------------------ */

static void test_fmt_parse(void **state)
{
    (void)state;
    sl_sql_fmt_t f;
    assert_int_equal(sl_sql_fmt_parse("json", &f, err, sizeof err), SL_OK);
    assert_int_equal(f.kind, SL_SQL_FMT_JSON);
    assert_int_equal(f.wrap_single, -1);
    assert_int_equal(sl_sql_fmt_parse("Delimited", &f, err, sizeof err), SL_OK);
    assert_int_equal(f.kind, SL_SQL_FMT_DELIMITED);
    assert_int_equal(f.delimiter, ',');
    assert_int_equal(sl_sql_fmt_parse("KAFKA", &f, err, sizeof err), SL_OK);
    assert_int_equal(sl_sql_fmt_parse("none", &f, err, sizeof err), SL_OK);
    assert_int_equal(f.kind, SL_SQL_FMT_NONE);
    assert_int_equal(sl_sql_fmt_parse("avro", &f, err, sizeof err), SL_ERR_INVAL);
    assert_string_equal(err, "Unknown format: AVRO");
    assert_string_equal(sl_sql_fmt_name(SL_SQL_FMT_DELIMITED), "DELIMITED");
}

static void codec_fails(const char *fmt, int wrap, const char *const *names, const sl_sql_type_t *const *types,
                        uint32_t n, bool is_key, const char *want)
{
    sl_sql_fmt_t f = fmt_of(fmt);
    f.wrap_single = wrap;
    sl_sql_codec_t *c = NULL;
    assert_int_equal(sl_sql_codec_new(&arena, &f, names, types, n, is_key, &c, err, sizeof err), SL_ERR_INVAL);
    if (!strstr(err, want))
        fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

static void test_codec_checks(void **state)
{
    (void)state;
    const char *ab[] = {"A", "B"};
    const sl_sql_type_t *is[] = {T(SL_SQL_T_INT), T(SL_SQL_T_STRING)};
    codec_fails("KAFKA", -1, ab, is, 2, false,
                "The 'KAFKA' format only supports a single field. Got: [`A` INTEGER, `B` STRING]");
    codec_fails("KAFKA", -1, ab, is, 2, true, "Key format does not support schema.");
    codec_fails("KAFKA", -1, ab, is, 2, true, "Got: [`A` INTEGER KEY, `B` STRING KEY]");
    const sl_sql_type_t *b[] = {T(SL_SQL_T_BOOLEAN)};
    codec_fails("KAFKA", -1, ab, b, 1, false, "The 'KAFKA' format does not support type 'BOOLEAN'");
    const sl_sql_type_t *d[] = {sl_sql_type_decimal(&arena, 4, 2)};
    codec_fails("KAFKA", -1, ab, d, 1, true, "The 'KAFKA' format does not support type 'DECIMAL'");
    const sl_sql_type_t *arr[] = {sl_sql_type_array(&arena, T(SL_SQL_T_INT))};
    codec_fails("DELIMITED", -1, ab, arr, 1, false, "The 'DELIMITED' format does not support type 'ARRAY', column: `A`");
    const char *k[] = {"K"};
    const sl_sql_type_t *s[] = {T(SL_SQL_T_STRING)};
    codec_fails("NONE", -1, k, s, 1, true,
                "The 'NONE' format can only be used when no columns are defined. Got: [`K` STRING KEY]");
    codec_fails("DELIMITED", 1, k, s, 1, false, "Format 'DELIMITED' does not support 'WRAP_SINGLE_VALUE' set to 'true'.");
    codec_fails("KAFKA", 1, k, s, 1, false, "Format 'KAFKA' does not support 'WRAP_SINGLE_VALUE' set to 'true'.");
    codec_fails("KAFKA", 0, k, s, 1, false, "Format 'KAFKA' does not support 'WRAP_SINGLE_VALUE' set to 'false'.");
    codec_fails("JSON", 0, ab, is, 2, false, "'WRAP_SINGLE_VALUE' is only valid for single-field value schemas");
    const sl_sql_type_t *mi[] = {sl_sql_type_array(&arena, sl_sql_type_map(&arena, T(SL_SQL_T_INT), T(SL_SQL_T_DOUBLE)))};
    codec_fails("JSON", -1, k, mi, 1, false, "JSON only supports MAP types with STRING keys");
    codec_fails("JSON", -1, k, mi, 1, true,
                "Map keys, including types that contain maps, are not supported as they may lead to unexpected "
                "behavior due to inconsistent serialization. Key column name: `K`. Column type: "
                "ARRAY<MAP<INTEGER, DOUBLE>>.");
    const sl_sql_type_t *ms[] = {sl_sql_type_map(&arena, T(SL_SQL_T_STRING), T(SL_SQL_T_INT))};
    codec_fails("DELIMITED", -1, k, ms, 1, true, "Map keys, including types that contain maps");
    /* what is allowed */
    sl_sql_codec_t *c;
    sl_sql_fmt_t f = fmt_of("DELIMITED");
    f.wrap_single = 0;
    assert_int_equal(sl_sql_codec_new(&arena, &f, k, s, 1, false, &c, err, sizeof err), SL_OK);
    f = fmt_of("NONE");
    assert_int_equal(sl_sql_codec_new(&arena, &f, NULL, NULL, 0, true, &c, err, sizeof err), SL_OK);
    f = fmt_of("KAFKA");
    assert_int_equal(sl_sql_codec_new(&arena, &f, NULL, NULL, 0, false, &c, err, sizeof err), SL_OK);
}

/* --- scalar text ---------------------------------------------------------------- */

static void assert_double_text(double x, const char *want)
{
    sl_buf_t b = SL_BUF_INIT;
    sl_sql_double_format(x, &b);
    sl_buf_put_u8(&b, 0);
    assert_string_equal((const char *)b.data, want);
    sl_buf_free(&b);
}

static void assert_dec(const char *text, int p, int s, const char *want)
{
    sl_sql_i128_t v;
    sl_err_t rc = sl_sql_dec_parse(text, strlen(text), p, s, &v, err, sizeof err);
    if (!want) {
        assert_int_equal(rc, SL_ERR_INVAL);
        return;
    }
    if (rc)
        fail_msg("dec_parse %s: %s", text, err);
    sl_buf_t b = SL_BUF_INIT;
    sl_sql_dec_format(v, s, &b);
    sl_buf_put_u8(&b, 0);
    assert_string_equal((const char *)b.data, want);
    sl_buf_free(&b);
}

static void test_scalar_text(void **state)
{
    (void)state;
    assert_double_text(1.0, "1.0");
    assert_double_text(-2.5, "-2.5");
    assert_double_text(0.1, "0.1");
    assert_double_text(100.0, "100.0");
    assert_double_text(1234567.0, "1234567.0");
    assert_double_text(1e7, "1.0E7");
    assert_double_text(1.5e10, "1.5E10");
    assert_double_text(0.001, "0.001");
    assert_double_text(1e-4, "1.0E-4");
    assert_double_text(0.0, "0.0");
    assert_double_text(-0.0, "-0.0");
    assert_double_text(0.1 + 0.2, "0.30000000000000004");
    assert_double_text(NAN, "NaN");
    assert_double_text(-INFINITY, "-Infinity");

    assert_dec("12.5", 4, 2, "12.50");
    assert_dec("-01.12", 4, 2, "-1.12");
    assert_dec("2", 4, 2, "2.00");
    assert_dec("1.005", 4, 2, "1.01");
    assert_dec("-1.005", 4, 2, "-1.01");
    assert_dec("1.004", 4, 2, "1.00");
    assert_dec("0.05", 3, 2, "0.05");
    assert_dec("1.5E2", 5, 1, "150.0");
    assert_dec("12345E-4", 6, 4, "1.2345");
    assert_dec("123", 3, 0, "123");
    assert_dec("0", 1, 0, "0");
    assert_dec("99999999999999999999999999999999999999", 38, 0, "99999999999999999999999999999999999999");
    /* past 64 bits: digits 18 at a time, zeros inside a group kept */
    assert_dec("18446744073709551616", 20, 0, "18446744073709551616");
    assert_dec("-12345678901000000000.000000000000000001", 38, 18, "-12345678901000000000.000000000000000001");
    assert_dec("0.00000000000000000000000000000000000001", 38, 38, "0.00000000000000000000000000000000000001");
    assert_dec("123.45", 4, 2, NULL);
    assert_true(strstr(err, "Numeric field overflow") != NULL);
    assert_dec("abc", 4, 2, NULL);
    assert_dec("", 4, 2, NULL);
    assert_dec("1e", 4, 2, NULL);
    assert_dec("1.2.3", 4, 2, NULL);

    int64_t v;
    assert_true(sl_sql_int_parse("-2147483648", 11, INT32_MIN, INT32_MAX, &v));
    assert_int_equal(v, INT32_MIN);
    assert_false(sl_sql_int_parse("2147483648", 10, INT32_MIN, INT32_MAX, &v));
    assert_false(sl_sql_int_parse(" 1", 2, INT32_MIN, INT32_MAX, &v));
    assert_false(sl_sql_int_parse("1.0", 3, INT32_MIN, INT32_MAX, &v));
    assert_true(sl_sql_int_parse("9223372036854775807", 19, INT64_MIN, INT64_MAX, &v));
    assert_false(sl_sql_int_parse("9223372036854775808", 19, INT64_MIN, INT64_MAX, &v));
    double x;
    assert_true(sl_sql_double_parse(" 1.5e3 ", 7, &x));
    assert_true(x == 1500.0);
    assert_true(sl_sql_double_parse("NaN", 3, &x));
    assert_true(x != x);
    assert_false(sl_sql_double_parse("inf", 3, &x));
    assert_false(sl_sql_double_parse("0x10", 4, &x));

    /* integers as text, every digit count and both extremes */
    static const int64_t ints[] = {0, 7, -7, 10, 99, -100, 12345, 1700000000123LL, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        char want[32];
        snprintf(want, sizeof want, "%lld", (long long)ints[i]);
        sl_sql_datum_t d = sl_sql_bigint(ints[i]);
        sl_buf_t t = SL_BUF_INIT;
        assert_int_equal(sl_sql_scalar_write(&d, T(SL_SQL_T_BIGINT), &t), SL_OK);
        sl_buf_put_u8(&t, 0);
        assert_string_equal((const char *)t.data, want);
        sl_buf_free(&t);
    }

    sl_buf_t b = SL_BUF_INIT;
    sl_sql_base64_write((const uint8_t *)"hello", 5, &b);
    assert_int_equal(b.len, 8);
    assert_memory_equal(b.data, "aGVsbG8=", 8);
    const uint8_t *o;
    uint32_t ol;
    assert_true(sl_sql_base64_read((const char *)b.data, b.len, &arena, &o, &ol));
    assert_int_equal(ol, 5);
    assert_memory_equal(o, "hello", 5);
    assert_false(sl_sql_base64_read("a*==", 4, &arena, &o, &ol));
    sl_buf_free(&b);
}

/* --- JSON ------------------------------------------------------------------------ */

static void test_json_decode(void **state)
{
    (void)state;
    const char *names[] = {"ID", "NAME", "PRICE", "OK", "TS", "BIG"};
    const sl_sql_type_t *types[] = {T(SL_SQL_T_INT),     T(SL_SQL_T_STRING),    sl_sql_type_decimal(&arena, 6, 2),
                                    T(SL_SQL_T_BOOLEAN), T(SL_SQL_T_TIMESTAMP), T(SL_SQL_T_BIGINT)};
    sl_sql_codec_t *c = codec("JSON", names, types, 6, false);
    sl_sql_row_t *r = decode_ok(c, " {\"id\": 7, \"Name\": \"x\\u00e9\\ud83d\\ude00\", \"price\": 12.345,"
                                   " \"ok\": true, \"ts\": 1700000000000, \"extra\": {\"a\": [1, {\"b\": null}]},"
                                   " \"big\": \"9007199254740993\"} ");
    assert_int_equal(r->n, 6);
    assert_int_equal(r->cols[0].kind, SL_SQL_T_INT);
    assert_int_equal(r->cols[0].u.i32, 7);
    assert_str_datum(&r->cols[1], "x\xc3\xa9\xf0\x9f\x98\x80");
    assert_int_equal(r->cols[2].kind, SL_SQL_T_DECIMAL);
    assert_true(r->cols[2].u.dec == 1235); /* HALF_UP to scale 2 */
    assert_int_equal(r->cols[2].scale, 2);
    assert_true(r->cols[3].u.b);
    assert_int_equal(r->cols[4].kind, SL_SQL_T_TIMESTAMP);
    assert_int_equal(r->cols[4].u.i64, 1700000000000LL);
    assert_int_equal(r->cols[5].u.i64, 9007199254740993LL);

    /* missing fields are NULL; a JSON null too */
    r = decode_ok(c, "{\"ID\": null}");
    for (uint32_t i = 0; i < 6; i++)
        assert_int_equal(r->cols[i].kind, SL_SQL_T_NULL);
    /* a null or empty value: every column NULL */
    r = decode_ok(c, "null");
    assert_int_equal(r->cols[0].kind, SL_SQL_T_NULL);
    r = decode_ok(c, "");
    assert_int_equal(r->n, 6);

    /* coercions: numeric strings to numbers, numbers to strings, fractions truncated */
    r = decode_ok(c, "{\"ID\": \"-12\", \"NAME\": 12.50, \"PRICE\": \"3.1\", \"BIG\": 2.9}");
    assert_int_equal(r->cols[0].u.i32, -12);
    assert_str_datum(&r->cols[1], "12.50");
    assert_true(r->cols[2].u.dec == 310);
    assert_int_equal(r->cols[5].u.i64, 2);
    r = decode_ok(c, "{\"NAME\": true}");
    assert_str_datum(&r->cols[1], "true");
    r = decode_ok(c, "{\"NAME\": { \"a\" : [1, 2], \"b\": \"x y\" }}");
    assert_str_datum(&r->cols[1], "{\"a\":[1,2],\"b\":\"x y\"}");
    r = decode_ok(c, "{\"NAME\": [1, \"a\", null, [2]]}");
    assert_str_datum(&r->cols[1], "[1, a, null, [2]]");

    /* errors: ksqlDB's sentences with the path */
    decode_fails(c, "{\"ID\": \"abc\"}", "Can't coerce string to type. targetType: INTEGER, path: $.ID");
    decode_fails(c, "{\"OK\": 1}", "Can't convert type. sourceType: IntNode, requiredType: BOOLEAN, path: $.OK");
    decode_fails(c, "{\"ID\": [1]}", "Can't convert type. sourceType: ArrayNode, requiredType: INTEGER, path: $.ID");
    decode_fails(c, "{\"ID\": {}}", "sourceType: ObjectNode");
    decode_fails(c, "{\"OK\": \"true\"}", "sourceType: TextNode, requiredType: BOOLEAN");
    decode_fails(c, "{\"PRICE\": 12345.6}", "Numeric field overflow");
    decode_fails(c, "[1, 2]", "sourceType: ArrayNode, requiredType: STRUCT<`ID` INTEGER");
    decode_fails(c, "{\"ID\": 1", "Invalid JSON");
    decode_fails(c, "{\"ID\": 01}", "Invalid JSON");
    decode_fails(c, "{\"ID\" 1}", "Invalid JSON");
    decode_fails(c, "{\"NAME\": \"a\x01\"}", "Invalid JSON");
    decode_fails(c, "{\"NAME\": \"\xff\"}", "Invalid JSON");
    decode_fails(c, "{\"NAME\": \"\\x\"}", "Invalid JSON");
    decode_fails(c, "tru", "Invalid JSON");
}

static void test_json_names(void **state)
{
    (void)state;
    /* unquoted columns are upper case and match any case; a quoted one
     * matches itself only; an exact match beats an upper-cased one */
    const char *names[] = {"A", "b"};
    const sl_sql_type_t *types[] = {T(SL_SQL_T_INT), T(SL_SQL_T_INT)};
    sl_sql_codec_t *c = codec("JSON", names, types, 2, false);
    sl_sql_row_t *r = decode_ok(c, "{\"A\": 1, \"a\": 2, \"B\": 3}");
    assert_int_equal(r->cols[0].u.i32, 1);
    assert_int_equal(r->cols[1].kind, SL_SQL_T_NULL);
    r = decode_ok(c, "{\"a\": 2, \"b\": 3}");
    assert_int_equal(r->cols[0].u.i32, 2);
    assert_int_equal(r->cols[1].u.i32, 3);
    /* duplicates: the last wins */
    r = decode_ok(c, "{\"a\": 2, \"a\": 5}");
    assert_int_equal(r->cols[0].u.i32, 5);
}

static const sl_sql_type_t *nested_type(void)
{
    sl_sql_field_t f[] = {{"X", T(SL_SQL_T_DOUBLE)}, {"Tags", sl_sql_type_array(&arena, T(SL_SQL_T_STRING))}};
    const sl_sql_type_t *st = sl_sql_type_struct(&arena, f, 2);
    const sl_sql_type_t *m = sl_sql_type_map(&arena, T(SL_SQL_T_STRING), st);
    return sl_sql_type_array(&arena, m);
}

static void test_json_nested(void **state)
{
    (void)state;
    const char *names[] = {"V"};
    const sl_sql_type_t *types[] = {nested_type()};
    sl_sql_codec_t *c = codec("JSON", names, types, 1, false);
    const char *text = "{\"v\": [{\"k1\": {\"x\": 1.5, \"Tags\": [\"a\", null]}, \"k2\": null}, null, {}]}";
    sl_sql_row_t *r = decode_ok(c, text);
    const sl_sql_datum_t *a = &r->cols[0];
    assert_int_equal(a->kind, SL_SQL_T_ARRAY);
    assert_int_equal(a->u.a.n, 3);
    const sl_sql_datum_t *m = &a->u.a.items[0];
    assert_int_equal(m->kind, SL_SQL_T_MAP);
    assert_int_equal(m->u.a.n, 2);
    assert_str_datum(&m->u.a.items[0], "k1");
    const sl_sql_datum_t *st = &m->u.a.items[1];
    assert_int_equal(st->kind, SL_SQL_T_STRUCT);
    assert_true(st->u.a.items[0].u.f64 == 1.5);
    /* "Tags" is a quoted field name: it matches exactly */
    assert_int_equal(st->u.a.items[1].u.a.n, 2);
    assert_int_equal(st->u.a.items[1].u.a.items[1].kind, SL_SQL_T_NULL);
    assert_int_equal(m->u.a.items[3].kind, SL_SQL_T_NULL);
    assert_int_equal(a->u.a.items[1].kind, SL_SQL_T_NULL);
    assert_int_equal(a->u.a.items[2].u.a.n, 0);
    assert_encodes(c, r,
                   "{\"V\":[{\"k1\":{\"X\":1.5,\"Tags\":[\"a\",null]},\"k2\":null},null,{}]}");
    decode_fails(c, "{\"v\": [{\"k1\": {\"x\": \"no\"}}]}",
                 "Can't coerce string to type. targetType: DOUBLE, path: $.V[0].k1.value.X");
    /* nesting deeper than the bound is refused, not recursed into */
    char deep[400];
    size_t n = 0;
    n += (size_t)snprintf(deep, sizeof deep, "{\"x\":");
    for (int i = 0; i < 150; i++)
        deep[n++] = '[';
    deep[n] = '\0';
    decode_fails(c, deep, "Invalid JSON");
}

static void test_json_unwrapped(void **state)
{
    (void)state;
    const char *names[] = {"K"};
    const sl_sql_type_t *types[] = {T(SL_SQL_T_STRING)};
    /* a single key column is written bare */
    sl_sql_codec_t *k = codec("JSON", names, types, 1, true);
    sl_sql_row_t *r = decode_ok(k, "\"abc\"");
    assert_str_datum(&r->cols[0], "abc");
    assert_encodes(k, r, "\"abc\"");
    /* a single value column: wrapped unless WRAP_SINGLE_VALUE=false */
    sl_sql_codec_t *v = codec("JSON", names, types, 1, false);
    r = decode_ok(v, "{\"K\": \"abc\"}");
    assert_encodes(v, r, "{\"K\":\"abc\"}");
    sl_sql_fmt_t f = fmt_of("JSON");
    f.wrap_single = 0;
    sl_sql_codec_t *u;
    assert_int_equal(sl_sql_codec_new(&arena, &f, names, types, 1, false, &u, err, sizeof err), SL_OK);
    r = decode_ok(u, "12");
    assert_str_datum(&r->cols[0], "12");
    assert_encodes(u, r, "\"12\"");
    r = decode_ok(u, "{\"K\": 1}");
    assert_str_datum(&r->cols[0], "{\"K\":1}");
    /* two key columns: an object */
    const char *n2[] = {"K1", "K2"};
    const sl_sql_type_t *t2[] = {T(SL_SQL_T_STRING), T(SL_SQL_T_INT)};
    sl_sql_codec_t *k2 = codec("JSON", n2, t2, 2, true);
    r = decode_ok(k2, "{\"k1\": \"a\", \"k2\": 2}");
    assert_encodes(k2, r, "{\"K1\":\"a\",\"K2\":2}");
}

static void test_json_encode(void **state)
{
    (void)state;
    const char *names[] = {"I", "D", "DEC", "S", "B", "T", "BY", "N", "DT", "TM"};
    const sl_sql_type_t *types[] = {T(SL_SQL_T_INT),    T(SL_SQL_T_DOUBLE),    sl_sql_type_decimal(&arena, 10, 2),
                                    T(SL_SQL_T_STRING), T(SL_SQL_T_BOOLEAN),   T(SL_SQL_T_TIMESTAMP),
                                    T(SL_SQL_T_BYTES),  T(SL_SQL_T_BIGINT),    T(SL_SQL_T_DATE),
                                    T(SL_SQL_T_TIME)};
    sl_sql_codec_t *c = codec("JSON", names, types, 10, false);
    sl_sql_datum_t cols[10];
    cols[0] = sl_sql_int(-3);
    cols[1] = sl_sql_double(1e10);
    cols[2] = (sl_sql_datum_t){0};
    cols[2].kind = SL_SQL_T_DECIMAL;
    cols[2].scale = 2;
    cols[2].u.dec = -5;
    cols[3] = sl_sql_string("q\"\\\n\x01/", 6);
    cols[4] = sl_sql_bool(false);
    cols[5] = sl_sql_bigint(1700000000000LL);
    cols[5].kind = SL_SQL_T_TIMESTAMP;
    cols[6] = sl_sql_string("\x00\xff", 2);
    cols[6].kind = SL_SQL_T_BYTES;
    cols[7] = sl_sql_null();
    cols[8] = sl_sql_int(19000);
    cols[8].kind = SL_SQL_T_DATE;
    cols[9] = sl_sql_bigint(3600000);
    cols[9].kind = SL_SQL_T_TIME;
    sl_sql_row_t row = {10, cols};
    const char *want = "{\"I\":-3,\"D\":1.0E10,\"DEC\":-0.05,\"S\":\"q\\\"\\\\\\n\\u0001/\",\"B\":false,"
                       "\"T\":1700000000000,\"BY\":\"AP8=\",\"N\":null,\"DT\":19000,\"TM\":3600000}";
    assert_encodes(c, &row, want);
    /* and back: the same datums */
    sl_sql_row_t *r = decode_ok(c, want);
    for (uint32_t i = 0; i < 10; i++)
        assert_true(sl_sql_datum_eq(&r->cols[i], &cols[i], types[i]));
    /* NaN as Jackson writes it, and read back */
    cols[1] = sl_sql_double(NAN);
    sl_buf_t b = SL_BUF_INIT;
    assert_int_equal(sl_sql_codec_encode(c, &row, &b), SL_OK);
    assert_non_null(memmem(b.data, b.len, "\"D\":\"NaN\"", 9));
    sl_sql_row_t *r2;
    assert_int_equal(sl_sql_codec_decode(c, b.data, b.len, &arena, &r2, err, sizeof err), SL_OK);
    assert_true(r2->cols[1].u.f64 != r2->cols[1].u.f64);
    sl_buf_free(&b);
}

/* Strings with a character that needs a look (quote, backslash, control,
 * multi-byte UTF-8) at every position of every length up to 40: written
 * and read back the same, whatever the eight-byte scans see. */
static void test_json_string_positions(void **state)
{
    (void)state;
    const char *names[] = {"S"};
    const sl_sql_type_t *types[] = {T(SL_SQL_T_STRING)};
    sl_sql_codec_t *c = codec("JSON", names, types, 1, true);
    static const char *specials[] = {"\"", "\\", "\n", "\x01", "\xc3\xa9", "\xe2\x82\xac", "\x7f", "/"};
    char text[64];
    for (size_t len = 0; len <= 40; len++) {
        for (size_t at = 0; at <= len; at++) {
            for (size_t k = 0; k < sizeof specials / sizeof specials[0]; k++) {
                size_t n = 0;
                for (size_t i = 0; i < len; i++) {
                    if (i == at) {
                        memcpy(text + n, specials[k], strlen(specials[k]));
                        n += strlen(specials[k]);
                    } else {
                        text[n++] = (char)('a' + i % 26);
                    }
                }
                sl_sql_datum_t d = sl_sql_string(text, (uint32_t)n);
                sl_sql_row_t row = {1, &d};
                sl_buf_t b = SL_BUF_INIT;
                assert_int_equal(sl_sql_codec_encode(c, &row, &b), SL_OK);
                sl_sql_row_t *r;
                if (sl_sql_codec_decode(c, b.data, b.len, &arena, &r, err, sizeof err))
                    fail_msg("len %zu at %zu special %zu: %s", len, at, k, err);
                assert_int_equal(r->cols[0].u.s.len, n);
                assert_memory_equal(r->cols[0].u.s.ptr, text, n);
                sl_buf_free(&b);
            }
        }
    }
}

/* --- DELIMITED ------------------------------------------------------------------- */

static void test_delimited(void **state)
{
    (void)state;
    const char *names[] = {"ID", "NAME", "COST", "OK", "D"};
    const sl_sql_type_t *types[] = {T(SL_SQL_T_BIGINT), T(SL_SQL_T_STRING), sl_sql_type_decimal(&arena, 4, 2),
                                    T(SL_SQL_T_BOOLEAN), T(SL_SQL_T_DOUBLE)};
    sl_sql_codec_t *c = codec("DELIMITED", names, types, 5, false);
    sl_sql_row_t *r = decode_ok(c, "1511897796092,item_1,10.10,true,10.0\r\n");
    assert_int_equal(r->cols[0].u.i64, 1511897796092LL);
    assert_str_datum(&r->cols[1], "item_1");
    assert_true(r->cols[2].u.dec == 1010);
    assert_true(r->cols[3].u.b);
    assert_true(r->cols[4].u.f64 == 10.0);
    assert_encodes(c, r, "1511897796092,item_1,10.10,true,10.0");
    /* empty fields are NULL; quotes with "" inside and the delimiter */
    r = decode_ok(c, ",\"a,\"\"b\"\"\",,,");
    assert_int_equal(r->cols[0].kind, SL_SQL_T_NULL);
    assert_str_datum(&r->cols[1], "a,\"b\"");
    assert_int_equal(r->cols[4].kind, SL_SQL_T_NULL);
    assert_encodes(c, r, ",\"a,\"\"b\"\"\",,,");
    r = decode_ok(c, "1,\"You\",\"-01.12\",FALSE,1e3");
    assert_str_datum(&r->cols[1], "You");
    assert_true(r->cols[2].u.dec == -112);
    assert_false(r->cols[3].u.b);
    assert_true(r->cols[4].u.f64 == 1000.0);
    decode_fails(c, "1,a,1.0,true", "Column count mismatch on deserialization. expected: 5, got: 4");
    decode_fails(c, "1,a,1.0,true,1,extra", "expected: 5, got: 6");
    decode_fails(c, "x,a,1.0,true,1", "Invalid BIGINT value: 'x'");
    decode_fails(c, "1,\"a,1.0,true,1", "EOF reached before encapsulated token finished");
    decode_fails(c, "1,\"a\"b,1.0,true,1", "invalid char between encapsulated token and delimiter");
    decode_fails(c, "1,a,123.45,true,1", "Numeric field overflow");

    /* other delimiters */
    sl_sql_fmt_t f = fmt_of("DELIMITED");
    f.delimiter = '\t';
    sl_sql_codec_t *t;
    assert_int_equal(sl_sql_codec_new(&arena, &f, names, types, 5, false, &t, err, sizeof err), SL_OK);
    r = decode_ok(t, "1\ta,b\t1.5\tfalse\t2");
    assert_str_datum(&r->cols[1], "a,b");
    assert_encodes(t, r, "1\ta,b\t1.50\tfalse\t2.0");
    /* a single column: the whole line */
    const char *one[] = {"V"};
    const sl_sql_type_t *it[] = {T(SL_SQL_T_INT)};
    sl_sql_codec_t *c1 = codec("DELIMITED", one, it, 1, false);
    r = decode_ok(c1, "10");
    assert_int_equal(r->cols[0].u.i32, 10);
    decode_fails(c1, "", "No fields in record");
    decode_fails(c1, "\r\n", "No fields in record");
    r = decode_ok(c1, "\"\"");
    assert_int_equal(r->cols[0].kind, SL_SQL_T_NULL);
    /* an empty string is quoted only as the first field */
    const char *two[] = {"A", "B"};
    const sl_sql_type_t *ss[] = {T(SL_SQL_T_STRING), T(SL_SQL_T_STRING)};
    sl_sql_codec_t *c2 = codec("DELIMITED", two, ss, 2, false);
    sl_sql_datum_t e2[2] = {sl_sql_string("", 0), sl_sql_string("", 0)};
    sl_sql_row_t r2 = {2, e2};
    assert_encodes(c2, &r2, "\"\",");
    e2[0] = sl_sql_null();
    assert_encodes(c2, &r2, ",");
    /* Commons CSV's quoting as ksqlDB ships it: a first field starting with
     * neither a letter nor a digit, any field starting at or below '#' or
     * ending at or below a blank */
    e2[0] = sl_sql_string("-a", 2);
    e2[1] = sl_sql_string("-b", 2);
    assert_encodes(c2, &r2, "\"-a\",-b");
    e2[0] = sl_sql_string("\xc3\xa9", 2);
    e2[1] = sl_sql_string("#x", 2);
    assert_encodes(c2, &r2, "\"\xc3\xa9\",\"#x\"");
    e2[0] = sl_sql_string("a ", 2);
    e2[1] = sl_sql_string(" b", 2);
    assert_encodes(c2, &r2, "\"a \",\" b\"");
    const sl_sql_type_t *ii[] = {T(SL_SQL_T_INT), T(SL_SQL_T_INT)};
    sl_sql_codec_t *c3 = codec("DELIMITED", two, ii, 2, false);
    sl_sql_datum_t e3[2] = {sl_sql_int(-10), sl_sql_int(-10)};
    sl_sql_row_t r3 = {2, e3};
    assert_encodes(c3, &r3, "\"-10\",-10");
    r = decode_ok(c3, "\"-10\",-10");
    assert_int_equal(r->cols[0].u.i32, -10);
}

/* --- KAFKA and NONE ----------------------------------------------------------------- */

static void test_kafka(void **state)
{
    (void)state;
    const char *names[] = {"K"};
    const sl_sql_type_t *ti[] = {T(SL_SQL_T_INT)};
    sl_sql_codec_t *c = codec("KAFKA", names, ti, 1, true);
    sl_sql_row_t *r;
    const uint8_t four[] = {0xff, 0xff, 0xff, 0xfe};
    assert_int_equal(sl_sql_codec_decode(c, four, 4, &arena, &r, err, sizeof err), SL_OK);
    assert_int_equal(r->cols[0].u.i32, -2);
    assert_int_equal(sl_sql_codec_decode(c, four, 3, &arena, &r, err, sizeof err), SL_ERR_PARSE);
    assert_string_equal(err, "Size of data received by IntegerDeserializer is not 4");
    sl_buf_t b = SL_BUF_INIT;
    assert_int_equal(sl_sql_codec_encode(c, r, &b), SL_OK);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, four, 4);
    sl_buf_free(&b);

    const sl_sql_type_t *tl[] = {T(SL_SQL_T_BIGINT)};
    c = codec("KAFKA", names, tl, 1, true);
    const uint8_t eight[] = {0, 0, 0, 0, 0, 0, 1, 0};
    assert_int_equal(sl_sql_codec_decode(c, eight, 8, &arena, &r, err, sizeof err), SL_OK);
    assert_int_equal(r->cols[0].u.i64, 256);
    assert_int_equal(sl_sql_codec_decode(c, eight, 4, &arena, &r, err, sizeof err), SL_ERR_PARSE);
    assert_string_equal(err, "Size of data received by LongDeserializer is not 8");

    const sl_sql_type_t *td[] = {T(SL_SQL_T_DOUBLE)};
    c = codec("KAFKA", names, td, 1, false);
    const uint8_t dbl[] = {0x3f, 0xf8, 0, 0, 0, 0, 0, 0};
    assert_int_equal(sl_sql_codec_decode(c, dbl, 8, &arena, &r, err, sizeof err), SL_OK);
    assert_true(r->cols[0].u.f64 == 1.5);

    const sl_sql_type_t *ts[] = {T(SL_SQL_T_STRING)};
    c = codec("KAFKA", names, ts, 1, true);
    r = decode_ok(c, "héllo");
    assert_str_datum(&r->cols[0], "héllo");
    assert_encodes(c, r, "héllo");

    /* bytes that are not UTF-8 read as Java's decoder reads them */
    r = decode_ok(c, "a\xff" "b\xc3");
    assert_str_datum(&r->cols[0], "a\xef\xbf\xbd" "b\xef\xbf\xbd");
    sl_sql_codec_t *dl = codec("DELIMITED", names, ts, 1, false);
    r = decode_ok(dl, "\xe2\x82");
    assert_str_datum(&r->cols[0], "\xef\xbf\xbd\xef\xbf\xbd");

    /* a NULL bare column is a Kafka null; NONE always is */
    sl_sql_datum_t nul = sl_sql_null();
    sl_sql_row_t nrow = {1, &nul};
    assert_true(sl_sql_codec_is_null(c, &nrow));
    assert_false(sl_sql_codec_is_null(c, r));
    assert_true(sl_sql_codec_is_null(c, NULL));
    assert_false(sl_sql_codec_is_null(codec("DELIMITED", names, ts, 1, false), &nrow));

    /* NONE: nothing read, nothing written */
    c = codec("NONE", NULL, NULL, 0, true);
    r = decode_ok(c, "whatever");
    assert_int_equal(r->n, 0);
    assert_true(sl_sql_codec_is_null(c, r));
    assert_encodes(c, r, "");
}

/* --- datums <-> jansson, the local engine's text -------------------------------------- */

static void test_json_values(void **state)
{
    (void)state;
    const sl_sql_type_t *t = nested_type();
    json_error_t je;
    json_t *j = json_loads("[{\"k\": {\"X\": 2, \"tags\": [\"z\"]}}, null]", 0, &je);
    assert_non_null(j);
    sl_sql_datum_t d;
    assert_int_equal(sl_sql_datum_from_json(j, t, &arena, &d, err, sizeof err), SL_OK);
    assert_int_equal(d.u.a.n, 2);
    const sl_sql_datum_t *st = &d.u.a.items[0].u.a.items[1];
    assert_true(st->u.a.items[0].u.f64 == 2.0);
    /* "tags" does not match the quoted field "Tags" */
    assert_int_equal(st->u.a.items[1].kind, SL_SQL_T_NULL);
    json_t *back = sl_sql_datum_to_json(&d, t);
    char *s = json_dumps(back, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(s, "[{\"k\":{\"Tags\":null,\"X\":2.0}},null]");
    free(s);
    json_decref(back);
    json_decref(j);

    /* decimals from JSON reals keep their digits; ints as numbers and strings */
    const sl_sql_type_t *dec = sl_sql_type_decimal(&arena, 6, 4);
    j = json_real(12.365);
    assert_int_equal(sl_sql_datum_from_json(j, dec, &arena, &d, err, sizeof err), SL_OK);
    assert_true(d.u.dec == 123650);
    json_decref(j);
    j = json_string("abc");
    assert_int_equal(sl_sql_datum_from_json(j, T(SL_SQL_T_INT), &arena, &d, err, sizeof err), SL_ERR_INVAL);
    assert_non_null(strstr(err, "Can't coerce string to type. targetType: INTEGER"));
    json_decref(j);
    j = json_integer(5);
    assert_int_equal(sl_sql_datum_from_json(j, T(SL_SQL_T_STRING), &arena, &d, err, sizeof err), SL_OK);
    assert_str_datum(&d, "5");
    json_decref(j);
    d = (sl_sql_datum_t){0};
    d.kind = SL_SQL_T_DECIMAL;
    d.scale = 2;
    d.u.dec = 1250;
    j = sl_sql_datum_to_json(&d, sl_sql_type_decimal(&arena, 5, 2));
    assert_true(json_is_real(j) && json_real_value(j) == 12.5);
    json_decref(j);
}

static void text_round_trip(const sl_sql_codec_t *c, const char *in, size_t want_len, const char *want_text)
{
    sl_buf_t b = SL_BUF_INIT;
    bool is_null;
    if (sl_sql_codec_from_text(c, in, &arena, &b, &is_null, err, sizeof err))
        fail_msg("from_text %s: %s", in, err);
    assert_false(is_null);
    assert_int_equal(b.len, want_len);
    char *t = sl_sql_codec_to_text(c, b.data, b.len, false, &arena);
    assert_string_equal(t, want_text);
    free(t);
    sl_buf_free(&b);
}

static void test_text(void **state)
{
    (void)state;
    const char *names[] = {"K"};
    const sl_sql_type_t *ti[] = {T(SL_SQL_T_INT)};
    const sl_sql_type_t *ts[] = {T(SL_SQL_T_STRING)};
    text_round_trip(codec("KAFKA", names, ti, 1, true), "42", 4, "42");
    text_round_trip(codec("KAFKA", names, ts, 1, true), "\"a\\\"b\"", 3, "\"a\\\"b\"");
    text_round_trip(codec("DELIMITED", names, ts, 1, false), "\"x,\\\"y\\\"\"", 5, "\"x,\\\"y\\\"\"");
    text_round_trip(codec("JSON", names, ts, 1, false), " {\"K\": \"v\"} ", 10, "{\"K\": \"v\"}");
    sl_buf_t b = SL_BUF_INIT;
    bool is_null;
    sl_sql_codec_t *k = codec("KAFKA", names, ti, 1, true);
    assert_int_equal(sl_sql_codec_from_text(k, "null", &arena, &b, &is_null, err, sizeof err), SL_OK);
    assert_true(is_null);
    assert_int_equal(sl_sql_codec_from_text(k, "\"x\"", &arena, &b, &is_null, err, sizeof err), SL_ERR_INVAL);
    assert_int_equal(sl_sql_codec_from_text(k, "{", &arena, &b, &is_null, err, sizeof err), SL_ERR_INVAL);
    char *t = sl_sql_codec_to_text(k, NULL, 0, true, &arena);
    assert_string_equal(t, "null");
    free(t);
    sl_buf_free(&b);
}

/* --- the internal encoding and the serdes ---------------------------------------------- */

static sl_sql_row_t *all_types_row(const sl_sql_type_t ***types_out, uint32_t *n_out)
{
    static const sl_sql_type_t *types[13];
    types[0] = T(SL_SQL_T_BOOLEAN);
    types[1] = T(SL_SQL_T_INT);
    types[2] = T(SL_SQL_T_BIGINT);
    types[3] = T(SL_SQL_T_DOUBLE);
    types[4] = sl_sql_type_decimal(&arena, 38, 10);
    types[5] = T(SL_SQL_T_STRING);
    types[6] = T(SL_SQL_T_BYTES);
    types[7] = T(SL_SQL_T_TIMESTAMP);
    types[8] = T(SL_SQL_T_DATE);
    types[9] = T(SL_SQL_T_TIME);
    types[10] = nested_type();
    types[11] = T(SL_SQL_T_STRING);
    types[12] = T(SL_SQL_T_DOUBLE);
    sl_sql_row_t *row = sl_arena_alloc(&arena, sizeof *row);
    row->n = 13;
    row->cols = sl_arena_zalloc(&arena, 13 * sizeof *row->cols);
    row->cols[0] = sl_sql_bool(true);
    row->cols[1] = sl_sql_int(INT32_MIN);
    row->cols[2] = sl_sql_bigint(INT64_MAX);
    row->cols[3] = sl_sql_double(-0.0);
    row->cols[4].kind = SL_SQL_T_DECIMAL;
    row->cols[4].scale = 10;
    row->cols[4].u.dec = -((sl_sql_i128_t)12345678901234567LL * 1000000000000000000LL + 5);
    row->cols[5] = sl_sql_string("héllo", 6);
    row->cols[6] = sl_sql_string("\0\1\2", 3);
    row->cols[6].kind = SL_SQL_T_BYTES;
    row->cols[7] = sl_sql_bigint(-1);
    row->cols[7].kind = SL_SQL_T_TIMESTAMP;
    row->cols[8] = sl_sql_int(-5);
    row->cols[8].kind = SL_SQL_T_DATE;
    row->cols[9] = sl_sql_bigint(86399999);
    row->cols[9].kind = SL_SQL_T_TIME;
    json_t *j = json_loads("[{\"k\": {\"X\": 2.5, \"Tags\": [\"z\", null]}, \"e\": null}, null, {}]", 0, NULL);
    assert_int_equal(sl_sql_datum_from_json(j, types[10], &arena, &row->cols[10], err, sizeof err), SL_OK);
    json_decref(j);
    row->cols[11] = sl_sql_null();
    row->cols[12] = sl_sql_double(NAN);
    *types_out = types;
    *n_out = 13;
    return row;
}

static void test_internal(void **state)
{
    (void)state;
    const sl_sql_type_t **types;
    uint32_t n;
    sl_sql_row_t *row = all_types_row(&types, &n);
    const sl_serde_t *s = sl_sql_internal_serde(&arena, types, n);
    assert_non_null(s);
    sl_val_t v = sl_val_ptr(row), back;
    sl_buf_t b = SL_BUF_INIT;
    assert_int_equal(s->ser(&v, &b, s->arg), SL_OK);
    assert_int_equal(s->de(b.data, b.len, &arena, &back, s->arg), SL_OK);
    assert_int_equal(back.type, SL_V_PTR);
    const sl_sql_row_t *r = back.u.ptr;
    assert_int_equal(r->n, n);
    for (uint32_t i = 0; i < n; i++) {
        if (!sl_sql_datum_eq(&r->cols[i], &row->cols[i], types[i]))
            fail_msg("column %u differs", i);
        assert_int_equal(r->cols[i].kind, row->cols[i].kind);
    }
    assert_true(r->cols[4].u.dec == row->cols[4].u.dec);
    assert_true(memcmp(&r->cols[3].u.f64, &row->cols[3].u.f64, sizeof(double)) == 0); /* -0.0 kept */
    /* every truncation is an error, never a crash */
    for (size_t cut = 0; cut < b.len; cut++)
        assert_int_not_equal(s->de(b.data, cut, &arena, &back, s->arg), SL_OK);
    /* trailing bytes or another column count are refused */
    sl_buf_put_u8(&b, 0);
    assert_int_equal(s->de(b.data, b.len, &arena, &back, s->arg), SL_ERR_PARSE);
    const sl_serde_t *s2 = sl_sql_internal_serde(&arena, types, n - 1);
    assert_int_equal(s2->de(b.data, b.len - 1, &arena, &back, s2->arg), SL_ERR_PARSE);
    sl_buf_free(&b);
}

static void test_codec_serde(void **state)
{
    (void)state;
    const char *names[] = {"A", "B"};
    const sl_sql_type_t *types[] = {T(SL_SQL_T_INT), T(SL_SQL_T_STRING)};
    sl_sql_codec_t *c = codec("JSON", names, types, 2, false);
    const sl_serde_t *s = sl_sql_codec_serde(c);
    assert_int_equal(s->type, SL_V_PTR);
    sl_val_t v, back;
    assert_int_equal(s->de((const uint8_t *)"{\"a\":1,\"b\":\"x\"}", 15, &arena, &v, s->arg), SL_OK);
    sl_buf_t b = SL_BUF_INIT;
    assert_int_equal(s->ser(&v, &b, s->arg), SL_OK);
    assert_int_equal(b.len, 15);
    assert_memory_equal(b.data, "{\"A\":1,\"B\":\"x\"}", 15);
    assert_int_equal(s->de((const uint8_t *)"{\"a\":\"z\"}", 9, &arena, &back, s->arg), SL_ERR_PARSE);
    sl_val_t wrong = sl_val_i32(1);
    assert_int_equal(s->ser(&wrong, &b, s->arg), SL_ERR_INVAL);
    sl_buf_free(&b);
}

/* --- damaged bytes: bounded mutation loops ------------------------------------------------ */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Decodes mutants of good[0..n) (byte flips, cuts, insertions of bytes the
 * format cares about); whatever decodes must encode again. */
static void mutate_loop(const sl_sql_codec_t *c, const sl_serde_t *internal, const uint8_t *good, size_t n,
                        int rounds)
{
    static const uint8_t special[] = {'"', '\\', '{', '}', '[', ']', ',', ':', '0', '-', 'e', '.', 0, 0xff, 0x80, 'n'};
    uint8_t buf[600];
    assert_true(n + 8 <= sizeof buf);
    for (int i = 0; i < rounds; i++) {
        memcpy(buf, good, n);
        size_t len = n;
        int edits = 1 + (int)(next_rand() % 4);
        for (int e = 0; e < edits; e++) {
            uint64_t r = next_rand();
            size_t at = len ? (size_t)(r >> 8) % len : 0;
            switch (r % 4) {
            case 0:
                if (len)
                    buf[at] ^= (uint8_t)(1u << ((r >> 40) % 8));
                break;
            case 1:
                if (len)
                    buf[at] = special[(r >> 40) % sizeof special];
                break;
            case 2:
                len = at; /* cut */
                break;
            default:
                if (len + 1 < sizeof buf) {
                    memmove(buf + at + 1, buf + at, len - at);
                    buf[at] = special[(r >> 40) % sizeof special];
                    len++;
                }
                break;
            }
        }
        sl_arena_t a;
        sl_arena_init(&a, 0, 1 << 20); /* damaged input cannot take more than this */
        sl_buf_t out = SL_BUF_INIT;
        if (c) {
            sl_sql_row_t *row;
            if (sl_sql_codec_decode(c, buf, len, &a, &row, err, sizeof err) == SL_OK)
                assert_int_equal(sl_sql_codec_encode(c, row, &out), SL_OK);
            else
                assert_true(err[0] != '\0');
        } else {
            sl_val_t v;
            if (internal->de(buf, len, &a, &v, internal->arg) == SL_OK)
                assert_int_equal(internal->ser(&v, &out, internal->arg), SL_OK);
        }
        sl_buf_free(&out);
        sl_arena_fini(&a);
    }
}

static void test_mutations(void **state)
{
    (void)state;
    const sl_sql_type_t **types;
    uint32_t n;
    sl_sql_row_t *row = all_types_row(&types, &n);
    static const char *names[] = {"B", "I", "L", "D", "DEC", "S", "BY", "T", "DT", "TM", "NEST", "S2", "D2"};
    sl_sql_codec_t *json = codec("JSON", names, types, n, false);
    sl_buf_t b = SL_BUF_INIT;
    assert_int_equal(sl_sql_codec_encode(json, row, &b), SL_OK);
    mutate_loop(json, NULL, b.data, b.len, 3000);

    sl_buf_reset(&b);
    const sl_serde_t *s = sl_sql_internal_serde(&arena, types, n);
    sl_val_t v = sl_val_ptr(row);
    assert_int_equal(s->ser(&v, &b, s->arg), SL_OK);
    mutate_loop(NULL, s, b.data, b.len, 3000);

    /* DELIMITED over the primitive columns */
    sl_buf_reset(&b);
    sl_sql_codec_t *del = codec("DELIMITED", names, types, 10, false);
    sl_sql_row_t prim = {10, row->cols};
    assert_int_equal(sl_sql_codec_encode(del, &prim, &b), SL_OK);
    mutate_loop(del, NULL, b.data, b.len, 3000);

    const char *k[] = {"K"};
    const sl_sql_type_t *tl[] = {T(SL_SQL_T_BIGINT)};
    sl_sql_codec_t *kafka = codec("KAFKA", k, tl, 1, true);
    const uint8_t eight[] = {1, 2, 3, 4, 5, 6, 7, 8};
    mutate_loop(kafka, NULL, eight, 8, 500);
    sl_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fmt_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_codec_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scalar_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_decode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_nested, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_unwrapped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_encode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_string_positions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delimited, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kafka, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_internal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_codec_serde, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutations, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
