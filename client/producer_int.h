/*
 * producer_int.h - the producer's internal pieces, shared by its files:
 *
 *   partitioner.c   which partition a record goes to (murmur2 of the key as
 *                   the Java client, sticky partitions for null keys, KIP-480)
 *   prod_accum.c    the accumulator: per-partition queues of record batches
 *                   built with proto/records.h, linger and batch.size,
 *                   buffer.memory accounting with backpressure, and the
 *                   choice of ready batches per leader. No I/O.
 *   prod_sender.c   the I/O thread: InitProducerId, Produce requests,
 *                   responses, retries, sequence numbers, delivery reports
 *   producer.c      the public calls of client.h on top of both
 *
 * Locking: the accumulator's mutex (accum.mu) guards every queue, every
 * partition's counters and the memory figures; application threads append
 * under it, the I/O thread takes batches out under it. A batch taken out of
 * its queue (in flight) belongs to the I/O thread alone until it is queued
 * again or completed. Functions marked "locked" expect accum.mu held.
 */
#ifndef SL_CLIENT_PRODUCER_INT_H
#define SL_CLIENT_PRODUCER_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "base.h"
#include "records.h"

/* ---- partitioner (partitioner.c) --------------------------------------- */

/* The partition choice for one producer. Not thread-safe (the producer
 * calls it under accum.mu). */
typedef struct sl_partitioner {
    sl_map_t sticky;         /* topic -> sticky partition + 1 (as a pointer) */
    uint64_t rng;            /* xorshift state */
    bool ignore_keys;        /* partitioner.ignore.keys */
} sl_partitioner_t;

/* seed 0 picks one from the clock. */
void sl_partitioner_init(sl_partitioner_t *pt, bool ignore_keys, uint64_t seed);
void sl_partitioner_fini(sl_partitioner_t *pt);

/* The partition for a record of topic (borrowed) with key[0..key_len)
 * (key NULL or key_len < 0: a null key) among count partitions (> 0).
 * available[i] says whether partition i has a leader (NULL: all have).
 * Keyed (and ignore_keys off): toPositive(murmur2(key)) % count, whether or
 * not that partition is available, as the Java client. Otherwise the
 * topic's sticky partition, chosen at random among the available ones when
 * there is none yet. -1 only when out of memory. */
int32_t sl_partitioner_partition(sl_partitioner_t *pt, const char *topic, const void *key,
                                 int32_t key_len, int32_t count, const bool *available);

/* KIP-480: a null-key record found the sticky partition prev without an
 * open batch (the last one was full or sent). When prev is still the
 * topic's sticky partition, a new one is chosen at random among the
 * available partitions, another than prev when there are two or more.
 * Returns the topic's sticky partition after the change. */
int32_t sl_partitioner_new_batch(sl_partitioner_t *pt, const char *topic, int32_t prev, int32_t count,
                                 const bool *available);

/* ---- accumulator (prod_accum.c) ---------------------------------------- */

typedef struct sl_prod_topic sl_prod_topic_t;
typedef struct sl_prod_part sl_prod_part_t;
typedef struct sl_prod_batch sl_prod_batch_t;

/* One record batch: while queued and open, records are added to it by the
 * builder; closed (finished) it is the bytes sent in a Produce request. */
struct sl_prod_batch {
    sl_list_t link;          /* in part->queue while queued */
    sl_prod_part_t *part;
    sl_buf_t buf;            /* the batch bytes */
    sl_batch_builder_t bld;
    bool building;           /* bld begun and not finished */
    bool full;               /* no more records go in */
    int32_t count;
    void **opaques;          /* [count], the records' opaques */
    int32_t opaques_cap;
    size_t mem;              /* bytes charged to buffer.memory */
    int64_t created_ms;      /* first record: linger.ms and delivery.timeout.ms */
    int64_t retry_at_ms;     /* not before this (retry.backoff.ms); 0: now */
    int32_t attempts;        /* Produce requests sent with it */
    /* idempotence: the producer state it was sent with (seq -1: not yet) */
    int64_t pid;
    int16_t epoch;
    int32_t base_seq;
    uint32_t disrupt;        /* part->disrupt when it was last sent */
    int32_t node;            /* where it was last sent */
    /* outcome */
    sl_err_t err;
    int64_t base_offset;     /* -1: unknown */
    int64_t log_append_ms;   /* -1: CreateTime */
};

/* One partition's producing state. */
struct sl_prod_part {
    sl_prod_topic_t *topic;
    int32_t id;
    sl_list_t queue;         /* batches to send, oldest (lowest sequence) first */
    int32_t inflight;        /* batches in unanswered requests */
    int32_t next_seq;        /* idempotence: the next batch's base sequence */
    uint32_t disrupt;        /* bumped when a batch of it is retried or fails */
    bool hold;               /* a retry waits: send nothing until inflight is 0 */
    bool in_txn;             /* added to the current transaction */
};

struct sl_prod_topic {
    char *name;
    int32_t count;           /* partitions; -1 until metadata says */
    sl_err_t err;            /* metadata's error for it (while count is -1) */
    bool *available;         /* [count]: has a leader */
    sl_prod_part_t **parts;  /* [count], created on first use */
    int32_t parts_cap;
};

typedef struct sl_prod_accum_conf {
    int32_t batch_size;
    int32_t linger_ms;
    int64_t buffer_memory;
    int32_t max_request_size;
    int32_t max_inflight;    /* per partition */
    sl_compression_t compression;
    bool transactional;      /* batches carry the transactional bit */
} sl_prod_accum_conf_t;

typedef struct sl_prod_accum {
    pthread_mutex_t mu;
    pthread_cond_t cond;     /* memory released, metadata arrived */
    sl_prod_accum_conf_t conf;
    sl_map_t topics;         /* name -> sl_prod_topic_t * */
    int64_t mem_used;
    int32_t mem_waiters;     /* senders blocked on memory: every batch is ready */
    int32_t flushing;        /* flushes in progress: every batch is ready */
    bool closing;            /* everything is ready, appends refused */
} sl_prod_accum_t;

/* A record as the accumulator takes it (everything borrowed, copied). */
typedef struct sl_prod_rec {
    int64_t timestamp;
    const void *key;
    int32_t key_len;         /* -1: null */
    const void *value;
    int32_t value_len;       /* -1: null */
    const sl_header_t *headers;
    size_t header_count;
    void *opaque;
} sl_prod_rec_t;

/* The outcome of sl_prod_accum_append. */
typedef enum sl_prod_append_res {
    SL_PROD_APPENDED = 0,    /* added to the open batch */
    SL_PROD_NEW_BATCH = 1,   /* added to a batch it started */
    SL_PROD_NEEDS_BATCH = 2, /* nothing added: a new batch was needed and
                              * the caller asked to be told first */
} sl_prod_append_res_t;

/* SL_OK, SL_ERR_NOMEM. mu and cond use CLOCK_MONOTONIC. */
sl_err_t sl_prod_accum_init(sl_prod_accum_t *a, const sl_prod_accum_conf_t *conf);
/* Frees every topic, partition and queued batch (not batches in flight). */
void sl_prod_accum_fini(sl_prod_accum_t *a);
static inline void sl_prod_accum_lock(sl_prod_accum_t *a) { pthread_mutex_lock(&a->mu); }
static inline void sl_prod_accum_unlock(sl_prod_accum_t *a) { pthread_mutex_unlock(&a->mu); }

/* locked. The topic named name (borrowed), created (count -1) when create
 * is set; NULL when absent or out of memory. */
sl_prod_topic_t *sl_prod_accum_topic(sl_prod_accum_t *a, const char *name, bool create);
/* locked. Metadata for t: count partitions (-1 with err: not known),
 * available[i] per partition (borrowed; NULL: all). A smaller count than
 * before is ignored (Kafka topics never shrink). Wakes waiters.
 * SL_OK, SL_ERR_NOMEM. */
sl_err_t sl_prod_accum_set_partitions(sl_prod_accum_t *a, sl_prod_topic_t *t, int32_t count,
                                      const bool *available, sl_err_t err);
/* locked. Partition id of t (0 <= id < t->count), created on first use.
 * NULL when out of memory. */
sl_prod_part_t *sl_prod_accum_part(sl_prod_accum_t *a, sl_prod_topic_t *t, int32_t id);

/* The bytes a record is charged (an upper bound of its encoded size). */
size_t sl_prod_rec_size(const sl_prod_rec_t *r);

/* locked. Adds r to part's open batch, starting one when there is none or
 * it is full (then, with ask_first, nothing is added and *res is
 * SL_PROD_NEEDS_BATCH). Waits (releasing mu) while buffer.memory is used
 * up, until deadline_ms on sl_time_mono_ms (<= now: no wait). Returns
 * SL_OK with *res set, SL_ERR_AGAIN (no room by the deadline),
 * SL_ERR_MESSAGE_TOO_LARGE (the record alone is beyond buffer.memory),
 * SL_ERR_CLOSED (closing), SL_ERR_NOMEM, or a builder error
 * (SL_ERR_INVAL...). */
sl_err_t sl_prod_accum_append(sl_prod_accum_t *a, sl_prod_part_t *part, const sl_prod_rec_t *r,
                              bool ask_first, int64_t now_ms, int64_t deadline_ms,
                              sl_prod_append_res_t *res);

/* locked. Gives back the memory of a completed batch and wakes waiters. */
void sl_prod_accum_release(sl_prod_accum_t *a, sl_prod_batch_t *b);

/* locked. Whether part's first batch may be sent at now_ms: full, or
 * linger.ms passed, or a flush, memory waiters or closing make everything
 * ready; and its retry backoff passed. When not, *next_ms (if not NULL) is
 * lowered to when it will be. */
bool sl_prod_accum_head_ready(const sl_prod_accum_t *a, const sl_prod_part_t *part, int64_t now_ms,
                              int64_t *next_ms);

/* What sl_prod_accum_drain asks the sender about a partition. */
typedef struct sl_prod_drain_ops {
    /* The leader's node id, or -1 when unknown (nothing is taken). */
    int32_t (*leader)(sl_prod_part_t *part, void *arg);
    /* Whether more may be sent to node now (e.g. connection ready). */
    bool (*node_ok)(int32_t node, void *arg);
    void *arg;
} sl_prod_drain_ops_t;

/* One taken batch and where it goes. */
typedef struct sl_prod_take {
    int32_t node;
    sl_prod_batch_t *batch;
} sl_prod_take_t;

/* locked. Takes ready batches out of their queues into out[0..*n) (cap
 * entries) for one request per node: at most one batch per partition, and
 * only while the partition has fewer than max_inflight in flight (one while
 * part->hold), per node at most max.request.size bytes (a first batch
 * always goes). Call it again for the next requests. Taken batches
 * count in part->inflight and are still open (sl_prod_batch_close them
 * outside the lock). *next_ms (may be NULL) is lowered to the next time
 * something queued becomes ready (INT64_MAX: nothing). Returns *n. */
size_t sl_prod_accum_drain(sl_prod_accum_t *a, int64_t now_ms, const sl_prod_drain_ops_t *ops,
                           sl_prod_take_t *out, size_t cap, int64_t *next_ms);

/* locked. Puts a batch taken by drain back into its queue (a retry), in
 * sequence order before batches never sent, and holds the partition.
 * Decrements part->inflight. */
void sl_prod_accum_requeue(sl_prod_accum_t *a, sl_prod_batch_t *b);

/* locked. Calls fn on every queued batch (for expiry and shutdown); fn may
 * unlink the batch (sl_list_remove(&b->link)) and keep it. */
void sl_prod_accum_foreach(sl_prod_accum_t *a, void (*fn)(sl_prod_batch_t *b, void *arg), void *arg);
/* locked. The topic after *it in a's map (*it 0 for the first), or NULL
 * after the last; no topic may be added between the calls of one walk. */
sl_prod_topic_t *sl_prod_accum_next_topic(sl_prod_accum_t *a, size_t *it);
/* locked. Calls fn on every partition of every topic. */
void sl_prod_accum_each_part(sl_prod_accum_t *a, void (*fn)(sl_prod_part_t *part, void *arg), void *arg);

/* A batch holding r alone, closed, in no queue (for records that fail
 * before reaching one: unknown topic, partition out of range). SL_OK,
 * SL_ERR_NOMEM or a builder error. */
sl_err_t sl_prod_batch_single(const sl_prod_accum_t *a, const sl_prod_rec_t *r, sl_prod_batch_t **out);

/* Finishes the batch's bytes (compression, CRC) if still open. No lock:
 * the batch must be out of its queue. SL_OK or the builder's error. */
sl_err_t sl_prod_batch_close(sl_prod_batch_t *b);
/* Writes producer id, epoch and base sequence into a closed batch's header
 * and recomputes its CRC (they lie inside it). */
void sl_prod_batch_set_producer(sl_prod_batch_t *b, int64_t pid, int16_t epoch, int32_t base_seq);
/* Frees the batch (aborting an open builder). Accepts NULL. */
void sl_prod_batch_free(sl_prod_batch_t *b);

/* ---- the producer handle (producer.c, prod_sender.c) ------------------- */

#include "client_int.h"

#define SL_PROD_MODULE "client"

/* Where the producer id stands (I/O thread). */
typedef enum sl_prod_pid_state {
    SL_PROD_PID_NONE = 0,    /* none yet (or a bump is due): ask when nothing is in flight */
    SL_PROD_PID_ASKING,      /* InitProducerId in flight */
    SL_PROD_PID_OK,
} sl_prod_pid_state_t;

/* A transactional producer's state (txn_state). */
enum {
    SL_PROD_TXN_UNINIT = 0,  /* init_transactions not done */
    SL_PROD_TXN_READY,       /* between transactions */
    SL_PROD_TXN_IN,          /* begun */
};

struct sl_producer {
    sl_cl_t *cl;
    const sl_cl_conf_t *conf;        /* the core's, immutable */
    sl_delivery_fn *dr;
    void *dr_arg;
    sl_prod_accum_t accum;
    sl_partitioner_t parter;         /* under accum.mu */
    bool idempotent;
    atomic_size_t outq;              /* records not yet reported */
    atomic_size_t reported;          /* delivery callbacks run so far */
    atomic_bool wake_pending;        /* a sender run is posted */
    atomic_int fatal;                /* sl_err_t: the error that stopped it */
    atomic_bool closing;             /* free runs: completions go to closed */
    sl_list_t closed;                /* under accum.mu: events of batches
                                      * completed while closing */
    /* I/O thread only */
    sl_prod_pid_state_t pid_state;
    int64_t pid;
    int16_t epoch;
    bool bump;                       /* ask with the current id (epoch bump) */
    int64_t pid_retry_at;
    int32_t inflight_reqs;           /* Produce requests unanswered */
    sl_timer_id_t timer;
    int64_t timer_at;
    int64_t last_refresh_ms;
    int64_t last_expiry_ms;          /* the last delivery.timeout.ms walk */
    bool need_meta;                  /* a partition waits for a leader */
    bool listening;                  /* metadata listener installed */
    /* transactions (producer_txn.c) */
    pthread_mutex_t txn_mu;          /* with txn_cond: a call waits for its operation */
    pthread_cond_t txn_cond;
    atomic_int txn_state;            /* SL_PROD_TXN_* */
    atomic_int txn_err;              /* sl_err_t that makes the transaction abortable */
    bool adding;                     /* io: AddPartitionsToTxn in flight */
    bool txn_need_add;               /* io: a partition waits to be added */
    bool txn_started;                /* io: the coordinator knows of the transaction */
    bool txn_end_needed;             /* io -> app: EndTxn must be sent */
    bool txn_adding_seen;            /* io -> app: AddPartitionsToTxn was in flight */
    struct txn_op *txn_backing_off;  /* io: operations waiting on their retry timer */
};

/* The I/O thread's part (prod_sender.c). */

/* Asks for a sender run on the I/O thread (coalesced). any. */
void sl_prod_wake(sl_producer_t *p);
/* Runs on the I/O thread once at start: metadata listener. io. */
void sl_prod_sender_start(sl_cl_t *cl, void *arg);
/* Marks everything closing and completes every queued batch with
 * SL_ERR_CLOSED. io (through sl_cl_call). */
void sl_prod_sender_close(sl_cl_t *cl, void *arg);
/* Completes b (out of any queue) with err and hands it to the delivery
 * report path: an event for the application thread, or the closed list
 * while closing. Releases its memory and in-flight slot (when in_flight).
 * any. */
void sl_prod_complete(sl_producer_t *p, sl_prod_batch_t *b, sl_err_t err, bool in_flight);
/* Runs and frees the reports gathered while closing. app. */
void sl_prod_report_closed(sl_producer_t *p);
/* Asks the I/O thread for topic name's metadata (the core refreshes when it
 * does not know it); the metadata listener fills the accumulator. any. */
void sl_prod_ask_topic(sl_producer_t *p, const char *name);
/* Runs the delivery reports of b on this thread (app) and frees it. */
void sl_prod_report(sl_producer_t *p, sl_prod_batch_t *b, const char *topic, int32_t partition);

/* Stops the producer for good with err (logged with why) and fails
 * everything queued with it. io. */
void sl_prod_set_fatal(sl_producer_t *p, sl_err_t err, const char *why);
/* Completes every queued (not in-flight) batch with err. io. */
void sl_prod_fail_queued(sl_producer_t *p, sl_err_t err);
/* Every partition's next sequence back to 0 (a new producer id or epoch). io. */
void sl_prod_reset_sequences(sl_producer_t *p);

/* Transactions (producer_txn.c). Whether a send may go now (a
 * transactional producer only inside a transaction). any. */
bool sl_prod_txn_send_allowed(sl_producer_t *p);
/* Sends AddPartitionsToTxn for the partitions with queued batches that are
 * not in the transaction yet (one request at a time). io. */
void sl_prod_txn_add_partitions(sl_producer_t *p);
/* Records err as the reason the current transaction must abort (the first
 * one stays). any. */
void sl_prod_txn_abortable(sl_producer_t *p, sl_err_t err);
/* The producer closes: operations waiting to be retried end with
 * SL_ERR_CLOSED now (their timers would never run). io. */
void sl_prod_txn_close(sl_producer_t *p);

#endif /* SL_CLIENT_PRODUCER_INT_H */
