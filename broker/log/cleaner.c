/*
 * cleaner.c - log compaction (log.h, "Compaction"): planning a pass
 * (prepare), the key -> latest offset map over as much of the dirty range
 * as the dedupe buffer holds, the rewrite of the cleanable segments into
 * merged groups (<first base>.log.cleaned files), the pass's end
 * (install, in cleaner_swap.c) and the persisted cleaner checkpoint.
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
    opts->max_compaction_lag_ms = INT64_MAX;
    opts->delete_retention_ms = 86400000;
    opts->dedupe_buffer_bytes = (int64_t)128 << 20;
    opts->first_unstable = INT64_MAX;
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
/* The job (log_int.h): what prepare decided, what build did. Build
 * touches only the job and the files, never the sl_log_t, so it runs
 * without the log's lock (inactive segment files change only under it:
 * retention and DeleteRecords delete whole files, which open descriptors
 * still read). */

void job_path(const sl_log_clean_job_t *job, int64_t base, const char *ext, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%020lld%s", job->dir, (long long)base, ext);
}

void ms_to_timespec(int64_t ms, struct timespec ts[2])
{
    ts[0].tv_sec = ts[1].tv_sec = (time_t)(ms / 1000);
    ts[0].tv_nsec = ts[1].tv_nsec = (long)(ms % 1000) * 1000000;
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
 * the segment, until the map is full: then *full is set and *stop gets the
 * offset of the first record left out. */
static sl_err_t map_segment(sl_log_clean_job_t *job, const job_seg_t *js, sl_buf_t *scratch, bool *full,
                            int64_t *stop)
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
        /* An aborted transaction's keys supersede nothing (txnindex.c). */
        if (sl_batch_is_transactional(&b) &&
            txnidx_aborted_batch(job->aborted, job->naborted, b.producer_id, b.base_offset))
            continue;
        sl_record_t r;
        while ((err = sl_record_iter_next(&it, &r)) == SL_OK) {
            if (r.key_len < 0 || r.offset < job->cp || r.offset >= job->end_off)
                continue;
            if (!clean_map_put(&job->map, r.key, (size_t)r.key_len, r.offset)) {
                *full = true;
                *stop = r.offset;
                break;
            }
        }
        if (err == SL_ERR_NOMEM || *full)
            break;
        err = SL_OK;
    }
    if (*full || err == SL_ERR_NOENT) {
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

/* Builds the key map from the first dirty segment on, as far as it holds
 * (Kafka's rule): when it fills up in a later segment, the pass ends at
 * that segment's base (the last whole segment that fit); when it fills up
 * in the first dirty segment, the pass ends at the first record left out
 * (a prefix of that segment: more than Kafka, which gives up on the log).
 * Either way the rest is the next pass's, and job->end_off says where this
 * one ends. Keys of the segment left partly mapped stay in the map: their
 * offsets are later ones that stay in the log, so the older records they
 * supersede may go. */
static sl_err_t build_map(sl_log_clean_job_t *job, sl_buf_t *scratch)
{
    size_t first = job->nsegs;
    for (size_t i = 0; i < job->nsegs; i++) {
        if (job->segs[i].next_offset > job->cp && job->segs[i].size > 0) {
            first = i;
            break;
        }
    }
    sl_err_t err = clean_map_init(&job->map, job->dedupe_bytes, SL_MAX(job->end_off - job->cp, 0));
    for (size_t i = first; !err && i < job->nsegs; i++) {
        bool full = false;
        int64_t stop = -1;
        err = map_segment(job, &job->segs[i], scratch, &full, &stop);
        if (err || !full)
            continue;
        int64_t end = i > first ? job->segs[i].base : stop;
        SL_INFO(LOG_MOD, "%s: cleaner key map full (%zu keys in %lld bytes): this pass ends at offset %lld, "
                "the rest is cleaned next", job->dir, job->map.used, (long long)job->dedupe_bytes,
                (long long)end);
        job->end_off = end;
        break;
    }
    job->nrewrite = 0;
    while (job->nrewrite < job->nsegs && job->segs[job->nrewrite].base < job->end_off)
        job->nrewrite++;
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
    const clean_map_t *map;
    const sl_map_t *pids;
    const sl_log_txn_aborted_t *aborted; /* aborted transactions (their data goes) */
    size_t naborted;
    bool drop_tombstones;
    int64_t end_off;   /* records from here on are the next pass's */
    sl_buf_t scratch;  /* decompressed records */
    sl_buf_t recs;     /* surviving records, uncompressed */
    sl_buf_t out;      /* cleaned batches not yet written */
    int64_t batches;   /* batches put in out */
    int64_t removed;
} clean_ctx_t;

static bool keep_record(const clean_ctx_t *c, const sl_record_t *r)
{
    if (r->offset >= c->end_off)
        return true;
    if (r->key_len < 0)
        return false;
    int64_t latest = clean_map_get(c->map, r->key, (size_t)r->key_len);
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
    c->batches++; /* undone below when the batch goes */
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
    /* Records of an aborted transaction are never read by read_committed
     * consumers; Kafka's cleaner removes them, and so does this one (their
     * abort marker stays). */
    bool aborted = b->base_offset < c->end_off && sl_batch_is_transactional(b) &&
                   txnidx_aborted_batch(c->aborted, c->naborted, b->producer_id, b->base_offset);
    int32_t kept = 0, total = 0;
    sl_record_t r;
    sl_err_t err;
    while ((err = sl_record_iter_next(&it, &r)) == SL_OK) {
        total++;
        if (aborted || !keep_record(c, &r))
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
                      val_off(sl_map_get(c->pids, &b->producer_id, sizeof(b->producer_id))) > b->base_offset)) {
        c->batches--;
        return SL_OK;
    }

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
/* Rewriting segments into merged groups                               */

/* Bytes of cleaned output gathered before each write to the file. */
#define CLEAN_WRITE_CHUNK ((size_t)1 << 20)

/* The group being written: job->groups[job->ngroups - 1] while fd >= 0. */
typedef struct group_out {
    int fd;
    int64_t written;   /* bytes in the file */
    int64_t batches;   /* batches in the file */
} group_out_t;

static job_group_t *cur_group(sl_log_clean_job_t *job) { return &job->groups[job->ngroups - 1]; }

static sl_err_t group_open(sl_log_clean_job_t *job, group_out_t *go, size_t first)
{
    char path[PATH_MAX];
    int64_t base = job->segs[first].base;
    job_path(job, base, ".log.cleaned", path, sizeof(path));
    go->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (go->fd < 0)
        return job_fail(job, base, ".log.cleaned", "create", errno);
    go->written = go->batches = 0;
    job_group_t *g = &job->groups[job->ngroups++];
    memset(g, 0, sizeof(*g));
    g->first = first;
    return SL_OK;
}

/* Ends group g (written through go): a group of one unchanged segment
 * leaves no file (the segment stays as it is); otherwise the file is
 * fsynced and gets the latest first-cleaned time of its segments as mtime
 * (so no tombstone goes before its own segment's delete retention). keep
 * false drops the file. A group with no segment (the last one) is
 * forgotten. */
static sl_err_t group_close(sl_log_clean_job_t *job, group_out_t *go, job_group_t *g, bool keep)
{
    char path[PATH_MAX];
    job_path(job, job->segs[g->first].base, ".log.cleaned", path, sizeof(path));
    bool changed = false;
    g->stamp = 0;
    for (size_t j = 0; j < g->n; j++) {
        changed |= job->segs[g->first + j].changed;
        g->stamp = SL_MAX(g->stamp, job->segs[g->first + j].cleaned_at);
    }
    keep = keep && (g->n > 1 || changed);
    const char *what = NULL;
    int e = 0;
    if (keep) {
        struct timespec ts[2];
        ms_to_timespec(g->stamp, ts);
        if (fsync(go->fd) != 0)
            what = "fsync";
        else if (futimens(go->fd, ts) != 0)
            what = "futimens";
        e = errno;
    }
    if (close(go->fd) != 0 && keep && !what) {
        what = "close";
        e = errno;
    }
    go->fd = -1;
    if (what || !keep)
        unlink(path);
    g->built = keep && !what;
    if (g->n == 0)
        job->ngroups--;
    return what ? job_fail(job, job->segs[g->first].base, ".log.cleaned", what, e) : SL_OK;
}

/* Whether the open group, as written, may stay one segment: Kafka's
 * groupSegmentsBySize limits (at most segment.bytes, positions within
 * int32, index files within segment.index.bytes; the offset span is
 * checked before a segment joins). Index entries are bounded by one per
 * index_interval_bytes of log, and by one per batch. */
static bool group_fits(const sl_log_clean_job_t *job, const group_out_t *go)
{
    if (go->written > job->segment_bytes || go->written > INT32_MAX)
        return false;
    int64_t per_bytes = job->index_interval > 0 ? go->written / job->index_interval + 1 : go->batches;
    int64_t entries = SL_MIN(go->batches, per_bytes) + 1;
    return entries * TIDX_ENTRY <= job->max_index_bytes;
}

static sl_err_t out_flush(clean_ctx_t *c, sl_log_clean_job_t *job, group_out_t *go)
{
    if (!c->out.len)
        return SL_OK;
    if (write_all(go->fd, c->out.data, c->out.len, go->written) != SL_OK)
        return job_fail(job, job->segs[cur_group(job)->first].base, ".log.cleaned", "write", errno);
    go->written += (int64_t)c->out.len;
    go->batches += c->batches;
    sl_buf_reset(&c->out);
    c->batches = 0;
    return SL_OK;
}

/* Appends js's cleaned batches to the open group's file. SL_ERR_CORRUPT_MESSAGE
 * (logged) when the segment does not parse: the caller cuts what was
 * written of it and leaves it as it is. */
static sl_err_t seg_out(clean_ctx_t *c, sl_log_clean_job_t *job, group_out_t *go, job_seg_t *js)
{
    int in = open_ro(job, js->base);
    if (in < 0)
        return SL_ERR_IO;
    c->drop_tombstones = js->drop_tombstones;
    c->end_off = job->end_off;
    sl_buf_reset(&c->out);
    c->batches = 0;
    batch_walk_t w = {0};
    scan_init(&w.sc, in, 0, js->size, 256 * 1024);
    sl_err_t err;
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
        err = clean_batch(c, &b, &js->changed);
        if (!err && go->written + (int64_t)c->out.len > INT32_MAX) {
            snprintf(w.sc.why, sizeof(w.sc.why), "cleaned segment passes 2 GiB");
            err = SL_ERR_CORRUPT_MESSAGE;
        }
        if (!err && c->out.len >= CLEAN_WRITE_CHUNK)
            err = out_flush(c, job, go);
        if (err)
            break;
    }
    if (err == SL_ERR_NOENT) {
        err = out_flush(c, job, go);
    } else if (err == SL_ERR_CORRUPT_MESSAGE) {
        SL_WARN(LOG_MOD, "%s/%020lld.log: not cleaned: %s", job->dir, (long long)js->base, w.sc.why);
    } else if (err == SL_ERR_IO && !job->errmsg[0]) {
        snprintf(job->errmsg, sizeof(job->errmsg), "%020lld.log: %s", (long long)js->base, w.sc.why);
        SL_WARN(LOG_MOD, "%s: cleaner: %s", job->dir, job->errmsg);
    }
    scan_fini(&w.sc);
    free(w.buf);
    close(in);
    return err;
}

/* Copies the file's bytes [from, end) to fd_to at 0 and cuts fd_from at
 * from. */
static sl_err_t move_tail(sl_log_clean_job_t *job, int64_t base, int fd_from, int64_t from, int64_t end, int fd_to,
                          sl_buf_t *tmp)
{
    sl_buf_reset(tmp);
    if (sl_buf_reserve(tmp, CLEAN_WRITE_CHUNK) != SL_OK)
        return SL_ERR_NOMEM;
    for (int64_t at = from; at < end;) {
        size_t n = (size_t)SL_MIN((int64_t)CLEAN_WRITE_CHUNK, end - at);
        ssize_t r = pread(fd_from, tmp->data, n, (off_t)at);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return job_fail(job, base, ".log.cleaned", "read", r < 0 ? errno : EIO);
        if (write_all(fd_to, tmp->data, (size_t)r, at - from) != SL_OK)
            return job_fail(job, base, ".log.cleaned", "write", errno);
        at += r;
    }
    if (ftruncate(fd_from, (off_t)from) != 0)
        return job_fail(job, base, ".log.cleaned", "truncate", errno);
    return SL_OK;
}

/* Segment i, just written at [start, go->written) of the open group,
 * made the group pass its limits: it starts a group of its own, taking
 * its bytes along; the group before it ends. */
static sl_err_t group_split(sl_log_clean_job_t *job, group_out_t *go, size_t i, int64_t start,
                            int64_t start_batches, sl_buf_t *tmp)
{
    size_t old = job->ngroups - 1;
    job->groups[old].n--;
    group_out_t next;
    sl_err_t err = group_open(job, &next, i);
    if (err)
        return err;
    job->groups[old + 1].n = 1;
    err = move_tail(job, job->segs[i].base, go->fd, start, go->written, next.fd, tmp);
    next.written = go->written - start;
    next.batches = go->batches - start_batches;
    go->written = start;
    go->batches = start_batches;
    sl_err_t err2 = group_close(job, go, &job->groups[old], !err);
    *go = next;
    return err ? err : err2;
}

/* Rewrites segments [0, nrewrite) into groups. A segment that does not
 * parse stays as it is, outside any group. */
static sl_err_t build_groups(sl_log_clean_job_t *job, clean_ctx_t *c)
{
    group_out_t go = {.fd = -1};
    sl_err_t err = SL_OK;
    for (size_t i = 0; !err && i < job->nrewrite; i++) {
        job_seg_t *js = &job->segs[i];
        /* Offsets relative to the group's base must fit an int32, and
         * positions too (the cleaned bytes are at most about the old). */
        if (go.fd >= 0 && (js->next_offset - 1 - job->segs[cur_group(job)->first].base > INT32_MAX ||
                           go.written + js->size > INT32_MAX))
            err = group_close(job, &go, cur_group(job), true);
        if (!err && go.fd < 0)
            err = group_open(job, &go, i);
        if (err)
            break;
        int64_t start = go.written, start_batches = go.batches;
        err = seg_out(c, job, &go, js);
        if (err == SL_ERR_CORRUPT_MESSAGE) {
            js->changed = false;
            go.written = start;
            go.batches = start_batches;
            err = ftruncate(go.fd, (off_t)start) == 0 ? SL_OK : job_fail(job, js->base, ".log.cleaned", "truncate", errno);
            if (!err)
                err = group_close(job, &go, cur_group(job), true);
            continue;
        }
        if (err)
            break;
        cur_group(job)->n++;
        if (cur_group(job)->n > 1 && !group_fits(job, &go))
            err = group_split(job, &go, i, start, start_batches, &c->recs);
    }
    if (go.fd >= 0) {
        sl_err_t err2 = group_close(job, &go, cur_group(job), !err);
        err = err ? err : err2;
    }
    return err;
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

/* The max timestamp of seg's first batch (Kafka's "first batch
 * timestamp" of a segment), -1 when unreadable or absent. */
static int64_t seg_first_batch_ts(sl_log_t *log, seg_t *seg)
{
    if (seg->size < SL_BATCH_HEADER_SIZE)
        return -1;
    char path[PATH_MAX];
    seg_path(log, seg->base, ".log", path, sizeof(path));
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    uint8_t h0[SL_BATCH_HEADER_SIZE];
    log_hdr_t h;
    char why[160];
    int64_t ts = -1;
    if (pread(fd, h0, sizeof(h0), 0) == (ssize_t)sizeof(h0) && hdr_parse(h0, &h, why, sizeof(why)) == SL_OK)
        ts = h.max_timestamp;
    close(fd);
    return ts;
}

/* max.compaction.lag.ms, as Kafka's maxCompactionDelay: the earliest
 * first-batch timestamp (> 0) of the dirty inactive segments is older than
 * now - max lag. */
static bool compaction_overdue(sl_log_t *log, const sl_log_clean_opts_t *opts, int64_t cp, int64_t now_ms)
{
    if (opts->max_compaction_lag_ms == INT64_MAX)
        return false;
    int64_t until = now_ms - SL_MAX(opts->max_compaction_lag_ms, 0);
    for (size_t i = 0; i + 1 < log->nsegs; i++) {
        seg_t *seg = log->segs[i];
        if (seg->next_offset <= cp || seg->size == 0)
            continue;
        int64_t ts = seg_first_batch_ts(log, seg);
        if (ts > 0 && ts < until)
            return true;
    }
    return false;
}

void sl_log_clean_job_free(sl_log_clean_job_t *job)
{
    if (!job)
        return;
    /* Whatever a group left behind and install did not take: its .cleaned
     * file (gone already when installed). */
    for (size_t i = 0; i < job->ngroups; i++) {
        char path[PATH_MAX];
        job_path(job, job->segs[job->groups[i].first].base, ".log.cleaned", path, sizeof(path));
        unlink(path);
    }
    clean_map_fini(&job->map);
    sl_map_fini(&job->pids, NULL);
    free(job->aborted);
    free(job->groups);
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

    /* Cleanable: below the active segment and the first unstable offset,
     * and old enough. */
    size_t end_idx = 0;
    while (end_idx + 1 < log->nsegs && log->segs[end_idx + 1]->base <= opts->first_unstable &&
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
    if (total == 0 || dirty == 0)
        return SL_OK;
    if ((double)dirty / (double)total < opts->min_cleanable_dirty_ratio &&
        !compaction_overdue(log, opts, cp, now_ms))
        return SL_OK;

    sl_log_clean_job_t *job = calloc(1, sizeof(*job));
    if (!job)
        return SL_ERR_NOMEM;
    sl_map_init(&job->pids);
    job->dir = strdup(log->dir);
    job->segs = calloc(end_idx, sizeof(*job->segs));
    job->groups = calloc(end_idx, sizeof(*job->groups));
    if (!job->dir || !job->segs || !job->groups ||
        txnidx_copy(log, cp, end_off, &job->aborted, &job->naborted) != SL_OK) {
        sl_log_clean_job_free(job);
        return SL_ERR_NOMEM;
    }
    job->now_ms = now_ms;
    job->cp = cp;
    job->end_off = end_off;
    job->nsegs = end_idx;
    job->dedupe_bytes = opts->dedupe_buffer_bytes;
    job->segment_bytes = log->cfg.segment_bytes;
    job->index_interval = log->cfg.index_interval_bytes;
    job->max_index_bytes = log->cfg.max_index_bytes;
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
    clean_ctx_t c = {.map = &job->map, .pids = &job->pids, .aborted = job->aborted, .naborted = job->naborted,
                     .scratch = SL_BUF_INIT, .recs = SL_BUF_INIT, .out = SL_BUF_INIT};
    sl_err_t err = SL_OK;
    for (size_t i = 0; !err && i < job->nsegs; i++)
        if (job->segs[i].size > 0)
            err = map_producers(job, &job->segs[i]);
    if (!err)
        err = build_map(job, &c.scratch);
    if (!err)
        err = build_groups(job, &c);
    if (!err && job->ngroups)
        err = sync_dir_path(job);
    job->removed = c.removed;
    sl_buf_free(&c.scratch);
    sl_buf_free(&c.recs);
    sl_buf_free(&c.out);
    return err;
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
    info->records_removed = job->removed;
    info->cleaned_to = job->end_off;
    sl_err_t err = clean_install_groups(log, job, info);
    if (!err && info->segments_after < info->segments)
        err = txnidx_write_all(log); /* merged segments: their .txnindex files follow */
    if (!err && job->end_off >= log->start_offset && job->end_off <= log->next_offset)
        err = log_offset_file_write(log, CLEAN_CHECKPOINT_NAME, job->end_off);
    if (!err)
        SL_INFO(LOG_MOD,
                "%s: cleaned up to offset %lld: %d segments rewritten into %d, %lld records removed, "
                "%lld -> %lld bytes",
                log->dir, (long long)job->end_off, info->segments, info->segments_after,
                (long long)info->records_removed, (long long)info->bytes_before, (long long)info->bytes_after);
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
