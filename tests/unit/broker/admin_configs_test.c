/*
 * admin_configs_test.c - DescribeConfigs, AlterConfigs and
 * IncrementalAlterConfigs on a broker opened on a temporary directory:
 * values and sources, synonyms and documentation by version, key filters,
 * broker resources, replacing and editing a topic's overrides (applied to
 * its partitions and kept across a restart), and each refusal with its code
 * and message.
 */
#include "admin_fixture.h"

/* ---- DescribeConfigs ---- */

static sl_DescribeConfigsResponse_t *describe(fx_t *fx, int16_t version, int8_t type, const char *name,
                                              const char *const *keys, int nkeys, bool synonyms, bool docs)
{
    sl_DescribeConfigsRequest_t *req = fx_calloc(fx, 1, sizeof *req);
    sl_DescribeConfigsRequest_init(req);
    req->Resources.items = fx_calloc(fx, 1, sizeof *req->Resources.items);
    req->Resources.count = 1;
    sl_DescribeConfigsRequest_DescribeConfigsResource_t *res = &req->Resources.items[0];
    sl_DescribeConfigsRequest_DescribeConfigsResource_init(res);
    res->ResourceType = type;
    res->ResourceName = sl_kstr(name);
    res->ConfigurationKeys.count = -1;
    if (keys) {
        res->ConfigurationKeys.items = fx_calloc(fx, (size_t)nkeys, sizeof(sl_kstr_t));
        res->ConfigurationKeys.count = nkeys;
        for (int i = 0; i < nkeys; i++)
            res->ConfigurationKeys.items[i] = sl_kstr(keys[i]);
    }
    req->IncludeSynonyms = synonyms;
    req->IncludeDocumentation = docs;
    sl_DescribeConfigsResponse_t *resp = fx_calloc(fx, 1, sizeof *resp);
    assert_int_equal(sl_broker_admin_describe_configs(fx->broker, version, req, &fx->arena, resp), SL_OK);
    assert_int_equal(resp->Results.count, 1);
    assert_int_equal(resp->Results.items[0].ResourceType, type);
    assert_true(fx_str_eq(resp->Results.items[0].ResourceName, name));
    fx_encodes(SL_APIKEY_DESCRIBE_CONFIGS, version, resp);
    return resp;
}

static const sl_DescribeConfigsResponse_DescribeConfigsResourceResult_t *
entry(const sl_DescribeConfigsResponse_t *resp, const char *name)
{
    const sl_DescribeConfigsResponse_DescribeConfigsResult_t *r = &resp->Results.items[0];
    for (int32_t i = 0; i < r->Configs.count; i++)
        if (fx_str_eq(r->Configs.items[i].Name, name))
            return &r->Configs.items[i];
    return NULL;
}

static void describe_configs_topic_gives_values_sources_synonyms_and_docs(void **state)
{
    fx_t *fx = *state;
    static const char *const kv[] = {"retention.ms", "86400000"};
    fx_topic(fx, "described", 1, kv, 2);
    sl_DescribeConfigsResponse_t *resp = describe(fx, 4, SL_ADMIN_RES_TOPIC, "described", NULL, 0, true, true);
    assert_int_equal(resp->Results.items[0].ErrorCode, 0);
    assert_true(resp->Results.items[0].Configs.count >= 20);
    const sl_DescribeConfigsResponse_DescribeConfigsResourceResult_t *e = entry(resp, "retention.ms");
    assert_non_null(e);
    assert_true(fx_str_eq(e->Value, "86400000"));
    assert_int_equal(e->ConfigSource, SL_CFG_SRC_DYNAMIC_TOPIC);
    assert_false(e->ReadOnly);
    assert_int_equal(e->ConfigType, SL_CFG_LONG);
    assert_true(e->Documentation.len > 0);
    /* the override first, then the server key behind it */
    assert_true(e->Synonyms.count >= 2);
    assert_true(fx_str_eq(e->Synonyms.items[0].Name, "retention.ms"));
    assert_int_equal(e->Synonyms.items[0].Source, SL_CFG_SRC_DYNAMIC_TOPIC);
    assert_true(fx_str_has(e->Synonyms.items[1].Name, "log.retention"));
    e = entry(resp, "cleanup.policy");
    assert_non_null(e);
    assert_true(fx_str_eq(e->Value, "delete"));
    assert_int_equal(e->ConfigSource, SL_CFG_SRC_DEFAULT);
    assert_int_equal(e->ConfigType, SL_CFG_LIST);

    /* v1 without synonyms or documentation */
    resp = describe(fx, 1, SL_ADMIN_RES_TOPIC, "described", NULL, 0, false, true);
    e = entry(resp, "retention.ms");
    assert_non_null(e);
    assert_int_equal(e->Synonyms.count, 0);
    assert_true(e->Documentation.len < 0);
}

static void describe_configs_v0_marks_defaults(void **state)
{
    fx_t *fx = *state;
    static const char *const kv[] = {"segment.ms", "3600000"};
    fx_topic(fx, "v0", 1, kv, 2);
    sl_DescribeConfigsResponse_t *resp = describe(fx, 0, SL_ADMIN_RES_TOPIC, "v0", NULL, 0, false, false);
    assert_false(entry(resp, "segment.ms")->IsDefault);
    assert_true(entry(resp, "segment.bytes")->IsDefault);
}

static void describe_configs_returns_only_the_keys_asked_for(void **state)
{
    fx_t *fx = *state;
    fx_topic(fx, "filtered", 1, NULL, 0);
    static const char *const keys[] = {"retention.bytes", "no.such.key", "segment.ms"};
    sl_DescribeConfigsResponse_t *resp = describe(fx, 2, SL_ADMIN_RES_TOPIC, "filtered", keys, 3, false, false);
    assert_int_equal(resp->Results.items[0].ErrorCode, 0);
    assert_int_equal(resp->Results.items[0].Configs.count, 2);
    assert_non_null(entry(resp, "retention.bytes"));
    assert_non_null(entry(resp, "segment.ms"));
    resp = describe(fx, 2, SL_ADMIN_RES_TOPIC, "filtered", keys, 0, false, false);
    assert_int_equal(resp->Results.items[0].Configs.count, 0);
}

static void describe_configs_refuses_unknown_topics_and_types(void **state)
{
    fx_t *fx = *state;
    sl_DescribeConfigsResponse_t *resp = describe(fx, 3, SL_ADMIN_RES_TOPIC, "missing", NULL, 0, true, true);
    assert_int_equal(resp->Results.items[0].ErrorCode, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    assert_int_equal(resp->Results.items[0].Configs.count, 0);
    resp = describe(fx, 3, SL_ADMIN_RES_TOPIC, "bad/name", NULL, 0, true, true);
    assert_int_equal(resp->Results.items[0].ErrorCode, SL_ERR_INVALID_TOPIC_EXCEPTION);
    resp = describe(fx, 3, SL_ADMIN_RES_TOPIC, "", NULL, 0, true, true);
    assert_int_equal(resp->Results.items[0].ErrorCode, SL_ERR_INVALID_TOPIC_EXCEPTION);
    resp = describe(fx, 3, 3 /* GROUP */, "g", NULL, 0, true, true);
    assert_int_equal(resp->Results.items[0].ErrorCode, SL_ERR_INVALID_REQUEST);
    assert_true(resp->Results.items[0].ErrorMessage.len > 0);
    resp = describe(fx, 3, SL_ADMIN_RES_BROKER_LOGGER, "1", NULL, 0, true, true);
    assert_int_equal(resp->Results.items[0].ErrorCode, SL_ERR_INVALID_REQUEST);
}

static void describe_configs_broker_by_node_id(void **state)
{
    fx_t *fx = *state;
    sl_DescribeConfigsResponse_t *resp = describe(fx, 4, SL_ADMIN_RES_BROKER, "1", NULL, 0, true, true);
    assert_int_equal(resp->Results.items[0].ErrorCode, 0);
    const sl_DescribeConfigsResponse_DescribeConfigsResourceResult_t *e = entry(resp, "log.dirs");
    assert_non_null(e);
    assert_true(fx_str_eq(e->Value, fx->dir));
    assert_int_equal(e->ConfigSource, SL_CFG_SRC_STATIC_BROKER);
    assert_true(e->ReadOnly);
    e = entry(resp, "num.partitions");
    assert_non_null(e);
    assert_true(fx_str_eq(e->Value, "1"));
    assert_int_equal(e->ConfigSource, SL_CFG_SRC_DEFAULT);

    /* "" names the cluster-wide dynamic defaults: none here */
    resp = describe(fx, 4, SL_ADMIN_RES_BROKER, "", NULL, 0, true, true);
    assert_int_equal(resp->Results.items[0].ErrorCode, 0);
    assert_int_equal(resp->Results.items[0].Configs.count, 0);
    resp = describe(fx, 4, SL_ADMIN_RES_BROKER, "2", NULL, 0, true, true);
    assert_int_equal(resp->Results.items[0].ErrorCode, SL_ERR_INVALID_REQUEST);
    assert_true(fx_str_has(resp->Results.items[0].ErrorMessage, "Unexpected broker id"));
    resp = describe(fx, 4, SL_ADMIN_RES_BROKER, "one", NULL, 0, true, true);
    assert_int_equal(resp->Results.items[0].ErrorCode, SL_ERR_INVALID_REQUEST);
    assert_true(fx_str_has(resp->Results.items[0].ErrorMessage, "must be an integer"));
    resp = describe(fx, 0, SL_ADMIN_RES_BROKER, "1", NULL, 0, false, false);
    assert_int_equal(resp->Results.items[0].ErrorCode, 0);
}

/* ---- AlterConfigs ---- */

static sl_AlterConfigsResponse_t *alter(fx_t *fx, int16_t version, int8_t type, const char *name,
                                        const char *const *kv, int nkv, bool validate_only)
{
    sl_AlterConfigsRequest_t *req = fx_calloc(fx, 1, sizeof *req);
    sl_AlterConfigsRequest_init(req);
    req->Resources.items = fx_calloc(fx, 1, sizeof *req->Resources.items);
    req->Resources.count = 1;
    req->ValidateOnly = validate_only;
    sl_AlterConfigsRequest_AlterConfigsResource_t *res = &req->Resources.items[0];
    sl_AlterConfigsRequest_AlterConfigsResource_init(res);
    res->ResourceType = type;
    res->ResourceName = sl_kstr(name);
    res->Configs.items = fx_calloc(fx, (size_t)nkv / 2, sizeof *res->Configs.items);
    res->Configs.count = nkv / 2;
    for (int i = 0; i < nkv / 2; i++) {
        res->Configs.items[i].Name = sl_kstr(kv[2 * i]);
        res->Configs.items[i].Value = sl_kstr(kv[2 * i + 1]);
    }
    sl_AlterConfigsResponse_t *resp = fx_calloc(fx, 1, sizeof *resp);
    assert_int_equal(sl_broker_admin_alter_configs(fx->broker, version, req, &fx->arena, resp), SL_OK);
    assert_int_equal(resp->Responses.count, 1);
    fx_encodes(SL_APIKEY_ALTER_CONFIGS, version, resp);
    return resp;
}

static int64_t part_retention_ms(fx_t *fx, const char *topic, int32_t p)
{
    sl_partition_t *part;
    assert_int_equal(sl_broker_partition_get(fx->broker, topic, strlen(topic), p, &part), SL_OK);
    sl_partition_lock(part);
    int64_t v = part->cfg.retention_ms;
    sl_partition_unlock(part);
    sl_partition_unref(part);
    return v;
}

static void alter_configs_replaces_the_overrides_and_applies_them(void **state)
{
    fx_t *fx = *state;
    static const char *const kv[] = {"segment.ms", "3600000"};
    fx_topic(fx, "altered", 2, kv, 2);
    static const char *const set[] = {"retention.ms", "123456789", "max.message.bytes", "500000"};
    sl_AlterConfigsResponse_t *resp = alter(fx, 2, SL_ADMIN_RES_TOPIC, "altered", set, 4, false);
    assert_int_equal(resp->Responses.items[0].ErrorCode, 0);
    assert_true(resp->Responses.items[0].ErrorMessage.len < 0);
    assert_string_equal(fx_override(fx, "altered", "retention.ms"), "123456789");
    assert_null(fx_override(fx, "altered", "segment.ms")); /* not given: gone */
    assert_int_equal(part_retention_ms(fx, "altered", 0), 123456789);
    assert_int_equal(part_retention_ms(fx, "altered", 1), 123456789);
    fx_reopen(fx);
    assert_string_equal(fx_override(fx, "altered", "max.message.bytes"), "500000");
    assert_int_equal(part_retention_ms(fx, "altered", 1), 123456789);
}

static void alter_configs_refusals_change_nothing(void **state)
{
    fx_t *fx = *state;
    static const char *const kv[] = {"retention.ms", "1000"};
    fx_topic(fx, "guarded", 1, kv, 2);
    static const char *const bad[] = {"retention.ms", "soon"};
    sl_AlterConfigsResponse_t *resp = alter(fx, 0, SL_ADMIN_RES_TOPIC, "guarded", bad, 2, false);
    assert_int_equal(resp->Responses.items[0].ErrorCode, SL_ERR_INVALID_CONFIG);
    assert_true(fx_str_has(resp->Responses.items[0].ErrorMessage, "retention.ms"));
    static const char *const unknown[] = {"retention.mss", "1"};
    resp = alter(fx, 1, SL_ADMIN_RES_TOPIC, "guarded", unknown, 2, false);
    assert_int_equal(resp->Responses.items[0].ErrorCode, SL_ERR_INVALID_CONFIG);
    static const char *const nulls[] = {"retention.ms", NULL};
    resp = alter(fx, 1, SL_ADMIN_RES_TOPIC, "guarded", nulls, 2, false);
    assert_int_equal(resp->Responses.items[0].ErrorCode, SL_ERR_INVALID_REQUEST);
    static const char *const twice[] = {"retention.ms", "5", "retention.ms", "6"};
    resp = alter(fx, 1, SL_ADMIN_RES_TOPIC, "guarded", twice, 4, false);
    assert_int_equal(resp->Responses.items[0].ErrorCode, SL_ERR_INVALID_REQUEST);
    assert_true(fx_str_has(resp->Responses.items[0].ErrorMessage, "duplicate config keys"));
    static const char *const good[] = {"retention.ms", "2000"};
    resp = alter(fx, 1, SL_ADMIN_RES_TOPIC, "guarded", good, 2, true); /* validate_only */
    assert_int_equal(resp->Responses.items[0].ErrorCode, 0);
    resp = alter(fx, 1, SL_ADMIN_RES_TOPIC, "absent", good, 2, false);
    assert_int_equal(resp->Responses.items[0].ErrorCode, SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    assert_string_equal(fx_override(fx, "guarded", "retention.ms"), "1000");
    assert_int_equal(part_retention_ms(fx, "guarded", 0), 1000);
}

static void alter_configs_broker_resources_are_static(void **state)
{
    fx_t *fx = *state;
    static const char *const kv[] = {"log.retention.ms", "1000"};
    sl_AlterConfigsResponse_t *resp = alter(fx, 1, SL_ADMIN_RES_BROKER, "1", kv, 2, false);
    assert_int_equal(resp->Responses.items[0].ErrorCode, SL_ERR_INVALID_REQUEST);
    assert_true(fx_str_has(resp->Responses.items[0].ErrorMessage, "Cannot update these configs dynamically"));
    assert_true(fx_str_has(resp->Responses.items[0].ErrorMessage, "log.retention.ms"));
    resp = alter(fx, 1, SL_ADMIN_RES_BROKER, "", kv, 0, false); /* nothing to change */
    assert_int_equal(resp->Responses.items[0].ErrorCode, 0);
    resp = alter(fx, 1, SL_ADMIN_RES_BROKER, "3", kv, 0, false);
    assert_int_equal(resp->Responses.items[0].ErrorCode, SL_ERR_INVALID_REQUEST);
    resp = alter(fx, 1, SL_ADMIN_RES_BROKER_LOGGER, "1", kv, 2, false);
    assert_int_equal(resp->Responses.items[0].ErrorCode, SL_ERR_INVALID_REQUEST);
}

static void alter_configs_same_resource_twice_is_refused(void **state)
{
    fx_t *fx = *state;
    fx_topic(fx, "twice", 1, NULL, 0);
    sl_AlterConfigsRequest_t req;
    sl_AlterConfigsRequest_init(&req);
    req.Resources.items = fx_calloc(fx, 2, sizeof *req.Resources.items);
    req.Resources.count = 2;
    for (int i = 0; i < 2; i++) {
        sl_AlterConfigsRequest_AlterConfigsResource_init(&req.Resources.items[i]);
        req.Resources.items[i].ResourceType = SL_ADMIN_RES_TOPIC;
        req.Resources.items[i].ResourceName = sl_kstr("twice");
    }
    sl_AlterConfigsResponse_t resp;
    assert_int_equal(sl_broker_admin_alter_configs(fx->broker, 2, &req, &fx->arena, &resp), SL_OK);
    assert_int_equal(resp.Responses.items[0].ErrorCode, SL_ERR_INVALID_REQUEST);
    assert_int_equal(resp.Responses.items[1].ErrorCode, SL_ERR_INVALID_REQUEST);
    assert_true(fx_str_has(resp.Responses.items[1].ErrorMessage, "at most once"));
}

/* ---- IncrementalAlterConfigs ---- */

typedef struct op {
    const char *name;
    int8_t op;
    const char *value;
} op_t;

static sl_IncrementalAlterConfigsResponse_t *incremental(fx_t *fx, int16_t version, int8_t type, const char *name,
                                                         const op_t *ops, int n, bool validate_only)
{
    sl_IncrementalAlterConfigsRequest_t *req = fx_calloc(fx, 1, sizeof *req);
    sl_IncrementalAlterConfigsRequest_init(req);
    req->Resources.items = fx_calloc(fx, 1, sizeof *req->Resources.items);
    req->Resources.count = 1;
    req->ValidateOnly = validate_only;
    sl_IncrementalAlterConfigsRequest_AlterConfigsResource_t *res = &req->Resources.items[0];
    sl_IncrementalAlterConfigsRequest_AlterConfigsResource_init(res);
    res->ResourceType = type;
    res->ResourceName = sl_kstr(name);
    res->Configs.items = fx_calloc(fx, (size_t)n, sizeof *res->Configs.items);
    res->Configs.count = n;
    for (int i = 0; i < n; i++) {
        res->Configs.items[i].Name = sl_kstr(ops[i].name);
        res->Configs.items[i].ConfigOperation = ops[i].op;
        res->Configs.items[i].Value = sl_kstr(ops[i].value);
    }
    sl_IncrementalAlterConfigsResponse_t *resp = fx_calloc(fx, 1, sizeof *resp);
    assert_int_equal(sl_admin_incremental_alter_configs(fx->broker, version, req, &fx->arena, resp), SL_OK);
    assert_int_equal(resp->Responses.count, 1);
    fx_encodes(SL_APIKEY_INCREMENTAL_ALTER_CONFIGS, version, resp);
    return resp;
}

static int16_t incr1(fx_t *fx, const char *topic, const char *name, int8_t op, const char *value)
{
    op_t o = {name, op, value};
    return incremental(fx, 1, SL_ADMIN_RES_TOPIC, topic, &o, 1, false)->Responses.items[0].ErrorCode;
}

static void incremental_alter_configs_sets_deletes_appends_subtracts(void **state)
{
    fx_t *fx = *state;
    static const char *const kv[] = {"segment.ms", "3600000"};
    fx_topic(fx, "edited", 1, kv, 2);
    static const op_t ops[] = {
        {"retention.ms", SL_ADMIN_OP_SET, "60000"},
        {"segment.ms", SL_ADMIN_OP_DELETE, NULL},
        {"cleanup.policy", SL_ADMIN_OP_APPEND, "compact"},
    };
    sl_IncrementalAlterConfigsResponse_t *resp = incremental(fx, 0, SL_ADMIN_RES_TOPIC, "edited", ops, 3, false);
    assert_int_equal(resp->Responses.items[0].ErrorCode, 0);
    assert_string_equal(fx_override(fx, "edited", "retention.ms"), "60000");
    assert_null(fx_override(fx, "edited", "segment.ms"));
    assert_string_equal(fx_override(fx, "edited", "cleanup.policy"), "delete,compact");
    assert_int_equal(part_retention_ms(fx, "edited", 0), 60000);

    /* appending what is there changes nothing; subtracting removes it */
    assert_int_equal(incr1(fx, "edited", "cleanup.policy", SL_ADMIN_OP_APPEND, "compact"), 0);
    assert_string_equal(fx_override(fx, "edited", "cleanup.policy"), "delete,compact");
    assert_int_equal(incr1(fx, "edited", "cleanup.policy", SL_ADMIN_OP_SUBTRACT, "delete"), 0);
    assert_string_equal(fx_override(fx, "edited", "cleanup.policy"), "compact");
    /* deleting a key that was never set is fine */
    assert_int_equal(incr1(fx, "edited", "flush.ms", SL_ADMIN_OP_DELETE, NULL), 0);
    fx_reopen(fx);
    assert_string_equal(fx_override(fx, "edited", "cleanup.policy"), "compact");
    assert_string_equal(fx_override(fx, "edited", "retention.ms"), "60000");
}

static void incremental_alter_configs_refusals_change_nothing(void **state)
{
    fx_t *fx = *state;
    static const char *const kv[] = {"retention.ms", "1000"};
    fx_topic(fx, "strict", 1, kv, 2);
    assert_int_equal(incr1(fx, "strict", "retention.ms", SL_ADMIN_OP_APPEND, "5"), SL_ERR_INVALID_REQUEST);
    assert_int_equal(incr1(fx, "strict", "no.such", SL_ADMIN_OP_APPEND, "5"), SL_ERR_INVALID_CONFIG);
    assert_int_equal(incr1(fx, "strict", "retention.ms", SL_ADMIN_OP_SET, "x"), SL_ERR_INVALID_CONFIG);
    assert_int_equal(incr1(fx, "strict", "retention.ms", SL_ADMIN_OP_SET, NULL), SL_ERR_INVALID_REQUEST);
    assert_int_equal(incr1(fx, "strict", "retention.ms", 9, "5"), SL_ERR_INVALID_REQUEST);
    assert_int_equal(incr1(fx, "strict", "cleanup.policy", SL_ADMIN_OP_APPEND, "shred"), SL_ERR_INVALID_CONFIG);
    assert_int_equal(incr1(fx, "missing", "retention.ms", SL_ADMIN_OP_SET, "5"), SL_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    static const op_t twice[] = {{"retention.ms", SL_ADMIN_OP_SET, "5"}, {"retention.ms", SL_ADMIN_OP_DELETE, NULL}};
    assert_int_equal(incremental(fx, 1, SL_ADMIN_RES_TOPIC, "strict", twice, 2, false)->Responses.items[0].ErrorCode,
                     SL_ERR_INVALID_REQUEST);
    static const op_t dry[] = {{"retention.ms", SL_ADMIN_OP_SET, "5"}};
    assert_int_equal(incremental(fx, 1, SL_ADMIN_RES_TOPIC, "strict", dry, 1, true)->Responses.items[0].ErrorCode, 0);
    assert_string_equal(fx_override(fx, "strict", "retention.ms"), "1000");
    sl_IncrementalAlterConfigsResponse_t *resp = incremental(fx, 1, SL_ADMIN_RES_BROKER, "1", dry, 1, false);
    assert_int_equal(resp->Responses.items[0].ErrorCode, SL_ERR_INVALID_REQUEST);
    resp = incremental(fx, 1, SL_ADMIN_RES_BROKER_LOGGER, "1", dry, 1, false);
    assert_int_equal(resp->Responses.items[0].ErrorCode, SL_ERR_INVALID_REQUEST);
    resp = incremental(fx, 1, 0, "x", dry, 1, false);
    assert_int_equal(resp->Responses.items[0].ErrorCode, SL_ERR_INVALID_REQUEST);
}

static void configs_are_stored_canonical_and_checked_across_keys(void **state)
{
    fx_t *fx = *state;
    fx_topic(fx, "canon", 1, NULL, 0);
    static const char *const spaced[] = {"retention.ms", " 1000 ", "cleanup.policy", "compact , delete"};
    sl_AlterConfigsResponse_t *resp = alter(fx, 1, SL_ADMIN_RES_TOPIC, "canon", spaced, 4, false);
    assert_int_equal(resp->Responses.items[0].ErrorCode, 0);
    assert_string_equal(fx_override(fx, "canon", "retention.ms"), "1000");
    assert_string_equal(fx_override(fx, "canon", "cleanup.policy"), "compact,delete");
    static const char *const lags[] = {"min.compaction.lag.ms", "5000", "max.compaction.lag.ms", "10"};
    resp = alter(fx, 1, SL_ADMIN_RES_TOPIC, "canon", lags, 4, false);
    assert_int_equal(resp->Responses.items[0].ErrorCode, SL_ERR_INVALID_CONFIG);
    assert_true(fx_str_has(resp->Responses.items[0].ErrorMessage, "min.compaction.lag.ms"));
    assert_string_equal(fx_override(fx, "canon", "retention.ms"), "1000");
    static const op_t raise[] = {{"min.compaction.lag.ms", SL_ADMIN_OP_SET, "5000"},
                                 {"max.compaction.lag.ms", SL_ADMIN_OP_SET, "10"}};
    assert_int_equal(incremental(fx, 1, SL_ADMIN_RES_TOPIC, "canon", raise, 2, false)->Responses.items[0].ErrorCode,
                     SL_ERR_INVALID_CONFIG);
    assert_null(fx_override(fx, "canon", "min.compaction.lag.ms"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(describe_configs_topic_gives_values_sources_synonyms_and_docs, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(describe_configs_v0_marks_defaults, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(describe_configs_returns_only_the_keys_asked_for, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(describe_configs_refuses_unknown_topics_and_types, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(describe_configs_broker_by_node_id, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(alter_configs_replaces_the_overrides_and_applies_them, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(alter_configs_refusals_change_nothing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(alter_configs_broker_resources_are_static, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(alter_configs_same_resource_twice_is_refused, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(incremental_alter_configs_sets_deletes_appends_subtracts, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(incremental_alter_configs_refusals_change_nothing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(configs_are_stored_canonical_and_checked_across_keys, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
