/*
 * cmdlog.c - the command topic "_confluent-ksql-<service id>_command_topic"
 * (one partition, kept forever): every statement that changes the catalog
 * or the persistent queries (CREATE, CREATE ... AS SELECT, INSERT INTO ...
 * SELECT, DROP, TERMINATE) is appended to it as JSON {"statement",
 * "streamsProperties", "queryId", "origin"} once it succeeded. An engine
 * replays the topic at start-up (so the catalog and the persistent queries
 * come back after a restart) and then keeps applying what other engines of
 * the same service id append, from a background thread, so their catalogs
 * converge and their instances of each query share its consumer group (the
 * application id depends on the query id only). Commands an engine wrote
 * itself are recognised by their origin and not applied twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_int.h"

#define CMD_POLL_MS 1000

typedef struct cmd_rec {
    int64_t offset;
    char *value;
} cmd_rec_t;

typedef struct cmd_batch {
    int64_t from;
    cmd_rec_t *recs;
    size_t n, cap;
    bool oom;
} cmd_batch_t;

static bool collect_fn(const sl_sql_rt_record_t *rec, void *arg)
{
    cmd_batch_t *b = arg;
    if (rec->offset < b->from || !rec->value)
        return true;
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 32;
        cmd_rec_t *n = realloc(b->recs, ncap * sizeof *n);
        if (!n) {
            b->oom = true;
            return false;
        }
        b->recs = n;
        b->cap = ncap;
    }
    char *v = malloc(rec->value_len + 1);
    if (!v) {
        b->oom = true;
        return false;
    }
    memcpy(v, rec->value, rec->value_len);
    v[rec->value_len] = 0;
    b->recs[b->n].offset = rec->offset;
    b->recs[b->n].value = v;
    b->n++;
    return true;
}

/* Applies one command (the engine's lock held). */
static void apply(sl_sql_engine_t *e, const cmd_rec_t *c)
{
    json_error_t jerr;
    json_t *j = json_loads(c->value, 0, &jerr);
    const char *stmt = j ? json_string_value(json_object_get(j, "statement")) : NULL;
    if (!stmt) {
        SL_WARN("sql", "command topic offset %lld: not a command (%s)", (long long)c->offset,
                j ? "no statement" : jerr.text);
        json_decref(j);
        return;
    }
    const char *origin = json_string_value(json_object_get(j, "origin"));
    if (origin && strcmp(origin, e->instance) == 0) {
        json_decref(j);
        return; /* this engine ran it already */
    }
    sl_sql_error_t err;
    memset(&err, 0, sizeof err);
    sl_sql_exec_t x = {0};
    x.e = e;
    x.req_props = json_object_get(j, "streamsProperties");
    x.query_id = json_string_value(json_object_get(j, "queryId"));
    x.replay = true;
    x.out = json_array();
    x.err = &err;
    int64_t saved = e->seq;
    e->seq = c->offset;
    sl_err_t r = x.out ? sl_sql_exec_text(&x, stmt, strlen(stmt)) : SL_ERR_NOMEM;
    if (r)
        SL_WARN("sql", "command topic offset %lld: %s: %s", (long long)c->offset, stmt, err.message);
    e->seq = saved > c->offset + 1 ? saved : c->offset + 1;
    json_decref(x.out);
    json_decref(j);
}

/* Reads the commands from cmd_next on and applies them. */
static sl_err_t catch_up(sl_sql_engine_t *e, int timeout_ms)
{
    cmd_batch_t b = {0};
    b.from = e->cmd_next;
    sl_err_t r = e->rt->ops->read_from
                     ? e->rt->ops->read_from(e->rt, e->cmd_topic, 0, e->cmd_next, -1, timeout_ms, collect_fn, &b)
                     : e->rt->ops->read(e->rt, e->cmd_topic, true, -1, timeout_ms, collect_fn, &b);
    if (r == SL_ERR_TIMEOUT)
        r = SL_OK;
    if (!r && b.oom)
        r = SL_ERR_NOMEM;
    for (size_t i = 0; i < b.n; i++) {
        if (b.recs[i].offset >= e->cmd_next) {
            apply(e, &b.recs[i]);
            e->cmd_next = b.recs[i].offset + 1;
        }
        free(b.recs[i].value);
    }
    free(b.recs);
    if (e->seq < e->cmd_next)
        e->seq = e->cmd_next;
    return r;
}

sl_err_t sl_sql_cmdlog_open(sl_sql_engine_t *e, sl_sql_error_t *err)
{
    sl_sql_pos_t nopos = {0, 0};
    snprintf(e->instance, sizeof e->instance, "%016llx%08llx",
             (unsigned long long)((uint64_t)sl_time_wall_ms() * 2654435761ULL ^ (uint64_t)(uintptr_t)e),
             (unsigned long long)(sl_time_mono_ns() & 0xffffffffULL));
    sl_err_t r = e->rt->ops->topic_create(e->rt, e->cmd_topic, 1, -1, "cleanup.policy=delete\nretention.ms=-1\n");
    if (r && r != SL_ERR_EXISTS && r != SL_ERR_TOPIC_ALREADY_EXISTS)
        return sl_sql_error_set(err, r, nopos, "Could not create the command topic %s: %s", e->cmd_topic,
                                sl_err_str(r));
    r = catch_up(e, 5000);
    if (r)
        return sl_sql_error_set(err, r, nopos, "Could not read the command topic %s: %s", e->cmd_topic,
                                sl_err_str(r));
    return SL_OK;
}

void sl_sql_cmdlog_poll(sl_sql_engine_t *e)
{
    if (!e->local)
        catch_up(e, 2000);
}

sl_err_t sl_sql_cmdlog_record(sl_sql_exec_t *x, const char *text, const char *query_id)
{
    sl_sql_engine_t *e = x->e;
    /* The properties in force: the session's, then the request's. */
    json_t *props = json_object();
    for (size_t i = 0; props && i < sl_props_count(e->session); i++) {
        const char *k, *v;
        sl_props_at(e->session, i, &k, &v, NULL);
        json_object_set_new(props, k, json_string(v));
    }
    if (props && x->req_props && json_is_object(x->req_props))
        json_object_update(props, (json_t *)x->req_props);
    json_t *j = json_pack("{s:s, s:o, s:o, s:s}", "statement", text ? text : "", "streamsProperties",
                          props ? props : json_object(), "queryId",
                          query_id ? json_string(query_id) : json_null(), "origin", e->instance);
    char *v = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!v)
        return sl_sql_error_set(x->err, SL_ERR_NOMEM, x->stmt->pos, "out of memory");
    const char *key = query_id ? query_id : "statement";
    sl_err_t r = e->rt->ops->produce(e->rt, e->cmd_topic, 0, (const uint8_t *)key, strlen(key),
                                     (const uint8_t *)v, strlen(v), sl_time_wall_ms());
    free(v);
    if (r)
        return sl_sql_error_set(x->err, r, x->stmt->pos,
                                "The statement ran but could not be written to the command topic %s: %s",
                                e->cmd_topic, sl_err_str(r));
    return SL_OK;
}

static void *cmd_thread(void *arg)
{
    sl_sql_engine_t *e = arg;
    pthread_mutex_lock(&e->cmd_mu);
    while (!e->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += CMD_POLL_MS / 1000;
        ts.tv_nsec += (long)(CMD_POLL_MS % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&e->cmd_cv, &e->cmd_mu, &ts);
        if (e->stopping)
            break;
        pthread_mutex_unlock(&e->cmd_mu);
        pthread_mutex_lock(&e->lock);
        catch_up(e, 500);
        pthread_mutex_unlock(&e->lock);
        pthread_mutex_lock(&e->cmd_mu);
    }
    pthread_mutex_unlock(&e->cmd_mu);
    return NULL;
}

sl_err_t sl_sql_cmdlog_start(sl_sql_engine_t *e)
{
    if (e->local || e->cmd_thread_on)
        return SL_OK;
    if (pthread_create(&e->cmd_thread, NULL, cmd_thread, e) != 0)
        return SL_ERR_NOMEM;
    e->cmd_thread_on = true;
    return SL_OK;
}

void sl_sql_cmdlog_stop(sl_sql_engine_t *e)
{
    if (!e->cmd_thread_on)
        return;
    pthread_mutex_lock(&e->cmd_mu);
    e->stopping = true;
    pthread_cond_broadcast(&e->cmd_cv);
    pthread_mutex_unlock(&e->cmd_mu);
    pthread_join(e->cmd_thread, NULL);
    e->cmd_thread_on = false;
}
