/*
 * config.h - the broker's configuration: server settings (server.properties
 * plus --override KEY=VALUE, Kafka's key names and defaults), per-topic
 * settings (Kafka's topic config names, with their server-level synonyms),
 * the answers DescribeConfigs needs (value, source, synonyms, type), and the
 * persisted topic metadata (id, partition count, topic config overrides).
 *
 * Everything here is plain data used by one thread at a time; the broker
 * copies what it needs under its own locks.
 *
 * Values are read as Kafka's ConfigDef reads them: surrounding blanks are
 * ignored; integers are plain decimal (an optional sign; no hex, no '_');
 * booleans are true/false in any case; lists are comma separated with blanks
 * around items ignored. Kafka keys Sluice does not use (ZooKeeper, TLS, SASL,
 * replication, quotas, thread and buffer tuning...) are accepted with one
 * INFO line, so a stock Kafka server.properties loads; sluiced --help
 * (sl_broker_config_help) lists them.
 */
#ifndef SL_BROKER_CONFIG_H
#define SL_BROKER_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SL_CONFIG_MAX_LOG_DIRS 16

/* Server settings. Keys and defaults are Kafka's unless a comment says so. */
typedef struct sl_broker_config {
    int32_t node_id;                  /* node.id, alias broker.id (if both are given they
                                       * must be equal); default 0 (Kafka: -1, generated) */
    char listener_host[256];          /* listeners=PLAINTEXT://HOST:PORT */
    uint16_t listener_port;           /* default 127.0.0.1:9092 (Sluice binds loopback by
                                       * default; Kafka's default is PLAINTEXT://:9092).
                                       * One PLAINTEXT listener; any other protocol is
                                       * refused ("only PLAINTEXT is supported so far"),
                                       * except KRaft controller listeners named in
                                       * controller.listener.names, which are skipped.
                                       * Listener names map to protocols through
                                       * listener.security.protocol.map, as in Kafka.
                                       * An empty host (PLAINTEXT://:9092) becomes
                                       * "0.0.0.0" with a warning. Port 0: an ephemeral
                                       * port (the broker reads back the bound one). IPv6
                                       * hosts are written [::1] and stored without the
                                       * brackets. */
    char advertised_host[256];        /* advertised.listeners (its entry with the same
                                       * listener name); default = the listener. As Kafka:
                                       * an empty host is advertised as this machine's
                                       * host name (gethostname); listening on 0.0.0.0 or
                                       * :: without advertised.listeners is an error,
                                       * since clients cannot connect there. */
    uint16_t advertised_port;         /* 0 when the listener port is 0: advertise the
                                       * port actually bound */
    char log_dirs[SL_CONFIG_MAX_LOG_DIRS][4096]; /* log.dirs (comma list), else log.dir;
                                       * default /tmp/kafka-logs (as Kafka; the sample
                                       * config/server.properties says ./data). Paths as
                                       * given (relative to the working directory); not
                                       * created or checked here. */
    int n_log_dirs;
    int32_t num_partitions;           /* num.partitions, 1 */
    int16_t default_replication_factor; /* default.replication.factor, 1 */
    int32_t min_insync_replicas;      /* min.insync.replicas, 1 */
    bool auto_create_topics_enable;   /* auto.create.topics.enable, true */
    bool delete_topic_enable;         /* delete.topic.enable, true */
    int32_t message_max_bytes;        /* message.max.bytes, 1048588 */
    int32_t socket_request_max_bytes; /* socket.request.max.bytes, 104857600 */
    int64_t log_segment_bytes;        /* log.segment.bytes, 1073741824 (an int in Kafka:
                                       * at most INT32_MAX; at least 14) */
    int64_t log_roll_ms;              /* log.roll.ms, else log.roll.hours (168), in ms */
    int64_t log_retention_ms;         /* log.retention.ms, else .minutes, else .hours (168),
                                       * in ms; -1 forever */
    int64_t log_retention_bytes;      /* log.retention.bytes, -1; any negative: no limit */
    int64_t log_retention_check_interval_ms; /* log.retention.check.interval.ms, 300000 */
    int64_t log_flush_interval_messages;     /* log.flush.interval.messages, INT64_MAX */
    int64_t log_flush_interval_ms;    /* log.flush.interval.ms, else
                                       * log.flush.scheduler.interval.ms; unset: INT64_MAX
                                       * (never by time) */
    int32_t log_index_interval_bytes; /* log.index.interval.bytes, 4096 */
    int32_t log_index_size_max_bytes; /* log.index.size.max.bytes, 10485760 */
    bool log_append_time;             /* log.message.timestamp.type, CreateTime */
    char log_cleanup_policy[32];      /* log.cleanup.policy, "delete". Canonical: "delete",
                                       * "compact", "delete,compact", "compact,delete"
                                       * (order as given), or "" (empty list: neither) */
    int32_t num_network_threads;      /* num.network.threads; Sluice's default: the
                                       * number of online CPUs (each thread runs
                                       * its own event loop) */
    int32_t connections_max_idle_ms;  /* connections.max.idle.ms, 600000; -1: never close
                                       * idle connections (Kafka's type is long; Sluice
                                       * takes -1..INT32_MAX, about 24.8 days) */
    /* group coordinator (Kafka's names and defaults) */
    int32_t offsets_topic_num_partitions;     /* offsets.topic.num.partitions, 50 */
    int32_t offsets_topic_segment_bytes;      /* offsets.topic.segment.bytes, 104857600 */
    int64_t offsets_retention_ms;             /* offsets.retention.minutes (10080), in ms */
    int64_t offsets_retention_check_interval_ms; /* offsets.retention.check.interval.ms, 600000 */
    int32_t offset_metadata_max_bytes;        /* offset.metadata.max.bytes, 4096 */
    int32_t group_initial_rebalance_delay_ms; /* group.initial.rebalance.delay.ms, 3000 */
    int32_t group_min_session_timeout_ms;     /* group.min.session.timeout.ms, 6000 */
    int32_t group_max_session_timeout_ms;     /* group.max.session.timeout.ms, 1800000 (not
                                               * below the minimum: a load error) */
    int32_t group_max_size;                   /* group.max.size, INT32_MAX */
    /* transaction coordinator */
    int32_t transaction_state_log_num_partitions; /* transaction.state.log.num.partitions, 50 */
    int32_t transaction_state_log_segment_bytes;  /* transaction.state.log.segment.bytes, 104857600 */
    int32_t transaction_max_timeout_ms;           /* transaction.max.timeout.ms, 900000 */
    int32_t transactional_id_expiration_ms;       /* transactional.id.expiration.ms, 604800000 */
    int32_t transaction_abort_check_interval_ms;  /* transaction.abort.timed.out.transaction.
                                                   * cleanup.interval.ms, 10000 */
    int32_t transaction_expire_check_interval_ms; /* transaction.remove.expired.transaction.
                                                   * cleanup.interval.ms, 3600000 */
    /* log cleaner and idempotent producers */
    bool log_cleaner_enable;                  /* log.cleaner.enable, true */
    int64_t log_cleaner_dedupe_buffer_size;   /* log.cleaner.dedupe.buffer.size, 134217728 */
    int64_t log_cleaner_backoff_ms;           /* log.cleaner.backoff.ms, 15000 */
    int32_t producer_id_expiration_ms;        /* producer.id.expiration.ms, 86400000 */
    int32_t producer_id_expiration_check_interval_ms; /* producer.id.expiration.check.interval.ms,
                                                       * 600000 */
    sl_props_t *given;                /* every key as given (file, then overrides), for
                                       * DescribeConfigs sources; owned. A later value
                                       * replaces an earlier one; values of known keys
                                       * are in canonical form (trimmed, plain decimal,
                                       * true/false, lists joined by ","). Line numbers
                                       * are the file's (> 0) or -N for the N-th
                                       * --override. Unknown keys are kept. NULL in a
                                       * config not made by sl_broker_config_load. */
} sl_broker_config_t;

/* Loads the server configuration: Kafka defaults, then the properties file
 * at path (NULL: none), then each "KEY=VALUE" of overrides[0..n) in order
 * (split at the first '='; blanks around the key are dropped). path and
 * overrides are borrowed.
 * Unknown keys are logged as warnings (SL_WARN, module "config",
 * "<file>:<line>: unknown key 'X' (ignored)", plus "did you mean Y?" when a
 * known key is within two edits) and kept. Known Kafka keys Sluice does not
 * use are named together in one INFO line.
 * A bad value stops loading: SL_ERR_CONFIG with errbuf holding
 * "<origin>:<line>: <key>=<value>: <why>" (origin is the file name or
 * "--override"; for an override, line is its 1-based position), e.g.
 *   "server.properties:12: log.segment.bytes=10: must be at least 14"
 *   "--override:2: num.partitions=x: not a whole number"
 * The value is shown with control bytes as \xHH and cut at 200 characters.
 * An error between two keys names the deciding one (listeners, node.id).
 * A malformed override gives "--override:N: 'TEXT': expected KEY=VALUE".
 * Syntax errors of the file itself come from sl_props_parse
 * ("<file>:<line>: ..."). SL_ERR_IO when the file cannot be read (errbuf
 * "<file>: <reason>"); SL_ERR_NOMEM. On failure *out is zeroed, so
 * sl_broker_config_free on it is harmless. On success the caller frees with
 * sl_broker_config_free. Logs: call it at start-up. */
sl_err_t sl_broker_config_load(const char *path, const char *const *overrides, int n_overrides,
                               sl_broker_config_t *out, char *errbuf, size_t errlen);
/* Frees what load allocated (cfg->given, set to NULL); the struct itself is
 * the caller's. Accepts NULL. */
void sl_broker_config_free(sl_broker_config_t *cfg);
/* Prints every supported server key with its default and one line of help
 * (for sluiced --help), grouped as Kafka's sample server.properties is,
 * then the Kafka keys accepted without effect. */
void sl_broker_config_help(FILE *out);

/* ---- Topic configs ---------------------------------------------------- */

/* Kafka's DescribeConfigs ConfigType values. */
typedef enum sl_cfg_type {
    SL_CFG_BOOLEAN = 1, SL_CFG_STRING = 2, SL_CFG_INT = 3, SL_CFG_SHORT = 4,
    SL_CFG_LONG = 5, SL_CFG_DOUBLE = 6, SL_CFG_LIST = 7, SL_CFG_CLASS = 8, SL_CFG_PASSWORD = 9
} sl_cfg_type_t;

/* Kafka's DescribeConfigs ConfigSource values. */
typedef enum sl_cfg_source {
    SL_CFG_SRC_DYNAMIC_TOPIC = 1, SL_CFG_SRC_DYNAMIC_BROKER = 2, SL_CFG_SRC_DYNAMIC_DEFAULT_BROKER = 3,
    SL_CFG_SRC_STATIC_BROKER = 4, SL_CFG_SRC_DEFAULT = 5, SL_CFG_SRC_DYNAMIC_BROKER_LOGGER = 6
} sl_cfg_source_t;

/* The effective, typed settings of one topic: its overrides over the
 * server's values over Kafka's defaults. */
typedef struct sl_topic_config {
    int64_t retention_ms;          /* retention.ms <- log.retention.ms */
    int64_t retention_bytes;       /* retention.bytes <- log.retention.bytes */
    int64_t segment_bytes;         /* segment.bytes <- log.segment.bytes */
    int64_t segment_ms;            /* segment.ms <- log.roll.ms */
    int32_t max_message_bytes;     /* max.message.bytes <- message.max.bytes */
    int32_t min_insync_replicas;   /* min.insync.replicas <- min.insync.replicas */
    int64_t flush_messages;        /* flush.messages <- log.flush.interval.messages */
    int64_t flush_ms;              /* flush.ms <- log.flush.interval.ms */
    int32_t index_interval_bytes;  /* index.interval.bytes <- log.index.interval.bytes */
    int32_t segment_index_bytes;   /* segment.index.bytes <- log.index.size.max.bytes */
    bool log_append_time;          /* message.timestamp.type <- log.message.timestamp.type */
    int64_t max_compaction_lag_ms; /* max.compaction.lag.ms <- log.cleaner.max.compaction.lag.ms;
                                    * on a compacted topic it also caps segment.ms
                                    * (sl_broker_log_config), as in Kafka */
    bool compact;                  /* cleanup.policy contains "compact" */
    bool delete;                   /* cleanup.policy contains "delete" */
} sl_topic_config_t;

/* Topic config names: all of Kafka 3.4's, with its types, defaults and
 * validators, so DescribeConfigs answers as Kafka does. Sluice acts on the
 * fields above and, through the cleaner (maint.c reads them from the
 * overrides), on delete.retention.ms, min.compaction.lag.ms and
 * min.cleanable.dirty.ratio. Checked and stored only, not acted on yet:
 * compression.type, file.delete.delay.ms,
 * follower.replication.throttled.replicas,
 * leader.replication.throttled.replicas, local.retention.bytes,
 * local.retention.ms, message.downconversion.enable,
 * message.format.version, message.timestamp.difference.max.ms,
 * preallocate, remote.storage.enable, segment.jitter.ms,
 * unclean.leader.election.enable. */

/* Checks one topic config value (both borrowed, NUL-terminated). SL_OK;
 * SL_ERR_INVALID_CONFIG with errbuf "<name>: <why>: '<value>'", e.g.
 * "retention.ms: not a whole number: 'abc'", "segment.bytes: must be at
 * least 14: '5'"; SL_ERR_INVALID_CONFIG for unknown names too
 * ("Unknown topic config name: foo", as Kafka says). */
sl_err_t sl_topic_config_check(const char *name, const char *value, char *errbuf, size_t errlen);
/* As sl_topic_config_check; on success *out is the value in canonical form
 * (" 1000 " -> "1000", "TRUE" -> "true", "compact , delete" ->
 * "compact,delete"), malloc'ed, the caller frees it. Store that form: it is
 * what DescribeConfigs shows. On failure *out is NULL; SL_ERR_NOMEM too. */
sl_err_t sl_topic_config_canon(const char *name, const char *value, char **out, char *errbuf, size_t errlen);
/* Checks a whole set of overrides for a new or altered topic: every name and
 * value as sl_topic_config_check, then Kafka's rule between keys
 * (min.compaction.lag.ms <= max.compaction.lag.ms, server values counted).
 * Both borrowed; overrides may be NULL. SL_OK or SL_ERR_INVALID_CONFIG with
 * errbuf. */
sl_err_t sl_topic_config_check_all(const sl_broker_config_t *srv, const sl_props_t *overrides,
                                   char *errbuf, size_t errlen);
/* Computes the effective settings from the server config and the topic's
 * overrides (may be NULL; values already checked: an unparsable number falls
 * back to Kafka's default). srv is a loaded config: its typed fields give
 * the server's values (so changing a field by hand works); srv->given decides
 * sources and the stored-only keys. Both borrowed. */
void sl_topic_config_resolve(const sl_broker_config_t *srv, const sl_props_t *overrides,
                             sl_topic_config_t *out);

/* One entry of a DescribeConfigs answer. Strings are static or borrowed from
 * the configs passed in; valid while those are unchanged. */
typedef struct sl_config_entry {
    const char *name;
    const char *value;        /* NULL for a null value (e.g. unset optional) */
    sl_cfg_source_t source;
    sl_cfg_type_t type;
    bool read_only;
    bool sensitive;
    const char *synonym_name; /* the server key behind a topic key, or NULL */
    const char *synonym_value;
    sl_cfg_source_t synonym_source;
    const char *doc;          /* one line of documentation */
} sl_config_entry_t;

/* Visits every topic config (Kafka's names, in name order) with its value
 * for this topic and its source: DYNAMIC_TOPIC when overridden, else
 * STATIC_BROKER when the server key was given, else DEFAULT. The synonym is
 * the server key behind the topic key: the one given (log.retention.ms, else
 * .minutes, else .hours, as Kafka orders them) with its value as given and
 * STATIC_BROKER; else the first one that has a default, with that default
 * and DEFAULT (retention.ms -> log.retention.hours=168, segment.ms ->
 * log.roll.hours=168). Topic keys without a server key (the throttled
 * replica lists, local.retention.*, remote.storage.enable) have
 * synonym_name NULL. Topic entries are never read-only or sensitive.
 * value strings of numbers live in buffers of describe's stack frame, valid
 * during the visit call only: copy them. */
void sl_topic_config_describe(const sl_broker_config_t *srv, const sl_props_t *overrides,
                              void (*visit)(void *arg, const sl_config_entry_t *e), void *arg);
/* Visits every server key Sluice knows (read-only: static config), in --help
 * order, with its value and source (STATIC_BROKER when given, else DEFAULT;
 * value NULL for an unset key without a default, such as log.retention.ms;
 * node.id, broker.id and num.network.threads show the value in force). Then
 * the accepted-but-unused Kafka keys the configuration gave, as STRING,
 * STATIC_BROKER; names that say password/secret/jaas.config/credentials are
 * sensitive, type PASSWORD, value NULL. Unknown keys are not listed.
 * synonym_name is NULL. Numbers as above: copy them. */
void sl_broker_config_describe(const sl_broker_config_t *srv,
                               void (*visit)(void *arg, const sl_config_entry_t *e), void *arg);

/* ---- Persisted topic metadata ------------------------------------------
 * <first log.dir>/.sluice/topics/<topic>.meta, a Java properties file,
 * written atomically (temp file .tmp-XXXXXX in the same directory, fsync,
 * rename, fsync of the directory):
 *   topic=<name>   topic.id=<32 hex digits>   partitions=<n>
 *   config.<name>=<value>...
 * (".meta", not ".properties": a 249-character topic name plus the suffix
 * must fit the 255-byte file name limit.)
 */
typedef struct sl_topic_meta {
    char name[250];           /* legal Kafka topic name */
    uint8_t id[16];           /* topic id (uuid, random at creation) */
    int32_t partitions;
    sl_props_t *overrides;    /* topic config overrides; owned; may be empty */
} sl_topic_meta_t;

/* A legal topic name: 1..249 characters of [a-zA-Z0-9._-], not "." or "..".
 * name[0..len) is borrowed and need not be NUL-terminated (wire bytes are
 * fine; odd bytes show as \xHH in the message). SL_OK or
 * SL_ERR_INVALID_TOPIC_EXCEPTION with errbuf saying why. */
sl_err_t sl_topic_name_check(const char *name, size_t len, char *errbuf, size_t errlen);
/* The internal topics: committed offsets and group metadata; the
 * transaction coordinator's state. */
#define SL_TOPIC_CONSUMER_OFFSETS "__consumer_offsets"
#define SL_TOPIC_TRANSACTION_STATE "__transaction_state"
/* True when name[0..len) (borrowed) is an internal topic: clients may read
 * it but not produce to it, delete it or add partitions (Kafka's rule). */
bool sl_topic_is_internal(const char *name, size_t len);
/* Kafka's metric-name collision rule: true when a and b (NUL-terminated)
 * are equal once every '.' reads as '_' ("a.b" and "a_b" collide; so do
 * equal names). Kafka refuses a new topic that collides with a different
 * existing one; that check is the caller's. */
bool sl_topic_name_collides(const char *a, const char *b);

/* Writes meta (borrowed) for topic meta->name under log_dir, creating
 * log_dir, log_dir/.sluice and log_dir/.sluice/topics as needed and
 * replacing any earlier file. Override values are written as they are
 * (store checked, canonical values). SL_OK; SL_ERR_INVALID_TOPIC_EXCEPTION
 * (illegal name: never a path outside the directory); SL_ERR_INVAL
 * (partitions < 1, empty or overlong log_dir); SL_ERR_IO (logged with file
 * and errno; an earlier file is left as it was); SL_ERR_NOMEM. */
sl_err_t sl_topic_meta_save(const char *log_dir, const sl_topic_meta_t *meta);
/* Removes the topic's file and syncs the directory. SL_OK; SL_ERR_NOENT (no
 * such file); SL_ERR_INVALID_TOPIC_EXCEPTION; SL_ERR_INVAL; SL_ERR_IO. */
sl_err_t sl_topic_meta_remove(const char *log_dir, const char *topic);
/* Loads every saved topic, in name order; calls fn for each (fn takes
 * ownership of meta->overrides, never NULL; meta itself lives during the
 * call). Files that do not parse, whose name is not a topic name, or that
 * lack topic.id/partitions are reported (SL_ERROR) and skipped, never fatal;
 * an unknown or invalid config.<name> is dropped with a warning and the
 * topic kept. Temporary files left by a crash are removed. No directory yet
 * (a new log dir): SL_OK without calls. SL_OK or SL_ERR_IO (directory
 * unreadable), SL_ERR_INVAL (bad log_dir), SL_ERR_NOMEM. */
sl_err_t sl_topic_meta_load_all(const char *log_dir, void (*fn)(void *arg, sl_topic_meta_t *meta), void *arg);

#ifdef __cplusplus
}
#endif
#endif /* SL_BROKER_CONFIG_H */
