/*
 * lower_join.c - JOIN: stream-stream (WITHIN), stream-table and
 * table-table, INNER, LEFT and FULL OUTER, on the sides' keys (the binder
 * re-keys a side whose key is not the join expression, so both sides are
 * keyed and partitioned alike; the streams builder inserts the
 * repartitions).
 *
 * The joined value row is the left value columns then the right ones,
 * NULLs for a missing side. Stream-stream joins: a right record joins a
 * left one at t when its time is in [t - before, t + after].
 *   with GRACE PERIOD   the streams join (sl_stream_join): a LEFT/OUTER
 *                       result with a missing side comes out once stream
 *                       time passes the record's window end + grace, and
 *                       only if no match came (Kafka's behaviour since 3.1)
 *   without             ksqlDB's legacy join (Kafka's JoinWindows.of): a
 *                       record that finds no match at once comes out at
 *                       once with the other side NULL (LEFT: left records;
 *                       OUTER: both), matches found later come out too.
 *                       The streams library has no such join, so it is
 *                       built here from the Processor API: both sides
 *                       (tagged) merged into one processor that buffers
 *                       each side in its own window store (24 hours of
 *                       grace, ksqlDB's legacy default) and looks up the
 *                       other. INNER joins are the same either way and use
 *                       the streams join.
 */
#include <stdlib.h>
#include <string.h>

#include "lower_int.h"
#include "streams_int.h" /* sl_stream_t's key_changed: the legacy join repartitions like the streams join */

#define LOWER_JOIN_DEFAULT_GRACE_MS (24LL * 3600 * 1000)

typedef struct join_arg {
    uint32_t nl, nr;
    /* The legacy join buffers the sides as tagged bytes (their rows'
     * internal encoding after a side byte) in one processor's stores. */
    const sl_serde_t *ls, *rs;
} join_arg_t;

/* A side's value into out[at..at+n): a row, or its bytes (skip: the bytes
 * of a side tag before them) decoded with s. */
static void copy_side(sl_ctx_t *ctx, sl_sql_row_t *out, uint32_t at, uint32_t n, const sl_val_t *side,
                      const sl_serde_t *s, size_t skip)
{
    sl_val_t dec;
    if (s != NULL && side != NULL && side->type == SL_V_BYTES) {
        if (side->u.bytes.len < skip ||
            s->de(side->u.bytes.ptr + skip, side->u.bytes.len - skip, sl_ctx_arena(ctx), &dec, s->arg) != SL_OK)
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
    copy_side(ctx, row, 0, a->nl, left, NULL, 0);
    copy_side(ctx, row, a->nl, a->nr, right, NULL, 0);
    return sl_val_ptr(row);
}

typedef struct enc_arg {
    const sl_serde_t *s;
    uint8_t tag;                    /* the first byte: the side (0 left, 1 right) */
} enc_arg_t;

/* A side's row as its tagged bytes, for the legacy join's window stores. */
static void encode_side(sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value, void *arg)
{
    SL_UNUSED(key);
    const enc_arg_t *e = arg;
    if (sl_val_is_null(value))
        return; /* a stream-stream join skips null values */
    sl_buf_t b;
    sl_buf_init(&b);
    sl_buf_put(&b, &e->tag, 1);
    if (e->s->ser(value, &b, e->s->arg) == SL_OK && sl_buf_err(&b) == SL_OK) {
        sl_val_t v = sl_val_bytes(ctx, b.data, b.len);
        sl_ctx_emit_value(ctx, &v);
    }
    sl_buf_free(&b);
}

static sl_stream_t *encoded(sl_lower_ctx_t *lc, sl_stream_t *s, const sl_sql_plan_t *side, const sl_serde_t *vs,
                            const char *name, uint8_t tag)
{
    enc_arg_t *e = sl_lower_alloc(lc, sizeof(*e));
    const sl_serde_t *ks = sl_lower_key_serde(lc, &side->out);
    if (e == NULL || ks == NULL || s == NULL)
        return NULL;
    e->s = vs;
    e->tag = tag;
    s = sl_stream_flat_map_values(s, sl_lower_name(lc, name, tag == 1 ? "encode-right" : "encode"), encode_side, e);
    return s != NULL ? sl_stream_with_serdes(s, ks, SL_BYTES) : NULL;
}

/* --- ksqlDB's legacy stream-stream join (no GRACE PERIOD) ---------------------- */

typedef struct ej_arg {
    const join_arg_t *ja;
    sl_join_kind_t kind;
    int64_t before, after;
    const char *store[2];           /* by side: 0 left, 1 right */
} ej_arg_t;

typedef struct ej_state {
    const ej_arg_t *a;
    sl_store_t *st[2];
} ej_state_t;

typedef struct ej_match {
    const uint8_t *p;
    size_t n;
    int64_t ts;
} ej_match_t;

typedef struct ej_have {
    sl_ctx_t *ctx;
    ej_match_t *m;
    size_t n, cap;
    bool nomem;
} ej_have_t;

static sl_err_t ej_init(sl_ctx_t *ctx, void **state, void *arg)
{
    const ej_arg_t *a = arg;
    ej_state_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return SL_ERR_NOMEM;
    s->a = a;
    s->st[0] = sl_ctx_store(ctx, a->store[0]);
    s->st[1] = sl_ctx_store(ctx, a->store[1]);
    if (s->st[0] == NULL || s->st[1] == NULL) {
        free(s);
        return SL_ERR_STATE;
    }
    *state = s;
    return SL_OK;
}

static void ej_close(void *state, void *arg)
{
    SL_UNUSED(arg);
    free(state);
}

/* Copies each match out of the store's iteration (its memory goes with it). */
static bool ej_collect(const sl_val_t *key, int64_t window_start, const sl_val_t *value, void *arg)
{
    SL_UNUSED(key);
    ej_have_t *h = arg;
    if (value == NULL || value->type != SL_V_BYTES || value->u.bytes.len < 1)
        return true;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 8;
        ej_match_t *m = sl_ctx_alloc(h->ctx, cap * sizeof(*m));
        if (m == NULL) {
            h->nomem = true;
            return false;
        }
        if (h->n > 0)
            memcpy(m, h->m, h->n * sizeof(*m));
        h->m = m;
        h->cap = cap;
    }
    uint8_t *copy = sl_ctx_alloc(h->ctx, value->u.bytes.len);
    if (copy == NULL) {
        h->nomem = true;
        return false;
    }
    memcpy(copy, value->u.bytes.ptr, value->u.bytes.len);
    h->m[h->n++] = (ej_match_t){copy, value->u.bytes.len, window_start};
    return true;
}

static void ej_emit(sl_ctx_t *ctx, const ej_arg_t *a, const sl_val_t *key, const uint8_t *lp, size_t ln,
                    const uint8_t *rp, size_t rn, int64_t ts)
{
    const join_arg_t *ja = a->ja;
    sl_sql_row_t *row = sl_lower_row_new(ctx, ja->nl + ja->nr);
    if (row == NULL)
        return;
    sl_val_t l = lp != NULL ? sl_val_bytes_ref(lp, ln) : sl_val_null();
    sl_val_t r = rp != NULL ? sl_val_bytes_ref(rp, rn) : sl_val_null();
    copy_side(ctx, row, 0, ja->nl, &l, ja->ls, 1);
    copy_side(ctx, row, ja->nl, ja->nr, &r, ja->rs, 1);
    sl_val_t v = sl_val_ptr(row);
    sl_ctx_forward_ts(ctx, key, &v, ts);
}

static void ej_process(sl_ctx_t *ctx, void *state, const sl_val_t *key, const sl_val_t *value)
{
    ej_state_t *s = state;
    const ej_arg_t *a = s->a;
    if (sl_val_is_null(key) || value == NULL || value->type != SL_V_BYTES || value->u.bytes.len < 1)
        return;
    const uint8_t *p = value->u.bytes.ptr;
    size_t n = value->u.bytes.len;
    int side = p[0] == 1 ? 1 : 0, other = 1 - side;
    int64_t ts = sl_ctx_timestamp(ctx);
    if (sl_win_put(s->st[side], key, ts, value) != SL_OK)
        return;
    /* seen from the left: right records in [t - before, t + after] */
    int64_t from = side == 0 ? ts - a->before : ts - a->after;
    int64_t to = side == 0 ? ts + a->after : ts + a->before;
    ej_have_t h = {.ctx = ctx};
    if (sl_win_fetch(s->st[other], key, from > 0 ? from : 0, to, ej_collect, &h) != SL_OK || h.nomem)
        return;
    for (size_t i = 0; i < h.n; i++) {
        int64_t t = h.m[i].ts > ts ? h.m[i].ts : ts;
        if (side == 0)
            ej_emit(ctx, a, key, p, n, h.m[i].p, h.m[i].n, t);
        else
            ej_emit(ctx, a, key, h.m[i].p, h.m[i].n, p, n, t);
    }
    if (h.n == 0 && (a->kind == SL_JOIN_OUTER || (a->kind == SL_JOIN_LEFT && side == 0))) {
        if (side == 0)
            ej_emit(ctx, a, key, p, n, NULL, 0, ts);
        else
            ej_emit(ctx, a, key, NULL, 0, p, n, ts);
    }
}

static const sl_processor_def_t ej_def = {ej_init, ej_process, ej_close};

/* The legacy join of the encoded (tagged) sides. */
static sl_stream_t *legacy_join(sl_lower_ctx_t *lc, const sl_sql_plan_t *p, sl_stream_t *ls, sl_stream_t *rs,
                                const join_arg_t *ja, sl_join_kind_t kind, const char *name)
{
    ej_arg_t *a = sl_lower_alloc(lc, sizeof(*a));
    const sl_serde_t *ks = sl_lower_key_serde(lc, &p->out);
    if (a == NULL || ks == NULL || ls == NULL || rs == NULL)
        return NULL;
    a->ja = ja;
    a->kind = kind;
    a->before = p->within_before_ms;
    a->after = p->within_after_ms;
    a->store[0] = sl_lower_name(lc, name, "this-join-store");
    a->store[1] = sl_lower_name(lc, name, "other-join-store");
    if (a->store[0] == NULL || a->store[1] == NULL)
        return NULL;
    /* Co-partition the sides as the streams join would. */
    if (ls->key_changed)
        ls = sl_stream_repartition(ls, sl_lower_name(lc, name, "left"), 0);
    if (rs->key_changed)
        rs = sl_stream_repartition(rs, sl_lower_name(lc, name, "right"), 0);
    int64_t size = a->before + a->after;
    for (int i = 0; i < 2; i++) {
        sl_store_def_t def = {0};
        def.name = a->store[i];
        def.kind = SL_STORE_WINDOW;
        def.ks = ks;
        def.vs = SL_BYTES;
        def.logging = true;
        def.retention_ms = size + LOWER_JOIN_DEFAULT_GRACE_MS;
        def.window_size_ms = size;
        def.retain_duplicates = true;
        if (sl_builder_add_store(lc->b, &def) != SL_OK)
            return NULL;
    }
    sl_stream_t *m = sl_stream_merge(ls, rs, sl_lower_name(lc, name, "merge"));
    return sl_stream_process(m, name, &ej_def, a, a->store, 2);
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
        if (p->within_grace_ms < 0 && kind != SL_JOIN_INNER) {
            a->ls = vl;
            a->rs = vr;
            sl_stream_t *ls = encoded(lc, left.s, p->input, vl, name, 0);
            sl_stream_t *rs = encoded(lc, right.s, p->right, vr, name, 1);
            out.s = legacy_join(lc, p, ls, rs, a, kind, name);
        } else {
            out.s = sl_stream_join(left.s, right.s, name, kind, joiner, a, p->within_before_ms, p->within_after_ms,
                                   grace, vl, vr);
        }
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
