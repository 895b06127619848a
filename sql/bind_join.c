/*
 * bind_join.c - FROM with joins: each source behind a projection copying
 * its key and pseudo columns into the value under ALIAS_NAME (ksqlDB's
 * shape), every ON clause checked first (one equality, each side one
 * source, the joined source among them), then left-deep JOIN nodes: RIGHT
 * rewritten to LEFT, stream inputs rekeyed when not keyed by their side of
 * ON, tables refused then, co-partitioning checked, the key named from the
 * first column among the equal expressions (ROWKEY when none or FULL
 * OUTER), the expressions equal to the key collected for the projection's
 * key matching.
 */
#include <stdio.h>
#include <string.h>

#include "bind_int.h"

/* One input of a join: a source (SOURCE -> PROJECT copying pseudo and key
 * columns into the value, every column named ALIAS_NAME, as ksqlDB does
 * before a join) or the result of the joins to its left. */
typedef struct frame {
    sl_sql_plan_t *node;
    sl_sql_scope_t scope;           /* value columns: unprefixed names, qual = alias */
    bool is_table;
    sl_sql_window_t window;
    sl_sql_expr_t *cand[SL_SQL_MAX_CAND];  /* expressions over scope equal to the node's key */
    const char *cand_text[SL_SQL_MAX_CAND];
    uint32_t n_cand;
    const char *key_name;
    bool synthetic;
    bool is_relation;
    const sl_sql_source_t *src;     /* a relation: its source and alias */
    const char *alias;
    const char *first_alias;        /* the left-most source's alias */
    int32_t partitions;             /* its topic's partitions (-1: unknown) */
} frame_t;

static const char *fmt_id(sl_sql_qctx_t *q, const char *a, uint32_t n, const char *b)
{
    char buf[96];
    if (n <= 1)
        snprintf(buf, sizeof buf, "%s%s", a, b);
    else
        snprintf(buf, sizeof buf, "%s_%u%s", a, n, b);
    return sl_arena_strndup(q->arena, buf, strlen(buf));
}

static sl_err_t relation_frame(sl_sql_qctx_t *q, const sl_sql_ast_from_t *f, uint32_t nth, frame_t *fr)
{
    memset(fr, 0, sizeof *fr);
    const sl_sql_source_t *src = sl_sql_q_find_source(q, &f->name);
    if (!src)
        return SL_ERR_NOENT;
    const char *alias = f->alias.name ? f->alias.name : src->name;
    for (uint32_t i = 0; i < q->n_rels; i++) {
        if (strcmp(q->rels[i].src->name, src->name) == 0) {
            if (q->n_rels > 1)
                return sl_sql_bind_fail(&q->b, f->pos,
                                        "N-way joins do not support multiple occurrences of the same source. "
                                        "Source: '%s'.",
                                        src->name);
            return sl_sql_bind_fail(&q->b, f->pos, "Can not join '%s' to '%s': self joins are not yet supported.",
                                    src->name, src->name);
        }
    }
    if (q->n_rels >= SL_SQL_MAX_RELS)
        return sl_sql_bind_fail(&q->b, f->pos, "Too many sources in one query (at most %d).", SL_SQL_MAX_RELS);
    q->rels[q->n_rels++] = (sl_sql_qrel_t){ src, alias };
    const char *side = nth == 0 ? "Left" : "Right";
    sl_sql_plan_t *node;
    sl_err_t e = sl_sql_q_source_node(q, src, fmt_id(q, nth == 0 ? "KafkaTopic_Left" : "KafkaTopic_Right", nth, "/Source"),
                             fmt_id(q, nth == 0 ? "KafkaTopic_Left" : "KafkaTopic_Right", nth, "-Reduce"), &node);
    if (e)
        return e;
    bool windowed = src->window.kind != SL_SQL_WIN_NONE;
    const sl_sql_schema_t *in = &node->out;
    uint32_t n_pseudo = windowed ? 5 : 3;
    uint32_t n = in->n_value + n_pseudo + in->n_key;
    sl_sql_expr_t **exprs = sl_arena_calloc(q->arena, n, sizeof *exprs);
    const char **names = sl_arena_calloc(q->arena, n, sizeof *names);
    if (!exprs || !names)
        return sl_sql_q_nomem(q);
    uint32_t k = 0;
    char buf[512];
    for (uint32_t i = 0; i < in->n_value + n_pseudo + in->n_key; i++, k++) {
        const char *cn;
        const sl_sql_type_t *ct;
        sl_sql_colsrc_t cs;
        uint32_t ci;
        if (i < in->n_value) {
            cn = in->value[i].name, ct = in->value[i].type, cs = SL_SQL_COL_VALUE, ci = i;
        } else if (i < in->n_value + n_pseudo) {
            ci = i - in->n_value;
            cn = sl_sql_pseudo_name((sl_sql_pseudo_t)ci), ct = sl_sql_pseudo_type((sl_sql_pseudo_t)ci);
            cs = SL_SQL_COL_PSEUDO;
        } else {
            ci = i - in->n_value - n_pseudo;
            cn = in->key[ci].name, ct = in->key[ci].type, cs = SL_SQL_COL_KEY;
        }
        exprs[k] = sl_sql_expr_column(q->arena, cs, ci, ct, cn);
        snprintf(buf, sizeof buf, "%s_%s", alias, cn);
        names[k] = sl_arena_strndup(q->arena, buf, strlen(buf));
        if (!exprs[k] || !names[k] || sl_sql_scope_add(q->arena, &fr->scope, alias, cn, SL_SQL_COL_VALUE, k, ct))
            return sl_sql_q_nomem(q);
        fr->scope.cols[fr->scope.n - 1].role = cs == SL_SQL_COL_KEY      ? SL_SQL_BCOL_KEY_COPY
                                              : cs == SL_SQL_COL_PSEUDO ? SL_SQL_BCOL_PSEUDO_COPY
                                                                        : SL_SQL_BCOL_COLUMN;
    }
    fr->scope.quals[0] = alias;
    fr->scope.qual_src[0] = src->name;
    fr->scope.n_quals = 1;
    fr->node = sl_sql_q_project_node(q, node, exprs, names, n, fmt_id(q, "PrependAlias", nth, side));
    if (!fr->node)
        return sl_sql_q_nomem(q);
    fr->is_table = src->is_table;
    fr->window = src->window;
    fr->is_relation = true;
    fr->src = src;
    fr->alias = alias;
    fr->first_alias = alias;
    fr->partitions = src->partitions;
    if (in->n_key == 1) {
        uint32_t kc = in->n_value + n_pseudo;
        fr->cand[0] = sl_sql_expr_column(q->arena, SL_SQL_COL_VALUE, kc, in->key[0].type, in->key[0].name);
        snprintf(buf, sizeof buf, "%s.%s", alias, in->key[0].name);
        fr->cand_text[0] = sl_arena_strndup(q->arena, buf, strlen(buf));
        fr->key_name = names[kc];
        if (!fr->cand[0] || !fr->cand_text[0])
            return sl_sql_q_nomem(q);
        fr->n_cand = 1;
    }
    return 0;
}

static bool frame_keyed_by(const frame_t *fr, const sl_sql_expr_t *e)
{
    for (uint32_t i = 0; i < fr->n_cand; i++)
        if (sl_sql_expr_same(fr->cand[i], e))
            return true;
    return false;
}

static const char *win_name(sl_sql_window_kind_t k)
{
    return k == SL_SQL_WIN_TUMBLING ? "TUMBLING" : k == SL_SQL_WIN_HOPPING ? "HOPPING" : "SESSION";
}

/* Rekeys a stream input by its join expression. */
static sl_err_t rekey_frame(sl_sql_qctx_t *q, frame_t *fr, sl_sql_expr_t *on, const char *text, uint32_t nth)
{
    sl_sql_plan_t *r = sl_sql_plan_new(q->arena, SL_SQL_P_REKEY, fr->node);
    sl_sql_expr_t **k = sl_arena_calloc(q->arena, 1, sizeof *k);
    if (!r || !k)
        return sl_sql_q_nomem(q);
    k[0] = on;
    r->key_exprs = k;
    r->n_key_exprs = 1;
    sl_sql_schema_builder_t sb = { 0 };
    if (sl_sql_sb_key(q->arena, &sb, "KSQL_JOIN_KEY", on->type))
        return sl_sql_q_nomem(q);
    r->out.key = sb.s.key;
    r->out.n_key = 1;
    r->id = fmt_id(q, nth == 0 ? "LeftSourceKeyed" : "RightSourceKeyed", nth, "");
    r->window.kind = SL_SQL_WIN_NONE;
    fr->node = r;
    fr->cand[0] = on;
    fr->cand_text[0] = text;
    fr->n_cand = 1;
    fr->synthetic = false;
    fr->key_name = NULL;
    if (on->kind == SL_SQL_E_COLUMN && on->src == SL_SQL_COL_VALUE)
        fr->key_name = fr->node->out.value[on->index].name;
    return 0;
}

/* A copy of e reading value column i + off for every value column i. */
static sl_sql_expr_t *shift_expr(sl_arena_t *arena, const sl_sql_expr_t *e, uint32_t off)
{
    sl_sql_expr_t *c = sl_arena_memdup(arena, e, sizeof *e);
    if (!c)
        return NULL;
    if (e->kind == SL_SQL_E_COLUMN && e->src == SL_SQL_COL_VALUE)
        c->index += off;
    if (e->n_args) {
        c->args = sl_arena_calloc(arena, e->n_args, sizeof *c->args);
        if (!c->args)
            return NULL;
        for (uint32_t i = 0; i < e->n_args; i++)
            if (!(c->args[i] = shift_expr(arena, e->args[i], off)))
                return NULL;
    }
    return c;
}

/* The aliases a's columns come from (distinct, up to max). */
static uint32_t ast_sources(const sl_sql_scope_t *s, const sl_sql_ast_expr_t *a, const char **out, uint32_t n,
                            uint32_t max, int depth)
{
    if (!a || depth > 64)
        return n;
    if (a->kind == SL_SQL_A_COLUMN) {
        const char *name = a->qual.name ? a->qual.name : a->name.name;
        bool is_alias = false;
        for (uint32_t i = 0; a->qual.name && i < s->n_quals; i++)
            if (strcmp(s->quals[i], a->qual.name) == 0)
                is_alias = true;
        const char *found = is_alias ? a->qual.name : NULL;
        for (uint32_t i = 0; !found && i < s->n; i++)
            if (s->cols[i].qual && s->cols[i].src != SL_SQL_COL_PSEUDO && strcmp(s->cols[i].name, name) == 0)
                found = s->cols[i].qual;
        bool dup = false;
        for (uint32_t i = 0; found && i < n; i++)
            if (strcmp(out[i], found) == 0)
                dup = true;
        if (found && !dup && n < max)
            out[n++] = found;
        return n;
    }
    n = ast_sources(s, a->a, out, n, max, depth + 1);
    n = ast_sources(s, a->b, out, n, max, depth + 1);
    n = ast_sources(s, a->c, out, n, max, depth + 1);
    for (uint32_t i = 0; a->args && i < a->args->n; i++)
        n = ast_sources(s, a->args->items[i], out, n, max, depth + 1);
    return n;
}

/* ksqlDB's checks of the sources the sides of on read (looked up in s):
 * exactly one each, not the same one, and one of them alias. Returns the
 * first that fails (0 if all pass); with always_fail the last is reported
 * even when it would pass (the caller knows the criteria cannot stand). */
static sl_err_t on_sources(sl_sql_qctx_t *q, const sl_sql_scope_t *s, const sl_sql_ast_expr_t *on, const char *alias,
                           bool always_fail)
{
    const char *sa[8], *sb[8];
    uint32_t na = ast_sources(s, on->a, sa, 0, 8, 0), nb = ast_sources(s, on->b, sb, 0, 8, 0);
    const sl_sql_ast_expr_t *bad = na != 1 ? on->a : nb != 1 ? on->b : NULL;
    if (bad)
        return sl_sql_bind_fail(&q->b, bad->pos,
                                "Invalid comparison expression '%s' in join '%s'. Each side of the join comparision "
                                "must contain references from exactly one source.",
                                sl_sql_ast_text(q->arena, bad, NULL), sl_sql_ast_text(q->arena, on, NULL));
    if (strcmp(sa[0], sb[0]) == 0)
        return sl_sql_bind_fail(&q->b, on->pos,
                                "Each side of the join must reference exactly one source and not the same source. "
                                "Left side references `%s` and right references `%s`",
                                sa[0], sb[0]);
    if (always_fail || (strcmp(sa[0], alias) != 0 && strcmp(sb[0], alias) != 0))
        return sl_sql_bind_fail(&q->b, on->pos,
                                "A join criteria is expected to reference the source (`%s`) in the FROM clause, "
                                "instead the right source references `%s` and the left source references `%s`",
                                alias, sb[0], sa[0]);
    return 0;
}

static sl_err_t on_shape(sl_sql_qctx_t *q, const sl_sql_ast_expr_t *on, sl_sql_pos_t pos)
{
    if (!on)
        return sl_sql_bind_fail(&q->b, pos, "A join needs an ON clause.");
    if (on->kind == SL_SQL_A_BINARY && on->op == SL_SQL_OP_EQ)
        return 0;
    const char *text = sl_sql_ast_text(q->arena, on, NULL);
    if (on->kind == SL_SQL_A_BINARY && (on->op == SL_SQL_OP_AND || on->op == SL_SQL_OP_OR))
        return sl_sql_bind_fail(&q->b, on->pos,
                                "Invalid join condition: joins on multiple conditions are not yet supported. Got %s.",
                                text);
    if (on->kind == SL_SQL_A_BINARY && on->op >= SL_SQL_OP_NE && on->op <= SL_SQL_OP_GE)
        return sl_sql_bind_fail(&q->b, on->pos, "Only equality join criteria is supported.");
    return sl_sql_bind_fail(&q->b, on->pos, "Unsupported join expression: %s", text);
}

/* L joined with R (a relation) by f's ON: the joined frame in *out. */
static sl_err_t join_frames(sl_sql_qctx_t *q, frame_t *L, frame_t *R, const sl_sql_ast_from_t *f, sl_sql_join_type_t jt,
                            uint32_t nth, frame_t *out)
{
    const sl_sql_ast_expr_t *on = f->on;
    sl_err_t e = on_shape(q, on, f->pos);
    if (e)
        return e;
    q->b.clause = "JOIN ON";
    bool was_quiet = q->b.quiet;
    q->b.quiet = true;
    const sl_sql_ast_expr_t *lon = NULL, *ron = NULL;
    sl_sql_expr_t *le = sl_sql_bind_expr(&q->b, &L->scope, on->a);
    sl_sql_expr_t *re = le ? sl_sql_bind_expr(&q->b, &R->scope, on->b) : NULL;
    if (le && re) {
        lon = on->a;
        ron = on->b;
    } else {
        re = sl_sql_bind_expr(&q->b, &R->scope, on->a);
        le = re ? sl_sql_bind_expr(&q->b, &L->scope, on->b) : NULL;
        lon = on->b;
        ron = on->a;
    }
    q->b.quiet = was_quiet;
    q->b.failed = false;
    if (!le || !re) {
        /* An unknown column over every source, else the shape. */
        sl_sql_scope_t both = L->scope;
        both.cols = NULL;
        both.n = both.cap = 0;
        for (uint32_t i = 0; i < L->scope.n; i++)
            if (sl_sql_scope_add(q->arena, &both, L->scope.cols[i].qual, L->scope.cols[i].name, L->scope.cols[i].src,
                                 L->scope.cols[i].index, L->scope.cols[i].type))
                return sl_sql_q_nomem(q);
        for (uint32_t i = 0; i < R->scope.n; i++)
            if (sl_sql_scope_add(q->arena, &both, R->scope.cols[i].qual, R->scope.cols[i].name, R->scope.cols[i].src,
                                 L->scope.n + R->scope.cols[i].index, R->scope.cols[i].type))
                return sl_sql_q_nomem(q);
        if (both.n_quals < 8) {
            both.quals[both.n_quals] = R->alias;
            both.qual_src[both.n_quals++] = R->src->name;
        }
        if (!sl_sql_bind_expr(&q->b, &both, on->a) || !sl_sql_bind_expr(&q->b, &both, on->b))
            return SL_ERR_INVAL;
        return on_sources(q, &both, on, R->alias, true);
    }
    const char *ltext = sl_sql_ast_text(q->arena, lon, L->is_relation ? L->alias : NULL);
    const char *rtext = sl_sql_ast_text(q->arena, ron, R->alias);
    if (!sl_sql_type_equal(le->type, re->type)) {
        char lt[64], rt[64];
        return sl_sql_bind_fail(&q->b, on->pos, "Invalid join condition: types don't match. Got %s{%s} = %s{%s}.", ltext,
                                sl_sql_type_str(le->type, lt, sizeof lt), rtext, sl_sql_type_str(re->type, rt, sizeof rt));
    }

    sl_sql_window_kind_t lw = L->window.kind, rw = R->window.kind;
    const char *lname = L->is_relation ? L->alias : "the join";
    if ((lw == SL_SQL_WIN_NONE) != (rw == SL_SQL_WIN_NONE))
        return sl_sql_bind_fail(&q->b, f->pos,
                                "Can not join windowed source to non-windowed source.\n%s is %s windowed\n%s is %s windowed",
                                lname, lw == SL_SQL_WIN_NONE ? "not" : win_name(lw), R->alias,
                                rw == SL_SQL_WIN_NONE ? "not" : win_name(rw));
    const char *jtext = jt == SL_SQL_JOIN_INNER ? "[INNER] JOIN" : jt == SL_SQL_JOIN_LEFT ? "LEFT [OUTER] JOIN"
                                                                                           : "[FULL] OUTER JOIN";
    if (L->is_table && !R->is_table)
        return sl_sql_bind_fail(&q->b, f->pos,
                                "Invalid join order: table-stream joins are not supported; only stream-table joins. "
                                "Got %s %s %s.",
                                lname, jtext, R->alias);
    if (!L->is_table && !R->is_table && !f->has_within)
        return sl_sql_bind_fail(&q->b, f->pos,
                                "Stream-Stream joins must have a WITHIN clause specified. None was provided. To learn "
                                "about how to specify a WITHIN clause with a stream-stream join, please visit: "
                                "https://docs.confluent.io/current/ksql/docs/syntax-reference.html"
                                "#create-stream-as-select");
    if (!L->is_table && R->is_table && f->has_within)
        return sl_sql_bind_fail(&q->b, f->pos,
                                "A window definition was provided for a Stream-Table join. These joins are not "
                                "windowed. Please drop the window definition (ie. the WITHIN clause) and try to "
                                "execute your join again.");
    if (L->is_table && R->is_table && f->has_within)
        return sl_sql_bind_fail(&q->b, f->pos,
                                "A window definition was provided for a Table-Table join. These joins are not "
                                "windowed. Please drop the window definition (i.e. the WITHIN clause) and try to "
                                "execute your join again.");
    if (!L->is_table && R->is_table && jt == SL_SQL_JOIN_FULL)
        return sl_sql_bind_fail(&q->b, f->pos,
                                "Invalid join type: full-outer join not supported for stream-table join. Got %s %s %s.",
                                lname, jtext, R->alias);

    /* Co-partitioning: without a repartition both inputs need as many
     * partitions. */
    if (frame_keyed_by(L, le) && frame_keyed_by(R, re) && L->partitions > 0 && R->partitions > 0 &&
        L->partitions != R->partitions)
        return sl_sql_bind_fail(&q->b, f->pos,
                                "Can't join `%s` with `%s` since the number of partitions don't match. `%s` partitions "
                                "= %d; `%s` partitions = %d. Please repartition either one so that the number of "
                                "partitions match.",
                                L->first_alias, R->alias, L->first_alias, (int)L->partitions, R->alias,
                                (int)R->partitions);
    int32_t out_partitions = frame_keyed_by(L, le) ? L->partitions : R->partitions;

    /* Tables join on their key; streams are rekeyed when they are not. */
    frame_t *sides[2] = { L, R };
    sl_sql_expr_t *ons[2] = { le, re };
    const char *texts[2] = { ltext, rtext };
    const sl_sql_ast_expr_t *asts[2] = { lon, ron };
    for (int i = 0; i < 2; i++) {
        frame_t *s = sides[i];
        if (frame_keyed_by(s, ons[i]))
            continue;
        if (s->is_table) {
            if (!L->is_table)
                return sl_sql_bind_fail(&q->b, asts[i]->pos,
                                        "Invalid join condition: stream-table joins require to join on the table's "
                                        "primary key. Got %s = %s.",
                                        ltext, rtext);
            if (i == 1)
                return sl_sql_bind_fail(&q->b, asts[i]->pos,
                                        "Invalid join condition: table-table joins require to join on the primary key "
                                        "of the right input table. Got %s = %s.",
                                        ltext, rtext);
            return sl_sql_bind_fail(&q->b, asts[i]->pos,
                                    "Invalid join condition: foreign-key table-table joins are not supported. Got "
                                    "%s = %s.",
                                    ltext, rtext);
        }
        if ((e = rekey_frame(q, s, ons[i], texts[i], i == 0 ? (nth > 1 ? nth : 0) : nth)))
            return e;
    }

    sl_sql_plan_t *j = sl_sql_plan_new(q->arena, SL_SQL_P_JOIN, L->node);
    if (!j)
        return sl_sql_q_nomem(q);
    j->right = R->node;
    j->join = jt;
    j->is_table = L->is_table && R->is_table;
    j->window = L->window;
    j->id = fmt_id(q, "Join", nth, "");
    /* A table-table join's rows are kept for pull queries. */
    j->store = j->is_table ? fmt_id(q, "Join", nth, "-Materialize") : NULL;
    if (f->has_within) {
        j->within_before_ms = f->within_before_ms;
        j->within_after_ms = f->within_after_ms;
        j->within_grace_ms = f->within_grace_ms;
    }
    uint32_t nl = L->node->out.n_value;
    memset(out, 0, sizeof *out);
    out->node = j;
    out->first_alias = L->first_alias;
    out->partitions = out_partitions;
    out->is_table = j->is_table;
    out->window = L->window;
    /* The scope: the left's then the right's columns (shifted). */
    out->scope.n_quals = L->scope.n_quals;
    memcpy(out->scope.quals, L->scope.quals, sizeof out->scope.quals);
    memcpy(out->scope.qual_src, L->scope.qual_src, sizeof out->scope.qual_src);
    if (out->scope.n_quals < 8) {
        out->scope.quals[out->scope.n_quals] = R->alias;
        out->scope.qual_src[out->scope.n_quals++] = R->src->name;
    }
    for (uint32_t i = 0; i < L->scope.n; i++)
        if (sl_sql_scope_add_col(q->arena, &out->scope, &L->scope.cols[i], L->scope.cols[i].index))
            return sl_sql_q_nomem(q);
    for (uint32_t i = 0; i < R->scope.n; i++)
        if (sl_sql_scope_add_col(q->arena, &out->scope, &R->scope.cols[i],
                                 R->scope.cols[i].src == SL_SQL_COL_VALUE ? nl + R->scope.cols[i].index
                                                                          : R->scope.cols[i].index))
            return sl_sql_q_nomem(q);
    /* The key: equal to either side's expression (all of the chain's). */
    for (uint32_t i = 0; i < L->n_cand && out->n_cand < SL_SQL_MAX_CAND; i++) {
        out->cand[out->n_cand] = L->cand[i];
        out->cand_text[out->n_cand++] = L->cand_text[i];
    }
    for (uint32_t i = 0; i < R->n_cand && out->n_cand < SL_SQL_MAX_CAND; i++) {
        if (!(out->cand[out->n_cand] = shift_expr(q->arena, R->cand[i], nl)))
            return sl_sql_q_nomem(q);
        out->cand_text[out->n_cand++] = R->cand_text[i];
    }
    /* Column references first: they name the key and the error lists them. */
    for (uint32_t i = 1; i < out->n_cand; i++) {
        for (uint32_t k = i; k > 0 && out->cand[k]->kind == SL_SQL_E_COLUMN && out->cand[k - 1]->kind != SL_SQL_E_COLUMN;
             k--) {
            sl_sql_expr_t *t = out->cand[k];
            const char *tt = out->cand_text[k];
            out->cand[k] = out->cand[k - 1];
            out->cand_text[k] = out->cand_text[k - 1];
            out->cand[k - 1] = t;
            out->cand_text[k - 1] = tt;
        }
    }
    const char *kname = NULL;
    for (uint32_t i = 0; jt != SL_SQL_JOIN_FULL && i < out->n_cand && !kname; i++) {
        const sl_sql_expr_t *c = out->cand[i];
        if (c->kind == SL_SQL_E_COLUMN && c->src == SL_SQL_COL_VALUE && c->index < nl + R->node->out.n_value)
            kname = c->index < nl ? L->node->out.value[c->index].name : R->node->out.value[c->index - nl].name;
        else if (c->kind == SL_SQL_E_COLUMN && c->src == SL_SQL_COL_KEY && L->synthetic)
            kname = L->key_name;
    }
    if (!kname) {
        /* ksqlDB's synthetic key column: ROWKEY, or ROWKEY_n when taken. */
        kname = "ROWKEY";
        for (uint32_t n = 1; n < 16; n++) {
            bool taken = false;
            for (uint32_t i = 0; i < out->scope.n; i++)
                if (strcmp(out->scope.cols[i].name, kname) == 0)
                    taken = true;
            if (!taken)
                break;
            kname = fmt_id(q, "ROWKEY", n + 1, "");
        }
        out->synthetic = true;
        out->cand[0] = sl_sql_expr_column(q->arena, SL_SQL_COL_KEY, 0, le->type, kname);
        out->cand_text[0] = kname;
        out->n_cand = 1;
        if (!out->cand[0] || sl_sql_scope_add(q->arena, &out->scope, NULL, kname, SL_SQL_COL_KEY, 0, le->type))
            return sl_sql_q_nomem(q);
    }
    out->key_name = kname;
    sl_sql_schema_builder_t sb = { 0 };
    if (sl_sql_sb_key(q->arena, &sb, kname, le->type))
        return sl_sql_q_nomem(q);
    for (uint32_t i = 0; i < L->node->out.n_value; i++)
        if (sl_sql_sb_value(q->arena, &sb, L->node->out.value[i].name, L->node->out.value[i].type))
            return sl_sql_q_nomem(q);
    for (uint32_t i = 0; i < R->node->out.n_value; i++)
        if (sl_sql_sb_value(q->arena, &sb, R->node->out.value[i].name, R->node->out.value[i].type))
            return sl_sql_q_nomem(q);
    j->out = sb.s;
    j->left_key = sl_sql_expr_column(q->arena, SL_SQL_COL_KEY, 0, le->type, kname);
    j->right_key = sl_sql_expr_column(q->arena, SL_SQL_COL_KEY, 0, re->type, kname);
    if (!j->left_key || !j->right_key)
        return sl_sql_q_nomem(q);
    return 0;
}

static sl_err_t join_tree(sl_sql_qctx_t *q, const sl_sql_ast_from_t *f, uint32_t *nth, frame_t *out)
{
    if (!f->is_join)
        return relation_frame(q, f, (*nth)++, out);
    if (f->right->is_join)
        return sl_sql_bind_fail(&q->b, f->right->pos, "A join's right side must be a stream or a table.");
    const sl_sql_ast_from_t *lf = f->left, *rf = f->right;
    sl_sql_join_type_t jt = f->join;
    if (jt == SL_SQL_JOIN_RIGHT) {
        /* RIGHT JOIN is a LEFT JOIN with the sides swapped. */
        if (lf->is_join)
            return sl_sql_bind_fail(&q->b, f->pos, "RIGHT JOIN is only supported between two sources.");
        lf = f->right;
        rf = f->left;
        jt = SL_SQL_JOIN_LEFT;
    }
    frame_t L, R;
    sl_err_t e = join_tree(q, lf, nth, &L);
    if (e)
        return e;
    uint32_t me = *nth;
    if ((e = relation_frame(q, rf, (*nth)++, &R)))
        return e;
    return join_frames(q, &L, &R, f, jt, me, out);
}

/* Adds a relation's columns (any index: only names and types matter) to a
 * scope of every source joined so far; false if the source is unknown. */
static bool add_relation(sl_sql_qctx_t *q, const sl_sql_ast_from_t *f, sl_sql_scope_t *acc, const char **alias)
{
    const sl_sql_source_t *src = q->env->catalog ? sl_sql_catalog_find(q->env->catalog, f->name.name) : NULL;
    if (!src)
        return false;
    *alias = f->alias.name ? f->alias.name : src->name;
    for (uint32_t i = 0; i < src->schema.n_key; i++)
        if (sl_sql_scope_add(q->arena, acc, *alias, src->schema.key[i].name, SL_SQL_COL_VALUE, acc->n,
                             src->schema.key[i].type))
            return false;
    for (uint32_t i = 0; i < src->schema.n_value; i++)
        if (sl_sql_scope_add(q->arena, acc, *alias, src->schema.value[i].name, SL_SQL_COL_VALUE, acc->n,
                             src->schema.value[i].type))
            return false;
    if (acc->n_quals < 8) {
        acc->quals[acc->n_quals] = *alias;
        acc->qual_src[acc->n_quals++] = src->name;
    }
    return true;
}

/* ksqlDB checks every ON clause before planning any join: the shape, and
 * that each side reads exactly one source and the joined source is one of
 * them. Unknown names are left to the binding that follows. */
static sl_err_t validate_joins(sl_sql_qctx_t *q, const sl_sql_ast_from_t *f, sl_sql_scope_t *acc, bool *stop)
{
    const char *alias;
    if (!f->is_join) {
        if (!add_relation(q, f, acc, &alias))
            *stop = true;
        return 0;
    }
    sl_err_t e = validate_joins(q, f->left, acc, stop);
    if (e || *stop || f->right->is_join)
        return e;
    if (!add_relation(q, f->right, acc, &alias)) {
        *stop = true;
        return 0;
    }
    const sl_sql_ast_expr_t *on = f->on;
    if ((e = on_shape(q, on, f->pos)))
        return e;
    bool was_quiet = q->b.quiet;
    q->b.quiet = true;
    bool ok = sl_sql_bind_expr(&q->b, acc, on->a) && sl_sql_bind_expr(&q->b, acc, on->b);
    q->b.quiet = was_quiet;
    q->b.failed = false;
    if (!ok) {
        *stop = true;
        return 0;
    }
    return on_sources(q, acc, on, alias, false);
}

sl_err_t sl_sql_q_bind_join(sl_sql_qctx_t *q, const sl_sql_ast_from_t *f)
{
    frame_t top;
    uint32_t nth = 0;
    sl_sql_scope_t all = { 0 };
    bool stop = false;
    q->b.clause = "JOIN ON";
    sl_err_t e = validate_joins(q, f, &all, &stop);
    if (e)
        return e;
    e = join_tree(q, f, &nth, &top);
    if (e)
        return e;
    q->is_join = true;
    q->cur = top.node;
    q->names_of = &top.node->out;
    q->windowed = top.window.kind != SL_SQL_WIN_NONE;
    q->scope = top.scope;
    if (sl_sql_scope_add_pseudo(q->arena, &q->scope, NULL, q->windowed))
        return sl_sql_q_nomem(q);
    q->synthetic_key = top.synthetic;
    q->n_keys = 1;
    q->key_type[0] = top.node->out.key[0].type;
    q->key_name[0] = top.key_name;
    q->key_what = "join expression";
    q->n_cand[0] = top.n_cand;
    for (uint32_t i = 0; i < top.n_cand; i++) {
        q->cand[0][i] = top.cand[i];
        q->key_text[0][i] = top.cand_text[i];
    }
    return 0;
}


