/*
 * describe.c - sl_topology_describe: Kafka Streams' TopologyDescription
 * text, byte for byte: sub-topologies (and global stores) by id, nodes by
 * the size of the tree below them (largest first) then by name, sets of
 * topics and stores in the order Java's HashSet iterates them, internal
 * topics without the application id prefix.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

typedef struct describe {
    const sl_topology_t *t;
    int64_t *size;                 /* by node index; 0: not computed */
    sl_buf_t out;
} describe_t;

/* The number of downward paths from n, n included: what Kafka's
 * AbstractNode.size adds up to however the edges were connected. */
static int64_t tree_size(describe_t *d, const sl_node_t *n)
{
    if (d->size[n->index] > 0)
        return d->size[n->index];
    int64_t s = 1;
    for (size_t i = 0; i < n->n_children; i++) {
        s += tree_size(d, n->children[i]);
        if (s > INT32_MAX)
            s = INT32_MAX;
    }
    d->size[n->index] = s;
    return s;
}

static __thread describe_t *g_sort_ctx; /* qsort has no argument */

static int cmp_nodes(const void *a, const void *b)
{
    const sl_node_t *x = *(sl_node_t *const *)a, *y = *(sl_node_t *const *)b;
    int64_t sx = tree_size(g_sort_ctx, x), sy = tree_size(g_sort_ctx, y);
    if (sx != sy)
        return sx > sy ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Java's String.hashCode over UTF-16 code units; ASCII and most names
 * are one unit per byte, other UTF-8 is decoded. */
static int32_t java_hash(const char *s)
{
    uint32_t h = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp = *p++;
        int extra = cp >= 0xF0 ? 3 : cp >= 0xE0 ? 2 : cp >= 0xC0 ? 1 : 0;
        if (extra > 0)
            cp &= 0x3Fu >> extra;
        for (int i = 0; i < extra && (*p & 0xC0) == 0x80; i++)
            cp = (cp << 6) | (*p++ & 0x3F);
        if (cp >= 0x10000) {
            cp -= 0x10000;
            h = h * 31 + (0xD800 + (cp >> 10));
            h = h * 31 + (0xDC00 + (cp & 0x3FF));
        } else {
            h = h * 31 + cp;
        }
    }
    return (int32_t)h;
}

/* The order a java.util.HashSet made from names[0..n) iterates: by bucket
 * (hash spread by its high half, modulo a power-of-two table of at least
 * 16), ties in insertion order. Writes the permutation to order. */
static void java_set_order(char *const *names, size_t n, size_t *order)
{
    uint32_t cap = 16;
    while ((double)cap * 0.75 < (double)n + 1)
        cap <<= 1;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    /* insertion sort by bucket: stable, n is tiny */
    for (size_t i = 1; i < n; i++) {
        size_t x = order[i];
        uint32_t hx = (uint32_t)java_hash(names[x]);
        uint32_t bx = (hx ^ (hx >> 16)) & (cap - 1);
        size_t j = i;
        while (j > 0) {
            uint32_t hy = (uint32_t)java_hash(names[order[j - 1]]);
            if (((hy ^ (hy >> 16)) & (cap - 1)) <= bx)
                break;
            order[j] = order[j - 1];
            j--;
        }
        order[j] = x;
    }
}

static void put_str(sl_buf_t *b, const char *s)
{
    sl_buf_put(b, s, strlen(s));
}

/* "[a, b]" in HashSet order. */
static void put_set(sl_buf_t *b, char *const *names, size_t n)
{
    size_t small[16];
    size_t *order = n <= 16 ? small : malloc(n * sizeof(*order));
    put_str(b, "[");
    if (order == NULL) {
        b->err = SL_ERR_NOMEM;
        return;
    }
    java_set_order(names, n, order);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            put_str(b, ", ");
        put_str(b, names[order[i]]);
    }
    put_str(b, "]");
    if (order != small)
        free(order);
}

/* "a, b" sorted as Kafka's node comparator, or "none". */
static void put_names(describe_t *d, sl_node_t *const *nodes, size_t n)
{
    if (n == 0) {
        put_str(&d->out, "none");
        return;
    }
    sl_node_t **sorted = malloc(n * sizeof(*sorted));
    if (sorted == NULL) {
        d->out.err = SL_ERR_NOMEM;
        return;
    }
    memcpy(sorted, nodes, n * sizeof(*sorted));
    g_sort_ctx = d;
    qsort(sorted, n, sizeof(*sorted), cmp_nodes);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            put_str(&d->out, ", ");
        put_str(&d->out, sorted[i]->name);
    }
    free(sorted);
}

static void put_node(describe_t *d, const sl_node_t *n)
{
    sl_buf_t *b = &d->out;
    put_str(b, "    ");
    switch (n->kind) {
    case SL_NODE_SOURCE:
        put_str(b, "Source: ");
        put_str(b, n->name);
        put_str(b, " (topics: ");
        if (n->pattern != NULL)
            put_str(b, n->pattern);
        else
            put_set(b, n->topics, n->n_topics);
        put_str(b, ")\n      --> ");
        put_names(d, n->children, n->n_children);
        break;
    case SL_NODE_PROCESSOR:
        put_str(b, "Processor: ");
        put_str(b, n->name);
        put_str(b, " (stores: ");
        put_set(b, n->stores, n->n_stores);
        put_str(b, ")\n      --> ");
        put_names(d, n->children, n->n_children);
        put_str(b, "\n      <-- ");
        put_names(d, n->parents, n->n_parents);
        break;
    case SL_NODE_SINK:
        put_str(b, "Sink: ");
        put_str(b, n->name);
        put_str(b, " (topic: ");
        put_str(b, n->topic);
        put_str(b, ")\n      <-- ");
        put_names(d, n->parents, n->n_parents);
        break;
    }
    put_str(b, "\n");
}

static void put_sub(describe_t *d, const sl_subtopo_t *sub)
{
    char head[64];
    snprintf(head, sizeof(head), "Sub-topology: %d\n", sub->id);
    put_str(&d->out, head);
    sl_node_t **sorted = malloc((sub->n_nodes + 1) * sizeof(*sorted));
    if (sorted == NULL) {
        d->out.err = SL_ERR_NOMEM;
        return;
    }
    if (sub->n_nodes > 0) {
        memcpy(sorted, sub->nodes, sub->n_nodes * sizeof(*sorted));
        g_sort_ctx = d;
        qsort(sorted, sub->n_nodes, sizeof(*sorted), cmp_nodes);
    }
    for (size_t i = 0; i < sub->n_nodes; i++)
        put_node(d, sorted[i]);
    free(sorted);
    put_str(&d->out, "\n");
}

/* A global store: its source and the processor keeping the store. */
static void put_global(describe_t *d, const sl_subtopo_t *sub)
{
    char head[96];
    snprintf(head, sizeof(head), "Sub-topology: %d for global store (will not generate tasks)\n", sub->id);
    put_str(&d->out, head);
    const sl_node_t *src = sub->n_sources > 0 ? sub->sources[0] : NULL;
    if (src != NULL)
        put_node(d, src);
    for (size_t i = 0; src != NULL && i < src->n_children; i++)
        put_node(d, src->children[i]);
}

char *sl_topology_describe(const sl_topology_t *t)
{
    if (t == NULL)
        return NULL;
    describe_t d = {t, calloc(t->n_nodes + 1, sizeof(int64_t)), SL_BUF_INIT};
    if (d.size == NULL)
        return NULL;
    put_str(&d.out, "Topologies:\n ");
    for (size_t i = 0; i < t->n_subs; i++) {
        put_str(&d.out, "  ");
        if (t->subs[i].global)
            put_global(&d, &t->subs[i]);
        else
            put_sub(&d, &t->subs[i]);
    }
    sl_buf_put_u8(&d.out, 0);
    free(d.size);
    if (sl_buf_err(&d.out) != SL_OK) {
        sl_buf_free(&d.out);
        return NULL;
    }
    size_t len;
    return (char *)sl_buf_detach(&d.out, &len);
}
