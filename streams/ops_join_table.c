/*
 * ops_join_table.c - joins that look a table up: stream-table (inner,
 * left), the lookup node behind stream-global-table joins (ops_global.c),
 * and table-table (inner, left, outer), as Kafka Streams 3.4 does them.
 *
 * A stream-table join node reads the table through the table node's getter
 * (sl_pnode_get) and is not the table's child: table updates produce no
 * output, and a stream record sees the table as it is when the record is
 * processed (a deleted row is absent). Getters read within one task, so
 * the join node and the table end in one sub-topology (sl_bnode_use), and a
 * stream whose key changed is repartitioned first.
 *
 * A table-table join has a node per side, a child of its table that reads
 * the other table's getter for each change, and a merge node forwarding
 * the (new, old) results of both (materialized in a store when one is
 * named). A row leaving the join is forwarded as a null new value. The
 * merge node's getter reads the store, or joins the two getters' values.
 */
#include <stdio.h>
#include <string.h>

#include "streams_int.h"

#define JT_LOG "streams"

char *sl_join_name(sl_builder_t *b, const char *name, const char *suffix, const char *prefix)
{
    size_t n;
    char *s;

    if (!name)
        return prefix ? sl_builder_gen_name(b, prefix) : NULL;
    n = strlen(name) + strlen(suffix) + 1;
    s = sl_builder_alloc(b, n);
    if (s)
        snprintf(s, n, "%s%s", name, suffix);
    return s;
}

/* The value key has at node (a table's getter), null when absent. */
static sl_err_t jt_get(sl_ctx_t *ctx, const sl_node_t *node, const sl_val_t *key, sl_val_t *out)
{
    sl_err_t err = sl_pnode_get(ctx, node, key, out);

    if (err == SL_ERR_NOENT || (err == SL_OK && out->type == SL_V_NULL)) {
        *out = sl_val_null();
        return SL_OK;
    }
    return err;
}

/* --- stream-table and stream-global-table --------------------------------- */

typedef struct jl_conf {
    bool left;
    sl_value_mapper_fn *key_fn;    /* NULL: the record's key */
    sl_joiner_fn *fn;
    void *arg;
    const sl_node_t *table;        /* read through its getter, or */
    const char *global_store;      /* a global table's store */
} jl_conf_t;

static sl_err_t jl_init(sl_pnode_t *pn, sl_ctx_t *ctx)
{
    const jl_conf_t *c = pn->node->conf;

    if (!c->global_store)
        return SL_OK;
    pn->state = sl_ctx_store(ctx, c->global_store);
    if (!pn->state) {
        SL_ERROR(JT_LOG, "%s: no global store %s in this instance", pn->node->name, c->global_store);
        return SL_ERR_NOENT;
    }
    return SL_OK;
}

static void jl_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                       const sl_val_t *old)
{
    const jl_conf_t *c = pn->node->conf;
    sl_val_t none = sl_val_null(), mkey, other;
    sl_err_t err;

    (void)old;
    if (!key)
        key = &none;
    /* A null value is no record, and a null lookup key has no row: such
     * records are dropped, as Kafka does (a null stream key is fine when a
     * key mapper gives a lookup key). */
    if (sl_val_is_null(value)) {
        SL_DEBUG(JT_LOG, "%s: skipping a record with a null value", pn->node->name);
        return;
    }
    mkey = c->key_fn ? c->key_fn(ctx, key, value, c->arg) : *key;
    if (sl_val_is_null(&mkey)) {
        SL_DEBUG(JT_LOG, "%s: skipping a record with a null join key", pn->node->name);
        return;
    }
    if (pn->state) {
        /* into this record's memory: the store is the global task's */
        err = sl_kv_get_into(pn->state, &mkey, sl_ctx_arena(ctx), &other);
        if (err == SL_ERR_NOENT) {
            other = sl_val_null();
            err = SL_OK;
        }
    } else {
        err = jt_get(ctx, c->table, &mkey, &other);
    }
    if (err != SL_OK) {
        sl_ctx_fail(ctx, err, "%s: table lookup: %s", pn->node->name, sl_err_name(err));
        return;
    }
    if (sl_val_is_null(&other) && !c->left)
        return;
    other = c->fn(ctx, key, value, &other, c->arg);
    sl_pnode_forward(pn, ctx, key, &other, NULL);
}

static const sl_node_ops_t jl_ops = {
    .init = jl_init,
    .process = jl_process,
};

static bool jt_kind_ok(sl_builder_t *b, const char *what, const char *name, sl_join_kind_t kind, bool outer_ok,
                       sl_joiner_fn *fn)
{
    if (!fn) {
        sl_builder_fail(b, SL_ERR_INVAL, "%s %s: no joiner", what, name ? name : "");
        return false;
    }
    if (kind != SL_JOIN_INNER && kind != SL_JOIN_LEFT && (kind != SL_JOIN_OUTER || !outer_ok)) {
        sl_builder_fail(b, SL_ERR_INVAL, "%s %s: %s", what, name ? name : "",
                        kind == SL_JOIN_OUTER ? "an outer join needs two tables or two streams" : "unknown join kind");
        return false;
    }
    return true;
}

sl_stream_t *sl_join_lookup_add(sl_stream_t *s, const char *name, sl_join_kind_t kind, sl_value_mapper_fn *key_fn,
                                sl_joiner_fn *fn, void *arg, const sl_node_t *table, const char *global_store)
{
    sl_builder_t *b = s->b;
    jl_conf_t *c;
    sl_node_t *parent = s->node, *n;

    if (!jt_kind_ok(b, table ? "stream-table join" : "stream-global-table join", name, kind, false, fn))
        return NULL;
    c = sl_builder_alloc(b, sizeof(*c));
    if (!c) {
        sl_builder_fail(b, SL_ERR_NOMEM, "join %s: out of memory", name ? name : "");
        return NULL;
    }
    memset(c, 0, sizeof(*c));
    c->left = kind == SL_JOIN_LEFT;
    c->key_fn = key_fn;
    c->fn = fn;
    c->arg = arg;
    c->table = table;
    c->global_store = global_store;
    /* Only a table join reads by the stream's key, within the partition. */
    if (table && s->key_changed) {
        parent = sl_builder_repartition(b, parent, name ? name : s->node->name, s->ks ? s->ks : SL_AUTO,
                                        s->vs ? s->vs : SL_AUTO, 0);
        if (!parent)
            return NULL;
    }
    n = sl_bnode_add(b, name, kind == SL_JOIN_LEFT ? "KSTREAM-LEFTJOIN" : "KSTREAM-JOIN", &jl_ops, c, &parent, 1);
    if (!n)
        return NULL;
    if (table)
        sl_bnode_use(n, b, (sl_node_t *)table);
    return sl_stream_wrap(b, n, s->ks, NULL, false);
}

sl_stream_t *sl_stream_join_table(sl_stream_t *s, sl_table_t *t, const char *name, sl_join_kind_t kind,
                                  sl_joiner_fn *fn, void *arg)
{
    if (!s || !t || sl_builder_failed(s->b))
        return NULL;
    if (t->b != s->b) {
        sl_builder_fail(s->b, SL_ERR_INVAL, "stream-table join %s: from different builders", name ? name : "");
        return NULL;
    }
    return sl_join_lookup_add(s, name, kind, NULL, fn, arg, t->node, NULL);
}

/* --- table-table ---------------------------------------------------------- */

/* A side's node: this side's table changes, looked up in the other. */
typedef struct jtt_conf {
    bool right;                    /* this is b's side */
    bool this_outer;               /* rows without the other side count */
    bool other_outer;              /* rows without this side count */
    sl_joiner_fn *fn;
    void *arg;
    const sl_node_t *other;        /* the other table's node (getter) */
} jtt_conf_t;

/* The merge node. */
typedef struct jtm_conf {
    sl_join_kind_t kind;
    sl_joiner_fn *fn;
    void *arg;
    const sl_node_t *a, *b;        /* the tables (getters) */
    const char *store;             /* NULL: not materialized */
} jtm_conf_t;

static sl_val_t jtt_apply(const jtt_conf_t *c, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *mine,
                          const sl_val_t *other)
{
    return c->right ? c->fn(ctx, key, other, mine, c->arg) : c->fn(ctx, key, mine, other, c->arg);
}

/* The joined row for this side's value v (NULL or null: absent) against
 * other: null when no row results. */
static sl_val_t jtt_row(const jtt_conf_t *c, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *v,
                        const sl_val_t *other)
{
    sl_val_t none = sl_val_null();

    if (!sl_val_is_null(v))
        return jtt_apply(c, ctx, key, v, other);
    if (!sl_val_is_null(other) && c->other_outer)
        return jtt_apply(c, ctx, key, &none, other);
    return none;
}

static void jtt_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                        const sl_val_t *old)
{
    const jtt_conf_t *c = pn->node->conf;
    sl_val_t other, nv, ov;
    sl_err_t err;

    if (sl_val_is_null(key)) {
        SL_DEBUG(JT_LOG, "%s: skipping a change with a null key", pn->node->name);
        return;
    }
    err = jt_get(ctx, c->other, key, &other);
    if (err != SL_OK) {
        sl_ctx_fail(ctx, err, "%s: table lookup: %s", pn->node->name, sl_err_name(err));
        return;
    }
    /* Without the other side, only this side's rows of a left/outer join
     * exist, and a change between two absences is none. */
    if (sl_val_is_null(&other) && (!c->this_outer || (sl_val_is_null(value) && sl_val_is_null(old))))
        return;
    nv = jtt_row(c, ctx, key, value, &other);
    if (old) {
        ov = jtt_row(c, ctx, key, old, &other);
        sl_pnode_forward(pn, ctx, key, &nv, &ov);
    } else {
        sl_pnode_forward(pn, ctx, key, &nv, NULL);
    }
}

static const sl_node_ops_t jtt_ops = {
    .process = jtt_process,
};

static sl_err_t jtm_init(sl_pnode_t *pn, sl_ctx_t *ctx)
{
    const jtm_conf_t *c = pn->node->conf;

    if (!c->store)
        return SL_OK;
    pn->state = sl_ctx_store(ctx, c->store);
    return pn->state ? SL_OK : SL_ERR_NOENT;
}

static void jtm_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                        const sl_val_t *old)
{
    const jtm_conf_t *c = pn->node->conf;

    if (pn->state) {
        sl_val_t none = sl_val_null();
        sl_err_t err = sl_kv_put(pn->state, key, value ? value : &none);
        if (err != SL_OK) {
            sl_ctx_fail(ctx, err, "%s: writing %s: %s", pn->node->name, c->store, sl_err_name(err));
            return;
        }
    }
    sl_pnode_forward(pn, ctx, key, value, old);
}

/* The join's current row for key: the store's, or the two tables' joined. */
static sl_err_t jtm_get(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, sl_val_t *out)
{
    const jtm_conf_t *c = pn->node->conf;
    sl_val_t va, vb;
    sl_err_t err;

    *out = sl_val_null();
    if (pn->state)
        return sl_kv_get(pn->state, key, out);
    err = jt_get(ctx, c->a, key, &va);
    if (err == SL_OK)
        err = jt_get(ctx, c->b, key, &vb);
    if (err != SL_OK)
        return err;
    if ((sl_val_is_null(&va) && (c->kind != SL_JOIN_OUTER || sl_val_is_null(&vb))) ||
        (sl_val_is_null(&vb) && c->kind == SL_JOIN_INNER))
        return SL_ERR_NOENT;
    *out = c->fn(ctx, key, &va, &vb, c->arg);
    return SL_OK;
}

static const sl_node_ops_t jtm_ops = {
    .init = jtm_init,
    .process = jtm_process,
    .get = jtm_get,
};

sl_table_t *sl_table_join(sl_table_t *a, sl_table_t *b, const char *name, sl_join_kind_t kind, sl_joiner_fn *fn,
                          void *arg, const char *store)
{
    static const char *const this_prefix[] = {"KTABLE-JOINTHIS", "KTABLE-LEFTTHIS", "KTABLE-OUTERTHIS"};
    static const char *const other_prefix[] = {"KTABLE-JOINOTHER", "KTABLE-LEFTOTHER", "KTABLE-OUTEROTHER"};
    sl_builder_t *bld;
    jtt_conf_t *ca, *cb;
    jtm_conf_t *cm;
    char *this_name, *other_name;
    sl_node_t *na, *nb, *parents[2], *merge;
    const sl_serde_t *ks;

    if (!a || !b || sl_builder_failed(a->b))
        return NULL;
    bld = a->b;
    if (b->b != bld) {
        sl_builder_fail(bld, SL_ERR_INVAL, "table-table join %s: from different builders", name ? name : "");
        return NULL;
    }
    if (!jt_kind_ok(bld, "table-table join", name, kind, true, fn))
        return NULL;
    ks = a->ks ? a->ks : b->ks;
    this_name = sl_join_name(bld, name, "-join-this", this_prefix[kind]);
    other_name = sl_join_name(bld, name, "-join-other", other_prefix[kind]);
    ca = sl_builder_alloc(bld, sizeof(*ca));
    cb = sl_builder_alloc(bld, sizeof(*cb));
    cm = sl_builder_alloc(bld, sizeof(*cm));
    if (!this_name || !other_name || !ca || !cb || !cm) {
        sl_builder_fail(bld, SL_ERR_NOMEM, "table-table join %s: out of memory", name ? name : "");
        return NULL;
    }
    memset(ca, 0, sizeof(*ca));
    ca->this_outer = kind != SL_JOIN_INNER;
    ca->other_outer = kind == SL_JOIN_OUTER;
    ca->fn = fn;
    ca->arg = arg;
    ca->other = b->node;
    *cb = *ca;
    cb->right = true;
    cb->this_outer = kind == SL_JOIN_OUTER;
    cb->other_outer = kind != SL_JOIN_INNER;
    cb->other = a->node;
    memset(cm, 0, sizeof(*cm));
    cm->kind = kind;
    cm->fn = fn;
    cm->arg = arg;
    cm->a = a->node;
    cm->b = b->node;
    if (store) {
        sl_store_def_t def;
        memset(&def, 0, sizeof(def));
        def.name = store;
        def.kind = SL_STORE_KV;
        def.ks = ks;
        def.logging = true;
        if (sl_builder_add_store(bld, &def) != SL_OK)
            return NULL;
        cm->store = sl_builder_strdup(bld, store);
        if (!cm->store)
            return NULL;
    }

    na = sl_bnode_add(bld, this_name, NULL, &jtt_ops, ca, &a->node, 1);
    nb = na ? sl_bnode_add(bld, other_name, NULL, &jtt_ops, cb, &b->node, 1) : NULL;
    if (!nb)
        return NULL;
    sl_bnode_use(na, bld, b->node);
    sl_bnode_use(nb, bld, a->node);
    parents[0] = na;
    parents[1] = nb;
    merge = sl_bnode_add(bld, name, "KTABLE-MERGE", &jtm_ops, cm, parents, 2);
    if (!merge)
        return NULL;
    if (store)
        sl_bnode_connect_store(merge, bld, store);
    else {
        /* the getter reads both tables */
        sl_bnode_use(merge, bld, a->node);
        sl_bnode_use(merge, bld, b->node);
    }
    return sl_table_wrap(bld, merge, ks, NULL, cm->store);
}
