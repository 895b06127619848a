/*
 * consumer_int.h - the consumer's internal contract: the handle's state,
 * shared by consumer.c (the public calls and poll), cons_fetch.c (fetching
 * and offset resets on the I/O thread), cons_records.c (turning a fetched
 * partition's records into messages; pure), cons_offsets.c (OffsetFetch and
 * OffsetCommit at the group coordinator), cons_group.c (group
 * membership) and cons_subscribe.c (subscribe/unsubscribe/close of a group
 * member).
 *
 * Threads as in client_int.h: "io" = the handle's I/O thread, "app" = an
 * application thread. Every field is io-owned unless marked "lock": those
 * are read and written under c->lock by both sides.
 */
#ifndef SL_CONSUMER_INT_H
#define SL_CONSUMER_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "assignor.h"
#include "client_int.h"

#define SL_CONS_LOG "client"

/* ---- messages ------------------------------------------------------------
 * A consumed record or an error event as one allocation: the public
 * sl_message_t first (so sl_message_free frees the node), then the topic,
 * key, value and headers it points to. */
typedef struct cons_tp cons_tp_t;
typedef struct cons_msg cons_msg_t;
struct cons_msg {
    sl_message_t m;           /* must stay first */
    cons_msg_t *next;         /* queue link */
    cons_tp_t *tp;            /* the partition it counts against; NULL for
                               * error events (lock) */
    size_t bytes;             /* key + value bytes, for the prefetch bound */
};

/* An error event for topic/partition (topic may be NULL) at offset. NULL
 * when out of memory. */
cons_msg_t *sl_cons_msg_error(const char *topic, int32_t partition, int64_t offset, sl_err_t err);

/* ---- records of one fetched partition (cons_records.c; pure) ------------ */
typedef struct sl_FetchResponse_AbortedTransaction sl_FetchResponse_AbortedTransaction_t;

typedef struct cons_parse {
    /* in */
    const char *topic;        /* borrowed; copied into every message */
    int32_t partition;
    int64_t fetch_offset;     /* records before it are skipped */
    bool read_committed;
    const sl_FetchResponse_AbortedTransaction_t *aborted; /* borrowed */
    int32_t aborted_count;
    sl_buf_t *scratch;        /* decompression buffer, caller-owned */
    size_t max_decompressed;  /* 0: records.h's default */
    /* out */
    cons_msg_t *head, **tail; /* messages in offset order (taken by caller) */
    size_t count, bytes;
    int64_t next_offset;      /* where the next fetch starts */
    bool whole_batch;         /* at least one whole batch was read */
    char errmsg[200];
} cons_parse_t;

/* Reads blob[0..len) (a Fetch response's records, borrowed) from
 * p->fetch_offset on: every whole batch in order, control batches skipped,
 * with p->read_committed the records of aborted transactions dropped as
 * Kafka's consumer does with the response's AbortedTransactions; a partial
 * batch at the end is ignored. Appends messages to p->head/p->tail (the
 * caller initialises head NULL and tail &head) and advances p->next_offset
 * past every batch read. Returns SL_OK, SL_ERR_NOMEM, or the records.h
 * error of a bad batch (p->errmsg says which; the messages before it are
 * kept and next_offset stops at it); SL_ERR_MESSAGE_TOO_LARGE when the
 * first batch does not fit in the response at all. */
sl_err_t sl_cons_parse_records(cons_parse_t *p, const void *blob, size_t len);
/* Frees a list of messages. */
void sl_cons_msgs_free(cons_msg_t *head);

/* ---- partitions ---------------------------------------------------------- */
typedef enum cons_tp_state {
    CONS_TP_FETCH = 0,        /* fetch_pos valid: fetch from there */
    CONS_TP_RESET,            /* ListOffsets for reset_to pending */
    CONS_TP_STORED,           /* OffsetFetch of the committed offset pending */
    CONS_TP_HALTED,           /* an error was reported; waits for a seek */
} cons_tp_state_t;

struct cons_tp {
    char *topic;              /* owned */
    int32_t partition;
    cons_tp_t *next;          /* c->tps */
    cons_tp_state_t state;
    int64_t reset_to;         /* SL_OFFSET_BEGINNING / END in CONS_TP_RESET */
    int64_t fetch_pos;
    int32_t leader_epoch;
    uint64_t epoch;           /* new (c->epoch_seq) at every seek/reset:
                               * answers to older requests are dropped */
    bool paused;
    void *fetch_owner;        /* the unanswered Fetch it is in, or NULL */
    void *op_owner;           /* the unanswered ListOffsets / OffsetFetch */
    int64_t retry_at;         /* no request before this (loop ms) */
    int64_t committed;        /* last offset committed from here, -1 */
    bool reported_missing;    /* UNKNOWN_TOPIC_OR_PARTITION event sent */
    /* lock */
    int64_t app_pos;          /* next offset poll hands out; SL_OFFSET_INVALID */
    int32_t app_leader_epoch;
    int64_t tail_pos;         /* the position after everything queued */
    size_t queued_bytes, queued_msgs;
    bool removed;             /* unassigned: queued messages are dropped */
};

/* ---- the handle ---------------------------------------------------------- */
typedef struct cons_group cons_group_t;

struct sl_consumer {
    sl_cl_t *cl;
    const sl_cl_conf_t *conf;
    sl_rebalance_fn *rebalance_cb;
    void *rebalance_arg;

    pthread_mutex_t lock;
    pthread_cond_t cond;      /* queue got a message, an event or an op ended */
    /* lock */
    uint64_t wakes;           /* sl_cons_wake calls, so a waiter misses none */
    cons_msg_t *qhead, **qtail;
    sl_commit_fn *commit_cb;
    void *commit_arg;
    bool closed;              /* close() ran: only free is valid */
    atomic_bool kick_posted;

    /* io */
    cons_tp_t *tps;           /* the assignment */
    uint64_t epoch_seq;
    bool subscribed;          /* subscribe() in use (else assign()) */
    sl_buf_t scratch;         /* decompression */
    int32_t *fetch_nodes;     /* brokers with a Fetch in flight */
    size_t fetch_node_count, fetch_node_cap;
    sl_timer_id_t tick;
    int64_t next_auto_commit;
    bool stopping;            /* close: no new fetches */
    atomic_llong last_poll_ms;
    cons_group_t *group;      /* cons_group.c; NULL without subscribe */
    sl_group_meta_t meta;     /* sl_consumer_group_metadata's answer (app) */
    char *meta_member_id, *meta_instance_id;
};

/* io: the assigned partition topic/partition, or NULL (findk: a topic of
 * len bytes, not NUL-terminated). */
cons_tp_t *sl_cons_tp_find(sl_consumer_t *c, const char *topic, int32_t partition);
cons_tp_t *sl_cons_tp_findk(sl_consumer_t *c, const char *topic, int32_t len, int32_t partition);
/* io: adds a partition to the assignment at offset (an offset or
 * SL_OFFSET_*); an assigned one is moved there. NULL when out of memory. */
cons_tp_t *sl_cons_tp_add(sl_consumer_t *c, const char *topic, int32_t partition, int64_t offset);
/* io: removes a partition (queued messages dropped) and frees it; clear:
 * every partition. */
void sl_cons_tp_remove(sl_consumer_t *c, cons_tp_t *tp);
void sl_cons_tps_clear(sl_consumer_t *c);
/* io: the assigned partitions copied into arena: *out gets *n of them
 * (topics copied, offset SL_OFFSET_INVALID, leader_epoch -1), in the
 * assignment's order. SL_ERR_NOMEM when out of memory; *n then counts
 * those copied before. */
sl_err_t sl_cons_tps_copy(sl_consumer_t *c, sl_arena_t *arena, sl_tp_offset_t **out, size_t *n);
/* io: sets tp's position to offset (an offset or SL_OFFSET_*; INVALID is
 * STORED; STORED without group.id is auto.offset.reset), dropping what is
 * queued and any answer in flight (seek and reset are the same). */
void sl_cons_tp_seek(sl_consumer_t *c, cons_tp_t *tp, int64_t offset);
void sl_cons_tp_reset(sl_consumer_t *c, cons_tp_t *tp, int64_t how);
/* io: tp fetches from offset now (an answer to a reset or OffsetFetch). */
void sl_cons_tp_set_pos(sl_consumer_t *c, cons_tp_t *tp, int64_t offset, int32_t leader_epoch);
/* io: the position to commit for tp (app_pos), or -1. */
int64_t sl_cons_tp_position(sl_consumer_t *c, cons_tp_t *tp);

/* io: appends the list head (count messages of bytes bytes, taken) of tp
 * (NULL for error events) to the poll queue, sets tp's position after them
 * to next_offset, and wakes poll. */
void sl_cons_enqueue(sl_consumer_t *c, cons_tp_t *tp, cons_msg_t *head, size_t count, size_t bytes,
                     int64_t next_offset);
/* io: queues an error event for poll (dropped when out of memory). */
void sl_cons_error_event(sl_consumer_t *c, const char *topic, int32_t partition, int64_t offset, sl_err_t err);
/* any: wakes a thread waiting in poll or an op. */
void sl_cons_wake(sl_consumer_t *c);
/* io: pushes an event for the application and wakes poll. */
void sl_cons_event_push(sl_consumer_t *c, sl_cl_event_t *ev);

/* ---- fetching (cons_fetch.c) --------------------------------------------- */
/* io: sends what can be sent now: Fetch per leader (one at a time),
 * ListOffsets for resets, OffsetFetch for stored positions. */
void sl_cons_fetch_kick(sl_consumer_t *c);
/* io: forgets per-node fetch state (close). */
void sl_cons_fetch_fini(sl_consumer_t *c);

/* ---- offsets at the coordinator (cons_offsets.c) -------------------------
 * One OffsetCommit or OffsetFetch, from start to end on the I/O thread;
 * a synchronous caller waits for op->done under c->lock. */
typedef enum cons_op_kind { CONS_OP_COMMIT, CONS_OP_FETCH } cons_op_kind_t;
typedef struct cons_op cons_op_t;
struct cons_op {
    cons_op_kind_t kind;
    sl_consumer_t *c;
    sl_tp_offset_t *parts;    /* owned copies (topics/metadata strings too) */
    size_t n;
    int64_t deadline;         /* loop ms */
    int timeout_ms;           /* -1: request.timeout.ms */
    bool async;               /* result to the commit callback; op freed by io */
    bool internal;            /* OffsetFetch for STORED positions */
    uint64_t *epochs;         /* internal: the partitions' epochs at start */
    bool done;                /* lock */
    bool abandoned;           /* lock: its waiter gave up; io frees it */
    sl_err_t err;             /* lock */
    int32_t generation;       /* commit: -1 with member "" outside a group */
    char *member_id, *instance_id;
    sl_arena_t arena;         /* request bodies */
};
/* app: a new op copying parts[0..n) (borrowed). NULL when out of memory. */
cons_op_t *sl_cons_op_new(sl_consumer_t *c, cons_op_kind_t kind, const sl_tp_offset_t *parts, size_t n);
void sl_cons_op_free(cons_op_t *op);
/* io: starts op (coordinator lookup, then the request). When it ends:
 * internal fetch -> positions set; async/auto commit -> commit callback event
 * and op freed; otherwise op->done set under lock and waiters woken. */
void sl_cons_op_start(sl_consumer_t *c, cons_op_t *op);
/* The same for sl_cl_post (arg = op). */
void sl_cons_op_start_cl(sl_cl_t *cl, void *op);
/* Whether sl_consumer_close ran (c->closed, read under c->lock). any
 * thread. */
bool sl_cons_closed(sl_consumer_t *c);
/* app: runs op on the I/O thread and waits for it (bounded by its
 * deadline). Returns its error; results (may be NULL) gets op->parts'
 * offsets, epochs and errors when it ended. The op is freed (or left to
 * the I/O thread when the wait gave up: SL_ERR_TIMEOUT). */
sl_err_t sl_cons_op_run_sync(sl_consumer_t *c, cons_op_t *op, sl_tp_offset_t *results);
/* io: commits the consumed positions of the assignment that changed since
 * the last commit, asynchronously (auto commit). */
void sl_cons_auto_commit(sl_consumer_t *c);
/* io: an op committing every assigned partition's position (only those
 * that moved since the last commit when only_changed); NULL when nothing
 * to commit or out of memory. app: the same through sl_cl_call (*err
 * SL_ERR_STATE after close). */
cons_op_t *sl_cons_positions_op(sl_consumer_t *c, bool only_changed);
cons_op_t *sl_cons_positions_op_app(sl_consumer_t *c, bool only_changed, sl_err_t *err);

/* ---- group membership (cons_group.c) ------------------------------------- */
/* app: close for a subscribed consumer: final revoke callback, commit
 * (auto commit), LeaveGroup (not for a static member), waited for. */
sl_err_t sl_cons_group_close(sl_consumer_t *c);
/* io: starts or changes a subscription (topics taken). */
sl_err_t sl_cons_group_subscribe(sl_consumer_t *c, char **topics, size_t n);
/* io: leaves the group (LeaveGroup unless static), drops the subscription. */
void sl_cons_group_leave(sl_consumer_t *c);
/* io: timers: heartbeats, max.poll.interval, metadata changes. */
void sl_cons_group_tick(sl_consumer_t *c);
/* io: generation/member for commits (generation -1, member "" when not in a
 * group). */
void sl_cons_group_commit_identity(sl_consumer_t *c, int32_t *generation, const char **member_id,
                                   const char **instance_id);
/* io: an op ended with a group error (ILLEGAL_GENERATION...): rejoin. */
void sl_cons_group_on_error(sl_consumer_t *c, sl_err_t err);
void sl_cons_group_free(sl_consumer_t *c);
/* io: close begins: no more rejoins or heartbeats. */
void sl_cons_group_closing(sl_consumer_t *c);
/* io: LeaveGroup (when the member is known and dynamic; true when sent),
 * partitions dropped. */
bool sl_cons_group_leave_now(sl_consumer_t *c);
/* The LeaveGroup of sl_cons_group_leave_now was answered (c->lock held). */
bool sl_cons_group_left(sl_consumer_t *c);

/* ---- an application's assignor (cons_assignor.c) ------------------------- */
typedef struct cons_custom cons_custom_t;
/* io: the group uses only cu (taken) from now on (creating the group
 * state); the caller checked nothing is subscribed. SL_ERR_NOMEM. */
sl_err_t sl_cons_group_set_custom(sl_consumer_t *c, cons_custom_t *cu);
void sl_cons_custom_free(cons_custom_t *cu);
/* The assignor entry JoinGroup lists for cu (its name; eager). */
const sl_assignor_t *sl_cons_custom_assignor(const cons_custom_t *cu);
/* The group protocol type JoinGroup and SyncGroup give with cu ("consumer"
 * unless the application named another), borrowed from cu. */
const char *sl_cons_custom_protocol_type(const cons_custom_t *cu);
/* io: the member's user data from the application's user_data() appended
 * to buf (nothing when it has none). */
sl_err_t sl_cons_custom_user_data(const cons_custom_t *cu, sl_buf_t *buf, const sl_asg_tp_t *owned, size_t n,
                                  int32_t generation);
/* io (leader): the application's assign() over the members and topics,
 * checked (known partitions of subscribed topics, each at most once:
 * SL_ERR_INVAL otherwise) into out[mn] (arena). */
sl_err_t sl_cons_custom_assign(const cons_custom_t *cu, const sl_asg_member_t *members, size_t mn,
                               const sl_asg_topic_t *topics, size_t nt, sl_arena_t *arena, sl_asg_assignment_t *out);
/* io: queues the on_assignment() event for a (copied) before the
 * assignment's rebalance events. */
sl_err_t sl_cons_custom_assigned(sl_consumer_t *c, const cons_custom_t *cu, const sl_asg_assignment_t *a,
                                 int32_t generation);

#endif /* SL_CONSUMER_INT_H */
