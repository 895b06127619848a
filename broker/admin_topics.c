/*
 * admin_topics.c - CreateTopics, DeleteTopics and CreatePartitions: the
 * request-level checks Kafka makes before touching a topic (repeated names,
 * replication factor and manual assignments on a one-node cluster, null
 * config values, '.'/'_' name collisions), then the registry's create,
 * delete and add-partitions calls (broker_int.h), which hold admin_mu for
 * their disk work. One answer per request entry, in request order.
 * Internal topics (__consumer_offsets) cannot be deleted or grown:
 * INVALID_TOPIC_EXCEPTION, as Kafka refuses them; CreateTopics of one
 * finds it existing (TOPIC_ALREADY_EXISTS).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_int.h"

#define NO_NUM_PARTITIONS (-1)
#define NO_REPLICATION_FACTOR (-1)

/* Counts how many times each name occurs, so repeated entries can be told
 * apart in linear time whatever the request's size. */
typedef struct name_counts {
    sl_map_t map; /* name -> (void *)(uintptr_t)count */
} name_counts_t;

static sl_err_t name_counts_add(name_counts_t *nc, sl_kstr_t name)
{
    if (name.len < 0)
        return SL_OK;
    uintptr_t c = (uintptr_t)sl_map_get(&nc->map, name.ptr, (size_t)name.len);
    return sl_map_put(&nc->map, name.ptr, (size_t)name.len, (void *)(c + 1), NULL);
}

static bool name_counts_repeated(const name_counts_t *nc, sl_kstr_t name)
{
    return name.len >= 0 && (uintptr_t)sl_map_get(&nc->map, name.ptr, (size_t)name.len) > 1;
}

/* Kafka's Topic.hasCollision: names equal once '.' and '_' are the same
 * (they map to the same metric names). */
static bool names_collide(const char *a, size_t alen, const char *b)
{
    if (strlen(b) != alen)
        return false;
    for (size_t i = 0; i < alen; i++) {
        char x = a[i] == '.' ? '_' : a[i];
        char y = b[i] == '.' ? '_' : b[i];
        if (x != y)
            return false;
    }
    return true;
}

/* INVALID_TOPIC_EXCEPTION when name collides with a listed topic other than
 * itself; msg says with which (up to a few). */
static sl_err_t check_collisions(sl_broker_t *broker, sl_kstr_t name, char *msg, size_t n)
{
    if (!memchr(name.ptr, '.', (size_t)name.len) && !memchr(name.ptr, '_', (size_t)name.len))
        return SL_OK;
    sl_topic_t **topics = NULL;
    size_t ntopics = 0;
    sl_err_t err = sl_broker_topics_list(broker, &topics, &ntopics);
    if (err)
        return err;
    char q[300];
    size_t o = 0;
    int found = 0;
    for (size_t i = 0; i < ntopics; i++) {
        const char *other = topics[i]->name;
        if (strlen(other) == (size_t)name.len && memcmp(other, name.ptr, (size_t)name.len) == 0)
            continue;
        if (!names_collide(name.ptr, (size_t)name.len, other))
            continue;
        if (found++ == 0) {
            int w = snprintf(msg, n, "Topic '%s' collides with existing topics: %s",
                             sl_admin_quote(q, sizeof q, name, 249), other);
            o = w > 0 ? (size_t)w : 0;
        } else if (o < n) {
            int w = snprintf(msg + o, n - o, ", %s", other);
            o += w > 0 ? (size_t)w : 0;
        }
    }
    sl_broker_topics_release(topics, ntopics);
    return found ? SL_ERR_INVALID_TOPIC_EXCEPTION : SL_OK;
}

/* ---- CreateTopics ------------------------------------------------------ */

typedef struct cfg_fill {
    sl_arena_t *arena;
    sl_CreateTopicsResponse_CreatableTopicConfigs_t *items; /* NULL: count only */
    int32_t n;
    bool nomem;
} cfg_fill_t;

static void cfg_fill_visit(void *arg, const sl_config_entry_t *e)
{
    cfg_fill_t *f = arg;
    if (f->items) {
        sl_CreateTopicsResponse_CreatableTopicConfigs_t *c = &f->items[f->n];
        sl_CreateTopicsResponse_CreatableTopicConfigs_init(c);
        c->Name = sl_admin_str(f->arena, e->name);
        c->Value = e->sensitive ? sl_kstr_null() : sl_admin_str(f->arena, e->value);
        c->ReadOnly = e->read_only;
        c->ConfigSource = (int8_t)e->source;
        c->IsSensitive = e->sensitive;
        if (c->Name.len < 0 || (e->value && !e->sensitive && c->Value.len < 0))
            f->nomem = true;
    }
    f->n++;
}

/* v5+: the topic's effective configs with their sources, as Kafka puts in a
 * successful (or validated) creation's answer. */
static sl_err_t fill_topic_configs(sl_broker_t *broker, const sl_props_t *overrides, sl_arena_t *arena,
                                   sl_CreateTopicsResponse_CreatableTopicResult_t *r)
{
    cfg_fill_t f = {.arena = arena};
    sl_topic_config_describe(broker->cfg, overrides, cfg_fill_visit, &f);
    int32_t n = f.n;
    f.items = sl_arena_calloc(arena, n ? (size_t)n : 1, sizeof *f.items);
    if (!f.items)
        return SL_ERR_NOMEM;
    f.n = 0;
    sl_topic_config_describe(broker->cfg, overrides, cfg_fill_visit, &f);
    if (f.nomem || f.n != n)
        return SL_ERR_NOMEM;
    r->Configs.items = f.items;
    r->Configs.count = n;
    return SL_OK;
}

/* Manual assignments: partition indexes 0..n-1 once each, every replica
 * list exactly this node. *partitions gets n, *rf the replica count. */
static sl_err_t check_create_assignments(sl_broker_t *broker,
                                         const sl_CreateTopicsRequest_CreatableReplicaAssignment_array_t *as,
                                         sl_arena_t *arena, int32_t *partitions, int16_t *rf, char *msg, size_t n)
{
    int32_t count = as->count;
    bool *seen = sl_arena_calloc(arena, (size_t)count, sizeof *seen);
    if (!seen)
        return SL_ERR_NOMEM;
    int32_t replicas = -1;
    for (int32_t i = 0; i < count; i++) {
        const sl_CreateTopicsRequest_CreatableReplicaAssignment_t *a = &as->items[i];
        if (a->PartitionIndex < 0 || a->PartitionIndex >= count || seen[a->PartitionIndex]) {
            snprintf(msg, n, "partitions should be a consecutive 0-based integer sequence");
            return SL_ERR_INVALID_REPLICA_ASSIGNMENT;
        }
        seen[a->PartitionIndex] = true;
        if (a->BrokerIds.count <= 0) {
            snprintf(msg, n, "Empty replica list for partition id %d.", (int)a->PartitionIndex);
            return SL_ERR_INVALID_REPLICA_ASSIGNMENT;
        }
        for (int32_t j = 0; j < a->BrokerIds.count; j++) {
            if (a->BrokerIds.items[j] != broker->node_id) {
                snprintf(msg, n, "Unknown broker(s) in replica assignment: %d.", (int)a->BrokerIds.items[j]);
                return SL_ERR_INVALID_REPLICA_ASSIGNMENT;
            }
        }
        if (a->BrokerIds.count > 1) {
            snprintf(msg, n, "Duplicate brokers not allowed in replica assignment of partition id %d.",
                     (int)a->PartitionIndex);
            return SL_ERR_INVALID_REPLICA_ASSIGNMENT;
        }
        if (replicas >= 0 && replicas != a->BrokerIds.count) {
            snprintf(msg, n, "All partitions should have the same number of replicas");
            return SL_ERR_INVALID_REPLICA_ASSIGNMENT;
        }
        replicas = a->BrokerIds.count;
    }
    *partitions = count;
    *rf = (int16_t)replicas;
    return SL_OK;
}

/* Builds the topic's overrides from the request's configs, each value in
 * the config module's canonical form: INVALID_REQUEST for null values (all
 * named in msg), INVALID_CONFIG for an unknown name or a bad value. A
 * repeated name keeps its last value (Java Properties). */
static sl_err_t build_create_overrides(const sl_CreateTopicsRequest_CreateableTopicConfig_array_t *cs,
                                       sl_arena_t *arena, sl_props_t **out, char *msg, size_t n)
{
    *out = NULL;
    size_t o = 0;
    bool nulls = false;
    for (int32_t i = 0; i < cs->count; i++) {
        if (cs->items[i].Value.len >= 0)
            continue;
        char q[200];
        int w = snprintf(msg + o, n - o, "%s%s", nulls ? "," : "Null value not supported for topic configs : ",
                         sl_admin_quote(q, sizeof q, cs->items[i].Name, 120));
        if (w > 0 && (size_t)w < n - o)
            o += (size_t)w;
        nulls = true;
    }
    if (nulls)
        return SL_ERR_INVALID_REQUEST;
    sl_props_t *props = sl_props_new();
    if (!props)
        return SL_ERR_NOMEM;
    for (int32_t i = 0; i < cs->count; i++) {
        char *k = sl_kstr_dup(arena, cs->items[i].Name);
        char *v = sl_kstr_dup(arena, cs->items[i].Value);
        if (!k || !v) {
            sl_props_free(props);
            return SL_ERR_NOMEM;
        }
        /* A NUL inside a name or value would be cut by the C string: refuse
         * it rather than check something else than what was sent. */
        if (strlen(k) != (size_t)cs->items[i].Name.len || strlen(v) != (size_t)cs->items[i].Value.len) {
            char q[200];
            snprintf(msg, n, "Invalid NUL byte in topic config %s",
                     sl_admin_quote(q, sizeof q, cs->items[i].Name, 120));
            sl_props_free(props);
            return SL_ERR_INVALID_CONFIG;
        }
        char *canon = NULL;
        sl_err_t err = sl_topic_config_canon(k, v, &canon, msg, n);
        if (err == SL_OK)
            err = sl_props_set(props, k, canon, 0);
        free(canon);
        if (err) {
            sl_props_free(props);
            return err;
        }
    }
    *out = props;
    return SL_OK;
}

/* One CreatableTopic: the checks in Kafka's order, then the registry. On
 * success fills the v5+ fields (and the v7 topic id). Returns SL_ERR_NOMEM
 * only for the arena; every other outcome is written into r. */
static sl_err_t create_one(sl_broker_t *broker, int16_t version, bool validate_only,
                           const sl_CreateTopicsRequest_CreatableTopic_t *t, sl_arena_t *arena,
                           sl_CreateTopicsResponse_CreatableTopicResult_t *r)
{
    char msg[1024] = "";
    char q[300];
    sl_err_t err;
    sl_props_t *overrides = NULL;
    sl_topic_t *topic = NULL;
    int32_t partitions = t->NumPartitions;
    int16_t rf = t->ReplicationFactor;

    if ((err = sl_topic_name_check(t->Name.ptr, (size_t)SL_MAX(t->Name.len, 0), msg, sizeof msg)) != SL_OK)
        goto fail;
    if ((topic = sl_broker_topic_get(broker, t->Name.ptr, (size_t)t->Name.len)) != NULL) {
        sl_topic_unref(topic);
        topic = NULL;
        err = SL_ERR_TOPIC_ALREADY_EXISTS;
        snprintf(msg, sizeof msg, "Topic '%s' already exists.", sl_admin_quote(q, sizeof q, t->Name, 249));
        goto fail;
    }
    if ((err = build_create_overrides(&t->Configs, arena, &overrides, msg, sizeof msg)) != SL_OK ||
        (err = sl_topic_config_check_all(broker->cfg, overrides, msg, sizeof msg)) != SL_OK)
        goto fail;
    if (t->Assignments.count > 0) {
        if (t->NumPartitions != NO_NUM_PARTITIONS || t->ReplicationFactor != NO_REPLICATION_FACTOR) {
            err = SL_ERR_INVALID_REQUEST;
            snprintf(msg, sizeof msg, "Both numPartitions or replicationFactor and replicasAssignments were set. "
                                      "Both cannot be used at the same time.");
            goto fail;
        }
        if ((err = check_create_assignments(broker, &t->Assignments, arena, &partitions, &rf, msg, sizeof msg)))
            goto fail;
    } else {
        if (partitions == NO_NUM_PARTITIONS)
            partitions = broker->cfg->num_partitions;
        if (rf == NO_REPLICATION_FACTOR)
            rf = broker->cfg->default_replication_factor;
        if (partitions <= 0) {
            err = SL_ERR_INVALID_PARTITIONS;
            snprintf(msg, sizeof msg, "Number of partitions must be larger than 0.");
            goto fail;
        }
        if (rf <= 0) {
            err = SL_ERR_INVALID_REPLICATION_FACTOR;
            snprintf(msg, sizeof msg, "Replication factor must be larger than 0.");
            goto fail;
        }
        if (rf > 1) {
            err = SL_ERR_INVALID_REPLICATION_FACTOR;
            snprintf(msg, sizeof msg, "Replication factor: %d larger than available brokers: 1.", (int)rf);
            goto fail;
        }
    }
    if ((err = check_collisions(broker, t->Name, msg, sizeof msg)) != SL_OK)
        goto fail;
    err = sl_broker_topic_create(broker, t->Name.ptr, (size_t)t->Name.len, partitions, overrides, validate_only,
                                 &topic, msg, sizeof msg);
    if (err != SL_OK)
        goto fail;

    r->ErrorCode = 0;
    r->ErrorMessage = sl_kstr_null();
    if (version >= 5) {
        r->NumPartitions = partitions;
        r->ReplicationFactor = rf;
        /* What the registry stored (values may be canonicalised); with
         * validate_only, what would have been stored. */
        sl_props_t *stored = topic ? sl_topic_overrides_dup(broker, topic) : NULL;
        err = fill_topic_configs(broker, stored ? stored : overrides, arena, r);
        sl_props_free(stored);
        if (err)
            goto out;
    }
    if (version >= 7 && topic)
        r->TopicId = topic->id;
    err = SL_OK;
    goto out;

fail:
    if (err == SL_ERR_NOMEM)
        goto out;
    r->ErrorCode = sl_err_wire(err);
    r->ErrorMessage = sl_admin_msg(arena, "%s", sl_admin_why(err, msg));
    err = SL_OK;
out:
    sl_topic_unref(topic);
    sl_props_free(overrides);
    return err;
}

sl_err_t sl_broker_admin_create_topics(sl_broker_t *broker, int16_t version, const sl_CreateTopicsRequest_t *req,
                                sl_arena_t *arena, sl_CreateTopicsResponse_t *resp)
{
    sl_CreateTopicsResponse_init(resp);
    int32_t n = SL_MAX(req->Topics.count, 0);
    resp->Topics.items = sl_arena_calloc(arena, n ? (size_t)n : 1, sizeof *resp->Topics.items);
    if (!resp->Topics.items)
        return SL_ERR_NOMEM;
    resp->Topics.count = n;

    name_counts_t nc;
    sl_map_init(&nc.map);
    sl_err_t err = SL_OK;
    for (int32_t i = 0; i < n && !err; i++)
        err = name_counts_add(&nc, req->Topics.items[i].Name);
    for (int32_t i = 0; i < n && !err; i++) {
        const sl_CreateTopicsRequest_CreatableTopic_t *t = &req->Topics.items[i];
        sl_CreateTopicsResponse_CreatableTopicResult_t *r = &resp->Topics.items[i];
        sl_CreateTopicsResponse_CreatableTopicResult_init(r);
        r->Name = t->Name;
        if (name_counts_repeated(&nc, t->Name)) {
            r->ErrorCode = SL_ERR_INVALID_REQUEST;
            r->ErrorMessage = sl_admin_msg(arena, "Found multiple entries for this topic.");
            continue;
        }
        err = create_one(broker, version, req->validateOnly, t, arena, r);
    }
    sl_map_fini(&nc.map, NULL);
    return err;
}

/* ---- DeleteTopics ------------------------------------------------------ */

/* Fills r with Kafka's refusal when name is an internal topic. */
static bool refuse_internal(const char *name, size_t len, const char *what, sl_arena_t *arena, int16_t *code,
                            sl_kstr_t *msg)
{
    if (!sl_topic_is_internal(name, len))
        return false;
    *code = SL_ERR_INVALID_TOPIC_EXCEPTION;
    *msg = sl_admin_msg(arena, "Topic %.*s is a Kafka internal topic and %s.", (int)len, name, what);
    return true;
}

#define NO_DELETE "is not allowed to be marked for deletion"

/* Names and ids deleted earlier in the same request: a repeated entry
 * answers as the first did (Kafka deletes a set of names). */
typedef struct deleted {
    sl_map_t by_name; /* name -> sl_uuid_t * (arena) */
} deleted_t;

static sl_err_t delete_by_name(sl_broker_t *broker, int16_t version, sl_kstr_t name, deleted_t *done,
                               sl_arena_t *arena, sl_DeleteTopicsResponse_DeletableTopicResult_t *r)
{
    char q[300];
    r->Name = name;
    if (name.len < 0) {
        r->ErrorCode = SL_ERR_INVALID_REQUEST;
        r->ErrorMessage = sl_admin_msg(arena, "Either a topic name or a topic ID must be given.");
        return SL_OK;
    }
    sl_uuid_t *prev = sl_map_get(&done->by_name, name.ptr, (size_t)name.len);
    if (prev) {
        r->TopicId = version >= 6 ? *prev : r->TopicId;
        return SL_OK;
    }
    sl_topic_t *topic = sl_broker_topic_get(broker, name.ptr, (size_t)name.len);
    if (!topic) {
        r->ErrorCode = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        r->ErrorMessage = sl_admin_msg(arena, "The topic '%s' does not exist.", sl_admin_quote(q, sizeof q, name, 249));
        return SL_OK;
    }
    sl_uuid_t *id = sl_arena_memdup(arena, &topic->id, sizeof topic->id);
    sl_topic_unref(topic);
    if (!id)
        return SL_ERR_NOMEM;
    if (version >= 6)
        r->TopicId = *id;
    if (refuse_internal(name.ptr, (size_t)name.len, NO_DELETE, arena, &r->ErrorCode, &r->ErrorMessage))
        return SL_OK;
    sl_err_t err = sl_broker_topic_delete(broker, name.ptr, (size_t)name.len);
    if (err) {
        r->ErrorCode = sl_err_wire(err);
        r->ErrorMessage = sl_admin_msg(arena, "%s", sl_err_str(err));
        return SL_OK;
    }
    return sl_map_put(&done->by_name, name.ptr, (size_t)name.len, id, NULL);
}

static sl_err_t delete_by_id(sl_broker_t *broker, const sl_uuid_t *id, deleted_t *done, sl_arena_t *arena,
                             sl_DeleteTopicsResponse_DeletableTopicResult_t *r)
{
    r->TopicId = *id;
    r->Name = sl_kstr_null();
    sl_topic_t *topic = sl_broker_topic_get_by_id(broker, id);
    if (!topic) {
        /* Deleted by an earlier entry of this request? Answer as it did. */
        size_t it = 0;
        const void *k;
        size_t kl;
        void *v;
        while (sl_map_next(&done->by_name, &it, &k, &kl, &v)) {
            if (memcmp(v, id, sizeof *id) == 0) {
                char *name = sl_arena_strndup(arena, k, kl);
                if (!name)
                    return SL_ERR_NOMEM;
                r->Name = sl_kstr_n(name, (int32_t)kl);
                return SL_OK;
            }
        }
        r->ErrorCode = SL_ERR_UNKNOWN_TOPIC_ID;
        r->ErrorMessage = sl_admin_msg(arena, "No topic with this ID exists.");
        return SL_OK;
    }
    r->Name = sl_admin_str(arena, topic->name);
    sl_uuid_t *idc = sl_arena_memdup(arena, id, sizeof *id);
    sl_topic_unref(topic);
    if (r->Name.len < 0 || !idc)
        return SL_ERR_NOMEM;
    if (refuse_internal(r->Name.ptr, (size_t)r->Name.len, NO_DELETE, arena, &r->ErrorCode, &r->ErrorMessage))
        return SL_OK;
    sl_err_t err = sl_broker_topic_delete_by_id(broker, id);
    if (err) {
        r->ErrorCode = sl_err_wire(err == SL_ERR_UNKNOWN_TOPIC_OR_PARTITION ? SL_ERR_UNKNOWN_TOPIC_ID : err);
        r->ErrorMessage = sl_admin_msg(arena, "%s", sl_err_str(err));
        return SL_OK;
    }
    return sl_map_put(&done->by_name, r->Name.ptr, (size_t)r->Name.len, idc, NULL);
}

sl_err_t sl_broker_admin_delete_topics(sl_broker_t *broker, int16_t version, const sl_DeleteTopicsRequest_t *req,
                                sl_arena_t *arena, sl_DeleteTopicsResponse_t *resp)
{
    sl_DeleteTopicsResponse_init(resp);
    int32_t n = SL_MAX(version >= 6 ? req->Topics.count : req->TopicNames.count, 0);
    resp->Responses.items = sl_arena_calloc(arena, n ? (size_t)n : 1, sizeof *resp->Responses.items);
    if (!resp->Responses.items)
        return SL_ERR_NOMEM;
    resp->Responses.count = n;

    deleted_t done;
    sl_map_init(&done.by_name);
    sl_err_t err = SL_OK;
    for (int32_t i = 0; i < n && !err; i++) {
        sl_DeleteTopicsResponse_DeletableTopicResult_t *r = &resp->Responses.items[i];
        sl_DeleteTopicsResponse_DeletableTopicResult_init(r);
        sl_kstr_t name = version >= 6 ? req->Topics.items[i].Name : req->TopicNames.items[i];
        const sl_uuid_t *id = version >= 6 ? &req->Topics.items[i].TopicId : NULL;
        bool has_id = id && !sl_admin_uuid_is_zero(id);
        if (!broker->cfg->delete_topic_enable) {
            /* Kafka: INVALID_REQUEST for clients older than v3, which do not
             * know TOPIC_DELETION_DISABLED. */
            r->Name = has_id ? sl_kstr_null() : name;
            if (has_id)
                r->TopicId = *id;
            r->ErrorCode = version < 3 ? SL_ERR_INVALID_REQUEST : SL_ERR_TOPIC_DELETION_DISABLED;
            r->ErrorMessage = sl_admin_msg(arena, "Topic deletion is disabled (delete.topic.enable=false).");
            continue;
        }
        if (has_id && name.len >= 0) {
            r->Name = name;
            r->TopicId = *id;
            r->ErrorCode = SL_ERR_INVALID_REQUEST;
            r->ErrorMessage = sl_admin_msg(arena, "Topic name and topic ID can not both be specified.");
            continue;
        }
        err = has_id ? delete_by_id(broker, id, &done, arena, r)
                     : delete_by_name(broker, version, name, &done, arena, r);
    }
    sl_map_fini(&done.by_name, NULL);
    return err;
}

/* ---- CreatePartitions -------------------------------------------------- */

/* Manual assignments of the new partitions: one per new partition, each
 * exactly this node. */
static sl_err_t check_new_assignments(sl_broker_t *broker,
                                      const sl_CreatePartitionsRequest_CreatePartitionsAssignment_array_t *as,
                                      int32_t increment, char *msg, size_t n)
{
    for (int32_t i = 0; i < as->count; i++) {
        const sl_int32_array_t *ids = &as->items[i].BrokerIds;
        for (int32_t j = 0; j < ids->count; j++) {
            if (ids->items[j] != broker->node_id) {
                snprintf(msg, n, "Unknown broker(s) in replica assignment: %d.", (int)ids->items[j]);
                return SL_ERR_INVALID_REPLICA_ASSIGNMENT;
            }
        }
    }
    if (as->count != increment) {
        snprintf(msg, n, "Increasing the number of partitions by %d but %d assignments provided.", (int)increment,
                 (int)as->count);
        return SL_ERR_INVALID_REPLICA_ASSIGNMENT;
    }
    for (int32_t i = 0; i < as->count; i++) {
        int32_t c = as->items[i].BrokerIds.count;
        if (c <= 0) {
            snprintf(msg, n, "Empty replica list in assignment %d.", (int)i);
            return SL_ERR_INVALID_REPLICA_ASSIGNMENT;
        }
        if (c > 1) {
            snprintf(msg, n, "Duplicate brokers not allowed in replica assignment %d.", (int)i);
            return SL_ERR_INVALID_REPLICA_ASSIGNMENT;
        }
    }
    return SL_OK;
}

static void add_partitions_one(sl_broker_t *broker, bool validate_only,
                               const sl_CreatePartitionsRequest_CreatePartitionsTopic_t *t, sl_arena_t *arena,
                               sl_CreatePartitionsResponse_CreatePartitionsTopicResult_t *r)
{
    char msg[512] = "";
    char q[300];
    sl_err_t err;
    sl_topic_t *topic = t->Name.len >= 0 ? sl_broker_topic_get(broker, t->Name.ptr, (size_t)t->Name.len) : NULL;
    if (!topic) {
        err = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        snprintf(msg, sizeof msg, "The topic '%s' does not exist.", sl_admin_quote(q, sizeof q, t->Name, 249));
        goto fail;
    }
    int32_t cur = sl_topic_partition_count(broker, topic);
    sl_topic_unref(topic);
    if (refuse_internal(t->Name.ptr, (size_t)t->Name.len, "its partitions cannot be changed", arena, &r->ErrorCode,
                        &r->ErrorMessage))
        return;
    if (t->Count < cur) {
        err = SL_ERR_INVALID_PARTITIONS;
        snprintf(msg, sizeof msg, "Topic currently has %d partitions, which is higher than the requested %d.",
                 (int)cur, (int)t->Count);
        goto fail;
    }
    if (t->Count == cur) {
        err = SL_ERR_INVALID_PARTITIONS;
        snprintf(msg, sizeof msg, "Topic already has %d partitions.", (int)cur);
        goto fail;
    }
    if (t->Assignments.count >= 0 &&
        (err = check_new_assignments(broker, &t->Assignments, t->Count - cur, msg, sizeof msg)) != SL_OK)
        goto fail;
    err = sl_broker_topic_add_partitions(broker, t->Name.ptr, (size_t)t->Name.len, t->Count, validate_only, msg,
                                         sizeof msg);
    if (err)
        goto fail;
    return;
fail:
    r->ErrorCode = sl_err_wire(err);
    r->ErrorMessage = sl_admin_msg(arena, "%s", sl_admin_why(err, msg));
}

sl_err_t sl_broker_admin_create_partitions(sl_broker_t *broker, int16_t version, const sl_CreatePartitionsRequest_t *req,
                                    sl_arena_t *arena, sl_CreatePartitionsResponse_t *resp)
{
    SL_UNUSED(version);
    sl_CreatePartitionsResponse_init(resp);
    int32_t n = SL_MAX(req->Topics.count, 0);
    resp->Results.items = sl_arena_calloc(arena, n ? (size_t)n : 1, sizeof *resp->Results.items);
    if (!resp->Results.items)
        return SL_ERR_NOMEM;
    resp->Results.count = n;

    name_counts_t nc;
    sl_map_init(&nc.map);
    sl_err_t err = SL_OK;
    for (int32_t i = 0; i < n && !err; i++)
        err = name_counts_add(&nc, req->Topics.items[i].Name);
    for (int32_t i = 0; i < n && !err; i++) {
        const sl_CreatePartitionsRequest_CreatePartitionsTopic_t *t = &req->Topics.items[i];
        sl_CreatePartitionsResponse_CreatePartitionsTopicResult_t *r = &resp->Results.items[i];
        sl_CreatePartitionsResponse_CreatePartitionsTopicResult_init(r);
        r->Name = t->Name;
        if (name_counts_repeated(&nc, t->Name)) {
            r->ErrorCode = SL_ERR_INVALID_REQUEST;
            r->ErrorMessage = sl_admin_msg(arena, "Duplicate topic in request.");
            continue;
        }
        add_partitions_one(broker, req->ValidateOnly, t, arena, r);
    }
    sl_map_fini(&nc.map, NULL);
    return err;
}

/* ---- handlers ---------------------------------------------------------- */

void sl_broker_handle_create_topics(sl_broker_req_t *req)
{
    sl_CreateTopicsResponse_t resp;
    sl_admin_finish(req, sl_broker_admin_create_topics(req->broker, req->hdr.api_version, req->body, &req->arena, &resp),
                    &resp);
}

void sl_broker_handle_delete_topics(sl_broker_req_t *req)
{
    sl_DeleteTopicsResponse_t resp;
    sl_admin_finish(req, sl_broker_admin_delete_topics(req->broker, req->hdr.api_version, req->body, &req->arena, &resp),
                    &resp);
}

void sl_broker_handle_create_partitions(sl_broker_req_t *req)
{
    sl_CreatePartitionsResponse_t resp;
    sl_admin_finish(req,
                    sl_broker_admin_create_partitions(req->broker, req->hdr.api_version, req->body, &req->arena, &resp),
                    &resp);
}
