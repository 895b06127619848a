/*
 * herder_dist_topics.c - what the distributed herder needs of the cluster
 * (herder_dist_int.h): the topic settings of the worker, client
 * configurations built from the worker's keys, the three compacted topics
 * created when missing, readers that read topics to their end, and a
 * writer for records that must be acknowledged before a call returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "herder_dist_int.h"

#define MOD "connect"

static const char *get(const sl_props_t *wp, const char *key, const char *def)
{
    const char *v = sl_props_get(wp, key);
    return v && *v ? v : def;
}

static sl_err_t get_int(const sl_props_t *wp, const char *key, long def, long min, long max,
                        long *out, char *errbuf, size_t errlen)
{
    const char *v = sl_props_get(wp, key);
    if (!v || !*v) {
        *out = def;
        return SL_OK;
    }
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n < min || n > max) {
        snprintf(errbuf, errlen, "%s=%s: must be an integer from %ld to %ld", key, v, min, max);
        return SL_ERR_CONFIG;
    }
    *out = n;
    return SL_OK;
}

sl_err_t sl_dist_topics_read(const sl_props_t *wp, sl_dist_topics_t *out, char *errbuf,
                             size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->config = get(wp, "config.storage.topic", "connect-configs");
    out->offset = get(wp, "offset.storage.topic", "connect-offsets");
    out->status = get(wp, "status.storage.topic", "connect-status");
    long op, sp, crf, orf, srf;
    sl_err_t err = get_int(wp, "offset.storage.partitions", 25, 1, 10000, &op, errbuf, errlen);
    if (!err)
        err = get_int(wp, "status.storage.partitions", 5, 1, 10000, &sp, errbuf, errlen);
    if (!err)
        err = get_int(wp, "config.storage.replication.factor", -1, -1, 32767, &crf, errbuf, errlen);
    if (!err)
        err = get_int(wp, "offset.storage.replication.factor", -1, -1, 32767, &orf, errbuf, errlen);
    if (!err)
        err = get_int(wp, "status.storage.replication.factor", -1, -1, 32767, &srf, errbuf, errlen);
    if (err)
        return err;
    if (strcmp(out->config, out->offset) == 0 || strcmp(out->config, out->status) == 0 ||
        strcmp(out->offset, out->status) == 0) {
        snprintf(errbuf, errlen, "config.storage.topic, offset.storage.topic and "
                 "status.storage.topic must be three different topics");
        return SL_ERR_CONFIG;
    }
    out->offset_partitions = (int32_t)op;
    out->status_partitions = (int32_t)sp;
    out->config_rf = (int16_t)(crf == 0 ? -1 : crf);
    out->offset_rf = (int16_t)(orf == 0 ? -1 : orf);
    out->status_rf = (int16_t)(srf == 0 ? -1 : srf);
    return SL_OK;
}

sl_err_t sl_dist_client_conf(const sl_props_t *wp, const char *prefix, const char *const *extra,
                             sl_conf_t **out, char *errbuf, size_t errlen)
{
    sl_conf_t *conf = sl_conf_new();
    if (!conf)
        return SL_ERR_NOMEM;
    char why[512];
    sl_err_t err = sl_conf_set(conf, "bootstrap.servers", get(wp, "bootstrap.servers", "localhost:9092"),
                               why, sizeof why);
    size_t plen = strlen(prefix);
    for (size_t i = 0; !err && i < sl_props_count(wp); i++) {
        const char *k, *v;
        sl_props_at(wp, i, &k, &v, NULL);
        if (strncmp(k, prefix, plen) == 0 && k[plen])
            err = sl_conf_set(conf, k + plen, v, why, sizeof why);
    }
    for (size_t i = 0; !err && extra && extra[i]; i += 2)
        err = sl_conf_set(conf, extra[i], extra[i + 1], why, sizeof why);
    if (err) {
        snprintf(errbuf, errlen, "worker client settings: %s", why);
        sl_conf_free(conf);
        return err == SL_ERR_NOMEM ? err : SL_ERR_CONFIG;
    }
    *out = conf;
    return SL_OK;
}

/* Topics that existed already must suit: compacted (a deleting policy
 * loses configs and offsets as segments age), and one partition for the
 * config topic (its records are read in the order they were written). */
static sl_err_t topics_check(sl_admin_t *a, const sl_dist_topics_t *t, char *errbuf, size_t errlen)
{
    const char *names[3] = {t->config, t->offset, t->status};
    const char *keys[3] = {"config.storage.topic", "offset.storage.topic", "status.storage.topic"};
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    sl_err_t err = SL_OK;
    for (int i = 0; i < 3 && !err; i++) {
        sl_config_entry_t *e = NULL;
        size_t n = 0;
        if (sl_admin_describe_configs(a, SL_RESOURCE_TOPIC, names[i], &arena, &e, &n, 10000) != SL_OK)
            continue;   /* a broker without DescribeConfigs: trust it */
        for (size_t k = 0; k < n; k++)
            if (strcmp(e[k].name, "cleanup.policy") == 0 &&
                (!e[k].value || !strstr(e[k].value, "compact"))) {
                snprintf(errbuf, errlen, "%s=%s: the topic has cleanup.policy=%s; the worker needs a compacted "
                         "topic (cleanup.policy=compact), or it loses records as old segments are deleted",
                         keys[i], names[i], e[k].value ? e[k].value : "");
                err = SL_ERR_CONFIG;
            }
    }
    int32_t np = err ? 1 : sl_dist_partitions(a, t->config, 10000);
    if (np > 1) {
        snprintf(errbuf, errlen, "config.storage.topic=%s: the topic has %d partitions; it must have exactly one, "
                 "so that every worker reads the config records in the order they were written",
                 t->config, (int)np);
        err = SL_ERR_CONFIG;
    }
    sl_arena_fini(&arena);
    return err;
}

sl_err_t sl_dist_topics_create(sl_admin_t *a, const sl_dist_topics_t *t, char *errbuf,
                               size_t errlen)
{
    static const sl_config_entry_t compact[] = {{.name = "cleanup.policy", .value = "compact"}};
    sl_new_topic_t nt[3] = {
        {.name = t->config, .partitions = 1, .replication_factor = t->config_rf},
        {.name = t->offset, .partitions = t->offset_partitions, .replication_factor = t->offset_rf},
        {.name = t->status, .partitions = t->status_partitions, .replication_factor = t->status_rf},
    };
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    sl_err_t err = SL_OK;
    /* A broker starting next to us may not answer yet: a few tries. */
    for (int attempt = 0; attempt < 10; attempt++) {
        for (size_t i = 0; i < 3; i++) {
            nt[i].configs = compact;
            nt[i].config_count = 1;
            nt[i].err = 0;
            nt[i].message = NULL;
        }
        sl_arena_reset(&arena);
        err = sl_admin_create_topics(a, nt, 3, false, &arena, 5000);
        for (size_t i = 0; !err && i < 3; i++)
            if (nt[i].err && nt[i].err != SL_ERR_TOPIC_ALREADY_EXISTS)
                err = nt[i].err;
        if (!err)
            break;
    }
    if (err) {
        char why[512] = "";
        sl_admin_last_error(a, why, sizeof why);
        const char *which = "the config, offset and status topics";
        const char *msg = why;
        for (size_t i = 0; i < 3; i++)
            if (nt[i].err && nt[i].err != SL_ERR_TOPIC_ALREADY_EXISTS) {
                which = nt[i].name;
                msg = nt[i].message ? nt[i].message : sl_err_str(nt[i].err);
                break;
            }
        snprintf(errbuf, errlen, "cannot create %s: %s%s%s", which, sl_err_name(err),
                 *msg ? ": " : "", msg);
        err = SL_ERR_CONFIG;
    }
    sl_arena_fini(&arena);
    return err ? err : topics_check(a, t, errbuf, errlen);
}

int32_t sl_dist_partitions(sl_admin_t *a, const char *topic, int timeout_ms)
{
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    sl_topic_desc_t *d = NULL;
    size_t n = 0;
    int32_t count = 0;
    if (sl_admin_describe_topics(a, &topic, 1, &arena, &d, &n, timeout_ms) == SL_OK && n == 1 &&
        !d[0].err)
        count = (int32_t)d[0].partition_count;
    sl_arena_fini(&arena);
    return count;
}

sl_err_t sl_dist_reader_new(const sl_props_t *wp, sl_admin_t *a, const char *const *topics,
                            size_t n, sl_consumer_t **out, char *errbuf, size_t errlen)
{
    static const char *const extra[] = {"enable.auto.commit", "false", "auto.offset.reset",
                                        "earliest", "isolation.level", "read_committed", NULL};
    sl_conf_t *conf = NULL;
    sl_err_t err = sl_dist_client_conf(wp, "consumer.", extra, &conf, errbuf, errlen);
    if (err)
        return err;
    sl_tp_offset_t *parts = NULL;
    size_t count = 0;
    for (size_t i = 0; i < n && !err; i++) {
        int32_t np = sl_dist_partitions(a, topics[i], 10000);
        if (np <= 0) {
            snprintf(errbuf, errlen, "topic %s: its partitions are not known", topics[i]);
            err = SL_ERR_TIMEOUT;
            break;
        }
        sl_tp_offset_t *grown = realloc(parts, (count + (size_t)np) * sizeof *parts);
        if (!grown) {
            err = SL_ERR_NOMEM;
            break;
        }
        parts = grown;
        for (int32_t p = 0; p < np; p++)
            parts[count++] = (sl_tp_offset_t){.topic = topics[i], .partition = p,
                                              .offset = SL_OFFSET_BEGINNING, .leader_epoch = -1};
    }
    sl_consumer_t *c = NULL;
    if (!err)
        err = sl_consumer_new(conf, NULL, NULL, &c, errbuf, errlen);
    if (!err && (err = sl_consumer_assign(c, parts, count)) != SL_OK)
        snprintf(errbuf, errlen, "cannot assign the worker's topics: %s", sl_err_name(err));
    sl_conf_free(conf);
    free(parts);
    if (err) {
        sl_consumer_free(c);
        return err;
    }
    *out = c;
    return SL_OK;
}

sl_err_t sl_dist_read_to_end(sl_consumer_t *c, sl_admin_t *a, sl_dist_record_fn *fn, void *arg,
                             int timeout_ms)
{
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    sl_tp_offset_t *asg = NULL, *ends = NULL;
    size_t n = 0;
    int64_t deadline = sl_time_mono_ms() + timeout_ms;
    sl_err_t err = sl_consumer_assignment(c, &arena, &asg, &n);
    if (!err && n) {
        ends = sl_arena_calloc(&arena, n, sizeof *ends);
        err = ends ? SL_OK : SL_ERR_NOMEM;
        for (size_t i = 0; !err && i < n; i++)
            ends[i] = (sl_tp_offset_t){.topic = asg[i].topic, .partition = asg[i].partition,
                                       .offset = SL_OFFSET_END, .leader_epoch = -1};
        if (!err)
            err = sl_admin_list_offsets(a, ends, n, true, timeout_ms);
        for (size_t i = 0; !err && i < n; i++)
            if (ends[i].err)
                err = ends[i].err;
    }
    sl_arena_t pos_arena;
    sl_arena_init(&pos_arena, 0, 0);
    while (!err && n) {
        sl_arena_reset(&pos_arena);
        sl_tp_offset_t *pos = NULL;
        size_t pn = 0;
        err = sl_consumer_assignment(c, &pos_arena, &pos, &pn);
        bool done = !err;
        for (size_t i = 0; !err && i < pn && done; i++)
            for (size_t k = 0; k < n; k++)
                if (ends[k].partition == pos[i].partition && strcmp(ends[k].topic, pos[i].topic) == 0)
                    done = ends[k].offset <= 0 || pos[i].offset >= ends[k].offset;
        if (err || done)
            break;
        if (sl_time_mono_ms() >= deadline) {
            err = SL_ERR_TIMEOUT;
            break;
        }
        sl_message_t *m = NULL;
        if (sl_consumer_poll(c, 100, &m) == SL_OK && m) {
            if (!m->err)
                fn(arg, m);
            sl_message_free(m);
        }
    }
    sl_arena_fini(&pos_arena);
    sl_arena_fini(&arena);
    return err;
}

/* ---- the writer ------------------------------------------------------------ */

struct sl_dist_writer {
    sl_producer_t *p;
    pthread_mutex_t mu;     /* one synchronous send at a time */
};

typedef struct sent {
    sl_err_t err;
    int64_t offset;
    bool done;
} sent_t;

static void on_delivery(sl_producer_t *p, const sl_message_t *m, void *arg)
{
    (void)p;
    (void)arg;
    sent_t *s = m->opaque;
    if (s) {
        s->err = m->err;
        s->offset = m->offset;
        s->done = true;
    } else if (m->err) {
        SL_WARN(MOD, "cannot write to %s: %s", m->topic ? m->topic : "?", sl_err_name(m->err));
    }
}

sl_err_t sl_dist_writer_new(const sl_props_t *wp, sl_dist_writer_t **out, char *errbuf,
                            size_t errlen)
{
    static const char *const extra[] = {"acks", "all", "linger.ms", "0", NULL};
    sl_conf_t *conf = NULL;
    sl_err_t err = sl_dist_client_conf(wp, "producer.", extra, &conf, errbuf, errlen);
    if (err)
        return err;
    sl_dist_writer_t *w = calloc(1, sizeof *w);
    if (!w) {
        sl_conf_free(conf);
        return SL_ERR_NOMEM;
    }
    pthread_mutex_init(&w->mu, NULL);
    err = sl_producer_new(conf, on_delivery, w, &w->p, errbuf, errlen);
    sl_conf_free(conf);
    if (err) {
        sl_dist_writer_free(w);
        return err;
    }
    *out = w;
    return SL_OK;
}

static sl_produce_rec_t record(const char *topic, const char *key, const char *value, void *opaque)
{
    return (sl_produce_rec_t){
        .topic = topic,
        .partition = SL_PARTITION_ANY,
        .key = key,
        .key_len = (int32_t)strlen(key),
        .value = value,
        .value_len = value ? (int32_t)strlen(value) : 0,
        .opaque = opaque,
    };
}

sl_err_t sl_dist_writer_send(sl_dist_writer_t *w, const char *topic, const char *key,
                             const char *value, int64_t *offset, int timeout_ms)
{
    sent_t s = {0};
    pthread_mutex_lock(&w->mu);
    sl_produce_rec_t rec = record(topic, key, value, &s);
    sl_err_t err = sl_producer_send(w->p, &rec);
    if (!err)
        err = sl_producer_flush(w->p, timeout_ms);
    pthread_mutex_unlock(&w->mu);
    if (!err && !s.done)
        err = SL_ERR_TIMEOUT;
    if (!err)
        err = s.err;
    if (!err && offset)
        *offset = s.offset;
    return err;
}

void sl_dist_writer_send_async(sl_dist_writer_t *w, const char *topic, const char *key,
                               const char *value)
{
    sl_produce_rec_t rec = record(topic, key, value, NULL);
    sl_err_t err = sl_producer_send(w->p, &rec);
    if (err)
        SL_WARN(MOD, "cannot write %s to %s: %s", key, topic, sl_err_name(err));
}

void sl_dist_writer_poll(sl_dist_writer_t *w)
{
    pthread_mutex_lock(&w->mu);
    sl_producer_poll(w->p, 0);
    pthread_mutex_unlock(&w->mu);
}

void sl_dist_writer_free(sl_dist_writer_t *w)
{
    if (!w)
        return;
    if (w->p) {
        sl_producer_flush(w->p, 5000);
        sl_producer_free(w->p);
    }
    pthread_mutex_destroy(&w->mu);
    free(w);
}
