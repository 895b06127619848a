/*
 * txn_log.c - the coordinator's side of __transaction_state: creating the
 * topic at start-up (compacted, uncompressed, as Kafka's
 * TransactionStateManager creates it), appending one metadata record per
 * change through the path a produce takes (partition mutex, fetch waiters
 * woken, flush.messages honoured), and reading a partition back record by
 * record for the loader. The same steps as the group coordinator's
 * offsets_log.c, for another topic and record type.
 */
#include <stdio.h>
#include <string.h>

#include "broker_int.h"
#include "txn_log.h"

#define TXN_LOG "txn"

int32_t sl_txn_topic_ensure(sl_broker_t *broker)
{
    const sl_broker_config_t *cfg = broker->cfg;
    const char *name = SL_TOPIC_TRANSACTION_STATE;
    size_t len = strlen(name);
    sl_topic_t *topic = sl_broker_topic_get(broker, name, len);
    if (!topic) {
        sl_props_t *ov = sl_props_new();
        char seg[32];
        snprintf(seg, sizeof seg, "%d", cfg->transaction_state_log_segment_bytes);
        char errbuf[256] = "";
        sl_err_t err = SL_ERR_NOMEM;
        if (ov && sl_props_set(ov, "cleanup.policy", "compact", 0) == SL_OK &&
            sl_props_set(ov, "segment.bytes", seg, 0) == SL_OK &&
            sl_props_set(ov, "compression.type", "uncompressed", 0) == SL_OK)
            err = sl_broker_topic_create(broker, name, len, cfg->transaction_state_log_num_partitions, ov, false,
                                         &topic, errbuf, sizeof errbuf);
        sl_props_free(ov);
        if (err != SL_OK) {
            SL_ERROR(TXN_LOG, "cannot create %s: %s%s%s: transactions are not served", name, sl_err_name(err),
                     errbuf[0] ? ": " : "", errbuf);
            return -1;
        }
        SL_INFO(TXN_LOG, "created %s with %d partitions", name, cfg->transaction_state_log_num_partitions);
    }
    int32_t n = sl_topic_partition_count(broker, topic);
    if (n != cfg->transaction_state_log_num_partitions)
        SL_WARN(TXN_LOG, "%s has %d partitions, transaction.state.log.num.partitions says %d: keeping %d", name, n,
                cfg->transaction_state_log_num_partitions, n);
    sl_topic_unref(topic);
    return n;
}

/* Kafka's TransactionStateManager maps an append error so. */
static int16_t append_error(sl_err_t err)
{
    switch (err) {
    case SL_ERR_UNKNOWN_TOPIC_OR_PARTITION:
        return SL_ERR_COORDINATOR_NOT_AVAILABLE;
    case SL_ERR_KAFKA_STORAGE_ERROR:
        return SL_ERR_NOT_COORDINATOR;
    default:
        return SL_ERR_UNKNOWN_SERVER_ERROR;
    }
}

int16_t sl_txn_log_append(sl_broker_t *broker, int32_t partition, sl_kstr_t id, const sl_txn_t *t)
{
    sl_buf_t key, value, out;
    sl_buf_init(&key);
    sl_buf_init(&value);
    sl_buf_init(&out);
    sl_txn_key_write(&key, id);
    if (t)
        sl_txn_value_write(&value, t);
    sl_err_t err = sl_buf_err(&key) != SL_OK || sl_buf_err(&value) != SL_OK ? SL_ERR_NOMEM : SL_OK;
    sl_batch_builder_t b;
    sl_batch_opts_t opts;
    sl_batch_opts_init(&opts); /* producer id -1, uncompressed, as Kafka's coordinator */
    int64_t now = sl_time_wall_ms();
    if (err == SL_OK && (err = sl_batch_builder_begin(&b, &out, &opts)) == SL_OK) {
        err = sl_batch_builder_add(&b, now, key.data, (int32_t)key.len, t ? value.data : NULL,
                                   t ? (int32_t)value.len : -1, NULL, 0);
        if (err == SL_OK)
            err = sl_batch_builder_finish(&b);
        else
            sl_batch_builder_abort(&b);
    }
    sl_buf_free(&key);
    sl_buf_free(&value);
    sl_partition_t *part = NULL;
    const char *name = SL_TOPIC_TRANSACTION_STATE;
    if (err == SL_OK)
        err = sl_broker_partition_get(broker, name, strlen(name), partition, &part);
    if (err == SL_OK) {
        sl_partition_lock(part);
        if (!part->log) {
            err = part->offline ? SL_ERR_KAFKA_STORAGE_ERROR : SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        } else if ((int64_t)out.len > part->cfg.segment_bytes) {
            err = SL_ERR_TOO_LARGE;
        } else if ((err = sl_log_append(part->log, out.data, out.len, 0, now, NULL)) == SL_OK) {
            sl_partition_wake_waiters_locked(part);
            if (sl_log_unflushed_messages(part->log) >= part->cfg.flush_messages &&
                sl_log_flush(part->log, now) != SL_OK)
                err = SL_ERR_KAFKA_STORAGE_ERROR;
        } else {
            SL_ERROR(TXN_LOG, "append to %s-%d failed: %s", name, partition, sl_log_errmsg(part->log));
            err = SL_ERR_KAFKA_STORAGE_ERROR;
        }
        sl_partition_unlock(part);
        sl_partition_unref(part);
    }
    sl_buf_free(&out);
    return err == SL_OK ? 0 : append_error(err);
}

/* ---- reading ---- */

#define READ_CHUNK (1 << 20)

/* Applies every record of one batch; false when it cannot be read. */
static bool scan_batch(const sl_batch_t *batch, sl_buf_t *scratch, sl_txn_scan_fn *fn, void *arg)
{
    if (sl_batch_is_control(batch))
        return true;
    sl_record_iter_t it;
    if (sl_record_iter_init(&it, batch, scratch, 0) != SL_OK)
        return false;
    sl_record_t rec;
    sl_err_t err;
    while ((err = sl_record_iter_next(&it, &rec)) == SL_OK) {
        if (rec.key_len >= 0)
            fn(arg, rec.key, (size_t)rec.key_len, rec.value, rec.value_len, rec.offset);
    }
    return err == SL_ERR_NOENT;
}

sl_err_t sl_txn_log_scan(sl_broker_t *broker, int32_t partition, const atomic_bool *stop, sl_txn_scan_fn *fn,
                         void *arg)
{
    const char *name = SL_TOPIC_TRANSACTION_STATE;
    sl_partition_t *part = NULL;
    sl_err_t err = sl_broker_partition_get(broker, name, strlen(name), partition, &part);
    if (err != SL_OK)
        return err;
    sl_buf_t data, scratch;
    sl_buf_init(&data);
    sl_buf_init(&scratch);
    int64_t next = -1, end = 0;
    sl_partition_lock(part);
    if (part->log) {
        next = sl_log_start_offset(part->log);
        end = sl_log_end_offset(part->log);
    }
    sl_partition_unlock(part);
    if (next < 0)
        err = SL_ERR_KAFKA_STORAGE_ERROR;
    while (err == SL_OK && next < end && !atomic_load(stop)) {
        sl_log_slice_t slice = {.fd = -1};
        sl_partition_lock(part);
        err = part->log ? sl_log_read(part->log, next, READ_CHUNK, true, &slice) : SL_ERR_KAFKA_STORAGE_ERROR;
        if (err == SL_ERR_OFFSET_OUT_OF_RANGE && part->log && sl_log_start_offset(part->log) > next) {
            next = sl_log_start_offset(part->log); /* retention or the cleaner moved the start */
            err = SL_OK;
            sl_partition_unlock(part);
            continue;
        }
        sl_partition_unlock(part);
        data.len = 0;
        if (err == SL_OK)
            err = sl_log_slice_read(&slice, &data);
        sl_log_slice_release(&slice);
        if (err != SL_OK || data.len == 0)
            break;
        sl_batch_iter_t bi;
        sl_batch_iter_init(&bi, data.data, data.len);
        sl_batch_t batch;
        int64_t before = next;
        while (sl_batch_iter_next(&bi, &batch) == SL_OK) {
            if (sl_batch_last_offset(&batch) < next)
                continue;
            if (!scan_batch(&batch, &scratch, fn, arg))
                SL_WARN(TXN_LOG, "%s-%d: batch at offset %lld cannot be read: skipped", name, partition,
                        (long long)batch.base_offset);
            next = sl_batch_last_offset(&batch) + 1;
        }
        if (next == before) {
            SL_WARN(TXN_LOG, "%s-%d: nothing readable at offset %lld: the rest is skipped", name, partition,
                    (long long)next);
            break;
        }
    }
    sl_buf_free(&data);
    sl_buf_free(&scratch);
    sl_partition_unref(part);
    return err;
}
