/* broker_produce_test.c - what Produce accepts per partition and the Kafka
 * error code for what it refuses: old message formats, batch counts, CRC and
 * structure, codecs by version, transactional and control batches, size
 * limits, decompression bombs, keyless records on compacted topics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "broker_int.h"

typedef struct bt {
    sl_topic_config_t tcfg;
    sl_buf_t scratch;
    char msg[200];
    int32_t nrecords;
} bt_t;

static int setup(void **state)
{
    bt_t *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    t->tcfg.max_message_bytes = 1048588;
    t->tcfg.segment_bytes = 1 << 30;
    t->tcfg.delete = true;
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    bt_t *t = *state;
    sl_buf_free(&t->scratch);
    free(t);
    return 0;
}

/* Appends a batch of n records (value_len bytes each, keyed unless
 * keyless) to out. */
static void batch(sl_buf_t *out, sl_compression_t codec, int n, int32_t value_len, bool keyless, bool txn)
{
    sl_batch_opts_t opts;
    sl_batch_opts_init(&opts);
    opts.compression = codec;
    if (txn) {
        opts.transactional = true;
        opts.producer_id = 7;
        opts.producer_epoch = 0;
        opts.base_sequence = 0;
    }
    sl_batch_builder_t b;
    assert_int_equal(sl_batch_builder_begin(&b, out, &opts), SL_OK);
    uint8_t *value = calloc(1, (size_t)value_len + 1);
    assert_non_null(value);
    for (int i = 0; i < n; i++)
        assert_int_equal(sl_batch_builder_add(&b, 1000 + i, "k", keyless ? -1 : 1, value, value_len, NULL, 0),
                         SL_OK);
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
    free(value);
}

static int16_t check(bt_t *t, int16_t version, const sl_buf_t *records)
{
    return sl_broker_produce_check(version, records->data, (int32_t)records->len, &t->tcfg, &t->scratch,
                                   &t->nrecords, t->msg, sizeof t->msg);
}

static void produce_accepts_one_batch_in_every_codec(void **state)
{
    bt_t *t = *state;
    for (int codec = SL_COMPRESSION_NONE; codec <= SL_COMPRESSION_ZSTD; codec++) {
        sl_buf_t rec = SL_BUF_INIT;
        batch(&rec, (sl_compression_t)codec, 10, 100, false, false);
        assert_int_equal(check(t, 9, &rec), 0);
        assert_int_equal(t->nrecords, 10);
        assert_int_equal(check(t, 3, &rec), codec == SL_COMPRESSION_ZSTD ? SL_ERR_UNSUPPORTED_COMPRESSION_TYPE : 0);
        sl_buf_free(&rec);
    }
}

static void produce_refuses_old_formats_and_wrong_batch_counts(void **state)
{
    bt_t *t = *state;
    sl_buf_t rec = SL_BUF_INIT;
    batch(&rec, SL_COMPRESSION_NONE, 2, 10, false, false);
    for (int16_t v = 0; v <= 2; v++)
        assert_int_equal(check(t, v, &rec), SL_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT);
    /* Two batches for one partition: Kafka wants exactly one. */
    batch(&rec, SL_COMPRESSION_NONE, 2, 10, false, false);
    assert_int_equal(check(t, 7, &rec), SL_ERR_INVALID_RECORD);
    sl_buf_free(&rec);
    /* None at all: null and empty records. */
    assert_int_equal(sl_broker_produce_check(7, NULL, -1, &t->tcfg, &t->scratch, &t->nrecords, t->msg, sizeof t->msg),
                     SL_ERR_INVALID_RECORD);
    assert_int_equal(check(t, 7, &rec), SL_ERR_INVALID_RECORD);
    /* A magic 1 message set in a v3+ request. */
    uint8_t v1[34] = {0};
    v1[11] = 22;  /* message size */
    v1[16] = 1;   /* magic 1 */
    sl_buf_put(&rec, v1, sizeof v1);
    assert_int_equal(check(t, 7, &rec), SL_ERR_INVALID_RECORD);
    sl_buf_free(&rec);
}

static void produce_refuses_corrupt_and_truncated_batches(void **state)
{
    bt_t *t = *state;
    sl_buf_t rec = SL_BUF_INIT;
    batch(&rec, SL_COMPRESSION_NONE, 3, 10, false, false);
    rec.data[rec.len - 1] ^= 0x55; /* a record byte: the CRC no longer matches */
    assert_int_equal(check(t, 7, &rec), SL_ERR_CORRUPT_MESSAGE);
    rec.data[rec.len - 1] ^= 0x55;
    assert_int_equal(check(t, 7, &rec), 0);
    rec.len -= 5; /* cut inside the batch */
    assert_int_equal(check(t, 7, &rec), SL_ERR_CORRUPT_MESSAGE);
    assert_true(t->msg[0] != '\0');
    rec.len = 30; /* cut inside the header */
    assert_int_equal(check(t, 7, &rec), SL_ERR_CORRUPT_MESSAGE);
    sl_buf_free(&rec);
}

static void produce_accepts_transactional_batches_not_control_ones(void **state)
{
    bt_t *t = *state;
    sl_buf_t rec = SL_BUF_INIT;
    batch(&rec, SL_COMPRESSION_NONE, 2, 10, false, true);
    assert_int_equal(check(t, 7, &rec), 0);
    sl_buf_free(&rec);
    /* A transactional batch without a producer id is not a producer's. */
    sl_batch_opts_t txn;
    sl_batch_opts_init(&txn);
    txn.transactional = true;
    sl_batch_builder_t b;
    assert_int_equal(sl_batch_builder_begin(&b, &rec, &txn), SL_OK);
    assert_int_equal(sl_batch_builder_add(&b, 1000, "k", 1, "v", 1, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
    assert_int_equal(check(t, 7, &rec), SL_ERR_INVALID_RECORD);
    sl_buf_free(&rec);
    /* A client's control batch (a commit marker) is refused as Kafka does. */
    sl_batch_opts_t opts;
    sl_batch_opts_init(&opts);
    opts.producer_id = 7;
    opts.producer_epoch = 0;
    assert_int_equal(sl_batch_write_control(&rec, &opts, true, 0, 1000), SL_OK);
    assert_int_equal(check(t, 7, &rec), SL_ERR_INVALID_RECORD);
    sl_buf_free(&rec);
}

static void produce_applies_size_limits(void **state)
{
    bt_t *t = *state;
    sl_buf_t rec = SL_BUF_INIT;
    batch(&rec, SL_COMPRESSION_NONE, 1, 2000, false, false);
    t->tcfg.max_message_bytes = 1000;
    assert_int_equal(check(t, 7, &rec), SL_ERR_MESSAGE_TOO_LARGE);
    t->tcfg.max_message_bytes = (int32_t)rec.len; /* exactly the batch: fits */
    assert_int_equal(check(t, 7, &rec), 0);
    t->tcfg.segment_bytes = (int64_t)rec.len - 1;
    assert_int_equal(check(t, 7, &rec), SL_ERR_RECORD_LIST_TOO_LARGE);
    sl_buf_free(&rec);
}

static void produce_decompression_bomb_fails_within_its_bound(void **state)
{
    bt_t *t = *state;
    /* 80 MiB of zeros compress to little; the limit is max(64 MiB,
     * 2 x max.message.bytes). */
    sl_buf_t rec = SL_BUF_INIT;
    batch(&rec, SL_COMPRESSION_ZSTD, 80, 1 << 20, false, false);
    assert_true(rec.len < 1048588);
    assert_int_equal(check(t, 9, &rec), SL_ERR_MESSAGE_TOO_LARGE);
    assert_true(t->scratch.cap < ((size_t)140 << 20));
    sl_buf_free(&rec);
}

static void produce_compacted_topic_wants_keys(void **state)
{
    bt_t *t = *state;
    t->tcfg.compact = true;
    sl_buf_t rec = SL_BUF_INIT;
    batch(&rec, SL_COMPRESSION_GZIP, 3, 10, true, false);
    assert_int_equal(check(t, 7, &rec), SL_ERR_INVALID_RECORD);
    sl_buf_reset(&rec);
    batch(&rec, SL_COMPRESSION_GZIP, 3, 10, false, false);
    assert_int_equal(check(t, 7, &rec), 0);
    t->tcfg.compact = false;
    sl_buf_reset(&rec);
    batch(&rec, SL_COMPRESSION_NONE, 3, 10, true, false);
    assert_int_equal(check(t, 7, &rec), 0);
    sl_buf_free(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(produce_accepts_one_batch_in_every_codec, setup, teardown),
        cmocka_unit_test_setup_teardown(produce_refuses_old_formats_and_wrong_batch_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(produce_refuses_corrupt_and_truncated_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(produce_accepts_transactional_batches_not_control_ones, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(produce_applies_size_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(produce_decompression_bomb_fails_within_its_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(produce_compacted_topic_wants_keys, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
