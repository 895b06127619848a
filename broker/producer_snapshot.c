/*
 * producer_snapshot.c - the producer state's snapshot files: the versioned,
 * CRC-checked layout (producer_int.h, "Snapshots"), written atomically and
 * read without trusting a byte of it, and the directory work around them
 * (newest usable first, older ones removed, those above the log end
 * pruned).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "producer_int.h"

#define SNAP_VERSION 2      /* 2 adds the open transaction; 1 is still read */
#define SNAP_SUFFIX ".snapshot"
#define SNAP_CRC_END 10      /* magic, version, crc: the CRC covers what follows */
#define SNAP_ENTRY_MIN 19    /* id, epoch, timestamp, batch count */
#define SNAP_BATCH_SIZE 24

static const uint8_t snap_magic[4] = {'S', 'L', 'P', 'S'};

sl_err_t sl_producer_snapshot_encode(const sl_producer_state_t *st, int64_t offset, sl_buf_t *out)
{
    size_t start = out->len;
    sl_buf_put(out, snap_magic, sizeof snap_magic);
    sl_buf_put_i16(out, SNAP_VERSION);
    sl_buf_put_u32(out, 0); /* the CRC, patched below */
    sl_buf_put_i64(out, offset);
    sl_buf_put_i32(out, (int32_t)sl_map_count(&st->producers));
    size_t it = 0;
    const void *key;
    size_t klen;
    void *val;
    while (sl_map_next(&st->producers, &it, &key, &klen, &val)) {
        const sl_producer_entry_t *e = val;
        sl_buf_put_i64(out, e->producer_id);
        sl_buf_put_i16(out, e->epoch);
        sl_buf_put_i64(out, e->last_ts);
        sl_buf_put_i64(out, e->txn_first_offset);
        sl_buf_put_i32(out, e->coordinator_epoch);
        sl_buf_put_i8(out, (int8_t)e->nbatches);
        for (int i = 0; i < e->nbatches; i++) {
            sl_buf_put_i32(out, e->batches[i].first_seq);
            sl_buf_put_i32(out, e->batches[i].last_seq);
            sl_buf_put_i64(out, e->batches[i].first_offset);
            sl_buf_put_i64(out, e->batches[i].last_offset);
        }
    }
    if (sl_buf_err(out) != SL_OK)
        return SL_ERR_NOMEM;
    uint32_t crc = sl_crc32c(0, out->data + start + SNAP_CRC_END, out->len - start - SNAP_CRC_END);
    sl_buf_set_u32(out, start + 6, crc);
    return SL_OK;
}

/* Reads one entry; false (why filled) when its fields do not hold up. */
static bool decode_entry(sl_rd_t *rd, int16_t version, int64_t snap_offset, sl_producer_entry_t *e, char *why,
                         size_t whylen)
{
    e->producer_id = sl_rd_i64(rd);
    e->epoch = sl_rd_i16(rd);
    e->last_ts = sl_rd_i64(rd);
    e->txn_first_offset = version >= 2 ? sl_rd_i64(rd) : -1;
    e->coordinator_epoch = version >= 2 ? sl_rd_i32(rd) : -1;
    int n = sl_rd_i8(rd);
    if (!sl_rd_ok(rd)) {
        snprintf(why, whylen, "truncated producer entry");
        return false;
    }
    if (e->txn_first_offset < -1 || e->txn_first_offset >= snap_offset) {
        snprintf(why, whylen, "producer %" PRId64 ": open transaction at %" PRId64 " not below the snapshot offset",
                 e->producer_id, e->txn_first_offset);
        return false;
    }
    if (e->producer_id < 0 || n < 0 || n > SL_PRODUCER_MAX_BATCHES) {
        snprintf(why, whylen, "producer %" PRId64 " with %d batches", e->producer_id, n);
        return false;
    }
    e->nbatches = n;
    for (int i = 0; i < n; i++) {
        sl_producer_batch_t *b = &e->batches[i];
        b->first_seq = sl_rd_i32(rd);
        b->last_seq = sl_rd_i32(rd);
        b->first_offset = sl_rd_i64(rd);
        b->last_offset = sl_rd_i64(rd);
        if (!sl_rd_ok(rd)) {
            snprintf(why, whylen, "truncated batch of producer %" PRId64, e->producer_id);
            return false;
        }
        if (b->first_offset < 0 || b->last_offset < b->first_offset || b->last_offset >= snap_offset ||
            (i > 0 && b->first_offset <= e->batches[i - 1].last_offset)) {
            snprintf(why, whylen, "producer %" PRId64 ": batch offsets %" PRId64 "-%" PRId64 " out of order or "
                     "not below the snapshot offset", e->producer_id, b->first_offset, b->last_offset);
            return false;
        }
    }
    return true;
}

sl_err_t sl_producer_snapshot_decode(sl_producer_state_t *st, const uint8_t *p, size_t len, int64_t *offset,
                                     char *why, size_t whylen)
{
    *offset = -1;
    if (whylen)
        why[0] = '\0';
    sl_rd_t rd;
    sl_rd_init(&rd, p, len);
    const uint8_t *magic = sl_rd_take(&rd, sizeof snap_magic);
    int16_t version = sl_rd_i16(&rd);
    uint32_t crc = sl_rd_u32(&rd);
    if (!sl_rd_ok(&rd) || memcmp(magic, snap_magic, sizeof snap_magic) != 0) {
        snprintf(why, whylen, "not a producer snapshot (%zu bytes)", len);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    if (version != 1 && version != SNAP_VERSION) {
        snprintf(why, whylen, "unknown snapshot version %d", version);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    uint32_t got = sl_crc32c(0, p + SNAP_CRC_END, len - SNAP_CRC_END);
    if (got != crc) {
        snprintf(why, whylen, "CRC mismatch (stored %08" PRIx32 ", computed %08" PRIx32 ")", crc, got);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    int64_t off = sl_rd_i64(&rd);
    int32_t count = sl_rd_i32(&rd);
    if (!sl_rd_ok(&rd) || off < 0 || count < 0 || (size_t)count > sl_rd_left(&rd) / SNAP_ENTRY_MIN) {
        snprintf(why, whylen, "bad header (offset %" PRId64 ", %" PRId32 " producers in %zu bytes)", off, count,
                 sl_rd_left(&rd));
        return SL_ERR_CORRUPT_MESSAGE;
    }
    sl_err_t err = SL_OK;
    for (int32_t i = 0; i < count && err == SL_OK; i++) {
        sl_producer_entry_t *e = calloc(1, sizeof *e);
        if (!e) {
            err = SL_ERR_NOMEM;
        } else if (!decode_entry(&rd, version, off, e, why, whylen)) {
            err = SL_ERR_CORRUPT_MESSAGE;
        } else if (sl_map_get(&st->producers, &e->producer_id, sizeof e->producer_id)) {
            snprintf(why, whylen, "producer %" PRId64 " listed twice", e->producer_id);
            err = SL_ERR_CORRUPT_MESSAGE;
        } else if (sl_map_put(&st->producers, &e->producer_id, sizeof e->producer_id, e, NULL) != SL_OK) {
            err = SL_ERR_NOMEM;
        } else {
            if (e->txn_first_offset >= 0)
                st->open_txns++;
            e = NULL;
        }
        free(e);
    }
    if (err == SL_OK && sl_rd_left(&rd) != 0) {
        snprintf(why, whylen, "%zu bytes after the last producer", sl_rd_left(&rd));
        err = SL_ERR_CORRUPT_MESSAGE;
    }
    if (err != SL_OK) {
        sl_producer_state_fini(st);
        sl_producer_state_init(st);
        return err;
    }
    *offset = off;
    return SL_OK;
}

/* ---- files ---- */

static bool snap_name_parse(const char *name, int64_t *offset)
{
    if (strlen(name) != 20 + strlen(SNAP_SUFFIX) || strcmp(name + 20, SNAP_SUFFIX) != 0)
        return false;
    int64_t v = 0;
    for (int i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9' || v > (INT64_MAX - (name[i] - '0')) / 10)
            return false;
        v = v * 10 + (name[i] - '0');
    }
    *offset = v;
    return true;
}

static bool snap_path(const char *dir, int64_t offset, const char *ext, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "%s/%020" PRId64 SNAP_SUFFIX "%s", dir, offset, ext);
    if (n < 0 || (size_t)n >= outlen) {
        SL_ERROR(SL_BROKER_LOG, "%s: path too long for a producer snapshot", dir);
        return false;
    }
    return true;
}

static int cmp_desc(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The snapshot offsets in dir, newest first (*offs malloc'ed, caller frees);
 * leftover .tmp files are removed on the way. SL_OK, SL_ERR_IO, SL_ERR_NOMEM. */
static sl_err_t snap_list(const char *dir, int64_t **offs, size_t *n)
{
    *offs = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        SL_ERROR(SL_BROKER_LOG, "%s: cannot list producer snapshots: %s", dir, strerror(errno));
        return SL_ERR_IO;
    }
    size_t cap = 0;
    sl_err_t err = SL_OK;
    struct dirent *de;
    while (err == SL_OK && (de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name), tmplen = strlen(SNAP_SUFFIX ".tmp");
        int64_t off;
        if (len > tmplen && strcmp(de->d_name + len - tmplen, SNAP_SUFFIX ".tmp") == 0) {
            SL_WARN(SL_BROKER_LOG, "%s: removing unfinished producer snapshot %s", dir, de->d_name);
            unlinkat(dirfd(d), de->d_name, 0);
            continue;
        }
        if (!snap_name_parse(de->d_name, &off))
            continue;
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            int64_t *grown = realloc(*offs, ncap * sizeof *grown);
            if (!grown) {
                err = SL_ERR_NOMEM;
                break;
            }
            *offs = grown;
            cap = ncap;
        }
        (*offs)[(*n)++] = off;
    }
    closedir(d);
    if (err != SL_OK) {
        free(*offs);
        *offs = NULL;
        *n = 0;
        return err;
    }
    if (*n > 1)
        qsort(*offs, *n, sizeof **offs, cmp_desc);
    return SL_OK;
}

/* why NULL: routine, not logged. */
static void snap_remove(const char *dir, int64_t offset, const char *why)
{
    char path[4400];
    if (!snap_path(dir, offset, "", path, sizeof path))
        return;
    if (unlink(path) == 0 && why)
        SL_INFO(SL_BROKER_LOG, "%s: removed producer snapshot %020" PRId64 SNAP_SUFFIX " (%s)", dir, offset, why);
    else if (errno != ENOENT)
        SL_WARN(SL_BROKER_LOG, "%s: unlink: %s", path, strerror(errno));
}

static void sync_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

static bool write_all(int fd, const uint8_t *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        len -= (size_t)w;
    }
    return true;
}

sl_err_t sl_producer_snapshot_write(const char *dir, const sl_producer_state_t *st, int64_t offset)
{
    char path[4400], tmp[4400];
    if (!snap_path(dir, offset, "", path, sizeof path) || !snap_path(dir, offset, ".tmp", tmp, sizeof tmp))
        return SL_ERR_IO;
    sl_buf_t buf;
    sl_buf_init(&buf);
    sl_err_t err = sl_producer_snapshot_encode(st, offset, &buf);
    if (err != SL_OK) {
        sl_buf_free(&buf);
        return err;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool ok = fd >= 0 && write_all(fd, buf.data, buf.len) && fsync(fd) == 0;
    int saved = errno;
    if (fd >= 0 && close(fd) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = false;
        saved = errno;
    }
    sl_buf_free(&buf);
    if (!ok) {
        SL_ERROR(SL_BROKER_LOG, "%s: cannot write the producer snapshot: %s", tmp, strerror(saved));
        unlink(tmp);
        return SL_ERR_IO;
    }
    sync_dir(dir);
    /* Keep this one and the newest below it; anything above it cannot be
     * right (the state is written at the log end). */
    int64_t *offs;
    size_t n;
    if (snap_list(dir, &offs, &n) == SL_OK) {
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) {
            if (offs[i] > offset)
                snap_remove(dir, offs[i], "above the log end");
            else if (kept < SL_PRODUCER_SNAPSHOTS_KEPT)
                kept++;
            else
                snap_remove(dir, offs[i], NULL);
        }
        free(offs);
    }
    return SL_OK;
}

/* Reads path whole into a malloc'ed buffer. SL_OK; SL_ERR_IO (logged);
 * SL_ERR_CORRUPT_MESSAGE (too large, why filled); SL_ERR_NOMEM. */
static sl_err_t read_file(const char *path, uint8_t **out, size_t *len, char *why, size_t whylen)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        SL_WARN(SL_BROKER_LOG, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return SL_ERR_IO;
    }
    if (!S_ISREG(sb.st_mode) || sb.st_size > SL_PRODUCER_SNAPSHOT_MAX_BYTES) {
        snprintf(why, whylen, "not a regular file of at most %" PRId64 " bytes", SL_PRODUCER_SNAPSHOT_MAX_BYTES);
        close(fd);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    size_t size = (size_t)sb.st_size;
    uint8_t *p = malloc(size ? size : 1);
    if (!p) {
        close(fd);
        return SL_ERR_NOMEM;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, p + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            SL_WARN(SL_BROKER_LOG, "%s: read: %s", path, strerror(errno));
            free(p);
            close(fd);
            return SL_ERR_IO;
        }
        if (r == 0)
            break; /* shrank meanwhile: the decoder sees a short file */
        got += (size_t)r;
    }
    close(fd);
    *out = p;
    *len = got;
    return SL_OK;
}

sl_err_t sl_producer_snapshot_read_newest(const char *dir, sl_producer_state_t *st, int64_t min_offset,
                                          int64_t max_offset, int64_t *offset)
{
    *offset = -1;
    int64_t *offs;
    size_t n;
    sl_err_t err = snap_list(dir, &offs, &n);
    if (err != SL_OK)
        return err;
    for (size_t i = 0; i < n && err == SL_OK; i++) {
        if (offs[i] > max_offset || offs[i] < min_offset)
            continue;
        char path[4400], why[200] = "";
        if (!snap_path(dir, offs[i], "", path, sizeof path))
            break;
        uint8_t *data;
        size_t len;
        int64_t said = -1;
        err = read_file(path, &data, &len, why, sizeof why);
        if (err == SL_OK) {
            err = sl_producer_snapshot_decode(st, data, len, &said, why, sizeof why);
            free(data);
        }
        if (err == SL_OK && said != offs[i]) {
            snprintf(why, sizeof why, "it says offset %" PRId64, said);
            sl_producer_state_fini(st);
            sl_producer_state_init(st);
            err = SL_ERR_CORRUPT_MESSAGE;
        }
        if (err == SL_OK) {
            *offset = said;
        } else if (err == SL_ERR_CORRUPT_MESSAGE) {
            SL_WARN(SL_BROKER_LOG, "%s: damaged producer snapshot ignored and removed: %s", path, why);
            unlink(path);
            err = SL_OK;
        } else if (err == SL_ERR_IO) {
            err = SL_OK; /* logged; an older one may read */
        }
        if (*offset >= 0)
            break;
    }
    free(offs);
    return err;
}

sl_err_t sl_producer_snapshot_prune(const char *dir, int64_t max_offset)
{
    int64_t *offs;
    size_t n;
    sl_err_t err = snap_list(dir, &offs, &n);
    if (err != SL_OK)
        return err == SL_ERR_NOMEM ? SL_ERR_NOMEM : SL_ERR_IO;
    bool removed = false;
    for (size_t i = 0; i < n; i++) {
        if (offs[i] > max_offset) {
            snap_remove(dir, offs[i], max_offset < 0 ? "a new partition" : "above the log end");
            removed = true;
        }
    }
    free(offs);
    if (removed)
        sync_dir(dir);
    return SL_OK;
}
