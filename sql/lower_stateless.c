/*
 * lower_stateless.c - FILTER, PROJECT, FLATMAP and REKEY: one record in,
 * zero or more out, an expression evaluation per record.
 *
 * On streams each is a flat-map processor (flat_map_values when the key
 * stays, so no repartition follows; flat_map for REKEY, so grouping or
 * joining after it repartitions, and a sink writes the new key). A runtime
 * error in an expression gives NULL and a processing-log entry; the row
 * still flows, as in ksqlDB. A stream record with a null value passes a
 * projection as it is and is dropped by a filter.
 *
 * On tables FILTER and PROJECT are table views (sl_table_filter,
 * sl_table_map_values): a row leaving the filter is a delete downstream,
 * as ksqlDB's HAVING and WHERE on tables give tombstones. Their errors are
 * counted (a table view has no branch to the log topic).
 */
#include <string.h>

#include "lower_int.h"

typedef struct stl_arg {
    const sl_sql_plan_t *p;
    sl_lower_log_t *log;
    bool key_same;                  /* PROJECT: the key row is the input's */
    bool pseudo;                    /* an expression reads a pseudo column */
    bool reads_value;               /* REKEY: a key expression reads the value */
    bool identity;                  /* PROJECT: the value row is the input's */
} stl_arg_t;

static stl_arg_t *stl_arg(sl_lower_ctx_t *lc, const sl_sql_plan_t *p, bool table)
{
    stl_arg_t *a = sl_lower_alloc(lc, sizeof(*a));
    if (a == NULL)
        return NULL;
    a->p = p;
    a->log = sl_lower_log_new(lc, p);
    if (a->log == NULL)
        return NULL;
    if (table)
        a->log->branch = false;
    return a;
}

static const char *node_name(sl_lower_ctx_t *lc, const sl_sql_plan_t *p, const char *dflt)
{
    return sl_lower_name(lc, p->id != NULL ? p->id : dflt, NULL);
}

/* --- FILTER ------------------------------------------------------------------ */

static bool filter_pred(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    const stl_arg_t *a = arg;
    sl_sql_eval_t cx;
    sl_lower_eval_init(&cx, ctx, key, value, a->pseudo);
    bool ok = sl_sql_eval_pred(a->p->pred, &cx);
    if (cx.error[0] != '\0')
        sl_lower_log_error(ctx, a->log, 1, cx.error, NULL, 0, false);
    return ok;
}

static void filter_stream(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    if (sl_val_is_null(value))
        return;
    if (filter_pred(ctx, key, value, arg))
        sl_ctx_emit_value(ctx, value);
}

sl_lw_t sl_lower_filter(sl_lower_ctx_t *lc, const sl_sql_plan_t *p, sl_lw_t in)
{
    stl_arg_t *a = stl_arg(lc, p, in.t != NULL);
    const char *name = node_name(lc, p, "Filter");
    sl_lw_t out = {0};
    if (a == NULL || name == NULL || p->pred == NULL)
        return sl_lower_fail(lc, SL_ERR_INVAL, "a filter without its predicate");
    a->log->branch = a->log->branch && sl_lower_may_fail(&p->pred, 1);
    a->pseudo = sl_lower_uses_pseudo(&p->pred, 1);
    out.p = p;
    if (in.t != NULL)
        out.t = sl_table_filter(in.t, name, filter_pred, a);
    else
        out.s = sl_lower_stream_node(lc, in.s, p, name, filter_stream, a, a->log, false);
    if (out.s == NULL && out.t == NULL)
        return sl_lower_fail(lc, SL_ERR_INVAL, "cannot lower the filter %s", name);
    return out;
}

/* --- PROJECT ------------------------------------------------------------------ */

/* Whether exprs only carry the input's value columns over, in order. */
static bool value_is_same(const sl_sql_plan_t *p)
{
    if (p->n_exprs != p->input->out.n_value)
        return false;
    for (uint32_t i = 0; i < p->n_exprs; i++) {
        const sl_sql_expr_t *e = p->exprs[i];
        if (e == NULL || e->kind != SL_SQL_E_COLUMN || e->src != SL_SQL_COL_VALUE || e->index != i)
            return false;
    }
    return true;
}

/* Whether key_exprs only carry the input key over (renaming is free). */
static bool key_is_same(const sl_sql_plan_t *p)
{
    if (p->n_key_exprs == 0)
        return true;
    if (p->n_key_exprs != p->input->out.n_key)
        return false;
    for (uint32_t i = 0; i < p->n_key_exprs; i++) {
        const sl_sql_expr_t *e = p->key_exprs[i];
        if (e == NULL || e->kind != SL_SQL_E_COLUMN || e->src != SL_SQL_COL_KEY || e->index != i)
            return false;
    }
    return true;
}

static sl_val_t project_value(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    const stl_arg_t *a = arg;
    sl_sql_eval_t cx;
    sl_lower_eval_init(&cx, ctx, key, value, a->pseudo);
    sl_sql_row_t *row = sl_lower_eval_row(ctx, &cx, a->p->exprs, a->p->n_exprs, a->log);
    return row != NULL ? sl_val_ptr(row) : sl_val_null();
}

static void project_stream(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    const stl_arg_t *a = arg;
    sl_sql_eval_t cx;
    sl_val_t v = sl_val_null(), k = key != NULL ? *key : sl_val_null();
    sl_lower_eval_init(&cx, ctx, key, value, a->pseudo);
    if (a->identity) {
        v = value != NULL ? *value : sl_val_null();
    } else if (!sl_val_is_null(value)) {
        sl_sql_row_t *row = sl_lower_eval_row(ctx, &cx, a->p->exprs, a->p->n_exprs, a->log);
        if (row == NULL)
            return;
        v = sl_val_ptr(row);
    }
    if (!a->key_same) {
        sl_sql_row_t *krow = sl_lower_eval_row(ctx, &cx, a->p->key_exprs, a->p->n_key_exprs, a->log);
        if (krow == NULL)
            return;
        k = sl_lower_rewrap_key(ctx, key, krow);
    }
    sl_ctx_emit(ctx, &k, &v);
}

sl_lw_t sl_lower_project(sl_lower_ctx_t *lc, const sl_sql_plan_t *p, sl_lw_t in)
{
    stl_arg_t *a = stl_arg(lc, p, in.t != NULL);
    const char *name = node_name(lc, p, "Project");
    sl_lw_t out = {0};
    if (a == NULL || name == NULL)
        return (sl_lw_t){0};
    if (p->n_exprs != p->out.n_value)
        return sl_lower_fail(lc, SL_ERR_INVAL, "projection %s: %u expressions for %u columns", name, p->n_exprs,
                             p->out.n_value);
    a->key_same = key_is_same(p);
    a->identity = value_is_same(p);
    a->log->branch = a->log->branch && (sl_lower_may_fail(p->exprs, p->n_exprs) ||
                                        (!a->key_same && sl_lower_may_fail(p->key_exprs, p->n_key_exprs)));
    a->pseudo = sl_lower_uses_pseudo(p->exprs, p->n_exprs) || sl_lower_uses_pseudo(p->key_exprs, p->n_key_exprs);
    out.p = p;
    if (in.t != NULL) {
        if (!a->key_same)
            return sl_lower_fail(lc, SL_ERR_UNSUPPORTED, "projection %s changes a table's key", name);
        out.t = sl_table_map_values(in.t, name, project_value, a);
    } else {
        out.s = sl_lower_stream_node(lc, in.s, p, name, project_stream, a, a->log, false);
    }
    if (out.s == NULL && out.t == NULL)
        return sl_lower_fail(lc, SL_ERR_INVAL, "cannot lower the projection %s", name);
    return out;
}

/* --- FLATMAP ------------------------------------------------------------------- */

typedef struct fm_out {
    sl_sql_datum_t *items;
    uint32_t n, cap;
    sl_arena_t *arena;
    bool nomem;
} fm_out_t;

static void fm_collect(const sl_sql_datum_t *value, void *arg)
{
    fm_out_t *o = arg;
    if (o->n == o->cap) {
        uint32_t cap = o->cap ? o->cap * 2 : 8;
        sl_sql_datum_t *items = sl_arena_alloc(o->arena, cap * sizeof(*items));
        if (items == NULL) {
            o->nomem = true;
            return;
        }
        if (o->n > 0)
            memcpy(items, o->items, o->n * sizeof(*items));
        o->items = items;
        o->cap = cap;
    }
    o->items[o->n++] = *value;
}

static void flatmap_stream(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    const stl_arg_t *a = arg;
    const sl_sql_plan_t *p = a->p;
    if (sl_val_is_null(value))
        return;
    sl_sql_eval_t cx;
    sl_lower_eval_init(&cx, ctx, key, value, a->pseudo);
    uint32_t n = p->n_exprs;
    fm_out_t *outs = sl_ctx_alloc(ctx, (n + 1) * sizeof(*outs));
    sl_sql_row_t *base = sl_lower_row_new(ctx, n);
    if (outs == NULL || base == NULL)
        return;
    memset(outs, 0, (n + 1) * sizeof(*outs));
    uint32_t longest = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (p->tablefn_args == NULL || p->tablefn_args[i] == NULL) {
            if (p->exprs[i] != NULL)
                sl_sql_eval(p->exprs[i], &cx, &base->cols[i]);
            continue;
        }
        uint32_t na = p->tablefn_n_args[i];
        sl_sql_datum_t *args = sl_ctx_alloc(ctx, (na + 1) * sizeof(*args));
        if (args == NULL)
            return;
        for (uint32_t j = 0; j < na; j++)
            sl_sql_eval(p->tablefn_args[i][j], &cx, &args[j]);
        outs[i].arena = sl_ctx_arena(ctx);
        p->funcs[i]->table->apply(args, na, &cx, fm_collect, &outs[i]);
        if (outs[i].nomem)
            return;
        if (outs[i].n > longest)
            longest = outs[i].n;
    }
    if (cx.error[0] != '\0')
        sl_lower_log_error(ctx, a->log, 1, cx.error, NULL, 0, false);
    for (uint32_t k = 0; k < longest; k++) {
        sl_sql_row_t *row = sl_lower_row_new(ctx, n);
        if (row == NULL)
            return;
        for (uint32_t i = 0; i < n; i++) {
            if (p->tablefn_args == NULL || p->tablefn_args[i] == NULL)
                row->cols[i] = base->cols[i];
            else if (k < outs[i].n)
                row->cols[i] = outs[i].items[k];
        }
        sl_val_t v = sl_val_ptr(row);
        sl_ctx_emit_value(ctx, &v);
    }
}

sl_lw_t sl_lower_flatmap(sl_lower_ctx_t *lc, const sl_sql_plan_t *p, sl_lw_t in)
{
    if (in.t != NULL)
        return sl_lower_fail(lc, SL_ERR_UNSUPPORTED, "table functions are only supported on streams");
    stl_arg_t *a = stl_arg(lc, p, false);
    const char *name = node_name(lc, p, "FlatMap");
    if (a == NULL || name == NULL)
        return (sl_lw_t){0};
    for (uint32_t i = 0; i < p->n_exprs; i++)
        if (p->tablefn_args != NULL && p->tablefn_args[i] != NULL &&
            (p->funcs == NULL || p->funcs[i] == NULL || p->funcs[i]->table == NULL))
            return sl_lower_fail(lc, SL_ERR_INVAL, "flat map %s: column %u has no table function", name, i);
    a->pseudo = true; /* table function arguments may read them */
    sl_lw_t out = {0};
    out.p = p;
    out.s = sl_lower_stream_node(lc, in.s, p, name, flatmap_stream, a, a->log, false);
    if (out.s == NULL)
        return sl_lower_fail(lc, SL_ERR_INVAL, "cannot lower the flat map %s", name);
    return out;
}

/* --- REKEY ----------------------------------------------------------------------- */

/* Whether an expression reads a column from src. */
static bool reads_src(sl_sql_expr_t *const *exprs, uint32_t n, sl_sql_colsrc_t src)
{
    for (uint32_t i = 0; i < n; i++) {
        const sl_sql_expr_t *e = exprs[i];
        if (e != NULL && ((e->kind == SL_SQL_E_COLUMN && e->src == src) || reads_src(e->args, e->n_args, src)))
            return true;
    }
    return false;
}

static void rekey_stream(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    const stl_arg_t *a = arg;
    /* A null value keeps going only under a key computed from the key
     * (ksqlDB drops it when the new key needs the value). */
    if (a->reads_value && sl_val_is_null(value))
        return;
    sl_sql_eval_t cx;
    sl_lower_eval_init(&cx, ctx, key, value, a->pseudo);
    sl_sql_row_t *krow = sl_lower_eval_row(ctx, &cx, a->p->key_exprs, a->p->n_key_exprs, a->log);
    if (krow == NULL)
        return;
    sl_val_t k = a->p->n_key_exprs > 0 ? sl_val_ptr(krow) : sl_val_null();
    sl_ctx_emit(ctx, &k, value);
}

sl_lw_t sl_lower_rekey(sl_lower_ctx_t *lc, const sl_sql_plan_t *p, sl_lw_t in)
{
    if (in.t != NULL)
        return sl_lower_fail(lc, SL_ERR_UNSUPPORTED, "a table cannot be re-keyed (PARTITION BY on a table)");
    stl_arg_t *a = stl_arg(lc, p, false);
    const char *name = node_name(lc, p, "PartitionBy");
    if (a == NULL || name == NULL)
        return (sl_lw_t){0};
    a->log->branch = a->log->branch && sl_lower_may_fail(p->key_exprs, p->n_key_exprs);
    a->pseudo = sl_lower_uses_pseudo(p->key_exprs, p->n_key_exprs);
    a->reads_value = reads_src(p->key_exprs, p->n_key_exprs, SL_SQL_COL_VALUE);
    sl_lw_t out = {0};
    out.p = p;
    out.s = sl_lower_stream_node(lc, in.s, p, name, rekey_stream, a, a->log, true);
    if (out.s == NULL)
        return sl_lower_fail(lc, SL_ERR_INVAL, "cannot lower the re-key %s", name);
    return out;
}
