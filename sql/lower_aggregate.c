/*
 * lower_aggregate.c - AGGREGATE (GROUP BY, windowed or not) and SUPPRESS.
 *
 * As ksqlDB does it, the aggregate's inputs are computed before grouping:
 * a first processor evaluates the grouping expressions into the new key
 * row and the aggregate calls' arguments into a row of their own (so the
 * repartition topic carries only what the aggregation reads, and ROWTIME
 * and key columns are read where they still exist). A record whose
 * grouping value is NULL is dropped. Then:
 *   stream input   group by key (a repartition when the key changed) and
 *                  aggregate (windowed by TUMBLING/HOPPING/SESSION)
 *   table input    table group_by (old rows subtracted with the
 *                  aggregates' undo, new rows added)
 * The aggregate's value is one row: the node's value row (the grouping
 * columns it shows, then each aggregate's result) followed by the
 * aggregates' states and the row's time (BIGINT: the latest time of the
 * records folded in, as Kafka Streams' timestamped stores keep it; pull
 * queries read it as ROWTIME, SL_SQL_AGG_ROWTIME_COL), kept in the store
 * plan->store with the internal serde; a table view then trims the states off for what follows (unless
 * only a projection reads the rows: it makes its own). Sessions merge with
 * the aggregates' merge.
 *
 * SUPPRESS (EMIT FINAL): the aggregate suppresses its own table before the
 * trim (the suppression buffer needs the rows' serde), see lower.c.
 */
#include <string.h>

#include "lower_int.h"

/* ksqlDB's default grace period when a window gives none. */
#define LOWER_DEFAULT_GRACE_MS (24LL * 3600 * 1000)

typedef struct agg_arg {
    const sl_sql_plan_t *p;
    sl_lower_log_t *log;
    sl_sql_expr_t **arg_exprs;      /* every call's arguments, in order */
    uint32_t n_argcols;
    uint32_t *arg_off;              /* per call: its first column in the args row */
    uint32_t *gv_src;               /* per shown grouping column: its key column */
    uint32_t n_total;               /* value columns + states + the row time */
    bool pseudo;                    /* an expression reads a pseudo column */
} agg_arg_t;

/* --- before grouping: key row and arguments row ----------------------------- */

/* The key row and the arguments row of one input record; false when the
 * record does not take part (a NULL grouping value, a null value). */
static bool pre_rows(sl_ctx_t *ctx, const agg_arg_t *a, const sl_val_t *key, const sl_val_t *value,
                     sl_val_t *out_key, sl_val_t *out_value)
{
    if (sl_val_is_null(value))
        return false;
    sl_sql_eval_t cx;
    sl_lower_eval_init(&cx, ctx, key, value, a->pseudo);
    sl_sql_row_t *k = sl_lower_eval_row(ctx, &cx, a->p->group_exprs, a->p->n_group, a->log);
    if (k == NULL)
        return false;
    for (uint32_t i = 0; i < k->n; i++)
        if (sl_sql_datum_is_null(&k->cols[i]))
            return false;
    sl_sql_row_t *v = sl_lower_eval_row(ctx, &cx, a->arg_exprs, a->n_argcols, a->log);
    if (v == NULL)
        return false;
    *out_key = sl_val_ptr(k);
    *out_value = sl_val_ptr(v);
    return true;
}

static void pre_stream(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    sl_val_t k, v;
    if (pre_rows(ctx, arg, key, value, &k, &v))
        sl_ctx_emit(ctx, &k, &v);
}

static void pre_table(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, sl_val_t *out_key,
                      sl_val_t *out_value, void *arg)
{
    if (!pre_rows(ctx, arg, key, value, out_key, out_value)) {
        *out_key = sl_val_null();
        *out_value = sl_val_null();
    }
}

/* --- the fold ----------------------------------------------------------------------- */

static sl_sql_row_t *agg_copy(sl_ctx_t *ctx, const agg_arg_t *a, const sl_val_t *agg)
{
    sl_sql_row_t *row = sl_lower_row_new(ctx, a->n_total);
    const sl_sql_row_t *old = sl_lower_row(agg);
    if (row != NULL && old != NULL)
        memcpy(row->cols, old->cols, (old->n < a->n_total ? old->n : a->n_total) * sizeof(sl_sql_datum_t));
    return row;
}

/* Results and grouping columns of row from its states and key. */
static void agg_finish(sl_ctx_t *ctx, const agg_arg_t *a, const sl_val_t *key, sl_sql_row_t *row)
{
    const sl_sql_plan_t *p = a->p;
    const sl_sql_row_t *k = sl_lower_row(key);
    for (uint32_t i = 0; i < p->n_group_values; i++)
        row->cols[i] = k != NULL && a->gv_src[i] < k->n ? k->cols[a->gv_src[i]] : sl_sql_null();
    uint32_t nv = p->out.n_value;
    for (uint32_t i = 0; i < p->n_aggs; i++) {
        const sl_sql_agg_call_t *c = p->aggs[i];
        c->func->agg->result(c, sl_ctx_arena(ctx), &row->cols[nv + i], &row->cols[p->n_group_values + i]);
    }
}

/* The row time after one more record (or a merge with another row's). */
static void agg_time(const agg_arg_t *a, sl_sql_row_t *row, int64_t t)
{
    sl_sql_datum_t *rt = &row->cols[a->n_total - 1];
    if (rt->kind != SL_SQL_T_BIGINT || rt->u.i64 < t)
        *rt = sl_sql_bigint(t);
}

static sl_val_t agg_init(sl_ctx_t *ctx, void *arg)
{
    const agg_arg_t *a = arg;
    const sl_sql_plan_t *p = a->p;
    sl_sql_row_t *row = sl_lower_row_new(ctx, a->n_total);
    if (row == NULL)
        return sl_val_null();
    uint32_t nv = p->out.n_value;
    for (uint32_t i = 0; i < p->n_aggs; i++) {
        const sl_sql_agg_call_t *c = p->aggs[i];
        c->func->agg->init(c, sl_ctx_arena(ctx), &row->cols[nv + i]);
        c->func->agg->result(c, sl_ctx_arena(ctx), &row->cols[nv + i], &row->cols[p->n_group_values + i]);
    }
    return sl_val_ptr(row);
}

static sl_val_t agg_fold(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, const sl_val_t *agg,
                         void *arg, bool undo)
{
    const agg_arg_t *a = arg;
    const sl_sql_plan_t *p = a->p;
    sl_sql_row_t *row = agg_copy(ctx, a, agg);
    const sl_sql_row_t *args = sl_lower_row(value);
    if (row == NULL || args == NULL)
        return agg != NULL ? *agg : sl_val_null();
    uint32_t nv = p->out.n_value;
    for (uint32_t i = 0; i < p->n_aggs; i++) {
        const sl_sql_agg_call_t *c = p->aggs[i];
        const sl_sql_datum_t *in = &args->cols[a->arg_off[i]];
        if (undo)
            c->func->agg->undo(c, sl_ctx_arena(ctx), in, &row->cols[nv + i]);
        else
            c->func->agg->add(c, sl_ctx_arena(ctx), in, &row->cols[nv + i]);
    }
    agg_time(a, row, sl_ctx_timestamp(ctx));
    agg_finish(ctx, a, key, row);
    return sl_val_ptr(row);
}

static sl_val_t agg_add(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, const sl_val_t *agg, void *arg)
{
    return agg_fold(ctx, key, value, agg, arg, false);
}

static sl_val_t agg_sub(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, const sl_val_t *agg, void *arg)
{
    return agg_fold(ctx, key, value, agg, arg, true);
}

static sl_val_t agg_merge(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *agg1, const sl_val_t *agg2,
                          void *arg)
{
    const agg_arg_t *a = arg;
    const sl_sql_plan_t *p = a->p;
    sl_sql_row_t *row = agg_copy(ctx, a, agg1);
    const sl_sql_row_t *other = sl_lower_row(agg2);
    if (row == NULL || other == NULL || other->n < a->n_total)
        return agg1 != NULL ? *agg1 : sl_val_null();
    uint32_t nv = p->out.n_value;
    for (uint32_t i = 0; i < p->n_aggs; i++) {
        const sl_sql_agg_call_t *c = p->aggs[i];
        c->func->agg->merge(c, sl_ctx_arena(ctx), &other->cols[nv + i], &row->cols[nv + i]);
    }
    const sl_sql_datum_t *ot = &other->cols[a->n_total - 1];
    if (ot->kind == SL_SQL_T_BIGINT)
        agg_time(a, row, ot->u.i64);
    agg_finish(ctx, a, key, row);
    return sl_val_ptr(row);
}

/* The node's value row without the states. */
static sl_val_t agg_trim(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    SL_UNUSED(key);
    const agg_arg_t *a = arg;
    const sl_sql_row_t *full = sl_lower_row(value);
    if (full == NULL)
        return sl_val_null();
    sl_sql_row_t *row = sl_ctx_alloc(ctx, sizeof(*row));
    if (row == NULL)
        return sl_val_null();
    row->cols = full->cols;
    row->n = full->n < a->p->out.n_value ? full->n : a->p->out.n_value;
    return sl_val_ptr(row);
}

/* --- lowering ------------------------------------------------------------------------ */

static agg_arg_t *agg_arg_new(sl_lower_ctx_t *lc, const sl_sql_plan_t *p, bool table)
{
    agg_arg_t *a = sl_lower_alloc(lc, sizeof(*a));
    if (a == NULL)
        return NULL;
    a->p = p;
    a->log = sl_lower_log_new(lc, p);
    a->arg_off = sl_lower_alloc(lc, (p->n_aggs + 1) * sizeof(*a->arg_off));
    a->gv_src = sl_lower_alloc(lc, (p->n_group_values + 1) * sizeof(*a->gv_src));
    if (a->log == NULL || a->arg_off == NULL || a->gv_src == NULL)
        return NULL;
    if (table)
        a->log->branch = false;
    for (uint32_t i = 0; i < p->n_aggs; i++) {
        a->arg_off[i] = a->n_argcols;
        a->n_argcols += p->aggs[i]->n_args;
    }
    a->arg_exprs = sl_lower_alloc(lc, (a->n_argcols + 1) * sizeof(*a->arg_exprs));
    if (a->arg_exprs == NULL)
        return NULL;
    uint32_t j = 0;
    for (uint32_t i = 0; i < p->n_aggs; i++)
        for (uint32_t k = 0; k < p->aggs[i]->n_args; k++)
            a->arg_exprs[j++] = p->aggs[i]->args[k];
    for (uint32_t i = 0; i < p->n_group_values; i++) {
        a->gv_src[i] = i;
        for (uint32_t k = 0; k < p->out.n_key; k++)
            if (strcmp(p->out.key[k].name, p->out.value[i].name) == 0)
                a->gv_src[i] = k;
    }
    a->n_total = SL_SQL_AGG_ROWTIME_COL(p) + 1;
    a->log->branch = a->log->branch && (sl_lower_may_fail(p->group_exprs, p->n_group) ||
                                        sl_lower_may_fail(a->arg_exprs, a->n_argcols));
    a->pseudo = sl_lower_uses_pseudo(p->group_exprs, p->n_group) || sl_lower_uses_pseudo(a->arg_exprs, a->n_argcols);
    return a;
}

/* Whether the grouping is by the input's key as it is (no repartition). */
static bool groups_by_key(const sl_sql_plan_t *p)
{
    if (p->n_group != p->input->out.n_key)
        return false;
    for (uint32_t i = 0; i < p->n_group; i++) {
        const sl_sql_expr_t *e = p->group_exprs[i];
        if (e->kind != SL_SQL_E_COLUMN || e->src != SL_SQL_COL_KEY || e->index != i)
            return false;
    }
    return true;
}

static const sl_serde_t *types_serde(sl_lower_ctx_t *lc, const sl_sql_type_t **types, uint32_t n)
{
    const sl_serde_t *s = sl_sql_internal_serde(lc->arena, types, n);
    if (s == NULL)
        sl_lower_fail(lc, SL_ERR_NOMEM, "out of memory while lowering the query");
    return s;
}

static sl_window_spec_t window_spec(const sl_sql_window_t *w)
{
    int64_t grace = w->grace_ms >= 0 ? w->grace_ms : LOWER_DEFAULT_GRACE_MS;
    sl_window_spec_t spec;
    switch (w->kind) {
    case SL_SQL_WIN_HOPPING:
        spec = SL_HOPPING(w->size_ms, w->advance_ms, grace);
        break;
    case SL_SQL_WIN_SESSION:
        spec = SL_SESSION(w->size_ms, grace);
        break;
    default:
        spec = SL_TUMBLING(w->size_ms, grace);
        break;
    }
    if (w->retention_ms > 0)
        spec.retention_ms = w->retention_ms;
    return spec;
}

sl_lw_t sl_lower_aggregate(sl_lower_ctx_t *lc, const sl_sql_plan_t *p, sl_lw_t in)
{
    bool table = in.t != NULL;
    agg_arg_t *a = agg_arg_new(lc, p, table);
    if (a == NULL)
        return (sl_lw_t){0};
    if (p->n_group_values + p->n_aggs != p->out.n_value || p->n_group != p->out.n_key)
        return sl_lower_fail(lc, SL_ERR_INVAL, "aggregation: %u grouping values and %u aggregates for %u columns",
                             p->n_group_values, p->n_aggs, p->out.n_value);
    for (uint32_t i = 0; i < p->n_aggs; i++) {
        const sl_sql_agg_t *ag = p->aggs[i]->func != NULL ? p->aggs[i]->func->agg : NULL;
        if (ag == NULL)
            return sl_lower_fail(lc, SL_ERR_INVAL, "aggregation: %s is not an aggregate", p->aggs[i]->text);
        if (table && ag->undo == NULL)
            return sl_lower_fail(lc, SL_ERR_UNSUPPORTED, "The aggregation function %s cannot be applied to a table",
                                 p->aggs[i]->func->name);
        if (p->window.kind == SL_SQL_WIN_SESSION && ag->merge == NULL)
            return sl_lower_fail(lc, SL_ERR_UNSUPPORTED,
                                 "The aggregation function %s cannot be used with session windows",
                                 p->aggs[i]->func->name);
    }
    if (table && p->window.kind != SL_SQL_WIN_NONE)
        return sl_lower_fail(lc, SL_ERR_UNSUPPORTED, "a table cannot be aggregated in windows");

    /* Serdes: the key row, the arguments row, the stored row. */
    const sl_sql_type_t **atypes = sl_lower_alloc(lc, (a->n_argcols + 1) * sizeof(*atypes));
    const sl_sql_type_t **stypes = sl_lower_alloc(lc, (a->n_total + 1) * sizeof(*stypes));
    if (atypes == NULL || stypes == NULL)
        return (sl_lw_t){0};
    for (uint32_t i = 0, j = 0; i < p->n_aggs; i++)
        for (uint32_t k = 0; k < p->aggs[i]->n_args; k++, j++)
            atypes[j] = p->aggs[i]->arg_types != NULL ? p->aggs[i]->arg_types[k] : p->aggs[i]->args[k]->type;
    for (uint32_t i = 0; i < p->out.n_value; i++)
        stypes[i] = p->out.value[i].type;
    for (uint32_t i = 0; i < p->n_aggs; i++)
        stypes[p->out.n_value + i] = p->aggs[i]->state_type;
    stypes[a->n_total - 1] = sl_sql_type_of(SL_SQL_T_BIGINT);
    const sl_serde_t *ks = sl_lower_key_serde(lc, &p->out);
    const sl_serde_t *as = types_serde(lc, atypes, a->n_argcols);
    const sl_serde_t *ss = types_serde(lc, stypes, a->n_total);
    const char *base = p->id != NULL ? p->id : "Aggregate";
    const char *pre = sl_lower_name(lc, base, "GroupBy");
    const char *gname = sl_lower_name(lc, base, "grouped");
    const char *aname = sl_lower_name(lc, base, "Aggregate");
    const char *store = p->store != NULL ? p->store : sl_lower_name(lc, base, "Materialize");
    if (ks == NULL || as == NULL || ss == NULL || pre == NULL || gname == NULL || aname == NULL || store == NULL)
        return (sl_lw_t){0};

    sl_table_t *t;
    if (table) {
        sl_grouped_t *g = sl_table_group_by(in.t, pre, pre_table, a, ks, as);
        t = sl_grouped_aggregate(g, aname, agg_init, agg_add, agg_sub, a, ss, store);
    } else {
        bool rekey = !groups_by_key(p) && !lc->env->single_partition;
        sl_stream_t *s = rekey ? sl_stream_flat_map(in.s, pre, pre_stream, a)
                               : sl_stream_flat_map_values(in.s, pre, pre_stream, a);
        s = sl_lower_log_branch(lc, s, a->log, pre);
        if (s != NULL)
            s = sl_stream_with_serdes(s, ks, as);
        sl_grouped_t *g = sl_stream_group_by_key(s, gname, ks, as);
        if (p->window.kind == SL_SQL_WIN_NONE) {
            t = sl_grouped_aggregate(g, aname, agg_init, agg_add, NULL, a, ss, store);
        } else {
            const char *wname = sl_lower_name(lc, base, "windowed");
            sl_windowed_grouped_t *w = wname ? sl_grouped_windowed_by(g, wname, window_spec(&p->window)) : NULL;
            t = sl_windowed_aggregate(w, aname, agg_init, agg_add,
                                      p->window.kind == SL_SQL_WIN_SESSION ? agg_merge : NULL, a, ss, store);
        }
    }
    if (t != NULL && lc->suppress_pending) {
        if (p->window.kind == SL_SQL_WIN_NONE)
            return sl_lower_fail(lc, SL_ERR_UNSUPPORTED, "EMIT FINAL is only supported for windowed aggregations");
        t = sl_table_suppress_final(t, sl_lower_name(lc, base, "Suppress"));
        lc->suppress_pending = false;
    }
    sl_lw_t out = {0};
    out.p = p;
    if (lc->untrimmed == p)
        out.t = t;
    else
        out.t = t != NULL ? sl_table_map_values(t, sl_lower_name(lc, base, "Project"), agg_trim, a) : NULL;
    if (out.t == NULL)
        return sl_lower_fail(lc, SL_ERR_INVAL, "cannot lower the aggregation %s", base);
    return out;
}
