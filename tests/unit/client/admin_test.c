/*
 * admin_test.c - the admin calls against the scripted fake broker (two
 * nodes, node 0 the controller): results copied into the caller's arena,
 * the right broker for each request (controller, leader, coordinator, every
 * broker), retries of NOT_CONTROLLER / NOT_LEADER_OR_FOLLOWER /
 * NOT_COORDINATOR, member assignments decoded, OffsetFetch and DeleteTopics
 * in both of their shapes, DeleteRecords, CreatePartitions and
 * IncrementalAlterConfigs (SET and DELETE), and the failures: a broker that never answers (the call's
 * timeout), one that answers garbage, one that is not there.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "admin_int.h"
#include "client_util.h"
#include "fake_broker.h"

/* What the handler does, per api key: fail the first n requests with err,
 * or ignore / garble them; which node got the last one. */
typedef struct script {
    pthread_mutex_t mu;
    int fail_first[64];
    int16_t err[64];
    int seen[64];
    int node[64];
    int16_t version[64];
    sl_fb_action_t action[64];
    uint16_t coord_port;
    int coord_node;
} script_t;

static script_t g = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void script_reset(void)
{
    pthread_mutex_lock(&g.mu);
    memset(g.fail_first, 0, sizeof g.fail_first);
    memset(g.err, 0, sizeof g.err);
    memset(g.seen, 0, sizeof g.seen);
    memset(g.action, 0, sizeof g.action);
    pthread_mutex_unlock(&g.mu);
}

static void script_fail(int16_t api, int n, int16_t err)
{
    pthread_mutex_lock(&g.mu);
    g.fail_first[api] = n;
    g.err[api] = err;
    pthread_mutex_unlock(&g.mu);
}

static int script_seen(int16_t api, int *node)
{
    pthread_mutex_lock(&g.mu);
    int n = g.seen[api];
    if (node)
        *node = g.node[api];
    pthread_mutex_unlock(&g.mu);
    return n;
}

static int16_t script_version(int16_t api)
{
    pthread_mutex_lock(&g.mu);
    int16_t v = g.version[api];
    pthread_mutex_unlock(&g.mu);
    return v;
}

static void *zalloc(sl_arena_t *a, size_t n)
{
    void *p = sl_arena_zalloc(a, n);
    assert_non_null(p);
    return p;
}

/* A consumer-protocol assignment (v1): t: 0, 2 and u: 5. */
static sl_kbytes_t assignment_bytes(sl_arena_t *arena)
{
    sl_ConsumerProtocolAssignment_t as;
    sl_ConsumerProtocolAssignment_init(&as);
    sl_ConsumerProtocolAssignment_TopicPartition_t *tp = zalloc(arena, 2 * sizeof *tp);
    int32_t *p0 = zalloc(arena, 2 * sizeof *p0), *p1 = zalloc(arena, sizeof *p1);
    p0[0] = 0;
    p0[1] = 2;
    p1[0] = 5;
    tp[0].Topic = sl_kstr("t");
    tp[0].Partitions = (sl_int32_array_t){2, p0};
    tp[1].Topic = sl_kstr("u");
    tp[1].Partitions = (sl_int32_array_t){1, p1};
    as.AssignedPartitions.count = 2;
    as.AssignedPartitions.items = tp;
    sl_buf_t buf = SL_BUF_INIT;
    sl_buf_put_i16(&buf, 1);
    assert_int_equal(sl_ConsumerProtocolAssignment_encode(&buf, 1, &as), SL_OK);
    uint8_t *copy = sl_arena_memdup(arena, buf.data, buf.len);
    sl_kbytes_t b = {copy, (int32_t)buf.len};
    sl_buf_free(&buf);
    return b;
}

static const void *answer(const sl_fb_req_t *req, int16_t err)
{
    sl_arena_t *A = req->arena;
    switch (req->api_key) {
    case 10: { /* FindCoordinator */
        sl_FindCoordinatorResponse_t *b = zalloc(A, sizeof *b);
        sl_FindCoordinatorResponse_init(b);
        const sl_FindCoordinatorRequest_t *q = req->body;
        if (req->api_version >= 4) {
            sl_FindCoordinatorResponse_Coordinator_t *c = zalloc(A, sizeof *c);
            sl_FindCoordinatorResponse_Coordinator_init(c);
            c->Key = q->CoordinatorKeys.count > 0 ? q->CoordinatorKeys.items[0] : sl_kstr("");
            c->NodeId = g.coord_node;
            c->Host = sl_kstr("127.0.0.1");
            c->Port = g.coord_port;
            b->Coordinators = (sl_FindCoordinatorResponse_Coordinator_array_t){1, c};
        } else {
            b->NodeId = g.coord_node;
            b->Host = sl_kstr("127.0.0.1");
            b->Port = g.coord_port;
        }
        return b;
    }
    case 19: { /* CreateTopics: every topic created, or err */
        const sl_CreateTopicsRequest_t *q = req->body;
        sl_CreateTopicsResponse_t *b = zalloc(A, sizeof *b);
        sl_CreateTopicsResponse_init(b);
        b->Topics.items = zalloc(A, (size_t)q->Topics.count * sizeof *b->Topics.items + 1);
        b->Topics.count = q->Topics.count;
        for (int32_t i = 0; i < q->Topics.count; i++) {
            sl_CreateTopicsResponse_CreatableTopicResult_init(&b->Topics.items[i]);
            b->Topics.items[i].Name = q->Topics.items[i].Name;
            /* "taken" exists already */
            b->Topics.items[i].ErrorCode = err ? err : sl_kstr_eq(q->Topics.items[i].Name, "taken") ? 36 : 0;
            if (b->Topics.items[i].ErrorCode == 36)
                b->Topics.items[i].ErrorMessage = sl_kstr("Topic 'taken' already exists.");
        }
        return b;
    }
    case 2: { /* ListOffsets: offset 42 + partition, or err */
        const sl_ListOffsetsRequest_t *q = req->body;
        sl_ListOffsetsResponse_t *b = zalloc(A, sizeof *b);
        sl_ListOffsetsResponse_init(b);
        b->Topics.items = zalloc(A, (size_t)q->Topics.count * sizeof *b->Topics.items + 1);
        b->Topics.count = q->Topics.count;
        for (int32_t t = 0; t < q->Topics.count; t++) {
            sl_ListOffsetsResponse_ListOffsetsTopicResponse_t *tr = &b->Topics.items[t];
            tr->Name = q->Topics.items[t].Name;
            tr->Partitions.count = q->Topics.items[t].Partitions.count;
            tr->Partitions.items = zalloc(A, (size_t)tr->Partitions.count * sizeof *tr->Partitions.items + 1);
            for (int32_t p = 0; p < tr->Partitions.count; p++) {
                sl_ListOffsetsResponse_ListOffsetsPartitionResponse_init(&tr->Partitions.items[p]);
                int32_t id = q->Topics.items[t].Partitions.items[p].PartitionIndex;
                tr->Partitions.items[p].PartitionIndex = id;
                tr->Partitions.items[p].ErrorCode = err;
                tr->Partitions.items[p].Offset = err ? -1 : 42 + id;
            }
        }
        return b;
    }
    case 15: { /* DescribeGroups: one Stable member with an assignment */
        const sl_DescribeGroupsRequest_t *q = req->body;
        sl_DescribeGroupsResponse_t *b = zalloc(A, sizeof *b);
        sl_DescribeGroupsResponse_init(b);
        sl_DescribeGroupsResponse_DescribedGroup_t *dg = zalloc(A, sizeof *dg);
        sl_DescribeGroupsResponse_DescribedGroup_init(dg);
        dg->GroupId = q->Groups.items[0];
        dg->ErrorCode = err;
        dg->GroupState = sl_kstr("Stable");
        dg->ProtocolType = sl_kstr("consumer");
        dg->ProtocolData = sl_kstr("range");
        sl_DescribeGroupsResponse_DescribedGroupMember_t *m = zalloc(A, sizeof *m);
        sl_DescribeGroupsResponse_DescribedGroupMember_init(m);
        m->MemberId = sl_kstr("m-1");
        m->ClientId = sl_kstr("app");
        m->ClientHost = sl_kstr("/10.0.0.1");
        m->MemberAssignment = assignment_bytes(A);
        dg->Members = (sl_DescribeGroupsResponse_DescribedGroupMember_array_t){1, m};
        b->Groups = (sl_DescribeGroupsResponse_DescribedGroup_array_t){1, dg};
        return b;
    }
    case 16: { /* ListGroups: one group per node */
        sl_ListGroupsResponse_t *b = zalloc(A, sizeof *b);
        sl_ListGroupsResponse_init(b);
        sl_ListGroupsResponse_ListedGroup_t *lg = zalloc(A, sizeof *lg);
        sl_ListGroupsResponse_ListedGroup_init(lg);
        lg->GroupId = sl_kstr(req->node == 0 ? "g-on-0" : "g-on-1");
        lg->ProtocolType = sl_kstr("consumer");
        lg->GroupState = sl_kstr("Empty");
        b->Groups = (sl_ListGroupsResponse_ListedGroup_array_t){1, lg};
        return b;
    }
    case 9: { /* OffsetFetch: t-0 at 7, t-1 none */
        sl_OffsetFetchResponse_t *b = zalloc(A, sizeof *b);
        sl_OffsetFetchResponse_init(b);
        int64_t offs[2] = {7, -1};
        if (req->api_version >= 8) {
            const sl_OffsetFetchRequest_t *q = req->body;
            assert_int_equal(q->Groups.count, 1);
            sl_OffsetFetchResponse_OffsetFetchResponseGroup_t *gr = zalloc(A, sizeof *gr);
            sl_OffsetFetchResponse_OffsetFetchResponseGroup_init(gr);
            gr->groupId = q->Groups.items[0].groupId;
            gr->ErrorCode = err;
            sl_OffsetFetchResponse_OffsetFetchResponseTopics_t *t = zalloc(A, sizeof *t);
            sl_OffsetFetchResponse_OffsetFetchResponseTopics_init(t);
            t->Name = sl_kstr("t");
            t->Partitions.items = zalloc(A, 2 * sizeof *t->Partitions.items);
            t->Partitions.count = 2;
            for (int i = 0; i < 2; i++) {
                sl_OffsetFetchResponse_OffsetFetchResponsePartitions_init(&t->Partitions.items[i]);
                t->Partitions.items[i].PartitionIndex = i;
                t->Partitions.items[i].CommittedOffset = offs[i];
            }
            gr->Topics = (sl_OffsetFetchResponse_OffsetFetchResponseTopics_array_t){1, t};
            b->Groups = (sl_OffsetFetchResponse_OffsetFetchResponseGroup_array_t){1, gr};
        } else {
            const sl_OffsetFetchRequest_t *q = req->body;
            assert_true(sl_kstr_eq(q->GroupId, "grp"));
            assert_int_equal(q->Topics.count, -1);
            b->ErrorCode = err;
            sl_OffsetFetchResponse_OffsetFetchResponseTopic_t *t = zalloc(A, sizeof *t);
            sl_OffsetFetchResponse_OffsetFetchResponseTopic_init(t);
            t->Name = sl_kstr("t");
            t->Partitions.items = zalloc(A, 2 * sizeof *t->Partitions.items);
            t->Partitions.count = 2;
            for (int i = 0; i < 2; i++) {
                sl_OffsetFetchResponse_OffsetFetchResponsePartition_init(&t->Partitions.items[i]);
                t->Partitions.items[i].PartitionIndex = i;
                t->Partitions.items[i].CommittedOffset = offs[i];
            }
            b->Topics = (sl_OffsetFetchResponse_OffsetFetchResponseTopic_array_t){1, t};
        }
        return b;
    }
    case 21: { /* DeleteRecords: the low watermark becomes the asked offset (-1: 100) */
        const sl_DeleteRecordsRequest_t *q = req->body;
        sl_DeleteRecordsResponse_t *b = zalloc(A, sizeof *b);
        sl_DeleteRecordsResponse_init(b);
        b->Topics.count = q->Topics.count;
        b->Topics.items = zalloc(A, (size_t)q->Topics.count * sizeof *b->Topics.items + 1);
        for (int32_t t = 0; t < q->Topics.count; t++) {
            size_t np = (size_t)q->Topics.items[t].Partitions.count;
            b->Topics.items[t].Name = q->Topics.items[t].Name;
            b->Topics.items[t].Partitions.count = (int32_t)np;
            b->Topics.items[t].Partitions.items = zalloc(A, np * sizeof *b->Topics.items[t].Partitions.items + 1);
            for (size_t p = 0; p < np; p++) {
                const sl_DeleteRecordsRequest_DeleteRecordsPartition_t *qp = &q->Topics.items[t].Partitions.items[p];
                b->Topics.items[t].Partitions.items[p].PartitionIndex = qp->PartitionIndex;
                b->Topics.items[t].Partitions.items[p].ErrorCode = err;
                b->Topics.items[t].Partitions.items[p].LowWatermark = qp->Offset < 0 ? 100 : qp->Offset;
            }
        }
        return b;
    }
    case 20: { /* DeleteTopics: names from Topics[] (v6) or TopicNames (v0-5) */
        const sl_DeleteTopicsRequest_t *q = req->body;
        sl_DeleteTopicsResponse_t *b = zalloc(A, sizeof *b);
        sl_DeleteTopicsResponse_init(b);
        int32_t n = req->api_version >= 6 ? q->Topics.count : q->TopicNames.count;
        b->Responses.count = n;
        b->Responses.items = zalloc(A, (size_t)n * sizeof *b->Responses.items + 1);
        for (int32_t i = 0; i < n; i++) {
            sl_DeleteTopicsResponse_DeletableTopicResult_init(&b->Responses.items[i]);
            sl_kstr_t name = req->api_version >= 6 ? q->Topics.items[i].Name : q->TopicNames.items[i];
            b->Responses.items[i].Name = name;
            b->Responses.items[i].ErrorCode = err ? err : sl_kstr_eq(name, "t") ? 0 : 3;
        }
        return b;
    }
    case 37: { /* CreatePartitions: growing to fewer than 2 is INVALID_PARTITIONS */
        const sl_CreatePartitionsRequest_t *q = req->body;
        sl_CreatePartitionsResponse_t *b = zalloc(A, sizeof *b);
        sl_CreatePartitionsResponse_init(b);
        sl_CreatePartitionsResponse_CreatePartitionsTopicResult_t *r = zalloc(A, sizeof *r);
        sl_CreatePartitionsResponse_CreatePartitionsTopicResult_init(r);
        r->Name = q->Topics.items[0].Name;
        r->ErrorCode = err ? err : q->Topics.items[0].Count < 2 ? 37 : 0;
        if (r->ErrorCode == 37)
            r->ErrorMessage = sl_kstr("Topic currently has 2 partitions");
        b->Results = (sl_CreatePartitionsResponse_CreatePartitionsTopicResult_array_t){1, r};
        return b;
    }
    case 44: { /* IncrementalAlterConfigs: SET and DELETE of x.ms are fine, anything else INVALID_CONFIG */
        const sl_IncrementalAlterConfigsRequest_t *q = req->body;
        const sl_IncrementalAlterConfigsRequest_AlterConfigsResource_t *res = &q->Resources.items[0];
        bool ok = res->Configs.count == 2 && sl_kstr_eq(res->Configs.items[0].Name, "x.ms") &&
                  res->Configs.items[0].ConfigOperation == 0 && sl_kstr_eq(res->Configs.items[0].Value, "5") &&
                  res->Configs.items[1].ConfigOperation == 1;
        sl_IncrementalAlterConfigsResponse_t *b = zalloc(A, sizeof *b);
        sl_IncrementalAlterConfigsResponse_init(b);
        sl_IncrementalAlterConfigsResponse_AlterConfigsResourceResponse_t *r = zalloc(A, sizeof *r);
        sl_IncrementalAlterConfigsResponse_AlterConfigsResourceResponse_init(r);
        r->ResourceType = res->ResourceType;
        r->ResourceName = res->ResourceName;
        r->ErrorCode = err ? err : ok ? 0 : 40;
        b->Responses = (sl_IncrementalAlterConfigsResponse_AlterConfigsResourceResponse_array_t){1, r};
        return b;
    }
    case 8: { /* OffsetCommit as an admin: partition 1 refused */
        const sl_OffsetCommitRequest_t *q = req->body;
        assert_int_equal(q->GenerationId, -1);
        assert_true(sl_kstr_eq(q->MemberId, ""));
        sl_OffsetCommitResponse_t *b = zalloc(A, sizeof *b);
        sl_OffsetCommitResponse_init(b);
        b->Topics.count = q->Topics.count;
        b->Topics.items = zalloc(A, (size_t)q->Topics.count * sizeof *b->Topics.items + 1);
        for (int32_t t = 0; t < q->Topics.count; t++) {
            b->Topics.items[t].Name = q->Topics.items[t].Name;
            b->Topics.items[t].Partitions.count = q->Topics.items[t].Partitions.count;
            size_t np = (size_t)q->Topics.items[t].Partitions.count;
            b->Topics.items[t].Partitions.items = zalloc(A, np * sizeof *b->Topics.items[t].Partitions.items + 1);
            for (int32_t p = 0; p < q->Topics.items[t].Partitions.count; p++) {
                int32_t id = q->Topics.items[t].Partitions.items[p].PartitionIndex;
                b->Topics.items[t].Partitions.items[p].PartitionIndex = id;
                b->Topics.items[t].Partitions.items[p].ErrorCode = err ? err : id == 1 ? 25 : 0;
            }
        }
        return b;
    }
    }
    return NULL;
}

static sl_fb_reply_t handler(sl_fb_t *fb, const sl_fb_req_t *req, void *arg)
{
    (void)fb;
    (void)arg;
    sl_fb_reply_t r = {SL_FB_DEFAULT, NULL, 0};
    if (req->api_key < 0 || req->api_key >= 64)
        return r;
    pthread_mutex_lock(&g.mu);
    int n = g.seen[req->api_key]++;
    g.node[req->api_key] = req->node;
    g.version[req->api_key] = req->api_version;
    int16_t err = n < g.fail_first[req->api_key] ? g.err[req->api_key] : 0;
    sl_fb_action_t action = g.action[req->api_key];
    pthread_mutex_unlock(&g.mu);
    if (action) {
        r.action = action;
        return r;
    }
    const void *body = answer(req, err);
    if (body) {
        r.action = SL_FB_REPLY;
        r.body = body;
    }
    return r;
}

typedef struct fixture {
    sl_fb_t *fb;
    sl_admin_t *a;
    sl_arena_t arena;
} fixture_t;

static sl_admin_t *admin_for(const char *bootstrap)
{
    sl_conf_t *conf = sl_conf_new();
    char err[256];
    assert_non_null(conf);
    assert_int_equal(sl_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err), SL_OK);
    assert_int_equal(sl_conf_set(conf, "retry.backoff.ms", "20", err, sizeof err), SL_OK);
    assert_int_equal(sl_conf_set(conf, "reconnect.backoff.ms", "20", err, sizeof err), SL_OK);
    assert_int_equal(sl_conf_set(conf, "reconnect.backoff.max.ms", "100", err, sizeof err), SL_OK);
    sl_admin_t *a = NULL;
    assert_int_equal(sl_admin_new(conf, &a, err, sizeof err), SL_OK);
    sl_conf_free(conf);
    return a;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->fb = sl_fb_new(2);
    assert_non_null(f->fb);
    sl_fb_set_handler(f->fb, handler, NULL);
    sl_fb_topic_set(f->fb, "t", 2); /* partition 0 on node 0, 1 on node 1 */
    script_reset();
    g.coord_node = 1;
    g.coord_port = sl_fb_port(f->fb, 1);
    f->a = admin_for(sl_fb_bootstrap(f->fb));
    sl_arena_init(&f->arena, 0, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    sl_admin_free(f->a);
    sl_fb_free(f->fb);
    sl_arena_fini(&f->arena);
    free(f);
    return 0;
}

static void test_cluster_and_topics(void **state)
{
    fixture_t *f = *state;
    sl_cluster_desc_t c;
    assert_int_equal(sl_admin_describe_cluster(f->a, &f->arena, &c, 5000), SL_OK);
    assert_string_equal(c.cluster_id, "fake-cluster");
    assert_int_equal(c.controller_id, 0);
    assert_int_equal(c.broker_count, 2);
    assert_string_equal(c.brokers[0].host, "127.0.0.1");

    sl_fb_topic_set(f->fb, "b-topic", 1);
    const char **names;
    size_t n;
    assert_int_equal(sl_admin_list_topics(f->a, false, &f->arena, &names, &n, 5000), SL_OK);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "b-topic"); /* sorted */
    assert_string_equal(names[1], "t");

    const char *want[] = {"t", "missing"};
    sl_topic_desc_t *d;
    assert_int_equal(sl_admin_describe_topics(f->a, want, 2, &f->arena, &d, &n, 5000), SL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(d[0].err, SL_OK);
    assert_int_equal(d[0].partition_count, 2);
    assert_int_equal(d[0].partitions[1].id, 1);
    assert_int_equal(d[0].partitions[1].leader, 1);
    assert_int_equal(d[1].err, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);
}

static void test_create_retries_not_controller(void **state)
{
    fixture_t *f = *state;
    script_fail(19, 2, SL_ERR_NOT_CONTROLLER);
    sl_config_entry_t cfg[] = {{.name = "retention.ms", .value = "1000"}};
    sl_new_topic_t t[] = {{.name = "fresh", .partitions = 3, .replication_factor = 1, .configs = cfg,
                           .config_count = 1},
                          {.name = "taken", .partitions = 1, .replication_factor = 1}};
    assert_int_equal(sl_admin_create_topics(f->a, t, 2, false, &f->arena, 5000), SL_OK);
    assert_int_equal(t[0].err, SL_OK);
    assert_int_equal(t[1].err, SL_ERR_TOPIC_ALREADY_EXISTS);
    assert_string_equal(t[1].message, "Topic 'taken' already exists.");
    int node;
    assert_int_equal(script_seen(19, &node), 3);
    assert_int_equal(node, 0); /* the controller */
}

static void test_list_offsets_follow_leaders(void **state)
{
    fixture_t *f = *state;
    script_fail(2, 1, SL_ERR_NOT_LEADER_OR_FOLLOWER);
    sl_tp_offset_t p[] = {{.topic = "t", .partition = 0, .offset = SL_OFFSET_END},
                          {.topic = "t", .partition = 1, .offset = SL_OFFSET_BEGINNING},
                          {.topic = "nope", .partition = 0, .offset = SL_OFFSET_END}};
    assert_int_equal(sl_admin_list_offsets(f->a, p, 3, false, 5000), SL_OK);
    assert_int_equal(p[0].err, SL_OK);
    assert_int_equal(p[0].offset, 42);
    assert_int_equal(p[1].err, SL_OK);
    assert_int_equal(p[1].offset, 43);
    assert_int_equal(p[2].err, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    /* one request per leader, plus the one retried */
    assert_int_equal(script_seen(2, NULL), 3);
}

static void test_groups(void **state)
{
    fixture_t *f = *state;
    script_fail(15, 1, SL_ERR_NOT_COORDINATOR);
    const char *ids[] = {"grp"};
    sl_group_desc_t *d;
    assert_int_equal(sl_admin_describe_groups(f->a, ids, 1, &f->arena, &d, 5000), SL_OK);
    assert_int_equal(d[0].err, SL_OK);
    assert_string_equal(d[0].state, "Stable");
    assert_string_equal(d[0].protocol, "range");
    assert_int_equal(d[0].coordinator, 1);
    assert_int_equal(d[0].member_count, 1);
    const sl_member_desc_t *m = &d[0].members[0];
    assert_string_equal(m->member_id, "m-1");
    assert_string_equal(m->host, "/10.0.0.1");
    assert_int_equal(m->assignment_count, 3);
    assert_string_equal(m->assignment[0].topic, "t");
    assert_int_equal(m->assignment[1].partition, 2);
    assert_string_equal(m->assignment[2].topic, "u");
    assert_int_equal(m->assignment[2].partition, 5);
    int node;
    assert_int_equal(script_seen(15, &node), 2);
    assert_int_equal(node, 1); /* the coordinator */

    sl_group_listing_t *l;
    size_t n;
    assert_int_equal(sl_admin_list_groups(f->a, &f->arena, &l, &n, 5000), SL_OK);
    assert_int_equal(n, 2);
    assert_true((strcmp(l[0].group_id, "g-on-0") == 0) != (strcmp(l[1].group_id, "g-on-0") == 0));
    assert_string_equal(l[0].state, "Empty");

    sl_tp_offset_t *o;
    assert_int_equal(sl_admin_list_group_offsets(f->a, "grp", &f->arena, &o, &n, 5000), SL_OK);
    assert_int_equal(n, 2);
    assert_int_equal(o[0].offset, 7);
    assert_int_equal(o[1].offset, SL_OFFSET_INVALID);

    sl_tp_offset_t c[] = {{.topic = "t", .partition = 0, .offset = 3, .leader_epoch = -1},
                          {.topic = "t", .partition = 1, .offset = 4, .leader_epoch = -1}};
    assert_int_equal(sl_admin_alter_group_offsets(f->a, "grp", c, 2, 5000), SL_OK);
    assert_int_equal(c[0].err, SL_OK);
    assert_int_equal(c[1].err, SL_ERR_UNKNOWN_MEMBER_ID);
}

/* Older versions (advertised before the first connection): OffsetFetch v7
 * asks by GroupId, DeleteTopics v5 names topics in TopicNames. */
static void test_older_versions(void **state)
{
    fixture_t *f = *state;
    sl_fb_set_api(f->fb, 9, 0, 7);
    sl_fb_set_api(f->fb, 20, 0, 5);
    const char *names[] = {"t", "gone"};
    sl_err_t errs[2];
    assert_int_equal(sl_admin_delete_topics(f->a, names, 2, errs, 5000), SL_OK);
    assert_int_equal(script_version(20), 5);
    assert_int_equal(errs[0], SL_OK);
    assert_int_equal(errs[1], SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    sl_tp_offset_t *o;
    size_t n;
    assert_int_equal(sl_admin_list_group_offsets(f->a, "grp", &f->arena, &o, &n, 5000), SL_OK);
    assert_int_equal(script_version(9), 7);
    assert_int_equal(n, 2);
    assert_string_equal(o[0].topic, "t");
    assert_int_equal(o[0].offset, 7);
}

static void test_records_topics_configs(void **state)
{
    fixture_t *f = *state;
    /* DeleteRecords to each partition's leader; a leader move retried. */
    script_fail(21, 1, SL_ERR_NOT_LEADER_OR_FOLLOWER);
    sl_tp_offset_t p[] = {{.topic = "t", .partition = 0, .offset = 7},
                          {.topic = "t", .partition = 1, .offset = SL_OFFSET_END}};
    assert_int_equal(sl_admin_delete_records(f->a, p, 2, 5000), SL_OK);
    assert_int_equal(p[0].err, SL_OK);
    assert_int_equal(p[0].offset, 7);
    assert_int_equal(p[1].err, SL_OK);
    assert_int_equal(p[1].offset, 100);
    assert_int_equal(script_seen(21, NULL), 3);

    /* DeleteTopics in v6 (names in Topics[]). */
    const char *names[] = {"t", "gone"};
    sl_err_t errs[2];
    assert_int_equal(sl_admin_delete_topics(f->a, names, 2, errs, 5000), SL_OK);
    assert_int_equal(errs[0], SL_OK);
    assert_int_equal(errs[1], SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    assert_int_equal(script_version(20), 6);

    /* CreatePartitions: the broker's refusal and its message. */
    sl_err_t perr;
    const char *msg = NULL;
    assert_int_equal(sl_admin_create_partitions(f->a, "t", 1, &perr, &f->arena, &msg, 5000), SL_OK);
    assert_int_equal(perr, SL_ERR_INVALID_PARTITIONS);
    assert_string_equal(msg, "Topic currently has 2 partitions");
    assert_int_equal(sl_admin_create_partitions(f->a, "t", 4, &perr, &f->arena, &msg, 5000), SL_OK);
    assert_int_equal(perr, SL_OK);

    /* IncrementalAlterConfigs: a value is SET, NULL is DELETE. */
    sl_config_entry_t e[] = {{.name = "x.ms", .value = "5"}, {.name = "y.ms", .value = NULL}};
    sl_err_t cerr;
    assert_int_equal(sl_admin_alter_configs(f->a, SL_RESOURCE_TOPIC, "t", e, 2, &cerr, &f->arena, &msg, 5000),
                     SL_OK);
    assert_int_equal(cerr, SL_OK);
    assert_int_equal(sl_admin_alter_configs(f->a, SL_RESOURCE_TOPIC, "t", e, 1, &cerr, &f->arena, &msg, 5000),
                     SL_OK);
    assert_int_equal(cerr, SL_ERR_INVALID_CONFIG);
}

static void test_failures(void **state)
{
    fixture_t *f = *state;
    char why[512];
    /* Never answered: the call's timeout. */
    pthread_mutex_lock(&g.mu);
    g.action[32] = SL_FB_IGNORE;
    g.action[42] = SL_FB_GARBAGE;
    pthread_mutex_unlock(&g.mu);
    sl_config_entry_t *e;
    size_t n;
    assert_int_equal(sl_admin_describe_configs(f->a, SL_RESOURCE_TOPIC, "t", &f->arena, &e, &n, 300), SL_ERR_TIMEOUT);
    sl_admin_last_error(f->a, why, sizeof why);
    assert_non_null(strstr(why, "no answer within 300 ms"));
    /* Garbage: an error for the call, not a crash; the handle still works. */
    const char *ids[] = {"grp"};
    sl_err_t errs[1];
    sl_err_t err = sl_admin_delete_groups(f->a, ids, 1, errs, 2000);
    assert_int_not_equal(err, SL_OK);
    sl_admin_last_error(f->a, why, sizeof why);
    assert_non_null(strstr(why, "DeleteGroups of grp"));
    sl_cluster_desc_t c;
    assert_int_equal(sl_admin_describe_cluster(f->a, &f->arena, &c, 5000), SL_OK);
    assert_int_equal(sl_admin_describe_configs(f->a, SL_RESOURCE_BROKER, "x", &f->arena, &e, &n, 100), SL_ERR_INVAL);
}

static void test_nobody_there(void **state)
{
    (void)state;
    sl_fb_t *fb = sl_fb_new(1);
    assert_non_null(fb);
    char bootstrap[64];
    snprintf(bootstrap, sizeof bootstrap, "127.0.0.1:%u", (unsigned)sl_fb_port(fb, 0));
    sl_fb_free(fb); /* the port is closed now */
    sl_admin_t *a = admin_for(bootstrap);
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    const char **names;
    size_t n;
    assert_int_equal(sl_admin_list_topics(a, false, &arena, &names, &n, 400), SL_ERR_TIMEOUT);
    char why[512];
    sl_admin_last_error(a, why, sizeof why);
    assert_non_null(strstr(why, "Metadata"));
    assert_non_null(strstr(why, bootstrap));
    sl_arena_fini(&arena);
    sl_admin_free(a);
}

static void test_decode_assignment(void **state)
{
    (void)state;
    sl_arena_t arena;
    sl_arena_init(&arena, 0, 0);
    sl_tp_offset_t *tp;
    size_t n;
    sl_kbytes_t b = assignment_bytes(&arena);
    assert_int_equal(sl_adm_decode_assignment(b.ptr, b.len, &arena, &tp, &n), SL_OK);
    assert_int_equal(n, 3);
    /* Every truncation fails cleanly. */
    for (int32_t len = 1; len < b.len; len++)
        assert_int_not_equal(sl_adm_decode_assignment(b.ptr, len, &arena, &tp, &n), SL_OK);
    assert_int_equal(sl_adm_decode_assignment(NULL, -1, &arena, &tp, &n), SL_OK);
    assert_int_equal(n, 0);
    /* A hostile count fails before allocating. */
    uint8_t bad[] = {0, 1, 0x7f, 0xff, 0xff, 0xff};
    assert_int_not_equal(sl_adm_decode_assignment(bad, sizeof bad, &arena, &tp, &n), SL_OK);
    sl_arena_fini(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cluster_and_topics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_retries_not_controller, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_offsets_follow_leaders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_older_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_records_topics_configs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
        cmocka_unit_test(test_nobody_there),
        cmocka_unit_test(test_decode_assignment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
