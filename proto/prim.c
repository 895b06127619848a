/*
 * prim.c - the out-of-line wire primitives behind the generated codec:
 * strings, bytes, array counts and primitive arrays (classic and compact
 * forms), tagged-field sections. The fixed-width readers are inline in
 * prim_int.h because every generated decoder calls them per field.
 */
#include <string.h>

#include "prim_int.h"

/* A length or count: int16/int32 classic, or uvarint N+1 compact. Returns
 * the value with -1 for null, or -2 after recording an error. */
static int64_t rd_len(sl_rd_t *rd, bool compact, bool wide)
{
    if (compact) {
        uint32_t u;
        if (!sl_wire_uvarint(rd, &u))
            return -2;
        return (int64_t)u - 1;
    }
    if (wide) {
        int32_t v;
        return sl_wire_i32(rd, &v) ? v : -2;
    }
    int16_t v;
    return sl_wire_i16(rd, &v) ? v : -2;
}

/* Checks a length just read: null allowed only when nullable, other
 * negatives and lengths past INT32_MAX are malformed. */
static bool len_ok(sl_rd_t *rd, int64_t n, bool nullable)
{
    if (n == -2 && rd->err != SL_OK)
        return false;
    if (n < -1 || (n == -1 && !nullable) || n > INT32_MAX) {
        sl_rd_fail(rd, SL_ERR_PARSE);
        return false;
    }
    return true;
}

bool sl_wire_str(sl_rd_t *rd, sl_kstr_t *out, bool compact, bool nullable)
{
    int64_t n = rd_len(rd, compact, false);
    if (!len_ok(rd, n, nullable))
        return false;
    if (n == -1) {
        out->ptr = NULL;
        out->len = -1;
        return true;
    }
    if (!sl_wire_need(rd, (size_t)n))
        return false;
    out->ptr = (const char *)rd->p;
    out->len = (int32_t)n;
    rd->p += n;
    return true;
}

bool sl_wire_bytes(sl_rd_t *rd, sl_kbytes_t *out, bool compact, bool nullable)
{
    int64_t n = rd_len(rd, compact, true);
    if (!len_ok(rd, n, nullable))
        return false;
    if (n == -1) {
        out->ptr = NULL;
        out->len = -1;
        return true;
    }
    if (!sl_wire_need(rd, (size_t)n))
        return false;
    out->ptr = rd->p;
    out->len = (int32_t)n;
    rd->p += n;
    return true;
}

bool sl_wire_arrlen(sl_rd_t *rd, int32_t *count, bool compact, bool nullable, size_t min_elem_size)
{
    int64_t n = rd_len(rd, compact, true);
    if (!len_ok(rd, n, nullable))
        return false;
    if (n > 0 && (uint64_t)n > sl_rd_left(rd) / (min_elem_size ? min_elem_size : 1)) {
        sl_rd_fail(rd, SL_ERR_TRUNCATED);
        return false;
    }
    *count = (int32_t)n;
    return true;
}

bool sl_wire_skip_tags(sl_rd_t *rd)
{
    uint32_t n, tag, size;
    if (!sl_wire_uvarint(rd, &n))
        return false;
    /* Each field takes at least two bytes, so the loop ends with the input. */
    while (n-- > 0) {
        if (!sl_wire_uvarint(rd, &tag) || !sl_wire_uvarint(rd, &size) || !sl_wire_need(rd, size))
            return false;
        rd->p += size;
    }
    return true;
}

/* Primitive arrays: the count check bounds the allocation by the input. */
#define RD_ARRAY(fname, atype, etype, minsz, readexpr)                                              \
    sl_err_t fname(sl_rd_t *rd, sl_arena_t *arena, atype *a, bool compact, bool nullable)        \
    {                                                                                              \
        if (!sl_wire_arrlen(rd, &a->count, compact, nullable, (minsz)))                           \
            return sl_wire_rd_err(rd);                                                             \
        a->items = NULL;                                                                           \
        if (a->count <= 0)                                                                         \
            return SL_OK;                                                                          \
        etype *it = sl_arena_alloc(arena, (size_t)a->count * sizeof(etype));                      \
        if (!it)                                                                                   \
            return SL_ERR_NOMEM;                                                                   \
        for (int32_t i = 0; i < a->count; i++) {                                                   \
            if (!(readexpr))                                                                       \
                return sl_wire_rd_err(rd);                                                         \
        }                                                                                          \
        a->items = it;                                                                             \
        return SL_OK;                                                                              \
    }

RD_ARRAY(sl_wire_rd_bools, sl_bool_array_t, bool, 1, sl_wire_bool(rd, &it[i]))
RD_ARRAY(sl_wire_rd_i8s, sl_int8_array_t, int8_t, 1, sl_wire_i8(rd, &it[i]))
RD_ARRAY(sl_wire_rd_i16s, sl_int16_array_t, int16_t, 2, sl_wire_i16(rd, &it[i]))
RD_ARRAY(sl_wire_rd_u16s, sl_uint16_array_t, uint16_t, 2, sl_wire_u16(rd, &it[i]))
RD_ARRAY(sl_wire_rd_i32s, sl_int32_array_t, int32_t, 4, sl_wire_i32(rd, &it[i]))
RD_ARRAY(sl_wire_rd_u32s, sl_uint32_array_t, uint32_t, 4, sl_wire_u32(rd, &it[i]))
RD_ARRAY(sl_wire_rd_i64s, sl_int64_array_t, int64_t, 8, sl_wire_i64(rd, &it[i]))
RD_ARRAY(sl_wire_rd_f64s, sl_float64_array_t, double, 8, sl_wire_f64(rd, &it[i]))
RD_ARRAY(sl_wire_rd_uuids, sl_uuid_array_t, sl_uuid_t, 16, sl_wire_uuid(rd, &it[i]))
RD_ARRAY(sl_wire_rd_strs, sl_kstr_array_t, sl_kstr_t, compact ? 1 : 2, sl_wire_str(rd, &it[i], compact, false))
RD_ARRAY(sl_wire_rd_bytess, sl_kbytes_array_t, sl_kbytes_t, compact ? 1 : 4,
         sl_wire_bytes(rd, &it[i], compact, false))

/* ---- writing ---------------------------------------------------------- */

static void put_len(sl_buf_t *buf, int32_t n, bool compact, bool wide)
{
    if (compact)
        sl_buf_put_uvarint(buf, (uint64_t)((int64_t)n + 1));
    else if (wide)
        sl_buf_put_i32(buf, n);
    else
        sl_buf_put_i16(buf, (int16_t)n);
}

sl_err_t sl_wire_put_str(sl_buf_t *buf, const sl_kstr_t *s, bool compact, bool nullable)
{
    if (s->len < -1 || (s->len == -1 && !nullable) || (!compact && s->len > INT16_MAX) ||
        (s->len > 0 && !s->ptr))
        return SL_ERR_INVAL;
    put_len(buf, s->len, compact, false);
    if (s->len > 0)
        sl_buf_put(buf, s->ptr, (size_t)s->len);
    return SL_OK;
}

sl_err_t sl_wire_put_bytes(sl_buf_t *buf, const sl_kbytes_t *b, bool compact, bool nullable)
{
    if (b->len < -1 || (b->len == -1 && !nullable) || (b->len > 0 && !b->ptr))
        return SL_ERR_INVAL;
    put_len(buf, b->len, compact, true);
    if (b->len > 0)
        sl_buf_put(buf, b->ptr, (size_t)b->len);
    return SL_OK;
}

sl_err_t sl_wire_put_arrlen(sl_buf_t *buf, int32_t count, const void *items, bool compact, bool nullable)
{
    if (count < -1 || (count == -1 && !nullable) || (count > 0 && !items))
        return SL_ERR_INVAL;
    put_len(buf, count, compact, true);
    return SL_OK;
}

size_t sl_wire_tag_begin(sl_buf_t *buf, uint32_t tag)
{
    sl_buf_put_uvarint(buf, tag);
    return buf->len;
}

void sl_wire_tag_end(sl_buf_t *buf, size_t start)
{
    uint8_t hdr[SL_UVARINT_MAX];
    if (sl_buf_err(buf) != SL_OK)
        return;
    size_t n = buf->len - start;
    size_t k = sl_uvarint_encode(hdr, n);
    /* Make room for the size in front of the value just written. */
    if (sl_buf_put_space(buf, k) == NULL)
        return;
    memmove(buf->data + start + k, buf->data + start, n);
    memcpy(buf->data + start, hdr, k);
}

#define PUT_ARRAY(fname, atype, putstmt)                                                     \
    sl_err_t fname(sl_buf_t *buf, const atype *a, bool compact, bool nullable)              \
    {                                                                                        \
        sl_err_t err = sl_wire_put_arrlen(buf, a->count, a->items, compact, nullable);      \
        for (int32_t i = 0; err == SL_OK && i < a->count; i++)                               \
            putstmt;                                                                         \
        return err;                                                                          \
    }

PUT_ARRAY(sl_wire_put_bools, sl_bool_array_t, sl_buf_put_u8(buf, a->items[i] ? 1 : 0))
PUT_ARRAY(sl_wire_put_i8s, sl_int8_array_t, sl_buf_put_i8(buf, a->items[i]))
PUT_ARRAY(sl_wire_put_i16s, sl_int16_array_t, sl_buf_put_i16(buf, a->items[i]))
PUT_ARRAY(sl_wire_put_u16s, sl_uint16_array_t, sl_buf_put_u16(buf, a->items[i]))
PUT_ARRAY(sl_wire_put_i32s, sl_int32_array_t, sl_buf_put_i32(buf, a->items[i]))
PUT_ARRAY(sl_wire_put_u32s, sl_uint32_array_t, sl_buf_put_u32(buf, a->items[i]))
PUT_ARRAY(sl_wire_put_i64s, sl_int64_array_t, sl_buf_put_i64(buf, a->items[i]))
PUT_ARRAY(sl_wire_put_f64s, sl_float64_array_t, sl_buf_put_f64(buf, a->items[i]))
PUT_ARRAY(sl_wire_put_uuids, sl_uuid_array_t, sl_buf_put(buf, a->items[i].b, 16))
PUT_ARRAY(sl_wire_put_strs, sl_kstr_array_t, err = sl_wire_put_str(buf, &a->items[i], compact, false))
PUT_ARRAY(sl_wire_put_bytess, sl_kbytes_array_t, err = sl_wire_put_bytes(buf, &a->items[i], compact, false))

char *sl_kstr_dup(sl_arena_t *arena, sl_kstr_t s)
{
    if (s.len < 0)
        return NULL;
    return sl_arena_strndup(arena, s.len ? s.ptr : "", (size_t)s.len);
}
