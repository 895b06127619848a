/*
 * records_test_util.h - helpers for the record batch tests: an independent
 * bitwise CRC-32C (checked against the standard vector by the tests that use
 * it), CRC repair after deliberate edits, a small deterministic PRNG, and
 * loading a blob from a file.
 */
#ifndef SL_TEST_RECORDS_UTIL_H
#define SL_TEST_RECORDS_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "records.h"

/* Reflected CRC-32C, one bit at a time: slow, obvious, independent of base/. */
static inline uint32_t t_crc32c(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        crc ^= b[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static inline void t_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint32_t t_get_u32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Recomputes the CRC of the batch at b[0..n) (n = whole batch). */
static inline void t_fix_crc(uint8_t *b, size_t n)
{
    t_put_u32(b + SL_BATCH_OFF_CRC, t_crc32c(b + SL_BATCH_OFF_ATTRIBUTES, n - SL_BATCH_OFF_ATTRIBUTES));
}

/* xorshift64*: deterministic, so failures reproduce. */
static inline uint64_t t_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dull;
}

/* Reads a whole file into a malloc'ed buffer (caller frees). NULL on error. */
static inline uint8_t *t_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *data = NULL;
    size_t cap = 0, n = 0;
    for (int guard = 0; guard < 1 << 16; guard++) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *d = realloc(data, cap);
            if (!d) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = d;
        }
        size_t r = fread(data + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    *len = n;
    return data;
}

#endif /* SL_TEST_RECORDS_UTIL_H */
