/*
 * bench_cleaner.c - log compaction throughput, through the log library's
 * public API (broker/log/log.h) alone: a log is filled with record batches
 * built by proto's batch builder (uncompressed, random keys drawn from a
 * fixed set), its active segment is rolled so everything is cleanable, and
 * one cleaning pass (prepare, build, install) is timed.
 *
 *   bench_cleaner DIR [MIB]
 *
 * Two shapes, MIB of log each (default 256): 1 KiB values over 10,000 keys
 * (most records superseded), and 100 B values over 1,000,000 keys (about
 * half kept). Each works in a new directory under DIR, deleted afterwards.
 * The segments are flushed before the pass but stay in the page cache, so
 * the cleaner reads memory, not the disk; what it keeps is written and
 * fsynced. Prints a human line and a "result bench=cleaner ..." line per
 * shape.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "log.h"
#include "records.h"

typedef struct shape {
    int value_bytes;
    uint32_t keys;
    int per_batch;           /* records per batch: about 64 KB batches */
} shape_t;

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* Appends one batch of s->per_batch records with random keys. */
static sl_err_t append_batch(sl_log_t *log, const shape_t *s, const uint8_t *value, sl_buf_t *buf,
                             int64_t now_ms)
{
    sl_batch_opts_t opts;
    sl_batch_builder_t b;
    sl_batch_opts_init(&opts);
    sl_buf_reset(buf);
    sl_err_t err = sl_batch_builder_begin(&b, buf, &opts);
    for (int i = 0; i < s->per_batch && err == SL_OK; i++) {
        char key[16];
        int kl = snprintf(key, sizeof key, "k%010u", (unsigned)(rnd() % s->keys));
        /* A different slice of the value buffer each time, so values differ. */
        err = sl_batch_builder_add(&b, now_ms, key, kl, value + (rnd() & 1023), s->value_bytes, NULL, 0);
    }
    if (err == SL_OK)
        err = sl_batch_builder_finish(&b);
    else
        sl_batch_builder_abort(&b);
    return err == SL_OK ? sl_log_append(log, buf->data, buf->len, 0, now_ms, NULL) : err;
}

static int run_shape(const char *parent, const shape_t *s, int64_t target)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/clean-%d-%u", parent, s->value_bytes, (unsigned)s->keys);
    sl_log_config_t cfg;
    sl_log_config_defaults(&cfg);
    cfg.segment_bytes = 64 << 20;
    sl_log_t *log;
    sl_err_t err = sl_log_open(dir, &cfg, true, &log);
    if (err) {
        fprintf(stderr, "bench_cleaner: open %s: %s\n", dir, sl_err_str(err));
        return 1;
    }
    uint8_t *value = malloc(1024 + (size_t)s->value_bytes);
    sl_buf_t buf = SL_BUF_INIT;
    if (!value) {
        sl_log_delete(log);
        return 1;
    }
    for (int i = 0; i < 1024 + s->value_bytes; i++)
        value[i] = (uint8_t)rnd();

    /* Fill. */
    int64_t now_ms = sl_time_wall_ms(), t0 = sl_time_mono_ns();
    while (err == SL_OK && sl_log_size(log) < target)
        err = append_batch(log, s, value, &buf, now_ms);
    if (err == SL_OK)
        err = sl_log_flush(log, now_ms);
    double append_s = (double)(sl_time_mono_ns() - t0) / 1e9;
    int64_t records = sl_log_end_offset(log), log_bytes = sl_log_size(log);

    /* Roll the active segment away so the whole log is cleanable. */
    cfg.segment_ms = 1;
    sl_log_set_config(log, &cfg);
    if (err == SL_OK)
        err = sl_log_roll_if_due(log, now_ms + 1000);
    size_t segments = sl_log_segment_count(log);

    /* One pass, timed step by step. */
    sl_log_clean_opts_t copts;
    sl_log_clean_opts_defaults(&copts);
    sl_log_clean_job_t *job = NULL;
    sl_log_clean_info_t info = {0};
    double cpu0 = cpu_seconds();
    int64_t c0 = sl_time_mono_ns(), c1 = c0, c2 = c0;
    if (err == SL_OK)
        err = sl_log_clean_prepare(log, &copts, sl_time_wall_ms(), &job);
    if (err == SL_OK && job) {
        c1 = sl_time_mono_ns();
        err = sl_log_clean_build(job);
        c2 = sl_time_mono_ns();
        if (err == SL_OK)
            err = sl_log_clean_install(log, job, &info);
    }
    sl_log_clean_job_free(job);
    int64_t c3 = sl_time_mono_ns();
    double cpu = cpu_seconds() - cpu0;
    if (err)
        fprintf(stderr, "bench_cleaner: %s: %s (%s)\n", dir, sl_err_str(err), sl_log_errmsg(log));
    else if (!info.ran)
        fprintf(stderr, "bench_cleaner: %s: the pass did not run\n", dir);
    else if (info.cleaned_to < records) /* the key map filled up: the figure covers a part */
        fprintf(stderr, "bench_cleaner: %s: the pass ended at offset %" PRId64 " of %" PRId64 "\n", dir,
                info.cleaned_to, records);
    sl_log_delete(log);
    sl_buf_free(&buf);
    free(value);
    if (err || !info.ran)
        return 1;

    double clean_s = (double)(c3 - c0) / 1e9, mb = (double)info.bytes_before / 1e6;
    printf("  %4d B values, %7u keys: %8" PRId64 " records, %5.0f MB in %zu segments (append %4.0f MB/s);"
           " cleaned in %.2f s: %5.0f MB/s read, kept %.1f MB (%.1f%%) in %d segments, %.2f cores\n",
           s->value_bytes, (unsigned)s->keys, records, (double)log_bytes / 1e6, segments,
           (double)log_bytes / 1e6 / append_s, clean_s, mb / clean_s, (double)info.bytes_after / 1e6,
           100.0 * (double)info.bytes_after / (double)info.bytes_before, (int)info.segments_after, cpu / clean_s);
    printf("result bench=cleaner value=%d keys=%u records=%" PRId64 " log_bytes=%" PRId64 " segments=%zu"
           " append_mb_s=%.1f bytes_before=%" PRId64 " bytes_after=%" PRId64 " segments_after=%d cleaned_to=%" PRId64
           " records_removed=%" PRId64
           " prepare_s=%.3f build_s=%.3f install_s=%.3f clean_s=%.3f clean_mb_s=%.1f cores=%.2f\n",
           s->value_bytes, (unsigned)s->keys, records, log_bytes, segments, (double)log_bytes / 1e6 / append_s,
           info.bytes_before, info.bytes_after, (int)info.segments_after, info.cleaned_to, info.records_removed,
           (double)(c1 - c0) / 1e9,
           (double)(c2 - c1) / 1e9, (double)(c3 - c2) / 1e9, clean_s, mb / clean_s, cpu / clean_s);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fputs("usage: bench_cleaner DIR [MIB]\n", stderr);
        return 2;
    }
    long mib = argc == 3 ? strtol(argv[2], NULL, 10) : 256;
    if (mib < 1 || mib > 65536) {
        fputs("bench_cleaner: MIB wants 1..65536\n", stderr);
        return 2;
    }
    sl_log_set_level(SL_LOG_WARN); /* the pass's own summary line is ours to print */
    static const shape_t shapes[] = {{1024, 10000, 64}, {100, 1000000, 500}};
    printf("log cleaner: one pass over %ld MiB of uncompressed batches (64 MiB segments), page cache warm\n", mib);
    int rc = 0;
    for (size_t i = 0; i < SL_ARRAY_LEN(shapes); i++)
        rc |= run_shape(argv[1], &shapes[i], (int64_t)mib << 20);
    return rc;
}
