/*
 * producer_int.h - the idempotent producer: the internal manual of
 * producer_state.c (per-partition producer state, Kafka's sequence rules,
 * expiry, the process-wide table), producer_snapshot.c (snapshot files),
 * producer_ids.c (producer id allocation, persisted) and producer_init.c
 * (InitProducerId).
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
 * partition index). The registry attaches each partition when it opens its
 * log (sl_producer_part_attach: the partition directory, the expiry
 * setting), drops its entry when the topic is deleted (the snapshot files go
 * with the directory) and closes it at shutdown (sl_producer_part_close). A
 * partition's state is loaded the first time something needs it after
 * start (sl_producer_state_ensure: an idempotent or transactional batch, a
 * marker, the last stable offset of a Fetch or ListOffsets): from the
 * newest usable snapshot, then the batch headers after it (producer id,
 * epoch, base sequence, last offset delta, max timestamp, attributes; the
 * records are not read, except a marker's: sl_log_scan_batches); without a
 * usable snapshot, from every batch header of the log.
 *
 * Transactions (Kafka 3.4's ProducerStateManager; txn_int.h): a producer's
 * first transactional batch on the partition opens its transaction there
 * (txn_first_offset), a marker (control batch, commit or abort) closes it
 * and records the coordinator epoch; the partition's last stable offset is
 * the smallest open txn_first_offset. A producer with an open transaction
 * does not expire. Markers are written and applied by txn_partition.c; a
 * marker for a producer with nothing open is applied all the same.
 *
 * Snapshots (producer_snapshot.c): <partition dir>/<20-digit offset>.snapshot
 * holds the state as of that log end offset (every producer with its epoch,
 * last append time and last 5 batches). Layout, big-endian: "SLPS", int16
 * version (1), uint32 CRC-32C of everything after it, int64 offset (must
 * match the file name), int32 producer count, then per producer: int64 id,
 * int16 epoch, int64 last timestamp, int8 batch count (0..5) and per batch
 * int32 first/last sequence, int64 first/last offset. Written to a .tmp
 * file, fsynced, renamed, the directory fsynced; then only the two newest
 * are kept (an older one is the fallback when the newest is damaged). A
 * file that does not read back whole (magic, version, CRC, counts within
 * the file, offsets below its own, no trailing bytes) is logged, deleted
 * and the next older one tried.
 * Which snapshot is used: the newest whose offset lies in [log start, log
 * end], as Kafka: one above the log end describes batches an unclean
 * shutdown cut off (those are deleted at attach, before any append can
 * reuse their offsets); one below the log start would leave a gap of
 * deleted batches whose producers' sequences it does not know, and a stale
 * sequence answered OUT_OF_ORDER_SEQUENCE_NUMBER is fatal to a client,
 * whereas a forgotten producer is simply accepted (KIP-360).
 * When snapshots are written:
 *   - at clean shutdown (registry close, before the log closes), for every
 *     loaded state that changed or whose snapshot is behind the log end;
 *   - from housekeeping every SL_PRODUCER_SNAPSHOT_CHECK_MS, for a loaded
 *     state that changed, once SL_PRODUCER_SNAPSHOT_INTERVAL_MS passed since
 *     its last snapshot or the log grew by a segment.bytes since then (the
 *     size of Kafka's per-roll step); and, within one check, for one with
 *     producers that has no snapshot yet or whose newest snapshot fell
 *     below the log start (retention, DeleteRecords), so that a crash does
 *     not forget producers whose batches are gone. Kafka snapshots at each
 *     segment roll; the roll happens inside the log's append, which this
 *     module does not see, so time and growth stand in for it: after a crash
 *     the replay reads at most about a segment or an interval's appends.
 * A partition whose state was never loaded has nothing to snapshot: its
 * newest snapshot plus the log after it still describe it.
 *
 * Expiry (producer.id.expiration.ms, checked every
 * producer.id.expiration.check.interval.ms from housekeeping, and when a
 * state is loaded): a producer whose last batch is at least that old is
 * forgotten (Kafka's rule, currentTime - lastTimestamp >= expiration); its
 * next batch is then accepted at any sequence. A producer's last timestamp
 * is its last batch's max timestamp, as Kafka keeps it, both on append
 * (produce.c; under LogAppendTime the broker's stamp) and in the replay of
 * the log, so a producer whose batches carry old client timestamps expires
 * early, as in Kafka.
 * Retention and DeleteRecords forget nobody: as in Kafka, producers leave by
 * expiry only. The one exception, also Kafka's: a crash between such a
 * deletion and the next snapshot (at most one check) leaves only a snapshot
 * below the log start, which is not used, so the producers whose batches
 * went are forgotten (accepted at any sequence).
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
#define SL_PRODUCER_SNAPSHOTS_KEPT 2       /* snapshot files kept per partition */
#define SL_PRODUCER_SNAPSHOT_CHECK_MS 5000 /* housekeeping looks this often */
#define SL_PRODUCER_SNAPSHOT_INTERVAL_MS 30000 /* a changed state waits at most this */
#define SL_PRODUCER_SNAPSHOT_MAX_BYTES ((int64_t)1 << 30) /* larger files are refused */

typedef struct sl_producer_batch {
    int32_t first_seq;
    int32_t last_seq;
    int64_t first_offset;
    int64_t last_offset;
} sl_producer_batch_t;

typedef struct sl_producer_entry {
    int64_t producer_id;
    int64_t last_ts;                                 /* ms: its last batch (see Expiry) */
    int64_t txn_first_offset;                        /* first offset of its open
                                                      * transaction here; -1: none */
    int32_t coordinator_epoch;                       /* of its last marker; -1: none */
    int16_t epoch;
    int nbatches;                                    /* 0..5, oldest first */
    sl_producer_batch_t batches[SL_PRODUCER_MAX_BATCHES];
} sl_producer_entry_t;

/* One partition's producers. */
typedef struct sl_producer_state {
    sl_map_t producers;  /* 8-byte producer id -> sl_producer_entry_t (owned) */
    int32_t open_txns;   /* entries whose txn_first_offset >= 0 */
    bool loaded;         /* rebuilt from the log already */
    bool changed;        /* differs from its newest snapshot (or has none) */
    int64_t snap_offset; /* offset of the newest snapshot read or written; -1 */
    int64_t snap_ms;     /* wall clock when it was read or written */
    int64_t snap_size;   /* log size then (for the growth rule) */
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
 * newest of the last 5 and ts_ms the producer's last timestamp (update:
 * the wall clock now). Marks st changed. SL_OK or SL_ERR_NOMEM (st
 * unchanged). */
sl_err_t sl_producer_state_update(sl_producer_state_t *st, int64_t producer_id, int16_t epoch, int32_t first_seq,
                                  int32_t last_offset_delta, int64_t first_offset, int64_t last_offset);
sl_err_t sl_producer_state_update_at(sl_producer_state_t *st, int64_t producer_id, int16_t epoch, int32_t first_seq,
                                     int32_t last_offset_delta, int64_t first_offset, int64_t last_offset,
                                     int64_t ts_ms);

/* ---- transactions (Kafka 3.4's ProducerStateManager) ---- */

/* A transaction a marker ended. */
typedef struct sl_producer_txn {
    int64_t producer_id;
    int64_t first_offset;   /* its first transactional batch; -1: none was open */
    int64_t last_offset;    /* the marker's offset */
} sl_producer_txn_t;

/* After sl_producer_state_update_at for a transactional batch at
 * first_offset: opens the producer's transaction there unless one is open.
 * The producer must have an entry (the update made it). */
void sl_producer_state_txn_begin(sl_producer_state_t *st, int64_t producer_id, int64_t first_offset);

/* A marker (commit or abort) of producer_id/epoch with coordinator_epoch
 * was appended at marker_offset: closes the producer's open transaction
 * (an unknown producer gets an entry, as in Kafka; a higher epoch becomes
 * the producer's, forgetting its batches). *done (may be NULL) gets the
 * closed transaction (first_offset -1 when none was open). Marks st
 * changed. SL_OK or SL_ERR_NOMEM (st unchanged). */
sl_err_t sl_producer_state_txn_end(sl_producer_state_t *st, int64_t producer_id, int16_t epoch,
                                   int32_t coordinator_epoch, int64_t marker_offset, int64_t ts_ms,
                                   sl_producer_txn_t *done);

/* The first offset of the oldest open transaction, or -1 when none is
 * open. O(1) without open transactions, else O(producers). */
int64_t sl_producer_state_first_open(const sl_producer_state_t *st);

/* Forgets every producer whose last timestamp is expiration_ms or more
 * before now_ms (marking st changed if any); a producer with an open
 * transaction stays (Kafka's rule). Returns how many went. */
size_t sl_producer_state_expire(sl_producer_state_t *st, int64_t now_ms, int64_t expiration_ms);

/* Applies every batch with a producer id in blob[0..len) (whole batches as
 * stored in a segment; batches ending below from_offset are skipped) to st
 * with sl_producer_state_update; a transactional batch opens its
 * producer's transaction, a control batch holding a marker closes it
 * (the aborted ones are the log's to index: log.h). *next gets
 * the offset after the last batch read (from_offset if none). Stops
 * quietly at a truncated tail. SL_OK, SL_ERR_NOMEM, SL_ERR_CORRUPT_MESSAGE
 * (bytes that are not batches; what came before is applied). */
sl_err_t sl_producer_state_load_blob(sl_producer_state_t *st, const uint8_t *blob, size_t len, int64_t from_offset,
                                     int64_t *next);

/* The state of part, loaded from its snapshot and log when it is not yet
 * (as produce does on the first idempotent batch). part->mu held, part->log
 * set. *out gets the state. SL_OK, SL_ERR_NOMEM, SL_ERR_IO (logged). */
sl_err_t sl_producer_state_ensure(sl_partition_t *part, sl_producer_state_t **out);

/* Loads an empty st for log: from the newest usable snapshot in dir (see
 * "Which snapshot is used"; dir NULL: none), then the batches of log after
 * it (sl_log_read, a MiB at a time), or from the log start when no
 * snapshot serves; then forgets producers expired at now_ms
 * (expiration_ms <= 0: none). Marks st loaded; st->changed tells whether
 * it differs from the snapshot it started from. On error st is left
 * empty, not loaded. SL_OK, SL_ERR_IO, SL_ERR_NOMEM. */
sl_err_t sl_producer_state_load(sl_producer_state_t *st, sl_log_t *log, const char *dir, int64_t expiration_ms,
                                int64_t now_ms);

/* sl_producer_state_load for a state of the table with its partition's
 * directory and expiry (a state from elsewhere: every batch of the log, no
 * expiry). Caller holds part->mu. SL_OK, SL_ERR_IO, SL_ERR_NOMEM. */
sl_err_t sl_producer_state_rebuild(sl_producer_state_t *st, sl_log_t *log);

/* The state of part from the process-wide table, created empty (not
 * loaded) on first use; NULL on no memory. The pointer stays valid until
 * the partition is dropped or closed (below); use it under part->mu only.
 * Thread: any. */
sl_producer_state_t *sl_producer_state_of(const sl_partition_t *part);

/* ---- the partition's life (registry.c, maint.c) ----
 * Each takes the table's mutex inside; the caller holds what it says. */

/* A partition's log was opened (dir, log borrowed; under admin_mu or at
 * start-up): remembers dir and expiration_ms for its state, and removes
 * snapshot files it must not use: those above the log end (cut by
 * recovery), leftover .tmp files, and all of them when fresh (a new
 * partition in a directory left by an earlier topic). SL_OK or
 * SL_ERR_NOMEM (the state then works without snapshots). */
sl_err_t sl_producer_part_attach(const sl_partition_t *part, const char *dir, sl_log_t *log, bool fresh,
                                 int64_t expiration_ms);

/* Clean shutdown, part->mu held, log still open (borrowed): writes a
 * snapshot at the log end when the state is loaded and changed or its
 * snapshot is behind, then frees the entry. Failures are logged. */
void sl_producer_part_close(const sl_partition_t *part, sl_log_t *log);

/* The topic is deleted or its creation failed (part->mu held or the
 * partition unpublished): frees the entry; its files go with the
 * directory. */
void sl_producer_part_drop(const sl_partition_t *part);

/* Housekeeping, part->mu held: a snapshot when due (see "When snapshots
 * are written"); failures are logged and retried at the next check. */
void sl_producer_part_snapshot_if_due(const sl_partition_t *part, sl_log_t *log, int64_t now_ms);

/* Housekeeping, part->mu held: expires the loaded state's idle producers
 * (sl_producer_state_expire with the attached expiration). Returns how
 * many went. */
size_t sl_producer_part_expire(const sl_partition_t *part, int64_t now_ms);

/* ---- snapshot files (producer_snapshot.c) ---- */

/* Serialises st as a snapshot at offset (the layout above), appended to
 * out. SL_OK or SL_ERR_NOMEM. */
sl_err_t sl_producer_snapshot_encode(const sl_producer_state_t *st, int64_t offset, sl_buf_t *out);

/* Reads snapshot bytes p[0..len) (untrusted) into st, which must be empty;
 * *offset gets the offset the file says. SL_OK; SL_ERR_CORRUPT_MESSAGE
 * with why filled (st then empty again); SL_ERR_NOMEM. */
sl_err_t sl_producer_snapshot_decode(sl_producer_state_t *st, const uint8_t *p, size_t len, int64_t *offset,
                                     char *why, size_t whylen);

/* Writes st as <dir>/<offset>.snapshot (tmp, fsync, rename, directory
 * fsync), then removes every other snapshot except the newest below it
 * (so SL_PRODUCER_SNAPSHOTS_KEPT remain). SL_OK, SL_ERR_IO (logged),
 * SL_ERR_NOMEM. */
sl_err_t sl_producer_snapshot_write(const char *dir, const sl_producer_state_t *st, int64_t offset);

/* Fills the empty st from the newest snapshot in dir whose offset is in
 * [min_offset, max_offset]; a damaged one is logged, deleted, and the next
 * older tried. *offset gets the snapshot's offset, -1 when none served
 * (st empty). SL_OK (also when none), SL_ERR_NOMEM, SL_ERR_IO (the
 * directory cannot be listed). */
sl_err_t sl_producer_snapshot_read_newest(const char *dir, sl_producer_state_t *st, int64_t min_offset,
                                          int64_t max_offset, int64_t *offset);

/* Removes the snapshots of dir above max_offset (all when max_offset < 0)
 * and leftover snapshot .tmp files, logging each. SL_OK or SL_ERR_IO (the
 * directory cannot be listed). */
sl_err_t sl_producer_snapshot_prune(const char *dir, int64_t max_offset);

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
