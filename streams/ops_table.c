/*
 * ops_table.c - tables: a table read from a topic (KTableSource, always
 * materialized in a logged, cached key-value store), and the table views
 * filter / filter_not / map_values (KTableFilter, KTableMapValues: changes
 * (key, new, old) mapped on both sides, and getters that read through the
 * parent), and to_stream (KTableToStream: deletes become null values).
 *
 * The source table's store is logged to its own changelog
 * "<app>-<store>-changelog" rather than reusing the source topic as Kafka
 * does by default (topology.optimization): a restore reads the changelog,
 * which holds exactly what the store holds.
 */
#include <stdlib.h>

#include "streams_int.h"

/* ---------------------------------------------------------------------
 * Source table
 * --------------------------------------------------------------------- */

typedef struct src_conf {
    const char *store;
} src_conf_t;

static sl_err_t src_init(sl_pnode_t *pn, sl_ctx_t *ctx)
{
    const src_conf_t *c = pn->node->conf;
    sl_table_fwd_t *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return SL_ERR_NOMEM;
    pn->state = f;
    return sl_table_fwd_init(f, pn, ctx, c->store, NULL, false);
}

static void src_close(sl_pnode_t *pn)
{
    free(pn->state);
    pn->state = NULL;
}

static void src_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                        const sl_val_t *old)
{
    sl_table_fwd_t *f = pn->state;
    sl_val_t prior, nv = value ? *value : sl_val_null();
    sl_err_t err;

    (void)old;
    if (sl_val_is_null(key)) {
        SL_WARN("streams", "%s: skipping a record with a null key (topic %s offset %lld)", pn->node->name,
                sl_ctx_topic(ctx) ? sl_ctx_topic(ctx) : "-", (long long)sl_ctx_offset(ctx));
        return;
    }
    err = sl_table_store_get(ctx, f->store, key, false, &prior);
    if (err != 0 && err != SL_ERR_NOENT) {
        sl_ctx_fail(ctx, err, "%s: store %s get failed", pn->node->name, sl_store_name(f->store));
        return;
    }
    err = sl_kv_put(f->store, key, &nv);
    if (err != 0) {
        sl_ctx_fail(ctx, err, "%s: store %s put failed", pn->node->name, sl_store_name(f->store));
        return;
    }
    sl_table_fwd_change(f, ctx, key, &nv, &prior, sl_ctx_timestamp(ctx));
}

static sl_err_t src_get(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, sl_val_t *out)
{
    sl_table_fwd_t *f = pn->state;

    return sl_table_store_get(ctx, f->store, key, false, out);
}

static const sl_node_ops_t src_ops = {
    .init = src_init,
    .process = src_process,
    .close = src_close,
    .get = src_get,
};

sl_table_t *sl_builder_table(sl_builder_t *b, const char *name, const char *topic, const sl_serde_t *ks,
                             const sl_serde_t *vs, const char *store)
{
    sl_store_def_t def = {0};
    src_conf_t *c;
    sl_node_t *src, *n;

    if (b == NULL || sl_builder_failed(b))
        return NULL;
    if (topic == NULL || ks == NULL || vs == NULL) {
        sl_builder_fail(b, SL_ERR_INVAL, "%s: a table needs a topic and its serdes", name ? name : "table");
        return NULL;
    }
    c = sl_builder_alloc(b, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->store = store ? sl_builder_strdup(b, store) : sl_builder_gen_name(b, "KSTREAM-SOURCE-STATE-STORE");
    if (c->store == NULL)
        return NULL;
    def.name = c->store;
    def.kind = SL_STORE_KV;
    def.ks = ks;
    def.vs = vs;
    def.logging = true;
    def.caching = true;
    if (sl_builder_add_store(b, &def) != 0)
        return NULL;
    src = sl_bnode_source(b, name, topic, NULL, false, ks, vs);
    if (src == NULL)
        return NULL;
    n = sl_bnode_add(b, NULL, "KTABLE-SOURCE", &src_ops, c, &src, 1);
    if (n == NULL)
        return NULL;
    sl_bnode_connect_store(n, b, c->store);
    return sl_table_wrap(b, n, ks, vs, c->store);
}

/* ---------------------------------------------------------------------
 * Views: filter, filter_not, map_values
 * --------------------------------------------------------------------- */

typedef struct view_conf {
    sl_predicate_fn *pred;
    sl_value_mapper_fn *map;
    void *arg;
    bool negate;
    const sl_node_t *parent;
} view_conf_t;

/* The view of one value (null: absent or filtered out). */
static sl_val_t view_apply(const view_conf_t *c, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *v)
{
    if (sl_val_is_null(v))
        return sl_val_null();
    if (c->map != NULL)
        return c->map(ctx, key, v, c->arg);
    if (c->pred(ctx, key, v, c->arg) != c->negate)
        return *v;
    return sl_val_null();
}

static void view_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                         const sl_val_t *old)
{
    const view_conf_t *c = pn->node->conf;
    sl_val_t nv = view_apply(c, ctx, key, value), ov;

    if (old == NULL) {
        sl_pnode_forward(pn, ctx, key, &nv, NULL);
        return;
    }
    ov = view_apply(c, ctx, key, old);
    /* A filter drops a change neither side of which passes. */
    if (c->map == NULL && sl_val_is_null(&nv) && sl_val_is_null(&ov))
        return;
    sl_pnode_forward(pn, ctx, key, &nv, &ov);
}

static sl_err_t view_get(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, sl_val_t *out)
{
    const view_conf_t *c = pn->node->conf;
    sl_val_t v;
    sl_err_t err = sl_pnode_get(ctx, c->parent, key, &v);

    *out = sl_val_null();
    if (err != 0)
        return err;
    *out = view_apply(c, ctx, key, &v);
    return sl_val_is_null(out) ? SL_ERR_NOENT : 0;
}

static const sl_node_ops_t view_ops = {
    .process = view_process,
    .get = view_get,
};

static sl_table_t *view_build(sl_table_t *t, const char *name, const char *prefix, const view_conf_t *conf,
                              const sl_serde_t *vs)
{
    view_conf_t *c;
    sl_node_t *n;
    sl_table_t *out;

    if (t == NULL || sl_builder_failed(t->b))
        return NULL;
    if (conf->pred == NULL && conf->map == NULL) {
        sl_builder_fail(t->b, SL_ERR_INVAL, "%s: no function given", name ? name : prefix);
        return NULL;
    }
    c = sl_builder_alloc(t->b, sizeof(*c));
    if (c == NULL)
        return NULL;
    *c = *conf;
    c->parent = t->node;
    n = sl_bnode_add(t->b, name, prefix, &view_ops, c, &t->node, 1);
    if (n == NULL)
        return NULL;
    out = sl_table_wrap(t->b, n, t->ks, vs, NULL);
    if (out == NULL)
        return NULL;
    out->windowed = t->windowed;
    out->window = t->window;
    return out;
}

sl_table_t *sl_table_filter(sl_table_t *t, const char *name, sl_predicate_fn *fn, void *arg)
{
    view_conf_t c = {.pred = fn, .arg = arg};

    return view_build(t, name, "KTABLE-FILTER", &c, t ? t->vs : NULL);
}

sl_table_t *sl_table_filter_not(sl_table_t *t, const char *name, sl_predicate_fn *fn, void *arg)
{
    view_conf_t c = {.pred = fn, .arg = arg, .negate = true};

    return view_build(t, name, "KTABLE-FILTER", &c, t ? t->vs : NULL);
}

sl_table_t *sl_table_map_values(sl_table_t *t, const char *name, sl_value_mapper_fn *fn, void *arg)
{
    view_conf_t c = {.map = fn, .arg = arg};

    return view_build(t, name, "KTABLE-MAPVALUES", &c, NULL);
}

/* ---------------------------------------------------------------------
 * to_stream
 * --------------------------------------------------------------------- */

static void to_stream_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                              const sl_val_t *old)
{
    sl_val_t v = value ? *value : sl_val_null();

    (void)old;
    sl_pnode_forward(pn, ctx, key, &v, NULL);
}

static const sl_node_ops_t to_stream_ops = {
    .process = to_stream_process,
};

sl_stream_t *sl_table_to_stream(sl_table_t *t, const char *name)
{
    sl_node_t *n;

    if (t == NULL || sl_builder_failed(t->b))
        return NULL;
    n = sl_bnode_add(t->b, name, "KTABLE-TOSTREAM", &to_stream_ops, NULL, &t->node, 1);
    if (n == NULL)
        return NULL;
    return sl_stream_wrap(t->b, n, t->ks, t->vs, false);
}
