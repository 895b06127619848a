/*
 * group_int.h - the group coordinator's internals shared by broker/group/:
 * committed offsets in memory and their durable record form (offsets.c).
 * The state machine of one group is group.h; the request handlers and the
 * coordinator's threading are in group_api.c.
 */
#ifndef SL_GROUP_INT_H
#define SL_GROUP_INT_H

#include <stdint.h>

#include "base.h"
#include "proto.h"

/* Kafka's offset.metadata.max.bytes default: longer metadata is refused
 * with OFFSET_METADATA_TOO_LARGE. */
#define SL_GROUP_OFFSET_METADATA_MAX 4096

/* One committed offset. */
typedef struct sl_offset {
    int64_t offset;
    int32_t leader_epoch;              /* -1: none */
    char *metadata;                    /* owned; NULL: null */
    int64_t commit_ts;                 /* wall clock, ms */
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
/* Splits a map key into topic (borrowed from the key) and partition. */
void sl_offsets_key_split(const void *key, size_t klen, sl_kstr_t *topic, int32_t *partition);

/* The durable form of one commit, Kafka's __consumer_offsets record
 * bodies: OffsetCommitKey v1 (int16 1, string group, string topic, int32
 * partition) and OffsetCommitValue v3 (int16 3, int64 offset, int32 leader
 * epoch, nullable string metadata, int64 commit timestamp); o NULL writes a
 * tombstone (no value: the offset was deleted). In the coordinator's file
 * each is framed as int32 size, uint32 crc32c of what follows, int32 key
 * size, key, int32 value size (-1: tombstone), value. */
void sl_offsets_record_append(sl_buf_t *out, sl_kstr_t group, sl_kstr_t topic, int32_t partition,
                              const sl_offset_t *o);
/* Reads one framed record from rd: group and topic borrow rd's bytes,
 * o->metadata is NULL (the metadata is in *metadata, borrowed); *deleted
 * says it was a tombstone (o is then not filled). SL_OK; SL_ERR_TRUNCATED
 * (the rest is a partial record); SL_ERR_CRC (checksum) or SL_ERR_PARSE
 * (layout wrong); SL_ERR_UNSUPPORTED (another key or value version). */
sl_err_t sl_offsets_record_read(sl_rd_t *rd, sl_kstr_t *group, sl_kstr_t *topic, int32_t *partition, sl_offset_t *o,
                                sl_kstr_t *metadata, bool *deleted);

/* ======================================================================
 * The coordinator's groups (group_api.c), for the admin handlers
 * (group_admin.c). A group pointer stays valid for the life of the
 * process (deleted groups are emptied, not freed).
 * ====================================================================== */

struct sl_broker;
typedef struct sl_coord_group sl_coord_group_t;
struct sl_group;

/* The group named id, or NULL when it does not exist. A group exists when
 * it has members or committed offsets (Kafka drops the others). */
sl_coord_group_t *sl_coord_group_find(struct sl_broker *broker, sl_kstr_t id);
/* Takes the group's mutex and returns its state machine (ticked to now). */
struct sl_group *sl_coord_group_lock(sl_coord_group_t *cg);
void sl_coord_group_unlock(sl_coord_group_t *cg);
/* Every existing group id, as malloc'ed strings in a malloc'ed array
 * (*out; free each and the array). Returns the count, or -1 on no memory. */
int32_t sl_coord_group_ids(struct sl_broker *broker, char ***out);
/* DeleteGroups of one group: its offsets are dropped (tombstones written
 * first). 0, GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, COORDINATOR_NOT_AVAILABLE
 * (the file write failed). */
int16_t sl_coord_group_delete(struct sl_broker *broker, sl_kstr_t id);

#endif /* SL_GROUP_INT_H */
