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
 *     leader-epoch-checkpoint, partition.metadata   (owned by the broker)
 *   Segment file names are the segment's base offset, 20 digits.
 *
 * A log is single-threaded: the broker serializes every call on one log
 * (a mutex per partition). Different logs may be used from different threads.
 *
 * Durability: appends go to the page cache. sl_log_flush() fsyncs what was
 * appended so far (log file, then indexes). The broker decides when (flush
 * policy, group commit); the log only remembers how much is flushed.
 *
 * Errors (sl_err_t, base/base.h): SL_ERR_IO (a system call failed; the log
 * says which file and errno in its message buffer and in the broker log; the
 * broker answers KAFKA_STORAGE_ERROR), SL_ERR_NOMEM, SL_ERR_OFFSET_OUT_OF_RANGE,
 * SL_ERR_INVAL (bad arguments), SL_ERR_CORRUPT_MESSAGE (refused batch bytes).
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
 * *out gets the log. SL_OK, SL_ERR_IO, SL_ERR_NOMEM, SL_ERR_INVAL. */
sl_err_t sl_log_open(const char *dir, const sl_log_config_t *cfg, bool clean_shutdown, sl_log_t **out);

/* Flushes (fsync) and closes every file, frees the log. Accepts NULL.
 * Returns the first error of the final flush (the log is freed anyway). */
sl_err_t sl_log_close(sl_log_t *log);

/* Closes the log and removes its directory and every file in it (DeleteTopics). */
sl_err_t sl_log_delete(sl_log_t *log);

/* Changes the settings (AlterConfigs). Takes effect for the next append,
 * roll and retention pass. */
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
 * SL_OK with *info filled; SL_ERR_IO; SL_ERR_CORRUPT_MESSAGE (not whole
 * batches); SL_ERR_INVAL (len 0). */
sl_err_t sl_log_append(sl_log_t *log, uint8_t *data, size_t len, int32_t leader_epoch, int64_t now_ms,
                       sl_log_append_info_t *info);

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

/* fsyncs everything appended so far (log files first, then indexes) and
 * records it as flushed. Cheap when nothing is unflushed. SL_OK or SL_ERR_IO. */
sl_err_t sl_log_flush(sl_log_t *log, int64_t now_ms);

/* A run of whole batches in one segment file, to send as a Fetch's records. */
typedef struct sl_log_slice {
    int fd;           /* a dup of the segment file's descriptor, owned by the
                       * caller: close it (sl_log_slice_release). -1 when empty */
    int64_t pos;      /* file position of the first byte */
    int32_t len;      /* bytes (0 when there is nothing at or after offset) */
    int64_t first_offset; /* base offset of the first batch in the slice */
} sl_log_slice_t;

/* Finds the batches holding offset and after it, in the segment containing
 * offset, at most max_bytes, but at least the first whole batch when
 * min_one is true even if it is larger (Kafka's KIP-74 rule). Reads end at
 * the segment's end: a consumer fetches again for the next segment.
 * offset == end offset gives an empty slice (len 0). offset outside
 * [start offset, end offset] gives SL_ERR_OFFSET_OUT_OF_RANGE. The batch
 * holding offset may start before offset (consumers skip the records before).
 * SL_OK, SL_ERR_OFFSET_OUT_OF_RANGE, SL_ERR_IO. */
sl_err_t sl_log_read(sl_log_t *log, int64_t offset, int32_t max_bytes, bool min_one, sl_log_slice_t *out);
void sl_log_slice_release(sl_log_slice_t *slice);
/* Convenience for callers without sendfile: preads the slice into buf
 * (appended). SL_OK, SL_ERR_IO, SL_ERR_NOMEM. */
sl_err_t sl_log_slice_read(const sl_log_slice_t *slice, sl_buf_t *buf);

/* ListOffsets by timestamp: the first offset whose batch max timestamp is >=
 * ts (time index lookup, then a scan of that segment), and that batch's max
 * timestamp. When no batch qualifies: *offset = -1, *timestamp = -1 (Kafka
 * answers that way). SL_OK or SL_ERR_IO. */
sl_err_t sl_log_offset_for_time(sl_log_t *log, int64_t ts, int64_t *offset, int64_t *timestamp);
/* ListOffsets max timestamp (-3): offset and timestamp of the batch with the
 * largest max timestamp; -1/-1 on an empty log. */
sl_err_t sl_log_max_timestamp(sl_log_t *log, int64_t *offset, int64_t *timestamp);

/* DeleteRecords: moves the log start offset to offset (start <= offset <=
 * end, else SL_ERR_OFFSET_OUT_OF_RANGE) and deletes segments entirely below
 * it. The new start offset is persisted (log-start-offset-checkpoint in dir)
 * so it survives restarts. SL_OK, SL_ERR_IO. */
sl_err_t sl_log_delete_records(sl_log_t *log, int64_t offset);

/* Retention pass (called every log.retention.check.interval.ms): deletes
 * whole segments, oldest first, while retention_bytes is exceeded (the log
 * minus that segment still >= retention_bytes is Kafka's rule) or the
 * segment's newest timestamp is older than now_ms - retention_ms. Never
 * deletes the active segment, unless it is old enough by time and not empty,
 * in which case the log first rolls (Kafka does the same). Advances the log
 * start offset. *deleted (if not NULL) gets the number of segments deleted.
 * SL_OK or SL_ERR_IO. */
sl_err_t sl_log_retain(sl_log_t *log, int64_t now_ms, int *deleted);

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
