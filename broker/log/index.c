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
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log_int.h"

static void arr_free(idx_arr_t *a)
{
    if (a->map_len)
        munmap(a->p, a->map_len);
    else
        free(a->p);
    memset(a, 0, sizeof(*a));
}

void idx_free(seg_index_t *idx)
{
    arr_free(&idx->o);
    arr_free(&idx->t);
    idx->loaded = false;
}

void idx_clear(seg_index_t *idx)
{
    /* A mapped file is read-only: entries built from here on are malloc'ed. */
    if (idx->o.map_len)
        arr_free(&idx->o);
    if (idx->t.map_len)
        arr_free(&idx->t);
    idx->o.n = idx->o.written = 0;
    idx->t.n = idx->t.written = 0;
}

/* Room for one more entry of size entry (never on a mapped array). */
static uint8_t *arr_push(idx_arr_t *a, size_t entry)
{
    if (a->map_len)
        return NULL;
    size_t need = (a->n + 1) * entry;
    if (need > a->cap) {
        size_t ncap = a->cap ? a->cap * 2 : 64 * entry;
        while (ncap < need)
            ncap *= 2;
        uint8_t *np = realloc(a->p, ncap);
        if (!np)
            return NULL;
        a->p = np;
        a->cap = ncap;
    }
    return a->p + a->n++ * entry;
}

sl_err_t idx_oadd(seg_index_t *idx, int32_t rel, int32_t pos)
{
    size_t n = idx->o.n;
    if (n && (rel <= oidx_rel(idx, n - 1) || pos <= oidx_pos(idx, n - 1)))
        return SL_OK;
    uint8_t *e = arr_push(&idx->o, OIDX_ENTRY);
    if (!e)
        return SL_ERR_NOMEM;
    put_be32(e, (uint32_t)rel);
    put_be32(e + 4, (uint32_t)pos);
    return SL_OK;
}

sl_err_t idx_tadd(seg_index_t *idx, int64_t ts, int32_t rel)
{
    size_t n = idx->t.n;
    int64_t last_ts = n ? tidx_ts(idx, n - 1) : SL_NO_TIMESTAMP;
    if (ts <= last_ts || (n && rel < tidx_rel(idx, n - 1)))
        return SL_OK;
    uint8_t *e = arr_push(&idx->t, TIDX_ENTRY);
    if (!e)
        return SL_ERR_NOMEM;
    put_be64(e, (uint64_t)ts);
    put_be32(e + 8, (uint32_t)rel);
    return SL_OK;
}

ptrdiff_t idx_ofloor(const seg_index_t *idx, int32_t target_rel)
{
    size_t lo = 0, hi = idx->o.n; /* first entry with rel > target */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (oidx_rel(idx, mid) <= target_rel)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (ptrdiff_t)lo - 1;
}

ptrdiff_t idx_olookup_pos(const seg_index_t *idx, int64_t pos)
{
    size_t lo = 0, hi = idx->o.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (oidx_pos(idx, mid) <= pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (ptrdiff_t)lo - 1;
}

int64_t idx_tlookup(const seg_index_t *idx, int64_t target_ts)
{
    size_t lo = 0, hi = idx->t.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tidx_ts(idx, mid) <= target_ts)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? tidx_rel(idx, lo - 1) : -1;
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

/* Checks the entries of one loaded file and makes buf the array. */
static sl_err_t load_arr(seg_t *seg, idx_arr_t *a, uint8_t *buf, size_t n, bool offsets, bool known_next,
                         char *why, size_t whylen)
{
    size_t entry = offsets ? OIDX_ENTRY : TIDX_ENTRY;
    const char *file = offsets ? ".index" : ".timeindex";
    if (n % entry) {
        snprintf(why, whylen, "%s: size %zu is not a multiple of %zu", file, n, entry);
        free(buf);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    size_t full = n;
    n = trim_zero_tail(buf, n, entry);
    for (size_t i = 0; i < n; i += entry) {
        const char *bad = NULL;
        int64_t key = offsets ? (int32_t)be32(buf + i) : (int64_t)be64(buf + i);
        int32_t val = (int32_t)be32(buf + i + (offsets ? 4 : 8)); /* position, or relative offset */
        int32_t rel = offsets ? (int32_t)key : val;
        if (key < 0 || val < 0) {
            bad = "negative";
        } else if (i > 0) {
            int64_t pkey = offsets ? (int32_t)be32(buf + i - entry) : (int64_t)be64(buf + i - entry);
            int32_t pval = (int32_t)be32(buf + i - entry + (offsets ? 4 : 8));
            if (key <= pkey || (offsets ? val <= pval : val < pval))
                bad = "out of order";
        }
        if (!bad && offsets && val >= seg->size)
            bad = "past the end of the log";
        if (!bad && known_next && seg->base + rel >= seg->next_offset)
            bad = "past the last offset";
        if (bad) {
            snprintf(why, whylen, "%s: entry %zu (%lld, %d) is %s", file, i / entry, (long long)key, val, bad);
            free(buf);
            return SL_ERR_CORRUPT_MESSAGE;
        }
    }
    a->p = buf;
    a->cap = full ? full : 1;
    a->n = n / entry;
    /* A zero tail is rewritten on the next write: count it as unwritten. */
    a->written = full == n ? a->n : 0;
    a->map_len = 0;
    return SL_OK;
}

sl_err_t idx_load(sl_log_t *log, seg_t *seg, bool known_next, char *why, size_t whylen)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    seg_index_t *idx = &seg->idx;
    idx_free(idx);
    sl_err_t err = read_small_file(log, seg, ".index", max_index_file(log, seg, OIDX_ENTRY), &buf, &n, why,
                                   whylen);
    if (!err)
        err = load_arr(seg, &idx->o, buf, n, true, known_next, why, whylen);
    if (!err)
        err = read_small_file(log, seg, ".timeindex", max_index_file(log, seg, TIDX_ENTRY), &buf, &n, why,
                              whylen);
    if (!err)
        err = load_arr(seg, &idx->t, buf, n, false, known_next, why, whylen);
    if (err) {
        idx_free(idx);
        return err;
    }
    idx->loaded = true;
    return SL_OK;
}

static sl_err_t map_file(sl_log_t *log, seg_t *seg, const char *ext, size_t entry, idx_arr_t *a, char *why,
                         size_t whylen)
{
    char path[PATH_MAX];
    seg_path(log, seg->base, ext, path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            snprintf(why, whylen, "%s missing", ext);
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
    if (!S_ISREG(st.st_mode) || st.st_size % (off_t)entry || (uint64_t)st.st_size > max_index_file(log, seg, entry)) {
        close(fd);
        snprintf(why, whylen, "%s: size %lld is not possible here", ext, (long long)st.st_size);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    memset(a, 0, sizeof(*a));
    if (st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            close(fd);
            return log_fail_errno(log, seg, ext, "mmap", e);
        }
        a->p = p;
        a->map_len = (size_t)st.st_size;
        a->n = trim_zero_tail(a->p, a->map_len, entry) / entry;
        a->written = a->n;
    }
    close(fd);
    return SL_OK;
}

sl_err_t idx_map(sl_log_t *log, seg_t *seg, char *why, size_t whylen)
{
    seg_index_t *idx = &seg->idx;
    idx_free(idx);
    sl_err_t err = map_file(log, seg, ".index", OIDX_ENTRY, &idx->o, why, whylen);
    if (!err)
        err = map_file(log, seg, ".timeindex", TIDX_ENTRY, &idx->t, why, whylen);
    if (err) {
        idx_free(idx);
        return err;
    }
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
    struct {
        idx_arr_t *a;
        const char *ext;
        size_t entry;
    } files[2] = {{&idx->o, ".index", OIDX_ENTRY}, {&idx->t, ".timeindex", TIDX_ENTRY}};
    for (int i = 0; i < 2; i++) {
        idx_arr_t *a = files[i].a;
        size_t from = all ? 0 : a->written;
        if (from >= a->n && !all)
            continue;
        size_t e = files[i].entry;
        sl_err_t err = write_file(log, seg, files[i].ext, a->p ? a->p + from * e : NULL, (a->n - from) * e,
                                  (int64_t)(from * e), all, sync);
        if (err)
            return err;
        a->written = a->n;
    }
    return SL_OK;
}

sl_err_t idx_write(sl_log_t *log, seg_t *seg, bool sync)
{
    if (!seg->idx.loaded)
        return SL_OK;
    if (seg->idx.o.map_len || seg->idx.t.map_len)
        return SL_OK; /* mapped from the file: nothing to write */
    bool pending = seg->idx.o.written < seg->idx.o.n || seg->idx.t.written < seg->idx.t.n;
    if (!pending && !(sync && seg->idx_unsynced))
        return SL_OK;
    if (!pending) {
        /* Only the fsync is missing: do it through the same path (empty write). */
        sl_err_t err = write_file(log, seg, ".index", NULL, 0, (int64_t)(seg->idx.o.n * OIDX_ENTRY), false, true);
        if (!err)
            err = write_file(log, seg, ".timeindex", NULL, 0, (int64_t)(seg->idx.t.n * TIDX_ENTRY), false,
                             true);
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
