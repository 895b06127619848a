/*
 * buf.c - growable write buffer with a sticky out-of-memory error, and the
 * big-endian integer and varint puts the protocol encoders are built from.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"

#define BUF_MIN_CAP 64

void sl_buf_init(sl_buf_t *buf)
{
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
    buf->err = SL_OK;
}

void sl_buf_free(sl_buf_t *buf)
{
    if (!buf)
        return;
    free(buf->data);
    sl_buf_init(buf);
}

void sl_buf_reset(sl_buf_t *buf)
{
    buf->len = 0;
    buf->err = SL_OK;
}

sl_err_t sl_buf_reserve(sl_buf_t *buf, size_t extra)
{
    if (buf->err)
        return buf->err;
    if (buf->cap - buf->len >= extra)
        return SL_OK;
    /* No object may exceed PTRDIFF_MAX; refusing here also keeps the size
     * arithmetic below from wrapping. */
    if (extra > (size_t)PTRDIFF_MAX - buf->len) {
        buf->err = SL_ERR_NOMEM;
        return buf->err;
    }
    size_t want = buf->len + extra;
    size_t cap = buf->cap ? buf->cap : BUF_MIN_CAP;
    while (cap < want)
        cap = cap > (size_t)PTRDIFF_MAX / 2 ? want : cap * 2;
    uint8_t *d = realloc(buf->data, cap);
    if (!d) {
        buf->err = SL_ERR_NOMEM;
        return buf->err;
    }
    buf->data = d;
    buf->cap = cap;
    return SL_OK;
}

void sl_buf_put(sl_buf_t *buf, const void *p, size_t n)
{
    if (n == 0 || sl_buf_reserve(buf, n) != SL_OK)
        return;
    memcpy(buf->data + buf->len, p, n);
    buf->len += n;
}

uint8_t *sl_buf_put_space(sl_buf_t *buf, size_t n)
{
    if (sl_buf_reserve(buf, n) != SL_OK)
        return NULL;
    if (n == 0 && !buf->data && sl_buf_reserve(buf, 1) != SL_OK)
        return NULL; /* a valid pointer even for n == 0 */
    uint8_t *p = buf->data + buf->len;
    if (n)
        memset(p, 0, n);
    buf->len += n;
    return p;
}

static inline void put_be(sl_buf_t *buf, uint64_t v, size_t width)
{
    uint8_t b[8];
    for (size_t i = 0; i < width; i++)
        b[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
    sl_buf_put(buf, b, width);
}

void sl_buf_put_u8(sl_buf_t *buf, uint8_t v) { sl_buf_put(buf, &v, 1); }
void sl_buf_put_i8(sl_buf_t *buf, int8_t v) { put_be(buf, (uint8_t)v, 1); }
void sl_buf_put_i16(sl_buf_t *buf, int16_t v) { put_be(buf, (uint16_t)v, 2); }
void sl_buf_put_u16(sl_buf_t *buf, uint16_t v) { put_be(buf, v, 2); }
void sl_buf_put_i32(sl_buf_t *buf, int32_t v) { put_be(buf, (uint32_t)v, 4); }
void sl_buf_put_u32(sl_buf_t *buf, uint32_t v) { put_be(buf, v, 4); }
void sl_buf_put_i64(sl_buf_t *buf, int64_t v) { put_be(buf, (uint64_t)v, 8); }

void sl_buf_put_f64(sl_buf_t *buf, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    put_be(buf, bits, 8);
}

void sl_buf_put_uvarint(sl_buf_t *buf, uint64_t v)
{
    uint8_t b[SL_UVARINT_MAX];
    sl_buf_put(buf, b, sl_uvarint_encode(b, v));
}

void sl_buf_put_varint(sl_buf_t *buf, int64_t v) { sl_buf_put_uvarint(buf, sl_zigzag64(v)); }

void sl_buf_set_u32(sl_buf_t *buf, size_t pos, uint32_t v)
{
    if (buf->err)
        return;
    if (buf->len < 4 || pos > buf->len - 4) {
        assert(!"sl_buf_set_u32 outside the written bytes");
        return;
    }
    buf->data[pos] = (uint8_t)(v >> 24);
    buf->data[pos + 1] = (uint8_t)(v >> 16);
    buf->data[pos + 2] = (uint8_t)(v >> 8);
    buf->data[pos + 3] = (uint8_t)v;
}

void sl_buf_set_i32(sl_buf_t *buf, size_t pos, int32_t v) { sl_buf_set_u32(buf, pos, (uint32_t)v); }

void sl_buf_consume(sl_buf_t *buf, size_t n)
{
    if (n >= buf->len) {
        assert(n == buf->len || !"sl_buf_consume past the end");
        buf->len = 0;
        return;
    }
    memmove(buf->data, buf->data + n, buf->len - n);
    buf->len -= n;
}

uint8_t *sl_buf_detach(sl_buf_t *buf, size_t *len)
{
    uint8_t *d = buf->len ? buf->data : NULL;
    if (len)
        *len = d ? buf->len : 0;
    if (!d)
        free(buf->data);
    sl_buf_init(buf);
    return d;
}
