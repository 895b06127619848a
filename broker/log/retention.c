/*
 * retention.c - what removes data from the log and what looks it up by
 * time: retention by time and size, DeleteRecords with its persisted
 * log-start-offset checkpoint, time-based rolls, ListOffsets by timestamp
 * and the max timestamp.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log_int.h"

/* ------------------------------------------------------------------ */
/* Offset checkpoint files in the log's directory (the log start offset,
 * the cleaner's progress): "0\n<offset>\n" (version, offset), written to a
 * temporary file, fsynced and renamed over the old one. */

sl_err_t log_offset_file_read(sl_log_t *log, const char *name, int64_t *value)
{
    char path[PATH_MAX], buf[64];
    *value = -1;
    snprintf(path, sizeof(path), "%s/%s", log->dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return SL_OK;
        return log_fail(log, SL_ERR_IO, "%s: open: %s", name, strerror(errno));
    }
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    int e = errno;
    close(fd);
    if (n < 0)
        return log_fail(log, SL_ERR_IO, "%s: read: %s", name, strerror(e));
    buf[n] = '\0';
    long long v;
    int used = 0;
    if (sscanf(buf, "0\n%lld\n%n", &v, &used) != 1 || used != n || v < 0) {
        SL_WARN(LOG_MOD, "%s: ignoring malformed %s", log->dir, name);
        return SL_OK;
    }
    *value = v;
    return SL_OK;
}

sl_err_t log_offset_file_write(sl_log_t *log, const char *name, int64_t value)
{
    char path[PATH_MAX], tmp[PATH_MAX], buf[64];
    snprintf(path, sizeof(path), "%s/%s", log->dir, name);
    snprintf(tmp, sizeof(tmp), "%s/%s.tmp", log->dir, name);
    int n = snprintf(buf, sizeof(buf), "0\n%lld\n", (long long)value);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return log_fail(log, SL_ERR_IO, "%s: create: %s", name, strerror(errno));
    const char *what = NULL;
    errno = 0;
    if (write(fd, buf, (size_t)n) != n)
        what = "write";
    else if (fsync(fd) != 0)
        what = "fsync";
    int e = errno;
    if (close(fd) != 0 && !what) {
        what = "close";
        e = errno;
    }
    if (!what && rename(tmp, path) != 0) {
        what = "rename";
        e = errno;
    }
    if (what) {
        unlink(tmp);
        return log_fail(log, SL_ERR_IO, "%s: %s: %s", name, what, e ? strerror(e) : "short write");
    }
    return log_sync_dir(log);
}

/* ------------------------------------------------------------------ */
/* DeleteRecords, retention, time rolls                                */

/* Segments entirely below the log start offset (the next one starts at or
 * before it). */
static size_t below_start(const sl_log_t *log)
{
    size_t n = 0;
    while (n + 1 < log->nsegs && log->segs[n + 1]->base <= log->start_offset)
        n++;
    return n;
}

sl_err_t sl_log_delete_records(sl_log_t *log, int64_t offset)
{
    log->errmsg[0] = '\0';
    if (offset < log->start_offset || offset > log->next_offset)
        return log_fail(log, SL_ERR_OFFSET_OUT_OF_RANGE, "delete records: offset %lld is outside %lld..%lld",
                        (long long)offset, (long long)log->start_offset, (long long)log->next_offset);
    if (offset == log->start_offset)
        return SL_OK;
    int64_t old = log->start_offset;
    log->start_offset = offset;
    sl_err_t err = log_offset_file_write(log, LOG_CHECKPOINT_NAME, log->start_offset);
    if (err) {
        log->start_offset = old;
        return err;
    }
    return log_drop_oldest(log, below_start(log));
}

/* Kafka's largestTimestamp: the newest batch timestamp, or the file's
 * modification time when no batch carried one. */
static int64_t seg_largest_ts(sl_log_t *log, const seg_t *seg)
{
    if (seg->max_ts >= 0)
        return seg->max_ts;
    char path[PATH_MAX];
    struct stat st;
    seg_path(log, seg->base, ".log", path, sizeof(path));
    if (stat(path, &st) != 0)
        return -1;
    return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

sl_err_t sl_log_retain(sl_log_t *log, int64_t now_ms, int *deleted)
{
    log->errmsg[0] = '\0';
    if (deleted)
        *deleted = 0;
    size_t before = log->nsegs, rolled = 0;
    sl_err_t err = SL_OK;

    /* By time: the oldest segments whose newest timestamp is old enough. */
    if (log->cfg.retention_ms >= 0) {
        size_t n = 0;
        while (n < log->nsegs && now_ms - seg_largest_ts(log, log->segs[n]) > log->cfg.retention_ms)
            n++;
        if (n == log->nsegs && log_active(log)->size > 0) {
            /* Even the active segment is expired: roll so it can go. */
            err = log_roll(log, now_ms);
            rolled = log->nsegs - before;
        } else if (n == log->nsegs) {
            n--;
        }
        if (!err)
            err = log_drop_oldest(log, n);
    }
    /* By size: drop the oldest while what remains still reaches the limit. */
    if (!err && log->cfg.retention_bytes >= 0) {
        int64_t diff = sl_log_size(log) - log->cfg.retention_bytes;
        size_t n = 0;
        while (n + 1 < log->nsegs && diff - log->segs[n]->size >= 0) {
            diff -= log->segs[n]->size;
            n++;
        }
        err = log_drop_oldest(log, n);
    }
    /* Below the log start offset (DeleteRecords moved it). */
    if (!err)
        err = log_drop_oldest(log, below_start(log));

    if (deleted)
        *deleted = (int)(before + rolled - log->nsegs);
    return err;
}

sl_err_t sl_log_roll_if_due(sl_log_t *log, int64_t now_ms)
{
    log->errmsg[0] = '\0';
    seg_t *seg = log_active(log);
    if (log->cfg.segment_ms > 0 && seg->size > 0 && seg->roll_base_ms >= 0 &&
        now_ms - seg->roll_base_ms > log->cfg.segment_ms)
        return log_roll(log, now_ms);
    return SL_OK;
}

/* ------------------------------------------------------------------ */
/* Timestamps                                                          */

sl_err_t sl_log_max_timestamp(sl_log_t *log, int64_t *offset, int64_t *timestamp)
{
    *offset = -1;
    *timestamp = -1;
    for (size_t i = 0; i < log->nsegs; i++) {
        const seg_t *seg = log->segs[i];
        if (seg->max_ts > *timestamp) {
            *timestamp = seg->max_ts;
            *offset = seg->max_ts_off;
        }
    }
    return SL_OK;
}

/* Batches larger than this are answered at batch level rather than read
 * whole (a damaged length must not make a lookup allocate much). */
#define FOR_TIME_READ_MAX ((size_t)16 << 20)

/* Kafka answers with the first record (at or above the log start offset)
 * whose timestamp is >= ts in the batch found: read it (checking its CRC),
 * decompress if need be, walk its records. Anything that stops that answers
 * with the batch itself (its first offset, its max timestamp). */
static void record_for_time(sl_log_t *log, seg_t *seg, int64_t pos, const log_hdr_t *h, int64_t ts,
                            int64_t *offset, int64_t *timestamp)
{
    *offset = SL_MAX(h->base_offset, log->start_offset);
    *timestamp = h->max_timestamp;
    if ((size_t)h->size > FOR_TIME_READ_MAX)
        return;
    size_t n = (size_t)h->size;
    uint8_t *buf = malloc(n);
    if (!buf)
        return;
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(seg->fd, buf + got, n - got, (off_t)(pos + (int64_t)got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    sl_batch_t b;
    sl_buf_t scratch = SL_BUF_INIT;
    sl_record_iter_t it;
    char why[160] = "";
    if (got < n) {
        snprintf(why, sizeof(why), "file ends early");
    } else if (sl_batch_peek(buf, n, &b, why, sizeof(why)) != SL_OK) {
        /* why says it */
    } else if (sl_record_iter_init(&it, &b, &scratch, 0) != SL_OK) {
        snprintf(why, sizeof(why), "%s", it.errmsg);
    } else {
        sl_record_t r;
        sl_err_t err;
        while ((err = sl_record_iter_next(&it, &r)) == SL_OK) {
            if (r.offset >= log->start_offset && r.timestamp >= ts) {
                *offset = r.offset;
                *timestamp = r.timestamp;
                break;
            }
        }
        if (err != SL_OK && err != SL_ERR_NOENT)
            snprintf(why, sizeof(why), "%s", it.errmsg);
    }
    if (why[0])
        SL_WARN(LOG_MOD, "%s/%020lld.log: batch at byte %lld unreadable for a time lookup (%s)", log->dir,
                (long long)seg->base, (long long)pos, why);
    sl_buf_free(&scratch);
    free(buf);
}

sl_err_t sl_log_offset_for_time(sl_log_t *log, int64_t ts, int64_t *offset, int64_t *timestamp)
{
    log->errmsg[0] = '\0';
    *offset = -1;
    *timestamp = -1;
    for (size_t i = log_find_seg(log, log->start_offset); i < log->nsegs; i++) {
        seg_t *seg = log->segs[i];
        if (seg->size == 0 || seg->max_ts < ts)
            continue;
        sl_err_t err = log_seg_use(log, seg);
        if (err)
            return err;
        /* Time index: the newest entry at or below ts is where the largest
         * timestamp so far first reached it; no batch before it qualifies.
         * The offset index turns it into a position. */
        int64_t rel = idx_tlookup(&seg->idx, ts);
        int64_t pos;
        log_hdr_t h;
        err = seg_find_indexed(log, seg, log->start_offset, ts, rel >= 0 ? seg->base + rel : -1, &pos, &h);
        if (err == SL_ERR_NOENT)
            continue;
        if (err)
            return err;
        record_for_time(log, seg, pos, &h, ts, offset, timestamp);
        return SL_OK;
    }
    return SL_OK;
}
