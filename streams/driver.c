/*
 * driver.c - the test driver (Kafka's TopologyTestDriver): one task per
 * sub-topology on partition 0 of every topic, global tasks first; topics
 * kept in memory as serialized records (as a broker keeps them); records
 * written to a topic some source reads (repartition topics) are fed back in
 * order; every pipe or clock advance ends with a flush of every task, so
 * outputs appear per record. Wall-clock time is the driver's own.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core_int.h"

#define DRIVER_LOG "streams"
/* Pipes between commits of the tasks' store transactions. */
#define DRIVER_COMMIT_EVERY 256
/* Topics whose lookups by name skip the hash: pipes and reads of a
 * program keep to a few topics. */
#define DRIVER_RECENT 4
/* Records fed back per pipe before the driver gives up on a topology that
 * writes into its own input forever. */
#define DRIVER_MAX_FEEDBACK 1000000

typedef struct drec {
    const void *key;               /* NULL with klen -1: null */
    int32_t klen;
    const void *value;
    int32_t vlen;
    int64_t ts;
    int64_t offset;
    sl_header_t *headers;
    size_t n_headers;
} drec_t;

typedef struct dtopic {
    char *name;
    sl_arena_t mem;                /* the records' bytes */
    drec_t *recs;
    size_t n, cap;
    size_t read_pos;               /* next for sl_driver_read */
    size_t pending;                /* entries of the feedback queue */
    int64_t next_offset;
    sl_task_t *reader;             /* the task whose source reads it */
    bool reader_known;
} dtopic_t;

typedef struct pend {
    dtopic_t *topic;
    size_t idx;
} pend_t;

struct sl_driver {
    const sl_topology_t *t;
    char *app_id;
    char *state_dir;
    bool own_dir;
    bool log_and_fail;
    int64_t cache_bytes;
    int64_t wall;
    sl_task_t **tasks;             /* by sub-topology id */
    sl_task_t *globals;            /* the last global task (chained) */
    sl_map_t topics;               /* name -> dtopic_t */
    dtopic_t *recent[DRIVER_RECENT]; /* topics looked up last */
    unsigned recent_next;          /* the slot the next miss takes */
    pend_t *pend;
    size_t pend_head, pend_n, pend_cap;
    size_t fed;                    /* records fed back in this call */
    int since_commit;              /* settles since the last commit */
    sl_arena_t read_mem;
    sl_buf_t kb, vb;
};

/* --- topics ------------------------------------------------------------------ */

/* The topic named name (made when create), or NULL. */
static dtopic_t *topic_get(sl_driver_t *d, const char *name, bool create)
{
    for (size_t i = 0; i < DRIVER_RECENT; i++)
        if (d->recent[i] != NULL && strcmp(d->recent[i]->name, name) == 0)
            return d->recent[i];
    dtopic_t *t = sl_map_gets(&d->topics, name);
    if (t != NULL)
        d->recent[d->recent_next++ % DRIVER_RECENT] = t;
    if (t != NULL || !create)
        return t;
    t = calloc(1, sizeof(*t));
    if (t == NULL || (t->name = strdup(name)) == NULL) {
        free(t);
        return NULL;
    }
    sl_arena_init(&t->mem, 65536, 0);
    if (sl_map_put(&d->topics, name, strlen(name), t, NULL) != SL_OK) {
        free(t->name);
        free(t);
        return NULL;
    }
    return t;
}

static void topic_free(void *p)
{
    dtopic_t *t = p;
    sl_arena_fini(&t->mem);
    free(t->recs);
    free(t->name);
    free(t);
}

/* The task reading topic (user topics, then "<app>-" internal ones). */
static sl_task_t *reader_of(sl_driver_t *d, dtopic_t *t)
{
    if (t->reader_known)
        return t->reader;
    const sl_subtopo_t *sub = sl_topology_sub_for_topic(d->t, t->name, false);
    size_t alen = strlen(d->app_id);
    if (sub == NULL && strncmp(t->name, d->app_id, alen) == 0 && t->name[alen] == '-')
        sub = sl_topology_sub_for_topic(d->t, t->name + alen + 1, true);
    t->reader = sub != NULL ? d->tasks[sub->id] : NULL;
    t->reader_known = true;
    return t->reader;
}

static sl_err_t pend_push(sl_driver_t *d, dtopic_t *t, size_t idx)
{
    if (d->pend_head + d->pend_n == d->pend_cap) {
        if (d->pend_head > 0) {
            memmove(d->pend, d->pend + d->pend_head, d->pend_n * sizeof(*d->pend));
            d->pend_head = 0;
        }
        if (d->pend_n == d->pend_cap) {
            size_t cap = d->pend_cap ? d->pend_cap * 2 : 64;
            pend_t *p = realloc(d->pend, cap * sizeof(*p));
            if (p == NULL)
                return SL_ERR_NOMEM;
            d->pend = p;
            d->pend_cap = cap;
        }
    }
    d->pend[d->pend_head + d->pend_n++] = (pend_t){t, idx};
    t->pending++;
    return SL_OK;
}

/* Appends a record (copied into the topic's memory). Once every record
 * was read and none waits to be fed back, the memory is reused. */
static sl_err_t topic_append(dtopic_t *t, const void *key, int32_t klen, const void *value, int32_t vlen,
                             int64_t ts, const sl_header_t *headers, size_t n_headers, size_t *idx)
{
    if (t->read_pos == t->n && t->pending == 0 && t->n > 0) {
        sl_arena_reset(&t->mem);
        t->n = t->read_pos = 0;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        drec_t *r = realloc(t->recs, cap * sizeof(*r));
        if (r == NULL)
            return SL_ERR_NOMEM;
        t->recs = r;
        t->cap = cap;
    }
    drec_t *r = &t->recs[t->n];
    memset(r, 0, sizeof(*r));
    r->klen = klen;
    r->vlen = vlen;
    r->ts = ts;
    if (klen >= 0 && (r->key = sl_arena_memdup(&t->mem, key, (size_t)klen)) == NULL)
        return SL_ERR_NOMEM;
    if (vlen >= 0 && (r->value = sl_arena_memdup(&t->mem, value, (size_t)vlen)) == NULL)
        return SL_ERR_NOMEM;
    if (n_headers > 0) {
        r->headers = sl_arena_calloc(&t->mem, n_headers, sizeof(*r->headers));
        if (r->headers == NULL)
            return SL_ERR_NOMEM;
        for (size_t i = 0; i < n_headers; i++) {
            const sl_header_t *h = &headers[i];
            r->headers[i].key = sl_arena_strndup(&t->mem, h->key, strlen(h->key));
            r->headers[i].value_len = h->value != NULL ? h->value_len : -1;
            r->headers[i].value = h->value != NULL && h->value_len >= 0
                                      ? sl_arena_memdup(&t->mem, h->value, (size_t)h->value_len)
                                      : NULL;
            if (r->headers[i].key == NULL || (h->value != NULL && h->value_len >= 0 && r->headers[i].value == NULL))
                return SL_ERR_NOMEM;
        }
        r->n_headers = n_headers;
    }
    r->offset = t->next_offset++;
    *idx = t->n++;
    return SL_OK;
}

/* --- the collector ---------------------------------------------------------- */

/* Sinks and changelogs resolve their topics once (the topic lives as long
 * as the driver), then send to them with no lookup by name. */
static void *drv_resolve(void *arg, const char *topic)
{
    return topic_get(arg, topic, true);
}

static sl_err_t drv_send_ref(void *arg, void *ref, int32_t partition, const void *key, int32_t klen,
                             const void *value, int32_t vlen, int64_t timestamp, const sl_header_t *headers,
                             size_t n_headers)
{
    SL_UNUSED(partition);
    sl_driver_t *d = arg;
    dtopic_t *t = ref;
    size_t idx;
    sl_err_t err = topic_append(t, key, klen, value, vlen, timestamp, headers, n_headers, &idx);
    if (err == SL_OK && reader_of(d, t) != NULL)
        err = pend_push(d, t, idx);
    return err;
}

static sl_err_t drv_send(void *arg, const char *topic, int32_t partition, const void *key, int32_t klen,
                         const void *value, int32_t vlen, int64_t timestamp, const sl_header_t *headers,
                         size_t n_headers)
{
    dtopic_t *t = topic_get(arg, topic, true);
    if (t == NULL)
        return SL_ERR_NOMEM;
    return drv_send_ref(arg, t, partition, key, klen, value, vlen, timestamp, headers, n_headers);
}

static int32_t drv_partitions(void *arg, const char *topic)
{
    SL_UNUSED(arg);
    SL_UNUSED(topic);
    return 1;
}

static int64_t drv_clock(void *arg)
{
    return ((sl_driver_t *)arg)->wall;
}

/* --- running ------------------------------------------------------------------ */

static sl_err_t run_record(sl_driver_t *d, sl_task_t *task, dtopic_t *t, const drec_t *r)
{
    SL_UNUSED(d);
    sl_in_record_t rec = {t->name, 0, r->offset, r->ts, r->key, r->klen, r->value, r->vlen, r->headers,
                          r->n_headers};
    return sl_task_process(task, &rec);
}

/* Writes every task's caches through; commits too when asked. */
static sl_err_t flush_all(sl_driver_t *d, bool commit)
{
    sl_err_t first = SL_OK;
    for (size_t i = 0; i < d->t->n_subs; i++) {
        if (d->tasks == NULL || d->tasks[i] == NULL)
            continue;
        sl_err_t err = commit ? sl_task_flush(d->tasks[i]) : sl_task_flush_caches(d->tasks[i]);
        if (first == SL_OK)
            first = err;
    }
    if (commit)
        d->since_commit = 0;
    return first;
}

/* Feeds queued records back in order, then flushes every task, until
 * nothing more is queued. Returns the first error. */
static sl_err_t settle(sl_driver_t *d)
{
    sl_err_t first = SL_OK;
    for (;;) {
        while (d->pend_n > 0) {
            pend_t p = d->pend[d->pend_head++];
            d->pend_n--;
            if (d->pend_n == 0)
                d->pend_head = 0;
            if (++d->fed > DRIVER_MAX_FEEDBACK) {
                SL_ERROR(DRIVER_LOG, "test driver: more than %d records fed back for one call; the topology "
                                     "writes into its own input without end?", DRIVER_MAX_FEEDBACK);
                return SL_ERR_TOO_LARGE;
            }
            sl_err_t err = run_record(d, p.topic->reader, p.topic, &p.topic->recs[p.idx]);
            p.topic->pending--; /* only now may its memory be reused */
            if (first == SL_OK)
                first = err;
        }
        sl_err_t err = flush_all(d, ++d->since_commit >= DRIVER_COMMIT_EVERY);
        if (first == SL_OK)
            first = err;
        if (d->pend_n == 0)
            return first;
    }
}

/* A serde for a value piped without one. */
static const sl_serde_t *serde_for(const sl_val_t *v)
{
    switch (sl_val_is_null(v) ? SL_V_NULL : v->type) {
    case SL_V_NULL:
    case SL_V_BYTES:
        return SL_BYTES;
    case SL_V_STRING:
        return SL_STRING;
    case SL_V_I32:
        return SL_I32;
    case SL_V_I64:
        return SL_I64;
    case SL_V_F64:
        return SL_F64;
    case SL_V_JSON:
        return SL_JSON;
    default:
        return NULL;
    }
}

static sl_err_t ser_side(const sl_serde_t *s, const sl_val_t *v, sl_buf_t *buf, int32_t *len)
{
    sl_buf_reset(buf);
    if (s == NULL)
        s = serde_for(v);
    if (s == NULL)
        return SL_ERR_INVAL;
    int rc = sl_serde_write(s, v, buf);
    if (rc == 1) {
        *len = -1;
        return SL_OK;
    }
    if (rc != SL_OK)
        return (sl_err_t)rc;
    if (buf->len > INT32_MAX)
        return SL_ERR_TOO_LARGE;
    *len = (int32_t)buf->len;
    return SL_OK;
}

sl_err_t sl_driver_pipe_headers(sl_driver_t *d, const char *topic, const sl_val_t *key, const sl_val_t *value,
                                int64_t timestamp, const sl_serde_t *ks, const sl_serde_t *vs,
                                const sl_header_t *headers, size_t n_headers)
{
    if (d == NULL || topic == NULL || (n_headers > 0 && headers == NULL))
        return SL_ERR_INVAL;
    for (size_t i = 0; i < n_headers; i++)
        if (headers[i].key == NULL)
            return SL_ERR_INVAL;
    dtopic_t *t = topic_get(d, topic, true);
    if (t == NULL)
        return SL_ERR_NOMEM;
    sl_task_t *task = reader_of(d, t);
    if (task == NULL)
        return SL_ERR_NOENT;
    int32_t klen, vlen;
    sl_err_t err = ser_side(ks, key, &d->kb, &klen);
    if (err == SL_OK)
        err = ser_side(vs, value, &d->vb, &vlen);
    if (err != SL_OK)
        return err;
    drec_t r = {klen >= 0 ? d->kb.data : NULL, klen, vlen >= 0 ? d->vb.data : NULL, vlen, timestamp,
                t->next_offset++, (sl_header_t *)headers, n_headers};
    d->fed = 0;
    err = run_record(d, task, t, &r);
    sl_err_t serr = settle(d);
    return err != SL_OK ? err : serr;
}

sl_err_t sl_driver_pipe(sl_driver_t *d, const char *topic, const sl_val_t *key, const sl_val_t *value,
                        int64_t timestamp, const sl_serde_t *ks, const sl_serde_t *vs)
{
    return sl_driver_pipe_headers(d, topic, key, value, timestamp, ks, vs, NULL, 0);
}

sl_err_t sl_driver_advance_wall_clock(sl_driver_t *d, int64_t ms)
{
    if (d == NULL || ms < 0)
        return SL_ERR_INVAL;
    d->wall += ms;
    d->fed = 0;
    sl_err_t first = SL_OK;
    for (size_t i = 0; i < d->t->n_subs; i++) {
        sl_err_t err = d->tasks[i] != NULL ? sl_task_punctuate_wall(d->tasks[i], d->wall) : SL_OK;
        if (first == SL_OK)
            first = err;
    }
    sl_err_t err = settle(d);
    return first != SL_OK ? first : err;
}

/* --- reading ------------------------------------------------------------------ */

static sl_err_t read_side(sl_driver_t *d, const sl_serde_t *s, const void *p, int32_t len, sl_val_t *out)
{
    if (p == NULL || len < 0) {
        *out = sl_val_null();
        return SL_OK;
    }
    if (s == NULL)
        s = SL_BYTES;
    return s->de(p, (size_t)len, &d->read_mem, out, s->arg);
}

sl_err_t sl_driver_read(sl_driver_t *d, const char *topic, const sl_serde_t *ks, const sl_serde_t *vs,
                        sl_out_record_t *out)
{
    if (d == NULL || topic == NULL || out == NULL)
        return SL_ERR_INVAL;
    sl_serde_release(&d->read_mem);
    sl_arena_reset(&d->read_mem);
    dtopic_t *t = topic_get(d, topic, false);
    if (t == NULL || t->read_pos == t->n)
        return SL_ERR_NOENT;
    const drec_t *r = &t->recs[t->read_pos++];
    memset(out, 0, sizeof(*out));
    out->topic = t->name;
    out->timestamp = r->ts;
    out->headers = r->headers;
    out->header_count = r->n_headers;
    sl_err_t err = read_side(d, ks, r->key, r->klen, &out->key);
    if (err == SL_OK)
        err = read_side(d, vs, r->value, r->vlen, &out->value);
    return err;
}

size_t sl_driver_queue_size(sl_driver_t *d, const char *topic)
{
    dtopic_t *t = d != NULL && topic != NULL ? topic_get(d, topic, false) : NULL;
    return t != NULL ? t->n - t->read_pos : 0;
}

sl_store_t *sl_driver_store(sl_driver_t *d, const char *store)
{
    if (d == NULL || store == NULL)
        return NULL;
    for (size_t i = 0; i < d->t->n_subs; i++) {
        sl_store_t *s = d->tasks[i] != NULL ? sl_task_store(d->tasks[i], store) : NULL;
        if (s != NULL)
            return s;
    }
    return NULL;
}

/* --- life ---------------------------------------------------------------------- */

static sl_err_t read_config(sl_driver_t *d, const char *props, char *errbuf, size_t errlen)
{
    sl_props_t *p = NULL;
    if (props != NULL) {
        sl_err_t err = sl_props_parse(props, strlen(props), "test driver config", &p, errbuf, errlen);
        if (err != SL_OK)
            return err;
    }
    const char *app = p != NULL ? sl_props_get(p, "application.id") : NULL;
    const char *cache = p != NULL ? sl_props_get(p, "cache.max.bytes.buffering") : NULL;
    const char *dir = p != NULL ? sl_props_get(p, "state.dir") : NULL;
    const char *deh = p != NULL ? sl_props_get(p, "default.deserialization.exception.handler") : NULL;
    sl_err_t err = SL_OK;
    d->app_id = strdup(app != NULL ? app : "test-driver");
    d->cache_bytes = 10485760;
    if (app != NULL && app[0] == '\0')
        err = sl_core_fail(errbuf, errlen, SL_ERR_CONFIG, "application.id: empty");
    if (err == SL_OK && cache != NULL) {
        char *end;
        long long v = strtoll(cache, &end, 10);
        if (end == cache || *end != '\0' || v < 0)
            err = sl_core_fail(errbuf, errlen, SL_ERR_CONFIG, "cache.max.bytes.buffering=%s: not a byte count", cache);
        d->cache_bytes = v;
    }
    if (err == SL_OK && deh != NULL) {
        if (strcmp(deh, "logAndFail") == 0 || strstr(deh, "LogAndFail") != NULL)
            d->log_and_fail = true;
        else if (strcmp(deh, "logAndContinue") != 0 && strstr(deh, "LogAndContinue") == NULL)
            err = sl_core_fail(errbuf, errlen, SL_ERR_CONFIG,
                        "default.deserialization.exception.handler=%s: logAndContinue or logAndFail", deh);
    }
    if (err == SL_OK && dir != NULL) {
        d->state_dir = strdup(dir);
    } else if (err == SL_OK) {
        char tmpl[] = "/tmp/sluice-driver-XXXXXX";
        if (mkdtemp(tmpl) == NULL)
            err = sl_core_fail(errbuf, errlen, SL_ERR_IO, "state.dir: cannot make a temporary directory");
        else
            d->state_dir = strdup(tmpl), d->own_dir = true;
    }
    if (err == SL_OK && (d->app_id == NULL || d->state_dir == NULL))
        err = sl_core_fail(errbuf, errlen, SL_ERR_NOMEM, "out of memory");
    sl_props_free(p);
    return err;
}

static sl_err_t make_tasks(sl_driver_t *d, char *errbuf, size_t errlen)
{
    d->tasks = calloc(d->t->n_subs + 1, sizeof(*d->tasks));
    if (d->tasks == NULL)
        return sl_core_fail(errbuf, errlen, SL_ERR_NOMEM, "out of memory");
    sl_task_env_t env = {0};
    env.application_id = d->app_id;
    env.state_dir = d->state_dir;
    env.collector.send = drv_send;
    env.collector.resolve = drv_resolve;
    env.collector.send_ref = drv_send_ref;
    env.collector.partitions = drv_partitions;
    env.collector.arg = d;
    env.cache_bytes = d->cache_bytes;
    env.logging = true;
    env.log_and_fail = d->log_and_fail;
    env.wall_clock = drv_clock;
    env.clock_arg = d;
    /* Global tasks first, each reaching the ones before it. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < d->t->n_subs; i++) {
            const sl_subtopo_t *sub = &d->t->subs[i];
            if (sub->global != (pass == 0))
                continue;
            env.globals = d->globals;
            sl_err_t err = sl_task_new(d->t, sub, 0, &env, &d->tasks[i], errbuf, errlen);
            if (err != SL_OK)
                return err;
            sl_task_set_state(d->tasks[i], SL_TASK_RUNNING);
            if (sub->global)
                d->globals = d->tasks[i];
        }
    }
    return SL_OK;
}

sl_err_t sl_driver_new(const sl_topology_t *t, const char *props, int64_t start_wall_ms, sl_driver_t **out,
                       char *errbuf, size_t errlen)
{
    if (out != NULL)
        *out = NULL;
    if (t == NULL || out == NULL)
        return sl_core_fail(errbuf, errlen, SL_ERR_INVAL, "no topology");
    sl_driver_t *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return sl_core_fail(errbuf, errlen, SL_ERR_NOMEM, "out of memory");
    d->t = t;
    d->wall = start_wall_ms;
    sl_map_init(&d->topics);
    sl_arena_init(&d->read_mem, 4096, 0);
    sl_buf_init(&d->kb);
    sl_buf_init(&d->vb);
    sl_err_t err = read_config(d, props, errbuf, errlen);
    if (err == SL_OK)
        err = make_tasks(d, errbuf, errlen);
    if (err != SL_OK) {
        sl_driver_free(d);
        return err;
    }
    *out = d;
    return SL_OK;
}

void sl_driver_free(sl_driver_t *d)
{
    if (d == NULL)
        return;
    flush_all(d, true);
    /* Stream tasks before the global ones they read. */
    for (int pass = 0; pass < 2 && d->tasks != NULL; pass++)
        for (size_t i = d->t->n_subs; i-- > 0;)
            if (d->tasks[i] != NULL && d->t->subs[i].global == (pass == 1))
                sl_task_free(d->tasks[i], true);
    if (d->own_dir && d->state_dir != NULL)
        sl_state_wipe(d->state_dir);
    sl_serde_release(&d->read_mem);
    sl_arena_fini(&d->read_mem);
    sl_map_fini(&d->topics, topic_free);
    sl_buf_free(&d->kb);
    sl_buf_free(&d->vb);
    free(d->pend);
    free(d->tasks);
    free(d->app_id);
    free(d->state_dir);
    free(d);
}
