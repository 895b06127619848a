/*
 * file_source.c - FileStreamSource: tails a file and produces one record
 * per line (without its "\n" or "\r\n") to `topic`, value a string, key
 * null, as Kafka's FileStreamSourceConnector. Source partition
 * {"filename":"<file>"}, source offset {"position":<byte after the line>},
 * so a restarted task resumes after the last stored line. A line is sent
 * only once its "\n" is there; a line longer than max.line.bytes is cut
 * into pieces of that size. One task per file (a file is one partition):
 * `file` names one; Sluice's own `files` lists several, one task each, so
 * tasks.max must be at least their number.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "connector.h"

static const sl_connect_host_t *host;

typedef struct src {
    sl_connect_ctx_t *ctx;
    const char *file;         /* borrowed from the task config */
    const char *topic;
    char *partition;          /* {"filename":...} */
    int fd;                   /* -1 until the file exists */
    long long position;       /* offset of buf[0] in the file */
    char *buf;
    size_t len, cap;          /* cap = max.line.bytes */
} src_t;

static const sl_connect_configdef_t defs[] = {
    {"file", SL_CFG_STRING, "", SL_IMPORTANCE_HIGH,
     "The file to read, line by line (or set files)."},
    {"files", SL_CFG_LIST, "", SL_IMPORTANCE_MEDIUM,
     "Several files to read, separated by commas: one task each (tasks.max at least as many)."},
    {"topic", SL_CFG_STRING, NULL, SL_IMPORTANCE_HIGH, "The topic to write the lines to."},
    {"batch.size", SL_CFG_INT, "2000", SL_IMPORTANCE_LOW,
     "The most lines one poll returns."},
    {"max.line.bytes", SL_CFG_INT, "1048576", SL_IMPORTANCE_LOW,
     "Longer lines are cut into pieces of this size."},
};

/* Appends s to out as a JSON string (quotes and escapes). */
static void json_quote(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    out[o++] = '"';
    for (; *s && o + 8 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20) {
            o += (size_t)snprintf(out + o, cap - o, "\\u%04x", ch);
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
}

/* The position in a stored offset {"position":N}; -1 when malformed. */
static long long parse_position(const char *offset)
{
    const char *p = strstr(offset, "\"position\"");
    if (!p)
        return -1;
    p += strlen("\"position\"");
    while (*p == ' ')
        p++;
    if (*p++ != ':')
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(p, &end, 10);
    return (errno || end == p || v < 0) ? -1 : v;
}

static int src_start(sl_connect_ctx_t *ctx, void **task)
{
    src_t *s = calloc(1, sizeof(*s));
    if (!s)
        return SL_CONNECT_ENOMEM;
    s->ctx = ctx;
    s->fd = -1;
    s->file = host->config_get(ctx, "file");
    s->topic = host->config_get(ctx, "topic");
    s->cap = (size_t)host->config_int(ctx, "max.line.bytes", 1048576);
    if (s->cap < 16)
        s->cap = 16;
    size_t plen = strlen(s->file) * 6 + 32;
    char *quoted = malloc(plen);
    s->partition = malloc(plen + 16);
    s->buf = malloc(s->cap);
    if (!quoted || !s->partition || !s->buf) {
        free(quoted);
        free(s->partition);
        free(s->buf);
        free(s);
        return SL_CONNECT_ENOMEM;
    }
    json_quote(quoted, plen, s->file);
    snprintf(s->partition, plen + 16, "{\"filename\":%s}", quoted);
    free(quoted);
    const char *stored = host->offset_get(ctx, s->partition);
    if (stored) {
        s->position = parse_position(stored);
        if (s->position < 0) {
            host->set_error(ctx, "stored offset %s of %s is not {\"position\":N}", stored,
                            s->partition);
            free(s->partition);
            free(s->buf);
            free(s);
            return SL_CONNECT_EPARSE;
        }
        host->log(ctx, SL_CONNECT_LOG_INFO, "resuming %s at byte %lld", s->file, s->position);
    }
    *task = s;
    return SL_CONNECT_OK;
}

/* Exactly one of file and files must be set. */
static int conn_start(sl_connect_ctx_t *ctx, void **state)
{
    const char *file = host->config_get(ctx, "file");
    const char *files = host->config_get(ctx, "files");
    bool one = file && *file, many = files && files[strspn(files, " ,")];
    *state = ctx;
    if (one == many) {
        host->set_error(ctx, "set either file (one file) or files (several, one task each)%s",
                        one ? ", not both" : "");
        return SL_CONNECT_ECONFIG;
    }
    return SL_CONNECT_OK;
}

/* One task per file: `file`, or each item of `files`. */
static int task_configs(void *state, sl_connect_ctx_t *ctx, int max_tasks,
                        sl_connect_taskcfgs_t *out)
{
    (void)state;
    const char *file = host->config_get(ctx, "file");
    if (file && *file)
        return host->taskcfg_put(out, 0, "file", file) ? SL_CONNECT_ENOMEM : 1;
    const char *p = host->config_get(ctx, "files");
    int n = 0;
    while (p && *p) {
        size_t len = strcspn(p, ",");
        const char *b = p, *e = p + len;
        while (b < e && isspace((unsigned char)*b))
            b++;
        while (e > b && isspace((unsigned char)e[-1]))
            e--;
        p += len + (p[len] == ',');
        if (b == e)
            continue;
        if (n == max_tasks) {
            host->set_error(ctx, "files lists more than tasks.max=%d files (one task each)",
                            max_tasks);
            return SL_CONNECT_ECONFIG;
        }
        char *one = strndup(b, (size_t)(e - b));
        int rc = one ? host->taskcfg_put(out, n, "file", one) : SL_CONNECT_ENOMEM;
        free(one);
        if (rc)
            return rc;
        n++;
    }
    return n;
}

static void nap(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Emits buf[0..n) as one line ending at file position end. */
static int emit(src_t *s, sl_connect_batch_t *batch, const char *line, size_t n, long long end)
{
    sl_connect_mem_t *mem = host->batch_mem(batch);
    if (n && line[n - 1] == '\r')
        n--;
    sl_cvalue_t *v = host->val_string(mem, line, n);
    sl_cschema_t *sch = host->schema_new(mem, SL_CT_STRING, 0, NULL);
    if (!v || !sch)
        return SL_CONNECT_ENOMEM;
    char offset[48];
    snprintf(offset, sizeof(offset), "{\"position\":%lld}", end);
    sl_connect_record_t rec = {
        .topic = s->topic,
        .partition = -1,
        .value_schema = sch,
        .value = v,
        .source_partition = s->partition,
        .source_offset = offset,
    };
    return host->batch_add(batch, &rec);
}

static int src_poll(void *task, sl_connect_batch_t *batch, size_t max_records, int timeout_ms)
{
    src_t *s = task;
    size_t limit = (size_t)host->config_int(s->ctx, "batch.size", 2000);
    if (limit > max_records)
        limit = max_records;
    if (s->fd < 0) {
        s->fd = open(s->file, O_RDONLY | O_CLOEXEC);
        if (s->fd < 0) {
            if (errno != ENOENT) {
                host->set_error(s->ctx, "cannot open %s: %s", s->file, strerror(errno));
                return SL_CONNECT_EIO;
            }
            nap(timeout_ms < 100 ? timeout_ms : 100);
            return SL_CONNECT_OK;
        }
        s->len = 0;
    }
    size_t emitted = 0;
    while (emitted < limit) {
        ssize_t n = pread(s->fd, s->buf + s->len, s->cap - s->len,
                          (off_t)(s->position + (long long)s->len));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            host->set_error(s->ctx, "cannot read %s: %s", s->file, strerror(errno));
            return SL_CONNECT_EIO;
        }
        s->len += (size_t)n;
        /* Emit every complete line in buf; keep the partial tail. */
        size_t start = 0;
        int rc = SL_CONNECT_OK;
        while (emitted < limit) {
            char *nl = memchr(s->buf + start, '\n', s->len - start);
            size_t llen = nl ? (size_t)(nl - (s->buf + start)) : s->len - start;
            if (!nl && !(start == 0 && s->len == s->cap))
                break;
            size_t used = nl ? llen + 1 : llen;
            if (!nl)
                host->log(s->ctx, SL_CONNECT_LOG_WARN, "a line of %s at byte %lld is longer "
                          "than max.line.bytes: cut", s->file, s->position);
            rc = emit(s, batch, s->buf + start, llen, s->position + (long long)(start + used));
            if (rc)
                break;
            start += used;
            emitted++;
        }
        memmove(s->buf, s->buf + start, s->len - start);
        s->len -= start;
        s->position += (long long)start;
        if (rc)
            return rc;
        if (n == 0)
            break;
    }
    if (!emitted)
        nap(timeout_ms < 50 ? timeout_ms : 50);
    return SL_CONNECT_OK;
}

static void src_stop(void *task)
{
    src_t *s = task;
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    free(s->partition);
    free(s->buf);
    free(s);
}

static const sl_connect_source_task_t source_vt = {
    .start = src_start,
    .poll = src_poll,
    .stop = src_stop,
};

static const sl_connect_plugin_t plugin = {
    .abi_version = SL_CONNECT_ABI_VERSION,
    .class_name = "FileStreamSource",
    .version = "1.0",
    .kind = SL_CONNECT_SOURCE,
    .config_defs = defs,
    .config_def_count = sizeof(defs) / sizeof(defs[0]),
    .connector_start = conn_start,
    .task_configs = task_configs,
    .source = &source_vt,
    /* The byte position after a line says exactly where to resume. */
    .exactly_once = 1,
};

SL_CONNECT_EXPORT const sl_connect_plugin_t *sl_connect_plugin_v1(const sl_connect_host_t *h)
{
    host = h;
    return &plugin;
}
