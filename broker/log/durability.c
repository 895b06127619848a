/*
 * durability.c - what reaches the disk when, beyond the active segment's
 * flush: a roll leaves the fsync of the segment it closes to a later call
 * (as Kafka's roll schedules the old segment's flush), so the append path
 * never waits for the writeback of a whole segment; the recovery point
 * (recovery-point-offset-checkpoint, "0\n<offset>\n") says below which
 * offset every segment is on disk, and an unclean open fully recovers every
 * segment at or above it, or every segment when there is no file (log.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log_int.h"

/* fdatasync of a segment file by name (its descriptor may be closed): a
 * file that is gone (retention, the cleaner) needs nothing. */
static sl_err_t sync_path(const char *path, int *err_no)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return SL_OK;
        *err_no = errno;
        return SL_ERR_IO;
    }
    int rc = fdatasync(fd);
    *err_no = errno;
    close(fd);
    return rc == 0 ? SL_OK : SL_ERR_IO;
}

static bool seg_pending(const seg_t *seg) { return seg->unsynced || seg->idx_unsynced; }

int64_t log_recovery_point_calc(const sl_log_t *log)
{
    for (size_t i = 0; i + 1 < log->nsegs; i++)
        if (seg_pending(log->segs[i]))
            return log->segs[i]->base;
    return log_active(log)->base;
}

sl_err_t log_recovery_point_store(sl_log_t *log)
{
    int64_t rp = log_recovery_point_calc(log);
    log->rolled_unsynced = rp < log_active(log)->base;
    /* No file means "recover every segment": as good as a point at the
     * first segment, so a log that never had a second one writes none. */
    int64_t cur = log->recovery_point >= 0 ? log->recovery_point : log->segs[0]->base;
    if (rp == cur)
        return SL_OK;
    sl_err_t err = log_offset_file_write(log, LOG_RECOVERY_POINT_NAME, rp);
    if (!err)
        log->recovery_point = rp;
    return err;
}

/* The three files of one rolled segment, as the job syncs them. */
static const char *const seg_exts[] = {".log", ".index", ".timeindex"};

sl_err_t log_sync_rolled_now(sl_log_t *log)
{
    for (size_t i = 0; i + 1 < log->nsegs; i++) {
        seg_t *seg = log->segs[i];
        if (!seg_pending(seg))
            continue;
        for (size_t k = 0; k < SL_ARRAY_LEN(seg_exts); k++) {
            char path[PATH_MAX];
            int e = 0;
            seg_path(log, seg->base, seg_exts[k], path, sizeof(path));
            if (sync_path(path, &e) != SL_OK)
                return log_fail_errno(log, seg, seg_exts[k], "fsync", e);
        }
        seg->unsynced = seg->idx_unsynced = false;
    }
    return log_recovery_point_store(log);
}

struct sl_log_sync_job {
    char *dir;
    int64_t *bases;
    size_t n;
    char errmsg[320];
};

sl_err_t sl_log_sync_prepare(sl_log_t *log, sl_log_sync_job_t **out)
{
    *out = NULL;
    if (!log->rolled_unsynced)
        return SL_OK;
    size_t n = 0;
    for (size_t i = 0; i + 1 < log->nsegs; i++)
        n += seg_pending(log->segs[i]);
    if (n == 0)
        return log_recovery_point_store(log);
    sl_log_sync_job_t *job = calloc(1, sizeof(*job));
    if (!job || !(job->dir = strdup(log->dir)) || !(job->bases = malloc(n * sizeof(*job->bases)))) {
        sl_log_sync_job_free(job);
        return SL_ERR_NOMEM;
    }
    for (size_t i = 0; i + 1 < log->nsegs; i++)
        if (seg_pending(log->segs[i]))
            job->bases[job->n++] = log->segs[i]->base;
    *out = job;
    return SL_OK;
}

sl_err_t sl_log_sync_run(sl_log_sync_job_t *job)
{
    for (size_t i = 0; i < job->n; i++) {
        for (size_t k = 0; k < SL_ARRAY_LEN(seg_exts); k++) {
            char path[PATH_MAX], name[64];
            seg_name(job->bases[i], seg_exts[k], name, sizeof(name));
            snprintf(path, sizeof(path), "%s/%s", job->dir, name);
            int e = 0;
            if (sync_path(path, &e) != SL_OK) {
                snprintf(job->errmsg, sizeof(job->errmsg), "%s: fsync: %s", name, strerror(e));
                return SL_ERR_IO;
            }
        }
    }
    return SL_OK;
}

const char *sl_log_sync_errmsg(const sl_log_sync_job_t *job) { return job->errmsg; }

sl_err_t sl_log_sync_finish(sl_log_t *log, sl_log_sync_job_t *job)
{
    log->errmsg[0] = '\0';
    /* Segments still here under the same base were synced by the job (a
     * rolled segment takes no more appends; one the cleaner rewrote
     * meanwhile was fsynced by the cleaner). */
    for (size_t i = 0, j = 0; i + 1 < log->nsegs && j < job->n; i++) {
        seg_t *seg = log->segs[i];
        while (j < job->n && job->bases[j] < seg->base)
            j++;
        if (j < job->n && job->bases[j] == seg->base)
            seg->unsynced = seg->idx_unsynced = false;
    }
    return log_recovery_point_store(log);
}

void sl_log_sync_job_free(sl_log_sync_job_t *job)
{
    if (!job)
        return;
    free(job->dir);
    free(job->bases);
    free(job);
}
