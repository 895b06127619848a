/*
 * batch_write.c - building record batches: the header is reserved at begin,
 * records are appended as they come (straight into the caller's buffer, or
 * into a private buffer when they will be compressed), and finish fills the
 * header and the CRC. Also the transaction marker (control) batch.
 */
#include <string.h>

#include "records_int.h"

void sl_batch_opts_init(sl_batch_opts_t *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->base_offset = 0;
    opts->partition_leader_epoch = SL_NO_PARTITION_LEADER_EPOCH;
    opts->producer_id = SL_NO_PRODUCER_ID;
    opts->producer_epoch = SL_NO_PRODUCER_EPOCH;
    opts->base_sequence = SL_NO_SEQUENCE;
    opts->compression = SL_COMPRESSION_NONE;
}

static bool level_ok(sl_compression_t codec, int level)
{
    switch (codec) {
    case SL_COMPRESSION_NONE:
    case SL_COMPRESSION_SNAPPY:
        return true;
    case SL_COMPRESSION_GZIP:
        return level >= 0 && level <= 9;
    case SL_COMPRESSION_LZ4:
        return level >= 0 && level <= 12;
    case SL_COMPRESSION_ZSTD:
        /* libzstd's range is checked when compressing; -131072..22 today. */
        return level >= -131072 && level <= 22;
    }
    return false;
}

sl_err_t sl_batch_builder_begin(sl_batch_builder_t *b, sl_buf_t *out, const sl_batch_opts_t *opts)
{
    if (!b)
        return SL_ERR_INVAL;
    memset(b, 0, sizeof(*b));
    sl_buf_init(&b->plain);
    if (!out || !opts || !level_ok(opts->compression, opts->level))
        return SL_ERR_INVAL;
    if (sl_buf_err(out))
        return sl_buf_err(out);
    b->out = out;
    b->opts = *opts;
    b->start = out->len;
    if (!sl_buf_put_space(out, SL_BATCH_HEADER_SIZE)) {
        out->len = b->start;
        return SL_ERR_NOMEM;
    }
    b->attributes = (int16_t)opts->compression;
    if (opts->log_append_time)
        b->attributes |= SL_BATCH_ATTR_LOG_APPEND_TIME;
    if (opts->transactional)
        b->attributes |= SL_BATCH_ATTR_TRANSACTIONAL;
    b->rec = opts->compression == SL_COMPRESSION_NONE ? out : &b->plain;
    b->base_timestamp = SL_NO_TIMESTAMP;
    b->max_timestamp = SL_NO_TIMESTAMP;
    b->open = true;
    return SL_OK;
}

/* Sum of sizes, saturating at SIZE_MAX so an absurd record is refused
 * instead of wrapping. */
static size_t add_sat(size_t a, size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }

static size_t bytes_field_size(int32_t len)
{
    return len < 0 ? 1 : add_sat(sl_rec_varint_size(len), (size_t)len);
}

sl_err_t sl_batch_builder_add(sl_batch_builder_t *b, int64_t timestamp, const void *key, int32_t key_len,
                              const void *value, int32_t value_len, const sl_header_t *headers,
                              size_t nheaders)
{
    if (!b->open)
        return SL_ERR_STATE;
    if (b->err)
        return b->err;
    sl_err_t err = SL_OK;
    if (key_len < -1 || value_len < -1 || (key_len > 0 && !key) || (value_len > 0 && !value) ||
        (nheaders && !headers) || nheaders > INT32_MAX || b->count == INT32_MAX)
        err = SL_ERR_INVAL;
    for (size_t i = 0; i < nheaders && !err; i++) {
        if ((headers[i].key_len && !headers[i].key) || headers[i].key_len > INT32_MAX ||
            headers[i].value_len < -1 || (headers[i].value_len > 0 && !headers[i].value))
            err = SL_ERR_INVAL;
    }
    if (err)
        return b->err = err;

    if (b->count == 0)
        b->base_timestamp = timestamp;
    int64_t ts_delta = (int64_t)((uint64_t)timestamp - (uint64_t)b->base_timestamp);
    int32_t off_delta = b->count;

    size_t body = 1 + sl_rec_varint_size(ts_delta) + sl_rec_varint_size(off_delta);
    body = add_sat(body, bytes_field_size(key_len));
    body = add_sat(body, bytes_field_size(value_len));
    body = add_sat(body, sl_rec_varint_size((int64_t)nheaders));
    for (size_t i = 0; i < nheaders; i++) {
        body = add_sat(body, bytes_field_size((int32_t)headers[i].key_len));
        body = add_sat(body, bytes_field_size(headers[i].value_len));
    }
    if (body > INT32_MAX)
        return b->err = SL_ERR_TOO_LARGE;

    sl_buf_t *w = b->rec;
    sl_buf_put_varint(w, (int64_t)body);
    sl_buf_put_i8(w, 0); /* record attributes: unused */
    sl_buf_put_varint(w, ts_delta);
    sl_buf_put_varint(w, off_delta);
    sl_buf_put_varint(w, key_len);
    if (key_len > 0)
        sl_buf_put(w, key, (size_t)key_len);
    sl_buf_put_varint(w, value_len);
    if (value_len > 0)
        sl_buf_put(w, value, (size_t)value_len);
    sl_buf_put_varint(w, (int64_t)nheaders);
    for (size_t i = 0; i < nheaders; i++) {
        sl_buf_put_varint(w, (int64_t)headers[i].key_len);
        if (headers[i].key_len)
            sl_buf_put(w, headers[i].key, headers[i].key_len);
        sl_buf_put_varint(w, headers[i].value_len);
        if (headers[i].value_len > 0)
            sl_buf_put(w, headers[i].value, (size_t)headers[i].value_len);
    }
    if (sl_buf_err(w))
        return b->err = SL_ERR_NOMEM;
    if (b->count == 0 || timestamp > b->max_timestamp)
        b->max_timestamp = timestamp;
    b->count++;
    return SL_OK;
}

int32_t sl_batch_builder_count(const sl_batch_builder_t *b) { return b->count; }

size_t sl_batch_builder_size(const sl_batch_builder_t *b)
{
    if (!b->open)
        return 0;
    return SL_BATCH_HEADER_SIZE + (b->rec == b->out ? b->out->len - b->start - SL_BATCH_HEADER_SIZE
                                                    : b->plain.len);
}

void sl_batch_builder_abort(sl_batch_builder_t *b)
{
    if (!b)
        return;
    if (b->open && b->out) {
        b->out->len = b->start;
        /* A failed put left the caller's buffer in its sticky error state;
         * the batch is gone, so is the error. */
        b->out->err = SL_OK;
    }
    sl_buf_free(&b->plain);
    b->open = false;
    b->rec = NULL;
}

/* Fills the header at out->data + start for the records behind it. */
static void write_header(sl_batch_builder_t *b, size_t total)
{
    uint8_t *h = b->out->data + b->start;
    const sl_batch_opts_t *o = &b->opts;
    sl_rec_put_u64(h + 0, (uint64_t)o->base_offset);
    sl_rec_put_u32(h + 8, (uint32_t)(total - SL_BATCH_LOG_OVERHEAD));
    sl_rec_put_u32(h + 12, (uint32_t)o->partition_leader_epoch);
    h[16] = SL_BATCH_MAGIC;
    /* 17..20: CRC, below */
    h[21] = (uint8_t)((uint16_t)b->attributes >> 8);
    h[22] = (uint8_t)b->attributes;
    sl_rec_put_u32(h + 23, (uint32_t)(b->count - 1));
    sl_rec_put_u64(h + 27, (uint64_t)b->base_timestamp);
    sl_rec_put_u64(h + 35, (uint64_t)b->max_timestamp);
    sl_rec_put_u64(h + 43, (uint64_t)o->producer_id);
    h[51] = (uint8_t)((uint16_t)o->producer_epoch >> 8);
    h[52] = (uint8_t)o->producer_epoch;
    sl_rec_put_u32(h + 53, (uint32_t)o->base_sequence);
    sl_rec_put_u32(h + 57, (uint32_t)b->count);
    uint32_t crc = sl_crc32c(0, h + SL_BATCH_OFF_ATTRIBUTES, total - SL_BATCH_OFF_ATTRIBUTES);
    sl_rec_put_u32(h + SL_BATCH_OFF_CRC, crc);
}

sl_err_t sl_batch_builder_finish(sl_batch_builder_t *b)
{
    if (!b->open)
        return SL_ERR_STATE;
    sl_err_t err = b->err;
    if (!err && b->rec == &b->plain) {
        err = sl_compress(b->opts.compression, b->opts.level, b->plain.data, b->plain.len, b->out);
        if (err == SL_OK)
            err = sl_buf_err(b->out);
    }
    if (!err && sl_buf_err(b->out))
        err = sl_buf_err(b->out);
    size_t total = b->out->len - b->start;
    if (!err && total - SL_BATCH_LOG_OVERHEAD > INT32_MAX)
        err = SL_ERR_TOO_LARGE;
    if (err) {
        sl_batch_builder_abort(b);
        return err;
    }
    write_header(b, total);
    sl_buf_free(&b->plain);
    b->open = false;
    b->rec = NULL;
    return SL_OK;
}

sl_err_t sl_batch_write_control(sl_buf_t *out, const sl_batch_opts_t *opts, bool commit,
                                int32_t coordinator_epoch, int64_t ts)
{
    if (!opts)
        return SL_ERR_INVAL;
    sl_batch_opts_t o = *opts;
    o.compression = SL_COMPRESSION_NONE;
    o.level = 0;
    o.transactional = true;
    o.base_sequence = SL_NO_SEQUENCE;
    sl_batch_builder_t b;
    sl_err_t err = sl_batch_builder_begin(&b, out, &o);
    if (err)
        return err;
    b.attributes |= SL_BATCH_ATTR_CONTROL;
    uint8_t key[4], value[6];
    key[0] = 0; /* key version 0 */
    key[1] = 0;
    key[2] = 0;
    key[3] = commit ? SL_CONTROL_COMMIT : SL_CONTROL_ABORT;
    value[0] = 0; /* value version 0 */
    value[1] = 0;
    sl_rec_put_u32(value + 2, (uint32_t)coordinator_epoch);
    err = sl_batch_builder_add(&b, ts, key, sizeof(key), value, sizeof(value), NULL, 0);
    if (err) {
        sl_batch_builder_abort(&b);
        return err;
    }
    return sl_batch_builder_finish(&b);
}
