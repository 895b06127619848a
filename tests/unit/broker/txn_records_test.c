/* txn_records_test.c - the transaction coordinator's __transaction_state
 * records (broker/txn/txn_records.c): the byte layout of
 * TransactionLogKey v0 and TransactionLogValue v0 (partitions grouped by
 * topic, null for Empty), round trips, other versions refused, and every
 * truncation, garbage and oversized count refused without a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <string.h>

#include "txn/txn.h"

static void txn_records_key_layout(void **state)
{
    (void)state;
    sl_buf_t b;
    sl_buf_init(&b);
    sl_txn_key_write(&b, sl_kstr("tx"));
    const uint8_t want[] = {0, 0, 0, 2, 't', 'x'};
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    sl_kstr_t id;
    assert_int_equal(sl_txn_key_read(b.data, b.len, &id), SL_OK);
    assert_int_equal(id.len, 2);
    assert_memory_equal(id.ptr, "tx", 2);
    for (size_t n = 0; n < b.len; n++)
        assert_int_equal(sl_txn_key_read(b.data, n, &id), SL_ERR_PARSE);
    const uint8_t v1[] = {0, 1, 0, 0};
    assert_int_equal(sl_txn_key_read(v1, sizeof v1, &id), SL_ERR_UNSUPPORTED);
    const uint8_t neg[] = {0, 0, 0xff, 0xfe};
    assert_int_equal(sl_txn_key_read(neg, sizeof neg, &id), SL_ERR_PARSE);
    const uint8_t extra[] = {0, 0, 0, 0, 9};
    assert_int_equal(sl_txn_key_read(extra, sizeof extra, &id), SL_ERR_PARSE);
    sl_buf_free(&b);
}

static void sample(sl_txn_t *t)
{
    sl_txn_init(t);
    t->producer_id = 4000;
    t->producer_epoch = 7;
    t->timeout_ms = 60000;
    t->state = SL_TXN_ONGOING;
    assert_int_equal(sl_txn_add_part(t, sl_kstr("a"), 0), SL_OK);
    assert_int_equal(sl_txn_add_part(t, sl_kstr("b"), 3), SL_OK);
    assert_int_equal(sl_txn_add_part(t, sl_kstr("a"), 2), SL_OK);
    assert_int_equal(sl_txn_add_part(t, sl_kstr("a"), 0), SL_OK); /* already there */
    t->update_ts = 1700000000123;
    t->start_ts = 1700000000000;
}

static void txn_records_value_layout_and_round_trip(void **state)
{
    (void)state;
    sl_txn_t t, r;
    sample(&t);
    assert_int_equal(t.nparts, 3);
    sl_buf_t b;
    sl_buf_init(&b);
    sl_txn_value_write(&b, &t);
    const uint8_t want[] = {
        0, 0,                                  /* version */
        0, 0, 0, 0, 0, 0, 0x0f, 0xa0,          /* producer id 4000 */
        0, 7,                                  /* epoch */
        0, 0, 0xea, 0x60,                      /* timeout 60000 */
        1,                                     /* Ongoing */
        0, 0, 0, 2,                            /* two topics */
        0, 1, 'a', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2,
        0, 1, 'b', 0, 0, 0, 1, 0, 0, 0, 3,
        0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x7b, /* 1700000000123 */
        0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00, /* 1700000000000 */
    };
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    assert_int_equal(sl_txn_value_read(b.data, b.len, &r), SL_OK);
    assert_int_equal(r.producer_id, 4000);
    assert_int_equal(r.producer_epoch, 7);
    assert_int_equal(r.timeout_ms, 60000);
    assert_int_equal(r.state, SL_TXN_ONGOING);
    assert_int_equal(r.nparts, 3);
    assert_true(sl_txn_has_part(&r, sl_kstr("a"), 2));
    assert_true(sl_txn_has_part(&r, sl_kstr("b"), 3));
    assert_false(sl_txn_has_part(&r, sl_kstr("b"), 0));
    assert_int_equal(r.update_ts, 1700000000123);
    assert_int_equal(r.start_ts, 1700000000000);
    assert_int_equal(r.last_producer_id, -1);
    sl_txn_free(&r);
    /* every truncation is refused, and so is a byte too many */
    for (size_t n = 0; n < b.len; n++) {
        assert_int_not_equal(sl_txn_value_read(b.data, n, &r), SL_OK);
        sl_txn_free(&r);
    }
    sl_buf_put_u8(&b, 0);
    assert_int_equal(sl_txn_value_read(b.data, b.len, &r), SL_ERR_PARSE);
    sl_txn_free(&r);
    /* Empty writes a null partition array */
    sl_txn_free(&t);
    sl_txn_init(&t);
    t.producer_id = 1;
    t.producer_epoch = 0;
    b.len = 0;
    sl_txn_value_write(&b, &t);
    assert_int_equal(b.len, 2 + 8 + 2 + 4 + 1 + 4 + 8 + 8);
    assert_memory_equal(b.data + 17, "\xff\xff\xff\xff", 4);
    assert_int_equal(sl_txn_value_read(b.data, b.len, &r), SL_OK);
    assert_int_equal(r.state, SL_TXN_EMPTY);
    assert_int_equal(r.nparts, 0);
    sl_txn_free(&r);
    sl_txn_free(&t);
    sl_buf_free(&b);
}

static void txn_records_value_damage(void **state)
{
    (void)state;
    sl_txn_t t, r;
    sample(&t);
    sl_buf_t b;
    sl_buf_init(&b);
    sl_txn_value_write(&b, &t);
    uint8_t *p = b.data;
    /* another version */
    p[1] = 1;
    assert_int_equal(sl_txn_value_read(p, b.len, &r), SL_ERR_UNSUPPORTED);
    sl_txn_free(&r);
    p[1] = 0;
    /* an unknown status */
    p[16] = 8;
    assert_int_equal(sl_txn_value_read(p, b.len, &r), SL_ERR_PARSE);
    sl_txn_free(&r);
    p[16] = 0xff;
    assert_int_equal(sl_txn_value_read(p, b.len, &r), SL_ERR_PARSE);
    sl_txn_free(&r);
    p[16] = 1;
    /* huge topic and partition counts are refused before any allocation */
    memcpy(p + 17, "\x7f\xff\xff\xff", 4);
    assert_int_equal(sl_txn_value_read(p, b.len, &r), SL_ERR_PARSE);
    sl_txn_free(&r);
    memcpy(p + 17, "\xff\xff\xff\xfe", 4);
    assert_int_equal(sl_txn_value_read(p, b.len, &r), SL_ERR_PARSE);
    sl_txn_free(&r);
    memcpy(p + 17, "\x00\x00\x00\x02", 4);
    memcpy(p + 24, "\x7f\xff\xff\xff", 4);
    assert_int_equal(sl_txn_value_read(p, b.len, &r), SL_ERR_PARSE);
    sl_txn_free(&r);
    memcpy(p + 24, "\x00\x00\x00\x02", 4);
    /* a negative topic name length */
    memcpy(p + 21, "\xff\xff", 2);
    assert_int_equal(sl_txn_value_read(p, b.len, &r), SL_ERR_PARSE);
    sl_txn_free(&r);
    memcpy(p + 21, "\x00\x01", 2);
    assert_int_equal(sl_txn_value_read(p, b.len, &r), SL_OK);
    sl_txn_free(&r);
    /* garbage of every length: no crash, never a partial success */
    uint32_t x = 12345;
    for (int round = 0; round < 2000; round++) {
        uint8_t g[64];
        size_t n = (size_t)(round % 64);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245 + 12345;
            g[i] = (uint8_t)(x >> 16);
        }
        if (n >= 2)
            g[0] = g[1] = 0;
        sl_err_t err = sl_txn_value_read(g, n, &r);
        assert_true(err == SL_OK || err == SL_ERR_PARSE || err == SL_ERR_UNSUPPORTED);
        sl_txn_free(&r);
        sl_kstr_t id;
        err = sl_txn_key_read(g, n, &id);
        assert_true(err == SL_OK || err == SL_ERR_PARSE || err == SL_ERR_UNSUPPORTED);
    }
    sl_txn_free(&t);
    sl_buf_free(&b);
}

static void txn_records_state_names(void **state)
{
    (void)state;
    assert_string_equal(sl_txn_state_name(SL_TXN_PREPARE_EPOCH_FENCE), "PrepareEpochFence");
    assert_string_equal(sl_txn_state_name(SL_TXN_COMPLETE_COMMIT), "CompleteCommit");
    assert_string_equal(sl_txn_state_name((sl_txn_state_t)42), "Unknown");
    assert_int_equal(sl_txn_state_parse("Ongoing", 7), SL_TXN_ONGOING);
    assert_int_equal(sl_txn_state_parse("ongoing", 7), -1);
    assert_int_equal(sl_txn_state_parse("Ongoin", 6), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(txn_records_key_layout),
        cmocka_unit_test(txn_records_value_layout_and_round_trip),
        cmocka_unit_test(txn_records_value_damage),
        cmocka_unit_test(txn_records_state_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
