/*
 * log_retention_test.c - what moves the log's edges: rolls (by size, by
 * time from the first append, when an index is full), retention by bytes
 * and by time (fake clock; file mtime for batches without timestamps),
 * DeleteRecords and its checkpoint across reopen, and the timestamp
 * lookups (offset for time, max timestamp) before and after reopen.
 */
#include <sys/time.h>

#include "log_test_util.h"

/* Size of one single-record batch with the given padding (all equal). */
static size_t batch_size(size_t pad)
{
    sl_buf_t b = SL_BUF_INIT;
    t_batch(&b, 1, 0, 1000, pad);
    size_t n = b.len;
    sl_buf_free(&b);
    return n;
}

static void roll_by_size_keeps_segments_under_the_limit(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    size_t s = batch_size(100);
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = (int64_t)(3 * s);
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    for (int i = 0; i < 10; i++)
        t_append(log, 1, i, 1000 + i, 100, 1);
    /* [0..2] [3..5] [6..8] [9] */
    assert_int_equal(sl_log_segment_count(log), 4);
    assert_int_equal(t_seg_size(dir, 0, ".log"), 3 * s);
    assert_int_equal(t_seg_size(dir, 3, ".log"), 3 * s);
    assert_int_equal(t_seg_size(dir, 6, ".log"), 3 * s);
    assert_int_equal(t_seg_size(dir, 9, ".log"), s);
    /* A batch larger than a segment still goes in (alone). */
    t_append(log, 1, 10, 2000, 4 * s, 1);
    assert_int_equal(sl_log_segment_count(log), 5);
    t_append(log, 1, 11, 2000, 0, 1);
    assert_int_equal(sl_log_segment_count(log), 6);
    t_check_range(log, 0, 12, 1 << 20);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

static void roll_by_time_counts_from_the_first_append(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    cfg.segment_ms = 1000;
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    /* An empty segment never rolls, however old. */
    assert_int_equal(sl_log_roll_if_due(log, 1000000), SL_OK);
    assert_int_equal(sl_log_segment_count(log), 1);

    t_append(log, 1, 0, 5, 0, 10000);
    t_append(log, 1, 1, 5, 0, 10500);
    t_append(log, 1, 2, 5, 0, 11000); /* exactly segment_ms: not older yet */
    assert_int_equal(sl_log_segment_count(log), 1);
    t_append(log, 1, 3, 5, 0, 11001);
    assert_int_equal(sl_log_segment_count(log), 2);
    assert_true(t_seg_size(dir, 3, ".log") > 0);

    /* The timer: idle partitions roll too. */
    assert_int_equal(sl_log_roll_if_due(log, 12001), SL_OK);
    assert_int_equal(sl_log_segment_count(log), 2);
    assert_int_equal(sl_log_roll_if_due(log, 12002), SL_OK);
    assert_int_equal(sl_log_segment_count(log), 3);
    assert_int_equal(sl_log_roll_if_due(log, 99999), SL_OK);
    assert_int_equal(sl_log_segment_count(log), 3);
    t_check_range(log, 0, 4, 1 << 20);

    /* segment_ms <= 0: never. */
    cfg.segment_ms = 0;
    sl_log_set_config(log, &cfg);
    t_append(log, 1, 4, 5, 0, 20000);
    assert_int_equal(sl_log_roll_if_due(log, INT64_MAX / 2), SL_OK);
    assert_int_equal(sl_log_segment_count(log), 3);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

static void roll_when_an_index_is_full(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    cfg.index_interval_bytes = 0; /* an entry for every batch after the first */
    cfg.max_index_bytes = 24;     /* 3 offset entries, 2 time entries */
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    /* Rising timestamps: the time index (2 entries) fills first. */
    for (int i = 0; i < 9; i++)
        t_append(log, 1, i, 1000 + i, 0, 1);
    assert_int_equal(sl_log_segment_count(log), 3);
    size_t s = batch_size(0);
    assert_int_equal(t_seg_size(dir, 0, ".log"), 3 * s);
    assert_int_equal(t_seg_size(dir, 3, ".log"), 3 * s);
    /* Timestamps that never rise: only the offset index (3) counts. */
    for (int i = 9; i < 17; i++)
        t_append(log, 1, i, 1, 0, 1);
    assert_int_equal(sl_log_segment_count(log), 5);
    assert_true(t_seg_size(dir, 9, ".log") > 4 * (int64_t)s); /* "v10".. are a byte longer */
    assert_true(t_seg_size(dir, 13, ".log") > 4 * (int64_t)s);
    t_check_range(log, 0, 17, 1 << 20);
    t_check_range(log, 0, 17, 1);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

static void retention_by_bytes_deletes_whole_old_segments(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    size_t s = batch_size(100);
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = (int64_t)(3 * s);
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    for (int i = 0; i < 10; i++)
        t_append(log, 1, i, 1000 + i, 100, 1);
    int deleted = -1;
    assert_int_equal(sl_log_retain(log, 5000, &deleted), SL_OK); /* no limits: nothing */
    assert_int_equal(deleted, 0);

    cfg.retention_bytes = (int64_t)(5 * s);
    sl_log_set_config(log, &cfg);
    assert_int_equal(sl_log_retain(log, 5000, &deleted), SL_OK);
    /* 10s - 3s = 7s >= 5s: first goes; 7s - 3s = 4s < 5s: the second stays. */
    assert_int_equal(deleted, 1);
    assert_int_equal(sl_log_segment_count(log), 3);
    assert_int_equal(sl_log_start_offset(log), 3);
    assert_int_equal(sl_log_size(log), (int64_t)(7 * s));
    assert_int_equal(t_seg_size(dir, 0, ".log"), -1);
    assert_int_equal(t_seg_size(dir, 0, ".index"), -1);
    assert_int_equal(t_seg_size(dir, 0, ".timeindex"), -1);
    sl_log_slice_t sl;
    assert_int_equal(sl_log_read(log, 2, 100, true, &sl), SL_ERR_OFFSET_OUT_OF_RANGE);
    t_check_range(log, 3, 10, 1 << 20);

    /* A slice taken before its segment is deleted still reads. */
    sl_log_slice_t held;
    assert_int_equal(sl_log_read(log, 3, 1 << 20, true, &held), SL_OK);

    /* retention 0 keeps only the active segment. */
    cfg.retention_bytes = 0;
    sl_log_set_config(log, &cfg);
    assert_int_equal(sl_log_retain(log, 5000, &deleted), SL_OK);
    assert_int_equal(deleted, 2);
    assert_int_equal(sl_log_segment_count(log), 1);
    assert_int_equal(sl_log_start_offset(log), 9);
    assert_int_equal(sl_log_end_offset(log), 10);
    assert_int_equal(t_seg_size(dir, 3, ".log"), -1);
    sl_buf_t data = SL_BUF_INIT;
    assert_int_equal(sl_log_slice_read(&held, &data), SL_OK);
    assert_int_equal(data.len, (size_t)held.len);
    sl_batch_t b;
    assert_int_equal(sl_batch_peek(data.data, data.len, &b, NULL, 0), SL_OK);
    assert_int_equal(b.base_offset, 3);
    sl_buf_free(&data);
    sl_log_slice_release(&held);
    assert_int_equal(sl_log_close(log), SL_OK);

    /* Reopen: the start is the first segment's base. */
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    assert_int_equal(sl_log_start_offset(log), 9);
    t_check_range(log, 9, 10, 1 << 20);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

static void retention_by_time_uses_newest_timestamp(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    size_t s = batch_size(0);
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = (int64_t)(2 * s);
    cfg.retention_ms = 1000;
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    /* Segments of two batches; newest timestamps 1001, 3001, 5001; active 6000. */
    int64_t ts[] = {1000, 1001, 3000, 3001, 5000, 5001, 6000};
    for (int i = 0; i < 7; i++)
        t_append(log, 1, i, ts[i], 0, 1);
    assert_int_equal(sl_log_segment_count(log), 4);
    int deleted = -1;
    assert_int_equal(sl_log_retain(log, 2001, &deleted), SL_OK);
    assert_int_equal(deleted, 0); /* 2001 - 1001 is not more than 1000 */
    assert_int_equal(sl_log_retain(log, 4002, &deleted), SL_OK);
    assert_int_equal(deleted, 2);
    assert_int_equal(sl_log_start_offset(log), 4);
    t_check_range(log, 4, 7, 1 << 20);

    /* Everything expired, the active segment too: roll, then delete. */
    assert_int_equal(sl_log_retain(log, 100000, &deleted), SL_OK);
    assert_int_equal(deleted, 2);
    assert_int_equal(sl_log_segment_count(log), 1);
    assert_int_equal(sl_log_start_offset(log), 7);
    assert_int_equal(sl_log_end_offset(log), 7);
    assert_int_equal(sl_log_size(log), 0);
    assert_true(t_seg_size(dir, 7, ".log") == 0);
    /* An empty log stays as it is. */
    assert_int_equal(sl_log_retain(log, 200000, &deleted), SL_OK);
    assert_int_equal(deleted, 0);
    assert_int_equal(sl_log_segment_count(log), 1);
    assert_int_equal(t_append(log, 1, 7, 300000, 0, 1), 7);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

static void set_mtime(const char *dir, int64_t base, int64_t ms)
{
    char p[512];
    t_path(p, sizeof(p), dir, base, ".log");
    struct timeval tv[2];
    tv[0].tv_sec = tv[1].tv_sec = ms / 1000;
    tv[0].tv_usec = tv[1].tv_usec = 0;
    assert_int_equal(utimes(p, tv), 0);
}

static void retention_by_time_uses_mtime_without_timestamps(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    size_t s = batch_size(0);
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = (int64_t)(2 * s);
    cfg.retention_ms = 3600 * 1000;
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    for (int i = 0; i < 5; i++)
        t_append(log, 1, i, SL_NO_TIMESTAMP, 0, 1);
    assert_int_equal(sl_log_segment_count(log), 3);
    int64_t now = sl_time_wall_ms();
    set_mtime(dir, 0, now - 10 * 3600 * 1000);
    set_mtime(dir, 2, now - 60 * 1000);
    int deleted = -1;
    assert_int_equal(sl_log_retain(log, now, &deleted), SL_OK);
    assert_int_equal(deleted, 1);
    assert_int_equal(sl_log_start_offset(log), 2);
    int64_t off, ts;
    assert_int_equal(sl_log_max_timestamp(log, &off, &ts), SL_OK);
    assert_int_equal(off, -1);
    assert_int_equal(ts, -1);
    assert_int_equal(sl_log_offset_for_time(log, 0, &off, &ts), SL_OK);
    assert_int_equal(off, -1);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

static void delete_records_moves_start_and_persists(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_buf_t b2 = SL_BUF_INIT;
    t_batch(&b2, 2, 0, 1000, 0);
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = (int64_t)(2 * b2.len + 4); /* "v10".. are a byte longer */
    sl_buf_free(&b2);
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    /* Batches of 2 records, 2 batches per segment: [0..3] [4..7] [8..11] [12..13] */
    for (int i = 0; i < 7; i++)
        t_append(log, 2, 2 * i, 1000, 0, 1);
    assert_int_equal(sl_log_segment_count(log), 4);
    assert_int_equal(sl_log_delete_records(log, 15), SL_ERR_OFFSET_OUT_OF_RANGE);
    assert_int_equal(sl_log_delete_records(log, -1), SL_ERR_OFFSET_OUT_OF_RANGE);

    /* Inside the second segment: the first goes, the second stays. */
    assert_int_equal(sl_log_delete_records(log, 5), SL_OK);
    assert_int_equal(sl_log_start_offset(log), 5);
    assert_int_equal(sl_log_segment_count(log), 3);
    assert_int_equal(t_seg_size(dir, 0, ".log"), -1);
    sl_log_slice_t sl;
    assert_int_equal(sl_log_read(log, 4, 100, true, &sl), SL_ERR_OFFSET_OUT_OF_RANGE);
    /* Reading at the start gives the batch holding it (4..5). */
    assert_int_equal(sl_log_read(log, 5, 1, true, &sl), SL_OK);
    assert_int_equal(sl.first_offset, 4);
    sl_log_slice_release(&sl);
    t_check_range(log, 5, 14, 1 << 20);
    assert_int_equal(sl_log_delete_records(log, 4), SL_ERR_OFFSET_OUT_OF_RANGE); /* backwards */

    /* Exactly at a segment base. */
    assert_int_equal(sl_log_delete_records(log, 8), SL_OK);
    assert_int_equal(sl_log_segment_count(log), 2);
    assert_int_equal(sl_log_close(log), SL_OK);

    /* Reopen, clean and unclean: the start offset is still 8... */
    assert_int_equal(sl_log_open(dir, &cfg, false, &log), SL_OK);
    assert_int_equal(sl_log_start_offset(log), 8);
    /* ...and inside a segment it survives too. */
    assert_int_equal(sl_log_delete_records(log, 10), SL_OK);
    assert_int_equal(sl_log_close(log), SL_OK);
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    assert_int_equal(sl_log_start_offset(log), 10);
    assert_int_equal(sl_log_read(log, 9, 100, true, &sl), SL_ERR_OFFSET_OUT_OF_RANGE);
    t_check_range(log, 10, 14, 1 << 20);

    /* Up to the end: every record gone, the active segment remains. */
    assert_int_equal(sl_log_delete_records(log, 14), SL_OK);
    assert_int_equal(sl_log_start_offset(log), 14);
    assert_int_equal(sl_log_read(log, 14, 100, true, &sl), SL_OK);
    assert_int_equal(sl.len, 0);
    assert_int_equal(t_append(log, 1, 14, 1000, 0, 1), 14);
    t_check_range(log, 14, 15, 1 << 20);
    assert_int_equal(sl_log_close(log), SL_OK);

    /* A malformed checkpoint is ignored (start = first segment base). */
    char p[512];
    snprintf(p, sizeof(p), "%s/log-start-offset-checkpoint", dir);
    t_write_file(p, "garbage\n", 8, O_TRUNC);
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    assert_int_equal(sl_log_start_offset(log), 12);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

/* Brute force: the first record (in offset order) with timestamp >= ts.
 * Records of a batch have timestamps t0, t0+1, ... */
typedef struct t_batchinfo {
    int64_t base, last, t0, max_ts;
} t_batchinfo_t;

static void expect_for_time(sl_log_t *log, const t_batchinfo_t *bs, size_t n, int64_t ts)
{
    int64_t want_off = -1, want_ts = -1;
    for (size_t i = 0; i < n; i++) {
        if (bs[i].max_ts >= ts) {
            int64_t k = ts > bs[i].t0 ? ts - bs[i].t0 : 0;
            want_off = bs[i].base + k;
            want_ts = bs[i].t0 + k;
            break;
        }
    }
    int64_t off = -2, got_ts = -2;
    assert_int_equal(sl_log_offset_for_time(log, ts, &off, &got_ts), SL_OK);
    if (off != want_off || got_ts != want_ts)
        fail_msg("ts %lld: got %lld/%lld, want %lld/%lld", (long long)ts, (long long)off, (long long)got_ts,
                 (long long)want_off, (long long)want_ts);
}

/* Kafka's answers: the first record whose timestamp is >= ts (inside the
 * batch), -1/-1 past the newest; the max timestamp and its batch. */
static void offset_for_time_and_max_timestamp(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = 1500;
    cfg.index_interval_bytes = 150;
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);

    int64_t off, ts;
    assert_int_equal(sl_log_max_timestamp(log, &off, &ts), SL_OK);
    assert_int_equal(off, -1);
    assert_int_equal(ts, -1);
    assert_int_equal(sl_log_offset_for_time(log, 0, &off, &ts), SL_OK);
    assert_int_equal(off, -1);

    /* Timestamps that mostly rise but jump back now and then. */
    t_batchinfo_t bs[200];
    uint64_t seed = 42;
    int64_t next = 0, clock = 10000;
    for (int i = 0; i < 200; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        int n = 1 + (int)((seed >> 33) % 3);
        int64_t t0 = (seed >> 40) % 5 == 0 ? clock - 3000 : clock;
        clock += 10 + (int64_t)((seed >> 20) % 50);
        bs[i].base = t_append(log, n, next, t0, (size_t)(seed >> 50) % 40, 1);
        bs[i].last = bs[i].base + n - 1;
        bs[i].t0 = t0;
        bs[i].max_ts = t0 + n - 1;
        next += n;
    }
    assert_true(sl_log_segment_count(log) > 5);
    size_t maxi = 0;
    for (size_t i = 1; i < 200; i++)
        if (bs[i].max_ts > bs[maxi].max_ts)
            maxi = i;

    for (int pass = 0; pass < 2; pass++) {
        assert_int_equal(sl_log_max_timestamp(log, &off, &ts), SL_OK);
        assert_int_equal(ts, bs[maxi].max_ts);
        assert_int_equal(off, bs[maxi].last);
        for (int64_t t = 5000; t < clock + 100; t += 7)
            expect_for_time(log, bs, 200, t);
        expect_for_time(log, bs, 200, INT64_MAX);
        expect_for_time(log, bs, 200, 0);
        /* Again after a clean reopen (indexes from the files). */
        assert_int_equal(sl_log_close(log), SL_OK);
        assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    }

    /* Below the log start offset nothing is answered. */
    assert_int_equal(sl_log_delete_records(log, bs[50].base + 1), SL_OK);
    assert_int_equal(sl_log_offset_for_time(log, 0, &off, &ts), SL_OK);
    assert_int_equal(off, bs[50].base + 1);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(roll_by_size_keeps_segments_under_the_limit),
        cmocka_unit_test(roll_by_time_counts_from_the_first_append),
        cmocka_unit_test(roll_when_an_index_is_full),
        cmocka_unit_test(retention_by_bytes_deletes_whole_old_segments),
        cmocka_unit_test(retention_by_time_uses_newest_timestamp),
        cmocka_unit_test(retention_by_time_uses_mtime_without_timestamps),
        cmocka_unit_test(delete_records_moves_start_and_persists),
        cmocka_unit_test(offset_for_time_and_max_timestamp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
