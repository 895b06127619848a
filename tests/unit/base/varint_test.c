/* varint_test.c - standalone sl_uvarint_* and the zigzag helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"

static void varint_encode_known_bytes(void **state)
{
    (void)state;
    uint8_t out[SL_UVARINT_MAX];
    assert_int_equal(sl_uvarint_encode(out, 0), 1);
    assert_int_equal(out[0], 0);
    assert_int_equal(sl_uvarint_encode(out, 127), 1);
    assert_int_equal(out[0], 0x7f);
    assert_int_equal(sl_uvarint_encode(out, 128), 2);
    assert_memory_equal(out, "\x80\x01", 2);
    assert_int_equal(sl_uvarint_encode(out, 300), 2);
    assert_memory_equal(out, "\xac\x02", 2);
    assert_int_equal(sl_uvarint_encode(out, UINT64_MAX), 10);
    assert_memory_equal(out, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
}

static void varint_size_matches_encode(void **state)
{
    (void)state;
    uint8_t out[SL_UVARINT_MAX];
    for (int bit = 0; bit < 64; bit++) {
        uint64_t base = (uint64_t)1 << bit;
        const uint64_t vals[] = {base - 1, base, base + 1};
        for (size_t i = 0; i < 3; i++) {
            size_t n = sl_uvarint_encode(out, vals[i]);
            assert_int_equal(sl_uvarint_size(vals[i]), n);
            uint64_t back = 0;
            assert_int_equal(sl_uvarint_decode(out, n, &back), n);
            assert_true(back == vals[i]);
        }
    }
    assert_int_equal(sl_uvarint_size(UINT64_MAX), 10);
}

static void varint_decode_rejects_truncated_and_overlong(void **state)
{
    (void)state;
    uint64_t v = 42;
    assert_int_equal(sl_uvarint_decode((const uint8_t *)"\x80\x80", 2, &v), 0);
    assert_int_equal(sl_uvarint_decode((const uint8_t *)"", 0, &v), 0);
    const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    assert_int_equal(sl_uvarint_decode(eleven, sizeof(eleven), &v), 0);
    const uint8_t over[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    assert_int_equal(sl_uvarint_decode(over, sizeof(over), &v), 0);
    assert_true(v == 42); /* untouched on failure */
    /* Trailing bytes after a complete varint are not consumed. */
    assert_int_equal(sl_uvarint_decode((const uint8_t *)"\x05\xff", 2, &v), 1);
    assert_true(v == 5);
}

static void varint_zigzag_maps_small_magnitudes_to_small_codes(void **state)
{
    (void)state;
    assert_int_equal(sl_zigzag32(0), 0);
    assert_int_equal(sl_zigzag32(-1), 1);
    assert_int_equal(sl_zigzag32(1), 2);
    assert_int_equal(sl_zigzag32(INT32_MAX), UINT32_MAX - 1);
    assert_int_equal(sl_zigzag32(INT32_MIN), UINT32_MAX);
    assert_true(sl_zigzag64(INT64_MIN) == UINT64_MAX);
    assert_true(sl_zigzag64(INT64_MAX) == UINT64_MAX - 1);
    const int64_t v[] = {0, 1, -1, 12345, -12345, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < SL_ARRAY_LEN(v); i++)
        assert_true(sl_unzigzag64(sl_zigzag64(v[i])) == v[i]);
    const int32_t w[] = {0, 1, -1, 12345, -12345, INT32_MAX, INT32_MIN};
    for (size_t i = 0; i < SL_ARRAY_LEN(w); i++)
        assert_int_equal(sl_unzigzag32(sl_zigzag32(w[i])), w[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(varint_encode_known_bytes),
        cmocka_unit_test(varint_size_matches_encode),
        cmocka_unit_test(varint_decode_rejects_truncated_and_overlong),
        cmocka_unit_test(varint_zigzag_maps_small_magnitudes_to_small_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
