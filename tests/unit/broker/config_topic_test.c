/*
 * config_topic_test.c - topic configs: Kafka's validators and messages,
 * canonical values, effective settings (topic override over server value
 * over default), and DescribeConfigs entries with sources and synonyms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static sl_broker_config_t load(const char *const *ov, int n)
{
    sl_broker_config_t c;
    char err[512] = "";
    sl_err_t e = sl_broker_config_load(NULL, ov, n, &c, err, sizeof err);
    if (e)
        fail_msg("load: %s", err);
    return c;
}

static sl_props_t *props(const char *const *kv, int n)
{
    sl_props_t *p = sl_props_new();
    assert_non_null(p);
    for (int i = 0; i < n; i += 2)
        assert_int_equal(sl_props_set(p, kv[i], kv[i + 1], 0), SL_OK);
    return p;
}

static void check_accepts_kafka_values(void **state)
{
    (void)state;
    static const char *const ok[][2] = {
        {"cleanup.policy", "delete"}, {"cleanup.policy", "compact,delete"}, {"cleanup.policy", " compact "},
        {"cleanup.policy", ""}, {"compression.type", "zstd"}, {"compression.type", "producer"},
        {"delete.retention.ms", "0"}, {"file.delete.delay.ms", "60000"}, {"flush.messages", "1"},
        {"flush.ms", "0"}, {"follower.replication.throttled.replicas", "0:1,1:2"},
        {"follower.replication.throttled.replicas", "*"}, {"follower.replication.throttled.replicas", ""},
        {"index.interval.bytes", "0"}, {"leader.replication.throttled.replicas", " 3:4 "},
        {"local.retention.bytes", "-2"}, {"local.retention.ms", "-2"}, {"max.compaction.lag.ms", "1"},
        {"max.message.bytes", "0"}, {"message.downconversion.enable", "False"},
        {"message.format.version", "3.0-IV1"}, {"message.format.version", "0.10.2"},
        {"message.format.version", "2.8"}, {"message.timestamp.difference.max.ms", "0"},
        {"message.timestamp.type", "LogAppendTime"}, {"min.cleanable.dirty.ratio", "0"},
        {"min.cleanable.dirty.ratio", "1"}, {"min.cleanable.dirty.ratio", "0.01"},
        {"min.compaction.lag.ms", "0"}, {"min.insync.replicas", "1"}, {"preallocate", "true"},
        {"remote.storage.enable", "false"}, {"retention.bytes", "-5"}, {"retention.ms", "-1"},
        {"retention.ms", "0"}, {"segment.bytes", "14"}, {"segment.index.bytes", "4"},
        {"segment.jitter.ms", "0"}, {"segment.ms", "1"}, {"unclean.leader.election.enable", "true"},
        {"retention.ms", "9223372036854775807"},
    };
    char err[256];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        sl_err_t e = sl_topic_config_check(ok[i][0], ok[i][1], err, sizeof err);
        if (e != SL_OK)
            fail_msg("%s=%s refused: %s", ok[i][0], ok[i][1], err);
    }
}

static void check_refuses_with_kafka_rules(void **state)
{
    (void)state;
    static const char *const bad[][3] = {
        {"retention.ms", "abc", "retention.ms: not a whole number: 'abc'"},
        {"retention.ms", "-2", "retention.ms: must be at least -1: '-2'"},
        {"retention.ms", "1e3", "retention.ms: not a whole number: '1e3'"},
        {"segment.bytes", "13", "segment.bytes: must be at least 14: '13'"},
        {"segment.bytes", "2147483648", "segment.bytes: out of range for a 32-bit integer: '2147483648'"},
        {"segment.ms", "0", "segment.ms: must be at least 1: '0'"},
        {"segment.index.bytes", "3", "segment.index.bytes: must be at least 4: '3'"},
        {"index.interval.bytes", "-1", "index.interval.bytes: must be at least 0: '-1'"},
        {"max.message.bytes", "-1", "max.message.bytes: must be at least 0: '-1'"},
        {"min.insync.replicas", "0", "min.insync.replicas: must be at least 1: '0'"},
        {"flush.messages", "0", "flush.messages: must be at least 1: '0'"},
        {"flush.ms", "-1", "flush.ms: must be at least 0: '-1'"},
        {"cleanup.policy", "remove", "cleanup.policy: 'remove' is not one of: compact, delete"},
        {"message.timestamp.type", "createtime",
         "message.timestamp.type: 'createtime' is not one of: CreateTime, LogAppendTime"},
        {"min.cleanable.dirty.ratio", "1.01", "min.cleanable.dirty.ratio: must be between 0 and 1: '1.01'"},
        {"min.cleanable.dirty.ratio", "inf", "min.cleanable.dirty.ratio: not a number: 'inf'"},
        {"max.compaction.lag.ms", "0", "max.compaction.lag.ms: must be at least 1: '0'"},
        {"local.retention.ms", "-3", "local.retention.ms: must be at least -2: '-3'"},
        {"preallocate", "1", "preallocate: must be true or false: '1'"},
        {"compression.type", "none",
         "compression.type: 'none' is not one of: uncompressed, zstd, lz4, snappy, gzip, producer"},
        {"message.format.version", "4.0", "message.format.version: not a Kafka release such as 2.8 or 3.0-IV1: '4.0'"},
        {"leader.replication.throttled.replicas", "0:x",
         "leader.replication.throttled.replicas: expected '*' or PARTITION:BROKER items, such as 0:1,1:1: '0:x'"},
        {"foo", "1", "Unknown topic config name: foo"},
        {"log.retention.ms", "1", "Unknown topic config name: log.retention.ms"},
        {"retention.ms", "\x01\n", "retention.ms: not a whole number: '\\x01\\x0a'"},
    };
    char err[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(sl_topic_config_check(bad[i][0], bad[i][1], err, sizeof err), SL_ERR_INVALID_CONFIG);
        assert_string_equal(err, bad[i][2]);
    }
    /* A small buffer is filled, never overrun. */
    char small[8];
    assert_int_equal(sl_topic_config_check("foo", "1", small, sizeof small), SL_ERR_INVALID_CONFIG);
    assert_string_equal(small, "Unknown");
    assert_int_equal(sl_topic_config_check("foo", "1", NULL, 0), SL_ERR_INVALID_CONFIG);
}

static void canon_gives_describe_form(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"retention.ms", " 1000 ", "1000"},        {"retention.ms", "+7", "7"},
        {"preallocate", "TRUE", "true"},           {"cleanup.policy", "compact , delete", "compact,delete"},
        {"min.cleanable.dirty.ratio", " 0.25", "0.25"}, {"compression.type", " lz4", "lz4"},
    };
    char err[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL;
        assert_int_equal(sl_topic_config_canon(cases[i][0], cases[i][1], &out, err, sizeof err), SL_OK);
        assert_string_equal(out, cases[i][2]);
        free(out);
    }
    char *out = (char *)1;
    assert_int_equal(sl_topic_config_canon("segment.ms", "0", &out, err, sizeof err), SL_ERR_INVALID_CONFIG);
    assert_null(out);
}

static void check_all_applies_cross_key_rules(void **state)
{
    (void)state;
    sl_broker_config_t srv = load(NULL, 0);
    char err[256];
    static const char *const kv1[] = {"min.compaction.lag.ms", "10", "max.compaction.lag.ms", "5"};
    sl_props_t *p = props(kv1, 4);
    assert_int_equal(sl_topic_config_check_all(&srv, p, err, sizeof err), SL_ERR_INVALID_CONFIG);
    assert_string_equal(err, "min.compaction.lag.ms (10) is greater than max.compaction.lag.ms (5)");
    sl_props_free(p);
    static const char *const kv2[] = {"min.compaction.lag.ms", "10", "retention.ms", "x"};
    p = props(kv2, 4);
    assert_int_equal(sl_topic_config_check_all(&srv, p, err, sizeof err), SL_ERR_INVALID_CONFIG);
    assert_string_equal(err, "retention.ms: not a whole number: 'x'");
    sl_props_free(p);
    assert_int_equal(sl_topic_config_check_all(&srv, NULL, err, sizeof err), SL_OK);
    sl_broker_config_free(&srv);
    /* The server's max counts too. */
    const char *ov[] = {"log.cleaner.max.compaction.lag.ms=100"};
    srv = load(ov, 1);
    static const char *const kv3[] = {"min.compaction.lag.ms", "101"};
    p = props(kv3, 2);
    assert_int_equal(sl_topic_config_check_all(&srv, p, err, sizeof err), SL_ERR_INVALID_CONFIG);
    sl_props_free(p);
    sl_broker_config_free(&srv);
}

static void resolve_defaults_are_kafkas(void **state)
{
    (void)state;
    sl_broker_config_t srv = load(NULL, 0);
    sl_topic_config_t t;
    sl_topic_config_resolve(&srv, NULL, &t);
    assert_int_equal(t.retention_ms, 604800000);
    assert_int_equal(t.retention_bytes, -1);
    assert_int_equal(t.segment_bytes, 1073741824);
    assert_int_equal(t.segment_ms, 604800000);
    assert_int_equal(t.max_message_bytes, 1048588);
    assert_int_equal(t.min_insync_replicas, 1);
    assert_true(t.flush_messages == INT64_MAX);
    assert_true(t.flush_ms == INT64_MAX);
    assert_int_equal(t.index_interval_bytes, 4096);
    assert_int_equal(t.segment_index_bytes, 10485760);
    assert_false(t.log_append_time);
    assert_true(t.delete);
    assert_false(t.compact);
    sl_broker_config_free(&srv);
}

static void resolve_override_beats_server_beats_default(void **state)
{
    (void)state;
    const char *ov[] = {"log.retention.hours=24", "log.roll.hours=1", "log.segment.bytes=1000",
                        "log.cleanup.policy=compact", "log.message.timestamp.type=LogAppendTime",
                        "message.max.bytes=500", "log.flush.interval.messages=10"};
    sl_broker_config_t srv = load(ov, 7);
    sl_topic_config_t t;
    sl_topic_config_resolve(&srv, NULL, &t);
    assert_int_equal(t.retention_ms, 86400000);
    assert_int_equal(t.segment_ms, 3600000);
    assert_int_equal(t.segment_bytes, 1000);
    assert_true(t.compact);
    assert_false(t.delete);
    assert_true(t.log_append_time);
    assert_int_equal(t.max_message_bytes, 500);
    assert_int_equal(t.flush_messages, 10);

    static const char *const kv[] = {"retention.ms", "5000", "segment.ms", "100", "segment.bytes", "2000",
                                     "cleanup.policy", "compact,delete", "message.timestamp.type", "CreateTime",
                                     "max.message.bytes", "700", "flush.messages", "1", "flush.ms", "30",
                                     "index.interval.bytes", "8", "segment.index.bytes", "64",
                                     "min.insync.replicas", "2", "retention.bytes", "99"};
    sl_props_t *p = props(kv, 24);
    sl_topic_config_resolve(&srv, p, &t);
    assert_int_equal(t.retention_ms, 5000);
    assert_int_equal(t.segment_ms, 100);
    assert_int_equal(t.segment_bytes, 2000);
    assert_true(t.compact);
    assert_true(t.delete);
    assert_false(t.log_append_time);
    assert_int_equal(t.max_message_bytes, 700);
    assert_int_equal(t.flush_messages, 1);
    assert_int_equal(t.flush_ms, 30);
    assert_int_equal(t.index_interval_bytes, 8);
    assert_int_equal(t.segment_index_bytes, 64);
    assert_int_equal(t.min_insync_replicas, 2);
    assert_int_equal(t.retention_bytes, 99);
    sl_props_free(p);

    /* Typed fields changed by hand are what topics get. */
    srv.log_segment_bytes = 4096;
    sl_topic_config_resolve(&srv, NULL, &t);
    assert_int_equal(t.segment_bytes, 4096);
    sl_broker_config_free(&srv);
}

typedef struct entry {
    char name[64], value[64], syn[64], synval[64];
    bool null_value, has_syn, ro, sens;
    sl_cfg_source_t source, synsrc;
    sl_cfg_type_t type;
} entry_t;

typedef struct entries {
    int n;
    entry_t e[64];
} entries_t;

static void collect(void *arg, const sl_config_entry_t *e)
{
    entries_t *s = arg;
    assert_true(s->n < 64);
    entry_t *x = &s->e[s->n++];
    memset(x, 0, sizeof *x);
    snprintf(x->name, sizeof x->name, "%s", e->name);
    x->null_value = e->value == NULL;
    snprintf(x->value, sizeof x->value, "%s", e->value ? e->value : "");
    x->source = e->source;
    x->type = e->type;
    x->ro = e->read_only;
    x->sens = e->sensitive;
    x->has_syn = e->synonym_name != NULL;
    if (e->synonym_name) {
        snprintf(x->syn, sizeof x->syn, "%s", e->synonym_name);
        snprintf(x->synval, sizeof x->synval, "%s", e->synonym_value ? e->synonym_value : "(null)");
        x->synsrc = e->synonym_source;
    }
    assert_non_null(e->doc);
}

static const entry_t *get(const entries_t *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->e[i].name, name) == 0)
            return &s->e[i];
    fail_msg("no entry %s", name);
    return NULL;
}

static void describe_lists_every_kafka_topic_config_in_order(void **state)
{
    (void)state;
    static const char *const names[] = {
        "cleanup.policy", "compression.type", "delete.retention.ms", "file.delete.delay.ms", "flush.messages",
        "flush.ms", "follower.replication.throttled.replicas", "index.interval.bytes",
        "leader.replication.throttled.replicas", "local.retention.bytes", "local.retention.ms",
        "max.compaction.lag.ms", "max.message.bytes", "message.downconversion.enable", "message.format.version",
        "message.timestamp.difference.max.ms", "message.timestamp.type", "min.cleanable.dirty.ratio",
        "min.compaction.lag.ms", "min.insync.replicas", "preallocate", "remote.storage.enable",
        "retention.bytes", "retention.ms", "segment.bytes", "segment.index.bytes", "segment.jitter.ms",
        "segment.ms", "unclean.leader.election.enable",
    };
    sl_broker_config_t srv = load(NULL, 0);
    static entries_t s;
    memset(&s, 0, sizeof s);
    sl_topic_config_describe(&srv, NULL, collect, &s);
    assert_int_equal(s.n, (int)(sizeof names / sizeof names[0]));
    char err[256];
    for (int i = 0; i < s.n; i++) {
        assert_string_equal(s.e[i].name, names[i]);
        assert_int_equal(s.e[i].source, SL_CFG_SRC_DEFAULT);
        assert_false(s.e[i].ro);
        assert_false(s.e[i].sens);
        assert_false(s.e[i].null_value);
        /* every default passes its own validator */
        assert_int_equal(sl_topic_config_check(s.e[i].name, s.e[i].value, err, sizeof err), SL_OK);
    }
    /* Kafka's defaults and types */
    const entry_t *e = get(&s, "retention.ms");
    assert_string_equal(e->value, "604800000");
    assert_int_equal(e->type, SL_CFG_LONG);
    assert_string_equal(e->syn, "log.retention.hours");
    assert_string_equal(e->synval, "168");
    assert_int_equal(e->synsrc, SL_CFG_SRC_DEFAULT);
    e = get(&s, "segment.ms");
    assert_string_equal(e->syn, "log.roll.hours");
    e = get(&s, "segment.bytes");
    assert_int_equal(e->type, SL_CFG_INT);
    assert_string_equal(e->value, "1073741824");
    assert_string_equal(e->syn, "log.segment.bytes");
    e = get(&s, "cleanup.policy");
    assert_int_equal(e->type, SL_CFG_LIST);
    assert_string_equal(e->value, "delete");
    e = get(&s, "min.cleanable.dirty.ratio");
    assert_int_equal(e->type, SL_CFG_DOUBLE);
    assert_string_equal(e->value, "0.5");
    assert_string_equal(e->syn, "log.cleaner.min.cleanable.ratio");
    e = get(&s, "compression.type");
    assert_int_equal(e->type, SL_CFG_STRING);
    assert_string_equal(e->value, "producer");
    e = get(&s, "flush.messages");
    assert_string_equal(e->value, "9223372036854775807");
    e = get(&s, "flush.ms");
    assert_string_equal(e->syn, "log.flush.scheduler.interval.ms");
    e = get(&s, "message.format.version");
    assert_string_equal(e->value, "3.0-IV1");
    e = get(&s, "preallocate");
    assert_int_equal(e->type, SL_CFG_BOOLEAN);
    assert_string_equal(e->value, "false");
    e = get(&s, "segment.jitter.ms");
    assert_string_equal(e->syn, "log.roll.jitter.hours");
    assert_string_equal(e->synval, "0");
    e = get(&s, "remote.storage.enable");
    assert_false(e->has_syn);
    e = get(&s, "local.retention.ms");
    assert_false(e->has_syn);
    assert_string_equal(e->value, "-2");
    e = get(&s, "follower.replication.throttled.replicas");
    assert_false(e->has_syn);
    assert_string_equal(e->value, "");
    sl_broker_config_free(&srv);
}

static void describe_sources_and_synonyms(void **state)
{
    (void)state;
    const char *ov[] = {"log.retention.minutes=10", "log.retention.hours=5", "compression.type=lz4",
                        "log.roll.jitter.hours=1", "log.segment.bytes= 2048 "};
    sl_broker_config_t srv = load(ov, 5);
    static const char *const kv[] = {"retention.ms", "5", "compression.type", "gzip"};
    sl_props_t *p = props(kv, 4);
    static entries_t s;
    memset(&s, 0, sizeof s);
    sl_topic_config_describe(&srv, p, collect, &s);

    /* override: DYNAMIC_TOPIC; synonym: the server key in force */
    const entry_t *e = get(&s, "retention.ms");
    assert_string_equal(e->value, "5");
    assert_int_equal(e->source, SL_CFG_SRC_DYNAMIC_TOPIC);
    assert_string_equal(e->syn, "log.retention.minutes");
    assert_string_equal(e->synval, "10");
    assert_int_equal(e->synsrc, SL_CFG_SRC_STATIC_BROKER);
    e = get(&s, "compression.type");
    assert_string_equal(e->value, "gzip");
    assert_int_equal(e->source, SL_CFG_SRC_DYNAMIC_TOPIC);
    assert_string_equal(e->synval, "lz4");

    /* server key given: STATIC_BROKER, value in the topic key's unit */
    e = get(&s, "segment.bytes");
    assert_string_equal(e->value, "2048");
    assert_int_equal(e->source, SL_CFG_SRC_STATIC_BROKER);
    assert_string_equal(e->syn, "log.segment.bytes");
    assert_string_equal(e->synval, "2048");
    assert_int_equal(e->synsrc, SL_CFG_SRC_STATIC_BROKER);
    e = get(&s, "segment.jitter.ms");
    assert_string_equal(e->value, "3600000");
    assert_int_equal(e->source, SL_CFG_SRC_STATIC_BROKER);
    assert_string_equal(e->syn, "log.roll.jitter.hours");
    assert_string_equal(e->synval, "1");

    /* untouched: DEFAULT */
    e = get(&s, "segment.ms");
    assert_string_equal(e->value, "604800000");
    assert_int_equal(e->source, SL_CFG_SRC_DEFAULT);
    assert_int_equal(e->synsrc, SL_CFG_SRC_DEFAULT);
    sl_props_free(p);

    /* Without the override, retention.ms comes from minutes (which beat hours). */
    memset(&s, 0, sizeof s);
    sl_topic_config_describe(&srv, NULL, collect, &s);
    e = get(&s, "retention.ms");
    assert_string_equal(e->value, "600000");
    assert_int_equal(e->source, SL_CFG_SRC_STATIC_BROKER);
    assert_string_equal(e->syn, "log.retention.minutes");
    sl_broker_config_free(&srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(check_accepts_kafka_values),
        cmocka_unit_test(check_refuses_with_kafka_rules),
        cmocka_unit_test(canon_gives_describe_form),
        cmocka_unit_test(check_all_applies_cross_key_rules),
        cmocka_unit_test(resolve_defaults_are_kafkas),
        cmocka_unit_test(resolve_override_beats_server_beats_default),
        cmocka_unit_test(describe_lists_every_kafka_topic_config_in_order),
        cmocka_unit_test(describe_sources_and_synonyms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
