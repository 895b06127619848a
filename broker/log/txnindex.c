/*
 * txnindex.c - the aborted transaction index (log.h, "Transactions"):
 * each segment's .txnindex in Kafka's 34-byte entry format, mirrored in
 * memory for read_committed fetches; loaded and checked at open, rebuilt
 * from the log's batches when damaged or behind the log, rewritten after a
 * cleaning pass merged segments, forgotten with the segments retention
 * deletes; and the walk over batch headers (sl_log_scan_batches) that the
 * rebuild and the producer state's replay use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log_int.h"

#define TXNIDX_EXT ".txnindex"
#define TXNIDX_VERSION 0
#define TXNIDX_MAX_FILE ((int64_t)1 << 30) /* refused above: 31 million aborts */
#define TXNIDX_CONTROL_MAX ((int64_t)1 << 20) /* a marker batch is ~80 bytes */

static void entry_encode(uint8_t *p, const sl_log_txn_aborted_t *a)
{
    p[0] = (uint8_t)(TXNIDX_VERSION >> 8);
    p[1] = (uint8_t)TXNIDX_VERSION;
    put_be64(p + 2, (uint64_t)a->producer_id);
    put_be64(p + 10, (uint64_t)a->first_offset);
    put_be64(p + 18, (uint64_t)a->last_offset);
    put_be64(p + 26, (uint64_t)a->last_stable_offset);
}

static bool entry_decode(const uint8_t *p, sl_log_txn_aborted_t *a)
{
    int16_t version = (int16_t)(((uint16_t)p[0] << 8) | p[1]);
    a->producer_id = (int64_t)be64(p + 2);
    a->first_offset = (int64_t)be64(p + 10);
    a->last_offset = (int64_t)be64(p + 18);
    a->last_stable_offset = (int64_t)be64(p + 26);
    return version == TXNIDX_VERSION && a->producer_id >= 0 && a->first_offset >= 0 &&
           a->first_offset <= a->last_offset && a->last_stable_offset >= 0;
}

static sl_err_t push(sl_log_t *log, const sl_log_txn_aborted_t *a)
{
    if (log->naborted == log->abortcap) {
        size_t cap = log->abortcap ? log->abortcap * 2 : 16;
        sl_log_txn_aborted_t *p = realloc(log->aborted, cap * sizeof(*p));
        if (!p)
            return SL_ERR_NOMEM;
        log->aborted = p;
        log->abortcap = cap;
    }
    log->aborted[log->naborted++] = *a;
    return SL_OK;
}

/* Index of the first entry whose last offset is >= off. */
static size_t first_at_or_above(const sl_log_t *log, int64_t off)
{
    size_t lo = 0, hi = log->naborted;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (log->aborted[mid].last_offset < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Writes n entries as the whole .txnindex of seg (none: removes it). */
static sl_err_t file_write(sl_log_t *log, const seg_t *seg, const sl_log_txn_aborted_t *a, size_t n)
{
    char path[PATH_MAX];
    seg_path(log, seg->base, TXNIDX_EXT, path, sizeof(path));
    if (n == 0) {
        if (unlink(path) != 0 && errno != ENOENT)
            return log_fail_errno(log, seg, TXNIDX_EXT, "unlink", errno);
        return SL_OK;
    }
    uint8_t *buf = malloc(n * TXNIDX_ENTRY);
    if (!buf)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        entry_encode(buf + i * TXNIDX_ENTRY, &a[i]);
    sl_err_t err = SL_OK;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        err = log_fail_errno(log, seg, TXNIDX_EXT, "open", errno);
    } else {
        ssize_t w = write(fd, buf, n * TXNIDX_ENTRY);
        if (w != (ssize_t)(n * TXNIDX_ENTRY))
            err = log_fail_errno(log, seg, TXNIDX_EXT, "write", w < 0 ? errno : ENOSPC);
        else if (fdatasync(fd) != 0)
            err = log_fail_errno(log, seg, TXNIDX_EXT, "fdatasync", errno);
        close(fd);
    }
    free(buf);
    return err;
}

sl_err_t txnidx_write_all(sl_log_t *log)
{
    sl_err_t first = SL_OK;
    size_t k = 0;
    for (size_t i = 0; i < log->nsegs; i++) {
        int64_t end = i + 1 < log->nsegs ? log->segs[i + 1]->base : INT64_MAX;
        size_t from = k;
        while (k < log->naborted && log->aborted[k].last_offset < end)
            k++;
        sl_err_t err = file_write(log, log->segs[i], log->aborted + from, k - from);
        if (err && !first)
            first = err;
    }
    sl_err_t err = log_sync_dir(log);
    return first ? first : err;
}

sl_err_t sl_log_txn_abort_add(sl_log_t *log, const sl_log_txn_aborted_t *a)
{
    if (!log || !a)
        return SL_ERR_INVAL;
    log->errmsg[0] = '\0';
    const seg_t *act = log_active(log);
    if (a->producer_id < 0 || a->first_offset < 0 || a->first_offset > a->last_offset ||
        a->last_offset < act->base || a->last_offset >= log->next_offset ||
        a->last_stable_offset < 0 ||
        (log->naborted && a->last_offset <= log->aborted[log->naborted - 1].last_offset))
        return log_fail(log, SL_ERR_INVAL, "aborted transaction %lld..%lld not after the last one in the active "
                        "segment", (long long)a->first_offset, (long long)a->last_offset);
    sl_err_t err = push(log, a);
    if (err)
        return err;
    uint8_t buf[TXNIDX_ENTRY];
    entry_encode(buf, a);
    char path[PATH_MAX];
    seg_path(log, act->base, TXNIDX_EXT, path, sizeof(path));
    bool created = true;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST) {
        created = false;
        fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    }
    if (fd < 0)
        return log_fail_errno(log, act, TXNIDX_EXT, "open", errno);
    ssize_t w = write(fd, buf, sizeof(buf));
    if (w != (ssize_t)sizeof(buf))
        err = log_fail_errno(log, act, TXNIDX_EXT, "write", w < 0 ? errno : ENOSPC);
    else if (fdatasync(fd) != 0)
        err = log_fail_errno(log, act, TXNIDX_EXT, "fdatasync", errno);
    close(fd);
    if (!err && created)
        err = log_sync_dir(log);
    return err;
}

bool sl_log_txn_aborted(const sl_log_t *log, int64_t from, int64_t upto, sl_log_txn_aborted_t *out, size_t max,
                        size_t *n)
{
    *n = 0;
    bool more = false;
    for (size_t i = first_at_or_above(log, from); i < log->naborted; i++) {
        const sl_log_txn_aborted_t *a = &log->aborted[i];
        if (a->first_offset < upto) {
            if (*n < max)
                out[(*n)++] = *a;
            else
                more = true;
        }
        if (a->last_stable_offset >= upto)
            break;
    }
    return more;
}

sl_err_t txnidx_copy(const sl_log_t *log, int64_t from, int64_t upto, sl_log_txn_aborted_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t k = first_at_or_above(log, from), cnt = 0;
    for (size_t i = k; i < log->naborted; i++)
        cnt += log->aborted[i].first_offset < upto;
    if (cnt == 0)
        return SL_OK;
    *out = malloc(cnt * sizeof(**out));
    if (!*out)
        return SL_ERR_NOMEM;
    for (size_t i = k; i < log->naborted; i++)
        if (log->aborted[i].first_offset < upto)
            (*out)[(*n)++] = log->aborted[i];
    return SL_OK;
}

bool txnidx_aborted_batch(const sl_log_txn_aborted_t *a, size_t n, int64_t producer_id, int64_t base_offset)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].producer_id == producer_id && a[i].first_offset <= base_offset && base_offset < a[i].last_offset)
            return true;
    return false;
}

void txnidx_drop_below(sl_log_t *log, int64_t offset)
{
    size_t k = first_at_or_above(log, offset);
    if (k == 0)
        return;
    memmove(log->aborted, log->aborted + k, (log->naborted - k) * sizeof(*log->aborted));
    log->naborted -= k;
}

/* ---- open ---- */

/* Reads seg's file into memory. *damaged: it does not hold up (why says
 * how); *cut: entries beyond the log end were dropped. */
static sl_err_t file_load(sl_log_t *log, const seg_t *seg, int64_t seg_end, bool *damaged, bool *cut, char *why,
                          size_t whylen)
{
    char path[PATH_MAX];
    seg_path(log, seg->base, TXNIDX_EXT, path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? SL_OK : log_fail_errno(log, seg, TXNIDX_EXT, "open", errno);
    struct stat st;
    sl_err_t err = SL_OK;
    uint8_t *buf = NULL;
    if (fstat(fd, &st) != 0) {
        err = log_fail_errno(log, seg, TXNIDX_EXT, "fstat", errno);
    } else if (st.st_size % TXNIDX_ENTRY != 0 || st.st_size > TXNIDX_MAX_FILE) {
        snprintf(why, whylen, "%lld bytes, not whole entries", (long long)st.st_size);
        *damaged = true;
    } else if (st.st_size > 0 && !(buf = malloc((size_t)st.st_size))) {
        err = SL_ERR_NOMEM;
    } else if (st.st_size > 0 && pread(fd, buf, (size_t)st.st_size, 0) != (ssize_t)st.st_size) {
        err = log_fail_errno(log, seg, TXNIDX_EXT, "read", errno ? errno : EIO);
    }
    close(fd);
    size_t n = err || *damaged ? 0 : (size_t)st.st_size / TXNIDX_ENTRY;
    for (size_t i = 0; i < n && !err; i++) {
        sl_log_txn_aborted_t a;
        int64_t prev = log->naborted ? log->aborted[log->naborted - 1].last_offset : -1;
        if (!entry_decode(buf + i * TXNIDX_ENTRY, &a) || a.last_offset < seg->base || a.last_offset <= prev) {
            snprintf(why, whylen, "entry %zu out of place", i);
            *damaged = true;
            break;
        }
        if (a.last_offset >= log->next_offset) {
            *cut = true; /* its marker went with a torn tail */
            break;
        }
        if (a.last_offset >= seg_end) {
            snprintf(why, whylen, "entry %zu beyond the segment", i);
            *damaged = true;
            break;
        }
        err = push(log, &a);
    }
    free(buf);
    return err;
}

/* The abort/commit marker of a whole control batch p[0..len): true with
 * *abort and *producer_id. */
static bool marker_in(const uint8_t *p, size_t len, bool *abort, int64_t *producer_id)
{
    sl_batch_t b;
    sl_record_iter_t it;
    sl_record_t rec;
    sl_buf_t scratch;
    sl_buf_init(&scratch);
    int16_t type = -1;
    bool ok = sl_batch_peek(p, len, &b, NULL, 0) == SL_OK && sl_batch_is_control(&b) && b.producer_id >= 0 &&
              sl_record_iter_init(&it, &b, &scratch, TXNIDX_CONTROL_MAX) == SL_OK &&
              sl_record_iter_next(&it, &rec) == SL_OK && sl_control_record_type(&rec, &type) == SL_OK &&
              (type == SL_CONTROL_ABORT || type == SL_CONTROL_COMMIT);
    sl_buf_free(&scratch);
    *abort = type == SL_CONTROL_ABORT;
    *producer_id = ok ? b.producer_id : -1;
    return ok;
}

/* The batches of seg (fd open) from byte pos whose last offset is >= from:
 * fn gets each one's header, or the whole batch for a small control batch. */
static sl_err_t seg_scan_batches(const seg_t *seg, int64_t pos, int64_t from, sl_buf_t *buf, sl_log_batch_fn fn,
                                 void *ctx)
{
    seg_scan_t sc;
    log_hdr_t h;
    sl_err_t err = SL_OK;
    scan_init(&sc, seg->fd, pos, seg->size, (size_t)1 << 16);
    while (!err && scan_next(&sc, false, &h) == SL_OK) {
        int64_t at = sc.pos - h.size;
        if (h.last_offset < from)
            continue;
        bool whole = (h.attributes & SL_BATCH_ATTR_CONTROL) && h.size <= TXNIDX_CONTROL_MAX;
        size_t n = whole ? (size_t)h.size : SL_BATCH_HEADER_SIZE;
        sl_buf_reset(buf);
        uint8_t *p = sl_buf_put_space(buf, n);
        if (!p)
            err = SL_ERR_NOMEM;
        else if (pread(seg->fd, p, n, at) != (ssize_t)n)
            err = SL_ERR_IO;
        else
            err = fn(ctx, p, n);
    }
    scan_fini(&sc);
    return err;
}

sl_err_t sl_log_scan_batches(sl_log_t *log, int64_t from, sl_log_batch_fn fn, void *ctx)
{
    if (!log || !fn)
        return SL_ERR_INVAL;
    log->errmsg[0] = '\0';
    sl_buf_t buf;
    sl_buf_init(&buf);
    sl_err_t err = SL_OK;
    for (size_t i = log_find_seg(log, SL_MAX(from, log->segs[0]->base)); !err && i < log->nsegs; i++) {
        seg_t *seg = log->segs[i];
        err = log_seg_use(log, seg);
        if (err || seg->size == 0)
            continue;
        int64_t pos = 0;
        if (from > seg->base) {
            log_hdr_t h;
            err = seg_find_indexed(log, seg, from, INT64_MIN, from, &pos, &h);
            if (err == SL_ERR_NOENT) {
                err = SL_OK;
                continue;
            }
            if (err)
                break;
        }
        err = seg_scan_batches(seg, pos, from, &buf, fn, ctx);
        if (err == SL_ERR_IO)
            err = log_fail_errno(log, seg, ".log", "pread", errno ? errno : EIO);
    }
    sl_buf_free(&buf);
    return err;
}

/* Producer id of a batch from its header bytes. */
static int64_t producer_of(const uint8_t *p)
{
    return (int64_t)be64(p + 43);
}

/* The rebuild's state: each producer's open transaction. */
typedef struct rebuild {
    sl_log_t *log;
    sl_map_t open;      /* 8-byte producer id -> int64_t* first offset (owned) */
    sl_buf_t buf;
} rebuild_t;

static int64_t rebuild_first_open(const rebuild_t *rb)
{
    int64_t first = -1;
    size_t it = 0;
    const void *k;
    size_t kl;
    void *v;
    while (sl_map_next(&rb->open, &it, &k, &kl, &v))
        if (first < 0 || *(int64_t *)v < first)
            first = *(int64_t *)v;
    return first;
}

static sl_err_t rebuild_batch(void *ctx, const uint8_t *p, size_t len)
{
    rebuild_t *rb = ctx;
    int16_t attributes = (int16_t)(((uint16_t)p[21] << 8) | p[22]);
    int64_t base = (int64_t)be64(p);
    if (!(attributes & SL_BATCH_ATTR_TRANSACTIONAL))
        return SL_OK;
    if (!(attributes & SL_BATCH_ATTR_CONTROL)) {
        int64_t pid = producer_of(p);
        if (pid < 0 || sl_map_get(&rb->open, &pid, sizeof(pid)))
            return SL_OK;
        int64_t *first = malloc(sizeof(*first));
        if (!first)
            return SL_ERR_NOMEM;
        *first = base;
        if (sl_map_put(&rb->open, &pid, sizeof(pid), first, NULL) != SL_OK) {
            free(first);
            return SL_ERR_NOMEM;
        }
        return SL_OK;
    }
    bool abort;
    int64_t pid;
    if (!marker_in(p, len, &abort, &pid))
        return SL_OK;
    int64_t *first = sl_map_get(&rb->open, &pid, sizeof(pid));
    if (!first)
        return SL_OK;
    sl_log_txn_aborted_t a = {.producer_id = pid, .first_offset = *first, .last_offset = base};
    sl_map_del(&rb->open, &pid, sizeof(pid), NULL);
    free(first);
    if (!abort)
        return SL_OK;
    int64_t open = rebuild_first_open(rb);
    a.last_stable_offset = open >= 0 ? open : base + 1;
    return push(rb->log, &a);
}

/* Every segment's entries again, from the batches. */
static sl_err_t rebuild_all(sl_log_t *log, const char *why)
{
    SL_WARN(LOG_MOD, "%s: rebuilding the aborted transaction indexes from the log (%s)", log->dir, why);
    log->naborted = 0;
    rebuild_t rb = {.log = log};
    sl_map_init(&rb.open);
    sl_err_t err = sl_log_scan_batches(log, 0, rebuild_batch, &rb);
    sl_map_fini(&rb.open, free);
    if (!err)
        err = txnidx_write_all(log);
    return err;
}

/* Unclean open: does each abort marker of the active segment have its
 * entry? (A marker for a producer without an open transaction has none
 * and makes the check fail: the rebuild is then merely redundant.) */
typedef struct check {
    const sl_log_t *log;
    bool missing;
} check_t;

static sl_err_t check_batch(void *ctx, const uint8_t *p, size_t len)
{
    check_t *c = ctx;
    bool abort;
    int64_t pid;
    if (c->missing || !(p[22] & SL_BATCH_ATTR_CONTROL) || !marker_in(p, len, &abort, &pid) || !abort)
        return SL_OK;
    int64_t base = (int64_t)be64(p);
    size_t k = first_at_or_above(c->log, base);
    if (k >= c->log->naborted || c->log->aborted[k].last_offset != base)
        c->missing = true;
    return SL_OK;
}

sl_err_t txnidx_load(sl_log_t *log, bool clean)
{
    log->naborted = 0;
    bool damaged = false, cut = false;
    char why[160] = "";
    for (size_t i = 0; !damaged && i < log->nsegs; i++) {
        const seg_t *seg = log->segs[i];
        int64_t end = i + 1 < log->nsegs ? log->segs[i + 1]->base : INT64_MAX;
        end = SL_MIN(end, seg->next_offset);
        sl_err_t err = file_load(log, seg, end, &damaged, &cut, why, sizeof(why));
        if (err)
            return err;
        if (damaged) {
            char name[64];
            seg_name(seg->base, TXNIDX_EXT, name, sizeof(name));
            size_t l = strlen(name);
            snprintf(name + l, sizeof(name) - l, ": %.40s", why);
            snprintf(why, sizeof(why), "%s", name);
        }
    }
    if (damaged)
        return rebuild_all(log, why);
    if (!clean) {
        check_t c = {.log = log};
        sl_err_t err = sl_log_scan_batches(log, log_active(log)->base, check_batch, &c);
        if (err)
            return err;
        if (c.missing)
            return rebuild_all(log, "an abort marker of the active segment has no entry");
    }
    if (cut) {
        SL_WARN(LOG_MOD, "%s: aborted transactions beyond the log end dropped from the index", log->dir);
        return txnidx_write_all(log);
    }
    return SL_OK;
}
