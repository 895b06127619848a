/*
 * worker.c - the standalone worker: connectors and their tasks, one thread
 * per task. A source task polls its plugin, converts, produces through
 * libsluice-client and, once the broker acknowledged a whole poll's
 * records, records their source offsets; the offsets file is rewritten every
 * offset.flush.interval.ms and on stop (at least once: what was
 * acknowledged but not yet saved is polled again after a crash). A sink
 * task consumes with the group "connect-<name>", converts, put()s, and
 * every offset.flush.interval.ms (and before its partitions are revoked)
 * flush()es and then commits the offsets it flushed.
 *
 * Task states: RUNNING -> STOPPED (stopped by the worker) or FAILED (a
 * plugin call or the client failed; the reason is kept).
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "connect_int.h"

enum { TASK_RUNNING = 0, TASK_FAILED, TASK_STOPPED };

#define POLL_MAX_RECORDS 1000
#define SINK_BATCH 500

typedef struct connector connector_t;

typedef struct task {
    connector_t *conn;
    int index;
    sl_connect_ctx_t *ctx;
    pthread_t thread;
    bool started;
    atomic_int stop;               /* set by the worker's thread */
    atomic_int state;              /* TASK_*, written by the task's thread */
    char failure[640];             /* written before state turns FAILED */
    void *ptask;                   /* the plugin's task state */
    /* sink: offsets put since the last commit (next offset per partition) */
    sl_connect_tpo_t *pending;
    size_t pending_count, pending_cap;
    sl_consumer_t *consumer;
    bool sink_failed;
} task_t;

struct connector {
    char *name;
    const sl_connect_plugin_t *plugin;
    sl_connect_ctx_t *ctx;
    void *state;
    bool started;
    sl_connect_converter_t *key_conv, *value_conv;
    sl_conf_t *client_conf;        /* producer or consumer settings */
    char **topics;                 /* sink: subscription */
    size_t topic_count;
    task_t *tasks;
    int task_count;
    sl_connect_worker_t *w;
    connector_t *next;
};

struct sl_connect_worker {
    sl_props_t *props;
    sl_connect_plugins_t *plugins;
    sl_connect_offsets_t *offsets;
    int64_t flush_interval_ms;
    connector_t *connectors;
};

static void task_fail(task_t *t, const char *what, int rc)
{
    snprintf(t->failure, sizeof(t->failure), "%s failed (%s)%s%s", what, sl_err_name(rc),
             *t->ctx->err ? ": " : "", t->ctx->err);
    SL_ERROR("connect", "task %s: %s", t->ctx->name, t->failure);
    atomic_store(&t->state, TASK_FAILED);
}

/* The setting of a connector, else the worker's, else def. */
static const char *setting(const connector_t *c, const char *key, const char *def)
{
    const char *v = sl_props_get(c->ctx->config, key);
    if (!v)
        v = sl_props_get(c->w->props, key);
    return v ? v : def;
}

/* ---- source tasks ---------------------------------------------------------- */

typedef struct src_acks {
    size_t failed;
    sl_err_t first_err;
} src_acks_t;

static void src_delivery(sl_producer_t *p, const sl_message_t *msg, void *arg)
{
    (void)p;
    src_acks_t *acks = arg;
    if (msg->err && !acks->failed++)
        acks->first_err = msg->err;
}

/* Converts and sends rec; waits for room while the producer's buffer is
 * full. */
static sl_err_t src_send(task_t *t, sl_producer_t *p, const sl_connect_record_t *rec,
                         sl_buf_t *kb, sl_buf_t *vb)
{
    connector_t *c = t->conn;
    bool knull, vnull;
    sl_buf_reset(kb);
    sl_buf_reset(vb);
    sl_err_t err = sl_connect_converter_from_value(c->key_conv, rec->key_schema, rec->key, kb,
                                                   &knull, t->ctx->err, sizeof(t->ctx->err));
    if (!err)
        err = sl_connect_converter_from_value(c->value_conv, rec->value_schema, rec->value, vb,
                                              &vnull, t->ctx->err, sizeof(t->ctx->err));
    if (err)
        return err;
    sl_produce_rec_t pr = {
        .topic = rec->topic,
        .partition = rec->partition < 0 ? SL_PARTITION_ANY : rec->partition,
        .key = knull ? NULL : (kb->data ? (const void *)kb->data : ""),
        .key_len = knull ? -1 : (int32_t)kb->len,
        .value = vnull ? NULL : (vb->data ? (const void *)vb->data : ""),
        .value_len = vnull ? -1 : (int32_t)vb->len,
        .timestamp = rec->timestamp,
    };
    for (int tries = 0;; tries++) {
        err = sl_producer_send(p, &pr);
        if (err != SL_ERR_AGAIN || atomic_load(&t->stop) || tries > 1000)
            return err;
        sl_producer_poll(p, 100);
    }
}

static void *source_main(void *arg)
{
    task_t *t = arg;
    connector_t *c = t->conn;
    const sl_connect_source_task_t *vt = c->plugin->source;
    src_acks_t acks = {0, SL_OK};
    sl_producer_t *p = NULL;
    sl_buf_t kb = SL_BUF_INIT, vb = SL_BUF_INIT;
    sl_connect_batch_t batch = {0};
    char ebuf[256];
    int rc = vt->start(t->ctx, &t->ptask);
    if (rc) {
        task_fail(t, "start", rc);
        return NULL;
    }
    sl_err_t err = sl_producer_new(c->client_conf, src_delivery, &acks, &p, ebuf, sizeof(ebuf));
    if (err || !(batch.mem = sl_connect_mem_new())) {
        snprintf(t->ctx->err, sizeof(t->ctx->err), "%s", err ? ebuf : "out of memory");
        task_fail(t, "creating the producer", err ? err : SL_ERR_NOMEM);
        goto out;
    }
    int64_t last_save = sl_time_mono_ms();
    while (!atomic_load(&t->stop)) {
        sl_connect_mem_reset(batch.mem);
        batch.count = 0;
        rc = vt->poll(t->ptask, &batch, POLL_MAX_RECORDS, 100);
        if (rc == SL_CONNECT_EAGAIN)
            continue;
        if (rc) {
            task_fail(t, "poll", rc);
            break;
        }
        for (size_t i = 0; i < batch.count && !rc; i++)
            if ((err = src_send(t, p, &batch.recs[i], &kb, &vb)))
                rc = err;
        /* Offsets move only when every record of the poll is acknowledged. */
        if (!rc && batch.count)
            rc = sl_producer_flush(p, -1);
        if (!rc && acks.failed)
            rc = acks.first_err;
        if (rc) {
            if (!*t->ctx->err)
                snprintf(t->ctx->err, sizeof(t->ctx->err), "%s", sl_err_str(rc));
            task_fail(t, "producing", rc);
            break;
        }
        for (size_t i = 0; i < batch.count; i++)
            if (sl_connect_offsets_set(c->w->offsets, c->name, batch.recs[i].source_partition,
                                       batch.recs[i].source_offset)) {
                task_fail(t, "storing offsets", SL_ERR_NOMEM);
                goto out;
            }
        int64_t now = sl_time_mono_ms();
        if (now - last_save >= c->w->flush_interval_ms) {
            last_save = now;
            if (sl_connect_offsets_save(c->w->offsets) == SL_OK && vt->commit)
                vt->commit(t->ptask);
        }
    }
out:
    /* Everything recorded was acknowledged: save it before leaving. */
    if (sl_connect_offsets_save(c->w->offsets) == SL_OK && vt->commit && t->ptask)
        vt->commit(t->ptask);
    vt->stop(t->ptask);
    sl_producer_free(p);
    sl_connect_mem_free(batch.mem);
    free(batch.recs);
    sl_buf_free(&kb);
    sl_buf_free(&vb);
    int running = TASK_RUNNING;
    atomic_compare_exchange_strong(&t->state, &running, TASK_STOPPED);
    return NULL;
}

/* ---- sink tasks ------------------------------------------------------------- */

static sl_err_t pending_note(task_t *t, const char *topic, int32_t partition, int64_t next)
{
    for (size_t i = 0; i < t->pending_count; i++)
        if (t->pending[i].partition == partition && strcmp(t->pending[i].topic, topic) == 0) {
            t->pending[i].offset = next;
            return SL_OK;
        }
    sl_connect_tpo_t *n = sl_connect_array_grow(t->pending, t->pending_count, &t->pending_cap,
                                                sizeof(*n), 8);
    if (!n)
        return SL_ERR_NOMEM;
    t->pending = n;
    char *tc = strdup(topic);
    if (!tc)
        return SL_ERR_NOMEM;
    t->pending[t->pending_count++] = (sl_connect_tpo_t){tc, partition, next};
    return SL_OK;
}

static void pending_clear(task_t *t)
{
    for (size_t i = 0; i < t->pending_count; i++)
        free((char *)t->pending[i].topic);
    t->pending_count = 0;
}

/* flush() what was put, then commit it. Nothing is committed when the
 * flush fails (the task fails: the records come again after a restart). */
static void sink_flush_commit(task_t *t)
{
    if (!t->pending_count || t->sink_failed)
        return;
    int rc = t->conn->plugin->sink->flush(t->ptask, t->pending, t->pending_count);
    if (rc) {
        t->sink_failed = true;
        task_fail(t, "flush", rc);
        return;
    }
    sl_tp_offset_t *parts = calloc(t->pending_count, sizeof(*parts));
    if (!parts)
        return;
    for (size_t i = 0; i < t->pending_count; i++)
        parts[i] = (sl_tp_offset_t){.topic = t->pending[i].topic,
                                    .partition = t->pending[i].partition,
                                    .offset = t->pending[i].offset, .leader_epoch = -1};
    sl_err_t err = sl_consumer_commit(t->consumer, parts, t->pending_count, false);
    free(parts);
    if (err)
        SL_WARN("connect", "task %s: commit failed (%s); the records since the last commit "
                "will be delivered again", t->ctx->name, sl_err_name(err));
    pending_clear(t);
}

static void sink_rebalance(sl_consumer_t *cons, sl_rebalance_kind_t kind,
                           const sl_tp_offset_t *parts, size_t n, void *arg)
{
    (void)cons;
    (void)parts;
    (void)n;
    task_t *t = arg;
    if (kind == SL_REBALANCE_REVOKED)
        sink_flush_commit(t);
    else if (kind == SL_REBALANCE_LOST)
        pending_clear(t);
}

/* Converts msgs[0..n) into recs (values in mem) and put()s them. */
static int sink_put(task_t *t, sl_message_t **msgs, size_t n, sl_connect_record_t *recs,
                    sl_connect_mem_t *mem)
{
    connector_t *c = t->conn;
    for (size_t i = 0; i < n; i++) {
        const sl_message_t *m = msgs[i];
        sl_connect_record_t *r = &recs[i];
        memset(r, 0, sizeof(*r));
        r->topic = m->topic;
        r->partition = m->partition;
        r->kafka_offset = m->offset;
        r->timestamp = m->timestamp;
        sl_err_t err = sl_connect_converter_to_value(c->key_conv, m->key, m->key ? (size_t)m->key_len : 0,
                                                     mem, &r->key_schema, &r->key, t->ctx->err,
                                                     sizeof(t->ctx->err));
        if (!err)
            err = sl_connect_converter_to_value(c->value_conv, m->value,
                                                m->value ? (size_t)m->value_len : 0, mem,
                                                &r->value_schema, &r->value, t->ctx->err,
                                                sizeof(t->ctx->err));
        if (err) {
            char where[128];
            snprintf(where, sizeof(where), "converting %s-%d@%lld", m->topic, (int)m->partition,
                     (long long)m->offset);
            task_fail(t, where, err);
            return err;
        }
    }
    int rc;
    for (int tries = 0;; tries++) {
        rc = c->plugin->sink->put(t->ptask, recs, n);
        if (rc != SL_CONNECT_EAGAIN || atomic_load(&t->stop) || tries > 600)
            break;
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (rc) {
        task_fail(t, "put", rc);
        return rc;
    }
    for (size_t i = 0; i < n; i++)
        if (pending_note(t, msgs[i]->topic, msgs[i]->partition, msgs[i]->offset + 1))
            return SL_ERR_NOMEM;
    return SL_OK;
}

static void *sink_main(void *arg)
{
    task_t *t = arg;
    connector_t *c = t->conn;
    const sl_connect_sink_task_t *vt = c->plugin->sink;
    sl_message_t *msgs[SINK_BATCH];
    sl_connect_record_t *recs = calloc(SINK_BATCH, sizeof(*recs));
    sl_connect_mem_t *mem = sl_connect_mem_new();
    char ebuf[256];
    int rc = (!recs || !mem) ? SL_ERR_NOMEM : vt->start(t->ctx, &t->ptask);
    if (rc) {
        task_fail(t, "start", rc);
        free(recs);
        sl_connect_mem_free(mem);
        return NULL;
    }
    sl_err_t err = sl_consumer_new(c->client_conf, sink_rebalance, t, &t->consumer, ebuf,
                                   sizeof(ebuf));
    if (!err)
        err = sl_consumer_subscribe(t->consumer, (const char *const *)c->topics, c->topic_count);
    if (err) {
        snprintf(t->ctx->err, sizeof(t->ctx->err), "%s", ebuf);
        task_fail(t, "creating the consumer", err);
        goto out;
    }
    int64_t last_flush = sl_time_mono_ms();
    while (!atomic_load(&t->stop) && !t->sink_failed) {
        size_t n = 0;
        while (n < SINK_BATCH) {
            sl_message_t *m = NULL;
            err = sl_consumer_poll(t->consumer, n ? 0 : 100, &m);
            if (err || !m)
                break;
            if (m->err) {
                SL_WARN("connect", "task %s: consumer: %s", t->ctx->name, sl_err_name(m->err));
                sl_message_free(m);
                continue;
            }
            msgs[n++] = m;
        }
        if (n && sink_put(t, msgs, n, recs, mem))
            t->sink_failed = true;
        for (size_t i = 0; i < n; i++)
            sl_message_free(msgs[i]);
        sl_connect_mem_reset(mem);
        int64_t now = sl_time_mono_ms();
        if (!t->sink_failed && now - last_flush >= c->w->flush_interval_ms) {
            last_flush = now;
            sink_flush_commit(t);
        }
    }
    sink_flush_commit(t);
out:
    if (t->consumer)
        sl_consumer_close(t->consumer);
    vt->stop(t->ptask);
    sl_consumer_free(t->consumer);
    t->consumer = NULL;
    pending_clear(t);
    free(t->pending);
    free(recs);
    sl_connect_mem_free(mem);
    int running = TASK_RUNNING;
    atomic_compare_exchange_strong(&t->state, &running, TASK_STOPPED);
    return NULL;
}

/* ---- connectors ------------------------------------------------------------- */

static void connector_free(connector_t *c)
{
    if (!c)
        return;
    for (int i = 0; i < c->task_count; i++) {
        task_t *t = &c->tasks[i];
        atomic_store(&t->stop, 1);
    }
    for (int i = 0; i < c->task_count; i++) {
        task_t *t = &c->tasks[i];
        if (t->started)
            pthread_join(t->thread, NULL);
        sl_connect_ctx_free(t->ctx);
    }
    if (c->started && c->plugin->connector_stop)
        c->plugin->connector_stop(c->state);
    free(c->tasks);
    sl_connect_ctx_free(c->ctx);
    sl_connect_converter_free(c->key_conv);
    sl_connect_converter_free(c->value_conv);
    sl_conf_free(c->client_conf);
    for (size_t i = 0; i < c->topic_count; i++)
        free(c->topics[i]);
    free(c->topics);
    free(c->name);
    free(c);
}

/* Copies the worker's "producer." or "consumer." keys into conf. */
static sl_err_t client_conf(const sl_connect_worker_t *w, connector_t *c, bool sink,
                            char *errbuf, size_t errlen)
{
    sl_conf_t *conf = c->client_conf = sl_conf_new();
    if (!conf)
        return SL_ERR_NOMEM;
    sl_err_t err = sl_conf_set(conf, "bootstrap.servers", setting(c, "bootstrap.servers",
                                                                  "localhost:9092"), errbuf, errlen);
    char id[300];
    snprintf(id, sizeof(id), "connect-%s", c->name);
    if (!err)
        err = sl_conf_set(conf, "client.id", id, errbuf, errlen);
    if (!err && sink) {
        err = sl_conf_set(conf, "group.id", id, errbuf, errlen);
        if (!err)
            err = sl_conf_set(conf, "enable.auto.commit", "false", errbuf, errlen);
        if (!err)
            err = sl_conf_set(conf, "auto.offset.reset", "earliest", errbuf, errlen);
    } else if (!err) {
        err = sl_conf_set(conf, "linger.ms", "5", errbuf, errlen);
    }
    const char *prefix = sink ? "consumer." : "producer.";
    size_t plen = strlen(prefix);
    for (size_t i = 0; !err && i < sl_props_count(w->props); i++) {
        const char *k, *v;
        int line;
        sl_props_at(w->props, i, &k, &v, &line);
        if (strncmp(k, prefix, plen) == 0)
            err = sl_conf_set(conf, k + plen, v, errbuf, errlen);
    }
    return err;
}

/* Splits a comma-separated list into c->topics. */
static sl_err_t split_topics(connector_t *c, const char *list)
{
    char *copy = strdup(list), *save = NULL;
    if (!copy)
        return SL_ERR_NOMEM;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        size_t len = strlen(tok);
        while (len && tok[len - 1] == ' ')
            tok[--len] = '\0';
        if (!len)
            continue;
        char **n = realloc(c->topics, (c->topic_count + 1) * sizeof(*n));
        if (!n || !(n[c->topic_count] = strdup(tok))) {
            if (n)
                c->topics = n;
            free(copy);
            return SL_ERR_NOMEM;
        }
        c->topics = n;
        c->topic_count++;
    }
    free(copy);
    return SL_OK;
}

static sl_err_t make_converters(connector_t *c, char *errbuf, size_t errlen)
{
    static const char *const which[2] = {"key.converter", "value.converter"};
    sl_connect_converter_t **out[2] = {&c->key_conv, &c->value_conv};
    for (int i = 0; i < 2; i++) {
        char prefix[64];
        snprintf(prefix, sizeof(prefix), "%s.", which[i]);
        /* The connector's own converter settings win over the worker's. */
        bool own = sl_props_get(c->ctx->config, which[i]) != NULL;
        const sl_props_t *src = own ? c->ctx->config : c->w->props;
        sl_err_t err = sl_connect_converter_new(setting(c, which[i], "json"), src, prefix, out[i],
                                                errbuf, errlen);
        if (err)
            return err;
    }
    return SL_OK;
}

sl_err_t sl_connect_worker_add(sl_connect_worker_t *w, const sl_props_t *config, char *errbuf,
                               size_t errlen)
{
    const char *name = sl_props_get(config, "name");
    const char *cls = sl_props_get(config, "connector.class");
    if (!name || !*name || !cls || !*cls) {
        if (errbuf)
            snprintf(errbuf, errlen, "a connector config needs \"name\" and \"connector.class\"");
        return SL_ERR_CONFIG;
    }
    for (connector_t *o = w->connectors; o; o = o->next)
        if (strcmp(o->name, name) == 0) {
            if (errbuf)
                snprintf(errbuf, errlen, "connector %s exists already", name);
            return SL_ERR_EXISTS;
        }
    const sl_connect_plugin_t *plugin = sl_connect_plugins_find(w->plugins, cls);
    if (!plugin) {
        if (errbuf)
            snprintf(errbuf, errlen, "connector %s: no plugin provides connector.class %s "
                     "(see connect.plugin.path)", name, cls);
        return SL_ERR_CONFIG;
    }
    sl_props_t *resolved = NULL;
    char vbuf[400];
    sl_err_t err = sl_connect_config_validate(plugin->config_defs, plugin->config_def_count,
                                              config, &resolved, vbuf, sizeof(vbuf));
    if (err) {
        if (errbuf)
            snprintf(errbuf, errlen, "connector %s: %s", name, vbuf);
        return err;
    }
    connector_t *c = calloc(1, sizeof(*c));
    if (!c || !(c->name = strdup(name)) ||
        !(c->ctx = sl_connect_ctx_new(name, name, resolved, w->offsets))) {
        if (c)
            free(c->name);
        else
            sl_props_free(resolved);
        free(c);
        return SL_ERR_NOMEM;
    }
    c->plugin = plugin;
    c->w = w;
    bool sink = plugin->kind == SL_CONNECT_SINK;
    int64_t max_tasks = 1;
    const char *tm = sl_props_get(c->ctx->config, "tasks.max");
    if (tm && (sscanf(tm, "%" SCNd64, &max_tasks) != 1 || max_tasks < 1 || max_tasks > 256)) {
        if (errbuf)
            snprintf(errbuf, errlen, "connector %s: tasks.max must be 1..256, not %s", name, tm);
        err = SL_ERR_CONFIG;
        goto fail;
    }
    if (sink) {
        const char *topics = sl_props_get(c->ctx->config, "topics");
        if ((err = split_topics(c, topics ? topics : "")))
            goto fail;
        if (!c->topic_count) {
            if (errbuf)
                snprintf(errbuf, errlen, "connector %s: a sink needs \"topics\"", name);
            err = SL_ERR_CONFIG;
            goto fail;
        }
    }
    if ((err = make_converters(c, errbuf, errlen)) ||
        (err = client_conf(w, c, sink, errbuf, errlen)))
        goto fail;
    /* Connector start and the task split run on this (the caller's) thread. */
    if (plugin->connector_start && (err = plugin->connector_start(c->ctx, &c->state))) {
        if (errbuf)
            snprintf(errbuf, errlen, "connector %s: start failed (%s): %s", name,
                     sl_err_name(err), c->ctx->err);
        goto fail;
    }
    c->started = true;
    sl_connect_taskcfgs_t tc = {calloc((size_t)max_tasks, sizeof(sl_props_t *)), 0, (int)max_tasks};
    if (!tc.cfgs) {
        err = SL_ERR_NOMEM;
        goto fail;
    }
    int n = 1;
    if (plugin->task_configs) {
        n = plugin->task_configs(c->state, c->ctx, (int)max_tasks, &tc);
        if (n < 0 || n > tc.count || (n == 0)) {
            err = n < 0 ? n : SL_ERR_STATE;
            if (errbuf)
                snprintf(errbuf, errlen, "connector %s: task_configs failed (%s)%s%s", name,
                         sl_err_name(err), *c->ctx->err ? ": " : "", c->ctx->err);
            for (int i = 0; i < tc.count; i++)
                sl_props_free(tc.cfgs[i]);
            free(tc.cfgs);
            goto fail;
        }
    }
    c->tasks = calloc((size_t)n, sizeof(*c->tasks));
    err = c->tasks ? SL_OK : SL_ERR_NOMEM;
    for (int i = 0; i < n && !err; i++) {
        task_t *t = &c->tasks[i];
        char tname[300];
        snprintf(tname, sizeof(tname), "%s-%d", name, i);
        /* A task sees the connector's config overlaid with its own. */
        sl_props_t *cfg = NULL;
        err = sl_connect_config_validate(NULL, 0, c->ctx->config, &cfg, NULL, 0);
        for (size_t k = 0; !err && plugin->task_configs && k < sl_props_count(tc.cfgs[i]); k++) {
            const char *key, *val;
            int line;
            sl_props_at(tc.cfgs[i], k, &key, &val, &line);
            err = sl_props_set(cfg, key, val, line);
        }
        if (err || !(t->ctx = sl_connect_ctx_new(tname, name, cfg, w->offsets))) {
            err = SL_ERR_NOMEM;
            break;
        }
        t->conn = c;
        t->index = i;
        c->task_count++;
    }
    for (int i = 0; i < tc.count; i++)
        sl_props_free(tc.cfgs[i]);
    free(tc.cfgs);
    if (err)
        goto fail;
    for (int i = 0; i < c->task_count; i++) {
        task_t *t = &c->tasks[i];
        if (pthread_create(&t->thread, NULL, sink ? sink_main : source_main, t)) {
            snprintf(t->failure, sizeof(t->failure), "cannot start a thread");
            atomic_store(&t->state, TASK_FAILED);
        } else {
            t->started = true;
        }
    }
    c->next = w->connectors;
    w->connectors = c;
    SL_INFO("connect", "connector %s (%s) started with %d task(s)", name, plugin->class_name,
            c->task_count);
    return SL_OK;
fail:
    connector_free(c);
    return err;
}

const char *sl_connect_worker_task_state(sl_connect_worker_t *w, const char *name, int task,
                                         char *errbuf, size_t errlen)
{
    for (connector_t *c = w->connectors; c; c = c->next) {
        if (strcmp(c->name, name) != 0)
            continue;
        if (task < 0 || task >= c->task_count)
            return NULL;
        task_t *t = &c->tasks[task];
        switch (atomic_load(&t->state)) {
        case TASK_RUNNING: return "RUNNING";
        case TASK_STOPPED: return "STOPPED";
        default:
            if (errbuf)
                snprintf(errbuf, errlen, "%s", t->failure);
            return "FAILED";
        }
    }
    return NULL;
}

sl_err_t sl_connect_worker_new(const sl_props_t *props, sl_connect_worker_t **out, char *errbuf,
                               size_t errlen)
{
    *out = NULL;
    const char *path = sl_props_get(props, "connect.plugin.path");
    if (!path)
        path = sl_props_get(props, "plugin.path");
    const char *ofile = sl_props_get(props, "offset.storage.file.filename");
    const char *fi = sl_props_get(props, "offset.flush.interval.ms");
    int64_t interval = 60000;
    if (!path || !ofile) {
        if (errbuf)
            snprintf(errbuf, errlen, "the worker needs %s", !path ? "connect.plugin.path" :
                     "offset.storage.file.filename");
        return SL_ERR_CONFIG;
    }
    if (fi && (sscanf(fi, "%" SCNd64, &interval) != 1 || interval < 0)) {
        if (errbuf)
            snprintf(errbuf, errlen, "offset.flush.interval.ms must be a number of ms, not %s", fi);
        return SL_ERR_CONFIG;
    }
    sl_connect_worker_t *w = calloc(1, sizeof(*w));
    if (!w || !(w->props = sl_props_new())) {
        free(w);
        return SL_ERR_NOMEM;
    }
    w->flush_interval_ms = interval;
    sl_err_t err = sl_connect_config_validate(NULL, 0, props, NULL, NULL, 0);
    for (size_t i = 0; !err && i < sl_props_count(props); i++) {
        const char *k, *v;
        int line;
        sl_props_at(props, i, &k, &v, &line);
        err = sl_props_set(w->props, k, v, line);
    }
    if (!err)
        err = sl_connect_offsets_open(ofile, &w->offsets, errbuf, errlen);
    if (!err)
        err = sl_connect_plugins_load(path, &w->plugins, errbuf, errlen);
    if (err) {
        sl_connect_worker_free(w);
        return err;
    }
    *out = w;
    return SL_OK;
}

const sl_connect_plugins_t *sl_connect_worker_plugins(const sl_connect_worker_t *w)
{
    return w->plugins;
}

void sl_connect_worker_free(sl_connect_worker_t *w)
{
    if (!w)
        return;
    while (w->connectors) {
        connector_t *c = w->connectors;
        w->connectors = c->next;
        connector_free(c);
    }
    if (w->offsets)
        sl_connect_offsets_save(w->offsets);
    sl_connect_offsets_free(w->offsets);
    sl_connect_plugins_free(w->plugins);
    sl_props_free(w->props);
    free(w);
}
