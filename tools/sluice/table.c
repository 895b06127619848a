/*
 * table.c - what `sluice` prints: aligned human tables, times in UTC, and
 * JSON documents.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sluice.h"

static void add(sluice_table_t *t, char *cell)
{
    if (!cell) {
        t->nomem = true;
        return;
    }
    if (t->ncells == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **cells = realloc(t->cells, cap * sizeof *cells);
        if (!cells) {
            free(cell);
            t->nomem = true;
            return;
        }
        t->cells = cells;
        t->cap = cap;
    }
    t->cells[t->ncells++] = cell;
}

void sluice_table_init(sluice_table_t *t, size_t ncols, const char *const *headers)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    for (size_t i = 0; i < ncols; i++)
        add(t, strdup(headers[i]));
}

void sluice_table_cell(sluice_table_t *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cell = NULL;
    if (vasprintf(&cell, fmt, ap) < 0)
        cell = NULL;
    va_end(ap);
    add(t, cell);
}

void sluice_table_print(const sluice_table_t *t, FILE *f)
{
    if (!t->ncols)
        return;
    size_t *w = calloc(t->ncols, sizeof *w);
    if (!w)
        return;
    for (size_t i = 0; i < t->ncells; i++) {
        size_t len = strlen(t->cells[i]);
        if (len > w[i % t->ncols])
            w[i % t->ncols] = len;
    }
    for (size_t i = 0; i < t->ncells; i++) {
        size_t col = i % t->ncols;
        bool last = col == t->ncols - 1 || i == t->ncells - 1;
        if (last)
            fprintf(f, "%s\n", t->cells[i]);
        else
            fprintf(f, "%-*s  ", (int)w[col], t->cells[i]);
    }
    free(w);
}

void sluice_table_free(sluice_table_t *t)
{
    for (size_t i = 0; i < t->ncells; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

const char *sluice_fmt_time(int64_t ms, char *buf, size_t len)
{
    time_t secs = (time_t)(ms / 1000);
    int frac = (int)(ms % 1000);
    if (frac < 0) {
        frac += 1000;
        secs--;
    }
    struct tm tm;
    if (!gmtime_r(&secs, &tm)) {
        snprintf(buf, len, "%lld", (long long)ms);
        return buf;
    }
    char day[32];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03dZ", day, frac);
    return buf;
}

int sluice_json_print(json_t *j)
{
    if (!j)
        return SLUICE_FAILED;
    int rc = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    if (rc != 0)
        return SLUICE_FAILED;
    fputc('\n', stdout);
    return SLUICE_OK;
}

void sluice_progress_init(sluice_progress_t *p, const char *verb)
{
    p->tty = isatty(STDERR_FILENO) == 1;
    p->verb = verb;
    p->start_ms = p->last_ms = sl_time_mono_ms();
}

void sluice_progress(sluice_progress_t *p, uint64_t count)
{
    if (!p->tty)
        return;
    int64_t now = sl_time_mono_ms();
    if (now - p->last_ms < 1000)
        return;
    p->last_ms = now;
    double secs = (double)(now - p->start_ms) / 1000.0;
    fprintf(stderr, "\r%llu messages %s, %.0f msg/s   ", (unsigned long long)count, p->verb,
            secs > 0 ? (double)count / secs : 0.0);
    fflush(stderr);
}

void sluice_progress_end(sluice_progress_t *p)
{
    if (p->tty && p->last_ms != p->start_ms)
        fprintf(stderr, "\r%60s\r", "");
}
