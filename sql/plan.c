/*
 * plan.c - plan nodes and schemas built column by column, codecs for a
 * schema, and the optimizer: filters move below projections and into the
 * side of a join they read, so fewer rows reach the expensive nodes.
 */
#include <stdio.h>
#include <string.h>

#include "bind_int.h"

sl_sql_plan_t *sl_sql_plan_new(sl_arena_t *arena, sl_sql_pkind_t kind, sl_sql_plan_t *input)
{
    sl_sql_plan_t *p = sl_arena_zalloc(arena, sizeof *p);
    if (!p)
        return NULL;
    p->kind = kind;
    p->input = input;
    p->timestamp_col = -1;
    p->limit = -1;
    p->within_grace_ms = -1;
    p->window.retention_ms = -1;
    p->window.grace_ms = -1;
    if (input) {
        p->is_table = input->is_table;
        p->window = input->window;
        p->out = input->out;
    }
    return p;
}

/* Appends column (name, t) to cols[0..*n), growing it (capacity *cap). */
static sl_err_t add_column(sl_arena_t *arena, sl_sql_column_t **cols, uint32_t *n, uint32_t *cap, const char *name,
                           const sl_sql_type_t *t)
{
    /* Names may come from a statement's syntax tree, which dies with the
     * statement: the plan keeps its own copies. */
    const char *copy = sl_arena_strndup(arena, name, strlen(name));
    if (!copy)
        return SL_ERR_NOMEM;
    if (*n >= *cap) {
        uint32_t c = *cap ? *cap * 2 : 8;
        sl_sql_column_t *v = sl_arena_calloc(arena, c, sizeof *v);
        if (!v)
            return SL_ERR_NOMEM;
        if (*n)
            memcpy(v, *cols, *n * sizeof *v);
        *cols = v;
        *cap = c;
    }
    (*cols)[(*n)++] = (sl_sql_column_t){ copy, t };
    return 0;
}

sl_err_t sl_sql_sb_key(sl_arena_t *arena, sl_sql_schema_builder_t *sb, const char *name, const sl_sql_type_t *t)
{
    return add_column(arena, &sb->s.key, &sb->s.n_key, &sb->cap_key, name, t);
}

sl_err_t sl_sql_sb_value(sl_arena_t *arena, sl_sql_schema_builder_t *sb, const char *name, const sl_sql_type_t *t)
{
    return add_column(arena, &sb->s.value, &sb->s.n_value, &sb->cap_value, name, t);
}

sl_err_t sl_sql_schema_codec(sl_arena_t *arena, const sl_sql_fmt_t *fmt, const sl_sql_schema_t *schema, bool is_key,
                             const sl_sql_codec_t **out, char *err, size_t errlen)
{
    const sl_sql_column_t *cols = is_key ? schema->key : schema->value;
    uint32_t n = is_key ? schema->n_key : schema->n_value;
    const char **names = sl_arena_calloc(arena, n ? n : 1, sizeof *names);
    const sl_sql_type_t **types = sl_arena_calloc(arena, n ? n : 1, sizeof *types);
    if (!names || !types) {
        snprintf(err, errlen, "out of memory");
        return SL_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < n; i++) {
        names[i] = cols[i].name;
        types[i] = cols[i].type;
    }
    sl_sql_codec_t *c = NULL;
    sl_err_t e = sl_sql_codec_new(arena, fmt, names, types, n, is_key, &c, err, errlen);
    *out = c;
    return e;
}

void sl_sql_schema_format(const sl_sql_schema_t *s, bool quote, sl_buf_t *out)
{
    bool first = true;
    for (int pass = 0; pass < 2; pass++) {
        const sl_sql_column_t *cols = pass ? s->value : s->key;
        uint32_t n = pass ? s->n_value : s->n_key;
        for (uint32_t i = 0; i < n; i++) {
            if (!first)
                sl_buf_put(out, ", ", 2);
            first = false;
            if (quote)
                sl_buf_put_u8(out, '`');
            sl_buf_put(out, cols[i].name, strlen(cols[i].name));
            if (quote)
                sl_buf_put_u8(out, '`');
            sl_buf_put_u8(out, ' ');
            sl_sql_type_format(cols[i].type, out);
            if (!pass)
                sl_buf_put(out, " KEY", 4);
        }
    }
}

/* --- Predicate push-down ---------------------------------------------------------- */

/* A copy of e with every column reference mapped through fn; NULL when fn
 * refuses one (the expression cannot move). */
typedef bool col_map_fn(sl_sql_colsrc_t src, uint32_t index, sl_sql_colsrc_t *nsrc, uint32_t *nindex, void *arg);

static sl_sql_expr_t *remap(sl_arena_t *arena, const sl_sql_expr_t *e, col_map_fn *fn, void *arg)
{
    sl_sql_expr_t *c = sl_arena_memdup(arena, e, sizeof *e);
    if (!c)
        return NULL;
    if (e->kind == SL_SQL_E_COLUMN) {
        if (!fn(e->src, e->index, &c->src, &c->index, arg))
            return NULL;
        return c;
    }
    if (e->n_args) {
        c->args = sl_arena_calloc(arena, e->n_args, sizeof *c->args);
        if (!c->args)
            return NULL;
        for (uint32_t i = 0; i < e->n_args; i++)
            if (!(c->args[i] = remap(arena, e->args[i], fn, arg)))
                return NULL;
    }
    return c;
}

/* Through a PROJECT whose value expression i is a plain column: the
 * predicate reads that column below instead. Pseudo columns pass. */
static bool through_project(sl_sql_colsrc_t src, uint32_t index, sl_sql_colsrc_t *nsrc, uint32_t *nindex,
                            void *arg)
{
    const sl_sql_plan_t *p = arg;
    const sl_sql_expr_t *x = NULL;
    if (src == SL_SQL_COL_PSEUDO || src == SL_SQL_COL_LAMBDA) {
        *nsrc = src;
        *nindex = index;
        return true;
    }
    if (src == SL_SQL_COL_VALUE && index < p->n_exprs)
        x = p->exprs[index];
    else if (src == SL_SQL_COL_KEY && index < p->n_key_exprs)
        x = p->key_exprs[index];
    if (!x || x->kind != SL_SQL_E_COLUMN)
        return false;
    *nsrc = x->src;
    *nindex = x->index;
    return true;
}

typedef struct join_side {
    uint32_t from, to;  /* the side's value columns in the join's output */
} join_side_t;

static bool into_side(sl_sql_colsrc_t src, uint32_t index, sl_sql_colsrc_t *nsrc, uint32_t *nindex, void *arg)
{
    const join_side_t *js = arg;
    if (src != SL_SQL_COL_VALUE || index < js->from || index >= js->to)
        return false;
    *nsrc = src;
    *nindex = index - js->from;
    return true;
}

static sl_sql_expr_t *and_of(sl_arena_t *arena, sl_sql_expr_t **v, uint32_t n)
{
    if (n == 0)
        return NULL;
    sl_sql_expr_t *acc = v[0];
    char err[128];
    for (uint32_t i = 1; i < n && acc; i++)
        acc = sl_sql_expr_binary(arena, SL_SQL_OP_AND, acc, v[i], err, sizeof err);
    return acc;
}

static sl_sql_plan_t *filter_over(sl_arena_t *arena, sl_sql_plan_t *input, sl_sql_expr_t *pred)
{
    sl_sql_plan_t *f = sl_sql_plan_new(arena, SL_SQL_P_FILTER, input);
    if (!f)
        return NULL;
    f->pred = pred;
    f->id = "WhereFilter";
    return f;
}

/* Tries to move the filter *slot (a FILTER node) below its input; returns
 * true when the plan changed. */
static bool push_filter(sl_arena_t *arena, sl_sql_plan_t **slot)
{
    sl_sql_plan_t *f = *slot;
    sl_sql_plan_t *in = f->input;
    if (!in)
        return false;
    if (in->kind == SL_SQL_P_PROJECT && in->input) {
        sl_sql_expr_t *moved = remap(arena, f->pred, through_project, in);
        if (!moved)
            return false;
        /* FILTER(PROJECT(x)) -> PROJECT(FILTER(x)) */
        f->pred = moved;
        f->input = in->input;
        f->out = in->input->out;
        f->is_table = in->input->is_table;
        f->window = in->input->window;
        in->input = f;
        *slot = in;
        return true;
    }
    if (in->kind == SL_SQL_P_JOIN && in->join != SL_SQL_JOIN_FULL) {
        sl_sql_expr_t *parts[64], *keep[64];
        uint32_t n = sl_sql_expr_conjuncts(f->pred, parts, 64), n_keep = 0;
        uint32_t nl = in->input->out.n_value, nr = in->right->out.n_value;
        join_side_t left = { 0, nl }, right = { nl, nl + nr };
        sl_sql_expr_t *to_left[64], *to_right[64];
        uint32_t n_left = 0, n_right = 0;
        for (uint32_t i = 0; i < n; i++) {
            sl_sql_expr_t *m = remap(arena, parts[i], into_side, &left);
            if (m) {
                to_left[n_left++] = m;
                continue;
            }
            /* A LEFT join keeps unmatched left rows with NULL right
             * columns: a right-side predicate must stay above. */
            m = in->join == SL_SQL_JOIN_INNER ? remap(arena, parts[i], into_side, &right) : NULL;
            if (m)
                to_right[n_right++] = m;
            else
                keep[n_keep++] = parts[i];
        }
        if (n_left == 0 && n_right == 0)
            return false;
        if (n_left) {
            sl_sql_plan_t *lf = filter_over(arena, in->input, and_of(arena, to_left, n_left));
            if (!lf || !lf->pred)
                return false;
            in->input = lf;
        }
        if (n_right) {
            sl_sql_plan_t *rf = filter_over(arena, in->right, and_of(arena, to_right, n_right));
            if (!rf || !rf->pred)
                return false;
            in->right = rf;
        }
        if (n_keep)
            f->pred = and_of(arena, keep, n_keep);
        else
            *slot = in;
        return true;
    }
    return false;
}

static void optimize(sl_arena_t *arena, sl_sql_plan_t **slot, int depth)
{
    if (!*slot || depth > 64)
        return;
    /* Bounded: each push moves a filter one node down. */
    for (int i = 0; i < 16 && (*slot)->kind == SL_SQL_P_FILTER && push_filter(arena, slot); i++)
        ;
    sl_sql_plan_t *p = *slot;
    optimize(arena, &p->input, depth + 1);
    if (p->kind == SL_SQL_P_JOIN)
        optimize(arena, &p->right, depth + 1);
}


/* --- Projection pruning ------------------------------------------------------------ */

/* A join carries every column of both sides (ksqlDB's prefixed copies
 * include ROWTIME, ROWPARTITION, ROWOFFSET and the keys); most queries read
 * a few. The columns nothing above a join reads are dropped from the
 * projections feeding it, and every reference above is renumbered. */

#define PRUNE_MAX 1024

static void mark(const sl_sql_expr_t *e, bool *used, uint32_t width)
{
    if (!e)
        return;
    if (e->kind == SL_SQL_E_COLUMN && e->src == SL_SQL_COL_VALUE && e->index < width)
        used[e->index] = true;
    for (uint32_t i = 0; i < e->n_args; i++)
        mark(e->args[i], used, width);
}

typedef struct index_map {
    const uint32_t *map;    /* old value index -> new */
    uint32_t width;
} index_map_t;

static bool through_map(sl_sql_colsrc_t src, uint32_t index, sl_sql_colsrc_t *nsrc, uint32_t *nindex, void *arg)
{
    const index_map_t *m = arg;
    *nsrc = src;
    *nindex = index;
    if (src == SL_SQL_COL_VALUE) {
        if (index >= m->width || m->map[index] == UINT32_MAX)
            return false;
        *nindex = m->map[index];
    }
    return true;
}

/* Marks what node p (a reader of its input's value row) reads. */
static void mark_node(const sl_sql_plan_t *p, bool *used, uint32_t width)
{
    switch (p->kind) {
    case SL_SQL_P_FILTER:
        mark(p->pred, used, width);
        break;
    case SL_SQL_P_REKEY:
        for (uint32_t i = 0; i < p->n_key_exprs; i++)
            mark(p->key_exprs[i], used, width);
        break;
    case SL_SQL_P_PROJECT:
    case SL_SQL_P_FLATMAP:
        for (uint32_t i = 0; i < p->n_exprs; i++)
            mark(p->exprs ? p->exprs[i] : NULL, used, width);
        for (uint32_t i = 0; i < p->n_key_exprs; i++)
            mark(p->key_exprs[i], used, width);
        for (uint32_t i = 0; p->kind == SL_SQL_P_FLATMAP && p->tablefn_args && i < p->n_exprs; i++)
            for (uint32_t k = 0; p->tablefn_args[i] && k < p->tablefn_n_args[i]; k++)
                mark(p->tablefn_args[i][k], used, width);
        break;
    case SL_SQL_P_AGGREGATE:
        for (uint32_t i = 0; i < p->n_group; i++)
            mark(p->group_exprs[i], used, width);
        for (uint32_t j = 0; j < p->n_aggs; j++)
            for (uint32_t i = 0; i < p->aggs[j]->n_args; i++)
                mark(p->aggs[j]->args[i], used, width);
        break;
    default:
        break;
    }
}

static bool remap_slot(sl_arena_t *arena, sl_sql_expr_t **slot, const index_map_t *m)
{
    if (!*slot)
        return true;
    sl_sql_expr_t *e = remap(arena, *slot, through_map, (void *)m);
    if (!e)
        return false;
    *slot = e;
    return true;
}

/* Renumbers what p reads; false if a reference has no column left (the
 * caller then keeps everything: never happens when marks were complete). */
static bool remap_node(sl_arena_t *arena, sl_sql_plan_t *p, const index_map_t *m)
{
    bool ok = true;
    switch (p->kind) {
    case SL_SQL_P_FILTER:
        ok = remap_slot(arena, &p->pred, m);
        break;
    case SL_SQL_P_REKEY:
        for (uint32_t i = 0; i < p->n_key_exprs && ok; i++)
            ok = remap_slot(arena, &p->key_exprs[i], m);
        break;
    case SL_SQL_P_PROJECT:
    case SL_SQL_P_FLATMAP:
        for (uint32_t i = 0; i < p->n_exprs && ok; i++)
            ok = remap_slot(arena, &p->exprs[i], m);
        for (uint32_t i = 0; i < p->n_key_exprs && ok; i++)
            ok = remap_slot(arena, &p->key_exprs[i], m);
        for (uint32_t i = 0; p->kind == SL_SQL_P_FLATMAP && p->tablefn_args && i < p->n_exprs && ok; i++)
            for (uint32_t k = 0; p->tablefn_args[i] && k < p->tablefn_n_args[i] && ok; k++)
                ok = remap_slot(arena, &p->tablefn_args[i][k], m);
        break;
    case SL_SQL_P_AGGREGATE:
        for (uint32_t i = 0; i < p->n_group && ok; i++)
            ok = remap_slot(arena, &p->group_exprs[i], m);
        for (uint32_t j = 0; j < p->n_aggs && ok; j++)
            for (uint32_t i = 0; i < p->aggs[j]->n_args && ok; i++)
                ok = remap_slot(arena, &p->aggs[j]->args[i], m);
        break;
    default:
        break;
    }
    return ok;
}

static bool keeps_layout(const sl_sql_plan_t *p)
{
    return p->kind == SL_SQL_P_FILTER || p->kind == SL_SQL_P_REKEY || p->kind == SL_SQL_P_SUPPRESS;
}

static bool prune_join(sl_arena_t *arena, sl_sql_plan_t *j, const bool *used, uint32_t *map);

/* Prunes the chain (FILTER|REKEY|SUPPRESS)* -> PROJECT|JOIN below a join
 * side to the columns `used` (width = the chain's value width); fills map.
 * false: left as it was (map is the identity). */
static bool prune_chain(sl_arena_t *arena, sl_sql_plan_t *top, bool *used, uint32_t width, uint32_t *map)
{
    for (uint32_t i = 0; i < width; i++)
        map[i] = i;
    sl_sql_plan_t *chain[16];
    uint32_t n = 0;
    sl_sql_plan_t *p = top;
    while (p && keeps_layout(p) && n < 16) {
        chain[n++] = p;
        p = p->input;
    }
    if (!p || (p->kind != SL_SQL_P_PROJECT && p->kind != SL_SQL_P_JOIN) || p->out.n_value != width)
        return false;
    for (uint32_t i = 0; i < n; i++)
        mark_node(chain[i], used, width);
    uint32_t nmap[PRUNE_MAX];
    if (p->kind == SL_SQL_P_JOIN) {
        if (!prune_join(arena, p, used, nmap))
            return false;
    } else {
        /* A projection: keep the used expressions. */
        uint32_t k = 0;
        for (uint32_t i = 0; i < width; i++) {
            nmap[i] = used[i] ? k : UINT32_MAX;
            if (used[i]) {
                p->exprs[k] = p->exprs[i];
                p->out.value[k] = p->out.value[i];
                k++;
            }
        }
        p->n_exprs = k;
        p->out.n_value = k;
    }
    index_map_t m = { nmap, width };
    for (uint32_t i = n; i-- > 0;) {
        if (!remap_node(arena, chain[i], &m))
            return false; /* cannot happen: every read was marked */
        chain[i]->out.value = chain[i]->input->out.value;
        chain[i]->out.n_value = chain[i]->input->out.n_value;
    }
    memcpy(map, nmap, width * sizeof *map);
    return true;
}

static bool prune_join(sl_arena_t *arena, sl_sql_plan_t *j, const bool *used, uint32_t *map)
{
    uint32_t nl = j->input->out.n_value, nr = j->right->out.n_value;
    if (nl + nr > PRUNE_MAX || nl + nr != j->out.n_value)
        return false;
    bool ul[PRUNE_MAX], ur[PRUNE_MAX];
    uint32_t ml[PRUNE_MAX], mr[PRUNE_MAX];
    memcpy(ul, used, nl * sizeof *ul);
    memcpy(ur, used + nl, nr * sizeof *ur);
    bool okl = prune_chain(arena, j->input, ul, nl, ml);
    bool okr = prune_chain(arena, j->right, ur, nr, mr);
    if (!okl)
        for (uint32_t i = 0; i < nl; i++)
            ml[i] = i;
    if (!okr)
        for (uint32_t i = 0; i < nr; i++)
            mr[i] = i;
    uint32_t nl2 = j->input->out.n_value;
    sl_sql_column_t *cols = sl_arena_calloc(arena, j->out.n_value ? j->out.n_value : 1, sizeof *cols);
    if (!cols)
        return false;
    for (uint32_t i = 0; i < nl; i++) {
        map[i] = ml[i];
        if (ml[i] != UINT32_MAX)
            cols[ml[i]] = j->out.value[i];
    }
    for (uint32_t i = 0; i < nr; i++) {
        map[nl + i] = mr[i] == UINT32_MAX ? UINT32_MAX : nl2 + mr[i];
        if (mr[i] != UINT32_MAX)
            cols[nl2 + mr[i]] = j->out.value[nl + i];
    }
    j->out.value = cols;
    j->out.n_value = nl2 + j->right->out.n_value;
    return true;
}

/* Finds reader -> (FILTER|REKEY|SUPPRESS)* -> JOIN under root (the reader
 * being the first node that builds new rows from the join's: a PROJECT, a
 * FLATMAP or an AGGREGATE) and prunes. */
static void prune(sl_arena_t *arena, sl_sql_plan_t *root)
{
    for (sl_sql_plan_t *reader = root; reader; reader = reader->input) {
        if (reader->kind != SL_SQL_P_PROJECT && reader->kind != SL_SQL_P_FLATMAP && reader->kind != SL_SQL_P_AGGREGATE)
            continue;
        if (!reader->input)
            return;
        const sl_sql_plan_t *p = reader->input;
        while (p && keeps_layout(p))
            p = p->input;
        if (!p || p->kind != SL_SQL_P_JOIN)
            continue;
        uint32_t width = reader->input->out.n_value;
        if (width == 0 || width > PRUNE_MAX)
            return;
        bool used[PRUNE_MAX] = { false };
        uint32_t map[PRUNE_MAX];
        mark_node(reader, used, width);
        if (prune_chain(arena, reader->input, used, width, map)) {
            index_map_t m = { map, width };
            remap_node(arena, reader, &m);
        }
        return;
    }
}

void sl_sql_plan_optimize(sl_arena_t *arena, sl_sql_plan_t *root)
{
    if (!root)
        return;
    optimize(arena, &root->input, 0);
    if (root->kind == SL_SQL_P_JOIN)
        optimize(arena, &root->right, 0);
    prune(arena, root);
}
