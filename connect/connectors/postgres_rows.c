/*
 * postgres_rows.c - records as statement parameters: each column's value
 * in PostgreSQL's text form (numbers, booleans, strings, dates and times in
 * UTC) or binary (bytea), kept in one growing buffer until the rows are
 * written; and upsert's rule that of several rows with one key in a batch
 * only the last is written (it is what applying them in order leaves).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "postgres_int.h"

#define REC_FMT "%s-%d@%lld"
#define REC_ARGS(r) (r)->topic ? (r)->topic : "?", (int)(r)->partition, (long long)(r)->kafka_offset

/* ---- text forms -------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Years 1..9999: what the text forms below write without an era. */
static bool civil(int64_t secs, struct tm *tm)
{
    if (secs < -62135596800LL || secs > 253402300799LL)
        return false;
    time_t t = (time_t)secs;
    return gmtime_r(&t, tm) != NULL;
}

int pg_format_timestamp(int64_t ms, char *out, size_t outlen)
{
    int64_t secs = floor_div(ms, 1000);
    struct tm tm;
    if (!civil(secs, &tm))
        return SL_CONNECT_EINVAL;
    snprintf(out, outlen, "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms - secs * 1000));
    return SL_CONNECT_OK;
}

int pg_format_date(int64_t days, char *out, size_t outlen)
{
    struct tm tm;
    if (days < -1000000000 || days > 1000000000 || !civil(days * 86400, &tm))
        return SL_CONNECT_EINVAL;
    snprintf(out, outlen, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    return SL_CONNECT_OK;
}

int pg_format_time(int64_t ms, char *out, size_t outlen)
{
    if (ms < 0 || ms >= 86400000)
        return SL_CONNECT_EINVAL;
    int s = (int)(ms / 1000);
    snprintf(out, outlen, "%02d:%02d:%02d.%03d", s / 3600, s / 60 % 60, s % 60, (int)(ms % 1000));
    return SL_CONNECT_OK;
}

/* ---- parameters ---------------------------------------------------------------------- */

static int push(pg_rows_t *rows, pg_param_t p)
{
    if (rows->count == rows->cap) {
        size_t cap = rows->cap ? rows->cap * 2 : 1024;
        pg_param_t *n = realloc(rows->params, cap * sizeof(*n));
        if (!n)
            return SL_CONNECT_ENOMEM;
        rows->params = n;
        rows->cap = cap;
    }
    rows->params[rows->count++] = p;
    return SL_CONNECT_OK;
}

/* A text parameter: s[0..n) and a NUL, both kept in data. */
static int push_text(pg_rows_t *rows, const char *s, size_t n)
{
    size_t off = rows->data.len;
    pg_buf_add(&rows->data, s, n);
    pg_buf_add(&rows->data, "", 1);
    if (rows->data.failed || n > INT32_MAX)
        return SL_CONNECT_ENOMEM;
    return push(rows, (pg_param_t){.off = off, .len = (int)n});
}

/* Field index of a struct value (in schema order), or by name when the
 * pairs are not where the schema says. */
static const sl_cvalue_t *field_of(const sl_cvalue_t *st, size_t index, const char *name)
{
    if (!st || st->type != SL_CT_STRUCT)
        return NULL;
    const sl_cpair_t *p = st->u.map.pairs;
    if (index < st->u.map.count && p[index].key && p[index].key->type == SL_CT_STRING &&
        strcmp(p[index].key->u.bytes.ptr, name) == 0)
        return p[index].value;
    for (size_t i = 0; i < st->u.map.count; i++)
        if (p[i].key && p[i].key->type == SL_CT_STRING && strcmp(p[i].key->u.bytes.ptr, name) == 0)
            return p[i].value;
    return NULL;
}

static int encode(pg_rows_t *rows, const pg_col_t *c, const sl_cvalue_t *v,
                  const sl_connect_record_t *rec, char *err, size_t errlen)
{
    char text[64];
    int rc = SL_CONNECT_OK;
    if (!v || v->type == SL_CT_NULL) {
        if (c->pk) {
            snprintf(err, errlen, "record " REC_FMT ": key column \"%s\" is null", REC_ARGS(rec),
                     c->name);
            return SL_CONNECT_EINVAL;
        }
        return push(rows, (pg_param_t){.off = rows->data.len, .len = -1});
    }
    if (v->type != c->type) {
        snprintf(err, errlen, "record " REC_FMT ": column \"%s\" holds a value of another type "
                 "than its schema says", REC_ARGS(rec), c->name);
        return SL_CONNECT_EINVAL;
    }
    switch (c->logical) {
    case PG_LOGICAL_TIMESTAMP:
        rc = pg_format_timestamp(v->u.i, text, sizeof(text));
        break;
    case PG_LOGICAL_DATE:
        rc = pg_format_date(v->u.i, text, sizeof(text));
        break;
    case PG_LOGICAL_TIME:
        rc = pg_format_time(v->u.i, text, sizeof(text));
        break;
    default:
        switch (v->type) {
        case SL_CT_BOOLEAN:
            return push_text(rows, v->u.boolean ? "t" : "f", 1);
        case SL_CT_INT8: case SL_CT_INT16: case SL_CT_INT32: case SL_CT_INT64:
            snprintf(text, sizeof(text), "%" PRId64, v->u.i);
            break;
        case SL_CT_FLOAT32: case SL_CT_FLOAT64:
            if (isnan(v->u.f))
                snprintf(text, sizeof(text), "NaN");
            else if (isinf(v->u.f))
                snprintf(text, sizeof(text), v->u.f > 0 ? "Infinity" : "-Infinity");
            else
                snprintf(text, sizeof(text), "%.*g", v->type == SL_CT_FLOAT32 ? 9 : 17, v->u.f);
            break;
        case SL_CT_STRING:
            if (memchr(v->u.bytes.ptr, '\0', v->u.bytes.len)) {
                snprintf(err, errlen, "record " REC_FMT ": column \"%s\": PostgreSQL text "
                         "cannot hold a NUL character", REC_ARGS(rec), c->name);
                return SL_CONNECT_EINVAL;
            }
            return push_text(rows, v->u.bytes.ptr, v->u.bytes.len);
        case SL_CT_BYTES: {
            size_t off = rows->data.len;
            pg_buf_add(&rows->data, v->u.bytes.ptr, v->u.bytes.len);
            if (rows->data.failed || v->u.bytes.len > INT32_MAX)
                return SL_CONNECT_ENOMEM;
            return push(rows, (pg_param_t){.off = off, .len = (int)v->u.bytes.len,
                                           .binary = true});
        }
        default:
            snprintf(err, errlen, "record " REC_FMT ": column \"%s\" cannot hold its value",
                     REC_ARGS(rec), c->name);
            return SL_CONNECT_EINVAL;
        }
    }
    if (rc) {
        snprintf(err, errlen, "record " REC_FMT ": column \"%s\": %" PRId64 " is out of the "
                 "range written (years 1 to 9999, times within a day)", REC_ARGS(rec), c->name,
                 v->u.i);
        return rc;
    }
    return push_text(rows, text, strlen(text));
}

int pg_rows_add(pg_rows_t *rows, const pg_shape_t *s, const sl_connect_record_t *rec,
                char *err, size_t errlen)
{
    size_t count = rows->count;
    err[0] = '\0';
    for (size_t i = 0; i < s->ncols; i++) {
        const pg_col_t *c = &s->cols[i];
        char num[32];
        int rc;
        switch (c->src) {
        case PG_SRC_TOPIC:
            rc = push_text(rows, rec->topic, strlen(rec->topic));
            break;
        case PG_SRC_PARTITION:
        case PG_SRC_OFFSET:
            snprintf(num, sizeof(num), "%" PRId64, c->src == PG_SRC_PARTITION
                     ? (int64_t)rec->partition : rec->kafka_offset);
            rc = push_text(rows, num, strlen(num));
            break;
        case PG_SRC_KEY:
            rc = encode(rows, c, rec->key, rec, err, errlen);
            break;
        case PG_SRC_KEY_FIELD:
            rc = encode(rows, c, field_of(rec->key, c->index, c->name), rec, err, errlen);
            break;
        default:
            rc = encode(rows, c, field_of(rec->value, c->index, c->name), rec, err, errlen);
            break;
        }
        if (rc) {
            if (rc == SL_CONNECT_ENOMEM)
                snprintf(err, errlen, "out of memory");
            pg_rows_truncate(rows, count);
            return rc;
        }
    }
    return SL_CONNECT_OK;
}

void pg_rows_truncate(pg_rows_t *rows, size_t count)
{
    if (count >= rows->count)
        return;
    rows->data.len = rows->params[count].off;
    rows->data.failed = false;
    rows->count = count;
}

void pg_rows_drop_front(pg_rows_t *rows, size_t count)
{
    if (count >= rows->count) {
        pg_rows_clear(rows);
        return;
    }
    size_t off = rows->params[count].off;
    memmove(rows->data.p, rows->data.p + off, rows->data.len - off);
    rows->data.len -= off;
    rows->count -= count;
    memmove(rows->params, rows->params + count, rows->count * sizeof(*rows->params));
    for (size_t i = 0; i < rows->count; i++)
        rows->params[i].off -= off;
}

void pg_rows_clear(pg_rows_t *rows)
{
    pg_buf_clear(&rows->data);
    rows->count = 0;
}

void pg_rows_free(pg_rows_t *rows)
{
    pg_buf_free(&rows->data);
    free(rows->params);
    *rows = (pg_rows_t){0};
}

/* ---- last row per key ------------------------------------------------------------------ */

size_t pg_rows_slots(size_t nrows)
{
    size_t n = 16;
    while (n < 2 * nrows)
        n *= 2;
    return n;
}

static uint64_t key_hash(const pg_rows_t *rows, const pg_param_t *row, const pg_shape_t *s)
{
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (size_t c = 0; c < s->ncols; c++) {
        if (!s->cols[c].pk)
            continue;
        const pg_param_t *p = &row[c];
        const unsigned char *b = (const unsigned char *)rows->data.p + p->off;
        for (int i = 0; i < p->len; i++)
            h = (h ^ b[i]) * 1099511628211ULL;
        h = (h ^ (uint64_t)(uint32_t)p->len) * 1099511628211ULL;
    }
    return h;
}

static bool key_eq(const pg_rows_t *rows, const pg_param_t *a, const pg_param_t *b,
                   const pg_shape_t *s)
{
    for (size_t c = 0; c < s->ncols; c++) {
        if (!s->cols[c].pk)
            continue;
        if (a[c].len != b[c].len || (a[c].len > 0 &&
            memcmp(rows->data.p + a[c].off, rows->data.p + b[c].off, (size_t)a[c].len) != 0))
            return false;
    }
    return true;
}

size_t pg_rows_last_per_key(const pg_rows_t *rows, size_t first_param, size_t nrows,
                            const pg_shape_t *s, bool *keep, size_t *scratch, size_t nslots)
{
    memset(scratch, 0, nslots * sizeof(*scratch));
    size_t kept = 0;
    const pg_param_t *base = rows->params + first_param;
    for (size_t r = nrows; r-- > 0;) {
        const pg_param_t *row = base + r * s->ncols;
        size_t slot = (size_t)key_hash(rows, row, s) & (nslots - 1);
        keep[r] = true;
        while (scratch[slot]) {
            if (key_eq(rows, base + (scratch[slot] - 1) * s->ncols, row, s)) {
                keep[r] = false;
                break;
            }
            slot = (slot + 1) & (nslots - 1);
        }
        if (keep[r]) {
            scratch[slot] = r + 1;
            kept++;
        }
    }
    return kept;
}
