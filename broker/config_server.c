/*
 * config_server.c - the server settings: the table of every key Sluice
 * knows (Kafka's names, types, defaults and validators), loading
 * server.properties plus --override KEY=VALUE into sl_broker_config_t, the
 * --help text, and the broker resource's DescribeConfigs entries.
 *
 * Loading happens in three passes so that every message can name the line
 * that caused it: gather (file, then overrides, later wins), check each given
 * value against its key (and turn it into canonical form), then derive the
 * typed fields, where keys that depend on each other (ms/minutes/hours,
 * node.id/broker.id, listeners/advertised.listeners) are settled.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_int.h"

#define MOD "config"
#define I32MAX INT32_MAX
#define I64MAX INT64_MAX

/* A group title is an entry with no name; its doc is the title. */
#define GROUP(title) {NULL, 0, NULL, CK_NONE, 0, 0, NULL, USE_ACTIVE, title}
#define KEY(n, t, d, use, doc) {n, t, d, CK_NONE, 0, 0, NULL, use, doc}
#define RANGE(n, t, d, lo, hi, use, doc) {n, t, d, CK_RANGE, lo, hi, NULL, use, doc}
#define CHECK(n, t, d, ck, ch, use, doc) {n, t, d, ck, 0, 0, ch, use, doc}

static const cfg_spec_t server_keys[] = {
    GROUP("Server basics"),
    RANGE("node.id", SL_CFG_INT, "0", 0, I32MAX, USE_ACTIVE,
          "Id of this broker (Kafka's default -1 asks for a generated id; Sluice uses 0)."),
    RANGE("broker.id", SL_CFG_INT, "0", 0, I32MAX, USE_ACTIVE,
          "Older name of node.id; if both are given they must be equal."),

    GROUP("Socket server settings"),
    CHECK("listeners", SL_CFG_LIST, "PLAINTEXT://127.0.0.1:9092", CK_LISTENERS, NULL, USE_ACTIVE,
          "Address to listen on, NAME://HOST:PORT; one PLAINTEXT listener; an empty host "
          "means every interface (Kafka's default is PLAINTEXT://:9092)."),
    CHECK("advertised.listeners", SL_CFG_LIST, NULL, CK_LISTENERS, NULL, USE_ACTIVE,
          "Address given to clients in metadata; default: the listener (its empty host "
          "becomes this machine's host name; 0.0.0.0 needs an explicit advertised address)."),
    CHECK("listener.security.protocol.map", SL_CFG_LIST,
          "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL",
          CK_PROTOCOL_MAP, NULL, USE_ACTIVE,
          "Security protocol of each listener name, NAME:PROTOCOL,...; only PLAINTEXT is served."),
    CHECK("controller.listener.names", SL_CFG_STRING, NULL, CK_NAME_LIST, NULL, USE_ACTIVE,
          "KRaft controller listener names; such listeners are skipped (Sluice runs no controller)."),
    RANGE("num.network.threads", SL_CFG_INT, NULL, 1, 4096, USE_ACTIVE,
          "Network threads, each running its own event loop (Sluice's default: online CPUs; Kafka's: 3)."),
    RANGE("socket.request.max.bytes", SL_CFG_INT, "104857600", 1, I32MAX, USE_ACTIVE,
          "Largest request accepted, in bytes."),
    RANGE("connections.max.idle.ms", SL_CFG_LONG, "600000", -1, I32MAX, USE_ACTIVE,
          "Close connections idle this long; -1 never closes them."),

    GROUP("Log basics"),
    CHECK("log.dirs", SL_CFG_STRING, NULL, CK_PATHS, NULL, USE_ACTIVE,
          "Comma-separated directories holding the logs; default: log.dir."),
    CHECK("log.dir", SL_CFG_STRING, "/tmp/kafka-logs", CK_PATHS, NULL, USE_ACTIVE,
          "Log directory used when log.dirs is not given."),
    RANGE("num.partitions", SL_CFG_INT, "1", 1, I32MAX, USE_ACTIVE,
          "Partitions of a topic created without a count (auto-created topics)."),
    RANGE("default.replication.factor", SL_CFG_INT, "1", 1, INT16_MAX, USE_ACTIVE,
          "Replication factor of topics created without one."),
    RANGE("min.insync.replicas", SL_CFG_INT, "1", 1, I32MAX, USE_ACTIVE,
          "Replicas that must acknowledge a write with acks=all."),
    KEY("auto.create.topics.enable", SL_CFG_BOOLEAN, "true", USE_ACTIVE,
        "Create a topic when a client asks for metadata of an unknown one."),
    KEY("delete.topic.enable", SL_CFG_BOOLEAN, "true", USE_ACTIVE,
        "Allow DeleteTopics; false answers TOPIC_DELETION_DISABLED."),
    RANGE("message.max.bytes", SL_CFG_INT, "1048588", 0, I32MAX, USE_ACTIVE,
          "Largest record batch accepted, in bytes (topic: max.message.bytes)."),
    RANGE("log.segment.bytes", SL_CFG_INT, "1073741824", 14, I32MAX, USE_ACTIVE,
          "Roll to a new segment file at this size (topic: segment.bytes)."),
    RANGE("log.roll.ms", SL_CFG_LONG, NULL, 1, I64MAX, USE_ACTIVE,
          "Roll to a new segment after this long; wins over log.roll.hours (topic: segment.ms)."),
    RANGE("log.roll.hours", SL_CFG_INT, "168", 1, I32MAX, USE_ACTIVE,
          "Roll to a new segment after this many hours."),
    RANGE("log.index.interval.bytes", SL_CFG_INT, "4096", 0, I32MAX, USE_ACTIVE,
          "Bytes of log between offset index entries (topic: index.interval.bytes)."),
    RANGE("log.index.size.max.bytes", SL_CFG_INT, "10485760", 4, I32MAX, USE_ACTIVE,
          "Largest offset index file per segment (topic: segment.index.bytes)."),
    CHECK("log.message.timestamp.type", SL_CFG_STRING, "CreateTime", CK_ENUM, "CreateTime|LogAppendTime",
          USE_ACTIVE, "CreateTime keeps the producer's timestamps; LogAppendTime stamps batches on append."),
    CHECK("log.cleanup.policy", SL_CFG_LIST, "delete", CK_LIST_ENUM, "compact|delete", USE_ACTIVE,
          "delete (by retention), compact (keep the last value per key), or both."),

    GROUP("Log flush policy"),
    RANGE("log.flush.interval.messages", SL_CFG_LONG, "9223372036854775807", 1, I64MAX, USE_ACTIVE,
          "fsync a partition after this many messages (topic: flush.messages)."),
    RANGE("log.flush.interval.ms", SL_CFG_LONG, NULL, 0, I64MAX, USE_ACTIVE,
          "fsync a partition when its oldest unflushed message is this old (topic: flush.ms)."),
    RANGE("log.flush.scheduler.interval.ms", SL_CFG_LONG, "9223372036854775807", 0, I64MAX, USE_ACTIVE,
          "Used as log.flush.interval.ms when that is not given."),

    GROUP("Log retention policy"),
    RANGE("log.retention.ms", SL_CFG_LONG, NULL, -1, I64MAX, USE_ACTIVE,
          "Delete segments older than this; -1 keeps them forever; wins over minutes and hours."),
    RANGE("log.retention.minutes", SL_CFG_INT, NULL, -1, I32MAX, USE_ACTIVE,
          "Retention in minutes; wins over log.retention.hours."),
    RANGE("log.retention.hours", SL_CFG_INT, "168", -1, I32MAX, USE_ACTIVE,
          "Retention in hours."),
    KEY("log.retention.bytes", SL_CFG_LONG, "-1", USE_ACTIVE,
        "Delete old segments while a partition is larger than this; negative: no size limit."),
    RANGE("log.retention.check.interval.ms", SL_CFG_LONG, "300000", 1, I64MAX, USE_ACTIVE,
          "How often retention is enforced."),

    GROUP("Group coordinator and committed offsets"),
    RANGE("offsets.topic.num.partitions", SL_CFG_INT, "50", 1, 10000, USE_ACTIVE,
          "Partitions of the internal topic __consumer_offsets (fixed once the topic exists)."),
    RANGE("offsets.topic.replication.factor", SL_CFG_INT, "3", 1, INT16_MAX, USE_STORED,
          "Replication factor of __consumer_offsets (one node: one copy)."),
    RANGE("offsets.topic.segment.bytes", SL_CFG_INT, "104857600", 14, I32MAX, USE_ACTIVE,
          "Segment size of __consumer_offsets."),
    RANGE("offsets.retention.minutes", SL_CFG_INT, "10080", 1, I32MAX, USE_ACTIVE,
          "Committed offsets of a group that has been empty this long are deleted."),
    RANGE("offsets.retention.check.interval.ms", SL_CFG_LONG, "600000", 1, I64MAX, USE_ACTIVE,
          "How often expired committed offsets are looked for."),
    RANGE("offset.metadata.max.bytes", SL_CFG_INT, "4096", 0, I32MAX, USE_ACTIVE,
          "Longest metadata string of a committed offset."),
    RANGE("group.initial.rebalance.delay.ms", SL_CFG_INT, "3000", 0, I32MAX, USE_ACTIVE,
          "How long the first rebalance of an empty group waits for more members."),
    RANGE("group.min.session.timeout.ms", SL_CFG_INT, "6000", 0, I32MAX, USE_ACTIVE,
          "Shortest session timeout a member may ask for."),
    RANGE("group.max.session.timeout.ms", SL_CFG_INT, "1800000", 0, I32MAX, USE_ACTIVE,
          "Longest session timeout a member may ask for."),
    RANGE("group.max.size", SL_CFG_INT, "2147483647", 1, I32MAX, USE_ACTIVE,
          "Most members of one group; a member beyond it gets GROUP_MAX_SIZE_REACHED."),

    GROUP("Transaction coordinator"),
    RANGE("transaction.state.log.num.partitions", SL_CFG_INT, "50", 1, 10000, USE_ACTIVE,
          "Partitions of the internal topic __transaction_state (fixed once the topic exists)."),
    RANGE("transaction.state.log.replication.factor", SL_CFG_INT, "3", 1, INT16_MAX, USE_STORED,
          "Replication factor of __transaction_state (one node: one copy)."),
    RANGE("transaction.state.log.min.isr", SL_CFG_INT, "2", 1, I32MAX, USE_STORED,
          "min.insync.replicas of __transaction_state (one node: one copy)."),
    RANGE("transaction.state.log.segment.bytes", SL_CFG_INT, "104857600", 14, I32MAX, USE_ACTIVE,
          "Segment size of __transaction_state."),
    RANGE("transaction.max.timeout.ms", SL_CFG_INT, "900000", 1, I32MAX, USE_ACTIVE,
          "Longest transaction.timeout.ms a producer may ask for."),
    RANGE("transactional.id.expiration.ms", SL_CFG_INT, "604800000", 1, I32MAX, USE_ACTIVE,
          "A transactional id with no transaction for this long is forgotten."),
    RANGE("transaction.abort.timed.out.transaction.cleanup.interval.ms", SL_CFG_INT, "10000", 1, I32MAX,
          USE_ACTIVE, "How often transactions past their timeout are looked for and aborted."),
    RANGE("transaction.remove.expired.transaction.cleanup.interval.ms", SL_CFG_INT, "3600000", 1, I32MAX,
          USE_ACTIVE, "How often expired transactional ids are looked for."),

    GROUP("Log cleaner and idempotent producers"),
    KEY("log.cleaner.enable", SL_CFG_BOOLEAN, "true", USE_ACTIVE,
        "Run the cleaner for topics with cleanup.policy=compact."),
    RANGE("log.cleaner.dedupe.buffer.size", SL_CFG_LONG, "134217728", 1048576, I64MAX, USE_ACTIVE,
          "Memory for the cleaner's key map; a dirty range with more keys is cleaned in steps."),
    RANGE("log.cleaner.backoff.ms", SL_CFG_LONG, "15000", 0, I64MAX, USE_ACTIVE,
          "Sleep of the cleaner when no log needs cleaning."),
    RANGE("log.cleaner.delete.retention.ms", SL_CFG_LONG, "86400000", 0, I64MAX, USE_ACTIVE,
          "How long tombstones stay in compacted topics (topic: delete.retention.ms)."),
    RANGE("log.cleaner.min.compaction.lag.ms", SL_CFG_LONG, "0", 0, I64MAX, USE_ACTIVE,
          "Least time a message stays uncompacted (topic: min.compaction.lag.ms)."),
    RANGE("log.cleaner.max.compaction.lag.ms", SL_CFG_LONG, "9223372036854775807", 1, I64MAX, USE_ACTIVE,
          "Longest time a message stays uncompacted (topic: max.compaction.lag.ms)."),
    CHECK("log.cleaner.min.cleanable.ratio", SL_CFG_DOUBLE, "0.5", CK_RATIO, NULL, USE_ACTIVE,
          "Dirty ratio that makes a log eligible for compaction (topic: min.cleanable.dirty.ratio)."),
    RANGE("producer.id.expiration.ms", SL_CFG_INT, "86400000", 1, I32MAX, USE_ACTIVE,
          "A producer id idle this long is forgotten by the partitions it wrote to."),
    RANGE("producer.id.expiration.check.interval.ms", SL_CFG_INT, "600000", 1, I32MAX, USE_ACTIVE,
          "How often idle producer ids are looked for."),

    GROUP("Topic defaults reported by DescribeConfigs (checked and stored; Sluice does not act on them yet)"),
    CHECK("compression.type", SL_CFG_STRING, "producer", CK_ENUM, "uncompressed|zstd|lz4|snappy|gzip|producer",
          USE_STORED, "Compression of stored batches; producer keeps the producer's."),
    RANGE("log.segment.delete.delay.ms", SL_CFG_LONG, "60000", 0, I64MAX, USE_STORED,
          "Wait before deleting a segment file (topic: file.delete.delay.ms)."),
    RANGE("log.roll.jitter.ms", SL_CFG_LONG, NULL, 0, I64MAX, USE_STORED,
          "Random jitter subtracted from segment roll time (topic: segment.jitter.ms)."),
    RANGE("log.roll.jitter.hours", SL_CFG_INT, "0", 0, I32MAX, USE_STORED,
          "Roll jitter in hours, used when log.roll.jitter.ms is not given."),
    KEY("log.preallocate", SL_CFG_BOOLEAN, "false", USE_STORED,
        "Preallocate segment files (topic: preallocate)."),
    CHECK("log.message.format.version", SL_CFG_STRING, "3.0-IV1", CK_FORMAT_VERSION, NULL, USE_STORED,
          "Message format version (topic: message.format.version); Sluice writes v2."),
    RANGE("log.message.timestamp.difference.max.ms", SL_CFG_LONG, "9223372036854775807", 0, I64MAX,
          USE_STORED, "Largest allowed gap between a CreateTime timestamp and the broker's clock."),
    KEY("log.message.downconversion.enable", SL_CFG_BOOLEAN, "true", USE_STORED,
        "Down-convert for old consumers (topic: message.downconversion.enable)."),
    KEY("unclean.leader.election.enable", SL_CFG_BOOLEAN, "false", USE_STORED,
        "Allow out-of-sync replicas to become leader (meaningless with one node)."),
};

/* Kafka keys Sluice accepts and does not use: settings of features it does
 * not have (ZooKeeper, TLS, SASL, replication, quotas...) or tuning of
 * Kafka's own threads and buffers. A key is ignored when it equals one of
 * these or starts with one ending in '.'. */
static const char *const ignored_keys[] = {
    "zookeeper.", "ssl.", "sasl.", "listener.name.", "security.", "authorizer.", "super.users",
    "allow.everyone.if.no.acl.found", "principal.builder.class", "delegation.token.", "password.encoder.",
    "transaction.state.log.load.buffer.size", "transaction.partition.verification.enable",
    "offsets.commit.", "offsets.load.buffer.size",
    "group.consumer.", "replica.", "controller.", "process.roles", "metadata.", "early.start.listeners",
    "initial.broker.registration.timeout.ms", "broker.", "inter.broker.", "reserved.broker.max.id",
    "auto.leader.rebalance.enable", "leader.imbalance.", "controlled.shutdown.",
    "unstable.api.versions.enable", "unstable.metadata.versions.enable",
    "num.io.threads", "num.recovery.threads.per.data.dir", "num.replica.fetchers",
    "num.replica.alter.log.dirs.threads", "num.quota.samples", "num.replication.quota.samples",
    "num.alter.log.dirs.replication.quota.samples", "background.threads", "queued.max.",
    "socket.", "max.connections", "max.connections.per.ip", "max.connections.per.ip.overrides",
    "max.connection.creation.rate", "connection.failed.authentication.delay.ms",
    "connections.max.reauth.ms", "fetch.max.bytes", "fetch.purgatory.purge.interval.requests",
    "producer.purgatory.purge.interval.requests", "delete.records.purgatory.purge.interval.requests",
    "max.incremental.fetch.session.cache.slots", "request.timeout.ms",
    "quota.", "client.quota.callback.class", "replication.quota.window.num",
    "replication.quota.window.size.seconds", "alter.log.dirs.replication.quota.window.num",
    "alter.log.dirs.replication.quota.window.size.seconds", "metric.", "metrics.", "kafka.metrics.",
    "auto.include.jmx.reporter", "create.topic.policy.class.name", "alter.config.policy.class.name",
    "log.cleaner.", "log.flush.offset.checkpoint.interval.ms", "log.flush.start.offset.checkpoint.interval.ms",
    "log.dir.failure.timeout.ms", "log.local.retention.ms", "log.local.retention.bytes", "remote.log.",
    "inter.broker.protocol.version", "log.message.timestamp.before.max.ms",
    "log.message.timestamp.after.max.ms", "node.",
};

const cfg_spec_t *cfg_server_spec(const char *name)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(server_keys); i++)
        if (server_keys[i].name && strcmp(server_keys[i].name, name) == 0)
            return &server_keys[i];
    return NULL;
}

static bool is_ignored(const char *key)
{
    for (size_t i = 0; i < SL_ARRAY_LEN(ignored_keys); i++) {
        const char *k = ignored_keys[i];
        size_t n = strlen(k);
        if (k[n - 1] == '.' ? strncmp(key, k, n) == 0 : strcmp(key, k) == 0)
            return true;
    }
    return false;
}

static bool is_sensitive(const char *key)
{
    return strstr(key, "password") || strstr(key, "secret") || strstr(key, "jaas.config") ||
           strstr(key, "credentials");
}

/* Edit distance, capped: names longer than 64 are never "close". */
static int distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 99;
    int row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int prev = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int cur = row[j];
            int best = prev + (a[i - 1] != b[j - 1]);
            best = SL_MIN(best, row[j] + 1);
            best = SL_MIN(best, row[j - 1] + 1);
            row[j] = best;
            prev = cur;
        }
    }
    return row[lb];
}

/* The known key within two edits of key, or NULL. */
static const char *near_key(const char *key)
{
    const char *best = NULL;
    int bd = 3;
    for (size_t i = 0; i < SL_ARRAY_LEN(server_keys); i++) {
        if (!server_keys[i].name)
            continue;
        int d = distance(key, server_keys[i].name);
        if (d > 0 && d < bd) {
            bd = d;
            best = server_keys[i].name;
        }
    }
    return best;
}

/* ---- loading ----------------------------------------------------------- */

typedef struct loader {
    sl_props_t *given;
    char *errbuf;
    size_t errlen;
} loader_t;

static int line_of(const sl_props_t *p, const char *key)
{
    for (size_t i = 0; i < sl_props_count(p); i++) {
        const char *k;
        int line;
        sl_props_at(p, i, &k, NULL, &line);
        if (strcmp(k, key) == 0)
            return line;
    }
    return 0;
}

/* "file:LINE" for a key from the file, "--override:N" for the N-th
 * override; a key not given at all (its default is involved in an error
 * between keys) gets the file name alone, or "(defaults)". */
static void where(const sl_props_t *p, const char *key, char *buf, size_t n)
{
    int line = line_of(p, key);
    const char *origin = sl_props_origin(p);
    if (line < 0)
        snprintf(buf, n, "--override:%d", -line);
    else if (!sl_props_get(p, key))
        snprintf(buf, n, "%s", origin[0] ? origin : "(defaults)");
    else
        snprintf(buf, n, "%s:%d", origin, line);
}

static sl_err_t fail(loader_t *ld, const char *key, const char *value, const char *fmt, ...) SL_PRINTF(4, 5);
static sl_err_t fail(loader_t *ld, const char *key, const char *value, const char *fmt, ...)
{
    if (!ld->errbuf || !ld->errlen)
        return SL_ERR_CONFIG;
    char loc[4200], q[256], why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    where(ld->given, key, loc, sizeof loc);
    cfg_quote(q, sizeof q, value, strlen(value), 200);
    snprintf(ld->errbuf, ld->errlen, "%s: %s=%s: %s", loc, key, q, why);
    return SL_ERR_CONFIG;
}

static const char *given(const loader_t *ld, const char *key) { return sl_props_get(ld->given, key); }

/* The value in force: given, else the default (NULL when both absent). */
static const char *eff(const loader_t *ld, const char *key)
{
    const char *v = given(ld, key);
    if (v)
        return v;
    const cfg_spec_t *sp = cfg_server_spec(key);
    return sp ? sp->def : NULL;
}

static int64_t eff_i64(const loader_t *ld, const char *key)
{
    int64_t v = 0;
    const char *s = eff(ld, key);
    if (s)
        cfg_parse_i64(s, &v);
    return v;
}

static bool eff_bool(const loader_t *ld, const char *key)
{
    bool v = false;
    const char *s = eff(ld, key);
    if (s)
        cfg_parse_bool(s, &v);
    return v;
}

/* Pass 1: overrides into the given set. */
static sl_err_t add_overrides(loader_t *ld, const char *const *ov, int n)
{
    for (int i = 0; i < n; i++) {
        const char *s = ov[i] ? ov[i] : "";
        const char *eq = strchr(s, '=');
        char q[256];
        cfg_quote(q, sizeof q, s, strlen(s), 200);
        if (!eq) {
            if (ld->errbuf && ld->errlen)
                snprintf(ld->errbuf, ld->errlen, "--override:%d: '%s': expected KEY=VALUE", i + 1, q);
            return SL_ERR_CONFIG;
        }
        const char *kb = s, *ke = eq;
        while (kb < ke && isspace((unsigned char)*kb))
            kb++;
        while (ke > kb && isspace((unsigned char)ke[-1]))
            ke--;
        if (kb == ke) {
            if (ld->errbuf && ld->errlen)
                snprintf(ld->errbuf, ld->errlen, "--override:%d: '%s': the key before '=' is empty", i + 1, q);
            return SL_ERR_CONFIG;
        }
        char *key = strndup(kb, (size_t)(ke - kb));
        if (!key)
            return SL_ERR_NOMEM;
        sl_err_t err = sl_props_set(ld->given, key, eq + 1, -(i + 1));
        free(key);
        if (err)
            return err;
    }
    return SL_OK;
}

/* Pass 2: every given key checked, canonical values written back. */
static sl_err_t check_given(loader_t *ld)
{
    sl_buf_t ign = SL_BUF_INIT, canon = SL_BUF_INIT;
    sl_err_t err = SL_OK;
    for (size_t i = 0; i < sl_props_count(ld->given) && !err; i++) {
        const char *key, *value;
        int line;
        sl_props_at(ld->given, i, &key, &value, &line);
        const cfg_spec_t *sp = cfg_server_spec(key);
        if (sp) {
            char why[512];
            sl_buf_reset(&canon);
            if (!cfg_value_check(sp, value, &canon, why, sizeof why)) {
                err = fail(ld, key, value, "%s", why);
                break;
            }
            sl_buf_put_u8(&canon, 0);
            if (sl_buf_err(&canon)) {
                err = SL_ERR_NOMEM;
                break;
            }
            if (strcmp((const char *)canon.data, value) != 0) {
                /* Replacing a value keeps the entry's position; key and
                 * value pointers are refetched next round. */
                char *k = strdup(key);
                err = k ? sl_props_set(ld->given, k, (const char *)canon.data, line) : SL_ERR_NOMEM;
                free(k);
            }
            continue;
        }
        char loc[4200], q[128];
        where(ld->given, key, loc, sizeof loc);
        cfg_quote(q, sizeof q, key, strlen(key), 100);
        const char *near = near_key(key);
        if (is_ignored(key) && !near) {
            if (ign.len)
                sl_buf_put(&ign, ", ", 2);
            sl_buf_put(&ign, q, strlen(q));
        } else if (near) {
            SL_WARN(MOD, "%s: unknown key '%s' (ignored); did you mean %s?", loc, q, near);
        } else {
            SL_WARN(MOD, "%s: unknown key '%s' (ignored)", loc, q);
        }
    }
    if (!err && ign.len) {
        sl_buf_put_u8(&ign, 0);
        if (!sl_buf_err(&ign))
            SL_INFO(MOD, "%s: accepted, no effect in Sluice: %s",
                    sl_props_origin(ld->given)[0] ? sl_props_origin(ld->given) : "--override",
                    (const char *)ign.data);
    }
    sl_buf_free(&ign);
    sl_buf_free(&canon);
    return err;
}

static bool is_wildcard(const char *host) { return strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0; }

/* The protocol the map gives a listener name, in proto (size n); false when
 * the map does not name it. */
static bool protocol_of(const char *map, const char *name, char *proto, size_t n)
{
    size_t nl = strlen(name);
    const char *p = map;
    while (p && *p) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        const char *c = memchr(p, ':', (size_t)(end - p));
        if (c && (size_t)(c - p) == nl && strncasecmp(p, name, nl) == 0) {
            snprintf(proto, n, "%.*s", (int)(end - c - 1), c + 1);
            return true;
        }
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

static bool name_in_list(const char *list, const char *name)
{
    size_t nl = strlen(name);
    const char *p = list;
    while (p && *p) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        if (l == nl && strncasecmp(p, name, nl) == 0)
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

static sl_err_t derive_listeners(loader_t *ld, sl_broker_config_t *cfg)
{
    cfg_listener_t ls[16];
    int n;
    char why[256];
    const char *lv = eff(ld, "listeners");
    const char *map = eff(ld, "listener.security.protocol.map");
    const char *ctl = given(ld, "controller.listener.names");
    if (!cfg_parse_listeners(lv, ls, 16, &n, why, sizeof why))
        return fail(ld, "listeners", lv, "%s", why);
    /* A protocol problem with the default listeners is the map's fault. */
    const char *pkey = !given(ld, "listeners") && given(ld, "listener.security.protocol.map")
                           ? "listener.security.protocol.map" : "listeners";
    const char *pval = eff(ld, pkey);
    const cfg_listener_t *use = NULL;
    for (int i = 0; i < n; i++) {
        if (ctl && name_in_list(ctl, ls[i].name)) {
            SL_INFO(MOD, "listener %s is a KRaft controller listener: skipped (Sluice runs no controller)",
                    ls[i].name);
            continue;
        }
        char proto[64];
        if (!protocol_of(map, ls[i].name, proto, sizeof proto))
            return fail(ld, pkey, pval,
                        "listener %s has no security protocol in listener.security.protocol.map", ls[i].name);
        if (strcmp(proto, "PLAINTEXT") != 0)
            return fail(ld, pkey, pval, "listener %s uses %s: only PLAINTEXT is supported so far",
                        ls[i].name, proto);
        if (use)
            return fail(ld, "listeners", lv, "only one client listener is supported so far (%s and %s given)",
                        use->name, ls[i].name);
        use = &ls[i];
    }
    if (!use)
        return fail(ld, "listeners", lv, "no client listener (every listener is a controller listener)");
    bool empty_host = use->host[0] == '\0';
    snprintf(cfg->listener_host, sizeof cfg->listener_host, "%s", empty_host ? "0.0.0.0" : use->host);
    cfg->listener_port = use->port;
    if (empty_host)
        SL_WARN(MOD, "listener %s has no host: listening on every interface (0.0.0.0)", use->name);

    const char *av = given(ld, "advertised.listeners");
    cfg_listener_t adv;
    if (av) {
        cfg_listener_t as[16];
        int an;
        if (!cfg_parse_listeners(av, as, 16, &an, why, sizeof why))
            return fail(ld, "advertised.listeners", av, "%s", why);
        const cfg_listener_t *a = NULL;
        for (int i = 0; i < an; i++) {
            if (strcmp(as[i].name, use->name) == 0)
                a = &as[i];
            else if (!(ctl && name_in_list(ctl, as[i].name)))
                return fail(ld, "advertised.listeners", av, "listener %s is not in listeners", as[i].name);
        }
        if (!a)
            return fail(ld, "advertised.listeners", av, "no entry for listener %s", use->name);
        if (is_wildcard(a->host))
            return fail(ld, "advertised.listeners", av,
                        "%s cannot be advertised: clients cannot connect to it; name a routable host", a->host);
        adv = *a;
    } else {
        if (!empty_host && is_wildcard(use->host))
            return fail(ld, "listeners", lv,
                        "listening on %s needs advertised.listeners naming an address clients can reach",
                        use->host);
        adv = *use;
    }
    if (adv.host[0] == '\0') {
        /* As Kafka: an empty host is advertised as this machine's name. */
        char hn[256];
        if (gethostname(hn, sizeof hn) != 0 || hn[0] == '\0')
            snprintf(hn, sizeof hn, "localhost");
        hn[sizeof hn - 1] = '\0';
        snprintf(adv.host, sizeof adv.host, "%s", hn);
        SL_INFO(MOD, "advertising host name %s to clients (set advertised.listeners to change)", adv.host);
    }
    snprintf(cfg->advertised_host, sizeof cfg->advertised_host, "%s", adv.host);
    cfg->advertised_port = adv.port;
    return SL_OK;
}

static sl_err_t derive_log_dirs(loader_t *ld, sl_broker_config_t *cfg)
{
    const char *key = given(ld, "log.dirs") ? "log.dirs" : "log.dir";
    const char *v = eff(ld, key);
    const char *p = v;
    cfg->n_log_dirs = 0;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        if (cfg->n_log_dirs == SL_CONFIG_MAX_LOG_DIRS)
            return fail(ld, key, v, "more than %d directories", SL_CONFIG_MAX_LOG_DIRS);
        if (l >= sizeof cfg->log_dirs[0])
            return fail(ld, key, v, "directory path too long");
        for (int i = 0; i < cfg->n_log_dirs; i++)
            if (strlen(cfg->log_dirs[i]) == l && strncmp(cfg->log_dirs[i], p, l) == 0)
                return fail(ld, key, v, "directory %.*s is listed twice", (int)SL_MIN(l, 200), p);
        memcpy(cfg->log_dirs[cfg->n_log_dirs], p, l);
        cfg->log_dirs[cfg->n_log_dirs][l] = '\0';
        cfg->n_log_dirs++;
        if (!comma)
            return SL_OK;
        p = comma + 1;
    }
}

static int64_t hours_ms(int64_t h) { return h < 0 ? -1 : h * 3600000; }

/* Pass 3: typed fields from given values and defaults. */
static sl_err_t derive(loader_t *ld, sl_broker_config_t *cfg)
{
    const char *nid = given(ld, "node.id"), *bid = given(ld, "broker.id");
    if (nid && bid && strcmp(nid, bid) != 0) {
        char loc[4200];
        where(ld->given, "broker.id", loc, sizeof loc);
        return fail(ld, "node.id", nid, "differs from broker.id=%s (%s); give one of them", bid, loc);
    }
    cfg->node_id = (int32_t)eff_i64(ld, nid ? "node.id" : "broker.id");

    sl_err_t err = derive_listeners(ld, cfg);
    if (!err)
        err = derive_log_dirs(ld, cfg);
    if (err)
        return err;

    cfg->num_partitions = (int32_t)eff_i64(ld, "num.partitions");
    cfg->default_replication_factor = (int16_t)eff_i64(ld, "default.replication.factor");
    cfg->min_insync_replicas = (int32_t)eff_i64(ld, "min.insync.replicas");
    cfg->auto_create_topics_enable = eff_bool(ld, "auto.create.topics.enable");
    cfg->delete_topic_enable = eff_bool(ld, "delete.topic.enable");
    cfg->message_max_bytes = (int32_t)eff_i64(ld, "message.max.bytes");
    cfg->socket_request_max_bytes = (int32_t)eff_i64(ld, "socket.request.max.bytes");
    cfg->log_segment_bytes = eff_i64(ld, "log.segment.bytes");
    cfg->log_roll_ms = given(ld, "log.roll.ms") ? eff_i64(ld, "log.roll.ms") : hours_ms(eff_i64(ld, "log.roll.hours"));
    if (given(ld, "log.retention.ms"))
        cfg->log_retention_ms = eff_i64(ld, "log.retention.ms");
    else if (given(ld, "log.retention.minutes"))
        cfg->log_retention_ms = eff_i64(ld, "log.retention.minutes") * 60000;
    else
        cfg->log_retention_ms = eff_i64(ld, "log.retention.hours") * 3600000;
    if (cfg->log_retention_ms < 0)
        cfg->log_retention_ms = -1;
    cfg->log_retention_bytes = eff_i64(ld, "log.retention.bytes");
    cfg->log_retention_check_interval_ms = eff_i64(ld, "log.retention.check.interval.ms");
    cfg->log_flush_interval_messages = eff_i64(ld, "log.flush.interval.messages");
    cfg->log_flush_interval_ms = given(ld, "log.flush.interval.ms") ? eff_i64(ld, "log.flush.interval.ms")
                                                                     : eff_i64(ld, "log.flush.scheduler.interval.ms");
    cfg->log_index_interval_bytes = (int32_t)eff_i64(ld, "log.index.interval.bytes");
    cfg->log_index_size_max_bytes = (int32_t)eff_i64(ld, "log.index.size.max.bytes");
    cfg->log_append_time = strcmp(eff(ld, "log.message.timestamp.type"), "LogAppendTime") == 0;

    /* Canonical policy: each of delete/compact once, in the order given. */
    const char *pol = eff(ld, "log.cleanup.policy");
    bool del = false, cmp = false;
    cfg->log_cleanup_policy[0] = '\0';
    for (const char *p = pol; *p;) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        bool is_del = l == 6 && strncmp(p, "delete", 6) == 0;
        if ((is_del && !del) || (!is_del && !cmp)) {
            if (cfg->log_cleanup_policy[0])
                strcat(cfg->log_cleanup_policy, ",");
            strcat(cfg->log_cleanup_policy, is_del ? "delete" : "compact");
        }
        del = del || is_del;
        cmp = cmp || !is_del;
        if (!comma)
            break;
        p = comma + 1;
    }

    if (given(ld, "num.network.threads")) {
        cfg->num_network_threads = (int32_t)eff_i64(ld, "num.network.threads");
    } else {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        cfg->num_network_threads = (int32_t)(cpus < 1 ? 1 : cpus > 4096 ? 4096 : cpus);
    }
    cfg->connections_max_idle_ms = (int32_t)eff_i64(ld, "connections.max.idle.ms");

    cfg->offsets_topic_num_partitions = (int32_t)eff_i64(ld, "offsets.topic.num.partitions");
    cfg->offsets_topic_segment_bytes = (int32_t)eff_i64(ld, "offsets.topic.segment.bytes");
    cfg->offsets_retention_ms = eff_i64(ld, "offsets.retention.minutes") * 60000;
    cfg->offsets_retention_check_interval_ms = eff_i64(ld, "offsets.retention.check.interval.ms");
    cfg->offset_metadata_max_bytes = (int32_t)eff_i64(ld, "offset.metadata.max.bytes");
    cfg->group_initial_rebalance_delay_ms = (int32_t)eff_i64(ld, "group.initial.rebalance.delay.ms");
    cfg->group_min_session_timeout_ms = (int32_t)eff_i64(ld, "group.min.session.timeout.ms");
    cfg->group_max_session_timeout_ms = (int32_t)eff_i64(ld, "group.max.session.timeout.ms");
    cfg->group_max_size = (int32_t)eff_i64(ld, "group.max.size");
    if (cfg->group_max_session_timeout_ms < cfg->group_min_session_timeout_ms) {
        return fail(ld, "group.max.session.timeout.ms", eff(ld, "group.max.session.timeout.ms"),
                    "below group.min.session.timeout.ms (%d)", cfg->group_min_session_timeout_ms);
    }
    cfg->transaction_state_log_num_partitions = (int32_t)eff_i64(ld, "transaction.state.log.num.partitions");
    cfg->transaction_state_log_segment_bytes = (int32_t)eff_i64(ld, "transaction.state.log.segment.bytes");
    cfg->transaction_max_timeout_ms = (int32_t)eff_i64(ld, "transaction.max.timeout.ms");
    cfg->transactional_id_expiration_ms = (int32_t)eff_i64(ld, "transactional.id.expiration.ms");
    cfg->transaction_abort_check_interval_ms =
        (int32_t)eff_i64(ld, "transaction.abort.timed.out.transaction.cleanup.interval.ms");
    cfg->transaction_expire_check_interval_ms =
        (int32_t)eff_i64(ld, "transaction.remove.expired.transaction.cleanup.interval.ms");
    cfg->log_cleaner_enable = eff_bool(ld, "log.cleaner.enable");
    cfg->log_cleaner_dedupe_buffer_size = eff_i64(ld, "log.cleaner.dedupe.buffer.size");
    cfg->log_cleaner_backoff_ms = eff_i64(ld, "log.cleaner.backoff.ms");
    cfg->producer_id_expiration_ms = (int32_t)eff_i64(ld, "producer.id.expiration.ms");
    cfg->producer_id_expiration_check_interval_ms = (int32_t)eff_i64(ld, "producer.id.expiration.check.interval.ms");
    return SL_OK;
}

sl_err_t sl_broker_config_load(const char *path, const char *const *overrides, int n_overrides,
                               sl_broker_config_t *out, char *errbuf, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (errbuf && errlen)
        errbuf[0] = '\0';
    loader_t ld = {NULL, errbuf, errlen};
    sl_err_t err;
    if (path) {
        err = sl_props_load(path, &ld.given, errbuf, errlen);
        if (err)
            return err;
    } else {
        ld.given = sl_props_new();
        if (!ld.given)
            return SL_ERR_NOMEM;
    }
    err = add_overrides(&ld, overrides, n_overrides < 0 ? 0 : n_overrides);
    if (!err)
        err = check_given(&ld);
    if (!err)
        err = derive(&ld, out);
    if (err) {
        if (err == SL_ERR_NOMEM && errbuf && errlen)
            snprintf(errbuf, errlen, "%s: out of memory", path ? path : "--override");
        sl_props_free(ld.given);
        memset(out, 0, sizeof *out);
        return err;
    }
    out->given = ld.given;
    return SL_OK;
}

void sl_broker_config_free(sl_broker_config_t *cfg)
{
    if (!cfg)
        return;
    sl_props_free(cfg->given);
    cfg->given = NULL;
}

/* ---- help and DescribeConfigs ----------------------------------------- */

void sl_broker_config_help(FILE *out)
{
    fprintf(out, "Server settings: server.properties keys, or --override KEY=VALUE "
                 "(Kafka's names; a later value wins).\n");
    for (size_t i = 0; i < SL_ARRAY_LEN(server_keys); i++) {
        const cfg_spec_t *sp = &server_keys[i];
        if (!sp->name) {
            fprintf(out, "\n%s\n", sp->doc);
            continue;
        }
        const char *def = sp->def ? sp->def : "(none)";
        if (strcmp(sp->name, "num.network.threads") == 0)
            def = "(online CPUs)";
        fprintf(out, "  %s=%s\n      %s\n", sp->name, def, sp->doc);
    }
    fprintf(out, "\nAccepted for compatibility, no effect in Sluice (a trailing '.' means every key "
                 "starting so):\n ");
    size_t col = 1;
    for (size_t i = 0; i < SL_ARRAY_LEN(ignored_keys); i++) {
        size_t l = strlen(ignored_keys[i]) + 1;
        if (col + l > 78) {
            fprintf(out, "\n ");
            col = 1;
        }
        fprintf(out, " %s", ignored_keys[i]);
        col += l;
    }
    fprintf(out, "\n");
}

void sl_broker_config_describe(const sl_broker_config_t *srv,
                               void (*visit)(void *arg, const sl_config_entry_t *e), void *arg)
{
    char num[32];
    for (size_t i = 0; i < SL_ARRAY_LEN(server_keys); i++) {
        const cfg_spec_t *sp = &server_keys[i];
        if (!sp->name)
            continue;
        const char *v = srv->given ? sl_props_get(srv->given, sp->name) : NULL;
        sl_config_entry_t e = {
            .name = sp->name, .value = v ? v : sp->def,
            .source = v ? SL_CFG_SRC_STATIC_BROKER : SL_CFG_SRC_DEFAULT,
            .type = sp->type, .read_only = true, .doc = sp->doc,
        };
        /* Values Sluice settles itself: show what is in force. */
        if (strcmp(sp->name, "num.network.threads") == 0) {
            snprintf(num, sizeof num, "%d", (int)srv->num_network_threads);
            e.value = num;
        } else if (strcmp(sp->name, "node.id") == 0 || strcmp(sp->name, "broker.id") == 0) {
            snprintf(num, sizeof num, "%d", (int)srv->node_id);
            e.value = num;
        }
        visit(arg, &e);
    }
    /* Ignored keys the file gave, so the operator sees them; secrets hidden. */
    for (size_t i = 0; srv->given && i < sl_props_count(srv->given); i++) {
        const char *k, *v;
        sl_props_at(srv->given, i, &k, &v, NULL);
        if (cfg_server_spec(k) || !is_ignored(k))
            continue;
        bool secret = is_sensitive(k);
        sl_config_entry_t e = {
            .name = k, .value = secret ? NULL : v, .source = SL_CFG_SRC_STATIC_BROKER,
            .type = secret ? SL_CFG_PASSWORD : SL_CFG_STRING, .read_only = true, .sensitive = secret,
            .doc = "Accepted for compatibility; no effect in Sluice.",
        };
        visit(arg, &e);
    }
}
