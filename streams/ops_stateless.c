/*
 * ops_stateless.c - the stateless stream operators (filter, filter_not,
 * map, map_values, flat_map, flat_map_values, select_key, peek, foreach,
 * branch, merge), serdes and timestamps of streams, repartition, sinks,
 * sources, and the Processor API (sl_stream_process). Each operator is a
 * node with its own sl_node_ops_t; what a stream knows (serdes, whether its
 * key may have changed) travels in its handle.
 */
#include <stdio.h>
#include <string.h>

#include "core_int.h"

/* A user function and its arg. */
typedef struct op_conf {
    union {
        sl_predicate_fn *pred;
        sl_value_mapper_fn *vmap;
        sl_kv_mapper_fn *kvmap;
        sl_flat_mapper_fn *flat;
        sl_foreach_fn *each;
    } fn;
    void *arg;
} op_conf_t;

#define CONF(pn) ((const op_conf_t *)(pn)->node->conf)

/* --- behaviours --------------------------------------------------------------- */

static void pass_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                         const sl_val_t *old)
{
    SL_UNUSED(old);
    sl_pnode_forward(pn, ctx, key, value, NULL);
}

static void filter_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                           const sl_val_t *old)
{
    SL_UNUSED(old);
    const op_conf_t *c = CONF(pn);
    if (c->fn.pred(ctx, key, value, c->arg))
        sl_pnode_forward(pn, ctx, key, value, NULL);
}

static void filter_not_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                               const sl_val_t *old)
{
    SL_UNUSED(old);
    const op_conf_t *c = CONF(pn);
    if (!c->fn.pred(ctx, key, value, c->arg))
        sl_pnode_forward(pn, ctx, key, value, NULL);
}

static void null_key_filter_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                                    const sl_val_t *old)
{
    if (!sl_val_is_null(key))
        sl_pnode_forward(pn, ctx, key, value, old);
}

static void map_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                        const sl_val_t *old)
{
    SL_UNUSED(old);
    const op_conf_t *c = CONF(pn);
    sl_val_t k = sl_val_null(), v = sl_val_null();
    c->fn.kvmap(ctx, key, value, &k, &v, c->arg);
    sl_pnode_forward(pn, ctx, &k, &v, NULL);
}

static void map_values_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                               const sl_val_t *old)
{
    SL_UNUSED(old);
    const op_conf_t *c = CONF(pn);
    sl_val_t v = c->fn.vmap(ctx, key, value, c->arg);
    sl_pnode_forward(pn, ctx, key, &v, NULL);
}

static void select_key_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                               const sl_val_t *old)
{
    SL_UNUSED(old);
    const op_conf_t *c = CONF(pn);
    sl_val_t k = c->fn.vmap(ctx, key, value, c->arg);
    sl_pnode_forward(pn, ctx, &k, value, NULL);
}

/* flat_map and flat_map_values: the function emits from this node. */
static void flat_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                         const sl_val_t *old)
{
    SL_UNUSED(old);
    const op_conf_t *c = CONF(pn);
    const sl_val_t *saved = ctx->emit_key;
    ctx->emit_key = key;
    c->fn.flat(ctx, key, value, c->arg);
    ctx->emit_key = saved;
}

static void peek_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                         const sl_val_t *old)
{
    SL_UNUSED(old);
    const op_conf_t *c = CONF(pn);
    c->fn.each(ctx, key, value, c->arg);
    sl_pnode_forward(pn, ctx, key, value, NULL);
}

static void foreach_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                            const sl_val_t *old)
{
    SL_UNUSED(old);
    const op_conf_t *c = CONF(pn);
    c->fn.each(ctx, key, value, c->arg);
}

static const sl_node_ops_t pass_ops = {NULL, pass_process, NULL, NULL};
static const sl_node_ops_t filter_ops = {NULL, filter_process, NULL, NULL};
static const sl_node_ops_t filter_not_ops = {NULL, filter_not_process, NULL, NULL};
const sl_node_ops_t sl_null_key_filter_ops = {NULL, null_key_filter_process, NULL, NULL};
static const sl_node_ops_t map_ops = {NULL, map_process, NULL, NULL};
static const sl_node_ops_t map_values_ops = {NULL, map_values_process, NULL, NULL};
static const sl_node_ops_t select_key_ops = {NULL, select_key_process, NULL, NULL};
static const sl_node_ops_t flat_ops = {NULL, flat_process, NULL, NULL};
static const sl_node_ops_t peek_ops = {NULL, peek_process, NULL, NULL};
static const sl_node_ops_t foreach_ops = {NULL, foreach_process, NULL, NULL};

/* --- building ------------------------------------------------------------------ */

/* The common shape: one node after s with a user function. */
static sl_node_t *add_fn_node(sl_stream_t *s, const char *name, const char *prefix, const sl_node_ops_t *ops,
                              bool have_fn, op_conf_t conf)
{
    if (s == NULL || sl_builder_failed(s->b))
        return NULL;
    if (!have_fn) {
        sl_builder_fail(s->b, SL_ERR_INVAL, "%s '%s': no function given", prefix, name != NULL ? name : "(unnamed)");
        return NULL;
    }
    op_conf_t *c = sl_builder_alloc(s->b, sizeof(*c));
    if (c == NULL)
        return NULL;
    *c = conf;
    return sl_bnode_add(s->b, name, prefix, ops, c, &s->node, 1);
}

static sl_stream_t *derive(sl_stream_t *s, sl_node_t *n, const sl_serde_t *ks, const sl_serde_t *vs,
                           bool key_changed)
{
    return n != NULL ? sl_stream_wrap(s->b, n, ks, vs, key_changed) : NULL;
}

sl_stream_t *sl_builder_stream(sl_builder_t *b, const char *name, const char *topics, const sl_serde_t *ks,
                               const sl_serde_t *vs)
{
    if (sl_builder_failed(b))
        return NULL;
    if (topics == NULL || ks == NULL || vs == NULL) {
        sl_builder_fail(b, SL_ERR_INVAL, "source '%s': %s", name != NULL ? name : "(unnamed)",
                        topics == NULL ? "no topics" : "key and value serdes are required");
        return NULL;
    }
    sl_node_t *n = sl_bnode_source(b, name, topics, NULL, false, ks, vs);
    return n != NULL ? sl_stream_wrap(b, n, ks, vs, false) : NULL;
}

sl_stream_t *sl_builder_stream_pattern(sl_builder_t *b, const char *name, const char *regex, const sl_serde_t *ks,
                                       const sl_serde_t *vs)
{
    if (sl_builder_failed(b))
        return NULL;
    if (regex == NULL || ks == NULL || vs == NULL) {
        sl_builder_fail(b, SL_ERR_INVAL, "source '%s': %s", name != NULL ? name : "(unnamed)",
                        regex == NULL ? "no pattern" : "key and value serdes are required");
        return NULL;
    }
    sl_node_t *n = sl_bnode_source(b, name, NULL, regex, false, ks, vs);
    return n != NULL ? sl_stream_wrap(b, n, ks, vs, false) : NULL;
}

sl_stream_t *sl_stream_with_timestamps(sl_stream_t *s, sl_timestamp_fn *fn, void *arg)
{
    if (s == NULL || sl_builder_failed(s->b))
        return NULL;
    if (s->node->kind != SL_NODE_SOURCE || s->node->internal || fn == NULL) {
        sl_builder_fail(s->b, SL_ERR_INVAL, "with_timestamps on '%s': %s", s->node->name,
                        fn == NULL ? "no extractor given" : "only a source stream takes a timestamp extractor");
        return NULL;
    }
    s->node->ts_fn = fn;
    s->node->ts_arg = arg;
    return s;
}

sl_stream_t *sl_stream_filter(sl_stream_t *s, const char *name, sl_predicate_fn *fn, void *arg)
{
    op_conf_t c = {.fn.pred = fn, .arg = arg};
    sl_node_t *n = add_fn_node(s, name, "KSTREAM-FILTER", &filter_ops, fn != NULL, c);
    return n ? derive(s, n, s->ks, s->vs, s->key_changed) : NULL;
}

sl_stream_t *sl_stream_filter_not(sl_stream_t *s, const char *name, sl_predicate_fn *fn, void *arg)
{
    op_conf_t c = {.fn.pred = fn, .arg = arg};
    sl_node_t *n = add_fn_node(s, name, "KSTREAM-FILTER", &filter_not_ops, fn != NULL, c);
    return n ? derive(s, n, s->ks, s->vs, s->key_changed) : NULL;
}

sl_stream_t *sl_stream_map(sl_stream_t *s, const char *name, sl_kv_mapper_fn *fn, void *arg)
{
    op_conf_t c = {.fn.kvmap = fn, .arg = arg};
    sl_node_t *n = add_fn_node(s, name, "KSTREAM-MAP", &map_ops, fn != NULL, c);
    return n ? derive(s, n, NULL, NULL, true) : NULL;
}

sl_stream_t *sl_stream_map_values(sl_stream_t *s, const char *name, sl_value_mapper_fn *fn, void *arg)
{
    op_conf_t c = {.fn.vmap = fn, .arg = arg};
    sl_node_t *n = add_fn_node(s, name, "KSTREAM-MAPVALUES", &map_values_ops, fn != NULL, c);
    return n ? derive(s, n, s->ks, NULL, s->key_changed) : NULL;
}

sl_stream_t *sl_stream_flat_map(sl_stream_t *s, const char *name, sl_flat_mapper_fn *fn, void *arg)
{
    op_conf_t c = {.fn.flat = fn, .arg = arg};
    sl_node_t *n = add_fn_node(s, name, "KSTREAM-FLATMAP", &flat_ops, fn != NULL, c);
    return n ? derive(s, n, NULL, NULL, true) : NULL;
}

sl_stream_t *sl_stream_flat_map_values(sl_stream_t *s, const char *name, sl_flat_mapper_fn *fn, void *arg)
{
    op_conf_t c = {.fn.flat = fn, .arg = arg};
    sl_node_t *n = add_fn_node(s, name, "KSTREAM-FLATMAPVALUES", &flat_ops, fn != NULL, c);
    return n ? derive(s, n, s->ks, NULL, s->key_changed) : NULL;
}

sl_stream_t *sl_stream_select_key(sl_stream_t *s, const char *name, sl_value_mapper_fn *fn, void *arg)
{
    op_conf_t c = {.fn.vmap = fn, .arg = arg};
    sl_node_t *n = add_fn_node(s, name, "KSTREAM-KEY-SELECT", &select_key_ops, fn != NULL, c);
    return n ? derive(s, n, NULL, s->vs, true) : NULL;
}

sl_stream_t *sl_stream_peek(sl_stream_t *s, const char *name, sl_foreach_fn *fn, void *arg)
{
    op_conf_t c = {.fn.each = fn, .arg = arg};
    sl_node_t *n = add_fn_node(s, name, "KSTREAM-PEEK", &peek_ops, fn != NULL, c);
    return n ? derive(s, n, s->ks, s->vs, s->key_changed) : NULL;
}

sl_err_t sl_stream_foreach(sl_stream_t *s, const char *name, sl_foreach_fn *fn, void *arg)
{
    if (s == NULL)
        return SL_ERR_INVAL;
    op_conf_t c = {.fn.each = fn, .arg = arg};
    add_fn_node(s, name, "KSTREAM-FOREACH", &foreach_ops, fn != NULL, c);
    return sl_builder_error(s->b, NULL, 0);
}

/* --- branch ---------------------------------------------------------------------- */

typedef struct branch_conf {
    size_t n;
    sl_predicate_fn **preds;
    void **args;
} branch_conf_t;

/* Each record to the first branch whose predicate holds; the children are
 * the branches in order. */
static void branch_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                           const sl_val_t *old)
{
    SL_UNUSED(old);
    const branch_conf_t *c = pn->node->conf;
    for (size_t i = 0; i < c->n && i < pn->n_children; i++) {
        if (c->preds[i] == NULL || c->preds[i](ctx, key, value, c->args[i])) {
            sl_pnode_t *child = pn->children[i];
            sl_pnode_t *saved = ctx->cur;
            ctx->cur = child;
            child->ops->process(child, ctx, key, value, NULL);
            ctx->cur = saved;
            return;
        }
    }
}

static const sl_node_ops_t branch_ops = {NULL, branch_process, NULL, NULL};

sl_err_t sl_stream_branch(sl_stream_t *s, const char *name, size_t n, sl_predicate_fn *const *preds,
                          void *const *args, sl_stream_t **out)
{
    if (s == NULL || out == NULL)
        return SL_ERR_INVAL;
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    sl_builder_t *b = s->b;
    if (sl_builder_failed(b))
        return sl_builder_error(b, NULL, 0);
    if (n == 0 || preds == NULL) {
        sl_builder_fail(b, SL_ERR_INVAL, "branch '%s': no branches", name != NULL ? name : "(unnamed)");
        return SL_ERR_INVAL;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        if (preds[i] == NULL) {
            sl_builder_fail(b, SL_ERR_INVAL, "branch '%s': only the last branch may have no predicate",
                            name != NULL ? name : "(unnamed)");
            return SL_ERR_INVAL;
        }
    }
    branch_conf_t *c = sl_builder_alloc(b, sizeof(*c));
    sl_predicate_fn **p = sl_builder_alloc(b, n * sizeof(*p));
    void **a = sl_builder_alloc(b, n * sizeof(*a));
    if (c == NULL || p == NULL || a == NULL)
        return sl_builder_error(b, NULL, 0);
    for (size_t i = 0; i < n; i++) {
        p[i] = preds[i];
        a[i] = args != NULL ? args[i] : NULL;
    }
    c->n = n;
    c->preds = p;
    c->args = a;
    sl_node_t *bn = sl_bnode_add(b, name, "KSTREAM-BRANCH", &branch_ops, c, &s->node, 1);
    for (size_t i = 0; i < n && bn != NULL; i++) {
        char nm[300];
        const char *child_name = NULL;
        if (name != NULL) {
            snprintf(nm, sizeof(nm), "%s-%zu", name, i);
            child_name = nm;
        }
        sl_node_t *cn = sl_bnode_add(b, child_name, "KSTREAM-BRANCHCHILD", &pass_ops, NULL, &bn, 1);
        out[i] = derive(s, cn, s->ks, s->vs, s->key_changed);
    }
    return sl_builder_error(b, NULL, 0);
}

sl_stream_t *sl_stream_merge(sl_stream_t *a, sl_stream_t *b, const char *name)
{
    if (a == NULL || b == NULL)
        return NULL;
    if (a->b != b->b) {
        sl_builder_fail(a->b, SL_ERR_INVAL, "merge '%s': the streams come from different builders",
                        name != NULL ? name : "(unnamed)");
        return NULL;
    }
    sl_node_t *parents[2] = {a->node, b->node};
    sl_node_t *n = sl_bnode_add(a->b, name, "KSTREAM-MERGE", &pass_ops, NULL, parents, 2);
    return derive(a, n, a->ks == b->ks ? a->ks : NULL, a->vs == b->vs ? a->vs : NULL,
                  a->key_changed || b->key_changed);
}

sl_stream_t *sl_stream_with_serdes(sl_stream_t *s, const sl_serde_t *ks, const sl_serde_t *vs)
{
    if (s == NULL || sl_builder_failed(s->b))
        return NULL;
    return sl_stream_wrap(s->b, s->node, ks != NULL ? ks : s->ks, vs != NULL ? vs : s->vs, s->key_changed);
}

sl_stream_t *sl_stream_repartition(sl_stream_t *s, const char *name, int32_t partitions)
{
    if (s == NULL || sl_builder_failed(s->b))
        return NULL;
    const char *nm = name != NULL ? name : sl_builder_gen_name(s->b, "KSTREAM-REPARTITION");
    sl_node_t *src = sl_core_repartition(s->b, s->node, nm, s->ks, s->vs, partitions, false);
    return derive(s, src, s->ks, s->vs, false);
}

sl_err_t sl_stream_to(sl_stream_t *s, const char *name, const char *topic, const sl_serde_t *ks,
                      const sl_serde_t *vs, sl_partitioner_fn *fn, void *arg)
{
    if (s == NULL)
        return SL_ERR_INVAL;
    sl_bnode_sink(s->b, name, topic, false, ks != NULL ? ks : s->ks, vs != NULL ? vs : s->vs, fn, arg, s->node);
    return sl_builder_error(s->b, NULL, 0);
}

/* --- the Processor API ---------------------------------------------------------- */

typedef struct proc_conf {
    const sl_processor_def_t *def;
    void *arg;
} proc_conf_t;

static sl_err_t proc_init(sl_pnode_t *pn, sl_ctx_t *ctx)
{
    const proc_conf_t *c = pn->node->conf;
    pn->state = NULL;
    return c->def->init != NULL ? c->def->init(ctx, &pn->state, c->arg) : SL_OK;
}

static void proc_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                         const sl_val_t *old)
{
    SL_UNUSED(old);
    const proc_conf_t *c = pn->node->conf;
    c->def->process(ctx, pn->state, key, value);
}

static void proc_close(sl_pnode_t *pn)
{
    const proc_conf_t *c = pn->node->conf;
    if (c->def->close != NULL)
        c->def->close(pn->state, c->arg);
    pn->state = NULL;
}

static const sl_node_ops_t proc_ops = {proc_init, proc_process, proc_close, NULL};

sl_stream_t *sl_stream_process(sl_stream_t *s, const char *name, const sl_processor_def_t *def, void *arg,
                               const char *const *stores, size_t n_stores)
{
    if (s == NULL || sl_builder_failed(s->b))
        return NULL;
    if (def == NULL || def->process == NULL) {
        sl_builder_fail(s->b, SL_ERR_INVAL, "processor '%s': no process function", name != NULL ? name : "(unnamed)");
        return NULL;
    }
    proc_conf_t *c = sl_builder_alloc(s->b, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->def = def;
    c->arg = arg;
    sl_node_t *n = sl_bnode_add(s->b, name, "KSTREAM-PROCESSOR", &proc_ops, c, &s->node, 1);
    for (size_t i = 0; i < n_stores && n != NULL; i++) {
        if (stores[i] == NULL) {
            sl_builder_fail(s->b, SL_ERR_INVAL, "processor '%s': store name %zu is NULL", n->name, i);
            return NULL;
        }
        sl_bnode_connect_store(n, s->b, stores[i]);
    }
    return derive(s, n, NULL, NULL, true);
}
