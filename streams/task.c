/*
 * task.c - one sub-topology instantiated for one partition: a node
 * instance (sl_pnode_t) per node wired to its children, the task's state
 * directory and stores, its context; it deserializes input records at the
 * source, applies the timestamp extractor, forwards depth first, runs
 * punctuators and flushes. Sources and sinks get their behaviour here.
 * The states (created, restoring, running, suspended, closed) are drawn
 * in streams_int.h; the owner (driver or app) moves them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core_int.h"

typedef struct task_source {
    sl_pnode_t *pn;
    const sl_node_t *node;
    char **topics;                 /* full names (internal ones prefixed) */
    size_t n_topics;
} task_source_t;

/* A sink's per-task state. */
typedef struct sink_state {
    char *topic;                   /* full name */
    sl_coll_topic_t out;           /* the collector's handle for it */
    int32_t parts;                 /* partitions, once known (> 0) */
    uint32_t rr;                   /* null keys: round robin */
} sink_state_t;

struct sl_task {
    const sl_topology_t *t;
    const sl_subtopo_t *sub;
    int32_t partition;
    char id[32];
    sl_task_env_t env;
    sl_task_state_t state;
    sl_pnode_t *pnodes;            /* [sub->n_nodes] */
    sl_pnode_t **by_index;         /* [t->n_nodes]: the instance of node i */
    sl_pnode_t **child_ptrs;       /* every pnode's children, one block */
    bool *inited;                  /* [sub->n_nodes] */
    task_source_t *srcs;
    size_t n_srcs;
    const task_source_t *last_src; /* the source of the previous record */
    char *dir;
    sl_state_t *st;
    sl_store_t **stores;           /* [sub->n_stores] */
    sl_store_env_t *store_envs;
    char **changelogs;
    sl_ctx_t ctx;
    sl_punct_t *puncts, *puncts_tail;
    int64_t stream_time;
    uint64_t skipped;
    bool commit_req;
    sl_buf_t scratch[2];
};

#define TASK_LOG "streams"

/* --- sources and sinks ------------------------------------------------------ */

static void source_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                           const sl_val_t *old)
{
    sl_pnode_forward(pn, ctx, key, value, old);
}

const sl_node_ops_t sl_source_ops = {NULL, source_process, NULL, NULL};

static char *full_topic(const sl_task_t *task, const char *topic, bool internal)
{
    size_t len = strlen(topic) + (internal ? strlen(task->env.application_id) + 1 : 0) + 1;
    char *s = malloc(len);
    if (s == NULL)
        return NULL;
    if (internal)
        snprintf(s, len, "%s-%s", task->env.application_id, topic);
    else
        snprintf(s, len, "%s", topic);
    return s;
}

static sl_err_t sink_init(sl_pnode_t *pn, sl_ctx_t *ctx)
{
    SL_UNUSED(ctx);
    sink_state_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return SL_ERR_NOMEM;
    s->topic = full_topic(pn->task, pn->node->topic, pn->node->internal);
    if (s->topic == NULL) {
        free(s);
        return SL_ERR_NOMEM;
    }
    sl_coll_topic_init(&s->out, &pn->task->env.collector, s->topic);
    pn->state = s;
    return SL_OK;
}

static void sink_close(sl_pnode_t *pn)
{
    sink_state_t *s = pn->state;
    if (s != NULL) {
        free(s->topic);
        free(s);
    }
    pn->state = NULL;
}

/* Serializes one side of a sink's record; returns its length or -1 for
 * null, or fails the record. */
static bool sink_ser(sl_ctx_t *ctx, const sl_node_t *n, const sl_serde_t *s, const sl_val_t *v, sl_buf_t *buf,
                     const char *what, int32_t *len)
{
    sl_buf_reset(buf);
    int rc = sl_serde_write(s, v, buf);
    if (rc == 1) {
        *len = -1;
        return true;
    }
    if (rc != SL_OK || buf->len > INT32_MAX) {
        sl_ctx_fail(ctx, rc != SL_OK ? (sl_err_t)rc : SL_ERR_TOO_LARGE,
                    "sink '%s' (topic %s): the %s serde %s cannot write a %s %s", n->name, n->topic, what, s->name,
                    sl_vtype_name(v->type), what);
        return false;
    }
    *len = (int32_t)buf->len;
    return true;
}

static void sink_process(sl_pnode_t *pn, sl_ctx_t *ctx, const sl_val_t *key, const sl_val_t *value,
                         const sl_val_t *old)
{
    SL_UNUSED(old);
    const sl_node_t *n = pn->node;
    sink_state_t *s = pn->state;
    sl_task_t *task = pn->task;
    sl_buf_t *kb = &task->scratch[0], *vb = &task->scratch[1];
    int32_t klen, vlen;
    if (!sink_ser(ctx, n, n->ks, key, kb, "key", &klen) || !sink_ser(ctx, n, n->vs, value, vb, "value", &vlen))
        return;
    sl_collector_t *col = &task->env.collector;
    /* A topic's partitions only grow, and a sink keeps to those it saw
     * first, as the collectors' own caches do. */
    int32_t parts = s->parts;
    if (parts <= 0 && col->partitions != NULL && (parts = col->partitions(col->arg, s->topic)) > 0)
        s->parts = parts;
    int32_t p = -1;
    if (n->part_fn != NULL && parts > 0) {
        p = n->part_fn(s->topic, key, value, parts, n->part_arg);
        if (p >= parts) {
            sl_ctx_fail(ctx, SL_ERR_INVAL, "sink '%s': the partitioner chose partition %" PRId32 " of %" PRId32,
                        n->name, p, parts);
            return;
        }
    }
    if (p < 0 && parts > 0)
        p = klen >= 0 ? sl_murmur2_partition(kb->data, (size_t)klen, parts) : (int32_t)(s->rr++ % (uint32_t)parts);
    sl_err_t err = sl_coll_send(col, &s->out, p, klen >= 0 ? kb->data : NULL, klen, vlen >= 0 ? vb->data : NULL,
                                vlen, ctx->ts, ctx->headers, ctx->n_headers);
    if (err != SL_OK)
        sl_ctx_fail(ctx, err, "sink '%s': sending to %s failed: %s", n->name, s->topic, sl_err_str(err));
}

const sl_node_ops_t sl_sink_ops = {sink_init, sink_process, sink_close, NULL};

/* --- making a task ----------------------------------------------------------- */

/* mkdir -p */
static sl_err_t make_dirs(const char *path)
{
    char *p = strdup(path);
    if (p == NULL)
        return SL_ERR_NOMEM;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                free(p);
                return SL_ERR_IO;
            }
            *s = c;
            if (c == '\0')
                break;
        }
    }
    free(p);
    return SL_OK;
}

static sl_err_t wire_nodes(sl_task_t *task)
{
    const sl_subtopo_t *sub = task->sub;
    size_t n_children = 0;
    for (size_t i = 0; i < sub->n_nodes; i++) {
        sl_pnode_t *pn = &task->pnodes[i];
        const sl_node_t *node = sub->nodes[i];
        pn->node = node;
        pn->task = task;
        pn->ops = node->kind == SL_NODE_SOURCE ? &sl_source_ops
                  : node->kind == SL_NODE_SINK ? &sl_sink_ops
                                                : node->ops;
        if (pn->ops == NULL || pn->ops->process == NULL)
            return SL_ERR_INVAL;
        task->by_index[node->index] = pn;
        n_children += node->n_children;
    }
    task->child_ptrs = calloc(n_children + 1, sizeof(*task->child_ptrs));
    if (task->child_ptrs == NULL)
        return SL_ERR_NOMEM;
    sl_pnode_t **next = task->child_ptrs;
    for (size_t i = 0; i < sub->n_nodes; i++) {
        sl_pnode_t *pn = &task->pnodes[i];
        pn->children = next;
        for (size_t c = 0; c < pn->node->n_children; c++) {
            sl_pnode_t *child = task->by_index[pn->node->children[c]->index];
            if (child != NULL)
                pn->children[pn->n_children++] = child;
        }
        next += pn->n_children;
    }
    return SL_OK;
}

static sl_err_t make_sources(sl_task_t *task)
{
    const sl_subtopo_t *sub = task->sub;
    task->srcs = calloc(sub->n_sources + 1, sizeof(*task->srcs));
    if (task->srcs == NULL)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < sub->n_sources; i++) {
        const sl_node_t *n = sub->sources[i];
        task_source_t *s = &task->srcs[task->n_srcs++];
        s->node = n;
        s->pn = task->by_index[n->index];
        s->topics = calloc(n->n_topics + 1, sizeof(char *));
        if (s->topics == NULL)
            return SL_ERR_NOMEM;
        for (size_t k = 0; k < n->n_topics; k++) {
            s->topics[k] = full_topic(task, n->topics[k], n->internal);
            if (s->topics[k] == NULL)
                return SL_ERR_NOMEM;
            s->n_topics++;
        }
    }
    return SL_OK;
}

static sl_err_t open_stores(sl_task_t *task, char *errbuf, size_t errlen)
{
    const sl_subtopo_t *sub = task->sub;
    if (sub->n_stores == 0)
        return SL_OK;
    size_t dlen = strlen(task->env.state_dir) + strlen(task->env.application_id) + strlen(task->id) + 3;
    task->dir = malloc(dlen);
    task->stores = calloc(sub->n_stores, sizeof(*task->stores));
    task->store_envs = calloc(sub->n_stores, sizeof(*task->store_envs));
    task->changelogs = calloc(sub->n_stores, sizeof(*task->changelogs));
    if (task->dir == NULL || task->stores == NULL || task->store_envs == NULL || task->changelogs == NULL)
        return sl_core_fail(errbuf, errlen, SL_ERR_NOMEM, "out of memory");
    snprintf(task->dir, dlen, "%s/%s/%s", task->env.state_dir, task->env.application_id, task->id);
    sl_err_t err = make_dirs(task->dir);
    if (err != SL_OK)
        return sl_core_fail(errbuf, errlen, err, "task %s: cannot create %s: %s", task->id, task->dir, strerror(errno));
    err = sl_state_open(task->dir, &task->st);
    if (err != SL_OK)
        return sl_core_fail(errbuf, errlen, err, "task %s: cannot open the state in %s", task->id, task->dir);
    size_t n_cached = 0;
    for (size_t i = 0; i < sub->n_stores; i++)
        n_cached += sub->stores[i]->caching;
    for (size_t i = 0; i < sub->n_stores; i++) {
        const sl_store_def_t *def = sub->stores[i];
        sl_store_env_t *se = &task->store_envs[i];
        if (def->logging && task->env.logging) {
            size_t len = strlen(task->env.application_id) + strlen(def->name) + 12;
            task->changelogs[i] = malloc(len);
            if (task->changelogs[i] == NULL)
                return sl_core_fail(errbuf, errlen, SL_ERR_NOMEM, "out of memory");
            snprintf(task->changelogs[i], len, "%s-%s-changelog", task->env.application_id, def->name);
        }
        se->changelog = task->changelogs[i];
        se->partition = task->partition;
        se->collector = &task->env.collector;
        se->ctx = &task->ctx;
        se->cache_bytes = def->caching && n_cached > 0 ? task->env.cache_bytes / (int64_t)n_cached : 0;
        err = sl_store_open(task->st, def, se, &task->stores[i]);
        if (err != SL_OK)
            return sl_core_fail(errbuf, errlen, err, "task %s: cannot open store '%s'", task->id, def->name);
    }
    return SL_OK;
}

static sl_err_t init_nodes(sl_task_t *task, char *errbuf, size_t errlen)
{
    sl_ctx_t *ctx = &task->ctx;
    ctx->in_init = true;
    sl_err_t err = SL_OK;
    for (size_t i = 0; i < task->sub->n_nodes && err == SL_OK; i++) {
        sl_pnode_t *pn = &task->pnodes[i];
        if (pn->ops->init != NULL) {
            ctx->cur = pn;
            err = pn->ops->init(pn, ctx);
            if (err == SL_OK && ctx->err != SL_OK)
                err = ctx->err;
            if (err != SL_OK)
                sl_core_fail(errbuf, errlen, err, "task %s: node '%s' failed to start: %s", task->id, pn->node->name,
                          ctx->errmsg[0] ? ctx->errmsg : sl_err_str(err));
        }
        task->inited[i] = err == SL_OK;
    }
    ctx->in_init = false;
    sl_ctx_end_record(ctx);
    return err;
}

sl_err_t sl_task_new(const sl_topology_t *t, const sl_subtopo_t *sub, int32_t partition, const sl_task_env_t *env,
                     sl_task_t **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    if (t == NULL || sub == NULL || env == NULL || env->application_id == NULL || env->collector.send == NULL ||
        (sub->n_stores > 0 && env->state_dir == NULL))
        return sl_core_fail(errbuf, errlen, SL_ERR_INVAL, "task: bad arguments");
    sl_task_t *task = calloc(1, sizeof(*task));
    if (task == NULL)
        return sl_core_fail(errbuf, errlen, SL_ERR_NOMEM, "out of memory");
    task->t = t;
    task->sub = sub;
    task->partition = partition;
    task->env = *env;
    task->state = SL_TASK_CREATED;
    task->stream_time = -1;
    if (sub->global) {
        /* Kafka's one global task is "global"; further global
         * sub-topologies get their own directories. */
        int before = 0;
        for (size_t i = 0; i < t->n_subs && t->subs[i].id < sub->id; i++)
            before += t->subs[i].global;
        if (before == 0)
            snprintf(task->id, sizeof(task->id), "global");
        else
            snprintf(task->id, sizeof(task->id), "global_%d", sub->id);
    } else
        snprintf(task->id, sizeof(task->id), "%d_%" PRId32, sub->id, partition);
    sl_ctx_init(&task->ctx, task, partition);
    sl_buf_init(&task->scratch[0]);
    sl_buf_init(&task->scratch[1]);
    task->pnodes = calloc(sub->n_nodes + 1, sizeof(*task->pnodes));
    task->by_index = calloc(t->n_nodes + 1, sizeof(*task->by_index));
    task->inited = calloc(sub->n_nodes + 1, sizeof(*task->inited));
    sl_err_t err = task->pnodes && task->by_index && task->inited ? SL_OK : SL_ERR_NOMEM;
    if (err == SL_OK)
        err = wire_nodes(task);
    if (err == SL_OK)
        err = make_sources(task);
    if (err != SL_OK)
        sl_core_fail(errbuf, errlen, err, "task %s: %s", task->id,
                  err == SL_ERR_NOMEM ? "out of memory" : "a node has no process function");
    if (err == SL_OK)
        err = open_stores(task, errbuf, errlen);
    if (err == SL_OK)
        err = init_nodes(task, errbuf, errlen);
    if (err != SL_OK) {
        sl_task_free(task, false);
        return err;
    }
    task->state = SL_TASK_RUNNING;
    for (size_t i = 0; i < sub->n_stores; i++)
        if (task->changelogs[i] != NULL)
            task->state = SL_TASK_RESTORING;
    *out = task;
    return SL_OK;
}

void sl_task_free(sl_task_t *task, bool clean)
{
    SL_UNUSED(clean); /* the owner writes the checkpoint (streams_int.h) */
    if (task == NULL)
        return;
    sl_ctx_t *ctx = &task->ctx;
    for (size_t i = task->sub->n_nodes; i-- > 0;) {
        sl_pnode_t *pn = &task->pnodes[i];
        if (task->inited != NULL && task->inited[i] && pn->ops->close != NULL) {
            ctx->cur = pn;
            pn->ops->close(pn);
        }
    }
    sl_ctx_end_record(ctx);
    for (size_t i = 0; task->stores != NULL && i < task->sub->n_stores; i++)
        if (task->stores[i] != NULL)
            sl_store_close(task->stores[i]);
    if (task->st != NULL)
        sl_state_close(task->st);
    for (size_t i = 0; task->changelogs != NULL && i < task->sub->n_stores; i++)
        free(task->changelogs[i]);
    for (size_t i = 0; i < task->n_srcs; i++) {
        for (size_t k = 0; k < task->srcs[i].n_topics; k++)
            free(task->srcs[i].topics[k]);
        free(task->srcs[i].topics);
    }
    for (sl_punct_t *p = task->puncts, *nx; p != NULL; p = nx) {
        nx = p->next_p;
        free(p);
    }
    sl_ctx_fini(ctx);
    sl_buf_free(&task->scratch[0]);
    sl_buf_free(&task->scratch[1]);
    free(task->changelogs);
    free(task->store_envs);
    free(task->stores);
    free(task->dir);
    free(task->srcs);
    free(task->child_ptrs);
    free(task->inited);
    free(task->by_index);
    free(task->pnodes);
    free(task);
}

/* --- running ------------------------------------------------------------------ */

static const task_source_t *find_source(sl_task_t *task, const char *topic)
{
    const task_source_t *s = task->last_src;
    if (s != NULL) {
        for (size_t k = 0; k < s->n_topics; k++)
            if (s->topics[k] == topic || strcmp(s->topics[k], topic) == 0)
                return s;
    }
    for (size_t i = 0; i < task->n_srcs; i++) {
        s = &task->srcs[i];
        for (size_t k = 0; k < s->n_topics; k++) {
            if (strcmp(s->topics[k], topic) == 0)
                return task->last_src = s;
        }
    }
    /* Pattern sources: match the name (without an app prefix: patterns
     * name user topics). */
    for (size_t i = 0; i < task->n_srcs; i++) {
        s = &task->srcs[i];
        if (s->node->pattern != NULL && sl_topology_source_reads(task->t, s->node, topic, false))
            return s;
    }
    return NULL;
}

static sl_err_t deser(sl_task_t *task, const sl_serde_t *s, const void *p, int32_t len, sl_val_t *out)
{
    if (p == NULL || len < 0) {
        *out = sl_val_null();
        return SL_OK;
    }
    if (s == NULL)
        s = SL_AUTO;
    return s->de(p, (size_t)len, &task->ctx.arena, out, s->arg);
}

static void set_record(sl_ctx_t *ctx, const char *topic, int64_t offset, int64_t ts, const sl_header_t *h, size_t nh)
{
    ctx->topic = topic;
    ctx->offset = offset;
    ctx->ts = ts;
    ctx->headers = h;
    ctx->n_headers = nh;
}

/* Ends a record or punctuation: its failure logged and returned. */
static sl_err_t finish(sl_task_t *task, const char *what)
{
    sl_ctx_t *ctx = &task->ctx;
    sl_err_t err = ctx->err;
    if (err != SL_OK)
        SL_ERROR(TASK_LOG, "task %s: %s failed: %s", task->id, what, ctx->errmsg);
    task->commit_req |= ctx->commit;
    ctx->commit = false;
    sl_ctx_end_record(ctx);
    return err;
}

static sl_err_t punctuate(sl_task_t *task, sl_punct_type_t type, int64_t now)
{
    sl_err_t first = SL_OK;
    for (sl_punct_t *p = task->puncts; p != NULL; p = p->next_p) {
        if (p->type != type || p->cancelled || now < p->next)
            continue;
        sl_ctx_t *ctx = &task->ctx;
        set_record(ctx, NULL, -1, now, NULL, 0);
        ctx->cur = p->pn;
        p->fn(ctx, now, p->arg);
        /* Missed intervals are skipped, not caught up (as Kafka). */
        int64_t next = p->next + p->interval;
        if (now >= next)
            next = p->next + ((now - p->next) / p->interval + 1) * p->interval;
        p->next = next;
        sl_err_t err = finish(task, type == SL_PUNCT_STREAM_TIME ? "a stream-time punctuation"
                                                                 : "a wall-clock punctuation");
        if (first == SL_OK)
            first = err;
    }
    return first;
}

sl_err_t sl_task_process(sl_task_t *task, const sl_in_record_t *rec)
{
    if (rec == NULL || rec->topic == NULL || (rec->n_headers > 0 && rec->headers == NULL))
        return SL_ERR_INVAL;
    const task_source_t *src = find_source(task, rec->topic);
    if (src == NULL) {
        SL_WARN(TASK_LOG, "task %s: no source reads topic %s", task->id, rec->topic);
        return SL_ERR_NOENT;
    }
    sl_ctx_t *ctx = &task->ctx;
    const sl_node_t *n = src->node;
    set_record(ctx, rec->topic, rec->offset, rec->timestamp, rec->headers, rec->n_headers);
    sl_val_t k, v;
    sl_err_t err = deser(task, n->ks, rec->key, rec->klen, &k);
    const char *side = "key";
    if (err == SL_OK) {
        err = deser(task, n->vs, rec->value, rec->vlen, &v);
        side = "value";
    }
    if (SL_UNLIKELY(err != SL_OK)) {
        const sl_serde_t *s = side[0] == 'k' ? n->ks : n->vs;
        SL_WARN(TASK_LOG, "task %s: skipping record %s-%" PRId32 "@%" PRId64 ": its %s is not readable by serde %s (%s)",
                task->id, rec->topic, rec->partition, rec->offset, side, s != NULL ? s->name : "Auto",
                sl_err_name(err));
        task->skipped++;
        sl_ctx_end_record(ctx);
        return task->env.log_and_fail ? err : SL_OK;
    }
    int64_t ts = rec->timestamp;
    if (n->ts_fn != NULL)
        ts = n->ts_fn(rec->topic, rec->partition, &k, &v, rec->timestamp, task->stream_time, n->ts_arg);
    if (SL_UNLIKELY(ts < 0)) {
        SL_WARN(TASK_LOG, "task %s: skipping record %s-%" PRId32 "@%" PRId64 ": invalid timestamp %" PRId64, task->id,
                rec->topic, rec->partition, rec->offset, ts);
        task->skipped++;
        sl_ctx_end_record(ctx);
        return SL_OK;
    }
    ctx->ts = ts;
    if (ts > task->stream_time)
        task->stream_time = ts;
    ctx->cur = src->pn;
    sl_pnode_forward(src->pn, ctx, &k, &v, NULL);
    err = finish(task, "a record");
    if (task->puncts != NULL) {
        sl_err_t perr = punctuate(task, SL_PUNCT_STREAM_TIME, task->stream_time);
        if (err == SL_OK)
            err = perr;
    }
    return err;
}

sl_err_t sl_task_punctuate_wall(sl_task_t *task, int64_t now_ms)
{
    return punctuate(task, SL_PUNCT_WALL_CLOCK, now_ms);
}

sl_err_t sl_task_flush_caches(sl_task_t *task)
{
    sl_ctx_t *ctx = &task->ctx;
    sl_err_t err = SL_OK;
    for (size_t i = 0; i < task->sub->n_stores && err == SL_OK; i++) {
        set_record(ctx, NULL, -1, task->stream_time, NULL, 0);
        err = sl_store_flush(task->stores[i]);
        sl_err_t ferr = finish(task, "a store flush");
        if (err == SL_OK)
            err = ferr;
    }
    return err;
}

sl_err_t sl_task_flush(sl_task_t *task)
{
    sl_err_t err = sl_task_flush_caches(task);
    if (err == SL_OK && task->st != NULL)
        err = sl_state_commit(task->st);
    if (err != SL_OK)
        SL_ERROR(TASK_LOG, "task %s: flush failed: %s", task->id, sl_err_str(err));
    return err;
}

/* --- queries ------------------------------------------------------------------ */

const char *sl_task_id(const sl_task_t *task)
{
    return task->id;
}

int32_t sl_task_partition(const sl_task_t *task)
{
    return task->partition;
}

sl_task_state_t sl_task_state(const sl_task_t *task)
{
    return task->state;
}

void sl_task_set_state(sl_task_t *task, sl_task_state_t s)
{
    task->state = s;
}

uint64_t sl_task_skipped(const sl_task_t *task)
{
    return task->skipped;
}

bool sl_task_commit_requested(sl_task_t *task)
{
    bool r = task->commit_req;
    task->commit_req = false;
    return r;
}

sl_store_t *sl_task_store(sl_task_t *task, const char *name)
{
    for (size_t i = 0; i < task->sub->n_stores; i++)
        if (strcmp(task->sub->stores[i]->name, name) == 0)
            return task->stores != NULL ? task->stores[i] : NULL;
    return NULL;
}

size_t sl_task_store_count(const sl_task_t *task)
{
    return task->stores != NULL ? task->sub->n_stores : 0;
}

sl_store_t *sl_task_store_at(sl_task_t *task, size_t i)
{
    return task->stores != NULL && i < task->sub->n_stores ? task->stores[i] : NULL;
}

sl_pnode_t *sl_task_pnode(sl_task_t *task, const sl_node_t *node)
{
    if (node == NULL || node->index < 0 || (size_t)node->index >= task->t->n_nodes)
        return NULL;
    return task->by_index[node->index];
}

sl_store_t *sl_task_store_for(sl_task_t *task, const sl_pnode_t *pn, const char *name)
{
    bool connected = pn == NULL;
    for (size_t i = 0; pn != NULL && i < pn->node->n_stores && !connected; i++)
        connected = strcmp(pn->node->stores[i], name) == 0;
    sl_store_t *s = connected ? sl_task_store(task, name) : NULL;
    /* Global tasks chain: each reaches the ones made before it. */
    for (sl_task_t *g = task->env.globals; s == NULL && g != NULL && g != task; g = g->env.globals)
        s = sl_task_store(g, name);
    return s;
}

int64_t sl_task_stream_time(const sl_task_t *task)
{
    return task->stream_time;
}

int64_t sl_task_wall_clock(const sl_task_t *task)
{
    return task->env.wall_clock != NULL ? task->env.wall_clock(task->env.clock_arg) : sl_time_wall_ms();
}

const char *sl_task_app_id(const sl_task_t *task)
{
    return task->env.application_id;
}

sl_collector_t *sl_task_collector(sl_task_t *task)
{
    return &task->env.collector;
}

sl_buf_t *sl_task_scratch(sl_task_t *task, int which)
{
    return &task->scratch[which & 1];
}

sl_punct_t *sl_task_schedule(sl_task_t *task, sl_pnode_t *pn, int64_t interval, sl_punct_type_t type,
                             sl_punctuator_fn *fn, void *arg)
{
    sl_punct_t *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->pn = pn;
    p->type = type;
    p->interval = interval;
    /* Stream time: aligned to 0, due with the first record; wall clock:
     * one interval from now (as Kafka). */
    p->next = type == SL_PUNCT_STREAM_TIME ? 0 : sl_task_wall_clock(task) + interval;
    p->fn = fn;
    p->arg = arg;
    if (task->puncts_tail != NULL)
        task->puncts_tail->next_p = p;
    else
        task->puncts = p;
    task->puncts_tail = p;
    return p;
}
