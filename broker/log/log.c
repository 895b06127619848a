/*
 * log.c - the partition log: opening a directory of segments (with recovery
 * after an unclean stop), appending with in-place offset assignment, rolling,
 * reading slices of whole batches, flushing, closing and deleting.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log_int.h"

/* ------------------------------------------------------------------ */
/* Errors, names, paths                                                */

sl_err_t log_fail(sl_log_t *log, sl_err_t err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(log->errmsg, sizeof(log->errmsg), fmt, ap);
    va_end(ap);
    /* The caller's mistakes (bad offsets, bad batches) are answered, not
     * logged; trouble with the files is. */
    if (err == SL_ERR_IO || err == SL_ERR_NOMEM)
        SL_WARN(LOG_MOD, "%s: %s", log->dir, log->errmsg);
    else
        SL_DEBUG(LOG_MOD, "%s: %s", log->dir, log->errmsg);
    return err;
}

sl_err_t log_fail_errno(sl_log_t *log, const seg_t *seg, const char *ext, const char *what, int e)
{
    if (e == ENOMEM)
        return log_fail(log, SL_ERR_NOMEM, "%020lld%s: %s: %s", (long long)seg->base, ext, what, strerror(e));
    return log_fail(log, SL_ERR_IO, "%020lld%s: %s: %s", (long long)seg->base, ext, what, strerror(e));
}

void seg_name(int64_t base, const char *ext, char *buf, size_t n)
{
    snprintf(buf, n, "%020lld%s", (long long)base, ext);
}

void seg_path(const sl_log_t *log, int64_t base, const char *ext, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%020lld%s", log->dir, (long long)base, ext);
}

sl_err_t log_sync_dir(sl_log_t *log)
{
    int fd = open(log->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return log_fail(log, SL_ERR_IO, "open directory: %s", strerror(errno));
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        return log_fail(log, SL_ERR_IO, "fsync directory: %s", strerror(e));
    }
    close(fd);
    return SL_OK;
}

const char *sl_log_errmsg(const sl_log_t *log)
{
    return log ? log->errmsg : "";
}

/* ------------------------------------------------------------------ */
/* Config                                                              */

void sl_log_config_defaults(sl_log_config_t *cfg)
{
    cfg->segment_bytes = 1073741824;
    cfg->segment_ms = 7LL * 24 * 3600 * 1000;
    cfg->retention_ms = 7LL * 24 * 3600 * 1000;
    cfg->retention_bytes = -1;
    cfg->index_interval_bytes = 4096;
    cfg->max_index_bytes = 10485760;
    cfg->log_append_time = false;
}

/* Positions in the offset index are int32, so no segment passes 2 GiB. */
static void cfg_sanitize(sl_log_config_t *cfg)
{
    if (cfg->segment_bytes <= 0 || cfg->segment_bytes > INT32_MAX)
        cfg->segment_bytes = INT32_MAX;
    if (cfg->index_interval_bytes < 0)
        cfg->index_interval_bytes = 0;
    if (cfg->max_index_bytes < TIDX_ENTRY)
        cfg->max_index_bytes = TIDX_ENTRY;
}

void sl_log_set_config(sl_log_t *log, const sl_log_config_t *cfg)
{
    log->cfg = *cfg;
    cfg_sanitize(&log->cfg);
}

/* ------------------------------------------------------------------ */
/* Segment list                                                        */

size_t log_find_seg(const sl_log_t *log, int64_t offset)
{
    size_t lo = 0, hi = log->nsegs; /* first segment with base > offset */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (log->segs[mid]->base <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? lo - 1 : 0;
}

static sl_err_t segs_push(sl_log_t *log, seg_t *seg)
{
    if (log->nsegs == log->segcap) {
        size_t ncap = log->segcap ? log->segcap * 2 : 16;
        seg_t **n = realloc(log->segs, ncap * sizeof(*n));
        if (!n)
            return SL_ERR_NOMEM;
        log->segs = n;
        log->segcap = ncap;
    }
    log->segs[log->nsegs++] = seg;
    return SL_OK;
}

static void log_free(sl_log_t *log)
{
    for (size_t i = 0; i < log->nsegs; i++)
        seg_free(log->segs[i]);
    free(log->segs);
    free(log->aborted);
    free(log->dir);
    free(log);
}

/* ------------------------------------------------------------------ */
/* Open                                                                */

static sl_err_t mkdir_p(sl_log_t *log, const char *dir)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
        return log_fail(log, SL_ERR_INVAL, "directory name too long");
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return log_fail(log, SL_ERR_IO, "mkdir %s: %s", path, strerror(errno));
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return log_fail(log, SL_ERR_IO, "mkdir %s: %s", path, strerror(errno));
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return log_fail(log, SL_ERR_IO, "%s is not a directory", path);
    return SL_OK;
}

static bool has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && memcmp(s + n - m, suf, m) == 0;
}

/* "<20 digits><ext>" -> base offset; false for anything else. */
static bool parse_seg_name(const char *name, const char *ext, int64_t *base)
{
    size_t n = strlen(name), m = strlen(ext);
    if (n != LOG_NAME_DIGITS + m || strcmp(name + LOG_NAME_DIGITS, ext) != 0)
        return false;
    uint64_t v = 0;
    for (int i = 0; i < LOG_NAME_DIGITS; i++) {
        if (name[i] < '0' || name[i] > '9')
            return false;
        uint64_t d = (uint64_t)(name[i] - '0');
        if (v > ((uint64_t)INT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *base = (int64_t)v;
    return true;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct i64_vec {
    int64_t *v;
    size_t n, cap;
} i64_vec_t;

static sl_err_t vec_push(i64_vec_t *vec, int64_t x)
{
    if (vec->n == vec->cap) {
        size_t ncap = vec->cap ? vec->cap * 2 : 16;
        int64_t *nv = realloc(vec->v, ncap * sizeof(*nv));
        if (!nv)
            return SL_ERR_NOMEM;
        vec->v = nv;
        vec->cap = ncap;
    }
    vec->v[vec->n++] = x;
    return SL_OK;
}

/* Lists the directory: segment bases (sorted), removing what Kafka removes
 * (stray .deleted/.cleaned/.swap files, orphaned index files, temporary
 * checkpoint files) and skipping (with a warning) .log files whose names do
 * not parse. */
static sl_err_t scan_dir(sl_log_t *log, i64_vec_t *bases)
{
    i64_vec_t orphans = {0};
    DIR *d = opendir(log->dir);
    if (!d)
        return log_fail(log, SL_ERR_IO, "opendir: %s", strerror(errno));
    sl_err_t err = SL_OK;
    int dfd = dirfd(d);
    struct dirent *de;
    while (!err && (errno = 0, de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        int64_t base;
        if (name[0] == '.')
            continue;
        if (has_suffix(name, ".deleted") || has_suffix(name, ".cleaned") || has_suffix(name, ".swap") ||
            strcmp(name, LOG_CHECKPOINT_NAME ".tmp") == 0 || strcmp(name, LOG_CLEANER_CHECKPOINT_NAME ".tmp") == 0) {
            SL_WARN(LOG_MOD, "%s: removing stray file %s", log->dir, name);
            if (unlinkat(dfd, name, 0) != 0)
                SL_WARN(LOG_MOD, "%s: unlink %s: %s", log->dir, name, strerror(errno));
            continue;
        }
        if (parse_seg_name(name, ".log", &base)) {
            struct stat st;
            if (fstatat(dfd, name, &st, 0) != 0 || !S_ISREG(st.st_mode)) {
                SL_WARN(LOG_MOD, "%s: skipping %s: not a regular file", log->dir, name);
                continue;
            }
            err = vec_push(bases, base);
        } else if (parse_seg_name(name, ".index", &base) || parse_seg_name(name, ".timeindex", &base) ||
                   parse_seg_name(name, ".txnindex", &base)) {
            err = vec_push(&orphans, base);
        } else if (has_suffix(name, ".log")) {
            SL_WARN(LOG_MOD, "%s: skipping %s: not a segment name (20 digits + .log)", log->dir, name);
        }
    }
    if (!err && errno != 0 && de == NULL)
        err = log_fail(log, SL_ERR_IO, "readdir: %s", strerror(errno));
    if (!err) {
        if (bases->n)
            qsort(bases->v, bases->n, sizeof(int64_t), cmp_i64);
        bool removed = false;
        for (size_t i = 0; i < orphans.n; i++) {
            if (bases->n && bsearch(&orphans.v[i], bases->v, bases->n, sizeof(int64_t), cmp_i64))
                continue;
            static const char *const exts[] = {".index", ".timeindex", ".txnindex"};
            for (size_t k = 0; k < SL_ARRAY_LEN(exts); k++) {
                char name[64];
                seg_name(orphans.v[i], exts[k], name, sizeof(name));
                if (unlinkat(dfd, name, 0) == 0) {
                    SL_WARN(LOG_MOD, "%s: removed orphaned index file %s", log->dir, name);
                    removed = true;
                }
            }
        }
        if (removed)
            err = log_sync_dir(log);
    }
    closedir(d);
    free(orphans.v);
    return err;
}

/* Full recovery of one segment: every batch checked (CRC included), a bad
 * tail cut, the indexes rewritten. */
static sl_err_t seg_recover(sl_log_t *log, seg_t *seg, bool clean_stop_expected, const char *reason)
{
    char why[256];
    int64_t valid = 0;
    /* After an unclean stop this is routine; anything else is damage. */
    if (clean_stop_expected)
        SL_WARN(LOG_MOD, "%s/%020lld.log: recovering (%s)", log->dir, (long long)seg->base, reason);
    else
        SL_INFO(LOG_MOD, "%s/%020lld.log: recovering (%s)", log->dir, (long long)seg->base, reason);
    sl_err_t err = seg_open_fd(log, seg, true);
    if (!err)
        err = seg_rebuild(log, seg, true, &valid, why, sizeof(why));
    if (!err && valid < seg->size)
        err = seg_truncate(log, seg, valid, why);
    /* The closing time-index entry, as a roll or a clean close writes it. */
    if (!err)
        err = seg_index_finish(seg);
    if (!err)
        err = idx_write_all(log, seg);
    return err;
}

/* Loads a segment after a clean stop: validated indexes, then a header walk
 * from the last offset-index entry to the end of the file, which gives the
 * next offset and checks that the index and the log agree. Anything wrong:
 * full recovery. */
static sl_err_t seg_load(sl_log_t *log, seg_t *seg, bool active, bool recover, bool *misnamed)
{
    *misnamed = false;
    sl_err_t err = seg_open_fd(log, seg, active);
    if (err)
        return err;
    struct stat st;
    if (fstat(seg->fd, &st) != 0)
        return log_fail_errno(log, seg, ".log", "fstat", errno);
    seg->size = st.st_size;
    /* Batches below the name cannot be indexed (relative offsets would be
     * negative): such a file is left alone, out of the log. */
    if (seg->size >= SL_BATCH_HEADER_SIZE) {
        uint8_t h0[SL_BATCH_HEADER_SIZE];
        log_hdr_t h;
        char why0[160];
        if (pread(seg->fd, h0, sizeof(h0), 0) == (ssize_t)sizeof(h0) &&
            hdr_parse(h0, &h, why0, sizeof(why0)) == SL_OK && h.base_offset < seg->base) {
            SL_ERROR(LOG_MOD, "%s/%020lld.log: first batch has base offset %lld, below the file name",
                     log->dir, (long long)seg->base, (long long)h.base_offset);
            *misnamed = true;
            return SL_OK;
        }
    }
    if (recover)
        return seg_recover(log, seg, false, "unclean shutdown");

    char why[256];
    char reason[300];
    err = idx_load(log, seg, false, why, sizeof(why));
    if (err == SL_ERR_NOENT || err == SL_ERR_CORRUPT_MESSAGE) {
        snprintf(reason, sizeof(reason), "index %s", why);
        return seg_recover(log, seg, true, reason);
    }
    if (err)
        return err;

    /* The first batch names the segment. */
    if (seg->size > 0) {
        uint8_t h0[SL_BATCH_HEADER_SIZE];
        log_hdr_t h;
        ssize_t r = pread(seg->fd, h0, sizeof(h0), 0);
        if (r != (ssize_t)sizeof(h0) || hdr_parse(h0, &h, why, sizeof(why)) != SL_OK)
            return seg_recover(log, seg, true, "first batch unreadable");
        /* Above the name is normal once the cleaner removed the first
         * batches (compaction), so it is only noted. */
        if (h.base_offset != seg->base)
            SL_INFO(LOG_MOD, "%s/%020lld.log: first batch has base offset %lld, the file name says %lld",
                    log->dir, (long long)seg->base, (long long)h.base_offset, (long long)seg->base);
        seg->roll_base_ms = h.max_timestamp >= 0 ? h.max_timestamp : sl_time_wall_ms();
    }

    seg_index_t *idx = &seg->idx;
    int64_t from = 0, expect_last = -1;
    seg->next_offset = seg->base;
    if (idx->o.n) {
        from = oidx_pos(idx, idx->o.n - 1);
        expect_last = seg->base + oidx_rel(idx, idx->o.n - 1);
        seg->next_offset = expect_last; /* the batch at from ends there */
    }
    int64_t file_max_ts = SL_NO_TIMESTAMP;
    if (idx->t.n) {
        seg->max_ts = file_max_ts = tidx_ts(idx, idx->t.n - 1);
        seg->max_ts_off = seg->base + tidx_rel(idx, idx->t.n - 1);
    }
    seg->bytes_since_index = 0;
    seg_scan_t sc;
    scan_init(&sc, seg->fd, from, seg->size, 64 * 1024);
    const char *bad = NULL;
    for (bool first = true;; first = false) {
        log_hdr_t h;
        int64_t pos = sc.pos;
        err = scan_next(&sc, false, &h);
        if (err == SL_ERR_NOENT) {
            err = SL_OK;
            break;
        }
        if (err == SL_ERR_CORRUPT_MESSAGE) {
            snprintf(why, sizeof(why), "batch at byte %lld: %s", (long long)pos, sc.why);
            bad = why;
            err = SL_OK;
            break;
        }
        if (err)
            break;
        if (first && expect_last >= 0 && h.last_offset != expect_last) {
            snprintf(why, sizeof(why), "last index entry says offset %lld at byte %lld, the log has %lld",
                     (long long)expect_last, (long long)pos, (long long)h.last_offset);
            bad = why;
            break;
        }
        if ((!first || expect_last < 0) && h.base_offset < seg->next_offset) {
            snprintf(why, sizeof(why), "batch at byte %lld: offset %lld goes backwards", (long long)pos,
                     (long long)h.base_offset);
            bad = why;
            break;
        }
        if (h.last_offset - seg->base > INT32_MAX || pos > INT32_MAX) {
            snprintf(why, sizeof(why), "batch at byte %lld does not fit the segment", (long long)pos);
            bad = why;
            break;
        }
        err = seg_index_batch(seg, pos, h.last_offset, h.max_timestamp, h.size, log->cfg.index_interval_bytes);
        if (err)
            break;
        seg->next_offset = h.last_offset + 1;
    }
    scan_fini(&sc);
    if (err)
        return err;
    if (!bad && idx->t.n && seg->base + tidx_rel(idx, idx->t.n - 1) >= seg->next_offset) {
        snprintf(why, sizeof(why), ".timeindex points past the last offset");
        bad = why;
    }
    /* A segment closed by a roll or a clean close ends its time index with
     * its largest timestamp; a newer one in the tail means entries are
     * missing (an emptied or cut file), and the segment's max timestamp
     * would be wrong. */
    if (!bad && seg->max_ts > file_max_ts) {
        snprintf(why, sizeof(why), ".timeindex lacks timestamp %lld", (long long)seg->max_ts);
        bad = why;
    }
    if (bad)
        return seg_recover(log, seg, true, bad);
    /* Entries the walk added (an index cut short, a zero tail) go to disk. */
    return idx_write(log, seg, false);
}

/* Moves a segment's log file out of the way (<name>.log.misnamed, which no
 * later open reads) and drops its index files. */
static sl_err_t seg_set_aside(sl_log_t *log, seg_t *seg)
{
    char from[PATH_MAX], to[PATH_MAX + 16];
    log_seg_release(log, seg);
    seg_path(log, seg->base, ".log", from, sizeof(from));
    snprintf(to, sizeof(to), "%s.misnamed", from);
    if (rename(from, to) != 0)
        return log_fail_errno(log, seg, ".log", "rename", errno);
    SL_ERROR(LOG_MOD, "%s/%020lld.log: moved aside to %020lld.log.misnamed", log->dir, (long long)seg->base,
             (long long)seg->base);
    seg_path(log, seg->base, ".index", from, sizeof(from));
    unlink(from);
    seg_path(log, seg->base, ".timeindex", from, sizeof(from));
    unlink(from);
    return log_sync_dir(log);
}

/* After a torn tail was cut from a segment below the active one, the
 * segments after it go (their offsets would leave a gap), as Kafka's
 * recovery deletes the rest of the log. */
static sl_err_t drop_after_cut(sl_log_t *log, const i64_vec_t *bases, size_t from)
{
    sl_err_t err = SL_OK;
    for (size_t k = from; k < bases->n && !err; k++) {
        seg_t *gone = seg_new(bases->v[k]);
        if (!gone)
            return SL_ERR_NOMEM;
        SL_WARN(LOG_MOD, "%s/%020lld.log: deleted: an earlier segment lost its tail in the crash", log->dir,
                (long long)gone->base);
        err = seg_unlink(log, gone);
        seg_free(gone);
    }
    return err ? err : log_sync_dir(log);
}

static sl_err_t log_load(sl_log_t *log, bool clean)
{
    i64_vec_t bases = {0};
    sl_err_t err = clean_recover_swaps(log);
    if (!err)
        err = scan_dir(log, &bases);
    int64_t ckpt = -1, rp = -1;
    if (!err)
        err = log_offset_file_read(log, LOG_CHECKPOINT_NAME, &ckpt);
    if (!err)
        err = log_offset_file_read(log, LOG_RECOVERY_POINT_NAME, &rp);
    log->recovery_point = rp;
    for (size_t i = 0; !err && i < bases.n; i++) {
        seg_t *seg = seg_new(bases.v[i]);
        if (!seg || segs_push(log, seg)) {
            seg_free(seg);
            err = SL_ERR_NOMEM;
            break;
        }
        bool active = i + 1 == bases.n, misnamed;
        /* Unclean: every segment holding offsets at or above the recovery
         * point may be torn; without the file, every segment (a log that
         * crashed before its first rolled segment was synced, or one
         * written before the file existed). */
        bool recover = !clean && (active || rp < 0 || bases.v[i + 1] > rp);
        int64_t size_before = -1;
        if (recover && !active) {
            char path[PATH_MAX];
            struct stat st;
            seg_path(log, seg->base, ".log", path, sizeof(path));
            size_before = stat(path, &st) == 0 ? st.st_size : -1;
        }
        err = seg_load(log, seg, active, recover, &misnamed);
        if (!err && misnamed) {
            err = seg_set_aside(log, seg);
            log->nsegs--;
            seg_free(seg);
            /* The one before (loaded as inactive, not misnamed) becomes active. */
            if (!err && active && log->nsegs > 0)
                err = seg_load(log, log_active(log), true, !clean, &misnamed);
            continue;
        }
        if (!err && recover && !active) {
            /* What recovery read may still be only in the page cache (a
             * killed process): on disk before the recovery point passes it. */
            if (fdatasync(seg->fd) != 0)
                err = log_fail_errno(log, seg, ".log", "fsync", errno);
            if (!err && seg->size < size_before) {
                err = drop_after_cut(log, &bases, i + 1);
                break; /* seg is the last segment now: it stays open as the active one */
            }
        }
        if (!err && !active)
            log_seg_release(log, seg); /* reopened lazily when read */
    }
    free(bases.v);
    if (err)
        return err;

    if (log->nsegs == 0) {
        seg_t *seg;
        err = seg_create(log, ckpt > 0 ? ckpt : 0, &seg);
        if (err)
            return err;
        if (segs_push(log, seg)) {
            seg_free(seg);
            return SL_ERR_NOMEM;
        }
    }

    log->next_offset = 0;
    for (size_t i = 0; i < log->nsegs; i++) {
        const seg_t *s = log->segs[i];
        if (i > 0 && s->base < log->segs[i - 1]->next_offset)
            SL_ERROR(LOG_MOD, "%s: segment %020lld overlaps the one before it (which ends at offset %lld); "
                     "its offsets below that are hidden", log->dir, (long long)s->base,
                     (long long)log->segs[i - 1]->next_offset - 1);
        log->next_offset = SL_MAX(log->next_offset, s->next_offset);
    }
    seg_t *act = log_active(log);
    if (act->next_offset < log->next_offset) {
        SL_ERROR(LOG_MOD, "%s: the last segment ends below offsets already used; appends go to a new segment "
                 "at %lld", log->dir, (long long)log->next_offset);
        log->force_roll = true;
    }
    log->start_offset = SL_MAX(log->segs[0]->base, ckpt);
    if (log->start_offset > log->next_offset)
        log->start_offset = log->next_offset;
    /* Recovered segments' rewritten indexes are synced by the next sync job. */
    log->rolled_unsynced = log_recovery_point_calc(log) < act->base;
    return txnidx_load(log, clean);
}

sl_err_t sl_log_open(const char *dir, const sl_log_config_t *cfg, bool clean_shutdown, sl_log_t **out)
{
    if (!out)
        return SL_ERR_INVAL;
    *out = NULL;
    /* Room for "/<20 digits>.timeindex.misnamed" after the directory. */
    if (!dir || !*dir || !cfg || strlen(dir) + 64 >= PATH_MAX)
        return SL_ERR_INVAL;
    sl_log_t *log = calloc(1, sizeof(*log));
    if (!log)
        return SL_ERR_NOMEM;
    log->dir = strdup(dir);
    if (!log->dir) {
        free(log);
        return SL_ERR_NOMEM;
    }
    size_t dl = strlen(log->dir);
    while (dl > 1 && log->dir[dl - 1] == '/')
        log->dir[--dl] = '\0';
    log->cfg = *cfg;
    cfg_sanitize(&log->cfg);
    sl_list_init(&log->lru);
    log->last_flush_ms = sl_time_wall_ms();
    sl_err_t err = mkdir_p(log, log->dir);
    if (!err)
        err = log_load(log, clean_shutdown);
    if (err) {
        SL_ERROR(LOG_MOD, "%s: cannot open the log: %s", log->dir, log->errmsg[0] ? log->errmsg : sl_err_str(err));
        log_free(log);
        return err;
    }
    *out = log;
    return SL_OK;
}

/* ------------------------------------------------------------------ */
/* Roll                                                                */

static sl_err_t seg_sync(sl_log_t *log, seg_t *seg);

sl_err_t log_roll(sl_log_t *log, int64_t now_ms)
{
    SL_UNUSED(now_ms);
    seg_t *old = log_active(log);
    if (old->size == 0 && old->base == log->next_offset) {
        log->force_roll = false;
        return SL_OK;
    }
    if (old->size > 0) {
        /* Its bytes and indexes reach the disk later (durability.c): the
         * recovery point stays at or below it until they do. */
        sl_err_t err = seg_index_finish(old);
        if (err)
            return err;
        err = idx_write(log, old, false);
        if (err)
            return err;
        log->rolled_unsynced = true;
    }
    seg_t *seg;
    sl_err_t err = seg_create(log, log->next_offset, &seg);
    if (err)
        return err;
    if (segs_push(log, seg)) {
        seg_unlink(log, seg);
        seg_free(seg);
        return SL_ERR_NOMEM;
    }
    if (old->size > 0) {
        /* Its indexes are mapped from the files when it is next read, so a
         * rolled segment keeps no index memory. */
        log_seg_release(log, old);
    } else {
        /* An empty segment whose base is behind the log end: replace it. */
        log_seg_release(log, old);
        seg_unlink(log, old);
        seg_free(old);
        log->segs[log->nsegs - 2] = seg;
        log->nsegs--;
        err = log_sync_dir(log);
        if (err)
            return err;
    }
    log->force_roll = false;
    SL_DEBUG(LOG_MOD, "%s: rolled to segment %020lld", log->dir, (long long)seg->base);
    return SL_OK;
}

/* ------------------------------------------------------------------ */
/* Append                                                              */

static bool index_full(const sl_log_t *log, const seg_t *seg)
{
    size_t omax = (size_t)log->cfg.max_index_bytes / OIDX_ENTRY;
    size_t tmax = (size_t)log->cfg.max_index_bytes / TIDX_ENTRY;
    return seg->idx.o.n >= omax || seg->idx.t.n >= tmax;
}

static bool roll_due_by_time(const sl_log_t *log, const seg_t *seg, int64_t now_ms)
{
    return log->cfg.segment_ms > 0 && seg->size > 0 && seg->roll_base_ms >= 0 &&
           now_ms - seg->roll_base_ms > log->cfg.segment_ms;
}

sl_err_t sl_log_append(sl_log_t *log, uint8_t *data, size_t len, int32_t leader_epoch, int64_t now_ms,
                       sl_log_append_info_t *info)
{
    sl_log_append_info_t ignored;
    if (!log)
        return SL_ERR_INVAL;
    if (!info)
        info = &ignored;
    log->errmsg[0] = '\0';
    if (!data || len == 0)
        return log_fail(log, SL_ERR_INVAL, "append: no data");
    if (len > INT32_MAX)
        return log_fail(log, SL_ERR_INVAL, "append: %zu bytes at once", len);

    /* Whole batches only; count what they hold. */
    int64_t span = 0, records = 0;
    int32_t nbatches = 0;
    for (size_t pos = 0; pos < len;) {
        log_hdr_t h;
        char why[160];
        if (len - pos < SL_BATCH_HEADER_SIZE)
            return log_fail(log, SL_ERR_CORRUPT_MESSAGE, "append: %zu bytes after byte %zu are not a batch",
                            len - pos, pos);
        if (hdr_parse(data + pos, &h, why, sizeof(why)))
            return log_fail(log, SL_ERR_CORRUPT_MESSAGE, "append: batch at byte %zu: %s", pos, why);
        if (h.size > (int64_t)(len - pos))
            return log_fail(log, SL_ERR_CORRUPT_MESSAGE, "append: batch at byte %zu: %lld bytes, %zu left",
                            pos, (long long)h.size, len - pos);
        span += h.last_offset - h.base_offset + 1;
        records += h.records;
        nbatches++;
        pos += (size_t)h.size;
    }
    if (span > INT32_MAX || log->next_offset > INT64_MAX - span)
        return log_fail(log, SL_ERR_INVAL, "append: offsets would overflow");

    seg_t *seg = log_active(log);
    if (log->force_roll ||
        (seg->size > 0 &&
         (seg->size + (int64_t)len > log->cfg.segment_bytes || roll_due_by_time(log, seg, now_ms) ||
          index_full(log, seg) || log->next_offset + span - 1 - seg->base > INT32_MAX))) {
        sl_err_t err = log_roll(log, now_ms);
        if (err)
            return err;
        seg = log_active(log);
    }
    if (seg->need_truncate) {
        if (ftruncate(seg->fd, (off_t)seg->size) != 0)
            return log_fail_errno(log, seg, ".log", "truncate", errno);
        seg->need_truncate = false;
    }

    /* Offsets (and LogAppendTime) patched in place; nothing re-encoded. */
    int64_t off = log->next_offset;
    for (size_t pos = 0; pos < len;) {
        uint8_t *p = data + pos;
        size_t size = SL_BATCH_LOG_OVERHEAD + (size_t)be32(p + SL_BATCH_OFF_LENGTH);
        int32_t delta = (int32_t)be32(p + 23);
        sl_batch_assign_offsets(p, size, off, leader_epoch);
        if (log->cfg.log_append_time)
            sl_batch_set_log_append_time(p, size, now_ms);
        off += (int64_t)delta + 1;
        pos += size;
    }

    /* One write; a failed or short one is cut away again. */
    size_t done = 0;
    while (done < len) {
        ssize_t w = pwrite(seg->fd, data + done, len - done, (off_t)(seg->size + (int64_t)done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            if (done > 0 && ftruncate(seg->fd, (off_t)seg->size) != 0)
                seg->need_truncate = true;
            return log_fail_errno(log, seg, ".log", "write", e);
        }
        done += (size_t)w;
    }

    int64_t pos = seg->size;
    for (size_t p = 0; p < len;) {
        log_hdr_t h;
        char why[8];
        hdr_parse(data + p, &h, why, sizeof(why));
        /* Out of memory for an index entry only makes later lookups scan more. */
        (void)seg_index_batch(seg, pos + (int64_t)p, h.last_offset, h.max_timestamp, h.size,
                              log->cfg.index_interval_bytes);
        p += (size_t)h.size;
    }
    if (seg->size == 0)
        seg->roll_base_ms = now_ms;
    info->base_offset = log->next_offset;
    info->last_offset = off - 1;
    info->log_append_time = log->cfg.log_append_time ? now_ms : -1;
    info->batches = nbatches;
    seg->size += (int64_t)len;
    seg->next_offset = off;
    seg->unsynced = true;
    log->next_offset = off;
    log->unflushed_msgs += records;
    return SL_OK;
}

/* ------------------------------------------------------------------ */
/* Accessors, flush                                                    */

int64_t sl_log_start_offset(const sl_log_t *log) { return log->start_offset; }
int64_t sl_log_end_offset(const sl_log_t *log) { return log->next_offset; }
int64_t sl_log_unflushed_messages(const sl_log_t *log) { return log->unflushed_msgs; }
int64_t sl_log_last_flush_ms(const sl_log_t *log) { return log->last_flush_ms; }
size_t sl_log_segment_count(const sl_log_t *log) { return log->nsegs; }

int64_t sl_log_size(const sl_log_t *log)
{
    int64_t n = 0;
    for (size_t i = 0; i < log->nsegs; i++)
        n += log->segs[i]->size;
    return n;
}

static sl_err_t seg_sync(sl_log_t *log, seg_t *seg)
{
    if (seg->need_truncate) {
        if (ftruncate(seg->fd, (off_t)seg->size) != 0)
            return log_fail_errno(log, seg, ".log", "truncate", errno);
        seg->need_truncate = false;
    }
    if (seg->unsynced) {
        if (fdatasync(seg->fd) != 0)
            return log_fail_errno(log, seg, ".log", "fsync", errno);
        seg->unsynced = false;
    }
    return SL_OK;
}

sl_err_t sl_log_flush(sl_log_t *log, int64_t now_ms)
{
    log->errmsg[0] = '\0';
    seg_t *seg = log_active(log);
    sl_err_t err = log->rolled_unsynced ? log_sync_rolled_now(log) : SL_OK;
    if (!err)
        err = seg_sync(log, seg);
    if (err)
        return err;
    /* Index entries go to the files (no fsync: after a crash the active
     * segment's indexes are rebuilt from the log anyway). */
    err = idx_write(log, seg, false);
    if (err)
        return err;
    log->unflushed_msgs = 0;
    log->last_flush_ms = now_ms;
    return SL_OK;
}

/* ------------------------------------------------------------------ */
/* Read                                                                */

sl_err_t sl_log_read(sl_log_t *log, int64_t offset, int32_t max_bytes, bool min_one, sl_log_slice_t *out)
{
    return sl_log_read_upto(log, offset, max_bytes, min_one, INT64_MAX, out);
}

sl_err_t sl_log_read_upto(sl_log_t *log, int64_t offset, int32_t max_bytes, bool min_one, int64_t max_offset,
                          sl_log_slice_t *out)
{
    if (!log || !out)
        return SL_ERR_INVAL;
    log->errmsg[0] = '\0';
    out->fd = -1;
    out->pos = 0;
    out->len = 0;
    out->first_offset = offset;
    out->end_offset = offset;
    if (offset < log->start_offset || offset > log->next_offset)
        return log_fail(log, SL_ERR_OFFSET_OUT_OF_RANGE, "offset %lld is outside %lld..%lld", (long long)offset,
                        (long long)log->start_offset, (long long)log->next_offset);
    if (offset == log->next_offset || offset >= max_offset)
        return SL_OK;

    for (size_t i = log_find_seg(log, offset); i < log->nsegs; i++) {
        seg_t *seg = log->segs[i];
        sl_err_t err = log_seg_use(log, seg);
        if (err)
            return err;
        if (seg->size == 0)
            continue;
        int64_t target = SL_MAX(offset, seg->base);
        int64_t pos;
        log_hdr_t h;
        err = seg_find_indexed(log, seg, target, INT64_MIN, target, &pos, &h);
        if (err == SL_ERR_NOENT)
            continue;
        if (err)
            return err;

        if (h.last_offset >= max_offset)
            return SL_OK;
        int64_t end = pos + h.size, end_off = h.last_offset + 1;
        if (h.size > max_bytes) {
            if (!min_one)
                return SL_OK;
        } else {
            int64_t limit = SL_MIN(pos + (int64_t)max_bytes, seg->size);
            /* Jump over whole batches with the index (when the batch it
             * points at agrees), then walk headers up to the limit. */
            seg_scan_t sc;
            log_hdr_t h2;
            ptrdiff_t k = idx_olookup_pos(&seg->idx, limit);
            int64_t q = k >= 0 ? oidx_pos(&seg->idx, (size_t)k) : -1;
            scan_init(&sc, seg->fd, end, limit, 8192);
            if (q > end) {
                sc.pos = q;
                sc.end = seg->size; /* the batch at q need not fit: it only has to be there */
                if (scan_next(&sc, false, &h2) == SL_OK && h2.last_offset == seg->base + oidx_rel(&seg->idx, (size_t)k) &&
                    h2.base_offset <= max_offset) {
                    end = q;
                    end_off = h2.base_offset;
                }
                sc.pos = end;
                sc.end = limit;
            }
            while (scan_next(&sc, false, &h2) == SL_OK && h2.last_offset < max_offset) {
                end = sc.pos;
                end_off = h2.last_offset + 1;
            }
            scan_fini(&sc);
        }
        int fd = fcntl(seg->fd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
            return log_fail_errno(log, seg, ".log", "dup", errno);
        out->fd = fd;
        out->pos = pos;
        out->len = (int32_t)(end - pos);
        out->first_offset = h.base_offset;
        out->end_offset = end_off;
        return SL_OK;
    }
    return SL_OK;
}

void sl_log_slice_release(sl_log_slice_t *slice)
{
    if (!slice)
        return;
    if (slice->fd >= 0)
        close(slice->fd);
    slice->fd = -1;
    slice->len = 0;
}

sl_err_t sl_log_slice_read(const sl_log_slice_t *slice, sl_buf_t *buf)
{
    if (!slice || !buf || slice->len < 0)
        return SL_ERR_INVAL;
    if (slice->len == 0)
        return SL_OK;
    if (slice->fd < 0)
        return SL_ERR_INVAL;
    if (sl_buf_reserve(buf, (size_t)slice->len))
        return SL_ERR_NOMEM;
    size_t got = 0, n = (size_t)slice->len;
    while (got < n) {
        ssize_t r = pread(slice->fd, buf->data + buf->len + got, n - got, (off_t)(slice->pos + (int64_t)got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            SL_WARN(LOG_MOD, "slice read at byte %lld: %s", (long long)(slice->pos + (int64_t)got),
                    r < 0 ? strerror(errno) : "file ends early");
            return SL_ERR_IO;
        }
        got += (size_t)r;
    }
    buf->len += n;
    return SL_OK;
}

/* ------------------------------------------------------------------ */
/* Close, delete                                                       */

sl_err_t sl_log_close(sl_log_t *log)
{
    if (!log)
        return SL_OK;
    seg_t *seg = log_active(log);
    sl_err_t err = seg_index_finish(seg);
    if (!err)
        err = seg_sync(log, seg);
    if (!err)
        err = idx_write(log, seg, true);
    if (!err)
        err = log_sync_rolled_now(log);
    if (err)
        SL_ERROR(LOG_MOD, "%s: close: %s", log->dir, log->errmsg[0] ? log->errmsg : sl_err_str(err));
    log_free(log);
    return err;
}

sl_err_t sl_log_delete(sl_log_t *log)
{
    if (!log)
        return SL_OK;
    for (size_t i = 0; i < log->nsegs; i++)
        log_seg_release(log, log->segs[i]);
    sl_err_t err = SL_OK;
    DIR *d = opendir(log->dir);
    if (!d) {
        err = log_fail(log, SL_ERR_IO, "opendir: %s", strerror(errno));
    } else {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            if (unlinkat(dirfd(d), de->d_name, 0) != 0 && !err)
                err = log_fail(log, SL_ERR_IO, "unlink %s: %s", de->d_name, strerror(errno));
        }
        closedir(d);
        if (!err && rmdir(log->dir) != 0)
            err = log_fail(log, SL_ERR_IO, "rmdir: %s", strerror(errno));
        if (!err) {
            /* Make the removal durable: sync the parent directory. */
            char parent[PATH_MAX];
            snprintf(parent, sizeof(parent), "%s", log->dir);
            char *slash = strrchr(parent, '/');
            if (slash == parent)
                slash[1] = '\0';
            else if (slash)
                *slash = '\0';
            else
                snprintf(parent, sizeof(parent), ".");
            int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd >= 0) {
                fsync(fd);
                close(fd);
            }
        }
    }
    log_free(log);
    return err;
}

/* ------------------------------------------------------------------ */
/* Dropping old segments (retention, DeleteRecords)                  */

sl_err_t log_drop_oldest(sl_log_t *log, size_t n)
{
    if (n >= log->nsegs)
        n = log->nsegs - 1;
    if (n == 0)
        return SL_OK;
    sl_err_t first = SL_OK;
    size_t i;
    for (i = 0; i < n; i++) {
        seg_t *seg = log->segs[i];
        log_seg_release(log, seg);
        sl_err_t err = seg_unlink(log, seg);
        if (err) {
            first = err;
            break;
        }
        SL_INFO(LOG_MOD, "%s: deleted segment %020lld (%lld bytes)", log->dir, (long long)seg->base,
                (long long)seg->size);
        seg_free(seg);
    }
    memmove(log->segs, log->segs + i, (log->nsegs - i) * sizeof(*log->segs));
    log->nsegs -= i;
    txnidx_drop_below(log, log->segs[0]->base);
    if (log->start_offset < log->segs[0]->base)
        log->start_offset = log->segs[0]->base;
    sl_err_t err = log_sync_dir(log);
    return first ? first : err;
}
