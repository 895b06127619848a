/*
 * runtime.c - connectors and tasks running in this process (Kafka's
 * Worker): config checks, connector start/stop and task splitting, and the
 * start, pause and stop of task threads (their loops are in
 * runtime_source.c and runtime_sink.c). Where configs come from is the
 * herder's business; every state change goes out through the status
 * callback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "runtime_int.h"

struct rt_conn {
    char *name;
    const sl_connect_plugin_t *plugin;
    sl_connect_ctx_t *ctx;              /* resolved config */
    void *state;                        /* the plugin's */
    rt_conn_t *next;
};

/* ---- helpers shared with the task loops ------------------------------------ */

void sl_connect_rt_report(rt_task_t *t, const char *state, const char *trace)
{
    if (t->rt->status)
        t->rt->status(t->rt->status_arg, t->connector, t->index, state, trace);
}

void sl_connect_rt_fail(rt_task_t *t, const char *what, int rc)
{
    char why[800];
    snprintf(why, sizeof(why), "%s failed (%s)%s%s", what, sl_err_name(rc),
             *t->ctx->err ? ": " : "", t->ctx->err);
    SL_ERROR("connect", "task %s: %s", t->ctx->name, why);
    t->failed = true;
    sl_connect_rt_report(t, "FAILED", why);
}

void sl_connect_rt_nap(rt_task_t *t, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&t->lock);
    if (!atomic_load(&t->stop))
        pthread_cond_timedwait(&t->wake, &t->lock, &ts);
    pthread_mutex_unlock(&t->lock);
}

static void report_conn(sl_connect_runtime_t *rt, const char *name, const char *state,
                        const char *trace)
{
    if (rt->status)
        rt->status(rt->status_arg, name, -1, state, trace);
}

/* ---- config ------------------------------------------------------------------ */

/* Splits a comma-separated list (items trimmed, empty ones dropped) into a
 * malloc'ed array of malloc'ed strings. */
static sl_err_t split_list(const char *list, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    char *copy = strdup(list ? list : ""), *save = NULL;
    if (!copy)
        return SL_ERR_NOMEM;
    size_t cap = 0;
    sl_err_t err = SL_OK;
    for (char *tok = strtok_r(copy, ",", &save); tok && !err; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t')
            tok++;
        size_t len = strlen(tok);
        while (len && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
            tok[--len] = '\0';
        if (!len)
            continue;
        char **grown = sl_connect_array_grow(*out, *n, &cap, sizeof(char *), 4);
        if (!grown || !(grown[*n] = strdup(tok))) {
            if (grown)
                *out = grown;
            err = SL_ERR_NOMEM;
            break;
        }
        *out = grown;
        (*n)++;
    }
    free(copy);
    return err;
}

static void free_list(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

/* The connector's exactly.once.support: 0 unset (Kafka's default,
 * requested), 1 requested, 2 required, -1 a bad value. */
static int eos_wanted(const sl_props_t *config)
{
    const char *v = sl_props_get(config, "exactly.once.support");
    if (!v || !*v)
        return 0;
    if (strcasecmp(v, "requested") == 0)
        return 1;
    return strcasecmp(v, "required") == 0 ? 2 : -1;
}

sl_err_t sl_connect_runtime_check(const sl_connect_runtime_t *rt, const sl_props_t *config,
                                  const sl_connect_plugin_t **plugin_out, sl_props_t **resolved,
                                  char *errbuf, size_t errlen)
{
    if (plugin_out)
        *plugin_out = NULL;
    if (resolved)
        *resolved = NULL;
    const char *name = sl_props_get(config, "name");
    const char *cls = sl_props_get(config, "connector.class");
    if (!name || !*name || !cls || !*cls) {
        if (errbuf)
            snprintf(errbuf, errlen, "a connector config needs \"name\" and \"connector.class\"");
        return SL_ERR_CONFIG;
    }
    const sl_connect_plugin_t *plugin = sl_connect_plugins_find(rt->plugins, cls);
    if (!plugin) {
        if (errbuf)
            snprintf(errbuf, errlen, "connector %s: no plugin provides connector.class %s "
                     "(see connect.plugin.path)", name, cls);
        return SL_ERR_CONFIG;
    }
    static const char *const common[] = {"header.converter", "topics", "exactly.once.support",
                                         "transaction.boundary"};
    char why[600] = "";
    bool txn_store = rt->offsets && rt->offsets->ops->send_in_txn;
    sl_err_t err = sl_connect_common_error("tasks.max", config, plugin, rt->eos_enabled,
                                           txn_store, why, sizeof(why)) ? SL_ERR_CONFIG : SL_OK;
    if (!err)
        err = sl_connect_config_validate(plugin->config_defs, plugin->config_def_count, config,
                                         NULL, why, sizeof(why));
    for (size_t i = 0; !err && i < sizeof(common) / sizeof(common[0]); i++)
        if (sl_connect_common_error(common[i], config, plugin, rt->eos_enabled, txn_store, why,
                                    sizeof(why)))
            err = SL_ERR_CONFIG;
    if (!err)
        err = sl_connect_pipeline_check(rt->wprops, config, plugin->kind, why, sizeof(why));
    if (err) {
        if (errbuf && err == SL_ERR_CONFIG)
            snprintf(errbuf, errlen, "connector %s: %s", name, why);
        return err;
    }
    if (resolved && (err = sl_connect_config_validate(plugin->config_defs,
                                                      plugin->config_def_count, config,
                                                      resolved, NULL, 0)))
        return err;
    if (plugin_out)
        *plugin_out = plugin;
    return SL_OK;
}

/* Settings for a task's producer or consumer: the worker's
 * bootstrap.servers, Connect's defaults, the worker's "producer." or
 * "consumer." keys, then the connector's "producer.override." or
 * "consumer.override." keys. */
static sl_err_t client_conf(const sl_connect_runtime_t *rt, const sl_props_t *cfg,
                            const char *name, int task, bool consumer, sl_conf_t **out,
                            char *errbuf, size_t errlen)
{
    sl_conf_t *conf = *out = sl_conf_new();
    if (!conf)
        return SL_ERR_NOMEM;
    const char *bs = sl_props_get(rt->wprops, "bootstrap.servers");
    sl_err_t err = sl_conf_set(conf, "bootstrap.servers", bs ? bs : "localhost:9092", errbuf,
                               errlen);
    /* Sized to the name: a long name must not share a group by a cut. */
    size_t idlen = strlen(name) + 48;
    char *id = malloc(idlen);
    if (!id)
        return SL_ERR_NOMEM;
    snprintf(id, idlen, "connector-%s-%s-%d", consumer ? "consumer" : "producer", name, task);
    if (!err)
        err = sl_conf_set(conf, "client.id", id, errbuf, errlen);
    if (!err && consumer) {
        snprintf(id, idlen, "connect-%s", name);
        err = sl_conf_set(conf, "group.id", id, errbuf, errlen);
        if (!err)
            err = sl_conf_set(conf, "enable.auto.commit", "false", errbuf, errlen);
        if (!err)
            err = sl_conf_set(conf, "auto.offset.reset", "earliest", errbuf, errlen);
    } else if (!err) {
        err = sl_conf_set(conf, "linger.ms", "5", errbuf, errlen);
    }
    free(id);
    const sl_props_t *from[2] = {rt->wprops, cfg};
    const char *prefixes[2] = {consumer ? "consumer." : "producer.",
                               consumer ? "consumer.override." : "producer.override."};
    for (int s = 0; s < 2; s++) {
        size_t plen = strlen(prefixes[s]);
        for (size_t i = 0; !err && i < sl_props_count(from[s]); i++) {
            const char *k, *v;
            sl_props_at(from[s], i, &k, &v, NULL);
            if (strncmp(k, prefixes[s], plen) == 0)
                err = sl_conf_set(conf, k + plen, v, errbuf, errlen);
        }
    }
    return err;
}

/* ---- the runtime ------------------------------------------------------------- */

sl_err_t sl_connect_runtime_new(const sl_props_t *worker_props, const sl_connect_plugins_t *plugins,
                                sl_connect_offset_store_t *offsets, const char *worker_id,
                                sl_connect_status_fn *status, void *status_arg,
                                sl_connect_runtime_t **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    int64_t interval;
    sl_err_t err = sl_connect_props_int(worker_props, "offset.flush.interval.ms", 60000, 0,
                                        INT32_MAX, &interval, errbuf, errlen);
    if (err)
        return err;
    const char *eos = sl_props_get(worker_props, "exactly.once.source.support");
    if (eos && strcasecmp(eos, "enabled") != 0 && strcasecmp(eos, "disabled") != 0 &&
        strcasecmp(eos, "preparing") != 0) {
        if (errbuf)
            snprintf(errbuf, errlen, "Invalid value %s for configuration "
                     "exactly.once.source.support: must be enabled, preparing or disabled", eos);
        return SL_ERR_CONFIG;
    }
    sl_connect_runtime_t *rt = calloc(1, sizeof(*rt));
    if (!rt || !(rt->worker_id = strdup(worker_id ? worker_id : ""))) {
        free(rt);
        return SL_ERR_NOMEM;
    }
    rt->wprops = worker_props;
    rt->plugins = plugins;
    rt->offsets = offsets;
    rt->status = status;
    rt->status_arg = status_arg;
    rt->flush_interval_ms = interval;
    rt->eos_enabled = eos && strcasecmp(eos, "enabled") == 0;
    *out = rt;
    return SL_OK;
}

static rt_conn_t **find_conn(sl_connect_runtime_t *rt, const char *name)
{
    rt_conn_t **pc = &rt->conns;
    while (*pc && strcmp((*pc)->name, name) != 0)
        pc = &(*pc)->next;
    return pc;
}

static rt_task_t **find_task(sl_connect_runtime_t *rt, const char *name, int task)
{
    rt_task_t **pt = &rt->tasks;
    while (*pt && ((*pt)->index != task || strcmp((*pt)->connector, name) != 0))
        pt = &(*pt)->next;
    return pt;
}

static void conn_free(rt_conn_t *c)
{
    if (!c)
        return;
    sl_connect_ctx_free(c->ctx);
    free(c->name);
    free(c);
}

sl_err_t sl_connect_runtime_start_connector(sl_connect_runtime_t *rt, const char *name,
                                            const sl_props_t *config, bool paused, char *errbuf,
                                            size_t errlen)
{
    if (*find_conn(rt, name)) {
        if (errbuf)
            snprintf(errbuf, errlen, "connector %s runs here already", name);
        return SL_ERR_EXISTS;
    }
    const sl_connect_plugin_t *plugin;
    sl_props_t *resolved;
    sl_err_t err = sl_connect_runtime_check(rt, config, &plugin, &resolved, errbuf, errlen);
    if (err)
        return err;
    rt_conn_t *c = calloc(1, sizeof(*c));
    if (!c || !(c->name = strdup(name)) ||
        !(c->ctx = sl_connect_ctx_new(name, name, resolved, rt->offsets))) {
        if (!c)
            sl_props_free(resolved);
        conn_free(c);
        return SL_ERR_NOMEM;
    }
    c->plugin = plugin;
    /* Connector start and the task split run on this (the herder's) thread. */
    if (plugin->connector_start && (err = plugin->connector_start(c->ctx, &c->state))) {
        char why[700];
        snprintf(why, sizeof(why), "start failed (%s): %s", sl_err_name(err), c->ctx->err);
        if (errbuf)
            snprintf(errbuf, errlen, "connector %s: %s", name, why);
        SL_ERROR("connect", "connector %s: %s", name, why);
        report_conn(rt, name, "FAILED", why);
        conn_free(c);
        return err;
    }
    c->next = rt->conns;
    rt->conns = c;
    SL_INFO("connect", "connector %s (%s) started%s", name, plugin->class_name,
            paused ? " paused" : "");
    report_conn(rt, name, paused ? "PAUSED" : "RUNNING", NULL);
    return SL_OK;
}

sl_err_t sl_connect_runtime_task_configs(sl_connect_runtime_t *rt, const char *name,
                                         sl_props_t ***cfgs, int *n, char *errbuf, size_t errlen)
{
    *cfgs = NULL;
    *n = 0;
    rt_conn_t *c = *find_conn(rt, name);
    if (!c) {
        if (errbuf)
            snprintf(errbuf, errlen, "connector %s does not run here", name);
        return SL_ERR_NOENT;
    }
    int64_t max_tasks;
    sl_err_t err = sl_connect_props_int(c->ctx->config, "tasks.max", 1, 1, 256, &max_tasks,
                                        errbuf, errlen);
    if (err)
        return err;
    sl_connect_taskcfgs_t tc = {calloc((size_t)max_tasks, sizeof(sl_props_t *)), 0,
                                (int)max_tasks};
    if (!tc.cfgs)
        return SL_ERR_NOMEM;
    if (!c->plugin->task_configs) {
        if (sl_connect_config_validate(NULL, 0, c->ctx->config, &tc.cfgs[0], NULL, 0)) {
            free(tc.cfgs);
            return SL_ERR_NOMEM;
        }
        *cfgs = tc.cfgs;
        *n = 1;
        return SL_OK;
    }
    c->ctx->err[0] = '\0';
    int got = c->plugin->task_configs(c->state, c->ctx, (int)max_tasks, &tc);
    if (got <= 0 || got > tc.count) {
        err = got < 0 ? got : SL_ERR_STATE;
        if (errbuf)
            snprintf(errbuf, errlen, "connector %s: task_configs failed (%s)%s%s", name,
                     sl_err_name(err), *c->ctx->err ? ": " : "",
                     *c->ctx->err ? c->ctx->err : got > tc.count ?
                     "it returned more tasks than it filled" : "");
        for (int i = 0; i < tc.count; i++)
            sl_props_free(tc.cfgs[i]);
        free(tc.cfgs);
        return err;
    }
    for (int i = got; i < tc.count; i++)
        sl_props_free(tc.cfgs[i]);
    *cfgs = tc.cfgs;
    *n = got;
    return SL_OK;
}

void sl_connect_runtime_stop_connector(sl_connect_runtime_t *rt, const char *name)
{
    rt_conn_t **pc = find_conn(rt, name), *c = *pc;
    if (!c)
        return;
    *pc = c->next;
    if (c->plugin->connector_stop)
        c->plugin->connector_stop(c->state);
    SL_INFO("connect", "connector %s stopped", name);
    report_conn(rt, name, "UNASSIGNED", NULL);
    conn_free(c);
}

static void task_free(rt_task_t *t)
{
    if (!t)
        return;
    sl_connect_pipeline_free(t->pipe);
    sl_connect_ctx_free(t->ctx);
    sl_conf_free(t->producer_conf);
    sl_conf_free(t->consumer_conf);
    free_list(t->topics, t->topic_count);
    free(t->txn_id);
    free(t->connector);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->wake);
    free(t);
}

/* Sets up exactly-once for a source task when everything allows it: the
 * worker enabled it, the plugin declares exactly_once and the offset store
 * takes part in transactions. exactly.once.support unset means requested
 * (Kafka's default); required without the rest is refused (the runtime's
 * check said so already). A transactional.id goes on its producer. */
static sl_err_t setup_eos(sl_connect_runtime_t *rt, rt_task_t *t, char *errbuf, size_t errlen)
{
    int want = eos_wanted(t->ctx->config);
    bool can = rt->eos_enabled && t->plugin->exactly_once && rt->offsets &&
               rt->offsets->ops->send_in_txn;
    if (!can) {
        if (want == 2) {
            if (errbuf)
                snprintf(errbuf, errlen, "connector %s: exactly.once.support=required, but "
                         "exactly-once delivery is not available here", t->connector);
            return SL_ERR_CONFIG;
        }
        if (rt->eos_enabled)
            SL_INFO("connect", "task %s: runs at least once (%s)", t->ctx->name,
                    !t->plugin->exactly_once ? "the connector does not declare exactly-once "
                    "support" : "the offset store cannot take part in transactions");
        return SL_OK;
    }
    const char *group = sl_props_get(rt->wprops, "group.id");
    size_t len = strlen(group ? group : "connector") + strlen(t->connector) + 16;
    if (!(t->txn_id = malloc(len)))
        return SL_ERR_NOMEM;
    snprintf(t->txn_id, len, "%s-%s-%d", group ? group : "connector", t->connector, t->index);
    sl_err_t err = sl_conf_set(t->producer_conf, "transactional.id", t->txn_id, errbuf, errlen);
    if (!err)
        err = sl_conf_set(t->producer_conf, "enable.idempotence", "true", errbuf, errlen);
    return err;
}

sl_err_t sl_connect_runtime_start_task(sl_connect_runtime_t *rt, const char *name, int task,
                                       const sl_props_t *connector_config,
                                       const sl_props_t *task_config, bool paused, char *errbuf,
                                       size_t errlen)
{
    if (*find_task(rt, name, task)) {
        if (errbuf)
            snprintf(errbuf, errlen, "task %s-%d runs here already", name, task);
        return SL_ERR_EXISTS;
    }
    const sl_connect_plugin_t *plugin;
    sl_props_t *cfg;
    sl_err_t err = sl_connect_runtime_check(rt, connector_config, &plugin, &cfg, errbuf, errlen);
    if (err)
        return err;
    /* The task sees the connector's config overlaid with its own. */
    for (size_t k = 0; task_config && k < sl_props_count(task_config); k++) {
        const char *key, *val;
        int line;
        sl_props_at(task_config, k, &key, &val, &line);
        if (sl_props_set(cfg, key, val, line)) {
            sl_props_free(cfg);
            return SL_ERR_NOMEM;
        }
    }
    rt_task_t *t = calloc(1, sizeof(*t));
    size_t tlen = strlen(name) + 16;
    char *tname = malloc(tlen);
    if (!t || !tname) {
        free(t);
        free(tname);
        sl_props_free(cfg);
        return SL_ERR_NOMEM;
    }
    snprintf(tname, tlen, "%s-%d", name, task);
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->wake, NULL);
    t->rt = rt;
    t->index = task;
    t->plugin = plugin;
    atomic_init(&t->stop, false);
    atomic_init(&t->paused, paused);
    bool sink = plugin->kind == SL_CONNECT_SINK;
    if (!(t->connector = strdup(name)) ||
        !(t->ctx = sl_connect_ctx_new(tname, name, cfg, rt->offsets))) {
        if (!t->connector)
            sl_props_free(cfg);
        err = SL_ERR_NOMEM;
        goto fail;
    }
    if ((err = client_conf(rt, cfg, name, task, false, &t->producer_conf, errbuf, errlen)) ||
        (sink && (err = client_conf(rt, cfg, name, task, true, &t->consumer_conf, errbuf,
                                    errlen))) ||
        (sink && (err = split_list(sl_props_get(cfg, "topics"), &t->topics, &t->topic_count))) ||
        (!sink && (err = setup_eos(rt, t, errbuf, errlen))) ||
        (err = sl_connect_pipeline_new(rt->wprops, cfg, plugin->kind, name, task,
                                       t->producer_conf, &t->pipe, errbuf, errlen)))
        goto fail;
    if (pthread_create(&t->thread, NULL, sink ? sl_connect_rt_sink_main : sl_connect_rt_source_main,
                       t)) {
        if (errbuf)
            snprintf(errbuf, errlen, "task %s: cannot start a thread", tname);
        err = SL_ERR_NOMEM;
        goto fail;
    }
    t->started = true;
    t->next = rt->tasks;
    rt->tasks = t;
    free(tname);
    return SL_OK;
fail:
    free(tname);
    task_free(t);
    return err;
}

/* Stops and joins the tasks of the list (all asked first: they stop in
 * parallel), reports them UNASSIGNED and frees them. */
static void stop_tasks(rt_task_t *list)
{
    for (rt_task_t *t = list; t; t = t->next) {
        pthread_mutex_lock(&t->lock);
        atomic_store(&t->stop, true);
        pthread_cond_broadcast(&t->wake);
        pthread_mutex_unlock(&t->lock);
    }
    while (list) {
        rt_task_t *t = list;
        list = t->next;
        if (t->started)
            pthread_join(t->thread, NULL);
        sl_connect_rt_report(t, "UNASSIGNED", NULL);
        task_free(t);
    }
}

void sl_connect_runtime_stop_task(sl_connect_runtime_t *rt, const char *name, int task)
{
    rt_task_t **pt = find_task(rt, name, task), *t = *pt;
    if (!t)
        return;
    *pt = t->next;
    t->next = NULL;
    stop_tasks(t);
}

void sl_connect_runtime_set_paused(sl_connect_runtime_t *rt, const char *name, bool paused)
{
    if (*find_conn(rt, name))
        report_conn(rt, name, paused ? "PAUSED" : "RUNNING", NULL);
    for (rt_task_t *t = rt->tasks; t; t = t->next) {
        if (strcmp(t->connector, name) != 0)
            continue;
        pthread_mutex_lock(&t->lock);
        atomic_store(&t->paused, paused);
        pthread_cond_broadcast(&t->wake);
        pthread_mutex_unlock(&t->lock);
    }
}

sl_err_t sl_connect_runtime_flush_offsets(sl_connect_runtime_t *rt)
{
    return rt->offsets ? rt->offsets->ops->flush(rt->offsets) : SL_OK;
}

void sl_connect_runtime_free(sl_connect_runtime_t *rt)
{
    if (!rt)
        return;
    stop_tasks(rt->tasks);
    rt->tasks = NULL;
    while (rt->conns)
        sl_connect_runtime_stop_connector(rt, rt->conns->name);
    free(rt->worker_id);
    free(rt);
}
