/*
 * metadata.c - Metadata (v0-v12): this node as the only broker and the
 * controller, the topics asked for (or all of them), each partition led by
 * this node at leader epoch 0 with itself as the only replica, and topic
 * auto-creation.
 *
 * As Kafka's KafkaApis.getTopicMetadata: a missing topic is created when
 * auto.create.topics.enable and the request's AllowAutoTopicCreation (v4+;
 * always for older versions) are both true and the request names topics
 * (never for "all topics"); an illegal name gets INVALID_TOPIC_EXCEPTION, a
 * missing one otherwise UNKNOWN_TOPIC_OR_PARTITION; v12 topic ids that are
 * unknown get UNKNOWN_TOPIC_ID. One difference: Kafka answers a topic it has
 * just auto-created with LEADER_NOT_AVAILABLE (the creation is asynchronous
 * there) and the client asks again; here the creation is done before the
 * answer, so the topic comes back complete at once. __consumer_offsets is
 * marked internal (v1+), as Kafka marks it.
 */
#include <string.h>

#include "broker_int.h"

typedef sl_MetadataResponse_MetadataResponseTopic_t resp_topic_t;
typedef sl_MetadataResponse_MetadataResponsePartition_t resp_part_t;

/* Kafka's AclOperation codes, as bits of the *AuthorizedOperations fields:
 * without an authorizer every operation is allowed. */
#define OPS_TOPIC ((1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11))
#define OPS_CLUSTER ((1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12))

static bool fill_topic(sl_broker_req_t *req, sl_topic_t *topic, bool ops, resp_topic_t *rt)
{
    sl_broker_t *broker = req->broker;
    sl_arena_t *arena = &req->arena;
    sl_MetadataResponse_MetadataResponseTopic_init(rt);
    rt->Name = sl_kstr(sl_arena_strndup(arena, topic->name, strlen(topic->name)));
    rt->TopicId = topic->id;
    rt->IsInternal = sl_topic_is_internal(topic->name, strlen(topic->name)); /* v1+ */
    if (ops)
        rt->TopicAuthorizedOperations = OPS_TOPIC;
    int32_t n = sl_topic_partition_count(broker, topic);
    int32_t *node = sl_arena_alloc(arena, sizeof *node);
    rt->Partitions.items = sl_arena_calloc(arena, (size_t)n + 1, sizeof *rt->Partitions.items);
    if (!rt->Name.ptr || !node || !rt->Partitions.items)
        return false;
    *node = broker->node_id;
    rt->Partitions.count = n;
    for (int32_t i = 0; i < n; i++) {
        resp_part_t *rp = &rt->Partitions.items[i];
        sl_MetadataResponse_MetadataResponsePartition_init(rp);
        rp->PartitionIndex = i;
        rp->LeaderEpoch = 0;
        rp->ReplicaNodes.count = 1;
        rp->ReplicaNodes.items = node;
        sl_partition_t *part = sl_topic_partition(broker, topic, i);
        bool offline = false;
        if (part) {
            sl_partition_lock(part);
            offline = part->offline;
            sl_partition_unlock(part);
        }
        if (offline) {
            rp->ErrorCode = SL_ERR_LEADER_NOT_AVAILABLE;
            rp->LeaderId = -1;
            rp->IsrNodes.count = 0;
            rp->OfflineReplicas.count = 1;
            rp->OfflineReplicas.items = node;
        } else {
            rp->LeaderId = broker->node_id;
            rp->IsrNodes.count = 1;
            rp->IsrNodes.items = node;
        }
    }
    return true;
}

/* One requested topic that is not there: create it when allowed. */
static sl_topic_t *missing_topic(sl_broker_req_t *req, sl_kstr_t name, bool auto_create, int16_t *error)
{
    sl_broker_t *broker = req->broker;
    char why[256];
    if (sl_topic_name_check(name.ptr ? name.ptr : "", (size_t)SL_MAX(name.len, 0), why, sizeof why) != SL_OK) {
        *error = SL_ERR_INVALID_TOPIC_EXCEPTION;
        return NULL;
    }
    if (!auto_create) {
        *error = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        return NULL;
    }
    sl_topic_t *topic = NULL;
    sl_err_t err = sl_broker_topic_create(broker, name.ptr, (size_t)name.len, broker->cfg->num_partitions, NULL,
                                          false, &topic, why, sizeof why);
    if (err == SL_ERR_TOPIC_ALREADY_EXISTS) /* created by someone else meanwhile */
        topic = sl_broker_topic_get(broker, name.ptr, (size_t)name.len);
    if (!topic) {
        SL_WARN(SL_BROKER_LOG, "auto-creating topic %.*s failed: %s %s", (int)SL_MIN(name.len, 249), name.ptr,
                sl_err_name(err), why);
        *error = err == SL_ERR_INVALID_TOPIC_EXCEPTION ? SL_ERR_INVALID_TOPIC_EXCEPTION : SL_ERR_LEADER_NOT_AVAILABLE;
    }
    return topic;
}

void sl_broker_handle_metadata(sl_broker_req_t *req)
{
    sl_broker_t *broker = req->broker;
    const sl_MetadataRequest_t *mreq = req->body;
    int16_t version = req->hdr.api_version;
    sl_arena_t *arena = &req->arena;
    sl_MetadataResponse_t resp;
    sl_MetadataResponse_init(&resp);

    sl_MetadataResponse_MetadataResponseBroker_t *self = sl_arena_alloc(arena, sizeof *self);
    if (!self)
        goto nomem;
    sl_MetadataResponse_MetadataResponseBroker_init(self);
    self->NodeId = broker->node_id;
    self->Host = sl_kstr(broker->adv_host);
    self->Port = broker->adv_port;
    resp.Brokers.count = 1;
    resp.Brokers.items = self;
    resp.ClusterId = sl_kstr(broker->cluster_id);
    resp.ControllerId = broker->node_id;
    if (version >= 8 && version <= 10 && mreq->IncludeClusterAuthorizedOperations)
        resp.ClusterAuthorizedOperations = OPS_CLUSTER;
    bool ops = version >= 8 && mreq->IncludeTopicAuthorizedOperations;

    /* A null list (v1+), or an empty one in v0, asks for every topic. */
    bool all = mreq->Topics.count < 0 || (version == 0 && mreq->Topics.count == 0);
    if (all) {
        sl_topic_t **topics;
        size_t n;
        if (sl_broker_topics_list(broker, &topics, &n) != SL_OK)
            goto nomem;
        resp.Topics.items = sl_arena_calloc(arena, n + 1, sizeof *resp.Topics.items);
        bool ok = resp.Topics.items != NULL;
        for (size_t i = 0; ok && i < n; i++)
            ok = fill_topic(req, topics[i], ops, &resp.Topics.items[resp.Topics.count++]);
        sl_broker_topics_release(topics, n);
        if (!ok)
            goto nomem;
        sl_broker_req_reply(req, &resp);
        return;
    }

    bool auto_create = broker->cfg->auto_create_topics_enable && (version < 4 || mreq->AllowAutoTopicCreation);
    int32_t n = mreq->Topics.count;
    resp.Topics.items = sl_arena_calloc(arena, (size_t)n + 1, sizeof *resp.Topics.items);
    if (!resp.Topics.items)
        goto nomem;
    sl_map_t seen; /* Kafka answers each topic once */
    sl_map_init(&seen);
    for (int32_t i = 0; i < n; i++) {
        const sl_MetadataRequest_MetadataRequestTopic_t *want = &mreq->Topics.items[i];
        resp_topic_t *rt = &resp.Topics.items[resp.Topics.count];
        static const sl_uuid_t zero;
        bool by_id = memcmp(want->TopicId.b, zero.b, sizeof zero.b) != 0;
        sl_topic_t *topic = NULL;
        int16_t error = 0;
        if (version < 12 && (by_id || sl_kstr_is_null(want->Name))) {
            /* Kafka: topic ids in Metadata requests need v12. */
            sl_MetadataResponse_MetadataResponseTopic_init(rt);
            rt->ErrorCode = SL_ERR_INVALID_REQUEST;
            rt->Name = sl_kstr_is_null(want->Name) ? sl_kstr("") : want->Name;
            resp.Topics.count++;
            continue;
        }
        const void *key = by_id ? (const void *)want->TopicId.b : (const void *)want->Name.ptr;
        size_t klen = by_id ? sizeof want->TopicId.b : (size_t)SL_MAX(want->Name.len, 0);
        bool dup = sl_map_has(&seen, key, klen);
        if (!dup && sl_map_put(&seen, key, klen, NULL, NULL) != SL_OK) {
            sl_map_fini(&seen, NULL);
            goto nomem;
        }
        if (dup)
            continue;
        if (by_id) {
            topic = sl_broker_topic_get_by_id(broker, &want->TopicId);
            if (!topic)
                error = SL_ERR_UNKNOWN_TOPIC_ID;
        } else {
            topic = sl_broker_topic_get(broker, want->Name.ptr, (size_t)want->Name.len);
            if (!topic)
                topic = missing_topic(req, want->Name, auto_create, &error);
        }
        if (topic) {
            bool ok = fill_topic(req, topic, ops, rt);
            sl_topic_unref(topic);
            if (!ok) {
                sl_map_fini(&seen, NULL);
                goto nomem;
            }
        } else {
            sl_MetadataResponse_MetadataResponseTopic_init(rt);
            rt->ErrorCode = error;
            rt->Name = by_id ? (version >= 12 ? sl_kstr_null() : sl_kstr("")) : want->Name;
            rt->TopicId = want->TopicId;
        }
        resp.Topics.count++;
    }
    sl_map_fini(&seen, NULL);
    sl_broker_req_reply(req, &resp);
    return;
nomem:
    sl_broker_req_close(req, "no memory for the Metadata response (arena limit)");
}
