/*
 * crc32c.c - CRC-32C (Castagnoli). The SSE4.2 crc32 instruction computes
 * exactly this CRC eight bytes at a time; without it, slicing-by-8 tables
 * process eight bytes per step in software. Tables and constants are built
 * once on first use; the CPU check happens at the same time.
 *
 * One chain of crc32 instructions is bound by the instruction's latency
 * (3 cycles, while the CPU can start one per cycle), so large buffers are cut
 * into three equal blocks whose CRCs run as three independent chains, and the
 * three results are merged: CRC(A|B|C) = shift(CRC(A), |B|+|C|) ^
 * shift(CRC_0(B), |C|) ^ CRC_0(C), where CRC_0 starts from a zero register and
 * shift(c, n) is c * x^(8n) mod P, the register after n more zero bytes. The
 * shift is a carry-less multiply (PCLMULQDQ) by a constant followed by one
 * crc32 instruction, which reduces the 64-bit product modulo P. The constants
 * depend only on the block sizes and are derived from the polynomial in
 * crc_init, so there is no table to trust.
 */
#include <pthread.h>
#include <string.h>

#include "base.h"

#if defined(__x86_64__)
#include <nmmintrin.h>
#include <wmmintrin.h>
#define CRC32C_HAVE_X86 1
#endif

#define CRC32C_POLY 0x82f63b78u /* reflected 0x1EDC6F41 */

/* Bytes per stream of the three-way path, largest first. A buffer takes as
 * many chunks of the largest size as fit, then at most one chunk of each
 * smaller size, then what is left (under 3 * 64 bytes) goes one chain. A
 * merge costs roughly what 15-20 words of one chain cost, under 1% of a
 * largest chunk. All sizes are multiples of 8. */
static const size_t crc3_block[] = {16384, 8192, 4096, 2048, 1024, 512, 256, 128, 64};
#define CRC3_TIERS (sizeof(crc3_block) / sizeof(crc3_block[0]))
/* Shorter buffers keep the single chain. Measured: from 192 to 320 bytes the
 * three-way path lowers a lone call's latency but loses throughput when
 * independent calls overlap in the CPU; from 384 bytes on it wins both. */
#define CRC3_MIN 384

static uint32_t crc_table[8][256];
/* For each tier t: crc3_k[t][0] shifts by one block, crc3_k[t][1] by two. */
static uint64_t crc3_k[CRC3_TIERS][2];
static bool crc_use_hw;
static bool crc_use_clmul;
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

/*
 * Polynomials modulo P in the reflected layout the CRC register uses: bit 31
 * is the coefficient of x^0 and bit 0 that of x^31. Multiplying by x is a
 * right shift, and a coefficient leaving bit 0 (becoming x^32) folds back in
 * as P - x^32, which is CRC32C_POLY.
 */
static uint32_t gf2_mulmod(uint32_t a, uint32_t b)
{
    uint32_t r = 0;
    /* b walks through b * x^i while bit 31 - i of a picks the terms. */
    for (int i = 0; i < 32; i++) {
        if (a & (0x80000000u >> i))
            r ^= b;
        b = (b >> 1) ^ (CRC32C_POLY & (0u - (b & 1)));
    }
    return r;
}

/* x^e mod P, by square and multiply. */
static uint32_t gf2_xpow(uint64_t e)
{
    uint32_t r = 0x80000000u; /* x^0 */
    uint32_t sq = 0x40000000u; /* x^(2^k), starting at x^1 */
    while (e) {
        if (e & 1)
            r = gf2_mulmod(r, sq);
        sq = gf2_mulmod(sq, sq);
        e >>= 1;
    }
    return r;
}

/*
 * The constant that shifts a register by n bytes (see crc3_chunk). The
 * carry-less product of two reflected 32-bit values a and k, read as a 64-bit
 * reflected value, is x * a(x) * k(x) (bit 63 stays clear); crc32 of that
 * 64-bit word from a zero register multiplies by x^32 and reduces. So
 * k = x^(8n - 33) gives a * x^(8n) mod P. Needs 8n >= 33, true for every
 * block size above.
 */
static uint64_t crc_shift_const(size_t n)
{
    return gf2_xpow((uint64_t)n * 8 - 33);
}

static void crc_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (CRC32C_POLY & (0u - (c & 1)));
        crc_table[0][n] = c;
    }
    /* table[k][n]: the CRC of byte n followed by k zero bytes. */
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = crc_table[0][n];
        for (int k = 1; k < 8; k++) {
            c = crc_table[0][c & 0xff] ^ (c >> 8);
            crc_table[k][n] = c;
        }
    }
    for (size_t t = 0; t < CRC3_TIERS; t++) {
        crc3_k[t][0] = crc_shift_const(crc3_block[t]);
        crc3_k[t][1] = crc_shift_const(2 * crc3_block[t]);
    }
#ifdef CRC32C_HAVE_X86
    __builtin_cpu_init();
    crc_use_hw = __builtin_cpu_supports("sse4.2");
    crc_use_clmul = crc_use_hw && __builtin_cpu_supports("pclmul");
#endif
}

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* The raw (uninverted) CRC register update. */
static uint32_t crc_sw_raw(uint32_t c, const uint8_t *p, size_t n)
{
    while (n && ((uintptr_t)p & 7)) {
        c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
        n--;
    }
    while (n >= 8) {
        uint64_t w = load_le64(p) ^ c;
        c = crc_table[7][w & 0xff] ^ crc_table[6][(w >> 8) & 0xff] ^
            crc_table[5][(w >> 16) & 0xff] ^ crc_table[4][(w >> 24) & 0xff] ^
            crc_table[3][(w >> 32) & 0xff] ^ crc_table[2][(w >> 40) & 0xff] ^
            crc_table[1][(w >> 48) & 0xff] ^ crc_table[0][w >> 56];
        p += 8;
        n -= 8;
    }
    while (n--)
        c = crc_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    return c;
}

#ifdef CRC32C_HAVE_X86
__attribute__((target("sse4.2")))
static uint32_t crc_hw_raw(uint32_t c, const uint8_t *p, size_t n)
{
    while (n && ((uintptr_t)p & 7)) {
        c = _mm_crc32_u8(c, *p++);
        n--;
    }
    uint64_t c64 = c;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, sizeof(w));
        c64 = _mm_crc32_u64(c64, w);
        p += 8;
        n -= 8;
    }
    c = (uint32_t)c64;
    while (n--)
        c = _mm_crc32_u8(c, *p++);
    return c;
}

/* c times k, carry-less: a crc32 from zero of the result reduces it to the
 * register c moved on by the number of zero bytes k stands for. */
__attribute__((target("sse4.2,pclmul")))
static inline uint64_t crc_shift_prod(uint64_t c, uint64_t k)
{
    __m128i prod = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)c),
                                        _mm_cvtsi64_si128((long long)k), 0x00);
    return (uint64_t)_mm_cvtsi128_si64(prod);
}

/* Three chains over p[0, b), p[b, 2b), p[2b, 3b), merged; c enters the first. */
__attribute__((target("sse4.2,pclmul")))
static inline uint64_t crc3_chunk(uint64_t c0, const uint8_t *p, size_t b, const uint64_t k[2])
{
    uint64_t c1 = 0, c2 = 0;
    const uint8_t *end = p + b;
    do {
        uint64_t w0, w1, w2;
        memcpy(&w0, p, 8);
        memcpy(&w1, p + b, 8);
        memcpy(&w2, p + 2 * b, 8);
        c0 = _mm_crc32_u64(c0, w0);
        c1 = _mm_crc32_u64(c1, w1);
        c2 = _mm_crc32_u64(c2, w2);
        p += 8;
    } while (p < end);
    /* crc32 from zero is linear in its 64-bit operand, so one reduction
     * serves both products. */
    return _mm_crc32_u64(0, crc_shift_prod(c0, k[1]) ^ crc_shift_prod(c1, k[0])) ^ c2;
}

__attribute__((target("sse4.2,pclmul")))
static uint32_t crc_hw3_raw(uint32_t c, const uint8_t *p, size_t n)
{
    while (n && ((uintptr_t)p & 7)) {
        c = _mm_crc32_u8(c, *p++);
        n--;
    }
    uint64_t c64 = c;
    const size_t big = crc3_block[0];
    while (n >= 3 * big) {
        c64 = crc3_chunk(c64, p, big, crc3_k[0]);
        p += 3 * big;
        n -= 3 * big;
    }
    /* n < 3 * crc3_block[t - 1] = 6 * crc3_block[t]: at most one each. */
    for (size_t t = 1; t < CRC3_TIERS; t++) {
        size_t b = crc3_block[t];
        if (n >= 3 * b) {
            c64 = crc3_chunk(c64, p, b, crc3_k[t]);
            p += 3 * b;
            n -= 3 * b;
        }
    }
    /* Less than the smallest chunk is left: one chain. */
    return crc_hw_raw((uint32_t)c64, p, n);
}
#endif

uint32_t sl_crc32c_sw(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&crc_once, crc_init);
    return ~crc_sw_raw(~crc, p, n);
}

uint32_t sl_crc32c(uint32_t crc, const void *p, size_t n)
{
    pthread_once(&crc_once, crc_init);
#ifdef CRC32C_HAVE_X86
    if (crc_use_clmul && n >= CRC3_MIN)
        return ~crc_hw3_raw(~crc, p, n);
    if (crc_use_hw)
        return ~crc_hw_raw(~crc, p, n);
#endif
    return ~crc_sw_raw(~crc, p, n);
}

bool sl_crc32c_hw(void)
{
    pthread_once(&crc_once, crc_init);
    return crc_use_hw;
}
