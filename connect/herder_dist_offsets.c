/*
 * herder_dist_offsets.c - the offset store of distributed workers
 * (herder_dist_int.h): source offsets in the compacted offset topic, as
 * Kafka Connect keeps them (key ["<connector>",<partition JSON>], value
 * the offset JSON). Offsets set by tasks wait in `pending` until a flush
 * produces them; what the topic holds is mirrored in `stored`, which get
 * brings up to the topic's last stable offset first (another worker may
 * have run the task until now). Exactly-once sources write their offset
 * records inside their own transaction (send_in_txn), and the reader is
 * read_committed, so an aborted poll's offsets are never seen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "herder_dist_int.h"

#define MOD "connect"
#define READ_TIMEOUT_MS 30000
#define FLUSH_TIMEOUT_MS 30000

typedef struct topic_store {
    sl_connect_offset_store_t base;
    pthread_mutex_t mu;          /* stored and pending */
    pthread_mutex_t read_mu;     /* the reader and the producer */
    sl_map_t stored, pending;    /* key text -> malloc'ed value (NULL: none) */
    char *topic;
    sl_admin_t *admin;
    sl_consumer_t *reader;
    sl_producer_t *producer;
} topic_store_t;

char *sl_dist_offset_key(const char *connector, const char *partition)
{
    json_t *s = json_string(connector);
    char *quoted = s ? json_dumps(s, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    json_decref(s);
    if (!quoted)
        return NULL;
    size_t len = strlen(quoted) + strlen(partition) + 4;
    char *key = malloc(len);
    if (key)
        snprintf(key, len, "[%s,%s]", quoted, partition);
    free(quoted);
    return key;
}

static void put_value(sl_map_t *map, const char *key, size_t klen, const char *value, size_t vlen)
{
    char *copy = NULL;
    if (value && !(copy = strndup(value, vlen)))
        return;
    void *old = NULL;
    if (sl_map_put(map, key, klen, copy, &old) != SL_OK) {
        free(copy);
        return;
    }
    free(old);
}

static void on_record(void *arg, const sl_message_t *m)
{
    topic_store_t *s = arg;
    if (!m->key || m->key_len <= 0)
        return;
    pthread_mutex_lock(&s->mu);
    put_value(&s->stored, m->key, (size_t)m->key_len, m->value,
              m->value && m->value_len >= 0 ? (size_t)m->value_len : 0);
    pthread_mutex_unlock(&s->mu);
}

static char *ts_get(sl_connect_offset_store_t *base, const char *connector, const char *partition)
{
    topic_store_t *s = (topic_store_t *)base;
    char *key = sl_dist_offset_key(connector, partition);
    if (!key)
        return NULL;
    pthread_mutex_lock(&s->read_mu);
    sl_err_t err = sl_dist_read_to_end(s->reader, s->admin, on_record, s, READ_TIMEOUT_MS);
    pthread_mutex_unlock(&s->read_mu);
    if (err)
        SL_WARN(MOD, "offsets of %s: cannot read %s to its end (%s); using what was read",
                connector, s->topic, sl_err_name(err));
    pthread_mutex_lock(&s->mu);
    size_t klen = strlen(key);
    const char *v = sl_map_has(&s->pending, key, klen) ? sl_map_get(&s->pending, key, klen)
                                                        : sl_map_get(&s->stored, key, klen);
    char *copy = v ? strdup(v) : NULL;
    pthread_mutex_unlock(&s->mu);
    free(key);
    return copy;
}

static sl_err_t ts_set(sl_connect_offset_store_t *base, const char *connector,
                       const char *partition, const char *offset)
{
    topic_store_t *s = (topic_store_t *)base;
    char *key = sl_dist_offset_key(connector, partition);
    char *value = offset ? strdup(offset) : NULL;
    if (!key || (offset && !value)) {
        free(key);
        free(value);
        return SL_ERR_NOMEM;
    }
    void *old = NULL;
    pthread_mutex_lock(&s->mu);
    sl_err_t err = sl_map_put(&s->pending, key, strlen(key), value, &old);
    pthread_mutex_unlock(&s->mu);
    free(old);
    if (err)
        free(value);
    free(key);
    return err;
}

typedef struct acks {
    size_t failed;
    sl_err_t first;
} acks_t;

static void on_delivery(sl_producer_t *p, const sl_message_t *m, void *arg)
{
    (void)p;
    acks_t *a = m->opaque ? m->opaque : arg;
    if (m->err && a && !a->failed++)
        a->first = m->err;
}

static sl_err_t ts_flush(sl_connect_offset_store_t *base)
{
    topic_store_t *s = (topic_store_t *)base;
    pthread_mutex_lock(&s->mu);
    sl_map_t taken = s->pending;
    sl_map_init(&s->pending);
    pthread_mutex_unlock(&s->mu);
    if (sl_map_count(&taken) == 0) {
        sl_map_fini(&taken, free);
        return SL_OK;
    }
    acks_t acks = {0};
    sl_err_t err = SL_OK;
    pthread_mutex_lock(&s->read_mu);
    size_t it = 0;
    const void *k;
    size_t kl;
    void *v;
    while (!err && sl_map_next(&taken, &it, &k, &kl, &v)) {
        sl_produce_rec_t rec = {
            .topic = s->topic,
            .partition = SL_PARTITION_ANY,
            .key = k,
            .key_len = (int32_t)kl,
            .value = v,
            .value_len = v ? (int32_t)strlen(v) : 0,
            .opaque = &acks,
        };
        err = sl_producer_send(s->producer, &rec);
    }
    sl_err_t ferr = sl_producer_flush(s->producer, FLUSH_TIMEOUT_MS);
    pthread_mutex_unlock(&s->read_mu);
    if (!err)
        err = ferr ? ferr : acks.failed ? SL_ERR_IO : SL_OK;
    pthread_mutex_lock(&s->mu);
    it = 0;
    while (sl_map_next(&taken, &it, &k, &kl, &v)) {
        /* Written: mirrored as stored. Not written: pending again unless
         * a newer offset was set meanwhile. */
        sl_map_t *to = err ? &s->pending : &s->stored;
        if (err && sl_map_has(&s->pending, k, kl))
            continue;
        put_value(to, k, kl, v, v ? strlen(v) : 0);
    }
    pthread_mutex_unlock(&s->mu);
    sl_map_fini(&taken, free);
    if (err)
        SL_WARN(MOD, "cannot write source offsets to %s: %s", s->topic,
                sl_err_name(acks.failed ? acks.first : err));
    return err == SL_ERR_TIMEOUT ? err : err ? SL_ERR_IO : SL_OK;
}

static sl_err_t ts_send_in_txn(sl_connect_offset_store_t *base, sl_producer_t *p,
                               const char *connector, const char *partition, const char *offset)
{
    topic_store_t *s = (topic_store_t *)base;
    char *key = sl_dist_offset_key(connector, partition);
    if (!key)
        return SL_ERR_NOMEM;
    sl_produce_rec_t rec = {
        .topic = s->topic,
        .partition = SL_PARTITION_ANY,
        .key = key,
        .key_len = (int32_t)strlen(key),
        .value = offset,
        .value_len = offset ? (int32_t)strlen(offset) : 0,
    };
    sl_err_t err = sl_producer_send(p, &rec);
    if (!err) {
        pthread_mutex_lock(&s->mu);
        put_value(&s->stored, key, strlen(key), offset, offset ? strlen(offset) : 0);
        void *old = NULL;
        if (sl_map_del(&s->pending, key, strlen(key), &old))
            free(old);
        pthread_mutex_unlock(&s->mu);
    }
    free(key);
    return err;
}

static void ts_free(sl_connect_offset_store_t *base)
{
    topic_store_t *s = (topic_store_t *)base;
    if (!s)
        return;
    if (s->producer)
        ts_flush(base);
    sl_producer_free(s->producer);
    sl_consumer_free(s->reader);
    sl_admin_free(s->admin);
    sl_map_fini(&s->stored, free);
    sl_map_fini(&s->pending, free);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->read_mu);
    free(s->topic);
    free(s);
}

static const sl_connect_offset_store_ops_t topic_ops = {
    .get = ts_get,
    .set = ts_set,
    .flush = ts_flush,
    .send_in_txn = ts_send_in_txn,
    .free = ts_free,
};

sl_err_t sl_connect_offset_store_topic(const sl_props_t *wp, const char *topic,
                                       sl_connect_offset_store_t **out, char *errbuf,
                                       size_t errlen)
{
    topic_store_t *s = calloc(1, sizeof *s);
    if (!s)
        return SL_ERR_NOMEM;
    s->base.ops = &topic_ops;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->read_mu, NULL);
    sl_map_init(&s->stored);
    sl_map_init(&s->pending);
    s->topic = strdup(topic);
    static const char *const pextra[] = {"acks", "all", NULL};
    sl_conf_t *aconf = NULL, *pconf = NULL;
    sl_err_t err = s->topic ? SL_OK : SL_ERR_NOMEM;
    if (!err)
        err = sl_dist_client_conf(wp, "admin.", NULL, &aconf, errbuf, errlen);
    if (!err)
        err = sl_admin_new(aconf, &s->admin, errbuf, errlen);
    if (!err)
        err = sl_dist_client_conf(wp, "producer.", pextra, &pconf, errbuf, errlen);
    if (!err)
        err = sl_producer_new(pconf, on_delivery, NULL, &s->producer, errbuf, errlen);
    const char *topics[] = {topic};
    if (!err)
        err = sl_dist_reader_new(wp, s->admin, topics, 1, &s->reader, errbuf, errlen);
    if (!err && (err = sl_dist_read_to_end(s->reader, s->admin, on_record, s, READ_TIMEOUT_MS)))
        snprintf(errbuf, errlen, "cannot read the offset topic %s: %s", topic, sl_err_name(err));
    sl_conf_free(aconf);
    sl_conf_free(pconf);
    if (err) {
        ts_free(&s->base);
        return err;
    }
    *out = &s->base;
    return SL_OK;
}
