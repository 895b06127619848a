/*
 * log_cleaner_test.c - compaction of the partition log (sl_log_clean):
 * latest value per key at original offsets, the active segment untouched,
 * tombstones kept then removed after delete.retention.ms (fake clock),
 * producer fields and compression kept, stray .cleaned/.swap files after a
 * crash, the dirty ratio and the compaction lag, the three-step pass with
 * the log used between the steps.
 */
#include "log_test_util.h"

#define NKEYS 100
#define NUPDATES 10000
#define PER_BATCH 10

/* ---- writing keyed records ---- */

/* One batch of n records: key "k<key0 + i mod nkeys>" (or a null key when
 * nkeys is 0), value "v<seq + i>" (or null when tombstone). */
static void k_append(sl_log_t *log, int n, int key0, int nkeys, int64_t seq, bool tombstone, int64_t ts,
                     sl_compression_t codec, int64_t pid)
{
    sl_buf_t buf = SL_BUF_INIT;
    sl_batch_opts_t opts;
    sl_batch_opts_init(&opts);
    opts.compression = codec;
    if (pid >= 0) {
        opts.producer_id = pid;
        opts.producer_epoch = 3;
        opts.base_sequence = 40;
    }
    sl_batch_builder_t b;
    assert_int_equal(sl_batch_builder_begin(&b, &buf, &opts), SL_OK);
    for (int i = 0; i < n; i++) {
        char key[32], val[32];
        int kl = nkeys ? snprintf(key, sizeof(key), "k%d", (key0 + i) % nkeys) : -1;
        int vl = tombstone ? -1 : snprintf(val, sizeof(val), "v%lld", (long long)(seq + i));
        assert_int_equal(sl_batch_builder_add(&b, ts, key, kl, val, vl, NULL, 0), SL_OK);
    }
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
    sl_log_append_info_t info;
    sl_err_t err = sl_log_append(log, buf.data, buf.len, 1, ts, &info);
    if (err)
        fail_msg("append: %s: %s", sl_err_name(err), sl_log_errmsg(log));
    sl_buf_free(&buf);
}

/* ---- reading everything back ---- */

typedef struct rec_out {
    int64_t offset;
    char key[32];   /* "" for a null key */
    char val[32];   /* "" for a null value */
    bool tombstone;
} rec_out_t;

typedef struct read_all {
    rec_out_t *r;
    size_t n, cap;
    int64_t pid;    /* producer id of the last batch seen with one */
    int16_t epoch;
    int32_t seq;
    int32_t empty_batches;
} read_all_t;

static void read_all(sl_log_t *log, read_all_t *ra)
{
    memset(ra, 0, sizeof(*ra));
    ra->pid = -1;
    int64_t next = sl_log_start_offset(log), end = sl_log_end_offset(log);
    sl_buf_t data = SL_BUF_INIT, scratch = SL_BUF_INIT;
    for (int reads = 0; next < end; reads++) {
        assert_true(reads < 100000);
        sl_log_slice_t s;
        sl_err_t err = sl_log_read(log, next, 1 << 20, true, &s);
        if (err)
            fail_msg("read %lld: %s: %s", (long long)next, sl_err_name(err), sl_log_errmsg(log));
        if (s.len == 0)
            break;
        sl_buf_reset(&data);
        assert_int_equal(sl_log_slice_read(&s, &data), SL_OK);
        sl_log_slice_release(&s);
        sl_batch_iter_t it;
        sl_batch_iter_init(&it, data.data, data.len);
        sl_batch_t b;
        while ((err = sl_batch_iter_next(&it, &b)) == SL_OK) {
            next = sl_batch_last_offset(&b) + 1;
            if (b.producer_id >= 0) {
                ra->pid = b.producer_id;
                ra->epoch = b.producer_epoch;
                ra->seq = b.base_sequence;
            }
            if (b.record_count == 0)
                ra->empty_batches++;
            sl_record_iter_t ri;
            assert_int_equal(sl_record_iter_init(&ri, &b, &scratch, 0), SL_OK);
            sl_record_t r;
            while ((err = sl_record_iter_next(&ri, &r)) == SL_OK) {
                if (ra->n == ra->cap) {
                    ra->cap = ra->cap ? ra->cap * 2 : 256;
                    ra->r = realloc(ra->r, ra->cap * sizeof(*ra->r));
                    assert_non_null(ra->r);
                }
                rec_out_t *o = &ra->r[ra->n++];
                memset(o, 0, sizeof(*o));
                o->offset = r.offset;
                if (r.key_len > 0)
                    snprintf(o->key, sizeof(o->key), "%.*s", (int)SL_MIN(r.key_len, 31), r.key);
                if (r.value_len > 0)
                    snprintf(o->val, sizeof(o->val), "%.*s", (int)SL_MIN(r.value_len, 31), r.value);
                o->tombstone = r.value_len < 0;
            }
            assert_int_equal(err, SL_ERR_NOENT);
        }
        assert_int_equal(err, SL_ERR_NOENT);
    }
    sl_buf_free(&data);
    sl_buf_free(&scratch);
}

static const rec_out_t *find_key(const read_all_t *ra, const char *key)
{
    const rec_out_t *last = NULL;
    for (size_t i = 0; i < ra->n; i++)
        if (strcmp(ra->r[i].key, key) == 0)
            last = &ra->r[i];
    return last;
}

static sl_log_clean_opts_t eager(void)
{
    sl_log_clean_opts_t o;
    sl_log_clean_opts_defaults(&o);
    o.min_cleanable_dirty_ratio = 0.01;
    return o;
}

static sl_log_t *open_small(const char *dir, int64_t segment_bytes, bool clean)
{
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = segment_bytes;
    cfg.index_interval_bytes = 256;
    sl_log_t *log = NULL;
    assert_int_equal(sl_log_open(dir, &cfg, clean, &log), SL_OK);
    return log;
}

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
    assert_int_equal(sl_log_segment_count(log), nsegs);
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

    /* Abandoned after build: the .swap files go with the job. */
    sl_log_clean_job_t *job = NULL;
    assert_int_equal(sl_log_clean_prepare(log, &opts, now, &job), SL_OK);
    assert_non_null(job);
    assert_int_equal(sl_log_clean_build(job), SL_OK);
    assert_true(t_count_files(dir, ".swap") > 0);
    assert_int_equal(t_count_files(dir, ".cleaned"), 0);
    sl_log_clean_job_free(job);
    assert_int_equal(t_count_files(dir, ".swap"), 0);

    job = NULL;
    assert_int_equal(sl_log_clean_prepare(log, &opts, now, &job), SL_OK);
    assert_non_null(job);
    assert_int_equal(sl_log_clean_build(job), SL_OK);
    int64_t end = sl_log_end_offset(log);
    /* Meanwhile: more updates (the old active segment rolls away) and
     * DeleteRecords past the first segments. */
    for (int64_t seq = end; seq < end + 500; seq += PER_BATCH)
        k_append(log, PER_BATCH, (int)(seq % NKEYS), NKEYS, seq, false, now - 1000, SL_COMPRESSION_NONE, -1);
    assert_int_equal(sl_log_delete_records(log, 500), SL_OK);
    sl_log_clean_info_t info;
    assert_int_equal(sl_log_clean_install(log, job, &info), SL_OK);
    sl_log_clean_job_free(job);
    assert_true(info.segments > 0);
    assert_int_equal(t_count_files(dir, ".swap"), 0);
    assert_int_equal(sl_log_end_offset(log), end + 500);

    read_all_t ra;
    read_all(log, &ra);
    /* Everything at and above the old end is there, in order. */
    size_t n_new = 0;
    for (size_t i = 0; i < ra.n; i++) {
        char want[32];
        snprintf(want, sizeof(want), "v%lld", (long long)ra.r[i].offset);
        assert_string_equal(ra.r[i].val, want);
        assert_true(ra.r[i].offset >= 500);
        if (i)
            assert_true(ra.r[i].offset > ra.r[i - 1].offset);
        n_new += ra.r[i].offset >= end;
    }
    assert_int_equal(n_new, 500);
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
        cmocka_unit_test(clean_removes_tombstones_only_after_delete_retention),
        cmocka_unit_test(clean_keeps_the_last_emptied_batch_of_a_producer),
        cmocka_unit_test(clean_drops_keyless_records),
        cmocka_unit_test(clean_waits_for_dirty_ratio_and_compaction_lag),
        cmocka_unit_test(clean_leftovers_after_a_crash_lose_nothing),
        cmocka_unit_test(clean_in_steps_lets_the_log_be_used_meanwhile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
