/*
 * runner.c - sql_case_runner: runs the data-driven SQL cases of one or more
 * tests/sql/<name>.test files against local engines (sql.h only), one fresh
 * engine per case, and prints one line per failing case (file:line, what
 * was expected, what came) and a summary "N cases, M failed". Exit status
 * 1 when a case failed, a file could not be read or held no case, or a
 * line was not understood.
 *
 * The format (see the SQL engine's brief): test, topic, statement ok /
 * statement error <substring>, input, output [window s e], no-output,
 * push/pull <h>, query-error <substring>, header, row, end-rows,
 * processing-errors, advance, end. JSON is compared as values: numbers
 * numerically (1 == 1.0), objects whatever their key order.
 *
 * Everything is bounded: file size, statement length, handles and topics
 * per case; each case gets SL_CASE_SECONDS of wall time (an alarm reports
 * the case and exits) so a hang names its case.
 *
 * --check parses the files without running anything (for the format).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sql.h"

#define SL_CASE_MAX_FILE (8u << 20)
#define SL_CASE_MAX_SQL (256u << 10)
#define SL_CASE_MAX_HANDLES 32
#define SL_CASE_MAX_TOPICS 64
#define SL_CASE_SECONDS 60

typedef struct handle {
    char name[64];
    sl_sql_query_t *q;
} handle_t;

typedef struct runner {
    bool check_only;
    const char *file;
    char **lines;
    size_t n_lines;
    size_t at;              /* next line index */
    int cases, failed;
    bool format_error;
    /* the current case */
    bool in_case;
    bool case_failed;
    char name[256];
    size_t case_line;
    char state_dir[64];
    sl_sql_engine_t *e;
    handle_t handles[SL_CASE_MAX_HANDLES];
    int n_handles;
    char *topics[SL_CASE_MAX_TOPICS]; /* named by output lines */
    int n_topics;
} runner_t;

/* For the alarm: which case is running. */
static volatile sig_atomic_t alarm_armed;
static char alarm_msg[512];

static void on_alarm(int sig)
{
    (void)sig;
    if (alarm_armed) {
        ssize_t w = write(2, alarm_msg, strlen(alarm_msg));
        (void)w;
    }
    _exit(1);
}

/* --- reporting ------------------------------------------------------------------ */

static void fail_at(runner_t *r, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail_at(runner_t *r, size_t line, const char *fmt, ...)
{
    if (r->in_case && r->case_failed)
        return; /* one line per failing case: the first failure */
    va_list ap;
    va_start(ap, fmt);
    fprintf(stdout, "%s:%zu: ", r->file, line + 1);
    if (r->in_case)
        fprintf(stdout, "[%s] ", r->name);
    vfprintf(stdout, fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    if (r->in_case)
        r->case_failed = true;
    else
        r->format_error = true;
}

static void format_error(runner_t *r, size_t line, const char *what)
{
    printf("%s:%zu: bad line: %s\n", r->file, line + 1, what);
    r->format_error = true;
    if (r->in_case)
        r->case_failed = true;
}

/* --- text helpers ------------------------------------------------------------------ */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* The first word of *p (moved past it and the blanks after). */
static char *word(char **p)
{
    char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    char *w = s;
    while (*s && *s != ' ' && *s != '\t')
        s++;
    if (*s)
        *s++ = '\0';
    while (*s == ' ' || *s == '\t')
        s++;
    *p = s;
    return w;
}

static bool parse_i64(const char *s, int64_t *out)
{
    if (!*s)
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno)
        return false;
    *out = v;
    return true;
}

/* One JSON value at the start of *p: its text (a copy) and *p moved past
 * it. NULL when *p does not start with a JSON value. */
static char *json_token(char **p, json_t **value)
{
    char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    json_error_t je;
    json_t *j = json_loadb(s, strlen(s), JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, &je);
    if (!j)
        return NULL;
    size_t used = je.position;
    if (used > strlen(s))
        used = strlen(s);
    char *text = strndup(s, used);
    *p = s + used;
    if (value)
        *value = j;
    else
        json_decref(j);
    if (text)
        trim(text); /* the value starts at text: only trailing blanks go */
    return text;
}

static char *dump(const json_t *j)
{
    char *s = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    return s ? s : strdup("(nothing)");
}

/* JSON compared as values: numbers numerically, objects by keys. */
static bool json_same(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return a == b;
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        return json_number_value(a) == json_number_value(b);
    }
    if (json_typeof(a) != json_typeof(b))
        return false;
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!json_same(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)a, k, v)
        {
            if (!json_same(v, json_object_get(b, k)))
                return false;
        }
        return true;
    }
    return json_equal(a, b);
}

/* text (JSON) compared with want; false also when text is not JSON. */
static bool text_same(const char *text, const json_t *want)
{
    json_error_t je;
    json_t *got = text ? json_loads(text, JSON_DECODE_ANY, &je) : NULL;
    bool same = got && json_same(got, want);
    json_decref(got);
    return same;
}

/* --- the engine of a case ---------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

static handle_t *handle_find(runner_t *r, const char *name)
{
    for (int i = 0; i < r->n_handles; i++)
        if (strcmp(r->handles[i].name, name) == 0)
            return &r->handles[i];
    return NULL;
}

/* Whether a case's lines act now: not a --check pass, the case has not
 * failed, and its engine is up. */
static bool running(const runner_t *r)
{
    return !r->check_only && !r->case_failed && r->e;
}

/* The one word a line takes after its command; NULL (format error said)
 * when there is none or more follows. */
static char *sole_word(runner_t *r, size_t line, char *rest, const char *usage)
{
    char *w = word(&rest);
    if (!*w || *rest) {
        format_error(r, line, usage);
        return NULL;
    }
    return w;
}

static void case_close(runner_t *r)
{
    for (int i = 0; i < r->n_handles; i++)
        sl_sql_query_close(r->handles[i].q);
    r->n_handles = 0;
    for (int i = 0; i < r->n_topics; i++)
        free(r->topics[i]);
    r->n_topics = 0;
    sl_sql_engine_free(r->e);
    r->e = NULL;
    if (r->state_dir[0]) {
        nftw(r->state_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        r->state_dir[0] = '\0';
    }
    alarm(0);
    alarm_armed = 0;
}

static void case_start(runner_t *r, size_t line, const char *name)
{
    r->in_case = true;
    r->case_failed = false;
    r->case_line = line;
    snprintf(r->name, sizeof r->name, "%s", name);
    r->cases++;
    if (r->check_only)
        return;
    snprintf(alarm_msg, sizeof alarm_msg, "%s:%zu: [%s] did not finish within %d s\n", r->file, line + 1, name,
             SL_CASE_SECONDS);
    alarm_armed = 1;
    alarm(SL_CASE_SECONDS);
    snprintf(r->state_dir, sizeof r->state_dir, "/tmp/sl-sqlcase-XXXXXX");
    if (!mkdtemp(r->state_dir)) {
        r->state_dir[0] = '\0';
        fail_at(r, line, "cannot make a state directory: %s", strerror(errno));
        return;
    }
    char props[256];
    snprintf(props, sizeof props, "state.dir=%s\n", r->state_dir);
    sl_sql_error_t err;
    memset(&err, 0, sizeof err);
    if (sl_sql_engine_new_local(props, 0, &r->e, &err) != SL_OK) {
        r->e = NULL;
        fail_at(r, line, "cannot make a local engine: %s", err.message);
    }
}

/* Every topic an output line named must have nothing unread left. */
static void case_end(runner_t *r, size_t line)
{
    if (running(r)) {
        for (int i = 0; i < r->n_topics && !r->case_failed; i++) {
            sl_sql_local_record_t rec;
            sl_sql_error_t err;
            if (sl_sql_local_next(r->e, r->topics[i], &rec, &err) == SL_OK) {
                fail_at(r, line, "end: expected no more records on %s, got key %s value %s at %lld", r->topics[i],
                        rec.key, rec.value, (long long)rec.timestamp);
                sl_sql_local_record_clear(&rec);
            }
        }
    }
    if (r->case_failed)
        r->failed++;
    case_close(r);
    r->in_case = false;
    r->case_failed = false;
}

static void topic_note(runner_t *r, const char *topic)
{
    for (int i = 0; i < r->n_topics; i++)
        if (strcmp(r->topics[i], topic) == 0)
            return;
    if (r->n_topics < SL_CASE_MAX_TOPICS)
        r->topics[r->n_topics++] = strdup(topic);
}

/* The SQL on the lines after the current one, up to a line ending with
 * ';' (malloc'd), or NULL with a format error. */
static char *read_sql(runner_t *r, size_t cmd_line)
{
    size_t cap = 256, len = 0;
    char *sql = malloc(cap);
    if (!sql)
        return NULL;
    sql[0] = '\0';
    while (r->at < r->n_lines) {
        char *l = r->lines[r->at++];
        size_t n = strlen(l);
        if (len + n + 2 > SL_CASE_MAX_SQL) {
            free(sql);
            format_error(r, cmd_line, "statement too long");
            return NULL;
        }
        if (len + n + 2 > cap) {
            while (len + n + 2 > cap)
                cap *= 2;
            char *g = realloc(sql, cap);
            if (!g) {
                free(sql);
                return NULL;
            }
            sql = g;
        }
        memcpy(sql + len, l, n);
        len += n;
        sql[len++] = '\n';
        sql[len] = '\0';
        char *t = trim(strdupa(l));
        size_t tn = strlen(t);
        if (tn && t[tn - 1] == ';')
            return sql;
    }
    free(sql);
    format_error(r, cmd_line, "the SQL after this line never ends with ';'");
    return NULL;
}

/* The SQL of a statement or query line (read either way, so that the
 * lines after it are passed over); NULL when there is none or the case is
 * not running. */
static char *sql_to_run(runner_t *r, size_t line)
{
    char *sql = read_sql(r, line);
    if (sql && !running(r)) {
        free(sql);
        return NULL;
    }
    return sql;
}

/* --- the commands ------------------------------------------------------------------ */

static void cmd_statement(runner_t *r, size_t line, char *rest)
{
    char *mode = word(&rest);
    bool want_ok = strcmp(mode, "ok") == 0;
    if (!want_ok && strcmp(mode, "error") != 0) {
        format_error(r, line, "statement ok | statement error <substring>");
        return;
    }
    char *sql = sql_to_run(r, line);
    if (!sql)
        return;
    sl_sql_error_t err;
    memset(&err, 0, sizeof err);
    json_t *out = NULL;
    sl_err_t rc = sl_sql_execute(r->e, sql, NULL, &out, &err);
    char *t = trim(sql);
    if (want_ok && rc)
        fail_at(r, line, "statement: expected ok, got error (%s): %s  -- %s", sl_err_name(rc), err.message, t);
    else if (!want_ok && !rc)
        fail_at(r, line, "statement: expected an error containing \"%s\", got ok  -- %s", rest, t);
    else if (!want_ok && !strstr(err.message, rest))
        fail_at(r, line, "statement: expected an error containing \"%s\", got: %s", rest, err.message);
    json_decref(out);
    free(sql);
}

static void cmd_topic(runner_t *r, size_t line, char *rest)
{
    char *name = word(&rest);
    int64_t parts = 1;
    if (!*name || (*rest && !parse_i64(rest, &parts)) || parts < 1 || parts > 1000) {
        format_error(r, line, "topic <name> [<partitions>]");
        return;
    }
    if (!running(r))
        return;
    sl_sql_error_t err;
    memset(&err, 0, sizeof err);
    sl_err_t rc = sl_sql_local_topic(r->e, name, (int32_t)parts, &err);
    if (rc && rc != SL_ERR_EXISTS)
        fail_at(r, line, "topic %s: %s", name, err.message);
}

/* "<topic> <ts> <key-json> <value-json>" of input/output lines. */
static bool record_args(runner_t *r, size_t line, char **rest, char **topic, int64_t *ts, char **key, json_t **kj,
                        char **value, json_t **vj)
{
    *topic = word(rest);
    char *tss = word(rest);
    *key = *value = NULL;
    if (!**topic || !parse_i64(tss, ts)) {
        format_error(r, line, "<topic> <timestamp> <key-json> <value-json>");
        return false;
    }
    *key = json_token(rest, kj);
    *value = *key ? json_token(rest, vj) : NULL;
    if (!*key || !*value) {
        if (*key && kj)
            json_decref(*kj);
        free(*key);
        *key = NULL;
        format_error(r, line, "the key and the value must be one JSON value each");
        return false;
    }
    return true;
}

static void cmd_input(runner_t *r, size_t line, char *rest)
{
    char *topic, *key, *value;
    int64_t ts;
    if (!record_args(r, line, &rest, &topic, &ts, &key, NULL, &value, NULL))
        return;
    if (*trim(rest))
        format_error(r, line, "unexpected text after the value");
    else if (running(r)) {
        sl_sql_error_t err;
        memset(&err, 0, sizeof err);
        if (sl_sql_local_produce(r->e, topic, key, value, ts, &err) != SL_OK)
            fail_at(r, line, "input to %s failed: %s", topic, err.message);
    }
    free(key);
    free(value);
}

static void cmd_output(runner_t *r, size_t line, char *rest)
{
    char *topic, *key, *value;
    json_t *kj = NULL, *vj = NULL;
    int64_t ts, ws = 0, we = 0;
    if (!record_args(r, line, &rest, &topic, &ts, &key, &kj, &value, &vj))
        return;
    bool windowed = false;
    rest = trim(rest);
    if (*rest) {
        char *w = word(&rest);
        char *s = word(&rest);
        char *e = word(&rest);
        if (strcmp(w, "window") != 0 || !parse_i64(s, &ws) || !parse_i64(e, &we) || *rest)
            format_error(r, line, "output ... [window <start> <end>]");
        windowed = true;
    }
    if (running(r)) {
        topic_note(r, topic);
        sl_sql_local_record_t rec;
        sl_sql_error_t err;
        memset(&err, 0, sizeof err);
        sl_err_t rc = sl_sql_local_next(r->e, topic, &rec, &err);
        if (rc) {
            fail_at(r, line, "output: expected on %s key %s value %s at %lld, got no record (%s)", topic, key, value,
                    (long long)ts, err.message);
        } else {
            bool same = text_same(rec.key, kj) && text_same(rec.value, vj) && rec.timestamp == ts &&
                        rec.windowed == windowed &&
                        (!windowed || (rec.window_start == ws && rec.window_end == we));
            if (!same) {
                char gotw[64] = "", wantw[64] = "";
                if (rec.windowed)
                    snprintf(gotw, sizeof gotw, " window %lld %lld", (long long)rec.window_start,
                             (long long)rec.window_end);
                if (windowed)
                    snprintf(wantw, sizeof wantw, " window %lld %lld", (long long)ws, (long long)we);
                fail_at(r, line, "output on %s: expected %lld %s %s%s, got %lld %s %s%s", topic, (long long)ts, key,
                        value, wantw, (long long)rec.timestamp, rec.key, rec.value, gotw);
            }
            sl_sql_local_record_clear(&rec);
        }
    }
    json_decref(kj);
    json_decref(vj);
    free(key);
    free(value);
}

static void cmd_no_output(runner_t *r, size_t line, char *rest)
{
    char *topic = sole_word(r, line, rest, "no-output <topic>");
    if (!topic || !running(r))
        return;
    sl_sql_local_record_t rec;
    sl_sql_error_t err;
    memset(&err, 0, sizeof err);
    sl_err_t rc = sl_sql_local_next(r->e, topic, &rec, &err);
    if (rc == SL_OK) {
        fail_at(r, line, "no-output: expected nothing on %s, got key %s value %s at %lld", topic, rec.key, rec.value,
                (long long)rec.timestamp);
        sl_sql_local_record_clear(&rec);
    } else if (rc != SL_ERR_NOENT) {
        fail_at(r, line, "no-output: reading %s failed: %s", topic, err.message);
    }
}

static void cmd_open(runner_t *r, size_t line, char *rest, bool want_error)
{
    char *h = want_error ? NULL : word(&rest);
    if (!want_error && (!*h || *rest || strlen(h) >= sizeof r->handles[0].name)) {
        format_error(r, line, "push <handle> | pull <handle>, then the SQL");
        return;
    }
    char *sql = sql_to_run(r, line);
    if (!sql)
        return;
    sl_sql_error_t err;
    memset(&err, 0, sizeof err);
    sl_sql_query_t *q = NULL;
    sl_err_t rc = sl_sql_query_open(r->e, sql, NULL, &q, &err);
    if (want_error) {
        if (!rc)
            fail_at(r, line, "query-error: expected an error containing \"%s\", got a query", rest);
        else if (!strstr(err.message, rest))
            fail_at(r, line, "query-error: expected an error containing \"%s\", got: %s", rest, err.message);
        sl_sql_query_close(q);
    } else if (rc) {
        fail_at(r, line, "opening query %s failed (%s): %s", h, sl_err_name(rc), err.message);
    } else if (handle_find(r, h) || r->n_handles == SL_CASE_MAX_HANDLES) {
        sl_sql_query_close(q);
        format_error(r, line, "a handle name used twice in a case, or too many handles");
    } else {
        handle_t *hd = &r->handles[r->n_handles++];
        snprintf(hd->name, sizeof hd->name, "%s", h);
        hd->q = q;
    }
    free(sql);
}

/* "<h> <json>" of header and row lines: the handle (NULL after a failure). */
static handle_t *handle_json(runner_t *r, size_t line, char **rest, json_t **want, const char *usage)
{
    char *h = word(rest);
    char *text = *h ? json_token(rest, want) : NULL;
    if (!text || *trim(*rest)) {
        if (text)
            json_decref(*want);
        free(text);
        *want = NULL;
        format_error(r, line, usage);
        return NULL;
    }
    free(text);
    if (!running(r)) {
        json_decref(*want);
        *want = NULL;
        return NULL;
    }
    handle_t *hd = handle_find(r, h);
    if (!hd) {
        json_decref(*want);
        *want = NULL;
        fail_at(r, line, "no query handle %s", h);
    }
    return hd;
}

static void cmd_header(runner_t *r, size_t line, char *rest)
{
    json_t *want = NULL;
    handle_t *hd = handle_json(r, line, &rest, &want, "header <handle> <json-array>");
    if (!hd)
        return;
    const json_t *hdr = sl_sql_query_header(hd->q);
    const json_t *names = hdr ? json_object_get(hdr, "columnNames") : NULL;
    if (!json_same(names, want)) {
        char *w = dump(want), *g = dump(names);
        fail_at(r, line, "header of %s: expected %s, got %s", hd->name, w, g);
        free(w);
        free(g);
    }
    json_decref(want);
}

static void cmd_row(runner_t *r, size_t line, char *rest)
{
    json_t *want = NULL;
    handle_t *hd = handle_json(r, line, &rest, &want, "row <handle> <json-array>");
    if (!hd)
        return;
    json_t *row = NULL;
    sl_err_t rc = sl_sql_query_next(hd->q, 0, &row);
    char *w = dump(want);
    if (rc) {
        sl_sql_error_t err;
        memset(&err, 0, sizeof err);
        sl_err_t why = rc == SL_ERR_CLOSED ? sl_sql_query_error(hd->q, &err) : SL_OK;
        fail_at(r, line, "row of %s: expected %s, got %s%s%s", hd->name, w, sl_err_name(rc), why ? ": " : "",
                why ? err.message : "");
    } else if (!json_same(row, want)) {
        char *g = dump(row);
        fail_at(r, line, "row of %s: expected %s, got %s", hd->name, w, g);
        free(g);
    }
    free(w);
    json_decref(row);
    json_decref(want);
}

static void cmd_end_rows(runner_t *r, size_t line, char *rest)
{
    char *h = sole_word(r, line, rest, "end-rows <handle>");
    if (!h || !running(r))
        return;
    handle_t *hd = handle_find(r, h);
    if (!hd) {
        fail_at(r, line, "no query handle %s", h);
        return;
    }
    json_t *row = NULL;
    sl_err_t rc = sl_sql_query_next(hd->q, 0, &row);
    if (rc == SL_OK) {
        char *g = dump(row);
        fail_at(r, line, "end-rows of %s: expected no row, got %s", h, g);
        free(g);
    } else if (rc != SL_ERR_TIMEOUT && rc != SL_ERR_CLOSED) {
        fail_at(r, line, "end-rows of %s: %s", h, sl_err_name(rc));
    }
    json_decref(row);
}

static void cmd_number(runner_t *r, size_t line, char *rest, bool advance)
{
    int64_t n;
    if (!parse_i64(trim(rest), &n) || n < 0) {
        format_error(r, line, advance ? "advance <ms>" : "processing-errors <n>");
        return;
    }
    if (!running(r))
        return;
    if (advance) {
        sl_err_t rc = sl_sql_local_advance(r->e, n);
        if (rc)
            fail_at(r, line, "advance %lld failed: %s", (long long)n, sl_err_name(rc));
        return;
    }
    int64_t got = sl_sql_processing_errors(r->e);
    if (got != n)
        fail_at(r, line, "processing-errors: expected %lld, got %lld", (long long)n, (long long)got);
}

/* --- the file ------------------------------------------------------------------ */

static bool load(runner_t *r)
{
    FILE *f = fopen(r->file, "rb");
    if (!f) {
        printf("%s: cannot open: %s\n", r->file, strerror(errno));
        return false;
    }
    char *text = malloc(SL_CASE_MAX_FILE + 1);
    size_t n = text ? fread(text, 1, SL_CASE_MAX_FILE + 1, f) : 0;
    fclose(f);
    if (!text || n > SL_CASE_MAX_FILE) {
        printf("%s: too large (limit %u bytes)\n", r->file, SL_CASE_MAX_FILE);
        free(text);
        return false;
    }
    text[n] = '\0';
    size_t count = 1;
    for (size_t i = 0; i < n; i++)
        count += text[i] == '\n';
    r->lines = calloc(count, sizeof *r->lines);
    if (!r->lines) {
        free(text);
        return false;
    }
    char *p = text;
    for (;;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        size_t ln = strlen(p);
        if (ln && p[ln - 1] == '\r')
            p[ln - 1] = '\0';
        r->lines[r->n_lines++] = p;
        if (!nl)
            break;
        p = nl + 1;
    }
    return true;
}

static void run_file(runner_t *r)
{
    while (r->at < r->n_lines) {
        size_t line = r->at++;
        char buf[4096];
        snprintf(buf, sizeof buf, "%s", r->lines[line]);
        char *rest = trim(buf);
        if (!*rest || *rest == '#')
            continue;
        if (strlen(r->lines[line]) >= sizeof buf - 1) {
            format_error(r, line, "line too long");
            continue;
        }
        char *cmd = word(&rest);
        if (strcmp(cmd, "test") == 0) {
            if (r->in_case) {
                format_error(r, line, "a case starts before the previous one's end");
                case_end(r, line);
            }
            if (!*rest)
                format_error(r, line, "test <name>");
            case_start(r, line, rest);
            continue;
        }
        if (!r->in_case) {
            format_error(r, line, "outside a case (test <name> starts one)");
            continue;
        }
        if (strcmp(cmd, "end") == 0) {
            if (*rest)
                format_error(r, line, "end takes nothing");
            case_end(r, line);
        } else if (strcmp(cmd, "topic") == 0) {
            cmd_topic(r, line, rest);
        } else if (strcmp(cmd, "statement") == 0) {
            cmd_statement(r, line, rest);
        } else if (strcmp(cmd, "input") == 0) {
            cmd_input(r, line, rest);
        } else if (strcmp(cmd, "output") == 0) {
            cmd_output(r, line, rest);
        } else if (strcmp(cmd, "no-output") == 0) {
            cmd_no_output(r, line, rest);
        } else if (strcmp(cmd, "push") == 0 || strcmp(cmd, "pull") == 0) {
            cmd_open(r, line, rest, false);
        } else if (strcmp(cmd, "query-error") == 0) {
            cmd_open(r, line, rest, true);
        } else if (strcmp(cmd, "header") == 0) {
            cmd_header(r, line, rest);
        } else if (strcmp(cmd, "row") == 0) {
            cmd_row(r, line, rest);
        } else if (strcmp(cmd, "end-rows") == 0) {
            cmd_end_rows(r, line, rest);
        } else if (strcmp(cmd, "processing-errors") == 0) {
            cmd_number(r, line, rest, false);
        } else if (strcmp(cmd, "advance") == 0) {
            cmd_number(r, line, rest, true);
        } else {
            format_error(r, line, "unknown command");
        }
    }
    if (r->in_case) {
        format_error(r, r->n_lines ? r->n_lines - 1 : 0, "the last case has no end");
        case_end(r, r->n_lines);
    }
}

int main(int argc, char **argv)
{
    bool check_only = false;
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "--check") == 0) {
        check_only = true;
        first = 2;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: %s [--check] <file.test>...\n", argv[0]);
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    int cases = 0, failed = 0;
    bool bad = false;
    for (int i = first; i < argc; i++) {
        runner_t r;
        memset(&r, 0, sizeof r);
        r.check_only = check_only;
        r.file = argv[i];
        if (!load(&r)) {
            bad = true;
            continue;
        }
        run_file(&r);
        if (r.cases == 0) {
            printf("%s: no cases\n", r.file);
            bad = true;
        }
        cases += r.cases;
        failed += r.failed;
        bad = bad || r.format_error;
        if (r.n_lines)
            free(r.lines[0]);
        free(r.lines);
    }
    printf("%d cases, %d failed\n", cases, failed);
    return failed || bad ? 1 : 0;
}
