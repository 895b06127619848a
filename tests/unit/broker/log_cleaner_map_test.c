/*
 * log_cleaner_map_test.c - the cleaner's bounded key map
 * (log.cleaner.dedupe.buffer.size): SipHash-2-4-128 against the reference
 * vector, the table's budget and fill limit, and cleaning with a map too
 * small for the dirty range: several passes, each ending at the last whole
 * segment that fit (or inside a segment too large for the map alone), the
 * checkpoint moving forward each time, and the end result equal to one
 * pass with a map large enough.
 */
#include "log_cleaner_util.h"
#include "log_int.h"

static void siphash128_matches_the_reference_vector(void **state)
{
    SL_UNUSED(state);
    /* Key 00..0f, empty message: a3 81 7f 04 ba 25 a8 e6 6d f6 72 14 c7 55
     * 02 93 (the reference implementation's first 128-bit vector). */
    const uint64_t key[2] = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
    uint64_t out[2];
    clean_siphash128(key, "", 0, out);
    assert_true(out[0] == 0xe6a825ba047f81a3ULL);
    assert_true(out[1] == 0x930255c71472f66dULL);
    /* One byte more, one word more: all different. */
    uint8_t msg[16];
    for (int i = 0; i < 16; i++)
        msg[i] = (uint8_t)i;
    uint64_t a[2], b[2];
    clean_siphash128(key, msg, 15, a);
    clean_siphash128(key, msg, 16, b);
    assert_false(a[0] == b[0] && a[1] == b[1]);
    assert_false(a[0] == out[0] && a[1] == out[1]);
}

static void map_stays_within_its_budget_and_refuses_new_keys_when_full(void **state)
{
    SL_UNUSED(state);
    clean_map_t m;
    /* 10 slots: 9 keys at most (90%). */
    assert_int_equal(clean_map_init(&m, 10 * CLEAN_MAP_ENTRY_BYTES, 1000000), SL_OK);
    assert_int_equal(m.nslots, 10);
    assert_int_equal(m.max_used, 9);
    char key[16];
    for (int i = 0; i < 9; i++) {
        int n = snprintf(key, sizeof(key), "key-%d", i);
        assert_true(clean_map_put(&m, key, (size_t)n, 100 + i));
    }
    assert_false(clean_map_put(&m, "another", 7, 200));
    assert_int_equal(clean_map_get(&m, "another", 7), -1);
    /* Known keys still take newer offsets. */
    assert_true(clean_map_put(&m, "key-3", 5, 300));
    assert_int_equal(clean_map_get(&m, "key-3", 5), 300);
    assert_int_equal(clean_map_get(&m, "key-4", 5), 104);
    assert_int_equal(m.latest, 300);
    clean_map_fini(&m);

    /* A large budget and few possible keys: sized for the keys. */
    assert_int_equal(clean_map_init(&m, (int64_t)128 << 20, 90), SL_OK);
    assert_true(m.nslots * CLEAN_MAP_ENTRY_BYTES < 4096);
    assert_true(m.max_used >= 90);
    clean_map_fini(&m);
    /* A budget below one entry still holds one key. */
    assert_int_equal(clean_map_init(&m, 1, 1000), SL_OK);
    assert_int_equal(m.max_used, 1);
    assert_true(clean_map_put(&m, "a", 1, 1));
    assert_false(clean_map_put(&m, "b", 1, 2));
    clean_map_fini(&m);
}

#define NKEYS 1500
#define NRECS 5000

/* NRECS records, offset o holding key k<o % NKEYS> = v<o>, in segments of
 * segment_bytes. */
static sl_log_t *fill(const char *dir, int64_t segment_bytes, int64_t now)
{
    sl_log_t *log = open_small(dir, segment_bytes, true);
    for (int64_t seq = 0; seq < NRECS; seq += 10)
        k_append(log, 10, (int)(seq % NKEYS), NKEYS, seq, false, now - 1000, SL_COMPRESSION_NONE, -1);
    return log;
}

static void run_small_map(int64_t segment_bytes, int64_t map_keys, int min_passes)
{
    int64_t now = sl_time_wall_ms();
    char *dir1 = t_mkdtemp(), *dir2 = t_mkdtemp();
    sl_log_t *one = fill(dir1, segment_bytes, now);
    sl_log_t *many = fill(dir2, segment_bytes, now);
    assert_true(sl_log_segment_count(one) >= 2);

    sl_log_clean_opts_t opts = eager();
    sl_log_clean_info_t info;
    assert_int_equal(sl_log_clean(one, &opts, now, &info), SL_OK);
    assert_true(info.ran);
    int64_t full_end = info.cleaned_to;

    /* map_keys keys at most (the slots for them at 90%, rounded up). */
    opts.dedupe_buffer_bytes = (map_keys * 10 / 9 + 1) * CLEAN_MAP_ENTRY_BYTES;
    int passes = 0;
    int64_t prev = -1;
    t_sink_t *sink = t_sink_start();
    for (;;) {
        assert_true(passes < 200);
        assert_int_equal(sl_log_clean(many, &opts, now, &info), SL_OK);
        if (!info.ran)
            break;
        passes++;
        assert_true(info.cleaned_to > prev);
        assert_true(info.cleaned_to <= full_end);
        prev = info.cleaned_to;
    }
    t_sink_stop();
    assert_true(passes >= min_passes);
    assert_int_equal(prev, full_end);
    assert_non_null(strstr(sink->text, "key map full"));

    read_all_t a, b;
    read_all(one, &a);
    read_all(many, &b);
    ra_assert_equal(&a, &b);
    /* And that is the latest value of every key below the active segment. */
    for (size_t i = 0; i < b.n; i++) {
        char want[32];
        snprintf(want, sizeof(want), "v%lld", (long long)b.r[i].offset);
        assert_string_equal(b.r[i].val, want);
        if (b.r[i].offset < full_end)
            assert_true(b.r[i].offset + NKEYS >= full_end);
    }
    free(a.r);
    free(b.r);
    assert_int_equal(sl_log_close(one), SL_OK);
    assert_int_equal(sl_log_close(many), SL_OK);
    t_rmdir(dir1);
    t_rmdir(dir2);
}

/* Segments of ~220 records: a map of 500 keys holds about two segments'
 * new keys, so each pass ends at the last whole segment that fit. */
static void small_map_cleans_in_passes_of_whole_segments(void **state)
{
    SL_UNUSED(state);
    run_small_map(4096, 500, 5);
}

/* One inactive segment of thousands of keys and a map of 200: each pass
 * cleans a prefix of that segment (Kafka gives up on such a log). */
static void map_smaller_than_one_segment_cleans_prefixes(void **state)
{
    SL_UNUSED(state);
    run_small_map(64 * 1024, 200, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(siphash128_matches_the_reference_vector),
        cmocka_unit_test(map_stays_within_its_budget_and_refuses_new_keys_when_full),
        cmocka_unit_test(small_map_cleans_in_passes_of_whole_segments),
        cmocka_unit_test(map_smaller_than_one_segment_cleans_prefixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
