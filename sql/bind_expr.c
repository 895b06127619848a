/*
 * bind_expr.c - syntax-tree expressions to typed ones: column names
 * resolved against a scope (aliases, qualified names, key, value and pseudo
 * columns, struct fields written with a dot), functions and aggregates
 * looked up, typing left to expr.c's constructors, table functions turned
 * into FLATMAP slots. The scopes expressions are bound in live here too.
 *
 * Above a GROUP BY (binder in agg_mode) an expression equal to a grouping
 * expression reads the aggregate's key column; an aggregate call becomes
 * one of the aggregate's value columns; any other column is an error, as
 * in ksqlDB.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bind_int.h"

/* --- Scopes ------------------------------------------------------------------ */

static const char *const pseudo_names[SL_SQL_PSEUDO_COUNT_] = {
    "ROWTIME", "ROWPARTITION", "ROWOFFSET", "WINDOWSTART", "WINDOWEND",
};

const char *sl_sql_pseudo_name(sl_sql_pseudo_t p)
{
    return (unsigned)p < SL_SQL_PSEUDO_COUNT_ ? pseudo_names[p] : "?";
}

int sl_sql_pseudo_by_name(const char *name)
{
    for (int i = 0; i < SL_SQL_PSEUDO_COUNT_; i++)
        if (strcmp(name, pseudo_names[i]) == 0)
            return i;
    return -1;
}

const sl_sql_type_t *sl_sql_pseudo_type(sl_sql_pseudo_t p)
{
    return sl_sql_type_of(p == SL_SQL_PSEUDO_ROWPARTITION ? SL_SQL_T_INT : SL_SQL_T_BIGINT);
}

sl_err_t sl_sql_scope_add(sl_arena_t *arena, sl_sql_scope_t *s, const char *qual, const char *name,
                          sl_sql_colsrc_t src, uint32_t index, const sl_sql_type_t *type)
{
    if (s->n == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 16;
        sl_sql_bcol_t *c = sl_arena_calloc(arena, cap, sizeof *c);
        if (!c)
            return SL_ERR_NOMEM;
        if (s->n)
            memcpy(c, s->cols, s->n * sizeof *c);
        s->cols = c;
        s->cap = cap;
    }
    s->cols[s->n++] = (sl_sql_bcol_t){ qual, name, src, index, type, SL_SQL_BCOL_COLUMN };
    return 0;
}

sl_err_t sl_sql_scope_add_col(sl_arena_t *arena, sl_sql_scope_t *s, const sl_sql_bcol_t *c, uint32_t index)
{
    sl_err_t e = sl_sql_scope_add(arena, s, c->qual, c->name, c->src, index, c->type);
    if (!e)
        s->cols[s->n - 1].role = c->role;
    return e;
}

sl_err_t sl_sql_scope_add_pseudo(sl_arena_t *arena, sl_sql_scope_t *s, const char *qual, bool windowed)
{
    for (int p = 0; p < SL_SQL_PSEUDO_COUNT_; p++) {
        if (!windowed && (p == SL_SQL_PSEUDO_WINDOWSTART || p == SL_SQL_PSEUDO_WINDOWEND))
            continue;
        sl_err_t e = sl_sql_scope_add(arena, s, qual, pseudo_names[p], SL_SQL_COL_PSEUDO, (uint32_t)p,
                                      sl_sql_pseudo_type((sl_sql_pseudo_t)p));
        if (e)
            return e;
    }
    return 0;
}

sl_err_t sl_sql_scope_of_schema(sl_arena_t *arena, sl_sql_scope_t *s, const char *qual, const char *qual_src,
                                const sl_sql_schema_t *schema, bool windowed)
{
    if (qual && s->n_quals < 8) {
        s->quals[s->n_quals] = qual;
        s->qual_src[s->n_quals++] = qual_src ? qual_src : qual;
    }
    sl_err_t e = 0;
    for (uint32_t i = 0; i < schema->n_key && !e; i++)
        e = sl_sql_scope_add(arena, s, qual, schema->key[i].name, SL_SQL_COL_KEY, i, schema->key[i].type);
    for (uint32_t i = 0; i < schema->n_value && !e; i++)
        e = sl_sql_scope_add(arena, s, qual, schema->value[i].name, SL_SQL_COL_VALUE, i, schema->value[i].type);
    if (!e)
        e = sl_sql_scope_add_pseudo(arena, s, qual, windowed);
    return e;
}

/* --- The binder -------------------------------------------------------------- */

void sl_sql_binder_init(sl_sql_binder_t *b, const sl_sql_bind_env_t *env, sl_sql_error_t *err)
{
    memset(b, 0, sizeof *b);
    b->env = env;
    b->arena = env->arena;
    b->err = err;
    b->clause = "SELECT";
}

sl_err_t sl_sql_bind_fail(sl_sql_binder_t *b, sl_sql_pos_t pos, const char *fmt, ...)
{
    b->failed = true;
    if (b->quiet || !b->err)
        return SL_ERR_INVAL;
    b->err->code = SL_ERR_INVAL;
    b->err->line = pos.line;
    b->err->col = pos.col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->err->message, sizeof b->err->message, fmt, ap);
    va_end(ap);
    return SL_ERR_INVAL;
}

/* An error sentence from a constructor (err buffer) or out of memory. */
static sl_sql_expr_t *ctor_fail(sl_sql_binder_t *b, const sl_sql_ast_expr_t *a, const char *msg)
{
    sl_sql_bind_fail(b, a->pos, "%s", msg[0] ? msg : "out of memory");
    if (!b->quiet && b->err && !msg[0])
        b->err->code = SL_ERR_NOMEM;
    return NULL;
}

/* A typing error of an operator, a cast or a literal: ksqlDB says where it
 * happened ("Error in WHERE expression: ...", "Invalid Select: ..."). */
static sl_sql_expr_t *type_fail(sl_sql_binder_t *b, const sl_sql_ast_expr_t *a, const char *msg)
{
    const char *c = b->clause ? b->clause : "SELECT";
    if (!msg[0])
        return ctor_fail(b, a, msg);
    if (!strcmp(c, "WHERE") || !strcmp(c, "HAVING"))
        sl_sql_bind_fail(b, a->pos, "Error in %s expression: %s", c, msg);
    else if (!strcmp(c, "SELECT"))
        sl_sql_bind_fail(b, a->pos, "Invalid Select: %s", msg);
    else
        sl_sql_bind_fail(b, a->pos, "%s", msg);
    return NULL;
}

/* --- Binding -------------------------------------------------------------------- */

#define ERRLEN 512

static sl_sql_expr_t *bind_list(sl_sql_binder_t *b, const sl_sql_scope_t *s, const sl_sql_list_t *l, uint32_t from,
                                uint32_t to, sl_sql_expr_t ***out)
{
    uint32_t n = to > from ? to - from : 0;
    sl_sql_expr_t **v = sl_arena_calloc(b->arena, n ? n : 1, sizeof *v);
    if (!v)
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        v[i] = sl_sql_bind_expr(b, s, l->items[from + i]);
        if (!v[i])
            return NULL;
    }
    *out = v;
    return (sl_sql_expr_t *)v; /* non-NULL: success */
}

static const char *clause_of(const sl_sql_binder_t *b)
{
    return b->clause ? b->clause : "SELECT";
}

/* Candidates for an unknown column: scope names within a small edit
 * distance (same first letter or same length), up to three. */
static void similar_columns(const sl_sql_scope_t *s, const char *name, char *out, size_t len)
{
    out[0] = 0;
    size_t used = 0;
    int found = 0;
    size_t nl = strlen(name);
    for (uint32_t i = 0; i < s->n && found < 3; i++) {
        const char *c = s->cols[i].name;
        if (s->cols[i].src == SL_SQL_COL_PSEUDO)
            continue;
        size_t cl = strlen(c);
        bool close = (nl > 2 && cl > 2 && strncasecmp(c, name, 3) == 0) || strcasecmp(c, name) == 0;
        if (!close)
            continue;
        bool dup = false;
        for (uint32_t k = 0; k < i; k++)
            if (strcmp(s->cols[k].name, c) == 0)
                dup = true;
        if (dup)
            continue;
        int w = snprintf(out + used, len - used, "%s%s", found ? ", " : " Did you mean ", c);
        if (w < 0 || (size_t)w >= len - used)
            break;
        used += (size_t)w;
        found++;
    }
    if (found && used + 2 < len)
        snprintf(out + used, len - used, "?");
}

static int find_qual(const sl_sql_scope_t *s, const char *qual)
{
    for (uint32_t i = 0; i < s->n_quals; i++)
        if (strcmp(s->quals[i], qual) == 0)
            return (int)i;
    return -1;
}

static sl_sql_expr_t *column_expr(sl_sql_binder_t *b, const sl_sql_bcol_t *c, const sl_sql_ast_expr_t *a)
{
    sl_sql_expr_t *e = sl_sql_expr_column(b->arena, c->src, c->index, c->type, a->name.name);
    if (!e)
        return ctor_fail(b, a, "");
    return e;
}

/* The unqualified column name in s: NULL (and an error unless *ambiguous
 * is left false and nothing matched) when none or several match. */
static const sl_sql_bcol_t *lookup_unqualified(sl_sql_binder_t *b, const sl_sql_scope_t *s,
                                               const sl_sql_ast_expr_t *a, const char *name, bool report)
{
    const sl_sql_bcol_t *hit = NULL, *unq = NULL;
    uint32_t n_hit = 0, n_unq = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        if (strcmp(s->cols[i].name, name) != 0)
            continue;
        n_hit++;
        hit = &s->cols[i];
        if (!s->cols[i].qual || s->n_quals <= 1) {
            n_unq++;
            unq = &s->cols[i];
        }
    }
    if (n_hit == 1)
        return hit;
    if (n_unq == 1)
        return unq;
    if (n_hit > 1 && report) {
        char list[256];
        size_t used = 0;
        list[0] = 0;
        for (uint32_t i = 0; i < s->n; i++) {
            if (strcmp(s->cols[i].name, name) != 0 || !s->cols[i].qual)
                continue;
            int w = snprintf(list + used, sizeof list - used, "%s%s.%s", used ? ", " : "", s->cols[i].qual, name);
            if (w < 0 || (size_t)w >= sizeof list - used)
                break;
            used += (size_t)w;
        }
        sl_sql_bind_fail(b, a->pos, "Column '%s' is ambiguous. Could be any of: %s", name, list);
    }
    return NULL;
}

static sl_sql_expr_t *unknown_column(sl_sql_binder_t *b, const sl_sql_scope_t *s, const sl_sql_ast_expr_t *a)
{
    char cand[256];
    similar_columns(s, a->name.name, cand, sizeof cand);
    if (a->qual.name)
        sl_sql_bind_fail(b, a->pos, "%s column '%s.%s' cannot be resolved.%s", clause_of(b), a->qual.name,
                         a->name.name, cand);
    else
        sl_sql_bind_fail(b, a->pos, "%s column '%s' cannot be resolved.%s", clause_of(b), a->name.name, cand);
    return NULL;
}

static sl_sql_expr_t *bind_column(sl_sql_binder_t *b, const sl_sql_scope_t *s, const sl_sql_ast_expr_t *a)
{
    const char *name = a->name.name;
    if (a->qual.name) {
        if (find_qual(s, a->qual.name) >= 0) {
            for (uint32_t i = 0; i < s->n; i++)
                if (s->cols[i].qual && strcmp(s->cols[i].qual, a->qual.name) == 0 &&
                    strcmp(s->cols[i].name, name) == 0)
                    return column_expr(b, &s->cols[i], a);
            return unknown_column(b, s, a);
        }
        /* STRUCT_COL.FIELD written with a dot. */
        bool was_quiet = b->quiet;
        b->quiet = true;
        const sl_sql_bcol_t *c = lookup_unqualified(b, s, a, a->qual.name, false);
        b->quiet = was_quiet;
        if (c && c->type->kind == SL_SQL_T_STRUCT) {
            sl_sql_ast_expr_t base = *a;
            base.qual.name = NULL;
            base.name = a->qual;
            sl_sql_expr_t *be = column_expr(b, c, &base);
            if (!be)
                return NULL;
            char err[ERRLEN] = "";
            sl_sql_expr_t *e = sl_sql_expr_deref(b->arena, be, name, err, sizeof err);
            return e ? e : ctor_fail(b, a, err);
        }
        return unknown_column(b, s, a);
    }
    const sl_sql_bcol_t *c = lookup_unqualified(b, s, a, name, true);
    if (c)
        return column_expr(b, c, a);
    if (b->failed && !b->quiet && b->err && b->err->message[0] && strstr(b->err->message, "ambiguous"))
        return NULL;
    return unknown_column(b, s, a);
}

static sl_sql_expr_t *bind_agg_call(sl_sql_binder_t *b, const sl_sql_ast_expr_t *a, const sl_sql_func_t *f)
{
    if (!b->agg_mode) {
        if (b->clause && strcmp(b->clause, "SELECT") != 0 && strcmp(b->clause, "HAVING") != 0)
            return (sl_sql_bind_fail(b, a->pos, "Aggregate functions can not be used in the %s clause: %s",
                                     b->clause, sl_sql_ast_text(b->arena, a, NULL)),
                    NULL);
        if (b->in_ctas) {
            const char *text = a->star || !a->args || a->args->n == 0 ? NULL : sl_sql_ast_text(b->arena, a, NULL);
            if (text)
                sl_sql_bind_fail(b, a->pos,
                                 "CREATE TABLE AS SELECT statement does not support aggregate function [%s] without a "
                                 "GROUP BY clause.",
                                 text);
            else
                sl_sql_bind_fail(b, a->pos,
                                 "CREATE TABLE AS SELECT statement does not support aggregate function [%s(ROWTIME)] "
                                 "without a GROUP BY clause.",
                                 f->name);
            return NULL;
        }
        sl_sql_bind_fail(b, a->pos, "Use of aggregate function %s requires a GROUP BY clause.", f->name);
        return NULL;
    }
    uint32_t n = a->star || !a->args ? 0 : a->args->n;
    sl_sql_expr_t **args = sl_arena_calloc(b->arena, n ? n : 1, sizeof *args);
    sl_sql_datum_t *consts = sl_arena_calloc(b->arena, n ? n : 1, sizeof *consts);
    if (!args || !consts)
        return ctor_fail(b, a, "");
    uint32_t n_args = 0, n_consts = 0;
    /* The argument scope is the aggregate's input; nested aggregates are
     * refused by binding the arguments outside agg_mode. */
    b->agg_mode = false;
    const char *saved_clause = b->clause;
    for (uint32_t i = 0; i < n; i++) {
        const sl_sql_ast_expr_t *x = a->args->items[i];
        if (sl_sql_ast_has_agg(x)) {
            b->agg_mode = true;
            sl_sql_bind_fail(b, x->pos, "Aggregate functions can not be nested: %s(%s(...))", f->name,
                             x->name.name ? x->name.name : "?");
            return NULL;
        }
        bool literal = x->kind == SL_SQL_A_INT || x->kind == SL_SQL_A_DECIMAL || x->kind == SL_SQL_A_DOUBLE ||
                       x->kind == SL_SQL_A_STRING || x->kind == SL_SQL_A_BOOL;
        if (i > 0 && literal) {
            char err[ERRLEN] = "";
            sl_sql_expr_t *c = sl_sql_expr_literal(b->arena, x, err, sizeof err);
            if (!c) {
                b->agg_mode = true;
                return ctor_fail(b, x, err);
            }
            consts[n_consts++] = c->value;
            continue;
        }
        sl_sql_expr_t *e = sl_sql_bind_expr(b, b->agg_in, x);
        if (!e) {
            b->agg_mode = true;
            return NULL;
        }
        args[n_args++] = e;
    }
    b->agg_mode = true;
    b->clause = saved_clause;
    const char *text = sl_sql_ast_text(b->arena, a, NULL);
    /* The same call twice is computed once. */
    for (uint32_t j = 0; j < b->n_aggs; j++) {
        const sl_sql_agg_call_t *c = b->aggs[j];
        if (c->func != f || c->n_args != n_args || c->n_consts != n_consts)
            continue;
        bool same = true;
        for (uint32_t i = 0; i < n_args && same; i++)
            same = sl_sql_expr_same(c->args[i], args[i]);
        for (uint32_t i = 0; i < n_consts && same; i++)
            same = c->consts[i].kind == consts[i].kind &&
                   (consts[i].kind == SL_SQL_T_NULL ||
                    sl_sql_datum_eq(&c->consts[i], &consts[i], sl_sql_type_of((sl_sql_tkind_t)consts[i].kind)));
        if (same) {
            sl_sql_expr_t *e = sl_sql_expr_column(b->arena, SL_SQL_COL_VALUE, j, c->result_type, text);
            return e ? e : ctor_fail(b, a, "");
        }
    }
    char err[ERRLEN] = "";
    sl_sql_agg_call_t *call = NULL;
    if (sl_sql_agg_bind(b->arena, f, args, n_args, consts, n_consts, text, &call, err, sizeof err) || !call)
        return ctor_fail(b, a, err);
    if (b->n_aggs == b->cap_aggs) {
        uint32_t cap = b->cap_aggs ? b->cap_aggs * 2 : 8;
        sl_sql_agg_call_t **v = sl_arena_calloc(b->arena, cap, sizeof *v);
        if (!v)
            return ctor_fail(b, a, "");
        if (b->n_aggs)
            memcpy(v, b->aggs, b->n_aggs * sizeof *v);
        b->aggs = v;
        b->cap_aggs = cap;
    }
    uint32_t j = b->n_aggs;
    b->aggs[b->n_aggs++] = call;
    b->saw_agg = true;
    sl_sql_expr_t *e = sl_sql_expr_column(b->arena, SL_SQL_COL_VALUE, j, call->result_type, text);
    return e ? e : ctor_fail(b, a, "");
}

/* A table function in a SELECT item: its arguments bound over the input,
 * the call itself a slot of the FLATMAP (see sl_sql_binder_t). */
static sl_sql_expr_t *bind_tablefn(sl_sql_binder_t *b, const sl_sql_scope_t *s, const sl_sql_ast_expr_t *a,
                                   const sl_sql_func_t *f)
{
    if (!b->allow_tablefn) {
        sl_sql_bind_fail(b, a->pos, "Table functions can only be used in the SELECT clause: %s", f->name);
        return NULL;
    }
    if (b->agg_mode) {
        sl_sql_bind_fail(b, a->pos, "Table functions cannot be used with aggregations.");
        return NULL;
    }
    if (b->tf_over_table) {
        sl_sql_bind_fail(b, a->pos, "Table source is not supported with table functions");
        return NULL;
    }
    if (b->tf_outer) {
        sl_sql_bind_fail(b, a->pos, "Table functions cannot be nested: %s(%s())", b->tf_outer, f->name);
        return NULL;
    }
    if (b->in_case) {
        sl_sql_bind_fail(b, a->pos, "Table functions cannot be used in CASE: %s",
                         sl_sql_ast_text(b->arena, b->in_case, NULL));
        return NULL;
    }
    uint32_t n = a->args ? a->args->n : 0;
    sl_sql_expr_t **args = sl_arena_calloc(b->arena, n ? n : 1, sizeof *args);
    const sl_sql_type_t **types = sl_arena_calloc(b->arena, n ? n : 1, sizeof *types);
    if (!args || !types)
        return ctor_fail(b, a, "");
    b->tf_outer = f->name;
    for (uint32_t i = 0; i < n; i++) {
        if (!(args[i] = sl_sql_bind_expr(b, s, a->args->items[i]))) {
            b->tf_outer = NULL;
            return NULL;
        }
        types[i] = args[i]->type;
    }
    b->tf_outer = NULL;
    char err[ERRLEN] = "";
    const sl_sql_type_t *rt = f->table && f->table->resolve ? f->table->resolve(b->arena, types, n, err, sizeof err)
                                                            : NULL;
    if (!rt)
        return ctor_fail(b, a, err[0] ? err : "invalid table function call");
    if (b->n_tf == b->cap_tf) {
        uint32_t cap = b->cap_tf ? b->cap_tf * 2 : 4;
        struct sl_sql_tf_slot *v = sl_arena_calloc(b->arena, cap, sizeof *v);
        if (!v)
            return ctor_fail(b, a, "");
        if (b->n_tf)
            memcpy(v, b->tf, b->n_tf * sizeof *v);
        b->tf = v;
        b->cap_tf = cap;
    }
    uint32_t slot = b->n_tf++;
    b->tf[slot] = (struct sl_sql_tf_slot){ f, args, n, rt };
    b->saw_tablefn = true;
    sl_sql_expr_t *e = sl_sql_expr_column(b->arena, SL_SQL_COL_VALUE, b->tf_base + slot, rt,
                                          sl_sql_ast_text(b->arena, a, NULL));
    return e ? e : ctor_fail(b, a, "");
}

/* A name a lambda being bound declares: its parameter slot's column. */
static sl_sql_expr_t *lambda_var(sl_sql_binder_t *b, const sl_sql_ast_expr_t *a)
{
    if (a->kind != SL_SQL_A_COLUMN || a->qual.name)
        return NULL;
    for (uint32_t i = b->n_lvars; i-- > 0;)
        if (!strcmp(b->lvar_name[i], a->name.name))
            return sl_sql_expr_column(b->arena, SL_SQL_COL_LAMBDA, i, b->lvar_type[i], a->name.name);
    return NULL;
}

/* One lambda argument at position at of f's call: its parameters typed
 * by f from the arguments before it, its body bound with them in scope. */
static sl_sql_expr_t *bind_lambda(sl_sql_binder_t *b, const sl_sql_scope_t *s, const sl_sql_ast_expr_t *a,
                                  const sl_sql_func_t *f, sl_sql_expr_t **args, uint32_t at)
{
    uint32_t np = a->names ? a->names->n : 0, first = b->n_lvars;
    const sl_sql_type_t *params[SL_SQL_LAMBDA_VARS] = {0};
    const char *on = b->env->prop ? b->env->prop("ksql.lambdas.enabled", b->env->prop_arg) : NULL;
    if (on && !strcasecmp(on, "false")) {
        sl_sql_bind_fail(b, a->pos, "Lambdas are currently disabled. ");
        return NULL;
    }
    const sl_sql_type_t **types = sl_arena_calloc(b->arena, at ? at : 1, sizeof *types);
    char err[ERRLEN] = "";
    if (!types)
        return ctor_fail(b, a, "");
    if (np == 0 || np > SL_SQL_LAMBDA_VARS - first) {
        sl_sql_bind_fail(b, a->pos, "Lambdas may declare at most %d parameters, nested ones included",
                         SL_SQL_LAMBDA_VARS);
        return NULL;
    }
    for (uint32_t i = 0; i < at; i++)
        types[i] = args[i]->type;
    if (f->lambda_params(b->arena, types, at, np, params, err, sizeof err)) {
        sl_sql_bind_fail(b, a->pos, "%s", err);
        return NULL;
    }
    for (uint32_t i = 0; i < np; i++) {
        const sl_sql_ident_t *id = a->names->items[i];
        b->lvar_name[first + i] = id->name;
        b->lvar_type[first + i] = params[i];
    }
    b->n_lvars = first + np;
    sl_sql_expr_t *body = sl_sql_bind_expr(b, s, a->a);
    b->n_lvars = first;
    if (!body)
        return NULL;
    sl_sql_expr_t *e = sl_sql_expr_lambda(b->arena, body, first, np, sl_sql_ast_text(b->arena, a, NULL), err,
                                          sizeof err);
    return e ? e : ctor_fail(b, a, err);
}

/* The arguments of a call to a function taking lambdas: the others first
 * (the lambdas' parameter types come from them), then each lambda. */
static bool bind_lambda_args(sl_sql_binder_t *b, const sl_sql_scope_t *s, const sl_sql_ast_expr_t *a,
                             const sl_sql_func_t *f, sl_sql_expr_t ***out)
{
    uint32_t n = a->args ? a->args->n : 0;
    sl_sql_expr_t **args = sl_arena_calloc(b->arena, n ? n : 1, sizeof *args);
    if (!args)
        return ctor_fail(b, a, "") != NULL;
    for (uint32_t i = 0; i < n; i++) {
        const sl_sql_ast_expr_t *x = a->args->items[i];
        if (x->kind == SL_SQL_A_LAMBDA) {
            if (!(args[i] = bind_lambda(b, s, x, f, args, i)))
                return false;
            continue;
        }
        if (!(args[i] = sl_sql_bind_expr(b, s, x)))
            return false;
        /* Is a lambda wanted here instead? (0 parameters: "not a lambda") */
        const sl_sql_type_t *types[SL_SQL_LAMBDA_VARS + 4];
        char err[ERRLEN] = "";
        for (uint32_t k = 0; k < i && k < SL_ARRAY_LEN(types); k++)
            types[k] = args[k]->type;
        if (i > 0 && i < SL_ARRAY_LEN(types) && f->lambda_params(b->arena, types, i, 0, NULL, err, sizeof err)) {
            sl_sql_bind_fail(b, x->pos, "%s", err);
            return false;
        }
    }
    *out = args;
    return true;
}

static sl_sql_expr_t *bind_call(sl_sql_binder_t *b, const sl_sql_scope_t *s, const sl_sql_ast_expr_t *a)
{
    const sl_sql_func_t *f = sl_sql_func_find(a->name.name);
    if (f && f->kind == SL_SQL_F_AGGREGATE)
        return bind_agg_call(b, a, f);
    if (f && f->kind == SL_SQL_F_TABLE)
        return bind_tablefn(b, s, a, f);
    if (a->star) {
        sl_sql_bind_fail(b, a->pos, "Function %s does not accept '*' as an argument.", a->name.name);
        return NULL;
    }
    sl_sql_expr_t **args = NULL;
    uint32_t n = a->args ? a->args->n : 0;
    const sl_sql_ast_expr_t *unit = f && f->unit_first && n > 0 ? a->args->items[0] : NULL;
    if (f && f->lambda_params) {
        if (!bind_lambda_args(b, s, a, f, &args))
            return NULL;
    } else if (unit && unit->kind == SL_SQL_A_COLUMN && !unit->qual.name && !unit->name.quoted &&
               sl_sql_time_unit_ms(unit->name.name, (uint32_t)strlen(unit->name.name))) {
        /* TIMESTAMPADD(SECONDS, ...): the unit's name as a literal. */
        sl_sql_datum_t d = sl_sql_string(unit->name.name, (uint32_t)strlen(unit->name.name));
        sl_sql_expr_t *u = sl_sql_expr_const(b->arena, sl_sql_type_of(SL_SQL_T_STRING), &d, unit->name.name);
        if (!u || !bind_list(b, s, a->args, 1, n, &args))
            return u ? NULL : ctor_fail(b, a, "");
        sl_sql_expr_t **all = sl_arena_calloc(b->arena, n, sizeof *all);
        if (!all)
            return ctor_fail(b, a, "");
        all[0] = u;
        memcpy(all + 1, args, (n - 1) * sizeof *all);
        args = all;
    } else if (!bind_list(b, s, a->args, 0, n, &args)) {
        return NULL;
    }
    char err[ERRLEN] = "";
    sl_sql_expr_t *e = sl_sql_expr_call(b->arena, a->name.name, args, n, err, sizeof err);
    if (e)
        return e;
    if (!f && err[0]) {
        const char *cand[3];
        size_t nc = sl_sql_func_similar(a->name.name, cand, 3);
        size_t used = strlen(err);
        for (size_t i = 0; i < nc && used + 4 < sizeof err; i++) {
            int w = snprintf(err + used, sizeof err - used, "%s%s", i ? ", " : ". Did you mean: ", cand[i]);
            if (w < 0 || (size_t)w >= sizeof err - used)
                break;
            used += (size_t)w;
        }
        if (nc && used + 2 < sizeof err)
            snprintf(err + used, sizeof err - used, "?");
    }
    return ctor_fail(b, a, err);
}

/* CASE's operands; NULL with err empty when an operand failed (its error
 * is set), with err set when the constructor refused. */
static sl_sql_expr_t *bind_case(sl_sql_binder_t *b, const sl_sql_scope_t *s, const sl_sql_ast_expr_t *a, char *err,
                                size_t errlen)
{
    sl_sql_expr_t *x = NULL, *y = NULL;
    uint32_t n = a->args ? a->args->n / 2 : 0;
    sl_sql_expr_t **whens = sl_arena_calloc(b->arena, n ? n : 1, sizeof *whens);
    sl_sql_expr_t **thens = sl_arena_calloc(b->arena, n ? n : 1, sizeof *thens);
    if (!whens || !thens) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (a->a && !(x = sl_sql_bind_expr(b, s, a->a)))
        return NULL;
    for (uint32_t i = 0; i < n; i++) {
        if (!(whens[i] = sl_sql_bind_expr(b, s, a->args->items[2 * i])) ||
            !(thens[i] = sl_sql_bind_expr(b, s, a->args->items[2 * i + 1])))
            return NULL;
    }
    if (a->b && !(y = sl_sql_bind_expr(b, s, a->b)))
        return NULL;
    return sl_sql_expr_case(b->arena, x, whens, thens, n, y, err, errlen);
}

static sl_sql_expr_t *bind_plain(sl_sql_binder_t *b, const sl_sql_scope_t *s, const sl_sql_ast_expr_t *a)
{
    char err[ERRLEN] = "";
    sl_sql_expr_t *x = NULL, *y = NULL, *z = NULL, *e = NULL;
    switch (a->kind) {
    case SL_SQL_A_NULL:
    case SL_SQL_A_BOOL:
    case SL_SQL_A_INT:
    case SL_SQL_A_DECIMAL:
    case SL_SQL_A_DOUBLE:
    case SL_SQL_A_STRING:
        e = sl_sql_expr_literal(b->arena, a, err, sizeof err);
        break;
    case SL_SQL_A_COLUMN:
        if ((e = lambda_var(b, a)))
            return e;
        return bind_column(b, s, a);
    case SL_SQL_A_LAMBDA:
        sl_sql_bind_fail(b, a->pos, "A lambda can only be an argument of TRANSFORM, FILTER or REDUCE: %s",
                         sl_sql_ast_text(b->arena, a, NULL));
        return NULL;
    case SL_SQL_A_STAR:
        sl_sql_bind_fail(b, a->pos, "'*' is only valid as a SELECT item or in COUNT(*).");
        return NULL;
    case SL_SQL_A_UNARY:
        if (!(x = sl_sql_bind_expr(b, s, a->a)))
            return NULL;
        if (a->op == SL_SQL_OP_PLUS || a->op == '+')
            return x;
        e = sl_sql_expr_unary(b->arena, a->op == SL_SQL_OP_NOT ? SL_SQL_OP_NOT : SL_SQL_OP_NEG, x, err, sizeof err);
        break;
    case SL_SQL_A_BINARY:
        if (!(x = sl_sql_bind_expr(b, s, a->a)) || !(y = sl_sql_bind_expr(b, s, a->b)))
            return NULL;
        e = sl_sql_expr_binary(b->arena, a->op, x, y, err, sizeof err);
        break;
    case SL_SQL_A_IS_NULL:
        if (!(x = sl_sql_bind_expr(b, s, a->a)))
            return NULL;
        e = sl_sql_expr_is_null(b->arena, x, a->negated, err, sizeof err);
        break;
    case SL_SQL_A_LIKE:
        if (!(x = sl_sql_bind_expr(b, s, a->a)) || !(y = sl_sql_bind_expr(b, s, a->b)))
            return NULL;
        if (a->c && !(z = sl_sql_bind_expr(b, s, a->c)))
            return NULL;
        e = sl_sql_expr_like(b->arena, x, y, z, a->negated, err, sizeof err);
        break;
    case SL_SQL_A_BETWEEN:
        if (!(x = sl_sql_bind_expr(b, s, a->a)) || !(y = sl_sql_bind_expr(b, s, a->b)) ||
            !(z = sl_sql_bind_expr(b, s, a->c)))
            return NULL;
        e = sl_sql_expr_between(b->arena, x, y, z, a->negated, err, sizeof err);
        break;
    case SL_SQL_A_IN: {
        sl_sql_expr_t **list = NULL;
        uint32_t n = a->args ? a->args->n : 0;
        if (!(x = sl_sql_bind_expr(b, s, a->a)) || !bind_list(b, s, a->args, 0, n, &list))
            return NULL;
        e = sl_sql_expr_in(b->arena, x, list, n, a->negated, err, sizeof err);
        break;
    }
    case SL_SQL_A_CASE: {
        /* Table functions may not hide in a CASE (ksqlDB). */
        const sl_sql_ast_expr_t *outer_case = b->in_case;
        b->in_case = a;
        e = bind_case(b, s, a, err, sizeof err);
        b->in_case = outer_case;
        if (!e && !err[0])
            return NULL; /* an operand's error, already set */
        break;
    }
    case SL_SQL_A_CAST:
        if (!(x = sl_sql_bind_expr(b, s, a->a)))
            return NULL;
        {
            /* The type lives in the statement's arena: the plan keeps a copy. */
            const sl_sql_type_t *to = sl_sql_type_copy(b->arena, a->type);
            if (!to)
                return ctor_fail(b, a, "");
            e = sl_sql_expr_cast(b->arena, x, to, err, sizeof err);
        }
        break;
    case SL_SQL_A_CALL:
        return bind_call(b, s, a);
    case SL_SQL_A_DEREF:
        if (!(x = sl_sql_bind_expr(b, s, a->a)))
            return NULL;
        e = sl_sql_expr_deref(b->arena, x, a->name.name, err, sizeof err);
        break;
    case SL_SQL_A_SUBSCRIPT:
        if (!(x = sl_sql_bind_expr(b, s, a->a)) || !(y = sl_sql_bind_expr(b, s, a->b)))
            return NULL;
        e = sl_sql_expr_subscript(b->arena, x, y, err, sizeof err);
        break;
    case SL_SQL_A_ARRAY:
    case SL_SQL_A_MAP: {
        /* a MAP's arguments are its keys and values, alternating */
        sl_sql_expr_t **list = NULL;
        uint32_t n = a->args ? a->args->n : 0;
        if (!bind_list(b, s, a->args, 0, n, &list))
            return NULL;
        e = a->kind == SL_SQL_A_ARRAY ? sl_sql_expr_array(b->arena, list, n, err, sizeof err)
                                      : sl_sql_expr_map(b->arena, list, n / 2, err, sizeof err);
        break;
    }
    case SL_SQL_A_STRUCT: {
        sl_sql_expr_t **list = NULL;
        uint32_t n = a->args ? a->args->n : 0;
        const char **names = sl_arena_calloc(b->arena, n ? n : 1, sizeof *names);
        if (!names)
            return ctor_fail(b, a, "");
        for (uint32_t i = 0; i < n; i++) {
            const sl_sql_ident_t *id = a->names && i < a->names->n ? a->names->items[i] : NULL;
            names[i] = id ? sl_arena_strndup(b->arena, id->name, strlen(id->name)) : "";
            if (!names[i])
                return ctor_fail(b, a, "");
        }
        if (!bind_list(b, s, a->args, 0, n, &list))
            return NULL;
        e = sl_sql_expr_struct(b->arena, names, list, n, err, sizeof err);
        break;
    }
    case SL_SQL_A_INTERVAL:
        sl_sql_bind_fail(b, a->pos, "A time interval is only valid in WINDOW and WITHIN clauses.");
        return NULL;
    }
    return e ? e : type_fail(b, a, err);
}

/* a bound over the aggregate's input, with no error reported or kept:
 * NULL when it does not bind there. */
static sl_sql_expr_t *bind_input_quietly(sl_sql_binder_t *b, const sl_sql_ast_expr_t *a)
{
    bool was_quiet = b->quiet, was_failed = b->failed;
    b->quiet = true;
    b->agg_mode = false;
    sl_sql_expr_t *e = bind_plain(b, b->agg_in, a);
    b->agg_mode = true;
    b->quiet = was_quiet;
    b->failed = was_failed;
    return e;
}

/* Above a GROUP BY: grouping expressions, aggregates, window bounds. */
static sl_sql_expr_t *bind_agg_mode(sl_sql_binder_t *b, const sl_sql_scope_t *s, const sl_sql_ast_expr_t *a)
{
    bool literal = a->kind == SL_SQL_A_NULL || a->kind == SL_SQL_A_BOOL || a->kind == SL_SQL_A_INT ||
                   a->kind == SL_SQL_A_DECIMAL || a->kind == SL_SQL_A_DOUBLE || a->kind == SL_SQL_A_STRING;
    if (!sl_sql_ast_has_agg(a)) {
        /* Try a over the aggregate's input: equal to a grouping expression? */
        sl_sql_expr_t *e = bind_input_quietly(b, a);
        for (uint32_t i = 0; e && i < b->n_group; i++) {
            if (sl_sql_expr_same(e, b->group[i])) {
                sl_sql_expr_t *k = sl_sql_expr_column(b->arena, SL_SQL_COL_KEY, i, b->group[i]->type,
                                                      a->kind == SL_SQL_A_COLUMN ? a->name.name : NULL);
                return k ? k : ctor_fail(b, a, "");
            }
        }
    }
    if (literal)
        return bind_plain(b, s, a);
    if (a->kind == SL_SQL_A_COLUMN && !a->qual.name) {
        int p = sl_sql_pseudo_by_name(a->name.name);
        if (p == SL_SQL_PSEUDO_WINDOWSTART || p == SL_SQL_PSEUDO_WINDOWEND || p == SL_SQL_PSEUDO_ROWTIME) {
            if (p != SL_SQL_PSEUDO_ROWTIME && !b->agg_windowed)
                return unknown_column(b, s, a);
            sl_sql_expr_t *e = sl_sql_expr_column(b->arena, SL_SQL_COL_PSEUDO, (uint32_t)p,
                                                  sl_sql_pseudo_type((sl_sql_pseudo_t)p), a->name.name);
            return e ? e : ctor_fail(b, a, "");
        }
    }
    if (a->kind == SL_SQL_A_COLUMN) {
        /* Unknown to the input as well: the usual message. */
        sl_sql_expr_t *e = bind_input_quietly(b, a);
        if (!e) {
            bind_plain(b, b->agg_in, a); /* reports the unknown column */
            return NULL;
        }
        const char *text = sl_sql_ast_text(b->arena, a, NULL);
        if (b->clause && strcmp(b->clause, "HAVING") == 0)
            sl_sql_bind_fail(b, a->pos, "Non-aggregate HAVING expression not part of GROUP BY: %s", text);
        else
            sl_sql_bind_fail(b, a->pos,
                             "Non-aggregate SELECT expression(s) not part of GROUP BY: %s\n"
                             "Either add the column(s) to the GROUP BY or remove them from the SELECT.",
                             text);
        return NULL;
    }
    return bind_plain(b, s, a);
}

sl_sql_expr_t *sl_sql_bind_expr(sl_sql_binder_t *b, const sl_sql_scope_t *s, const sl_sql_ast_expr_t *a)
{
    if (!a) {
        sl_sql_bind_fail(b, (sl_sql_pos_t){ 0, 0 }, "missing expression");
        return NULL;
    }
    if (b->n_lvars && a->kind == SL_SQL_A_COLUMN) {
        sl_sql_expr_t *v = lambda_var(b, a);
        if (v)
            return v;
    }
    return b->agg_mode ? bind_agg_mode(b, s, a) : bind_plain(b, s, a);
}
