/*
 * list_offsets.c - ListOffsets (v0-v7): the earliest (-2: log start), the
 * latest (-1: the log end, or with IsolationLevel 1 (read_committed, v2+)
 * the last stable offset, txn_int.h), the largest timestamp (-3, v7) or the
 * first offset at or after a timestamp, per partition. Under
 * read_committed, as Kafka's fetchOffsetForTimestamp: a timestamp lookup
 * whose answer is at or above the last stable offset finds nothing (-1).
 *
 * A partition named twice in one request gets INVALID_REQUEST (both times),
 * as Kafka answers.
 * A timestamp is answered with the first record (not batch) whose timestamp
 * is at or after it, and that record's timestamp, as Kafka does (the log
 * looks inside the batch).
 *
 * v0 answers OldStyleOffsets with one offset (Kafka's v0 may list older
 * segment base offsets too, up to MaxNumOffsets; clients ask for one).
 */
#include <string.h>

#include "broker_int.h"
#include "txn_int.h"

#define TS_LATEST (-1)
#define TS_EARLIEST (-2)
#define TS_MAX (-3)

typedef sl_ListOffsetsResponse_ListOffsetsPartitionResponse_t resp_part_t;

/* The offset (and timestamp) asked for on one partition. SL_OK or the Kafka
 * error code for it. */
static sl_err_t lookup(sl_partition_t *part, int16_t version, bool committed, int64_t ts, int64_t *offset,
                       int64_t *timestamp)
{
    sl_err_t err = SL_OK;
    *offset = *timestamp = -1;
    sl_partition_lock(part);
    if (!part->log) {
        err = part->offline ? SL_ERR_KAFKA_STORAGE_ERROR : SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    } else if (ts == TS_LATEST) {
        *offset = committed ? sl_txn_partition_lso_locked(part) : sl_log_end_offset(part->log);
    } else if (ts == TS_EARLIEST) {
        *offset = sl_log_start_offset(part->log);
    } else if (ts == TS_MAX && version >= 7) {
        err = sl_log_max_timestamp(part->log, offset, timestamp);
    } else {
        err = sl_log_offset_for_time(part->log, ts, offset, timestamp); /* record-exact */
    }
    if (err == SL_OK && committed && ts != TS_LATEST && ts != TS_EARLIEST && *offset >= 0 &&
        *offset >= sl_txn_partition_lso_locked(part))
        *offset = *timestamp = -1;
    if (err != SL_OK && err != SL_ERR_UNKNOWN_TOPIC_OR_PARTITION && err != SL_ERR_KAFKA_STORAGE_ERROR) {
        SL_ERROR(SL_BROKER_LOG, "ListOffsets on %s-%d failed: %s", part->topic->name, part->index,
                 part->log ? sl_log_errmsg(part->log) : "");
        err = SL_ERR_KAFKA_STORAGE_ERROR;
    }
    sl_partition_unlock(part);
    return err;
}

/* Kafka answers INVALID_REQUEST for every partition named more than once in
 * a request. Marks them in dup (one flag per partition, in request order).
 * false on no memory. */
static bool find_duplicates(const sl_ListOffsetsRequest_t *lreq, bool *dup)
{
    sl_map_t seen; /* "topic\0" + partition -> first index + 1 */
    sl_map_init(&seen);
    bool ok = true;
    size_t k = 0;
    char key[260];
    for (int32_t i = 0; ok && i < lreq->Topics.count; i++) {
        const sl_ListOffsetsRequest_ListOffsetsTopic_t *lt = &lreq->Topics.items[i];
        size_t nlen = (size_t)SL_MIN(SL_MAX(lt->Name.len, 0), 250);
        for (int32_t j = 0; ok && j < lt->Partitions.count; j++, k++) {
            memcpy(key, lt->Name.ptr, nlen);
            key[nlen] = '\0';
            memcpy(key + nlen + 1, &lt->Partitions.items[j].PartitionIndex, sizeof(int32_t));
            size_t klen = nlen + 1 + sizeof(int32_t);
            uintptr_t first = (uintptr_t)sl_map_get(&seen, key, klen);
            if (first) {
                dup[first - 1] = dup[k] = true;
            } else if (sl_map_put(&seen, key, klen, (void *)(uintptr_t)(k + 1), NULL) != SL_OK) {
                ok = false;
            }
        }
    }
    sl_map_fini(&seen, NULL);
    return ok;
}

void sl_broker_handle_list_offsets(sl_broker_req_t *req)
{
    sl_broker_t *broker = req->broker;
    const sl_ListOffsetsRequest_t *lreq = req->body;
    int16_t version = req->hdr.api_version;
    sl_arena_t *arena = &req->arena;
    sl_ListOffsetsResponse_t resp;
    sl_ListOffsetsResponse_init(&resp);
    int32_t nt = SL_MAX(lreq->Topics.count, 0);
    resp.Topics.items = sl_arena_calloc(arena, (size_t)nt + 1, sizeof *resp.Topics.items);
    if (!resp.Topics.items)
        goto nomem;
    resp.Topics.count = nt;
    size_t nparts = 0;
    for (int32_t i = 0; i < nt; i++)
        nparts += (size_t)SL_MAX(lreq->Topics.items[i].Partitions.count, 0);
    bool *dup = sl_arena_calloc(arena, nparts + 1, sizeof *dup);
    if (!dup || !find_duplicates(lreq, dup))
        goto nomem;
    size_t k = 0;
    for (int32_t i = 0; i < nt; i++) {
        const sl_ListOffsetsRequest_ListOffsetsTopic_t *lt = &lreq->Topics.items[i];
        sl_ListOffsetsResponse_ListOffsetsTopicResponse_t *rt = &resp.Topics.items[i];
        sl_ListOffsetsResponse_ListOffsetsTopicResponse_init(rt);
        rt->Name = lt->Name;
        int32_t np = SL_MAX(lt->Partitions.count, 0);
        rt->Partitions.items = sl_arena_calloc(arena, (size_t)np + 1, sizeof *rt->Partitions.items);
        if (!rt->Partitions.items)
            goto nomem;
        rt->Partitions.count = np;
        sl_topic_t *topic = lt->Name.len > 0 ? sl_broker_topic_get(broker, lt->Name.ptr, (size_t)lt->Name.len) : NULL;
        for (int32_t j = 0; j < np; j++) {
            const sl_ListOffsetsRequest_ListOffsetsPartition_t *lp = &lt->Partitions.items[j];
            resp_part_t *rp = &rt->Partitions.items[j];
            sl_ListOffsetsResponse_ListOffsetsPartitionResponse_init(rp);
            rp->PartitionIndex = lp->PartitionIndex;
            sl_partition_t *part = topic ? sl_topic_partition(broker, topic, lp->PartitionIndex) : NULL;
            int64_t offset = -1, timestamp = -1;
            sl_err_t err;
            if (dup[k++])
                err = SL_ERR_INVALID_REQUEST;
            else if (!part)
                err = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            else if (version >= 4 && lp->CurrentLeaderEpoch > 0) /* leader epoch is always 0 here */
                err = SL_ERR_UNKNOWN_LEADER_EPOCH;
            else
                err = lookup(part, version, version >= 2 && lreq->IsolationLevel == 1, lp->Timestamp, &offset,
                             &timestamp);
            rp->ErrorCode = (int16_t)err;
            /* Fields a version lacks must keep their defaults to encode. */
            if (version >= 1) {
                rp->Offset = offset;
                rp->Timestamp = timestamp;
            }
            if (version >= 4)
                rp->LeaderEpoch = err == SL_OK && offset >= 0 ? 0 : -1;
            if (version == 0 && err == SL_OK) {
                bool one = offset >= 0 && lp->MaxNumOffsets > 0;
                int64_t *offs = sl_arena_alloc(arena, sizeof *offs);
                if (!offs) {
                    sl_topic_unref(topic);
                    goto nomem;
                }
                *offs = offset;
                rp->OldStyleOffsets.count = one ? 1 : 0;
                rp->OldStyleOffsets.items = offs;
            }
        }
        sl_topic_unref(topic);
    }
    sl_broker_req_reply(req, &resp);
    return;
nomem:
    sl_broker_req_close(req, "no memory for the ListOffsets response (arena limit)");
}
