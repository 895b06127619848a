/*
 * log_cleaner_util.h - helpers shared by the cleaner tests: batches of
 * keyed records ("k<n>" = "v<seq>", tombstones, producer ids, codecs), a
 * log read back into (offset, key, value) rows with its producer fields and
 * empty batches counted, an eager cleaner setting and a log with small
 * segments.
 */
#ifndef SL_TEST_LOG_CLEANER_UTIL_H
#define SL_TEST_LOG_CLEANER_UTIL_H

#include "log_test_util.h"

/* ---- writing keyed records ---- */

/* One batch of n records: key "k<key0 + i mod nkeys>" (or a null key when
 * nkeys is 0), value "v<seq + i>" (or null when tombstone). */
static inline void k_append(sl_log_t *log, int n, int key0, int nkeys, int64_t seq, bool tombstone, int64_t ts,
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

static inline void read_all(sl_log_t *log, read_all_t *ra)
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

static inline const rec_out_t *find_key(const read_all_t *ra, const char *key)
{
    const rec_out_t *last = NULL;
    for (size_t i = 0; i < ra->n; i++)
        if (strcmp(ra->r[i].key, key) == 0)
            last = &ra->r[i];
    return last;
}

static inline sl_log_clean_opts_t eager(void)
{
    sl_log_clean_opts_t o;
    sl_log_clean_opts_defaults(&o);
    o.min_cleanable_dirty_ratio = 0.01;
    return o;
}

static inline sl_log_t *open_small(const char *dir, int64_t segment_bytes, bool clean)
{
    sl_log_config_t cfg = t_cfg();
    cfg.segment_bytes = segment_bytes;
    cfg.index_interval_bytes = 256;
    sl_log_t *log = NULL;
    assert_int_equal(sl_log_open(dir, &cfg, clean, &log), SL_OK);
    return log;
}

/* The same rows (offsets, keys, values) in both. */
static inline void ra_assert_equal(const read_all_t *a, const read_all_t *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->r[i].offset, b->r[i].offset);
        assert_string_equal(a->r[i].key, b->r[i].key);
        assert_string_equal(a->r[i].val, b->r[i].val);
        assert_int_equal(a->r[i].tombstone, b->r[i].tombstone);
    }
}

/* Size of each inactive segment's files: the .log at most max_log bytes
 * and both index files at most max_index bytes. Returns the number of
 * .log files. */
static inline size_t t_check_segment_files(const char *dir, int64_t max_log, int64_t max_index)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int64_t bases[4096];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l == 24 && strcmp(de->d_name + 20, ".log") == 0) {
            assert_true(n < 4096);
            bases[n++] = strtoll(de->d_name, NULL, 10);
        }
    }
    closedir(d);
    int64_t active = -1;
    for (size_t i = 0; i < n; i++)
        active = bases[i] > active ? bases[i] : active;
    for (size_t i = 0; i < n; i++) {
        if (bases[i] == active)
            continue;
        assert_true(t_seg_size(dir, bases[i], ".log") <= max_log);
        assert_true(t_seg_size(dir, bases[i], ".index") <= max_index);
        assert_true(t_seg_size(dir, bases[i], ".timeindex") <= max_index);
    }
    return n;
}

#endif /* SL_TEST_LOG_CLEANER_UTIL_H */
