/* rd_test.c - sl_rd_t: bounds checks, sticky errors, varint limits, sub-readers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"

/* A heap copy of exactly n bytes, so ASan catches any read past the end. */
static uint8_t *exact_copy(const void *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    if (n)
        memcpy(c, p, n);
    return c;
}

static void rd_reads_big_endian(void **state)
{
    (void)state;
    const uint8_t in[] = {0x80, 0xff, 0xfe, 0x12, 0x34, 0xff, 0xff, 0xff, 0xfe,
                          0xde, 0xad, 0xbe, 0xef, 0x80, 0, 0, 0, 0, 0, 0, 1};
    sl_rd_t rd;
    sl_rd_init(&rd, in, sizeof(in));
    assert_int_equal(sl_rd_u8(&rd), 0x80);
    assert_int_equal(sl_rd_i16(&rd), -2);
    assert_int_equal(sl_rd_u16(&rd), 0x1234);
    assert_int_equal(sl_rd_i32(&rd), -2);
    assert_int_equal(sl_rd_u32(&rd), 0xdeadbeef);
    assert_true(sl_rd_i64(&rd) == INT64_MIN + 1);
    assert_true(sl_rd_ok(&rd));
    assert_int_equal(sl_rd_left(&rd), 0);
}

typedef enum { R_U8, R_I16, R_U16, R_I32, R_U32, R_I64, R_F64, R_TAKE3, R_SKIP5, R_NFIELDS } rd_op_t;
static const size_t op_width[R_NFIELDS] = {1, 2, 2, 4, 4, 8, 8, 3, 5};

static void rd_op(sl_rd_t *rd, rd_op_t op)
{
    switch (op) {
    case R_U8: assert_int_equal(sl_rd_u8(rd), 0); break;
    case R_I16: assert_int_equal(sl_rd_i16(rd), 0); break;
    case R_U16: assert_int_equal(sl_rd_u16(rd), 0); break;
    case R_I32: assert_int_equal(sl_rd_i32(rd), 0); break;
    case R_U32: assert_int_equal(sl_rd_u32(rd), 0); break;
    case R_I64: assert_true(sl_rd_i64(rd) == 0); break;
    case R_F64: assert_true(sl_rd_f64(rd) == 0.0); break;
    case R_TAKE3: assert_null(sl_rd_take(rd, 3)); break;
    case R_SKIP5: sl_rd_skip(rd, 5); break;
    default: fail();
    }
}

/* For every field width, cut the input at every byte before its end: the read
 * returns 0/NULL, sets TRUNCATED, moves to the end, touches no byte past it. */
static void rd_truncation_at_every_boundary_is_sticky(void **state)
{
    (void)state;
    uint8_t zeros[16] = {0};
    for (int op = 0; op < R_NFIELDS; op++) {
        size_t w = op_width[op];
        for (size_t cut = 0; cut < w; cut++) {
            uint8_t *in = exact_copy(zeros, cut);
            sl_rd_t rd;
            sl_rd_init(&rd, in, cut);
            rd_op(&rd, (rd_op_t)op);
            assert_int_equal(rd.err, SL_ERR_TRUNCATED);
            assert_int_equal(sl_rd_left(&rd), 0);
            assert_false(sl_rd_ok(&rd));
            /* Everything after fails too and keeps the first error. */
            assert_int_equal(sl_rd_u8(&rd), 0);
            assert_int_equal(rd.err, SL_ERR_TRUNCATED);
            free(in);
        }
        /* Exactly enough is fine. */
        uint8_t *in = exact_copy(zeros, w);
        sl_rd_t rd;
        sl_rd_init(&rd, in, w);
        if (op == R_TAKE3)
            assert_non_null(sl_rd_take(&rd, 3));
        else
            rd_op(&rd, (rd_op_t)op);
        assert_true(sl_rd_ok(&rd));
        assert_int_equal(sl_rd_left(&rd), 0);
        free(in);
    }
}

static void rd_varints_truncated_at_every_byte(void **state)
{
    (void)state;
    const uint64_t vals[] = {127, 128, 16383, 16384, UINT32_MAX, UINT64_MAX, (uint64_t)1 << 63};
    for (size_t i = 0; i < SL_ARRAY_LEN(vals); i++) {
        uint8_t enc[SL_UVARINT_MAX];
        size_t n = sl_uvarint_encode(enc, vals[i]);
        for (size_t cut = 0; cut < n; cut++) {
            uint8_t *in = exact_copy(enc, cut);
            sl_rd_t rd;
            sl_rd_init(&rd, in, cut);
            assert_true(sl_rd_uvarlong(&rd) == 0);
            assert_int_equal(rd.err, SL_ERR_TRUNCATED);
            assert_int_equal(sl_rd_left(&rd), 0);
            if (n <= 5) {
                sl_rd_init(&rd, in, cut);
                assert_int_equal(sl_rd_uvarint(&rd), 0);
                assert_int_equal(rd.err, SL_ERR_TRUNCATED);
                sl_rd_init(&rd, in, cut);
                assert_int_equal(sl_rd_varint(&rd), 0);
                assert_int_equal(rd.err, SL_ERR_TRUNCATED);
            }
            free(in);
        }
    }
}

static void rd_varint_edge_values_round_trip(void **state)
{
    (void)state;
    const int32_t v32[] = {0, 1, -1, 63, -64, 64, -65, 127, 128, INT32_MAX, INT32_MIN};
    const int64_t v64[] = {0, 1, -1, 127, 128, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN,
                           INT64_MAX - 1, INT64_MIN + 1};
    const uint32_t u32[] = {0, 127, 128, 16383, 16384, INT32_MAX, UINT32_MAX};
    sl_buf_t b = SL_BUF_INIT;
    for (size_t i = 0; i < SL_ARRAY_LEN(v32); i++)
        sl_buf_put_varint(&b, v32[i]);
    for (size_t i = 0; i < SL_ARRAY_LEN(v64); i++)
        sl_buf_put_varint(&b, v64[i]);
    for (size_t i = 0; i < SL_ARRAY_LEN(u32); i++)
        sl_buf_put_uvarint(&b, u32[i]);
    sl_buf_put_uvarint(&b, UINT64_MAX);
    assert_int_equal(sl_buf_err(&b), SL_OK);
    sl_rd_t rd;
    sl_rd_init(&rd, b.data, b.len);
    for (size_t i = 0; i < SL_ARRAY_LEN(v32); i++)
        assert_int_equal(sl_rd_varint(&rd), v32[i]);
    for (size_t i = 0; i < SL_ARRAY_LEN(v64); i++)
        assert_true(sl_rd_varlong(&rd) == v64[i]);
    for (size_t i = 0; i < SL_ARRAY_LEN(u32); i++)
        assert_int_equal(sl_rd_uvarint(&rd), u32[i]);
    assert_true(sl_rd_uvarlong(&rd) == UINT64_MAX);
    assert_true(sl_rd_ok(&rd));
    assert_int_equal(sl_rd_left(&rd), 0);
    sl_buf_free(&b);
}

static void rd_varint_known_zigzag_bytes(void **state)
{
    (void)state;
    /* INT64_MIN zigzags to UINT64_MAX: nine 0xff and a final 0x01. */
    const uint8_t min64[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    /* INT64_MAX zigzags to UINT64_MAX - 1. */
    const uint8_t max64[] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    const uint8_t min32[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    const uint8_t max32[] = {0xfe, 0xff, 0xff, 0xff, 0x0f};
    sl_rd_t rd;
    sl_rd_init(&rd, min64, sizeof(min64));
    assert_true(sl_rd_varlong(&rd) == INT64_MIN);
    sl_rd_init(&rd, max64, sizeof(max64));
    assert_true(sl_rd_varlong(&rd) == INT64_MAX);
    sl_rd_init(&rd, min32, sizeof(min32));
    assert_int_equal(sl_rd_varint(&rd), INT32_MIN);
    sl_rd_init(&rd, max32, sizeof(max32));
    assert_int_equal(sl_rd_varint(&rd), INT32_MAX);
    assert_true(sl_rd_ok(&rd));
    /* Non-minimal encodings within the byte limit are accepted, as Kafka does. */
    const uint8_t zero2[] = {0x80, 0x00};
    sl_rd_init(&rd, zero2, sizeof(zero2));
    assert_int_equal(sl_rd_uvarint(&rd), 0);
    assert_true(sl_rd_ok(&rd));
}

static void rd_varint_rejects_overlong(void **state)
{
    (void)state;
    /* Six bytes for an int32 varint: continuation bit on the fifth. */
    const uint8_t six[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    /* Fifth byte with bits beyond 32. */
    const uint8_t big5[] = {0xff, 0xff, 0xff, 0xff, 0x10};
    const uint8_t eleven[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    const uint8_t big10[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    sl_rd_t rd;

    sl_rd_init(&rd, six, sizeof(six));
    assert_int_equal(sl_rd_uvarint(&rd), 0);
    assert_int_equal(rd.err, SL_ERR_PARSE);
    assert_int_equal(sl_rd_left(&rd), 0);
    sl_rd_init(&rd, six, sizeof(six));
    assert_int_equal(sl_rd_varint(&rd), 0);
    assert_int_equal(rd.err, SL_ERR_PARSE);
    /* A 64-bit varint may be six bytes long. */
    sl_rd_init(&rd, six, sizeof(six));
    assert_true(sl_rd_uvarlong(&rd) == 0);
    assert_true(sl_rd_ok(&rd));

    sl_rd_init(&rd, big5, sizeof(big5));
    assert_int_equal(sl_rd_uvarint(&rd), 0);
    assert_int_equal(rd.err, SL_ERR_PARSE);
    sl_rd_init(&rd, big5, sizeof(big5));
    assert_int_equal(sl_rd_varint(&rd), 0);
    assert_int_equal(rd.err, SL_ERR_PARSE);

    sl_rd_init(&rd, eleven, sizeof(eleven));
    assert_true(sl_rd_uvarlong(&rd) == 0);
    assert_int_equal(rd.err, SL_ERR_PARSE);
    sl_rd_init(&rd, eleven, sizeof(eleven));
    assert_true(sl_rd_varlong(&rd) == 0);
    assert_int_equal(rd.err, SL_ERR_PARSE);
    sl_rd_init(&rd, big10, sizeof(big10));
    assert_true(sl_rd_uvarlong(&rd) == 0);
    assert_int_equal(rd.err, SL_ERR_PARSE);
    assert_int_equal(sl_rd_left(&rd), 0);
}

static void rd_first_error_wins(void **state)
{
    (void)state;
    const uint8_t in[] = {1, 2, 3};
    sl_rd_t rd;
    sl_rd_init(&rd, in, sizeof(in));
    sl_rd_fail(&rd, SL_ERR_PARSE);
    assert_int_equal(sl_rd_left(&rd), 0);
    assert_int_equal(sl_rd_u8(&rd), 0);
    assert_int_equal(rd.err, SL_ERR_PARSE);
    sl_rd_fail(&rd, SL_ERR_CRC);
    assert_int_equal(rd.err, SL_ERR_PARSE);
}

static void rd_take_returns_borrowed_bytes(void **state)
{
    (void)state;
    const uint8_t in[] = {1, 2, 3, 4, 5};
    sl_rd_t rd;
    sl_rd_init(&rd, in, sizeof(in));
    assert_ptr_equal(sl_rd_take(&rd, 0), in);
    assert_ptr_equal(sl_rd_take(&rd, 2), in);
    sl_rd_skip(&rd, 1);
    assert_ptr_equal(sl_rd_take(&rd, 2), in + 3);
    assert_ptr_equal(sl_rd_take(&rd, 0), in + 5);
    assert_true(sl_rd_ok(&rd));
    assert_null(sl_rd_take(&rd, 1));
    assert_int_equal(rd.err, SL_ERR_TRUNCATED);
    /* A huge length off the wire is just truncation. */
    sl_rd_init(&rd, in, sizeof(in));
    assert_null(sl_rd_take(&rd, SIZE_MAX));
    assert_int_equal(rd.err, SL_ERR_TRUNCATED);
}

static void rd_empty_and_null_source(void **state)
{
    (void)state;
    sl_rd_t rd;
    sl_rd_init(&rd, NULL, 0);
    assert_int_equal(sl_rd_left(&rd), 0);
    assert_true(sl_rd_ok(&rd));
    sl_rd_t sub = sl_rd_sub(&rd, 0);
    assert_true(sl_rd_ok(&sub));
    assert_true(sl_rd_ok(&rd));
    assert_int_equal(sl_rd_u8(&rd), 0);
    assert_int_equal(rd.err, SL_ERR_TRUNCATED);
}

static void rd_sub_reader_bounds_and_advances_parent(void **state)
{
    (void)state;
    const uint8_t in[] = {0, 0, 0, 3, 'a', 'b', 'c', 0x7f};
    sl_rd_t rd;
    sl_rd_init(&rd, in, sizeof(in));
    int32_t n = sl_rd_i32(&rd);
    sl_rd_t sub = sl_rd_sub(&rd, (size_t)n);
    assert_true(sl_rd_ok(&sub));
    assert_int_equal(sl_rd_left(&sub), 3);
    assert_int_equal(sl_rd_u8(&rd), 0x7f);
    assert_int_equal(sl_rd_u8(&sub), 'a');
    assert_int_equal(sl_rd_u16(&sub), ('b' << 8) | 'c');
    /* The sub-reader cannot see the parent's remaining bytes. */
    assert_int_equal(sl_rd_u8(&sub), 0);
    assert_int_equal(sub.err, SL_ERR_TRUNCATED);
    /* Its error stays its own. */
    assert_true(sl_rd_ok(&rd));
}

static void rd_sub_underflow_truncates_both(void **state)
{
    (void)state;
    const uint8_t in[] = {1, 2, 3};
    sl_rd_t rd;
    sl_rd_init(&rd, in, sizeof(in));
    sl_rd_skip(&rd, 1);
    sl_rd_t sub = sl_rd_sub(&rd, 3);
    assert_int_equal(sub.err, SL_ERR_TRUNCATED);
    assert_int_equal(rd.err, SL_ERR_TRUNCATED);
    assert_int_equal(sl_rd_left(&sub), 0);
    assert_int_equal(sl_rd_left(&rd), 0);
    /* A sub of a failed reader is empty and carries the parent's error. */
    sl_rd_init(&rd, in, sizeof(in));
    sl_rd_fail(&rd, SL_ERR_PARSE);
    sub = sl_rd_sub(&rd, 0);
    assert_int_equal(sub.err, SL_ERR_PARSE);
    assert_int_equal(sl_rd_left(&sub), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rd_reads_big_endian),
        cmocka_unit_test(rd_truncation_at_every_boundary_is_sticky),
        cmocka_unit_test(rd_varints_truncated_at_every_byte),
        cmocka_unit_test(rd_varint_edge_values_round_trip),
        cmocka_unit_test(rd_varint_known_zigzag_bytes),
        cmocka_unit_test(rd_varint_rejects_overlong),
        cmocka_unit_test(rd_first_error_wins),
        cmocka_unit_test(rd_take_returns_borrowed_bytes),
        cmocka_unit_test(rd_empty_and_null_source),
        cmocka_unit_test(rd_sub_reader_bounds_and_advances_parent),
        cmocka_unit_test(rd_sub_underflow_truncates_both),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
