/*
 * registry.c - the topic/partition registry: lookups by name and id under
 * the read lock, reference counting, and the changes (create, delete, add
 * partitions, set config, load at start-up) that do their disk work under
 * admin_mu and take the write lock only to publish. Locking rules: the top
 * of broker_int.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "broker_int.h"
#include "producer_int.h"

#define MAX_PARTITIONS 1000000

/* ---- references -------------------------------------------------------- */

static void partition_free(sl_partition_t *part)
{
    if (!part)
        return;
    /* The log was closed or deleted by whoever unlisted the topic or closed
     * the broker; a log still here means neither ran (start-up failure). */
    if (part->log)
        sl_log_close(part->log);
    pthread_mutex_destroy(&part->mu);
    free(part);
}

static void topic_free(sl_topic_t *topic)
{
    for (int32_t i = 0; i < topic->nparts; i++)
        partition_free(topic->parts[i]);
    free(topic->parts);
    sl_props_free(topic->overrides);
    free(topic);
}

void sl_topic_ref(sl_topic_t *topic)
{
    atomic_fetch_add(&topic->refs, 1);
}

void sl_topic_unref(sl_topic_t *topic)
{
    if (topic && atomic_fetch_sub(&topic->refs, 1) == 1)
        topic_free(topic);
}

/* ---- lookups ----------------------------------------------------------- */

sl_topic_t *sl_broker_topic_get(sl_broker_t *broker, const char *name, size_t len)
{
    pthread_rwlock_rdlock(&broker->reg_lock);
    sl_topic_t *topic = sl_map_get(&broker->topics, name, len);
    if (topic)
        sl_topic_ref(topic);
    pthread_rwlock_unlock(&broker->reg_lock);
    return topic;
}

sl_topic_t *sl_broker_topic_get_by_id(sl_broker_t *broker, const sl_uuid_t *id)
{
    pthread_rwlock_rdlock(&broker->reg_lock);
    sl_topic_t *topic = sl_map_get(&broker->topic_ids, id->b, sizeof id->b);
    if (topic)
        sl_topic_ref(topic);
    pthread_rwlock_unlock(&broker->reg_lock);
    return topic;
}

int32_t sl_topic_partition_count(sl_broker_t *broker, sl_topic_t *topic)
{
    pthread_rwlock_rdlock(&broker->reg_lock);
    int32_t n = topic->nparts;
    pthread_rwlock_unlock(&broker->reg_lock);
    return n;
}

sl_partition_t *sl_topic_partition(sl_broker_t *broker, sl_topic_t *topic, int32_t index)
{
    pthread_rwlock_rdlock(&broker->reg_lock);
    sl_partition_t *part = index >= 0 && index < topic->nparts ? topic->parts[index] : NULL;
    pthread_rwlock_unlock(&broker->reg_lock);
    return part;
}

sl_err_t sl_broker_partition_get(sl_broker_t *broker, const char *name, size_t len, int32_t index,
                                 sl_partition_t **out)
{
    *out = NULL;
    pthread_rwlock_rdlock(&broker->reg_lock);
    sl_topic_t *topic = sl_map_get(&broker->topics, name, len);
    if (topic && index >= 0 && index < topic->nparts) {
        sl_topic_ref(topic);
        *out = topic->parts[index];
    }
    pthread_rwlock_unlock(&broker->reg_lock);
    return *out ? SL_OK : SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
}

static int topic_cmp(const void *a, const void *b)
{
    return strcmp((*(sl_topic_t *const *)a)->name, (*(sl_topic_t *const *)b)->name);
}

sl_err_t sl_broker_topics_list(sl_broker_t *broker, sl_topic_t ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    pthread_rwlock_rdlock(&broker->reg_lock);
    size_t count = sl_map_count(&broker->topics);
    sl_topic_t **topics = malloc((count ? count : 1) * sizeof *topics);
    if (!topics) {
        pthread_rwlock_unlock(&broker->reg_lock);
        return SL_ERR_NOMEM;
    }
    size_t it = 0, i = 0;
    const void *key;
    size_t klen;
    void *val;
    while (i < count && sl_map_next(&broker->topics, &it, &key, &klen, &val)) {
        topics[i++] = val;
        sl_topic_ref(val);
    }
    pthread_rwlock_unlock(&broker->reg_lock);
    qsort(topics, i, sizeof *topics, topic_cmp);
    *out = topics;
    *n = i;
    return SL_OK;
}

void sl_broker_topics_release(sl_topic_t **topics, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sl_topic_unref(topics[i]);
    free(topics);
}

static sl_props_t *props_dup(const sl_props_t *src)
{
    sl_props_t *dst = sl_props_new();
    if (!dst || !src)
        return dst;
    for (size_t i = 0; i < sl_props_count(src); i++) {
        const char *k, *v;
        int line;
        sl_props_at(src, i, &k, &v, &line);
        if (sl_props_set(dst, k, v, line) != SL_OK) {
            sl_props_free(dst);
            return NULL;
        }
    }
    return dst;
}

void sl_topic_config_get(sl_broker_t *broker, sl_topic_t *topic, sl_topic_config_t *out)
{
    pthread_rwlock_rdlock(&broker->reg_lock);
    *out = topic->cfg;
    pthread_rwlock_unlock(&broker->reg_lock);
}

sl_props_t *sl_topic_overrides_dup(sl_broker_t *broker, sl_topic_t *topic)
{
    pthread_rwlock_rdlock(&broker->reg_lock);
    sl_props_t *copy = props_dup(topic->overrides);
    pthread_rwlock_unlock(&broker->reg_lock);
    return copy;
}

void sl_broker_log_config(const sl_topic_config_t *tcfg, sl_log_config_t *out)
{
    sl_log_config_defaults(out);
    out->segment_bytes = tcfg->segment_bytes;
    /* Kafka rolls a compacted log's active segment by max.compaction.lag.ms
     * too, so that no record stays out of the cleaner's reach longer. */
    out->segment_ms = tcfg->compact && tcfg->max_compaction_lag_ms > 0
                          ? SL_MIN(tcfg->segment_ms, tcfg->max_compaction_lag_ms)
                          : tcfg->segment_ms;
    out->retention_ms = tcfg->delete ? tcfg->retention_ms : -1;
    out->retention_bytes = tcfg->delete ? tcfg->retention_bytes : -1;
    out->index_interval_bytes = tcfg->index_interval_bytes;
    out->max_index_bytes = tcfg->segment_index_bytes;
    out->log_append_time = tcfg->log_append_time;
}

void sl_partition_wake_waiters_locked(sl_partition_t *part)
{
    sl_list_t *pos, *tmp;
    sl_list_foreach_safe(pos, tmp, &part->waiters) {
        sl_broker_waiter_t *waiter = sl_container_of(pos, sl_broker_waiter_t, node);
        sl_list_remove(&waiter->node);
        sl_broker_worker_wake(waiter->worker, waiter->req_id);
    }
}

/* ---- building topics --------------------------------------------------- */

static void random_bytes(uint8_t *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(p + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            /* No entropy source at all: fall back on time and address bits,
             * which still makes collisions unlikely on one node. */
            uint64_t x = (uint64_t)sl_time_mono_ns() ^ (uint64_t)sl_time_wall_ms() << 20 ^ (uintptr_t)p;
            for (; got < n; got++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                p[got] = (uint8_t)x;
            }
            return;
        }
        got += (size_t)r;
    }
}

/* A random version-4 uuid, as Java's UUID.randomUUID (Kafka's Uuid): never
 * zero, never Kafka's reserved METADATA_TOPIC_ID (…0001). */
void sl_broker_random_uuid(sl_uuid_t *id)
{
    random_bytes(id->b, sizeof id->b);
    id->b[6] = (uint8_t)((id->b[6] & 0x0f) | 0x40);
    id->b[8] = (uint8_t)((id->b[8] & 0x3f) | 0x80);
}

static void partition_dir(const sl_broker_t *broker, const sl_partition_t *part, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s-%d", broker->cfg->log_dirs[part->dir_idx], part->topic->name, part->index);
}

static bool dir_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The log dir for a new partition: the one holding the fewest (Kafka's rule). */
static int pick_dir(sl_broker_t *broker)
{
    int best = 0;
    for (int i = 1; i < broker->cfg->n_log_dirs; i++)
        if (broker->dir_load[i] < broker->dir_load[best])
            best = i;
    return best;
}

static sl_partition_t *partition_new(sl_topic_t *topic, int32_t index, int dir_idx)
{
    sl_partition_t *part = calloc(1, sizeof *part);
    if (!part)
        return NULL;
    part->topic = topic;
    part->index = index;
    part->dir_idx = dir_idx;
    pthread_mutex_init(&part->mu, NULL);
    sl_list_init(&part->waiters);
    part->cfg = topic->cfg;
    return part;
}

/* Opens partition index of topic: in the log dir that already holds it
 * (existing), else in the least loaded one. fresh: a new partition, so any
 * data left in its directory (a topic deleted before a crash) is wiped.
 * Thread: under admin_mu (or start-up). */
static sl_err_t partition_open(sl_broker_t *broker, sl_topic_t *topic, int32_t index, bool fresh, bool clean,
                               sl_partition_t **out)
{
    int dir_idx = -1;
    char path[4096 + 300];
    for (int d = 0; d < broker->cfg->n_log_dirs && dir_idx < 0; d++) {
        snprintf(path, sizeof path, "%s/%s-%d", broker->cfg->log_dirs[d], topic->name, index);
        if (dir_exists(path))
            dir_idx = d;
    }
    if (dir_idx < 0)
        dir_idx = pick_dir(broker);
    sl_partition_t *part = partition_new(topic, index, dir_idx);
    if (!part)
        return SL_ERR_NOMEM;
    partition_dir(broker, part, path, sizeof path);
    sl_log_config_t lcfg;
    sl_broker_log_config(&topic->cfg, &lcfg);
    sl_err_t err = sl_log_open(path, &lcfg, clean, &part->log);
    if (err == SL_OK && fresh && sl_log_end_offset(part->log) > 0) {
        SL_WARN(SL_BROKER_LOG, "%s: data left from an earlier topic of that name; removing it", path);
        err = sl_log_delete(part->log);
        part->log = NULL;
        if (err == SL_OK)
            err = sl_log_open(path, &lcfg, true, &part->log);
    }
    if (err != SL_OK) {
        SL_ERROR(SL_BROKER_LOG, "cannot open the log of %s-%d in %s: %s", topic->name, index, path,
                 sl_err_name(err));
        part->log = NULL;
        partition_free(part);
        return err == SL_ERR_NOMEM ? SL_ERR_NOMEM : SL_ERR_KAFKA_STORAGE_ERROR;
    }
    /* Without memory for it the producer state works without snapshots. */
    if (sl_producer_part_attach(part, path, part->log, fresh, broker->cfg->producer_id_expiration_ms) != SL_OK)
        SL_WARN(SL_BROKER_LOG, "%s-%d: no memory for the producer state's home", topic->name, index);
    broker->dir_load[dir_idx]++;
    *out = part;
    return SL_OK;
}

/* Deletes the logs of parts[from..to) (a failed creation or growth). */
static void partitions_discard(sl_broker_t *broker, sl_partition_t **parts, int32_t from, int32_t to)
{
    for (int32_t i = from; i < to; i++) {
        if (!parts[i])
            continue;
        broker->dir_load[parts[i]->dir_idx]--;
        sl_producer_part_drop(parts[i]);
        sl_log_delete(parts[i]->log);
        parts[i]->log = NULL;
        partition_free(parts[i]);
        parts[i] = NULL;
    }
}

static sl_topic_t *topic_new(const char *name, size_t len, const sl_uuid_t *id, sl_props_t *overrides)
{
    sl_topic_t *topic = calloc(1, sizeof *topic);
    if (!topic)
        return NULL;
    memcpy(topic->name, name, len);
    topic->name[len] = '\0';
    topic->id = *id;
    topic->overrides = overrides;
    atomic_init(&topic->refs, 1);
    return topic;
}

static sl_err_t topic_save(sl_broker_t *broker, const sl_topic_t *topic, int32_t nparts, sl_props_t *overrides)
{
    sl_topic_meta_t meta;
    memset(&meta, 0, sizeof meta);
    snprintf(meta.name, sizeof meta.name, "%s", topic->name);
    memcpy(meta.id, topic->id.b, sizeof meta.id);
    meta.partitions = nparts;
    meta.overrides = overrides;
    sl_err_t err = sl_topic_meta_save(broker->cfg->log_dirs[0], &meta);
    if (err != SL_OK) {
        SL_ERROR(SL_BROKER_LOG, "cannot save the metadata of topic %s: %s", topic->name, sl_err_name(err));
        return err == SL_ERR_NOMEM ? SL_ERR_NOMEM : SL_ERR_KAFKA_STORAGE_ERROR;
    }
    return SL_OK;
}

/* Under reg_lock (write). */
static sl_err_t topic_list(sl_broker_t *broker, sl_topic_t *topic)
{
    size_t len = strlen(topic->name);
    if (sl_map_put(&broker->topics, topic->name, len, topic, NULL) != SL_OK)
        return SL_ERR_NOMEM;
    if (sl_map_put(&broker->topic_ids, topic->id.b, sizeof topic->id.b, topic, NULL) != SL_OK) {
        sl_map_del(&broker->topics, topic->name, len, NULL);
        return SL_ERR_NOMEM;
    }
    topic->listed = true;
    return SL_OK;
}

/* Kafka refuses a topic whose name equals an existing one once '.' and '_'
 * are treated alike (their metric names would collide). Under reg_lock. */
static const sl_topic_t *colliding_topic(sl_broker_t *broker, const char *name, size_t len)
{
    size_t it = 0;
    const void *key;
    size_t klen;
    void *val;
    while (sl_map_next(&broker->topics, &it, &key, &klen, &val)) {
        if (klen != len)
            continue;
        const char *other = key;
        size_t i = 0;
        for (; i < len; i++) {
            char a = name[i] == '.' ? '_' : name[i];
            char b = other[i] == '.' ? '_' : other[i];
            if (a != b)
                break;
        }
        if (i == len)
            return val;
    }
    return NULL;
}

/* ---- changes ----------------------------------------------------------- */

static sl_err_t check_overrides(const sl_props_t *overrides, char *errbuf, size_t errlen)
{
    for (size_t i = 0; overrides && i < sl_props_count(overrides); i++) {
        const char *k, *v;
        sl_props_at(overrides, i, &k, &v, NULL);
        sl_err_t err = sl_topic_config_check(k, v, errbuf, errlen);
        if (err != SL_OK)
            return SL_ERR_INVALID_CONFIG;
    }
    return SL_OK;
}

sl_err_t sl_broker_topic_create(sl_broker_t *broker, const char *name, size_t len, int32_t partitions,
                                const sl_props_t *overrides, bool validate_only, sl_topic_t **out,
                                char *errbuf, size_t errlen)
{
    if (out)
        *out = NULL;
    if (errlen)
        errbuf[0] = '\0';
    sl_err_t err = sl_topic_name_check(name, len, errbuf, errlen);
    if (err != SL_OK)
        return SL_ERR_INVALID_TOPIC_EXCEPTION;
    if (partitions <= 0 || partitions > MAX_PARTITIONS) {
        snprintf(errbuf, errlen, partitions <= 0 ? "Number of partitions must be larger than 0."
                                                 : "Number of partitions must be at most %d.",
                 MAX_PARTITIONS);
        return SL_ERR_INVALID_PARTITIONS;
    }
    if ((err = check_overrides(overrides, errbuf, errlen)) != SL_OK)
        return err;

    pthread_mutex_lock(&broker->admin_mu);
    pthread_rwlock_rdlock(&broker->reg_lock);
    const sl_topic_t *other = sl_map_get(&broker->topics, name, len);
    if (other) {
        snprintf(errbuf, errlen, "Topic '%s' already exists.", other->name);
        err = SL_ERR_TOPIC_ALREADY_EXISTS;
    } else if ((other = colliding_topic(broker, name, len)) != NULL) {
        snprintf(errbuf, errlen, "Topic '%.*s' collides with existing topic: %s", (int)len, name, other->name);
        err = SL_ERR_INVALID_TOPIC_EXCEPTION;
    }
    pthread_rwlock_unlock(&broker->reg_lock);
    if (err != SL_OK || validate_only) {
        pthread_mutex_unlock(&broker->admin_mu);
        return err;
    }

    /* Build the topic off the registry: open every partition, save. */
    sl_uuid_t id;
    do
        sl_broker_random_uuid(&id);
    while (sl_map_get(&broker->topic_ids, id.b, sizeof id.b)); /* admin_mu: no writer races */
    sl_props_t *own = props_dup(overrides);
    sl_topic_t *topic = own ? topic_new(name, len, &id, own) : NULL;
    sl_partition_t **parts = topic ? calloc((size_t)partitions, sizeof *parts) : NULL;
    if (!parts) {
        if (topic)
            sl_topic_unref(topic);
        else
            sl_props_free(own);
        pthread_mutex_unlock(&broker->admin_mu);
        return SL_ERR_NOMEM;
    }
    sl_topic_config_resolve(broker->cfg, topic->overrides, &topic->cfg);
    for (int32_t i = 0; i < partitions && err == SL_OK; i++)
        err = partition_open(broker, topic, i, true, true, &parts[i]);
    if (err == SL_OK)
        err = topic_save(broker, topic, partitions, topic->overrides);
    if (err == SL_OK) {
        topic->parts = parts;
        topic->nparts = partitions;
        pthread_rwlock_wrlock(&broker->reg_lock);
        err = topic_list(broker, topic);
        pthread_rwlock_unlock(&broker->reg_lock);
        if (err != SL_OK) {
            sl_topic_meta_remove(broker->cfg->log_dirs[0], topic->name);
            topic->parts = NULL;
            topic->nparts = 0;
        }
    }
    if (err != SL_OK) {
        partitions_discard(broker, parts, 0, partitions);
        free(parts);
        sl_topic_unref(topic);
        if (err == SL_ERR_KAFKA_STORAGE_ERROR && errlen && !errbuf[0])
            snprintf(errbuf, errlen, "Cannot create the log of topic '%.*s' (see the broker log).", (int)len, name);
        pthread_mutex_unlock(&broker->admin_mu);
        return err;
    }
    SL_INFO(SL_BROKER_LOG, "created topic %s with %d partitions", topic->name, partitions);
    if (out) {
        sl_topic_ref(topic);
        *out = topic;
    }
    pthread_mutex_unlock(&broker->admin_mu);
    return SL_OK;
}

static sl_err_t topic_delete(sl_broker_t *broker, sl_topic_t *topic)
{
    /* Unlisted first: from here on nobody finds it. */
    pthread_rwlock_wrlock(&broker->reg_lock);
    if (!topic->listed) {
        pthread_rwlock_unlock(&broker->reg_lock);
        return SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    sl_map_del(&broker->topics, topic->name, strlen(topic->name), NULL);
    sl_map_del(&broker->topic_ids, topic->id.b, sizeof topic->id.b, NULL);
    topic->listed = false;
    int32_t nparts = topic->nparts;
    pthread_rwlock_unlock(&broker->reg_lock);

    /* The metadata goes before the data, so a crash in between leaves
     * orphaned directories (wiped if the name is created again), never a
     * topic with missing partitions. */
    sl_err_t err = sl_topic_meta_remove(broker->cfg->log_dirs[0], topic->name);
    if (err != SL_OK)
        SL_ERROR(SL_BROKER_LOG, "cannot remove the metadata of topic %s: %s", topic->name, sl_err_name(err));
    for (int32_t i = 0; i < nparts; i++) {
        sl_partition_t *part = topic->parts[i];
        sl_partition_lock(part);
        if (part->log) {
            sl_err_t derr = sl_log_delete(part->log);
            if (derr != SL_OK) {
                SL_ERROR(SL_BROKER_LOG, "cannot delete the log of %s-%d: %s", topic->name, i, sl_err_name(derr));
                if (err == SL_OK)
                    err = derr;
            }
            part->log = NULL;
            broker->dir_load[part->dir_idx]--;
        }
        sl_producer_part_drop(part); /* its snapshots went with the directory */
        part->offline = false;
        sl_partition_wake_waiters_locked(part);
        sl_partition_unlock(part);
    }
    SL_INFO(SL_BROKER_LOG, "deleted topic %s", topic->name);
    sl_topic_unref(topic); /* the registry's reference */
    return err == SL_OK ? SL_OK : SL_ERR_KAFKA_STORAGE_ERROR;
}

sl_err_t sl_broker_topic_delete(sl_broker_t *broker, const char *name, size_t len)
{
    if (!broker->cfg->delete_topic_enable)
        return SL_ERR_TOPIC_DELETION_DISABLED;
    pthread_mutex_lock(&broker->admin_mu);
    sl_topic_t *topic = sl_broker_topic_get(broker, name, len);
    sl_err_t err = topic ? topic_delete(broker, topic) : SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    pthread_mutex_unlock(&broker->admin_mu);
    sl_topic_unref(topic);
    return err;
}

sl_err_t sl_broker_topic_delete_by_id(sl_broker_t *broker, const sl_uuid_t *id)
{
    if (!broker->cfg->delete_topic_enable)
        return SL_ERR_TOPIC_DELETION_DISABLED;
    pthread_mutex_lock(&broker->admin_mu);
    sl_topic_t *topic = sl_broker_topic_get_by_id(broker, id);
    sl_err_t err = topic ? topic_delete(broker, topic) : SL_ERR_UNKNOWN_TOPIC_ID;
    pthread_mutex_unlock(&broker->admin_mu);
    sl_topic_unref(topic);
    return err;
}

sl_err_t sl_broker_topic_add_partitions(sl_broker_t *broker, const char *name, size_t len, int32_t total,
                                        bool validate_only, char *errbuf, size_t errlen)
{
    if (errlen)
        errbuf[0] = '\0';
    pthread_mutex_lock(&broker->admin_mu);
    sl_topic_t *topic = sl_broker_topic_get(broker, name, len);
    sl_err_t err = SL_OK;
    if (!topic) {
        snprintf(errbuf, errlen, "The topic '%.*s' does not exist.", (int)SL_MIN(len, 249), name);
        pthread_mutex_unlock(&broker->admin_mu);
        return SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    int32_t cur = sl_topic_partition_count(broker, topic);
    if (total < cur) {
        snprintf(errbuf, errlen, "Topic currently has %d partitions, which is higher than the requested %d.",
                 cur, total);
        err = SL_ERR_INVALID_PARTITIONS;
    } else if (total == cur) {
        snprintf(errbuf, errlen, "Topic already has %d partitions.", cur);
        err = SL_ERR_INVALID_PARTITIONS;
    } else if (total > MAX_PARTITIONS) {
        snprintf(errbuf, errlen, "Number of partitions must be at most %d.", MAX_PARTITIONS);
        err = SL_ERR_INVALID_PARTITIONS;
    }
    if (err != SL_OK || validate_only)
        goto out;

    sl_partition_t **parts = calloc((size_t)total, sizeof *parts);
    if (!parts) {
        err = SL_ERR_NOMEM;
        goto out;
    }
    sl_topic_config_t tcfg;
    sl_topic_config_get(broker, topic, &tcfg);
    for (int32_t i = cur; i < total && err == SL_OK; i++)
        err = partition_open(broker, topic, i, true, true, &parts[i]);
    sl_props_t *overrides = err == SL_OK ? sl_topic_overrides_dup(broker, topic) : NULL;
    if (err == SL_OK && !overrides)
        err = SL_ERR_NOMEM;
    if (err == SL_OK)
        err = topic_save(broker, topic, total, overrides);
    sl_props_free(overrides);
    if (err != SL_OK) {
        partitions_discard(broker, parts, cur, total);
        free(parts);
        if (err == SL_ERR_KAFKA_STORAGE_ERROR)
            snprintf(errbuf, errlen, "Cannot create the new partitions (see the broker log).");
        goto out;
    }
    pthread_rwlock_wrlock(&broker->reg_lock);
    memcpy(parts, topic->parts, (size_t)cur * sizeof *parts);
    sl_partition_t **old = topic->parts;
    topic->parts = parts;
    topic->nparts = total;
    pthread_rwlock_unlock(&broker->reg_lock);
    free(old);
    SL_INFO(SL_BROKER_LOG, "topic %s grown from %d to %d partitions", topic->name, cur, total);
out:
    pthread_mutex_unlock(&broker->admin_mu);
    sl_topic_unref(topic);
    return err;
}

sl_err_t sl_broker_topic_set_config(sl_broker_t *broker, const char *name, size_t len,
                                    const sl_props_t *overrides, char *errbuf, size_t errlen)
{
    if (errlen)
        errbuf[0] = '\0';
    sl_err_t err = check_overrides(overrides, errbuf, errlen);
    if (err != SL_OK)
        return err;
    pthread_mutex_lock(&broker->admin_mu);
    sl_topic_t *topic = sl_broker_topic_get(broker, name, len);
    if (!topic) {
        pthread_mutex_unlock(&broker->admin_mu);
        return SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    sl_props_t *own = props_dup(overrides);
    if (!own) {
        err = SL_ERR_NOMEM;
        goto out;
    }
    sl_topic_config_t tcfg;
    sl_topic_config_resolve(broker->cfg, own, &tcfg);
    if ((err = topic_save(broker, topic, sl_topic_partition_count(broker, topic), own)) != SL_OK) {
        sl_props_free(own);
        goto out;
    }
    pthread_rwlock_wrlock(&broker->reg_lock);
    sl_props_t *old = topic->overrides;
    topic->overrides = own;
    topic->cfg = tcfg;
    int32_t nparts = topic->nparts;
    pthread_rwlock_unlock(&broker->reg_lock);
    sl_props_free(old);
    sl_log_config_t lcfg;
    sl_broker_log_config(&tcfg, &lcfg);
    for (int32_t i = 0; i < nparts; i++) {
        sl_partition_t *part = sl_topic_partition(broker, topic, i);
        sl_partition_lock(part);
        part->cfg = tcfg;
        if (part->log)
            sl_log_set_config(part->log, &lcfg);
        sl_partition_unlock(part);
    }
    SL_INFO(SL_BROKER_LOG, "topic %s: config overrides replaced (%zu set)", topic->name, sl_props_count(own));
out:
    pthread_mutex_unlock(&broker->admin_mu);
    sl_topic_unref(topic);
    return err;
}

/* ---- start-up and shutdown --------------------------------------------- */

typedef struct load_ctx {
    sl_broker_t *broker;
    bool clean;
    size_t topics, partitions, failed;
} load_ctx_t;

static void load_one(void *arg, sl_topic_meta_t *meta)
{
    load_ctx_t *ctx = arg;
    sl_broker_t *broker = ctx->broker;
    sl_uuid_t id;
    memcpy(id.b, meta->id, sizeof id.b);
    size_t len = strnlen(meta->name, sizeof meta->name - 1);
    sl_props_t *overrides = meta->overrides ? meta->overrides : sl_props_new();
    meta->overrides = NULL;
    sl_topic_t *topic = overrides ? topic_new(meta->name, len, &id, overrides) : NULL;
    int32_t n = meta->partitions;
    sl_partition_t **parts = topic && n > 0 && n <= MAX_PARTITIONS ? calloc((size_t)n, sizeof *parts) : NULL;
    if (!parts || sl_map_get(&broker->topics, meta->name, len) ||
        sl_map_get(&broker->topic_ids, id.b, sizeof id.b)) {
        SL_ERROR(SL_BROKER_LOG, "topic %s: cannot load it (%s)", meta->name,
                 parts ? "duplicate name or id" : "bad partition count or no memory");
        free(parts);
        if (topic)
            sl_topic_unref(topic);
        else
            sl_props_free(overrides);
        ctx->failed++;
        return;
    }
    sl_topic_config_resolve(broker->cfg, topic->overrides, &topic->cfg);
    topic->parts = parts;
    topic->nparts = n;
    for (int32_t i = 0; i < n; i++) {
        if (partition_open(broker, topic, i, false, ctx->clean, &parts[i]) != SL_OK) {
            /* Keep the partition, offline: its requests get
             * KAFKA_STORAGE_ERROR, the others go on. */
            parts[i] = partition_new(topic, i, 0);
            if (!parts[i]) {
                topic->nparts = i;
                break;
            }
            parts[i]->offline = true;
            ctx->failed++;
        }
        ctx->partitions++;
    }
    if (topic_list(broker, topic) != SL_OK) {
        SL_ERROR(SL_BROKER_LOG, "topic %s: no memory to list it", topic->name);
        sl_topic_unref(topic);
        ctx->failed++;
        return;
    }
    ctx->topics++;
}

sl_err_t sl_broker_registry_load(sl_broker_t *broker, bool clean, size_t *topics, size_t *partitions,
                                 size_t *failed)
{
    load_ctx_t ctx = {.broker = broker, .clean = clean};
    pthread_mutex_lock(&broker->admin_mu);
    pthread_rwlock_wrlock(&broker->reg_lock);
    sl_err_t err = sl_topic_meta_load_all(broker->cfg->log_dirs[0], load_one, &ctx);
    pthread_rwlock_unlock(&broker->reg_lock);
    pthread_mutex_unlock(&broker->admin_mu);
    *topics = ctx.topics;
    *partitions = ctx.partitions;
    *failed = ctx.failed;
    return err;
}

sl_err_t sl_broker_registry_close(sl_broker_t *broker)
{
    sl_err_t first = SL_OK;
    pthread_mutex_lock(&broker->admin_mu);
    pthread_rwlock_wrlock(&broker->reg_lock);
    size_t it = 0;
    const void *key;
    size_t klen;
    void *val;
    while (sl_map_next(&broker->topics, &it, &key, &klen, &val)) {
        sl_topic_t *topic = val;
        for (int32_t i = 0; i < topic->nparts; i++) {
            sl_partition_t *part = topic->parts[i];
            sl_partition_lock(part);
            sl_producer_part_close(part, part->log); /* the last snapshot, while the log is open */
            if (part->log) {
                sl_err_t err = sl_log_close(part->log);
                if (err != SL_OK) {
                    SL_ERROR(SL_BROKER_LOG, "closing the log of %s-%d: %s", topic->name, i, sl_err_name(err));
                    if (first == SL_OK)
                        first = err;
                }
                part->log = NULL;
            }
            sl_partition_unlock(part);
        }
        topic->listed = false;
        sl_topic_unref(topic);
    }
    sl_map_fini(&broker->topics, NULL);
    sl_map_fini(&broker->topic_ids, NULL);
    sl_map_init(&broker->topics);
    sl_map_init(&broker->topic_ids);
    pthread_rwlock_unlock(&broker->reg_lock);
    pthread_mutex_unlock(&broker->admin_mu);
    return first;
}
