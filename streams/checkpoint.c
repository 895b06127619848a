/*
 * checkpoint.c - a task's .checkpoint file: the changelog offsets its
 * stores hold, one "<topic> <partition> <offset>" line per changelog
 * partition. Written atomically (a temporary file, fsync, rename, fsync of
 * the directory), so a crash leaves the old file or the new one; read
 * strictly, so a damaged file is an error (the task then restores from the
 * changelog's beginning) and never a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_int.h"

#define CKPT_FILE ".checkpoint"
#define CKPT_MAX_BYTES (1u << 20)
#define CKPT_TOPIC_MAX 249

static bool topic_ok(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > CKPT_TOPIC_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return false;
    }
    return true;
}

static sl_err_t path_of(char *buf, size_t len, const char *dir, const char *name)
{
    return (size_t)snprintf(buf, len, "%s/%s", dir, name) < len ? SL_OK : SL_ERR_INVAL;
}

static sl_err_t write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return SL_ERR_IO;
        p += w;
        n -= (size_t)w;
    }
    return SL_OK;
}

sl_err_t sl_checkpoint_write(const char *dir, const char *const *topics, const int32_t *parts,
                             const int64_t *offsets, size_t n)
{
    sl_buf_t out = SL_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (!topics[i] || !topic_ok(topics[i]) || parts[i] < 0 || offsets[i] < -1) {
            sl_buf_free(&out);
            return SL_ERR_INVAL;
        }
        char line[CKPT_TOPIC_MAX + 48];
        int len = snprintf(line, sizeof(line), "%s %d %lld\n", topics[i], (int)parts[i], (long long)offsets[i]);
        sl_buf_put(&out, line, (size_t)len);
    }
    char tmp[4096], path[4096];
    sl_err_t err = sl_buf_err(&out);
    if (!err)
        err = path_of(tmp, sizeof(tmp), dir, CKPT_FILE ".tmp");
    if (!err)
        err = path_of(path, sizeof(path), dir, CKPT_FILE);
    if (err) {
        sl_buf_free(&out);
        return err;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        err = SL_ERR_IO;
    } else {
        err = write_all(fd, (const char *)out.data, out.len);
        if (!err && fsync(fd) != 0)
            err = SL_ERR_IO;
        if (close(fd) != 0 && !err)
            err = SL_ERR_IO;
        if (!err && rename(tmp, path) != 0)
            err = SL_ERR_IO;
    }
    if (err) {
        SL_ERROR(SL_STORE_LOG, "checkpoint %s: %s", path, strerror(errno));
        unlink(tmp);
    } else {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd); /* the rename's durability; best effort */
            close(dfd);
        }
    }
    sl_buf_free(&out);
    return err;
}

sl_err_t sl_checkpoint_delete(const char *dir)
{
    char path[4096];
    if (path_of(path, sizeof(path), dir, CKPT_FILE))
        return SL_ERR_INVAL;
    if (unlink(path) != 0 && errno != ENOENT) {
        SL_ERROR(SL_STORE_LOG, "checkpoint %s: %s", path, strerror(errno));
        return SL_ERR_IO;
    }
    return SL_OK;
}

/* Reads the file (at most CKPT_MAX_BYTES) into a NUL-terminated malloc'ed
 * string. */
static sl_err_t slurp(const char *path, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? SL_ERR_NOENT : SL_ERR_IO;
    char *buf = malloc(CKPT_MAX_BYTES + 1);
    size_t n = 0;
    sl_err_t err = buf ? SL_OK : SL_ERR_NOMEM;
    while (!err) {
        ssize_t r = read(fd, buf + n, CKPT_MAX_BYTES + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            err = SL_ERR_IO;
        else if (r == 0)
            break;
        else if ((n += (size_t)r) > CKPT_MAX_BYTES)
            err = SL_ERR_PARSE;
    }
    close(fd);
    if (err) {
        free(buf);
        return err;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return SL_OK;
}

/* One "<topic> <partition> <offset>" line (NUL-terminated, no newline). */
static bool parse_line(char *line, sl_arena_t *arena, sl_checkpoint_entry_t *e)
{
    char *sp1 = strchr(line, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp2)
        return false;
    *sp1 = *sp2 = '\0';
    char *end;
    errno = 0;
    long long part = strtoll(sp1 + 1, &end, 10);
    if (errno || end == sp1 + 1 || *end || part < 0 || part > INT32_MAX || sp1[1] == '+' || sp1[1] == ' ')
        return false;
    errno = 0;
    long long off = strtoll(sp2 + 1, &end, 10);
    if (errno || end == sp2 + 1 || *end || off < -1 || sp2[1] == '+' || sp2[1] == ' ')
        return false;
    if (!topic_ok(line))
        return false;
    e->topic = sl_arena_strndup(arena, line, strlen(line));
    e->partition = (int32_t)part;
    e->offset = off;
    return e->topic != NULL;
}

sl_err_t sl_checkpoint_read(const char *dir, sl_arena_t *arena, sl_checkpoint_entry_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    char path[4096];
    if (path_of(path, sizeof(path), dir, CKPT_FILE))
        return SL_ERR_INVAL;
    char *text;
    size_t len;
    sl_err_t err = slurp(path, &text, &len);
    if (err == SL_ERR_NOENT)
        return err;
    if (err) {
        SL_ERROR(SL_STORE_LOG, "checkpoint %s: %s", path,
                 err == SL_ERR_PARSE ? "larger than 1 MiB" : "cannot be read");
        return err;
    }
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    sl_checkpoint_entry_t *es = sl_arena_calloc(arena, lines + 1, sizeof(*es));
    if (!es) {
        free(text);
        return SL_ERR_NOMEM;
    }
    size_t count = 0, lineno = 0;
    char *p = text;
    while (!err && *p) {
        char *nl = strchr(p, '\n');
        lineno++;
        if (!nl || memchr(p, '\0', (size_t)(nl - p))) {
            err = SL_ERR_PARSE; /* a last line without its newline: cut short */
            break;
        }
        *nl = '\0';
        if (!parse_line(p, arena, &es[count]))
            err = SL_ERR_PARSE;
        else
            count++;
        p = nl + 1;
    }
    if (!err && p != text + len)
        err = SL_ERR_PARSE; /* a NUL byte inside */
    free(text);
    if (err) {
        SL_ERROR(SL_STORE_LOG, "checkpoint %s: line %zu is not \"<topic> <partition> <offset>\"", path, lineno);
        return err;
    }
    *out = es;
    *n = count;
    return SL_OK;
}
