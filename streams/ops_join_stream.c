/*
 * ops_join_stream.c - the stream-stream windowed join (sl_stream_join):
 * inner, left and outer, with Kafka Streams' semantics since 3.1 (no
 * spurious left/outer results).
 *
 * The nodes are Kafka's: each side passes a "windowed" node that buffers
 * its records in the side's window store (duplicates retained), then a join
 * node that looks the record up in the other side's store; both join nodes
 * feed one merge node, the result stream. The join nodes use both window
 * stores, so the two inputs end in one sub-topology (a side whose key an
 * operator changed is repartitioned first, so both are co-partitioned).
 *
 * Left/outer: a record that finds no match is not joined with null at once,
 * since a match may still arrive within its window; it waits in the shared
 * "outer" key-value store until stream time passes its window end + grace,
 * and is emitted then unless a match removed it. Stream time is the join's
 * own: the largest timestamp either side has seen, kept by the two join
 * nodes of a task together. A record whose window has already closed when
 * it arrives is dropped (late).
 */
#include <stdlib.h>
#include <string.h>

#include "streams_int.h"

#define SJ_LOG "streams"

enum { SJ_LEFT = 0, SJ_RIGHT = 1 };

/* A windowed node: the store its side's records go to. */
typedef struct sj_window_conf {
    const char *store;
} sj_window_conf_t;

/* A join node. before/after are seen from this side: a record at t joins
 * the other side's records at [t - before, t + after]. A record of side s
 * at t has its window closed once stream time passes t + close[s]. */
typedef struct sj_conf {
    int side;
    bool outer;                    /* this side's unmatched records are emitted */
    bool other_outer;              /* the other side's are: clear them on a match */
    int64_t before, after;
    int64_t close[2];              /* by side: window end + grace after the record */
    sl_joiner_fn *fn;
    void *arg;
    const char *other_store;
    const char *outer_store;       /* NULL for an inner join */
    const sl_serde_t *ks;          /* keys in the outer store */
    const sl_serde_t *vs[2];       /* values in the outer store, by side */
    const sl_node_t *sibling;      /* the other side's join node */
} sj_conf_t;

/* What the two join nodes of a task share. */
typedef struct sj_time {
    int64_t stream_time;           /* -1 before any record */
    int64_t min_pending;           /* no outer store entry is older; INT64_MIN: unknown */
    int refs;
} sj_time_t;

typedef struct sj_state {
    sl_store_t *other;
    sl_store_t *outer;
    sj_time_t *time;
} sj_state_t;

/* --- the windowed nodes ------------------------------------------------- */

static sl_err_t sj_window_init(sl_pnode_t *pn, sl_ctx_t *ctx)
{
    const sj_window_conf_t *c = pn->node->conf;

    pn->state = sl_ctx_store(ctx, c->store);
    return pn->state ? SL_OK : SL_ERR_NOENT;
}

static void sj_window_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                              const sl_val_t *old)
{
    const sj_window_conf_t *c = pn->node->conf;
    sl_err_t err;

    (void)old;
    /* Every record starts its own window; a null key or value never joins,
     * so it is not kept (the join node drops it). */
    if (!sl_val_is_null(key) && !sl_val_is_null(value)) {
        err = sl_win_put(pn->state, key, sl_ctx_timestamp(ctx), value);
        if (err != SL_OK) {
            sl_ctx_fail(ctx, err, "%s: buffering in %s: %s", pn->node->name, c->store, sl_err_name(err));
            return;
        }
    }
    sl_pnode_forward(pn, ctx, key, value, NULL);
}

static const sl_node_ops_t sj_window_ops = {
    .init = sj_window_init,
    .process = sj_window_process,
};

/* --- the outer store: unmatched records waiting for their window to close
 *
 * Key: the record's timestamp (8 bytes big-endian, sign bit flipped so that
 * byte order is time order), its side (1 byte), the key's bytes. Value:
 * every unmatched value of that side, key and timestamp (they share one
 * window, so they are matched or emitted together), each as a 4-byte
 * big-endian length and the bytes of its side's value serde. */

static void sj_put_time(sl_buf_t *out, int64_t ts)
{
    sl_buf_put_i64(out, (int64_t)((uint64_t)ts ^ ((uint64_t)1 << 63)));
}

static int64_t sj_get_time(const uint8_t *p)
{
    uint64_t u = 0;

    for (int i = 0; i < 8; i++)
        u = (u << 8) | p[i];
    return (int64_t)(u ^ ((uint64_t)1 << 63));
}

static sl_err_t sj_pending_key(const sj_conf_t *c, int side, const sl_val_t *key, int64_t ts, sl_buf_t *out)
{
    int rc;

    sj_put_time(out, ts);
    sl_buf_put_u8(out, (uint8_t)side);
    rc = sl_serde_write(c->ks, key, out);
    if (rc < 0)
        return rc;
    return sl_buf_err(out);
}

/* Adds this side's unmatched value to its entry. */
static sl_err_t sj_pending_add(const sj_conf_t *c, sj_state_t *s, const sl_val_t *key, const sl_val_t *value,
                               int64_t ts)
{
    sl_buf_t k, v;
    sl_val_t kv, old;
    size_t at;
    sl_err_t err;
    int rc;

    sl_buf_init(&k);
    sl_buf_init(&v);
    err = sj_pending_key(c, c->side, key, ts, &k);
    if (err != SL_OK)
        goto out;
    kv = sl_val_bytes_ref(k.data, k.len);
    err = sl_kv_get(s->outer, &kv, &old);
    if (err == SL_OK && (old.type == SL_V_BYTES || old.type == SL_V_STRING))
        sl_buf_put(&v, old.u.bytes.ptr, old.u.bytes.len);
    else if (err != SL_OK && err != SL_ERR_NOENT)
        goto out;
    at = v.len;
    sl_buf_put_i32(&v, 0);
    rc = sl_serde_write(c->vs[c->side], value, &v);
    if (rc < 0) {
        err = rc;
        goto out;
    }
    if (v.len - at - 4 > INT32_MAX) {
        err = SL_ERR_TOO_LARGE;
        goto out;
    }
    sl_buf_set_i32(&v, at, (int32_t)(v.len - at - 4));
    err = sl_buf_err(&v);
    if (err == SL_OK) {
        sl_val_t vv = sl_val_bytes_ref(v.data, v.len);
        err = sl_kv_put(s->outer, &kv, &vv);
    }
    if (err == SL_OK && ts < s->time->min_pending)
        s->time->min_pending = ts;
out:
    sl_buf_free(&k);
    sl_buf_free(&v);
    return err;
}

/* A match: the other side's entry at ts (if waiting) is no longer pending. */
static sl_err_t sj_pending_clear(const sj_conf_t *c, sj_state_t *s, const sl_val_t *key, int64_t ts)
{
    sl_buf_t k;
    sl_err_t err;

    sl_buf_init(&k);
    err = sj_pending_key(c, 1 - c->side, key, ts, &k);
    if (err == SL_OK) {
        sl_val_t kv = sl_val_bytes_ref(k.data, k.len);
        err = sl_kv_delete(s->outer, &kv);
        if (err == SL_ERR_NOENT)
            err = SL_OK;
    }
    sl_buf_free(&k);
    return err;
}

/* Entries read from the outer store, copied into the record's memory (the
 * store's own may move with the writes that follow). */
typedef struct sj_entry {
    const uint8_t *key;
    size_t klen;
    const uint8_t *val;
    size_t vlen;
} sj_entry_t;

typedef struct sj_entries {
    sl_ctx_t *ctx;
    sj_entry_t *v;
    size_t n, cap;
    sl_err_t err;
} sj_entries_t;

static bool sj_collect_entry(const sl_val_t *key, const sl_val_t *value, void *arg)
{
    sj_entries_t *es = arg;
    sj_entry_t *e;

    if (key->type != SL_V_BYTES || key->u.bytes.len < 9 || value->type != SL_V_BYTES)
        return true; /* not ours: skipped */
    if (es->n == es->cap) {
        size_t cap = es->cap ? es->cap * 2 : 16;
        sj_entry_t *v = sl_ctx_alloc(es->ctx, cap * sizeof(*v));
        if (!v) {
            es->err = SL_ERR_NOMEM;
            return false;
        }
        if (es->n)
            memcpy(v, es->v, es->n * sizeof(*v));
        es->v = v;
        es->cap = cap;
    }
    e = &es->v[es->n];
    e->klen = key->u.bytes.len;
    e->vlen = value->u.bytes.len;
    e->key = sl_arena_memdup(sl_ctx_arena(es->ctx), key->u.bytes.ptr, e->klen);
    e->val = sl_arena_memdup(sl_ctx_arena(es->ctx), value->u.bytes.ptr, e->vlen);
    if (!e->key || !e->val) {
        es->err = SL_ERR_NOMEM;
        return false;
    }
    es->n++;
    return true;
}

/* Joins every value of entry e with a null other side and forwards it at
 * the entry's timestamp. */
static sl_err_t sj_emit_entry(const sj_conf_t *c, sl_ctx_t *ctx, const sj_entry_t *e, int side, int64_t ts)
{
    const sl_serde_t *vs = c->vs[side];
    sl_val_t key, value, none = sl_val_null(), out;
    sl_rd_t rd;
    sl_err_t err;

    err = c->ks->de(e->key + 9, e->klen - 9, sl_ctx_arena(ctx), &key, c->ks->arg);
    if (err != SL_OK)
        return err;
    sl_rd_init(&rd, e->val, e->vlen);
    while (sl_rd_left(&rd) > 0) {
        int32_t n = sl_rd_i32(&rd);
        const uint8_t *p;
        if (!sl_rd_ok(&rd) || n < 0 || (size_t)n > sl_rd_left(&rd))
            return SL_ERR_PARSE;
        p = sl_rd_take(&rd, (size_t)n);
        if (!p && n > 0)
            return SL_ERR_PARSE;
        err = vs->de(p, (size_t)n, sl_ctx_arena(ctx), &value, vs->arg);
        if (err != SL_OK)
            return err;
        if (side == SJ_LEFT)
            out = c->fn(ctx, &key, &value, &none, c->arg);
        else
            out = c->fn(ctx, &key, &none, &value, c->arg);
        sl_ctx_forward_ts(ctx, &key, &out, ts);
    }
    return SL_OK;
}

/* Emits (and removes) every waiting record whose window has closed. */
static void sj_emit_closed(sl_pnode_t *pn, sl_ctx_t *ctx, sj_state_t *s, const sj_conf_t *c)
{
    sj_time_t *tm = s->time;
    int64_t first = c->close[SJ_LEFT] < c->close[SJ_RIGHT] ? c->close[SJ_LEFT] : c->close[SJ_RIGHT];
    /* No entry after bound can be closed yet. */
    int64_t bound = tm->stream_time - first - 1;
    int64_t next_min = bound + 1;
    sj_entries_t es = {ctx, NULL, 0, 0, SL_OK};
    sl_buf_t to;
    sl_val_t tov;
    sl_err_t err;
    size_t i, n_due = 0;

    if (tm->min_pending > bound)
        return;
    sl_buf_init(&to);
    sj_put_time(&to, bound + 1); /* every key of a later time sorts after */
    err = sl_buf_err(&to);
    if (err == SL_OK) {
        tov = sl_val_bytes_ref(to.data, to.len);
        err = sl_kv_range(s->outer, NULL, &tov, sj_collect_entry, &es);
    }
    sl_buf_free(&to);
    if (err == SL_OK)
        err = es.err;
    if (err != SL_OK) {
        sl_ctx_fail(ctx, err, "%s: reading %s: %s", pn->node->name, c->outer_store, sl_err_name(err));
        return;
    }
    /* Keep the due entries at the front, in time order. */
    for (i = 0; i < es.n; i++) {
        int64_t ts = sj_get_time(es.v[i].key);
        int side = es.v[i].key[8] ? SJ_RIGHT : SJ_LEFT;
        if (ts + c->close[side] < tm->stream_time)
            es.v[n_due++] = es.v[i];
        else if (ts < next_min)
            next_min = ts;
    }
    tm->min_pending = next_min;
    for (i = 0; i < n_due; i++) {
        const sj_entry_t *e = &es.v[i];
        sl_val_t kv = sl_val_bytes_ref(e->key, e->klen);
        int64_t ts = sj_get_time(e->key);
        err = sl_kv_delete(s->outer, &kv);
        if (err == SL_OK || err == SL_ERR_NOENT)
            err = sj_emit_entry(c, ctx, e, e->key[8] ? SJ_RIGHT : SJ_LEFT, ts);
        if (err == SL_ERR_PARSE) {
            /* bytes the serdes cannot read (a changelog from elsewhere):
             * the entry is gone, the others still go out */
            SL_WARN(SJ_LOG, "%s: an unreadable entry of %s (time %lld) skipped", pn->node->name, c->outer_store,
                    (long long)ts);
            continue;
        }
        if (err != SL_OK) {
            sl_ctx_fail(ctx, err, "%s: emitting from %s: %s", pn->node->name, c->outer_store, sl_err_name(err));
            return;
        }
    }
}

/* --- the join nodes ----------------------------------------------------- */

/* The other side's records in the window, read into the record's memory:
 * the forwards that follow may write to stores, and a user serde's objects
 * cannot be copied. */
typedef struct sj_match {
    int64_t ts;
    sl_val_t value;
} sj_match_t;

typedef struct sj_matches {
    sl_ctx_t *ctx;
    sj_match_t *v;
    size_t n, cap;
    sl_err_t err;
} sj_matches_t;

static bool sj_collect_match(const sl_val_t *key, int64_t start, const sl_val_t *value, void *arg)
{
    sj_matches_t *ms = arg;

    (void)key;
    if (sl_val_is_null(value))
        return true;
    if (ms->n == ms->cap) {
        size_t cap = ms->cap ? ms->cap * 2 : 8;
        sj_match_t *v = sl_ctx_alloc(ms->ctx, cap * sizeof(*v));
        if (!v) {
            ms->err = SL_ERR_NOMEM;
            return false;
        }
        if (ms->n)
            memcpy(v, ms->v, ms->n * sizeof(*v));
        ms->v = v;
        ms->cap = cap;
    }
    ms->v[ms->n].ts = start;
    ms->v[ms->n].value = *value; /* in the record's memory (fetched _into) */
    ms->n++;
    return true;
}

static sl_err_t sj_join_init(sl_pnode_t *pn, sl_ctx_t *ctx)
{
    const sj_conf_t *c = pn->node->conf;
    sl_pnode_t *sib = sl_task_pnode(pn->task, c->sibling);
    sj_state_t *s = calloc(1, sizeof(*s));

    if (!s)
        return SL_ERR_NOMEM;
    s->other = sl_ctx_store(ctx, c->other_store);
    s->outer = c->outer_store ? sl_ctx_store(ctx, c->outer_store) : NULL;
    if (!s->other || (c->outer_store && !s->outer)) {
        free(s);
        return SL_ERR_NOENT;
    }
    /* Whichever of the two join nodes starts first makes the shared time. */
    if (sib && sib->state) {
        s->time = ((sj_state_t *)sib->state)->time;
    } else {
        s->time = calloc(1, sizeof(*s->time));
        if (!s->time) {
            free(s);
            return SL_ERR_NOMEM;
        }
        s->time->stream_time = -1;
        s->time->min_pending = INT64_MIN; /* after a restart: look once */
    }
    s->time->refs++;
    pn->state = s;
    return SL_OK;
}

static void sj_join_close(sl_pnode_t *pn)
{
    sj_state_t *s = pn->state;

    if (!s)
        return;
    if (--s->time->refs == 0)
        free(s->time);
    free(s);
    pn->state = NULL;
}

static void sj_join_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                            const sl_val_t *old)
{
    const sj_conf_t *c = pn->node->conf;
    sj_state_t *s = pn->state;
    sj_time_t *tm = s->time;
    sj_matches_t ms = {ctx, NULL, 0, 0, SL_OK};
    int64_t ts = sl_ctx_timestamp(ctx);
    int64_t from, to;
    sl_err_t err;

    (void)old;
    /* A null key has no partner and a null value means no record, as in
     * Kafka; neither joins nor counts for stream time. */
    if (sl_val_is_null(key) || sl_val_is_null(value)) {
        SL_DEBUG(SJ_LOG, "%s: skipping a record with a null key or value (%s offset %lld)", pn->node->name,
                 sl_ctx_topic(ctx) ? sl_ctx_topic(ctx) : "-", (long long)sl_ctx_offset(ctx));
        return;
    }
    if (ts > tm->stream_time)
        tm->stream_time = ts;
    if (ts + c->close[c->side] < tm->stream_time) {
        SL_DEBUG(SJ_LOG, "%s: skipping a late record (timestamp %lld, window closed at %lld, stream time %lld)",
                 pn->node->name, (long long)ts, (long long)(ts + c->close[c->side]), (long long)tm->stream_time);
        return;
    }
    if (s->outer && ts == tm->stream_time)
        sj_emit_closed(pn, ctx, s, c);

    from = ts - c->before > 0 ? ts - c->before : 0;
    to = ts + c->after > 0 ? ts + c->after : 0;
    err = sl_win_fetch_into(s->other, key, from, to, sl_ctx_arena(ctx), sj_collect_match, &ms);
    if (err == SL_OK)
        err = ms.err;
    if (err != SL_OK) {
        sl_ctx_fail(ctx, err, "%s: reading %s: %s", pn->node->name, c->other_store, sl_err_name(err));
        return;
    }
    for (size_t i = 0; i < ms.n; i++) {
        const sj_match_t *m = &ms.v[i];
        sl_val_t out;
        if (c->other_outer) {
            err = sj_pending_clear(c, s, key, m->ts);
            if (err != SL_OK) {
                sl_ctx_fail(ctx, err, "%s: writing %s: %s", pn->node->name, c->outer_store, sl_err_name(err));
                return;
            }
        }
        if (c->side == SJ_LEFT)
            out = c->fn(ctx, key, value, &m->value, c->arg);
        else
            out = c->fn(ctx, key, &m->value, value, c->arg);
        sl_ctx_forward_ts(ctx, key, &out, ts > m->ts ? ts : m->ts);
    }
    if (ms.n == 0 && c->outer) {
        err = sj_pending_add(c, s, key, value, ts);
        if (err != SL_OK)
            sl_ctx_fail(ctx, err, "%s: writing %s: %s", pn->node->name, c->outer_store, sl_err_name(err));
    }
}

static const sl_node_ops_t sj_join_ops = {
    .init = sj_join_init,
    .process = sj_join_process,
    .close = sj_join_close,
};

/* --- the builder call --------------------------------------------------- */

/* The names of one side's nodes and stores. */
typedef struct sj_names {
    char *windowed, *join, *store, *repartition;
} sj_names_t;

/* One side: its repartition (if an operator changed its key), windowed
 * node and join node (conf filled by the caller). */
static sl_node_t *sj_side(sl_builder_t *b, sl_stream_t *s, const sj_names_t *nm, const char *other_store,
                          const char *outer_store, const sl_serde_t *ks, const sl_serde_t *vs, sj_conf_t *conf)
{
    sl_node_t *parent = s->node, *win, *join;
    sj_window_conf_t *wc = sl_builder_alloc(b, sizeof(*wc));

    if (!wc)
        return NULL;
    if (s->key_changed) {
        parent = sl_builder_repartition(b, parent, nm->repartition ? nm->repartition : s->node->name, ks, vs, 0);
        if (!parent)
            return NULL;
    }
    wc->store = nm->store;
    win = sl_bnode_add(b, nm->windowed, NULL, &sj_window_ops, wc, &parent, 1);
    join = win ? sl_bnode_add(b, nm->join, NULL, &sj_join_ops, conf, &win, 1) : NULL;
    if (!join)
        return NULL;
    sl_bnode_connect_store(win, b, nm->store);
    sl_bnode_connect_store(join, b, other_store);
    if (outer_store)
        sl_bnode_connect_store(join, b, outer_store);
    return join;
}

static sl_err_t sj_add_window_store(sl_builder_t *b, const char *name, const sl_serde_t *ks, const sl_serde_t *vs,
                                    int64_t size, int64_t grace)
{
    sl_store_def_t def;

    memset(&def, 0, sizeof(def));
    def.name = name;
    def.kind = SL_STORE_WINDOW;
    def.ks = ks;
    def.vs = vs;
    def.logging = true;
    def.caching = false;
    /* A record is needed until the last record that may join it can no
     * longer arrive: the whole window plus grace. */
    def.retention_ms = size + grace > 0 ? size + grace : 1;
    def.window_size_ms = size;
    def.retain_duplicates = true;
    return sl_builder_add_store(b, &def);
}

sl_stream_t *sl_stream_join(sl_stream_t *a, sl_stream_t *b, const char *name, sl_join_kind_t kind,
                            sl_joiner_fn *fn, void *arg, int64_t before_ms, int64_t after_ms, int64_t grace_ms,
                            const sl_serde_t *vs_a, const sl_serde_t *vs_b)
{
    sl_builder_t *bld;
    sj_names_t na, nb;
    sj_conf_t *ca, *cb;
    const sl_serde_t *ks;
    char *outer_store = NULL, *merge_name = NULL;
    sl_node_t *ja, *jb;
    sl_stream_t *merged;

    if (!a || !b || sl_builder_failed(a->b))
        return NULL;
    bld = a->b;
    if (b->b != bld) {
        sl_builder_fail(bld, SL_ERR_INVAL, "join %s: the streams come from different builders", name ? name : "");
        return NULL;
    }
    if (!fn || (kind != SL_JOIN_INNER && kind != SL_JOIN_LEFT && kind != SL_JOIN_OUTER)) {
        sl_builder_fail(bld, SL_ERR_INVAL, "join %s: %s", name ? name : "", fn ? "unknown join kind" : "no joiner");
        return NULL;
    }
    if (before_ms + after_ms < 0 || grace_ms < 0 || before_ms > INT64_MAX / 4 || after_ms > INT64_MAX / 4 ||
        before_ms < -INT64_MAX / 4 || after_ms < -INT64_MAX / 4 || grace_ms > INT64_MAX / 4) {
        sl_builder_fail(bld, SL_ERR_INVAL,
                        "join %s: bad window (before %lld ms, after %lld ms, grace %lld ms): the window size "
                        "before + after and the grace must not be negative",
                        name ? name : "", (long long)before_ms, (long long)after_ms, (long long)grace_ms);
        return NULL;
    }
    ks = a->ks ? a->ks : b->ks ? b->ks : SL_AUTO;
    vs_a = vs_a ? vs_a : a->vs ? a->vs : SL_AUTO;
    vs_b = vs_b ? vs_b : b->vs ? b->vs : SL_AUTO;

    /* Kafka's names: generated in this order, or derived from name. */
    memset(&na, 0, sizeof(na));
    memset(&nb, 0, sizeof(nb));
    na.windowed = sl_join_name(bld, name, "-this-windowed", "KSTREAM-WINDOWED");
    nb.windowed = sl_join_name(bld, name, "-other-windowed", "KSTREAM-WINDOWED");
    na.join = sl_join_name(bld, name, "-this-join", kind == SL_JOIN_OUTER ? "KSTREAM-OUTERTHIS" : "KSTREAM-JOINTHIS");
    nb.join = sl_join_name(bld, name, "-other-join",
                           kind != SL_JOIN_INNER ? "KSTREAM-OUTEROTHER" : "KSTREAM-JOINOTHER");
    na.store = sl_join_name(bld, name ? name : na.join, name ? "-this-join-store" : "-store", NULL);
    nb.store = sl_join_name(bld, name ? name : nb.join, name ? "-other-join-store" : "-store", NULL);
    if (kind != SL_JOIN_INNER) {
        char *gen = name ? NULL : sl_builder_gen_name(bld, "KSTREAM-OUTERSHARED");
        outer_store = sl_join_name(bld, name ? name : gen, name ? "-outer-shared-join-store" : "-store", NULL);
    }
    if (name) {
        na.repartition = sl_join_name(bld, name, "-left", NULL);
        nb.repartition = sl_join_name(bld, name, "-right", NULL);
        merge_name = sl_join_name(bld, name, "-merge", NULL);
    }
    ca = sl_builder_alloc(bld, sizeof(*ca));
    cb = sl_builder_alloc(bld, sizeof(*cb));
    if (!na.windowed || !nb.windowed || !na.join || !nb.join || !na.store || !nb.store || !ca || !cb ||
        (kind != SL_JOIN_INNER && !outer_store) || (name && (!na.repartition || !nb.repartition || !merge_name))) {
        sl_builder_fail(bld, SL_ERR_NOMEM, "join %s: out of memory", name ? name : "");
        return NULL;
    }

    memset(ca, 0, sizeof(*ca));
    ca->side = SJ_LEFT;
    ca->outer = kind != SL_JOIN_INNER;
    ca->other_outer = kind == SL_JOIN_OUTER;
    ca->before = before_ms;
    ca->after = after_ms;
    /* A left record at t joins right records up to t + after; a right one
     * at t left records up to t + before. */
    ca->close[SJ_LEFT] = after_ms + grace_ms;
    ca->close[SJ_RIGHT] = before_ms + grace_ms;
    ca->fn = fn;
    ca->arg = arg;
    ca->other_store = nb.store;
    ca->outer_store = outer_store;
    ca->ks = ks;
    ca->vs[SJ_LEFT] = vs_a;
    ca->vs[SJ_RIGHT] = vs_b;
    *cb = *ca;
    cb->side = SJ_RIGHT;
    cb->outer = kind == SL_JOIN_OUTER;
    cb->other_outer = kind != SL_JOIN_INNER;
    cb->before = after_ms;
    cb->after = before_ms;
    cb->other_store = na.store;

    if (sj_add_window_store(bld, na.store, ks, vs_a, before_ms + after_ms, grace_ms) != SL_OK ||
        sj_add_window_store(bld, nb.store, ks, vs_b, before_ms + after_ms, grace_ms) != SL_OK)
        return NULL;
    if (outer_store) {
        sl_store_def_t def;
        memset(&def, 0, sizeof(def));
        def.name = outer_store;
        def.kind = SL_STORE_KV;
        def.ks = SL_BYTES; /* sj_pending_key's layout */
        def.vs = SL_BYTES;
        def.logging = true;
        if (sl_builder_add_store(bld, &def) != SL_OK)
            return NULL;
    }
    if (a == b && a->key_changed) {
        /* A self-join: one repartition feeds both sides. */
        sl_node_t *rp = sl_builder_repartition(bld, a->node, na.repartition ? na.repartition : a->node->name, ks,
                                               vs_a, 0);
        a = b = rp ? sl_stream_wrap(bld, rp, ks, vs_a, false) : NULL;
        if (!a)
            return NULL;
    }
    ja = sj_side(bld, a, &na, nb.store, outer_store, ks, vs_a, ca);
    jb = ja ? sj_side(bld, b, &nb, na.store, outer_store, ks, vs_b, cb) : NULL;
    if (!jb)
        return NULL;
    ca->sibling = jb;
    cb->sibling = ja;
    merged = sl_stream_merge(sl_stream_wrap(bld, ja, ks, NULL, false), sl_stream_wrap(bld, jb, ks, NULL, false),
                             merge_name);
    return merged ? sl_stream_wrap(bld, merged->node, ks, NULL, false) : NULL;
}
