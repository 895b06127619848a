/*
 * cleaner_swap.c - putting a cleaned group of segments in place of the
 * segments it was made from, crash-safely (log.h, "Compaction"), and the
 * open-time recovery of a swap a crash cut short.
 *
 * A group [b1 .. bn] was rewritten by build into <b1>.log.cleaned
 * (fsynced). Install, with the log serialized:
 *   1. <b1>.log.cleaned -> <b1>.log.swap, directory fsynced;
 *   2. the members' index files removed (rebuilt from the logs when read);
 *   3. <bj>.log -> <bj>.log.replaced for j = 2..n, directory fsynced;
 *   4. <b1>.log.swap -> <b1>.log (replacing the old file atomically),
 *      directory fsynced: from here the group is in place;
 *   5. the .replaced files removed.
 * Only one .swap exists at a time (groups are installed one by one), so
 * at open a .swap means step 4 did not happen: the .replaced files are the
 * old members, renamed back, and the .swap goes (the old segments are
 * whole). No .swap means step 4 happened (or nothing began): .replaced
 * files are leftovers and go, as do any below the .swap's base (left by
 * an earlier group whose step 5 failed). .cleaned files always go.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log_int.h"

bool (*log_clean_crash_hook)(const char *step);

static bool crash_at(sl_log_t *log, const char *step)
{
    if (log_clean_crash_hook && log_clean_crash_hook(step)) {
        log_fail(log, SL_ERR_IO, "cleaner stopped at step %s (test hook)", step);
        return true;
    }
    return false;
}

/* Reloads seg from whichever file is now <base>.log: state and indexes
 * rebuilt, then closed (reopened when read). */
static sl_err_t seg_reload(sl_log_t *log, seg_t *seg)
{
    char why[256];
    int64_t valid = 0;
    log_seg_release(log, seg);
    sl_err_t err = seg_open_fd(log, seg, false);
    if (!err)
        err = seg_rebuild(log, seg, false, &valid, why, sizeof(why));
    if (!err && valid < seg->size) {
        SL_WARN(LOG_MOD, "%s/%020lld.log: bytes %lld..%lld are unreadable (%s)", log->dir, (long long)seg->base,
                (long long)valid, (long long)seg->size, why);
        seg->size = valid;
    }
    if (!err)
        err = seg_index_finish(seg);
    if (!err)
        err = idx_write_all(log, seg);
    log_seg_release(log, seg);
    return err;
}

static sl_err_t rename_seg(sl_log_t *log, const seg_t *seg, const char *from_ext, const char *to_ext)
{
    char from[PATH_MAX], to[PATH_MAX];
    seg_path(log, seg->base, from_ext, from, sizeof(from));
    seg_path(log, seg->base, to_ext, to, sizeof(to));
    if (rename(from, to) != 0) {
        char what[64];
        snprintf(what, sizeof(what), "rename to %s", to_ext);
        return log_fail_errno(log, seg, from_ext, what, errno);
    }
    return SL_OK;
}

/* Steps 1-5 for the group whose members are log->segs[k .. k + g->n). */
static sl_err_t install_group(sl_log_t *log, const job_group_t *g, size_t k)
{
    seg_t **m = log->segs + k;
    sl_err_t err = rename_seg(log, m[0], ".log.cleaned", ".log.swap");
    if (!err)
        err = log_sync_dir(log);
    if (err || crash_at(log, "swap"))
        return err ? err : SL_ERR_IO;
    for (size_t j = 0; j < g->n; j++) {
        log_seg_release(log, m[j]);
        static const char *const exts[] = {".index", ".timeindex"};
        for (size_t x = 0; !err && x < SL_ARRAY_LEN(exts); x++) {
            char idx[PATH_MAX];
            seg_path(log, m[j]->base, exts[x], idx, sizeof(idx));
            if (unlink(idx) != 0 && errno != ENOENT)
                err = log_fail_errno(log, m[j], exts[x], "unlink", errno);
        }
    }
    size_t moved = 1;
    while (!err && moved < g->n) {
        err = rename_seg(log, m[moved], ".log", ".log.replaced");
        moved += !err;
    }
    if (!err)
        err = log_sync_dir(log);
    if (!err && crash_at(log, "replaced"))
        return SL_ERR_IO;
    if (!err)
        err = rename_seg(log, m[0], ".log.swap", ".log");
    if (err) {
        /* Undone: old names back, then the swap goes (the order open
         * relies on). Indexes are rebuilt when the segments are read. */
        for (size_t j = 1; j < moved; j++)
            rename_seg(log, m[j], ".log.replaced", ".log");
        log_sync_dir(log);
        char swap[PATH_MAX];
        seg_path(log, m[0]->base, ".log.swap", swap, sizeof(swap));
        unlink(swap);
        return err;
    }
    err = log_sync_dir(log);
    if (!err && crash_at(log, "renamed"))
        return SL_ERR_IO;
    for (size_t j = 1; j < g->n; j++) {
        char old[PATH_MAX];
        seg_path(log, m[j]->base, ".log.replaced", old, sizeof(old));
        if (unlink(old) != 0)
            SL_WARN(LOG_MOD, "%s: unlink %s: %s", log->dir, old, strerror(errno));
    }
    sl_err_t err2 = log_sync_dir(log);
    err = err ? err : err2;
    for (size_t j = 1; j < g->n; j++)
        seg_free(m[j]);
    memmove(m + 1, m + g->n, (log->nsegs - k - g->n) * sizeof(*m));
    log->nsegs -= g->n - 1;
    err2 = seg_reload(log, log->segs[k]);
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

/* Where the group's members are in the log, when all are still there as
 * prepare saw them, consecutive and inactive (DeleteRecords or retention
 * may have removed some meanwhile); else SIZE_MAX. */
static size_t group_in_log(const sl_log_t *log, const sl_log_clean_job_t *job, const job_group_t *g)
{
    size_t k = log_find_seg(log, job->segs[g->first].base);
    if (k + g->n >= log->nsegs)
        return SIZE_MAX;
    for (size_t j = 0; j < g->n; j++) {
        const job_seg_t *js = &job->segs[g->first + j];
        const seg_t *seg = log->segs[k + j];
        if (seg->base != js->base || seg->size != js->size)
            return SIZE_MAX;
    }
    return k;
}

sl_err_t clean_install_groups(sl_log_t *log, sl_log_clean_job_t *job, sl_log_clean_info_t *info)
{
    sl_err_t err = SL_OK;
    for (size_t i = 0; !err && i < job->ngroups; i++) {
        job_group_t *g = &job->groups[i];
        size_t k = group_in_log(log, job, g);
        if (k == SIZE_MAX)
            continue;
        for (size_t j = 0; j < g->n; j++)
            info->bytes_before += log->segs[k + j]->size;
        bool built = g->built;
        if (built) {
            g->built = false; /* the job no longer owns the .cleaned file */
            err = install_group(log, g, k);
            info->segments += (int32_t)g->n;
            info->segments_after++;
        } else {
            for (size_t j = 0; !err && j < g->n; j++)
                if (!job->segs[g->first + j].was_clean)
                    err = stamp(log, log->segs[k + j], job->now_ms);
        }
        for (size_t j = 0; j < (built ? 1 : g->n) && k + j < log->nsegs; j++)
            info->bytes_after += log->segs[k + j]->size;
    }
    return err;
}

/* ------------------------------------------------------------------ */
/* Open-time recovery                                                  */

static bool name_is(const char *name, const char *ext, int64_t *base)
{
    size_t n = strlen(name), m = strlen(ext);
    if (n != LOG_NAME_DIGITS + m || strcmp(name + LOG_NAME_DIGITS, ext) != 0)
        return false;
    int64_t v = 0;
    for (int i = 0; i < LOG_NAME_DIGITS; i++) {
        if (name[i] < '0' || name[i] > '9' || v > (INT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (name[i] - '0');
    }
    *base = v;
    return true;
}

sl_err_t clean_recover_swaps(sl_log_t *log)
{
    DIR *d = opendir(log->dir);
    if (!d)
        return log_fail(log, SL_ERR_IO, "opendir: %s", strerror(errno));
    int dfd = dirfd(d);
    /* The swap in progress: groups are installed one at a time, in order. */
    int64_t swap_base = -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        int64_t base;
        if (name_is(de->d_name, ".log.swap", &base) && base > swap_base)
            swap_base = base;
    }
    bool changed = false;
    rewinddir(d);
    while ((de = readdir(d)) != NULL) {
        int64_t base;
        if (!name_is(de->d_name, ".log.replaced", &base))
            continue;
        char to[64];
        seg_name(base, ".log", to, sizeof(to));
        struct stat st;
        /* Only the swap's own members (above its base) come back; one
         * below it was left by a group installed before (its removal
         * failed) and is a leftover. */
        if (swap_base >= 0 && base > swap_base && fstatat(dfd, to, &st, 0) != 0) {
            SL_WARN(LOG_MOD, "%s: undoing a cleaner swap cut short: %s back to %s", log->dir, de->d_name, to);
            if (renameat(dfd, de->d_name, dfd, to) != 0) {
                sl_err_t err = log_fail(log, SL_ERR_IO, "rename %s: %s", de->d_name, strerror(errno));
                closedir(d);
                return err;
            }
        } else {
            SL_WARN(LOG_MOD, "%s: removing %s (its cleaner swap was finished)", log->dir, de->d_name);
            unlinkat(dfd, de->d_name, 0);
        }
        changed = true;
    }
    closedir(d);
    /* The .swap itself is removed afterwards with the other stray files. */
    return changed ? log_sync_dir(log) : SL_OK;
}
