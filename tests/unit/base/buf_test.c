/* buf_test.c - sl_buf_t: big-endian puts, growth, space patching, consume, detach. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"

static void buf_puts_are_big_endian(void **state)
{
    (void)state;
    sl_buf_t b = SL_BUF_INIT;
    sl_buf_put_u8(&b, 0xab);
    sl_buf_put_i8(&b, -2);
    sl_buf_put_i16(&b, -2);
    sl_buf_put_u16(&b, 0x1234);
    sl_buf_put_i32(&b, 0x01020304);
    sl_buf_put_u32(&b, 0xdeadbeef);
    sl_buf_put_i64(&b, INT64_C(0x0102030405060708));
    sl_buf_put_f64(&b, 1.0);
    const uint8_t want[] = {0xab, 0xfe, 0xff, 0xfe, 0x12, 0x34, 1, 2, 3, 4, 0xde, 0xad, 0xbe, 0xef,
                            1, 2, 3, 4, 5, 6, 7, 8, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(b.len, sizeof(want));
    assert_memory_equal(b.data, want, sizeof(want));
    assert_int_equal(sl_buf_err(&b), SL_OK);
    sl_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void buf_round_trips_every_width_through_reader(void **state)
{
    (void)state;
    sl_buf_t b;
    sl_buf_init(&b);
    const int64_t vals[] = {0, 1, -1, 127, 128, -128, 255, 32767, -32768, 65535,
                            INT32_MAX, INT32_MIN, UINT32_MAX, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < SL_ARRAY_LEN(vals); i++) {
        int64_t v = vals[i];
        sl_buf_put_u8(&b, (uint8_t)v);
        sl_buf_put_i8(&b, (int8_t)v);
        sl_buf_put_i16(&b, (int16_t)v);
        sl_buf_put_u16(&b, (uint16_t)v);
        sl_buf_put_i32(&b, (int32_t)v);
        sl_buf_put_u32(&b, (uint32_t)v);
        sl_buf_put_i64(&b, v);
        sl_buf_put_f64(&b, (double)v);
        sl_buf_put_uvarint(&b, (uint64_t)v);
        sl_buf_put_varint(&b, v);
    }
    sl_rd_t rd;
    sl_rd_init(&rd, b.data, b.len);
    for (size_t i = 0; i < SL_ARRAY_LEN(vals); i++) {
        int64_t v = vals[i];
        assert_int_equal(sl_rd_u8(&rd), (uint8_t)v);
        assert_int_equal(sl_rd_i8(&rd), (int8_t)v);
        assert_int_equal(sl_rd_i16(&rd), (int16_t)v);
        assert_int_equal(sl_rd_u16(&rd), (uint16_t)v);
        assert_int_equal(sl_rd_i32(&rd), (int32_t)v);
        assert_int_equal(sl_rd_u32(&rd), (uint32_t)v);
        assert_true(sl_rd_i64(&rd) == v);
        assert_true(sl_rd_f64(&rd) == (double)v);
        assert_true(sl_rd_uvarlong(&rd) == (uint64_t)v);
        assert_true(sl_rd_varlong(&rd) == v);
    }
    assert_true(sl_rd_ok(&rd));
    assert_int_equal(sl_rd_left(&rd), 0);
    sl_buf_free(&b);
}

static void buf_grows_geometrically_and_keeps_content(void **state)
{
    (void)state;
    sl_buf_t b = SL_BUF_INIT;
    size_t reallocs = 0, last_cap = 0;
    for (uint32_t i = 0; i < 100000; i++) {
        sl_buf_put_u32(&b, i);
        if (b.cap != last_cap) {
            reallocs++;
            last_cap = b.cap;
        }
    }
    assert_int_equal(b.len, 400000);
    assert_true(reallocs < 20);
    sl_rd_t rd;
    sl_rd_init(&rd, b.data, b.len);
    for (uint32_t i = 0; i < 100000; i++)
        assert_int_equal(sl_rd_u32(&rd), i);
    sl_buf_free(&b);
}

static void buf_reserve_overflow_is_sticky_nomem(void **state)
{
    (void)state;
    sl_buf_t b = SL_BUF_INIT;
    sl_buf_put_u8(&b, 1);
    assert_int_equal(sl_buf_reserve(&b, SIZE_MAX), SL_ERR_NOMEM);
    assert_int_equal(sl_buf_err(&b), SL_ERR_NOMEM);
    /* Further puts are ignored. */
    sl_buf_put_u32(&b, 7);
    sl_buf_put(&b, "abc", 3);
    assert_null(sl_buf_put_space(&b, 4));
    assert_int_equal(b.len, 1);
    assert_int_equal(sl_buf_reserve(&b, 1), SL_ERR_NOMEM);
    /* Reset clears the error and keeps the memory. */
    sl_buf_reset(&b);
    assert_int_equal(sl_buf_err(&b), SL_OK);
    assert_int_equal(b.len, 0);
    sl_buf_put_u8(&b, 9);
    assert_int_equal(b.len, 1);
    assert_int_equal(b.data[0], 9);
    sl_buf_free(&b);
}

static void buf_huge_reserve_fails_without_crash(void **state)
{
    (void)state;
    sl_buf_t b = SL_BUF_INIT;
    /* More than any allocator will hand out: NOMEM, not an abort. */
    assert_int_equal(sl_buf_reserve(&b, SIZE_MAX / 2 + 12345), SL_ERR_NOMEM);
    assert_int_equal(b.len, 0);
    sl_buf_free(&b);
}

static void buf_put_space_then_set_patches_length(void **state)
{
    (void)state;
    sl_buf_t b = SL_BUF_INIT;
    uint8_t *sp = sl_buf_put_space(&b, 4);
    assert_non_null(sp);
    assert_memory_equal(sp, "\0\0\0\0", 4);
    sl_buf_put(&b, "payload", 7);
    sl_buf_set_i32(&b, 0, (int32_t)(b.len - 4));
    sl_buf_set_u32(&b, b.len - 4, 0xa1b2c3d4);
    const uint8_t want[] = {0, 0, 0, 7, 'p', 'a', 'y', 0xa1, 0xb2, 0xc3, 0xd4};
    assert_memory_equal(b.data, want, sizeof(want));
    assert_non_null(sl_buf_put_space(&b, 0));
    assert_int_equal(b.len, 11);
    sl_buf_free(&b);
}

static void buf_consume_moves_rest_to_front(void **state)
{
    (void)state;
    sl_buf_t b = SL_BUF_INIT;
    sl_buf_put(&b, "abcdef", 6);
    sl_buf_consume(&b, 2);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.data, "cdef", 4);
    sl_buf_consume(&b, 0);
    assert_int_equal(b.len, 4);
    sl_buf_consume(&b, 4);
    assert_int_equal(b.len, 0);
    sl_buf_free(&b);
}

static void buf_detach_hands_over_ownership(void **state)
{
    (void)state;
    sl_buf_t b = SL_BUF_INIT;
    size_t len = 99;
    assert_null(sl_buf_detach(&b, &len));
    assert_int_equal(len, 0);
    sl_buf_put(&b, "xyz", 3);
    uint8_t *d = sl_buf_detach(&b, &len);
    assert_non_null(d);
    assert_int_equal(len, 3);
    assert_memory_equal(d, "xyz", 3);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    free(d);
    /* Written then emptied: nothing to hand over, nothing leaked. */
    sl_buf_put(&b, "q", 1);
    sl_buf_reset(&b);
    assert_null(sl_buf_detach(&b, &len));
    sl_buf_free(NULL);
}

static void buf_put_varints_match_known_encodings(void **state)
{
    (void)state;
    sl_buf_t b = SL_BUF_INIT;
    sl_buf_put_uvarint(&b, 0);
    sl_buf_put_uvarint(&b, 127);
    sl_buf_put_uvarint(&b, 128);
    sl_buf_put_uvarint(&b, 300);
    sl_buf_put_varint(&b, -1);
    sl_buf_put_varint(&b, 1);
    sl_buf_put_varint(&b, -64);
    sl_buf_put_varint(&b, 64);
    const uint8_t want[] = {0x00, 0x7f, 0x80, 0x01, 0xac, 0x02, 0x01, 0x02, 0x7f, 0x80, 0x01};
    assert_int_equal(b.len, sizeof(want));
    assert_memory_equal(b.data, want, sizeof(want));
    sl_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buf_puts_are_big_endian),
        cmocka_unit_test(buf_round_trips_every_width_through_reader),
        cmocka_unit_test(buf_grows_geometrically_and_keeps_content),
        cmocka_unit_test(buf_reserve_overflow_is_sticky_nomem),
        cmocka_unit_test(buf_huge_reserve_fails_without_crash),
        cmocka_unit_test(buf_put_space_then_set_patches_length),
        cmocka_unit_test(buf_consume_moves_rest_to_front),
        cmocka_unit_test(buf_detach_hands_over_ownership),
        cmocka_unit_test(buf_put_varints_match_known_encodings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
