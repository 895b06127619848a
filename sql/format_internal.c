/*
 * format_internal.c - the internal row encoding of state stores,
 * repartition topics and changelogs: compact, self-describing, exact.
 *
 *   row    uvarint column count, then each column's datum
 *   datum  one byte: its kind (SL_SQL_T_NULL for NULL), then
 *          BOOLEAN 1 byte; INT, DATE zigzag varint; BIGINT, TIMESTAMP,
 *          TIME zigzag varlong; DOUBLE 8 bytes IEEE 754; DECIMAL a scale
 *          byte and the unscaled value as 16 bytes big-endian; STRING,
 *          BYTES uvarint length and the bytes; ARRAY, STRUCT uvarint count
 *          and the items; MAP uvarint count and key, value pairs
 *
 * The datum's own kind is written, not the column type's, so every datum
 * reads back exactly as it was. Reading bounds every count by the bytes
 * left and nesting by SL_SQL_INTERNAL_MAX_DEPTH; strings and bytes point
 * into the record's bytes.
 */
#include <string.h>

#include "format_int.h"
#include "streams.h"

#define SL_SQL_INTERNAL_MAX_DEPTH 64

typedef struct internal_serde {
    sl_serde_t serde;
    const sl_sql_type_t *const *types;
    uint32_t n;
} internal_serde_t;

static void put_datum(sl_buf_t *out, const sl_sql_datum_t *d, int depth)
{
    sl_buf_put_u8(out, d->kind);
    switch ((sl_sql_tkind_t)d->kind) {
    case SL_SQL_T_NULL:
        break;
    case SL_SQL_T_BOOLEAN:
        sl_buf_put_u8(out, d->u.b ? 1 : 0);
        break;
    case SL_SQL_T_INT:
    case SL_SQL_T_DATE:
        sl_buf_put_varint(out, d->u.i32);
        break;
    case SL_SQL_T_BIGINT:
    case SL_SQL_T_TIMESTAMP:
    case SL_SQL_T_TIME:
        sl_buf_put_varint(out, d->u.i64);
        break;
    case SL_SQL_T_DOUBLE:
        sl_buf_put_f64(out, d->u.f64);
        break;
    case SL_SQL_T_DECIMAL:
        sl_buf_put_u8(out, d->scale);
        sl_buf_put_i64(out, (int64_t)(d->u.dec >> 64));
        sl_buf_put_i64(out, (int64_t)(uint64_t)d->u.dec);
        break;
    case SL_SQL_T_STRING:
    case SL_SQL_T_BYTES:
        sl_buf_put_uvarint(out, d->u.s.len);
        sl_buf_put(out, d->u.s.ptr, d->u.s.len);
        break;
    case SL_SQL_T_ARRAY:
    case SL_SQL_T_STRUCT:
    case SL_SQL_T_MAP: {
        uint32_t items = d->kind == SL_SQL_T_MAP ? 2 * d->u.a.n : d->u.a.n;
        sl_buf_put_uvarint(out, d->u.a.n);
        if (depth >= SL_SQL_INTERNAL_MAX_DEPTH) {
            out->err = out->err ? out->err : SL_ERR_INVAL;
            return;
        }
        for (uint32_t i = 0; i < items; i++)
            put_datum(out, &d->u.a.items[i], depth + 1);
        break;
    }
    default:
        out->err = out->err ? out->err : SL_ERR_INVAL;
        break;
    }
}

static void get_datum(sl_rd_t *rd, sl_arena_t *arena, sl_sql_datum_t *d, int depth)
{
    memset(d, 0, sizeof *d);
    uint8_t kind = sl_rd_u8(rd);
    if (!sl_rd_ok(rd))
        return;
    d->kind = kind;
    switch ((sl_sql_tkind_t)kind) {
    case SL_SQL_T_NULL:
        break;
    case SL_SQL_T_BOOLEAN: {
        uint8_t b = sl_rd_u8(rd);
        if (b > 1)
            sl_rd_fail(rd, SL_ERR_PARSE);
        d->u.b = b == 1;
        break;
    }
    case SL_SQL_T_INT:
    case SL_SQL_T_DATE: {
        int64_t v = sl_rd_varlong(rd);
        if (v < INT32_MIN || v > INT32_MAX)
            sl_rd_fail(rd, SL_ERR_PARSE);
        d->u.i32 = (int32_t)v;
        break;
    }
    case SL_SQL_T_BIGINT:
    case SL_SQL_T_TIMESTAMP:
    case SL_SQL_T_TIME:
        d->u.i64 = sl_rd_varlong(rd);
        break;
    case SL_SQL_T_DOUBLE:
        d->u.f64 = sl_rd_f64(rd);
        break;
    case SL_SQL_T_DECIMAL: {
        d->scale = sl_rd_u8(rd);
        uint64_t hi = (uint64_t)sl_rd_i64(rd);
        uint64_t lo = (uint64_t)sl_rd_i64(rd);
        d->u.dec = (sl_sql_i128_t)(((unsigned __int128)hi << 64) | lo);
        if (d->scale > 38)
            sl_rd_fail(rd, SL_ERR_PARSE);
        break;
    }
    case SL_SQL_T_STRING:
    case SL_SQL_T_BYTES: {
        uint64_t n = sl_rd_uvarlong(rd);
        if (n > sl_rd_left(rd)) {
            sl_rd_fail(rd, SL_ERR_TRUNCATED);
            break;
        }
        d->u.s.ptr = (const char *)sl_rd_take(rd, (size_t)n);
        d->u.s.len = (uint32_t)n;
        break;
    }
    case SL_SQL_T_ARRAY:
    case SL_SQL_T_STRUCT:
    case SL_SQL_T_MAP: {
        uint64_t n = sl_rd_uvarlong(rd);
        uint64_t items = kind == SL_SQL_T_MAP ? 2 * n : n;
        /* every datum takes at least one byte */
        if (n > UINT32_MAX / 2 || items > sl_rd_left(rd) || depth >= SL_SQL_INTERNAL_MAX_DEPTH) {
            sl_rd_fail(rd, SL_ERR_PARSE);
            break;
        }
        sl_sql_datum_t *it = sl_arena_alloc(arena, (items ? items : 1) * sizeof *it);
        if (!it) {
            sl_rd_fail(rd, SL_ERR_NOMEM);
            break;
        }
        for (uint64_t i = 0; i < items && sl_rd_ok(rd); i++)
            get_datum(rd, arena, &it[i], depth + 1);
        d->u.a.items = it;
        d->u.a.n = (uint32_t)n;
        break;
    }
    default:
        sl_rd_fail(rd, SL_ERR_PARSE);
        break;
    }
}

static sl_err_t internal_ser(const sl_val_t *v, sl_buf_t *out, void *arg)
{
    (void)arg;
    if (v->type != SL_V_PTR || !v->u.ptr)
        return SL_ERR_INVAL;
    const sl_sql_row_t *row = v->u.ptr;
    sl_buf_put_uvarint(out, row->n);
    for (uint32_t i = 0; i < row->n; i++)
        put_datum(out, &row->cols[i], 0);
    return sl_buf_err(out);
}

static sl_err_t internal_de(const uint8_t *p, size_t n, sl_arena_t *arena, sl_val_t *out, void *arg)
{
    const internal_serde_t *s = arg;
    sl_rd_t rd;
    sl_rd_init(&rd, p, n);
    uint64_t cols = sl_rd_uvarlong(&rd);
    if (!sl_rd_ok(&rd) || cols != s->n || cols > sl_rd_left(&rd))
        return SL_ERR_PARSE;
    sl_sql_row_t *row = sl_arena_alloc(arena, sizeof *row);
    sl_sql_datum_t *c = sl_arena_zalloc(arena, (cols ? cols : 1) * sizeof *c);
    if (!row || !c)
        return SL_ERR_NOMEM;
    row->n = (uint32_t)cols;
    row->cols = c;
    for (uint32_t i = 0; i < cols && sl_rd_ok(&rd); i++)
        get_datum(&rd, arena, &row->cols[i], 0);
    if (!sl_rd_ok(&rd))
        return rd.err == SL_ERR_NOMEM ? SL_ERR_NOMEM : SL_ERR_PARSE;
    if (sl_rd_left(&rd))
        return SL_ERR_PARSE;
    *out = sl_val_ptr(row);
    return SL_OK;
}

const struct sl_serde *sl_sql_internal_serde(sl_arena_t *arena, const sl_sql_type_t *const *types, uint32_t n)
{
    internal_serde_t *s = sl_arena_zalloc(arena, sizeof *s);
    if (!s)
        return NULL;
    s->types = types;
    s->n = n;
    s->serde.name = "SqlRow";
    s->serde.type = SL_V_PTR;
    s->serde.ser = internal_ser;
    s->serde.de = internal_de;
    s->serde.arg = s;
    return &s->serde;
}
