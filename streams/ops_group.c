/*
 * ops_group.c - grouping: group_by_key and group_by of streams (repartitioned
 * through "<app>-<name>-repartition" when the key may have changed, or
 * always with group_by), and group_by of tables (KTableRepartitionMap): each
 * row change is mapped to its new (key, value) and sent as the old row to
 * subtract and the new row to add - two records on the repartition topic,
 * as Kafka Streams 3.4 sends them, each the value's bytes followed by a
 * flag byte (1: new, 0: old), its ChangedSerializer format.
 */
#include "streams_int.h"

/* ---------------------------------------------------------------------
 * The change serde
 * --------------------------------------------------------------------- */

static sl_err_t change_ser(const sl_val_t *v, sl_buf_t *out, void *arg)
{
    const sl_serde_t *inner = arg;
    const sl_change_t *ch = v->type == SL_V_PTR ? v->u.ptr : NULL;

    if (ch == NULL || sl_val_is_null(&ch->value))
        return SL_ERR_INVAL;
    if (sl_serde_write(inner, &ch->value, out) != 0)
        return SL_ERR_INVAL;
    sl_buf_put_u8(out, ch->is_new ? 1 : 0);
    return sl_buf_err(out);
}

static sl_err_t change_de(const uint8_t *p, size_t n, sl_arena_t *arena, sl_val_t *out, void *arg)
{
    const sl_serde_t *inner = arg;
    sl_change_t *ch;
    sl_err_t err;

    if (n < 1 || p[n - 1] > 1)
        return SL_ERR_PARSE;
    ch = sl_arena_zalloc(arena, sizeof(*ch));
    if (ch == NULL)
        return SL_ERR_NOMEM;
    ch->is_new = p[n - 1] == 1;
    err = inner->de(p, n - 1, arena, &ch->value, inner->arg);
    if (err != 0)
        return err;
    *out = sl_val_ptr(ch);
    return 0;
}

const sl_serde_t *sl_serde_change(sl_builder_t *b, const sl_serde_t *inner)
{
    sl_serde_t *s = sl_builder_alloc(b, sizeof(*s));

    if (s == NULL)
        return NULL;
    s->name = "Change";
    s->type = SL_V_PTR;
    s->ser = change_ser;
    s->de = change_de;
    s->arg = (void *)inner;
    return s;
}

/* ---------------------------------------------------------------------
 * Streams
 * --------------------------------------------------------------------- */

static sl_grouped_t *grouped_wrap(sl_builder_t *b, sl_node_t *node, const sl_serde_t *ks, const sl_serde_t *vs,
                                  bool from_table)
{
    sl_grouped_t *g = sl_builder_alloc(b, sizeof(*g));

    if (g == NULL)
        return NULL;
    g->b = b;
    g->node = node;
    g->ks = ks;
    g->vs = vs;
    g->from_table = from_table;
    return g;
}

/* Groups s as it is keyed, through a repartition topic when repartition. */
static sl_grouped_t *group(sl_stream_t *s, const char *name, const sl_serde_t *ks, const sl_serde_t *vs,
                           bool repartition)
{
    sl_node_t *node;

    ks = ks ? ks : s->ks ? s->ks : SL_AUTO;
    vs = vs ? vs : s->vs ? s->vs : SL_AUTO;
    node = s->node;
    if (repartition) {
        const char *topic = name ? name : sl_builder_gen_name(s->b, "KSTREAM-AGGREGATE-STATE-STORE");

        node = topic ? sl_builder_repartition(s->b, s->node, topic, ks, vs, 0) : NULL;
        if (node == NULL)
            return NULL;
    }
    return grouped_wrap(s->b, node, ks, vs, false);
}

sl_grouped_t *sl_stream_group_by_key(sl_stream_t *s, const char *name, const sl_serde_t *ks, const sl_serde_t *vs)
{
    if (s == NULL || sl_builder_failed(s->b))
        return NULL;
    return group(s, name, ks, vs, s->key_changed);
}

sl_grouped_t *sl_stream_group_by(sl_stream_t *s, const char *name, sl_value_mapper_fn *fn, void *arg,
                                 const sl_serde_t *ks, const sl_serde_t *vs)
{
    sl_stream_t *keyed;

    if (s == NULL || sl_builder_failed(s->b))
        return NULL;
    if (fn == NULL) {
        sl_builder_fail(s->b, SL_ERR_INVAL, "%s: group_by needs a key selector", name ? name : "group_by");
        return NULL;
    }
    keyed = sl_stream_select_key(s, NULL, fn, arg);
    if (keyed == NULL)
        return NULL;
    /* The new key's serde is not the old one's unless given. */
    return group(keyed, name, ks ? ks : SL_AUTO, vs ? vs : s->vs, true);
}

/* ---------------------------------------------------------------------
 * Tables
 * --------------------------------------------------------------------- */

typedef struct tsel_conf {
    sl_kv_mapper_fn *fn;
    void *arg;
} tsel_conf_t;

/* Maps one side of a change and sends it on, unless its key or value is
 * null. */
static void tsel_send(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *v, bool is_new)
{
    const tsel_conf_t *c = pn->node->conf;
    sl_val_t k2 = sl_val_null(), v2 = sl_val_null(), out;
    sl_change_t *ch;

    c->fn(ctx, key, v, &k2, &v2, c->arg);
    if (sl_val_is_null(&k2) || sl_val_is_null(&v2))
        return;
    ch = sl_ctx_alloc(ctx, sizeof(*ch));
    if (ch == NULL) {
        sl_ctx_fail(ctx, SL_ERR_NOMEM, "%s: out of memory", pn->node->name);
        return;
    }
    ch->value = v2;
    ch->is_new = is_new;
    out = sl_val_ptr(ch);
    sl_pnode_forward(pn, ctx, &k2, &out, NULL);
}

static void tsel_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                         const sl_val_t *old)
{
    /* The old row first, as Kafka: it leaves its group before the new
     * row joins one (maybe the same). */
    if (!sl_val_is_null(old))
        tsel_send(pn, ctx, key, old, false);
    if (!sl_val_is_null(value))
        tsel_send(pn, ctx, key, value, true);
}

static const sl_node_ops_t tsel_ops = {
    .process = tsel_process,
};

sl_grouped_t *sl_table_group_by(sl_table_t *t, const char *name, sl_kv_mapper_fn *fn, void *arg,
                                const sl_serde_t *ks, const sl_serde_t *vs)
{
    tsel_conf_t *c;
    const sl_serde_t *chs;
    const char *topic;
    sl_node_t *n, *src;

    if (t == NULL || sl_builder_failed(t->b))
        return NULL;
    if (fn == NULL) {
        sl_builder_fail(t->b, SL_ERR_INVAL, "%s: group_by needs a mapper", name ? name : "group_by");
        return NULL;
    }
    ks = ks ? ks : SL_AUTO;
    vs = vs ? vs : SL_AUTO;
    c = sl_builder_alloc(t->b, sizeof(*c));
    chs = sl_serde_change(t->b, vs);
    if (c == NULL || chs == NULL)
        return NULL;
    c->fn = fn;
    c->arg = arg;
    n = sl_bnode_add(t->b, NULL, "KTABLE-SELECT", &tsel_ops, c, &t->node, 1);
    topic = name ? name : sl_builder_gen_name(t->b, "KTABLE-AGGREGATE-STATE-STORE");
    src = n && topic ? sl_builder_repartition(t->b, n, topic, ks, chs, 0) : NULL;
    if (src == NULL)
        return NULL;
    return grouped_wrap(t->b, src, ks, vs, true);
}
