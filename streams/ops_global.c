/*
 * ops_global.c - global tables (sl_builder_global_table) and stream-global
 * joins (sl_stream_join_global), as Kafka Streams' GlobalKTable.
 *
 * A global table is a source of its topic in the global sub-topology and a
 * node writing each record into the table's key-value store (a tombstone
 * deletes). Its owner (the driver, or the app's global thread) feeds that
 * sub-topology every partition of the topic, so each instance holds the
 * whole table, and every task reaches the store by name (sl_ctx_store
 * answers with the global task's store). The topic itself is the store's
 * changelog: the store logs nothing.
 *
 * A stream-global join looks up key_fn(key, value) in that store (the
 * lookup node of ops_join_table.c); it needs no co-partitioning, so no
 * repartition precedes it even after a key change.
 */
#include <string.h>

#include "streams_int.h"

#define GT_LOG "streams"

typedef struct gt_conf {
    const char *store;
} gt_conf_t;

static sl_err_t gt_init(sl_pnode_t *pn, sl_ctx_t *ctx)
{
    const gt_conf_t *c = pn->node->conf;

    pn->state = sl_ctx_store(ctx, c->store);
    return pn->state ? SL_OK : SL_ERR_NOENT;
}

static void gt_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                       const sl_val_t *old)
{
    const gt_conf_t *c = pn->node->conf;
    sl_val_t none = sl_val_null();
    sl_err_t err;

    (void)old;
    if (sl_val_is_null(key)) {
        SL_DEBUG(GT_LOG, "%s: skipping a record with a null key (%s offset %lld)", pn->node->name,
                 sl_ctx_topic(ctx) ? sl_ctx_topic(ctx) : "-", (long long)sl_ctx_offset(ctx));
        return;
    }
    err = sl_kv_put(pn->state, key, value ? value : &none);
    if (err != SL_OK)
        sl_ctx_fail(ctx, err, "%s: writing %s: %s", pn->node->name, c->store, sl_err_name(err));
}

static sl_err_t gt_get(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, sl_val_t *out)
{
    (void)ctx;
    return sl_kv_get(pn->state, key, out);
}

static const sl_node_ops_t gt_ops = {
    .init = gt_init,
    .process = gt_process,
    .get = gt_get,
};

sl_global_table_t *sl_builder_global_table(sl_builder_t *b, const char *name, const char *topic,
                                           const sl_serde_t *ks, const sl_serde_t *vs, const char *store)
{
    sl_global_table_t *g;
    sl_store_def_t def;
    sl_node_t *src, *n;
    gt_conf_t *c;
    char *src_name, *store_name;

    if (!b || sl_builder_failed(b))
        return NULL;
    if (!topic || !*topic || strchr(topic, ',') || !ks || !vs) {
        sl_builder_fail(b, SL_ERR_INVAL, "global table %s: %s", name ? name : "",
                        !topic || !*topic || strchr(topic, ',') ? "needs exactly one topic"
                                                                 : "needs the topic's key and value serdes");
        return NULL;
    }
    src_name = name ? sl_join_name(b, name, "-source", NULL) : NULL;
    if (store) {
        store_name = sl_builder_strdup(b, store);
    } else {
        /* Kafka's generated name: "<topic>-STATE-STORE-<index>" */
        char *prefix = sl_join_name(b, topic, "-STATE-STORE", NULL);
        store_name = prefix ? sl_builder_gen_name(b, prefix) : NULL;
    }
    c = sl_builder_alloc(b, sizeof(*c));
    g = sl_builder_alloc(b, sizeof(*g));
    if ((name && !src_name) || !store_name || !c || !g) {
        sl_builder_fail(b, SL_ERR_NOMEM, "global table %s: out of memory", name ? name : "");
        return NULL;
    }
    memset(&def, 0, sizeof(def));
    def.name = store_name;
    def.kind = SL_STORE_KV;
    def.ks = ks;
    def.vs = vs;
    def.logging = false; /* the topic is the changelog */
    if (sl_builder_add_store(b, &def) != SL_OK)
        return NULL;
    src = sl_bnode_source(b, src_name, topic, NULL, false, ks, vs);
    if (!src)
        return NULL;
    src->global = true;
    c->store = store_name;
    n = sl_bnode_add(b, name, "KTABLE-SOURCE", &gt_ops, c, &src, 1);
    if (!n)
        return NULL;
    sl_bnode_connect_store(n, b, store_name);
    memset(g, 0, sizeof(*g));
    g->b = b;
    g->node = n;
    g->ks = ks;
    g->vs = vs;
    g->store = store_name;
    return g;
}

sl_stream_t *sl_stream_join_global(sl_stream_t *s, sl_global_table_t *g, const char *name, sl_join_kind_t kind,
                                   sl_value_mapper_fn *key_fn, sl_joiner_fn *fn, void *arg)
{
    if (!s || !g || sl_builder_failed(s->b))
        return NULL;
    if (g->b != s->b) {
        sl_builder_fail(s->b, SL_ERR_INVAL, "stream-global-table join %s: from different builders",
                        name ? name : "");
        return NULL;
    }
    return sl_join_lookup_add(s, name, kind, key_fn, fn, arg, NULL, g->store);
}
