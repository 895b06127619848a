/*
 * log.h - the manual of the broker's partition log (libsluice-log): one
 * partition's durable, segmented record log in Kafka's on-disk layout.
 *
 *   <dir> = <log.dir>/<topic>-<partition>/
 *     00000000000000000000.log        record batches v2, back to back, as
 *                                     received (offsets assigned in place)
 *     00000000000000000000.index      sparse offset index: 8-byte entries
 *                                     (int32 relative offset, int32 file
 *                                     position), big-endian, one every
 *                                     index_interval_bytes of log
 *     00000000000000000000.timeindex  12-byte entries (int64 max timestamp
 *                                     so far, int32 relative offset)
 *     00000000000000000000.txnindex   aborted transactions whose abort marker
 *                                     is in the segment (see Transactions);
 *                                     absent when there are none
 *     log-start-offset-checkpoint     "0\n<offset>\n": the start offset set
 *                                     by DeleteRecords (written to a .tmp
 *                                     file, fsynced, renamed)
 *     leader-epoch-checkpoint, partition.metadata   (owned by the broker)
 *   Segment file names are the segment's base offset, 20 digits.
 *
 * Indexes, as Kafka writes them: an offset-index entry names a batch by its
 * last offset and its position; one is added for the first batch appended
 * after more than index_interval_bytes since the previous entry. A time-index
 * entry (largest timestamp so far, last offset of the batch that reached it)
 * is added at the same moments when that timestamp grew, and once more when
 * the segment stops being active (roll, close). Index files are not
 * preallocated: entries are appended to them (at flush, roll and close), so
 * a file is exactly its entries. A file preallocated by Kafka (ending in
 * zero entries) opens too: the zero tail is ignored and cut on the next
 * write. Nothing read from an index file is trusted until the batch it
 * points at agrees (a lookup that lands elsewhere walks the segment instead).
 *
 * A log is single-threaded: the broker serializes every call on one log
 * (a mutex per partition). Different logs may be used from different threads.
 *
 * Durability: appends go to the page cache, one pwrite(2) per call.
 * sl_log_flush() fdatasyncs everything appended so far. A roll does not
 * wait for the segment it leaves to reach the disk (that would stall the
 * appender for the writeback of a whole segment): the broker syncs rolled
 * segments later, without the partition lock (sl_log_sync_*), as Kafka
 * flushes a rolled segment in the background. The recovery point file
 * (recovery-point-offset-checkpoint) says below which offset every segment
 * is on disk; an unclean open fully recovers (CRC and all) every segment
 * holding offsets at or above it, and when one of those has a torn tail,
 * the segments after it are deleted, as Kafka does (the log stays
 * contiguous). Without the file (logs of older versions, whose rolls
 * synced) only the active segment is recovered. Creating or deleting
 * segment files fsyncs the directory. The broker decides when to flush
 * (flush policy, group commit); the log only remembers how much is
 * flushed.
 *
 * File descriptors and memory: the active segment's log file stays open;
 * other segments are opened when read, and at most 4 of them stay open
 * (log descriptor, index files mapped read-only), least recently read
 * closed first, so a log of 1000 segments holds about 5 descriptors. Index
 * files are otherwise opened only to be read or written. The active
 * segment's index entries are kept in memory (at most max_index_bytes,
 * since a full index rolls). As with Kafka, index files must not be cut by
 * another process while the log is open (a mapped file that shrinks faults).
 *
 * Damaged files never crash the broker: every length and offset read from
 * disk is checked before use, allocation never follows a length read from a
 * file beyond the bytes the file has, and a segment region that does not
 * parse is skipped by reads (with a warning) rather than served.
 *
 * Errors (sl_err_t, base/base.h): SL_ERR_IO (a system call failed; the log
 * says which file and errno in its message buffer and in the broker log; the
 * broker answers KAFKA_STORAGE_ERROR), SL_ERR_NOMEM, SL_ERR_OFFSET_OUT_OF_RANGE,
 * SL_ERR_INVAL (bad arguments), SL_ERR_CORRUPT_MESSAGE (refused batch bytes).
 * Errors that are the caller's (out of range, bad batches, bad arguments)
 * are only put in the message buffer (and logged at debug level); trouble
 * with the files is logged as a warning (module "log").
 */
#ifndef SL_BROKER_LOG_H
#define SL_BROKER_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sl_log sl_log_t;

/* Per-log settings (the topic's effective config). Copied by open/set. */
typedef struct sl_log_config {
    int64_t segment_bytes;        /* roll when the active segment would pass this */
    int64_t segment_ms;           /* roll when the active segment's first batch is
                                   * older than this (by append wall time); <= 0: never */
    int64_t retention_ms;         /* delete segments whose newest timestamp is
                                   * older; < 0: keep forever */
    int64_t retention_bytes;      /* delete oldest segments while the log is larger;
                                   * < 0: no limit */
    int32_t index_interval_bytes; /* bytes of log between offset-index entries */
    int32_t max_index_bytes;      /* size of each index file when preallocated;
                                   * also rolls the segment when the index is full */
    bool log_append_time;         /* message.timestamp.type=LogAppendTime */
} sl_log_config_t;

/* Kafka's defaults (segment 1 GiB, retention 7 days / unlimited bytes, index
 * every 4096 bytes, index files 10 MiB, CreateTime). */
void sl_log_config_defaults(sl_log_config_t *cfg);

/* Opens (creating if missing) the log in dir. If clean_shutdown is false the
 * active (last) segment is recovered: its batches are validated one by one
 * (sizes, magic, CRC) and the file is truncated after the last good batch;
 * its indexes are rebuilt. Missing or corrupt (size not a multiple of the
 * entry size, entries out of order, pointing past the log) index files of
 * any segment are rebuilt from the log file in every case. What was cut is
 * logged (module "log") with file and byte counts.
 * Also, in every case: each segment is checked from its last offset-index
 * entry to its end (batch headers), and any disagreement (a torn or
 * zero-filled tail, an index that does not match the batches, a time index
 * missing the segment's largest timestamp) recovers that segment as above.
 * A cleaner swap cut short is undone or finished (see Compaction, Swap);
 * files ending in .deleted, .cleaned or .swap, index files without a
 * .log and leftover checkpoint .tmp files are removed; a .log whose name is not 20
 * digits is logged and skipped. A segment whose first batch has a base
 * offset below its file name cannot be indexed: it is renamed
 * <name>.log.misnamed, logged, and left out. Segments that overlap are
 * logged; appends always continue above the largest offset found (in a new
 * segment if need be), so offsets stay monotonic.
 * The log start offset is the first segment's base offset, or the persisted
 * DeleteRecords checkpoint when larger (at most the end offset).
 * *out gets the log (NULL on error). SL_OK, SL_ERR_IO, SL_ERR_NOMEM,
 * SL_ERR_INVAL. */
sl_err_t sl_log_open(const char *dir, const sl_log_config_t *cfg, bool clean_shutdown, sl_log_t **out);

/* Flushes (fsync) and closes every file, frees the log. Accepts NULL.
 * Returns the first error of the final flush (the log is freed anyway). */
sl_err_t sl_log_close(sl_log_t *log);

/* Closes the log and removes its directory and every file in it
 * (DeleteTopics). The log is freed either way. SL_OK or SL_ERR_IO. */
sl_err_t sl_log_delete(sl_log_t *log);

/* Changes the settings (AlterConfigs). Takes effect for the next append,
 * roll and retention pass. Out-of-range values are clamped: segment_bytes
 * <= 0 or above INT32_MAX means INT32_MAX (positions in the index are
 * int32), a negative index interval means 0, max_index_bytes below 12
 * means 12 (one time-index entry). */
void sl_log_set_config(sl_log_t *log, const sl_log_config_t *cfg);

/* What an append did. */
typedef struct sl_log_append_info {
    int64_t base_offset;      /* offset given to the first record */
    int64_t last_offset;      /* offset of the last record */
    int64_t log_append_time;  /* now_ms under LogAppendTime, else -1 */
    int32_t batches;          /* batches appended */
} sl_log_append_info_t;

/* Appends the record batches in data[0..len) (caller-owned, MODIFIED in
 * place: baseOffset and partitionLeaderEpoch are set to the log's next
 * offsets and leader_epoch; under LogAppendTime the timestamp type and
 * maxTimestamp are set to now_ms and the CRC recomputed). The bytes must
 * already be whole, validated batches (the broker checked CRC, record counts
 * and sizes with proto/records.h); the log re-reads only their headers.
 * Rolls to a new segment first when the active one would pass segment_bytes
 * or is older than segment_ms, or its index is full. Either every batch is
 * appended or none is (a failed write is truncated away).
 * Details: "older than segment_ms" counts from now_ms of the segment's first
 * append (for a segment found on disk, from its first batch's max timestamp);
 * a non-empty segment also rolls when the new offsets would not fit its
 * int32 relative offsets. An empty segment never rolls, so a batch larger
 * than segment_bytes is stored alone in its own segment. The bytes are
 * written with one pwrite(2); if it fails (ENOSPC, EFBIG...) the file is cut
 * back to its size before the call, the log is unchanged (data[] keeps its
 * patched offsets) and a retry may follow.
 * SL_OK with *info filled (info may be NULL); SL_ERR_IO; SL_ERR_CORRUPT_MESSAGE
 * (not whole batches, or a header no producer sends: magic other than 2, a
 * negative last offset delta or record count); SL_ERR_INVAL (data NULL, len
 * 0 or above INT32_MAX, offsets that would overflow). */
sl_err_t sl_log_append(sl_log_t *log, uint8_t *data, size_t len, int32_t leader_epoch, int64_t now_ms,
                       sl_log_append_info_t *info);

/* Walks the batches from the one holding offset from (batches ending below
 * it are skipped) to the log end without reading their records: fn gets
 * each batch's first SL_BATCH_HEADER_SIZE bytes (header fields, not
 * CRC-checked), or the whole batch for a control batch of at most 1 MiB
 * (so its marker can be read). p is valid during the call only. Bytes of a
 * segment that do not parse end that segment's walk, as reads skip them.
 * A non-SL_OK answer of fn stops the walk and is returned. Otherwise SL_OK,
 * SL_ERR_IO, SL_ERR_NOMEM, SL_ERR_INVAL. */
typedef sl_err_t (*sl_log_batch_fn)(void *ctx, const uint8_t *p, size_t len);
sl_err_t sl_log_scan_batches(sl_log_t *log, int64_t from, sl_log_batch_fn fn, void *ctx);

/* ---- Transactions: the aborted transaction index (txnindex.c) ----
 * For each abort marker the broker writes (sl_log_txn_abort_add), the
 * aborted transaction is appended to the .txnindex of the segment holding
 * the marker, in Kafka's format: 34-byte big-endian entries (int16 version
 * 0, int64 producer id, int64 first offset, int64 last offset = the
 * marker's offset, int64 last stable offset right after the abort). Each
 * entry is written and fdatasynced at once (aborts are rare), and kept in
 * memory too (34 bytes an abort, until its segment goes), so read_committed
 * fetches never read the files. The files go with their segment
 * (retention, DeleteRecords, deletion); after a cleaning pass merged
 * segments the files are rewritten from memory.
 * At open every .txnindex is read and checked (whole entries, version 0,
 * offsets within the segment and in order). Entries beyond the log end (a
 * marker that a crash cut off) are dropped. When a file is damaged, or
 * after an unclean shutdown an abort marker of the active segment has no
 * entry (the crash came between the marker and its entry), every .txnindex
 * is rebuilt from a scan of the whole log's batch headers (a transactional
 * batch opens its producer's transaction unless one is open; a commit or
 * abort marker closes it; an abort gives an entry): simple and always
 * right, at the price of reading the log's headers once. Batches below the
 * log start are not seen, so a transaction that began there and is
 * aborted later has its first offset at the first transactional batch the
 * scan saw. */
typedef struct sl_log_txn_aborted {
    int64_t producer_id;
    int64_t first_offset;
    int64_t last_offset;        /* the abort marker's offset */
    int64_t last_stable_offset; /* the LSO right after the abort (below the
                                 * marker when another transaction is open) */
} sl_log_txn_aborted_t;

/* Records an aborted transaction whose marker was just appended
 * (a->last_offset in the active segment, above any recorded one). SL_OK,
 * SL_ERR_INVAL, SL_ERR_IO (the file write or its fsync failed: the entry is
 * still kept in memory), SL_ERR_NOMEM. */
sl_err_t sl_log_txn_abort_add(sl_log_t *log, const sl_log_txn_aborted_t *a);

/* The aborted transactions overlapping [from, upto) (last offset >= from,
 * first offset < upto), in marker order, as Kafka's collectAbortedTxns:
 * the search stops at the first entry whose last stable offset reaches
 * upto. *out gets up to max entries (borrowed copy into the caller's
 * array), *n how many. Returns true when more than max overlapped (the
 * caller may retry with more room). */
bool sl_log_txn_aborted(const sl_log_t *log, int64_t from, int64_t upto, sl_log_txn_aborted_t *out, size_t max,
                        size_t *n);

/* First offset still in the log (advanced by retention and DeleteRecords). */
int64_t sl_log_start_offset(const sl_log_t *log);
/* Offset the next appended record will get (log end offset; the high
 * watermark on a single broker). */
int64_t sl_log_end_offset(const sl_log_t *log);
/* Bytes in all segments. */
int64_t sl_log_size(const sl_log_t *log);
/* Records appended since the last flush, and the wall time (ms) of the last
 * flush (for flush.messages / flush.ms). */
int64_t sl_log_unflushed_messages(const sl_log_t *log);
int64_t sl_log_last_flush_ms(const sl_log_t *log);
/* Number of segments (for tests and metrics). */
size_t sl_log_segment_count(const sl_log_t *log);

/* fsyncs everything appended so far and records it as flushed: rolled
 * segments not synced yet first (rare: the broker syncs them soon after a
 * roll), then the active segment's log file; its new index entries are
 * written to the index files, which are fsynced later (an unclean open
 * rebuilds them). Cheap when nothing is unflushed. After it returns SL_OK,
 * no crash loses what was appended before it. SL_OK or SL_ERR_IO. */
sl_err_t sl_log_flush(sl_log_t *log, int64_t now_ms);

/* Syncing rolled segments without holding the log: prepare (with the log
 * serialized, cheap) lists the rolled segments not on disk yet (*out NULL
 * when none); run (no lock, any thread; the log may be used meanwhile)
 * fdatasyncs their files by name (a file deleted meanwhile is skipped);
 * finish (serialized again) marks them synced and moves the recovery point
 * (its file written when it moved). prepare: SL_OK, SL_ERR_NOMEM. run:
 * SL_OK, SL_ERR_IO (sl_log_sync_errmsg says which file). finish: SL_OK,
 * SL_ERR_IO (the recovery point file; errmsg). The job is freed by
 * sl_log_sync_job_free (accepts NULL) and must not outlive the log.
 * prepare may also find nothing left to sync and move the recovery point
 * itself (SL_ERR_IO when its file cannot be written). */
typedef struct sl_log_sync_job sl_log_sync_job_t;
sl_err_t sl_log_sync_prepare(sl_log_t *log, sl_log_sync_job_t **out);
sl_err_t sl_log_sync_run(sl_log_sync_job_t *job);
const char *sl_log_sync_errmsg(const sl_log_sync_job_t *job);
sl_err_t sl_log_sync_finish(sl_log_t *log, sl_log_sync_job_t *job);
void sl_log_sync_job_free(sl_log_sync_job_t *job);

/* A run of whole batches in one segment file, to send as a Fetch's records. */
typedef struct sl_log_slice {
    int fd;           /* a dup of the segment file's descriptor, owned by the
                       * caller: close it (sl_log_slice_release). -1 when empty */
    int64_t pos;      /* file position of the first byte */
    int32_t len;      /* bytes (0 when there is nothing at or after offset) */
    int64_t first_offset; /* base offset of the first batch in the slice */
    int64_t end_offset;   /* every offset in the slice is below it (the
                           * next batch's base offset, or the last batch's
                           * last offset + 1); first_offset when empty */
} sl_log_slice_t;

/* Finds the batches holding offset and after it, in the segment containing
 * offset, at most max_bytes, but at least the first whole batch when
 * min_one is true even if it is larger (Kafka's KIP-74 rule). Reads end at
 * the segment's end: a consumer fetches again for the next segment.
 * offset == end offset gives an empty slice (len 0). offset outside
 * [start offset, end offset] gives SL_ERR_OFFSET_OUT_OF_RANGE. The batch
 * holding offset may start before offset (consumers skip the records before).
 * When max_bytes is smaller than the first batch and min_one is false, the
 * slice is empty (len 0, fd -1). Batches are served as stored: their
 * framing (lengths, magic) was checked, their CRC is the consumer's to check
 * (as with Kafka). Bytes of a segment that do not parse are skipped with a
 * warning (the read continues in the next segment). The dup'ed fd keeps the
 * bytes readable even if retention deletes the segment meanwhile.
 * SL_OK, SL_ERR_OFFSET_OUT_OF_RANGE, SL_ERR_IO, SL_ERR_INVAL (NULL). */
sl_err_t sl_log_read(sl_log_t *log, int64_t offset, int32_t max_bytes, bool min_one, sl_log_slice_t *out);
/* As sl_log_read, but the slice holds only batches whose last offset is
 * below max_offset (a read_committed fetch stops at the last stable
 * offset, a batch boundary): when the batch holding offset reaches
 * max_offset the slice is empty, min_one or not. sl_log_read is this with
 * max_offset INT64_MAX. */
sl_err_t sl_log_read_upto(sl_log_t *log, int64_t offset, int32_t max_bytes, bool min_one, int64_t max_offset,
                          sl_log_slice_t *out);

/* Closes slice->fd (if any) and empties the slice. Accepts NULL and empty
 * slices; calling it twice is harmless. */
void sl_log_slice_release(sl_log_slice_t *slice);
/* Convenience for callers without sendfile: preads the slice into buf
 * (appended; an empty slice appends nothing). It uses only the slice, so
 * it needs no lock on the log. SL_OK, SL_ERR_IO (the file
 * ended early), SL_ERR_NOMEM, SL_ERR_INVAL. */
sl_err_t sl_log_slice_read(const sl_log_slice_t *slice, sl_buf_t *buf);

/* ListOffsets by timestamp: the first offset whose batch max timestamp is >=
 * ts (time index lookup, then a scan of that segment), and that batch's max
 * timestamp. When no batch qualifies: *offset = -1, *timestamp = -1 (Kafka
 * answers that way). SL_OK or SL_ERR_IO.
 * Precisely, as Kafka answers: in the first batch (at or above the log start
 * offset) whose max timestamp is >= ts, the first record at or above the log
 * start offset whose timestamp is >= ts, and that record's timestamp (under
 * LogAppendTime every record carries the batch's max timestamp, so that is
 * the batch's first offset). The batch is read, CRC-checked and, when
 * compressed, decompressed for this; if that fails (damaged bytes, a batch
 * above 16 MiB) the answer is the batch's first offset and max timestamp.
 * Batches without a timestamp (-1) never qualify. */
sl_err_t sl_log_offset_for_time(sl_log_t *log, int64_t ts, int64_t *offset, int64_t *timestamp);
/* ListOffsets max timestamp (-3): offset and timestamp of the batch with the
 * largest max timestamp; -1/-1 on an empty log. The offset is that batch's
 * last offset (Kafka 3.4's answer); the earliest such batch on ties. Always
 * SL_OK. */
sl_err_t sl_log_max_timestamp(sl_log_t *log, int64_t *offset, int64_t *timestamp);

/* DeleteRecords: moves the log start offset to offset (start <= offset <=
 * end, else SL_ERR_OFFSET_OUT_OF_RANGE) and deletes segments entirely below
 * it. The new start offset is persisted (log-start-offset-checkpoint in dir)
 * so it survives restarts. SL_OK, SL_ERR_IO. The active segment is never
 * deleted (offset == end leaves an empty-looking log whose next append
 * continues at end). */
sl_err_t sl_log_delete_records(sl_log_t *log, int64_t offset);

/* Retention pass (called every log.retention.check.interval.ms): deletes
 * whole segments, oldest first, while retention_bytes is exceeded (the log
 * minus that segment still >= retention_bytes is Kafka's rule) or the
 * segment's newest timestamp is older than now_ms - retention_ms. Never
 * deletes the active segment, unless it is old enough by time and not empty,
 * in which case the log first rolls (Kafka does the same). Advances the log
 * start offset. *deleted (if not NULL) gets the number of segments deleted.
 * A segment's newest timestamp is its largest batch max timestamp, or the
 * file's modification time when no batch had one (Kafka's rule). Segments
 * below the log start offset (DeleteRecords) go in the same pass.
 * SL_OK or SL_ERR_IO. */
sl_err_t sl_log_retain(sl_log_t *log, int64_t now_ms, int *deleted);

/* ---- Compaction (cleanup.policy=compact) ----
 * The cleaner keeps the latest record of each key. Records keep their
 * offsets: a batch that loses records is rewritten with the survivors
 * (same base offset, lastOffsetDelta, timestamps, producer id/epoch/
 * sequence, attributes and codec; offset deltas then have gaps), a batch
 * that loses every record is dropped unless it is the last batch of its
 * producer id among the cleanable segments (it stays, empty, for the
 * producer's sequence state, as Kafka keeps it). Control batches are kept
 * as they are. Records without a key are dropped.
 * Only segments below the active one, and whose newest timestamp is at
 * least min_compaction_lag_ms old, are cleaned ("cleanable"). The offset up
 * to which the log was cleaned is persisted in cleaner-offset-checkpoint
 * ("0\n<offset>\n", written to a .tmp file, fsynced, renamed); the bytes of
 * cleanable segments at or above it are dirty. A pass runs when dirty /
 * cleanable bytes >= min_cleanable_dirty_ratio (and dirty > 0), or when
 * compaction is overdue: the earliest first-batch max timestamp (> 0) of
 * the dirty inactive segments is older than now_ms - max_compaction_lag_ms
 * (Kafka's rule; the lag still limits what is cleanable).
 * Key map: each key of the dirty range is kept as a 128-bit SipHash-2-4 of
 * the key, under a random key drawn per pass (so producers cannot choose
 * colliding keys; a collision would drop a live record, and for n keys its
 * chance is about n^2 / 2^129), with its latest offset: 24 bytes an entry,
 * in a table of at most dedupe_buffer_bytes filled to 90%, allocated once
 * per pass (smaller when the dirty range cannot hold that many keys). When
 * the dirty range has more keys, the pass ends at the last whole segment
 * whose keys fit (Kafka's rule), or, when not even the first dirty segment
 * fits, at the first record whose key did not fit (a prefix of that
 * segment); the checkpoint moves only that far and the next pass goes on
 * from there.
 * Tombstones (null value) stay until delete_retention_ms after their segment
 * was first cleaned: the cleaner stamps a segment's .log modification time
 * with now_ms when it first cleans it; a tombstone in a segment cleaned in
 * an earlier pass whose stamp is older than delete_retention_ms is removed.
 * A merged segment gets the latest stamp of the segments it was made from
 * (tombstones may then stay longer, never shorter).
 * Merging: the cleanable segments below the pass's end are rewritten in
 * order into groups, as Kafka's groupSegmentsBySize: consecutive segments
 * whose cleaned bytes fit segment_bytes, whose index entries (at most one
 * per index_interval_bytes and per batch) fit max_index_bytes and whose
 * offsets fit int32 relative offsets from the first one's base become one
 * segment named after the first one's base. A group of one segment that
 * lost nothing is left as it is. A segment whose batches do not parse is
 * left as it is, in no group.
 * Swap: build writes each group to <first base>.log.cleaned (fsynced);
 * install then, group by group: renames it to .log.swap (directory
 * fsynced), removes the members' index files, renames the other members'
 * .log files to .log.replaced (directory fsynced), renames the .swap over
 * <first base>.log (directory fsynced) and removes the .replaced files;
 * indexes are rebuilt. At most one .swap exists at a time, so open undoes
 * a swap cut short while its .swap is there (.replaced files get their
 * .log names back, then the .swap is removed) and finishes it otherwise
 * (leftover .replaced files removed); .cleaned files are removed. A crash
 * at any step leaves the old segments or the new one, whole: no record
 * lost, none twice. Readers holding a slice keep the old file's bytes. */
typedef struct sl_log_clean_opts {
    double min_cleanable_dirty_ratio; /* min.cleanable.dirty.ratio (0.5) */
    int64_t min_compaction_lag_ms;    /* min.compaction.lag.ms (0) */
    int64_t max_compaction_lag_ms;    /* max.compaction.lag.ms (INT64_MAX: never) */
    int64_t delete_retention_ms;      /* delete.retention.ms (86400000) */
    int64_t dedupe_buffer_bytes;      /* log.cleaner.dedupe.buffer.size (128 MiB);
                                       * at least 2 entries are used */
    int64_t first_unstable;           /* the partition's last stable offset (the first
                                       * offset of its oldest open transaction; INT64_MAX:
                                       * none): no segment reaching it is cleaned, so a
                                       * record of a transaction that may still abort
                                       * never supersedes a committed one (as Kafka) */
} sl_log_clean_opts_t;

/* Kafka's defaults, as noted above. */
void sl_log_clean_opts_defaults(sl_log_clean_opts_t *opts);

/* What a cleaning pass did. */
typedef struct sl_log_clean_info {
    bool ran;                 /* false: nothing cleanable or not dirty enough */
    int32_t segments;         /* segments rewritten ... */
    int32_t segments_after;   /* ... into this many (merged) segments */
    int64_t bytes_before;     /* bytes of the cleanable segments before ... */
    int64_t bytes_after;      /* ... and after */
    int64_t records_removed;  /* superseded records, tombstones, keyless */
    int64_t cleaned_to;       /* the checkpoint: the pass's end offset */
} sl_log_clean_info_t;

/* A pass runs in three steps so that the heavy part needs no lock:
 *   prepare (with the log serialized, cheap): decides the range, copies
 *     what it needs (directory, segment bases and sizes, segment and index
 *     limits) into *job; *job stays NULL when nothing is due. SL_OK,
 *     SL_ERR_NOMEM, SL_ERR_INVAL.
 *   build (WITHOUT the log: it touches only the job and the files): reads
 *     the cleanable segments (their files do not change while inactive:
 *     retention and DeleteRecords only delete whole files, which open
 *     descriptors keep readable), builds the key map and writes each
 *     group to <first base>.log.cleaned, fsynced. It must not run
 *     concurrently with another pass on the same log, nor with
 *     sl_log_delete (whose directory removal could then fail). Memory: the
 *     key map (at most dedupe_buffer_bytes), the producer ids seen, about
 *     2 MiB and one batch. SL_OK, SL_ERR_IO, SL_ERR_NOMEM.
 *   install (with the log serialized again): for each group whose
 *     segments are all still in the log as they were (DeleteRecords may
 *     have removed some), swaps it in (see Swap) and rebuilds its indexes;
 *     stamps first-cleaned segments; writes the checkpoint. info may be
 *     NULL. SL_OK, SL_ERR_IO, SL_ERR_NOMEM, SL_ERR_INVAL.
 * sl_log_clean_job_free removes .cleaned files not installed and frees
 * the job (accepts NULL). */
typedef struct sl_log_clean_job sl_log_clean_job_t;
sl_err_t sl_log_clean_prepare(sl_log_t *log, const sl_log_clean_opts_t *opts, int64_t now_ms,
                              sl_log_clean_job_t **job);
sl_err_t sl_log_clean_build(sl_log_clean_job_t *job);
sl_err_t sl_log_clean_install(sl_log_t *log, sl_log_clean_job_t *job, sl_log_clean_info_t *info);
void sl_log_clean_job_free(sl_log_clean_job_t *job);

/* The three steps at once, for callers that hold the log throughout.
 * info may be NULL. SL_OK (also when nothing was due), or the first step's
 * error. */
sl_err_t sl_log_clean(sl_log_t *log, const sl_log_clean_opts_t *opts, int64_t now_ms, sl_log_clean_info_t *info);

/* Rolls if the active segment is older than segment_ms (called on a timer so
 * idle partitions roll too). SL_OK or SL_ERR_IO. */
sl_err_t sl_log_roll_if_due(sl_log_t *log, int64_t now_ms);

/* The last error's message ("00000000000000000000.log: write: No space left
 * on device"), "" if none. Valid until the next call on the log. */
const char *sl_log_errmsg(const sl_log_t *log);

#ifdef __cplusplus
}
#endif
#endif /* SL_BROKER_LOG_H */
