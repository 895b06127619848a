/*
 * varint.c - unsigned LEB128 varints as Kafka and protobuf write them: seven
 * bits per byte, least significant group first, high bit set on every byte
 * but the last.
 */
#include "base.h"

size_t sl_uvarint_encode(uint8_t *out, uint64_t v)
{
    size_t i = 0;
    while (v >= 0x80) {
        out[i++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[i++] = (uint8_t)v;
    return i;
}

size_t sl_uvarint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

size_t sl_uvarint_decode(const uint8_t *p, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && i < SL_UVARINT_MAX; i++) {
        uint8_t b = p[i];
        /* The tenth byte holds bit 63 only. */
        if (i == SL_UVARINT_MAX - 1 && b > 1)
            return 0;
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            return i + 1;
        }
    }
    return 0;
}
