/*
 * worker.c - the public worker (connect.h's sl_connect_worker_*): the
 * worker settings, the mode (standalone without group.id, distributed
 * with it), the plugins, config validation as Kafka's
 * PUT /connector-plugins/{plugin}/config/validate answers it, and every
 * other call handed to the herder of the mode under one lock (the REST
 * service calls from its own threads).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connect_int.h"

struct sl_connect_worker {
    sl_props_t *props;                    /* a copy of the settings */
    sl_connect_plugins_t *plugins;
    char *id;                             /* host:port */
    bool distributed;
    const sl_connect_herder_ops_t *ops;
    void *h;
    pthread_mutex_t lock;                 /* one herder call at a time */
    pthread_mutex_t cid_lock;             /* the cluster id's fields */
    char *cluster_id;                     /* NULL until a broker answered */
    int64_t cid_asked_ms;                 /* last attempt; 0: never */
};

/* The worker id: rest.advertised.host.name/port, else the host:port of the
 * first listener. */
static char *worker_id(const sl_props_t *props)
{
    const char *l = sl_props_get(props, "listeners");
    if (!l || !*l)
        l = "http://127.0.0.1:8083";
    const char *scheme = strstr(l, "://");
    const char *hp = scheme ? scheme + 3 : l;
    size_t len = strcspn(hp, ",/ ");
    char host[256] = "127.0.0.1", port[16] = "8083";
    const char *colon = memchr(hp, ':', len);
    if (colon) {
        snprintf(host, sizeof(host), "%.*s", (int)(colon - hp), hp);
        snprintf(port, sizeof(port), "%.*s", (int)(len - (size_t)(colon - hp) - 1), colon + 1);
    } else if (len) {
        snprintf(host, sizeof(host), "%.*s", (int)len, hp);
    }
    const char *ah = sl_props_get(props, "rest.advertised.host.name");
    const char *ap = sl_props_get(props, "rest.advertised.port");
    size_t n = strlen(ah ? ah : host) + strlen(ap ? ap : port) + 2;
    char *id = malloc(n);
    if (id)
        snprintf(id, n, "%s:%s", ah ? ah : host, ap ? ap : port);
    return id;
}

sl_err_t sl_connect_worker_new(const sl_props_t *props, sl_connect_worker_t **out, char *errbuf,
                               size_t errlen)
{
    *out = NULL;
    const char *path = sl_props_get(props, "connect.plugin.path");
    if (!path)
        path = sl_props_get(props, "plugin.path");
    if (!path) {
        if (errbuf)
            snprintf(errbuf, errlen, "the worker needs connect.plugin.path");
        return SL_ERR_CONFIG;
    }
    const char *group = sl_props_get(props, "group.id");
    bool dist = group && *group;
    const char *ofile = sl_props_get(props, "offset.storage.file.filename");
    int64_t interval;
    /* Settings are checked before any plugin is loaded. */
    sl_err_t err = sl_connect_props_int(props, "offset.flush.interval.ms", 60000, 0, INT32_MAX,
                                        &interval, errbuf, errlen);
    if (err)
        return err;
    if (!dist && (!ofile || !*ofile)) {
        if (errbuf)
            snprintf(errbuf, errlen, "the worker needs offset.storage.file.filename "
                     "(standalone mode; set group.id for distributed mode)");
        return SL_ERR_CONFIG;
    }
    sl_connect_worker_t *w = calloc(1, sizeof(*w));
    if (!w)
        return SL_ERR_NOMEM;
    pthread_mutex_init(&w->lock, NULL);
    pthread_mutex_init(&w->cid_lock, NULL);
    w->distributed = dist;
    w->props = NULL;
    err = sl_connect_config_validate(NULL, 0, props, &w->props, NULL, 0);
    if (!err && !(w->id = worker_id(props)))
        err = SL_ERR_NOMEM;
    if (!err)
        err = sl_connect_plugins_load(path, &w->plugins, errbuf, errlen);
    if (!err)
        err = dist ? sl_connect_herder_dist_new(w->props, w->plugins, w->id, &w->ops, &w->h,
                                                errbuf, errlen)
                   : sl_connect_herder_local_new(w->props, w->plugins, w->id, &w->ops, &w->h,
                                                 errbuf, errlen);
    if (err) {
        sl_connect_worker_free(w);
        return err;
    }
    SL_INFO("connect", "worker %s started (%s mode)", w->id, dist ? "distributed" : "standalone");
    *out = w;
    return SL_OK;
}

const sl_connect_plugins_t *sl_connect_worker_plugins(const sl_connect_worker_t *w)
{
    return w->plugins;
}

const char *sl_connect_worker_id(const sl_connect_worker_t *w)
{
    return w->id;
}

bool sl_connect_worker_is_distributed(const sl_connect_worker_t *w)
{
    return w->distributed;
}

/* Asks bootstrap.servers for the cluster id (Metadata through an admin
 * client). NULL when no broker answered. */
static char *ask_cluster_id(const sl_props_t *props)
{
    sl_conf_t *conf = sl_conf_new();
    const char *bs = sl_props_get(props, "bootstrap.servers");
    bool ok = conf && !sl_conf_set(conf, "bootstrap.servers", bs ? bs : "localhost:9092", NULL, 0);
    for (size_t i = 0; ok && i < sl_props_count(props); i++) {
        const char *k, *v;
        sl_props_at(props, i, &k, &v, NULL);
        if (strncmp(k, "admin.", 6) == 0)
            ok = !sl_conf_set(conf, k + 6, v, NULL, 0);
    }
    sl_admin_t *a = NULL;
    char *id = NULL;
    if (ok && sl_admin_new(conf, &a, NULL, 0) == SL_OK) {
        sl_arena_t arena;
        sl_arena_init(&arena, 4096, 0);
        sl_cluster_desc_t d;
        if (sl_admin_describe_cluster(a, &arena, &d, 2000) == SL_OK && d.cluster_id)
            id = strdup(d.cluster_id);
        sl_arena_fini(&arena);
        sl_admin_free(a);
    }
    sl_conf_free(conf);
    return id;
}

const char *sl_connect_worker_kafka_cluster_id(sl_connect_worker_t *w)
{
    pthread_mutex_lock(&w->cid_lock);
    int64_t now = sl_time_mono_ms();
    if (!w->cluster_id && (!w->cid_asked_ms || now - w->cid_asked_ms >= 10000)) {
        w->cid_asked_ms = now;
        w->cluster_id = ask_cluster_id(w->props);
    }
    const char *id = w->cluster_id;
    pthread_mutex_unlock(&w->cid_lock);
    return id;
}

void sl_connect_worker_free(sl_connect_worker_t *w)
{
    if (!w)
        return;
    if (w->ops)
        w->ops->free(w->h);
    sl_connect_plugins_free(w->plugins);
    sl_props_free(w->props);
    pthread_mutex_destroy(&w->lock);
    pthread_mutex_destroy(&w->cid_lock);
    free(w->cluster_id);
    free(w->id);
    free(w);
}

/* ---- connectors: the herder's calls under the lock ------------------------- */

sl_err_t sl_connect_worker_add(sl_connect_worker_t *w, const sl_props_t *config, char *errbuf,
                               size_t errlen)
{
    const char *name = sl_props_get(config, "name");
    pthread_mutex_lock(&w->lock);
    sl_err_t err = w->ops->put(w->h, name ? name : "", config, true, NULL, errbuf, errlen);
    pthread_mutex_unlock(&w->lock);
    return err;
}

sl_err_t sl_connect_worker_put(sl_connect_worker_t *w, const char *name, const sl_props_t *config,
                               bool *created, char *errbuf, size_t errlen)
{
    const char *given = sl_props_get(config, "name");
    if (given && strcmp(given, name) != 0) {
        if (errbuf)
            snprintf(errbuf, errlen, "Connector name configuration (%s) doesn't match connector "
                     "name in the URL (%s)", given, name);
        return SL_ERR_CONFIG;
    }
    /* The stored config always carries its name. */
    sl_props_t *named = NULL;
    sl_err_t err = sl_connect_config_validate(NULL, 0, config, &named, NULL, 0);
    if (!err && !given)
        err = sl_props_set(named, "name", name, 0);
    if (!err) {
        pthread_mutex_lock(&w->lock);
        err = w->ops->put(w->h, name, named, false, created, errbuf, errlen);
        pthread_mutex_unlock(&w->lock);
    }
    sl_props_free(named);
    return err;
}

sl_err_t sl_connect_worker_delete(sl_connect_worker_t *w, const char *name, char *errbuf,
                                  size_t errlen)
{
    pthread_mutex_lock(&w->lock);
    sl_err_t err = w->ops->remove(w->h, name, errbuf, errlen);
    pthread_mutex_unlock(&w->lock);
    return err;
}

static sl_err_t set_paused(sl_connect_worker_t *w, const char *name, bool paused, char *errbuf,
                           size_t errlen)
{
    pthread_mutex_lock(&w->lock);
    sl_err_t err = w->ops->set_paused(w->h, name, paused, errbuf, errlen);
    pthread_mutex_unlock(&w->lock);
    return err;
}

sl_err_t sl_connect_worker_pause(sl_connect_worker_t *w, const char *name, char *errbuf,
                                 size_t errlen)
{
    return set_paused(w, name, true, errbuf, errlen);
}

sl_err_t sl_connect_worker_resume(sl_connect_worker_t *w, const char *name, char *errbuf,
                                  size_t errlen)
{
    return set_paused(w, name, false, errbuf, errlen);
}

sl_err_t sl_connect_worker_restart(sl_connect_worker_t *w, const char *name, bool include_tasks,
                                   bool only_failed, char *errbuf, size_t errlen)
{
    pthread_mutex_lock(&w->lock);
    sl_err_t err = w->ops->restart(w->h, name, include_tasks, only_failed, errbuf, errlen);
    pthread_mutex_unlock(&w->lock);
    return err;
}

sl_err_t sl_connect_worker_restart_task(sl_connect_worker_t *w, const char *name, int task,
                                        char *errbuf, size_t errlen)
{
    pthread_mutex_lock(&w->lock);
    sl_err_t err = w->ops->restart_task(w->h, name, task, errbuf, errlen);
    pthread_mutex_unlock(&w->lock);
    return err;
}

sl_err_t sl_connect_worker_list(sl_connect_worker_t *w, sl_arena_t *arena, const char ***names,
                                size_t *n)
{
    pthread_mutex_lock(&w->lock);
    sl_err_t err = w->ops->list(w->h, arena, names, n);
    pthread_mutex_unlock(&w->lock);
    return err;
}

sl_err_t sl_connect_worker_config(sl_connect_worker_t *w, const char *name, sl_props_t **out)
{
    pthread_mutex_lock(&w->lock);
    sl_err_t err = w->ops->config(w->h, name, out);
    pthread_mutex_unlock(&w->lock);
    return err;
}

sl_err_t sl_connect_worker_tasks(sl_connect_worker_t *w, const char *name, sl_arena_t *arena,
                                 sl_connect_task_config_t **tasks, size_t *n)
{
    pthread_mutex_lock(&w->lock);
    sl_err_t err = w->ops->tasks(w->h, name, arena, tasks, n);
    pthread_mutex_unlock(&w->lock);
    return err;
}

sl_err_t sl_connect_worker_status(sl_connect_worker_t *w, const char *name, sl_arena_t *arena,
                                  sl_connect_status_t *out)
{
    pthread_mutex_lock(&w->lock);
    sl_err_t err = w->ops->status(w->h, name, arena, out);
    pthread_mutex_unlock(&w->lock);
    return err;
}

const char *sl_connect_worker_task_state(sl_connect_worker_t *w, const char *name, int task,
                                         char *errbuf, size_t errlen)
{
    static const char *const states[] = {"UNASSIGNED", "RUNNING", "PAUSED", "FAILED",
                                         "RESTARTING"};
    sl_arena_t arena;
    sl_arena_init(&arena, 4096, 0);
    sl_connect_status_t st;
    const char *answer = NULL;
    if (sl_connect_worker_status(w, name, &arena, &st) == SL_OK && task >= 0 &&
        (size_t)task < st.task_count) {
        /* The answer must outlive the arena: one of the static names. */
        for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
            if (strcmp(st.tasks[task].state, states[i]) == 0)
                answer = states[i];
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "%s", st.tasks[task].trace ? st.tasks[task].trace : "");
    }
    sl_arena_fini(&arena);
    return answer;
}

/* ---- validation ----------------------------------------------------------------- */

/* The common connector definitions (Kafka's ConnectorConfig, and
 * SourceConnectorConfig's or SinkConnectorConfig's); the converters'
 * entries come from the pipeline with the transforms and errors.*. */
static const sl_connect_configdef_t common_defs[] = {
    {"name", SL_CFG_STRING, NULL, SL_IMPORTANCE_HIGH,
     "Globally unique name to use for this connector."},
    {"connector.class", SL_CFG_STRING, NULL, SL_IMPORTANCE_HIGH,
     "Name of the connector class: the plugin's class name, with or without \"Connector\" "
     "and a package."},
    {"tasks.max", SL_CFG_INT, "1", SL_IMPORTANCE_HIGH,
     "Maximum number of tasks to use for this connector (1 to 256)."},
    {"header.converter", SL_CFG_STRING, "org.apache.kafka.connect.storage.SimpleHeaderConverter",
     SL_IMPORTANCE_LOW, "How record headers are converted: Sluice passes header values through "
     "as bytes (SimpleHeaderConverter and ByteArrayConverter are accepted)."},
};
static const sl_connect_configdef_t sink_defs[] = {
    {"topics", SL_CFG_LIST, NULL, SL_IMPORTANCE_HIGH,
     "List of topics to consume, separated by commas."},
};
static const sl_connect_configdef_t source_defs[] = {
    {"exactly.once.support", SL_CFG_STRING, "requested", SL_IMPORTANCE_MEDIUM,
     "requested or required: whether the connector must run with exactly-once delivery "
     "(exactly.once.source.support=enabled on the worker)."},
    {"transaction.boundary", SL_CFG_STRING, "poll", SL_IMPORTANCE_MEDIUM,
     "Where exactly-once transactions end: poll (each poll's records in one transaction)."},
};

/* The error of a common entry beyond its type (NULL: none) in why. */
static const char *common_error(sl_connect_worker_t *w, const sl_connect_plugin_t *plugin,
                                const char *key, const sl_props_t *config, char *why,
                                size_t len)
{
    const char *v = sl_props_get(config, key);
    if (strcmp(key, "connector.class") == 0) {
        if (!v || !*v || sl_connect_plugins_find(w->plugins, v) == plugin)
            return NULL;
        snprintf(why, len, "connector.class %s does not name plugin %s", v, plugin->class_name);
        return why;
    }
    const char *eos = sl_props_get(w->props, "exactly.once.source.support");
    /* A distributed worker's offset store takes part in transactions. */
    return sl_connect_common_error(key, config, plugin, eos && strcasecmp(eos, "enabled") == 0,
                                   w->distributed, why, len);
}

static sl_err_t add_defs(sl_connect_worker_t *w, const sl_connect_plugin_t *plugin,
                         const sl_connect_configdef_t *defs, size_t count, const char *group,
                         bool common, const sl_props_t *config, sl_arena_t *arena,
                         sl_connect_validation_t *out, size_t *cap)
{
    for (size_t i = 0; i < count; i++) {
        sl_err_t err = sl_connect_config_result_add(&defs[i], group, config, arena,
                                                    &out->configs, &out->count, cap);
        if (err)
            return err;
        sl_connect_config_result_t *r = &out->configs[out->count - 1];
        char why[512];
        if (!common)
            continue;
        if (strcmp(defs[i].name, "connector.class") == 0 ||
            strcmp(defs[i].name, "header.converter") == 0)
            r->type = "CLASS";
        if (!r->error_count && common_error(w, plugin, defs[i].name, config, why, sizeof(why)) &&
            (err = sl_connect_config_result_error(r, arena, why)))
            return err;
    }
    return SL_OK;
}

sl_err_t sl_connect_worker_validate(sl_connect_worker_t *w, const char *plugin_name,
                                    const sl_props_t *config, sl_arena_t *arena,
                                    sl_connect_validation_t *out)
{
    memset(out, 0, sizeof(*out));
    const sl_connect_plugin_t *plugin = sl_connect_plugins_find(w->plugins, plugin_name);
    if (!plugin)
        return SL_ERR_NOENT;
    out->class_name = plugin->class_name;
    bool sink = plugin->kind == SL_CONNECT_SINK;
    size_t cap = 0;
    sl_err_t err = add_defs(w, plugin, common_defs, sizeof(common_defs) / sizeof(common_defs[0]),
                            "Common", true, config, arena, out, &cap);
    if (!err)
        err = sink ? add_defs(w, plugin, sink_defs, sizeof(sink_defs) / sizeof(sink_defs[0]),
                              "Common", true, config, arena, out, &cap)
                   : add_defs(w, plugin, source_defs, sizeof(source_defs) / sizeof(source_defs[0]),
                              "Exactly Once Support", true, config, arena, out, &cap);
    if (!err)
        err = add_defs(w, plugin, plugin->config_defs, plugin->config_def_count,
                       plugin->class_name, false, config, arena, out, &cap);
    if (!err)
        err = sl_connect_pipeline_validate(config, plugin->kind, arena, &out->configs,
                                           &out->count, &cap);
    for (size_t i = 0; !err && i < out->count; i++)
        out->error_count += out->configs[i].error_count;
    return err;
}
