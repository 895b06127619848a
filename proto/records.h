/*
 * records.h - Kafka record batches (magic 2) and their compression: the part
 * of libsluice-proto that reads and writes the `records` bytes carried by
 * Produce and Fetch and stored in the log. Self-contained (needs only
 * base.h); proto.h includes it.
 *
 *   batch     one record batch: 61-byte header, CRC-32C, records section
 *   reading   sl_batch_iter_* walks a blob batch by batch (header + CRC only,
 *             zero-copy); sl_record_iter_* walks the records of one batch,
 *             decompressing into a caller-owned buffer when needed;
 *             sl_batch_validate does the whole check a broker needs
 *   patching  sl_batch_assign_offsets / sl_batch_set_log_append_time change
 *             a stored batch in place (the broker never re-encodes)
 *   writing   sl_batch_builder_* builds one batch (any codec);
 *             sl_batch_write_control writes a transaction marker
 *   codecs    sl_compress / sl_decompress: gzip, snappy (xerial framing or
 *             raw), lz4 (frame format), zstd; decompression always bounded
 *
 * Layout of a batch (big-endian), offsets from the start of the batch:
 *    0 baseOffset int64          | outside the CRC: the broker patches these
 *    8 batchLength int32         | (batchLength counts the bytes after it)
 *   12 partitionLeaderEpoch int32|
 *   16 magic int8 (2)            |
 *   17 crc uint32: CRC-32C of bytes 21..end
 *   21 attributes int16: bits 0-2 compression, 3 timestamp type (1 =
 *      LogAppendTime), 4 transactional, 5 control, 6 baseTimestamp is the
 *      delete horizon
 *   23 lastOffsetDelta int32
 *   27 baseTimestamp int64
 *   35 maxTimestamp int64
 *   43 producerId int64
 *   51 producerEpoch int16
 *   53 baseSequence int32
 *   57 records count int32
 *   61 records (compressed as one stream when the codec is not none)
 * A record: length varint (bytes after it), attributes int8, timestampDelta
 * varlong, offsetDelta varint, key length varint (-1 = null) + bytes, value
 * length varint (-1 = null) + bytes, header count varint, then per header a
 * key length varint (never null) + bytes and a value length varint (-1 =
 * null) + bytes. "varint" here is Kafka's zigzag encoding.
 *
 * Errors returned while reading untrusted bytes:
 *   SL_ERR_TRUNCATED    the blob ends inside a batch. Normal at the end of a
 *                       Fetch response (the broker cuts at max bytes): the
 *                       batches before it are good; stop there.
 *   SL_ERR_CORRUPT_MESSAGE  CRC mismatch, impossible sizes, records that do
 *                       not parse or do not fill the batch exactly, a count
 *                       that disagrees with the records present.
 *   SL_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT  a magic 0 or 1 message set.
 *   SL_ERR_UNSUPPORTED_COMPRESSION_TYPE    compression bits 5..7.
 *   SL_ERR_COMPRESSION  the compressed records do not decompress.
 *   SL_ERR_TOO_LARGE    they decompress past the caller's limit.
 *   SL_ERR_INVALID_RECORD  (strict validation only) offsets not 0..count-1.
 *   SL_ERR_NOMEM
 * Objects that read input carry an errmsg saying what exactly was wrong
 * ("batch at byte 120: magic 1 message sets are not supported"); functions
 * without such an object take an optional errbuf. The Sluice-only codes
 * (TRUNCATED, COMPRESSION, TOO_LARGE) have no Kafka wire code: a broker
 * answering a Produce maps them to CORRUPT_MESSAGE itself.
 *
 * Nothing here allocates from a length read off the wire before checking the
 * bytes exist, or (for decompression) before checking it against the caller's
 * limit. Not thread-safe per object; distinct objects may be used from
 * distinct threads.
 */
#ifndef SL_PROTO_RECORDS_H
#define SL_PROTO_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================
 * Constants
 * ====================================================================== */
#define SL_BATCH_MAGIC 2
#define SL_BATCH_HEADER_SIZE 61     /* bytes before the records section */
#define SL_BATCH_LOG_OVERHEAD 12    /* baseOffset + batchLength */
/* Offsets of the header fields the patch functions touch. */
#define SL_BATCH_OFF_BASE_OFFSET 0
#define SL_BATCH_OFF_LENGTH 8
#define SL_BATCH_OFF_LEADER_EPOCH 12
#define SL_BATCH_OFF_MAGIC 16
#define SL_BATCH_OFF_CRC 17
#define SL_BATCH_OFF_ATTRIBUTES 21
#define SL_BATCH_OFF_MAX_TIMESTAMP 35

#define SL_BATCH_ATTR_COMPRESSION_MASK 0x07
#define SL_BATCH_ATTR_LOG_APPEND_TIME 0x08
#define SL_BATCH_ATTR_TRANSACTIONAL 0x10
#define SL_BATCH_ATTR_CONTROL 0x20
#define SL_BATCH_ATTR_DELETE_HORIZON 0x40

#define SL_NO_PRODUCER_ID (-1)
#define SL_NO_PRODUCER_EPOCH (-1)
#define SL_NO_SEQUENCE (-1)
#define SL_NO_TIMESTAMP (-1)
#define SL_NO_PARTITION_LEADER_EPOCH (-1)

/* Control record types (the int16 after the version in a control key). */
#define SL_CONTROL_ABORT 0
#define SL_CONTROL_COMMIT 1

typedef enum sl_compression {
    SL_COMPRESSION_NONE = 0,
    SL_COMPRESSION_GZIP = 1,
    SL_COMPRESSION_SNAPPY = 2,
    SL_COMPRESSION_LZ4 = 3,
    SL_COMPRESSION_ZSTD = 4
} sl_compression_t;

/* "none", "gzip", "snappy", "lz4", "zstd" (Kafka's compression.type names),
 * or "unknown". Static storage. */
const char *sl_compression_name(sl_compression_t codec);
/* The codec named name (any case), as above. SL_OK or SL_ERR_INVAL. */
sl_err_t sl_compression_parse(const char *name, sl_compression_t *codec);

/* ======================================================================
 * Batch header (read side)
 * ====================================================================== */

/* One batch as found in a blob. Every pointer borrows from the blob the
 * batch was read from and is valid as long as the blob is. */
typedef struct sl_batch {
    int64_t base_offset;
    int32_t batch_length;
    int32_t partition_leader_epoch;
    int8_t magic;
    uint32_t crc;
    int16_t attributes;
    int32_t last_offset_delta;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t record_count;       /* as declared; checked when records are read */
    const uint8_t *data;        /* the whole batch, data[0..size) */
    size_t size;                /* SL_BATCH_LOG_OVERHEAD + batch_length */
    const uint8_t *records;     /* the records section as stored (compressed
                                 * when the codec is not none) */
    size_t records_size;
} sl_batch_t;

static inline sl_compression_t sl_batch_compression(const sl_batch_t *b)
{
    return (sl_compression_t)(b->attributes & SL_BATCH_ATTR_COMPRESSION_MASK);
}
static inline bool sl_batch_is_transactional(const sl_batch_t *b)
{
    return (b->attributes & SL_BATCH_ATTR_TRANSACTIONAL) != 0;
}
static inline bool sl_batch_is_control(const sl_batch_t *b)
{
    return (b->attributes & SL_BATCH_ATTR_CONTROL) != 0;
}
static inline bool sl_batch_is_log_append_time(const sl_batch_t *b)
{
    return (b->attributes & SL_BATCH_ATTR_LOG_APPEND_TIME) != 0;
}
static inline bool sl_batch_has_delete_horizon(const sl_batch_t *b)
{
    return (b->attributes & SL_BATCH_ATTR_DELETE_HORIZON) != 0;
}
/* base_offset + last_offset_delta (wrapping arithmetic: never UB). */
static inline int64_t sl_batch_last_offset(const sl_batch_t *b)
{
    return (int64_t)((uint64_t)b->base_offset + (uint64_t)(int64_t)b->last_offset_delta);
}

/* Reads the batch header at p[0..n) (borrowed) and checks its framing and
 * CRC, without looking at the records: the cheap path. On SL_OK *out is
 * filled and out->size bytes at p are the batch (n may hold more).
 * Returns
 *   SL_ERR_TRUNCATED  fewer than out->size bytes are there (or fewer than 17,
 *                     too few to know); *out is not filled;
 *   SL_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT  magic 0 or 1;
 *   SL_ERR_CORRUPT_MESSAGE  other magic, negative batchLength or one below
 *                     the header size, CRC mismatch, negative record count;
 *   SL_ERR_INVAL      out NULL, or p NULL with n > 0.
 * The compression bits are not judged here (sl_record_iter_init does).
 * errbuf (may be NULL) gets a sentence on error. */
sl_err_t sl_batch_peek(const void *p, size_t n, sl_batch_t *out, char *errbuf, size_t errlen);

/* ======================================================================
 * Walking a blob (the `records` field of Produce / Fetch, or a log segment)
 * ====================================================================== */
typedef struct sl_batch_iter {
    const uint8_t *blob;  /* borrowed */
    size_t len;
    size_t pos;           /* offset of the next batch (after an error: of the
                           * batch that failed) */
    sl_err_t err;         /* sticky once set */
    char errmsg[160];     /* what went wrong, "" while fine */
} sl_batch_iter_t;

/* Walks blob[0..len) (borrowed: must outlive the iterator and the batches it
 * returns). blob may be NULL when len is 0 (an empty or null records field). */
void sl_batch_iter_init(sl_batch_iter_t *it, const void *blob, size_t len);
/* The next batch, header and CRC checked (as sl_batch_peek). Returns SL_OK
 * with *out filled; SL_ERR_NOENT when every byte of the blob has been
 * consumed by whole batches; SL_ERR_TRUNCATED when the rest of the blob is an
 * incomplete batch (it->pos says where it starts: the consumer stops there
 * and fetches again from the last returned batch's last offset + 1; when
 * it->pos is 0 the first batch is larger than the fetch size); or an
 * error as sl_batch_peek, with it->errmsg filled. Errors (not NOENT) stick:
 * later calls return the same code. */
sl_err_t sl_batch_iter_next(sl_batch_iter_t *it, sl_batch_t *out);

/* ======================================================================
 * Records of one batch
 * ====================================================================== */

/* One record. key/value/header bytes borrow from the blob (uncompressed
 * batch) or from the scratch buffer given to sl_record_iter_init (compressed
 * batch): valid while that memory is unchanged. */
typedef struct sl_record {
    int8_t attributes;
    int64_t timestamp;        /* base_timestamp + timestamp_delta, or the
                               * batch's max_timestamp under LogAppendTime
                               * (what a Kafka consumer reports) */
    int64_t timestamp_delta;
    int64_t offset;           /* base_offset + offset_delta */
    int32_t offset_delta;
    const uint8_t *key;       /* NULL when key_len is -1 (null key); non-NULL
                               * for an empty key */
    int32_t key_len;
    const uint8_t *value;     /* likewise */
    int32_t value_len;
    int32_t header_count;
    const uint8_t *headers;   /* the encoded headers, already validated; walk
                               * them with sl_header_iter_* */
    size_t headers_size;
} sl_record_t;

/* A record header, as read (sl_header_iter_next) or as given to
 * sl_batch_builder_add. */
typedef struct sl_header {
    const uint8_t *key;       /* never NULL when read (an empty key has
                               * key_len 0); as input NULL is allowed only
                               * with key_len 0. Header keys cannot be null. */
    size_t key_len;
    const uint8_t *value;     /* NULL when value_len is -1 (null value) */
    int32_t value_len;
} sl_header_t;

typedef struct sl_record_iter {
    sl_batch_t batch;         /* copy of the header */
    sl_rd_t rd;               /* over the (decompressed) records; private */
    int32_t index;            /* records returned so far */
    sl_err_t err;             /* sticky */
    char errmsg[160];
} sl_record_iter_t;

/* Prepares to read the records of batch (from sl_batch_peek or
 * sl_batch_iter_next; the iterator keeps a copy of the header, and keeps
 * pointers into the blob). An uncompressed batch is read in place and
 * scratch may be NULL. A compressed batch is decompressed into scratch
 * (caller-owned; reset first, so earlier contents are overwritten and
 * pointers into them become invalid); at most max_decompressed bytes are
 * produced (0 means SL_RECORDS_DEFAULT_MAX_DECOMPRESSED), and scratch's
 * capacity stays below about twice that.
 * Returns SL_OK, SL_ERR_INVAL (compressed batch and scratch NULL),
 * SL_ERR_UNSUPPORTED_COMPRESSION_TYPE, SL_ERR_COMPRESSION, SL_ERR_TOO_LARGE,
 * SL_ERR_CORRUPT_MESSAGE (a record count the bytes cannot hold), SL_ERR_NOMEM;
 * it->errmsg says more. */
#define SL_RECORDS_DEFAULT_MAX_DECOMPRESSED ((size_t)64 << 20)
sl_err_t sl_record_iter_init(sl_record_iter_t *it, const sl_batch_t *batch, sl_buf_t *scratch,
                             size_t max_decompressed);
/* The next record, fully validated (lengths, headers, the record's length
 * prefix matches its content). Returns SL_OK; SL_ERR_NOENT after the last
 * declared record when the records section is used up exactly;
 * SL_ERR_CORRUPT_MESSAGE otherwise (malformed record, fewer records than
 * declared, bytes left over). Errors stick. */
sl_err_t sl_record_iter_next(sl_record_iter_t *it, sl_record_t *rec);

/* Walking the headers of a record returned by sl_record_iter_next. */
typedef struct sl_header_iter {
    sl_rd_t rd;
    int32_t left;
} sl_header_iter_t;
void sl_header_iter_init(sl_header_iter_t *it, const sl_record_t *rec);
/* true with *h filled, false after the last header. */
bool sl_header_iter_next(sl_header_iter_t *it, sl_header_t *h);

/* A control record's key: version int16 (0) + type int16. *type gets the
 * type (SL_CONTROL_ABORT, SL_CONTROL_COMMIT, or others Kafka defines).
 * SL_OK or SL_ERR_CORRUPT_MESSAGE (null/short key, version below 0). */
sl_err_t sl_control_record_type(const sl_record_t *rec, int16_t *type);
/* The value of an abort/commit marker: version int16 (0) + coordinatorEpoch
 * int32. SL_OK or SL_ERR_CORRUPT_MESSAGE. */
sl_err_t sl_control_record_marker(const sl_record_t *rec, int32_t *coordinator_epoch);

/* ======================================================================
 * Validation (the broker's Produce path)
 * ====================================================================== */
/* Require what a producer must send (as Kafka's broker does), else
 * SL_ERR_INVALID_RECORD: not a control batch; a base sequence >= 0 when
 * there is a producer id; record count >= 1, offset deltas exactly
 * 0, 1, ..., count-1 and last_offset_delta == count-1. Without it, batches
 * left by compaction (gaps, zero records) and markers pass. */
#define SL_BATCH_VALIDATE_STRICT 0x1

/* Reads every record of batch (as sl_record_iter_*), decompressing into
 * scratch under max_decompressed as sl_record_iter_init does, and checks
 * count and structure. The batch bytes themselves are not modified, so the
 * broker can store them as they are after sl_batch_assign_offsets.
 * Returns SL_OK or any error of sl_record_iter_init / sl_record_iter_next
 * (never SL_ERR_NOENT), plus SL_ERR_INVALID_RECORD with STRICT. errbuf
 * (may be NULL) gets a sentence on error. */
sl_err_t sl_batch_validate(const sl_batch_t *batch, unsigned flags, sl_buf_t *scratch,
                           size_t max_decompressed, char *errbuf, size_t errlen);

/* ======================================================================
 * Patching a stored batch in place
 * ====================================================================== */
/* Sets baseOffset and partitionLeaderEpoch of the batch at data[0..len)
 * (len >= SL_BATCH_HEADER_SIZE, else SL_ERR_INVAL). Both lie outside the
 * CRC, so the CRC stays valid and nothing is re-encoded. */
sl_err_t sl_batch_assign_offsets(void *data, size_t len, int64_t base_offset,
                                 int32_t partition_leader_epoch);
/* For topics with message.timestamp.type=LogAppendTime: sets the timestamp
 * type bit and maxTimestamp to now_ms, then recomputes the CRC over the
 * batch (data[0..len) must be exactly one whole batch, as sl_batch_peek
 * accepted). SL_OK or SL_ERR_INVAL. */
sl_err_t sl_batch_set_log_append_time(void *data, size_t len, int64_t now_ms);

/* ======================================================================
 * Writing
 * ====================================================================== */
typedef struct sl_batch_opts {
    int64_t base_offset;            /* 0 from producers; the broker assigns */
    int32_t partition_leader_epoch; /* SL_NO_PARTITION_LEADER_EPOCH from producers */
    int64_t producer_id;            /* SL_NO_PRODUCER_ID when not idempotent */
    int16_t producer_epoch;         /* SL_NO_PRODUCER_EPOCH */
    int32_t base_sequence;          /* SL_NO_SEQUENCE */
    bool transactional;
    bool log_append_time;           /* timestamp type bit */
    sl_compression_t compression;
    int level;                      /* 0: the codec's default; otherwise gzip
                                     * 1..9, lz4 1..12, zstd as libzstd allows;
                                     * ignored by snappy and none */
} sl_batch_opts_t;

/* Defaults for a non-idempotent producer: offset 0, no epoch/producer/
 * sequence, not transactional, CreateTime, no compression. */
void sl_batch_opts_init(sl_batch_opts_t *opts);

typedef struct sl_batch_builder {
    /* private */
    sl_buf_t *out;
    size_t start;           /* where the batch begins in out */
    sl_buf_t plain;         /* records before compression (compressed codecs) */
    sl_buf_t *rec;          /* where records go: out or &plain */
    sl_batch_opts_t opts;
    int16_t attributes;
    int32_t count;
    int64_t base_timestamp;
    int64_t max_timestamp;
    sl_err_t err;           /* sticky */
    bool open;
} sl_batch_builder_t;

/* Starts a batch at the end of out (caller-owned; the builder keeps the
 * pointer until finish/abort; out must not be written meanwhile). opts is
 * copied. Returns SL_OK, SL_ERR_INVAL (unknown codec, bad level, a NULL
 * argument) or SL_ERR_NOMEM. On error the builder holds nothing. */
sl_err_t sl_batch_builder_begin(sl_batch_builder_t *b, sl_buf_t *out, const sl_batch_opts_t *opts);
/* Adds one record; offset delta = number of records before it; the first
 * record's timestamp becomes baseTimestamp (SL_NO_TIMESTAMP is allowed).
 * key/value: key_len -1 means null (key ignored), otherwise key_len bytes
 * (copied; key may be NULL when key_len is 0). headers: nheaders entries
 * (copied; a header key is never null, value_len -1 = null value).
 * Returns SL_OK, SL_ERR_INVAL (length below -1, header key NULL with a
 * length, more than INT32_MAX records), SL_ERR_TOO_LARGE (record above
 * INT32_MAX bytes), SL_ERR_NOMEM, or SL_ERR_STATE (no batch begun). Errors
 * stick: finish then fails too. */
sl_err_t sl_batch_builder_add(sl_batch_builder_t *b, int64_t timestamp, const void *key, int32_t key_len,
                              const void *value, int32_t value_len, const sl_header_t *headers,
                              size_t nheaders);
/* Records added so far, and the batch's size so far before compression
 * (header + encoded records), for callers that cut batches by size. */
int32_t sl_batch_builder_count(const sl_batch_builder_t *b);
size_t sl_batch_builder_size(const sl_batch_builder_t *b);
/* Completes the batch: compresses the records if asked, fills lengths,
 * count, timestamps, lastOffsetDelta and the CRC. out then holds the batch
 * from the offset it had at begin. An empty batch (0 records) is allowed:
 * lastOffsetDelta -1, timestamps SL_NO_TIMESTAMP. Returns SL_OK, or the
 * sticky error, SL_ERR_COMPRESSION, SL_ERR_TOO_LARGE (batch above
 * INT32_MAX), SL_ERR_NOMEM, SL_ERR_STATE (no batch begun); on error out is
 * cut back to where it was at begin. The builder is finished either way
 * (begin may be called again). */
sl_err_t sl_batch_builder_finish(sl_batch_builder_t *b);
/* Drops an unfinished batch: out is cut back, internal memory freed.
 * Accepts a builder that is finished or zeroed. */
void sl_batch_builder_abort(sl_batch_builder_t *b);

/* Appends a transaction marker batch to out: one control record
 * (key: version 0, type commit or abort; value: version 0, coordinator_epoch)
 * with offset delta 0 and timestamp ts, in an uncompressed batch with the
 * control and transactional bits set, base_sequence -1, as a transaction
 * coordinator writes them. opts supplies base_offset, partition leader
 * epoch, producer id and epoch; its compression, sequence and flags are
 * ignored. SL_OK, SL_ERR_INVAL or SL_ERR_NOMEM (out cut back). */
sl_err_t sl_batch_write_control(sl_buf_t *out, const sl_batch_opts_t *opts, bool commit,
                                int32_t coordinator_epoch, int64_t ts);

/* ======================================================================
 * Codecs
 * ====================================================================== */
/* Compresses src[0..n) (borrowed) with codec and appends the result to out:
 *   gzip   a gzip member (RFC 1952) at level (0 = zlib default);
 *   snappy xerial/snappy-java framing (magic, version 1, compat 1, then
 *          big-endian int32 length + raw snappy block per 32 KiB of input),
 *          which every Kafka reader accepts;
 *   lz4    one LZ4 frame, independent 64 KiB blocks, no content size or
 *          checksums (as Kafka's Java client writes);
 *   zstd   one zstd frame with content size.
 * SL_COMPRESSION_NONE appends src unchanged. Returns SL_OK, SL_ERR_INVAL
 * (unknown codec or bad level), SL_ERR_COMPRESSION, SL_ERR_NOMEM; on error
 * out's length is as before. */
sl_err_t sl_compress(sl_compression_t codec, int level, const void *src, size_t n, sl_buf_t *out);
/* Decompresses src[0..n) (borrowed) and appends the result to out, producing
 * at most max_out bytes; out's capacity grows in steps and stays below about
 * 2 * (its length before + max_out). Accepts gzip (one or more members),
 * snappy (raw, or xerial-framed when it starts with the xerial magic), lz4
 * frames and zstd frames (content size present or not). Sizes declared in
 * the input are checked against max_out before anything is allocated for
 * them. The codec libraries' own working memory is bounded separately: lz4
 * keeps up to one 4 MiB block, and zstd refuses (SL_ERR_TOO_LARGE) frames
 * whose window exceeds max(8 MiB, max_out rounded up to a power of two,
 * capped at 128 MiB) and may allocate a window that large even when max_out
 * is smaller. Returns SL_OK, SL_ERR_TOO_LARGE (output would pass max_out),
 * SL_ERR_COMPRESSION (malformed or truncated input),
 * SL_ERR_UNSUPPORTED_COMPRESSION_TYPE (unknown codec), SL_ERR_NOMEM; on
 * error out's length is as before. errbuf (may be NULL) gets a sentence. */
sl_err_t sl_decompress(sl_compression_t codec, const void *src, size_t n, size_t max_out, sl_buf_t *out,
                       char *errbuf, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* SL_PROTO_RECORDS_H */
