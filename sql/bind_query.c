/*
 * bind_query.c - SELECT, CREATE STREAM/TABLE AS SELECT and INSERT INTO
 * ... SELECT to a logical plan:
 *
 *   FROM         one source (a SOURCE node with its codecs), or joins
 *                (bind_join.c)
 *   WHERE        a FILTER
 *   PARTITION BY a PROJECT carrying the key columns into the value, then a
 *                REKEY (PARTITION BY NULL: no key at all)
 *   GROUP BY     an AGGREGATE (a table; windowed with WINDOW), SUPPRESS
 *                for EMIT FINAL, HAVING as a FILTER above it
 *   EXPLODE      a FLATMAP: the input's value columns and one column per
 *                table function call, read by the projection
 *   SELECT       the final PROJECT: for persistent queries the items equal
 *                to the result's key (the source key, the PARTITION BY or
 *                GROUP BY expressions, the join expression) become its key
 *                columns, as ksqlDB; every key must be selected; `*` puts
 *                the key first. Transient queries give every item as a
 *                value column (ENGINE's header and rows read out.value).
 *   sink         CSAS/CTAS: a new catalog entry (topic, formats inherited
 *                from the source, partitions, key columns of the result);
 *                INSERT INTO: the target's, schemas must agree; SELECT: a
 *                transient SINK with the LIMIT.
 *
 * A SELECT without EMIT is a pull query (bind_pull.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bind_int.h"


sl_err_t sl_sql_q_nomem(sl_sql_qctx_t *q)
{
    return sl_sql_error_set(q->b.err, SL_ERR_NOMEM, (sl_sql_pos_t){ 0, 0 }, "out of memory");
}

static sl_err_t use_name(sl_sql_qctx_t *q, const char *name)
{
    if (!name)
        return 0;
    if (q->n_used == q->cap_used) {
        uint32_t cap = q->cap_used ? q->cap_used * 2 : 32;
        const char **v = sl_arena_calloc(q->arena, cap, sizeof *v);
        if (!v)
            return SL_ERR_NOMEM;
        if (q->n_used)
            memcpy(v, q->used, q->n_used * sizeof *v);
        q->used = v;
        q->cap_used = cap;
    }
    q->used[q->n_used++] = name;
    return 0;
}

static const char *gen_name(sl_sql_qctx_t *q)
{
    const char *n = sl_sql_gen_name(q->arena, q->used, q->n_used, &q->gen_next);
    if (n && use_name(q, n))
        return NULL;
    return n;
}

static sl_sql_qitem_t *add_item(sl_sql_qctx_t *q)
{
    if (q->n_items == q->cap_items) {
        uint32_t cap = q->cap_items ? q->cap_items * 2 : 16;
        sl_sql_qitem_t *v = sl_arena_calloc(q->arena, cap, sizeof *v);
        if (!v)
            return NULL;
        if (q->n_items)
            memcpy(v, q->items, q->n_items * sizeof *v);
        q->items = v;
        q->cap_items = cap;
    }
    sl_sql_qitem_t *it = &q->items[q->n_items++];
    memset(it, 0, sizeof *it);
    it->key = -1;
    return it;
}

/* --- Sources ------------------------------------------------------------------ */

const sl_sql_source_t *sl_sql_q_find_source(sl_sql_qctx_t *q, const sl_sql_ident_t *name)
{
    const sl_sql_source_t *src = q->env->catalog ? sl_sql_catalog_find(q->env->catalog, name->name) : NULL;
    if (!src) {
        char cand[256];
        sl_sql_similar_sources(q->env->catalog, name->name, cand, sizeof cand);
        sl_sql_bind_fail(&q->b, name->pos, "%s does not exist.%s", name->name, cand);
        if (q->b.err)
            q->b.err->code = SL_ERR_NOENT;
    }
    return src;
}

sl_err_t sl_sql_q_source_node(sl_sql_qctx_t *q, const sl_sql_source_t *src, const char *id, const char *store,
                            sl_sql_plan_t **out)
{
    sl_sql_plan_t *p = sl_sql_plan_new(q->arena, SL_SQL_P_SOURCE, NULL);
    if (!p || sl_sql_schema_copy(q->arena, &src->schema, &p->out))
        return sl_sql_q_nomem(q);
    p->source = src;
    p->is_table = src->is_table;
    p->window = src->window;
    p->id = id;
    p->store = src->is_table ? store : NULL;
    if (src->timestamp_col)
        p->timestamp_col = sl_sql_schema_value_index(&p->out, src->timestamp_col);
    char err[512] = "";
    if (sl_sql_schema_codec(q->arena, &src->key_fmt, &p->out, true, &p->key_codec, err, sizeof err) ||
        sl_sql_schema_codec(q->arena, &src->value_fmt, &p->out, false, &p->value_codec, err, sizeof err))
        return sl_sql_bind_fail(&q->b, (sl_sql_pos_t){ 0, 0 }, "%s", err);
    *out = p;
    return 0;
}

/* A PROJECT keeping the key and computing value columns named names[i]. */
sl_sql_plan_t *sl_sql_q_project_node(sl_sql_qctx_t *q, sl_sql_plan_t *input, sl_sql_expr_t **exprs, const char **names,
                                   uint32_t n, const char *id)
{
    sl_sql_plan_t *p = sl_sql_plan_new(q->arena, SL_SQL_P_PROJECT, input);
    if (!p)
        return NULL;
    sl_sql_schema_builder_t sb = { 0 };
    for (uint32_t i = 0; i < input->out.n_key; i++)
        if (sl_sql_sb_key(q->arena, &sb, input->out.key[i].name, input->out.key[i].type))
            return NULL;
    for (uint32_t i = 0; i < n; i++)
        if (sl_sql_sb_value(q->arena, &sb, names[i], exprs[i]->type))
            return NULL;
    p->out = sb.s;
    p->exprs = exprs;
    p->n_exprs = n;
    p->n_key_exprs = input->out.n_key;
    p->key_exprs = sl_arena_calloc(q->arena, p->n_key_exprs ? p->n_key_exprs : 1, sizeof *p->key_exprs);
    if (!p->key_exprs)
        return NULL;
    for (uint32_t i = 0; i < p->n_key_exprs; i++)
        if (!(p->key_exprs[i] = sl_sql_expr_column(q->arena, SL_SQL_COL_KEY, i, input->out.key[i].type,
                                                   input->out.key[i].name)))
            return NULL;
    p->id = id;
    return p;
}

static sl_err_t bind_single(sl_sql_qctx_t *q, const sl_sql_ast_from_t *f)
{
    const sl_sql_source_t *src = sl_sql_q_find_source(q, &f->name);
    if (!src)
        return SL_ERR_NOENT;
    q->rels[0] = (sl_sql_qrel_t){ src, f->alias.name ? f->alias.name : src->name };
    q->n_rels = 1;
    q->qual = q->rels[0].alias;
    sl_err_t e = sl_sql_q_source_node(q, src, "KsqlTopic/Source", "KsqlTopic-Reduce", &q->cur);
    if (e)
        return e;
    q->windowed = src->window.kind != SL_SQL_WIN_NONE;
    if ((e = sl_sql_scope_of_schema(q->arena, &q->scope, q->rels[0].alias, src->name, &q->cur->out, q->windowed)))
        return sl_sql_q_nomem(q);
    q->names_of = &q->cur->out;
    /* The key: the source's key columns. */
    q->n_keys = q->cur->out.n_key;
    if (q->n_keys > SL_SQL_MAX_KEYS)
        return sl_sql_bind_fail(&q->b, f->pos, "too many key columns");
    q->key_what = "key column";
    for (uint32_t i = 0; i < q->n_keys; i++) {
        const sl_sql_column_t *k = &q->cur->out.key[i];
        q->cand[i][0] = sl_sql_expr_column(q->arena, SL_SQL_COL_KEY, i, k->type, k->name);
        if (!q->cand[i][0])
            return sl_sql_q_nomem(q);
        q->n_cand[i] = 1;
        q->key_name[i] = k->name;
        q->key_text[i][0] = k->name;
        q->key_type[i] = k->type;
    }
    return 0;
}

static bool join_name_ambiguous(const sl_sql_qctx_t *q, const char *name)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < q->n_rels; i++) {
        const sl_sql_schema_t *s = &q->rels[i].src->schema;
        if (sl_sql_schema_key_index(s, name) >= 0 || sl_sql_schema_value_index(s, name) >= 0)
            n++;
    }
    return n > 1;
}

/* --- PARTITION BY ---------------------------------------------------------------- */

/* A copy of e reading the key column i instead of value column
 * first_key + i (PrePartitionBy's copies of the key), so a PARTITION BY over
 * key columns works on records without a value. */
static sl_sql_expr_t *copies_to_key(sl_arena_t *arena, const sl_sql_expr_t *e, uint32_t first_key, uint32_t n_key)
{
    sl_sql_expr_t *c = sl_arena_memdup(arena, e, sizeof *e);
    if (!c)
        return NULL;
    if (e->kind == SL_SQL_E_COLUMN && e->src == SL_SQL_COL_VALUE && e->index >= first_key &&
        e->index < first_key + n_key) {
        c->src = SL_SQL_COL_KEY;
        c->index = e->index - first_key;
    }
    if (e->n_args) {
        c->args = sl_arena_calloc(arena, e->n_args, sizeof *c->args);
        if (!c->args)
            return NULL;
        for (uint32_t i = 0; i < e->n_args; i++)
            if (!(c->args[i] = copies_to_key(arena, e->args[i], first_key, n_key)))
                return NULL;
    }
    return c;
}



static bool is_null_literal(const sl_sql_ast_expr_t *a)
{
    return a && a->kind == SL_SQL_A_NULL;
}

static sl_err_t bind_partition_by(sl_sql_qctx_t *q)
{
    const sl_sql_list_t *pb = q->sel->partition_by;
    if (q->cur->is_table)
        return sl_sql_bind_fail(&q->b, q->sel->pos, "ksqlDB does not support PARTITION BY on a TABLE: use GROUP BY.");
    if (pb->n > SL_SQL_MAX_KEYS)
        return sl_sql_bind_fail(&q->b, q->sel->pos, "too many PARTITION BY expressions");
    q->b.clause = "PARTITION BY";
    /* Check the expressions over the input first (ksqlDB's message). */
    for (uint32_t i = 0; i < pb->n; i++) {
        const sl_sql_ast_expr_t *a = pb->items[i];
        if (is_null_literal(a) && pb->n == 1)
            break;
        if (!sl_sql_bind_expr(&q->b, &q->scope, a)) {
            if (q->b.err && strstr(q->b.err->message, "cannot be resolved.")) {
                char *m = q->b.err->message;
                size_t len = strlen(m);
                const char *col = a->kind == SL_SQL_A_COLUMN ? a->name.name : "";
                snprintf(m + len, sizeof q->b.err->message - len,
                         " '%s' must be a column in the source schema since PARTITION BY is applied on the input.",
                         col);
            }
            return SL_ERR_INVAL;
        }
    }
    /* Key columns move into the value so a projection can still read them. */
    const sl_sql_schema_t *in = &q->cur->out;
    uint32_t in_n_value = in->n_value, in_n_key = in->n_key;
    if (in->n_key > 0) {
        uint32_t n = in->n_value + in->n_key;
        sl_sql_expr_t **exprs = sl_arena_calloc(q->arena, n, sizeof *exprs);
        const char **names = sl_arena_calloc(q->arena, n, sizeof *names);
        if (!exprs || !names)
            return sl_sql_q_nomem(q);
        for (uint32_t i = 0; i < in->n_value; i++) {
            exprs[i] = sl_sql_expr_column(q->arena, SL_SQL_COL_VALUE, i, in->value[i].type, in->value[i].name);
            names[i] = in->value[i].name;
        }
        for (uint32_t i = 0; i < in->n_key; i++) {
            exprs[in->n_value + i] = sl_sql_expr_column(q->arena, SL_SQL_COL_KEY, i, in->key[i].type, in->key[i].name);
            names[in->n_value + i] = in->key[i].name;
        }
        for (uint32_t i = 0; i < n; i++)
            if (!exprs[i])
                return sl_sql_q_nomem(q);
        sl_sql_plan_t *p = sl_sql_q_project_node(q, q->cur, exprs, names, n, "PrePartitionBy");
        if (!p)
            return sl_sql_q_nomem(q);
        q->cur = p;
        /* The scope: the same names, now all value columns. */
        sl_sql_scope_t s = { 0 };
        memcpy(s.quals, q->scope.quals, sizeof s.quals);
        memcpy(s.qual_src, q->scope.qual_src, sizeof s.qual_src);
        s.n_quals = q->scope.n_quals;
        for (uint32_t i = 0; i < q->scope.n; i++) {
            sl_sql_bcol_t c = q->scope.cols[i];
            if (c.src == SL_SQL_COL_KEY) {
                c.src = SL_SQL_COL_VALUE;
                c.index += in->n_value;
            }
            if (sl_sql_scope_add_col(q->arena, &s, &c, c.index))
                return sl_sql_q_nomem(q);
        }
        q->scope = s;
        q->names_of = &p->out;
    }
    sl_sql_plan_t *r = sl_sql_plan_new(q->arena, SL_SQL_P_REKEY, q->cur);
    if (!r)
        return sl_sql_q_nomem(q);
    r->id = "PartitionBy";
    r->window.kind = SL_SQL_WIN_NONE;
    q->windowed = false;
    q->key_what = "partitioning expression";
    if (pb->n == 1 && is_null_literal(pb->items[0])) {
        r->n_key_exprs = 0;
        r->out.key = NULL;
        r->out.n_key = 0;
        q->n_keys = 0;
        q->cur = r;
        return 0;
    }
    r->key_exprs = sl_arena_calloc(q->arena, pb->n, sizeof *r->key_exprs);
    if (!r->key_exprs)
        return sl_sql_q_nomem(q);
    r->n_key_exprs = pb->n;
    sl_sql_schema_builder_t sb = { 0 };
    for (uint32_t i = 0; i < pb->n; i++) {
        const sl_sql_ast_expr_t *a = pb->items[i];
        sl_sql_expr_t *e = sl_sql_bind_expr(&q->b, &q->scope, a);
        if (!e)
            return SL_ERR_INVAL;
        r->key_exprs[i] = in_n_key ? copies_to_key(q->arena, e, in_n_value, in_n_key) : e;
        if (!r->key_exprs[i])
            return sl_sql_q_nomem(q);
        const char *name = NULL;
        /* Over a join the key takes the joined row's (prefixed) name. */
        if (e->kind == SL_SQL_E_COLUMN && e->src == SL_SQL_COL_VALUE)
            name = q->names_of->value[e->index].name;
        else if (a->kind == SL_SQL_A_DEREF || (a->kind == SL_SQL_A_COLUMN && e->kind == SL_SQL_E_DEREF))
            name = a->name.name;
        q->key_name[i] = name; /* NULL: generated when needed */
        q->cand[i][0] = e;
        q->n_cand[i] = 1;
        q->key_text[i][0] = sl_sql_ast_text(q->arena, a, q->qual);
        q->key_type[i] = e->type;
        if (sl_sql_sb_key(q->arena, &sb, name ? name : "KSQL_COL_0", e->type))
            return sl_sql_q_nomem(q);
    }
    r->out.key = sb.s.key;
    r->out.n_key = sb.s.n_key;
    q->n_keys = pb->n;
    q->cur = r;
    return 0;
}

/* --- GROUP BY ------------------------------------------------------------------ */

static sl_err_t bind_group_by(sl_sql_qctx_t *q)
{
    const sl_sql_list_t *gb = q->sel->group_by;
    uint32_t n = gb ? gb->n : 0;
    if (n == 0)
        return sl_sql_bind_fail(&q->b, q->sel->pos, "Use of aggregate functions requires a GROUP BY clause.");
    if (n > SL_SQL_MAX_KEYS)
        return sl_sql_bind_fail(&q->b, q->sel->pos, "too many GROUP BY expressions");
    q->b.clause = "GROUP BY";
    sl_sql_expr_t **g = sl_arena_calloc(q->arena, n, sizeof *g);
    if (!g)
        return sl_sql_q_nomem(q);
    for (uint32_t i = 0; i < n; i++) {
        const sl_sql_ast_expr_t *a = gb->items[i];
        if (sl_sql_ast_has_agg(a))
            return sl_sql_bind_fail(&q->b, a->pos, "GROUP BY does not support aggregate functions: %s is an aggregate function.",
                                    a->name.name ? a->name.name : sl_sql_ast_text(q->arena, a, NULL));
        if (!(g[i] = sl_sql_bind_expr(&q->b, &q->scope, a)))
            return SL_ERR_INVAL;
        for (uint32_t j = 0; j < i; j++)
            if (sl_sql_expr_same(g[j], g[i]))
                return sl_sql_bind_fail(&q->b, a->pos, "Duplicate GROUP BY expression: %s",
                                        sl_sql_ast_text(q->arena, a, q->is_join ? NULL : q->qual));
    }
    sl_sql_plan_t *agg = sl_sql_plan_new(q->arena, SL_SQL_P_AGGREGATE, q->cur);
    if (!agg)
        return sl_sql_q_nomem(q);
    agg->id = "Aggregate";
    agg->store = "Aggregate-Aggregate-Materialize";
    agg->group_exprs = g;
    agg->n_group = n;
    agg->n_group_values = 0;
    agg->is_table = true;
    agg->window.kind = SL_SQL_WIN_NONE;
    agg->window.retention_ms = -1;
    agg->window.grace_ms = -1;
    const sl_sql_ast_window_t *w = q->sel->window;
    if (w && w->kind != SL_SQL_WIN_NONE) {
        agg->window.kind = w->kind;
        agg->window.size_ms = w->size_ms;
        agg->window.advance_ms = w->kind == SL_SQL_WIN_HOPPING ? w->advance_ms : w->size_ms;
        agg->window.retention_ms = w->retention_ms;
        agg->window.grace_ms = w->grace_ms;
        if (w->kind == SL_SQL_WIN_HOPPING && (w->advance_ms <= 0 || w->advance_ms > w->size_ms))
            return sl_sql_bind_fail(&q->b, w->pos,
                                    "Window advance must be positive and not greater than the window size.");
        if (w->size_ms <= 0)
            return sl_sql_bind_fail(&q->b, w->pos, "Window size must be positive.");
    }
    q->windowed = agg->window.kind != SL_SQL_WIN_NONE;
    sl_sql_schema_builder_t sb = { 0 };
    q->key_what = "grouping expression";
    for (uint32_t i = 0; i < n; i++) {
        const sl_sql_ast_expr_t *a = gb->items[i];
        const char *name = NULL;
        sl_sql_expr_t *e = g[i];
        if (q->is_join && a->kind == SL_SQL_A_COLUMN && e->kind == SL_SQL_E_COLUMN && e->src != SL_SQL_COL_PSEUDO &&
            !join_name_ambiguous(q, a->name.name))
            name = a->name.name;
        else if (e->kind == SL_SQL_E_COLUMN && e->src != SL_SQL_COL_PSEUDO)
            name = e->src == SL_SQL_COL_KEY ? q->names_of->key[e->index].name : q->names_of->value[e->index].name;
        else if (a->kind == SL_SQL_A_DEREF || (a->kind == SL_SQL_A_COLUMN && e->kind == SL_SQL_E_DEREF))
            name = a->name.name;
        q->key_name[i] = name;
        q->key_type[i] = e->type;
        q->key_text[i][0] = sl_sql_ast_text(q->arena, a, NULL);
        q->cand[i][0] = sl_sql_expr_column(q->arena, SL_SQL_COL_KEY, i, e->type, name);
        q->n_cand[i] = 1;
        if (!q->cand[i][0] || sl_sql_sb_key(q->arena, &sb, name ? name : "KSQL_COL_0", e->type))
            return sl_sql_q_nomem(q);
    }
    agg->out.key = sb.s.key;
    agg->out.n_key = n;
    q->n_keys = n;
    q->aggregated = true;

    /* SELECT items and HAVING read the aggregate's output. */
    q->b.agg_mode = true;
    q->b.agg_in = &q->scope;
    q->b.group = g;
    q->b.n_group = n;
    q->b.agg_windowed = q->windowed;
    q->cur = agg;
    return 0;
}

/* After the items and HAVING are bound: the aggregate's value columns. */
static sl_err_t finish_aggregate(sl_sql_qctx_t *q, sl_sql_plan_t *agg)
{
    agg->aggs = q->b.aggs;
    agg->n_aggs = q->b.n_aggs;
    if (agg->input && agg->input->is_table) {
        /* A table's aggregation retracts old rows: every aggregate must undo. */
        char names[512] = "";
        size_t used = 0;
        uint32_t bad = 0, n_bad = 0;
        for (uint32_t j = 0; j < agg->n_aggs; j++)
            if (!agg->aggs[j]->func->agg || !agg->aggs[j]->func->agg->undo)
                n_bad++;
        for (uint32_t j = 0; j < agg->n_aggs; j++) {
            if (agg->aggs[j]->func->agg && agg->aggs[j]->func->agg->undo)
                continue;
            bad++;
            int w = snprintf(names + used, sizeof names - used, "%s%s",
                             bad == 1 ? "" : (bad == n_bad ? " and " : ", "), agg->aggs[j]->func->name);
            if (w < 0 || (size_t)w >= sizeof names - used)
                break;
            used += (size_t)w;
        }
        if (n_bad)
            return sl_sql_bind_fail(&q->b, q->sel->pos,
                                    "The aggregation function%s %s cannot be applied to a table source, only to a "
                                    "stream source.",
                                    n_bad > 1 ? "s" : "", names);
    }
    sl_sql_schema_builder_t sb = { 0 };
    char buf[48];
    for (uint32_t j = 0; j < agg->n_aggs; j++) {
        snprintf(buf, sizeof buf, "KSQL_AGG_VARIABLE_%u", j);
        const char *nm = sl_arena_strndup(q->arena, buf, strlen(buf));
        if (!nm || sl_sql_sb_value(q->arena, &sb, nm, agg->aggs[j]->result_type))
            return sl_sql_q_nomem(q);
    }
    agg->out.value = sb.s.value;
    agg->out.n_value = sb.s.n_value;
    return 0;
}

/* --- SELECT items ---------------------------------------------------------------- */

/* The default name of an item bound to e (NULL: generate one). */
static const char *default_name(sl_sql_qctx_t *q, const sl_sql_ast_expr_t *a, const sl_sql_expr_t *e)
{
    /* In a join a column keeps its name unless another source has a
     * column of that name: then ALIAS_NAME (T_ID), as ksqlDB. */
    if (q->is_join && a && a->kind == SL_SQL_A_COLUMN && e->kind == SL_SQL_E_COLUMN && e->src != SL_SQL_COL_PSEUDO &&
        !join_name_ambiguous(q, a->name.name))
        return a->name.name;
    if (e->kind == SL_SQL_E_COLUMN) {
        if (e->src == SL_SQL_COL_PSEUDO)
            return sl_sql_pseudo_name((sl_sql_pseudo_t)e->index);
        if (q->aggregated) {
            if (e->src == SL_SQL_COL_KEY && e->index < q->n_keys)
                return q->key_name[e->index];
            return NULL;
        }
        if (e->src == SL_SQL_COL_KEY && e->index < q->names_of->n_key)
            return q->names_of->key[e->index].name;
        if (e->src == SL_SQL_COL_VALUE && e->index < q->names_of->n_value)
            return q->names_of->value[e->index].name;
    }
    if (a && (a->kind == SL_SQL_A_DEREF || (a->kind == SL_SQL_A_COLUMN && e->kind == SL_SQL_E_DEREF)))
        return a->name.name;
    return NULL;
}

/* Which key (and which of its candidates) e equals. */
static bool cand_of(const sl_sql_qctx_t *q, const sl_sql_expr_t *e, int *key, uint32_t *cand)
{
    for (uint32_t i = 0; i < q->n_keys; i++)
        for (uint32_t c = 0; c < q->n_cand[i]; c++)
            if (sl_sql_expr_same(e, q->cand[i][c])) {
                *key = (int)i;
                *cand = c;
                return true;
            }
    return false;
}

static bool is_cand(const sl_sql_qctx_t *q, const sl_sql_expr_t *e, int *key)
{
    uint32_t c;
    return cand_of(q, e, key, &c);
}

static sl_err_t star_items(sl_sql_qctx_t *q, const sl_sql_ast_expr_t *a)
{
    const char *qual = a->qual.name;
    if (q->aggregated) {
        /* Every column of the input, each bound as an item: it must be a
         * grouping expression, as in ksqlDB. */
        const sl_sql_scope_t *in = q->b.agg_in;
        for (int pass = 0; pass < 2; pass++) {
            for (uint32_t i = 0; i < in->n; i++) {
                const sl_sql_bcol_t *c = &in->cols[i];
                if (c->src == SL_SQL_COL_PSEUDO || (c->src == SL_SQL_COL_KEY) != (pass == 0))
                    continue;
                if (qual && (!c->qual || strcmp(c->qual, qual) != 0))
                    continue;
                sl_sql_ast_expr_t *col = sl_arena_zalloc(q->arena, sizeof *col);
                if (!col)
                    return sl_sql_q_nomem(q);
                col->kind = SL_SQL_A_COLUMN;
                col->pos = a->pos;
                col->name.name = c->name;
                col->qual.name = q->is_join ? c->qual : NULL;
                sl_sql_qitem_t *it = add_item(q);
                if (!it)
                    return sl_sql_q_nomem(q);
                it->ast = col;
                it->from_star = true;
                if (!(it->expr = sl_sql_bind_expr(&q->b, &q->scope, col)))
                    return SL_ERR_INVAL;
                it->name = default_name(q, col, it->expr);
                if (!it->name && !(it->name = gen_name(q)))
                    return sl_sql_q_nomem(q);
            }
        }
        return 0;
    }
    if (qual) {
        bool known = false;
        for (uint32_t i = 0; i < q->scope.n_quals; i++)
            if (strcmp(q->scope.quals[i], qual) == 0)
                known = true;
        if (!known)
            return sl_sql_bind_fail(&q->b, a->pos, "Source '%s' is not in the FROM clause: '%s.*' cannot be resolved.", qual,
                                    qual);
    }
    /* The key first (unqualified *: the result's key), then every column
     * of the scope except the pseudo ones and a copy of the key. */
    bool emitted[SL_SQL_MAX_KEYS] = { false };
    if (!qual || !q->is_join) {
        for (uint32_t i = 0; i < q->n_keys; i++) {
            if (!q->cand[i][0])
                continue;
            sl_sql_qitem_t *it = add_item(q);
            if (!it)
                return sl_sql_q_nomem(q);
            it->expr = q->cand[i][0];
            it->name = q->key_name[i] ? q->key_name[i] : gen_name(q);
            it->key = (int)i;
            it->from_star = true;
            emitted[i] = true;
            if (!it->name)
                return sl_sql_q_nomem(q);
            if (!q->persistent && q->windowed && i + 1 == q->n_keys) {
                for (int p = SL_SQL_PSEUDO_WINDOWSTART; p <= SL_SQL_PSEUDO_WINDOWEND; p++) {
                    sl_sql_qitem_t *w = add_item(q);
                    if (!w)
                        return sl_sql_q_nomem(q);
                    w->name = sl_sql_pseudo_name((sl_sql_pseudo_t)p);
                    w->expr = sl_sql_expr_column(q->arena, SL_SQL_COL_PSEUDO, (uint32_t)p,
                                                 sl_sql_pseudo_type((sl_sql_pseudo_t)p), w->name);
                    w->from_star = true;
                    if (!w->expr)
                        return sl_sql_q_nomem(q);
                }
            }
        }
    }
    /* The order: one source's key columns then its value columns, each in
     * column order (joins: source by source, their prefixed copies). */
    const sl_sql_bcol_t **order = sl_arena_calloc(q->arena, q->scope.n + 1, sizeof *order);
    uint32_t n_order = 0;
    if (!order)
        return sl_sql_q_nomem(q);
    uint32_t max_index = 0;
    for (uint32_t i = 0; i < q->scope.n; i++)
        if (q->scope.cols[i].src != SL_SQL_COL_PSEUDO && q->scope.cols[i].index + 1 > max_index)
            max_index = q->scope.cols[i].index + 1;
    /* A join repartitioned by PARTITION BY: ksqlDB's star lists the
     * repartitioned row as it is, prefixed pseudo copies included. */
    bool as_laid_out = q->is_join && q->sel->partition_by;
    uint32_t n_groups = q->is_join && !as_laid_out ? q->scope.n_quals : 1;
    for (uint32_t want = 0; as_laid_out && want < max_index; want++)
        for (uint32_t i = 0; i < q->scope.n; i++)
            if (q->scope.cols[i].src == SL_SQL_COL_VALUE && q->scope.cols[i].qual && q->scope.cols[i].index == want)
                order[n_order++] = &q->scope.cols[i];
    for (uint32_t g = 0; !as_laid_out && g < n_groups; g++) {
        for (int pass = 0; pass < 2; pass++) {
            for (uint32_t want = 0; want < max_index; want++) {
                for (uint32_t i = 0; i < q->scope.n; i++) {
                    const sl_sql_bcol_t *c = &q->scope.cols[i];
                    if (c->src == SL_SQL_COL_PSEUDO || c->role == SL_SQL_BCOL_PSEUDO_COPY || c->index != want)
                        continue;
                    bool is_key = q->is_join ? c->role == SL_SQL_BCOL_KEY_COPY : c->src == SL_SQL_COL_KEY;
                    if (is_key != (pass == 0))
                        continue;
                    if (q->is_join && (!c->qual || strcmp(c->qual, q->scope.quals[g]) != 0))
                        continue;
                    order[n_order++] = c;
                }
            }
        }
    }
    for (uint32_t o = 0; o < n_order; o++) {
        const sl_sql_bcol_t *c = order[o];
        if (qual && (!c->qual || strcmp(c->qual, qual) != 0))
            continue;
        if (q->synthetic_key && c->src == SL_SQL_COL_KEY)
            continue;
        sl_sql_expr_t *e = sl_sql_expr_column(q->arena, c->src, c->index, c->type, c->name);
        if (!e)
            return sl_sql_q_nomem(q);
        int k;
        bool other_cand = false;
        if (is_cand(q, e, &k) && (emitted[k] || !qual || !q->is_join)) {
            if (!q->is_join || sl_sql_expr_same(e, q->cand[k][0]))
                continue;
            other_cand = true; /* the other side's copy of the join key: a value */
        }
        sl_sql_qitem_t *it = add_item(q);
        if (!it)
            return sl_sql_q_nomem(q);
        it->key = other_cand ? -2 : -1;
        it->expr = e;
        it->name = default_name(q, NULL, e);
        it->from_star = true;
        if (!it->name)
            it->name = c->name;
    }
    return 0;
}

static sl_err_t bind_items(sl_sql_qctx_t *q)
{
    const sl_sql_list_t *items = q->sel->items;
    q->b.clause = "SELECT";
    /* Names taken: the scope's and the explicit aliases. */
    for (uint32_t i = 0; i < q->scope.n; i++)
        if (use_name(q, q->scope.cols[i].name))
            return sl_sql_q_nomem(q);
    for (uint32_t i = 0; q->names_of && i < q->names_of->n_value; i++)
        if (use_name(q, q->names_of->value[i].name))
            return sl_sql_q_nomem(q);
    for (uint32_t i = 0; items && i < items->n; i++) {
        const sl_sql_ast_item_t *ai = items->items[i];
        if (ai->alias.name && use_name(q, ai->alias.name))
            return sl_sql_q_nomem(q);
    }
    /* Table functions become slots of a FLATMAP whose value row is the
     * input's followed by one column per call. */
    q->b.allow_tablefn = true;
    q->b.tf_over_table = q->cur->is_table;
    q->b.tf_base = q->cur->out.n_value;
    for (uint32_t i = 0; items && i < items->n; i++) {
        const sl_sql_ast_item_t *ai = items->items[i];
        const sl_sql_ast_expr_t *a = ai->expr;
        if (a->kind == SL_SQL_A_STAR) {
            sl_err_t e = star_items(q, a);
            if (e)
                return e;
            continue;
        }
        if (ai->alias.name && sl_sql_pseudo_by_name(ai->alias.name) >= 0) {
            const char *text = sl_sql_ast_text(q->arena, a, NULL);
            if (!text || strcmp(text, ai->alias.name) != 0)
                return sl_sql_bind_fail(&q->b, ai->alias.pos,
                                        "`%s` is a reserved column name. You cannot use it as an alias for a column.",
                                        ai->alias.name);
        }
        sl_sql_qitem_t *it = add_item(q);
        if (!it)
            return sl_sql_q_nomem(q);
        it->ast = a;
        it->aliased = ai->alias.name != NULL;
        it->expr = sl_sql_bind_expr(&q->b, &q->scope, a);
        if (!it->expr)
            return SL_ERR_INVAL;
        if (ai->alias.name)
            it->name = ai->alias.name;
        else
            it->name = default_name(q, a, it->expr);
        if (!it->aliased && it->name && q->persistent && sl_sql_pseudo_by_name(it->name) >= 0 &&
            it->expr->kind == SL_SQL_E_COLUMN && it->expr->src == SL_SQL_COL_PSEUDO)
            return sl_sql_bind_fail(&q->b, a->pos, "Reserved column name in select: `%s`. Please remove or alias the column.",
                                    it->name);
        if (!it->name && !(it->name = gen_name(q)))
            return sl_sql_q_nomem(q);
    }
    q->b.allow_tablefn = false;
    if (q->n_items == 0)
        return sl_sql_bind_fail(&q->b, q->sel->pos, "The projection contains no columns.");
    return 0;
}

/* Matches items to the result's key (persistent queries). */
static sl_err_t match_keys(sl_sql_qctx_t *q)
{
    /* The item equal to a key's first candidate that is selected (a
     * join's left expression before its right one) is the key; an item
     * equal to another candidate stays a value; the same one twice is an
     * error. */
    int first[SL_SQL_MAX_KEYS];
    uint32_t best[SL_SQL_MAX_KEYS];
    for (uint32_t i = 0; i < SL_SQL_MAX_KEYS; i++) {
        first[i] = -1;
        best[i] = UINT32_MAX;
    }
    for (uint32_t i = 0; i < q->n_items; i++) {
        sl_sql_qitem_t *it = &q->items[i];
        int k;
        uint32_t c;
        if (it->key == -2 || !cand_of(q, it->expr, &k, &c))
            continue;
        if (c < best[k])
            best[k] = c;
    }
    for (uint32_t i = 0; i < q->n_items; i++) {
        sl_sql_qitem_t *it = &q->items[i];
        if (it->key == -2)
            continue;
        int k;
        uint32_t c;
        if (!cand_of(q, it->expr, &k, &c))
            continue;
        if (c != best[k]) {
            it->key = -2;
            continue;
        }
        if (first[k] >= 0) {
            const char *kn = q->key_name[k] ? q->key_name[k] : q->items[first[k]].name;
            if (q->aggregated)
                return sl_sql_bind_fail(&q->b, q->sel->pos,
                                        "The projection contains a key column more than once: `%s` and `%s`.",
                                        q->items[first[k]].name, it->name);
            const char *x = q->items[first[k]].name, *y = it->name;
            if (strcmp(x, y) > 0) {
                const char *t = x;
                x = y;
                y = t;
            }
            return sl_sql_bind_fail(&q->b, q->sel->pos,
                                    "The projection contains a key column (`%s`) more than once, aliased as: %s and %s.",
                                    kn, x, y);
        }
        first[k] = (int)i;
        it->key = k;
    }
    /* Every key must be selected: one message naming what is missing
     * ("A or B" for a join's alternatives, "A, B and C" for several keys). */
    uint32_t missing[SL_SQL_MAX_KEYS], n_missing = 0;
    for (uint32_t k = 0; k < q->n_keys; k++)
        if (first[k] < 0)
            missing[n_missing++] = k;
    if (n_missing == 0)
        return 0;
    char list[512] = "", eg[512] = "";
    size_t used = 0, eg_used = 0;
    bool plural;
    if (n_missing == 1) {
        uint32_t k = missing[0];
        /* Only the column references when there are some (ksqlDB's list). */
        uint32_t n_list = 0;
        for (uint32_t c = 0; c < q->n_cand[k]; c++)
            if (q->cand[k][c]->kind == SL_SQL_E_COLUMN)
                n_list = c + 1;
        if (n_list == 0)
            n_list = q->n_cand[k];
        plural = n_list > 1;
        for (uint32_t c = 0; c < n_list; c++) {
            int w = snprintf(list + used, sizeof list - used, "%s%s", c ? (c + 1 == n_list ? " or " : ", ") : "",
                             q->key_text[k][c] ? q->key_text[k][c] : "?");
            if (w < 0 || (size_t)w >= sizeof list - used)
                break;
            used += (size_t)w;
        }
        snprintf(eg, sizeof eg, "%s", q->key_text[k][0] ? q->key_text[k][0] : "?");
    } else {
        plural = true;
        for (uint32_t m = 0; m < n_missing; m++) {
            const char *t = q->key_text[missing[m]][0] ? q->key_text[missing[m]][0] : "?";
            int w = snprintf(list + used, sizeof list - used, "%s%s", m ? (m + 1 == n_missing ? " and " : ", ") : "", t);
            if (w < 0 || (size_t)w >= sizeof list - used)
                break;
            used += (size_t)w;
            w = snprintf(eg + eg_used, sizeof eg - eg_used, "%s%s", m ? ", " : "", t);
            if (w < 0 || (size_t)w >= sizeof eg - eg_used)
                break;
            eg_used += (size_t)w;
        }
    }
    return sl_sql_bind_fail(&q->b, q->sel->pos,
                            "Key missing from projection (ie, SELECT). See https://cnfl.io/2LV7ouS.\n"
                            "The query used to build `%s` must include the %s%s %s in its projection (eg, "
                            "SELECT %s...).",
                            q->sink_name ? q->sink_name : "", q->key_what, plural ? "s" : "", list, eg);
}

/* FLATMAP (when a table function is selected) and the final PROJECT. */
static sl_err_t build_projection(sl_sql_qctx_t *q)
{
    sl_sql_plan_t *below = q->cur;
    uint32_t n = q->n_items;
    if (q->b.n_tf) {
        /* The input's value columns pass through, the table functions'
         * outputs follow: the items read both. */
        uint32_t base = q->b.tf_base, nf = base + q->b.n_tf;
        sl_sql_plan_t *fm = sl_sql_plan_new(q->arena, SL_SQL_P_FLATMAP, q->cur);
        if (!fm)
            return sl_sql_q_nomem(q);
        fm->id = "FlatMap";
        fm->exprs = sl_arena_calloc(q->arena, nf, sizeof *fm->exprs);
        fm->funcs = sl_arena_calloc(q->arena, nf, sizeof *fm->funcs);
        fm->tablefn_args = sl_arena_calloc(q->arena, nf, sizeof *fm->tablefn_args);
        fm->tablefn_n_args = sl_arena_calloc(q->arena, nf, sizeof *fm->tablefn_n_args);
        if (!fm->exprs || !fm->funcs || !fm->tablefn_args || !fm->tablefn_n_args)
            return sl_sql_q_nomem(q);
        fm->n_exprs = nf;
        sl_sql_schema_builder_t sb = { 0 };
        for (uint32_t i = 0; i < q->cur->out.n_key; i++)
            if (sl_sql_sb_key(q->arena, &sb, q->cur->out.key[i].name, q->cur->out.key[i].type))
                return sl_sql_q_nomem(q);
        for (uint32_t i = 0; i < base; i++) {
            const sl_sql_column_t *c = &q->cur->out.value[i];
            fm->exprs[i] = sl_sql_expr_column(q->arena, SL_SQL_COL_VALUE, i, c->type, c->name);
            if (!fm->exprs[i] || sl_sql_sb_value(q->arena, &sb, c->name, c->type))
                return sl_sql_q_nomem(q);
        }
        char buf[32];
        for (uint32_t j = 0; j < q->b.n_tf; j++) {
            const struct sl_sql_tf_slot *t = &q->b.tf[j];
            fm->funcs[base + j] = t->func;
            fm->tablefn_args[base + j] = t->args;
            fm->tablefn_n_args[base + j] = t->n_args;
            snprintf(buf, sizeof buf, "KSQL_SYNTH_%u", j);
            if (sl_sql_sb_value(q->arena, &sb, buf, t->type))
                return sl_sql_q_nomem(q);
        }
        fm->out = sb.s;
        below = fm;
    }
    sl_sql_plan_t *p = sl_sql_plan_new(q->arena, SL_SQL_P_PROJECT, below);
    if (!p)
        return sl_sql_q_nomem(q);
    p->id = "Project";
    sl_sql_schema_builder_t sb = { 0 };
    uint32_t n_val = 0;
    for (uint32_t i = 0; i < n; i++)
        if (q->items[i].key < 0 || !q->persistent)
            n_val++;
    p->exprs = sl_arena_calloc(q->arena, n_val ? n_val : 1, sizeof *p->exprs);
    if (!p->exprs)
        return sl_sql_q_nomem(q);
    if (q->persistent && q->n_keys) {
        p->key_exprs = sl_arena_calloc(q->arena, q->n_keys, sizeof *p->key_exprs);
        if (!p->key_exprs)
            return sl_sql_q_nomem(q);
        p->n_key_exprs = q->n_keys;
        for (uint32_t k = 0; k < q->n_keys; k++) {
            const sl_sql_qitem_t *it = NULL;
            for (uint32_t i = 0; i < n; i++)
                if (q->items[i].key == (int)k)
                    it = &q->items[i];
            const char *name = it ? it->name : q->key_name[k];
            p->key_exprs[k] = sl_sql_expr_column(q->arena, SL_SQL_COL_KEY, k, q->key_type[k], name);
            if (!p->key_exprs[k] || sl_sql_sb_key(q->arena, &sb, name, q->key_type[k]))
                return sl_sql_q_nomem(q);
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        sl_sql_qitem_t *it = &q->items[i];
        if (q->persistent && it->key >= 0)
            continue;
        for (uint32_t j = 0; j < sb.s.n_value; j++) {
            if (strcmp(sb.s.value[j].name, it->name) == 0) {
                char tn[128];
                return sl_sql_bind_fail(&q->b, q->sel->pos, "Duplicate value columns found in schema: `%s` %s", it->name,
                                        sl_sql_type_str(it->expr->type, tn, sizeof tn));
            }
        }
        for (uint32_t j = 0; j < sb.s.n_key; j++) {
            if (strcmp(sb.s.key[j].name, it->name) == 0) {
                char tn[128];
                return sl_sql_bind_fail(&q->b, q->sel->pos, "Duplicate value columns found in schema: `%s` %s", it->name,
                                        sl_sql_type_str(it->expr->type, tn, sizeof tn));
            }
        }
        if (it->expr->type->kind == SL_SQL_T_NULL)
            return sl_sql_bind_fail(&q->b, it->ast ? it->ast->pos : q->sel->pos,
                                    "Can't infer a type of null. Please explicitly cast it to a required type, e.g. "
                                    "CAST(null AS VARCHAR).");
        p->exprs[p->n_exprs++] = it->expr;
        if (sl_sql_sb_value(q->arena, &sb, it->name, it->expr->type))
            return sl_sql_q_nomem(q);
    }
    if (q->persistent && p->n_exprs == 0)
        return sl_sql_bind_fail(&q->b, q->sel->pos, "The projection contains no value columns.");
    p->out = sb.s;
    if (!q->persistent)
        p->n_key_exprs = 0;
    q->cur = p;
    return 0;
}

/* --- Sinks ------------------------------------------------------------------- */

static sl_err_t add_source_names(sl_sql_qctx_t *q, sl_sql_bound_query_t *out)
{
    out->source_names = sl_arena_calloc(q->arena, q->n_rels ? q->n_rels : 1, sizeof *out->source_names);
    if (!out->source_names)
        return sl_sql_q_nomem(q);
    for (uint32_t i = 0; i < q->n_rels; i++)
        out->source_names[i] = q->rels[i].src->name;
    out->n_sources = q->n_rels;
    return 0;
}

static sl_err_t sink_codecs(sl_sql_qctx_t *q, sl_sql_plan_t *sink, const sl_sql_fmt_t *kf, const sl_sql_fmt_t *vf)
{
    char err[1024] = "";
    if (sl_sql_schema_codec(q->arena, kf, &sink->out, true, &sink->sink_key_codec, err, sizeof err) ||
        sl_sql_schema_codec(q->arena, vf, &sink->out, false, &sink->sink_value_codec, err, sizeof err))
        return sl_sql_bind_fail(&q->b, q->stmt->pos, "%s", err);
    return 0;
}

static sl_err_t create_sink(sl_sql_qctx_t *q, sl_sql_plan_t *sink, bool is_table, sl_sql_bound_query_t *out)
{
    const sl_sql_stmt_t *stmt = q->stmt;
    sl_sql_with_t w;
    sl_err_t e = sl_sql_with_parse(&q->b, stmt->props, false, &w);
    if (e)
        return e;
    const sl_sql_source_t *first = q->rels[0].src;
    sl_sql_fmt_t kf = first->key_fmt, vf = first->value_fmt;
    bool key_explicit, value_explicit;
    if ((e = sl_sql_with_formats(&q->b, &w, &kf, &vf, &key_explicit, &value_explicit)))
        return e;
    if (sink->out.n_key == 0) {
        if (key_explicit && kf.kind != SL_SQL_FMT_NONE && q->sel->partition_by)
            return sl_sql_bind_fail(&q->b, stmt->pos, "Key format specified for stream without key columns.");
        if (!key_explicit)
            kf.kind = SL_SQL_FMT_NONE;
    } else if (kf.kind == SL_SQL_FMT_NONE && !key_explicit) {
        /* A keyless source gained a key (PARTITION BY, GROUP BY, a join):
         * ksqlDB's default key format. */
        kf = (sl_sql_fmt_t){ SL_SQL_FMT_KAFKA, 0, -1 };
    }
    sl_sql_with_session_wrap(&q->b, &w, &vf, sink->out.n_value);
    if ((e = sl_sql_with_timestamp(&q->b, &w, &sink->out)))
        return e;
    if ((e = sink_codecs(q, sink, &kf, &vf)))
        return e;

    sl_sql_source_t *src = sl_sql_source_new();
    if (!src)
        return sl_sql_q_nomem(q);
    sl_arena_t *a = src->arena;
    src->is_table = is_table;
    src->key_fmt = kf;
    src->value_fmt = vf;
    src->window = sink->window;
    src->partitions = w.partitions > 0 ? w.partitions
                      : q->env->default_partitions > 0 ? q->env->default_partitions
                                                       : first->partitions;
    src->replicas = w.replicas > 0 ? w.replicas : first->replicas;
    const char *prefix = q->env->prop ? q->env->prop("ksql.output.topic.name.prefix", q->env->prop_arg) : NULL;
    char topic[512];
    if (w.kafka_topic)
        snprintf(topic, sizeof topic, "%s", w.kafka_topic);
    else
        snprintf(topic, sizeof topic, "%s%s", prefix ? prefix : "", stmt->target.name);
    src->name = sl_arena_strndup(a, stmt->target.name, strlen(stmt->target.name));
    src->topic = sl_arena_strndup(a, topic, strlen(topic));
    src->statement = sl_arena_strndup(a, stmt->text ? stmt->text : "", stmt->text ? strlen(stmt->text) : 0);
    src->writer_query = q->env->query_id ? sl_arena_strndup(a, q->env->query_id, strlen(q->env->query_id)) : NULL;
    src->timestamp_col = w.timestamp ? sl_arena_strndup(a, w.timestamp, strlen(w.timestamp)) : NULL;
    src->timestamp_fmt = w.timestamp_format ? sl_arena_strndup(a, w.timestamp_format, strlen(w.timestamp_format))
                                            : NULL;
    if (!src->name || !src->topic || !src->statement || (q->env->query_id && !src->writer_query) ||
        sl_sql_schema_copy(a, &sink->out, &src->schema)) {
        sl_sql_source_free(src);
        return sl_sql_q_nomem(q);
    }
    /* WITH (TIMESTAMP=...) on the sink: its rows' record time. */
    sink->timestamp_col = w.timestamp ? sl_sql_schema_value_index(&sink->out, w.timestamp) : -1;
    sink->topic = sl_arena_strndup(q->arena, topic, strlen(topic));
    if (!sink->topic) {
        sl_sql_source_free(src);
        return sl_sql_q_nomem(q);
    }
    out->sink = src;
    return 0;
}

static void schema_text(const sl_sql_schema_t *s, char *out, size_t len)
{
    sl_buf_t buf;
    sl_buf_init(&buf);
    sl_sql_schema_format(s, true, &buf);
    snprintf(out, len, "%.*s", (int)buf.len, buf.data ? (const char *)buf.data : "");
    sl_buf_free(&buf);
}

static sl_err_t insert_sink(sl_sql_qctx_t *q, sl_sql_plan_t *sink, sl_sql_bound_query_t *out)
{
    const sl_sql_source_t *t = q->env->catalog ? sl_sql_catalog_find(q->env->catalog, q->stmt->target.name) : NULL;
    if (!t) {
        sl_sql_bind_fail(&q->b, q->stmt->target.pos, "%s does not exist.", q->stmt->target.name);
        if (q->b.err)
            q->b.err->code = SL_ERR_NOENT;
        return SL_ERR_NOENT;
    }
    if (t->is_table)
        return sl_sql_bind_fail(&q->b, q->stmt->target.pos,
                                "INSERT INTO can only be used to insert into a stream. %s is a table.", t->name);
    bool same = t->schema.n_key == sink->out.n_key && t->schema.n_value == sink->out.n_value;
    for (uint32_t i = 0; same && i < t->schema.n_key; i++)
        same = strcmp(t->schema.key[i].name, sink->out.key[i].name) == 0 &&
               sl_sql_type_equal(t->schema.key[i].type, sink->out.key[i].type);
    for (uint32_t i = 0; same && i < t->schema.n_value; i++)
        same = strcmp(t->schema.value[i].name, sink->out.value[i].name) == 0 &&
               sl_sql_type_equal(t->schema.value[i].type, sink->out.value[i].type);
    if (!same) {
        char rs[400], ss[400];
        schema_text(&sink->out, rs, sizeof rs);
        schema_text(&t->schema, ss, sizeof ss);
        return sl_sql_bind_fail(&q->b, q->stmt->pos,
                                "Incompatible schema between results and sink.\nResult schema is %s\nSink schema is %s", rs,
                                ss);
    }
    if (sink->is_table)
        return sl_sql_bind_fail(&q->b, q->stmt->pos,
                                "Incompatible data sink and query result. Data sink (%s) type is KSTREAM but select "
                                "query result is KTABLE.",
                                t->name);
    sink->topic = t->topic;
    out->sink_topic_exists_needed = true;
    return sink_codecs(q, sink, &t->key_fmt, &t->value_fmt);
}

/* --- The statement ----------------------------------------------------------------- */

static sl_err_t bind_from(sl_sql_qctx_t *q)
{
    const sl_sql_ast_from_t *f = q->sel->from;
    if (!f)
        return sl_sql_bind_fail(&q->b, q->sel->pos, "A query needs a FROM clause.");
    return f->is_join ? sl_sql_q_bind_join(q, f) : bind_single(q, f);
}

sl_err_t sl_sql_bind_query(const sl_sql_bind_env_t *env, const sl_sql_stmt_t *stmt, sl_sql_bound_query_t *out,
                           sl_sql_error_t *err)
{
    sl_sql_qctx_t qc;
    sl_sql_qctx_t *q = &qc;
    memset(q, 0, sizeof *q);
    memset(out, 0, sizeof *out);
    out->pull_wstart_lo = INT64_MIN;
    out->pull_wstart_hi = INT64_MAX;
    sl_sql_binder_init(&q->b, env, err);
    q->env = env;
    q->arena = env->arena;
    q->stmt = stmt;
    q->sel = stmt->select;
    if (!q->sel)
        return sl_sql_bind_fail(&q->b, stmt->pos, "not a query");
    const sl_sql_ast_select_t *sel = q->sel;
    bool csas = stmt->kind == SL_SQL_S_CREATE_STREAM_AS, ctas = stmt->kind == SL_SQL_S_CREATE_TABLE_AS;
    bool insert = stmt->kind == SL_SQL_S_INSERT_INTO;
    q->persistent = csas || ctas || insert;
    q->b.in_ctas = ctas;
    q->sink_name = q->persistent ? stmt->target.name : NULL;
    sl_err_t e;

    if (q->persistent && sel->emit == SL_SQL_EMIT_NONE && false)
        return 0;
    if (csas || ctas) {
        if ((e = sl_sql_check_name_free(&q->b, stmt->target.name, ctas, stmt->or_replace, stmt->target.pos)))
            return e;
    }

    /* A SELECT without EMIT is a pull query. */
    if (!q->persistent && sel->emit == SL_SQL_EMIT_NONE) {
        if (!sel->from)
            return sl_sql_bind_fail(&q->b, sel->pos, "A query needs a FROM clause.");
        const char *help = " See https://cnfl.io/queries for more info.\nAdd EMIT CHANGES if you intended to issue a "
                           "push query.";
        if (sel->from->is_join)
            return sl_sql_bind_fail(&q->b, sel->pos, "Pull queries don't support JOIN clauses.%s", help);
        const sl_sql_source_t *src = sl_sql_q_find_source(q, &sel->from->name);
        if (!src)
            return SL_ERR_NOENT;
        if (!src->is_table && src->window.kind != SL_SQL_WIN_NONE)
            return sl_sql_bind_fail(&q->b, sel->pos,
                                    "Pull queries are not supported on windowed streams. Query the stream with a "
                                    "push query (EMIT CHANGES).%s",
                                    help);
        if (sel->window)
            return sl_sql_bind_fail(&q->b, sel->pos, "Pull queries don't support WINDOW clauses.%s", help);
        if (sel->group_by)
            return sl_sql_bind_fail(&q->b, sel->pos, "Pull queries don't support GROUP BY clauses.%s", help);
        if (sel->partition_by)
            return sl_sql_bind_fail(&q->b, sel->pos, "Pull queries don't support PARTITION BY clauses.%s", help);
        if (sel->having)
            return sl_sql_bind_fail(&q->b, sel->pos, "Pull queries don't support HAVING clauses.%s", help);
        if (sel->limit >= 0 && false)
            return 0;
        q->rels[0] = (sl_sql_qrel_t){ src, sel->from->alias.name ? sel->from->alias.name : src->name };
        q->n_rels = 1;
        if ((e = add_source_names(q, out)))
            return e;
        out->is_pull = true;
        return sl_sql_bind_pull(&q->b, sel, src, out);
    }

    if ((e = bind_from(q)))
        return e;
    if ((e = add_source_names(q, out)))
        return e;
    if (q->is_join || sel->group_by) {
        /* ksqlDB cannot repartition or keep state of KAFKA-format values. */
        char names[256] = "";
        size_t used = 0;
        for (uint32_t i = 0; i < q->n_rels; i++) {
            if (q->rels[i].src->value_fmt.kind != SL_SQL_FMT_KAFKA)
                continue;
            int w = snprintf(names + used, sizeof names - used, "%s%s", used ? ", " : "", q->rels[i].alias);
            if (w > 0 && (size_t)w < sizeof names - used)
                used += (size_t)w;
        }
        if (used)
            return sl_sql_bind_fail(&q->b, sel->pos,
                                    "Source(s) %s are using the 'KAFKA' value format. This format does not yet support "
                                    "%s.\nThe KAFKA format is primarily intended for use as a key format. It can be "
                                    "used as a value format, but can not be used in any operation that requires a "
                                    "repartition or changelog topic.",
                                    names, q->is_join ? "JOIN" : "GROUP BY");
    }

    if (sel->where) {
        q->b.clause = "WHERE";
        if (sl_sql_ast_has_agg(sel->where)) {
            const char *text = sl_sql_ast_text(q->arena, sel->where, NULL);
            return sl_sql_bind_fail(&q->b, sel->where->pos,
                                    "WHERE clause can not contain aggregate functions: %s", text ? text : "");
        }
        sl_sql_expr_t *pred = sl_sql_bind_expr(&q->b, &q->scope, sel->where);
        if (!pred)
            return SL_ERR_INVAL;
        if (pred->type->kind != SL_SQL_T_BOOLEAN) {
            char tb[64];
            sl_buf_t text;
            sl_buf_init(&text);
            sl_sql_expr_format(pred, &text);
            sl_err_t r = sl_sql_bind_fail(&q->b, sel->where->pos,
                                          "Type error in WHERE expression: Should evaluate to boolean but is %.*s (%s) "
                                          "instead.",
                                          (int)text.len, text.data ? (const char *)text.data : "",
                                          sl_sql_type_str(pred->type, tb, sizeof tb));
            sl_buf_free(&text);
            return r;
        }
        sl_sql_plan_t *f = sl_sql_plan_new(q->arena, SL_SQL_P_FILTER, q->cur);
        if (!f)
            return sl_sql_q_nomem(q);
        f->pred = pred;
        f->id = "WhereFilter";
        q->cur = f;
    }

    bool has_agg = false;
    for (uint32_t i = 0; sel->items && i < sel->items->n; i++) {
        const sl_sql_ast_item_t *it = sel->items->items[i];
        if (sl_sql_ast_has_agg(it->expr))
            has_agg = true;
    }
    if (sel->having && !sel->group_by)
        return sl_sql_bind_fail(&q->b, sel->having->pos, "HAVING requires a GROUP BY clause.");
    if (sel->window && !sel->group_by)
        return sl_sql_bind_fail(&q->b, sel->window->pos, "WINDOW clause requires a GROUP BY clause.");
    if (sel->group_by && sel->partition_by)
        return sl_sql_bind_fail(&q->b, sel->pos, "A query can not have both PARTITION BY and GROUP BY clauses.");
    if (sel->partition_by && (e = bind_partition_by(q)))
        return e;

    sl_sql_plan_t *agg = NULL;
    if (sel->group_by) {
        if ((e = bind_group_by(q)))
            return e;
        agg = q->cur;
    } else if (has_agg) {
        /* Reported by the item's binding with ksqlDB's sentence. */
    }

    if ((e = bind_items(q)))
        return e;

    if (agg) {
        sl_sql_plan_t *top = agg;
        sl_sql_expr_t *h = NULL;
        if (sel->having) {
            q->b.clause = "HAVING";
            sl_sql_scope_t none = { 0 };
            if (!(h = sl_sql_bind_expr(&q->b, &none, sel->having)))
                return SL_ERR_INVAL;
        }
        if ((e = finish_aggregate(q, agg)))
            return e;
        if (sel->emit == SL_SQL_EMIT_FINAL && agg->window.kind != SL_SQL_WIN_NONE) {
            sl_sql_plan_t *s = sl_sql_plan_new(q->arena, SL_SQL_P_SUPPRESS, top);
            if (!s)
                return sl_sql_q_nomem(q);
            s->id = "Suppress";
            top = s;
        }
        if (h) {
            sl_sql_plan_t *f = sl_sql_plan_new(q->arena, SL_SQL_P_FILTER, top);
            if (!f)
                return sl_sql_q_nomem(q);
            f->pred = h;
            f->id = "HavingFilter";
            top = f;
        }
        q->b.agg_mode = false;
        q->cur = top;
    }
    if (sel->emit == SL_SQL_EMIT_FINAL && (!agg || agg->window.kind == SL_SQL_WIN_NONE))
        return sl_sql_bind_fail(&q->b, sel->pos, "EMIT FINAL is only supported for windowed aggregations.");

    bool result_table = q->cur->is_table;
    if (ctas && !result_table)
        return sl_sql_bind_fail(&q->b, stmt->pos,
                                "Invalid result type. Your SELECT query produces a STREAM. Please use CREATE STREAM AS "
                                "SELECT statement instead.");
    if (csas && result_table)
        return sl_sql_bind_fail(&q->b, stmt->pos,
                                "Invalid result type. Your SELECT query produces a TABLE. Please use CREATE TABLE AS "
                                "SELECT statement instead.");
    if (q->persistent && (e = match_keys(q)))
        return e;
    if ((e = build_projection(q)))
        return e;

    sl_sql_plan_t *sink = sl_sql_plan_new(q->arena, SL_SQL_P_SINK, q->cur);
    if (!sink)
        return sl_sql_q_nomem(q);
    sink->id = q->persistent && q->sink_name ? sl_arena_strndup(q->arena, q->sink_name, strlen(q->sink_name))
                                             : q->persistent ? "Sink" : "TransientSink";
    sink->limit = q->persistent ? -1 : sel->limit;
    if (csas || ctas)
        e = create_sink(q, sink, ctas, out);
    else if (insert)
        e = insert_sink(q, sink, out);
    if (e) {
        if (out->sink) {
            sl_sql_source_free(out->sink);
            out->sink = NULL;
        }
        return e;
    }
    sl_sql_plan_optimize(q->arena, sink);
    out->root = sink;
    return 0;
}
