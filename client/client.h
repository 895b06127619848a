/*
 * client.h - the manual of libsluice-client: Sluice's own Kafka client
 * (producer, consumer, admin). It speaks the Kafka protocol to any
 * Kafka-compatible broker (Sluice's, Apache Kafka, Redpanda), negotiating
 * the highest version both sides support. Stands on libsluice-net and
 * libsluice-proto; the broker never links it.
 *
 *   conf       Kafka-named settings (bootstrap.servers, acks, group.id, ...)
 *   producer   asynchronous send, per-partition batching, compression,
 *              idempotence (on by default), transactions, delivery reports
 *   consumer   subscribe (group membership, assignors) or assign, poll,
 *              commits, seek, pause/resume, isolation level
 *   admin      topics, partitions, configs, groups, offsets, records, cluster
 *
 * Threading model (as librdkafka's):
 *   - Every handle (producer, consumer, admin) owns one background I/O
 *     thread running an event loop. That thread owns the broker
 *     connections, the metadata cache, the producer's batches and sends, the
 *     consumer's fetches, heartbeats and group membership. No application
 *     code ever runs on it.
 *   - A handle's functions may be called from any application thread unless
 *     they say otherwise; calls on one handle are serialised inside the
 *     library. Freeing a handle while another thread uses it is undefined.
 *   - Callbacks (delivery reports, rebalances, commit results, errors) are
 *     queued by the I/O thread and run on the application thread, only
 *     inside sl_producer_poll(), sl_producer_flush(), sl_consumer_poll() or
 *     sl_consumer_close() (and a producer's free), and never while a library
 *     lock is held: a callback may call any function of its handle except
 *     the one free function.
 *
 * Memory: strings and buffers passed in are borrowed (copied when kept)
 * unless a call says "takes". Results of admin calls are allocated from a
 * caller-provided sl_arena_t (base.h) and live until the caller resets or
 * finalises that arena. Messages returned by sl_consumer_poll() are owned by
 * the caller and freed with sl_message_free().
 *
 * Errors: one sl_err_t (base.h). Kafka's wire codes come back unchanged
 * (e.g. SL_ERR_UNKNOWN_TOPIC_OR_PARTITION); Sluice's own are negative:
 *   SL_ERR_CONFIG     a bad setting (errbuf says which key, which value, why)
 *   SL_ERR_INVAL      a bad argument
 *   SL_ERR_TIMEOUT    the call's timeout passed first
 *   SL_ERR_STATE      not valid now (e.g. commit_transaction with none begun,
 *                     a consumer call after close, or a fatal error earlier)
 *   SL_ERR_AGAIN      buffer.memory is full (producer) - poll and retry
 *   SL_ERR_CLOSED     the handle is closing
 *   SL_ERR_NOMEM      out of memory
 * Retriable broker errors (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE,
 * NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, REQUEST_TIMED_OUT, network
 * errors...) are retried inside the library with retry.backoff.ms after a
 * metadata or coordinator refresh; they reach the application only when a
 * deadline (delivery.timeout.ms, the call's timeout) passes.
 */
#ifndef SL_CLIENT_H
#define SL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================
 * Configuration
 *
 * Keys and defaults are the Java client's (Kafka 3.4). Common:
 *   bootstrap.servers (localhost:9092), client.id (sluice),
 *   request.timeout.ms (30000), retry.backoff.ms (100),
 *   reconnect.backoff.ms (50), reconnect.backoff.max.ms (1000),
 *   socket.connection.setup.timeout.ms (10000), metadata.max.age.ms (300000),
 *   receive.message.max.bytes (104857600)
 * Producer: acks (all; 0, 1, all or -1), linger.ms (0), batch.size (16384),
 *   buffer.memory (33554432), max.block.ms (60000), compression.type (none;
 *   gzip, snappy, lz4, zstd), enable.idempotence (true),
 *   max.in.flight.requests.per.connection (5), retries (2147483647),
 *   delivery.timeout.ms (120000), max.request.size (1048576),
 *   partitioner.ignore.keys (false), transactional.id (none),
 *   transaction.timeout.ms (60000)
 * Consumer: group.id (none), group.instance.id (none), auto.offset.reset
 *   (latest; earliest, none), enable.auto.commit (true),
 *   auto.commit.interval.ms (5000), isolation.level (read_uncommitted;
 *   read_committed), session.timeout.ms (45000), heartbeat.interval.ms
 *   (3000), max.poll.interval.ms (300000), partition.assignment.strategy
 *   (range,cooperative-sticky; also roundrobin), fetch.min.bytes (1),
 *   fetch.max.wait.ms (500), fetch.max.bytes (52428800),
 *   max.partition.fetch.bytes (1048576), check.crcs (true)
 * ====================================================================== */

typedef struct sl_conf sl_conf_t;

/* A configuration holding the defaults. NULL when out of memory. Freed with
 * sl_conf_free(). Not thread-safe; handles copy it when created. */
sl_conf_t *sl_conf_new(void);
/* A copy of conf, or NULL when out of memory. */
sl_conf_t *sl_conf_dup(const sl_conf_t *conf);
void sl_conf_free(sl_conf_t *conf);
/* Sets key to value (both borrowed, copied). Values are checked here (type,
 * range, allowed words). SL_ERR_CONFIG for an unknown key or a bad value,
 * with errbuf (may be NULL) naming the key, the value and why. */
sl_err_t sl_conf_set(sl_conf_t *conf, const char *key, const char *value, char *errbuf,
                     size_t errlen);
/* The value of key as text (the default when unset), borrowed from conf
 * until the next sl_conf_set of that key; NULL for an unknown key or a key
 * with no value (e.g. transactional.id unset). */
const char *sl_conf_get(const sl_conf_t *conf, const char *key);

/* ======================================================================
 * Shared types
 * ====================================================================== */

#define SL_PARTITION_ANY (-1)        /* producer: let the partitioner choose */
#define SL_OFFSET_BEGINNING (-2)     /* consumer/admin: the log start offset */
#define SL_OFFSET_END (-1)           /* consumer/admin: the high watermark */
#define SL_OFFSET_STORED (-1000)     /* consumer: the committed offset, else auto.offset.reset */
#define SL_OFFSET_INVALID (-1001)    /* no offset (e.g. nothing committed) */

typedef struct sl_msg_header {
    const char *key;         /* NUL-terminated */
    const void *value;       /* NULL with value_len -1: a null value */
    int32_t value_len;
} sl_msg_header_t;

/* A topic partition with an offset; used for assignments, commits, seeks,
 * positions and results. Strings are borrowed in arguments; in results they
 * point into the result's memory. */
typedef struct sl_tp_offset {
    const char *topic;
    int32_t partition;
    int64_t offset;          /* meaning depends on the call; SL_OFFSET_* */
    int32_t leader_epoch;    /* -1: unknown */
    const char *metadata;    /* commit metadata; NULL: none */
    sl_err_t err;            /* per-partition result */
} sl_tp_offset_t;

/* A message: a delivery report (producer) or a consumed record (consumer).
 * Pointers are valid as long as the message (see the callers). */
typedef struct sl_message {
    const char *topic;
    int32_t partition;
    int64_t offset;          /* -1 when not known (failed delivery, acks=0) */
    int64_t timestamp;       /* ms since the epoch */
    int timestamp_type;      /* 0 CreateTime, 1 LogAppendTime */
    const void *key;         /* NULL with key_len -1: a null key */
    int32_t key_len;
    const void *value;       /* NULL with value_len -1: a null value */
    int32_t value_len;
    const sl_msg_header_t *headers;
    size_t header_count;
    int32_t leader_epoch;    /* -1: unknown */
    sl_err_t err;            /* delivery result; for the consumer, a non-zero err
                              * makes this an error event (topic/partition say
                              * where, when known) */
    void *opaque;            /* producer: the record's opaque */
} sl_message_t;

/* ======================================================================
 * Producer
 * ====================================================================== */

typedef struct sl_producer sl_producer_t;

/* Called once per record sent, on the application thread (see the top),
 * with the outcome: msg->err 0 and msg->offset set, or the error that ended
 * it (after retries, or delivery.timeout.ms). msg and everything it points
 * to are valid during the call only. */
typedef void sl_delivery_fn(sl_producer_t *p, const sl_message_t *msg, void *arg);

/* Creates a producer from conf (borrowed, copied) and starts its I/O thread.
 * dr may be NULL (no reports). No connection is made until the first send
 * (metadata) or init_transactions. SL_ERR_CONFIG (errbuf says why; e.g.
 * enable.idempotence=true with acks other than all), SL_ERR_NOMEM. */
sl_err_t sl_producer_new(const sl_conf_t *conf, sl_delivery_fn *dr, void *dr_arg,
                         sl_producer_t **out, char *errbuf, size_t errlen);

/* One record to send. Everything is borrowed and copied by the send. */
typedef struct sl_produce_rec {
    const char *topic;
    int32_t partition;       /* SL_PARTITION_ANY: murmur2 of the key like the
                              * Java client, sticky for null keys */
    const void *key;         /* NULL: null key */
    int32_t key_len;
    const void *value;       /* NULL: null value (a tombstone) */
    int32_t value_len;
    const sl_msg_header_t *headers;
    size_t header_count;
    int64_t timestamp;       /* ms; 0: now */
    void *opaque;            /* handed back in the delivery report */
} sl_produce_rec_t;

/* Queues rec for sending and returns; the outcome comes to the delivery
 * callback. When buffer.memory is used up, waits up to max.block.ms for room
 * (served by the I/O thread, not by callbacks), then SL_ERR_AGAIN.
 * Errors (nothing queued, no report): SL_ERR_INVAL (no topic, negative
 * lengths), SL_ERR_MESSAGE_TOO_LARGE (over max.request.size), SL_ERR_AGAIN,
 * SL_ERR_STATE (a transactional producer outside a transaction, or after a
 * fatal error such as PRODUCER_FENCED), SL_ERR_CLOSED. A topic that does not
 * exist or a partition out of range is reported through the callback once
 * metadata says so (UNKNOWN_TOPIC_OR_PARTITION after max.block.ms). */
sl_err_t sl_producer_send(sl_producer_t *p, const sl_produce_rec_t *rec);

/* Runs queued delivery callbacks on this thread, waiting up to timeout_ms
 * (0: do not wait; -1: until one arrives) for the first. Returns how many ran. */
int sl_producer_poll(sl_producer_t *p, int timeout_ms);

/* Sends everything queued now (ignoring linger.ms) and waits until every
 * record sent before the call has had its delivery callback, running the
 * callbacks meanwhile. SL_ERR_TIMEOUT when timeout_ms (-1: no limit) passed
 * first. */
sl_err_t sl_producer_flush(sl_producer_t *p, int timeout_ms);

/* How many records are queued or in flight (not yet reported). */
size_t sl_producer_outq_len(sl_producer_t *p);

/* The fatal error that stopped this producer (PRODUCER_FENCED,
 * INVALID_PRODUCER_EPOCH, TRANSACTIONAL_ID_AUTHORIZATION_FAILED, an
 * idempotence sequence that cannot be recovered), or 0. */
sl_err_t sl_producer_fatal_error(sl_producer_t *p);

/* Stops the I/O thread and frees the producer. Records not yet delivered
 * (call flush first to avoid that) get their delivery callback with
 * SL_ERR_CLOSED from inside this call. Accepts NULL. */
void sl_producer_free(sl_producer_t *p);

/* ---- Transactions (transactional.id set) -------------------------------
 * The Java client's calls and rules. Each call blocks up to timeout_ms
 * (-1: transaction.timeout.ms). Errors: SL_ERR_STATE (wrong order),
 * SL_ERR_TIMEOUT (the call may be retried), SL_ERR_PRODUCER_FENCED and
 * other fatal errors (the producer must be freed), abortable errors (the
 * transaction must be aborted; the code says why). */
sl_err_t sl_producer_init_transactions(sl_producer_t *p, int timeout_ms);
sl_err_t sl_producer_begin_transaction(sl_producer_t *p);

/* The consumer's group state to pass along with offsets, from
 * sl_consumer_group_metadata(). Strings point into the consumer's memory
 * and are valid until its next poll. */
typedef struct sl_group_meta {
    const char *group_id;
    int32_t generation_id;   /* -1 if unknown */
    const char *member_id;   /* "" if unknown */
    const char *group_instance_id; /* NULL: none */
} sl_group_meta_t;

/* Adds the consumer offsets (offset = next record to read) to the current
 * transaction (AddOffsetsToTxn, then TxnOffsetCommit to the group's
 * coordinator). offsets and meta are borrowed. */
sl_err_t sl_producer_send_offsets_to_transaction(sl_producer_t *p, const sl_tp_offset_t *offsets,
                                                 size_t n, const sl_group_meta_t *meta,
                                                 int timeout_ms);
/* Flushes, then commits (EndTxn). */
sl_err_t sl_producer_commit_transaction(sl_producer_t *p, int timeout_ms);
/* Drops what is queued (reported with SL_ERR_STATE), waits for what is in
 * flight, then aborts (EndTxn). */
sl_err_t sl_producer_abort_transaction(sl_producer_t *p, int timeout_ms);

/* ======================================================================
 * Consumer
 * ====================================================================== */

typedef struct sl_consumer sl_consumer_t;

typedef enum sl_rebalance_kind {
    SL_REBALANCE_ASSIGNED = 1, /* parts were added to the assignment */
    SL_REBALANCE_REVOKED = 2,  /* parts are taken away: commit what you need now */
    SL_REBALANCE_LOST = 3,     /* parts were lost (session expired): do not commit */
} sl_rebalance_kind_t;

/* Rebalance callback, on the application thread inside sl_consumer_poll():
 * parts[0..n) borrowed for the call. With an eager assignor (range,
 * roundrobin) every rebalance revokes everything then assigns the new set;
 * with cooperative-sticky only what moves is revoked and assigned. The
 * library applies the change itself when the callback returns; the callback
 * may commit, seek (after ASSIGNED) or read positions. */
typedef void sl_rebalance_fn(sl_consumer_t *c, sl_rebalance_kind_t kind, const sl_tp_offset_t *parts,
                             size_t n, void *arg);

/* Creates a consumer from conf (borrowed, copied) and starts its I/O thread.
 * rebalance may be NULL. subscribe needs group.id; assign works without it
 * (commits then need one). SL_ERR_CONFIG, SL_ERR_NOMEM. */
sl_err_t sl_consumer_new(const sl_conf_t *conf, sl_rebalance_fn *rebalance, void *rebalance_arg,
                         sl_consumer_t **out, char *errbuf, size_t errlen);

/* Joins the group for these topics (borrowed, copied), replacing an earlier
 * subscription; topics that do not exist yet are picked up when they
 * appear (metadata refresh). SL_ERR_INVAL (no group.id, n 0), SL_ERR_STATE
 * (assign() in use). */
sl_err_t sl_consumer_subscribe(sl_consumer_t *c, const char *const *topics, size_t n);
/* Leaves the group (revoking the assignment through the callback at the next
 * poll). */
sl_err_t sl_consumer_unsubscribe(sl_consumer_t *c);

/* Manual assignment, replacing the current one (parts borrowed). Each
 * part's offset: an offset, SL_OFFSET_BEGINNING, SL_OFFSET_END or
 * SL_OFFSET_STORED. n 0 clears it. SL_ERR_STATE (subscribed). */
sl_err_t sl_consumer_assign(sl_consumer_t *c, const sl_tp_offset_t *parts, size_t n);

/* The current assignment, allocated from arena (borrowed): *out has *n
 * entries, offset = the current position or SL_OFFSET_INVALID. */
sl_err_t sl_consumer_assignment(sl_consumer_t *c, sl_arena_t *arena, sl_tp_offset_t **out, size_t *n);

/* The next record or event, waiting up to timeout_ms (0: no wait, -1: no
 * limit). Runs due rebalance and commit callbacks first. Returns SL_OK with
 * *out set (free it with sl_message_free; check (*out)->err: an error event
 * such as OFFSET_OUT_OF_RANGE with auto.offset.reset=none or
 * UNKNOWN_TOPIC_OR_PARTITION), SL_ERR_TIMEOUT with *out NULL when nothing
 * came, SL_ERR_STATE after close. Control records and, with
 * isolation.level=read_committed, aborted records are never returned.
 * Calling poll is what keeps a member alive: after max.poll.interval.ms
 * without a poll the member leaves the group. */
sl_err_t sl_consumer_poll(sl_consumer_t *c, int timeout_ms, sl_message_t **out);
/* Frees a message from sl_consumer_poll. Accepts NULL. */
void sl_message_free(sl_message_t *msg);

/* Commits offsets (offset = next record to read; borrowed), or with offsets
 * NULL the current position of every assigned partition. Synchronous unless
 * async: then the result comes to commit_cb (see below) from a poll.
 * Errors: SL_ERR_STATE (no group.id), REBALANCE_IN_PROGRESS,
 * ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID (the member lost its partitions),
 * SL_ERR_TIMEOUT, per-partition errors in the first failing part's code. */
sl_err_t sl_consumer_commit(sl_consumer_t *c, const sl_tp_offset_t *offsets, size_t n, bool async);

typedef void sl_commit_fn(sl_consumer_t *c, sl_err_t err, const sl_tp_offset_t *offsets, size_t n,
                          void *arg);
/* Result callback for async and auto commits (NULL: none). */
void sl_consumer_set_commit_cb(sl_consumer_t *c, sl_commit_fn *fn, void *arg);

/* The committed offsets of parts[0..n) (offset filled in place,
 * SL_OFFSET_INVALID when none; err per part). */
sl_err_t sl_consumer_committed(sl_consumer_t *c, sl_tp_offset_t *parts, size_t n, int timeout_ms);

/* Moves an assigned partition's position (offset or SL_OFFSET_BEGINNING /
 * SL_OFFSET_END); the next poll reads from there. SL_ERR_STATE if the
 * partition is not assigned. */
sl_err_t sl_consumer_seek(sl_consumer_t *c, const char *topic, int32_t partition, int64_t offset);

/* Stops / restarts fetching parts (borrowed; offsets ignored). Paused
 * partitions stay assigned and keep their position. */
sl_err_t sl_consumer_pause(sl_consumer_t *c, const sl_tp_offset_t *parts, size_t n);
sl_err_t sl_consumer_resume(sl_consumer_t *c, const sl_tp_offset_t *parts, size_t n);

/* The group state for sl_producer_send_offsets_to_transaction. */
sl_err_t sl_consumer_group_metadata(sl_consumer_t *c, sl_group_meta_t *out);

/* Commits (when enable.auto.commit), runs the final revoke callback, leaves
 * the group (LeaveGroup; a static member does not leave) and stops
 * fetching. Afterwards only sl_consumer_free is valid. Bounded: the commit
 * and the LeaveGroup answer are waited for request.timeout.ms (default 30 s,
 * the Java consumer's close() default) together, not counting the time the
 * application's own callbacks take; what is unanswered by then is given up
 * (the group notices the member gone after session.timeout.ms). Returns
 * SL_OK, SL_ERR_TIMEOUT or the commit's error (the consumer is closed all
 * the same), SL_ERR_STATE when closed already. */
sl_err_t sl_consumer_close(sl_consumer_t *c);
/* Closes if not closed, stops the I/O thread, frees. Accepts NULL. */
void sl_consumer_free(sl_consumer_t *c);

/* ---- An application's own assignor ---------------------------------------
 * Kafka's ConsumerPartitionAssignor: an application that needs its own
 * data in JoinGroup and its own assignment logic (libsluice-streams' task
 * assignor) installs an assignor with sl_consumer_set_assignor() before
 * subscribe. The group then lists only it (partition.assignment.strategy
 * is ignored), with the eager protocol: every rebalance revokes the whole
 * assignment (REVOKED callback) before the member rejoins. Every member of
 * the group must install an assignor of the same name. */

typedef struct sl_assignor_tp {
    const char *topic;
    int32_t partition;
} sl_assignor_tp_t;

/* A group member as the leader's assign() sees it. Everything points into
 * the library's memory, valid during the call. */
typedef struct sl_assignor_member {
    const char *member_id;
    const char *group_instance_id;  /* NULL: dynamic member */
    const char *const *topics;      /* its subscription */
    size_t topic_count;
    const uint8_t *user_data;       /* what its user_data() wrote; NULL with
                                     * user_data_len -1 when it sent none.
                                     * Untrusted bytes from another process:
                                     * check them */
    int32_t user_data_len;
} sl_assignor_member_t;

/* A subscribed topic's partition count in the leader's metadata (0: not
 * known, e.g. the topic does not exist). */
typedef struct sl_assignor_topic {
    const char *name;
    int32_t partitions;
} sl_assignor_topic_t;

/* What assign() writes for one member: its partitions and user data,
 * allocated from the arena assign() is given (or static). The library
 * starts each out[i] empty with user_data_len -1 (null). */
typedef struct sl_assignor_result {
    sl_assignor_tp_t *parts;
    size_t count;
    const uint8_t *user_data;       /* NULL with user_data_len -1: null */
    int32_t user_data_len;
} sl_assignor_result_t;

typedef struct sl_assignor_def {
    const char *name;   /* the protocol name in JoinGroup (copied; 1-255 bytes) */
    /* The user data of this member's subscription, appended to out; called
     * on the consumer's I/O thread before every JoinGroup, so it must be
     * quick, must not block and must not call this consumer's functions;
     * what it reads that the application thread changes needs a lock.
     * owned[0..n): what the member held before it revoked (borrowed),
     * generation: the generation it was in (-1: none). NULL: no user data. */
    sl_err_t (*user_data)(sl_buf_t *out, const sl_assignor_tp_t *owned, size_t n, int32_t generation,
                          void *arg);
    /* The leader's assignment, on the I/O thread (same rules as user_data):
     * fills out[i] for members[i] from topics[0..topic_count). Only
     * partitions that exist, of topics member i subscribes to, each to at
     * most one member: an assignment breaking that is refused (logged, the
     * member retries the join), as is a non-zero return. Required. */
    sl_err_t (*assign)(const sl_assignor_member_t *members, size_t member_count, const sl_assignor_topic_t *topics,
                       size_t topic_count, sl_arena_t *arena, sl_assignor_result_t *out, void *arg);
    /* This member's new assignment and the user data the leader gave it
     * (both borrowed for the call; user_data NULL with len -1: null). Runs
     * on the application thread inside sl_consumer_poll(), once per
     * generation (also when the assignment is empty), before the ASSIGNED
     * rebalance callback of the same assignment. NULL: not called. */
    void (*on_assignment)(sl_consumer_t *c, const sl_assignor_tp_t *parts, size_t n, const uint8_t *user_data,
                          int32_t user_data_len, int32_t generation, void *arg);
    void *arg;          /* given to the three; borrowed for the consumer's life */
    /* The group's protocol type in JoinGroup and SyncGroup (copied; 1-255
     * bytes): NULL or "consumer" for a consumer group, another name (the
     * Connect workers' "connect") for a group of something else that uses
     * the consumer protocol's membership. Every member of a group must give
     * the same one (the coordinator refuses others with
     * INCONSISTENT_GROUP_PROTOCOL); DescribeGroups and ListGroups report it. */
    const char *protocol_type;
} sl_assignor_def_t;

/* Installs def (copied; def->arg borrowed until sl_consumer_free) as this
 * consumer's only assignor. Call from the application thread before
 * sl_consumer_subscribe. SL_ERR_INVAL (no group.id, no name or assign, a
 * name or protocol_type empty or over 255 bytes),
 * SL_ERR_STATE (subscribed or assigned already, or closed), SL_ERR_NOMEM. */
sl_err_t sl_consumer_set_assignor(sl_consumer_t *c, const sl_assignor_def_t *def);

/* ======================================================================
 * Admin
 *
 * Every call is synchronous: it waits up to timeout_ms (-1:
 * request.timeout.ms) and returns SL_OK when the request was answered;
 * per-item outcomes are in the items' err fields (with a message when the
 * broker gave one). Results are allocated from the caller's arena.
 * ====================================================================== */

typedef struct sl_admin sl_admin_t;

/* Creates an admin handle from conf (borrowed, copied) and starts its I/O
 * thread; nothing is connected until the first call. SL_ERR_CONFIG (errbuf
 * says why), SL_ERR_NOMEM. */
sl_err_t sl_admin_new(const sl_conf_t *conf, sl_admin_t **out, char *errbuf, size_t errlen);
/* Stops the I/O thread and frees the handle. Accepts NULL. */
void sl_admin_free(sl_admin_t *a);
/* Why the last call on a failed, as a sentence naming the request and,
 * for connection trouble, the address and the reason ("no answer within
 * 2000 ms; last attempt: Metadata: TIMEOUT (connect to 127.0.0.1:9092:
 * Connection refused)"); "" after a call that succeeded. Copied into buf. */
void sl_admin_last_error(sl_admin_t *a, char *buf, size_t len);

typedef struct sl_config_entry {
    const char *name;
    const char *value;       /* NULL: null value / delete (alter) */
    int source;              /* DescribeConfigs ConfigSource: 1 topic, 4 static broker, 5 default... */
    bool read_only;
    bool is_default;
    bool sensitive;
} sl_config_entry_t;

typedef struct sl_broker_desc {
    int32_t id;
    const char *host;
    int32_t port;
    const char *rack;        /* NULL: none */
} sl_broker_desc_t;

typedef struct sl_cluster_desc {
    const char *cluster_id;
    int32_t controller_id;
    sl_broker_desc_t *brokers;
    size_t broker_count;
} sl_cluster_desc_t;

typedef struct sl_partition_desc {
    int32_t id;
    int32_t leader;
    int32_t leader_epoch;
    int32_t *replicas; size_t replica_count;
    int32_t *isr; size_t isr_count;
    sl_err_t err;
} sl_partition_desc_t;

typedef struct sl_topic_desc {
    const char *name;
    bool internal;
    sl_partition_desc_t *partitions;
    size_t partition_count;
    sl_err_t err;
    const char *message;     /* broker's error message or NULL */
} sl_topic_desc_t;

typedef struct sl_new_topic {
    const char *name;
    int32_t partitions;          /* -1: broker default */
    int16_t replication_factor;  /* -1: broker default */
    const sl_config_entry_t *configs; /* name/value pairs */
    size_t config_count;
    /* results */
    sl_err_t err;
    const char *message;
} sl_new_topic_t;

/* Brokers, controller and cluster id (Metadata). */
sl_err_t sl_admin_describe_cluster(sl_admin_t *a, sl_arena_t *arena, sl_cluster_desc_t *out, int timeout_ms);
/* Topic names (internal ones only when with_internal), sorted. */
sl_err_t sl_admin_list_topics(sl_admin_t *a, bool with_internal, sl_arena_t *arena, const char ***names,
                              size_t *n, int timeout_ms);
/* Partitions of names[0..n) (NULL, 0: every topic). */
sl_err_t sl_admin_describe_topics(sl_admin_t *a, const char *const *names, size_t n, sl_arena_t *arena,
                                  sl_topic_desc_t **out, size_t *nout, int timeout_ms);
/* CreateTopics; topics[i].err/message filled in. validate_only: dry run. */
sl_err_t sl_admin_create_topics(sl_admin_t *a, sl_new_topic_t *topics, size_t n, bool validate_only,
                                sl_arena_t *arena, int timeout_ms);
/* DeleteTopics; errs[i] per name. */
sl_err_t sl_admin_delete_topics(sl_admin_t *a, const char *const *names, size_t n, sl_err_t *errs,
                                int timeout_ms);
/* CreatePartitions: grow topic to total partitions. */
sl_err_t sl_admin_create_partitions(sl_admin_t *a, const char *topic, int32_t total, sl_err_t *err,
                                    sl_arena_t *arena, const char **message, int timeout_ms);

typedef enum sl_resource_type {
    SL_RESOURCE_TOPIC = 2,
    SL_RESOURCE_BROKER = 4,
} sl_resource_type_t;

/* DescribeConfigs of one resource (a topic name, or a broker id as text). */
sl_err_t sl_admin_describe_configs(sl_admin_t *a, sl_resource_type_t type, const char *name,
                                   sl_arena_t *arena, sl_config_entry_t **out, size_t *n,
                                   int timeout_ms);
/* IncrementalAlterConfigs: set entries with a value, delete (revert to
 * default) entries whose value is NULL. err is the resource's outcome. */
sl_err_t sl_admin_alter_configs(sl_admin_t *a, sl_resource_type_t type, const char *name,
                                const sl_config_entry_t *entries, size_t n, sl_err_t *err,
                                sl_arena_t *arena, const char **message, int timeout_ms);

/* ListOffsets: parts[i].offset in: SL_OFFSET_BEGINNING, SL_OFFSET_END or a
 * timestamp (ms; the first offset at or after it); out: the offset (-1 when
 * no record is that late), err per part. read_committed: the LSO for END. */
sl_err_t sl_admin_list_offsets(sl_admin_t *a, sl_tp_offset_t *parts, size_t n, bool read_committed,
                               int timeout_ms);
/* DeleteRecords: delete everything before parts[i].offset (SL_OFFSET_END:
 * everything); out: the new low watermark in offset, err per part. */
sl_err_t sl_admin_delete_records(sl_admin_t *a, sl_tp_offset_t *parts, size_t n, int timeout_ms);

typedef struct sl_group_listing {
    const char *group_id;
    const char *protocol_type;  /* "consumer", or "" */
    const char *state;          /* Stable, Empty, ... ("" if the broker did not say) */
} sl_group_listing_t;

typedef struct sl_member_desc {
    const char *member_id;
    const char *group_instance_id; /* NULL: none */
    const char *client_id;
    const char *host;
    sl_tp_offset_t *assignment;    /* decoded consumer-protocol assignment */
    size_t assignment_count;
} sl_member_desc_t;

typedef struct sl_group_desc {
    const char *group_id;
    const char *state;
    const char *protocol_type;
    const char *protocol;       /* assignor */
    int32_t coordinator;
    sl_member_desc_t *members;
    size_t member_count;
    sl_err_t err;
} sl_group_desc_t;

/* ListGroups on every broker. */
sl_err_t sl_admin_list_groups(sl_admin_t *a, sl_arena_t *arena, sl_group_listing_t **out, size_t *n,
                              int timeout_ms);
/* DescribeGroups through each group's coordinator. */
sl_err_t sl_admin_describe_groups(sl_admin_t *a, const char *const *ids, size_t n, sl_arena_t *arena,
                                  sl_group_desc_t **out, int timeout_ms);
/* DeleteGroups; errs[i] per id (NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND...). */
sl_err_t sl_admin_delete_groups(sl_admin_t *a, const char *const *ids, size_t n, sl_err_t *errs,
                                int timeout_ms);
/* OffsetFetch of every committed offset of group (parts NULL) into *out. */
sl_err_t sl_admin_list_group_offsets(sl_admin_t *a, const char *group, sl_arena_t *arena,
                                     sl_tp_offset_t **out, size_t *n, int timeout_ms);
/* OffsetCommit as an admin (generation -1, no member): sets the group's
 * committed offsets; the group must have no live members
 * (UNKNOWN_MEMBER_ID otherwise, as Kafka). err per part. */
sl_err_t sl_admin_alter_group_offsets(sl_admin_t *a, const char *group, sl_tp_offset_t *parts, size_t n,
                                      int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* SL_CLIENT_H */
