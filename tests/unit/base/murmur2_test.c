/* murmur2_test.c - Kafka's murmur2: the Java UtilsTest vectors, and agreement
 * with librdkafka's Java-compatible partitioner on many pseudo-random keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "base.h"

static void murmur2_matches_kafka_utils_test_vectors(void **state)
{
    (void)state;
    const struct {
        const char *key;
        int32_t want;
    } cases[] = {
        {"21", -973932308},
        {"foobar", -790332482},
        {"a-little-bit-long-string", -985981536},
        {"a-little-bit-longer-string", -1486304829},
        {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
    };
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++)
        assert_int_equal(sl_murmur2(cases[i].key, strlen(cases[i].key)), cases[i].want);
    const uint8_t abc[] = {'a', 'b', 'c'};
    assert_int_equal(sl_murmur2(abc, sizeof(abc)), 479470107);
}

static void murmur2_empty_key_hashes_length_only(void **state)
{
    (void)state;
    assert_int_equal(sl_murmur2("", 0), 275646681);
    assert_int_equal(sl_murmur2(NULL, 0), 275646681);
}

static void murmur2_partition_is_positive_hash_modulo(void **state)
{
    (void)state;
    /* murmur2("foobar") = -790332482; & 0x7fffffff = 1357151166. */
    assert_int_equal(sl_murmur2_partition("foobar", 6, 50), 1357151166 % 50);
    assert_int_equal(sl_murmur2_partition("foobar", 6, 1), 0);
    assert_int_equal(sl_murmur2_partition("21", 2, INT32_MAX), (-973932308 & 0x7fffffff) % INT32_MAX);
}

/* xorshift64*: deterministic keys, no dependence on rand()'s implementation. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(0x2545f4914f6cdd1d);
}

static void murmur2_partition_agrees_with_librdkafka(void **state)
{
    (void)state;
    const int32_t counts[] = {1, 2, 3, 7, 12, 50, 64, 100, 1000, INT32_MAX};
    uint64_t seed = UINT64_C(0x9e3779b97f4a7c15);
    uint8_t key[64];
    for (int round = 0; round < 5000; round++) {
        size_t len = (size_t)(rng_next(&seed) % 65);
        for (size_t i = 0; i < len; i++)
            key[i] = (uint8_t)rng_next(&seed);
        for (size_t c = 0; c < SL_ARRAY_LEN(counts); c++) {
            /* A non-NULL key pointer: librdkafka picks a random partition for NULL. */
            int32_t want = rd_kafka_msg_partitioner_murmur2(NULL, key, len, counts[c], NULL, NULL);
            int32_t got = sl_murmur2_partition(key, len, counts[c]);
            if (got != want)
                fail_msg("len %zu, %d partitions: got %d, librdkafka %d", len, counts[c], got, want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(murmur2_matches_kafka_utils_test_vectors),
        cmocka_unit_test(murmur2_empty_key_hashes_length_only),
        cmocka_unit_test(murmur2_partition_is_positive_hash_modulo),
        cmocka_unit_test(murmur2_partition_agrees_with_librdkafka),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
