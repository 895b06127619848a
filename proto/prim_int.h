/*
 * prim_int.h - wire primitives of the message codec, internal to libsluice-proto:
 * what the generated code in gen/ is written in. Readers work on sl_rd_t and
 * share its sticky error; the SLW_* macros jump to the decoder's err_parse
 * label on failure (the pattern of librdkafka's rdkafka_buf.h), so generated
 * decoders read like the field list. Writers append to sl_buf_t and return
 * sl_err_t for the checks Kafka's serializer makes (nulls, lengths).
 */
#ifndef SL_PROTO_PRIM_INT_H
#define SL_PROTO_PRIM_INT_H

#include <string.h>

#include "proto.h"

/* ---- reading ---------------------------------------------------------- */

/* true when n more bytes are there; otherwise records SL_ERR_TRUNCATED. */
static inline bool sl_wire_need(sl_rd_t *rd, size_t n)
{
    if (SL_LIKELY(sl_rd_left(rd) >= n))
        return true;
    sl_rd_fail(rd, SL_ERR_TRUNCATED);
    return false;
}

static inline uint16_t sl_wire_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t sl_wire_be32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return __builtin_bswap32(v);
}
static inline uint64_t sl_wire_be64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

static inline bool sl_wire_bool(sl_rd_t *rd, bool *v)
{
    if (!sl_wire_need(rd, 1))
        return false;
    *v = *rd->p++ != 0;
    return true;
}
static inline bool sl_wire_i8(sl_rd_t *rd, int8_t *v)
{
    if (!sl_wire_need(rd, 1))
        return false;
    *v = (int8_t)*rd->p++;
    return true;
}
static inline bool sl_wire_i16(sl_rd_t *rd, int16_t *v)
{
    if (!sl_wire_need(rd, 2))
        return false;
    *v = (int16_t)sl_wire_be16(rd->p);
    rd->p += 2;
    return true;
}
static inline bool sl_wire_u16(sl_rd_t *rd, uint16_t *v)
{
    if (!sl_wire_need(rd, 2))
        return false;
    *v = sl_wire_be16(rd->p);
    rd->p += 2;
    return true;
}
static inline bool sl_wire_i32(sl_rd_t *rd, int32_t *v)
{
    if (!sl_wire_need(rd, 4))
        return false;
    *v = (int32_t)sl_wire_be32(rd->p);
    rd->p += 4;
    return true;
}
static inline bool sl_wire_u32(sl_rd_t *rd, uint32_t *v)
{
    if (!sl_wire_need(rd, 4))
        return false;
    *v = sl_wire_be32(rd->p);
    rd->p += 4;
    return true;
}
static inline bool sl_wire_i64(sl_rd_t *rd, int64_t *v)
{
    if (!sl_wire_need(rd, 8))
        return false;
    *v = (int64_t)sl_wire_be64(rd->p);
    rd->p += 8;
    return true;
}
static inline bool sl_wire_f64(sl_rd_t *rd, double *v)
{
    if (!sl_wire_need(rd, 8))
        return false;
    uint64_t bits = sl_wire_be64(rd->p);
    memcpy(v, &bits, 8);
    rd->p += 8;
    return true;
}
static inline bool sl_wire_uuid(sl_rd_t *rd, sl_uuid_t *v)
{
    if (!sl_wire_need(rd, 16))
        return false;
    memcpy(v->b, rd->p, 16);
    rd->p += 16;
    return true;
}
/* Unsigned varint up to UINT32_MAX (one-byte fast path). */
static inline bool sl_wire_uvarint(sl_rd_t *rd, uint32_t *v)
{
    if (SL_LIKELY(rd->p < rd->end && *rd->p < 0x80)) {
        *v = *rd->p++;
        return true;
    }
    *v = sl_rd_uvarint(rd);
    return rd->err == SL_OK;
}

/* Strings and bytes: int16 (strings) or int32 (bytes) length, or in compact
 * form a uvarint of length + 1 with 0 for null. Zero-copy into *out. */
bool sl_wire_str(sl_rd_t *rd, sl_kstr_t *out, bool compact, bool nullable);
bool sl_wire_bytes(sl_rd_t *rd, sl_kbytes_t *out, bool compact, bool nullable);
/* An array count (int32, or compact uvarint count + 1). A count above
 * (bytes left) / min_elem_size is SL_ERR_TRUNCATED: the check that keeps
 * hostile counts from allocating. min_elem_size must be >= 1. */
bool sl_wire_arrlen(sl_rd_t *rd, int32_t *count, bool compact, bool nullable, size_t min_elem_size);
/* Skips a whole tagged-field section (struct with no known tags). */
bool sl_wire_skip_tags(sl_rd_t *rd);
/* The error to return after a failed read (never SL_OK). */
static inline sl_err_t sl_wire_rd_err(const sl_rd_t *rd) { return rd->err != SL_OK ? rd->err : SL_ERR_PARSE; }

/* Arrays of primitives: count as sl_wire_arrlen, then the elements into
 * arena. Return SL_OK, the reader's error, or SL_ERR_NOMEM. */
sl_err_t sl_wire_rd_bools(sl_rd_t *rd, sl_arena_t *arena, sl_bool_array_t *a, bool compact, bool nullable);
sl_err_t sl_wire_rd_i8s(sl_rd_t *rd, sl_arena_t *arena, sl_int8_array_t *a, bool compact, bool nullable);
sl_err_t sl_wire_rd_i16s(sl_rd_t *rd, sl_arena_t *arena, sl_int16_array_t *a, bool compact, bool nullable);
sl_err_t sl_wire_rd_u16s(sl_rd_t *rd, sl_arena_t *arena, sl_uint16_array_t *a, bool compact, bool nullable);
sl_err_t sl_wire_rd_i32s(sl_rd_t *rd, sl_arena_t *arena, sl_int32_array_t *a, bool compact, bool nullable);
sl_err_t sl_wire_rd_u32s(sl_rd_t *rd, sl_arena_t *arena, sl_uint32_array_t *a, bool compact, bool nullable);
sl_err_t sl_wire_rd_i64s(sl_rd_t *rd, sl_arena_t *arena, sl_int64_array_t *a, bool compact, bool nullable);
sl_err_t sl_wire_rd_f64s(sl_rd_t *rd, sl_arena_t *arena, sl_float64_array_t *a, bool compact, bool nullable);
sl_err_t sl_wire_rd_uuids(sl_rd_t *rd, sl_arena_t *arena, sl_uuid_array_t *a, bool compact, bool nullable);
sl_err_t sl_wire_rd_strs(sl_rd_t *rd, sl_arena_t *arena, sl_kstr_array_t *a, bool compact, bool nullable);
sl_err_t sl_wire_rd_bytess(sl_rd_t *rd, sl_arena_t *arena, sl_kbytes_array_t *a, bool compact, bool nullable);

/* Decoder macros: on failure jump to the function's err_parse label, which
 * returns sl_wire_rd_err(rd). */
#define SLW_OK_(ok) do { if (SL_UNLIKELY(!(ok))) goto err_parse; } while (0)
#define SLW_BOOL(rd, dst) SLW_OK_(sl_wire_bool((rd), &(dst)))
#define SLW_I8(rd, dst) SLW_OK_(sl_wire_i8((rd), &(dst)))
#define SLW_I16(rd, dst) SLW_OK_(sl_wire_i16((rd), &(dst)))
#define SLW_U16(rd, dst) SLW_OK_(sl_wire_u16((rd), &(dst)))
#define SLW_I32(rd, dst) SLW_OK_(sl_wire_i32((rd), &(dst)))
#define SLW_U32(rd, dst) SLW_OK_(sl_wire_u32((rd), &(dst)))
#define SLW_I64(rd, dst) SLW_OK_(sl_wire_i64((rd), &(dst)))
#define SLW_F64(rd, dst) SLW_OK_(sl_wire_f64((rd), &(dst)))
#define SLW_UUID(rd, dst) SLW_OK_(sl_wire_uuid((rd), &(dst)))
#define SLW_UVAR(rd, dst) SLW_OK_(sl_wire_uvarint((rd), &(dst)))
#define SLW_STR(rd, dst, compact, nullable) SLW_OK_(sl_wire_str((rd), &(dst), (compact), (nullable)))
#define SLW_BYTES(rd, dst, compact, nullable) SLW_OK_(sl_wire_bytes((rd), &(dst), (compact), (nullable)))
#define SLW_ARRLEN(rd, dst, compact, nullable, minsz) \
    SLW_OK_(sl_wire_arrlen((rd), &(dst), (compact), (nullable), (minsz)))
#define SLW_NEED(rd, n) SLW_OK_(sl_wire_need((rd), (n)))
#define SLW_SKIP_TAGS(rd) SLW_OK_(sl_wire_skip_tags(rd))
/* Returns the error of a call that gives sl_err_t. */
#define SLW_TRY(expr) \
    do { sl_err_t slw_e_ = (expr); if (SL_UNLIKELY(slw_e_ != SL_OK)) return slw_e_; } while (0)

/* ---- writing ---------------------------------------------------------- */

sl_err_t sl_wire_put_str(sl_buf_t *buf, const sl_kstr_t *s, bool compact, bool nullable);
sl_err_t sl_wire_put_bytes(sl_buf_t *buf, const sl_kbytes_t *b, bool compact, bool nullable);
/* Array count; items is only checked for NULL when count > 0. */
sl_err_t sl_wire_put_arrlen(sl_buf_t *buf, int32_t count, const void *items, bool compact, bool nullable);
/* A tagged field: begin writes the tag and returns where the value starts;
 * end inserts the value's size (uvarint) before it. */
size_t sl_wire_tag_begin(sl_buf_t *buf, uint32_t tag);
void sl_wire_tag_end(sl_buf_t *buf, size_t start);
static inline bool sl_wire_uuid_is_zero(const sl_uuid_t *u)
{
    static const sl_uuid_t zero;
    return memcmp(u->b, zero.b, 16) == 0;
}
static inline bool sl_wire_str_is(const sl_kstr_t *s, const char *c, int32_t n)
{
    return s->len == n && (n == 0 || memcmp(s->ptr, c, (size_t)n) == 0);
}

sl_err_t sl_wire_put_bools(sl_buf_t *buf, const sl_bool_array_t *a, bool compact, bool nullable);
sl_err_t sl_wire_put_i8s(sl_buf_t *buf, const sl_int8_array_t *a, bool compact, bool nullable);
sl_err_t sl_wire_put_i16s(sl_buf_t *buf, const sl_int16_array_t *a, bool compact, bool nullable);
sl_err_t sl_wire_put_u16s(sl_buf_t *buf, const sl_uint16_array_t *a, bool compact, bool nullable);
sl_err_t sl_wire_put_i32s(sl_buf_t *buf, const sl_int32_array_t *a, bool compact, bool nullable);
sl_err_t sl_wire_put_u32s(sl_buf_t *buf, const sl_uint32_array_t *a, bool compact, bool nullable);
sl_err_t sl_wire_put_i64s(sl_buf_t *buf, const sl_int64_array_t *a, bool compact, bool nullable);
sl_err_t sl_wire_put_f64s(sl_buf_t *buf, const sl_float64_array_t *a, bool compact, bool nullable);
sl_err_t sl_wire_put_uuids(sl_buf_t *buf, const sl_uuid_array_t *a, bool compact, bool nullable);
sl_err_t sl_wire_put_strs(sl_buf_t *buf, const sl_kstr_array_t *a, bool compact, bool nullable);
sl_err_t sl_wire_put_bytess(sl_buf_t *buf, const sl_kbytes_array_t *a, bool compact, bool nullable);

/* Cuts buf back to start after a failed encode (unless it ran out of memory,
 * which is sticky anyway) and returns err. */
static inline sl_err_t sl_wire_enc_done(sl_buf_t *buf, size_t start, sl_err_t err)
{
    if (err == SL_OK)
        return sl_buf_err(buf);
    if (sl_buf_err(buf) == SL_OK)
        buf->len = start;
    return err;
}

/* ---- the generated tables (gen/api_table.c) --------------------------- */

extern const sl_api_t sl_gen_apis[];
extern const size_t sl_gen_api_count;
extern const sl_api_t *const sl_gen_api_by_key[];
extern const int16_t sl_gen_api_key_max;
extern const sl_msg_desc_t *const sl_gen_msgs[];
extern const size_t sl_gen_msg_count;

#endif /* SL_PROTO_PRIM_INT_H */
