/*
 * exec_misc.c - the session and the odd ones out: SET and UNSET (the
 * engine's session properties), PRINT (a topic's records as ksqlDB prints
 * them: "rowtime: ..., key: ..., value: ..., partition: ...") and RUN
 * SCRIPT (a file of statements executed in order).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "engine_int.h"

#define PRINT_MAX 10000                 /* records one PRINT gives at most */
#define SCRIPT_MAX (16u * 1024 * 1024)  /* bytes of a RUN SCRIPT file */
#define SCRIPT_DEPTH 8                  /* RUN SCRIPT inside RUN SCRIPT */

static json_t *status(sl_sql_exec_t *x, const char *message)
{
    return sl_sql_status_entity(x->stmt->text, "", message, NULL, x->e->seq);
}

/* ---------------------------------------------------------------------------
 * SET / UNSET
 * ------------------------------------------------------------------------- */

static bool is_reset_key(const char *k)
{
    return strcmp(k, "auto.offset.reset") == 0 || strcmp(k, "ksql.streams.auto.offset.reset") == 0 ||
           strcmp(k, "sql.streams.auto.offset.reset") == 0;
}

sl_err_t sl_sql_exec_set(sl_sql_exec_t *x)
{
    const sl_sql_stmt_t *s = x->stmt;
    const char *k = s->prop, *v = s->value ? s->value : "";
    if (!k || !*k)
        return sl_sql_error_set(x->err, SL_ERR_INVAL, s->pos, "SET needs a property name");
    if (is_reset_key(k) && strcmp(v, "earliest") != 0 && strcmp(v, "latest") != 0 && strcmp(v, "none") != 0)
        return sl_sql_error_set(x->err, SL_ERR_INVAL, s->pos,
                                "Invalid value %s for configuration auto.offset.reset: String must be one of: "
                                "latest, earliest, none",
                                v);
    if (sl_props_set(x->e->session, k, v, 0))
        return sl_sql_error_set(x->err, SL_ERR_NOMEM, s->pos, "out of memory");
    char msg[1024];
    snprintf(msg, sizeof msg, "Successfully changed local property '%s' to '%s'. Use the UNSET command to revert "
             "your change.", k, v);
    return sl_sql_exec_entity(x, status(x, msg));
}

sl_err_t sl_sql_exec_unset(sl_sql_exec_t *x)
{
    const sl_sql_stmt_t *s = x->stmt;
    const char *k = s->prop;
    if (!k || !*k)
        return sl_sql_error_set(x->err, SL_ERR_INVAL, s->pos, "UNSET needs a property name");
    sl_props_t *old = x->e->session;
    const char *was = sl_props_get(old, k);
    char msg[1024];
    snprintf(msg, sizeof msg, "Successfully unset local property '%s' (value was '%s').", k, was ? was : "null");
    /* sl_props has no removal: the session is copied without the key. */
    sl_props_t *n = sl_props_new();
    if (!n)
        return sl_sql_error_set(x->err, SL_ERR_NOMEM, s->pos, "out of memory");
    for (size_t i = 0; i < sl_props_count(old); i++) {
        const char *pk, *pv;
        sl_props_at(old, i, &pk, &pv, NULL);
        if (strcmp(pk, k) != 0 && sl_props_set(n, pk, pv, 0)) {
            sl_props_free(n);
            return sl_sql_error_set(x->err, SL_ERR_NOMEM, s->pos, "out of memory");
        }
    }
    x->e->session = n;
    sl_props_free(old);
    return sl_sql_exec_entity(x, status(x, msg));
}

/* ---------------------------------------------------------------------------
 * PRINT
 * ------------------------------------------------------------------------- */

typedef struct print_ctx {
    json_t *lines;
    const sl_sql_codec_t *kc, *vc;
    sl_arena_t arena;
    int64_t interval;
    int64_t seen;
    int64_t given;
    int64_t max;
} print_ctx_t;

/* Bytes as text: UTF-8 text as it is, 4 or 8 other bytes as the
 * big-endian integer Kafka's serializers write (as ksqlDB's PRINT guesses),
 * anything else in hex. */
static void raw_text(const uint8_t *p, size_t n, sl_buf_t *out)
{
    bool text = true;
    for (size_t i = 0; i < n && text; i++)
        text = p[i] >= 0x20 || p[i] == '\t' || p[i] == '\n';
    if (text) {
        sl_buf_put(out, p, n);
        return;
    }
    if (n == 4 || n == 8) {
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++)
            v = (v << 8) | p[i];
        char num[32];
        if (n == 4)
            snprintf(num, sizeof num, "%d", (int)(int32_t)(uint32_t)v);
        else
            snprintf(num, sizeof num, "%lld", (long long)(int64_t)v);
        sl_buf_put(out, num, strlen(num));
        return;
    }
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        char h[2] = {hex[p[i] >> 4], hex[p[i] & 15]};
        sl_buf_put(out, h, 2);
    }
}

static void side_text(const sl_sql_codec_t *c, const uint8_t *p, size_t n, sl_arena_t *arena, sl_buf_t *out)
{
    if (!p) {
        sl_buf_put(out, "<null>", 6);
        return;
    }
    char *t = c ? sl_sql_codec_to_text(c, p, n, false, arena) : NULL;
    if (t) {
        sl_buf_put(out, t, strlen(t));
        free(t);
    } else {
        raw_text(p, n, out);
    }
}

static bool print_fn(const sl_sql_rt_record_t *rec, void *arg)
{
    print_ctx_t *pc = arg;
    pc->seen++;
    if (pc->interval > 1 && (pc->seen - 1) % pc->interval != 0)
        return true;
    char when[64];
    time_t secs = (time_t)(rec->timestamp / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(when, sizeof when, "%Y/%m/%d %H:%M:%S", &tm);
    snprintf(when + n, sizeof when - n, ".%03d Z", (int)(((rec->timestamp % 1000) + 1000) % 1000));
    sl_buf_t b;
    sl_buf_init(&b);
    sl_buf_put(&b, "rowtime: ", 9);
    sl_buf_put(&b, when, strlen(when));
    sl_buf_put(&b, ", key: ", 7);
    sl_arena_reset(&pc->arena);
    side_text(pc->kc, rec->key, rec->key_len, &pc->arena, &b);
    sl_buf_put(&b, ", value: ", 9);
    side_text(pc->vc, rec->value, rec->value_len, &pc->arena, &b);
    char part[48];
    snprintf(part, sizeof part, ", partition: %d", (int)rec->partition);
    sl_buf_put(&b, part, strlen(part));
    if (!sl_buf_err(&b))
        json_array_append_new(pc->lines, json_stringn((const char *)b.data, b.len));
    sl_buf_free(&b);
    pc->given++;
    return pc->given < pc->max;
}

sl_err_t sl_sql_exec_print(sl_sql_exec_t *x)
{
    const sl_sql_stmt_t *s = x->stmt;
    sl_sql_engine_t *e = x->e;
    sl_sql_rt_t *rt = e->rt;
    /* Topic names are case-sensitive; an unquoted name was upper-cased, so
     * its lower-case spelling is tried too. */
    char topic[512];
    snprintf(topic, sizeof topic, "%s", s->target.name);
    sl_sql_topic_info_t info;
    if (rt->ops->topic_info(rt, topic, &info) != SL_OK) {
        for (char *p = topic; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        if (rt->ops->topic_info(rt, topic, &info) != SL_OK)
            return sl_sql_error_set(x->err, SL_ERR_NOENT, s->target.pos,
                                    "Could not find topic '%s', or the KSQL user does not have permissions to list "
                                    "the topic. Topic names are case-sensitive.",
                                    s->target.name);
    }
    print_ctx_t pc = {0};
    pc.lines = json_array();
    if (!pc.lines)
        return sl_sql_error_set(x->err, SL_ERR_NOMEM, s->pos, "out of memory");
    sl_arena_init(&pc.arena, 4096, 0);
    pc.interval = s->interval > 0 ? s->interval : 1;
    pc.max = s->limit > 0 && s->limit < PRINT_MAX ? s->limit : PRINT_MAX;
    const sl_sql_source_t *src = sl_sql_engine_source_on_topic(e, topic);
    const sl_sql_codec_t *kc = NULL, *vc = NULL;
    char errbuf[256];
    if (src && sl_sql_source_codecs(&pc.arena, src, &kc, &vc, errbuf, sizeof errbuf) == SL_OK) {
        pc.kc = src->window.kind == SL_SQL_WIN_NONE ? kc : NULL;
        pc.vc = vc;
    }
    sl_arena_t codec_arena = pc.arena;  /* the codecs stay; per-record text after them */
    sl_arena_init(&pc.arena, 4096, 0);
    int timeout = e->local ? 0 : (s->from_beginning ? 2000 : 1000);
    sl_err_t r = rt->ops->read(rt, topic, s->from_beginning, pc.max, timeout, print_fn, &pc);
    if (r == SL_ERR_TIMEOUT)
        r = SL_OK;
    sl_arena_fini(&pc.arena);
    sl_arena_fini(&codec_arena);
    if (r) {
        json_decref(pc.lines);
        return sl_sql_error_set(x->err, r, s->pos, "Could not read topic %s: %s", topic, sl_err_str(r));
    }
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:[]}", "@type", "print", "statementText",
                          s->text ? s->text : "", "topic", topic, "keyFormat",
                          src ? sl_sql_fmt_name(src->key_fmt.kind) : "UNKNOWN", "valueFormat",
                          src ? sl_sql_fmt_name(src->value_fmt.kind) : "UNKNOWN", "records", pc.lines, "warnings");
    if (!j)
        return sl_sql_error_set(x->err, SL_ERR_NOMEM, s->pos, "out of memory");
    return sl_sql_exec_entity(x, j);
}

/* ---------------------------------------------------------------------------
 * RUN SCRIPT
 * ------------------------------------------------------------------------- */

sl_err_t sl_sql_exec_run_script(sl_sql_exec_t *x)
{
    const sl_sql_stmt_t *s = x->stmt;
    const char *path = s->value;
    if (!path || !*path)
        return sl_sql_error_set(x->err, SL_ERR_INVAL, s->pos, "RUN SCRIPT needs a file");
    if (x->run_depth >= SCRIPT_DEPTH)
        return sl_sql_error_set(x->err, SL_ERR_INVAL, s->pos, "RUN SCRIPT nested deeper than %d", SCRIPT_DEPTH);
    FILE *f = fopen(path, "rb");
    if (!f)
        return sl_sql_error_set(x->err, SL_ERR_IO, s->pos, "Failed to read file: %s", path);
    sl_buf_t b;
    sl_buf_init(&b);
    char chunk[8192];
    size_t n;
    sl_err_t r = SL_OK;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + n > SCRIPT_MAX) {
            r = sl_sql_error_set(x->err, SL_ERR_TOO_LARGE, s->pos, "The script %s is larger than 16 MiB", path);
            break;
        }
        sl_buf_put(&b, chunk, n);
    }
    if (!r && ferror(f))
        r = sl_sql_error_set(x->err, SL_ERR_IO, s->pos, "Failed to read file: %s", path);
    fclose(f);
    sl_buf_put(&b, "", 1);
    if (!r && sl_buf_err(&b))
        r = sl_sql_error_set(x->err, SL_ERR_NOMEM, s->pos, "out of memory");
    if (!r) {
        x->run_depth++;
        r = sl_sql_exec_text(x, (const char *)b.data, b.len - 1);
        x->run_depth--;
    }
    sl_buf_free(&b);
    return r;
}
