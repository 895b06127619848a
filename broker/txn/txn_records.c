/*
 * txn_records.c - the records the transaction coordinator keeps in
 * __transaction_state, in Kafka's layouts: TransactionLogKey v0 (the
 * transactional id) and TransactionLogValue v0 (what Kafka 3.4 writes; the
 * flexible v1 of later versions is refused as unsupported).
 */
#include <stdlib.h>
#include <string.h>

#include "txn.h"

/* A non-null string: int16 length, then the bytes (cut at INT16_MAX). */
static void put_str(sl_buf_t *out, const char *s, size_t n)
{
    size_t len = SL_MIN(n, (size_t)INT16_MAX);
    sl_buf_put_i16(out, (int16_t)len);
    if (len > 0)
        sl_buf_put(out, s, len);
}

void sl_txn_key_write(sl_buf_t *out, sl_kstr_t id)
{
    sl_buf_put_i16(out, 0);
    put_str(out, id.ptr ? id.ptr : "", (size_t)SL_MAX(id.len, 0));
}

void sl_txn_value_write(sl_buf_t *out, const sl_txn_t *t)
{
    sl_buf_put_i16(out, 0);
    sl_buf_put_i64(out, t->producer_id);
    sl_buf_put_i16(out, t->producer_epoch);
    sl_buf_put_i32(out, t->timeout_ms);
    sl_buf_put_i8(out, (int8_t)t->state);
    if (t->state == SL_TXN_EMPTY) {
        sl_buf_put_i32(out, -1); /* Kafka writes no partitions for Empty */
    } else {
        /* grouped by topic, in the order topics first appear */
        size_t count_at = out->len;
        sl_buf_put_i32(out, 0);
        int32_t ntopics = 0;
        for (int32_t i = 0; i < t->nparts; i++) {
            bool seen = false;
            for (int32_t j = 0; j < i && !seen; j++)
                seen = strcmp(t->parts[j].topic, t->parts[i].topic) == 0;
            if (seen)
                continue;
            ntopics++;
            put_str(out, t->parts[i].topic, strlen(t->parts[i].topic));
            size_t n_at = out->len;
            sl_buf_put_i32(out, 0);
            int32_t n = 0;
            for (int32_t j = i; j < t->nparts; j++) {
                if (strcmp(t->parts[j].topic, t->parts[i].topic) == 0) {
                    sl_buf_put_i32(out, t->parts[j].partition);
                    n++;
                }
            }
            if (sl_buf_err(out) == SL_OK)
                sl_buf_set_i32(out, n_at, n);
        }
        if (sl_buf_err(out) == SL_OK)
            sl_buf_set_i32(out, count_at, ntopics);
    }
    sl_buf_put_i64(out, t->update_ts);
    sl_buf_put_i64(out, t->start_ts);
}

/* ---- reading ---- */

static sl_kstr_t rd_str(sl_rd_t *rd)
{
    int16_t len = sl_rd_i16(rd);
    if (len < 0) {
        sl_rd_fail(rd, SL_ERR_PARSE);
        return sl_kstr_null();
    }
    const uint8_t *p = sl_rd_take(rd, (size_t)len);
    return p ? sl_kstr_n((const char *)p, len) : sl_kstr_null();
}

static sl_err_t rd_done(const sl_rd_t *rd)
{
    return sl_rd_ok(rd) && sl_rd_left(rd) == 0 ? SL_OK : SL_ERR_PARSE;
}

sl_err_t sl_txn_key_read(const void *p, size_t n, sl_kstr_t *id)
{
    sl_rd_t rd;
    sl_rd_init(&rd, p, n);
    int16_t v = sl_rd_i16(&rd);
    if (!sl_rd_ok(&rd))
        return SL_ERR_PARSE;
    if (v != 0)
        return SL_ERR_UNSUPPORTED;
    *id = rd_str(&rd);
    return rd_done(&rd);
}

sl_err_t sl_txn_value_read(const void *p, size_t n, sl_txn_t *t)
{
    sl_txn_init(t);
    sl_rd_t rd;
    sl_rd_init(&rd, p, n);
    int16_t v = sl_rd_i16(&rd);
    if (!sl_rd_ok(&rd))
        return SL_ERR_PARSE;
    if (v != 0)
        return SL_ERR_UNSUPPORTED;
    t->producer_id = sl_rd_i64(&rd);
    t->producer_epoch = sl_rd_i16(&rd);
    t->timeout_ms = sl_rd_i32(&rd);
    int8_t st = sl_rd_i8(&rd);
    int32_t ntopics = sl_rd_i32(&rd);
    if (!sl_rd_ok(&rd) || st < SL_TXN_EMPTY || st > SL_TXN_PREPARE_EPOCH_FENCE || ntopics < -1)
        return SL_ERR_PARSE;
    t->state = (sl_txn_state_t)st;
    /* a topic takes at least 6 bytes (empty name, no partitions) */
    if (ntopics > 0 && (size_t)ntopics > sl_rd_left(&rd) / 6)
        return SL_ERR_PARSE;
    for (int32_t i = 0; i < ntopics && sl_rd_ok(&rd); i++) {
        sl_kstr_t topic = rd_str(&rd);
        int32_t np = sl_rd_i32(&rd);
        if (!sl_rd_ok(&rd) || np < 0 || (size_t)np > sl_rd_left(&rd) / 4)
            return SL_ERR_PARSE;
        for (int32_t k = 0; k < np; k++) {
            if (sl_txn_add_part(t, topic, sl_rd_i32(&rd)) != SL_OK)
                return SL_ERR_NOMEM;
        }
    }
    t->update_ts = sl_rd_i64(&rd);
    t->start_ts = sl_rd_i64(&rd);
    return rd_done(&rd);
}
