/*
 * lower.c - a logical plan to a streams topology (sl_sql_lower): the walk
 * over the plan and what every operator shares - unique node names (kept
 * to the characters of topic names), internal serdes, the per-record
 * evaluation context, table materialization, and the processing log (a
 * counter and, when the query has a log topic, a sink branch after each
 * record processor whose expressions can fail).
 *
 * How the plan's nodes become streams operators (the files that do it):
 *   SOURCE     bytes from the topic, decoded by a processor; a table is
 *              materialized in a store (lower_source.c)
 *   FILTER     a flat-map on streams, a table filter on tables
 *   PROJECT    a flat-map on streams, a table map_values on tables
 *   FLATMAP    a flat-map calling the table functions (streams)
 *   REKEY      a key-changing flat-map: a repartition follows before
 *              grouping or joining (lower_stateless.c)
 *   AGGREGATE  key and argument rows, group by key, aggregate (windowed:
 *              tumbling, hopping, session), a table (lower_aggregate.c)
 *   SUPPRESS   the aggregate's table suppressed until its windows close
 *   JOIN       stream-stream, stream-table, table-table (lower_join.c)
 *   SINK       the sink codecs' serdes to the topic, or env->emit_row
 *              (lower_sink.c)
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lower_int.h"

sl_lw_t sl_lower_fail(sl_lower_ctx_t *lc, sl_err_t code, const char *fmt, ...)
{
    sl_lw_t none = {0};
    if (lc->failed)
        return none;
    lc->failed = true;
    lc->code = code;
    if (lc->err != NULL) {
        char msg[900];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        sl_sql_error_set(lc->err, code, (sl_sql_pos_t){0, 0}, "%s", msg);
    }
    return none;
}

void *sl_lower_alloc(sl_lower_ctx_t *lc, size_t n)
{
    void *p = sl_arena_zalloc(lc->arena, n);
    if (p == NULL)
        sl_lower_fail(lc, SL_ERR_NOMEM, "out of memory while lowering the query");
    return p;
}

static bool name_taken(const sl_lower_ctx_t *lc, const char *name)
{
    for (uint32_t i = 0; i < lc->n_names; i++)
        if (strcmp(lc->names[i], name) == 0)
            return true;
    return false;
}

const char *sl_lower_name(sl_lower_ctx_t *lc, const char *base, const char *suffix)
{
    char buf[256];
    if (base == NULL)
        base = "Node";
    snprintf(buf, sizeof(buf), "%s%s%s", base, suffix ? "-" : "", suffix ? suffix : "");
    /* Names end up in internal topic names ("<app>-<name>-repartition",
     * "-changelog"): only the characters Kafka allows there. */
    for (char *c = buf; *c != '\0'; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '.' ||
              *c == '_' || *c == '-'))
            *c = *c == '/' ? '-' : '_';
    size_t len = strlen(buf);
    for (int n = 2; name_taken(lc, buf) && n < 100000; n++)
        snprintf(buf + len, sizeof(buf) - len, "-%d", n);
    if (lc->n_names == lc->cap_names) {
        uint32_t cap = lc->cap_names ? lc->cap_names * 2 : 32;
        const char **names = sl_lower_alloc(lc, cap * sizeof(*names));
        if (names == NULL)
            return NULL;
        if (lc->n_names > 0)
            memcpy(names, lc->names, lc->n_names * sizeof(*names));
        lc->names = names;
        lc->cap_names = cap;
    }
    char *copy = sl_arena_strndup(lc->arena, buf, strlen(buf));
    if (copy == NULL) {
        sl_lower_fail(lc, SL_ERR_NOMEM, "out of memory while lowering the query");
        return NULL;
    }
    lc->names[lc->n_names++] = copy;
    return copy;
}

const sl_serde_t *sl_lower_cols_serde(sl_lower_ctx_t *lc, const sl_sql_column_t *cols, uint32_t n)
{
    const sl_sql_type_t **types = sl_lower_alloc(lc, (n + 1) * sizeof(*types));
    if (types == NULL)
        return NULL;
    for (uint32_t i = 0; i < n; i++)
        types[i] = cols[i].type;
    const sl_serde_t *s = sl_sql_internal_serde(lc->arena, types, n);
    if (s == NULL)
        sl_lower_fail(lc, SL_ERR_NOMEM, "out of memory while lowering the query");
    return s;
}

const sl_serde_t *sl_lower_key_serde(sl_lower_ctx_t *lc, const sl_sql_schema_t *s)
{
    return s->n_key > 0 ? sl_lower_cols_serde(lc, s->key, s->n_key) : SL_BYTES;
}

const sl_serde_t *sl_lower_value_serde(sl_lower_ctx_t *lc, const sl_sql_schema_t *s)
{
    return sl_lower_cols_serde(lc, s->value, s->n_value);
}

const sl_serde_t *sl_lower_plan_key_serde(sl_lower_ctx_t *lc, const sl_sql_plan_t *p)
{
    const sl_serde_t *ks = sl_lower_key_serde(lc, &p->out);
    if (ks == NULL || p->window.kind == SL_SQL_WIN_NONE)
        return ks;
    sl_windowed_serde_t *w = sl_lower_alloc(lc, sizeof(*w));
    if (w == NULL)
        return NULL;
    bool session = p->window.kind == SL_SQL_WIN_SESSION;
    return sl_serde_windowed_init(w, ks, session ? 0 : p->window.size_ms, session);
}

sl_stream_t *sl_lower_with_serdes(sl_lower_ctx_t *lc, sl_stream_t *s, const sl_sql_plan_t *p)
{
    const sl_serde_t *ks = sl_lower_plan_key_serde(lc, p);
    const sl_serde_t *vs = sl_lower_value_serde(lc, &p->out);
    if (s == NULL || ks == NULL || vs == NULL)
        return NULL;
    return sl_stream_with_serdes(s, ks, vs);
}

/* --- materializing a table ------------------------------------------------- */

sl_sql_row_t sl_lower_tombstone;

static sl_val_t latest_init(sl_ctx_t *ctx, void *arg)
{
    SL_UNUSED(ctx);
    SL_UNUSED(arg);
    return sl_val_null();
}

/* The latest row; the tombstone marker deletes. */
static sl_val_t latest_add(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, const sl_val_t *agg,
                           void *arg)
{
    SL_UNUSED(ctx);
    SL_UNUSED(key);
    SL_UNUSED(agg);
    SL_UNUSED(arg);
    if (value->type == SL_V_PTR && value->u.ptr == &sl_lower_tombstone)
        return sl_val_null();
    return *value;
}

static void mark_tombstones(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    SL_UNUSED(key);
    SL_UNUSED(arg);
    sl_val_t v = sl_val_is_null(value) ? sl_val_ptr(&sl_lower_tombstone) : *value;
    sl_ctx_emit_value(ctx, &v);
}

sl_table_t *sl_lower_materialize(sl_lower_ctx_t *lc, sl_stream_t *s, const sl_sql_plan_t *p, const char *store,
                                 const char *base, bool mark)
{
    const sl_serde_t *ks = sl_lower_plan_key_serde(lc, p);
    const sl_serde_t *vs = sl_lower_value_serde(lc, &p->out);
    const char *gname = sl_lower_name(lc, base, "group");
    const char *mname = sl_lower_name(lc, base, "materialize");
    if (s == NULL || ks == NULL || vs == NULL || gname == NULL || mname == NULL || store == NULL)
        return NULL;
    if (mark)
        s = sl_stream_flat_map_values(s, sl_lower_name(lc, base, "tombstones"), mark_tombstones, NULL);
    sl_grouped_t *g = sl_stream_group_by_key(s, gname, ks, vs);
    return sl_grouped_aggregate(g, mname, latest_init, latest_add, NULL, NULL, vs, store);
}

/* --- the processing log ----------------------------------------------------- */

sl_lower_log_t *sl_lower_log_new(sl_lower_ctx_t *lc, const sl_sql_plan_t *p)
{
    sl_lower_log_t *log = sl_lower_alloc(lc, sizeof(*log));
    if (log == NULL)
        return NULL;
    log->env = lc->env;
    log->node = p->id != NULL ? p->id : "Node";
    log->branch = lc->env->processing_log_topic != NULL;
    return log;
}

bool sl_lower_may_fail(sl_sql_expr_t *const *exprs, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        const sl_sql_expr_t *e = exprs[i];
        if (e == NULL)
            continue;
        switch (e->kind) {
        case SL_SQL_E_CONST:
        case SL_SQL_E_COLUMN:
            continue;
        case SL_SQL_E_CAST:
        case SL_SQL_E_CALL:
        case SL_SQL_E_ARITH:
        case SL_SQL_E_SUBSCRIPT:
        case SL_SQL_E_LIKE:
            return true;
        default:
            if (sl_lower_may_fail(e->args, e->n_args))
                return true;
        }
    }
    return false;
}

static bool is_log_record(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    SL_UNUSED(ctx);
    SL_UNUSED(key);
    SL_UNUSED(arg);
    return value != NULL && value->type == SL_V_STRING;
}

sl_stream_t *sl_lower_log_branch(sl_lower_ctx_t *lc, sl_stream_t *s, sl_lower_log_t *log, const char *name)
{
    if (s == NULL || log == NULL || !log->branch)
        return s;
    static sl_predicate_fn *const preds[2] = {is_log_record, NULL};
    static void *const args[2] = {NULL, NULL};
    sl_stream_t *out[2] = {NULL, NULL};
    const char *bname = sl_lower_name(lc, name, "log-branch");
    const char *sname = sl_lower_name(lc, name, "log-sink");
    if (bname == NULL || sname == NULL)
        return NULL;
    if (sl_stream_branch(s, bname, 2, preds, args, out) != SL_OK)
        return NULL;
    if (sl_stream_to(out[0], sname, lc->env->processing_log_topic, SL_BYTES, SL_STRING, NULL, NULL) != SL_OK)
        return NULL;
    return out[1];
}

sl_stream_t *sl_lower_stream_node(sl_lower_ctx_t *lc, sl_stream_t *s, const sl_sql_plan_t *p, const char *name,
                                  sl_flat_mapper_fn *fn, void *arg, sl_lower_log_t *log, bool rekey)
{
    if (s == NULL || name == NULL)
        return NULL;
    sl_stream_t *n = rekey && !lc->env->single_partition ? sl_stream_flat_map(s, name, fn, arg)
                                                          : sl_stream_flat_map_values(s, name, fn, arg);
    n = sl_lower_log_branch(lc, n, log, name);
    return sl_lower_with_serdes(lc, n, p);
}

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_append(sl_buf_t *out, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        char q[4] = {b64chars[(v >> 18) & 63], b64chars[(v >> 12) & 63], i + 1 < n ? b64chars[(v >> 6) & 63] : '=',
                     i + 2 < n ? b64chars[v & 63] : '='};
        sl_buf_put(out, q, 4);
    }
}

/* ksqlDB's processing-log record: {"level":"ERROR","logger":...,"time":...,
 * "message":{"type":0|1, ...}}. */
static json_t *log_record(sl_ctx_t *ctx, const sl_lower_log_t *log, int type, const char *msg, const uint8_t *raw,
                          size_t raw_len, bool is_key)
{
    char logger[300];
    snprintf(logger, sizeof(logger), "processing.%s%s", log->node,
             type == 0 ? ".KsqlTopic.Source.deserializer" : "");
    json_t *m = json_object();
    json_object_set_new(m, "type", json_integer(type));
    json_object_set_new(m, "deserializationError", json_null());
    json_object_set_new(m, "recordProcessingError", json_null());
    json_object_set_new(m, "productionError", json_null());
    json_object_set_new(m, "serializationError", json_null());
    json_object_set_new(m, "kafkaStreamsThreadError", json_null());
    json_t *e = json_object();
    json_object_set_new(e, "errorMessage", json_string(msg));
    json_object_set_new(e, "cause", json_array());
    if (type == 0) {
        sl_buf_t b;
        sl_buf_init(&b);
        b64_append(&b, raw != NULL ? raw : (const uint8_t *)"", raw != NULL ? raw_len : 0);
        json_object_set_new(e, "target", json_string(is_key ? "key" : "value"));
        json_object_set_new(e, "recordB64", raw != NULL ? json_stringn((const char *)b.data, b.len) : json_null());
        const char *topic = sl_ctx_topic(ctx);
        json_object_set_new(e, "topic", topic != NULL ? json_string(topic) : json_null());
        sl_buf_free(&b);
        json_object_set_new(m, "deserializationError", e);
    } else {
        json_object_set_new(e, "record", json_null());
        json_object_set_new(m, "recordProcessingError", e);
    }
    json_t *r = json_object();
    json_object_set_new(r, "level", json_string("ERROR"));
    json_object_set_new(r, "logger", json_string(logger));
    json_object_set_new(r, "time", json_integer(sl_ctx_wall_clock(ctx)));
    json_object_set_new(r, "message", m);
    return r;
}

void sl_lower_log_error(sl_ctx_t *ctx, const sl_lower_log_t *log, int type, const char *msg, const uint8_t *raw,
                        size_t raw_len, bool is_key)
{
    if (log->env->processing_errors != NULL)
        __atomic_fetch_add(log->env->processing_errors, 1, __ATOMIC_RELAXED);
    SL_DEBUG("sql", "processing error in %s: %s", log->node, msg);
    if (!log->branch)
        return;
    json_t *r = log_record(ctx, log, type, msg, raw, raw_len, is_key);
    char *text = r != NULL ? json_dumps(r, JSON_COMPACT) : NULL;
    json_decref(r);
    if (text == NULL)
        return;
    sl_val_t key = sl_val_null();
    sl_val_t value = sl_val_strn(ctx, text, strlen(text));
    free(text);
    if (value.type == SL_V_STRING)
        sl_ctx_forward(ctx, &key, &value);
}

/* --- records ------------------------------------------------------------------ */

bool sl_lower_uses_pseudo(sl_sql_expr_t *const *exprs, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        const sl_sql_expr_t *e = exprs[i];
        if (e == NULL)
            continue;
        if ((e->kind == SL_SQL_E_COLUMN && e->src == SL_SQL_COL_PSEUDO) || sl_lower_uses_pseudo(e->args, e->n_args))
            return true;
    }
    return false;
}

void sl_lower_eval_init(sl_sql_eval_t *cx, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, bool pseudo)
{
    cx->key = sl_lower_row(key);
    cx->value = sl_lower_row(value);
    cx->arena = sl_ctx_arena(ctx);
    cx->vars = NULL;
    cx->lambda_fault = false;
    cx->error[0] = '\0';
    if (!pseudo)
        return; /* no expression reads them */
    int32_t partition = sl_ctx_partition(ctx);
    int64_t offset = sl_ctx_offset(ctx);
    size_t nh = 0;
    const sl_header_t *h = sl_ctx_headers(ctx, &nh);
    for (size_t i = 0; i < nh; i++) {
        if (h[i].value_len != 12 || h[i].value == NULL || strcmp(h[i].key, SL_LOWER_POS_HEADER) != 0)
            continue;
        const uint8_t *p = h[i].value;
        partition = (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
        offset = 0;
        for (int j = 4; j < 12; j++)
            offset = (int64_t)((uint64_t)offset << 8 | p[j]);
    }
    cx->pseudo[SL_SQL_PSEUDO_ROWTIME] = sl_sql_bigint(sl_ctx_timestamp(ctx));
    cx->pseudo[SL_SQL_PSEUDO_ROWPARTITION] = sl_sql_int(partition);
    cx->pseudo[SL_SQL_PSEUDO_ROWOFFSET] = sl_sql_bigint(offset);
    if (key != NULL && key->type == SL_V_WINDOWED) {
        cx->pseudo[SL_SQL_PSEUDO_WINDOWSTART] = sl_sql_bigint(key->u.win.start);
        cx->pseudo[SL_SQL_PSEUDO_WINDOWEND] = sl_sql_bigint(key->u.win.end);
    } else {
        cx->pseudo[SL_SQL_PSEUDO_WINDOWSTART] = sl_sql_null();
        cx->pseudo[SL_SQL_PSEUDO_WINDOWEND] = sl_sql_null();
    }
}

sl_sql_row_t *sl_lower_row_new(sl_ctx_t *ctx, uint32_t n)
{
    sl_sql_row_t *row = sl_ctx_alloc(ctx, sizeof(*row) + (size_t)n * sizeof(sl_sql_datum_t));
    if (row == NULL)
        return NULL;
    row->n = n;
    row->cols = (sl_sql_datum_t *)(row + 1);
    memset(row->cols, 0, (size_t)n * sizeof(sl_sql_datum_t));
    return row;
}

sl_sql_row_t *sl_lower_eval_row(sl_ctx_t *ctx, sl_sql_eval_t *cx, sl_sql_expr_t *const *exprs, uint32_t n,
                                const sl_lower_log_t *log)
{
    sl_sql_row_t *row = sl_lower_row_new(ctx, n);
    if (row == NULL)
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        if (exprs[i] == NULL)
            continue;
        sl_sql_eval(exprs[i], cx, &row->cols[i]);
    }
    if (cx->error[0] != '\0' && log != NULL) {
        sl_lower_log_error(ctx, log, 1, cx->error, NULL, 0, false);
        cx->error[0] = '\0';
    }
    return row;
}

sl_val_t sl_lower_rewrap_key(sl_ctx_t *ctx, const sl_val_t *in_key, sl_sql_row_t *row)
{
    sl_val_t k = sl_val_ptr(row);
    if (in_key != NULL && in_key->type == SL_V_WINDOWED)
        return sl_val_windowed(ctx, &k, in_key->u.win.start, in_key->u.win.end);
    return k;
}

/* --- the walk ------------------------------------------------------------------ */

static sl_lw_t lower_suppress(sl_lower_ctx_t *lc, const sl_sql_plan_t *p)
{
    /* The buffer of a suppression keeps the aggregate's rows, whose serde
     * only the aggregation knows: the aggregate below suppresses its own
     * table and the table views between it and here (HAVING, the
     * projection) apply to the final rows. */
    for (const sl_sql_plan_t *q = p->input; q != NULL; q = q->input) {
        if (q->kind == SL_SQL_P_AGGREGATE)
            break;
        if (q->kind != SL_SQL_P_FILTER && q->kind != SL_SQL_P_PROJECT)
            return sl_lower_fail(lc, SL_ERR_UNSUPPORTED,
                                 "EMIT FINAL is only supported over a windowed aggregation");
    }
    lc->suppress_pending = true;
    sl_lw_t in = sl_lower_node(lc, p->input);
    if (lc->suppress_pending && !lc->failed)
        return sl_lower_fail(lc, SL_ERR_UNSUPPORTED, "EMIT FINAL is only supported over a windowed aggregation");
    in.p = p;
    return in;
}

sl_lw_t sl_lower_node(sl_lower_ctx_t *lc, const sl_sql_plan_t *p)
{
    sl_lw_t none = {0};
    if (lc->failed)
        return none;
    if (p == NULL)
        return sl_lower_fail(lc, SL_ERR_INVAL, "a plan node without its input");
    if (p->kind == SL_SQL_P_SOURCE)
        return sl_lower_source(lc, p);
    if (p->kind == SL_SQL_P_SUPPRESS)
        return lower_suppress(lc, p);
    if (p->kind == SL_SQL_P_PROJECT) {
        /* A projection makes rows of its own columns: the aggregate below
         * it (through HAVING filters and EMIT FINAL) may hand it rows with
         * the states still after the values. */
        const sl_sql_plan_t *q = p->input;
        while (q != NULL && (q->kind == SL_SQL_P_FILTER || q->kind == SL_SQL_P_SUPPRESS))
            q = q->input;
        if (q != NULL && q->kind == SL_SQL_P_AGGREGATE)
            lc->untrimmed = q;
    }
    sl_lw_t in = sl_lower_node(lc, p->input);
    if (lc->failed)
        return none;
    switch (p->kind) {
    case SL_SQL_P_FILTER:
        return sl_lower_filter(lc, p, in);
    case SL_SQL_P_PROJECT:
        return sl_lower_project(lc, p, in);
    case SL_SQL_P_FLATMAP:
        return sl_lower_flatmap(lc, p, in);
    case SL_SQL_P_REKEY:
        return sl_lower_rekey(lc, p, in);
    case SL_SQL_P_AGGREGATE:
        return sl_lower_aggregate(lc, p, in);
    case SL_SQL_P_JOIN: {
        sl_lw_t right = sl_lower_node(lc, p->right);
        if (lc->failed)
            return none;
        return sl_lower_join(lc, p, in, right);
    }
    case SL_SQL_P_SINK:
        return sl_lower_sink(lc, p, in);
    default:
        return sl_lower_fail(lc, SL_ERR_UNSUPPORTED, "cannot lower a plan node of kind %d", (int)p->kind);
    }
}

sl_err_t sl_sql_lower(sl_builder_t *b, const sl_sql_plan_t *root, const sl_sql_lower_env_t *env,
                      sl_sql_error_t *err)
{
    if (b == NULL || root == NULL || env == NULL || env->arena == NULL)
        return sl_sql_error_set(err, SL_ERR_INVAL, (sl_sql_pos_t){0, 0},
                                "lowering needs a builder, a plan and an environment with an arena");
    if (root->kind != SL_SQL_P_SINK)
        return sl_sql_error_set(err, SL_ERR_INVAL, (sl_sql_pos_t){0, 0}, "the plan's root is not a sink");
    sl_lower_ctx_t lc = {0};
    lc.b = b;
    lc.arena = env->arena;
    lc.err = err;
    /* The callbacks use env at run time: keep a copy that lives as long. */
    sl_sql_lower_env_t *envc = sl_arena_memdup(env->arena, env, sizeof(*env));
    if (envc == NULL)
        return sl_sql_error_set(err, SL_ERR_NOMEM, (sl_sql_pos_t){0, 0}, "out of memory while lowering the query");
    if (envc->processing_log_topic != NULL) {
        envc->processing_log_topic =
            sl_arena_strndup(env->arena, env->processing_log_topic, strlen(env->processing_log_topic));
        if (envc->processing_log_topic == NULL)
            return sl_sql_error_set(err, SL_ERR_NOMEM, (sl_sql_pos_t){0, 0},
                                    "out of memory while lowering the query");
    }
    lc.env = envc;
    sl_lower_node(&lc, root);
    if (lc.failed)
        return lc.code;
    /* A query writing into a topic it reads would read its own output
     * for ever. */
    for (uint32_t i = 0; root->topic != NULL && i < lc.n_sources; i++)
        if (strcmp(lc.sources[i].p->source->topic, root->topic) == 0)
            return sl_sql_error_set(err, SL_ERR_INVAL, (sl_sql_pos_t){0, 0},
                                    "Sink topic %s is also a source of the query: its output would loop back into it",
                                    root->topic);
    char msg[512];
    sl_err_t berr = sl_builder_error(b, msg, sizeof(msg));
    if (berr != SL_OK)
        return sl_sql_error_set(err, berr, (sl_sql_pos_t){0, 0}, "%s", msg);
    return SL_OK;
}
