/* group_records_test.c - the coordinator's __consumer_offsets records
 * (broker/group/records_internal.c): the group-to-partition rule (Java's
 * String.hashCode over UTF-16, malformed UTF-8 as Java decodes it), byte
 * layouts of the keys and values, round trips, older value versions, and
 * truncated, garbage and oversized input refused without a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <string.h>

#include "group/group_int.h"

static int32_t jhash(const char *s) { return sl_coord_java_hash(s, strlen(s)); }

/* Java's hashCode of a string of UTF-16 units, computed the long way. */
static int32_t units_hash(const uint16_t *u, size_t n)
{
    uint32_t h = 0;
    for (size_t i = 0; i < n; i++)
        h = h * 31 + u[i];
    return (int32_t)h;
}

static void group_records_hash_matches_java(void **state)
{
    (void)state;
    /* values of java.lang.String.hashCode */
    assert_int_equal(jhash(""), 0);
    assert_int_equal(jhash("a"), 97);
    assert_int_equal(jhash("abc"), 96354);
    assert_int_equal(jhash("hello"), 99162322);
    assert_int_equal(jhash("Aa"), jhash("BB"));
    /* the famous Integer.MIN_VALUE: Kafka's abs (n & 0x7fffffff) gives 0 */
    assert_int_equal(jhash("polygenelubricants"), INT32_MIN);
    assert_int_equal(sl_coord_partition_for("polygenelubricants", 18, 50), 0);
    /* a negative hash is masked, not negated */
    int32_t h = jhash("my-consumer-group-with-a-long-name");
    assert_int_equal(sl_coord_partition_for("my-consumer-group-with-a-long-name", 34, 50),
                     (int32_t)(((uint32_t)h & 0x7fffffffu) % 50));
    assert_int_equal(sl_coord_partition_for("abc", 3, 50), 96354 % 50);
    assert_int_equal(sl_coord_partition_for("abc", 3, 0), 0);
}

static void group_records_hash_decodes_utf8_to_utf16(void **state)
{
    (void)state;
    /* e-acute (U+00E9), euro (U+20AC), grinning face (U+1F600: surrogates) */
    const uint16_t u1[] = {'g', 0x00E9, 0x20AC, 0xD83D, 0xDE00, '!'};
    assert_int_equal(jhash("g\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80!"), units_hash(u1, 6));
    assert_int_equal(jhash("\xF0\x9F\x98\x80"), 55357 * 31 + 56832);
    /* malformed: each bad byte one U+FFFD */
    const uint16_t u2[] = {'a', 0xFFFD, 'b'};
    assert_int_equal(jhash("a\xFF" "b"), units_hash(u2, 3));
    /* overlong C0 80: two replacements */
    const uint16_t u3[] = {0xFFFD, 0xFFFD};
    assert_int_equal(jhash("\xC0\x80"), units_hash(u3, 2));
    /* a sequence cut short is one replacement, the next byte is itself */
    const uint16_t u4[] = {0xFFFD, 'a'};
    assert_int_equal(jhash("\xE2\x82" "a"), units_hash(u4, 2));
    assert_int_equal(jhash("\xE2\x82"), 0xFFFD);
    /* an encoded surrogate: one replacement for its three bytes */
    const uint16_t u5[] = {0xFFFD, 'x'};
    assert_int_equal(jhash("\xED\xA0\x80" "x"), units_hash(u5, 2));
    /* above U+10FFFF */
    const uint16_t u6[] = {0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD};
    assert_int_equal(jhash("\xF4\x90\x80\x80"), units_hash(u6, 4));
}

static void group_records_offset_layout_and_round_trip(void **state)
{
    (void)state;
    sl_buf_t k, v;
    sl_buf_init(&k);
    sl_buf_init(&v);
    sl_coord_offset_key_write(&k, sl_kstr("g"), sl_kstr("t"), 7);
    const uint8_t want_key[] = {0, 1, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 7};
    assert_int_equal(k.len, sizeof want_key);
    assert_memory_equal(k.data, want_key, sizeof want_key);
    sl_offset_t o = {.offset = 1234567890123LL, .leader_epoch = 3, .metadata = "m1", .commit_ts = 42};
    sl_coord_offset_value_write(&v, &o);
    assert_int_equal(v.len, 2 + 8 + 4 + 2 + 2 + 8);
    assert_int_equal(v.data[1], 3);

    sl_coord_key_t key;
    assert_int_equal(sl_coord_key_read(k.data, k.len, &key), SL_OK);
    assert_int_equal(key.version, 1);
    assert_true(sl_kstr_eq(key.group, "g"));
    assert_true(sl_kstr_eq(key.topic, "t"));
    assert_int_equal(key.partition, 7);
    sl_offset_t r;
    sl_kstr_t meta;
    assert_int_equal(sl_coord_offset_value_read(v.data, v.len, &r, &meta), SL_OK);
    assert_int_equal(r.offset, o.offset);
    assert_int_equal(r.leader_epoch, 3);
    assert_int_equal(r.commit_ts, 42);
    assert_true(sl_kstr_eq(meta, "m1"));

    /* null metadata is stored as "" (the field is not nullable) */
    v.len = 0;
    o.metadata = NULL;
    sl_coord_offset_value_write(&v, &o);
    assert_int_equal(sl_coord_offset_value_read(v.data, v.len, &r, &meta), SL_OK);
    assert_int_equal(meta.len, 0);

    /* every shorter prefix is refused; so is a byte too many */
    for (size_t n = 0; n < k.len; n++)
        assert_int_equal(sl_coord_key_read(k.data, n, &key), SL_ERR_PARSE);
    for (size_t n = 0; n < v.len; n++)
        assert_int_not_equal(sl_coord_offset_value_read(v.data, n, &r, &meta), SL_OK);
    sl_buf_put_u8(&v, 0);
    assert_int_equal(sl_coord_offset_value_read(v.data, v.len, &r, &meta), SL_ERR_PARSE);
    sl_buf_free(&k);
    sl_buf_free(&v);
}

static void group_records_older_and_unknown_versions(void **state)
{
    (void)state;
    /* OffsetCommitValue v1: offset, metadata, commit and expire timestamps */
    const uint8_t v1[] = {0, 1,                   /* version */
                          0, 0, 0, 0, 0, 0, 0, 9, /* offset */
                          0, 0,                   /* metadata "" */
                          0, 0, 0, 0, 0, 0, 0, 5, /* commit timestamp */
                          0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    sl_offset_t r;
    sl_kstr_t meta;
    assert_int_equal(sl_coord_offset_value_read(v1, sizeof v1, &r, &meta), SL_OK);
    assert_int_equal(r.offset, 9);
    assert_int_equal(r.leader_epoch, -1);
    assert_int_equal(r.commit_ts, 5);
    /* flexible v4 and unknown versions */
    const uint8_t v4[] = {0, 4, 0, 0};
    assert_int_equal(sl_coord_offset_value_read(v4, sizeof v4, &r, &meta), SL_ERR_UNSUPPORTED);
    /* a transaction log key (version 0 there, but of another topic) is
     * read as an offset key and refused by its shape; version 3+ keys are
     * not ours */
    const uint8_t k3[] = {0, 3, 0, 1, 'x'};
    sl_coord_key_t key;
    assert_int_equal(sl_coord_key_read(k3, sizeof k3, &key), SL_ERR_UNSUPPORTED);
    const uint8_t kneg[] = {0, 1, 0xff, 0xfe};
    assert_int_equal(sl_coord_key_read(kneg, sizeof kneg, &key), SL_ERR_PARSE);
}

static void group_records_group_round_trip_and_damage(void **state)
{
    (void)state;
    sl_buf_t k, v;
    sl_buf_init(&k);
    sl_buf_init(&v);
    sl_coord_group_key_write(&k, sl_kstr("grp"));
    const uint8_t want_key[] = {0, 2, 0, 3, 'g', 'r', 'p'};
    assert_int_equal(k.len, sizeof want_key);
    assert_memory_equal(k.data, want_key, sizeof want_key);
    sl_group_record_member_t ms[2] = {
        {.member_id = sl_kstr("m-1"), .instance_id = sl_kstr_null(), .client_id = sl_kstr("c"),
         .client_host = sl_kstr("/127.0.0.1"), .rebalance_timeout_ms = 300000, .session_timeout_ms = 45000,
         .subscription = {(const uint8_t *)"sub", 3}, .assignment = {(const uint8_t *)"as", 2}},
        {.member_id = sl_kstr("m-2"), .instance_id = sl_kstr("static-2"), .client_id = sl_kstr(""),
         .client_host = sl_kstr(""), .rebalance_timeout_ms = 1, .session_timeout_ms = 2,
         .subscription = {(const uint8_t *)"", 0}, .assignment = {(const uint8_t *)"", 0}},
    };
    sl_group_record_t g = {.protocol_type = sl_kstr("consumer"), .generation = 7, .protocol = sl_kstr("range"),
                           .leader = sl_kstr("m-1"), .state_ts = 1700000000000LL, .nmembers = 2, .members = ms};
    sl_coord_group_value_write(&v, &g);
    assert_int_equal(sl_buf_err(&v), SL_OK);

    sl_coord_key_t key;
    assert_int_equal(sl_coord_key_read(k.data, k.len, &key), SL_OK);
    assert_int_equal(key.version, 2);
    assert_true(sl_kstr_eq(key.group, "grp"));
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 1 << 20);
    sl_group_record_t r;
    assert_int_equal(sl_coord_group_value_read(v.data, v.len, &arena, &r), SL_OK);
    assert_true(sl_kstr_eq(r.protocol_type, "consumer"));
    assert_int_equal(r.generation, 7);
    assert_true(sl_kstr_eq(r.protocol, "range"));
    assert_true(sl_kstr_eq(r.leader, "m-1"));
    assert_int_equal(r.state_ts, 1700000000000LL);
    assert_int_equal(r.nmembers, 2);
    assert_true(sl_kstr_eq(r.members[0].client_host, "/127.0.0.1"));
    assert_true(sl_kstr_is_null(r.members[0].instance_id));
    assert_true(sl_kstr_eq(r.members[1].instance_id, "static-2"));
    assert_int_equal(r.members[0].rebalance_timeout_ms, 300000);
    assert_int_equal(r.members[0].session_timeout_ms, 45000);
    assert_int_equal(r.members[0].subscription.len, 3);
    assert_memory_equal(r.members[0].assignment.ptr, "as", 2);

    for (size_t n = 0; n < v.len; n++) {
        sl_arena_reset(&arena);
        assert_int_not_equal(sl_coord_group_value_read(v.data, n, &arena, &r), SL_OK);
    }
    /* a member count the bytes cannot hold allocates nothing */
    const uint8_t huge[] = {0, 3, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff};
    sl_arena_reset(&arena);
    assert_int_equal(sl_coord_group_value_read(huge, sizeof huge, &arena, &r), SL_ERR_PARSE);
    assert_true(sl_arena_used(&arena) < 1024);

    /* garbage: any answer, never a crash (ASan watches) */
    uint32_t x = 12345;
    uint8_t junk[64];
    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)(round % (int)sizeof junk);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            junk[i] = (uint8_t)(x >> 16);
        }
        if (n >= 2) {
            junk[0] = 0;
            junk[1] = (uint8_t)(round % 4);
        }
        sl_arena_reset(&arena);
        (void)sl_coord_group_value_read(junk, n, &arena, &r);
        (void)sl_coord_key_read(junk, n, &key);
        sl_offset_t o;
        sl_kstr_t meta;
        (void)sl_coord_offset_value_read(junk, n, &o, &meta);
    }
    sl_arena_fini(&arena);
    sl_buf_free(&k);
    sl_buf_free(&v);
}

static void group_records_group_value_v0(void **state)
{
    (void)state;
    /* v0: no rebalance timeout, no state timestamp, no instance id */
    sl_buf_t v;
    sl_buf_init(&v);
    sl_buf_put_i16(&v, 0);
    sl_buf_put_i16(&v, 8);
    sl_buf_put(&v, "consumer", 8);
    sl_buf_put_i32(&v, 3);
    sl_buf_put_i16(&v, -1); /* protocol null */
    sl_buf_put_i16(&v, -1); /* leader null */
    sl_buf_put_i32(&v, 1);
    sl_buf_put_i16(&v, 1);
    sl_buf_put(&v, "m", 1);
    sl_buf_put_i16(&v, 0); /* client id */
    sl_buf_put_i16(&v, 0); /* client host */
    sl_buf_put_i32(&v, 10000);
    sl_buf_put_i32(&v, 0);
    sl_buf_put_i32(&v, 0);
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 1 << 20);
    sl_group_record_t r;
    assert_int_equal(sl_coord_group_value_read(v.data, v.len, &arena, &r), SL_OK);
    assert_int_equal(r.generation, 3);
    assert_true(sl_kstr_is_null(r.protocol));
    assert_int_equal(r.state_ts, -1);
    assert_int_equal(r.nmembers, 1);
    assert_int_equal(r.members[0].session_timeout_ms, 10000);
    assert_int_equal(r.members[0].rebalance_timeout_ms, 10000);
    sl_arena_fini(&arena);
    sl_buf_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(group_records_hash_matches_java),
        cmocka_unit_test(group_records_hash_decodes_utf8_to_utf16),
        cmocka_unit_test(group_records_offset_layout_and_round_trip),
        cmocka_unit_test(group_records_older_and_unknown_versions),
        cmocka_unit_test(group_records_group_round_trip_and_damage),
        cmocka_unit_test(group_records_group_value_v0),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
