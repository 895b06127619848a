/* records_known_test.c - known answers: hand-assembled batches (a data batch
 * and a commit marker), with the CRC from an independent bitwise CRC-32C,
 * decode to the expected fields, and the writer produces the same bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "records_test_util.h"

/* Two records: ("k", "hello", no headers) at +0 ms, (null, "", one header "h"
 * with a null value) at +5 ms. */
static const uint8_t data_batch[84] = {
    0, 0, 0, 0, 0, 0, 0, 100,                   /* baseOffset 100 */
    0, 0, 0, 72,                                /* batchLength: 84 - 12 */
    0, 0, 0, 7,                                 /* partitionLeaderEpoch 7 */
    2,                                          /* magic */
    0, 0, 0, 0,                                 /* crc: filled in by the test */
    0x00, 0x10,                                 /* attributes: transactional */
    0, 0, 0, 1,                                 /* lastOffsetDelta 1 */
    0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00,   /* baseTimestamp 1700000000000 */
    0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x05,   /* maxTimestamp 1700000000005 */
    0, 0, 0, 0, 0, 0, 0, 42,                    /* producerId 42 */
    0, 3,                                       /* producerEpoch 3 */
    0, 0, 0, 9,                                 /* baseSequence 9 */
    0, 0, 0, 2,                                 /* records count 2 */
    /* record 0 */
    0x18,                                       /* length 12 (zigzag) */
    0x00,                                       /* attributes */
    0x00,                                       /* timestampDelta 0 */
    0x00,                                       /* offsetDelta 0 */
    0x02, 'k',                                  /* key: length 1 */
    0x0a, 'h', 'e', 'l', 'l', 'o',              /* value: length 5 */
    0x00,                                       /* header count 0 */
    /* record 1 */
    0x12,                                       /* length 9 */
    0x00,                                       /* attributes */
    0x0a,                                       /* timestampDelta 5 */
    0x02,                                       /* offsetDelta 1 */
    0x01,                                       /* key: null (-1) */
    0x00,                                       /* value: empty (0) */
    0x02,                                       /* header count 1 */
    0x02, 'h',                                  /* header key: length 1 */
    0x01,                                       /* header value: null */
};

/* A commit marker: producer 5 epoch 1, coordinator epoch 3, at 1000 ms. */
static const uint8_t commit_batch[78] = {
    0, 0, 0, 0, 0, 0, 0, 50,                    /* baseOffset 50 */
    0, 0, 0, 66,                                /* batchLength: 78 - 12 */
    0xff, 0xff, 0xff, 0xff,                     /* partitionLeaderEpoch -1 */
    2,                                          /* magic */
    0, 0, 0, 0,                                 /* crc */
    0x00, 0x30,                                 /* attributes: control | transactional */
    0, 0, 0, 0,                                 /* lastOffsetDelta 0 */
    0, 0, 0, 0, 0, 0, 0x03, 0xe8,               /* baseTimestamp 1000 */
    0, 0, 0, 0, 0, 0, 0x03, 0xe8,               /* maxTimestamp 1000 */
    0, 0, 0, 0, 0, 0, 0, 5,                     /* producerId 5 */
    0, 1,                                       /* producerEpoch 1 */
    0xff, 0xff, 0xff, 0xff,                     /* baseSequence -1 */
    0, 0, 0, 1,                                 /* records count 1 */
    0x20,                                       /* record length 16 */
    0x00, 0x00, 0x00,                           /* attributes, timestampDelta, offsetDelta */
    0x08, 0, 0, 0, 1,                           /* key: version 0, type 1 (commit) */
    0x0c, 0, 0, 0, 0, 0, 3,                     /* value: version 0, coordinatorEpoch 3 */
    0x00,                                       /* header count 0 */
};

static void known_bitwise_crc32c_matches_standard_check_value(void **state)
{
    (void)state;
    assert_int_equal(t_crc32c("123456789", 9), 0xe3069283);
}

static void known_data_batch_decodes_to_expected_fields(void **state)
{
    (void)state;
    uint8_t b[sizeof(data_batch)];
    memcpy(b, data_batch, sizeof(b));
    t_fix_crc(b, sizeof(b));

    sl_batch_t batch;
    char why[160];
    assert_int_equal(sl_batch_peek(b, sizeof(b), &batch, why, sizeof(why)), SL_OK);
    assert_int_equal(batch.base_offset, 100);
    assert_int_equal(batch.batch_length, 72);
    assert_int_equal(batch.partition_leader_epoch, 7);
    assert_int_equal(batch.magic, 2);
    assert_int_equal(batch.crc, t_get_u32(b + 17));
    assert_int_equal(batch.attributes, 0x10);
    assert_true(sl_batch_is_transactional(&batch));
    assert_false(sl_batch_is_control(&batch));
    assert_false(sl_batch_is_log_append_time(&batch));
    assert_int_equal(sl_batch_compression(&batch), SL_COMPRESSION_NONE);
    assert_int_equal(batch.last_offset_delta, 1);
    assert_int_equal(batch.base_timestamp, 1700000000000LL);
    assert_int_equal(batch.max_timestamp, 1700000000005LL);
    assert_int_equal(batch.producer_id, 42);
    assert_int_equal(batch.producer_epoch, 3);
    assert_int_equal(batch.base_sequence, 9);
    assert_int_equal(batch.record_count, 2);
    assert_ptr_equal(batch.data, b);
    assert_int_equal(batch.size, sizeof(b));
    assert_ptr_equal(batch.records, b + 61);
    assert_int_equal(batch.records_size, 23);
    assert_int_equal(sl_batch_last_offset(&batch), 101);

    sl_record_iter_t it;
    sl_record_t r;
    assert_int_equal(sl_record_iter_init(&it, &batch, NULL, 0), SL_OK);
    assert_int_equal(sl_record_iter_next(&it, &r), SL_OK);
    assert_int_equal(r.attributes, 0);
    assert_int_equal(r.timestamp, 1700000000000LL);
    assert_int_equal(r.timestamp_delta, 0);
    assert_int_equal(r.offset, 100);
    assert_int_equal(r.offset_delta, 0);
    assert_int_equal(r.key_len, 1);
    assert_memory_equal(r.key, "k", 1);
    assert_int_equal(r.value_len, 5);
    assert_memory_equal(r.value, "hello", 5);
    assert_int_equal(r.header_count, 0);
    /* Zero-copy: the slices point into the batch. */
    assert_ptr_equal(r.key, b + 66);

    assert_int_equal(sl_record_iter_next(&it, &r), SL_OK);
    assert_int_equal(r.timestamp, 1700000000005LL);
    assert_int_equal(r.timestamp_delta, 5);
    assert_int_equal(r.offset, 101);
    assert_int_equal(r.offset_delta, 1);
    assert_int_equal(r.key_len, -1);
    assert_null(r.key);
    assert_int_equal(r.value_len, 0);
    assert_non_null(r.value);
    assert_int_equal(r.header_count, 1);
    sl_header_iter_t hi;
    sl_header_t h;
    sl_header_iter_init(&hi, &r);
    assert_true(sl_header_iter_next(&hi, &h));
    assert_int_equal(h.key_len, 1);
    assert_memory_equal(h.key, "h", 1);
    assert_int_equal(h.value_len, -1);
    assert_null(h.value);
    assert_false(sl_header_iter_next(&hi, &h));

    assert_int_equal(sl_record_iter_next(&it, &r), SL_ERR_NOENT);
    assert_int_equal(sl_batch_validate(&batch, SL_BATCH_VALIDATE_STRICT, NULL, 0, why, sizeof(why)), SL_OK);
}

static void known_writer_reproduces_data_batch_bytes(void **state)
{
    (void)state;
    uint8_t expect[sizeof(data_batch)];
    memcpy(expect, data_batch, sizeof(expect));
    t_fix_crc(expect, sizeof(expect));

    sl_batch_opts_t o;
    sl_batch_opts_init(&o);
    o.base_offset = 100;
    o.partition_leader_epoch = 7;
    o.producer_id = 42;
    o.producer_epoch = 3;
    o.base_sequence = 9;
    o.transactional = true;
    sl_buf_t out = SL_BUF_INIT;
    sl_batch_builder_t b;
    sl_header_t hdr = {(const uint8_t *)"h", 1, NULL, -1};
    assert_int_equal(sl_batch_builder_begin(&b, &out, &o), SL_OK);
    assert_int_equal(sl_batch_builder_add(&b, 1700000000000LL, "k", 1, "hello", 5, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_builder_add(&b, 1700000000005LL, NULL, -1, "", 0, &hdr, 1), SL_OK);
    assert_int_equal(sl_batch_builder_count(&b), 2);
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
    assert_int_equal(out.len, sizeof(expect));
    assert_memory_equal(out.data, expect, sizeof(expect));
    sl_buf_free(&out);
}

static void known_commit_marker_decodes_and_writer_matches(void **state)
{
    (void)state;
    uint8_t expect[sizeof(commit_batch)];
    memcpy(expect, commit_batch, sizeof(expect));
    t_fix_crc(expect, sizeof(expect));

    sl_batch_t batch;
    assert_int_equal(sl_batch_peek(expect, sizeof(expect), &batch, NULL, 0), SL_OK);
    assert_true(sl_batch_is_control(&batch));
    assert_true(sl_batch_is_transactional(&batch));
    assert_int_equal(batch.base_sequence, -1);
    sl_record_iter_t it;
    sl_record_t r;
    assert_int_equal(sl_record_iter_init(&it, &batch, NULL, 0), SL_OK);
    assert_int_equal(sl_record_iter_next(&it, &r), SL_OK);
    int16_t type = -1;
    int32_t epoch = -1;
    assert_int_equal(sl_control_record_type(&r, &type), SL_OK);
    assert_int_equal(type, SL_CONTROL_COMMIT);
    assert_int_equal(sl_control_record_marker(&r, &epoch), SL_OK);
    assert_int_equal(epoch, 3);
    assert_int_equal(sl_record_iter_next(&it, &r), SL_ERR_NOENT);

    sl_batch_opts_t o;
    sl_batch_opts_init(&o);
    o.base_offset = 50;
    o.producer_id = 5;
    o.producer_epoch = 1;
    o.compression = SL_COMPRESSION_ZSTD; /* ignored for markers */
    sl_buf_t out = SL_BUF_INIT;
    assert_int_equal(sl_batch_write_control(&out, &o, true, 3, 1000), SL_OK);
    assert_int_equal(out.len, sizeof(expect));
    assert_memory_equal(out.data, expect, sizeof(expect));

    /* The abort marker differs in the type byte only (and the CRC). */
    sl_buf_reset(&out);
    assert_int_equal(sl_batch_write_control(&out, &o, false, 3, 1000), SL_OK);
    expect[61 + 8] = SL_CONTROL_ABORT;
    t_fix_crc(expect, sizeof(expect));
    assert_memory_equal(out.data, expect, sizeof(expect));
    sl_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_bitwise_crc32c_matches_standard_check_value),
        cmocka_unit_test(known_data_batch_decodes_to_expected_fields),
        cmocka_unit_test(known_writer_reproduces_data_batch_bytes),
        cmocka_unit_test(known_commit_marker_decodes_and_writer_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
