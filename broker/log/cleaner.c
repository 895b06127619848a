/*
 * cleaner.c - log compaction (log.h, "Compaction"): the key -> latest
 * offset map over the dirty range, the rewrite of each cleanable segment
 * into a .cleaned file, the crash-safe swap (.cleaned -> .swap -> .log) and
 * the persisted cleaner checkpoint.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log_int.h"

#define CLEAN_CHECKPOINT_NAME LOG_CLEANER_CHECKPOINT_NAME
/* A batch larger than this is kept as it is rather than read whole (a
 * damaged length must not make the cleaner allocate much). */
#define CLEAN_BATCH_MAX ((int64_t)64 << 20)

_Static_assert(sizeof(void *) >= sizeof(int64_t), "offsets are kept in map values");

void sl_log_clean_opts_defaults(sl_log_clean_opts_t *opts)
{
    opts->min_cleanable_dirty_ratio = 0.5;
    opts->min_compaction_lag_ms = 0;
    opts->delete_retention_ms = 86400000;
}

static sl_err_t write_all(int fd, const uint8_t *p, size_t n, int64_t at)
{
    size_t done = 0;
    while (done < n) {
        ssize_t w = pwrite(fd, p + done, n - done, (off_t)(at + (int64_t)done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return SL_ERR_IO;
        }
        done += (size_t)w;
    }
    return SL_OK;
}

/* ------------------------------------------------------------------ */
/* Reading a segment batch by batch on a descriptor of our own          */

typedef struct batch_walk {
    seg_scan_t sc;
    uint8_t *buf;
    size_t cap;
} batch_walk_t;

/* The next whole batch in w->buf[0..h->size). SL_OK, SL_ERR_NOENT at the
 * end, SL_ERR_CORRUPT_MESSAGE (sc.why), SL_ERR_IO, SL_ERR_NOMEM. */
static sl_err_t walk_next(batch_walk_t *w, log_hdr_t *h, int64_t *pos)
{
    *pos = w->sc.pos;
    sl_err_t err = scan_next(&w->sc, false, h);
    if (err)
        return err;
    if (h->size > CLEAN_BATCH_MAX) {
        snprintf(w->sc.why, sizeof(w->sc.why), "batch of %lld bytes", (long long)h->size);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    if ((size_t)h->size > w->cap) {
        uint8_t *nb = realloc(w->buf, (size_t)h->size);
        if (!nb)
            return SL_ERR_NOMEM;
        w->buf = nb;
        w->cap = (size_t)h->size;
    }
    size_t got = 0, n = (size_t)h->size;
    while (got < n) {
        ssize_t r = pread(w->sc.fd, w->buf + got, n - got, (off_t)(*pos + (int64_t)got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            snprintf(w->sc.why, sizeof(w->sc.why), "read: %s", r < 0 ? strerror(errno) : "file ends early");
            return SL_ERR_IO;
        }
        got += (size_t)r;
    }
    return SL_OK;
}

/* ------------------------------------------------------------------ */
/* The job: what prepare decided, what build did. Build touches only the
 * job and the files, never the sl_log_t, so it runs without the log's
 * lock (inactive segment files change only under it: retention and
 * DeleteRecords delete whole files, which open descriptors still read). */

typedef struct job_seg {
    int64_t base;
    int64_t size;        /* at prepare */
    int64_t next_offset; /* at prepare */
    bool was_clean;      /* cleaned in an earlier pass */
    int64_t cleaned_at;  /* when first cleaned (mtime), or now */
    bool drop_tombstones;
    bool swapped;        /* build left <base>.log.swap */
} job_seg_t;

struct sl_log_clean_job {
    char *dir;
    int64_t now_ms;
    int64_t cp, end_off;
    job_seg_t *segs;
    size_t nsegs;
    sl_map_t map;
    sl_map_t pids;       /* producer id -> base offset of its last batch */
    int64_t removed;
    int64_t bytes_after_build; /* sizes of the rewritten files */
    char errmsg[320];
};

static void job_path(const sl_log_clean_job_t *job, int64_t base, const char *ext, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%020lld%s", job->dir, (long long)base, ext);
}

static sl_err_t job_fail(sl_log_clean_job_t *job, int64_t base, const char *ext, const char *what, int e)
{
    snprintf(job->errmsg, sizeof(job->errmsg), "%020lld%s: %s: %s", (long long)base, ext, what, strerror(e));
    SL_WARN(LOG_MOD, "%s: cleaner: %s", job->dir, job->errmsg);
    return e == ENOMEM ? SL_ERR_NOMEM : SL_ERR_IO;
}

static sl_err_t sync_dir_path(sl_log_clean_job_t *job)
{
    int fd = open(job->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return job_fail(job, 0, "", "open directory", errno);
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        return job_fail(job, 0, "", "fsync directory", e);
    }
    close(fd);
    return SL_OK;
}

static int open_ro(sl_log_clean_job_t *job, int64_t base)
{
    char path[PATH_MAX];
    job_path(job, base, ".log", path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        job_fail(job, base, ".log", "open", errno);
    return fd;
}

/* ------------------------------------------------------------------ */
/* The key map                                                         */

static inline void *off_val(int64_t off) { return (void *)(uintptr_t)(off + 1); }
static inline int64_t val_off(void *v) { return v ? (int64_t)(uintptr_t)v - 1 : -1; }

/* Records producer id -> base offset of its last batch in the segment
 * (headers only). */
static sl_err_t map_producers(sl_log_clean_job_t *job, const job_seg_t *js)
{
    int fd = open_ro(job, js->base);
    if (fd < 0)
        return SL_ERR_IO;
    uint8_t h0[SL_BATCH_HEADER_SIZE];
    seg_scan_t sc;
    scan_init(&sc, fd, 0, js->size, 256 * 1024);
    sl_err_t err;
    for (;;) {
        log_hdr_t h;
        int64_t pos = sc.pos;
        err = scan_next(&sc, false, &h);
        if (err)
            break;
        if (pread(fd, h0, sizeof(h0), (off_t)pos) != (ssize_t)sizeof(h0)) {
            err = SL_ERR_CORRUPT_MESSAGE;
            break;
        }
        int64_t pid = (int64_t)be64(h0 + 43);
        if (pid < 0)
            continue;
        err = sl_map_put(&job->pids, &pid, sizeof(pid), off_val(h.base_offset), NULL);
        if (err)
            break;
    }
    scan_fini(&sc);
    close(fd);
    /* A segment that does not parse is left as it is by the rewrite. */
    return err == SL_ERR_NOMEM ? err : SL_OK;
}

/* Records key -> offset for every keyed record at offsets [cp, end_off) of
 * the segment. */
static sl_err_t map_segment(sl_log_clean_job_t *job, const job_seg_t *js, sl_buf_t *scratch)
{
    int fd = open_ro(job, js->base);
    if (fd < 0)
        return SL_ERR_IO;
    batch_walk_t w = {0};
    scan_init(&w.sc, fd, 0, js->size, 256 * 1024);
    sl_err_t err;
    for (;;) {
        log_hdr_t h;
        int64_t pos;
        err = walk_next(&w, &h, &pos);
        if (err)
            break;
        if (h.last_offset < job->cp || (h.attributes & SL_BATCH_ATTR_CONTROL))
            continue;
        if (h.base_offset >= job->end_off)
            break;
        sl_batch_t b;
        sl_record_iter_t it;
        char why[160];
        if (sl_batch_peek(w.buf, (size_t)h.size, &b, why, sizeof(why)) != SL_OK ||
            sl_record_iter_init(&it, &b, scratch, 0) != SL_OK) {
            SL_WARN(LOG_MOD, "%s/%020lld.log: batch at byte %lld unreadable for the cleaner, skipped", job->dir,
                    (long long)js->base, (long long)pos);
            continue;
        }
        sl_record_t r;
        while ((err = sl_record_iter_next(&it, &r)) == SL_OK) {
            if (r.key_len < 0 || r.offset < job->cp || r.offset >= job->end_off)
                continue;
            err = sl_map_put(&job->map, r.key, (size_t)r.key_len, off_val(r.offset), NULL);
            if (err)
                break;
        }
        if (err == SL_ERR_NOMEM)
            break;
        err = SL_OK;
    }
    if (err == SL_ERR_NOENT) {
        err = SL_OK;
    } else if (err == SL_ERR_CORRUPT_MESSAGE) {
        SL_WARN(LOG_MOD, "%s/%020lld.log: cleaner stops reading at %s", job->dir, (long long)js->base, w.sc.why);
        err = SL_OK;
    } else if (err == SL_ERR_IO) {
        snprintf(job->errmsg, sizeof(job->errmsg), "%020lld.log: %s", (long long)js->base, w.sc.why);
        SL_WARN(LOG_MOD, "%s: cleaner: %s", job->dir, job->errmsg);
    }
    scan_fini(&w.sc);
    free(w.buf);
    close(fd);
    return err;
}

/* ------------------------------------------------------------------ */
/* Rewriting one batch                                                 */

static size_t zz_size(int64_t v)
{
    return sl_uvarint_size(sl_zigzag64(v));
}

/* Appends record r (its original deltas) to out. */
static void put_record(sl_buf_t *out, const sl_record_t *r)
{
    size_t body = 1 + zz_size(r->timestamp_delta) + zz_size(r->offset_delta);
    body += r->key_len < 0 ? 1 : zz_size(r->key_len) + (size_t)r->key_len;
    body += r->value_len < 0 ? 1 : zz_size(r->value_len) + (size_t)r->value_len;
    body += zz_size(r->header_count) + r->headers_size;
    sl_buf_put_varint(out, (int64_t)body);
    sl_buf_put_i8(out, r->attributes);
    sl_buf_put_varint(out, r->timestamp_delta);
    sl_buf_put_varint(out, r->offset_delta);
    sl_buf_put_varint(out, r->key_len);
    if (r->key_len > 0)
        sl_buf_put(out, r->key, (size_t)r->key_len);
    sl_buf_put_varint(out, r->value_len);
    if (r->value_len > 0)
        sl_buf_put(out, r->value, (size_t)r->value_len);
    sl_buf_put_varint(out, r->header_count);
    if (r->headers_size)
        sl_buf_put(out, r->headers, r->headers_size);
}

typedef struct clean_ctx {
    sl_map_t *map;
    const sl_map_t *pids;
    bool drop_tombstones;
    sl_buf_t scratch;  /* decompressed records */
    sl_buf_t recs;     /* surviving records, uncompressed */
    sl_buf_t out;      /* cleaned batches not yet written */
    int64_t removed;
} clean_ctx_t;

static bool keep_record(const clean_ctx_t *c, const sl_record_t *r)
{
    if (r->key_len < 0)
        return false;
    int64_t latest = val_off(sl_map_get(c->map, r->key, (size_t)r->key_len));
    if (latest > r->offset)
        return false;
    if (r->value_len < 0 && c->drop_tombstones)
        return false;
    return true;
}

/* Appends batch b, cleaned, to c->out. *changed is set when anything was
 * removed. */
static sl_err_t clean_batch(clean_ctx_t *c, const sl_batch_t *b, bool *changed)
{
    if (sl_batch_is_control(b)) {
        sl_buf_put(&c->out, b->data, b->size);
        return sl_buf_err(&c->out);
    }
    sl_record_iter_t it;
    if (sl_record_iter_init(&it, b, &c->scratch, 0) != SL_OK) {
        sl_buf_put(&c->out, b->data, b->size); /* unreadable: kept as it is */
        return sl_buf_err(&c->out);
    }
    sl_buf_reset(&c->recs);
    int32_t kept = 0, total = 0;
    sl_record_t r;
    sl_err_t err;
    while ((err = sl_record_iter_next(&it, &r)) == SL_OK) {
        total++;
        if (!keep_record(c, &r))
            continue;
        put_record(&c->recs, &r);
        kept++;
    }
    if (err != SL_ERR_NOENT || sl_buf_err(&c->recs)) {
        if (sl_buf_err(&c->recs))
            return SL_ERR_NOMEM;
        sl_buf_put(&c->out, b->data, b->size); /* malformed: kept as it is */
        return sl_buf_err(&c->out);
    }
    if (kept == total) {
        sl_buf_put(&c->out, b->data, b->size);
        return sl_buf_err(&c->out);
    }
    *changed = true;
    c->removed += total - kept;
    /* An emptied batch stays only as its producer's last batch in the
     * cleanable range (its header carries the producer's sequence state). */
    if (kept == 0 && (b->producer_id < 0 ||
                      val_off(sl_map_get(c->pids, &b->producer_id, sizeof(b->producer_id))) > b->base_offset))
        return SL_OK;

    /* Header as it was (producer fields, timestamps, lastOffsetDelta),
     * records and count new. */
    size_t start = c->out.len;
    sl_buf_put(&c->out, b->data, SL_BATCH_HEADER_SIZE);
    sl_compression_t codec = sl_batch_compression(b);
    if (kept > 0 && codec != SL_COMPRESSION_NONE) {
        err = sl_compress(codec, 0, c->recs.data, c->recs.len, &c->out);
        if (err)
            return err;
    } else if (kept > 0) {
        sl_buf_put(&c->out, c->recs.data, c->recs.len);
    }
    if (sl_buf_err(&c->out))
        return SL_ERR_NOMEM;
    size_t len = c->out.len - start;
    uint8_t *h = c->out.data + start;
    put_be32(h + SL_BATCH_OFF_LENGTH, (uint32_t)(len - SL_BATCH_LOG_OVERHEAD));
    put_be32(h + 57, (uint32_t)kept);
    put_be32(h + SL_BATCH_OFF_CRC,
             sl_crc32c(0, h + SL_BATCH_OFF_ATTRIBUTES, len - SL_BATCH_OFF_ATTRIBUTES));
    return SL_OK;
}


/* ------------------------------------------------------------------ */
/* Rewriting one segment into <base>.log.cleaned, then .swap            */

static void ms_to_timespec(int64_t ms, struct timespec ts[2])
{
    ts[0].tv_sec = ts[1].tv_sec = (time_t)(ms / 1000);
    ts[0].tv_nsec = ts[1].tv_nsec = (long)(ms % 1000) * 1000000;
}

/* Bytes of cleaned output gathered before each write to the file. */
#define CLEAN_WRITE_CHUNK ((size_t)1 << 20)

/* Rewrites js's file. When anything was removed the result is left as
 * <base>.log.swap (fsynced, mtime cleaned_at) and js->swapped set;
 * otherwise no file is left. */
static sl_err_t build_segment(clean_ctx_t *c, sl_log_clean_job_t *job, job_seg_t *js)
{
    char cleaned[PATH_MAX], swap[PATH_MAX];
    job_path(job, js->base, ".log.cleaned", cleaned, sizeof(cleaned));
    job_path(job, js->base, ".log.swap", swap, sizeof(swap));
    int in = open_ro(job, js->base);
    if (in < 0)
        return SL_ERR_IO;
    int out = open(cleaned, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        close(in);
        return job_fail(job, js->base, ".log.cleaned", "create", errno);
    }
    c->drop_tombstones = js->drop_tombstones;
    sl_buf_reset(&c->out);
    int64_t written = 0;
    bool changed = false;
    batch_walk_t w = {0};
    scan_init(&w.sc, in, 0, js->size, 256 * 1024);
    sl_err_t err;
    const char *what = NULL;
    int e = 0;
    for (;;) {
        log_hdr_t h;
        int64_t pos;
        err = walk_next(&w, &h, &pos);
        if (err)
            break;
        sl_batch_t b;
        char why[160];
        if (sl_batch_peek(w.buf, (size_t)h.size, &b, why, sizeof(why)) != SL_OK) {
            snprintf(w.sc.why, sizeof(w.sc.why), "%s", why);
            err = SL_ERR_CORRUPT_MESSAGE;
            break;
        }
        err = clean_batch(c, &b, &changed);
        if (err)
            break;
        if (c->out.len >= CLEAN_WRITE_CHUNK) {
            if (write_all(out, c->out.data, c->out.len, written) != SL_OK) {
                what = "write";
                e = errno;
                break;
            }
            written += (int64_t)c->out.len;
            sl_buf_reset(&c->out);
        }
    }
    if (err == SL_ERR_NOENT) {
        err = SL_OK;
    } else if (err == SL_ERR_CORRUPT_MESSAGE) {
        SL_WARN(LOG_MOD, "%s/%020lld.log: not cleaned: %s", job->dir, (long long)js->base, w.sc.why);
        changed = false;
        err = SL_OK;
    } else if (err == SL_ERR_IO) {
        snprintf(job->errmsg, sizeof(job->errmsg), "%020lld.log: %s", (long long)js->base, w.sc.why);
        SL_WARN(LOG_MOD, "%s: cleaner: %s", job->dir, job->errmsg);
    }
    scan_fini(&w.sc);
    free(w.buf);
    close(in);
    if (!err && !what && changed) {
        struct timespec ts[2];
        ms_to_timespec(js->cleaned_at, ts);
        if (c->out.len && write_all(out, c->out.data, c->out.len, written) != SL_OK)
            what = "write";
        else if (fsync(out) != 0)
            what = "fsync";
        else if (futimens(out, ts) != 0)
            what = "futimens";
        e = errno;
        written += (int64_t)c->out.len;
    }
    if (close(out) != 0 && !what && !err && changed) {
        what = "close";
        e = errno;
    }
    if (!err && !what && changed && rename(cleaned, swap) != 0) {
        what = "rename to .swap";
        e = errno;
    }
    if (err || what || !changed) {
        unlink(cleaned);
        return what ? job_fail(job, js->base, ".log.cleaned", what, e) : err;
    }
    js->swapped = true;
    job->bytes_after_build += written;
    return SL_OK;
}

/* ------------------------------------------------------------------ */
/* Prepare (locked), build (unlocked), install (locked)                 */

static int64_t seg_mtime_ms(sl_log_t *log, const seg_t *seg)
{
    char path[PATH_MAX];
    struct stat st;
    seg_path(log, seg->base, ".log", path, sizeof(path));
    if (stat(path, &st) != 0)
        return -1;
    return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

static int64_t seg_newest_ts(sl_log_t *log, const seg_t *seg)
{
    return seg->max_ts >= 0 ? seg->max_ts : seg_mtime_ms(log, seg);
}

void sl_log_clean_job_free(sl_log_clean_job_t *job)
{
    if (!job)
        return;
    for (size_t i = 0; i < job->nsegs; i++) {
        if (job->segs[i].swapped) {
            char swap[PATH_MAX];
            job_path(job, job->segs[i].base, ".log.swap", swap, sizeof(swap));
            unlink(swap);
        }
    }
    sl_map_fini(&job->map, NULL);
    sl_map_fini(&job->pids, NULL);
    free(job->segs);
    free(job->dir);
    free(job);
}

sl_err_t sl_log_clean_prepare(sl_log_t *log, const sl_log_clean_opts_t *opts, int64_t now_ms,
                              sl_log_clean_job_t **out)
{
    if (out)
        *out = NULL;
    if (!log || !opts || !out)
        return SL_ERR_INVAL;
    log->errmsg[0] = '\0';

    /* Cleanable: below the active segment and old enough. */
    size_t end_idx = 0;
    while (end_idx + 1 < log->nsegs &&
           (log->segs[end_idx]->size == 0 ||
            now_ms - seg_newest_ts(log, log->segs[end_idx]) >= SL_MAX(opts->min_compaction_lag_ms, 0)))
        end_idx++;
    if (end_idx == 0)
        return SL_OK;
    int64_t end_off = log->segs[end_idx]->base;
    /* The cleaner's progress ("0\n<offset>\n", as the log start offset's);
     * unreadable counts as none: the pass starts from the first segment. */
    int64_t cp;
    if (log_offset_file_read(log, CLEAN_CHECKPOINT_NAME, &cp) != SL_OK)
        cp = -1;
    if (cp < log->start_offset || cp > log->next_offset)
        cp = log->segs[0]->base;
    if (cp > end_off)
        cp = end_off;

    int64_t total = 0, dirty = 0;
    for (size_t i = 0; i < end_idx; i++) {
        seg_t *seg = log->segs[i];
        total += seg->size;
        if (seg->next_offset > cp) /* dirty, or straddling: counted whole */
            dirty += seg->size;
    }
    if (total == 0 || dirty == 0 || (double)dirty / (double)total < opts->min_cleanable_dirty_ratio)
        return SL_OK;

    sl_log_clean_job_t *job = calloc(1, sizeof(*job));
    if (!job)
        return SL_ERR_NOMEM;
    sl_map_init(&job->map);
    sl_map_init(&job->pids);
    job->dir = strdup(log->dir);
    job->segs = calloc(end_idx, sizeof(*job->segs));
    if (!job->dir || !job->segs) {
        sl_log_clean_job_free(job);
        return SL_ERR_NOMEM;
    }
    job->now_ms = now_ms;
    job->cp = cp;
    job->end_off = end_off;
    job->nsegs = end_idx;
    for (size_t i = 0; i < end_idx; i++) {
        seg_t *seg = log->segs[i];
        job_seg_t *js = &job->segs[i];
        js->base = seg->base;
        js->size = seg->size;
        js->next_offset = seg->next_offset;
        /* Cleaned in an earlier pass: its mtime is when it was first
         * cleaned. */
        js->was_clean = log->segs[i + 1]->base <= cp;
        int64_t mt = js->was_clean ? seg_mtime_ms(log, seg) : -1;
        js->cleaned_at = mt >= 0 ? mt : now_ms;
        js->drop_tombstones = js->was_clean && mt >= 0 && now_ms - mt >= opts->delete_retention_ms;
    }
    *out = job;
    return SL_OK;
}

sl_err_t sl_log_clean_build(sl_log_clean_job_t *job)
{
    if (!job)
        return SL_ERR_INVAL;
    clean_ctx_t c = {.map = &job->map, .pids = &job->pids, .scratch = SL_BUF_INIT, .recs = SL_BUF_INIT, .out = SL_BUF_INIT};
    sl_err_t err = SL_OK;
    for (size_t i = 0; !err && i < job->nsegs; i++) {
        if (job->segs[i].size > 0)
            err = map_producers(job, &job->segs[i]);
        if (!err && job->segs[i].next_offset > job->cp && job->segs[i].size > 0)
            err = map_segment(job, &job->segs[i], &c.scratch);
    }
    bool any = false;
    for (size_t i = 0; !err && i < job->nsegs; i++) {
        if (job->segs[i].size > 0)
            err = build_segment(&c, job, &job->segs[i]);
        any |= job->segs[i].swapped;
    }
    if (!err && any)
        err = sync_dir_path(job);
    job->removed = c.removed;
    sl_buf_free(&c.scratch);
    sl_buf_free(&c.recs);
    sl_buf_free(&c.out);
    return err;
}

/* Puts <base>.log.swap in place of seg's file (see log.h) and reloads seg's
 * state and indexes from whichever file is then <base>.log. */
static sl_err_t install_segment(sl_log_t *log, seg_t *seg)
{
    char swap[PATH_MAX], final[PATH_MAX], idx[PATH_MAX];
    seg_path(log, seg->base, ".log.swap", swap, sizeof(swap));
    seg_path(log, seg->base, ".log", final, sizeof(final));
    /* Old indexes go first: a crash from here on finds either the old .log
     * or the new one without indexes, and rebuilds them. */
    log_seg_release(log, seg);
    sl_err_t err = SL_OK;
    static const char *const exts[] = {".index", ".timeindex"};
    for (size_t k = 0; !err && k < SL_ARRAY_LEN(exts); k++) {
        seg_path(log, seg->base, exts[k], idx, sizeof(idx));
        if (unlink(idx) != 0 && errno != ENOENT)
            err = log_fail_errno(log, seg, exts[k], "unlink", errno);
    }
    if (!err)
        err = log_sync_dir(log);
    if (!err && rename(swap, final) != 0)
        err = log_fail_errno(log, seg, ".log.swap", "rename to .log", errno);
    if (!err)
        err = log_sync_dir(log);

    char why[256];
    int64_t valid = 0;
    sl_err_t err2 = seg_open_fd(log, seg, false);
    if (!err2)
        err2 = seg_rebuild(log, seg, false, &valid, why, sizeof(why));
    if (!err2 && valid < seg->size) {
        SL_WARN(LOG_MOD, "%s/%020lld.log: bytes %lld..%lld are unreadable (%s)", log->dir, (long long)seg->base,
                (long long)valid, (long long)seg->size, why);
        seg->size = valid;
    }
    if (!err2)
        err2 = seg_index_finish(seg);
    if (!err2)
        err2 = idx_write_all(log, seg);
    log_seg_release(log, seg);
    return err ? err : err2;
}

static sl_err_t stamp(sl_log_t *log, const seg_t *seg, int64_t ms)
{
    char path[PATH_MAX];
    struct timespec ts[2];
    ms_to_timespec(ms, ts);
    seg_path(log, seg->base, ".log", path, sizeof(path));
    if (utimensat(AT_FDCWD, path, ts, 0) != 0)
        return log_fail_errno(log, seg, ".log", "utimensat", errno);
    return SL_OK;
}

sl_err_t sl_log_clean_install(sl_log_t *log, sl_log_clean_job_t *job, sl_log_clean_info_t *info)
{
    sl_log_clean_info_t ignored;
    if (!info)
        info = &ignored;
    memset(info, 0, sizeof(*info));
    if (!log || !job)
        return SL_ERR_INVAL;
    log->errmsg[0] = '\0';
    info->ran = true;
    sl_err_t err = SL_OK;
    for (size_t i = 0; !err && i < job->nsegs; i++) {
        job_seg_t *js = &job->segs[i];
        /* The segment must still be there, inactive and as it was
         * (DeleteRecords may have removed it meanwhile). */
        size_t k = log_find_seg(log, js->base);
        seg_t *seg = log->segs[k];
        if (seg->base != js->base || k + 1 >= log->nsegs || seg->size != js->size)
            continue;
        info->bytes_before += seg->size;
        if (js->swapped) {
            err = install_segment(log, seg);
            js->swapped = false;
            info->segments++;
        } else if (!js->was_clean) {
            err = stamp(log, seg, job->now_ms);
        }
        info->bytes_after += seg->size;
    }
    info->records_removed = job->removed;
    if (!err && job->end_off >= log->start_offset && job->end_off <= log->next_offset)
        err = log_offset_file_write(log, CLEAN_CHECKPOINT_NAME, job->end_off);
    if (!err)
        SL_INFO(LOG_MOD,
                "%s: cleaned up to offset %lld: %d segments rewritten, %lld records removed, %lld -> %lld bytes",
                log->dir, (long long)job->end_off, info->segments, (long long)info->records_removed,
                (long long)info->bytes_before, (long long)info->bytes_after);
    return err;
}

sl_err_t sl_log_clean(sl_log_t *log, const sl_log_clean_opts_t *opts, int64_t now_ms, sl_log_clean_info_t *info)
{
    if (info)
        memset(info, 0, sizeof(*info));
    sl_log_clean_job_t *job = NULL;
    sl_err_t err = sl_log_clean_prepare(log, opts, now_ms, &job);
    if (err || !job)
        return err;
    err = sl_log_clean_build(job);
    if (err)
        log_fail(log, err, "cleaner: %s", job->errmsg[0] ? job->errmsg : sl_err_str(err));
    else
        err = sl_log_clean_install(log, job, info);
    sl_log_clean_job_free(job);
    return err;
}
