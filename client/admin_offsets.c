/*
 * admin_offsets.c - ListOffsets and DeleteRecords: both go to each
 * partition's leader, so a call first asks Metadata for the leaders of the
 * partitions still pending, then sends one request per leader. Partitions
 * answered with a retriable error (leader moved, no leader yet) stay
 * pending and the call starts over after the backoff; the others are done.
 */
#include <stdlib.h>
#include <string.h>

#include "admin_int.h"

typedef enum { OFFS_LIST, OFFS_DELETE } offs_kind_t;

typedef struct offs_op {
    offs_kind_t kind;
    sl_tp_offset_t *parts;
    size_t n;
    bool read_committed;
    bool *done;
    int32_t *leader;          /* per part, from the last Metadata */
    int64_t *want;            /* per part, the offset asked for */
} offs_op_t;

static const char *offs_what(const offs_op_t *op)
{
    return op->kind == OFFS_LIST ? "ListOffsets" : "DeleteRecords";
}

/* The part of op matching topic/partition that is still pending, or -1. */
static ssize_t offs_find(const offs_op_t *op, sl_kstr_t topic, int32_t partition)
{
    for (size_t i = 0; i < op->n; i++)
        if (!op->done[i] && op->parts[i].partition == partition && sl_kstr_eq(topic, op->parts[i].topic))
            return (ssize_t)i;
    return -1;
}

static void offs_part_result(sl_adm_job_t *job, offs_op_t *op, ssize_t i, sl_err_t err, int64_t offset)
{
    if (i < 0)
        return;
    if (err && (sl_cl_err_retriable(err) && err != SL_ERR_UNKNOWN_TOPIC_OR_PARTITION)) {
        sl_cl_metadata_refresh(job->cl);
        sl_adm_fail(job, err, offs_what(op));
        return;
    }
    op->parts[i].err = err;
    op->parts[i].offset = err ? -1 : offset;
    op->done[i] = true;
}

static void list_resp(sl_adm_job_t *job, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(arg);
    offs_op_t *op = job->op;
    if (err) {
        sl_adm_fail(job, err, "ListOffsets");
        return;
    }
    const sl_ListOffsetsResponse_t *r = resp;
    for (int32_t t = 0; t < r->Topics.count; t++) {
        const sl_ListOffsetsResponse_ListOffsetsTopicResponse_t *tr = &r->Topics.items[t];
        for (int32_t p = 0; p < tr->Partitions.count; p++) {
            const sl_ListOffsetsResponse_ListOffsetsPartitionResponse_t *pr = &tr->Partitions.items[p];
            int64_t off = pr->Offset;
            if (version == 0)
                off = pr->OldStyleOffsets.count > 0 ? pr->OldStyleOffsets.items[0] : -1;
            offs_part_result(job, op, offs_find(op, tr->Name, pr->PartitionIndex), (sl_err_t)pr->ErrorCode,
                             off);
        }
    }
}

static void delete_resp(sl_adm_job_t *job, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(version);
    SL_UNUSED(arg);
    offs_op_t *op = job->op;
    if (err) {
        sl_adm_fail(job, err, "DeleteRecords");
        return;
    }
    const sl_DeleteRecordsResponse_t *r = resp;
    for (int32_t t = 0; t < r->Topics.count; t++) {
        const sl_DeleteRecordsResponse_DeleteRecordsTopicResult_t *tr = &r->Topics.items[t];
        for (int32_t p = 0; p < tr->Partitions.count; p++) {
            const sl_DeleteRecordsResponse_DeleteRecordsPartitionResult_t *pr = &tr->Partitions.items[p];
            offs_part_result(job, op, offs_find(op, tr->Name, pr->PartitionIndex), (sl_err_t)pr->ErrorCode,
                             pr->LowWatermark);
        }
    }
}

/* One request to leader for the pending parts it leads. */
static void offs_send(sl_adm_job_t *job, int32_t leader)
{
    offs_op_t *op = job->op;
    size_t *idx = sl_adm_scratch(job, op->n, sizeof *idx);
    const char **topics = sl_adm_scratch(job, op->n, sizeof *topics);
    if (!idx || !topics)
        return;
    size_t k = 0, nt = 0;
    for (size_t i = 0; i < op->n; i++) {
        if (op->done[i] || op->leader[i] != leader)
            continue;
        idx[k++] = i;
        size_t t = 0;
        while (t < nt && strcmp(topics[t], op->parts[i].topic) != 0)
            t++;
        if (t == nt)
            topics[nt++] = op->parts[i].topic;
    }
    if (op->kind == OFFS_LIST) {
        sl_ListOffsetsRequest_t *req = sl_adm_scratch(job, 1, sizeof *req);
        sl_ListOffsetsRequest_ListOffsetsTopic_t *ts = sl_adm_scratch(job, nt, sizeof *ts);
        if (!req || !ts)
            return;
        sl_ListOffsetsRequest_init(req);
        req->IsolationLevel = op->read_committed ? 1 : 0;
        for (size_t t = 0; t < nt; t++) {
            sl_ListOffsetsRequest_ListOffsetsTopic_init(&ts[t]);
            ts[t].Name = sl_kstr(topics[t]);
            ts[t].Partitions.items = sl_adm_scratch(job, k, sizeof *ts[t].Partitions.items);
            if (!ts[t].Partitions.items)
                return;
            for (size_t j = 0; j < k; j++) {
                const sl_tp_offset_t *p = &op->parts[idx[j]];
                if (strcmp(p->topic, topics[t]) != 0)
                    continue;
                sl_ListOffsetsRequest_ListOffsetsPartition_t *lp = &ts[t].Partitions.items[ts[t].Partitions.count++];
                sl_ListOffsetsRequest_ListOffsetsPartition_init(lp);
                lp->PartitionIndex = p->partition;
                lp->Timestamp = op->want[idx[j]];
            }
        }
        req->Topics.items = ts;
        req->Topics.count = (int32_t)nt;
        sl_adm_send(job, sl_ListOffsetsRequest_desc.api_key, op->read_committed ? 2 : 1, req, leader, list_resp,
                    NULL);
        return;
    }
    sl_DeleteRecordsRequest_t *req = sl_adm_scratch(job, 1, sizeof *req);
    sl_DeleteRecordsRequest_DeleteRecordsTopic_t *ts = sl_adm_scratch(job, nt, sizeof *ts);
    if (!req || !ts)
        return;
    sl_DeleteRecordsRequest_init(req);
    for (size_t t = 0; t < nt; t++) {
        sl_DeleteRecordsRequest_DeleteRecordsTopic_init(&ts[t]);
        ts[t].Name = sl_kstr(topics[t]);
        ts[t].Partitions.items = sl_adm_scratch(job, k, sizeof *ts[t].Partitions.items);
        if (!ts[t].Partitions.items)
            return;
        for (size_t j = 0; j < k; j++) {
            const sl_tp_offset_t *p = &op->parts[idx[j]];
            if (strcmp(p->topic, topics[t]) != 0)
                continue;
            sl_DeleteRecordsRequest_DeleteRecordsPartition_t *dp = &ts[t].Partitions.items[ts[t].Partitions.count++];
            dp->PartitionIndex = p->partition;
            dp->Offset = op->want[idx[j]];
        }
    }
    req->Topics.items = ts;
    req->Topics.count = (int32_t)nt;
    int64_t left = job->deadline - sl_time_mono_ms();
    req->TimeoutMs = left < 1 ? 1 : (int32_t)SL_MIN(left, INT32_MAX);
    sl_adm_send(job, sl_DeleteRecordsRequest_desc.api_key, 0, req, leader, delete_resp, NULL);
}

static void leaders_resp(sl_adm_job_t *job, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(version);
    SL_UNUSED(arg);
    offs_op_t *op = job->op;
    if (err) {
        sl_adm_fail(job, err, "Metadata (to find the leaders)");
        return;
    }
    const sl_MetadataResponse_t *m = resp;
    for (size_t i = 0; i < op->n; i++) {
        if (op->done[i])
            continue;
        op->leader[i] = -1;
        sl_err_t perr = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        for (int32_t t = 0; t < m->Topics.count; t++) {
            const sl_MetadataResponse_MetadataResponseTopic_t *mt = &m->Topics.items[t];
            if (!sl_kstr_eq(mt->Name, op->parts[i].topic))
                continue;
            if (mt->ErrorCode) {
                perr = (sl_err_t)mt->ErrorCode;
                break;
            }
            for (int32_t p = 0; p < mt->Partitions.count; p++)
                if (mt->Partitions.items[p].PartitionIndex == op->parts[i].partition) {
                    perr = (sl_err_t)mt->Partitions.items[p].ErrorCode;
                    op->leader[i] = mt->Partitions.items[p].LeaderId;
                }
            break;
        }
        if (perr == SL_ERR_UNKNOWN_TOPIC_OR_PARTITION || (perr && !sl_cl_err_retriable(perr))) {
            op->parts[i].err = perr;
            op->parts[i].offset = -1;
            op->done[i] = true;
        } else if (perr || op->leader[i] < 0) {
            op->leader[i] = -1;
            sl_adm_fail(job, perr ? perr : SL_ERR_LEADER_NOT_AVAILABLE, "Metadata (to find the leaders)");
        }
    }
    /* One request per distinct leader. */
    for (size_t i = 0; i < op->n; i++) {
        if (op->done[i] || op->leader[i] < 0)
            continue;
        bool first = true;
        for (size_t j = 0; j < i && first; j++)
            first = op->done[j] || op->leader[j] != op->leader[i];
        if (first)
            offs_send(job, op->leader[i]);
    }
}

static void offs_start(sl_adm_job_t *job)
{
    offs_op_t *op = job->op;
    const char **topics;
    size_t nt, *topic_of;
    if (sl_adm_group_topics(job, op->parts, op->n, &topics, &nt, &topic_of))
        return;
    sl_adm_metadata(job, false, topics, nt, leaders_resp, NULL);
}

static sl_err_t offs_run(sl_admin_t *a, offs_kind_t kind, sl_tp_offset_t *parts, size_t n, bool read_committed,
                         int timeout_ms)
{
    if (n && !parts)
        return SL_ERR_INVAL;
    for (size_t i = 0; i < n; i++)
        if (!parts[i].topic || parts[i].partition < 0)
            return SL_ERR_INVAL;
    if (!n)
        return SL_OK;
    bool *done = calloc(n, sizeof *done);
    int32_t *leader = calloc(n, sizeof *leader);
    int64_t *want = calloc(n, sizeof *want);
    sl_err_t err = SL_ERR_NOMEM;
    if (done && leader && want) {
        for (size_t i = 0; i < n; i++) {
            want[i] = parts[i].offset;
            parts[i].err = SL_ERR_REQUEST_TIMED_OUT;
        }
        offs_op_t op = {kind, parts, n, read_committed, done, leader, want};
        err = sl_adm_run(a, timeout_ms, offs_start, &op, NULL);
        /* Parts not answered keep the offset they were given. */
        for (size_t i = 0; i < n; i++)
            if (!done[i])
                parts[i].offset = want[i];
    }
    free(done);
    free(leader);
    free(want);
    return err;
}

sl_err_t sl_admin_list_offsets(sl_admin_t *a, sl_tp_offset_t *parts, size_t n, bool read_committed,
                               int timeout_ms)
{
    return offs_run(a, OFFS_LIST, parts, n, read_committed, timeout_ms);
}

sl_err_t sl_admin_delete_records(sl_admin_t *a, sl_tp_offset_t *parts, size_t n, int timeout_ms)
{
    return offs_run(a, OFFS_DELETE, parts, n, false, timeout_ms);
}
