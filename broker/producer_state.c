/*
 * producer_state.c - one partition's producer state (epoch and last 5
 * batches per producer id), Kafka's sequence rules for a client's batch, the
 * rebuild from the log's batch headers, and the process-wide table that
 * holds every partition's state (producer_int.h says why and how).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producer_int.h"

void sl_producer_state_init(sl_producer_state_t *st)
{
    sl_map_init(&st->producers);
    st->loaded = false;
}

void sl_producer_state_fini(sl_producer_state_t *st)
{
    if (st)
        sl_map_fini(&st->producers, free);
}

const sl_producer_entry_t *sl_producer_state_find(const sl_producer_state_t *st, int64_t producer_id)
{
    return sl_map_get(&st->producers, &producer_id, sizeof producer_id);
}

int32_t sl_producer_seq_add(int32_t seq, int32_t delta)
{
    if (seq > INT32_MAX - delta)
        return delta - (INT32_MAX - seq) - 1;
    return seq + delta;
}

int16_t sl_producer_state_check(const sl_producer_state_t *st, int64_t producer_id, int16_t epoch,
                                int32_t first_seq, int32_t last_offset_delta, bool *dup,
                                sl_producer_batch_t *dup_out, char *msg, size_t msglen)
{
    if (dup)
        *dup = false;
    if (msglen)
        msg[0] = '\0';
    const sl_producer_entry_t *e = sl_producer_state_find(st, producer_id);
    if (!e)
        return 0; /* unknown producer: any sequence (KIP-360) */
    int32_t last_seq = sl_producer_seq_add(first_seq, last_offset_delta < 0 ? 0 : last_offset_delta);
    if (epoch == e->epoch) {
        for (int i = 0; i < e->nbatches; i++) {
            if (e->batches[i].first_seq == first_seq && e->batches[i].last_seq == last_seq) {
                if (dup)
                    *dup = true;
                if (dup_out)
                    *dup_out = e->batches[i];
                return 0;
            }
        }
    }
    if (epoch < e->epoch) {
        snprintf(msg, msglen, "Epoch of producer %lld is %d, which is smaller than the last seen epoch %d",
                 (long long)producer_id, epoch, e->epoch);
        return SL_ERR_INVALID_PRODUCER_EPOCH;
    }
    if (epoch > e->epoch) {
        if (first_seq != 0) {
            snprintf(msg, msglen, "Invalid sequence number for new epoch of producer %lld: %d (request epoch), "
                                  "%d (seq. number), %d (current producer epoch)",
                     (long long)producer_id, epoch, first_seq, e->epoch);
            return SL_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
        }
        return 0;
    }
    if (e->nbatches == 0)
        return 0;
    int32_t cur = e->batches[e->nbatches - 1].last_seq;
    bool in_seq = (cur < INT32_MAX && first_seq == cur + 1) || (cur == INT32_MAX && first_seq == 0);
    if (!in_seq) {
        snprintf(msg, msglen, "Out of order sequence number for producer %lld at offset %lld: %d (incoming seq. "
                              "number), %d (current end sequence number)",
                 (long long)producer_id, (long long)e->batches[e->nbatches - 1].last_offset, first_seq, cur);
        return SL_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
    }
    return 0;
}

sl_err_t sl_producer_state_update(sl_producer_state_t *st, int64_t producer_id, int16_t epoch, int32_t first_seq,
                                  int32_t last_offset_delta, int64_t first_offset, int64_t last_offset)
{
    sl_producer_entry_t *e = sl_map_get(&st->producers, &producer_id, sizeof producer_id);
    if (!e) {
        e = calloc(1, sizeof *e);
        if (!e)
            return SL_ERR_NOMEM;
        e->producer_id = producer_id;
        e->epoch = epoch;
        if (sl_map_put(&st->producers, &e->producer_id, sizeof e->producer_id, e, NULL) != SL_OK) {
            free(e);
            return SL_ERR_NOMEM;
        }
    }
    if (epoch < e->epoch)
        return SL_OK;
    if (epoch > e->epoch) {
        e->epoch = epoch;
        e->nbatches = 0;
    }
    if (e->nbatches == SL_PRODUCER_MAX_BATCHES) {
        memmove(&e->batches[0], &e->batches[1], (SL_PRODUCER_MAX_BATCHES - 1) * sizeof e->batches[0]);
        e->nbatches--;
    }
    sl_producer_batch_t *b = &e->batches[e->nbatches++];
    b->first_seq = first_seq;
    b->last_seq = sl_producer_seq_add(first_seq, last_offset_delta < 0 ? 0 : last_offset_delta);
    b->first_offset = first_offset;
    b->last_offset = last_offset;
    return SL_OK;
}

sl_err_t sl_producer_state_load_blob(sl_producer_state_t *st, const uint8_t *blob, size_t len, int64_t from_offset,
                                     int64_t *next)
{
    *next = from_offset;
    sl_batch_iter_t it;
    sl_batch_t b;
    sl_err_t err;
    sl_batch_iter_init(&it, blob, len);
    while ((err = sl_batch_iter_next(&it, &b)) == SL_OK) {
        int64_t last = sl_batch_last_offset(&b);
        if (last < from_offset)
            continue;
        if (last + 1 > *next)
            *next = last + 1;
        if (b.producer_id < 0 || sl_batch_is_control(&b))
            continue;
        err = sl_producer_state_update(st, b.producer_id, b.producer_epoch, b.base_sequence, b.last_offset_delta,
                                       b.base_offset, last);
        if (err != SL_OK)
            return err;
    }
    if (err == SL_ERR_NOENT || err == SL_ERR_TRUNCATED)
        return SL_OK;
    return err == SL_ERR_NOMEM ? SL_ERR_NOMEM : SL_ERR_CORRUPT_MESSAGE;
}

sl_err_t sl_producer_state_rebuild(sl_producer_state_t *st, sl_log_t *log)
{
    sl_buf_t buf;
    sl_buf_init(&buf);
    int64_t off = sl_log_start_offset(log);
    int64_t end = sl_log_end_offset(log);
    sl_err_t err = SL_OK;
    while (off < end) {
        sl_log_slice_t slice;
        err = sl_log_read(log, off, 1 << 20, true, &slice);
        if (err != SL_OK)
            break;
        if (slice.len == 0) {
            sl_log_slice_release(&slice);
            break;
        }
        sl_buf_reset(&buf);
        err = sl_log_slice_read(&slice, &buf);
        sl_log_slice_release(&slice);
        if (err != SL_OK)
            break;
        int64_t next;
        err = sl_producer_state_load_blob(st, buf.data, buf.len, off, &next);
        if (err == SL_ERR_CORRUPT_MESSAGE) {
            /* The log skips what does not parse when serving it; so do we. */
            SL_WARN(SL_BROKER_LOG, "producer state rebuild: unreadable batches near offset %lld skipped",
                    (long long)off);
            err = SL_OK;
        }
        if (err != SL_OK)
            break;
        if (next <= off)
            break; /* no progress: a gap the reader does not cross */
        off = next;
    }
    sl_buf_free(&buf);
    if (err == SL_ERR_OFFSET_OUT_OF_RANGE)
        err = SL_OK;
    if (err == SL_OK)
        st->loaded = true;
    return err;
}

/* ---- the process-wide table ---- */

static pthread_mutex_t table_mu = PTHREAD_MUTEX_INITIALIZER;
static sl_map_t table; /* 20-byte key (topic id, index) -> sl_producer_state_t */
static bool table_ready;

typedef struct table_key {
    uint8_t topic_id[16];
    int32_t index;
} table_key_t;

sl_producer_state_t *sl_producer_state_of(const sl_partition_t *part)
{
    table_key_t key;
    memset(&key, 0, sizeof key);
    memcpy(key.topic_id, &part->topic->id, sizeof key.topic_id);
    key.index = part->index;
    pthread_mutex_lock(&table_mu);
    if (!table_ready) {
        sl_map_init(&table);
        table_ready = true;
    }
    sl_producer_state_t *st = sl_map_get(&table, &key, sizeof key);
    if (!st) {
        st = calloc(1, sizeof *st);
        if (st) {
            sl_producer_state_init(st);
            if (sl_map_put(&table, &key, sizeof key, st, NULL) != SL_OK) {
                free(st);
                st = NULL;
            }
        }
    }
    pthread_mutex_unlock(&table_mu);
    return st;
}
