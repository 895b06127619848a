/*
 * topology.c - sl_topology_build: checks the builder's graph, takes its
 * memory, and splits the nodes into sub-topologies: nodes joined by a
 * parent/child edge, a shared store or sl_bnode_use() belong together;
 * repartition topics (an internal sink and the source reading it) are the
 * cuts. Sub-topologies are numbered as Kafka Streams 3.x numbers them: in
 * the order their first nodes were added, so upstream ones come first.
 * Also topic lookups and sl_topology_from.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_int.h"

typedef struct topo_priv {
    regex_t **re;                  /* by node index: a pattern source's */
    size_t n;
} topo_priv_t;

static int uf_find(int *up, int i)
{
    while (up[i] != i) {
        up[i] = up[up[i]];
        i = up[i];
    }
    return i;
}

static void uf_union(int *up, int a, int b)
{
    a = uf_find(up, a);
    b = uf_find(up, b);
    if (a != b)
        up[a < b ? b : a] = a < b ? a : b;
}

static bool store_declared(const sl_store_def_t *stores, size_t n, const char *name, size_t *at)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(stores[i].name, name) == 0) {
            *at = i;
            return true;
        }
    }
    return false;
}

sl_err_t sl_core_fail(char *errbuf, size_t errlen, sl_err_t err, const char *fmt, ...)
{
    if (errbuf != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errbuf, errlen, fmt, ap);
        va_end(ap);
    }
    return err;
}

/* The checks that need the whole graph: stores declared, no topic read
 * by two sources. */
static sl_err_t check_graph(sl_builder_t *b, char *errbuf, size_t errlen)
{
    sl_node_t *const *nodes;
    size_t n;
    sl_builder_peek(b, &nodes, &n);
    for (size_t i = 0; i < n; i++) {
        const sl_node_t *x = nodes[i];
        for (size_t s = 0; s < x->n_stores; s++) {
            if (sl_builder_store_def(b, x->stores[s]) == NULL)
                return sl_core_fail(errbuf, errlen, SL_ERR_INVAL,
                            "processor '%s' uses store '%s', which is not declared (sl_builder_add_store)",
                            x->name, x->stores[s]);
        }
        if (x->kind != SL_NODE_SOURCE)
            continue;
        for (size_t j = 0; j < i; j++) {
            const sl_node_t *y = nodes[j];
            if (y->kind != SL_NODE_SOURCE || y->internal != x->internal)
                continue;
            for (size_t a = 0; a < x->n_topics; a++)
                for (size_t c = 0; c < y->n_topics; c++)
                    if (strcmp(x->topics[a], y->topics[c]) == 0)
                        return sl_core_fail(errbuf, errlen, SL_ERR_INVAL,
                                    "topic '%s' is read by two sources, '%s' and '%s' (read it once and "
                                    "share the stream)",
                                    x->topics[a], y->name, x->name);
        }
    }
    return SL_OK;
}

/* Groups the nodes (union-find over edges, shared stores, uses) and
 * numbers the groups. group[i] gets the sub-topology id of node i. */
static int number_groups(sl_node_t **nodes, size_t n, int *group)
{
    int *up = malloc((n + 1) * sizeof(int));
    if (up == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        up[i] = (int)i;
    for (size_t i = 0; i < n; i++) {
        sl_node_t *x = nodes[i];
        for (size_t c = 0; c < x->n_children; c++)
            uf_union(up, x->index, x->children[c]->index);
        for (size_t u = 0; u < x->n_uses; u++)
            uf_union(up, x->index, x->uses[u]->index);
        for (size_t s = 0; s < x->n_stores; s++)
            for (size_t j = 0; j < i; j++)
                for (size_t t = 0; t < nodes[j]->n_stores; t++)
                    if (strcmp(nodes[j]->stores[t], x->stores[s]) == 0)
                        uf_union(up, x->index, (int)j);
    }
    /* Kafka's order: a group's id is the order of its first node in the
     * order nodes were added (upstream sub-topologies first). */
    int *id_of_root = malloc((n + 1) * sizeof(int));
    if (id_of_root == NULL) {
        free(up);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        id_of_root[i] = -1;
    int next = 0;
    for (size_t i = 0; i < n; i++) {
        int r = uf_find(up, (int)i);
        if (id_of_root[r] < 0)
            id_of_root[r] = next++;
    }
    for (size_t i = 0; i < n; i++)
        group[i] = id_of_root[uf_find(up, (int)i)];
    free(id_of_root);
    free(up);
    return next;
}

/* Fills the sub-topologies' node, source and store lists. */
static sl_err_t fill_subs(sl_topology_t *t)
{
    for (size_t g = 0; g < t->n_subs; g++) {
        sl_subtopo_t *sub = &t->subs[g];
        sub->id = (int)g;
        size_t cnt = 0;
        for (size_t i = 0; i < t->n_nodes; i++)
            cnt += t->nodes[i]->subtopology == (int)g;
        sub->nodes = sl_arena_calloc(&t->arena, cnt + 1, sizeof(*sub->nodes));
        sub->sources = sl_arena_calloc(&t->arena, cnt + 1, sizeof(*sub->sources));
        sub->stores = sl_arena_calloc(&t->arena, t->n_stores + 1, sizeof(*sub->stores));
        if (sub->nodes == NULL || sub->sources == NULL || sub->stores == NULL)
            return SL_ERR_NOMEM;
        for (int pass = 0; pass < 2; pass++) {
            for (size_t i = 0; i < t->n_nodes; i++) {
                sl_node_t *x = t->nodes[i];
                if (x->subtopology != (int)g || (pass == 0) != (x->kind == SL_NODE_SOURCE))
                    continue;
                sub->nodes[sub->n_nodes++] = x;
                if (x->kind == SL_NODE_SOURCE) {
                    sub->sources[sub->n_sources++] = x;
                    sub->global |= x->global;
                }
                for (size_t s = 0; s < x->n_stores; s++) {
                    size_t at = 0;
                    if (!store_declared(t->stores, t->n_stores, x->stores[s], &at))
                        continue;
                    bool have = false;
                    for (size_t k = 0; k < sub->n_stores; k++)
                        have |= sub->stores[k] == &t->stores[at];
                    if (!have)
                        sub->stores[sub->n_stores++] = &t->stores[at];
                }
            }
        }
    }
    return SL_OK;
}

static sl_err_t compile_patterns(sl_topology_t *t)
{
    topo_priv_t *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return SL_ERR_NOMEM;
    t->priv = p;
    p->re = calloc(t->n_nodes + 1, sizeof(*p->re));
    if (p->re == NULL)
        return SL_ERR_NOMEM;
    p->n = t->n_nodes;
    for (size_t i = 0; i < t->n_nodes; i++) {
        const sl_node_t *x = t->nodes[i];
        if (x->pattern == NULL)
            continue;
        /* The whole name must match, as Java's Pattern.matcher().matches(). */
        size_t len = strlen(x->pattern) + 5;
        char *whole = malloc(len);
        p->re[i] = malloc(sizeof(regex_t));
        if (whole == NULL || p->re[i] == NULL) {
            free(whole);
            return SL_ERR_NOMEM;
        }
        snprintf(whole, len, "^(%s)$", x->pattern);
        int rc = regcomp(p->re[i], whole, REG_EXTENDED | REG_NOSUB);
        free(whole);
        if (rc != 0) {
            free(p->re[i]);
            p->re[i] = NULL;
            return SL_ERR_INVAL;
        }
    }
    return SL_OK;
}

sl_err_t sl_topology_build(sl_builder_t *b, sl_topology_t **out, char *errbuf, size_t errlen)
{
    if (out != NULL)
        *out = NULL;
    if (b == NULL || out == NULL)
        return sl_core_fail(errbuf, errlen, SL_ERR_INVAL, "no builder");
    char msg[512];
    sl_err_t err = sl_builder_error(b, msg, sizeof(msg));
    if (err != SL_OK)
        return sl_core_fail(errbuf, errlen, err, "%s", msg);
    err = check_graph(b, errbuf, errlen);
    if (err != SL_OK)
        return err;

    sl_topology_t *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return sl_core_fail(errbuf, errlen, SL_ERR_NOMEM, "out of memory");
    sl_builder_take(b, &t->arena, &t->nodes, &t->n_nodes, &t->stores, &t->n_stores);

    int *group = malloc((t->n_nodes + 1) * sizeof(int));
    int n_groups = group != NULL ? number_groups(t->nodes, t->n_nodes, group) : -1;
    if (n_groups < 0) {
        free(group);
        sl_topology_free(t);
        return sl_core_fail(errbuf, errlen, SL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < t->n_nodes; i++)
        t->nodes[i]->subtopology = group[i];
    free(group);
    t->n_subs = (size_t)n_groups;
    t->subs = sl_arena_calloc(&t->arena, t->n_subs + 1, sizeof(*t->subs));
    err = t->subs != NULL ? fill_subs(t) : SL_ERR_NOMEM;
    if (err == SL_OK)
        err = compile_patterns(t);
    if (err != SL_OK) {
        sl_topology_free(t);
        return sl_core_fail(errbuf, errlen, err, "out of memory");
    }
    *out = t;
    return SL_OK;
}

void sl_topology_free(sl_topology_t *t)
{
    if (t == NULL)
        return;
    topo_priv_t *p = t->priv;
    if (p != NULL) {
        for (size_t i = 0; i < p->n && p->re != NULL; i++) {
            if (p->re[i] != NULL) {
                regfree(p->re[i]);
                free(p->re[i]);
            }
        }
        free(p->re);
        free(p);
    }
    sl_arena_fini(&t->arena);
    free(t);
}

bool sl_topology_source_reads(const sl_topology_t *t, const sl_node_t *src, const char *topic, bool internal)
{
    if (src->kind != SL_NODE_SOURCE || src->internal != internal)
        return false;
    if (src->pattern != NULL) {
        const topo_priv_t *p = t->priv;
        regex_t *re = p != NULL && (size_t)src->index < p->n ? p->re[src->index] : NULL;
        return re != NULL && regexec(re, topic, 0, NULL, 0) == 0;
    }
    for (size_t i = 0; i < src->n_topics; i++)
        if (strcmp(src->topics[i], topic) == 0)
            return true;
    return false;
}

const sl_subtopo_t *sl_topology_sub_for_topic(const sl_topology_t *t, const char *topic, bool internal)
{
    if (t == NULL || topic == NULL)
        return NULL;
    for (size_t g = 0; g < t->n_subs; g++)
        for (size_t s = 0; s < t->subs[g].n_sources; s++)
            if (sl_topology_source_reads(t, t->subs[g].sources[s], topic, internal))
                return &t->subs[g];
    return NULL;
}

const sl_node_t *sl_topology_node(const sl_topology_t *t, const char *name)
{
    if (t == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < t->n_nodes; i++)
        if (strcmp(t->nodes[i]->name, name) == 0)
            return t->nodes[i];
    return NULL;
}

sl_err_t sl_topology_from(void (*fn)(sl_builder_t *), sl_topology_t **out, char *errbuf, size_t errlen)
{
    if (out != NULL)
        *out = NULL;
    if (fn == NULL || out == NULL)
        return sl_core_fail(errbuf, errlen, SL_ERR_INVAL, "no topology function");
    sl_builder_t *b = sl_builder_new();
    if (b == NULL)
        return sl_core_fail(errbuf, errlen, SL_ERR_NOMEM, "out of memory");
    fn(b);
    sl_err_t err = sl_topology_build(b, out, errbuf, errlen);
    sl_builder_free(b);
    return err;
}
