/*
 * rd.c - bounds-checked big-endian reader over borrowed bytes. The first error
 * sticks and moves the position to the end, so every later read fails fast
 * and a decoder checks once after a run of fields.
 */
#include <string.h>

#include "base.h"

void sl_rd_init(sl_rd_t *rd, const void *p, size_t n)
{
    rd->p = p;
    /* NULL + 0 is undefined, so only offset a real pointer. */
    rd->end = n ? rd->p + n : rd->p;
    rd->err = SL_OK;
}

void sl_rd_fail(sl_rd_t *rd, sl_err_t err)
{
    if (rd->err == SL_OK)
        rd->err = err;
    rd->p = rd->end;
}

/* The next n bytes, or NULL after recording SL_ERR_TRUNCATED. */
static inline const uint8_t *rd_need(sl_rd_t *rd, size_t n)
{
    if (SL_UNLIKELY(sl_rd_left(rd) < n)) {
        sl_rd_fail(rd, SL_ERR_TRUNCATED);
        return NULL;
    }
    const uint8_t *q = rd->p;
    if (n)
        rd->p += n;
    return q;
}

static inline uint64_t rd_be(sl_rd_t *rd, size_t width)
{
    const uint8_t *q = rd_need(rd, width);
    if (!q)
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < width; i++)
        v = (v << 8) | q[i];
    return v;
}

uint8_t sl_rd_u8(sl_rd_t *rd) { return (uint8_t)rd_be(rd, 1); }
int8_t sl_rd_i8(sl_rd_t *rd) { return (int8_t)rd_be(rd, 1); }
int16_t sl_rd_i16(sl_rd_t *rd) { return (int16_t)rd_be(rd, 2); }
uint16_t sl_rd_u16(sl_rd_t *rd) { return (uint16_t)rd_be(rd, 2); }
int32_t sl_rd_i32(sl_rd_t *rd) { return (int32_t)rd_be(rd, 4); }
uint32_t sl_rd_u32(sl_rd_t *rd) { return (uint32_t)rd_be(rd, 4); }
int64_t sl_rd_i64(sl_rd_t *rd) { return (int64_t)rd_be(rd, 8); }

double sl_rd_f64(sl_rd_t *rd)
{
    uint64_t bits = rd_be(rd, 8);
    double d;
    memcpy(&d, &bits, sizeof(d));
    return d;
}

/* A varint of at most max_bytes whose last byte may hold at most last_max
 * (the bits that still fit). Running out of input is SL_ERR_TRUNCATED; a
 * continuation bit or excess bits on the last allowed byte is SL_ERR_PARSE. */
static uint64_t rd_varint(sl_rd_t *rd, size_t max_bytes, uint8_t last_max)
{
    uint64_t v = 0;
    for (size_t i = 0; i < max_bytes; i++) {
        if (SL_UNLIKELY(rd->p == rd->end)) {
            sl_rd_fail(rd, SL_ERR_TRUNCATED);
            return 0;
        }
        uint8_t b = *rd->p;
        if (i == max_bytes - 1 && b > last_max) {
            sl_rd_fail(rd, SL_ERR_PARSE);
            return 0;
        }
        rd->p++;
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80))
            return v;
    }
    return 0; /* not reached: the last byte either ends or fails above */
}

/* 5 bytes carry 35 bits; the fifth may add only bits 28..31. */
uint32_t sl_rd_uvarint(sl_rd_t *rd) { return (uint32_t)rd_varint(rd, 5, 0x0f); }
int32_t sl_rd_varint(sl_rd_t *rd) { return sl_unzigzag32((uint32_t)rd_varint(rd, 5, 0x0f)); }
/* 10 bytes carry 70 bits; the tenth may add only bit 63. */
uint64_t sl_rd_uvarlong(sl_rd_t *rd) { return rd_varint(rd, 10, 0x01); }
int64_t sl_rd_varlong(sl_rd_t *rd) { return sl_unzigzag64(rd_varint(rd, 10, 0x01)); }

const uint8_t *sl_rd_take(sl_rd_t *rd, size_t n)
{
    if (n == 0)
        return rd->p;
    return rd_need(rd, n);
}

void sl_rd_skip(sl_rd_t *rd, size_t n) { (void)rd_need(rd, n); }

sl_rd_t sl_rd_sub(sl_rd_t *rd, size_t n)
{
    sl_rd_t sub;
    if (sl_rd_left(rd) < n)
        sl_rd_fail(rd, SL_ERR_TRUNCATED);
    if (rd->err) {
        /* Empty, carrying the parent's error (the first one wins there too). */
        sub.p = sub.end = rd->end;
        sub.err = rd->err;
        return sub;
    }
    sl_rd_init(&sub, rd->p, n);
    if (n)
        rd->p += n;
    return sub;
}
