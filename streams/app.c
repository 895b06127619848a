/*
 * app.c - one application instance (sl_app_t, streams.h): its config,
 * the topology as the app runs it (sub-topologies with their full topic
 * names, the assignor's view), the lifecycle (new, start, close, free,
 * cleanup), the state derived from the stream threads' states, the task
 * directory locks shared by the threads, and the client configs.
 *
 * The instance's process id (16 random bytes, kept in
 * <state.dir>/<application.id>/process.id) names it to the assignor and in
 * transactional ids, so a restart with its state directory is the same
 * instance: its tasks come back to it and its transactions are fenced.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app_int.h"

/* ---- config --------------------------------------------------------------- */

static const char *const streams_keys[] = {
    "application.id", "bootstrap.servers", "num.stream.threads", "processing.guarantee", "commit.interval.ms",
    "cache.max.bytes.buffering", "state.dir", "num.standby.replicas", "replication.factor", "application.server",
    "default.deserialization.exception.handler", "repartition.purge.interval.ms", NULL};

static bool is_streams_key(const char *k)
{
    for (size_t i = 0; streams_keys[i]; i++)
        if (strcmp(k, streams_keys[i]) == 0)
            return true;
    return false;
}

static bool has_prefix(const char *k, const char **rest)
{
    static const char *const prefixes[] = {"consumer.", "producer.", "admin."};
    for (size_t i = 0; i < 3; i++)
        if (strncmp(k, prefixes[i], strlen(prefixes[i])) == 0) {
            *rest = k + strlen(prefixes[i]);
            return true;
        }
    return false;
}

static sl_err_t conf_fail(char *errbuf, size_t errlen, const char *key, const char *value, const char *why)
{
    if (errbuf && errlen)
        snprintf(errbuf, errlen, "%s=%s: %s", key, value ? value : "", why);
    return SL_ERR_CONFIG;
}

static sl_err_t get_int(sl_app_t *app, const char *key, int64_t def, int64_t min, int64_t max, int64_t *out,
                        char *errbuf, size_t errlen)
{
    const char *v = sl_props_get(app->props, key);
    *out = def;
    if (!v)
        return SL_OK;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end || x < min || x > max) {
        char why[96];
        snprintf(why, sizeof(why), "not an integer in [%lld, %lld]", (long long)min, (long long)max);
        return conf_fail(errbuf, errlen, key, v, why);
    }
    *out = x;
    return SL_OK;
}

sl_conf_t *sl_app_client_conf(sl_app_t *app, const char *prefix, const char *const *defaults,
                              const char *const *forced, char *errbuf, size_t errlen)
{
    sl_conf_t *conf = sl_conf_new();
    if (!conf) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    sl_err_t err = sl_conf_set(conf, "bootstrap.servers", app->bootstrap, errbuf, errlen);
    for (size_t i = 0; defaults && defaults[i] && !err; i += 2)
        err = sl_conf_set(conf, defaults[i], defaults[i + 1], errbuf, errlen);
    size_t plen = strlen(prefix);
    /* unprefixed client keys first (where this client knows them), then
     * the prefixed ones, then what the runtime needs */
    for (int pass = 0; pass < 2 && !err; pass++)
        for (size_t i = 0; i < sl_props_count(app->props) && !err; i++) {
            const char *k, *v, *rest;
            int line;
            sl_props_at(app->props, i, &k, &v, &line);
            if (is_streams_key(k))
                continue;
            if (pass == 0 && !has_prefix(k, &rest))
                (void)sl_conf_set(conf, k, v, NULL, 0);
            else if (pass == 1 && strncmp(k, prefix, plen) == 0)
                err = sl_conf_set(conf, k + plen, v, errbuf, errlen);
        }
    for (size_t i = 0; forced && forced[i] && !err; i += 2)
        err = sl_conf_set(conf, forced[i], forced[i + 1], errbuf, errlen);
    if (err) {
        sl_conf_free(conf);
        return NULL;
    }
    return conf;
}

/* Every key is a streams key, a client key under a known prefix, or a key
 * some client knows. */
static sl_err_t check_keys(sl_app_t *app, char *errbuf, size_t errlen)
{
    sl_conf_t *probe[3] = {sl_conf_new(), sl_conf_new(), sl_conf_new()};
    sl_err_t err = probe[0] && probe[1] && probe[2] ? SL_OK : SL_ERR_NOMEM;
    for (size_t i = 0; i < sl_props_count(app->props) && !err; i++) {
        const char *k, *v, *rest;
        int line;
        sl_props_at(app->props, i, &k, &v, &line);
        if (is_streams_key(k))
            continue;
        if (has_prefix(k, &rest)) {
            err = sl_conf_set(probe[0], rest, v, errbuf, errlen);
            continue;
        }
        bool known = false;
        for (int j = 0; j < 3 && !known; j++)
            known = sl_conf_set(probe[j], k, v, NULL, 0) == SL_OK;
        if (!known)
            err = conf_fail(errbuf, errlen, k, v, "unknown key (not a streams setting nor one of the clients')");
    }
    for (int j = 0; j < 3; j++)
        sl_conf_free(probe[j]);
    return err;
}

static sl_err_t parse_conf(sl_app_t *app, char *errbuf, size_t errlen)
{
    app->app_id = sl_props_get(app->props, "application.id");
    if (!app->app_id || !app->app_id[0])
        return conf_fail(errbuf, errlen, "application.id", app->app_id, "required");
    for (const char *p = app->app_id; *p; p++)
        if (!(*p == '.' || *p == '_' || *p == '-' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z')))
            return conf_fail(errbuf, errlen, "application.id", app->app_id,
                             "only letters, digits, '.', '_' and '-' (it names topics and directories)");
    if (strlen(app->app_id) > 200)
        return conf_fail(errbuf, errlen, "application.id", app->app_id, "longer than 200 characters");
    app->bootstrap = sl_props_get(app->props, "bootstrap.servers");
    if (!app->bootstrap)
        app->bootstrap = "localhost:9092";
    const char *pg = sl_props_get(app->props, "processing.guarantee");
    if (!pg || strcmp(pg, "at_least_once") == 0)
        app->eos = false;
    else if (strcmp(pg, "exactly_once_v2") == 0)
        app->eos = true;
    else
        return conf_fail(errbuf, errlen, "processing.guarantee", pg, "at_least_once or exactly_once_v2");
    const char *h = sl_props_get(app->props, "default.deserialization.exception.handler");
    if (!h || strcmp(h, "logAndContinue") == 0)
        app->log_and_fail = false;
    else if (strcmp(h, "logAndFail") == 0)
        app->log_and_fail = true;
    else
        return conf_fail(errbuf, errlen, "default.deserialization.exception.handler", h,
                         "logAndContinue or logAndFail");
    int64_t x;
    sl_err_t err = get_int(app, "num.stream.threads", 1, 1, 64, &x, errbuf, errlen);
    app->num_threads = (int)x;
    if (!err)
        err = get_int(app, "commit.interval.ms", app->eos ? 100 : 30000, 0, INT32_MAX, &app->commit_interval_ms,
                      errbuf, errlen);
    if (!err)
        err = get_int(app, "cache.max.bytes.buffering", 10485760, 0, INT64_MAX / 2, &app->cache_bytes, errbuf,
                      errlen);
    if (!err)
        err = get_int(app, "repartition.purge.interval.ms", 30000, 0, INT32_MAX, &app->purge_interval_ms, errbuf,
                      errlen);
    if (!err)
        err = get_int(app, "num.standby.replicas", 0, 0, 16, &x, errbuf, errlen);
    app->num_standby = (int32_t)x;
    if (!err)
        err = get_int(app, "replication.factor", -1, -1, INT16_MAX, &x, errbuf, errlen);
    app->replication = (int16_t)x;
    if (!err && x == 0)
        err = conf_fail(errbuf, errlen, "replication.factor", "0", "-1 (the broker's default) or at least 1");
    app->state_dir = sl_props_get(app->props, "state.dir");
    if (!app->state_dir)
        app->state_dir = "/tmp/sluice-streams";
    if (!err)
        err = check_keys(app, errbuf, errlen);
    return err;
}

/* ---- the topology as run ---------------------------------------------------- */

static char *full_topic(const sl_app_t *app, const char *topic, bool internal)
{
    size_t n = strlen(app->app_id) + strlen(topic) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, internal ? "%s-%s" : "%.0s%s", app->app_id, topic);
    return s;
}

static sl_err_t build_subs(sl_app_t *app)
{
    const sl_topology_t *t = app->t;
    app->subs = calloc(t->n_subs ? t->n_subs : 1, sizeof(*app->subs));
    app->sa_subs = calloc(t->n_subs ? t->n_subs : 1, sizeof(*app->sa_subs));
    if (!app->subs || !app->sa_subs)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < t->n_subs; i++) {
        const sl_subtopo_t *sub = &t->subs[i];
        if (sub->global) {
            app->global_sub = sub;
            continue;
        }
        sl_app_sub_t *as = &app->subs[app->n_subs];
        as->sub = sub;
        size_t cap = 0;
        for (size_t k = 0; k < sub->n_sources; k++)
            cap += sub->sources[k]->n_topics;
        as->topics = calloc(cap ? cap : 1, sizeof(char *));
        if (!as->topics)
            return SL_ERR_NOMEM;
        for (size_t k = 0; k < sub->n_sources; k++) {
            const sl_node_t *src = sub->sources[k];
            for (size_t j = 0; j < src->n_topics; j++) {
                char *name = full_topic(app, src->topics[j], src->internal);
                if (!name)
                    return SL_ERR_NOMEM;
                bool dup = false;
                for (size_t d = 0; d < as->n_topics && !dup; d++)
                    dup = strcmp(as->topics[d], name) == 0;
                if (dup)
                    free(name);
                else
                    as->topics[as->n_topics++] = name;
            }
        }
        app->n_subs++;
    }
    return SL_OK;
}

/* After topics.c resolved patterns: the assignor's view and the
 * subscription. */
static sl_err_t build_assignor_view(sl_app_t *app)
{
    size_t total = 0;
    for (size_t i = 0; i < app->n_subs; i++)
        total += app->subs[i].n_topics;
    free(app->sub_topics);
    app->sub_topics = calloc(total ? total : 1, sizeof(char *));
    if (!app->sub_topics)
        return SL_ERR_NOMEM;
    app->n_sub_topics = 0;
    for (size_t i = 0; i < app->n_subs; i++) {
        app->sa_subs[i].id = app->subs[i].sub->id;
        app->sa_subs[i].topics = (const char *const *)app->subs[i].topics;
        app->sa_subs[i].n_topics = app->subs[i].n_topics;
        /* only a sub-topology with changelogs is bound to its count */
        bool logged = false;
        for (size_t k = 0; k < app->subs[i].sub->n_stores; k++)
            logged = logged || app->subs[i].sub->stores[k]->logging;
        app->sa_subs[i].partitions = logged ? app->subs[i].partitions : 0;
        for (size_t k = 0; k < app->subs[i].n_topics; k++)
            app->sub_topics[app->n_sub_topics++] = app->subs[i].topics[k];
    }
    app->sa.subs = app->sa_subs;
    app->sa.n_subs = app->n_subs;
    app->sa.num_standby = app->num_standby;
    return SL_OK;
}

int sl_app_sub_of(const sl_app_t *app, const char *topic)
{
    for (size_t i = 0; i < app->n_subs; i++)
        for (size_t k = 0; k < app->subs[i].n_topics; k++)
            if (strcmp(app->subs[i].topics[k], topic) == 0)
                return (int)i;
    return -1;
}

/* ---- the state directory and the process id --------------------------------- */

static sl_err_t mkdirs(const char *path)
{
    char buf[4096];
    if (strlen(path) >= sizeof(buf))
        return SL_ERR_IO;
    strcpy(buf, path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST)
                return SL_ERR_IO;
            *p = '/';
        }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return SL_ERR_IO;
    return SL_OK;
}

static void random_bytes(uint8_t *out, size_t n)
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, out, n) : -1;
    if (fd >= 0)
        close(fd);
    if (got != (ssize_t)n) {
        /* no /dev/urandom: time and address, unique enough for one host */
        uint64_t a = (uint64_t)sl_time_wall_ms() ^ ((uint64_t)getpid() << 32), b = (uint64_t)(uintptr_t)out;
        memcpy(out, &a, n < 8 ? n : 8);
        if (n > 8)
            memcpy(out + 8, &b, n - 8 < 8 ? n - 8 : 8);
    }
    out[6] = (uint8_t)((out[6] & 0x0f) | 0x40); /* a v4 uuid */
    out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
}

static sl_err_t load_process_id(sl_app_t *app, char *errbuf, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/process.id", app->app_dir);
    FILE *f = fopen(path, "r");
    char hex[40] = "";
    bool ok = false;
    if (f) {
        ok = fgets(hex, sizeof(hex), f) && strlen(hex) >= 32;
        for (int i = 0; ok && i < 16; i++) {
            int hi = sl_hex_value(hex[2 * i]), lo = sl_hex_value(hex[2 * i + 1]);
            ok = hi >= 0 && lo >= 0;
            app->process[i] = (uint8_t)(hi << 4 | lo);
        }
        fclose(f);
    }
    if (!ok) {
        random_bytes(app->process, sizeof(app->process));
        f = fopen(path, "w");
        if (!f) {
            snprintf(errbuf, errlen, "state.dir: cannot write %s: %s", path, strerror(errno));
            return SL_ERR_IO;
        }
        for (int i = 0; i < 16; i++)
            fprintf(f, "%02x", app->process[i]);
        fputc('\n', f);
        if (fclose(f) != 0) {
            snprintf(errbuf, errlen, "state.dir: cannot write %s", path);
            return SL_ERR_IO;
        }
    }
    for (int i = 0; i < 16; i++)
        snprintf(app->process_hex + 2 * i, 3, "%02x", app->process[i]);
    return SL_OK;
}

/* ---- lifecycle -------------------------------------------------------------- */

sl_err_t sl_app_new(const sl_topology_t *t, const char *props, sl_app_t **out, char *errbuf, size_t errlen)
{
    char dummy[8];
    if (!errbuf || !errlen) {
        errbuf = dummy;
        errlen = sizeof(dummy);
    }
    errbuf[0] = '\0';
    *out = NULL;
    if (!t)
        return SL_ERR_INVAL;
    sl_app_t *app = calloc(1, sizeof(*app));
    if (!app)
        return SL_ERR_NOMEM;
    app->t = t;
    pthread_mutex_init(&app->lock, NULL);
    pthread_cond_init(&app->cond, NULL);
    pthread_rwlock_init(&app->global_lock, NULL);
    sl_map_init(&app->dir_owner);
    app->state = SL_APP_CREATED;
    sl_err_t err = sl_props_parse(props ? props : "", props ? strlen(props) : 0, "streams config", &app->props,
                                  errbuf, errlen);
    if (!err)
        err = parse_conf(app, errbuf, errlen);
    if (!err)
        err = build_subs(app);
    if (!err && !app->n_subs)
        err = conf_fail(errbuf, errlen, "topology", "", "nothing to run: no sub-topology reads a topic");
    if (!err) {
        size_t n = strlen(app->state_dir) + strlen(app->app_id) + 2;
        app->app_dir = malloc(n);
        if (!app->app_dir)
            err = SL_ERR_NOMEM;
        else
            snprintf(app->app_dir, n, "%s/%s", app->state_dir, app->app_id);
    }
    if (!err && mkdirs(app->app_dir) != SL_OK) {
        snprintf(errbuf, errlen, "state.dir: cannot create %s: %s", app->app_dir, strerror(errno));
        err = SL_ERR_IO;
    }
    if (!err)
        err = load_process_id(app, errbuf, errlen);
    if (err) {
        sl_app_free(app);
        return err;
    }
    *out = app;
    return SL_OK;
}

void sl_app_set_state_cb(sl_app_t *app, sl_app_state_fn *fn, void *arg)
{
    pthread_mutex_lock(&app->lock);
    app->state_cb = fn;
    app->state_arg = arg;
    pthread_mutex_unlock(&app->lock);
}

/* Sets the state (app->lock held); the callback runs after unlocking. */
static void set_state_locked(sl_app_t *app, sl_app_state_t s, sl_app_state_t *old)
{
    *old = app->state;
    app->state = s;
}

static void notify(sl_app_t *app, sl_app_state_t old, sl_app_state_t s)
{
    if (old == s)
        return;
    SL_INFO(SL_APP_LOG, "%s: state %s -> %s", app->app_id, sl_app_state_name(old), sl_app_state_name(s));
    pthread_mutex_lock(&app->lock);
    sl_app_state_fn *fn = app->state_cb;
    void *arg = app->state_arg;
    pthread_mutex_unlock(&app->lock);
    if (fn)
        fn(app, old, s, arg);
}

void sl_app_refresh_state(sl_app_t *app)
{
    pthread_mutex_lock(&app->lock);
    sl_app_state_t s = app->state, old;
    if (s == SL_APP_CREATED || s == SL_APP_NOT_RUNNING || s == SL_APP_ERROR || s == SL_APP_PENDING_SHUTDOWN) {
        pthread_mutex_unlock(&app->lock);
        return;
    }
    int running = 0, errors = 0, live = 0;
    for (int i = 0; i < app->num_threads; i++) {
        int st = app->threads && app->threads[i] ? atomic_load(&app->threads[i]->state) : SL_ST_STARTING;
        errors += st == SL_ST_ERROR;
        live += st != SL_ST_ERROR && st != SL_ST_DEAD;
        running += st == SL_ST_RUNNING;
    }
    /* as Kafka Streams: ERROR once no thread is left alive */
    s = live == 0 && errors ? SL_APP_ERROR : running == live && live ? SL_APP_RUNNING : SL_APP_REBALANCING;
    set_state_locked(app, s, &old);
    pthread_mutex_unlock(&app->lock);
    notify(app, old, s);
}

sl_err_t sl_app_start(sl_app_t *app, char *errbuf, size_t errlen)
{
    char dummy[8];
    if (!errbuf || !errlen) {
        errbuf = dummy;
        errlen = sizeof(dummy);
    }
    errbuf[0] = '\0';
    pthread_mutex_lock(&app->lock);
    bool started = app->started;
    app->started = true;
    pthread_mutex_unlock(&app->lock);
    if (started)
        return SL_ERR_STATE;
    sl_err_t err = SL_OK;
    sl_conf_t *aconf = sl_app_client_conf(app, "admin.", NULL, NULL, errbuf, errlen);
    if (!aconf)
        err = SL_ERR_CONFIG;
    if (!err)
        err = sl_admin_new(aconf, &app->admin, errbuf, errlen);
    sl_conf_free(aconf);
    if (!err)
        err = sl_topics_prepare(app, errbuf, errlen);
    if (!err)
        err = build_assignor_view(app);
    if (!err && app->global_sub)
        err = sl_app_global_start(app, errbuf, errlen);
    if (!err) {
        app->threads = calloc((size_t)app->num_threads, sizeof(*app->threads));
        if (!app->threads)
            err = SL_ERR_NOMEM;
    }
    for (int i = 0; i < app->num_threads && !err; i++)
        err = sl_sthread_new(app, i, &app->threads[i], errbuf, errlen);
    sl_app_state_t old = SL_APP_CREATED;
    if (!err) {
        pthread_mutex_lock(&app->lock);
        set_state_locked(app, SL_APP_REBALANCING, &old);
        pthread_mutex_unlock(&app->lock);
        notify(app, old, SL_APP_REBALANCING);
    }
    for (int i = 0; i < app->num_threads && !err; i++) {
        err = sl_sthread_start(app->threads[i]);
        if (!err) {
            pthread_mutex_lock(&app->lock);
            app->live_threads++;
            pthread_mutex_unlock(&app->lock);
        } else {
            snprintf(errbuf, errlen, "cannot start stream thread %d", i);
        }
    }
    if (err) {
        SL_ERROR(SL_APP_LOG, "%s: start failed: %s: %s", app->app_id, sl_err_name(err), errbuf);
        atomic_store(&app->stopping, true);
        for (int i = 0; app->threads && i < app->num_threads; i++)
            if (app->threads[i])
                atomic_store(&app->threads[i]->stop, true);
        pthread_mutex_lock(&app->lock);
        set_state_locked(app, SL_APP_ERROR, &old);
        pthread_mutex_unlock(&app->lock);
        notify(app, old, SL_APP_ERROR);
    }
    return err;
}

sl_app_state_t sl_app_state(const sl_app_t *app)
{
    sl_app_t *a = (sl_app_t *)app;
    pthread_mutex_lock(&a->lock);
    sl_app_state_t s = a->state;
    pthread_mutex_unlock(&a->lock);
    return s;
}

const char *sl_app_state_name(sl_app_state_t s)
{
    switch (s) {
    case SL_APP_CREATED: return "CREATED";
    case SL_APP_REBALANCING: return "REBALANCING";
    case SL_APP_RUNNING: return "RUNNING";
    case SL_APP_PENDING_SHUTDOWN: return "PENDING_SHUTDOWN";
    case SL_APP_NOT_RUNNING: return "NOT_RUNNING";
    case SL_APP_ERROR: return "ERROR";
    }
    return "UNKNOWN";
}

/* A stream thread ended (called by thread.c at its very end). */
void sl_app_thread_ended(sl_app_t *app)
{
    pthread_mutex_lock(&app->lock);
    app->live_threads--;
    pthread_cond_broadcast(&app->cond);
    pthread_mutex_unlock(&app->lock);
}

sl_err_t sl_app_close(sl_app_t *app, int timeout_ms)
{
    if (!app)
        return SL_ERR_INVAL;
    pthread_mutex_lock(&app->lock);
    sl_app_state_t old = app->state;
    bool was_error = old == SL_APP_ERROR;
    if (old == SL_APP_NOT_RUNNING) {
        pthread_mutex_unlock(&app->lock);
        return SL_OK;
    }
    if (!was_error)
        app->state = SL_APP_PENDING_SHUTDOWN;
    pthread_mutex_unlock(&app->lock);
    if (!was_error)
        notify(app, old, SL_APP_PENDING_SHUTDOWN);
    atomic_store(&app->stopping, true);
    for (int i = 0; app->threads && i < app->num_threads; i++)
        if (app->threads[i])
            atomic_store(&app->threads[i]->stop, true);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    int64_t ns = (int64_t)dl.tv_nsec + (int64_t)(timeout_ms < 0 ? 0 : timeout_ms % 1000) * 1000000;
    dl.tv_sec += (timeout_ms < 0 ? 0 : timeout_ms / 1000) + ns / 1000000000;
    dl.tv_nsec = ns % 1000000000;
    sl_err_t err = SL_OK;
    pthread_mutex_lock(&app->lock);
    while (app->live_threads > 0 && !err)
        if (timeout_ms < 0)
            pthread_cond_wait(&app->cond, &app->lock);
        else if (pthread_cond_timedwait(&app->cond, &app->lock, &dl) == ETIMEDOUT)
            err = SL_ERR_TIMEOUT;
    pthread_mutex_unlock(&app->lock);
    if (err) {
        SL_WARN(SL_APP_LOG, "%s: close: stream threads still running after %d ms", app->app_id, timeout_ms);
        return err;
    }
    for (int i = 0; app->threads && i < app->num_threads; i++) {
        sl_sthread_free(app->threads[i]);
        app->threads[i] = NULL;
    }
    sl_app_global_stop(app);
    pthread_mutex_lock(&app->lock);
    old = app->state;
    sl_app_state_t s = was_error ? SL_APP_ERROR : SL_APP_NOT_RUNNING;
    app->state = s;
    pthread_mutex_unlock(&app->lock);
    notify(app, old, s);
    return SL_OK;
}

void sl_app_free(sl_app_t *app)
{
    if (!app)
        return;
    if (app->started)
        (void)sl_app_close(app, -1);
    free(app->threads);
    sl_admin_free(app->admin);
    for (size_t i = 0; app->subs && i < app->n_subs; i++) {
        for (size_t k = 0; k < app->subs[i].n_topics; k++)
            free(app->subs[i].topics[k]);
        free(app->subs[i].topics);
    }
    free(app->subs);
    free(app->sa_subs);
    free(app->sub_topics);
    free(app->app_dir);
    sl_map_fini(&app->dir_owner, NULL);
    sl_props_free(app->props);
    pthread_rwlock_destroy(&app->global_lock);
    pthread_cond_destroy(&app->cond);
    pthread_mutex_destroy(&app->lock);
    free(app);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

sl_err_t sl_app_cleanup(sl_app_t *app)
{
    if (!app)
        return SL_ERR_INVAL;
    sl_app_state_t s = sl_app_state(app);
    if (s != SL_APP_CREATED && s != SL_APP_NOT_RUNNING && s != SL_APP_ERROR)
        return SL_ERR_STATE;
    pthread_mutex_lock(&app->lock);
    bool live = app->live_threads > 0;
    pthread_mutex_unlock(&app->lock);
    if (live)
        return SL_ERR_STATE;
    if (nftw(app->app_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT) {
        SL_ERROR(SL_APP_LOG, "%s: cleanup of %s: %s", app->app_id, app->app_dir, strerror(errno));
        return SL_ERR_IO;
    }
    SL_INFO(SL_APP_LOG, "%s: removed the state directory %s", app->app_id, app->app_dir);
    return SL_OK;
}

/* ---- task directory locks ------------------------------------------------------ */

bool sl_app_dir_acquire(sl_app_t *app, const char *task, sl_sthread_t *th)
{
    pthread_mutex_lock(&app->lock);
    sl_sthread_t *owner = sl_map_gets(&app->dir_owner, task);
    bool ok = owner == th;
    if (!owner)
        ok = sl_map_put(&app->dir_owner, task, strlen(task), th, NULL) == SL_OK;
    pthread_mutex_unlock(&app->lock);
    return ok;
}

void sl_app_dir_release(sl_app_t *app, const char *task, sl_sthread_t *th)
{
    pthread_mutex_lock(&app->lock);
    if (sl_map_gets(&app->dir_owner, task) == th)
        sl_map_del(&app->dir_owner, task, strlen(task), NULL);
    pthread_mutex_unlock(&app->lock);
}
