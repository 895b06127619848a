/*
 * log_append_test.c - appending and reading back: offsets assigned in
 * place, round trips across many segments, index lookups that land on the
 * right batch for every offset, read limits (max bytes, KIP-74 min one),
 * reopening after a clean close, LogAppendTime, bad input.
 */
#include <limits.h>

#include "log_test_util.h"

static void append_assigns_offsets_and_reads_back(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    assert_int_equal(sl_log_start_offset(log), 0);
    assert_int_equal(sl_log_end_offset(log), 0);
    assert_int_equal(sl_log_segment_count(log), 1);
    assert_true(t_seg_size(dir, 0, ".log") == 0);
    assert_true(t_seg_size(dir, 0, ".index") == 0);
    assert_true(t_seg_size(dir, 0, ".timeindex") == 0);

    /* Two batches in one call, then one more. */
    sl_buf_t buf = SL_BUF_INIT;
    t_batch(&buf, 3, 0, 1000, 0);
    t_batch(&buf, 2, 3, 2000, 0);
    sl_log_append_info_t info;
    assert_int_equal(sl_log_append(log, buf.data, buf.len, 5, 123, &info), SL_OK);
    assert_int_equal(info.base_offset, 0);
    assert_int_equal(info.last_offset, 4);
    assert_int_equal(info.batches, 2);
    assert_int_equal(info.log_append_time, -1);
    /* The caller's bytes were patched: second batch's base offset is 3. */
    sl_batch_iter_t it;
    sl_batch_t b;
    sl_batch_iter_init(&it, buf.data, buf.len);
    assert_int_equal(sl_batch_iter_next(&it, &b), SL_OK);
    assert_int_equal(b.base_offset, 0);
    assert_int_equal(b.partition_leader_epoch, 5);
    assert_int_equal(sl_batch_iter_next(&it, &b), SL_OK);
    assert_int_equal(b.base_offset, 3);
    sl_buf_free(&buf);

    assert_int_equal(t_append(log, 4, 5, 3000, 0, 124), 5);
    assert_int_equal(sl_log_end_offset(log), 9);
    assert_int_equal(sl_log_unflushed_messages(log), 9);
    assert_int_equal(sl_log_size(log), t_seg_size(dir, 0, ".log"));

    t_check_range(log, 0, 9, 1 << 20);
    for (int64_t o = 0; o < 9; o++)
        t_check_range(log, o, 9, 1);

    /* End offset: empty slice; past it or before start: out of range. */
    sl_log_slice_t s;
    assert_int_equal(sl_log_read(log, 9, 1000, true, &s), SL_OK);
    assert_int_equal(s.len, 0);
    assert_int_equal(s.fd, -1);
    sl_log_slice_release(&s);
    assert_int_equal(sl_log_read(log, 10, 1000, true, &s), SL_ERR_OFFSET_OUT_OF_RANGE);
    assert_int_equal(sl_log_read(log, -1, 1000, true, &s), SL_ERR_OFFSET_OUT_OF_RANGE);
    assert_true(strlen(sl_log_errmsg(log)) > 0);

    assert_int_equal(sl_log_flush(log, 555), SL_OK);
    assert_int_equal(sl_log_unflushed_messages(log), 0);
    assert_int_equal(sl_log_last_flush_ms(log), 555);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

static void read_respects_max_bytes_and_min_one(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    for (int i = 0; i < 10; i++)
        t_append(log, 1, i, 1000 + i, 200, 1);
    sl_log_slice_t s;
    assert_int_equal(sl_log_read(log, 0, 1 << 20, false, &s), SL_OK);
    int32_t one = (int32_t)(sl_log_size(log) / 10);
    assert_int_equal(s.len, one * 10);
    assert_int_equal(s.pos, 0);
    sl_log_slice_release(&s);

    /* Whole batches only: 2.5 batches worth gives 2. */
    assert_int_equal(sl_log_read(log, 3, one * 5 / 2, false, &s), SL_OK);
    assert_int_equal(s.len, one * 2);
    assert_int_equal(s.pos, one * 3);
    assert_int_equal(s.first_offset, 3);
    sl_log_slice_release(&s);

    /* A first batch larger than max_bytes: all of it with min_one, else nothing. */
    assert_int_equal(sl_log_read(log, 3, 10, true, &s), SL_OK);
    assert_int_equal(s.len, one);
    sl_log_slice_release(&s);
    assert_int_equal(sl_log_read(log, 3, 10, false, &s), SL_OK);
    assert_int_equal(s.len, 0);
    sl_log_slice_release(&s);
    assert_int_equal(sl_log_read(log, 3, 0, true, &s), SL_OK);
    assert_int_equal(s.len, one);
    sl_log_slice_release(&s);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

/* Many segments, small index interval: every offset is found through the
 * segment search and the index, in the right batch; reopen keeps it all. */
static void round_trip_across_many_segments(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = 4000;
    cfg.index_interval_bytes = 300;
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    int64_t next = 0;
    for (int i = 0; i < 300; i++) {
        int n = 1 + i % 5;
        assert_int_equal(t_append(log, n, next, 1000 + next, (size_t)(i % 7) * 10, 1000 + i), next);
        next += n;
    }
    assert_int_equal(sl_log_end_offset(log), next);
    size_t nseg = sl_log_segment_count(log);
    assert_true(nseg > 10);
    assert_int_equal(t_count_files(dir, ".log"), nseg);
    assert_true(t_seg_size(dir, 0, ".log") <= 4000);

    for (int64_t o = 0; o < next; o++) {
        sl_log_slice_t s;
        assert_int_equal(sl_log_read(log, o, 1, true, &s), SL_OK);
        /* One batch, and it holds o. */
        sl_buf_t data = SL_BUF_INIT;
        assert_int_equal(sl_log_slice_read(&s, &data), SL_OK);
        sl_batch_t b;
        assert_int_equal(sl_batch_peek(data.data, data.len, &b, NULL, 0), SL_OK);
        assert_int_equal(b.size, data.len);
        assert_true(b.base_offset <= o && sl_batch_last_offset(&b) >= o);
        assert_int_equal(s.first_offset, b.base_offset);
        sl_buf_free(&data);
        sl_log_slice_release(&s);
    }
    t_check_range(log, 0, next, 1 << 20);
    t_check_range(log, 17, next, 700);
    assert_int_equal(sl_log_close(log), SL_OK);

    /* Offset index files hold entries; time indexes too. */
    assert_true(t_seg_size(dir, 0, ".index") > 0);
    assert_int_equal(t_seg_size(dir, 0, ".index") % 8, 0);
    assert_true(t_seg_size(dir, 0, ".timeindex") > 0);
    assert_int_equal(t_seg_size(dir, 0, ".timeindex") % 12, 0);

    t_sink_t *sink = t_sink_start();
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    t_sink_stop();
    assert_int_equal(sink->warnings, 0); /* nothing rebuilt after a clean close */
    assert_int_equal(sl_log_end_offset(log), next);
    assert_int_equal(sl_log_segment_count(log), nseg);
    t_check_range(log, 0, next, 1 << 20);
    /* Appends continue where they stopped. */
    assert_int_equal(t_append(log, 3, next, 5000, 0, 9999), next);
    t_check_range(log, next - 10, next + 3, 1 << 20);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

static void log_append_time_patches_timestamp_and_crc(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    cfg.log_append_time = true;
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    sl_buf_t buf = SL_BUF_INIT;
    t_batch(&buf, 3, 0, 1000, 5);
    sl_log_append_info_t info;
    assert_int_equal(sl_log_append(log, buf.data, buf.len, 0, 777777, &info), SL_OK);
    assert_int_equal(info.log_append_time, 777777);
    sl_buf_free(&buf);

    sl_log_slice_t s;
    assert_int_equal(sl_log_read(log, 0, 1 << 20, true, &s), SL_OK);
    sl_buf_t data = SL_BUF_INIT, scratch = SL_BUF_INIT;
    assert_int_equal(sl_log_slice_read(&s, &data), SL_OK);
    sl_log_slice_release(&s);
    sl_batch_t b;
    assert_int_equal(sl_batch_peek(data.data, data.len, &b, NULL, 0), SL_OK); /* CRC valid */
    assert_true(sl_batch_is_log_append_time(&b));
    assert_int_equal(b.max_timestamp, 777777);
    assert_int_equal(sl_batch_validate(&b, SL_BATCH_VALIDATE_STRICT, &scratch, 0, NULL, 0), SL_OK);
    sl_record_iter_t ri;
    sl_record_t r;
    assert_int_equal(sl_record_iter_init(&ri, &b, &scratch, 0), SL_OK);
    assert_int_equal(sl_record_iter_next(&ri, &r), SL_OK);
    assert_int_equal(r.timestamp, 777777);
    sl_buf_free(&data);
    sl_buf_free(&scratch);

    int64_t off, ts;
    assert_int_equal(sl_log_max_timestamp(log, &off, &ts), SL_OK);
    assert_int_equal(ts, 777777);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

static void append_refuses_partial_batches(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    sl_buf_t buf = SL_BUF_INIT;
    t_batch(&buf, 2, 0, 1000, 0);
    size_t one = buf.len;
    t_batch(&buf, 2, 0, 1000, 0);
    sl_log_append_info_t info;
    /* Cut inside the second batch, inside the first header, garbage. */
    assert_int_equal(sl_log_append(log, buf.data, buf.len - 1, 0, 1, &info), SL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(sl_log_append(log, buf.data, one + 10, 0, 1, &info), SL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(sl_log_append(log, buf.data, 30, 0, 1, &info), SL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(sl_log_append(log, buf.data, 0, 0, 1, &info), SL_ERR_INVAL);
    uint8_t junk[100];
    memset(junk, 0xab, sizeof(junk));
    assert_int_equal(sl_log_append(log, junk, sizeof(junk), 0, 1, &info), SL_ERR_CORRUPT_MESSAGE);
    memset(junk, 0, sizeof(junk));
    assert_int_equal(sl_log_append(log, junk, sizeof(junk), 0, 1, &info), SL_ERR_CORRUPT_MESSAGE);
    assert_int_equal(sl_log_end_offset(log), 0);
    assert_int_equal(sl_log_size(log), 0);
    /* Nothing reached the file. */
    assert_int_equal(t_seg_size(dir, 0, ".log"), 0);
    assert_int_equal(sl_log_append(log, buf.data, buf.len, 0, 1, &info), SL_OK);
    assert_int_equal(info.last_offset, 3);
    sl_buf_free(&buf);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

/* Compressed batches: offsets come from each batch's header (last offset
 * delta), the bytes are stored untouched and read back record by record. */
static void compressed_batches_round_trip(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = 2000;
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    static const sl_compression_t codecs[] = {SL_COMPRESSION_GZIP, SL_COMPRESSION_SNAPPY, SL_COMPRESSION_LZ4,
                                              SL_COMPRESSION_ZSTD, SL_COMPRESSION_NONE};
    int64_t next = 0;
    for (int round = 0; round < 20; round++) {
        sl_buf_t buf = SL_BUF_INIT;
        sl_batch_opts_t opts;
        sl_batch_opts_init(&opts);
        opts.compression = codecs[round % 5];
        sl_batch_builder_t b;
        assert_int_equal(sl_batch_builder_begin(&b, &buf, &opts), SL_OK);
        int n = 1 + round % 7;
        for (int i = 0; i < n; i++) {
            char v[64];
            int k = snprintf(v, sizeof(v), "v%lld-compressible-compressible", (long long)(next + i));
            assert_int_equal(sl_batch_builder_add(&b, 1000 + next + i, "k", 1, v, k, NULL, 0), SL_OK);
        }
        assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
        sl_log_append_info_t info;
        assert_int_equal(sl_log_append(log, buf.data, buf.len, 3, 1, &info), SL_OK);
        assert_int_equal(info.base_offset, next);
        assert_int_equal(info.last_offset, next + n - 1);
        sl_buf_free(&buf);
        next += n;
    }
    assert_true(sl_log_segment_count(log) > 1);
    t_check_range(log, 0, next, 1 << 20);
    for (int64_t o = 0; o < next; o++)
        t_check_range(log, o, o + 1, 1);
    /* Time lookups find the record inside compressed batches. */
    for (int64_t o = 0; o < next; o++) {
        int64_t off, ts;
        assert_int_equal(sl_log_offset_for_time(log, 1000 + o, &off, &ts), SL_OK);
        assert_int_equal(off, o);
        assert_int_equal(ts, 1000 + o);
    }
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

/* A read never crosses into the next segment; the next read continues there. */
static void read_stops_at_the_segment_end(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = 1000;
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    for (int i = 0; i < 30; i++)
        t_append(log, 1, i, 1000 + i, 30, 1);
    int64_t seg0 = t_seg_size(dir, 0, ".log");
    sl_log_slice_t s;
    assert_int_equal(sl_log_read(log, 0, 1 << 20, false, &s), SL_OK);
    assert_int_equal(s.pos, 0);
    assert_int_equal(s.len, seg0);
    sl_log_slice_release(&s);
    sl_log_slice_release(&s); /* twice is harmless */
    sl_log_slice_release(NULL);
    assert_true(t_check_range(log, 0, 30, 1 << 20) >= (int)sl_log_segment_count(log));
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

/* Counters the broker's flush policy reads. */
static void flush_counters(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    assert_int_equal(sl_log_unflushed_messages(log), 0);
    assert_true(sl_log_last_flush_ms(log) > 0); /* the open counts as a flush */
    t_append(log, 3, 0, 1000, 0, 1);
    t_append(log, 2, 3, 1000, 0, 1);
    assert_int_equal(sl_log_unflushed_messages(log), 5);
    assert_int_equal(sl_log_flush(log, 42), SL_OK);
    assert_int_equal(sl_log_unflushed_messages(log), 0);
    assert_int_equal(sl_log_last_flush_ms(log), 42);
    assert_int_equal(sl_log_flush(log, 43), SL_OK); /* nothing new: still fine */
    assert_int_equal(sl_log_last_flush_ms(log), 43);
    /* info may be NULL. */
    sl_buf_t buf = SL_BUF_INIT;
    t_batch(&buf, 1, 5, 1000, 0);
    assert_int_equal(sl_log_append(log, buf.data, buf.len, 0, 1, NULL), SL_OK);
    sl_buf_free(&buf);
    assert_int_equal(sl_log_end_offset(log), 6);
    /* Out-of-range settings are clamped, not trusted. */
    cfg.segment_bytes = 0;
    cfg.index_interval_bytes = -5;
    cfg.max_index_bytes = 0;
    sl_log_set_config(log, &cfg);
    for (int i = 6; i < 12; i++)
        t_append(log, 1, i, 1000 + i, 0, 1);
    t_check_range(log, 0, 12, 1 << 20);
    assert_int_equal(sl_log_close(log), SL_OK);
    t_rmdir(dir);
}

static void open_rejects_bad_arguments(void **state)
{
    (void)state;
    sl_log_config_t cfg = t_cfg();
    sl_log_t *log = (sl_log_t *)&cfg;
    assert_int_equal(sl_log_open(NULL, &cfg, true, &log), SL_ERR_INVAL);
    assert_null(log);
    assert_int_equal(sl_log_open("/tmp", NULL, true, &log), SL_ERR_INVAL);
    assert_int_equal(sl_log_open("/tmp", &cfg, true, NULL), SL_ERR_INVAL);
    assert_int_equal(sl_log_open("", &cfg, true, &log), SL_ERR_INVAL);
    char *longname = malloc(PATH_MAX + 10);
    assert_non_null(longname);
    memset(longname, 'a', PATH_MAX + 9);
    longname[0] = '/';
    longname[PATH_MAX + 9] = '\0';
    assert_int_equal(sl_log_open(longname, &cfg, true, &log), SL_ERR_INVAL);
    free(longname);
    /* A directory that cannot be created. */
    assert_int_equal(sl_log_open("/proc/sl-log-test/x", &cfg, true, &log), SL_ERR_IO);
    assert_null(log);
    assert_int_equal(sl_log_close(NULL), SL_OK);
    assert_int_equal(sl_log_delete(NULL), SL_OK);
}

static void delete_removes_the_directory(void **state)
{
    (void)state;
    char *dir = t_mkdtemp();
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = 500;
    sl_log_t *log;
    assert_int_equal(sl_log_open(dir, &cfg, true, &log), SL_OK);
    for (int i = 0; i < 20; i++)
        t_append(log, 2, 2 * i, 1000, 50, 1);
    assert_true(sl_log_segment_count(log) > 2);
    assert_int_equal(sl_log_delete(log), SL_OK);
    struct stat st;
    assert_int_equal(stat(dir, &st), -1);
    assert_int_equal(errno, ENOENT);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(append_assigns_offsets_and_reads_back),
        cmocka_unit_test(read_respects_max_bytes_and_min_one),
        cmocka_unit_test(round_trip_across_many_segments),
        cmocka_unit_test(log_append_time_patches_timestamp_and_crc),
        cmocka_unit_test(append_refuses_partial_batches),
        cmocka_unit_test(compressed_batches_round_trip),
        cmocka_unit_test(read_stops_at_the_segment_end),
        cmocka_unit_test(flush_counters),
        cmocka_unit_test(open_rejects_bad_arguments),
        cmocka_unit_test(delete_removes_the_directory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
