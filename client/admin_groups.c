#include <stdio.h>
/*
 * admin_groups.c - the group calls: ListGroups on every broker (each
 * broker coordinates its own groups), and DescribeGroups, DeleteGroups,
 * OffsetFetch and OffsetCommit at each group's coordinator. A coordinator
 * that moved or is loading is forgotten and asked for again after the
 * backoff; groups already answered are not asked twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin_int.h"
#include "assignor.h"

typedef struct group_op group_op_t;
/* Sends the op's request about group i to node. */
typedef void group_send_fn(sl_adm_job_t *job, size_t i, int32_t node);

struct group_op {
    const char *const *ids;
    size_t n;
    bool *done;
    group_send_fn *send;
    sl_group_desc_t *descs;      /* describe */
    sl_err_t *errs;              /* delete */
    sl_tp_offset_t *parts;       /* commit: in; fetch: out */
    size_t nparts;
};

/* Coordinator trouble: forget it and try again. Returns true then. */
static bool coord_retry(sl_adm_job_t *job, const char *group, sl_err_t err, const char *what)
{
    if (err != SL_ERR_NOT_COORDINATOR && err != SL_ERR_COORDINATOR_NOT_AVAILABLE &&
        err != SL_ERR_COORDINATOR_LOAD_IN_PROGRESS)
        return false;
    sl_cl_coord_forget(job->cl, 0, group);
    sl_adm_fail(job, err, what);
    return true;
}

static void on_group_coord(sl_adm_job_t *job, sl_err_t err, int32_t node, void *arg)
{
    group_op_t *op = job->op;
    size_t i = (size_t)(uintptr_t)arg;
    if (err) {
        char what[320];
        snprintf(what, sizeof what, "FindCoordinator of group %s", op->ids[i]);
        sl_adm_fail(job, err, what);
        return;
    }
    op->send(job, i, node);
}

static void groups_start(sl_adm_job_t *job)
{
    group_op_t *op = job->op;
    for (size_t i = 0; i < op->n; i++)
        if (!op->done[i])
            sl_adm_coord(job, op->ids[i], on_group_coord, (void *)(uintptr_t)i);
}

static sl_err_t groups_run(sl_admin_t *a, group_op_t *op, sl_arena_t *arena, int timeout_ms)
{
    if (op->n && !op->ids)
        return SL_ERR_INVAL;
    for (size_t i = 0; i < op->n; i++)
        if (!op->ids[i])
            return SL_ERR_INVAL;
    op->done = calloc(op->n ? op->n : 1, sizeof *op->done);
    if (!op->done)
        return SL_ERR_NOMEM;
    sl_err_t err = op->n ? sl_adm_run(a, timeout_ms, groups_start, op, arena) : SL_OK;
    free(op->done);
    return err;
}

/* ---- describe ---------------------------------------------------------------- */

sl_err_t sl_adm_decode_assignment(const uint8_t *p, int32_t len, sl_arena_t *arena, sl_tp_offset_t **out,
                                  size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!p || len <= 0)
        return SL_OK;
    sl_asg_assignment_t as;
    sl_err_t err = sl_asg_assignment_decode(p, (size_t)len, arena, &as);
    if (err)
        return err;
    sl_tp_offset_t *tp = sl_arena_calloc(arena, as.count ? as.count : 1, sizeof *tp);
    if (!tp)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < as.count; i++) {
        tp[i].topic = as.parts[i].topic;
        tp[i].partition = as.parts[i].partition;
        tp[i].offset = SL_OFFSET_INVALID;
        tp[i].leader_epoch = -1;
    }
    *out = tp;
    *n = as.count;
    return SL_OK;
}

static void describe_fill(sl_adm_job_t *job, const sl_DescribeGroupsResponse_DescribedGroup_t *g,
                          sl_group_desc_t *d)
{
    d->err = (sl_err_t)g->ErrorCode;
    d->state = sl_adm_str(job, g->GroupState, true);
    d->protocol_type = sl_adm_str(job, g->ProtocolType, true);
    d->protocol = sl_adm_str(job, g->ProtocolData, true);
    size_t n = g->Members.count > 0 ? (size_t)g->Members.count : 0;
    d->members = sl_adm_result(job, n, sizeof *d->members);
    if (!d->members)
        return;
    bool consumer = sl_kstr_eq(g->ProtocolType, "consumer");
    for (size_t i = 0; i < n; i++) {
        const sl_DescribeGroupsResponse_DescribedGroupMember_t *m = &g->Members.items[i];
        sl_member_desc_t *o = &d->members[i];
        o->member_id = sl_adm_str(job, m->MemberId, true);
        o->group_instance_id = sl_adm_str(job, m->GroupInstanceId, false);
        o->client_id = sl_adm_str(job, m->ClientId, true);
        o->host = sl_adm_str(job, m->ClientHost, true);
        /* Another protocol's bytes (or a malformed assignment) leave the
         * member without a decoded assignment; the call still succeeds. */
        if (consumer &&
            sl_adm_decode_assignment(m->MemberAssignment.ptr, m->MemberAssignment.len, job->arena,
                                     &o->assignment, &o->assignment_count) != SL_OK) {
            SL_WARN("client", "group %s member %s: undecodable assignment", d->group_id, o->member_id);
            o->assignment = NULL;
            o->assignment_count = 0;
        }
    }
    d->member_count = n;
}

static void describe_resp(sl_adm_job_t *job, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(version);
    group_op_t *op = job->op;
    size_t i = (size_t)(uintptr_t)arg;
    char what[320];
    snprintf(what, sizeof what, "DescribeGroups of %s", op->ids[i]);
    if (sl_adm_resp_failed(job, err, what))
        return;
    const sl_DescribeGroupsResponse_t *r = resp;
    for (int32_t g = 0; g < r->Groups.count; g++) {
        const sl_DescribeGroupsResponse_DescribedGroup_t *dg = &r->Groups.items[g];
        if (!sl_kstr_eq(dg->GroupId, op->ids[i]))
            continue;
        if (coord_retry(job, op->ids[i], (sl_err_t)dg->ErrorCode, what))
            return;
        describe_fill(job, dg, &op->descs[i]);
        op->done[i] = true;
        return;
    }
}

static void describe_send(sl_adm_job_t *job, size_t i, int32_t node)
{
    group_op_t *op = job->op;
    op->descs[i].coordinator = node;
    sl_DescribeGroupsRequest_t *req = sl_adm_scratch(job, 1, sizeof *req);
    sl_kstr_t *ids = sl_adm_scratch(job, 1, sizeof *ids);
    if (!req || !ids)
        return;
    sl_DescribeGroupsRequest_init(req);
    ids[0] = sl_kstr(op->ids[i]);
    req->Groups.items = ids;
    req->Groups.count = 1;
    sl_adm_send(job, sl_DescribeGroupsRequest_desc.api_key, 0, req, node, describe_resp, (void *)(uintptr_t)i);
}

sl_err_t sl_admin_describe_groups(sl_admin_t *a, const char *const *ids, size_t n, sl_arena_t *arena,
                                  sl_group_desc_t **out, int timeout_ms)
{
    if (!arena || !out)
        return SL_ERR_INVAL;
    *out = NULL;
    group_op_t op = {.ids = ids, .n = n, .send = describe_send};
    op.descs = sl_arena_calloc(arena, n ? n : 1, sizeof *op.descs);
    if (!op.descs)
        return SL_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        op.descs[i].group_id = ids ? ids[i] : NULL;
        op.descs[i].state = op.descs[i].protocol_type = op.descs[i].protocol = "";
        op.descs[i].coordinator = -1;
        op.descs[i].err = SL_ERR_REQUEST_TIMED_OUT;
    }
    sl_err_t err = groups_run(a, &op, arena, timeout_ms);
    if (err)
        return err;
    *out = op.descs;
    return SL_OK;
}

/* ---- delete ------------------------------------------------------------------ */

static void delete_resp(sl_adm_job_t *job, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(version);
    group_op_t *op = job->op;
    size_t i = (size_t)(uintptr_t)arg;
    char what[320];
    snprintf(what, sizeof what, "DeleteGroups of %s", op->ids[i]);
    if (sl_adm_resp_failed(job, err, what))
        return;
    const sl_DeleteGroupsResponse_t *r = resp;
    for (int32_t g = 0; g < r->Results.count; g++) {
        if (!sl_kstr_eq(r->Results.items[g].GroupId, op->ids[i]))
            continue;
        if (coord_retry(job, op->ids[i], (sl_err_t)r->Results.items[g].ErrorCode, what))
            return;
        op->errs[i] = (sl_err_t)r->Results.items[g].ErrorCode;
        op->done[i] = true;
        return;
    }
}

static void delete_send(sl_adm_job_t *job, size_t i, int32_t node)
{
    group_op_t *op = job->op;
    sl_DeleteGroupsRequest_t *req = sl_adm_scratch(job, 1, sizeof *req);
    sl_kstr_t *ids = sl_adm_scratch(job, 1, sizeof *ids);
    if (!req || !ids)
        return;
    sl_DeleteGroupsRequest_init(req);
    ids[0] = sl_kstr(op->ids[i]);
    req->GroupsNames.items = ids;
    req->GroupsNames.count = 1;
    sl_adm_send(job, sl_DeleteGroupsRequest_desc.api_key, 0, req, node, delete_resp, (void *)(uintptr_t)i);
}

sl_err_t sl_admin_delete_groups(sl_admin_t *a, const char *const *ids, size_t n, sl_err_t *errs,
                                int timeout_ms)
{
    if (n && !errs)
        return SL_ERR_INVAL;
    for (size_t i = 0; i < n; i++)
        errs[i] = SL_ERR_REQUEST_TIMED_OUT;
    group_op_t op = {.ids = ids, .n = n, .send = delete_send, .errs = errs};
    return groups_run(a, &op, NULL, timeout_ms);
}

/* ---- committed offsets ------------------------------------------------------ */

/* v8 asks by group (Groups[]); earlier versions by GroupId. */
static void fetch_prepare(void *body, int16_t version, void *arg)
{
    SL_UNUSED(arg);
    sl_OffsetFetchRequest_t *req = body;
    if (version >= 8) {
        req->GroupId = sl_kstr("");
        req->Topics.count = 0;
        req->Topics.items = NULL;
    } else {
        req->Groups.count = 0;
        req->Topics.count = -1;
        req->Topics.items = NULL;
    }
}

static void fetch_part(sl_adm_job_t *job, const char *topic, int32_t partition, int64_t offset, int32_t epoch,
                       sl_kstr_t metadata, int16_t err, sl_tp_offset_t *o)
{
    o->topic = topic;
    o->partition = partition;
    o->offset = offset < 0 ? SL_OFFSET_INVALID : offset;
    o->leader_epoch = epoch;
    o->metadata = sl_adm_str(job, metadata, false);
    o->err = (sl_err_t)err;
}

static void fetch_resp(sl_adm_job_t *job, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(arg);
    group_op_t *op = job->op;
    char what[320];
    snprintf(what, sizeof what, "OffsetFetch of %s", op->ids[0]);
    if (sl_adm_resp_failed(job, err, what))
        return;
    const sl_OffsetFetchResponse_t *r = resp;
    size_t total = 0;
    if (version >= 8) {
        if (r->Groups.count < 1) {
            sl_adm_set_err(job, SL_ERR_PARSE, what);
            return;
        }
        const sl_OffsetFetchResponse_OffsetFetchResponseGroup_t *g = &r->Groups.items[0];
        if (coord_retry(job, op->ids[0], (sl_err_t)g->ErrorCode, what))
            return;
        if (g->ErrorCode) {
            sl_adm_set_err(job, (sl_err_t)g->ErrorCode, what);
            return;
        }
        for (int32_t t = 0; t < g->Topics.count; t++)
            total += g->Topics.items[t].Partitions.count > 0 ? (size_t)g->Topics.items[t].Partitions.count : 0;
        op->parts = sl_adm_result(job, total, sizeof *op->parts);
        if (!op->parts)
            return;
        size_t k = 0;
        for (int32_t t = 0; t < g->Topics.count; t++) {
            const sl_OffsetFetchResponse_OffsetFetchResponseTopics_t *tt = &g->Topics.items[t];
            const char *topic = sl_adm_str(job, tt->Name, true);
            for (int32_t p = 0; p < tt->Partitions.count; p++) {
                const sl_OffsetFetchResponse_OffsetFetchResponsePartitions_t *pp = &tt->Partitions.items[p];
                fetch_part(job, topic, pp->PartitionIndex, pp->CommittedOffset, pp->CommittedLeaderEpoch,
                           pp->Metadata, pp->ErrorCode, &op->parts[k++]);
            }
        }
    } else {
        if (coord_retry(job, op->ids[0], (sl_err_t)r->ErrorCode, what))
            return;
        if (r->ErrorCode) {
            sl_adm_set_err(job, (sl_err_t)r->ErrorCode, what);
            return;
        }
        for (int32_t t = 0; t < r->Topics.count; t++)
            total += r->Topics.items[t].Partitions.count > 0 ? (size_t)r->Topics.items[t].Partitions.count : 0;
        op->parts = sl_adm_result(job, total, sizeof *op->parts);
        if (!op->parts)
            return;
        size_t k = 0;
        for (int32_t t = 0; t < r->Topics.count; t++) {
            const sl_OffsetFetchResponse_OffsetFetchResponseTopic_t *tt = &r->Topics.items[t];
            const char *topic = sl_adm_str(job, tt->Name, true);
            for (int32_t p = 0; p < tt->Partitions.count; p++) {
                const sl_OffsetFetchResponse_OffsetFetchResponsePartition_t *pp = &tt->Partitions.items[p];
                fetch_part(job, topic, pp->PartitionIndex, pp->CommittedOffset, pp->CommittedLeaderEpoch,
                           pp->Metadata, pp->ErrorCode, &op->parts[k++]);
            }
        }
    }
    op->nparts = total;
    op->done[0] = true;
}

static void fetch_send(sl_adm_job_t *job, size_t i, int32_t node)
{
    group_op_t *op = job->op;
    sl_OffsetFetchRequest_t *req = sl_adm_scratch(job, 1, sizeof *req);
    sl_OffsetFetchRequest_OffsetFetchRequestGroup_t *g = sl_adm_scratch(job, 1, sizeof *g);
    if (!req || !g)
        return;
    sl_OffsetFetchRequest_init(req);
    req->GroupId = sl_kstr(op->ids[i]);
    sl_OffsetFetchRequest_OffsetFetchRequestGroup_init(g);
    g->groupId = sl_kstr(op->ids[i]);
    g->Topics.count = -1;
    req->Groups.items = g;
    req->Groups.count = 1;
    sl_adm_send_v(job, sl_OffsetFetchRequest_desc.api_key, 2, req, node, fetch_prepare, fetch_resp, NULL);
}

sl_err_t sl_admin_list_group_offsets(sl_admin_t *a, const char *group, sl_arena_t *arena, sl_tp_offset_t **out,
                                     size_t *n, int timeout_ms)
{
    if (!group || !arena || !out || !n)
        return SL_ERR_INVAL;
    *out = NULL;
    *n = 0;
    const char *ids[1] = {group};
    group_op_t op = {.ids = ids, .n = 1, .send = fetch_send};
    sl_err_t err = groups_run(a, &op, arena, timeout_ms);
    if (err)
        return err;
    *out = op.parts;
    *n = op.nparts;
    return SL_OK;
}

static void commit_resp(sl_adm_job_t *job, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(version);
    SL_UNUSED(arg);
    group_op_t *op = job->op;
    char what[320];
    snprintf(what, sizeof what, "OffsetCommit of %s", op->ids[0]);
    if (sl_adm_resp_failed(job, err, what))
        return;
    const sl_OffsetCommitResponse_t *r = resp;
    for (int32_t t = 0; t < r->Topics.count; t++) {
        const sl_OffsetCommitResponse_OffsetCommitResponseTopic_t *tt = &r->Topics.items[t];
        for (int32_t p = 0; p < tt->Partitions.count; p++) {
            sl_err_t perr = (sl_err_t)tt->Partitions.items[p].ErrorCode;
            if (coord_retry(job, op->ids[0], perr, what))
                return;
            for (size_t i = 0; i < op->nparts; i++)
                if (op->parts[i].partition == tt->Partitions.items[p].PartitionIndex &&
                    sl_kstr_eq(tt->Name, op->parts[i].topic))
                    op->parts[i].err = perr;
        }
    }
    op->done[0] = true;
}

static void commit_send(sl_adm_job_t *job, size_t i, int32_t node)
{
    group_op_t *op = job->op;
    const char **topics;
    size_t nt, *topic_of;
    if (sl_adm_group_topics(job, op->parts, op->nparts, &topics, &nt, &topic_of))
        return;
    sl_OffsetCommitRequest_t *req = sl_adm_scratch(job, 1, sizeof *req);
    sl_OffsetCommitRequest_OffsetCommitRequestTopic_t *ts = sl_adm_scratch(job, nt, sizeof *ts);
    if (!req || !ts)
        return;
    sl_OffsetCommitRequest_init(req);
    req->GroupId = sl_kstr(op->ids[i]);
    req->GenerationId = -1;
    req->MemberId = sl_kstr("");
    for (size_t t = 0; t < nt; t++) {
        sl_OffsetCommitRequest_OffsetCommitRequestTopic_init(&ts[t]);
        ts[t].Name = sl_kstr(topics[t]);
        ts[t].Partitions.items = sl_adm_scratch(job, op->nparts, sizeof *ts[t].Partitions.items);
        if (!ts[t].Partitions.items)
            return;
    }
    for (size_t p = 0; p < op->nparts; p++) {
        sl_OffsetCommitRequest_OffsetCommitRequestTopic_t *tt = &ts[topic_of[p]];
        sl_OffsetCommitRequest_OffsetCommitRequestPartition_t *pp = &tt->Partitions.items[tt->Partitions.count++];
        sl_OffsetCommitRequest_OffsetCommitRequestPartition_init(pp);
        pp->PartitionIndex = op->parts[p].partition;
        pp->CommittedOffset = op->parts[p].offset;
        pp->CommittedLeaderEpoch = op->parts[p].leader_epoch;
        pp->CommittedMetadata = sl_kstr(op->parts[p].metadata ? op->parts[p].metadata : "");
    }
    req->Topics.items = ts;
    req->Topics.count = (int32_t)nt;
    sl_adm_send(job, sl_OffsetCommitRequest_desc.api_key, 2, req, node, commit_resp, NULL);
}

sl_err_t sl_admin_alter_group_offsets(sl_admin_t *a, const char *group, sl_tp_offset_t *parts, size_t n,
                                      int timeout_ms)
{
    if (!group || (n && !parts))
        return SL_ERR_INVAL;
    for (size_t i = 0; i < n; i++) {
        if (!parts[i].topic || parts[i].partition < 0 || parts[i].offset < 0)
            return SL_ERR_INVAL;
        parts[i].err = SL_ERR_REQUEST_TIMED_OUT;
    }
    if (!n)
        return SL_OK;
    const char *ids[1] = {group};
    group_op_t op = {.ids = ids, .n = 1, .send = commit_send, .parts = parts, .nparts = n};
    return groups_run(a, &op, NULL, timeout_ms);
}

/* ---- list (every broker) ----------------------------------------------------- */

typedef struct list_op {
    int32_t *brokers;           /* from Metadata; NULL until known */
    size_t nbrokers;
    bool *done;
    sl_group_listing_t *out;    /* grows as brokers answer */
    size_t n, cap;
} list_op_t;

static void list_resp(sl_adm_job_t *job, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(version);
    list_op_t *op = job->op;
    size_t b = (size_t)(uintptr_t)arg;
    char what[64];
    snprintf(what, sizeof what, "ListGroups on broker %d", (int)op->brokers[b]);
    if (sl_adm_resp_failed(job, err, what))
        return;
    const sl_ListGroupsResponse_t *r = resp;
    if (r->ErrorCode) {
        if (r->ErrorCode == SL_ERR_COORDINATOR_LOAD_IN_PROGRESS || r->ErrorCode == SL_ERR_COORDINATOR_NOT_AVAILABLE)
            sl_adm_fail(job, (sl_err_t)r->ErrorCode, what);
        else
            sl_adm_set_err(job, (sl_err_t)r->ErrorCode, what);
        return;
    }
    size_t add = r->Groups.count > 0 ? (size_t)r->Groups.count : 0;
    if (op->n + add > op->cap) {
        size_t cap = (op->n + add) * 2;
        sl_group_listing_t *grown = sl_adm_result(job, cap, sizeof *grown);
        if (!grown)
            return;
        if (op->n)
            memcpy(grown, op->out, op->n * sizeof *grown);
        op->out = grown;
        op->cap = cap;
    }
    for (size_t i = 0; i < add; i++) {
        const sl_ListGroupsResponse_ListedGroup_t *g = &r->Groups.items[i];
        sl_group_listing_t *o = &op->out[op->n++];
        o->group_id = sl_adm_str(job, g->GroupId, true);
        o->protocol_type = sl_adm_str(job, g->ProtocolType, true);
        o->state = sl_adm_str(job, g->GroupState, true);
    }
    op->done[b] = true;
}

static void list_send_all(sl_adm_job_t *job)
{
    list_op_t *op = job->op;
    for (size_t b = 0; b < op->nbrokers; b++) {
        if (op->done[b])
            continue;
        sl_ListGroupsRequest_t *req = sl_adm_scratch(job, 1, sizeof *req);
        if (!req)
            return;
        sl_ListGroupsRequest_init(req);
        sl_adm_send(job, sl_ListGroupsRequest_desc.api_key, 0, req, op->brokers[b], list_resp, (void *)(uintptr_t)b);
    }
}

static void brokers_resp(sl_adm_job_t *job, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    SL_UNUSED(version);
    SL_UNUSED(arg);
    list_op_t *op = job->op;
    if (sl_adm_resp_failed(job, err, "Metadata (to list the brokers)"))
        return;
    const sl_MetadataResponse_t *m = resp;
    size_t n = m->Brokers.count > 0 ? (size_t)m->Brokers.count : 0;
    op->brokers = sl_adm_scratch(job, n, sizeof *op->brokers);
    op->done = sl_adm_scratch(job, n, sizeof *op->done);
    if (!op->brokers || !op->done)
        return;
    for (size_t i = 0; i < n; i++)
        op->brokers[i] = m->Brokers.items[i].NodeId;
    op->nbrokers = n;
    list_send_all(job);
}

static void list_start(sl_adm_job_t *job)
{
    list_op_t *op = job->op;
    if (op->brokers)
        list_send_all(job);
    else
        sl_adm_metadata(job, false, NULL, 0, brokers_resp, NULL);
}

sl_err_t sl_admin_list_groups(sl_admin_t *a, sl_arena_t *arena, sl_group_listing_t **out, size_t *n,
                              int timeout_ms)
{
    if (!arena || !out || !n)
        return SL_ERR_INVAL;
    *out = NULL;
    *n = 0;
    list_op_t op = {0};
    sl_err_t err = sl_adm_run(a, timeout_ms, list_start, &op, arena);
    if (err)
        return err;
    *out = op.out;
    *n = op.n;
    return SL_OK;
}
