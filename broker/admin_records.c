/*
 * admin_records.c - DeleteRecords and OffsetForLeaderEpoch: per-partition
 * questions answered from the partition's log under part->mu.
 *
 * DeleteRecords moves a partition's log start offset forward (Kafka's
 * maybeIncrementLogStartOffset): -1 means the high watermark, which on one
 * node is the log end offset; an offset below the current start changes
 * nothing and answers the start; a topic whose cleanup.policy lacks
 * "delete" refuses (POLICY_VIOLATION), as Kafka does.
 *
 * OffsetForLeaderEpoch: every partition here has had one leader epoch,
 * SL_ADMIN_LEADER_EPOCH, starting at the log's first offset, so Kafka's
 * epoch cache lookup reduces to: that epoch -> the log end offset; -1 or a
 * later epoch -> -1/-1 (unknown); an earlier one -> the log start offset.
 * ReplicaId (v3+) changes nothing: followers and consumers get the same
 * answer from the leader.
 */
#include "admin_int.h"

#define INVALID_LOW_WATERMARK (-1)
#define HIGH_WATERMARK (-1)
#define UNDEFINED_EPOCH (-1)
#define UNDEFINED_EPOCH_OFFSET (-1)

/* ---- DeleteRecords ----------------------------------------------------- */

/* One partition; part->mu is taken here. */
static void delete_records_one(sl_partition_t *part, int64_t offset,
                               sl_DeleteRecordsResponse_DeleteRecordsPartitionResult_t *r)
{
    sl_partition_lock(part);
    sl_log_t *log = part->log;
    if (!log) {
        /* deleted meanwhile, or its log failed to open at start-up */
        r->ErrorCode = part->offline ? SL_ERR_KAFKA_STORAGE_ERROR : SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    } else if (!part->cfg.delete) {
        r->ErrorCode = SL_ERR_POLICY_VIOLATION;
    } else {
        int64_t end = sl_log_end_offset(log);
        int64_t off = offset == HIGH_WATERMARK ? end : offset;
        sl_err_t err = SL_OK;
        if (off < 0 || off > end)
            err = SL_ERR_OFFSET_OUT_OF_RANGE;
        else if (off > sl_log_start_offset(log))
            err = sl_log_delete_records(log, off);
        if (err == SL_ERR_IO)
            SL_ERROR(SL_BROKER_LOG, "DeleteRecords on %s-%d: %s", part->topic->name, (int)part->index,
                     sl_log_errmsg(log));
        if (err) {
            r->ErrorCode = err == SL_ERR_IO ? SL_ERR_KAFKA_STORAGE_ERROR : sl_err_wire(err);
        } else {
            r->LowWatermark = sl_log_start_offset(log);
        }
    }
    sl_partition_unlock(part);
}

sl_err_t sl_broker_admin_delete_records(sl_broker_t *broker, int16_t version, const sl_DeleteRecordsRequest_t *req,
                                 sl_arena_t *arena, sl_DeleteRecordsResponse_t *resp)
{
    SL_UNUSED(version);
    sl_DeleteRecordsResponse_init(resp);
    int32_t nt = SL_MAX(req->Topics.count, 0);
    resp->Topics.items = sl_arena_calloc(arena, nt ? (size_t)nt : 1, sizeof *resp->Topics.items);
    if (!resp->Topics.items)
        return SL_ERR_NOMEM;
    resp->Topics.count = nt;
    for (int32_t i = 0; i < nt; i++) {
        const sl_DeleteRecordsRequest_DeleteRecordsTopic_t *t = &req->Topics.items[i];
        sl_DeleteRecordsResponse_DeleteRecordsTopicResult_t *rt = &resp->Topics.items[i];
        sl_DeleteRecordsResponse_DeleteRecordsTopicResult_init(rt);
        rt->Name = t->Name;
        int32_t np = SL_MAX(t->Partitions.count, 0);
        rt->Partitions.items = sl_arena_calloc(arena, np ? (size_t)np : 1, sizeof *rt->Partitions.items);
        if (!rt->Partitions.items)
            return SL_ERR_NOMEM;
        rt->Partitions.count = np;
        sl_topic_t *topic = t->Name.len >= 0 ? sl_broker_topic_get(broker, t->Name.ptr, (size_t)t->Name.len) : NULL;
        for (int32_t j = 0; j < np; j++) {
            const sl_DeleteRecordsRequest_DeleteRecordsPartition_t *p = &t->Partitions.items[j];
            sl_DeleteRecordsResponse_DeleteRecordsPartitionResult_t *r = &rt->Partitions.items[j];
            sl_DeleteRecordsResponse_DeleteRecordsPartitionResult_init(r);
            r->PartitionIndex = p->PartitionIndex;
            r->LowWatermark = INVALID_LOW_WATERMARK;
            sl_partition_t *part = topic ? sl_topic_partition(broker, topic, p->PartitionIndex) : NULL;
            if (!part)
                r->ErrorCode = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            else
                delete_records_one(part, p->Offset, r);
        }
        sl_topic_unref(topic);
    }
    return SL_OK;
}

/* ---- OffsetForLeaderEpoch ---------------------------------------------- */

static void epoch_end_one(sl_partition_t *part, int32_t current, int32_t wanted,
                          sl_OffsetForLeaderEpochResponse_EpochEndOffset_t *r)
{
    sl_partition_lock(part);
    sl_log_t *log = part->log;
    if (!log) {
        /* deleted meanwhile, or its log failed to open at start-up */
        r->ErrorCode = part->offline ? SL_ERR_KAFKA_STORAGE_ERROR : SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    } else if (current != UNDEFINED_EPOCH && current < SL_ADMIN_LEADER_EPOCH) {
        r->ErrorCode = SL_ERR_FENCED_LEADER_EPOCH;
    } else if (current != UNDEFINED_EPOCH && current > SL_ADMIN_LEADER_EPOCH) {
        r->ErrorCode = SL_ERR_UNKNOWN_LEADER_EPOCH;
    } else if (wanted == SL_ADMIN_LEADER_EPOCH) {
        r->LeaderEpoch = SL_ADMIN_LEADER_EPOCH;
        r->EndOffset = sl_log_end_offset(log);
    } else if (wanted < UNDEFINED_EPOCH) {
        /* Older than any epoch we know: Kafka answers the requested epoch
         * with the start of the first epoch it still has. */
        r->LeaderEpoch = wanted;
        r->EndOffset = sl_log_start_offset(log);
    }
    /* else -1 or an epoch after ours: UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET */
    sl_partition_unlock(part);
}

sl_err_t sl_admin_offset_for_leader_epoch(sl_broker_t *broker, int16_t version,
                                          const sl_OffsetForLeaderEpochRequest_t *req, sl_arena_t *arena,
                                          sl_OffsetForLeaderEpochResponse_t *resp)
{
    sl_OffsetForLeaderEpochResponse_init(resp);
    int32_t nt = SL_MAX(req->Topics.count, 0);
    resp->Topics.items = sl_arena_calloc(arena, nt ? (size_t)nt : 1, sizeof *resp->Topics.items);
    if (!resp->Topics.items)
        return SL_ERR_NOMEM;
    resp->Topics.count = nt;
    for (int32_t i = 0; i < nt; i++) {
        const sl_OffsetForLeaderEpochRequest_OffsetForLeaderTopic_t *t = &req->Topics.items[i];
        sl_OffsetForLeaderEpochResponse_OffsetForLeaderTopicResult_t *rt = &resp->Topics.items[i];
        sl_OffsetForLeaderEpochResponse_OffsetForLeaderTopicResult_init(rt);
        rt->Topic = t->Topic;
        int32_t np = SL_MAX(t->Partitions.count, 0);
        rt->Partitions.items = sl_arena_calloc(arena, np ? (size_t)np : 1, sizeof *rt->Partitions.items);
        if (!rt->Partitions.items)
            return SL_ERR_NOMEM;
        rt->Partitions.count = np;
        sl_topic_t *topic =
            t->Topic.len >= 0 ? sl_broker_topic_get(broker, t->Topic.ptr, (size_t)t->Topic.len) : NULL;
        for (int32_t j = 0; j < np; j++) {
            const sl_OffsetForLeaderEpochRequest_OffsetForLeaderPartition_t *p = &t->Partitions.items[j];
            sl_OffsetForLeaderEpochResponse_EpochEndOffset_t *r = &rt->Partitions.items[j];
            sl_OffsetForLeaderEpochResponse_EpochEndOffset_init(r);
            r->Partition = p->Partition;
            r->LeaderEpoch = UNDEFINED_EPOCH;
            r->EndOffset = UNDEFINED_EPOCH_OFFSET;
            sl_partition_t *part = topic ? sl_topic_partition(broker, topic, p->Partition) : NULL;
            if (!part)
                r->ErrorCode = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            else
                epoch_end_one(part, version >= 2 ? p->CurrentLeaderEpoch : UNDEFINED_EPOCH, p->LeaderEpoch, r);
        }
        sl_topic_unref(topic);
    }
    return SL_OK;
}

/* ---- handlers ---------------------------------------------------------- */

void sl_broker_handle_delete_records(sl_broker_req_t *req)
{
    sl_DeleteRecordsResponse_t resp;
    sl_admin_finish(req, sl_broker_admin_delete_records(req->broker, req->hdr.api_version, req->body, &req->arena, &resp),
                    &resp);
}

void sl_broker_handle_offset_for_leader_epoch(sl_broker_req_t *req)
{
    sl_OffsetForLeaderEpochResponse_t resp;
    sl_admin_finish(req,
                    sl_admin_offset_for_leader_epoch(req->broker, req->hdr.api_version, req->body, &req->arena,
                                                     &resp),
                    &resp);
}
