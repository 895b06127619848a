/* group_offsets_test.c - committed offsets (broker/group/offsets.c): the map
 * by topic and partition, and the durable record (Kafka's OffsetCommitKey v1
 * / OffsetCommitValue v3 bodies, framed with size and CRC-32C): round trip,
 * tombstones, a torn tail, a flipped byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <string.h>

#include "group/group_int.h"

static void group_offsets_map_keeps_last_commit_per_partition(void **state)
{
    (void)state;
    sl_map_t m;
    sl_offsets_init(&m);
    sl_offset_t o = {.offset = 5, .leader_epoch = -1, .metadata = "meta", .commit_ts = 9};
    assert_int_equal(sl_offsets_put(&m, sl_kstr("t"), 0, &o), SL_OK);
    o.offset = 6;
    o.metadata = NULL;
    assert_int_equal(sl_offsets_put(&m, sl_kstr("t"), 0, &o), SL_OK);
    o.offset = 70;
    assert_int_equal(sl_offsets_put(&m, sl_kstr("t"), 1, &o), SL_OK);
    assert_int_equal(sl_offsets_put(&m, sl_kstr("t2"), 0, &o), SL_OK);
    assert_int_equal(sl_map_count(&m), 3);
    const sl_offset_t *got = sl_offsets_get(&m, sl_kstr("t"), 0);
    assert_non_null(got);
    assert_int_equal(got->offset, 6);
    assert_null(got->metadata);
    assert_null(sl_offsets_get(&m, sl_kstr("t"), 2));
    size_t it = 0;
    const void *k;
    size_t kl;
    void *v;
    int seen = 0;
    while (sl_map_next(&m, &it, &k, &kl, &v)) {
        sl_kstr_t topic;
        int32_t part;
        sl_offsets_key_split(k, kl, &topic, &part);
        assert_ptr_equal(sl_offsets_get(&m, topic, part), v);
        seen++;
    }
    assert_int_equal(seen, 3);
    sl_offsets_fini(&m);
}

static void group_offsets_record_round_trips_and_rejects_damage(void **state)
{
    (void)state;
    sl_buf_t b;
    sl_buf_init(&b);
    sl_offset_t o = {.offset = 1234567890123LL, .leader_epoch = 3, .metadata = "m1", .commit_ts = 42};
    sl_offsets_record_append(&b, sl_kstr("group-a"), sl_kstr("topic-x"), 17, &o);
    o.metadata = NULL;
    sl_offsets_record_append(&b, sl_kstr("g"), sl_kstr("t"), 0, &o);
    assert_int_equal(sl_buf_err(&b), SL_OK);

    sl_rd_t rd;
    sl_rd_init(&rd, b.data, b.len);
    sl_kstr_t g, t, meta;
    int32_t p;
    sl_offset_t r;
    bool del;
    assert_int_equal(sl_offsets_record_read(&rd, &g, &t, &p, &r, &meta, &del), SL_OK);
    assert_true(sl_kstr_eq(g, "group-a"));
    assert_true(sl_kstr_eq(t, "topic-x"));
    assert_int_equal(p, 17);
    assert_int_equal(r.offset, 1234567890123LL);
    assert_int_equal(r.leader_epoch, 3);
    assert_int_equal(r.commit_ts, 42);
    assert_true(sl_kstr_eq(meta, "m1"));
    assert_int_equal(sl_offsets_record_read(&rd, &g, &t, &p, &r, &meta, &del), SL_OK);
    assert_true(sl_kstr_is_null(meta));
    assert_false(del);
    assert_int_equal(sl_rd_left(&rd), 0);

    /* a tombstone: the key without a value */
    sl_buf_t tb;
    sl_buf_init(&tb);
    sl_offsets_record_append(&tb, sl_kstr("g"), sl_kstr("t"), 3, NULL);
    sl_rd_init(&rd, tb.data, tb.len);
    assert_int_equal(sl_offsets_record_read(&rd, &g, &t, &p, &r, &meta, &del), SL_OK);
    assert_true(del);
    assert_int_equal(p, 3);
    assert_true(sl_kstr_eq(t, "t"));
    sl_buf_free(&tb);

    /* the value starts with version 3 (Kafka's OffsetCommitValue v3) */
    size_t first = 4 + (size_t)((uint32_t)b.data[0] << 24 | (uint32_t)b.data[1] << 16 | b.data[2] << 8 | b.data[3]);
    /* a torn tail: every prefix of the second record is TRUNCATED */
    for (size_t cut = first; cut < b.len; cut++) {
        sl_rd_init(&rd, b.data, cut);
        assert_int_equal(sl_offsets_record_read(&rd, &g, &t, &p, &r, &meta, &del), SL_OK);
        if (cut > first)
            assert_int_equal(sl_offsets_record_read(&rd, &g, &t, &p, &r, &meta, &del), SL_ERR_TRUNCATED);
    }
    /* one flipped byte in the body fails the CRC */
    b.data[20] ^= 0x40;
    sl_rd_init(&rd, b.data, b.len);
    assert_int_equal(sl_offsets_record_read(&rd, &g, &t, &p, &r, &meta, &del), SL_ERR_CRC);
    sl_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(group_offsets_map_keeps_last_commit_per_partition),
        cmocka_unit_test(group_offsets_record_round_trips_and_rejects_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
