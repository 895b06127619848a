/*
 * timefmt.c - java.time.format.DateTimeFormatter patterns and time zones
 * for the date/time functions (func_int.h is the contract).
 *
 * Zones: UTC and fixed offsets are computed; region ids are read from the
 * system's TZif files (/usr/share/zoneinfo, version 2 data) once per
 * process into a table shared by every thread (no TZ environment variable,
 * no localtime_r: both depend on process-global state). Instants after the
 * last transition of a file (2037 for the usual builds) keep the last
 * offset: the POSIX rule at the end of the file is not evaluated.
 *
 * Formats: the pattern is compiled once into elements (literal text,
 * fields with their letter and count, optional sections). Calendar
 * arithmetic is value_int.h's (sl_sql_days_from_civil). Text is English
 * (month and day names, AM/PM); 'zzzz' gives the zone id rather than
 * Java's localised long name. Parsing is case-insensitive and fills absent
 * fields with ksqlDB's defaults (1970-01-01T00:00:00.000).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "func_int.h"

/* --- Calendar --------------------------------------------------------------- */

static bool leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(int64_t y, unsigned m)
{
    static const unsigned len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap_year(y) ? 29 : len[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* --- Zones ------------------------------------------------------------------ */

struct sl_sql_tz {
    char name[64];
    int32_t fixed;          /* the offset when n_types == 0 */
    uint32_t n_trans;
    int64_t *trans;         /* transition instants (s), ascending */
    uint8_t *trans_type;
    uint32_t n_types;
    int32_t *type_off;
    char (*type_abbr)[8];
    uint32_t first_type;    /* the type before the first transition */
};

#define TZ_CACHE_MAX 512
static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static sl_sql_tz_t *tz_cache[TZ_CACHE_MAX];
static uint32_t tz_cached_n;

static void tz_free(sl_sql_tz_t *tz)
{
    if (!tz)
        return;
    free(tz->trans);
    free(tz->trans_type);
    free(tz->type_off);
    free(tz->type_abbr);
    free(tz);
}

/* Parses "+HH", "+HH:MM", "+HHMM", "+HH:MM:SS", "+HHMMSS" (and '-'). */
static bool parse_offset_text(const char *s, uint32_t n, int32_t *off)
{
    if (n < 2 || (s[0] != '+' && s[0] != '-'))
        return false;
    int sign = s[0] == '-' ? -1 : 1;
    int parts[3] = {0, 0, 0}, np = 0;
    uint32_t i = 1;
    while (i < n && np < 3) {
        uint32_t digits = 0;
        int v = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 2) {
            v = v * 10 + (s[i] - '0');
            i++;
            digits++;
        }
        if (digits == 0 || (np > 0 && digits != 2))
            return false;
        parts[np++] = v;
        if (i < n && s[i] == ':')
            i++;
    }
    if (i != n || parts[0] > 18 || parts[1] > 59 || parts[2] > 59)
        return false;
    *off = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return *off >= -18 * 3600 && *off <= 18 * 3600;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Reads a TZif file's version 2+ data into tz. */
static bool tz_load_file(sl_sql_tz_t *tz, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "Unknown time zone: %s", tz->name);
        return false;
    }
    unsigned char *buf = malloc(1 << 20);
    size_t len = 0;
    ssize_t r;
    while (buf && len < (1 << 20) && (r = read(fd, buf + len, (1 << 20) - len)) > 0)
        len += (size_t)r;
    close(fd);
    bool ok = false;
    if (!buf || len < 44 || memcmp(buf, "TZif", 4) != 0 || buf[4] < '2')
        goto out;
    /* Skip the version 1 block to the version 2 header. */
    const unsigned char *h = buf;
    size_t v1 = (size_t)be32(h + 32) * 5 + (size_t)be32(h + 36) * 6 + be32(h + 40) + (size_t)be32(h + 28) * 8 +
                be32(h + 24) + be32(h + 20);
    if (44 + v1 + 44 > len)
        goto out;
    h = buf + 44 + v1;
    if (memcmp(h, "TZif", 4) != 0)
        goto out;
    uint32_t isut = be32(h + 20), isstd = be32(h + 24), leap = be32(h + 28), timecnt = be32(h + 32),
             typecnt = be32(h + 36), charcnt = be32(h + 40);
    size_t need = (size_t)timecnt * 9 + (size_t)typecnt * 6 + charcnt + (size_t)leap * 12 + isstd + isut;
    const unsigned char *d = h + 44;
    if (typecnt == 0 || typecnt > 255 || (size_t)(d - buf) + need > len)
        goto out;
    tz->n_trans = timecnt;
    tz->n_types = typecnt;
    tz->trans = calloc(timecnt ? timecnt : 1, sizeof *tz->trans);
    tz->trans_type = calloc(timecnt ? timecnt : 1, 1);
    tz->type_off = calloc(typecnt, sizeof *tz->type_off);
    tz->type_abbr = calloc(typecnt, sizeof *tz->type_abbr);
    if (!tz->trans || !tz->trans_type || !tz->type_off || !tz->type_abbr)
        goto out;
    for (uint32_t i = 0; i < timecnt; i++)
        tz->trans[i] = be64(d + 8 * (size_t)i);
    d += 8 * (size_t)timecnt;
    for (uint32_t i = 0; i < timecnt; i++) {
        tz->trans_type[i] = d[i];
        if (d[i] >= typecnt)
            goto out;
    }
    d += timecnt;
    const unsigned char *types = d, *chars = d + 6 * (size_t)typecnt;
    tz->first_type = typecnt;
    for (uint32_t i = 0; i < typecnt; i++) {
        tz->type_off[i] = (int32_t)be32(types + 6 * i);
        uint8_t isdst = types[6 * i + 4], idx = types[6 * i + 5];
        if (!isdst && tz->first_type == typecnt)
            tz->first_type = i;
        if (idx < charcnt) {
            size_t k = 0;
            while (idx + k < charcnt && chars[idx + k] && k + 1 < sizeof tz->type_abbr[i]) {
                tz->type_abbr[i][k] = (char)chars[idx + k];
                k++;
            }
        }
    }
    if (tz->first_type == typecnt)
        tz->first_type = 0;
    ok = true;
out:
    free(buf);
    if (!ok && !err[0])
        snprintf(err, errlen, "Invalid time zone file for %s", tz->name);
    return ok;
}

/* A zone from its id; a new object (tz_free) or NULL and err. */
static sl_sql_tz_t *tz_load(const char *name, uint32_t n, char *err, size_t errlen)
{
    err[0] = '\0';
    sl_sql_tz_t *tz = calloc(1, sizeof *tz);
    if (!tz) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    memcpy(tz->name, name, n);
    int32_t off = 0;
    static const char *const utc_names[] = {"UTC", "GMT", "UT", "Z"};
    for (size_t i = 0; i < SL_ARRAY_LEN(utc_names); i++) {
        size_t pl = strlen(utc_names[i]);
        if (n >= pl && strncmp(name, utc_names[i], pl) == 0 && strcmp(utc_names[i], "Z") != 0) {
            if (n == pl)
                return tz;
            if (parse_offset_text(name + pl, n - pl, &off)) {
                tz->fixed = off;
                return tz;
            }
        }
    }
    if (n == 1 && name[0] == 'Z')
        return tz;
    if (parse_offset_text(name, n, &off)) {
        tz->fixed = off;
        return tz;
    }
    /* A region id: letters, digits and _ + - / only, no "..". */
    bool valid = n > 0 && name[0] != '/' && !memmem(name, n, "..", 2);
    for (uint32_t i = 0; i < n && valid; i++) {
        char c = name[i];
        valid = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                c == '+' || c == '-' || c == '/';
    }
    char path[128];
    if (!valid || snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", tz->name) >= (int)sizeof path) {
        snprintf(err, errlen, "Unknown time zone: %.*s", (int)SL_MIN(n, 63u), name);
        tz_free(tz);
        return NULL;
    }
    if (!tz_load_file(tz, path, err, errlen)) {
        tz_free(tz);
        return NULL;
    }
    return tz;
}

const sl_sql_tz_t *sl_sql_tz_find(const char *name, uint32_t n, char *err, size_t errlen)
{
    if (n == 0 || n >= sizeof((sl_sql_tz_t *)0)->name) {
        snprintf(err, errlen, "Unknown time zone: %.*s", (int)SL_MIN(n, 63u), name);
        return NULL;
    }
    const sl_sql_tz_t *found = NULL;
    pthread_mutex_lock(&tz_lock);
    for (uint32_t i = 0; i < tz_cached_n && !found; i++) {
        if (strlen(tz_cache[i]->name) == n && memcmp(tz_cache[i]->name, name, n) == 0)
            found = tz_cache[i];
    }
    if (!found) {
        sl_sql_tz_t *tz = tz_cached_n < TZ_CACHE_MAX ? tz_load(name, n, err, errlen) : NULL;
        if (tz_cached_n >= TZ_CACHE_MAX)
            snprintf(err, errlen, "too many distinct time zones in this process");
        if (tz) {
            tz_cache[tz_cached_n++] = tz;
            found = tz;
        }
    }
    pthread_mutex_unlock(&tz_lock);
    return found;
}

const char *sl_sql_tz_name(const sl_sql_tz_t *tz)
{
    return tz->name;
}

/* The type index in force at utc_s. */
static uint32_t tz_type_at(const sl_sql_tz_t *tz, int64_t utc_s)
{
    if (tz->n_trans == 0 || utc_s < tz->trans[0])
        return tz->first_type;
    uint32_t lo = 0, hi = tz->n_trans; /* trans[lo] <= utc_s < trans[hi] */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (tz->trans[mid] <= utc_s)
            lo = mid;
        else
            hi = mid;
    }
    return tz->trans_type[lo];
}

int32_t sl_sql_tz_offset_at(const sl_sql_tz_t *tz, int64_t utc_s)
{
    if (!tz || tz->n_types == 0)
        return tz ? tz->fixed : 0;
    return tz->type_off[tz_type_at(tz, utc_s)];
}

int32_t sl_sql_tz_offset_local(const sl_sql_tz_t *tz, int64_t local_s)
{
    if (!tz || tz->n_types == 0)
        return tz ? tz->fixed : 0;
    int32_t before = sl_sql_tz_offset_at(tz, local_s - 86400);
    int32_t after = sl_sql_tz_offset_at(tz, local_s + 86400);
    if (sl_sql_tz_offset_at(tz, local_s - before) == before)
        return before; /* valid, or the earlier of an overlap */
    if (sl_sql_tz_offset_at(tz, local_s - after) == after)
        return after;
    return before; /* a gap: java.time moves the time forward by its length */
}

/* The abbreviation in force at utc_s ('z'): "CET", "PDT"; fixed zones give
 * their id. */
static const char *tz_abbr(const sl_sql_tz_t *tz, int64_t utc_s)
{
    if (tz->n_types == 0)
        return tz->name;
    const char *a = tz->type_abbr[tz_type_at(tz, utc_s)];
    return a[0] ? a : tz->name;
}

/* --- Patterns ----------------------------------------------------------------- */

enum { E_LIT, E_FIELD, E_OPT, E_OPT_END };

typedef struct tf_elem {
    uint8_t kind;
    char letter;
    uint8_t count;
    uint32_t off, len;      /* E_LIT: text in f->text */
    uint32_t end;           /* E_OPT: index of the matching E_OPT_END */
} tf_elem_t;

struct sl_sql_tfmt {
    tf_elem_t *e;
    uint32_t n;
    char *text;
};

static const char *const MONTHS[12] = {"January", "February", "March",     "April",   "May",      "June",
                                       "July",    "August",   "September", "October", "November", "December"};
static const char *const DAYS[7] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

/* The largest count each letter accepts. */
static int letter_max(char c)
{
    switch (c) {
    case 'y': case 'u': return 19;
    case 'M': case 'L': case 'E': case 'X': case 'x': case 'Z': return 5;
    case 'G': return 5;
    case 'z': return 4;
    case 'd': case 'H': case 'h': case 'k': case 'K': case 'm': case 's': case 'V': return 2;
    case 'D': return 3;
    case 'S': return 9;
    case 'n': return 9;
    case 'a': return 1;
    default: return 0;
    }
}

sl_sql_tfmt_t *sl_sql_tfmt_compile(sl_arena_t *arena, const char *pat, uint32_t n, char *err, size_t errlen)
{
    sl_sql_tfmt_t *f = sl_arena_zalloc(arena, sizeof *f);
    tf_elem_t *e = sl_arena_calloc(arena, 2 * (size_t)n + 1, sizeof *e); /* an unclosed [ adds its ] */
    char *text = sl_arena_alloc(arena, (size_t)n + 1);
    uint32_t *stack = sl_arena_calloc(arena, (size_t)n + 1, sizeof *stack);
    if (!f || !e || !text || !stack) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    uint32_t ne = 0, tl = 0, depth = 0;
    for (uint32_t i = 0; i < n;) {
        char c = pat[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            uint32_t j = i;
            while (j < n && pat[j] == c)
                j++;
            uint32_t count = j - i;
            int max = letter_max(c);
            if (!max) {
                snprintf(err, errlen, "Unknown pattern letter: %c", c);
                return NULL;
            }
            if ((int)count > max || (c == 'V' && count != 2)) {
                snprintf(err, errlen, "Too many pattern letters: %c", c);
                return NULL;
            }
            e[ne++] = (tf_elem_t){.kind = E_FIELD, .letter = c, .count = (uint8_t)count};
            i = j;
        } else if (c == '\'') {
            uint32_t start = tl;
            i++;
            if (i < n && pat[i] == '\'') { /* '' is a quote */
                text[tl++] = '\'';
                i++;
            } else {
                for (;;) {
                    if (i >= n) {
                        snprintf(err, errlen, "Pattern ends with an incomplete string literal: %.*s",
                                 (int)SL_MIN(n, 100u), pat);
                        return NULL;
                    }
                    if (pat[i] == '\'') {
                        if (i + 1 < n && pat[i + 1] == '\'') {
                            text[tl++] = '\'';
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    text[tl++] = pat[i++];
                }
            }
            e[ne++] = (tf_elem_t){.kind = E_LIT, .off = start, .len = tl - start};
        } else if (c == '[') {
            stack[depth++] = ne;
            e[ne++] = (tf_elem_t){.kind = E_OPT};
            i++;
        } else if (c == ']') {
            if (!depth) {
                snprintf(err, errlen, "Pattern invalid as it contains ] without previous [");
                return NULL;
            }
            e[stack[--depth]].end = ne;
            e[ne++] = (tf_elem_t){.kind = E_OPT_END};
            i++;
        } else if (c == '{' || c == '}' || c == '#') {
            snprintf(err, errlen, "Pattern includes reserved character: '%c'", c);
            return NULL;
        } else {
            e[ne++] = (tf_elem_t){.kind = E_LIT, .off = tl, .len = 1};
            text[tl++] = c;
            i++;
        }
    }
    while (depth) { /* an unclosed [ runs to the end, as in java.time */
        e[stack[--depth]].end = ne;
        e[ne++] = (tf_elem_t){.kind = E_OPT_END};
    }
    f->e = e;
    f->n = ne;
    f->text = text;
    return f;
}

/* The broken-down local time. */
typedef struct tf_fields {
    int64_t year;
    unsigned month, day, doy, dow; /* dow 1 = Monday */
    unsigned hour, minute, second;
    uint32_t nanos;
    int32_t offset;
} tf_fields_t;

static void put_num(sl_sql_sb_t *out, int64_t v, unsigned width)
{
    char buf[32];
    int n;
    if (v < 0)
        n = snprintf(buf, sizeof buf, "-%0*lld", (int)width, -(long long)v);
    else
        n = snprintf(buf, sizeof buf, "%0*lld", (int)width, (long long)v);
    if (n > 0)
        sl_sql_sb_put(out, buf, (size_t)n);
}

/* An offset as X/x/Z count give it. */
static void put_offset(sl_sql_sb_t *out, int32_t off, char letter, unsigned count)
{
    if (off == 0 && (letter == 'X' || (letter == 'Z' && count == 5))) {
        sl_sql_sb_puts(out, "Z");
        return;
    }
    if (letter == 'Z' && count == 4) {
        sl_sql_sb_puts(out, "GMT");
        if (off == 0)
            return;
        count = 5;
    }
    unsigned a = (unsigned)(off < 0 ? -off : off);
    unsigned hh = a / 3600, mm = a / 60 % 60, ss = a % 60;
    sl_sql_sb_puts(out, off < 0 ? "-" : "+");
    put_num(out, hh, 2);
    bool colon = (letter != 'Z' && (count == 3 || count == 5)) || (letter == 'Z' && count == 5);
    if (letter == 'Z' && count <= 3) {
        put_num(out, mm, 2);
        return;
    }
    if (count == 1 && letter != 'Z') {
        if (mm)
            put_num(out, mm, 2);
        return;
    }
    if (colon)
        sl_sql_sb_puts(out, ":");
    put_num(out, mm, 2);
    if ((count >= 4 && ss) || (letter == 'Z' && count == 5 && ss)) {
        if (colon)
            sl_sql_sb_puts(out, ":");
        put_num(out, ss, 2);
    }
}

static void put_text(sl_sql_sb_t *out, const char *name, unsigned count)
{
    if (count == 4)
        sl_sql_sb_puts(out, name);
    else if (count == 5)
        sl_sql_sb_put(out, name, 1);
    else
        sl_sql_sb_put(out, name, 3);
}

void sl_sql_tfmt_format(const sl_sql_tfmt_t *f, int64_t ms, const sl_sql_tz_t *tz, sl_sql_sb_t *out)
{
    int64_t secs = floor_div(ms, 1000);
    tf_fields_t t = {0};
    t.nanos = (uint32_t)(ms - secs * 1000) * 1000000u;
    t.offset = sl_sql_tz_offset_at(tz, secs);
    int64_t local = secs + t.offset;
    int64_t days = floor_div(local, 86400);
    int64_t sod = local - days * 86400;
    sl_sql_civil_from_days(days, &t.year, &t.month, &t.day);
    t.doy = (unsigned)(days - sl_sql_days_from_civil(t.year, 1, 1)) + 1;
    t.dow = (unsigned)(((days % 7) + 7 + 3) % 7) + 1; /* 1970-01-01 was a Thursday */
    t.hour = (unsigned)(sod / 3600);
    t.minute = (unsigned)(sod / 60 % 60);
    t.second = (unsigned)(sod % 60);
    for (uint32_t i = 0; i < f->n; i++) {
        const tf_elem_t *e = &f->e[i];
        if (e->kind == E_LIT) {
            sl_sql_sb_put(out, f->text + e->off, e->len);
            continue;
        }
        if (e->kind != E_FIELD)
            continue;
        unsigned c = e->count;
        switch (e->letter) {
        case 'y':
        case 'u':
            if (c == 2)
                put_num(out, ((t.year % 100) + 100) % 100, 2);
            else
                put_num(out, t.year, c);
            break;
        case 'M':
        case 'L':
            if (c <= 2)
                put_num(out, t.month, c);
            else
                put_text(out, MONTHS[t.month - 1], c);
            break;
        case 'd': put_num(out, t.day, c); break;
        case 'D': put_num(out, t.doy, c); break;
        case 'E': put_text(out, DAYS[t.dow - 1], c); break;
        case 'H': put_num(out, t.hour, c); break;
        case 'k': put_num(out, t.hour ? t.hour : 24, c); break;
        case 'h': put_num(out, t.hour % 12 ? t.hour % 12 : 12, c); break;
        case 'K': put_num(out, t.hour % 12, c); break;
        case 'm': put_num(out, t.minute, c); break;
        case 's': put_num(out, t.second, c); break;
        case 'S': {
            char digits[10];
            snprintf(digits, sizeof digits, "%09u", t.nanos);
            sl_sql_sb_put(out, digits, c);
            break;
        }
        case 'n': put_num(out, t.nanos, c); break;
        case 'a': sl_sql_sb_puts(out, t.hour < 12 ? "AM" : "PM"); break;
        case 'G':
            sl_sql_sb_puts(out, c == 4 ? (t.year > 0 ? "Anno Domini" : "Before Christ") : (t.year > 0 ? "AD" : "BC"));
            break;
        case 'X':
        case 'x':
        case 'Z': put_offset(out, t.offset, e->letter, c); break;
        case 'z': sl_sql_sb_puts(out, c == 4 ? sl_sql_tz_name(tz) : tz_abbr(tz, secs)); break;
        case 'V': sl_sql_sb_puts(out, sl_sql_tz_name(tz)); break;
        default: break;
        }
    }
}

/* --- Parsing ---------------------------------------------------------------- */

typedef struct tf_parse {
    const char *s;
    uint32_t n, i;
    int64_t year;
    int year2;              /* a two-digit year: 2000 + v */
    int64_t month, day, doy, hour, hour12, minute, second, nanos;
    int ampm;               /* -1 none, 0 AM, 1 PM */
    bool has_offset;
    int32_t offset;
    const sl_sql_tz_t *zone;
} tf_parse_t;

static bool is_numeric_field(const tf_elem_t *e)
{
    if (e->kind != E_FIELD)
        return false;
    switch (e->letter) {
    case 'y': case 'u': case 'd': case 'D': case 'H': case 'h': case 'k': case 'K': case 'm': case 's':
    case 'S': case 'n':
        return true;
    case 'M': case 'L':
        return e->count <= 2;
    default:
        return false;
    }
}

static bool read_digits(tf_parse_t *p, unsigned min, unsigned max, int64_t *v)
{
    unsigned k = 0;
    int64_t x = 0;
    while (k < max && p->i + k < p->n && p->s[p->i + k] >= '0' && p->s[p->i + k] <= '9') {
        x = x * 10 + (p->s[p->i + k] - '0');
        k++;
    }
    if (k < min)
        return false;
    p->i += k;
    *v = x;
    return true;
}

/* Matches one of names (full, or the first three letters) at the cursor;
 * returns the index or -1. */
static int read_name(tf_parse_t *p, const char *const *names, int count, unsigned width)
{
    for (int pass = 0; pass < 2; pass++) {
        bool full = pass == 0 ? width >= 4 : width < 4;
        for (int k = 0; k < count; k++) {
            size_t l = full ? strlen(names[k]) : 3;
            if (p->i + l <= p->n && strncasecmp(p->s + p->i, names[k], l) == 0) {
                p->i += (uint32_t)l;
                return k;
            }
        }
    }
    return -1;
}

static bool read_offset(tf_parse_t *p, char letter)
{
    if (p->i < p->n && (p->s[p->i] == 'Z' || p->s[p->i] == 'z') && letter != 'x') {
        p->i++;
        p->has_offset = true;
        p->offset = 0;
        return true;
    }
    if (letter == 'Z' && p->i + 3 <= p->n && strncmp(p->s + p->i, "GMT", 3) == 0) {
        p->i += 3;
        if (p->i >= p->n || (p->s[p->i] != '+' && p->s[p->i] != '-')) {
            p->has_offset = true;
            p->offset = 0;
            return true;
        }
    }
    uint32_t j = p->i;
    if (j >= p->n || (p->s[j] != '+' && p->s[j] != '-'))
        return false;
    j++;
    while (j < p->n && ((p->s[j] >= '0' && p->s[j] <= '9') || p->s[j] == ':') && j - p->i < 9)
        j++;
    int32_t off;
    if (!parse_offset_text(p->s + p->i, j - p->i, &off))
        return false;
    p->i = j;
    p->has_offset = true;
    p->offset = off;
    return true;
}

/* Zone names java.time reads in text ('z') for the regions they stand
 * for: PST in May is Los Angeles' daylight time, as in Java. */
static const char *const ZONE_NAMES[][2] = {
    {"PST", "America/Los_Angeles"}, {"PDT", "America/Los_Angeles"}, {"MST", "America/Denver"},
    {"MDT", "America/Denver"},      {"CST", "America/Chicago"},     {"CDT", "America/Chicago"},
    {"EST", "America/New_York"},    {"EDT", "America/New_York"},    {"AKST", "America/Anchorage"},
    {"AKDT", "America/Anchorage"},  {"HST", "Pacific/Honolulu"},    {"BST", "Europe/London"},
    {"CEST", "Europe/Paris"},       {"EET", "Europe/Athens"},       {"EEST", "Europe/Athens"},
    {"IST", "Asia/Kolkata"},        {"JST", "Asia/Tokyo"},          {"AEST", "Australia/Sydney"},
    {"AEDT", "Australia/Sydney"},
};

static bool read_zone(tf_parse_t *p)
{
    uint32_t j = p->i;
    while (j < p->n && ((p->s[j] >= 'A' && p->s[j] <= 'Z') || (p->s[j] >= 'a' && p->s[j] <= 'z') ||
                        (p->s[j] >= '0' && p->s[j] <= '9') || strchr("/_+-:", p->s[j])))
        j++;
    const char *name = p->s + p->i;
    uint32_t len = j - p->i;
    for (size_t k = 0; k < SL_ARRAY_LEN(ZONE_NAMES); k++) {
        if (strlen(ZONE_NAMES[k][0]) == len && strncasecmp(name, ZONE_NAMES[k][0], len) == 0) {
            name = ZONE_NAMES[k][1];
            len = (uint32_t)strlen(name);
            break;
        }
    }
    char err[96];
    const sl_sql_tz_t *tz = len ? sl_sql_tz_find(name, len, err, sizeof err) : NULL;
    if (!tz)
        return false;
    p->zone = tz;
    p->i = j;
    return true;
}

static bool parse_field(tf_parse_t *p, const tf_elem_t *e, const tf_elem_t *next)
{
    unsigned c = e->count;
    bool adjacent = next && is_numeric_field(next);
    int64_t v;
    switch (e->letter) {
    case 'y':
    case 'u':
        if (c == 2) {
            if (!read_digits(p, 2, 2, &v))
                return false;
            p->year = 2000 + v;
            return true;
        }
        if (!read_digits(p, c, adjacent ? c : 10, &v))
            return false;
        p->year = v;
        return true;
    case 'M':
    case 'L':
        if (c >= 3) {
            int k = read_name(p, MONTHS, 12, c);
            if (k < 0)
                return false;
            p->month = k + 1;
            return true;
        }
        return read_digits(p, c, c == 2 || adjacent ? c : 2, &p->month);
    case 'E':
        return read_name(p, DAYS, 7, c) >= 0; /* checked against nothing: the date decides */
    case 'd': return read_digits(p, c, c == 2 || adjacent ? c : 2, &p->day);
    case 'D': return read_digits(p, c, adjacent ? c : 3, &p->doy);
    case 'H':
    case 'k': return read_digits(p, c, c == 2 || adjacent ? c : 2, &p->hour);
    case 'h':
    case 'K': return read_digits(p, c, c == 2 || adjacent ? c : 2, &p->hour12);
    case 'm': return read_digits(p, c, c == 2 || adjacent ? c : 2, &p->minute);
    case 's': return read_digits(p, c, c == 2 || adjacent ? c : 2, &p->second);
    case 'S':
        if (!read_digits(p, c, c, &v))
            return false;
        for (unsigned k = c; k < 9; k++)
            v *= 10;
        p->nanos = v;
        return true;
    case 'n': return read_digits(p, 1, 9, &p->nanos);
    case 'a':
        if (p->i + 2 <= p->n && strncasecmp(p->s + p->i, "AM", 2) == 0)
            p->ampm = 0;
        else if (p->i + 2 <= p->n && strncasecmp(p->s + p->i, "PM", 2) == 0)
            p->ampm = 1;
        else
            return false;
        p->i += 2;
        return true;
    case 'G':
        if (p->i + 2 <= p->n && strncasecmp(p->s + p->i, "AD", 2) == 0) {
            p->i += 2;
            return true;
        }
        return false;
    case 'X':
    case 'x':
    case 'Z': return read_offset(p, e->letter);
    case 'z':
    case 'V': return read_zone(p);
    default: return false;
    }
}

/* Parses elements [from, to); optional sections that do not match are
 * skipped with the cursor and fields they set restored. */
static bool parse_range(const sl_sql_tfmt_t *f, uint32_t from, uint32_t to, tf_parse_t *p)
{
    for (uint32_t i = from; i < to; i++) {
        const tf_elem_t *e = &f->e[i];
        if (e->kind == E_LIT) {
            if (p->i + e->len > p->n || memcmp(p->s + p->i, f->text + e->off, e->len) != 0)
                return false;
            p->i += e->len;
        } else if (e->kind == E_FIELD) {
            const tf_elem_t *next = i + 1 < to ? &f->e[i + 1] : NULL;
            if (!parse_field(p, e, next))
                return false;
        } else if (e->kind == E_OPT) {
            tf_parse_t saved = *p;
            if (!parse_range(f, i + 1, e->end, p))
                *p = saved;
            i = e->end;
        }
    }
    return true;
}

/* Parses s into the local date-time it names (seconds since the epoch as
 * if local time were UTC, plus nanoseconds) and the zone or offset it
 * carries (p->has_offset, p->zone). */
static sl_err_t parse_local(const sl_sql_tfmt_t *f, const char *s, uint32_t n, tf_parse_t *pp, int64_t *local_s,
                            char *err, size_t errlen)
{
    tf_parse_t p = *pp;
    if (!parse_range(f, 0, f->n, &p) || p.i != n) {
        snprintf(err, errlen, "Text '%.*s' could not be parsed at index %u", (int)SL_MIN(n, 100u), s, p.i);
        return SL_ERR_INVAL;
    }
    int64_t hour = 0;
    if (p.hour12 >= 0) {
        if (p.hour12 > 12) {
            snprintf(err, errlen, "Text '%.*s' could not be parsed: invalid hour %lld", (int)SL_MIN(n, 100u), s,
                     (long long)p.hour12);
            return SL_ERR_INVAL;
        }
        hour = p.hour12 % 12 + (p.ampm == 1 ? 12 : 0);
    } else if (p.hour >= 0) {
        hour = p.hour;
    }
    int64_t days;
    if (p.year > 999999999 || p.year < -999999999) /* java.time's Year range */
        goto invalid;
    if (p.doy >= 1) {
        if (p.doy > (leap_year(p.year) ? 366 : 365))
            goto invalid;
        days = sl_sql_days_from_civil(p.year, 1, 1) + p.doy - 1;
    } else {
        if (p.month < 1 || p.month > 12 || p.day < 1 || p.day > 31)
            goto invalid;
        unsigned md = month_days(p.year, (unsigned)p.month);
        if (p.day > md)
            p.day = md; /* SMART resolution, as java.time: Feb 30 -> Feb 28/29 */
        days = sl_sql_days_from_civil(p.year, (unsigned)p.month, (unsigned)p.day);
    }
    if (hour > 24 || (hour == 24 && (p.minute || p.second || p.nanos)) || p.minute > 59 || p.second > 59)
        goto invalid;
    *local_s = days * 86400 + hour * 3600 + p.minute * 60 + p.second;
    *pp = p;
    return SL_OK;
invalid:
    snprintf(err, errlen, "Text '%.*s' could not be parsed: a field is out of range", (int)SL_MIN(n, 100u), s);
    return SL_ERR_INVAL;
}

static tf_parse_t parse_start(const char *s, uint32_t n, const sl_sql_tz_t *tz)
{
    return (tf_parse_t){.s = s, .n = n, .year = 1970, .month = 1, .day = 1, .doy = -1, .hour = -1, .hour12 = -1,
                        .ampm = -1, .zone = tz};
}

/* local_s seconds and nanos as epoch milliseconds, refusing overflow. */
static sl_err_t to_ms(int64_t secs, int64_t nanos, int64_t *ms, const char *s, uint32_t n, char *err, size_t errlen)
{
    int64_t msec;
    if (__builtin_mul_overflow(secs, (int64_t)1000, &msec) || __builtin_add_overflow(msec, nanos / 1000000, ms)) {
        snprintf(err, errlen, "Text '%.*s' is out of the range of a timestamp", (int)SL_MIN(n, 100u), s);
        return SL_ERR_INVAL;
    }
    return SL_OK;
}

sl_err_t sl_sql_tfmt_parse(const sl_sql_tfmt_t *f, const char *s, uint32_t n, const sl_sql_tz_t *tz, int64_t *ms,
                           char *err, size_t errlen)
{
    tf_parse_t p = parse_start(s, n, tz);
    int64_t local;
    sl_err_t rc = parse_local(f, s, n, &p, &local, err, errlen);
    if (rc != SL_OK)
        return rc;
    int32_t off = p.has_offset ? p.offset : sl_sql_tz_offset_local(p.zone, local);
    return to_ms(local - off, p.nanos, ms, s, n, err, errlen);
}

sl_err_t sl_sql_tfmt_parse_local(const sl_sql_tfmt_t *f, const char *s, uint32_t n, int64_t *ms, char *err,
                                 size_t errlen)
{
    tf_parse_t p = parse_start(s, n, NULL);
    int64_t local;
    sl_err_t rc = parse_local(f, s, n, &p, &local, err, errlen);
    return rc != SL_OK ? rc : to_ms(local, p.nanos, ms, s, n, err, errlen);
}

/* The java.time name of the field a letter stands for. */
static const char *field_name(char c)
{
    switch (c) {
    case 'y': return "YearOfEra";
    case 'u': return "Year";
    case 'M': case 'L': return "MonthOfYear";
    case 'd': return "DayOfMonth";
    case 'D': return "DayOfYear";
    case 'E': return "DayOfWeek";
    case 'G': return "Era";
    case 'H': return "HourOfDay";
    case 'h': return "ClockHourOfAmPm";
    case 'k': return "ClockHourOfDay";
    case 'K': return "HourOfAmPm";
    case 'm': return "MinuteOfHour";
    case 's': return "SecondOfMinute";
    case 'S': case 'n': return "NanoOfSecond";
    case 'a': return "AmPmOfDay";
    case 'z': case 'V': return "ZoneId";
    default: return "OffsetSeconds";
    }
}

const char *sl_sql_tfmt_unsupported(const sl_sql_tfmt_t *f, unsigned allowed)
{
    for (uint32_t i = 0; i < f->n; i++) {
        if (f->e[i].kind != E_FIELD)
            continue;
        char c = f->e[i].letter;
        unsigned cls = strchr("yuMLdDEG", c)    ? SL_SQL_TF_DATE
                       : strchr("HhkKmsSna", c) ? SL_SQL_TF_TIME
                                                : SL_SQL_TF_ZONE;
        if (!(cls & allowed))
            return field_name(c);
    }
    return NULL;
}
