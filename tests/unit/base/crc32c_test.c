/* crc32c_test.c - CRC-32C: standard check value, RFC 3720 B.4 vectors,
 * incremental use, and hardware against software on large and odd inputs,
 * around every block boundary of the three-way hardware path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"

typedef uint32_t crc_fn(uint32_t, const void *, size_t);
static crc_fn *const impls[] = {sl_crc32c, sl_crc32c_sw};

static void crc32c_check_value(void **state)
{
    (void)state;
    for (size_t i = 0; i < SL_ARRAY_LEN(impls); i++) {
        assert_int_equal(impls[i](0, "123456789", 9), 0xe3069283);
        assert_int_equal(impls[i](0, "", 0), 0);
        assert_int_equal(impls[i](0, NULL, 0), 0);
        assert_int_equal(impls[i](0xdeadbeef, NULL, 0), 0xdeadbeef);
    }
}

static void crc32c_rfc3720_vectors(void **state)
{
    (void)state;
    uint8_t zeros[32], ones[32], inc[32], dec[32];
    memset(zeros, 0, sizeof(zeros));
    memset(ones, 0xff, sizeof(ones));
    for (int i = 0; i < 32; i++) {
        inc[i] = (uint8_t)i;
        dec[i] = (uint8_t)(31 - i);
    }
    /* An iSCSI SCSI Read (10) command PDU. */
    const uint8_t pdu[48] = {
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(impls); i++) {
        assert_int_equal(impls[i](0, zeros, 32), 0x8a9136aa);
        assert_int_equal(impls[i](0, ones, 32), 0x62a8ab43);
        assert_int_equal(impls[i](0, inc, 32), 0x46dd794e);
        assert_int_equal(impls[i](0, dec, 32), 0x113fdb5c);
        assert_int_equal(impls[i](0, pdu, 48), 0xd9963a56);
    }
}

static void crc32c_split_at_every_position_equals_whole(void **state)
{
    (void)state;
    uint8_t buf[100];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    for (size_t f = 0; f < SL_ARRAY_LEN(impls); f++) {
        uint32_t whole = impls[f](0, buf, sizeof(buf));
        for (size_t cut = 0; cut <= sizeof(buf); cut++) {
            uint32_t c = impls[f](0, buf, cut);
            c = impls[f](c, buf + cut, sizeof(buf) - cut);
            assert_int_equal(c, whole);
        }
        /* Three pieces. */
        for (size_t a = 0; a <= sizeof(buf); a += 7)
            for (size_t b = a; b <= sizeof(buf); b += 11) {
                uint32_t c = impls[f](0, buf, a);
                c = impls[f](c, buf + a, b - a);
                c = impls[f](c, buf + b, sizeof(buf) - b);
                assert_int_equal(c, whole);
            }
    }
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(0x2545f4914f6cdd1d);
}

static void crc32c_hardware_matches_software(void **state)
{
    (void)state;
    print_message("crc32c: hardware path %s\n", sl_crc32c_hw() ? "in use" : "not available");
    const size_t big = 8u << 20;
    uint8_t *buf = malloc(big + 16);
    assert_non_null(buf);
    uint64_t seed = 0x1234567;
    for (size_t i = 0; i < big + 16; i += 8) {
        uint64_t r = rng_next(&seed);
        memcpy(buf + i, &r, 8);
    }
    assert_int_equal(sl_crc32c(0, buf, big), sl_crc32c_sw(0, buf, big));
    /* Odd lengths from every misalignment, continuing from a non-zero crc. */
    for (size_t off = 0; off < 16; off++)
        for (size_t len = 0; len < 300; len++) {
            uint32_t init = (uint32_t)rng_next(&seed);
            assert_int_equal(sl_crc32c(init, buf + off, len), sl_crc32c_sw(init, buf + off, len));
        }
    for (int i = 0; i < 200; i++) {
        size_t off = (size_t)(rng_next(&seed) % 4096);
        size_t len = (size_t)(rng_next(&seed) % (1u << 16));
        assert_int_equal(sl_crc32c(0, buf + off, len), sl_crc32c_sw(0, buf + off, len));
    }
    free(buf);
}

/* The per-stream block sizes of the three-way hardware path in crc32c.c and
 * the length below which it is not used; kept in step by hand. A wrong copy
 * here only weakens the test, it cannot make it pass wrongly. */
static const size_t interleave_blocks[] = {64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384};
#define INTERLEAVE_MIN 384

static uint8_t *random_buffer(size_t n, uint64_t seed)
{
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(rng_next(&seed) >> 56);
    return buf;
}

static void crc32c_hardware_matches_software_around_block_boundaries(void **state)
{
    (void)state;
    const size_t max_block = interleave_blocks[SL_ARRAY_LEN(interleave_blocks) - 1];
    const size_t size = 4 * 3 * max_block + 64;
    uint8_t *buf = random_buffer(size, 0xc0ffee);
    uint64_t seed = 0xfeed;
    /* Lengths around 1..4 chunks (three blocks each) of every size, and
     * around the switch-over length, from every misalignment. */
    for (size_t b = 0; b <= SL_ARRAY_LEN(interleave_blocks); b++) {
        size_t base = b < SL_ARRAY_LEN(interleave_blocks) ? 3 * interleave_blocks[b] : INTERLEAVE_MIN;
        size_t max_mult = b < SL_ARRAY_LEN(interleave_blocks) ? 4 : 1;
        for (size_t mult = 1; mult <= max_mult; mult++)
            for (int delta = -8; delta <= 8; delta++)
                for (size_t off = 0; off < 8; off++) {
                    size_t len = mult * base + (size_t)((ptrdiff_t)delta);
                    assert_true(off + len <= size);
                    uint32_t init = (uint32_t)rng_next(&seed);
                    uint32_t hw = sl_crc32c(init, buf + off, len);
                    uint32_t sw = sl_crc32c_sw(init, buf + off, len);
                    if (hw != sw)
                        print_error("len %zu off %zu init %08x: %08x != %08x\n", len, off, init, hw, sw);
                    assert_int_equal(hw, sw);
                }
    }
    /* Lengths made of several block sizes at once: every multiple of 8 up to
     * two largest chunks would be slow under sanitizers, so take random ones. */
    for (int i = 0; i < 400; i++) {
        size_t off = (size_t)(rng_next(&seed) % 8);
        size_t len = (size_t)(rng_next(&seed) % (size - 8));
        uint32_t init = (uint32_t)rng_next(&seed);
        assert_int_equal(sl_crc32c(init, buf + off, len), sl_crc32c_sw(init, buf + off, len));
    }
    free(buf);
}

static void crc32c_large_split_at_block_boundaries_equals_whole(void **state)
{
    (void)state;
    const size_t size = 200000;
    uint8_t *buf = random_buffer(size, 0xabcdef);
    uint32_t whole = sl_crc32c_sw(0, buf, size);
    assert_int_equal(sl_crc32c(0, buf, size), whole);
    for (size_t b = 0; b < SL_ARRAY_LEN(interleave_blocks); b++)
        for (int delta = -3; delta <= 3; delta++) {
            size_t cut = 3 * interleave_blocks[b] + (size_t)((ptrdiff_t)delta);
            uint32_t c = sl_crc32c(0, buf, cut);
            c = sl_crc32c(c, buf + cut, size - cut);
            assert_int_equal(c, whole);
            c = sl_crc32c(0, buf, size - cut);
            c = sl_crc32c(c, buf + size - cut, cut);
            assert_int_equal(c, whole);
        }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32c_check_value),
        cmocka_unit_test(crc32c_rfc3720_vectors),
        cmocka_unit_test(crc32c_split_at_every_position_equals_whole),
        cmocka_unit_test(crc32c_hardware_matches_software),
        cmocka_unit_test(crc32c_hardware_matches_software_around_block_boundaries),
        cmocka_unit_test(crc32c_large_split_at_block_boundaries_equals_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
