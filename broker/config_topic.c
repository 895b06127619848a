/*
 * config_topic.c - per-topic settings: Kafka's topic config names with their
 * types, defaults and validators, the server keys behind each (its
 * "synonyms", tried in order, some in other units), and the effective value
 * of each for one topic: the topic's override, else the server's setting,
 * else Kafka's default. Keys marked USE_STORED are checked and reported by
 * DescribeConfigs but do not change what Sluice does yet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

#define I32MAX INT32_MAX
#define I64MAX INT64_MAX
#define LMAX "9223372036854775807"

/* Server keys behind one topic key, first given wins; mult converts the
 * server key's unit (hours, minutes) to the topic key's. */
typedef struct synonym {
    const char *key;
    int64_t mult;
} synonym_t;

typedef struct topic_key {
    cfg_spec_t spec;
    synonym_t syn[3];
} topic_key_t;

#define TK(n, t, d, ck, lo, hi, ch, use, doc, ...) {{n, t, d, ck, lo, hi, ch, use, doc}, {__VA_ARGS__}}
#define S(k) {k, 1}
#define H(k) {k, 3600000}
#define M(k) {k, 60000}

/* In name order, as DescribeConfigs lists them. */
static const topic_key_t topic_keys[] = {
    TK("cleanup.policy", SL_CFG_LIST, "delete", CK_LIST_ENUM, 0, 0, "compact|delete", USE_ACTIVE,
       "delete (by retention), compact (keep the last value per key), or both.", S("log.cleanup.policy")),
    TK("compression.type", SL_CFG_STRING, "producer", CK_ENUM, 0, 0, "uncompressed|zstd|lz4|snappy|gzip|producer",
       USE_STORED, "Compression of stored batches; producer keeps the producer's.", S("compression.type")),
    TK("delete.retention.ms", SL_CFG_LONG, "86400000", CK_RANGE, 0, I64MAX, NULL, USE_ACTIVE,
       "How long tombstones stay in a compacted topic.", S("log.cleaner.delete.retention.ms")),
    TK("file.delete.delay.ms", SL_CFG_LONG, "60000", CK_RANGE, 0, I64MAX, NULL, USE_STORED,
       "Wait before deleting a segment file.", S("log.segment.delete.delay.ms")),
    TK("flush.messages", SL_CFG_LONG, LMAX, CK_RANGE, 1, I64MAX, NULL, USE_ACTIVE,
       "fsync after this many messages.", S("log.flush.interval.messages")),
    TK("flush.ms", SL_CFG_LONG, LMAX, CK_RANGE, 0, I64MAX, NULL, USE_ACTIVE,
       "fsync when the oldest unflushed message is this old.", S("log.flush.interval.ms"),
       S("log.flush.scheduler.interval.ms")),
    TK("follower.replication.throttled.replicas", SL_CFG_LIST, "", CK_THROTTLED, 0, 0, NULL, USE_STORED,
       "Replicas throttled on the follower side: PARTITION:BROKER,... or *.", {NULL, 0}),
    TK("index.interval.bytes", SL_CFG_INT, "4096", CK_RANGE, 0, I32MAX, NULL, USE_ACTIVE,
       "Bytes of log between offset index entries.", S("log.index.interval.bytes")),
    TK("leader.replication.throttled.replicas", SL_CFG_LIST, "", CK_THROTTLED, 0, 0, NULL, USE_STORED,
       "Replicas throttled on the leader side: PARTITION:BROKER,... or *.", {NULL, 0}),
    TK("local.retention.bytes", SL_CFG_LONG, "-2", CK_RANGE, -2, I64MAX, NULL, USE_STORED,
       "Local size limit with tiered storage; -2 means retention.bytes.", {NULL, 0}),
    TK("local.retention.ms", SL_CFG_LONG, "-2", CK_RANGE, -2, I64MAX, NULL, USE_STORED,
       "Local time limit with tiered storage; -2 means retention.ms.", {NULL, 0}),
    TK("max.compaction.lag.ms", SL_CFG_LONG, LMAX, CK_RANGE, 1, I64MAX, NULL, USE_ACTIVE,
       "Longest time a message stays uncompacted.", S("log.cleaner.max.compaction.lag.ms")),
    TK("max.message.bytes", SL_CFG_INT, "1048588", CK_RANGE, 0, I32MAX, NULL, USE_ACTIVE,
       "Largest record batch accepted, in bytes.", S("message.max.bytes")),
    TK("message.downconversion.enable", SL_CFG_BOOLEAN, "true", CK_NONE, 0, 0, NULL, USE_STORED,
       "Down-convert messages for old consumers.", S("log.message.downconversion.enable")),
    TK("message.format.version", SL_CFG_STRING, "3.0-IV1", CK_FORMAT_VERSION, 0, 0, NULL, USE_STORED,
       "Message format version; Sluice always writes v2.", S("log.message.format.version")),
    TK("message.timestamp.difference.max.ms", SL_CFG_LONG, LMAX, CK_RANGE, 0, I64MAX, NULL, USE_STORED,
       "Largest allowed gap between a CreateTime timestamp and the broker's clock.",
       S("log.message.timestamp.difference.max.ms")),
    TK("message.timestamp.type", SL_CFG_STRING, "CreateTime", CK_ENUM, 0, 0, "CreateTime|LogAppendTime",
       USE_ACTIVE, "CreateTime keeps the producer's timestamps; LogAppendTime stamps on append.",
       S("log.message.timestamp.type")),
    TK("min.cleanable.dirty.ratio", SL_CFG_DOUBLE, "0.5", CK_RATIO, 0, 0, NULL, USE_ACTIVE,
       "Dirty ratio that makes a log eligible for compaction.", S("log.cleaner.min.cleanable.ratio")),
    TK("min.compaction.lag.ms", SL_CFG_LONG, "0", CK_RANGE, 0, I64MAX, NULL, USE_ACTIVE,
       "Least time a message stays uncompacted.", S("log.cleaner.min.compaction.lag.ms")),
    TK("min.insync.replicas", SL_CFG_INT, "1", CK_RANGE, 1, I32MAX, NULL, USE_ACTIVE,
       "Replicas that must acknowledge a write with acks=all.", S("min.insync.replicas")),
    TK("preallocate", SL_CFG_BOOLEAN, "false", CK_NONE, 0, 0, NULL, USE_STORED,
       "Preallocate segment files.", S("log.preallocate")),
    TK("remote.storage.enable", SL_CFG_BOOLEAN, "false", CK_NONE, 0, 0, NULL, USE_STORED,
       "Tiered storage for this topic (not available in Sluice).", {NULL, 0}),
    TK("retention.bytes", SL_CFG_LONG, "-1", CK_NONE, 0, 0, NULL, USE_ACTIVE,
       "Delete old segments while a partition is larger than this; negative: no limit.",
       S("log.retention.bytes")),
    TK("retention.ms", SL_CFG_LONG, "604800000", CK_RANGE, -1, I64MAX, NULL, USE_ACTIVE,
       "Delete segments older than this; -1 keeps them forever.", S("log.retention.ms"),
       M("log.retention.minutes"), H("log.retention.hours")),
    TK("segment.bytes", SL_CFG_INT, "1073741824", CK_RANGE, 14, I32MAX, NULL, USE_ACTIVE,
       "Roll to a new segment file at this size.", S("log.segment.bytes")),
    TK("segment.index.bytes", SL_CFG_INT, "10485760", CK_RANGE, 4, I32MAX, NULL, USE_ACTIVE,
       "Largest offset index file per segment.", S("log.index.size.max.bytes")),
    TK("segment.jitter.ms", SL_CFG_LONG, "0", CK_RANGE, 0, I64MAX, NULL, USE_STORED,
       "Random jitter subtracted from the segment roll time.", S("log.roll.jitter.ms"),
       H("log.roll.jitter.hours")),
    TK("segment.ms", SL_CFG_LONG, "604800000", CK_RANGE, 1, I64MAX, NULL, USE_ACTIVE,
       "Roll to a new segment after this long.", S("log.roll.ms"), H("log.roll.hours")),
    TK("unclean.leader.election.enable", SL_CFG_BOOLEAN, "false", CK_NONE, 0, 0, NULL, USE_STORED,
       "Allow out-of-sync replicas to become leader.", S("unclean.leader.election.enable")),
};

static const topic_key_t *topic_key(const char *name)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(topic_keys); i++)
        if (strcmp(topic_keys[i].spec.name, name) == 0)
            return &topic_keys[i];
    return NULL;
}

sl_err_t sl_topic_config_check(const char *name, const char *value, char *errbuf, size_t errlen)
{
    char q[256], why[256];
    if (errbuf && errlen)
        errbuf[0] = '\0';
    if (!name || !value)
        return SL_ERR_INVALID_CONFIG;
    const topic_key_t *tk = topic_key(name);
    if (!tk) {
        cfg_quote(q, sizeof q, name, strlen(name), 200);
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "Unknown topic config name: %s", q);
        return SL_ERR_INVALID_CONFIG;
    }
    if (!cfg_value_check(&tk->spec, value, NULL, why, sizeof why)) {
        cfg_quote(q, sizeof q, value, strlen(value), 200);
        /* A reason that already quotes the bad item says enough. */
        if (errbuf && errlen && why[0] == '\'')
            snprintf(errbuf, errlen, "%s: %s", name, why);
        else if (errbuf && errlen)
            snprintf(errbuf, errlen, "%s: %s: '%s'", name, why, q);
        return SL_ERR_INVALID_CONFIG;
    }
    return SL_OK;
}

sl_err_t sl_topic_config_canon(const char *name, const char *value, char **out, char *errbuf, size_t errlen)
{
    *out = NULL;
    sl_err_t err = sl_topic_config_check(name, value, errbuf, errlen);
    if (err)
        return err;
    sl_buf_t b = SL_BUF_INIT;
    char why[256];
    cfg_value_check(&topic_key(name)->spec, value, &b, why, sizeof why);
    sl_buf_put_u8(&b, 0);
    if (sl_buf_err(&b)) {
        sl_buf_free(&b);
        return SL_ERR_NOMEM;
    }
    *out = (char *)sl_buf_detach(&b, NULL);
    return SL_OK;
}

/* The server key in force behind tk: the first synonym given in the
 * server's file or overrides, else (given == false) the first with a
 * default. NULL when the topic key has no server synonym. */
static const synonym_t *server_synonym(const sl_broker_config_t *srv, const topic_key_t *tk, bool *given)
{
    *given = false;
    for (int i = 0; i < 3 && tk->syn[i].key; i++) {
        if (srv && srv->given && sl_props_get(srv->given, tk->syn[i].key)) {
            *given = true;
            return &tk->syn[i];
        }
    }
    for (int i = 0; i < 3 && tk->syn[i].key; i++) {
        const cfg_spec_t *sp = cfg_server_spec(tk->syn[i].key);
        if (sp && sp->def)
            return &tk->syn[i];
    }
    return NULL;
}

/* The value the server gives a topic key, as text in buf: from the typed
 * fields for keys Sluice acts on (so a hand-built config works too), from
 * the given text for the others. NULL: use the topic default. */
static const char *server_value(const sl_broker_config_t *srv, const topic_key_t *tk, char *buf, size_t n)
{
    const char *name = tk->spec.name;
    long long v;
    if (!srv)
        return NULL;
    if (strcmp(name, "cleanup.policy") == 0)
        return srv->log_cleanup_policy;
    if (strcmp(name, "message.timestamp.type") == 0)
        return srv->log_append_time ? "LogAppendTime" : "CreateTime";
    if (strcmp(name, "retention.ms") == 0) v = srv->log_retention_ms;
    else if (strcmp(name, "retention.bytes") == 0) v = srv->log_retention_bytes;
    else if (strcmp(name, "segment.bytes") == 0) v = srv->log_segment_bytes;
    else if (strcmp(name, "segment.ms") == 0) v = srv->log_roll_ms;
    else if (strcmp(name, "max.message.bytes") == 0) v = srv->message_max_bytes;
    else if (strcmp(name, "min.insync.replicas") == 0) v = srv->min_insync_replicas;
    else if (strcmp(name, "flush.messages") == 0) v = srv->log_flush_interval_messages;
    else if (strcmp(name, "flush.ms") == 0) v = srv->log_flush_interval_ms;
    else if (strcmp(name, "index.interval.bytes") == 0) v = srv->log_index_interval_bytes;
    else if (strcmp(name, "segment.index.bytes") == 0) v = srv->log_index_size_max_bytes;
    else {
        bool given;
        const synonym_t *s = server_synonym(srv, tk, &given);
        if (!s || !given)
            return NULL;
        const char *text = sl_props_get(srv->given, s->key);
        if (s->mult == 1)
            return text;
        int64_t x = 0;
        cfg_parse_i64(text, &x);
        v = x < 0 ? -1 : (x > INT64_MAX / s->mult ? INT64_MAX : x * s->mult);
    }
    snprintf(buf, n, "%lld", v);
    return buf;
}

static bool has_item(const char *list, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = list; p && *p;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *comma = strchr(p, ',');
        const char *e = comma ? comma : p + strlen(p);
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if ((size_t)(e - p) == n && memcmp(p, item, n) == 0)
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

/* The effective text of one topic key for this topic. */
static const char *effective(const sl_broker_config_t *srv, const sl_props_t *ov, const topic_key_t *tk,
                             char *buf, size_t n)
{
    const char *v = ov ? sl_props_get(ov, tk->spec.name) : NULL;
    if (v)
        return v;
    v = server_value(srv, tk, buf, n);
    return v ? v : tk->spec.def;
}

static int64_t eff_i64(const sl_broker_config_t *srv, const sl_props_t *ov, const char *name)
{
    char buf[32];
    int64_t v = 0;
    const topic_key_t *tk = topic_key(name);
    if (!cfg_parse_i64(effective(srv, ov, tk, buf, sizeof buf), &v))
        cfg_parse_i64(tk->spec.def, &v); /* unchecked override: fall back */
    return v;
}

void sl_topic_config_resolve(const sl_broker_config_t *srv, const sl_props_t *overrides, sl_topic_config_t *out)
{
    char buf[32];
    memset(out, 0, sizeof *out);
    out->retention_ms = eff_i64(srv, overrides, "retention.ms");
    out->retention_bytes = eff_i64(srv, overrides, "retention.bytes");
    out->segment_bytes = eff_i64(srv, overrides, "segment.bytes");
    out->segment_ms = eff_i64(srv, overrides, "segment.ms");
    out->max_compaction_lag_ms = eff_i64(srv, overrides, "max.compaction.lag.ms");
    out->max_message_bytes = (int32_t)eff_i64(srv, overrides, "max.message.bytes");
    out->min_insync_replicas = (int32_t)eff_i64(srv, overrides, "min.insync.replicas");
    out->flush_messages = eff_i64(srv, overrides, "flush.messages");
    out->flush_ms = eff_i64(srv, overrides, "flush.ms");
    out->index_interval_bytes = (int32_t)eff_i64(srv, overrides, "index.interval.bytes");
    out->segment_index_bytes = (int32_t)eff_i64(srv, overrides, "segment.index.bytes");
    const char *ts = effective(srv, overrides, topic_key("message.timestamp.type"), buf, sizeof buf);
    out->log_append_time = has_item(ts, "LogAppendTime");
    const char *pol = effective(srv, overrides, topic_key("cleanup.policy"), buf, sizeof buf);
    out->compact = has_item(pol, "compact");
    out->delete = has_item(pol, "delete");
}

sl_err_t sl_topic_config_check_all(const sl_broker_config_t *srv, const sl_props_t *overrides,
                                   char *errbuf, size_t errlen)
{
    if (errbuf && errlen)
        errbuf[0] = '\0';
    for (size_t i = 0; overrides && i < sl_props_count(overrides); i++) {
        const char *k, *v;
        sl_props_at(overrides, i, &k, &v, NULL);
        sl_err_t err = sl_topic_config_check(k, v, errbuf, errlen);
        if (err)
            return err;
    }
    int64_t lo = eff_i64(srv, overrides, "min.compaction.lag.ms");
    int64_t hi = eff_i64(srv, overrides, "max.compaction.lag.ms");
    if (lo > hi) {
        if (errbuf && errlen)
            snprintf(errbuf, errlen, "min.compaction.lag.ms (%lld) is greater than max.compaction.lag.ms (%lld)",
                     (long long)lo, (long long)hi);
        return SL_ERR_INVALID_CONFIG;
    }
    return SL_OK;
}

void sl_topic_config_describe(const sl_broker_config_t *srv, const sl_props_t *overrides,
                              void (*visit)(void *arg, const sl_config_entry_t *e), void *arg)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(topic_keys); i++) {
        const topic_key_t *tk = &topic_keys[i];
        char sbuf[32];
        bool sgiven;
        const synonym_t *syn = server_synonym(srv, tk, &sgiven);
        const char *ov = overrides ? sl_props_get(overrides, tk->spec.name) : NULL;
        const char *sv = server_value(srv, tk, sbuf, sizeof sbuf);
        sl_config_entry_t e = {
            .name = tk->spec.name, .type = tk->spec.type, .doc = tk->spec.doc,
        };
        if (ov) {
            e.value = ov;
            e.source = SL_CFG_SRC_DYNAMIC_TOPIC;
        } else if (sgiven) {
            e.value = sv ? sv : tk->spec.def;
            e.source = SL_CFG_SRC_STATIC_BROKER;
        } else {
            /* A hand-built config may hold non-default values without
             * having "given" them: report the value in force. */
            e.value = sv ? sv : tk->spec.def;
            e.source = SL_CFG_SRC_DEFAULT;
        }
        if (syn) {
            const cfg_spec_t *ssp = cfg_server_spec(syn->key);
            e.synonym_name = syn->key;
            e.synonym_value = sgiven ? sl_props_get(srv->given, syn->key) : ssp->def;
            e.synonym_source = sgiven ? SL_CFG_SRC_STATIC_BROKER : SL_CFG_SRC_DEFAULT;
        }
        visit(arg, &e);
    }
}
