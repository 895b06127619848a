/*
 * batch_read.c - reading record batches: the header-only peek (framing and
 * CRC), the blob iterator built on it, the record iterator (decompressing
 * into a caller's buffer when needed), header and control-record parsing, and
 * the full validation a broker runs on a produced batch. Everything borrows
 * from the input; every length is checked against the bytes behind it.
 */
#include <string.h>

#include "records_int.h"

/* The smallest possible record: one byte each for length, attributes,
 * timestamp delta, offset delta, key length, value length, header count. */
#define RECORD_MIN_SIZE 7

sl_err_t sl_batch_peek(const void *p, size_t n, sl_batch_t *out, char *errbuf, size_t errlen)
{
    const uint8_t *b = p;
    if (!out || (!p && n))
        return SL_ERR_INVAL;
    if (n < SL_BATCH_LOG_OVERHEAD) {
        sl_rec_errf(errbuf, errlen, "incomplete batch: only %zu bytes", n);
        return SL_ERR_TRUNCATED;
    }
    int32_t blen = (int32_t)sl_rec_get_u32(b + SL_BATCH_OFF_LENGTH);
    if (blen < 0) {
        sl_rec_errf(errbuf, errlen, "negative batch length %d", blen);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    size_t size = SL_BATCH_LOG_OVERHEAD + (size_t)blen;
    if (n <= SL_BATCH_OFF_MAGIC) {
        if (size <= SL_BATCH_OFF_MAGIC) {
            sl_rec_errf(errbuf, errlen, "batch length %d is too small to hold a magic byte", blen);
            return SL_ERR_CORRUPT_MESSAGE;
        }
        sl_rec_errf(errbuf, errlen, "incomplete batch: %zu of %zu bytes", n, size);
        return SL_ERR_TRUNCATED;
    }
    /* The magic sits at byte 16 in message sets v0/v1 too, so old formats are
     * recognised before their (smaller) sizes are judged by v2 rules. */
    int8_t magic = (int8_t)b[SL_BATCH_OFF_MAGIC];
    if (magic == 0 || magic == 1) {
        sl_rec_errf(errbuf, errlen,
                    "message set with magic %d (pre-0.11 format) is not supported; only magic 2 record "
                    "batches are",
                    magic);
        return SL_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT;
    }
    if (magic != SL_BATCH_MAGIC) {
        sl_rec_errf(errbuf, errlen, "unknown magic %d", magic);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    if (size < SL_BATCH_HEADER_SIZE) {
        sl_rec_errf(errbuf, errlen, "batch length %d is below the %d-byte header", blen,
                    SL_BATCH_HEADER_SIZE - SL_BATCH_LOG_OVERHEAD);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    if (size > n) {
        sl_rec_errf(errbuf, errlen, "incomplete batch: %zu of %zu bytes", n, size);
        return SL_ERR_TRUNCATED;
    }

    sl_rd_t rd;
    sl_rd_init(&rd, b, SL_BATCH_HEADER_SIZE);
    sl_batch_t h;
    h.base_offset = sl_rd_i64(&rd);
    h.batch_length = sl_rd_i32(&rd);
    h.partition_leader_epoch = sl_rd_i32(&rd);
    h.magic = sl_rd_i8(&rd);
    h.crc = sl_rd_u32(&rd);
    h.attributes = sl_rd_i16(&rd);
    h.last_offset_delta = sl_rd_i32(&rd);
    h.base_timestamp = sl_rd_i64(&rd);
    h.max_timestamp = sl_rd_i64(&rd);
    h.producer_id = sl_rd_i64(&rd);
    h.producer_epoch = sl_rd_i16(&rd);
    h.base_sequence = sl_rd_i32(&rd);
    h.record_count = sl_rd_i32(&rd);
    if (!sl_rd_ok(&rd))
        return SL_ERR_CORRUPT_MESSAGE; /* not reached: 61 bytes are there */

    uint32_t crc = sl_crc32c(0, b + SL_BATCH_OFF_ATTRIBUTES, size - SL_BATCH_OFF_ATTRIBUTES);
    if (crc != h.crc) {
        sl_rec_errf(errbuf, errlen, "CRC mismatch: batch says %08x, bytes give %08x", h.crc, crc);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    if (h.record_count < 0) {
        sl_rec_errf(errbuf, errlen, "negative record count %d", h.record_count);
        return SL_ERR_CORRUPT_MESSAGE;
    }
    h.data = b;
    h.size = size;
    h.records = b + SL_BATCH_HEADER_SIZE;
    h.records_size = size - SL_BATCH_HEADER_SIZE;
    *out = h;
    return SL_OK;
}

void sl_batch_iter_init(sl_batch_iter_t *it, const void *blob, size_t len)
{
    it->blob = blob;
    it->len = blob ? len : 0;
    it->pos = 0;
    it->err = SL_OK;
    it->errmsg[0] = '\0';
}

sl_err_t sl_batch_iter_next(sl_batch_iter_t *it, sl_batch_t *out)
{
    if (it->err)
        return it->err;
    if (it->pos == it->len)
        return SL_ERR_NOENT;
    char why[128];
    sl_err_t err = sl_batch_peek(it->blob + it->pos, it->len - it->pos, out, why, sizeof(why));
    if (err) {
        it->err = err;
        snprintf(it->errmsg, sizeof(it->errmsg), "batch at byte %zu: %s", it->pos, why);
        return err;
    }
    it->pos += out->size;
    return SL_OK;
}

/* ---------------------------------------------------------------------
 * Records
 * --------------------------------------------------------------------- */

static SL_PRINTF(3, 4) sl_err_t iter_fail(sl_record_iter_t *it, sl_err_t err, const char *fmt, ...)
{
    char why[128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    snprintf(it->errmsg, sizeof(it->errmsg), "batch at offset %lld: %s", (long long)it->batch.base_offset,
             why);
    it->err = err;
    sl_rd_fail(&it->rd, err);
    return err;
}

sl_err_t sl_record_iter_init(sl_record_iter_t *it, const sl_batch_t *batch, sl_buf_t *scratch,
                             size_t max_decompressed)
{
    memset(it, 0, sizeof(*it));
    if (!batch)
        return it->err = SL_ERR_INVAL;
    it->batch = *batch;
    sl_rd_init(&it->rd, NULL, 0);
    sl_compression_t codec = sl_batch_compression(batch);
    if (codec > SL_COMPRESSION_ZSTD)
        return iter_fail(it, SL_ERR_UNSUPPORTED_COMPRESSION_TYPE, "unknown compression codec %d", (int)codec);
    if (batch->record_count < 0)
        return iter_fail(it, SL_ERR_CORRUPT_MESSAGE, "negative record count %d", batch->record_count);
    if (codec == SL_COMPRESSION_NONE) {
        sl_rd_init(&it->rd, batch->records, batch->records_size);
    } else {
        if (!scratch)
            return iter_fail(it, SL_ERR_INVAL, "compressed batch and no buffer to decompress into");
        sl_buf_reset(scratch);
        if (max_decompressed == 0)
            max_decompressed = SL_RECORDS_DEFAULT_MAX_DECOMPRESSED;
        char why[100];
        why[0] = '\0';
        sl_err_t err = sl_decompress(codec, batch->records, batch->records_size, max_decompressed, scratch, why,
                                     sizeof(why));
        if (err)
            return iter_fail(it, err, "%s records: %s", sl_compression_name(codec), why);
        sl_rd_init(&it->rd, scratch->data, scratch->len);
    }
    if ((size_t)batch->record_count > sl_rd_left(&it->rd) / RECORD_MIN_SIZE)
        return iter_fail(it, SL_ERR_CORRUPT_MESSAGE, "declares %d records in %zu bytes", batch->record_count,
                         sl_rd_left(&it->rd));
    return SL_OK;
}

/* A length varint for key, value or header value: -1 (null) or 0..left.
 * Sets *p to NULL for null; marks r failed on anything else. */
static int32_t read_bytes(sl_rd_t *r, const uint8_t **p)
{
    int32_t len = sl_rd_varint(r);
    *p = NULL;
    if (!sl_rd_ok(r))
        return -1;
    if (len == -1)
        return -1;
    if (len < -1) {
        sl_rd_fail(r, SL_ERR_PARSE);
        return -1;
    }
    *p = sl_rd_take(r, (size_t)len);
    return *p ? len : -1;
}

sl_err_t sl_record_iter_next(sl_record_iter_t *it, sl_record_t *rec)
{
    if (it->err)
        return it->err;
    int32_t i = it->index;
    if (i == it->batch.record_count) {
        if (sl_rd_left(&it->rd) != 0)
            return iter_fail(it, SL_ERR_CORRUPT_MESSAGE, "%zu bytes follow the %d declared records",
                             sl_rd_left(&it->rd), it->batch.record_count);
        return SL_ERR_NOENT;
    }
    if (sl_rd_left(&it->rd) == 0)
        return iter_fail(it, SL_ERR_CORRUPT_MESSAGE, "declares %d records but holds %d",
                         it->batch.record_count, i);
    int32_t len = sl_rd_varint(&it->rd);
    if (!sl_rd_ok(&it->rd))
        return iter_fail(it, SL_ERR_CORRUPT_MESSAGE, "record %d: malformed length", i);
    if (len < 0 || (size_t)len > sl_rd_left(&it->rd))
        return iter_fail(it, SL_ERR_CORRUPT_MESSAGE, "record %d: length %d with %zu bytes left", i, len,
                         sl_rd_left(&it->rd));
    sl_rd_t r = sl_rd_sub(&it->rd, (size_t)len);

    sl_record_t x;
    x.attributes = sl_rd_i8(&r);
    x.timestamp_delta = sl_rd_varlong(&r);
    x.offset_delta = sl_rd_varint(&r);
    if (!sl_rd_ok(&r))
        return iter_fail(it, SL_ERR_CORRUPT_MESSAGE, "record %d: malformed timestamp or offset delta", i);
    x.key_len = read_bytes(&r, &x.key);
    if (!sl_rd_ok(&r))
        return iter_fail(it, SL_ERR_CORRUPT_MESSAGE, "record %d: malformed key (bad length or past the record)",
                         i);
    x.value_len = read_bytes(&r, &x.value);
    if (!sl_rd_ok(&r))
        return iter_fail(it, SL_ERR_CORRUPT_MESSAGE,
                         "record %d: malformed value (bad length or past the record)", i);
    x.header_count = sl_rd_varint(&r);
    if (!sl_rd_ok(&r))
        return iter_fail(it, SL_ERR_CORRUPT_MESSAGE, "record %d: malformed header count", i);
    /* Each header takes at least two bytes (key and value lengths). */
    if (x.header_count < 0 || (size_t)x.header_count > sl_rd_left(&r) / 2)
        return iter_fail(it, SL_ERR_CORRUPT_MESSAGE, "record %d: header count %d with %zu bytes left", i,
                         x.header_count, sl_rd_left(&r));
    x.headers = r.p;
    for (int32_t h = 0; h < x.header_count && sl_rd_ok(&r); h++) {
        const uint8_t *v;
        int32_t klen = sl_rd_varint(&r);
        if (sl_rd_ok(&r) && klen < 0)
            sl_rd_fail(&r, SL_ERR_PARSE); /* header keys are never null */
        sl_rd_skip(&r, sl_rd_ok(&r) ? (size_t)klen : 0);
        (void)read_bytes(&r, &v);
    }
    if (!sl_rd_ok(&r))
        return iter_fail(it, SL_ERR_CORRUPT_MESSAGE, "record %d: malformed header", i);
    x.headers_size = (size_t)(r.p - x.headers);
    if (sl_rd_left(&r) != 0)
        return iter_fail(it, SL_ERR_CORRUPT_MESSAGE, "record %d: %zu bytes follow its last field", i,
                         sl_rd_left(&r));

    /* Wrapping sums: hostile deltas must not be undefined behaviour. */
    if (sl_batch_is_log_append_time(&it->batch))
        x.timestamp = it->batch.max_timestamp;
    else
        x.timestamp = (int64_t)((uint64_t)it->batch.base_timestamp + (uint64_t)x.timestamp_delta);
    x.offset = (int64_t)((uint64_t)it->batch.base_offset + (uint64_t)(int64_t)x.offset_delta);
    *rec = x;
    it->index++;
    return SL_OK;
}

void sl_header_iter_init(sl_header_iter_t *it, const sl_record_t *rec)
{
    sl_rd_init(&it->rd, rec->headers, rec->headers_size);
    it->left = rec->header_count;
}

bool sl_header_iter_next(sl_header_iter_t *it, sl_header_t *h)
{
    if (it->left <= 0)
        return false;
    int32_t klen = sl_rd_varint(&it->rd);
    const uint8_t *key = sl_rd_ok(&it->rd) && klen >= 0 ? sl_rd_take(&it->rd, (size_t)klen) : NULL;
    h->value_len = read_bytes(&it->rd, &h->value);
    if (!sl_rd_ok(&it->rd) || !key) {
        /* Not reached for records from sl_record_iter_next, which validated them. */
        it->left = 0;
        return false;
    }
    h->key = key;
    h->key_len = (size_t)klen;
    it->left--;
    return true;
}

sl_err_t sl_control_record_type(const sl_record_t *rec, int16_t *type)
{
    if (!rec->key || rec->key_len < 4)
        return SL_ERR_CORRUPT_MESSAGE;
    sl_rd_t r;
    sl_rd_init(&r, rec->key, (size_t)rec->key_len);
    int16_t version = sl_rd_i16(&r);
    int16_t t = sl_rd_i16(&r);
    if (version < 0)
        return SL_ERR_CORRUPT_MESSAGE;
    *type = t;
    return SL_OK;
}

sl_err_t sl_control_record_marker(const sl_record_t *rec, int32_t *coordinator_epoch)
{
    if (!rec->value || rec->value_len < 6)
        return SL_ERR_CORRUPT_MESSAGE;
    sl_rd_t r;
    sl_rd_init(&r, rec->value, (size_t)rec->value_len);
    int16_t version = sl_rd_i16(&r);
    int32_t epoch = sl_rd_i32(&r);
    if (version < 0)
        return SL_ERR_CORRUPT_MESSAGE;
    *coordinator_epoch = epoch;
    return SL_OK;
}

sl_err_t sl_batch_validate(const sl_batch_t *batch, unsigned flags, sl_buf_t *scratch,
                           size_t max_decompressed, char *errbuf, size_t errlen)
{
    bool strict = (flags & SL_BATCH_VALIDATE_STRICT) != 0;
    if (strict && sl_batch_is_control(batch)) {
        sl_rec_errf(errbuf, errlen, "batch at offset %lld: clients may not write control batches",
                    (long long)batch->base_offset);
        return SL_ERR_INVALID_RECORD;
    }
    if (strict && batch->producer_id >= 0 && batch->base_sequence < 0) {
        sl_rec_errf(errbuf, errlen, "batch at offset %lld: producer id %lld with base sequence %d",
                    (long long)batch->base_offset, (long long)batch->producer_id, batch->base_sequence);
        return SL_ERR_INVALID_RECORD;
    }
    sl_record_iter_t it;
    sl_err_t err = sl_record_iter_init(&it, batch, scratch, max_decompressed);
    if (err) {
        sl_rec_errf(errbuf, errlen, "%s", it.errmsg);
        return err;
    }
    sl_record_t rec;
    int32_t n = 0;
    while ((err = sl_record_iter_next(&it, &rec)) == SL_OK) {
        if (strict && rec.offset_delta != n) {
            sl_rec_errf(errbuf, errlen, "batch at offset %lld: record %d has offset delta %d",
                        (long long)batch->base_offset, n, rec.offset_delta);
            return SL_ERR_INVALID_RECORD;
        }
        n++;
    }
    if (err != SL_ERR_NOENT) {
        sl_rec_errf(errbuf, errlen, "%s", it.errmsg);
        return err;
    }
    if (strict && (n == 0 || batch->last_offset_delta != n - 1)) {
        sl_rec_errf(errbuf, errlen, "batch at offset %lld: %d records but last offset delta %d",
                    (long long)batch->base_offset, n, batch->last_offset_delta);
        return SL_ERR_INVALID_RECORD;
    }
    return SL_OK;
}
