/*
 * log_test_util.h - helpers for the partition log tests: temporary
 * directories (mkdtemp under /tmp, removed afterwards), batches made with
 * proto's builder, walking a read slice back into records, file surgery
 * (copy, cut, append, overwrite) and a log sink that remembers warnings.
 */
#ifndef SL_TEST_LOG_UTIL_H
#define SL_TEST_LOG_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "log.h"
#include "records.h"

/* ---- directories ---- */

static inline char *t_mkdtemp(void)
{
    char tmpl[] = "/tmp/sl-log-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

/* Removes dir and the files in it (one level: logs have no subdirectories). */
static inline void t_rmdir(char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                unlinkat(dirfd(d), de->d_name, 0);
        }
        closedir(d);
        rmdir(dir);
    }
    free(dir);
}

static inline void t_path(char *buf, size_t n, const char *dir, int64_t base, const char *ext)
{
    snprintf(buf, n, "%s/%020lld%s", dir, (long long)base, ext);
}

static inline int64_t t_file_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return st.st_size;
}

static inline int64_t t_seg_size(const char *dir, int64_t base, const char *ext)
{
    char p[512];
    t_path(p, sizeof(p), dir, base, ext);
    return t_file_size(p);
}

static inline void t_write_file(const char *path, const void *data, size_t n, int flags)
{
    int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
}

static inline uint8_t *t_read_all(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    size_t n = st.st_size > 0 ? (size_t)st.st_size : 0;
    uint8_t *buf = malloc(n + 1);
    assert_non_null(buf);
    assert_int_equal(pread(fd, buf, n, 0), (ssize_t)n);
    close(fd);
    *len = n;
    return buf;
}

/* Copies every file of src into dst (flat), as the bytes are now. */
static inline void t_copy_dir(const char *src, const char *dst)
{
    DIR *d = opendir(src);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char a[512], b[512];
        snprintf(a, sizeof(a), "%s/%s", src, de->d_name);
        snprintf(b, sizeof(b), "%s/%s", dst, de->d_name);
        size_t n;
        uint8_t *data = t_read_all(a, &n);
        t_write_file(b, data, n, O_TRUNC);
        free(data);
    }
    closedir(d);
}

static inline size_t t_count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0, m = strlen(suffix);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] != '.' && l >= m && strcmp(de->d_name + l - m, suffix) == 0)
            n++;
    }
    closedir(d);
    return n;
}

/* ---- batches ---- */

/* A batch of n records "v<seq>" with timestamps ts, ts+1, ...; the value
 * carries pad bytes of filler so sizes can be chosen. Appended to out. */
static inline void t_batch(sl_buf_t *out, int n, int64_t first_seq, int64_t ts, size_t pad)
{
    sl_batch_opts_t opts;
    sl_batch_opts_init(&opts);
    sl_batch_builder_t b;
    assert_int_equal(sl_batch_builder_begin(&b, out, &opts), SL_OK);
    char *val = malloc(pad + 32);
    assert_non_null(val);
    for (int i = 0; i < n; i++) {
        int k = snprintf(val, 32, "v%lld", (long long)(first_seq + i));
        memset(val + k, 'x', pad);
        assert_int_equal(sl_batch_builder_add(&b, ts < 0 ? ts : ts + i, NULL, -1, val, (int32_t)(k + (int)pad),
                                              NULL, 0),
                         SL_OK);
    }
    free(val);
    assert_int_equal(sl_batch_builder_finish(&b), SL_OK);
}

static inline sl_log_config_t t_cfg(void)
{
    sl_log_config_t cfg;
    sl_log_config_defaults(&cfg);
    return cfg;
}

/* Appends one batch of n records; returns the base offset given. */
static inline int64_t t_append(sl_log_t *log, int n, int64_t seq, int64_t ts, size_t pad, int64_t now_ms)
{
    sl_buf_t buf = SL_BUF_INIT;
    t_batch(&buf, n, seq, ts, pad);
    sl_log_append_info_t info;
    sl_err_t err = sl_log_append(log, buf.data, buf.len, 7, now_ms, &info);
    if (err)
        fail_msg("append: %s: %s", sl_err_name(err), sl_log_errmsg(log));
    assert_int_equal(info.last_offset - info.base_offset + 1, n);
    sl_buf_free(&buf);
    return info.base_offset;
}

/* Checks that records with offsets [from, to) read back, in order, with
 * values "v<offset>" (records were appended with seq == offset), reading
 * slices of at most max_bytes. Returns the number of reads made. */
static inline int t_check_range(sl_log_t *log, int64_t from, int64_t to, int32_t max_bytes)
{
    int64_t next = from;
    int reads = 0;
    sl_buf_t data = SL_BUF_INIT, scratch = SL_BUF_INIT;
    while (next < to) {
        assert_true(reads < 1000000);
        reads++;
        sl_log_slice_t s;
        sl_err_t err = sl_log_read(log, next, max_bytes, true, &s);
        if (err)
            fail_msg("read %lld: %s: %s", (long long)next, sl_err_name(err), sl_log_errmsg(log));
        assert_true(s.len > 0);
        assert_true(s.first_offset <= next);
        sl_buf_reset(&data);
        assert_int_equal(sl_log_slice_read(&s, &data), SL_OK);
        sl_log_slice_release(&s);
        sl_batch_iter_t it;
        sl_batch_iter_init(&it, data.data, data.len);
        sl_batch_t b;
        sl_err_t e;
        bool first = true;
        while ((e = sl_batch_iter_next(&it, &b)) == SL_OK) {
            if (first)
                assert_int_equal(b.base_offset, s.first_offset);
            first = false;
            assert_int_equal(sl_batch_validate(&b, 0, &scratch, 0, NULL, 0), SL_OK);
            sl_record_iter_t ri;
            assert_int_equal(sl_record_iter_init(&ri, &b, &scratch, 0), SL_OK);
            sl_record_t r;
            while (sl_record_iter_next(&ri, &r) == SL_OK) {
                if (r.offset < next)
                    continue;
                if (r.offset >= to)
                    break;
                assert_int_equal(r.offset, next);
                char want[32];
                int k = snprintf(want, sizeof(want), "v%lld", (long long)r.offset);
                assert_true(r.value_len >= k);
                assert_memory_equal(r.value, want, (size_t)k);
                next++;
            }
        }
        assert_int_equal(e, SL_ERR_NOENT); /* whole batches only */
    }
    sl_buf_free(&data);
    sl_buf_free(&scratch);
    return reads;
}

/* ---- log sink that keeps the last warnings ---- */

typedef struct t_sink {
    char text[16384];
    size_t len;
    int warnings;
} t_sink_t;

static inline void t_sink_fn(void *ctx, sl_log_level_t level, const char *line, size_t len)
{
    t_sink_t *s = ctx;
    if (level >= SL_LOG_WARN)
        s->warnings++;
    if (s->len + len + 2 < sizeof(s->text)) {
        memcpy(s->text + s->len, line, len);
        s->len += len;
        s->text[s->len++] = '\n';
        s->text[s->len] = '\0';
    }
}

/* One static sink: a failed assertion (longjmp) may skip t_sink_stop, and
 * the log must never be left writing into a dead stack frame. */
static t_sink_t t_the_sink;

static inline t_sink_t *t_sink_start(void)
{
    memset(&t_the_sink, 0, sizeof(t_the_sink));
    sl_log_set_sink(t_sink_fn, &t_the_sink);
    return &t_the_sink;
}

static inline void t_sink_stop(void)
{
    sl_log_set_sink(NULL, NULL);
}

#endif /* SL_TEST_LOG_UTIL_H */
