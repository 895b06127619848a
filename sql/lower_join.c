/*
 * lower_join.c - JOIN: stream-stream (WITHIN), stream-table and
 * table-table, INNER, LEFT and FULL OUTER, on the sides' keys (the binder
 * re-keys a side whose key is not the join expression, so both sides are
 * keyed and partitioned alike; the streams builder inserts the
 * repartitions).
 *
 * The joined value row is the left value columns then the right ones,
 * NULLs for a missing side. Stream-stream joins use the streams join
 * windows: a right record joins a left one at t when its time is in
 * [t - before, t + after]; without GRACE PERIOD the grace is 24 hours
 * (ksqlDB's legacy default). The streams join never emits a left/outer
 * result before the window closes (Kafka's behaviour since 3.1), so an
 * unmatched row comes out once stream time passes its window end + grace.
 */
#include <string.h>

#include "lower_int.h"

#define LOWER_JOIN_DEFAULT_GRACE_MS (24LL * 3600 * 1000)

typedef struct join_arg {
    uint32_t nl, nr;
    /* Stream-stream joins buffer the sides as bytes (their rows' internal
     * encoding): the window store hands the matches over in memory that is
     * gone before the joiner runs, and only bytes are copied out of it. */
    const sl_serde_t *ls, *rs;
} join_arg_t;

static void copy_side(sl_ctx_t *ctx, sl_sql_row_t *out, uint32_t at, uint32_t n, const sl_val_t *side,
                      const sl_serde_t *s)
{
    sl_val_t dec;
    if (s != NULL && side != NULL && side->type == SL_V_BYTES) {
        if (s->de(side->u.bytes.ptr, side->u.bytes.len, sl_ctx_arena(ctx), &dec, s->arg) != SL_OK)
            return;
        side = &dec;
    }
    const sl_sql_row_t *r = sl_lower_row(side);
    if (r == NULL)
        return;
    uint32_t m = r->n < n ? r->n : n;
    memcpy(&out->cols[at], r->cols, m * sizeof(sl_sql_datum_t));
}

static sl_val_t joiner(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *left, const sl_val_t *right, void *arg)
{
    SL_UNUSED(key);
    const join_arg_t *a = arg;
    sl_sql_row_t *row = sl_lower_row_new(ctx, a->nl + a->nr);
    if (row == NULL)
        return sl_val_null();
    copy_side(ctx, row, 0, a->nl, left, a->ls);
    copy_side(ctx, row, a->nl, a->nr, right, a->rs);
    return sl_val_ptr(row);
}

/* A side's row as its bytes, for the join's window store. */
static void encode_side(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    SL_UNUSED(key);
    const sl_serde_t *s = arg;
    if (sl_val_is_null(value))
        return; /* a stream-stream join skips null values */
    sl_buf_t b;
    sl_buf_init(&b);
    if (s->ser(value, &b, s->arg) == SL_OK && sl_buf_err(&b) == SL_OK) {
        sl_val_t v = sl_val_bytes(ctx, b.data, b.len);
        sl_ctx_emit_value(ctx, &v);
    }
    sl_buf_free(&b);
}

static sl_stream_t *encoded(sl_lower_ctx_t *lc, sl_stream_t *s, const sl_sql_plan_t *side, const sl_serde_t *vs,
                            const char *name)
{
    const sl_serde_t *ks = sl_lower_key_serde(lc, &side->out);
    s = sl_stream_flat_map_values(s, sl_lower_name(lc, name, "encode"), encode_side, (void *)vs);
    return s != NULL && ks != NULL ? sl_stream_with_serdes(s, ks, SL_BYTES) : NULL;
}

static sl_join_kind_t join_kind(sl_sql_join_type_t t)
{
    switch (t) {
    case SL_SQL_JOIN_LEFT:
        return SL_JOIN_LEFT;
    case SL_SQL_JOIN_FULL:
        return SL_JOIN_OUTER;
    default:
        return SL_JOIN_INNER;
    }
}

sl_lw_t sl_lower_join(sl_lower_ctx_t *lc, const sl_sql_plan_t *p, sl_lw_t left, sl_lw_t right)
{
    if (p->join == SL_SQL_JOIN_RIGHT)
        return sl_lower_fail(lc, SL_ERR_UNSUPPORTED, "a RIGHT join must be rewritten as a LEFT join");
    join_arg_t *a = sl_lower_alloc(lc, sizeof(*a));
    const char *name = sl_lower_name(lc, p->id != NULL ? p->id : "Join", NULL);
    if (a == NULL || name == NULL)
        return (sl_lw_t){0};
    a->nl = p->input->out.n_value;
    a->nr = p->right->out.n_value;
    if (a->nl + a->nr != p->out.n_value)
        return sl_lower_fail(lc, SL_ERR_INVAL, "join %s: %u + %u side columns for %u output columns", name, a->nl,
                             a->nr, p->out.n_value);
    sl_join_kind_t kind = join_kind(p->join);
    sl_lw_t out = {0};
    out.p = p;
    if (left.s != NULL && right.s != NULL) {
        int64_t grace = p->within_grace_ms >= 0 ? p->within_grace_ms : LOWER_JOIN_DEFAULT_GRACE_MS;
        const sl_serde_t *vl = sl_lower_value_serde(lc, &p->input->out);
        const sl_serde_t *vr = sl_lower_value_serde(lc, &p->right->out);
        if (vl == NULL || vr == NULL)
            return (sl_lw_t){0};
        a->ls = vl;
        a->rs = vr;
        sl_stream_t *ls = encoded(lc, left.s, p->input, vl, name);
        sl_stream_t *rs = left.s == right.s ? ls : encoded(lc, right.s, p->right, vr, name);
        out.s = sl_stream_join(ls, rs, name, kind, joiner, a, p->within_before_ms, p->within_after_ms, grace,
                               SL_BYTES, SL_BYTES);
        out.s = sl_lower_with_serdes(lc, out.s, p);
    } else if (left.s != NULL && right.t != NULL) {
        if (kind == SL_JOIN_OUTER)
            return sl_lower_fail(lc, SL_ERR_UNSUPPORTED,
                                 "Invalid join type: full-outer join not supported for stream-table join.");
        out.s = sl_stream_join_table(left.s, right.t, name, kind, joiner, a);
        out.s = sl_lower_with_serdes(lc, out.s, p);
    } else if (left.t != NULL && right.t != NULL) {
        out.t = sl_table_join(left.t, right.t, name, kind, joiner, a, NULL);
        /* A store the plan names (pull queries read it): the joined rows
         * materialized once more, with the rows' serde. */
        if (out.t != NULL && p->store != NULL)
            out.t = sl_lower_materialize(lc, sl_table_to_stream(out.t, sl_lower_name(lc, name, "changes")), p,
                                         p->store, name, true);
    } else {
        return sl_lower_fail(lc, SL_ERR_UNSUPPORTED,
                             "Invalid join order: table-stream joins are not supported; only stream-table joins.");
    }
    if (out.s == NULL && out.t == NULL)
        return sl_lower_fail(lc, SL_ERR_INVAL, "cannot lower the join %s", name);
    return out;
}
