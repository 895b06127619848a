/*
 * producer_ids.c - producer id allocation: blocks of SL_PRODUCER_ID_BLOCK
 * ids, the start of the next unused block persisted in
 * <log dir>/.sluice/producer_ids before an id of the current block is
 * handed out, so no id is handed out twice across restarts; and the
 * SLUICE_TEST_DROP_AFTER_APPEND test hook's counter.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "producer_int.h"

static pthread_mutex_t ids_mu = PTHREAD_MUTEX_INITIALIZER;
static char ids_dir[4096]; /* the log dir the block below belongs to */
static int64_t ids_next;   /* next id to hand out */
static int64_t ids_end;    /* end of the persisted block (exclusive) */

/* Reads the persisted next block start (0 when the file is missing). */
static sl_err_t read_next(const char *path, int64_t *out)
{
    *out = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return SL_OK;
        SL_ERROR(SL_BROKER_LOG, "%s: %s", path, strerror(errno));
        return SL_ERR_IO;
    }
    char line[64] = "";
    bool got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    char *end = NULL;
    errno = 0;
    long long v = got ? strtoll(line, &end, 10) : -1;
    if (!got || errno || end == line || (*end != '\n' && *end != '\0') || v < 0) {
        SL_ERROR(SL_BROKER_LOG, "%s: not a producer id block start", path);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    *out = v;
    return SL_OK;
}

/* Writes value to path atomically (tmp file, fsync, rename, fsync dir). */
static sl_err_t write_next(const char *dir, const char *path, int64_t value)
{
    char tmp[4200];
    int len = snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (len < 0 || (size_t)len >= sizeof tmp) {
        SL_ERROR(SL_BROKER_LOG, "%s: path too long for its temporary file", path);
        return SL_ERR_IO;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        goto fail;
    char line[32];
    int n = snprintf(line, sizeof line, "%lld\n", (long long)value);
    if (write(fd, line, (size_t)n) != n || fsync(fd) != 0) {
        close(fd);
        goto fail;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0)
        goto fail;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return SL_OK;
fail:
    SL_ERROR(SL_BROKER_LOG, "%s: %s", tmp, strerror(errno));
    unlink(tmp);
    return SL_ERR_IO;
}

sl_err_t sl_producer_id_next(const char *log_dir, int64_t *out)
{
    sl_err_t err = SL_OK;
    pthread_mutex_lock(&ids_mu);
    if (strcmp(ids_dir, log_dir) != 0) {
        /* Another broker in this process (tests): start from its file. */
        snprintf(ids_dir, sizeof ids_dir, "%s", log_dir);
        ids_next = ids_end = 0;
    }
    if (ids_next >= ids_end) {
        char dir[4150], path[4200];
        snprintf(dir, sizeof dir, "%s/.sluice", log_dir);
        snprintf(path, sizeof path, "%s/producer_ids", dir);
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            SL_ERROR(SL_BROKER_LOG, "%s: %s", dir, strerror(errno));
            err = SL_ERR_IO;
        }
        int64_t start = 0;
        if (err == SL_OK)
            err = read_next(path, &start);
        if (err == SL_OK && start > INT64_MAX - SL_PRODUCER_ID_BLOCK) {
            SL_ERROR(SL_BROKER_LOG, "%s: producer ids exhausted", path);
            err = SL_ERR_IO;
        }
        if (err == SL_OK)
            err = write_next(dir, path, start + SL_PRODUCER_ID_BLOCK);
        if (err == SL_OK) {
            ids_next = start;
            ids_end = start + SL_PRODUCER_ID_BLOCK;
        } else {
            ids_dir[0] = '\0'; /* read the file again next time */
        }
    }
    if (err == SL_OK)
        *out = ids_next++;
    pthread_mutex_unlock(&ids_mu);
    return err;
}

/* ---- test hook ---- */

static pthread_once_t hook_once = PTHREAD_ONCE_INIT;
static long hook_every; /* 0: off */
static atomic_long hook_count;

static void hook_read(void)
{
    const char *v = getenv("SLUICE_TEST_DROP_AFTER_APPEND");
    if (!v || !*v)
        return;
    char *end = NULL;
    long n = strtol(v, &end, 10);
    if (*end != '\0' || n < 1) {
        SL_WARN(SL_BROKER_LOG, "SLUICE_TEST_DROP_AFTER_APPEND=%s ignored (wants a count >= 1)", v);
        return;
    }
    hook_every = n;
    SL_WARN(SL_BROKER_LOG, "TEST HOOK: SLUICE_TEST_DROP_AFTER_APPEND=%ld: every %ldth produce that appends is "
                           "answered by closing its connection", n, n);
}

bool sl_producer_test_drop_now(void)
{
    pthread_once(&hook_once, hook_read);
    if (hook_every == 0)
        return false;
    return (atomic_fetch_add(&hook_count, 1) + 1) % hook_every == 0;
}
