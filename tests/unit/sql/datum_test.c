/* datum_test.c - datums: order, equality and hash, copies, CAST with
 * ksqlDB's rules, and the text CAST(x AS STRING) gives. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "value_int.h"

static sl_arena_t A;

static int setup(void **state)
{
    (void)state;
    sl_arena_init(&A, 0, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sl_arena_fini(&A);
    return 0;
}

static const sl_sql_type_t *T(sl_sql_tkind_t k)
{
    return sl_sql_type_of(k);
}

static sl_sql_datum_t dec(sl_sql_i128_t v, int scale)
{
    sl_sql_datum_t d = {0};
    d.kind = SL_SQL_T_DECIMAL;
    d.scale = (uint8_t)scale;
    d.u.dec = v;
    return d;
}

static sl_sql_datum_t str(const char *s)
{
    return sl_sql_string(s, (uint32_t)strlen(s));
}

/* The datum's text, NUL-terminated in A. */
static const char *text(const sl_sql_datum_t *d, const sl_sql_type_t *t)
{
    sl_buf_t b = SL_BUF_INIT;
    sl_sql_datum_format(d, t, &b);
    char *s = sl_arena_strndup(&A, b.data ? (const char *)b.data : "", b.len);
    sl_buf_free(&b);
    return s;
}

static const char *dbl(double x)
{
    sl_sql_datum_t d = sl_sql_double(x);
    return text(&d, T(SL_SQL_T_DOUBLE));
}

/* CAST of d (from) to `to` as text; "ERR" when it fails. */
static const char *cast_text(sl_sql_datum_t d, const sl_sql_type_t *from, const sl_sql_type_t *to)
{
    sl_sql_datum_t out;
    char err[256] = "";
    if (sl_sql_datum_cast(&A, &d, from, to, &out, err, sizeof err) != SL_OK) {
        assert_true(err[0] != 0);
        return "ERR";
    }
    return text(&out, to);
}

static void datum_double_text_is_javas(void **state)
{
    (void)state;
    assert_string_equal(dbl(1), "1.0");
    assert_string_equal(dbl(1.5), "1.5");
    assert_string_equal(dbl(-2.25), "-2.25");
    assert_string_equal(dbl(0.001), "0.001");
    assert_string_equal(dbl(0.0001), "1.0E-4");
    assert_string_equal(dbl(1234567.0), "1234567.0");
    assert_string_equal(dbl(1e7), "1.0E7");
    assert_string_equal(dbl(1.5e10), "1.5E10");
    assert_string_equal(dbl(0.1 + 0.2), "0.30000000000000004");
    assert_string_equal(dbl(100), "100.0");
    assert_string_equal(dbl(0.0), "0.0");
    assert_string_equal(dbl(-0.0), "-0.0");
    assert_string_equal(dbl(NAN), "NaN");
    assert_string_equal(dbl(-INFINITY), "-Infinity");
    assert_string_equal(dbl(1.7976931348623157e308), "1.7976931348623157E308");
}

/* Significant digits of the text of a double ("-12.50E3" has 3). */
static int sig_digits(const char *t)
{
    int n = 0, lead = 1, last = 0;
    for (; *t && *t != 'E'; t++) {
        if (*t < '0' || *t > '9')
            continue;
        if (*t == '0' && lead)
            continue;
        lead = 0;
        n++;
        if (*t != '0')
            last = n;
    }
    return last ? last : 1;
}

static void datum_double_text_reads_back_shortest(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 60000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        switch (i % 4) {
        case 0: /* any bit pattern */
            memcpy(&d, &x, sizeof d);
            if (isnan(d) || isinf(d) || d == 0)
                continue;
            break;
        case 1: /* money-like decimals */
            d = (double)(int64_t)(x % 100000000) / 100.0;
            break;
        case 2: /* small ratios */
            d = (double)(x % 1000) / (double)(x % 997 + 1);
            break;
        default: /* around the plain/scientific boundaries */
            d = ldexp((double)(x % 1000003), (int)(x % 60) - 40);
            break;
        }
        if (d == 0)
            continue; /* "0.0": plain whatever the range says */
        const char *t = dbl(d);
        char *end;
        assert_true(strtod(t, &end) == d);
        assert_true(*end == 0);
        assert_non_null(strchr(t, '.'));
        double a = fabs(d);
        if ((strchr(t, 'E') == NULL) != (a >= 1e-3 && a < 1e7))
            fail_msg("%.17g printed as %s", d, t);
        int shortest = 17;
        for (int p = 0; p < 17; p++) {
            char tmp[40];
            snprintf(tmp, sizeof tmp, "%.*e", p, d);
            if (strtod(tmp, NULL) == d) {
                shortest = p + 1;
                break;
            }
        }
        if (sig_digits(t) > shortest)
            fail_msg("%.17g printed as %s: %d digits, %d would do", d, t, sig_digits(t), shortest);
        sl_arena_reset(&A);
    }
}

static void datum_text_of_every_kind(void **state)
{
    (void)state;
    sl_sql_datum_t d = dec(-5, 2);
    assert_string_equal(text(&d, sl_sql_type_decimal(&A, 3, 2)), "-0.05");
    d = dec(12345, 2);
    assert_string_equal(text(&d, NULL), "123.45");
    d = dec(7, 0);
    assert_string_equal(text(&d, NULL), "7");
    d = sl_sql_bool(true);
    assert_string_equal(text(&d, NULL), "true");
    d = sl_sql_null();
    assert_string_equal(text(&d, T(SL_SQL_T_INT)), "null");
    d.kind = SL_SQL_T_TIMESTAMP;
    d.u.i64 = 1552816800000LL + 6;
    assert_string_equal(text(&d, NULL), "2019-03-17T10:00:00.006");
    d.u.i64 = -1;
    assert_string_equal(text(&d, NULL), "1969-12-31T23:59:59.999");
    d.kind = SL_SQL_T_DATE;
    d.u.i32 = 10;
    assert_string_equal(text(&d, NULL), "1970-01-11");
    d.kind = SL_SQL_T_TIME;
    d.u.i64 = 1005;
    assert_string_equal(text(&d, NULL), "00:00:01");
    d.u.i64 = 36000000;
    assert_string_equal(text(&d, NULL), "10:00");

    sl_sql_datum_t items[4] = {sl_sql_int(1), sl_sql_null(), str("k"), sl_sql_int(2)};
    sl_sql_datum_t arr = {.kind = SL_SQL_T_ARRAY, .u.a = {items, 2}};
    assert_string_equal(text(&arr, sl_sql_type_array(&A, T(SL_SQL_T_INT))), "[1, null]");
    sl_sql_datum_t map = {.kind = SL_SQL_T_MAP, .u.a = {items + 2, 1}};
    assert_string_equal(text(&map, sl_sql_type_map(&A, T(SL_SQL_T_STRING), T(SL_SQL_T_INT))), "{k=2}");
    sl_sql_field_t f[3] = {{"A", T(SL_SQL_T_INT)}, {"B", T(SL_SQL_T_INT)}, {"C", T(SL_SQL_T_STRING)}};
    sl_sql_datum_t st = {.kind = SL_SQL_T_STRUCT, .u.a = {items, 3}};
    assert_string_equal(text(&st, sl_sql_type_struct(&A, f, 3)), "Struct{A=1,C=k}");
}

static void datum_decimal_eq_and_hash_ignore_scale(void **state)
{
    (void)state;
    const sl_sql_type_t *t = sl_sql_type_decimal(&A, 10, 2);
    sl_sql_datum_t a = dec(10, 1), b = dec(100, 2), c = dec(101, 2);
    assert_true(sl_sql_datum_eq(&a, &b, t));
    assert_int_equal(sl_sql_datum_cmp(&a, &b, t), 0);
    assert_true(sl_sql_datum_hash(&a, t) == sl_sql_datum_hash(&b, t));
    assert_false(sl_sql_datum_eq(&a, &c, t));
    assert_int_equal(sl_sql_datum_cmp(&a, &c, t), -1);
    sl_sql_datum_t big = dec(sl_sql_dec_pow10(37), 0), small = dec(1, 38);
    assert_int_equal(sl_sql_datum_cmp(&big, &small, t), 1);
    assert_int_equal(sl_sql_datum_cmp(&small, &big, t), -1);
}

/* eq implies equal hashes, and cmp agrees with eq, over decimals written
 * at many scales and over nested arrays of them. */
static void datum_hash_agrees_with_eq(void **state)
{
    (void)state;
    const sl_sql_type_t *dt = sl_sql_type_decimal(&A, 38, 10);
    const sl_sql_type_t *at = sl_sql_type_array(&A, dt);
    uint64_t x = 12345;
    for (int i = 0; i < 5000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t v = (int64_t)(x >> 20) % 1000000 - 500000;
        int s1 = (int)(x % 8), s2 = (int)((x >> 8) % 8);
        sl_sql_datum_t a = dec((sl_sql_i128_t)v * sl_sql_dec_pow10(s1), s1);
        sl_sql_datum_t b = dec((sl_sql_i128_t)v * sl_sql_dec_pow10(s2), s2);
        sl_sql_datum_t c = dec((sl_sql_i128_t)v * sl_sql_dec_pow10(s2) + 1, s2);
        assert_true(sl_sql_datum_eq(&a, &b, dt));
        assert_int_equal(sl_sql_datum_cmp(&a, &b, dt), 0);
        assert_true(sl_sql_datum_hash(&a, dt) == sl_sql_datum_hash(&b, dt));
        assert_false(sl_sql_datum_eq(&a, &c, dt));
        assert_int_equal(sl_sql_datum_cmp(&a, &c, dt), -1);
        sl_sql_datum_t ia[2] = {a, c}, ib[2] = {b, c};
        sl_sql_datum_t xa = {.kind = SL_SQL_T_ARRAY, .u.a = {ia, 2}}, xb = {.kind = SL_SQL_T_ARRAY, .u.a = {ib, 2}};
        assert_true(sl_sql_datum_eq(&xa, &xb, at));
        assert_true(sl_sql_datum_hash(&xa, at) == sl_sql_datum_hash(&xb, at));
    }
}

static void datum_cast_edges(void **state)
{
    (void)state;
    const sl_sql_type_t *I = T(SL_SQL_T_INT), *B = T(SL_SQL_T_BIGINT), *D = T(SL_SQL_T_DOUBLE),
                        *S = T(SL_SQL_T_STRING);
    assert_string_equal(cast_text(str("9223372036854775808"), S, B), "ERR");
    assert_string_equal(cast_text(str("+7"), S, I), "7");
    assert_string_equal(cast_text(str(""), S, I), "ERR");
    assert_string_equal(cast_text(str("-"), S, B), "ERR");
    assert_string_equal(cast_text(sl_sql_double(-1e300), D, B), "-9223372036854775808");
    assert_string_equal(cast_text(sl_sql_double(INFINITY), D, I), "2147483647");
    assert_string_equal(cast_text(dec(sl_sql_dec_pow10(20) + 5, 1), sl_sql_type_decimal(&A, 38, 1), B),
                        "-8446744073709551616"); /* the low 64 bits of 10^19, as BigDecimal.longValue() */
    assert_string_equal(cast_text(str("24:00"), S, T(SL_SQL_T_TIME)), "ERR");
    assert_string_equal(cast_text(str("23:59:59.999"), S, T(SL_SQL_T_TIME)), "23:59:59");
    assert_string_equal(cast_text(str("2020-13-01"), S, T(SL_SQL_T_DATE)), "ERR");
    assert_string_equal(cast_text(str("0001-01-01T00:00:00Z"), S, T(SL_SQL_T_TIMESTAMP)), "0001-01-01T00:00:00.000");
    assert_string_equal(cast_text(str("2020-01-01T00:00:00+25:00"), S, T(SL_SQL_T_TIMESTAMP)), "ERR");
    assert_string_equal(cast_text(str("NaN"), S, D), "NaN");
    assert_string_equal(cast_text(str("1.5d"), S, D), "1.5");
}

static void datum_order_nulls_nan_strings(void **state)
{
    (void)state;
    sl_sql_datum_t n = sl_sql_null(), one = sl_sql_int(1);
    assert_int_equal(sl_sql_datum_cmp(&n, &one, T(SL_SQL_T_INT)), -1);
    assert_int_equal(sl_sql_datum_cmp(&one, &n, T(SL_SQL_T_INT)), 1);
    assert_true(sl_sql_datum_eq(&n, &n, T(SL_SQL_T_INT)));
    sl_sql_datum_t nan = sl_sql_double(NAN), inf = sl_sql_double(INFINITY);
    assert_int_equal(sl_sql_datum_cmp(&nan, &inf, T(SL_SQL_T_DOUBLE)), 1);
    assert_true(sl_sql_datum_eq(&nan, &nan, T(SL_SQL_T_DOUBLE)));
    sl_sql_datum_t z = sl_sql_double(0.0), mz = sl_sql_double(-0.0);
    assert_true(sl_sql_datum_eq(&z, &mz, T(SL_SQL_T_DOUBLE)));
    assert_true(sl_sql_datum_hash(&z, T(SL_SQL_T_DOUBLE)) == sl_sql_datum_hash(&mz, T(SL_SQL_T_DOUBLE)));
    sl_sql_datum_t ab = str("ab"), abc = str("abc"), b = str("b");
    assert_int_equal(sl_sql_datum_cmp(&ab, &abc, T(SL_SQL_T_STRING)), -1);
    assert_int_equal(sl_sql_datum_cmp(&b, &abc, T(SL_SQL_T_STRING)), 1);
}

static void datum_maps_equal_in_any_order_and_copy_deeply(void **state)
{
    (void)state;
    const sl_sql_type_t *mt = sl_sql_type_map(&A, T(SL_SQL_T_STRING), T(SL_SQL_T_INT));
    sl_sql_datum_t i1[4] = {str("a"), sl_sql_int(1), str("b"), sl_sql_int(2)};
    sl_sql_datum_t i2[4] = {str("b"), sl_sql_int(2), str("a"), sl_sql_int(1)};
    sl_sql_datum_t m1 = {.kind = SL_SQL_T_MAP, .u.a = {i1, 2}}, m2 = {.kind = SL_SQL_T_MAP, .u.a = {i2, 2}};
    assert_true(sl_sql_datum_eq(&m1, &m2, mt));
    assert_int_equal(sl_sql_datum_cmp(&m1, &m2, mt), 0);
    assert_true(sl_sql_datum_hash(&m1, mt) == sl_sql_datum_hash(&m2, mt));
    i2[3] = sl_sql_int(3);
    assert_false(sl_sql_datum_eq(&m1, &m2, mt));

    sl_arena_t b;
    sl_arena_init(&b, 0, 0);
    char buf[2] = "a";
    i1[0] = sl_sql_string(buf, 1);
    sl_sql_datum_t cp;
    assert_int_equal(sl_sql_datum_copy(&b, &m1, &cp), SL_OK);
    buf[0] = 'z';
    assert_int_equal(cp.u.a.n, 2);
    assert_memory_equal(cp.u.a.items[0].u.s.ptr, "a", 1);
    assert_ptr_not_equal(cp.u.a.items, i1);
    sl_sql_row_t *r = sl_sql_row_new(&b, 2);
    assert_non_null(r);
    assert_true(sl_sql_datum_is_null(&r->cols[1]));
    r->cols[0] = m1;
    sl_sql_row_t *rc = sl_sql_row_copy(&b, r, NULL);
    assert_non_null(rc);
    assert_true(sl_sql_datum_eq(&rc->cols[0], &m1, mt));
    sl_arena_fini(&b);
}

static void datum_cast_numbers(void **state)
{
    (void)state;
    const sl_sql_type_t *I = T(SL_SQL_T_INT), *B = T(SL_SQL_T_BIGINT), *D = T(SL_SQL_T_DOUBLE),
                        *S = T(SL_SQL_T_STRING);
    assert_string_equal(cast_text(sl_sql_double(2.9), D, I), "2");
    assert_string_equal(cast_text(sl_sql_double(-2.9), D, I), "-2");
    assert_string_equal(cast_text(sl_sql_double(1e20), D, I), "2147483647");
    assert_string_equal(cast_text(sl_sql_double(NAN), D, B), "0");
    assert_string_equal(cast_text(sl_sql_bigint(4294967297LL), B, I), "1");
    assert_string_equal(cast_text(str(" 42 "), S, I), "42");
    assert_string_equal(cast_text(str("-9223372036854775808"), S, B), "-9223372036854775808");
    assert_string_equal(cast_text(str("2147483648"), S, I), "ERR");
    assert_string_equal(cast_text(str("abc"), S, I), "ERR");
    assert_string_equal(cast_text(str("1.5"), S, I), "ERR");
    assert_string_equal(cast_text(str("1.5e3"), S, D), "1500.0");
    assert_string_equal(cast_text(str("x1"), S, D), "ERR");
    assert_string_equal(cast_text(sl_sql_int(3), I, D), "3.0");
    assert_string_equal(cast_text(str("TRUE"), S, T(SL_SQL_T_BOOLEAN)), "true");
    assert_string_equal(cast_text(str("no"), S, T(SL_SQL_T_BOOLEAN)), "false");
    assert_string_equal(cast_text(str(" tR "), S, T(SL_SQL_T_BOOLEAN)), "true");
    assert_string_equal(cast_text(str("trueish"), S, T(SL_SQL_T_BOOLEAN)), "false");
    assert_int_equal(sl_sql_bool_parse("Ye", 2), 1);
    assert_int_equal(sl_sql_bool_parse("F", 1), 0);
    assert_int_equal(sl_sql_bool_parse("", 0), -1);
    assert_int_equal(sl_sql_bool_parse("nope", 4), -1);
}

static void datum_cast_decimals(void **state)
{
    (void)state;
    const sl_sql_type_t *D52 = sl_sql_type_decimal(&A, 5, 2), *D41 = sl_sql_type_decimal(&A, 4, 1);
    const sl_sql_type_t *S = T(SL_SQL_T_STRING);
    assert_string_equal(cast_text(dec(12345, 2), D52, D41), "123.5"); /* HALF_UP */
    assert_string_equal(cast_text(dec(-12345, 2), D52, D41), "-123.5");
    assert_string_equal(cast_text(dec(12344, 2), D52, D41), "123.4");
    assert_string_equal(cast_text(dec(99999, 2), D52, D41), "ERR"); /* 1000.0 needs 5 digits */
    assert_string_equal(cast_text(str("1.005"), S, D52), "1.01");
    assert_string_equal(cast_text(str("-1.5E1"), S, D52), "-15.00");
    assert_string_equal(cast_text(str("1000"), S, D52), "ERR");
    assert_string_equal(cast_text(str("abc"), S, D52), "ERR");
    assert_string_equal(cast_text(sl_sql_double(2.5), T(SL_SQL_T_DOUBLE), sl_sql_type_decimal(&A, 1, 0)), "3");
    assert_string_equal(cast_text(sl_sql_double(0.1), T(SL_SQL_T_DOUBLE), D52), "0.10");
    assert_string_equal(cast_text(sl_sql_double(123.456), T(SL_SQL_T_DOUBLE), D52), "123.46");
    assert_string_equal(cast_text(sl_sql_int(7), T(SL_SQL_T_INT), D52), "7.00");
    assert_string_equal(cast_text(dec(-12399, 2), D52, T(SL_SQL_T_INT)), "-123");
    assert_string_equal(cast_text(dec(12345, 2), D52, T(SL_SQL_T_DOUBLE)), "123.45");
    assert_string_equal(cast_text(dec(12345, 2), D52, S), "123.45");
}

static void datum_cast_times(void **state)
{
    (void)state;
    const sl_sql_type_t *S = T(SL_SQL_T_STRING), *TS = T(SL_SQL_T_TIMESTAMP);
    assert_string_equal(cast_text(str("2019-03-17T10:00:00"), S, TS), "2019-03-17T10:00:00.000");
    assert_string_equal(cast_text(str("2019-03-17T03:00-0700"), S, TS), "2019-03-17T10:00:00.000");
    assert_string_equal(cast_text(str("2019-03-17T10:00:00.123456Z"), S, TS), "2019-03-17T10:00:00.123");
    assert_string_equal(cast_text(str("2019"), S, TS), "2019-01-01T00:00:00.000");
    assert_string_equal(cast_text(str("2019-03-17 03:00"), S, TS), "ERR");
    assert_string_equal(cast_text(str("2019-02-29"), S, T(SL_SQL_T_DATE)), "ERR");
    assert_string_equal(cast_text(str("2020-02-29"), S, T(SL_SQL_T_DATE)), "2020-02-29");
    assert_string_equal(cast_text(str("1990-01"), S, T(SL_SQL_T_DATE)), "1990-01-01");
    assert_string_equal(cast_text(str("10:00:00.001"), S, T(SL_SQL_T_TIME)), "10:00");
    assert_string_equal(cast_text(str("foo"), S, T(SL_SQL_T_TIME)), "ERR");
    sl_sql_datum_t ts = {.kind = SL_SQL_T_TIMESTAMP, .u.i64 = 86400000LL * 3 + 5000};
    assert_string_equal(cast_text(ts, TS, T(SL_SQL_T_DATE)), "1970-01-04");
    assert_string_equal(cast_text(ts, TS, T(SL_SQL_T_TIME)), "00:00:05");
    sl_sql_datum_t d = {.kind = SL_SQL_T_DATE, .u.i32 = -1};
    assert_string_equal(cast_text(d, T(SL_SQL_T_DATE), TS), "1969-12-31T00:00:00.000");
    for (int64_t days = -800000; days <= 800000; days += 997) {
        int64_t y;
        unsigned m, dd;
        sl_sql_civil_from_days(days, &y, &m, &dd);
        assert_true(sl_sql_days_from_civil(y, m, dd) == days);
    }
}

static void datum_cast_composites_and_refusals(void **state)
{
    (void)state;
    const sl_sql_type_t *I = T(SL_SQL_T_INT), *S = T(SL_SQL_T_STRING);
    const sl_sql_type_t *ai = sl_sql_type_array(&A, I), *as = sl_sql_type_array(&A, S);
    sl_sql_datum_t items[2] = {sl_sql_int(1), sl_sql_null()};
    sl_sql_datum_t arr = {.kind = SL_SQL_T_ARRAY, .u.a = {items, 2}};
    assert_string_equal(cast_text(arr, ai, as), "[1, null]");
    sl_sql_datum_t sitems[2] = {str("1"), str("x")};
    sl_sql_datum_t sarr = {.kind = SL_SQL_T_ARRAY, .u.a = {sitems, 2}};
    assert_string_equal(cast_text(sarr, as, ai), "ERR");

    sl_sql_field_t from_f[2] = {{"A", I}, {"B", S}}, to_f[2] = {{"B", I}, {"C", I}};
    const sl_sql_type_t *fs = sl_sql_type_struct(&A, from_f, 2), *ts = sl_sql_type_struct(&A, to_f, 2);
    sl_sql_datum_t fi[2] = {sl_sql_int(5), str("7")};
    sl_sql_datum_t st = {.kind = SL_SQL_T_STRUCT, .u.a = {fi, 2}};
    assert_string_equal(cast_text(st, fs, ts), "Struct{B=7}");

    assert_true(sl_sql_type_castable(I, S));
    assert_true(sl_sql_type_castable(S, T(SL_SQL_T_TIMESTAMP)));
    assert_true(sl_sql_type_castable(T(SL_SQL_T_NULL), ai));
    assert_false(sl_sql_type_castable(I, T(SL_SQL_T_BOOLEAN)));
    assert_false(sl_sql_type_castable(T(SL_SQL_T_BOOLEAN), I));
    assert_false(sl_sql_type_castable(S, ai));
    assert_false(sl_sql_type_castable(T(SL_SQL_T_BYTES), S));
    assert_false(sl_sql_type_castable(T(SL_SQL_T_TIME), T(SL_SQL_T_TIMESTAMP)));
    sl_sql_datum_t out;
    char err[128];
    sl_sql_datum_t one = sl_sql_int(1);
    assert_int_equal(sl_sql_datum_cast(&A, &one, I, T(SL_SQL_T_BOOLEAN), &out, err, sizeof err), SL_ERR_INVAL);
    assert_string_equal(err, "Cast of INTEGER to BOOLEAN is not supported");
    sl_sql_datum_t n = sl_sql_null();
    assert_int_equal(sl_sql_datum_cast(&A, &n, I, S, &out, err, sizeof err), SL_OK);
    assert_true(sl_sql_datum_is_null(&out));
}

static void datum_decimal_helpers(void **state)
{
    (void)state;
    sl_sql_i128_t v;
    assert_int_equal(sl_sql_dec_rescale(15, 1, 0, 0, &v), SL_OK);
    assert_true(v == 2);
    assert_int_equal(sl_sql_dec_rescale(-15, 1, 0, 0, &v), SL_OK);
    assert_true(v == -2);
    assert_int_equal(sl_sql_dec_rescale(14, 1, 0, 0, &v), SL_OK);
    assert_true(v == 1);
    assert_int_equal(sl_sql_dec_rescale(1, 0, 38, 0, &v), SL_ERR_INVAL);
    assert_int_equal(sl_sql_dec_rescale(1, 0, 37, 38, &v), SL_OK);
    assert_int_equal(sl_sql_dec_read(" 0.000 ", 7, 1, 0, &v), SL_OK);
    assert_true(v == 0);
    assert_int_equal(sl_sql_dec_read("12345678901234567890123456789012345678", 38, 38, 0, &v), SL_OK);
    assert_int_equal(sl_sql_dec_read("1e", 2, 38, 0, &v), SL_ERR_INVAL);
    assert_int_equal(sl_sql_dec_read(".5", 2, 2, 1, &v), SL_OK);
    assert_true(v == 5);
    assert_int_equal(sl_sql_dec_read("-", 1, 2, 1, &v), SL_ERR_INVAL);
    assert_true(sl_sql_dec_to_double(12345, 2) == 123.45);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(datum_double_text_is_javas),
        cmocka_unit_test(datum_double_text_reads_back_shortest),
        cmocka_unit_test(datum_text_of_every_kind),
        cmocka_unit_test(datum_decimal_eq_and_hash_ignore_scale),
        cmocka_unit_test(datum_hash_agrees_with_eq),
        cmocka_unit_test(datum_cast_edges),
        cmocka_unit_test(datum_order_nulls_nan_strings),
        cmocka_unit_test(datum_maps_equal_in_any_order_and_copy_deeply),
        cmocka_unit_test(datum_cast_numbers),
        cmocka_unit_test(datum_cast_decimals),
        cmocka_unit_test(datum_cast_times),
        cmocka_unit_test(datum_cast_composites_and_refusals),
        cmocka_unit_test(datum_decimal_helpers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
