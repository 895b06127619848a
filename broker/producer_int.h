/*
 * producer_int.h - the idempotent producer: the internal manual of
 * producer_state.c (per-partition producer state and Kafka's sequence
 * rules), producer_ids.c (producer id allocation, persisted) and
 * producer_init.c (InitProducerId).
 *
 * Per partition, for each producer id seen, we keep its epoch and the
 * metadata of its last 5 batches (first/last sequence, first/last offset),
 * as Kafka's ProducerStateManager does. Produce checks a batch that carries
 * a producer id against that state and updates it after the append, both
 * under part->mu, so check, append and update are one step.
 *
 * Rules (Kafka 3.4, a produce from a client):
 *   - same epoch and exactly the sequence range of one of the last 5
 *     batches: a duplicate, not appended, answered as a success with the
 *     original batch's base offset (LogAppendTime -1);
 *   - an epoch below the producer's: INVALID_PRODUCER_EPOCH;
 *   - an epoch above it (a bumped epoch): its first sequence must be 0,
 *     else OUT_OF_ORDER_SEQUENCE_NUMBER; the batches of the old epoch are
 *     forgotten;
 *   - the same epoch: the first sequence must follow the last one (last + 1,
 *     or 0 after INT32_MAX), else OUT_OF_ORDER_SEQUENCE_NUMBER;
 *   - a producer the partition does not know: any sequence is accepted
 *     (since KIP-360 Kafka no longer answers UNKNOWN_PRODUCER_ID here: its
 *     state may have gone with retention or DeleteRecords).
 *
 * Where the state lives: a process-wide table keyed by (topic id,
 * partition index), created on first use. A partition's entry is rebuilt
 * from its log the first time an idempotent batch reaches it after start
 * (every batch header of the log is read: producer id, epoch, base sequence,
 * last offset delta), so a restart, clean or not, loses no producer that
 * still has batches in the log. There are no snapshot files yet: the
 * rebuild reads the whole log once. Topic ids are never reused, so entries
 * of deleted topics are never found again (they are not freed before exit).
 *
 * Producer ids: blocks of SL_PRODUCER_ID_BLOCK ids. The start of the next
 * unused block is persisted in <first log dir>/.sluice/producer_ids (a
 * .tmp file written, fsynced and renamed) before any id of the current
 * block is handed out, so ids are never reused across restarts (a restart
 * skips what was left of its block).
 *
 * Test hook: when the environment variable SLUICE_TEST_DROP_AFTER_APPEND=N
 * (N >= 1) is set when the first Produce arrives, every Nth Produce that
 * appended something and would be answered has its connection closed
 * instead of its answer sent (logged as a warning), so tests can watch a
 * producer retry. Never set it outside tests.
 */
#ifndef SL_BROKER_PRODUCER_INT_H
#define SL_BROKER_PRODUCER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "broker_int.h"

#define SL_PRODUCER_MAX_BATCHES 5          /* batches remembered per producer */
#define SL_PRODUCER_ID_BLOCK 1000          /* ids reserved per persisted block */

typedef struct sl_producer_batch {
    int32_t first_seq;
    int32_t last_seq;
    int64_t first_offset;
    int64_t last_offset;
} sl_producer_batch_t;

typedef struct sl_producer_entry {
    int64_t producer_id;
    int16_t epoch;
    int nbatches;                                    /* 0..5, oldest first */
    sl_producer_batch_t batches[SL_PRODUCER_MAX_BATCHES];
} sl_producer_entry_t;

/* One partition's producers. */
typedef struct sl_producer_state {
    sl_map_t producers;  /* 8-byte producer id -> sl_producer_entry_t (owned) */
    bool loaded;         /* rebuilt from the log already */
} sl_producer_state_t;

/* Empty state. Free with sl_producer_state_fini. */
void sl_producer_state_init(sl_producer_state_t *st);
void sl_producer_state_fini(sl_producer_state_t *st);

/* The entry of a producer id, or NULL. Borrowed from st. */
const sl_producer_entry_t *sl_producer_state_find(const sl_producer_state_t *st, int64_t producer_id);

/* seq + delta with Kafka's wrap at INT32_MAX (to 0). delta >= 0. */
int32_t sl_producer_seq_add(int32_t seq, int32_t delta);

/* Judges a client's batch (producer_id >= 0) by the rules above. Returns 0
 * to append it, or the Kafka error code (OUT_OF_ORDER_SEQUENCE_NUMBER,
 * INVALID_PRODUCER_EPOCH) with msg saying why. *dup (may be NULL) is set
 * when 0 comes back for a duplicate: then dup_out holds the original batch
 * and nothing must be appended. Pure: st is not changed. */
int16_t sl_producer_state_check(const sl_producer_state_t *st, int64_t producer_id, int16_t epoch,
                                int32_t first_seq, int32_t last_offset_delta, bool *dup,
                                sl_producer_batch_t *dup_out, char *msg, size_t msglen);

/* Records an appended batch (offsets first_offset..last_offset): a higher
 * epoch replaces the entry's epoch and forgets its batches; a lower one is
 * ignored (rebuild only; the check refuses it); the batch becomes the
 * newest of the last 5. SL_OK or SL_ERR_NOMEM (st unchanged). */
sl_err_t sl_producer_state_update(sl_producer_state_t *st, int64_t producer_id, int16_t epoch, int32_t first_seq,
                                  int32_t last_offset_delta, int64_t first_offset, int64_t last_offset);

/* Applies every batch with a producer id in blob[0..len) (whole batches as
 * stored in a segment; control batches and batches ending below
 * from_offset are skipped) to st with sl_producer_state_update. *next gets
 * the offset after the last batch read (from_offset if none). Stops
 * quietly at a truncated tail. SL_OK, SL_ERR_NOMEM, SL_ERR_CORRUPT_MESSAGE
 * (bytes that are not batches; what came before is applied). */
sl_err_t sl_producer_state_load_blob(sl_producer_state_t *st, const uint8_t *blob, size_t len, int64_t from_offset,
                                     int64_t *next);

/* Rebuilds st from the whole of log (sl_log_read from the start offset,
 * a MiB at a time) and marks it loaded. Caller holds part->mu.
 * SL_OK, SL_ERR_IO, SL_ERR_NOMEM. */
sl_err_t sl_producer_state_rebuild(sl_producer_state_t *st, sl_log_t *log);

/* The state of part from the process-wide table, created empty (not
 * loaded) on first use; NULL on no memory. The pointer stays valid for
 * the life of the process; use it under part->mu only. Thread: any. */
sl_producer_state_t *sl_producer_state_of(const sl_partition_t *part);

/* Hands out the next producer id for the broker's first log dir,
 * persisting a new block when the current one is used up. SL_OK;
 * SL_ERR_IO (the file could not be read or written; logged);
 * SL_ERR_CORRUPT_MESSAGE (the file does not hold a number). Thread: any
 * (a process-wide mutex). */
sl_err_t sl_producer_id_next(const char *log_dir, int64_t *out);

/* The test hook's decision for one Produce about to be answered: true
 * when its connection must be dropped instead. Thread: any. */
bool sl_producer_test_drop_now(void);

#endif /* SL_BROKER_PRODUCER_INT_H */
