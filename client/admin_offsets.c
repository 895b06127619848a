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
    if (sl_adm_resp_failed(job, err, "ListOffsets"))
        return;
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
    if (sl_adm_resp_failed(job, err, "DeleteRecords"))
        return;
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

/* The pending parts led by leader, grouped by topic: topics[0..nt) the
 * distinct names, parts[t][0..count[t]) the indices into op->parts of
 * topic t's parts. All in scratch. */
typedef struct offs_batch {
    const char **topics;
    size_t nt;
    size_t **parts;
    size_t *count;
} offs_batch_t;

static bool offs_batch(sl_adm_job_t *job, const offs_op_t *op, int32_t leader, offs_batch_t *b)
{
    size_t *topic_of = sl_adm_scratch(job, op->n, sizeof *topic_of);
    size_t *flat = sl_adm_scratch(job, op->n, sizeof *flat);
    b->topics = sl_adm_scratch(job, op->n, sizeof *b->topics);
    b->parts = sl_adm_scratch(job, op->n, sizeof *b->parts);
    b->count = sl_adm_scratch(job, op->n, sizeof *b->count);
    if (!topic_of || !flat || !b->topics || !b->parts || !b->count)
        return false;
    b->nt = 0;
    for (size_t i = 0; i < op->n; i++) {
        if (op->done[i] || op->leader[i] != leader)
            continue;
        size_t t = 0;
        while (t < b->nt && strcmp(b->topics[t], op->parts[i].topic) != 0)
            t++;
        if (t == b->nt)
            b->topics[b->nt++] = op->parts[i].topic;
        topic_of[i] = t;
        b->count[t]++;
    }
    /* Each topic's indices take the next count[t] slots of flat. */
    for (size_t t = 0, at = 0; t < b->nt; at += b->count[t], t++) {
        b->parts[t] = flat + at;
        b->count[t] = 0;
    }
    for (size_t i = 0; i < op->n; i++)
        if (!op->done[i] && op->leader[i] == leader)
            b->parts[topic_of[i]][b->count[topic_of[i]]++] = i;
    return true;
}

static void list_send(sl_adm_job_t *job, const offs_op_t *op, int32_t leader, const offs_batch_t *b)
{
    sl_ListOffsetsRequest_t *req = sl_adm_scratch(job, 1, sizeof *req);
    sl_ListOffsetsRequest_ListOffsetsTopic_t *ts = sl_adm_scratch(job, b->nt, sizeof *ts);
    if (!req || !ts)
        return;
    sl_ListOffsetsRequest_init(req);
    req->IsolationLevel = op->read_committed ? 1 : 0;
    for (size_t t = 0; t < b->nt; t++) {
        sl_ListOffsetsRequest_ListOffsetsTopic_init(&ts[t]);
        ts[t].Name = sl_kstr(b->topics[t]);
        sl_ListOffsetsRequest_ListOffsetsPartition_t *lp = sl_adm_scratch(job, b->count[t], sizeof *lp);
        if (!lp)
            return;
        for (size_t j = 0; j < b->count[t]; j++) {
            sl_ListOffsetsRequest_ListOffsetsPartition_init(&lp[j]);
            lp[j].PartitionIndex = op->parts[b->parts[t][j]].partition;
            lp[j].Timestamp = op->want[b->parts[t][j]];
        }
        ts[t].Partitions.items = lp;
        ts[t].Partitions.count = (int32_t)b->count[t];
    }
    req->Topics.items = ts;
    req->Topics.count = (int32_t)b->nt;
    sl_adm_send(job, sl_ListOffsetsRequest_desc.api_key, op->read_committed ? 2 : 1, req, leader, list_resp,
                NULL);
}

static void delete_send(sl_adm_job_t *job, const offs_op_t *op, int32_t leader, const offs_batch_t *b)
{
    sl_DeleteRecordsRequest_t *req = sl_adm_scratch(job, 1, sizeof *req);
    sl_DeleteRecordsRequest_DeleteRecordsTopic_t *ts = sl_adm_scratch(job, b->nt, sizeof *ts);
    if (!req || !ts)
        return;
    sl_DeleteRecordsRequest_init(req);
    for (size_t t = 0; t < b->nt; t++) {
        sl_DeleteRecordsRequest_DeleteRecordsTopic_init(&ts[t]);
        ts[t].Name = sl_kstr(b->topics[t]);
        sl_DeleteRecordsRequest_DeleteRecordsPartition_t *dp = sl_adm_scratch(job, b->count[t], sizeof *dp);
        if (!dp)
            return;
        for (size_t j = 0; j < b->count[t]; j++) {
            dp[j].PartitionIndex = op->parts[b->parts[t][j]].partition;
            dp[j].Offset = op->want[b->parts[t][j]];
        }
        ts[t].Partitions.items = dp;
        ts[t].Partitions.count = (int32_t)b->count[t];
    }
    req->Topics.items = ts;
    req->Topics.count = (int32_t)b->nt;
    req->TimeoutMs = sl_adm_time_left_ms(job);
    sl_adm_send(job, sl_DeleteRecordsRequest_desc.api_key, 0, req, leader, delete_resp, NULL);
}

/* One request to leader for the pending parts it leads. */
static void offs_send(sl_adm_job_t *job, int32_t leader)
{
    const offs_op_t *op = job->op;
    offs_batch_t b;
    if (!offs_batch(job, op, leader, &b))
        return;
    if (op->kind == OFFS_LIST)
        list_send(job, op, leader, &b);
    else
        delete_send(job, op, leader, &b);
}

static void leaders_resp(sl_adm_job_t *job, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(version);
    SL_UNUSED(arg);
    offs_op_t *op = job->op;
    if (sl_adm_resp_failed(job, err, "Metadata (to find the leaders)"))
        return;
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
