/* prod_partitioner_test.c - the producer's partitioner: keyed records land
 * where the Java client puts them (published partition vectors over 1000
 * partitions, and librdkafka's murmur2 partitioner as an oracle), null keys
 * stick to one available partition until its batch is done (KIP-480),
 * partitioner.ignore.keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "producer_int.h"

static void keyed_records_match_java_partition_vectors(void **state)
{
    (void)state;
    /* The Java client's DefaultPartitioner over 1000 partitions. */
    static const struct {
        const char *key;
        size_t len;
        int32_t want;
    } cases[] = {
        {"", 0, 681}, {"a", 1, 524}, {"ab", 2, 434}, {"abc", 3, 107},
        {"123456789", 9, 566}, {"\x00 ", 2, 742},
    };
    sl_partitioner_t pt;
    sl_partitioner_init(&pt, false, 1);
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++)
        assert_int_equal(sl_partitioner_partition(&pt, "t", cases[i].key, (int32_t)cases[i].len, 1000, NULL),
                         cases[i].want);
    sl_partitioner_fini(&pt);
}

static void keyed_records_agree_with_librdkafka_murmur2(void **state)
{
    (void)state;
    sl_partitioner_t pt;
    sl_partitioner_init(&pt, false, 7);
    bool avail[13];
    for (int i = 0; i < 13; i++)
        avail[i] = i % 3 != 0; /* availability never changes a keyed choice */
    char key[32];
    for (int i = 0; i < 2000; i++) {
        int len = snprintf(key, sizeof(key), "key-%d", i);
        int32_t counts[] = {1, 3, 13};
        for (size_t c = 0; c < SL_ARRAY_LEN(counts); c++) {
            int32_t want = rd_kafka_msg_partitioner_murmur2(NULL, key, (size_t)len, counts[c], NULL, NULL);
            assert_int_equal(sl_partitioner_partition(&pt, "t", key, len, counts[c], avail), want);
        }
    }
    sl_partitioner_fini(&pt);
}

static void null_keys_stick_until_a_new_batch(void **state)
{
    (void)state;
    sl_partitioner_t pt;
    sl_partitioner_init(&pt, false, 42);
    bool avail[8] = {false, true, false, true, true, false, true, false};
    int32_t first = sl_partitioner_partition(&pt, "t", NULL, -1, 8, avail);
    assert_true(first >= 0 && first < 8 && avail[first]);
    for (int i = 0; i < 100; i++)
        assert_int_equal(sl_partitioner_partition(&pt, "t", NULL, -1, 8, avail), first);
    /* Another topic has its own sticky partition. */
    int32_t other = sl_partitioner_partition(&pt, "u", NULL, -1, 8, avail);
    assert_true(avail[other]);
    int seen[8] = {0};
    int32_t cur = first;
    for (int i = 0; i < 400; i++) {
        int32_t next = sl_partitioner_new_batch(&pt, "t", cur, 8, avail);
        assert_true(avail[next]);
        assert_int_not_equal(next, cur);
        assert_int_equal(sl_partitioner_partition(&pt, "t", NULL, -1, 8, avail), next);
        seen[next]++;
        cur = next;
    }
    /* Every available partition gets its turn. */
    for (int i = 0; i < 8; i++)
        assert_true(avail[i] ? seen[i] > 0 : seen[i] == 0);
    /* A stale notice (the sticky partition already moved on) changes nothing. */
    int32_t stale = cur == 1 ? 3 : 1;
    assert_int_equal(sl_partitioner_new_batch(&pt, "t", stale, 8, avail), cur);
    assert_int_equal(sl_partitioner_partition(&pt, "u", NULL, -1, 8, avail), other);
    sl_partitioner_fini(&pt);
}

static void no_available_partition_falls_back_to_any(void **state)
{
    (void)state;
    sl_partitioner_t pt;
    sl_partitioner_init(&pt, false, 3);
    bool none[4] = {false, false, false, false};
    int32_t p = sl_partitioner_partition(&pt, "t", NULL, -1, 4, none);
    assert_true(p >= 0 && p < 4);
    bool one[4] = {false, false, true, false};
    for (int i = 0; i < 20; i++)
        assert_int_equal(sl_partitioner_new_batch(&pt, "t", sl_partitioner_partition(&pt, "t", NULL, -1, 4, one),
                                                  4, one), 2);
    /* More partitions than the sticky choice knew of: it stays valid. */
    assert_int_equal(sl_partitioner_partition(&pt, "t", NULL, -1, 6, NULL), 2);
    /* Fewer: a new one within range. */
    assert_int_equal(sl_partitioner_partition(&pt, "t", NULL, -1, 1, NULL), 0);
    sl_partitioner_fini(&pt);
}

static void ignore_keys_makes_keyed_records_sticky(void **state)
{
    (void)state;
    sl_partitioner_t pt;
    sl_partitioner_init(&pt, true, 9);
    int32_t first = sl_partitioner_partition(&pt, "t", "a", 1, 1000, NULL);
    for (int i = 0; i < 50; i++) {
        char key[16];
        int len = snprintf(key, sizeof(key), "k%d", i);
        assert_int_equal(sl_partitioner_partition(&pt, "t", key, len, 1000, NULL), first);
    }
    sl_partitioner_fini(&pt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keyed_records_match_java_partition_vectors),
        cmocka_unit_test(keyed_records_agree_with_librdkafka_murmur2),
        cmocka_unit_test(null_keys_stick_until_a_new_batch),
        cmocka_unit_test(no_available_partition_falls_back_to_any),
        cmocka_unit_test(ignore_keys_makes_keyed_records_sticky),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
