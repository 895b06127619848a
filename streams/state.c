/*
 * state.c - a task's LMDB environment: opening it in the task directory,
 * the one write transaction the task keeps open between commits, growing
 * the map before it fills, wiping a state directory.
 *
 * Durability. The environment is opened MDB_NOSYNC | MDB_NOMETASYNC: a
 * commit reaches the OS page cache but is not fsync'ed. A process crash
 * (kill -9) loses nothing committed; an OS crash may lose the last commits
 * but not corrupt the file (no MDB_WRITEMAP, so LMDB keeps its ordering of
 * data before meta pages). The changelog topic is the durable copy: the
 * task restores from its checkpoint offset, and the checkpoint is written
 * only after a commit, and after sl_state_sync() when the caller wants the
 * checkpoint never ahead of the file even across an OS crash.
 *
 * Damage. LMDB keeps no checksums: a file damaged while the task was
 * stopped could make it fault. A clean close therefore records the file's
 * CRC-32C and size in state.mdb.crc, checked (and removed) by the next
 * open: a mismatch is SL_ERR_IO, and the caller restores from the
 * changelog. After an unclean stop there is no record to check against;
 * LMDB's copy-on-write keeps a crash itself from damaging the file. A file
 * shorter than its meta page says is refused either way.
 *
 * Map size. The map starts at 1 GiB of address space. Without MDB_WRITEMAP
 * LMDB does not extend the file to the map size: the file grows with the
 * data, so the size only reserves virtual addresses. Before each write the
 * store estimates what the transaction needs (a copy-on-write transaction
 * may need twice the pages in use plus what it adds); when that could
 * exceed the map, the transaction is committed early and the map doubled,
 * so MDB_MAP_FULL (which would leave the transaction unusable and lose its
 * writes) is not reached. If it is anyway, the error says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_int.h"

size_t sl_state_map_initial = (size_t)1 << 30;
/* Stores per task: each takes one database, plus "meta". */
#define STATE_MAX_DBS 256
/* Slack for LMDB's own pages (free list, branch pages): an eighth of the
 * map, at most 16 MiB. */
#define STATE_HEADROOM(mapsize) SL_MIN((mapsize) / 8, (size_t)16 << 20)
/* A transaction past this many bytes is committed early: LMDB keeps every
 * dirty page of a transaction in memory until commit. */
#define STATE_TXN_MAX ((size_t)256 << 20)
#define STATE_FILE "state.mdb"
#define STATE_CRC_FILE "state.mdb.crc"

static sl_err_t mkdirs(const char *dir)
{
    char path[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof(path))
        return SL_ERR_INVAL;
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char c = path[i];
        path[i] = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            SL_ERROR(SL_STORE_LOG, "state directory %s: mkdir %s: %s", dir, path, strerror(errno));
            return SL_ERR_IO;
        }
        path[i] = c;
    }
    return SL_OK;
}

/* CRC-32C and size of the file at path. */
static sl_err_t file_crc(const char *path, uint32_t *crc, uint64_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? SL_ERR_NOENT : SL_ERR_IO;
    size_t cap = 1 << 20;
    uint8_t *buf = malloc(cap);
    sl_err_t err = buf ? SL_OK : SL_ERR_NOMEM;
    *crc = 0;
    *size = 0;
    while (!err) {
        ssize_t n = read(fd, buf, cap);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            err = SL_ERR_IO;
        if (n <= 0)
            break;
        *crc = sl_crc32c(*crc, buf, (size_t)n);
        *size += (uint64_t)n;
    }
    free(buf);
    close(fd);
    return err;
}

/* Checks the file against the record of its last clean close, then
 * removes the record (the file is about to change). */
static sl_err_t crc_check(const char *dir)
{
    char path[4096], crcpath[4096];
    snprintf(path, sizeof(path), "%s/" STATE_FILE, dir);
    snprintf(crcpath, sizeof(crcpath), "%s/" STATE_CRC_FILE, dir);
    FILE *fp = fopen(crcpath, "re");
    if (!fp)
        return errno == ENOENT ? SL_OK : SL_ERR_IO;
    unsigned int want_crc = 0;
    unsigned long long want_size = 0;
    int n = fscanf(fp, "crc32c %x size %llu", &want_crc, &want_size);
    fclose(fp);
    uint32_t crc;
    uint64_t size;
    sl_err_t err = file_crc(path, &crc, &size);
    if (n != 2 || err || crc != want_crc || size != want_size) {
        SL_ERROR(SL_STORE_LOG, "state %s: " STATE_FILE " does not match the checksum of its last clean close "
                 "(%s): damaged", dir, n != 2 ? "unreadable record" : err ? sl_err_str(err) : "checksum or size");
        return SL_ERR_IO;
    }
    if (unlink(crcpath) != 0) {
        SL_ERROR(SL_STORE_LOG, "state %s: remove %s: %s", dir, crcpath, strerror(errno));
        return SL_ERR_IO;
    }
    return SL_OK;
}

/* Records the closed file's checksum (best effort: without it the next open
 * just cannot check). */
static void crc_record(const char *dir)
{
    char path[4096], crcpath[4096], tmp[4096];
    snprintf(path, sizeof(path), "%s/" STATE_FILE, dir);
    snprintf(crcpath, sizeof(crcpath), "%s/" STATE_CRC_FILE, dir);
    snprintf(tmp, sizeof(tmp), "%s/" STATE_CRC_FILE ".tmp", dir);
    uint32_t crc;
    uint64_t size;
    if (file_crc(path, &crc, &size) != SL_OK)
        return;
    FILE *fp = fopen(tmp, "we");
    if (!fp)
        return;
    bool ok = fprintf(fp, "crc32c %08x size %llu\n", (unsigned)crc, (unsigned long long)size) > 0;
    ok = fflush(fp) == 0 && ok;
    ok = fsync(fileno(fp)) == 0 && ok;
    ok = fclose(fp) == 0 && ok;
    if (!ok || rename(tmp, crcpath) != 0) {
        SL_WARN(SL_STORE_LOG, "state %s: no checksum recorded at close: %s", dir, strerror(errno));
        unlink(tmp);
    }
}

sl_err_t sl_state_fail(sl_state_t *st, int rc, const char *what, const char *name)
{
    SL_ERROR(SL_STORE_LOG, "state %s%s%s: %s: %s%s", st->dir, name ? " store " : "", name ? name : "", what,
             mdb_strerror(rc),
             rc == MDB_MAP_FULL ? " (uncommitted state changes are lost; the task must restore)" : "");
    if (st->txn) {
        mdb_txn_abort(st->txn);
        st->txn = NULL;
        st->broken = true;
    }
    return SL_ERR_IO;
}

static size_t used_bytes(sl_state_t *st)
{
    MDB_envinfo info;
    MDB_stat stat;
    if (mdb_env_info(st->env, &info) != 0 || mdb_env_stat(st->env, &stat) != 0)
        return st->mapsize;
    st->mapsize = info.me_mapsize;
    return (info.me_last_pgno + 1) * (size_t)stat.ms_psize;
}

/* A kept read snapshot would stop LMDB from reusing the pages later
 * commits free, and goes stale at a commit: it is dropped whenever a write
 * starts or commits, except under an open cursor (a scan's callback
 * writing; then at the next read after the scan). */
static void rtxn_reset(sl_state_t *st)
{
    if (st->rtxn && st->rtxn_live && !st->iterating) {
        mdb_txn_reset(st->rtxn);
        st->rtxn_live = false;
    }
}

sl_err_t sl_state_txn(sl_state_t *st, MDB_txn **out)
{
    if (st->broken) {
        SL_ERROR(SL_STORE_LOG, "state %s: unusable after a failed transaction", st->dir);
        return SL_ERR_IO;
    }
    if (!st->txn) {
        rtxn_reset(st);
        st->used_at_begin = used_bytes(st);
        st->txn_bytes = 0;
        int rc = mdb_txn_begin(st->env, NULL, 0, &st->txn);
        if (rc != 0) {
            st->txn = NULL;
            return sl_state_fail(st, rc, "begin transaction", NULL);
        }
    }
    *out = st->txn;
    return SL_OK;
}

sl_err_t sl_state_read_txn(sl_state_t *st, MDB_txn **out, bool *temp)
{
    *temp = false;
    if (st->txn || st->broken)
        return sl_state_txn(st, out);
    /* No write transaction open: read-only, so a reader (e.g. an
     * interactive query on another thread) never takes the writer lock
     * that the task's thread would later have to release. */
    int rc = 0;
    if (st->rtxn_gen != st->commits)
        rtxn_reset(st);
    if (!st->rtxn)
        rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &st->rtxn);
    else if (!st->rtxn_live)
        rc = mdb_txn_renew(st->rtxn);
    if (rc != 0) {
        if (st->rtxn)
            mdb_txn_abort(st->rtxn);
        st->rtxn = NULL;
        st->rtxn_live = false;
        return sl_state_fail(st, rc, "begin read transaction", NULL);
    }
    if (!st->rtxn_live)
        st->rtxn_gen = st->commits;
    st->rtxn_live = true;
    *out = st->rtxn;
    *temp = true;
    return SL_OK;
}

void sl_state_read_end(MDB_txn *txn, bool temp)
{
    SL_UNUSED(txn);
    SL_UNUSED(temp); /* kept until the next write or commit */
}

/* What a transaction may need: every page in use copied once, plus the
 * new data with its page overhead. */
static size_t state_need(size_t used, size_t txn_bytes, size_t mapsize)
{
    return 2 * used + 4 * txn_bytes + STATE_HEADROOM(mapsize);
}

sl_err_t sl_state_reserve(sl_state_t *st, size_t n)
{
    st->txn_bytes += n + 64;
    if (st->iterating || (state_need(st->used_at_begin, st->txn_bytes, st->mapsize) <= st->mapsize &&
                          st->txn_bytes <= STATE_TXN_MAX))
        return SL_OK;
    if (st->txn) {
        sl_err_t err = sl_state_commit(st);
        if (err)
            return err;
    }
    size_t used = used_bytes(st);
    size_t size = st->mapsize;
    while (state_need(used, n + 64, size) * 2 > size)
        size *= 2;
    if (size != st->mapsize) {
        rtxn_reset(st); /* no transaction may be active while the map moves */
        int rc = mdb_env_set_mapsize(st->env, size);
        if (rc != 0)
            return sl_state_fail(st, rc, "grow the map", NULL);
        SL_INFO(SL_STORE_LOG, "state %s: map grown to %zu MiB (%zu MiB in use)", st->dir, size >> 20,
                used >> 20);
        st->mapsize = size;
    }
    return SL_OK;
}

sl_err_t sl_state_open(const char *dir, sl_state_t **out)
{
    *out = NULL;
    sl_state_t *st = calloc(1, sizeof(*st));
    if (!st)
        return SL_ERR_NOMEM;
    st->lock_fd = -1;
    sl_list_init(&st->stores);
    st->dir = strdup(dir);
    if (!st->dir) {
        free(st);
        return SL_ERR_NOMEM;
    }
    char path[4096];
    sl_err_t err = mkdirs(dir);
    if (err)
        goto fail;
    /* LMDB does not stop a second opener in the same or another process
     * (two environments on one file in a process is undefined): a lock on
     * the directory does, as Kafka Streams' state directory lock. */
    if ((size_t)snprintf(path, sizeof(path), "%s/.lock", dir) >= sizeof(path)) {
        err = SL_ERR_INVAL;
        goto fail;
    }
    st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (st->lock_fd < 0 || flock(st->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        SL_ERROR(SL_STORE_LOG, "state %s: lock %s: %s", dir, path,
                 errno == EWOULDBLOCK ? "the directory is in use by another task or process" : strerror(errno));
        err = SL_ERR_IO;
        goto fail;
    }
    if ((err = crc_check(dir)) != SL_OK)
        goto fail;
    snprintf(path, sizeof(path), "%s/" STATE_FILE, dir);
    int rc = mdb_env_create(&st->env);
    if (rc == 0)
        rc = mdb_env_set_maxdbs(st->env, STATE_MAX_DBS);
    if (rc == 0)
        rc = mdb_env_set_mapsize(st->env, sl_state_map_initial);
    if (rc == 0)
        rc = mdb_env_open(st->env, path,
                          MDB_NOSUBDIR | MDB_NOSYNC | MDB_NOMETASYNC | MDB_NORDAHEAD | MDB_NOTLS, 0644);
    if (rc != 0) {
        err = sl_state_fail(st, rc, "open " STATE_FILE, NULL);
        goto fail;
    }
    st->mapsize = sl_state_map_initial;
    /* LMDB trusts its meta page: pages past the end of a truncated file
     * would fault when touched, so a file shorter than its meta says is
     * refused here. */
    struct stat sb;
    size_t used = used_bytes(st); /* also the file's own map size */
    if (stat(path, &sb) != 0 || (size_t)sb.st_size < used) {
        SL_ERROR(SL_STORE_LOG, "state %s: " STATE_FILE " is %lld bytes, shorter than the %zu its meta page claims",
                 dir, (long long)sb.st_size, used);
        err = SL_ERR_IO;
        goto fail;
    }
    MDB_txn *txn;
    if ((err = sl_state_txn(st, &txn)) != SL_OK)
        goto fail;
    rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &st->meta);
    if (rc != 0) {
        err = sl_state_fail(st, rc, "open the meta database", NULL);
        goto fail;
    }
    if ((err = sl_state_commit(st)) != SL_OK)
        goto fail;
    st->opened = true;
    *out = st;
    return SL_OK;
fail:
    sl_state_close(st);
    return err;
}

sl_err_t sl_state_commit(sl_state_t *st)
{
    if (st->broken) {
        SL_ERROR(SL_STORE_LOG, "state %s: unusable after a failed transaction", st->dir);
        return SL_ERR_IO;
    }
    if (!st->txn)
        return SL_OK;
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &st->stores) {
        sl_err_t err = sl_store_save_meta(sl_container_of(pos, sl_store_t, link), st->txn);
        if (err)
            return err;
    }
    int rc = mdb_txn_commit(st->txn);
    st->txn = NULL;
    st->commits++;
    rtxn_reset(st);
    if (rc != 0) {
        st->broken = true;
        return sl_state_fail(st, rc, "commit", NULL);
    }
    return SL_OK;
}

sl_err_t sl_state_sync(sl_state_t *st)
{
    int rc = mdb_env_sync(st->env, 1);
    return rc ? sl_state_fail(st, rc, "sync", NULL) : SL_OK;
}

void sl_state_close(sl_state_t *st)
{
    if (!st)
        return;
    if (st->txn)
        mdb_txn_abort(st->txn);
    if (st->rtxn)
        mdb_txn_abort(st->rtxn);
    /* the file as the last commit left it, on disk before its checksum */
    bool record = st->opened && !st->broken && mdb_env_sync(st->env, 1) == 0;
    if (st->env)
        mdb_env_close(st->env);
    if (record)
        crc_record(st->dir);
    if (st->lock_fd >= 0)
        close(st->lock_fd);
    free(st->dir);
    free(st);
}

static int wipe_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    SL_UNUSED(sb);
    SL_UNUSED(ftw);
    int rc = flag == FTW_DP ? rmdir(path) : unlink(path);
    if (rc != 0 && errno != ENOENT) {
        SL_ERROR(SL_STORE_LOG, "wipe %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

sl_err_t sl_state_wipe(const char *dir)
{
    struct stat sb;
    if (lstat(dir, &sb) != 0)
        return errno == ENOENT ? SL_OK : SL_ERR_IO;
    return nftw(dir, wipe_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? SL_OK : SL_ERR_IO;
}
