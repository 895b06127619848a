/*
 * admin_robust_test.c - odd input never breaks an admin API: for every admin
 * API and version, a realistic request is encoded, then bytes of it are
 * flipped at random (fixed seed, bounded count); whatever still decodes is
 * handed to the builder, which must answer SL_OK with one result per
 * request entry, and the answer must encode in the request's version.
 * Creations and partition additions are forced to validate_only so a
 * mutated count cannot make a million partitions on disk.
 */
#include "admin_fixture.h"

#include <stdlib.h>

#define MUTATIONS 400 /* per api and version */
#define TOPIC "robust"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static sl_kstr_t *one_str(fx_t *fx, const char *s)
{
    sl_kstr_t *k = fx_calloc(fx, 1, sizeof *k);
    *k = sl_kstr(s);
    return k;
}

/* ---- a realistic request of each api, for one version ---- */

static void *make_create_topics(fx_t *fx, int16_t v)
{
    sl_CreateTopicsRequest_t *r = fx_calloc(fx, 1, sizeof *r);
    sl_CreateTopicsRequest_init(r);
    r->Topics.items = fx_calloc(fx, 2, sizeof *r->Topics.items);
    r->Topics.count = 2;
    for (int i = 0; i < 2; i++) {
        sl_CreateTopicsRequest_CreatableTopic_t *t = &r->Topics.items[i];
        sl_CreateTopicsRequest_CreatableTopic_init(t);
        t->Name = sl_kstr(i ? TOPIC : "robust.new");
        t->NumPartitions = i ? 2 : -1;
        t->ReplicationFactor = i ? 1 : -1;
        t->Configs.items = fx_calloc(fx, 1, sizeof *t->Configs.items);
        t->Configs.count = 1;
        t->Configs.items[0].Name = sl_kstr("cleanup.policy");
        t->Configs.items[0].Value = sl_kstr("compact,delete");
    }
    r->Topics.items[0].Assignments.items = fx_calloc(fx, 1, sizeof *r->Topics.items[0].Assignments.items);
    r->Topics.items[0].Assignments.count = 1;
    r->Topics.items[0].Assignments.items[0].BrokerIds.items = fx_calloc(fx, 1, sizeof(int32_t));
    r->Topics.items[0].Assignments.items[0].BrokerIds.items[0] = FX_NODE_ID;
    r->Topics.items[0].Assignments.items[0].BrokerIds.count = 1;
    r->validateOnly = v >= 1;
    return r;
}

static void *make_delete_topics(fx_t *fx, int16_t v)
{
    sl_DeleteTopicsRequest_t *r = fx_calloc(fx, 1, sizeof *r);
    sl_DeleteTopicsRequest_init(r);
    if (v >= 6) {
        r->Topics.items = fx_calloc(fx, 2, sizeof *r->Topics.items);
        r->Topics.count = 2;
        sl_DeleteTopicsRequest_DeleteTopicState_init(&r->Topics.items[0]);
        sl_DeleteTopicsRequest_DeleteTopicState_init(&r->Topics.items[1]);
        r->Topics.items[0].Name = sl_kstr("robust-victim");
        sl_topic_t *t = sl_broker_topic_get(fx->broker, TOPIC, strlen(TOPIC));
        if (t)
            r->Topics.items[1].TopicId = t->id;
        sl_topic_unref(t);
    } else {
        r->TopicNames.items = one_str(fx, "robust-victim");
        r->TopicNames.count = 1;
    }
    return r;
}

static void *make_create_partitions(fx_t *fx, int16_t v)
{
    (void)v;
    sl_CreatePartitionsRequest_t *r = fx_calloc(fx, 1, sizeof *r);
    sl_CreatePartitionsRequest_init(r);
    r->Topics.items = fx_calloc(fx, 1, sizeof *r->Topics.items);
    r->Topics.count = 1;
    sl_CreatePartitionsRequest_CreatePartitionsTopic_t *t = &r->Topics.items[0];
    sl_CreatePartitionsRequest_CreatePartitionsTopic_init(t);
    t->Name = sl_kstr(TOPIC);
    t->Count = 3;
    t->Assignments.items = fx_calloc(fx, 1, sizeof *t->Assignments.items);
    t->Assignments.count = 1;
    t->Assignments.items[0].BrokerIds.items = fx_calloc(fx, 1, sizeof(int32_t));
    t->Assignments.items[0].BrokerIds.items[0] = FX_NODE_ID;
    t->Assignments.items[0].BrokerIds.count = 1;
    r->ValidateOnly = true;
    return r;
}

static void *make_describe_configs(fx_t *fx, int16_t v)
{
    sl_DescribeConfigsRequest_t *r = fx_calloc(fx, 1, sizeof *r);
    sl_DescribeConfigsRequest_init(r);
    r->Resources.items = fx_calloc(fx, 2, sizeof *r->Resources.items);
    r->Resources.count = 2;
    for (int i = 0; i < 2; i++)
        sl_DescribeConfigsRequest_DescribeConfigsResource_init(&r->Resources.items[i]);
    r->Resources.items[0].ResourceType = SL_ADMIN_RES_TOPIC;
    r->Resources.items[0].ResourceName = sl_kstr(TOPIC);
    r->Resources.items[0].ConfigurationKeys.items = one_str(fx, "retention.ms");
    r->Resources.items[0].ConfigurationKeys.count = 1;
    r->Resources.items[1].ResourceType = SL_ADMIN_RES_BROKER;
    r->Resources.items[1].ResourceName = sl_kstr("1");
    r->Resources.items[1].ConfigurationKeys.count = -1;
    r->IncludeSynonyms = v >= 1;
    r->IncludeDocumentation = v >= 3;
    return r;
}

static void *make_alter_configs(fx_t *fx, int16_t v)
{
    (void)v;
    sl_AlterConfigsRequest_t *r = fx_calloc(fx, 1, sizeof *r);
    sl_AlterConfigsRequest_init(r);
    r->Resources.items = fx_calloc(fx, 1, sizeof *r->Resources.items);
    r->Resources.count = 1;
    sl_AlterConfigsRequest_AlterConfigsResource_t *res = &r->Resources.items[0];
    sl_AlterConfigsRequest_AlterConfigsResource_init(res);
    res->ResourceType = SL_ADMIN_RES_TOPIC;
    res->ResourceName = sl_kstr(TOPIC);
    res->Configs.items = fx_calloc(fx, 2, sizeof *res->Configs.items);
    res->Configs.count = 2;
    res->Configs.items[0].Name = sl_kstr("retention.ms");
    res->Configs.items[0].Value = sl_kstr("3600000");
    res->Configs.items[1].Name = sl_kstr("cleanup.policy");
    res->Configs.items[1].Value = sl_kstr("delete");
    return r;
}

static void *make_incremental(fx_t *fx, int16_t v)
{
    (void)v;
    sl_IncrementalAlterConfigsRequest_t *r = fx_calloc(fx, 1, sizeof *r);
    sl_IncrementalAlterConfigsRequest_init(r);
    r->Resources.items = fx_calloc(fx, 1, sizeof *r->Resources.items);
    r->Resources.count = 1;
    sl_IncrementalAlterConfigsRequest_AlterConfigsResource_t *res = &r->Resources.items[0];
    sl_IncrementalAlterConfigsRequest_AlterConfigsResource_init(res);
    res->ResourceType = SL_ADMIN_RES_TOPIC;
    res->ResourceName = sl_kstr(TOPIC);
    res->Configs.items = fx_calloc(fx, 3, sizeof *res->Configs.items);
    res->Configs.count = 3;
    res->Configs.items[0].Name = sl_kstr("cleanup.policy");
    res->Configs.items[0].ConfigOperation = SL_ADMIN_OP_APPEND;
    res->Configs.items[0].Value = sl_kstr("compact");
    res->Configs.items[1].Name = sl_kstr("retention.ms");
    res->Configs.items[1].ConfigOperation = SL_ADMIN_OP_SET;
    res->Configs.items[1].Value = sl_kstr("60000");
    res->Configs.items[2].Name = sl_kstr("segment.ms");
    res->Configs.items[2].ConfigOperation = SL_ADMIN_OP_DELETE;
    res->Configs.items[2].Value = sl_kstr_null();
    return r;
}

static void *make_delete_records(fx_t *fx, int16_t v)
{
    (void)v;
    sl_DeleteRecordsRequest_t *r = fx_calloc(fx, 1, sizeof *r);
    sl_DeleteRecordsRequest_init(r);
    r->Topics.items = fx_calloc(fx, 1, sizeof *r->Topics.items);
    r->Topics.count = 1;
    sl_DeleteRecordsRequest_DeleteRecordsTopic_t *t = &r->Topics.items[0];
    sl_DeleteRecordsRequest_DeleteRecordsTopic_init(t);
    t->Name = sl_kstr(TOPIC);
    t->Partitions.items = fx_calloc(fx, 2, sizeof *t->Partitions.items);
    t->Partitions.count = 2;
    t->Partitions.items[0].PartitionIndex = 0;
    t->Partitions.items[0].Offset = 1;
    t->Partitions.items[1].PartitionIndex = 1;
    t->Partitions.items[1].Offset = -1;
    return r;
}

static void *make_offset_for_leader_epoch(fx_t *fx, int16_t v)
{
    sl_OffsetForLeaderEpochRequest_t *r = fx_calloc(fx, 1, sizeof *r);
    sl_OffsetForLeaderEpochRequest_init(r);
    if (v >= 3)
        r->ReplicaId = -1;
    r->Topics.items = fx_calloc(fx, 1, sizeof *r->Topics.items);
    r->Topics.count = 1;
    sl_OffsetForLeaderEpochRequest_OffsetForLeaderTopic_t *t = &r->Topics.items[0];
    sl_OffsetForLeaderEpochRequest_OffsetForLeaderTopic_init(t);
    t->Topic = sl_kstr(TOPIC);
    t->Partitions.items = fx_calloc(fx, 1, sizeof *t->Partitions.items);
    t->Partitions.count = 1;
    sl_OffsetForLeaderEpochRequest_OffsetForLeaderPartition_init(&t->Partitions.items[0]);
    if (v >= 2)
        t->Partitions.items[0].CurrentLeaderEpoch = 0;
    return r;
}

static void *make_describe_cluster(fx_t *fx, int16_t v)
{
    (void)v;
    sl_DescribeClusterRequest_t *r = fx_calloc(fx, 1, sizeof *r);
    sl_DescribeClusterRequest_init(r);
    r->IncludeClusterAuthorizedOperations = true;
    return r;
}

/* ---- builders behind one signature; each also says how many entries its
 * answer must have for the request it got ---- */

typedef struct api_case {
    int16_t key;
    void *(*make)(fx_t *fx, int16_t v);
    sl_err_t (*build)(fx_t *fx, int16_t v, void *req, void *resp, int32_t *want, int32_t *got);
} api_case_t;

static sl_err_t b_create_topics(fx_t *fx, int16_t v, void *req, void *resp, int32_t *want, int32_t *got)
{
    sl_CreateTopicsRequest_t *r = req;
    sl_CreateTopicsResponse_t *a = resp;
    r->validateOnly = true;
    sl_err_t e = sl_broker_admin_create_topics(fx->broker, v, r, &fx->arena, a);
    *want = SL_MAX(r->Topics.count, 0), *got = a->Topics.count;
    return e;
}

static sl_err_t b_delete_topics(fx_t *fx, int16_t v, void *req, void *resp, int32_t *want, int32_t *got)
{
    sl_DeleteTopicsRequest_t *r = req;
    sl_DeleteTopicsResponse_t *a = resp;
    sl_err_t e = sl_broker_admin_delete_topics(fx->broker, v, r, &fx->arena, a);
    *want = SL_MAX(v >= 6 ? r->Topics.count : r->TopicNames.count, 0), *got = a->Responses.count;
    return e;
}

static sl_err_t b_create_partitions(fx_t *fx, int16_t v, void *req, void *resp, int32_t *want, int32_t *got)
{
    sl_CreatePartitionsRequest_t *r = req;
    sl_CreatePartitionsResponse_t *a = resp;
    r->ValidateOnly = true;
    sl_err_t e = sl_broker_admin_create_partitions(fx->broker, v, r, &fx->arena, a);
    *want = SL_MAX(r->Topics.count, 0), *got = a->Results.count;
    return e;
}

static sl_err_t b_describe_configs(fx_t *fx, int16_t v, void *req, void *resp, int32_t *want, int32_t *got)
{
    sl_DescribeConfigsRequest_t *r = req;
    sl_DescribeConfigsResponse_t *a = resp;
    sl_err_t e = sl_broker_admin_describe_configs(fx->broker, v, r, &fx->arena, a);
    *want = SL_MAX(r->Resources.count, 0), *got = a->Results.count;
    return e;
}

static sl_err_t b_alter_configs(fx_t *fx, int16_t v, void *req, void *resp, int32_t *want, int32_t *got)
{
    sl_AlterConfigsRequest_t *r = req;
    sl_AlterConfigsResponse_t *a = resp;
    sl_err_t e = sl_broker_admin_alter_configs(fx->broker, v, r, &fx->arena, a);
    *want = SL_MAX(r->Resources.count, 0), *got = a->Responses.count;
    return e;
}

static sl_err_t b_incremental(fx_t *fx, int16_t v, void *req, void *resp, int32_t *want, int32_t *got)
{
    sl_IncrementalAlterConfigsRequest_t *r = req;
    sl_IncrementalAlterConfigsResponse_t *a = resp;
    sl_err_t e = sl_admin_incremental_alter_configs(fx->broker, v, r, &fx->arena, a);
    *want = SL_MAX(r->Resources.count, 0), *got = a->Responses.count;
    return e;
}

static sl_err_t b_delete_records(fx_t *fx, int16_t v, void *req, void *resp, int32_t *want, int32_t *got)
{
    sl_DeleteRecordsRequest_t *r = req;
    sl_DeleteRecordsResponse_t *a = resp;
    sl_err_t e = sl_broker_admin_delete_records(fx->broker, v, r, &fx->arena, a);
    *want = SL_MAX(r->Topics.count, 0), *got = a->Topics.count;
    return e;
}

static sl_err_t b_offset_for_leader_epoch(fx_t *fx, int16_t v, void *req, void *resp, int32_t *want, int32_t *got)
{
    sl_OffsetForLeaderEpochRequest_t *r = req;
    sl_OffsetForLeaderEpochResponse_t *a = resp;
    sl_err_t e = sl_admin_offset_for_leader_epoch(fx->broker, v, r, &fx->arena, a);
    *want = SL_MAX(r->Topics.count, 0), *got = a->Topics.count;
    return e;
}

static sl_err_t b_describe_cluster(fx_t *fx, int16_t v, void *req, void *resp, int32_t *want, int32_t *got)
{
    sl_DescribeClusterResponse_t *a = resp;
    sl_err_t e = sl_broker_admin_describe_cluster(fx->broker, v, req, &fx->arena, a);
    *want = 1, *got = a->Brokers.count;
    return e;
}

static const api_case_t cases[] = {
    {SL_APIKEY_CREATE_TOPICS, make_create_topics, b_create_topics},
    {SL_APIKEY_DELETE_TOPICS, make_delete_topics, b_delete_topics},
    {SL_APIKEY_CREATE_PARTITIONS, make_create_partitions, b_create_partitions},
    {SL_APIKEY_DESCRIBE_CONFIGS, make_describe_configs, b_describe_configs},
    {SL_APIKEY_ALTER_CONFIGS, make_alter_configs, b_alter_configs},
    {SL_APIKEY_INCREMENTAL_ALTER_CONFIGS, make_incremental, b_incremental},
    {SL_APIKEY_DELETE_RECORDS, make_delete_records, b_delete_records},
    {SL_APIKEY_OFFSET_FOR_LEADER_EPOCH, make_offset_for_leader_epoch, b_offset_for_leader_epoch},
    {SL_APIKEY_DESCRIBE_CLUSTER, make_describe_cluster, b_describe_cluster},
};

static void ensure_topics(fx_t *fx)
{
    static const char *const names[] = {TOPIC, "robust-victim"};
    for (size_t i = 0; i < 2; i++) {
        sl_topic_t *t = sl_broker_topic_get(fx->broker, names[i], strlen(names[i]));
        if (!t) {
            fx_topic(fx, names[i], 2, NULL, 0);
            fx_append(fx, names[i], 0, 3);
        }
        sl_topic_unref(t);
    }
}

/* Decodes bytes as the api's request; when that works, the builder must
 * answer every entry and the answer must encode. Returns true when the
 * bytes decoded. */
static bool run_one(fx_t *fx, const api_case_t *c, const sl_api_t *api, int16_t v, const uint8_t *bytes, size_t n)
{
    sl_arena_reset(&fx->arena);
    ensure_topics(fx);
    sl_rd_t rd;
    sl_rd_init(&rd, bytes, n);
    void *req = fx_calloc(fx, 1, api->request->size);
    if (api->request->decode(&rd, v, &fx->arena, req) != SL_OK)
        return false;
    void *resp = fx_calloc(fx, 1, api->response->size);
    int32_t want = -1, got = -2;
    sl_err_t e = c->build(fx, v, req, resp, &want, &got);
    if (e != SL_OK)
        fail_msg("%s v%d: builder failed: %s", api->name, v, sl_err_name(e));
    if (want != got)
        fail_msg("%s v%d: %d answers for %d entries", api->name, v, got, want);
    fx_encodes(c->key, v, resp);
    return true;
}

static void admin_apis_answer_mutated_requests_of_every_version(void **state)
{
    fx_t *fx = *state;
    for (size_t i = 0; i < SL_ARRAY_LEN(cases); i++) {
        const api_case_t *c = &cases[i];
        const sl_api_t *api = sl_api_get(c->key);
        assert_non_null(api);
        for (int16_t v = api->min_version; v <= api->max_version; v++) {
            sl_arena_reset(&fx->arena);
            ensure_topics(fx);
            sl_buf_t enc = SL_BUF_INIT;
            void *tmpl = c->make(fx, v);
            if (api->request->encode(&enc, v, tmpl) != SL_OK)
                fail_msg("%s v%d: template does not encode", api->name, v);
            uint8_t *bytes = malloc(enc.len ? enc.len : 1);
            assert_non_null(bytes);
            memcpy(bytes, enc.data, enc.len);
            size_t n = enc.len;
            assert_true(run_one(fx, c, api, v, bytes, n)); /* the template itself */
            int decoded = 0;
            for (int m = 0; m < MUTATIONS; m++) {
                memcpy(bytes, enc.data, n);
                int flips = 1 + (int)(next_rand() % 4);
                for (int f = 0; f < flips && n; f++) {
                    uint32_t r = next_rand();
                    /* mostly small numbers, lengths and counts; sometimes anything */
                    static const uint8_t vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe};
                    bytes[r % n] = (r >> 24) & 1 ? vals[(r >> 16) % sizeof vals] : (uint8_t)(r >> 8);
                }
                decoded += run_one(fx, c, api, v, bytes, n);
            }
            /* a truncated copy of each length shorter than the request */
            for (size_t cut = 0; cut < n && cut < 64; cut++)
                run_one(fx, c, api, v, enc.data, cut);
            print_message("%s v%d: %d of %d mutations decoded\n", api->name, v, decoded, MUTATIONS);
            free(bytes);
            sl_buf_free(&enc);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(admin_apis_answer_mutated_requests_of_every_version, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
