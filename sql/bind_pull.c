/*
 * bind_pull.c - a pull query (SELECT on a table without EMIT): the
 * projection and WHERE over the table's key and value rows, and what of
 * WHERE narrows the read: an equality on every key column gives the key to
 * look up; WINDOWSTART comparisons bound a windowed table's fetch. The
 * whole WHERE is kept as pull_where: the engine filters every row it reads
 * with it, so a narrowing only has to be a superset. ROWPARTITION and
 * ROWOFFSET are refused in SELECT and WHERE, on streams too (a scan of
 * the topic could give them, but ksqlDB refuses them there as well).
 */
#include <stdio.h>
#include <string.h>

#include "bind_int.h"

/* The value of a constant expression (memory from arena); false if it
 * cannot be computed. */
static bool const_value(sl_arena_t *arena, const sl_sql_expr_t *e, const sl_sql_type_t *to, sl_sql_datum_t *out)
{
    if (!sl_sql_expr_is_constant(e))
        return false;
    sl_sql_eval_t cx;
    sl_sql_eval_init(&cx, arena, NULL, NULL);
    sl_sql_datum_t d;
    sl_sql_eval(e, &cx, &d);
    if (cx.error[0])
        return false;
    if (to && !sl_sql_type_equal(e->type, to) && d.kind != SL_SQL_T_NULL) {
        char err[128];
        if (sl_sql_datum_cast(arena, &d, e->type, to, out, err, sizeof err))
            return false;
        return true;
    }
    *out = d;
    return true;
}

static sl_sql_op_t flip(sl_sql_op_t op)
{
    switch (op) {
    case SL_SQL_OP_LT: return SL_SQL_OP_GT;
    case SL_SQL_OP_LE: return SL_SQL_OP_GE;
    case SL_SQL_OP_GT: return SL_SQL_OP_LT;
    case SL_SQL_OP_GE: return SL_SQL_OP_LE;
    default: return op;
    }
}

/* Narrows the read from the conjuncts of WHERE. */
static void narrow(sl_sql_binder_t *b, const sl_sql_source_t *t, sl_sql_expr_t *where, sl_sql_bound_query_t *out)
{
    sl_sql_expr_t *parts[64];
    uint32_t n = sl_sql_expr_conjuncts(where, parts, 64);
    uint32_t nk = t->schema.n_key;
    sl_sql_datum_t *key = sl_arena_calloc(b->arena, nk ? nk : 1, sizeof *key);
    bool have[16] = { false };
    if (!key || nk > 16)
        return;
    for (uint32_t i = 0; i < n; i++) {
        sl_sql_expr_t *c = parts[i];
        if (c->kind != SL_SQL_E_CMP || c->n_args != 2)
            continue;
        sl_sql_expr_t *col = c->args[0], *val = c->args[1];
        sl_sql_op_t op = c->op;
        if (col->kind != SL_SQL_E_COLUMN) {
            col = c->args[1];
            val = c->args[0];
            op = flip(op);
        }
        /* A cast of the column inserted by the comparison's typing. */
        if (col->kind == SL_SQL_E_CAST && col->n_args == 1 && col->args[0]->kind == SL_SQL_E_COLUMN)
            col = col->args[0];
        if (col->kind != SL_SQL_E_COLUMN)
            continue;
        if (col->src == SL_SQL_COL_KEY && op == SL_SQL_OP_EQ && col->index < nk) {
            sl_sql_datum_t d;
            if (const_value(b->arena, val, t->schema.key[col->index].type, &d) && d.kind != SL_SQL_T_NULL) {
                key[col->index] = d;
                have[col->index] = true;
            }
        } else if (col->src == SL_SQL_COL_PSEUDO &&
                   (col->index == SL_SQL_PSEUDO_WINDOWSTART ||
                    (col->index == SL_SQL_PSEUDO_WINDOWEND && t->window.kind != SL_SQL_WIN_SESSION &&
                     t->window.size_ms > 0))) {
            sl_sql_datum_t d;
            if (!const_value(b->arena, val, sl_sql_type_of(SL_SQL_T_BIGINT), &d) || d.kind == SL_SQL_T_NULL)
                continue;
            int64_t v = d.u.i64;
            /* Fixed-size windows: a bound on the end is one on the start. */
            if (col->index == SL_SQL_PSEUDO_WINDOWEND) {
                if (v < INT64_MIN + t->window.size_ms)
                    continue;
                v -= t->window.size_ms;
            }
            switch (op) {
            case SL_SQL_OP_EQ:
                if (v > out->pull_wstart_lo)
                    out->pull_wstart_lo = v;
                if (v < out->pull_wstart_hi)
                    out->pull_wstart_hi = v;
                break;
            case SL_SQL_OP_GE:
                if (v > out->pull_wstart_lo)
                    out->pull_wstart_lo = v;
                break;
            case SL_SQL_OP_GT:
                if (v < INT64_MAX && v + 1 > out->pull_wstart_lo)
                    out->pull_wstart_lo = v + 1;
                break;
            case SL_SQL_OP_LE:
                if (v < out->pull_wstart_hi)
                    out->pull_wstart_hi = v;
                break;
            case SL_SQL_OP_LT:
                if (v > INT64_MIN && v - 1 < out->pull_wstart_hi)
                    out->pull_wstart_hi = v - 1;
                break;
            default:
                break;
            }
        }
    }
    for (uint32_t i = 0; i < nk; i++)
        if (!have[i])
            return;
    if (nk > 0)
        out->pull_key = key;
}

static sl_err_t add_out(sl_sql_binder_t *b, sl_sql_schema_builder_t *sb, sl_sql_expr_t ***exprs, uint32_t *n,
                        uint32_t *cap, const char *name, sl_sql_expr_t *e)
{
    if (*n == *cap) {
        uint32_t c = *cap ? *cap * 2 : 16;
        sl_sql_expr_t **v = sl_arena_calloc(b->arena, c, sizeof *v);
        if (!v)
            return SL_ERR_NOMEM;
        if (*n)
            memcpy(v, *exprs, *n * sizeof *v);
        *exprs = v;
        *cap = c;
    }
    for (uint32_t i = 0; i < sb->s.n_value; i++)
        if (strcmp(sb->s.value[i].name, name) == 0)
            return sl_sql_bind_fail(b, (sl_sql_pos_t){ 0, 0 }, "Duplicate column names: %s", name);
    (*exprs)[(*n)++] = e;
    return sl_sql_sb_value(b->arena, sb, name, e->type);
}

/* The first ROWPARTITION or ROWOFFSET a names, or NULL. */
static const sl_sql_ast_expr_t *find_row_pos(const sl_sql_ast_expr_t *a)
{
    if (!a)
        return NULL;
    if (a->kind == SL_SQL_A_COLUMN && !a->qual.name &&
        (!strcmp(a->name.name, "ROWPARTITION") || !strcmp(a->name.name, "ROWOFFSET")))
        return a;
    const sl_sql_ast_expr_t *r = NULL;
    if ((r = find_row_pos(a->a)) || (r = find_row_pos(a->b)) || (r = find_row_pos(a->c)))
        return r;
    for (uint32_t i = 0; a->args && i < a->args->n; i++)
        if ((r = find_row_pos(a->args->items[i])))
            return r;
    return NULL;
}

sl_err_t sl_sql_bind_pull(sl_sql_binder_t *b, const sl_sql_ast_select_t *sel, const sl_sql_source_t *table,
                          sl_sql_bound_query_t *out)
{
    const char *alias = sel->from->alias.name ? sel->from->alias.name : table->name;
    bool windowed = table->window.kind != SL_SQL_WIN_NONE;
    sl_sql_scope_t scope = { 0 };
    /* ROWPARTITION and ROWOFFSET are not kept in a table's store. */
    for (uint32_t i = 0; i < table->schema.n_key; i++)
        if (sl_sql_scope_add(b->arena, &scope, alias, table->schema.key[i].name, SL_SQL_COL_KEY, i,
                             table->schema.key[i].type))
            return SL_ERR_NOMEM;
    for (uint32_t i = 0; i < table->schema.n_value; i++)
        if (sl_sql_scope_add(b->arena, &scope, alias, table->schema.value[i].name, SL_SQL_COL_VALUE, i,
                             table->schema.value[i].type))
            return SL_ERR_NOMEM;
    for (int p = 0; p < SL_SQL_PSEUDO_COUNT_; p++) {
        if (p == SL_SQL_PSEUDO_ROWPARTITION || p == SL_SQL_PSEUDO_ROWOFFSET)
            continue;
        if (!windowed && p != SL_SQL_PSEUDO_ROWTIME)
            continue;
        if (sl_sql_scope_add(b->arena, &scope, NULL, sl_sql_pseudo_name((sl_sql_pseudo_t)p), SL_SQL_COL_PSEUDO,
                             (uint32_t)p, sl_sql_pseudo_type((sl_sql_pseudo_t)p)))
            return SL_ERR_NOMEM;
    }
    scope.quals[0] = alias;
    scope.qual_src[0] = table->name;
    scope.n_quals = 1;
    out->pull_table = table;
    out->pull_limit = sel->limit;

    const sl_sql_ast_expr_t *row_pos = sel->where ? find_row_pos(sel->where) : NULL;
    if (row_pos)
        return sl_sql_bind_fail(b, row_pos->pos,
                                "Pull queries don't support the following columns in WHERE clauses: `%s`",
                                row_pos->name.name);
    if (sel->where) {
        b->clause = "WHERE";
        sl_sql_expr_t *w = sl_sql_bind_expr(b, &scope, sel->where);
        if (!w)
            return SL_ERR_INVAL;
        if (w->type->kind != SL_SQL_T_BOOLEAN)
            return sl_sql_bind_fail(b, sel->where->pos, "WHERE clause must be a boolean expression.");
        out->pull_where = w;
        narrow(b, table, w, out);
    }

    b->clause = "SELECT";
    sl_sql_schema_builder_t sb = { 0 };
    sl_sql_expr_t **exprs = NULL;
    uint32_t n = 0, cap = 0, gen = 0;
    const char **used = sl_arena_calloc(b->arena, scope.n + (sel->items ? sel->items->n : 0) + 1, sizeof *used);
    uint32_t n_used = 0;
    if (!used)
        return SL_ERR_NOMEM;
    for (uint32_t i = 0; i < scope.n; i++)
        used[n_used++] = scope.cols[i].name;
    for (uint32_t i = 0; sel->items && i < sel->items->n; i++) {
        const sl_sql_ast_item_t *it = sel->items->items[i];
        if (it->alias.name)
            used[n_used++] = it->alias.name;
    }
    for (uint32_t i = 0; sel->items && i < sel->items->n; i++) {
        const sl_sql_ast_item_t *it = sel->items->items[i];
        const sl_sql_ast_expr_t *a = it->expr;
        if (a->kind == SL_SQL_A_STAR) {
            for (uint32_t k = 0; k < scope.n; k++) {
                const sl_sql_bcol_t *c = &scope.cols[k];
                if (c->src == SL_SQL_COL_PSEUDO && (c->index != SL_SQL_PSEUDO_WINDOWSTART && c->index != SL_SQL_PSEUDO_WINDOWEND))
                    continue;
                if (c->src == SL_SQL_COL_VALUE)
                    continue;
                sl_sql_expr_t *e = sl_sql_expr_column(b->arena, c->src, c->index, c->type, c->name);
                if (!e || add_out(b, &sb, &exprs, &n, &cap, c->name, e))
                    return b->failed ? SL_ERR_INVAL : SL_ERR_NOMEM;
            }
            for (uint32_t k = 0; k < scope.n; k++) {
                const sl_sql_bcol_t *c = &scope.cols[k];
                if (c->src != SL_SQL_COL_VALUE)
                    continue;
                sl_sql_expr_t *e = sl_sql_expr_column(b->arena, c->src, c->index, c->type, c->name);
                if (!e || add_out(b, &sb, &exprs, &n, &cap, c->name, e))
                    return b->failed ? SL_ERR_INVAL : SL_ERR_NOMEM;
            }
            continue;
        }
        const sl_sql_ast_expr_t *rp = find_row_pos(a);
        if (rp)
            return sl_sql_bind_fail(b, rp->pos,
                                    "Pull queries don't support the following columns in SELECT clauses: `%s`\n See "
                                    "https://cnfl.io/queries for more info.\nAdd EMIT CHANGES if you intended to issue "
                                    "a push query.",
                                    rp->name.name);
        sl_sql_expr_t *e = sl_sql_bind_expr(b, &scope, a);
        if (!e)
            return SL_ERR_INVAL;
        const char *name = it->alias.name;
        if (!name && e->kind == SL_SQL_E_COLUMN)
            name = a->kind == SL_SQL_A_COLUMN ? a->name.name : NULL;
        if (!name && (a->kind == SL_SQL_A_DEREF || e->kind == SL_SQL_E_DEREF))
            name = a->name.name;
        if (!name)
            name = sl_sql_gen_name(b->arena, used, n_used, &gen);
        if (!name || add_out(b, &sb, &exprs, &n, &cap, name, e))
            return b->failed ? SL_ERR_INVAL : SL_ERR_NOMEM;
    }
    out->pull_exprs = exprs;
    out->pull_out = sb.s;
    return 0;
}
