/*
 * group.h - the classic consumer group state machine (Kafka's
 * GroupCoordinator for one group), without I/O, locks or clocks of its own:
 * every call takes the time as an argument, so tests drive it with a fake
 * clock, and requests that must wait (JoinGroup, SyncGroup) are represented
 * by waiters that the machine completes later.
 *
 * States: Empty -> PreparingRebalance -> CompletingRebalance -> Stable, and
 * back to PreparingRebalance on any membership or subscription change; Dead
 * is never entered by this machine (kept for DescribeGroups' vocabulary).
 *
 * Waiters: a JoinGroup or SyncGroup that cannot be answered at once is
 * parked on its member (one join and one sync slot per member). When the
 * rebalance reaches the point that answers it, the machine fills the waiter's
 * result, sets done, unparks it and calls its notify function (inside the
 * call that completed it, so under whatever lock the caller holds). The
 * caller owns the waiter's memory: it must sl_group_waiter_detach a waiter
 * it gives up on (connection gone) and sl_group_waiter_clear every waiter
 * once done with it (frees the result).
 *
 * The consumer protocol's subscription and assignment bytes are opaque here:
 * copied in, handed out unchanged.
 *
 * Thread: none of its own; the caller serialises every call on one group
 * (the broker holds the group's mutex).
 */
#ifndef SL_GROUP_H
#define SL_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "base.h"
#include "proto.h"

typedef enum sl_group_state {
    SL_GROUP_EMPTY = 0,
    SL_GROUP_PREPARING_REBALANCE,
    SL_GROUP_COMPLETING_REBALANCE,
    SL_GROUP_STABLE,
    SL_GROUP_DEAD
} sl_group_state_t;

/* Kafka's names ("Empty", "PreparingRebalance", ...). */
const char *sl_group_state_name(sl_group_state_t s);

/* Broker-wide group settings (Kafka's defaults in brackets). */
typedef struct sl_group_limits {
    int32_t min_session_timeout_ms;    /* group.min.session.timeout.ms [6000] */
    int32_t max_session_timeout_ms;    /* group.max.session.timeout.ms [1800000] */
    int32_t initial_rebalance_delay_ms; /* group.initial.rebalance.delay.ms [3000] */
    int32_t max_size;                  /* group.max.size [INT32_MAX]: members beyond it
                                        * get GROUP_MAX_SIZE_REACHED */
} sl_group_limits_t;
void sl_group_limits_default(sl_group_limits_t *lim);

typedef struct sl_group sl_group_t;

/* One member as the JoinGroup leader sees it (all owned by the result). */
typedef struct sl_group_member_info {
    char *member_id;
    char *instance_id;                 /* NULL when none */
    uint8_t *metadata;                 /* the chosen protocol's subscription */
    int32_t metadata_len;
} sl_group_member_info_t;

typedef struct sl_group_waiter sl_group_waiter_t;
typedef void sl_group_notify_fn(sl_group_waiter_t *w);

struct sl_group_waiter {
    sl_group_notify_fn *notify;        /* set by the caller; may be NULL */
    void *arg;                         /* the caller's */
    /* set by the machine */
    bool parked;                       /* on a member, waiting */
    bool done;                         /* result below is filled */
    int16_t error;
    int32_t generation;
    char *protocol_type;               /* NULL: none */
    char *protocol_name;               /* NULL: none */
    char *member_id;                   /* join: the member's id */
    char *leader;                      /* join */
    int32_t nmembers;                  /* join: the leader's view, else 0 */
    sl_group_member_info_t *members;
    bool skip_assignment;              /* join: a static leader rejoined a Stable
                                        * group: it must not assign again */
    uint8_t *assignment;               /* sync */
    int32_t assignment_len;
    sl_group_t *group;                 /* while parked */
};

/* Unparks w if it is still parked (the request went away); no result. */
void sl_group_waiter_detach(sl_group_waiter_t *w);
/* Frees w's result (not w itself) and resets the machine's fields. */
void sl_group_waiter_clear(sl_group_waiter_t *w);

/* A new Empty group named id (copied). nonce makes generated member ids
 * differ between runs. NULL when out of memory. */
sl_group_t *sl_group_new(const char *id, const sl_group_limits_t *lim, uint32_t nonce);
/* Frees the group; parked waiters are detached without a result. NULL ok. */
void sl_group_free(sl_group_t *g);

const char *sl_group_id(const sl_group_t *g);
sl_group_state_t sl_group_state(const sl_group_t *g);
int32_t sl_group_generation(const sl_group_t *g);
int32_t sl_group_member_count(const sl_group_t *g);
/* NULL when none. */
const char *sl_group_leader(const sl_group_t *g);
const char *sl_group_protocol_type(const sl_group_t *g);
const char *sl_group_protocol_name(const sl_group_t *g);
/* The i-th member (0 <= i < count): id, client id, instance id (NULL),
 * the chosen protocol's metadata and the current assignment. */
bool sl_group_member_at(const sl_group_t *g, int32_t i, const char **member_id, const char **client_id,
                        const char **instance_id, sl_kbytes_t *metadata, sl_kbytes_t *assignment);

/* The i-th member's host as it joined ("/127.0.0.1"; "" when not known,
 * e.g. a member restored from __consumer_offsets), or NULL past the end. */
const char *sl_group_member_host(const sl_group_t *g, int32_t i);

/* The i-th member's session and rebalance timeouts (ms). */
bool sl_group_member_timeouts(const sl_group_t *g, int32_t i, int32_t *session_ms, int32_t *rebalance_ms);

/* Restores what __consumer_offsets remembers of an Empty group without
 * members: its protocol type (NULL or "": none) and generation (the next
 * rebalance takes generation + 1). false (nothing changed) when the group
 * has members or is not Empty, or on no memory. */
bool sl_group_restore(sl_group_t *g, const char *protocol_type, int32_t generation);

typedef struct sl_group_protocol_in {
    sl_kstr_t name;
    sl_kbytes_t metadata;
} sl_group_protocol_in_t;

typedef struct sl_group_join_args {
    sl_kstr_t member_id;               /* "" for a new member */
    sl_kstr_t instance_id;             /* null: dynamic member */
    sl_kstr_t client_id;
    sl_kstr_t client_host;             /* "/127.0.0.1", as Kafka reports it */
    sl_kstr_t protocol_type;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;      /* -1: the session timeout (v0) */
    int32_t nprotocols;
    const sl_group_protocol_in_t *protocols; /* borrowed, copied */
    bool require_known_member_id;      /* JoinGroup v4+ */
} sl_group_join_args_t;

/* JoinGroup. Returns false when w was answered at once (w->done, notify
 * not called): errors (INVALID_SESSION_TIMEOUT, INCONSISTENT_GROUP_PROTOCOL,
 * UNKNOWN_MEMBER_ID, MEMBER_ID_REQUIRED with the new id in w->member_id,
 * SL_ERR_NOMEM, FENCED_INSTANCE_ID, GROUP_MAX_SIZE_REACHED for a member
 * not in the group yet when it holds max_size members) or a member that rejoins unchanged
 * while the group is CompletingRebalance or Stable (also a static member,
 * known by its instance id, rejoining without member id: it gets a new
 * id). Returns true when w was parked: notify
 * runs when the rebalance completes (or the member is removed:
 * UNKNOWN_MEMBER_ID). */
bool sl_group_join(sl_group_t *g, const sl_group_join_args_t *a, int64_t now, sl_group_waiter_t *w);

typedef struct sl_group_assign_in {
    sl_kstr_t member_id;
    sl_kbytes_t assignment;
} sl_group_assign_in_t;

typedef struct sl_group_sync_args {
    sl_kstr_t member_id;
    int32_t generation;
    sl_kstr_t protocol_type;           /* null: not checked (before v5) */
    sl_kstr_t protocol_name;           /* null: not checked */
    int32_t nassignments;
    const sl_group_assign_in_t *assignments; /* the leader's; copied */
} sl_group_sync_args_t;

/* SyncGroup. As sl_group_join: false when answered at once (errors
 * UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS,
 * INCONSISTENT_GROUP_PROTOCOL, or the assignment when Stable or when this
 * call is the leader's and completes the rebalance); true when parked
 * until the leader's assignment arrives (or a new rebalance starts:
 * REBALANCE_IN_PROGRESS). */
bool sl_group_sync(sl_group_t *g, const sl_group_sync_args_t *a, int64_t now, sl_group_waiter_t *w);

/* Static membership: FENCED_INSTANCE_ID when instance_id belongs to a
 * member other than member_id (an older incarnation of a restarted static
 * consumer), else 0. Callers check it before Heartbeat, SyncGroup and
 * OffsetCommit. */
int16_t sl_group_check_instance(sl_group_t *g, sl_kstr_t member_id, sl_kstr_t instance_id);

/* Heartbeat: 0, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION,
 * REBALANCE_IN_PROGRESS (the member should rejoin). */
int16_t sl_group_heartbeat(sl_group_t *g, sl_kstr_t member_id, int32_t generation, int64_t now);

/* LeaveGroup of one member: 0 or UNKNOWN_MEMBER_ID. A member found by
 * member_id, or by instance_id when member_id is "" (v3+). */
int16_t sl_group_leave(sl_group_t *g, sl_kstr_t member_id, sl_kstr_t instance_id, int64_t now);

/* May this member commit offsets now? Generation < 0 with an empty
 * member id is a commit without membership (assign()): allowed while the
 * group has no members. 0, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION,
 * REBALANCE_IN_PROGRESS. */
int16_t sl_group_commit_check(sl_group_t *g, sl_kstr_t member_id, int32_t generation, int64_t now);

/* May this member commit transactional offsets (TxnOffsetCommit, Kafka
 * 3.4's rules)? Without generation (< 0), member id ("") and instance id
 * (null) anyone may, members or not. Otherwise: FENCED_INSTANCE_ID (the
 * instance id belongs to another member), UNKNOWN_MEMBER_ID (no such
 * instance id or member), ILLEGAL_GENERATION (another generation), else 0.
 * Unlike sl_group_commit_check a rebalance does not refuse it. */
int16_t sl_group_txn_commit_check(sl_group_t *g, sl_kstr_t member_id, sl_kstr_t instance_id, int32_t generation);

/* Runs the timers: removes members whose session expired, completes a
 * rebalance whose delay or timeout passed. */
void sl_group_tick(sl_group_t *g, int64_t now);
/* When sl_group_tick next has something to do (INT64_MAX: never). */
int64_t sl_group_next_deadline(const sl_group_t *g);

#endif /* SL_GROUP_H */
