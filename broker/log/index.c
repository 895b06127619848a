/*
 * index.c - a segment's offset index (.index) and time index (.timeindex):
 * the entries in memory, the rule that adds them while batches are appended
 * or re-read, binary-search lookups, and the files.
 *
 * The files are plain arrays of big-endian entries written by appending
 * (pwrite at the end of what is already there): no preallocation, so a file
 * is always exactly its entries. A Kafka-written file preallocated to
 * segment.index.bytes ends in zero entries; loading drops such a zero tail
 * before validating, so both layouts open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log_int.h"

void idx_free(seg_index_t *idx)
{
    free(idx->o);
    free(idx->t);
    memset(idx, 0, sizeof(*idx));
}

void idx_clear(seg_index_t *idx)
{
    idx->on = idx->owritten = 0;
    idx->tn = idx->twritten = 0;
}

static sl_err_t grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return SL_OK;
    size_t ncap = *cap ? *cap * 2 : 64;
    while (ncap < need)
        ncap *= 2;
    void *np = realloc(*p, ncap * elem);
    if (!np)
        return SL_ERR_NOMEM;
    *p = np;
    *cap = ncap;
    return SL_OK;
}

sl_err_t idx_oadd(seg_index_t *idx, int32_t rel, int32_t pos)
{
    if (idx->on && (rel <= idx->o[idx->on - 1].rel || pos <= idx->o[idx->on - 1].pos))
        return SL_OK; /* never out of order; an equal entry adds nothing */
    if (grow((void **)&idx->o, &idx->ocap, idx->on + 1, sizeof(oidx_entry_t)))
        return SL_ERR_NOMEM;
    idx->o[idx->on++] = (oidx_entry_t){rel, pos};
    return SL_OK;
}

sl_err_t idx_tadd(seg_index_t *idx, int64_t ts, int32_t rel)
{
    int64_t last_ts = idx->tn ? idx->t[idx->tn - 1].ts : SL_NO_TIMESTAMP;
    if (ts <= last_ts || (idx->tn && rel < idx->t[idx->tn - 1].rel))
        return SL_OK;
    if (grow((void **)&idx->t, &idx->tcap, idx->tn + 1, sizeof(tidx_entry_t)))
        return SL_ERR_NOMEM;
    idx->t[idx->tn++] = (tidx_entry_t){ts, rel};
    return SL_OK;
}

ptrdiff_t idx_ofloor(const seg_index_t *idx, int32_t target_rel)
{
    size_t lo = 0, hi = idx->on; /* first entry with rel > target */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (idx->o[mid].rel <= target_rel)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (ptrdiff_t)lo - 1;
}

ptrdiff_t idx_olookup_pos(const seg_index_t *idx, int64_t pos)
{
    size_t lo = 0, hi = idx->on;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (idx->o[mid].pos <= pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (ptrdiff_t)lo - 1;
}

int64_t idx_tlookup(const seg_index_t *idx, int64_t target_ts)
{
    size_t lo = 0, hi = idx->tn;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (idx->t[mid].ts <= target_ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? idx->t[lo - 1].rel : -1;
}

/* Kafka's rule (LogSegment.append), applied per batch: remember the largest
 * timestamp; once more than interval bytes were appended since the last
 * entry, index this batch (its last offset and position) and the largest
 * timestamp so far. */
sl_err_t seg_index_batch(seg_t *seg, int64_t pos, int64_t last_offset, int64_t max_ts, int64_t size,
                         int32_t interval)
{
    if (max_ts > seg->max_ts) {
        seg->max_ts = max_ts;
        seg->max_ts_off = last_offset;
    }
    if (seg->bytes_since_index > interval) {
        if (idx_oadd(&seg->idx, (int32_t)(last_offset - seg->base), (int32_t)pos))
            return SL_ERR_NOMEM;
        if (seg->max_ts >= 0 && idx_tadd(&seg->idx, seg->max_ts, (int32_t)(seg->max_ts_off - seg->base)))
            return SL_ERR_NOMEM;
        seg->bytes_since_index = 0;
    }
    seg->bytes_since_index += size;
    return SL_OK;
}

sl_err_t seg_index_finish(seg_t *seg)
{
    if (seg->max_ts < 0)
        return SL_OK;
    return idx_tadd(&seg->idx, seg->max_ts, (int32_t)(seg->max_ts_off - seg->base));
}

/* ------------------------------------------------------------------ */

/* Reads a whole index file, refusing sizes no valid file can have (so a
 * garbage file never makes us allocate more than its bound). */
static sl_err_t read_small_file(sl_log_t *log, seg_t *seg, const char *ext, size_t max, uint8_t **out,
                                size_t *len, char *why, size_t whylen)
{
    char path[PATH_MAX];
    seg_path(log, seg->base, ext, path, sizeof(path));
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            snprintf(why, whylen, "missing");
            return SL_ERR_NOENT;
        }
        return log_fail_errno(log, seg, ext, "open", errno);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return log_fail_errno(log, seg, ext, "fstat", e);
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
        close(fd);
        snprintf(why, whylen, "size %lld is impossible for a log of %lld bytes", (long long)st.st_size,
                 (long long)seg->size);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        close(fd);
        return SL_ERR_NOMEM;
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return log_fail_errno(log, seg, ext, "read", e);
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    *out = buf;
    *len = got;
    return SL_OK;
}

/* Entries a valid index of a log of size bytes can have at most: each entry
 * names a distinct batch, and no batch is smaller than its header. A
 * preallocated file may be larger, up to max_index_bytes. */
static size_t max_index_file(const sl_log_t *log, const seg_t *seg, size_t entry)
{
    uint64_t by_log = ((uint64_t)seg->size / SL_BATCH_HEADER_SIZE + 1) * entry;
    uint64_t prealloc = log->cfg.max_index_bytes > 0 ? (uint64_t)log->cfg.max_index_bytes : 0;
    return (size_t)SL_MAX(by_log, prealloc);
}

static size_t trim_zero_tail(const uint8_t *p, size_t n, size_t entry)
{
    while (n >= entry) {
        size_t k;
        for (k = 0; k < entry && p[n - entry + k] == 0; k++)
            ;
        if (k < entry)
            break;
        n -= entry;
    }
    return n;
}

sl_err_t idx_load(sl_log_t *log, seg_t *seg, bool known_next, char *why, size_t whylen)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    seg_index_t *idx = &seg->idx;
    idx_clear(idx);
    idx->loaded = false;

    /* Offset index. */
    sl_err_t err = read_small_file(log, seg, ".index", max_index_file(log, seg, OIDX_ENTRY), &buf, &n, why,
                                   whylen);
    if (err)
        return err;
    if (n % OIDX_ENTRY) {
        snprintf(why, whylen, ".index: size %zu is not a multiple of %d", n, OIDX_ENTRY);
        free(buf);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    size_t written = n;
    n = trim_zero_tail(buf, n, OIDX_ENTRY);
    for (size_t i = 0; i < n; i += OIDX_ENTRY) {
        int32_t rel = (int32_t)be32(buf + i), pos = (int32_t)be32(buf + i + 4);
        const oidx_entry_t *prev = idx->on ? &idx->o[idx->on - 1] : NULL;
        const char *bad = NULL;
        if (rel < 0 || pos < 0)
            bad = "negative";
        else if (prev && (rel <= prev->rel || pos <= prev->pos))
            bad = "out of order";
        else if (pos >= seg->size)
            bad = "past the end of the log";
        else if (known_next && seg->base + rel >= seg->next_offset)
            bad = "past the last offset";
        if (bad) {
            snprintf(why, whylen, ".index: entry %zu (offset %d, position %d) is %s", i / OIDX_ENTRY, rel,
                     pos, bad);
            free(buf);
            idx_clear(idx);
            return SL_ERR_CORRUPT_MESSAGE;
        }
        if (idx_oadd(idx, rel, pos)) {
            free(buf);
            return SL_ERR_NOMEM;
        }
    }
    /* A zero tail is rewritten on the next write; count it as unwritten. */
    idx->owritten = written == n ? idx->on : 0;
    free(buf);

    /* Time index. */
    err = read_small_file(log, seg, ".timeindex", max_index_file(log, seg, TIDX_ENTRY), &buf, &n, why,
                          whylen);
    if (err) {
        idx_clear(idx);
        return err;
    }
    if (n % TIDX_ENTRY) {
        snprintf(why, whylen, ".timeindex: size %zu is not a multiple of %d", n, TIDX_ENTRY);
        free(buf);
        idx_clear(idx);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    written = n;
    n = trim_zero_tail(buf, n, TIDX_ENTRY);
    for (size_t i = 0; i < n; i += TIDX_ENTRY) {
        int64_t ts = (int64_t)be64(buf + i);
        int32_t rel = (int32_t)be32(buf + i + 8);
        const tidx_entry_t *prev = idx->tn ? &idx->t[idx->tn - 1] : NULL;
        const char *bad = NULL;
        if (rel < 0 || ts < 0)
            bad = "negative";
        else if (prev && (ts <= prev->ts || rel < prev->rel))
            bad = "out of order";
        else if (known_next && seg->base + rel >= seg->next_offset)
            bad = "past the last offset";
        if (bad) {
            snprintf(why, whylen, ".timeindex: entry %zu (timestamp %lld, offset %d) is %s", i / TIDX_ENTRY,
                     (long long)ts, rel, bad);
            free(buf);
            idx_clear(idx);
            return SL_ERR_CORRUPT_MESSAGE;
        }
        if (idx_tadd(idx, ts, rel)) {
            free(buf);
            idx_clear(idx);
            return SL_ERR_NOMEM;
        }
    }
    idx->twritten = written == n ? idx->tn : 0;
    free(buf);
    idx->loaded = true;
    return SL_OK;
}

static sl_err_t write_file(sl_log_t *log, seg_t *seg, const char *ext, const uint8_t *p, size_t n,
                           int64_t at, bool trunc, bool sync)
{
    char path[PATH_MAX];
    seg_path(log, seg->base, ext, path, sizeof(path));
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (trunc ? O_TRUNC : 0), 0644);
    if (fd < 0)
        return log_fail_errno(log, seg, ext, "open", errno);
    size_t done = 0;
    while (done < n) {
        ssize_t w = pwrite(fd, p + done, n - done, (off_t)(at + (int64_t)done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = errno;
            close(fd);
            return log_fail_errno(log, seg, ext, "write", e);
        }
        done += (size_t)w;
    }
    /* A file that held a zero tail past its entries is cut to them. */
    if (!trunc && ftruncate(fd, (off_t)(at + (int64_t)n)) != 0) {
        int e = errno;
        close(fd);
        return log_fail_errno(log, seg, ext, "truncate", e);
    }
    if (sync && fdatasync(fd) != 0) {
        int e = errno;
        close(fd);
        return log_fail_errno(log, seg, ext, "fsync", e);
    }
    if (close(fd) != 0)
        return log_fail_errno(log, seg, ext, "close", errno);
    return SL_OK;
}

static sl_err_t write_entries(sl_log_t *log, seg_t *seg, bool all, bool sync)
{
    seg_index_t *idx = &seg->idx;
    size_t ofrom = all ? 0 : idx->owritten, tfrom = all ? 0 : idx->twritten;
    if (ofrom < idx->on || all) {
        size_t n = (idx->on - ofrom) * OIDX_ENTRY;
        uint8_t *buf = malloc(n ? n : 1);
        if (!buf)
            return SL_ERR_NOMEM;
        for (size_t i = ofrom; i < idx->on; i++) {
            put_be32(buf + (i - ofrom) * OIDX_ENTRY, (uint32_t)idx->o[i].rel);
            put_be32(buf + (i - ofrom) * OIDX_ENTRY + 4, (uint32_t)idx->o[i].pos);
        }
        sl_err_t err = write_file(log, seg, ".index", buf, n, (int64_t)(ofrom * OIDX_ENTRY), all, sync);
        free(buf);
        if (err)
            return err;
        idx->owritten = idx->on;
    }
    if (tfrom < idx->tn || all) {
        size_t n = (idx->tn - tfrom) * TIDX_ENTRY;
        uint8_t *buf = malloc(n ? n : 1);
        if (!buf)
            return SL_ERR_NOMEM;
        for (size_t i = tfrom; i < idx->tn; i++) {
            put_be64(buf + (i - tfrom) * TIDX_ENTRY, (uint64_t)idx->t[i].ts);
            put_be32(buf + (i - tfrom) * TIDX_ENTRY + 8, (uint32_t)idx->t[i].rel);
        }
        sl_err_t err = write_file(log, seg, ".timeindex", buf, n, (int64_t)(tfrom * TIDX_ENTRY), all, sync);
        free(buf);
        if (err)
            return err;
        idx->twritten = idx->tn;
    }
    return SL_OK;
}

sl_err_t idx_write(sl_log_t *log, seg_t *seg, bool sync)
{
    if (!seg->idx.loaded)
        return SL_OK;
    bool pending = seg->idx.owritten < seg->idx.on || seg->idx.twritten < seg->idx.tn;
    if (!pending && !(sync && seg->idx_unsynced))
        return SL_OK;
    if (!pending) {
        /* Only the fsync is missing: do it through the same path (empty write). */
        sl_err_t err = write_file(log, seg, ".index", NULL, 0, (int64_t)(seg->idx.on * OIDX_ENTRY), false, true);
        if (!err)
            err = write_file(log, seg, ".timeindex", NULL, 0, (int64_t)(seg->idx.tn * TIDX_ENTRY), false, true);
        if (!err)
            seg->idx_unsynced = false;
        return err;
    }
    sl_err_t err = write_entries(log, seg, false, sync);
    if (!err)
        seg->idx_unsynced = !sync;
    return err;
}

sl_err_t idx_write_all(sl_log_t *log, seg_t *seg)
{
    sl_err_t err = write_entries(log, seg, true, false);
    if (!err)
        seg->idx_unsynced = true;
    return err;
}
