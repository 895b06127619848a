/* log_txnindex_test.c - the aborted transaction index (log.h,
 * "Transactions"): entries checked on add, found as Kafka's
 * collectAbortedTxns finds them (overlap, the stop at an entry whose LSO
 * reaches the bound), written as 34-byte entries, read back at open;
 * a torn file, a file of another version and (after an unclean shutdown)
 * a missing file are rebuilt from the log's batches; entries beyond the
 * log end are dropped; retention takes the entries with their segment;
 * read_upto stops before a batch reaching its bound; the cleaner does not
 * let an aborted record supersede a committed one and removes it, and the
 * files follow merged segments. */
#include "log_test_util.h"

#define NOW 1700000000000LL

/* Appends a transactional batch of producer pid (n records). */
static int64_t txn_append(sl_log_t *log, int64_t pid, int n)
{
    sl_batch_opts_t opts;
    sl_batch_opts_init(&opts);
    opts.producer_id = pid;
    opts.producer_epoch = 0;
    opts.base_sequence = 0;
    opts.transactional = true;
    sl_buf_t buf = SL_BUF_INIT;
    sl_batch_builder_t b;
    assert_int_equal(sl_batch_builder_begin(&b, &buf, &opts), SL_OK);
    for (int i = 0; i < n; i++)
        assert_int_equal(sl_batch_builder_add(&b, NOW, "k", 1, "v", 1, NULL, 0), SL_OK);
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
    sl_log_append_info_t info;
    assert_int_equal(sl_log_append(log, buf.data, buf.len, 0, NOW, &info), SL_OK);
    sl_buf_free(&buf);
    return info.base_offset;
}

/* Appends a marker of pid; returns its offset. */
static int64_t marker_append(sl_log_t *log, int64_t pid, bool commit)
{
    sl_batch_opts_t opts;
    sl_batch_opts_init(&opts);
    opts.producer_id = pid;
    opts.producer_epoch = 0;
    sl_buf_t buf = SL_BUF_INIT;
    assert_int_equal(sl_batch_write_control(&buf, &opts, commit, 1, NOW), SL_OK);
    sl_log_append_info_t info;
    assert_int_equal(sl_log_append(log, buf.data, buf.len, 0, NOW, &info), SL_OK);
    sl_buf_free(&buf);
    return info.base_offset;
}

static void abort_add(sl_log_t *log, int64_t pid, int64_t first, int64_t last, int64_t lso)
{
    sl_log_txn_aborted_t a = {.producer_id = pid, .first_offset = first, .last_offset = last,
                              .last_stable_offset = lso};
    assert_int_equal(sl_log_txn_abort_add(log, &a), SL_OK);
}

static size_t found(sl_log_t *log, int64_t from, int64_t upto, sl_log_txn_aborted_t *out)
{
    size_t n;
    assert_false(sl_log_txn_aborted(log, from, upto, out, 8, &n));
    return n;
}

/* P1 0-1, P2 2, abort P1 at 3 (P2 open: LSO 2), commit P2 at 4, P1 5,
 * abort P1 at 6 (LSO 7). */
static void fill(sl_log_t *log)
{
    assert_int_equal(txn_append(log, 1, 2), 0);
    assert_int_equal(txn_append(log, 2, 1), 2);
    assert_int_equal(marker_append(log, 1, false), 3);
    abort_add(log, 1, 0, 3, 2);
    assert_int_equal(marker_append(log, 2, true), 4);
    assert_int_equal(txn_append(log, 1, 1), 5);
    assert_int_equal(marker_append(log, 1, false), 6);
    abort_add(log, 1, 5, 6, 7);
}

static void check_filled(sl_log_t *log)
{
    sl_log_txn_aborted_t a[8];
    assert_int_equal(found(log, 0, 100, a), 2);
    assert_int_equal(a[0].producer_id, 1);
    assert_int_equal(a[0].first_offset, 0);
    assert_int_equal(a[0].last_offset, 3);
    assert_int_equal(a[0].last_stable_offset, 2);
    assert_int_equal(a[1].first_offset, 5);
    assert_int_equal(a[1].last_offset, 6);
    assert_int_equal(a[1].last_stable_offset, 7);
}

static void entries_are_checked_found_and_persisted(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    sl_log_txn_aborted_t a[8];
    assert_int_equal(found(log, 0, 100, a), 0);
    fill(log);
    check_filled(log);
    /* overlap: last >= from and first < upto; the stop at LSO >= upto */
    assert_int_equal(found(log, 4, 100, a), 1);
    assert_int_equal(a[0].last_offset, 6);
    assert_int_equal(found(log, 0, 2, a), 1);  /* entry 0's LSO 2 reaches the bound */
    assert_int_equal(found(log, 0, 1, a), 1);
    assert_int_equal(found(log, 7, 100, a), 0);
    size_t n;
    assert_true(sl_log_txn_aborted(log, 0, 100, a, 1, &n)); /* more than room for */
    assert_int_equal(n, 1);
    /* refused: not after the last one, beyond the end, bad fields */
    sl_log_txn_aborted_t bad = {.producer_id = 1, .first_offset = 0, .last_offset = 6, .last_stable_offset = 7};
    assert_int_equal(sl_log_txn_abort_add(log, &bad), SL_ERR_INVAL);
    bad.last_offset = 7;
    assert_int_equal(sl_log_txn_abort_add(log, &bad), SL_ERR_INVAL);
    bad.last_offset = 6;
    bad.producer_id = -1;
    assert_int_equal(sl_log_txn_abort_add(log, &bad), SL_ERR_INVAL);
    char path[512];
    t_path(path, sizeof path, dir, 0, ".txnindex");
    assert_int_equal(t_file_size(path), 2 * 34);
    size_t len;
    uint8_t *p = t_read_all(path, &len);
    assert_int_equal(len, 68);
    assert_int_equal(p[0], 0); /* version 0 */
    assert_int_equal(p[1], 0);
    assert_int_equal(p[9], 1); /* producer id 1, big-endian */
    assert_int_equal(p[25], 3); /* last offset 3 */
    free(p);
    assert_int_equal(sl_log_close(log), SL_OK);

    /* read back at open */
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    check_filled(log);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

static void damaged_or_missing_files_are_rebuilt(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    fill(log);
    assert_int_equal(sl_log_close(log), SL_OK);
    char path[512];
    t_path(path, sizeof path, dir, 0, ".txnindex");

    /* torn */
    assert_int_equal(truncate(path, 34 + 5), 0);
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    check_filled(log);
    assert_int_equal(sl_log_close(log), SL_OK);
    assert_int_equal(t_file_size(path), 68);

    /* another version */
    uint8_t v1 = 1;
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, &v1, 1, 34 + 1), 1);
    close(fd);
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    check_filled(log);
    assert_int_equal(sl_log_close(log), SL_OK);

    /* missing after an unclean shutdown: an abort marker without entry */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(sl_log_open(dir, &cfg, false, &log), SL_OK);
    check_filled(log);
    assert_int_equal(sl_log_close(log), SL_OK);
    assert_int_equal(t_file_size(path), 68);

    /* an entry whose marker a crash cut off is dropped */
    uint8_t extra[34] = {0};
    extra[9] = 1;     /* producer 1 */
    extra[17] = 8;    /* first 8 */
    extra[25] = 9;    /* last 9: beyond the end (7) */
    extra[33] = 10;   /* LSO 10 */
    t_write_file(path, extra, sizeof extra, O_APPEND);
    assert_int_equal(t_file_size(path), 102);
    assert_int_equal(sl_log_open(dir, &cfg, false, &log), SL_OK);
    check_filled(log);
    assert_int_equal(sl_log_close(log), SL_OK);
    assert_int_equal(t_file_size(path), 68);
    t_rmdir(dir);
}

static void entries_go_with_their_segment(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = 400; /* a few batches a segment */
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    fill(log);
    for (int i = 0; i < 6; i++)
        t_append(log, 1, 7 + i, NOW, 100, NOW);
    assert_true(sl_log_segment_count(log) > 2);
    sl_log_txn_aborted_t a[8];
    assert_int_equal(found(log, 0, 100, a), 2);
    assert_int_equal(t_count_files(dir, ".txnindex") > 0, 1);
    /* DeleteRecords past everything but the active segment */
    assert_int_equal(sl_log_delete_records(log, sl_log_end_offset(log)), SL_OK);
    assert_int_equal(found(log, 0, 100, a), 0);
    assert_int_equal(t_count_files(dir, ".txnindex"), 0);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

/* Appends one batch of one keyed record (transactional for pid >= 0). */
static int64_t keyed_append(sl_log_t *log, int64_t pid, int32_t seq, const char *value)
{
    sl_batch_opts_t opts;
    sl_batch_opts_init(&opts);
    if (pid >= 0) {
        opts.producer_id = pid;
        opts.producer_epoch = 0;
        opts.base_sequence = seq;
        opts.transactional = true;
    }
    sl_buf_t buf = SL_BUF_INIT;
    sl_batch_builder_t b;
    assert_int_equal(sl_batch_builder_begin(&b, &buf, &opts), SL_OK);
    assert_int_equal(sl_batch_builder_add(&b, NOW, "K", 1, value, (int32_t)strlen(value), NULL, 0), SL_OK);
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
    sl_log_append_info_t info;
    assert_int_equal(sl_log_append(log, buf.data, buf.len, 0, NOW, &info), SL_OK);
    sl_buf_free(&buf);
    return info.base_offset;
}

/* Whether a record with this value is still in the log. */
static bool has_value(sl_log_t *log, const char *value)
{
    bool found = false;
    for (int64_t off = sl_log_start_offset(log); off < sl_log_end_offset(log) && !found;) {
        sl_log_slice_t sl;
        assert_int_equal(sl_log_read(log, off, 1 << 20, true, &sl), SL_OK);
        if (sl.len == 0)
            break;
        sl_buf_t data = SL_BUF_INIT, scratch = SL_BUF_INIT;
        assert_int_equal(sl_log_slice_read(&sl, &data), SL_OK);
        sl_batch_iter_t it;
        sl_batch_t b;
        sl_batch_iter_init(&it, data.data, data.len);
        while (sl_batch_iter_next(&it, &b) == SL_OK) {
            sl_record_iter_t rit;
            sl_record_t r;
            assert_int_equal(sl_record_iter_init(&rit, &b, &scratch, 0), SL_OK);
            while (sl_record_iter_next(&rit, &r) == SL_OK)
                found |= r.value_len == (int32_t)strlen(value) && memcmp(r.value, value, strlen(value)) == 0;
        }
        off = sl.end_offset;
        sl_log_slice_release(&sl);
        sl_buf_free(&data);
        sl_buf_free(&scratch);
    }
    return found;
}

static void cleaner_removes_aborted_records_and_keeps_what_they_would_supersede(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = 300;
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    assert_int_equal(keyed_append(log, -1, 0, "committed"), 0);
    assert_int_equal(keyed_append(log, 5, 0, "aborted"), 1);
    assert_int_equal(marker_append(log, 5, false), 2);
    abort_add(log, 5, 1, 2, 3);
    for (int i = 0; i < 4; i++)
        t_append(log, 1, 3 + i, NOW, 100, NOW);
    assert_true(sl_log_segment_count(log) > 2);
    sl_log_clean_opts_t opts;
    sl_log_clean_opts_defaults(&opts);
    opts.min_cleanable_dirty_ratio = 0;
    sl_log_clean_info_t info;
    assert_int_equal(sl_log_clean(log, &opts, NOW, &info), SL_OK);
    assert_true(info.ran);
    assert_true(has_value(log, "committed"));
    assert_false(has_value(log, "aborted")); /* gone, as Kafka's cleaner removes it */
    sl_log_txn_aborted_t a[8];
    assert_int_equal(found(log, 0, 100, a), 1);
    assert_int_equal(sl_log_close(log), SL_OK);
    /* the .txnindex files match the segments after the merge */
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    assert_int_equal(found(log, 0, 100, a), 1);
    assert_int_equal(a[0].last_offset, 2);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

static void read_upto_stops_before_the_bound(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    fill(log); /* batches at 0 (2 records), 2, 3, 4, 5, 6 */
    sl_log_slice_t all, sl;
    assert_int_equal(sl_log_read_upto(log, 0, 1 << 20, true, INT64_MAX, &all), SL_OK);
    assert_int_equal(all.end_offset, 7);
    assert_int_equal(sl_log_read_upto(log, 0, 1 << 20, true, 1, &sl), SL_OK);
    assert_int_equal(sl.len, 0); /* the first batch reaches 1 */
    sl_log_slice_release(&sl);
    assert_int_equal(sl_log_read_upto(log, 0, 1 << 20, true, 4, &sl), SL_OK);
    assert_int_equal(sl.end_offset, 4);
    assert_true(sl.len > 0 && sl.len < all.len);
    sl_log_slice_release(&sl);
    assert_int_equal(sl_log_read_upto(log, 4, 1 << 20, true, 4, &sl), SL_OK);
    assert_int_equal(sl.len, 0);
    sl_log_slice_release(&sl);
    sl_log_slice_release(&all);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(entries_are_checked_found_and_persisted),
        cmocka_unit_test(damaged_or_missing_files_are_rebuilt),
        cmocka_unit_test(entries_go_with_their_segment),
        cmocka_unit_test(cleaner_removes_aborted_records_and_keeps_what_they_would_supersede),
        cmocka_unit_test(read_upto_stops_before_the_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
