/*
 * lower_source.c - SOURCE: a stream or table read from its topic.
 *
 * The topic is read as bytes and decoded by a processor with the plan's
 * codecs, so a record that cannot be read is counted, logged and skipped
 * (never fatal). A WITH (TIMESTAMP=...) column replaces the record's time
 * when the decoded row is forwarded. A null value passes through a stream
 * (persistent queries keep it, as ksqlDB's do); a record without a key
 * where the stream has key columns gets NULL keys.
 *
 * A table is materialized as ksqlDB does it (sl_lower_materialize): the
 * decoded stream is folded into a key-value store holding the latest row
 * per key, a tombstone deleting it; the decoder sends tombstones as the
 * marker row the fold needs. The store is named plan->store when the plan
 * names one, else after the node.
 */
#include <stdio.h>
#include <string.h>

#include "lower_int.h"

typedef struct src_arg {
    const sl_sql_plan_t *p;
    const sl_sql_codec_t *kc, *vc;
    uint32_t n_key;
    bool is_table;
    sl_sql_window_kind_t window;    /* a windowed topic's keys: the key's bytes then the window */
    int64_t window_size;
    sl_sql_expr_t *ts_expr;         /* NULL: the record's own time */
    sl_lower_log_t *log;
} src_arg_t;

static void log_decode(sl_ctx_t *ctx, const src_arg_t *a, const char *msg, const sl_val_t *raw, bool is_key)
{
    const uint8_t *p = NULL;
    size_t n = 0;
    if (raw != NULL && (raw->type == SL_V_BYTES || raw->type == SL_V_STRING)) {
        p = raw->u.bytes.ptr;
        n = raw->u.bytes.len;
    }
    sl_lower_log_error(ctx, a->log, 0, msg, p, n, is_key);
}

static bool decode_side(sl_ctx_t *ctx, const src_arg_t *a, const sl_sql_codec_t *c, const sl_val_t *raw,
                        bool is_key, sl_sql_row_t **out)
{
    char err[512] = "";
    const uint8_t *p = (const uint8_t *)"";
    size_t n = 0;
    if (raw->type == SL_V_BYTES || raw->type == SL_V_STRING) {
        p = raw->u.bytes.ptr;
        n = raw->u.bytes.len;
    }
    if (sl_sql_codec_decode(c, p, n, sl_ctx_arena(ctx), out, err, sizeof(err)) != SL_OK || *out == NULL) {
        char msg[700];
        snprintf(msg, sizeof(msg), "Failed to deserialize %s from topic: %s. %s", is_key ? "key" : "value",
                 sl_ctx_topic(ctx) != NULL ? sl_ctx_topic(ctx) : "", err);
        log_decode(ctx, a, msg, raw, is_key);
        return false;
    }
    return true;
}

static void src_decode(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    const src_arg_t *a = arg;
    sl_sql_row_t *krow = NULL, *vrow = NULL;

    int64_t wstart = 0, wend = 0;
    sl_val_t inner;
    if (a->window != SL_SQL_WIN_NONE && !sl_val_is_null(key)) {
        /* Kafka's windowed key layouts: key, start (time windows) or key,
         * end, start (sessions), 8 bytes big-endian each */
        size_t tail = a->window == SL_SQL_WIN_SESSION ? 16 : 8;
        if ((key->type != SL_V_BYTES && key->type != SL_V_STRING) || key->u.bytes.len < tail) {
            log_decode(ctx, a, "Failed to deserialize key: too short for a windowed key", key, true);
            return;
        }
        const uint8_t *t = key->u.bytes.ptr + key->u.bytes.len - tail;
        int64_t x = 0, y = 0;
        for (int i = 0; i < 8; i++)
            x = (int64_t)((uint64_t)x << 8 | t[i]);
        for (size_t i = 8; i < tail; i++)
            y = (int64_t)((uint64_t)y << 8 | t[i]);
        if (a->window == SL_SQL_WIN_SESSION) {
            wend = x;
            wstart = y;
        } else {
            wstart = x;
            wend = x + a->window_size;
        }
        inner = sl_val_bytes_ref(key->u.bytes.ptr, key->u.bytes.len - tail);
        key = &inner;
    }
    if (a->n_key > 0) {
        if (sl_val_is_null(key)) {
            if (a->is_table)
                return; /* a table's row needs its key */
            krow = sl_lower_row_new(ctx, a->n_key);
            if (krow == NULL)
                return;
        } else if (!decode_side(ctx, a, a->kc, key, true, &krow)) {
            return;
        }
        if (a->is_table) {
            /* a table keeps rows whose key is partly NULL, not wholly */
            uint32_t nulls = 0;
            for (uint32_t i = 0; i < krow->n; i++)
                nulls += sl_sql_datum_is_null(&krow->cols[i]);
            if (nulls == krow->n)
                return;
        }
    }
    if (!sl_val_is_null(value) && !decode_side(ctx, a, a->vc, value, false, &vrow))
        return;

    int64_t ts = sl_ctx_timestamp(ctx);
    if (a->ts_expr != NULL && vrow != NULL) {
        sl_sql_eval_t cx;
        sl_sql_datum_t d;
        sl_sql_eval_init(&cx, sl_ctx_arena(ctx), krow, vrow);
        sl_sql_eval(a->ts_expr, &cx, &d);
        if (d.kind != SL_SQL_T_BIGINT && d.kind != SL_SQL_T_TIMESTAMP) {
            char msg[400];
            snprintf(msg, sizeof(msg), "Failed to extract timestamp from row: %s",
                     cx.error[0] ? cx.error : "the timestamp column is null");
            sl_lower_log_error(ctx, a->log, 1, msg, NULL, 0, false);
            return;
        }
        if (d.u.i64 < 0) {
            sl_lower_log_error(ctx, a->log, 1, "Failed to extract timestamp from row: negative timestamp", NULL,
                               0, false);
            return;
        }
        ts = d.u.i64;
    }
    sl_val_t k = krow != NULL ? sl_val_ptr(krow) : sl_val_null();
    if (a->window != SL_SQL_WIN_NONE && krow != NULL)
        k = sl_val_windowed(ctx, &k, wstart, wend);
    sl_val_t v = vrow != NULL ? sl_val_ptr(vrow) : sl_val_null();
    if (a->is_table && vrow == NULL)
        v = sl_val_ptr(&sl_lower_tombstone);
    sl_ctx_forward_ts(ctx, &k, &v, ts);
}

sl_sql_expr_t *sl_lower_source_time(sl_arena_t *arena, const sl_sql_schema_t *schema, int col, const char *fmt,
                                    char *err, size_t errlen)
{
    if (col < 0 || (uint32_t)col >= schema->n_value) {
        snprintf(err, errlen, "no timestamp column");
        return NULL;
    }
    const sl_sql_column_t *c = &schema->value[col];
    sl_sql_expr_t *e = sl_sql_expr_column(arena, SL_SQL_COL_VALUE, (uint32_t)col, c->type, c->name);
    if (e == NULL || c->type->kind != SL_SQL_T_STRING) {
        if (e == NULL)
            snprintf(err, errlen, "out of memory");
        return e;
    }
    if (fmt == NULL) {
        snprintf(err, errlen, "the timestamp column %s is a STRING: it needs a TIMESTAMP_FORMAT", c->name);
        return NULL;
    }
    sl_sql_datum_t d = sl_sql_string(fmt, (uint32_t)strlen(fmt));
    sl_sql_expr_t *args[2] = {e, sl_sql_expr_const(arena, sl_sql_type_of(SL_SQL_T_STRING), &d, fmt)};
    char why[512];
    sl_sql_expr_t *call = args[1] != NULL ? sl_sql_expr_call(arena, "STRINGTOTIMESTAMP", args, 2, why, sizeof(why))
                                          : NULL;
    if (call == NULL)
        snprintf(err, errlen, "timestamp column %s: %s", c->name, args[1] ? why : "out of memory");
    return call;
}

/* The timestamp column's value as ms (sl_lower_source_time). */
static sl_sql_expr_t *timestamp_expr(sl_lower_ctx_t *lc, const sl_sql_plan_t *p)
{
    char err[600];
    sl_sql_expr_t *e = sl_lower_source_time(lc->arena, &p->out, p->timestamp_col,
                                            p->source != NULL ? p->source->timestamp_fmt : NULL, err, sizeof(err));
    if (e == NULL)
        sl_lower_fail(lc, SL_ERR_INVAL, "%s", err);
    return e;
}

static sl_lw_t remember(sl_lower_ctx_t *lc, sl_lw_t lw)
{
    if (lc->n_sources == lc->cap_sources) {
        uint32_t cap = lc->cap_sources ? lc->cap_sources * 2 : 4;
        sl_lw_t *s = sl_lower_alloc(lc, cap * sizeof(*s));
        if (s == NULL)
            return (sl_lw_t){0};
        if (lc->n_sources > 0)
            memcpy(s, lc->sources, lc->n_sources * sizeof(*s));
        lc->sources = s;
        lc->cap_sources = cap;
    }
    lc->sources[lc->n_sources++] = lw;
    return lw;
}

sl_lw_t sl_lower_source(sl_lower_ctx_t *lc, const sl_sql_plan_t *p)
{
    const sl_sql_source_t *src = p->source;
    if (src == NULL || src->topic == NULL || p->value_codec == NULL || (p->out.n_key > 0 && p->key_codec == NULL))
        return sl_lower_fail(lc, SL_ERR_INVAL, "a source plan node without its topic or codecs");
    /* A topic is read once per topology: a second read of the same source
     * (a self join) shares the first's decoded records. */
    for (uint32_t i = 0; i < lc->n_sources; i++) {
        const sl_sql_plan_t *q = lc->sources[i].p;
        if (strcmp(q->source->topic, src->topic) != 0)
            continue;
        if (q->is_table != p->is_table || q->timestamp_col != p->timestamp_col)
            return sl_lower_fail(lc, SL_ERR_UNSUPPORTED, "topic %s is read twice in different ways in one query",
                                 src->topic);
        sl_lw_t lw = lc->sources[i];
        lw.p = p;
        return lw;
    }

    src_arg_t *a = sl_lower_alloc(lc, sizeof(*a));
    if (a == NULL)
        return (sl_lw_t){0};
    a->p = p;
    a->kc = p->key_codec;
    a->vc = p->value_codec;
    a->n_key = p->out.n_key;
    a->is_table = p->is_table;
    a->window = p->window.kind;
    a->window_size = p->window.size_ms;
    a->log = sl_lower_log_new(lc, p);
    if (p->timestamp_col >= 0 && (uint32_t)p->timestamp_col < p->out.n_value &&
        (a->ts_expr = timestamp_expr(lc, p)) == NULL)
        return sl_lower_fail(lc, SL_ERR_INVAL, "bad timestamp column");
    if (lc->failed || a->log == NULL)
        return (sl_lw_t){0};

    const char *base = p->id != NULL ? p->id : "KsqlTopic";
    const char *sname = sl_lower_name(lc, base, "source");
    const char *dname = sl_lower_name(lc, base, "decode");
    if (sname == NULL || dname == NULL)
        return (sl_lw_t){0};
    sl_stream_t *s = sl_builder_stream(lc->b, sname, src->topic, SL_BYTES, SL_BYTES);
    s = sl_lower_stream_node(lc, s, p, dname, src_decode, a, a->log, false);
    if (s == NULL)
        return sl_lower_fail(lc, SL_ERR_INVAL, "cannot read topic %s", src->topic);

    sl_lw_t lw = {0};
    lw.p = p;
    if (!p->is_table) {
        lw.s = s;
        return remember(lc, lw);
    }
    lw.t = sl_lower_materialize(lc, s, p, p->store != NULL ? p->store : sl_lower_name(lc, base, "store"), base,
                                false);
    if (lw.t == NULL)
        return sl_lower_fail(lc, SL_ERR_INVAL, "cannot materialize table %s", src->name);
    return remember(lc, lw);
}
