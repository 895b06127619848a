/*
 * herder_dist.c - the distributed herder (connect_int.h,
 * sl_connect_herder_dist_new): connector configs, task configs, target
 * states and restart requests live in the config topic, source offsets in
 * the offset topic, statuses in the status topic (herder_dist_state.c
 * reads them); the workers of one group.id share the work through a group
 * of protocol type "connect" (herder_dist_group.c).
 *
 * One thread per herder reads the config and status topics, keeps the
 * group membership alive and reconciles: it stops what this worker runs
 * but should not (moved to another member, deleted, reconfigured, asked to
 * restart) and starts what it should run but does not, through the
 * runtime. The worker running a connector asks it for its task configs and
 * writes them (task-* records, then commit-*) when they differ from the
 * topic's; every worker then sees the new tasks and starts its share.
 * The herder ops (called by worker.c from other threads) write records and
 * wait until this worker has read them back, so a call's effect is
 * visible to the next call.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "herder_dist_int.h"

#define MOD "connect"
#define WRITE_TIMEOUT_MS 15000
#define LOOP_POLL_MS 50

typedef struct run_unit {
    char *name;
    int task;                    /* -1: the connector */
    char *ident;                 /* the configs it was started with */
    bool paused;
    struct run_unit *next;
} run_unit_t;

/* What this worker should run, computed under the lock from the state. */
typedef struct want {
    char *name;
    int task;
    char *ident;
    bool paused;
    sl_props_t *config, *task_config;
} want_t;

typedef struct herder {
    const sl_props_t *wp;
    const sl_connect_plugins_t *plugins;
    char *worker_id;
    sl_dist_topics_t topics;
    sl_admin_t *admin;
    sl_dist_writer_t *writer;
    sl_consumer_t *reader;       /* the config and status topics */
    sl_consumer_t *member;       /* the group membership */
    sl_dist_group_t *group;
    sl_connect_offset_store_t *offsets;
    sl_connect_runtime_t *rt;

    pthread_mutex_t mu;          /* everything below up to the thread's own */
    pthread_cond_t cv;
    sl_dist_state_t *state;
    int64_t config_read;         /* the config topic's next offset read */
    sl_dist_members_t members;
    bool members_changed, dirty, reconciled;
    sl_map_t local;              /* "<task>/<name>" -> state of units run here */

    /* the herder thread's own */
    bool loaded;                 /* the topics were read to their end once */
    sl_dist_event_t *events;
    size_t nevents, evcap;
    run_unit_t *running;
    pthread_t thread;
    bool thread_started;
    atomic_bool stop;
} herder_t;

/* ---- reading the topics --------------------------------------------------------- */

static void on_record(void *arg, const sl_message_t *m)
{
    herder_t *h = arg;
    if (!m->key || m->key_len <= 0)
        return;
    const char *value = m->value;
    size_t vlen = m->value && m->value_len > 0 ? (size_t)m->value_len : 0;
    if (strcmp(m->topic, h->topics.status) == 0) {
        pthread_mutex_lock(&h->mu);
        sl_dist_state_apply_status(h->state, m->key, (size_t)m->key_len, value, vlen);
        pthread_mutex_unlock(&h->mu);
        return;
    }
    sl_dist_event_t ev;
    pthread_mutex_lock(&h->mu);
    sl_err_t err = sl_dist_state_apply_config(h->state, m->key, (size_t)m->key_len, value, vlen, &ev);
    if (m->offset >= h->config_read)
        h->config_read = m->offset + 1;
    if (ev.kind == SL_DIST_EV_CHANGED)
        h->dirty = true;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    if (err)
        SL_ERROR(MOD, "config topic: out of memory applying a record");
    if ((ev.kind == SL_DIST_EV_RESTART || ev.kind == SL_DIST_EV_RESTART_TASK) && h->loaded) {
        void *grown = sl_connect_array_grow(h->events, h->nevents, &h->evcap, sizeof ev, 4);
        if (grown) {
            h->events = grown;
            h->events[h->nevents++] = ev;
        }
    }
}

/* The group's answer: runs inside sl_consumer_poll(h->member). */
static void on_members(void *arg, const sl_dist_members_t *m)
{
    herder_t *h = arg;
    sl_dist_members_t copy = {.generation = m->generation, .index = m->index, .count = 0};
    copy.workers = m->count ? calloc((size_t)m->count, sizeof *copy.workers) : NULL;
    for (int i = 0; copy.workers && i < m->count; i++) {
        if (!(copy.workers[i] = strdup(m->workers[i])))
            break;
        copy.count = i + 1;
    }
    if (copy.count != m->count)
        copy.index = -1;
    SL_INFO(MOD, "worker %s: group generation %d, member %d of %d", h->worker_id, (int)m->generation,
            copy.index, m->count);
    pthread_mutex_lock(&h->mu);
    sl_dist_members_fini(&h->members);
    h->members = copy;
    h->members_changed = true;
    pthread_mutex_unlock(&h->mu);
}

/* ---- statuses ---------------------------------------------------------------------- */

static void status_cb(void *arg, const char *connector, int task, const char *state, const char *trace)
{
    herder_t *h = arg;
    char *key = sl_dist_key(task < 0 ? "status-connector" : "status-task", connector, task);
    char mkey[300];
    int mlen = snprintf(mkey, sizeof mkey, "%d/%s", task, connector);
    pthread_mutex_lock(&h->mu);
    int32_t generation = h->members.generation;
    char *copy = strdup(state);
    void *old = NULL;
    if (copy && mlen > 0 && (size_t)mlen < sizeof mkey &&
        sl_map_put(&h->local, mkey, (size_t)mlen, copy, &old) == SL_OK)
        copy = NULL;
    free(copy);
    free(old);
    pthread_mutex_unlock(&h->mu);
    char *value = sl_dist_status_json(state, trace, h->worker_id, generation);
    if (key && value)
        sl_dist_writer_send_async(h->writer, h->topics.status, key, value);
    free(key);
    free(value);
}

static bool local_failed(herder_t *h, const char *name, int task)
{
    char mkey[300];
    int mlen = snprintf(mkey, sizeof mkey, "%d/%s", task, name);
    pthread_mutex_lock(&h->mu);
    const char *st = mlen > 0 && (size_t)mlen < sizeof mkey ? sl_map_get(&h->local, mkey, (size_t)mlen) : NULL;
    bool failed = st && strcmp(st, "FAILED") == 0;
    pthread_mutex_unlock(&h->mu);
    return failed;
}

/* ---- reconciling ------------------------------------------------------------------ */

static void want_fini(want_t *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(w[i].name);
        free(w[i].ident);
        sl_props_free(w[i].config);
        sl_props_free(w[i].task_config);
    }
    free(w);
}

static char *join(const char *a, const char *b)
{
    size_t len = strlen(a) + strlen(b) + 8;
    char *s = malloc(len);
    if (s)
        snprintf(s, len, "%s\n--\n%s", a, b);
    return s;
}

/* What this worker should run now (h->mu held). NULL with *n 0 when
 * nothing; false when out of memory. */
static bool wanted(herder_t *h, want_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    int index = h->members.index, count = h->members.count;
    if (index < 0)
        return true;
    size_t nc;
    sl_dist_conn_t *const *conns = sl_dist_state_conns(h->state, &nc);
    size_t cap = 0;
    want_t *w = NULL;
    for (size_t i = 0; i < nc; i++) {
        const sl_dist_conn_t *c = conns[i];
        if (!c->config)
            continue;
        char *ctext = sl_dist_props_text(c->config);
        if (!ctext)
            goto oom;
        for (int t = -1; t < c->task_count; t++) {
            if (sl_dist_owner(c->name, t, count) != index)
                continue;
            void *grown = sl_connect_array_grow(w, *n, &cap, sizeof *w, 8);
            if (!grown) {
                free(ctext);
                goto oom;
            }
            w = grown;
            want_t *u = &w[(*n)++];
            memset(u, 0, sizeof *u);
            u->task = t;
            u->paused = c->paused;
            u->name = strdup(c->name);
            u->config = sl_dist_props_dup(c->config);
            char *ttext = t >= 0 ? sl_dist_props_text(c->tasks[t]) : NULL;
            u->ident = t >= 0 ? (ttext ? join(ctext, ttext) : NULL) : strdup(ctext);
            free(ttext);
            if (t >= 0)
                u->task_config = sl_dist_props_dup(c->tasks[t]);
            if (!u->name || !u->config || !u->ident || (t >= 0 && !u->task_config)) {
                free(ctext);
                goto oom;
            }
        }
        free(ctext);
    }
    *out = w;
    return true;
oom:
    want_fini(w, *n);
    *n = 0;
    return false;
}

static void unit_stop(herder_t *h, run_unit_t *u)
{
    if (u->task < 0)
        sl_connect_runtime_stop_connector(h->rt, u->name);
    else
        sl_connect_runtime_stop_task(h->rt, u->name, u->task);
}

static void unit_free(run_unit_t *u)
{
    free(u->name);
    free(u->ident);
    free(u);
}

/* Stops and forgets the running units that match (name, task: -2 any). */
static void stop_matching(herder_t *h, const char *name, int task, bool only_failed)
{
    for (run_unit_t **pp = &h->running; *pp;) {
        run_unit_t *u = *pp;
        bool match = strcmp(u->name, name) == 0 && (task == -2 || u->task == task) &&
                     (!only_failed || local_failed(h, u->name, u->task));
        if (!match) {
            pp = &u->next;
            continue;
        }
        unit_stop(h, u);
        *pp = u->next;
        unit_free(u);
    }
}

static void handle_events(herder_t *h)
{
    for (size_t i = 0; i < h->nevents; i++) {
        const sl_dist_event_t *ev = &h->events[i];
        if (ev->kind == SL_DIST_EV_RESTART_TASK) {
            stop_matching(h, ev->name, ev->task, false);
            continue;
        }
        if (ev->include_tasks)
            stop_matching(h, ev->name, -2, ev->only_failed);
        else
            stop_matching(h, ev->name, -1, ev->only_failed);
    }
    h->nevents = 0;
}

/* Writes connector name's task configs when they differ from the
 * committed ones: task-<name>-<i> records, then commit-<name>. */
static void publish_tasks(herder_t *h, const char *name)
{
    sl_props_t **cfgs = NULL;
    int n = 0;
    char errbuf[512] = "";
    sl_err_t err = sl_connect_runtime_task_configs(h->rt, name, &cfgs, &n, errbuf, sizeof errbuf);
    if (err) {
        SL_ERROR(MOD, "connector %s: cannot get its task configs: %s%s%s", name, sl_err_name(err),
                 *errbuf ? ": " : "", errbuf);
        return;
    }
    bool same = true;
    pthread_mutex_lock(&h->mu);
    const sl_dist_conn_t *c = sl_dist_state_conn(h->state, name);
    same = c && c->task_count == n;
    for (int i = 0; same && i < n; i++) {
        char *a = sl_dist_props_text(c->tasks[i]), *b = sl_dist_props_text(cfgs[i]);
        same = a && b && strcmp(a, b) == 0;
        free(a);
        free(b);
    }
    pthread_mutex_unlock(&h->mu);
    for (int i = 0; !same && !err && i < n; i++) {
        char *key = sl_dist_key("task", name, i), *value = sl_dist_props_json(cfgs[i]);
        err = key && value ? sl_dist_writer_send(h->writer, h->topics.config, key, value, NULL,
                                                 WRITE_TIMEOUT_MS)
                           : SL_ERR_NOMEM;
        free(key);
        free(value);
    }
    if (!same && !err) {
        char *key = sl_dist_key("commit", name, -1);
        char value[64];
        snprintf(value, sizeof value, "{\"tasks\":%d}", n);
        err = key ? sl_dist_writer_send(h->writer, h->topics.config, key, value, NULL, WRITE_TIMEOUT_MS)
                  : SL_ERR_NOMEM;
        free(key);
        if (!err)
            SL_INFO(MOD, "connector %s: %d task config%s written", name, n, n == 1 ? "" : "s");
    }
    if (err)
        SL_ERROR(MOD, "connector %s: cannot write its task configs: %s", name, sl_err_name(err));
    for (int i = 0; i < n; i++)
        sl_props_free(cfgs[i]);
    free(cfgs);
}

static void unit_start(herder_t *h, const want_t *w)
{
    char errbuf[640] = "";
    sl_err_t err;
    if (w->task < 0)
        err = sl_connect_runtime_start_connector(h->rt, w->name, w->config, w->paused, errbuf,
                                                 sizeof errbuf);
    else
        err = sl_connect_runtime_start_task(h->rt, w->name, w->task, w->config, w->task_config,
                                            w->paused, errbuf, sizeof errbuf);
    if (err && err != SL_ERR_EXISTS) {
        char label[300];
        if (w->task < 0)
            snprintf(label, sizeof label, "connector %s", w->name);
        else
            snprintf(label, sizeof label, "task %s-%d", w->name, w->task);
        SL_ERROR(MOD, "%s: cannot start: %s%s%s", label, sl_err_name(err), *errbuf ? ": " : "", errbuf);
        status_cb(h, w->name, w->task, "FAILED", *errbuf ? errbuf : sl_err_str(err));
    }
    /* Kept as running even when it failed: a restart request or a new
     * config starts it again, not every pass of the loop. */
    run_unit_t *u = calloc(1, sizeof *u);
    if (u && (u->name = strdup(w->name)) && (u->ident = strdup(w->ident))) {
        u->task = w->task;
        u->paused = w->paused;
        u->next = h->running;
        h->running = u;
    } else if (u) {
        unit_free(u);
    }
    if (!err && w->task < 0)
        publish_tasks(h, w->name);
}

static void reconcile(herder_t *h)
{
    want_t *want = NULL;
    size_t nw = 0;
    pthread_mutex_lock(&h->mu);
    bool ok = wanted(h, &want, &nw);
    h->dirty = h->members_changed = false;
    pthread_mutex_unlock(&h->mu);
    if (!ok) {
        SL_ERROR(MOD, "worker %s: out of memory planning its connectors and tasks", h->worker_id);
        h->dirty = true;
        return;
    }
    handle_events(h);
    /* Stop what should not run here (or runs with an old config); tasks
     * first, then connectors. */
    for (int pass = 0; pass < 2; pass++)
        for (run_unit_t **pp = &h->running; *pp;) {
            run_unit_t *u = *pp;
            const want_t *w = NULL;
            for (size_t i = 0; i < nw && !w; i++)
                if (want[i].task == u->task && strcmp(want[i].name, u->name) == 0)
                    w = &want[i];
            if ((pass == 0) != (u->task >= 0) || (w && strcmp(w->ident, u->ident) == 0)) {
                pp = &u->next;
                continue;
            }
            unit_stop(h, u);
            *pp = u->next;
            unit_free(u);
        }
    /* Target states: one call pauses or resumes a connector's units here. */
    for (run_unit_t *u = h->running; u; u = u->next)
        for (size_t i = 0; i < nw; i++)
            if (want[i].task == u->task && strcmp(want[i].name, u->name) == 0 &&
                want[i].paused != u->paused) {
                sl_connect_runtime_set_paused(h->rt, u->name, want[i].paused);
                for (run_unit_t *o = h->running; o; o = o->next)
                    if (strcmp(o->name, u->name) == 0)
                        o->paused = want[i].paused;
            }
    /* Start what should run here: connectors first (their task configs). */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < nw; i++) {
            const want_t *w = &want[i];
            if ((pass == 0) != (w->task < 0))
                continue;
            bool runs = false;
            for (run_unit_t *u = h->running; u && !runs; u = u->next)
                runs = u->task == w->task && strcmp(u->name, w->name) == 0;
            if (!runs)
                unit_start(h, w);
        }
    want_fini(want, nw);
    pthread_mutex_lock(&h->mu);
    h->reconciled = h->members.index >= 0 || h->reconciled;
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

static void *herder_main(void *arg)
{
    herder_t *h = arg;
    while (!atomic_load(&h->stop)) {
        sl_message_t *m = NULL;
        if (sl_consumer_poll(h->member, LOOP_POLL_MS, &m) == SL_OK && m) {
            if (m->err)
                SL_WARN(MOD, "worker %s: group: %s", h->worker_id, sl_err_name(m->err));
            sl_message_free(m);
        }
        for (int i = 0; i < 1000; i++) {
            m = NULL;
            if (sl_consumer_poll(h->reader, i == 0 ? LOOP_POLL_MS : 0, &m) != SL_OK || !m)
                break;
            if (!m->err)
                on_record(h, m);
            sl_message_free(m);
        }
        sl_dist_writer_poll(h->writer);
        pthread_mutex_lock(&h->mu);
        bool due = h->dirty || h->members_changed || h->nevents;
        pthread_mutex_unlock(&h->mu);
        if (due)
            reconcile(h);
    }
    return NULL;
}

/* ---- the herder ops ------------------------------------------------------------ */

/* Writes key/value to the config topic and waits until this worker read it
 * back. */
static sl_err_t write_config(herder_t *h, const char *key, const char *value, char *errbuf,
                             size_t errlen)
{
    int64_t offset = -1;
    sl_err_t err = sl_dist_writer_send(h->writer, h->topics.config, key, value, &offset,
                                       WRITE_TIMEOUT_MS);
    if (err) {
        snprintf(errbuf, errlen, "cannot write %s to the config topic %s: %s", key, h->topics.config,
                 sl_err_name(err));
        return SL_ERR_TIMEOUT;
    }
    int64_t deadline = sl_time_wall_ms() + WRITE_TIMEOUT_MS;
    struct timespec ts = {.tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000};
    pthread_mutex_lock(&h->mu);
    while (h->config_read <= offset && !err)
        if (pthread_cond_timedwait(&h->cv, &h->mu, &ts) != 0 && h->config_read <= offset)
            err = SL_ERR_TIMEOUT;
    pthread_mutex_unlock(&h->mu);
    if (err)
        snprintf(errbuf, errlen, "%s was written to the config topic %s but not read back in time", key,
                 h->topics.config);
    return err;
}

static bool exists(herder_t *h, const char *name, int *tasks)
{
    pthread_mutex_lock(&h->mu);
    const sl_dist_conn_t *c = sl_dist_state_conn(h->state, name);
    if (tasks)
        *tasks = c ? c->task_count : 0;
    pthread_mutex_unlock(&h->mu);
    return c != NULL;
}

static sl_err_t not_found(const char *name, char *errbuf, size_t errlen)
{
    snprintf(errbuf, errlen, "Connector %s not found", name);
    return SL_ERR_NOENT;
}

static sl_err_t hd_put(void *hv, const char *name, const sl_props_t *config, bool create_only,
                       bool *created, char *errbuf, size_t errlen)
{
    herder_t *h = hv;
    const char *given = sl_props_get(config, "name");
    if (given && strcmp(given, name) != 0) {
        snprintf(errbuf, errlen, "Connector name configuration (%s) doesn't match connector name in "
                 "the URL (%s)", given, name);
        return SL_ERR_CONFIG;
    }
    sl_props_t *full = sl_dist_props_dup(config);
    if (!full || sl_props_set(full, "name", name, 0) != SL_OK) {
        sl_props_free(full);
        return SL_ERR_NOMEM;
    }
    sl_err_t err = sl_connect_runtime_check(h->rt, full, NULL, NULL, errbuf, errlen);
    bool had = exists(h, name, NULL);
    if (!err && create_only && had) {
        snprintf(errbuf, errlen, "Connector %s already exists", name);
        err = SL_ERR_EXISTS;
    }
    char *key = NULL, *value = NULL;
    if (!err) {
        key = sl_dist_key("connector", name, -1);
        value = sl_dist_props_json(full);
        err = key && value ? write_config(h, key, value, errbuf, errlen) : SL_ERR_NOMEM;
    }
    free(key);
    free(value);
    sl_props_free(full);
    if (!err && created)
        *created = !had;
    return err;
}

static sl_err_t hd_remove(void *hv, const char *name, char *errbuf, size_t errlen)
{
    herder_t *h = hv;
    if (!exists(h, name, NULL))
        return not_found(name, errbuf, errlen);
    char *key = sl_dist_key("connector", name, -1), *tkey = sl_dist_key("target-state", name, -1);
    sl_err_t err = key && tkey ? write_config(h, key, NULL, errbuf, errlen) : SL_ERR_NOMEM;
    if (!err)
        err = write_config(h, tkey, NULL, errbuf, errlen);
    free(key);
    free(tkey);
    return err;
}

static sl_err_t hd_set_paused(void *hv, const char *name, bool paused, char *errbuf, size_t errlen)
{
    herder_t *h = hv;
    if (!exists(h, name, NULL))
        return not_found(name, errbuf, errlen);
    char *key = sl_dist_key("target-state", name, -1);
    sl_err_t err = key ? write_config(h, key, paused ? "{\"state\":\"PAUSED\"}" : "{\"state\":\"STARTED\"}",
                                      errbuf, errlen)
                       : SL_ERR_NOMEM;
    free(key);
    return err;
}

static sl_err_t hd_restart(void *hv, const char *name, bool include_tasks, bool only_failed,
                           char *errbuf, size_t errlen)
{
    herder_t *h = hv;
    if (!exists(h, name, NULL))
        return not_found(name, errbuf, errlen);
    char *key = sl_dist_key("restart-connector", name, -1);
    char value[80];
    snprintf(value, sizeof value, "{\"include-tasks\":%s,\"only-failed\":%s}",
             include_tasks ? "true" : "false", only_failed ? "true" : "false");
    sl_err_t err = key ? write_config(h, key, value, errbuf, errlen) : SL_ERR_NOMEM;
    free(key);
    return err;
}

static sl_err_t hd_restart_task(void *hv, const char *name, int task, char *errbuf, size_t errlen)
{
    herder_t *h = hv;
    int n = 0;
    if (!exists(h, name, &n))
        return not_found(name, errbuf, errlen);
    if (task < 0 || task >= n) {
        snprintf(errbuf, errlen, "Task %s-%d not found", name, task);
        return SL_ERR_NOENT;
    }
    char *key = sl_dist_key("restart-task", name, task);
    sl_err_t err = key ? write_config(h, key, "{}", errbuf, errlen) : SL_ERR_NOMEM;
    free(key);
    return err;
}

static sl_err_t hd_list(void *hv, sl_arena_t *arena, const char ***names, size_t *n)
{
    herder_t *h = hv;
    pthread_mutex_lock(&h->mu);
    size_t nc, k = 0;
    sl_dist_conn_t *const *conns = sl_dist_state_conns(h->state, &nc);
    const char **out = sl_arena_calloc(arena, nc ? nc : 1, sizeof *out);
    sl_err_t err = out ? SL_OK : SL_ERR_NOMEM;
    for (size_t i = 0; !err && i < nc; i++) {
        if (!conns[i]->config)
            continue;
        if (!(out[k++] = sl_arena_strndup(arena, conns[i]->name, strlen(conns[i]->name))))
            err = SL_ERR_NOMEM;
    }
    pthread_mutex_unlock(&h->mu);
    if (!err) {
        *names = out;
        *n = k;
    }
    return err;
}

static sl_err_t hd_config(void *hv, const char *name, sl_props_t **out)
{
    herder_t *h = hv;
    pthread_mutex_lock(&h->mu);
    const sl_dist_conn_t *c = sl_dist_state_conn(h->state, name);
    sl_props_t *copy = c ? sl_dist_props_dup(c->config) : NULL;
    pthread_mutex_unlock(&h->mu);
    if (!c)
        return SL_ERR_NOENT;
    if (!copy)
        return SL_ERR_NOMEM;
    *out = copy;
    return SL_OK;
}

static sl_err_t hd_tasks(void *hv, const char *name, sl_arena_t *arena,
                         sl_connect_task_config_t **tasks, size_t *n)
{
    herder_t *h = hv;
    pthread_mutex_lock(&h->mu);
    const sl_dist_conn_t *c = sl_dist_state_conn(h->state, name);
    sl_err_t err = c ? SL_OK : SL_ERR_NOENT;
    sl_connect_task_config_t *out = c ? sl_arena_calloc(arena, c->task_count ? (size_t)c->task_count : 1,
                                                        sizeof *out)
                                      : NULL;
    if (c && !out)
        err = SL_ERR_NOMEM;
    for (int t = 0; !err && t < c->task_count; t++) {
        const sl_props_t *p = c->tasks[t];
        size_t cnt = sl_props_count(p);
        const char **keys = sl_arena_calloc(arena, cnt ? cnt : 1, sizeof *keys);
        const char **values = sl_arena_calloc(arena, cnt ? cnt : 1, sizeof *values);
        if (!keys || !values) {
            err = SL_ERR_NOMEM;
            break;
        }
        for (size_t i = 0; i < cnt && !err; i++) {
            const char *k, *v;
            sl_props_at(p, i, &k, &v, NULL);
            keys[i] = sl_arena_strndup(arena, k, strlen(k));
            values[i] = sl_arena_strndup(arena, v, strlen(v));
            if (!keys[i] || !values[i])
                err = SL_ERR_NOMEM;
        }
        out[t] = (sl_connect_task_config_t){.task = t, .keys = keys, .values = values, .count = cnt};
    }
    if (!err) {
        *tasks = out;
        *n = (size_t)c->task_count;
    }
    pthread_mutex_unlock(&h->mu);
    return err;
}

/* A state from the status topic, in arena memory (UNASSIGNED when none). */
static sl_err_t state_of(const sl_dist_status_t *st, sl_arena_t *arena, sl_connect_state_t *out)
{
    const char *state = st ? st->state : "UNASSIGNED", *worker = st ? st->worker_id : "";
    out->state = sl_arena_strndup(arena, state, strlen(state));
    out->worker_id = sl_arena_strndup(arena, worker, strlen(worker));
    out->trace = st && st->trace && strcmp(state, "FAILED") == 0
                     ? sl_arena_strndup(arena, st->trace, strlen(st->trace))
                     : NULL;
    if (!out->state || !out->worker_id || (st && st->trace && strcmp(state, "FAILED") == 0 && !out->trace))
        return SL_ERR_NOMEM;
    return SL_OK;
}

static sl_err_t hd_status(void *hv, const char *name, sl_arena_t *arena, sl_connect_status_t *out)
{
    herder_t *h = hv;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&h->mu);
    const sl_dist_conn_t *c = sl_dist_state_conn(h->state, name);
    sl_err_t err = c ? SL_OK : SL_ERR_NOENT;
    if (!err) {
        const char *cls = sl_props_get(c->config, "connector.class");
        const sl_connect_plugin_t *pl = cls ? sl_connect_plugins_find(h->plugins, cls) : NULL;
        out->type = !pl ? "unknown" : pl->kind == SL_CONNECT_SOURCE ? "source" : "sink";
        out->name = sl_arena_strndup(arena, name, strlen(name));
        out->tasks = sl_arena_calloc(arena, c->task_count ? (size_t)c->task_count : 1, sizeof *out->tasks);
        err = out->name && out->tasks ? SL_OK : SL_ERR_NOMEM;
    }
    if (!err)
        err = state_of(sl_dist_state_status(h->state, name, -1), arena, &out->connector);
    for (int t = 0; !err && t < c->task_count; t++)
        err = state_of(sl_dist_state_status(h->state, name, t), arena, &out->tasks[t]);
    if (!err)
        out->task_count = (size_t)c->task_count;
    pthread_mutex_unlock(&h->mu);
    return err;
}

static void hd_free(void *hv)
{
    herder_t *h = hv;
    if (!h)
        return;
    atomic_store(&h->stop, true);
    if (h->thread_started)
        pthread_join(h->thread, NULL);
    /* Stop everything here before leaving the group, so that nothing runs
     * twice once the others take it over. */
    sl_connect_runtime_free(h->rt);
    while (h->running) {
        run_unit_t *u = h->running;
        h->running = u->next;
        unit_free(u);
    }
    if (h->member)
        sl_consumer_close(h->member);
    sl_consumer_free(h->member);
    sl_dist_group_free(h->group);
    if (h->offsets)
        h->offsets->ops->free(h->offsets);
    sl_dist_writer_free(h->writer);
    sl_consumer_free(h->reader);
    sl_admin_free(h->admin);
    sl_dist_state_free(h->state);
    sl_dist_members_fini(&h->members);
    sl_map_fini(&h->local, free);
    free(h->events);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h->worker_id);
    free(h);
}

static const sl_connect_herder_ops_t dist_ops = {
    .put = hd_put,
    .remove = hd_remove,
    .set_paused = hd_set_paused,
    .restart = hd_restart,
    .restart_task = hd_restart_task,
    .list = hd_list,
    .config = hd_config,
    .tasks = hd_tasks,
    .status = hd_status,
    .free = hd_free,
};

/* ---- start ------------------------------------------------------------------------ */

static void on_loaded_record(void *arg, const sl_message_t *m)
{
    on_record(arg, m);
}

/* The member consumer: the group, subscribed to the config topic (it is
 * handed no partitions; the subscription only names something to join
 * for). */
static sl_err_t member_new(herder_t *h, const char *group_id, char *errbuf, size_t errlen)
{
    const char *session = sl_props_get(h->wp, "session.timeout.ms");
    const char *heartbeat = sl_props_get(h->wp, "heartbeat.interval.ms");
    const char *rebalance = sl_props_get(h->wp, "rebalance.timeout.ms");
    const char *extra[] = {"group.id", group_id,
                           "enable.auto.commit", "false",
                           "session.timeout.ms", session && *session ? session : "10000",
                           "heartbeat.interval.ms", heartbeat && *heartbeat ? heartbeat : "3000",
                           "max.poll.interval.ms", rebalance && *rebalance ? rebalance : "60000",
                           NULL};
    sl_conf_t *conf = NULL;
    sl_err_t err = sl_dist_client_conf(h->wp, "consumer.", extra, &conf, errbuf, errlen);
    if (!err)
        err = sl_consumer_new(conf, NULL, NULL, &h->member, errbuf, errlen);
    sl_conf_free(conf);
    if (!err && (err = sl_dist_group_new(h->member, h->worker_id, on_members, h, &h->group)) != SL_OK)
        snprintf(errbuf, errlen, "cannot set up the group %s: %s", group_id, sl_err_name(err));
    const char *topics[] = {h->topics.config};
    if (!err && (err = sl_consumer_subscribe(h->member, topics, 1)) != SL_OK)
        snprintf(errbuf, errlen, "cannot join the group %s: %s", group_id, sl_err_name(err));
    return err;
}

sl_err_t sl_connect_herder_dist_new(const sl_props_t *worker_props,
                                    const sl_connect_plugins_t *plugins, const char *worker_id,
                                    const sl_connect_herder_ops_t **ops, void **hout, char *errbuf,
                                    size_t errlen)
{
    const char *group_id = sl_props_get(worker_props, "group.id");
    if (!group_id || !*group_id) {
        snprintf(errbuf, errlen, "group.id: a distributed worker needs one");
        return SL_ERR_CONFIG;
    }
    herder_t *h = calloc(1, sizeof *h);
    if (!h)
        return SL_ERR_NOMEM;
    h->wp = worker_props;
    h->plugins = plugins;
    h->members.index = -1;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    sl_map_init(&h->local);
    h->worker_id = strdup(worker_id);
    h->state = sl_dist_state_new();
    sl_err_t err = h->worker_id && h->state ? SL_OK : SL_ERR_NOMEM;
    if (!err)
        err = sl_dist_topics_read(worker_props, &h->topics, errbuf, errlen);
    sl_conf_t *aconf = NULL;
    if (!err)
        err = sl_dist_client_conf(worker_props, "admin.", NULL, &aconf, errbuf, errlen);
    if (!err)
        err = sl_admin_new(aconf, &h->admin, errbuf, errlen);
    sl_conf_free(aconf);
    if (!err)
        err = sl_dist_topics_create(h->admin, &h->topics, errbuf, errlen);
    if (!err)
        err = sl_dist_writer_new(worker_props, &h->writer, errbuf, errlen);
    if (!err)
        err = sl_connect_offset_store_topic(worker_props, h->topics.offset, &h->offsets, errbuf, errlen);
    const char *read[] = {h->topics.config, h->topics.status};
    if (!err)
        err = sl_dist_reader_new(worker_props, h->admin, read, 2, &h->reader, errbuf, errlen);
    if (!err && (err = sl_dist_read_to_end(h->reader, h->admin, on_loaded_record, h, WRITE_TIMEOUT_MS)))
        snprintf(errbuf, errlen, "cannot read the config topic %s to its end: %s", h->topics.config,
                 sl_err_name(err));
    h->loaded = true;
    if (!err)
        err = sl_connect_runtime_new(worker_props, plugins, h->offsets, h->worker_id, status_cb, h, &h->rt,
                                     errbuf, errlen);
    if (!err)
        err = member_new(h, group_id, errbuf, errlen);
    if (!err) {
        if (pthread_create(&h->thread, NULL, herder_main, h) != 0) {
            snprintf(errbuf, errlen, "cannot start the herder thread");
            err = SL_ERR_NOMEM;
        } else {
            h->thread_started = true;
        }
    }
    if (err) {
        hd_free(h);
        return err == SL_ERR_NOMEM || err == SL_ERR_TIMEOUT ? err : SL_ERR_CONFIG;
    }
    /* Until the first assignment runs, or a session's time. */
    const char *session = sl_props_get(worker_props, "session.timeout.ms");
    long wait_ms = session && *session ? strtol(session, NULL, 10) : 10000;
    int64_t deadline = sl_time_wall_ms() + (wait_ms > 0 && wait_ms < 600000 ? wait_ms : 10000);
    struct timespec ts = {.tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000};
    pthread_mutex_lock(&h->mu);
    while (!h->reconciled)
        if (pthread_cond_timedwait(&h->cv, &h->mu, &ts) != 0)
            break;
    bool joined = h->reconciled;
    pthread_mutex_unlock(&h->mu);
    if (!joined)
        SL_WARN(MOD, "worker %s: not in the group %s yet; joining goes on in the background", worker_id,
                group_id);
    *ops = &dist_ops;
    *hout = h;
    return SL_OK;
}
