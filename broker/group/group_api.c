/*
 * group_api.c - the group coordinator's member-facing requests: JoinGroup
 * (v0-9), SyncGroup (v0-5), Heartbeat (v0-4), LeaveGroup (v0-5),
 * OffsetCommit (v0-8), TxnOffsetCommit (v0-3) and OffsetFetch (v0-8) over
 * the state machine of group.h and the groups of coord.c.
 *
 * Threads and locks. The coordinator is one per broker (coord.c), opened
 * with the broker and closed with it. coord.mu guards the map of groups
 * (lookups and creation only); each group has its own mutex, grp->mu, that
 * guards its state machine, its offsets and what was last written of it.
 * Writes to __consumer_offsets take the partition's mutex under grp->mu.
 * Lock order:
 *     coord.mu -> grp->mu -> part->mu -> worker->wake_mu
 * (coord.mu is never held while taking grp->mu in practice: a group is
 * found, coord.mu dropped, then grp->mu taken; groups are not freed while
 * the broker is open, so the pointer stays valid.) The loader thread
 * (coord.c) fills the groups of one partition at a time; requests for a
 * group whose partition is not loaded yet answer
 * COORDINATOR_LOAD_IN_PROGRESS and touch nothing.
 *
 * Settings: group.initial.rebalance.delay.ms, group.min.session.timeout.ms,
 * group.max.session.timeout.ms and offset.metadata.max.bytes, from the
 * broker configuration.
 *
 * JoinGroup and SyncGroup that must wait are deferred: their waiter
 * (group.h) lives in the request's arena and is parked on the member. The
 * call that completes it (on any network thread, under grp->mu) wakes the
 * request's own worker with sl_broker_worker_wake, as an append wakes a
 * long-poll Fetch; the request answers from its wake function. Timers are
 * the deferred requests' own: each arms a timer on its worker at the
 * group's next deadline (at most a second away) that runs the group's
 * clock (sl_group_tick) and re-arms; every group request also ticks its
 * group first, so a member that stopped heart-beating is removed at the
 * latest when another member of its group talks to the coordinator.
 *
 * Durable form: Kafka's. Every OffsetCommit appends one record batch
 * (OffsetCommitKey v1 / OffsetCommitValue v3 per partition) to the group's
 * partition of the compacted topic __consumer_offsets before it is
 * answered (page cache, or fsync'ed first when the topic's flush.messages
 * asks, like a produce); a failed append answers the commit with the error
 * Kafka maps it to. Every call that changed a group's state machine
 * releases it with sl_coord_group_release, which writes GroupMetadataKey v2
 * / GroupMetadataValue v3 when the group reached Stable at a new generation
 * or became Empty. The interim offsets file of earlier development builds
 * (<log dir>/.sluice/consumer_offsets) is no longer read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker_int.h"
#include "group.h"
#include "group_int.h"

#define GROUP_LOG "group"
#define GROUP_TICK_MAX_MS 1000

typedef sl_coord_group_t grp_t;

/* The request's group, or NULL with *err (sl_coord_get). */
static grp_t *grp_get(sl_broker_req_t *req, sl_kstr_t id, bool create, int16_t *err)
{
    return sl_coord_get(req->broker, id, create, err);
}

/* ======================================================================
 * Deferred JoinGroup / SyncGroup
 * ====================================================================== */

typedef struct gwait {
    sl_group_waiter_t w;
    sl_broker_worker_t *worker;
    uint64_t req_id;
    grp_t *grp;
    sl_timer_id_t timer;
    void (*answer)(sl_broker_req_t *req, sl_group_waiter_t *w);
} gwait_t;

static void on_notify(sl_group_waiter_t *w)
{
    gwait_t *gw = w->arg;
    sl_broker_worker_wake(gw->worker, gw->req_id);
}

static void gw_stop_timer(sl_broker_req_t *req, gwait_t *gw)
{
    if (gw->timer) {
        sl_loop_timer_cancel(sl_broker_worker_loop(req->worker), gw->timer);
        gw->timer = 0;
    }
}

/* Answers from a done waiter: copies the result out of the request (the
 * reply frees the arena the waiter lives in), replies, frees the result. */
static void gw_finish(sl_broker_req_t *req, gwait_t *gw)
{
    gw_stop_timer(req, gw);
    sl_group_waiter_t w = gw->w;
    gw->answer(req, &w);
    sl_group_waiter_clear(&w);
}

static void gw_arm(sl_broker_req_t *req, gwait_t *gw);

static void gw_check(sl_broker_req_t *req, gwait_t *gw, bool tick)
{
    pthread_mutex_lock(&gw->grp->mu);
    if (tick && !gw->w.done)
        sl_group_tick(gw->grp->g, sl_time_mono_ms());
    bool done = gw->w.done;
    sl_coord_group_release(gw->grp);
    if (done)
        gw_finish(req, gw);
    else if (tick)
        gw_arm(req, gw);
}

static void gw_timeout(sl_loop_t *loop, sl_timer_id_t id, void *arg)
{
    sl_broker_req_t *req = arg;
    gwait_t *gw = req->ctx;
    SL_UNUSED(loop);
    SL_UNUSED(id);
    gw->timer = 0;
    gw_check(req, gw, true);
}

static void gw_arm(sl_broker_req_t *req, gwait_t *gw)
{
    pthread_mutex_lock(&gw->grp->mu);
    int64_t next = sl_group_next_deadline(gw->grp->g);
    pthread_mutex_unlock(&gw->grp->mu);
    int64_t now = sl_time_mono_ms();
    int64_t ms = next == INT64_MAX ? GROUP_TICK_MAX_MS : SL_MAX(1, SL_MIN(next - now + 1, GROUP_TICK_MAX_MS));
    if (sl_loop_timer_add(sl_broker_worker_loop(req->worker), ms, false, gw_timeout, req, &gw->timer) != SL_OK)
        gw->timer = 0; /* the group's other requests still run its clock */
}

static void gw_wake(sl_broker_req_t *req)
{
    gw_check(req, req->ctx, false);
}

static void gw_cancel(sl_broker_req_t *req)
{
    gwait_t *gw = req->ctx;
    gw_stop_timer(req, gw);
    pthread_mutex_lock(&gw->grp->mu);
    sl_group_waiter_detach(&gw->w);
    pthread_mutex_unlock(&gw->grp->mu);
    sl_group_waiter_clear(&gw->w);
}

static gwait_t *gw_new(sl_broker_req_t *req, grp_t *grp, void (*answer)(sl_broker_req_t *, sl_group_waiter_t *))
{
    gwait_t *gw = sl_arena_zalloc(&req->arena, sizeof *gw);
    if (!gw)
        return NULL;
    gw->w.notify = on_notify;
    gw->w.arg = gw;
    gw->worker = req->worker;
    gw->req_id = req->id;
    gw->grp = grp;
    gw->answer = answer;
    return gw;
}

/* After the state machine call: answer now, or defer. */
static void gw_start(sl_broker_req_t *req, gwait_t *gw, bool parked)
{
    if (!parked) {
        gw_finish(req, gw);
        return;
    }
    sl_broker_req_defer(req, gw_cancel, gw_wake, gw);
    gw_arm(req, gw);
}

static sl_kstr_t kstr_or(const char *s, const char *dflt) { return sl_kstr(s ? s : dflt); }

static int16_t wire(int16_t err) { return sl_err_wire(err); }

/* ======================================================================
 * JoinGroup
 * ====================================================================== */

static void join_answer(sl_broker_req_t *req, sl_group_waiter_t *w)
{
    int16_t v = req->hdr.api_version;
    sl_JoinGroupResponse_t resp;
    sl_JoinGroupResponse_init(&resp);
    resp.ErrorCode = wire(w->error);
    resp.GenerationId = w->error ? -1 : w->generation;
    resp.ProtocolType = w->protocol_type ? sl_kstr(w->protocol_type) : sl_kstr_null();
    resp.ProtocolName = w->protocol_name ? sl_kstr(w->protocol_name) : (v >= 7 ? sl_kstr_null() : sl_kstr(""));
    resp.Leader = kstr_or(w->leader, "");
    resp.MemberId = kstr_or(w->member_id, "");
    if (v >= 9)
        resp.SkipAssignment = w->skip_assignment;
    if (w->nmembers > 0) {
        resp.Members.items = sl_arena_calloc(&req->arena, (size_t)w->nmembers, sizeof *resp.Members.items);
        if (!resp.Members.items) {
            sl_broker_req_close(req, "no memory for the JoinGroup response (arena limit)");
            return;
        }
        resp.Members.count = w->nmembers;
        for (int32_t i = 0; i < w->nmembers; i++) {
            sl_JoinGroupResponse_JoinGroupResponseMember_t *m = &resp.Members.items[i];
            sl_JoinGroupResponse_JoinGroupResponseMember_init(m);
            m->MemberId = sl_kstr(w->members[i].member_id);
            m->GroupInstanceId = w->members[i].instance_id ? sl_kstr(w->members[i].instance_id) : sl_kstr_null();
            m->Metadata.ptr = w->members[i].metadata;
            m->Metadata.len = w->members[i].metadata_len;
        }
    }
    sl_broker_req_reply(req, &resp);
}

static void join_error(sl_broker_req_t *req, int16_t error)
{
    sl_group_waiter_t w;
    memset(&w, 0, sizeof w);
    w.error = error;
    join_answer(req, &w);
}

void sl_broker_handle_join_group(sl_broker_req_t *req)
{
    const sl_JoinGroupRequest_t *jreq = req->body;
    int16_t v = req->hdr.api_version;
    if (jreq->GroupId.len <= 0) {
        join_error(req, SL_ERR_INVALID_GROUP_ID);
        return;
    }
    int16_t lerr = 0;
    grp_t *grp = grp_get(req, jreq->GroupId, true, &lerr);
    if (!grp) {
        join_error(req, lerr ? lerr : SL_ERR_COORDINATOR_NOT_AVAILABLE);
        return;
    }
    int32_t np = SL_MAX(jreq->Protocols.count, 0);
    sl_group_protocol_in_t *protos = sl_arena_calloc(&req->arena, (size_t)np + 1, sizeof *protos);
    gwait_t *gw = gw_new(req, grp, join_answer);
    if (!protos || !gw) {
        sl_broker_req_close(req, "no memory for the JoinGroup request (arena limit)");
        return;
    }
    for (int32_t i = 0; i < np; i++) {
        protos[i].name = jreq->Protocols.items[i].Name;
        protos[i].metadata = jreq->Protocols.items[i].Metadata;
    }
    char host[80];
    sl_broker_req_client_host(req, host, sizeof host);
    sl_group_join_args_t a = {
        .member_id = jreq->MemberId,
        .instance_id = jreq->GroupInstanceId,
        .client_id = req->hdr.client_id.len >= 0 ? req->hdr.client_id : sl_kstr(""),
        .client_host = sl_kstr(host),
        .protocol_type = jreq->ProtocolType,
        .session_timeout_ms = jreq->SessionTimeoutMs,
        .rebalance_timeout_ms = jreq->RebalanceTimeoutMs,
        .nprotocols = np,
        .protocols = protos,
        /* v4+ asks a new dynamic member to come back with the id it is given */
        .require_known_member_id = v >= 4 && sl_kstr_is_null(jreq->GroupInstanceId),
    };
    int64_t now = sl_time_mono_ms();
    pthread_mutex_lock(&grp->mu);
    sl_group_tick(grp->g, now);
    bool parked = sl_group_join(grp->g, &a, now, &gw->w);
    sl_coord_group_release(grp);
    gw_start(req, gw, parked);
}

/* ======================================================================
 * SyncGroup
 * ====================================================================== */

static void sync_answer(sl_broker_req_t *req, sl_group_waiter_t *w)
{
    sl_SyncGroupResponse_t resp;
    sl_SyncGroupResponse_init(&resp);
    resp.ErrorCode = wire(w->error);
    resp.ProtocolType = w->protocol_type ? sl_kstr(w->protocol_type) : sl_kstr_null();
    resp.ProtocolName = w->protocol_name ? sl_kstr(w->protocol_name) : sl_kstr_null();
    resp.Assignment.ptr = w->assignment;
    resp.Assignment.len = w->assignment ? w->assignment_len : 0;
    sl_broker_req_reply(req, &resp);
}

void sl_broker_handle_sync_group(sl_broker_req_t *req)
{
    const sl_SyncGroupRequest_t *sreq = req->body;
    int16_t lerr = 0;
    grp_t *grp = sreq->GroupId.len > 0 ? grp_get(req, sreq->GroupId, false, &lerr) : NULL;
    if (!grp) {
        sl_group_waiter_t w;
        memset(&w, 0, sizeof w);
        w.error = lerr ? lerr : sreq->GroupId.len > 0 ? SL_ERR_UNKNOWN_MEMBER_ID : SL_ERR_INVALID_GROUP_ID;
        sync_answer(req, &w);
        return;
    }
    int32_t na = SL_MAX(sreq->Assignments.count, 0);
    sl_group_assign_in_t *as = sl_arena_calloc(&req->arena, (size_t)na + 1, sizeof *as);
    gwait_t *gw = gw_new(req, grp, sync_answer);
    if (!as || !gw) {
        sl_broker_req_close(req, "no memory for the SyncGroup request (arena limit)");
        return;
    }
    for (int32_t i = 0; i < na; i++) {
        as[i].member_id = sreq->Assignments.items[i].MemberId;
        as[i].assignment = sreq->Assignments.items[i].Assignment;
    }
    sl_group_sync_args_t a = {
        .member_id = sreq->MemberId,
        .generation = sreq->GenerationId,
        .protocol_type = sreq->ProtocolType,
        .protocol_name = sreq->ProtocolName,
        .nassignments = na,
        .assignments = as,
    };
    int64_t now = sl_time_mono_ms();
    pthread_mutex_lock(&grp->mu);
    sl_group_tick(grp->g, now);
    int16_t fenced = sl_group_check_instance(grp->g, sreq->MemberId, sreq->GroupInstanceId);
    bool parked = false;
    if (fenced) {
        gw->w.done = true;
        gw->w.error = fenced;
    } else {
        parked = sl_group_sync(grp->g, &a, now, &gw->w);
    }
    sl_coord_group_release(grp);
    gw_start(req, gw, parked);
}

/* ======================================================================
 * Heartbeat, LeaveGroup
 * ====================================================================== */

void sl_broker_handle_heartbeat(sl_broker_req_t *req)
{
    const sl_HeartbeatRequest_t *hreq = req->body;
    sl_HeartbeatResponse_t resp;
    sl_HeartbeatResponse_init(&resp);
    int16_t lerr = 0;
    grp_t *grp = hreq->GroupId.len > 0 ? grp_get(req, hreq->GroupId, false, &lerr) : NULL;
    if (!grp) {
        resp.ErrorCode = lerr ? lerr : hreq->GroupId.len > 0 ? SL_ERR_UNKNOWN_MEMBER_ID : SL_ERR_INVALID_GROUP_ID;
    } else {
        int64_t now = sl_time_mono_ms();
        pthread_mutex_lock(&grp->mu);
        sl_group_tick(grp->g, now);
        resp.ErrorCode = sl_group_check_instance(grp->g, hreq->MemberId, hreq->GroupInstanceId);
        if (!resp.ErrorCode)
            resp.ErrorCode = sl_group_heartbeat(grp->g, hreq->MemberId, hreq->GenerationId, now);
        sl_coord_group_release(grp);
    }
    sl_broker_req_reply(req, &resp);
}

void sl_broker_handle_leave_group(sl_broker_req_t *req)
{
    const sl_LeaveGroupRequest_t *lreq = req->body;
    int16_t v = req->hdr.api_version;
    sl_LeaveGroupResponse_t resp;
    sl_LeaveGroupResponse_init(&resp);
    int16_t lerr = 0;
    grp_t *grp = lreq->GroupId.len > 0 ? grp_get(req, lreq->GroupId, false, &lerr) : NULL;
    int64_t now = sl_time_mono_ms();
    if (lreq->GroupId.len <= 0) {
        resp.ErrorCode = SL_ERR_INVALID_GROUP_ID;
    } else if (lerr) {
        resp.ErrorCode = lerr;
    } else if (v < 3) {
        if (!grp) {
            resp.ErrorCode = SL_ERR_UNKNOWN_MEMBER_ID;
        } else {
            pthread_mutex_lock(&grp->mu);
            sl_group_tick(grp->g, now);
            resp.ErrorCode = sl_group_leave(grp->g, lreq->MemberId, sl_kstr_null(), now);
            sl_coord_group_release(grp);
        }
    } else {
        int32_t n = SL_MAX(lreq->Members.count, 0);
        resp.Members.items = sl_arena_calloc(&req->arena, (size_t)n + 1, sizeof *resp.Members.items);
        if (!resp.Members.items) {
            sl_broker_req_close(req, "no memory for the LeaveGroup response (arena limit)");
            return;
        }
        resp.Members.count = n;
        if (grp) {
            pthread_mutex_lock(&grp->mu);
            sl_group_tick(grp->g, now);
        }
        for (int32_t i = 0; i < n; i++) {
            const sl_LeaveGroupRequest_MemberIdentity_t *mi = &lreq->Members.items[i];
            sl_LeaveGroupResponse_MemberResponse_t *mr = &resp.Members.items[i];
            sl_LeaveGroupResponse_MemberResponse_init(mr);
            mr->MemberId = mi->MemberId;
            mr->GroupInstanceId = mi->GroupInstanceId;
            mr->ErrorCode = grp ? sl_group_leave(grp->g, mi->MemberId, mi->GroupInstanceId, now)
                                : SL_ERR_UNKNOWN_MEMBER_ID;
        }
        if (grp)
            sl_coord_group_release(grp);
    }
    sl_broker_req_reply(req, &resp);
}

/* ======================================================================
 * OffsetCommit
 * ====================================================================== */

/* Does the partition exist? (Kafka refuses commits for unknown ones.) */
static bool partition_exists(sl_broker_t *broker, sl_kstr_t topic, int32_t index)
{
    sl_partition_t *part = NULL;
    if (topic.len <= 0 || sl_broker_partition_get(broker, topic.ptr, (size_t)topic.len, index, &part) != SL_OK)
        return false;
    sl_partition_unref(part);
    return true;
}

/* Gives an OffsetCommit or TxnOffsetCommit answer one entry per topic and
 * partition of the request, in its order, error 0. The two APIs' generated
 * types have the same shape, hence one body stamped out for each. */
#define DEFINE_COMMIT_ANSWER_SHAPE(fn, ReqT, RespT, topic_init, part_init) \
    static bool fn(sl_arena_t *arena, const ReqT *creq, RespT *resp)                                 \
    {                                                                                                \
        int32_t nt = SL_MAX(creq->Topics.count, 0);                                                  \
        resp->Topics.items = sl_arena_calloc(arena, (size_t)nt + 1, sizeof *resp->Topics.items);     \
        if (!resp->Topics.items)                                                                     \
            return false;                                                                            \
        resp->Topics.count = nt;                                                                     \
        for (int32_t i = 0; i < nt; i++) {                                                           \
            __typeof__(&resp->Topics.items[0]) rt = &resp->Topics.items[i];                          \
            topic_init(rt);                                                                          \
            rt->Name = creq->Topics.items[i].Name;                                                   \
            int32_t np = SL_MAX(creq->Topics.items[i].Partitions.count, 0);                          \
            rt->Partitions.items = sl_arena_calloc(arena, (size_t)np + 1, sizeof *rt->Partitions.items); \
            if (!rt->Partitions.items)                                                               \
                return false;                                                                        \
            rt->Partitions.count = np;                                                               \
            for (int32_t j = 0; j < np; j++) {                                                       \
                part_init(&rt->Partitions.items[j]);                                                 \
                rt->Partitions.items[j].PartitionIndex =                                             \
                    creq->Topics.items[i].Partitions.items[j].PartitionIndex;                        \
            }                                                                                        \
        }                                                                                            \
        return true;                                                                                 \
    }

DEFINE_COMMIT_ANSWER_SHAPE(commit_answer_shape, sl_OffsetCommitRequest_t, sl_OffsetCommitResponse_t,
                           sl_OffsetCommitResponse_OffsetCommitResponseTopic_init,
                           sl_OffsetCommitResponse_OffsetCommitResponsePartition_init)
DEFINE_COMMIT_ANSWER_SHAPE(txn_commit_answer_shape, sl_TxnOffsetCommitRequest_t, sl_TxnOffsetCommitResponse_t,
                           sl_TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic_init,
                           sl_TxnOffsetCommitResponse_TxnOffsetCommitResponsePartition_init)

void sl_broker_handle_offset_commit(sl_broker_req_t *req)
{
    const sl_OffsetCommitRequest_t *creq = req->body;
    sl_OffsetCommitResponse_t resp;
    sl_OffsetCommitResponse_init(&resp);
    int32_t nt = SL_MAX(creq->Topics.count, 0);
    if (!commit_answer_shape(&req->arena, creq, &resp))
        goto nomem;

    int16_t group_error = 0;
    grp_t *grp = NULL;
    if (creq->GroupId.len < 0) {
        group_error = SL_ERR_INVALID_GROUP_ID;
    } else {
        int16_t lerr = 0;
        grp = grp_get(req, creq->GroupId, creq->GenerationId < 0, &lerr);
        if (!grp)
            group_error = lerr                     ? lerr
                          : creq->GenerationId < 0 ? SL_ERR_COORDINATOR_NOT_AVAILABLE
                                                   : SL_ERR_ILLEGAL_GENERATION;
    }
    int64_t now = sl_time_mono_ms(), wall = sl_time_wall_ms();
    sl_coord_batch_t recs;
    sl_coord_batch_init(&recs);
    if (grp) {
        pthread_mutex_lock(&grp->mu);
        sl_group_tick(grp->g, now);
        group_error = sl_group_check_instance(grp->g, creq->MemberId, creq->GroupInstanceId);
        if (!group_error)
            group_error = sl_group_commit_check(grp->g, creq->MemberId, creq->GenerationId, now);
    }
    for (int32_t i = 0; i < nt; i++) {
        const sl_OffsetCommitRequest_OffsetCommitRequestTopic_t *t = &creq->Topics.items[i];
        sl_OffsetCommitResponse_OffsetCommitResponseTopic_t *rt = &resp.Topics.items[i];
        for (int32_t j = 0; j < rt->Partitions.count; j++) {
            const sl_OffsetCommitRequest_OffsetCommitRequestPartition_t *p = &t->Partitions.items[j];
            int16_t *err = &rt->Partitions.items[j].ErrorCode;
            if (group_error) {
                *err = group_error;
            } else if (p->CommittedMetadata.len > sl_coord_offset_metadata_max()) {
                *err = SL_ERR_OFFSET_METADATA_TOO_LARGE;
            } else if (!partition_exists(req->broker, t->Name, p->PartitionIndex)) {
                *err = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            } else {
                sl_offset_t o = {
                    .offset = p->CommittedOffset,
                    .leader_epoch = p->CommittedLeaderEpoch,
                    .metadata = sl_kstr_dup(&req->arena, p->CommittedMetadata),
                    .commit_ts = p->CommitTimestamp >= 0 ? p->CommitTimestamp : wall,
                };
                if (!sl_kstr_is_null(p->CommittedMetadata) && !o.metadata)
                    *err = SL_ERR_UNKNOWN_SERVER_ERROR;
                else
                    sl_coord_batch_offset(&recs, creq->GroupId, t->Name, p->PartitionIndex, &o);
            }
        }
    }
    /* Durable first, then visible: a commit answered is in the log. */
    int16_t ferr = grp && !group_error ? sl_coord_group_append(grp, &recs) : 0;
    for (int32_t i = 0; grp && !group_error && i < nt; i++) {
        const sl_OffsetCommitRequest_OffsetCommitRequestTopic_t *t = &creq->Topics.items[i];
        sl_OffsetCommitResponse_OffsetCommitResponseTopic_t *rt = &resp.Topics.items[i];
        for (int32_t j = 0; j < rt->Partitions.count; j++) {
            const sl_OffsetCommitRequest_OffsetCommitRequestPartition_t *p = &t->Partitions.items[j];
            int16_t *err = &rt->Partitions.items[j].ErrorCode;
            if (*err)
                continue;
            if (ferr) {
                *err = ferr;
                continue;
            }
            sl_offset_t o = {
                .offset = p->CommittedOffset,
                .leader_epoch = p->CommittedLeaderEpoch,
                .metadata = sl_kstr_dup(&req->arena, p->CommittedMetadata),
                .commit_ts = p->CommitTimestamp >= 0 ? p->CommitTimestamp : wall,
            };
            o.log_offset = recs.base_offset;
            if (sl_offsets_put(&grp->offsets, t->Name, p->PartitionIndex, &o) != SL_OK)
                *err = SL_ERR_UNKNOWN_SERVER_ERROR;
        }
    }
    if (grp)
        sl_coord_group_release(grp);
    sl_coord_batch_free(&recs);
    sl_broker_req_reply(req, &resp);
    return;
nomem:
    sl_broker_req_close(req, "no memory for the OffsetCommit response (arena limit)");
}

/* ======================================================================
 * TxnOffsetCommit
 * ====================================================================== */

/* The offset a TxnOffsetCommit partition asks for (metadata from arena;
 * NULL metadata when the request's is null or on no memory). */
static sl_offset_t txn_offset(sl_arena_t *arena, const sl_TxnOffsetCommitRequest_TxnOffsetCommitRequestPartition_t *p,
                              int64_t wall)
{
    return (sl_offset_t){
        .offset = p->CommittedOffset,
        .leader_epoch = p->CommittedLeaderEpoch,
        .metadata = sl_kstr_dup(arena, p->CommittedMetadata),
        .commit_ts = wall,
        .log_offset = -1,
    };
}

/* Kafka 3.4: the offsets go to the group's __consumer_offsets partition as
 * one transactional batch of the request's producer, then wait in the
 * group as that producer's pending offsets until its transaction marker
 * lands there (sl_coord_txn_complete). The group is created when missing
 * (Kafka does); a commit by a member of the group (v3) is checked against
 * it (sl_group_txn_commit_check). */
void sl_broker_handle_txn_offset_commit(sl_broker_req_t *req)
{
    const sl_TxnOffsetCommitRequest_t *creq = req->body;
    sl_TxnOffsetCommitResponse_t resp;
    sl_TxnOffsetCommitResponse_init(&resp);
    int32_t nt = SL_MAX(creq->Topics.count, 0);
    if (!txn_commit_answer_shape(&req->arena, creq, &resp))
        goto nomem;

    int16_t group_error = 0;
    grp_t *grp = NULL;
    if (creq->GroupId.len <= 0) {
        group_error = SL_ERR_INVALID_GROUP_ID; /* Kafka: a non-empty id for this API */
    } else if (creq->ProducerId < 0) {
        group_error = SL_ERR_INVALID_PRODUCER_ID_MAPPING;
    } else {
        int16_t lerr = 0;
        grp = grp_get(req, creq->GroupId, true, &lerr);
        if (!grp)
            group_error = lerr ? lerr : SL_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    int64_t wall = sl_time_wall_ms();
    sl_coord_batch_t recs;
    sl_coord_batch_init(&recs);
    recs.producer_id = creq->ProducerId;
    recs.producer_epoch = creq->ProducerEpoch;
    if (grp) {
        pthread_mutex_lock(&grp->mu);
        sl_group_tick(grp->g, sl_time_mono_ms());
        group_error = sl_group_txn_commit_check(grp->g, creq->MemberId, creq->GroupInstanceId, creq->GenerationId);
    }
    for (int32_t i = 0; i < nt; i++) {
        const sl_TxnOffsetCommitRequest_TxnOffsetCommitRequestTopic_t *t = &creq->Topics.items[i];
        sl_TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic_t *rt = &resp.Topics.items[i];
        for (int32_t j = 0; j < rt->Partitions.count; j++) {
            const sl_TxnOffsetCommitRequest_TxnOffsetCommitRequestPartition_t *p = &t->Partitions.items[j];
            int16_t *err = &rt->Partitions.items[j].ErrorCode;
            if (group_error) {
                *err = group_error;
            } else if (!partition_exists(req->broker, t->Name, p->PartitionIndex)) {
                *err = SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            } else if (p->CommittedMetadata.len > sl_coord_offset_metadata_max()) {
                *err = SL_ERR_OFFSET_METADATA_TOO_LARGE;
            } else {
                sl_offset_t o = txn_offset(&req->arena, p, wall);
                if (!sl_kstr_is_null(p->CommittedMetadata) && !o.metadata)
                    *err = SL_ERR_UNKNOWN_SERVER_ERROR;
                else
                    sl_coord_batch_offset(&recs, creq->GroupId, t->Name, p->PartitionIndex, &o);
            }
        }
    }
    /* Durable first, then pending: what is pending is in the log. */
    int16_t ferr = grp && !group_error ? sl_coord_group_append(grp, &recs) : 0;
    for (int32_t i = 0; grp && !group_error && i < nt; i++) {
        const sl_TxnOffsetCommitRequest_TxnOffsetCommitRequestTopic_t *t = &creq->Topics.items[i];
        sl_TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic_t *rt = &resp.Topics.items[i];
        for (int32_t j = 0; j < rt->Partitions.count; j++) {
            const sl_TxnOffsetCommitRequest_TxnOffsetCommitRequestPartition_t *p = &t->Partitions.items[j];
            int16_t *err = &rt->Partitions.items[j].ErrorCode;
            if (*err)
                continue;
            if (ferr) {
                *err = ferr;
                continue;
            }
            sl_offset_t o = txn_offset(&req->arena, p, wall);
            o.log_offset = recs.base_offset;
            if (sl_offsets_pending_put(&grp->pending, creq->ProducerId, t->Name, p->PartitionIndex, &o) != SL_OK)
                *err = SL_ERR_UNKNOWN_SERVER_ERROR;
        }
    }
    if (grp)
        sl_coord_group_release(grp);
    sl_coord_batch_free(&recs);
    sl_broker_req_reply(req, &resp);
    return;
nomem:
    sl_broker_req_close(req, "no memory for the TxnOffsetCommit response (arena limit)");
}

/* ======================================================================
 * OffsetFetch
 * ====================================================================== */

/* One answered partition, in the shape both response layouts share. */
typedef struct fetched {
    sl_kstr_t topic;
    int32_t partition;
    int64_t offset;
    int32_t epoch;
    sl_kstr_t metadata;
    int16_t error;
} fetched_t;

static int fetched_cmp(const void *a, const void *b)
{
    const fetched_t *x = a, *y = b;
    int32_t n = SL_MIN(x->topic.len, y->topic.len);
    int c = n > 0 ? memcmp(x->topic.ptr, y->topic.ptr, (size_t)n) : 0;
    if (c)
        return c;
    if (x->topic.len != y->topic.len)
        return x->topic.len < y->topic.len ? -1 : 1;
    return (x->partition > y->partition) - (x->partition < y->partition);
}

static void fetched_fill(fetched_t *f, sl_arena_t *arena, const sl_offset_t *o)
{
    f->offset = o ? o->offset : -1;
    f->epoch = o ? o->leader_epoch : -1;
    f->metadata = o && o->metadata ? sl_kstr(sl_arena_strndup(arena, o->metadata, strlen(o->metadata)))
                                   : sl_kstr("");
    if (o && o->metadata && !f->metadata.ptr)
        f->metadata = sl_kstr("");
}

/* The offsets asked for one group: topics[ntopics] with their partitions,
 * or every committed offset when all. Returns the list (arena), sorted by
 * topic then partition, in *out; -1 on no memory. *gerr gets the group's
 * error (COORDINATOR_LOAD_IN_PROGRESS...): each asked partition carries it
 * too, and all gives none. With stable (v7+ RequireStable), an asked
 * partition with pending transactional offsets answers
 * UNSTABLE_OFFSET_COMMIT and offset -1 (Kafka's KIP-447; all: not checked,
 * as in Kafka). */
static int32_t fetch_group(sl_broker_req_t *req, sl_kstr_t group, bool all, bool stable, int32_t ntopics,
                           const sl_kstr_t *names, const sl_int32_array_t *parts, fetched_t **out, int16_t *gerr)
{
    *gerr = 0;
    grp_t *grp = group.len >= 0 ? grp_get(req, group, false, gerr) : NULL;
    sl_arena_t *arena = &req->arena;
    int32_t n = 0;
    if (grp)
        pthread_mutex_lock(&grp->mu);
    if (all) {
        size_t cnt = grp ? sl_map_count(&grp->offsets) : 0;
        fetched_t *f = sl_arena_calloc(arena, cnt + 1, sizeof *f);
        if (!f)
            goto nomem;
        size_t it = 0;
        const void *k;
        size_t kl;
        void *v;
        while (grp && sl_map_next(&grp->offsets, &it, &k, &kl, &v)) {
            sl_kstr_t topic;
            sl_offsets_key_split(k, kl, &topic, &f[n].partition);
            f[n].topic = sl_kstr_n(sl_arena_memdup(arena, topic.ptr, (size_t)topic.len + 1), topic.len);
            if (!f[n].topic.ptr)
                goto nomem;
            fetched_fill(&f[n], arena, v);
            n++;
        }
        qsort(f, (size_t)n, sizeof *f, fetched_cmp);
        *out = f;
    } else {
        size_t cnt = 0;
        for (int32_t i = 0; i < ntopics; i++)
            cnt += (size_t)SL_MAX(parts[i].count, 0);
        fetched_t *f = sl_arena_calloc(arena, cnt + 1, sizeof *f);
        if (!f)
            goto nomem;
        for (int32_t i = 0; i < ntopics; i++) {
            for (int32_t j = 0; j < parts[i].count; j++) {
                f[n].topic = names[i];
                f[n].partition = parts[i].items[j];
                bool unstable = grp && stable && sl_offsets_pending_has(&grp->pending, names[i], f[n].partition);
                fetched_fill(&f[n], arena,
                             grp && !unstable ? sl_offsets_get(&grp->offsets, names[i], f[n].partition) : NULL);
                f[n].error = unstable ? SL_ERR_UNSTABLE_OFFSET_COMMIT : *gerr;
                n++;
            }
        }
        *out = f;
    }
    if (grp)
        pthread_mutex_unlock(&grp->mu);
    return n;
nomem:
    if (grp)
        pthread_mutex_unlock(&grp->mu);
    return -1;
}

/* Topics in the order they appear in f (grouped runs). */
static int32_t count_runs(const fetched_t *f, int32_t n)
{
    int32_t runs = 0;
    for (int32_t i = 0; i < n; i++)
        runs += i == 0 || f[i].topic.len != f[i - 1].topic.len ||
                (f[i].topic.len > 0 && memcmp(f[i].topic.ptr, f[i - 1].topic.ptr, (size_t)f[i].topic.len) != 0);
    return runs;
}

static bool same_topic(const fetched_t *a, const fetched_t *b)
{
    return a->topic.len == b->topic.len &&
           (a->topic.len <= 0 || memcmp(a->topic.ptr, b->topic.ptr, (size_t)a->topic.len) == 0);
}

/* Builds a response's topic list from f, grouped by topic. v0-7 and v8
 * use different generated types of the same shape, hence one body for
 * both, stamped out by the macro. */
#define DEFINE_BUILD_TOPICS(fn, ArrT, TopicT, topic_init, PartT, part_init) \
    static bool fn(sl_arena_t *arena, const fetched_t *f, int32_t n, ArrT *topics)                   \
    {                                                                                                \
        int32_t runs = count_runs(f, n);                                                             \
        topics->items = sl_arena_calloc(arena, (size_t)runs + 1, sizeof *topics->items);             \
        if (!topics->items)                                                                          \
            return false;                                                                            \
        topics->count = 0;                                                                           \
        for (int32_t i = 0; i < n;) {                                                                \
            int32_t j = i;                                                                           \
            while (j < n && same_topic(&f[i], &f[j]))                                                \
                j++;                                                                                 \
            TopicT *t = &topics->items[topics->count++];                                             \
            topic_init(t);                                                                           \
            t->Name = f[i].topic;                                                                    \
            t->Partitions.items = sl_arena_calloc(arena, (size_t)(j - i), sizeof *t->Partitions.items); \
            if (!t->Partitions.items)                                                                \
                return false;                                                                        \
            t->Partitions.count = j - i;                                                             \
            for (int32_t k = i; k < j; k++) {                                                        \
                PartT *p = &t->Partitions.items[k - i];                                              \
                part_init(p);                                                                        \
                p->PartitionIndex = f[k].partition;                                                  \
                p->CommittedOffset = f[k].offset;                                                    \
                p->CommittedLeaderEpoch = f[k].epoch;                                                \
                p->Metadata = f[k].metadata;                                                         \
                p->ErrorCode = f[k].error;                                                           \
            }                                                                                        \
            i = j;                                                                                   \
        }                                                                                            \
        return true;                                                                                 \
    }

DEFINE_BUILD_TOPICS(build_v0, sl_OffsetFetchResponse_OffsetFetchResponseTopic_array_t,
                    sl_OffsetFetchResponse_OffsetFetchResponseTopic_t, sl_OffsetFetchResponse_OffsetFetchResponseTopic_init,
                    sl_OffsetFetchResponse_OffsetFetchResponsePartition_t,
                    sl_OffsetFetchResponse_OffsetFetchResponsePartition_init)
DEFINE_BUILD_TOPICS(build_v8, sl_OffsetFetchResponse_OffsetFetchResponseTopics_array_t,
                    sl_OffsetFetchResponse_OffsetFetchResponseTopics_t, sl_OffsetFetchResponse_OffsetFetchResponseTopics_init,
                    sl_OffsetFetchResponse_OffsetFetchResponsePartitions_t,
                    sl_OffsetFetchResponse_OffsetFetchResponsePartitions_init)

void sl_broker_handle_offset_fetch(sl_broker_req_t *req)
{
    const sl_OffsetFetchRequest_t *freq = req->body;
    sl_arena_t *arena = &req->arena;
    sl_OffsetFetchResponse_t resp;
    sl_OffsetFetchResponse_init(&resp);
    if (req->hdr.api_version < 8) {
        int32_t nt = SL_MAX(freq->Topics.count, 0);
        sl_kstr_t *names = sl_arena_calloc(arena, (size_t)nt + 1, sizeof *names);
        sl_int32_array_t *parts = sl_arena_calloc(arena, (size_t)nt + 1, sizeof *parts);
        if (!names || !parts)
            goto nomem;
        for (int32_t i = 0; i < nt; i++) {
            names[i] = freq->Topics.items[i].Name;
            parts[i] = freq->Topics.items[i].PartitionIndexes;
        }
        fetched_t *f = NULL;
        int16_t gerr = 0;
        int32_t n = fetch_group(req, freq->GroupId, freq->Topics.count < 0, freq->RequireStable, nt, names, parts,
                                &f, &gerr);
        if (n < 0 || !build_v0(arena, f, n, &resp.Topics))
            goto nomem;
        if (req->hdr.api_version >= 2)
            resp.ErrorCode = gerr;
    } else {
        int32_t ng = SL_MAX(freq->Groups.count, 0);
        resp.Groups.items = sl_arena_calloc(arena, (size_t)ng + 1, sizeof *resp.Groups.items);
        if (!resp.Groups.items)
            goto nomem;
        resp.Groups.count = ng;
        for (int32_t g = 0; g < ng; g++) {
            const sl_OffsetFetchRequest_OffsetFetchRequestGroup_t *gq = &freq->Groups.items[g];
            sl_OffsetFetchResponse_OffsetFetchResponseGroup_t *gr = &resp.Groups.items[g];
            sl_OffsetFetchResponse_OffsetFetchResponseGroup_init(gr);
            gr->groupId = gq->groupId;
            int32_t nt = SL_MAX(gq->Topics.count, 0);
            sl_kstr_t *names = sl_arena_calloc(arena, (size_t)nt + 1, sizeof *names);
            sl_int32_array_t *parts = sl_arena_calloc(arena, (size_t)nt + 1, sizeof *parts);
            if (!names || !parts)
                goto nomem;
            for (int32_t i = 0; i < nt; i++) {
                names[i] = gq->Topics.items[i].Name;
                parts[i] = gq->Topics.items[i].PartitionIndexes;
            }
            fetched_t *f = NULL;
            int32_t n = fetch_group(req, gq->groupId, gq->Topics.count < 0, freq->RequireStable, nt, names,
                                    parts, &f, &gr->ErrorCode);
            if (n < 0 || !build_v8(arena, f, n, &gr->Topics))
                goto nomem;
        }
    }
    sl_broker_req_reply(req, &resp);
    return;
nomem:
    sl_broker_req_close(req, "no memory for the OffsetFetch response (arena limit)");
}
