/*
 * assignor.h - the consumer protocol and the partition assignors, as pure
 * functions with no I/O and no threads (internal to libsluice-client).
 *
 *   consumer protocol   ConsumerProtocolSubscription (the metadata a member
 *                       sends in JoinGroup) and ConsumerProtocolAssignment
 *                       (what the leader hands each member in SyncGroup),
 *                       versions 0-3, each prefixed by its int16 version,
 *                       to and from flat C structs
 *   assignors           "range", "roundrobin" and "cooperative-sticky" with
 *                       the results of the Java client's RangeAssignor,
 *                       RoundRobinAssignor and CooperativeStickyAssignor, so
 *                       a group mixing Sluice consumers with Java or
 *                       librdkafka ones agrees whoever is the leader
 *
 * Conventions (as base.h): "borrows" = nothing kept after the call; results
 * are allocated from a caller's arena and live as long as it; every string
 * handed out is NUL-terminated. Nothing here keeps state between calls, so
 * every call is safe from any thread on its own arguments.
 *
 * Bytes decoded here come from other group members through the broker and
 * are untrusted: malformed input is SL_ERR_PARSE or SL_ERR_TRUNCATED, never
 * a crash, and the memory taken is bounded by the input's size (array counts
 * are checked against the bytes left before anything is allocated); give the
 * arena a limit to bound it further.
 */
#ifndef SL_CLIENT_ASSIGNOR_H
#define SL_CLIENT_ASSIGNOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"
#include "proto.h"

/* The newest consumer protocol version written and understood; members
 * send their subscription at this version (as the Java client 3.4 does:
 * older leaders, librdkafka's included, read the fields they know and skip
 * the rest). A newer version read from the wire is read as this one: later
 * versions only append fields, which are then ignored (as Java does). */
#define SL_ASG_PROTO_VERSION_MAX 3

/* One topic partition. In results, topic points into the result's arena or
 * into the caller's input (each call says which). */
typedef struct sl_asg_tp {
    const char *topic;
    int32_t partition;
} sl_asg_tp_t;

/* ======================================================================
 * Consumer protocol
 * ====================================================================== */

/* A member's subscription (JoinGroup metadata for protocol type "consumer").
 * Fields by version: topics and user_data v0+, owned v1+, generation v2+,
 * rack v3. When encoding at a lower version the newer fields are left out;
 * when decoding an older version they get their defaults (no owned
 * partitions, generation -1, rack NULL). */
typedef struct sl_asg_subscription {
    const char **topics;        /* [topic_count] */
    size_t topic_count;
    const uint8_t *user_data;   /* assignor-specific; NULL: null bytes */
    int32_t user_data_len;      /* -1 with user_data NULL */
    const sl_asg_tp_t *owned;   /* partitions owned now (cooperative) */
    size_t owned_count;
    int32_t generation;         /* generation of owned; -1: unknown */
    const char *rack;           /* client.rack; NULL: none */
} sl_asg_subscription_t;

/* An assignment (SyncGroup assignment for protocol type "consumer"). */
typedef struct sl_asg_assignment {
    const sl_asg_tp_t *parts;   /* [count] */
    size_t count;
    const uint8_t *user_data;   /* NULL: null bytes */
    int32_t user_data_len;      /* -1 with user_data NULL */
} sl_asg_assignment_t;

/* Sets a subscription / assignment to its defaults (nothing subscribed,
 * null user data, generation -1, no rack). */
void sl_asg_subscription_init(sl_asg_subscription_t *sub);
void sl_asg_assignment_init(sl_asg_assignment_t *a);

/* Appends the version (int16) and the subscription at that version
 * (0..SL_ASG_PROTO_VERSION_MAX) to buf. sub is borrowed. Owned partitions
 * are grouped by topic, in the order of each topic's first appearance.
 * SL_OK, SL_ERR_UNSUPPORTED_VERSION (version out of range), SL_ERR_INVAL (a
 * NULL topic name, a name longer than a Kafka string holds), SL_ERR_NOMEM.
 * On error buf holds what it held before. */
sl_err_t sl_asg_subscription_encode(sl_buf_t *buf, int16_t version, const sl_asg_subscription_t *sub);

/* Decodes a subscription from p[0..n) (borrowed). Strings, arrays and the
 * user data are copied into arena; *out is valid as long as the arena.
 * Trailing bytes after the fields of the version are ignored (a newer
 * version's additions). SL_OK; SL_ERR_PARSE (a negative version, a null or
 * NUL-containing topic name, a negative partition), SL_ERR_TRUNCATED (too
 * short), SL_ERR_NOMEM (arena exhausted or at its limit). On error *out is
 * left initialized as by sl_asg_subscription_init. */
sl_err_t sl_asg_subscription_decode(const void *p, size_t n, sl_arena_t *arena, sl_asg_subscription_t *out);

/* Appends the version and the assignment to buf, partitions grouped by
 * topic (first-appearance order). Errors as sl_asg_subscription_encode. */
sl_err_t sl_asg_assignment_encode(sl_buf_t *buf, int16_t version, const sl_asg_assignment_t *a);

/* Decodes an assignment from p[0..n) into arena, as
 * sl_asg_subscription_decode. Zero bytes (n == 0) decode as an empty
 * assignment: a coordinator answers SyncGroup with empty bytes for a member
 * the leader gave nothing. Errors as sl_asg_subscription_decode. */
sl_err_t sl_asg_assignment_decode(const void *p, size_t n, sl_arena_t *arena, sl_asg_assignment_t *out);

/* ======================================================================
 * Assignors
 * ====================================================================== */

/* One group member as the leader sees it: from JoinGroup's member list, its
 * metadata decoded with sl_asg_subscription_decode (a member whose metadata
 * does not decode is best given an empty subscription: it gets nothing). */
typedef struct sl_asg_member {
    const char *member_id;          /* unique in the group */
    const char *group_instance_id;  /* static membership; NULL: dynamic */
    sl_asg_subscription_t sub;
} sl_asg_member_t;

/* A topic's partition count from the leader's metadata. Subscribed topics
 * missing here (unknown, or count <= 0) get no partitions. */
typedef struct sl_asg_topic {
    const char *name;
    int32_t partitions;
} sl_asg_topic_t;

/* Computes the assignment of every member: out[i] is members[i]'s. Both
 * arrays are borrowed; out[i].parts are allocated from arena, sorted by
 * topic then partition, and their topic pointers point at topics[k].name
 * (the caller keeps those alive while it uses out). out[i].user_data is
 * null. A member is only given partitions of topics it subscribes to, and
 * every partition goes to at most one member.
 * SL_OK; SL_ERR_INVAL (NULL or duplicate member ids or topic names, a NULL
 * subscribed topic); SL_ERR_NOMEM (also when the arena's limit is hit). */
typedef sl_err_t sl_assign_fn(const sl_asg_member_t *members, size_t member_count, const sl_asg_topic_t *topics,
                              size_t topic_count, sl_arena_t *arena, sl_asg_assignment_t *out);

/* Writes the user data a member puts in its subscription for this
 * assignor (appended to buf), given what it owns now and the generation
 * they were assigned in (-1: none). SL_OK or SL_ERR_NOMEM. */
typedef sl_err_t sl_asg_user_data_fn(sl_buf_t *buf, const sl_asg_tp_t *owned, size_t owned_count,
                                     int32_t generation);

/* How a member uses an assignor (the consumer's part):
 *   join     JoinGroup lists the configured assignors by name, each with a
 *            subscription: topics, what it owns now and the generation it
 *            got them in, user data from user_data() when not NULL.
 *   lead     the leader decodes every member's metadata, calls assign() of
 *            the protocol the coordinator chose, encodes each out[i] with
 *            sl_asg_assignment_encode and sends them in SyncGroup.
 *   follow   with a cooperative assignor a member revokes only what it owns
 *            but was not assigned, and rejoins at once if that was anything
 *            (the follow-up round then hands those partitions on); with an
 *            eager one it revoked everything before joining. */
typedef struct sl_assignor {
    const char *name;   /* protocol name in JoinGroup and partition.assignment.strategy */
    /* true: the cooperative protocol (KIP-429). The member revokes only what
     * it owns but was not assigned, and rejoins at once when it revoked
     * anything; the assignor never hands a partition that changes owner to
     * its new owner in the same round (it is unassigned until the old owner
     * has revoked it and the follow-up rebalance runs). false: eager (every
     * member revokes everything before it joins). */
    bool cooperative;
    sl_assign_fn *assign;
    sl_asg_user_data_fn *user_data; /* NULL: the subscription's user data is null */
} sl_assignor_t;

/* The assignor named name ("range", "roundrobin", "cooperative-sticky"),
 * or NULL. Static storage. */
const sl_assignor_t *sl_assignor_find(const char *name);

/* The assignors one by one (static storage). */
extern const sl_assignor_t sl_assignor_range;
extern const sl_assignor_t sl_assignor_roundrobin;
extern const sl_assignor_t sl_assignor_cooperative_sticky;

/* The generation a member's owned partitions belong to, as the sticky
 * assignor reads it: the subscription's generation field (v2+) when set;
 * else from user data laid out as the StickyAssignor's (previous assignment
 * then generation, which librdkafka sends for cooperative-sticky too) or as
 * a lone int32 (the Java cooperative-sticky layout before v2); else -1. */
int32_t sl_asg_sticky_generation(const sl_asg_subscription_t *sub);

/* ======================================================================
 * For the assignor implementations (assignor.c): the inputs indexed once.
 * Partitions are numbered 0..part_count) in topic-name order, then
 * partition order; members are ranked in the Java client's order (static
 * members first by group instance id, then dynamic ones by member id).
 * ====================================================================== */
typedef struct sl_asg_index {
    const sl_asg_member_t *members;
    size_t member_count;
    size_t *rank;               /* [member_count]: member index by rank */
    const sl_asg_topic_t **topics; /* [topic_count]: known topics by name */
    size_t topic_count;
    int32_t *first;             /* [topic_count + 1]: first partition number per topic */
    int32_t part_count;
    uint8_t *subscribed;        /* member_count x topic_count bits */
    sl_arena_t *arena;
} sl_asg_index_t;

/* Builds the index (all from arena). Errors as sl_assign_fn. */
sl_err_t sl_asg_index_build(sl_asg_index_t *ix, const sl_asg_member_t *members, size_t member_count,
                            const sl_asg_topic_t *topics, size_t topic_count, sl_arena_t *arena);
/* The index of a known topic name, or -1. */
int32_t sl_asg_index_topic(const sl_asg_index_t *ix, const char *name);
/* The topic index of partition number p. */
int32_t sl_asg_index_topic_of(const sl_asg_index_t *ix, int32_t p);
/* Whether member m subscribes to topic index t. */
static inline bool sl_asg_index_subscribes(const sl_asg_index_t *ix, size_t m, int32_t t)
{
    size_t bit = m * ix->topic_count + (size_t)t;
    return (ix->subscribed[bit >> 3] >> (bit & 7)) & 1;
}
/* Appends tps[0..n) grouped by topic (first-appearance order) in the
 * layout both protocol messages and the StickyAssignor's user data use:
 * int32 count, then per topic an int16-length string, an int32 count and
 * the int32 partitions. SL_OK, SL_ERR_INVAL (a NULL topic), SL_ERR_NOMEM;
 * buf holds what it held before on error. */
sl_err_t sl_asg_tps_put(sl_buf_t *buf, const sl_asg_tp_t *tps, size_t n);
/* Fills out[member_count] from owner[part_count] (member index per
 * partition, -1: nobody). SL_OK or SL_ERR_NOMEM. */
sl_err_t sl_asg_index_output(const sl_asg_index_t *ix, const int32_t *owner, sl_asg_assignment_t *out);

#endif /* SL_CLIENT_ASSIGNOR_H */
