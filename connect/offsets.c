/*
 * offsets.c - the standalone worker's source offsets in a local file
 * (Kafka's offset.storage.file.filename), as one JSON object
 * {"<connector>": {"<source partition>": "<source offset>"}}. Saving writes
 * a temporary file, fsyncs it and renames it over the old one, so a crash
 * leaves either the old or the new file, never a torn one; tasks saving at
 * the same time take turns. sl_connect_offset_store_file wraps it as the
 * standalone worker's offset store (no transactions: send_in_txn is NULL).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "connect_int.h"

struct sl_connect_offsets {
    pthread_mutex_t lock;
    pthread_mutex_t save_lock;  /* one writer of the temp file at a time */
    char *file;
    json_t *root;     /* guarded by lock */
    bool dirty;       /* guarded by lock */
};

sl_err_t sl_connect_offsets_open(const char *file, sl_connect_offsets_t **out, char *errbuf,
                                 size_t errlen)
{
    *out = NULL;
    json_t *root = NULL;
    if (access(file, F_OK) == 0) {
        json_error_t jerr;
        root = json_load_file(file, 0, &jerr);
        if (!root || !json_is_object(root)) {
            if (errbuf)
                snprintf(errbuf, errlen, "offsets file %s: %s (line %d)", file,
                         root ? "not a JSON object" : jerr.text, root ? 0 : jerr.line);
            json_decref(root);
            return SL_ERR_CONFIG;
        }
        const char *k;
        json_t *v;
        json_object_foreach(root, k, v) {
            const char *pk;
            json_t *pv;
            bool ok = json_is_object(v);
            json_object_foreach(v, pk, pv) ok = ok && json_is_string(pv);
            if (!ok) {
                if (errbuf)
                    snprintf(errbuf, errlen, "offsets file %s: connector \"%s\" is not an object "
                             "of strings", file, k);
                json_decref(root);
                return SL_ERR_CONFIG;
            }
        }
    } else {
        root = json_object();
    }
    sl_connect_offsets_t *os = calloc(1, sizeof(*os));
    if (!root || !os || !(os->file = strdup(file))) {
        json_decref(root);
        free(os);
        return SL_ERR_NOMEM;
    }
    pthread_mutex_init(&os->lock, NULL);
    pthread_mutex_init(&os->save_lock, NULL);
    os->root = root;
    *out = os;
    return SL_OK;
}

char *sl_connect_offsets_get(sl_connect_offsets_t *os, const char *connector,
                             const char *partition)
{
    pthread_mutex_lock(&os->lock);
    const char *v = json_string_value(json_object_get(json_object_get(os->root, connector),
                                                      partition));
    char *copy = v ? strdup(v) : NULL;
    pthread_mutex_unlock(&os->lock);
    return copy;
}

sl_err_t sl_connect_offsets_set(sl_connect_offsets_t *os, const char *connector,
                                const char *partition, const char *offset)
{
    sl_err_t err = SL_ERR_NOMEM;
    pthread_mutex_lock(&os->lock);
    json_t *c = json_object_get(os->root, connector);
    if (!c) {
        c = json_object();
        if (!c || json_object_set_new(os->root, connector, c))
            goto out;
    }
    if (json_object_set_new(c, partition, json_string(offset)) == 0) {
        os->dirty = true;
        err = SL_OK;
    }
out:
    pthread_mutex_unlock(&os->lock);
    return err;
}

sl_err_t sl_connect_offsets_save(sl_connect_offsets_t *os)
{
    pthread_mutex_lock(&os->save_lock);
    pthread_mutex_lock(&os->lock);
    if (!os->dirty) {
        pthread_mutex_unlock(&os->lock);
        pthread_mutex_unlock(&os->save_lock);
        return SL_OK;
    }
    char *text = json_dumps(os->root, JSON_COMPACT | JSON_SORT_KEYS);
    os->dirty = false;
    pthread_mutex_unlock(&os->lock);
    sl_err_t err = SL_ERR_IO;
    char *tmp = NULL;
    if (!text) {
        err = SL_ERR_NOMEM;
        goto done;
    }
    size_t tlen = strlen(os->file) + 5;
    tmp = malloc(tlen);
    if (!tmp)
        goto done;
    snprintf(tmp, tlen, "%s.tmp", os->file);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        goto done;
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    bool ok = off == len && fsync(fd) == 0;
    close(fd);
    if (ok && rename(tmp, os->file) == 0)
        err = SL_OK;
done:
    if (err) {
        SL_ERROR("connect", "cannot write offsets file %s: %s", os->file, strerror(errno));
        pthread_mutex_lock(&os->lock);
        os->dirty = true;
        pthread_mutex_unlock(&os->lock);
    }
    pthread_mutex_unlock(&os->save_lock);
    free(tmp);
    free(text);
    return err;
}

void sl_connect_offsets_free(sl_connect_offsets_t *os)
{
    if (!os)
        return;
    json_decref(os->root);
    pthread_mutex_destroy(&os->lock);
    pthread_mutex_destroy(&os->save_lock);
    free(os->file);
    free(os);
}

/* ---- the file offset store -------------------------------------------------- */

typedef struct file_store {
    sl_connect_offset_store_t base;
    sl_connect_offsets_t *os;
} file_store_t;

static char *fs_get(sl_connect_offset_store_t *s, const char *connector, const char *partition)
{
    return sl_connect_offsets_get(((file_store_t *)s)->os, connector, partition);
}

static sl_err_t fs_set(sl_connect_offset_store_t *s, const char *connector,
                       const char *partition, const char *offset)
{
    return sl_connect_offsets_set(((file_store_t *)s)->os, connector, partition, offset);
}

static sl_err_t fs_flush(sl_connect_offset_store_t *s)
{
    return sl_connect_offsets_save(((file_store_t *)s)->os);
}

static void fs_free(sl_connect_offset_store_t *s)
{
    file_store_t *fs = (file_store_t *)s;
    sl_connect_offsets_save(fs->os);
    sl_connect_offsets_free(fs->os);
    free(fs);
}

static const sl_connect_offset_store_ops_t file_store_ops = {
    .get = fs_get,
    .set = fs_set,
    .flush = fs_flush,
    .send_in_txn = NULL,
    .free = fs_free,
};

sl_err_t sl_connect_offset_store_file(const char *file, sl_connect_offset_store_t **out,
                                      char *errbuf, size_t errlen)
{
    *out = NULL;
    file_store_t *fs = calloc(1, sizeof(*fs));
    if (!fs)
        return SL_ERR_NOMEM;
    sl_err_t err = sl_connect_offsets_open(file, &fs->os, errbuf, errlen);
    if (err) {
        free(fs);
        return err;
    }
    fs->base.ops = &file_store_ops;
    *out = &fs->base;
    return SL_OK;
}
