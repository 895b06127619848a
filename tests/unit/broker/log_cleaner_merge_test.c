/*
 * log_cleaner_merge_test.c - what a cleaning pass does to the segments:
 * small cleaned segments merged into fewer (within segment_bytes and the
 * index size), every latest value at its original offset; a crash at each
 * step of a group's swap (test hook, then the directory as it was opened
 * again) loses nothing and duplicates nothing, nor does a swap that fails
 * half-way (undone at once); max.compaction.lag.ms
 * cleaning a log whose dirty ratio is low; an idempotent producer's last
 * batch kept through passes and merges.
 */
#include "log_cleaner_util.h"
#include "log_int.h"

#define NKEYS 100
#define NRECS 10000

static sl_log_t *fill_cfg(const char *dir, int64_t segment_bytes, int32_t max_index_bytes, int64_t now)
{
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = segment_bytes;
    cfg.index_interval_bytes = 256;
    cfg.max_index_bytes = max_index_bytes;
    sl_log_t *log = NULL;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    for (int64_t seq = 0; seq < NRECS; seq += 10)
        k_append(log, 10, (int)(seq % NKEYS), NKEYS, seq, false, now - 1000, SL_COMPRESSION_NONE, -1);
    return log;
}

/* Rows are "v<offset>", and below limit each key's latest only. */
static void check_latest(const read_all_t *ra, int64_t limit, int nkeys)
{
    size_t below = 0;
    for (size_t i = 0; i < ra->n; i++) {
        char want[32];
        snprintf(want, sizeof(want), "v%lld", (long long)ra->r[i].offset);
        assert_string_equal(ra->r[i].val, want);
        if (i)
            assert_true(ra->r[i].offset > ra->r[i - 1].offset);
        if (ra->r[i].offset < limit) {
            below++;
            assert_true(ra->r[i].offset + nkeys >= limit);
        }
    }
    assert_int_equal(below, (size_t)nkeys);
}

static void small_cleaned_segments_are_merged(void **state)
{
    SL_UNUSED(state);
    int64_t now = sl_time_wall_ms();
    char *dir = t_mkdtemp();
    /* 50 segments of 4 KiB; cleaned, each keeps a few records. */
    sl_log_t *log = fill_cfg(dir, 4096, 10 << 20, now);
    size_t before = sl_log_segment_count(log);
    assert_true(before > 40);
    sl_log_clean_opts_t opts = eager();
    sl_log_clean_info_t info;
    assert_int_equal(sl_log_clean(log, &opts, now, &info), SL_OK);
    assert_int_equal(info.segments, (int32_t)before - 1);
    assert_true(info.segments_after < info.segments);
    assert_int_equal(sl_log_segment_count(log), (size_t)info.segments_after + 1);
    assert_int_equal(t_check_segment_files(dir, 4096, 10 << 20), sl_log_segment_count(log));
    read_all_t ra;
    read_all(log, &ra);
    check_latest(&ra, info.cleaned_to, NKEYS);
    free(ra.r);

    /* More updates, a second pass: the merged segment and the new ones
     * merge again, and reads after a reopen agree. */
    for (int64_t seq = NRECS; seq < NRECS + 2000; seq += 10)
        k_append(log, 10, (int)(seq % NKEYS), NKEYS, seq, false, now - 1000, SL_COMPRESSION_NONE, -1);
    assert_int_equal(sl_log_clean(log, &opts, now, &info), SL_OK);
    assert_true(info.ran);
    assert_true(sl_log_segment_count(log) <= 3);
    read_all(log, &ra);
    check_latest(&ra, info.cleaned_to, NKEYS);
    assert_int_equal(sl_log_close(log), SL_OK);
    log = open_small(dir, 4096, false);
    read_all_t rb;
    read_all(log, &rb);
    ra_assert_equal(&ra, &rb);
    free(ra.r);
    free(rb.r);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

/* Groups also end where their index files would pass max_index_bytes, and
 * at segment_bytes: 1000 keys keep about 15 KiB, which fills several
 * 4 KiB segments. */
static void merged_segments_respect_segment_and_index_limits(void **state)
{
    SL_UNUSED(state);
    int64_t now = sl_time_wall_ms();
    for (int round = 0; round < 2; round++) {
        char *dir = t_mkdtemp();
        int32_t max_index = round == 0 ? 10 << 20 : 5 * 12;
        sl_log_config_t cfg = t_cfg();
        cfg.segment_bytes = 4096;
        cfg.index_interval_bytes = 256;
        cfg.max_index_bytes = max_index;
        sl_log_t *log = NULL;
        assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
        for (int64_t seq = 0; seq < 4000; seq += 10)
            k_append(log, 10, (int)(seq % 1000), 1000, seq, false, now - 1000, SL_COMPRESSION_NONE, -1);
        size_t before = sl_log_segment_count(log);
        sl_log_clean_opts_t opts = eager();
        sl_log_clean_info_t info;
        assert_int_equal(sl_log_clean(log, &opts, now, &info), SL_OK);
        assert_true(info.ran);
        size_t after = sl_log_segment_count(log);
        assert_true(after < before);
        assert_true(after > 3);
        assert_int_equal(t_check_segment_files(dir, 4096, max_index), after);
        read_all_t ra;
        read_all(log, &ra);
        check_latest(&ra, info.cleaned_to, 1000);
        free(ra.r);
        assert_int_equal(sl_log_close(log), SL_OK);
        t_rmdir(dir);
    }
}

/* ---- crash points of a group's swap ---- */

static const char *stop_step;

static bool stop_at(const char *step)
{
    return stop_step && strcmp(step, stop_step) == 0;
}

static void crash_during_a_group_swap_loses_nothing(void **state)
{
    SL_UNUSED(state);
    static const char *const steps[] = {"swap", "replaced", "renamed"};
    int64_t now = sl_time_wall_ms();
    for (size_t s = 0; s < SL_ARRAY_LEN(steps); s++) {
        char *dir = t_mkdtemp(), *ref = t_mkdtemp(), *crashed = t_mkdtemp();
        sl_log_t *log = fill_cfg(dir, 4096, 10 << 20, now);
        read_all_t before;
        read_all(log, &before);
        /* The expected result of the pass, on a copy. */
        t_copy_dir(dir, ref);
        sl_log_t *rlog = open_small(ref, 4096, true);
        sl_log_clean_opts_t opts = eager();
        assert_int_equal(sl_log_clean(rlog, &opts, now, NULL), SL_OK);
        read_all_t cleaned;
        read_all(rlog, &cleaned);
        assert_int_equal(sl_log_close(rlog), SL_OK);

        stop_step = steps[s];
        log_clean_crash_hook = stop_at;
        assert_int_equal(sl_log_clean(log, &opts, now, NULL), SL_ERR_IO);
        log_clean_crash_hook = NULL;
        /* The files as a crash would leave them. */
        t_copy_dir(dir, crashed);
        assert_int_equal(t_count_files(crashed, ".swap"), s < 2 ? 1 : 0);
        assert_true(t_count_files(crashed, ".replaced") > 0 || s == 0);
        sl_log_close(log);

        log = open_small(crashed, 4096, false);
        assert_int_equal(t_count_files(crashed, ".swap"), 0);
        assert_int_equal(t_count_files(crashed, ".replaced"), 0);
        assert_int_equal(t_count_files(crashed, ".cleaned"), 0);
        read_all_t after;
        read_all(log, &after);
        /* Undone before the swap's rename, finished after it. */
        ra_assert_equal(&after, s < 2 ? &before : &cleaned);
        free(after.r);
        /* And the cleaner carries on from there, to the same result. */
        assert_int_equal(sl_log_clean(log, &opts, now, NULL), SL_OK);
        read_all(log, &after);
        ra_assert_equal(&after, &cleaned);
        free(after.r);
        assert_int_equal(sl_log_close(log), SL_OK);
        free(before.r);
        free(cleaned.r);
        t_rmdir(dir);
        t_rmdir(ref);
        t_rmdir(crashed);
    }
}

/* A swap that fails half-way (one member cannot be renamed: a directory
 * holds its .replaced name) is undone at once: the pass fails, the log
 * reads as before, nothing is left over, and a later pass succeeds. */
static void failed_group_swap_is_undone(void **state)
{
    SL_UNUSED(state);
    int64_t now = sl_time_wall_ms();
    char *dir = t_mkdtemp();
    sl_log_t *log = fill_cfg(dir, 4096, 10 << 20, now);
    read_all_t before;
    read_all(log, &before);
    /* The third segment's base, from the second's end. */
    sl_log_slice_t sl;
    assert_int_equal(sl_log_read(log, 0, 1 << 20, true, &sl), SL_OK);
    int64_t third = -1;
    for (int64_t b = sl.first_offset + 1; b < sl_log_end_offset(log) && third < 0; b++) {
        if (t_seg_size(dir, b, ".log") >= 0) {
            for (int64_t c = b + 1; c < sl_log_end_offset(log); c++) {
                if (t_seg_size(dir, c, ".log") >= 0) {
                    third = c;
                    break;
                }
            }
        }
    }
    sl_log_slice_release(&sl);
    assert_true(third > 0);
    char blocker[512];
    t_path(blocker, sizeof(blocker), dir, third, ".log.replaced");
    assert_int_equal(mkdir(blocker, 0755), 0);
    /* An entry in it, so that rename(2) cannot replace it. */
    char inner[600];
    snprintf(inner, sizeof(inner), "%s/x", blocker);
    t_write_file(inner, "x", 1, O_TRUNC);

    sl_log_clean_opts_t opts = eager();
    assert_int_equal(sl_log_clean(log, &opts, now, NULL), SL_ERR_IO);
    assert_non_null(strstr(sl_log_errmsg(log), "rename"));
    assert_int_equal(t_count_files(dir, ".swap"), 0);
    assert_int_equal(t_count_files(dir, ".cleaned"), 0);
    assert_int_equal(t_count_files(dir, ".replaced"), 1); /* the blocker */
    read_all_t after;
    read_all(log, &after);
    ra_assert_equal(&after, &before);
    free(after.r);

    unlink(inner);
    rmdir(blocker);
    sl_log_clean_info_t info;
    assert_int_equal(sl_log_clean(log, &opts, now, &info), SL_OK);
    assert_true(info.segments_after < info.segments);
    read_all(log, &after);
    check_latest(&after, info.cleaned_to, NKEYS);
    free(after.r);
    free(before.r);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

/* ---- max.compaction.lag.ms ---- */

static void max_compaction_lag_cleans_a_log_below_the_dirty_ratio(void **state)
{
    SL_UNUSED(state);
    int64_t now = sl_time_wall_ms();
    char *dir = t_mkdtemp();
    sl_log_t *log = fill_cfg(dir, 4096, 10 << 20, now);
    sl_log_clean_opts_t opts = eager();
    assert_int_equal(sl_log_clean(log, &opts, now, NULL), SL_OK);
    /* Some new keys, stamped 5 s ago: dirty bytes well below 90%. */
    for (int i = 0; i < 30; i++)
        k_append(log, 10, 5000 + i * 10, 100000, i, false, now - 5000, SL_COMPRESSION_NONE, -1);
    opts.min_cleanable_dirty_ratio = 0.9;
    sl_log_clean_info_t info;
    assert_int_equal(sl_log_clean(log, &opts, now, &info), SL_OK);
    assert_false(info.ran);
    /* Not older than the max lag yet: still nothing. */
    opts.max_compaction_lag_ms = 60000;
    assert_int_equal(sl_log_clean(log, &opts, now, &info), SL_OK);
    assert_false(info.ran);
    /* Older (the first dirty segment's first batch is 1 s old): cleaned
     * whatever the ratio. */
    opts.max_compaction_lag_ms = 500;
    assert_int_equal(sl_log_clean(log, &opts, now, &info), SL_OK);
    assert_true(info.ran);
    /* min.compaction.lag.ms still holds the newest segments back. */
    for (int i = 0; i < 30; i++)
        k_append(log, 10, 9000 + i * 10, 100000, i, false, now - 5000, SL_COMPRESSION_NONE, -1);
    opts.min_compaction_lag_ms = 10000;
    assert_int_equal(sl_log_clean(log, &opts, now, &info), SL_OK);
    assert_false(info.ran);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

/* ---- an idempotent producer's last batch ---- */

static void last_batch_of_a_producer_survives_passes_and_merges(void **state)
{
    SL_UNUSED(state);
    int64_t now = sl_time_wall_ms();
    char *dir = t_mkdtemp();
    sl_log_t *log = open_small(dir, 200, true);
    /* Producer 77 writes k0..k3 twice; then others overwrite all. */
    for (int i = 0; i < 4; i++)
        k_append(log, 2, 2 * (i % 2), 4, 2 * i, false, now, SL_COMPRESSION_NONE, 77);
    for (int i = 0; i < 4; i++)
        k_append(log, 2, 2 * (i % 2), 4, 8 + 2 * i, false, now, SL_COMPRESSION_NONE, -1);
    sl_log_clean_opts_t opts = eager();
    sl_log_clean_info_t info;
    assert_int_equal(sl_log_clean(log, &opts, now, &info), SL_OK);
    assert_true(info.segments_after < info.segments);
    read_all_t ra;
    read_all(log, &ra);
    assert_int_equal(ra.empty_batches, 1);
    assert_int_equal(ra.pid, 77);
    assert_int_equal(ra.epoch, 3);
    assert_int_equal(ra.seq, 40);
    free(ra.r);
    /* Another pass over the merged segment: still there. */
    for (int i = 0; i < 4; i++)
        k_append(log, 2, 2 * (i % 2), 4, 16 + 2 * i, false, now, SL_COMPRESSION_NONE, -1);
    assert_int_equal(sl_log_clean(log, &opts, now, &info), SL_OK);
    assert_true(info.ran);
    read_all(log, &ra);
    assert_int_equal(ra.empty_batches, 1);
    assert_int_equal(ra.pid, 77);
    free(ra.r);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_cleaned_segments_are_merged),
        cmocka_unit_test(merged_segments_respect_segment_and_index_limits),
        cmocka_unit_test(crash_during_a_group_swap_loses_nothing),
        cmocka_unit_test(failed_group_swap_is_undone),
        cmocka_unit_test(max_compaction_lag_cleans_a_log_below_the_dirty_ratio),
        cmocka_unit_test(last_batch_of_a_producer_survives_passes_and_merges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
