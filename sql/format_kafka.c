/*
 * format_kafka.c - the KAFKA format: Kafka's primitive serdes for one
 * column (INT 4 bytes and BIGINT 8 bytes big-endian, DOUBLE 8 bytes IEEE
 * 754 big-endian, STRING UTF-8, BYTES as they are), nothing for none.
 * Strings and bytes point into the record's bytes.
 */
#include <stdio.h>
#include <string.h>

#include "format_int.h"

static sl_err_t size_error(char *err, size_t errlen, const char *what, int want)
{
    snprintf(err, errlen, "Size of data received by %sDeserializer is not %d", what, want);
    return SL_ERR_PARSE;
}

sl_err_t sl_sql_kafka_decode(const sl_sql_codec_t *c, const uint8_t *p, size_t len, sl_arena_t *arena,
                             sl_sql_row_t *row, char *err, size_t errlen)
{
    if (c->n == 0)
        return SL_OK;
    sl_sql_datum_t *d = &row->cols[0];
    sl_rd_t rd;
    sl_rd_init(&rd, p, len);
    switch (c->types[0]->kind) {
    case SL_SQL_T_INT:
        if (len != 4)
            return size_error(err, errlen, "Integer", 4);
        *d = sl_sql_int(sl_rd_i32(&rd));
        break;
    case SL_SQL_T_BIGINT:
        if (len != 8)
            return size_error(err, errlen, "Long", 8);
        *d = sl_sql_bigint(sl_rd_i64(&rd));
        break;
    case SL_SQL_T_DOUBLE:
        if (len != 8)
            return size_error(err, errlen, "Double", 8);
        *d = sl_sql_double(sl_rd_f64(&rd));
        break;
    case SL_SQL_T_STRING:
    case SL_SQL_T_BYTES:
        if (len > UINT32_MAX / 3) {
            snprintf(err, errlen, "record too large");
            return SL_ERR_PARSE;
        }
        d->kind = (uint8_t)c->types[0]->kind;
        d->u.s.ptr = (const char *)p;
        d->u.s.len = (uint32_t)len;
        /* Kafka's StringDeserializer replaces what is not UTF-8 */
        if (d->kind == SL_SQL_T_STRING && !sl_sql_utf8_text((const char *)p, len, arena, &d->u.s.ptr, &d->u.s.len)) {
            snprintf(err, errlen, "out of memory");
            return SL_ERR_NOMEM;
        }
        break;
    default:
        snprintf(err, errlen, "The 'KAFKA' format does not support type '%s'",
                 sl_sql_base_type_name(c->types[0]->kind));
        return SL_ERR_PARSE;
    }
    return SL_OK;
}

sl_err_t sl_sql_kafka_encode(const sl_sql_codec_t *c, const sl_sql_row_t *row, sl_buf_t *out)
{
    if (c->n == 0)
        return sl_buf_err(out);
    const sl_sql_datum_t *d = &row->cols[0];
    if (d->kind == SL_SQL_T_NULL)
        return sl_buf_err(out); /* the caller writes a null */
    switch (c->types[0]->kind) {
    case SL_SQL_T_INT:
        sl_buf_put_i32(out, d->u.i32);
        break;
    case SL_SQL_T_BIGINT:
        sl_buf_put_i64(out, d->u.i64);
        break;
    case SL_SQL_T_DOUBLE:
        sl_buf_put_f64(out, d->u.f64);
        break;
    case SL_SQL_T_STRING:
    case SL_SQL_T_BYTES:
        sl_buf_put(out, d->u.s.ptr, d->u.s.len);
        break;
    default:
        return SL_ERR_INVAL;
    }
    return sl_buf_err(out);
}
