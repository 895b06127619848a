/*
 * log_durability_test.c - rolled segments and the recovery point (log.h,
 * "Durability"; durability.c): a roll leaves the old segment to the sync
 * job, which moves the recovery point file; a flush syncs rolled segments
 * first; an unclean open fully recovers every segment at or above the
 * recovery point (a bad CRC there cuts the segment and deletes the ones
 * after it), every segment when the file is missing, and trusts the
 * segments below it.
 */
#include "log_test_util.h"

#define PER_SEG 5     /* single-record batches per segment */
#define PAD 100

static sl_log_config_t small_cfg(void)
{
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = PER_SEG * 170; /* a batch of one record with PAD is ~170 bytes */
    return cfg;
}

/* Appends n single-record batches, seq == offset. */
static void fill(sl_log_t *log, int64_t from, int n)
{
    for (int64_t i = from; i < from + n; i++)
        assert_int_equal(t_append(log, 1, i, 1000 + i, PAD, 1), i);
}

static int64_t read_rp(const char *dir)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/recovery-point-offset-checkpoint", dir);
    if (t_file_size(path) < 0)
        return -1;
    size_t len = 0;
    uint8_t *p = t_read_all(path, &len);
    long long v = -1;
    assert_int_equal(sscanf((const char *)p, "0\n%lld\n", &v), 1);
    free(p);
    return v;
}

/* The base offsets of the segment files in dir, ascending (at most cap). */
static size_t seg_bases(const char *dir, int64_t end, int64_t *out, size_t cap)
{
    size_t n = 0;
    for (int64_t b = 0; b <= end && n < cap; b++)
        if (t_seg_size(dir, b, ".log") >= 0)
            out[n++] = b;
    return n;
}

static void sync_all(sl_log_t *log)
{
    sl_log_sync_job_t *job = NULL;
    assert_int_equal(sl_log_sync_prepare(log, &job), SL_OK);
    assert_non_null(job);
    assert_int_equal(sl_log_sync_run(job), SL_OK);
    assert_int_equal(sl_log_sync_finish(log, job), SL_OK);
    sl_log_sync_job_free(job);
}

static void rolls_leave_the_old_segment_to_the_sync_job(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = small_cfg();
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    sl_log_sync_job_t *job = NULL;
    fill(log, 0, 2);
    assert_int_equal(sl_log_sync_prepare(log, &job), SL_OK);
    assert_null(job); /* one segment: nothing rolled */
    assert_int_equal(read_rp(dir), -1);

    fill(log, 2, 4 * PER_SEG);
    assert_true(sl_log_segment_count(log) >= 4);
    sync_all(log);
    int64_t bases[64];
    size_t n = seg_bases(dir, sl_log_end_offset(log), bases, 64);
    assert_int_equal(read_rp(dir), bases[n - 1]); /* the active segment's base */
    assert_int_equal(sl_log_sync_prepare(log, &job), SL_OK);
    assert_null(job);

    /* A flush syncs what rolled since, by itself. */
    fill(log, sl_log_end_offset(log), 2 * PER_SEG);
    assert_int_equal(sl_log_flush(log, 2), SL_OK);
    n = seg_bases(dir, sl_log_end_offset(log), bases, 64);
    assert_int_equal(read_rp(dir), bases[n - 1]);
    assert_int_equal(sl_log_sync_prepare(log, &job), SL_OK);
    assert_null(job);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

/* Flips the last byte of the first batch of segment base in dir (its CRC
 * no longer matches). */
static void spoil_first_batch(const char *dir, int64_t base)
{
    char path[512];
    t_path(path, sizeof(path), dir, base, ".log");
    size_t len = 0;
    uint8_t *p = t_read_all(path, &len);
    assert_non_null(p);
    sl_batch_t b;
    char why[64];
    assert_int_equal(sl_batch_peek(p, len, &b, why, sizeof(why)), SL_OK);
    p[b.size - 1] ^= 0xff;
    t_write_file(path, p, len, O_TRUNC);
    free(p);
}

static void run_spoiled(bool with_point, bool spoil_below)
{
    char *dir = t_mkdtemp();
    char *snap = t_mkdtemp();
    sl_log_config_t cfg = small_cfg();
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    fill(log, 0, 3 * PER_SEG);
    if (with_point)
        sync_all(log);
    int64_t rp = read_rp(dir);
    assert_true(with_point ? rp > 0 : rp < 0);
    fill(log, sl_log_end_offset(log), 4 * PER_SEG); /* rolled, not synced */
    int64_t end = sl_log_end_offset(log);
    t_copy_dir(dir, snap); /* the crash: the log never closed */
    assert_int_equal(sl_log_close(log), SL_OK);

    int64_t bases[64];
    size_t n = seg_bases(snap, end, bases, 64);
    assert_true(n >= 6);
    /* A segment above the point, not the active one; or one below it. */
    int64_t victim = -1;
    for (size_t i = 0; i + 1 < n && victim < 0; i++)
        if (spoil_below ? bases[i + 1] <= rp : i > 0 && (!with_point || bases[i] >= rp))
            victim = bases[i];
    assert_true(victim >= 0);
    spoil_first_batch(snap, victim);

    assert_int_equal(sl_log_open(snap, &cfg, false, &log), SL_OK);
    if (spoil_below) {
        /* Trusted at open (synced before the crash): nothing cut. */
        assert_int_equal(sl_log_end_offset(log), end);
    } else {
        /* Cut at the spoiled batch; the segments after it are gone. */
        assert_int_equal(sl_log_end_offset(log), victim);
        t_check_range(log, 0, victim, 1 << 20);
        assert_int_equal(t_seg_size(snap, bases[n - 1], ".log"), -1);
        assert_int_equal(t_append(log, 1, victim, 5000, 0, 1), victim); /* appends go on */
        t_check_range(log, 0, victim + 1, 1 << 20);
    }
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(snap);
    t_rmdir(dir);
}

static void unclean_open_recovers_every_segment_above_the_recovery_point(void **state)
{
    (void)state;
    run_spoiled(true, false);
}

static void unclean_open_without_the_file_recovers_every_segment(void **state)
{
    (void)state;
    run_spoiled(false, false);
}

static void unclean_open_trusts_segments_below_the_recovery_point(void **state)
{
    (void)state;
    run_spoiled(true, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rolls_leave_the_old_segment_to_the_sync_job),
        cmocka_unit_test(unclean_open_recovers_every_segment_above_the_recovery_point),
        cmocka_unit_test(unclean_open_without_the_file_recovers_every_segment),
        cmocka_unit_test(unclean_open_trusts_segments_below_the_recovery_point),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
