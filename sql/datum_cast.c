/*
 * datum_cast.c - CAST with ksqlDB's rules, and the conversions it is made
 * of: decimal scaling and text, dates and times as ISO-8601 text.
 *
 * Numeric narrowing behaves as Java's primitive conversions do in ksqlDB's
 * generated code: BIGINT -> INT keeps the low 32 bits, DOUBLE -> INT/BIGINT
 * truncates toward zero and saturates (NaN gives 0), DECIMAL -> INT/BIGINT
 * truncates and keeps the low bits. Anything -> DECIMAL rounds HALF_UP and
 * fails when the value does not fit the precision. STRING -> number trims
 * white space and fails on anything that is not a number; STRING ->
 * BOOLEAN is lenient (a prefix of "true" or "yes" in any case is true,
 * everything else false).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "value_int.h"

/* --- Decimals ------------------------------------------------------------- */

#define E19 ((sl_sql_i128_t)10000000000000000000ULL)
static const sl_sql_i128_t pow10_tab[39] = {
    1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
    1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL, 10000000000000ULL,
    100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL, 100000000000000000ULL,
    1000000000000000000ULL, E19, E19 * 10, E19 * 100, E19 * 1000, E19 * 10000, E19 * 100000,
    E19 * 1000000, E19 * 10000000, E19 * 100000000, E19 * 1000000000, E19 * 10000000000ULL,
    E19 * 100000000000ULL, E19 * 1000000000000ULL, E19 * 10000000000000ULL, E19 * 100000000000000ULL,
    E19 * 1000000000000000ULL, E19 * 10000000000000000ULL, E19 * 100000000000000000ULL,
    E19 * 1000000000000000000ULL, E19 * E19,
};

sl_sql_i128_t sl_sql_dec_pow10(int n)
{
    return n >= 0 && n <= 38 ? pow10_tab[n] : 0;
}

static bool dec_fits(sl_sql_i128_t v, int precision)
{
    if (precision <= 0 || precision > 38)
        precision = 38;
    sl_sql_i128_t lim = pow10_tab[precision];
    return v < lim && v > -lim;
}

sl_err_t sl_sql_dec_rescale(sl_sql_i128_t v, int from, int to, int precision, sl_sql_i128_t *out)
{
    sl_sql_i128_t r;
    if (to >= from) {
        int k = to - from;
        if (v == 0 || k == 0)
            r = v;
        else if (k <= 18 && v >= INT64_MIN && v <= INT64_MAX)
            r = v * (int64_t)pow10_tab[k]; /* |v| < 2^63, 10^k < 2^60: no overflow */
        else if (k > 38 || __builtin_mul_overflow(v, pow10_tab[k], &r))
            return SL_ERR_INVAL;
    } else {
        int k = from - to;
        if (k > 38) {
            r = 0; /* |v| < 1.8e38: less than half of 10^39 */
        } else {
            sl_sql_i128_t p = pow10_tab[k];
            r = v / p;
            sl_sql_i128_t rem = v % p;
            if (rem < 0)
                rem = -rem;
            if (rem >= p - rem) /* rem >= p/2 without overflow: HALF_UP */
                r += v < 0 ? -1 : 1;
        }
    }
    if (!dec_fits(r, precision))
        return SL_ERR_INVAL;
    *out = r;
    return SL_OK;
}

static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

sl_err_t sl_sql_dec_read(const char *s, size_t n, int precision, int scale, sl_sql_i128_t *out)
{
    trim(&s, &n);
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    char digits[80];
    size_t nd = 0, seen = 0;
    long frac = 0;   /* digits after the point */
    long dropped = 0; /* integer digits beyond the buffer */
    bool point = false;
    for (; i < n; i++) {
        char c = s[i];
        if (c == '.' && !point) {
            point = true;
            continue;
        }
        if (c < '0' || c > '9')
            break;
        seen++;
        if (point)
            frac++;
        if (nd == 0 && c == '0')
            continue; /* leading zeros */
        if (nd < sizeof digits)
            digits[nd++] = c;
        else if (point)
            frac--; /* a fraction digit too far to matter beyond rounding: dropped */
        else
            dropped++;
    }
    if (!seen)
        return SL_ERR_INVAL;
    long exp = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        size_t e0 = i;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (exp < 100000)
                exp = exp * 10 + (s[i] - '0');
        if (i == e0)
            return SL_ERR_INVAL;
        if (eneg)
            exp = -exp;
    }
    if (i != n)
        return SL_ERR_INVAL;
    /* value = digits * 10^(exp + dropped - frac); unscaled at scale:
     * digits * 10^shift. */
    long shift = exp + dropped - frac + scale;
    sl_sql_i128_t v = 0;
    if (shift >= 0) {
        if ((long)nd + shift > 38 && nd)
            return SL_ERR_INVAL;
        for (size_t k = 0; k < nd; k++)
            v = v * 10 + (digits[k] - '0');
        if (nd)
            v *= pow10_tab[shift];
    } else {
        long keep = (long)nd + shift; /* digits left after dropping -shift */
        if (keep > 38)
            return SL_ERR_INVAL;
        for (long k = 0; k < keep; k++)
            v = v * 10 + (digits[k] - '0');
        if (keep >= 0 && keep < (long)nd && digits[keep] >= '5')
            v += 1;
    }
    if (!dec_fits(v, precision))
        return SL_ERR_INVAL;
    *out = neg ? -v : v;
    return SL_OK;
}

double sl_sql_dec_to_double(sl_sql_i128_t v, int scale)
{
    /* Both operands exact: one IEEE division rounds correctly. */
    static const double p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (v > -((sl_sql_i128_t)1 << 53) && v < ((sl_sql_i128_t)1 << 53) && scale >= 0 && scale <= 22)
        return (double)(int64_t)v / p10[scale];
    sl_buf_t b = SL_BUF_INIT;
    sl_sql_dec_format(v, scale, &b);
    sl_buf_put_u8(&b, 0);
    double d = b.err ? 0 : strtod((const char *)b.data, NULL);
    sl_buf_free(&b);
    return d;
}

sl_err_t sl_sql_dec_from_double(double d, int precision, int scale, sl_sql_i128_t *out)
{
    if (!isfinite(d))
        return SL_ERR_INVAL;
    if (d == 0) {
        *out = 0;
        return SL_OK;
    }
    /* The exact binary value's digits (60 significant are plenty to round
     * to at most 38), rounded HALF_UP to precision digits, then read at the
     * target scale (HALF_UP again), as new BigDecimal(d, MathContext(p)). */
    char tmp[96];
    snprintf(tmp, sizeof tmp, "%.60e", d);
    const char *p = tmp;
    bool neg = *p == '-';
    if (neg)
        p++;
    char digits[64];
    size_t nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9' && nd < sizeof digits)
            digits[nd++] = *p;
    long exp = *p == 'e' ? strtol(p + 1, NULL, 10) : 0;
    if ((size_t)precision < nd) {
        bool up = digits[precision] >= '5';
        nd = (size_t)precision;
        for (size_t k = nd; up && k-- > 0;) {
            if (digits[k] == '9') {
                digits[k] = '0';
            } else {
                digits[k]++;
                up = false;
            }
        }
        if (up) { /* 9.99 -> 10.0 */
            memmove(digits + 1, digits, nd - 1);
            digits[0] = '1';
            exp++;
        }
    }
    char text[128];
    int n = snprintf(text, sizeof text, "%s0.%.*se%ld", neg ? "-" : "", (int)nd, digits, exp + 1);
    return sl_sql_dec_read(text, (size_t)n, precision, scale, out);
}

int sl_sql_bool_parse(const char *p, size_t n)
{
    static const char *const words[4] = {"true", "yes", "false", "no"};
    trim(&p, &n);
    for (int w = 0; w < 4; w++)
        if (n && n <= strlen(words[w]) && strncasecmp(p, words[w], n) == 0)
            return w < 2;
    return -1;
}

/* --- Dates and times -------------------------------------------------------- */

int64_t sl_sql_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void sl_sql_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Reads exactly w digits at s[*i]. */
static bool digits_n(const char *s, size_t n, size_t *i, int w, int *v)
{
    int x = 0;
    for (int k = 0; k < w; k++) {
        if (*i >= n || s[*i] < '0' || s[*i] > '9')
            return false;
        x = x * 10 + (s[(*i)++] - '0');
    }
    *v = x;
    return true;
}

static bool valid_date(int y, int m, int d)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

/* "yyyy[-MM[-dd]]" at s[*i]. */
static bool read_date(const char *s, size_t n, size_t *i, int64_t *days)
{
    int y, m = 1, d = 1;
    if (!digits_n(s, n, i, 4, &y))
        return false;
    if (*i < n && s[*i] == '-') {
        (*i)++;
        if (!digits_n(s, n, i, 2, &m))
            return false;
        if (*i < n && s[*i] == '-') {
            (*i)++;
            if (!digits_n(s, n, i, 2, &d))
                return false;
        }
    }
    if (!valid_date(y, m, d))
        return false;
    *days = sl_sql_days_from_civil(y, (unsigned)m, (unsigned)d);
    return true;
}

/* "HH[:mm[:ss[.S...]]]" at s[*i]; min_parts 2 requires the minutes. */
static bool read_time(const char *s, size_t n, size_t *i, int min_parts, int64_t *ms)
{
    int h, mi = 0, sec = 0, frac = 0;
    if (!digits_n(s, n, i, 2, &h))
        return false;
    int parts = 1;
    if (*i < n && s[*i] == ':') {
        (*i)++;
        if (!digits_n(s, n, i, 2, &mi))
            return false;
        parts++;
        if (*i < n && s[*i] == ':') {
            (*i)++;
            if (!digits_n(s, n, i, 2, &sec))
                return false;
            if (*i < n && s[*i] == '.') {
                (*i)++;
                int k = 0;
                for (; *i < n && s[*i] >= '0' && s[*i] <= '9' && k < 9; (*i)++, k++)
                    if (k < 3)
                        frac = frac * 10 + (s[*i] - '0');
                if (!k)
                    return false;
                for (; k < 3; k++)
                    frac *= 10;
            }
        }
    }
    if (parts < min_parts || h > 23 || mi > 59 || sec > 59)
        return false;
    *ms = ((int64_t)h * 3600 + mi * 60 + sec) * 1000 + frac;
    return true;
}

sl_err_t sl_sql_date_parse(const char *s, size_t n, int32_t *days)
{
    trim(&s, &n);
    size_t i = 0;
    int64_t d;
    if (!read_date(s, n, &i, &d) || i != n)
        return SL_ERR_INVAL;
    *days = (int32_t)d;
    return SL_OK;
}

sl_err_t sl_sql_time_parse(const char *s, size_t n, int64_t *ms)
{
    trim(&s, &n);
    size_t i = 0;
    if (!read_time(s, n, &i, 2, ms) || i != n)
        return SL_ERR_INVAL;
    return SL_OK;
}

sl_err_t sl_sql_ts_parse(const char *s, size_t n, int64_t *ms)
{
    trim(&s, &n);
    size_t i = 0;
    int64_t days, tod = 0;
    if (!read_date(s, n, &i, &days))
        return SL_ERR_INVAL;
    if (i < n && s[i] == 'T') {
        i++;
        if (!read_time(s, n, &i, 1, &tod))
            return SL_ERR_INVAL;
    }
    int64_t off = 0; /* seconds east of UTC */
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i++] == '-' ? -1 : 1, oh, om = 0;
        if (!digits_n(s, n, &i, 2, &oh))
            return SL_ERR_INVAL;
        if (i < n && s[i] == ':')
            i++;
        if (i < n && !digits_n(s, n, &i, 2, &om))
            return SL_ERR_INVAL;
        if (oh > 18 || om > 59)
            return SL_ERR_INVAL;
        off = sign * (oh * 3600 + om * 60);
    }
    if (i != n)
        return SL_ERR_INVAL;
    *ms = days * 86400000 + tod - off * 1000;
    return SL_OK;
}

/* --- CAST ------------------------------------------------------------------- */

static bool is_prim_text(sl_sql_tkind_t k)
{
    switch (k) {
    case SL_SQL_T_BOOLEAN:
    case SL_SQL_T_INT:
    case SL_SQL_T_BIGINT:
    case SL_SQL_T_DOUBLE:
    case SL_SQL_T_DECIMAL:
    case SL_SQL_T_TIMESTAMP:
    case SL_SQL_T_DATE:
    case SL_SQL_T_TIME:
        return true;
    default:
        return false;
    }
}

bool sl_sql_type_castable(const sl_sql_type_t *from, const sl_sql_type_t *to)
{
    if (!from || from->kind == SL_SQL_T_NULL)
        return true;
    if (!to)
        return false;
    sl_sql_tkind_t f = from->kind, t = to->kind;
    if (sl_sql_type_is_numeric(from) && sl_sql_type_is_numeric(to))
        return true;
    if (f == t && (f != SL_SQL_T_ARRAY && f != SL_SQL_T_MAP && f != SL_SQL_T_STRUCT))
        return true;
    if (t == SL_SQL_T_STRING)
        return f != SL_SQL_T_BYTES;
    if (f == SL_SQL_T_STRING)
        return is_prim_text(t);
    switch (f) {
    case SL_SQL_T_TIMESTAMP:
        return t == SL_SQL_T_DATE || t == SL_SQL_T_TIME;
    case SL_SQL_T_DATE:
        return t == SL_SQL_T_TIMESTAMP;
    case SL_SQL_T_ARRAY:
        return t == SL_SQL_T_ARRAY && sl_sql_type_castable(from->elem, to->elem);
    case SL_SQL_T_MAP:
        return t == SL_SQL_T_MAP && sl_sql_type_castable(from->key, to->key) &&
               sl_sql_type_castable(from->elem, to->elem);
    case SL_SQL_T_STRUCT:
        if (t != SL_SQL_T_STRUCT)
            return false;
        for (uint32_t i = 0; i < to->n_fields; i++) {
            int j = sl_sql_type_field(from, to->fields[i].name);
            if (j >= 0 && !sl_sql_type_castable(from->fields[j].type, to->fields[i].type))
                return false;
        }
        return true;
    default:
        return false;
    }
}

static sl_err_t fail(char *err, size_t errlen, const char *fmt, ...) SL_PRINTF(3, 4);
static sl_err_t fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return SL_ERR_INVAL;
}

/* ksqlDB's sentence for text that does not read as a number. */
static sl_err_t fail_text(const sl_sql_datum_t *d, const sl_sql_type_t *to, char *err, size_t errlen)
{
    char tn[64];
    const char *name = to->kind == SL_SQL_T_DECIMAL ? "DECIMAL" : sl_sql_type_str(to, tn, sizeof tn);
    return fail(err, errlen, "invalid input syntax for type %s: \"%.*s\".", name,
                (int)(d->u.s.len > 100 ? 100 : d->u.s.len), d->u.s.ptr);
}

static sl_err_t fail_overflow(const sl_sql_datum_t *d, const sl_sql_type_t *from, const sl_sql_type_t *to,
                              char *err, size_t errlen)
{
    sl_buf_t b = SL_BUF_INIT;
    sl_sql_datum_format(d, from, &b);
    sl_err_t e = fail(err, errlen,
                      "Numeric field overflow: A field with precision %d and scale %d must round to an absolute "
                      "value less than 10^%d. Got %.*s",
                      to->precision, to->scale, to->precision - to->scale, b.err ? 0 : (int)b.len,
                      b.data ? (const char *)b.data : "");
    sl_buf_free(&b);
    return e;
}

/* Java's Integer/Long.parseLong on a trimmed string: sign and digits only. */
static bool parse_int(const char *s, size_t n, int64_t lo, int64_t hi, int64_t *out)
{
    trim(&s, &n);
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == n)
        return false;
    unsigned __int128 v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
        if (v > (unsigned __int128)1 << 64)
            return false;
    }
    __int128 x = neg ? -(__int128)v : (__int128)v;
    if (x < lo || x > hi)
        return false;
    *out = (int64_t)x;
    return true;
}

/* Java's (long) of a double: toward zero, saturating, NaN 0. */
static int64_t d2l(double x)
{
    if (isnan(x))
        return 0;
    if (x >= 9223372036854775807.0)
        return INT64_MAX;
    if (x <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)x;
}

static int32_t d2i(double x)
{
    if (isnan(x))
        return 0;
    if (x >= 2147483647.0)
        return INT32_MAX;
    if (x <= -2147483648.0)
        return INT32_MIN;
    return (int32_t)x;
}

/* A DECIMAL's integer part's low 64 bits (BigDecimal.longValue()). */
static int64_t dec_trunc(const sl_sql_datum_t *d)
{
    sl_sql_i128_t v = d->u.dec;
    if (d->scale > 0)
        v /= sl_sql_dec_pow10(d->scale);
    return (int64_t)(uint64_t)(unsigned __int128)v;
}

static sl_err_t cast_to_string(sl_arena_t *arena, const sl_sql_datum_t *d, const sl_sql_type_t *from,
                               sl_sql_datum_t *out)
{
    sl_buf_t b = SL_BUF_INIT;
    sl_sql_datum_format(d, from, &b);
    if (b.err) {
        sl_buf_free(&b);
        return SL_ERR_NOMEM;
    }
    char *p = b.len ? sl_arena_memdup(arena, b.data, b.len) : NULL;
    size_t len = b.len;
    sl_buf_free(&b);
    if (len && !p)
        return SL_ERR_NOMEM;
    *out = sl_sql_string(p ? p : "", (uint32_t)len);
    return SL_OK;
}

static sl_err_t cast_items(sl_arena_t *arena, const sl_sql_datum_t *d, const sl_sql_type_t *from,
                           const sl_sql_type_t *to, sl_sql_datum_t *out, char *err, size_t errlen)
{
    uint32_t n = to->kind == SL_SQL_T_MAP ? 2 * d->u.a.n : d->u.a.n;
    sl_sql_datum_t *items = n ? sl_arena_alloc(arena, (size_t)n * sizeof *items) : NULL;
    if (n && !items)
        return SL_ERR_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        const sl_sql_type_t *f = to->kind == SL_SQL_T_MAP && i % 2 == 0 ? from->key : from->elem;
        const sl_sql_type_t *t = to->kind == SL_SQL_T_MAP && i % 2 == 0 ? to->key : to->elem;
        sl_err_t e = sl_sql_datum_cast(arena, &d->u.a.items[i], f, t, &items[i], err, errlen);
        if (e)
            return e;
    }
    *out = *d;
    out->u.a.items = items;
    return SL_OK;
}

static sl_err_t cast_struct(sl_arena_t *arena, const sl_sql_datum_t *d, const sl_sql_type_t *from,
                            const sl_sql_type_t *to, sl_sql_datum_t *out, char *err, size_t errlen)
{
    uint32_t n = to->n_fields;
    sl_sql_datum_t *items = n ? sl_arena_calloc(arena, n, sizeof *items) : NULL;
    if (n && !items)
        return SL_ERR_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        int j = sl_sql_type_field(from, to->fields[i].name);
        if (j < 0 || (uint32_t)j >= d->u.a.n)
            continue; /* a field the source does not have: NULL */
        sl_err_t e = sl_sql_datum_cast(arena, &d->u.a.items[j], from->fields[j].type, to->fields[i].type, &items[i],
                                       err, errlen);
        if (e)
            return e;
    }
    out->kind = SL_SQL_T_STRUCT;
    out->scale = 0;
    out->u.a.items = items;
    out->u.a.n = n;
    return SL_OK;
}

sl_err_t sl_sql_datum_cast(sl_arena_t *arena, const sl_sql_datum_t *d, const sl_sql_type_t *from,
                           const sl_sql_type_t *to, sl_sql_datum_t *out, char *err, size_t errlen)
{
    char tn[96], fn[96];
    if (d->kind == SL_SQL_T_NULL) {
        *out = sl_sql_null();
        return SL_OK;
    }
    if (!from || from->kind == SL_SQL_T_NULL)
        from = sl_sql_type_of((sl_sql_tkind_t)d->kind);
    if (!to || !from)
        return fail(err, errlen, "Cast of a value without a type is not supported");
    if (sl_sql_type_equal(from, to)) {
        *out = *d;
        return SL_OK;
    }
    if (!sl_sql_type_castable(from, to))
        return fail(err, errlen, "Cast of %s to %s is not supported", sl_sql_type_str(from, fn, sizeof fn),
                    sl_sql_type_str(to, tn, sizeof tn));
    sl_sql_tkind_t f = from->kind;
    sl_sql_datum_t r = {0};
    r.kind = (uint8_t)to->kind;
    switch (to->kind) {
    case SL_SQL_T_BOOLEAN: /* from STRING: anything not true is false */
        r.u.b = sl_sql_bool_parse(d->u.s.ptr, d->u.s.len) == 1;
        break;
    case SL_SQL_T_INT:
    case SL_SQL_T_BIGINT: {
        bool big = to->kind == SL_SQL_T_BIGINT;
        int64_t v = 0;
        switch (f) {
        case SL_SQL_T_INT:
            v = d->u.i32;
            break;
        case SL_SQL_T_BIGINT:
            v = d->u.i64;
            break;
        case SL_SQL_T_DOUBLE:
            v = big ? d2l(d->u.f64) : d2i(d->u.f64);
            break;
        case SL_SQL_T_DECIMAL:
            v = dec_trunc(d);
            break;
        case SL_SQL_T_STRING:
            if (!parse_int(d->u.s.ptr, d->u.s.len, big ? INT64_MIN : INT32_MIN, big ? INT64_MAX : INT32_MAX, &v))
                return fail_text(d, to, err, errlen);
            break;
        default:
            break;
        }
        if (big)
            r.u.i64 = v;
        else
            r.u.i32 = (int32_t)(uint32_t)(uint64_t)v; /* Java's intValue(): the low 32 bits */
        break;
    }
    case SL_SQL_T_DOUBLE:
        switch (f) {
        case SL_SQL_T_INT:
            r.u.f64 = d->u.i32;
            break;
        case SL_SQL_T_BIGINT:
            r.u.f64 = (double)d->u.i64;
            break;
        case SL_SQL_T_DECIMAL:
            r.u.f64 = sl_sql_dec_to_double(d->u.dec, d->scale);
            break;
        case SL_SQL_T_STRING: {
            const char *s = d->u.s.ptr;
            size_t n = d->u.s.len;
            trim(&s, &n);
            char tmp[128];
            if (n == 0 || n >= sizeof tmp)
                return fail_text(d, to, err, errlen);
            memcpy(tmp, s, n);
            tmp[n] = 0;
            char *end;
            errno = 0;
            r.u.f64 = strtod(tmp, &end);
            if (*end == 'd' || *end == 'D' || *end == 'f' || *end == 'F')
                end++; /* Java's type suffixes */
            if (end != tmp + n)
                return fail_text(d, to, err, errlen);
            break;
        }
        default:
            break;
        }
        break;
    case SL_SQL_T_DECIMAL: {
        sl_err_t e = SL_OK;
        r.scale = to->scale;
        switch (f) {
        case SL_SQL_T_INT:
            e = sl_sql_dec_rescale(d->u.i32, 0, to->scale, to->precision, &r.u.dec);
            break;
        case SL_SQL_T_BIGINT:
            e = sl_sql_dec_rescale(d->u.i64, 0, to->scale, to->precision, &r.u.dec);
            break;
        case SL_SQL_T_DECIMAL:
            e = sl_sql_dec_rescale(d->u.dec, d->scale, to->scale, to->precision, &r.u.dec);
            break;
        case SL_SQL_T_DOUBLE:
            e = sl_sql_dec_from_double(d->u.f64, to->precision, to->scale, &r.u.dec);
            break;
        case SL_SQL_T_STRING: {
            sl_sql_datum_t big;
            if (sl_sql_dec_read(d->u.s.ptr, d->u.s.len, 38, to->scale, &r.u.dec) != SL_OK) {
                /* tell a bad number from one that is too large */
                if (sl_sql_dec_read(d->u.s.ptr, d->u.s.len, 38, 0, &big.u.dec) != SL_OK)
                    return fail_text(d, to, err, errlen);
                e = SL_ERR_INVAL;
            } else if (!dec_fits(r.u.dec, to->precision)) {
                e = SL_ERR_INVAL;
            }
            break;
        }
        default:
            break;
        }
        if (e)
            return fail_overflow(d, from, to, err, errlen);
        break;
    }
    case SL_SQL_T_STRING:
        return cast_to_string(arena, d, from, out);
    case SL_SQL_T_TIMESTAMP:
        if (f == SL_SQL_T_DATE) {
            r.u.i64 = (int64_t)d->u.i32 * 86400000;
        } else if (sl_sql_ts_parse(d->u.s.ptr, d->u.s.len, &r.u.i64) != SL_OK) {
            return fail(err, errlen,
                        "Failed to parse timestamp '%.*s'. Required format is: \"yyyy-MM-dd'T'HH:mm:ss.SSS\"",
                        (int)(d->u.s.len > 100 ? 100 : d->u.s.len), d->u.s.ptr);
        }
        break;
    case SL_SQL_T_DATE:
        if (f == SL_SQL_T_TIMESTAMP) {
            int64_t q = d->u.i64 / 86400000;
            if (d->u.i64 % 86400000 < 0)
                q--;
            r.u.i32 = (int32_t)q;
        } else if (sl_sql_date_parse(d->u.s.ptr, d->u.s.len, &r.u.i32) != SL_OK) {
            return fail(err, errlen, "Failed to parse date '%.*s'. Required format is: \"yyyy-MM-dd\"",
                        (int)(d->u.s.len > 100 ? 100 : d->u.s.len), d->u.s.ptr);
        }
        break;
    case SL_SQL_T_TIME:
        if (f == SL_SQL_T_TIMESTAMP) {
            int64_t m = d->u.i64 % 86400000;
            r.u.i64 = m < 0 ? m + 86400000 : m;
        } else if (sl_sql_time_parse(d->u.s.ptr, d->u.s.len, &r.u.i64) != SL_OK) {
            return fail(err, errlen, "Failed to parse time '%.*s'. Required format is: \"HH:mm:ss.SSS\"",
                        (int)(d->u.s.len > 100 ? 100 : d->u.s.len), d->u.s.ptr);
        }
        break;
    case SL_SQL_T_ARRAY:
    case SL_SQL_T_MAP:
        return cast_items(arena, d, from, to, out, err, errlen);
    case SL_SQL_T_STRUCT:
        return cast_struct(arena, d, from, to, out, err, errlen);
    default:
        return fail(err, errlen, "Cast of %s to %s is not supported", sl_sql_type_str(from, fn, sizeof fn),
                    sl_sql_type_str(to, tn, sizeof tn));
    }
    *out = r;
    return SL_OK;
}
