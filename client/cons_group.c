/*
 * cons_group.c - group membership for subscribe(), on the I/O thread:
 * JoinGroup (with the MEMBER_ID_REQUIRED second round), the leader's
 * assignment with the chosen assignor (assignor.h) over the metadata of
 * every member's topics, SyncGroup, Heartbeat every heartbeat.interval.ms,
 * LeaveGroup. Eager assignors revoke everything before rejoining;
 * cooperative-sticky revokes only what moved and rejoins. Rebalance
 * callbacks run on the application thread as events: a revocation is
 * finished (positions committed when enable.auto.commit, partitions
 * removed, the rejoin sent) only after its callback returned, so the
 * callback can still commit what it consumed.
 */
#include <stdlib.h>
#include <string.h>

#include "assignor.h"
#include "consumer_int.h"

typedef enum g_state {
    G_INIT = 0,        /* not in a generation: join when subscribed */
    G_JOINING,         /* FindCoordinator/JoinGroup in flight */
    G_ASSIGNING,       /* leader: waiting for metadata of every topic */
    G_SYNCING,         /* SyncGroup in flight */
    G_STABLE,
    G_REVOKING,        /* a REVOKED event waits for the application */
} g_state_t;

struct cons_group {
    char **topics;
    size_t topic_count;
    const sl_assignor_t *assignors[8];
    size_t assignor_count;
    bool cooperative;           /* every listed assignor is cooperative */
    char *member_id;            /* "" before the first join */
    char *instance_id;          /* group.instance.id or NULL */
    int32_t generation;
    const sl_assignor_t *chosen;
    cons_custom_t *custom;      /* the application's assignor, or NULL */
    g_state_t state;
    bool rejoin;                /* a rejoin is due once STABLE */
    uint64_t seq;               /* bumped when the generation is dropped:
                                 * answers and events of older ones ignored */
    int32_t coord;              /* -1: look it up */
    int64_t next_heartbeat, retry_at, assign_deadline;
    bool hb_inflight;
    bool coord_lookup;          /* a FindCoordinator for heartbeats in flight */
    int32_t *snap;              /* partition counts of topics at the last sync */
    bool poll_expired;
    bool closing, left;         /* close: LeaveGroup sent / answered */
    sl_arena_t join_arena;      /* the leader's JoinGroup members */
    sl_asg_member_t *members;
    size_t member_count;
    sl_arena_t req_arena;       /* the JoinGroup in flight */
    /* Bodies are read when the request is written: they live here until
     * their answer (one heartbeat and one leave at a time). */
    sl_HeartbeatRequest_t hb_req;
    char *hb_member;
    sl_LeaveGroupRequest_t leave_req;
    sl_LeaveGroupRequest_MemberIdentity_t leave_mi;
    char *leave_member;
};

/* ---- rebalance events ----------------------------------------------------- */

typedef struct reb_ev {
    sl_cl_event_t ev;
    sl_consumer_t *c;
    sl_rebalance_kind_t kind;
    sl_tp_offset_t *parts;
    size_t n;
    bool finish;                /* REVOKED of a rebalance: then finish it */
    uint64_t seq;
    sl_arena_t arena;
} reb_ev_t;

static void group_step(sl_consumer_t *c);

typedef struct revoke_done_arg {
    sl_consumer_t *c;
    reb_ev_t *ev;
} revoke_done_arg_t;

/* io: the application has seen the revocation: drop the partitions and
 * rejoin. */
static void revoke_done(sl_cl_t *cl, void *arg)
{
    (void)cl;
    reb_ev_t *ev = ((revoke_done_arg_t *)arg)->ev;
    sl_consumer_t *c = ev->c;
    cons_group_t *g = c->group;
    if (!g || g->seq != ev->seq || g->state != G_REVOKING)
        return;
    for (size_t i = 0; i < ev->n; i++) {
        cons_tp_t *tp = sl_cons_tp_find(c, ev->parts[i].topic, ev->parts[i].partition);
        if (tp)
            sl_cons_tp_remove(c, tp);
    }
    /* Eager: join from scratch; cooperative: the follow-up round. */
    g->state = g->cooperative ? G_STABLE : G_INIT;
    g->rejoin = g->cooperative;
    group_step(c);
}

static void reb_ev_run(sl_cl_event_t *e, void *arg)
{
    (void)arg;
    reb_ev_t *ev = (reb_ev_t *)e;
    sl_consumer_t *c = ev->c;
    if (c->rebalance_cb && ev->n > 0)
        c->rebalance_cb(c, ev->kind, ev->parts, ev->n, c->rebalance_arg);
    if (!ev->finish)
        return;
    if (c->conf->auto_commit) {
        sl_err_t err;
        cons_op_t *op = sl_cons_positions_op_app(c, true, &err);
        if (op)
            sl_cons_op_run_sync(c, op, NULL);
    }
    revoke_done_arg_t a = {c, ev};
    sl_cl_call(c->cl, revoke_done, &a);
}

static void reb_ev_free(sl_cl_event_t *e)
{
    reb_ev_t *ev = (reb_ev_t *)e;
    sl_arena_fini(&ev->arena);
    free(ev);
}

/* io: pushes a rebalance event for parts (the tps when all, else the
 * given list). */
static void push_rebalance(sl_consumer_t *c, sl_rebalance_kind_t kind, const sl_asg_tp_t *list, size_t n,
                           bool all, bool finish)
{
    reb_ev_t *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return;
    sl_arena_init(&ev->arena, 0, 0);
    if (all) {
        n = 0;
        for (cons_tp_t *tp = c->tps; tp; tp = tp->next)
            n++;
    }
    ev->parts = sl_arena_calloc(&ev->arena, n ? n : 1, sizeof(*ev->parts));
    if (!ev->parts) {
        reb_ev_free(&ev->ev);
        return;
    }
    cons_tp_t *tp = c->tps;
    for (size_t i = 0; i < n; i++) {
        const char *topic = all ? tp->topic : list[i].topic;
        sl_tp_offset_t *p = &ev->parts[i];
        p->topic = sl_arena_strndup(&ev->arena, topic, strlen(topic));
        p->partition = all ? tp->partition : list[i].partition;
        p->offset = SL_OFFSET_INVALID;
        p->leader_epoch = -1;
        if (all)
            tp = tp->next;
        if (!p->topic) {
            reb_ev_free(&ev->ev);
            return;
        }
    }
    ev->n = n;
    ev->c = c;
    ev->kind = kind;
    ev->finish = finish;
    ev->seq = c->group->seq;
    ev->ev.run = reb_ev_run;
    ev->ev.free = reb_ev_free;
    sl_cons_event_push(c, &ev->ev);
}

/* ---- helpers ------------------------------------------------------------ */

static int64_t now_ms(sl_consumer_t *c)
{
    return sl_cl_now_ms(c->cl);
}

static void set_member_id(cons_group_t *g, const char *id, int32_t len)
{
    char *s = malloc((size_t)(len > 0 ? len : 0) + 1);
    if (!s)
        return;
    if (len > 0)
        memcpy(s, id, (size_t)len);
    s[len > 0 ? len : 0] = '\0';
    free(g->member_id);
    g->member_id = s;
}

/* The partitions are gone (session lost, fenced): the callback hears LOST,
 * nothing is committed, and the member joins again as new. */
static void lose_partitions(sl_consumer_t *c, bool reset_member)
{
    cons_group_t *g = c->group;
    if (c->tps)
        push_rebalance(c, SL_REBALANCE_LOST, NULL, 0, true, false);
    sl_cons_tps_clear(c);
    g->seq++;
    g->generation = -1;
    if (reset_member)
        set_member_id(g, "", 0);
    g->state = G_INIT;
    g->rejoin = false;
}

static void retry_later(sl_consumer_t *c, sl_err_t err)
{
    cons_group_t *g = c->group;
    if (err == SL_ERR_NOT_COORDINATOR || err == SL_ERR_COORDINATOR_NOT_AVAILABLE ||
        err == SL_ERR_NETWORK_EXCEPTION || err == SL_ERR_TIMEOUT || err == SL_ERR_REQUEST_TIMED_OUT) {
        sl_cl_coord_forget(c->cl, 0, c->conf->group_id);
        g->coord = -1;
    }
    g->retry_at = now_ms(c) + c->conf->retry_backoff_ms;
}

static int32_t topic_count_now(sl_consumer_t *c, const char *name)
{
    const sl_cl_topic_t *t = sl_cl_topic(c->cl, name);
    return t && !t->err ? t->partition_count : 0;
}

static void snapshot(sl_consumer_t *c)
{
    cons_group_t *g = c->group;
    for (size_t i = 0; i < g->topic_count; i++)
        g->snap[i] = topic_count_now(c, g->topics[i]);
}

/* ---- JoinGroup / SyncGroup ------------------------------------------------- */

static sl_cl_coord_fn join_coord_cb;

static void send_to_coord(sl_consumer_t *c)
{
    cons_group_t *g = c->group;
    g->state = G_JOINING;
    g->rejoin = false;   /* this join is the rejoin asked for */
    sl_err_t err = sl_cl_coord_find(c->cl, 0, c->conf->group_id, now_ms(c) + c->conf->request_timeout_ms,
                                    join_coord_cb, c);
    if (err) {
        g->state = G_INIT;
        retry_later(c, err);
    }
}

/* The subscription this member sends for assignor a (in req_arena). */
static sl_err_t subscription_bytes(sl_consumer_t *c, const sl_assignor_t *a, sl_kbytes_t *out)
{
    cons_group_t *g = c->group;
    sl_asg_subscription_t sub;
    sl_asg_subscription_init(&sub);
    /* The request is written later: every string it holds is copied. */
    const char **topics = sl_arena_calloc(&g->req_arena, g->topic_count ? g->topic_count : 1, sizeof(*topics));
    if (!topics)
        return SL_ERR_NOMEM;
    for (size_t k = 0; k < g->topic_count; k++)
        if (!(topics[k] = sl_arena_strndup(&g->req_arena, g->topics[k], strlen(g->topics[k]))))
            return SL_ERR_NOMEM;
    sub.topics = topics;
    sub.topic_count = g->topic_count;
    size_t owned_n = 0;
    for (cons_tp_t *tp = c->tps; tp; tp = tp->next)
        owned_n++;
    sl_asg_tp_t *owned = sl_arena_calloc(&g->req_arena, owned_n ? owned_n : 1, sizeof(*owned));
    if (!owned)
        return SL_ERR_NOMEM;
    size_t i = 0;
    for (cons_tp_t *tp = c->tps; tp; tp = tp->next, i++) {
        owned[i].topic = tp->topic;
        owned[i].partition = tp->partition;
    }
    if (g->cooperative) {
        sub.owned = owned;
        sub.owned_count = owned_n;
        sub.generation = g->generation;
    }
    sl_buf_t ud = SL_BUF_INIT, buf = SL_BUF_INIT;
    sl_err_t err = SL_OK;
    if (g->custom && a == sl_cons_custom_assignor(g->custom)) {
        err = sl_cons_custom_user_data(g->custom, &ud, owned, owned_n, g->generation);
        sub.user_data = ud.data ? ud.data : (const uint8_t *)"";
        sub.user_data_len = (int32_t)ud.len;
    } else if (a->user_data) {
        err = a->user_data(&ud, owned, owned_n, g->generation);
        sub.user_data = ud.data;
        sub.user_data_len = (int32_t)ud.len;
    }
    if (!err)
        err = sl_asg_subscription_encode(&buf, 1, &sub);
    if (!err) {
        out->ptr = sl_arena_memdup(&g->req_arena, buf.data, buf.len);
        out->len = (int32_t)buf.len;
        if (!out->ptr)
            err = SL_ERR_NOMEM;
    }
    sl_buf_free(&ud);
    sl_buf_free(&buf);
    return err;
}

static void sync_send(sl_consumer_t *c, sl_SyncGroupRequest_SyncGroupRequestAssignment_t *asg, int32_t n);

/* Leader: the assignment, once every member's topics have metadata (or
 * the wait ran out). */
static void leader_assign(sl_consumer_t *c)
{
    cons_group_t *g = c->group;
    sl_arena_t *ar = &g->join_arena;
    size_t cap = 0;
    for (size_t m = 0; m < g->member_count; m++)
        cap += g->members[m].sub.topic_count;
    sl_asg_topic_t *topics = sl_arena_calloc(ar, cap ? cap : 1, sizeof(*topics));
    if (!topics) {
        g->state = G_INIT;
        retry_later(c, SL_ERR_NOMEM);
        return;
    }
    size_t nt = 0;
    bool waiting = false;
    for (size_t m = 0; m < g->member_count; m++)
        for (size_t k = 0; k < g->members[m].sub.topic_count; k++) {
            const char *name = g->members[m].sub.topics[k];
            bool dup = false;
            for (size_t j = 0; j < nt && !dup; j++)
                dup = strcmp(topics[j].name, name) == 0;
            if (dup)
                continue;
            const sl_cl_topic_t *t = sl_cl_topic(c->cl, name);
            if (!t)
                waiting = true;
            topics[nt].name = name;
            topics[nt].partitions = t && !t->err ? t->partition_count : 0;
            nt++;
        }
    if (waiting && now_ms(c) < g->assign_deadline) {
        g->state = G_ASSIGNING;
        return;
    }
    sl_asg_assignment_t *out = sl_arena_calloc(ar, g->member_count ? g->member_count : 1, sizeof(*out));
    sl_SyncGroupRequest_SyncGroupRequestAssignment_t *asg =
        sl_arena_calloc(ar, g->member_count ? g->member_count : 1, sizeof(*asg));
    sl_err_t err = !out || !asg ? SL_ERR_NOMEM
                   : g->custom  ? sl_cons_custom_assign(g->custom, g->members, g->member_count, topics, nt, ar, out)
                                : g->chosen->assign(g->members, g->member_count, topics, nt, ar, out);
    for (size_t m = 0; m < g->member_count && !err; m++) {
        sl_buf_t buf = SL_BUF_INIT;
        err = sl_asg_assignment_encode(&buf, 1, &out[m]);
        asg[m].MemberId = sl_kstr(g->members[m].member_id);
        asg[m].Assignment.ptr = err ? NULL : sl_arena_memdup(ar, buf.data, buf.len);
        asg[m].Assignment.len = (int32_t)buf.len;
        if (!err && !asg[m].Assignment.ptr)
            err = SL_ERR_NOMEM;
        sl_buf_free(&buf);
    }
    if (err) {
        SL_WARN(SL_CONS_LOG, "group %s: assignor %s failed: %s", c->conf->group_id, g->chosen->name,
                sl_err_name(err));
        g->state = G_INIT;
        retry_later(c, err);
        return;
    }
    sync_send(c, asg, (int32_t)g->member_count);
}

static void join_cb(sl_cl_t *cl, sl_err_t err, int16_t version, const void *resp, void *arg);

/* The protocol type the group is joined with. */
static const char *protocol_type(const cons_group_t *g)
{
    return g->custom ? sl_cons_custom_protocol_type(g->custom) : "consumer";
}

static void join_send(sl_consumer_t *c)
{
    cons_group_t *g = c->group;
    sl_arena_reset(&g->req_arena);
    sl_JoinGroupRequest_t *req = sl_arena_alloc(&g->req_arena, sizeof(*req));
    sl_JoinGroupRequest_JoinGroupRequestProtocol_t *protos =
        sl_arena_calloc(&g->req_arena, g->assignor_count, sizeof(*protos));
    sl_err_t err = req && protos ? SL_OK : SL_ERR_NOMEM;
    for (size_t i = 0; i < g->assignor_count && !err; i++) {
        protos[i].Name = sl_kstr(g->assignors[i]->name);
        err = subscription_bytes(c, g->assignors[i], &protos[i].Metadata);
    }
    if (!err) {
        sl_JoinGroupRequest_init(req);
        req->GroupId = sl_kstr(c->conf->group_id);
        req->SessionTimeoutMs = c->conf->session_timeout_ms;
        req->RebalanceTimeoutMs = c->conf->max_poll_interval_ms;
        req->MemberId = sl_kstr(sl_arena_strndup(&g->req_arena, g->member_id, strlen(g->member_id)));
        req->GroupInstanceId = g->instance_id ? sl_kstr(g->instance_id) : sl_kstr_null();
        req->ProtocolType = sl_kstr(protocol_type(g));
        req->Protocols.items = protos;
        if (!req->MemberId.ptr)
            err = SL_ERR_NOMEM;
        req->Protocols.count = (int32_t)g->assignor_count;
        sl_cl_req_t r = {
            .api_key = 11,
            .min_version = 1,
            .max_version = -1,
            .body = req,
            .node_id = g->coord,
            /* The coordinator holds the answer until every member joined. */
            .timeout_ms = c->conf->max_poll_interval_ms + 5000,
        };
        if (!err)
            err = sl_cl_send(c->cl, &r, join_cb, c);
    }
    if (err) {
        g->state = G_INIT;
        retry_later(c, err);
    }
}

static void join_coord_cb(sl_cl_t *cl, sl_err_t err, int32_t node, void *arg)
{
    (void)cl;
    sl_consumer_t *c = arg;
    cons_group_t *g = c->group;
    if (!g || g->closing || g->state != G_JOINING)
        return;
    if (err) {
        g->state = G_INIT;
        retry_later(c, err);
        return;
    }
    g->coord = node;
    join_send(c);
}

static void join_cb(sl_cl_t *cl, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    (void)cl;
    (void)version;
    sl_consumer_t *c = arg;
    cons_group_t *g = c->group;
    if (!g || g->closing || g->state != G_JOINING)
        return;
    const sl_JoinGroupResponse_t *res = resp;
    if (!err)
        err = (sl_err_t)res->ErrorCode;
    if (err == SL_ERR_MEMBER_ID_REQUIRED) {
        set_member_id(g, res->MemberId.ptr, res->MemberId.len);
        join_send(c);
        return;
    }
    if (err) {
        SL_DEBUG(SL_CONS_LOG, "group %s: JoinGroup: %s", c->conf->group_id, sl_err_name(err));
        g->state = G_INIT;
        if (err == SL_ERR_UNKNOWN_MEMBER_ID)
            set_member_id(g, "", 0);
        if (err == SL_ERR_INCONSISTENT_GROUP_PROTOCOL || err == SL_ERR_GROUP_AUTHORIZATION_FAILED ||
            err == SL_ERR_INVALID_SESSION_TIMEOUT || err == SL_ERR_GROUP_MAX_SIZE_REACHED ||
            err == SL_ERR_FENCED_INSTANCE_ID) {
            SL_WARN(SL_CONS_LOG, "group %s: JoinGroup: %s", c->conf->group_id, sl_err_name(err));
            sl_cons_error_event(c, NULL, -1, -1, err);
            g->retry_at = now_ms(c) + 10 * (int64_t)c->conf->retry_backoff_ms;
            return;
        }
        retry_later(c, err);
        return;
    }
    g->generation = res->GenerationId;
    set_member_id(g, res->MemberId.ptr, res->MemberId.len);
    g->chosen = NULL;
    for (size_t i = 0; i < g->assignor_count; i++)
        if (sl_kstr_eq(res->ProtocolName, g->assignors[i]->name))
            g->chosen = g->assignors[i];
    if (!g->chosen) {
        g->state = G_INIT;
        retry_later(c, SL_ERR_INCONSISTENT_GROUP_PROTOCOL);
        return;
    }
    bool leader = res->Leader.len == res->MemberId.len && res->Leader.len >= 0 &&
                  memcmp(res->Leader.ptr, res->MemberId.ptr, (size_t)res->Leader.len) == 0;
    SL_INFO(SL_CONS_LOG, "group %s: joined generation %d as %s%s (%s)", c->conf->group_id, (int)g->generation,
            g->member_id, leader ? ", leader" : "", g->chosen->name);
    if (!leader || res->SkipAssignment) {
        sl_arena_reset(&g->join_arena);
        sync_send(c, NULL, 0);
        return;
    }
    sl_arena_reset(&g->join_arena);
    g->member_count = 0;
    g->members = sl_arena_calloc(&g->join_arena, res->Members.count > 0 ? (size_t)res->Members.count : 1,
                                 sizeof(*g->members));
    if (!g->members) {
        g->state = G_INIT;
        retry_later(c, SL_ERR_NOMEM);
        return;
    }
    for (int32_t i = 0; i < res->Members.count; i++) {
        const sl_JoinGroupResponse_JoinGroupResponseMember_t *m = &res->Members.items[i];
        sl_asg_member_t *am = &g->members[g->member_count];
        am->member_id = sl_kstr_dup(&g->join_arena, m->MemberId);
        am->group_instance_id = sl_kstr_dup(&g->join_arena, m->GroupInstanceId);
        if (!am->member_id)
            continue;
        size_t len = m->Metadata.len > 0 ? (size_t)m->Metadata.len : 0;
        if (sl_asg_subscription_decode(m->Metadata.ptr, len, &g->join_arena, &am->sub) != SL_OK)
            sl_asg_subscription_init(&am->sub);
        for (size_t k = 0; k < am->sub.topic_count; k++)
            (void)sl_cl_topic(c->cl, am->sub.topics[k]);   /* start their metadata */
        g->member_count++;
    }
    g->assign_deadline = now_ms(c) + c->conf->request_timeout_ms;
    leader_assign(c);
}

static void sync_cb(sl_cl_t *cl, sl_err_t err, int16_t version, const void *resp, void *arg);

static void sync_send(sl_consumer_t *c, sl_SyncGroupRequest_SyncGroupRequestAssignment_t *asg, int32_t n)
{
    cons_group_t *g = c->group;
    sl_SyncGroupRequest_t *req = sl_arena_alloc(&g->join_arena, sizeof(*req));
    sl_err_t err = req ? SL_OK : SL_ERR_NOMEM;
    if (!err) {
        sl_SyncGroupRequest_init(req);
        req->GroupId = sl_kstr(c->conf->group_id);
        req->GenerationId = g->generation;
        req->MemberId = sl_kstr(sl_arena_strndup(&g->join_arena, g->member_id, strlen(g->member_id)));
        req->GroupInstanceId = g->instance_id ? sl_kstr(g->instance_id) : sl_kstr_null();
        req->ProtocolType = sl_kstr(protocol_type(g));
        req->ProtocolName = sl_kstr(g->chosen->name);
        if (!req->MemberId.ptr)
            err = SL_ERR_NOMEM;
        req->Assignments.items = asg;
        req->Assignments.count = n;
        sl_cl_req_t r = {
            .api_key = 14,
            .min_version = 0,
            .max_version = -1,
            .body = req,
            .node_id = g->coord,
            .timeout_ms = c->conf->max_poll_interval_ms + 5000,
        };
        g->state = G_SYNCING;
        if (!err)
            err = sl_cl_send(c->cl, &r, sync_cb, c);
    }
    if (err) {
        g->state = G_INIT;
        retry_later(c, err);
    }
}

static bool in_list(const sl_asg_tp_t *l, size_t n, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < n; i++)
        if (l[i].partition == partition && strcmp(l[i].topic, topic) == 0)
            return true;
    return false;
}

/* The new assignment: added partitions start from their committed offsets
 * now; with cooperative, partitions no longer ours are revoked (through the
 * application) and a new round follows. */
static void apply_assignment(sl_consumer_t *c, const sl_asg_assignment_t *a)
{
    cons_group_t *g = c->group;
    sl_arena_t tmp;
    sl_arena_init(&tmp, 0, 0);
    size_t owned_n = 0;
    for (cons_tp_t *tp = c->tps; tp; tp = tp->next)
        owned_n++;
    sl_asg_tp_t *revoked = sl_arena_calloc(&tmp, owned_n ? owned_n : 1, sizeof(*revoked));
    sl_asg_tp_t *added = sl_arena_calloc(&tmp, a->count ? a->count : 1, sizeof(*added));
    size_t nr = 0, na = 0;
    if (!revoked || !added) {
        sl_arena_fini(&tmp);
        lose_partitions(c, false);
        return;
    }
    for (cons_tp_t *tp = c->tps; tp; tp = tp->next)
        if (!in_list(a->parts, a->count, tp->topic, tp->partition)) {
            revoked[nr].topic = tp->topic;
            revoked[nr++].partition = tp->partition;
        }
    for (size_t i = 0; i < a->count; i++)
        if (!sl_cons_tp_find(c, a->parts[i].topic, a->parts[i].partition) &&
            sl_cons_tp_add(c, a->parts[i].topic, a->parts[i].partition, SL_OFFSET_STORED))
            added[na++] = a->parts[i];
    g->state = G_STABLE;
    g->next_heartbeat = now_ms(c) + c->conf->heartbeat_interval_ms;
    snapshot(c);
    if (na)
        push_rebalance(c, SL_REBALANCE_ASSIGNED, added, na, false, false);
    if (nr) {
        /* Only cooperative members still own partitions at this point. */
        g->state = G_REVOKING;
        push_rebalance(c, SL_REBALANCE_REVOKED, revoked, nr, false, true);
    }
    sl_arena_fini(&tmp);
    sl_cons_fetch_kick(c);
}

static void sync_cb(sl_cl_t *cl, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    (void)cl;
    (void)version;
    sl_consumer_t *c = arg;
    cons_group_t *g = c->group;
    if (!g || g->closing || g->state != G_SYNCING)
        return;
    const sl_SyncGroupResponse_t *res = resp;
    if (!err)
        err = (sl_err_t)res->ErrorCode;
    if (err) {
        SL_DEBUG(SL_CONS_LOG, "group %s: SyncGroup: %s", c->conf->group_id, sl_err_name(err));
        if (err == SL_ERR_UNKNOWN_MEMBER_ID || err == SL_ERR_ILLEGAL_GENERATION ||
            err == SL_ERR_FENCED_INSTANCE_ID) {
            lose_partitions(c, err == SL_ERR_UNKNOWN_MEMBER_ID);
            retry_later(c, err);
            return;
        }
        g->state = G_INIT;
        retry_later(c, err);
        if (err == SL_ERR_REBALANCE_IN_PROGRESS)
            g->retry_at = 0;
        return;
    }
    sl_arena_t tmp;
    sl_arena_init(&tmp, 0, (size_t)64 << 20);
    sl_asg_assignment_t a;
    size_t len = res->Assignment.len > 0 ? (size_t)res->Assignment.len : 0;
    err = sl_asg_assignment_decode(res->Assignment.ptr, len, &tmp, &a);
    if (err) {
        SL_WARN(SL_CONS_LOG, "group %s: undecodable assignment (%s): rejoining", c->conf->group_id,
                sl_err_name(err));
        sl_asg_assignment_init(&a);
        g->rejoin = true;
    }
    if (g->custom && !err && sl_cons_custom_assigned(c, g->custom, &a, g->generation) != SL_OK) {
        sl_asg_assignment_init(&a);
        g->rejoin = true;
    }
    apply_assignment(c, &a);
    sl_arena_fini(&tmp);
}

/* ---- Heartbeat / LeaveGroup ------------------------------------------------ */

static void hb_cb(sl_cl_t *cl, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    (void)cl;
    (void)version;
    sl_consumer_t *c = arg;
    cons_group_t *g = c->group;
    if (!g)
        return;
    g->hb_inflight = false;
    if (g->closing || (g->state != G_STABLE && g->state != G_REVOKING))
        return;
    const sl_HeartbeatResponse_t *res = resp;
    if (!err)
        err = (sl_err_t)res->ErrorCode;
    switch (err) {
    case SL_OK:
        break;
    case SL_ERR_REBALANCE_IN_PROGRESS:
        g->rejoin = true;
        group_step(c);
        break;
    case SL_ERR_UNKNOWN_MEMBER_ID:
    case SL_ERR_ILLEGAL_GENERATION:
    case SL_ERR_FENCED_INSTANCE_ID:
        SL_WARN(SL_CONS_LOG, "group %s: heartbeat: %s: partitions lost", c->conf->group_id, sl_err_name(err));
        lose_partitions(c, err == SL_ERR_UNKNOWN_MEMBER_ID);
        group_step(c);
        break;
    case SL_ERR_CLOSED:
        break;
    default:
        retry_later(c, err);
        g->retry_at = 0;
        break;
    }
}

static void hb_coord_cb(sl_cl_t *cl, sl_err_t err, int32_t node, void *arg)
{
    (void)cl;
    sl_consumer_t *c = arg;
    cons_group_t *g = c->group;
    if (!g)
        return;
    g->coord_lookup = false;
    if (!err)
        g->coord = node;
}

static void hb_send(sl_consumer_t *c)
{
    cons_group_t *g = c->group;
    if (g->coord < 0) {
        /* The coordinator moved or failed: find it before the next beat. */
        if (!g->coord_lookup &&
            sl_cl_coord_find(c->cl, 0, c->conf->group_id, now_ms(c) + c->conf->request_timeout_ms, hb_coord_cb,
                             c) == SL_OK)
            g->coord_lookup = true;
        return;
    }
    char *member = strdup(g->member_id);
    if (!member)
        return;
    free(g->hb_member);
    g->hb_member = member;
    sl_HeartbeatRequest_t *req = &g->hb_req;
    sl_HeartbeatRequest_init(req);
    req->GroupId = sl_kstr(c->conf->group_id);
    req->GenerationId = g->generation;
    req->MemberId = sl_kstr(member);
    req->GroupInstanceId = g->instance_id ? sl_kstr(g->instance_id) : sl_kstr_null();
    sl_cl_req_t r = {.api_key = 12, .min_version = 0, .max_version = -1, .body = req, .node_id = g->coord};
    if (sl_cl_send(c->cl, &r, hb_cb, c) == SL_OK)
        g->hb_inflight = true;
}

static void leave_cb(sl_cl_t *cl, sl_err_t err, int16_t version, const void *resp, void *arg)
{
    (void)cl;
    (void)version;
    (void)resp;
    sl_consumer_t *c = arg;
    if (err)
        SL_DEBUG(SL_CONS_LOG, "group %s: LeaveGroup: %s", c->conf->group_id, sl_err_name(err));
    pthread_mutex_lock(&c->lock);
    if (c->group)
        c->group->left = true;
    c->wakes++;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

/* v0-2 name the member in MemberId, v3+ in the Members list. */
static void leave_prepare(void *body, int16_t version, void *arg)
{
    (void)arg;
    sl_LeaveGroupRequest_t *req = body;
    if (version >= 3) {
        req->MemberId = sl_kstr("");
        req->Members.count = 1;
    } else {
        req->MemberId = req->Members.items[0].MemberId;
        req->Members.count = 0;
    }
}

/* Sends LeaveGroup when the member is known and dynamic; true when sent. */
static bool leave_send(sl_consumer_t *c)
{
    cons_group_t *g = c->group;
    if (!g->member_id[0] || g->instance_id || g->coord < 0)
        return false;
    char *member = strdup(g->member_id);
    if (!member)
        return false;
    free(g->leave_member);
    g->leave_member = member;
    sl_LeaveGroupRequest_t *req = &g->leave_req;
    sl_LeaveGroupRequest_MemberIdentity_t *mi = &g->leave_mi;
    sl_LeaveGroupRequest_init(req);
    sl_LeaveGroupRequest_MemberIdentity_init(mi);
    mi->MemberId = sl_kstr(member);
    req->GroupId = sl_kstr(c->conf->group_id);
    req->Members.items = mi;
    req->Members.count = 1;
    sl_cl_req_t r = {.api_key = 13, .min_version = 0, .max_version = -1, .body = req, .node_id = g->coord,
                     .prepare = leave_prepare};
    return sl_cl_send(c->cl, &r, leave_cb, c) == SL_OK;
}

/* ---- the driver -------------------------------------------------------------- */

static void group_step(sl_consumer_t *c)
{
    cons_group_t *g = c->group;
    if (!g || g->closing || !g->topic_count)
        return;
    int64_t now = now_ms(c);
    if (g->retry_at > now)
        return;
    switch (g->state) {
    case G_INIT:
        if (!g->poll_expired)
            send_to_coord(c);
        break;
    case G_ASSIGNING:
        leader_assign(c);
        break;
    case G_STABLE:
        if (g->rejoin) {
            g->rejoin = false;
            if (!g->cooperative && c->tps) {
                g->state = G_REVOKING;
                push_rebalance(c, SL_REBALANCE_REVOKED, NULL, 0, true, true);
            } else {
                send_to_coord(c);
            }
        } else if (!g->hb_inflight && now >= g->next_heartbeat) {
            g->next_heartbeat = now + c->conf->heartbeat_interval_ms;
            hb_send(c);
        }
        break;
    case G_REVOKING:
        if (!g->hb_inflight && now >= g->next_heartbeat) {
            g->next_heartbeat = now + c->conf->heartbeat_interval_ms;
            hb_send(c);
        }
        break;
    default:
        break;
    }
}

void sl_cons_group_tick(sl_consumer_t *c)
{
    cons_group_t *g = c->group;
    if (!g || g->closing)
        return;
    int64_t mono = sl_time_mono_ms();
    int64_t last = atomic_load(&c->last_poll_ms);
    if (g->state != G_INIT && !g->poll_expired && mono - last > c->conf->max_poll_interval_ms) {
        SL_WARN(SL_CONS_LOG, "group %s: no poll for %d ms (max.poll.interval.ms): leaving the group",
                c->conf->group_id, (int)c->conf->max_poll_interval_ms);
        leave_send(c);
        lose_partitions(c, true);
        g->poll_expired = true;
    } else if (g->poll_expired && mono - last <= c->conf->max_poll_interval_ms) {
        g->poll_expired = false;
    }
    if (g->state == G_STABLE && !g->rejoin)
        for (size_t i = 0; i < g->topic_count; i++)
            if (topic_count_now(c, g->topics[i]) != g->snap[i]) {
                SL_INFO(SL_CONS_LOG, "group %s: partitions of %s changed: rejoining", c->conf->group_id,
                        g->topics[i]);
                g->rejoin = true;
                break;
            }
    group_step(c);
}

/* ---- the calls ------------------------------------------------------------- */

static void topics_free(cons_group_t *g)
{
    for (size_t i = 0; i < g->topic_count; i++)
        free(g->topics[i]);
    free(g->topics);
    free(g->snap);
    g->topics = NULL;
    g->snap = NULL;
    g->topic_count = 0;
}

static sl_err_t group_create(sl_consumer_t *c)
{
    cons_group_t *g = calloc(1, sizeof(*g));
    if (!g)
        return SL_ERR_NOMEM;
    g->member_id = strdup("");
    g->instance_id = c->conf->group_instance_id ? strdup(c->conf->group_instance_id) : NULL;
    if (!g->member_id || (c->conf->group_instance_id && !g->instance_id)) {
        free(g->member_id);
        free(g->instance_id);
        free(g);
        return SL_ERR_NOMEM;
    }
    g->generation = -1;
    g->coord = -1;
    sl_arena_init(&g->join_arena, 0, (size_t)64 << 20);
    sl_arena_init(&g->req_arena, 0, 0);
    /* partition.assignment.strategy, in order; cooperative only when every
     * listed assignor is (as the Java client chooses the protocol). */
    g->cooperative = true;
    const char *s = c->conf->assignors ? c->conf->assignors : "range";
    while (*s && g->assignor_count < 8) {
        while (*s == ',' || *s == ' ')
            s++;
        size_t len = strcspn(s, ", ");
        char name[64];
        if (len == 0)
            break;
        if (len < sizeof(name)) {
            memcpy(name, s, len);
            name[len] = '\0';
            const sl_assignor_t *a = sl_assignor_find(name);
            if (a) {
                g->assignors[g->assignor_count++] = a;
                g->cooperative = g->cooperative && a->cooperative;
            }
        }
        s += len;
    }
    if (!g->assignor_count) {
        g->assignors[g->assignor_count++] = &sl_assignor_range;
        g->cooperative = false;
    }
    c->group = g;
    return SL_OK;
}

sl_err_t sl_cons_group_set_custom(sl_consumer_t *c, cons_custom_t *cu)
{
    if (!c->group) {
        sl_err_t err = group_create(c);
        if (err)
            return err;
    }
    cons_group_t *g = c->group;
    sl_cons_custom_free(g->custom);
    g->custom = cu;
    g->assignors[0] = sl_cons_custom_assignor(cu);
    g->assignor_count = 1;
    g->cooperative = false;
    return SL_OK;
}

sl_err_t sl_cons_group_subscribe(sl_consumer_t *c, char **topics, size_t n)
{
    if (!c->group) {
        sl_err_t err = group_create(c);
        if (err)
            return err;
    }
    cons_group_t *g = c->group;
    int32_t *snap = calloc(n ? n : 1, sizeof(*snap));
    if (!snap)
        return SL_ERR_NOMEM;
    topics_free(g);
    g->topics = topics;
    g->topic_count = n;
    g->snap = snap;
    g->closing = false;
    for (size_t i = 0; i < n; i++)
        (void)sl_cl_topic(c->cl, topics[i]);
    /* Partitions of topics no longer subscribed go at the next rebalance. */
    if (g->state == G_STABLE || g->state == G_REVOKING)
        g->rejoin = true;
    g->retry_at = 0;
    group_step(c);
    return SL_OK;
}

void sl_cons_group_leave(sl_consumer_t *c)
{
    cons_group_t *g = c->group;
    if (!g)
        return;
    if (c->tps)
        push_rebalance(c, SL_REBALANCE_REVOKED, NULL, 0, true, false);
    leave_send(c);
    sl_cons_tps_clear(c);
    topics_free(g);
    g->seq++;
    g->state = G_INIT;
    g->generation = -1;
    g->rejoin = false;
    if (!g->instance_id)
        set_member_id(g, "", 0);
}

void sl_cons_group_commit_identity(sl_consumer_t *c, int32_t *generation, const char **member_id,
                                   const char **instance_id)
{
    cons_group_t *g = c->group;
    if (g && (g->state == G_STABLE || g->state == G_REVOKING)) {
        *generation = g->generation;
        *member_id = g->member_id;
        *instance_id = g->instance_id;
    } else {
        *generation = -1;
        *member_id = "";
        *instance_id = NULL;
    }
}

void sl_cons_group_on_error(sl_consumer_t *c, sl_err_t err)
{
    cons_group_t *g = c->group;
    if (!g || g->closing)
        return;
    if (err == SL_ERR_REBALANCE_IN_PROGRESS) {
        if (g->state == G_STABLE)
            g->rejoin = true;
    } else if (g->state == G_STABLE || g->state == G_REVOKING) {
        lose_partitions(c, err == SL_ERR_UNKNOWN_MEMBER_ID);
    }
}

void sl_cons_group_free(sl_consumer_t *c)
{
    cons_group_t *g = c->group;
    if (!g)
        return;
    topics_free(g);
    free(g->member_id);
    free(g->instance_id);
    free(g->hb_member);
    free(g->leave_member);
    sl_cons_custom_free(g->custom);
    sl_arena_fini(&g->join_arena);
    sl_arena_fini(&g->req_arena);
    free(g);
    c->group = NULL;
}

/* ---- for close (cons_subscribe.c) -------------------------------------------- */

void sl_cons_group_closing(sl_consumer_t *c)
{
    if (c->group)
        c->group->closing = true;   /* no rejoin, no heartbeats from here */
}

bool sl_cons_group_leave_now(sl_consumer_t *c)
{
    cons_group_t *g = c->group;
    if (!g)
        return false;
    pthread_mutex_lock(&c->lock);
    g->left = false;
    pthread_mutex_unlock(&c->lock);
    bool sent = leave_send(c);
    sl_cons_tps_clear(c);
    g->state = G_INIT;
    return sent;
}

bool sl_cons_group_left(sl_consumer_t *c)
{
    return c->group && c->group->left;
}
