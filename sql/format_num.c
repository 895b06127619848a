/*
 * format_num.c - the text of scalars every codec shares, over value_int.h's
 * number text (Java's doubles, plain DECIMAL): DECIMAL reading with
 * ksqlDB's sentences, Java's integer and double parsing rules, base64 for
 * BYTES, and one primitive datum as text (DELIMITED fields, JSON map
 * keys).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format_int.h"

sl_err_t sl_sql_dec_parse(const char *p, size_t n, int precision, int scale, sl_sql_i128_t *out, char *err,
                          size_t errlen)
{
    if (sl_sql_dec_read(p, n, precision, scale, out) == SL_OK)
        return SL_OK;
    sl_sql_i128_t wide;
    if (sl_sql_dec_read(p, n, 38, scale > 38 ? 38 : scale, &wide) == SL_OK || sl_sql_dec_read(p, n, 38, 0, &wide) == SL_OK)
        snprintf(err, errlen,
                 "Numeric field overflow: A field with precision %d and scale %d must round to an absolute value "
                 "less than 10^%d. Got %.*s",
                 precision, scale, precision - scale, (int)(n > 64 ? 64 : n), p);
    else
        snprintf(err, errlen, "Can't coerce string to type. targetType: DECIMAL");
    return SL_ERR_INVAL;
}

bool sl_sql_int_parse(const char *p, size_t n, int64_t min, int64_t max, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && (p[0] == '+' || p[0] == '-')) {
        neg = p[0] == '-';
        i = 1;
    }
    if (i == n)
        return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(p[i] - '0');
        if (v > (uint64_t)INT64_MAX + 1)
            return false;
    }
    int64_t r;
    if (neg)
        r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else if (v > (uint64_t)INT64_MAX)
        return false;
    else
        r = (int64_t)v;
    if (r < min || r > max)
        return false;
    *out = r;
    return true;
}

bool sl_sql_double_parse(const char *p, size_t n, double *out)
{
    while (n > 0 && (unsigned char)*p <= ' ') {
        p++;
        n--;
    }
    while (n > 0 && (unsigned char)p[n - 1] <= ' ')
        n--;
    char buf[400];
    if (n == 0 || n >= sizeof buf)
        return false;
    size_t i = 0;
    bool neg = false;
    if (p[0] == '+' || p[0] == '-') {
        neg = p[0] == '-';
        i = 1;
    }
    if (n - i == 3 && memcmp(p + i, "NaN", 3) == 0) {
        *out = NAN;
        return true;
    }
    if (n - i == 8 && memcmp(p + i, "Infinity", 8) == 0) {
        *out = neg ? -INFINITY : INFINITY;
        return true;
    }
    /* digits [. digits] [e [sign] digits] [fFdD], at least one mantissa digit */
    size_t j = i, md = 0;
    while (j < n && p[j] >= '0' && p[j] <= '9') {
        j++;
        md++;
    }
    if (j < n && p[j] == '.') {
        j++;
        while (j < n && p[j] >= '0' && p[j] <= '9') {
            j++;
            md++;
        }
    }
    if (md == 0)
        return false;
    if (j < n && (p[j] == 'e' || p[j] == 'E')) {
        j++;
        if (j < n && (p[j] == '+' || p[j] == '-'))
            j++;
        size_t ed = 0;
        while (j < n && p[j] >= '0' && p[j] <= '9') {
            j++;
            ed++;
        }
        if (ed == 0)
            return false;
    }
    size_t end = j;
    if (j < n && (p[j] == 'f' || p[j] == 'F' || p[j] == 'd' || p[j] == 'D'))
        j++;
    if (j != n)
        return false;
    memcpy(buf, p, end);
    buf[end] = '\0';
    *out = strtod(buf, NULL);
    return true;
}

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void sl_sql_base64_write(const uint8_t *p, size_t n, sl_buf_t *out)
{
    uint8_t *o = sl_buf_put_space(out, (n + 2) / 3 * 4);
    if (!o)
        return;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = (uint8_t)b64_chars[v >> 18];
        *o++ = (uint8_t)b64_chars[(v >> 12) & 63];
        *o++ = (uint8_t)b64_chars[(v >> 6) & 63];
        *o++ = (uint8_t)b64_chars[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        *o++ = (uint8_t)b64_chars[v >> 18];
        *o++ = (uint8_t)b64_chars[(v >> 12) & 63];
        *o++ = i + 1 < n ? (uint8_t)b64_chars[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

bool sl_sql_base64_read(const char *p, size_t n, sl_arena_t *arena, const uint8_t **out, uint32_t *outlen)
{
    while (n > 0 && p[n - 1] == '=')
        n--;
    if (n % 4 == 1 || n > UINT32_MAX)
        return false;
    uint8_t *o = sl_arena_alloc(arena, n / 4 * 3 + 3);
    if (!o)
        return false;
    size_t len = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(p[i]);
        if (v < 0)
            return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[len++] = (uint8_t)(acc >> bits);
        }
    }
    *out = o;
    *outlen = (uint32_t)len;
    return true;
}

int sl_sql_utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    int n;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (end - p < n)
        return 0;
    unsigned cp = c & (0x3Fu >> (n - 1));
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

bool sl_sql_utf8_text(const char *p, size_t n, sl_arena_t *arena, const char **out, uint32_t *outlen)
{
    const unsigned char *s = (const unsigned char *)p, *end = s + n;
    size_t bad = 0;
    if (n > UINT32_MAX / 3)
        return false;
    for (const unsigned char *q = s; q < end;) {
        if (*q < 0x80) {
            q++;
            continue;
        }
        int l = sl_sql_utf8_len(q, end);
        if (l) {
            q += l;
        } else {
            bad++;
            q++;
        }
    }
    if (!bad) {
        *out = p;
        *outlen = (uint32_t)n;
        return true;
    }
    /* each byte that starts no valid sequence becomes U+FFFD (3 bytes) */
    char *o = sl_arena_alloc(arena, n + 2 * bad);
    if (!o)
        return false;
    size_t k = 0;
    for (const unsigned char *q = s; q < end;) {
        int l = *q < 0x80 ? 1 : sl_sql_utf8_len(q, end);
        if (l) {
            memcpy(o + k, q, (size_t)l);
            k += (size_t)l;
            q += l;
        } else {
            memcpy(o + k, "\xef\xbf\xbd", 3);
            k += 3;
            q++;
        }
    }
    *out = o;
    *outlen = (uint32_t)k;
    return true;
}

static void put_i64(sl_buf_t *out, int64_t v)
{
    /* two digits a division: integers are most of what sinks write */
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    char tmp[24], *e = tmp + sizeof tmp, *p = e;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    while (u >= 100) {
        unsigned d = (unsigned)(u % 100) * 2;
        u /= 100;
        *--p = pairs[d + 1];
        *--p = pairs[d];
    }
    if (u >= 10) {
        *--p = pairs[u * 2 + 1];
        *--p = pairs[u * 2];
    } else {
        *--p = (char)('0' + u);
    }
    if (v < 0)
        *--p = '-';
    sl_buf_put(out, p, (size_t)(e - p));
}

sl_err_t sl_sql_scalar_write(const sl_sql_datum_t *d, const sl_sql_type_t *t, sl_buf_t *out)
{
    if (d->kind == SL_SQL_T_NULL)
        return SL_OK;
    (void)t;
    switch ((sl_sql_tkind_t)d->kind) {
    case SL_SQL_T_BOOLEAN:
        if (d->u.b)
            sl_buf_put(out, "true", 4);
        else
            sl_buf_put(out, "false", 5);
        break;
    case SL_SQL_T_INT:
    case SL_SQL_T_DATE:
        put_i64(out, d->u.i32);
        break;
    case SL_SQL_T_BIGINT:
    case SL_SQL_T_TIMESTAMP:
    case SL_SQL_T_TIME:
        put_i64(out, d->u.i64);
        break;
    case SL_SQL_T_DOUBLE:
        sl_sql_double_format(d->u.f64, out);
        break;
    case SL_SQL_T_DECIMAL:
        sl_sql_dec_format(d->u.dec, d->scale, out);
        break;
    case SL_SQL_T_STRING:
        sl_buf_put(out, d->u.s.ptr, d->u.s.len);
        break;
    case SL_SQL_T_BYTES:
        sl_sql_base64_write((const uint8_t *)d->u.s.ptr, d->u.s.len, out);
        break;
    default:
        return SL_ERR_INVAL;
    }
    return sl_buf_err(out);
}
