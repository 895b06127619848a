/*
 * group_int.h - the group coordinator's internals shared by broker/group/:
 * committed offsets in memory (offsets.c), their durable record bodies in
 * __consumer_offsets (records_internal.c), and the coordinator's groups for
 * the admin handlers (group_api.c).
 * The state machine of one group is group.h; the request handlers and the
 * coordinator's threading are in group_api.c.
 */
#ifndef SL_GROUP_INT_H
#define SL_GROUP_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "base.h"
#include "proto.h"

/* One committed offset. */
typedef struct sl_offset {
    int64_t offset;
    int32_t leader_epoch;              /* -1: none */
    char *metadata;                    /* owned; NULL: null */
    int64_t commit_ts;                 /* wall clock, ms */
    int64_t log_offset;                /* base offset of the batch that holds
                                        * its record in __consumer_offsets;
                                        * -1: unknown. Orders a transaction's
                                        * offsets against plain commits. */
} sl_offset_t;

/* A group's committed offsets: map key is the topic name followed by the
 * partition (4 bytes, big-endian), value an sl_offset_t (owned). */
void sl_offsets_init(sl_map_t *map);
void sl_offsets_fini(sl_map_t *map);
/* Sets (copies o, o->metadata included). SL_OK or SL_ERR_NOMEM. */
sl_err_t sl_offsets_put(sl_map_t *map, sl_kstr_t topic, int32_t partition, const sl_offset_t *o);
/* The committed offset, or NULL. Borrowed until the next put. */
const sl_offset_t *sl_offsets_get(const sl_map_t *map, sl_kstr_t topic, int32_t partition);
/* Removes; true when it was there. */
bool sl_offsets_del(sl_map_t *map, sl_kstr_t topic, int32_t partition);
/* Writes the map key of (topic, partition) to key[0..cap) (cap >= 4; a
 * longer topic is cut) and returns its length. */
size_t sl_offsets_key(uint8_t *key, size_t cap, sl_kstr_t topic, int32_t partition);
/* Splits a map key into topic (borrowed from the key) and partition. */
void sl_offsets_key_split(const void *key, size_t klen, sl_kstr_t *topic, int32_t *partition);

/* A group's pending transactional offsets (TxnOffsetCommit, Kafka's
 * pendingTransactionalOffsetCommits): map key is the producer id (8 bytes,
 * host order), value a malloc'ed offsets map as above (owned). They are
 * not visible to OffsetFetch until the producer's marker commits them. */
void sl_offsets_pending_init(sl_map_t *pending);
void sl_offsets_pending_fini(sl_map_t *pending);
/* Sets producer_id's pending offset (copies o). SL_OK or SL_ERR_NOMEM. */
sl_err_t sl_offsets_pending_put(sl_map_t *pending, int64_t producer_id, sl_kstr_t topic, int32_t partition,
                                const sl_offset_t *o);
/* Removes producer_id's pending offset; true when it was there. */
bool sl_offsets_pending_del(sl_map_t *pending, int64_t producer_id, sl_kstr_t topic, int32_t partition);
/* Does any producer hold a pending offset of (topic, partition)? */
bool sl_offsets_pending_has(const sl_map_t *pending, sl_kstr_t topic, int32_t partition);
/* The count of pending offsets over every producer. */
size_t sl_offsets_pending_count(const sl_map_t *pending);
/* Ends producer_id's transaction: commit moves each of its pending offsets
 * into offsets unless the committed one there was written later in the
 * log (a larger log_offset: Kafka's olderThan rule); abort drops them.
 * Returns how many pending offsets the producer had (0: nothing to do).
 * On no memory a committed offset may be lost (logged). */
size_t sl_offsets_pending_complete(sl_map_t *pending, sl_map_t *offsets, int64_t producer_id, bool commit);

/* ======================================================================
 * __consumer_offsets record bodies (records_internal.c), Kafka's layouts
 * ====================================================================== */

/* Java's String.hashCode of the group id s[0..len) taken as UTF-8: over
 * UTF-16 code units (a code point above U+FFFF counts as its surrogate
 * pair); a malformed sequence counts as U+FFFD per maximal ill-formed
 * subpart, and an encoded surrogate as one U+FFFD, as Java's UTF-8 decoder
 * (which builds Kafka's String from the request) reads them. */
int32_t sl_coord_java_hash(const char *s, size_t len);
/* The __consumer_offsets partition of a group: Kafka's
 * Utils.abs(groupId.hashCode) % partitions, abs being n & 0x7fffffff.
 * partitions <= 0 gives 0. */
int32_t sl_coord_partition_for(const char *group, size_t len, int32_t partitions);

/* Writers append to out (sticky error). Key of a commit: OffsetCommitKey
 * v1 (int16 1, group, topic, int32 partition); its value OffsetCommitValue
 * v3 (int16 3, int64 offset, int32 leader epoch, metadata, int64 commit
 * timestamp; NULL metadata is written "", as Kafka stores it). A deleted
 * offset is the key with a null value (tombstone). */
void sl_coord_offset_key_write(sl_buf_t *out, sl_kstr_t group, sl_kstr_t topic, int32_t partition);
void sl_coord_offset_value_write(sl_buf_t *out, const sl_offset_t *o);

/* A group's metadata record (GroupMetadataValue); every field borrowed. */
typedef struct sl_group_record_member {
    sl_kstr_t member_id;
    sl_kstr_t instance_id;             /* null: dynamic member */
    sl_kstr_t client_id;
    sl_kstr_t client_host;
    int32_t rebalance_timeout_ms;
    int32_t session_timeout_ms;
    sl_kbytes_t subscription;
    sl_kbytes_t assignment;
} sl_group_record_member_t;

typedef struct sl_group_record {
    sl_kstr_t protocol_type;
    int32_t generation;
    sl_kstr_t protocol;                /* nullable */
    sl_kstr_t leader;                  /* nullable */
    int64_t state_ts;                  /* wall ms of the last state change; -1 */
    int32_t nmembers;
    sl_group_record_member_t *members;
} sl_group_record_t;

/* GroupMetadataKey v2 (int16 2, group) and GroupMetadataValue v3. A
 * deleted group is the key with a null value. */
void sl_coord_group_key_write(sl_buf_t *out, sl_kstr_t group);
void sl_coord_group_value_write(sl_buf_t *out, const sl_group_record_t *g);

/* A key read back: version 0 or 1 is a commit's (group, topic,
 * partition), 2 a group's (topic null, partition -1). */
typedef struct sl_coord_key {
    int16_t version;
    sl_kstr_t group;
    sl_kstr_t topic;
    int32_t partition;
} sl_coord_key_t;

/* Readers borrow p[0..n) for every string and byte field they return.
 * SL_OK; SL_ERR_UNSUPPORTED (another version: a transaction log key, a
 * flexible v4 value); SL_ERR_PARSE (truncated, a bad length, bytes left
 * over); SL_ERR_NOMEM (group members, from arena). */
sl_err_t sl_coord_key_read(const void *p, size_t n, sl_coord_key_t *k);
/* OffsetCommitValue v0-3; o->metadata is NULL, the metadata is in
 * *metadata (null only if a writer put -1 there). */
sl_err_t sl_coord_offset_value_read(const void *p, size_t n, sl_offset_t *o, sl_kstr_t *metadata);
/* GroupMetadataValue v0-3; g->members from arena. */
sl_err_t sl_coord_group_value_read(const void *p, size_t n, sl_arena_t *arena, sl_group_record_t *g);

/* ======================================================================
 * The coordinator's log (offsets_log.c)
 * ====================================================================== */

struct sl_broker;

/* Start-up: creates __consumer_offsets when it is missing
 * (offsets.topic.num.partitions partitions; cleanup.policy=compact,
 * segment.bytes=offsets.topic.segment.bytes, compression.type=producer, as
 * Kafka creates it). An existing topic keeps its partition count (a
 * different configured count is logged). Returns the partition count, or
 * -1 when the topic cannot be created (logged). Thread: any, before the
 * groups are served. */
int32_t sl_coord_topic_ensure(struct sl_broker *broker);

/* One record batch being built for one partition: records are added, then
 * the batch is appended whole. Uncompressed, producer id -1, as Kafka's
 * coordinator writes. */
typedef struct sl_coord_batch {
    sl_buf_t out;                      /* the batch */
    sl_buf_t key, value;               /* one record's bodies, reused */
    sl_batch_builder_t b;
    bool begun;
    int32_t count;
    sl_err_t err;                      /* sticky */
    /* A transactional batch (TxnOffsetCommit): set producer_id >= 0 and
     * producer_epoch before the first record; the batch is then written
     * with the transactional bit, that producer and base sequence 0, as
     * Kafka's coordinator writes it. -1 (init): a plain batch. */
    int64_t producer_id;
    int16_t producer_epoch;
    int64_t base_offset;               /* out: where the last append put the batch */
} sl_coord_batch_t;

void sl_coord_batch_init(sl_coord_batch_t *cb);
void sl_coord_batch_free(sl_coord_batch_t *cb);
/* Adds a commit (o NULL: its tombstone). Strings borrowed, copied. */
void sl_coord_batch_offset(sl_coord_batch_t *cb, sl_kstr_t group, sl_kstr_t topic, int32_t partition,
                           const sl_offset_t *o);
/* Adds a group's metadata (g NULL: the group's tombstone). */
void sl_coord_batch_group(sl_coord_batch_t *cb, sl_kstr_t group, const sl_group_record_t *g);
/* Appends the batch to partition of __consumer_offsets under its mutex
 * (sl_log_append, fetch waiters woken, fsync'ed at once when the topic's
 * flush.messages asks for it), sets cb->base_offset and empties cb for
 * reuse. Returns 0 (also when cb holds nothing) or the error to answer a
 * commit with, mapped as Kafka's coordinator does: COORDINATOR_NOT_AVAILABLE
 * (no such partition), NOT_COORDINATOR (storage error, logged),
 * INVALID_COMMIT_OFFSET_SIZE (batch above segment.bytes),
 * UNKNOWN_SERVER_ERROR (no memory). A transactional batch is first judged
 * by the partition's producer state (read from the log when not loaded
 * yet), as the log judges a coordinator's append in Kafka (epoch only, no
 * sequence): INVALID_PRODUCER_EPOCH when the partition knows a newer epoch
 * of the producer; once appended, the producer state records it and opens
 * the producer's transaction on the partition (its LSO) until the marker. Thread: any; takes part->mu (the caller may
 * hold a group's mutex). */
int16_t sl_coord_batch_append(struct sl_broker *broker, int32_t partition, sl_coord_batch_t *cb);

/* Called for each record read back: key[0..klen), value[0..vlen) (vlen
 * -1: tombstone, value NULL), borrowed for the call only. */
typedef void sl_coord_scan_fn(void *arg, const uint8_t *key, size_t klen, const uint8_t *value, int32_t vlen,
                              int64_t offset);
/* Reads partition of __consumer_offsets from its start to the end offset it
 * had when the call began, in order, calling fn for each keyed record
 * (sl_internal_topic_scan_records, broker_int.h: control batches skipped,
 * unreadable batches and keyless records skipped with a warning). The
 * loader reads with sl_internal_topic_scan, which also gives batches and
 * markers. Errors and threads as there. */
sl_err_t sl_coord_topic_scan(struct sl_broker *broker, int32_t partition, const atomic_bool *stop,
                             sl_coord_scan_fn *fn, void *arg);

/* ======================================================================
 * The coordinator's groups (coord.c), for the handlers (group_api.c,
 * group_admin.c). A group pointer stays valid while the broker is open
 * (deleted groups are emptied, not freed).
 * ====================================================================== */

struct sl_group;
typedef struct sl_coord_group sl_coord_group_t;
struct sl_coord_group {
    pthread_mutex_t mu;                /* guards everything below */
    struct sl_group *g;                /* the state machine */
    sl_map_t offsets;                  /* sl_offset_t by topic+partition */
    sl_map_t pending;                  /* pending transactional offsets
                                        * (sl_offsets_pending_*) */
    int32_t partition;                 /* const: its __consumer_offsets partition */
    int32_t written_gen;               /* the metadata last written: generation, */
    int written_state;                 /* and sl_group_state_t */
    int64_t empty_since;               /* wall ms it became Empty; -1 while not */
};

/* The group named id (created when create), or NULL with *err: 0 (no such
 * group, or no memory when creating), INVALID_GROUP_ID (null id),
 * COORDINATOR_LOAD_IN_PROGRESS (its partition is not loaded yet),
 * COORDINATOR_NOT_AVAILABLE (no __consumer_offsets). */
sl_coord_group_t *sl_coord_get(struct sl_broker *broker, sl_kstr_t id, bool create, int16_t *err);
/* As sl_coord_get, but NULL also when the group does not exist: a group
 * exists while it has members, committed or pending transactional
 * offsets, or a generation. */
sl_coord_group_t *sl_coord_group_find(struct sl_broker *broker, sl_kstr_t id, int16_t *err);
/* Takes the group's mutex and returns its state machine (ticked to now). */
struct sl_group *sl_coord_group_lock(sl_coord_group_t *cg);
void sl_coord_group_unlock(sl_coord_group_t *cg);
/* Every call that locked cg->mu and may have changed its state machine
 * unlocks with this: it writes the group's metadata when the group reached
 * Stable at a new generation or became Empty, then unlocks. */
void sl_coord_group_release(sl_coord_group_t *cg);
/* Appends cb to the group's partition (sl_coord_batch_append). cg->mu held. */
int16_t sl_coord_group_append(sl_coord_group_t *cg, sl_coord_batch_t *cb);
/* Removes the offsets whose map keys (as the offsets map's) are in keys,
 * tombstones first; an Empty group left without offsets is removed too
 * (its tombstone). 0 or the append's error (nothing removed). cg->mu held. */
int16_t sl_coord_offsets_remove_locked(sl_coord_group_t *cg, const sl_map_t *keys);
/* Does a member of the group (locked) subscribe to topic? 1 yes, 0 no, -1
 * unknown (not a consumer-protocol group, no members, or a subscription
 * that cannot be read). Decoded subscriptions come from arena. */
int sl_coord_subscribes(struct sl_group *g, sl_kstr_t topic, sl_arena_t *arena);
/* offset.metadata.max.bytes. */
int32_t sl_coord_offset_metadata_max(void);
/* Every existing group id of the loaded partitions, as malloc'ed strings
 * in a malloc'ed array (*out; free each and the array). Returns the count,
 * or -1 on no memory; *err is COORDINATOR_LOAD_IN_PROGRESS while some
 * partition is still loading (Kafka answers ListGroups so). */
int32_t sl_coord_group_ids(struct sl_broker *broker, char ***out, int16_t *err);
/* DeleteGroups of one group: tombstones of its offsets and of the group
 * are written, then it is emptied. 0, GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP,
 * COORDINATOR_LOAD_IN_PROGRESS, or an append error. */
int16_t sl_coord_group_delete(struct sl_broker *broker, sl_kstr_t id);

/* TxnOffsetCommit (group_api.c), entered in dispatch.c's table. */
struct sl_broker_req;
void sl_broker_handle_txn_offset_commit(struct sl_broker_req *req);

#endif /* SL_GROUP_INT_H */
