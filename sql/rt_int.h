/*
 * rt_int.h - where queries run and topics live: the engine's runtime
 * (internal).
 *
 * The engine talks to one runtime through this table of operations, so
 * every statement works the same in both kinds of engine (sql.h):
 *   rt_cluster.c  brokers over the wire: admin calls, a producer, consumers
 *                 for PRINT, one streams application (sl_app_t) per query
 *   rt_local.c    in-memory topics and one streams test driver per query;
 *                 a record produced to a topic is piped into every running
 *                 query that reads it, and what those queries write is
 *                 produced in turn before produce() returns
 *
 * Thread rule: the engine calls a runtime under its own statement lock;
 * a cluster runtime's queries run on their stream threads.
 */
#ifndef SL_SQL_RT_INT_H
#define SL_SQL_RT_INT_H

#include "plan_int.h"
#include "streams.h"

typedef struct sl_sql_rt sl_sql_rt_t;
typedef struct sl_sql_rt_query sl_sql_rt_query_t;   /* one running topology */

typedef struct sl_sql_topic_info {
    const char *name;
    int32_t partitions;
    int16_t replicas;
} sl_sql_topic_info_t;

/* A record read back from a topic (PRINT, the command topic, local reads). */
typedef struct sl_sql_rt_record {
    const uint8_t *key;     /* NULL: a null key */
    size_t key_len;
    const uint8_t *value;   /* NULL: a tombstone */
    size_t value_len;
    int64_t timestamp;
    int32_t partition;
    int64_t offset;
} sl_sql_rt_record_t;

typedef bool sl_sql_rt_record_fn(const sl_sql_rt_record_t *rec, void *arg); /* false: stop */

typedef struct sl_sql_rt_ops {
    /* Topics. exists: SL_ERR_NOENT if not (else *info filled, name
     * borrowed). create: configs are "key=value" lines or NULL;
     * SL_ERR_EXISTS (Kafka's TOPIC_ALREADY_EXISTS mapped). */
    sl_err_t (*topic_info)(sl_sql_rt_t *rt, const char *topic, sl_sql_topic_info_t *info);
    sl_err_t (*topic_create)(sl_sql_rt_t *rt, const char *topic, int32_t partitions, int16_t replicas,
                             const char *configs);
    sl_err_t (*topic_delete)(sl_sql_rt_t *rt, const char *topic);
    /* Every topic in name order (internal ones too: the caller filters). */
    sl_err_t (*topic_list)(sl_sql_rt_t *rt, bool (*fn)(const sl_sql_topic_info_t *info, void *arg), void *arg);
    /* Produces one record and waits for it to be acknowledged (partition
     * -1: the default partitioner on the key bytes). */
    sl_err_t (*produce)(sl_sql_rt_t *rt, const char *topic, int32_t partition, const uint8_t *key, size_t key_len,
                        const uint8_t *value, size_t value_len, int64_t timestamp);
    /* Reads topic's records from the beginning (or, !from_beginning, only
     * those arriving during timeout_ms) calling fn for each until it
     * returns false, max records were given, or timeout_ms passes with
     * nothing new. */
    sl_err_t (*read)(sl_sql_rt_t *rt, const char *topic, bool from_beginning, int64_t max, int timeout_ms,
                     sl_sql_rt_record_fn *fn, void *arg);

    /* Queries. start: runs topo (borrowed: it must outlive the query) as
     * application app_id with props ("key=value" lines); the query's state
     * lives under the runtime's state directory. Errors: the app's or
     * driver's, with errbuf. */
    sl_err_t (*query_start)(sl_sql_rt_t *rt, const sl_topology_t *topo, const char *app_id, const char *props,
                            sl_sql_rt_query_t **out, char *errbuf, size_t errlen);
    /* Stops and frees q; cleanup: delete its local state (and, cluster,
     * its internal topics). */
    void (*query_stop)(sl_sql_rt_t *rt, sl_sql_rt_query_t *q, bool cleanup);
    /* "RUNNING", "REBALANCING", "ERROR", ... for SHOW QUERIES. */
    const char *(*query_state)(sl_sql_rt_t *rt, sl_sql_rt_query_t *q);
    /* Pull queries against a running query's store (streams.h's
     * sl_app_kv_* / sl_win_* semantics; values in arena). */
    sl_err_t (*kv_get)(sl_sql_rt_t *rt, sl_sql_rt_query_t *q, const char *store, const sl_val_t *key,
                       sl_arena_t *arena, sl_val_t *out);
    sl_err_t (*kv_all)(sl_sql_rt_t *rt, sl_sql_rt_query_t *q, const char *store, sl_kv_iter_fn *fn, void *arg);
    sl_err_t (*win_fetch_all)(sl_sql_rt_t *rt, sl_sql_rt_query_t *q, const char *store, int64_t from, int64_t to,
                              sl_win_iter_fn *fn, void *arg);

    /* Local runtimes only (NULL in cluster runtimes): the mock clock. */
    sl_err_t (*advance)(sl_sql_rt_t *rt, int64_t ms);

    void (*free)(sl_sql_rt_t *rt);

    /* Optional (NULL: not offered): reads one partition of topic from
     * offset on, as read does from the beginning (until caught up with the
     * end offset as of the call, max records, or timeout_ms with nothing
     * new). The command topic's tail. */
    sl_err_t (*read_from)(sl_sql_rt_t *rt, const char *topic, int32_t partition, int64_t offset, int64_t max,
                          int timeout_ms, sl_sql_rt_record_fn *fn, void *arg);
    /* Optional (NULL: use win_fetch_all and filter): one key's windows with
     * start in [from, to] (streams.h's sl_app_win_fetch). */
    sl_err_t (*win_fetch)(sl_sql_rt_t *rt, sl_sql_rt_query_t *q, const char *store, const sl_val_t *key,
                          int64_t from, int64_t to, sl_win_iter_fn *fn, void *arg);
    /* A session store's sessions: of key, or of every key (key NULL);
     * streams.h's sl_session_fetch / sl_app_session_fetch. */
    sl_err_t (*ses_fetch)(sl_sql_rt_t *rt, sl_sql_rt_query_t *q, const char *store, const sl_val_t *key,
                          sl_session_iter_fn *fn, void *arg);
} sl_sql_rt_ops_t;

struct sl_sql_rt {
    const sl_sql_rt_ops_t *ops;
};

/* props as sl_sql_engine_new's. Errors: SL_ERR_CONFIG, SL_ERR_TIMEOUT, a
 * broker's error (errbuf says which). */
sl_err_t sl_sql_rt_cluster_new(const char *props, sl_sql_rt_t **out, char *errbuf, size_t errlen);
sl_err_t sl_sql_rt_local_new(const char *props, int64_t start_ms, sl_sql_rt_t **out, char *errbuf, size_t errlen);

#endif
