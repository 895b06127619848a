/*
 * datum.c - what every SQL value can do whatever its type: a total order
 * (sorting, MIN/MAX, comparisons), equality and a hash consistent with it
 * (grouping, DISTINCT, IN, sets), deep copies between arenas, and the text
 * ksqlDB's CAST(x AS STRING) gives.
 *
 * Equality is numeric for DECIMAL (1.0 equals 1.00 whatever scale each
 * datum carries), so the hash strips trailing zeros first; DOUBLE -0.0
 * equals 0.0 and NaN equals NaN (sorted last) so that grouping by a double
 * is well defined; maps are equal when they hold the same entries in any
 * order, and their hash does not depend on the order either.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value_int.h"

/* --- Order -------------------------------------------------------------- */

static int cmp_i64(int64_t a, int64_t b)
{
    return (a > b) - (a < b);
}

static int cmp_f64(double a, double b)
{
    bool na = isnan(a), nb = isnan(b);
    if (na || nb)
        return na - nb;
    return (a > b) - (a < b);
}

static int cmp_bytes(const sl_sql_datum_t *a, const sl_sql_datum_t *b)
{
    uint32_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
    int c = n ? memcmp(a->u.s.ptr, b->u.s.ptr, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return cmp_i64(a->u.s.len, b->u.s.len);
}

static int cmp_dec(sl_sql_i128_t a, int sa, sl_sql_i128_t b, int sb)
{
    if (sa != sb) {
        /* Bring the smaller scale up; a value too large to scale is larger
         * in magnitude than anything the other side can hold. */
        sl_sql_i128_t *lo = sa < sb ? &a : &b;
        sl_sql_i128_t p = sl_sql_dec_pow10(abs(sa - sb)), r;
        if (__builtin_mul_overflow(*lo, p, &r)) {
            int sign = *lo < 0 ? -1 : 1;
            return sa < sb ? sign : -sign;
        }
        *lo = r;
    }
    return (a > b) - (a < b);
}

static const sl_sql_type_t *elem_or_null(const sl_sql_type_t *t)
{
    return t ? t : sl_sql_type_of(SL_SQL_T_NULL);
}

int sl_sql_datum_cmp(const sl_sql_datum_t *a, const sl_sql_datum_t *b, const sl_sql_type_t *t)
{
    bool an = a->kind == SL_SQL_T_NULL, bn = b->kind == SL_SQL_T_NULL;
    if (an || bn)
        return bn - an;
    sl_sql_tkind_t k = t && t->kind != SL_SQL_T_NULL ? t->kind : (sl_sql_tkind_t)a->kind;
    switch (k) {
    case SL_SQL_T_BOOLEAN:
        return (int)a->u.b - (int)b->u.b;
    case SL_SQL_T_INT:
    case SL_SQL_T_DATE:
        return cmp_i64(a->u.i32, b->u.i32);
    case SL_SQL_T_BIGINT:
    case SL_SQL_T_TIMESTAMP:
    case SL_SQL_T_TIME:
        return cmp_i64(a->u.i64, b->u.i64);
    case SL_SQL_T_DOUBLE:
        return cmp_f64(a->u.f64, b->u.f64);
    case SL_SQL_T_DECIMAL:
        return cmp_dec(a->u.dec, a->scale, b->u.dec, b->scale);
    case SL_SQL_T_STRING:
    case SL_SQL_T_BYTES:
        return cmp_bytes(a, b);
    case SL_SQL_T_ARRAY: {
        uint32_t n = a->u.a.n < b->u.a.n ? a->u.a.n : b->u.a.n;
        for (uint32_t i = 0; i < n; i++) {
            int c = sl_sql_datum_cmp(&a->u.a.items[i], &b->u.a.items[i], t ? t->elem : NULL);
            if (c)
                return c;
        }
        return cmp_i64(a->u.a.n, b->u.a.n);
    }
    case SL_SQL_T_MAP: {
        if (sl_sql_datum_eq(a, b, t))
            return 0;
        if (a->u.a.n != b->u.a.n)
            return cmp_i64(a->u.a.n, b->u.a.n);
        for (uint32_t i = 0; i < 2 * a->u.a.n; i++) {
            const sl_sql_type_t *et = t ? (i % 2 ? t->elem : t->key) : NULL;
            int c = sl_sql_datum_cmp(&a->u.a.items[i], &b->u.a.items[i], et);
            if (c)
                return c;
        }
        return 0;
    }
    case SL_SQL_T_STRUCT: {
        uint32_t n = a->u.a.n < b->u.a.n ? a->u.a.n : b->u.a.n;
        for (uint32_t i = 0; i < n; i++) {
            const sl_sql_type_t *ft = t && i < t->n_fields ? t->fields[i].type : NULL;
            int c = sl_sql_datum_cmp(&a->u.a.items[i], &b->u.a.items[i], ft);
            if (c)
                return c;
        }
        return cmp_i64(a->u.a.n, b->u.a.n);
    }
    default:
        return 0;
    }
}

/* The value stored for key k in map m, or NULL. */
static const sl_sql_datum_t *map_get(const sl_sql_datum_t *m, const sl_sql_datum_t *k, const sl_sql_type_t *kt)
{
    for (uint32_t i = 0; i < m->u.a.n; i++)
        if (sl_sql_datum_eq(&m->u.a.items[2 * i], k, kt))
            return &m->u.a.items[2 * i + 1];
    return NULL;
}

bool sl_sql_datum_eq(const sl_sql_datum_t *a, const sl_sql_datum_t *b, const sl_sql_type_t *t)
{
    bool an = a->kind == SL_SQL_T_NULL, bn = b->kind == SL_SQL_T_NULL;
    if (an || bn)
        return an && bn;
    sl_sql_tkind_t k = t && t->kind != SL_SQL_T_NULL ? t->kind : (sl_sql_tkind_t)a->kind;
    switch (k) {
    case SL_SQL_T_STRING:
    case SL_SQL_T_BYTES:
        return a->u.s.len == b->u.s.len && (a->u.s.len == 0 || memcmp(a->u.s.ptr, b->u.s.ptr, a->u.s.len) == 0);
    case SL_SQL_T_ARRAY:
        if (a->u.a.n != b->u.a.n)
            return false;
        for (uint32_t i = 0; i < a->u.a.n; i++)
            if (!sl_sql_datum_eq(&a->u.a.items[i], &b->u.a.items[i], t ? t->elem : NULL))
                return false;
        return true;
    case SL_SQL_T_MAP:
        if (a->u.a.n != b->u.a.n)
            return false;
        for (uint32_t i = 0; i < a->u.a.n; i++) {
            const sl_sql_datum_t *v = map_get(b, &a->u.a.items[2 * i], t ? t->key : NULL);
            if (!v || !sl_sql_datum_eq(&a->u.a.items[2 * i + 1], v, t ? t->elem : NULL))
                return false;
        }
        return true;
    case SL_SQL_T_STRUCT:
        if (a->u.a.n != b->u.a.n)
            return false;
        for (uint32_t i = 0; i < a->u.a.n; i++) {
            const sl_sql_type_t *ft = t && i < t->n_fields ? t->fields[i].type : NULL;
            if (!sl_sql_datum_eq(&a->u.a.items[i], &b->u.a.items[i], ft))
                return false;
        }
        return true;
    default:
        return sl_sql_datum_cmp(a, b, t) == 0;
    }
}

/* --- Hash --------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t hash_bytes(const char *p, uint32_t n, uint64_t seed)
{
    uint64_t h = seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ULL);
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
    }
    uint64_t w = 0;
    for (uint32_t j = 0; i < n; i++, j++)
        w |= (uint64_t)(uint8_t)p[i] << (8 * j);
    return mix64(h ^ w);
}

uint64_t sl_sql_datum_hash(const sl_sql_datum_t *d, const sl_sql_type_t *t)
{
    if (d->kind == SL_SQL_T_NULL)
        return 0x6e756c6cULL;
    sl_sql_tkind_t k = t && t->kind != SL_SQL_T_NULL ? t->kind : (sl_sql_tkind_t)d->kind;
    switch (k) {
    case SL_SQL_T_BOOLEAN:
        return mix64(d->u.b ? 1 : 2);
    case SL_SQL_T_INT:
    case SL_SQL_T_DATE:
        return mix64((uint64_t)(int64_t)d->u.i32);
    case SL_SQL_T_BIGINT:
    case SL_SQL_T_TIMESTAMP:
    case SL_SQL_T_TIME:
        return mix64((uint64_t)d->u.i64);
    case SL_SQL_T_DOUBLE: {
        double x = d->u.f64;
        if (x == 0)
            x = 0; /* -0.0 hashes as 0.0 */
        if (isnan(x))
            return 0x4e614eULL;
        uint64_t w;
        memcpy(&w, &x, sizeof w);
        return mix64(w);
    }
    case SL_SQL_T_DECIMAL: {
        sl_sql_i128_t v = d->u.dec;
        int s = d->scale;
        while (s > 0 && v % 10 == 0) {
            v /= 10;
            s--;
        }
        unsigned __int128 u = (unsigned __int128)v;
        return mix64((uint64_t)u ^ mix64((uint64_t)(u >> 64)) ^ (uint64_t)s);
    }
    case SL_SQL_T_STRING:
    case SL_SQL_T_BYTES:
        return hash_bytes(d->u.s.ptr, d->u.s.len, k);
    case SL_SQL_T_ARRAY: {
        uint64_t h = 0xa77a9;
        for (uint32_t i = 0; i < d->u.a.n; i++)
            h = mix64(h ^ sl_sql_datum_hash(&d->u.a.items[i], t ? t->elem : NULL));
        return h;
    }
    case SL_SQL_T_MAP: {
        uint64_t h = 0x3a9;
        for (uint32_t i = 0; i < d->u.a.n; i++) {
            uint64_t kh = sl_sql_datum_hash(&d->u.a.items[2 * i], t ? t->key : NULL);
            uint64_t vh = sl_sql_datum_hash(&d->u.a.items[2 * i + 1], t ? t->elem : NULL);
            h += mix64(kh ^ (vh * 31)); /* a sum: independent of entry order */
        }
        return mix64(h);
    }
    case SL_SQL_T_STRUCT: {
        uint64_t h = 0x57c;
        for (uint32_t i = 0; i < d->u.a.n; i++) {
            const sl_sql_type_t *ft = t && i < t->n_fields ? t->fields[i].type : NULL;
            h = mix64(h ^ sl_sql_datum_hash(&d->u.a.items[i], ft));
        }
        return h;
    }
    default:
        return 0;
    }
}

/* --- Copy --------------------------------------------------------------- */

sl_err_t sl_sql_datum_copy(sl_arena_t *arena, const sl_sql_datum_t *d, sl_sql_datum_t *out)
{
    *out = *d;
    switch (d->kind) {
    case SL_SQL_T_STRING:
    case SL_SQL_T_BYTES:
        if (d->u.s.len) {
            char *p = sl_arena_memdup(arena, d->u.s.ptr, d->u.s.len);
            if (!p)
                return SL_ERR_NOMEM;
            out->u.s.ptr = p;
        }
        return SL_OK;
    case SL_SQL_T_ARRAY:
    case SL_SQL_T_MAP:
    case SL_SQL_T_STRUCT: {
        uint32_t n = d->kind == SL_SQL_T_MAP ? 2 * d->u.a.n : d->u.a.n;
        if (!n) {
            out->u.a.items = NULL;
            return SL_OK;
        }
        sl_sql_datum_t *items = sl_arena_alloc(arena, (size_t)n * sizeof *items);
        if (!items)
            return SL_ERR_NOMEM;
        for (uint32_t i = 0; i < n; i++) {
            sl_err_t e = sl_sql_datum_copy(arena, &d->u.a.items[i], &items[i]);
            if (e)
                return e;
        }
        out->u.a.items = items;
        return SL_OK;
    }
    default:
        return SL_OK;
    }
}

/* --- Text --------------------------------------------------------------- */

static void put_str(sl_buf_t *out, const char *s)
{
    sl_buf_put(out, s, strlen(s));
}

/* Shortest digits of doubles Java prints in plain notation (1e-3 <= |d| <
 * 1e7), in integer arithmetic: d = M * 2^-s exactly, so with N = M * 10^k
 * (k = 16 - floor(log10 |d|)) the value scaled to 17 significant digits is
 * N / 2^s. The candidate rounded to n digits reads back as d when it lies
 * within half an ulp, i.e. |C * 2^s - N| < 10^k / 2 (a quarter below a power
 * of two, where the ulp below is half as wide); the fewest n that does so
 * is found by bisection (a longer rounding is never worse). */
static bool double_plain_fast(double d, sl_buf_t *out)
{
    static const uint64_t p10[20] = {1ULL,
                                     10ULL,
                                     100ULL,
                                     1000ULL,
                                     10000ULL,
                                     100000ULL,
                                     1000000ULL,
                                     10000000ULL,
                                     100000000ULL,
                                     1000000000ULL,
                                     10000000000ULL,
                                     100000000000ULL,
                                     1000000000000ULL,
                                     10000000000000ULL,
                                     100000000000000ULL,
                                     1000000000000000ULL,
                                     10000000000000000ULL,
                                     100000000000000000ULL,
                                     1000000000000000000ULL,
                                     10000000000000000000ULL};
    double a = fabs(d);
    if (!(a >= 1e-3 && a < 1e7))
        return false;
    int ex, e10 = -3;
    double f = frexp(a, &ex);
    uint64_t m = (uint64_t)ldexp(f, 53);
    int sh = 53 - ex; /* a = m / 2^sh; 30 <= sh <= 63 here */
    while (e10 < 6 && a >= (double)p10[e10 + 4] / 1000.0)
        e10++;
    int k = 16 - e10;
    typedef unsigned __int128 u128;
    u128 n = (u128)m * p10[k], den = (u128)1 << sh;
    uint64_t whole = (uint64_t)(n >> sh); /* floor of the value at 17 digits */
    bool pow2 = m == (1ULL << 52);
    uint64_t best = 0;
    int lo = 1, hi = 17;
    while (lo <= hi) {
        int nd = (lo + hi) / 2;
        uint64_t q = p10[17 - nd], t = whole / q;
        u128 rem = n - (u128)t * q * den, half = (u128)q * den; /* rounding, half to even */
        if (2 * rem > half || (2 * rem == half && (t & 1)))
            t++;
        u128 c = (u128)t * q * den;
        u128 diff = c > n ? c - n : n - c;
        bool ok = c >= n || !pow2 ? 2 * diff < p10[k] : 4 * diff < p10[k];
        if (ok) {
            best = t * q;
            hi = nd - 1;
        } else {
            lo = nd + 1;
        }
    }
    if (!best)
        return false;
    uint64_t ip = best / p10[k], fp = best % p10[k];
    char tmp[48];
    int len = 0;
    if (d < 0)
        tmp[len++] = '-';
    char digits[24];
    int nd = 0;
    do {
        digits[nd++] = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    while (nd)
        tmp[len++] = digits[--nd];
    tmp[len++] = '.';
    int fl = k;
    while (fl > 1 && fp % 10 == 0) {
        fp /= 10;
        fl--;
    }
    for (int j = fl - 1; j >= 0; j--) {
        tmp[len + j] = (char)('0' + fp % 10);
        fp /= 10;
    }
    len += fl;
    sl_buf_put(out, tmp, (size_t)len);
    return true;
}

void sl_sql_double_format(double d, sl_buf_t *out)
{
    if (isnan(d)) {
        put_str(out, "NaN");
        return;
    }
    if (isinf(d)) {
        put_str(out, d < 0 ? "-Infinity" : "Infinity");
        return;
    }
    if (d == 0) {
        put_str(out, signbit(d) ? "-0.0" : "0.0");
        return;
    }
    if (double_plain_fast(d, out))
        return;
    /* The shortest digits that read back as d: rounded to 15 significant
     * digits a normal double shows its shortest form when that is no
     * longer (half an ulp is below half a unit of the 15th digit), else 16,
     * else 17 always do. Subnormals have fewer bits: search from 1 digit. */
    char tmp[40];
    for (int p = fabs(d) < DBL_MIN ? 0 : 14; p <= 16; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p, d);
        if (p == 16 || strtod(tmp, NULL) == d)
            break;
    }
    char digits[24];
    size_t nd = 0;
    const char *s = tmp;
    bool neg = *s == '-';
    if (neg)
        s++;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9' && nd < sizeof digits - 1)
            digits[nd++] = *s;
    int exp = *s == 'e' ? atoi(s + 1) : 0;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (neg)
        sl_buf_put_u8(out, '-');
    double a = fabs(d);
    if (a >= 1e-3 && a < 1e7) {
        if (exp >= 0) {
            for (int i = 0; i <= exp; i++)
                sl_buf_put_u8(out, (size_t)i < nd ? (uint8_t)digits[i] : '0');
            sl_buf_put_u8(out, '.');
            if ((size_t)exp + 1 < nd)
                sl_buf_put(out, digits + exp + 1, nd - (size_t)exp - 1);
            else
                sl_buf_put_u8(out, '0');
        } else {
            put_str(out, "0.");
            for (int i = 0; i < -exp - 1; i++)
                sl_buf_put_u8(out, '0');
            sl_buf_put(out, digits, nd);
        }
        return;
    }
    sl_buf_put_u8(out, (uint8_t)digits[0]);
    sl_buf_put_u8(out, '.');
    if (nd > 1)
        sl_buf_put(out, digits + 1, nd - 1);
    else
        sl_buf_put_u8(out, '0');
    int n = snprintf(tmp, sizeof tmp, "E%d", exp);
    sl_buf_put(out, tmp, (size_t)n);
}

void sl_sql_dec_format(sl_sql_i128_t v, int scale, sl_buf_t *out)
{
    /* Digits least significant first: 128-bit divisions only for the
     * part above 64 bits (18 digits at a time), the rest in 64 bits. */
    char digits[48];
    size_t nd = 0;
    unsigned __int128 u = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
    while (u > UINT64_MAX) {
        uint64_t low = (uint64_t)(u % 1000000000000000000ULL);
        u /= 1000000000000000000ULL;
        for (int i = 0; i < 18; i++, low /= 10)
            digits[nd++] = (char)('0' + (int)(low % 10));
    }
    uint64_t w = (uint64_t)u;
    do {
        digits[nd++] = (char)('0' + (int)(w % 10));
        w /= 10;
    } while (w && nd < sizeof digits);
    while ((int)nd <= scale && nd < sizeof digits)
        digits[nd++] = '0'; /* "0.05": a leading zero before the point */
    char text[52], *p = text;
    if (v < 0)
        *p++ = '-';
    for (size_t i = nd; i-- > 0;) {
        *p++ = digits[i];
        if ((int)i == scale && scale > 0)
            *p++ = '.';
    }
    sl_buf_put(out, text, (size_t)(p - text));
}

void sl_sql_date_format(int32_t days, sl_buf_t *out)
{
    int64_t y;
    unsigned m, d;
    sl_sql_civil_from_days(days, &y, &m, &d);
    char tmp[48];
    int n;
    if (y >= 0 && y <= 9999)
        n = snprintf(tmp, sizeof tmp, "%04lld-%02u-%02u", (long long)y, m, d);
    else
        n = snprintf(tmp, sizeof tmp, "%+05lld-%02u-%02u", (long long)y, m, d);
    sl_buf_put(out, tmp, (size_t)n);
}

static void floor_divmod(int64_t a, int64_t b, int64_t *q, int64_t *r)
{
    *q = a / b;
    *r = a % b;
    if (*r < 0) {
        *r += b;
        (*q)--;
    }
}

void sl_sql_ts_format(int64_t ms, sl_buf_t *out)
{
    int64_t days, rem;
    floor_divmod(ms, 86400000, &days, &rem);
    sl_sql_date_format((int32_t)days, out);
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "T%02d:%02d:%02d.%03d", (int)(rem / 3600000), (int)(rem / 60000 % 60),
                     (int)(rem / 1000 % 60), (int)(rem % 1000));
    sl_buf_put(out, tmp, (size_t)n);
}

void sl_sql_time_format(int64_t ms, sl_buf_t *out)
{
    int64_t q, rem;
    floor_divmod(ms, 86400000, &q, &rem);
    int s = (int)(rem / 1000);
    char tmp[16];
    int n = s % 60 ? snprintf(tmp, sizeof tmp, "%02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                   : snprintf(tmp, sizeof tmp, "%02d:%02d", s / 3600, s / 60 % 60);
    sl_buf_put(out, tmp, (size_t)n);
}

void sl_sql_datum_format(const sl_sql_datum_t *d, const sl_sql_type_t *t, sl_buf_t *out)
{
    if (d->kind == SL_SQL_T_NULL) {
        put_str(out, "null");
        return;
    }
    sl_sql_tkind_t k = t && t->kind != SL_SQL_T_NULL ? t->kind : (sl_sql_tkind_t)d->kind;
    char tmp[32];
    int n;
    switch (k) {
    case SL_SQL_T_BOOLEAN:
        put_str(out, d->u.b ? "true" : "false");
        return;
    case SL_SQL_T_INT:
        n = snprintf(tmp, sizeof tmp, "%d", (int)d->u.i32);
        sl_buf_put(out, tmp, (size_t)n);
        return;
    case SL_SQL_T_BIGINT:
        n = snprintf(tmp, sizeof tmp, "%lld", (long long)d->u.i64);
        sl_buf_put(out, tmp, (size_t)n);
        return;
    case SL_SQL_T_DOUBLE:
        sl_sql_double_format(d->u.f64, out);
        return;
    case SL_SQL_T_DECIMAL:
        sl_sql_dec_format(d->u.dec, d->scale, out);
        return;
    case SL_SQL_T_STRING:
    case SL_SQL_T_BYTES:
        sl_buf_put(out, d->u.s.ptr, d->u.s.len);
        return;
    case SL_SQL_T_TIMESTAMP:
        sl_sql_ts_format(d->u.i64, out);
        return;
    case SL_SQL_T_DATE:
        sl_sql_date_format(d->u.i32, out);
        return;
    case SL_SQL_T_TIME:
        sl_sql_time_format(d->u.i64, out);
        return;
    case SL_SQL_T_ARRAY: /* java.util.List: "[1, 2]" */
        sl_buf_put_u8(out, '[');
        for (uint32_t i = 0; i < d->u.a.n; i++) {
            if (i)
                put_str(out, ", ");
            sl_sql_datum_format(&d->u.a.items[i], t ? elem_or_null(t->elem) : NULL, out);
        }
        sl_buf_put_u8(out, ']');
        return;
    case SL_SQL_T_MAP: /* java.util.Map: "{a=1, b=2}" */
        sl_buf_put_u8(out, '{');
        for (uint32_t i = 0; i < d->u.a.n; i++) {
            if (i)
                put_str(out, ", ");
            sl_sql_datum_format(&d->u.a.items[2 * i], t ? t->key : NULL, out);
            sl_buf_put_u8(out, '=');
            sl_sql_datum_format(&d->u.a.items[2 * i + 1], t ? t->elem : NULL, out);
        }
        sl_buf_put_u8(out, '}');
        return;
    case SL_SQL_T_STRUCT: { /* Kafka Connect's Struct: null fields left out */
        put_str(out, "Struct{");
        bool first = true;
        for (uint32_t i = 0; i < d->u.a.n; i++) {
            if (d->u.a.items[i].kind == SL_SQL_T_NULL)
                continue;
            if (!first)
                sl_buf_put_u8(out, ',');
            first = false;
            if (t && i < t->n_fields)
                put_str(out, t->fields[i].name);
            sl_buf_put_u8(out, '=');
            sl_sql_datum_format(&d->u.a.items[i], t && i < t->n_fields ? t->fields[i].type : NULL, out);
        }
        sl_buf_put_u8(out, '}');
        return;
    }
    default:
        return;
    }
}
