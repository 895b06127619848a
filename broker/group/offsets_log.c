/*
 * offsets_log.c - the coordinator's side of __consumer_offsets: creating
 * the topic at start-up, writing one record batch per coordinator change
 * (through the log append path a produce takes: partition mutex, fetch
 * waiters woken, flush.messages honoured), and reading a partition back
 * record by record for the loader.
 */
#include <stdio.h>
#include <string.h>

#include "broker_int.h"
#include "group_int.h"
#include "producer_int.h"

#define GROUP_LOG "group"

int32_t sl_coord_topic_ensure(sl_broker_t *broker)
{
    const sl_broker_config_t *cfg = broker->cfg;
    const char *name = SL_TOPIC_CONSUMER_OFFSETS;
    size_t len = strlen(name);
    sl_topic_t *topic = sl_broker_topic_get(broker, name, len);
    if (!topic) {
        sl_props_t *ov = sl_props_new();
        char seg[32];
        snprintf(seg, sizeof seg, "%d", cfg->offsets_topic_segment_bytes);
        char errbuf[256] = "";
        sl_err_t err = SL_ERR_NOMEM;
        if (ov && sl_props_set(ov, "cleanup.policy", "compact", 0) == SL_OK &&
            sl_props_set(ov, "segment.bytes", seg, 0) == SL_OK &&
            sl_props_set(ov, "compression.type", "producer", 0) == SL_OK)
            err = sl_broker_topic_create(broker, name, len, cfg->offsets_topic_num_partitions, ov, false, &topic,
                                         errbuf, sizeof errbuf);
        sl_props_free(ov);
        if (err != SL_OK) {
            SL_ERROR(GROUP_LOG, "cannot create %s: %s%s%s: groups are not served", name, sl_err_name(err),
                     errbuf[0] ? ": " : "", errbuf);
            return -1;
        }
        SL_INFO(GROUP_LOG, "created %s with %d partitions", name, cfg->offsets_topic_num_partitions);
    }
    int32_t n = sl_topic_partition_count(broker, topic);
    if (n != cfg->offsets_topic_num_partitions)
        SL_WARN(GROUP_LOG, "%s has %d partitions, offsets.topic.num.partitions says %d: keeping %d", name, n,
                cfg->offsets_topic_num_partitions, n);
    sl_topic_unref(topic);
    return n;
}

/* ---- writing ---- */

void sl_coord_batch_init(sl_coord_batch_t *cb)
{
    memset(cb, 0, sizeof *cb);
    cb->producer_id = SL_NO_PRODUCER_ID;
    cb->producer_epoch = SL_NO_PRODUCER_EPOCH;
    cb->base_offset = -1;
    sl_buf_init(&cb->out);
    sl_buf_init(&cb->key);
    sl_buf_init(&cb->value);
}

void sl_coord_batch_free(sl_coord_batch_t *cb)
{
    if (cb->begun)
        sl_batch_builder_abort(&cb->b);
    sl_buf_free(&cb->out);
    sl_buf_free(&cb->key);
    sl_buf_free(&cb->value);
    cb->begun = false;
}

/* Adds the record in cb->key / cb->value (tombstone: no value). */
static void batch_add(sl_coord_batch_t *cb, bool tombstone)
{
    if (cb->err == SL_OK && !cb->begun) {
        sl_batch_opts_t opts;
        sl_batch_opts_init(&opts); /* producer id -1, uncompressed, as Kafka's coordinator */
        if (cb->producer_id >= 0) {
            opts.producer_id = cb->producer_id;
            opts.producer_epoch = cb->producer_epoch;
            opts.base_sequence = 0; /* Kafka's storeOffsets writes 0 */
            opts.transactional = true;
        }
        cb->err = sl_batch_builder_begin(&cb->b, &cb->out, &opts);
        cb->begun = cb->err == SL_OK;
    }
    if (cb->err == SL_OK)
        cb->err = sl_buf_err(&cb->key) != SL_OK || sl_buf_err(&cb->value) != SL_OK ? SL_ERR_NOMEM : SL_OK;
    if (cb->err == SL_OK)
        cb->err = sl_batch_builder_add(&cb->b, sl_time_wall_ms(), cb->key.data, (int32_t)cb->key.len,
                                       tombstone ? NULL : cb->value.data, tombstone ? -1 : (int32_t)cb->value.len,
                                       NULL, 0);
    cb->key.len = 0;
    cb->value.len = 0;
    cb->count++;
}

void sl_coord_batch_offset(sl_coord_batch_t *cb, sl_kstr_t group, sl_kstr_t topic, int32_t partition,
                           const sl_offset_t *o)
{
    sl_coord_offset_key_write(&cb->key, group, topic, partition);
    if (o)
        sl_coord_offset_value_write(&cb->value, o);
    batch_add(cb, o == NULL);
}

void sl_coord_batch_group(sl_coord_batch_t *cb, sl_kstr_t group, const sl_group_record_t *g)
{
    sl_coord_group_key_write(&cb->key, group);
    if (g)
        sl_coord_group_value_write(&cb->value, g);
    batch_add(cb, g == NULL);
}

/* Kafka's GroupMetadataManager maps an append error for the client so. */
static int16_t append_error(sl_err_t err)
{
    switch (err) {
    case SL_ERR_UNKNOWN_TOPIC_OR_PARTITION:
        return SL_ERR_COORDINATOR_NOT_AVAILABLE;
    case SL_ERR_KAFKA_STORAGE_ERROR:
        return SL_ERR_NOT_COORDINATOR;
    case SL_ERR_TOO_LARGE:
    case SL_ERR_INVAL:
        return SL_ERR_INVALID_COMMIT_OFFSET_SIZE;
    default:
        return SL_ERR_UNKNOWN_SERVER_ERROR;
    }
}

/* A transactional batch's producer against the partition's producer
 * state (loaded from the log on first use, as produce does): 0,
 * INVALID_PRODUCER_EPOCH (the partition knows a newer epoch: Kafka judges
 * a coordinator's append by its epoch only, never its sequence), or the
 * state's own error as an sl_err_t (storage, no memory). *stp gets the
 * state. part->mu held. */
static sl_err_t producer_epoch_check(sl_partition_t *part, const sl_coord_batch_t *cb, sl_producer_state_t **stp,
                                     int16_t *refused)
{
    sl_err_t err = sl_producer_state_ensure(part, stp);
    if (err != SL_OK)
        return err == SL_ERR_NOMEM ? SL_ERR_NOMEM : SL_ERR_KAFKA_STORAGE_ERROR;
    const sl_producer_entry_t *e = sl_producer_state_find(*stp, cb->producer_id);
    *refused = e && cb->producer_epoch < e->epoch ? SL_ERR_INVALID_PRODUCER_EPOCH : 0;
    return SL_OK;
}

/* Records an appended transactional batch in the partition's producer
 * state: the producer's transaction is open on the partition from there
 * (its LSO) until the marker. part->mu held. */
static void producer_update(sl_producer_state_t *st, const sl_coord_batch_t *cb, const sl_log_append_info_t *info,
                            int64_t now)
{
    if (sl_producer_state_update_at(st, cb->producer_id, cb->producer_epoch, 0,
                                    (int32_t)(info->last_offset - info->base_offset), info->base_offset,
                                    info->last_offset, now) != SL_OK) {
        st->loaded = false; /* no memory: rebuilt from the log next time */
        return;
    }
    sl_producer_state_txn_begin(st, cb->producer_id, info->base_offset);
}

int16_t sl_coord_batch_append(sl_broker_t *broker, int32_t partition, sl_coord_batch_t *cb)
{
    if (cb->count == 0)
        return 0;
    if (cb->err == SL_OK && cb->begun) {
        cb->err = sl_batch_builder_finish(&cb->b);
        cb->begun = false;
    }
    if (cb->err != SL_OK)
        return append_error(cb->err);
    sl_partition_t *part = NULL;
    const char *name = SL_TOPIC_CONSUMER_OFFSETS;
    sl_err_t err = sl_broker_partition_get(broker, name, strlen(name), partition, &part);
    if (err != SL_OK)
        return append_error(err);
    int16_t refused = 0;
    sl_producer_state_t *st = NULL;
    sl_partition_lock(part);
    if (!part->log) {
        err = part->offline ? SL_ERR_KAFKA_STORAGE_ERROR : SL_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    } else if ((int64_t)cb->out.len > part->cfg.segment_bytes) {
        err = SL_ERR_TOO_LARGE; /* Kafka: RECORD_LIST_TOO_LARGE */
    } else if (cb->producer_id >= 0 && ((err = producer_epoch_check(part, cb, &st, &refused)) != SL_OK || refused)) {
        /* the state cannot be read, or a fenced producer: nothing written */
    } else {
        int64_t now = sl_time_wall_ms();
        sl_log_append_info_t info;
        err = sl_log_append(part->log, cb->out.data, cb->out.len, 0, now, &info);
        if (err == SL_OK) {
            cb->base_offset = info.base_offset;
            if (st)
                producer_update(st, cb, &info, now);
            sl_partition_wake_waiters_locked(part);
            /* flush.messages asks for an fsync before the answer: the
             * coordinator's writes are small, so it syncs here */
            if (sl_log_unflushed_messages(part->log) >= part->cfg.flush_messages &&
                sl_log_flush(part->log, now) != SL_OK)
                err = SL_ERR_KAFKA_STORAGE_ERROR;
        } else {
            SL_ERROR(GROUP_LOG, "append to %s-%d failed: %s", name, partition, sl_log_errmsg(part->log));
            err = SL_ERR_KAFKA_STORAGE_ERROR;
        }
    }
    sl_partition_unlock(part);
    sl_partition_unref(part);
    cb->out.len = 0;
    cb->count = 0;
    if (refused)
        return refused;
    return err == SL_OK ? 0 : append_error(err);
}

/* ---- reading ---- */

#define READ_CHUNK (1 << 20)

/* Applies every record of one batch (a control batch: its marker, if it
 * holds one); false when it cannot be read. */
static bool scan_batch(const sl_batch_t *batch, sl_buf_t *scratch, const sl_coord_scan_ops_t *ops, void *arg)
{
    if (sl_batch_is_control(batch) && !ops->marker)
        return true;
    sl_coord_batch_info_t bi = {
        .base_offset = batch->base_offset,
        .producer_id = batch->producer_id,
        .producer_epoch = batch->producer_epoch,
        .transactional = sl_batch_is_transactional(batch),
    };
    sl_record_iter_t it;
    if (sl_record_iter_init(&it, batch, scratch, 0) != SL_OK)
        return false;
    sl_record_t rec;
    sl_err_t err;
    while ((err = sl_record_iter_next(&it, &rec)) == SL_OK) {
        if (sl_batch_is_control(batch)) {
            int16_t type;
            if (sl_control_record_type(&rec, &type) != SL_OK)
                return false;
            if (type == SL_CONTROL_COMMIT || type == SL_CONTROL_ABORT)
                ops->marker(arg, &bi, type == SL_CONTROL_COMMIT, rec.offset);
            continue;
        }
        if (rec.key_len < 0) {
            SL_WARN(GROUP_LOG, "%s: record at offset %lld has no key: skipped", SL_TOPIC_CONSUMER_OFFSETS,
                    (long long)rec.offset);
            continue;
        }
        ops->record(arg, &bi, rec.key, (size_t)rec.key_len, rec.value, rec.value_len, rec.offset);
    }
    return err == SL_ERR_NOENT;
}

typedef struct plain_scan {
    sl_coord_scan_fn *fn;
    void *arg;
} plain_scan_t;

static void plain_record(void *arg, const sl_coord_batch_info_t *bi, const uint8_t *key, size_t klen,
                         const uint8_t *value, int32_t vlen, int64_t offset)
{
    const plain_scan_t *ps = arg;
    SL_UNUSED(bi);
    ps->fn(ps->arg, key, klen, value, vlen, offset);
}

sl_err_t sl_coord_topic_scan(sl_broker_t *broker, int32_t partition, const atomic_bool *stop, sl_coord_scan_fn *fn,
                             void *arg)
{
    plain_scan_t ps = {fn, arg};
    const sl_coord_scan_ops_t ops = {.record = plain_record, .marker = NULL};
    return sl_coord_topic_scan_ops(broker, partition, stop, &ops, &ps);
}

sl_err_t sl_coord_topic_scan_ops(sl_broker_t *broker, int32_t partition, const atomic_bool *stop,
                                 const sl_coord_scan_ops_t *ops, void *arg)
{
    const char *name = SL_TOPIC_CONSUMER_OFFSETS;
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
        end = sl_log_end_offset(part->log); /* what was there at start-up */
    }
    sl_partition_unlock(part);
    if (next < 0)
        err = SL_ERR_KAFKA_STORAGE_ERROR;
    while (err == SL_OK && next < end && !atomic_load(stop)) {
        sl_log_slice_t slice = {.fd = -1};
        sl_partition_lock(part);
        err = part->log ? sl_log_read(part->log, next, READ_CHUNK, true, &slice) : SL_ERR_KAFKA_STORAGE_ERROR;
        sl_partition_unlock(part);
        if (err == SL_ERR_OFFSET_OUT_OF_RANGE) {
            /* retention or the cleaner moved the start meanwhile */
            sl_partition_lock(part);
            int64_t start = part->log ? sl_log_start_offset(part->log) : end;
            sl_partition_unlock(part);
            err = start > next ? SL_OK : err;
            next = start;
            continue;
        }
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
                continue; /* the slice may start before next */
            if (!scan_batch(&batch, &scratch, ops, arg))
                SL_WARN(GROUP_LOG, "%s-%d: batch at offset %lld cannot be read: skipped", name, partition,
                        (long long)batch.base_offset);
            next = sl_batch_last_offset(&batch) + 1;
        }
        if (next == before) {
            SL_WARN(GROUP_LOG, "%s-%d: nothing readable at offset %lld: the rest is skipped", name, partition,
                    (long long)next);
            break;
        }
        if (data.cap > SL_BROKER_KEEP_BUF_MAX)
            sl_buf_free(&data);
    }
    sl_buf_free(&data);
    sl_buf_free(&scratch);
    sl_partition_unref(part);
    return err;
}
