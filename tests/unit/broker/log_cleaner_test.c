/*
 * log_cleaner_test.c - compaction of the partition log (sl_log_clean):
 * latest value per key at original offsets, the active segment untouched,
 * tombstones kept then removed after delete.retention.ms (fake clock),
 * producer fields and compression kept, stray .cleaned/.swap files after a
 * crash, the dirty ratio and the compaction lag, the three-step pass with
 * the log used between the steps. Merging, the bounded key map, swap
 * crash points and max.compaction.lag.ms: log_cleaner_*_test.c.
 */
#include "log_cleaner_util.h"

#define NKEYS 100
#define NUPDATES 10000
#define PER_BATCH 10

/* 10,000 updates over 100 keys in many small segments. Returns the active
 * segment's base offset. */
static int64_t fill_updates(sl_log_t *log, int64_t now, sl_compression_t codec)
{
    for (int64_t seq = 0; seq < NUPDATES; seq += PER_BATCH)
        k_append(log, PER_BATCH, (int)(seq % NKEYS), NKEYS, seq, false, now - 1000, codec, -1);
    assert_true(sl_log_segment_count(log) > 20);
    return sl_log_end_offset(log); /* not exact: see the callers */
}

/* For every key, its last offset below limit, from the uncleaned pattern:
 * offset o holds key o % NKEYS, value "v<o>". */
static void check_latest_below(const read_all_t *ra, int64_t limit)
{
    size_t below = 0;
    for (size_t i = 0; i < ra->n; i++) {
        const rec_out_t *o = &ra->r[i];
        char want[32];
        snprintf(want, sizeof(want), "v%lld", (long long)o->offset);
        assert_string_equal(o->val, want);
        char wkey[32];
        snprintf(wkey, sizeof(wkey), "k%lld", (long long)(o->offset % NKEYS));
        assert_string_equal(o->key, wkey);
        if (o->offset >= limit)
            continue;
        below++;
        /* The latest below limit for this key. */
        assert_true(o->offset + NKEYS >= limit);
    }
    assert_int_equal(below, NKEYS);
}

static void run_latest_per_key(sl_compression_t codec)
{
    char *dir = t_mkdtemp();
    int64_t now = sl_time_wall_ms();
    sl_log_t *log = open_small(dir, 4096, true);
    fill_updates(log, now, codec);
    size_t nsegs = sl_log_segment_count(log);
    int64_t size_before = sl_log_size(log);
    /* The active segment: its bytes must not change. */
    read_all_t before;
    read_all(log, &before);
    assert_int_equal(before.n, NUPDATES);
    free(before.r);

    char active_path[512];
    int64_t end = sl_log_end_offset(log);
    /* Find the active segment's base: the largest segment file. */
    int64_t active_base = -1;
    for (int64_t b = end; b >= 0 && active_base < 0; b--) {
        t_path(active_path, sizeof(active_path), dir, b, ".log");
        if (t_file_size(active_path) >= 0)
            active_base = b;
    }
    assert_true(active_base > 0);
    size_t alen = 0;
    uint8_t *active = t_read_all(active_path, &alen);

    sl_log_clean_opts_t opts = eager();
    sl_log_clean_info_t info;
    assert_int_equal(sl_log_clean(log, &opts, now, &info), SL_OK);
    assert_true(info.ran);
    assert_true(info.segments > 0);
    assert_true(info.bytes_after < info.bytes_before);
    assert_true(sl_log_size(log) < size_before);
    /* The cleaned segments, a few bytes each, are merged into one. */
    assert_int_equal(info.segments, (int32_t)nsegs - 1);
    assert_int_equal(info.segments_after, 1);
    assert_int_equal(sl_log_segment_count(log), 2);
    assert_int_equal(sl_log_end_offset(log), end);

    read_all_t ra;
    read_all(log, &ra);
    check_latest_below(&ra, active_base);
    assert_int_equal(ra.n, NKEYS + (size_t)(end - active_base));

    size_t alen2 = 0;
    uint8_t *active2 = t_read_all(active_path, &alen2);
    assert_int_equal(alen2, alen);
    assert_memory_equal(active2, active, alen);
    free(active);
    free(active2);

    /* A second pass has nothing dirty: nothing runs. */
    assert_int_equal(sl_log_clean(log, &opts, now, &info), SL_OK);
    assert_false(info.ran);

    /* Reopened (clean and unclean), the same records are there. */
    assert_int_equal(sl_log_close(log), SL_OK);
    for (int k = 0; k < 2; k++) {
        log = open_small(dir, 4096, k == 0);
        read_all_t rb;
        read_all(log, &rb);
        assert_int_equal(rb.n, ra.n);
        for (size_t i = 0; i < ra.n; i++) {
            assert_int_equal(rb.r[i].offset, ra.r[i].offset);
            assert_string_equal(rb.r[i].val, ra.r[i].val);
        }
        free(rb.r);
        assert_int_equal(sl_log_close(log), SL_OK);
    }
    free(ra.r);
    t_rmdir(dir);
}

/* An open transaction's first offset (the LSO) stops the pass: the segment
 * holding it and everything after stay as written, the segments before it
 * are cleaned; once the transaction ends the rest is cleanable. */
static void clean_stops_at_the_first_unstable_offset(void **state)
{
    SL_UNUSED(state);
    char *dir = t_mkdtemp();
    int64_t now = sl_time_wall_ms();
    sl_log_t *log = open_small(dir, 4096, true);
    fill_updates(log, now, SL_COMPRESSION_NONE);
    int64_t end = sl_log_end_offset(log);
    int64_t lso = end / 2;

    sl_log_clean_opts_t opts = eager();
    opts.first_unstable = lso;
    sl_log_clean_info_t info;
    assert_int_equal(sl_log_clean(log, &opts, now, &info), SL_OK);
    assert_true(info.ran);
    assert_true(info.cleaned_to <= lso);
    assert_true(info.cleaned_to > 0);
    /* From the segment holding the LSO on, every record is still there. */
    read_all_t ra;
    read_all(log, &ra);
    size_t kept_above = 0;
    for (size_t i = 0; i < ra.n; i++)
        if (ra.r[i].offset >= info.cleaned_to)
            kept_above++;
    assert_int_equal(kept_above, (size_t)(end - info.cleaned_to));
    free(ra.r);

    /* The transaction ended: the pass goes on to the active segment. */
    opts.first_unstable = INT64_MAX;
    int64_t first_to = info.cleaned_to;
    assert_int_equal(sl_log_clean(log, &opts, now, &info), SL_OK);
    assert_true(info.ran);
    assert_true(info.cleaned_to > first_to);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

static void clean_keeps_latest_value_per_key_at_original_offsets(void **state)
{
    SL_UNUSED(state);
    run_latest_per_key(SL_COMPRESSION_NONE);
}

static void clean_keeps_latest_value_per_key_in_compressed_batches(void **state)
{
    SL_UNUSED(state);
    run_latest_per_key(SL_COMPRESSION_LZ4);
}

/* Every batch alone in its segment (segment_bytes below a batch). */
static void clean_removes_tombstones_only_after_delete_retention(void **state)
{
    SL_UNUSED(state);
    char *dir = t_mkdtemp();
    int64_t t0 = sl_time_wall_ms();
    sl_log_t *log = open_small(dir, 100, true);
    k_append(log, 1, 0, 3, 0, false, t0, SL_COMPRESSION_NONE, -1); /* 0: k0=v0 */
    k_append(log, 1, 1, 3, 1, false, t0, SL_COMPRESSION_NONE, -1); /* 1: k1=v1 */
    k_append(log, 1, 0, 3, 2, true, t0, SL_COMPRESSION_NONE, -1);  /* 2: k0 deleted */
    k_append(log, 1, 2, 3, 3, false, t0, SL_COMPRESSION_NONE, -1); /* 3: k2 (active) */

    sl_log_clean_opts_t opts = eager();
    opts.delete_retention_ms = 60000;
    sl_log_clean_info_t info;
    assert_int_equal(sl_log_clean(log, &opts, t0, &info), SL_OK);
    assert_true(info.ran);
    read_all_t ra;
    read_all(log, &ra);
    const rec_out_t *k0 = find_key(&ra, "k0");
    assert_non_null(k0);
    assert_true(k0->tombstone);
    assert_int_equal(k0->offset, 2);
    assert_int_equal(ra.n, 3);
    free(ra.r);

    /* More dirty data; still within delete.retention.ms: kept. */
    k_append(log, 1, 2, 3, 4, false, t0, SL_COMPRESSION_NONE, -1); /* 4: k2 (active) */
    assert_int_equal(sl_log_clean(log, &opts, t0 + 30000, &info), SL_OK);
    assert_true(info.ran);
    read_all(log, &ra);
    k0 = find_key(&ra, "k0");
    assert_non_null(k0);
    assert_true(k0->tombstone);
    free(ra.r);

    /* Past it: gone; k1 stays. */
    k_append(log, 1, 2, 3, 5, false, t0, SL_COMPRESSION_NONE, -1); /* 5: k2 (active) */
    assert_int_equal(sl_log_clean(log, &opts, t0 + 60001, &info), SL_OK);
    assert_true(info.ran);
    read_all(log, &ra);
    assert_null(find_key(&ra, "k0"));
    const rec_out_t *k1 = find_key(&ra, "k1");
    assert_non_null(k1);
    assert_string_equal(k1->val, "v1");
    assert_int_equal(k1->offset, 1);
    assert_int_equal(sl_log_end_offset(log), 6);
    free(ra.r);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

static void clean_keeps_the_last_emptied_batch_of_a_producer(void **state)
{
    SL_UNUSED(state);
    char *dir = t_mkdtemp();
    int64_t t0 = sl_time_wall_ms();
    sl_log_t *log = open_small(dir, 100, true);
    k_append(log, 2, 0, 2, 0, false, t0, SL_COMPRESSION_NONE, 77); /* 0,1: k0 k1 by producer 77 */
    k_append(log, 2, 0, 2, 2, false, t0, SL_COMPRESSION_NONE, 77); /* 2,3: again, its last batch */
    k_append(log, 2, 0, 2, 4, false, t0, SL_COMPRESSION_NONE, -1); /* 4,5: k0 k1 */
    k_append(log, 1, 0, 2, 6, false, t0, SL_COMPRESSION_NONE, -1); /* 6: active */
    sl_log_clean_opts_t opts = eager();
    assert_int_equal(sl_log_clean(log, &opts, t0, NULL), SL_OK);
    read_all_t ra;
    read_all(log, &ra);
    assert_int_equal(ra.n, 3);
    assert_int_equal(ra.r[0].offset, 4);
    assert_int_equal(ra.empty_batches, 1);
    assert_int_equal(ra.pid, 77);
    assert_int_equal(ra.epoch, 3);
    assert_int_equal(ra.seq, 40);
    free(ra.r);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

static void clean_drops_keyless_records(void **state)
{
    SL_UNUSED(state);
    char *dir = t_mkdtemp();
    int64_t t0 = sl_time_wall_ms();
    sl_log_t *log = open_small(dir, 100, true);
    k_append(log, 3, 0, 0, 0, false, t0, SL_COMPRESSION_NONE, -1); /* 0..2: null keys */
    k_append(log, 1, 0, 2, 3, false, t0, SL_COMPRESSION_NONE, -1); /* 3: k0 */
    k_append(log, 1, 0, 2, 4, false, t0, SL_COMPRESSION_NONE, -1); /* 4: active */
    sl_log_clean_opts_t opts = eager();
    sl_log_clean_info_t info;
    assert_int_equal(sl_log_clean(log, &opts, t0, &info), SL_OK);
    assert_int_equal(info.records_removed, 3);
    read_all_t ra;
    read_all(log, &ra);
    assert_int_equal(ra.n, 2);
    assert_int_equal(ra.r[0].offset, 3);
    free(ra.r);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

static void clean_waits_for_dirty_ratio_and_compaction_lag(void **state)
{
    SL_UNUSED(state);
    char *dir = t_mkdtemp();
    int64_t t0 = sl_time_wall_ms();
    sl_log_t *log = open_small(dir, 100, true);
    for (int i = 0; i < 4; i++)
        k_append(log, 1, 0, 1, i, false, t0, SL_COMPRESSION_NONE, -1);
    sl_log_clean_opts_t opts = eager();
    sl_log_clean_info_t info;
    opts.min_compaction_lag_ms = 10000;
    assert_int_equal(sl_log_clean(log, &opts, t0 + 5000, &info), SL_OK);
    assert_false(info.ran);
    assert_int_equal(sl_log_clean(log, &opts, t0 + 10000, &info), SL_OK);
    assert_true(info.ran);
    /* After a pass, one new segment of dirty bytes against many clean
     * ones is below a ratio of 0.9. */
    for (int i = 4; i < 6; i++)
        k_append(log, 1, 0, 1, i, false, t0, SL_COMPRESSION_NONE, -1);
    opts.min_compaction_lag_ms = 0;
    opts.min_cleanable_dirty_ratio = 0.9;
    assert_int_equal(sl_log_clean(log, &opts, t0 + 10000, &info), SL_OK);
    assert_false(info.ran);
    opts.min_cleanable_dirty_ratio = 0.1;
    assert_int_equal(sl_log_clean(log, &opts, t0 + 10000, &info), SL_OK);
    assert_true(info.ran);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

/* A crash after the .cleaned file was written, or after it became .swap
 * and the old indexes went: reopening loses nothing. */
static void clean_leftovers_after_a_crash_lose_nothing(void **state)
{
    SL_UNUSED(state);
    char *dir = t_mkdtemp();
    int64_t now = sl_time_wall_ms();
    sl_log_t *log = open_small(dir, 4096, true);
    fill_updates(log, now, SL_COMPRESSION_NONE);
    read_all_t before;
    read_all(log, &before);
    assert_int_equal(sl_log_close(log), SL_OK);

    /* A half-written cleaned copy of segment 0 and a swap of another. */
    char p[512];
    t_path(p, sizeof(p), dir, 0, ".log.cleaned");
    t_write_file(p, "garbage", 7, O_TRUNC);
    size_t n = 0;
    t_path(p, sizeof(p), dir, 0, ".log");
    uint8_t *seg0 = t_read_all(p, &n);
    t_path(p, sizeof(p), dir, 0, ".log.swap");
    t_write_file(p, seg0, n / 2, O_TRUNC);
    free(seg0);
    t_path(p, sizeof(p), dir, 0, ".index");
    unlink(p);
    t_path(p, sizeof(p), dir, 0, ".timeindex");
    unlink(p);

    log = open_small(dir, 4096, false);
    assert_int_equal(t_count_files(dir, ".cleaned"), 0);
    assert_int_equal(t_count_files(dir, ".swap"), 0);
    read_all_t after;
    read_all(log, &after);
    assert_int_equal(after.n, before.n);
    for (size_t i = 0; i < after.n; i++)
        assert_int_equal(after.r[i].offset, before.r[i].offset);
    free(after.r);

    /* And the cleaner still works on it. */
    sl_log_clean_opts_t opts = eager();
    sl_log_clean_info_t info;
    assert_int_equal(sl_log_clean(log, &opts, now, &info), SL_OK);
    assert_true(info.ran);
    assert_int_equal(t_count_files(dir, ".cleaned"), 0);
    assert_int_equal(t_count_files(dir, ".swap"), 0);
    assert_int_equal(sl_log_close(log), SL_OK);
    free(before.r);
    t_rmdir(dir);
}

/* prepare, build, install with the log used in between (as the broker
 * does with the partition's mutex released): appends and DeleteRecords
 * between build and install; a job freed without install leaves no file. */
static void clean_in_steps_lets_the_log_be_used_meanwhile(void **state)
{
    SL_UNUSED(state);
    char *dir = t_mkdtemp();
    int64_t now = sl_time_wall_ms();
    sl_log_t *log = open_small(dir, 4096, true);
    fill_updates(log, now, SL_COMPRESSION_NONE);
    sl_log_clean_opts_t opts = eager();

    /* Abandoned after build: the .cleaned files go with the job. */
    sl_log_clean_job_t *job = NULL;
    assert_int_equal(sl_log_clean_prepare(log, &opts, now, &job), SL_OK);
    assert_non_null(job);
    assert_int_equal(sl_log_clean_build(job), SL_OK);
    assert_true(t_count_files(dir, ".cleaned") > 0);
    assert_int_equal(t_count_files(dir, ".swap"), 0);
    sl_log_clean_job_free(job);
    assert_int_equal(t_count_files(dir, ".cleaned"), 0);

    job = NULL;
    assert_int_equal(sl_log_clean_prepare(log, &opts, now, &job), SL_OK);
    assert_non_null(job);
    assert_int_equal(sl_log_clean_build(job), SL_OK);
    int64_t end = sl_log_end_offset(log);
    /* Meanwhile: more updates (the old active segment rolls away). */
    for (int64_t seq = end; seq < end + 500; seq += PER_BATCH)
        k_append(log, PER_BATCH, (int)(seq % NKEYS), NKEYS, seq, false, now - 1000, SL_COMPRESSION_NONE, -1);
    sl_log_clean_info_t info;
    assert_int_equal(sl_log_clean_install(log, job, &info), SL_OK);
    sl_log_clean_job_free(job);
    assert_true(info.segments > 0);
    assert_int_equal(t_count_files(dir, ".swap"), 0);
    assert_int_equal(sl_log_end_offset(log), end + 500);

    /* A pass whose first segment DeleteRecords removes meanwhile: its
     * merged group is not installed (it holds records of the removed
     * segment), and nothing is left behind; the next pass cleans. */
    job = NULL;
    assert_int_equal(sl_log_clean_prepare(log, &opts, now, &job), SL_OK);
    assert_non_null(job);
    assert_int_equal(sl_log_clean_build(job), SL_OK);
    assert_int_equal(sl_log_delete_records(log, 500), SL_OK);
    assert_int_equal(sl_log_clean_install(log, job, &info), SL_OK);
    sl_log_clean_job_free(job);
    assert_int_equal(t_count_files(dir, ".swap"), 0);
    assert_int_equal(t_count_files(dir, ".cleaned"), 0);
    assert_int_equal(sl_log_clean(log, &opts, now, &info), SL_OK);

    read_all_t ra;
    read_all(log, &ra);
    /* In order, above the start, and every key's latest update there. */
    for (size_t i = 0; i < ra.n; i++) {
        char want[32];
        snprintf(want, sizeof(want), "v%lld", (long long)ra.r[i].offset);
        assert_string_equal(ra.r[i].val, want);
        assert_true(ra.r[i].offset >= 500);
        if (i)
            assert_true(ra.r[i].offset > ra.r[i - 1].offset);
    }
    int64_t last = end + 500 - 1;
    for (int k = 0; k < NKEYS; k++) {
        char key[32];
        snprintf(key, sizeof(key), "k%d", k);
        const rec_out_t *o = find_key(&ra, key);
        assert_non_null(o);
        assert_int_equal(o->offset, last - (last - k) % NKEYS);
    }
    assert_true(ra.n < (size_t)(end + 500 - 500));
    free(ra.r);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clean_keeps_latest_value_per_key_at_original_offsets),
        cmocka_unit_test(clean_keeps_latest_value_per_key_in_compressed_batches),
        cmocka_unit_test(clean_stops_at_the_first_unstable_offset),
        cmocka_unit_test(clean_removes_tombstones_only_after_delete_retention),
        cmocka_unit_test(clean_keeps_the_last_emptied_batch_of_a_producer),
        cmocka_unit_test(clean_drops_keyless_records),
        cmocka_unit_test(clean_waits_for_dirty_ratio_and_compaction_lag),
        cmocka_unit_test(clean_leftovers_after_a_crash_lose_nothing),
        cmocka_unit_test(clean_in_steps_lets_the_log_be_used_meanwhile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
