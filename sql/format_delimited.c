/*
 * format_delimited.c - the DELIMITED format: one CSV record (RFC 4180
 * quoting with "" for a quote inside a quoted field) with the configured
 * delimiter, as ksqlDB reads and writes it through Commons CSV. An empty
 * field is NULL (an empty string too, as in ksqlDB); an empty record and a
 * field of the wrong text fail the record. Unquoted
 * fields point into the record's bytes; quoted ones with "" inside are
 * copied into the arena.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "format_int.h"

/* One primitive field's text as a datum of type t. */
static sl_err_t field_parse(const char *p, size_t n, const sl_sql_type_t *t, sl_arena_t *arena, sl_sql_datum_t *d,
                            char *err, size_t errlen)
{
    int64_t v;
    switch (t->kind) {
    case SL_SQL_T_BOOLEAN:
        /* Boolean.parseBoolean: anything but "true" is false */
        *d = sl_sql_bool(n == 4 && strncasecmp(p, "true", 4) == 0);
        return SL_OK;
    case SL_SQL_T_INT:
    case SL_SQL_T_DATE:
        if (!sl_sql_int_parse(p, n, INT32_MIN, INT32_MAX, &v))
            break;
        *d = sl_sql_int((int32_t)v);
        d->kind = (uint8_t)t->kind;
        return SL_OK;
    case SL_SQL_T_BIGINT:
    case SL_SQL_T_TIMESTAMP:
    case SL_SQL_T_TIME:
        if (!sl_sql_int_parse(p, n, INT64_MIN, INT64_MAX, &v))
            break;
        *d = sl_sql_bigint(v);
        d->kind = (uint8_t)t->kind;
        return SL_OK;
    case SL_SQL_T_DOUBLE: {
        double x;
        if (!sl_sql_double_parse(p, n, &x))
            break;
        *d = sl_sql_double(x);
        return SL_OK;
    }
    case SL_SQL_T_DECIMAL: {
        sl_sql_i128_t u;
        sl_err_t rc = sl_sql_dec_parse(p, n, t->precision, t->scale, &u, err, errlen);
        if (rc)
            return SL_ERR_PARSE;
        d->kind = SL_SQL_T_DECIMAL;
        d->scale = t->scale;
        d->u.dec = u;
        return SL_OK;
    }
    case SL_SQL_T_STRING: {
        const char *text;
        uint32_t tl;
        if (!sl_sql_utf8_text(p, n, arena, &text, &tl)) {
            snprintf(err, errlen, "out of memory");
            return SL_ERR_NOMEM;
        }
        *d = sl_sql_string(text, tl);
        return SL_OK;
    }
    case SL_SQL_T_BYTES: {
        const uint8_t *b;
        uint32_t bl;
        if (!sl_sql_base64_read(p, n, arena, &b, &bl)) {
            snprintf(err, errlen, "Value is not a valid Base64 encoded string: %.*s", (int)(n > 64 ? 64 : n), p);
            return SL_ERR_PARSE;
        }
        d->kind = SL_SQL_T_BYTES;
        d->u.s.ptr = (const char *)b;
        d->u.s.len = bl;
        return SL_OK;
    }
    default:
        snprintf(err, errlen, "The 'DELIMITED' format does not support type '%s'", sl_sql_base_type_name(t->kind));
        return SL_ERR_PARSE;
    }
    snprintf(err, errlen, "Invalid %s value: '%.*s'", sl_sql_base_type_name(t->kind), (int)(n > 64 ? 64 : n), p);
    return SL_ERR_PARSE;
}

sl_err_t sl_sql_delimited_decode(const sl_sql_codec_t *c, const uint8_t *bytes, size_t len, sl_arena_t *arena,
                                 sl_sql_row_t *row, char *err, size_t errlen)
{
    const char *p = (const char *)bytes, *end = p + len;
    const char delim = c->fmt.delimiter;
    /* one record: a trailing line break ends it */
    if (end > p && end[-1] == '\n')
        end--;
    if (end > p && end[-1] == '\r')
        end--;
    if (len > UINT32_MAX) {
        snprintf(err, errlen, "record too large");
        return SL_ERR_PARSE;
    }
    if (end == p && c->n > 0) {
        /* an empty line holds no record at all, not one empty field */
        snprintf(err, errlen, "No fields in record");
        return SL_ERR_PARSE;
    }
    uint32_t got = 0;
    bool more = true;
    while (more) {
        const char *fp;
        size_t fn;
        if (p < end && *p == '"') {
            /* quoted: "" inside stands for one quote */
            const char *q = p + 1;
            size_t quotes = 0;
            for (;;) {
                if (q >= end) {
                    snprintf(err, errlen, "EOF reached before encapsulated token finished");
                    return SL_ERR_PARSE;
                }
                if (*q == '"') {
                    if (q + 1 < end && q[1] == '"') {
                        quotes++;
                        q += 2;
                        continue;
                    }
                    break;
                }
                q++;
            }
            fp = p + 1;
            fn = (size_t)(q - fp);
            if (quotes) {
                char *o = sl_arena_alloc(arena, fn);
                if (!o) {
                    snprintf(err, errlen, "out of memory");
                    return SL_ERR_NOMEM;
                }
                size_t k = 0;
                for (size_t i = 0; i < fn; i++) {
                    o[k++] = fp[i];
                    if (fp[i] == '"')
                        i++;
                }
                fp = o;
                fn = k;
            }
            p = q + 1;
            if (p < end && *p != delim) {
                snprintf(err, errlen, "invalid char between encapsulated token and delimiter");
                return SL_ERR_PARSE;
            }
        } else {
            const char *q = p;
            while (q < end && *q != delim)
                q++;
            fp = p;
            fn = (size_t)(q - p);
            p = q;
        }
        if (p < end)
            p++; /* the delimiter */
        else
            more = false;
        if (got < c->n && fn > 0) {
            sl_err_t rc = field_parse(fp, fn, c->types[got], arena, &row->cols[got], err, errlen);
            if (rc)
                return rc;
        }
        got++;
    }
    if (c->n == 0 && got == 1 && end == (const char *)bytes)
        got = 0;
    if (got != c->n) {
        snprintf(err, errlen, "Column count mismatch on deserialization. expected: %u, got: %u", c->n, got);
        return SL_ERR_PARSE;
    }
    return SL_OK;
}

/* Whether Commons CSV (the version ksqlDB ships) quotes a field's text:
 * an empty first field; a first field starting with anything but a letter
 * or a digit; any field starting at or below '#', holding a line break,
 * a quote or the delimiter, or ending at or below a blank. */
static bool needs_quotes(const char *s, size_t n, bool first, char delim)
{
    if (n == 0)
        return first;
    unsigned char c = (unsigned char)s[0];
    if (first && (c < '0' || (c > '9' && c < 'A') || (c > 'Z' && c < 'a') || c > 'z'))
        return true;
    if (c <= '#')
        return true;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\n' || s[i] == '\r' || s[i] == '"' || s[i] == delim)
            return true;
    return (unsigned char)s[n - 1] <= ' ';
}

static void put_quoted(sl_buf_t *out, const char *s, size_t n)
{
    sl_buf_put_u8(out, '"');
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') {
            sl_buf_put(out, s + from, i + 1 - from);
            sl_buf_put_u8(out, '"');
            from = i + 1;
        }
    }
    sl_buf_put(out, s + from, n - from);
    sl_buf_put_u8(out, '"');
}

/* One field as ksqlDB's writer prints it: NULL as nothing (never quoted),
 * everything else as its text, quoted where Commons CSV quotes it, with ""
 * for each quote inside. */
static void field_write(const sl_sql_datum_t *d, const sl_sql_type_t *t, char delim, bool first, sl_buf_t *out)
{
    if (d->kind == SL_SQL_T_NULL)
        return;
    if (d->kind == SL_SQL_T_STRING) {
        if (needs_quotes(d->u.s.ptr, d->u.s.len, first, delim))
            put_quoted(out, d->u.s.ptr, d->u.s.len);
        else
            sl_buf_put(out, d->u.s.ptr, d->u.s.len);
        return;
    }
    size_t start = out->len;
    if (sl_sql_scalar_write(d, t, out) || !needs_quotes((const char *)out->data + start, out->len - start, first, delim))
        return;
    /* rare (a negative number first, a delimiter inside a number): move
     * the text aside and write it again quoted */
    sl_buf_t text = SL_BUF_INIT;
    sl_buf_put(&text, out->data + start, out->len - start);
    out->len = start;
    if (sl_buf_err(&text))
        out->err = sl_buf_err(&text);
    else
        put_quoted(out, (const char *)text.data, text.len);
    sl_buf_free(&text);
}

sl_err_t sl_sql_delimited_encode(const sl_sql_codec_t *c, const sl_sql_row_t *row, sl_buf_t *out)
{
    for (uint32_t i = 0; i < c->n; i++) {
        if (i)
            sl_buf_put_u8(out, (uint8_t)c->fmt.delimiter);
        field_write(&row->cols[i], c->types[i], c->fmt.delimiter, i == 0, out);
    }
    return sl_buf_err(out);
}
