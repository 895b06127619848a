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
    const sl_internal_topic_t it = {
        .name = SL_TOPIC_CONSUMER_OFFSETS,
        .log_mod = GROUP_LOG,
        .count_key = "offsets.topic.num.partitions",
        .served = "groups",
        .partitions = broker->cfg->offsets_topic_num_partitions,
        .segment_bytes = broker->cfg->offsets_topic_segment_bytes,
        .compression = "producer",
    };
    return sl_internal_topic_ensure(broker, &it);
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
 * state (loaded from the log on first use, as produce does): SL_OK with
 * *refused INVALID_PRODUCER_EPOCH when the partition knows a newer epoch
 * (Kafka judges a coordinator's append by its epoch only, never its
 * sequence), or the state's own error (storage, no memory). part->mu
 * held. */
static sl_err_t producer_epoch_check(sl_partition_t *part, void *arg, int16_t *refused)
{
    const sl_coord_batch_t *cb = arg;
    sl_producer_state_t *st;
    sl_err_t err = sl_producer_state_ensure(part, &st);
    if (err != SL_OK)
        return err == SL_ERR_NOMEM ? SL_ERR_NOMEM : SL_ERR_KAFKA_STORAGE_ERROR;
    const sl_producer_entry_t *e = sl_producer_state_find(st, cb->producer_id);
    *refused = e && cb->producer_epoch < e->epoch ? SL_ERR_INVALID_PRODUCER_EPOCH : 0;
    return SL_OK;
}

/* Records an appended transactional batch in the partition's producer
 * state (loaded by the check): the producer's transaction is open on the
 * partition from there (its LSO) until the marker. part->mu held. */
static void producer_update(sl_partition_t *part, const sl_log_append_info_t *info, int64_t now, void *arg)
{
    const sl_coord_batch_t *cb = arg;
    sl_producer_state_t *st;
    if (sl_producer_state_ensure(part, &st) != SL_OK)
        return;
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
    static const sl_internal_append_hooks_t txn_hooks = {.check = producer_epoch_check,
                                                         .appended = producer_update};
    int16_t refused = 0;
    sl_err_t err = sl_internal_topic_append(broker, SL_TOPIC_CONSUMER_OFFSETS, GROUP_LOG, partition, cb->out.data,
                                            cb->out.len, cb->producer_id >= 0 ? &txn_hooks : NULL, cb, &refused,
                                            &cb->base_offset);
    cb->out.len = 0;
    cb->count = 0;
    if (refused)
        return refused;
    return err == SL_OK ? 0 : append_error(err);
}

/* ---- reading ---- */

sl_err_t sl_coord_topic_scan(sl_broker_t *broker, int32_t partition, const atomic_bool *stop, sl_coord_scan_fn *fn,
                             void *arg)
{
    return sl_internal_topic_scan_records(broker, SL_TOPIC_CONSUMER_OFFSETS, GROUP_LOG, partition, stop, fn, arg);
}
