/*
 * rt_cluster.c - the engine's runtime over Kafka-compatible brokers
 * (rt_int.h): an admin client for topics, one producer (acks=all) for
 * INSERT VALUES and the command topic, a short-lived consumer per read
 * (PRINT, the command topic), and one streams application (sl_app_t) per
 * query, with application id "_confluent-ksql-<service id>query_<query
 * id>", so the instances of a query on several engines share its work
 * through one consumer group. A query's state lives under
 * <state.dir>/<application id>.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "rt_int.h"

#define CLUSTER_TIMEOUT_MS 30000

typedef struct cluster_rt {
    sl_sql_rt_t base;
    sl_props_t *props;
    const char *bootstrap;
    const char *state_dir;
    const char *threads;
    const char *replicas;
    const char *reset;
    int timeout_ms;
    sl_conf_t *conf;
    sl_admin_t *admin;
    sl_producer_t *producer;
    pthread_mutex_t prod_mu;
} cluster_rt_t;

struct sl_sql_rt_query {
    sl_app_t *app;
    char app_id[512];
};

typedef struct delivery {
    bool done;
    sl_err_t err;
} delivery_t;

static cluster_rt_t *crt(sl_sql_rt_t *rt)
{
    return (cluster_rt_t *)rt;
}

/* ---------------------------------------------------------------------------
 * Topics
 * ------------------------------------------------------------------------- */

static sl_err_t c_topic_info(sl_sql_rt_t *rt, const char *topic, sl_sql_topic_info_t *info)
{
    cluster_rt_t *c = crt(rt);
    sl_arena_t arena;
    sl_arena_init(&arena, 4096, 0);
    sl_topic_desc_t *d = NULL;
    size_t n = 0;
    const char *names[1] = {topic};
    sl_err_t r = sl_admin_describe_topics(c->admin, names, 1, &arena, &d, &n, c->timeout_ms);
    if (!r && (n < 1 || d[0].err == SL_ERR_UNKNOWN_TOPIC_OR_PARTITION || d[0].partition_count == 0))
        r = SL_ERR_NOENT;
    else if (!r && d[0].err)
        r = d[0].err;
    if (!r) {
        info->name = topic;
        info->partitions = (int32_t)d[0].partition_count;
        info->replicas = (int16_t)(d[0].partition_count ? d[0].partitions[0].replica_count : 0);
    }
    sl_arena_fini(&arena);
    return r;
}

static sl_err_t c_topic_create(sl_sql_rt_t *rt, const char *topic, int32_t partitions, int16_t replicas,
                               const char *configs)
{
    cluster_rt_t *c = crt(rt);
    sl_arena_t arena;
    sl_arena_init(&arena, 4096, 0);
    sl_config_entry_t entries[16];
    size_t n_entries = 0;
    char *copy = configs ? strdup(configs) : NULL;
    for (char *line = copy ? strtok(copy, "\n") : NULL; line && n_entries < 16; line = strtok(NULL, "\n")) {
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = 0;
        memset(&entries[n_entries], 0, sizeof entries[0]);
        entries[n_entries].name = line;
        entries[n_entries].value = eq + 1;
        n_entries++;
    }
    sl_new_topic_t t;
    memset(&t, 0, sizeof t);
    t.name = topic;
    t.partitions = partitions > 0 ? partitions : -1;
    t.replication_factor = replicas > 0 ? replicas : (c->replicas ? (int16_t)atoi(c->replicas) : -1);
    if (t.replication_factor == 0)
        t.replication_factor = -1;
    t.configs = entries;
    t.config_count = n_entries;
    sl_err_t r = sl_admin_create_topics(c->admin, &t, 1, false, &arena, c->timeout_ms);
    if (!r)
        r = t.err;
    if (r == SL_ERR_TOPIC_ALREADY_EXISTS)
        r = SL_ERR_EXISTS;
    free(copy);
    sl_arena_fini(&arena);
    return r;
}

static sl_err_t c_topic_delete(sl_sql_rt_t *rt, const char *topic)
{
    cluster_rt_t *c = crt(rt);
    const char *names[1] = {topic};
    sl_err_t errs[1] = {SL_OK};
    sl_err_t r = sl_admin_delete_topics(c->admin, names, 1, errs, c->timeout_ms);
    if (!r)
        r = errs[0];
    if (r == SL_ERR_UNKNOWN_TOPIC_OR_PARTITION)
        r = SL_ERR_NOENT;
    return r;
}

static sl_err_t c_topic_list(sl_sql_rt_t *rt, bool (*fn)(const sl_sql_topic_info_t *info, void *arg), void *arg)
{
    cluster_rt_t *c = crt(rt);
    sl_arena_t arena;
    sl_arena_init(&arena, 16384, 0);
    const char **names = NULL;
    size_t n = 0;
    sl_err_t r = sl_admin_list_topics(c->admin, true, &arena, &names, &n, c->timeout_ms);
    sl_topic_desc_t *d = NULL;
    size_t nd = 0;
    if (!r && n)
        r = sl_admin_describe_topics(c->admin, names, n, &arena, &d, &nd, c->timeout_ms);
    for (size_t i = 0; !r && i < n; i++) {
        sl_sql_topic_info_t info = {names[i], 0, 0};
        for (size_t j = 0; j < nd; j++) {
            if (d[j].name && strcmp(d[j].name, names[i]) == 0) {
                info.partitions = (int32_t)d[j].partition_count;
                info.replicas = (int16_t)(d[j].partition_count ? d[j].partitions[0].replica_count : 0);
            }
        }
        if (!fn(&info, arg))
            break;
    }
    sl_arena_fini(&arena);
    return r;
}

/* ---------------------------------------------------------------------------
 * Records
 * ------------------------------------------------------------------------- */

static void on_delivery(sl_producer_t *p, const sl_message_t *msg, void *arg)
{
    (void)p;
    (void)arg;
    delivery_t *d = msg->opaque;
    if (d) {
        d->done = true;
        d->err = msg->err;
    }
}

static sl_err_t c_produce(sl_sql_rt_t *rt, const char *topic, int32_t partition, const uint8_t *key,
                          size_t key_len, const uint8_t *value, size_t value_len, int64_t timestamp)
{
    cluster_rt_t *c = crt(rt);
    delivery_t d = {false, SL_OK};
    sl_produce_rec_t rec;
    memset(&rec, 0, sizeof rec);
    rec.topic = topic;
    rec.partition = partition < 0 ? SL_PARTITION_ANY : partition;
    rec.key = key;
    rec.key_len = (int32_t)key_len;
    rec.value = value;
    rec.value_len = (int32_t)value_len;
    rec.timestamp = timestamp > 0 ? timestamp : sl_time_wall_ms();
    rec.opaque = &d;
    pthread_mutex_lock(&c->prod_mu);
    sl_err_t r = sl_producer_send(c->producer, &rec);
    if (!r)
        r = sl_producer_flush(c->producer, c->timeout_ms);
    pthread_mutex_unlock(&c->prod_mu);
    if (!r && !d.done)
        r = SL_ERR_TIMEOUT;
    if (!r)
        r = d.err;
    return r;
}

/* Consumes parts (their offsets: where to start) calling fn, until fn says
 * stop, max records, timeout_ms without a record, or (stop_at_end) every
 * partition reached end[i]. */
static sl_err_t read_parts(cluster_rt_t *c, sl_tp_offset_t *parts, const int64_t *end, size_t np, bool stop_at_end,
                           int64_t max, int timeout_ms, sl_sql_rt_record_fn *fn, void *arg)
{
    char errbuf[256];
    int64_t *pos = calloc(np ? np : 1, sizeof *pos);
    sl_conf_t *conf = sl_conf_dup(c->conf);
    sl_consumer_t *cons = NULL;
    sl_err_t r = pos && conf ? SL_OK : SL_ERR_NOMEM;
    for (size_t i = 0; pos && i < np; i++)
        pos[i] = parts[i].offset >= 0 ? parts[i].offset : 0;
    if (!r)
        r = sl_conf_set(conf, "enable.auto.commit", "false", errbuf, sizeof errbuf);
    if (!r)
        r = sl_consumer_new(conf, NULL, NULL, &cons, errbuf, sizeof errbuf);
    if (!r)
        r = sl_consumer_assign(cons, parts, np);
    int64_t given = 0;
    int64_t last = sl_time_mono_ms();
    bool stop = false;
    while (!r && !stop) {
        sl_message_t *m = NULL;
        sl_err_t pr = sl_consumer_poll(cons, 100, &m);
        if (pr == SL_ERR_TIMEOUT || (!pr && !m)) {
            if (sl_time_mono_ms() - last >= timeout_ms)
                break;
            continue;
        }
        if (pr) {
            r = pr;
            break;
        }
        if (m->err) {
            sl_message_free(m);
            continue;
        }
        last = sl_time_mono_ms();
        sl_sql_rt_record_t rec = {m->key, m->key ? (size_t)m->key_len : 0, m->value,
                                  m->value ? (size_t)m->value_len : 0, m->timestamp, m->partition, m->offset};
        if (!fn(&rec, arg))
            stop = true;
        given++;
        if (max >= 0 && given >= max)
            stop = true;
        if (stop_at_end) {
            bool all = true;
            for (size_t i = 0; i < np; i++) {
                if (parts[i].partition == m->partition && m->offset + 1 > pos[i])
                    pos[i] = m->offset + 1;
                if (pos[i] < end[i])
                    all = false;
            }
            if (all)
                stop = true;
        }
        sl_message_free(m);
    }
    if (cons) {
        sl_consumer_close(cons);
        sl_consumer_free(cons);
    }
    sl_conf_free(conf);
    free(pos);
    return r;
}

/* The end offsets of parts (in place: offset), errors per part as 0. */
static sl_err_t end_offsets(cluster_rt_t *c, sl_tp_offset_t *parts, size_t np, int64_t *end)
{
    for (size_t i = 0; i < np; i++) {
        parts[i].offset = SL_OFFSET_END;
        parts[i].leader_epoch = -1;
    }
    sl_err_t r = sl_admin_list_offsets(c->admin, parts, np, false, c->timeout_ms);
    for (size_t i = 0; !r && i < np; i++)
        end[i] = parts[i].err ? 0 : parts[i].offset;
    return r;
}

static sl_err_t c_read(sl_sql_rt_t *rt, const char *topic, bool from_beginning, int64_t max, int timeout_ms,
                       sl_sql_rt_record_fn *fn, void *arg)
{
    cluster_rt_t *c = crt(rt);
    sl_arena_t arena;
    sl_arena_init(&arena, 4096, 0);
    sl_topic_desc_t *d = NULL;
    size_t nd = 0;
    const char *names[1] = {topic};
    sl_err_t r = sl_admin_describe_topics(c->admin, names, 1, &arena, &d, &nd, c->timeout_ms);
    if (!r && (nd < 1 || d[0].err || d[0].partition_count == 0))
        r = nd >= 1 && d[0].err && d[0].err != SL_ERR_UNKNOWN_TOPIC_OR_PARTITION ? d[0].err : SL_ERR_NOENT;
    size_t np = r ? 0 : d[0].partition_count;
    sl_tp_offset_t *parts = np ? sl_arena_calloc(&arena, np, sizeof *parts) : NULL;
    int64_t *end = np ? sl_arena_calloc(&arena, np, sizeof *end) : NULL;
    if (!r && (!parts || !end))
        r = SL_ERR_NOMEM;
    for (size_t i = 0; !r && i < np; i++) {
        parts[i].topic = topic;
        parts[i].partition = d[0].partitions[i].id;
    }
    if (!r)
        r = end_offsets(c, parts, np, end);
    bool empty = true;
    for (size_t i = 0; !r && i < np; i++) {
        if (end[i] > 0)
            empty = false;
        parts[i].offset = from_beginning ? SL_OFFSET_BEGINNING : SL_OFFSET_END;
    }
    if (!r && !(from_beginning && empty))
        r = read_parts(c, parts, end, np, from_beginning, max, timeout_ms, fn, arg);
    sl_arena_fini(&arena);
    return r;
}

static sl_err_t c_read_from(sl_sql_rt_t *rt, const char *topic, int32_t partition, int64_t offset, int64_t max,
                            int timeout_ms, sl_sql_rt_record_fn *fn, void *arg)
{
    cluster_rt_t *c = crt(rt);
    sl_tp_offset_t part;
    memset(&part, 0, sizeof part);
    part.topic = topic;
    part.partition = partition;
    int64_t end = 0;
    sl_err_t r = end_offsets(c, &part, 1, &end);
    if (r || offset >= end)
        return r;
    part.offset = offset;
    return read_parts(c, &part, &end, 1, true, max, timeout_ms, fn, arg);
}

/* ---------------------------------------------------------------------------
 * Queries
 * ------------------------------------------------------------------------- */

static void put_line(sl_buf_t *b, const char *k, const char *v)
{
    sl_buf_put(b, k, strlen(k));
    sl_buf_put(b, "=", 1);
    sl_buf_put(b, v, strlen(v));
    sl_buf_put(b, "\n", 1);
}

static sl_err_t c_query_start(sl_sql_rt_t *rt, const sl_topology_t *topo, const char *app_id, const char *props,
                              sl_sql_rt_query_t **out, char *errbuf, size_t errlen)
{
    cluster_rt_t *c = crt(rt);
    *out = NULL;
    sl_buf_t b;
    sl_buf_init(&b);
    put_line(&b, "application.id", app_id);
    put_line(&b, "bootstrap.servers", c->bootstrap);
    put_line(&b, "state.dir", c->state_dir);
    if (c->threads)
        put_line(&b, "num.stream.threads", c->threads);
    if (c->replicas)
        put_line(&b, "replication.factor", c->replicas);
    bool reset_given = false;
    /* The statement's streams properties; auto.offset.reset is the
     * consumer's. */
    char *copy = props ? strdup(props) : NULL;
    for (char *line = copy ? strtok(copy, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = 0;
        if (strcmp(line, "auto.offset.reset") == 0) {
            put_line(&b, "consumer.auto.offset.reset", eq + 1);
            reset_given = true;
        } else {
            put_line(&b, line, eq + 1);
        }
    }
    free(copy);
    if (!reset_given)
        put_line(&b, "consumer.auto.offset.reset", c->reset ? c->reset : "latest");
    sl_buf_put(&b, "", 1);
    if (sl_buf_err(&b)) {
        sl_buf_free(&b);
        snprintf(errbuf, errlen, "out of memory");
        return SL_ERR_NOMEM;
    }
    sl_sql_rt_query_t *q = calloc(1, sizeof *q);
    if (!q) {
        sl_buf_free(&b);
        snprintf(errbuf, errlen, "out of memory");
        return SL_ERR_NOMEM;
    }
    snprintf(q->app_id, sizeof q->app_id, "%s", app_id);
    sl_err_t r = sl_app_new(topo, (const char *)b.data, &q->app, errbuf, errlen);
    sl_buf_free(&b);
    if (!r)
        r = sl_app_start(q->app, errbuf, errlen);
    if (r) {
        sl_app_free(q->app);
        free(q);
        return r;
    }
    *out = q;
    return SL_OK;
}

/* Deletes the topics a query's application made ("<app id>-...-changelog",
 * "<app id>-...-repartition"). */
static void delete_internal_topics(cluster_rt_t *c, const char *app_id)
{
    sl_arena_t arena;
    sl_arena_init(&arena, 16384, 0);
    const char **names = NULL;
    size_t n = 0;
    size_t plen = strlen(app_id);
    if (sl_admin_list_topics(c->admin, true, &arena, &names, &n, c->timeout_ms) == SL_OK) {
        for (size_t i = 0; i < n; i++) {
            if (strncmp(names[i], app_id, plen) == 0 && names[i][plen] == '-')
                c_topic_delete(&c->base, names[i]);
        }
    }
    sl_arena_fini(&arena);
}

static void c_query_stop(sl_sql_rt_t *rt, sl_sql_rt_query_t *q, bool cleanup)
{
    if (!q)
        return;
    sl_app_close(q->app, CLUSTER_TIMEOUT_MS);
    if (cleanup) {
        sl_app_cleanup(q->app);
        delete_internal_topics(crt(rt), q->app_id);
    }
    sl_app_free(q->app);
    free(q);
}

static const char *c_query_state(sl_sql_rt_t *rt, sl_sql_rt_query_t *q)
{
    (void)rt;
    return sl_app_state_name(sl_app_state(q->app));
}

static sl_err_t c_kv_get(sl_sql_rt_t *rt, sl_sql_rt_query_t *q, const char *store, const sl_val_t *key,
                         sl_arena_t *arena, sl_val_t *out)
{
    (void)rt;
    return sl_app_kv_get(q->app, store, key, arena, out);
}

static sl_err_t c_kv_all(sl_sql_rt_t *rt, sl_sql_rt_query_t *q, const char *store, sl_kv_iter_fn *fn, void *arg)
{
    (void)rt;
    return sl_app_kv_range(q->app, store, NULL, NULL, fn, arg);
}

static sl_err_t c_win_fetch_all(sl_sql_rt_t *rt, sl_sql_rt_query_t *q, const char *store, int64_t from, int64_t to,
                                sl_win_iter_fn *fn, void *arg)
{
    (void)rt;
    return sl_app_win_fetch_all(q->app, store, from, to, fn, arg);
}

static sl_err_t c_ses_fetch(sl_sql_rt_t *rt, sl_sql_rt_query_t *q, const char *store, const sl_val_t *key,
                            sl_session_iter_fn *fn, void *arg)
{
    (void)rt;
    return sl_app_session_fetch(q->app, store, key, fn, arg);
}

static sl_err_t c_win_fetch(sl_sql_rt_t *rt, sl_sql_rt_query_t *q, const char *store, const sl_val_t *key,
                             int64_t from, int64_t to, sl_win_iter_fn *fn, void *arg)
{
    (void)rt;
    return sl_app_win_fetch(q->app, store, key, from, to, fn, arg);
}

static void c_free(sl_sql_rt_t *rt)
{
    cluster_rt_t *c = crt(rt);
    if (!c)
        return;
    sl_producer_free(c->producer);
    sl_admin_free(c->admin);
    sl_conf_free(c->conf);
    sl_props_free(c->props);
    pthread_mutex_destroy(&c->prod_mu);
    free(c);
}

static const sl_sql_rt_ops_t cluster_ops = {
    .topic_info = c_topic_info,
    .topic_create = c_topic_create,
    .topic_delete = c_topic_delete,
    .topic_list = c_topic_list,
    .produce = c_produce,
    .read = c_read,
    .query_start = c_query_start,
    .query_stop = c_query_stop,
    .query_state = c_query_state,
    .kv_get = c_kv_get,
    .kv_all = c_kv_all,
    .win_fetch_all = c_win_fetch_all,
    .advance = NULL,
    .free = c_free,
    .read_from = c_read_from,
    .win_fetch = c_win_fetch,
    .ses_fetch = c_ses_fetch,
};

sl_err_t sl_sql_rt_cluster_new(const char *props, sl_sql_rt_t **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    cluster_rt_t *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(errbuf, errlen, "out of memory");
        return SL_ERR_NOMEM;
    }
    c->base.ops = &cluster_ops;
    pthread_mutex_init(&c->prod_mu, NULL);
    sl_err_t r = props && *props ? sl_props_parse(props, strlen(props), "engine properties", &c->props, errbuf, errlen)
                                 : ((c->props = sl_props_new()) ? SL_OK : SL_ERR_NOMEM);
    if (r) {
        c_free(&c->base);
        return r;
    }
    c->bootstrap = sl_props_get(c->props, "bootstrap.servers");
    if (!c->bootstrap)
        c->bootstrap = "localhost:9092";
    c->state_dir = sl_props_get(c->props, "state.dir");
    if (!c->state_dir)
        c->state_dir = "/tmp/sluice-sql";
    c->threads = sl_props_get(c->props, "sql.streams.num.stream.threads");
    if (!c->threads)
        c->threads = sl_props_get(c->props, "ksql.streams.num.stream.threads");
    c->replicas = sl_props_get(c->props, "sql.internal.topic.replicas");
    c->reset = sl_props_get(c->props, "auto.offset.reset");
    const char *to = sl_props_get(c->props, "request.timeout.ms");
    c->timeout_ms = to ? atoi(to) : CLUSTER_TIMEOUT_MS;
    if (c->timeout_ms <= 0)
        c->timeout_ms = CLUSTER_TIMEOUT_MS;
    c->conf = sl_conf_new();
    if (!c->conf) {
        c_free(&c->base);
        snprintf(errbuf, errlen, "out of memory");
        return SL_ERR_NOMEM;
    }
    r = sl_conf_set(c->conf, "bootstrap.servers", c->bootstrap, errbuf, errlen);
    if (!r && to)
        r = sl_conf_set(c->conf, "request.timeout.ms", to, errbuf, errlen);
    if (!r)
        r = sl_admin_new(c->conf, &c->admin, errbuf, errlen);
    sl_conf_t *pconf = r ? NULL : sl_conf_dup(c->conf);
    if (!r && !pconf)
        r = SL_ERR_NOMEM;
    if (!r)
        r = sl_conf_set(pconf, "acks", "all", errbuf, errlen);
    if (!r)
        r = sl_producer_new(pconf, on_delivery, NULL, &c->producer, errbuf, errlen);
    sl_conf_free(pconf);
    if (!r) {
        /* A broker must answer now: an engine without one is no engine. */
        sl_arena_t arena;
        sl_arena_init(&arena, 4096, 0);
        sl_cluster_desc_t cd;
        r = sl_admin_describe_cluster(c->admin, &arena, &cd, c->timeout_ms);
        if (r) {
            char why[256];
            sl_admin_last_error(c->admin, why, sizeof why);
            snprintf(errbuf, errlen, "no broker at %s: %s", c->bootstrap, why);
        }
        sl_arena_fini(&arena);
    }
    if (r) {
        c_free(&c->base);
        return r;
    }
    *out = &c->base;
    return SL_OK;
}
