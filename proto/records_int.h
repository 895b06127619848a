/*
 * records_int.h - helpers shared by the record batch files (batch_read.c,
 * batch_write.c, batch_patch.c, compress.c). Private to libsluice-proto.
 */
#ifndef SL_PROTO_RECORDS_INT_H
#define SL_PROTO_RECORDS_INT_H

#include <stdarg.h>
#include <stdio.h>

#include "records.h"

/* Writes a sentence into errbuf[0..errlen) when errbuf is given. */
static inline SL_PRINTF(3, 4) void sl_rec_errf(char *errbuf, size_t errlen, const char *fmt, ...)
{
    if (!errbuf || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
}

static inline uint32_t sl_rec_get_u32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void sl_rec_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void sl_rec_put_u64(uint8_t *p, uint64_t v)
{
    sl_rec_put_u32(p, (uint32_t)(v >> 32));
    sl_rec_put_u32(p + 4, (uint32_t)v);
}

/* Bytes of a zigzag varint. */
static inline size_t sl_rec_varint_size(int64_t v) { return sl_uvarint_size(sl_zigzag64(v)); }

#endif /* SL_PROTO_RECORDS_INT_H */
