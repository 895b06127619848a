/*
 * file_sink.c - FileStreamSink: appends each record's value as one line to
 * `file` (standard output when empty), as Kafka's FileStreamSinkConnector.
 * Strings and bytes are written as they are, other scalars as text, a null
 * value as "null". flush() makes the lines durable (fflush + fsync) before
 * the worker commits their offsets. A crash can leave a torn last line
 * (stdio writes whenever its buffer fills); that line belongs to records
 * after the last commit, which come again, so start cuts it off.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "connector.h"

static const sl_connect_host_t *host;

typedef struct sink {
    sl_connect_ctx_t *ctx;
    const char *file;
    FILE *out;
    bool owned;               /* false for stdout */
} sink_t;

static const sl_connect_configdef_t defs[] = {
    {"file", SL_CFG_STRING, "", SL_IMPORTANCE_HIGH,
     "The file to append to; standard output when empty."},
};

/* Cuts a last line without its "\n" off the end of fd. */
static int cut_torn_line(sink_t *s, int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
        return SL_CONNECT_OK;
    char buf[4096];
    off_t end = st.st_size;
    while (end > 0) {
        off_t from = end > (off_t)sizeof(buf) ? end - (off_t)sizeof(buf) : 0;
        ssize_t n = pread(fd, buf, (size_t)(end - from), from);
        if (n != end - from)
            return SL_CONNECT_EIO;
        const char *nl = memrchr(buf, '\n', (size_t)n);
        if (nl) {
            end = from + (nl - buf) + 1;
            break;
        }
        end = from;
    }
    if (end == st.st_size)
        return SL_CONNECT_OK;
    host->log(s->ctx, SL_CONNECT_LOG_WARN, "%s ends in a torn line (%lld bytes without a "
              "newline): cut off, its records come again", s->file,
              (long long)(st.st_size - end));
    return ftruncate(fd, end) == 0 ? SL_CONNECT_OK : SL_CONNECT_EIO;
}

static int sink_start(sl_connect_ctx_t *ctx, void **task)
{
    sink_t *s = calloc(1, sizeof(*s));
    if (!s)
        return SL_CONNECT_ENOMEM;
    s->ctx = ctx;
    s->file = host->config_get(ctx, "file");
    if (s->file && *s->file) {
        s->out = fopen(s->file, "a+e");
        if (!s->out) {
            host->set_error(ctx, "cannot open %s: %s", s->file, strerror(errno));
            free(s);
            return SL_CONNECT_EIO;
        }
        s->owned = true;
        if (cut_torn_line(s, fileno(s->out))) {
            host->set_error(ctx, "cannot repair the end of %s: %s", s->file, strerror(errno));
            fclose(s->out);
            free(s);
            return SL_CONNECT_EIO;
        }
    } else {
        s->file = "<stdout>";
        s->out = stdout;
    }
    *task = s;
    return SL_CONNECT_OK;
}

static int write_value(sink_t *s, const sl_cvalue_t *v)
{
    if (!v || v->type == SL_CT_NULL)
        return fputs("null", s->out) < 0 ? SL_CONNECT_EIO : SL_CONNECT_OK;
    switch (v->type) {
    case SL_CT_STRING:
    case SL_CT_BYTES:
        return fwrite(v->u.bytes.ptr, 1, v->u.bytes.len, s->out) == v->u.bytes.len
                   ? SL_CONNECT_OK : SL_CONNECT_EIO;
    case SL_CT_BOOLEAN:
        return fputs(v->u.boolean ? "true" : "false", s->out) < 0 ? SL_CONNECT_EIO : SL_CONNECT_OK;
    case SL_CT_INT8: case SL_CT_INT16: case SL_CT_INT32: case SL_CT_INT64:
        return fprintf(s->out, "%" PRId64, v->u.i) < 0 ? SL_CONNECT_EIO : SL_CONNECT_OK;
    case SL_CT_FLOAT32: case SL_CT_FLOAT64:
        return fprintf(s->out, "%.17g", v->u.f) < 0 ? SL_CONNECT_EIO : SL_CONNECT_OK;
    default:
        host->set_error(s->ctx, "FileStreamSink writes strings, bytes and scalars, not "
                        "collections (use a converter or transform that yields a string)");
        return SL_CONNECT_EINVAL;
    }
}

static int sink_put(void *task, const sl_connect_record_t *recs, size_t n)
{
    sink_t *s = task;
    for (size_t i = 0; i < n; i++) {
        int rc = write_value(s, recs[i].value);
        if (!rc && fputc('\n', s->out) == EOF)
            rc = SL_CONNECT_EIO;
        if (rc == SL_CONNECT_EIO)
            host->set_error(s->ctx, "cannot write %s: %s", s->file, strerror(errno));
        if (rc)
            return rc;
    }
    return SL_CONNECT_OK;
}

static int sink_flush(void *task, const sl_connect_tpo_t *offsets, size_t n)
{
    (void)offsets;
    (void)n;
    sink_t *s = task;
    if (fflush(s->out) != 0 || (s->owned && fsync(fileno(s->out)) != 0)) {
        host->set_error(s->ctx, "cannot flush %s: %s", s->file, strerror(errno));
        return SL_CONNECT_EIO;
    }
    return SL_CONNECT_OK;
}

static void sink_stop(void *task)
{
    sink_t *s = task;
    if (!s)
        return;
    if (s->owned)
        fclose(s->out);
    else
        fflush(s->out);
    free(s);
}

static const sl_connect_sink_task_t sink_vt = {
    .start = sink_start,
    .put = sink_put,
    .flush = sink_flush,
    .stop = sink_stop,
};

static const sl_connect_plugin_t plugin = {
    .abi_version = SL_CONNECT_ABI_VERSION,
    .class_name = "FileStreamSink",
    .version = "1.0",
    .kind = SL_CONNECT_SINK,
    .config_defs = defs,
    .config_def_count = sizeof(defs) / sizeof(defs[0]),
    .sink = &sink_vt,
};

SL_CONNECT_EXPORT const sl_connect_plugin_t *sl_connect_plugin_v1(const sl_connect_host_t *h)
{
    host = h;
    return &plugin;
}
