/*
 * admin_topics_test.c - CreateTopics, DeleteTopics and CreatePartitions on a
 * broker opened on a temporary directory: what is created, deleted and
 * grown, each entry's error code and message as Kafka gives them, and the
 * responses encoded in every version.
 */
#include "admin_fixture.h"

/* ---- request builders ---- */

static sl_CreateTopicsRequest_t *ct_req(fx_t *fx, int n, bool validate_only)
{
    sl_CreateTopicsRequest_t *req = fx_calloc(fx, 1, sizeof *req);
    sl_CreateTopicsRequest_init(req);
    req->Topics.items = fx_calloc(fx, (size_t)n, sizeof *req->Topics.items);
    req->Topics.count = n;
    req->validateOnly = validate_only;
    for (int i = 0; i < n; i++)
        sl_CreateTopicsRequest_CreatableTopic_init(&req->Topics.items[i]);
    return req;
}

static sl_CreateTopicsRequest_CreatableTopic_t *ct_topic(sl_CreateTopicsRequest_t *req, int i, const char *name,
                                                         int32_t parts, int16_t rf)
{
    sl_CreateTopicsRequest_CreatableTopic_t *t = &req->Topics.items[i];
    t->Name = sl_kstr(name);
    t->NumPartitions = parts;
    t->ReplicationFactor = rf;
    return t;
}

/* kv: n/2 pairs; a NULL value stays null. */
static void ct_configs(fx_t *fx, sl_CreateTopicsRequest_CreatableTopic_t *t, const char *const *kv, int n)
{
    t->Configs.items = fx_calloc(fx, (size_t)n / 2, sizeof *t->Configs.items);
    t->Configs.count = n / 2;
    for (int i = 0; i < n / 2; i++) {
        t->Configs.items[i].Name = sl_kstr(kv[2 * i]);
        t->Configs.items[i].Value = sl_kstr(kv[2 * i + 1]);
    }
}

/* One assignment per partition: ids[p] is the single replica of p. */
static void ct_assign(fx_t *fx, sl_CreateTopicsRequest_CreatableTopic_t *t, const int32_t *index,
                      const int32_t *ids, int n)
{
    t->Assignments.items = fx_calloc(fx, (size_t)n, sizeof *t->Assignments.items);
    t->Assignments.count = n;
    for (int i = 0; i < n; i++) {
        t->Assignments.items[i].PartitionIndex = index[i];
        t->Assignments.items[i].BrokerIds.items = fx_calloc(fx, 1, sizeof(int32_t));
        t->Assignments.items[i].BrokerIds.items[0] = ids[i];
        t->Assignments.items[i].BrokerIds.count = 1;
    }
}

static sl_CreateTopicsResponse_t *create(fx_t *fx, int16_t version, const sl_CreateTopicsRequest_t *req)
{
    sl_CreateTopicsResponse_t *resp = fx_calloc(fx, 1, sizeof *resp);
    assert_int_equal(sl_broker_admin_create_topics(fx->broker, version, req, &fx->arena, resp), SL_OK);
    assert_int_equal(resp->Topics.count, req->Topics.count);
    fx_encodes(SL_APIKEY_CREATE_TOPICS, version, resp);
    return resp;
}

static bool exists(fx_t *fx, const char *name)
{
    sl_topic_t *t = sl_broker_topic_get(fx->broker, name, strlen(name));
    sl_topic_unref(t);
    return t != NULL;
}

static int32_t nparts(fx_t *fx, const char *name)
{
    sl_topic_t *t = sl_broker_topic_get(fx->broker, name, strlen(name));
    assert_non_null(t);
    int32_t n = sl_topic_partition_count(fx->broker, t);
    sl_topic_unref(t);
    return n;
}

static const sl_CreateTopicsResponse_CreatableTopicConfigs_t *
find_cfg(const sl_CreateTopicsResponse_CreatableTopicResult_t *r, const char *name)
{
    for (int32_t i = 0; i < r->Configs.count; i++)
        if (fx_str_eq(r->Configs.items[i].Name, name))
            return &r->Configs.items[i];
    return NULL;
}

/* ---- CreateTopics ---- */

static void create_topics_v7_creates_with_configs_and_answers_them(void **state)
{
    fx_t *fx = *state;
    sl_CreateTopicsRequest_t *req = ct_req(fx, 1, false);
    static const char *const kv[] = {"retention.ms", "86400000", "cleanup.policy", "delete"};
    ct_configs(fx, ct_topic(req, 0, "orders", 4, 1), kv, 4);
    sl_CreateTopicsResponse_t *resp = create(fx, 7, req);
    const sl_CreateTopicsResponse_CreatableTopicResult_t *r = &resp->Topics.items[0];
    assert_int_equal(r->ErrorCode, 0);
    assert_true(fx_str_eq(r->Name, "orders"));
    assert_true(r->ErrorMessage.len < 0);
    assert_int_equal(r->NumPartitions, 4);
    assert_int_equal(r->ReplicationFactor, 1);
    assert_false(sl_admin_uuid_is_zero(&r->TopicId));
    const sl_CreateTopicsResponse_CreatableTopicConfigs_t *c = find_cfg(r, "retention.ms");
    assert_non_null(c);
    assert_true(fx_str_eq(c->Value, "86400000"));
    assert_int_equal(c->ConfigSource, SL_CFG_SRC_DYNAMIC_TOPIC);
    c = find_cfg(r, "segment.bytes");
    assert_non_null(c);
    assert_int_equal(c->ConfigSource, SL_CFG_SRC_DEFAULT);

    assert_int_equal(nparts(fx, "orders"), 4);
    assert_string_equal(fx_override(fx, "orders", "retention.ms"), "86400000");
    sl_topic_t *t = sl_broker_topic_get(fx->broker, "orders", 6);
    assert_memory_equal(t->id.b, r->TopicId.b, 16);
    sl_topic_unref(t);
}

static void create_topics_minus_one_takes_the_server_defaults(void **state)
{
    (void)state;
    static const char *const extra[] = {"num.partitions=3"};
    fx_t *fx = fx_open(extra, 1);
    sl_CreateTopicsRequest_t *req = ct_req(fx, 1, false);
    ct_topic(req, 0, "defaults", -1, -1);
    sl_CreateTopicsResponse_t *resp = create(fx, 5, req);
    assert_int_equal(resp->Topics.items[0].ErrorCode, 0);
    assert_int_equal(resp->Topics.items[0].NumPartitions, 3);
    assert_int_equal(resp->Topics.items[0].ReplicationFactor, 1);
    assert_int_equal(nparts(fx, "defaults"), 3);
    fx_close(fx);
}

static void create_topics_refuses_replication_above_the_broker_count(void **state)
{
    fx_t *fx = *state;
    sl_CreateTopicsRequest_t *req = ct_req(fx, 3, false);
    ct_topic(req, 0, "rf3", 1, 3);
    ct_topic(req, 1, "rf0", 1, 0);
    ct_topic(req, 2, "p0", 0, 1);
    sl_CreateTopicsResponse_t *resp = create(fx, 4, req);
    assert_int_equal(resp->Topics.items[0].ErrorCode, SL_ERR_INVALID_REPLICATION_FACTOR);
    assert_true(fx_str_has(resp->Topics.items[0].ErrorMessage, "larger than available brokers: 1"));
    assert_int_equal(resp->Topics.items[1].ErrorCode, SL_ERR_INVALID_REPLICATION_FACTOR);
    assert_int_equal(resp->Topics.items[2].ErrorCode, SL_ERR_INVALID_PARTITIONS);
    assert_false(exists(fx, "rf3"));
    assert_false(exists(fx, "rf0"));
    assert_false(exists(fx, "p0"));
}

static void create_topics_existing_name_is_topic_already_exists(void **state)
{
    fx_t *fx = *state;
    fx_topic(fx, "taken", 2, NULL, 0);
    sl_CreateTopicsRequest_t *req = ct_req(fx, 1, false);
    ct_topic(req, 0, "taken", 5, 1);
    for (int16_t v = 0; v <= 7; v++) {
        sl_CreateTopicsResponse_t *resp = create(fx, v, req);
        assert_int_equal(resp->Topics.items[0].ErrorCode, SL_ERR_TOPIC_ALREADY_EXISTS);
        assert_true(fx_str_has(resp->Topics.items[0].ErrorMessage, "'taken' already exists"));
        assert_int_equal(resp->Topics.items[0].NumPartitions, -1);
        assert_int_equal(resp->Topics.items[0].Configs.count, 0);
    }
    assert_int_equal(nparts(fx, "taken"), 2);
}

static void create_topics_repeated_name_refuses_every_entry_of_it(void **state)
{
    fx_t *fx = *state;
    sl_CreateTopicsRequest_t *req = ct_req(fx, 3, false);
    ct_topic(req, 0, "twice", 1, 1);
    ct_topic(req, 1, "once", 1, 1);
    ct_topic(req, 2, "twice", 2, 1);
    sl_CreateTopicsResponse_t *resp = create(fx, 3, req);
    assert_int_equal(resp->Topics.items[0].ErrorCode, SL_ERR_INVALID_REQUEST);
    assert_true(fx_str_has(resp->Topics.items[0].ErrorMessage, "multiple entries"));
    assert_int_equal(resp->Topics.items[1].ErrorCode, 0);
    assert_int_equal(resp->Topics.items[2].ErrorCode, SL_ERR_INVALID_REQUEST);
    assert_false(exists(fx, "twice"));
    assert_true(exists(fx, "once"));
}

static void create_topics_validate_only_creates_nothing_and_answers_as_if(void **state)
{
    fx_t *fx = *state;
    sl_CreateTopicsRequest_t *req = ct_req(fx, 2, true);
    static const char *const kv[] = {"cleanup.policy", "compact"};
    ct_configs(fx, ct_topic(req, 0, "dry", 6, 1), kv, 2);
    ct_topic(req, 1, "dry-bad", 1, 2);
    sl_CreateTopicsResponse_t *resp = create(fx, 7, req);
    const sl_CreateTopicsResponse_CreatableTopicResult_t *r = &resp->Topics.items[0];
    assert_int_equal(r->ErrorCode, 0);
    assert_int_equal(r->NumPartitions, 6);
    assert_true(sl_admin_uuid_is_zero(&r->TopicId));
    const sl_CreateTopicsResponse_CreatableTopicConfigs_t *c = find_cfg(r, "cleanup.policy");
    assert_non_null(c);
    assert_true(fx_str_eq(c->Value, "compact"));
    assert_int_equal(resp->Topics.items[1].ErrorCode, SL_ERR_INVALID_REPLICATION_FACTOR);
    assert_false(exists(fx, "dry"));
    assert_false(exists(fx, "dry-bad"));
}

static void create_topics_bad_configs_are_refused_with_a_message(void **state)
{
    fx_t *fx = *state;
    sl_CreateTopicsRequest_t *req = ct_req(fx, 3, false);
    static const char *const bad_value[] = {"retention.ms", "soon"};
    static const char *const unknown[] = {"no.such.config", "1"};
    static const char *const null_value[] = {"retention.ms", NULL, "segment.ms", NULL};
    ct_configs(fx, ct_topic(req, 0, "c1", 1, 1), bad_value, 2);
    ct_configs(fx, ct_topic(req, 1, "c2", 1, 1), unknown, 2);
    ct_configs(fx, ct_topic(req, 2, "c3", 1, 1), null_value, 4);
    sl_CreateTopicsResponse_t *resp = create(fx, 6, req);
    assert_int_equal(resp->Topics.items[0].ErrorCode, SL_ERR_INVALID_CONFIG);
    assert_true(fx_str_has(resp->Topics.items[0].ErrorMessage, "retention.ms"));
    assert_int_equal(resp->Topics.items[1].ErrorCode, SL_ERR_INVALID_CONFIG);
    assert_true(fx_str_has(resp->Topics.items[1].ErrorMessage, "no.such.config"));
    assert_int_equal(resp->Topics.items[2].ErrorCode, SL_ERR_INVALID_REQUEST);
    assert_true(fx_str_has(resp->Topics.items[2].ErrorMessage, "retention.ms,segment.ms"));
    assert_false(exists(fx, "c1"));
    assert_false(exists(fx, "c2"));
    assert_false(exists(fx, "c3"));
}

static void create_topics_stores_canonical_values_and_checks_key_rules(void **state)
{
    fx_t *fx = *state;
    sl_CreateTopicsRequest_t *req = ct_req(fx, 2, false);
    static const char *const spaced[] = {"flush.messages", " 10 ", "preallocate", "TRUE"};
    static const char *const lags[] = {"min.compaction.lag.ms", "5000", "max.compaction.lag.ms", "10"};
    ct_configs(fx, ct_topic(req, 0, "canonical", 1, 1), spaced, 4);
    ct_configs(fx, ct_topic(req, 1, "lagged", 1, 1), lags, 4);
    sl_CreateTopicsResponse_t *resp = create(fx, 7, req);
    assert_int_equal(resp->Topics.items[0].ErrorCode, 0);
    assert_true(fx_str_eq(find_cfg(&resp->Topics.items[0], "flush.messages")->Value, "10"));
    assert_string_equal(fx_override(fx, "canonical", "flush.messages"), "10");
    assert_string_equal(fx_override(fx, "canonical", "preallocate"), "true");
    assert_int_equal(resp->Topics.items[1].ErrorCode, SL_ERR_INVALID_CONFIG);
    assert_true(fx_str_has(resp->Topics.items[1].ErrorMessage, "max.compaction.lag.ms"));
    assert_false(exists(fx, "lagged"));
}

static void create_topics_bad_names_are_invalid_topic_exception(void **state)
{
    fx_t *fx = *state;
    static const char *const names[] = {"", ".", "..", "a/b", "spaced name", "t\xc3\xa9"};
    int n = (int)(sizeof names / sizeof names[0]);
    sl_CreateTopicsRequest_t *req = ct_req(fx, n, false);
    for (int i = 0; i < n; i++)
        ct_topic(req, i, names[i], 1, 1);
    sl_CreateTopicsResponse_t *resp = create(fx, 2, req);
    for (int i = 0; i < n; i++) {
        assert_int_equal(resp->Topics.items[i].ErrorCode, SL_ERR_INVALID_TOPIC_EXCEPTION);
        assert_true(resp->Topics.items[i].ErrorMessage.len > 0);
    }
}

static void create_topics_names_colliding_on_dot_and_underscore_are_refused(void **state)
{
    fx_t *fx = *state;
    fx_topic(fx, "metrics_a", 1, NULL, 0);
    sl_CreateTopicsRequest_t *req = ct_req(fx, 1, false);
    ct_topic(req, 0, "metrics.a", 1, 1);
    sl_CreateTopicsResponse_t *resp = create(fx, 7, req);
    assert_int_equal(resp->Topics.items[0].ErrorCode, SL_ERR_INVALID_TOPIC_EXCEPTION);
    assert_true(fx_str_has(resp->Topics.items[0].ErrorMessage, "collides with existing topics: metrics_a"));
    assert_false(exists(fx, "metrics.a"));
}

static void create_topics_manual_assignments_only_name_this_node(void **state)
{
    fx_t *fx = *state;
    sl_CreateTopicsRequest_t *req = ct_req(fx, 5, false);
    static const int32_t idx_ok[] = {1, 0, 2}, ids_ok[] = {FX_NODE_ID, FX_NODE_ID, FX_NODE_ID};
    static const int32_t idx_gap[] = {0, 2}, ids_two[] = {FX_NODE_ID, FX_NODE_ID};
    static const int32_t idx2[] = {0, 1}, ids_other[] = {FX_NODE_ID, 7};
    ct_assign(fx, ct_topic(req, 0, "manual", -1, -1), idx_ok, ids_ok, 3);
    ct_assign(fx, ct_topic(req, 1, "manual-gap", -1, -1), idx_gap, ids_two, 2);
    ct_assign(fx, ct_topic(req, 2, "manual-other", -1, -1), idx2, ids_other, 2);
    ct_assign(fx, ct_topic(req, 3, "manual-both", 2, -1), idx2, ids_two, 2);
    sl_CreateTopicsRequest_CreatableTopic_t *t = ct_topic(req, 4, "manual-empty", -1, -1);
    ct_assign(fx, t, idx2, ids_two, 2);
    t->Assignments.items[1].BrokerIds.count = 0;
    sl_CreateTopicsResponse_t *resp = create(fx, 5, req);
    assert_int_equal(resp->Topics.items[0].ErrorCode, 0);
    assert_int_equal(resp->Topics.items[0].NumPartitions, 3);
    assert_int_equal(resp->Topics.items[0].ReplicationFactor, 1);
    assert_int_equal(nparts(fx, "manual"), 3);
    assert_int_equal(resp->Topics.items[1].ErrorCode, SL_ERR_INVALID_REPLICA_ASSIGNMENT);
    assert_int_equal(resp->Topics.items[2].ErrorCode, SL_ERR_INVALID_REPLICA_ASSIGNMENT);
    assert_true(fx_str_has(resp->Topics.items[2].ErrorMessage, "Unknown broker(s) in replica assignment: 7"));
    assert_int_equal(resp->Topics.items[3].ErrorCode, SL_ERR_INVALID_REQUEST);
    assert_int_equal(resp->Topics.items[4].ErrorCode, SL_ERR_INVALID_REPLICA_ASSIGNMENT);
    assert_false(exists(fx, "manual-gap"));
    assert_false(exists(fx, "manual-other"));
    assert_false(exists(fx, "manual-both"));
    assert_false(exists(fx, "manual-empty"));
}

static void create_topics_with_no_topics_answers_an_empty_list(void **state)
{
    fx_t *fx = *state;
    sl_CreateTopicsRequest_t *req = ct_req(fx, 0, false);
    sl_CreateTopicsResponse_t *resp = create(fx, 7, req);
    assert_int_equal(resp->Topics.count, 0);
    req->Topics.count = -1; /* a null array, as a test can make one */
    req->Topics.items = NULL;
    sl_CreateTopicsResponse_t r2;
    assert_int_equal(sl_broker_admin_create_topics(fx->broker, 7, req, &fx->arena, &r2), SL_OK);
    assert_int_equal(r2.Topics.count, 0);
}

/* ---- DeleteTopics ---- */

static sl_DeleteTopicsResponse_t *delete_names(fx_t *fx, int16_t version, const char *const *names, int n)
{
    sl_DeleteTopicsRequest_t *req = fx_calloc(fx, 1, sizeof *req);
    sl_DeleteTopicsRequest_init(req);
    if (version >= 6) {
        req->Topics.items = fx_calloc(fx, (size_t)n, sizeof *req->Topics.items);
        req->Topics.count = n;
        for (int i = 0; i < n; i++) {
            sl_DeleteTopicsRequest_DeleteTopicState_init(&req->Topics.items[i]);
            req->Topics.items[i].Name = sl_kstr(names[i]);
        }
    } else {
        req->TopicNames.items = fx_calloc(fx, (size_t)n, sizeof *req->TopicNames.items);
        req->TopicNames.count = n;
        for (int i = 0; i < n; i++)
            req->TopicNames.items[i] = sl_kstr(names[i]);
    }
    sl_DeleteTopicsResponse_t *resp = fx_calloc(fx, 1, sizeof *resp);
    assert_int_equal(sl_broker_admin_delete_topics(fx->broker, version, req, &fx->arena, resp), SL_OK);
    assert_int_equal(resp->Responses.count, n);
    fx_encodes(SL_APIKEY_DELETE_TOPICS, version, resp);
    return resp;
}

static void delete_topics_by_name_deletes_and_reports_unknown_names(void **state)
{
    fx_t *fx = *state;
    for (int16_t v = 0; v <= 6; v++) {
        fx_topic(fx, "gone", 2, NULL, 0);
        static const char *const names[] = {"gone", "never-was", "gone"};
        sl_DeleteTopicsResponse_t *resp = delete_names(fx, v, names, 3);
        assert_int_equal(resp->Responses.items[0].ErrorCode, 0);
        assert_true(fx_str_eq(resp->Responses.items[0].Name, "gone"));
        assert_int_equal(resp->Responses.items[1].ErrorCode, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);
        assert_int_equal(resp->Responses.items[2].ErrorCode, 0); /* same name: same answer */
        if (v >= 6)
            assert_false(sl_admin_uuid_is_zero(&resp->Responses.items[0].TopicId));
        assert_false(exists(fx, "gone"));
    }
}

static void delete_topics_v6_by_id(void **state)
{
    fx_t *fx = *state;
    fx_topic(fx, "by-id", 1, NULL, 0);
    sl_topic_t *t = sl_broker_topic_get(fx->broker, "by-id", 5);
    assert_non_null(t);
    sl_uuid_t id = t->id;
    sl_topic_unref(t);
    sl_uuid_t unknown = id;
    unknown.b[0] ^= 0xff;

    sl_DeleteTopicsRequest_t req;
    sl_DeleteTopicsRequest_init(&req);
    req.Topics.items = fx_calloc(fx, 4, sizeof *req.Topics.items);
    req.Topics.count = 4;
    for (int i = 0; i < 4; i++)
        sl_DeleteTopicsRequest_DeleteTopicState_init(&req.Topics.items[i]);
    req.Topics.items[0].TopicId = id;
    req.Topics.items[1].TopicId = unknown;
    req.Topics.items[2].TopicId = id;
    req.Topics.items[2].Name = sl_kstr("by-id"); /* both: refused */
    /* [3]: neither */
    sl_DeleteTopicsResponse_t resp;
    assert_int_equal(sl_broker_admin_delete_topics(fx->broker, 6, &req, &fx->arena, &resp), SL_OK);
    fx_encodes(SL_APIKEY_DELETE_TOPICS, 6, &resp);
    assert_int_equal(resp.Responses.items[0].ErrorCode, 0);
    assert_true(fx_str_eq(resp.Responses.items[0].Name, "by-id"));
    assert_memory_equal(resp.Responses.items[0].TopicId.b, id.b, 16);
    assert_int_equal(resp.Responses.items[1].ErrorCode, SL_ERR_UNKNOWN_TOPIC_ID);
    assert_true(resp.Responses.items[1].Name.len < 0);
    assert_int_equal(resp.Responses.items[2].ErrorCode, SL_ERR_INVALID_REQUEST);
    assert_int_equal(resp.Responses.items[3].ErrorCode, SL_ERR_INVALID_REQUEST);
    assert_false(exists(fx, "by-id"));
}

static void delete_topics_disabled_answers_per_version(void **state)
{
    (void)state;
    static const char *const extra[] = {"delete.topic.enable=false"};
    fx_t *fx = fx_open(extra, 1);
    fx_topic(fx, "kept", 1, NULL, 0);
    static const char *const names[] = {"kept"};
    sl_DeleteTopicsResponse_t *resp = delete_names(fx, 2, names, 1);
    assert_int_equal(resp->Responses.items[0].ErrorCode, SL_ERR_INVALID_REQUEST);
    resp = delete_names(fx, 5, names, 1);
    assert_int_equal(resp->Responses.items[0].ErrorCode, SL_ERR_TOPIC_DELETION_DISABLED);
    assert_true(resp->Responses.items[0].ErrorMessage.len > 0);
    assert_true(exists(fx, "kept"));
    fx_close(fx);
}

/* ---- CreatePartitions ---- */

static sl_CreatePartitionsResponse_t *grow(fx_t *fx, int16_t version, const char *name, int32_t count,
                                           bool validate_only)
{
    sl_CreatePartitionsRequest_t *req = fx_calloc(fx, 1, sizeof *req);
    sl_CreatePartitionsRequest_init(req);
    req->Topics.items = fx_calloc(fx, 1, sizeof *req->Topics.items);
    req->Topics.count = 1;
    sl_CreatePartitionsRequest_CreatePartitionsTopic_init(&req->Topics.items[0]);
    req->Topics.items[0].Name = sl_kstr(name);
    req->Topics.items[0].Count = count;
    req->Topics.items[0].Assignments.count = -1;
    req->ValidateOnly = validate_only;
    sl_CreatePartitionsResponse_t *resp = fx_calloc(fx, 1, sizeof *resp);
    assert_int_equal(sl_broker_admin_create_partitions(fx->broker, version, req, &fx->arena, resp), SL_OK);
    assert_int_equal(resp->Results.count, 1);
    fx_encodes(SL_APIKEY_CREATE_PARTITIONS, version, resp);
    return resp;
}

static void create_partitions_grows_and_refuses_shrinking(void **state)
{
    fx_t *fx = *state;
    fx_topic(fx, "grow", 2, NULL, 0);
    sl_CreatePartitionsResponse_t *resp = grow(fx, 3, "grow", 5, true);
    assert_int_equal(resp->Results.items[0].ErrorCode, 0);
    assert_int_equal(nparts(fx, "grow"), 2);
    resp = grow(fx, 0, "grow", 5, false);
    assert_int_equal(resp->Results.items[0].ErrorCode, 0);
    assert_true(resp->Results.items[0].ErrorMessage.len < 0);
    assert_int_equal(nparts(fx, "grow"), 5);
    resp = grow(fx, 1, "grow", 3, false);
    assert_int_equal(resp->Results.items[0].ErrorCode, SL_ERR_INVALID_PARTITIONS);
    assert_true(fx_str_has(resp->Results.items[0].ErrorMessage, "higher than the requested 3"));
    resp = grow(fx, 2, "grow", 5, false);
    assert_int_equal(resp->Results.items[0].ErrorCode, SL_ERR_INVALID_PARTITIONS);
    assert_true(fx_str_has(resp->Results.items[0].ErrorMessage, "already has 5"));
    resp = grow(fx, 2, "nope", 5, false);
    assert_int_equal(resp->Results.items[0].ErrorCode, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    assert_int_equal(nparts(fx, "grow"), 5);
}

static void create_partitions_checks_assignments_and_repeats(void **state)
{
    fx_t *fx = *state;
    fx_topic(fx, "assigned", 1, NULL, 0);
    sl_CreatePartitionsRequest_t req;
    sl_CreatePartitionsRequest_init(&req);
    req.Topics.items = fx_calloc(fx, 4, sizeof *req.Topics.items);
    req.Topics.count = 4;
    for (int i = 0; i < 4; i++)
        sl_CreatePartitionsRequest_CreatePartitionsTopic_init(&req.Topics.items[i]);
    /* [0] "assigned" 1 -> 3 with two assignments [node] */
    sl_CreatePartitionsRequest_CreatePartitionsTopic_t *t = &req.Topics.items[0];
    t->Name = sl_kstr("assigned");
    t->Count = 3;
    t->Assignments.items = fx_calloc(fx, 2, sizeof *t->Assignments.items);
    t->Assignments.count = 2;
    for (int i = 0; i < 2; i++) {
        t->Assignments.items[i].BrokerIds.items = fx_calloc(fx, 1, sizeof(int32_t));
        t->Assignments.items[i].BrokerIds.items[0] = FX_NODE_ID;
        t->Assignments.items[i].BrokerIds.count = 1;
    }
    /* [1], [2] the same other topic twice */
    fx_topic(fx, "dup", 1, NULL, 0);
    for (int i = 1; i <= 2; i++) {
        req.Topics.items[i].Name = sl_kstr("dup");
        req.Topics.items[i].Count = 2;
        req.Topics.items[i].Assignments.count = -1;
    }
    /* [3] wrong assignment count */
    fx_topic(fx, "short", 1, NULL, 0);
    req.Topics.items[3].Name = sl_kstr("short");
    req.Topics.items[3].Count = 4;
    req.Topics.items[3].Assignments.items = t->Assignments.items;
    req.Topics.items[3].Assignments.count = 1;
    sl_CreatePartitionsResponse_t resp;
    assert_int_equal(sl_broker_admin_create_partitions(fx->broker, 3, &req, &fx->arena, &resp), SL_OK);
    fx_encodes(SL_APIKEY_CREATE_PARTITIONS, 3, &resp);
    assert_int_equal(resp.Results.items[0].ErrorCode, 0);
    assert_int_equal(nparts(fx, "assigned"), 3);
    assert_int_equal(resp.Results.items[1].ErrorCode, SL_ERR_INVALID_REQUEST);
    assert_int_equal(resp.Results.items[2].ErrorCode, SL_ERR_INVALID_REQUEST);
    assert_int_equal(nparts(fx, "dup"), 1);
    assert_int_equal(resp.Results.items[3].ErrorCode, SL_ERR_INVALID_REPLICA_ASSIGNMENT);
    assert_true(fx_str_has(resp.Results.items[3].ErrorMessage, "by 3 but 1 assignments"));
    assert_int_equal(nparts(fx, "short"), 1);

    /* another node in an assignment */
    t->Count = 4;
    t->Assignments.count = 1;
    t->Assignments.items[0].BrokerIds.items[0] = 9;
    req.Topics.count = 1;
    assert_int_equal(sl_broker_admin_create_partitions(fx->broker, 3, &req, &fx->arena, &resp), SL_OK);
    assert_int_equal(resp.Results.items[0].ErrorCode, SL_ERR_INVALID_REPLICA_ASSIGNMENT);
    assert_true(fx_str_has(resp.Results.items[0].ErrorMessage, "Unknown broker(s) in replica assignment: 9"));
    assert_int_equal(nparts(fx, "assigned"), 3);
}

static void created_topics_survive_a_restart(void **state)
{
    fx_t *fx = *state;
    sl_CreateTopicsRequest_t *req = ct_req(fx, 1, false);
    static const char *const kv[] = {"retention.bytes", "1048576"};
    ct_configs(fx, ct_topic(req, 0, "durable", 3, -1), kv, 2);
    assert_int_equal(create(fx, 7, req)->Topics.items[0].ErrorCode, 0);
    assert_int_equal(grow(fx, 3, "durable", 4, false)->Results.items[0].ErrorCode, 0);
    fx_reopen(fx);
    assert_int_equal(nparts(fx, "durable"), 4);
    assert_string_equal(fx_override(fx, "durable", "retention.bytes"), "1048576");
    static const char *const names[] = {"durable"};
    assert_int_equal(delete_names(fx, 4, names, 1)->Responses.items[0].ErrorCode, 0);
    fx_reopen(fx);
    assert_false(exists(fx, "durable"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(create_topics_v7_creates_with_configs_and_answers_them, fx_setup,
                                        fx_teardown),
        cmocka_unit_test(create_topics_minus_one_takes_the_server_defaults),
        cmocka_unit_test_setup_teardown(create_topics_refuses_replication_above_the_broker_count, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(create_topics_existing_name_is_topic_already_exists, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(create_topics_repeated_name_refuses_every_entry_of_it, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(create_topics_validate_only_creates_nothing_and_answers_as_if, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(create_topics_bad_configs_are_refused_with_a_message, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(create_topics_stores_canonical_values_and_checks_key_rules, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(create_topics_bad_names_are_invalid_topic_exception, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(create_topics_names_colliding_on_dot_and_underscore_are_refused, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(create_topics_manual_assignments_only_name_this_node, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(create_topics_with_no_topics_answers_an_empty_list, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(delete_topics_by_name_deletes_and_reports_unknown_names, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(delete_topics_v6_by_id, fx_setup, fx_teardown),
        cmocka_unit_test(delete_topics_disabled_answers_per_version),
        cmocka_unit_test_setup_teardown(create_partitions_grows_and_refuses_shrinking, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(create_partitions_checks_assignments_and_repeats, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(created_topics_survive_a_restart, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
