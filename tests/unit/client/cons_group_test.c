/*
 * cons_group_test.c - the consumer's group membership against a scripted
 * group coordinator on the fake broker (one member): MEMBER_ID_REQUIRED
 * answered by a second JoinGroup with the given id, the protocols offered
 * in partition.assignment.strategy order with a subscription that decodes,
 * the leader's assignment applied and positions taken from OffsetFetch
 * (auto.offset.reset when none), commits with the generation and member id
 * retried after NOT_COORDINATOR, a heartbeat's NOT_COORDINATOR followed by a
 * new lookup, REBALANCE_IN_PROGRESS from a heartbeat
 * (revoke with a commit, rejoin, assign), UNKNOWN_MEMBER_ID (partitions
 * lost, rejoin as a new member), LeaveGroup on close, none for a static
 * member; garbage and dropped connections instead of group answers; an
 * application's own assignor.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "assignor.h"
#include "cons_fake.h"

typedef struct gc {
    pthread_mutex_t mu;
    int joins, syncs, heartbeats, leaves, commits, finds;
    int member_seq;
    int32_t generation;
    char join_member_in[64], join_instance[64], protocols[128], leave_member[64];
    char join_ptype[32], sync_ptype[32];  /* the ProtocolType of the last JoinGroup, SyncGroup */
    int16_t hb_err;
    int hb_err_count;
    int16_t commit_err;
    int commit_err_count;
    int32_t commit_gen;
    char commit_member[64];
    int64_t committed[NPART];
    uint8_t sub[512];
    int32_t sub_len;
    int bad[20];               /* per api key: spoil this many answers */
    sl_fb_action_t bad_as[20]; /* how (0: garbage and drop alternately) */
} gc_t;

static gc_t G;

/* Rebalance callbacks as "A t 0" / "R t 1" / "L t 0", in order. */
static char g_log[64][32];
static int g_nlog;

static void on_rebalance(sl_consumer_t *c, sl_rebalance_kind_t kind, const sl_tp_offset_t *parts, size_t n,
                         void *arg)
{
    (void)c;
    (void)arg;
    for (size_t i = 0; i < n && g_nlog < 64; i++)
        snprintf(g_log[g_nlog++], sizeof g_log[0], "%c %s %d",
                 kind == SL_REBALANCE_ASSIGNED ? 'A' : kind == SL_REBALANCE_REVOKED ? 'R' : 'L', parts[i].topic,
                 (int)parts[i].partition);
}

static int log_count(const char *entry)
{
    int n = 0;
    for (int i = 0; i < g_nlog; i++)
        n += strcmp(g_log[i], entry) == 0;
    return n;
}

static void kcopy(char *dst, size_t cap, sl_kstr_t s)
{
    snprintf(dst, cap, "%.*s", s.len > 0 ? (int)s.len : 0, s.len > 0 ? s.ptr : "");
}

static sl_fb_reply_t find_coordinator(sl_fb_t *fb, const sl_fb_req_t *req)
{
    const sl_FindCoordinatorRequest_t *q = req->body;
    sl_FindCoordinatorResponse_t *b = sl_arena_zalloc(req->arena, sizeof *b);
    sl_FindCoordinatorResponse_init(b);
    if (req->api_version >= 4) {
        sl_FindCoordinatorResponse_Coordinator_t *c = sl_arena_zalloc(req->arena, sizeof *c);
        sl_FindCoordinatorResponse_Coordinator_init(c);
        c->Key = q->CoordinatorKeys.count > 0 ? q->CoordinatorKeys.items[0] : sl_kstr("");
        c->Host = sl_kstr("127.0.0.1");
        c->Port = sl_fb_port(fb, 0);
        b->Coordinators.count = 1;
        b->Coordinators.items = c;
    } else {
        b->Host = sl_kstr("127.0.0.1");
        b->Port = sl_fb_port(fb, 0);
    }
    G.finds++;
    return (sl_fb_reply_t){SL_FB_REPLY, b, 0};
}

static sl_fb_reply_t join_group(const sl_fb_req_t *req)
{
    const sl_JoinGroupRequest_t *q = req->body;
    sl_JoinGroupResponse_t *b = sl_arena_zalloc(req->arena, sizeof *b);
    sl_JoinGroupResponse_init(b);
    G.joins++;
    kcopy(G.join_member_in, sizeof G.join_member_in, q->MemberId);
    kcopy(G.join_instance, sizeof G.join_instance, q->GroupInstanceId);
    kcopy(G.join_ptype, sizeof G.join_ptype, q->ProtocolType);
    G.protocols[0] = '\0';
    for (int32_t i = 0; i < q->Protocols.count; i++) {
        char name[32];
        kcopy(name, sizeof name, q->Protocols.items[i].Name);
        if (i)
            strcat(G.protocols, ",");
        strncat(G.protocols, name, sizeof G.protocols - strlen(G.protocols) - 1);
    }
    if (q->MemberId.len <= 0 && req->api_version >= 4 && q->GroupInstanceId.len < 0) {
        char id[32];
        snprintf(id, sizeof id, "m-%d", ++G.member_seq);
        b->ErrorCode = SL_ERR_MEMBER_ID_REQUIRED;
        b->MemberId = sl_kstr(sl_arena_strndup(req->arena, id, strlen(id)));
        return (sl_fb_reply_t){SL_FB_REPLY, b, 0};
    }
    char *member;
    if (q->MemberId.len > 0) {
        member = sl_arena_strndup(req->arena, q->MemberId.ptr, (size_t)q->MemberId.len);
    } else {
        char id[32];
        snprintf(id, sizeof id, "m-%d", ++G.member_seq);
        member = sl_arena_strndup(req->arena, id, strlen(id));
    }
    const sl_JoinGroupRequest_JoinGroupRequestProtocol_t *p0 = &q->Protocols.items[0];
    G.sub_len = p0->Metadata.len < (int32_t)sizeof G.sub ? p0->Metadata.len : 0;
    if (G.sub_len > 0)
        memcpy(G.sub, p0->Metadata.ptr, (size_t)G.sub_len);
    b->GenerationId = ++G.generation;
    b->ProtocolType = sl_kstr("consumer");
    b->ProtocolName = sl_kstr(sl_kstr_dup(req->arena, p0->Name));
    b->Leader = sl_kstr(member);
    b->MemberId = sl_kstr(member);
    sl_JoinGroupResponse_JoinGroupResponseMember_t *m = sl_arena_zalloc(req->arena, sizeof *m);
    sl_JoinGroupResponse_JoinGroupResponseMember_init(m);
    m->MemberId = sl_kstr(member);
    m->GroupInstanceId = q->GroupInstanceId.len >= 0 ? sl_kstr(sl_kstr_dup(req->arena, q->GroupInstanceId))
                                                     : sl_kstr_null();
    m->Metadata.ptr = sl_arena_memdup(req->arena, p0->Metadata.ptr, (size_t)p0->Metadata.len);
    m->Metadata.len = p0->Metadata.len;
    b->Members.count = 1;
    b->Members.items = m;
    return (sl_fb_reply_t){SL_FB_REPLY, b, 0};
}

static sl_fb_reply_t sync_group(const sl_fb_req_t *req)
{
    const sl_SyncGroupRequest_t *q = req->body;
    sl_SyncGroupResponse_t *b = sl_arena_zalloc(req->arena, sizeof *b);
    sl_SyncGroupResponse_init(b);
    G.syncs++;
    kcopy(G.sync_ptype, sizeof G.sync_ptype, q->ProtocolType);
    if (q->Assignments.count > 0) {
        const sl_kbytes_t *a = &q->Assignments.items[0].Assignment;
        b->Assignment.ptr = sl_arena_memdup(req->arena, a->ptr, a->len > 0 ? (size_t)a->len : 0);
        b->Assignment.len = a->len;
    } else {
        b->Assignment.ptr = (const uint8_t *)"";
        b->Assignment.len = 0;
    }
    return (sl_fb_reply_t){SL_FB_REPLY, b, 0};
}

static sl_fb_reply_t offset_fetch(const sl_fb_req_t *req)
{
    const sl_OffsetFetchRequest_t *q = req->body;
    sl_OffsetFetchResponse_t *b = sl_arena_zalloc(req->arena, sizeof *b);
    sl_OffsetFetchResponse_init(b);
    b->Topics.count = q->Topics.count;
    b->Topics.items = sl_arena_calloc(req->arena, (size_t)q->Topics.count + 1, sizeof *b->Topics.items);
    for (int32_t t = 0; t < q->Topics.count; t++) {
        sl_OffsetFetchResponse_OffsetFetchResponseTopic_t *tr = &b->Topics.items[t];
        sl_OffsetFetchResponse_OffsetFetchResponseTopic_init(tr);
        tr->Name = q->Topics.items[t].Name;
        int32_t n = q->Topics.items[t].PartitionIndexes.count;
        tr->Partitions.count = n;
        tr->Partitions.items = sl_arena_calloc(req->arena, (size_t)n + 1, sizeof *tr->Partitions.items);
        for (int32_t i = 0; i < n; i++) {
            int32_t p = q->Topics.items[t].PartitionIndexes.items[i];
            sl_OffsetFetchResponse_OffsetFetchResponsePartition_t *pr = &tr->Partitions.items[i];
            sl_OffsetFetchResponse_OffsetFetchResponsePartition_init(pr);
            pr->PartitionIndex = p;
            pr->CommittedOffset = p >= 0 && p < NPART ? G.committed[p] : -1;
            pr->Metadata = sl_kstr("");
        }
    }
    return (sl_fb_reply_t){SL_FB_REPLY, b, 0};
}

static sl_fb_reply_t offset_commit(const sl_fb_req_t *req)
{
    const sl_OffsetCommitRequest_t *q = req->body;
    sl_OffsetCommitResponse_t *b = sl_arena_zalloc(req->arena, sizeof *b);
    sl_OffsetCommitResponse_init(b);
    G.commits++;
    int16_t err = 0;
    if (G.commit_err_count > 0) {
        G.commit_err_count--;
        err = G.commit_err;
    } else {
        G.commit_gen = q->GenerationId;
        kcopy(G.commit_member, sizeof G.commit_member, q->MemberId);
    }
    b->Topics.count = q->Topics.count;
    b->Topics.items = sl_arena_calloc(req->arena, (size_t)q->Topics.count + 1, sizeof *b->Topics.items);
    for (int32_t t = 0; t < q->Topics.count; t++) {
        sl_OffsetCommitResponse_OffsetCommitResponseTopic_t *tr = &b->Topics.items[t];
        sl_OffsetCommitResponse_OffsetCommitResponseTopic_init(tr);
        tr->Name = q->Topics.items[t].Name;
        int32_t n = q->Topics.items[t].Partitions.count;
        tr->Partitions.count = n;
        tr->Partitions.items = sl_arena_calloc(req->arena, (size_t)n + 1, sizeof *tr->Partitions.items);
        for (int32_t i = 0; i < n; i++) {
            const sl_OffsetCommitRequest_OffsetCommitRequestPartition_t *qp = &q->Topics.items[t].Partitions.items[i];
            tr->Partitions.items[i].PartitionIndex = qp->PartitionIndex;
            tr->Partitions.items[i].ErrorCode = err;
            if (!err && qp->PartitionIndex >= 0 && qp->PartitionIndex < NPART)
                G.committed[qp->PartitionIndex] = qp->CommittedOffset;
        }
    }
    return (sl_fb_reply_t){SL_FB_REPLY, b, 0};
}

static sl_fb_reply_t group_handler(sl_fb_t *fb, const sl_fb_req_t *req, void *arg)
{
    sl_fb_reply_t r = {SL_FB_DEFAULT, NULL, 0};
    pthread_mutex_lock(&G.mu);
    if (req->api_key >= 8 && req->api_key <= 14 && G.bad[req->api_key] > 0) {
        /* As asked, or alternately garbage and a dropped connection. */
        r.action = G.bad_as[req->api_key] ? G.bad_as[req->api_key]
                                          : G.bad[req->api_key] % 2 ? SL_FB_GARBAGE : SL_FB_DROP;
        G.bad[req->api_key]--;
        pthread_mutex_unlock(&G.mu);
        return r;
    }
    switch (req->api_key) {
    case 10:
        r = find_coordinator(fb, req);
        break;
    case 11:
        r = join_group(req);
        break;
    case 14:
        r = sync_group(req);
        break;
    case 9:
        r = offset_fetch(req);
        break;
    case 8:
        r = offset_commit(req);
        break;
    case 12: {
        sl_HeartbeatResponse_t *b = sl_arena_zalloc(req->arena, sizeof *b);
        sl_HeartbeatResponse_init(b);
        G.heartbeats++;
        if (G.hb_err_count > 0) {
            G.hb_err_count--;
            b->ErrorCode = G.hb_err;
        }
        r = (sl_fb_reply_t){SL_FB_REPLY, b, 0};
        break;
    }
    case 13: {
        const sl_LeaveGroupRequest_t *q = req->body;
        G.leaves++;
        kcopy(G.leave_member, sizeof G.leave_member,
              req->api_version >= 3 && q->Members.count > 0 ? q->Members.items[0].MemberId : q->MemberId);
        sl_LeaveGroupResponse_t *b = sl_arena_zalloc(req->arena, sizeof *b);
        sl_LeaveGroupResponse_init(b);
        r = (sl_fb_reply_t){SL_FB_REPLY, b, 0};
        break;
    }
    default:
        break;
    }
    pthread_mutex_unlock(&G.mu);
    if (r.action == SL_FB_DEFAULT)
        r = cf_handler(fb, req, arg);
    return r;
}

static sl_fb_t *setup(void)
{
    memset(&G, 0, sizeof G);
    pthread_mutex_init(&G.mu, NULL);
    for (int p = 0; p < NPART; p++)
        G.committed[p] = -1;
    g_nlog = 0;
    cf_world_init(10, 0, 0);
    return cf_fb_start(group_handler);
}

static void teardown(sl_fb_t *fb)
{
    sl_fb_free(fb);
    cf_world_fini();
    pthread_mutex_destroy(&G.mu);
}

static sl_consumer_t *member(sl_fb_t *fb, const char *auto_commit, const char *instance)
{
    const char *extra[] = {"group.id", "g", "auto.offset.reset", "earliest", "enable.auto.commit", auto_commit,
                           "partition.assignment.strategy", "range,roundrobin", "heartbeat.interval.ms", "50",
                           instance ? "group.instance.id" : NULL, instance, NULL};
    sl_consumer_t *c = cf_consumer(fb, extra, on_rebalance, NULL);
    const char *topics[] = {"t"};
    assert_int_equal(sl_consumer_subscribe(c, topics, 1), SL_OK);
    return c;
}

static int gc_get(const int *field)
{
    pthread_mutex_lock(&G.mu);
    int v = *field;
    pthread_mutex_unlock(&G.mu);
    return v;
}

/* Polls (serving callbacks) until the log has entry count times. */
static bool poll_until_logged(sl_consumer_t *c, const char *entry, int count)
{
    int64_t until = sl_time_mono_ms() + 5000;
    while (log_count(entry) < count && sl_time_mono_ms() < until) {
        sl_message_t *m = NULL;
        if (sl_consumer_poll(c, 20, &m) == SL_OK)
            sl_message_free(m);
    }
    return log_count(entry) >= count;
}

static void test_join_consume_commit(void **state)
{
    (void)state;
    sl_fb_t *fb = setup();
    sl_consumer_t *c = member(fb, "false", NULL);
    int64_t next[NPART] = {0, 0};
    assert_int_equal(cf_poll_n(c, 20, next, NULL, NULL), 20);
    assert_int_equal(log_count("A t 0"), 1);
    assert_int_equal(log_count("A t 1"), 1);
    pthread_mutex_lock(&G.mu);
    assert_int_equal(G.joins, 2);   /* MEMBER_ID_REQUIRED, then with the id */
    assert_string_equal(G.join_member_in, "m-1");
    assert_string_equal(G.protocols, "range,roundrobin");
    assert_string_equal(G.join_ptype, "consumer");
    assert_string_equal(G.sync_ptype, "consumer");
    sl_arena_t a;
    sl_arena_init(&a, 0, 0);
    sl_asg_subscription_t sub;
    assert_int_equal(sl_asg_subscription_decode(G.sub, (size_t)G.sub_len, &a, &sub), SL_OK);
    assert_int_equal(sub.topic_count, 1);
    assert_string_equal(sub.topics[0], "t");
    sl_arena_fini(&a);
    G.commit_err = SL_ERR_NOT_COORDINATOR;
    G.commit_err_count = 1;
    int finds = G.finds;
    pthread_mutex_unlock(&G.mu);

    assert_int_equal(sl_consumer_commit(c, NULL, 0, false), SL_OK);
    pthread_mutex_lock(&G.mu);
    assert_int_equal(G.committed[0], 10);
    assert_int_equal(G.committed[1], 10);
    assert_int_equal(G.commit_gen, G.generation);
    assert_string_equal(G.commit_member, "m-1");
    assert_true(G.finds > finds);   /* the coordinator was looked up again */
    pthread_mutex_unlock(&G.mu);
    sl_group_meta_t meta;
    assert_int_equal(sl_consumer_group_metadata(c, &meta), SL_OK);
    assert_string_equal(meta.group_id, "g");
    assert_string_equal(meta.member_id, "m-1");
    assert_int_equal(meta.generation_id, 1);

    int hb = gc_get(&G.heartbeats);
    cu_sleep_ms(300);
    assert_true(gc_get(&G.heartbeats) > hb);
    /* A heartbeat answered NOT_COORDINATOR: looked up again, beats go on. */
    pthread_mutex_lock(&G.mu);
    G.hb_err = SL_ERR_NOT_COORDINATOR;
    G.hb_err_count = 1;
    finds = G.finds;
    hb = G.heartbeats;
    pthread_mutex_unlock(&G.mu);
    cu_sleep_ms(500);
    assert_true(gc_get(&G.finds) > finds);
    assert_true(gc_get(&G.heartbeats) > hb + 2);
    assert_int_equal(log_count("L t 0"), 0);
    /* assign() is refused while subscribed. */
    sl_tp_offset_t tp = {.topic = "t", .partition = 0, .offset = 0};
    assert_int_equal(sl_consumer_assign(c, &tp, 1), SL_ERR_STATE);

    assert_int_equal(sl_consumer_close(c), SL_OK);
    assert_int_equal(log_count("R t 0"), 1);
    assert_int_equal(log_count("R t 1"), 1);
    pthread_mutex_lock(&G.mu);
    assert_int_equal(G.leaves, 1);
    assert_string_equal(G.leave_member, "m-1");
    pthread_mutex_unlock(&G.mu);
    sl_consumer_free(c);
    teardown(fb);
}

static void test_rebalance_and_lost(void **state)
{
    (void)state;
    sl_fb_t *fb = setup();
    sl_consumer_t *c = member(fb, "true", NULL);
    int64_t next[NPART] = {0, 0};
    assert_int_equal(cf_poll_n(c, 20, next, NULL, NULL), 20);

    /* The coordinator starts a rebalance: revoke (with a commit), rejoin. */
    pthread_mutex_lock(&G.mu);
    G.hb_err = SL_ERR_REBALANCE_IN_PROGRESS;
    G.hb_err_count = 1;
    int joins = G.joins;
    pthread_mutex_unlock(&G.mu);
    assert_true(poll_until_logged(c, "A t 1", 2));
    assert_int_equal(log_count("R t 0"), 1);
    assert_int_equal(log_count("R t 1"), 1);
    pthread_mutex_lock(&G.mu);
    assert_int_equal(G.joins, joins + 1);
    assert_int_equal(G.committed[0], 10);
    assert_int_equal(G.committed[1], 10);
    assert_string_equal(G.join_member_in, "m-1");
    G.hb_err = SL_ERR_UNKNOWN_MEMBER_ID;
    G.hb_err_count = 1;
    pthread_mutex_unlock(&G.mu);

    /* The member is gone: partitions lost, a new member id. */
    assert_true(poll_until_logged(c, "A t 1", 3));
    assert_int_equal(log_count("L t 0"), 1);
    assert_int_equal(log_count("L t 1"), 1);
    pthread_mutex_lock(&G.mu);
    assert_string_equal(G.join_member_in, "m-2");
    pthread_mutex_unlock(&G.mu);

    /* Positions continue from the commits: nothing is read twice. */
    pthread_mutex_lock(&W.mu);
    cf_log_append(&W.log[0], 0, 0);
    pthread_mutex_unlock(&W.mu);
    next[0] = 10;
    assert_int_equal(cf_poll_n(c, 1, next, NULL, NULL), 1);
    sl_consumer_free(c);
    teardown(fb);
}

static void test_static_member(void **state)
{
    (void)state;
    sl_fb_t *fb = setup();
    sl_consumer_t *c = member(fb, "false", "inst-1");
    int64_t next[NPART] = {0, 0};
    assert_int_equal(cf_poll_n(c, 20, next, NULL, NULL), 20);
    pthread_mutex_lock(&G.mu);
    assert_string_equal(G.join_instance, "inst-1");
    assert_int_equal(G.joins, 1);
    pthread_mutex_unlock(&G.mu);
    assert_int_equal(sl_consumer_close(c), SL_OK);
    assert_int_equal(gc_get(&G.leaves), 0);
    sl_consumer_free(c);
    teardown(fb);
}

/* Garbage and dropped connections for every group request on the way:
 * each is retried and the member ends up consuming. */
static void test_bad_answers(void **state)
{
    (void)state;
    sl_fb_t *fb = setup();
    pthread_mutex_lock(&G.mu);
    G.bad[10] = 1;   /* FindCoordinator */
    G.bad[11] = 2;   /* JoinGroup */
    G.bad[14] = 2;   /* SyncGroup */
    G.bad[9] = 2;    /* OffsetFetch */
    G.bad[12] = 1;   /* Heartbeat */
    pthread_mutex_unlock(&G.mu);
    sl_consumer_t *c = member(fb, "false", NULL);
    int64_t next[NPART] = {0, 0};
    assert_int_equal(cf_poll_n(c, 20, next, NULL, NULL), 20);
    /* A lost connection is retried; an undecodable answer is the commit's
     * error; the next commit goes through. */
    pthread_mutex_lock(&G.mu);
    G.bad[8] = 2;    /* OffsetCommit */
    G.bad_as[8] = SL_FB_DROP;
    pthread_mutex_unlock(&G.mu);
    assert_int_equal(sl_consumer_commit(c, NULL, 0, false), SL_OK);
    pthread_mutex_lock(&G.mu);
    assert_int_equal(G.committed[0], 10);
    G.committed[0] = -1;
    G.bad[8] = 1;
    G.bad_as[8] = SL_FB_GARBAGE;
    pthread_mutex_unlock(&G.mu);
    assert_int_equal(sl_consumer_commit(c, NULL, 0, false), SL_ERR_PARSE);
    assert_int_equal(sl_consumer_commit(c, NULL, 0, false), SL_OK);
    pthread_mutex_lock(&G.mu);
    assert_int_equal(G.committed[0], 10);
    pthread_mutex_unlock(&G.mu);
    assert_int_equal(sl_consumer_close(c), SL_OK);
    sl_consumer_free(c);
    teardown(fb);
}

/* An application's own assignor (sl_consumer_set_assignor): its name and
 * user data in JoinGroup, its assignment checked (an unknown partition is
 * refused and the join retried), the leader's user data handed to
 * on_assignment before the ASSIGNED callback. */
static struct {
    int assigns;
    char seen_ud[32];
} CA;

static sl_err_t ca_user_data(sl_buf_t *out, const sl_assignor_tp_t *owned, size_t n, int32_t generation, void *arg)
{
    (void)owned, (void)n, (void)generation, (void)arg;
    sl_buf_put(out, "hello", 5);
    return SL_OK;
}

static sl_err_t ca_assign(const sl_assignor_member_t *members, size_t n, const sl_assignor_topic_t *topics,
                          size_t nt, sl_arena_t *arena, sl_assignor_result_t *out, void *arg)
{
    (void)arena, (void)arg;
    assert_int_equal(n, 1);
    assert_int_equal(nt, 1);
    assert_string_equal(topics[0].name, "t");
    assert_int_equal(topics[0].partitions, NPART);
    snprintf(CA.seen_ud, sizeof CA.seen_ud, "%.*s", (int)members[0].user_data_len, (const char *)members[0].user_data);
    static sl_assignor_tp_t bad = {"t", 7}, good = {"t", 1};
    out[0].parts = CA.assigns++ == 0 ? &bad : &good;
    out[0].count = 1;
    out[0].user_data = (const uint8_t *)"for-you";
    out[0].user_data_len = 7;
    return SL_OK;
}

static void ca_on_assignment(sl_consumer_t *c, const sl_assignor_tp_t *parts, size_t n, const uint8_t *ud,
                             int32_t len, int32_t generation, void *arg)
{
    (void)c, (void)generation, (void)arg;
    if (g_nlog < 64)
        snprintf(g_log[g_nlog++], sizeof g_log[0], "O %.*s %zu %d", (int)len, (const char *)ud, n,
                 n ? (int)parts[0].partition : -1);
}

static void test_custom_assignor(void **state)
{
    (void)state;
    sl_fb_t *fb = setup();
    const char *extra[] = {"group.id", "g", "auto.offset.reset", "earliest", "enable.auto.commit", "false",
                           "heartbeat.interval.ms", "50", NULL};
    sl_consumer_t *c = cf_consumer(fb, extra, on_rebalance, NULL);
    memset(&CA, 0, sizeof CA);
    sl_assignor_def_t def = {"mine", ca_user_data, NULL, ca_on_assignment, NULL, "connect"};
    assert_int_equal(sl_consumer_set_assignor(c, &def), SL_ERR_INVAL);   /* no assign() */
    def.assign = ca_assign;
    def.protocol_type = "";
    assert_int_equal(sl_consumer_set_assignor(c, &def), SL_ERR_INVAL);   /* an empty protocol type */
    def.protocol_type = "connect";
    assert_int_equal(sl_consumer_set_assignor(c, &def), SL_OK);
    const char *topics[] = {"t"};
    assert_int_equal(sl_consumer_subscribe(c, topics, 1), SL_OK);
    assert_int_equal(sl_consumer_set_assignor(c, &def), SL_ERR_STATE);
    assert_true(poll_until_logged(c, "A t 1", 1));
    assert_int_equal(log_count("A t 0"), 0);
    assert_true(CA.assigns >= 2);
    assert_string_equal(CA.seen_ud, "hello");
    int o = -1, a = -1;
    for (int i = 0; i < g_nlog; i++) {
        if (strcmp(g_log[i], "O for-you 1 1") == 0 && o < 0)
            o = i;
        if (strcmp(g_log[i], "A t 1") == 0)
            a = i;
    }
    assert_true(o >= 0 && o < a);
    pthread_mutex_lock(&G.mu);
    assert_string_equal(G.protocols, "mine");
    assert_string_equal(G.join_ptype, "connect");
    assert_string_equal(G.sync_ptype, "connect");
    sl_arena_t ar;
    sl_arena_init(&ar, 0, 0);
    sl_asg_subscription_t sub;
    assert_int_equal(sl_asg_subscription_decode(G.sub, (size_t)G.sub_len, &ar, &sub), SL_OK);
    assert_int_equal(sub.user_data_len, 5);
    assert_memory_equal(sub.user_data, "hello", 5);
    sl_arena_fini(&ar);
    pthread_mutex_unlock(&G.mu);
    assert_int_equal(sl_consumer_close(c), SL_OK);
    sl_consumer_free(c);
    teardown(fb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_consume_commit),
        cmocka_unit_test(test_rebalance_and_lost),
        cmocka_unit_test(test_static_member),
        cmocka_unit_test(test_bad_answers),
        cmocka_unit_test(test_custom_assignor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
