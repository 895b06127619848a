/*
 * config_meta.c - topic names (Kafka's rules) and the topic metadata the
 * broker keeps on disk: one small properties file per topic under
 * <log dir>/.sluice/topics/, replaced atomically (temporary file, fsync,
 * rename, fsync of the directory) so a crash leaves the old or the new file,
 * never a torn one. Files that do not parse are reported and skipped: one bad
 * file must not keep the broker from starting.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_int.h"

#define MOD "config"
#define META_DIR ".sluice/topics"
#define META_SUFFIX ".meta"
#define TMP_PREFIX ".tmp-"

bool sl_topic_is_internal(const char *name, size_t len)
{
    if (!name)
        return false;
    return (len == sizeof SL_TOPIC_CONSUMER_OFFSETS - 1 && memcmp(name, SL_TOPIC_CONSUMER_OFFSETS, len) == 0) ||
           (len == sizeof SL_TOPIC_TRANSACTION_STATE - 1 && memcmp(name, SL_TOPIC_TRANSACTION_STATE, len) == 0);
}

sl_err_t sl_topic_name_check(const char *name, size_t len, char *errbuf, size_t errlen)
{
    char q[300];
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (!name || len == 0) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "topic name is empty");
        return SL_ERR_INVALID_TOPIC_EXCEPTION;
    }
    if (len > 249) {
        cfg_quote(q, sizeof q, name, len, 40);
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "topic name '%s' is %zu characters long; at most 249 are allowed", q, len);
        return SL_ERR_INVALID_TOPIC_EXCEPTION;
    }
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.')) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "topic name cannot be '.' or '..'");
        return SL_ERR_INVALID_TOPIC_EXCEPTION;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok) {
            cfg_quote(q, sizeof q, name, len, 249);
            if (errbuf && errlen)
                snprintf(errbuf, errlen,
                         "topic name '%s' has byte 0x%02x at position %zu; only ASCII letters, digits, "
                         "'.', '_' and '-' are allowed", q, c, i);
            return SL_ERR_INVALID_TOPIC_EXCEPTION;
        }
    }
    return SL_OK;
}

bool sl_topic_name_collides(const char *a, const char *b)
{
    size_t n = strlen(a);
    if (strlen(b) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char x = a[i] == '.' ? '_' : a[i];
        char y = b[i] == '.' ? '_' : b[i];
        if (x != y)
            return false;
    }
    return true;
}

/* ---- files -------------------------------------------------------------- */

static sl_err_t io_fail(const char *what, const char *path)
{
    int e = errno;
    SL_ERROR(MOD, "%s %s: %s", what, path, strerror(e));
    return SL_ERR_IO;
}

static sl_err_t fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return io_fail("cannot open directory", path);
    int r = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return r == 0 ? SL_OK : io_fail("cannot fsync directory", path);
}

/* mkdir that is happy when the directory exists; a new directory is made
 * durable by syncing its parent. */
static sl_err_t ensure_dir(const char *path, const char *parent)
{
    if (mkdir(path, 0755) == 0)
        return fsync_dir(parent);
    if (errno == EEXIST) {
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            return SL_OK;
        errno = ENOTDIR;
    }
    return io_fail("cannot create directory", path);
}

/* path = <log_dir>/<rest>; false when it does not fit. */
static bool join(char *path, size_t n, const char *log_dir, const char *rest)
{
    int r = snprintf(path, n, "%s/%s", log_dir, rest);
    return r > 0 && (size_t)r < n;
}

static sl_err_t meta_dir(const char *log_dir, char *dir, size_t n, bool create)
{
    if (!log_dir || !log_dir[0])
        return SL_ERR_INVAL;
    char sluice[4200];
    if (!join(sluice, sizeof sluice, log_dir, ".sluice") || !join(dir, n, log_dir, META_DIR)) {
        SL_ERROR(MOD, "log directory path too long: %.200s", log_dir);
        return SL_ERR_INVAL;
    }
    if (!create)
        return SL_OK;
    sl_err_t err = ensure_dir(log_dir, ".");
    if (!err)
        err = ensure_dir(sluice, log_dir);
    if (!err)
        err = ensure_dir(dir, sluice);
    return err;
}

/* Value text as java.util.Properties reads it back. */
static void put_escaped(sl_buf_t *b, const char *s)
{
    for (size_t i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '\\': sl_buf_put(b, "\\\\", 2); break;
        case '\n': sl_buf_put(b, "\\n", 2); break;
        case '\r': sl_buf_put(b, "\\r", 2); break;
        case '\t': sl_buf_put(b, "\\t", 2); break;
        case '\f': sl_buf_put(b, "\\f", 2); break;
        case ' ':
            if (i == 0)
                sl_buf_put(b, "\\ ", 2);
            else
                sl_buf_put_u8(b, c);
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char u[8];
                snprintf(u, sizeof u, "\\u%04x", c);
                sl_buf_put(b, u, 6);
            } else {
                sl_buf_put_u8(b, c);
            }
        }
    }
}

static sl_err_t write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return SL_ERR_IO;
        }
        p += w;
        n -= (size_t)w;
    }
    return SL_OK;
}

sl_err_t sl_topic_meta_save(const char *log_dir, const sl_topic_meta_t *meta)
{
    char why[400];
    size_t nlen = strnlen(meta->name, sizeof meta->name);
    if (nlen == sizeof meta->name || sl_topic_name_check(meta->name, nlen, why, sizeof why) != SL_OK) {
        SL_ERROR(MOD, "not saving topic metadata: %s", why);
        return SL_ERR_INVALID_TOPIC_EXCEPTION;
    }
    if (meta->partitions < 1)
        return SL_ERR_INVAL;
    char dir[4300], path[4600], tmp[4400];
    sl_err_t err = meta_dir(log_dir, dir, sizeof dir, true);
    if (err)
        return err;
    snprintf(path, sizeof path, "%s/%s%s", dir, meta->name, META_SUFFIX);
    snprintf(tmp, sizeof tmp, "%s/%sXXXXXX", dir, TMP_PREFIX);

    sl_buf_t b = SL_BUF_INIT;
    char line[128];
    sl_buf_put(&b, "# Sluice topic metadata, written by the broker.\n", 48);
    sl_buf_put(&b, "topic=", 6);
    sl_buf_put(&b, meta->name, nlen);
    sl_buf_put(&b, "\ntopic.id=", 10);
    for (int i = 0; i < 16; i++) {
        snprintf(line, sizeof line, "%02x", meta->id[i]);
        sl_buf_put(&b, line, 2);
    }
    snprintf(line, sizeof line, "\npartitions=%d\n", (int)meta->partitions);
    sl_buf_put(&b, line, strlen(line));
    for (size_t i = 0; meta->overrides && i < sl_props_count(meta->overrides); i++) {
        const char *k, *v;
        sl_props_at(meta->overrides, i, &k, &v, NULL);
        sl_buf_put(&b, "config.", 7);
        put_escaped(&b, k);
        sl_buf_put_u8(&b, '=');
        put_escaped(&b, v);
        sl_buf_put_u8(&b, '\n');
    }
    if (sl_buf_err(&b)) {
        sl_buf_free(&b);
        return SL_ERR_NOMEM;
    }

    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        sl_buf_free(&b);
        return io_fail("cannot create", tmp);
    }
    err = write_all(fd, b.data, b.len);
    if (err)
        io_fail("cannot write", tmp);
    if (!err && fsync(fd) != 0)
        err = io_fail("cannot fsync", tmp);
    if (close(fd) != 0 && !err)
        err = io_fail("cannot close", tmp);
    if (!err && rename(tmp, path) != 0)
        err = io_fail("cannot rename to", path);
    if (err)
        unlink(tmp);
    else
        err = fsync_dir(dir);
    sl_buf_free(&b);
    return err;
}

sl_err_t sl_topic_meta_remove(const char *log_dir, const char *topic)
{
    char why[400], dir[4300], path[4600];
    if (!topic || sl_topic_name_check(topic, strlen(topic), why, sizeof why) != SL_OK)
        return SL_ERR_INVALID_TOPIC_EXCEPTION;
    sl_err_t err = meta_dir(log_dir, dir, sizeof dir, false);
    if (err)
        return err;
    snprintf(path, sizeof path, "%s/%s%s", dir, topic, META_SUFFIX);
    if (unlink(path) != 0) {
        if (errno == ENOENT)
            return SL_ERR_NOENT;
        return io_fail("cannot remove", path);
    }
    return fsync_dir(dir);
}

/* Reads one file into meta; false (after logging why) when it is unusable. */
static bool load_one(const char *dir, const char *fname, sl_topic_meta_t *meta)
{
    char path[4600], err[512];
    size_t flen = strlen(fname), slen = strlen(META_SUFFIX);
    size_t nlen = flen - slen;
    snprintf(path, sizeof path, "%s/%s", dir, fname);
    if (sl_topic_name_check(fname, nlen, err, sizeof err) != SL_OK) {
        SL_ERROR(MOD, "%s: skipped: file name is not a topic name (%s)", path, err);
        return false;
    }
    memset(meta, 0, sizeof *meta);
    memcpy(meta->name, fname, nlen);
    sl_props_t *p;
    if (sl_props_load(path, &p, err, sizeof err) != SL_OK) {
        SL_ERROR(MOD, "%s: skipped: %s", path, err);
        return false;
    }
    const char *t = sl_props_get(p, "topic");
    const char *id = sl_props_get(p, "topic.id");
    const char *parts = sl_props_get(p, "partitions");
    int64_t n = 0;
    const char *bad = NULL;
    if (t && strcmp(t, meta->name) != 0)
        bad = "the topic inside differs from the file name";
    else if (!id || strlen(id) != 32)
        bad = "topic.id is missing or not 32 hex digits";
    else if (!parts || !cfg_parse_i64(parts, &n) || n < 1 || n > INT32_MAX)
        bad = "partitions is missing or not a count from 1 to 2147483647";
    for (int i = 0; !bad && i < 16; i++) {
        int hi = sl_hex_value(id[2 * i]), lo = sl_hex_value(id[2 * i + 1]);
        if (hi < 0 || lo < 0)
            bad = "topic.id is missing or not 32 hex digits";
        else
            meta->id[i] = (uint8_t)(hi << 4 | lo);
    }
    if (bad) {
        SL_ERROR(MOD, "%s: skipped: %s", path, bad);
        sl_props_free(p);
        return false;
    }
    meta->partitions = (int32_t)n;
    meta->overrides = sl_props_new();
    if (!meta->overrides) {
        SL_ERROR(MOD, "%s: skipped: out of memory", path);
        sl_props_free(p);
        return false;
    }
    for (size_t i = 0; i < sl_props_count(p); i++) {
        const char *k, *v;
        int line;
        sl_props_at(p, i, &k, &v, &line);
        if (strncmp(k, "config.", 7) != 0) {
            if (strcmp(k, "topic") && strcmp(k, "topic.id") && strcmp(k, "partitions"))
                SL_WARN(MOD, "%s:%d: unknown key '%.100s' ignored", path, line, k);
            continue;
        }
        /* A setting this version does not know (or no longer accepts) is
         * dropped with a warning rather than losing the whole topic. */
        if (sl_topic_config_check(k + 7, v, err, sizeof err) != SL_OK) {
            SL_WARN(MOD, "%s:%d: topic config dropped: %s", path, line, err);
            continue;
        }
        if (sl_props_set(meta->overrides, k + 7, v, line) != SL_OK) {
            SL_ERROR(MOD, "%s: skipped: out of memory", path);
            sl_props_free(meta->overrides);
            sl_props_free(p);
            meta->overrides = NULL;
            return false;
        }
    }
    sl_props_free(p);
    return true;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

sl_err_t sl_topic_meta_load_all(const char *log_dir, void (*fn)(void *arg, sl_topic_meta_t *meta), void *arg)
{
    char dir[4300];
    sl_err_t err = meta_dir(log_dir, dir, sizeof dir, false);
    if (err)
        return err;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return SL_OK; /* a new log directory: no topics yet */
        return io_fail("cannot read directory", dir);
    }
    /* Collect, then sort: topics come back in name order on every run. */
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    err = SL_OK;
    while (!err && (errno = 0, de = readdir(d)) != NULL) {
        const char *f = de->d_name;
        size_t fl = strlen(f), sl = strlen(META_SUFFIX);
        if (strncmp(f, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
            /* Left by a crash between create and rename. */
            char path[4600];
            snprintf(path, sizeof path, "%s/%s", dir, f);
            SL_INFO(MOD, "removing unfinished %s", path);
            unlink(path);
            continue;
        }
        if (fl <= sl || strcmp(f + fl - sl, META_SUFFIX) != 0)
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nn = realloc(names, nc * sizeof *nn);
            if (!nn) {
                err = SL_ERR_NOMEM;
                break;
            }
            names = nn;
            cap = nc;
        }
        names[n] = strdup(f);
        if (!names[n])
            err = SL_ERR_NOMEM;
        else
            n++;
    }
    if (!err && errno != 0)
        err = io_fail("cannot read directory", dir);
    closedir(d);
    if (!err) {
        if (n > 0)
            qsort(names, n, sizeof *names, cmp_str);
        for (size_t i = 0; i < n; i++) {
            sl_topic_meta_t meta;
            if (load_one(dir, names[i], &meta))
                fn(arg, &meta);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return err;
}
