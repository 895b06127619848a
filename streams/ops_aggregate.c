/*
 * ops_aggregate.c - count, reduce and aggregate of grouped streams and
 * grouped tables into key-value stores (KStreamAggregate, KStreamReduce,
 * KTableAggregate, KTableReduce), and what every materialized table of this
 * part shares: the folding functions (sl_agg_*), value copies, the table
 * forwarder that sends changes on through the store's cache flush listener
 * (or at once without a cache), and the getter on a store.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "streams_int.h"

/* ---------------------------------------------------------------------
 * Folding
 * --------------------------------------------------------------------- */

sl_val_t sl_agg_initial(const sl_agg_fns_t *f, sl_ctx_t *ctx)
{
    switch (f->kind) {
    case SL_AGG_COUNT:
        return sl_val_i64(0);
    case SL_AGG_AGGREGATE:
        return f->init(ctx, f->arg);
    case SL_AGG_REDUCE:
        break;
    }
    return sl_val_null();
}

sl_val_t sl_agg_add(const sl_agg_fns_t *f, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                    const sl_val_t *agg)
{
    sl_val_t first;

    if (sl_val_is_null(agg)) {
        if (f->kind == SL_AGG_REDUCE)
            return *value;
        first = sl_agg_initial(f, ctx);
        agg = &first;
    }
    switch (f->kind) {
    case SL_AGG_COUNT:
        return sl_val_i64(agg->type == SL_V_I64 ? agg->u.i64 + 1 : 1);
    case SL_AGG_REDUCE:
        return f->radd(ctx, agg, value, f->arg);
    case SL_AGG_AGGREGATE:
        break;
    }
    return f->add(ctx, key, value, agg, f->arg);
}

sl_val_t sl_agg_sub(const sl_agg_fns_t *f, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                    const sl_val_t *agg)
{
    switch (f->kind) {
    case SL_AGG_COUNT:
        return sl_val_i64(agg->type == SL_V_I64 ? agg->u.i64 - 1 : 0);
    case SL_AGG_REDUCE:
        return f->rsub(ctx, agg, value, f->arg);
    case SL_AGG_AGGREGATE:
        break;
    }
    return f->sub(ctx, key, value, agg, f->arg);
}

sl_val_t sl_agg_merge(const sl_agg_fns_t *f, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *a,
                      const sl_val_t *b)
{
    if (sl_val_is_null(a))
        return b ? *b : sl_val_null();
    if (sl_val_is_null(b))
        return *a;
    switch (f->kind) {
    case SL_AGG_COUNT:
        return sl_val_i64(a->u.i64 + b->u.i64);
    case SL_AGG_REDUCE:
        return f->radd(ctx, a, b, f->arg);
    case SL_AGG_AGGREGATE:
        break;
    }
    return f->merge(ctx, key, a, b, f->arg);
}

sl_val_t sl_agg_copy(sl_ctx_t *ctx, const sl_val_t *v)
{
    if (v == NULL)
        return sl_val_null();
    switch (v->type) {
    case SL_V_BYTES:
        return sl_val_bytes(ctx, v->u.bytes.ptr, v->u.bytes.len);
    case SL_V_STRING:
        return sl_val_strn(ctx, (const char *)v->u.bytes.ptr, v->u.bytes.len);
    case SL_V_JSON:
        return sl_val_json(ctx, json_incref(v->u.json));
    case SL_V_WINDOWED: {
        sl_val_t inner = sl_agg_copy(ctx, v->u.win.key);
        return sl_val_windowed(ctx, &inner, v->u.win.start, v->u.win.end);
    }
    default:
        return *v;
    }
}

/* ---------------------------------------------------------------------
 * Store access by windowed key
 * --------------------------------------------------------------------- */

typedef struct session_hit {
    int64_t start, end;
    sl_val_t value;
    bool found;
} session_hit_t;

static bool session_match(const sl_val_t *key, int64_t start, int64_t end, const sl_val_t *value, void *arg)
{
    session_hit_t *h = arg;

    (void)key;
    if (start != h->start || end != h->end)
        return true;
    h->value = *value; /* in the record's memory (found _into) */
    h->found = true;
    return false;
}

/* Unwraps a sliding window's stamped value into a copy of its aggregate. */
static sl_val_t unstamp(sl_ctx_t *ctx, const sl_val_t *v)
{
    if (v->type == SL_V_PTR && v->u.ptr != NULL)
        return sl_agg_copy(ctx, &((const sl_stamped_t *)v->u.ptr)->value);
    return sl_val_null();
}

sl_err_t sl_table_store_get(sl_ctx_t *ctx, sl_store_t *st, const sl_val_t *key, bool stamped, sl_val_t *out)
{
    sl_val_t v;
    sl_err_t err;

    *out = sl_val_null();
    if (sl_val_is_null(key))
        return SL_ERR_NOENT;
    switch (sl_store_kind(st)) {
    case SL_STORE_KV:
        err = sl_kv_get(st, key, &v);
        break;
    case SL_STORE_WINDOW:
        if (key->type != SL_V_WINDOWED)
            return SL_ERR_INVAL;
        err = sl_win_get(st, key->u.win.key, key->u.win.start, &v);
        break;
    case SL_STORE_SESSION: {
        session_hit_t h = {0};

        if (key->type != SL_V_WINDOWED)
            return SL_ERR_INVAL;
        h.start = key->u.win.start;
        h.end = key->u.win.end;
        err = sl_session_find_into(st, key->u.win.key, h.end, h.start, sl_ctx_arena(ctx), session_match, &h);
        if (err == 0 && !h.found)
            err = SL_ERR_NOENT;
        if (err == 0)
            *out = h.value;
        return err;
    }
    default:
        return SL_ERR_INVAL;
    }
    if (err != 0)
        return err;
    if (sl_val_is_null(&v))
        return SL_ERR_NOENT;
    *out = stamped ? unstamp(ctx, &v) : sl_agg_copy(ctx, &v);
    return 0;
}

/* ---------------------------------------------------------------------
 * The table forwarder
 * --------------------------------------------------------------------- */

static void fwd_send(sl_table_fwd_t *f, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *newv,
                     const sl_val_t *oldv, int64_t ts)
{
    int64_t saved = sl_ctx_timestamp(ctx);

    sl_ctx_set_timestamp(ctx, ts);
    sl_pnode_forward(f->pn, ctx, key, newv, oldv);
    sl_ctx_set_timestamp(ctx, saved);
}

/* Reads a serialized value of the store (NULL: null); a stamped value's
 * timestamp goes to *ts. */
static sl_err_t fwd_read(sl_table_fwd_t *f, const sl_serde_t *s, const uint8_t *p, int32_t n, sl_val_t *out,
                         int64_t *ts)
{
    sl_val_t v;
    sl_err_t err;

    *out = sl_val_null();
    if (p == NULL || n < 0)
        return 0;
    err = s->de(p, (size_t)n, sl_ctx_arena(f->ctx), &v, s->arg);
    if (err != 0)
        return err;
    if (f->stamped && v.type == SL_V_PTR && v.u.ptr != NULL)
        *ts = ((const sl_stamped_t *)v.u.ptr)->ts;
    *out = f->stamped ? unstamp(f->ctx, &v) : v;
    return 0;
}

static int64_t be64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return (int64_t)v;
}

/* The cache writes an entry through: the store's bytes back to values (a
 * window store's key is key||start||seq, a session store's key||end||start),
 * then on downstream as the change it folds. */
static void fwd_flushed(void *arg, const uint8_t *key, int32_t klen, const uint8_t *newv, int32_t nlen,
                        const uint8_t *oldv, int32_t olen, int64_t ts)
{
    sl_table_fwd_t *f = arg;
    const sl_store_def_t *def = sl_store_def(f->store);
    const sl_serde_t *ks = def->ks ? def->ks : SL_AUTO;
    const sl_serde_t *vs = def->vs ? def->vs : SL_AUTO;
    size_t tail = 0;
    sl_val_t k, nv, ov, wk;
    sl_err_t err;

    if (newv == NULL && oldv == NULL)
        return;
    if (def->kind == SL_STORE_WINDOW)
        tail = 12;
    else if (def->kind == SL_STORE_SESSION)
        tail = 16;
    if (key == NULL || klen < 0 || (size_t)klen < tail) {
        sl_ctx_fail(f->ctx, SL_ERR_PARSE, "store %s: cached key of %d bytes", def->name, (int)klen);
        return;
    }
    err = ks->de(key, (size_t)klen - tail, sl_ctx_arena(f->ctx), &k, ks->arg);
    /* A sliding window's result carries its records' largest timestamp. */
    if (err == 0)
        err = fwd_read(f, vs, newv, nlen, &nv, &ts);
    if (err == 0)
        err = fwd_read(f, vs, oldv, olen, &ov, &(int64_t){0});
    if (err != 0) {
        sl_ctx_fail(f->ctx, err, "store %s: cached entry unreadable", def->name);
        return;
    }
    if (def->kind == SL_STORE_WINDOW) {
        int64_t start = be64(key + klen - 12);
        int64_t size = f->spec ? f->spec->size_ms : def->window_size_ms;

        wk = sl_val_windowed(f->ctx, &k, start, start + size);
    } else if (def->kind == SL_STORE_SESSION) {
        wk = sl_val_windowed(f->ctx, &k, be64(key + klen - 8), be64(key + klen - 16));
    } else {
        wk = k;
    }
    fwd_send(f, f->ctx, &wk, &nv, &ov, ts);
}

sl_err_t sl_table_fwd_init(sl_table_fwd_t *f, sl_pnode_t *pn, sl_ctx_t *ctx, const char *store,
                           const sl_window_spec_t *spec, bool stamped)
{
    memset(f, 0, sizeof(*f));
    f->pn = pn;
    f->ctx = ctx;
    f->spec = spec;
    f->stamped = stamped;
    f->store = sl_ctx_store(ctx, store);
    if (f->store == NULL)
        return SL_ERR_NOENT;
    f->cached = sl_store_set_flush_listener(f->store, fwd_flushed, f);
    return 0;
}

void sl_table_fwd_change(sl_table_fwd_t *f, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *newv,
                         const sl_val_t *oldv, int64_t ts)
{
    sl_val_t nv = newv ? *newv : sl_val_null(), ov = oldv ? *oldv : sl_val_null();

    if (f->cached)
        return;
    if (f->stamped) {
        nv = unstamp(ctx, &nv);
        ov = unstamp(ctx, &ov);
    }
    fwd_send(f, ctx, key, &nv, oldv ? &ov : NULL, ts);
}

/* ---------------------------------------------------------------------
 * Grouped stream / grouped table aggregation into a kv store
 * --------------------------------------------------------------------- */

typedef struct agg_conf {
    sl_agg_fns_t fns;
    const char *store;
    bool from_table;
} agg_conf_t;

static sl_err_t agg_init(sl_pnode_t *pn, sl_ctx_t *ctx)
{
    const agg_conf_t *c = pn->node->conf;
    sl_table_fwd_t *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return SL_ERR_NOMEM;
    pn->state = f;
    return sl_table_fwd_init(f, pn, ctx, c->store, NULL, false);
}

static void agg_close(sl_pnode_t *pn)
{
    free(pn->state);
    pn->state = NULL;
}

/* Writes agg as key's new aggregate and sends the change on. */
static void agg_store(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *newv,
                      const sl_val_t *oldv)
{
    sl_table_fwd_t *f = pn->state;
    sl_err_t err = sl_kv_put(f->store, key, newv);

    if (err != 0) {
        sl_ctx_fail(ctx, err, "%s: store %s put failed", pn->node->name, sl_store_name(f->store));
        return;
    }
    sl_table_fwd_change(f, ctx, key, newv, oldv, sl_ctx_timestamp(ctx));
}

static void agg_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                        const sl_val_t *old)
{
    const agg_conf_t *c = pn->node->conf;
    sl_table_fwd_t *f = pn->state;
    const sl_val_t *v = value;
    bool is_new = true;
    sl_val_t cur, next;
    bool have;

    (void)old;
    if (c->from_table) {
        const sl_change_t *ch = value && value->type == SL_V_PTR ? value->u.ptr : NULL;

        if (ch == NULL)
            return;
        v = &ch->value;
        is_new = ch->is_new;
    }
    if (sl_val_is_null(key) || sl_val_is_null(v)) {
        SL_DEBUG("streams", "%s: skipping a record with a null key or value (topic %s offset %lld)",
                 pn->node->name, sl_ctx_topic(ctx) ? sl_ctx_topic(ctx) : "-", (long long)sl_ctx_offset(ctx));
        return;
    }
    have = sl_table_store_get(ctx, f->store, key, false, &cur) == 0;
    if (!is_new) {
        /* KTableAggregate: the old row leaves the aggregate it is in. */
        if (!have)
            return;
        next = sl_agg_sub(&c->fns, ctx, key, v, &cur);
    } else {
        next = sl_agg_add(&c->fns, ctx, key, v, have ? &cur : NULL);
    }
    agg_store(pn, ctx, key, &next, have ? &cur : &(sl_val_t){SL_V_NULL, {{0, 0}}});
}

static sl_err_t table_store_getter(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, sl_val_t *out)
{
    sl_table_fwd_t *f = pn->state;

    return sl_table_store_get(ctx, f->store, key, false, out);
}

static const sl_node_ops_t agg_ops = {
    .init = agg_init,
    .process = agg_process,
    .close = agg_close,
    .get = table_store_getter,
};

/* The aggregation node over g into store (a kv store named store, or a
 * generated name) with value serde vs. */
static sl_table_t *agg_build(sl_grouped_t *g, const char *name, const sl_agg_fns_t *fns, const char *store,
                             const sl_serde_t *vs)
{
    sl_builder_t *b;
    agg_conf_t *c;
    sl_store_def_t def = {0};
    sl_node_t *n;
    const char *prefix;

    if (g == NULL || sl_builder_failed(g->b))
        return NULL;
    b = g->b;
    if (g->from_table && ((fns->kind == SL_AGG_AGGREGATE && fns->sub == NULL) ||
                          (fns->kind == SL_AGG_REDUCE && fns->rsub == NULL))) {
        sl_builder_fail(b, SL_ERR_INVAL, "%s: a grouped table's aggregation needs a subtractor",
                        name ? name : "aggregate");
        return NULL;
    }
    c = sl_builder_alloc(b, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->fns = *fns;
    c->from_table = g->from_table;
    c->store = store ? sl_builder_strdup(b, store) : sl_builder_gen_name(b, "KSTREAM-AGGREGATE-STATE-STORE");
    if (c->store == NULL)
        return NULL;
    def.name = c->store;
    def.kind = SL_STORE_KV;
    def.ks = g->ks ? g->ks : SL_AUTO;
    def.vs = vs ? vs : SL_AUTO;
    def.logging = true;
    def.caching = true;
    if (sl_builder_add_store(b, &def) != 0)
        return NULL;
    if (g->from_table)
        prefix = fns->kind == SL_AGG_REDUCE ? "KTABLE-REDUCE" : "KTABLE-AGGREGATE";
    else
        prefix = fns->kind == SL_AGG_REDUCE ? "KSTREAM-REDUCE" : "KSTREAM-AGGREGATE";
    n = sl_bnode_add(b, name, prefix, &agg_ops, c, &g->node, 1);
    if (n == NULL)
        return NULL;
    sl_bnode_connect_store(n, b, c->store);
    return sl_table_wrap(b, n, def.ks, def.vs, c->store);
}

sl_table_t *sl_grouped_count(sl_grouped_t *g, const char *name, const char *store)
{
    sl_agg_fns_t f = {.kind = SL_AGG_COUNT};

    return agg_build(g, name, &f, store, SL_I64);
}

sl_table_t *sl_grouped_reduce(sl_grouped_t *g, const char *name, sl_reducer_fn *add, sl_reducer_fn *sub, void *arg,
                              const char *store)
{
    sl_agg_fns_t f = {.kind = SL_AGG_REDUCE, .radd = add, .rsub = sub, .arg = arg};

    if (g != NULL && add == NULL) {
        sl_builder_fail(g->b, SL_ERR_INVAL, "%s: reduce needs a reducer", name ? name : "reduce");
        return NULL;
    }
    return agg_build(g, name, &f, store, g ? g->vs : NULL);
}

sl_table_t *sl_grouped_aggregate(sl_grouped_t *g, const char *name, sl_initializer_fn *init, sl_aggregator_fn *add,
                                 sl_aggregator_fn *sub, void *arg, const sl_serde_t *vs, const char *store)
{
    sl_agg_fns_t f = {.kind = SL_AGG_AGGREGATE, .init = init, .add = add, .sub = sub, .arg = arg};

    if (g != NULL && (init == NULL || add == NULL)) {
        sl_builder_fail(g->b, SL_ERR_INVAL, "%s: aggregate needs an initializer and an aggregator",
                        name ? name : "aggregate");
        return NULL;
    }
    return agg_build(g, name, &f, store, vs);
}
