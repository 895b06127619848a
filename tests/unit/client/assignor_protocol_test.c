/* assignor_protocol_test.c - ConsumerProtocolSubscription and
 * ConsumerProtocolAssignment: round trips at every version, the exact byte
 * layout (as the Java client and librdkafka write it), newer versions read
 * as the newest known, and malformed bytes (every truncation, bad counts,
 * NUL in names, random bytes) refused cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "assignor.h"

static const char *const topics[] = {"orders", "payments"};
static const sl_asg_tp_t owned[] = {{"orders", 0}, {"payments", 3}, {"orders", 2}};
static const uint8_t udata[] = {1, 2, 3};

static sl_asg_subscription_t full_subscription(void)
{
    sl_asg_subscription_t sub;
    sl_asg_subscription_init(&sub);
    sub.topics = (const char **)topics;
    sub.topic_count = 2;
    sub.user_data = udata;
    sub.user_data_len = 3;
    sub.owned = owned;
    sub.owned_count = 3;
    sub.generation = 42;
    sub.rack = "rack-a";
    return sub;
}

static void subscription_round_trips_at_every_version(void **state)
{
    (void)state;
    sl_asg_subscription_t sub = full_subscription();
    for (int16_t v = 0; v <= SL_ASG_PROTO_VERSION_MAX; v++) {
        sl_buf_t buf = SL_BUF_INIT;
        sl_arena_t arena;
        sl_arena_init(&arena, 0, 0);
        assert_int_equal(sl_asg_subscription_encode(&buf, v, &sub), SL_OK);
        sl_asg_subscription_t got;
        assert_int_equal(sl_asg_subscription_decode(buf.data, buf.len, &arena, &got), SL_OK);
        assert_int_equal(got.topic_count, 2);
        assert_string_equal(got.topics[0], "orders");
        assert_string_equal(got.topics[1], "payments");
        assert_int_equal(got.user_data_len, 3);
        assert_memory_equal(got.user_data, udata, 3);
        if (v >= 1) {
            /* grouped by topic in first-appearance order */
            assert_int_equal(got.owned_count, 3);
            assert_string_equal(got.owned[0].topic, "orders");
            assert_int_equal(got.owned[0].partition, 0);
            assert_string_equal(got.owned[1].topic, "orders");
            assert_int_equal(got.owned[1].partition, 2);
            assert_string_equal(got.owned[2].topic, "payments");
            assert_int_equal(got.owned[2].partition, 3);
        } else {
            assert_int_equal(got.owned_count, 0);
        }
        assert_int_equal(got.generation, v >= 2 ? 42 : -1);
        if (v >= 3)
            assert_string_equal(got.rack, "rack-a");
        else
            assert_null(got.rack);
        sl_buf_free(&buf);
        sl_arena_fini(&arena);
    }
}

static void assignment_round_trips_at_every_version(void **state)
{
    (void)state;
    sl_asg_assignment_t a;
    sl_asg_assignment_init(&a);
    a.parts = owned;
    a.count = 3;
    for (int16_t v = 0; v <= SL_ASG_PROTO_VERSION_MAX; v++) {
        sl_buf_t buf = SL_BUF_INIT;
        sl_arena_t arena;
        sl_arena_init(&arena, 0, 0);
        assert_int_equal(sl_asg_assignment_encode(&buf, v, &a), SL_OK);
        sl_asg_assignment_t got;
        assert_int_equal(sl_asg_assignment_decode(buf.data, buf.len, &arena, &got), SL_OK);
        assert_int_equal(got.count, 3);
        assert_string_equal(got.parts[2].topic, "payments");
        assert_int_equal(got.parts[2].partition, 3);
        assert_null(got.user_data);
        assert_int_equal(got.user_data_len, -1);
        sl_buf_free(&buf);
        sl_arena_fini(&arena);
    }
}

/* The layout, byte for byte: what librdkafka 2.0 sends for a subscription
 * to "t1" with no owned partitions (version 1, empty user data; captured
 * from a confluent_kafka consumer with DescribeGroups), and v3 with null
 * user data, generation and rack as the schema lays it out. */
static void subscription_bytes_are_kafkas(void **state)
{
    (void)state;
    static const uint8_t rdkafka_v1[] = {
        0x00, 0x01,             /* version 1 */
        0x00, 0x00, 0x00, 0x01, /* 1 topic */
        0x00, 0x02, 't', '1',
        0x00, 0x00, 0x00, 0x00, /* user data: empty, not null */
        0x00, 0x00, 0x00, 0x00, /* no owned partitions */
    };
    static const char *const t1[] = {"t1"};
    static const uint8_t empty[1] = {0};
    sl_asg_subscription_t sub;
    sl_asg_subscription_init(&sub);
    sub.topics = (const char **)t1;
    sub.topic_count = 1;
    sub.user_data = empty;
    sub.user_data_len = 0;
    sl_buf_t buf = SL_BUF_INIT;
    assert_int_equal(sl_asg_subscription_encode(&buf, 1, &sub), SL_OK);
    assert_int_equal(buf.len, sizeof(rdkafka_v1));
    assert_memory_equal(buf.data, rdkafka_v1, sizeof(rdkafka_v1));

    static const uint8_t java_v3[] = {
        0x00, 0x03,                         /* version 3 */
        0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 't', '1',
        0xff, 0xff, 0xff, 0xff,             /* user data null */
        0x00, 0x00, 0x00, 0x01,             /* owned: 1 topic */
        0x00, 0x02, 't', '1',
        0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x05,             /* generation 5 */
        0x00, 0x02, 'r', '1',               /* rack */
    };
    static const sl_asg_tp_t own[] = {{"t1", 0}, {"t1", 1}};
    sl_asg_subscription_init(&sub);
    sub.topics = (const char **)t1;
    sub.topic_count = 1;
    sub.owned = own;
    sub.owned_count = 2;
    sub.generation = 5;
    sub.rack = "r1";
    sl_buf_reset(&buf);
    assert_int_equal(sl_asg_subscription_encode(&buf, 3, &sub), SL_OK);
    assert_int_equal(buf.len, sizeof(java_v3));
    assert_memory_equal(buf.data, java_v3, sizeof(java_v3));
    sl_buf_free(&buf);

    static const uint8_t assignment_v0[] = {
        0x00, 0x00,                         /* version 0 */
        0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 't', '1',
        0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
        0xff, 0xff, 0xff, 0xff,             /* user data null */
    };
    sl_asg_assignment_t a;
    sl_asg_assignment_init(&a);
    a.parts = own;
    a.count = 2;
    assert_int_equal(sl_asg_assignment_encode(&buf, 0, &a), SL_OK);
    assert_int_equal(buf.len, sizeof(assignment_v0));
    assert_memory_equal(buf.data, assignment_v0, sizeof(assignment_v0));
    sl_buf_free(&buf);
}

/* Metadata and assignments exactly as a librdkafka 2.0.2 group wrote them
 * (captured with DescribeGroups from confluent_kafka consumers). */
static void librdkafka_bytes_decode_and_match(void **state)
{
    (void)state;
    /* cooperative-sticky: v1, [t1], StickyAssignor user data ([t1 [0]],
     * generation 1), owned [t1 [0]] */
    static const uint8_t coop_sub[] = {
        0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 't', '1',
        0x00, 0x00, 0x00, 0x14,
        0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 't', '1', 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 't', '1', 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    };
    /* its assignment from a librdkafka leader: v0, [t1 [0]], the same user data */
    static const uint8_t coop_assignment[] = {
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 't', '1', 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x14,
        0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 't', '1', 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x01,
    };
    /* a member given nothing: v0, no topics, empty user data */
    static const uint8_t nothing[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    /* range: v0, [t1 [0]], empty user data */
    static const uint8_t range_assignment[] = {
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 't', '1', 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00,
    };
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    sl_asg_subscription_t sub;
    assert_int_equal(sl_asg_subscription_decode(coop_sub, sizeof(coop_sub), &arena, &sub), SL_OK);
    assert_int_equal(sub.topic_count, 1);
    assert_string_equal(sub.topics[0], "t1");
    assert_int_equal(sub.owned_count, 1);
    assert_string_equal(sub.owned[0].topic, "t1");
    assert_int_equal(sub.owned[0].partition, 0);
    assert_int_equal(sub.generation, -1);
    assert_int_equal(sub.user_data_len, 20);
    assert_int_equal(sl_asg_sticky_generation(&sub), 1);
    /* our member's subscription with the same content is the same bytes */
    sl_buf_t ud = SL_BUF_INIT, buf = SL_BUF_INIT;
    assert_int_equal(sl_assignor_cooperative_sticky.user_data(&ud, sub.owned, sub.owned_count, 1), SL_OK);
    assert_int_equal(ud.len, 20);
    assert_memory_equal(ud.data, sub.user_data, 20);
    assert_int_equal(sl_asg_subscription_encode(&buf, 1, &sub), SL_OK);
    assert_int_equal(buf.len, sizeof(coop_sub));
    assert_memory_equal(buf.data, coop_sub, sizeof(coop_sub));

    sl_asg_assignment_t a;
    assert_int_equal(sl_asg_assignment_decode(coop_assignment, sizeof(coop_assignment), &arena, &a), SL_OK);
    assert_int_equal(a.count, 1);
    assert_string_equal(a.parts[0].topic, "t1");
    assert_int_equal(a.parts[0].partition, 0);
    assert_int_equal(a.user_data_len, 20);
    sl_buf_reset(&buf);
    assert_int_equal(sl_asg_assignment_encode(&buf, 0, &a), SL_OK);
    assert_memory_equal(buf.data, coop_assignment, sizeof(coop_assignment));

    assert_int_equal(sl_asg_assignment_decode(nothing, sizeof(nothing), &arena, &a), SL_OK);
    assert_int_equal(a.count, 0);
    assert_int_equal(a.user_data_len, 0);

    assert_int_equal(sl_asg_assignment_decode(range_assignment, sizeof(range_assignment), &arena, &a), SL_OK);
    assert_int_equal(a.count, 1);
    sl_buf_reset(&buf);
    assert_int_equal(sl_asg_assignment_encode(&buf, 0, &a), SL_OK);
    assert_int_equal(buf.len, sizeof(range_assignment));
    assert_memory_equal(buf.data, range_assignment, sizeof(range_assignment));
    sl_buf_free(&ud);
    sl_buf_free(&buf);
    sl_arena_fini(&arena);
}

/* A version newer than ours, with a field we do not know appended, reads
 * as version 3; extra bytes after an older version's fields are ignored. */
static void newer_versions_read_as_newest_known(void **state)
{
    (void)state;
    sl_asg_subscription_t sub = full_subscription();
    sl_buf_t buf = SL_BUF_INIT;
    assert_int_equal(sl_asg_subscription_encode(&buf, 3, &sub), SL_OK);
    buf.data[1] = 9;
    sl_buf_put_i32(&buf, 0x12345678);
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    sl_asg_subscription_t got;
    assert_int_equal(sl_asg_subscription_decode(buf.data, buf.len, &arena, &got), SL_OK);
    assert_int_equal(got.generation, 42);
    assert_string_equal(got.rack, "rack-a");
    sl_buf_free(&buf);
    sl_arena_fini(&arena);
}

static void empty_assignment_bytes_mean_nothing_assigned(void **state)
{
    (void)state;
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    sl_asg_assignment_t got;
    assert_int_equal(sl_asg_assignment_decode(NULL, 0, &arena, &got), SL_OK);
    assert_int_equal(got.count, 0);
    sl_arena_fini(&arena);
}

/* Every proper prefix of a valid encoding fails cleanly. */
static void truncations_fail(void **state)
{
    (void)state;
    sl_asg_subscription_t sub = full_subscription();
    sl_asg_assignment_t a;
    sl_asg_assignment_init(&a);
    a.parts = owned;
    a.count = 3;
    a.user_data = udata;
    a.user_data_len = 3;
    for (int16_t v = 0; v <= SL_ASG_PROTO_VERSION_MAX; v++) {
        sl_buf_t sb = SL_BUF_INIT, ab = SL_BUF_INIT;
        assert_int_equal(sl_asg_subscription_encode(&sb, v, &sub), SL_OK);
        assert_int_equal(sl_asg_assignment_encode(&ab, v, &a), SL_OK);
        for (size_t n = 0; n < sb.len; n++) {
            sl_arena_t arena;
            sl_arena_init(&arena, 0, 0);
            uint8_t *copy = malloc(n ? n : 1); /* exact size, so ASan sees any overread */
            memcpy(copy, sb.data, n);
            sl_asg_subscription_t got;
            sl_err_t err = sl_asg_subscription_decode(copy, n, &arena, &got);
            assert_true(err == SL_ERR_TRUNCATED || err == SL_ERR_PARSE);
            assert_int_equal(got.topic_count, 0);
            free(copy);
            sl_arena_fini(&arena);
        }
        for (size_t n = 1; n < ab.len; n++) {
            sl_arena_t arena;
            sl_arena_init(&arena, 0, 0);
            uint8_t *copy = malloc(n);
            memcpy(copy, ab.data, n);
            sl_asg_assignment_t got;
            sl_err_t err = sl_asg_assignment_decode(copy, n, &arena, &got);
            assert_true(err == SL_ERR_TRUNCATED || err == SL_ERR_PARSE);
            assert_int_equal(got.count, 0);
            free(copy);
            sl_arena_fini(&arena);
        }
        sl_buf_free(&sb);
        sl_buf_free(&ab);
    }
}

static sl_err_t decode_sub(const uint8_t *p, size_t n)
{
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 1 << 20);
    sl_asg_subscription_t got;
    sl_err_t err = sl_asg_subscription_decode(p, n, &arena, &got);
    sl_arena_fini(&arena);
    return err;
}

static void malformed_fields_fail(void **state)
{
    (void)state;
    /* negative version */
    static const uint8_t neg[] = {0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
    assert_int_equal(decode_sub(neg, sizeof(neg)), SL_ERR_PARSE);
    /* a topic count far beyond the bytes: refused before allocating */
    static const uint8_t huge[] = {0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 1, 'x'};
    sl_err_t err = decode_sub(huge, sizeof(huge));
    assert_true(err == SL_ERR_TRUNCATED || err == SL_ERR_PARSE);
    /* a NUL inside a topic name */
    static const uint8_t nul[] = {0, 0, 0, 0, 0, 1, 0, 3, 'a', 0, 'b', 0xff, 0xff, 0xff, 0xff};
    assert_int_equal(decode_sub(nul, sizeof(nul)), SL_ERR_PARSE);
    /* a null topic name */
    static const uint8_t null_topic[] = {0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    err = decode_sub(null_topic, sizeof(null_topic));
    assert_true(err == SL_ERR_TRUNCATED || err == SL_ERR_PARSE);
    /* a negative owned partition */
    static const uint8_t negp[] = {0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 1,
                                   't', 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfe};
    assert_int_equal(decode_sub(negp, sizeof(negp)), SL_ERR_PARSE);
    /* user data longer than what is left */
    static const uint8_t longud[] = {0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 1, 2};
    assert_int_equal(decode_sub(longud, sizeof(longud)), SL_ERR_TRUNCATED);
    /* an arena at its limit */
    sl_asg_subscription_t sub = full_subscription();
    sl_buf_t buf = SL_BUF_INIT;
    assert_int_equal(sl_asg_subscription_encode(&buf, 3, &sub), SL_OK);
    sl_arena_t tiny;
    sl_arena_init(&tiny, 64, 32);
    sl_asg_subscription_t got;
    assert_int_equal(sl_asg_subscription_decode(buf.data, buf.len, &tiny, &got), SL_ERR_NOMEM);
    sl_arena_fini(&tiny);
    sl_buf_free(&buf);
}

static void encoding_refuses_bad_structs(void **state)
{
    (void)state;
    sl_buf_t buf = SL_BUF_INIT;
    sl_buf_put_u8(&buf, 0xaa);
    sl_asg_subscription_t sub = full_subscription();
    assert_int_equal(sl_asg_subscription_encode(&buf, 4, &sub), SL_ERR_UNSUPPORTED_VERSION);
    assert_int_equal(sl_asg_subscription_encode(&buf, -1, &sub), SL_ERR_UNSUPPORTED_VERSION);
    static const char *const bad[] = {"ok", NULL};
    sub.topics = (const char **)bad;
    assert_int_equal(sl_asg_subscription_encode(&buf, 0, &sub), SL_ERR_INVAL);
    sub = full_subscription();
    static const sl_asg_tp_t badtp[] = {{NULL, 1}};
    sub.owned = badtp;
    sub.owned_count = 1;
    assert_int_equal(sl_asg_subscription_encode(&buf, 1, &sub), SL_ERR_INVAL);
    sub = full_subscription();
    sub.user_data = NULL;
    sub.user_data_len = 5;
    assert_int_equal(sl_asg_subscription_encode(&buf, 1, &sub), SL_ERR_INVAL);
    /* nothing was left behind by the failures */
    assert_int_equal(buf.len, 1);
    sl_buf_free(&buf);
}

/* Random bytes and random mutations of valid encodings: never a crash, and
 * whatever decodes is well-formed. */
static void random_bytes_never_crash(void **state)
{
    (void)state;
    srand(777);
    sl_asg_subscription_t sub = full_subscription();
    sl_buf_t valid = SL_BUF_INIT;
    assert_int_equal(sl_asg_subscription_encode(&valid, 3, &sub), SL_OK);
    for (int i = 0; i < 20000; i++) {
        size_t n;
        uint8_t bytes[128];
        if (i % 2) {
            n = valid.len;
            memcpy(bytes, valid.data, n);
            for (int k = 0; k < 1 + rand() % 4; k++)
                bytes[(size_t)rand() % n] = (uint8_t)rand();
        } else {
            n = (size_t)rand() % sizeof(bytes);
            for (size_t k = 0; k < n; k++)
                bytes[k] = (uint8_t)(rand() % 4 ? rand() % 3 : rand());
        }
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, bytes, n);
        sl_arena_t arena;
        sl_arena_init(&arena, 0, 1 << 20);
        sl_asg_subscription_t got;
        if (sl_asg_subscription_decode(copy, n, &arena, &got) == SL_OK) {
            for (size_t k = 0; k < got.topic_count; k++)
                assert_non_null(got.topics[k]);
            for (size_t k = 0; k < got.owned_count; k++)
                assert_true(got.owned[k].partition >= 0);
        }
        sl_asg_assignment_t ga;
        if (sl_asg_assignment_decode(copy, n, &arena, &ga) == SL_OK)
            for (size_t k = 0; k < ga.count; k++)
                assert_non_null(ga.parts[k].topic);
        free(copy);
        sl_arena_fini(&arena);
    }
    sl_buf_free(&valid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(subscription_round_trips_at_every_version),
        cmocka_unit_test(assignment_round_trips_at_every_version),
        cmocka_unit_test(subscription_bytes_are_kafkas),
        cmocka_unit_test(librdkafka_bytes_decode_and_match),
        cmocka_unit_test(newer_versions_read_as_newest_known),
        cmocka_unit_test(empty_assignment_bytes_mean_nothing_assigned),
        cmocka_unit_test(truncations_fail),
        cmocka_unit_test(malformed_fields_fail),
        cmocka_unit_test(encoding_refuses_bad_structs),
        cmocka_unit_test(random_bytes_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
