/*
 * segment.c - one segment's files: creating and opening them, walking the
 * batch headers of a .log file (the only code that reads segment bytes, and
 * the place that refuses anything malformed), rebuilding indexes from the
 * log, cutting a torn tail, and the small set of open inactive segments.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log_int.h"

/* Batches up to this size are checked whole with proto's sl_batch_peek;
 * larger ones have their CRC computed chunk by chunk, so a length field in a
 * damaged file never makes us allocate more than this. */
#define SCAN_WHOLE_MAX ((size_t)1 << 20)

/* ------------------------------------------------------------------ */
/* Header parsing and scanning                                         */

sl_err_t hdr_parse(const uint8_t *p, log_hdr_t *h, char *why, size_t whylen)
{
    int32_t blen = (int32_t)be32(p + SL_BATCH_OFF_LENGTH);
    if (blen < SL_BATCH_HEADER_SIZE - SL_BATCH_LOG_OVERHEAD) {
        bool zeros = true;
        for (int i = 0; i < SL_BATCH_HEADER_SIZE && zeros; i++)
            zeros = p[i] == 0;
        if (zeros)
            snprintf(why, whylen, "zero bytes where a batch should start");
        else
            snprintf(why, whylen, "batch length %d is below the batch header", blen);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    if (p[SL_BATCH_OFF_MAGIC] != SL_BATCH_MAGIC) {
        snprintf(why, whylen, "magic %d, not 2", (int8_t)p[SL_BATCH_OFF_MAGIC]);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    int64_t base = (int64_t)be64(p + SL_BATCH_OFF_BASE_OFFSET);
    int32_t delta = (int32_t)be32(p + 23);
    int32_t count = (int32_t)be32(p + 57);
    if (base < 0 || delta < 0 || count < 0 || base > INT64_MAX - delta) {
        snprintf(why, whylen, "impossible header (base offset %lld, last offset delta %d, %d records)",
                 (long long)base, delta, count);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    h->base_offset = base;
    h->last_offset = base + delta;
    h->max_timestamp = (int64_t)be64(p + SL_BATCH_OFF_MAX_TIMESTAMP);
    h->size = (int64_t)SL_BATCH_LOG_OVERHEAD + blen;
    h->records = count;
    h->attributes = (int16_t)((p[SL_BATCH_OFF_ATTRIBUTES] << 8) | p[SL_BATCH_OFF_ATTRIBUTES + 1]);
    return SL_OK;
}

void scan_init(seg_scan_t *sc, int fd, int64_t from, int64_t end, size_t chunk)
{
    memset(sc, 0, sizeof(*sc));
    sc->fd = fd;
    sc->pos = from;
    sc->end = end;
    sc->chunk = chunk < 4096 ? 4096 : chunk;
}

void scan_fini(seg_scan_t *sc)
{
    free(sc->buf);
    sc->buf = NULL;
}

/* A pointer to n bytes of the file at pos (pos + n <= end), reading as
 * needed; NULL with errno set (0 when the file is shorter than expected). */
static const uint8_t *scan_ensure(seg_scan_t *sc, int64_t pos, size_t n)
{
    if (pos >= sc->buf_pos && pos + (int64_t)n <= sc->buf_pos + (int64_t)sc->buf_len)
        return sc->buf + (pos - sc->buf_pos);
    size_t want = SL_MAX(n, sc->chunk);
    if ((int64_t)want > sc->end - pos)
        want = (size_t)(sc->end - pos);
    if (want < n)
        want = n;
    if (want > sc->cap) {
        uint8_t *nb = realloc(sc->buf, want);
        if (!nb) {
            errno = ENOMEM;
            return NULL;
        }
        sc->buf = nb;
        sc->cap = want;
    }
    size_t got = 0;
    while (got < want) {
        ssize_t r = pread(sc->fd, sc->buf + got, want - got, (off_t)(pos + (int64_t)got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            sc->buf_len = 0;
            return NULL;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    sc->buf_pos = pos;
    sc->buf_len = got;
    if (got < n) {
        errno = 0;
        return NULL;
    }
    return sc->buf;
}

static sl_err_t scan_io_fail(seg_scan_t *sc, int64_t pos)
{
    if (errno == ENOMEM)
        return SL_ERR_NOMEM;
    if (errno == 0) {
        snprintf(sc->why, sizeof(sc->why), "file ends early at byte %lld", (long long)pos);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    snprintf(sc->why, sizeof(sc->why), "read at byte %lld: %s", (long long)pos, strerror(errno));
    return SL_ERR_IO;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

sl_err_t scan_next(seg_scan_t *sc, bool check_crc, log_hdr_t *h)
{
    int64_t pos = sc->pos, left = sc->end - sc->pos;
    sc->why[0] = '\0';
    if (left <= 0)
        return SL_ERR_NOENT;
    if (left < SL_BATCH_HEADER_SIZE) {
        const uint8_t *p = scan_ensure(sc, pos, (size_t)left);
        if (!p)
            return scan_io_fail(sc, pos);
        if (all_zero(p, (size_t)left))
            snprintf(sc->why, sizeof(sc->why), "zero bytes where a batch should start");
        else
            snprintf(sc->why, sizeof(sc->why), "torn batch header (%lld bytes)", (long long)left);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    const uint8_t *p = scan_ensure(sc, pos, SL_BATCH_HEADER_SIZE);
    if (!p)
        return scan_io_fail(sc, pos);
    if (hdr_parse(p, h, sc->why, sizeof(sc->why)))
        return SL_ERR_CORRUPT_MESSAGE;
    if (h->size > left) {
        snprintf(sc->why, sizeof(sc->why), "torn batch: %lld of %lld bytes", (long long)left,
                 (long long)h->size);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    if (check_crc) {
        if ((size_t)h->size <= SCAN_WHOLE_MAX) {
            p = scan_ensure(sc, pos, (size_t)h->size);
            if (!p)
                return scan_io_fail(sc, pos);
            sl_batch_t b;
            char why[160];
            if (sl_batch_peek(p, (size_t)h->size, &b, why, sizeof(why)) != SL_OK) {
                snprintf(sc->why, sizeof(sc->why), "%s", why);
                return SL_ERR_CORRUPT_MESSAGE;
            }
        } else {
            uint32_t want = be32(p + SL_BATCH_OFF_CRC), crc = 0;
            int64_t at = pos + SL_BATCH_OFF_ATTRIBUTES, stop = pos + h->size;
            while (at < stop) {
                size_t n = (size_t)SL_MIN((int64_t)SCAN_WHOLE_MAX, stop - at);
                const uint8_t *q = scan_ensure(sc, at, n);
                if (!q)
                    return scan_io_fail(sc, at);
                crc = sl_crc32c(crc, q, n);
                at += (int64_t)n;
            }
            if (crc != want) {
                snprintf(sc->why, sizeof(sc->why), "CRC mismatch (stored %08x, computed %08x)", want, crc);
                return SL_ERR_CORRUPT_MESSAGE;
            }
        }
    }
    sc->pos = pos + h->size;
    return SL_OK;
}

/* ------------------------------------------------------------------ */
/* Segment objects and files                                           */

seg_t *seg_new(int64_t base)
{
    seg_t *seg = calloc(1, sizeof(*seg));
    if (!seg)
        return NULL;
    seg->base = base;
    seg->next_offset = base;
    seg->roll_base_ms = -1;
    seg->max_ts = SL_NO_TIMESTAMP;
    seg->max_ts_off = -1;
    seg->fd = -1;
    sl_list_init(&seg->lru);
    return seg;
}

void seg_free(seg_t *seg)
{
    if (!seg)
        return;
    if (seg->fd >= 0)
        close(seg->fd);
    idx_free(&seg->idx);
    free(seg);
}

void log_seg_release(sl_log_t *log, seg_t *seg)
{
    if (seg->lru.next != &seg->lru) {
        sl_list_remove(&seg->lru);
        log->nopen--;
    }
    if (seg->fd >= 0)
        close(seg->fd);
    seg->fd = -1;
    seg->writable = false;
    idx_free(&seg->idx);
}

sl_err_t seg_open_fd(sl_log_t *log, seg_t *seg, bool writable)
{
    if (seg->fd >= 0 && (seg->writable || !writable))
        return SL_OK;
    char path[PATH_MAX];
    seg_path(log, seg->base, ".log", path, sizeof(path));
    int fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0)
        return log_fail_errno(log, seg, ".log", "open", errno);
    if (seg->fd >= 0)
        close(seg->fd);
    seg->fd = fd;
    seg->writable = writable;
    return SL_OK;
}

sl_err_t seg_create(sl_log_t *log, int64_t base, seg_t **out)
{
    seg_t *seg = seg_new(base);
    if (!seg)
        return SL_ERR_NOMEM;
    static const char *const exts[] = {".index", ".timeindex", ".log"};
    for (size_t i = 0; i < SL_ARRAY_LEN(exts); i++) {
        char path[PATH_MAX];
        seg_path(log, base, exts[i], path, sizeof(path));
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            sl_err_t err = log_fail_errno(log, seg, exts[i], "create", errno);
            seg_unlink(log, seg);
            seg_free(seg);
            return err;
        }
        if (i + 1 < SL_ARRAY_LEN(exts)) {
            close(fd);
        } else {
            seg->fd = fd;
            seg->writable = true;
        }
    }
    seg->idx.loaded = true;
    sl_err_t err = log_sync_dir(log);
    if (err) {
        seg_unlink(log, seg);
        seg_free(seg);
        return err;
    }
    *out = seg;
    return SL_OK;
}

sl_err_t seg_unlink(sl_log_t *log, seg_t *seg)
{
    /* The log file first: orphaned index files are cleaned up at open. */
    static const char *const exts[] = {".log", ".index", ".timeindex", ".txnindex"};
    sl_err_t first = SL_OK;
    for (size_t i = 0; i < SL_ARRAY_LEN(exts); i++) {
        char path[PATH_MAX];
        seg_path(log, seg->base, exts[i], path, sizeof(path));
        if (unlink(path) != 0 && errno != ENOENT && !first)
            first = log_fail_errno(log, seg, exts[i], "unlink", errno);
    }
    return first;
}

sl_err_t seg_rebuild(sl_log_t *log, seg_t *seg, bool check_crc, int64_t *valid, char *why, size_t whylen)
{
    struct stat st;
    if (fstat(seg->fd, &st) != 0)
        return log_fail_errno(log, seg, ".log", "fstat", errno);
    seg->size = st.st_size;
    idx_clear(&seg->idx);
    seg->idx.loaded = true;
    seg->next_offset = seg->base;
    seg->max_ts = SL_NO_TIMESTAMP;
    seg->max_ts_off = -1;
    seg->bytes_since_index = 0;
    seg->roll_base_ms = -1;
    why[0] = '\0';

    seg_scan_t sc;
    scan_init(&sc, seg->fd, 0, seg->size, SCAN_WHOLE_MAX);
    sl_err_t err = SL_OK;
    for (;;) {
        log_hdr_t h;
        int64_t pos = sc.pos;
        err = scan_next(&sc, check_crc, &h);
        if (err == SL_ERR_NOENT) {
            err = SL_OK;
            break;
        }
        if (err == SL_ERR_CORRUPT_MESSAGE) {
            snprintf(why, whylen, "%s", sc.why);
            err = SL_OK;
            break;
        }
        if (err) {
            if (err == SL_ERR_IO)
                log_fail(log, SL_ERR_IO, "%020lld.log: %s", (long long)seg->base, sc.why);
            break;
        }
        if (pos > INT32_MAX) {
            snprintf(why, whylen, "segment passes 2 GiB");
            sc.pos = pos;
            break;
        }
        if (h.base_offset < seg->next_offset || h.last_offset - seg->base > INT32_MAX) {
            snprintf(why, whylen, "batch offsets %lld..%lld do not follow %lld in a segment based at %lld",
                     (long long)h.base_offset, (long long)h.last_offset, (long long)seg->next_offset - 1,
                     (long long)seg->base);
            sc.pos = pos;
            break;
        }
        if (pos == 0) {
            /* Above the name is normal once the cleaner removed the first
             * batches (compaction), so it is only noted; below it was refused
             * above. */
            if (h.base_offset != seg->base)
                SL_INFO(LOG_MOD, "%s/%020lld.log: first batch has base offset %lld, the file name says %lld",
                        log->dir, (long long)seg->base, (long long)h.base_offset, (long long)seg->base);
            if (h.max_timestamp >= 0)
                seg->roll_base_ms = h.max_timestamp;
        }
        err = seg_index_batch(seg, pos, h.last_offset, h.max_timestamp, h.size, log->cfg.index_interval_bytes);
        if (err)
            break;
        seg->next_offset = h.last_offset + 1;
    }
    *valid = sc.pos;
    scan_fini(&sc);
    return err;
}

void seg_start_for(const seg_t *seg, int64_t target, int64_t *from, int64_t *expect_last)
{
    int64_t rel = SL_MIN(target - seg->base, (int64_t)INT32_MAX);
    ptrdiff_t k = rel >= 0 ? idx_ofloor(&seg->idx, (int32_t)rel) : -1;
    *from = k >= 0 ? oidx_pos(&seg->idx, (size_t)k) : 0;
    *expect_last = k >= 0 ? seg->base + oidx_rel(&seg->idx, (size_t)k) : -1;
}

sl_err_t seg_find(sl_log_t *log, seg_t *seg, int64_t from, int64_t expect_last, int64_t target, int64_t ts,
                  int64_t *pos, log_hdr_t *h, char *why, size_t whylen)
{
    seg_scan_t sc;
    scan_init(&sc, seg->fd, from, seg->size, 8192);
    sl_err_t err;
    for (bool first = true;; first = false) {
        *pos = sc.pos;
        err = scan_next(&sc, false, h);
        if (err)
            break;
        if (first && expect_last >= 0 && h->last_offset != expect_last) {
            snprintf(sc.why, sizeof(sc.why), "the index says offset %lld, the batch there ends at %lld",
                     (long long)expect_last, (long long)h->last_offset);
            err = SL_ERR_CORRUPT_MESSAGE;
            break;
        }
        if (h->last_offset >= target && (ts == INT64_MIN || h->max_timestamp >= ts))
            break;
    }
    if (err == SL_ERR_CORRUPT_MESSAGE || err == SL_ERR_IO)
        snprintf(why, whylen, "batch at byte %lld: %s", (long long)*pos, sc.why);
    if (err == SL_ERR_IO)
        log_fail(log, SL_ERR_IO, "%020lld.log: %s", (long long)seg->base, sc.why);
    scan_fini(&sc);
    return err;
}

sl_err_t seg_find_indexed(sl_log_t *log, seg_t *seg, int64_t target, int64_t ts, int64_t index_at,
                          int64_t *pos, log_hdr_t *h)
{
    int64_t from = 0, expect = -1;
    char why[256];
    if (index_at >= seg->base)
        seg_start_for(seg, index_at, &from, &expect);
    sl_err_t err = seg_find(log, seg, from, expect, target, ts, pos, h, why, sizeof(why));
    if (err == SL_ERR_CORRUPT_MESSAGE && from > 0) {
        SL_WARN(LOG_MOD, "%s/%020lld.index leads to bad bytes (%s); walking the segment", log->dir,
                (long long)seg->base, why);
        err = seg_find(log, seg, 0, -1, target, ts, pos, h, why, sizeof(why));
    }
    if (err == SL_ERR_CORRUPT_MESSAGE) {
        SL_WARN(LOG_MOD, "%s/%020lld.log: %s; the rest of the segment is skipped", log->dir,
                (long long)seg->base, why);
        err = SL_ERR_NOENT;
    }
    return err;
}

sl_err_t seg_truncate(sl_log_t *log, seg_t *seg, int64_t valid, const char *why)
{
    char path[PATH_MAX];
    seg_path(log, seg->base, ".log", path, sizeof(path));
    int64_t cut = seg->size - valid;
    SL_WARN(LOG_MOD, "%s/%020lld.log: cut %lld bytes after byte %lld (%s)", log->dir, (long long)seg->base,
            (long long)cut, (long long)valid, why && *why ? why : "no reason");
    if (truncate(path, (off_t)valid) != 0)
        return log_fail_errno(log, seg, ".log", "truncate", errno);
    if (seg->fd >= 0 && fdatasync(seg->fd) != 0)
        return log_fail_errno(log, seg, ".log", "fsync", errno);
    seg->size = valid;
    return SL_OK;
}

sl_err_t log_seg_use(sl_log_t *log, seg_t *seg)
{
    if (seg == log_active(log))
        return SL_OK;
    if (seg->fd >= 0 && seg->idx.loaded) {
        if (seg->lru.next != &seg->lru) {
            sl_list_remove(&seg->lru);
            log->nopen--;
        }
    } else {
        sl_err_t err = seg_open_fd(log, seg, false);
        if (err)
            return err;
        char why[256];
        err = idx_map(log, seg, why, sizeof(why));
        if (err == SL_ERR_NOENT || err == SL_ERR_CORRUPT_MESSAGE) {
            SL_WARN(LOG_MOD, "%s/%020lld: index %s; rebuilding it from the log", log->dir, (long long)seg->base,
                    why);
            int64_t valid = 0;
            err = seg_rebuild(log, seg, true, &valid, why, sizeof(why));
            if (!err && valid < seg->size) {
                /* Inactive and opened read-only: do not cut, only stop there. */
                SL_WARN(LOG_MOD, "%s/%020lld.log: bytes %lld..%lld are unreadable (%s)", log->dir,
                        (long long)seg->base, (long long)valid, (long long)seg->size, why);
                seg->size = valid;
            }
            if (!err)
                err = seg_index_finish(seg);
            if (!err)
                err = idx_write_all(log, seg);
        }
        if (err) {
            log_seg_release(log, seg);
            return err;
        }
    }
    sl_list_t *head = &log->lru;
    seg->lru.next = head->next;
    seg->lru.prev = head;
    head->next->prev = &seg->lru;
    head->next = &seg->lru;
    log->nopen++;
    while (log->nopen > LOG_OPEN_INACTIVE_MAX) {
        seg_t *old = sl_container_of(log->lru.prev, seg_t, lru);
        log_seg_release(log, old);
    }
    return SL_OK;
}
