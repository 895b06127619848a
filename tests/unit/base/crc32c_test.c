/* crc32c_test.c - CRC-32C: standard check value, RFC 3720 B.4 vectors,
 * incremental use, and hardware against software on large and odd inputs. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32c_check_value),
        cmocka_unit_test(crc32c_rfc3720_vectors),
        cmocka_unit_test(crc32c_split_at_every_position_equals_whole),
        cmocka_unit_test(crc32c_hardware_matches_software),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
