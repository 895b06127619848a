/*
 * log.c - leveled log lines with a UTC timestamp, written whole by one
 * write(2) so lines from different threads never interleave. Line breaks in
 * a message become spaces: a client id or topic name containing "\n" must not
 * be able to forge a log line.
 */
#include <errno.h>
#include <stdio.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base.h"

#define LOG_LINE_MAX 4096

static int log_level = SL_LOG_INFO;
static sl_log_sink_fn *log_sink;
static void *log_sink_ctx;

void sl_log_set_level(sl_log_level_t level) { __atomic_store_n(&log_level, (int)level, __ATOMIC_RELAXED); }

sl_log_level_t sl_log_get_level(void) { return (sl_log_level_t)__atomic_load_n(&log_level, __ATOMIC_RELAXED); }

sl_err_t sl_log_parse_level(const char *name, sl_log_level_t *level)
{
    static const struct {
        const char *name;
        sl_log_level_t level;
    } names[] = {
        {"debug", SL_LOG_DEBUG}, {"info", SL_LOG_INFO}, {"warn", SL_LOG_WARN},
        {"warning", SL_LOG_WARN}, {"error", SL_LOG_ERROR}, {"off", SL_LOG_OFF},
    };
    if (!name)
        return SL_ERR_INVAL;
    for (size_t i = 0; i < SL_ARRAY_LEN(names); i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            *level = names[i].level;
            return SL_OK;
        }
    }
    return SL_ERR_INVAL;
}

void sl_log_set_sink(sl_log_sink_fn *fn, void *ctx)
{
    log_sink = fn;
    log_sink_ctx = fn ? ctx : NULL;
}

static void stderr_write(const char *line, size_t len)
{
    const char *p = line;
    /* Partial writes only happen on pipes that fill up; finish the line. */
    while (len > 0) {
        ssize_t w = write(STDERR_FILENO, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        p += w;
        len -= (size_t)w;
    }
}

static const char *level_tag(sl_log_level_t level)
{
    switch (level) {
    case SL_LOG_DEBUG: return "DEBUG";
    case SL_LOG_INFO: return "INFO ";
    case SL_LOG_WARN: return "WARN ";
    case SL_LOG_ERROR: return "ERROR";
    default: return "?????";
    }
}

void sl_log_vwrite(sl_log_level_t level, const char *module, const char *fmt, va_list ap)
{
    if (level < sl_log_get_level() || level >= SL_LOG_OFF)
        return;
    /* One spare byte for the newline the default sink appends. */
    char line[LOG_LINE_MAX + 1];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, LOG_LINE_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ %s [%s] ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, (int)(ts.tv_nsec / 1000000), level_tag(level),
                     module ? module : "-");
    if (n < 0)
        return;
    size_t len = SL_MIN((size_t)n, (size_t)LOG_LINE_MAX - 1);
    size_t head = len;
    int m = vsnprintf(line + len, LOG_LINE_MAX - len, fmt, ap);
    if (m > 0) {
        size_t room = LOG_LINE_MAX - 1 - len;
        if ((size_t)m > room) {
            len = LOG_LINE_MAX - 1;
            /* Do not leave half a UTF-8 sequence at the cut. */
            size_t lead = len;
            while (lead > head && len - lead < 4 && ((unsigned char)line[lead - 1] & 0xc0) == 0x80)
                lead--;
            if (lead > head) {
                unsigned char c = (unsigned char)line[lead - 1];
                size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
                if (lead - 1 + want > len)
                    len = lead - 1;
            }
        } else {
            len += (size_t)m;
        }
    }
    for (size_t i = head; i < len; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[len] = '\0';

    sl_log_sink_fn *sink = log_sink;
    if (sink) {
        sink(log_sink_ctx, level, line, len);
        return;
    }
    line[len] = '\n';
    stderr_write(line, len + 1);
}

void sl_log_write(sl_log_level_t level, const char *module, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sl_log_vwrite(level, module, fmt, ap);
    va_end(ap);
}
