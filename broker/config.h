/*
 * config.h - the broker's configuration: server settings (server.properties
 * plus --override KEY=VALUE, Kafka's key names and defaults), per-topic
 * settings (Kafka's topic config names, with their server-level synonyms),
 * the answers DescribeConfigs needs (value, source, synonyms, type), and the
 * persisted topic metadata (id, partition count, topic config overrides).
 *
 * Everything here is plain data used by one thread at a time; the broker
 * copies what it needs under its own locks.
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
    int32_t node_id;                  /* node.id, alias broker.id; default 0 */
    char listener_host[256];          /* listeners=PLAINTEXT://HOST:PORT */
    uint16_t listener_port;           /* default 127.0.0.1:9092 (Sluice binds loopback by default) */
    char advertised_host[256];        /* advertised.listeners; default = listeners */
    uint16_t advertised_port;
    char log_dirs[SL_CONFIG_MAX_LOG_DIRS][4096]; /* log.dirs (comma list), alias log.dir;
                                       * default /tmp/kafka-logs */
    int n_log_dirs;
    int32_t num_partitions;           /* num.partitions, 1 */
    int16_t default_replication_factor; /* default.replication.factor, 1 */
    int32_t min_insync_replicas;      /* min.insync.replicas, 1 */
    bool auto_create_topics_enable;   /* auto.create.topics.enable, true */
    bool delete_topic_enable;         /* delete.topic.enable, true */
    int32_t message_max_bytes;        /* message.max.bytes, 1048588 */
    int32_t socket_request_max_bytes; /* socket.request.max.bytes, 104857600 */
    int64_t log_segment_bytes;        /* log.segment.bytes, 1073741824 */
    int64_t log_roll_ms;              /* log.roll.ms, else log.roll.hours (168) */
    int64_t log_retention_ms;         /* log.retention.ms / .minutes / .hours (168); -1 forever */
    int64_t log_retention_bytes;      /* log.retention.bytes, -1 */
    int64_t log_retention_check_interval_ms; /* log.retention.check.interval.ms, 300000 */
    int64_t log_flush_interval_messages;     /* log.flush.interval.messages, INT64_MAX */
    int64_t log_flush_interval_ms;    /* log.flush.interval.ms; unset: INT64_MAX (never by time) */
    int32_t log_index_interval_bytes; /* log.index.interval.bytes, 4096 */
    int32_t log_index_size_max_bytes; /* log.index.size.max.bytes, 10485760 */
    bool log_append_time;             /* log.message.timestamp.type, CreateTime */
    char log_cleanup_policy[32];      /* log.cleanup.policy, "delete" */
    int32_t num_network_threads;      /* num.network.threads; Sluice's default: the
                                       * number of online CPUs (each thread runs
                                       * its own event loop) */
    int32_t connections_max_idle_ms;  /* connections.max.idle.ms, 600000 */
    sl_props_t *given;                /* every key as given (file, then overrides), for
                                       * DescribeConfigs sources; owned */
} sl_broker_config_t;

/* Loads the server configuration: Kafka defaults, then the properties file
 * at path (NULL: none), then each "KEY=VALUE" of overrides[0..n) in order.
 * Unknown keys are logged as warnings (SL_WARN, module "config") and kept.
 * A bad value stops loading: SL_ERR_CONFIG with errbuf holding
 * "<origin>:<line>: <key>=<value>: <why>" (origin is the file name or
 * "--override"). SL_ERR_IO when the file cannot be read. On success the
 * caller frees with sl_broker_config_free. */
sl_err_t sl_broker_config_load(const char *path, const char *const *overrides, int n_overrides,
                               sl_broker_config_t *out, char *errbuf, size_t errlen);
void sl_broker_config_free(sl_broker_config_t *cfg);
/* Prints every supported server key with its default and one line of help
 * (for sluiced --help). */
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
    bool compact;                  /* cleanup.policy contains "compact" */
    bool delete;                   /* cleanup.policy contains "delete" */
} sl_topic_config_t;

/* Checks one topic config value. SL_OK; SL_ERR_INVALID_CONFIG with errbuf
 * saying why ("retention.ms: not a number: 'abc'"); SL_ERR_INVALID_CONFIG for
 * unknown names too ("Unknown topic config name: foo", as Kafka says). */
sl_err_t sl_topic_config_check(const char *name, const char *value, char *errbuf, size_t errlen);
/* Computes the effective settings from the server config and the topic's
 * overrides (may be NULL; values already checked). */
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
 * STATIC_BROKER when the server key was given, else DEFAULT. value strings
 * of numbers live in buffers of the visitor's stack frame: copy them. */
void sl_topic_config_describe(const sl_broker_config_t *srv, const sl_props_t *overrides,
                              void (*visit)(void *arg, const sl_config_entry_t *e), void *arg);
/* Visits every server key (read-only: static config) with its value and
 * source (STATIC_BROKER when given, else DEFAULT). */
void sl_broker_config_describe(const sl_broker_config_t *srv,
                               void (*visit)(void *arg, const sl_config_entry_t *e), void *arg);

/* ---- Persisted topic metadata ------------------------------------------
 * <first log.dir>/.sluice/topics/<topic>.properties, written atomically
 * (temp file, fsync, rename, fsync of the directory):
 *   topic.id=<32 hex digits>   partitions=<n>   config.<name>=<value>...
 */
typedef struct sl_topic_meta {
    char name[250];           /* legal Kafka topic name */
    uint8_t id[16];           /* topic id (uuid, random at creation) */
    int32_t partitions;
    sl_props_t *overrides;    /* topic config overrides; owned; may be empty */
} sl_topic_meta_t;

/* A legal topic name: 1..249 characters of [a-zA-Z0-9._-], not "." or "..".
 * SL_OK or SL_ERR_INVALID_TOPIC_EXCEPTION with errbuf saying why. */
sl_err_t sl_topic_name_check(const char *name, size_t len, char *errbuf, size_t errlen);

sl_err_t sl_topic_meta_save(const char *log_dir, const sl_topic_meta_t *meta);
sl_err_t sl_topic_meta_remove(const char *log_dir, const char *topic);
/* Loads every saved topic; calls fn for each (fn takes ownership of
 * meta->overrides). Files that do not parse are reported (SL_ERROR) and
 * skipped, never fatal. SL_OK or SL_ERR_IO (directory unreadable). */
sl_err_t sl_topic_meta_load_all(const char *log_dir, void (*fn)(void *arg, sl_topic_meta_t *meta), void *arg);

#ifdef __cplusplus
}
#endif
#endif /* SL_BROKER_CONFIG_H */
