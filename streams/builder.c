/*
 * builder.c - sl_builder_t: the node graph every DSL operator adds to,
 * node names (given or generated as Kafka Streams does), the sticky first
 * error, declared stores, the repartition step (filter, internal sink and
 * source) and the handle wrappers. The builder's memory becomes the built
 * topology's (sl_topology_build takes it over).
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

struct sl_builder {
    sl_arena_t mem;                /* nodes, names, configs, handles */
    sl_node_t **nodes;             /* creation order */
    size_t n_nodes, cap_nodes;
    sl_store_def_t *stores;
    size_t n_stores, cap_stores;
    sl_map_t names;                /* node name -> node */
    int next_name;                 /* the counter of generated names */
    sl_err_t err;
    char msg[512];
};

sl_builder_t *sl_builder_new(void)
{
    sl_builder_t *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return NULL;
    sl_arena_init(&b->mem, 16384, 0);
    sl_map_init(&b->names);
    return b;
}

void sl_builder_free(sl_builder_t *b)
{
    if (b == NULL)
        return;
    sl_map_fini(&b->names, NULL);
    sl_arena_fini(&b->mem);
    free(b);
}

sl_err_t sl_builder_error(const sl_builder_t *b, char *buf, size_t len)
{
    if (b == NULL)
        return SL_ERR_INVAL;
    if (buf != NULL && len > 0)
        snprintf(buf, len, "%s", b->err != SL_OK ? b->msg : "");
    return b->err;
}

bool sl_builder_failed(const sl_builder_t *b)
{
    return b == NULL || b->err != SL_OK;
}

void sl_builder_fail(sl_builder_t *b, sl_err_t err, const char *fmt, ...)
{
    if (b == NULL || b->err != SL_OK)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->msg, sizeof(b->msg), fmt, ap);
    va_end(ap);
    b->err = err != SL_OK ? err : SL_ERR_INVAL;
}

void *sl_builder_alloc(sl_builder_t *b, size_t n)
{
    void *p = sl_arena_zalloc(&b->mem, n);
    if (p == NULL)
        sl_builder_fail(b, SL_ERR_NOMEM, "out of memory building the topology");
    return p;
}

char *sl_builder_strdup(sl_builder_t *b, const char *s)
{
    char *p = sl_arena_strndup(&b->mem, s, strlen(s));
    if (p == NULL)
        sl_builder_fail(b, SL_ERR_NOMEM, "out of memory building the topology");
    return p;
}

/* Appends x to an array in builder memory, doubling it when full (the old
 * copy stays in the arena: topologies are small). */
static bool push(sl_builder_t *b, void *arr_p, size_t *n, size_t *cap, const void *x, size_t elem)
{
    char **arr = arr_p;
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        char *p = sl_builder_alloc(b, ncap * elem);
        if (p == NULL)
            return false;
        if (*n > 0)
            memcpy(p, *arr, *n * elem);
        *arr = p;
        *cap = ncap;
    }
    memcpy(*arr + *n * elem, x, elem);
    (*n)++;
    return true;
}

/* Pointer arrays grow by powers of two: the capacity is implied by the
 * count. arr_p points to the array pointer. */
static bool push_ptr(sl_builder_t *b, void *arr_p, size_t *n, void *x)
{
    size_t cap = *n;
    if (cap & (cap - 1)) { /* not a power of two: room left */
        size_t c = 1;
        while (c < cap)
            c <<= 1;
        cap = c;
    }
    return push(b, arr_p, n, &cap, &x, sizeof(x));
}

char *sl_builder_gen_name(sl_builder_t *b, const char *prefix)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s-%010d", prefix, b->next_name++);
    return sl_builder_strdup(b, buf);
}

/* A new node named name (or generated from prefix), registered under its
 * unique name. */
static sl_node_t *node_new(sl_builder_t *b, const char *name, const char *prefix, sl_node_kind_t kind)
{
    if (sl_builder_failed(b))
        return NULL;
    if (name != NULL && name[0] == '\0') {
        sl_builder_fail(b, SL_ERR_INVAL, "a node name is empty (%s)", prefix);
        return NULL;
    }
    char *nm = name != NULL ? sl_builder_strdup(b, name) : sl_builder_gen_name(b, prefix);
    sl_node_t *n = sl_builder_alloc(b, sizeof(*n));
    if (nm == NULL || n == NULL)
        return NULL;
    if (sl_map_has(&b->names, nm, strlen(nm))) {
        sl_builder_fail(b, SL_ERR_INVAL, "node name '%s' is used twice (names must be unique in a topology)", nm);
        return NULL;
    }
    n->name = nm;
    n->kind = kind;
    n->index = (int)b->n_nodes;
    n->subtopology = -1;
    if (sl_map_put(&b->names, nm, strlen(nm), n, NULL) != SL_OK) {
        sl_builder_fail(b, SL_ERR_NOMEM, "out of memory building the topology");
        return NULL;
    }
    if (!push_ptr(b, &b->nodes, &b->n_nodes, n))
        return NULL;
    return n;
}

static bool link_parent(sl_builder_t *b, sl_node_t *child, sl_node_t *parent)
{
    if (parent->kind == SL_NODE_SINK) {
        sl_builder_fail(b, SL_ERR_INVAL, "node '%s': its parent '%s' is a sink, which has no children", child->name,
                        parent->name);
        return false;
    }
    return push_ptr(b, &child->parents, &child->n_parents, parent) &&
           push_ptr(b, &parent->children, &parent->n_children, child);
}

sl_node_t *sl_bnode_add(sl_builder_t *b, const char *name, const char *prefix, const sl_node_ops_t *ops,
                        void *conf, sl_node_t *const *parents, size_t n_parents)
{
    if (sl_builder_failed(b))
        return NULL;
    for (size_t i = 0; i < n_parents; i++) {
        if (parents[i] == NULL) {
            sl_builder_fail(b, SL_ERR_INVAL, "node '%s': a parent is missing", name != NULL ? name : prefix);
            return NULL;
        }
    }
    if (ops == NULL || ops->process == NULL) {
        sl_builder_fail(b, SL_ERR_INVAL, "node '%s': no process function", name != NULL ? name : prefix);
        return NULL;
    }
    sl_node_t *n = node_new(b, name, prefix, SL_NODE_PROCESSOR);
    if (n == NULL)
        return NULL;
    n->ops = ops;
    n->conf = conf;
    for (size_t i = 0; i < n_parents; i++)
        if (!link_parent(b, n, parents[i]))
            return NULL;
    return n;
}

/* Splits "a, b,c" into trimmed names; an empty one is an error. */
static bool split_topics(sl_builder_t *b, sl_node_t *n, const char *topics)
{
    const char *p = topics;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
        const char *s = p;
        while (len > 0 && (*s == ' ' || *s == '\t'))
            s++, len--;
        while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        if (len == 0) {
            sl_builder_fail(b, SL_ERR_INVAL, "source '%s': empty topic name in \"%s\"", n->name, topics);
            return false;
        }
        char *t = sl_arena_strndup(&b->mem, s, len);
        if (t == NULL || !push_ptr(b, &n->topics, &n->n_topics, t)) {
            sl_builder_fail(b, SL_ERR_NOMEM, "out of memory building the topology");
            return false;
        }
        if (e == NULL)
            return true;
        p = e + 1;
    }
}

sl_node_t *sl_bnode_source(sl_builder_t *b, const char *name, const char *topics, const char *pattern,
                           bool internal, const sl_serde_t *ks, const sl_serde_t *vs)
{
    if (sl_builder_failed(b))
        return NULL;
    if ((topics == NULL) == (pattern == NULL)) {
        sl_builder_fail(b, SL_ERR_INVAL, "source '%s': give topics or a pattern", name != NULL ? name : "?");
        return NULL;
    }
    if (pattern != NULL) {
        regex_t re;
        int rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char why[128];
            regerror(rc, &re, why, sizeof(why));
            sl_builder_fail(b, SL_ERR_INVAL, "source '%s': bad pattern \"%s\": %s", name != NULL ? name : "?",
                            pattern, why);
            return NULL;
        }
        regfree(&re);
    }
    sl_node_t *n = node_new(b, name, "KSTREAM-SOURCE", SL_NODE_SOURCE);
    if (n == NULL)
        return NULL;
    n->internal = internal;
    n->ks = ks;
    n->vs = vs;
    if (pattern != NULL)
        n->pattern = sl_builder_strdup(b, pattern);
    else if (!split_topics(b, n, topics))
        return NULL;
    return sl_builder_failed(b) ? NULL : n;
}

sl_node_t *sl_bnode_sink(sl_builder_t *b, const char *name, const char *topic, bool internal,
                         const sl_serde_t *ks, const sl_serde_t *vs, sl_partitioner_fn *fn, void *arg,
                         sl_node_t *parent)
{
    if (sl_builder_failed(b))
        return NULL;
    if (parent == NULL || topic == NULL || topic[0] == '\0') {
        sl_builder_fail(b, SL_ERR_INVAL, "sink '%s': %s", name != NULL ? name : "?",
                        parent == NULL ? "no parent stream" : "no topic");
        return NULL;
    }
    if (ks == NULL || vs == NULL) {
        sl_builder_fail(b, SL_ERR_INVAL,
                        "sink '%s' to topic '%s': the %s serde is unknown (an operator changed the %s); give one",
                        name != NULL ? name : "(unnamed)", topic, ks == NULL ? "key" : "value",
                        ks == NULL ? "key" : "value");
        return NULL;
    }
    sl_node_t *n = node_new(b, name, "KSTREAM-SINK", SL_NODE_SINK);
    if (n == NULL)
        return NULL;
    n->topic = sl_builder_strdup(b, topic);
    n->internal = internal;
    n->ks = ks;
    n->vs = vs;
    n->part_fn = fn;
    n->part_arg = arg;
    if (!link_parent(b, n, parent))
        return NULL;
    return sl_builder_failed(b) ? NULL : n;
}

void sl_bnode_connect_store(sl_node_t *n, sl_builder_t *b, const char *store)
{
    if (n == NULL || sl_builder_failed(b))
        return;
    for (size_t i = 0; i < n->n_stores; i++)
        if (strcmp(n->stores[i], store) == 0)
            return;
    char *s = sl_builder_strdup(b, store);
    if (s != NULL)
        push_ptr(b, &n->stores, &n->n_stores, s);
}

void sl_bnode_use(sl_node_t *n, sl_builder_t *b, sl_node_t *other)
{
    if (n == NULL || other == NULL || sl_builder_failed(b))
        return;
    if (n->getter_of == NULL)
        n->getter_of = other;
    push_ptr(b, &n->uses, &n->n_uses, other);
}

sl_node_t *sl_core_repartition(sl_builder_t *b, sl_node_t *parent, const char *name, const sl_serde_t *ks,
                               const sl_serde_t *vs, int32_t partitions, bool drop_null_keys)
{
    if (sl_builder_failed(b))
        return NULL;
    if (parent == NULL || name == NULL) {
        sl_builder_fail(b, SL_ERR_INVAL, "repartition: no %s", parent == NULL ? "parent" : "name");
        return NULL;
    }
    if (partitions < 0) {
        sl_builder_fail(b, SL_ERR_INVAL, "repartition '%s': negative partition count %d", name, (int)partitions);
        return NULL;
    }
    if (ks == NULL)
        ks = SL_AUTO;
    if (vs == NULL)
        vs = SL_AUTO;
    char nm[300], topic[300];
    snprintf(topic, sizeof(topic), "%s-repartition", name);
    if (drop_null_keys) {
        snprintf(nm, sizeof(nm), "%s-repartition-filter", name);
        parent = sl_bnode_add(b, nm, NULL, &sl_null_key_filter_ops, NULL, &parent, 1);
    }
    snprintf(nm, sizeof(nm), "%s-repartition-sink", name);
    sl_node_t *sink = sl_bnode_sink(b, nm, topic, true, ks, vs, NULL, NULL, parent);
    if (sink == NULL)
        return NULL;
    sink->repartition_count = partitions;
    snprintf(nm, sizeof(nm), "%s-repartition-source", name);
    return sl_bnode_source(b, nm, topic, NULL, true, ks, vs);
}

sl_node_t *sl_builder_repartition(sl_builder_t *b, sl_node_t *parent, const char *name, const sl_serde_t *ks,
                                  const sl_serde_t *vs, int32_t partitions)
{
    return sl_core_repartition(b, parent, name, ks, vs, partitions, true);
}

sl_stream_t *sl_stream_wrap(sl_builder_t *b, sl_node_t *node, const sl_serde_t *ks, const sl_serde_t *vs,
                            bool key_changed)
{
    if (node == NULL || sl_builder_failed(b))
        return NULL;
    sl_stream_t *s = sl_builder_alloc(b, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->b = b;
    s->node = node;
    s->ks = ks;
    s->vs = vs;
    s->key_changed = key_changed;
    return s;
}

sl_table_t *sl_table_wrap(sl_builder_t *b, sl_node_t *node, const sl_serde_t *ks, const sl_serde_t *vs,
                          const char *store)
{
    if (node == NULL || sl_builder_failed(b))
        return NULL;
    sl_table_t *t = sl_builder_alloc(b, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->b = b;
    t->node = node;
    t->ks = ks;
    t->vs = vs;
    t->store = store != NULL ? sl_builder_strdup(b, store) : NULL;
    return t;
}

const sl_store_def_t *sl_builder_store_def(const sl_builder_t *b, const char *name)
{
    if (b == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < b->n_stores; i++)
        if (strcmp(b->stores[i].name, name) == 0)
            return &b->stores[i];
    return NULL;
}

sl_err_t sl_builder_add_store(sl_builder_t *b, const sl_store_def_t *def)
{
    if (sl_builder_failed(b))
        return b != NULL ? b->err : SL_ERR_INVAL;
    if (def == NULL || def->name == NULL || def->name[0] == '\0') {
        sl_builder_fail(b, SL_ERR_INVAL, "a store without a name");
        return SL_ERR_INVAL;
    }
    if (sl_builder_store_def(b, def->name) != NULL) {
        sl_builder_fail(b, SL_ERR_INVAL, "store '%s' is declared twice", def->name);
        return SL_ERR_INVAL;
    }
    sl_store_def_t d = *def;
    d.name = sl_builder_strdup(b, def->name);
    if (d.name == NULL || !push(b, &b->stores, &b->n_stores, &b->cap_stores, &d, sizeof(d)))
        return b->err;
    return SL_OK;
}

/* --- what sl_topology_build takes over ------------------------------------ */

void sl_builder_take(sl_builder_t *b, sl_arena_t *mem, sl_node_t ***nodes, size_t *n_nodes,
                     sl_store_def_t **stores, size_t *n_stores)
{
    *mem = b->mem;
    *nodes = b->nodes;
    *n_nodes = b->n_nodes;
    *stores = b->stores;
    *n_stores = b->n_stores;
    sl_arena_init(&b->mem, 16384, 0);
    b->nodes = NULL;
    b->n_nodes = 0;
    b->stores = NULL;
    b->n_stores = b->cap_stores = 0;
    sl_map_fini(&b->names, NULL);
    sl_map_init(&b->names);
    b->err = SL_ERR_STATE;
    snprintf(b->msg, sizeof(b->msg), "the topology was built from this builder already");
}

void sl_builder_peek(const sl_builder_t *b, sl_node_t *const **nodes, size_t *n_nodes)
{
    *nodes = b->nodes;
    *n_nodes = b->n_nodes;
}
