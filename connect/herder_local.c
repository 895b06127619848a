/*
 * herder_local.c - the standalone herder (Kafka's StandaloneHerder):
 * connector configs live in memory, source offsets in the offsets file
 * (offset.storage.file.filename), and every connector and task runs in
 * this process's runtime. Calls come from worker.c with the worker's lock
 * held, so they never overlap; statuses arrive from task threads through
 * the runtime's callback and are kept under their own lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect_int.h"

typedef struct lstate {
    char state[16];          /* "RUNNING", ... */
    char *trace;             /* FAILED: why (malloc'ed) */
} lstate_t;

typedef struct lconn {
    char *name;
    sl_props_t *config;      /* as given */
    const char *type;        /* "source" or "sink" */
    bool paused;
    sl_props_t **task_cfgs;  /* what task_configs gave */
    int task_count;
    lstate_t conn_state;     /* guarded by herder.status_lock */
    lstate_t *task_states;   /* [task_count], guarded by herder.status_lock */
    struct lconn *next;
} lconn_t;

typedef struct herder {
    const sl_props_t *wprops;
    sl_connect_offset_store_t *store;
    sl_connect_runtime_t *rt;
    char *worker_id;
    pthread_mutex_t status_lock;   /* the states, and the list's links */
    lconn_t *conns;
} herder_t;

static void state_set(lstate_t *s, const char *state, const char *trace)
{
    snprintf(s->state, sizeof(s->state), "%s", state);
    free(s->trace);
    s->trace = trace ? strdup(trace) : NULL;
}

static lconn_t *find(herder_t *h, const char *name)
{
    lconn_t *c = h->conns;
    while (c && strcmp(c->name, name) != 0)
        c = c->next;
    return c;
}

/* The runtime's status callback (any thread). */
static void on_status(void *arg, const char *connector, int task, const char *state,
                      const char *trace)
{
    herder_t *h = arg;
    pthread_mutex_lock(&h->status_lock);
    lconn_t *c = find(h, connector);
    if (c && task < 0)
        state_set(&c->conn_state, state, trace);
    else if (c && task < c->task_count)
        state_set(&c->task_states[task], state, trace);
    pthread_mutex_unlock(&h->status_lock);
}

static void free_tasks(lconn_t *c)
{
    for (int i = 0; i < c->task_count; i++) {
        sl_props_free(c->task_cfgs[i]);
        free(c->task_states[i].trace);
    }
    free(c->task_cfgs);
    free(c->task_states);
    c->task_cfgs = NULL;
    c->task_states = NULL;
    c->task_count = 0;
}

static void conn_free(lconn_t *c)
{
    if (!c)
        return;
    free_tasks(c);
    free(c->conn_state.trace);
    sl_props_free(c->config);
    free(c->name);
    free(c);
}

static sl_props_t *props_copy(const sl_props_t *p)
{
    sl_props_t *out = NULL;
    return sl_connect_config_validate(NULL, 0, p, &out, NULL, 0) ? NULL : out;
}

/* Stops c's tasks and c itself here (c stays listed). */
static void stop_all(herder_t *h, lconn_t *c)
{
    for (int i = 0; i < c->task_count; i++)
        sl_connect_runtime_stop_task(h->rt, c->name, i);
    sl_connect_runtime_stop_connector(h->rt, c->name);
}

/* Starts task i of c; a task that cannot start is reported FAILED. */
static void start_task(herder_t *h, lconn_t *c, int i)
{
    char why[600];
    sl_err_t err = sl_connect_runtime_start_task(h->rt, c->name, i, c->config, c->task_cfgs[i],
                                                 c->paused, why, sizeof(why));
    if (err && err != SL_ERR_EXISTS) {
        SL_ERROR("connect", "task %s-%d: %s", c->name, i, why);
        on_status(h, c->name, i, "FAILED", why);
    }
}

/* Starts c's connector, asks for its task configs and starts the tasks. */
static sl_err_t start_all(herder_t *h, lconn_t *c, char *errbuf, size_t errlen)
{
    sl_err_t err = sl_connect_runtime_start_connector(h->rt, c->name, c->config, c->paused,
                                                      errbuf, errlen);
    if (err)
        return err;
    sl_props_t **cfgs;
    int n;
    if ((err = sl_connect_runtime_task_configs(h->rt, c->name, &cfgs, &n, errbuf, errlen))) {
        sl_connect_runtime_stop_connector(h->rt, c->name);
        return err;
    }
    lstate_t *states = calloc((size_t)n, sizeof(*states));
    if (!states) {
        for (int i = 0; i < n; i++)
            sl_props_free(cfgs[i]);
        free(cfgs);
        sl_connect_runtime_stop_connector(h->rt, c->name);
        return SL_ERR_NOMEM;
    }
    for (int i = 0; i < n; i++)
        state_set(&states[i], "UNASSIGNED", NULL);
    pthread_mutex_lock(&h->status_lock);
    free_tasks(c);
    c->task_cfgs = cfgs;
    c->task_states = states;
    c->task_count = n;
    pthread_mutex_unlock(&h->status_lock);
    for (int i = 0; i < n; i++)
        start_task(h, c, i);
    SL_INFO("connect", "connector %s runs %d task(s)", c->name, n);
    return SL_OK;
}

static void unlink_conn(herder_t *h, lconn_t *c)
{
    pthread_mutex_lock(&h->status_lock);
    lconn_t **pc = &h->conns;
    while (*pc != c)
        pc = &(*pc)->next;
    *pc = c->next;
    pthread_mutex_unlock(&h->status_lock);
}

static sl_err_t h_put(void *hv, const char *name, const sl_props_t *config, bool create_only,
                      bool *created, char *errbuf, size_t errlen)
{
    herder_t *h = hv;
    const sl_connect_plugin_t *plugin;
    sl_err_t err = sl_connect_runtime_check(h->rt, config, &plugin, NULL, errbuf, errlen);
    if (err)
        return err;
    lconn_t *c = find(h, name);
    if (c && create_only) {
        if (errbuf)
            snprintf(errbuf, errlen, "Connector %s already exists", name);
        return SL_ERR_EXISTS;
    }
    sl_props_t *copy = props_copy(config);
    if (!copy)
        return SL_ERR_NOMEM;
    if (created)
        *created = c == NULL;
    if (c) {
        /* Replaced: stopped and started again with the new config; its
         * offsets (keyed by name) stay. */
        stop_all(h, c);
        sl_props_free(c->config);
        c->config = copy;
    } else {
        if (!(c = calloc(1, sizeof(*c))) || !(c->name = strdup(name))) {
            free(c);
            sl_props_free(copy);
            return SL_ERR_NOMEM;
        }
        c->config = copy;
        state_set(&c->conn_state, "UNASSIGNED", NULL);
        pthread_mutex_lock(&h->status_lock);
        c->next = h->conns;
        h->conns = c;
        pthread_mutex_unlock(&h->status_lock);
    }
    c->type = plugin->kind == SL_CONNECT_SINK ? "sink" : "source";
    if ((err = start_all(h, c, errbuf, errlen))) {
        /* A connector that cannot start is not kept. */
        unlink_conn(h, c);
        conn_free(c);
    }
    return err;
}

static sl_err_t no_such(const char *name, char *errbuf, size_t errlen)
{
    if (errbuf)
        snprintf(errbuf, errlen, "Connector %s not found", name);
    return SL_ERR_NOENT;
}

static sl_err_t h_remove(void *hv, const char *name, char *errbuf, size_t errlen)
{
    herder_t *h = hv;
    lconn_t *c = find(h, name);
    if (!c)
        return no_such(name, errbuf, errlen);
    stop_all(h, c);
    unlink_conn(h, c);
    conn_free(c);
    SL_INFO("connect", "connector %s deleted", name);
    return SL_OK;
}

static sl_err_t h_set_paused(void *hv, const char *name, bool paused, char *errbuf,
                             size_t errlen)
{
    herder_t *h = hv;
    lconn_t *c = find(h, name);
    if (!c)
        return no_such(name, errbuf, errlen);
    c->paused = paused;
    sl_connect_runtime_set_paused(h->rt, name, paused);
    return SL_OK;
}

static bool is_failed(herder_t *h, const lstate_t *s)
{
    pthread_mutex_lock(&h->status_lock);
    bool failed = strcmp(s->state, "FAILED") == 0;
    pthread_mutex_unlock(&h->status_lock);
    return failed;
}

static void restart_task(herder_t *h, lconn_t *c, int i)
{
    on_status(h, c->name, i, "RESTARTING", NULL);
    sl_connect_runtime_stop_task(h->rt, c->name, i);
    start_task(h, c, i);
}

static sl_err_t h_restart(void *hv, const char *name, bool include_tasks, bool only_failed,
                          char *errbuf, size_t errlen)
{
    herder_t *h = hv;
    lconn_t *c = find(h, name);
    if (!c)
        return no_such(name, errbuf, errlen);
    if (!only_failed || is_failed(h, &c->conn_state)) {
        on_status(h, name, -1, "RESTARTING", NULL);
        sl_connect_runtime_stop_connector(h->rt, name);
        sl_err_t err = sl_connect_runtime_start_connector(h->rt, name, c->config, c->paused,
                                                          errbuf, errlen);
        if (err)
            return err;
    }
    for (int i = 0; include_tasks && i < c->task_count; i++)
        if (!only_failed || is_failed(h, &c->task_states[i]))
            restart_task(h, c, i);
    return SL_OK;
}

static sl_err_t h_restart_task(void *hv, const char *name, int task, char *errbuf,
                               size_t errlen)
{
    herder_t *h = hv;
    lconn_t *c = find(h, name);
    if (!c)
        return no_such(name, errbuf, errlen);
    if (task < 0 || task >= c->task_count) {
        if (errbuf)
            snprintf(errbuf, errlen, "Task %s-%d not found", name, task);
        return SL_ERR_NOENT;
    }
    restart_task(h, c, task);
    return SL_OK;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static sl_err_t h_list(void *hv, sl_arena_t *arena, const char ***names, size_t *n)
{
    herder_t *h = hv;
    size_t count = 0;
    for (lconn_t *c = h->conns; c; c = c->next)
        count++;
    const char **out = sl_arena_calloc(arena, count ? count : 1, sizeof(*out));
    if (!out)
        return SL_ERR_NOMEM;
    size_t i = 0;
    for (lconn_t *c = h->conns; c; c = c->next)
        if (!(out[i++] = sl_arena_strndup(arena, c->name, strlen(c->name))))
            return SL_ERR_NOMEM;
    qsort(out, count, sizeof(*out), name_cmp);
    *names = out;
    *n = count;
    return SL_OK;
}

static sl_err_t h_config(void *hv, const char *name, sl_props_t **out)
{
    herder_t *h = hv;
    *out = NULL;
    lconn_t *c = find(h, name);
    if (!c)
        return SL_ERR_NOENT;
    return (*out = props_copy(c->config)) ? SL_OK : SL_ERR_NOMEM;
}

static const char *astr(sl_arena_t *arena, const char *s)
{
    return s ? sl_arena_strndup(arena, s, strlen(s)) : NULL;
}

/* The keys and values of a (the connector's config) overlaid with b (the
 * task's), in arena memory. */
static sl_err_t task_view(sl_arena_t *arena, const sl_props_t *a, const sl_props_t *b,
                          sl_connect_task_config_t *out)
{
    sl_props_t *merged = props_copy(a);
    sl_err_t err = merged ? SL_OK : SL_ERR_NOMEM;
    for (size_t i = 0; !err && i < sl_props_count(b); i++) {
        const char *k, *v;
        sl_props_at(b, i, &k, &v, NULL);
        err = sl_props_set(merged, k, v, 0);
    }
    size_t n = merged ? sl_props_count(merged) : 0;
    const char **keys = err ? NULL : sl_arena_calloc(arena, n ? n : 1, sizeof(*keys));
    const char **vals = err ? NULL : sl_arena_calloc(arena, n ? n : 1, sizeof(*vals));
    if (!err && (!keys || !vals))
        err = SL_ERR_NOMEM;
    for (size_t i = 0; !err && i < n; i++) {
        const char *k, *v;
        sl_props_at(merged, i, &k, &v, NULL);
        if (!(keys[i] = astr(arena, k)) || !(vals[i] = astr(arena, v)))
            err = SL_ERR_NOMEM;
    }
    sl_props_free(merged);
    if (err)
        return err;
    out->keys = keys;
    out->values = vals;
    out->count = n;
    return SL_OK;
}

static sl_err_t h_tasks(void *hv, const char *name, sl_arena_t *arena,
                        sl_connect_task_config_t **tasks, size_t *n)
{
    herder_t *h = hv;
    lconn_t *c = find(h, name);
    if (!c)
        return SL_ERR_NOENT;
    sl_connect_task_config_t *out = sl_arena_calloc(arena, c->task_count ? (size_t)c->task_count
                                                    : 1, sizeof(*out));
    if (!out)
        return SL_ERR_NOMEM;
    for (int i = 0; i < c->task_count; i++) {
        out[i].task = i;
        sl_err_t err = task_view(arena, c->config, c->task_cfgs[i], &out[i]);
        if (err)
            return err;
    }
    *tasks = out;
    *n = (size_t)c->task_count;
    return SL_OK;
}

static sl_err_t state_view(herder_t *h, sl_arena_t *arena, const lstate_t *s,
                           sl_connect_state_t *out)
{
    bool assigned = strcmp(s->state, "UNASSIGNED") != 0;
    out->state = astr(arena, s->state);
    out->worker_id = astr(arena, assigned ? h->worker_id : "");
    out->trace = astr(arena, s->trace);
    return out->state && out->worker_id && (!s->trace || out->trace) ? SL_OK : SL_ERR_NOMEM;
}

static sl_err_t h_status(void *hv, const char *name, sl_arena_t *arena, sl_connect_status_t *out)
{
    herder_t *h = hv;
    memset(out, 0, sizeof(*out));
    lconn_t *c = find(h, name);
    if (!c)
        return SL_ERR_NOENT;
    out->name = astr(arena, c->name);
    out->type = c->type;
    out->task_count = (size_t)c->task_count;
    out->tasks = sl_arena_calloc(arena, c->task_count ? (size_t)c->task_count : 1,
                                 sizeof(*out->tasks));
    if (!out->name || !out->tasks)
        return SL_ERR_NOMEM;
    pthread_mutex_lock(&h->status_lock);
    sl_err_t err = state_view(h, arena, &c->conn_state, &out->connector);
    for (int i = 0; !err && i < c->task_count; i++)
        err = state_view(h, arena, &c->task_states[i], &out->tasks[i]);
    pthread_mutex_unlock(&h->status_lock);
    return err;
}

static void h_free(void *hv)
{
    herder_t *h = hv;
    if (!h)
        return;
    /* The runtime stops every task and connector (sources' offsets
     * flushed, sinks' committed) before the store is closed. */
    sl_connect_runtime_free(h->rt);
    if (h->store)
        h->store->ops->free(h->store);
    while (h->conns) {
        lconn_t *c = h->conns;
        h->conns = c->next;
        conn_free(c);
    }
    pthread_mutex_destroy(&h->status_lock);
    free(h->worker_id);
    free(h);
}

static const sl_connect_herder_ops_t local_ops = {
    .put = h_put,
    .remove = h_remove,
    .set_paused = h_set_paused,
    .restart = h_restart,
    .restart_task = h_restart_task,
    .list = h_list,
    .config = h_config,
    .tasks = h_tasks,
    .status = h_status,
    .free = h_free,
};

sl_err_t sl_connect_herder_local_new(const sl_props_t *worker_props,
                                     const sl_connect_plugins_t *plugins, const char *worker_id,
                                     const sl_connect_herder_ops_t **ops, void **out, char *errbuf,
                                     size_t errlen)
{
    *out = NULL;
    const char *file = sl_props_get(worker_props, "offset.storage.file.filename");
    if (!file || !*file) {
        if (errbuf)
            snprintf(errbuf, errlen, "the worker needs offset.storage.file.filename "
                     "(standalone mode)");
        return SL_ERR_CONFIG;
    }
    herder_t *h = calloc(1, sizeof(*h));
    if (!h || !(h->worker_id = strdup(worker_id))) {
        free(h);
        return SL_ERR_NOMEM;
    }
    pthread_mutex_init(&h->status_lock, NULL);
    h->wprops = worker_props;
    sl_err_t err = sl_connect_offset_store_file(file, &h->store, errbuf, errlen);
    if (!err)
        err = sl_connect_runtime_new(worker_props, plugins, h->store, worker_id, on_status, h,
                                     &h->rt, errbuf, errlen);
    if (err) {
        h_free(h);
        return err;
    }
    *ops = &local_ops;
    *out = h;
    return SL_OK;
}
